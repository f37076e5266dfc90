/* Lending market (DESIGN §8): each test is named for the attack or mistake it stops.
 * Every call runs through test_lend_world.h, which also fails any call that errs after
 * writing state. Expected figures are computed here from the formulas in lending.h with
 * cw_muldiv_* and the stated rounding, not copied from the implementation's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../chain/app.h"
#include "causeway/tx.h"
#include "test_lend_world.h"

#define WAD CW_WAD

static void assert_u128_eq(cw_u128 a, cw_u128 b, const char *what)
{
    if (a != b) {
        char sa[41], sb[41];
        cw_u128_to_dec(sa, sizeof sa, a);
        cw_u128_to_dec(sb, sizeof sb, b);
        fail_msg("%s: got %s, expected %s", what, sa, sb);
    }
}

static cw_u128 muldiv(cw_u128 a, cw_u128 b, cw_u128 d, cw_round r)
{
    cw_u128 out;
    assert_int_equal(cw_muldiv_u128(&out, a, b, d, r), CW_OK);
    return out;
}

/* Users: 0 supplier, 1 borrower, 2 liquidator, 3 bystander. */
enum { SUP = 0, BOR = 1, LIQ = 2, OTH = 3 };
enum { ATOM = 0, ETH = 1 };

/* A world where the supplier supplied 100000 uusd and the borrower holds 1000 uatom
 * priced 2.0 (borrow limit 1500, liquidation limit 1600). */
static void world(struct lw *w)
{
    assert_int_equal(lw_init(w, NULL, 1000000), CW_OK);
    assert_int_equal(lw_supply(w, SUP, 100000), CW_OK);
    assert_int_equal(lw_app(w, LW_CREDIT, BOR, ATOM, 1000), CW_OK);
    assert_int_equal(lw_price(w, ATOM, 2 * WAD), CW_OK);
}

/* ---- borrow / release against the LTV ---------------------------------------------------- */

static void test_borrow_above_ltv_refused(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    uint64_t limit = 1000 * 2 * 7500 / 10000; /* pos × price × ltv */
    assert_int_equal(lw_borrow(&w, BOR, limit + 1), CW_EUNHEALTHY);
    assert_int_equal(lw_bal(&w, &w.addr[BOR]), 1000000);
    assert_int_equal(lw_borrow(&w, BOR, limit), CW_OK);
    assert_int_equal(lw_bal(&w, &w.addr[BOR]), 1000000 + limit);
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_EUNHEALTHY);
    lw_account a = lw_acct(&w, BOR);
    assert_u128_eq(a.debt, limit, "debt");
    assert_u128_eq(a.borrow_limit, limit, "borrow limit");
    /* a borrower with no collateral at all borrows nothing */
    assert_int_equal(lw_borrow(&w, OTH, 1), CW_EUNHEALTHY);
    assert_null(lw_check_books(&w, NULL, 0));
    lw_free(&w);
}

static void test_release_above_ltv_refused(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1000), CW_OK);
    /* 666 × 2 × 0.75 = 999 < 1000 */
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 334), CW_EUNHEALTHY);
    assert_int_equal(lw_pos(&w, BOR, ATOM), 1000);
    /* 667 × 2 × 0.75 = 1000.5 → 1000 ≥ 1000 */
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 333), CW_OK);
    uint64_t total, inflight;
    assert_int_equal(cw_lend_total(&w.kv, &total, "channel-0", "uatom"), CW_OK);
    assert_int_equal(cw_lend_inflight(&w.kv, &inflight, "channel-0", "uatom"), CW_OK);
    assert_int_equal(lw_pos(&w, BOR, ATOM), 667);
    assert_int_equal(total, 667);
    assert_int_equal(inflight, 333);
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 1), CW_EUNHEALTHY);
    /* more than the position */
    assert_int_equal(lw_app(&w, LW_DEBIT, OTH, ATOM, 1), CW_EINSUFFICIENT);
    lw_free(&w);
}

static void test_release_without_debt_needs_no_price(void **s)
{
    (void)s;
    struct lw w;
    assert_int_equal(lw_init(&w, NULL, 1000), CW_OK);
    assert_int_equal(lw_app(&w, LW_CREDIT, OTH, ETH, 50), CW_OK); /* ueth never priced */
    assert_int_equal(lw_app(&w, LW_DEBIT, OTH, ETH, 50), CW_OK);
    assert_int_equal(lw_pos(&w, OTH, ETH), 0);
    lw_free(&w);
}

/* ---- liquidation ----------------------------------------------------------------------------- */

static void test_liquidate_healthy_position_refused(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    /* liquidation limit 1000 × 2 × 0.8 = 1600 ≥ 1500: healthy */
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_ESTATE);
    /* exactly at health factor 1 (limit == debt) is still healthy: a second later, price
     * the collateral so that 1000 × 0.8 × price == debt exactly (price = debt × WAD / 800) */
    w.now += LW_SEC;
    cw_u128 d1 = lw_acct(&w, BOR).debt;
    assert_int_equal(lw_price(&w, ATOM, d1 * (WAD / 800)), CW_OK);
    assert_u128_eq(lw_acct(&w, BOR).liquidation_limit, d1, "limit == debt");
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_ESTATE);
    /* price 1.8 → limit 1440 < 1500 */
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD * 9 / 5), CW_OK);
    lw_account a = lw_acct(&w, BOR);
    assert_true(a.health_factor_wad < WAD);
    uint64_t before = lw_bal(&w, &w.addr[LIQ]);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 700, ATOM), CW_OK);
    uint64_t seize = (uint64_t)(muldiv(700 * 10500, WAD, WAD * 9 / 5, CW_ROUND_DOWN) / 10000);
    assert_int_equal(seize, 408); /* floor(700 × 1.05 / 1.8) = floor(408.33) */
    assert_int_equal(lw_pos(&w, LIQ, ATOM), seize);
    assert_int_equal(lw_pos(&w, BOR, ATOM), 1000 - seize);
    assert_int_equal(lw_bal(&w, &w.addr[LIQ]), before - 700);
    /* seized collateral moves between positions: the total (A's escrow) is unchanged */
    uint64_t total;
    assert_int_equal(cw_lend_total(&w.kv, &total, "channel-0", "uatom"), CW_OK);
    assert_int_equal(total, 1000);
    /* a borrower cannot liquidate itself */
    assert_int_equal(lw_liquidate(&w, BOR, BOR, 10, ATOM), CW_EINVAL);
    assert_null(lw_check_books(&w, NULL, 4));
    lw_free(&w);
}

/* The keeper's path (DESIGN §8 "Keeper"): the chain's quote refuses a healthy position and
 * one without debt; below health 0.95 it offers the whole debt; cw_liq_choose picks the denom
 * whose seize is worth most, and lend.liquidate does exactly what was chosen. The same
 * liquidation sent again (a second keeper) fails with nothing written; the borrower leaves
 * the index when its debt is gone. */
static void test_keeper_quote_choice_liquidates_as_chosen_and_once(void **s)
{
    (void)s;
    struct lw w;
    static cw_rpc_lend_quote q;
    cw_liq_choice ch;
    char kb[CW_KEY_MAX];
    const uint8_t *v;
    size_t vl;
    world(&w);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ETH, 80), CW_OK);
    assert_int_equal(lw_price(&w, ETH, 10 * WAD), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 1800), CW_OK); /* limit 1500 + 80 × 10 × 0.5 */
    cw_key_lend_borrower(kb, &w.addr[BOR]);
    assert_int_equal(cw_kv_get_s(&w.kv, kb, &v, &vl), CW_OK);
    /* healthy (1600 + 480 ≥ 1800): refused, nothing repayable */
    assert_int_equal(cw_lend_liquidation_quote(&w.kv, w.now, &w.addr[BOR], &q), CW_OK);
    assert_int_equal(q.refusal, (uint32_t)-CW_ESTATE);
    assert_true(q.health_factor_wad >= WAD && q.n == 2);
    assert_true(q.items[0].max_repay == 0 && q.items[1].max_repay == 0);
    /* no debt at all */
    assert_int_equal(cw_lend_liquidation_quote(&w.kv, w.now, &w.addr[OTH], &q), CW_OK);
    assert_int_equal(q.refusal, (uint32_t)-CW_ESTATE);
    assert_true(q.debt_value == 0 && q.n == 0);
    assert_int_equal(cw_kv_get_s(&w.kv, CW_KEY_LEND_BORROWERS_PREFIX "x", &v, &vl),
                     CW_ENOTFOUND);

    /* uatom falls to 1.0: limit 800 + 480 = 1280 < 0.95 × debt → the whole debt */
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD), CW_OK);
    assert_int_equal(lw_price(&w, ETH, 10 * WAD), CW_OK);
    cw_u128 debt = lw_acct(&w, BOR).debt;
    assert_int_equal(cw_lend_liquidation_quote(&w.kv, w.now, &w.addr[BOR], &q), CW_OK);
    assert_int_equal(q.refusal, 0);
    assert_string_equal(q.reason, "");
    assert_u128_eq(q.debt_value, debt, "quoted debt (uusd: the price unit)");
    assert_string_equal(q.items[0].asset, "uusd");
    assert_u128_eq(q.items[0].debt, debt, "quoted debt in uusd");
    assert_u128_eq(q.items[0].asset_price_wad, WAD, "the price unit is 1");
    assert_u128_eq(q.health_factor_wad, muldiv(1280, WAD, debt, CW_ROUND_DOWN), "health");
    assert_int_equal(q.n, 2);
    assert_string_equal(q.items[0].trace_denom, w.trace[ATOM]);
    assert_true(q.items[0].position == 1000 && q.items[0].fresh && q.items[0].bonus_bps == 500);
    assert_u128_eq(q.items[0].max_repay, debt, "full close below 0.95");
    assert_u128_eq(q.items[1].max_repay, debt, "full close below 0.95 (ueth)");
    /* uatom: all 1000 (worth 1000) for ceil(1000 / 1.05) = 953; ueth: all 80 (worth 800) */
    assert_int_equal(cw_liq_choose(&ch, q.items, q.n, UINT64_MAX), CW_OK);
    assert_int_equal(ch.index, 0);
    assert_int_equal(ch.repay, 953);
    assert_int_equal(ch.seize, 1000);
    uint64_t bal = lw_bal(&w, &w.addr[LIQ]);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, ch.repay, ATOM), CW_OK);
    assert_int_equal(lw_pos(&w, LIQ, ATOM), 1000);
    assert_int_equal(lw_pos(&w, BOR, ATOM), 0);
    assert_int_equal(lw_bal(&w, &w.addr[LIQ]), bal - 953);
    /* a second keeper sending the same liquidation: refused, nothing written (lw_run) */
    assert_int_equal(lw_liquidate(&w, OTH, BOR, ch.repay, ATOM), CW_EINSUFFICIENT);
    assert_int_equal(lw_pos(&w, OTH, ATOM), 0);
    assert_int_equal(cw_kv_get_s(&w.kv, kb, &v, &vl), CW_OK); /* still owes */
    assert_null(lw_check_books(&w, NULL, 4));
    /* the rest: ueth, then the write-off; the borrower leaves the index */
    assert_int_equal(cw_lend_liquidation_quote(&w.kv, w.now, &w.addr[BOR], &q), CW_OK);
    assert_int_equal(q.refusal, 0);
    assert_int_equal(cw_liq_choose(&ch, q.items, q.n, UINT64_MAX), CW_OK);
    assert_string_equal(q.items[ch.index].trace_denom, w.trace[ETH]);
    assert_int_equal(ch.seize, 80);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, ch.repay, ETH), CW_OK);
    assert_u128_eq(lw_acct(&w, BOR).debt, 0, "debt written off");
    assert_int_equal(cw_kv_get_s(&w.kv, kb, &v, &vl), CW_ENOTFOUND);
    assert_int_equal(cw_kv_get_s(&w.kv, CW_KEY_LEND_BORROWER_COUNT, &v, &vl), CW_ENOTFOUND);
    assert_null(lw_check_books(&w, NULL, 4));
    lw_free(&w);
}

