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

#include "causeway/app_msgs.h"
#include "causeway/bank.h"
#include "causeway/codec.h"
#include "causeway/event.h"
#include "causeway/gas.h"
#include "causeway/ibc.h"
#include "causeway/packet.h"
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
    cw_app *app;                     /* the chain's router with the market's routes */
    uint64_t now;                    /* block time, ns */
    cw_pubkey32 admin, oracle;
    cw_pubkey32 user[LW_USERS];
    cw_address addr[LW_USERS];
    const char *chan[LW_COLS], *base[LW_COLS];
    char trace[LW_COLS][CW_LEND_TRACE_DENOM_LEN + 1];
    uint64_t price_time[LW_COLS];    /* last oracle time per collateral */
    cw_gas_meter *meter;             /* non-NULL: msgs run on a metered store, as the chain's */
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

/* A collateral channel end in `state`, written as the IBC host writes it. */
static inline int lw_channel(struct lw *w, const char *channel, uint64_t state)
{
    char key[CW_PATH_MAX];
    cw_enc e;
    cw_channel_end ce = {.state = (uint8_t)state, .ordering = CW_ORDER_UNORDERED};
    snprintf(ce.counterparty_port, sizeof ce.counterparty_port, "collateral");
    snprintf(ce.counterparty_channel, sizeof ce.counterparty_channel, "channel-9");
    snprintf(ce.client_id, sizeof ce.client_id, "client-0");
    snprintf(ce.counterparty_client_id, sizeof ce.counterparty_client_id, "client-0");
    snprintf(ce.version, sizeof ce.version, "collateral-1");
    cw_path_channel_end(key, CW_LEND_PORT, channel);
    cw_enc_init(&e);
    cw_channel_end_enc(&e, &ce);
    int rc = e.rc ? e.rc : cw_kv_set_s(&w->kv, key, cw_enc_data(&e), cw_enc_len(&e));
    cw_enc_free(&e);
    return rc;
}

/* Run the handler of `type` on a body as the chain does: through the router (which decodes
 * the body), on a child cache, committed on success, discarded on failure (which must have
 * written nothing and said why). */
static inline int lw_run_obj(struct lw *w, const cw_pubkey32 *signer, const char *type,
                             const msgpack_object *body)
{
    if (body->type != MSGPACK_OBJECT_ARRAY)
        return CW_EMALFORMED; /* the tx decoder only hands arrays to handlers */
    cw_kv_cache *tx;
    if (cw_kv_cache_create(&tx, &w->kv))
        return -12;
    cw_kv kv = cw_kv_cache_kv(tx);
    cw_gas_kv metered = {.parent = &kv, .meter = w->meter};
    cw_kv mkv = cw_gas_kv_view(&metered);
    cw_exec_ctx ctx = {.app = w->app, .kv = w->meter ? &mkv : &kv, .gas = w->meter,
                       .events = &w->ev, .chain_id = "beta", .height = 7, .time_ns = w->now,
                       .signer_pk = *signer};
    cw_address_of(&ctx.signer, signer);
    cw_events_mark mark = cw_events_mark_now(&w->ev);
    w->err[0] = '\0';
    int rc = cw_app_dispatch(w->app, &ctx, type, body, w->err, sizeof w->err);
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
    return rc;
}

/* Run one handler on an encoded body (any bytes: they are decoded as the chain would). */
static inline int lw_run_raw(struct lw *w, const cw_pubkey32 *signer, const char *type,
                             const uint8_t *body, size_t body_len)
{
    cw_dec d = {0};
    const msgpack_object *root = NULL;
    int rc = cw_dec_open(&d, &root, body, body_len, 1 << 16, w->err, sizeof w->err);
    if (rc == CW_OK)
        rc = lw_run_obj(w, signer, type, root);
    cw_dec_close(&d);
    return rc;
}

/* Run a hand-made body (malformed on purpose) as `type`. body is consumed. */
static inline int lw_run_body(struct lw *w, const cw_pubkey32 *signer, const char *type,
                              cw_enc *body)
{
    int rc = body->rc ? body->rc
                      : lw_run_raw(w, signer, type, cw_enc_data(body), cw_enc_len(body));
    cw_enc_free(body);
    return rc;
}

/* Run one Msg [type, body] (as causeway/app_msgs.h encodes it) the way the chain does.
 * msg is consumed. */
