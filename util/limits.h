/* util/limits.h: the limits several layers must agree on, each defined
   once here so that the config, the XDP filter, the providers, the
   topology and the generator cannot disagree. */
#ifndef SL_UTIL_LIMITS_H
#define SL_UTIL_LIMITS_H

/* UDP destination ports one instance captures ([net] ports): the config
   accepts at most this many, the XDP filter tests each, each provider
   opens a socket per port. */
#define SL_PORTS_MAX 16u

/* Net tiles (one per NIC RX queue, queues 0..n-1) and verify tiles. */
#define SL_NET_TILE_MAX 64u
#define SL_VERIFY_TILE_MAX 64u

/* The largest transaction on the wire, which is also the largest UDP
   payload a net tile accepts (one transaction per datagram). */
#define SL_TXN_MTU 1232u

#endif
