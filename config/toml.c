/* config/toml.c: TOML 1.0 parser (see toml.h for the contract).

   A single pass over the text with a byte cursor. Values are parsed into
   nodes as they come; keys and table headers are applied to the tree at
   once, and the redefinition rules of TOML 1.0 are enforced with a few flag
   bits per table saying how it came to exist:
     IMPLICIT  created as a parent by a [header] ([a.b] creates a): a later
               [a] may still define it, once;
     DEFINED   named by its own [header] or [[header]]: never again;
     DOTTED    created by a dotted key (a.b = 1 creates a): only dotted keys
               may add to it, and [headers] may only add sub-tables;
     INLINE    an inline table { }: closed for good once parsed;
     AOT       (arrays) made by [[header]], so [[header]] may append. */
#include "config/toml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_IMPLICIT = 1, F_DEFINED = 2, F_DOTTED = 4, F_INLINE = 8, F_AOT = 16 };

typedef struct {
  const uint8_t *s;
  uint64_t n, p;
  uint64_t start; /* after a BOM */
  sl_err_t *err;
  /* Position cache: node positions are asked for in increasing order, so
     line/col are computed incrementally from the last answer. */
  uint64_t loc_off;
  uint32_t loc_line, loc_col;
  sl_toml_node_t *root, *cur;
} parser_t;

typedef struct {
  char *b;
  uint64_t n, cap;
} buf_t;

typedef struct {
  char *s;
  uint32_t len;
  uint64_t off;
  uint32_t line, col; /* of off, computed while the cursor is there */
} keypart_t;

typedef struct {
  keypart_t *part;
  uint32_t cnt, cap;
} keypath_t;

/* ---- positions and errors ---- */

static void locate(parser_t *P, uint64_t off, uint32_t *line, uint32_t *col) {
  if (off > P->n) off = P->n;
  if (off < P->start) off = P->start;
  if (off < P->loc_off) {
    P->loc_off = P->start;
    P->loc_line = 1;
    P->loc_col = 1;
  }
  uint64_t i = P->loc_off;
  uint32_t l = P->loc_line, c = P->loc_col;
  for (; i < off; i++) {
    uint8_t b = P->s[i];
    if (b == '\n') {
      l++;
      c = 1;
    } else if ((b & 0xC0) != 0x80) {
      c++;
    }
  }
  P->loc_off = off;
  P->loc_line = l;
  P->loc_col = c;
  *line = l;
  *col = c;
}

static int err_at(parser_t *P, uint64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int err_at(parser_t *P, uint64_t off, const char *fmt, ...) {
  char msg[SL_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  uint32_t line, col;
  locate(P, off, &line, &col);
  return sl_err_set(P->err, "%u:%u: %s", line, col, msg);
}

/* describe names the character at off for a message. */
static const char *describe(const parser_t *P, uint64_t off, char *buf, size_t sz) {
  if (off >= P->n) return "end of file";
  uint8_t c = P->s[off];
  if (c == '\n' || (c == '\r' && off + 1 < P->n && P->s[off + 1] == '\n')) return "end of line";
  if (c < 0x20 || c == 0x7f) {
    snprintf(buf, sz, "control character U+%04X", c);
  } else if (c >= 0x80) {
    /* The text is valid UTF-8 by the time anything is described. */
    uint32_t cp;
    uint64_t k;
    if (c >= 0xF0) cp = c & 0x07, k = 3;
    else if (c >= 0xE0) cp = c & 0x0F, k = 2;
    else cp = c & 0x1F, k = 1;
    for (uint64_t j = 1; j <= k && off + j < P->n; j++) cp = (cp << 6) | (P->s[off + j] & 0x3F);
    snprintf(buf, sz, "character U+%04X", cp);
  } else {
    snprintf(buf, sz, "'%c'", c);
  }
  return buf;
}

/* ---- character classes ---- */

static int is_ctl(uint8_t c) { return (c < 0x20 && c != '\t') || c == 0x7f; }
static int is_bare(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}
static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
static int digit_of(uint8_t c, int radix) {
  int v = hexval(c);
  return v >= 0 && v < radix ? v : -1;
}

/* utf8_bad returns the offset of the first byte that does not start a
   well-formed UTF-8 sequence (overlongs, surrogates and values above
   U+10FFFF are ill-formed), or n. */
static uint64_t utf8_bad(const uint8_t *s, uint64_t n) {
  uint64_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    uint64_t k;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) k = 1;
    else if (c == 0xE0) k = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) k = 2;
    else if (c == 0xED) k = 2, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) k = 2;
    else if (c == 0xF0) k = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) k = 3;
    else if (c == 0xF4) k = 3, hi = 0x8F;
    else return i;
    if (n - i <= k) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (uint64_t j = 2; j <= k; j++)
      if ((s[i + j] & 0xC0) != 0x80) return i;
    i += k + 1;
  }
  return n;
}

/* ---- growable buffers ---- */

static int buf_reserve(parser_t *P, buf_t *b, uint64_t more) {
  if (b->n + more + 1 <= b->cap) return 0;
  uint64_t cap = b->cap ? b->cap : 32;
  while (cap < b->n + more + 1) cap *= 2;
  char *nb = realloc(b->b, cap);
  if (!nb) return err_at(P, P->p, "out of memory");
  b->b = nb;
  b->cap = cap;
  return 0;
}

static int buf_put(parser_t *P, buf_t *b, const void *d, uint64_t len) {
  if (buf_reserve(P, b, len)) return -1;
  memcpy(b->b + b->n, d, len);
  b->n += len;
  b->b[b->n] = 0;
  return 0;
}

static int buf_byte(parser_t *P, buf_t *b, uint8_t c) { return buf_put(P, b, &c, 1); }

static int buf_utf8(parser_t *P, buf_t *b, uint32_t cp) {
  uint8_t o[4];
  uint64_t k;
  if (cp < 0x80) o[0] = (uint8_t)cp, k = 1;
  else if (cp < 0x800) o[0] = (uint8_t)(0xC0 | (cp >> 6)), o[1] = (uint8_t)(0x80 | (cp & 0x3F)), k = 2;
  else if (cp < 0x10000)
    o[0] = (uint8_t)(0xE0 | (cp >> 12)), o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)),
    o[2] = (uint8_t)(0x80 | (cp & 0x3F)), k = 3;
  else
    o[0] = (uint8_t)(0xF0 | (cp >> 18)), o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F)),
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (uint8_t)(0x80 | (cp & 0x3F)), k = 4;
  return buf_put(P, b, o, k);
}

