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
#define LW_MKTS 2 /* markets: uusd (the price unit) and ueur */
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
    const char *asset[LW_MKTS];      /* the markets' assets; asset[0] is the price unit */
    cw_gas_meter *meter;             /* non-NULL: msgs run on a metered store, as the chain's */
    /* non-NULL: told every committed tx, msg by msg in order, after the commit (an observer,
     * such as test_lend_random.c's independent model); n msgs of [type, body] */
    void (*on_tx)(void *arg, const cw_pubkey32 *signer, const msgpack_object *const *msgs,
                  int n);
    /* non-NULL: told a one-msg tx (lw_run_obj) before it runs (the state it starts from) */
    void (*on_pre)(void *arg, const cw_pubkey32 *signer, const char *type,
                   const msgpack_object *body);
    void *on_tx_arg;
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
    if (w->on_pre)
        w->on_pre(w->on_tx_arg, signer, type, body);
    int rc = cw_app_dispatch(w->app, &ctx, type, body, w->err, sizeof w->err);
    uint32_t at;
    if (rc == CW_OK)
        rc = cw_exec_tx_end(&ctx, &at, w->err, sizeof w->err); /* a one-msg tx's end */
    if (rc == CW_OK) {
        if (cw_kv_cache_commit(tx))
            rc = -5;
        if (rc == CW_OK && w->on_tx) {
            msgpack_object pair[2], msg;
            pair[0].type = MSGPACK_OBJECT_STR;
            pair[0].via.str.ptr = type;
            pair[0].via.str.size = (uint32_t)strlen(type);
            pair[1] = *body;
            msg.type = MSGPACK_OBJECT_ARRAY;
            msg.via.array.size = 2;
            msg.via.array.ptr = pair;
            const msgpack_object *one = &msg;
            w->on_tx(w->on_tx_arg, signer, &one, 1);
        }
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

/* Every builder below has a form for market mi (lw_X_in) and one for the price unit's
 * market, mi 0 (lw_X). */
static inline void lw_amount_enc(struct lw *w, cw_enc *e, int mi,
                                 void (*enc)(cw_enc *, const cw_msg_lend_amount *),
                                 uint64_t amount)
{
    cw_msg_lend_amount m = {.amount = amount};
    snprintf(m.asset, sizeof m.asset, "%s", w->asset[mi]);
    enc(e, &m);
}
static inline int lw_amount_msg(struct lw *w, int user, int mi,
                                void (*enc)(cw_enc *, const cw_msg_lend_amount *),
                                uint64_t amount)
{
    cw_enc e;
    cw_enc_init(&e);
    lw_amount_enc(w, &e, mi, enc, amount);
    return lw_run(w, &w->user[user], &e);
}
static inline int lw_supply_in(struct lw *w, int u, int mi, uint64_t a)
{
    return lw_amount_msg(w, u, mi, cw_msg_lend_supply_enc, a);
}
static inline int lw_supply(struct lw *w, int u, uint64_t a) { return lw_supply_in(w, u, 0, a); }
/* lend.withdraw_supply [asset, amount, all] as it is on the wire (all with amount 0 is --all) */
static inline int lw_withdraw_ex_in(struct lw *w, int u, int mi, uint64_t a, bool all)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_withdraw_supply m = {.amount = a, .all = all};
    snprintf(m.asset, sizeof m.asset, "%s", w->asset[mi]);
    cw_msg_lend_withdraw_supply_enc(&e, &m);
    return lw_run(w, &w->user[u], &e);
}
static inline int lw_withdraw_ex(struct lw *w, int u, uint64_t a, bool all)
{
    return lw_withdraw_ex_in(w, u, 0, a, all);
}
static inline int lw_withdraw(struct lw *w, int u, uint64_t a)
{
    return lw_withdraw_ex(w, u, a, false);
}
static inline int lw_withdraw_all(struct lw *w, int u)
{
    return lw_withdraw_ex(w, u, 0, true);
}
static inline int lw_borrow_in(struct lw *w, int u, int mi, uint64_t a)
{
    return lw_amount_msg(w, u, mi, cw_msg_lend_borrow_enc, a);
}
static inline int lw_borrow(struct lw *w, int u, uint64_t a) { return lw_borrow_in(w, u, 0, a); }

/* on_behalf < 0: nil (repay one's own debt) */
static inline int lw_repay_in(struct lw *w, int user, int mi, uint64_t amount, int on_behalf)
{
    cw_msg_lend_repay m = {.amount = amount, .has_on_behalf_of = on_behalf >= 0};
    snprintf(m.asset, sizeof m.asset, "%s", w->asset[mi]);
    if (on_behalf >= 0)
        m.on_behalf_of = w->addr[on_behalf];
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_repay_enc(&e, &m);
    return lw_run(w, &w->user[user], &e);
}
static inline int lw_repay(struct lw *w, int user, uint64_t amount, int on_behalf)
{
    return lw_repay_in(w, user, 0, amount, on_behalf);
}