static inline int lw_run(struct lw *w, const cw_pubkey32 *signer, cw_enc *msg)
{
    cw_dec d = {0};
    const msgpack_object *root = NULL;
    int rc = msg->rc ? msg->rc
                     : cw_dec_open(&d, &root, cw_enc_data(msg), cw_enc_len(msg), 1 << 16, w->err,
                                   sizeof w->err);
    if (rc == CW_OK) {
        char type[CW_ID_MAX + 1];
        const msgpack_object *f = cw_dec_array(&d, root, 2, "msg");
        cw_dec_id(&d, &f[0], type, "msg.type");
        rc = d.rc ? d.rc : lw_run_obj(w, signer, type, &f[1]);
    }
    cw_dec_close(&d);
    cw_enc_free(msg);
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

/* ---- msg builders (causeway/app_msgs.h) ---- */

static inline int lw_amount_msg(struct lw *w, int user,
                                void (*enc)(cw_enc *, const cw_msg_lend_amount *),
                                uint64_t amount)
{
    cw_enc e;
    cw_enc_init(&e);
    enc(&e, &(cw_msg_lend_amount){.amount = amount});
    return lw_run(w, &w->user[user], &e);
}
static inline int lw_supply(struct lw *w, int u, uint64_t a)
{
    return lw_amount_msg(w, u, cw_msg_lend_supply_enc, a);
}
/* lend.withdraw_supply [amount, all] as it is on the wire (all with amount 0 is --all) */
static inline int lw_withdraw_ex(struct lw *w, int u, uint64_t a, bool all)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_withdraw_supply_enc(&e, &(cw_msg_lend_withdraw_supply){.amount = a, .all = all});
    return lw_run(w, &w->user[u], &e);
}
static inline int lw_withdraw(struct lw *w, int u, uint64_t a)
{
    return lw_withdraw_ex(w, u, a, false);
}
static inline int lw_withdraw_all(struct lw *w, int u)
{
    return lw_withdraw_ex(w, u, 0, true);
}
static inline int lw_borrow(struct lw *w, int u, uint64_t a)
{
    return lw_amount_msg(w, u, cw_msg_lend_borrow_enc, a);
}

/* on_behalf < 0: nil (repay one's own debt) */
static inline int lw_repay(struct lw *w, int user, uint64_t amount, int on_behalf)
{
    cw_msg_lend_repay m = {.amount = amount, .has_on_behalf_of = on_behalf >= 0};
    if (on_behalf >= 0)
        m.on_behalf_of = w->addr[on_behalf];
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_repay_enc(&e, &m);
    return lw_run(w, &w->user[user], &e);
}

static inline int lw_liquidate(struct lw *w, int liquidator, int borrower, uint64_t repay, int col)
{
    cw_msg_lend_liquidate m = {.borrower = w->addr[borrower], .repay_amount = repay};
    memcpy(m.collateral, w->trace[col], sizeof m.collateral);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_liquidate_enc(&e, &m);
    return lw_run(w, &w->user[liquidator], &e);
}

static inline int lw_set_price_as(struct lw *w, const cw_pubkey32 *signer, const char *trace,
                                  cw_u128 price, uint64_t time_ns)
{
    cw_msg_oracle_set_price m = {.price_wad = price, .time_ns = time_ns};
    snprintf(m.denom, sizeof m.denom, "%s", trace);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_oracle_set_price_enc(&e, &m);
    return lw_run(w, signer, &e);
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
                                 const char *base, uint32_t ltv, uint32_t lt, uint32_t bonus)
{
    cw_msg_lend_register_collateral m = {.ltv_bps = ltv, .liquidation_threshold_bps = lt,
                                         .liquidation_bonus_bps = bonus};
    snprintf(m.channel, sizeof m.channel, "%s", channel);
    snprintf(m.base_denom, sizeof m.base_denom, "%s", base);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_register_collateral_enc(&e, &m);
    return lw_run(w, signer, &e);
}

/* lend.pause: pause (or resume) the CW_LEND_ACTION_* bits in actions */
static inline int lw_pause_as(struct lw *w, const cw_pubkey32 *signer, uint64_t actions,
                              bool paused)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_pause_enc(&e, &(cw_msg_lend_pause){.actions = actions, .paused = paused});
    return lw_run(w, signer, &e);
}

