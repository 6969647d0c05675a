/* app/supervisor.h: `sluice run`: one instance from config to teardown.

   config -> CPU plan -> workspace (hugepages, NUMA) -> topology -> net
   provider (XDP installed here, privileged, once; else io_uring, saying why)
   -> fork + pin one process per tile -> watch -> tear down.

   Watching: a tile that exits or dies brings the instance down (the others
   are killed, the XDP program detached, the workspace removed) and
   sl_supervise returns 1 with a log line naming the tile and its status.
   SIGINT/SIGTERM (or *stop set by the caller) stop intake and drain: every
   verified transaction reaches the sink, then it returns 0. Tiles die with
   the supervisor (PR_SET_PDEATHSIG), however it dies. */
#ifndef SL_APP_SUPERVISOR_H
#define SL_APP_SUPERVISOR_H

#include "config/config.h"

/* sl_supervise runs the instance of cfg in the foreground until it is
   stopped or fails. Returns the exit status: 0 after an orderly stop, 1 on
   any failure (logged). Installs handlers for SIGINT and SIGTERM. */
int sl_supervise(const sl_config_t *cfg);

#endif
