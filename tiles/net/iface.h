/* tiles/net/iface.h: what sluice needs to know about a network interface,
   probed once per setup, in one place (the XDP setup, the io_uring setup,
   `sluice gen --interface` and the supervisor's NUMA plan all read it from
   here).

   Facts come from the caller's network namespace: ioctls (SIOCGIFFLAGS,
   SIOCETHTOOL) answer for it; sysfs answers for the namespace it was
   mounted in, so sysfs facts are taken only when sysfs shows the same
   ifindex (else they are "unknown", and the kernel decides at bind). */
#ifndef SL_TILES_NET_IFACE_H
#define SL_TILES_NET_IFACE_H

#include <stdint.h>

#include <net/if.h>

#include "util/err.h"

typedef struct {
  char name[IF_NAMESIZE];
  uint32_t ifindex;
  uint32_t flags;    /* IFF_* (IFF_UP, IFF_LOOPBACK, ...) */
  uint32_t rxq_cnt;  /* RX queues (sysfs queues/rx-N); 0 if unknown */
  uint32_t txq_cnt;  /* TX queues; 0 if unknown */
  int numa_node;     /* the device's NUMA node; -1 if none or unknown */
  int gro_fwd;       /* ethtool rx-udp-gro-forwarding: 1 on, 0 off, -1 unknown */
  uint8_t mac[6];    /* hardware address (zero on a loopback) */
} sl_iface_t;

/* sl_iface_probe fills out for interface name. Returns 0, or -1 with err
   when the interface does not exist ("interface X does not exist (see `ip
   link`; set [net] interface)") or its flags cannot be read. Facts it
   cannot learn are left unknown (0 / -1), never guessed. */
int sl_iface_probe(const char *name, sl_iface_t *out, sl_err_t *err);

/* sl_iface_feature: whether ethtool feature `feature` ("rx-udp-gro-
   forwarding") is active on name: 1, 0, or -1 when the driver or kernel
   does not say (ETHTOOL_GSSET_INFO / GSTRINGS / GFEATURES through
   SIOCETHTOOL; no ethtool binary needed). */
int sl_iface_feature(const char *name, const char *feature);

#endif
