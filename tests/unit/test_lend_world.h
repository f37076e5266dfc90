/* A lending-market test world shared by test_lend.c, test_lend_random.c and
 * tests/fuzz/fuzz_lend_msgs.c (no cmocka here, so the fuzzer can use it).
 *
 * An in-memory store (cw_kv_cache without parent), a market at genesis, two registered
 * collaterals on OPEN channels, and users with x-only keys 0x01.., whose addresses are
 * SHA256(pk)[0..20). Every msg or collateral-app call runs on a child cache exactly as the
 * chain does (commit on success, discard on failure) — and on failure the world also checks
 * that the call wrote NOTHING to its cache (DESIGN §11: bad input changes no state), turning
 * a violation into LW_EWROTE, which no test expects.
 * Time is block time in ns (w->now); nothing reads a clock.
 */
#ifndef CAUSEWAY_TEST_LEND_WORLD_H
#define CAUSEWAY_TEST_LEND_WORLD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/bank.h"
#include "causeway/codec.h"
#include "causeway/event.h"
#include "causeway/lending.h"

#define LW_USERS 6
#define LW_COLS 2
#define LW_EWROTE (-29999) /* a failing call left writes behind */
#define LW_T0 (1000ull * 1000000000ull) /* block time of the first block: 1000 s */
#define LW_SEC 1000000000ull

struct lw {
    cw_kv_cache *store;
    cw_kv kv;
    cw_events ev;
    uint64_t now;                    /* block time, ns */
    cw_pubkey32 admin, oracle;
    cw_pubkey32 user[LW_USERS];
    cw_address addr[LW_USERS];
    const char *chan[LW_COLS], *base[LW_COLS];
    char trace[LW_COLS][CW_LEND_TRACE_DENOM_LEN + 1];
    uint64_t price_time[LW_COLS];    /* last oracle time per collateral */
    char err[256];
};

static inline void lw_default_params(cw_lend_params *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->borrow_denom, sizeof p->borrow_denom, "uusd");
    p->base_rate_wad = 1000000000u;          /* 1e-9 / s */
    p->slope1_wad = 2000000000u;             /* 2e-9 / s up to the kink */
    p->kink_wad = CW_WAD / 10 * 8;           /* 80% */
    p->slope2_wad = 3000000000u;             /* 3e-9 / s beyond */
    p->close_factor_bps = 5000;
    p->reserve_factor_bps = 1000;
    p->max_price_age_ns = 60 * LW_SEC;
    memset(p->admin.b, 0xad, 32);
    memset(p->oracle.b, 0x0c, 32);
}

/* A channel end [state, ordering, cp_port, cp_channel, client_id, version] (DESIGN §7). */
static inline int lw_channel(struct lw *w, const char *channel, uint64_t state)
{
    char key[128];
    cw_enc e;
    snprintf(key, sizeof key, "channelEnds/ports/collateral/channels/%s", channel);
    cw_enc_init(&e);
    cw_enc_array(&e, 6);
    cw_enc_u64(&e, state);
    cw_enc_u64(&e, 1);
    cw_enc_cstr(&e, "collateral");
    cw_enc_cstr(&e, "channel-9");
    cw_enc_cstr(&e, "client-0");
    cw_enc_cstr(&e, "collateral-1");
    int rc = e.rc ? e.rc : cw_kv_set_s(&w->kv, key, cw_enc_data(&e), cw_enc_len(&e));
    cw_enc_free(&e);
    return rc;
}

/* Run one handler the way the chain does. body is consumed. */
static inline int lw_run(struct lw *w, const cw_pubkey32 *signer, const char *type, cw_enc *body)
{
    size_t n;
    const cw_lend_route *r = cw_lend_routes(&n), *route = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].type, type) == 0)
            route = &r[i];
    if (!route) {
        cw_enc_free(body);
        return CW_EINVAL;
    }
    cw_dec d = {0};
    const msgpack_object *root = NULL;
    int rc = body->rc ? body->rc
                      : cw_dec_open(&d, &root, cw_enc_data(body), cw_enc_len(body), 1 << 16,
                                    w->err, sizeof w->err);
    if (rc) {
        cw_dec_close(&d);
        cw_enc_free(body);
        return rc;
    }
    cw_kv_cache *tx;
    if (cw_kv_cache_create(&tx, &w->kv)) {
        cw_dec_close(&d);
        cw_enc_free(body);
        return -12;
    }
    cw_kv kv = cw_kv_cache_kv(tx);
    cw_exec_ctx ctx = {.kv = &kv, .events = &w->ev, .chain_id = "beta", .height = 7,
                       .time_ns = w->now, .signer_pk = *signer};
    cw_address_of(&ctx.signer, signer);
    cw_events_mark mark = cw_events_mark_now(&w->ev);
    w->err[0] = '\0';
    rc = route->handler(&ctx, root, w->err, sizeof w->err);
    if (rc == CW_OK) {
        if (cw_kv_cache_commit(tx))
            rc = -5;
    } else {
        if (cw_kv_cache_pending(tx) != 0)
            rc = LW_EWROTE;
        if (w->err[0] == '\0')
            rc = LW_EWROTE; /* a failure must say why */
        cw_kv_cache_discard(tx);
        cw_events_truncate(&w->ev, mark);
    }
    cw_kv_cache_destroy(tx);
    cw_dec_close(&d);
    cw_enc_free(body);
    return rc;
}

