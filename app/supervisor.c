#include "app/supervisor.h"

#include <errno.h>
#include <numa.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/preflight.h"
#include "shmem/wksp.h"
#include "tiles/metric/metric_http.h"
#include "tiles/metric/metric_tile.h"
#include "tiles/net/iface.h"
#include "tiles/net/net_tile.h"
#include "tiles/net/port_owner.h"
#include "tiles/net/uring_rx.h"
#include "tiles/net/xdp_rx.h"
#include "tiles/net/xdp_setup.h"
#include "tiles/sandbox.h"
#include "tiles/sink/sink_tile.h"
#include "tiles/tile.h"
#include "tiles/topo.h"
#include "tiles/verify/verify_tile.h"
#include "util/cpuset.h"
#include "util/log.h"
#include "util/notify.h"
#include "util/time.h"

/* How long an orderly stop may take before the stragglers are killed. */
#define SUP_DRAIN_TIMEOUT_NS (15ull * 1000000000ull)
/* Watch loop period: a dead tile is noticed within this (SIGCHLD ends the
   sleep at once), a silent one within this of its timeout. */
#define SUP_WATCH_MS 5

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig) { stop_signal = sig; }
static void on_child(int sig) { (void)sig; } /* only to interrupt sleeps */

/* Tile CPUs: "auto" takes the online CPUs in order; tiles wrap around
   when there are more tiles than CPUs (they then share, which is why
   idle = "adaptive" exists). */
static int plan_cpus(const sl_config_t *cfg, uint32_t tile_cnt, int32_t *cpus, uint32_t *cnt,
                     sl_err_t *err) {
  sl_cpulist_t l;
  if (!strcmp(cfg->layout.affinity, "auto")) {
    if (sl_cpulist_online(&l, err)) return -1;
  } else if (sl_cpulist_parse(cfg->layout.affinity, &l, err)) {
    return sl_err_prefix(err, "[layout] affinity");
  }
  for (uint32_t i = 0; i < l.cnt; i++) {
    if (!sl_cpu_online(l.cpu[i]))
      return sl_err_set(err, "[layout] affinity: CPU %u is offline", l.cpu[i]);
    cpus[i] = l.cpu[i];
  }
  *cnt = l.cnt;
  if (tile_cnt > l.cnt)
    SL_WARN("%u tiles on %u CPUs: tiles will share CPUs%s", tile_cnt, l.cnt,
            cfg->layout.idle == SL_IDLE_SPIN ? " while spinning (set [layout] idle = \"adaptive\")" : "");
  return 0;
}

/* The NUMA node to put the workspace on: the NIC's, else the first tile's
   CPU's; -1 (no binding) without NUMA support. */
static int plan_numa(const sl_iface_t *ifc, int32_t first_cpu) {
  if (numa_available() < 0) return -1;
  int node = ifc->numa_node;
  if (node < 0 && first_cpu >= 0) node = numa_node_of_cpu(first_cpu);
  return node;
}

/* The supervisor's private view of a tile. Everything here was decided
   before any tile ran and is never read back from the workspace: a tile
   may scribble over shared memory, so the supervisor only reads values
   (state, heartbeat) from it, at offsets it keeps itself. */
typedef struct {
  uint32_t kind, idx;
  int32_t cpu;
  const sl_metrics_t *metrics;
  char name[16];
  pid_t pid;
  int live;
} sup_tile_t;

typedef struct {
  const sl_config_t *cfg;
  sl_wksp_t wksp;
  sl_topo_t *topo; /* in the workspace: written here, read by the tiles */
  uint32_t tile_cnt, net_cnt;
  sup_tile_t tile[SL_TOPO_TILE_MAX];
  sl_iface_t iface;
  sl_net_xdp_t xdp;
  int xdp_up;
  sl_net_uring_prep_t *uring[SL_NET_TILE_MAX]; /* io_uring providers until their tile takes them */
  uid_t uid; /* what the tiles run as (sl_sandbox_resolve_user) */
  gid_t gid;
  int metric_fd; /* the metric tile's listening socket until it is forked; else -1 */
} sup_t;

