/* The IBC host's 07-tendermint client type (channels/ibc_client_tm.c; DESIGN §6a), driven
 * through the chain's msg router as the chain runs msgs: a client of a CometBFT chain is
 * created, updated with signed CometBFT headers (adjacent and skipping), refuses bad ones
 * and the other type's msgs, verifies a public ICS-23 IAVL membership proof against the
 * app_hash of a header built and signed here (deterministic Ed25519 test keys, OpenSSL), and
 * freezes on misbehaviour (two headers at one height; a conflicting update). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "../testutil.h"
#include "../tm_testgen.h"
#include "causeway/event.h"
#include "causeway/gas.h"
#include "causeway/hex.h"
#include "causeway/ibc.h"
#include "causeway/kv.h"
#include "causeway/module.h"
#include "causeway/msgs.h"
#include "causeway/packet.h"

#define NS 1000000000ull
#define CHAIN "cosmos-test-1"
static const cw_tm_time T0 = {1800000000, 0};

typedef struct world {
    cw_kv_cache *store;
    cw_kv kv;
    cw_app *app;
    cw_ibc *ibc;
    tmg_key keys[8];
    cw_tm_valset vs;   /* validators 0..3, power 10 each */
    cw_tm_valset vs2;  /* validators 4..7: a set the client never trusted */
    uint64_t now_ns;
    char err[512];
    const char *last_event;
} world;

static world *W;

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    cw_pubkey32 admin = {{1}};
    if (!w || cw_kv_cache_create(&w->store, NULL) || cw_app_create(&w->app, "alpha") ||
        cw_ibc_create(&w->ibc, &admin) || cw_ibc_register_msgs(w->ibc, w->app))
        return -1;
    w->kv = cw_kv_cache_kv(w->store);
    for (uint32_t i = 0; i < 8; i++)
        if (tmg_key_make(&w->keys[i], i))
            return -1;
    if (tmg_valset(&w->vs, w->keys, 0, 4, NULL) || tmg_valset(&w->vs2, w->keys, 4, 4, NULL))
        return -1;
    w->now_ns = (uint64_t)T0.seconds * NS + 3600 * NS;
    W = w;
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    cw_tm_valset_free(&w->vs);
    cw_tm_valset_free(&w->vs2);
    for (uint32_t i = 0; i < 8; i++)
        tmg_key_free(&w->keys[i]);
    cw_ibc_destroy(w->ibc);
    cw_app_destroy(w->app);
    cw_kv_cache_destroy(w->store);
    free(w);
    return 0;
}

/* Run one encoded Msg through the router at w->now_ns; returns the handler's code. The
 * type of the first event emitted is kept in w->last_event (NULL if none). */
static int run(world *w, cw_enc *msg)
{
    static char evtype[64];
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(msg->rc, CW_OK);
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(msg), cw_enc_len(msg),
                                 CW_CODEC_MAX_INPUT, NULL, 0),
                     CW_OK);
    const msgpack_object *f = cw_dec_array(&d, root, 2, "msg");
    char type[64];
    snprintf(type, sizeof type, "%.*s", (int)f[0].via.str.size, f[0].via.str.ptr);
    cw_events ev;
    cw_gas_meter gas;
    cw_events_init(&ev);
    cw_gas_meter_init(&gas, UINT64_C(1) << 40);
    cw_exec_ctx ctx = {.app = w->app, .kv = &w->kv, .gas = &gas, .events = &ev,
                       .chain_id = "alpha", .height = 5, .time_ns = w->now_ns};
    w->err[0] = '\0';
    int rc = cw_app_dispatch(w->app, &ctx, type, &f[1], w->err, sizeof w->err);
    w->last_event = NULL;
    cw_enc out;
    cw_enc_init(&out);
    if (ev.count && cw_events_encode(&ev, (cw_events_mark){0, 0}, &out) == CW_OK) {
        cw_dec d2;
        const msgpack_object *r2;
        cw_bytes t;
        if (cw_dec_open(&d2, &r2, cw_enc_data(&out), cw_enc_len(&out), CW_CODEC_MAX_INPUT,
                        NULL, 0) == CW_OK &&
            r2->type == MSGPACK_OBJECT_ARRAY && r2->via.array.size &&
            cw_event_type(&r2->via.array.ptr[0], &t)) {
            snprintf(evtype, sizeof evtype, "%.*s", (int)t.len, (const char *)t.p);
            w->last_event = evtype;
        }
        cw_dec_close(&d2);
    }
    cw_enc_free(&out);
    cw_events_free(&ev);
    cw_dec_close(&d);
    cw_enc_free(msg);
    return rc;
}

