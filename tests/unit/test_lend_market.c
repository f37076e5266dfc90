/* Lending market controls a borrower and a supplier expect (DESIGN §8): supply and borrow
 * caps, per-action pauses (repay never), withdraw-supply of every share, the admin's reserve
 * withdrawal, the rates the queries show, several markets (health over all of them in one
 * price unit, cross-market liquidation and write-off) and flash loans. Each refusal is checked for its text and for
 * changing nothing (test_lend_world.h also fails any refused call that wrote state); figures
 * are computed here from the formulas in lending.h, not copied from the implementation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_lend_world.h"

#define WAD CW_WAD

enum { SUP = 0, BOR = 1, LIQ = 2, OTH = 3, TRE = 4 };
enum { ATOM = 0, ETH = 1 };

static cw_u128 muldiv(cw_u128 a, cw_u128 b, cw_u128 d, cw_round r)
{
    cw_u128 out;
    assert_int_equal(cw_muldiv_u128(&out, a, b, d, r), CW_OK);
    return out;
}

static void assert_err_has(struct lw *w, const char *what)
{
    if (!strstr(w->err, what))
        fail_msg("error '%s' does not say '%s'", w->err, what);
}

/* A world where the supplier supplied 100000 uusd and the borrower holds 1000 uatom
 * priced 2.0 (borrow limit 1500, liquidation limit 1600). */
static void world(struct lw *w)
{
    assert_int_equal(lw_init(w, NULL, 1000000), CW_OK);
    assert_int_equal(lw_supply(w, SUP, 100000), CW_OK);
    assert_int_equal(lw_app(w, LW_CREDIT, BOR, ATOM, 1000), CW_OK);
    assert_int_equal(lw_price(w, ATOM, 2 * WAD), CW_OK);
}

/* The admin sets the caps, everything else as the defaults. */
static int set_caps(struct lw *w, uint64_t supply_cap, uint64_t borrow_cap)
{
    cw_lend_params p;
    lw_default_params(&p);
    p.supply_cap = supply_cap;
    p.borrow_cap = borrow_cap;
    return lw_update_as(w, &w->admin, &p, -1, 0, 0, 0);
}

/* Everything a refused call must leave as it was: the market's books, and the balance,
 * shares and debt of one account. */
struct snap {
    cw_lend_market m;
    lw_account a;
    uint64_t bal;
};
static struct snap snap_of(struct lw *w, int u)
{
    struct snap s = {lw_market(w), lw_acct(w, u), lw_bal(w, &w->addr[u])};
    return s;
}
static void assert_unchanged(struct lw *w, int u, const struct snap *before)
{
    struct snap now = snap_of(w, u);
    assert_memory_equal(&now.m, &before->m, sizeof now.m);
    assert_memory_equal(&now.a, &before->a, sizeof now.a);
    assert_int_equal(now.bal, before->bal);
}

/* ---- caps ------------------------------------------------------------------------------ */

static void test_supply_cap_refuses_naming_both_figures(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(set_caps(&w, 150000, 0), CW_OK);
    struct snap b = snap_of(&w, OTH);
    assert_int_equal(lw_supply(&w, OTH, 50001), CW_ETOOBIG);
    assert_err_has(&w, "supply of 50001 would take total supply from 100000 to 150001");
    assert_err_has(&w, "above the supply cap of 150000");
    assert_unchanged(&w, OTH, &b);
    assert_int_equal(lw_supply(&w, OTH, 50000), CW_OK); /* exactly to the cap */
    assert_true(lw_market(&w).total_supply == 150000);
    assert_int_equal(lw_supply(&w, OTH, 1), CW_ETOOBIG);
    /* interest may take total supply above the cap: supplying stays refused, the rest works */
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    w.now += 30 * 86400 * LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    assert_true(lw_market(&w).total_supply > 150000);
    b = snap_of(&w, SUP);
    assert_int_equal(lw_supply(&w, SUP, 1), CW_ETOOBIG);
    assert_unchanged(&w, SUP, &b);
    assert_int_equal(lw_repay(&w, BOR, 100, -1), CW_OK);
    assert_int_equal(lw_withdraw(&w, OTH, 1000), CW_OK);
    /* cap 0: no cap */
    assert_int_equal(set_caps(&w, 0, 0), CW_OK);
    assert_int_equal(lw_supply(&w, OTH, 900000), CW_OK);
    assert_null(lw_check_books(&w, NULL, 8));
    lw_free(&w);
}

static void test_borrow_cap_refuses_naming_both_figures(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_app(&w, LW_CREDIT, OTH, ATOM, 1000), CW_OK);
    assert_int_equal(set_caps(&w, 0, 1000), CW_OK);
    struct snap b = snap_of(&w, BOR);
    assert_int_equal(lw_borrow(&w, BOR, 1001), CW_ETOOBIG); /* within its limit of 1500 */
    assert_err_has(&w, "borrow of 1001 would take total borrows from 0 to 1001");
    assert_err_has(&w, "above the borrow cap of 1000");
    assert_unchanged(&w, BOR, &b);
    assert_int_equal(lw_borrow(&w, BOR, 600), CW_OK);
    b = snap_of(&w, OTH);
    assert_int_equal(lw_borrow(&w, OTH, 401), CW_ETOOBIG); /* the cap is the market's */
    assert_err_has(&w, "from 600 to 1001");
    assert_unchanged(&w, OTH, &b);
    assert_int_equal(lw_borrow(&w, OTH, 400), CW_OK);
    assert_true(lw_market(&w).total_borrows == 1000);
    /* a lowered cap only stops new borrowing: repay and liquidation are untouched */
    assert_int_equal(set_caps(&w, 0, 10), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_ETOOBIG);
    assert_int_equal(lw_repay(&w, BOR, 100, -1), CW_OK);
    /* caps are market parameters: only the admin sets them, and they read back */
    cw_lend_params p;
    lw_default_params(&p);
    p.borrow_cap = 0;
    assert_int_equal(lw_update_as(&w, &w.user[OTH], &p, -1, 0, 0, 0), CW_EUNAUTHORIZED);
    assert_int_equal(cw_lend_market_read(&w.kv, NULL, w.now, &p, NULL), CW_OK);
    assert_int_equal(p.borrow_cap, 10);
    assert_int_equal(p.supply_cap, 0);
    lw_free(&w);
}

