/* Bank: balances, supply, and the failures that must change nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <stdio.h>

#include "causeway/bank.h"
#include "causeway/hex.h"
#include "causeway/keys.h"

static cw_kv_cache *g_store;
static cw_kv g_kv;
static cw_address A, B;

static int setup(void **s)
{
    (void)s;
    memset(A.b, 0xaa, 20);
    memset(B.b, 0xbb, 20);
    if (cw_kv_cache_create(&g_store, NULL))
        return -1;
    g_kv = cw_kv_cache_kv(g_store);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    cw_kv_cache_destroy(g_store);
    return 0;
}

static uint64_t bal(const cw_address *a, const char *denom)
{
    uint64_t v;
    assert_int_equal(cw_bank_balance(&g_kv, &v, a, denom), CW_OK);
    return v;
}

static void test_mint_send_burn_keep_supply(void **s)
{
    (void)s;
    char err[256];
    uint64_t sup;
    assert_int_equal(cw_bank_mint(&g_kv, &A, "uatom", 100, err, sizeof err), CW_OK);
    assert_int_equal(cw_bank_send(&g_kv, &A, &B, "uatom", 30, err, sizeof err), CW_OK);
    assert_int_equal(bal(&A, "uatom"), 70);
    assert_int_equal(bal(&B, "uatom"), 30);
    assert_int_equal(cw_bank_burn(&g_kv, &B, "uatom", 30, err, sizeof err), CW_OK);
    assert_int_equal(bal(&B, "uatom"), 0);
    assert_int_equal(cw_bank_supply(&g_kv, &sup, "uatom"), CW_OK);
    assert_int_equal(sup, 70);
    /* a zero balance is deleted, not stored */
    const uint8_t *v;
    size_t n;
    char key[CW_KEY_MAX];
    assert_int_equal(cw_key_bank_balance(key, &B, "uatom"), CW_OK);
    assert_int_equal(cw_kv_get_s(&g_kv, key, &v, &n), CW_ENOTFOUND);
    assert_int_equal(cw_bank_send(&g_kv, &A, &A, "uatom", 70, err, sizeof err), CW_OK);
    assert_int_equal(bal(&A, "uatom"), 70); /* to oneself: unchanged */
}

static void test_overspend_rejected_without_change(void **s)
{
    (void)s;
    char err[256];
    uint64_t before = bal(&A, "uatom");
    assert_int_equal(cw_bank_send(&g_kv, &A, &B, "uatom", before + 1, err, sizeof err),
                     CW_EINSUFFICIENT);
    assert_non_null(strstr(err, "insufficient funds"));
    assert_int_equal(bal(&A, "uatom"), before);
    assert_int_equal(cw_bank_burn(&g_kv, &B, "uatom", 1, err, sizeof err), CW_EINSUFFICIENT);
}

static void test_overflow_rejected_without_change(void **s)
{
    (void)s;
    char err[256];
    assert_int_equal(cw_bank_mint(&g_kv, &B, "big", UINT64_MAX, err, sizeof err), CW_OK);
    assert_int_equal(cw_bank_mint(&g_kv, &A, "big", 1, err, sizeof err), CW_EOVERFLOW);
    assert_int_equal(bal(&A, "big"), 0);
    assert_int_equal(cw_bank_send(&g_kv, &B, &A, "big", 5, err, sizeof err), CW_OK);
    /* B -> A fine; now A -> B would overflow B? B has max-5, +5 = max: fine; +6 is not */
    assert_int_equal(cw_bank_mint(&g_kv, &A, "big2", UINT64_MAX, err, sizeof err), CW_OK);
    assert_int_equal(cw_bank_mint(&g_kv, &B, "big2", 1, err, sizeof err), CW_EOVERFLOW);
}

static void test_zero_amount_and_bad_denom_rejected(void **s)
{
    (void)s;
    char err[256];
    assert_int_equal(cw_bank_send(&g_kv, &A, &B, "uatom", 0, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "greater than zero"));
    assert_int_equal(cw_bank_mint(&g_kv, &A, "ibc/x", 1, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "denom"));
    uint64_t v;
    assert_int_equal(cw_bank_balance(&g_kv, &v, &A, ""), CW_EINVAL);
}

static void test_module_address_is_stable_and_distinct(void **s)
{
    (void)s;
    cw_address x, y, z;
    cw_module_address(&x, "escrow/collateral/channel-0");
    cw_module_address(&y, "escrow/collateral/channel-0");
    cw_module_address(&z, "escrow/collateral/channel-1");
    assert_memory_equal(x.b, y.b, 20);
    assert_memory_not_equal(x.b, z.b, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mint_send_burn_keep_supply),
        cmocka_unit_test(test_overspend_rejected_without_change),
        cmocka_unit_test(test_overflow_rejected_without_change),
        cmocka_unit_test(test_zero_amount_and_bad_denom_rejected),
        cmocka_unit_test(test_module_address_is_stable_and_distinct),
    };
    return cmocka_run_group_tests_name("bank", tests, setup, teardown);
}
