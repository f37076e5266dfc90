/* The arithmetic of one liquidation (include/causeway/liquidation.h). */
#include "causeway/liquidation.h"

#include <string.h>

#define BPS ((cw_u128)CW_BPS)

int cw_liq_seize(uint64_t *seize, uint64_t *repay_used, uint64_t repay, uint32_t bonus_bps,
                 cw_u128 asset_price_wad, cw_u128 price_wad, uint64_t pos)
{
    *seize = 0;
    *repay_used = 0;
    if (price_wad == 0 || asset_price_wad == 0)
        return CW_EINVAL;
    const cw_u128 gross_bps = BPS + bonus_bps;
    cw_u128 s;
    /* floor(floor(repay × (10000 + bonus) × price_asset / price) / 10000) = floor(repay ×
     * price_asset × (1 + bonus) / price) exactly (nested floors of positive divisions) */
    if (cw_muldiv_u128(&s, (cw_u128)repay * gross_bps, asset_price_wad, price_wad,
                       CW_ROUND_DOWN))
        s = CW_U128_MAX;
    s /= BPS;
    if (s <= pos) {
        *seize = (uint64_t)s;
        *repay_used = repay;
        return CW_OK;
    }
    /* the position caps the seize: repay = ceil(ceil(pos × 10000 × price / price_asset) /
     * (10000 + bonus)) = ceil(pos × price × 10000 / ((10000 + bonus) × price_asset)), one
     * rounding, up (nested ceilings of positive divisions) */
    cw_u128 cut;
    if (cw_muldiv_u128(&cut, (cw_u128)pos * BPS, price_wad, asset_price_wad, CW_ROUND_UP))
        return CW_EOVERFLOW;
    cut = cut / gross_bps + (cut % gross_bps != 0);
    *seize = pos;
    *repay_used = cut < repay ? (uint64_t)cut : repay;
    return CW_OK;
}

int cw_liq_choose(cw_liq_choice *out, const cw_liq_option *opts, size_t n, uint64_t budget)
{
    memset(out, 0, sizeof *out);
    bool found = false;
    cw_u128 best_repay_value = 0;
    for (size_t i = 0; i < n; i++) {
        const cw_liq_option *o = &opts[i];
        if (!o->fresh || o->price_wad == 0 || o->asset_price_wad == 0 || o->position == 0 ||
            o->max_repay == 0)
            continue;
        uint64_t r = o->max_repay < budget ? (uint64_t)o->max_repay : budget, seize, used;
        if (r == 0 ||
            cw_liq_seize(&seize, &used, r, o->bonus_bps, o->asset_price_wad, o->price_wad,
                         o->position) ||
            seize == 0)
            continue;
        cw_u128 v, rv;
        if (cw_muldiv_u128(&v, seize, o->price_wad, CW_WAD, CW_ROUND_DOWN))
            v = CW_U128_MAX;
        if (cw_muldiv_u128(&rv, used, o->asset_price_wad, CW_WAD, CW_ROUND_UP))
            rv = CW_U128_MAX;
        if (found && (v < out->seize_value || (v == out->seize_value && rv >= best_repay_value)))
            continue;
        found = true;
        best_repay_value = rv;
        *out = (cw_liq_choice){.index = i, .repay = used, .seize = seize, .seize_value = v,
                               .repay_value = rv, .profit = v > rv ? v - rv : 0};
    }
    if (!found)
        memset(out, 0, sizeof *out);
    return found ? CW_OK : CW_ENOTFOUND;
}
