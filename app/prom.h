/* app/prom.h: the Prometheus text exposition of a snapshot, and a tiny
   HTTP/1.0 server that answers GET /metrics with it.

   The server is single-threaded and polled: the caller (the supervisor's
   watch loop, or `sluice monitor --prometheus-listen`) calls
   sl_prom_server_poll instead of sleeping. Every socket is non-blocking, so
   a poll never takes longer than its timeout, whatever clients do. */
#ifndef SL_APP_PROM_H
#define SL_APP_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "app/snapshot.h"
#include "shmem/wksp.h"
#include "util/err.h"

/* sl_prom_render writes s in the Prometheus text format 0.0.4 into buf (at
   most sz bytes, NUL-terminated when sz > 0) and returns the length the
   whole text needs, without the NUL (like snprintf: a result >= sz means it
   was truncated; call again with a larger buffer).

   Families, each with # HELP and # TYPE, samples labelled
   instance="NAME",tile="KIND:IDX":
     sluice_up                        1 if the supervisor is alive
     sluice_tile_info{kind,mode,state} 1 per tile
     sluice_<kind>_heartbeat_age_seconds
     sluice_<kind>_<name>[_total]     every named metric of shmem/metrics.h;
                                      counters end in _total ("state" is the
                                      numeric SL_TILE_* code)
   and per link (labels instance, link="net:0->verify"; per consumer also
   consumer="verify:0"):
     sluice_link_published_total, sluice_link_backpressure_total,
     sluice_link_depth, sluice_link_consumed_total, sluice_link_lag,
     sluice_link_overrun_poll_total, sluice_link_overrun_read_total. */
size_t sl_prom_render(const sl_snapshot_t *s, char *buf, size_t sz);

#define SL_PROM_CONN_MAX 8
#define SL_PROM_REQ_MAX 2048         /* request bytes read; more is refused (431) */
#define SL_PROM_CLIENT_TIMEOUT_MS 2000 /* a client slower than this is dropped */

/* One client connection (process-local). */
typedef struct {
  int fd;              /* -1 = free slot */
  uint64_t deadline_ns;/* dropped when CLOCK_MONOTONIC passes this */
  uint32_t req_len;    /* bytes of request read so far */
  char req[SL_PROM_REQ_MAX];
  char *out;           /* response being sent (heap), NULL while reading */
  size_t out_len, out_off;
} sl_prom_conn_t;

typedef struct {
  int open;               /* 1 between a successful open and close */
  int fd;                 /* listening socket */
  uint16_t port;          /* bound port (useful when opened with port 0) */
  uint64_t served;        /* responses sent completely */
  uint64_t dropped;       /* clients dropped (timeout, oversized request, I/O error) */
  sl_snapshot_t *snap;    /* heap, reused for every request */
  sl_prom_conn_t conn[SL_PROM_CONN_MAX];
} sl_prom_server_t;

/* sl_prom_server_open listens on listen, "IPv4:PORT" (port 0 picks a free
   one, then read s->port), non-blocking, SO_REUSEADDR. Allocates the
   snapshot buffer. Fails (-1, err names the address and why: bad syntax,
   address in use, permission) leaving s closed (closing it is harmless). */
int sl_prom_server_open(sl_prom_server_t *s, const char *listen, sl_err_t *err);

/* sl_prom_server_poll waits at most timeout_ms (0: just look) for
   connections and request bytes, then serves what is ready: GET /metrics
   (a query string is ignored) gets 200 with sl_prom_render of a fresh
   snapshot of w (Content-Type: text/plain; version=0.0.4), another GET path
   404, another method 405, a request over SL_PROM_REQ_MAX bytes 431, and a
   snapshot failure 503 with the reason. One response per connection, then
   it is closed (HTTP/1.0). A client that has not finished within
   SL_PROM_CLIENT_TIMEOUT_MS is dropped; with SL_PROM_CONN_MAX clients open,
   new ones wait in the listen backlog. Never blocks longer than timeout_ms,
   never raises SIGPIPE, reads w only. Returns the number of responses
   completed during this call (0 or more), or -1 if s is not open. */
int sl_prom_server_poll(sl_prom_server_t *s, const sl_wksp_t *w, int timeout_ms);

/* sl_prom_server_close closes the listening socket and every client and
   frees the buffers. Safe on a zeroed, never opened, failed or already
   closed server. */
void sl_prom_server_close(sl_prom_server_t *s);

#endif
