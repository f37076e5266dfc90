/* Tx execution: nonces (replay), chain id, atomicity over msgs, events dropped on failure;
 * the router decoding each msg through the contract. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../chain/app.h"
#include "causeway/app_msgs.h"
#include "causeway/bank.h"
#include "causeway/event.h"
#include "causeway/hex.h"

static cw_seckey g_sk;
static cw_pubkey32 g_pk;
static cw_address g_addr, g_bob;

static int setup(void **s)
{
    (void)s;
    memset(g_bob.b, 0xb0, 20);
    int rc = cw_key_generate(&g_sk, &g_pk);
    cw_address_of(&g_addr, &g_pk);
    return rc;
}

struct world {
    cw_kv_cache *store;
    cw_kv kv;
    cw_app *app;
    cw_events ev;
};

static void world_init(struct world *w)
{
    char err[128];
    assert_int_equal(cw_kv_cache_create(&w->store, NULL), CW_OK);
    w->kv = cw_kv_cache_kv(w->store);
    assert_int_equal(cw_app_create(&w->app, "alpha"), CW_OK);
    assert_int_equal(cw_app_register_bank(w->app), CW_OK);
    assert_int_equal(cw_bank_mint(&w->kv, &g_addr, "uatom", 100, err, sizeof err), CW_OK);
    cw_events_init(&w->ev);
}

static void world_free(struct world *w)
{
    cw_events_free(&w->ev);
    cw_app_destroy(w->app);
    cw_kv_cache_destroy(w->store);
}

static cw_bytes send_msg(cw_enc *e, const cw_address *to, uint64_t amount)
{
    cw_enc_init(e);
    cw_msg_bank_send_enc(e, &(cw_msg_bank_send){.to = *to, .denom = "uatom", .amount = amount});
    return (cw_bytes){cw_enc_data(e), cw_enc_len(e)};
}

/* Sign a tx of the given msgs and execute it; returns cw_app_deliver's code. */
static int run(struct world *w, const char *chain, uint64_t nonce, const cw_bytes *msgs,
               size_t n, cw_tx_result *res)
{
    uint8_t *buf;
    size_t len;
    char err[256];
    cw_tx tx;
    assert_int_equal(cw_tx_sign(&buf, &len, chain, &g_sk, nonce, 0, msgs, n, "", err, sizeof err),
                     CW_OK);
    assert_int_equal(cw_tx_decode(&tx, buf, len, err, sizeof err), CW_OK);
    assert_int_equal(cw_tx_verify_signature(&tx), CW_OK);
    int rc = cw_app_deliver(w->app, &w->kv, &w->ev, &tx, 5, 1000, res);
    cw_tx_free(&tx);
    free(buf);
    return rc;
}

static uint64_t bal(struct world *w, const cw_address *a)
{
    uint64_t v;
    assert_int_equal(cw_bank_balance(&w->kv, &v, a, "uatom"), CW_OK);
    return v;
}

static void test_send_succeeds_and_emits_transfer_event(void **s)
{
    (void)s;
    struct world w;
    world_init(&w);
    cw_enc e;
    cw_bytes m = send_msg(&e, &g_bob, 30);
    cw_tx_result r;
    assert_int_equal(run(&w, "alpha", 0, &m, 1, &r), CW_OK);
    assert_int_equal(r.code, CW_OK);
    assert_false(r.has_failed_msg);
    assert_int_equal(bal(&w, &g_bob), 30);
    assert_int_equal(w.ev.count, 1);
    /* the transfer event, read as a client reads it */
    assert_int_equal(cw_events_count(r.events, r.events_len, CW_EV_TRANSFER), 1);
    cw_dec d;
    const msgpack_object *root;
    char err[256], got[CW_ID_MAX + 1], want[41];
    uint64_t amount = 0;
    uint32_t pos = 0;
    assert_int_equal(cw_dec_open(&d, &root, r.events, r.events_len, 1 << 20, err, sizeof err),
                     CW_OK);
    const msgpack_object *a = cw_events_find(root, CW_EV_TRANSFER, &pos);
    assert_non_null(a);
    cw_hex_encode(want, sizeof want, g_bob.b, 20);
    assert_true(cw_event_get_str(a, CW_ATTR_RECIPIENT, got));
    assert_string_equal(got, want);
    assert_true(cw_event_get_str(a, CW_ATTR_DENOM, got));
    assert_string_equal(got, "uatom");
    assert_true(cw_event_get_u64(a, CW_ATTR_AMOUNT, &amount));
    assert_int_equal(amount, 30);
    assert_null(cw_events_find(root, CW_EV_TRANSFER, &pos));
    cw_dec_close(&d);
    cw_tx_result_free(&r);
    cw_enc_free(&e);
    world_free(&w);
}

