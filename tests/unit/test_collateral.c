/* The collateral app between two in-process chains (DESIGN §8): alpha escrows "stake",
 * beta keeps positions and runs the "uusd" and "ueur" lending markets. Each test is named for the rule
 * or attack it covers; the last one drives random sequences and checks the invariants.
 * CW_COLLATERAL_SEEDS / CW_COLLATERAL_STEPS set the randomized test's size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "causeway/collateral.h"
#include "causeway/app_msgs.h"
#include "causeway/keys.h"
#include "causeway/lending.h"
#include "causeway/liquidation.h"
#include "ibc_harness.h"

#define CH "collateral"

static void open_world(world *w)
{
    /* two markets on beta; uusd the price unit */
    h_world_open(w, "stake", "uusd,ueur", "uusd,ueur", CH, CW_COLLATERAL_VERSION,
                 CW_ORDER_UNORDERED);
}

static void close_world(world *w) { h_world_close(w); }

/* ---- reads ------------------------------------------------------------------------------ */

static uint64_t be64_at(hchain *c, const char *key) { return h_be64_at(c, key); }

/* a [u64] record (lending's positions and aggregates) */
static uint64_t rec_at(hchain *c, const char *key)
{
    uint8_t *v, *p;
    size_t vl, pl;
    uint64_t x;
    h_query(c, key, 0, &v, &vl, &p, &pl);
    assert_int_equal(cw_val_u64_rec_dec(&x, v, vl, NULL, 0), CW_OK);
    free(v);
    free(p);
    return x;
}

static uint64_t escrow(world *w)
{
    char key[CW_KEY_MAX];
    assert_int_equal(cw_key_collateral_escrow(key, w->chan_a, "stake"), CW_OK);
    return be64_at(&w->a, key);
}

static uint64_t total(world *w)
{
    char key[CW_KEY_MAX];
    assert_int_equal(cw_key_collateral_total(key, w->chan_b, "stake"), CW_OK);
    return rec_at(&w->b, key);
}

static uint64_t inflight(world *w)
{
    char key[CW_KEY_MAX];
    assert_int_equal(cw_key_collateral_inflight(key, w->chan_b, "stake"), CW_OK);
    return rec_at(&w->b, key);
}

/* The source's pending aggregate [count, amount] (causeway/keys.h): deposits on alpha,
 * releases on beta. */
static void pending(world *w, bool release, uint64_t *count, uint64_t *amount)
{
    char key[CW_KEY_MAX];
    uint8_t *v, *p;
    size_t vl, pl;
    hchain *c = release ? &w->b : &w->a;
    assert_int_equal(cw_key_collateral_pending(key, release ? w->chan_b : w->chan_a, release,
                                               "stake"), CW_OK);
    h_query(c, key, 0, &v, &vl, &p, &pl);
    assert_int_equal(cw_val_u64_pair_dec(count, amount, v, vl, NULL, 0), CW_OK);
    free(v);
    free(p);
}

static uint64_t position(world *w, const cw_address *who)
{
    char key[CW_KEY_MAX], trace[CW_TRACE_DENOM_LEN + 1];
    assert_int_equal(cw_trace_denom(trace, w->chan_b, "stake"), CW_OK);
    assert_int_equal(cw_key_collateral_position(key, who, trace), CW_OK);
    return rec_at(&w->b, key);
}

static uint64_t balance(hchain *c, const cw_address *who, const char *denom)
{
    return h_balance(c, who, denom);
}

/* market/debt/{who}: scaled debt */
static cw_u128 scaled_debt(world *w, int who)
{
    char key[CW_KEY_MAX];
    uint8_t *v, *p;
    size_t vl, pl;
    cw_u128 x;
    assert_int_equal(cw_key_lend_debt(key, "uusd", &w->b.addr[who]), CW_OK);
    h_query(&w->b, key, 0, &v, &vl, &p, &pl);
    assert_int_equal(cw_val_u128_rec_dec(&x, v, vl, NULL, 0), CW_OK);
    free(v);
    free(p);
    return x;
}

/* market/uusd/stats[4]: bad debt written off since genesis (causeway/lending.h) */
static cw_u128 bad_debt(world *w)
{
    uint8_t *v, *p;
    size_t vl, pl;
    cw_dec d;
    const msgpack_object *root;
    cw_u128 x = 0;
    char key[CW_KEY_MAX];
    assert_int_equal(cw_key_lend_stats(key, "uusd"), CW_OK);
    h_query(&w->b, key, 0, &v, &vl, &p, &pl);
    if (v) {
        assert_int_equal(cw_dec_open(&d, &root, v, vl, 1024, NULL, 0), CW_OK);
        const msgpack_object *f = cw_dec_array(&d, root, 8, "stats");
        x = cw_dec_u128(&d, &f[4], "bad_debt");
        assert_int_equal(d.rc, CW_OK);
        cw_dec_close(&d);
    }
    free(v);
    free(p);
    return x;
}

/* ---- actions ---------------------------------------------------------------------------- */

/* collateral.lock of denom through chan_a (lock_on_a) or lend.withdraw_collateral of denom
 * through chan_b, signed by who, for who's address on the other chain */
