/* app/cmds.h: the subcommands of `sluice`. Each takes argv with argv[0] the
   subcommand's own name and returns the exit status: 0 success, 1 runtime
   failure, 2 bad usage or bad config. */
#ifndef SL_APP_CMDS_H
#define SL_APP_CMDS_H

#include "config/config.h"

int sl_cmd_run(int argc, char **argv);
int sl_cmd_monitor(int argc, char **argv);
int sl_cmd_gen(int argc, char **argv);
int sl_cmd_demo(int argc, char **argv);
int sl_cmd_configure(int argc, char **argv);
int sl_cmd_config(int argc, char **argv);

/* sl_app_load_config loads the config at path (NULL: the embedded default)
   into cfg and runs the host checks (app/preflight.h) on it, before
   anything is built. On a file error, or any check's error, prints
   "sluice: FILE:LINE:COL: ..." lines to stderr and returns 2 (the exit
   status for a bad config); else 0 (warnings are left to the code that
   acts on them). */
int sl_app_load_config(const char *path, sl_config_t *cfg);

#endif
