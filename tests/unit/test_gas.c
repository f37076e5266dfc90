/* Gas (causeway/gas.h): the meter's rules, the metered store's charges, the proof bound and the
 * clients' estimate. The chain-level rules (a tx over its limit fails without writes, the
 * mempool's admission, the block's gas) are in test_node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/gas.h"
#include "causeway/tx.h"

/* A charge that would pass the limit is refused whole, names what ran out, and every later
 * charge fails too; refunds give back at most what was used. */
static void test_meter_refuses_whole_charges_and_stays_out(void **s)
{
    (void)s;
    cw_gas_meter m;
    char err[256];
    cw_gas_meter_init(&m, 1000);
    assert_int_equal(cw_gas_charge(&m, 600, "a"), CW_OK);
    assert_int_equal(cw_gas_charge(&m, 400, "b"), CW_OK); /* exactly the limit */
    assert_int_equal(m.used, 1000);
    cw_gas_refund(&m, 300);
    assert_int_equal(m.used, 700);
    assert_int_equal(cw_gas_charge(&m, 301, "store write"), CW_EOUTOFGAS);
    assert_int_equal(m.used, 700); /* nothing of it charged */
    assert_int_equal(cw_gas_charge(&m, 1, "c"), CW_EOUTOFGAS); /* stays out */
    assert_int_equal(cw_gas_explain(&m, err, sizeof err), CW_EOUTOFGAS);
    assert_string_equal(err, "out of gas: store write needs 301, 700 of limit 1000 used");
    cw_gas_refund(&m, 5000);
    assert_int_equal(m.used, 0);
    /* no overflow on a huge charge */
    cw_gas_meter_init(&m, UINT64_MAX - 1);
    assert_int_equal(cw_gas_charge(&m, 10, "a"), CW_OK);
    assert_int_equal(cw_gas_charge(&m, UINT64_MAX - 5, "b"), CW_EOUTOFGAS);
}

/* Each store operation charges its documented cost; one that runs out never reaches the store
 * below. */
static void test_metered_store_charges_and_stops_before_the_store(void **s)
{
    (void)s;
    cw_kv_cache *c;
    assert_int_equal(cw_kv_cache_create(&c, NULL), CW_OK);
    cw_kv base = cw_kv_cache_kv(c);
    cw_gas_meter m;
    cw_gas_meter_init(&m, 100000);
    cw_gas_kv g = {&base, &m};
    cw_kv kv = cw_gas_kv_view(&g);
    const uint8_t *v;
    size_t n;

    assert_int_equal(cw_kv_set_s(&kv, "k1", "value", 5), CW_OK);
    assert_int_equal(m.used, CW_GAS_WRITE_FLAT + CW_GAS_WRITE_BYTE * (2 + 5));
    uint64_t u = m.used;
    assert_int_equal(cw_kv_get_s(&kv, "k1", &v, &n), CW_OK);
    assert_int_equal(m.used - u, CW_GAS_READ_FLAT + CW_GAS_READ_BYTE * (2 + 5));
    u = m.used;
    assert_int_equal(cw_kv_get_s(&kv, "absent", &v, &n), CW_ENOTFOUND);
    assert_int_equal(m.used - u, CW_GAS_READ_FLAT + CW_GAS_READ_BYTE * 6);
    u = m.used;
    assert_int_equal(cw_kv_del_s(&kv, "k1"), CW_OK);
    assert_int_equal(m.used - u, CW_GAS_WRITE_FLAT + CW_GAS_WRITE_BYTE * 2);

    /* out of gas: the write is refused and the store below never sees it */
    cw_gas_meter_init(&m, CW_GAS_WRITE_FLAT);
    assert_int_equal(cw_kv_set_s(&kv, "k2", "v", 1), CW_EOUTOFGAS);
    assert_int_equal(cw_kv_get_s(&base, "k2", &v, &n), CW_ENOTFOUND);
    assert_int_equal(m.used, 0);
    assert_int_equal(cw_kv_get_s(&kv, "k1", &v, &n), CW_EOUTOFGAS); /* stays out */
    cw_kv_cache_destroy(c);
}

/* The proof charge grows with the proof's bytes and covers at least one hash per 33 bytes. */
static void test_proof_bound_grows_with_its_bytes(void **s)
{
    (void)s;
    assert_true(cw_gas_proof(0, 0) >= 4 * CW_GAS_HASH_FLAT);
    assert_true(cw_gas_proof(3300, 0) >= 100 * cw_gas_hash(32) + 3300 * CW_GAS_HASH_BYTE);
    assert_true(cw_gas_proof(3300, 100) > cw_gas_proof(3300, 0));
    assert_true(cw_gas_proof(3333, 0) > cw_gas_proof(3300, 0));
}

/* The estimate: at least the intrinsic gas; msgs that carry commits get their per-byte
 * allowance; capped at the block's gas; an unreadable msg gets the largest allowance. */
static void test_estimate(void **s)
{
    (void)s;
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_bank_send_enc(&e, &(cw_msg_bank_send){.denom = "uatom", .amount = 1});
    cw_bytes send = {cw_enc_data(&e), cw_enc_len(&e)};
    uint64_t one = cw_gas_estimate(&send, 1, 200, 0);
    assert_true(one >= cw_gas_tx_intrinsic(200, 1));
    cw_bytes two[2] = {send, send};
    assert_true(cw_gas_estimate(two, 2, 300, 0) > one);
    assert_int_equal(cw_gas_estimate(two, 2, 300, 50000), 50000);
    /* a Msg [type, body] of the update_client type, padded: 80 gas per byte */
    uint8_t upd[600];
    memset(upd, 0, sizeof upd);
    cw_enc u;
    cw_enc_init(&u);
    cw_msg_begin(&u, CW_MSG_IBC_UPDATE_CLIENT, 1);
    cw_enc_bin(&u, upd, sizeof upd);
    cw_bytes ub = {cw_enc_data(&u), cw_enc_len(&u)};
    assert_true(cw_gas_estimate(&ub, 1, 700, 0) >= 80 * ub.len);
    cw_bytes junk = {(const uint8_t *)"\xc1", 1};
    assert_true(cw_gas_estimate(&junk, 1, 100, 0) > cw_gas_tx_intrinsic(100, 1));
    cw_enc_free(&u);
    cw_enc_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meter_refuses_whole_charges_and_stays_out),
        cmocka_unit_test(test_metered_store_charges_and_stops_before_the_store),
        cmocka_unit_test(test_proof_bound_grows_with_its_bytes),
        cmocka_unit_test(test_estimate),
    };
    return cmocka_run_group_tests_name("gas", tests, NULL, NULL);
}
