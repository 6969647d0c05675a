/* tiles/sink/pcap_out.h: the sink's capture file. A pcap writer (classic
   format, microsecond timestamps, Ethernet) that never truncates or
   overwrites anything and never follows a symlink, and that rotates the way
   tcpdump's -C/-W do, so a restart keeps the previous capture:

   - the capture being written is always PATH; a rotated one is PATH.N,
     N = 1, 2, ... in the order they were written (the highest is the most
     recent before PATH);
   - on open, an existing PATH (a previous run's capture) is renamed to the
     next PATH.N first; with max_bytes, PATH is rotated before a record
     would take it past max_bytes; with max_files, the oldest PATH.N are
     removed so that at most max_files files remain (0: keep all);
   - every name is reached through the directory opened once at open
     (openat/renameat2/unlinkat relative to it): a new PATH is created with
     O_CREAT|O_EXCL|O_NOFOLLOW, a rename never replaces (RENAME_NOREPLACE),
     and PATH being a symlink or anything but a regular file is refused;
   - as root with a uid/gid given, files are created, renamed and removed
     with that user's rights (setfsuid/setfsgid around each call), so they
     belong to the tile's user and its directory permissions apply.

   Records go to a buffer in the handle and reach the file when it fills,
   on flush and on rotation: the loop makes system calls only then (write;
   on rotation also renameat2, openat, unlinkat, close, and geteuid,
   setfsuid, setfsgid). Nothing is allocated. */
#ifndef SL_TILES_SINK_PCAP_OUT_H
#define SL_TILES_SINK_PCAP_OUT_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

#define SL_PCAP_BUF_SZ (256u << 10)
#define SL_PCAP_SNAPLEN 65535u
#define SL_PCAP_PATH_MAX 256u

typedef struct {
  int dir_fd;                  /* the capture's directory (O_DIRECTORY), -1 when closed */
  int fd;                      /* PATH, -1 if none is open */
  char path[SL_PCAP_PATH_MAX]; /* as configured, for messages */
  char base[NAME_MAX + 1];     /* PATH's name in its directory */
  uint64_t max_bytes;          /* 0: no rotation by size */
  uint32_t max_files;          /* 0: keep every file */
  uid_t uid;                   /* files as this user when root; (uid_t)-1: as we are */
  gid_t gid;
  uint64_t file_bytes;         /* of PATH, buffered bytes included */
  uint64_t next_idx;           /* N the next rotation takes */
  uint64_t low_idx;            /* lowest N that may still exist */
  uint64_t rotated_start;      /* N the previous run's PATH got at open, 0: there was none */
  uint64_t rotations;          /* by size, since open */
  uint64_t errors;             /* writes, flushes, rotations that failed */
  sl_err_t why;                /* the cause of the latest of them */
  uint32_t buf_len;
  uint8_t buf[SL_PCAP_BUF_SZ];
} sl_pcap_out_t;

/* sl_pcap_out_open opens the capture at path (its directory must exist)
   for records up to SL_PCAP_SNAPLEN bytes: keeps an existing PATH as the
   next PATH.N (p->rotated_start says which), creates PATH and writes the
   file header. max_bytes 0 or >= 4096. Fails (-1, err names the path and
   what to do: PATH is a symlink or not a regular file, the directory is
   missing or not writable by the user, a name is taken) leaving nothing
   open and every existing file as it was. p may be uninitialized. */
int sl_pcap_out_open(sl_pcap_out_t *p, const char *path, uint64_t max_bytes, uint32_t max_files,
                     uid_t uid, gid_t gid, sl_err_t *err);

/* sl_pcap_out_write appends one record (sz bytes of frame, truncated to
   the snap length; wall_ns its CLOCK_REALTIME time), rotating first when
   max_bytes says so. Returns 0, or -1 if the record could not be kept (no
   file open, a write failed: counted in p->errors; the buffered records
   are then lost, the file stays consistent up to its last whole write). */
int sl_pcap_out_write(sl_pcap_out_t *p, const void *frame, uint32_t sz, uint64_t wall_ns);

/* sl_pcap_out_flush writes the buffered records to the file. 0, or -1
   (counted in p->errors). */
int sl_pcap_out_flush(sl_pcap_out_t *p);

/* sl_pcap_out_close flushes and closes the file and the directory. Safe on
   a closed handle and twice. */
void sl_pcap_out_close(sl_pcap_out_t *p);

#endif
