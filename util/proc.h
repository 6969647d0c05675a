/* util/proc.h: reading a process's /proc/PID/stat. */
#ifndef SL_UTIL_PROC_H
#define SL_UTIL_PROC_H

#include <stdint.h>

/* Fields of /proc/PID/stat (proc(5) numbering, from 1). */
#define SL_PROC_STAT_TTY_NR 7
#define SL_PROC_STAT_STARTTIME 22 /* clock ticks since boot */
#define SL_PROC_STAT_ENV_START 50 /* the environment strings' block */
#define SL_PROC_STAT_ENV_END 51

/* sl_proc_stat_field reads field `field` (>= 3, an unsigned number) of
   /proc/PID/stat into *out; pid 0 is the calling process. Robust to a comm
   holding spaces or parentheses. Returns 0, or -1 (no such process, /proc
   not mounted, field missing). */
int sl_proc_stat_field(int pid, int field, uint64_t *out);

#endif
