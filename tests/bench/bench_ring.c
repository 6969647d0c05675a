/* bench_ring: sluice links vs DPDK rte_ring, SP/SC, 32-byte elements,
   between two processes pinned to CPUs 0 and 1, in the same shared memory
   (the workspace).

   Throughput: the producer publishes --count elements as fast as it can; the
   consumer stamps the time it has seen (or, unreliable, accounted for) the
   last one; best of --runs. Latency: the producer publishes a burst every
   --pace-ns and stamps it; the consumer records now - stamp per element
   (CLOCK_MONOTONIC, same clock in both processes); p50/p99.

   usage: bench_ring [--count N] [--runs R] [--depth D] [--lat-samples S]
                     [--pace-ns P] [--only sluice-u|sluice-r|rte] */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "shmem/ring.h"
#include "shmem/wksp.h"
#include "util/log.h"
#include "util/time.h"

enum { IMPL_SLUICE_U = 0, IMPL_SLUICE_R = 1, IMPL_RTE = 2, IMPL_CNT = 3 };
static const char *const impl_name[IMPL_CNT] = {"sluice unreliable", "sluice reliable",
                                                "rte_ring SP/SC"};

#define ESZ 32u
#define BURST_MAX 32u

/* Control block shared by the two processes of one run. */
typedef struct {
  uint32_t ready; /* consumer is pinned and polling */
  uint32_t done;
  uint64_t t_start; /* producer, before the first element */
  uint64_t t_end;   /* consumer, after the last */
  uint64_t received;
  uint64_t lost;
  uint64_t bad; /* out-of-order or corrupt elements: must stay 0 */
  uint64_t lat_cnt;
} ctl_t;

typedef struct {
  sl_wksp_t w;
  uint64_t ring_off[2]; /* sluice unreliable, reliable */
  uint64_t rte_off;
  uint64_t ctl_off;
  uint64_t lat_off;
  uint64_t depth, count, lat_samples, pace_ns;
  int runs;
  int ncpu;
} bench_t;

static void pin(int cpu, int ncpu) {
  if (ncpu < 2) return;
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  if (sched_setaffinity(0, sizeof s, &s)) perror("sched_setaffinity");
}

static inline void cpu_relax(void) { __builtin_ia32_pause(); }

static void reset(bench_t *b, int impl) {
  memset(sl_wksp_laddr(&b->w, b->ctl_off), 0, sizeof(ctl_t));
  if (impl == IMPL_RTE) {
    struct rte_ring *r = sl_wksp_laddr(&b->w, b->rte_off);
    if (rte_ring_init(r, "bench", (unsigned)b->depth, RING_F_SP_ENQ | RING_F_SC_DEQ)) {
      fprintf(stderr, "rte_ring_init failed\n");
      exit(1);
    }
  } else {
    void *mem = sl_wksp_laddr(&b->w, b->ring_off[impl]);
    sl_ring_new(mem, b->depth, 1, 0, impl == IMPL_SLUICE_R);
  }
}

/* ---------------- consumer side (child, CPU 1) ---------------- */

