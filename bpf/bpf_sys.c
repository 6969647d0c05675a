#include "bpf/bpf_sys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

static uint64_t ptr_u64(const void *p) { return (uint64_t)(uintptr_t)p; }

/* Kernels before 5.11 account BPF memory against RLIMIT_MEMLOCK; later ones
   use memory cgroups. Unparseable releases count as old (the advice is then
   merely redundant). */
static int kernel_charges_memlock(void) {
  struct utsname u;
  unsigned major = 0, minor = 0;
  if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2) return 1;
  return major < 5 || (major == 5 && minor < 11);
}

const char *sl_bpf_errno_remedy(int errnum) {
  static __thread char buf[320];
  switch (errnum) {
  case EPERM: {
    /* Kernels before 5.11 charge BPF maps and programs to RLIMIT_MEMLOCK, and
       a small limit shows up as EPERM too, so name it when it is low. */
    struct rlimit rl;
    if (kernel_charges_memlock() && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
        rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (64u << 20)) {
      snprintf(buf, sizeof buf,
               "needs CAP_BPF/CAP_NET_ADMIN (run as root or grant capabilities); this kernel "
               "also charges BPF memory to RLIMIT_MEMLOCK, now %llu KiB: raise it (ulimit -l "
               "unlimited, LimitMEMLOCK=infinity)",
               (unsigned long long)(rl.rlim_cur >> 10));
      return buf;
    }
    return "needs CAP_BPF/CAP_NET_ADMIN (run as root or grant capabilities)";
  }
  case ENOSYS:
    return "kernel built without bpf() or too old for this command (XDP links need Linux >= 5.7)";
  case E2BIG:
    return "kernel older than these headers: it rejects the attribute size";
  case EINVAL:
    return "kernel rejected the attributes: too old for this command or flag, or a bad value";
  case ENOMEM:
    return "kernel out of memory for BPF objects (or memory cgroup limit reached)";
  case EBADF:
    return "file descriptor is not open or not a BPF object";
  default:
    return "";
  }
}

/* Formats "<what>: <strerror> (<remedy>)" and keeps errno for the caller. */
static int bpf_fail(sl_err_t *err, const char *what) {
  int e = errno;
  const char *rem = sl_bpf_errno_remedy(e);
  if (rem[0])
    sl_err_set(err, "%s: %s (%s)", what, strerror(e), rem);
  else
    sl_err_set(err, "%s: %s", what, strerror(e));
  errno = e;
  return -1;
}

int sl_bpf_map_create(uint32_t map_type, uint32_t key_sz, uint32_t val_sz, uint32_t max_entries,
                      uint32_t map_flags, const char *name, sl_err_t *err) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = map_type;
  a.key_size = key_sz;
  a.value_size = val_sz;
  a.max_entries = max_entries;
  a.map_flags = map_flags;
  if (name) strncpy(a.map_name, name, sizeof a.map_name - 1);
  long fd = sys_bpf(BPF_MAP_CREATE, &a);
  if (fd < 0) {
    char what[96];
    snprintf(what, sizeof what, "BPF_MAP_CREATE (type %u, %u entries)", map_type, max_entries);
    return bpf_fail(err, what);
  }
  return (int)fd;
}

int sl_bpf_map_update(int map_fd, const void *key, const void *val, uint64_t flags, sl_err_t *err) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_fd = (uint32_t)map_fd;
  a.key = ptr_u64(key);
  a.value = ptr_u64(val);
  a.flags = flags;
  if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0) return bpf_fail(err, "BPF_MAP_UPDATE_ELEM");
  return 0;
}

int sl_bpf_map_lookup(int map_fd, const void *key, void *val, sl_err_t *err) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_fd = (uint32_t)map_fd;
  a.key = ptr_u64(key);
  a.value = ptr_u64(val);
  if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0) return bpf_fail(err, "BPF_MAP_LOOKUP_ELEM");
  return 0;
}

int sl_bpf_map_delete(int map_fd, const void *key, sl_err_t *err) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_fd = (uint32_t)map_fd;
  a.key = ptr_u64(key);
  if (sys_bpf(BPF_MAP_DELETE_ELEM, &a) < 0) return bpf_fail(err, "BPF_MAP_DELETE_ELEM");
  return 0;
}

static int starts_with(const char *s, size_t n, const char *prefix) {
  size_t m = strlen(prefix);
  return n >= m && memcmp(s, prefix, m) == 0;
}

