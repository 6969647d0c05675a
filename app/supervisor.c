#include "app/supervisor.h"

#include <errno.h>
#include <net/if.h>
#include <numa.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/prom.h"
#include "shmem/wksp.h"
#include "tiles/net/net_tile.h"
#include "tiles/net/xdp_rx.h"
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
/* Watch loop period: a dead tile is noticed within this (plus SIGCHLD). */
#define SUP_WATCH_MS 5
/* A running tile heartbeats every millisecond; one silent this long is
   stuck (or starved of CPU) and the operator hears of it. */
#define SUP_STALE_NS (2ull * 1000000000ull)

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
static int plan_numa(const sl_config_t *cfg, int32_t first_cpu) {
  if (numa_available() < 0) return -1;
  char path[128];
  snprintf(path, sizeof path, "/sys/class/net/%s/device/numa_node", cfg->net.interface);
  FILE *f = fopen(path, "r");
  int node = -1;
  if (f) {
    if (fscanf(f, "%d", &node) != 1) node = -1;
    fclose(f);
  }
  if (node < 0 && first_cpu >= 0) node = numa_node_of_cpu(first_cpu);
  return node;
}

typedef struct {
  const sl_config_t *cfg;
  sl_wksp_t wksp;
  sl_topo_t *topo;
  sl_net_xdp_t xdp;
  int xdp_up;
  pid_t pid[SL_TOPO_TILE_MAX];
  int live[SL_TOPO_TILE_MAX];
  char name[SL_TOPO_TILE_MAX][16];
  sl_prom_server_t prom;
  int prom_up;
  int stale[SL_TOPO_TILE_MAX]; /* a stale-heartbeat warning is out for this tile */
} sup_t;

/* Chooses and sets up the net provider. XDP is installed here, in the
   privileged parent, once: the forked net tiles inherit the sockets. */
static int setup_net(sup_t *s, sl_err_t *err) {
  const sl_config_t *cfg = s->cfg;
  sl_topo_t *topo = s->topo;
  if (cfg->net.provider != SL_PROVIDER_IO_URING) {
    sl_net_xdp_params_t p;
    memset(&p, 0, sizeof p);
    p.ifname = cfg->net.interface;
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
    sl_err_t xerr = {{0}};
    if (!sl_net_xdp_setup(&s->xdp, &p, &xerr)) {
      s->xdp_up = 1;
      topo->net_provider = SL_NET_XDP;
      for (uint32_t i = 0; i < topo->net_cnt; i++)
        snprintf(topo->net_mode[i], sizeof topo->net_mode[i], "xdp/%s", sl_net_xdp_mode(&s->xdp));
      SL_INFO("XDP program attached to %s in %s mode; %u AF_XDP socket(s) bound to queues 0..%u",
              cfg->net.interface, sl_net_xdp_mode(&s->xdp), topo->net_cnt, topo->net_cnt - 1);
      return 0;
    }
    if (cfg->net.provider == SL_PROVIDER_XDP)
      return sl_err_set(err, "[net] provider = \"xdp\": %s", xerr.msg);
    SL_WARN("XDP unavailable, falling back to io_uring UDP sockets: %s", xerr.msg);
  }
  topo->net_provider = SL_NET_IO_URING;
  for (uint32_t i = 0; i < topo->net_cnt; i++)
    snprintf(topo->net_mode[i], sizeof topo->net_mode[i], "io_uring");
  return 0;
}

/* The XDP provider for forked net tiles: each takes over the AF_XDP socket
   the supervisor bound to its queue. */
static int open_xdp_rx(sl_net_rx_t *rx, void *arg, const sl_tile_t *t, const sl_net_pool_t *pool,
                       sl_err_t *err) {
  return sl_net_xdp_rx_open(rx, (sl_net_xdp_t *)arg, t->idx, pool, err);
}

