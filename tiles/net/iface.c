/* Interface facts, probed once. See iface.h. */
#include "tiles/net/iface.h"

#include <dirent.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* One ioctl on a throwaway datagram socket: 0 or -1 (errno). */
static int if_ioctl(const char *name, unsigned long req, struct ifreq *ifr) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  memset(ifr, 0, sizeof *ifr);
  snprintf(ifr->ifr_name, sizeof ifr->ifr_name, "%s", name);
  int rc = ioctl(fd, req, ifr);
  int e = errno;
  close(fd);
  errno = e;
  return rc;
}

/* Whether sysfs shows our interface: /sys/class/net/NAME/ifindex equal to
   the index our namespace gives the name. */
static int sysfs_is_ours(const char *name, uint32_t ifindex) {
  char path[128];
  snprintf(path, sizeof path, "/sys/class/net/%s/ifindex", name);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  unsigned idx = 0;
  int ok = fscanf(f, "%u", &idx) == 1;
  fclose(f);
  return ok && idx == ifindex;
}

static void sysfs_queues(const char *name, uint32_t *rx, uint32_t *tx) {
  char path[128];
  snprintf(path, sizeof path, "/sys/class/net/%s/queues", name);
  DIR *d = opendir(path);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    if (!strncmp(e->d_name, "rx-", 3)) (*rx)++;
    if (!strncmp(e->d_name, "tx-", 3)) (*tx)++;
  }
  closedir(d);
}

static int sysfs_numa_node(const char *name) {
  char path[128];
  snprintf(path, sizeof path, "/sys/class/net/%s/device/numa_node", name);
  FILE *f = fopen(path, "r");
  int node = -1;
  if (f) {
    if (fscanf(f, "%d", &node) != 1) node = -1;
    fclose(f);
  }
  return node;
}

int sl_iface_feature(const char *name, const char *feature) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int ret = -1;
  struct ethtool_gstrings *gs = NULL;
  struct ethtool_gfeatures *gf = NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);

  struct {
    struct ethtool_sset_info hdr;
    uint32_t buf[1];
  } si;
  memset(&si, 0, sizeof si);
  si.hdr.cmd = ETHTOOL_GSSET_INFO;
  si.hdr.sset_mask = 1ull << ETH_SS_FEATURES;
  ifr.ifr_data = (char *)&si;
  if (ioctl(fd, SIOCETHTOOL, &ifr) || !(si.hdr.sset_mask & (1ull << ETH_SS_FEATURES))) goto out;
  uint32_t n = si.hdr.data[0];
  if (!n || n > 4096) goto out;

  gs = calloc(1, sizeof *gs + (size_t)n * ETH_GSTRING_LEN);
  if (!gs) goto out;
  gs->cmd = ETHTOOL_GSTRINGS;
  gs->string_set = ETH_SS_FEATURES;
  gs->len = n;
  ifr.ifr_data = (char *)gs;
  if (ioctl(fd, SIOCETHTOOL, &ifr)) goto out;
  uint32_t bit = UINT32_MAX;
  for (uint32_t i = 0; i < gs->len && i < n; i++)
    if (!strncmp((const char *)gs->data + (size_t)i * ETH_GSTRING_LEN, feature, ETH_GSTRING_LEN)) bit = i;
  if (bit == UINT32_MAX) goto out;

  uint32_t blocks = (n + 31) / 32;
  gf = calloc(1, sizeof *gf + blocks * sizeof(struct ethtool_get_features_block));
  if (!gf) goto out;
  gf->cmd = ETHTOOL_GFEATURES;
  gf->size = blocks;
  ifr.ifr_data = (char *)gf;
  if (ioctl(fd, SIOCETHTOOL, &ifr)) goto out;
  ret = (gf->features[bit / 32].active >> (bit % 32)) & 1u;
out:
  free(gs);
  free(gf);
  close(fd);
  return ret;
}

int sl_iface_probe(const char *name, sl_iface_t *out, sl_err_t *err) {
  memset(out, 0, sizeof *out);
  out->numa_node = -1;
  out->gro_fwd = -1;
  if (!name || !name[0] || strlen(name) >= sizeof out->name)
    return sl_err_set(err, "interface name \"%s\" is empty or longer than %zu characters", name ? name : "",
                      sizeof out->name - 1);
  snprintf(out->name, sizeof out->name, "%s", name);
  out->ifindex = if_nametoindex(name);
  if (!out->ifindex)
    return sl_err_set(err, "interface %s does not exist (see `ip link`; set [net] interface)", name);
  struct ifreq ifr;
  if (if_ioctl(name, SIOCGIFFLAGS, &ifr))
    return sl_err_set(err, "interface %s: cannot read its flags: %s", name, strerror(errno));
  out->flags = (uint16_t)ifr.ifr_flags;
  if (!if_ioctl(name, SIOCGIFHWADDR, &ifr)) memcpy(out->mac, ifr.ifr_hwaddr.sa_data, sizeof out->mac);
  if (sysfs_is_ours(name, out->ifindex)) {
    sysfs_queues(name, &out->rxq_cnt, &out->txq_cnt);
    out->numa_node = sysfs_numa_node(name);
  }
  out->gro_fwd = sl_iface_feature(name, "rx-udp-gro-forwarding");
  return 0;
}