/* The quote over several markets (DESIGN §8 "Keeper"): one item per debt market × collateral
 * held, each with its market's asset, debt, the asset's price and its own max_repay (0 while
 * that market's liquidation is paused); cw_liq_choose ranks the pairs by seize value in the
 * price unit, within what the keeper holds of each asset; lend.liquidate in the chosen market
 * does exactly that, and the borrower index counts the markets still owed. */
static void test_keeper_quote_per_debt_market(void **s)
{
    (void)s;
    struct lw w;
    static cw_rpc_lend_quote q;
    cw_liq_choice ch;
    uint64_t markets = 0;
    bool present;
    world(&w);
    assert_int_equal(lw_supply_in(&w, OTH, 1, 10000), CW_OK);
    assert_int_equal(lw_price_asset(&w, 1, 2 * WAD), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 500), CW_OK);
    assert_int_equal(lw_borrow_in(&w, BOR, 1, 400), CW_OK); /* worth 800 uusd */
    assert_int_equal(lw_borrower_markets(&w, BOR, &markets, &present), CW_OK);
    assert_true(present && markets == 2);
    /* uatom falls to 1.0: 1000 × 0.8 = 800 against 1300 → health 0.615, the whole debt */
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD), CW_OK);
    assert_int_equal(lw_price_asset(&w, 1, 2 * WAD), CW_OK);
    assert_int_equal(cw_lend_liquidation_quote(&w.kv, w.now, &w.addr[BOR], &q), CW_OK);
    assert_int_equal(q.refusal, 0);
    assert_u128_eq(q.debt_value, lw_acct(&w, BOR).debt_value, "debt value");
    assert_int_equal(q.n, 2); /* two markets × the one collateral held */
    assert_string_equal(q.items[0].asset, "uusd");
    assert_string_equal(q.items[1].asset, "ueur");
    assert_u128_eq(q.items[0].asset_price_wad, WAD, "uusd: the price unit");
    assert_u128_eq(q.items[1].asset_price_wad, 2 * WAD, "ueur's price");
    assert_u128_eq(q.items[0].debt, lw_acct_in(&w, BOR, 0).debt, "uusd debt");
    assert_u128_eq(q.items[1].debt, lw_acct_in(&w, BOR, 1).debt, "ueur debt");
    assert_u128_eq(q.items[1].max_repay, q.items[1].debt, "full close in ueur");
    assert_string_equal(q.items[1].trace_denom, w.trace[ATOM]);
    /* ueur: all 400 seize floor(400 × 2 × 1.05) = 840 uatom (worth 840); uusd: 500 → 525 */
    assert_int_equal(cw_liq_choose(&ch, q.items, q.n, UINT64_MAX), CW_OK);
    assert_int_equal(ch.index, 1);
    assert_int_equal(ch.seize, q.items[1].debt * 2 * 105 / 100);
    /* a keeper holding only 100 ueur: 210 uatom, so the uusd repay wins */
    static cw_rpc_lend_quote capped;
    capped = q;
    capped.items[1].max_repay = 100;
    assert_int_equal(cw_liq_choose(&ch, capped.items, capped.n, UINT64_MAX), CW_OK);
    assert_int_equal(ch.index, 0);
    /* liquidation paused in ueur: its items repay nothing, uusd's still may */
    assert_int_equal(lw_pause_in(&w, &w.admin, 1, CW_LEND_ACTION_LIQUIDATE, true), CW_OK);
    assert_int_equal(cw_lend_liquidation_quote(&w.kv, w.now, &w.addr[BOR], &q), CW_OK);
    assert_int_equal(q.refusal, 0);
    assert_true(q.n == 2 && q.items[1].max_repay == 0 && q.items[0].max_repay > 0);
    assert_int_equal(cw_liq_choose(&ch, q.items, q.n, UINT64_MAX), CW_OK);
    assert_int_equal(ch.index, 0);
    assert_int_equal(lw_pause_in(&w, &w.admin, 1, CW_LEND_ACTION_LIQUIDATE, false), CW_OK);
    /* the chosen ueur liquidation: exactly as chosen; the index now counts one market */
    assert_int_equal(cw_lend_liquidation_quote(&w.kv, w.now, &w.addr[BOR], &q), CW_OK);
    assert_int_equal(cw_liq_choose(&ch, q.items, q.n, UINT64_MAX), CW_OK);
    assert_int_equal(ch.index, 1);
    uint64_t eur = lw_bal_in(&w, &w.addr[LIQ], 1);
    assert_int_equal(lw_liquidate_in(&w, LIQ, BOR, 1, ch.repay, ATOM), CW_OK);
    assert_int_equal(lw_pos(&w, LIQ, ATOM), ch.seize);
    assert_int_equal(lw_bal_in(&w, &w.addr[LIQ], 1), eur - ch.repay);
    assert_u128_eq(lw_acct_in(&w, BOR, 1).debt, 0, "ueur debt repaid");
    assert_int_equal(lw_borrower_markets(&w, BOR, &markets, &present), CW_OK);
    assert_true(present && markets == 1);
    assert_null(lw_check_books(&w, NULL, 4));
    lw_free(&w);
}

static void test_liquidate_above_close_factor_refused(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    assert_int_equal(lw_price(&w, ATOM, WAD * 9 / 5), CW_EINVAL); /* same time: not newer */
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD * 9 / 5), CW_OK);
    cw_u128 debt = lw_acct(&w, BOR).debt;
    uint64_t max = (uint64_t)muldiv(debt, 5000, 10000, CW_ROUND_DOWN);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, max + 1, ATOM), CW_EINVAL);
    assert_int_equal(lw_pos(&w, LIQ, ATOM), 0);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, max, ATOM), CW_OK);
    lw_free(&w);
}

static void test_seize_capped_by_position_repay_rounded_up(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ETH, 10), CW_OK);
    assert_int_equal(lw_price(&w, ETH, 10 * WAD), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 1550), CW_OK); /* 1500 + 10 × 10 × 0.5 */
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD * 3 / 2), CW_OK); /* 1200 + 60 < 1550 */
    assert_int_equal(lw_price(&w, ETH, 10 * WAD), CW_OK);
    cw_u128 scaled0 = lw_acct(&w, BOR).scaled_debt, index = lw_market(&w).borrow_index_wad;
    uint64_t bal0 = lw_bal(&w, &w.addr[LIQ]);
    /* repay 700 would seize floor(700 × 1.1 / 10) = 77 ueth; the position holds 10 */
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 700, ETH), CW_OK);
    uint64_t repay = (uint64_t)muldiv(10 * 10000, 10 * WAD, 11000 * WAD, CW_ROUND_UP);
    assert_int_equal(repay, 91); /* ceil(10 × 10 / 1.1) = ceil(90.909) */
    assert_int_equal(lw_bal(&w, &w.addr[LIQ]), bal0 - repay);
    assert_int_equal(lw_pos(&w, LIQ, ETH), 10);
    assert_int_equal(lw_pos(&w, BOR, ETH), 0);
    /* the borrower still holds uatom: no write-off */
    cw_u128 scaled1 = scaled0 - muldiv(repay, WAD, index, CW_ROUND_DOWN);
    assert_u128_eq(lw_acct(&w, BOR).debt, muldiv(scaled1, index, WAD, CW_ROUND_UP),
                   "debt after capped liquidation");
    assert_u128_eq(lw_market(&w).bad_debt, 0, "bad debt");
    lw_free(&w);
}

static void test_bad_debt_written_off_and_recorded(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    /* another borrower pays interest for a month, so reserves exist */
    assert_int_equal(lw_app(&w, LW_CREDIT, OTH, ATOM, 100000), CW_OK);
    assert_int_equal(lw_borrow(&w, OTH, 90000), CW_OK);
    w.now += 30 * 24 * 3600 * LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD), CW_OK); /* crash to 1.0 */
    cw_lend_market m0 = lw_market(&w);
    assert_true(m0.reserves > 0);

    cw_u128 debt = lw_acct(&w, BOR).debt;
    uint64_t r1 = (uint64_t)muldiv(debt, 5000, 10000, CW_ROUND_DOWN);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, r1, ATOM), CW_OK);
    uint64_t seize1 = (uint64_t)(muldiv((cw_u128)r1 * 10500, WAD, WAD, CW_ROUND_DOWN) / 10000);
    assert_int_equal(lw_pos(&w, BOR, ATOM), 1000 - seize1);
    assert_u128_eq(lw_market(&w).bad_debt, 0, "no write-off while collateral remains");

    /* second liquidation takes the last collateral: the remainder is written off */
    uint64_t left = 1000 - seize1;
    cw_u128 debt2 = lw_acct(&w, BOR).debt;
    uint64_t r2 = (uint64_t)muldiv(debt2, 5000, 10000, CW_ROUND_DOWN);
    uint64_t cut = (uint64_t)muldiv((cw_u128)left * 10000, WAD, 10500 * WAD, CW_ROUND_UP);
    assert_true(cut < r2);
    size_t ev0 = w.ev.count;
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, r2, ATOM), CW_OK);
    assert_int_equal(w.ev.count, ev0 + 2); /* lend_liquidate + lend_bad_debt */
    assert_int_equal(lw_pos(&w, BOR, ATOM), 0);
    lw_account a = lw_acct(&w, BOR);
    assert_u128_eq(a.debt, 0, "written-off debt");
    cw_lend_market m = lw_market(&w);
    cw_u128 owed = debt2 - cut; /* what the borrower still owed, rounded up */
    assert_true(m.bad_debt <= owed && m.bad_debt + 1 >= owed);
    cw_u128 from_res = m0.reserves < m.bad_debt ? m0.reserves : m.bad_debt;
    assert_u128_eq(m.bad_debt_from_reserves, from_res, "absorbed by reserves");
    assert_u128_eq(m.bad_debt_socialized, m.bad_debt - from_res, "socialized");
    assert_u128_eq(m.reserves, m0.reserves - from_res, "reserves after write-off");
    assert_null(lw_check_books(&w, NULL, 8));
    /* nothing left to liquidate */
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 1, ATOM), CW_ESTATE);
    lw_free(&w);
}

/* ---- liquidations that always clear, bad debt that cannot hide (DESIGN §8) ------------------ */

/* A borrow of `amount` against the world's 1000 uatom, then a month of interest so the
 * borrow index is above 1.0 (floor(1 × WAD / index) = 0). */
static void world_indexed_debt(struct lw *w, uint64_t amount)
{
    world(w);
    assert_int_equal(lw_borrow(w, BOR, amount), CW_OK);
    w->now += 30ull * 24 * 3600 * LW_SEC;
    assert_true(lw_market(w).borrow_index_wad > WAD);
}

/* Before: the capped repay of a position worth 0.1 uusd is ceil(0.1 / 1.05) = 1, which
 * removes floor(1 × WAD / index) = 0 scaled debt, so the liquidation was refused and the
 * write-off never reached: health 0, debt accruing, unliquidatable forever. */
