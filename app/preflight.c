/* app/preflight.c: the host checks of a configuration (see preflight.h).

   CHECKS is the table: one row per host fact, each a function that looks
   at the config (and the workspace plan, computed once) and adds findings.
   A check names the key its finding is about; the caller turns that into a
   position. To add a check, write one function and add its row. */
#include "app/preflight.h"

#include <errno.h>
#include <net/if.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "tiles/net/port_owner.h"
#include "tiles/topo.h"
#include "tiles/verify/ed25519/ed25519.h"
#include "util/cpuset.h"

typedef struct {
  const sl_config_t *cfg;
  const sl_config_src_t *src; /* NULL: nothing came from a file */
  const sl_wksp_plan_t *plan;
} ctx_t;

static void add(sl_preflight_t *o, int severity, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(sl_preflight_t *o, int severity, const char *key, const char *fmt, ...) {
  if (severity == SL_PREFLIGHT_ERROR) o->errors++;
  else o->warnings++;
  if (o->cnt == SL_PREFLIGHT_MAX) return;
  sl_finding_t *f = &o->f[o->cnt++];
  f->severity = severity;
  snprintf(f->key, sizeof f->key, "%s", key);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->msg, sizeof f->msg, fmt, ap);
  va_end(ap);
}

/* set_in_file: did the user's file set key? */
static int set_in_file(const ctx_t *x, const char *key) {
  char at[8];
  return x->src && sl_config_where(x->src, key, at, sizeof at) == 1;
}

/* size_text writes bytes as "12.0 MiB" / "89.6 GiB". */
static const char *size_text(uint64_t bytes, char *buf, size_t sz) {
  if (bytes >= (1ull << 30)) snprintf(buf, sz, "%.1f GiB", (double)bytes / (double)(1ull << 30));
  else snprintf(buf, sz, "%.1f MiB", (double)bytes / (double)(1ull << 20));
  return buf;
}

static const char *page_text(uint64_t page) { return page == SL_PAGE_1G ? "1G" : "2M"; }

/* ---- the checks ---- */

static void check_user(const ctx_t *x, sl_preflight_t *o) {
  const char *u = x->cfg->user;
  if (!*u) return;
  errno = 0;
  if (getpwnam(u)) return;
  /* NULL with one of these errnos means "no such user"; others are a
     failed lookup (NSS down, out of fds). */
  if (errno && errno != ENOENT && errno != ESRCH && errno != EBADF && errno != EPERM)
    add(o, SL_PREFLIGHT_ERROR, "user", "cannot look up \"%s\": %s", u, strerror(errno));
  else
    add(o, SL_PREFLIGHT_ERROR, "user",
        "\"%s\" does not exist on this host; create it (useradd --system %s) or set user = \"\" to keep "
        "the invoking user",
        u, u);
}

static void check_interface(const ctx_t *x, sl_preflight_t *o) {
  const char *ifname = x->cfg->net.interface;
  if (if_nametoindex(ifname)) return;
  char list[256] = "";
  size_t n = 0;
  struct if_nameindex *all = if_nameindex();
  for (struct if_nameindex *i = all; i && i->if_index && n < sizeof list; i++)
    n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", i->if_name);
  if (all) if_freenameindex(all);
  add(o, SL_PREFLIGHT_ERROR, "net.interface", "\"%s\" does not exist on this host (interfaces here: %s)",
      ifname, n ? list : "none");
}

