/* config/config.c: the typed configuration (see config.h).

   One table, KEYS, describes every key: where it lives in the TOML, where it
   lands in sl_config_t and what values it takes. Loading, validation and
   rendering all walk that one table, so a key added there is parsed,
   checked, listed in "valid keys" messages and rendered, in the order of
   default.toml. */
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/toml.h"
#include "util/cpuset.h"

/* Files bigger than this are not configs; refuse rather than slurp. */
#define CFG_FILE_MAX (1u << 20)

enum { K_STR, K_U32, K_BOOL, K_ENUM, K_PORTS, K_PAGE };

typedef struct cfgkey cfgkey_t;

/* check validates a string value (and may fill derived fields, such as the
   binary bind address); on failure writes the reason into why. */
typedef int (*check_fn)(sl_config_t *c, const char *s, char *why, size_t whysz);

struct cfgkey {
  const char *table; /* NULL: top level */
  const char *key;
  int kind;
  size_t off, size;          /* field in sl_config_t */
  uint32_t min, max;         /* K_U32 range */
  int pow2;                  /* K_U32 must be a power of two */
  const uint32_t *allowed;   /* K_U32: 0-terminated list of the only values */
  const char *const *names;  /* K_ENUM: value i is names[i]; NULL-terminated */
  check_fn check;            /* K_STR */
};

typedef struct {
  const char *origin;
  sl_err_t *err;
  sl_config_src_t *src; /* records where each key was set; NULL: do not (the embedded default) */
} ctx_t;