/* A header of CHAIN at height h, signed by the first nsign validators of vs (set order). */
static void block(world *w, cw_tm_light_block *lb, int64_t h, const cw_tm_valset *vs,
                  uint32_t nsign, const uint8_t *app_hash)
{
    cw_tm_time t = {T0.seconds + 5 * (h - 10), 0};
    assert_int_equal(tmg_light_block(lb, CHAIN, h, t, vs, vs, w->keys, 8, nsign, app_hash), 0);
}

static int g_next_client = 0;

static void create(world *w, const cw_tm_light_block *lb, char id[65])
{
    cw_msg_create_client mc;
    memset(&mc, 0, sizeof mc);
    strcpy(mc.client_type, CW_CLIENT_TYPE_TENDERMINT);
    assert_int_equal(cw_lc_client_state_default(&mc.client_state, CHAIN), CW_OK);
    mc.client_state.latest_height = (uint64_t)lb->header.height;
    mc.consensus_state.timestamp_ns = (uint64_t)lb->header.time.seconds * NS;
    memcpy(mc.consensus_state.state_root, lb->header.app_hash.b, 32);
    memcpy(mc.consensus_state.next_validators_hash, lb->header.next_validators_hash.b, 32);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_create_client_enc(&e, &mc);
    assert_int_equal(run(w, &e), CW_OK);
    snprintf(id, 65, "client-%d", g_next_client++);
    char type[65];
    assert_int_equal(cw_ibc_client_type(&w->kv, id, type), CW_OK);
    assert_string_equal(type, CW_CLIENT_TYPE_TENDERMINT);
}

static void tm_header(cw_tm_client_header *th, const cw_tm_light_block *lb, uint64_t trusted,
                      const cw_tm_valset *tvs)
{
    memset(th, 0, sizeof *th);
    th->lb = *lb; /* borrowed: the caller frees lb */
    th->lb.has_next_validators = false;
    th->trusted_height = trusted;
    th->trusted_validators = *tvs;
}

static int update(world *w, const char *id, const cw_tm_light_block *lb, uint64_t trusted,
                  const cw_tm_valset *tvs)
{
    cw_msg_update_client_tm m;
    memset(&m, 0, sizeof m);
    strcpy(m.client_id, id);
    tm_header(&m.header, lb, trusted, tvs);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_update_client_tm_enc(&e, &m);
    return run(w, &e);
}

static void client_state(world *w, const char *id, cw_lc_client_state *cs)
{
    assert_int_equal(cw_ibc_client(&w->kv, id, cs), CW_OK);
}

