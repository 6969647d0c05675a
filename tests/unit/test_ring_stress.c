/* Multi-process stress test of shmem/ring: one producer process feeds an
   unreliable and a reliable link in one workspace; a deliberately slow
   consumer process reads the unreliable link (and gets lapped), a second
   consumer process reads the reliable link (and now and then stalls, so the
   producer meets backpressure). Every payload carries its seq and a
   checksum of a seq-derived body, so a torn or misplaced frag cannot pass.

   SLUICE_STRESS_FRAGS sets the frags per link (default 4M). */
#include <check.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include "shmem/ring.h"
#include "shmem/wksp.h"
#include "util/log.h"
#include "util/time.h"

#define DEPTH 512
#define PAYLOAD 64
#define WAIT_LIMIT_NS 20000000000ull /* any single wait: a peer is stuck */

/* Results, written by each child into the workspace ("results" object). */
typedef struct {
  uint64_t published;
  uint64_t backpressure;
  uint64_t u_accepted, u_overrun_poll, u_overrun_read, u_torn_caught;
  uint64_t r_accepted, r_overrun_poll;
  uint32_t prod_done, u_done, r_done;
  char fail[3][256]; /* first failure of producer, unreliable, reliable */
} results_t;

static uint64_t mix(uint64_t x) { /* splitmix64 finalizer */
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* Metadata of seq: every 8-byte word depends on seq, so a torn entry shows. */
static int meta_intact(const sl_frag_meta_t *m) {
  return m->sig == mix(m->seq) && m->sz == PAYLOAD && m->tsorig == (uint32_t)m->seq &&
         m->tspub == (uint32_t)(mix(m->seq) >> 32);
}

/* Payload of seq: seq, 6 words derived from it, XXH3 of the first 56 bytes. */
static void fill(uint64_t *p, uint64_t seq) {
  p[0] = seq;
  for (int k = 1; k < 7; k++) p[k] = mix(seq * 8 + (uint64_t)k);
  p[7] = XXH3_64bits(p, 56);
}

static int intact(const uint64_t *p, uint64_t seq) {
  return p[0] == seq && p[7] == XXH3_64bits(p, 56) && p[3] == mix(seq * 8 + 3);
}

static void record_fail(results_t *res, int who, const char *fmt, unsigned long long a,
                 unsigned long long b) {
  if (!res->fail[who][0]) snprintf(res->fail[who], sizeof res->fail[who], fmt, a, b);
}

/* Spin a little, then give the CPU away: three busy processes share 2 cores. */
static void backoff(uint32_t *spins) {
  if (++*spins < 64)
    __builtin_ia32_pause();
  else
    sched_yield();
}

/* Publishes seq..seq+cnt-1 on one link: payloads into the ring's own slots
   (each slot invalidated before its payload is overwritten), then one frag
   at a time or as one burst. */
static void publish_run(sl_wksp_t *w, sl_ring_prod_t *p, uint64_t seq, uint32_t cnt, int burst) {
  sl_frag_meta_t f[8];
  for (uint32_t k = 0; k < cnt; k++) {
    uint32_t ch = sl_ring_slot_chunk(p, seq + k);
    sl_ring_invalidate(p, seq + k);
    fill(sl_chunk_laddr(w->base, ch), seq + k);
    if (!burst) {
      sl_ring_publish(p, mix(seq + k), ch, PAYLOAD, 0, (uint32_t)(seq + k),
                      (uint32_t)(mix(seq + k) >> 32));
      continue;
    }
    memset(&f[k], 0, sizeof f[k]);
    f[k].sig = mix(seq + k);
    f[k].chunk = ch;
    f[k].sz = PAYLOAD;
    f[k].tsorig = (uint32_t)(seq + k); /* every word of the entry depends on seq */
    f[k].tspub = (uint32_t)(mix(seq + k) >> 32);
  }
  if (burst) sl_ring_publish_burst(p, f, cnt);
}

/* Alternates single publishes and bursts of 8 (phases of 32K frags). */
static void producer(sl_wksp_t *w, uint64_t u_off, uint64_t r_off, results_t *res, uint64_t n) {
  sl_ring_prod_t u, r;
  if (sl_ring_prod_init(&u, w, u_off, NULL) || sl_ring_prod_init(&r, w, r_off, NULL)) {
    record_fail(res, 0, "producer init failed %llu %llu", 0, 0);
    return;
  }
  for (uint64_t seq = 0; seq < n;) {
    int burst = (seq >> 15) & 1;
    uint32_t cnt = burst ? 8 : 1;
    if (n - seq < cnt) cnt = (uint32_t)(n - seq);
    publish_run(w, &u, seq, cnt, burst);
    if (sl_ring_credits(&r) < cnt && sl_ring_prod_housekeep(&r) < cnt) {
      r.backpressure_cnt++;
      uint64_t t0 = sl_now_ns();
      uint32_t spins = 0;
      while (sl_ring_prod_housekeep(&r) < cnt) {
        backoff(&spins);
        if (!(spins & 63) && sl_now_ns() - t0 > WAIT_LIMIT_NS) {
          record_fail(res, 0, "producer: no credit for 20 s at seq %llu %llu", seq, 0);
          return;
        }
      }
    }
    publish_run(w, &r, seq, cnt, burst);
    if ((seq & 1023) < cnt) sl_ring_prod_housekeep(&u);
    seq += cnt;
  }
  sl_ring_prod_housekeep(&u);
  sl_ring_prod_housekeep(&r);
  res->published = n;
  res->backpressure = r.backpressure_cnt;
  __atomic_store_n(&res->prod_done, 1, __ATOMIC_RELEASE);
}

/* Alternates single polls and bursts (64K-frag phases) so both read paths
   run against a live producer. */
static uint32_t read_some(sl_ring_cons_t *c, sl_frag_meta_t *ms, uint32_t burst) {
  if ((c->seq >> 16) & 1) return sl_ring_consume_burst(c, ms, burst);
  return sl_ring_poll(c, ms) == SL_RING_OK;
}

static void consumer_unreliable(sl_wksp_t *w, uint64_t off, results_t *res, uint64_t n) {
  sl_ring_cons_t c;
  if (sl_ring_cons_init(&c, w, off, 0, NULL)) {
    record_fail(res, 1, "unreliable consumer init failed %llu %llu", 0, 0);
    return;
  }
  uint64_t copy[PAYLOAD / 8], last = 0, accepted = 0, torn_caught = 0;
  int have_last = 0;
  uint64_t t0 = sl_now_ns();
  uint32_t spins = 0;
  /* Every seq below n ends up read or counted lost, so c.seq reaches n. */
  while (c.seq < n) {
    sl_frag_meta_t ms[8];
    uint32_t cnt = read_some(&c, ms, 8);
    if (!cnt) {
      backoff(&spins);
      if (!(spins & 63) && sl_now_ns() - t0 > 50000000000ull) {
        record_fail(res, 1, "unreliable consumer: stuck at seq %llu %llu", c.seq, 0);
        return;
      }
      continue;
    }
    spins = 0;
    for (uint32_t i = 0; i < cnt; i++) {
      const sl_frag_meta_t *m = &ms[i];
      /* Metadata from poll/burst is whole without any further check. */
      if (!meta_intact(m))
        record_fail(res, 1, "unreliable: torn metadata for frag %llu (sig %llx)", m->seq, m->sig);
      /* Read the payload in place, then check the slot still holds it. */
      memcpy(copy, sl_chunk_laddr(w->base, m->chunk), PAYLOAD);
      if (!sl_ring_check(&c, m->seq)) {
        torn_caught += !intact(copy, m->seq);
        continue;
      }
      if (!intact(copy, m->seq))
        record_fail(res, 1, "unreliable: frag %llu accepted but torn (payload seq %llu)", m->seq,
                    copy[0]);
      if (have_last && m->seq <= last)
        record_fail(res, 1, "unreliable: seq %llu after %llu", m->seq, last);
      last = m->seq;
      have_last = 1;
      accepted++;
      /* Deliberately slow now and then: the producer laps us. */
      if (!(m->seq & 0x1fff)) usleep(1000);
    }
  }
  sl_ring_cons_publish(&c);
  res->u_accepted = accepted;
  res->u_overrun_poll = c.overrun_poll;
  res->u_overrun_read = c.overrun_read;
  res->u_torn_caught = torn_caught;
  __atomic_store_n(&res->u_done, 1, __ATOMIC_RELEASE);
}

static void consumer_reliable(sl_wksp_t *w, uint64_t off, results_t *res, uint64_t n) {
  sl_ring_cons_t c;
  if (sl_ring_cons_init(&c, w, off, 0, NULL)) {
    record_fail(res, 2, "reliable consumer init failed %llu %llu", 0, 0);
    return;
  }
  uint64_t next = 0;
  uint64_t t0 = sl_now_ns();
  uint32_t spins = 0;
  while (next < n) {
    sl_frag_meta_t ms[16];
    uint32_t cnt = read_some(&c, ms, 16);
    if (c.overrun_poll) {
      record_fail(res, 2, "reliable: overrun at seq %llu (lost %llu)", next, c.overrun_poll);
      break;
    }
    if (!cnt) {
      sl_ring_cons_publish(&c); /* idle: hand back every credit */
      backoff(&spins);
      if (!(spins & 63) && sl_now_ns() - t0 > 50000000000ull) {
        record_fail(res, 2, "reliable consumer: stuck at seq %llu %llu", next, 0);
        break;
      }
      continue;
    }
    spins = 0;
    for (uint32_t i = 0; i < cnt; i++) {
      const sl_frag_meta_t *m = &ms[i];
      const uint64_t *p = sl_chunk_laddr(w->base, m->chunk);
      if (m->seq != next || !meta_intact(m) || !intact(p, next) || !sl_ring_check(&c, m->seq))
        record_fail(res, 2, "reliable: expected %llu, got frag %llu (or torn)", next, m->seq);
      next++;
    }
    /* Progress covers every frag read so far: publish it only once they
       are all done with (here, after the batch). */
    if ((next & ~63ull) != ((next - cnt) & ~63ull)) sl_ring_cons_publish(&c);
    /* Stall now and then: the producer must wait for credit. */
    if ((next & ~0x3ffffull) != ((next - cnt) & ~0x3ffffull)) usleep(2000);
  }
  sl_ring_cons_publish(&c);
  res->r_accepted = next;
  res->r_overrun_poll = c.overrun_poll;
  __atomic_store_n(&res->r_done, 1, __ATOMIC_RELEASE);
}

START_TEST(two_links_under_load_lose_nothing_they_do_not_count_and_never_tear) {
  uint64_t n = 4u << 20;
  const char *env = getenv("SLUICE_STRESS_FRAGS");
  if (env && *env) n = strtoull(env, NULL, 0);
  ck_assert_uint_gt(n, DEPTH * 4);

  char name[64];
  snprintf(name, sizeof name, "slstress-%d", (int)getpid());
  sl_wksp_params_t p;
  sl_wksp_params_default(&p);
  p.name = name;
  p.size = 2 * sl_wksp_budget(128, sl_ring_footprint(DEPTH, 1, PAYLOAD)) + 4096;
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  uint64_t u_off, r_off, res_off;
  ck_assert_int_eq(sl_ring_create(&w, "u", DEPTH, 1, PAYLOAD, 0, NULL, &u_off, &err), 0);
  ck_assert_int_eq(sl_ring_create(&w, "r", DEPTH, 1, PAYLOAD, 1, NULL, &r_off, &err), 0);
  ck_assert_int_eq(sl_wksp_alloc(&w, "results", SL_OBJ_OTHER, 128, sizeof(results_t), &res_off, &err),
                   0);
  results_t *res = sl_wksp_laddr(&w, res_off);

  uint64_t t0 = sl_now_ns();
  pid_t pids[3];
  for (int i = 0; i < 3; i++) {
    pids[i] = fork();
    ck_assert_int_ge(pids[i], 0);
    if (pids[i] == 0) {
      if (i == 0) producer(&w, u_off, r_off, res, n);
      if (i == 1) consumer_unreliable(&w, u_off, res, n);
      if (i == 2) consumer_reliable(&w, r_off, res, n);
      _exit(0);
    }
  }
  /* Bounded wait; on timeout, kill exactly the children started here. */
  int alive = 3, status_ok = 1;
  while (alive > 0) {
    int st;
    pid_t got = waitpid(-1, &st, WNOHANG);
    if (got > 0) {
      alive--;
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) status_ok = 0;
      continue;
    }
    if (sl_now_ns() - t0 > 55000000000ull) {
      for (int i = 0; i < 3; i++) kill(pids[i], SIGKILL);
      while (waitpid(-1, NULL, 0) > 0) {
      }
      break;
    }
    usleep(10000);
  }
  double secs = (double)(sl_now_ns() - t0) / 1e9;
  results_t r = *res;
  sl_wksp_remove(&w);

  printf("ring stress: %llu frags per link in %.2f s; unreliable: accepted %llu, lost while polling "
         "%llu, voided reads %llu (%llu of them torn, caught); reliable: %llu in order; producer "
         "backpressure %llu\n",
         (unsigned long long)n, secs, (unsigned long long)r.u_accepted,
         (unsigned long long)r.u_overrun_poll, (unsigned long long)r.u_overrun_read,
         (unsigned long long)r.u_torn_caught, (unsigned long long)r.r_accepted,
         (unsigned long long)r.backpressure);
  ck_assert_msg(alive == 0, "timed out after %.0f s", secs);
  ck_assert_msg(status_ok, "a child process died");
  for (int i = 0; i < 3; i++) ck_assert_msg(!r.fail[i][0], "%s", r.fail[i]);
  ck_assert(r.prod_done && r.u_done && r.r_done);
  ck_assert_uint_eq(r.published, n);
  /* Unreliable: every frag is either accepted intact or counted. */
  ck_assert_uint_eq(r.u_accepted + r.u_overrun_poll + r.u_overrun_read, n);
  ck_assert_uint_gt(r.u_overrun_poll, 0);
  ck_assert_uint_gt(r.u_accepted, 0);
  /* Reliable: all of them, in order, none lost; the producer had to wait. */
  ck_assert_uint_eq(r.r_accepted, n);
  ck_assert_uint_eq(r.r_overrun_poll, 0);
  ck_assert_uint_gt(r.backpressure, 0);
}
END_TEST