void sl_bpf_log_summary(const char *log, char *out, uint32_t out_sz) {
  if (!out_sz) return;
  out[0] = 0;
  if (!log) return;
  const char *best = NULL;
  size_t best_n = 0;
  for (const char *p = log; *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
    if (n && !starts_with(p, n, "processed ") && !starts_with(p, n, "verification time") &&
        !starts_with(p, n, "stack depth")) {
      best = p;
      best_n = n;
    }
    if (!nl) break;
    p = nl + 1;
  }
  if (!best) return;
  if (best_n > out_sz - 1) best_n = out_sz - 1;
  memcpy(out, best, best_n);
  out[best_n] = 0;
}

#define SL_BPF_LOAD_TRIES 5

int sl_bpf_prog_load(uint32_t prog_type, uint32_t expected_attach_type, const struct bpf_insn *insns,
                     uint32_t insn_cnt, const char *name, char *log, uint32_t log_sz,
                     uint32_t log_level, sl_err_t *err) {
  static const char license[] = "Dual BSD/GPL";
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = prog_type;
  a.expected_attach_type = expected_attach_type;
  a.insns = ptr_u64(insns);
  a.insn_cnt = insn_cnt;
  a.license = ptr_u64(license);
  if (name) strncpy(a.prog_name, name, sizeof a.prog_name - 1);
  if (log && log_sz) {
    log[0] = 0;
    a.log_buf = ptr_u64(log);
    a.log_size = log_sz;
    a.log_level = log_level;
  }
  /* The verifier gives up with EAGAIN when a signal is pending while it
     works (a child's SIGCHLD, say): the load itself was fine, so try
     again, a bounded number of times (libbpf does the same). */
  long fd;
  int tries = 0;
  do {
    if (log && log_sz) log[0] = 0;
    fd = sys_bpf(BPF_PROG_LOAD, &a);
  } while (fd < 0 && errno == EAGAIN && ++tries < SL_BPF_LOAD_TRIES);
  if (fd >= 0) return (int)fd;

  int e = errno;
  if (log && log_sz) log[log_sz - 1] = 0;
  if (e == ENOSPC && log && log_sz) {
    sl_err_set(err, "BPF_PROG_LOAD: verifier log larger than its %u-byte buffer (load without "
                    "the debug log level, or enlarge the buffer)",
               log_sz);
  } else if ((e == EACCES || e == EINVAL) && log && log[0]) {
    /* EACCES and EINVAL with a log are the verifier's verdict, not a
       permission problem: its last line says which instruction and why. */
    char last[256];
    sl_bpf_log_summary(log, last, sizeof last);
    sl_err_set(err, "BPF_PROG_LOAD: verifier rejected the program (%u insns): %s (full log at "
                    "log level debug)",
               insn_cnt, last);
  } else {
    errno = e;
    bpf_fail(err, "BPF_PROG_LOAD");
  }
  errno = e;
  return -1;
}

int sl_bpf_link_create(int prog_fd, uint32_t target, uint32_t attach_type, uint32_t flags,
                       sl_err_t *err) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (uint32_t)prog_fd;
  a.link_create.target_fd = target; /* shares its slot with target_ifindex */
  a.link_create.attach_type = attach_type;
  a.link_create.flags = flags;
  long fd = sys_bpf(BPF_LINK_CREATE, &a);
  if (fd < 0) return bpf_fail(err, "BPF_LINK_CREATE");
  return (int)fd;
}

int sl_bpf_prog_test_run(int prog_fd, sl_bpf_test_run_t *t, sl_err_t *err) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.test.prog_fd = (uint32_t)prog_fd;
  a.test.data_in = ptr_u64(t->data_in);
  a.test.data_size_in = t->data_in_sz;
  if (t->data_out) {
    a.test.data_out = ptr_u64(t->data_out);
    a.test.data_size_out = t->data_out_sz;
  }
  a.test.repeat = t->repeat;
  if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0) {
    char what[80];
    snprintf(what, sizeof what, "BPF_PROG_TEST_RUN (%u-byte frame; XDP needs >= 14)",
             t->data_in_sz);
    return bpf_fail(err, what);
  }
  t->retval = a.test.retval;
  t->data_out_sz = a.test.data_size_out;
  t->duration_ns = a.test.duration;
  return 0;
}

int sl_bpf_obj_get_info(int fd, void *info, uint32_t *info_sz, sl_err_t *err) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.info.bpf_fd = (uint32_t)fd;
  a.info.info_len = *info_sz;
  a.info.info = ptr_u64(info);
  if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0) return bpf_fail(err, "BPF_OBJ_GET_INFO_BY_FD");
  *info_sz = a.info.info_len;
  return 0;
}

uint32_t sl_bpf_prog_id(int prog_fd, sl_err_t *err) {
  struct bpf_prog_info info;
  memset(&info, 0, sizeof info);
  uint32_t sz = sizeof info;
  if (sl_bpf_obj_get_info(prog_fd, &info, &sz, err) < 0) return 0;
  return info.id;
}
