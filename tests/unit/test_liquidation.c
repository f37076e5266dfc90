/* The liquidation arithmetic shared by the market and the keeper (common/liquidation.c):
 * the seize and its cut by the position, figures worked by hand; and the keeper's choice,
 * checked against a brute-force search over every repay it could send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "causeway/liquidation.h"

#define WAD CW_WAD

static cw_liq_option opt(const char *tag, uint64_t pos, cw_u128 price, uint32_t bonus,
                         bool fresh, cw_u128 max_repay)
{
    cw_liq_option o = {.asset = "uusd", .asset_price_wad = WAD, .position = pos,
                       .price_wad = price, .bonus_bps = bonus, .fresh = fresh,
                       .max_repay = max_repay};
    snprintf(o.trace_denom, sizeof o.trace_denom, "ibc/%s", tag);
    return o;
}

static void test_seize_uncapped_floor_and_capped_repay_rounded_up(void **s)
{
    (void)s;
    uint64_t seize, used;
    /* floor(700 × 1.05 / 1.8) = floor(408.33) */
    assert_int_equal(cw_liq_seize(&seize, &used, 700, 500, WAD, WAD * 9 / 5, 1000), CW_OK);
    assert_int_equal(seize, 408);
    assert_int_equal(used, 700);
    /* 700 × 1.1 / 10 = 77 > the position's 10: all 10, repay ceil(10 × 10 / 1.1) = 91 */
    assert_int_equal(cw_liq_seize(&seize, &used, 700, 1000, WAD, 10 * WAD, 10), CW_OK);
    assert_int_equal(seize, 10);
    assert_int_equal(used, 91);
    /* exactly the position: not cut */
    assert_int_equal(cw_liq_seize(&seize, &used, 100, 0, WAD, WAD, 100), CW_OK);
    assert_int_equal(seize, 100);
    assert_int_equal(used, 100);
    /* a repay too small to seize a unit seizes nothing */
    assert_int_equal(cw_liq_seize(&seize, &used, 1, 0, WAD, 2 * WAD, 100), CW_OK);
    assert_int_equal(seize, 0);
    /* the largest repay at a tiny price saturates and is capped by the position */
    assert_int_equal(cw_liq_seize(&seize, &used, UINT64_MAX, 10000, WAD, 1, 5), CW_OK);
    assert_int_equal(seize, 5);
    assert_int_equal(used, 1); /* ceil(5 × 1e-18 / 2) */
    assert_int_equal(cw_liq_seize(&seize, &used, 100, 500, WAD, 0, 100), CW_EINVAL);
    assert_int_equal(seize, 0);
    assert_int_equal(used, 0);
}

static void test_choose_maximises_seize_value_not_units(void **s)
{
    (void)s;
    cw_liq_option o[2] = {
        opt("A", 1000, WAD, 500, true, 500),     /* 500 → 525 units worth 525 */
        opt("B", 100, 10 * WAD, 1000, true, 500) /* 500 → 55 units worth 550 */
    };
    cw_liq_choice c;
    assert_int_equal(cw_liq_choose(&c, o, 2, UINT64_MAX), CW_OK);
    assert_int_equal(c.index, 1);
    assert_int_equal(c.repay, 500);
    assert_int_equal(c.seize, 55);
    assert_true(c.seize_value == 550 && c.profit == 50);
    /* B's position caps it at 10 units (worth 100, repay cut to 91): A wins */
    o[1].position = 10;
    assert_int_equal(cw_liq_choose(&c, o, 2, UINT64_MAX), CW_OK);
    assert_int_equal(c.index, 0);
    assert_int_equal(c.repay, 500);
    assert_int_equal(c.seize, 525);
    /* the budget bounds the repay */
    assert_int_equal(cw_liq_choose(&c, o, 2, 100), CW_OK);
    assert_int_equal(c.index, 0);
    assert_int_equal(c.repay, 100);
    assert_int_equal(c.seize, 105);
}

/* Several markets (DESIGN §8): the seize of a repay in another market's asset is valued at
 * that asset's price; the choice compares (market, collateral) pairs in the price unit. */
static void test_seize_and_choice_across_debt_markets(void **s)
{
    (void)s;
    uint64_t seize, used;
    /* 100 ueur at 1.1, bonus 5%, stake at 1.3: floor(100 × 1.1 × 1.05 / 1.3) = 88 */
    assert_int_equal(cw_liq_seize(&seize, &used, 100, 500, WAD * 11 / 10, WAD * 13 / 10, 1000),
                     CW_OK);
    assert_int_equal(seize, 88);
    assert_int_equal(used, 100);
    /* capped at 50: repay ceil(50 × 1.3 × 10000 / (10500 × 1.1)) = ceil(56.277) = 57 */
    assert_int_equal(cw_liq_seize(&seize, &used, 100, 500, WAD * 11 / 10, WAD * 13 / 10, 50),
                     CW_OK);
    assert_int_equal(seize, 50);
    assert_int_equal(used, 57);
    assert_int_equal(cw_liq_seize(&seize, &used, 100, 500, 0, WAD, 50), CW_EINVAL);
    /* the same collateral against a uusd debt (at most 100) and a ueur debt (at most 100 ueur
     * = 110 uusd): the ueur repay seizes floor(100 × 1.1 × 1.05) = 115 units, worth more */
    cw_liq_option o[2] = {opt("A", 1000, WAD, 500, true, 100), opt("A", 1000, WAD, 500, true, 100)};
    snprintf(o[1].asset, sizeof o[1].asset, "ueur");
    o[1].asset_price_wad = WAD * 11 / 10;
    cw_liq_choice c;
    assert_int_equal(cw_liq_choose(&c, o, 2, UINT64_MAX), CW_OK);
    assert_int_equal(c.index, 1);
    assert_int_equal(c.repay, 100);
    assert_int_equal(c.seize, 115);
    assert_true(c.seize_value == 115 && c.repay_value == 110 && c.profit == 5);
    /* the keeper holds only 50 ueur (it caps that option's max_repay): uusd's 105 wins */
    o[1].max_repay = 50;
    assert_int_equal(cw_liq_choose(&c, o, 2, UINT64_MAX), CW_OK);
    assert_int_equal(c.index, 0);
    assert_int_equal(c.seize, 105);
    /* an option without its asset's price is never chosen */
    o[0].asset_price_wad = 0;
    assert_int_equal(cw_liq_choose(&c, o, 1, UINT64_MAX), CW_ENOTFOUND);
}