/* ---- pauses ------------------------------------------------------------------------------ */

static void test_each_action_pauses_separately_repay_never(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_borrow(&w, BOR, 1500), CW_OK);
    assert_int_equal(lw_app(&w, LW_CREDIT, OTH, ATOM, 1000), CW_OK);
    assert_int_equal(lw_supply(&w, OTH, 1000), CW_OK);
    /* the position turns liquidatable: 1000 × 1.8 × 0.8 = 1440 < 1500 */
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD / 10 * 18), CW_OK);
    static const struct {
        uint64_t action;
        const char *text;
    } acts[] = {{CW_LEND_ACTION_SUPPLY, "supply is paused by the market's admin"},
                {CW_LEND_ACTION_BORROW, "borrow is paused by the market's admin"},
                {CW_LEND_ACTION_LIQUIDATE, "liquidate is paused by the market's admin"},
                {CW_LEND_ACTION_WITHDRAW_SUPPLY, "withdraw_supply is paused by the market's admin"},
                {CW_LEND_ACTION_WITHDRAW_COLLATERAL,
                 "withdraw_collateral is paused by the market's admin"}};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        const uint64_t act = acts[i].action;
        assert_int_equal(lw_pause_as(&w, &w.admin, act, true), CW_OK);
        assert_int_equal(lw_market(&w).paused_actions, act);
        /* the paused action is refused with its name, changing nothing */
        struct snap b = snap_of(&w, OTH), bb = snap_of(&w, BOR);
        int rc;
        switch (act) {
        case CW_LEND_ACTION_SUPPLY: rc = lw_supply(&w, OTH, 10); break;
        case CW_LEND_ACTION_BORROW: rc = lw_borrow(&w, OTH, 10); break;
        case CW_LEND_ACTION_LIQUIDATE: rc = lw_liquidate(&w, OTH, BOR, 100, ATOM); break;
        case CW_LEND_ACTION_WITHDRAW_SUPPLY: rc = lw_withdraw(&w, OTH, 10); break;
        default: rc = lw_app(&w, LW_DEBIT, OTH, ATOM, 10); break;
        }
        assert_int_equal(rc, CW_ESTATE);
        assert_err_has(&w, acts[i].text);
        assert_unchanged(&w, OTH, &b);
        assert_unchanged(&w, BOR, &bb);
        if (act == CW_LEND_ACTION_WITHDRAW_SUPPLY) { /* --all too */
            assert_int_equal(lw_withdraw_all(&w, OTH), CW_ESTATE);
            assert_err_has(&w, acts[i].text);
            assert_unchanged(&w, OTH, &b);
        }
        /* every other action still runs (each undone, so the books stay comparable) */
        if (act != CW_LEND_ACTION_SUPPLY) {
            assert_int_equal(lw_supply(&w, OTH, 10), CW_OK);
        }
        if (act != CW_LEND_ACTION_BORROW) {
            assert_int_equal(lw_borrow(&w, OTH, 5), CW_OK);
            assert_int_equal(lw_repay(&w, OTH, UINT64_MAX, -1), CW_OK);
        }
        if (act != CW_LEND_ACTION_WITHDRAW_SUPPLY)
            assert_int_equal(lw_withdraw(&w, OTH, 5), CW_OK);
        if (act != CW_LEND_ACTION_WITHDRAW_COLLATERAL) {
            assert_int_equal(lw_app(&w, LW_DEBIT, OTH, ATOM, 10), CW_OK);
            assert_int_equal(lw_app(&w, LW_SETTLE_FAIL, OTH, ATOM, 10), CW_OK);
        }
        assert_int_equal(lw_pause_as(&w, &w.admin, act, false), CW_OK);
        assert_int_equal(lw_market(&w).paused_actions, 0);
    }
    /* everything paused at once: repay, deposits and settlements still run */
    assert_int_equal(lw_pause_as(&w, &w.admin, CW_LEND_ACTION_ALL, true), CW_OK);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, 100), CW_OK);
    assert_int_equal(lw_repay(&w, BOR, 200, -1), CW_OK);
    assert_int_equal(lw_repay(&w, OTH, 100, BOR), CW_OK); /* on behalf of, too */
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 100, ATOM), CW_ESTATE);
    /* resuming some leaves the others paused */
    assert_int_equal(lw_pause_as(&w, &w.admin, CW_LEND_ACTION_SUPPLY | CW_LEND_ACTION_LIQUIDATE,
                                 false),
                     CW_OK);
    assert_int_equal(lw_market(&w).paused_actions,
                     CW_LEND_ACTION_BORROW | CW_LEND_ACTION_WITHDRAW_SUPPLY |
                         CW_LEND_ACTION_WITHDRAW_COLLATERAL | CW_LEND_ACTION_FLASH_LOAN);
    assert_int_equal(lw_supply(&w, OTH, 10), CW_OK);
    assert_int_equal(lw_borrow(&w, OTH, 10), CW_ESTATE);
    assert_null(lw_check_books(&w, NULL, 16));
    lw_free(&w);
}

static void test_pause_msg_refuses_bad_sets_and_other_keys(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_pause_as(&w, &w.admin, CW_LEND_ACTION_BORROW, true), CW_OK);
    struct snap b = snap_of(&w, OTH);
    assert_int_equal(lw_pause_as(&w, &w.admin, 0, true), CW_EINVAL);
    assert_err_has(&w, "actions: none named");
    assert_int_equal(lw_pause_as(&w, &w.admin, 64 | CW_LEND_ACTION_SUPPLY, true), CW_EINVAL);
    assert_err_has(&w, "unknown bits 0x40");
    assert_err_has(&w, "repay is never paused");
    assert_int_equal(lw_pause_as(&w, &w.user[OTH], CW_LEND_ACTION_BORROW, false),
                     CW_EUNAUTHORIZED);
    assert_int_equal(lw_pause_as(&w, &w.oracle, CW_LEND_ACTION_ALL, true), CW_EUNAUTHORIZED);
    assert_unchanged(&w, OTH, &b);
    assert_int_equal(lw_market(&w).paused_actions, CW_LEND_ACTION_BORROW);
    /* the old one-field body is malformed now, not read as something else */
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 1);
    cw_enc_bool(&e, false);
    assert_int_equal(lw_run_body(&w, &w.admin, CW_MSG_LEND_PAUSE, &e), CW_EMALFORMED);
    assert_int_equal(lw_market(&w).paused_actions, CW_LEND_ACTION_BORROW);
    lw_free(&w);
}

