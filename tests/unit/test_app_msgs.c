/* The application msgs (common/app_msgs.c): every msg round-trips (encode → the chain's split
 * of [type, body] → decode → encode gives the same bytes and the same fields), two layouts
 * are pinned byte for byte, every decoder refuses malformed bodies with today's labels, the
 * codec table (cw_msg_codecs_app) has a row for every type that decodes and re-encodes like
 * the typed pair, and the collateral packet data round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/tx.h"

#define TRACE0 "ibc/603B866A411A2E25CC4AC168FFA147855D770865F03C966F20C34EB782FA41B6"

/* Open an encoded Msg as the tx decoder would and hand back its body; checks the type. */
static const msgpack_object *open_msg(cw_dec *d, const cw_enc *e, const char *type, char *err)
{
    const msgpack_object *root;
    assert_int_equal(e->rc, CW_OK);
    assert_int_equal(cw_dec_open(d, &root, cw_enc_data(e), cw_enc_len(e), 1 << 20, err, 256),
                     CW_OK);
    const msgpack_object *f = cw_dec_array(d, root, 2, "msg");
    char got[CW_ID_MAX + 1];
    cw_dec_id(d, &f[0], got, "msg.type");
    assert_int_equal(d->rc, CW_OK);
    assert_string_equal(got, type);
    assert_int_equal(f[1].type, MSGPACK_OBJECT_ARRAY);
    return &f[1];
}

/* The table's row for type; fails the test when there is none. */
static const cw_msg_codec *row_of(const char *type)
{
    size_t n;
    const cw_msg_codec *t = cw_msg_codecs_app(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].type, type) == 0)
            return &t[i];
    fail_msg("no codec for %s", type);
    return NULL;
}

/* Decode body with the table's row for type into a fresh struct; re-encode it through the
 * row; free it. Returns the decoder's code; *reenc (when not NULL) receives the encoding. */
static int row_decode(const char *type, const msgpack_object *body, char *err, size_t err_len,
                      cw_enc *reenc)
{
    const cw_msg_codec *c = row_of(type);
    cw_dec d = {.err = err, .err_len = err_len};
    void *m = calloc(1, c->size);
    assert_non_null(m);
    c->dec(&d, body, m, c->type);
    if (d.rc == CW_OK && reenc)
        c->enc(reenc, m);
    if (c->free)
        c->free(m);
    free(m);
    return d.rc;
}

/* The table's row for type decodes the body and re-encodes the same Msg bytes. */
static void table_accepts(const char *type, const msgpack_object *body, const cw_enc *msg)
{
    char err[256] = "";
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(row_decode(type, body, err, sizeof err, &e), CW_OK);
    assert_int_equal(cw_enc_len(&e), cw_enc_len(msg));
    assert_memory_equal(cw_enc_data(&e), cw_enc_data(msg), cw_enc_len(msg));
    cw_enc_free(&e);
}

/* enc → open → dec → enc again: the same bytes; `out` is left decoded for field checks
 * (borrowed bins stay valid until the end of the calling scope: e_ is freed there). */
#define ROUND_TRIP(name, type, in, out)                                                     \
    cw_enc e_;                                                                              \
    cw_dec d_;                                                                              \
    char err_[256];                                                                         \
    cw_enc_init(&e_);                                                                       \
    cw_msg_##name##_enc(&e_, &(in));                                                        \
    {                                                                                       \
        const msgpack_object *body_ = open_msg(&d_, &e_, type, err_);                       \
        cw_msg_##name##_dec(&d_, body_, &(out), type);                                      \
        assert_int_equal(d_.rc, CW_OK);                                                     \
        table_accepts(type, body_, &e_);                                                    \
        cw_enc e2_;                                                                         \
        cw_enc_init(&e2_);                                                                  \
        cw_msg_##name##_enc(&e2_, &(out));                                                  \
        assert_int_equal(cw_enc_len(&e2_), cw_enc_len(&e_));                                \
        assert_memory_equal(cw_enc_data(&e2_), cw_enc_data(&e_), cw_enc_len(&e_));          \
        cw_enc_free(&e2_);                                                                  \
    }                                                                                       \
    cw_dec_close(&d_)