/* The collateral app's calls, on a child cache with the same no-write-on-failure check. */
enum lw_app_op { LW_CREDIT, LW_DEBIT, LW_SETTLE_OK, LW_SETTLE_FAIL };

static inline int lw_app(struct lw *w, enum lw_app_op op, int user, int col, uint64_t amount)
{
    cw_kv_cache *tx;
    if (cw_kv_cache_create(&tx, &w->kv))
        return -12;
    cw_kv kv = cw_kv_cache_kv(tx);
    int rc;
    w->err[0] = '\0';
    switch (op) {
    case LW_CREDIT:
        rc = cw_lend_credit(&kv, &w->addr[user], w->chan[col], w->base[col], amount, w->err,
                            sizeof w->err);
        break;
    case LW_DEBIT:
        rc = cw_lend_release_debit(&kv, w->now, &w->addr[user], w->chan[col], w->base[col],
                                   amount, w->err, sizeof w->err);
        break;
    default:
        rc = cw_lend_release_settle(&kv, &w->addr[user], w->chan[col], w->base[col], amount,
                                    op == LW_SETTLE_OK, w->err, sizeof w->err);
        break;
    }
    if (rc == CW_OK) {
        if (cw_kv_cache_commit(tx))
            rc = -5;
    } else if (cw_kv_cache_pending(tx) != 0) {
        rc = LW_EWROTE;
    }
    cw_kv_cache_destroy(tx);
    return rc;
}

/* ---- msg builders ---- */

static inline int lw_amount_msg(struct lw *w, int user, const char *type, uint64_t amount)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 1);
    cw_enc_u64(&e, amount);
    return lw_run(w, &w->user[user], type, &e);
}
static inline int lw_supply(struct lw *w, int u, uint64_t a) { return lw_amount_msg(w, u, "lend.supply", a); }
static inline int lw_withdraw(struct lw *w, int u, uint64_t a) { return lw_amount_msg(w, u, "lend.withdraw_supply", a); }
static inline int lw_borrow(struct lw *w, int u, uint64_t a) { return lw_amount_msg(w, u, "lend.borrow", a); }

/* on_behalf < 0: nil (repay one's own debt) */
static inline int lw_repay(struct lw *w, int user, uint64_t amount, int on_behalf)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    cw_enc_u64(&e, amount);
    if (on_behalf < 0)
        cw_enc_nil(&e);
    else
        cw_enc_bin(&e, w->addr[on_behalf].b, 20);
    return lw_run(w, &w->user[user], "lend.repay", &e);
}

static inline int lw_liquidate(struct lw *w, int liquidator, int borrower, uint64_t repay, int col)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 3);
    cw_enc_bin(&e, w->addr[borrower].b, 20);
    cw_enc_u64(&e, repay);
    cw_enc_cstr(&e, w->trace[col]);
    return lw_run(w, &w->user[liquidator], "lend.liquidate", &e);
}

static inline int lw_set_price_as(struct lw *w, const cw_pubkey32 *signer, const char *trace,
                                  cw_u128 price, uint64_t time_ns)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 3);
    cw_enc_cstr(&e, trace);
    cw_enc_u128(&e, price);
    cw_enc_u64(&e, time_ns);
    return lw_run(w, signer, "oracle.set_price", &e);
}

/* The oracle prices collateral col at block time. */
static inline int lw_price(struct lw *w, int col, cw_u128 price)
{
    int rc = lw_set_price_as(w, &w->oracle, w->trace[col], price, w->now);
    if (rc == CW_OK)
        w->price_time[col] = w->now;
    return rc;
}