/* ---- nodes ---- */

void sl_toml_free(sl_toml_node_t *n) {
  if (!n) return;
  if (n->type == SL_TOML_TABLE) {
    for (uint32_t i = 0; i < n->v.tab.cnt; i++) {
      free(n->v.tab.kv[i].key);
      sl_toml_free(n->v.tab.kv[i].val);
    }
    free(n->v.tab.kv);
  } else if (n->type == SL_TOML_ARRAY) {
    for (uint32_t i = 0; i < n->v.arr.cnt; i++) sl_toml_free(n->v.arr.item[i]);
    free(n->v.arr.item);
  } else if (n->type == SL_TOML_STRING) {
    free(n->v.str.ptr);
  }
  free(n);
}

/* node_at makes a node for the key part k (whose position is known). */
static sl_toml_node_t *node_at(parser_t *P, int type, const keypart_t *k, uint32_t depth) {
  if (depth > SL_TOML_DEPTH_MAX) {
    err_at(P, k->off, "nesting deeper than %d levels", SL_TOML_DEPTH_MAX);
    return NULL;
  }
  sl_toml_node_t *n = calloc(1, sizeof *n);
  if (!n) {
    err_at(P, k->off, "out of memory");
    return NULL;
  }
  n->type = (uint8_t)type;
  n->depth = (uint16_t)depth;
  n->line = k->line;
  n->col = k->col;
  return n;
}

/* node_new makes a node for the token at off, which must not be before any
   position asked for so far (see locate). */
static sl_toml_node_t *node_new(parser_t *P, int type, uint64_t off, uint32_t depth) {
  keypart_t k = {.off = off};
  locate(P, off, &k.line, &k.col);
  return node_at(P, type, &k, depth);
}

static sl_toml_kv_t *table_find(const sl_toml_node_t *t, const char *key, uint32_t len) {
  for (uint32_t i = 0; i < t->v.tab.cnt; i++) {
    sl_toml_kv_t *kv = &t->v.tab.kv[i];
    if (kv->key_len == len && !memcmp(kv->key, key, len)) return kv;
  }
  return NULL;
}

/* table_add appends key (copied) -> val; on failure val is still the
   caller's. */
static int table_add(parser_t *P, sl_toml_node_t *t, const keypart_t *k, sl_toml_node_t *val) {
  if (t->v.tab.cnt == t->v.tab.cap) {
    uint32_t cap = t->v.tab.cap ? t->v.tab.cap * 2 : 8;
    sl_toml_kv_t *kv = realloc(t->v.tab.kv, cap * sizeof *kv);
    if (!kv) return err_at(P, k->off, "out of memory");
    t->v.tab.kv = kv;
    t->v.tab.cap = cap;
  }
  char *key = malloc((size_t)k->len + 1);
  if (!key) return err_at(P, k->off, "out of memory");
  memcpy(key, k->s, k->len);
  key[k->len] = 0;
  sl_toml_kv_t *kv = &t->v.tab.kv[t->v.tab.cnt++];
  *kv = (sl_toml_kv_t){.key = key, .key_len = k->len, .line = k->line, .col = k->col, .val = val};
  return 0;
}

static int array_push(parser_t *P, sl_toml_node_t *a, sl_toml_node_t *val, uint64_t off) {
  if (a->v.arr.cnt == a->v.arr.cap) {
    uint32_t cap = a->v.arr.cap ? a->v.arr.cap * 2 : 8;
    sl_toml_node_t **it = realloc(a->v.arr.item, cap * sizeof *it);
    if (!it) return err_at(P, off, "out of memory");
    a->v.arr.item = it;
    a->v.arr.cap = cap;
  }
  a->v.arr.item[a->v.arr.cnt++] = val;
  return 0;
}

/* ---- whitespace, comments, newlines ---- */

static int peek(const parser_t *P, uint64_t k) { return P->p + k < P->n ? P->s[P->p + k] : -1; }

static void skip_ws(parser_t *P) {
  while (P->p < P->n && (P->s[P->p] == ' ' || P->s[P->p] == '\t')) P->p++;
}

/* at_newline: 1 (LF) or 2 (CRLF) if a newline starts at the cursor, else
   0. */
static int at_newline(const parser_t *P) {
  if (peek(P, 0) == '\n') return 1;
  if (peek(P, 0) == '\r' && peek(P, 1) == '\n') return 2;
  return 0;
}

/* skip_comment consumes '#' and the rest of the line (not the newline). */
static int skip_comment(parser_t *P) {
  P->p++;
  while (P->p < P->n) {
    uint8_t c = P->s[P->p];
    if (c == '\n' || (c == '\r' && peek(P, 1) == '\n')) return 0;
    if (is_ctl(c)) return err_at(P, P->p, "control character U+%04X in a comment", c);
    P->p++;
  }
  return 0;
}

/* skip_blank skips whitespace, comments and newlines (inside arrays). */
static int skip_blank(parser_t *P) {
  for (;;) {
    skip_ws(P);
    int nl = at_newline(P);
    if (nl) {
      P->p += (uint64_t)nl;
    } else if (peek(P, 0) == '#') {
      if (skip_comment(P)) return -1;
    } else {
      return 0;
    }
  }
}

/* end_of_line: after an expression, only whitespace, a comment, then a
   newline or the end of the text may follow. */
static int end_of_line(parser_t *P, const char *what) {
  skip_ws(P);
  if (peek(P, 0) == '#' && skip_comment(P)) return -1;
  if (P->p >= P->n) return 0;
  int nl = at_newline(P);
  if (nl) {
    P->p += (uint64_t)nl;
    return 0;
  }
  char d[48];
  return err_at(P, P->p, "unexpected %s after the %s (expected a newline or a comment)",
                describe(P, P->p, d, sizeof d), what);
}

/* ---- strings ---- */

/* escape decodes the escape at the cursor (a backslash) into b. In a
   multi-line string, a backslash ending its line swallows the newline and
   all whitespace after it. */
