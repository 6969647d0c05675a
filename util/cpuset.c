#include "util/cpuset.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}

static int parse_id(const char **pp, uint32_t *out) {
  const char *p = *pp;
  if (!isdigit((unsigned char)*p)) return -1;
  uint64_t v = 0;
  while (isdigit((unsigned char)*p)) {
    v = v * 10 + (uint64_t)(*p - '0');
    if (v >= SL_CPU_MAX) return -2;
    p++;
  }
  *out = (uint32_t)v;
  *pp = p;
  return 0;
}

int sl_cpulist_parse(const char *s, sl_cpulist_t *out, sl_err_t *err) {
  static uint8_t seen[SL_CPU_MAX];
  memset(seen, 0, sizeof seen);
  out->cnt = 0;
  const char *p = skip_ws(s);
  if (!*p) return sl_err_set(err, "empty CPU list (write e.g. \"2-5,8\" or \"auto\")");
  for (;;) {
    const char *item = p;
    uint32_t lo, hi;
    int r = parse_id(&p, &lo);
    if (r == -2) return sl_err_set(err, "CPU id in \"%s\" is too large (max %d)", item, SL_CPU_MAX - 1);
    if (r) return sl_err_set(err, "bad CPU list item at \"%s\" (expected N or N-M)", item);
    hi = lo;
    p = skip_ws(p);
    if (*p == '-') {
      p = skip_ws(p + 1);
      r = parse_id(&p, &hi);
      if (r == -2) return sl_err_set(err, "CPU id in \"%s\" is too large (max %d)", item, SL_CPU_MAX - 1);
      if (r) return sl_err_set(err, "bad CPU range at \"%s\" (expected N-M)", item);
      if (hi < lo) return sl_err_set(err, "descending CPU range %u-%u", lo, hi);
      p = skip_ws(p);
    }
    for (uint32_t c = lo; c <= hi; c++) {
      if (seen[c]) return sl_err_set(err, "CPU %u is listed twice", c);
      seen[c] = 1;
      out->cpu[out->cnt++] = (uint16_t)c;
    }
    if (!*p) return 0;
    if (*p != ',') return sl_err_set(err, "unexpected '%c' in CPU list at \"%s\"", *p, p);
    p = skip_ws(p + 1);
  }
}

int sl_cpulist_online(sl_cpulist_t *out, sl_err_t *err) {
  FILE *f = fopen("/sys/devices/system/cpu/online", "r");
  if (f) {
    char buf[4096];
    char *got = fgets(buf, sizeof buf, f);
    fclose(f);
    if (got) {
      buf[strcspn(buf, "\n")] = 0;
      if (!sl_cpulist_parse(buf, out, err)) return 0;
    }
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) return sl_err_set(err, "cannot determine the online CPUs");
  out->cnt = 0;
  for (long i = 0; i < n && i < SL_CPU_MAX; i++) out->cpu[out->cnt++] = (uint16_t)i;
  return 0;
}

int sl_cpu_online(uint32_t cpu) {
  sl_cpulist_t l;
  if (sl_cpulist_online(&l, NULL)) return 0;
  for (uint32_t i = 0; i < l.cnt; i++)
    if (l.cpu[i] == cpu) return 1;
  return 0;
}

void sl_cpulist_format(const sl_cpulist_t *l, char *buf, uint32_t bufsz) {
  uint32_t off = 0;
  buf[0] = 0;
  for (uint32_t i = 0; i < l->cnt && off < bufsz;) {
    uint32_t j = i;
    while (j + 1 < l->cnt && l->cpu[j + 1] == l->cpu[j] + 1) j++;
    int n = (j > i) ? snprintf(buf + off, bufsz - off, "%s%u-%u", off ? "," : "", l->cpu[i], l->cpu[j])
                    : snprintf(buf + off, bufsz - off, "%s%u", off ? "," : "", l->cpu[i]);
    if (n < 0) break;
    off += (uint32_t)n;
    i = j + 1;
  }
}
