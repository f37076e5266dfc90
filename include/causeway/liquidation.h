/* Causeway — the arithmetic of one liquidation, shared by the lending market (which executes
 * it, channels/lending.c) and the keeper (which chooses it, `causeway keeper`), so the two
 * cannot disagree about what a repay seizes (DESIGN §8 "Liquidation", "Keeper").
 *
 * Units as everywhere (DESIGN §4): amounts u64 base units; prices u128 wad (1e18 = 1.0, base
 * units of the borrowable asset per base unit of collateral); ratios bps. Pure functions
 * over their arguments: no allocation, no I/O, thread-safe.
 */
#ifndef CAUSEWAY_LIQUIDATION_H
#define CAUSEWAY_LIQUIDATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"
#include "causeway/keys.h"
#include "causeway/mathx.h"

/** What a liquidation repaying `repay` seizes from a position of `pos` base units of a
 *  collateral priced price_wad with liquidation bonus bonus_bps:
 *  seize = floor(floor(repay × (10000 + bonus) × WAD / price) / 10000) (= floor(repay ×
 *  (1 + bonus) / price) exactly); when that exceeds pos, the seize is all of pos and the
 *  repay is cut to ceil(pos × price × 10000 / ((10000 + bonus) × WAD)) (one rounding, up;
 *  never above the offered repay). Rounding favours the protocol (DESIGN §8).
 *  Returns: CW_OK with *seize (may be 0: the repay seizes nothing) and *repay_used (≤ repay);
 *           CW_EINVAL price_wad 0; CW_EOVERFLOW the cut repay overflows (outputs 0).
 *  Source: Compound v2 liquidateCalculateSeizeTokens; Aave v2 LendingPoolCollateralManager
 *          (the seize capped by the position, the repay recomputed). */
int cw_liq_seize(uint64_t *seize, uint64_t *repay_used, uint64_t repay, uint32_t bonus_bps,
                 cw_u128 price_wad, uint64_t pos) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** One collateral a liquidator could seize from a borrower, as the chain quotes it
 *  (cw_rpc_lend_quote's items). */
typedef struct cw_liq_option {
    char trace_denom[CW_TRACE_DENOM_LEN + 1];
    uint64_t position;  /* the borrower's position, base units of the collateral */
    cw_u128 price_wad;  /* latest oracle price (0: never priced) */
    uint32_t bonus_bps; /* the collateral's liquidation bonus */
    bool fresh;         /* the price is fresh: the chain seizes this denom only then */
    cw_u128 max_repay;  /* the most a liquidation seizing this denom may repay now (close
                         * factor, full close, dust rules); 0: not seizable */
} cw_liq_option;

/** The liquidation a keeper sends: seize opts[index], offering `repay`. */
typedef struct cw_liq_choice {
    size_t index;
    uint64_t repay;       /* what the chain will take (cw_liq_seize's repay_used) */
    uint64_t seize;       /* base units of opts[index] seized */
    cw_u128 seize_value;  /* floor(seize × price / WAD): base units of the borrowable asset */
    cw_u128 profit;       /* seize_value − repay, 0 if negative */
} cw_liq_choice;

/** Choose the liquidation that maximises the seize's value at the oracle price: for each
 *  option that is fresh, priced, held and seizable, repay r = min(max_repay, budget) (the
 *  most allowed: a seize grows with the repay until the position caps it, where the chain
 *  cuts the repay), seize by cw_liq_seize; the largest seize_value wins, ties to the smaller
 *  repay, then to the lower index. Never more than max_repay or budget.
 *  Returns: CW_OK with *out; CW_ENOTFOUND no option seizes anything (or budget 0) — *out
 *           zeroed. n ≤ any size; opts may be NULL when n is 0.
 *  Pure, allocates nothing, thread-safe. Source: DESIGN §8 "Keeper". */
int cw_liq_choose(cw_liq_choice *out, const cw_liq_option *opts, size_t n, uint64_t budget)
    CW_NONNULL(1) CW_WARN_UNUSED;

#endif
