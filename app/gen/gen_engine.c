/* app/gen/gen_engine.c: packet pool construction and the sendmmsg sender. */
#include "app/gen/gen_engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "tiles/verify/txn.h"
#include "util/time.h"

#define POOL_MAX (1ull << 24)   /* distinct packets (up to ~20 GiB of arena at 1232 bytes each) */
#define THREADS_MAX 16u
#define BURST_NS 50000ull       /* paced: wait until this much traffic is due, then send it at once */
#define SLEEP_OVER_NS 150000ull /* waits longer than this sleep, shorter ones spin */
#define SLEEP_EARLY_NS 100000ull /* sleeps overshoot (timer slack, wakeup latency): wake early, spin the rest */
#define BACKOFF_NS 20000ull      /* kernel took nothing: short, so sending resumes soon after it drains */

/* Stream numbers of the PRNG (packet i uses stream i). */
#define STREAM_CATEGORIES (UINT64_MAX - 1)

void sl_gen_opts_default(sl_gen_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->count = 1000;
  o->seed = 1;
  o->version = SL_TXN_VER_ANY;
}

int sl_gen_opts_check(const sl_gen_opts_t *o, sl_err_t *err) {
  if (o->dst_port_cnt < 1 || o->dst_port_cnt > SL_PORTS_MAX)
    return sl_err_set(err, "--dst: give 1..%u destination ports", SL_PORTS_MAX);
  for (uint32_t i = 0; i < o->dst_port_cnt; i++)
    if (!o->dst_port[i]) return sl_err_set(err, "--dst: port 0 is not a destination");
  const double r[3] = {o->dup, o->bad_sig, o->malformed};
  const char *n[3] = {"--dup", "--bad-sig", "--malformed"};
  for (int i = 0; i < 3; i++)
    if (!(r[i] >= 0.0 && r[i] <= 1.0)) return sl_err_set(err, "%s: ratio %g is not in [0, 1]", n[i], r[i]);
  if (r[0] + r[1] + r[2] > 1.0 + 1e-9)
    return sl_err_set(err, "--dup + --bad-sig + --malformed = %g: the ratios must sum to at most 1", r[0] + r[1] + r[2]);
  if (o->sigs > SL_TXN_BUILD_SIGS_MAX) return sl_err_set(err, "--sigs: %u is not in 1..%u", o->sigs, SL_TXN_BUILD_SIGS_MAX);
  if (o->size > SL_TXN_MTU) return sl_err_set(err, "--size: %u bytes exceeds the %u-byte transaction MTU", o->size, SL_TXN_MTU);
  if (o->version > SL_TXN_VER_V0) return sl_err_set(err, "version %u is not one of any, legacy, v0", o->version);
  if (o->pool > POOL_MAX) return sl_err_set(err, "--pool: %llu exceeds %llu", (unsigned long long)o->pool, POOL_MAX);
  if (o->threads > THREADS_MAX) return sl_err_set(err, "threads: %u exceeds %u", o->threads, THREADS_MAX);
  return 0;
}

/* ---- pool --------------------------------------------------------------- */

typedef struct {
  sl_gen_pool_t *p;
  const sl_gen_opts_t *o;
  const sl_txn_keys_t *keys;
  uint64_t lo, hi;  /* packets [lo, hi) */
  uint8_t *arena;   /* this worker's bytes; pkt[i].data holds an offset until joined */
  uint64_t cap, used;
  int failed;
  uint32_t bad_variant; /* 1 + variant the parser disagreed with, 0 if none */
} worker_t;

static void *worker_main(void *arg) {
  worker_t *w = arg;
  const sl_gen_opts_t *o = w->o;
  for (uint64_t i = w->lo; i < w->hi; i++) {
    sl_gen_pkt_t *k = &w->p->pkt[i];
    if (k->cat == SL_GEN_DUP) continue;
    if (w->cap - w->used < SL_TXN_MTU) {
      uint64_t cap = w->cap * 2 + 64 * SL_TXN_MTU;
      uint8_t *a = realloc(w->arena, cap);
      if (!a) {
        w->failed = 1;
        return NULL;
      }
      w->arena = a, w->cap = cap;
    }
    sl_rng_t r;
    sl_rng_seed(&r, o->seed, i);
    sl_txn_spec_t spec = {.kind = k->cat == SL_GEN_VALID     ? SL_TXN_VALID
                                  : k->cat == SL_GEN_BAD_SIG ? SL_TXN_BAD_SIG
                                                             : SL_TXN_MALFORMED,
                          .variant = SL_TXN_VARIANT_ANY,
                          .sigs = o->sigs,
                          .version = o->version,
                          .size = o->size};
    /* The verify tile's parser is the judge of "malformed": a packet it
       classifies otherwise would be miscounted, so check each one and draw
       again (the builder is meant never to need this). */
    sl_txn_info_t info;
    uint32_t sz = 0;
    int tries = 0;
    for (;; tries++) {
      if (tries == 8) {
        w->failed = 1;
        w->bad_variant = info.variant + 1u;
        return NULL;
      }
      sz = sl_txn_build(w->arena + w->used, w->keys, i, &r, &spec, &info);
      sl_txn_t t;
      int malformed = sl_txn_parse(w->arena + w->used, sz, &t) != 0;
      if (malformed == (spec.kind == SL_TXN_MALFORMED)) break;
    }
    k->data = (const uint8_t *)(uintptr_t)w->used;
    k->sz = (uint16_t)sz;
    k->variant = info.variant;
    w->used += sz;
  }
  return NULL;
}

