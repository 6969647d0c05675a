/* The supervisor's XDP setup. See xdp_setup.h. */
#include "tiles/net/xdp_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static void add_warn(sl_net_xdp_t *s, const char *msg) {
  SL_WARN("%s", msg);
  size_t l = strlen(s->warn);
  if (l + 3 < sizeof s->warn) snprintf(s->warn + l, sizeof s->warn - l, "%s%s", l ? "; " : "", msg);
}

static int check_interface(sl_net_xdp_t *s, const sl_net_xdp_params_t *p, sl_err_t *err) {
  const sl_iface_t *ifc = p->iface;
  const char *ifn = ifc->name;
  if (!(ifc->flags & IFF_UP))
    return sl_err_set(err, "interface %s is down; bring it up with `ip link set dev %s up`", ifn, ifn);
  uint32_t rxq = ifc->rxq_cnt;
  if (rxq && p->queue_cnt > rxq)
    return sl_err_set(err,
                      "interface %s has %u RX queue%s but %u net tiles need queues 0..%u; raise them with "
                      "`ethtool -L %s combined %u` or set [layout] net_tile_count = %u",
                      ifn, rxq, rxq == 1 ? "" : "s", p->queue_cnt, p->queue_cnt - 1, ifn, p->queue_cnt, rxq);
  char msg[200];
  if (ifc->flags & IFF_LOOPBACK) {
    snprintf(msg, sizeof msg,
             "%s is a loopback: its tx-udp-segmentation is incompatible with AF_XDP (large local sends "
             "may not arrive); prefer a real interface or provider = \"io_uring\"", ifn);
    add_warn(s, msg);
  }
  if (ifc->gro_fwd == 1) {
    snprintf(msg, sizeof msg,
             "%s has rx-udp-gro-forwarding on: AF_XDP may receive GRO super-packets; turn it off with "
             "`ethtool -K %s rx-udp-gro-forwarding off` (or `sluice configure init ethtool`)", ifn, ifn);
    add_warn(s, msg);
  }
  return 0;
}

int sl_net_xdp_setup(sl_net_xdp_t *s, const sl_net_xdp_params_t *p, sl_err_t *err) {
  memset(s, 0, sizeof *s);
  for (uint32_t i = 0; i < SL_NET_TILE_MAX; i++) sl_xsk_init(&s->xsk[i]);
  if (!p->iface || !p->iface->ifindex) return sl_err_set(err, "XDP: no interface given ([net] interface)");
  const char *ifname = p->iface->name;
  snprintf(s->ifname, sizeof s->ifname, "%s", ifname);
  s->queue_cnt = p->queue_cnt;
  if (!p->queue_cnt || p->queue_cnt > SL_NET_TILE_MAX)
    return sl_err_set(err, "XDP on %s: %u net tiles; 1..%u supported", ifname, p->queue_cnt,
                      SL_NET_TILE_MAX);
  if (!p->port_cnt || p->port_cnt > SL_PORTS_MAX)
    return sl_err_set(err, "XDP on %s: %u ports; 1..%u supported", ifname, p->port_cnt,
                      SL_PORTS_MAX);
  if (check_interface(s, p, err)) return -1;

  s->xdp = malloc(sizeof *s->xdp);
  if (!s->xdp) return sl_err_set(err, "XDP on %s: out of memory", ifname);
  sl_xdp_init(s->xdp);
  sl_xdp_filter_t f;
  memset(&f, 0, sizeof f);
  memcpy(f.ports, p->ports, p->port_cnt * sizeof f.ports[0]);
  f.port_cnt = p->port_cnt;
  f.dst_addr = p->bind_addr;
  f.xskmap_fd = -1;
  f.counters_fd = -1;
  f.fallback = XDP_PASS;
  /* The maps cover every queue the interface has, not only those with a
     net tile: what RSS steers to the others is counted as no_socket. */
  uint32_t entries = p->iface->rxq_cnt > p->queue_cnt ? p->iface->rxq_cnt : p->queue_cnt;
  if (sl_xdp_install(s->xdp, ifname, p->iface->ifindex, entries, &f, p->mode, p->debug, err)) {
    if (s->xdp->log[0]) SL_DEBUG("eBPF verifier log for the XDP filter on %s:\n%s", ifname, s->xdp->log);
    free(s->xdp);
    s->xdp = NULL;
    return -1;
  }
  if (s->xdp->drv_why[0])
    SL_INFO("XDP on %s: driver mode unavailable (%s); using generic (skb) mode", ifname, s->xdp->drv_why);

  for (uint32_t i = 0; i < p->queue_cnt; i++) {
    sl_xsk_params_t xp;
    memset(&xp, 0, sizeof xp);
    xp.ifindex = s->xdp->ifindex;
    xp.queue_id = i;
    xp.umem = p->wksp_base + p->pool_off[i];
    xp.frame_sz = p->frame_sz;
    xp.frame_cnt = p->frame_cnt;
    xp.rx_size = p->rx_queue_size;
    xp.fill_size = 2 * p->rx_queue_size;
    xp.zero_copy = p->zero_copy;
    s->pool_off[i] = p->pool_off[i];
    if (sl_xsk_open(&s->xsk[i], &xp, err) ||
        sl_xdp_register(s->xdp, i, s->xsk[i].fd, err)) {
      sl_err_prefix(err, "net:%u", i);
      sl_net_xdp_close(s);
      return -1;
    }
    s->xsk_cnt = i + 1;
    if (s->xsk[i].busy_retries)
      SL_DEBUG("AF_XDP socket on %s queue %u bound after %u EBUSY retries", ifname, i, s->xsk[i].busy_retries);
  }
  return 0;
}

const char *sl_net_xdp_mode(const sl_net_xdp_t *s) { return s->xdp ? sl_xdp_mode_str(s->xdp) : "none"; }

void sl_net_xdp_release_sockets(sl_net_xdp_t *s) {
  for (uint32_t i = 0; i < SL_NET_TILE_MAX; i++)
    if (s->xsk[i].fd >= 0 || s->xsk[i].fill.map) sl_xsk_close(&s->xsk[i]);
}

void sl_net_xdp_close(sl_net_xdp_t *s) {
  sl_net_xdp_release_sockets(s);
  s->xsk_cnt = 0;
  if (s->xdp) {
    sl_xdp_close(s->xdp);
    free(s->xdp);
    s->xdp = NULL;
  }
}

