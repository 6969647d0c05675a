/* `sluice run [--config FILE]` */
#include <stdio.h>
#include <string.h>

#include "app/cmds.h"
#include "app/preflight.h"
#include "app/supervisor.h"
#include "config/config.h"

int sl_cmd_run(int argc, char **argv) {
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if ((!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) && i + 1 < argc) {
      path = argv[++i];
    } else if (!strncmp(argv[i], "--config=", 9)) {
      path = argv[i] + 9;
    } else {
      fprintf(stderr, "sluice run: unexpected argument '%s'\nusage: sluice run [--config FILE]\n", argv[i]);
      return 2;
    }
  }
  static sl_config_t cfg;
  int rc = sl_app_load_config(path, &cfg);
  return rc ? rc : sl_supervise(&cfg);
}

int sl_app_load_config(const char *path, sl_config_t *cfg) {
  static sl_config_src_t src;
  static sl_preflight_t pf;
  sl_err_t err = {{0}};
  if (sl_config_load_src(cfg, &src, path, &err)) {
    fprintf(stderr, "sluice: %s\n", err.msg);
    return 2;
  }
  sl_preflight(cfg, &src, &pf);
  if (!pf.errors) return 0;
  char line[2048];
  for (uint32_t i = 0; i < pf.cnt; i++) {
    if (pf.f[i].severity != SL_PREFLIGHT_ERROR) continue;
    sl_preflight_line(&pf, i, &src, line, sizeof line);
    fprintf(stderr, "sluice: %s\n", line);
  }
  fprintf(stderr, "sluice: not started: this host cannot run the configuration as it is (%u error%s)\n", pf.errors,
          pf.errors > 1 ? "s" : "");
  return 2;
}
