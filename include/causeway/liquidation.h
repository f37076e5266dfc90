/* Causeway — the arithmetic of one liquidation, shared by the lending market (which executes
 * it, channels/lending.c) and the keeper (which chooses it, `causeway keeper`), so the two
 * cannot disagree about what a repay seizes (DESIGN §8 "Liquidation", "Keeper").
 *
 * Units as everywhere (DESIGN §4): amounts u64 base units; prices u128 wad in the price unit
 * (1e18 = 1.0: base units of the first market's asset per base unit of the priced denom —
 * a collateral, or another market's asset; the first market's asset is exactly 1.0);
 * ratios bps. Pure functions over their arguments: no allocation, no I/O, thread-safe.
 */
#ifndef CAUSEWAY_LIQUIDATION_H
#define CAUSEWAY_LIQUIDATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"
#include "causeway/keys.h"
#include "causeway/mathx.h"

/** What a liquidation repaying `repay` base units of a debt market's asset (priced
 *  asset_price_wad in the price unit) seizes from a position of `pos` base units of a
 *  collateral priced price_wad with liquidation bonus bonus_bps:
 *  seize = floor(floor(repay × (10000 + bonus) × asset_price / price) / 10000) (= floor(repay ×
 *  asset_price × (1 + bonus) / price) exactly); when that exceeds pos, the seize is all of pos
 *  and the repay is cut to ceil(pos × price × 10000 / ((10000 + bonus) × asset_price)) (one
 *  rounding, up; never above the offered repay). Rounding favours the protocol (DESIGN §8).
 *  Returns: CW_OK with *seize (may be 0: the repay seizes nothing) and *repay_used (≤ repay);
 *           CW_EINVAL price_wad or asset_price_wad 0; CW_EOVERFLOW the cut repay overflows
 *           (outputs 0).
 *  Source: Compound v2 liquidateCalculateSeizeTokens; Aave v2 LendingPoolCollateralManager
 *          (the seize capped by the position, the repay recomputed); Aave v3 (debt and
 *          collateral valued in one base currency). */
int cw_liq_seize(uint64_t *seize, uint64_t *repay_used, uint64_t repay, uint32_t bonus_bps,
                 cw_u128 asset_price_wad, cw_u128 price_wad, uint64_t pos)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** One (debt market, collateral) pair a liquidator could repay and seize from a borrower, as
 *  the chain quotes it (cw_rpc_lend_quote's items). */
typedef struct cw_liq_option {
    char asset[CW_ID_MAX + 1]; /* the debt market: its borrowable asset (lend.liquidate's) */
    cw_u128 debt;              /* the borrower's debt in it, base units of asset */
    cw_u128 asset_price_wad;   /* asset's price in the price unit (WAD for the first market) */
    char trace_denom[CW_TRACE_DENOM_LEN + 1];
    uint64_t position;  /* the borrower's position, base units of the collateral */
    cw_u128 price_wad;  /* the collateral's latest oracle price (0: never priced) */
    uint32_t bonus_bps; /* the collateral's liquidation bonus */
    bool fresh;         /* the price is fresh: the chain seizes this denom only then */
    cw_u128 max_repay;  /* the most a liquidation repaying asset and seizing this denom may
                         * repay now, base units of asset (close factor, full close, dust
                         * rules); 0: not allowed */
} cw_liq_option;

/** The liquidation a keeper sends: repay opts[index].asset, seize opts[index].trace_denom,
 *  offering `repay`. */
typedef struct cw_liq_choice {
    size_t index;
    uint64_t repay;       /* what the chain will take (cw_liq_seize's repay_used) */
    uint64_t seize;       /* base units of opts[index] seized */
    cw_u128 seize_value;  /* floor(seize × price / WAD): in the price unit */
    cw_u128 repay_value;  /* ceil(repay × asset_price / WAD): in the price unit */
    cw_u128 profit;       /* seize_value − repay_value, 0 if negative (price unit) */
} cw_liq_choice;

/** Choose the liquidation — debt market, collateral and repay — that maximises the seize's
 *  value in the price unit at the oracle prices: for each option (one per debt market and
 *  collateral) that is fresh, priced, held and allowed, repay r = min(max_repay, budget)
 *  base units of its asset (the most allowed: a seize grows with the repay until the
 *  position caps it, where the chain cuts the repay), seize by cw_liq_seize; the largest
 *  seize_value wins, ties to the smaller repay_value, then to the lower index. Never more
 *  than max_repay or budget. A caller that holds only so much of an asset caps those
 *  options' max_repay by it first (the keeper does, with its balances).
 *  Returns: CW_OK with *out; CW_ENOTFOUND no option seizes anything (or budget 0) — *out
 *           zeroed. n ≤ any size; opts may be NULL when n is 0.
 *  Pure, allocates nothing, thread-safe. Source: DESIGN §8 "Keeper". */
int cw_liq_choose(cw_liq_choice *out, const cw_liq_option *opts, size_t n, uint64_t budget)
    CW_NONNULL(1) CW_WARN_UNUSED;

#endif