/* A market written before caps and per-action pauses (12-field params, paused a bool) reads
 * as no caps and, when paused was true, borrowing paused — what that bool meant. */
static void test_records_from_before_caps_and_action_pauses_read_as_they_meant(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    cw_lend_params p;
    cw_lend_market m0 = lw_market(&w);
    assert_int_equal(cw_lend_market_read(&w.kv, NULL, 0, &p, NULL), CW_OK);
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 12);
    cw_enc_cstr(&e, p.borrow_denom);
    cw_enc_u128(&e, p.base_rate_wad);
    cw_enc_u128(&e, p.slope1_wad);
    cw_enc_u128(&e, p.kink_wad);
    cw_enc_u128(&e, p.slope2_wad);
    cw_enc_u64(&e, p.close_factor_bps);
    cw_enc_u64(&e, p.reserve_factor_bps);
    cw_enc_u64(&e, p.max_price_age_ns);
    cw_enc_bin(&e, p.admin.b, 32);
    cw_enc_bin(&e, p.oracle.b, 32);
    cw_enc_u64(&e, p.liquidation_grace_ns);
    cw_enc_u64(&e, p.dust_threshold);
    char key[CW_KEY_MAX];
    assert_int_equal(cw_key_lend_params(key, "uusd"), CW_OK);
    assert_int_equal(cw_kv_set_s(&w.kv, key, cw_enc_data(&e), cw_enc_len(&e)), CW_OK);
    cw_enc_free(&e);
    cw_enc_init(&e);
    cw_enc_array(&e, 7);
    cw_enc_u128(&e, m0.borrow_index_wad);
    cw_enc_u128(&e, m0.total_scaled_debt);
    cw_enc_u64(&e, m0.cash);
    cw_enc_u128(&e, m0.reserves);
    cw_enc_u128(&e, m0.total_shares);
    cw_enc_u64(&e, m0.last_accrual_ns);
    cw_enc_bool(&e, true);
    assert_int_equal(cw_key_lend_state(key, "uusd"), CW_OK);
    assert_int_equal(cw_kv_set_s(&w.kv, key, cw_enc_data(&e), cw_enc_len(&e)), CW_OK);
    cw_enc_free(&e);
    cw_lend_params q;
    cw_lend_market m;
    assert_int_equal(cw_lend_market_read(&w.kv, NULL, 0, &q, &m), CW_OK);
    assert_int_equal(q.supply_cap, 0);
    assert_int_equal(q.borrow_cap, 0);
    assert_int_equal(q.dust_threshold, p.dust_threshold);
    assert_int_equal(m.paused_actions, CW_LEND_ACTION_BORROW);
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_ESTATE);
    assert_int_equal(lw_supply(&w, OTH, 10), CW_OK); /* rewrites the state record */
    assert_int_equal(lw_market(&w).paused_actions, CW_LEND_ACTION_BORROW);
    lw_free(&w);
}

/* ---- withdraw every share ----------------------------------------------------------------- */

static void test_withdraw_all_is_all_or_nothing(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_supply(&w, OTH, 30000), CW_OK);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, 200000), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 120000), CW_OK); /* cash 10000 */
    w.now += 86400 * LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    /* OTH's shares are worth more than the pool's cash: refused, nothing burned */
    struct snap b = snap_of(&w, OTH);
    assert_int_equal(lw_withdraw_all(&w, OTH), CW_EINSUFFICIENT);
    char want[160], sh[41], val[41];
    cw_u128_to_dec(sh, sizeof sh, b.a.shares);
    cw_u128_to_dec(val, sizeof val, b.a.supply_value);
    snprintf(want, sizeof want, "all %s shares are worth %s, the pool holds 10000", sh, val);
    assert_err_has(&w, want);
    assert_err_has(&w, "nothing withdrawn");
    assert_unchanged(&w, OTH, &b);
    /* malformed uses: an amount with all; no shares at all */
    assert_int_equal(lw_withdraw_ex(&w, OTH, 5, true), CW_EINVAL);
    assert_err_has(&w, "amount: must be 0 with all");
    struct snap bl = snap_of(&w, LIQ);
    assert_int_equal(lw_withdraw_all(&w, LIQ), CW_EINSUFFICIENT);
    assert_err_has(&w, "the account holds no shares");
    assert_unchanged(&w, LIQ, &bl);
    assert_int_equal(lw_withdraw(&w, LIQ, 0), CW_EINVAL); /* without all, 0 is still refused */
    /* once repaid, all of it: floor(shares × (cash + borrows − reserves) / total shares),
     * every share burned */
    assert_int_equal(lw_repay(&w, BOR, UINT64_MAX, -1), CW_OK);
    cw_lend_market m = lw_market(&w);
    cw_u128 shares = lw_acct(&w, OTH).shares;
    cw_u128 pay = muldiv(shares, (cw_u128)m.cash + m.total_borrows - m.reserves, m.total_shares,
                         CW_ROUND_DOWN);
    uint64_t bal = lw_bal(&w, &w.addr[OTH]);
    assert_int_equal(lw_withdraw_all(&w, OTH), CW_OK);
    assert_true(lw_bal(&w, &w.addr[OTH]) - bal == (uint64_t)pay);
    assert_true(pay > 30000); /* with a day's interest */
    assert_true(lw_acct(&w, OTH).shares == 0);
    assert_true(lw_market(&w).total_shares == m.total_shares - shares);
    assert_int_equal(lw_withdraw_all(&w, OTH), CW_EINSUFFICIENT); /* nothing left */
    /* the last supplier takes everything the shares are worth */
    assert_int_equal(lw_withdraw_all(&w, SUP), CW_OK);
    m = lw_market(&w);
    assert_true(m.total_shares == 0);
    assert_true((cw_u128)m.cash == m.reserves); /* only the reserves remain */
    assert_null(lw_check_books(&w, NULL, 16));
    lw_free(&w);
}

