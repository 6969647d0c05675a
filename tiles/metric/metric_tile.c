/* tiles/metric/metric_tile.c: the metric tile loop. */
#include "tiles/metric/metric_tile.h"

#include <stdlib.h>

#include "tiles/metric/metric_http.h"
#include "tiles/metric/metric_prom.h"
#include "tiles/snapshot.h"
#include "util/log.h"
#include "util/time.h"

typedef struct {
  const sl_wksp_t *w;
  uint64_t render_ns;
  int ready; /* the last wait saw something to serve */
  sl_snapshot_t snap;
  sl_http_srv_t srv;
} metric_ctx_t;

/* The /metrics body: a fresh snapshot, rendered. */
static int render(void *arg, char *buf, size_t cap, size_t *len, sl_err_t *err) {
  metric_ctx_t *c = arg;
  uint64_t t0 = sl_now_ns();
  int rc = sl_snapshot_take(c->w, &c->snap, err);
  if (!rc) *len = sl_prom_render(&c->snap, buf, cap);
  /* The buffer fits any snapshot of the topology seen at start: a longer
     text means the topology in the workspace changed under us. */
  if (!rc && *len >= cap)
    rc = sl_err_set(err, "metrics text of %zu bytes exceeds its %zu-byte buffer: the workspace's "
                    "topology changed since start (damaged?)", *len, cap);
  c->render_ns += sl_now_ns() - t0;
  return rc;
}

static int metric_init(sl_tile_t *t, sl_err_t *err) {
  t->idle = SL_IDLE_ADAPTIVE;
  if (t->listen_fd < 0) return sl_err_set(err, "no listening socket handed over by the supervisor");
  metric_ctx_t *c = calloc(1, sizeof *c);
  if (!c) return sl_err_set(err, "%s: out of memory", t->name);
  t->ctx = c;
  c->srv.fd = -1;
  c->w = t->wksp;
  /* The topology is fixed for the instance's life, so the longest text any
     snapshot can give is known now: bodies never need to grow. */
  if (sl_snapshot_take(c->w, &c->snap, err)) return -1;
  size_t cap = sl_prom_render_max(&c->snap) + 1;
  if (sl_http_open(&c->srv, t->listen_fd, cap, render, c, err)) return -1;
  t->listen_fd = -1; /* the server owns it now */
  SL_INFO("serving Prometheus metrics on http://%s/metrics", t->cfg->monitor.prometheus_listen);
  return 0;
}

/* Looks at the sockets only when the last wait saw something (or the
   tile was just busy): an idle metric tile makes one ppoll per
   housekeeping period, no busy polling. */
static uint32_t metric_poll(sl_tile_t *t) {
  metric_ctx_t *c = t->ctx;
  if (!c->ready) return 0;
  uint32_t did = sl_http_poll(&c->srv, 0);
  c->ready = did > 0; /* more may be pending; else the next wait says */
  return did;
}

static void metric_wait(sl_tile_t *t, uint64_t timeout_ns) {
  metric_ctx_t *c = t->ctx;
  c->ready = sl_http_wait(&c->srv, timeout_ns);
}

static void metric_housekeep(sl_tile_t *t) {
  metric_ctx_t *c = t->ctx;
  sl_metrics_t *m = sl_topo_metrics(t->wksp, t->topo, t->id);
  sl_metrics_set(m, SL_M_METRIC_SERVED, c->srv.served);
  sl_metrics_set(m, SL_M_METRIC_DROPPED, c->srv.dropped);
  sl_metrics_set(m, SL_M_METRIC_EVICTED, c->srv.evicted);
  sl_metrics_set(m, SL_M_METRIC_UNAVAILABLE, c->srv.unavailable);
  sl_metrics_set(m, SL_M_METRIC_CONNECTIONS, c->srv.conn_cnt);
  sl_metrics_set(m, SL_M_METRIC_RENDER_NS, c->render_ns);
}

/* Nothing of the pipeline is in flight here: a scrape cut short is
   retried by Prometheus. */
static int metric_drained(sl_tile_t *t) {
  (void)t;
  return 1;
}

static void metric_fini(sl_tile_t *t) {
  metric_ctx_t *c = t->ctx;
  if (!c) return;
  sl_http_close(&c->srv);
  free(c);
  t->ctx = NULL;
}

/* Its listening socket, the clients it accepts, and the calls that serve
   them: nothing else (it reads the workspace, it never writes it). */
static void metric_keep(sl_tile_t *t, sl_tile_keep_t *k) {
  metric_ctx_t *c = t->ctx;
  int lfd = c->srv.fd;
  sl_tile_keep_fds(k, &lfd, 1);
  k->fd_slack = SL_HTTP_CONN_MAX + 8;
  const sl_sandbox_rule_t rules[] = {
      SL_SB_ALLOW(accept4, SL_SB_EQ(0, lfd)),
      SL_SB_ALLOW(ppoll),
      SL_SB_ALLOW(recvfrom),
      SL_SB_ALLOW(sendto),
      SL_SB_ALLOW(shutdown),
      SL_SB_ALLOW(close),
  };
  sl_tile_keep_rules(k, rules, sizeof rules / sizeof rules[0]);
}

const sl_tile_ops_t sl_metric_tile_ops = {
    .init = metric_init,
    .poll = metric_poll,
    .wait = metric_wait,
    .housekeep = metric_housekeep,
    .drained = metric_drained,
    .fini = metric_fini,
    .keep = metric_keep,
};