static void test_replayed_nonce_is_not_executable(void **s)
{
    (void)s;
    struct world w;
    world_init(&w);
    cw_enc e;
    cw_bytes m = send_msg(&e, &g_bob, 10);
    cw_tx_result r;
    assert_int_equal(run(&w, "alpha", 0, &m, 1, &r), CW_OK);
    cw_tx_result_free(&r);
    assert_int_equal(run(&w, "alpha", 0, &m, 1, &r), CW_ENONCE); /* the same tx again */
    assert_non_null(strstr(r.log, "nonce 0, expected 1"));
    assert_int_equal(run(&w, "alpha", 5, &m, 1, &r), CW_ENONCE); /* a gap */
    assert_int_equal(bal(&w, &g_bob), 10);
    uint64_t n;
    assert_int_equal(cw_app_account_nonce(&w.kv, &g_addr, &n), CW_OK);
    assert_int_equal(n, 1);
    cw_enc_free(&e);
    world_free(&w);
}

static void test_tx_for_another_chain_is_not_executable(void **s)
{
    (void)s;
    struct world w;
    world_init(&w);
    cw_enc e;
    cw_bytes m = send_msg(&e, &g_bob, 10);
    cw_tx_result r;
    assert_int_equal(run(&w, "beta", 0, &m, 1, &r), CW_EINVAL);
    assert_non_null(strstr(r.log, "chain 'beta'"));
    assert_int_equal(bal(&w, &g_bob), 0);
    uint64_t n;
    assert_int_equal(cw_app_account_nonce(&w.kv, &g_addr, &n), CW_OK);
    assert_int_equal(n, 0);
    cw_enc_free(&e);
    world_free(&w);
}

static void test_failing_second_msg_undoes_first_and_drops_events_but_uses_nonce(void **s)
{
    (void)s;
    struct world w;
    world_init(&w);
    cw_enc e1, e2;
    cw_bytes m[2] = {send_msg(&e1, &g_bob, 60), send_msg(&e2, &g_bob, 60)}; /* 120 > 100 */
    cw_tx_result r;
    assert_int_equal(run(&w, "alpha", 0, m, 2, &r), CW_OK);
    assert_int_equal(r.code, CW_EINSUFFICIENT);
    assert_true(r.has_failed_msg);
    assert_int_equal(r.failed_msg, 1);
    assert_non_null(strstr(r.log, "bank.send: insufficient funds"));
    assert_int_equal(bal(&w, &g_bob), 0);
    assert_int_equal(bal(&w, &g_addr), 100);
    assert_int_equal(w.ev.count, 0);
    cw_tx_result_free(&r);
    /* the failed tx consumed nonce 0: it can never be replayed once funds arrive */
    uint64_t n;
    assert_int_equal(cw_app_account_nonce(&w.kv, &g_addr, &n), CW_OK);
    assert_int_equal(n, 1);
    assert_int_equal(run(&w, "alpha", 0, m, 2, &r), CW_ENONCE);
    cw_enc_free(&e1);
    cw_enc_free(&e2);
    world_free(&w);
}

static void test_unknown_and_malformed_msgs_fail_cleanly(void **s)
{
    (void)s;
    struct world w;
    world_init(&w);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_begin(&e, "bank.mint", 0); /* no such route: prefix matching must not apply */
    cw_bytes m = {cw_enc_data(&e), cw_enc_len(&e)};
    cw_tx_result r;
    assert_int_equal(run(&w, "alpha", 0, &m, 1, &r), CW_OK);
    assert_int_equal(r.code, CW_EINVAL);
    assert_non_null(strstr(r.log, "unknown type 'bank.mint'"));
    cw_tx_result_free(&r);
    cw_enc_free(&e);
    cw_enc_init(&e);
    cw_msg_begin(&e, CW_MSG_BANK_SEND, 2); /* one field short */
    cw_enc_bin(&e, g_bob.b, 20);
    cw_enc_cstr(&e, "uatom");
    m = (cw_bytes){cw_enc_data(&e), cw_enc_len(&e)};
    assert_int_equal(run(&w, "alpha", 1, &m, 1, &r), CW_OK);
    assert_int_equal(r.code, CW_EMALFORMED);
    assert_non_null(strstr(r.log, "expected 3 fields"));
    cw_tx_result_free(&r);
    cw_enc_free(&e);
    world_free(&w);
}

