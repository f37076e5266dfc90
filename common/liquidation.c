/* The arithmetic of one liquidation (include/causeway/liquidation.h). */
#include "causeway/liquidation.h"

#include <string.h>

#define BPS ((cw_u128)CW_BPS)

int cw_liq_seize(uint64_t *seize, uint64_t *repay_used, uint64_t repay, uint32_t bonus_bps,
                 cw_u128 price_wad, uint64_t pos)
{
    *seize = 0;
    *repay_used = 0;
    if (price_wad == 0)
        return CW_EINVAL;
    cw_u128 s, gross = (cw_u128)repay * (BPS + bonus_bps);
    if (cw_muldiv_u128(&s, gross, CW_WAD, price_wad, CW_ROUND_DOWN))
        s = CW_U128_MAX;
    s /= BPS;
    if (s <= pos) {
        *seize = (uint64_t)s;
        *repay_used = repay;
        return CW_OK;
    }
    cw_u128 cut;
    if (cw_muldiv_u128(&cut, (cw_u128)pos * BPS, price_wad, (BPS + bonus_bps) * CW_WAD,
                       CW_ROUND_UP))
        return CW_EOVERFLOW;
    *seize = pos;
    *repay_used = cut < repay ? (uint64_t)cut : repay;
    return CW_OK;
}

int cw_liq_choose(cw_liq_choice *out, const cw_liq_option *opts, size_t n, uint64_t budget)
{
    memset(out, 0, sizeof *out);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        const cw_liq_option *o = &opts[i];
        if (!o->fresh || o->price_wad == 0 || o->position == 0 || o->max_repay == 0)
            continue;
        uint64_t r = o->max_repay < budget ? (uint64_t)o->max_repay : budget, seize, used;
        if (r == 0 || cw_liq_seize(&seize, &used, r, o->bonus_bps, o->price_wad, o->position) ||
            seize == 0)
            continue;
        cw_u128 v;
        if (cw_muldiv_u128(&v, seize, o->price_wad, CW_WAD, CW_ROUND_DOWN))
            v = CW_U128_MAX;
        if (found && (v < out->seize_value || (v == out->seize_value && used >= out->repay)))
            continue;
        found = true;
        *out = (cw_liq_choice){.index = i, .repay = used, .seize = seize, .seize_value = v,
                               .profit = v > used ? v - used : 0};
    }
    if (!found)
        memset(out, 0, sizeof *out);
    return found ? CW_OK : CW_ENOTFOUND;
}