static int transfer(world *w, bool lock_on_a, int who, const char *denom, uint64_t amount,
                    uint64_t th, uint64_t tt, char *log)
{
    hchain *c = lock_on_a ? &w->a : &w->b;
    cw_msg_collateral_transfer m = {.amount = amount, .timeout_height = th,
                                    .timeout_timestamp_ns = tt,
                                    .to = lock_on_a ? w->b.addr[who] : w->a.addr[who]};
    snprintf(m.channel, sizeof m.channel, "%s", lock_on_a ? w->chan_a : w->chan_b);
    snprintf(m.denom, sizeof m.denom, "%s", denom);
    cw_enc e;
    cw_enc_init(&e);
    if (lock_on_a)
        cw_msg_collateral_lock_enc(&e, &m);
    else
        cw_msg_lend_withdraw_collateral_enc(&e, &m);
    return tx1_as(c, who, &e, log);
}

static int lock(world *w, int who, uint64_t amount, uint64_t th, uint64_t tt, char *log)
{
    return transfer(w, true, who, "stake", amount, th, tt, log);
}

static int withdraw(world *w, int who, uint64_t amount, uint64_t th, uint64_t tt, char *log)
{
    return transfer(w, false, who, "stake", amount, th, tt, log);
}

/* lend.register_collateral (chan_b, base) at ltv 50%, lt 75%, bonus 5%, signed by who */
static int register_as(world *w, int who, const char *base, char *log)
{
    cw_msg_lend_register_collateral m = {.ltv_bps = 5000, .liquidation_threshold_bps = 7500,
                                         .liquidation_bonus_bps = 500};
    snprintf(m.channel, sizeof m.channel, "%s", w->chan_b);
    snprintf(m.base_denom, sizeof m.base_denom, "%s", base);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_register_collateral_enc(&e, &m);
    return tx1_as(&w->b, who, &e, log);
}

static int admin_register(world *w, char *log)
{
    return register_as(w, K_ADMIN, "stake", log);
}

static int lend_amount_in(world *w, int who, const char *type, const char *asset,
                          uint64_t amount, char *log)
{
    cw_msg_lend_amount m = {.amount = amount};
    snprintf(m.asset, sizeof m.asset, "%s", asset);
    cw_enc e;
    cw_enc_init(&e);
    if (strcmp(type, CW_MSG_LEND_SUPPLY) == 0)
        cw_msg_lend_supply_enc(&e, &m);
    else
        cw_msg_lend_borrow_enc(&e, &m);
    return tx1_as(&w->b, who, &e, log);
}

static int lend_amount_as(world *w, int who, const char *type, uint64_t amount, char *log)
{
    return lend_amount_in(w, who, type, "uusd", amount, log);
}

/* The raw records of a market's books (state and stats), concatenated into out (for
 * "nothing changed"). */
static size_t market_raw(world *w, const char *asset, uint8_t *out, size_t cap)
{
    char key[CW_KEY_MAX];
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        uint8_t *v, *p;
        size_t vl, pl;
        assert_int_equal(k ? cw_key_lend_stats(key, asset) : cw_key_lend_state(key, asset),
                         CW_OK);
        h_query(&w->b, key, 0, &v, &vl, &p, &pl);
        if (v && n + vl <= cap) {
            memcpy(out + n, v, vl);
            n += vl;
        }
        free(v);
        free(p);
    }
    return n;
}

static bool ack_ok(const uint8_t *ack, size_t len)
{
    bool ok;
    cw_bytes payload;
    assert_int_equal(cw_ack_decode(&ok, &payload, ack, len, NULL, 0), CW_OK);
    return ok;
}

/* Full relay of a packet src → dst and its ack back. Returns whether the ack was ok. */
static bool relay_both(hchain *src, hchain *dst, const char *client_on_dst,
                       const char *client_on_src, const uint8_t *pkt, size_t len)
{
    char log[256];
    size_t alen;
    if (relay_recv(src, dst, client_on_dst, pkt, len, log))
        fail_msg("recv: %s", log);
    uint8_t *ack = last_ack(dst, &alen);
    bool ok = ack_ok(ack, alen);
    if (relay_ack(src, dst, client_on_src, pkt, len, ack, alen, log))
        fail_msg("ack: %s", log);
    free(ack);
    return ok;
}

static uint64_t far_future(void) { return h_clock + 3600 * H_BLOCK_NS; }

/* ---- tests ------------------------------------------------------------------------------ */

static void test_deposit_to_unregistered_collateral_credits_nothing_and_refunds(void **s)
{
    (void)s;
    world w;
    char log[256];
    size_t len;
    open_world(&w);
    uint64_t before = balance(&w.a, &w.a.addr[K_ALICE], "stake");
    assert_int_equal(lock(&w, K_ALICE, 100, 0, far_future(), log), 0);
    assert_int_equal(escrow(&w), 100);
    assert_int_equal(balance(&w.a, &w.a.addr[K_ALICE], "stake"), before - 100);
    uint8_t *pkt = h_last_packet(&w.a, &len);
    assert_false(relay_both(&w.a, &w.b, w.client_b, w.client_a, pkt, len)); /* error ack */
    assert_int_equal(position(&w, &w.b.addr[K_ALICE]), 0);
    assert_int_equal(total(&w), 0);
    assert_int_equal(escrow(&w), 0); /* refunded */
    assert_int_equal(balance(&w.a, &w.a.addr[K_ALICE], "stake"), before);
    free(pkt);
    close_world(&w);
}

