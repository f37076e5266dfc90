/* The app state keys (common/keys.c): each builder's layout pinned byte for byte (this file
 * is where the key strings are spelled out on purpose: a builder that drifted would make the
 * audit prove a *valid non-membership* and read 0), identifiers validated, output bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "causeway/keys.h"

#define HEX_AA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
/* python3: 'ibc/' + sha256(b'collateral/channel-0/uatom').hexdigest().upper() */
#define TRACE0 "ibc/603B866A411A2E25CC4AC168FFA147855D770865F03C966F20C34EB782FA41B6"

static cw_address addr_aa(void)
{
    cw_address a;
    memset(a.b, 0xaa, 20);
    return a;
}

static void test_trace_denom_is_ics20_hash_upper_hex(void **s)
{
    (void)s;
    char t[CW_TRACE_DENOM_LEN + 1];
    assert_int_equal(cw_trace_denom(t, "channel-0", "uatom"), CW_OK);
    assert_string_equal(t, TRACE0);
    assert_true(cw_trace_denom_valid(t, strlen(t)));
    assert_int_equal(cw_trace_denom(t, "channel/0", "uatom"), CW_EINVAL);
    assert_string_equal(t, "");
    assert_int_equal(cw_trace_denom(t, "channel-0", ""), CW_EINVAL);
    assert_string_equal(t, "");
}

static void test_trace_denom_valid_shape(void **s)
{
    (void)s;
    const char *good = TRACE0;
    char bad[CW_TRACE_DENOM_LEN + 1];
    assert_true(cw_trace_denom_valid(good, CW_TRACE_DENOM_LEN));
    assert_false(cw_trace_denom_valid(good, CW_TRACE_DENOM_LEN - 1));
    assert_false(cw_trace_denom_valid(NULL, 0)); /* an empty str decoded by msgpack-c */
    /* every position: a lower-case or non-hex digit, or a changed prefix, is refused */
    for (size_t i = 0; i < CW_TRACE_DENOM_LEN; i++) {
        memcpy(bad, good, sizeof bad);
        bad[i] = i < 4 ? 'x' : 'a';
        assert_false(cw_trace_denom_valid(bad, CW_TRACE_DENOM_LEN));
        bad[i] = 'G';
        assert_false(cw_trace_denom_valid(bad, CW_TRACE_DENOM_LEN));
    }
}

