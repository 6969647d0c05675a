/* config/config.h: the typed, validated configuration of one instance.

   Built from config/default.toml (embedded in the binary) overridden key by
   key by the user's file. Every field below is set after a successful
   sl_config_load; strings are NUL-terminated copies. "auto" values are kept
   as written here and resolved by the layer that owns them (the supervisor
   resolves affinity, the workspace resolves hugetlbfs_mount). */
#ifndef SL_CONFIG_CONFIG_H
#define SL_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/limits.h"

#define SL_CFG_STR_MAX 256

enum { SL_IDLE_ADAPTIVE = 0, SL_IDLE_SPIN = 1 };
enum { SL_PROVIDER_AUTO = 0, SL_PROVIDER_XDP = 1, SL_PROVIDER_IO_URING = 2 };
enum { SL_XDP_MODE_AUTO = 0, SL_XDP_MODE_DRV = 1, SL_XDP_MODE_SKB = 2 };

typedef struct {
  char name[64]; /* [A-Za-z0-9_-]{1,63}: workspace file name, monitor lookup */
  char user[64]; /* "" = keep running as the invoking user */

  struct {
    char affinity[SL_CFG_STR_MAX]; /* "auto" or a CPU list (syntax only: app/preflight.h checks the CPUs) */
    uint32_t net_tile_count;       /* 1..64 */
    uint32_t verify_tile_count;    /* 1..64 */
    int idle;                      /* SL_IDLE_* */
    uint32_t heartbeat_timeout_ms; /* 100..600000: a tile silent this long is dead */
    uint32_t nice;                 /* 0..19: every tile's nice value (default 0) */
  } layout;

  struct {
    char interface[32];          /* IFNAMSIZ-1 */
    int provider;                /* SL_PROVIDER_* */
    uint32_t port_cnt;           /* 1..16 */
    uint16_t ports[SL_PORTS_MAX]; /* 1..65535, distinct */
    uint32_t bind_address;       /* IPv4 in network byte order; 0 = any */
    char bind_address_str[16];   /* as written (dotted quad) */
    int xdp_mode;                /* SL_XDP_MODE_* */
    int xdp_zero_copy;           /* 0/1 */
    uint32_t rx_queue_size;      /* power of two, 64..65536 */
    uint32_t frame_size;         /* 2048 or 4096 */
  } net;

  struct {
    char hugetlbfs_mount[SL_CFG_STR_MAX]; /* "auto" or an absolute path */
    uint64_t page_size;                   /* 2 MiB or 1 GiB, from "2M" | "1G" */
    int require_hugepages;                /* 0/1 */
    uint32_t ring_depth;                  /* power of two, 64..1048576 */
  } shmem;

  struct {
    uint32_t dedup_cache_size; /* power of two, 1024..(1<<26) */
    char ed25519[16];          /* "auto" | "libsodium" | "avx2" | "avx512", as written: tiles/verify
                                  resolves it against the CPU (sl_ed25519_select) */
  } verify;

  struct {
    char pcap[SL_CFG_STR_MAX]; /* "" = count only */
    uint32_t pcap_max_mb;      /* rotate past this many millions of bytes; 0 = only at start */
    uint32_t pcap_max_files;   /* keep at most this many files; 0 = keep every one */
  } sink;

  struct {
    int level;                 /* SL_LOG_* from util/log.h */
    char file[SL_CFG_STR_MAX]; /* "" = stderr */
  } log;

  struct {
    char prometheus_listen[64]; /* "" or "IPv4:port" */
  } monitor;
} sl_config_t;

/* Where each key's value was written, so that a message about what the
   host makes of a value (a user that does not exist, an interface that is
   not there) can point at it. Positions are those of the value, as in load
   errors. */
#define SL_CFG_KEY_MAX 64
typedef struct {
  uint32_t line, col; /* 1-based; line 0: not in the file (the embedded default) */
} sl_config_pos_t;

typedef struct {
  char origin[1024];                  /* the file as named to the load; "<default>" without one */
  sl_config_pos_t at[SL_CFG_KEY_MAX]; /* one per key, private order: ask sl_config_where */
} sl_config_src_t;

/* The embedded config/default.toml, NUL-terminated. */
extern const char sl_default_toml[];

/* sl_config_load fills cfg from the embedded default, then from the TOML
   file at path (NULL: defaults only). path must name a regular file (a
   symlink to one is fine: the operator chose it); a FIFO, device or
   directory is refused at once, never read. On any error (file unreadable
   or not regular, TOML syntax, unknown key, wrong type, out-of-range
   value) returns -1 with
   "PATH:LINE:COL: message" in err (PATH is "<default>" for the embedded
   text). */
int sl_config_load(sl_config_t *cfg, const char *path, sl_err_t *err);

/* sl_config_load_text: as sl_config_load, for TOML text already in memory;
   origin names it in errors. */
int sl_config_load_text(sl_config_t *cfg, const char *text, const char *origin, sl_err_t *err);

/* sl_config_load_src and sl_config_load_text_src: as sl_config_load and
   sl_config_load_text, and on success also fill src (if not NULL) with
   where each key was set. src is untouched on failure. */
int sl_config_load_src(sl_config_t *cfg, sl_config_src_t *src, const char *path, sl_err_t *err);
int sl_config_load_text_src(sl_config_t *cfg, sl_config_src_t *src, const char *text, const char *origin,
                            sl_err_t *err);

/* sl_config_where writes where key (its full name: "user",
   "net.interface") was set into buf: "FILE:LINE:COL" and returns 1 if the
   file set it; "FILE" alone and returns 0 if it is the embedded default;
   "FILE" and -1 if there is no such key. Never fails otherwise. */
int sl_config_where(const sl_config_src_t *src, const char *key, char *buf, size_t bufsz);

/* sl_config_key_name writes the full name of key i ("user",
   "net.interface"; i from 0, in default.toml's order) into buf. Returns 0,
   or -1 when there is no key i: for (i = 0; !sl_config_key_name(i, ...); i++)
   visits every key. */
int sl_config_key_name(uint32_t i, char *buf, size_t bufsz);

/* sl_config_key_copy sets key's value in dst to its value in from (to ask
   "what if this key were at its default?"). Returns 0, or -1 (dst
   unchanged) for an unknown key or one whose value fills more than its own
   field (net.ports, net.bind_address). */
int sl_config_key_copy(sl_config_t *dst, const sl_config_t *from, const char *key);

/* sl_config_render writes the resolved config as TOML (every key, in
   default.toml's order) into buf; returns the length it needed (like
   snprintf). The text re-loads to an identical sl_config_t. */
uint64_t sl_config_render(const sl_config_t *cfg, char *buf, uint64_t bufsz);

#endif
