/* tiles/sink/pcap_out.c: the rotating, non-truncating pcap writer. */
#include "tiles/sink/pcap_out.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_LINKTYPE_ETHERNET 1u
#define PCAP_HDR_SZ 24u
#define PCAP_REC_HDR_SZ 16u
#define PCAP_FILE_MODE 0640

/* The user's rights for one call on the directory, when we are root. */
typedef struct {
  int switched;
  int old_uid, old_gid;
} as_user_t;

static as_user_t as_user_begin(const sl_pcap_out_t *p) {
  as_user_t a = {0, 0, 0};
  if (p->uid == (uid_t)-1 || geteuid() != 0) return a;
  a.old_gid = setfsgid(p->gid);
  a.old_uid = setfsuid(p->uid);
  a.switched = 1;
  return a;
}

static void as_user_end(const as_user_t *a) {
  if (!a->switched) return;
  setfsuid((uid_t)a->old_uid);
  setfsgid((gid_t)a->old_gid);
}

static void put32(uint8_t *b, uint32_t v) { memcpy(b, &v, 4); } /* host order, as the magic says */
static void put16(uint8_t *b, uint16_t v) { memcpy(b, &v, 2); }

/* PATH.N for N, into buf. */
static void rotated_name(const sl_pcap_out_t *p, uint64_t n, char *buf, size_t sz) {
  snprintf(buf, sz, "%s.%llu", p->base, (unsigned long long)n);
}