static void test_worthless_collateral_seized_and_rest_written_off(void **s)
{
    (void)s;
    struct lw w;
    world_indexed_debt(&w, 1500);
    assert_int_equal(lw_price(&w, ATOM, WAD / 10000), CW_OK); /* 1000 uatom worth 0.1 */
    cw_u128 debt = lw_acct(&w, BOR).debt;
    uint64_t bal0 = lw_bal(&w, &w.addr[LIQ]);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_OK);
    assert_int_equal(lw_pos(&w, BOR, ATOM), 0);
    assert_int_equal(lw_pos(&w, LIQ, ATOM), 1000);
    assert_int_equal(lw_bal(&w, &w.addr[LIQ]), bal0 - 1); /* ceil(1000 × 1e-4 / 1.05) */
    assert_u128_eq(lw_acct(&w, BOR).debt, 0, "debt after the write-off");
    cw_lend_market m = lw_market(&w);
    /* everything but the 1 repaid (which removed no scaled debt) is recorded as bad debt */
    assert_true(m.bad_debt + 1 >= debt - 1 && m.bad_debt <= debt);
    assert_u128_eq(m.bad_debt, m.bad_debt_from_reserves + m.bad_debt_socialized, "split");
    assert_null(lw_check_books(&w, NULL, 8));
    lw_free(&w);

    /* the same collapse, then the price goes stale: the dust cannot be priced to seize, but
     * nothing worth a base unit is left, so the liquidation writes the debt off alone */
    world_indexed_debt(&w, 1500);
    assert_int_equal(lw_price(&w, ATOM, WAD / 10000), CW_OK);
    w.now += 61 * LW_SEC;
    debt = lw_acct(&w, BOR).debt;
    bal0 = lw_bal(&w, &w.addr[LIQ]);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_OK);
    assert_int_equal(lw_bal(&w, &w.addr[LIQ]), bal0);    /* nothing paid */
    assert_int_equal(lw_pos(&w, BOR, ATOM), 1000);         /* nothing seized */
    assert_u128_eq(lw_acct(&w, BOR).debt, 0, "debt after the write-off");
    m = lw_market(&w);
    assert_true(m.bad_debt + 1 >= debt && m.bad_debt <= debt);
    assert_null(lw_check_books(&w, NULL, 8));
    lw_free(&w);
}

/* Before: any nonzero second position counted as "collateral left", priced or not, so one
 * base unit of a registered collateral kept the debt from ever being written off. Now a
 * holding counts only when worth at least one base unit of the borrowable asset (Aave v3.3:
 * collateral zero in the base currency). */
static void test_dust_or_unpriced_second_collateral_does_not_block_write_off(void **s)
{
    (void)s;
    for (int unpriced = 0; unpriced < 2; unpriced++) {
        struct lw w;
        world(&w);
        if (unpriced) {
            assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ETH, 5), CW_OK); /* never priced */
        } else {
            assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ETH, 1), CW_OK);
            assert_int_equal(lw_price(&w, ETH, WAD / 2), CW_OK); /* worth 0.5 uusd */
        }
        assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
        w.now += LW_SEC;
        assert_int_equal(lw_price(&w, ATOM, WAD / 2), CW_OK); /* 1000 uatom worth 500 */
        if (!unpriced)
            assert_int_equal(lw_price(&w, ETH, WAD / 2), CW_OK);
        /* repay 750 would seize 1575 uatom: capped at 1000, repay cut to ceil(500 / 1.05) */
        assert_int_equal(lw_liquidate(&w, LIQ, BOR, 750, ATOM), CW_OK);
        assert_int_equal(lw_pos(&w, BOR, ATOM), 0);
        assert_u128_eq(lw_acct(&w, BOR).debt, 0, "debt written off");
        assert_true(lw_market(&w).bad_debt > 0);
        /* the dust stays with the borrower, who owes nothing */
        assert_int_equal(lw_pos(&w, BOR, ETH), unpriced ? 5 : 1);
        assert_null(lw_check_books(&w, NULL, 8));
        lw_free(&w);
    }
}

/* Before: the write-off looked only at positions, so a release in flight was "nothing left";
 * its timeout then re-credited the position: debt 0, collateral back. */
static void test_release_in_flight_blocks_write_off_until_settled(void **s)
{
    (void)s;
    for (int acked = 0; acked < 2; acked++) {
        struct lw w;
        world(&w);
        assert_int_equal(lw_borrow(&w, BOR, 1000), CW_OK);
        assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 333), CW_OK); /* 667 left */
        w.now += LW_SEC;
        assert_int_equal(lw_price(&w, ATOM, WAD / 2), CW_OK);
        /* the rest is seized (capped: 667 < 1050); the 333 in flight is still the borrower's */
        assert_int_equal(lw_liquidate(&w, LIQ, BOR, 500, ATOM), CW_OK);
        assert_int_equal(lw_pos(&w, BOR, ATOM), 0);
        assert_u128_eq(lw_market(&w).bad_debt, 0, "no write-off while a release is in flight");
        cw_u128 debt = lw_acct(&w, BOR).debt;
        assert_true(debt > 0);
        /* with the release in flight, there is nothing to seize and nothing to write off */
        assert_int_equal(lw_liquidate(&w, LIQ, BOR, 1, ATOM), CW_EINSUFFICIENT);
        if (!acked) {
            /* timeout: the collateral comes back to a borrower who still owes the debt */
            assert_int_equal(lw_app(&w, LW_SETTLE_FAIL, BOR, ATOM, 333), CW_OK);
            assert_int_equal(lw_pos(&w, BOR, ATOM), 333);
            assert_u128_eq(lw_acct(&w, BOR).debt, debt, "debt kept");
            assert_true(lw_acct(&w, BOR).health_factor_wad < WAD);
            assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_OK);
        } else {
            /* paid out on A: now nothing is left, and a write-off (no seize) records it */
            assert_int_equal(lw_app(&w, LW_SETTLE_OK, BOR, ATOM, 333), CW_OK);
            size_t ev0 = w.ev.count;
            uint64_t bal0 = lw_bal(&w, &w.addr[LIQ]);
            assert_int_equal(lw_liquidate(&w, LIQ, BOR, 1, ATOM), CW_OK);
            assert_int_equal(w.ev.count, ev0 + 2); /* lend_liquidate + lend_bad_debt */
            assert_int_equal(lw_bal(&w, &w.addr[LIQ]), bal0); /* nothing paid */
            assert_u128_eq(lw_acct(&w, BOR).debt, 0, "written off");
            cw_lend_market m = lw_market(&w);
            assert_true(m.bad_debt + 1 >= debt && m.bad_debt <= debt);
        }
        assert_null(lw_check_books(&w, NULL, 8));
        lw_free(&w);
    }
}

/* Before: a stale price counted 0 for eligibility, so an outage of one denom made a solvent
 * borrower liquidatable (health 1.16 → 0.84 here) with no price change. Now (Aave v3
 * PriceOracleSentinel, per denom) a held position with a stale price blocks liquidation;
 * when the price resumes, a grace period lets the borrower act, during which only health
 * < 0.95 can be liquidated. Borrowing and withdrawing against the stale denom stay refused. */
static void test_stale_price_blocks_liquidation_with_grace_after_resume(void **s)
{
    (void)s;
    struct lw w;
    cw_lend_params p;
    lw_default_params(&p);
    p.liquidation_grace_ns = 120 * LW_SEC;
    assert_int_equal(lw_init(&w, &p, 1000000), CW_OK);
    assert_int_equal(lw_supply(&w, SUP, 100000), CW_OK);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, 1000), CW_OK);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ETH, 100), CW_OK);
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    assert_int_equal(lw_price(&w, ETH, 10 * WAD), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 1900), CW_OK); /* lt limit 1600 + 600 = 2200 */
    w.now += 40 * LW_SEC; /* uatom stays fresh (no grace of its own); ueth goes stale */
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    w.now += 21 * LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    assert_true(lw_acct(&w, BOR).health_factor_wad < WAD); /* as it reads: 1600 / 1900 */
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_ESTALE);
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_EUNHEALTHY);
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ETH, 1), CW_EUNHEALTHY);
    /* the price resumes lower: 1600 + 240 = 1840, health 0.968 — in the grace period */
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ETH, 4 * WAD), CW_OK);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_ESTALE);
    /* the borrower uses the grace: repays 100 → healthy again */
    assert_int_equal(lw_repay(&w, BOR, 100, -1), CW_OK);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_ESTATE);
    /* within the grace, a deep fall (health < 0.95) is liquidatable at once */
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ETH, WAD), CW_OK); /* 1600 + 60 = 1660 / ~1800: 0.92 */
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_OK);
    lw_free(&w);

    /* after the grace, the ordinary rule: health < 1 */
    assert_int_equal(lw_init(&w, &p, 1000000), CW_OK);
    assert_int_equal(lw_supply(&w, SUP, 100000), CW_OK);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, 1000), CW_OK);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ETH, 100), CW_OK);
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    assert_int_equal(lw_price(&w, ETH, 10 * WAD), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 1900), CW_OK);
    w.now += 40 * LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    w.now += 21 * LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    assert_int_equal(lw_price(&w, ETH, 4 * WAD), CW_OK); /* resumes: grace until +120 s */
    for (int i = 0; i < 3; i++) { /* fresh updates keep the grace's start */
        w.now += 40 * LW_SEC - (i == 2); /* the last: 1 ns before the grace ends */
        assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
        assert_int_equal(lw_price(&w, ETH, 4 * WAD), CW_OK);
    }
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_ESTALE);
    w.now += 1;
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_OK);
    lw_free(&w);

    /* no new borrowing against a denom in its grace period (the sentinel's isBorrowAllowed):
     * it counts 0 in the borrow limit until the grace has passed */
    world(&w);
    cw_lend_params q;
    assert_int_equal(cw_lend_market_read(&w.kv, NULL, 0, &q, NULL), CW_OK);
    q.liquidation_grace_ns = 120 * LW_SEC;
    assert_int_equal(lw_update_as(&w, &w.admin, &q, -1, 0, 0, 0), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 100), CW_OK);
    w.now += 61 * LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK); /* resumes */
    assert_u128_eq(lw_acct(&w, BOR).borrow_limit, 0, "borrow limit in the grace");
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_EUNHEALTHY);
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 1), CW_EUNHEALTHY);
    assert_int_equal(lw_repay(&w, BOR, 10, -1), CW_OK); /* repaying is never gated */
    for (int i = 0; i < 3; i++) {
        w.now += 40 * LW_SEC;
        assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    }
    assert_u128_eq(lw_acct(&w, BOR).borrow_limit, 1500, "borrow limit after the grace");
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_OK);
    lw_free(&w);
}

/* Before: the close factor was always 50%: a debt of 3 could repay at most 1, which removes
 * no scaled debt once the index is above 1.0 — unliquidatable. Now (Aave v3) the whole debt
 * may be repaid below health 0.95, when a close-factor repay removes no scaled debt, or when
 * it would leave the debt (or the seized position) below dust_threshold. */
