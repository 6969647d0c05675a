/* tiles/net/net_rx.c: what every packet provider shares. */
#include "tiles/net/net_rx.h"

static uint32_t stopped_rx_burst(sl_net_rx_t *rx, sl_net_pkt_t *pkts, uint32_t max) {
  (void)rx, (void)pkts, (void)max;
  return 0;
}
static void stopped_release(sl_net_rx_t *rx, const uint32_t *frames, uint32_t cnt) {
  (void)rx, (void)frames, (void)cnt;
}
static void stopped_housekeep(sl_net_rx_t *rx, sl_metrics_t *m) { (void)rx, (void)m; }
static void stopped_stop(sl_net_rx_t *rx) { (void)rx; }

const sl_net_rx_ops_t sl_net_rx_stopped_ops = {
    .rx_burst = stopped_rx_burst,
    .release = stopped_release,
    .housekeep = stopped_housekeep,
    .stop = stopped_stop,
};
