/* util/log.h: leveled log lines to stderr (or a file), one line each,
   "2026-11-24T07:58:13.123456Z INFO  net:0     message".

   The tile name is per process (set once after fork). Logging is for setup,
   teardown and rare events; hot paths count into metrics instead. */
#ifndef SL_UTIL_LOG_H
#define SL_UTIL_LOG_H

enum { SL_LOG_DEBUG = 0, SL_LOG_INFO = 1, SL_LOG_WARN = 2, SL_LOG_ERR = 3 };

/* sl_log_level_parse maps "debug"|"info"|"warn"|"error" to a level; -1 if
   the name is not one of them. */
int sl_log_level_parse(const char *name);

void sl_log_set_level(int level);
int sl_log_get_level(void);

/* sl_log_set_name sets the name printed in every line of this process
   ("sluice" by default, "net:0" in a tile). Copied; at most 31 chars. */
void sl_log_set_name(const char *name);

/* sl_log_set_file sends lines to path (appended, created 0640) instead of
   stderr; NULL or "" goes back to stderr. Never follows a symlink at path
   and refuses anything but a regular file with one name. Returns 0, or -1
   with errno (ELOOP: path is a symlink; EINVAL: not a regular file, or a
   hard link; else open's) and lines keep going to stderr. */
int sl_log_set_file(const char *path);

/* sl_log_fd: the descriptor lines are written to (the file, or stderr), for
   a sandbox allow-list. Every line is one write(2) to it. */
int sl_log_fd(void);

void sl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define SL_DEBUG(...) do { if (sl_log_get_level() <= SL_LOG_DEBUG) sl_log(SL_LOG_DEBUG, __VA_ARGS__); } while (0)
#define SL_INFO(...) sl_log(SL_LOG_INFO, __VA_ARGS__)
#define SL_WARN(...) sl_log(SL_LOG_WARN, __VA_ARGS__)
#define SL_ERR(...) sl_log(SL_LOG_ERR, __VA_ARGS__)

#endif