static void test_choose_skips_what_the_chain_would_refuse(void **s)
{
    (void)s;
    cw_liq_option o[4] = {
        opt("stale", 1000, WAD, 500, false, 500),  /* price not fresh */
        opt("unpriced", 1000, 0, 500, true, 500),  /* never priced */
        opt("none", 0, WAD, 500, true, 500),       /* nothing held */
        opt("capped", 1000, WAD, 500, true, 0),    /* nothing may be repaid */
    };
    cw_liq_choice c;
    assert_int_equal(cw_liq_choose(&c, o, 4, UINT64_MAX), CW_ENOTFOUND);
    assert_true(c.repay == 0 && c.seize == 0 && c.index == 0);
    assert_int_equal(cw_liq_choose(&c, NULL, 0, UINT64_MAX), CW_ENOTFOUND);
    o[3].max_repay = 10;
    assert_int_equal(cw_liq_choose(&c, o, 4, 0), CW_ENOTFOUND); /* no budget */
    assert_int_equal(cw_liq_choose(&c, o, 4, UINT64_MAX), CW_OK);
    assert_int_equal(c.index, 3);
    assert_int_equal(c.repay, 10);
    /* a repay that seizes less than one unit is no liquidation */
    o[3] = opt("dear", 1000, 1000 * WAD, 0, true, 10); /* 10 / 1000 = 0 units */
    assert_int_equal(cw_liq_choose(&c, o, 4, UINT64_MAX), CW_ENOTFOUND);
}

static void test_choose_ties_go_to_the_smaller_repay_then_the_first(void **s)
{
    (void)s;
    cw_liq_option o[3] = {
        opt("A", 10, WAD, 0, true, 50),    /* capped: 10 units for repay 10 */
        opt("B", 100, WAD, 0, true, 10),   /* 10 units for repay 10 */
        opt("C", 100, WAD, 10000, true, 5) /* 10 units for repay 5 */
    };
    cw_liq_choice c;
    assert_int_equal(cw_liq_choose(&c, o, 2, UINT64_MAX), CW_OK);
    assert_int_equal(c.index, 0);
    assert_int_equal(cw_liq_choose(&c, o, 3, UINT64_MAX), CW_OK);
    assert_int_equal(c.index, 2);
    assert_int_equal(c.repay, 5);
}

/* Against every repay the keeper could send (1..min(max, budget) per option): nothing seizes
 * more value than the choice, and the choice respects every bound. */
static void test_choose_matches_brute_force(void **s)
{
    (void)s;
    srand(17);
    for (int round = 0; round < 300; round++) {
        cw_liq_option o[3];
        size_t n = 1 + (size_t)(rand() % 3);
        for (size_t i = 0; i < n; i++)
            o[i] = opt("X", (uint64_t)(rand() % 300), (cw_u128)(1 + rand() % 4000) * WAD / 1000,
                       (uint32_t)(rand() % 1500), rand() % 5 != 0, (cw_u128)(rand() % 200));
        for (size_t i = 0; i < n; i++) /* debt in the price unit's market, or another's */
            if (rand() % 2)
                o[i].asset_price_wad = (cw_u128)(1 + rand() % 3000) * WAD / 1000;
        uint64_t budget = rand() % 4 ? UINT64_MAX : (uint64_t)(rand() % 150);
        cw_u128 best = 0;
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            if (!o[i].fresh || o[i].position == 0)
                continue;
            for (uint64_t r = 1; r <= o[i].max_repay && r <= budget; r++) {
                uint64_t sz, used;
                assert_int_equal(cw_liq_seize(&sz, &used, r, o[i].bonus_bps,
                                              o[i].asset_price_wad, o[i].price_wad,
                                              o[i].position),
                                 CW_OK);
                cw_u128 v = (cw_u128)sz * o[i].price_wad / WAD;
                if (sz > 0 && (!any || v > best)) {
                    best = v;
                    any = true;
                }
            }
        }
        cw_liq_choice c;
        int rc = cw_liq_choose(&c, o, n, budget);
        assert_int_equal(rc, any ? CW_OK : CW_ENOTFOUND);
        if (!any)
            continue;
        assert_true(c.seize_value == best);
        const cw_liq_option *p = &o[c.index];
        assert_true(c.repay <= p->max_repay && c.repay <= budget && c.seize <= p->position);
        assert_true(p->fresh && c.seize > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seize_uncapped_floor_and_capped_repay_rounded_up),
        cmocka_unit_test(test_choose_maximises_seize_value_not_units),
        cmocka_unit_test(test_seize_and_choice_across_debt_markets),
        cmocka_unit_test(test_choose_skips_what_the_chain_would_refuse),
        cmocka_unit_test(test_choose_ties_go_to_the_smaller_repay_then_the_first),
        cmocka_unit_test(test_choose_matches_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