static uint32_t thread_cnt(const sl_gen_opts_t *o, uint64_t n) {
  uint32_t t = o->threads;
  if (!t) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    t = c < 1 ? 1 : c > THREADS_MAX ? THREADS_MAX : (uint32_t)c;
  }
  uint64_t useful = (n + 255) / 256; /* not worth a thread below a few ms of signing */
  return useful < t ? (uint32_t)(useful ? useful : 1) : t;
}

int sl_gen_pool_new(sl_gen_pool_t *p, const sl_gen_opts_t *o, sl_err_t *err) {
  memset(p, 0, sizeof *p);
  if (sl_gen_opts_check(o, err)) return -1;
  uint64_t n = o->pool ? o->pool : SL_GEN_POOL_DEFAULT;
  if (n > o->count) n = o->count;
  if (!n) return 0;

  sl_txn_keys_t *keys = malloc(sizeof *keys);
  uint64_t *valid = malloc(n * sizeof *valid);
  p->pkt = calloc(n, sizeof *p->pkt);
  if (!keys || !valid || !p->pkt) {
    free(keys), free(valid), free(p->pkt);
    p->pkt = NULL;
    return sl_err_set(err, "gen: cannot allocate a pool of %llu packets (lower --pool)", (unsigned long long)n);
  }
  if (sl_txn_keys_init(keys, o->seed, SL_TXN_KEYS_MAX, err)) {
    free(keys), free(valid), free(p->pkt);
    p->pkt = NULL;
    return sl_err_prefix(err, "gen");
  }

  /* Categories first, in order: a duplicate must point at an earlier valid
     packet. Cheap, so sequential; the signing below is what is spread. */
  sl_rng_t r;
  sl_rng_seed(&r, o->seed, STREAM_CATEGORIES);
  uint64_t nvalid = 0;
  for (uint64_t i = 0; i < n; i++) {
    double u = sl_rng_unit(&r);
    uint32_t cat = u < o->dup                                ? SL_GEN_DUP
                   : u < o->dup + o->bad_sig                 ? SL_GEN_BAD_SIG
                   : u < o->dup + o->bad_sig + o->malformed  ? SL_GEN_MALFORMED
                                                             : SL_GEN_VALID;
    if (cat == SL_GEN_DUP && !nvalid) cat = SL_GEN_VALID;
    p->pkt[i].cat = (uint8_t)cat;
    if (cat == SL_GEN_DUP) p->pkt[i].dup_of = valid[(uint64_t)(sl_rng_unit(&r) * (double)nvalid)];
    if (cat == SL_GEN_VALID) valid[nvalid++] = i;
  }
  free(valid);

  uint32_t nt = thread_cnt(o, n);
  worker_t w[THREADS_MAX];
  pthread_t tid[THREADS_MAX];
  uint32_t started = 0;
  int fail = 0;
  for (uint32_t t = 0; t < nt; t++) {
    w[t] = (worker_t){.p = p, .o = o, .keys = keys, .lo = n * t / nt, .hi = n * (t + 1) / nt};
    if (pthread_create(&tid[t], NULL, worker_main, &w[t])) {
      fail = 1;
      break;
    }
    started++;
  }
  uint32_t bad_variant = 0;
  for (uint32_t t = 0; t < started; t++) {
    pthread_join(tid[t], NULL);
    fail |= w[t].failed;
    if (w[t].bad_variant) bad_variant = w[t].bad_variant;
  }
  sodium_memzero(keys, sizeof *keys);
  free(keys);

  p->arena = calloc(nt, sizeof *p->arena);
  if (fail || !p->arena) {
    for (uint32_t t = 0; t < started; t++) free(w[t].arena);
    free(p->arena), free(p->pkt);
    memset(p, 0, sizeof *p);
    if (bad_variant)
      return sl_err_set(err, "gen: the transaction builder and the strict parser disagree on variant %u (a bug: report it)",
                        bad_variant - 1);
    return sl_err_set(err, "gen: building the packet pool failed (out of memory or threads; lower --pool)");
  }
  p->arena_cnt = nt;
  p->cnt = n;
  for (uint32_t t = 0; t < nt; t++) {
    p->arena[t] = w[t].arena;
    for (uint64_t i = w[t].lo; i < w[t].hi; i++)
      if (p->pkt[i].cat != SL_GEN_DUP) p->pkt[i].data = w[t].arena + (uintptr_t)p->pkt[i].data;
  }
  for (uint64_t i = 0; i < n; i++)
    if (p->pkt[i].cat == SL_GEN_DUP) {
      p->pkt[i].data = p->pkt[p->pkt[i].dup_of].data;
      p->pkt[i].sz = p->pkt[p->pkt[i].dup_of].sz;
    }
  return 0;
}

