/* bpf/xdp_install.h: put the sluice XDP filter on one interface.

   The supervisor (privileged, once per interface, before forking tiles):
     sl_xdp_t *x = malloc(sizeof *x);            // ~66 KiB: keep it off small stacks
     sl_xdp_install(x, "eth0", ifindex, queues, &filter, SL_XDP_ATTACH_AUTO, debug, &err);
     sl_xdp_register(x, q, xsk_fd, &err)          // per queue, its AF_XDP socket
     ... fork the tiles; none of them may keep the link, program or map fds
     (anyone holding the link fd can detach the program): the sandbox
     closes them; the counters stay readable through x->counters ...
     sl_xdp_close(x) on the way out.
   The link is never pinned: when the last process holding x->link_fd exits,
   however it exits (SIGKILL included), the kernel detaches the program. */
#ifndef SL_BPF_XDP_INSTALL_H
#define SL_BPF_XDP_INSTALL_H

#include <stdint.h>

#include <linux/bpf.h>
#include <net/if.h>

#include "bpf/xdp_gen.h"
#include "util/err.h"

/* Attach modes. Same values as config/config.h's SL_XDP_MODE_* (bpf/ may
   not include config/), so the supervisor can pass cfg->net.xdp_mode as is. */
enum {
  SL_XDP_ATTACH_AUTO = 0, /* driver (native) mode, else generic, remembering why */
  SL_XDP_ATTACH_DRV = 1,  /* driver mode only (XDP_FLAGS_DRV_MODE) */
  SL_XDP_ATTACH_SKB = 2,  /* generic mode only (XDP_FLAGS_SKB_MODE), works on any netdev */
};

#define SL_XDP_LOG_SZ (64u << 10) /* verifier log buffer */

typedef struct {
  char ifname[IF_NAMESIZE];
  uint32_t ifindex;
  uint32_t map_entries; /* queues the maps cover: 0..map_entries-1 */

  int map_fd;  /* XSKMAP, key queue id (u32) -> AF_XDP socket fd (u32) */
  int cnt_fd;  /* counters: ARRAY of sl_xdp_counters_t, key queue id (BPF_F_MMAPABLE) */
  const volatile sl_xdp_counters_t *counters; /* cnt_fd mapped read-only: [map_entries];
                                                 the mapping outlives the fd */
  uint64_t counters_sz;                       /* bytes mapped */
  int prog_fd; /* the loaded filter */
  int link_fd; /* BPF_LINK_CREATE link; closing its last copy detaches */
  uint32_t prog_id; /* kernel id of the program (as `ip link show` prints it) */

  int mode;            /* SL_XDP_ATTACH_DRV or _SKB once attached; -1 before */
  char drv_why[256];   /* auto mode fell back to skb: why driver mode failed ("" otherwise) */

  struct bpf_insn insns[SL_XDP_INSN_MAX]; /* the generated program (sl_bpf_prog_dump) */
  uint32_t insn_cnt;

  char log[SL_XDP_LOG_SZ]; /* verifier log of the last load, NUL-terminated ("" if none) */
} sl_xdp_t;

/* sl_xdp_init marks x as holding nothing (every fd -1), so sl_xdp_close is
   safe on it. sl_xdp_install calls it itself; call it only when x may reach
   sl_xdp_close without having been through sl_xdp_install. */
void sl_xdp_init(sl_xdp_t *x);

/* sl_xdp_install creates the XSKMAP and the counters map for queues
   0..map_entries-1 of interface ifname (index ifindex: the caller has
   checked the interface; map_entries covers every RX queue it has, so a
   queue without a socket is counted rather than lost), maps the counters
   read-only, generates the filter for f (f->xskmap_fd and f->counters_fd
   are ignored: the new maps are used; f->fallback as documented in
   xdp_gen.h, 0 meaning XDP_PASS), loads it with a 64 KiB verifier log
   (level 1; level 2 with log_level_debug, which also keeps the log after a
   successful load) and attaches it with BPF_LINK_CREATE in mode
   (SL_XDP_ATTACH_*). In AUTO, driver mode is tried first; if the driver
   refuses it, generic mode is used and the reason is kept in x->drv_why
   for the caller to log.

   Returns 0 with every fd open. On failure returns -1, x holds no open fd
   and no mapping (x->log keeps the verifier log when the load failed, for
   the caller to print at debug level) and err says what and what to do:
   missing CAP_BPF/CAP_NET_ADMIN, verifier rejection (its last log line),
   driver without XDP in driver mode, another XDP program already on the
   interface (EBUSY/EEXIST: "see `ip link show IF`; detach it with `ip link
   set dev IF xdp off`"). Never pins anything. Not thread-safe on one x. */
int sl_xdp_install(sl_xdp_t *x, const char *ifname, uint32_t ifindex, uint32_t map_entries,
                   const sl_xdp_filter_t *f, int mode, int log_level_debug, sl_err_t *err);

/* sl_xdp_register points queue's slot of the XSKMAP at the AF_XDP socket
   xsk_fd (which must be bound to x's interface and that queue, with an RX
   ring). From then on matching packets of that queue go to the socket
   instead of the fallback. Fails on a queue beyond the map, or a socket the
   kernel refuses (not AF_XDP, not bound: EOPNOTSUPP). */
int sl_xdp_register(const sl_xdp_t *x, uint32_t queue, int xsk_fd, sl_err_t *err);

/* sl_xdp_register_fd: the same, for a process that kept only the map fd. */
int sl_xdp_register_fd(int map_fd, uint32_t queue, int xsk_fd, sl_err_t *err);

/* sl_xdp_unregister empties queue's slot (its packets fall back again).
   An already empty slot is not an error. */
int sl_xdp_unregister(const sl_xdp_t *x, uint32_t queue, sl_err_t *err);

/* sl_xdp_close closes this process's link, program and map fds (each -1
   afterwards; idempotent) and unmaps its view of the counters (a forked
   tile's stays). The program detaches when no other process still holds a
   copy of the link fd. */
void sl_xdp_close(sl_xdp_t *x);

/* sl_xdp_mode_str: "drv", "skb", or "none" (not attached). */
const char *sl_xdp_mode_str(const sl_xdp_t *x);

#endif