static void check_cpus(const ctx_t *x, sl_preflight_t *o) {
  const sl_config_t *c = x->cfg;
  static sl_cpulist_t l, online;
  sl_err_t e;
  int is_auto = !strcmp(c->layout.affinity, "auto");
  if (is_auto ? sl_cpulist_online(&l, &e) : sl_cpulist_parse(c->layout.affinity, &l, &e)) {
    add(o, SL_PREFLIGHT_ERROR, "layout.affinity", "%s", e.msg);
    return;
  }
  char off[256] = "";
  uint32_t off_cnt = 0;
  size_t n = 0;
  for (uint32_t i = 0; i < l.cnt; i++) {
    if (sl_cpu_online(l.cpu[i])) continue;
    if (n < sizeof off) n += (size_t)snprintf(off + n, sizeof off - n, "%s%u", n ? ", " : "", l.cpu[i]);
    off_cnt++;
  }
  if (off_cnt) {
    char on[256] = "?";
    if (!sl_cpulist_online(&online, NULL)) sl_cpulist_format(&online, on, sizeof on);
    add(o, SL_PREFLIGHT_ERROR, "layout.affinity", "CPU%s %s %s not online (online CPUs: %s)", off_cnt > 1 ? "s" : "",
        off, off_cnt > 1 ? "are" : "is", on);
    return;
  }
  uint32_t tiles = c->layout.net_tile_count + c->layout.verify_tile_count + 1;
  if (tiles <= l.cnt) return;
  /* Point at what the file chose: the CPU list, else the tile counts. */
  const char *key = "layout.affinity";
  if (!set_in_file(x, key)) {
    if (set_in_file(x, "layout.verify_tile_count")) key = "layout.verify_tile_count";
    else if (set_in_file(x, "layout.net_tile_count")) key = "layout.net_tile_count";
  }
  add(o, SL_PREFLIGHT_WARNING, key, "%u tiles (%u net, %u verify, 1 sink) on %u CPU%s: tiles will share CPUs%s",
      tiles, c->layout.net_tile_count, c->layout.verify_tile_count, l.cnt, l.cnt > 1 ? "s" : "",
      c->layout.idle == SL_IDLE_SPIN ? " while spinning (set layout.idle = \"adaptive\", or give each tile a CPU)"
                                     : "");
}

/* cpu_has_1g_pages: may this host map 1 GiB pages? The kernel's CPU flags
   say (x86: pdpe1gb), not cpuid: a hypervisor can offer the bit to cpuid
   and the kernel still run without it. Hosts without an x86 "flags" line
   are left to the kernel's hugepage sizes. */
static int cpu_has_1g_pages(void) {
  FILE *f = fopen("/proc/cpuinfo", "re");
  if (!f) return 1;
  static char line[8192];
  int has = 1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "flags", 5)) continue;
    line[strcspn(line, "\n")] = ' ';
    has = strstr(line, " pdpe1gb ") != NULL;
    break;
  }
  fclose(f);
  return has;
}

static void check_hugepages(const ctx_t *x, sl_preflight_t *o) {
  const sl_config_t *c = x->cfg;
  const sl_wksp_plan_t *p = x->plan;
  if (p->huge) return;
  const char *pg = page_text(p->page_size);
  int req = c->shmem.require_hugepages;
  int sev = req ? SL_PREFLIGHT_ERROR : SL_PREFLIGHT_WARNING;
  const char *then = req ? "sluice run refuses to start (require_hugepages = true)"
                         : "the workspace will be in /dev/shm on small pages (slower)";
  if (p->page_size == SL_PAGE_1G && !cpu_has_1g_pages()) {
    add(o, sev, "shmem.page_size", "this CPU has no 1 GiB pages (the kernel's CPU flags lack pdpe1gb): %s; use "
        "page_size = \"2M\"", then);
    return;
  }
  if (p->pages_free < 0) {
    add(o, sev, "shmem.page_size", "the kernel offers no %s pages (no /sys/kernel/mm/hugepages/hugepages-%llukB): %s",
        pg, (unsigned long long)(p->page_size >> 10), then);
    return;
  }
  const char *key = req ? "shmem.require_hugepages" : "shmem.page_size";
  const char *remedy = req ? " or set require_hugepages = false" : " to use hugepages";
  if (p->huge_mount[0])
    add(o, sev, key,
        "the workspace needs %ld x %s hugepages and %s has %ld free: %s; run `sluice configure init hugetlbfs`%s",
        p->pages, pg, p->huge_mount, p->huge_mount_free, then, remedy);
  else
    add(o, sev, key,
        "the workspace needs %ld x %s hugepages (%ld free) but %s: %s; run `sluice configure init hugetlbfs`%s",
        p->pages, pg, p->pages_free, p->why, then, remedy);
}

