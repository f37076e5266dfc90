/* Transactions: sign → decode → verify round trip, and the attacks the envelope stops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/tx.h"

static cw_seckey g_sk;
static cw_pubkey32 g_pk;

static int setup(void **s)
{
    (void)s;
    return cw_key_generate(&g_sk, &g_pk);
}

static cw_bytes send_msg(cw_enc *e)
{
    cw_msg_bank_send m = {.denom = "uatom", .amount = 42};
    memcpy(m.to.b, "01234567890123456789", 20);
    cw_enc_init(e);
    cw_msg_bank_send_enc(e, &m);
    return (cw_bytes){cw_enc_data(e), cw_enc_len(e)};
}

static void test_signed_tx_round_trips_and_verifies(void **s)
{
    (void)s;
    cw_enc e;
    cw_bytes m = send_msg(&e);
    uint8_t *buf;
    size_t len;
    char err[256];
    assert_int_equal(cw_tx_sign(&buf, &len, "alpha", &g_sk, 7, 0, &m, 1, "hi", err, sizeof err),
                     CW_OK);
    cw_tx tx;
    assert_int_equal(cw_tx_decode(&tx, buf, len, err, sizeof err), CW_OK);
    assert_string_equal(tx.chain_id, "alpha");
    assert_memory_equal(tx.signer.b, g_pk.b, 32);
    assert_int_equal(tx.nonce, 7);
    assert_int_equal(tx.n_msgs, 1);
    assert_int_equal(tx.memo.len, 2);
    char type[65];
    const msgpack_object *body;
    cw_tx_msg(&tx, 0, type, &body);
    assert_string_equal(type, CW_MSG_BANK_SEND);
    assert_int_equal(body->via.array.size, 3);
    assert_int_equal(cw_tx_verify_signature(&tx), CW_OK);
    uint8_t h[32];
    cw_sha256(h, buf, len);
    assert_memory_equal(tx.hash, h, 32);
    cw_tx_free(&tx);
    free(buf);
    cw_enc_free(&e);
}

static void test_any_changed_byte_fails_decode_or_signature(void **s)
{
    (void)s;
    cw_enc e;
    cw_bytes m = send_msg(&e);
    uint8_t *buf;
    size_t len;
    char err[256];
    assert_int_equal(cw_tx_sign(&buf, &len, "alpha", &g_sk, 1, 0, &m, 1, "", err, sizeof err),
                     CW_OK);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            buf[i] ^= (uint8_t)(1u << bit);
            cw_tx tx;
            int rc = cw_tx_decode(&tx, buf, len, err, sizeof err);
            if (rc == CW_OK)
                assert_int_not_equal(cw_tx_verify_signature(&tx), CW_OK);
            cw_tx_free(&tx);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(buf);
    cw_enc_free(&e);
}

static void test_signature_from_another_chain_id_does_not_verify(void **s)
{
    (void)s;
    /* Same key, nonce and msgs signed for "beta", with the chain id swapped to "alpha"
     * afterwards: the signature covers the chain id, so it fails. */
    cw_enc e;
    cw_bytes m = send_msg(&e);
    uint8_t *buf;
    size_t len;
    char err[256];
    assert_int_equal(cw_tx_sign(&buf, &len, "betaa", &g_sk, 1, 0, &m, 1, "", err, sizeof err),
                     CW_OK);
    uint8_t *p = memmem(buf, len, "betaa", 5);
    assert_non_null(p);
    memcpy(p, "alpha", 5);
    cw_tx tx;
    assert_int_equal(cw_tx_decode(&tx, buf, len, err, sizeof err), CW_OK);
    assert_string_equal(tx.chain_id, "alpha");
    assert_int_equal(cw_tx_verify_signature(&tx), CW_EBADSIG);
    cw_tx_free(&tx);
    free(buf);
    cw_enc_free(&e);
}

