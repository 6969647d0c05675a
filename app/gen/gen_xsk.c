/* app/gen/gen_xsk.c: gen's AF_XDP transmit mode. See gen_xsk.h. */
#include "app/gen/gen_xsk.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tiles/frame.h"
#include "tiles/net/xsk.h"
#include "util/time.h"

#define XSK_FRAME_SZ 2048u
#define XSK_RING_DEFAULT 1024u
#define XSK_QUEUES_MAX 64u
#define BATCH 64u
#define KICKS_MAX 256u /* per flush: 256 kicks x 32 frames covers any ring we make */
#define SPORT_BASE 10000u
#define SPORT_SPAN 50000u

void sl_gen_xsk_opts_default(sl_gen_xsk_opts_t *x) { memset(x, 0, sizeof *x); }

/* ---- addresses ---------------------------------------------------------- */

static int if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  memset(ifr, 0, sizeof *ifr);
  snprintf(ifr->ifr_name, sizeof ifr->ifr_name, "%s", ifname);
  int rc = ioctl(fd, req, ifr);
  close(fd);
  return rc;
}

/* The complete neighbor entry of ip (network order) on ifname, from the
   kernel's ARP table (/proc/net/arp is per network namespace). */
static int arp_lookup(const char *ifname, uint32_t ip, uint8_t mac[6]) {
  FILE *f = fopen("/proc/net/arp", "r");
  if (!f) return -1;
  char line[256];
  int found = -1;
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return -1;
  }
  while (fgets(line, sizeof line, f)) {
    char ips[64], hw[64], mask[32], dev[IF_NAMESIZE + 8];
    unsigned type, flags;
    if (sscanf(line, "%63s 0x%x 0x%x %63s %31s %23s", ips, &type, &flags, hw, mask, dev) != 6) continue;
    struct in_addr a;
    if (inet_pton(AF_INET, ips, &a) != 1 || a.s_addr != ip || strcmp(dev, ifname) || !(flags & 0x2)) continue;
    unsigned m[6];
    if (sscanf(hw, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) continue;
    for (int k = 0; k < 6; k++) mac[k] = (uint8_t)m[k];
    found = 0;
  }
  fclose(f);
  return found;
}

/* The default gateway on ifname (network order), from /proc/net/route; 0
   if none. */
static uint32_t default_gateway(const char *ifname) {
  FILE *f = fopen("/proc/net/route", "r");
  if (!f) return 0;
  char line[256], dev[IF_NAMESIZE + 8];
  unsigned dst, gw, flags, mask;
  uint32_t found = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%23s %x %x %x %*s %*s %*s %x", dev, &dst, &gw, &flags, &mask) == 5 && !strcmp(dev, ifname) &&
        dst == 0 && mask == 0 && gw && !found)
      found = gw; /* the file prints addresses in network order as a native word */
  fclose(f);
  return found;
}