/* ---- reserves ------------------------------------------------------------------------------ */

static void test_withdraw_reserves_admin_only_bounded_by_reserves_and_cash(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, 100000), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 99990), CW_OK); /* cash 10 */
    w.now += 365ull * 86400 * LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
    cw_lend_market m = lw_market(&w);
    assert_true(m.reserves > 11 && m.cash == 10);
    char r[41], want[120];
    cw_u128_to_dec(r, sizeof r, m.reserves);
    struct snap b = snap_of(&w, TRE);
    /* only the admin */
    assert_int_equal(lw_withdraw_reserves_as(&w, &w.user[TRE], &w.addr[TRE], 5),
                     CW_EUNAUTHORIZED);
    assert_int_equal(lw_withdraw_reserves_as(&w, &w.oracle, &w.addr[TRE], 5), CW_EUNAUTHORIZED);
    /* within the cash */
    assert_int_equal(lw_withdraw_reserves_as(&w, &w.admin, &w.addr[TRE], 11), CW_EINSUFFICIENT);
    assert_err_has(&w, "liquidity: the pool holds 10, reserve withdrawal of 11");
    /* within the reserves */
    snprintf(want, sizeof want, "exceeds the reserves of %s", r);
    assert_int_equal(lw_withdraw_reserves_as(&w, &w.admin, &w.addr[TRE],
                                             (uint64_t)m.reserves + 1),
                     CW_EINSUFFICIENT);
    assert_err_has(&w, want);
    assert_int_equal(lw_withdraw_reserves_as(&w, &w.admin, &w.addr[TRE], 0), CW_EINVAL);
    cw_address pool;
    cw_module_address(&pool, CW_LEND_POOL_ACCOUNT);
    assert_int_equal(lw_withdraw_reserves_as(&w, &w.admin, &pool, 5), CW_EINVAL);
    assert_err_has(&w, "the pool itself");
    assert_unchanged(&w, TRE, &b);
    /* the borrower repays: cash covers the reserves now */
    assert_int_equal(lw_repay(&w, BOR, UINT64_MAX, -1), CW_OK);
    m = lw_market(&w);
    uint64_t take = (uint64_t)m.reserves - 1;
    cw_events_mark mark = cw_events_mark_now(&w.ev);
    assert_int_equal(lw_withdraw_reserves_as(&w, &w.admin, &w.addr[TRE], take), CW_OK);
    cw_lend_market after = lw_market(&w);
    assert_int_equal(lw_bal(&w, &w.addr[TRE]), b.bal + take);
    assert_true(after.reserves == 1);
    assert_int_equal(after.cash, m.cash - take);
    assert_true(after.total_supply == m.total_supply); /* suppliers' claim untouched */
    assert_true(after.utilization_wad == m.utilization_wad);
    assert_null(lw_check_books(&w, NULL, 16));
    /* its event says who got how much and what is left */
    cw_enc ev;
    cw_enc_init(&ev);
    assert_int_equal(cw_events_encode(&w.ev, mark, &ev), CW_OK);
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&ev), cw_enc_len(&ev), 1 << 20, NULL, 0),
                     CW_OK);
    uint32_t pos = 0;
    const msgpack_object *attrs = cw_events_find(root, CW_EV_LEND_WITHDRAW_RESERVES, &pos);
    assert_non_null(attrs);
    uint64_t amount = 0;
    char left[CW_ID_MAX + 1], to[CW_ID_MAX + 1], hex[41];
    assert_true(cw_event_get_u64(attrs, CW_ATTR_AMOUNT, &amount));
    assert_int_equal(amount, take);
    assert_true(cw_event_get_str(attrs, CW_ATTR_RESERVES, left));
    assert_string_equal(left, "1");
    assert_true(cw_event_get_str(attrs, CW_ATTR_TO, to));
    cw_hex_encode(hex, sizeof hex, w.addr[TRE].b, 20);
    assert_string_equal(to, hex);
    cw_dec_close(&d);
    cw_enc_free(&ev);
    lw_free(&w);
}

/* ---- rates in the queries ------------------------------------------------------------------- */

/* The rate model as lending.h states it, written out here. */
static void model(const cw_lend_params *p, const cw_lend_market *m, cw_u128 *util,
                  cw_u128 *borrow_apr, cw_u128 *supply_apr)
{
    cw_u128 den = (cw_u128)m->cash + m->total_borrows - m->reserves;
    *util = m->total_borrows == 0 ? 0 : muldiv(m->total_borrows, WAD, den, CW_ROUND_UP);
    if (*util > WAD)
        *util = WAD;
    cw_u128 below = *util < p->kink_wad ? *util : p->kink_wad;
    cw_u128 rate = p->base_rate_wad + muldiv(below, p->slope1_wad, WAD, CW_ROUND_UP);
    if (*util > p->kink_wad)
        rate += muldiv(*util - p->kink_wad, p->slope2_wad, WAD, CW_ROUND_UP);
    *borrow_apr = rate * 31536000u;
    *supply_apr = muldiv(*borrow_apr, *util, WAD, CW_ROUND_DOWN) *
                  (10000 - p->reserve_factor_bps) / 10000;
}