/* Edge race: producer and consumer move in lockstep so that every burst
   the producer publishes overwrites exactly the run the consumer is
   reading at that moment: bursts of publishes and burst reads collide as
   often as possible. */
typedef struct {
  uint64_t prod_pos; /* producer's next seq, stored after every burst */
  uint64_t cons_pos; /* consumer's next seq, stored after every read */
  uint64_t accepted, lost, voided, rounds;
  uint32_t done;
  char fail[256];
} edge_t;

#define EDGE_DEPTH 64
#define EDGE_BURST 8

static void edge_producer(sl_wksp_t *w, uint64_t off, edge_t *e, uint64_t n) {
  sl_ring_prod_t p;
  if (sl_ring_prod_init(&p, w, off, NULL)) return;
  uint64_t t0 = sl_now_ns();
  for (uint64_t seq = 0; seq < n; seq += EDGE_BURST) {
    /* Publish [seq, seq+8) only once the consumer has reached seq-depth,
       the run this burst overwrites. */
    uint32_t spins = 0;
    while (seq > __atomic_load_n(&e->cons_pos, __ATOMIC_ACQUIRE) + EDGE_DEPTH) {
      if (__atomic_load_n(&e->done, __ATOMIC_ACQUIRE)) return;
      backoff(&spins);
      if (!(spins & 63) && sl_now_ns() - t0 > 40000000000ull) return;
    }
    publish_run(w, &p, seq, EDGE_BURST, 1);
    __atomic_store_n(&e->prod_pos, seq + EDGE_BURST, __ATOMIC_RELEASE);
  }
}

