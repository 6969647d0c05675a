/* bench_verify_tile: the whole verify tile (ring consume, copy, frame and
   transaction parse, dedup, sigverify, publish) against a bare libsodium
   loop over the same signatures, each pinned alone to the same CPU, with
   each ed25519 backend this CPU runs ([verify] ed25519 = "libsodium",
   "avx2", "avx512"). A round runs the bare loop and then the tile with each
   backend on the same slice of transactions; the result per mode is the
   median of its rounds with the 10th-90th percentile spread, and the ratio
   to the bare loop is taken round by round (median and spread of those).

   The fastest backend also runs sandboxed, as `sluice run` confines a
   verify tile (user nobody, no capability, seccomp, Landlock, namespaces,
   the workspace read-only outside its own region): the sandbox's cost is
   the ratio of the two, round by round.

   The bench process plays the net tile (publishes pre-built frames into
   the net ring, never more than half a ring ahead of the verify tile, so
   nothing is overrun) and the sink (drains the verify ring). Every
   transaction is distinct, so dedup never short-cuts a verification.

   usage: bench_verify_tile [--count N] [--rounds R] [--cpu C] [--producer-cpu P] */
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/gen/gen_engine.h"
#include "config/config.h"
#include "shmem/ring.h"
#include "shmem/wksp.h"
#include "tiles/frame.h"
#include "tiles/sandbox.h"
#include "tiles/tile.h"
#include "tiles/topo.h"
#include "tiles/verify/sigverify.h"
#include "tiles/verify/txn.h"
#include "tiles/verify/verify_tile.h"
#include "util/log.h"
#include "tests/bench/bench_stats.h"
#include "util/time.h"

static void die(const char *what, const sl_err_t *err) {
  fprintf(stderr, "bench_verify_tile: %s: %s\n", what, err ? err->msg : "");
  exit(1);
}

/* Runs in a child pinned to cpu: verifies every signature of every packet
   and writes the elapsed ns to fd. */
static void baseline(const sl_gen_pool_t *pool, uint64_t lo, uint64_t hi, int cpu, int fd) {
  bench_pin(cpu);
  uint64_t bad = 0, sigs = 0;
  uint64_t t0 = sl_now_ns();
  for (uint64_t i = lo; i < hi; i++) {
    sl_txn_t t;
    const uint8_t *b = pool->pkt[i].data;
    if (sl_txn_parse(b, pool->pkt[i].sz, &t)) continue; /* cannot happen: all valid */
    /* The parse only locates the fields; the same loop shape any verifier needs. */
    for (uint32_t s = 0; s < t.sig_cnt; s++, sigs++)
      bad += crypto_sign_verify_detached(b + t.sig_off + 64 * s, b + t.msg_off, t.msg_sz,
                                         b + t.key_off + 32 * s) != 0;
  }
  uint64_t ns = sl_now_ns() - t0;
  uint64_t out[3] = {ns, sigs, bad};
  if (write(fd, out, sizeof out) != sizeof out) _exit(1);
  _exit(0);
}

/* One round of the verify tile on packets [lo, hi) of the pool, in a fresh
   workspace; returns the ns from the first publish to the last verdict and
   the tile's counts. */
typedef struct {
  uint64_t ns, verified, sigs;
} tile_res_t;

/* One way to run the tile: a backend, unconfined or sandboxed. */
typedef struct {
  const char *backend;
  int sandbox;
} tile_mode_t;