static int escape(parser_t *P, buf_t *b, int ml) {
  uint64_t at = P->p;
  int c = peek(P, 1);
  const char *simple = NULL;
  switch (c) {
    case 'b': simple = "\b"; break;
    case 't': simple = "\t"; break;
    case 'n': simple = "\n"; break;
    case 'f': simple = "\f"; break;
    case 'r': simple = "\r"; break;
    case '"': simple = "\""; break;
    case '\\': simple = "\\"; break;
    default: break;
  }
  if (simple) {
    P->p += 2;
    return buf_byte(P, b, (uint8_t)simple[0]);
  }
  if (c == 'u' || c == 'U') {
    int nd = c == 'u' ? 4 : 8;
    uint32_t cp = 0;
    for (int i = 0; i < nd; i++) {
      int h = peek(P, 2 + (uint64_t)i);
      int v = h < 0 ? -1 : hexval((uint8_t)h);
      if (v < 0) return err_at(P, at, "escape \\%c needs exactly %d hex digits", c, nd);
      cp = (cp << 4) | (uint32_t)v;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return err_at(P, at, "escape \\%c%0*X is not a Unicode scalar value (U+0000..U+D7FF, U+E000..U+10FFFF)",
                    c, nd, cp);
    P->p += 2 + (uint64_t)nd;
    return buf_utf8(P, b, cp);
  }
  if (ml && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
    uint64_t q = P->p + 1;
    while (q < P->n && (P->s[q] == ' ' || P->s[q] == '\t')) q++;
    P->p = q;
    if (!at_newline(P))
      return err_at(P, at, "a line-ending backslash must be followed only by whitespace up to the newline");
    for (;;) {
      skip_ws(P);
      int nl = at_newline(P);
      if (!nl) break;
      P->p += (uint64_t)nl;
    }
    return 0;
  }
  char d[48];
  if (c < 0) return err_at(P, at, "unterminated escape at end of file");
  return err_at(P, at,
                "invalid escape \\ followed by %s (TOML 1.0 allows \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX "
                "\\UXXXXXXXX)",
                describe(P, at + 1, d, sizeof d));
}

/* parse_string parses any of the four string kinds at the cursor into b;
   *ml tells whether it was a multi-line one. */
static int parse_string(parser_t *P, buf_t *b, int *ml) {
  uint64_t open = P->p;
  uint8_t q = P->s[P->p];
  int basic = q == '"';
  *ml = peek(P, 1) == q && peek(P, 2) == q;
  if (buf_reserve(P, b, 0)) return -1;
  b->b[0] = 0;
  if (!*ml) {
    P->p++;
    for (;;) {
      if (P->p >= P->n) return err_at(P, open, "unterminated string (add the closing %c)", q);
      uint8_t c = P->s[P->p];
      if (c == q) {
        P->p++;
        return 0;
      }
      if (c == '\n' || c == '\r')
        return err_at(P, open, "string not closed on its line (use %c%c%c for a multi-line string)", q, q, q);
      if (basic && c == '\\') {
        if (escape(P, b, 0)) return -1;
        continue;
      }
      if (is_ctl(c))
        return err_at(P, P->p, "control character U+%04X in a string%s", c,
                      basic ? " (write it as an escape)" : "");
      if (buf_byte(P, b, c)) return -1;
      P->p++;
    }
  }
  P->p += 3;
  /* A newline right after the opening delimiter is not part of the string. */
  P->p += (uint64_t)at_newline(P);
  for (;;) {
    if (P->p >= P->n) return err_at(P, open, "unterminated multi-line string (add the closing %c%c%c)", q, q, q);
    uint8_t c = P->s[P->p];
    if (c == q) {
      /* Up to two quotes may sit right before the closing three. */
      uint64_t run = 0;
      while (P->p + run < P->n && P->s[P->p + run] == q) run++;
      if (run >= 3) {
        if (run > 5)
          return err_at(P, P->p + 5, "too many %c in a row in a multi-line string (escape some)", q);
        if (buf_put(P, b, P->s + P->p, run - 3)) return -1;
        P->p += run;
        return 0;
      }
      if (buf_put(P, b, P->s + P->p, run)) return -1;
      P->p += run;
      continue;
    }
    if (basic && c == '\\') {
      if (escape(P, b, 1)) return -1;
      continue;
    }
    int nl = at_newline(P);
    if (nl) {
      /* CRLF is stored as LF: a newline is a newline, whatever wrote it. */
      if (buf_byte(P, b, '\n')) return -1;
      P->p += (uint64_t)nl;
      continue;
    }
    if (is_ctl(c))
      return err_at(P, P->p, "control character U+%04X in a string%s", c,
                    basic ? " (write it as an escape)" : "");
    if (buf_byte(P, b, c)) return -1;
    P->p++;
  }
}

/* ---- keys ---- */

static void keypath_free(keypath_t *kp) {
  for (uint32_t i = 0; i < kp->cnt; i++) free(kp->part[i].s);
  free(kp->part);
  kp->part = NULL;
  kp->cnt = kp->cap = 0;
}

/* parse_key parses a (dotted) key at the cursor into kp. */
static int parse_key(parser_t *P, keypath_t *kp) {
  for (;;) {
    uint64_t off = P->p;
    buf_t b = {0};
    int c = peek(P, 0);
    if (c == '"' || c == '\'') {
      int ml;
      if (peek(P, 1) == c && peek(P, 2) == c) return err_at(P, off, "a multi-line string cannot be a key");
      if (parse_string(P, &b, &ml)) {
        free(b.b);
        return -1;
      }
    } else if (c >= 0 && is_bare((uint8_t)c)) {
      uint64_t e = P->p;
      while (e < P->n && is_bare(P->s[e])) e++;
      if (buf_put(P, &b, P->s + P->p, e - P->p)) {
        free(b.b);
        return -1;
      }
      P->p = e;
    } else {
      char d[48];
      return err_at(P, off, "expected a key, found %s (bare keys are A-Za-z0-9_-; quote any other)",
                    describe(P, off, d, sizeof d));
    }
    if (b.n > UINT32_MAX) {
      free(b.b);
      return err_at(P, off, "key too long");
    }
    if (kp->cnt == kp->cap) {
      uint32_t cap = kp->cap ? kp->cap * 2 : 4;
      keypart_t *np = realloc(kp->part, cap * sizeof *np);
      if (!np) {
        free(b.b);
        return err_at(P, off, "out of memory");
      }
      kp->part = np;
      kp->cap = cap;
    }
    if (!b.b && buf_reserve(P, &b, 0)) return -1;
    keypart_t *kpart = &kp->part[kp->cnt++];
    *kpart = (keypart_t){b.b, (uint32_t)b.n, off, 0, 0};
    locate(P, off, &kpart->line, &kpart->col);
    if (kp->cnt > SL_TOML_DEPTH_MAX) return err_at(P, off, "key has more than %d parts", SL_TOML_DEPTH_MAX);
    skip_ws(P);
    if (peek(P, 0) != '.') return 0;
    P->p++;
    skip_ws(P);
  }
}

/* fmt_key writes parts [0, upto] of kp as a key for messages. */
static const char *fmt_key(const keypath_t *kp, uint32_t upto, char *buf, size_t sz) {
  size_t o = 0;
  buf[0] = 0;
  for (uint32_t i = 0; i <= upto && i < kp->cnt && o + 8 < sz; i++) {
    const keypart_t *k = &kp->part[i];
    int bare = k->len > 0;
    for (uint32_t j = 0; j < k->len; j++) bare &= is_bare((uint8_t)k->s[j]);
    if (i) buf[o++] = '.';
    if (!bare) buf[o++] = '"';
    for (uint32_t j = 0; j < k->len && o + 5 < sz; j++) {
      uint8_t c = (uint8_t)k->s[j];
      buf[o++] = (char)(is_ctl(c) || c == '"' ? '?' : c);
    }
    if (!bare) buf[o++] = '"';
    buf[o] = 0;
  }
  return buf;
}

static const char *a_type(int type) {
  switch (type) {
    case SL_TOML_INTEGER: return "an integer";
    case SL_TOML_ARRAY: return "an array";
    case SL_TOML_DATETIME: return "an offset date-time";
    case SL_TOML_DATETIME_LOCAL: return "a local date-time";
    case SL_TOML_DATE_LOCAL: return "a local date";
    case SL_TOML_TIME_LOCAL: return "a local time";
    default: break;
  }
  static __thread char b[32];
  snprintf(b, sizeof b, "a %s", sl_toml_type_name(type));
  return b;
}

/* ---- scalars ---- */

/* scan_digits returns the end of a run of radix digits starting at i, in
   which each '_' sits between two digits; i itself if t[i] is no digit. */
static uint64_t scan_digits(const uint8_t *t, uint64_t i, uint64_t L, int radix) {
  if (i >= L || digit_of(t[i], radix) < 0) return i;
  i++;
  while (i < L) {
    if (digit_of(t[i], radix) >= 0) i++;
    else if (t[i] == '_' && i + 1 < L && digit_of(t[i + 1], radix) >= 0) i += 2;
    else break;
  }
  return i;
}

static int two(const uint8_t *t, uint64_t i, uint64_t L) {
  if (i + 2 > L || !is_digit(t[i]) || !is_digit(t[i + 1])) return -1;
  return (t[i] - '0') * 10 + (t[i + 1] - '0');
}

static int days_in_month(int y, int m) {
  static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) return 29;
  return d[m - 1];
}