static void test_every_key_layout(void **s)
{
    (void)s;
    char k[CW_KEY_MAX];
    cw_address a = addr_aa();
    assert_int_equal(cw_key_bank_balance(k, &a, "uatom"), CW_OK);
    assert_string_equal(k, "bank/balances/" HEX_AA "/uatom");
    assert_int_equal(cw_key_bank_supply(k, "uatom"), CW_OK);
    assert_string_equal(k, "bank/supply/uatom");
    cw_key_account(k, &a);
    assert_string_equal(k, "acct/" HEX_AA);
    assert_int_equal(cw_key_collateral_escrow(k, "channel-0", "stake"), CW_OK);
    assert_string_equal(k, "collateral/escrow/channel-0/stake");
    assert_int_equal(cw_key_collateral_total(k, "channel-1", "stake"), CW_OK);
    assert_string_equal(k, "collateral/total/channel-1/stake");
    assert_int_equal(cw_key_collateral_inflight(k, "channel-1", "stake"), CW_OK);
    assert_string_equal(k, "collateral/inflight/channel-1/stake");
    assert_int_equal(cw_key_collateral_pending(k, "channel-2", false, "stake"), CW_OK);
    assert_string_equal(k, "collateral/pending/channel-2/deposit/stake");
    assert_int_equal(cw_key_collateral_pending(k, "channel-2", true, "stake"), CW_OK);
    assert_string_equal(k, "collateral/pending/channel-2/release/stake");
    assert_int_equal(cw_key_collateral_position(k, &a, TRACE0), CW_OK);
    assert_string_equal(k, "collateral/positions/" HEX_AA "/" TRACE0);
    assert_int_equal(cw_key_collateral_releasing(k, &a, TRACE0), CW_OK);
    assert_string_equal(k, "collateral/releasing/" HEX_AA "/" TRACE0);
    assert_int_equal(cw_key_lend_collateral(k, TRACE0), CW_OK);
    assert_string_equal(k, "market/collateral/" TRACE0);
    assert_int_equal(cw_key_lend_debt(k, "uusd", &a), CW_OK);
    assert_string_equal(k, "market/uusd/debt/" HEX_AA);
    assert_int_equal(cw_key_lend_shares(k, "ueur", &a), CW_OK);
    assert_string_equal(k, "market/ueur/shares/" HEX_AA);
    assert_int_equal(cw_key_oracle_price(k, TRACE0), CW_OK);
    assert_string_equal(k, "oracle/price/" TRACE0);
    /* a market's asset is priced too (one market's price is the unit, DESIGN §8) */
    assert_int_equal(cw_key_oracle_price(k, "ueur"), CW_OK);
    assert_string_equal(k, "oracle/price/ueur");
    assert_int_equal(cw_key_lend_params(k, "uusd"), CW_OK);
    assert_string_equal(k, "market/uusd/params");
    assert_int_equal(cw_key_lend_state(k, "uusd"), CW_OK);
    assert_string_equal(k, "market/uusd/state");
    assert_int_equal(cw_key_lend_stats(k, "ueur"), CW_OK);
    assert_string_equal(k, "market/ueur/stats");
    assert_int_equal(cw_key_lend_flash(k, "ueur"), CW_OK);
    assert_string_equal(k, "market/ueur/flash");
    /* ICS-20 in flight: the denom path's hash, as in a voucher's name */
    assert_int_equal(cw_key_ics20_pending(k, "channel-3", "transfer/channel-1/uatom"), CW_OK);
    assert_string_equal(k, "transfer/pending/channel-3/"
                           "C4CFF46FD6DE35CA4CF4CE031E643C8FDC9BA4B99AE598E9B0ED98FE3A2319F9");
    assert_int_equal(cw_key_ics20_pending(k, "chan/nel", "stake"), CW_EINVAL);
    assert_string_equal(k, "");
    assert_int_equal(cw_key_ics20_pending(k, "channel-3", ""), CW_EINVAL);
    assert_string_equal(CW_KEY_LEND_MARKETS, "market/markets");
    assert_string_equal(CW_KEY_LEND_COLLATERALS, "market/collaterals");
    /* the asset is an identifier: no '/' that would let one market's key be another's */
    assert_int_equal(cw_key_lend_debt(k, "u/usd", &a), CW_EINVAL);
    assert_string_equal(k, "");
    assert_int_equal(cw_key_lend_params(k, ""), CW_EINVAL);
}