static tile_res_t run_tile(const sl_gen_pool_t *pool, uint64_t lo, uint64_t hi, int cpu, int pcpu,
                           const tile_mode_t *mode) {
  sl_err_t err = {{0}};
  const char *backend = mode->backend;
  uid_t uid = 0;
  gid_t gid = 0;
  if (mode->sandbox && sl_sandbox_resolve_user("nobody", &uid, &gid, &err)) die("sandbox user", &err);
  pid_t parent = getpid();
  uint64_t count = hi - lo;
  static sl_config_t cfg;
  if (sl_config_load(&cfg, NULL, &err)) die("config", &err);
  snprintf(cfg.verify.ed25519, sizeof cfg.verify.ed25519, "%s", backend);
  snprintf(cfg.name, sizeof cfg.name, "bench-verify-%d", (int)getpid());
  cfg.shmem.ring_depth = 4096;
  cfg.net.rx_queue_size = 256;
  uint64_t dd = 1024;
  while (dd < count) dd <<= 1;
  cfg.verify.dedup_cache_size = (uint32_t)dd;
  cfg.layout.idle = SL_IDLE_SPIN;
  sl_wksp_params_t wp;
  sl_wksp_params_default(&wp);
  wp.name = cfg.name;
  wp.size = sl_topo_footprint(&cfg);
  static sl_wksp_t w;
  if (sl_wksp_create(&w, &wp, &err)) die("workspace", &err);
  sl_topo_t *topo;
  int32_t cpus[3] = {pcpu, cpu, pcpu};
  if (sl_topo_build(&w, &cfg, cpus, 3, &topo, &err)) die("topology", &err);
  uint32_t vid = sl_topo_tile_id(topo, SL_TILE_VERIFY, 0);
  sl_metrics_t *vm = sl_topo_metrics(&w, topo, vid);
  sl_metrics_t *nm = sl_topo_metrics(&w, topo, sl_topo_tile_id(topo, SL_TILE_NET, 0));

  pid_t v = fork();
  if (v == 0) {
    bench_pin(cpu);
    sl_tile_t t;
    memset(&t, 0, sizeof t);
    t.ops = &sl_verify_tile_ops;
    t.kind = SL_TILE_VERIFY;
    t.id = vid;
    snprintf(t.name, sizeof t.name, "verify:0");
    t.cpu = cpu;
    t.idle = SL_IDLE_SPIN;
    t.wksp = &w;
    t.cfg = &cfg;
    t.topo = topo;
    t.uid = uid; /* 0: unconfined */
    t.gid = gid;
    t.parent = parent;
    _exit(sl_tile_main(&t));
  }
  bench_pin(pcpu);
  sl_ring_prod_t prod;
  sl_ring_cons_t out;
  if (sl_ring_prod_init(&prod, &w, topo->net_ring[0][0], &err)) die("net ring", &err);
  if (sl_ring_cons_init(&out, &w, topo->verify_ring[0], 0, &err)) die("verify ring", &err);
  const sl_ring_t *nr = sl_ring_join(sl_wksp_laddr(&w, topo->net_ring[0][0]));
  const sl_ring_fseq_t *vprog = sl_ring_fseq(nr, 0);
  while (sl_metrics_get(vm, SL_M_STATE) != SL_TILE_RUNNING) sl_sleep_ns(1000000, NULL);

  uint8_t *pool_base = sl_wksp_laddr(&w, topo->pool[0]);
  sl_frame_addr_t fa = {.src_ip4 = 0x0100007f, .dst_ip4 = 0x0100007f, .src_port = 1234, .dst_port = 9001};
  uint64_t half = topo->link_depth / 2, drained = 0;
  uint64_t t0 = sl_now_ns();
  for (uint64_t i = 0; i < count; i++) {
    /* Stay within half a ring of the tile's published progress: the net
       ring is unreliable, and the bench must not overrun what it measures. */
    while (i - __atomic_load_n(&vprog->seq, __ATOMIC_ACQUIRE) >= half) {
      sl_frag_meta_t m;
      while (sl_ring_poll(&out, &m) == SL_RING_OK) drained++;
      sl_ring_cons_publish(&out);
    }
    const sl_gen_pkt_t *p = &pool->pkt[lo + i];
    uint8_t *f = pool_base + (i % topo->pool_frame_cnt) * topo->frame_sz;
    uint32_t hsz = sl_frame_build_hdr(f, &fa, p->sz);
    memcpy(f + hsz, p->data, p->sz);
    uint64_t sig = sl_frame_sig(topo->sig_seed, f + hsz, p->sz);
    sl_ring_publish(&prod, sig, sl_chunk_of(w.base, f), (uint16_t)(hsz + p->sz), 0, sl_ts32(), sl_ts32());
  }
  for (;;) {
    sl_frag_meta_t m;
    while (sl_ring_poll(&out, &m) == SL_RING_OK) drained++;
    sl_ring_cons_publish(&out);
    if (drained >= count) break;
  }
  tile_res_t r = {sl_now_ns() - t0, 0, 0};
  /* Orderly stop: the bench was the net tile, so it says it stopped. */
  __atomic_store_n(&nm->v[SL_M_STATE], SL_TILE_STOPPED, __ATOMIC_RELEASE);
  __atomic_store_n(&topo->stop, 1, __ATOMIC_RELEASE);
  waitpid(v, NULL, 0);
  r.verified = sl_metrics_get(vm, SL_M_VERIFY_VERIFIED);
  r.sigs = sl_metrics_get(vm, SL_M_VERIFY_SIGS);
  sl_wksp_remove(&w);
  return r;
}