#define RT_DONE() cw_enc_free(&e_)

static cw_address addr(uint8_t b)
{
    cw_address a;
    memset(a.b, b, 20);
    return a;
}

static void test_bank_send_round_trips_and_layout_is_pinned(void **s)
{
    (void)s;
    cw_msg_bank_send in = {.to = addr(1), .denom = "uatom", .amount = 1000}, out;
    ROUND_TRIP(bank_send, CW_MSG_BANK_SEND, in, out);
    assert_memory_equal(out.to.b, in.to.b, 20);
    assert_string_equal(out.denom, "uatom");
    assert_int_equal(out.amount, 1000);
    /* [ "bank.send", [ bin(20 × 01), "uatom", 1000 ] ] */
    static const uint8_t want[] = {
        0x92, 0xa9, 'b', 'a', 'n', 'k', '.', 's', 'e', 'n', 'd', 0x93, 0xc4, 0x14,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        0xa5, 'u', 'a', 't', 'o', 'm', 0xcd, 0x03, 0xe8};
    assert_int_equal(cw_enc_len(&e_), sizeof want);
    assert_memory_equal(cw_enc_data(&e_), want, sizeof want);
    RT_DONE();
}

static void test_repay_nil_and_address_round_trip_and_layout_is_pinned(void **s)
{
    (void)s;
    {
        cw_msg_lend_repay in = {.asset = "uusd", .amount = 5}, out;
        ROUND_TRIP(lend_repay, CW_MSG_LEND_REPAY, in, out);
        assert_false(out.has_on_behalf_of);
        assert_int_equal(out.amount, 5);
        assert_string_equal(out.asset, "uusd");
        /* [ "lend.repay", [ "uusd", 5, nil ] ] */
        static const uint8_t want[] = {0x92, 0xaa, 'l', 'e', 'n', 'd', '.', 'r', 'e', 'p', 'a',
                                       'y',  0x93, 0xa4, 'u', 'u', 's', 'd', 0x05, 0xc0};
        assert_int_equal(cw_enc_len(&e_), sizeof want);
        assert_memory_equal(cw_enc_data(&e_), want, sizeof want);
        RT_DONE();
    }
    {
        cw_msg_lend_repay in = {.asset = "ueur", .amount = 7, .has_on_behalf_of = true,
                                .on_behalf_of = addr(9)},
                          out;
        ROUND_TRIP(lend_repay, CW_MSG_LEND_REPAY, in, out);
        assert_true(out.has_on_behalf_of);
        assert_memory_equal(out.on_behalf_of.b, in.on_behalf_of.b, 20);
        RT_DONE();
    }
}

static void test_admin_update_validators_round_trips(void **s)
{
    (void)s;
    cw_validator v[2];
    memset(v, 0, sizeof v);
    for (int i = 0; i < 2; i++) {
        memset(v[i].pubkey.b, 0x10 + i, sizeof v[i].pubkey.b);
        v[i].power = 10 * (uint64_t)(i + 1);
    }
    cw_msg_admin_update_validators in = {.validator_set = {.n = 2, .v = v}}, out;
    ROUND_TRIP(admin_update_validators, CW_MSG_ADMIN_UPDATE_VALIDATORS, in, out);
    assert_int_equal(out.validator_set.n, 2);
    assert_int_equal(out.validator_set.v[1].power, 20);
    cw_msg_admin_update_validators_free(&out);
    cw_msg_admin_update_validators_free(NULL);
    RT_DONE();
}

static void test_echo_send_round_trips(void **s)
{
    (void)s;
    cw_msg_echo_send in = {.channel = "channel-3", .data = {(const uint8_t *)"hello", 5},
                           .timeout_height = 9, .timeout_timestamp_ns = 1ull << 40},
                     out;
    ROUND_TRIP(echo_send, CW_MSG_ECHO_SEND, in, out);
    assert_string_equal(out.channel, "channel-3");
    assert_int_equal(out.data.len, 5);
    assert_memory_equal(out.data.p, "hello", 5);
    assert_int_equal(out.timeout_height, 9);
    assert_int_equal(out.timeout_timestamp_ns, 1ull << 40);
    RT_DONE();
}