static void record_lat(bench_t *b, ctl_t *c, uint64_t stamp) {
  uint32_t *lat = sl_wksp_laddr(&b->w, b->lat_off);
  uint64_t d = sl_now_ns() - stamp;
  if (c->lat_cnt < b->lat_samples) lat[c->lat_cnt++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void consume(bench_t *b, int impl, uint32_t burst, int latency, uint64_t total) {
  ctl_t *c = sl_wksp_laddr(&b->w, b->ctl_off);
  uint64_t got = 0, bad = 0, expect = 0;
  __atomic_store_n(&c->ready, 1, __ATOMIC_RELEASE);
  if (impl == IMPL_RTE) {
    struct rte_ring *r = sl_wksp_laddr(&b->w, b->rte_off);
    sl_frag_meta_t out[BURST_MAX];
    while (got < total) {
      unsigned n;
      if (burst == 1)
        n = rte_ring_sc_dequeue_elem(r, out, ESZ) == 0;
      else
        n = rte_ring_sc_dequeue_burst_elem(r, out, ESZ, burst, NULL);
      if (!n) {
        cpu_relax();
        continue;
      }
      for (unsigned i = 0; i < n; i++) {
        if (latency)
          record_lat(b, c, out[i].sig);
        else
          bad += out[i].sig != expect;
        expect++;
      }
      got += n;
    }
  } else {
    sl_ring_cons_t cons;
    if (sl_ring_cons_init(&cons, &b->w, b->ring_off[impl], 0, NULL)) _exit(3);
    sl_frag_meta_t out[BURST_MAX];
    uint64_t published_at = 0;
    /* Unreliable: done once every element is read or counted lost. */
    while (cons.seq < total) {
      uint32_t n = burst == 1 ? sl_ring_poll(&cons, out) == SL_RING_OK
                              : sl_ring_consume_burst(&cons, out, burst);
      if (!n) {
        /* Idle: hand back credit (reliable), once per change of position. */
        if (cons.seq != published_at) {
          sl_ring_cons_publish(&cons);
          published_at = cons.seq;
        }
        cpu_relax();
        continue;
      }
      for (uint32_t i = 0; i < n; i++) {
        if (latency)
          record_lat(b, c, out[i].sig);
        else
          bad += out[i].sig != out[i].seq;
      }
      got += n;
      /* Reliable: progress every depth/4 frags keeps the producer fed. */
      if (cons.seq - published_at >= b->depth / 4) {
        sl_ring_cons_publish(&cons);
        published_at = cons.seq;
      }
    }
    sl_ring_cons_publish(&cons);
    c->lost = cons.overrun_poll;
  }
  c->t_end = sl_now_ns();
  c->received = got;
  c->bad = bad;
  __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}

/* ---------------- producer side (parent, CPU 0) ---------------- */

static void produce(bench_t *b, int impl, uint32_t burst, int latency, uint64_t total) {
  ctl_t *c = sl_wksp_laddr(&b->w, b->ctl_off);
  sl_frag_meta_t in[BURST_MAX];
  memset(in, 0, sizeof in);
  uint64_t next_t = 0;
  sl_ring_prod_t prod;
  struct rte_ring *r = sl_wksp_laddr(&b->w, b->rte_off);
  if (impl != IMPL_RTE && sl_ring_prod_init(&prod, &b->w, b->ring_off[impl], NULL)) exit(1);
  c->t_start = sl_now_ns();
  next_t = c->t_start;
  for (uint64_t i = 0; i < total; i += burst) {
    uint64_t stamp = 0;
    if (latency) {
      while (sl_now_ns() < next_t) cpu_relax();
      stamp = sl_now_ns();
      /* Paced from the actual send time: after a preemption the producer
         does not catch up in a rush (that would measure queueing). */
      next_t = stamp + b->pace_ns;
    }
    for (uint32_t k = 0; k < burst; k++) {
      in[k].seq = i + k;
      in[k].sig = latency ? stamp : i + k;
      in[k].sz = 32;
    }
    if (impl == IMPL_RTE) {
      if (burst == 1)
        while (rte_ring_sp_enqueue_elem(r, in, ESZ)) cpu_relax();
      else
        while (!rte_ring_sp_enqueue_bulk_elem(r, in, ESZ, burst, NULL)) cpu_relax();
    } else {
      if (impl == IMPL_SLUICE_R)
        while (sl_ring_credits(&prod) < burst && sl_ring_prod_housekeep(&prod) < burst) cpu_relax();
      if (burst == 1)
        sl_ring_publish(&prod, in[0].sig, 0, 32, 0, 0, 0);
      else
        sl_ring_publish_burst(&prod, in, burst);
    }
  }
  if (impl != IMPL_RTE) sl_ring_prod_housekeep(&prod);
}

typedef struct {
  double mfps; /* million elements per second */
  double lost_pct;
  uint32_t p50, p99;
} result_t;

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* One run: fork the consumer on CPU 1, produce on CPU 0. */
static int run_once(bench_t *b, int impl, uint32_t burst, int latency, result_t *res) {
  uint64_t total = latency ? b->lat_samples : b->count;
  total -= total % burst;
  reset(b, impl);
  ctl_t *c = sl_wksp_laddr(&b->w, b->ctl_off);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    pin(1, b->ncpu);
    consume(b, impl, burst, latency, total);
    _exit(0);
  }
  uint64_t t0 = sl_now_ns();
  while (!__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE)) {
    if (sl_now_ns() - t0 > 5000000000ull) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      fprintf(stderr, "bench_ring: consumer did not start\n");
      return -1;
    }
    usleep(100);
  }
  usleep(1000); /* let the consumer settle into its poll loop */
  produce(b, impl, burst, latency, total);
  t0 = sl_now_ns();
  while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
    if (sl_now_ns() - t0 > 30000000000ull) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      fprintf(stderr, "bench_ring: %s consumer stuck\n", impl_name[impl]);
      return -1;
    }
    usleep(100);
  }
  int st;
  waitpid(pid, &st, 0);
  if (c->bad) {
    fprintf(stderr, "bench_ring: %s delivered %llu bad elements\n", impl_name[impl],
            (unsigned long long)c->bad);
    return -1;
  }
  res->mfps = (double)c->received / ((double)(c->t_end - c->t_start) / 1e3); /* delivered */
  res->lost_pct = 100.0 * (double)c->lost / (double)total;
  res->p50 = res->p99 = 0;
  if (latency && c->lat_cnt) {
    uint32_t *lat = sl_wksp_laddr(&b->w, b->lat_off);
    qsort(lat, c->lat_cnt, sizeof *lat, cmp_u32);
    res->p50 = lat[c->lat_cnt / 2];
    res->p99 = lat[c->lat_cnt * 99 / 100];
  }
  return 0;
}