static inline int lw_withdraw_reserves_as(struct lw *w, const cw_pubkey32 *signer,
                                          const cw_address *to, uint64_t amount)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_withdraw_reserves_enc(&e,
                                      &(cw_msg_lend_withdraw_reserves){.to = *to, .amount = amount});
    return lw_run(w, signer, &e);
}

/* lend.update_market with market params p (NULL: nil) and one collateral update (col < 0:
 * none). */
static inline int lw_update_as(struct lw *w, const cw_pubkey32 *signer, const cw_lend_params *p,
                               int col, uint32_t ltv, uint32_t lt, uint32_t bonus)
{
    cw_msg_lend_update_market m = {.has_market = p != NULL, .n_collaterals = col >= 0};
    if (p)
        m.market = (cw_msg_lend_market_params){
            .base_rate_wad = p->base_rate_wad, .slope1_wad = p->slope1_wad,
            .kink_wad = p->kink_wad, .slope2_wad = p->slope2_wad,
            .close_factor_bps = p->close_factor_bps, .reserve_factor_bps = p->reserve_factor_bps,
            .max_price_age_ns = p->max_price_age_ns,
            .liquidation_grace_ns = p->liquidation_grace_ns, .dust_threshold = p->dust_threshold,
            .supply_cap = p->supply_cap, .borrow_cap = p->borrow_cap};
    if (col >= 0) {
        memcpy(m.collaterals[0].denom, w->trace[col], sizeof m.collaterals[0].denom);
        m.collaterals[0].ltv_bps = ltv;
        m.collaterals[0].liquidation_threshold_bps = lt;
        m.collaterals[0].liquidation_bonus_bps = bonus;
    }
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_update_market_enc(&e, &m);
    return lw_run(w, signer, &e);
}

/* ---- setup ---- */

/* An empty world: the store, the event list and the router with the market's routes, no
 * market. Returns CW_OK or the first failure; lw_free releases it either way. */
static inline int lw_open(struct lw *w)
{
    int rc;
    memset(w, 0, sizeof *w);
    if ((rc = cw_kv_cache_create(&w->store, NULL)) || (rc = cw_app_create(&w->app, "beta")) ||
        (rc = cw_lend_register(w->app)))
        return rc;
    w->kv = cw_kv_cache_kv(w->store);
    cw_events_init(&w->ev);
    return CW_OK;
}

/* Genesis with p (NULL: defaults), channels channel-0 and channel-1 OPEN, collaterals
 * channel-0/uatom (ltv 75%, lt 80%, bonus 5%) and channel-1/ueth (50%, 60%, 10%)
 * registered, every user holding `cash` uusd. Returns CW_OK or the first failure. */
