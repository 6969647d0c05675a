#include "tiles/tile.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/time.h"

/* Adaptive idling (tile.h says why it never spins). After
   SL_TILE_IDLE_POLLS empty polls in a row (a few hundred nanoseconds: work
   that is about to land is not slept past) the tile sleeps: in its own
   wait op until its input signals, at most until the next housekeeping,
   where sl_tile_waits says so; otherwise (no wait op, or a flowing input
   the kernel queues on its own) in naps that sl_tile_nap_ns sizes, from
   SL_TILE_NAP_MIN_NS to SL_TILE_NAP_MAX_NS. */
#define SL_TILE_IDLE_POLLS 16u

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

uint64_t sl_tile_nap_ns(uint64_t last_ns, uint64_t period_ns, uint64_t found, uint64_t depth) {
  uint64_t ns;
  if (!found) {
    ns = last_ns < SL_TILE_NAP_MAX_NS / 2 ? last_ns * 2 : SL_TILE_NAP_MAX_NS;
  } else if (!sl_tile_flowing(period_ns, found)) {
    ns = SL_TILE_NAP_MIN_NS; /* sparse: the next frag is likely a single one, soon */
  } else {
    /* period_ns * (depth / 4) / found, without overflow: here found >=
       period_ns / SL_TILE_NAP_MIN_NS, so period_ns / found < 2^14, and
       depth / 4 < 2^18, found < 2^46. */
    uint64_t quarter = depth / 4 ? depth / 4 : 1;
    ns = period_ns / found * quarter + period_ns % found * quarter / found;
  }
  if (ns < SL_TILE_NAP_MIN_NS) ns = SL_TILE_NAP_MIN_NS;
  if (ns > SL_TILE_NAP_MAX_NS) ns = SL_TILE_NAP_MAX_NS;
  return ns;
}

int sl_tile_flowing(uint64_t period_ns, uint64_t found) {
  /* found * SL_TILE_NAP_MIN_NS >= period_ns, without overflow. */
  return found && found >= period_ns / SL_TILE_NAP_MIN_NS + (period_ns % SL_TILE_NAP_MIN_NS != 0);
}

int sl_tile_waits(uint64_t nap_depth, uint64_t period_ns, uint64_t found) {
  return !nap_depth || !sl_tile_flowing(period_ns, found);
}