static inline int lw_register_as(struct lw *w, const cw_pubkey32 *signer, const char *channel,
                                 const char *base, uint64_t ltv, uint64_t lt, uint64_t bonus)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 5);
    cw_enc_cstr(&e, channel);
    cw_enc_cstr(&e, base);
    cw_enc_u64(&e, ltv);
    cw_enc_u64(&e, lt);
    cw_enc_u64(&e, bonus);
    return lw_run(w, signer, "lend.register_collateral", &e);
}

static inline int lw_pause_as(struct lw *w, const cw_pubkey32 *signer, bool paused)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 1);
    cw_enc_bool(&e, paused);
    return lw_run(w, signer, "lend.pause", &e);
}

/* lend.update_market with market params p (NULL: nil) and one collateral update (col < 0:
 * none). */
static inline int lw_update_as(struct lw *w, const cw_pubkey32 *signer, const cw_lend_params *p,
                               int col, uint64_t ltv, uint64_t lt, uint64_t bonus)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    if (p) {
        cw_enc_array(&e, 7);
        cw_enc_u128(&e, p->base_rate_wad);
        cw_enc_u128(&e, p->slope1_wad);
        cw_enc_u128(&e, p->kink_wad);
        cw_enc_u128(&e, p->slope2_wad);
        cw_enc_u64(&e, p->close_factor_bps);
        cw_enc_u64(&e, p->reserve_factor_bps);
        cw_enc_u64(&e, p->max_price_age_ns);
    } else {
        cw_enc_nil(&e);
    }
    if (col < 0) {
        cw_enc_array(&e, 0);
    } else {
        cw_enc_array(&e, 1);
        cw_enc_array(&e, 4);
        cw_enc_cstr(&e, w->trace[col]);
        cw_enc_u64(&e, ltv);
        cw_enc_u64(&e, lt);
        cw_enc_u64(&e, bonus);
    }
    return lw_run(w, signer, "lend.update_market", &e);
}

/* ---- setup ---- */

/* Genesis with p (NULL: defaults), channels channel-0 and channel-1 OPEN, collaterals
 * channel-0/uatom (ltv 75%, lt 80%, bonus 5%) and channel-1/ueth (50%, 60%, 10%)
 * registered, every user holding `cash` uusd. Returns CW_OK or the first failure. */
static inline int lw_init(struct lw *w, const cw_lend_params *p, uint64_t cash)
{
    cw_lend_params def;
    int rc;
    memset(w, 0, sizeof *w);
    if (!p) {
        lw_default_params(&def);
        p = &def;
    }
    if ((rc = cw_kv_cache_create(&w->store, NULL)))
        return rc;
    w->kv = cw_kv_cache_kv(w->store);
    cw_events_init(&w->ev);
    w->now = LW_T0;
    w->admin = p->admin;
    w->oracle = p->oracle;
    for (int i = 0; i < LW_USERS; i++) {
        memset(w->user[i].b, 0x10 + i, 32);
        cw_address_of(&w->addr[i], &w->user[i]);
        if (cash && (rc = cw_bank_mint(&w->kv, &w->addr[i], p->borrow_denom, cash, NULL, 0)))
            return rc;
    }
    w->chan[0] = "channel-0";
    w->base[0] = "uatom";
    w->chan[1] = "channel-1";
    w->base[1] = "ueth";
    for (int c = 0; c < LW_COLS; c++)
        if ((rc = cw_lend_trace_denom(w->trace[c], w->chan[c], w->base[c])))
            return rc;
    if ((rc = cw_lend_genesis(&w->kv, p, w->err, sizeof w->err)) ||
        (rc = lw_channel(w, "channel-0", 3)) || (rc = lw_channel(w, "channel-1", 3)) ||
        (rc = lw_register_as(w, &w->admin, "channel-0", "uatom", 7500, 8000, 500)) ||
        (rc = lw_register_as(w, &w->admin, "channel-1", "ueth", 5000, 6000, 1000)))
        return rc;
    return CW_OK;
}

static inline void lw_free(struct lw *w)
{
    cw_events_free(&w->ev);
    cw_kv_cache_destroy(w->store);
}

/* ---- readers ---- */

static inline uint64_t lw_bal(struct lw *w, const cw_address *a)
{
    uint64_t b = 0;
    if (cw_bank_balance(&w->kv, &b, a, "uusd"))
        return UINT64_MAX;
    return b;
}

static inline uint64_t lw_pool_bal(struct lw *w)
{
    cw_address pool;
    cw_module_address(&pool, CW_LEND_POOL_ACCOUNT);
    return lw_bal(w, &pool);
}