static void test_register_then_deposit_credits_position_and_release_unescrows(void **s)
{
    (void)s;
    world w;
    char log[256];
    size_t len;
    open_world(&w);
    assert_int_equal(admin_register(&w, log), 0);
    /* registration is the admin's alone */
    assert_int_equal(register_as(&w, K_BOB, "other", log), CW_EUNAUTHORIZED);

    assert_int_equal(lock(&w, K_ALICE, 1000, 0, far_future(), log), 0);
    uint8_t *pkt = h_last_packet(&w.a, &len);
    assert_true(relay_both(&w.a, &w.b, w.client_b, w.client_a, pkt, len));
    free(pkt);
    assert_int_equal(position(&w, &w.b.addr[K_ALICE]), 1000);
    assert_int_equal(total(&w), 1000);
    assert_int_equal(escrow(&w), 1000);

    /* release 400 back to alice's address on alpha */
    uint64_t before = balance(&w.a, &w.a.addr[K_ALICE], "stake");
    assert_int_equal(withdraw(&w, K_ALICE, 400, 0, far_future(), log), 0);
    assert_int_equal(position(&w, &w.b.addr[K_ALICE]), 600);
    assert_int_equal(total(&w), 600);
    assert_int_equal(inflight(&w), 400);
    assert_int_equal(escrow(&w), 1000); /* escrow = total + in flight */
    pkt = h_last_packet(&w.b, &len);
    char log2[256];
    assert_int_equal(relay_recv(&w.b, &w.a, w.client_a, pkt, len, log2), 0);
    assert_int_equal(escrow(&w), 600);
    assert_int_equal(balance(&w.a, &w.a.addr[K_ALICE], "stake"), before + 400);
    size_t alen;
    uint8_t *ack = last_ack(&w.a, &alen);
    assert_int_equal(relay_ack(&w.b, &w.a, w.client_b, pkt, len, ack, alen, log2), 0);
    assert_int_equal(inflight(&w), 0);
    /* the ack and a timeout submitted again release nothing more */
    assert_int_equal(relay_ack(&w.b, &w.a, w.client_b, pkt, len, ack, alen, log2), 0);
    assert_int_equal(relay_timeout(&w.b, &w.a, w.client_b, pkt, len, 0, log2), 0);
    assert_int_equal(position(&w, &w.b.addr[K_ALICE]), 600);
    assert_int_equal(escrow(&w), 600);
    assert_int_equal(balance(&w.a, &w.a.addr[K_ALICE], "stake"), before + 400);
    free(pkt);
    free(ack);
    close_world(&w);
}

static void test_release_timeout_recredits_holder(void **s)
{
    (void)s;
    world w;
    char log[256];
    size_t len;
    open_world(&w);
    assert_int_equal(admin_register(&w, log), 0);
    assert_int_equal(lock(&w, K_ALICE, 500, 0, far_future(), log), 0);
    uint8_t *pkt = h_last_packet(&w.a, &len);
    assert_true(relay_both(&w.a, &w.b, w.client_b, w.client_a, pkt, len));
    free(pkt);
    uint64_t th = h_height(&w.a) + 4;
    assert_int_equal(withdraw(&w, K_ALICE, 200, th, 0, log), 0);
    pkt = h_last_packet(&w.b, &len);
    assert_int_equal(inflight(&w), 200);
    while (h_height(&w.a) < th) /* alpha passes the timeout without receiving it */
        h_block(&w.a);
    assert_int_equal(relay_timeout(&w.b, &w.a, w.client_b, pkt, len, 0, log), 0);
    assert_int_equal(inflight(&w), 0);
    assert_int_equal(position(&w, &w.b.addr[K_ALICE]), 500); /* re-credited */
    assert_int_equal(total(&w), 500);
    assert_int_equal(escrow(&w), 500);
    /* and it can no longer be received on alpha */
    assert_int_not_equal(relay_recv(&w.b, &w.a, w.client_a, pkt, len, log), 0);
    free(pkt);
    close_world(&w);
}

static void test_close_init_on_collateral_channel_refused(void **s)
{
    (void)s;
    world w;
    char log[256];
    open_world(&w);
    cw_enc m;
    h_msg_close_init(&m, CH, w.chan_a);
    int rc = tx1(&w.a, &m, log);
    assert_int_equal(rc, CW_EUNAUTHORIZED);
    assert_non_null(strstr(log, "cannot be closed"));
    close_world(&w);
}

static void test_zero_amount_and_foreign_denom_refused_before_commitment(void **s)
{
    (void)s;
    world w;
    char log[256];
    open_world(&w);
    char next_send[CW_PATH_MAX];
    cw_path_next_seq(next_send, CW_PATH_NEXT_SEQ_SEND, CW_COLLATERAL_PORT, "channel-0");
    uint64_t seq_before = be64_at(&w.a, next_send);
    assert_int_equal(lock(&w, K_ALICE, 0, 0, far_future(), log), CW_EINVAL);
    assert_int_equal(transfer(&w, true, K_ALICE, "uusd", 5, 0, far_future(), log), CW_EINVAL);
    assert_non_null(strstr(log, "not held on this chain"));
    assert_int_equal(be64_at(&w.a, next_send), seq_before);
    close_world(&w);
}