void sl_gen_pool_delete(sl_gen_pool_t *p) {
  for (uint32_t t = 0; t < p->arena_cnt; t++) free(p->arena[t]);
  free(p->arena);
  free(p->pkt);
  memset(p, 0, sizeof *p);
}

/* ---- pacer -------------------------------------------------------------- */

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

void sl_gen_pacer_init(sl_gen_pacer_t *pc, uint64_t rate, uint64_t count, uint64_t burst_max, volatile int *stop,
                       uint64_t now) {
  uint64_t min_burst = (uint64_t)((unsigned __int128)rate * BURST_NS / 1000000000u);
  if (min_burst < 1) min_burst = 1;
  if (min_burst > burst_max) min_burst = burst_max;
  *pc = (sl_gen_pacer_t){.rate = rate, .count = count, .burst_max = burst_max, .min_burst = min_burst,
                         .t0 = now, .t_progress = now, .now = now, .wake = now, .stop = stop};
}

uint64_t sl_gen_pacer_next_burst(sl_gen_pacer_t *pc, uint64_t sent, uint64_t now) {
  uint64_t left = pc->count - sent;
  uint64_t want = left < pc->burst_max ? left : pc->burst_max;
  if (!pc->rate) return want;
  /* Packet k is due once now >= t0 + k / rate, so 1 + floor(elapsed *
     rate) are due: packet 0 goes at once. */
  uint64_t due = (uint64_t)((unsigned __int128)(now - pc->t0) * pc->rate / 1000000000u) + 1;
  if (due > pc->count) due = pc->count;
  uint64_t ready = due > sent ? due - sent : 0;
  if (ready < pc->min_burst && ready < left) {
    uint64_t last = pc->min_burst < left ? sent + pc->min_burst : pc->count; /* the burst's last packet + 1 */
    pc->now = now;
    pc->wake = pc->t0 + (uint64_t)((unsigned __int128)(last - 1) * 1000000000u / pc->rate);
    return 0;
  }
  return want < ready ? want : ready;
}

void sl_gen_pacer_wait(sl_gen_pacer_t *pc) {
  if (pc->wake > pc->now + SLEEP_OVER_NS) sl_sleep_ns(pc->wake - pc->now - SLEEP_EARLY_NS, pc->stop);
  else cpu_relax();
}

void sl_gen_pacer_backoff(sl_gen_pacer_t *pc) { sl_sleep_ns(BACKOFF_NS, pc->stop); }

/* ---- sender ------------------------------------------------------------- */