#define ROUNDS_MAX 100

int main(int argc, char **argv) {
  uint64_t count = 42000;
  int cpu = 1, pcpu = 0, rounds = 7;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--count") && i + 1 < argc) count = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) cpu = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--producer-cpu") && i + 1 < argc) pcpu = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_verify_tile [--count N] [--rounds R] [--cpu C] [--producer-cpu P]\n");
      return 2;
    }
  }
  if (rounds < 1 || rounds > ROUNDS_MAX || count < (uint64_t)rounds * 100) {
    fprintf(stderr, "bench_verify_tile: need --rounds 1..%d and --count >= 100 per round\n", ROUNDS_MAX);
    return 2;
  }
  sl_err_t err = {{0}};
  if (sl_sigverify_init(&err)) die("sodium", &err);
  sl_log_set_level(SL_LOG_WARN);

  /* The tile's modes: every backend this CPU runs, libsodium first, then
     the last (fastest) of them sandboxed. */
  static const char *const names[] = {"libsodium", "avx2", "avx512"};
  tile_mode_t modes[4];
  int nm = 0;
  for (int k = 0; k < 3; k++) {
    sl_ed25519_backend_t b;
    if (sl_ed25519_select(names[k], &b, &err) == 0) modes[nm++] = (tile_mode_t){names[k], 0};
    else printf("verify_tile: backend %s skipped: %s\n", names[k], err.msg);
  }
  int fast = nm - 1; /* libsodium always runs */
  modes[nm++] = (tile_mode_t){modes[fast].backend, 1};

  /* Distinct valid transactions, realistic sizes and 1..4 signatures. */
  sl_gen_opts_t go;
  sl_gen_opts_default(&go);
  go.count = count;
  go.pool = count;
  go.seed = 42;
  go.dst_port[0] = 9;
  go.dst_port_cnt = 1;
  static sl_gen_pool_t pool;
  fprintf(stderr, "building %lu transactions...\n", (unsigned long)count);
  if (sl_gen_pool_new(&pool, &go, &err)) die("gen pool", &err);

  static double base[ROUNDS_MAX], rate[4][ROUNDS_MAX], ratio[4][ROUNDS_MAX], sb_cost[ROUNDS_MAX];
  uint64_t per = count / (uint64_t)rounds, total_sigs = 0;
  int bad = 0;
  printf("verify tile vs bare libsodium loop, CPU %d (producer/sink CPU %d), %d rounds of %lu distinct "
         "transactions\n", cpu, pcpu, rounds, (unsigned long)per);
  for (int r = 0; r < rounds; r++) {
    uint64_t lo = per * (uint64_t)r, hi = lo + per;
    int pfd[2];
    if (pipe(pfd)) return 1;
    pid_t b = fork();
    if (b == 0) baseline(&pool, lo, hi, cpu, pfd[1]);
    uint64_t bres[3];
    if (read(pfd[0], bres, sizeof bres) != sizeof bres) die("baseline child", NULL);
    waitpid(b, NULL, 0);
    close(pfd[0]);
    close(pfd[1]);
    base[r] = (double)bres[1] / ((double)bres[0] / 1e9);
    total_sigs += bres[1];
    printf("  round %d: bare %8.0f sig/s", r, base[r]);
    if (bres[2]) {
      fprintf(stderr, "bench_verify_tile: round %d: %lu bare failures\n", r, (unsigned long)bres[2]);
      bad = 1;
    }
    for (int k = 0; k < nm; k++) {
      tile_res_t t = run_tile(&pool, lo, hi, cpu, pcpu, &modes[k]);
      rate[k][r] = (double)bres[1] / ((double)t.ns / 1e9);
      ratio[k][r] = rate[k][r] / base[r];
      if (modes[k].sandbox) sb_cost[r] = rate[k][r] / rate[fast][r];
      printf(", tile/%s%s %8.0f (x%.2f)", modes[k].backend, modes[k].sandbox ? "+sb" : "", rate[k][r],
             ratio[k][r]);
      if (t.verified != per || t.sigs != bres[1]) {
        fprintf(stderr, "\nbench_verify_tile: round %d, %s: tile verified %lu of %lu, sigs %lu vs %lu\n", r,
                modes[k].backend, (unsigned long)t.verified, (unsigned long)per, (unsigned long)t.sigs,
                (unsigned long)bres[1]);
        bad = 1;
      }
    }
    printf(" (%lu sigs)\n", (unsigned long)bres[1]);
  }
  printf("  %lu transactions, %lu signatures; median (p10-p90) over %d rounds:\n",
         (unsigned long)(per * (uint64_t)rounds), (unsigned long)total_sigs, rounds);
  double bmed = bench_quant(base, rounds, 0.5);
  printf("  %-46s %8.0f sig/s (p10-p90 %.0f-%.0f)\n", "bare crypto_sign_verify_detached loop", bmed,
         bench_quant(base, rounds, 0.1), bench_quant(base, rounds, 0.9));
  for (int k = 0; k < nm - 1; k++) {
    double med = bench_quant(rate[k], rounds, 0.5), lo = bench_quant(rate[k], rounds, 0.1), hi = bench_quant(rate[k], rounds, 0.9);
    double rmed = bench_quant(ratio[k], rounds, 0.5), rlo = bench_quant(ratio[k], rounds, 0.1), rhi = bench_quant(ratio[k], rounds, 0.9);
    char label[64];
    snprintf(label, sizeof label, "verify tile, ed25519 = \"%s\"", modes[k].backend);
    printf("  %-46s %8.0f sig/s (p10-p90 %.0f-%.0f)  x%.2f bare (per round p10-p90 %.2f-%.2f)%s\n", label, med, lo,
           hi, rmed, rlo, rhi,
           !strcmp(modes[k].backend, "avx512") ? "  target >= 1.9"
           : !strcmp(modes[k].backend, "libsodium") ? "  target >= 0.97" : "");
    printf("RESULT bench=verify_tile backend=%s baseline_sig_per_s=%.0f tile_sig_per_s=%.0f ratio=%.3f "
           "ratio_p10=%.3f ratio_p90=%.3f\n", modes[k].backend, bmed, med, rmed, rlo, rhi);
  }
  double smed = bench_quant(sb_cost, rounds, 0.5);
  printf("  verify tile sandboxed / unconfined (ed25519 = \"%s\"): x%.3f (per round p10-p90 %.3f-%.3f)  "
         "target ~1: the sandbox's cost\n", modes[fast].backend, smed, bench_quant(sb_cost, rounds, 0.1),
         bench_quant(sb_cost, rounds, 0.9));
  printf("RESULT bench=verify_tile_sandbox backend=%s ratio=%.3f ratio_p10=%.3f ratio_p90=%.3f\n",
         modes[fast].backend, smed, bench_quant(sb_cost, rounds, 0.1), bench_quant(sb_cost, rounds, 0.9));
  sl_gen_pool_delete(&pool);
  return bad;
}