static void test_collateral_transfers_round_trip(void **s)
{
    (void)s;
    static const cw_msg_collateral_transfer in = {
        .channel = "channel-0", .denom = "stake", .amount = 42,
        .to = {{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}},
        .timeout_height = 0, .timeout_timestamp_ns = 123};
    cw_msg_collateral_transfer out;
    {
        ROUND_TRIP(collateral_lock, CW_MSG_COLLATERAL_LOCK, in, out);
        assert_memory_equal(&out, &in, sizeof in);
        RT_DONE();
    }
    {
        ROUND_TRIP(lend_withdraw_collateral, CW_MSG_LEND_WITHDRAW_COLLATERAL, in, out);
        assert_memory_equal(&out, &in, sizeof in);
        RT_DONE();
    }
}

static void test_lend_amount_msgs_round_trip(void **s)
{
    (void)s;
    cw_msg_lend_amount in = {.asset = "uusd", .amount = UINT64_MAX}, out;
    {
        ROUND_TRIP(lend_supply, CW_MSG_LEND_SUPPLY, in, out);
        assert_int_equal(out.amount, UINT64_MAX);
        RT_DONE();
    }
    for (int all = 0; all < 2; all++) {
        cw_msg_lend_withdraw_supply win = {.asset = "ueur", .amount = all ? 0 : UINT64_MAX,
                                           .all = all},
                                    wout;
        ROUND_TRIP(lend_withdraw_supply, CW_MSG_LEND_WITHDRAW_SUPPLY, win, wout);
        assert_int_equal(wout.amount, win.amount);
        assert_int_equal(wout.all, all);
        RT_DONE();
    }
    {
        ROUND_TRIP(lend_borrow, CW_MSG_LEND_BORROW, in, out);
        assert_int_equal(out.amount, UINT64_MAX);
        assert_string_equal(out.asset, "uusd");
        RT_DONE();
    }
    {
        ROUND_TRIP(lend_flash_loan, CW_MSG_LEND_FLASH_LOAN, in, out);
        assert_int_equal(out.amount, UINT64_MAX);
        assert_string_equal(out.asset, "uusd");
        /* [ "lend.flash_loan", [ "uusd", u64 max ] ] */
        assert_int_equal(cw_enc_len(&e_), 1 + 16 + 1 + 5 + 9);
        RT_DONE();
    }
}

