/* Differential test of tiles/verify/ed25519 against libsodium: over a
   million cases, each checked by crypto_sign_verify_detached and by every
   backend of ours this CPU runs (ref, avx2, avx512; those it lacks are
   skipped, saying so), through the vector lanes in full and partly filled
   passes. Any disagreement fails, naming the case. One test per family of
   cases (the families of issue 10):
     valid signatures over random messages of 0..1232 bytes;
     every single-bit flip of signature, key and message of some of them;
     s + kL and other s >= L (and s just below L);
     non-canonical R and A (y >= p, either sign) and small canonical y;
     every small-order encoding as R, as A and as both;
     mixed-order keys and R (a torsion point added), including signatures
       made to satisfy the cofactorless equation (libsodium accepts those);
     random 64 + 32 bytes (and the same with s forced below L).
   The cases come from a fixed seed (reproducible), two threads each, so
   the suite uses both CPUs. A sanitizer build runs an eighth of the cases:
   its job there is memory safety, the full count runs in the plain build. */
#include <check.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/ed25519_vectors.h"
#include "tiles/verify/ed25519/cpu.h"
#include "tiles/verify/ed25519/ed25519.h"
#include "tiles/verify/ed25519/ge.h"

#if defined(__SANITIZE_ADDRESS__)
#define SCALE 8
#else
#define SCALE 1
#endif

#define THREADS 2
#define MSG_MAX 1232
#define BLOCK 64

/* Cases per family (before SCALE); their sum is at least a million. */
enum {
  N_VALID = 40000,
  N_FLIP_SHORT_BASES = 64, /* messages of 0..64 bytes */
  N_FLIP_MID_BASES = 16,   /* 200 bytes */
  N_FLIP_LONG_BASES = 2,   /* 1232 bytes */
  N_S_BASES = 1000,        /* ~25 values of s each */
  N_ENC_BASES = 500,       /* 4 x 38 encodings each */
  N_SMALL_BASES = 500,     /* 14 + 14 + 196 encodings each */
  N_MIXED_BASES = 2000,    /* 7 torsion points x 4 cases each */
  N_RANDOM = 600000,
  N_RANDOM_LOW_S = 50000,
};

/* ---- the sink: cases in, verdicts compared ----------------------------------- */

typedef struct {
  uint8_t sig[64], pk[32];
  uint32_t msg_sz;
} dcase_t;

typedef struct {
  dcase_t c[BLOCK];
  uint8_t msg[BLOCK][MSG_MAX];
  uint32_t n, flushes;
  uint64_t cases, valid;
  char bad[768]; /* the first disagreement */
} sink_t;

static const sl_ed25519_backend_t OURS[] = {SL_ED25519_REF, SL_ED25519_AVX2, SL_ED25519_AVX512};
#define OURS_CNT (sizeof OURS / sizeof *OURS)

static void hex(char *out, const uint8_t *p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
}

static void flush(sink_t *k) {
  int want[BLOCK], got[BLOCK];
  sl_ed25519_item_t it[BLOCK];
  for (uint32_t i = 0; i < k->n; i++) {
    it[i] = (sl_ed25519_item_t){k->c[i].sig, k->msg[i], k->c[i].pk, k->c[i].msg_sz};
    want[i] = crypto_sign_verify_detached(k->c[i].sig, k->msg[i], k->c[i].msg_sz, k->c[i].pk) ? -1 : 0;
    k->valid += want[i] == 0;
  }
  for (size_t o = 0; o < OURS_CNT; o++) {
    sl_ed25519_backend_t b = OURS[o];
    if (!sl_ed25519_supported(b)) continue;
    uint32_t lanes = sl_ed25519_backend_lanes(b);
    /* Mostly full passes; every fourth block in passes of 1, 2, ... lanes. */
    uint32_t g = k->flushes % 4 == 3 ? 1 + (k->flushes / 4) % lanes : lanes;
    for (uint32_t i = 0; i < k->n; i += g)
      sl_ed25519_verify_lanes(b, it + i, k->n - i < g ? k->n - i : g, got + i);
    for (uint32_t i = 0; i < k->n; i++) {
      if (got[i] == want[i] || k->bad[0]) continue;
      char s[129], p[65], m[65];
      hex(s, k->c[i].sig, 64);
      hex(p, k->c[i].pk, 32);
      hex(m, k->msg[i], k->c[i].msg_sz < 32 ? k->c[i].msg_sz : 32);
      snprintf(k->bad, sizeof k->bad,
               "%s says %d, libsodium %d (pass of %u): sig %s pk %s msg[%u] %s%s", sl_ed25519_backend_name(b),
               got[i], want[i], g, s, p, k->c[i].msg_sz, m, k->c[i].msg_sz > 32 ? "..." : "");
    }
  }
  k->cases += k->n;
  k->n = 0;
  k->flushes++;
}