static sl_net_pool_t tile_pool(const sup_t *s, uint32_t i) {
  sl_net_pool_t p = {.wksp_base = s->wksp.base,
                     .pool_off = s->topo->pool[i],
                     .frame_sz = s->topo->frame_sz,
                     .frame_cnt = (uint32_t)s->topo->pool_frame_cnt};
  return p;
}

static int setup_xdp(sup_t *s, sl_err_t *err) {
  const sl_config_t *cfg = s->cfg;
  sl_topo_t *topo = s->topo;
  sl_net_xdp_params_t p;
  memset(&p, 0, sizeof p);
  p.iface = &s->iface;
  memcpy(p.ports, cfg->net.ports, sizeof p.ports);
  p.port_cnt = cfg->net.port_cnt;
  p.bind_addr = cfg->net.bind_address;
  p.mode = cfg->net.xdp_mode;
  p.zero_copy = cfg->net.xdp_zero_copy;
  p.queue_cnt = topo->net_cnt;
  p.rx_queue_size = cfg->net.rx_queue_size;
  p.wksp_base = s->wksp.base;
  for (uint32_t i = 0; i < topo->net_cnt; i++) p.pool_off[i] = topo->pool[i];
  p.frame_sz = topo->frame_sz;
  p.frame_cnt = (uint32_t)topo->pool_frame_cnt;
  p.debug = sl_log_get_level() <= SL_LOG_DEBUG;
  if (sl_net_xdp_setup(&s->xdp, &p, err)) return -1;
  s->xdp_up = 1;
  SL_INFO("XDP program attached to %s in %s mode; %u AF_XDP socket(s) bound to queues 0..%u", cfg->net.interface,
          sl_net_xdp_mode(&s->xdp), topo->net_cnt, topo->net_cnt - 1);
  char msg[1024];
  if (sl_port_owner_diverted(cfg->net.ports, cfg->net.port_cnt, cfg->net.bind_address, cfg->net.interface, msg,
                             sizeof msg))
    SL_WARN("%s", msg);
  return 0;
}

static int setup_uring(sup_t *s, sl_err_t *err) {
  const sl_config_t *cfg = s->cfg;
  if (sl_port_owner_check_shared(cfg->net.ports, cfg->net.port_cnt, cfg->net.bind_address, err)) return -1;
  for (uint32_t i = 0; i < s->topo->net_cnt; i++) {
    sl_net_uring_params_t p;
    memset(&p, 0, sizeof p);
    memcpy(p.ports, cfg->net.ports, sizeof p.ports);
    p.port_cnt = cfg->net.port_cnt;
    p.bind_addr = cfg->net.bind_address;
    p.ifname = cfg->net.interface;
    p.queue_size = cfg->net.rx_queue_size;
    p.rcvbuf = 16u << 20;
    p.tile_idx = i;
    sl_net_pool_t pool = tile_pool(s, i);
    if (sl_net_uring_prepare(&s->uring[i], &pool, &p, err)) return -1;
  }
  return 0;
}

/* Chooses and opens the net provider, privileged, here: XDP (the filter
   and a socket per net tile), else, when the config allows, io_uring
   sockets, saying why. Each net tile takes its provider over after fork. */
static int setup_net(sup_t *s, sl_err_t *err) {
  const sl_config_t *cfg = s->cfg;
  sl_topo_t *topo = s->topo;
  if (cfg->net.provider != SL_PROVIDER_IO_URING) {
    sl_err_t xerr = {{0}};
    if (!setup_xdp(s, &xerr)) {
      topo->net_provider = SL_NET_XDP;
      for (uint32_t i = 0; i < topo->net_cnt; i++)
        snprintf(topo->net_mode[i], sizeof topo->net_mode[i], "xdp/%s", sl_net_xdp_mode(&s->xdp));
      return 0;
    }
    if (cfg->net.provider == SL_PROVIDER_XDP) return sl_err_set(err, "[net] provider = \"xdp\": %s", xerr.msg);
    SL_WARN("XDP unavailable, falling back to io_uring UDP sockets: %s", xerr.msg);
  }
  if (setup_uring(s, err)) return -1;
  topo->net_provider = SL_NET_IO_URING;
  for (uint32_t i = 0; i < topo->net_cnt; i++) snprintf(topo->net_mode[i], sizeof topo->net_mode[i], "io_uring");
  return 0;
}