/* lend.liquidate of borrower's debt in market mi, seizing collateral col */
static inline int lw_liquidate_in(struct lw *w, int liquidator, int borrower, int mi,
                                  uint64_t repay, int col)
{
    cw_msg_lend_liquidate m = {.borrower = w->addr[borrower], .repay_amount = repay};
    snprintf(m.asset, sizeof m.asset, "%s", w->asset[mi]);
    memcpy(m.collateral, w->trace[col], sizeof m.collateral);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_liquidate_enc(&e, &m);
    return lw_run(w, &w->user[liquidator], &e);
}
static inline int lw_liquidate(struct lw *w, int liquidator, int borrower, uint64_t repay, int col)
{
    return lw_liquidate_in(w, liquidator, borrower, 0, repay, col);
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

/* The oracle prices market mi's asset (mi > 0; the price unit's price is 1) at block time. */
static inline int lw_price_asset(struct lw *w, int mi, cw_u128 price)
{
    return lw_set_price_as(w, &w->oracle, w->asset[mi], price, w->now);
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

/* lend.pause: pause (or resume) the CW_LEND_ACTION_* bits in actions of market mi */
static inline int lw_pause_in(struct lw *w, const cw_pubkey32 *signer, int mi, uint64_t actions,
                              bool paused)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_pause m = {.actions = actions, .paused = paused};
    snprintf(m.asset, sizeof m.asset, "%s", w->asset[mi]);
    cw_msg_lend_pause_enc(&e, &m);
    return lw_run(w, signer, &e);
}
static inline int lw_pause_as(struct lw *w, const cw_pubkey32 *signer, uint64_t actions,
                              bool paused)
{
    return lw_pause_in(w, signer, 0, actions, paused);
}

static inline int lw_withdraw_reserves_in(struct lw *w, const cw_pubkey32 *signer, int mi,
                                          const cw_address *to, uint64_t amount)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_withdraw_reserves m = {.to = *to, .amount = amount};
    snprintf(m.asset, sizeof m.asset, "%s", w->asset[mi]);
    cw_msg_lend_withdraw_reserves_enc(&e, &m);
    return lw_run(w, signer, &e);
}
static inline int lw_withdraw_reserves_as(struct lw *w, const cw_pubkey32 *signer,
                                          const cw_address *to, uint64_t amount)
{
    return lw_withdraw_reserves_in(w, signer, 0, to, amount);
}

/* lend.update_market of market mi with params p (NULL: nil) and one collateral update (col <
 * 0: none). */