static inline uint64_t lw_pos(struct lw *w, int user, int col)
{
    uint64_t v = 0;
    if (cw_lend_position(&w->kv, &v, &w->addr[user], w->trace[col]))
        return UINT64_MAX;
    return v;
}

static inline cw_lend_account_info lw_acct(struct lw *w, int user)
{
    cw_lend_account_info a;
    if (cw_lend_account(&w->kv, w->now, &a, &w->addr[user]))
        memset(&a, 0xff, sizeof a);
    return a;
}

static inline cw_lend_market lw_market(struct lw *w)
{
    cw_lend_market m;
    if (cw_lend_market_read(&w->kv, w->now, NULL, &m))
        memset(&m, 0xff, sizeof m);
    return m;
}

/* ---- the books (DESIGN §8 invariants); returns NULL or what broke ---- */

/* Check, at block time w->now and with interest accrued in memory:
 *  1. the pool's bank balance equals the market's cash (nothing leaks, nothing is minted);
 *  2. Σ users' shares = total shares; Σ users' scaled debt = total scaled debt;
 *  3. total borrows ≤ Σ users' debts ≤ total borrows + LW_USERS (each debt rounds up once);
 *  4. cash + borrows − reserves ≥ (supplied − withdrawn) + (interest − reserve interest)
 *     − bad debt socialized: suppliers are owed no more than the pool holds; the excess is
 *     rounding kept by the protocol and stays below dust_max;
 *  5. Σ users' redeemable supply ≤ cash + borrows − reserves;
 *  6. for each collateral: Σ positions = collateral/total and total + in-flight = escrow[c]
 *     (the model of A's escrow); with escrow == NULL this is skipped. */
static inline const char *lw_check_books(struct lw *w, const uint64_t *escrow, cw_u128 dust_max)
{
    static char why[256];
    cw_lend_market m = lw_market(w);
    cw_u128 shares = 0, scaled = 0, debts = 0, redeem = 0;
    if (m.borrow_index_wad == CW_U128_MAX)
        return "market unreadable";
    if (lw_pool_bal(w) != m.cash) {
        snprintf(why, sizeof why, "pool balance %llu != cash %llu",
                 (unsigned long long)lw_pool_bal(w), (unsigned long long)m.cash);
        return why;
    }
    for (int u = 0; u < LW_USERS; u++) {
        cw_lend_account_info a = lw_acct(w, u);
        if (a.debt == CW_U128_MAX)
            return "account unreadable";
        shares += a.shares;
        scaled += a.scaled_debt;
        debts += a.debt;
        redeem += a.supply_value;
    }
    if (shares != m.total_shares)
        return "shares do not sum to total shares";
    if (scaled != m.total_scaled_debt)
        return "scaled debts do not sum to the total";
    if (debts < m.total_borrows || debts > m.total_borrows + LW_USERS)
        return "total borrows outside [Σ debts − users, Σ debts]";
    cw_u128 lhs = (cw_u128)m.cash + m.total_borrows;
    if (lhs < m.reserves)
        return "reserves exceed the pool's assets";
    lhs -= m.reserves;
    cw_u128 rhs = m.supplied + m.interest - m.reserve_interest;
    if (rhs < m.withdrawn + m.bad_debt_socialized)
        return "suppliers withdrew more than supplied plus interest";
    rhs -= m.withdrawn + m.bad_debt_socialized;
    if (lhs < rhs) {
        snprintf(why, sizeof why, "books short: cash+borrows-reserves %llu < owed %llu",
                 (unsigned long long)lhs, (unsigned long long)rhs);
        return why;
    }
    if (lhs - rhs > dust_max) {
        snprintf(why, sizeof why, "rounding surplus %llu above the dust bound %llu",
                 (unsigned long long)(lhs - rhs), (unsigned long long)dust_max);
        return why;
    }
    if (redeem > lhs)
        return "suppliers could redeem more than the pool is worth";
    if (m.bad_debt != m.bad_debt_from_reserves + m.bad_debt_socialized)
        return "bad debt not fully attributed";
    if (escrow) {
        for (int c = 0; c < LW_COLS; c++) {
            uint64_t sum = 0, total, inflight;
            for (int u = 0; u < LW_USERS; u++)
                sum += lw_pos(w, u, c);
            if (cw_lend_total(&w->kv, &total, w->chan[c], w->base[c]) ||
                cw_lend_inflight(&w->kv, &inflight, w->chan[c], w->base[c]))
                return "totals unreadable";
            if (sum != total)
                return "positions do not sum to collateral/total";
            if (total + inflight != escrow[c])
                return "escrow != total + in-flight";
        }
    }
    return NULL;
}

#endif
