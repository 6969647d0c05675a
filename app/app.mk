APP_SRCS += app/main.c