static void test_close_factor_full_below_095_and_for_dust(void **s)
{
    (void)s;
    struct lw w;
    /* a 2-unit borrow owing 3 after a month, collateral collapsed */
    world_indexed_debt(&w, 2);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, 1000), CW_OK); /* 2000 uatom */
    assert_int_equal(lw_price(&w, ATOM, WAD / 1000 * 3 / 2), CW_OK);  /* lt value 2 */
    cw_u128 debt = lw_acct(&w, BOR).debt;
    assert_u128_eq(debt, 3, "debt");
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 3, ATOM), CW_OK);
    assert_u128_eq(lw_acct(&w, BOR).debt, 0, "small debt cleared");
    assert_u128_eq(lw_market(&w).bad_debt, 0, "no bad debt");
    lw_free(&w);

    /* health 0.907 < 0.95: the whole debt in one liquidation */
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD * 17 / 10), CW_OK); /* lt 1360 */
    debt = lw_acct(&w, BOR).debt;
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, (uint64_t)debt + 1, ATOM), CW_EINVAL);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, (uint64_t)debt, ATOM), CW_OK);
    assert_u128_eq(lw_acct(&w, BOR).debt, 0, "closed in full");
    lw_free(&w);

    /* health 0.96: 50% — unless the rest would be dust */
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD * 9 / 5), CW_OK); /* lt 1440 */
    debt = lw_acct(&w, BOR).debt;
    uint64_t half = (uint64_t)muldiv(debt, 5000, 10000, CW_ROUND_DOWN);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, half + 1, ATOM), CW_EINVAL);
    cw_lend_params p;
    assert_int_equal(cw_lend_market_read(&w.kv, NULL, 0, &p, NULL), CW_OK);
    p.dust_threshold = (uint64_t)(debt - half) + 1; /* what 50% would leave is dust */
    assert_int_equal(lw_update_as(&w, &w.admin, &p, -1, 0, 0, 0), CW_OK);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, half + 1, ATOM), CW_OK);
    lw_free(&w);
}

/* ---- oracle ---------------------------------------------------------------------------------- */

static void test_oracle_zero_price_refused(void **s)
{
    (void)s;
    struct lw w;
    assert_int_equal(lw_init(&w, NULL, 0), CW_OK);
    assert_int_equal(lw_price(&w, ATOM, 0), CW_EINVAL);
    assert_int_equal(lw_price(&w, ATOM, CW_LEND_MAX_PRICE_WAD + 1), CW_EINVAL);
    cw_u128 p;
    uint64_t t;
    assert_int_equal(cw_lend_price(&w.kv, &p, &t, w.trace[ATOM]), CW_ENOTFOUND);
    lw_free(&w);
}

static void test_oracle_price_time_in_future_refused(void **s)
{
    (void)s;
    struct lw w;
    assert_int_equal(lw_init(&w, NULL, 0), CW_OK);
    assert_int_equal(lw_set_price_as(&w, &w.oracle, w.trace[ATOM], WAD, w.now + 1), CW_EINVAL);
    assert_int_equal(lw_set_price_as(&w, &w.oracle, w.trace[ATOM], WAD, w.now), CW_OK);
    lw_free(&w);
}

static void test_oracle_non_increasing_time_refused(void **s)
{
    (void)s;
    struct lw w;
    assert_int_equal(lw_init(&w, NULL, 0), CW_OK);
    w.now += 10 * LW_SEC;
    assert_int_equal(lw_set_price_as(&w, &w.oracle, w.trace[ATOM], WAD, w.now - 5), CW_OK);
    assert_int_equal(lw_set_price_as(&w, &w.oracle, w.trace[ATOM], 2 * WAD, w.now - 5),
                     CW_EINVAL); /* equal */
    assert_int_equal(lw_set_price_as(&w, &w.oracle, w.trace[ATOM], 2 * WAD, w.now - 6),
                     CW_EINVAL); /* older: a replayed price */
    cw_u128 p;
    uint64_t t;
    assert_int_equal(cw_lend_price(&w.kv, &p, &t, w.trace[ATOM]), CW_OK);
    assert_u128_eq(p, WAD, "price kept");
    assert_int_equal(t, w.now - 5);
    /* per denom: another denom has its own clock */
    assert_int_equal(lw_set_price_as(&w, &w.oracle, w.trace[ETH], WAD, w.now - 9), CW_OK);
    lw_free(&w);
}

static void test_oracle_malformed_denom_and_price_refused(void **s)
{
    (void)s;
    struct lw w;
    assert_int_equal(lw_init(&w, NULL, 0), CW_OK);
    assert_int_equal(lw_set_price_as(&w, &w.oracle, "uatom", WAD, w.now), CW_EINVAL);
    char lower[CW_LEND_TRACE_DENOM_LEN + 1];
    memcpy(lower, w.trace[ATOM], sizeof lower);
    for (char *c = lower + 4; *c; c++)
        if (*c >= 'A' && *c <= 'F')
            *c = (char)(*c - 'A' + 'a');
    assert_int_equal(lw_set_price_as(&w, &w.oracle, lower, WAD, w.now), CW_EINVAL);
    cw_enc e; /* a 15-byte price */
    cw_enc_init(&e);
    cw_enc_array(&e, 3);
    cw_enc_cstr(&e, w.trace[ATOM]);
    cw_enc_bin(&e, "123456789012345", 15);
    cw_enc_u64(&e, w.now);
    assert_int_equal(lw_run_body(&w, &w.oracle, CW_MSG_ORACLE_SET_PRICE, &e), CW_EMALFORMED);
    lw_free(&w);
}

/* ---- stale prices --------------------------------------------------------------------------- */

static void test_stale_price_counts_zero_for_borrow_release_and_seize(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1000), CW_OK);
    w.now += 60 * LW_SEC; /* exactly max age: still fresh */
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_OK);
    w.now += 1; /* one ns older than max_price_age */
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_EUNHEALTHY);
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 1), CW_EUNHEALTHY);
    lw_account a = lw_acct(&w, BOR);
    assert_u128_eq(a.borrow_limit, 0, "stale borrow limit");
    assert_u128_eq(a.liquidation_limit, 0, "stale liquidation limit");
    /* stale collateral makes the health factor 0, but seizing it needs a fresh price */
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 10, ATOM), CW_ESTALE);
    /* repay is never price-gated */
    assert_int_equal(lw_repay(&w, BOR, 100, -1), CW_OK);
    lw_free(&w);
}

static void test_stale_position_counts_zero_for_limits_and_blocks_liquidation(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    /* one unit of ueth at an absurd price would cover any debt if a stale price counted */
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ETH, 1), CW_OK);
    assert_int_equal(lw_price(&w, ETH, CW_LEND_MAX_PRICE_WAD), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    w.now += 61 * LW_SEC; /* ueth goes stale; uatom is refreshed lower */
    assert_int_equal(lw_price(&w, ATOM, WAD * 9 / 5), CW_OK);
    lw_account a = lw_acct(&w, BOR);
    assert_u128_eq(a.borrow_limit, 1000 * 18 * 7500 / 100000, "borrow limit: uatom only");
    assert_u128_eq(a.liquidation_limit, 1000 * 18 * 8000 / 100000, "liq. limit: uatom only");
    assert_true(a.health_factor_wad < WAD);
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_EUNHEALTHY);
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 1), CW_EUNHEALTHY);
    /* but no liquidation on the strength of the stale price: neither denom */
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 10, ETH), CW_ESTALE);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 700, ATOM), CW_ESTALE);
    assert_int_equal(lw_pos(&w, LIQ, ATOM), 0);
    lw_free(&w);

    /* a stale position worth less than one base unit at its last price blocks nothing */
    world(&w);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ETH, 1), CW_OK);
    assert_int_equal(lw_price(&w, ETH, WAD / 2), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    w.now += 61 * LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD * 9 / 5), CW_OK);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 700, ATOM), CW_OK);
    assert_int_equal(lw_pos(&w, LIQ, ATOM), 408);
    lw_free(&w);
}

/* ---- parameters ------------------------------------------------------------------------------ */

static void expect_bad_params(const cw_lend_params *p, const char *rule)
{
    char err[256] = "";
    assert_int_equal(cw_lend_params_validate(p, err, sizeof err), CW_EINVAL);
    assert_true(err[0] != '\0');
    /* genesis refuses it and writes nothing */
    cw_kv_cache *c;
    assert_int_equal(cw_kv_cache_create(&c, NULL), CW_OK);
    cw_kv kv = cw_kv_cache_kv(c);
    if (cw_lend_genesis(&kv, p, err, sizeof err) != CW_EINVAL)
        fail_msg("genesis accepted params breaking: %s", rule);
    assert_int_equal(cw_kv_cache_pending(c), 0);
    cw_kv_cache_destroy(c);
}

static void test_invalid_market_params_each_rule(void **s)
{
    (void)s;
    cw_lend_params ok, p;
    char err[256];
    lw_default_params(&ok);
    assert_int_equal(cw_lend_params_validate(&ok, err, sizeof err), CW_OK);
#define BAD(rule, mutation)                                                                   \
    do {                                                                                      \
        p = ok;                                                                               \
        mutation;                                                                             \
        expect_bad_params(&p, rule);                                                          \
    } while (0)
    BAD("close_factor > 0", p.close_factor_bps = 0);
    BAD("close_factor <= 10000", p.close_factor_bps = 10001);
    BAD("reserve_factor < 10000", p.reserve_factor_bps = 10000);
    BAD("kink > 0", p.kink_wad = 0);
    BAD("kink <= WAD", p.kink_wad = WAD + 1);
    BAD("rate sum bound", p.slope2_wad = CW_LEND_MAX_RATE_WAD - p.base_rate_wad - p.slope1_wad + 1);
    BAD("base rate bound", p.base_rate_wad = CW_LEND_MAX_RATE_WAD + 1);
    BAD("slope overflow", (p.slope1_wad = CW_U128_MAX, p.slope2_wad = 2));
    BAD("max_price_age > 0", p.max_price_age_ns = 0);
    BAD("admin key", memset(p.admin.b, 0, 32));
    BAD("oracle key", memset(p.oracle.b, 0, 32));
    BAD("borrow denom identifier", snprintf(p.borrow_denom, sizeof p.borrow_denom, "u/sd"));
    BAD("borrow denom empty", p.borrow_denom[0] = '\0');
#undef BAD
    /* boundaries that are allowed */
    p = ok;
    p.close_factor_bps = 10000;
    p.reserve_factor_bps = 9999;
    p.kink_wad = WAD;
    p.base_rate_wad = CW_LEND_MAX_RATE_WAD - p.slope1_wad - p.slope2_wad;
    assert_int_equal(cw_lend_params_validate(&p, err, sizeof err), CW_OK);

    /* update_market runs the same rules and changes nothing when one fails */
    struct lw w;
    assert_int_equal(lw_init(&w, NULL, 0), CW_OK);
    p = ok;
    p.close_factor_bps = 0;
    assert_int_equal(lw_update_as(&w, &w.admin, &p, -1, 0, 0, 0), CW_EINVAL);
    p = ok;
    p.reserve_factor_bps = 10000;
    assert_int_equal(lw_update_as(&w, &w.admin, &p, -1, 0, 0, 0), CW_EINVAL);
    p = ok;
    p.close_factor_bps = 7000;
    p.liquidation_grace_ns = 90 * LW_SEC;
    p.dust_threshold = 12345;
    assert_int_equal(lw_update_as(&w, &w.admin, &p, -1, 0, 0, 0), CW_OK);
    cw_lend_params got;
    assert_int_equal(cw_lend_market_read(&w.kv, NULL, 0, &got, NULL), CW_OK);
    assert_int_equal(got.close_factor_bps, 7000);
    assert_int_equal(got.liquidation_grace_ns, 90 * LW_SEC);
    assert_int_equal(got.dust_threshold, 12345);
    /* genesis twice */
    assert_int_equal(cw_lend_genesis(&w.kv, &ok, err, sizeof err), CW_EEXISTS);
    lw_free(&w);
}

