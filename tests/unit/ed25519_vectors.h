/* tests/unit/ed25519_vectors.h: the ed25519 test data of $SLUICE_SHARED,
   read into lists of cases, for the suites that check verdicts on it
   (test_sigverify through the tile's primitive, test_ed25519 through every
   backend). Header-only: each suite includes it once. A reader failing to
   find or parse its file fails the calling test (ck_assert). */
#ifndef SL_TESTS_UNIT_ED25519_VECTORS_H
#define SL_TESTS_UNIT_ED25519_VECTORS_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/verify/txn.h"

typedef struct {
  uint8_t *p;
  uint32_t sz;
} ev_blob_t;

/* One signature check and the verdict the data says it must get. */
typedef struct {
  uint8_t sig[64], pk[32];
  const uint8_t *msg;
  uint32_t msg_sz;
  int sig_ok; /* 0: the signature is not 64 bytes and cannot be presented */
  int valid;  /* the expected verdict: 1 verifies, 0 does not */
  char name[64];
} ev_case_t;

typedef struct {
  ev_case_t *c;
  uint32_t n, cap;
  ev_blob_t keep[8]; /* buffers the cases' msg pointers point into */
  uint32_t keep_n;
} ev_set_t;

/* Reads $SLUICE_SHARED/rel (default ../shared, relative to the repo root
   the suites run from) whole, NUL-terminated. */
static inline ev_blob_t ev_read_shared(const char *rel) {
  const char *shared = getenv("SLUICE_SHARED");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", shared ? shared : "../shared", rel);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s (set SLUICE_SHARED to the shared data dir)", path);
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  long n = ftell(f);
  ck_assert_msg(n >= 0 && n < (1L << 24), "%s: unexpected size %ld", path, n);
  rewind(f);
  ev_blob_t b = {malloc((size_t)n + 1), (uint32_t)n};
  ck_assert_ptr_nonnull(b.p);
  ck_assert_uint_eq(fread(b.p, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  b.p[n] = 0; /* lets the JSON reader stop on a NUL as well */
  return b;
}

static inline ev_case_t *ev_add(ev_set_t *s) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    s->c = realloc(s->c, sizeof *s->c * s->cap);
    ck_assert_ptr_nonnull(s->c);
  }
  ev_case_t *c = &s->c[s->n++];
  memset(c, 0, sizeof *c);
  return c;
}

static inline void ev_keep(ev_set_t *s, ev_blob_t b) {
  ck_assert_uint_lt(s->keep_n, sizeof s->keep / sizeof *s->keep);
  s->keep[s->keep_n++] = b;
}

static inline void ev_free(ev_set_t *s) {
  free(s->c);
  for (uint32_t i = 0; i < s->keep_n; i++) free(s->keep[i].p);
  memset(s, 0, sizeof *s);
}

/* ---- a seeded generator for made-up cases ---------------------------------- */

/* splitmix64: reproducible from its seed (a failing case can be replayed),
   and free of syscalls (libsodium's randombytes asks the kernel). */
typedef struct {
  uint64_t s;
} ev_rng_t;

static inline uint64_t ev_rand(ev_rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline void ev_rand_bytes(ev_rng_t *r, uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = ev_rand(r);
    memcpy(p + i, &v, n - i < 8 ? n - i : 8);
  }
}

/* ---- Wycheproof: a reader for exactly this file's structure ------------- */

/* The file is {"testGroups": [{"publicKey": {"pk": HEX, ...}, "tests":
   [{"msg": HEX, "sig": HEX, "result": "valid"|"invalid", ...}, ...]}, ...]}
   plus fields we skip. The reader walks the JSON generically and keeps,
   per object, the string members it cares about; an object holding "pk"
   hands it to its parent (the group), and an object holding msg, sig and
   result is a case, taken with the nearest enclosing pk. Decoded messages
   live in one buffer the set keeps. */

typedef struct {
  const char *s;
  uint32_t n; /* raw bytes between the quotes (hex needs no unescaping) */
} ev_jstr_t;

typedef struct ev_frame {
  struct ev_frame *up;
  ev_jstr_t msg, sig, result, pk;
} ev_frame_t;

typedef struct {
  const char *p, *end;
  ev_set_t *set;
  uint8_t *msgbuf;
  uint32_t msg_used, msg_cap;
} ev_jr_t;