static const sl_tile_ops_t *tile_ops(uint32_t kind) {
  return kind == SL_TILE_NET ? &sl_net_tile_ops : kind == SL_TILE_VERIFY ? &sl_verify_tile_ops
                                                                         : &sl_sink_tile_ops;
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
  if (s->prom_up) sl_prom_server_close(&s->prom);

  const sl_topo_tile_t *tt = &s->topo->tile[id];
  char comm[16];
  snprintf(comm, sizeof comm, "sluice:%s", s->name[id]);
  prctl(PR_SET_NAME, comm);
  sl_log_set_name(s->name[id]);
  if (tt->cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(tt->cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set))
      SL_WARN("cannot pin to CPU %d: %s", tt->cpu, strerror(errno));
  }
  sl_tile_t t;
  memset(&t, 0, sizeof t);
  t.ops = tile_ops(tt->kind);
  t.kind = tt->kind;
  t.idx = tt->idx;
  t.id = id;
  snprintf(t.name, sizeof t.name, "%s", s->name[id]);
  t.cpu = tt->cpu;
  t.idle = s->cfg->layout.idle;
  t.wksp = &s->wksp;
  t.cfg = s->cfg;
  t.topo = s->topo;
  t.user = s->cfg->user;
  sl_net_provider_t xdp_provider = {open_xdp_rx, &s->xdp};
  t.net_ctx = s->xdp_up ? &xdp_provider : NULL;
  _exit(sl_tile_main(&t));
}