static void test_market_read_reports_utilization_and_aprs_from_the_model(void **s)
{
    (void)s;
    struct lw w;
    world(&w);
    cw_lend_params p;
    cw_lend_market m;
    cw_u128 u, ba, sa;
    /* nothing borrowed: utilization 0, borrow APR the base rate's, supply APR 0 */
    assert_int_equal(cw_lend_market_read(&w.kv, NULL, w.now, &p, &m), CW_OK);
    assert_true(m.utilization_wad == 0);
    assert_true(m.borrow_apr_wad == p.base_rate_wad * 31536000u);
    assert_true(m.borrow_apr_wad == 31536000000000000ull); /* 1e-9/s: 3.1536% a year */
    assert_true(m.supply_apr_wad == 0);
    assert_true(m.total_supply == 100000);
    /* below the kink, above it, and after interest and a reserve withdrawal */
    assert_int_equal(lw_app(&w, LW_CREDIT, BOR, ATOM, 100000), CW_OK);
    const uint64_t borrows[] = {1500, 60000, 30000};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lw_borrow(&w, BOR, borrows[i]), CW_OK);
        w.now += 7 * 86400 * LW_SEC;
        assert_int_equal(lw_price(&w, ATOM, 2 * WAD), CW_OK);
        assert_int_equal(cw_lend_market_read(&w.kv, NULL, w.now, &p, &m), CW_OK);
        model(&p, &m, &u, &ba, &sa);
        assert_true(m.utilization_wad == u);
        assert_true(m.borrow_apr_wad == ba);
        assert_true(m.supply_apr_wad == sa);
        assert_true(m.total_supply == (cw_u128)m.cash + m.total_borrows - m.reserves);
        assert_true(m.borrow_rate_wad * 31536000u == m.borrow_apr_wad);
    }
    assert_true(u > p.kink_wad); /* 91500 of ~100000: the jump part was exercised */
    /* the index the query shows is the accrued one: the next action stores exactly it */
    w.now += 3600 * LW_SEC;
    assert_int_equal(cw_lend_market_read(&w.kv, NULL, w.now, NULL, &m), CW_OK);
    assert_int_equal(lw_repay(&w, BOR, 10, -1), CW_OK);
    cw_lend_market stored;
    assert_int_equal(cw_lend_market_read(&w.kv, NULL, 0, NULL, &stored), CW_OK);
    assert_true(stored.borrow_index_wad == m.borrow_index_wad);
    assert_true(m.borrow_index_wad > WAD);
    lw_free(&w);
}

/* ---- several markets (DESIGN §8) ------------------------------------------------------- */

#define EUR 1 /* the ueur market; uusd (0) is the price unit */

/* world(), and 100000 ueur supplied too; ueur priced at 1.1 uusd when priced. */
static void two_markets(struct lw *w, bool price_eur)
{
    world(w);
    assert_int_equal(lw_supply_in(w, SUP, EUR, 100000), CW_OK);
    if (price_eur)
        assert_int_equal(lw_price_asset(w, EUR, WAD / 10 * 11), CW_OK);
}

/* Debt in every market counts, each at its asset's price, against one borrow limit. */
static void test_health_sums_debt_over_markets_in_the_price_unit(void **s)
{
    (void)s;
    struct lw w;
    two_markets(&w, false);
    /* no price for ueur yet: nothing can be borrowed in it */
    assert_int_equal(lw_borrow_in(&w, BOR, EUR, 10), CW_ESTALE);
    assert_err_has(&w, "no fresh price for ueur");
    /* the price unit's asset has no oracle price: it is 1 by definition */
    assert_int_equal(lw_set_price_as(&w, &w.oracle, "uusd", WAD, w.now), CW_EINVAL);
    assert_err_has(&w, "price unit");
    assert_int_equal(lw_set_price_as(&w, &w.oracle, "ugbp", WAD, w.now), CW_EINVAL);
    assert_err_has(&w, "neither a trace denom nor a market's asset");
    assert_int_equal(lw_price_asset(&w, EUR, WAD / 10 * 11), CW_OK);
    /* limit 1500 (1000 uatom × 2.0 × 75%): 1000 uusd, then ueur up to 500 in value */
    assert_int_equal(lw_borrow(&w, BOR, 1000), CW_OK);
    struct snap b = snap_of(&w, BOR);
    assert_int_equal(lw_borrow_in(&w, BOR, EUR, 455), CW_EUNHEALTHY); /* ceil(500.5) = 501 */
    assert_err_has(&w, "debt after borrowing would be 1501, borrow limit is 1500");
    assert_unchanged(&w, BOR, &b);
    assert_int_equal(lw_borrow_in(&w, BOR, EUR, 454), CW_OK); /* ceil(499.4) = 500 */
    lw_account a = lw_acct_in(&w, BOR, EUR);
    assert_true(a.debt == 454 && a.debt_value == 1500 && a.borrow_limit == 1500);
    assert_true(a.liquidation_limit == 1600);
    assert_true(a.health_factor_wad == muldiv(1600, WAD, 1500, CW_ROUND_DOWN));
    assert_true(lw_acct(&w, BOR).debt == 1000);
    assert_int_equal(lw_bal_in(&w, &w.addr[BOR], EUR), 1000000 + 454);
    assert_true(lw_market_in(&w, EUR).total_borrows == 454 && lw_market(&w).total_borrows == 1000);
    /* each market's books stand alone: pool balance = cash per asset */
    assert_null(lw_check_books(&w, NULL, 16));
    /* repaying ueur frees borrowing power in uusd */
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_EUNHEALTHY);
    assert_int_equal(lw_repay_in(&w, BOR, EUR, 454, -1), CW_OK);
    assert_int_equal(lw_borrow(&w, BOR, 500), CW_OK);
    assert_true(lw_acct(&w, BOR).debt_value == 1500);
    lw_free(&w);
}

/* Repay one market's debt, seize any collateral: seize = repay × asset price × (1 + bonus)
 * / collateral price, rounded down. */