static void edge_consumer(sl_wksp_t *w, uint64_t off, edge_t *e, uint64_t n) {
  sl_ring_cons_t c;
  if (sl_ring_cons_init(&c, w, off, 0, NULL)) return;
  uint64_t copy[PAYLOAD / 8], accepted = 0, voided = 0, t0 = sl_now_ns(), jitter = 1;
  while (c.seq < n) {
    /* Wait until the producer's next burst is the one that overwrites the
       run we are about to read. */
    uint32_t spins = 0;
    __atomic_store_n(&e->cons_pos, c.seq, __ATOMIC_RELEASE);
    while (__atomic_load_n(&e->prod_pos, __ATOMIC_ACQUIRE) + EDGE_BURST < c.seq + EDGE_DEPTH &&
           __atomic_load_n(&e->prod_pos, __ATOMIC_ACQUIRE) < n) {
      backoff(&spins);
      if (!(spins & 63) && sl_now_ns() - t0 > 40000000000ull) {
        snprintf(e->fail, sizeof e->fail, "edge consumer: producer stuck at %llu",
                 (unsigned long long)e->prod_pos);
        goto out;
      }
    }
    /* The producer is starting the burst that overwrites our run: a random
       head start or delay sweeps every overlap of its writes and our copy. */
    jitter = jitter * 6364136223846793005ull + 1442695040888963407ull;
    for (uint64_t k = jitter >> 58; k; k--) __builtin_ia32_pause();
    sl_frag_meta_t ms[EDGE_BURST];
    uint32_t cnt = sl_ring_consume_burst(&c, ms, EDGE_BURST);
    for (uint32_t i = 0; i < cnt; i++) {
      /* Metadata needs no check: what poll/burst return is whole. */
      /* (A burst may skip seqs where it was lapped: increasing, not +1.) */
      int meta_ok = meta_intact(&ms[i]) && (i == 0 || ms[i].seq > ms[i - 1].seq) &&
                    ms[i].seq < c.seq;
      if (!meta_ok && !e->fail[0])
        snprintf(e->fail, sizeof e->fail, "edge: torn metadata for frag %llu (entry %u of %u)",
                 (unsigned long long)ms[i].seq, i, cnt);
      memcpy(copy, sl_chunk_laddr(w->base, ms[i].chunk), PAYLOAD);
      if (!sl_ring_check(&c, ms[i].seq)) {
        voided++;
        continue;
      }
      if (!intact(copy, ms[i].seq) || ms[i].sig != mix(ms[i].seq)) {
        if (!e->fail[0])
          snprintf(e->fail, sizeof e->fail, "edge: frag %llu accepted but torn (payload seq %llu, "
                   "sig ok %d)", (unsigned long long)ms[i].seq, (unsigned long long)copy[0],
                   ms[i].sig == mix(ms[i].seq));
      }
      accepted++;
    }
    e->rounds++;
  }
out:
  e->accepted = accepted;
  e->voided = voided;
  e->lost = c.overrun_poll;
  __atomic_store_n(&e->done, 1, __ATOMIC_RELEASE);
}