static void test_liquidate_register_pause_price_round_trip(void **s)
{
    (void)s;
    {
        static const cw_msg_lend_liquidate in = {.asset = "ueur",
                                                 .borrower = {{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
                                                               3, 3, 3, 3, 3, 3, 3, 3, 3}},
                                                 .repay_amount = 77, .collateral = TRACE0};
        cw_msg_lend_liquidate out;
        ROUND_TRIP(lend_liquidate, CW_MSG_LEND_LIQUIDATE, in, out);
        assert_memory_equal(&out, &in, sizeof in);
        RT_DONE();
    }
    {
        static const cw_msg_lend_register_collateral in = {
            .channel = "channel-1", .base_denom = "ueth", .ltv_bps = 5000,
            .liquidation_threshold_bps = 6000, .liquidation_bonus_bps = UINT32_MAX};
        cw_msg_lend_register_collateral out;
        ROUND_TRIP(lend_register_collateral, CW_MSG_LEND_REGISTER_COLLATERAL, in, out);
        assert_memory_equal(&out, &in, sizeof in);
        RT_DONE();
    }
    for (int p = 0; p < 2; p++) {
        cw_msg_lend_pause in = {.asset = "uusd", .actions = p ? CW_LEND_ACTION_ALL : UINT64_MAX,
                                .paused = p},
                          out;
        ROUND_TRIP(lend_pause, CW_MSG_LEND_PAUSE, in, out);
        assert_int_equal(out.paused, p);
        assert_true(out.actions == in.actions); /* any u64: the handler checks the bits */
        RT_DONE();
    }
    {
        static const cw_msg_lend_withdraw_reserves in = {.asset = "uusd",
                                                         .to = {{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                                                                 9, 9, 9, 9, 9, 9, 9, 9, 9}},
                                                         .amount = UINT64_MAX};
        cw_msg_lend_withdraw_reserves out;
        ROUND_TRIP(lend_withdraw_reserves, CW_MSG_LEND_WITHDRAW_RESERVES, in, out);
        assert_memory_equal(&out, &in, sizeof in);
        RT_DONE();
    }
    {
        cw_msg_oracle_set_price in = {.denom = TRACE0, .price_wad = CW_U128_MAX,
                                      .time_ns = 5},
                                out;
        ROUND_TRIP(oracle_set_price, CW_MSG_ORACLE_SET_PRICE, in, out);
        assert_string_equal(out.denom, TRACE0);
        assert_true(out.price_wad == CW_U128_MAX);
        assert_int_equal(out.time_ns, 5);
        RT_DONE();
    }
    {
        /* a market's asset is priced too (an identifier, DESIGN §8) */
        cw_msg_oracle_set_price in = {.denom = "ueur", .price_wad = 1, .time_ns = 5}, out;
        ROUND_TRIP(oracle_set_price, CW_MSG_ORACLE_SET_PRICE, in, out);
        assert_string_equal(out.denom, "ueur");
        RT_DONE();
    }
    {
        /* transfer.transfer: a voucher denom, a foreign receiver text and a memo */
        static cw_msg_transfer in = {.channel = "channel-7", .denom = TRACE0, .amount = 12,
                                     .receiver = "cosmos1ry8xqeyl7v02k6tlugjkzgvpz9ccpj6s4wt3nc",
                                     .timeout_height = 9, .timeout_timestamp_ns = UINT64_MAX,
                                     .memo = "{\"k\":\"<v>\"}"},
                               out;
        ROUND_TRIP(transfer, CW_MSG_TRANSFER, in, out);
        assert_memory_equal(&out, &in, sizeof in);
        RT_DONE();
    }
    {
        /* a native denom round-trips; an empty receiver, a '/' denom, NUL in memo do not */
        static cw_msg_transfer in = {.channel = "channel-0", .denom = "stake", .amount = 1,
                                     .receiver = "r", .timeout_timestamp_ns = 1},
                               out;
        ROUND_TRIP(transfer, CW_MSG_TRANSFER, in, out);
        assert_memory_equal(&out, &in, sizeof in);
        RT_DONE();
        char err[256];
        static const char *const bad_denoms[] = {"a/b", "ibc/x", ""};
        for (size_t i = 0; i < 3; i++) {
            cw_enc e;
            cw_enc_init(&e);
            cw_msg_begin(&e, CW_MSG_TRANSFER, 7);
            cw_enc_cstr(&e, "channel-0");
            cw_enc_cstr(&e, bad_denoms[i]);
            cw_enc_u64(&e, 1);
            cw_enc_cstr(&e, i == 2 ? "" : "r");
            cw_enc_u64(&e, 0);
            cw_enc_u64(&e, 1);
            cw_enc_str(&e, "a\0b", 3);
            cw_dec d;
            const msgpack_object *body = open_msg(&d, &e, CW_MSG_TRANSFER, err);
            cw_msg_transfer_dec(&d, body, &out, CW_MSG_TRANSFER);
            assert_int_equal(d.rc, CW_EINVAL);
            assert_non_null(strstr(d.err, "transfer.transfer."));
            cw_dec_close(&d);
            cw_enc_free(&e);
        }
    }
}

