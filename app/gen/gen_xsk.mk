# gen AF_XDP transmit mode (sluice gen --interface): library source, next to the
# engine it extends.
LIB_SRCS += app/gen/gen_xsk.c
