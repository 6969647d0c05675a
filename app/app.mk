# app/: the sluice command. Subcommands with their own fragment: monitor
# (app/monitor.mk), gen (app/gen/gen.mk), configure (app/configure.mk).
APP_SRCS += app/main.c app/run.c app/supervisor.c app/demo.c app/cmd_config.c app/gen.c