static void describe_status(int status, char *buf, size_t sz) {
  if (WIFSIGNALED(status))
    snprintf(buf, sz, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  else if (WIFEXITED(status))
    snprintf(buf, sz, "exited with status %d", WEXITSTATUS(status));
  else
    snprintf(buf, sz, "ended (status 0x%x)", status);
}

static void kill_all(sup_t *s) {
  for (uint32_t id = 0; id < s->topo->tile_cnt; id++)
    if (s->live[id]) kill(s->pid[id], SIGKILL);
  for (uint32_t id = 0; id < s->topo->tile_cnt; id++) {
    if (!s->live[id]) continue;
    while (waitpid(s->pid[id], NULL, 0) < 0 && errno == EINTR) {
    }
    s->live[id] = 0;
  }
}

static void log_summary(sup_t *s) {
  uint64_t v[SL_TILE_KIND_CNT][SL_METRICS_CNT];
  memset(v, 0, sizeof v);
  for (uint32_t id = 0; id < s->topo->tile_cnt; id++) {
    const sl_metrics_t *m = sl_topo_metrics(&s->wksp, s->topo, id);
    for (uint32_t k = SL_M_COMMON_CNT; k < SL_METRICS_CNT; k++) v[m->kind][k] += sl_metrics_get(m, k);
  }
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

/* Warns once per episode about a running tile whose heartbeat stopped. */
static void check_heartbeats(sup_t *s) {
  uint64_t now = sl_now_ns();
  for (uint32_t id = 0; id < s->topo->tile_cnt; id++) {
    const sl_metrics_t *m = sl_topo_metrics(&s->wksp, s->topo, id);
    if (!s->live[id] || sl_metrics_get(m, SL_M_STATE) != SL_TILE_RUNNING) continue;
    uint64_t hb = sl_metrics_get(m, SL_M_HEARTBEAT_NS);
    int stale = hb && now > hb && now - hb > SUP_STALE_NS;
    if (stale && !s->stale[id])
      SL_WARN("tile %s (pid %d) has not heartbeat for %.1f s: stuck, or starved of CPU", s->name[id],
              (int)s->pid[id], (double)(now - hb) / 1e9);
    else if (!stale && s->stale[id])
      SL_INFO("tile %s heartbeats again", s->name[id]);
    s->stale[id] = stale;
  }
}

/* Logs a failed notification of the service manager (util/notify.h), once. */
static void notify_check(int rc, const sl_err_t *err) {
  static int warned;
  if (rc && !warned++) SL_WARN("%s", err->msg);
}

/* 1 once every tile has reported running. */
static int all_running(sup_t *s) {
  for (uint32_t id = 0; id < s->topo->tile_cnt; id++)
    if (sl_metrics_get(sl_topo_metrics(&s->wksp, s->topo, id), SL_M_STATE) != SL_TILE_RUNNING) return 0;
  return 1;
}

/* Watches the tiles until all exit after a stop (0) or one fails (1). Under
   a service manager: READY=1 once every tile runs, WATCHDOG=1 while
   watching, STOPPING=1 on a stop signal. */
static int watch(sup_t *s) {
  uint32_t cnt = s->topo->tile_cnt, live_cnt = cnt;
  int stopping = 0, ready = 0;
  uint64_t deadline = 0, next_hb_check = 0;
  sl_notify_t sd;
  sl_err_t nerr = {{0}};
  if (sl_notify_init(&sd, &nerr)) SL_WARN("%s: not notifying the service manager", nerr.msg);
  while (live_cnt) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      uint32_t id = 0;
      while (id < cnt && s->pid[id] != pid) id++;
      if (id == cnt) continue; /* not ours (cannot happen: we fork nothing else) */
      s->live[id] = 0;
      live_cnt--;
      if (stopping && WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
      char how[96];
      describe_status(status, how, sizeof how);
      SL_ERR("tile %s (pid %d) %s%s; stopping the instance", s->name[id], (int)pid, how,
             stopping ? " while draining" : "");
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
    if (sl_now_ns() > next_hb_check) {
      check_heartbeats(s);
      next_hb_check = sl_now_ns() + 100000000ull;
    }
    if (!ready && !stopping && all_running(s)) {
      ready = 1;
      notify_check(sl_notify_send(&sd, "READY=1\nSTATUS=running: every tile is up", &nerr), &nerr);
    }
    notify_check(sl_notify_watchdog(&sd, sl_now_ns(), &nerr), &nerr);
    if (s->prom_up)
      sl_prom_server_poll(&s->prom, &s->wksp, SUP_WATCH_MS);
    else
      sl_sleep_ns(SUP_WATCH_MS * 1000000ull, NULL);
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
  sl_err_t err = {{0}};
  uint32_t tile_cnt = cfg->layout.net_tile_count + cfg->layout.verify_tile_count + 1;

  static int32_t cpus[SL_CPU_MAX];
  uint32_t cpu_cnt = 0;
  if (plan_cpus(cfg, tile_cnt, cpus, &cpu_cnt, &err)) {
    SL_ERR("%s", err.msg);
    return 1;
  }

  static char cfg_text[16384];
  sl_config_render(cfg, cfg_text, sizeof cfg_text);
  sl_wksp_params_t wp;
  sl_wksp_params_default(&wp);
  wp.name = cfg->name;
  wp.size = sl_topo_footprint(cfg);
  wp.page_size = cfg->shmem.page_size;
  wp.hugetlbfs_mount = cfg->shmem.hugetlbfs_mount;
  wp.require_hugepages = cfg->shmem.require_hugepages;
  wp.numa_node = plan_numa(cfg, cpu_cnt ? cpus[0] : -1);
  wp.config_text = cfg_text;
  if (sl_wksp_create(&s->wksp, &wp, &err)) {
    SL_ERR("%s", err.msg);
    return 1;
  }
  SL_INFO("instance %s: workspace %s (%.1f MiB, %s)", cfg->name, s->wksp.path,
          (double)s->wksp.size / (1 << 20), s->wksp.is_huge ? "hugepages" : "no hugepages");

  int rc = 1;
  if (sl_topo_build(&s->wksp, cfg, cpus, cpu_cnt, &s->topo, &err) || setup_net(s, &err)) {
    SL_ERR("%s", err.msg);
    goto out;
  }
  if (*cfg->monitor.prometheus_listen) {
    if (sl_prom_server_open(&s->prom, cfg->monitor.prometheus_listen, &err)) {
      SL_ERR("[monitor] prometheus_listen: %s", err.msg);
      goto out;
    }
    s->prom_up = 1;
    SL_INFO("serving Prometheus metrics on http://%s/metrics", cfg->monitor.prometheus_listen);
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = on_child;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  pid_t self = getpid();
  for (uint32_t id = 0; id < s->topo->tile_cnt; id++) {
    const sl_topo_tile_t *tt = &s->topo->tile[id];
    snprintf(s->name[id], sizeof s->name[id], "%s:%u", sl_tile_kind_name(tt->kind), tt->idx);
    pid_t pid = fork();
    if (pid < 0) {
      SL_ERR("fork for tile %s: %s", s->name[id], strerror(errno));
      kill_all(s);
      goto out;
    }
    if (pid == 0) tile_child(s, id, self);
    s->pid[id] = pid;
    s->live[id] = 1;
    s->topo->tile[id].pid = pid;
    SL_INFO("tile %s: pid %d, cpu %d", s->name[id], (int)pid, tt->cpu);
  }
  rc = watch(s);
  log_summary(s);
  if (!rc) SL_INFO("stopped cleanly");

out:
  if (s->prom_up) sl_prom_server_close(&s->prom);
  if (s->xdp_up) sl_net_xdp_close(&s->xdp);
  sl_wksp_remove(&s->wksp);
  return rc;
}
