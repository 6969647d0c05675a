# app/configure.c: `sluice configure init|check|fini [STAGE|all]` (host setup).
# Its test is tests/integration/configure.sh (root: sysctls, hugepages, a netns).
APP_SRCS += app/configure.c