int sl_gen_send(const sl_gen_pool_t *p, const sl_gen_opts_t *o, sl_gen_result_t *res, sl_err_t *err) {
  memset(res, 0, sizeof *res);
  if (sl_gen_opts_check(o, err)) return -1;
  if (o->count && !p->cnt) return sl_err_set(err, "gen: empty packet pool for %llu packets", (unsigned long long)o->count);

  char dst[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &o->dst_ip4, dst, sizeof dst);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sl_err_set(err, "gen: socket: %s", strerror(errno));
  /* A deep send buffer absorbs bursts when the path is briefly slower than
     the schedule; the forced variant works as root, the plain one is
     clamped to net.core.wmem_max otherwise. */
  int sndbuf = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf))
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (o->src_port) {
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(o->src_port)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
      int e = errno;
      close(fd);
      return sl_err_set(err, "gen: bind to source port %u: %s (pick another --src-port)", o->src_port, strerror(e));
    }
  }

  struct sockaddr_in addr[SL_PORTS_MAX];
  for (uint32_t k = 0; k < o->dst_port_cnt; k++)
    addr[k] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(o->dst_port[k]), .sin_addr.s_addr = o->dst_ip4};
  /* One port: connect once so the kernel skips the per-packet route lookup.
     Several: address every message (packet i to port i % cnt). */
  int connected = o->dst_port_cnt == 1;
  if (connected && connect(fd, (struct sockaddr *)&addr[0], sizeof addr[0])) {
    int e = errno;
    close(fd);
    return sl_err_set(err, "gen: connect to %s:%u: %s", dst, o->dst_port[0], strerror(e));
  }

  struct mmsghdr msg[SL_GEN_BATCH];
  struct iovec iov[SL_GEN_BATCH];
  memset(msg, 0, sizeof msg);
  for (uint32_t j = 0; j < SL_GEN_BATCH; j++) {
    msg[j].msg_hdr.msg_iov = &iov[j];
    msg[j].msg_hdr.msg_iovlen = 1;
    msg[j].msg_hdr.msg_namelen = connected ? 0 : sizeof addr[0];
  }

  uint64_t i = 0, pi = 0; /* next packet, its pool index (i % cnt) */
  uint64_t t0 = sl_now_ns(), t_last = t0;
  sl_gen_pacer_t pc;
  sl_gen_pacer_init(&pc, o->rate, o->count, SL_GEN_BATCH, o->stop, t0);
  int rc = 0;
  while (i < o->count && !sl_gen_pacer_stopped(&pc)) {
    uint64_t want = sl_gen_pacer_next_burst(&pc, i, sl_now_ns());
    if (!want) {
      sl_gen_pacer_wait(&pc);
      continue;
    }

    uint64_t q = pi;
    for (uint32_t j = 0; j < want; j++) {
      const sl_gen_pkt_t *k = &p->pkt[q];
      iov[j].iov_base = (void *)k->data;
      iov[j].iov_len = k->sz;
      if (!connected) msg[j].msg_hdr.msg_name = &addr[(i + j) % o->dst_port_cnt];
      if (++q == p->cnt) q = 0;
    }
    /* The one syscall per batch: the kernel copies every datagram out. */
    int n = sendmmsg(fd, msg, (unsigned)want, 0);
    if (n < 0) {
      int e = errno;
      uint64_t now = sl_now_ns();
      /* ECONNREFUSED: an ICMP unreachable from an earlier packet, reported
         on the connected socket; this call sent nothing, the next one will. */
      if ((e == EINTR || e == ENOBUFS || e == EAGAIN || e == ECONNREFUSED) && !sl_gen_pacer_stalled(&pc, now)) {
        if (e == ENOBUFS || e == EAGAIN) sl_gen_pacer_backoff(&pc);
        continue;
      }
      rc = sl_err_set(err, "gen: sendmmsg to %s:%u: %s", dst, o->dst_port[i % o->dst_port_cnt], strerror(e));
      break;
    }
    for (int j = 0; j < n; j++) res->cat[sl_gen_pkt_cat(p, i + (uint64_t)j)]++;
    i += (uint64_t)n;
    pi = (pi + (uint64_t)n) % p->cnt;
    t_last = sl_now_ns();
    sl_gen_pacer_progress(&pc, t_last);
  }
  close(fd);

  res->sent = i;
  res->seconds = (double)(t_last - t0) / 1e9;
  res->pps = res->seconds > 0 ? (double)i / res->seconds : 0.0;
  return rc;
}

int sl_gen_run(const sl_gen_opts_t *o, sl_gen_result_t *res, sl_err_t *err) {
  memset(res, 0, sizeof *res);
  sl_gen_pool_t p;
  uint64_t t = sl_now_ns();
  if (sl_gen_pool_new(&p, o, err)) return -1;
  double build = (double)(sl_now_ns() - t) / 1e9;
  int rc = sl_gen_send(&p, o, res, err);
  res->build_seconds = build;
  sl_gen_pool_delete(&p);
  return rc;
}

int sl_gen_result_json(const sl_gen_result_t *r, char *buf, uint32_t bufsz) {
  return snprintf(buf, bufsz,
                  "{\"sent\": %llu, \"valid_unique\": %llu, \"duplicates\": %llu, \"bad_sig\": %llu, "
                  "\"malformed\": %llu, \"seconds\": %.6f, \"pps\": %.1f}",
                  (unsigned long long)r->sent, (unsigned long long)r->cat[SL_GEN_VALID],
                  (unsigned long long)r->cat[SL_GEN_DUP], (unsigned long long)r->cat[SL_GEN_BAD_SIG],
                  (unsigned long long)r->cat[SL_GEN_MALFORMED], r->seconds, r->pps);
}