static void test_liquidation_repays_one_market_and_seizes_by_value(void **s)
{
    (void)s;
    struct lw w;
    two_markets(&w, true);
    assert_int_equal(lw_borrow(&w, BOR, 1000), CW_OK);
    assert_int_equal(lw_borrow_in(&w, BOR, EUR, 454), CW_OK);
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD / 2 * 3), CW_OK); /* 1.5: health 1200/1500 = 0.8 */
    assert_int_equal(lw_price_asset(&w, EUR, WAD / 10 * 11), CW_OK);
    assert_true(lw_acct(&w, BOR).health_factor_wad < WAD / 100 * 95); /* full close */
    uint64_t liq_eur = lw_bal_in(&w, &w.addr[LIQ], EUR);
    const uint64_t debt = (uint64_t)lw_acct_in(&w, BOR, EUR).debt; /* 455 after a second */
    assert_int_equal(debt, 455);
    assert_int_equal(lw_liquidate_in(&w, LIQ, BOR, EUR, debt + 1, ATOM), CW_EINVAL);
    assert_err_has(&w, "exceeds the close factor: at most 455");
    assert_int_equal(lw_liquidate_in(&w, LIQ, BOR, EUR, debt, ATOM), CW_OK);
    uint64_t seize = (uint64_t)(muldiv((cw_u128)debt * 10500, WAD / 10 * 11, WAD / 2 * 3,
                                       CW_ROUND_DOWN) /
                                10000); /* floor(455 × 1.1 × 1.05 / 1.5) = 350 */
    assert_int_equal(seize, 350);
    assert_int_equal(lw_pos(&w, LIQ, ATOM), seize);
    assert_int_equal(lw_pos(&w, BOR, ATOM), 1000 - seize);
    assert_int_equal(lw_bal_in(&w, &w.addr[LIQ], EUR), liq_eur - debt);
    assert_true(lw_acct_in(&w, BOR, EUR).debt == 0 && lw_acct(&w, BOR).debt == 1001);
    assert_true(lw_market_in(&w, EUR).cash == 100001 && lw_market_in(&w, EUR).bad_debt == 0);
    assert_null(lw_check_books(&w, NULL, 16));
    lw_free(&w);
}

/* Bad debt is recorded, never hidden, in every market: when a liquidation leaves nothing,
 * the borrower's debt in each market is written off against that market. */
static void test_write_off_clears_the_debt_in_every_market(void **s)
{
    (void)s;
    struct lw w;
    two_markets(&w, true);
    assert_int_equal(lw_borrow(&w, BOR, 1000), CW_OK);
    assert_int_equal(lw_borrow_in(&w, BOR, EUR, 454), CW_OK);
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD / 10), CW_OK); /* worth 100 */
    assert_int_equal(lw_price_asset(&w, EUR, WAD / 10 * 11), CW_OK);
    const cw_u128 d_usd = lw_acct(&w, BOR).debt, d_eur = lw_acct_in(&w, BOR, EUR).debt;
    assert_true(d_usd == 1001 && d_eur == 455); /* a second of interest, rounded up */
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 1000, ATOM), CW_OK);
    /* the whole position seized for the cut repay ceil(1000 × 0.1 / 1.05) = 96 */
    assert_int_equal(lw_pos(&w, LIQ, ATOM), 1000);
    assert_true(lw_acct(&w, BOR).debt_value == 0);
    cw_lend_market usd = lw_market(&w), eur = lw_market_in(&w, EUR);
    /* what left each market's books: its total borrows (Σ debts rounded down) */
    assert_true(usd.bad_debt + 1 >= d_usd - 96 && usd.bad_debt <= d_usd - 96);
    assert_true(eur.bad_debt + 1 >= d_eur && eur.bad_debt <= d_eur);
    assert_true(usd.total_borrows == 0 && eur.total_borrows == 0);
    assert_true(eur.bad_debt == eur.bad_debt_from_reserves + eur.bad_debt_socialized);
    assert_null(lw_check_books(&w, NULL, 16));
    lw_free(&w);

    /* a market whose liquidation is paused keeps its part until resumed; then a liquidation
     * naming it (and a denom the borrower holds none of) writes it off */
    two_markets(&w, true);
    assert_int_equal(lw_borrow(&w, BOR, 1000), CW_OK);
    assert_int_equal(lw_borrow_in(&w, BOR, EUR, 454), CW_OK);
    assert_int_equal(lw_pause_in(&w, &w.admin, EUR, CW_LEND_ACTION_LIQUIDATE, true), CW_OK);
    w.now += LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD / 10), CW_OK);
    assert_int_equal(lw_price_asset(&w, EUR, WAD / 10 * 11), CW_OK);
    assert_int_equal(lw_liquidate(&w, LIQ, BOR, 1000, ATOM), CW_OK);
    assert_true(lw_acct(&w, BOR).debt == 0 && lw_acct_in(&w, BOR, EUR).debt == 455);
    assert_true(lw_market_in(&w, EUR).bad_debt == 0);
    assert_int_equal(lw_liquidate_in(&w, LIQ, BOR, EUR, 1, ETH), CW_ESTATE);
    assert_err_has(&w, "liquidate is paused");
    assert_int_equal(lw_pause_in(&w, &w.admin, EUR, CW_LEND_ACTION_LIQUIDATE, false), CW_OK);
    assert_int_equal(lw_liquidate_in(&w, LIQ, BOR, EUR, 1, ETH), CW_OK);
    assert_true(lw_acct(&w, BOR).debt_value == 0 && lw_market_in(&w, EUR).bad_debt >= 454);
    assert_null(lw_check_books(&w, NULL, 16));
    lw_free(&w);
}

/* A debt whose asset's price is stale: no borrowing, no release, no liquidation on its
 * strength (the sentinel); repaying it is never gated. */
static void test_stale_debt_price_blocks_borrow_release_and_liquidation(void **s)
{
    (void)s;
    struct lw w;
    two_markets(&w, true);
    assert_int_equal(lw_borrow_in(&w, BOR, EUR, 400), CW_OK);
    w.now += 61 * LW_SEC;
    assert_int_equal(lw_price(&w, ATOM, WAD / 2), CW_OK); /* unhealthy, but ueur is stale */
    assert_int_equal(lw_borrow(&w, BOR, 1), CW_ESTALE);
    assert_err_has(&w, "no fresh price for ueur, which the account owes");
    assert_int_equal(lw_app(&w, LW_DEBIT, BOR, ATOM, 1), CW_ESTALE);
    assert_int_equal(lw_liquidate_in(&w, LIQ, BOR, EUR, 100, ATOM), CW_ESTALE);
    assert_int_equal(lw_repay_in(&w, BOR, EUR, 10, -1), CW_OK); /* 390 ueur: 429 > 400 */
    assert_int_equal(lw_price_asset(&w, EUR, WAD / 10 * 11), CW_OK);
    assert_int_equal(lw_liquidate_in(&w, LIQ, BOR, EUR, 100, ATOM), CW_OK);
    lw_free(&w);
}

