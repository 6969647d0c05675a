# tiles/net/port_owner: who holds the UDP ports an instance captures (read
# from /proc before the providers are set up).
LIB_SRCS += tiles/net/port_owner.c
UNIT_TESTS += port_owner