/* parse_datetime parses a token that starts like a date (DDDD-) or a time
   (DD:). */
static int parse_datetime(parser_t *P, const uint8_t *t, uint64_t L, uint64_t off, sl_toml_node_t *n) {
  sl_toml_datetime_t *dt = &n->v.dt;
  uint64_t i = 0;
  int has_date = 0;
  if (L >= 5 && is_digit(t[0]) && is_digit(t[1]) && is_digit(t[2]) && is_digit(t[3]) && t[4] == '-') {
    int mo = two(t, 5, L), d = two(t, 8, L);
    if (L < 10 || mo < 0 || d < 0 || t[7] != '-' || (L > 10 && is_digit(t[10])))
      return err_at(P, off, "invalid date \"%.*s\" (write YYYY-MM-DD)", (int)(L > 64 ? 64 : L), t);
    int y = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
    if (mo < 1 || mo > 12) return err_at(P, off, "month %02d out of range 01..12", mo);
    if (d < 1 || d > days_in_month(y, mo))
      return err_at(P, off, "day %02d out of range for %04d-%02d (01..%02d)", d, y, mo, days_in_month(y, mo));
    dt->year = (uint16_t)y;
    dt->month = (uint8_t)mo;
    dt->day = (uint8_t)d;
    has_date = 1;
    i = 10;
    if (i == L) {
      n->type = SL_TOML_DATE_LOCAL;
      return 0;
    }
    if (t[i] != 'T' && t[i] != 't' && t[i] != ' ')
      return err_at(P, off + i, "expected 'T' or a space between date and time");
    i++;
  }
  int h = two(t, i, L), mi = two(t, i + 3, L), s = two(t, i + 6, L);
  if (h < 0 || mi < 0 || s < 0 || t[i + 2] != ':' || t[i + 5] != ':')
    return err_at(P, off + i, "invalid time \"%.*s\" (write HH:MM:SS, seconds included)",
                  (int)(L - i > 64 ? 64 : L - i), t + i);
  if (h > 23) return err_at(P, off + i, "hour %02d out of range 00..23", h);
  if (mi > 59) return err_at(P, off + i + 3, "minute %02d out of range 00..59", mi);
  if (s > 60) return err_at(P, off + i + 6, "second %02d out of range 00..60", s);
  dt->hour = (uint8_t)h;
  dt->minute = (uint8_t)mi;
  dt->second = (uint8_t)s;
  i += 8;
  if (i < L && t[i] == '.') {
    uint64_t f = ++i;
    while (i < L && is_digit(t[i])) {
      if (i - f < 9) {
        dt->nanosecond = dt->nanosecond * 10 + (uint32_t)(t[i] - '0');
        dt->frac_digits++;
      }
      i++;
    }
    if (i == f) return err_at(P, off + i - 1, "expected digits after the decimal point of the seconds");
    for (int k = dt->frac_digits; k < 9; k++) dt->nanosecond *= 10;
  }
  if (i == L) {
    n->type = has_date ? SL_TOML_DATETIME_LOCAL : SL_TOML_TIME_LOCAL;
    return 0;
  }
  if (!has_date) return err_at(P, off + i, "a local time cannot have a time zone offset or trailing text");
  if (t[i] == 'Z' || t[i] == 'z') {
    dt->offset_z = 1;
    i++;
  } else if (t[i] == '+' || t[i] == '-') {
    int oh = two(t, i + 1, L), om = two(t, i + 4, L);
    if (oh < 0 || om < 0 || t[i + 3] != ':')
      return err_at(P, off + i, "invalid time zone offset (write Z, +HH:MM or -HH:MM)");
    if (oh > 23 || om > 59) return err_at(P, off + i, "time zone offset %c%02d:%02d out of range", t[i], oh, om);
    dt->offset_min = (int16_t)((t[i] == '-' ? -1 : 1) * (oh * 60 + om));
    i += 6;
  } else {
    return err_at(P, off + i, "invalid date-time: unexpected text after the time");
  }
  if (i != L) return err_at(P, off + i, "invalid date-time: unexpected text after the time zone offset");
  n->type = SL_TOML_DATETIME;
  return 0;
}