static void test_escrow_of_one_channel_never_unescrowed_through_another(void **s)
{
    (void)s;
    cw_kv_cache *st;
    char err[256];
    assert_int_equal(cw_kv_cache_create(&st, NULL), CW_OK);
    cw_kv kv = cw_kv_cache_kv(st);
    cw_address owner, esc0, to;
    memset(owner.b, 1, 20);
    memset(to.b, 2, 20);
    cw_module_address(&esc0, "escrow/collateral/channel-0");
    /* 1000 escrowed through channel-0 (as collateral.lock leaves it) */
    assert_int_equal(cw_bank_mint(&kv, &esc0, "stake", 1000, err, sizeof err), CW_OK);
    uint8_t b[8];
    char key[CW_KEY_MAX];
    cw_val_be64_enc(b, 1000);
    assert_int_equal(cw_key_collateral_escrow(key, "channel-0", "stake"), CW_OK);
    assert_int_equal(cw_kv_set_s(&kv, key, b, 8), CW_OK);
    assert_int_equal(cw_collateral_unescrow(&kv, "channel-1", "stake", 1, &to, err, sizeof err),
                     CW_EINSUFFICIENT);
    assert_non_null(strstr(err, "channel-1 escrows 0"));
    assert_int_equal(cw_collateral_unescrow(&kv, "channel-0", "stake", 1001, &to, err,
                                            sizeof err), CW_EINSUFFICIENT);
    assert_int_equal(cw_collateral_unescrow(&kv, "channel-0", "stake", 1000, &to, err,
                                            sizeof err), CW_OK);
    uint64_t left;
    assert_int_equal(cw_collateral_escrow(&kv, &left, "channel-0", "stake"), CW_OK);
    assert_int_equal(left, 0);
    cw_kv_cache_destroy(st);
}

static void test_borrow_against_position_and_withdraw_above_ltv_refused(void **s)
{
    (void)s;
    world w;
    char log[256];
    size_t len;
    open_world(&w);
    assert_int_equal(admin_register(&w, log), 0);
    assert_int_equal(lock(&w, K_ALICE, 1000, 0, far_future(), log), 0);
    uint8_t *pkt = h_last_packet(&w.a, &len);
    assert_true(relay_both(&w.a, &w.b, w.client_b, w.client_a, pkt, len));
    free(pkt);
    /* bob supplies uusd; the oracle prices stake at 2 uusd; alice borrows 900 (LTV 50%) */
    assert_int_equal(lend_amount_as(&w, K_BOB, CW_MSG_LEND_SUPPLY, 100000, log), 0);
    cw_msg_oracle_set_price price = {.price_wad = 2 * CW_WAD, .time_ns = h_clock};
    assert_int_equal(cw_trace_denom(price.denom, w.chan_b, "stake"), CW_OK);
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_oracle_set_price_enc(&m, &price);
    assert_int_equal(tx1_as(&w.b, K_ORACLE, &m, log), 0);
    /* above 1000 × 2 × 50% */
    assert_int_equal(lend_amount_as(&w, K_ALICE, CW_MSG_LEND_BORROW, 1001, log), CW_EUNHEALTHY);
    assert_int_equal(lend_amount_as(&w, K_ALICE, CW_MSG_LEND_BORROW, 900, log), 0);
    assert_int_equal(balance(&w.b, &w.b.addr[K_ALICE], "uusd"), 1000000000ull + 900);
    /* withdrawing 200 would leave 800 × 2 × 50% = 800 < 900 debt */
    assert_int_equal(withdraw(&w, K_ALICE, 200, 0, far_future(), log), CW_EUNHEALTHY);
    assert_int_equal(position(&w, &w.b.addr[K_ALICE]), 1000);
    assert_int_equal(inflight(&w), 0);
    assert_int_equal(withdraw(&w, K_ALICE, 50, 0, far_future(), log), 0);
    close_world(&w);
}

/* Issue "no bad debt can hide" #3, across the two chains: alice withdraws collateral with a
 * short timeout, the rest is liquidated, and the release times out. Before, the liquidation
 * saw no position left and wrote the debt off — then the timeout re-credited the position:
 * debt 0, collateral back. The release in flight now counts as collateral left. */