START_TEST(burst_reads_at_the_overwrite_edge_are_never_torn) {
  uint64_t n = 4u << 20;
  const char *env = getenv("SLUICE_STRESS_FRAGS");
  if (env && *env) n = strtoull(env, NULL, 0);
  n -= n % EDGE_BURST;
  char name[64];
  snprintf(name, sizeof name, "sledge-%d", (int)getpid());
  sl_wksp_params_t p;
  sl_wksp_params_default(&p);
  p.name = name;
  p.size = sl_wksp_budget(128, sl_ring_footprint(EDGE_DEPTH, 1, PAYLOAD)) + 4096;
  sl_wksp_t w;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(&w, &p, &err) == 0, "%s", err.msg);
  uint64_t off, e_off;
  ck_assert_int_eq(sl_ring_create(&w, "edge", EDGE_DEPTH, 1, PAYLOAD, 0, NULL, &off, &err), 0);
  ck_assert_int_eq(sl_wksp_alloc(&w, "edge-res", SL_OBJ_OTHER, 128, sizeof(edge_t), &e_off, &err), 0);
  edge_t *e = sl_wksp_laddr(&w, e_off);
  uint64_t t0 = sl_now_ns();
  pid_t pids[2];
  for (int i = 0; i < 2; i++) {
    pids[i] = fork();
    ck_assert_int_ge(pids[i], 0);
    if (pids[i] == 0) {
      if (i == 0) edge_producer(&w, off, e, n);
      else edge_consumer(&w, off, e, n);
      _exit(0);
    }
  }
  int alive = 2;
  while (alive > 0) {
    if (waitpid(-1, NULL, WNOHANG) > 0) {
      alive--;
      continue;
    }
    if (sl_now_ns() - t0 > 45000000000ull) {
      for (int i = 0; i < 2; i++) kill(pids[i], SIGKILL);
      while (waitpid(-1, NULL, 0) > 0) {
      }
      break;
    }
    usleep(10000);
  }
  edge_t r = *e;
  sl_wksp_remove(&w);
  printf("ring edge: %llu frags; accepted %llu, lost while polling %llu, voided reads %llu, in %.2f s\n",
         (unsigned long long)n, (unsigned long long)r.accepted, (unsigned long long)r.lost,
         (unsigned long long)r.voided, (double)(sl_now_ns() - t0) / 1e9);
  ck_assert_msg(alive == 0, "timed out");
  ck_assert_msg(!r.fail[0], "%s", r.fail);
  ck_assert_uint_eq(r.accepted + r.lost + r.voided, n);
  ck_assert_uint_gt(r.accepted, 0);
}
END_TEST

int main(void) {
  sl_log_set_level(SL_LOG_ERR); /* a /dev/shm fallback warning is fine here */
  Suite *s = suite_create("ring_stress");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, two_links_under_load_lose_nothing_they_do_not_count_and_never_tear);
  tcase_add_test(tc, burst_reads_at_the_overwrite_edge_are_never_torn);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