static int parse_number(parser_t *P, const uint8_t *t, uint64_t L, uint64_t off, sl_toml_node_t *n) {
  int show = (int)(L > 64 ? 64 : L);
  uint64_t i = 0;
  int neg = 0, sign = 0;
  if (t[0] == '+' || t[0] == '-') {
    neg = t[0] == '-';
    sign = 1;
    i = 1;
  }
  if (L - i == 3 && (!memcmp(t + i, "inf", 3) || !memcmp(t + i, "nan", 3))) {
    n->type = SL_TOML_FLOAT;
    n->v.f = t[i] == 'i' ? (neg ? -INFINITY : INFINITY) : (neg ? -NAN : NAN);
    return 0;
  }
  if (L - i >= 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b')) {
    int radix = t[i + 1] == 'x' ? 16 : t[i + 1] == 'o' ? 8 : 2;
    if (sign) return err_at(P, off, "a sign is not allowed on a hexadecimal, octal or binary integer");
    uint64_t e = scan_digits(t, i + 2, L, radix);
    if (e == i + 2 || e != L) return err_at(P, off, "invalid base-%d integer \"%.*s\"", radix, show, t);
    uint64_t v = 0;
    for (uint64_t j = i + 2; j < L; j++) {
      if (t[j] == '_') continue;
      uint64_t d = (uint64_t)digit_of(t[j], radix);
      if (v > (UINT64_C(0x7FFFFFFFFFFFFFFF) - d) / (uint64_t)radix)
        return err_at(P, off, "integer %.*s out of the 64-bit signed range", show, t);
      v = v * (uint64_t)radix + d;
    }
    n->type = SL_TOML_INTEGER;
    n->v.i = (int64_t)v;
    return 0;
  }
  uint64_t ie = scan_digits(t, i, L, 10);
  if (ie == i) return err_at(P, off, "invalid value \"%.*s\"", show, t);
  if (t[i] == '0' && ie > i + 1) return err_at(P, off, "leading zeros are not allowed in \"%.*s\"", show, t);
  uint64_t j = ie;
  int is_float = 0;
  if (j < L && t[j] == '.') {
    uint64_t fe = scan_digits(t, j + 1, L, 10);
    if (fe == j + 1) return err_at(P, off + j, "expected digits after the decimal point in \"%.*s\"", show, t);
    j = fe;
    is_float = 1;
  }
  if (j < L && (t[j] == 'e' || t[j] == 'E')) {
    uint64_t k = j + 1;
    if (k < L && (t[k] == '+' || t[k] == '-')) k++;
    uint64_t ee = scan_digits(t, k, L, 10);
    if (ee == k) return err_at(P, off + j, "expected digits in the exponent of \"%.*s\"", show, t);
    j = ee;
    is_float = 1;
  }
  if (j != L) {
    if (t[j] == '_') return err_at(P, off + j, "an underscore must sit between two digits in \"%.*s\"", show, t);
    return err_at(P, off, "invalid number \"%.*s\"", show, t);
  }
  if (!is_float) {
    uint64_t v = 0, lim = neg ? UINT64_C(0x8000000000000000) : UINT64_C(0x7FFFFFFFFFFFFFFF);
    for (uint64_t k = i; k < L; k++) {
      if (t[k] == '_') continue;
      uint64_t d = (uint64_t)(t[k] - '0');
      if (v > (lim - d) / 10) return err_at(P, off, "integer %.*s out of the 64-bit signed range", show, t);
      v = v * 10 + d;
    }
    n->type = SL_TOML_INTEGER;
    n->v.i = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
  }
  char *c = malloc(L + 1);
  if (!c) return err_at(P, off, "out of memory");
  uint64_t o = 0;
  for (uint64_t k = 0; k < L; k++)
    if (t[k] != '_') c[o++] = (char)t[k];
  c[o] = 0;
  errno = 0;
  double f = strtod(c, NULL);
  free(c);
  if (isinf(f)) return err_at(P, off, "float %.*s out of the 64-bit range", show, t);
  n->type = SL_TOML_FLOAT;
  n->v.f = f;
  return 0;
}

static int is_tok(uint8_t c) { return is_bare(c) || c == '+' || c == '.' || c == ':'; }

/* parse_bare_value: booleans, numbers and date-times, read as one token of
   [A-Za-z0-9_+-.:] (a date, a space and a time make one token too). */