static void test_release_in_flight_is_collateral_left_no_write_off_before_timeout(void **s)
{
    (void)s;
    world w;
    char log[256], trace[CW_TRACE_DENOM_LEN + 1];
    size_t len;
    open_world(&w);
    assert_int_equal(cw_trace_denom(trace, w.chan_b, "stake"), CW_OK);
    assert_int_equal(admin_register(&w, log), 0);
    assert_int_equal(lock(&w, K_ALICE, 1000, 0, far_future(), log), 0);
    uint8_t *pkt = h_last_packet(&w.a, &len);
    assert_true(relay_both(&w.a, &w.b, w.client_b, w.client_a, pkt, len));
    free(pkt);
    assert_int_equal(lend_amount_as(&w, K_BOB, CW_MSG_LEND_SUPPLY, 100000, log), 0);
    cw_msg_oracle_set_price price = {.price_wad = 2 * CW_WAD, .time_ns = h_clock};
    memcpy(price.denom, trace, sizeof price.denom);
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_oracle_set_price_enc(&m, &price);
    assert_int_equal(tx1_as(&w.b, K_ORACLE, &m, log), 0);
    assert_int_equal(lend_amount_as(&w, K_ALICE, CW_MSG_LEND_BORROW, 850, log), 0);
    /* 100 leaves with a short timeout (900 × 2 × 50% still covers the debt) */
    uint64_t th = h_height(&w.a) + 4;
    assert_int_equal(withdraw(&w, K_ALICE, 100, th, 0, log), 0);
    pkt = h_last_packet(&w.b, &len);
    /* the price collapses to 0.4; bob liquidates everything left on beta (425 would seize
     * 1115: capped at the 900 there) */
    price.price_wad = CW_WAD / 5 * 2;
    price.time_ns = h_clock;
    cw_enc_init(&m);
    cw_msg_oracle_set_price_enc(&m, &price);
    assert_int_equal(tx1_as(&w.b, K_ORACLE, &m, log), 0);
    cw_msg_lend_liquidate liq = {.asset = "uusd", .borrower = w.b.addr[K_ALICE],
                                 .repay_amount = 425};
    memcpy(liq.collateral, trace, sizeof liq.collateral);
    cw_enc_init(&m);
    cw_msg_lend_liquidate_enc(&m, &liq);
    assert_int_equal(tx1_as(&w.b, K_BOB, &m, log), 0);
    assert_int_equal(position(&w, &w.b.addr[K_ALICE]), 0);
    assert_true(bad_debt(&w) == 0); /* the 100 in flight is still alice's */
    cw_u128 scaled = scaled_debt(&w, K_ALICE);
    assert_true(scaled > 0);
    /* the release times out: the 100 comes back to a borrower who still owes the debt */
    while (h_height(&w.a) < th)
        h_block(&w.a);
    assert_int_equal(relay_timeout(&w.b, &w.a, w.client_b, pkt, len, 0, log), 0);
    free(pkt);
    assert_int_equal(position(&w, &w.b.addr[K_ALICE]), 100);
    assert_true(scaled_debt(&w, K_ALICE) == scaled);
    assert_true(bad_debt(&w) == 0);
    assert_int_equal(inflight(&w), 0);
    assert_int_equal(escrow(&w), total(&w));
    close_world(&w);
}

/* ---- randomized invariants -------------------------------------------------------------- */

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

typedef struct pend {
    uint8_t *pkt;
    size_t len;
    bool from_a; /* deposit (a→b) or release (b→a) */
    uint64_t amount;
    int stage;    /* 0 sent, 1 received (ack pending), 2 settled */
    uint8_t *ack; /* after receipt */
    size_t ack_len;
    uint64_t th;
} pend;

/* One round of `causeway keeper` (DESIGN §8 "Keeper") on beta for borrower who, signed by
 * the relayer's account: the node's lend_quote (through its RPC encoder and the client's
 * decoder), each item's repay capped by the keeper's balance of its market's asset,
 * cw_liq_choose, then lend.liquidate naming the chosen market. What the quote allows the chain
 * must do exactly: the chosen seize moves from the borrower's position to the keeper's, the
 * chosen repay leaves the keeper's balance of that asset. Returns 1 when it liquidated, and
 * counts it in by_market[0] (uusd) or [1] (ueur). */
static int keeper_round(world *w, int who, int by_market[2])
{
    static cw_rpc_lend_quote q;
    char err[256], log[256];
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_lend_quote(w->b.node, &w->b.addr[who], &e, err, sizeof err), CW_OK);
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), CW_RPC_RESULT_MAX,
                                 err, sizeof err),
                     CW_OK);
    cw_rpc_lend_quote_dec(&d, root, &q);
    assert_int_equal(d.rc, CW_OK);
    cw_dec_close(&d);
    cw_enc_free(&e);
    const cw_address *k = &w->b.addr[K_RELAYER];
    for (uint32_t i = 0; i < q.n; i++) {
        uint64_t bal = balance(&w->b, k, q.items[i].asset);
        if (q.items[i].max_repay > bal)
            q.items[i].max_repay = bal;
    }
    cw_liq_choice ch;
    if (q.refusal != 0 || q.health_factor_wad >= CW_WAD ||
        cw_liq_choose(&ch, q.items, q.n, UINT64_MAX) != CW_OK)
        return 0;
    const cw_liq_option *o = &q.items[ch.index];
    uint64_t pos_b = position(w, &w->b.addr[who]), pos_k = position(w, k);
    uint64_t bal = balance(&w->b, k, o->asset);
    cw_msg_lend_liquidate m = {.borrower = w->b.addr[who], .repay_amount = ch.repay};
    snprintf(m.asset, sizeof m.asset, "%s", o->asset);
    snprintf(m.collateral, sizeof m.collateral, "%s", o->trace_denom);
    cw_enc_init(&e);
    cw_msg_lend_liquidate_enc(&e, &m);
    int rc = tx1_as(&w->b, K_RELAYER, &e, log);
    if (rc != 0)
        fail_msg("the chain refused the liquidation its quote allowed (%s, repay %llu): %s",
                 o->asset, (unsigned long long)ch.repay, log);
    assert_int_equal(position(w, &w->b.addr[who]), pos_b - ch.seize);
    assert_int_equal(position(w, k), pos_k + ch.seize);
    assert_int_equal(balance(&w->b, k, o->asset), bal - ch.repay);
    by_market[strcmp(o->asset, "uusd") != 0]++;
    return 1;
}

