/* app/gen/txn_build.c: transaction shapes, signing, and the ways to break them. */
#include "app/gen/txn_build.h"

#include <sodium.h>
#include <string.h>

/* Program ids (as key bytes). The system program's id is all zeros on
   Solana; the other two only need to be fixed, distinct 32-byte values. */
static const uint8_t PROG_SYSTEM[32] = {0};
static const uint8_t PROG_COMPUTE_BUDGET[32] = {3, 6, 70, 111, 229, 33, 23, 50, 255, 236, 173, 186, 114, 195, 155, 231,
                                                188, 140, 229, 187, 197, 247, 18, 107, 44, 67, 155, 58, 64, 0, 0, 0};
static const uint8_t PROG_MEMO[32] = {5, 74, 83, 90, 153, 41, 33, 6, 77, 36, 232, 113, 96, 218, 56, 124,
                                      124, 53, 181, 221, 188, 146, 187, 129, 228, 31, 168, 64, 65, 5, 68, 141};

#define MEMO_IX_SZ 36u /* program key 32 + program index + 1-account list (2) + empty data length */
#define LUT_MAX 3u

uint32_t sl_txn_cu16_put(uint8_t *out, uint32_t v) {
  uint32_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

int sl_txn_keys_init(sl_txn_keys_t *k, uint64_t seed, uint32_t cnt, sl_err_t *err) {
  if (cnt <= SL_TXN_BUILD_SIGS_MAX || cnt > SL_TXN_KEYS_MAX)
    return sl_err_set(err, "txn keys: %u keys requested, need %u..%u", cnt, SL_TXN_BUILD_SIGS_MAX + 1,
                      SL_TXN_KEYS_MAX);
  if (sodium_init() < 0) return sl_err_set(err, "txn keys: libsodium failed to initialize");
  sl_rng_t r;
  sl_rng_seed(&r, seed, UINT64_MAX); /* a stream no packet index uses */
  k->cnt = cnt;
  for (uint32_t i = 0; i < cnt; i++) {
    uint8_t s[32];
    sl_rng_fill(&r, s, sizeof s);
    crypto_sign_seed_keypair(k->pub[i], k->sec[i], s);
  }
  return 0;
}

/* Every choice of one transaction, drawn before any byte is written so that
   sizing can emit the shape twice. */
typedef struct {
  uint32_t nsig, ro_signed, nrecip, k0;
  int v0, use_cb, use_memo;
  uint32_t nlut, lut_empty;
  uint8_t lut_nw[LUT_MAX], lut_nr[LUT_MAX], lut_base[LUT_MAX], lut_key[LUT_MAX][32];
  uint8_t recip[2][32];
  uint8_t bh_tail[24];
  uint64_t serial, lamports, memo_seed;
  uint32_t cu_limit, memo_len;
} shape_t;

/* Where the fields the malformed variants edit ended up. */
typedef struct {
  uint32_t msg, hdr, nkeys, nix, ix0_prog, xfer_acct, nstatic, ntotal;
} layout_t;

static uint32_t put_ix(uint8_t *p, uint32_t prog, const uint8_t *acct, uint32_t nacct, const uint8_t *data,
                       uint32_t dlen) {
  uint32_t n = 0;
  p[n++] = (uint8_t)prog;
  n += sl_txn_cu16_put(p + n, nacct);
  if (nacct) memcpy(p + n, acct, nacct);
  n += nacct;
  n += sl_txn_cu16_put(p + n, dlen);
  if (data) memcpy(p + n, data, dlen);
  n += dlen;
  return n;
}

/* Writes the transaction with zeroed signatures; returns its size. */
static uint32_t emit(uint8_t *out, const shape_t *s, const sl_txn_keys_t *keys, layout_t *l) {
  uint32_t n = 0;
  n += sl_txn_cu16_put(out, s->nsig);
  memset(out + n, 0, 64 * s->nsig);
  n += 64 * s->nsig;

  l->msg = n;
  if (s->v0) out[n++] = 0x80;
  l->hdr = n;
  uint32_t nprog = 1 + (uint32_t)s->use_cb + (uint32_t)s->use_memo;
  out[n++] = (uint8_t)s->nsig;
  out[n++] = (uint8_t)s->ro_signed;
  out[n++] = (uint8_t)nprog;

  /* Static keys: signers (payer first), writable recipients, programs. */
  l->nstatic = s->nsig + s->nrecip + nprog;
  l->nkeys = n;
  n += sl_txn_cu16_put(out + n, l->nstatic);
  for (uint32_t j = 0; j < s->nsig; j++, n += 32) memcpy(out + n, keys->pub[(s->k0 + j) % keys->cnt], 32);
  for (uint32_t j = 0; j < s->nrecip; j++, n += 32) memcpy(out + n, s->recip[j], 32);
  uint32_t idx_sys = s->nsig + s->nrecip, idx_cb = idx_sys + 1, idx_memo = idx_sys + 1 + (uint32_t)s->use_cb;
  memcpy(out + n, PROG_SYSTEM, 32), n += 32;
  if (s->use_cb) memcpy(out + n, PROG_COMPUTE_BUDGET, 32), n += 32;
  if (s->use_memo) memcpy(out + n, PROG_MEMO, 32), n += 32;

  uint32_t nloaded = 0;
  for (uint32_t t = 0; t < s->nlut; t++) nloaded += s->lut_nw[t] + s->lut_nr[t];
  l->ntotal = l->nstatic + nloaded;

  /* Recent blockhash: the serial makes the message unique. */
  for (int i = 0; i < 8; i++) out[n++] = (uint8_t)(s->serial >> (8 * i));
  memcpy(out + n, s->bh_tail, 24), n += 24;

  l->nix = n;
  n += sl_txn_cu16_put(out + n, 1 + (uint32_t)s->use_cb + (uint32_t)s->use_memo);
  l->ix0_prog = n;
  if (s->use_cb) {
    uint8_t d[5] = {2, (uint8_t)s->cu_limit, (uint8_t)(s->cu_limit >> 8), (uint8_t)(s->cu_limit >> 16),
                    (uint8_t)(s->cu_limit >> 24)};
    n += put_ix(out + n, idx_cb, NULL, 0, d, sizeof d);
  }
  /* Transfer: payer -> recipient (a looked-up writable account under v0,
     the first of which has index nstatic). */
  uint8_t acct[2] = {0, (uint8_t)(s->v0 ? l->nstatic : s->nsig)};
  uint8_t d[12] = {2, 0, 0, 0};
  for (int i = 0; i < 8; i++) d[4 + i] = (uint8_t)(s->lamports >> (8 * i));
  l->xfer_acct = n + 3; /* after program index, account count, payer index */
  n += put_ix(out + n, idx_sys, acct, 2, d, sizeof d);
  if (s->use_memo) {
    uint8_t signer = 0;
    n += put_ix(out + n, idx_memo, &signer, 1, NULL, s->memo_len);
    /* Memo text: printable ASCII from its own stream, so it is the same
       whichever pass writes it. */
    sl_rng_t mr;
    sl_rng_seed(&mr, s->memo_seed, 0);
    for (uint32_t i = n - s->memo_len; i < n; i++) out[i] = (uint8_t)(0x20 + sl_rng_below(&mr, 95));
  }

  if (s->v0) {
    n += sl_txn_cu16_put(out + n, s->nlut + s->lut_empty);
    for (uint32_t t = 0; t < s->nlut; t++) {
      memcpy(out + n, s->lut_key[t], 32), n += 32;
      n += sl_txn_cu16_put(out + n, s->lut_nw[t]);
      for (uint32_t i = 0; i < s->lut_nw[t]; i++) out[n++] = (uint8_t)(s->lut_base[t] + i);
      n += sl_txn_cu16_put(out + n, s->lut_nr[t]);
      for (uint32_t i = 0; i < s->lut_nr[t]; i++) out[n++] = (uint8_t)(s->lut_base[t] + s->lut_nw[t] + i);
    }
    if (s->lut_empty) {
      memcpy(out + n, s->lut_key[LUT_MAX - 1], 32), n += 32;
      out[n++] = 0;
      out[n++] = 0;
    }
  }
  return n;
}

static uint32_t pick_sigs(sl_rng_t *r) {
  uint32_t u = sl_rng_below(r, 100);
  return u < 60 ? 1 : u < 85 ? 2 : u < 95 ? 3 : 4;
}

static uint32_t pick_size(sl_rng_t *r) {
  return sl_rng_below(r, 10) < 7 ? 200 + sl_rng_below(r, 401) : 600 + sl_rng_below(r, SL_TXN_MTU - 600 + 1);
}

static void sign_all(uint8_t *out, const shape_t *s, const layout_t *l, uint32_t sz, const sl_txn_keys_t *keys) {
  for (uint32_t j = 0; j < s->nsig; j++)
    crypto_sign_detached(out + 1 + 64 * j, NULL, out + l->msg, sz - l->msg, keys->sec[(s->k0 + j) % keys->cnt]);
}

uint32_t sl_txn_build(uint8_t *out, const sl_txn_keys_t *keys, uint64_t serial, sl_rng_t *rng,
                      const sl_txn_spec_t *spec, sl_txn_info_t *info) {
  uint32_t kind = spec->kind, variant = spec->variant;
  if (kind == SL_TXN_VALID) variant = 0;
  else if (variant == SL_TXN_VARIANT_ANY)
    variant = sl_rng_below(rng, kind == SL_TXN_BAD_SIG ? SL_TXN_BADSIG_CNT : SL_TXN_MAL_CNT);
  int mal = kind == SL_TXN_MALFORMED;

  if (mal && variant == SL_TXN_MAL_RUNT) {
    uint32_t n = 1 + sl_rng_below(rng, SL_TXN_MIN_SZ - 1);
    sl_rng_fill(rng, out, n);
    out[0] = 1; /* reads as "one signature", the commonest count */
    if (info) *info = (sl_txn_info_t){.kind = (uint8_t)kind, .variant = (uint8_t)variant, .sz = n};
    return n;
  }

  shape_t s;
  memset(&s, 0, sizeof s);
  s.nsig = spec->sigs ? spec->sigs : pick_sigs(rng);
  s.v0 = spec->version == SL_TXN_VER_V0 || (spec->version == SL_TXN_VER_ANY && sl_rng_below(rng, 10) < 4);
  if (mal && (variant == SL_TXN_MAL_VERSION || variant == SL_TXN_MAL_EMPTY_LOOKUP)) s.v0 = 1;
  s.ro_signed = s.nsig > 1 ? sl_rng_below(rng, 2) : 0;
  s.nrecip = 1 + sl_rng_below(rng, 2);
  s.k0 = sl_rng_below(rng, keys->cnt);
  s.use_cb = (int)sl_rng_below(rng, 2);
  if (s.v0) {
    s.nlut = 1 + sl_rng_below(rng, 2);
    for (uint32_t t = 0; t < s.nlut; t++) {
      s.lut_nw[t] = (uint8_t)(1 + sl_rng_below(rng, 2));
      s.lut_nr[t] = (uint8_t)sl_rng_below(rng, 3);
      s.lut_base[t] = (uint8_t)sl_rng_below(rng, 200);
    }
    sl_rng_fill(rng, &s.lut_key[0][0], sizeof s.lut_key);
    s.lut_empty = mal && variant == SL_TXN_MAL_EMPTY_LOOKUP;
  }
  sl_rng_fill(rng, &s.recip[0][0], sizeof s.recip);
  sl_rng_fill(rng, s.bh_tail, sizeof s.bh_tail);
  s.serial = serial;
  s.lamports = 1 + sl_rng_below(rng, 1000000000u);
  s.cu_limit = 200000 + sl_rng_below(rng, 1200000);
  s.memo_seed = sl_rng_u64(rng);

  uint32_t target = spec->size ? spec->size : pick_size(rng);
  if (target > SL_TXN_MTU) target = SL_TXN_MTU;
  if (mal && variant == SL_TXN_MAL_TRAILING && target > SL_TXN_MTU - 8) target = SL_TXN_MTU - 8;
  if (mal && variant == SL_TXN_MAL_CU16_NONMINIMAL && target > SL_TXN_MTU - 1) target = SL_TXN_MTU - 1;

  /* Size: emit the bare shape; if the target leaves room, add a memo whose
     data takes up the rest (its length prefix grows to 2 bytes past 127). */
  layout_t l;
  uint32_t sz = emit(out, &s, keys, &l);
  if (sz > target) {
    /* Too big already: shed the optional parts (compute budget, second
       recipient, second table, read-only lookups) for the smallest shape. */
    s.use_cb = 0;
    s.nrecip = 1;
    if (s.v0) s.nlut = 1, s.lut_nr[0] = 0;
    sz = emit(out, &s, keys, &l);
  }
  if (target >= sz + MEMO_IX_SZ) {
    uint32_t r = target - sz - MEMO_IX_SZ;
    s.use_memo = 1;
    s.memo_len = r <= 127 ? r : r - 1;
    sz = emit(out, &s, keys, &l);
  }

  if (!mal) {
    sign_all(out, &s, &l, sz, keys);
    if (kind == SL_TXN_BAD_SIG) {
      uint32_t j = sl_rng_below(rng, s.nsig);
      if (variant == SL_TXN_BADSIG_FLIP) {
        uint32_t bit = sl_rng_below(rng, 512);
        out[1 + 64 * j + bit / 8] ^= (uint8_t)(1u << (bit % 8));
      } else {
        /* A key outside the signer set, so the signature is genuine but
           for the wrong account. */
        uint32_t other = (s.k0 + s.nsig + sl_rng_below(rng, keys->cnt - s.nsig)) % keys->cnt;
        crypto_sign_detached(out + 1 + 64 * j, NULL, out + l.msg, sz - l.msg, keys->sec[other]);
      }
    }
  } else {
    /* Malformed ones never reach a signature check: random bytes stand in
       for signatures and save the signing time. */
    sl_rng_fill(rng, out + 1, 64 * s.nsig);
    switch (variant) {
    case SL_TXN_MAL_TRAILING: {
      uint32_t k = 1 + sl_rng_below(rng, 8);
      sl_rng_fill(rng, out + sz, k);
      sz += k;
      break;
    }
    case SL_TXN_MAL_CU16_NONMINIMAL: {
      /* Every one of these counts is below 128, so it is one byte now. */
      uint32_t at[3] = {0, l.nkeys, l.nix};
      uint32_t o = at[sl_rng_below(rng, 3)];
      memmove(out + o + 2, out + o + 1, sz - o - 1);
      out[o] |= 0x80;
      out[o + 1] = 0;
      sz += 1;
      break;
    }
    case SL_TXN_MAL_SIG_CNT: out[l.hdr] = (uint8_t)(s.nsig + 1); break;
    case SL_TXN_MAL_TRUNCATED: sz = sz / 2 + sl_rng_below(rng, sz - sz / 2); break;
    case SL_TXN_MAL_ZERO_SIGS:
      memmove(out + 1, out + l.msg, sz - l.msg);
      out[0] = 0;
      sz -= 64 * s.nsig;
      break;
    case SL_TXN_MAL_PROGRAM_IDX0: out[l.ix0_prog] = 0; break;
    case SL_TXN_MAL_PROGRAM_IDX_OOB: out[l.ix0_prog] = (uint8_t)(l.nstatic + sl_rng_below(rng, 4)); break;
    case SL_TXN_MAL_ACCOUNT_IDX_OOB: out[l.xfer_acct] = (uint8_t)(l.ntotal + sl_rng_below(rng, 4)); break;
    case SL_TXN_MAL_PAYER_READONLY: out[l.hdr + 1] = (uint8_t)s.nsig; break;
    case SL_TXN_MAL_VERSION: out[l.msg] = (uint8_t)(0x81 + sl_rng_below(rng, 0x7f)); break;
    case SL_TXN_MAL_EMPTY_LOOKUP: break; /* built into the shape */
    default: break;
    }
  }
  if (info)
    *info = (sl_txn_info_t){.kind = (uint8_t)kind,
                            .variant = (uint8_t)variant,
                            .sigs = (uint8_t)s.nsig,
                            .version = (uint8_t)(s.v0 ? SL_TXN_VER_V0 : SL_TXN_VER_LEGACY),
                            .sz = sz};
  return sz;
}

const char *sl_txn_variant_name(uint32_t kind, uint32_t variant) {
  static const char *bad[SL_TXN_BADSIG_CNT] = {"flip", "wrong_key"};
  static const char *mal[SL_TXN_MAL_CNT] = {"trailing",          "cu16_nonminimal", "sig_cnt",
                                            "truncated",         "zero_sigs",       "program_idx0",
                                            "program_idx_oob",   "account_idx_oob", "payer_readonly",
                                            "version",           "empty_lookup",    "runt"};
  if (kind == SL_TXN_VALID) return "valid";
  if (kind == SL_TXN_BAD_SIG && variant < SL_TXN_BADSIG_CNT) return bad[variant];
  if (kind == SL_TXN_MALFORMED && variant < SL_TXN_MAL_CNT) return mal[variant];
  return "unknown";
}