int sl_gen_xsk_resolve(const sl_gen_opts_t *o, const sl_gen_xsk_opts_t *x, sl_gen_xsk_addr_t *a,
                       sl_err_t *err) {
  memset(a, 0, sizeof *a);
  const char *ifn = x->ifname;
  if (!ifn || !ifn[0]) return sl_err_set(err, "gen --interface: no interface given");
  if (!if_nametoindex(ifn)) return sl_err_set(err, "gen --interface %s: no such interface (see `ip link`)", ifn);
  struct ifreq ifr;
  if (if_ioctl(ifn, SIOCGIFFLAGS, &ifr)) return sl_err_set(err, "gen --interface %s: %s", ifn, strerror(errno));
  if (!(ifr.ifr_flags & IFF_UP))
    return sl_err_set(err, "gen --interface %s: the interface is down (`ip link set dev %s up`)", ifn, ifn);
  if (if_ioctl(ifn, SIOCGIFHWADDR, &ifr)) return sl_err_set(err, "gen --interface %s: %s", ifn, strerror(errno));
  memcpy(a->src_mac, ifr.ifr_hwaddr.sa_data, 6);

  struct ifaddrs *ifa = NULL, *it;
  uint32_t mask = 0;
  if (getifaddrs(&ifa)) return sl_err_set(err, "gen --interface %s: getifaddrs: %s", ifn, strerror(errno));
  for (it = ifa; it; it = it->ifa_next)
    if (it->ifa_addr && it->ifa_addr->sa_family == AF_INET && !strcmp(it->ifa_name, ifn)) {
      a->src_ip4 = ((struct sockaddr_in *)it->ifa_addr)->sin_addr.s_addr;
      mask = it->ifa_netmask ? ((struct sockaddr_in *)it->ifa_netmask)->sin_addr.s_addr : 0xffffffffu;
      break;
    }
  freeifaddrs(ifa);
  if (!a->src_ip4)
    return sl_err_set(err, "gen --interface %s: the interface has no IPv4 address (`ip addr add A/N dev %s`)", ifn, ifn);

  a->dst_ip4 = o->dst_ip4;
  char dst[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a->dst_ip4, dst, sizeof dst);
  if (x->have_dst_mac) {
    memcpy(a->dst_mac, x->dst_mac, 6);
    a->next_hop_ip4 = a->dst_ip4;
    return 0;
  }
  a->next_hop_ip4 = a->dst_ip4;
  if ((a->dst_ip4 & mask) != (a->src_ip4 & mask)) {
    a->next_hop_ip4 = default_gateway(ifn);
    if (!a->next_hop_ip4)
      return sl_err_set(err, "gen --interface %s: %s is not on %s's subnet and %s has no default gateway; give "
                        "the next hop's MAC address", ifn, dst, ifn, ifn);
  }
  if (!arp_lookup(ifn, a->next_hop_ip4, a->dst_mac)) return 0;

  /* Not in the neighbor table yet: one datagram through the kernel makes
     it resolve the next hop. Port 9 (discard), so the receiver's filter
     passes it to its kernel stack rather than counting it. */
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifn, (socklen_t)strlen(ifn) + 1);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = a->dst_ip4};
    (void)sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof sa);
    close(fd);
  }
  for (int k = 0; k < 100; k++) {
    sl_sleep_ns(10000000ull, NULL);
    if (!arp_lookup(ifn, a->next_hop_ip4, a->dst_mac)) return 0;
  }
  char hop[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a->next_hop_ip4, hop, sizeof hop);
  return sl_err_set(err, "gen --interface %s: no neighbor entry for %s after 1 s (is it reachable? `ip neigh show dev "
                    "%s`); give its MAC address", ifn, hop, ifn);
}

/* ---- transmit ----------------------------------------------------------- */

typedef struct {
  sl_xsk_t x;
  uint8_t *umem;
  uint64_t umem_sz;
  uint32_t *free_stk;
  uint32_t free_cnt;
  uint8_t *cat;        /* category of the packet each frame carries */
  uint32_t reserved;   /* TX slots filled in this batch, not yet submitted */
  uint64_t outstanding;/* submitted, not completed */
} txq_t;

typedef struct {
  txq_t *q;
  uint32_t cnt;
  sl_gen_result_t *res;
  uint64_t completed;
  uint64_t kicks;
} tx_t;

static uint32_t if_txq_cnt(const char *ifname) {
  char path[128];
  uint32_t n = 0;
  for (; n < XSK_QUEUES_MAX; n++) {
    snprintf(path, sizeof path, "/sys/class/net/%s/queues/tx-%u", ifname, n);
    if (access(path, F_OK)) break;
  }
  return n ? n : 1;
}

static void txq_close(txq_t *t) {
  sl_xsk_close(&t->x);
  if (t->umem) munmap(t->umem, t->umem_sz);
  free(t->free_stk);
  free(t->cat);
  memset(t, 0, sizeof *t);
  t->x.fd = -1;
}