static sl_toml_node_t *parse_bare_value(parser_t *P, uint32_t depth) {
  uint64_t off = P->p, e = P->p;
  while (e < P->n && is_tok(P->s[e])) e++;
  const uint8_t *t = P->s + off;
  if (e - off == 10 && e + 3 < P->n && P->s[e] == ' ' && is_digit(P->s[e + 1]) && is_digit(P->s[e + 2]) &&
      P->s[e + 3] == ':' && t[4] == '-' && t[7] == '-') {
    e++;
    while (e < P->n && is_tok(P->s[e])) e++;
  }
  uint64_t L = e - off;
  if (L == 0) {
    char d[48];
    err_at(P, off, "expected a value, found %s", describe(P, off, d, sizeof d));
    return NULL;
  }
  sl_toml_node_t *n = node_new(P, SL_TOML_BOOL, off, depth);
  if (!n) return NULL;
  int rc;
  if (L == 4 && !memcmp(t, "true", 4)) {
    n->v.b = 1;
    rc = 0;
  } else if (L == 5 && !memcmp(t, "false", 5)) {
    n->v.b = 0;
    rc = 0;
  } else if ((L >= 5 && is_digit(t[0]) && is_digit(t[1]) && is_digit(t[2]) && is_digit(t[3]) && t[4] == '-') ||
             (L >= 3 && is_digit(t[0]) && is_digit(t[1]) && t[2] == ':')) {
    rc = parse_datetime(P, t, L, off, n);
  } else if (is_digit(t[0]) || t[0] == '+' || t[0] == '-' || t[0] == 'i' || t[0] == 'n') {
    rc = parse_number(P, t, L, off, n);
  } else {
    rc = err_at(P, off, "invalid value \"%.*s\" (strings need quotes; booleans are true/false)",
                (int)(L > 64 ? 64 : L), t);
  }
  if (rc) {
    free(n);
    return NULL;
  }
  P->p = e;
  return n;
}

/* ---- containers ---- */

static sl_toml_node_t *parse_value(parser_t *P, uint32_t depth);
static int parse_keyval(parser_t *P, sl_toml_node_t *tab);

static sl_toml_node_t *parse_array(parser_t *P, uint32_t depth) {
  uint64_t open = P->p;
  sl_toml_node_t *a = node_new(P, SL_TOML_ARRAY, open, depth);
  if (!a) return NULL;
  P->p++;
  for (;;) {
    if (skip_blank(P)) goto fail;
    if (peek(P, 0) == ']') break;
    if (P->p >= P->n) {
      err_at(P, open, "array not closed (add ']')");
      goto fail;
    }
    uint64_t voff = P->p;
    sl_toml_node_t *v = parse_value(P, depth + 1);
    if (!v) goto fail;
    if (array_push(P, a, v, voff)) {
      sl_toml_free(v);
      goto fail;
    }
    if (skip_blank(P)) goto fail;
    if (peek(P, 0) == ',') {
      P->p++;
      continue;
    }
    if (peek(P, 0) == ']') break;
    char d[48];
    if (P->p >= P->n) err_at(P, open, "array not closed (add ']')");
    else err_at(P, P->p, "expected ',' or ']' in the array, found %s", describe(P, P->p, d, sizeof d));
    goto fail;
  }
  P->p++;
  return a;
fail:
  sl_toml_free(a);
  return NULL;
}

static sl_toml_node_t *parse_inline(parser_t *P, uint32_t depth) {
  uint64_t open = P->p;
  sl_toml_node_t *t = node_new(P, SL_TOML_TABLE, open, depth);
  if (!t) return NULL;
  t->flags = F_INLINE;
  P->p++;
  skip_ws(P);
  if (peek(P, 0) == '}') {
    P->p++;
    return t;
  }
  for (;;) {
    if (parse_keyval(P, t)) goto fail;
    skip_ws(P);
    if (peek(P, 0) == ',') {
      P->p++;
      skip_ws(P);
      if (peek(P, 0) == '}') {
        err_at(P, P->p - 1, "trailing comma in an inline table (not allowed in TOML 1.0)");
        goto fail;
      }
      continue;
    }
    if (peek(P, 0) == '}') break;
    char d[48];
    if (P->p >= P->n) err_at(P, open, "inline table not closed (add '}')");
    else
      err_at(P, P->p, "expected ',' or '}' in the inline table, found %s (inline tables stay on one line)",
             describe(P, P->p, d, sizeof d));
    goto fail;
  }
  P->p++;
  return t;
fail:
  sl_toml_free(t);
  return NULL;
}

static sl_toml_node_t *parse_value(parser_t *P, uint32_t depth) {
  int c = peek(P, 0);
  if (c == '"' || c == '\'') {
    sl_toml_node_t *n = node_new(P, SL_TOML_STRING, P->p, depth);
    if (!n) return NULL;
    buf_t b = {0};
    int ml;
    if (parse_string(P, &b, &ml)) {
      free(b.b);
      free(n);
      return NULL;
    }
    n->v.str.ptr = b.b;
    n->v.str.len = b.n;
    return n;
  }
  if (c == '[') return parse_array(P, depth);
  if (c == '{') return parse_inline(P, depth);
  return parse_bare_value(P, depth);
}

/* parse_keyval parses "key = value" at the cursor into tab; dotted keys
   create or walk tables made by dotted keys only. */
static int parse_keyval(parser_t *P, sl_toml_node_t *tab) {
  keypath_t kp = {0};
  char kb[256], d[48];
  int rc = -1;
  if (parse_key(P, &kp)) goto out;
  if (peek(P, 0) != '=') {
    err_at(P, P->p, "expected '=' after the key %s, found %s", fmt_key(&kp, kp.cnt, kb, sizeof kb),
           describe(P, P->p, d, sizeof d));
    goto out;
  }
  P->p++;
  skip_ws(P);
  sl_toml_node_t *t = tab;
  for (uint32_t i = 0; i + 1 < kp.cnt; i++) {
    keypart_t *k = &kp.part[i];
    sl_toml_kv_t *kv = table_find(t, k->s, k->len);
    if (!kv) {
      sl_toml_node_t *c = node_at(P, SL_TOML_TABLE, k, t->depth + 1u);
      if (!c) goto out;
      c->flags = F_DOTTED;
      if (table_add(P, t, k, c)) {
        free(c);
        goto out;
      }
      t = c;
      continue;
    }
    sl_toml_node_t *c = kv->val;
    if (c->type == SL_TOML_TABLE && (c->flags & F_DOTTED)) {
      t = c;
      continue;
    }
    fmt_key(&kp, i, kb, sizeof kb);
    if (c->type == SL_TOML_TABLE && (c->flags & F_INLINE))
      err_at(P, k->off, "inline table %s (line %u) cannot be extended after its closing brace", kb, c->line);
    else if (c->type == SL_TOML_TABLE)
      err_at(P, k->off, "table %s was opened by a [header] (line %u); a dotted key cannot add to it", kb, c->line);
    else
      err_at(P, k->off, "key %s already holds %s (line %u); a dotted key cannot extend it", kb, a_type(c->type),
             c->line);
    goto out;
  }
  keypart_t *last = &kp.part[kp.cnt - 1];
  sl_toml_kv_t *dup = table_find(t, last->s, last->len);
  if (dup) {
    err_at(P, last->off, "duplicate key %s (first defined on line %u)", fmt_key(&kp, kp.cnt, kb, sizeof kb),
           dup->val->line);
    goto out;
  }
  sl_toml_node_t *v = parse_value(P, t->depth + 1u);
  if (!v) goto out;
  if (table_add(P, t, last, v)) {
    sl_toml_free(v);
    goto out;
  }
  rc = 0;
out:
  keypath_free(&kp);
  return rc;
}