static inline void ev_jr_ws(ev_jr_t *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static inline ev_jstr_t ev_jr_string(ev_jr_t *r) {
  ck_assert_msg(r->p < r->end && *r->p == '"', "JSON: string expected");
  const char *s = ++r->p;
  while (r->p < r->end && *r->p != '"') r->p += (*r->p == '\\') ? 2 : 1;
  ck_assert_msg(r->p < r->end, "JSON: unterminated string");
  ev_jstr_t out = {s, (uint32_t)(r->p - s)};
  r->p++;
  return out;
}

static inline int ev_jstr_is(ev_jstr_t a, const char *lit) {
  return a.n == strlen(lit) && memcmp(a.s, lit, a.n) == 0;
}

static inline int ev_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes hex into out (room for cap bytes); returns the byte count. */
static inline uint32_t ev_hex(ev_jstr_t h, uint8_t *out, uint32_t cap) {
  ck_assert_msg(h.n % 2 == 0 && h.n / 2 <= cap, "JSON: hex string of %u digits", h.n);
  for (uint32_t i = 0; i < h.n / 2; i++) {
    int hi = ev_nibble(h.s[2 * i]), lo = ev_nibble(h.s[2 * i + 1]);
    ck_assert_msg(hi >= 0 && lo >= 0, "JSON: bad hex digit");
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return h.n / 2;
}

static inline void ev_wycheproof_case(ev_jr_t *r, const ev_frame_t *f) {
  const ev_frame_t *g = f->up;
  while (g && !g->pk.s) g = g->up;
  ck_assert_msg(g != NULL, "JSON: a test case before its group's public key");
  ev_case_t *c = ev_add(r->set);
  ck_assert_uint_eq(ev_hex(g->pk, c->pk, 32), 32);
  uint8_t sig[128];
  uint32_t sig_n = ev_hex(f->sig, sig, sizeof sig);
  c->sig_ok = sig_n == 64;
  if (c->sig_ok) memcpy(c->sig, sig, 64);
  c->msg = r->msgbuf + r->msg_used; /* the buffer is as big as the file: never moves */
  c->msg_sz = ev_hex(f->msg, r->msgbuf + r->msg_used, r->msg_cap - r->msg_used);
  r->msg_used += c->msg_sz;
  c->valid = ev_jstr_is(f->result, "valid");
  ck_assert_msg(c->valid || ev_jstr_is(f->result, "invalid"), "JSON: unknown result");
  snprintf(c->name, sizeof c->name, "wycheproof case %u (sig %.16s...)", r->set->n, f->sig.s);
}

static void ev_jr_value(ev_jr_t *r, ev_frame_t *parent);

static inline void ev_jr_object(ev_jr_t *r, ev_frame_t *parent) {
  ev_frame_t f = {.up = parent};
  r->p++; /* { */
  ev_jr_ws(r);
  if (r->p < r->end && *r->p == '}') {
    r->p++;
    return;
  }
  for (;;) {
    ev_jr_ws(r);
    ev_jstr_t key = ev_jr_string(r);
    ev_jr_ws(r);
    ck_assert_msg(r->p < r->end && *r->p == ':', "JSON: ':' expected");
    r->p++;
    ev_jr_ws(r);
    if (r->p < r->end && *r->p == '"') {
      ev_jstr_t v = ev_jr_string(r);
      if (ev_jstr_is(key, "msg")) f.msg = v;
      else if (ev_jstr_is(key, "sig")) f.sig = v;
      else if (ev_jstr_is(key, "result")) f.result = v;
      else if (ev_jstr_is(key, "pk")) f.pk = v;
    } else {
      ev_jr_value(r, &f);
    }
    ev_jr_ws(r);
    ck_assert_msg(r->p < r->end, "JSON: unterminated object");
    if (*r->p == ',') {
      r->p++;
      continue;
    }
    ck_assert_msg(*r->p == '}', "JSON: ',' or '}' expected");
    r->p++;
    break;
  }
  if (f.msg.s && f.sig.s && f.result.s) ev_wycheproof_case(r, &f);
  if (f.pk.s && parent && !parent->pk.s) parent->pk = f.pk;
}

static inline void ev_jr_array(ev_jr_t *r, ev_frame_t *parent) {
  r->p++; /* [ */
  ev_jr_ws(r);
  if (r->p < r->end && *r->p == ']') {
    r->p++;
    return;
  }
  for (;;) {
    ev_jr_ws(r);
    ev_jr_value(r, parent);
    ev_jr_ws(r);
    ck_assert_msg(r->p < r->end, "JSON: unterminated array");
    if (*r->p == ',') {
      r->p++;
      continue;
    }
    ck_assert_msg(*r->p == ']', "JSON: ',' or ']' expected");
    r->p++;
    break;
  }
}

static void ev_jr_value(ev_jr_t *r, ev_frame_t *parent) {
  ck_assert_msg(r->p < r->end, "JSON: value expected");
  if (*r->p == '{') ev_jr_object(r, parent);
  else if (*r->p == '[') ev_jr_array(r, parent);
  else if (*r->p == '"') (void)ev_jr_string(r);
  else { /* number, true, false, null */
    const char *s = r->p;
    while (r->p < r->end && strchr("+-.0123456789eEtruefalsn", *r->p)) r->p++;
    ck_assert_msg(r->p > s, "JSON: unexpected character '%c'", *s);
  }
}

/* ev_wycheproof: the 151 cases of vectors/ed25519/wycheproof_ed25519_test.json. */
static inline ev_set_t ev_wycheproof(void) {
  ev_set_t s = {0};
  ev_blob_t b = ev_read_shared("vectors/ed25519/wycheproof_ed25519_test.json");
  ev_blob_t msgs = {malloc(b.sz + 1), b.sz};
  ck_assert_ptr_nonnull(msgs.p);
  ev_jr_t r = {.p = (const char *)b.p, .end = (const char *)b.p + b.sz, .set = &s,
               .msgbuf = msgs.p, .msg_cap = b.sz};
  ev_jr_ws(&r);
  ev_jr_value(&r, NULL);
  free(b.p);
  ev_keep(&s, msgs);
  return s;
}

/* ev_malleability: every 96-byte record (sig64 | pk32) of rel, over the
   message "Zcash", expected to verify (valid = 1) or not. */
static inline ev_set_t ev_malleability(const char *rel, int valid) {
  ev_set_t s = {0};
  ev_blob_t b = ev_read_shared(rel);
  ck_assert_msg(b.sz % 96 == 0, "%s: %u bytes is not a whole number of 96-byte records", rel, b.sz);
  for (uint32_t k = 0; k < b.sz / 96; k++) {
    ev_case_t *c = ev_add(&s);
    memcpy(c->sig, b.p + 96 * k, 64);
    memcpy(c->pk, b.p + 96 * k + 64, 32);
    c->msg = (const uint8_t *)"Zcash";
    c->msg_sz = 5;
    c->sig_ok = 1;
    c->valid = valid;
    snprintf(c->name, sizeof c->name, "%s record %u", rel, k);
  }
  free(b.p);
  return s;
}

/* ev_transactions: every signature of the six fixture transactions of
   vectors/solana-txn: 1, 2, 4 and 6 verify, 3's one signature does not,
   nor does 5's (it does not parse: its descriptor is written out from the
   wire layout, 1 signature, v0 prefix, 3 header bytes, a 1-byte key
   count, then key 0). */
static inline ev_set_t ev_transactions(void) {
  ev_set_t s = {0};
  for (int k = 1; k <= 6; k++) {
    char rel[64];
    snprintf(rel, sizeof rel, "vectors/solana-txn/transaction%d.bin", k);
    ev_blob_t b = ev_read_shared(rel);
    sl_txn_t t;
    if (k == 5) {
      ck_assert_uint_eq(b.sz, 1212);
      ck_assert_uint_eq(b.p[0], 1);
      ck_assert_uint_eq(b.p[65], 0x80);
      t = (sl_txn_t){.sz = (uint16_t)b.sz, .sig_cnt = 1, .sig_off = 1, .msg_off = 65,
                     .msg_sz = (uint16_t)(b.sz - 65), .key_cnt = 1, .key_off = 65 + 1 + 3 + 1};
    } else {
      int rc = sl_txn_parse(b.p, b.sz, &t);
      ck_assert_msg(rc == 0, "%s: %s", rel, sl_txn_strerror(rc));
    }
    for (uint32_t i = 0; i < t.sig_cnt; i++) {
      ev_case_t *c = ev_add(&s);
      memcpy(c->sig, sl_txn_sig(b.p, &t, i), 64);
      memcpy(c->pk, sl_txn_key(b.p, &t, i), 32);
      c->msg = b.p + t.msg_off;
      c->msg_sz = t.msg_sz;
      c->sig_ok = 1;
      c->valid = k != 3 && k != 5;
      snprintf(c->name, sizeof c->name, "transaction%d signature %u", k, i);
    }
    ev_keep(&s, b);
  }
  return s;
}

#endif