/* Genesis: one market per asset; the chain-wide fields must agree. */
static void test_genesis_markets_share_admin_oracle_and_price_rules(void **s)
{
    (void)s;
    struct lw w;
    char err[256];
    assert_int_equal(lw_init(&w, NULL, 0), CW_OK);
    cw_lend_params p;
    lw_default_params(&p);
    assert_int_equal(cw_lend_genesis(&w.kv, &p, err, sizeof err), CW_EEXISTS);
    snprintf(p.borrow_denom, sizeof p.borrow_denom, "collaterals"); /* a key under market/ */
    assert_int_equal(cw_lend_genesis(&w.kv, &p, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "reserved"));
    snprintf(p.borrow_denom, sizeof p.borrow_denom, "ugbp");
    p.max_price_age_ns += 1;
    assert_int_equal(cw_lend_genesis(&w.kv, &p, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "chain-wide"));
    p.max_price_age_ns -= 1;
    assert_int_equal(cw_lend_genesis(&w.kv, &p, err, sizeof err), CW_OK);
    char names[CW_LEND_MAX_MARKETS][CW_ID_MAX + 1];
    size_t n;
    assert_int_equal(cw_lend_markets(&w.kv, names, &n), CW_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "uusd");
    assert_string_equal(names[2], "ugbp");
    for (int i = 3; i < CW_LEND_MAX_MARKETS; i++) {
        snprintf(p.borrow_denom, sizeof p.borrow_denom, "u%d", i);
        assert_int_equal(cw_lend_genesis(&w.kv, &p, err, sizeof err), CW_OK);
    }
    snprintf(p.borrow_denom, sizeof p.borrow_denom, "uone");
    assert_int_equal(cw_lend_genesis(&w.kv, &p, err, sizeof err), CW_ETOOBIG);
    /* a rate change of one market leaves the other's rates; the chain-wide price age moves
     * for all */
    cw_lend_params q;
    assert_int_equal(cw_lend_market_read(&w.kv, "ueur", 0, &q, NULL), CW_OK);
    q.slope1_wad += 1;
    q.max_price_age_ns = 120 * LW_SEC;
    assert_int_equal(lw_update_in(&w, &w.admin, EUR, &q, -1, 0, 0, 0), CW_OK);
    cw_lend_params r;
    assert_int_equal(cw_lend_market_read(&w.kv, "uusd", 0, &r, NULL), CW_OK);
    assert_true(r.slope1_wad == q.slope1_wad - 1 && r.max_price_age_ns == 120 * LW_SEC);
    assert_int_equal(cw_lend_market_read(&w.kv, "ueur", 0, &r, NULL), CW_OK);
    assert_true(r.slope1_wad == q.slope1_wad);
    assert_int_equal(cw_lend_market_read(&w.kv, "ugbp", 0, &r, NULL), CW_OK);
    assert_true(r.max_price_age_ns == 120 * LW_SEC);
    lw_free(&w);
}

/* ---- flash loans (DESIGN §8) ----------------------------------------------------------- */

/* two_markets with flash fees: 9 bps on uusd, 30 on ueur. */
static void flash_world(struct lw *w)
{
    two_markets(w, true);
    cw_lend_params p;
    for (int mi = 0; mi < LW_MKTS; mi++) {
        assert_int_equal(cw_lend_market_read(&w->kv, w->asset[mi], 0, &p, NULL), CW_OK);
        p.flash_fee_bps = mi ? 30 : 9;
        assert_int_equal(lw_update_in(w, &w->admin, mi, &p, -1, 0, 0, 0), CW_OK);
    }
}

/* Both markets' books, a user's balances and the pool's. */
struct fsnap {
    cw_lend_market m[LW_MKTS];
    uint64_t bal[LW_MKTS], pool[LW_MKTS];
};
static struct fsnap fsnap_of(struct lw *w, int u)
{
    struct fsnap f;
    memset(&f, 0, sizeof f);
    for (int mi = 0; mi < LW_MKTS; mi++) {
        f.m[mi] = lw_market_in(w, mi);
        f.bal[mi] = lw_bal_in(w, &w->addr[u], mi);
        f.pool[mi] = lw_pool_bal_in(w, mi);
    }
    return f;
}

/* A tx of up to three msgs: flash amounts f0 (uusd) and f1 (ueur), then a uusd supply of
 * sup (0: none), by user u. */
static int flash_tx(struct lw *w, int u, uint64_t f0, uint64_t f1, uint64_t sup, uint32_t *at)
{
    cw_enc m[3];
    int n = 0;
    if (f0) {
        cw_enc_init(&m[n]);
        lw_amount_enc(w, &m[n++], 0, cw_msg_lend_flash_loan_enc, f0);
    }
    if (f1) {
        cw_enc_init(&m[n]);
        lw_amount_enc(w, &m[n++], EUR, cw_msg_lend_flash_loan_enc, f1);
    }
    if (sup) {
        cw_enc_init(&m[n]);
        lw_amount_enc(w, &m[n++], 0, cw_msg_lend_supply_enc, sup);
    }
    return lw_run_tx(w, &w->user[u], m, n, at);
}

static void test_flash_loan_repaid_pays_its_fee_into_reserves(void **s)
{
    (void)s;
    struct lw w;
    flash_world(&w);
    struct fsnap b = fsnap_of(&w, OTH);
    uint32_t ev0 = w.ev.count;
    assert_int_equal(lw_flash_in(&w, OTH, 0, 50000), CW_OK);
    struct fsnap a = fsnap_of(&w, OTH);
    /* fee ceil(50000 × 9 / 10000) = 45: to reserves, cash with it; suppliers' total same */
    assert_true(a.m[0].reserves == b.m[0].reserves + 45 && a.m[0].cash == b.m[0].cash + 45);
    assert_true(a.m[0].flash_fees == 45 && a.m[0].total_supply == b.m[0].total_supply);
    assert_int_equal(a.bal[0], b.bal[0] - 45);
    assert_int_equal(a.pool[0], b.pool[0] + 45);
    assert_int_equal(w.ev.count, ev0 + 2); /* lend_flash_loan, lend_flash_repay */
    /* both markets in one tx: each pays its own fee (ueur: ceil(1000 × 30 / 10000) = 3) */
    assert_int_equal(flash_tx(&w, OTH, 1000, 1000, 0, NULL), CW_OK);
    struct fsnap c = fsnap_of(&w, OTH);
    assert_true(c.m[0].reserves == a.m[0].reserves + 1 && c.m[EUR].reserves == 3);
    assert_null(lw_check_books(&w, NULL, 16));
    lw_free(&w);
}