/* parse_header parses "[key]" or "[[key]]" and makes its table current. */
static int parse_header(parser_t *P) {
  int aot = peek(P, 1) == '[';
  keypath_t kp = {0};
  char kb[256], d[48];
  int rc = -1;
  P->p += aot ? 2u : 1u;
  skip_ws(P);
  if (parse_key(P, &kp)) goto out;
  if (aot ? !(peek(P, 0) == ']' && peek(P, 1) == ']') : peek(P, 0) != ']') {
    err_at(P, P->p, "expected '%s' to close the table header, found %s", aot ? "]]" : "]",
           describe(P, P->p, d, sizeof d));
    goto out;
  }
  P->p += aot ? 2u : 1u;
  sl_toml_node_t *t = P->root;
  for (uint32_t i = 0; i + 1 < kp.cnt; i++) {
    keypart_t *k = &kp.part[i];
    sl_toml_kv_t *kv = table_find(t, k->s, k->len);
    if (!kv) {
      sl_toml_node_t *c = node_at(P, SL_TOML_TABLE, k, t->depth + 1u);
      if (!c) goto out;
      c->flags = F_IMPLICIT;
      if (table_add(P, t, k, c)) {
        free(c);
        goto out;
      }
      t = c;
      continue;
    }
    sl_toml_node_t *c = kv->val;
    fmt_key(&kp, i, kb, sizeof kb);
    if (c->type == SL_TOML_TABLE && !(c->flags & F_INLINE)) {
      t = c;
    } else if (c->type == SL_TOML_ARRAY && (c->flags & F_AOT)) {
      t = c->v.arr.item[c->v.arr.cnt - 1];
    } else if (c->type == SL_TOML_TABLE) {
      err_at(P, k->off, "inline table %s (line %u) cannot be extended by a [header]", kb, c->line);
      goto out;
    } else {
      err_at(P, k->off, "key %s already holds %s (line %u), not a table", kb, a_type(c->type), c->line);
      goto out;
    }
  }
  keypart_t *last = &kp.part[kp.cnt - 1];
  sl_toml_kv_t *kv = table_find(t, last->s, last->len);
  sl_toml_node_t *c = kv ? kv->val : NULL;
  fmt_key(&kp, kp.cnt, kb, sizeof kb);
  if (aot) {
    if (!c) {
      c = node_at(P, SL_TOML_ARRAY, last, t->depth + 1u);
      if (!c) goto out;
      c->flags = F_AOT;
      if (table_add(P, t, last, c)) {
        free(c);
        goto out;
      }
    } else if (!(c->type == SL_TOML_ARRAY && (c->flags & F_AOT))) {
      err_at(P, last->off, "[[%s]]: the key already holds %s (line %u)", kb, a_type(c->type), c->line);
      goto out;
    }
    sl_toml_node_t *e = node_at(P, SL_TOML_TABLE, last, c->depth + 1u);
    if (!e) goto out;
    e->flags = F_DEFINED;
    if (array_push(P, c, e, last->off)) {
      free(e);
      goto out;
    }
    P->cur = e;
  } else {
    if (!c) {
      c = node_at(P, SL_TOML_TABLE, last, t->depth + 1u);
      if (!c) goto out;
      c->flags = F_DEFINED;
      if (table_add(P, t, last, c)) {
        free(c);
        goto out;
      }
    } else if (c->type == SL_TOML_TABLE && c->flags == F_IMPLICIT) {
      c->flags = F_DEFINED;
      c->line = last->line;
      c->col = last->col;
    } else {
      const char *why = c->type != SL_TOML_TABLE           ? a_type(c->type)
                        : (c->flags & F_DOTTED)            ? "a table made by dotted keys"
                        : (c->flags & F_INLINE)            ? "an inline table"
                                                           : "a table";
      if (c->type == SL_TOML_ARRAY && (c->flags & F_AOT)) why = "an array of tables";
      err_at(P, last->off, "[%s] is already defined as %s (line %u)", kb, why, c->line);
      goto out;
    }
    P->cur = c;
  }
  rc = 0;
out:
  keypath_free(&kp);
  return rc;
}

sl_toml_node_t *sl_toml_parse(const char *text, uint64_t len, sl_err_t *err) {
  parser_t P = {.s = (const uint8_t *)text, .n = len, .err = err, .loc_line = 1, .loc_col = 1};
  if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) P.start = P.p = P.loc_off = 3;
  uint64_t bad = utf8_bad(P.s, P.n);
  if (bad < P.n) {
    err_at(&P, bad, "invalid UTF-8 (byte 0x%02X); save the file as UTF-8", P.s[bad]);
    return NULL;
  }
  P.root = node_new(&P, SL_TOML_TABLE, P.p, 0);
  if (!P.root) return NULL;
  P.root->flags = F_DEFINED;
  P.cur = P.root;
  while (P.p < P.n) {
    skip_ws(&P);
    int c = peek(&P, 0);
    int nl = at_newline(&P);
    if (nl) {
      P.p += (uint64_t)nl;
      continue;
    }
    if (c < 0) break;
    if (c == '#') {
      if (skip_comment(&P) || end_of_line(&P, "comment")) goto fail;
    } else if (c == '[') {
      if (parse_header(&P) || end_of_line(&P, "table header")) goto fail;
    } else {
      if (parse_keyval(&P, P.cur) || end_of_line(&P, "value")) goto fail;
    }
  }
  return P.root;
fail:
  sl_toml_free(P.root);
  return NULL;
}

const sl_toml_node_t *sl_toml_get(const sl_toml_node_t *table, const char *key) {
  if (!table || table->type != SL_TOML_TABLE) return NULL;
  sl_toml_kv_t *kv = table_find(table, key, (uint32_t)strlen(key));
  return kv ? kv->val : NULL;
}