static inline int lw_init(struct lw *w, const cw_lend_params *p, uint64_t cash)
{
    cw_lend_params def;
    int rc;
    if (!p) {
        lw_default_params(&def);
        p = &def;
    }
    if ((rc = lw_open(w)))
        return rc;
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
        if ((rc = cw_trace_denom(w->trace[c], w->chan[c], w->base[c])))
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
    cw_app_destroy(w->app);
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
 *  2b. market/borrowers/{addr} = [1] exactly while the account's scaled debt > 0, and
 *      market/borrower_count = how many such entries (the keeper's index, DESIGN §8);
 *  3. total borrows ≤ Σ users' debts ≤ total borrows + LW_USERS (each debt rounds up once);
 *  4. cash + borrows − reserves + withdrawn + bad debt socialized ≥ supplied + (interest −
 *     reserve interest): suppliers are owed no more than the pool holds; the excess is
 *     rounding kept by the protocol (lent out to suppliers through the exchange rate) and
 *     stays below dust_max;
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
    uint64_t indexed = 0, count = 0;
    for (int u = 0; u < LW_USERS; u++) {
        cw_lend_account_info a = lw_acct(w, u);
        if (a.debt == CW_U128_MAX)
            return "account unreadable";
        /* the borrower index: market/borrowers/{addr} = [1] exactly while scaled debt > 0 */
        char kb[CW_KEY_MAX];
        const uint8_t *v = NULL;
        size_t vl = 0;
        uint64_t markets = 0;
        cw_key_lend_borrower(kb, &w->addr[u]);
        int rc = cw_kv_get_s(&w->kv, kb, &v, &vl);
        if ((rc != CW_OK && rc != CW_ENOTFOUND) ||
            cw_val_u64_rec_dec(&markets, rc == CW_OK ? v : NULL, vl, NULL, 0))
            return "borrower index unreadable";
        if (markets != (a.scaled_debt > 0 ? 1u : 0u)) {
            snprintf(why, sizeof why, "user %d: borrower index %llu, scaled debt %s0", u,
                     (unsigned long long)markets, a.scaled_debt > 0 ? ">" : "=");
            return why;
        }
        indexed += markets > 0;
        shares += a.shares;
        scaled += a.scaled_debt;
        debts += a.debt;
        redeem += a.supply_value;
    }
    {
        const uint8_t *v = NULL;
        size_t vl = 0;
        int rc = cw_kv_get_s(&w->kv, CW_KEY_LEND_BORROWER_COUNT, &v, &vl);
        if ((rc != CW_OK && rc != CW_ENOTFOUND) ||
            cw_val_u64_rec_dec(&count, rc == CW_OK ? v : NULL, vl, NULL, 0) || count != indexed)
            return "market/borrower_count != the borrower index's entries";
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
    /* moved to both sides to stay unsigned: suppliers may already have withdrawn part of
     * the protocol's rounding surplus (it is in the exchange rate) */
    lhs += m.withdrawn + m.bad_debt_socialized;
    cw_u128 rhs = m.supplied + m.interest - m.reserve_interest;
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
    if (redeem > (cw_u128)m.cash + m.total_borrows - m.reserves)
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

/* ---- a random-walk simulator (test_lend_random.c, fuzz_lend_msgs.c) ---- */

#define LW_MAX_PENDING 32
#define LW_SIM_OPS 13

struct lw_sim {
    struct lw w;
    uint64_t escrow[LW_COLS];   /* model of A's escrow per collateral */
    struct { int user, col; uint64_t amount; } pending[LW_MAX_PENDING]; /* releases in flight */
    int n_pending;
    cw_u128 dust_max;           /* rounding the protocol may have kept so far */
    uint64_t ok_ops, failed_ops;
    uint64_t ok_by_op[LW_SIM_OPS]; /* successful operations by kind */
    uint64_t write_offs;        /* sweeps that wrote a debt off */
    uint64_t reserve_withdrawals; /* lend.withdraw_reserves applied */
    uint64_t paused_refusals;   /* sweeps refused because liquidation was paused */
    uint64_t keeper_liqs;       /* liquidations chosen as the keeper does (quote + choose) */
    /* lw_sim_count_writes: the store behind w.kv, and every set/del made through w.kv */
    cw_kv inner;
    bool counting;
    uint64_t writes;
    bool memo_verify;           /* run the books check even when the memo says it passed */
    struct {                    /* the inputs of the last books check that passed */
        bool valid;
        uint64_t writes, now, escrow[LW_COLS];
        cw_u128 dust_max;
    } memo;
};

static inline int lw_count_get(void *ctx, const uint8_t *key, size_t key_len,
                               const uint8_t **val, size_t *val_len)
{
    struct lw_sim *s = ctx;
    return s->inner.ops->get(s->inner.ctx, key, key_len, val, val_len);
}
static inline int lw_count_set(void *ctx, const uint8_t *key, size_t key_len,
                               const uint8_t *val, size_t val_len)
{
    struct lw_sim *s = ctx;
    s->writes++;
    return s->inner.ops->set(s->inner.ctx, key, key_len, val, val_len);
}
static inline int lw_count_del(void *ctx, const uint8_t *key, size_t key_len)
{
    struct lw_sim *s = ctx;
    s->writes++;
    return s->inner.ops->del(s->inner.ctx, key, key_len);
}

/* Route w.kv through a layer that counts every write to the world's store (a child cache's
 * commit writes through it too), so lw_sim_books can tell that nothing changed since its last
 * passing check. s must not move afterwards (the layer points at it). */
static inline void lw_sim_count_writes(struct lw_sim *s)
{
    static const cw_kv_ops ops = {lw_count_get, lw_count_set, lw_count_del};
    s->inner = s->w.kv;
    s->w.kv = (cw_kv){&ops, s};
    s->counting = true;
    s->memo.valid = false;
}

/* lw_check_books on the sim's state. lw_check_books is a function of the store, w.now, the
 * escrow model and dust_max only (the world's names and addresses are fixed): with writes
 * counted (lw_sim_count_writes) and none of those changed since the last check that passed,
 * it would pass again, so it is skipped — a failing msg, which must write nothing (lw_run
 * checks), costs no books check. memo_verify runs it anyway and reports a skip that would
 * have hidden a failure. */
static inline const char *lw_sim_books(struct lw_sim *s)
{
    bool same = s->counting && s->memo.valid && s->memo.writes == s->writes &&
                s->memo.now == s->w.now && s->memo.dust_max == s->dust_max &&
                memcmp(s->memo.escrow, s->escrow, sizeof s->escrow) == 0;
    if (same && !s->memo_verify)
        return NULL;
    const char *why = lw_check_books(&s->w, s->escrow, s->dust_max);
    if (same && why)
        return "the books memo skipped a check that fails";
    s->memo.valid = why == NULL;
    s->memo.writes = s->writes;
    s->memo.now = s->w.now;
    s->memo.dust_max = s->dust_max;
    memcpy(s->memo.escrow, s->escrow, sizeof s->escrow);
    return why;
}

/* The default market, with a grace period after a price resumes and a dust threshold, so
 * the walk reaches both rules. */
static inline int lw_sim_init(struct lw_sim *s)
{
    cw_lend_params p;
    memset(s, 0, sizeof *s);
    lw_default_params(&p);
    p.liquidation_grace_ns = 30 * LW_SEC;
    p.dust_threshold = 100;
    return lw_init(&s->w, &p, 1000000000000000ull); /* 1e15 uusd each */
}

/* Rounding the protocol can keep from one borrow/repay/liquidation: < index/WAD + 2. */
static inline void lw_sim_dust(struct lw_sim *s)
{
    s->dust_max += lw_market(&s->w).borrow_index_wad / CW_WAD + 2;
}

/* After a Borrow or a release debit the account must be within its LTV (DESIGN §8). */
static inline const char *lw_sim_within_ltv(struct lw_sim *s, int u)
{
    cw_lend_account_info a = lw_acct(&s->w, u);
    return a.borrow_limit >= a.debt ? NULL : "a borrow or release left value x LTV < debt";
}

/* Bad debt is recorded, never hidden (DESIGN §8): a borrower with debt and nothing left —
 * no position or release in flight worth ≥ 1 base unit at its denom's latest price — is
 * cleared by one liquidation (a write-off naming a denom it holds none of, or the seize of
 * its dust), whose write-off is recorded as bad debt. Returns NULL or what broke. */
static inline const char *lw_sim_sweep(struct lw_sim *s)
{
    struct lw *w = &s->w;
    cw_lend_params p;
    if (cw_lend_market_read(&w->kv, 0, &p, NULL) != CW_OK)
        return "market unreadable";
    const uint64_t max_age = p.max_price_age_ns;
    for (int u = 0; u < LW_USERS; u++) {
        cw_lend_account_info a = lw_acct(w, u);
        if (a.debt == 0)
            continue;
        bool left = false;
        int zero_col = -1, dust_col = -1;
        for (int c = 0; c < LW_COLS; c++) {
            cw_u128 price = 0, v;
            uint64_t t = 0, held = lw_pos(w, u, c);
            if (cw_lend_price(&w->kv, &price, &t, w->trace[c]) != CW_OK)
                price = 0;
            cw_u128 holding = held; /* and the holder's releases of c in flight, together */
            for (int i = 0; i < s->n_pending; i++)
                if (s->pending[i].user == u && s->pending[i].col == c)
                    holding += s->pending[i].amount;
            if (cw_muldiv_u128(&v, holding, price, CW_WAD, CW_ROUND_DOWN) || v > 0)
                left = true;
            if (held == 0 && zero_col < 0)
                zero_col = c; /* a write-off needs no price */
            if (held > 0 && price > 0 && w->now - t <= max_age && dust_col < 0)
                dust_col = c; /* dust with a fresh price: seized whole */
        }
        /* a denom it holds none of, else fresh-priced dust (seized whole), else stale dust
         * (a write-off without a seize) */
        int col = zero_col >= 0 ? zero_col : dust_col >= 0 ? dust_col : 0;
        if (left)
            continue;
        cw_lend_market m0 = lw_market(w);
        int rc = lw_liquidate(w, (u + 1) % LW_USERS, u, 1, col);
        if (m0.paused_actions & CW_LEND_ACTION_LIQUIDATE) { /* the admin's choice: it waits */
            if (rc != CW_ESTATE || !strstr(w->err, "liquidate is paused"))
                return "a liquidation went ahead (or failed otherwise) while paused";
            s->paused_refusals++;
            continue;
        }
        if (rc != CW_OK) {
            static char why[300];
            snprintf(why, sizeof why, "a borrower with nothing left was not cleared: %s",
                     w->err);
            return why;
        }
        cw_lend_market m1 = lw_market(w);
        if (lw_acct(w, u).debt != 0)
            return "a sweep left debt behind";
        if (m1.bad_debt <= m0.bad_debt || m1.bad_debt - m0.bad_debt > a.debt)
            return "a write-off was not recorded as bad debt (or more than the debt)";
        lw_sim_dust(s);
        s->write_offs++;
    }
    return NULL;
}

/* A liquidation of v by u as `causeway keeper` makes it (DESIGN §8 "Keeper"): the chain's
 * quote (cw_lend_liquidation_quote) and cw_liq_choose. What the quote allows, lend.liquidate
 * must accept, seizing exactly the chosen amount for exactly the chosen repay (unless the
 * liquidator cannot pay); what the quote refuses, lend.liquidate must refuse too. *rc: the
 * liquidation's outcome. */
static inline const char *lw_sim_keeper(struct lw_sim *s, int u, int v, int *rc)
{
    struct lw *w = &s->w;
    static cw_rpc_lend_quote q;
    cw_liq_choice ch;
    *rc = cw_lend_liquidation_quote(&w->kv, w->now, &w->addr[v], &q);
    if (*rc != CW_OK)
        return "the keeper's quote failed";
    if (q.refusal != 0 || cw_liq_choose(&ch, q.items, q.n, UINT64_MAX) != CW_OK) {
        /* refused (or nothing seizable): so is any liquidation of v in either denom, unless
         * only the write-off is left (nothing seizable, repay 0) */
        for (int c = 0; c < LW_COLS && q.refusal != 0; c++) {
            cw_lend_account_info ai = lw_acct(w, v);
            uint64_t amt = ai.debt > 1 ? (uint64_t)(ai.debt / 2) : 1;
            if ((*rc = lw_liquidate(w, u, v, amt, c)) == CW_OK)
                return "the quote refused a liquidation the chain then accepted";
        }
        *rc = CW_ESTATE;
        return NULL;
    }
    int col = -1;
    for (int c = 0; c < LW_COLS; c++)
        if (strcmp(w->trace[c], q.items[ch.index].trace_denom) == 0)
            col = c;
    if (col < 0)
        return "the quote named a denom that is not registered";
    uint64_t pos_u = lw_pos(w, u, col), pos_v = lw_pos(w, v, col), bal = lw_bal(w, &w->addr[u]);
    *rc = lw_liquidate(w, u, v, ch.repay, col);
    if (*rc != CW_OK) {
        if (*rc == CW_EINSUFFICIENT && bal < ch.repay)
            return NULL; /* the liquidator could not pay */
        static char why[400];
        snprintf(why, sizeof why, "the chain refused the liquidation its quote allowed and "
                 "the keeper chose (repay %llu): %s", (unsigned long long)ch.repay, w->err);
        return why;
    }
    if (lw_pos(w, u, col) != pos_u + ch.seize || lw_pos(w, v, col) != pos_v - ch.seize ||
        lw_bal(w, &w->addr[u]) != bal - ch.repay)
        return "the chain's liquidation differs from the keeper's choice";
    lw_sim_dust(s);
    s->keeper_liqs++;
    return NULL;
}

/* Apply one operation chosen by (op, a, b, x). Failing operations are fine (they must
 * write nothing, which lw_run/lw_app check); returns NULL or the invariant that broke. */
static inline const char *lw_sim_step(struct lw_sim *s, uint8_t op, uint8_t a, uint8_t b,
                                      uint64_t x)
{
    struct lw *w = &s->w;
    int u = a % LW_USERS, v = b % LW_USERS, col = b % LW_COLS, rc = CW_OK;
    const char *why = NULL;
    /* mostly modest amounts, sometimes anything */
    uint64_t amt = a == 0xff ? x : x % 2000000;
    /* the action each op is, for the pause check below (0: never paused) */
    static const uint64_t op_action[LW_SIM_OPS] = {
        CW_LEND_ACTION_SUPPLY, CW_LEND_ACTION_WITHDRAW_SUPPLY, CW_LEND_ACTION_BORROW, 0,
        CW_LEND_ACTION_LIQUIDATE, 0, 0, 0, CW_LEND_ACTION_WITHDRAW_COLLATERAL};
    cw_lend_params p0;
    if (cw_lend_market_read(&w->kv, 0, &p0, NULL) != CW_OK)
        return "market unreadable";
    const uint64_t paused0 = lw_market(w).paused_actions;
    switch (op % LW_SIM_OPS) {
    case 0:
        rc = lw_supply(w, u, amt);
        break;
    case 1:
        rc = (b & 0x40) ? lw_withdraw_all(w, u) : lw_withdraw(w, u, amt);
        break;
    case 2:
        if (b & 1) { /* a share of what the account may still borrow */
            cw_lend_account_info ai = lw_acct(w, u);
            if (ai.borrow_limit > ai.debt)
                amt = (uint64_t)((ai.borrow_limit - ai.debt) * (1 + x % 101) / 100);
        }
        if ((rc = lw_borrow(w, u, amt)) == CW_OK) {
            lw_sim_dust(s);
            why = lw_sim_within_ltv(s, u);
        }
        break;
    case 3:
        if ((rc = lw_repay(w, u, amt, (b & 1) ? v : -1)) == CW_OK)
            lw_sim_dust(s);
        break;
    case 4: {
        int lcol = (a >> 3) % LW_COLS;
        if ((b & 0x60) == 0x60 && u != v) { /* the keeper: the chain's quote, cw_liq_choose */
            why = lw_sim_keeper(s, u, v, &rc);
            break;
        }
        if (a & 1) { /* a liquidator looks for the weakest account it can seize from */
            cw_u128 worst = CW_U128_MAX;
            for (int i = 0; i < LW_USERS; i++) {
                cw_lend_account_info ai = lw_acct(w, i);
                for (int c = 0; c < LW_COLS && i != u && ai.debt > 0; c++) {
                    cw_u128 p;
                    uint64_t t;
                    if (lw_pos(w, i, c) > 0 && cw_lend_price(&w->kv, &p, &t, w->trace[c]) == 0 &&
                        w->now - t <= 60 * LW_SEC && ai.health_factor_wad < worst) {
                        worst = ai.health_factor_wad;
                        v = i;
                        lcol = c;
                    }
                }
            }
        }
        if ((a & 1) || (b & 0x80)) { /* a share of the close factor's maximum */
            cw_u128 debt = lw_acct(w, v).debt;
            amt = (uint64_t)(debt * 5000 / 10000 * (1 + x % 101) / 100);
        }
        if ((rc = lw_liquidate(w, u, v, amt, lcol)) == CW_OK)
            lw_sim_dust(s);
        break;
    }
    case 5: /* time passes: mostly seconds (prices stay fresh), sometimes days, a year */
        w->now += (b == 0xff)            ? 365ull * 86400 * LW_SEC
                  : (b & 0xf0) == 0xf0 ? x % (2ull * 86400 * LW_SEC)
                                       : x % (30 * LW_SEC);
        break;
    case 6: { /* the oracle moves a price (from [0.01, 10.24]) by a few percent, a crash or a
               * collapse to dust; sometimes it re-posts the other denom too */
        cw_u128 price = CW_WAD / 100 * (1 + x % 1024), old;
        uint64_t t;
        if ((a & 15) != 0 && cw_lend_price(&w->kv, &old, &t, w->trace[col]) == CW_OK) {
            price = old * (90 + (x >> 20) % 21) / 100; /* −10% … +10% */
            if ((a & 0x30) == 0x30)
                price = old / 2; /* a crash */
            if ((a & 0xf0) == 0xe0)
                price = old / 1000000; /* a collapse: positions turn to dust */
            if (price < CW_WAD / 100000000 || price > 20 * CW_WAD)
                price = CW_WAD;
        }
        rc = lw_price(w, col, price);
        if (rc == CW_OK && (b & 2)) { /* the oracle re-posts the other denom's last price */
            int o = (col + 1) % LW_COLS;
            if (cw_lend_price(&w->kv, &old, &t, w->trace[o]) == CW_OK && t < w->now)
                rc = lw_price(w, o, old);
        }
        break;
    }
    case 7:
        if ((x >> 40) % 8 == 0)
            amt = 1 + x % 3; /* dust */
        if ((rc = lw_app(w, LW_CREDIT, u, col, amt)) == CW_OK)
            s->escrow[col] += amt;
        break;
    case 8:
        if (s->n_pending == LW_MAX_PENDING)
            break;
        if ((rc = lw_app(w, LW_DEBIT, u, col, amt)) == CW_OK) {
            s->pending[s->n_pending].user = u;
            s->pending[s->n_pending].col = col;
            s->pending[s->n_pending].amount = amt;
            s->n_pending++;
            why = lw_sim_within_ltv(s, u);
        }
        break;
    case 9: { /* a release is acknowledged (unescrowed on A) or fails (re-credited on B) */
        if (s->n_pending == 0)
            break;
        int i = (int)(x % (uint64_t)s->n_pending);
        bool ok = b & 1;
        rc = lw_app(w, ok ? LW_SETTLE_OK : LW_SETTLE_FAIL, s->pending[i].user,
                    s->pending[i].col, s->pending[i].amount);
        if (rc != CW_OK)
            return "settling a release failed (must be unconditional)";
        if (ok)
            s->escrow[s->pending[i].col] -= s->pending[i].amount;
        s->pending[i] = s->pending[--s->n_pending];
        break;
    }
    case 10:
        if (b & 0x80) { /* the admin takes part of the reserves to a treasury (user v) */
            cw_lend_market m = lw_market(w);
            uint64_t most = m.reserves < m.cash ? (uint64_t)m.reserves : m.cash;
            rc = lw_withdraw_reserves_as(w, &w->admin, &w->addr[v], x % (most + 2));
            if (rc == CW_OK)
                s->reserve_withdrawals++;
        } else { /* one action paused (1 in 8) or resumed: each is paused about 1/8 of the
                  * time, so the walk still reaches what a pause blocks */
            rc = lw_pause_as(w, &w->admin, 1ull << (x % 5), (b & 7) == 7);
        }
        break;
    case 12:
        why = lw_sim_sweep(s);
        break;
    default: /* the admin retunes a collateral within the rules (or not), or sets caps */
        if (b & 0x40) { /* caps near the totals (or none): some supplies and borrows refused */
            cw_lend_params p;
            cw_lend_market m = lw_market(w);
            if ((rc = cw_lend_market_read(&w->kv, 0, &p, NULL)) != CW_OK)
                return "market unreadable";
            p.supply_cap = (x & 3) ? 0 : (uint64_t)m.total_supply + x % 4000000;
            p.borrow_cap = (x & 12) ? 0 : (uint64_t)m.total_borrows + (x >> 8) % 2000000;
            rc = lw_update_as(w, &w->admin, &p, -1, 0, 0, 0);
            break;
        }
        rc = lw_update_as(w, &w->admin, NULL, col, (uint32_t)(1000 + x % 6000),
                          (uint32_t)(7000 + (x >> 16) % 2000), (uint32_t)((x >> 32) % 1500));
        break;
    }
    if (rc == LW_EWROTE)
        return "a failing call wrote state";
    if (rc == CW_OK && (paused0 & op_action[op % LW_SIM_OPS]))
        return "a paused action went ahead";
    if (rc == CW_OK && (op % LW_SIM_OPS == 0 || op % LW_SIM_OPS == 2)) {
        cw_lend_market m1 = lw_market(w); /* same block time: the totals the handler saw */
        if (op % LW_SIM_OPS == 0 && p0.supply_cap && m1.total_supply > p0.supply_cap)
            return "a supply took total supply above the supply cap";
        if (op % LW_SIM_OPS == 2 && p0.borrow_cap && m1.total_borrows > p0.borrow_cap)
            return "a borrow took total borrows above the borrow cap";
    }
    if (rc == CW_OK) {
        s->ok_ops++;
        s->ok_by_op[op % LW_SIM_OPS]++;
    } else
        s->failed_ops++;
    if (why)
        return why;
    return lw_sim_books(s);
}

#endif