static void test_create_update_and_refusals(void **state)
{
    world *w = *state;
    cw_tm_light_block b10, b11, b20, bad;
    char id[65];
    cw_lc_client_state cs;
    block(w, &b10, 10, &w->vs, 4, NULL);
    create(w, &b10, id);

    /* adjacent 10 -> 11, three of four sign */
    block(w, &b11, 11, &w->vs, 3, NULL);
    assert_int_equal(update(w, id, &b11, 10, &w->vs), CW_OK);
    assert_string_equal(w->last_event, CW_EV_UPDATE_CLIENT);
    client_state(w, id, &cs);
    assert_int_equal(cs.latest_height, 11);
    /* the same header again: a no-op */
    assert_int_equal(update(w, id, &b11, 10, &w->vs), CW_OK);
    assert_string_equal(w->last_event, CW_EV_UPDATE_CLIENT_NOOP);

    /* skipping 11 -> 20 */
    block(w, &b20, 20, &w->vs, 3, NULL);
    assert_int_equal(update(w, id, &b20, 11, &w->vs), CW_OK);
    client_state(w, id, &cs);
    assert_int_equal(cs.latest_height, 20);

    /* refused, nothing changes: a bad signature; too few signers; a set never trusted; a
     * trusted set that is not the trusted state's; a trusted height with no state */
    block(w, &bad, 21, &w->vs, 4, NULL);
    bad.commit.sigs[0].signature[5] ^= 1;
    assert_int_equal(update(w, id, &bad, 20, &w->vs), CW_EBADSIG);
    assert_non_null(strstr(w->err, "InvalidSignature"));
    cw_tm_light_block_free(&bad);
    block(w, &bad, 21, &w->vs, 2, NULL);
    assert_int_equal(update(w, id, &bad, 20, &w->vs), CW_EBADHEADER);
    assert_non_null(strstr(w->err, "InsufficientSignersOverlap"));
    cw_tm_light_block_free(&bad);
    block(w, &bad, 30, &w->vs2, 4, NULL);
    assert_int_equal(update(w, id, &bad, 20, &w->vs), CW_ETHRESHOLD); /* NotEnoughTrust */
    assert_int_equal(update(w, id, &bad, 20, &w->vs2), CW_EBADHEADER);
    assert_non_null(strstr(w->err, "trusted_validator_set"));
    assert_int_equal(update(w, id, &bad, 15, &w->vs), CW_ENOTFOUND);
    cw_tm_light_block_free(&bad);
    client_state(w, id, &cs);
    assert_int_equal(cs.latest_height, 20);
    assert_int_equal(cs.frozen_height, 0);

    /* the router: a causeway-bip340 client refuses a 07-tendermint header (and the bip340
     * type's update on a 07-tendermint client is refused the same way, ibc_client.c) */
    cw_msg_create_client mc;
    memset(&mc, 0, sizeof mc);
    strcpy(mc.client_type, CW_CLIENT_TYPE_BIP340);
    assert_int_equal(cw_lc_client_state_default(&mc.client_state, "alpha"), CW_OK);
    mc.client_state.latest_height = 10;
    mc.consensus_state.timestamp_ns = w->now_ns - 60 * NS;
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_create_client_enc(&e, &mc);
    assert_int_equal(run(w, &e), CW_OK);
    char bip_id[65], type[65];
    snprintf(bip_id, sizeof bip_id, "client-%d", g_next_client++);
    assert_int_equal(cw_ibc_client_type(&w->kv, bip_id, type), CW_OK);
    assert_string_equal(type, CW_CLIENT_TYPE_BIP340);
    assert_int_equal(update(w, bip_id, &b20, 10, &w->vs), CW_EINVAL);
    assert_non_null(strstr(w->err, "is a causeway-bip340 client"));
    /* an unknown type is refused by the decoder */
    strcpy(mc.client_type, "06-solomachine");
    cw_enc_init(&e);
    cw_msg_create_client_enc(&e, &mc);
    assert_int_equal(run(w, &e), CW_EINVAL);
    assert_non_null(strstr(w->err, "client_type"));

    cw_tm_light_block_free(&b10);
    cw_tm_light_block_free(&b11);
    cw_tm_light_block_free(&b20);
}

static void hexv(json_t *o, const char *k, uint8_t **out, size_t *n)
{
    const char *s = json_string_value(json_object_get(o, k));
    assert_non_null(s);
    *out = malloc(strlen(s) / 2 + 1);
    assert_int_equal(cw_hex_decode(*out, strlen(s) / 2 + 1, n, s, strlen(s), NULL, 0), CW_OK);
}

