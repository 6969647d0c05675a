/* app/preflight.h: what this host makes of a configuration, checked before
   anything is built.

   A file can be valid TOML with every value in range and still be refused
   by `sluice run` on this host: its user does not exist, its interface is
   not there, its CPUs are offline, its workspace does not fit. The
   preflight runs one small table of such checks (app/preflight.c, CHECKS:
   add a row to add a check) and returns findings, each naming the key that
   caused it so that it can be shown at the key's FILE:LINE:COL.

   One function serves `sluice config check` (prints every finding), and
   `sluice run` / `sluice demo` (refuse with exit 2 on any error, before the
   workspace exists). Warnings describe what run will do about a host fact
   (share CPUs, fall back to /dev/shm, leave a local socket without
   traffic); run leaves saying so to the code that does it, when it does. */
#ifndef SL_APP_PREFLIGHT_H
#define SL_APP_PREFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "shmem/wksp.h"

enum { SL_PREFLIGHT_WARNING = 1, SL_PREFLIGHT_ERROR = 2 };

/* More findings than this are counted, not kept. */
#define SL_PREFLIGHT_MAX 32

typedef struct {
  int severity;  /* SL_PREFLIGHT_* */
  char key[48];  /* full name of the key that caused it ("net.interface"): where to point */
  char msg[768]; /* what is wrong and what to do, one line, without the key */
} sl_finding_t;

typedef struct {
  uint32_t cnt;                     /* findings kept in f[] */
  uint32_t errors, warnings;        /* all findings, kept or not */
  sl_finding_t f[SL_PREFLIGHT_MAX]; /* in CHECKS order */
  sl_wksp_plan_t plan;              /* the workspace cfg makes on this host (no NUMA binding) */
} sl_preflight_t;

/* sl_preflight runs every check of the table on cfg (loaded and valid) and
   fills out. src (may be NULL: every key counts as the default) says which
   keys the user's file set; it only picks which key a size finding points
   at. Reads /proc, /sys, the user database, the interfaces and cpuid;
   creates, reserves and binds nothing. Never fails: a fact it cannot read
   becomes a finding. */
void sl_preflight(const sl_config_t *cfg, const sl_config_src_t *src, sl_preflight_t *out);

/* sl_preflight_line writes finding i as one line into buf:
     "FILE:LINE:COL: error: KEY: MSG"      the file set KEY there
     "FILE: warning: KEY (embedded default): MSG"   it did not
   FILE is src->origin ("<default>" without a file). */
void sl_preflight_line(const sl_preflight_t *pf, uint32_t i, const sl_config_src_t *src, char *buf, size_t bufsz);

/* sl_preflight_summary writes the closing line of `config check`:
     "FILE: ok: workspace 12.0 MiB on 6 x 2M hugepages in /mnt/huge (40 free)"
     "FILE: ok with 2 warnings: workspace 12.0 MiB in /dev/shm (6 x 2M hugepages needed, 0 free)"
     "FILE: 1 error, 2 warnings: sluice run would refuse this configuration" */
void sl_preflight_summary(const sl_preflight_t *pf, const sl_config_src_t *src, char *buf, size_t bufsz);

/* sl_preflight_wksp_params fills wp with the workspace parameters of cfg
   (name, size from sl_topo_footprint, page size, mount, require_hugepages;
   numa_node -1) and config_text (the rendered config, which the workspace
   stores). What the supervisor creates; it sets numa_node itself. */
void sl_preflight_wksp_params(const sl_config_t *cfg, const char *config_text, sl_wksp_params_t *wp);

#endif