/* A '/' in an identifier would let one (channel, denom) pair build another's key. */
static void test_bad_identifiers_build_no_key(void **s)
{
    (void)s;
    char k[CW_KEY_MAX];
    cw_address a = addr_aa();
    char long_id[CW_ID_MAX + 2];
    memset(long_id, 'x', CW_ID_MAX + 1);
    long_id[CW_ID_MAX + 1] = '\0';
    const char *bad[] = {"", "a/b", "ch 0", long_id, "ibc/x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(k, 'z', sizeof k);
        assert_int_equal(cw_key_bank_balance(k, &a, bad[i]), CW_EINVAL);
        assert_string_equal(k, "");
        assert_int_equal(cw_key_bank_supply(k, bad[i]), CW_EINVAL);
        assert_int_equal(cw_key_collateral_escrow(k, bad[i], "stake"), CW_EINVAL);
        assert_int_equal(cw_key_collateral_escrow(k, "channel-0", bad[i]), CW_EINVAL);
        assert_int_equal(cw_key_collateral_total(k, bad[i], "stake"), CW_EINVAL);
        assert_int_equal(cw_key_collateral_inflight(k, "channel-0", bad[i]), CW_EINVAL);
        assert_int_equal(cw_key_collateral_pending(k, bad[i], false, "stake"), CW_EINVAL);
        assert_int_equal(cw_key_collateral_pending(k, "channel-0", true, bad[i]), CW_EINVAL);
        assert_int_equal(cw_key_collateral_position(k, &a, bad[i]), CW_EINVAL);
        assert_int_equal(cw_key_lend_collateral(k, bad[i]), CW_EINVAL);
        assert_int_equal(cw_key_oracle_price(k, bad[i]), CW_EINVAL);
        assert_string_equal(k, "");
        assert_int_equal(cw_key_lend_debt(k, bad[i], &a), CW_EINVAL);
        assert_int_equal(cw_key_lend_shares(k, bad[i], &a), CW_EINVAL);
        assert_int_equal(cw_key_lend_state(k, bad[i]), CW_EINVAL);
        assert_string_equal(k, "");
    }
    /* a trace denom is not an identifier, and an identifier not a trace denom; the bank
     * takes both (ICS-20 vouchers are trace denoms) */
    assert_int_equal(cw_key_collateral_escrow(k, "channel-0", TRACE0), CW_EINVAL);
    assert_int_equal(cw_key_bank_balance(k, &a, TRACE0), CW_OK);
    assert_int_equal(cw_key_bank_supply(k, TRACE0), CW_OK);
    assert_string_equal(k, "bank/supply/" TRACE0);
    assert_int_equal(cw_key_collateral_position(k, &a, "uatom"), CW_EINVAL);
}

/* The longest keys (two 64-byte identifiers) fit CW_KEY_MAX. */
static void test_longest_keys_fit(void **s)
{
    (void)s;
    char k[CW_KEY_MAX], id[CW_ID_MAX + 1];
    memset(id, 'c', CW_ID_MAX);
    id[CW_ID_MAX] = '\0';
    assert_int_equal(cw_key_collateral_inflight(k, id, id), CW_OK);
    assert_int_equal(strlen(k), strlen("collateral/inflight/") + 2 * CW_ID_MAX + 1);
    assert_true(strlen(k) < CW_KEY_MAX);
    assert_int_equal(cw_key_collateral_pending(k, id, true, id), CW_OK); /* the longest */
    assert_int_equal(strlen(k), strlen("collateral/pending//release/") + 2 * CW_ID_MAX);
    assert_true(strlen(k) < CW_KEY_MAX);
    cw_address a = addr_aa();
    assert_int_equal(cw_key_bank_balance(k, &a, id), CW_OK);
    assert_true(strlen(k) < CW_KEY_MAX);
    char t[CW_TRACE_DENOM_LEN + 1];
    assert_int_equal(cw_trace_denom(t, id, id), CW_OK);
    assert_int_equal(strlen(t), CW_TRACE_DENOM_LEN);
}

/* The value layouts: each pinned byte for byte, absent reads as 0, and anything else than
 * the layout is refused (never read as 0: a drifted value must not look like an empty one). */