/* This process's copies of the providers' sockets and rings: once the net
   tiles hold theirs, only they may. */
static void release_net(sup_t *s) {
  if (s->xdp_up) sl_net_xdp_release_sockets(&s->xdp);
  for (uint32_t i = 0; i < SL_NET_TILE_MAX; i++) {
    sl_net_uring_prep_close(s->uring[i]);
    s->uring[i] = NULL;
  }
}

/* The providers' open, run by the net tile in its own process. */
static int open_xdp_rx(sl_net_rx_t *rx, void *arg, const sl_tile_t *t, const sl_net_pool_t *pool, sl_err_t *err) {
  return sl_net_xdp_rx_open(rx, (sl_net_xdp_t *)arg, t->idx, pool, err);
}
static int open_uring_rx(sl_net_rx_t *rx, void *arg, const sl_tile_t *t, const sl_net_pool_t *pool,
                         sl_err_t *err) {
  (void)t, (void)pool;
  return sl_net_uring_rx_open(rx, (sl_net_uring_prep_t *)arg, err);
}

static const sl_tile_ops_t *tile_ops(uint32_t kind) {
  return kind == SL_TILE_NET      ? &sl_net_tile_ops
         : kind == SL_TILE_VERIFY ? &sl_verify_tile_ops
         : kind == SL_TILE_SINK   ? &sl_sink_tile_ops
                                  : &sl_metric_tile_ops;
}

/* In the child, right after fork. Never returns. */
static void tile_child(sup_t *s, uint32_t id, pid_t parent) {
  /* Die with the supervisor, however it dies; and if it already died
     between fork and here, do not start at all. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  /* The supervisor owns the lifecycle: a terminal's Ctrl-C or a service
     manager's SIGTERM to the group must not kill tiles mid-drain. */
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGCHLD, SIG_DFL);

  const sup_tile_t *st = &s->tile[id];
  char comm[16];
  snprintf(comm, sizeof comm, "sluice:%s", st->name);
  prctl(PR_SET_NAME, comm);
  sl_log_set_name(st->name);
  if (st->cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(st->cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set)) SL_WARN("cannot pin to CPU %d: %s", st->cpu, strerror(errno));
  }
  sl_tile_t t;
  memset(&t, 0, sizeof t);
  t.ops = tile_ops(st->kind);
  t.kind = st->kind;
  t.idx = st->idx;
  t.parent = parent;
  t.id = id;
  snprintf(t.name, sizeof t.name, "%s", st->name);
  t.cpu = st->cpu;
  t.idle = s->cfg->layout.idle;
  t.wksp = &s->wksp;
  t.cfg = s->cfg;
  t.topo = s->topo;
  t.uid = s->uid;
  t.gid = s->gid;
  /* Only the metric tile keeps the /metrics socket. */
  t.listen_fd = -1;
  if (s->metric_fd >= 0 && st->kind == SL_TILE_METRIC) t.listen_fd = s->metric_fd;
  else if (s->metric_fd >= 0) close(s->metric_fd);
  sl_net_provider_t prov;
  if (st->kind == SL_TILE_NET) {
    prov = s->xdp_up ? (sl_net_provider_t){open_xdp_rx, &s->xdp}
                     : (sl_net_provider_t){open_uring_rx, s->uring[st->idx]};
    t.net_ctx = &prov;
  }
  _exit(sl_tile_main(&t));
}

/* How tile t ended. A tile killed by SIGSYS made a system call its sandbox
   does not allow; it wrote the call's number + 1 into its metrics first
   (a value read from shared memory: only ever printed, and bounded). */
