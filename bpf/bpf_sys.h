/* bpf/bpf_sys.h: thin wrappers over the raw bpf(2) syscall.

   Each wrapper zeroes the whole union bpf_attr (the kernel rejects non-zero
   bytes past the fields it knows), fills the fields of one command and
   calls syscall(__NR_bpf). Only <linux/bpf.h> from the kernel headers is
   used: no libbpf at run time. On failure errno is left as the kernel set
   it and err reads "<what>: <strerror> (<remedy>)", where the remedy names
   the usual cause of that errno for that command (EPERM: missing
   capabilities; ENOSYS/EINVAL/E2BIG: kernel too old for the command). */
#ifndef SL_BPF_BPF_SYS_H
#define SL_BPF_BPF_SYS_H

#include <stdint.h>

#include <linux/bpf.h>

#include "util/err.h"

/* sl_bpf_map_create creates a map with map_flags (BPF_F_*, 0 for none);
   name (may be NULL) is truncated to 15 characters. Returns the map fd
   (close-on-exec), or -1. */
int sl_bpf_map_create(uint32_t map_type, uint32_t key_sz, uint32_t val_sz, uint32_t max_entries,
                      uint32_t map_flags, const char *name, sl_err_t *err);

/* sl_bpf_map_update stores *val under *key (flags: BPF_ANY, BPF_NOEXIST,
   BPF_EXIST). Returns 0 or -1. */
int sl_bpf_map_update(int map_fd, const void *key, const void *val, uint64_t flags, sl_err_t *err);

/* sl_bpf_map_lookup copies the value under *key into *val. Returns 0, or -1
   (errno ENOENT when the key is absent; some map types, XSKMAP among them,
   refuse lookups from user space with EOPNOTSUPP). */
int sl_bpf_map_lookup(int map_fd, const void *key, void *val, sl_err_t *err);

/* sl_bpf_map_delete removes *key. Returns 0, or -1 (errno ENOENT when it was
   absent). */
int sl_bpf_map_delete(int map_fd, const void *key, sl_err_t *err);

/* sl_bpf_prog_load loads insns[0..insn_cnt) as a program of prog_type
   (expected_attach_type as the kernel wants it, 0 if none; name may be
   NULL; license "Dual BSD/GPL"). When log_sz > 0 the verifier writes its
   log, NUL-terminated, into log[0..log_sz) at log_level (1: the path that
   failed; 2: every instruction), which needs log_level >= 1; log[0] is set
   to 0 first. A log too small for the verifier's output fails the load with
   ENOSPC even for a valid program: size it generously.
   Returns the program fd (close-on-exec), or -1; a verifier rejection
   (EACCES, EINVAL with a non-empty log) is reported as "verifier rejected
   the program: <last meaningful log line>". EAGAIN (the verifier stopped
   for a pending signal) is retried, up to 5 loads in all. */
int sl_bpf_prog_load(uint32_t prog_type, uint32_t expected_attach_type, const struct bpf_insn *insns,
                     uint32_t insn_cnt, const char *name, char *log, uint32_t log_sz,
                     uint32_t log_level, sl_err_t *err);

/* sl_bpf_link_create links prog_fd to target (an ifindex for BPF_XDP, a
   cgroup fd, ...) with attach_type and flags (for XDP: XDP_FLAGS_DRV_MODE or
   XDP_FLAGS_SKB_MODE). Returns the link fd (close-on-exec), or -1. The
   error text is generic; callers that know the target add the specific
   remedy (sl_xdp_install does for EBUSY/EEXIST/EOPNOTSUPP). */
int sl_bpf_link_create(int prog_fd, uint32_t target, uint32_t attach_type, uint32_t flags,
                       sl_err_t *err);

/* One BPF_PROG_TEST_RUN of an XDP (or skb) program. */
typedef struct {
  const void *data_in; /* the frame */
  uint32_t data_in_sz; /* XDP: at least 14 (ETH_HLEN), else EINVAL */
  void *data_out;      /* may be NULL: the output frame is then not copied */
  uint32_t data_out_sz; /* in: capacity of data_out; out: the frame's length after the run */
  uint32_t repeat;     /* 0 or 1: once; n: n times, duration is the mean */
  uint32_t retval;     /* out: the program's return value (XDP_PASS, ...) */
  uint32_t duration_ns; /* out: mean run time */
} sl_bpf_test_run_t;

/* sl_bpf_prog_test_run runs prog_fd on t->data_in in the kernel without a
   network (no packet is sent or redirected: a redirect only shows as
   retval XDP_REDIRECT). Returns 0 with t's out fields set, or -1. */
int sl_bpf_prog_test_run(int prog_fd, sl_bpf_test_run_t *t, sl_err_t *err);

/* sl_bpf_obj_get_info fills info (struct bpf_prog_info, bpf_map_info or
   bpf_link_info, as fd is) with up to *info_sz bytes; *info_sz is set to the
   size the kernel wrote. Zero info first: pointer fields in it are honoured.
   Returns 0 or -1. */
int sl_bpf_obj_get_info(int fd, void *info, uint32_t *info_sz, sl_err_t *err);

/* sl_bpf_prog_id returns the kernel id of the program behind prog_fd, or 0
   (with err) if it cannot be read. */
uint32_t sl_bpf_prog_id(int prog_fd, sl_err_t *err);

/* sl_bpf_log_summary copies the line of a verifier log that says why the
   program was rejected into out (NUL-terminated, truncated to out_sz): the
   last non-empty line that is not one of the statistics the verifier
   appends ("processed N insns ...", "verification time ...", "stack depth
   ..."). out is "" for an empty log. */
void sl_bpf_log_summary(const char *log, char *out, uint32_t out_sz);

/* sl_bpf_errno_remedy: the advice sluice gives for errno after a bpf()
   command failed ("" if none), shared by every wrapper so the wording is in
   one place. Checks RLIMIT_MEMLOCK on EPERM (kernels before 5.11 charge BPF
   memory to it). Returns a pointer to static or thread-local text. */
const char *sl_bpf_errno_remedy(int errnum);

#endif