/* Writes all of b, retrying short writes. 0, or -1 with errno. */
static int write_all(int fd, const uint8_t *b, size_t n) {
  while (n) {
    ssize_t r = write(fd, b, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

/* Creates PATH (never an existing name, never through a symlink) and
   buffers its file header. */
static int create_file(sl_pcap_out_t *p, sl_err_t *err) {
  as_user_t a = as_user_begin(p);
  int fd = openat(p->dir_fd, p->base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  PCAP_FILE_MODE);
  int e = errno;
  as_user_end(&a);
  if (fd < 0)
    return sl_err_set(err, "[sink] pcap = \"%s\": cannot create it: %s%s", p->path, strerror(e),
                      e == EEXIST   ? " (created by someone else meanwhile: choose a path only sluice writes)"
                      : e == EACCES ? " (the tile's user may not write in that directory)"
                                    : "");
  p->fd = fd;
  uint8_t *h = p->buf;
  put32(h, PCAP_MAGIC_US);
  put16(h + 4, 2);
  put16(h + 6, 4);
  put32(h + 8, 0);  /* thiszone */
  put32(h + 12, 0); /* sigfigs */
  put32(h + 16, SL_PCAP_SNAPLEN);
  put32(h + 20, PCAP_LINKTYPE_ETHERNET);
  p->buf_len = PCAP_HDR_SZ;
  p->file_bytes = PCAP_HDR_SZ;
  return 0;
}

/* Moves PATH aside to the next free PATH.N; *n is the N it got. */
static int move_aside(sl_pcap_out_t *p, uint64_t *n, sl_err_t *err) {
  char name[NAME_MAX + 24];
  for (int tries = 0; tries < 64; tries++) {
    rotated_name(p, p->next_idx, name, sizeof name);
    as_user_t a = as_user_begin(p);
    int rc = renameat2(p->dir_fd, p->base, p->dir_fd, name, RENAME_NOREPLACE);
    int e = errno;
    as_user_end(&a);
    if (!rc) {
      *n = p->next_idx++;
      return 0;
    }
    if (e != EEXIST)
      return sl_err_set(err, "[sink] pcap = \"%s\": cannot rename it to %s: %s", p->path, name,
                        strerror(e));
    p->next_idx++; /* someone made that name meanwhile: never replace it */
  }
  return sl_err_set(err, "[sink] pcap = \"%s\": 64 rotated names in a row are taken", p->path);
}

/* Removes the oldest PATH.N while more than max_files files would remain. */
static void enforce_max_files(sl_pcap_out_t *p) {
  if (!p->max_files) return;
  char name[NAME_MAX + 24];
  /* PATH itself counts as one of max_files. */
  while (p->next_idx - p->low_idx > (uint64_t)p->max_files - 1) {
    rotated_name(p, p->low_idx++, name, sizeof name);
    as_user_t a = as_user_begin(p);
    if (unlinkat(p->dir_fd, name, 0) && errno != ENOENT) {
      sl_err_set(&p->why, "[sink] pcap = \"%s\": cannot remove %s (pcap_max_files): %s", p->path,
                 name, strerror(errno));
      p->errors++;
    }
    as_user_end(&a);
  }
}

/* The lowest and highest N of the PATH.N the directory holds (0, 0: none). */
static int scan_rotated(sl_pcap_out_t *p, uint64_t *lo, uint64_t *hi, sl_err_t *err) {
  int fd = dup(p->dir_fd);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (!d) {
    if (fd >= 0) close(fd);
    return sl_err_set(err, "[sink] pcap = \"%s\": cannot list its directory: %s", p->path,
                      strerror(errno));
  }
  size_t bl = strlen(p->base);
  *lo = *hi = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *s = e->d_name;
    if (strncmp(s, p->base, bl) || s[bl] != '.' || s[bl + 1] < '1' || s[bl + 1] > '9') continue;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s + bl + 1, &end, 10);
    if (*end || errno) continue;
    if (!*lo || n < *lo) *lo = n;
    if (n > *hi) *hi = n;
  }
  closedir(d);
  return 0;
}

int sl_pcap_out_open(sl_pcap_out_t *p, const char *path, uint64_t max_bytes, uint32_t max_files,
                     uid_t uid, gid_t gid, sl_err_t *err) {
  memset(p, 0, offsetof(sl_pcap_out_t, buf));
  p->dir_fd = p->fd = -1;
  p->max_bytes = max_bytes;
  p->max_files = max_files;
  p->uid = uid;
  p->gid = gid;
  size_t pl = path ? strlen(path) : 0;
  if (!pl || pl >= sizeof p->path || path[pl - 1] == '/')
    return sl_err_set(err, "[sink] pcap = \"%s\": expected a file path", path ? path : "(null)");
  memcpy(p->path, path, pl + 1);
  if (max_bytes && max_bytes < 4096)
    return sl_err_set(err, "[sink] pcap = \"%s\": a rotation size under 4096 bytes", path);

  char dir[SL_PCAP_PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (slash) {
    snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    snprintf(p->base, sizeof p->base, "%s", slash + 1);
  } else {
    snprintf(dir, sizeof dir, ".");
    snprintf(p->base, sizeof p->base, "%s", path);
  }
  if (!strcmp(p->base, ".") || !strcmp(p->base, ".."))
    return sl_err_set(err, "[sink] pcap = \"%s\": expected a file path", path);
  as_user_t a = as_user_begin(p);
  p->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int e = errno;
  as_user_end(&a);
  if (p->dir_fd < 0) {
    if (e == EACCES && p->uid != (uid_t)-1)
      return sl_err_set(err,
                        "[sink] pcap = \"%s\": cannot open the directory %s: %s (the tiles' user, "
                        "uid %u, must be able to reach it and write there: see the key user)",
                        path, dir, strerror(e), (unsigned)p->uid);
    return sl_err_set(err, "[sink] pcap = \"%s\": cannot open the directory %s: %s (it must exist)",
                      path, dir, strerror(e));
  }

  uint64_t lo = 0, hi = 0;
  if (scan_rotated(p, &lo, &hi, err)) goto fail;
  p->next_idx = hi + 1;
  p->low_idx = lo ? lo : p->next_idx;
  struct stat st;
  if (!fstatat(p->dir_fd, p->base, &st, AT_SYMLINK_NOFOLLOW)) {
    if (!S_ISREG(st.st_mode)) {
      sl_err_set(err,
                 "[sink] pcap = \"%s\": %s, not a regular file: refusing to write through it "
                 "(remove it, or choose another path)",
                 path, S_ISLNK(st.st_mode) ? "is a symlink" : "exists");
      goto fail;
    }
    if (move_aside(p, &p->rotated_start, err)) goto fail;
  } else if (errno != ENOENT) {
    sl_err_set(err, "[sink] pcap = \"%s\": %s", path, strerror(errno));
    goto fail;
  }
  if (create_file(p, err)) goto fail;
  enforce_max_files(p);
  return 0;
fail:
  close(p->dir_fd);
  p->dir_fd = -1;
  return -1;
}

int sl_pcap_out_flush(sl_pcap_out_t *p) {
  if (p->fd < 0 || !p->buf_len) return 0;
  int rc = write_all(p->fd, p->buf, p->buf_len);
  p->buf_len = 0;
  if (rc) {
    /* What is in the file may end in a partial record: the next record
       starts a new file, so none after it is misread. */
    sl_err_set(&p->why, "[sink] pcap = \"%s\": write: %s%s", p->path, strerror(errno),
               errno == ENOSPC ? " (the disk is full)" : "");
    p->errors++;
    close(p->fd);
    p->fd = -1;
    return -1;
  }
  return 0;
}

/* Closes PATH, keeps it as the next PATH.N, starts a new PATH. On failure
   the current file, if any, stays open. */
static int rotate(sl_pcap_out_t *p) {
  if (sl_pcap_out_flush(p) && p->fd >= 0) return -1;
  sl_err_t *err = &p->why;
  uint64_t n;
  if (p->fd >= 0) {
    if (move_aside(p, &n, err)) {
      p->errors++;
      return -1;
    }
    close(p->fd);
    p->fd = -1;
  } else {
    /* The last file was abandoned after a failed write; it may still sit
       at PATH: keep it too. */
    struct stat st;
    if (!fstatat(p->dir_fd, p->base, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode) &&
        move_aside(p, &n, err)) {
      p->errors++;
      return -1;
    }
  }
  if (create_file(p, err)) {
    p->errors++;
    return -1;
  }
  p->rotations++;
  enforce_max_files(p);
  return 0;
}

int sl_pcap_out_write(sl_pcap_out_t *p, const void *frame, uint32_t sz, uint64_t wall_ns) {
  if (p->dir_fd < 0) return -1;
  uint32_t cap = sz < SL_PCAP_SNAPLEN ? sz : SL_PCAP_SNAPLEN;
  uint32_t rec = PCAP_REC_HDR_SZ + cap;
  int full = p->max_bytes && p->file_bytes > PCAP_HDR_SZ && p->file_bytes + rec > p->max_bytes;
  /* A failed rotation keeps writing the current file, past max_bytes,
     rather than lose records. */
  if ((full || p->fd < 0) && rotate(p) && p->fd < 0) return -1;
  if (p->buf_len + rec > sizeof p->buf && sl_pcap_out_flush(p)) return -1;
  uint8_t *h = p->buf + p->buf_len;
  put32(h, (uint32_t)(wall_ns / 1000000000ull));
  put32(h + 4, (uint32_t)(wall_ns % 1000000000ull / 1000ull));
  put32(h + 8, cap);
  put32(h + 12, sz);
  memcpy(h + PCAP_REC_HDR_SZ, frame, cap);
  p->buf_len += rec;
  p->file_bytes += rec;
  return 0;
}

void sl_pcap_out_close(sl_pcap_out_t *p) {
  if (p->fd >= 0) {
    sl_pcap_out_flush(p);
    if (p->fd >= 0) close(p->fd);
  }
  p->fd = -1;
  if (p->dir_fd >= 0) close(p->dir_fd);
  p->dir_fd = -1;
}