static void test_iavl_membership_against_app_hash_then_misbehaviour(void **state)
{
    world *w = *state;
    CW_REQUIRE_VECTORS("ics23/testdata/iavl/exist_left.json");
    json_error_t je;
    json_t *v = json_load_file(cw_test_vector_path("ics23/testdata/iavl/exist_left.json"), 0,
                               &je);
    assert_non_null(v);
    uint8_t *key, *value, *root, *proof;
    size_t kl, vl, rl, pl;
    hexv(v, "key", &key, &kl);
    hexv(v, "value", &value, &vl);
    hexv(v, "root", &root, &rl);
    hexv(v, "proof", &proof, &pl);
    assert_int_equal(rl, 32);
    char path[128];
    assert_true(kl < sizeof path && memchr(key, 0, kl) == NULL);
    memcpy(path, key, kl);
    path[kl] = '\0';

    cw_tm_light_block b10, b12, f13a, f13b;
    char id[65];
    block(w, &b10, 10, &w->vs, 4, NULL);
    create(w, &b10, id);
    /* a header whose app_hash is the IAVL tree's root */
    block(w, &b12, 12, &w->vs, 4, root);
    assert_int_equal(update(w, id, &b12, 10, &w->vs), CW_OK);
    assert_int_equal(cw_ibc_client_verify_path(&w->kv, id, 12, w->now_ns, proof, pl, path, value,
                                               vl, w->err, sizeof w->err),
                     CW_OK);
    /* the wrong value, the wrong height (another root), a flipped proof byte: refused */
    value[0] ^= 1;
    assert_int_not_equal(cw_ibc_client_verify_path(&w->kv, id, 12, w->now_ns, proof, pl, path,
                                                   value, vl, NULL, 0),
                         CW_OK);
    value[0] ^= 1;
    assert_int_not_equal(cw_ibc_client_verify_path(&w->kv, id, 10, w->now_ns, proof, pl, path,
                                                   value, vl, NULL, 0),
                         CW_OK);
    proof[pl / 2] ^= 0x20;
    assert_int_not_equal(cw_ibc_client_verify_path(&w->kv, id, 12, w->now_ns, proof, pl, path,
                                                   value, vl, NULL, 0),
                         CW_OK);
    proof[pl / 2] ^= 0x20;
    assert_int_equal(cw_ibc_client_verify_path(&w->kv, id, 13, w->now_ns, proof, pl, path,
                                               value, vl, NULL, 0),
                     CW_ENOTFOUND);

    /* misbehaviour: two validly signed headers at 13 with different app hashes */
    uint8_t other[32];
    memset(other, 0x77, 32);
    block(w, &f13a, 13, &w->vs, 4, NULL);
    block(w, &f13b, 13, &w->vs, 3, other);
    cw_msg_submit_misbehaviour_tm mm;
    memset(&mm, 0, sizeof mm);
    strcpy(mm.client_id, id);
    /* the same block twice is no misbehaviour */
    tm_header(&mm.header1, &f13a, 12, &w->vs);
    tm_header(&mm.header2, &f13a, 12, &w->vs);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_submit_misbehaviour_tm_enc(&e, &mm);
    assert_int_equal(run(w, &e), CW_EINVAL);
    tm_header(&mm.header2, &f13b, 12, &w->vs);
    cw_enc_init(&e);
    cw_msg_submit_misbehaviour_tm_enc(&e, &mm);
    assert_int_equal(run(w, &e), CW_OK);
    assert_string_equal(w->last_event, CW_EV_CLIENT_MISBEHAVIOUR);
    cw_lc_client_state cs;
    client_state(w, id, &cs);
    assert_int_equal(cs.frozen_height, 13);
    /* frozen: no proofs, no updates */
    assert_int_equal(cw_ibc_client_verify_path(&w->kv, id, 12, w->now_ns, proof, pl, path,
                                               value, vl, NULL, 0),
                     CW_EFROZEN);
    assert_int_equal(update(w, id, &f13a, 12, &w->vs), CW_EFROZEN);

    cw_tm_light_block_free(&b10);
    cw_tm_light_block_free(&b12);
    cw_tm_light_block_free(&f13a);
    cw_tm_light_block_free(&f13b);
    free(key), free(value), free(root), free(proof);
    json_decref(v);
}

/* An update that conflicts with a stored consensus state freezes the client (and is the
 * one failure that persists: it succeeds as a msg, with its event). */
static void test_conflicting_update_freezes(void **state)
{
    world *w = *state;
    cw_tm_light_block b10, b11, f11;
    char id[65];
    uint8_t other[32];
    memset(other, 0x42, 32);
    block(w, &b10, 10, &w->vs, 4, NULL);
    create(w, &b10, id);
    block(w, &b11, 11, &w->vs, 4, NULL);
    block(w, &f11, 11, &w->vs, 4, other);
    assert_int_equal(update(w, id, &b11, 10, &w->vs), CW_OK);
    assert_int_equal(update(w, id, &f11, 10, &w->vs), CW_OK);
    assert_string_equal(w->last_event, CW_EV_CLIENT_MISBEHAVIOUR);
    cw_lc_client_state cs;
    client_state(w, id, &cs);
    assert_int_equal(cs.frozen_height, 11);
    cw_tm_light_block_free(&b10);
    cw_tm_light_block_free(&b11);
    cw_tm_light_block_free(&f11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_update_and_refusals),
        cmocka_unit_test(test_iavl_membership_against_app_hash_then_misbehaviour),
        cmocka_unit_test(test_conflicting_update_freezes),
    };
    return cmocka_run_group_tests_name("ibc_tm", tests, setup, teardown);
}