static void test_malformed_envelopes_named(void **s)
{
    (void)s;
    char err[256];
    cw_tx tx;
    /* no msgs */
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    cw_enc_array(&e, 6);
    cw_enc_cstr(&e, "alpha");
    cw_enc_bin(&e, g_pk.b, 32);
    cw_enc_u64(&e, 0);
    cw_enc_u64(&e, 100000);
    cw_enc_array(&e, 0);
    cw_enc_cstr(&e, "");
    cw_enc_bin(&e, "0123456789012345678901234567890123456789012345678901234567890123", 64);
    assert_int_equal(cw_tx_decode(&tx, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err),
                     CW_EINVAL);
    assert_non_null(strstr(err, "tx.body.msgs"));
    cw_tx_free(&tx);
    cw_enc_free(&e);
    /* msg type with '/' (not an identifier) */
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    cw_enc_array(&e, 6);
    cw_enc_cstr(&e, "alpha");
    cw_enc_bin(&e, g_pk.b, 32);
    cw_enc_u64(&e, 0);
    cw_enc_u64(&e, 100000);
    cw_enc_array(&e, 1);
    cw_enc_array(&e, 2);
    cw_enc_cstr(&e, "bank/send");
    cw_enc_u64(&e, 5);
    cw_enc_cstr(&e, "");
    cw_enc_bin(&e, "0123456789012345678901234567890123456789012345678901234567890123", 64);
    assert_int_equal(cw_tx_decode(&tx, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err),
                     CW_EINVAL);
    assert_non_null(strstr(err, "tx.body.msgs[0].type"));
    cw_tx_free(&tx);
    cw_enc_free(&e);
    /* signature of 63 bytes */
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    cw_enc_array(&e, 6);
    cw_enc_cstr(&e, "alpha");
    cw_enc_bin(&e, g_pk.b, 32);
    cw_enc_u64(&e, 0);
    cw_enc_u64(&e, 100000);
    cw_enc_array(&e, 0);
    cw_enc_cstr(&e, "");
    cw_enc_bin(&e, "012345678901234567890123456789012345678901234567890123456789012", 63);
    assert_int_equal(cw_tx_decode(&tx, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err),
                     CW_EMALFORMED);
    assert_non_null(strstr(err, "tx.signature"));
    cw_tx_free(&tx);
    cw_enc_free(&e);
}

/* The gas limit is a signed field of the body: 0 and values over CW_GAS_TX_MAX are refused by
 * name, and changing it after signing breaks the signature. */
static void test_gas_limit_is_signed_and_bounded(void **s)
{
    (void)s;
    char err[256];
    cw_enc me;
    cw_bytes m = send_msg(&me);
    uint8_t *buf;
    size_t len;
    cw_tx tx;
    assert_int_equal(cw_tx_sign(&buf, &len, "alpha", &g_sk, 1, 123456, &m, 1, "", err,
                                sizeof err), CW_OK);
    assert_int_equal(cw_tx_decode(&tx, buf, len, err, sizeof err), CW_OK);
    assert_int_equal(tx.gas_limit, 123456);
    assert_int_equal(cw_tx_verify_signature(&tx), CW_OK);
    cw_tx_free(&tx);
    /* 123456 = 0xce 00 01 e2 40 (uint32): raise it to 0x0001e241 in place */
    uint8_t *p = memmem(buf, len, "\xce\x00\x01\xe2\x40", 5);
    assert_non_null(p);
    p[4] = 0x41;
    assert_int_equal(cw_tx_decode(&tx, buf, len, err, sizeof err), CW_OK);
    assert_int_equal(tx.gas_limit, 123457);
    assert_int_equal(cw_tx_verify_signature(&tx), CW_EBADSIG);
    cw_tx_free(&tx);
    free(buf);
    /* gas 0 on the wire: refused, naming the field */
    for (int bad = 0; bad < 2; bad++) {
        cw_enc e;
        cw_enc_init(&e);
        cw_enc_array(&e, 2);
        cw_enc_array(&e, 6);
        cw_enc_cstr(&e, "alpha");
        cw_enc_bin(&e, g_pk.b, 32);
        cw_enc_u64(&e, 0);
        cw_enc_u64(&e, bad ? CW_GAS_TX_MAX + 1 : 0);
        cw_enc_array(&e, 1);
        cw_enc_raw(&e, m.p, m.len);
        cw_enc_cstr(&e, "");
        cw_enc_bin(&e, "0123456789012345678901234567890123456789012345678901234567890123", 64);
        assert_int_equal(cw_tx_decode(&tx, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err),
                         CW_EINVAL);
        assert_non_null(strstr(err, "tx.body.gas_limit"));
        cw_tx_free(&tx);
        cw_enc_free(&e);
    }
    /* signing with a limit over the bound is refused; 0 asks for the estimate */
    assert_int_equal(cw_tx_sign(&buf, &len, "alpha", &g_sk, 1, CW_GAS_TX_MAX + 1, &m, 1, "", err,
                                sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "gas limit"));
    assert_int_equal(cw_tx_sign(&buf, &len, "alpha", &g_sk, 1, 0, &m, 1, "", err, sizeof err),
                     CW_OK);
    assert_int_equal(cw_tx_decode(&tx, buf, len, err, sizeof err), CW_OK);
    assert_true(tx.gas_limit >= cw_gas_tx_intrinsic(len, 1));
    cw_tx_free(&tx);
    free(buf);
    cw_enc_free(&me);
}

