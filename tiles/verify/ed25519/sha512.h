/* tiles/verify/ed25519/sha512.h: SHA-512 (FIPS 180-4) of R || A || M for
   several signatures at once, one per vector lane: the challenge hash of
   every lane of a pass in one sweep over the blocks. The plain-C version of
   the same function is libsodium's crypto_hash_sha512 (what the ref backend
   and prep.c use, and what the tests compare with).

   A lane's input is three pieces (R, 32 bytes; A, 32; M, any length), so
   each lane has a plan: which bytes each 128-byte block holds. Blocks wholly
   inside M are read in place; the first block (R, A, M's start) and the
   padded last one or two are assembled in the plan. Lanes with fewer blocks
   stop early (masked); their digests are not disturbed. */
#ifndef SL_TILES_VERIFY_ED25519_SHA512_H
#define SL_TILES_VERIFY_ED25519_SHA512_H

#include <stdint.h>

extern const uint64_t sl_sha512_k[80], sl_sha512_iv[8];

typedef struct {
  uint8_t head[128];  /* block 0, when the tail does not hold it */
  uint8_t tail[256];  /* the last one or two blocks, padded */
  const uint8_t *msg; /* M: block j (0 < j < first_tail) is msg + 128 j - 64 */
  uint32_t nb;        /* blocks in all */
  uint32_t first_tail;
} sl_sha512_lane_t;

/* sl_sha512_lane_init plans SHA-512(r[0..32) || a[0..32) || msg[0..msg_sz)).
   Keeps msg (it must stay valid until the hash is done). */
void sl_sha512_lane_init(sl_sha512_lane_t *l, const uint8_t *r, const uint8_t *a, const uint8_t *msg,
                         uint32_t msg_sz);

/* sl_sha512_lane_block: the 128 bytes of block j < l->nb. */
const uint8_t *sl_sha512_lane_block(const sl_sha512_lane_t *l, uint32_t j);

/* sl_sha512x8 (AVX-512F and BW) and sl_sha512x4 (AVX2) hash lanes
   0..n-1 (n at most 8 or 4) into out[i]: each equal to crypto_hash_sha512
   of lane i's input. Call only on a CPU the dispatch found able to. */
void sl_sha512x8(uint8_t out[][64], const sl_sha512_lane_t *lanes, uint32_t n);
void sl_sha512x4(uint8_t out[][64], const sl_sha512_lane_t *lanes, uint32_t n);

#endif