static void test_invalid_collateral_params_each_rule(void **s)
{
    (void)s;
    char err[256];
    assert_int_equal(cw_lend_collateral_params_validate(7500, 7500, 0, err, sizeof err),
                     CW_EINVAL); /* ltv == lt */
    assert_int_equal(cw_lend_collateral_params_validate(8000, 7500, 0, err, sizeof err),
                     CW_EINVAL); /* ltv > lt */
    assert_int_equal(cw_lend_collateral_params_validate(5000, 10000, 0, err, sizeof err),
                     CW_EINVAL); /* lt == 100% */
    /* 8000 × (10000 + 2500) == 10^8: a liquidation would not improve health */
    assert_int_equal(cw_lend_collateral_params_validate(7000, 8000, 2500, err, sizeof err),
                     CW_EINVAL);
    assert_int_equal(cw_lend_collateral_params_validate(7000, 8000, 2499, err, sizeof err),
                     CW_OK);
    assert_int_equal(cw_lend_collateral_params_validate(0, 1, UINT32_MAX, err, sizeof err),
                     CW_EINVAL); /* no overflow in the product */

    struct lw w;
    assert_int_equal(lw_init(&w, NULL, 0), CW_OK);
    assert_int_equal(lw_channel(&w, "channel-2", 3), CW_OK);
    assert_int_equal(lw_register_as(&w, &w.admin, "channel-2", "uosmo", 8000, 8000, 0),
                     CW_EINVAL);
    assert_int_equal(lw_register_as(&w, &w.admin, "channel-2", "uosmo", 7000, 8000, 2500),
                     CW_EINVAL);
    cw_enc e; /* a bonus above u32: no cw_msg_lend_register_collateral holds it */
    cw_enc_init(&e);
    cw_enc_array(&e, 5);
    cw_enc_cstr(&e, "channel-2");
    cw_enc_cstr(&e, "uosmo");
    cw_enc_u64(&e, 7000);
    cw_enc_u64(&e, 8000);
    cw_enc_u64(&e, 1ull << 32);
    assert_int_equal(lw_run_body(&w, &w.admin, CW_MSG_LEND_REGISTER_COLLATERAL, &e), CW_EINVAL);
    assert_int_equal(lw_update_as(&w, &w.admin, NULL, ATOM, 9000, 8000, 0), CW_EINVAL);
    assert_int_equal(lw_update_as(&w, &w.admin, NULL, ATOM, 6000, 7000, 300), CW_OK);
    cw_lend_collateral c;
    assert_int_equal(cw_lend_collateral_lookup(&w.kv, &c, "channel-0", "uatom"), CW_OK);
    assert_int_equal(c.ltv_bps, 6000);
    assert_int_equal(c.liquidation_threshold_bps, 7000);
    assert_int_equal(c.liquidation_bonus_bps, 300);
    lw_free(&w);
}

static void test_params_from_json_strict(void **s)
{
    (void)s;
    const char *good =
        "{\"borrow_denom\":\"uusd\",\"base_rate_wad\":\"0\",\"slope1_wad\":\"1000000000\","
        "\"kink_wad\":\"800000000000000000\",\"slope2_wad\":\"5000000000\","
        "\"close_factor_bps\":5000,\"reserve_factor_bps\":1000,"
        "\"max_price_age_ns\":60000000000,"
        "\"admin\":\"adadadadadadadadadadadadadadadadadadadadadadadadadadadadadadadad\"}";
    json_error_t je;
    cw_lend_params p;
    char err[256];
    json_t *o = json_loads(good, 0, &je);
    assert_non_null(o);
    assert_int_equal(cw_lend_params_from_json(o, "genesis.json", &p, err, sizeof err), CW_OK);
    assert_string_equal(p.borrow_denom, "uusd");
    assert_u128_eq(p.kink_wad, WAD / 10 * 8, "kink");
    assert_int_equal(p.admin.b[0], 0xad);
    assert_int_equal(p.oracle.b[0], 0); /* left to the caller */
    assert_int_equal(p.liquidation_grace_ns, 0); /* optional: no grace, no dust threshold */
    assert_int_equal(p.dust_threshold, 0);
    json_object_set_new(o, "liquidation_grace_ns", json_integer(300000000000));
    json_object_set_new(o, "dust_threshold", json_integer(1000));
    assert_int_equal(cw_lend_params_from_json(o, "genesis.json", &p, err, sizeof err), CW_OK);
    assert_int_equal(p.liquidation_grace_ns, 300000000000ull);
    assert_int_equal(p.dust_threshold, 1000);
    assert_int_equal(p.supply_cap, 0); /* optional: no caps */
    assert_int_equal(p.borrow_cap, 0);
    json_object_set_new(o, "supply_cap", json_integer(5000000));
    json_object_set_new(o, "borrow_cap", json_integer(4000000));
    assert_int_equal(cw_lend_params_from_json(o, "genesis.json", &p, err, sizeof err), CW_OK);
    assert_int_equal(p.supply_cap, 5000000);
    assert_int_equal(p.borrow_cap, 4000000);
    json_object_set_new(o, "borrow_cap", json_integer(-1));
    assert_int_equal(cw_lend_params_from_json(o, "genesis.json", &p, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "borrow_cap"));
    json_decref(o);

    static const struct {
        const char *patch_key, *patch_json, *field;
    } bad[] = {
        {"close_factor_bps", "0", "close_factor_bps"},
        {"reserve_factor_bps", "10000", "reserve_factor_bps"},
        {"kink_wad", "\"0\"", "kink"},
        {"slope2_wad", "\"1e9\"", "slope2_wad"},
        {"slope2_wad", "5000000000", "slope2_wad"}, /* a number, not a string */
        {"slope2_wad", "\"9000000000\"", "rates"},
        {"max_price_age_ns", "0", "max_price_age_ns"},
        {"borrow_denom", "\"u/sd\"", "borrow_denom"},
        {"admin", "\"zz\"", "admin"},
        {"bogus", "1", "bogus"},
        {"liquidation_grace_ns", "-1", "liquidation_grace_ns"},
        {"dust_threshold", "\"5\"", "dust_threshold"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o = json_loads(good, 0, &je);
        json_t *v = json_loads(bad[i].patch_json, JSON_DECODE_ANY, &je);
        assert_non_null(v);
        json_object_set_new(o, bad[i].patch_key, v);
        err[0] = '\0';
        assert_int_equal(cw_lend_params_from_json(o, "genesis.json", &p, err, sizeof err),
                         CW_EINVAL);
        if (!strstr(err, "genesis.json") || !strstr(err, bad[i].field))
            fail_msg("case %zu: error '%s' does not name the file and field %s", i, err,
                     bad[i].field);
        json_decref(o);
    }
    o = json_loads(good, 0, &je);
    json_object_del(o, "kink_wad");
    assert_int_equal(cw_lend_params_from_json(o, "g.json", &p, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "market.kink_wad: missing"));
    json_decref(o);
}

/* ---- amounts ------------------------------------------------------------------------------- */

static void test_zero_and_overflowing_amounts_refused(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_supply(&w, SUP, 0), CW_EINVAL);
    assert_int_equal(lw_withdraw(&w, SUP, 0), CW_EINVAL);
    assert_int_equal(lw_borrow(&w, BOR, 0), CW_EINVAL);
    assert_int_equal(lw_repay(&w, BOR, 0, -1), CW_EINVAL);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 0, ATOM), CW_EINVAL);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, 0), CW_EINVAL);
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 0), CW_EINVAL);
    assert_int_equal(lw_app(&w, LW_SETTLE_FAIL, BOR, ATOM, 0), CW_EINVAL);
    /* u64 overflow of the position / total + in-flight */
    assert_int_equal(lw_app(&w, LW_CREDIT, OTH, ATOM, UINT64_MAX), CW_EOVERFLOW);
    assert_int_equal(lw_app(&w, LW_CREDIT, OTH, ATOM, UINT64_MAX - 1010), CW_OK);
    assert_int_equal(lw_app(&w, LW_DEBIT, OTH, ATOM, 5), CW_OK); /* in flight */
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, 10), CW_OK); /* total+inflight = max */
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, 1), CW_EOVERFLOW); /* total+inflight */
    assert_int_equal(lw_app(&w, LW_SETTLE_FAIL, OTH, ATOM, 5), CW_OK);   /* re-credit fits */
    /* the pool's cash would wrap: refused before the bank is asked */
    assert_int_equal(lw_supply(&w, OTH, UINT64_MAX), CW_EOVERFLOW);
    /* more than held */
    assert_int_equal(lw_supply(&w, OTH, 1000001), CW_EINSUFFICIENT);
    assert_int_equal(lw_withdraw(&w, OTH, 1), CW_EINSUFFICIENT);
    assert_int_equal(lw_withdraw(&w, SUP, 100001), CW_EINSUFFICIENT);
    assert_int_equal(lw_borrow(&w, OTH, 100001), CW_EINSUFFICIENT); /* pool cash */
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ETH, 1), CW_EINSUFFICIENT);
    /* a negative amount is not a u64 */
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 1);
    msgpack_pack_int64(&e.pk, -5);
    assert_int_equal(lw_run_body(&w, &w.user[SUP], CW_MSG_LEND_SUPPLY, &e), CW_EMALFORMED);
    /* wrong arity */
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    cw_enc_u64(&e, 1);
    cw_enc_u64(&e, 1);
    assert_int_equal(lw_run_body(&w, &w.user[SUP], CW_MSG_LEND_BORROW, &e), CW_EMALFORMED);
    assert_null(lw_check_books(&w, NULL, 0));
    lw_free(&w);
}

/* ---- authority ----------------------------------------------------------------------------- */

static void test_unauthorized_admin_and_oracle_msgs_refused(void **s)
{
    (void)s;
    struct lw w;
    assert_int_equal(lw_init(&w, NULL, 0), CW_OK);
    assert_int_equal(lw_channel(&w, "channel-2", 3), CW_OK);
    assert_int_equal(lw_register_as(&w, &w.user[OTH], "channel-2", "uosmo", 5000, 6000, 500),
                     CW_EUNAUTHORIZED);
    assert_int_equal(lw_register_as(&w, &w.oracle, "channel-2", "uosmo", 5000, 6000, 500),
                     CW_EUNAUTHORIZED);
    cw_lend_params p;
    lw_default_params(&p);
    assert_int_equal(lw_update_as(&w, &w.user[OTH], &p, -1, 0, 0, 0), CW_EUNAUTHORIZED);
    assert_int_equal(lw_update_as(&w, &w.oracle, NULL, ATOM, 1, 2, 3), CW_EUNAUTHORIZED);
    assert_int_equal(lw_pause_as(&w, &w.user[OTH], CW_LEND_ACTION_BORROW, true), CW_EUNAUTHORIZED);
    assert_int_equal(lw_set_price_as(&w, &w.admin, w.trace[ATOM], WAD, w.now),
                     CW_EUNAUTHORIZED);
    assert_int_equal(lw_set_price_as(&w, &w.user[OTH], w.trace[ATOM], WAD, w.now),
                     CW_EUNAUTHORIZED);
    /* the right keys */
    assert_int_equal(lw_register_as(&w, &w.admin, "channel-2", "uosmo", 5000, 6000, 500),
                     CW_OK);
    assert_int_equal(lw_set_price_as(&w, &w.oracle, w.trace[ATOM], WAD, w.now), CW_OK);
    lw_free(&w);
}