/* A tx packed one msgpack object per byte (a msg body of nils) is refused by the pre-scan,
 * before anything is allocated, naming the count; real msgs are far below the bound. */
static void test_dense_tx_refused_before_decoding(void **s)
{
    (void)s;
    char err[256];
    cw_tx tx;
    for (int dense = 0; dense < 2; dense++) {
        const uint32_t n = dense ? 100000 : 1000;
        cw_enc e;
        cw_enc_init(&e);
        cw_enc_array(&e, 2);
        cw_enc_array(&e, 6);
        cw_enc_cstr(&e, "alpha");
        cw_enc_bin(&e, g_pk.b, 32);
        cw_enc_u64(&e, 0);
        cw_enc_u64(&e, 100000);
        cw_enc_array(&e, 1);
        cw_enc_array(&e, 2);
        cw_enc_cstr(&e, "bank.send");
        cw_enc_array(&e, 1);
        if (dense) {
            cw_enc_array(&e, n);
            for (uint32_t i = 0; i < n; i++)
                cw_enc_nil(&e);
        } else {
            uint8_t blob[1000] = {0};
            cw_enc_bin(&e, blob, n); /* the same size as one bin: a handful of objects */
        }
        cw_enc_cstr(&e, "");
        cw_enc_bin(&e, "0123456789012345678901234567890123456789012345678901234567890123", 64);
        int rc = cw_tx_decode(&tx, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err);
        if (dense) {
            assert_int_equal(rc, CW_ETOOBIG);
            assert_non_null(strstr(err, "objects"));
        } else {
            assert_int_equal(rc, CW_OK);
        }
        cw_tx_free(&tx);
        cw_enc_free(&e);
    }
    /* the densest real tx: CW_TX_MAX_MSGS bank.sends of 1 unit of a one-letter denom */
    cw_enc me[CW_TX_MAX_MSGS];
    cw_bytes m[CW_TX_MAX_MSGS];
    for (int i = 0; i < CW_TX_MAX_MSGS; i++) {
        cw_enc_init(&me[i]);
        cw_msg_bank_send_enc(&me[i], &(cw_msg_bank_send){.denom = "a", .amount = 1});
        m[i] = (cw_bytes){cw_enc_data(&me[i]), cw_enc_len(&me[i])};
    }
    uint8_t *buf;
    size_t len;
    assert_int_equal(cw_tx_sign(&buf, &len, "a", &g_sk, 0, 1, m, CW_TX_MAX_MSGS, "", err,
                                sizeof err), CW_OK);
    assert_int_equal(cw_tx_decode(&tx, buf, len, err, sizeof err), CW_OK);
    cw_tx_free(&tx);
    free(buf);
    for (int i = 0; i < CW_TX_MAX_MSGS; i++)
        cw_enc_free(&me[i]);
}

static void test_sign_rejects_bad_arguments(void **s)
{
    (void)s;
    cw_enc e;
    cw_bytes m = send_msg(&e);
    uint8_t *buf;
    size_t len;
    char err[256], memo[300];
    memset(memo, 'm', sizeof memo - 1);
    memo[sizeof memo - 1] = '\0';
    assert_int_equal(cw_tx_sign(&buf, &len, "al/pha", &g_sk, 1, 0, &m, 1, "", err, sizeof err),
                     CW_EINVAL);
    assert_int_equal(cw_tx_sign(&buf, &len, "alpha", &g_sk, 1, 0, &m, 0, "", err, sizeof err),
                     CW_EINVAL);
    assert_int_equal(cw_tx_sign(&buf, &len, "alpha", &g_sk, 1, 0, &m, 1, memo, err, sizeof err),
                     CW_EINVAL);
    assert_non_null(strstr(err, "memo"));
    cw_seckey zero = {{0}};
    assert_int_equal(cw_tx_sign(&buf, &len, "alpha", &zero, 1, 0, &m, 1, "", err, sizeof err),
                     CW_EINVAL);
    assert_null(buf);
    cw_enc_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_tx_round_trips_and_verifies),
        cmocka_unit_test(test_any_changed_byte_fails_decode_or_signature),
        cmocka_unit_test(test_signature_from_another_chain_id_does_not_verify),
        cmocka_unit_test(test_malformed_envelopes_named),
        cmocka_unit_test(test_gas_limit_is_signed_and_bounded),
        cmocka_unit_test(test_gas_limit_is_signed_and_bounded),
        cmocka_unit_test(test_dense_tx_refused_before_decoding),
        cmocka_unit_test(test_sign_rejects_bad_arguments),
    };
    return cmocka_run_group_tests_name("tx", tests, setup, NULL);
}
