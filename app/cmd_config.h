/* app/cmd_config.h: `sluice config check FILE | default | decode`. */
#ifndef SL_APP_CMD_CONFIG_H
#define SL_APP_CMD_CONFIG_H

/* sl_cmd_config runs the config subcommand in argv[1] (argv[0] is
   "config"):
     check FILE  loads FILE over the defaults (the first error as
                 "FILE:LINE:COL: message"), then checks what this host makes
                 of it (app/preflight.h): findings on stderr, a closing line
                 on stdout; 2 with any error, 0 with warnings only;
     default     prints the embedded default.toml;
     decode      toml-test decoder: TOML on stdin, tagged JSON on stdout;
                 on invalid TOML the error goes to stderr.
   --help or -h anywhere prints the usage on stdout (exit 0); any other
   argument starting with '-' is bad usage (the usage on stderr, exit 2).
   Returns the exit status: 0 success, 1 decode of invalid TOML or an I/O
   failure, 2 bad usage or a config that does not check. */
int sl_cmd_config(int argc, char **argv);

#endif