static void test_register_collateral_once_and_only_on_open_channel(void **s)
{
    (void)s;
    struct lw w;
    assert_int_equal(lw_init(&w, NULL, 0), CW_OK);
    assert_int_equal(lw_register_as(&w, &w.admin, "channel-0", "uatom", 5000, 6000, 500),
                     CW_EEXISTS);
    assert_int_equal(lw_register_as(&w, &w.admin, "channel-7", "uosmo", 5000, 6000, 500),
                     CW_ESTATE); /* no such channel */
    assert_int_equal(lw_channel(&w, "channel-3", 2), CW_OK);
    assert_int_equal(lw_register_as(&w, &w.admin, "channel-3", "uosmo", 5000, 6000, 500),
                     CW_ESTATE); /* TRYOPEN */
    assert_int_equal(lw_register_as(&w, &w.admin, "channel-0", "u/atom", 5000, 6000, 500),
                     CW_EINVAL);
    /* a deposit of an unregistered denom or channel is refused (the app sends an error ack) */
    cw_lend_collateral c;
    assert_int_equal(cw_lend_collateral_lookup(&w.kv, &c, "channel-0", "uosmo"), CW_ENOTFOUND);
    assert_int_equal(cw_lend_credit(&w.kv, &w.addr[OTH], "channel-0", "uosmo", 5, w.err,
                                    sizeof w.err),
                     CW_ENOTFOUND);
    assert_int_equal(cw_lend_credit(&w.kv, &w.addr[OTH], "channel-1", "uatom", 5, w.err,
                                    sizeof w.err),
                     CW_ENOTFOUND);
    /* the bound on registered denoms */
    for (int i = 2; i < CW_LEND_MAX_COLLATERALS; i++) {
        char base[16];
        snprintf(base, sizeof base, "tok%d", i);
        assert_int_equal(lw_register_as(&w, &w.admin, "channel-0", base, 5000, 6000, 500),
                         CW_OK);
    }
    assert_int_equal(lw_register_as(&w, &w.admin, "channel-0", "onemore", 5000, 6000, 500),
                     CW_ETOOBIG);
    lw_free(&w);
}

/* ---- pause ----------------------------------------------------------------------------------- */

static void test_paused_borrow_refused_repay_and_liquidation_open(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    assert_int_equal(lw_pause_as(&w, &w.admin, CW_LEND_ACTION_BORROW, true), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_ESTATE);
    assert_int_equal(lw_borrow(&w, OTH, 1), CW_ESTATE);
    assert_int_equal(lw_repay(&w, BOR, 100, -1), CW_OK);
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD * 3 / 2), CW_OK);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 500, ATOM), CW_OK);
    assert_int_equal(lw_supply(&w, OTH, 10), CW_OK);
    assert_int_equal(lw_withdraw(&w, OTH, 9), CW_OK); /* 10 minted 9 shares after interest */
    assert_int_equal(lw_app(&w, LW_CREDIT, OTH, ATOM, 1000), CW_OK);
    assert_int_equal(lw_pause_as(&w, &w.admin, CW_LEND_ACTION_BORROW, false), CW_OK);
    assert_int_equal(lw_borrow(&w, OTH, 1), CW_OK);
    lw_free(&w);
}

/* ---- interest ---------------------------------------------------------------------------- */

/* The model, written out from lending.h, for the hand computation. */
static cw_u128 model_rate(const cw_lend_params *p, cw_u128 cash, cw_u128 borrows, cw_u128 reserves)
{
    cw_u128 util = borrows == 0 ? 0 : muldiv(borrows, WAD, cash + borrows - reserves, CW_ROUND_UP);
    if (util > WAD)
        util = WAD;
    cw_u128 r = p->base_rate_wad;
    r += muldiv(util < p->kink_wad ? util : p->kink_wad, p->slope1_wad, WAD, CW_ROUND_UP);
    if (util > p->kink_wad)
        r += muldiv(util - p->kink_wad, p->slope2_wad, WAD, CW_ROUND_UP);
    return r;
}

static void test_interest_accrual_matches_hand_computation(void **s)
{
    (void)s;
    struct lw w;
    cw_lend_params p;
    lw_default_params(&p);
    const uint64_t supply = 1000000000000ull, borrow = 900000000000ull; /* 90% utilization */
    assert_int_equal(lw_init(&w, &p, 2 * supply), CW_OK);
    assert_int_equal(lw_supply(&w, SUP, supply), CW_OK);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, supply), CW_OK);
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, borrow), CW_OK);

    /* period 1: one hour above the kink */
    cw_u128 cash = supply - borrow, borrows = borrow, reserves = 0, index = WAD;
    uint64_t dt = 3600 * LW_SEC;
    cw_u128 rate = model_rate(&p, cash, borrows, reserves);
    /* by hand: u = 0.9; 1e-9 + 0.8 × 2e-9 + 0.1 × 3e-9 = 2.9e-9 per second */
    assert_u128_eq(rate, 2900000000u, "rate above the kink");
    index += muldiv(index, rate * dt, WAD * 1000000000u, CW_ROUND_UP);
    cw_u128 nb = muldiv(borrow, index, WAD, CW_ROUND_DOWN); /* scaled == borrow at index 1 */
    cw_u128 interest = nb - borrows;
    reserves += muldiv(interest, p.reserve_factor_bps, 10000, CW_ROUND_DOWN);
    borrows = nb;
    w.now += dt;
    cw_lend_market m = lw_market(&w);
    assert_u128_eq(m.borrow_index_wad, index, "index after 1 h");
    assert_u128_eq(m.total_borrows, borrows, "borrows after 1 h");
    assert_u128_eq(m.reserves, reserves, "reserves after 1 h");
    assert_u128_eq(m.interest, interest, "interest after 1 h");
    /* 9e11 × 2.9e-9 × 3600 = 9 396 000 */
    assert_u128_eq(interest, 9396000, "interest by hand");

    /* an action stores the accrual; then a day below the kink after a repayment */
    const uint64_t repay = 500000000000ull;
    assert_int_equal(lw_repay(&w, BOR, repay, -1), CW_OK);
    cw_u128 removed = muldiv(repay, WAD, index, CW_ROUND_DOWN);
    cw_u128 scaled = borrow - removed;
    borrows = muldiv(scaled, index, WAD, CW_ROUND_DOWN);
    cash += repay;
    dt = 24 * 3600 * LW_SEC;
    rate = model_rate(&p, cash, borrows, reserves);
    cw_u128 idx2 = index + muldiv(index, rate * dt, WAD * 1000000000u, CW_ROUND_UP);
    cw_u128 nb2 = muldiv(scaled, idx2, WAD, CW_ROUND_DOWN);
    reserves += muldiv(nb2 - borrows, p.reserve_factor_bps, 10000, CW_ROUND_DOWN);
    w.now += dt;
    m = lw_market(&w);
    assert_u128_eq(m.borrow_index_wad, idx2, "index after the day");
    assert_u128_eq(m.total_borrows, nb2, "borrows after the day");
    assert_u128_eq(m.reserves, reserves, "reserves after the day");
    cw_u128 debt = muldiv(scaled, idx2, WAD, CW_ROUND_UP);
    assert_u128_eq(lw_acct(&w, BOR).debt, debt, "borrower's debt");

    /* repaying everything costs exactly that debt */
    uint64_t bal = lw_bal(&w, &w.addr[BOR]);
    assert_int_equal(lw_repay(&w, BOR, UINT64_MAX, -1), CW_OK);
    assert_int_equal(bal - lw_bal(&w, &w.addr[BOR]), (uint64_t)debt);
    assert_u128_eq(lw_acct(&w, BOR).debt, 0, "debt after full repay");
    /* no borrows: the index stops */
    w.now += 3600 * LW_SEC;
    assert_u128_eq(lw_market(&w).borrow_index_wad, idx2, "index without borrows");
    assert_null(lw_check_books(&w, NULL, 8));
    lw_free(&w);
}

static void test_rate_parameter_change_accrues_old_rate_first(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    cw_lend_params p;
    lw_default_params(&p);
    w.now += 1000 * LW_SEC;
    cw_lend_market before = lw_market(&w); /* accrued in memory at the old rate */
    p.base_rate_wad = 0;
    p.slope1_wad = 0;
    p.slope2_wad = 0;
    assert_int_equal(lw_update_as(&w, &w.admin, &p, -1, 0, 0, 0), CW_OK);
    w.now += 1000 * LW_SEC;
    cw_lend_market after = lw_market(&w);
    assert_u128_eq(after.borrow_index_wad, before.borrow_index_wad, "index at zero rate");
    assert_true(before.borrow_index_wad > WAD);
    lw_free(&w);
}

/* ---- rounding ------------------------------------------------------------------------------ */

static void test_rounding_favours_protocol_everywhere(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    /* collateral value rounds down: 3 × 1.5 × 0.75 = 3.375 → 3 */
    assert_int_equal(lw_app(&w, LW_CREDIT, OTH, ETH, 9), CW_OK);
    assert_int_equal(lw_price(&w, ETH, WAD * 3 / 4), CW_OK); /* 9 × 0.75 × 0.5 = 3.375 */
    assert_int_equal(lw_borrow(&w, OTH, 4), CW_EUNHEALTHY);
    assert_int_equal(lw_borrow(&w, OTH, 3), CW_OK);

    /* move the index off 1.0 */
    assert_int_equal(lw_borrow(&w, BOR, 1400), CW_OK);
    w.now += 365ull * 24 * 3600 * LW_SEC;
    cw_lend_market m = lw_market(&w);
    cw_u128 index = m.borrow_index_wad;
    assert_true(index > WAD && index % WAD != 0);

    /* borrowing a adds ceil(a / index) scaled: debt never below what was taken */
    w.now += 0;
    assert_int_equal(lw_price(&w, ATOM, 4 * WAD), CW_OK); /* room to borrow */
    assert_int_equal(lw_price(&w, ETH, WAD * 3 / 4), CW_OK);
    lw_account a0 = lw_acct(&w, BOR);
    assert_int_equal(lw_borrow(&w, BOR, 777), CW_OK);
    lw_account a1 = lw_acct(&w, BOR);
    assert_u128_eq(a1.scaled_debt - a0.scaled_debt, muldiv(777, WAD, index, CW_ROUND_UP),
                   "scaled added rounds up");
    assert_true(a1.debt >= a0.debt + 777);

    /* repaying r removes floor(r / index) scaled: debt falls by at most r */
    assert_int_equal(lw_repay(&w, BOR, 555, -1), CW_OK);
    lw_account a2 = lw_acct(&w, BOR);
    assert_u128_eq(a1.scaled_debt - a2.scaled_debt, muldiv(555, WAD, index, CW_ROUND_DOWN),
                   "scaled removed rounds down");
    assert_true(a2.debt + 555 >= a1.debt);

    /* shares: minted rounds down, burned rounds up (exchange rate is off 1.0 now) */
    m = lw_market(&w);
    cw_u128 value = m.cash + m.total_borrows - m.reserves;
    assert_true(value != m.total_shares);
    lw_account s0 = lw_acct(&w, OTH);
    assert_int_equal(lw_supply(&w, OTH, 1001), CW_OK);
    lw_account s1 = lw_acct(&w, OTH);
    assert_u128_eq(s1.shares - s0.shares, muldiv(1001, m.total_shares, value, CW_ROUND_DOWN),
                   "minted shares round down");
    assert_true(s1.supply_value <= 1001);
    m = lw_market(&w);
    value = m.cash + m.total_borrows - m.reserves;
    assert_int_equal(lw_withdraw(&w, OTH, 500), CW_OK);
    lw_account s2 = lw_acct(&w, OTH);
    assert_u128_eq(s1.shares - s2.shares, muldiv(500, m.total_shares, value, CW_ROUND_UP),
                   "burned shares round up");

    /* seize rounds down and a capped repay rounds up: see the liquidation tests, which
     * assert floor(408.33) = 408 and ceil(90.9) = 91 */
    assert_null(lw_check_books(&w, NULL, 16));
    lw_free(&w);
}

/* ---- repay ---------------------------------------------------------------------------------- */

