/* tiles/verify/ed25519/verify_ref.h: the whole strict verification in plain
   C: prep (checks, k, digits), decompress A, the fixed-window schedule for
   [s]B - [k]A, compress, compare with R. The reference the vector backends
   mirror lane for lane, and the "ref" backend of sl_ed25519. */
#ifndef SL_TILES_VERIFY_ED25519_VERIFY_REF_H
#define SL_TILES_VERIFY_ED25519_VERIFY_REF_H

#include <stdint.h>

#include "tiles/verify/ed25519/ge.h"
#include "tiles/verify/ed25519/prep.h"

/* sl_verify_ref checks sig (64 bytes) by pk (32 bytes) over msg[0..msg_sz).
   Returns 0 if it verifies, -1 if not: libsodium's verdict. Assumes
   sl_ge_init ran. No allocation. */
int sl_verify_ref(const uint8_t *sig, const uint8_t *msg, uint32_t msg_sz, const uint8_t *pk);

/* sl_verify_ref_schedule writes [s]B + [k]P into r, P = -A given as its
   table atab[j] = j P (j = 0 .. SL_PREP_ATAB_CNT), s and k as the digits
   in d: the fixed-window schedule itself. */
void sl_verify_ref_schedule(sl_ge_p2 *r, const sl_ge_cached atab[SL_PREP_ATAB_CNT + 1],
                            const sl_prep_t *d);

#endif