static void emit(sink_t *k, const uint8_t sig[64], const uint8_t pk[32], const uint8_t *msg, uint32_t msg_sz) {
  dcase_t *c = &k->c[k->n];
  memcpy(c->sig, sig, 64);
  memcpy(c->pk, pk, 32);
  memcpy(k->msg[k->n], msg, msg_sz);
  c->msg_sz = msg_sz;
  if (++k->n == BLOCK) flush(k);
}

/* ---- base signatures ------------------------------------------------------- */

typedef struct {
  uint8_t seed[32], pk[32], sk[64], sig[64], msg[MSG_MAX];
  uint32_t msg_sz;
} base_t;

/* A fresh key and a valid signature over a random message of msg_sz bytes. */
static void make_base(ev_rng_t *r, base_t *b, uint32_t msg_sz) {
  ev_rand_bytes(r, b->seed, 32);
  crypto_sign_seed_keypair(b->pk, b->sk, b->seed);
  b->msg_sz = msg_sz;
  ev_rand_bytes(r, b->msg, msg_sz);
  crypto_sign_detached(b->sig, NULL, b->msg, msg_sz, b->sk);
}

static uint32_t rand_len(ev_rng_t *r) {
  return (uint32_t)(ev_rand(r) % (MSG_MAX + 1));
}

/* ---- running a family on both CPUs -------------------------------------------- */

typedef void (*family_fn)(sink_t *k, ev_rng_t *r, uint32_t t);

typedef struct {
  family_fn fn;
  uint32_t t;
  uint64_t seed;
  sink_t sink;
} worker_t;

static void *work(void *arg) {
  worker_t *w = arg;
  ev_rng_t r = {w->seed};
  w->fn(&w->sink, &r, w->t);
  flush(&w->sink);
  return NULL;
}

/* Runs fn on THREADS threads (thread t does its share t, t + THREADS, ...),
   then fails on the first disagreement; returns the cases and how many
   libsodium accepted. */
static void run_family(const char *name, family_fn fn, uint64_t seed, uint64_t *cases, uint64_t *valid) {
  sl_err_t err;
  ck_assert_msg(sl_ed25519_init(&err) == 0, "%s", err.msg);
  static worker_t w[THREADS];
  pthread_t th[THREADS];
  for (uint32_t t = 0; t < THREADS; t++) {
    memset(&w[t].sink, 0, sizeof w[t].sink);
    w[t].fn = fn;
    w[t].t = t;
    w[t].seed = seed * 1000 + t;
    ck_assert_int_eq(pthread_create(&th[t], NULL, work, &w[t]), 0);
  }
  *cases = *valid = 0;
  for (uint32_t t = 0; t < THREADS; t++) {
    ck_assert_int_eq(pthread_join(th[t], NULL), 0);
    *cases += w[t].sink.cases;
    *valid += w[t].sink.valid;
  }
  char ran[64] = "", skipped[256] = "";
  for (size_t o = 0; o < OURS_CNT; o++) {
    sl_ed25519_backend_t b = OURS[o];
    char *dst = sl_ed25519_supported(b) ? ran : skipped;
    size_t n = strlen(dst), cap = sl_ed25519_supported(b) ? sizeof ran : sizeof skipped;
    if (sl_ed25519_supported(b)) snprintf(dst + n, cap - n, " %s", sl_ed25519_backend_name(b));
    else snprintf(dst + n, cap - n, " %s (CPU lacks %s)", sl_ed25519_backend_name(b), sl_cpu_missing(b, sl_cpu_features()));
  }
  printf("diff %s: %llu cases (libsodium accepts %llu), checked on:%s%s%s%s\n", name, (unsigned long long)*cases,
         (unsigned long long)*valid, ran, skipped[0] ? "; skipped:" : "", skipped, SCALE > 1 ? " [1/8: sanitizers]" : "");
  for (uint32_t t = 0; t < THREADS; t++)
    ck_assert_msg(!w[t].sink.bad[0], "%s, seed %llu, thread %u: %s", name, (unsigned long long)seed, t, w[t].sink.bad);
}