/* biggest_cause: the key set in the file whose return to its default value
   shrinks the workspace most, and by how much; "shmem.ring_depth" (and 0)
   when no key the file set makes it bigger. */
static const char *biggest_cause(const ctx_t *x, uint64_t *saves) {
  static char best[48];
  static sl_config_t def, alt;
  snprintf(best, sizeof best, "shmem.ring_depth");
  *saves = 0;
  if (sl_config_load(&def, NULL, NULL)) return best;
  uint64_t now = sl_topo_footprint(x->cfg);
  char key[48];
  for (uint32_t i = 0; !sl_config_key_name(i, key, sizeof key); i++) {
    alt = *x->cfg;
    if (!set_in_file(x, key) || sl_config_key_copy(&alt, &def, key)) continue;
    uint64_t then = sl_topo_footprint(&alt);
    if (then < now && now - then > *saves) {
      *saves = now - then;
      snprintf(best, sizeof best, "%s", key);
    }
  }
  return best;
}

/* For people, not for computing: sl_topo_footprint is the truth. */
#define GROWS_WITH "shmem.ring_depth, verify.dedup_cache_size, net.rx_queue_size, net.frame_size and the tile counts"

static void check_memory(const ctx_t *x, sl_preflight_t *o) {
  const sl_wksp_plan_t *p = x->plan;
  struct sysinfo si;
  uint64_t ram = sysinfo(&si) ? 0 : (uint64_t)si.totalram * si.mem_unit;
  int too_big = ram && p->bytes > ram;
  int no_room = !p->huge && p->bytes > p->shm_free;
  if (!too_big && !no_room) return;
  uint64_t saves;
  const char *key = biggest_cause(x, &saves);
  char need[32], have[32], save[64] = "";
  size_text(p->bytes, need, sizeof need);
  if (saves) {
    char s[32];
    snprintf(save, sizeof save, " (back to its default saves %s)", size_text(saves, s, sizeof s));
  }
  if (too_big)
    add(o, SL_PREFLIGHT_ERROR, key,
        "the workspace needs %s, more than this machine's %s of memory: lower this value%s; the workspace "
        "grows with " GROWS_WITH,
        need, size_text(ram, have, sizeof have), save);
  else
    add(o, SL_PREFLIGHT_ERROR, key,
        "the workspace needs %s in /dev/shm (no hugepages for it: %s), which has %s free: lower this value%s, or "
        "reserve hugepages (`sluice configure init hugetlbfs`); the workspace grows with " GROWS_WITH,
        need, p->why, size_text(p->shm_free, have, sizeof have), save);
}

static void check_ports(const ctx_t *x, sl_preflight_t *o) {
  const sl_config_t *c = x->cfg;
  sl_port_owner_t own;
  uint32_t cnt;
  sl_err_t e;
  if (sl_port_owners(c->net.ports, c->net.port_cnt, c->net.bind_address, &own, 1, &cnt, &e)) {
    add(o, SL_PREFLIGHT_WARNING, "net.ports", "cannot tell whether other programs hold these ports: %s", e.msg);
    return;
  }
  if (!cnt) return;
  char who[320];
  sl_port_owner_describe(&own, cnt, who, sizeof who);
  const char *ifname = c->net.interface;
  if (c->net.provider == SL_PROVIDER_IO_URING)
    add(o, SL_PREFLIGHT_WARNING, "net.ports",
        "UDP port %u is held by %s: sluice run will refuse to share it with that program (exit 1) while it holds "
        "it",
        own.port, who);
  else if (c->net.provider == SL_PROVIDER_XDP)
    add(o, SL_PREFLIGHT_WARNING, "net.ports",
        "UDP port %u is held by %s: XDP on %s will divert its packets, so that socket will receive nothing from %s",
        own.port, who, ifname, ifname);
  else
    add(o, SL_PREFLIGHT_WARNING, "net.ports",
        "UDP port %u is held by %s: with XDP on %s that socket will receive nothing from %s; should sluice fall "
        "back to io_uring, it will refuse to start (exit 1) while the port is held",
        own.port, who, ifname, ifname);
}