static void test_update_market_round_trips_with_and_without_params(void **s)
{
    (void)s;
    static cw_msg_lend_update_market in, out; /* zeroed: padding compares equal */
    strcpy(in.asset, "ueur");
    {
        ROUND_TRIP(lend_update_market, CW_MSG_LEND_UPDATE_MARKET, in, out);
        assert_false(out.has_market);
        assert_int_equal(out.n_collaterals, 0);
        RT_DONE();
    }
    in.has_market = true;
    in.market = (cw_msg_lend_market_params){1, 2, CW_WAD, 4, 5000, 1000, 60, 300, 7, 8, 9, 10};
    in.n_collaterals = CW_LEND_MAX_COLLATERALS;
    for (uint32_t i = 0; i < CW_LEND_MAX_COLLATERALS; i++) {
        memcpy(in.collaterals[i].denom, TRACE0, sizeof in.collaterals[i].denom);
        in.collaterals[i].ltv_bps = i;
        in.collaterals[i].liquidation_threshold_bps = i + 1;
        in.collaterals[i].liquidation_bonus_bps = i + 2;
    }
    {
        ROUND_TRIP(lend_update_market, CW_MSG_LEND_UPDATE_MARKET, in, out);
        assert_memory_equal(&out, &in, sizeof in);
        RT_DONE();
    }
}

static void test_lend_action_names_parse(void **s)
{
    (void)s;
    char err[200];
    uint64_t mask = 99;
    assert_int_equal(cw_lend_actions_parse("supply,borrow", &mask, err, sizeof err), CW_OK);
    assert_true(mask == (CW_LEND_ACTION_SUPPLY | CW_LEND_ACTION_BORROW));
    assert_int_equal(cw_lend_actions_parse("withdraw", &mask, err, sizeof err), CW_OK);
    assert_true(mask == (CW_LEND_ACTION_WITHDRAW_SUPPLY | CW_LEND_ACTION_WITHDRAW_COLLATERAL));
    assert_int_equal(cw_lend_actions_parse("all", &mask, err, sizeof err), CW_OK);
    assert_true(mask == CW_LEND_ACTION_ALL);
    assert_int_equal(cw_lend_actions_parse("liquidate,repay", &mask, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "'repay'"));
    assert_non_null(strstr(err, "never paused"));
    assert_true(mask == 0);
    assert_int_equal(cw_lend_actions_parse("supply,", &mask, err, sizeof err), CW_EINVAL);
    for (uint64_t bit = 1; bit <= CW_LEND_ACTION_ALL; bit <<= 1) {
        assert_non_null(cw_lend_action_name(bit));
        assert_int_equal(cw_lend_actions_parse(cw_lend_action_name(bit), &mask, err, sizeof err),
                         CW_OK);
        assert_true(mask == bit);
    }
    assert_null(cw_lend_action_name(3));
    assert_null(cw_lend_action_name(64));
}

/* Decode a hand-made body with the table's row for type; returns the code, err filled. */
static int table_decode(const char *type, const cw_enc *body, char *err, size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    int rc = cw_dec_open(&d, &root, cw_enc_data(body), cw_enc_len(body), 1 << 20, err, err_len);
    assert_int_equal(rc, CW_OK);
    rc = row_decode(type, root, err, err_len, NULL);
    cw_dec_close(&d);
    return rc;
}

/* Every decoder refuses an empty body and a non-array, naming its msg. */
static void test_every_decoder_refuses_wrong_shapes(void **s)
{
    (void)s;
    size_t n;
    const cw_msg_codec *t = cw_msg_codecs_app(&n);
    assert_int_equal(n, 17); /* ... lend.flash_loan, oracle.set_price, transfer.transfer */
    for (size_t i = 0; i < n; i++) {
        char err[256];
        for (int k = 0; k < 2; k++) {
            cw_enc e;
            cw_enc_init(&e);
            if (k == 0)
                cw_enc_array(&e, 0);
            else
                cw_enc_u64(&e, 1);
            err[0] = '\0';
            assert_int_equal(table_decode(t[i].type, &e, err, sizeof err), CW_EMALFORMED);
            assert_non_null(strstr(err, t[i].type));
            cw_enc_free(&e);
        }
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(t[i].type, t[j].type);
    }
}

