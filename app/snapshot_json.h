/* app/snapshot_json.h: the JSON form of a snapshot (tiles/snapshot.h), as
   `sluice monitor --json` prints it. Tests and the README read these names:
   they are stable (add keys, never rename one). */
#ifndef SL_APP_SNAPSHOT_JSON_H
#define SL_APP_SNAPSHOT_JSON_H

#include <stdio.h>

#include "tiles/snapshot.h"

/* sl_snapshot_json writes s to f as one JSON object on one line followed by
   a newline (so successive snapshots form NDJSON):
     {"instance": {"name", "pid", "alive", "provider", "path", "hugepages",
                   "stopping", "created_wall_ns", "taken_wall_ns", "taken_ns",
                   "net_tiles", "verify_tiles"},
      "tiles": [{"name", "kind", "idx", "mode", "state" (text), "pid", "cpu",
                 "heartbeat_age_ms" (null before the first heartbeat), then
                 every named metric of the tile's kind under its exact
                 shmem/metrics.h name ("rx_pkts", "verified", "busy_ns", ...;
                 "state", "pid", "cpu" appear once, as above)}],
      "links": [{"name", "producer", "reliable", "depth", "published",
                 "backpressure_cnt", "consumers": [{"tile", "seq", "consumed",
                 "lag", "overrun_poll", "overrun_read"}]}],
      "totals": {"net": {...}, "verify": {...}, "sink": {...}}}
   totals.KIND holds every counter of that kind summed over its tiles (so
   totals.verify.verified is the instance's verified count). Returns 0, or -1
   if writing to f failed. */
int sl_snapshot_json(const sl_snapshot_t *s, FILE *f);

#endif