static void test_value_layouts_round_trip_and_refuse_other_shapes(void **s)
{
    (void)s;
    char err[128];
    uint8_t b[8];
    uint64_t v = 99;
    cw_val_be64_enc(b, 0x0102030405060708ull);
    assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_int_equal(cw_val_be64_dec(&v, b, 8, err, sizeof err), CW_OK);
    assert_true(v == 0x0102030405060708ull);
    assert_int_equal(cw_val_be64_dec(&v, NULL, 0, err, sizeof err), CW_OK);
    assert_int_equal(v, 0);
    v = 99;
    assert_int_equal(cw_val_be64_dec(&v, b, 7, err, sizeof err), CW_EMALFORMED);
    assert_int_equal(v, 0);
    assert_non_null(strstr(err, "7 bytes, expected 8"));

    cw_enc e;
    cw_enc_init(&e);
    cw_val_u64_rec_enc(&e, 1000);
    assert_int_equal(cw_enc_len(&e), 4); /* [1000] = 91 cd 03 e8 */
    assert_memory_equal(cw_enc_data(&e), "\x91\xcd\x03\xe8", 4);
    assert_int_equal(cw_val_u64_rec_dec(&v, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err),
                     CW_OK);
    assert_int_equal(v, 1000);
    assert_int_equal(cw_val_u64_rec_dec(&v, NULL, 0, err, sizeof err), CW_OK);
    assert_int_equal(v, 0);
    /* a be64 where a record belongs, a record of two, a non-canonical integer */
    v = 5;
    assert_int_not_equal(cw_val_u64_rec_dec(&v, b, 8, err, sizeof err), CW_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cw_val_u64_rec_dec(&v, (const uint8_t *)"\x92\x01\x02", 3, err,
                                        sizeof err), CW_EMALFORMED);
    assert_int_not_equal(cw_val_u64_rec_dec(&v, (const uint8_t *)"\x91\xcc\x05", 3, err,
                                            sizeof err), CW_OK);
    cw_enc_free(&e);

    /* [count, amount] */
    uint64_t c = 9, am = 9;
    cw_enc_init(&e);
    cw_val_u64_pair_enc(&e, 3, 1000);
    assert_int_equal(cw_enc_len(&e), 5); /* 92 03 cd 03 e8 */
    assert_memory_equal(cw_enc_data(&e), "\x92\x03\xcd\x03\xe8", 5);
    assert_int_equal(cw_val_u64_pair_dec(&c, &am, cw_enc_data(&e), cw_enc_len(&e), err,
                                         sizeof err), CW_OK);
    assert_true(c == 3 && am == 1000);
    assert_int_equal(cw_val_u64_pair_dec(&c, &am, NULL, 0, err, sizeof err), CW_OK);
    assert_true(c == 0 && am == 0);
    c = am = 9; /* a one-field record, a non-canonical integer: refused, read as nothing */
    assert_int_equal(cw_val_u64_pair_dec(&c, &am, (const uint8_t *)"\x91\x01", 2, err,
                                         sizeof err), CW_EMALFORMED);
    assert_true(c == 0 && am == 0);
    assert_int_not_equal(cw_val_u64_pair_dec(&c, &am, (const uint8_t *)"\x92\x01\xcc\x05", 4,
                                             err, sizeof err), CW_OK);
    assert_int_not_equal(cw_val_u64_rec_dec(&v, cw_enc_data(&e), cw_enc_len(&e), err,
                                            sizeof err), CW_OK);
    cw_enc_free(&e);

    cw_u128 w = 7, big = ((cw_u128)1 << 100) + 3;
    cw_enc_init(&e);
    cw_val_u128_rec_enc(&e, big);
    assert_int_equal(cw_enc_len(&e), 19); /* 91 c4 10 + 16 bytes */
    assert_int_equal(cw_val_u128_rec_dec(&w, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err),
                     CW_OK);
    assert_true(w == big);
    assert_int_equal(cw_val_u64_rec_dec(&v, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err),
                     CW_EMALFORMED); /* the layouts are not interchangeable */
    cw_enc_free(&e);
}

