/* tiles/metric/metric_prom.h: the Prometheus text exposition (format 0.0.4)
   of a snapshot, by Prometheus' naming conventions: base units (seconds,
   bytes), _total on counters, one family per quantity with `tile` and `kind`
   labels (and `link` on ring metrics), never a label the scraper attaches
   itself (`instance`, `job`), HELP and TYPE on every family. The metric tile
   serves it on /metrics; `sluice monitor --prometheus` prints it.

   Families (README "Metrics" lists each with its labels):
     sluice_build_info{version,compiler}         gauge 1
     sluice_instance_info{name,provider}         gauge 1
     sluice_start_time_seconds                   gauge, Unix time the instance started
     sluice_draining                             gauge, 1 once a stop was asked for
     sluice_tile_info{tile,kind,mode,pid,cpu}    gauge 1 per tile
     sluice_tile_state{tile,kind,state}          gauge, 1 for the tile's state, 0 for the others
     sluice_tile_heartbeat_age_seconds{tile,kind} gauge (absent before the first heartbeat)
     every family sl_metrics_prom_name names    {tile,kind}
     sluice_txn_latency_seconds{tile,kind}       histogram (_bucket{le}, _sum, _count)
     sluice_link_depth, sluice_link_published_total, sluice_link_backpressure_waits_total
                                                 {link,tile,kind}: tile is the producer
     sluice_link_consumed_total, sluice_link_lag, sluice_link_overrun_frags_total,
     sluice_link_overrun_reads_total             {link,tile,kind}: tile is the consumer
   Label values come from the workspace: a byte outside printable ASCII is
   written as '?', and \ and " are escaped, so a scribbled name cannot break
   the text. */
#ifndef SL_TILES_METRIC_METRIC_PROM_H
#define SL_TILES_METRIC_METRIC_PROM_H

#include <stddef.h>

#include "tiles/snapshot.h"

/* sl_prom_render writes s as Prometheus text into buf (at most sz bytes,
   NUL-terminated when sz > 0) and returns the length the whole text needs,
   without the NUL (like snprintf: a result >= sz means it was truncated).
   Reads s only; never allocates. */
size_t sl_prom_render(const sl_snapshot_t *s, char *buf, size_t sz);

/* sl_prom_render_max: an upper bound of sl_prom_render's length over every
   snapshot with s's topology (same tiles and links), whatever their values
   and names: a buffer this big (+1 for the NUL) never truncates. */
size_t sl_prom_render_max(const sl_snapshot_t *s);

#endif