static uint64_t metric(const sup_tile_t *t, uint32_t k) { return sl_metrics_get(t->metrics, k); }

static void describe_status(const sup_tile_t *t, int status, char *buf, size_t sz) {
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
    uint64_t nr = metric(t, SL_M_SYSCALL_DENIED);
    char *name = nr >= 1 && nr <= 4096 ? seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)(nr - 1)) : NULL;
    if (name)
      snprintf(buf, sz, "was killed by its sandbox (SIGSYS): it made system call %s (%llu), which its allow-list lacks",
               name, (unsigned long long)nr - 1);
    else
      snprintf(buf, sz, "was killed by its sandbox (SIGSYS): a system call its allow-list lacks");
    free(name);
  } else if (WIFSIGNALED(status)) {
    snprintf(buf, sz, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  } else if (WIFEXITED(status)) {
    snprintf(buf, sz, "exited with status %d", WEXITSTATUS(status));
  } else {
    snprintf(buf, sz, "ended (status 0x%x)", status);
  }
}

static void kill_all(sup_t *s) {
  for (uint32_t id = 0; id < s->tile_cnt; id++)
    if (s->tile[id].live) kill(s->tile[id].pid, SIGKILL);
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    if (!s->tile[id].live) continue;
    while (waitpid(s->tile[id].pid, NULL, 0) < 0 && errno == EINTR) {
    }
    s->tile[id].live = 0;
  }
}


static void log_summary(sup_t *s) {
  uint64_t v[SL_TILE_KIND_CNT][SL_METRICS_CNT];
  memset(v, 0, sizeof v);
  for (uint32_t id = 0; id < s->tile_cnt; id++)
    for (uint32_t k = SL_M_COMMON_CNT; k < SL_METRICS_CNT; k++) v[s->tile[id].kind][k] += metric(&s->tile[id], k);
  SL_INFO("net: rx_pkts %lu published %lu rx_malformed %lu | verify: in_frags %lu verified %lu "
          "dedup_drop %lu sigverify_fail %lu parse_fail %lu overrun %lu | sink: txns %lu",
          (unsigned long)v[SL_TILE_NET][SL_M_NET_RX_PKTS], (unsigned long)v[SL_TILE_NET][SL_M_NET_PUBLISHED],
          (unsigned long)v[SL_TILE_NET][SL_M_NET_RX_MALFORMED],
          (unsigned long)v[SL_TILE_VERIFY][SL_M_VERIFY_IN_FRAGS],
          (unsigned long)v[SL_TILE_VERIFY][SL_M_VERIFY_VERIFIED],
          (unsigned long)v[SL_TILE_VERIFY][SL_M_VERIFY_DEDUP_DROP],
          (unsigned long)v[SL_TILE_VERIFY][SL_M_VERIFY_SIGVERIFY_FAIL],
          (unsigned long)v[SL_TILE_VERIFY][SL_M_VERIFY_PARSE_FAIL],
          (unsigned long)v[SL_TILE_VERIFY][SL_M_VERIFY_OVERRUN],
          (unsigned long)v[SL_TILE_SINK][SL_M_SINK_TXNS]);
}

/* The id of a live tile whose heartbeat is older than the timeout (its age
   in *silent_ns), or -1. A tile heartbeats every millisecond once running;
   before that (booting) the clock starts at its fork, in *born. Values
   read from the workspace are only compared, never used as offsets. */
static int silent_tile(const sup_t *s, const uint64_t *born, uint64_t timeout_ns, uint64_t *silent_ns) {
  uint64_t now = sl_now_ns();
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    const sup_tile_t *t = &s->tile[id];
    if (!t->live || metric(t, SL_M_STATE) == SL_TILE_STOPPED) continue;
    uint64_t hb = metric(t, SL_M_HEARTBEAT_NS);
    /* Read after now: a tile may have heartbeat since. Before its fork: it
       never has (or wrote nonsense), so its silence runs from the fork. */
    if (hb > now) hb = now;
    if (hb < born[id]) hb = born[id];
    if (now - hb > timeout_ns) {
      *silent_ns = now - hb;
      return (int)id;
    }
  }
  return -1;
}

