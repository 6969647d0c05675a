#include "bpf/xdp_install.h"

#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf/bpf_sys.h"
#include "util/log.h"

void sl_xdp_init(sl_xdp_t *x) {
  x->ifname[0] = 0;
  x->ifindex = 0;
  x->map_entries = 0;
  x->map_fd = -1;
  x->cnt_fd = -1;
  x->counters = NULL;
  x->counters_sz = 0;
  x->prog_fd = -1;
  x->link_fd = -1;
  x->prog_id = 0;
  x->mode = -1;
  x->drv_why[0] = 0;
  x->insn_cnt = 0;
  x->log[0] = 0;
}

void sl_xdp_close(sl_xdp_t *x) {
  if (x->link_fd >= 0) close(x->link_fd);
  if (x->prog_fd >= 0) close(x->prog_fd);
  if (x->map_fd >= 0) close(x->map_fd);
  if (x->cnt_fd >= 0) close(x->cnt_fd);
  if (x->counters) munmap((void *)x->counters, x->counters_sz);
  x->link_fd = x->prog_fd = x->map_fd = x->cnt_fd = -1;
  x->counters = NULL;
  x->counters_sz = 0;
  x->mode = -1;
}

const char *sl_xdp_mode_str(const sl_xdp_t *x) {
  switch (x->mode) {
  case SL_XDP_ATTACH_DRV: return "drv";
  case SL_XDP_ATTACH_SKB: return "skb";
  default: return "none";
  }
}

/* Rewrites err for a failed XDP attach in driver (drv = 1) or generic mode,
   with the remedy that errno points to on this interface. */
static int attach_fail(const sl_xdp_t *x, int drv, int e, sl_err_t *err) {
  const char *mode = drv ? "driver (drv)" : "generic (skb)";
  const char *ifn = x->ifname;
  switch (e) {
  case EBUSY:
  case EEXIST:
    return sl_err_set(err,
                      "XDP attach to %s: another XDP program is attached to %s (see `ip link show "
                      "%s`; detach it with `ip link set dev %s xdp off`; one held by a BPF link, "
                      "such as another sluice's, goes only when its owner exits)",
                      ifn, ifn, ifn, ifn);
  case EOPNOTSUPP:
    return sl_err_set(err,
                      "XDP attach to %s in %s mode: the driver of %s does not support it (set "
                      "[net] xdp_mode = \"skb\" or \"auto\", or provider = \"io_uring\")",
                      ifn, mode, ifn);
  case ERANGE:
    return sl_err_set(err, "XDP attach to %s in %s mode: MTU too large for XDP on this device "
                           "(lower it with `ip link set dev %s mtu 1500`)",
                      ifn, mode, ifn);
  case EPERM:
  case EACCES:
    return sl_err_set(err, "XDP attach to %s: %s (%s)", ifn, strerror(e),
                      sl_bpf_errno_remedy(EPERM));
  case ENOSYS:
    return sl_err_set(err, "XDP attach to %s: BPF_LINK_CREATE unsupported (XDP links need Linux "
                           ">= 5.7; use provider = \"io_uring\")",
                      ifn);
  case EINVAL:
    return sl_err_set(err,
                      "XDP attach to %s in %s mode: %s (the device refuses XDP in this mode or "
                      "configuration, e.g. a bond on Linux < 5.15, LRO on, or a multi-buffer MTU; "
                      "try xdp_mode = \"skb\")",
                      ifn, mode, strerror(e));
  default:
    return sl_err_set(err, "XDP attach to %s in %s mode: %s", ifn, mode, strerror(e));
  }
}

static int load_prog(sl_xdp_t *x, int log_level_debug, sl_err_t *err) {
  uint32_t level = log_level_debug ? 2 : 1;
  int fd = sl_bpf_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, x->insns, x->insn_cnt, "sluice_xdp", x->log,
                            sizeof x->log, level, err);
  if (fd < 0 && errno == ENOSPC && level > 1) {
    /* The per-instruction log outgrew the buffer; the program may be fine. */
    fd = sl_bpf_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, x->insns, x->insn_cnt, "sluice_xdp", x->log,
                          sizeof x->log, 1, err);
  }
  if (fd < 0) return sl_err_prefix(err, "XDP program for %s", x->ifname);
  if (!log_level_debug) x->log[0] = 0;
  return fd;
}

static int attach(sl_xdp_t *x, int mode, sl_err_t *err) {
  if (mode == SL_XDP_ATTACH_DRV || mode == SL_XDP_ATTACH_AUTO) {
    int fd = sl_bpf_link_create(x->prog_fd, x->ifindex, BPF_XDP, XDP_FLAGS_DRV_MODE, NULL);
    if (fd >= 0) {
      x->link_fd = fd;
      x->mode = SL_XDP_ATTACH_DRV;
      return 0;
    }
    int e = errno;
    /* Only a driver without native XDP is worth retrying in generic mode:
       a busy interface or missing privilege fails the same way there. */
    if (mode == SL_XDP_ATTACH_DRV || e == EBUSY || e == EEXIST || e == EPERM || e == EACCES ||
        e == ENOSYS)
      return attach_fail(x, 1, e, err);
    sl_err_t why;
    attach_fail(x, 1, e, &why);
    size_t n = strnlen(why.msg, sizeof x->drv_why - 1);
    memcpy(x->drv_why, why.msg, n);
    x->drv_why[n] = 0;
  }
  int fd = sl_bpf_link_create(x->prog_fd, x->ifindex, BPF_XDP, XDP_FLAGS_SKB_MODE, NULL);
  if (fd < 0) {
    attach_fail(x, 0, errno, err);
    if (x->drv_why[0]) sl_err_prefix(err, "driver mode refused too (%s)", x->drv_why);
    return -1;
  }
  x->link_fd = fd;
  x->mode = SL_XDP_ATTACH_SKB;
  return 0;
}

