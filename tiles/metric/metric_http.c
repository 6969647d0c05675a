/* tiles/metric/metric_http.c: the polled HTTP/1.x server of the metric
   tile. */
#include "tiles/metric/metric_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/time.h"

#define MS 1000000ull

int sl_http_listen(const char *addr, int *fd_out, uint16_t *port, sl_err_t *err) {
  char host[64];
  const char *colon = addr ? strrchr(addr, ':') : NULL;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  char *end = NULL;
  unsigned long p = 0;
  int ok = colon && (size_t)(colon - addr) < sizeof host && colon[1];
  if (ok) {
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    errno = 0;
    p = strtoul(colon + 1, &end, 10);
    ok = !*end && !errno && p <= 65535 && inet_pton(AF_INET, host, &sa.sin_addr) == 1;
  }
  if (!ok)
    return sl_err_set(err, "metrics listen address \"%s\": expected IPv4:PORT, e.g. 127.0.0.1:7999",
                      addr ? addr : "(null)");
  sa.sin_port = htons((uint16_t)p);

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sl_err_set(err, "metrics listen address %s: socket: %s", addr, strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 128)) {
    int e = errno;
    close(fd);
    return sl_err_set(err, "metrics listen address %s: cannot listen: %s%s", addr, strerror(e),
                      e == EADDRINUSE      ? " (another process has this port: pick another)"
                      : e == EADDRNOTAVAIL ? " (no local interface has this address)"
                      : e == EACCES        ? " (ports below 1024 need CAP_NET_BIND_SERVICE)"
                                           : "");
  }
  socklen_t sl = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &sl);
  *fd_out = fd;
  if (port) *port = ntohs(sa.sin_port);
  return 0;
}

static void conn_reset(sl_http_conn_t *c) {
  c->fd = -1;
  c->writing = 0;
  c->slot = -1;
  c->req_len = 0;
  c->small_len = 0;
  c->off = 0;
}

int sl_http_open(sl_http_srv_t *srv, int listen_fd, size_t body_cap, sl_http_render_fn render,
                 void *render_arg, sl_err_t *err) {
  memset(srv, 0, offsetof(sl_http_srv_t, conn));
  srv->fd = -1;
  for (uint32_t i = 0; i < SL_HTTP_CONN_MAX; i++) conn_reset(&srv->conn[i]);
  memset(srv->body, 0, sizeof srv->body);
  for (uint32_t b = 0; b < SL_HTTP_BODY_SLOTS; b++) {
    srv->body[b].buf = malloc(body_cap ? body_cap : 1);
    if (!srv->body[b].buf) {
      sl_http_close(srv);
      return sl_err_set(err, "metrics server: out of memory for %u bodies of %zu bytes",
                        SL_HTTP_BODY_SLOTS, body_cap);
    }
  }
  srv->fd = listen_fd;
  srv->render = render;
  srv->render_arg = render_arg;
  srv->body_cap = body_cap;
  return 0;
}

static void conn_release_slot(sl_http_srv_t *srv, sl_http_conn_t *c) {
  if (c->slot >= 0) srv->body[c->slot].refs--;
  c->slot = -1;
}

static void conn_drop(sl_http_srv_t *srv, sl_http_conn_t *c) {
  conn_release_slot(srv, c);
  close(c->fd);
  conn_reset(c);
  srv->conn_cnt--;
  srv->dropped++;
}

/* After a complete response. Closing a socket with unread input makes the
   kernel send RST, which can destroy the response still in flight (a
   client that sent more than we read, e.g. after a 431): so half-close and
   discard what is queued, without waiting. */