/* Logs a failed notification of the service manager (util/notify.h), once. */
static void notify_check(int rc, const sl_err_t *err) {
  static int warned;
  if (rc && !warned++) SL_WARN("%s", err->msg);
}

/* 1 once every tile has reported running. */
static int all_running(const sup_t *s) {
  for (uint32_t id = 0; id < s->tile_cnt; id++)
    if (metric(&s->tile[id], SL_M_STATE) != SL_TILE_RUNNING) return 0;
  return 1;
}

/* Watches the tiles until all exit after a stop (0) or one fails (1):
   dies, exits before a stop, or falls silent for the heartbeat timeout.
   Under a service manager: READY=1 once every tile runs, WATCHDOG=1 while
   watching, STOPPING=1 on a stop signal. */
static int watch(sup_t *s, const uint64_t *born) {
  uint32_t cnt = s->tile_cnt, live_cnt = cnt;
  int stopping = 0, ready = 0;
  uint64_t deadline = 0, timeout_ns = (uint64_t)s->cfg->layout.heartbeat_timeout_ms * 1000000ull;
  sl_notify_t sd;
  sl_err_t nerr = {{0}};
  if (sl_notify_init(&sd, &nerr)) SL_WARN("%s: not notifying the service manager", nerr.msg);
  while (live_cnt) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      uint32_t id = 0;
      while (id < cnt && s->tile[id].pid != pid) id++;
      if (id == cnt) continue; /* not ours (cannot happen: we fork nothing else) */
      s->tile[id].live = 0;
      live_cnt--;
      if (stopping && WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
      char how[160];
      describe_status(&s->tile[id], status, how, sizeof how);
      SL_ERR("tile %s (pid %d) %s%s; stopping the instance", s->tile[id].name, (int)pid, how,
             stopping ? " while draining" : "");
      kill_all(s);
      return 1;
    }
    uint64_t silent;
    int quiet = silent_tile(s, born, timeout_ns, &silent);
    if (quiet >= 0) {
      SL_ERR("tile %s (pid %d) has been silent for %.1f s (heartbeat_timeout_ms = %u)%s: stuck, stopped or "
             "starved of CPU; stopping the instance",
             s->tile[quiet].name, (int)s->tile[quiet].pid, (double)silent / 1e9,
             s->cfg->layout.heartbeat_timeout_ms, stopping ? " while draining" : "");
      kill_all(s);
      return 1;
    }
    if (stop_signal && !stopping) {
      stopping = 1;
      SL_INFO("%s: stopping intake and draining", strsignal(stop_signal));
      notify_check(sl_notify_send(&sd, "STOPPING=1\nSTATUS=draining", &nerr), &nerr);
      __atomic_store_n(&s->topo->stop, 1, __ATOMIC_RELEASE);
      deadline = sl_now_ns() + SUP_DRAIN_TIMEOUT_NS;
    }
    if (stopping && sl_now_ns() > deadline) {
      SL_ERR("drain did not finish within %llu s; killing the remaining tiles",
             (unsigned long long)(SUP_DRAIN_TIMEOUT_NS / 1000000000ull));
      kill_all(s);
      return 1;
    }
    if (!ready && !stopping && all_running(s)) {
      ready = 1;
      notify_check(sl_notify_send(&sd, "READY=1\nSTATUS=running: every tile is up", &nerr), &nerr);
    }
    notify_check(sl_notify_watchdog(&sd, sl_now_ns(), &nerr), &nerr);
    sl_sleep_ns(SUP_WATCH_MS * 1000000ull, NULL);
  }
  return 0;
}

/* Forks every tile. Returns 0, or -1 (logged) with the ones started killed. */
static int start_tiles(sup_t *s, uint64_t *born) {
  pid_t self = getpid();
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    sup_tile_t *st = &s->tile[id];
    born[id] = sl_now_ns();
    pid_t pid = fork();
    if (pid < 0) {
      SL_ERR("fork for tile %s: %s", st->name, strerror(errno));
      kill_all(s);
      return -1;
    }
    if (pid == 0) tile_child(s, id, self);
    st->pid = pid;
    st->live = 1;
    s->topo->tile[id].pid = pid;
    SL_INFO("tile %s: pid %d, cpu %d", st->name, (int)pid, st->cpu);
  }
  return 0;
}