/* The labels the handlers used before (a refused tx's log reads as it did). */
static void test_field_errors_keep_their_labels(void **s)
{
    (void)s;
    char err[256];
    cw_enc e;
    cw_enc_init(&e); /* bank.send with a 19-byte address */
    cw_enc_array(&e, 3);
    cw_enc_bin(&e, "0123456789012345678", 19);
    cw_enc_cstr(&e, "uatom");
    cw_enc_u64(&e, 1);
    assert_int_equal(table_decode(CW_MSG_BANK_SEND, &e, err, sizeof err), CW_EMALFORMED);
    assert_non_null(strstr(err, "bank.send.to"));
    cw_enc_free(&e);

    cw_enc_init(&e); /* a denom that is not an identifier */
    cw_enc_array(&e, 3);
    cw_enc_bin(&e, "01234567890123456789", 20);
    cw_enc_cstr(&e, "u/atom");
    cw_enc_u64(&e, 1);
    assert_int_equal(table_decode(CW_MSG_BANK_SEND, &e, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "bank.send.denom"));
    cw_enc_free(&e);

    cw_enc_init(&e); /* liquidate with a lower-case trace denom */
    cw_enc_array(&e, 4);
    cw_enc_cstr(&e, "uusd");
    cw_enc_bin(&e, "01234567890123456789", 20);
    cw_enc_u64(&e, 1);
    char lower[] = TRACE0;
    lower[10] = 'b';
    cw_enc_cstr(&e, lower);
    assert_int_equal(table_decode(CW_MSG_LEND_LIQUIDATE, &e, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "lend.liquidate.collateral: not a trace denom"));
    cw_enc_free(&e);

    cw_enc_init(&e); /* an empty trace denom (msgpack-c hands it over as NULL, 0) */
    cw_enc_array(&e, 3);
    cw_enc_cstr(&e, "");
    cw_enc_u128(&e, 1);
    cw_enc_u64(&e, 1);
    assert_int_equal(table_decode(CW_MSG_ORACLE_SET_PRICE, &e, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "oracle.set_price.denom: not a trace denom"));
    cw_enc_free(&e);

    cw_enc_init(&e); /* a market msg naming no market (the asset is an identifier) */
    cw_enc_array(&e, 2);
    cw_enc_cstr(&e, "u/usd");
    cw_enc_u64(&e, 1);
    assert_int_equal(table_decode(CW_MSG_LEND_SUPPLY, &e, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "lend.supply.asset"));
    cw_enc_free(&e);

    cw_enc_init(&e); /* withdraw_collateral's receiver has its own name */
    cw_enc_array(&e, 6);
    cw_enc_cstr(&e, "channel-0");
    cw_enc_cstr(&e, "stake");
    cw_enc_u64(&e, 1);
    cw_enc_bin(&e, "x", 1);
    cw_enc_u64(&e, 0);
    cw_enc_u64(&e, 0);
    assert_int_equal(table_decode(CW_MSG_LEND_WITHDRAW_COLLATERAL, &e, err, sizeof err),
                     CW_EMALFORMED);
    assert_non_null(strstr(err, "lend.withdraw_collateral.receiver"));
    cw_enc_free(&e);

    cw_enc_init(&e); /* 17 collateral updates: one more than can be registered */
    cw_enc_array(&e, 3);
    cw_enc_cstr(&e, "uusd");
    cw_enc_nil(&e);
    cw_enc_array(&e, CW_LEND_MAX_COLLATERALS + 1);
    for (int i = 0; i <= CW_LEND_MAX_COLLATERALS; i++) {
        cw_enc_array(&e, 4);
        cw_enc_cstr(&e, TRACE0);
        cw_enc_u64(&e, 1);
        cw_enc_u64(&e, 2);
        cw_enc_u64(&e, 3);
    }
    assert_int_not_equal(table_decode(CW_MSG_LEND_UPDATE_MARKET, &e, err, sizeof err), CW_OK);
    assert_non_null(strstr(err, "lend.update_market.collaterals"));
    cw_enc_free(&e);

    cw_enc_init(&e); /* echo data over the bound */
    uint8_t big[CW_MSG_ECHO_DATA_MAX + 1] = {0};
    cw_enc_array(&e, 4);
    cw_enc_cstr(&e, "channel-0");
    cw_enc_bin(&e, big, sizeof big);
    cw_enc_u64(&e, 1);
    cw_enc_u64(&e, 0);
    assert_int_not_equal(table_decode(CW_MSG_ECHO_SEND, &e, err, sizeof err), CW_OK);
    assert_non_null(strstr(err, "echo.send.data"));
    cw_enc_free(&e);
}

