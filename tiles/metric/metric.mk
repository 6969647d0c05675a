# tiles/metric/: the metric tile (serves /metrics), its HTTP server and the
# Prometheus exposition the monitor prints too.
LIB_SRCS += tiles/metric/metric_prom.c tiles/metric/metric_http.c tiles/metric/metric_tile.c
