/* tiles/net/net_rx.c: what every packet provider shares. */
#include "tiles/net/net_rx.h"

#include <time.h>

static uint32_t stopped_rx_burst(sl_net_rx_t *rx, sl_net_pkt_t *pkts, uint32_t max) {
  (void)rx, (void)pkts, (void)max;
  return 0;
}
/* A stopped provider has nothing to wait for: sleep the timeout out, so a
   tile still draining does not spin. */
static void stopped_wait(sl_net_rx_t *rx, uint64_t timeout_ns) {
  (void)rx;
  struct timespec ts = {(time_t)(timeout_ns / 1000000000ull), (long)(timeout_ns % 1000000000ull)};
  nanosleep(&ts, NULL);
}
static void stopped_release(sl_net_rx_t *rx, const uint32_t *frames, uint32_t cnt) {
  (void)rx, (void)frames, (void)cnt;
}
static void stopped_housekeep(sl_net_rx_t *rx, sl_metrics_t *m) { (void)rx, (void)m; }
static void stopped_stop(sl_net_rx_t *rx) { (void)rx; }

const sl_net_rx_ops_t sl_net_rx_stopped_ops = {
    .rx_burst = stopped_rx_burst,
    .wait = stopped_wait,
    .release = stopped_release,
    .housekeep = stopped_housekeep,
    .stop = stopped_stop,
};