int sl_supervise(const sl_config_t *cfg) {
  sl_log_set_level(cfg->log.level);
  if (*cfg->log.file && sl_log_set_file(cfg->log.file))
    SL_WARN("[log] file = \"%s\": cannot open it, logging to stderr", cfg->log.file);

  static sup_t sup;
  sup_t *s = &sup;
  memset(s, 0, sizeof *s);
  s->cfg = cfg;
  s->metric_fd = -1;
  sl_err_t err = {{0}};
  uint32_t tile_cnt = cfg->layout.net_tile_count + cfg->layout.verify_tile_count + 1; /* the metric tile floats */

  static int32_t cpus[SL_CPU_MAX];
  uint32_t cpu_cnt = 0;
  if (plan_cpus(cfg, tile_cnt, cpus, &cpu_cnt, &err) || sl_iface_probe(cfg->net.interface, &s->iface, &err) ||
      sl_sandbox_resolve_user(cfg->user, &s->uid, &s->gid, &err)) {
    SL_ERR("%s", err.msg);
    return 1;
  }

  static char cfg_text[16384];
  sl_config_render(cfg, cfg_text, sizeof cfg_text);
  sl_wksp_params_t wp;
  sl_preflight_wksp_params(cfg, cfg_text, &wp);
  wp.numa_node = plan_numa(&s->iface, cpu_cnt ? cpus[0] : -1);
  if (sl_wksp_create(&s->wksp, &wp, &err)) {
    SL_ERR("%s", err.msg);
    return 1;
  }
  SL_INFO("instance %s: workspace %s (%.1f MiB, %s)", cfg->name, s->wksp.path,
          (double)s->wksp.size / (1 << 20), s->wksp.is_huge ? "hugepages" : "no hugepages");

  int rc = 1;
  static uint64_t born[SL_TOPO_TILE_MAX];
  if (sl_topo_build(&s->wksp, cfg, cpus, cpu_cnt, &s->topo, &err)) {
    SL_ERR("%s", err.msg);
    goto out;
  }
  s->tile_cnt = s->topo->tile_cnt;
  s->net_cnt = s->topo->net_cnt;
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    const sl_topo_tile_t *tt = &s->topo->tile[id];
    sup_tile_t *st = &s->tile[id];
    st->kind = tt->kind;
    st->idx = tt->idx;
    st->cpu = tt->cpu;
    st->metrics = sl_wksp_laddr(&s->wksp, tt->metrics_off);
    snprintf(st->name, sizeof st->name, "%s:%u", sl_tile_kind_name(tt->kind), tt->idx);
  }
  if (setup_net(s, &err)) {
    SL_ERR("%s", err.msg);
    goto out;
  }
  /* Opened before any tile runs, so a taken port fails the start; served
     by the metric tile, never here: the supervisor parses no network input. */
  if (*cfg->monitor.prometheus_listen &&
      sl_http_listen(cfg->monitor.prometheus_listen, &s->metric_fd, NULL, &err)) {
    SL_ERR("[monitor] prometheus_listen: %s", err.msg);
    goto out;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = on_child;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  if (start_tiles(s, born)) goto out;
  release_net(s);
  if (s->metric_fd >= 0) close(s->metric_fd);
  s->metric_fd = -1;
  rc = watch(s, born);
  log_summary(s);
  if (!rc) SL_INFO("stopped cleanly");
  else SL_ERR("stopped: the instance failed (exit status %d, the cause is logged above)", rc);

out:
  if (s->metric_fd >= 0) close(s->metric_fd);
  release_net(s);
  if (s->xdp_up) sl_net_xdp_close(&s->xdp);
  sl_wksp_remove(&s->wksp);
  return rc;
}