static void test_collateral_packet_round_trips_and_refuses_bad_kinds(void **s)
{
    (void)s;
    char err[256];
    for (int k = CW_COLLATERAL_DEPOSIT; k <= CW_COLLATERAL_RELEASE; k++) {
        cw_collateral_packet in, out;
        memset(&in, 0, sizeof in);
        in.kind = (cw_collateral_kind)k;
        strcpy(in.denom, "stake");
        in.amount = 99;
        in.from = addr(1);
        in.to = addr(2);
        cw_enc e;
        cw_enc_init(&e);
        cw_collateral_packet_enc(&e, &in);
        assert_int_equal(cw_collateral_packet_decode(&out, cw_enc_data(&e), cw_enc_len(&e), err,
                                                     sizeof err),
                         CW_OK);
        assert_memory_equal(&out, &in, sizeof in);
        if (k == CW_COLLATERAL_DEPOSIT) { /* ["deposit", "stake", 99, bin20, bin20] */
            static const uint8_t head[] = {0x95, 0xa7, 'd', 'e', 'p', 'o', 's', 'i', 't',
                                           0xa5, 's',  't', 'a', 'k', 'e', 0x63, 0xc4, 0x14};
            assert_memory_equal(cw_enc_data(&e), head, sizeof head);
            assert_int_equal(cw_enc_len(&e), sizeof head + 20 + 2 + 20);
        }
        cw_enc_free(&e);
    }
    const char *kinds[] = {"refund", "deposit"};
    uint64_t amounts[] = {1, 0};
    const char *want[] = {"unknown kind 'refund'", "zero amount"};
    for (int i = 0; i < 2; i++) {
        cw_enc e;
        cw_enc_init(&e);
        cw_enc_array(&e, 5);
        cw_enc_cstr(&e, kinds[i]);
        cw_enc_cstr(&e, "stake");
        cw_enc_u64(&e, amounts[i]);
        cw_enc_bin(&e, "01234567890123456789", 20);
        cw_enc_bin(&e, "01234567890123456789", 20);
        cw_collateral_packet out;
        assert_int_equal(cw_collateral_packet_decode(&out, cw_enc_data(&e), cw_enc_len(&e), err,
                                                     sizeof err),
                         CW_EINVAL);
        assert_non_null(strstr(err, want[i]));
        assert_int_equal(out.kind, 0);
        cw_enc_free(&e);
    }
    cw_collateral_packet out;
    assert_int_not_equal(cw_collateral_packet_decode(&out, (const uint8_t *)"\x95", 1, err,
                                                     sizeof err),
                         CW_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bank_send_round_trips_and_layout_is_pinned),
        cmocka_unit_test(test_repay_nil_and_address_round_trip_and_layout_is_pinned),
        cmocka_unit_test(test_admin_update_validators_round_trips),
        cmocka_unit_test(test_echo_send_round_trips),
        cmocka_unit_test(test_collateral_transfers_round_trip),
        cmocka_unit_test(test_lend_amount_msgs_round_trip),
        cmocka_unit_test(test_liquidate_register_pause_price_round_trip),
        cmocka_unit_test(test_update_market_round_trips_with_and_without_params),
        cmocka_unit_test(test_lend_action_names_parse),
        cmocka_unit_test(test_every_decoder_refuses_wrong_shapes),
        cmocka_unit_test(test_field_errors_keep_their_labels),
        cmocka_unit_test(test_collateral_packet_round_trips_and_refuses_bad_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
