/* tiles/metric/metric_http.h: the metric tile's HTTP/1.x server. It answers
   GET /metrics (any query string) with a body the caller renders, one
   response per connection, then closes it.

   Single-threaded and polled; every socket is non-blocking, so one client
   can never hold up another:
   - at most SL_HTTP_CONN_MAX connections; when one more arrives, the oldest
     connection still sending its request (an idle one first) is dropped to
     make room, so a flood of idle connections cannot lock scrapers out;
   - each connection has SL_HTTP_DEADLINE_MS from accept to finish its whole
     exchange, then it is dropped;
   - a request head is at most SL_HTTP_REQ_MAX bytes (more: 431);
   - bodies live in SL_HTTP_BODY_SLOTS buffers allocated at open; a request
     finds a free one or takes the oldest, dropping the slow readers still
     sending it: every response holds a fresh rendering, and nothing is
     allocated after open.
   System calls after open: ppoll, accept4, recvfrom, sendto, shutdown,
   close (and clock_gettime, where the vDSO does not serve it). */
#ifndef SL_TILES_METRIC_METRIC_HTTP_H
#define SL_TILES_METRIC_METRIC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SL_HTTP_CONN_MAX 64u
#define SL_HTTP_REQ_MAX 4096u
#define SL_HTTP_DEADLINE_MS 5000u
#define SL_HTTP_BODY_SLOTS 4u
#define SL_HTTP_SMALL_MAX 768u /* a response head, or a whole error response */

/* The caller's renderer: writes the /metrics body into buf (cap bytes) and
   sets *len; returns 0, or -1 with a one-line reason in err (answered 503,
   "Service Unavailable"). A *len > cap is answered 500. */
typedef int (*sl_http_render_fn)(void *arg, char *buf, size_t cap, size_t *len, sl_err_t *err);

typedef struct {
  int fd;               /* -1: free */
  int writing;          /* 0: reading the request, 1: sending the response */
  int slot;             /* body slot sent after small[], -1: none */
  uint64_t accepted_ns; /* CLOCK_MONOTONIC */
  uint32_t req_len;
  uint32_t small_len;
  size_t off;           /* bytes of small[] then the body sent so far */
  char small[SL_HTTP_SMALL_MAX];
  char req[SL_HTTP_REQ_MAX];
} sl_http_conn_t;

typedef struct {
  char *buf;
  size_t len;
  uint64_t made_ns; /* when rendered: the oldest is reused first */
  uint32_t refs;    /* connections sending it */
} sl_http_body_t;

typedef struct {
  int fd; /* listening socket; -1 when closed */
  sl_http_render_fn render;
  void *render_arg;
  size_t body_cap;
  /* Counts since open (the metric tile copies them to its metrics). */
  uint64_t served;   /* responses sent completely */
  uint64_t dropped;  /* connections closed before a complete response */
  uint64_t evicted;  /* of those, dropped to make room for a new one */
  uint64_t unavailable; /* 503s: the renderer failed */
  uint32_t conn_cnt; /* open client connections */
  sl_http_conn_t conn[SL_HTTP_CONN_MAX];
  sl_http_body_t body[SL_HTTP_BODY_SLOTS];
} sl_http_srv_t;

/* sl_http_listen parses addr ("IPv4:PORT"; port 0 picks a free one), and
   opens a non-blocking TCP socket listening there (SO_REUSEADDR, backlog
   128); *port is the bound port. For the supervisor, before it forks the
   metric tile. Fails (-1) with a message naming the address and the remedy
   (bad syntax, address in use, no such local address, privileged port),
   leaving nothing open. */
int sl_http_listen(const char *addr, int *fd, uint16_t *port, sl_err_t *err);

/* sl_http_open takes over listen_fd (from sl_http_listen) and allocates
   SL_HTTP_BODY_SLOTS bodies of body_cap bytes; render fills them. srv may
   be uninitialized. Fails (-1, err) only when out of memory; listen_fd is
   then not closed. */
int sl_http_open(sl_http_srv_t *srv, int listen_fd, size_t body_cap, sl_http_render_fn render,
                 void *render_arg, sl_err_t *err);

/* sl_http_poll waits at most timeout_ms (0: just look) for connections and
   bytes, then serves everything ready (and drops what is past its
   deadline): GET /metrics gets 200 with a freshly
   rendered body (Content-Type: text/plain; version=0.0.4), another path
   404, another method 405, a malformed request line 400, a version other
   than HTTP/1.x 505, a head over SL_HTTP_REQ_MAX bytes 431. Drops the
   connections past their deadline. Never blocks past timeout_ms, never
   raises SIGPIPE. Returns the number of responses completed in this call. */
uint32_t sl_http_poll(sl_http_srv_t *srv, int timeout_ms);

/* sl_http_wait sleeps until a connection or bytes arrive, a socket being
   sent to takes more, a connection's deadline passes, or timeout_ns,
   whichever is first (a signal ends it early too). Serves nothing: returns
   1 if sl_http_poll now has something to do, else 0. */
int sl_http_wait(sl_http_srv_t *srv, uint64_t timeout_ns);

/* sl_http_close closes every connection and the listening socket and frees
   the bodies. Safe on a closed server (fd -1) and twice. */
void sl_http_close(sl_http_srv_t *srv);

#endif