static void test_random_sequences_keep_escrow_equal_to_positions(void **s)
{
    (void)s;
    const char *es = getenv("CW_COLLATERAL_SEEDS"), *et = getenv("CW_COLLATERAL_STEPS");
    /* default: 10 seeds × 1000 steps = 10^4 steps (about a minute under ASan) */
    int seeds = es ? atoi(es) : 10, steps = et ? atoi(et) : 1000;
    int total_steps = 0, deposits = 0, releases = 0, timeouts = 0, errors = 0;
    int borrows = 0, flash_ok = 0, flash_refused = 0, price_falls = 0, keeper_liqs = 0;
    int keeper_by_market[2] = {0, 0};
    for (int seed = 1; seed <= seeds; seed++) {
        world w;
        char log[256];
        uint64_t x = 0x9E3779B97F4A7C15ull * (uint64_t)seed;
        open_world(&w);
        assert_int_equal(admin_register(&w, log), 0);
        /* both markets funded; the oracle reposts stake's and ueur's prices before a borrow */
        assert_int_equal(lend_amount_in(&w, K_BOB, CW_MSG_LEND_SUPPLY, "uusd", 100000, log), 0);
        assert_int_equal(lend_amount_in(&w, K_BOB, CW_MSG_LEND_SUPPLY, "ueur", 100000, log), 0);
        uint64_t priced_at = 0;
        pend *ps = calloc((size_t)steps + 1, sizeof *ps);
        assert_non_null(ps);
        int np = 0;
        /* what the chains cannot see of each other yet: deposits whose escrow A holds but B
         * has not credited (not received, or answered with an error ack A has not yet
         * processed), and releases A has paid out (ok ack) that B still counts in flight */
        uint64_t in_flight_deposits = 0, released_unacked = 0;
        for (int step = 0; step < steps; step++, total_steps++) {
            int op = (int)(rnd(&x) % 9);
            size_t len;
            int who = rnd(&x) % 2 ? K_ALICE : K_BOB;
            if (op <= 1) { /* deposit */
                uint64_t amt = 1 + rnd(&x) % 500;
                uint64_t th = rnd(&x) % 4 == 0 ? h_height(&w.b) + 2 + rnd(&x) % 3 : 0;
                if (lock(&w, who, amt, th, th ? 0 : far_future(), log) == 0) {
                    ps[np++] = (pend){.pkt = h_last_packet(&w.a, &len), .from_a = true,
                                      .amount = amt, .th = th};
                    ps[np - 1].len = len;
                    in_flight_deposits += amt;
                    deposits++;
                }
            } else if (op == 2) { /* release part of a position */
                uint64_t pos = position(&w, &w.b.addr[who]);
                if (pos) {
                    uint64_t amt = 1 + rnd(&x) % pos;
                    uint64_t th = rnd(&x) % 4 == 0 ? h_height(&w.a) + 2 + rnd(&x) % 3 : 0;
                    if (withdraw(&w, who, amt, th, th ? 0 : far_future(), log) == 0) {
                        ps[np++] = (pend){.pkt = h_last_packet(&w.b, &len), .from_a = false,
                                          .amount = amt, .th = th};
                        ps[np - 1].len = len;
                        releases++;
                    }
                }
            } else if (op == 6) { /* borrow a little of either asset (releases then face
                                   * the debt of both markets) */
                static const char *const assets[2] = {"uusd", "ueur"};
                if (h_clock > priced_at) {
                    cw_msg_oracle_set_price pr = {.price_wad = CW_WAD, .time_ns = h_clock};
                    assert_int_equal(cw_trace_denom(pr.denom, w.chan_b, "stake"), CW_OK);
                    cw_enc m;
                    cw_enc_init(&m);
                    cw_msg_oracle_set_price_enc(&m, &pr);
                    assert_int_equal(tx1_as(&w.b, K_ORACLE, &m, log), 0);
                    pr = (cw_msg_oracle_set_price){.denom = "ueur", .price_wad = CW_WAD / 10 * 11,
                                                   .time_ns = h_clock};
                    cw_enc_init(&m);
                    cw_msg_oracle_set_price_enc(&m, &pr);
                    assert_int_equal(tx1_as(&w.b, K_ORACLE, &m, log), 0);
                    priced_at = h_clock;
                }
                int rc = lend_amount_in(&w, who, CW_MSG_LEND_BORROW, assets[rnd(&x) % 2],
                                        1 + rnd(&x) % 60, log);
                borrows += rc == 0;
            } else if (op == 8) { /* stake's price falls to 0.01..1.00 (ueur stays 1.1), and
                                   * a keeper liquidates whom the chain's quote allows */
                cw_msg_oracle_set_price pr = {.price_wad = CW_WAD / 100 * (1 + rnd(&x) % 100),
                                              .time_ns = h_clock};
                assert_int_equal(cw_trace_denom(pr.denom, w.chan_b, "stake"), CW_OK);
                cw_enc m;
                cw_enc_init(&m);
                cw_msg_oracle_set_price_enc(&m, &pr);
                if (tx1_as(&w.b, K_ORACLE, &m, log) == 0)
                    price_falls++;
                pr = (cw_msg_oracle_set_price){.denom = "ueur", .price_wad = CW_WAD / 10 * 11,
                                               .time_ns = h_clock};
                cw_enc_init(&m);
                cw_msg_oracle_set_price_enc(&m, &pr);
                (void)tx1_as(&w.b, K_ORACLE, &m, log); /* refused only at the same time */
                keeper_liqs += keeper_round(&w, K_ALICE, keeper_by_market);
                keeper_liqs += keeper_round(&w, K_BOB, keeper_by_market);
            } else if (op == 7) { /* a flash-loan tx through the chain: repaid, or not */
                static const char *const assets[2] = {"uusd", "ueur"};
                int a = (int)(rnd(&x) % 2), kind = (int)(rnd(&x) % 3);
                uint64_t amt = 1 + rnd(&x) % 1000;
                uint8_t before[2][256], after[2][256];
                size_t nb[2], na[2];
                uint64_t bal[2];
                for (int k = 0; k < 2; k++) {
                    nb[k] = market_raw(&w, assets[k], before[k], sizeof before[k]);
                    bal[k] = balance(&w.b, &w.b.addr[who], assets[k]);
                }
                cw_enc m[3];
                cw_bytes mb[3];
                size_t n = 0;
                cw_msg_lend_amount f = {.amount = amt};
                snprintf(f.asset, sizeof f.asset, "%s", assets[a]);
                cw_enc_init(&m[n]);
                cw_msg_lend_flash_loan_enc(&m[n++], &f);
                if (kind == 2) { /* the other market's loan, which cannot repay this one */
                    snprintf(f.asset, sizeof f.asset, "%s", assets[1 - a]);
                    cw_enc_init(&m[n]);
                    cw_msg_lend_flash_loan_enc(&m[n++], &f);
                }
                if (kind > 0) { /* everything held of the asset, the loan too, supplied away */
                    cw_msg_lend_amount sup = {.amount = bal[a] + amt};
                    snprintf(sup.asset, sizeof sup.asset, "%s", assets[a]);
                    cw_enc_init(&m[n]);
                    cw_msg_lend_supply_enc(&m[n++], &sup);
                }
                for (size_t k = 0; k < n; k++)
                    mb[k] = (cw_bytes){cw_enc_data(&m[k]), cw_enc_len(&m[k])};
                int rc = h_tx(&w.b, who, mb, n, log, sizeof log);
                for (size_t k = 0; k < n; k++)
                    cw_enc_free(&m[k]);
                if (kind == 0) {
                    assert_int_equal(rc, 0); /* repaid from the borrower's own balance */
                    assert_true(balance(&w.b, &w.b.addr[who], assets[a]) <
                                bal[a]); /* the fee */
                    flash_ok++;
                } else {
                    if (rc != CW_EINSUFFICIENT || !strstr(log, "not repaid"))
                        fail_msg("seed %d: an unrepaid flash loan: %d %s", seed, rc, log);
                    for (int k = 0; k < 2; k++) {
                        na[k] = market_raw(&w, assets[k], after[k], sizeof after[k]);
                        assert_int_equal(na[k], nb[k]);
                        assert_memory_equal(after[k], before[k], nb[k]);
                        assert_int_equal(balance(&w.b, &w.b.addr[who], assets[k]), bal[k]);
                    }
                    flash_refused++;
                }
            } else { /* relay one pending packet step, in random order */
                if (np == 0)
                    continue;
                pend *p = &ps[rnd(&x) % (uint64_t)np];
                hchain *src = p->from_a ? &w.a : &w.b, *dst = p->from_a ? &w.b : &w.a;
                const char *c_dst = p->from_a ? w.client_b : w.client_a;
                const char *c_src = p->from_a ? w.client_a : w.client_b;
                if (p->stage == 0) {
                    int rc = relay_recv(src, dst, c_dst, p->pkt, p->len, log);
                    if (rc == 0) {
                        p->ack = last_ack(dst, &p->ack_len);
                        p->stage = 1;
                        bool ok = ack_ok(p->ack, p->ack_len);
                        if (p->from_a && ok)
                            in_flight_deposits -= p->amount;
                        if (!p->from_a && ok)
                            released_unacked += p->amount;
                        errors += !ok;
                    } else if (rc == CW_ETIMEOUT && p->th) {
                        if (relay_timeout(src, dst, c_src, p->pkt, p->len, 0, log) == 0) {
                            p->stage = 2;
                            if (p->from_a)
                                in_flight_deposits -= p->amount;
                            timeouts++;
                        }
                    } else {
                        errors++;
                    }
                } else if (p->stage == 1) {
                    assert_int_equal(relay_ack(src, dst, c_src, p->pkt, p->len, p->ack,
                                               p->ack_len, log), 0);
                    p->stage = 2;
                    bool ok = ack_ok(p->ack, p->ack_len);
                    if (p->from_a && !ok)
                        in_flight_deposits -= p->amount; /* refunded on A */
                    if (!p->from_a && ok)
                        released_unacked -= p->amount;
                }
            }
            /* the invariant in flight (DESIGN §8, made exact): escrow = total + in-flight
             * releases not yet paid on A + deposits not yet credited on B */
            assert_int_equal(escrow(&w) + released_unacked,
                             total(&w) + inflight(&w) + in_flight_deposits);
            /* the pending aggregates count exactly the packets not yet acked or timed out
             * on their source (what the audit proves a node's enumeration against) */
            uint64_t want[2][2] = {{0, 0}, {0, 0}}, got[2][2];
            for (int i = 0; i < np; i++)
                if (ps[i].stage < 2) {
                    want[!ps[i].from_a][0]++;
                    want[!ps[i].from_a][1] += ps[i].amount;
                }
            pending(&w, false, &got[0][0], &got[0][1]);
            pending(&w, true, &got[1][0], &got[1][1]);
            assert_memory_equal(got, want, sizeof want);
            assert_int_equal(got[1][1], inflight(&w)); /* B's in-flight is its pending */
        }
        /* drain: relay everything, then with nothing in flight escrow = total */
        for (int i = 0; i < np; i++) {
            pend *p = &ps[i];
            hchain *src = p->from_a ? &w.a : &w.b, *dst = p->from_a ? &w.b : &w.a;
            const char *c_dst = p->from_a ? w.client_b : w.client_a;
            const char *c_src = p->from_a ? w.client_a : w.client_b;
            if (p->stage == 0) {
                if (relay_recv(src, dst, c_dst, p->pkt, p->len, log) == 0) {
                    p->ack = last_ack(dst, &p->ack_len);
                    p->stage = 1;
                    if (p->from_a && !ack_ok(p->ack, p->ack_len))
                        in_flight_deposits += p->amount; /* undone at the ack below */
                } else {
                    hchain *waiter = dst;
                    while (p->th && h_height(waiter) < p->th)
                        h_block(waiter);
                    assert_int_equal(relay_timeout(src, dst, c_src, p->pkt, p->len, 0, log), 0);
                    p->stage = 2;
                }
                if (p->from_a)
                    in_flight_deposits -= p->amount;
            }
            if (p->stage == 1) {
                assert_int_equal(relay_ack(src, dst, c_src, p->pkt, p->len, p->ack, p->ack_len,
                                           log), 0);
                if (p->from_a && !ack_ok(p->ack, p->ack_len))
                    in_flight_deposits -= p->amount;
            }
            /* replays after settlement change nothing */
            if (p->ack)
                assert_int_equal(relay_ack(src, dst, c_src, p->pkt, p->len, p->ack, p->ack_len,
                                           log), 0);
            free(p->pkt);
            free(p->ack);
        }
        free(ps);
        assert_int_equal(in_flight_deposits, 0);
        (void)released_unacked;
        assert_int_equal(inflight(&w), 0);
        uint64_t c0, a0, c1, a1;
        pending(&w, false, &c0, &a0);
        pending(&w, true, &c1, &a1);
        assert_true(c0 == 0 && a0 == 0 && c1 == 0 && a1 == 0); /* deleted, not stored as 0 */
        assert_int_equal(escrow(&w), total(&w));
        assert_int_equal(position(&w, &w.b.addr[K_ALICE]) + position(&w, &w.b.addr[K_BOB]) +
                             position(&w, &w.b.addr[K_RELAYER]), /* the keeper's seizes */
                         total(&w));
        close_world(&w);
    }
    fprintf(stderr, "random collateral: %d seeds, %d steps, %d deposits, %d releases, "
                    "%d timeouts, %d refused relays; %d borrows (uusd or ueur), flash loans "
                    "%d repaid, %d refused whole; %d price falls, %d liquidations by the "
                    "keeper's quote and choice (repaying uusd %d, ueur %d)\n", seeds,
            total_steps, deposits, releases, timeouts, errors, borrows, flash_ok, flash_refused,
            price_falls, keeper_liqs, keeper_by_market[0], keeper_by_market[1]);
    assert_true(deposits > 0 && releases > 0);
    assert_true(borrows > 0 && flash_ok > 0 && flash_refused > 0);
    assert_true(price_falls > 0 && keeper_by_market[0] > 0 && keeper_by_market[1] > 0);
}

int main(void)
{
    /* thousands of blocks: skip the per-block fsync (durability is test_node's subject) */
    setenv("CW_LMDB_NOSYNC", "1", 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deposit_to_unregistered_collateral_credits_nothing_and_refunds),
        cmocka_unit_test(test_register_then_deposit_credits_position_and_release_unescrows),
        cmocka_unit_test(test_release_timeout_recredits_holder),
        cmocka_unit_test(test_release_in_flight_is_collateral_left_no_write_off_before_timeout),
        cmocka_unit_test(test_close_init_on_collateral_channel_refused),
        cmocka_unit_test(test_zero_amount_and_foreign_denom_refused_before_commitment),
        cmocka_unit_test(test_escrow_of_one_channel_never_unescrowed_through_another),
        cmocka_unit_test(test_borrow_against_position_and_withdraw_above_ltv_refused),
        cmocka_unit_test(test_random_sequences_keep_escrow_equal_to_positions),
    };
    return cmocka_run_group_tests_name("collateral", tests, NULL, NULL);
}
