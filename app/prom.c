/* app/prom.c: Prometheus text exposition (format 0.0.4) of a snapshot, and
   the polled HTTP/1.0 server that serves it on /metrics. */
#include "app/prom.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/time.h"

/* ------------------------------------------------------------------ */
/* Rendering                                                           */

/* An snprintf that keeps counting past the end of the buffer, so the
   caller learns the size the whole text needs. */
typedef struct {
  char *buf;
  size_t sz;
  size_t len;
} out_t;

__attribute__((format(printf, 2, 3))) static void put(out_t *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = o->len < o->sz ? o->sz - o->len : 0;
  int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0) o->len += (size_t)n;
}

/* Label values are escaped as the format requires (\\, \", \n). Our
   names never need it, but the instance name comes from a file. */
static void put_label(out_t *o, const char *key, const char *val) {
  put(o, "%s=\"", key);
  for (const char *p = val; *p; p++) {
    if (*p == '\\' || *p == '"') put(o, "\\%c", *p);
    else if (*p == '\n') put(o, "\\n");
    else put(o, "%c", *p);
  }
  put(o, "\"");
}

static void put_family(out_t *o, const char *name, const char *type, const char *help) {
  put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* What each metric of shmem/metrics.h means, for # HELP. A name missing
   here still gets a generic line. */
static const struct {
  int kind; /* -1: any kind */
  const char *name;
  const char *help;
} help_tab[] = {
    {-1, "heartbeat_ns", "CLOCK_MONOTONIC nanoseconds of the tile's last housekeeping."},
    {-1, "pid", "Process id of the tile."},
    {-1, "cpu", "CPU the tile is pinned to, -1 if none."},
    {-1, "state", "Tile state: 0 booting, 1 running, 2 stopping, 3 stopped, 4 failed."},
    {-1, "busy_ns", "Nanoseconds spent working on frags."},
    {-1, "idle_ns", "Nanoseconds spent finding nothing to do."},
    {-1, "backpressure_ns", "Nanoseconds spent waiting for credit on a reliable output."},
    {-1, "housekeep_ns", "Nanoseconds spent in housekeeping."},
    {-1, "backpressure_cnt", "Times the tile had to wait for credit."},
    {-1, "housekeep_cnt", "Housekeeping rounds."},
    {-1, "ctx_switches", "Voluntary and involuntary context switches of the tile process."},
    {SL_TILE_NET, "rx_pkts", "Packets taken off the RX ring or socket."},
    {SL_TILE_NET, "rx_bytes", "Bytes of the packets taken."},
    {SL_TILE_NET, "rx_malformed", "Packets that are not a parseable Ethernet/IPv4/UDP frame with a payload."},
    {SL_TILE_NET, "published", "Frags published to the net tile's output ring."},
    {SL_TILE_NET, "fill_ring_empty", "Times no frame could be given to the fill ring."},
    {SL_TILE_NET, "xdp_rx_dropped", "XDP_STATISTICS rx_dropped."},
    {SL_TILE_NET, "syscalls", "Kernel kicks, waits and io_uring submits."},
    {SL_TILE_NET, "xdp_rx_ring_full", "XDP_STATISTICS rx_ring_full."},
    {SL_TILE_NET, "xdp_rx_invalid_descs", "XDP_STATISTICS rx_invalid_descs."},
    {SL_TILE_NET, "xdp_fill_empty_descs", "XDP_STATISTICS rx_fill_ring_empty_descs."},
    {SL_TILE_NET, "rx_truncated", "Datagrams larger than a frame."},
    {SL_TILE_NET, "sock_rx_dropped", "Datagrams the kernel dropped on the io_uring provider's sockets (receive buffer full)."},
    {SL_TILE_NET, "rx_empty", "Datagrams without a payload (io_uring provider)."},
    {SL_TILE_NET, "xdp_pass_frag", "IPv4 fragments to a captured port the XDP program left to the kernel (one per datagram)."},
    {SL_TILE_NET, "xdp_pass_ipv6", "UDP over IPv6 to a captured port the XDP program left to the kernel."},
    {SL_TILE_NET, "xdp_pass_no_socket", "Packets to a captured port on a queue without an AF_XDP socket."},
    {SL_TILE_VERIFY, "in_frags", "Frags of this tile's share read intact."},
    {SL_TILE_VERIFY, "overrun", "Frags lost to lapping while polling, all input rings."},
    {SL_TILE_VERIFY, "parse_fail", "Transactions that failed the strict parse."},
    {SL_TILE_VERIFY, "dedup_drop", "Duplicates of transactions already verified."},
    {SL_TILE_VERIFY, "sigverify_fail", "Transactions with a signature that failed strict ed25519."},
    {SL_TILE_VERIFY, "verified", "Transactions verified and published to the sink."},
    {SL_TILE_VERIFY, "overrun_read", "Payload reads voided by an overrun while reading."},
    {SL_TILE_VERIFY, "sigs", "Signatures checked."},
    {SL_TILE_SINK, "in_frags", "Frags read from the verify rings."},
    {SL_TILE_SINK, "txns", "Transactions received."},
    {SL_TILE_SINK, "bytes", "Bytes of the transactions received."},
    {SL_TILE_SINK, "pcap_written", "Transactions written to the pcap file."},
    {SL_TILE_SINK, "latency_ns", "Mean first-seen to sink latency over the last housekeeping interval."},
    {SL_TILE_SINK, "latency_max_ns", "Max first-seen to sink latency over the last housekeeping interval."},
    {SL_TILE_SINK, "overrun", "Frags lost to lapping (inputs are reliable: should stay 0)."},
    {SL_TILE_SINK, "pcap_errors", "Failed pcap writes."},
    {SL_TILE_SINK, "latency_p50_ns", "Median first-seen to sink latency since start (histogram bucket bound)."},
    {SL_TILE_SINK, "latency_p99_ns", "99th percentile first-seen to sink latency since start (histogram bucket bound)."},
};

static const char *help_of(uint32_t kind, const char *name) {
  for (size_t i = 0; i < sizeof help_tab / sizeof *help_tab; i++)
    if ((help_tab[i].kind < 0 || (uint32_t)help_tab[i].kind == kind) && !strcmp(help_tab[i].name, name))
      return help_tab[i].help;
  return NULL;
}

static void put_tile_labels(out_t *o, const sl_snapshot_t *s, const sl_snapshot_tile_t *t) {
  put(o, "{");
  put_label(o, "instance", s->name);
  put(o, ",");
  put_label(o, "tile", t->name);
}

static void put_link_labels(out_t *o, const sl_snapshot_t *s, const sl_snapshot_link_t *l,
                            const sl_snapshot_cons_t *c) {
  put(o, "{");
  put_label(o, "instance", s->name);
  put(o, ",");
  put_label(o, "link", l->name);
  if (c) {
    put(o, ",");
    put_label(o, "consumer", c->tile);
  }
  put(o, "}");
}

/* Every family once, its samples together (the format requires it): by
   kind, then metric, then the tiles of that kind. */
static void render_tiles(out_t *o, const sl_snapshot_t *s) {
  put_family(o, "sluice_tile_info", "gauge", "Always 1; the labels carry the tile's kind, mode and state.");
  for (uint32_t id = 0; id < s->tile_cnt; id++) {
    const sl_snapshot_tile_t *t = &s->tile[id];
    put(o, "sluice_tile_info");
    put_tile_labels(o, s, t);
    put(o, ",");
    put_label(o, "kind", sl_tile_kind_name(t->kind));
    put(o, ",");
    put_label(o, "mode", t->mode);
    put(o, ",");
    put_label(o, "state", sl_tile_state_name(t->v[SL_M_STATE]));
    put(o, "} 1\n");
  }
  for (uint32_t k = 0; k < SL_TILE_KIND_CNT; k++) {
    int any = 0;
    for (uint32_t id = 0; id < s->tile_cnt; id++) any |= s->tile[id].kind == k;
    if (!any) continue;
    const char *kn = sl_tile_kind_name(k);
    char fam[128];

    snprintf(fam, sizeof fam, "sluice_%s_heartbeat_age_seconds", kn);
    put_family(o, fam, "gauge", "Seconds since the tile's last heartbeat (absent before the first).");
    for (uint32_t id = 0; id < s->tile_cnt; id++) {
      const sl_snapshot_tile_t *t = &s->tile[id];
      if (t->kind != k || t->heartbeat_age_ns < 0) continue;
      put(o, "%s", fam);
      put_tile_labels(o, s, t);
      put(o, "} %.6f\n", (double)t->heartbeat_age_ns / 1e9);
    }

    for (uint32_t i = 0; i < sl_metrics_cnt(k); i++) {
      const char *mn = sl_metrics_name(k, i);
      if (!mn) continue;
      int counter = sl_metrics_type(k, i) == SL_METRIC_COUNTER;
      snprintf(fam, sizeof fam, "sluice_%s_%s%s", kn, mn, counter ? "_total" : "");
      const char *help = help_of(k, mn);
      char generic[96];
      if (!help) {
        snprintf(generic, sizeof generic, "%s tile metric %s.", kn, mn);
        help = generic;
      }
      put_family(o, fam, counter ? "counter" : "gauge", help);
      for (uint32_t id = 0; id < s->tile_cnt; id++) {
        const sl_snapshot_tile_t *t = &s->tile[id];
        if (t->kind != k) continue;
        put(o, "%s", fam);
        put_tile_labels(o, s, t);
        /* Gauges may be signed (cpu -1 when unpinned). */
        if (i == SL_M_PID) put(o, "} %" PRId64 "\n", t->pid);
        else if (i == SL_M_CPU) put(o, "} %" PRId64 "\n", t->cpu);
        else if (counter) put(o, "} %" PRIu64 "\n", t->v[i]);
        else put(o, "} %" PRId64 "\n", (int64_t)t->v[i]);
      }
    }
  }
}

static void render_links(out_t *o, const sl_snapshot_t *s) {
  put_family(o, "sluice_link_published_total", "counter", "Frags the producer has published (its seq).");
  for (uint32_t i = 0; i < s->link_cnt; i++) {
    put(o, "sluice_link_published_total");
    put_link_labels(o, s, &s->link[i], NULL);
    put(o, " %" PRIu64 "\n", s->link[i].seq);
  }
  put_family(o, "sluice_link_backpressure_total", "counter", "Times the producer waited for credit.");
  for (uint32_t i = 0; i < s->link_cnt; i++) {
    put(o, "sluice_link_backpressure_total");
    put_link_labels(o, s, &s->link[i], NULL);
    put(o, " %" PRIu64 "\n", s->link[i].backpressure_cnt);
  }
  put_family(o, "sluice_link_depth", "gauge", "Entries in the link's ring.");
  for (uint32_t i = 0; i < s->link_cnt; i++) {
    put(o, "sluice_link_depth");
    put_link_labels(o, s, &s->link[i], NULL);
    put(o, " %" PRIu64 "\n", s->link[i].depth);
  }
  static const struct {
    const char *fam, *type, *help;
  } cf[] = {
      {"sluice_link_consumed_total", "counter", "Frags the consumer has read."},
      {"sluice_link_lag", "gauge", "Frags published that the consumer has not yet read."},
      {"sluice_link_overrun_poll_total", "counter", "Frags the consumer lost to lapping while polling."},
      {"sluice_link_overrun_read_total", "counter", "Payload reads the consumer voided (overrun while reading)."},
  };
  for (uint32_t f = 0; f < sizeof cf / sizeof *cf; f++) {
    put_family(o, cf[f].fam, cf[f].type, cf[f].help);
    for (uint32_t i = 0; i < s->link_cnt; i++) {
      const sl_snapshot_link_t *l = &s->link[i];
      for (uint32_t c = 0; c < l->cons_cnt; c++) {
        const sl_snapshot_cons_t *sc = &l->cons[c];
        int64_t lag = (int64_t)(l->seq - sc->seq);
        uint64_t v = f == 0 ? sc->frags
                     : f == 1 ? (lag > 0 ? (uint64_t)lag : 0)
                     : f == 2 ? sc->overrun_poll
                              : sc->overrun_read;
        put(o, "%s", cf[f].fam);
        put_link_labels(o, s, l, sc);
        put(o, " %" PRIu64 "\n", v);
      }
    }
  }
}

size_t sl_prom_render(const sl_snapshot_t *s, char *buf, size_t sz) {
  out_t o = {buf, sz, 0};
  if (sz) buf[0] = '\0';
  put_family(&o, "sluice_up", "gauge", "1 if the instance's supervisor is alive.");
  put(&o, "sluice_up{");
  put_label(&o, "instance", s->name);
  put(&o, "} %d\n", s->alive ? 1 : 0);
  render_tiles(&o, s);
  render_links(&o, s);
  return o.len;
}

/* ------------------------------------------------------------------ */
/* Server                                                              */

static void conn_close(sl_prom_conn_t *c) {
  if (c->fd >= 0) close(c->fd);
  free(c->out);
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

/* After a complete response: closing a socket with unread input makes the
   kernel send RST, which may destroy the response in flight (a client that
   sent more than we read, e.g. after a 431). So half-close, and discard
   what is already queued, without waiting. */
static void conn_finish(sl_prom_conn_t *c) {
  char sink[4096];
  shutdown(c->fd, SHUT_WR);
  for (int i = 0; i < 16 && recv(c->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++) {
  }
  conn_close(c);
}

int sl_prom_server_open(sl_prom_server_t *s, const char *listen_addr, sl_err_t *err) {
  memset(s, 0, sizeof *s);
  s->fd = -1;
  for (uint32_t i = 0; i < SL_PROM_CONN_MAX; i++) s->conn[i].fd = -1;

  char host[64];
  const char *colon = listen_addr ? strrchr(listen_addr, ':') : NULL;
  if (!colon || (size_t)(colon - listen_addr) >= sizeof host)
    return sl_err_set(err, "prometheus listen address \"%s\": expected IPv4:PORT, e.g. 127.0.0.1:7999",
                      listen_addr ? listen_addr : "(null)");
  memcpy(host, listen_addr, (size_t)(colon - listen_addr));
  host[colon - listen_addr] = '\0';
  char *end;
  errno = 0;
  unsigned long port = strtoul(colon + 1, &end, 10);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  if (!colon[1] || *end || errno || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
    return sl_err_set(err, "prometheus listen address \"%s\": expected IPv4:PORT, e.g. 127.0.0.1:7999",
                      listen_addr);
  sa.sin_port = htons((uint16_t)port);

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sl_err_set(err, "prometheus %s: socket: %s", listen_addr, strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 16)) {
    int e = errno;
    close(fd);
    return sl_err_set(err, "prometheus %s: cannot listen: %s%s", listen_addr, strerror(e),
                      e == EADDRINUSE    ? " (another process has this port: pick another)"
                      : e == EADDRNOTAVAIL ? " (no local interface has this address)"
                      : e == EACCES      ? " (ports below 1024 need CAP_NET_BIND_SERVICE)"
                                         : "");
  }
  socklen_t sl = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &sl);
  s->snap = malloc(sizeof *s->snap);
  if (!s->snap) {
    close(fd);
    return sl_err_set(err, "prometheus %s: out of memory for the snapshot", listen_addr);
  }
  s->fd = fd;
  s->port = ntohs(sa.sin_port);
  s->open = 1;
  return 0;
}

void sl_prom_server_close(sl_prom_server_t *s) {
  if (!s->open) return;
  for (uint32_t i = 0; i < SL_PROM_CONN_MAX; i++) conn_close(&s->conn[i]);
  close(s->fd);
  free(s->snap);
  s->snap = NULL;
  s->fd = -1;
  s->open = 0;
}

/* Builds the whole response (head + body) into c->out. */
static void respond(sl_prom_conn_t *c, int status, const char *reason, const char *ctype,
                    const char *body, size_t body_len) {
  char head[256];
  int hl = snprintf(head, sizeof head,
                    "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                    status, reason, ctype, body_len);
  c->out = malloc((size_t)hl + body_len);
  if (!c->out) return; /* the caller drops the client */
  memcpy(c->out, head, (size_t)hl);
  if (body_len) memcpy(c->out + hl, body, body_len);
  c->out_len = (size_t)hl + body_len;
  c->out_off = 0;
}

static void respond_text(sl_prom_conn_t *c, int status, const char *reason, const char *text) {
  respond(c, status, reason, "text/plain; charset=utf-8", text, strlen(text));
}

/* The end of the request head, tolerating bare LF line ends. */
static int head_complete(const sl_prom_conn_t *c) {
  return memmem(c->req, c->req_len, "\r\n\r\n", 4) || memmem(c->req, c->req_len, "\n\n", 2);
}

static void serve_metrics(sl_prom_server_t *s, sl_prom_conn_t *c, const sl_wksp_t *w) {
  sl_err_t err;
  if (!w || sl_snapshot_take(w, s->snap, &err)) {
    char msg[sizeof err.msg + 8];
    snprintf(msg, sizeof msg, "%s\n", w ? err.msg : "no workspace");
    respond_text(c, 503, "Service Unavailable", msg);
    return;
  }
  size_t need = sl_prom_render(s->snap, NULL, 0);
  char *body = malloc(need + 1);
  if (!body) return;
  sl_prom_render(s->snap, body, need + 1);
  respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, need);
  free(body);
}

static void handle_request(sl_prom_server_t *s, sl_prom_conn_t *c, const sl_wksp_t *w) {
  /* Request line: METHOD SP TARGET SP VERSION. */
  char line[256];
  size_t n = 0;
  while (n < c->req_len && n < sizeof line - 1 && c->req[n] != '\r' && c->req[n] != '\n') {
    line[n] = c->req[n];
    n++;
  }
  line[n] = '\0';
  char *sp1 = strchr(line, ' ');
  char *target = sp1 ? sp1 + 1 : NULL;
  char *sp2 = target ? strchr(target, ' ') : NULL;
  if (!sp1 || !sp2) {
    respond_text(c, 400, "Bad Request", "bad request line\n");
    return;
  }
  *sp1 = '\0';
  *sp2 = '\0';
  char *q = strchr(target, '?');
  if (q) *q = '\0';
  if (strcmp(line, "GET")) respond_text(c, 405, "Method Not Allowed", "only GET is served\n");
  else if (!strcmp(target, "/metrics")) serve_metrics(s, c, w);
  else respond_text(c, 404, "Not Found", "not found: metrics are at /metrics\n");
}

/* Reads what the client sent; returns -1 to drop it. */
static int conn_read(sl_prom_server_t *s, sl_prom_conn_t *c, const sl_wksp_t *w) {
  for (;;) {
    if (c->req_len == SL_PROM_REQ_MAX) {
      respond_text(c, 431, "Request Header Fields Too Large", "request too large\n");
      return c->out ? 0 : -1;
    }
    ssize_t r = recv(c->fd, c->req + c->req_len, SL_PROM_REQ_MAX - c->req_len, MSG_DONTWAIT);
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if (r == 0) return -1; /* closed before finishing its request */
    c->req_len += (uint32_t)r;
    if (head_complete(c)) {
      handle_request(s, c, w);
      return c->out ? 0 : -1;
    }
  }
}

/* Sends what it can; returns 1 when the whole response is out, 0 if more
   remains, -1 on error. MSG_NOSIGNAL: a vanished client must not raise
   SIGPIPE in the supervisor. */
static int conn_write(sl_prom_conn_t *c) {
  while (c->out_off < c->out_len) {
    ssize_t r = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    c->out_off += (size_t)r;
  }
  return 1;
}

static void accept_new(sl_prom_server_t *s, uint64_t now) {
  for (uint32_t i = 0; i < SL_PROM_CONN_MAX; i++) {
    sl_prom_conn_t *c = &s->conn[i];
    if (c->fd >= 0) continue;
    int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN: backlog empty; anything else: retried next poll */
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->deadline_ns = now + (uint64_t)SL_PROM_CLIENT_TIMEOUT_MS * 1000000ull;
  }
}

int sl_prom_server_poll(sl_prom_server_t *s, const sl_wksp_t *w, int timeout_ms) {
  if (!s->open) return -1;
  if (timeout_ms < 0) timeout_ms = 0;
  struct pollfd pfd[1 + SL_PROM_CONN_MAX];
  int map[1 + SL_PROM_CONN_MAX];
  nfds_t n = 0;
  int free_slot = 0;
  uint64_t now = sl_now_ns();
  /* Wake no later than the earliest client deadline, to drop it on time. */
  int wait_ms = timeout_ms;
  for (uint32_t i = 0; i < SL_PROM_CONN_MAX; i++) {
    sl_prom_conn_t *c = &s->conn[i];
    if (c->fd < 0) {
      free_slot = 1;
      continue;
    }
    pfd[n].fd = c->fd;
    pfd[n].events = c->out ? POLLOUT : POLLIN;
    pfd[n].revents = 0;
    map[n++] = (int)i;
    int64_t left_ms = c->deadline_ns > now ? (int64_t)((c->deadline_ns - now + 999999) / 1000000) : 0;
    if (left_ms < wait_ms) wait_ms = (int)left_ms;
  }
  /* With every slot taken, new clients wait in the listen backlog. */
  if (free_slot) {
    pfd[n].fd = s->fd;
    pfd[n].events = POLLIN;
    pfd[n].revents = 0;
    map[n++] = -1;
  }
  int r = poll(pfd, n, wait_ms); /* the only wait: bounded by timeout_ms */
  int done = 0;
  now = sl_now_ns();
  if (r > 0) {
    for (nfds_t k = 0; k < n; k++) {
      if (!pfd[k].revents) continue;
      if (map[k] < 0) {
        accept_new(s, now);
        continue;
      }
      sl_prom_conn_t *c = &s->conn[map[k]];
      int rc = 0;
      if (!c->out) rc = conn_read(s, c, w);
      /* A response just built is sent at once: most fit the socket buffer. */
      if (rc == 0 && c->out) rc = conn_write(c);
      if (rc == 1) {
        s->served++;
        done++;
        conn_finish(c);
      } else if (rc < 0) {
        s->dropped++;
        conn_close(c);
      }
    }
  }
  /* Clients accepted just now are read on the next poll; the slow ones go. */
  for (uint32_t i = 0; i < SL_PROM_CONN_MAX; i++) {
    sl_prom_conn_t *c = &s->conn[i];
    if (c->fd >= 0 && now >= c->deadline_ns) {
      s->dropped++;
      conn_close(c);
    }
  }
  return done;
}