static inline int lw_update_in(struct lw *w, const cw_pubkey32 *signer, int mi,
                               const cw_lend_params *p, int col, uint32_t ltv, uint32_t lt,
                               uint32_t bonus)
{
    cw_msg_lend_update_market m = {.has_market = p != NULL, .n_collaterals = col >= 0};
    snprintf(m.asset, sizeof m.asset, "%s", w->asset[mi]);
    if (p)
        m.market = (cw_msg_lend_market_params){
            .base_rate_wad = p->base_rate_wad, .slope1_wad = p->slope1_wad,
            .kink_wad = p->kink_wad, .slope2_wad = p->slope2_wad,
            .close_factor_bps = p->close_factor_bps, .reserve_factor_bps = p->reserve_factor_bps,
            .max_price_age_ns = p->max_price_age_ns,
            .liquidation_grace_ns = p->liquidation_grace_ns, .dust_threshold = p->dust_threshold,
            .supply_cap = p->supply_cap, .borrow_cap = p->borrow_cap,
            .flash_fee_bps = p->flash_fee_bps};
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
static inline int lw_update_as(struct lw *w, const cw_pubkey32 *signer, const cw_lend_params *p,
                               int col, uint32_t ltv, uint32_t lt, uint32_t bonus)
{
    return lw_update_in(w, signer, 0, p, col, ltv, lt, bonus);
}

static inline int lw_flash_in(struct lw *w, int u, int mi, uint64_t a)
{
    return lw_amount_msg(w, u, mi, cw_msg_lend_flash_loan_enc, a);
}

/* One tx of n msgs (each consumed) signed by signer, as the chain runs it (chain/app.c): the
 * msgs in order on one cache layer, each on its own child (a failing msg must write nothing
 * there, as lw_run_obj checks), then the end-of-tx checks they armed; the layer is committed
 * on success, discarded with the tx's events on any failure. *failed (if not NULL) gets the
 * failing msg's index. */
static inline int lw_run_tx(struct lw *w, const cw_pubkey32 *signer, cw_enc *msgs, int n,
                            uint32_t *failed)
{
    cw_kv_cache *tx;
    int rc = CW_OK;
    cw_dec decs[8];
    const msgpack_object *roots[8];
    int n_dec = 0;
    if (n > 8 || cw_kv_cache_create(&tx, &w->kv)) {
        for (int i = 0; i < n; i++)
            cw_enc_free(&msgs[i]);
        return -12;
    }
    cw_kv txkv = cw_kv_cache_kv(tx);
    cw_exec_ctx ctx = {.app = w->app, .kv = &txkv, .gas = NULL, .events = &w->ev,
                       .chain_id = "beta", .height = 7, .time_ns = w->now, .signer_pk = *signer};
    cw_address_of(&ctx.signer, signer);
    cw_events_mark mark = cw_events_mark_now(&w->ev);
    w->err[0] = '\0';
    if (failed)
        *failed = 0;
    for (int i = 0; i < n && rc == CW_OK; i++) {
        cw_dec *d = &decs[n_dec];
        const msgpack_object *root = NULL;
        memset(d, 0, sizeof *d);
        rc = msgs[i].rc ? msgs[i].rc
                        : cw_dec_open(d, &root, cw_enc_data(&msgs[i]), cw_enc_len(&msgs[i]),
                                      1 << 16, w->err, sizeof w->err);
        roots[n_dec++] = root; /* closed at the end, whatever happened */
        if (rc == CW_OK) {
            char type[CW_ID_MAX + 1];
            const msgpack_object *f = cw_dec_array(d, root, 2, "msg");
            cw_dec_id(d, &f[0], type, "msg.type");
            cw_kv_cache *child;
            rc = d->rc ? d->rc : cw_kv_cache_create(&child, &txkv) ? -12 : CW_OK;
            if (rc == CW_OK) {
                cw_kv ckv = cw_kv_cache_kv(child);
                ctx.kv = &ckv;
                ctx.msg_index = (uint32_t)i;
                rc = cw_app_dispatch(w->app, &ctx, type, &f[1], w->err, sizeof w->err);
                if (rc == CW_OK && cw_kv_cache_commit(child))
                    rc = -5;
                else if (rc != CW_OK && cw_kv_cache_pending(child) != 0)
                    rc = LW_EWROTE;
                cw_kv_cache_destroy(child);
                ctx.kv = &txkv;
            }
        }
        if (rc && failed)
            *failed = (uint32_t)i;
    }
    if (rc == CW_OK) {
        uint32_t at;
        rc = cw_exec_tx_end(&ctx, &at, w->err, sizeof w->err);
        if (rc && failed)
            *failed = at;
    }
    if (rc == CW_OK) {
        if (cw_kv_cache_commit(tx))
            rc = -5;
        if (rc == CW_OK && w->on_tx)
            w->on_tx(w->on_tx_arg, signer, roots, n);
    } else {
        cw_kv_cache_discard(tx);
        cw_events_truncate(&w->ev, mark);
    }
    cw_kv_cache_destroy(tx);
    for (int i = 0; i < n_dec; i++)
        cw_dec_close(&decs[i]);
    for (int i = 0; i < n; i++)
        cw_enc_free(&msgs[i]);
    return rc;
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
    w->asset[0] = "uusd";
    w->asset[1] = "ueur";
    return CW_OK;
}

/* Genesis with p (NULL: defaults) for the uusd market (the price unit) and a ueur market
 * with the same parameters (no price yet: nothing can be borrowed in it before the oracle
 * prices ueur), channels channel-0 and channel-1 OPEN, collaterals channel-0/uatom (ltv 75%,
 * lt 80%, bonus 5%) and channel-1/ueth (50%, 60%, 10%) registered, every user holding `cash`
 * uusd and `cash` ueur. Returns CW_OK or the first failure. */
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
        for (int m = 0; m < LW_MKTS && cash; m++)
            if ((rc = cw_bank_mint(&w->kv, &w->addr[i], w->asset[m], cash, NULL, 0)))
                return rc;
    }
    w->chan[0] = "channel-0";
    w->base[0] = "uatom";
    w->chan[1] = "channel-1";
    w->base[1] = "ueth";
    for (int c = 0; c < LW_COLS; c++)
        if ((rc = cw_trace_denom(w->trace[c], w->chan[c], w->base[c])))
            return rc;
    cw_lend_params eur = *p;
    snprintf(eur.borrow_denom, sizeof eur.borrow_denom, "%s", w->asset[1]);
    if (strcmp(p->borrow_denom, w->asset[0]) != 0)
        return CW_EINVAL; /* the world's markets are uusd and ueur */
    if ((rc = cw_lend_genesis(&w->kv, p, w->err, sizeof w->err)) ||
        (rc = cw_lend_genesis(&w->kv, &eur, w->err, sizeof w->err)) ||
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

static inline uint64_t lw_bal_in(struct lw *w, const cw_address *a, int mi)
{
    uint64_t b = 0;
    if (cw_bank_balance(&w->kv, &b, a, w->asset[mi]))
        return UINT64_MAX;
    return b;
}
static inline uint64_t lw_bal(struct lw *w, const cw_address *a) { return lw_bal_in(w, a, 0); }

static inline uint64_t lw_pool_bal_in(struct lw *w, int mi)
{
    cw_address pool;
    cw_module_address(&pool, CW_LEND_POOL_ACCOUNT);
    return lw_bal_in(w, &pool, mi);
}
static inline uint64_t lw_pool_bal(struct lw *w) { return lw_pool_bal_in(w, 0); }

static inline uint64_t lw_pos(struct lw *w, int user, int col)
{
    uint64_t v = 0;
    if (cw_lend_position(&w->kv, &v, &w->addr[user], w->trace[col]))
        return UINT64_MAX;
    return v;
}

/* An account in market mi (debt, scaled debt, shares, supply value: that market's) with its
 * standing over every market (debt_value, limits, health factor: in the price unit).
 * Unreadable: every field all-ones. */
typedef struct lw_account {
    cw_u128 debt, scaled_debt, shares, supply_value;
    cw_u128 debt_value, borrow_limit, liquidation_limit, health_factor_wad;
} lw_account;

static inline lw_account lw_acct_in(struct lw *w, int user, int mi)
{
    cw_lend_account_info a;
    lw_account r;
    if (cw_lend_account(&w->kv, w->now, &a, &w->addr[user]) || (size_t)mi >= a.n_markets) {
        memset(&r, 0xff, sizeof r);
        return r;
    }
    r = (lw_account){.debt = a.markets[mi].debt, .scaled_debt = a.markets[mi].scaled_debt,
                     .shares = a.markets[mi].shares, .supply_value = a.markets[mi].supply_value,
                     .debt_value = a.debt_value, .borrow_limit = a.borrow_limit,
                     .liquidation_limit = a.liquidation_limit,
                     .health_factor_wad = a.health_factor_wad};
    return r;
}
static inline lw_account lw_acct(struct lw *w, int user) { return lw_acct_in(w, user, 0); }

static inline cw_lend_market lw_market_in(struct lw *w, int mi)
{
    cw_lend_market m;
    if (cw_lend_market_read(&w->kv, w->asset[mi], w->now, NULL, &m))
        memset(&m, 0xff, sizeof m);
    return m;
}
static inline cw_lend_market lw_market(struct lw *w) { return lw_market_in(w, 0); }

/* The borrower index's entry of user (market/borrowers/{addr}): *markets its value (0 when
 * absent), *present whether the key exists. Returns CW_OK or what the read or decode said. */
static inline int lw_borrower_markets(struct lw *w, int user, uint64_t *markets, bool *present)
{
    char kb[CW_KEY_MAX];
    const uint8_t *v = NULL;
    size_t vl = 0;
    cw_key_lend_borrower(kb, &w->addr[user]);
    int rc = cw_kv_get_s(&w->kv, kb, &v, &vl);
    *present = rc == CW_OK;
    if (rc != CW_OK && rc != CW_ENOTFOUND)
        return rc;
    return cw_val_u64_rec_dec(markets, rc == CW_OK ? v : NULL, vl, NULL, 0);
}

/* ---- the books (DESIGN §8 invariants); returns NULL or what broke ---- */

/* Check, at block time w->now and with interest accrued in memory, in every market:
 *  1. the pool's bank balance of the asset equals the market's cash (nothing leaks, nothing
 *     is minted; between txs no flash loan is out: market/{asset}/flash is absent);
 *  2. Σ users' shares = total shares; Σ users' scaled debt = total scaled debt;
 *  2b. market/borrowers/{addr} = [1] exactly while the account's scaled debt > 0, and
 *      market/borrower_count = how many such entries (the keeper's index, DESIGN §8);
 *  3. total borrows ≤ Σ users' debts ≤ total borrows + LW_USERS (each debt rounds up once);
 *  4. cash + borrows − reserves + withdrawn + bad debt socialized ≥ supplied + (interest −
 *     reserve interest): suppliers are owed no more than the pool holds; the excess is
 *     rounding kept by the protocol (lent out to suppliers through the exchange rate) and
 *     stays below dust_max (flash fees go to reserves: on neither side);
 *  5. Σ users' redeemable supply ≤ cash + borrows − reserves;
 *  6. for each collateral: Σ positions = collateral/total and total + in-flight = escrow[c]
 *     (the model of A's escrow); with escrow == NULL this is skipped. */
static inline const char *lw_check_books(struct lw *w, const uint64_t *escrow, cw_u128 dust_max)
{
    static char why[256];
    for (int mi = 0; mi < LW_MKTS; mi++) {
        cw_lend_market m = lw_market_in(w, mi);
        cw_u128 shares = 0, scaled = 0, debts = 0, redeem = 0;
        char fk[CW_KEY_MAX];
        const uint8_t *fv;
        size_t fl;
        if (m.borrow_index_wad == CW_U128_MAX)
            return "market unreadable";
        if (cw_key_lend_flash(fk, w->asset[mi]) || cw_kv_get_s(&w->kv, fk, &fv, &fl) != CW_ENOTFOUND)
            return "a flash loan record outlived its tx";
        if (lw_pool_bal_in(w, mi) != m.cash) {
            snprintf(why, sizeof why, "%s: pool balance %llu != cash %llu", w->asset[mi],
                     (unsigned long long)lw_pool_bal_in(w, mi), (unsigned long long)m.cash);
            return why;
        }
        for (int u = 0; u < LW_USERS; u++) {
            lw_account a = lw_acct_in(w, u, mi);
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
        /* moved to both sides to stay unsigned: suppliers may already have withdrawn part of
         * the protocol's rounding surplus (it is in the exchange rate); flash fees went to
         * reserves (and so are on neither side) */
        lhs += m.withdrawn + m.bad_debt_socialized;
        cw_u128 rhs = m.supplied + m.interest - m.reserve_interest;
        if (lhs < rhs) {
            snprintf(why, sizeof why, "%s: books short: cash+borrows-reserves %llu < owed %llu",
                     w->asset[mi], (unsigned long long)lhs, (unsigned long long)rhs);
            return why;
        }
        if (lhs - rhs > dust_max) {
            snprintf(why, sizeof why, "%s: rounding surplus %llu above the dust bound %llu",
                     w->asset[mi], (unsigned long long)(lhs - rhs), (unsigned long long)dust_max);
            return why;
        }
        if (redeem > (cw_u128)m.cash + m.total_borrows - m.reserves)
            return "suppliers could redeem more than the pool is worth";
        if (m.bad_debt != m.bad_debt_from_reserves + m.bad_debt_socialized)
            return "bad debt not fully attributed";
    }
    /* the borrower index (DESIGN §8 "Borrower index"): market/borrowers/{addr} = [the number
     * of markets where the account's scaled debt > 0], present exactly while > 0, and
     * market/borrower_count = how many such entries */
    uint64_t indexed = 0, count = 0;
    for (int u = 0; u < LW_USERS; u++) {
        uint64_t owing = 0, markets = 0;
        for (int mi = 0; mi < LW_MKTS; mi++) {
            lw_account a = lw_acct_in(w, u, mi);
            if (a.debt == CW_U128_MAX)
                return "account unreadable";
            owing += a.scaled_debt > 0;
        }
        bool present;
        if (lw_borrower_markets(w, u, &markets, &present))
            return "borrower index unreadable";
        if (present && markets == 0)
            return "a borrower-index entry of 0 markets was left in the store";
        if (markets != owing) {
            snprintf(why, sizeof why, "user %d: borrower index %llu, debt in %llu markets", u,
                     (unsigned long long)markets, (unsigned long long)owing);
            return why;
        }
        indexed += markets > 0;
    }
    {
        const uint8_t *v = NULL;
        size_t vl = 0;
        int rc = cw_kv_get_s(&w->kv, CW_KEY_LEND_BORROWER_COUNT, &v, &vl);
        if ((rc != CW_OK && rc != CW_ENOTFOUND) ||
            cw_val_u64_rec_dec(&count, rc == CW_OK ? v : NULL, vl, NULL, 0) || count != indexed)
            return "market/borrower_count != the borrower index's entries";
    }
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
#define LW_SIM_OPS 14

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
    uint64_t flash_repaid;      /* flash loans repaid (fee to reserves checked) */
    uint64_t flash_refused;     /* flash-loan txs refused whole (unrepaid, partly, or from
                                 * another market's loan), nothing changed (checked) */
    uint64_t ok_by_market[LW_MKTS]; /* successful market msgs by market */
    uint64_t stale_debt_waits;  /* sweeps that waited for a debt asset's fresh price */
    uint64_t keeper_liqs;       /* liquidations chosen as the keeper does (quote + choose) */
    uint64_t keeper_liqs_by_market[LW_MKTS]; /* of those, by the debt market repaid */
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
    p.flash_fee_bps = 9;
    return lw_init(&s->w, &p, 1000000000000000ull); /* 1e15 uusd and ueur each */
}

/* Rounding the protocol can keep from one borrow/repay/liquidation: < index/WAD + 2 (the
 * largest index of the markets: the dust bound is checked per market). */
static inline void lw_sim_dust(struct lw_sim *s)
{
    cw_u128 most = 0;
    for (int mi = 0; mi < LW_MKTS; mi++) {
        cw_u128 idx = lw_market_in(&s->w, mi).borrow_index_wad;
        most = idx > most ? idx : most;
    }
    s->dust_max += most / CW_WAD + 2;
}

/* After a Borrow or a release debit the account must be within its LTV over every market
 * (DESIGN §8): Σ value × LTV ≥ Σ debt value. */
static inline const char *lw_sim_within_ltv(struct lw_sim *s, int u)
{
    lw_account a = lw_acct(&s->w, u);
    return a.borrow_limit >= a.debt_value ? NULL
                                          : "a borrow or release left value x LTV < debt";
}

/* Bad debt is recorded, never hidden (DESIGN §8): a borrower with debt in any market and
 * nothing left — no position or release in flight worth ≥ 1 unit of the price unit at its
 * denom's latest price — is cleared by one liquidation (a write-off naming a denom it holds
 * none of, or the seize of its dust) in one market it owes in, which writes off its debt in
 * EVERY market, each recorded as that market's bad debt. Returns NULL or what broke. */
static inline const char *lw_sim_sweep(struct lw_sim *s)
{
    struct lw *w = &s->w;
    cw_lend_params p;
    if (cw_lend_market_read(&w->kv, NULL, 0, &p, NULL) != CW_OK)
        return "market unreadable";
    const uint64_t max_age = p.max_price_age_ns;
    for (int u = 0; u < LW_USERS; u++) {
        lw_account am[LW_MKTS];
        int owes = -1;
        for (int mi = 0; mi < LW_MKTS; mi++) {
            am[mi] = lw_acct_in(w, u, mi);
            if (am[mi].debt > 0 && owes < 0)
                owes = mi;
        }
        if (owes < 0)
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
        cw_lend_market m0[LW_MKTS];
        for (int mi = 0; mi < LW_MKTS; mi++)
            m0[mi] = lw_market_in(w, mi);
        int rc = lw_liquidate_in(w, (u + 1) % LW_USERS, u, owes, 1, col);
        if (m0[owes].paused_actions & CW_LEND_ACTION_LIQUIDATE) { /* the admin's choice */
            if (rc != CW_ESTATE || !strstr(w->err, "liquidate is paused"))
                return "a liquidation went ahead (or failed otherwise) while paused";
            s->paused_refusals++;
            continue;
        }
        if (rc == CW_ESTALE && strstr(w->err, "which the account owes")) {
            s->stale_debt_waits++;
            continue; /* a debt's asset has no fresh price: it waits for one (sentinel) */
        }
        if (rc != CW_OK) {
            static char why[300];
            snprintf(why, sizeof why, "a borrower with nothing left was not cleared: %s",
                     w->err);
            return why;
        }
        for (int mi = 0; mi < LW_MKTS; mi++) {
            cw_lend_market m1 = lw_market_in(w, mi);
            if (am[mi].debt == 0)
                continue;
            if (m0[mi].paused_actions & CW_LEND_ACTION_LIQUIDATE) { /* its write-off waits */
                if (lw_acct_in(w, u, mi).debt != am[mi].debt)
                    return "a write-off went ahead in a market with liquidation paused";
                continue;
            }
            if (lw_acct_in(w, u, mi).debt != 0)
                return "a sweep left debt behind (in some market)";
            if (m1.bad_debt <= m0[mi].bad_debt || m1.bad_debt - m0[mi].bad_debt > am[mi].debt)
                return "a write-off was not recorded as bad debt in its market (or was more "
                       "than the debt)";
        }
        lw_sim_dust(s);
        s->write_offs++;
    }
    return NULL;
}

/* A flash-loan tx by user u in market mi (DESIGN §8), one of four shapes by `kind`:
 *  0  flash `amt`, then nothing: repaid with the fee from u's own balance → the fee lands in
 *     reserves (exactly: reserves accrued to now + fee), the borrower pays exactly the fee;
 *  1  flash `amt`, then supply all u holds of the asset: nothing to repay with → refused;
 *  2  flash `amt`, then supply all but fee − 1 of it: partly repaid → refused;
 *  3  flash `amt` in BOTH markets, then supply all u holds of mi's asset: the other
 *     market's flash-borrowed funds cannot repay this one → refused.
 * A refused tx must change nothing: balances, every market's books, the store. Returns NULL
 * or what broke; *rc the tx's outcome. */
static inline const char *lw_sim_flash(struct lw_sim *s, int u, int mi, uint64_t amt, int kind,
                                       int *rc)
{
    struct lw *w = &s->w;
    cw_lend_params p;
    cw_lend_market before[LW_MKTS];
    uint64_t bal[LW_MKTS], pool[LW_MKTS];
    uint64_t writes0 = s->writes;
    if (cw_lend_market_read(&w->kv, w->asset[mi], 0, &p, NULL) != CW_OK)
        return "market unreadable";
    for (int m = 0; m < LW_MKTS; m++) {
        before[m] = lw_market_in(w, m);
        bal[m] = lw_bal_in(w, &w->addr[u], m);
        pool[m] = lw_pool_bal_in(w, m);
    }
    uint64_t fee = (uint64_t)(((cw_u128)amt * p.flash_fee_bps + 9999) / 10000);
    cw_enc msgs[3];
    int n = 0;
    for (int i = 0; i < 3; i++)
        cw_enc_init(&msgs[i]);
    lw_amount_enc(w, &msgs[n++], mi, cw_msg_lend_flash_loan_enc, amt);
    if (kind == 3)
        lw_amount_enc(w, &msgs[n++], 1 - mi, cw_msg_lend_flash_loan_enc, amt);
    if (kind == 1 || kind == 3)
        lw_amount_enc(w, &msgs[n++], mi, cw_msg_lend_supply_enc, bal[mi] + amt);
    if (kind == 2) /* keeps amt + fee − 1: one short */
        lw_amount_enc(w, &msgs[n++], mi, cw_msg_lend_supply_enc, bal[mi] - fee + 1);
    for (int i = n; i < 3; i++)
        cw_enc_free(&msgs[i]);
    *rc = lw_run_tx(w, &w->user[u], msgs, n, NULL);
    if (*rc == LW_EWROTE)
        return "a failing msg of a flash-loan tx wrote state";
    if (*rc == CW_OK) {
        if (kind != 0)
            return "a flash loan not repaid (or repaid from another market's loan) went through";
        cw_lend_market after = lw_market_in(w, mi);
        if (after.reserves != before[mi].reserves + fee ||
            after.flash_fees != before[mi].flash_fees + fee ||
            after.cash != before[mi].cash + fee)
            return "a repaid flash loan's fee did not land in reserves (and cash) exactly";
        if (lw_bal_in(w, &w->addr[u], mi) != bal[mi] - fee)
            return "a repaid flash loan cost the borrower other than its fee";
        s->flash_repaid++;
        return NULL;
    }
    /* refused (not repaid, or earlier: no liquidity, paused, a supply refused): whatever
     * the reason, nothing may have changed */
    for (int m = 0; m < LW_MKTS; m++) {
        cw_lend_market now = lw_market_in(w, m);
        if (memcmp(&now, &before[m], sizeof now) != 0 ||
            lw_bal_in(w, &w->addr[u], m) != bal[m] || lw_pool_bal_in(w, m) != pool[m])
            return "a refused flash-loan tx changed balances or a market's books";
    }
    if (s->counting && s->writes != writes0)
        return "a refused flash-loan tx wrote to the store";
    if (kind != 0 && strstr(w->err, "not repaid"))
        s->flash_refused++;
    return NULL;
}

/* A liquidation of v by u as `causeway keeper` makes it (DESIGN §8 "Keeper"): the chain's
 * quote (cw_lend_liquidation_quote: one item per debt market × collateral), each item's
 * max_repay capped by u's balance of its asset (as the keeper does), and cw_liq_choose over
 * every market. What the quote allows, lend.liquidate must accept, seizing exactly the
 * chosen amount for exactly the chosen repay in the chosen market; what the quote refuses,
 * lend.liquidate must refuse too, in every market. *rc: the liquidation's outcome; *mi_out:
 * the market it repaid in. */
static inline const char *lw_sim_keeper(struct lw_sim *s, int u, int v, int *rc, int *mi_out)
{
    struct lw *w = &s->w;
    static cw_rpc_lend_quote q;
    cw_liq_choice ch;
    *rc = cw_lend_liquidation_quote(&w->kv, w->now, &w->addr[v], &q);
    if (*rc != CW_OK)
        return "the keeper's quote failed";
    for (uint32_t i = 0; i < q.n; i++) {
        int mi = -1;
        for (int m = 0; m < LW_MKTS; m++)
            if (strcmp(w->asset[m], q.items[i].asset) == 0)
                mi = m;
        if (mi < 0)
            return "the quote named a market that does not exist";
        if (q.items[i].debt != lw_acct_in(w, v, mi).debt)
            return "the quote's debt in a market differs from the account's";
        uint64_t bal = lw_bal_in(w, &w->addr[u], mi);
        if (q.items[i].max_repay > bal)
            q.items[i].max_repay = bal;
    }
    if (q.refusal != 0 || cw_liq_choose(&ch, q.items, q.n, UINT64_MAX) != CW_OK) {
        /* refused: so is any liquidation of v in every market and denom */
        for (int mi = 0; mi < LW_MKTS && q.refusal != 0; mi++)
            for (int c = 0; c < LW_COLS; c++) {
                cw_u128 debt = lw_acct_in(w, v, mi).debt;
                uint64_t amt = debt > 1 ? (uint64_t)(debt / 2) : 1;
                if ((*rc = lw_liquidate_in(w, u, v, mi, amt, c)) == CW_OK)
                    return "the quote refused a liquidation the chain then accepted";
            }
        *rc = CW_ESTATE;
        return NULL;
    }
    const cw_liq_option *o = &q.items[ch.index];
    int col = -1, mi = -1;
    for (int c = 0; c < LW_COLS; c++)
        if (strcmp(w->trace[c], o->trace_denom) == 0)
            col = c;
    for (int m = 0; m < LW_MKTS; m++)
        if (strcmp(w->asset[m], o->asset) == 0)
            mi = m;
    if (col < 0)
        return "the quote named a denom that is not registered";
    uint64_t pos_u = lw_pos(w, u, col), pos_v = lw_pos(w, v, col);
    uint64_t bal = lw_bal_in(w, &w->addr[u], mi);
    *mi_out = mi;
    *rc = lw_liquidate_in(w, u, v, mi, ch.repay, col);
    if (*rc != CW_OK) {
        static char why[400];
        snprintf(why, sizeof why, "the chain refused the liquidation its quote allowed and "
                 "the keeper chose (%s, repay %llu): %s", o->asset,
                 (unsigned long long)ch.repay, w->err);
        return why;
    }
    if (lw_pos(w, u, col) != pos_u + ch.seize || lw_pos(w, v, col) != pos_v - ch.seize ||
        lw_bal_in(w, &w->addr[u], mi) != bal - ch.repay)
        return "the chain's liquidation differs from the keeper's choice";
    lw_sim_dust(s);
    s->keeper_liqs++;
    s->keeper_liqs_by_market[mi]++;
    return NULL;
}

/* Apply one operation chosen by (op, a, b, x). Failing operations are fine (they must
 * write nothing, which lw_run/lw_app check); returns NULL or the invariant that broke. */
static inline const char *lw_sim_step(struct lw_sim *s, uint8_t op, uint8_t a, uint8_t b,
                                      uint64_t x)
{
    struct lw *w = &s->w;
    int u = a % LW_USERS, v = b % LW_USERS, col = b % LW_COLS, rc = CW_OK;
    int mi = (int)((x >> 62) % LW_MKTS); /* the market a market op acts on */
    const char *why = NULL;
    /* mostly modest amounts, sometimes anything */
    uint64_t amt = a == 0xff ? x : x % 2000000;
    /* the action each op is, for the pause check below (0: never paused) */
    static const uint64_t op_action[LW_SIM_OPS] = {
        CW_LEND_ACTION_SUPPLY, CW_LEND_ACTION_WITHDRAW_SUPPLY, CW_LEND_ACTION_BORROW, 0,
        CW_LEND_ACTION_LIQUIDATE, 0, 0, 0, CW_LEND_ACTION_WITHDRAW_COLLATERAL, 0, 0, 0, 0,
        CW_LEND_ACTION_FLASH_LOAN};
    cw_lend_params p0;
    if (cw_lend_market_read(&w->kv, w->asset[mi], 0, &p0, NULL) != CW_OK)
        return "market unreadable";
    /* pauses: the op's market's, and withdraw_collateral paused in any market holds */
    uint64_t paused0 = lw_market_in(w, mi).paused_actions;
    for (int m = 0; m < LW_MKTS; m++)
        paused0 |= lw_market_in(w, m).paused_actions & CW_LEND_ACTION_WITHDRAW_COLLATERAL;
    switch (op % LW_SIM_OPS) {
    case 0:
        rc = lw_supply_in(w, u, mi, amt);
        break;
    case 1:
        rc = lw_withdraw_ex_in(w, u, mi, (b & 0x40) ? 0 : amt, (b & 0x40) != 0);
        break;
    case 2:
        if (b & 1) { /* a share of what the account may still borrow, in the market's asset */
            lw_account ai = lw_acct(w, u);
            cw_u128 pe = CW_WAD;
            uint64_t t;
            if (mi > 0 && cw_lend_price(&w->kv, &pe, &t, w->asset[mi]) != CW_OK)
                pe = CW_WAD;
            if (ai.borrow_limit > ai.debt_value)
                amt = (uint64_t)((ai.borrow_limit - ai.debt_value) * (1 + x % 101) / 100 *
                                 CW_WAD / pe);
        }
        if ((rc = lw_borrow_in(w, u, mi, amt)) == CW_OK) {
            lw_sim_dust(s);
            why = lw_sim_within_ltv(s, u);
        }
        break;
    case 3:
        if ((rc = lw_repay_in(w, u, mi, amt, (b & 1) ? v : -1)) == CW_OK)
            lw_sim_dust(s);
        break;
    case 4: {
        int lcol = (a >> 3) % LW_COLS;
        if ((b & 0x60) == 0x60 && u != v) { /* the keeper: the chain's quote, cw_liq_choose */
            int kmi = mi;
            why = lw_sim_keeper(s, u, v, &rc, &kmi);
            paused0 = lw_market_in(w, kmi).paused_actions; /* the market it repaid */
            break;
        }
        if (a & 1) { /* a liquidator looks for the weakest account it can seize from */
            cw_u128 worst = CW_U128_MAX;
            for (int i = 0; i < LW_USERS; i++) {
                lw_account ai = lw_acct(w, i);
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
        if (lw_acct_in(w, v, mi).debt == 0 && lw_acct_in(w, v, 1 - mi).debt > 0) {
            mi = 1 - mi; /* the market it owes in; its pauses hold */
            paused0 = lw_market_in(w, mi).paused_actions;
        }
        if ((a & 1) || (b & 0x80)) { /* a share of the close factor's maximum */
            cw_u128 debt = lw_acct_in(w, v, mi).debt;
            amt = (uint64_t)(debt * 5000 / 10000 * (1 + x % 101) / 100);
        }
        if ((rc = lw_liquidate_in(w, u, v, mi, amt, lcol)) == CW_OK)
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
        if (b & 4) { /* the other market's asset instead: ueur moves ±10% around [0.5, 2] */
            cw_u128 pe = CW_WAD / 10 * 11;
            if (cw_lend_price(&w->kv, &old, &t, w->asset[1]) == CW_OK)
                pe = old * (90 + (x >> 20) % 21) / 100;
            if (pe < CW_WAD / 2 || pe > 2 * CW_WAD)
                pe = CW_WAD;
            rc = lw_price_asset(w, 1, pe);
            break;
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
            cw_lend_market m = lw_market_in(w, mi);
            uint64_t most = m.reserves < m.cash ? (uint64_t)m.reserves : m.cash;
            rc = lw_withdraw_reserves_in(w, &w->admin, mi, &w->addr[v], x % (most + 2));
            if (rc == CW_OK)
                s->reserve_withdrawals++;
        } else { /* one action paused (1 in 8) or resumed: each is paused about 1/8 of the
                  * time, so the walk still reaches what a pause blocks */
            rc = lw_pause_in(w, &w->admin, mi, 1ull << (x % 6), (b & 7) == 7);
        }
        break;
    case 12:
        why = lw_sim_sweep(s);
        break;
    case 13: /* a flash loan, repaid (half the time) or not, partly, or from the other
              * market's loan */
        why = lw_sim_flash(s, u, mi, (b & 0x10) ? amt : (uint64_t)(x % 20000000),
                           (b & 1) ? 0 : (int)((b >> 1) % 4), &rc);
        break;
    default: /* the admin retunes a collateral within the rules (or not), or sets caps */
        if (b & 0x40) { /* caps near the totals (or none): some supplies and borrows refused */
            cw_lend_params p;
            cw_lend_market m = lw_market_in(w, mi);
            if ((rc = cw_lend_market_read(&w->kv, w->asset[mi], 0, &p, NULL)) != CW_OK)
                return "market unreadable";
            p.supply_cap = (x & 3) ? 0 : (uint64_t)m.total_supply + x % 4000000;
            p.borrow_cap = (x & 12) ? 0 : (uint64_t)m.total_borrows + (x >> 8) % 2000000;
            rc = lw_update_in(w, &w->admin, mi, &p, -1, 0, 0, 0);
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
        cw_lend_market m1 = lw_market_in(w, mi); /* same block time: the handler's totals */
        if (op % LW_SIM_OPS == 0 && p0.supply_cap && m1.total_supply > p0.supply_cap)
            return "a supply took total supply above the supply cap";
        if (op % LW_SIM_OPS == 2 && p0.borrow_cap && m1.total_borrows > p0.borrow_cap)
            return "a borrow took total borrows above the borrow cap";
    }
    if (rc == CW_OK) {
        s->ok_ops++;
        s->ok_by_op[op % LW_SIM_OPS]++;
        if (op % LW_SIM_OPS <= 4 || op % LW_SIM_OPS == 13)
            s->ok_by_market[mi]++;
    } else
        s->failed_ops++;
    if (why)
        return why;
    return lw_sim_books(s);
}

#endif