static void test_repay_more_than_owed_repays_only_the_debt(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1000), CW_OK);
    uint64_t bal = lw_bal(&w, &w.addr[OTH]);
    assert_int_equal(lw_repay(&w, OTH, 5000, BOR), CW_OK); /* on behalf */
    assert_int_equal(lw_bal(&w, &w.addr[OTH]), bal - 1000);
    assert_u128_eq(lw_acct(&w, BOR).debt, 0, "debt");
    assert_int_equal(lw_repay(&w, BOR, 1, -1), CW_ESTATE); /* nothing owed */
    assert_int_equal(lw_bal(&w, &w.addr[BOR]), 1000000 + 1000); /* the borrower kept it */
    assert_null(lw_check_books(&w, NULL, 0));
    lw_free(&w);
}

static void test_withdraw_supply_limited_by_liquidity(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    assert_int_equal(lw_withdraw(&w, SUP, 100000), CW_EINSUFFICIENT);
    assert_int_equal(lw_withdraw(&w, SUP, 98500), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_EINSUFFICIENT);
    assert_null(lw_check_books(&w, NULL, 0));
    lw_free(&w);
}

static void test_donation_to_pool_does_not_move_exchange_rate(void **s)
{
    (void)s;
    struct lw w;
    assert_int_equal(lw_init(&w, NULL, 1000000), CW_OK);
    assert_int_equal(lw_supply(&w, SUP, 1), CW_OK);
    cw_address pool;
    cw_module_address(&pool, CW_LEND_POOL_ACCOUNT);
    assert_int_equal(cw_bank_send(&w.kv, &w.addr[SUP], &pool, "uusd", 500000, NULL, 0), CW_OK);
    assert_int_equal(lw_supply(&w, OTH, 1000), CW_OK);
    assert_u128_eq(lw_acct(&w, OTH).shares, 1000, "victim's shares");
    assert_u128_eq(lw_acct(&w, OTH).supply_value, 1000, "victim's value");
    lw_free(&w);
}

/* ---- releases ------------------------------------------------------------------------------ */

static void test_failed_release_recredit_unconditional(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1000), CW_OK);
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 333), CW_OK);
    /* the price goes stale, the account turns unhealthy, borrowing is paused */
    w.now += 3600 * LW_SEC;
    assert_int_equal(lw_pause_as(&w, &w.admin, CW_LEND_ACTION_BORROW, true), CW_OK);
    assert_true(lw_acct(&w, BOR).health_factor_wad < WAD);
    assert_int_equal(lw_app(&w, LW_SETTLE_FAIL, BOR, ATOM, 333), CW_OK);
    assert_int_equal(lw_pos(&w, BOR, ATOM), 1000);
    uint64_t total, inflight;
    assert_int_equal(cw_lend_total(&w.kv, &total, "channel-0", "uatom"), CW_OK);
    assert_int_equal(cw_lend_inflight(&w.kv, &inflight, "channel-0", "uatom"), CW_OK);
    assert_int_equal(total, 1000);
    assert_int_equal(inflight, 0);
    /* settling more than is in flight is corrupt state, refused with nothing written */
    assert_int_equal(lw_app(&w, LW_SETTLE_FAIL, BOR, ATOM, 1), CW_ESTATE);
    assert_int_equal(lw_app(&w, LW_SETTLE_OK, BOR, ATOM, 1), CW_ESTATE);

    /* a successful release only clears the in-flight amount */
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 100), CW_OK);
    assert_int_equal(lw_app(&w, LW_SETTLE_OK, BOR, ATOM, 100), CW_OK);
    assert_int_equal(lw_pos(&w, BOR, ATOM), 900);
    assert_int_equal(cw_lend_total(&w.kv, &total, "channel-0", "uatom"), CW_OK);
    assert_int_equal(cw_lend_inflight(&w.kv, &inflight, "channel-0", "uatom"), CW_OK);
    assert_int_equal(total, 900);
    assert_int_equal(inflight, 0);
    lw_free(&w);
}

static void test_msgs_refused_without_market(void **s)
{
    (void)s;
    struct lw w;
    assert_int_equal(lw_open(&w), CW_OK);
    memset(w.user[0].b, 0x10, 32);
    assert_int_equal(lw_supply(&w, 0, 5), CW_ESTATE);
    assert_int_equal(lw_borrow(&w, 0, 5), CW_ESTATE);
    assert_int_equal(cw_lend_release_debit(&w.kv, 1, &w.addr[0], "channel-0", "uatom", 1, NULL, 0),
                     CW_ESTATE);
    lw_free(&w);
}


/* ---- gas ------------------------------------------------------------------------------------ */

/* A liquidation walks every registered collateral of the borrower (positions, releases in
 * flight and prices, before and after the seize): with CW_LEND_MAX_COLLATERALS registered,
 * all held, all with a release in flight, it must stay within 80% of what a client states for
 * it (cw_gas_estimate, common/gas.c's allowance for lend.*), as the IBC harness requires. */
static void test_liquidation_gas_within_the_estimate_at_max_collaterals(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    char trace[CW_LEND_MAX_COLLATERALS][CW_LEND_TRACE_DENOM_LEN + 1];
    for (int i = LW_COLS; i < CW_LEND_MAX_COLLATERALS; i++) {
        char ch[16];
        snprintf(ch, sizeof ch, "channel-%d", i);
        assert_int_equal(lw_channel(&w, ch, 3), CW_OK);
        assert_int_equal(lw_register_as(&w, &w.admin, ch, "udust", 5000, 6000, 1000), CW_OK);
        assert_int_equal(cw_trace_denom(trace[i], ch, "udust"), CW_OK);
        assert_int_equal(cw_lend_credit(&w.kv, &w.addr[BOR], ch, "udust", 100, NULL, 0), CW_OK);
        assert_int_equal(lw_set_price_as(&w, &w.oracle, trace[i], WAD, w.now), CW_OK);
        assert_int_equal(cw_lend_release_debit(&w.kv, w.now, &w.addr[BOR], ch, "udust", 10, NULL,
                                               0),
                         CW_OK);
    }
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ETH, 100), CW_OK);
    assert_int_equal(lw_price(&w, ETH, WAD), CW_OK);
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ETH, 10), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 1400), CW_OK);
    /* and a debt in the other market: the liquidation reads every market */
    assert_int_equal(lw_supply_in(&w, OTH, 1, 10000), CW_OK);
    assert_int_equal(lw_price_asset(&w, 1, WAD), CW_OK);
    assert_int_equal(lw_borrow_in(&w, BOR, 1, 100), CW_OK);
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD), CW_OK);
    assert_int_equal(lw_price(&w, ETH, WAD), CW_OK);
    assert_int_equal(lw_price_asset(&w, 1, WAD), CW_OK);
    for (int i = LW_COLS; i < CW_LEND_MAX_COLLATERALS; i++)
        assert_int_equal(lw_set_price_as(&w, &w.oracle, trace[i], WAD / 10, w.now), CW_OK);
    assert_true(lw_acct(&w, BOR).health_factor_wad < WAD);

    cw_msg_lend_liquidate m = {.asset = "uusd", .borrower = w.addr[BOR], .repay_amount = 700};
    memcpy(m.collateral, w.trace[ATOM], sizeof m.collateral);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_liquidate_enc(&e, &m);
    cw_bytes msg = {cw_enc_data(&e), cw_enc_len(&e)};
    const size_t tx_len = 200 + msg.len; /* envelope: chain id, nonce, key, signature */
    uint64_t estimate = cw_gas_estimate(&msg, 1, tx_len, 0);
    uint64_t intrinsic = cw_gas_tx_intrinsic(tx_len, 1);
    cw_enc_free(&e);
    cw_gas_meter meter;
    cw_gas_meter_init(&meter, UINT64_MAX / 2);
    w.meter = &meter;
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 700, ATOM), CW_OK);
    w.meter = NULL;
    fprintf(stderr, "liquidation with %d collaterals: %llu gas + %llu intrinsic, estimate %llu\n",
            CW_LEND_MAX_COLLATERALS, (unsigned long long)meter.used,
            (unsigned long long)intrinsic, (unsigned long long)estimate);
    assert_true((meter.used + intrinsic) * 10 <= estimate * 8);
    lw_free(&w);
}

/* The heaviest liquidation: CW_LEND_MAX_MARKETS markets, the borrower owing in every one,
 * CW_LEND_MAX_COLLATERALS registered, and its only collateral collapsing — the liquidation
 * seizes it all and writes the debt off in every market. It too must stay within 80% of the
 * estimate a client states (cw_gas_estimate's lend.* allowance). */
static void test_write_off_gas_within_the_estimate_at_max_markets(void **s)
{
    (void)s;
    struct lw w;
    char err[256];
    world(&w);
    for (int i = LW_COLS; i < CW_LEND_MAX_COLLATERALS; i++) {
        char ch[16];
        snprintf(ch, sizeof ch, "channel-%d", i);
        assert_int_equal(lw_channel(&w, ch, 3), CW_OK);
        assert_int_equal(lw_register_as(&w, &w.admin, ch, "udust", 5000, 6000, 1000), CW_OK);
    }
    cw_lend_params p;
    assert_int_equal(cw_lend_market_read(&w.kv, "uusd", 0, &p, NULL), CW_OK);
    static char names[CW_LEND_MAX_MARKETS][16];
    const char *assets[CW_LEND_MAX_MARKETS];
    for (int i = 0; i < CW_LEND_MAX_MARKETS; i++) {
        if (i < LW_MKTS) {
            assets[i] = w.asset[i];
        } else {
            snprintf(names[i], sizeof names[i], "uxx%d", i);
            assets[i] = names[i];
            snprintf(p.borrow_denom, sizeof p.borrow_denom, "%s", names[i]);
            assert_int_equal(cw_lend_genesis(&w.kv, &p, err, sizeof err), CW_OK);
        }
        assert_int_equal(cw_bank_mint(&w.kv, &w.addr[OTH], assets[i], 100000, err, sizeof err),
                         CW_OK);
    }
    /* the world's msg builders name w.asset[mi]: point slot 1 at each market in turn */
    const char *saved = w.asset[1];
    for (int i = 0; i < CW_LEND_MAX_MARKETS; i++) {
        w.asset[1] = assets[i];
        assert_int_equal(lw_supply_in(&w, OTH, 1, 10000), CW_OK);
        if (i > 0)
            assert_int_equal(lw_price_asset(&w, 1, WAD), CW_OK);
        assert_int_equal(lw_borrow_in(&w, BOR, 1, 100), CW_OK);
    }
    w.asset[1] = saved;
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, 1), CW_OK); /* 1e-18: all of it is dust */
    for (int i = 1; i < CW_LEND_MAX_MARKETS; i++)
        assert_int_equal(lw_set_price_as(&w, &w.oracle, assets[i], WAD, w.now), CW_OK);

    cw_msg_lend_liquidate m = {.asset = "uusd", .borrower = w.addr[BOR], .repay_amount = 1};
    memcpy(m.collateral, w.trace[ETH], sizeof m.collateral); /* held none: a write-off */
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_liquidate_enc(&e, &m);
    cw_bytes msg = {cw_enc_data(&e), cw_enc_len(&e)};
    const size_t tx_len = 200 + msg.len;
    uint64_t estimate = cw_gas_estimate(&msg, 1, tx_len, 0);
    uint64_t intrinsic = cw_gas_tx_intrinsic(tx_len, 1);
    cw_enc_free(&e);
    cw_gas_meter meter;
    cw_gas_meter_init(&meter, UINT64_MAX / 2);
    w.meter = &meter;
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 1, ETH), CW_OK);
    w.meter = NULL;
    assert_true(lw_acct(&w, BOR).debt_value == 0);
    fprintf(stderr, "write-off across %d markets with %d collaterals: %llu gas + %llu intrinsic, "
            "estimate %llu\n", CW_LEND_MAX_MARKETS, CW_LEND_MAX_COLLATERALS,
            (unsigned long long)meter.used, (unsigned long long)intrinsic,
            (unsigned long long)estimate);
    assert_true((meter.used + intrinsic) * 10 <= estimate * 8);
    lw_free(&w);
}

