/* tiles/verify/verify_tile.h: the verify tile. Reads every net ring, keeps
   its share (sig % verify_cnt == idx), and forwards a transaction only if it
   parses strictly, is not a duplicate of one already verified, and every
   signature verifies. Each drop is counted under its reason:
   in_frags = parse_fail + dedup_drop + sigverify_fail + verified. */
#ifndef SL_TILES_VERIFY_VERIFY_TILE_H
#define SL_TILES_VERIFY_VERIFY_TILE_H

#include "tiles/tile.h"

extern const sl_tile_ops_t sl_verify_tile_ops;

#endif