typedef struct {
  const char *what; /* for readers of this table */
  void (*run)(const ctx_t *x, sl_preflight_t *o);
} check_t;

/* The verify tiles select the same backend at start (sl_sigverify_select):
   this says so before anything is built, at the key. */
static void check_ed25519(const ctx_t *x, sl_preflight_t *o) {
  sl_ed25519_backend_t b;
  sl_err_t err;
  if (sl_ed25519_select(x->cfg->verify.ed25519, &b, &err))
    add(o, SL_PREFLIGHT_ERROR, "verify.ed25519", "%s", err.msg);
}

static const check_t CHECKS[] = {
    {"the user exists", check_user},
    {"the interface exists", check_interface},
    {"the CPUs are online, and enough", check_cpus},
    {"hugepages for the workspace", check_hugepages},
    {"memory for the workspace", check_memory},
    {"no other program on the ports", check_ports},
    {"the CPU runs the ed25519 backend", check_ed25519},
};

/* ---- running and reporting ---- */

void sl_preflight_wksp_params(const sl_config_t *cfg, const char *config_text, sl_wksp_params_t *wp) {
  sl_wksp_params_default(wp);
  wp->name = cfg->name;
  wp->size = sl_topo_footprint(cfg);
  wp->page_size = cfg->shmem.page_size;
  wp->hugetlbfs_mount = cfg->shmem.hugetlbfs_mount;
  wp->require_hugepages = cfg->shmem.require_hugepages;
  wp->config_text = config_text;
}

void sl_preflight(const sl_config_t *cfg, const sl_config_src_t *src, sl_preflight_t *out) {
  memset(out, 0, sizeof *out);
  uint64_t len = sl_config_render(cfg, NULL, 0);
  char *text = malloc(len + 1);
  if (text) sl_config_render(cfg, text, len + 1);
  sl_wksp_params_t wp;
  sl_preflight_wksp_params(cfg, text, &wp);
  sl_wksp_plan(&wp, &out->plan);
  free(text);
  ctx_t x = {cfg, src, &out->plan};
  for (size_t i = 0; i < sizeof CHECKS / sizeof *CHECKS; i++) CHECKS[i].run(&x, out);
}

void sl_preflight_line(const sl_preflight_t *pf, uint32_t i, const sl_config_src_t *src, char *buf, size_t bufsz) {
  const sl_finding_t *f = &pf->f[i];
  const char *sev = f->severity == SL_PREFLIGHT_ERROR ? "error" : "warning";
  char at[1100];
  if (src && sl_config_where(src, f->key, at, sizeof at) == 1)
    snprintf(buf, bufsz, "%s: %s: %s: %s", at, sev, f->key, f->msg);
  else
    snprintf(buf, bufsz, "%s: %s: %s (embedded default): %s", src ? src->origin : "<default>", sev, f->key, f->msg);
}

void sl_preflight_summary(const sl_preflight_t *pf, const sl_config_src_t *src, char *buf, size_t bufsz) {
  const char *file = src ? src->origin : "<default>";
  const sl_wksp_plan_t *p = &pf->plan;
  char sz[32], w[32] = "";
  size_text(p->bytes, sz, sizeof sz);
  if (pf->warnings) snprintf(w, sizeof w, "%u warning%s", pf->warnings, pf->warnings > 1 ? "s" : "");
  if (pf->errors)
    snprintf(buf, bufsz, "%s: %u error%s%s%s: sluice run would refuse this configuration", file, pf->errors,
             pf->errors > 1 ? "s" : "", *w ? ", " : "", w);
  else if (p->huge)
    snprintf(buf, bufsz, "%s: ok%s%s: workspace %s on %ld x %s hugepages in %s (%ld free)", file, *w ? " with " : "",
             w, sz, p->pages, page_text(p->page_size), p->dir, p->pages_free);
  else
    snprintf(buf, bufsz, "%s: ok%s%s: workspace %s in %s (%ld x %s hugepages needed, %ld free)", file,
             *w ? " with " : "", w, sz, p->dir, p->pages, page_text(p->page_size),
             p->pages_free < 0 ? 0 : p->pages_free);
}