int sl_xdp_install(sl_xdp_t *x, const char *ifname, uint32_t ifindex, uint32_t map_entries,
                   const sl_xdp_filter_t *f, int mode, int log_level_debug, sl_err_t *err) {
  sl_xdp_init(x);
  if (!ifname || !ifname[0] || strlen(ifname) >= sizeof x->ifname)
    return sl_err_set(err, "XDP install: interface name \"%s\" empty or longer than %zu chars",
                      ifname ? ifname : "", sizeof x->ifname - 1);
  snprintf(x->ifname, sizeof x->ifname, "%s", ifname);
  if (mode != SL_XDP_ATTACH_AUTO && mode != SL_XDP_ATTACH_DRV && mode != SL_XDP_ATTACH_SKB)
    return sl_err_set(err, "XDP install on %s: unknown mode %d", ifname, mode);
  if (!ifindex || !map_entries) return sl_err_set(err, "XDP install on %s: no interface index or zero queues", ifname);
  x->ifindex = ifindex;
  x->map_entries = map_entries;

  x->map_fd = sl_bpf_map_create(BPF_MAP_TYPE_XSKMAP, 4, 4, x->map_entries, 0, "sl_xsks", err);
  if (x->map_fd < 0) {
    sl_err_prefix(err, "XSKMAP for %s", ifname);
    goto fail;
  }
  x->cnt_fd = sl_bpf_map_create(BPF_MAP_TYPE_ARRAY, 4, sizeof(sl_xdp_counters_t), x->map_entries, BPF_F_MMAPABLE,
                                "sl_xdp_cnt", err);
  if (x->cnt_fd < 0) {
    sl_err_prefix(err, "XDP counters for %s", ifname);
    goto fail;
  }
  long page = sysconf(_SC_PAGESIZE);
  x->counters_sz = ((uint64_t)x->map_entries * sizeof(sl_xdp_counters_t) + (uint64_t)page - 1) & ~(uint64_t)(page - 1);
  void *m = mmap(NULL, x->counters_sz, PROT_READ, MAP_SHARED, x->cnt_fd, 0);
  if (m == MAP_FAILED) {
    x->counters_sz = 0;
    sl_err_set(err, "XDP counters for %s: mmap: %s (kernel without mmapable BPF arrays, < 5.5?)", ifname,
               strerror(errno));
    goto fail;
  }
  x->counters = m;

  sl_xdp_filter_t g = *f;
  g.xskmap_fd = x->map_fd;
  g.counters_fd = x->cnt_fd;
  if (sl_xdp_gen(&g, x->insns, SL_XDP_INSN_MAX, &x->insn_cnt, err) < 0) {
    sl_err_prefix(err, "XDP install on %s", ifname);
    goto fail;
  }

  x->prog_fd = load_prog(x, log_level_debug, err);
  if (x->prog_fd < 0) goto fail;
  x->prog_id = sl_bpf_prog_id(x->prog_fd, NULL);

  if (attach(x, mode, err) < 0) goto fail;
  return 0;

fail:
  sl_xdp_close(x);
  return -1;
}

int sl_xdp_register_fd(int map_fd, uint32_t queue, int xsk_fd, sl_err_t *err) {
  uint32_t key = queue, val = (uint32_t)xsk_fd;
  if (xsk_fd < 0) return sl_err_set(err, "XSKMAP queue %u: no socket (fd %d)", queue, xsk_fd);
  if (sl_bpf_map_update(map_fd, &key, &val, BPF_ANY, NULL) == 0) return 0;
  switch (errno) {
  case EOPNOTSUPP:
  case ENOTSOCK:
    return sl_err_set(err,
                      "XSKMAP queue %u: fd %d is not an AF_XDP socket bound to a queue with an RX "
                      "ring (bind it first)",
                      queue, xsk_fd);
  case E2BIG:
    return sl_err_set(err, "XSKMAP queue %u: beyond the map (one slot per RX queue)", queue);
  default:
    return sl_err_set(err, "XSKMAP queue %u: BPF_MAP_UPDATE_ELEM: %s %s", queue, strerror(errno),
                      sl_bpf_errno_remedy(errno));
  }
}

int sl_xdp_register(const sl_xdp_t *x, uint32_t queue, int xsk_fd, sl_err_t *err) {
  if (queue >= x->map_entries)
    return sl_err_set(err, "XSKMAP of %s: queue %u beyond its %u slots", x->ifname, queue,
                      x->map_entries);
  if (sl_xdp_register_fd(x->map_fd, queue, xsk_fd, err) < 0)
    return sl_err_prefix(err, "XDP on %s", x->ifname);
  return 0;
}

int sl_xdp_unregister(const sl_xdp_t *x, uint32_t queue, sl_err_t *err) {
  uint32_t key = queue;
  if (sl_bpf_map_delete(x->map_fd, &key, err) == 0 || errno == ENOENT) return 0;
  return sl_err_prefix(err, "XSKMAP of %s, queue %u", x->ifname, queue);
}