const char *sl_toml_type_name(int type) {
  switch (type) {
    case SL_TOML_TABLE: return "table";
    case SL_TOML_ARRAY: return "array";
    case SL_TOML_STRING: return "string";
    case SL_TOML_INTEGER: return "integer";
    case SL_TOML_FLOAT: return "float";
    case SL_TOML_BOOL: return "boolean";
    case SL_TOML_DATETIME: return "offset date-time";
    case SL_TOML_DATETIME_LOCAL: return "local date-time";
    case SL_TOML_DATE_LOCAL: return "local date";
    case SL_TOML_TIME_LOCAL: return "local time";
    default: return "unknown";
  }
}

int sl_toml_datetime_format(const sl_toml_datetime_t *dt, int type, char *buf, uint32_t bufsz) {
  char date[16] = "", time[32] = "", frac[16] = "", off[8] = "";
  if (type != SL_TOML_TIME_LOCAL) snprintf(date, sizeof date, "%04u-%02u-%02u", dt->year, dt->month, dt->day);
  if (type != SL_TOML_DATE_LOCAL) {
    if (dt->frac_digits) {
      uint32_t ns = dt->nanosecond;
      for (int k = dt->frac_digits; k < 9; k++) ns /= 10;
      snprintf(frac, sizeof frac, ".%0*u", dt->frac_digits, ns);
    }
    snprintf(time, sizeof time, "%s%02u:%02u:%02u%s", type == SL_TOML_TIME_LOCAL ? "" : "T", dt->hour,
             dt->minute, dt->second, frac);
  }
  if (type == SL_TOML_DATETIME) {
    if (dt->offset_z) {
      strcpy(off, "Z");
    } else {
      int m = dt->offset_min < 0 ? -dt->offset_min : dt->offset_min;
      snprintf(off, sizeof off, "%c%02d:%02d", dt->offset_min < 0 ? '-' : '+', m / 60 % 100, m % 60);
    }
  }
  return snprintf(buf, bufsz, "%s%s%s", date, time, off);
}

/* ---- toml-test JSON ---- */

typedef struct {
  char *b;
  uint64_t n, cap;
  int oom;
} jbuf_t;

static void jput(jbuf_t *j, const char *s, uint64_t len) {
  if (j->oom) return;
  if (j->n + len + 1 > j->cap) {
    uint64_t cap = j->cap ? j->cap : 256;
    while (cap < j->n + len + 1) cap *= 2;
    char *nb = realloc(j->b, cap);
    if (!nb) {
      j->oom = 1;
      return;
    }
    j->b = nb;
    j->cap = cap;
  }
  memcpy(j->b + j->n, s, len);
  j->n += len;
  j->b[j->n] = 0;
}

static void jcstr(jbuf_t *j, const char *s) { jput(j, s, strlen(s)); }

static void jstr(jbuf_t *j, const char *s, uint64_t len) {
  jput(j, "\"", 1);
  uint64_t run = 0;
  for (uint64_t i = 0; i < len; i++) {
    uint8_t c = (uint8_t)s[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
    jput(j, s + run, i - run);
    char e[8];
    if (c == '"') strcpy(e, "\\\"");
    else if (c == '\\') strcpy(e, "\\\\");
    else if (c == '\n') strcpy(e, "\\n");
    else if (c == '\t') strcpy(e, "\\t");
    else snprintf(e, sizeof e, "\\u%04x", c);
    jcstr(j, e);
    run = i + 1;
  }
  jput(j, s + run, len - run);
  jput(j, "\"", 1);
}

static void jnode(jbuf_t *j, const sl_toml_node_t *n) {
  char v[64];
  const char *type = NULL;
  switch (n->type) {
    case SL_TOML_TABLE:
      jput(j, "{", 1);
      for (uint32_t i = 0; i < n->v.tab.cnt; i++) {
        if (i) jput(j, ",", 1);
        jstr(j, n->v.tab.kv[i].key, n->v.tab.kv[i].key_len);
        jput(j, ":", 1);
        jnode(j, n->v.tab.kv[i].val);
      }
      jput(j, "}", 1);
      return;
    case SL_TOML_ARRAY:
      jput(j, "[", 1);
      for (uint32_t i = 0; i < n->v.arr.cnt; i++) {
        if (i) jput(j, ",", 1);
        jnode(j, n->v.arr.item[i]);
      }
      jput(j, "]", 1);
      return;
    case SL_TOML_STRING:
      jcstr(j, "{\"type\":\"string\",\"value\":");
      jstr(j, n->v.str.ptr, n->v.str.len);
      jput(j, "}", 1);
      return;
    case SL_TOML_INTEGER: type = "integer"; snprintf(v, sizeof v, "%lld", (long long)n->v.i); break;
    case SL_TOML_FLOAT:
      type = "float";
      if (isnan(n->v.f)) strcpy(v, "nan");
      else if (isinf(n->v.f)) strcpy(v, n->v.f < 0 ? "-inf" : "inf");
      else snprintf(v, sizeof v, "%.17g", n->v.f);
      break;
    case SL_TOML_BOOL: type = "bool"; strcpy(v, n->v.b ? "true" : "false"); break;
    case SL_TOML_DATETIME: type = "datetime"; break;
    case SL_TOML_DATETIME_LOCAL: type = "datetime-local"; break;
    case SL_TOML_DATE_LOCAL: type = "date-local"; break;
    case SL_TOML_TIME_LOCAL: type = "time-local"; break;
    default: type = "unknown"; v[0] = 0; break;
  }
  if (n->type >= SL_TOML_DATETIME && n->type <= SL_TOML_TIME_LOCAL)
    sl_toml_datetime_format(&n->v.dt, n->type, v, sizeof v);
  jcstr(j, "{\"type\":\"");
  jcstr(j, type);
  jcstr(j, "\",\"value\":\"");
  jcstr(j, v);
  jcstr(j, "\"}");
}

char *sl_toml_to_json(const sl_toml_node_t *root, uint64_t *len) {
  jbuf_t j = {0};
  jnode(&j, root);
  if (j.oom || !j.b) {
    free(j.b);
    return NULL;
  }
  if (len) *len = j.n;
  return j.b;
}