/* market/collateral/{trace} and market/collaterals: pinned bytes, round trips, refusals. */
static void test_collateral_records(void **s)
{
    (void)s;
    char err[128];
    cw_val_collateral c = {.channel = "channel-0", .base_denom = "stake", .ltv_bps = 5000,
                           .lt_bps = 7500, .bonus_bps = 500},
                      got;
    cw_enc e;
    cw_enc_init(&e);
    cw_val_collateral_enc(&e, &c);
    /* 95 a9 "channel-0" a5 "stake" cd 1388 cd 1d4c cd 01f4 */
    assert_int_equal(cw_enc_len(&e), 1 + 10 + 6 + 3 * 3);
    assert_memory_equal(cw_enc_data(&e), "\x95\xa9" "channel-0" "\xa5" "stake"
                        "\xcd\x13\x88\xcd\x1d\x4c\xcd\x01\xf4", 26);
    assert_int_equal(cw_val_collateral_dec(&got, cw_enc_data(&e), cw_enc_len(&e), err,
                                           sizeof err), CW_OK);
    assert_string_equal(got.channel, "channel-0");
    assert_string_equal(got.base_denom, "stake");
    assert_true(got.ltv_bps == 5000 && got.lt_bps == 7500 && got.bonus_bps == 500);
    cw_enc_free(&e);
    assert_int_equal(cw_val_collateral_dec(&got, NULL, 0, err, sizeof err), CW_ENOTFOUND);
    c.ltv_bps = 10001; /* more than 100% */
    cw_enc_init(&e);
    cw_val_collateral_enc(&e, &c);
    assert_int_not_equal(cw_val_collateral_dec(&got, cw_enc_data(&e), cw_enc_len(&e), err,
                                               sizeof err), CW_OK);
    assert_string_equal(got.channel, "");
    cw_enc_free(&e);

    char t[3][CW_TRACE_DENOM_LEN + 1];
    size_t n = 9;
    const char *list[2] = {TRACE0, TRACE0};
    cw_enc_init(&e);
    cw_val_trace_list_enc(&e, list, 2);
    assert_int_equal(cw_val_trace_list_dec(t, 3, &n, cw_enc_data(&e), cw_enc_len(&e), err,
                                           sizeof err), CW_OK);
    assert_int_equal(n, 2);
    assert_string_equal(t[1], TRACE0);
    assert_int_not_equal(cw_val_trace_list_dec(t, 1, &n, cw_enc_data(&e), cw_enc_len(&e),
                                               err, sizeof err), CW_OK); /* more than max */
    assert_int_equal(n, 0);
    cw_enc_free(&e);
    assert_int_equal(cw_val_trace_list_dec(t, 3, &n, NULL, 0, err, sizeof err), CW_OK);
    assert_int_equal(n, 0);
    /* an entry that is not a trace denom */
    assert_int_equal(cw_val_trace_list_dec(t, 3, &n, (const uint8_t *)"\x91\xa5stake", 7, err,
                                           sizeof err), CW_EMALFORMED);
    assert_int_equal(n, 0);
}

static void test_borrower_index_key_and_parse(void **s)
{
    (void)s;
    char k[CW_KEY_MAX];
    cw_address a = addr_aa(), b;
    cw_key_lend_borrower(k, &a);
    assert_string_equal(k, "market/borrowers/" HEX_AA);
    assert_string_equal(CW_KEY_LEND_BORROWERS_PREFIX, "market/borrowers/");
    assert_string_equal(CW_KEY_LEND_BORROWER_COUNT, "market/borrower_count");
    assert_true(cw_key_lend_borrower_parse(&b, (const uint8_t *)k, strlen(k)));
    assert_memory_equal(a.b, b.b, 20);
    /* anything else is not an index key: other prefixes, lengths, upper case, the count */
    static const char *const bad[] = {
        "market/debt/" HEX_AA, "market/borrowers/" HEX_AA "a", "market/borrowers/aa",
        "market/borrowers/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "market/borrowers/gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "market/borrower_count",
        "market/borrowers/"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(b.b, 1, 20);
        assert_false(cw_key_lend_borrower_parse(&b, (const uint8_t *)bad[i], strlen(bad[i])));
        static const uint8_t zero[20];
        assert_memory_equal(b.b, zero, 20);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_denom_is_ics20_hash_upper_hex),
        cmocka_unit_test(test_borrower_index_key_and_parse),
        cmocka_unit_test(test_trace_denom_valid_shape),
        cmocka_unit_test(test_every_key_layout),
        cmocka_unit_test(test_bad_identifiers_build_no_key),
        cmocka_unit_test(test_longest_keys_fit),
        cmocka_unit_test(test_value_layouts_round_trip_and_refuse_other_shapes),
        cmocka_unit_test(test_collateral_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