static int txq_open(txq_t *t, const char *ifn, uint32_t queue, uint32_t ring, int zero_copy, sl_err_t *err) {
  memset(t, 0, sizeof *t);
  sl_xsk_init(&t->x);
  uint32_t frames = 2 * ring;
  t->umem_sz = (uint64_t)frames * XSK_FRAME_SZ;
  t->umem = mmap(NULL, t->umem_sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (t->umem == MAP_FAILED) {
    t->umem = NULL;
    return sl_err_set(err, "gen --interface %s: cannot map %llu bytes of UMEM: %s", ifn,
                      (unsigned long long)t->umem_sz, strerror(errno));
  }
  t->free_stk = malloc(frames * sizeof *t->free_stk);
  t->cat = calloc(frames, 1);
  if (!t->free_stk || !t->cat) return sl_err_set(err, "gen --interface %s: out of memory", ifn);
  for (uint32_t k = 0; k < frames; k++) t->free_stk[k] = frames - 1 - k;
  t->free_cnt = frames;
  sl_xsk_params_t p;
  memset(&p, 0, sizeof p);
  p.ifname = ifn;
  p.queue_id = queue;
  p.umem = t->umem;
  p.frame_sz = XSK_FRAME_SZ;
  p.frame_cnt = frames;
  p.tx_size = ring;
  p.comp_size = frames; /* room for every frame: completions never wait on us */
  p.zero_copy = zero_copy;
  return sl_xsk_open(&t->x, &p, err);
}

/* Takes completed frames back onto the free stack. */
static void reap(tx_t *s, txq_t *t) {
  uint32_t idx;
  uint32_t n = sl_xsk_cons_peek(&t->x.comp, t->x.comp.size, &idx);
  for (uint32_t k = 0; k < n; k++) {
    uint32_t frame = (uint32_t)(*sl_xsk_comp_addr(&t->x.comp, idx + k) / XSK_FRAME_SZ);
    t->free_stk[t->free_cnt++] = frame;
    s->res->cat[t->cat[frame]]++;
  }
  if (n) sl_xsk_cons_release(&t->x.comp, n);
  t->outstanding -= n;
  s->completed += n;
}

/* Makes the kernel send what t's TX ring holds. Copy mode sends at most 32
   frames per kick and answers EAGAIN while more remain, so kicks repeat;
   EBUSY/ENOBUFS (device queue full) end the round: the caller retries.
   Returns 0 or an errno that is not transient. */
static int flush(tx_t *s, txq_t *t) {
  for (uint32_t k = 0; k < KICKS_MAX; k++) {
    if (!sl_xsk_prod_pending(&t->x.tx) || !sl_xsk_need_wakeup_tx(&t->x)) break;
    int e = sl_xsk_kick_tx(&t->x); /* the syscall: the kernel transmits in it (copy mode) */
    s->kicks++;
    if (!e || e == EAGAIN) continue;
    if (e == EBUSY || e == ENOBUFS || e == EINTR) break;
    return e;
  }
  return 0;
}

int sl_gen_send_xsk(const sl_gen_pool_t *p, const sl_gen_opts_t *o, const sl_gen_xsk_opts_t *x,
                    sl_gen_result_t *res, sl_err_t *err) {
  memset(res, 0, sizeof *res);
  if (sl_gen_opts_check(o, err)) return -1;
  if (o->count && !p->cnt) return sl_err_set(err, "gen: empty packet pool for %llu packets", (unsigned long long)o->count);
  sl_gen_xsk_addr_t ad;
  if (sl_gen_xsk_resolve(o, x, &ad, err)) return -1;
  const char *ifn = x->ifname;
  uint32_t ring = x->ring_size ? x->ring_size : XSK_RING_DEFAULT;
  if (ring & (ring - 1) || ring < 64 || ring > 32768)
    return sl_err_set(err, "gen --interface %s: ring size %u is not a power of two in 64..32768", ifn, ring);
  uint32_t qcnt = x->queue_cnt ? x->queue_cnt : if_txq_cnt(ifn);
  if (qcnt > XSK_QUEUES_MAX) qcnt = XSK_QUEUES_MAX;

  tx_t s = {.cnt = qcnt, .res = res};
  s.q = calloc(qcnt, sizeof *s.q);
  if (!s.q) return sl_err_set(err, "gen: out of memory");
  for (uint32_t k = 0; k < qcnt; k++) s.q[k].x.fd = -1;
  int rc = 0;
  for (uint32_t k = 0; k < qcnt && !rc; k++) rc = txq_open(&s.q[k], ifn, k, ring, x->zero_copy, err);

  sl_frame_addr_t fa;
  memset(&fa, 0, sizeof fa);
  memcpy(fa.src_mac, ad.src_mac, 6);
  memcpy(fa.dst_mac, ad.dst_mac, 6);
  fa.src_ip4 = ad.src_ip4;
  fa.dst_ip4 = ad.dst_ip4;

  uint64_t i = 0;
  uint64_t t0 = sl_now_ns();
  sl_gen_pacer_t pc;
  sl_gen_pacer_init(&pc, o->rate, o->count, BATCH, o->stop, t0);
  while (!rc && i < o->count && !sl_gen_pacer_stopped(&pc)) {
    uint64_t want = sl_gen_pacer_next_burst(&pc, i, sl_now_ns());
    if (!want) {
      sl_gen_pacer_wait(&pc);
      for (uint32_t k = 0; k < qcnt; k++) reap(&s, &s.q[k]); /* frames free up while we wait */
      continue;
    }

    /* Packet i+j goes to queue (i+j) % qcnt; the batch ends at the first
       packet whose queue has no free frame or TX slot, so packets leave in
       index order per queue. */
    uint64_t j = 0;
    for (; j < want; j++) {
      uint64_t n = i + j;
      txq_t *t = &s.q[n % qcnt];
      uint32_t idx;
      if (!t->free_cnt || !sl_xsk_prod_reserve(&t->x.tx, 1, &idx)) break;
      uint32_t frame = t->free_stk[--t->free_cnt];
      const sl_gen_pkt_t *pk = &p->pkt[n % p->cnt];
      uint8_t *f = t->umem + (uint64_t)frame * XSK_FRAME_SZ;
      fa.dst_port = o->dst_port[n % o->dst_port_cnt];
      fa.src_port = o->src_port ? o->src_port : (uint16_t)(SPORT_BASE + n % SPORT_SPAN);
      fa.ip_id = (uint16_t)n;
      uint32_t h = sl_frame_build_hdr(f, &fa, pk->sz);
      memcpy(f + h, pk->data, pk->sz);
      struct xdp_desc *d = sl_xsk_tx_desc(&t->x.tx, idx);
      d->addr = (uint64_t)frame * XSK_FRAME_SZ;
      d->len = h + pk->sz;
      d->options = 0;
      t->cat[frame] = (uint8_t)sl_gen_pkt_cat(p, n);
      t->reserved++;
    }
    for (uint32_t k = 0; k < qcnt && !rc; k++) {
      txq_t *t = &s.q[k];
      if (t->reserved) {
        sl_xsk_prod_submit(&t->x.tx, t->reserved);
        t->outstanding += t->reserved;
        t->reserved = 0;
      }
      int e = flush(&s, t);
      if (e)
        rc = sl_err_set(err, "gen --interface %s: AF_XDP transmit on queue %u failed: %s", ifn, k, strerror(e));
      reap(&s, t);
    }
    uint64_t now = sl_now_ns();
    if (j) {
      i += j;
      sl_gen_pacer_progress(&pc, now);
    } else if (sl_gen_pacer_stalled(&pc, now)) {
      rc = sl_err_set(err, "gen --interface %s: the kernel completed no frame for %.0f s (link down or driver "
                      "stuck?)", ifn, (double)SL_GEN_STALL_NS / 1e9);
    } else {
      sl_gen_pacer_backoff(&pc); /* every ring is full: let the kernel catch up */
    }
  }

  /* Drain: every submitted frame completes (counted) or the stall ends it. */
  uint64_t outstanding = 1, last_done = s.completed;
  sl_gen_pacer_progress(&pc, sl_now_ns());
  while (outstanding) {
    outstanding = 0;
    for (uint32_t k = 0; k < qcnt; k++) {
      if (!s.q[k].outstanding) continue;
      int e = flush(&s, &s.q[k]);
      if (e && !rc)
        rc = sl_err_set(err, "gen --interface %s: AF_XDP transmit on queue %u failed: %s", ifn, k, strerror(e));
      reap(&s, &s.q[k]);
      outstanding += s.q[k].outstanding;
    }
    if (!outstanding) break;
    uint64_t now = sl_now_ns();
    if (s.completed != last_done) {
      last_done = s.completed;
      sl_gen_pacer_progress(&pc, now);
    } else if (sl_gen_pacer_stalled(&pc, now)) {
      if (!rc)
        rc = sl_err_set(err, "gen --interface %s: %llu frames never completed (link down or driver stuck?)", ifn,
                        (unsigned long long)outstanding);
      break;
    }
    sl_sleep_ns(20000, NULL); /* not the pacer's backoff: the stop flag, likely set, must not cut the drain */
  }
  uint64_t t_end = sl_now_ns();

  for (uint32_t k = 0; k < qcnt; k++) {
    sl_xsk_stats_t st;
    if (!rc && s.q[k].x.fd >= 0 && !sl_xsk_stats(&s.q[k].x, &st, NULL) && st.tx_invalid_descs)
      rc = sl_err_set(err, "gen --interface %s: the kernel rejected %llu TX descriptors on queue %u", ifn,
                      (unsigned long long)st.tx_invalid_descs, k);
    txq_close(&s.q[k]);
  }
  free(s.q);
  res->sent = s.completed;
  res->seconds = (double)(t_end - t0) / 1e9;
  res->pps = res->seconds > 0 ? (double)res->sent / res->seconds : 0.0;
  return rc;
}