static uint64_t arg_u64(int argc, char **argv, const char *name, uint64_t def) {
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], name)) return strtoull(argv[i + 1], NULL, 0);
  return def;
}

int main(int argc, char **argv) {
  bench_t b;
  memset(&b, 0, sizeof b);
  b.count = arg_u64(argc, argv, "--count", 20000000);
  b.runs = (int)arg_u64(argc, argv, "--runs", 5);
  b.depth = arg_u64(argc, argv, "--depth", 16384);
  b.lat_samples = arg_u64(argc, argv, "--lat-samples", 200000);
  b.pace_ns = arg_u64(argc, argv, "--pace-ns", 2000);
  const char *only = NULL;
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--only")) only = argv[i + 1];
  b.ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (b.depth < 64 || (b.depth & (b.depth - 1)) || b.runs < 1 || b.count < 1024) {
    fprintf(stderr, "usage: bench_ring [--count N>=1024] [--runs R] [--depth pow2>=64] "
                    "[--lat-samples S] [--pace-ns P] [--only sluice-u|sluice-r|rte] [--burst 1|32]\n");
    return 2;
  }

  sl_log_set_level(SL_LOG_ERR);
  char name[64];
  snprintf(name, sizeof name, "slbench-ring-%d", (int)getpid());
  sl_wksp_params_t p;
  sl_wksp_params_default(&p);
  p.name = name;
  ssize_t rte_sz = rte_ring_get_memsize_elem(ESZ, (unsigned)b.depth);
  if (rte_sz < 0) {
    fprintf(stderr, "rte_ring_get_memsize_elem failed\n");
    return 1;
  }
  p.size = 2 * sl_wksp_budget(128, sl_ring_footprint(b.depth, 1, 0)) +
           sl_wksp_budget(128, (uint64_t)rte_sz) + sl_wksp_budget(128, sizeof(ctl_t)) +
           sl_wksp_budget(128, b.lat_samples * 4);
  sl_err_t err;
  if (sl_wksp_create(&b.w, &p, &err)) {
    fprintf(stderr, "bench_ring: %s\n", err.msg);
    return 1;
  }
  if (sl_ring_create(&b.w, "u", b.depth, 1, 0, 0, NULL, &b.ring_off[0], &err) ||
      sl_ring_create(&b.w, "r", b.depth, 1, 0, 1, NULL, &b.ring_off[1], &err) ||
      sl_wksp_alloc(&b.w, "rte", SL_OBJ_OTHER, 128, (uint64_t)rte_sz, &b.rte_off, &err) ||
      sl_wksp_alloc(&b.w, "ctl", SL_OBJ_OTHER, 128, sizeof(ctl_t), &b.ctl_off, &err) ||
      sl_wksp_alloc(&b.w, "lat", SL_OBJ_OTHER, 128, b.lat_samples * 4, &b.lat_off, &err)) {
    fprintf(stderr, "bench_ring: %s\n", err.msg);
    sl_wksp_remove(&b.w);
    return 1;
  }
  pin(0, b.ncpu);
  printf("bench_ring: depth %llu, %llu elements x %d runs (best), 32-byte elements, %s pages, "
         "producer CPU 0 -> consumer CPU 1%s\n",
         (unsigned long long)b.depth, (unsigned long long)b.count, b.runs,
         b.w.is_huge ? "huge" : "small", b.ncpu < 2 ? " (1 CPU: not pinned)" : "");
  printf("latency: paced, one burst every %llu ns, %llu samples, best p50 of 3 runs\n\n",
         (unsigned long long)b.pace_ns, (unsigned long long)b.lat_samples);
  printf("%-18s %5s %12s %8s %8s %8s\n", "link", "burst", "Melem/s", "lost%", "p50 ns", "p99 ns");

  static const uint32_t bursts[2] = {1, 32};
  result_t best[IMPL_CNT][2];
  int failed = 0;
  memset(best, 0, sizeof best);
  const char *tag[IMPL_CNT] = {"sluice-u", "sluice-r", "rte"};
  uint64_t only_burst = arg_u64(argc, argv, "--burst", 0);
  for (int bi = 0; bi < 2; bi++) {
    if (only_burst && only_burst != bursts[bi]) continue;
    /* Runs interleave the links, so a noisy moment on a shared machine
       hits all of them alike; the best run of each is kept. */
    for (int k = 0; k < b.runs && !failed; k++) {
      for (int impl = 0; impl < IMPL_CNT; impl++) {
        if (only && strcmp(only, tag[impl])) continue;
        result_t one, *r = &best[impl][bi];
        if (run_once(&b, impl, bursts[bi], 0, &one)) {
          failed = 1;
          break;
        }
        if (one.mfps > r->mfps) {
          r->mfps = one.mfps;
          r->lost_pct = one.lost_pct;
        }
      }
    }
    /* Latency: three interleaved paced runs each, the lowest p50 kept. */
    for (int k = 0; k < 3 && !failed; k++) {
      for (int impl = 0; impl < IMPL_CNT; impl++) {
        if (only && strcmp(only, tag[impl])) continue;
        result_t *r = &best[impl][bi], lat;
        if (run_once(&b, impl, bursts[bi], 1, &lat)) {
          failed = 1;
          break;
        }
        if (k == 0 || lat.p50 < r->p50) {
          r->p50 = lat.p50;
          r->p99 = lat.p99;
        }
      }
    }
    for (int impl = 0; impl < IMPL_CNT; impl++) {
      if (only && strcmp(only, tag[impl])) continue;
      result_t *r = &best[impl][bi];
      printf("%-18s %5u %12.1f %8.2f %8u %8u\n", impl_name[impl], bursts[bi], r->mfps, r->lost_pct,
             r->p50, r->p99);
      fflush(stdout);
    }
  }
  if (!only && !only_burst) {
    printf("\nratios sluice / rte_ring (same run):\n");
    for (int bi = 0; bi < 2; bi++) {
      double ru = best[IMPL_SLUICE_U][bi].mfps / best[IMPL_RTE][bi].mfps;
      double rr = best[IMPL_SLUICE_R][bi].mfps / best[IMPL_RTE][bi].mfps;
      printf("  burst %2u: throughput unreliable %.2fx%s, reliable %.2fx%s; p50 latency "
             "unreliable %.2fx, reliable %.2fx (lower is better)\n",
             bursts[bi], ru, bi == 0 ? (ru >= 1.5 ? " (target 1.5x: met)" : " (target 1.5x: MISSED)") : "",
             rr, bi == 0 ? (rr >= 1.0 ? " (target 1.0x: met)" : " (target 1.0x: MISSED)") : "",
             (double)best[IMPL_SLUICE_U][bi].p50 / (double)(best[IMPL_RTE][bi].p50 ?: 1),
             (double)best[IMPL_SLUICE_R][bi].p50 / (double)(best[IMPL_RTE][bi].p50 ?: 1));
    }
  }
  sl_wksp_remove(&b.w);
  return failed;
}