/* ---- the families ------------------------------------------------------------- */

static void fam_valid(sink_t *k, ev_rng_t *r, uint32_t t) {
  (void)t;
  base_t b;
  for (uint32_t i = 0; i < N_VALID / SCALE / THREADS; i++) {
    make_base(r, &b, rand_len(r));
    emit(k, b.sig, b.pk, b.msg, b.msg_sz);
  }
}

static void flips_of(sink_t *k, const base_t *b) {
  uint8_t sig[64], pk[32], msg[MSG_MAX];
  for (uint32_t bit = 0; bit < 512; bit++) {
    memcpy(sig, b->sig, 64);
    sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    emit(k, sig, b->pk, b->msg, b->msg_sz);
  }
  for (uint32_t bit = 0; bit < 256; bit++) {
    memcpy(pk, b->pk, 32);
    pk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    emit(k, b->sig, pk, b->msg, b->msg_sz);
  }
  memcpy(msg, b->msg, b->msg_sz);
  for (uint32_t bit = 0; bit < 8 * b->msg_sz; bit++) {
    msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    emit(k, b->sig, b->pk, msg, b->msg_sz);
    msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  emit(k, b->sig, b->pk, b->msg, b->msg_sz); /* and the unflipped one */
}

static void fam_flips(sink_t *k, ev_rng_t *r, uint32_t t) {
  base_t b;
  uint32_t n = (N_FLIP_SHORT_BASES + N_FLIP_MID_BASES + N_FLIP_LONG_BASES) / SCALE;
  for (uint32_t i = t; i < n; i += THREADS) {
    uint32_t j = i * SCALE;
    uint32_t len = j < N_FLIP_SHORT_BASES ? (uint32_t)(ev_rand(r) % 65)
                   : j < N_FLIP_SHORT_BASES + N_FLIP_MID_BASES ? 200 : MSG_MAX;
    make_base(r, &b, len);
    flips_of(k, &b);
  }
}

/* out = a + b over 256 bits; returns the carry out. */
static int add256(uint8_t out[32], const uint8_t a[32], const uint8_t b[32]) {
  unsigned c = 0;
  for (int i = 0; i < 32; i++) {
    c += (unsigned)a[i] + b[i];
    out[i] = (uint8_t)c;
    c >>= 8;
  }
  return (int)c;
}

static const uint8_t L_BYTES[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                    0xa2, 0xde, 0xf9, 0xde, 0x14, [31] = 0x10};

static void fam_s(sink_t *k, ev_rng_t *r, uint32_t t) {
  (void)t;
  base_t b;
  uint8_t sig[64], one[32] = {1};
  for (uint32_t i = 0; i < N_S_BASES / SCALE / THREADS; i++) {
    make_base(r, &b, (uint32_t)(ev_rand(r) % 300));
    memcpy(sig, b.sig, 64);
    for (int m = 1; m < 16; m++) { /* s + mL while it fits in 256 bits */
      if (add256(sig + 32, sig + 32, L_BYTES)) break;
      emit(k, sig, b.pk, b.msg, b.msg_sz);
    }
    uint8_t v[32];
    memcpy(sig, b.sig, 32);
    memcpy(sig + 32, L_BYTES, 32); /* L, L + 1, L + 2 */
    for (int m = 0; m < 3; m++) {
      emit(k, sig, b.pk, b.msg, b.msg_sz);
      add256(sig + 32, sig + 32, one);
    }
    memcpy(v, L_BYTES, 32);
    v[0]--; /* L - 1 and 0: in range, wrong */
    memcpy(sig + 32, v, 32);
    emit(k, sig, b.pk, b.msg, b.msg_sz);
    memset(sig + 32, 0, 32);
    emit(k, sig, b.pk, b.msg, b.msg_sz);
    memset(sig + 32, 0xff, 32); /* 2^256 - 1 */
    emit(k, sig, b.pk, b.msg, b.msg_sz);
    for (int m = 0; m < 4; m++) { /* random s >= L: top byte 0x10..0xff */
      ev_rand_bytes(r, sig + 32, 32);
      sig[63] = (uint8_t)(0x10 + ev_rand(r) % 0xf0);
      if (sig[63] == 0x10) sig[62] |= 1; /* above L's top bytes */
      emit(k, sig, b.pk, b.msg, b.msg_sz);
    }
    static const int hi_bits[] = {252, 253, 254, 255};
    for (int m = 0; m < 4; m++) { /* the real s with a high bit set */
      memcpy(sig + 32, b.sig + 32, 32);
      sig[32 + hi_bits[m] / 8] |= (uint8_t)(1u << (hi_bits[m] % 8));
      emit(k, sig, b.pk, b.msg, b.msg_sz);
    }
  }
}

/* enc = y (< 2^255, little-endian from a small integer d added to base)
   with the sign bit. */
static void enc_y(uint8_t enc[32], const uint8_t base[32], int d, int sign) {
  uint8_t dd[32] = {(uint8_t)d};
  add256(enc, base, dd);
  enc[31] = (uint8_t)((enc[31] & 0x7f) | (sign << 7));
}

static const uint8_t P_BYTES[32] = {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};

static void fam_encodings(sink_t *k, ev_rng_t *r, uint32_t t) {
  (void)t;
  base_t b;
  uint8_t sig[64], pk[32], zero[32] = {0};
  for (uint32_t i = 0; i < N_ENC_BASES / SCALE / THREADS; i++) {
    make_base(r, &b, (uint32_t)(ev_rand(r) % 100));
    for (int d = 0; d < 19; d++) {
      for (int sign = 0; sign < 2; sign++) {
        uint8_t nc[32], small[32];
        enc_y(nc, P_BYTES, d, sign); /* y = p + d: non-canonical */
        enc_y(small, zero, d, sign); /* y = d: canonical, on the curve or not */
        memcpy(sig, b.sig, 64);
        memcpy(sig, nc, 32);
        emit(k, sig, b.pk, b.msg, b.msg_sz); /* non-canonical R */
        emit(k, b.sig, nc, b.msg, b.msg_sz); /* non-canonical A */
        memcpy(sig, small, 32);
        emit(k, sig, b.pk, b.msg, b.msg_sz); /* small y as R */
        memcpy(pk, small, 32);
        emit(k, b.sig, pk, b.msg, b.msg_sz); /* small y as A */
      }
    }
  }
}

/* The y of the points of order dividing 8 (libsodium's blocklist) with
   both signs: 14 encodings, non-canonical p and p + 1 included. */
static void small_order_encodings(uint8_t out[14][32]) {
  static const uint8_t y8[2][32] = {
      {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
       0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
      {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
       0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
  };
  uint8_t zero[32] = {0}, pm1[32];
  memcpy(pm1, P_BYTES, 32);
  pm1[0]--;
  int n = 0;
  for (int sign = 0; sign < 2; sign++) {
    enc_y(out[n++], zero, 0, sign);
    enc_y(out[n++], zero, 1, sign);
    enc_y(out[n++], pm1, 0, sign);
    enc_y(out[n++], P_BYTES, 0, sign);
    enc_y(out[n++], P_BYTES, 1, sign);
    enc_y(out[n++], y8[0], 0, sign);
    enc_y(out[n++], y8[1], 0, sign);
  }
}

static void fam_small_order(sink_t *k, ev_rng_t *r, uint32_t t) {
  (void)t;
  uint8_t so[14][32], sig[64];
  small_order_encodings(so);
  base_t b;
  for (uint32_t i = 0; i < N_SMALL_BASES / SCALE / THREADS; i++) {
    make_base(r, &b, (uint32_t)(ev_rand(r) % 100));
    memcpy(sig, b.sig, 64);
    for (int x = 0; x < 14; x++) {
      memcpy(sig, so[x], 32);
      emit(k, sig, b.pk, b.msg, b.msg_sz); /* as R */
      emit(k, b.sig, so[x], b.msg, b.msg_sz); /* as A */
      for (int y = 0; y < 14; y++) emit(k, sig, so[y], b.msg, b.msg_sz); /* as both */
    }
  }
}

/* The seven points of order 2, 4 and 8, decoded, and their multiples
   tm[i][j] = j T_i (j = 0..7) as encodings and as cached addends. */
typedef struct {
  sl_ge_cached c[7][8];
  uint32_t order[7];
} torsion_t;

static void torsion_init(torsion_t *tt) {
  uint8_t so[14][32];
  small_order_encodings(so);
  /* the non-identity canonical ones: y = 0 (two x), p - 1, and y8 (two x
     each); indices in small_order_encodings' order, sign 0 then 1 */
  static const int pick[7] = {0, 2, 5, 6, 7, 12, 13};
  for (int i = 0; i < 7; i++) {
    sl_ge_p3 p, acc;
    ck_assert_int_eq(sl_ge_frombytes(&p, so[pick[i]]), 0);
    sl_ge_p3_0(&acc);
    tt->order[i] = 0;
    for (uint32_t j = 0; j <= 8; j++) { /* up to 8 T: the order is the first j > 0 giving 1 */
      if (j < 8) sl_ge_p3_to_cached(&tt->c[i][j], &acc);
      uint8_t e[32];
      sl_ge_p2 a2;
      sl_ge_p3_to_p2(&a2, &acc);
      sl_ge_tobytes(e, &a2);
      static const uint8_t one[32] = {1};
      if (j && !tt->order[i] && !memcmp(e, one, 32)) tt->order[i] = j;
      sl_ge_p1p1 s;
      sl_ge_cached pc;
      sl_ge_p3_to_cached(&pc, &p);
      sl_ge_add(&s, &acc, &pc);
      sl_ge_p1p1_to_p3(&acc, &s);
    }
    ck_assert_msg(tt->order[i] == 2 || tt->order[i] == 4 || tt->order[i] == 8, "torsion %d: order %u", i,
                  tt->order[i]);
  }
}

/* out = enc(P + q) for a valid encoding P. */
static void add_point(uint8_t out[32], const uint8_t p[32], const sl_ge_cached *q) {
  sl_ge_p3 a;
  ck_assert_int_eq(sl_ge_frombytes(&a, p), 0);
  sl_ge_p1p1 s;
  sl_ge_p2 r;
  sl_ge_add(&s, &a, q);
  sl_ge_p1p1_to_p2(&r, &s);
  sl_ge_tobytes(out, &r);
}

static torsion_t tt; /* filled before the threads start */

static void fam_mixed(sink_t *k, ev_rng_t *r, uint32_t t) {
  (void)t;
  base_t b;
  uint8_t sig[64], a_mixed[32];
  for (uint32_t i = 0; i < N_MIXED_BASES / SCALE / THREADS; i++) {
    make_base(r, &b, (uint32_t)(ev_rand(r) % 200));
    /* the secret scalar of libsodium's key: clamped SHA-512(seed)[0..32], mod L */
    uint8_t h[64], a[32], wide[64] = {0};
    crypto_hash_sha512(h, b.seed, 32);
    h[0] &= 248;
    h[31] = (uint8_t)((h[31] & 127) | 64);
    memcpy(wide, h, 32);
    crypto_core_ed25519_scalar_reduce(a, wide);
    for (int ti = 0; ti < 7; ti++) {
      const sl_ge_cached *tm = tt.c[ti];
      uint32_t ord = tt.order[ti];
      add_point(a_mixed, b.pk, &tm[1]); /* A + T */
      emit(k, b.sig, a_mixed, b.msg, b.msg_sz); /* the old signature under A + T */
      memcpy(sig, b.sig, 64);
      add_point(sig, b.sig, &tm[1]); /* R + T under A */
      emit(k, sig, b.pk, b.msg, b.msg_sz);
      /* Signatures under A + T that satisfy [s]B - [k](A + T) = R: with
         R = rB + jT and s = r + ka, the left side is rB - kT, so it holds
         when j = -k mod ord(T). Draw r until it does, for R = rB (j = 0)
         and for R mixed (j = 1). */
      for (uint32_t j = 0; j < 2; j++) {
        for (int tries = 0; tries < 200; tries++) {
          uint8_t rw[64], rs[32], rb[32], kk[64], kr[32], ka[32];
          ev_rand_bytes(r, rw, 64);
          crypto_core_ed25519_scalar_reduce(rs, rw);
          if (crypto_scalarmult_ed25519_base_noclamp(rb, rs)) continue;
          if (j) add_point(sig, rb, &tm[1]);
          else memcpy(sig, rb, 32);
          crypto_hash_sha512_state hs;
          crypto_hash_sha512_init(&hs);
          crypto_hash_sha512_update(&hs, sig, 32);
          crypto_hash_sha512_update(&hs, a_mixed, 32);
          crypto_hash_sha512_update(&hs, b.msg, b.msg_sz);
          crypto_hash_sha512_final(&hs, kk);
          crypto_core_ed25519_scalar_reduce(kr, kk);
          if ((kr[0] + j) % ord) continue; /* k + j = 0 mod ord(T) */
          crypto_core_ed25519_scalar_mul(ka, kr, a);
          crypto_core_ed25519_scalar_add(sig + 32, rs, ka);
          emit(k, sig, a_mixed, b.msg, b.msg_sz);
          break;
        }
      }
    }
  }
}

static void fam_random(sink_t *k, ev_rng_t *r, uint32_t t) {
  (void)t;
  uint8_t sig[64], pk[32], msg[MSG_MAX];
  for (uint32_t i = 0; i < (N_RANDOM + N_RANDOM_LOW_S) / SCALE / THREADS; i++) {
    ev_rand_bytes(r, sig, 64);
    ev_rand_bytes(r, pk, 32);
    uint32_t len = (uint32_t)(ev_rand(r) % 65);
    if (i < N_RANDOM_LOW_S / SCALE / THREADS) {
      sig[63] &= 0x0f; /* s < 2^252 < L: the checks after s, the curve, the equation */
      len = rand_len(r);
    }
    ev_rand_bytes(r, msg, len);
    emit(k, sig, pk, msg, len);
  }
}

/* ---- the tests ---------------------------------------------------------------- */

START_TEST(valid_signatures_over_random_messages_agree) {
  uint64_t n, v;
  run_family("valid", fam_valid, 1, &n, &v);
  ck_assert_uint_eq(n, N_VALID / SCALE);
  ck_assert_uint_eq(v, n); /* all valid */
}
END_TEST

START_TEST(single_bit_flips_of_signature_key_and_message_agree) {
  uint64_t n, v;
  run_family("bit flips", fam_flips, 2, &n, &v);
  ck_assert_uint_gt(n, 100000 / SCALE);
  ck_assert_uint_gt(v, 0); /* the unflipped ones */
}
END_TEST

START_TEST(s_at_or_above_l_agrees) {
  uint64_t n, v;
  run_family("s >= L", fam_s, 3, &n, &v);
  ck_assert_uint_gt(n, 20 * N_S_BASES / SCALE);
  ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(non_canonical_and_small_y_encodings_of_r_and_a_agree) {
  uint64_t n, v;
  run_family("encodings", fam_encodings, 4, &n, &v);
  ck_assert_uint_eq(n, 4 * 38 * (uint64_t)(N_ENC_BASES / SCALE / THREADS * THREADS));
}
END_TEST

START_TEST(every_small_order_encoding_as_r_and_as_a_agrees) {
  uint64_t n, v;
  run_family("small order", fam_small_order, 5, &n, &v);
  ck_assert_uint_eq(n, 14 * 16 * (uint64_t)(N_SMALL_BASES / SCALE / THREADS * THREADS));
  ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(mixed_order_keys_and_r_agree_including_equation_satisfying_ones) {
  uint64_t n, v;
  torsion_init(&tt);
  run_family("mixed order", fam_mixed, 6, &n, &v);
  ck_assert_uint_gt(n, 3 * 7 * N_MIXED_BASES / SCALE);
  /* libsodium accepts the made-to-hold ones: they must be in the set */
  ck_assert_uint_gt(v, 7 * N_MIXED_BASES / SCALE);
}
END_TEST

START_TEST(random_bytes_agree) {
  uint64_t n, v;
  run_family("random", fam_random, 7, &n, &v);
  ck_assert_uint_eq(n, (uint64_t)((N_RANDOM + N_RANDOM_LOW_S) / SCALE / THREADS * THREADS));
}
END_TEST

int main(void) {
  Suite *s = suite_create("ed25519_diff");
  TCase *tc = tcase_create("differential");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, valid_signatures_over_random_messages_agree);
  tcase_add_test(tc, single_bit_flips_of_signature_key_and_message_agree);
  tcase_add_test(tc, s_at_or_above_l_agrees);
  tcase_add_test(tc, non_canonical_and_small_y_encodings_of_r_and_a_agree);
  tcase_add_test(tc, every_small_order_encoding_as_r_and_as_a_agrees);
  tcase_add_test(tc, mixed_order_keys_and_r_agree_including_equation_satisfying_ones);
  tcase_add_test(tc, random_bytes_agree);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