/* ---- the router (common/module.c) ---- */

static int g_calls;
static uint64_t g_amount;

static int count_send(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    (void)ctx, (void)err, (void)err_len;
    g_calls++;
    g_amount = ((const cw_msg_bank_send *)in)->amount;
    return CW_OK;
}

/* Dispatch the body of an encoded Msg [type, body] as the chain's tx executor does. */
static int dispatch(cw_app *app, cw_enc *msg, char *err, size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    char type[CW_ID_MAX + 1];
    cw_exec_ctx ctx = {.app = app};
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(msg), cw_enc_len(msg), 4096, NULL, 0),
                     CW_OK);
    const msgpack_object *f = cw_dec_array(&d, root, 2, "msg");
    cw_dec_id(&d, &f[0], type, "msg.type");
    assert_int_equal(d.rc, CW_OK);
    int rc = cw_app_dispatch(app, &ctx, type, &f[1], err, err_len);
    cw_dec_close(&d);
    cw_enc_free(msg);
    return rc;
}

static void test_router_decodes_through_the_contract(void **s)
{
    (void)s;
    cw_app *app;
    cw_enc e;
    char err[256] = "";
    assert_int_equal(cw_app_create(&app, "alpha"), CW_OK);
    /* only a type the contract has a codec for can be routed */
    assert_int_equal(cw_app_register(app, "bank.mint", count_send, NULL), CW_EINVAL);
    assert_int_equal(cw_app_register(app, CW_MSG_BANK_SEND, count_send, NULL), CW_OK);
    assert_int_equal(cw_app_register(app, CW_MSG_BANK_SEND, count_send, NULL), CW_EEXISTS);
    g_calls = 0;
    /* the handler gets the decoded struct */
    cw_enc_init(&e);
    cw_msg_bank_send_enc(&e, &(cw_msg_bank_send){.to = g_bob, .denom = "uatom", .amount = 7});
    assert_int_equal(dispatch(app, &e, err, sizeof err), CW_OK);
    assert_int_equal(g_calls, 1);
    assert_int_equal(g_amount, 7);
    /* a body that does not decode never reaches it; the error names the type */
    cw_enc_init(&e);
    cw_msg_begin(&e, CW_MSG_BANK_SEND, 2);
    cw_enc_bin(&e, g_bob.b, 20);
    cw_enc_cstr(&e, "uatom");
    assert_int_equal(dispatch(app, &e, err, sizeof err), CW_EMALFORMED);
    assert_int_equal(g_calls, 1);
    assert_non_null(strstr(err, "bank.send: expected 3 fields, got 2"));
    cw_enc_init(&e);
    cw_msg_begin(&e, CW_MSG_BANK_SEND, 3);
    cw_enc_bin(&e, g_bob.b, 20);
    cw_enc_cstr(&e, "uatom");
    cw_enc_cstr(&e, "7");
    assert_int_equal(dispatch(app, &e, err, sizeof err), CW_EMALFORMED);
    assert_int_equal(g_calls, 1);
    assert_non_null(strstr(err, "bank.send.amount"));
    cw_app_destroy(app);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_succeeds_and_emits_transfer_event),
        cmocka_unit_test(test_replayed_nonce_is_not_executable),
        cmocka_unit_test(test_tx_for_another_chain_is_not_executable),
        cmocka_unit_test(test_failing_second_msg_undoes_first_and_drops_events_but_uses_nonce),
        cmocka_unit_test(test_unknown_and_malformed_msgs_fail_cleanly),
        cmocka_unit_test(test_router_decodes_through_the_contract),
    };
    return cmocka_run_group_tests_name("app", tests, setup, NULL);
}
