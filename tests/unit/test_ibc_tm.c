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
#include "../../channels/ibc_internal.h" /* ibc_mirror_end: the end TRY proves */

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
    uint64_t gas_limit; /* gas of the next msgs run (0: 2^40) */
    cw_pubkey32 signer;  /* their signer (the admin is {1, 0, ...}) */
    char err[512];
    const char *last_event;
    cw_enc enc; /* RUN_MSG's scratch */
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

/* The context a msg runs in: w's store, chain "alpha" at height 5, w->now_ns, w->signer,
 * a gas meter of w->gas_limit and an empty event list (the caller frees ev). */
static cw_exec_ctx ctx_of(world *w, cw_gas_meter *gas, cw_events *ev)
{
    cw_events_init(ev);
    cw_gas_meter_init(gas, w->gas_limit ? w->gas_limit : UINT64_C(1) << 40);
    return (cw_exec_ctx){.app = w->app, .kv = &w->kv, .gas = gas, .events = ev,
                         .chain_id = "alpha", .height = 5, .time_ns = w->now_ns,
                         .signer_pk = w->signer};
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
    cw_exec_ctx ctx = ctx_of(w, &gas, &ev);
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

/* Encode m, a cw_msg_X, with cw_msg_X_enc into the world's scratch encoder and run it
 * (run frees the encoding): the value is the handler's code. */
#define RUN_MSG(w, X, m)                                                                   \
    (cw_enc_init(&(w)->enc), cw_msg_##X##_enc(&(w)->enc, (m)), run((w), &(w)->enc))

/* A header of CHAIN at height h, signed by the first nsign validators of vs (set order). */
static void block(world *w, cw_tm_light_block *lb, int64_t h, const cw_tm_valset *vs,
                  uint32_t nsign, const uint8_t *app_hash)
{
    cw_tm_time t = {T0.seconds + 5 * (h - 10), 0};
    assert_int_equal(tmg_light_block(lb, CHAIN, h, t, vs, vs, w->keys, 8, nsign, app_hash), 0);
}

/* As block(), with the chain id and header time chosen. */
static void block_at(world *w, cw_tm_light_block *lb, const char *chain, int64_t h,
                     cw_tm_time t, const uint8_t *app_hash)
{
    assert_int_equal(tmg_light_block(lb, chain, h, t, &w->vs, &w->vs, w->keys, 8, 4, app_hash), 0);
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
    assert_int_equal(RUN_MSG(w, create_client, &mc), CW_OK);
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
    return RUN_MSG(w, update_client_tm, &m);
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
    assert_int_equal(RUN_MSG(w, create_client, &mc), CW_OK);
    char bip_id[65], type[65];
    snprintf(bip_id, sizeof bip_id, "client-%d", g_next_client++);
    assert_int_equal(cw_ibc_client_type(&w->kv, bip_id, type), CW_OK);
    assert_string_equal(type, CW_CLIENT_TYPE_BIP340);
    assert_int_equal(update(w, bip_id, &b20, 10, &w->vs), CW_EINVAL);
    assert_non_null(strstr(w->err, "is a causeway-bip340 client"));
    /* an unknown type is refused by the decoder */
    strcpy(mc.client_type, "06-solomachine");
    assert_int_equal(RUN_MSG(w, create_client, &mc), CW_EINVAL);
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

/* A public ICS-23 IAVL vector (../shared/vectors/ics23/testdata/iavl/NAME): its key (also as
 * a NUL-terminated path), value (NULL for non-membership vectors), 32-byte root and proof. */
typedef struct iavl_vec {
    uint8_t *key, *value, *root, *proof;
    size_t kl, vl, rl, pl;
    char path[128];
} iavl_vec;

static void iavl_vec_load(iavl_vec *x, const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "ics23/testdata/iavl/%s", name);
    json_error_t je;
    json_t *v = json_load_file(cw_test_vector_path(rel), 0, &je);
    assert_non_null(v);
    memset(x, 0, sizeof *x);
    hexv(v, "key", &x->key, &x->kl);
    if (json_object_get(v, "value") && json_string_length(json_object_get(v, "value")))
        hexv(v, "value", &x->value, &x->vl);
    hexv(v, "root", &x->root, &x->rl);
    hexv(v, "proof", &x->proof, &x->pl);
    assert_int_equal(x->rl, 32);
    assert_true(x->kl < sizeof x->path && memchr(x->key, 0, x->kl) == NULL);
    memcpy(x->path, x->key, x->kl);
    x->path[x->kl] = '\0';
    json_decref(v);
}

static void iavl_vec_free(iavl_vec *x)
{
    free(x->key), free(x->value), free(x->root), free(x->proof);
}

static void test_iavl_membership_against_app_hash_then_misbehaviour(void **state)
{
    world *w = *state;
    CW_REQUIRE_VECTORS("ics23/testdata/iavl/exist_left.json");
    iavl_vec x;
    iavl_vec_load(&x, "exist_left.json");
    uint8_t *value = x.value, *proof = x.proof;
    size_t vl = x.vl, pl = x.pl;
    char *path = x.path;
    assert_non_null(value);

    cw_tm_light_block b10, b12, f13a, f13b;
    char id[65];
    block(w, &b10, 10, &w->vs, 4, NULL);
    create(w, &b10, id);
    /* a header whose app_hash is the IAVL tree's root */
    block(w, &b12, 12, &w->vs, 4, x.root);
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
    assert_int_equal(RUN_MSG(w, submit_misbehaviour_tm, &mm), CW_EINVAL);
    tm_header(&mm.header2, &f13b, 12, &w->vs);
    assert_int_equal(RUN_MSG(w, submit_misbehaviour_tm, &mm), CW_OK);
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
    iavl_vec_free(&x);
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

/* The client's state and how many consensus states it holds: what a refusal must not change. */
typedef struct snap {
    cw_lc_client_state cs;
    uint64_t n_cons;
} snap;

static snap take(world *w, const char *id)
{
    snap s;
    memset(&s, 0, sizeof s);
    client_state(w, id, &s.cs);
    assert_int_equal(cw_ibc_client_consensus_count(&w->kv, id, &s.n_cons), CW_OK);
    return s;
}

static void assert_unchanged(world *w, const char *id, const snap *before)
{
    snap now = take(w, id);
    assert_memory_equal(&now.cs, &before->cs, sizeof now.cs);
    assert_int_equal(now.n_cons, before->n_cons);
}

static int misbehaviour(world *w, const char *id, const cw_tm_light_block *h1, uint64_t t1,
                        const cw_tm_light_block *h2, uint64_t t2)
{
    cw_msg_submit_misbehaviour_tm mm;
    memset(&mm, 0, sizeof mm);
    strcpy(mm.client_id, id);
    tm_header(&mm.header1, h1, t1, &w->vs);
    tm_header(&mm.header2, h2, t2, &w->vs);
    return RUN_MSG(w, submit_misbehaviour_tm, &mm);
}

/* Each refusal of ibc.update_client_tm that comes before the signatures (ibc-go
 * verifyHeader's own checks) and of gas, named in the error, with the client unchanged. */
static void test_update_refusals_before_verification(void **state)
{
    world *w = *state;
    cw_tm_light_block b10, b11, bad;
    char id[65];
    block(w, &b10, 10, &w->vs, 4, NULL);
    create(w, &b10, id);
    block(w, &b11, 11, &w->vs, 4, NULL);
    assert_int_equal(update(w, id, &b11, 10, &w->vs), CW_OK);
    snap s = take(w, id);

    /* a header not above its trusted height */
    assert_int_equal(update(w, id, &b11, 11, &w->vs), CW_EINVAL);
    assert_non_null(strstr(w->err, "is not above the trusted height 11"));
    assert_unchanged(w, id, &s);
    /* an app_hash that is not 32 bytes */
    block(w, &bad, 12, &w->vs, 4, NULL);
    bad.header.app_hash.len = 20;
    assert_int_equal(update(w, id, &bad, 11, &w->vs), CW_EINVAL);
    assert_non_null(strstr(w->err, "app_hash and next_validators_hash must be 32 bytes"));
    assert_unchanged(w, id, &s);
    cw_tm_light_block_free(&bad);
    /* a header time past 2554 (beyond u64 ns; the wire has no time before 1970) */
    block_at(w, &bad, CHAIN, 12, (cw_tm_time){20000000000, 0}, NULL);
    assert_int_equal(update(w, id, &bad, 11, &w->vs), CW_EINVAL);
    assert_non_null(strstr(w->err, "header time outside 1970..2554"));
    assert_unchanged(w, id, &s);
    cw_tm_light_block_free(&bad);
    /* too little gas for the header's signature checks: refused before any work */
    block(w, &bad, 12, &w->vs, 4, NULL);
    w->gas_limit = 1000;
    assert_int_equal(update(w, id, &bad, 11, &w->vs), CW_EOUTOFGAS);
    assert_non_null(strstr(w->err, "verifying a 07-tendermint header"));
    w->gas_limit = 0;
    assert_unchanged(w, id, &s);
    /* with the gas, the same header is accepted */
    assert_int_equal(update(w, id, &bad, 11, &w->vs), CW_OK);
    cw_tm_light_block_free(&bad);
    cw_tm_light_block_free(&b10);
    cw_tm_light_block_free(&b11);
}

/* ibc-go CheckForMisbehaviour's time-monotonicity rule: a new consensus state whose time is
 * not after the one below it, or not before the one above it, freezes the client at its
 * height (the update itself succeeds, with the misbehaviour event). */
static void test_time_out_of_order_freezes(void **state)
{
    world *w = *state;
    cw_tm_light_block b10, b20, lb;
    char id[65];
    cw_lc_client_state cs;
    /* below: 10, 12 at T(12), then 15 trusting 10 at T(12) - 1 s (after the trusted
     * time, so the header verifies, but not after the state below it) */
    cw_tm_light_block b12;
    block(w, &b10, 10, &w->vs, 4, NULL);
    create(w, &b10, id);
    block(w, &b12, 12, &w->vs, 4, NULL);
    assert_int_equal(update(w, id, &b12, 10, &w->vs), CW_OK);
    block_at(w, &lb, CHAIN, 15, (cw_tm_time){b12.header.time.seconds - 1, 0}, NULL);
    assert_int_equal(update(w, id, &lb, 10, &w->vs), CW_OK);
    assert_string_equal(w->last_event, CW_EV_CLIENT_MISBEHAVIOUR);
    client_state(w, id, &cs);
    assert_int_equal(cs.frozen_height, 15);
    cw_tm_light_block_free(&lb);
    /* and a frozen client takes no misbehaviour either */
    block(w, &lb, 16, &w->vs, 4, NULL);
    assert_int_equal(misbehaviour(w, id, &lb, 10, &lb, 10), CW_EFROZEN);
    cw_tm_light_block_free(&lb);

    /* above: 10, 20 at T(20), then 15 at T(20) + 1 s (after the state above it) */
    char id2[65];
    create(w, &b10, id2);
    block(w, &b20, 20, &w->vs, 4, NULL);
    assert_int_equal(update(w, id2, &b20, 10, &w->vs), CW_OK);
    block_at(w, &lb, CHAIN, 15, (cw_tm_time){b20.header.time.seconds + 1, 0}, NULL);
    assert_int_equal(update(w, id2, &lb, 10, &w->vs), CW_OK);
    assert_string_equal(w->last_event, CW_EV_CLIENT_MISBEHAVIOUR);
    client_state(w, id2, &cs);
    assert_int_equal(cs.frozen_height, 15);
    cw_tm_light_block_free(&lb);
    /* in order (between its neighbours): stored, not frozen */
    char id3[65];
    create(w, &b10, id3);
    assert_int_equal(update(w, id3, &b20, 10, &w->vs), CW_OK);
    block(w, &lb, 15, &w->vs, 4, NULL);
    assert_int_equal(update(w, id3, &lb, 10, &w->vs), CW_OK);
    assert_string_equal(w->last_event, CW_EV_UPDATE_CLIENT);
    client_state(w, id3, &cs);
    assert_int_equal(cs.frozen_height, 0);
    assert_int_equal(cs.latest_height, 20);
    cw_tm_light_block_free(&lb);
    cw_tm_light_block_free(&b10);
    cw_tm_light_block_free(&b12);
    cw_tm_light_block_free(&b20);
}

/* ibc.submit_misbehaviour_tm: evidence that is no misbehaviour, or whose headers do not
 * verify, is refused with the reason and the client stays active; time-violation evidence
 * (header1 higher but not later) freezes it at header2's height. */
static void test_misbehaviour_refusals_and_time_violation(void **state)
{
    world *w = *state;
    cw_tm_light_block b10, h12, h13, other_chain, late13, bad12;
    char id[65];
    block(w, &b10, 10, &w->vs, 4, NULL);
    create(w, &b10, id);
    snap s = take(w, id);
    block(w, &h12, 12, &w->vs, 4, NULL);
    block(w, &h13, 13, &w->vs, 4, NULL);

    assert_int_equal(misbehaviour(w, id, &h12, 10, &h13, 10), CW_EINVAL);
    assert_non_null(strstr(w->err, "header1 must not be below header2"));
    block_at(w, &other_chain, "other-chain-2", 12, h12.header.time, NULL);
    assert_int_equal(misbehaviour(w, id, &other_chain, 10, &h12, 10), CW_EINVAL);
    assert_non_null(strstr(w->err, "the headers are for different chains"));
    assert_int_equal(misbehaviour(w, id, &h13, 10, &h12, 10), CW_EINVAL);
    assert_non_null(strstr(w->err, "header1 is higher and later than header2"));
    /* too little gas for two headers */
    block(w, &bad12, 12, &w->vs, 4, (const uint8_t *)"0123456789abcdef0123456789abcdef");
    w->gas_limit = 1000;
    assert_int_equal(misbehaviour(w, id, &bad12, 10, &h12, 10), CW_EOUTOFGAS);
    assert_non_null(strstr(w->err, "verifying two 07-tendermint headers"));
    w->gas_limit = 0;
    /* conflicting headers, but one of them does not verify (a bad signature): refused,
     * naming which */
    bad12.commit.sigs[0].signature[1] ^= 1;
    bad12.commit.sigs[1].signature[1] ^= 1;
    assert_int_equal(misbehaviour(w, id, &bad12, 10, &h12, 10), CW_EBADSIG);
    assert_non_null(strstr(w->err, "header1"));
    assert_int_equal(misbehaviour(w, id, &h12, 10, &bad12, 10), CW_EBADSIG);
    assert_non_null(strstr(w->err, "header2"));
    assert_unchanged(w, id, &s);

    /* time violation: header1 at 13 is not later than header2 at 12 */
    block_at(w, &late13, CHAIN, 13, (cw_tm_time){h12.header.time.seconds - 1, 0}, NULL);
    assert_int_equal(misbehaviour(w, id, &late13, 10, &h12, 10), CW_OK);
    assert_string_equal(w->last_event, CW_EV_CLIENT_MISBEHAVIOUR);
    cw_lc_client_state cs;
    client_state(w, id, &cs);
    assert_int_equal(cs.frozen_height, 12);

    cw_tm_light_block *all[] = {&b10, &h12, &h13, &other_chain, &late13, &bad12};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        cw_tm_light_block_free(all[i]);
}

/* ICS-23 non-membership against the app_hash: the public IAVL vectors' absent keys. */
static void test_iavl_non_membership_against_app_hash(void **state)
{
    world *w = *state;
    CW_REQUIRE_VECTORS("ics23/testdata/iavl/nonexist_middle.json");
    iavl_vec x;
    iavl_vec_load(&x, "nonexist_middle.json");
    const uint8_t *proof = x.proof;
    size_t pl = x.pl;
    char *path = x.path;
    cw_tm_light_block b10, b12;
    char id[65];
    block(w, &b10, 10, &w->vs, 4, NULL);
    create(w, &b10, id);
    block(w, &b12, 12, &w->vs, 4, x.root);
    assert_int_equal(update(w, id, &b12, 10, &w->vs), CW_OK);
    assert_int_equal(cw_ibc_client_verify_path(&w->kv, id, 12, w->now_ns, proof, pl, path, NULL,
                                               0, w->err, sizeof w->err),
                     CW_OK);
    /* against another root, or for a neighbour's key (present): refused */
    assert_int_not_equal(cw_ibc_client_verify_path(&w->kv, id, 10, w->now_ns, proof, pl, path,
                                                   NULL, 0, NULL, 0),
                         CW_OK);
    path[0] ^= 1;
    assert_int_not_equal(cw_ibc_client_verify_path(&w->kv, id, 12, w->now_ns, proof, pl, path,
                                                   NULL, 0, NULL, 0),
                         CW_OK);
    cw_tm_light_block_free(&b10);
    cw_tm_light_block_free(&b12);
    iavl_vec_free(&x);
}

/* The host's public client API on ids it does not hold: an unknown id is "not found", an
 * id that is not an identifier is invalid, each named in the error; nothing is read. And
 * destroying no host is a no-op (ibc.h). */
static void test_client_api_names_unknown_and_invalid_ids(void **state)
{
    world *w = *state;
    cw_lc_client_state cs;
    uint64_t n = 7;
    static const uint8_t proof[1] = {0};
    cw_ibc_destroy(NULL);
    assert_int_equal(cw_ibc_client(&w->kv, "bad/id", &cs), CW_EINVAL);
    assert_int_equal(cw_ibc_client(&w->kv, "client-99", &cs), CW_ENOTFOUND);
    assert_int_equal(cw_ibc_client_consensus_count(&w->kv, "bad/id", &n), CW_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(cw_ibc_client_verify_path(&w->kv, "client-99", 10, w->now_ns, proof, 1,
                                               "a/b", proof, 1, w->err, sizeof w->err),
                     CW_ENOTFOUND);
    assert_string_equal(w->err, "client client-99: not found");
    assert_int_equal(cw_ibc_client_verify_path(&w->kv, "bad/id", 10, w->now_ns, proof, 1,
                                               "a/b", proof, 1, w->err, sizeof w->err),
                     CW_EINVAL);
    assert_non_null(strstr(w->err, "client bad/id: "));
}

/* A 07-tendermint client must hold what a CometBFT header can carry: a chain id of at most
 * 50 bytes (a valid identifier may have 64) and a time representable in int64 ns. Each is
 * refused at create, naming the rule, and no client id is taken. */
static void test_tm_create_refuses_chain_id_or_time_a_header_cannot_carry(void **state)
{
    world *w = *state;
    char next[65], id51[52];
    cw_lc_client_state cs;
    memset(id51, 'c', 51);
    id51[51] = '\0';
    snprintf(next, sizeof next, "client-%d", g_next_client);
    for (int k = 0; k < 2; k++) {
        cw_msg_create_client mc;
        memset(&mc, 0, sizeof mc);
        strcpy(mc.client_type, CW_CLIENT_TYPE_TENDERMINT);
        assert_int_equal(cw_lc_client_state_default(&mc.client_state, k ? CHAIN : id51), CW_OK);
        mc.client_state.latest_height = 10;
        mc.consensus_state.timestamp_ns = k ? UINT64_C(1) << 63 : w->now_ns - NS;
        assert_int_equal(RUN_MSG(w, create_client, &mc), CW_EINVAL);
        assert_non_null(strstr(w->err, "07-tendermint: chain id longer than 50 bytes or time "
                                       "beyond 2262"));
        assert_int_equal(cw_ibc_client(&w->kv, next, &cs), CW_ENOTFOUND);
    }
    /* one byte less, and the latest time: created, with that id */
    cw_tm_light_block b10;
    block(w, &b10, 10, &w->vs, 4, NULL);
    char id[65];
    create(w, &b10, id);
    assert_string_equal(id, next);
    cw_tm_light_block_free(&b10);
}

/* recover_client replaces a client's state with another's of the same type only: a
 * causeway-bip340 subject and a 07-tendermint substitute are refused, naming both types,
 * and the subject is unchanged. */
static void test_recover_refuses_a_substitute_of_another_type(void **state)
{
    world *w = *state;
    cw_tm_light_block b10;
    char tm_id[65], bip_id[65];
    block(w, &b10, 10, &w->vs, 4, NULL);
    create(w, &b10, tm_id);
    cw_tm_light_block_free(&b10);
    cw_msg_create_client mc;
    memset(&mc, 0, sizeof mc);
    strcpy(mc.client_type, CW_CLIENT_TYPE_BIP340);
    assert_int_equal(cw_lc_client_state_default(&mc.client_state, CHAIN), CW_OK);
    mc.client_state.latest_height = 5;
    mc.consensus_state.timestamp_ns = w->now_ns - 60 * NS;
    assert_int_equal(RUN_MSG(w, create_client, &mc), CW_OK);
    snprintf(bip_id, sizeof bip_id, "client-%d", g_next_client++);
    snap s = take(w, bip_id);
    cw_msg_recover_client mr;
    memset(&mr, 0, sizeof mr);
    strcpy(mr.subject_client_id, bip_id);
    strcpy(mr.substitute_client_id, tm_id);
    w->signer.b[0] = 1; /* the admin */
    int rc = RUN_MSG(w, recover_client, &mr);
    memset(&w->signer, 0, sizeof w->signer);
    assert_int_equal(rc, CW_EINVAL);
    assert_string_equal(w->err, "subject is causeway-bip340, substitute 07-tendermint: same "
                                "type needed");
    assert_unchanged(w, bip_id, &s);
}

static void tm_recv(void *user, cw_exec_ctx *ctx, const cw_packet *p, cw_enc *ack)
{
    (void)user, (void)ctx, (void)p;
    cw_ack_enc_ok(ack, (const uint8_t *)"ok", 2);
}
static int tm_ack(void *user, cw_exec_ctx *ctx, const cw_packet *p, bool ok, cw_bytes payload)
{
    (void)user, (void)ctx, (void)p, (void)ok, (void)payload;
    return CW_OK;
}
static int tm_timeout(void *user, cw_exec_ctx *ctx, const cw_packet *p)
{
    (void)user, (void)ctx, (void)p;
    return CW_OK;
}

/* ChanOpenTry on a bound port ("tmport") through client_id, proof_init of proof_len bytes
 * (junk); returns the handler's code. */
static int open_try(world *w, const char *client_id, size_t proof_len)
{
    static const uint8_t junk[256];
    cw_msg_chan_open_try mt;
    memset(&mt, 0, sizeof mt);
    mt.ordering = CW_ORDER_UNORDERED;
    strcpy(mt.port, "tmport");
    strcpy(mt.counterparty_port, "tmport");
    strcpy(mt.counterparty_channel, "channel-0");
    strcpy(mt.client_id, client_id);
    strcpy(mt.counterparty_client_id, "client-0");
    strcpy(mt.version, "v1");
    strcpy(mt.counterparty_version, "v1");
    mt.proof_init = (cw_bytes){junk, proof_len};
    mt.counterparty_client_state = (cw_bytes){junk, 1};
    mt.proof_client = (cw_bytes){junk, 1};
    mt.proof_consensus = (cw_bytes){junk, 1};
    mt.proof_height = 10;
    return RUN_MSG(w, chan_open_try, &mt);
}

/* A channel handshake step through a client this chain does not hold is refused before
 * anything is proven or paid; one through a client it holds pays for the proof first: with
 * one unit of gas less than cw_gas_proof(proof, expected end) it runs out naming the proof,
 * with exactly that much it goes on to judge the proof. No end is created either way. And
 * sending on a port without an app is refused. */
static void test_channel_steps_need_a_known_client_and_the_gas_for_the_proof(void **state)
{
    world *w = *state;
    cw_tm_light_block b10;
    char id[65], want[160];
    cw_channel_end ce;
    cw_ibc_app app = {.port = "tmport", .max_data = 64, .max_ack = 64, .on_recv_packet = tm_recv,
                      .on_acknowledgement_packet = tm_ack, .on_timeout_packet = tm_timeout};
    assert_int_equal(cw_ibc_bind(w->ibc, &app), CW_OK);
    block(w, &b10, 10, &w->vs, 4, NULL);
    create(w, &b10, id);
    cw_tm_light_block_free(&b10);

    assert_int_equal(open_try(w, "client-99", 32), CW_ENOTFOUND);
    assert_string_equal(w->err, "client client-99: not found");

    /* the INIT end TRY proves: the counterparty's end, mirrored from ours */
    cw_channel_end local, expect;
    memset(&local, 0, sizeof local);
    local.ordering = CW_ORDER_UNORDERED;
    strcpy(local.client_id, id);
    strcpy(local.counterparty_client_id, "client-0");
    ibc_mirror_end(&expect, &local, "tmport", "", CW_CHAN_INIT, "v1");
    cw_enc e;
    cw_enc_init(&e);
    cw_channel_end_enc(&e, &expect);
    assert_int_equal(e.rc, CW_OK);
    uint64_t cost = cw_gas_proof(32, cw_enc_len(&e));
    cw_enc_free(&e);
    w->gas_limit = cost - 1;
    int rc = open_try(w, id, 32);
    w->gas_limit = 0;
    assert_int_equal(rc, CW_EOUTOFGAS);
    snprintf(want, sizeof want, "out of gas: verifying a proof needs %llu, 0 of limit %llu used",
             (unsigned long long)cost, (unsigned long long)(cost - 1));
    assert_string_equal(w->err, want);
    w->gas_limit = cost;
    rc = open_try(w, id, 32);
    w->gas_limit = 0;
    assert_int_not_equal(rc, CW_EOUTOFGAS); /* paid: the junk proof itself is refused */
    assert_int_not_equal(rc, CW_OK);
    assert_null(strstr(w->err, "out of gas"));
    assert_int_equal(cw_ibc_channel(&w->kv, "tmport", "channel-0", &ce), CW_ENOTFOUND);

    /* cw_ibc_send_packet on a port no app is bound to */
    cw_gas_meter gas;
    cw_events ev;
    cw_exec_ctx ctx = ctx_of(w, &gas, &ev);
    uint64_t seq = 9;
    assert_int_equal(cw_ibc_send_packet(w->ibc, &ctx, "nosuch", "channel-0", "x", 1, 0,
                                        w->now_ns + NS, &seq, w->err, sizeof w->err),
                     CW_ENOTFOUND);
    assert_string_equal(w->err, "port nosuch: no app bound");
    assert_int_equal(seq, 0);
    assert_int_equal(ev.count, 0);
    cw_events_free(&ev);
}

/* cw_ibc_bind refuses an app the router could not serve: no port or one that is not an
 * identifier, a packet callback missing; and a ninth app (IBC_MAX_APPS). Runs last: it
 * fills the host's app table. */
static void test_bind_refuses_apps_the_router_cannot_serve(void **state)
{
    world *w = *state;
    cw_ibc_app app = {.port = "p0", .max_data = 64, .max_ack = 64, .on_recv_packet = tm_recv,
                      .on_acknowledgement_packet = tm_ack, .on_timeout_packet = tm_timeout};
    cw_ibc_app bad = app;
    bad.port = NULL;
    assert_int_equal(cw_ibc_bind(w->ibc, &bad), CW_EINVAL);
    bad.port = "bad/port";
    assert_int_equal(cw_ibc_bind(w->ibc, &bad), CW_EINVAL);
    bad = app;
    bad.on_recv_packet = NULL;
    assert_int_equal(cw_ibc_bind(w->ibc, &bad), CW_EINVAL);
    bad = app;
    bad.on_timeout_packet = NULL;
    assert_int_equal(cw_ibc_bind(w->ibc, &bad), CW_EINVAL);
    /* "tmport" is bound (test_channel_steps_...): seven more fill the table */
    static const char *const ports[] = {"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"};
    for (int i = 0; i < 7; i++) {
        app.port = ports[i];
        assert_int_equal(cw_ibc_bind(w->ibc, &app), CW_OK);
    }
    app.port = ports[7];
    assert_int_equal(cw_ibc_bind(w->ibc, &app), CW_ETOOBIG);
    assert_null(ibc_app_of(w->ibc, "p8"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_update_and_refusals),
        cmocka_unit_test(test_iavl_membership_against_app_hash_then_misbehaviour),
        cmocka_unit_test(test_conflicting_update_freezes),
        cmocka_unit_test(test_update_refusals_before_verification),
        cmocka_unit_test(test_time_out_of_order_freezes),
        cmocka_unit_test(test_misbehaviour_refusals_and_time_violation),
        cmocka_unit_test(test_iavl_non_membership_against_app_hash),
        cmocka_unit_test(test_client_api_names_unknown_and_invalid_ids),
        cmocka_unit_test(test_tm_create_refuses_chain_id_or_time_a_header_cannot_carry),
        cmocka_unit_test(test_recover_refuses_a_substitute_of_another_type),
        cmocka_unit_test(test_channel_steps_need_a_known_client_and_the_gas_for_the_proof),
        cmocka_unit_test(test_bind_refuses_apps_the_router_cannot_serve),
    };
    return cmocka_run_group_tests_name("ibc_tm", tests, setup, teardown);
}