static int bad(ctx_t *x, uint32_t line, uint32_t col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int bad(ctx_t *x, uint32_t line, uint32_t col, const char *fmt, ...) {
  char msg[SL_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* Values quoted in the message may hold control characters: keep it one line. */
  for (char *p = msg; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
  return sl_err_set(x->err, "%s:%u:%u: %s", x->origin, line, col, msg);
}

/* ---- string checks ---- */

/* parse_ipv4 accepts exactly four dot-separated decimal numbers 0..255
   without leading zeros (which some tools read as octal). */
static int parse_ipv4(const char *s, size_t len, uint32_t *nbo) {
  uint32_t v = 0;
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    if (part) {
      if (i >= len || s[i] != '.') return -1;
      i++;
    }
    size_t st = i;
    uint32_t o = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' && i - st < 3) o = o * 10 + (uint32_t)(s[i++] - '0');
    if (i == st || o > 255 || (s[st] == '0' && i - st > 1)) return -1;
    v = (v << 8) | o;
  }
  if (i != len) return -1;
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  memcpy(nbo, b, 4);
  return 0;
}

static int check_name(sl_config_t *c, const char *s, char *why, size_t sz) {
  (void)c;
  size_t n = strlen(s);
  int ok = n >= 1 && n <= 63;
  for (size_t i = 0; i < n; i++)
    ok &= (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '_' || s[i] == '-';
  if (!ok) snprintf(why, sz, "\"%s\" is not a valid name: use 1..63 characters from A-Za-z0-9_-", s);
  return ok ? 0 : -1;
}

static int check_user(sl_config_t *c, const char *s, char *why, size_t sz) {
  (void)c;
  int ok = s[0] != '-';
  for (size_t i = 0; s[i]; i++)
    ok &= (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '_' || s[i] == '-' || s[i] == '.';
  if (!ok) snprintf(why, sz, "\"%s\" is not a user name (A-Za-z0-9._-, not starting with '-'; \"\" = no change)", s);
  return ok ? 0 : -1;
}

/* Only the syntax: whether the CPUs are online is a fact of the host where
   the instance runs (app/preflight.c checks it). */
static int check_affinity(sl_config_t *c, const char *s, char *why, size_t sz) {
  (void)c;
  if (!strcmp(s, "auto")) return 0;
  static sl_cpulist_t l;
  sl_err_t e;
  if (!sl_cpulist_parse(s, &l, &e)) return 0;
  snprintf(why, sz, "%s (write \"auto\" or a CPU list such as \"2-5,8\")", e.msg);
  return -1;
}

static int check_interface(sl_config_t *c, const char *s, char *why, size_t sz) {
  (void)c;
  size_t n = strlen(s);
  int ok = n >= 1 && n <= 15 && strcmp(s, ".") && strcmp(s, "..");
  for (size_t i = 0; i < n; i++) ok &= s[i] > ' ' && s[i] != '/' && s[i] != ':' && (unsigned char)s[i] < 0x7f;
  if (!ok) snprintf(why, sz, "\"%s\" is not an interface name (1..15 characters, no spaces, '/' or ':')", s);
  return ok ? 0 : -1;
}

static int check_bind(sl_config_t *c, const char *s, char *why, size_t sz) {
  if (!parse_ipv4(s, strlen(s), &c->net.bind_address)) return 0;
  snprintf(why, sz, "\"%s\" is not a dotted-quad IPv4 address (e.g. \"10.0.0.5\"; \"0.0.0.0\" = any)", s);
  return -1;
}

static int check_mount(sl_config_t *c, const char *s, char *why, size_t sz) {
  (void)c;
  if (!strcmp(s, "auto") || s[0] == '/') return 0;
  snprintf(why, sz, "\"%s\" is neither \"auto\" nor an absolute path", s);
  return -1;
}

static int check_listen(sl_config_t *c, const char *s, char *why, size_t sz) {
  (void)c;
  if (!s[0]) return 0;
  const char *colon = strrchr(s, ':');
  uint32_t ip;
  if (colon && !parse_ipv4(s, (size_t)(colon - s), &ip)) {
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] >= '0' && colon[1] <= '9' && !*end && !errno && port >= 1 && port <= 65535) return 0;
  }
  snprintf(why, sz, "\"%s\" is not \"IPv4:port\" (e.g. \"127.0.0.1:7999\"; \"\" = off)", s);
  return -1;
}

static int check_ed25519(sl_config_t *c, const char *s, char *why, size_t sz) {
  (void)c;
  static const char *const names[] = {"auto", "libsodium", "avx2", "avx512"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (!strcmp(s, names[i])) return 0;
  snprintf(why, sz, "\"%s\" is not one of \"auto\", \"libsodium\", \"avx2\", \"avx512\"", s);
  return -1;
}

/* ---- the keys ---- */

#define F(field) offsetof(sl_config_t, field), sizeof(((sl_config_t *)0)->field)

static const char *const IDLE_NAMES[] = {"adaptive", "spin", NULL};           /* SL_IDLE_* */
static const char *const PROVIDER_NAMES[] = {"auto", "xdp", "io_uring", NULL}; /* SL_PROVIDER_* */
static const char *const XDP_MODE_NAMES[] = {"auto", "drv", "skb", NULL};      /* SL_XDP_MODE_* */
static const char *const LEVEL_NAMES[] = {"debug", "info", "warn", "error", NULL}; /* SL_LOG_* */
static const uint32_t FRAME_SIZES[] = {2048, 4096, 0};

static const cfgkey_t KEYS[] = {
    {NULL, "name", K_STR, F(name), .check = check_name},
    {NULL, "user", K_STR, F(user), .check = check_user},
    {"layout", "affinity", K_STR, F(layout.affinity), .check = check_affinity},
    {"layout", "net_tile_count", K_U32, F(layout.net_tile_count), 1, 64, 0, NULL, NULL, NULL},
    {"layout", "verify_tile_count", K_U32, F(layout.verify_tile_count), 1, 64, 0, NULL, NULL, NULL},
    {"layout", "idle", K_ENUM, F(layout.idle), .names = IDLE_NAMES},
    {"layout", "heartbeat_timeout_ms", K_U32, F(layout.heartbeat_timeout_ms), 100, 600000, 0, NULL, NULL, NULL},
    {"layout", "nice", K_U32, F(layout.nice), 0, 19, 0, NULL, NULL, NULL},
    {"net", "interface", K_STR, F(net.interface), .check = check_interface},
    {"net", "provider", K_ENUM, F(net.provider), .names = PROVIDER_NAMES},
    {"net", "ports", K_PORTS, F(net.ports), 1, 65535, 0, NULL, NULL, NULL},
    {"net", "bind_address", K_STR, F(net.bind_address_str), .check = check_bind},
    {"net", "xdp_mode", K_ENUM, F(net.xdp_mode), .names = XDP_MODE_NAMES},
    {"net", "xdp_zero_copy", K_BOOL, F(net.xdp_zero_copy), 0, 0, 0, NULL, NULL, NULL},
    {"net", "rx_queue_size", K_U32, F(net.rx_queue_size), 64, 65536, 1, NULL, NULL, NULL},
    {"net", "frame_size", K_U32, F(net.frame_size), 2048, 4096, 0, FRAME_SIZES, NULL, NULL},
    {"shmem", "hugetlbfs_mount", K_STR, F(shmem.hugetlbfs_mount), .check = check_mount},
    {"shmem", "page_size", K_PAGE, F(shmem.page_size), 0, 0, 0, NULL, NULL, NULL},
    {"shmem", "require_hugepages", K_BOOL, F(shmem.require_hugepages), 0, 0, 0, NULL, NULL, NULL},
    {"shmem", "ring_depth", K_U32, F(shmem.ring_depth), 64, 1u << 20, 1, NULL, NULL, NULL},
    {"verify", "dedup_cache_size", K_U32, F(verify.dedup_cache_size), 1024, 1u << 26, 1, NULL, NULL, NULL},
    {"verify", "ed25519", K_STR, F(verify.ed25519), .check = check_ed25519},
    {"sink", "pcap", K_STR, F(sink.pcap), .check = NULL},
    {"sink", "pcap_max_mb", K_U32, F(sink.pcap_max_mb), 0, 1000000, 0, NULL, NULL, NULL},
    {"sink", "pcap_max_files", K_U32, F(sink.pcap_max_files), 0, 1000000, 0, NULL, NULL, NULL},
    {"log", "level", K_ENUM, F(log.level), .names = LEVEL_NAMES},
    {"log", "file", K_STR, F(log.file), .check = NULL},
    {"monitor", "prometheus_listen", K_STR, F(monitor.prometheus_listen), .check = check_listen},
};
#define KEY_CNT (sizeof KEYS / sizeof *KEYS)
_Static_assert(KEY_CNT <= SL_CFG_KEY_MAX, "raise SL_CFG_KEY_MAX: sl_config_src_t has a position per key");

/* The tables, in order, are those KEYS names. */
static int is_table_name(const char *name) {
  for (size_t i = 0; i < KEY_CNT; i++)
    if (KEYS[i].table && !strcmp(KEYS[i].table, name)) return 1;
  return 0;
}

/* valid_list writes the keys of table (NULL: top level, then the tables as
   [name]) for "valid keys" messages. */
static void valid_list(const char *table, char *buf, size_t sz) {
  size_t o = 0;
  const char *last_table = NULL;
  buf[0] = 0;
  for (size_t i = 0; i < KEY_CNT && o < sz; i++) {
    const cfgkey_t *k = &KEYS[i];
    int n = 0;
    if (!table && !k->table) {
      n = snprintf(buf + o, sz - o, "%s%s", o ? ", " : "", k->key);
    } else if (!table && k->table && (!last_table || strcmp(last_table, k->table))) {
      n = snprintf(buf + o, sz - o, "%s[%s]", o ? ", " : "", k->table);
      last_table = k->table;
    } else if (table && k->table && !strcmp(table, k->table)) {
      n = snprintf(buf + o, sz - o, "%s%s", o ? ", " : "", k->key);
    }
    if (n > 0) o += (size_t)n;
  }
}

static const char *an(int type) {
  switch (type) {
    case SL_TOML_INTEGER: return "an integer";
    case SL_TOML_ARRAY: return "an array";
    case SL_TOML_DATETIME: return "an offset date-time";
    case SL_TOML_DATETIME_LOCAL: return "a local date-time";
    case SL_TOML_DATE_LOCAL: return "a local date";
    case SL_TOML_TIME_LOCAL: return "a local time";
    case SL_TOML_STRING: return "a string";
    case SL_TOML_FLOAT: return "a float";
    case SL_TOML_BOOL: return "a boolean";
    default: return "a table";
  }
}

static void full_name(const cfgkey_t *k, char *buf, size_t sz) {
  if (k->table) snprintf(buf, sz, "%s.%s", k->table, k->key);
  else snprintf(buf, sz, "%s", k->key);
}

static int set_key(ctx_t *x, sl_config_t *c, const cfgkey_t *k, const sl_toml_node_t *v) {
  char name[64], why[512];
  full_name(k, name, sizeof name);
  void *field = (char *)c + k->off;
  static const int want[] = {[K_STR] = SL_TOML_STRING, [K_U32] = SL_TOML_INTEGER, [K_BOOL] = SL_TOML_BOOL,
                             [K_ENUM] = SL_TOML_STRING, [K_PORTS] = SL_TOML_ARRAY, [K_PAGE] = SL_TOML_STRING};
  if (v->type != want[k->kind])
    return bad(x, v->line, v->col, "%s: expected %s, got %s", name, an(want[k->kind]), sl_toml_type_name(v->type));
  if (v->type == SL_TOML_STRING && memchr(v->v.str.ptr, 0, v->v.str.len))
    return bad(x, v->line, v->col, "%s: contains a NUL character", name);
  const char *s = v->type == SL_TOML_STRING ? v->v.str.ptr : NULL;
  switch (k->kind) {
    case K_STR:
      /* The value's own rule first: it says more than a length limit. */
      if (k->check && k->check(c, s, why, sizeof why)) return bad(x, v->line, v->col, "%s: %s", name, why);
      if (v->v.str.len >= k->size) return bad(x, v->line, v->col, "%s: longer than %zu bytes", name, k->size - 1);
      memset(field, 0, k->size);
      memcpy(field, s, v->v.str.len);
      return 0;
    case K_BOOL:
      *(int *)field = v->v.b;
      return 0;
    case K_ENUM: {
      for (int i = 0; k->names[i]; i++) {
        if (!strcmp(s, k->names[i])) {
          *(int *)field = i;
          return 0;
        }
      }
      size_t o = 0;
      why[0] = 0;
      for (int i = 0; k->names[i] && o < sizeof why; i++)
        o += (size_t)snprintf(why + o, sizeof why - o, "%s\"%s\"", i ? ", " : "", k->names[i]);
      return bad(x, v->line, v->col, "%s: \"%s\" is not one of %s", name, s, why);
    }
    case K_PAGE:
      if (!strcmp(s, "2M")) *(uint64_t *)field = 2ull << 20;
      else if (!strcmp(s, "1G")) *(uint64_t *)field = 1ull << 30;
      else return bad(x, v->line, v->col, "%s: \"%s\" is not one of \"2M\", \"1G\"", name, s);
      return 0;
    case K_U32: {
      int64_t i = v->v.i;
      if (k->allowed) {
        int ok = 0;
        size_t o = 0;
        why[0] = 0;
        for (int j = 0; k->allowed[j]; j++) {
          ok |= i == (int64_t)k->allowed[j];
          o += (size_t)snprintf(why + o, sizeof why - o, "%s%u", j ? " or " : "", k->allowed[j]);
        }
        if (!ok) return bad(x, v->line, v->col, "%s: %lld is not allowed (%s)", name, (long long)i, why);
      }
      if (i < (int64_t)k->min || i > (int64_t)k->max)
        return bad(x, v->line, v->col, "%s: %lld out of range %u..%u", name, (long long)i, k->min, k->max);
      if (k->pow2 && (i & (i - 1)))
        return bad(x, v->line, v->col, "%s: %lld is not a power of two (%u..%u)", name, (long long)i, k->min,
                   k->max);
      *(uint32_t *)field = (uint32_t)i;
      return 0;
    }
    case K_PORTS: {
      uint32_t n = v->v.arr.cnt;
      if (n == 0) return bad(x, v->line, v->col, "%s: at least one port is needed", name);
      if (n > SL_PORTS_MAX)
        return bad(x, v->line, v->col, "%s: at most %d ports (got %u)", name, SL_PORTS_MAX, n);
      uint16_t ports[SL_PORTS_MAX] = {0};
      for (uint32_t i = 0; i < n; i++) {
        const sl_toml_node_t *e = v->v.arr.item[i];
        if (e->type != SL_TOML_INTEGER)
          return bad(x, e->line, e->col, "%s[%u]: expected an integer, got %s", name, i, sl_toml_type_name(e->type));
        if (e->v.i < 1 || e->v.i > 65535)
          return bad(x, e->line, e->col, "%s: port %lld out of range 1..65535", name, (long long)e->v.i);
        for (uint32_t j = 0; j < i; j++)
          if (ports[j] == e->v.i) return bad(x, e->line, e->col, "%s: port %lld listed twice", name, (long long)e->v.i);
        ports[i] = (uint16_t)e->v.i;
      }
      memcpy(c->net.ports, ports, sizeof ports);
      c->net.port_cnt = n;
      return 0;
    }
    default:
      return bad(x, v->line, v->col, "%s: internal error: unknown kind", name);
  }
}

/* set_and_note sets key k from v and, when positions are kept, remembers
   where its value was written. */
static int set_and_note(ctx_t *x, sl_config_t *c, const cfgkey_t *k, const sl_toml_node_t *v) {
  if (set_key(x, c, k, v)) return -1;
  if (x->src) x->src->at[k - KEYS] = (sl_config_pos_t){v->line, v->col};
  return 0;
}

static const cfgkey_t *find_key(const char *table, const char *key, uint32_t key_len) {
  if (strlen(key) != key_len) return NULL; /* a key with a NUL is never ours */
  for (size_t i = 0; i < KEY_CNT; i++) {
    const cfgkey_t *k = &KEYS[i];
    if ((table ? k->table && !strcmp(table, k->table) : !k->table) && !strcmp(k->key, key)) return k;
  }
  return NULL;
}

/* printable copies a key for a one-line message. */
static const char *printable(const char *s, char *buf, size_t sz) {
  size_t i = 0;
  for (; s[i] && i + 1 < sz; i++) buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' ? '?' : s[i];
  buf[i] = 0;
  return buf;
}

/* apply_tree sets every key of the tree on c, in document order. */
static int apply_tree(ctx_t *x, sl_config_t *c, const sl_toml_node_t *root) {
  char valid[512], kb[128];
  for (uint32_t i = 0; i < root->v.tab.cnt; i++) {
    const sl_toml_kv_t *kv = &root->v.tab.kv[i];
    const cfgkey_t *k = find_key(NULL, kv->key, kv->key_len);
    if (k) {
      if (set_and_note(x, c, k, kv->val)) return -1;
      continue;
    }
    if (strlen(kv->key) != kv->key_len || !is_table_name(kv->key)) {
      valid_list(NULL, valid, sizeof valid);
      if (kv->val->type == SL_TOML_TABLE)
        return bad(x, kv->line, kv->col, "unknown table [%s] (valid: %s)", printable(kv->key, kb, sizeof kb),
                   valid);
      return bad(x, kv->line, kv->col, "unknown key \"%s\" (valid at the top level: %s)",
                 printable(kv->key, kb, sizeof kb), valid);
    }
    const sl_toml_node_t *t = kv->val;
    if (t->type != SL_TOML_TABLE)
      return bad(x, t->line, t->col, "%s: expected a table, got %s", kv->key, sl_toml_type_name(t->type));
    for (uint32_t j = 0; j < t->v.tab.cnt; j++) {
      const sl_toml_kv_t *tkv = &t->v.tab.kv[j];
      const cfgkey_t *tk = find_key(kv->key, tkv->key, tkv->key_len);
      if (!tk) {
        valid_list(kv->key, valid, sizeof valid);
        return bad(x, tkv->line, tkv->col, "unknown key \"%s\" in [%s] (valid: %s)",
                   printable(tkv->key, kb, sizeof kb), kv->key, valid);
      }
      if (set_and_note(x, c, tk, tkv->val)) return -1;
    }
  }
  return 0;
}

static int apply_text(sl_config_t *c, sl_config_src_t *src, const char *text, uint64_t len, const char *origin,
                      sl_err_t *err) {
  sl_toml_node_t *root = sl_toml_parse(text, len, err);
  if (!root) {
    if (err) {
      char msg[SL_ERR_MAX];
      memcpy(msg, err->msg, sizeof msg);
      sl_err_set(err, "%s:%s", origin, msg);
    }
    return -1;
  }
  ctx_t x = {origin, err, src};
  int rc = apply_tree(&x, c, root);
  sl_toml_free(root);
  return rc;
}

static int load_mem(sl_config_t *cfg, sl_config_src_t *src, const char *text, uint64_t len, const char *origin,
                    sl_err_t *err) {
  sl_config_src_t s;
  sl_config_t c;
  memset(&c, 0, sizeof c);
  memset(&s, 0, sizeof s);
  const char *name = text ? origin ? origin : "<config>" : "<default>";
  snprintf(s.origin, sizeof s.origin, "%s", name);
  if (apply_text(&c, NULL, sl_default_toml, strlen(sl_default_toml), "<default>", err)) return -1;
  if (text && apply_text(&c, &s, text, len, name, err)) return -1;
  *cfg = c;
  if (src) *src = s;
  return 0;
}

int sl_config_load_text_src(sl_config_t *cfg, sl_config_src_t *src, const char *text, const char *origin,
                            sl_err_t *err) {
  return load_mem(cfg, src, text, text ? strlen(text) : 0, origin, err);
}

int sl_config_load_text(sl_config_t *cfg, const char *text, const char *origin, sl_err_t *err) {
  return sl_config_load_text_src(cfg, NULL, text, origin, err);
}

int sl_config_load_src(sl_config_t *cfg, sl_config_src_t *src, const char *path, sl_err_t *err) {
  if (!path) return load_mem(cfg, src, NULL, 0, NULL, err);
  /* A FIFO or device is refused, not read: O_NONBLOCK keeps a FIFO with no
     writer from hanging the open, fstat tells what was opened. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return sl_err_set(err, "%s: cannot open: %s (check the path and its permissions)", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    close(fd);
    return sl_err_set(err, "%s: not a regular file; give the path of a TOML file", path);
  }
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    close(fd);
    return sl_err_set(err, "%s: out of memory", path);
  }
  char *buf = malloc(CFG_FILE_MAX + 1);
  if (!buf) {
    fclose(f);
    return sl_err_set(err, "%s: out of memory", path);
  }
  size_t n = fread(buf, 1, CFG_FILE_MAX + 1, f);
  int rerr = ferror(f);
  fclose(f);
  int rc;
  if (rerr) rc = sl_err_set(err, "%s: cannot read (is it a regular file?)", path);
  else if (n > CFG_FILE_MAX) rc = sl_err_set(err, "%s: larger than %u bytes; not a config file?", path, CFG_FILE_MAX);
  else rc = load_mem(cfg, src, buf, n, path, err);
  free(buf);
  return rc;
}

int sl_config_load(sl_config_t *cfg, const char *path, sl_err_t *err) {
  return sl_config_load_src(cfg, NULL, path, err);
}

/* find_full finds a key by its full name ("net.interface", "user"). */
static const cfgkey_t *find_full(const char *name) {
  const char *dot = strchr(name, '.');
  if (!dot) return find_key(NULL, name, (uint32_t)strlen(name));
  char table[32];
  size_t tl = (size_t)(dot - name);
  if (tl >= sizeof table) return NULL;
  memcpy(table, name, tl);
  table[tl] = 0;
  return find_key(table, dot + 1, (uint32_t)strlen(dot + 1));
}

int sl_config_where(const sl_config_src_t *src, const char *key, char *buf, size_t bufsz) {
  const cfgkey_t *k = find_full(key);
  const sl_config_pos_t *at = k ? &src->at[k - KEYS] : NULL;
  if (at && at->line) {
    snprintf(buf, bufsz, "%s:%u:%u", src->origin, at->line, at->col);
    return 1;
  }
  snprintf(buf, bufsz, "%s", src->origin);
  return k ? 0 : -1;
}

int sl_config_key_name(uint32_t i, char *buf, size_t bufsz) {
  if (i >= KEY_CNT) return -1;
  full_name(&KEYS[i], buf, bufsz);
  return 0;
}

int sl_config_key_copy(sl_config_t *dst, const sl_config_t *from, const char *key) {
  const cfgkey_t *k = find_full(key);
  /* These two fill more than their own field (the port count, the binary
     address): not single-field keys. */
  if (!k || k->kind == K_PORTS || k->check == check_bind) return -1;
  memcpy((char *)dst + k->off, (const char *)from + k->off, k->size);
  return 0;
}

/* ---- rendering ---- */

typedef struct {
  char *b;
  uint64_t sz, n;
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_t *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *dst = o->n < o->sz ? o->b + o->n : NULL;
  int k = vsnprintf(dst, dst ? o->sz - o->n : 0, fmt, ap);
  va_end(ap);
  if (k > 0) o->n += (uint64_t)k;
}

/* put_str writes s as a TOML basic string. */
static void put_str(out_t *o, const char *s) {
  put(o, "\"");
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') put(o, "\\%c", ch);
    else if (ch < 0x20 || ch == 0x7f) put(o, "\\u%04X", ch);
    else put(o, "%c", ch);
  }
  put(o, "\"");
}

uint64_t sl_config_render(const sl_config_t *cfg, char *buf, uint64_t bufsz) {
  out_t o = {buf, bufsz, 0};
  if (bufsz) buf[0] = 0;
  const char *table = NULL;
  for (size_t i = 0; i < KEY_CNT; i++) {
    const cfgkey_t *k = &KEYS[i];
    if (k->table && (!table || strcmp(table, k->table))) {
      put(&o, "\n[%s]\n", k->table);
      table = k->table;
    }
    const void *field = (const char *)cfg + k->off;
    put(&o, "%s = ", k->key);
    switch (k->kind) {
      case K_STR: put_str(&o, (const char *)field); break;
      case K_U32: put(&o, "%u", *(const uint32_t *)field); break;
      case K_BOOL: put(&o, "%s", *(const int *)field ? "true" : "false"); break;
      case K_ENUM: {
        int v = *(const int *)field, n = 0;
        while (k->names[n]) n++;
        put_str(&o, v >= 0 && v < n ? k->names[v] : "?");
        break;
      }
      case K_PAGE: put_str(&o, *(const uint64_t *)field == (1ull << 30) ? "1G" : "2M"); break;
      case K_PORTS:
        put(&o, "[");
        for (uint32_t j = 0; j < cfg->net.port_cnt && j < SL_PORTS_MAX; j++)
          put(&o, "%s%u", j ? ", " : "", cfg->net.ports[j]);
        put(&o, "]");
        break;
      default: break;
    }
    put(&o, "\n");
  }
  if (bufsz && o.n >= bufsz) buf[bufsz - 1] = 0;
  return o.n;
}
