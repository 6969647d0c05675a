/* sluice: the command. Dispatches to one function per subcommand; each
   returns the process exit status (0 ok, 1 runtime failure, 2 bad usage or
   bad config). */
#include <stdio.h>
#include <string.h>

#include "app/cmds.h"
#include "util/version.h"

static void usage(FILE *f) {
  fputs("usage: sluice COMMAND [OPTIONS]\n"
        "\n"
        "  run [--config FILE]                 run the pipeline in the foreground\n"
        "  monitor [--config FILE | --name NAME] [--once] [--json] [--prometheus] [--interval MS]\n"
        "                                      watch a running instance\n"
        "  gen --dst IP:PORT [--count N] [--rate PPS] [--dup R] [--bad-sig R] [--malformed R]\n"
        "      [--seed S] [--interface IF]     send signed test transactions\n"
        "  demo [--seconds N]                  pipeline + traffic + monitor + summary\n"
        "  configure init|check|fini [STAGE|all] [--config FILE]\n"
        "                                      host setup: hugetlbfs, sysctl, ethtool\n"
        "  config check FILE | default | decode\n"
        "                                      validate a config; print the default; TOML->JSON\n"
        "  version, --version                  print the version\n"
        "  help, --help, -h                    this text\n"
        "\n"
        "`sluice COMMAND --help` describes each command; man sluice, man sluice.toml.\n",
        f);
}

/* `sluice version` and `sluice --version`. */
static int cmd_version(int argc, char **argv) {
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    fputs("usage: sluice version\n  print the version this binary was built from (git describe)\n", stdout);
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "sluice version: unexpected argument '%s'\nusage: sluice version\n", argv[1]);
    return 2;
  }
  printf("sluice %s\n", sl_version());
  return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  int sub_argc = argc - 1;
  char **sub_argv = argv + 1;
  if (!strcmp(cmd, "run")) return sl_cmd_run(sub_argc, sub_argv);
  if (!strcmp(cmd, "monitor")) return sl_cmd_monitor(sub_argc, sub_argv);
  if (!strcmp(cmd, "gen")) return sl_cmd_gen(sub_argc, sub_argv);
  if (!strcmp(cmd, "demo")) return sl_cmd_demo(sub_argc, sub_argv);
  if (!strcmp(cmd, "configure")) return sl_cmd_configure(sub_argc, sub_argv);
  if (!strcmp(cmd, "config")) return sl_cmd_config(sub_argc, sub_argv);
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) return cmd_version(sub_argc, sub_argv);
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "sluice: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return 2;
}
