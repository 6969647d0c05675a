#include "tiles/tile.h"

#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include "util/log.h"
#include "util/priv.h"
#include "util/time.h"

/* Adaptive idling (tile.h says why it never spins). After
   SL_TILE_IDLE_POLLS empty polls in a row (a few hundred nanoseconds: work
   that is about to land is not slept past) the tile sleeps: in its own
   wait op until its input signals, at most until the next housekeeping;
   without one, naps that start at SL_TILE_NAP_MIN_NS and double while
   nothing comes, up to SL_TILE_NAP_MAX_NS. Short first naps keep the
   wake-up delay of a lightly loaded tile low; longer ones keep an idle
   tile from waking a NAPI thread's CPU 20 000 times a second. */
#define SL_TILE_IDLE_POLLS 16u
#define SL_TILE_NAP_MIN_NS 10000ull
#define SL_TILE_NAP_MAX_NS 160000ull

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

int sl_tile_stop_requested(const sl_tile_t *t) {
  return __atomic_load_n(&t->topo->stop, __ATOMIC_ACQUIRE) != 0;
}

int sl_tile_upstream_stopped(const sl_tile_t *t, uint32_t kind) {
  const sl_topo_t *topo = t->topo;
  uint32_t cnt = kind == SL_TILE_NET ? topo->net_cnt : kind == SL_TILE_VERIFY ? topo->verify_cnt : 1;
  for (uint32_t i = 0; i < cnt; i++) {
    const sl_metrics_t *m = sl_topo_metrics(t->wksp, topo, sl_topo_tile_id(topo, kind, i));
    /* Acquire: the upstream tile release-stores STOPPED after its last
       publish, so a frag it published is visible once this reads STOPPED. */
    if (__atomic_load_n(&m->v[SL_M_STATE], __ATOMIC_ACQUIRE) != SL_TILE_STOPPED) return 0;
  }
  return 1;
}

static void set_state(sl_metrics_t *m, uint64_t state) {
  __atomic_store_n(&m->v[SL_M_STATE], state, __ATOMIC_RELEASE);
}

static void housekeep(sl_tile_t *t, sl_metrics_t *m, uint64_t now) {
  sl_metrics_set(m, SL_M_HEARTBEAT_NS, now);
  sl_metrics_add(m, SL_M_HOUSEKEEP_CNT, 1);
  if (t->ops->housekeep) t->ops->housekeep(t);
  /* Context switches change slowly; one getrusage every ~128 ms. */
  if ((sl_metrics_get(m, SL_M_HOUSEKEEP_CNT) & 127) == 1) {
    struct rusage ru;
    if (!getrusage(RUSAGE_SELF, &ru))
      sl_metrics_set(m, SL_M_CTX_SWITCHES, (uint64_t)(ru.ru_nvcsw + ru.ru_nivcsw));
  }
}

int sl_tile_main(sl_tile_t *t) {
  sl_metrics_t *m = sl_topo_metrics(t->wksp, t->topo, t->id);
  sl_metrics_set(m, SL_M_PID, (uint64_t)getpid());
  sl_metrics_set(m, SL_M_CPU, (uint64_t)(int64_t)t->cpu);
  sl_metrics_set(m, SL_M_HEARTBEAT_NS, sl_now_ns());
  t->metrics = m->v;
  /* Naps should end when asked, not up to 50 us (the default slack) late. */
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

  sl_err_t err = {{0}};
  if (t->ops->init && t->ops->init(t, &err)) {
    SL_ERR("tile %s failed to start: %s", t->name, err.msg);
    set_state(m, SL_TILE_FAILED);
    return 1;
  }
  /* Privileged setup is over (sockets bound, rings mapped): from here on the
     tile needs no more than the workspace it already has mapped. */
  if (sl_priv_drop(t->user, &err)) {
    SL_ERR("tile %s: %s", t->name, err.msg);
    set_state(m, SL_TILE_FAILED);
    return 1;
  }
  set_state(m, SL_TILE_RUNNING);

  int stopping = 0;
  uint32_t idle_polls = 0;
  uint64_t nap_ns = SL_TILE_NAP_MIN_NS;
  uint64_t now = sl_now_ns();
  uint64_t next_hk = now;
  for (;;) {
    if (now >= next_hk) {
      housekeep(t, m, now);
      if (!stopping && sl_tile_stop_requested(t)) {
        stopping = 1;
        set_state(m, SL_TILE_STOPPING);
        if (t->ops->stop) t->ops->stop(t);
      }
      if (stopping && t->ops->drained(t)) break;
      uint64_t after = sl_now_ns();
      sl_metrics_add(m, SL_M_HOUSEKEEP_NS, after - now);
      now = after;
      next_hk = now + SL_TILE_HOUSEKEEP_NS;
    }
    uint32_t did = t->ops->poll(t);
    uint64_t after = sl_now_ns();
    if (did) {
      sl_metrics_add(m, SL_M_BUSY_NS, after - now);
      idle_polls = 0;
      nap_ns = SL_TILE_NAP_MIN_NS;
    } else {
      if (t->idle == SL_IDLE_SPIN || ++idle_polls < SL_TILE_IDLE_POLLS) {
        cpu_relax();
      } else if (t->ops->wait) {
        t->ops->wait(t, next_hk > after ? next_hk - after : 0);
        after = sl_now_ns();
      } else {
        struct timespec ts = {0, (long)nap_ns};
        nanosleep(&ts, NULL);
        if (nap_ns < SL_TILE_NAP_MAX_NS) nap_ns *= 2;
        after = sl_now_ns();
      }
      sl_metrics_add(m, SL_M_IDLE_NS, after - now);
    }
    now = after;
  }
  housekeep(t, m, sl_now_ns());
  if (t->ops->fini) t->ops->fini(t);
  set_state(m, SL_TILE_STOPPED);
  return 0;
}