int sl_tile_yields(int idle, uint64_t busy_ns) {
  return idle != SL_IDLE_SPIN && busy_ns > SL_TILE_RUN_MAX_NS;
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

void sl_tile_keep_rules(sl_tile_keep_t *k, const sl_sandbox_rule_t *rules, uint32_t n) {
  for (uint32_t i = 0; i < n && k->rule_cnt < SL_TILE_KEEP_MAX; i++) k->rules[k->rule_cnt++] = rules[i];
}

void sl_tile_keep_fds(sl_tile_keep_t *k, const int *fds, uint32_t n) {
  for (uint32_t i = 0; i < n && k->fd_cnt < SL_TILE_KEEP_MAX; i++) k->fds[k->fd_cnt++] = fds[i];
}

void sl_tile_keep_runtime(sl_tile_keep_t *k, int log_fd) {
  static const sl_sandbox_rule_t base[] = {
      SL_SB_ALLOW(clock_gettime),   /* vDSO; a real call where the clocksource forces it */
      SL_SB_ALLOW(gettimeofday),    /* sl_log's timestamp, idem */
      SL_SB_ALLOW(clock_nanosleep), /* the adaptive naps */
      SL_SB_ALLOW(nanosleep),
      SL_SB_ALLOW(sched_yield),     /* a long run of work offers the CPU (SL_TILE_RUN_MAX_NS) */
      SL_SB_ALLOW(getrusage, SL_SB_EQ(0, RUSAGE_SELF)),
      SL_SB_ALLOW(brk),    /* fini's frees may trim the heap */
      SL_SB_ALLOW(munmap), /* ... and unmap large blocks and a provider's rings */
      SL_SB_ALLOW(restart_syscall), /* a nap or wait resumed after a stop/continue */
      SL_SB_ALLOW(exit_group),
      SL_SB_ALLOW(exit),
  };
  sl_tile_keep_rules(k, base, sizeof base / sizeof base[0]);
  const sl_sandbox_rule_t log_write = SL_SB_ALLOW(write, SL_SB_EQ(0, log_fd));
  sl_tile_keep_rules(k, &log_write, 1);
  sl_tile_keep_fds(k, &log_fd, 1);
}

/* Confines the tile for good, after its privileged setup: every page of
   the workspace but its own region read-only, then its sandbox. The
   region comes from the topology, which only the supervisor writes. */
static int confine(sl_tile_t *t, sl_metrics_t *m, sl_err_t *err) {
  const sl_topo_tile_t *tt = &t->topo->tile[t->id];
  sl_wksp_t *w = t->wksp;
  if (tt->rgn_off > w->size || tt->rgn_sz > w->size - tt->rgn_off || tt->rgn_off % w->page_size ||
      tt->rgn_sz % w->page_size)
    return sl_err_set(err, "its region [%llu, +%llu) is not whole pages of the workspace",
                      (unsigned long long)tt->rgn_off, (unsigned long long)tt->rgn_sz);
  if (mprotect(w->base, w->size, PROT_READ) ||
      mprotect(w->base + tt->rgn_off, tt->rgn_sz, PROT_READ | PROT_WRITE))
    return sl_err_set(err, "write-protecting the workspace outside its region: %s", strerror(errno));
  /* The mapping stays; its descriptor goes (the supervisor holds the lock). */
  if (w->fd >= 0) close(w->fd);
  w->fd = -1;

  sl_tile_keep_t k;
  memset(&k, 0, sizeof k);
  k.dir_fd = -1;
  if (t->ops->keep) t->ops->keep(t, &k);
  int log_fd = sl_log_fd();
  sl_tile_keep_runtime(&k, log_fd);
  int top = 0;
  for (uint32_t i = 0; i < k.fd_cnt; i++)
    if (k.fds[i] > top) top = k.fds[i];
  struct stat st;
  int log_is_file = !fstat(log_fd, &st) && S_ISREG(st.st_mode);
  sl_sandbox_t sb = {
      .tile = t->name,
      .uid = t->uid,
      .gid = t->gid,
      .fds = k.fds,
      .fd_cnt = k.fd_cnt,
      .unshare = SL_SB_NS_ALL,
      .empty_root = 1,
      .max_fds = (uint64_t)top + 1 + k.fd_slack,
      .max_file_size = k.writes_files || log_is_file ? RLIM_INFINITY : 0,
      .landlock = 1,
      .landlock_dir_fd = k.dir_fd,
      .rules = k.rules,
      .rule_cnt = k.rule_cnt,
      .trap_slot = &m->v[SL_M_SYSCALL_DENIED],
      .parent_death_signal = t->parent ? SIGKILL : 0,
      .parent = t->parent,
  };
  return sl_sandbox_enter(&sb, err);
}

int sl_tile_main(sl_tile_t *t) {
  sl_metrics_t *m = sl_topo_metrics(t->wksp, t->topo, t->id);
  sl_metrics_set(m, SL_M_PID, (uint64_t)getpid());
  sl_metrics_set(m, SL_M_CPU, (uint64_t)(int64_t)t->cpu);
  sl_metrics_set(m, SL_M_HEARTBEAT_NS, sl_now_ns());
  t->metrics = m->v;
  /* Naps should end when asked, not up to 50 us (the default slack) late. */
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  /* Below the kernel's threads on a shared core ([layout] nice): raising
     one's own nice needs no privilege, so this cannot fail for want of it. */
  if (t->cfg->layout.nice && setpriority(PRIO_PROCESS, 0, (int)t->cfg->layout.nice))
    SL_WARN("tile %s: cannot set nice %u: %s", t->name, t->cfg->layout.nice, strerror(errno));
  /* A woken tile waits for the next scheduling point instead of preempting
     what runs (tile.h: "Why SCHED_BATCH"). Any process may choose it. */
  struct sched_param sp = {.sched_priority = 0};
  if (sched_setscheduler(0, SCHED_BATCH, &sp))
    SL_WARN("tile %s: cannot take SCHED_BATCH: %s", t->name, strerror(errno));

  sl_err_t err = {{0}};
  if (t->ops->init && t->ops->init(t, &err)) {
    SL_ERR("tile %s failed to start: %s", t->name, err.msg);
    set_state(m, SL_TILE_FAILED);
    return 1;
  }
  /* Privileged setup is over (sockets bound, rings mapped): from here on the
     tile needs no more than what it declared. Tests of the loop alone run
     as root and unconfined (uid 0); the supervisor never starts a tile so. */
  if (t->uid && confine(t, m, &err)) {
    SL_ERR("tile %s: cannot enter its sandbox: %s", t->name, err.msg);
    set_state(m, SL_TILE_FAILED);
    return 1;
  }
  set_state(m, SL_TILE_RUNNING);

  int stopping = 0;
  uint32_t idle_polls = 0;
  uint64_t depth = t->topo->link_depth < t->topo->ring_depth ? t->topo->link_depth : t->topo->ring_depth;
  uint64_t nap_ns = SL_TILE_NAP_MIN_NS;
  uint64_t found = 0; /* frags or packets handled since the last nap began */
  uint64_t now = sl_now_ns();
  uint64_t nap_began = now;
  uint64_t next_hk = now;
  uint64_t busy_since = 0; /* when the current run of polls that all found work began; 0: none */
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
      found += did;
      if (!busy_since) busy_since = now;
      if (sl_tile_yields(t->idle, after - busy_since)) {
        sched_yield(); /* tile.h: SL_TILE_RUN_MAX_NS */
        uint64_t back = sl_now_ns();
        sl_metrics_add(m, SL_M_IDLE_NS, back - after);
        after = back;
        busy_since = 0;
      }
    } else {
      busy_since = 0;
      if (t->idle == SL_IDLE_SPIN || ++idle_polls < SL_TILE_IDLE_POLLS) {
        cpu_relax();
      } else if (t->ops->wait && sl_tile_waits(t->nap_depth, after - nap_began, found)) {
        t->ops->wait(t, next_hk > after ? next_hk - after : 0);
        after = sl_now_ns();
        nap_ns = SL_TILE_NAP_MIN_NS;
        nap_began = after;
        found = 0;
      } else {
        nap_ns = sl_tile_nap_ns(nap_ns, after - nap_began, found, t->ops->wait ? t->nap_depth : depth);
        nap_began = after;
        found = 0;
        struct timespec ts = {0, (long)nap_ns};
        nanosleep(&ts, NULL);
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