static void conn_finish(sl_http_srv_t *srv, sl_http_conn_t *c) {
  char sink[1024];
  shutdown(c->fd, SHUT_WR);
  for (int i = 0; i < 8 && recv(c->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++) {
  }
  conn_release_slot(srv, c);
  close(c->fd);
  conn_reset(c);
  srv->conn_cnt--;
  srv->served++;
}

void sl_http_close(sl_http_srv_t *srv) {
  for (uint32_t i = 0; i < SL_HTTP_CONN_MAX; i++)
    if (srv->conn[i].fd >= 0) conn_drop(srv, &srv->conn[i]);
  for (uint32_t b = 0; b < SL_HTTP_BODY_SLOTS; b++) {
    free(srv->body[b].buf);
    srv->body[b].buf = NULL;
  }
  if (srv->fd >= 0) close(srv->fd);
  srv->fd = -1;
}

/* Sets the head (and for small responses the whole response) to send. */
static void respond(sl_http_conn_t *c, int status, const char *reason, const char *ctype,
                    size_t body_len, const char *text) {
  int n = snprintf(c->small, sizeof c->small,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s",
                   status, reason, ctype, body_len, text ? text : "");
  c->small_len = n < 0 ? 0 : (uint32_t)n < sizeof c->small ? (uint32_t)n : sizeof c->small - 1;
  c->writing = 1;
  c->off = 0;
}

static void respond_text(sl_http_conn_t *c, int status, const char *reason, const char *text) {
  respond(c, status, reason, "text/plain; charset=utf-8", strlen(text), text);
}

/* A body slot to render into: a free one, else the oldest, whose readers
   (the slowest) are dropped. */
static int take_slot(sl_http_srv_t *srv) {
  int best = 0;
  for (uint32_t b = 0; b < SL_HTTP_BODY_SLOTS; b++) {
    if (!srv->body[b].refs) return (int)b;
    if (srv->body[b].made_ns < srv->body[best].made_ns) best = (int)b;
  }
  for (uint32_t i = 0; i < SL_HTTP_CONN_MAX; i++)
    if (srv->conn[i].fd >= 0 && srv->conn[i].slot == best) conn_drop(srv, &srv->conn[i]);
  return best;
}

static void serve_metrics(sl_http_srv_t *srv, sl_http_conn_t *c) {
  int b = take_slot(srv);
  sl_http_body_t *body = &srv->body[b];
  sl_err_t err = {{0}};
  size_t len = 0;
  if (srv->render(srv->render_arg, body->buf, srv->body_cap, &len, &err)) {
    char msg[SL_HTTP_SMALL_MAX / 2];
    snprintf(msg, sizeof msg, "%.*s\n", (int)sizeof msg - 2, err.msg);
    srv->unavailable++;
    respond_text(c, 503, "Service Unavailable", msg);
    return;
  }
  if (len > srv->body_cap) {
    respond_text(c, 500, "Internal Server Error", "metrics text larger than its buffer\n");
    return;
  }
  body->len = len;
  body->made_ns = sl_now_ns();
  body->refs++;
  c->slot = b;
  respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", len, NULL);
}

/* The request line: METHOD SP TARGET SP HTTP/1.x. Headers are not needed. */
static void handle_request(sl_http_srv_t *srv, sl_http_conn_t *c) {
  size_t n = 0;
  while (n < c->req_len && c->req[n] != '\r' && c->req[n] != '\n') n++;
  char line[256];
  if (n >= sizeof line) {
    respond_text(c, 400, "Bad Request", "request line too long\n");
    return;
  }
  memcpy(line, c->req, n);
  line[n] = '\0';
  char *target = strchr(line, ' ');
  char *version = target ? strchr(target + 1, ' ') : NULL;
  if (!target || !version || strchr(version + 1, ' ')) {
    respond_text(c, 400, "Bad Request", "bad request line\n");
    return;
  }
  *target++ = '\0';
  *version++ = '\0';
  target[strcspn(target, "?")] = '\0';
  if (strncmp(version, "HTTP/1.", 7) || !version[7] || version[8])
    respond_text(c, 505, "HTTP Version Not Supported", "HTTP/1.0 and HTTP/1.1 only\n");
  else if (strcmp(line, "GET"))
    respond_text(c, 405, "Method Not Allowed", "only GET is served\n");
  else if (strcmp(target, "/metrics"))
    respond_text(c, 404, "Not Found", "not found: metrics are at /metrics\n");
  else
    serve_metrics(srv, c);
}

/* The end of the request head, tolerating bare LF line ends. */
static int head_complete(const sl_http_conn_t *c) {
  return memmem(c->req, c->req_len, "\r\n\r\n", 4) || memmem(c->req, c->req_len, "\n\n", 2);
}

/* Reads what the client sent. Returns -1 to drop it. */
static int conn_read(sl_http_srv_t *srv, sl_http_conn_t *c) {
  for (;;) {
    if (c->req_len == SL_HTTP_REQ_MAX) {
      respond_text(c, 431, "Request Header Fields Too Large", "request head too large\n");
      return 0;
    }
    ssize_t r = recv(c->fd, c->req + c->req_len, SL_HTTP_REQ_MAX - c->req_len, MSG_DONTWAIT);
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if (r == 0) return -1; /* gone before finishing its request */
    c->req_len += (uint32_t)r;
    if (head_complete(c)) {
      handle_request(srv, c);
      return 0;
    }
  }
}

/* Sends what the socket takes. Returns 1 when all is out, 0 if more
   remains, -1 on error. MSG_NOSIGNAL: a vanished client raises no SIGPIPE. */
static int conn_write(sl_http_srv_t *srv, sl_http_conn_t *c) {
  const sl_http_body_t *body = c->slot >= 0 ? &srv->body[c->slot] : NULL;
  size_t total = c->small_len + (body ? body->len : 0);
  while (c->off < total) {
    const char *p;
    size_t left;
    if (c->off < c->small_len) {
      p = c->small + c->off;
      left = c->small_len - c->off;
    } else {
      p = body->buf + (c->off - c->small_len);
      left = total - c->off;
    }
    ssize_t r = send(c->fd, p, left, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    c->off += (size_t)r;
  }
  return 1;
}

/* A free connection slot, making one by dropping the oldest connection
   still reading its request (else the oldest of all). */
static sl_http_conn_t *free_conn(sl_http_srv_t *srv) {
  sl_http_conn_t *oldest = NULL, *oldest_idle = NULL;
  for (uint32_t i = 0; i < SL_HTTP_CONN_MAX; i++) {
    sl_http_conn_t *c = &srv->conn[i];
    if (c->fd < 0) return c;
    if (!oldest || c->accepted_ns < oldest->accepted_ns) oldest = c;
    if (!c->writing && (!oldest_idle || c->accepted_ns < oldest_idle->accepted_ns)) oldest_idle = c;
  }
  sl_http_conn_t *victim = oldest_idle ? oldest_idle : oldest;
  conn_drop(srv, victim);
  srv->evicted++;
  return victim;
}

/* Accepts what is in the backlog (a bounded number per call). */
static void accept_new(sl_http_srv_t *srv, uint64_t now) {
  for (uint32_t i = 0; i < SL_HTTP_CONN_MAX; i++) {
    int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN: backlog empty; anything else: retried next poll */
    sl_http_conn_t *c = free_conn(srv);
    conn_reset(c);
    c->fd = fd;
    c->accepted_ns = now;
    srv->conn_cnt++;
  }
}

/* Serves connection c after poll said it is ready; returns 1 if its
   response went out completely. */
static uint32_t serve(sl_http_srv_t *srv, sl_http_conn_t *c) {
  int rc = c->writing ? 0 : conn_read(srv, c);
  /* A response just built is sent at once: most fit the socket buffer. */
  if (rc == 0 && c->writing) rc = conn_write(srv, c);
  if (rc == 1) {
    conn_finish(srv, c);
    return 1;
  }
  if (rc < 0) conn_drop(srv, c);
  return 0;
}

/* The poll set: every connection (reading or sending), then the listening
   socket last; *wait_ns is lowered to the earliest deadline. Returns its
   size. */
static nfds_t poll_set(const sl_http_srv_t *srv, struct pollfd *pfd, int *map, uint64_t now,
                       uint64_t *wait_ns) {
  nfds_t n = 0;
  for (uint32_t i = 0; i < SL_HTTP_CONN_MAX; i++) {
    const sl_http_conn_t *c = &srv->conn[i];
    if (c->fd < 0) continue;
    pfd[n] = (struct pollfd){.fd = c->fd, .events = c->writing ? POLLOUT : POLLIN};
    map[n++] = (int)i;
    uint64_t deadline = c->accepted_ns + SL_HTTP_DEADLINE_MS * MS;
    uint64_t left = deadline > now ? deadline - now : 0;
    if (left < *wait_ns) *wait_ns = left;
  }
  pfd[n] = (struct pollfd){.fd = srv->fd, .events = POLLIN};
  map[n++] = -1;
  return n;
}

static int wait_set(struct pollfd *pfd, nfds_t n, uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
  return ppoll(pfd, n, &ts, NULL);
}

int sl_http_wait(sl_http_srv_t *srv, uint64_t timeout_ns) {
  if (srv->fd < 0) return 0;
  struct pollfd pfd[1 + SL_HTTP_CONN_MAX];
  int map[1 + SL_HTTP_CONN_MAX];
  uint64_t now = sl_now_ns(), wait_ns = timeout_ns;
  nfds_t n = poll_set(srv, pfd, map, now, &wait_ns);
  if (wait_set(pfd, n, wait_ns) > 0) return 1;
  return wait_ns < timeout_ns; /* a deadline is due */
}

uint32_t sl_http_poll(sl_http_srv_t *srv, int timeout_ms) {
  if (srv->fd < 0) return 0;
  struct pollfd pfd[1 + SL_HTTP_CONN_MAX];
  int map[1 + SL_HTTP_CONN_MAX];
  uint64_t now = sl_now_ns();
  /* Wake no later than the earliest deadline, to drop that client on time. */
  uint64_t wait_ns = timeout_ms < 0 ? 0 : (uint64_t)timeout_ms * MS;
  nfds_t n = poll_set(srv, pfd, map, now, &wait_ns);
  uint32_t done = 0;
  if (wait_set(pfd, n, wait_ns) > 0) {
    now = sl_now_ns();
    /* Clients first, then new connections: an accept that evicts must not
       reuse a slot whose revents are still to be looked at. */
    for (nfds_t k = 0; k + 1 < n; k++) {
      sl_http_conn_t *c = &srv->conn[map[k]];
      if (pfd[k].revents && c->fd == pfd[k].fd) done += serve(srv, c);
    }
    if (pfd[n - 1].revents) accept_new(srv, now);
  }
  now = sl_now_ns();
  for (uint32_t i = 0; i < SL_HTTP_CONN_MAX; i++) {
    sl_http_conn_t *c = &srv->conn[i];
    if (c->fd >= 0 && now >= c->accepted_ns + SL_HTTP_DEADLINE_MS * MS) conn_drop(srv, c);
  }
  return done;
}