/* Unrepaid, partly repaid, repaid from the flash-borrowed funds of the other market: the
 * whole tx is refused and nothing changes — balances, both markets' books, events. */
static void test_flash_loan_not_repaid_refuses_the_whole_tx(void **s)
{
    (void)s;
    struct lw w;
    flash_world(&w);
    const uint64_t bal = lw_bal(&w, &w.addr[OTH]);
    struct fsnap b = fsnap_of(&w, OTH);
    lw_account acct = lw_acct(&w, OTH);
    uint32_t ev0 = w.ev.count, at = 99;
    /* unrepaid: everything the signer holds, the loan included, supplied away */
    assert_int_equal(flash_tx(&w, OTH, 50000, 0, bal + 50000, &at), CW_EINSUFFICIENT);
    assert_err_has(&w, "end of tx: flash loan of 50000 uusd not repaid");
    assert_int_equal(at, 0); /* the msg that set the condition */
    /* partly: one unit short of amount + fee */
    assert_int_equal(flash_tx(&w, OTH, 50000, 0, bal - 45 + 1, NULL), CW_EINSUFFICIENT);
    assert_err_has(&w, "50000 + fee 45 = 50045 owed, the signer holds 50044");
    /* the other market's loan cannot repay this one: the signer holds 1050000 ueur then */
    assert_int_equal(flash_tx(&w, OTH, 50000, 50000, bal + 50000, &at), CW_EINSUFFICIENT);
    assert_err_has(&w, "flash loan of 50000 uusd not repaid");
    struct fsnap a = fsnap_of(&w, OTH);
    assert_memory_equal(&a, &b, sizeof a);
    lw_account acct2 = lw_acct(&w, OTH);
    assert_memory_equal(&acct2, &acct, sizeof acct);
    assert_int_equal(w.ev.count, ev0);
    assert_null(lw_check_books(&w, NULL, 16));
    lw_free(&w);
}

/* While a loan is out: a supply mints at the true exchange rate (cash is not lowered, so
 * there is no dip to buy shares in), and borrowing, withdrawing and further flash loans see
 * only the cash not lent. */
static void test_flash_loan_in_flight_keeps_the_rate_and_holds_back_liquidity(void **s)
{
    (void)s;
    struct lw w;
    flash_world(&w);
    /* supplied 100000 at 1 share each: a supply of the loan mints exactly 50000 shares */
    assert_int_equal(flash_tx(&w, OTH, 50000, 0, 50000, NULL), CW_OK);
    assert_true(lw_acct(&w, OTH).shares == 50000 && lw_acct(&w, OTH).supply_value == 50000);
    /* cash now 150045: a second loan of more than what is left is refused */
    cw_enc m[2];
    cw_enc_init(&m[0]);
    lw_amount_enc(&w, &m[0], 0, cw_msg_lend_flash_loan_enc, 100000);
    cw_enc_init(&m[1]);
    lw_amount_enc(&w, &m[1], 0, cw_msg_lend_flash_loan_enc, 50046);
    uint32_t at = 0;
    assert_int_equal(lw_run_tx(&w, &w.user[OTH], m, 2, &at), CW_EINSUFFICIENT);
    assert_err_has(&w, "the pool holds 50045, flash loan of 50046");
    assert_int_equal(at, 1);
    /* a borrow inside the loan's tx sees the cash not lent */
    cw_enc_init(&m[0]);
    lw_amount_enc(&w, &m[0], 0, cw_msg_lend_flash_loan_enc, 150000);
    cw_enc_init(&m[1]);
    lw_amount_enc(&w, &m[1], 0, cw_msg_lend_borrow_enc, 100);
    assert_int_equal(lw_run_tx(&w, &w.user[BOR], m, 2, &at), CW_EINSUFFICIENT);
    assert_err_has(&w, "liquidity: the pool holds 45, borrow of 100");
    /* paused: no new loans */
    assert_int_equal(lw_pause_as(&w, &w.admin, CW_LEND_ACTION_FLASH_LOAN, true), CW_OK);
    assert_int_equal(lw_flash_in(&w, OTH, 0, 1), CW_ESTATE);
    assert_err_has(&w, "flash_loan is paused");
    assert_int_equal(lw_flash_in(&w, OTH, EUR, 1), CW_OK); /* the other market's own bits */
    assert_int_equal(lw_flash_in(&w, OTH, EUR, 0), CW_EINVAL);
    assert_null(lw_check_books(&w, NULL, 16));
    lw_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_supply_cap_refuses_naming_both_figures),
        cmocka_unit_test(test_borrow_cap_refuses_naming_both_figures),
        cmocka_unit_test(test_each_action_pauses_separately_repay_never),
        cmocka_unit_test(test_pause_msg_refuses_bad_sets_and_other_keys),
        cmocka_unit_test(test_records_from_before_caps_and_action_pauses_read_as_they_meant),
        cmocka_unit_test(test_withdraw_all_is_all_or_nothing),
        cmocka_unit_test(test_withdraw_reserves_admin_only_bounded_by_reserves_and_cash),
        cmocka_unit_test(test_market_read_reports_utilization_and_aprs_from_the_model),
        cmocka_unit_test(test_health_sums_debt_over_markets_in_the_price_unit),
        cmocka_unit_test(test_liquidation_repays_one_market_and_seizes_by_value),
        cmocka_unit_test(test_write_off_clears_the_debt_in_every_market),
        cmocka_unit_test(test_stale_debt_price_blocks_borrow_release_and_liquidation),
        cmocka_unit_test(test_genesis_markets_share_admin_oracle_and_price_rules),
        cmocka_unit_test(test_flash_loan_repaid_pays_its_fee_into_reserves),
        cmocka_unit_test(test_flash_loan_not_repaid_refuses_the_whole_tx),
        cmocka_unit_test(test_flash_loan_in_flight_keeps_the_rate_and_holds_back_liquidity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