/* ---- the chain's router ---------------------------------------------------------------------- */

static void test_routes_registered_and_run_through_chain_router(void **s)
{
    (void)s;
    cw_app *app;
    cw_seckey sk;
    cw_pubkey32 pk;
    cw_address addr;
    char err[256];
    assert_int_equal(cw_app_create(&app, "beta"), CW_OK);
    assert_int_equal(cw_lend_register(app), CW_OK);
    assert_int_equal(cw_lend_register(app), CW_EEXISTS); /* each type once */
    assert_int_equal(cw_key_generate(&sk, &pk), CW_OK);
    cw_address_of(&addr, &pk);

    cw_kv_cache *store;
    assert_int_equal(cw_kv_cache_create(&store, NULL), CW_OK);
    cw_kv kv = cw_kv_cache_kv(store);
    cw_lend_params p;
    lw_default_params(&p);
    assert_int_equal(cw_lend_genesis(&kv, &p, err, sizeof err), CW_OK);
    assert_int_equal(cw_bank_mint(&kv, &addr, "uusd", 1000, err, sizeof err), CW_OK);

    cw_enc e[2];
    cw_enc_init(&e[0]);
    cw_msg_lend_supply_enc(&e[0], &(cw_msg_lend_supply){.asset = "uusd", .amount = 600});
    cw_enc_init(&e[1]); /* no collateral: fails, the whole tx rolls back */
    cw_msg_lend_borrow_enc(&e[1], &(cw_msg_lend_borrow){.asset = "uusd", .amount = 1});
    cw_bytes msgs[2] = {{cw_enc_data(&e[0]), cw_enc_len(&e[0])},
                        {cw_enc_data(&e[1]), cw_enc_len(&e[1])}};
    cw_events ev;
    cw_events_init(&ev);
    for (uint64_t nonce = 0; nonce < 2; nonce++) {
        uint8_t *buf;
        size_t len;
        cw_tx tx;
        cw_tx_result res;
        assert_int_equal(cw_tx_sign(&buf, &len, "beta", &sk, nonce, 0, msgs, 2 - nonce, "", err,
                                    sizeof err),
                         CW_OK);
        assert_int_equal(cw_tx_decode(&tx, buf, len, err, sizeof err), CW_OK);
        assert_int_equal(cw_app_deliver(app, &kv, &ev, &tx, 9, LW_T0, &res), CW_OK);
        if (nonce == 0) {
            assert_int_equal(res.code, CW_EUNHEALTHY);
            assert_int_equal(res.failed_msg, 1);
            assert_int_equal(lw_bal(&(struct lw){.kv = kv, .asset = {"uusd", "ueur"}}, &addr), 1000);
        } else {
            assert_int_equal(res.code, CW_OK);
            assert_int_equal(lw_bal(&(struct lw){.kv = kv, .asset = {"uusd", "ueur"}}, &addr), 400);
        }
        cw_tx_result_free(&res);
        cw_tx_free(&tx);
        free(buf);
    }
    cw_enc_free(&e[0]);
    cw_enc_free(&e[1]);
    cw_events_free(&ev);
    cw_kv_cache_destroy(store);
    cw_app_destroy(app);
}

/* A flash loan through the chain's tx runner (chain/app.c): the end-of-tx check runs after
 * the last msg, metered; an unrepaid loan fails the tx naming the flash_loan msg, keeps only
 * the consumed nonce, and is charged the gas it used; a repaid one commits with its fee. */
static void test_flash_loan_settles_at_the_end_of_a_chain_tx(void **s)
{
    (void)s;
    cw_app *app;
    cw_seckey sk;
    cw_pubkey32 pk;
    cw_address addr, pool;
    char err[256];
    assert_int_equal(cw_app_create(&app, "beta"), CW_OK);
    assert_int_equal(cw_lend_register(app), CW_OK);
    assert_int_equal(cw_key_generate(&sk, &pk), CW_OK);
    cw_address_of(&addr, &pk);
    cw_module_address(&pool, CW_LEND_POOL_ACCOUNT);
    cw_kv_cache *store;
    assert_int_equal(cw_kv_cache_create(&store, NULL), CW_OK);
    cw_kv kv = cw_kv_cache_kv(store);
    cw_lend_params p;
    lw_default_params(&p);
    p.flash_fee_bps = 9;
    assert_int_equal(cw_lend_genesis(&kv, &p, err, sizeof err), CW_OK);
    assert_int_equal(cw_bank_mint(&kv, &addr, "uusd", 100000, err, sizeof err), CW_OK);
    struct lw view = {.kv = kv, .asset = {"uusd", "ueur"}};

    /* tx 0 supplies 50000; tx 1 flash-borrows all 50000 and supplies 60000 of the 100000
     * it then holds: 40000 left for 50045 owed; tx 2 flash-borrows 50000 and supplies 10000
     * (then pays 45) */
    cw_enc e[3];
    cw_enc_init(&e[0]);
    cw_msg_lend_supply_enc(&e[0], &(cw_msg_lend_supply){.asset = "uusd", .amount = 50000});
    cw_enc_init(&e[1]);
    cw_msg_lend_flash_loan_enc(&e[1], &(cw_msg_lend_flash_loan){.asset = "uusd", .amount = 50000});
    cw_enc_init(&e[2]);
    cw_msg_lend_supply_enc(&e[2], &(cw_msg_lend_supply){.asset = "uusd", .amount = 60000});
    cw_bytes m[3] = {{cw_enc_data(&e[0]), cw_enc_len(&e[0])},
                     {cw_enc_data(&e[1]), cw_enc_len(&e[1])},
                     {cw_enc_data(&e[2]), cw_enc_len(&e[2])}};
    cw_bytes tx1[2] = {m[1], m[2]};
    cw_enc e3;
    cw_enc_init(&e3);
    cw_msg_lend_supply_enc(&e3, &(cw_msg_lend_supply){.asset = "uusd", .amount = 10000});
    cw_bytes tx2[2] = {m[1], {cw_enc_data(&e3), cw_enc_len(&e3)}};
    const cw_bytes *txs[3] = {&m[0], tx1, tx2};
    const size_t n[3] = {1, 2, 2};
    cw_events ev;
    cw_events_init(&ev);
    for (uint64_t nonce = 0; nonce < 3; nonce++) {
        uint8_t *buf;
        size_t len;
        cw_tx tx;
        cw_tx_result res;
        assert_int_equal(cw_tx_sign(&buf, &len, "beta", &sk, nonce, 1000000, txs[nonce],
                                    n[nonce], "", err, sizeof err),
                         CW_OK);
        assert_int_equal(cw_tx_decode(&tx, buf, len, err, sizeof err), CW_OK);
        uint32_t ev0 = ev.count;
        assert_int_equal(cw_app_deliver(app, &kv, &ev, &tx, 9, LW_T0, &res), CW_OK);
        if (nonce == 1) {
            assert_int_equal(res.code, CW_EINSUFFICIENT);
            assert_true(res.has_failed_msg);
            assert_int_equal(res.failed_msg, 0); /* the flash_loan that set the condition */
            assert_non_null(strstr(res.log, "end of tx: flash loan of 50000 uusd not repaid"));
            assert_true(res.gas_used > 0 && res.gas_used <= res.gas_wanted);
            assert_int_equal(ev.count, ev0); /* the tx's events went with it */
            assert_int_equal(lw_bal(&view, &addr), 50000);
            assert_int_equal(lw_bal(&view, &pool), 50000);
            uint64_t next = 0;
            assert_int_equal(cw_app_account_nonce(&kv, &addr, &next), CW_OK);
            assert_int_equal(next, 2); /* the nonce, and nothing else, is kept */
        } else {
            assert_int_equal(res.code, CW_OK);
        }
        cw_tx_result_free(&res);
        cw_tx_free(&tx);
        free(buf);
    }
    /* tx 2: supplied 10000, paid the 45 fee */
    assert_int_equal(lw_bal(&view, &addr), 50000 - 10000 - 45);
    cw_lend_market mk;
    assert_int_equal(cw_lend_market_read(&kv, "uusd", 0, NULL, &mk), CW_OK);
    assert_true(mk.cash == 60045 && mk.reserves == 45 && mk.flash_fees == 45);
    assert_int_equal(lw_bal(&view, &pool), 60045);
    for (int i = 0; i < 3; i++)
        cw_enc_free(&e[i]);
    cw_enc_free(&e3);
    cw_events_free(&ev);
    cw_kv_cache_destroy(store);
    cw_app_destroy(app);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_borrow_above_ltv_refused),
        cmocka_unit_test(test_release_above_ltv_refused),
        cmocka_unit_test(test_release_without_debt_needs_no_price),
        cmocka_unit_test(test_liquidate_healthy_position_refused),
        cmocka_unit_test(test_liquidate_above_close_factor_refused),
        cmocka_unit_test(test_keeper_quote_choice_liquidates_as_chosen_and_once),
        cmocka_unit_test(test_keeper_quote_per_debt_market),
        cmocka_unit_test(test_seize_capped_by_position_repay_rounded_up),
        cmocka_unit_test(test_bad_debt_written_off_and_recorded),
        cmocka_unit_test(test_worthless_collateral_seized_and_rest_written_off),
        cmocka_unit_test(test_dust_or_unpriced_second_collateral_does_not_block_write_off),
        cmocka_unit_test(test_release_in_flight_blocks_write_off_until_settled),
        cmocka_unit_test(test_stale_price_blocks_liquidation_with_grace_after_resume),
        cmocka_unit_test(test_close_factor_full_below_095_and_for_dust),
        cmocka_unit_test(test_oracle_zero_price_refused),
        cmocka_unit_test(test_oracle_price_time_in_future_refused),
        cmocka_unit_test(test_oracle_non_increasing_time_refused),
        cmocka_unit_test(test_oracle_malformed_denom_and_price_refused),
        cmocka_unit_test(test_stale_price_counts_zero_for_borrow_release_and_seize),
        cmocka_unit_test(test_stale_position_counts_zero_for_limits_and_blocks_liquidation),
        cmocka_unit_test(test_invalid_market_params_each_rule),
        cmocka_unit_test(test_invalid_collateral_params_each_rule),
        cmocka_unit_test(test_params_from_json_strict),
        cmocka_unit_test(test_zero_and_overflowing_amounts_refused),
        cmocka_unit_test(test_unauthorized_admin_and_oracle_msgs_refused),
        cmocka_unit_test(test_register_collateral_once_and_only_on_open_channel),
        cmocka_unit_test(test_paused_borrow_refused_repay_and_liquidation_open),
        cmocka_unit_test(test_interest_accrual_matches_hand_computation),
        cmocka_unit_test(test_rate_parameter_change_accrues_old_rate_first),
        cmocka_unit_test(test_rounding_favours_protocol_everywhere),
        cmocka_unit_test(test_repay_more_than_owed_repays_only_the_debt),
        cmocka_unit_test(test_withdraw_supply_limited_by_liquidity),
        cmocka_unit_test(test_donation_to_pool_does_not_move_exchange_rate),
        cmocka_unit_test(test_failed_release_recredit_unconditional),
        cmocka_unit_test(test_msgs_refused_without_market),
        cmocka_unit_test(test_liquidation_gas_within_the_estimate_at_max_collaterals),
        cmocka_unit_test(test_write_off_gas_within_the_estimate_at_max_markets),
        cmocka_unit_test(test_routes_registered_and_run_through_chain_router),
        cmocka_unit_test(test_flash_loan_settles_at_the_end_of_a_chain_tx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
