/* The chain-client library (causeway/chain_client.h) without a chain: config reading, the
 * trust root's text, reconnect backoff against a closed port, and the light client fed from
 * its cache of fetched light blocks (seed, skipping verification, the kept light blocks, the
 * counters and hook, a conflicting header found by the cross-check after a reconnect, and
 * proven answers checked against the verified header's state root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <lmdb.h>
#include <unistd.h>

#include "causeway/chain_client.h"
#include "causeway/keys.h"
#include "causeway/smt.h"
#include "../testutil.h"

static char ERR[512];
static const uint8_t SEED[32] = {9};
#define NVALS 4

static void test_trust_root_parse(void **state)
{
    (void)state;
    uint64_t h;
    uint8_t hash[32];
    char s[80 + 64];
    snprintf(s, sizeof s, "12:%064d", 0);
    s[3] = 'a';
    assert_int_equal(cw_chain_trust_root_parse(s, &h, hash), CW_OK);
    assert_int_equal(h, 12);
    assert_int_equal(hash[0], 0xa0);
    static const char *const bad[] = {"12", "0:0000000000000000000000000000000000000000000000000000000000000000",
                                      "-1:0000000000000000000000000000000000000000000000000000000000000000",
                                      "+1:0000000000000000000000000000000000000000000000000000000000000000",
                                      "1:00", "x:0000000000000000000000000000000000000000000000000000000000000000",
                                      "1:000000000000000000000000000000000000000000000000000000000000000g"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(cw_chain_trust_root_parse(bad[i], &h, hash), CW_EINVAL);
        assert_int_equal(h, 0);
    }
}

static int read_cfg(cw_chain_cfg *c, const char *json)
{
    json_error_t je;
    json_t *o = json_loads(json, 0, &je);
    assert_non_null(o);
    cw_jconf j = {.file = "relayer.json", .rc = CW_OK, .err = ERR, .err_len = sizeof ERR};
    cw_chain_cfg_read(&j, o, "chains[0]", c);
    json_decref(o);
    return j.rc;
}

static void test_cfg_read_and_env(void **state)
{
    (void)state;
    cw_chain_cfg c;
    assert_int_equal(read_cfg(&c, "{\"id\": \"alpha-1\", \"rpc\": \"ws://127.0.0.1:26657\", "
                                  "\"key_file\": \"k.json\", \"trust_root\": \"3:"
                                  "0101010101010101010101010101010101010101010101010101010101010101\"}"),
                     CW_OK);
    assert_string_equal(c.id, "alpha-1");
    assert_string_equal(c.key_file, "k.json");
    assert_true(c.has_trust);
    assert_int_equal(c.trust_height, 3);
    assert_int_equal(c.trust_hash[31], 1);
    /* the environment overrides the URL; a bad URL names file, entry and value */
    setenv("CAUSEWAY_CHAIN_ALPHA_1_RPC", "ws://10.0.0.9:7", 1);
    assert_int_equal(cw_chain_cfg_env(&c, "relayer.json", 0, ERR, sizeof ERR), CW_OK);
    assert_string_equal(c.rpc, "ws://10.0.0.9:7");
    setenv("CAUSEWAY_CHAIN_ALPHA_1_RPC", "http//nope", 1);
    assert_int_equal(cw_chain_cfg_env(&c, "relayer.json", 0, ERR, sizeof ERR), CW_EINVAL);
    assert_non_null(strstr(ERR, "relayer.json: chains[0].rpc: \"http//nope\""));
    unsetenv("CAUSEWAY_CHAIN_ALPHA_1_RPC");
    /* strict: an unknown key, a bad trust root, a missing rpc */
    assert_int_not_equal(read_cfg(&c, "{\"id\": \"a\", \"rpc\": \"ws://h:1\", \"rcp\": 1}"), CW_OK);
    assert_int_equal(read_cfg(&c, "{\"id\": \"a\", \"rpc\": \"ws://h:1\", \"trust_root\": \"5\"}"),
                     CW_EINVAL);
    assert_non_null(strstr(ERR, "trust_root: \"5\" is not HEIGHT:HASH"));
    assert_int_not_equal(read_cfg(&c, "{\"id\": \"a\"}"), CW_OK);
}

/* cw_jconf_array and cw_jconf_object share one typed-field reader: each names its type, the
 * array its bound; a missing optional field is NULL without an error. */
static void test_jconf_array_and_object_readers(void **state)
{
    (void)state;
    json_error_t je;
    json_t *o = json_loads("{\"a\": [1, 2, 3], \"o\": {}, \"n\": 5}", 0, &je);
    assert_non_null(o);
    static const struct {
        bool array;
        const char *key;
        size_t max;
        bool required;
        int rc;
        const char *msg;
    } cases[] = {
        {true, "a", 3, true, CW_OK, NULL},
        {false, "o", 0, true, CW_OK, NULL},
        {true, "x", 3, false, CW_OK, NULL},
        {false, "x", 0, false, CW_OK, NULL},
        {true, "a", 2, true, CW_EINVAL, "cfg.json: top.a: 3 items exceed the limit of 2"},
        {true, "o", 3, true, CW_EINVAL, "cfg.json: top.o: expected an array"},
        {false, "n", 0, true, CW_EINVAL, "cfg.json: top.n: expected an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ERR[0] = '\0';
        cw_jconf j = {.file = "cfg.json", .rc = CW_OK, .err = ERR, .err_len = sizeof ERR};
        const json_t *v =
            cases[i].array
                ? cw_jconf_array(&j, o, cases[i].key, "top", cases[i].required, cases[i].max)
                : cw_jconf_object(&j, o, cases[i].key, "top", cases[i].required);
        if (j.rc != cases[i].rc || (cases[i].msg && !strstr(ERR, cases[i].msg)))
            fail_msg("case %zu: got %d (%s), want %d (%s)", i, j.rc, ERR, cases[i].rc,
                     cases[i].msg ? cases[i].msg : "");
        bool present = strcmp(cases[i].key, "x") != 0;
        assert_true((v != NULL) == (cases[i].rc == CW_OK && present));
    }
    json_decref(o);
}

/* ---- a client with no reachable node ------------------------------------------------- */

static cw_chain_cfg CFG = {.id = "alpha", .rpc = "ws://127.0.0.1:1"};

static uint64_t hook_counts[5], hook_last_height;
static void hook(void *user, const cw_chain_client *c, enum cw_chain_event ev, uint64_t v)
{
    assert_ptr_equal(user, &CFG);
    (void)c;
    hook_counts[ev] += ev == CW_CHAIN_EV_HEIGHT ? 1 : v;
    if (ev == CW_CHAIN_EV_HEIGHT)
        hook_last_height = v;
}

static void test_init_and_reconnect_backoff(void **state)
{
    (void)state;
    static cw_chain_client c;
    assert_int_equal(cw_chain_client_init(&c, &CFG, 0, 1000, true, ERR, sizeof ERR), CW_EINVAL);
    assert_non_null(strstr(ERR, "no key_file"));
    cw_chain_client_free(&c);
    cw_chain_client_free(NULL);
    assert_int_equal(cw_chain_client_init(&c, &CFG, 0, 1000, false, ERR, sizeof ERR), CW_OK);
    uint64_t t0 = cw_chain_now_ms();
    assert_int_equal(cw_chain_ensure(&c, ERR, sizeof ERR), CW_ECLOSED);
    assert_non_null(strstr(ERR, "connect ws://127.0.0.1:1"));
    /* full jitter in [b/2, b] of the 100 ms backoff, which then doubles */
    assert_true(c.next_try_ms >= t0 + 50 && c.next_try_ms <= cw_chain_now_ms() + 100);
    assert_int_equal(c.backoff_ms, 200);
    assert_null(c.cl);
    /* within the backoff: no attempt, the error says when */
    assert_int_equal(cw_chain_ensure(&c, ERR, sizeof ERR), CW_ECLOSED);
    assert_non_null(strstr(ERR, "reconnecting in"));
    assert_int_equal(c.backoff_ms, 200);
    /* a call while down is refused the same way, and signing needs a key */
    cw_rpc_status st;
    assert_int_equal(cw_chain_status(&c, &st, ERR, sizeof ERR), CW_ECLOSED);
    uint8_t hash[32];
    uint32_t id;
    assert_int_equal(cw_chain_broadcast_send(&c, NULL, 0, hash, &id, ERR, sizeof ERR), CW_EINVAL);
    assert_int_equal(c.reconnects + c.txs_submitted + c.headers_rejected, 0);
    cw_chain_client_free(&c);
}

/* ---- the light client, fed from its cache -------------------------------------------- */

typedef struct chain {
    cw_validator_set vs;
    cw_seckey keys[NVALS];
    uint64_t t0;
} chain;

static void chain_init(chain *ch)
{
    assert_int_equal(cw_gen_validator_set(&ch->vs, ch->keys, SEED, 0, NVALS, NULL), CW_OK);
    ch->t0 = cw_chain_now_ns() - UINT64_C(3600) * 1000000000u; /* an hour ago */
}

static void chain_free(chain *ch)
{
    cw_validator_set_free(&ch->vs);
    cw_wipe(ch->keys, sizeof ch->keys);
}

/* the light block at height h with state root root32 */
static void gen_root(chain *ch, cw_light_block *lb, uint64_t h, const uint8_t *root32)
{
    cw_header hd;
    memset(&hd, 0, sizeof hd);
    strcpy(hd.chain_id, "alpha");
    hd.height = h;
    hd.time_ns = ch->t0 + h * 1000000000u;
    memcpy(hd.state_root, root32, 32);
    hd.proposer = ch->vs.v[0].pubkey;
    static const uint8_t aux[32];
    assert_int_equal(cw_gen_light_block(lb, &hd, &ch->vs, ch->keys, &ch->vs, NULL, aux, ERR,
                                        sizeof ERR),
                     CW_OK);
}

/* the light block at height h (root_byte varies the state root: a conflicting fork) */
static void gen(chain *ch, cw_light_block *lb, uint64_t h, uint8_t root_byte)
{
    uint8_t root[32];
    memset(root, root_byte, 32);
    gen_root(ch, lb, h, root);
}

/* put lb into c's fetch cache as if the node had served it */
static void serve(cw_chain_client *c, const cw_light_block *lb)
{
    uint64_t h = lb->signed_header.header.height;
    cw_chain_lb_cache *s = &c->lbc[h % CW_CHAIN_LB_CACHE];
    cw_light_block_free(&s->lb);
    uint8_t *buf;
    size_t len;
    assert_int_equal(cw_light_block_encode(&buf, &len, lb), CW_OK);
    assert_int_equal(cw_light_block_decode(&s->lb, buf, len, ERR, sizeof ERR), CW_OK);
    free(buf);
    s->height = h;
    s->verified = false;
}

static void test_lc_seed_verify_keep_and_conflict(void **state)
{
    (void)state;
    static chain ch;
    static cw_chain_client c;
    chain_init(&ch);
    memset(hook_counts, 0, sizeof hook_counts);
    assert_int_equal(cw_chain_client_init(&c, &CFG, 3, 1000, false, ERR, sizeof ERR), CW_OK);
    c.hook = hook;
    c.hook_user = &CFG;
    cw_light_block b1, b5, b5x;
    gen(&ch, &b1, 1, 0x11);
    gen(&ch, &b5, 5, 0x55);
    gen(&ch, &b5x, 5, 0xee); /* the same height, another state root: a fork */
    uint8_t h1[32];
    assert_int_equal(cw_block_hash(h1, &b1.signed_header.header), CW_OK);

    /* not seeded: nothing verifies */
    const cw_light_block *out;
    assert_int_equal(cw_chain_lc_verified(&c, 5, &out, ERR, sizeof ERR), CW_ESTATE);
    /* a trust root whose hash is not the served header's is refused and counted */
    serve(&c, &b1);
    uint8_t wrong[32];
    memset(wrong, 0x77, 32);
    assert_int_equal(cw_chain_lc_seed(&c, 1, wrong, ERR, sizeof ERR), CW_EBADHEADER);
    assert_int_equal(c.headers_rejected, 1);
    assert_int_equal(hook_counts[CW_CHAIN_EV_HEADER_REJECTED], 1);
    assert_false(c.lc_seeded);
    /* the right root; then a skip from 1 to 5 verifies under the same validators */
    assert_int_equal(cw_chain_lc_seed(&c, 1, h1, ERR, sizeof ERR), CW_OK);
    assert_true(c.lc_seeded);
    serve(&c, &b5);
    assert_int_equal(cw_chain_lc_verified(&c, 5, &out, ERR, sizeof ERR), CW_OK);
    assert_int_equal(out->signed_header.header.height, 5);
    assert_int_equal(c.lcs.latest_height, 5);
    /* a height neither cached nor fetchable (no node): the connection's error */
    assert_int_equal(cw_chain_lc_verified(&c, 9, &out, ERR, sizeof ERR), CW_ECLOSED);
    /* the kept verified light blocks */
    uint64_t hs[4];
    assert_int_equal(cw_chain_lc_seen_below(&c, 6, hs, 4), 2);
    assert_int_equal(hs[0], 5);
    assert_int_equal(hs[1], 1);
    assert_int_equal(cw_chain_lc_seen_below(&c, 5, hs, 4), 1);
    cw_light_block kept;
    assert_int_equal(cw_chain_lc_seen(&c, 5, &kept, ERR, sizeof ERR), CW_OK);
    assert_memory_equal(kept.signed_header.header.state_root, b5.signed_header.header.state_root,
                        32);
    cw_light_block_free(&kept);
    assert_int_equal(cw_chain_lc_seen(&c, 4, &kept, ERR, sizeof ERR), CW_ENOTFOUND);

    /* after a reconnect the cross-check forgets what the old node served and re-fetches the
     * latest verified height; the new node serves a fork there: verification finds the
     * conflict, records both headers as evidence and freezes the light client */
    c.next_try_ms = UINT64_MAX; /* no real reconnect attempts */
    assert_int_equal(cw_chain_lc_crosscheck(&c, ERR, sizeof ERR), CW_ECLOSED); /* cache dropped */
    serve(&c, &b1);
    serve(&c, &b5x);
    assert_int_equal(cw_chain_lc_verified(&c, 5, &out, ERR, sizeof ERR), CW_EMISBEHAVIOUR);
    assert_true(c.conflict.set);
    assert_memory_equal(c.conflict.lb[0].signed_header.header.state_root,
                        b5.signed_header.header.state_root, 32);
    assert_memory_equal(c.conflict.lb[1].signed_header.header.state_root,
                        b5x.signed_header.header.state_root, 32);
    assert_true(c.lcs.frozen_height != 0);
    assert_int_equal(c.headers_rejected, 2);
    assert_int_equal(hook_counts[CW_CHAIN_EV_HEADER_REJECTED], 2);
    /* frozen: the cross-check has nothing more to say */
    assert_int_equal(cw_chain_lc_crosscheck(&c, ERR, sizeof ERR), CW_OK);

    cw_light_block_free(&b1);
    cw_light_block_free(&b5);
    cw_light_block_free(&b5x);
    cw_chain_client_free(&c);
    chain_free(&ch);
}

/* A light block re-fetched at a height the light client already holds (its cached copy
 * dropped, as after a reconnect) whose header yields the held consensus state is still
 * verified before it is used: the library's update calls it a no-op without checking the
 * commit (DESIGN §6), but this header is handed out whole (relayed, kept as evidence), so a
 * copy with forged signatures is rejected, counted, and never returned or kept. */
static void test_lc_refetched_header_with_forged_commit_is_not_taken(void **state)
{
    (void)state;
    static chain ch;
    static cw_chain_client c;
    chain_init(&ch);
    memset(hook_counts, 0, sizeof hook_counts);
    assert_int_equal(cw_chain_client_init(&c, &CFG, 3, 1000, false, ERR, sizeof ERR), CW_OK);
    c.hook = hook;
    c.hook_user = &CFG;
    cw_light_block b1, b5, b5f;
    gen(&ch, &b1, 1, 0x11);
    gen(&ch, &b5, 5, 0x55);
    gen(&ch, &b5f, 5, 0x55);
    for (uint32_t i = 0; i < b5f.signed_header.commit.n_sigs; i++)
        b5f.signed_header.commit.sigs[i].signature.b[3] ^= 1;
    uint8_t h1[32];
    assert_int_equal(cw_block_hash(h1, &b1.signed_header.header), CW_OK);
    serve(&c, &b1);
    assert_int_equal(cw_chain_lc_seed(&c, 1, h1, ERR, sizeof ERR), CW_OK);
    serve(&c, &b5);
    const cw_light_block *out;
    assert_int_equal(cw_chain_lc_verified(&c, 5, &out, ERR, sizeof ERR), CW_OK);

    /* the cache drops; the node now serves the same header with a forged commit */
    c.next_try_ms = UINT64_MAX;
    assert_int_equal(cw_chain_lc_crosscheck(&c, ERR, sizeof ERR), CW_ECLOSED);
    serve(&c, &b1);
    serve(&c, &b5f);
    assert_int_equal(cw_chain_lc_verified(&c, 5, &out, ERR, sizeof ERR), CW_EBADSIG);
    assert_int_equal(c.headers_rejected, 1);
    assert_int_equal(hook_counts[CW_CHAIN_EV_HEADER_REJECTED], 1);
    assert_int_equal(c.lcs.frozen_height, 0);
    assert_false(c.conflict.set);
    /* what is kept at 5 is still the verified header, with its valid commit */
    cw_light_block kept;
    assert_int_equal(cw_chain_lc_seen(&c, 5, &kept, ERR, sizeof ERR), CW_OK);
    assert_memory_equal(&kept.signed_header.commit.sigs[0].signature,
                        &b5.signed_header.commit.sigs[0].signature,
                        sizeof kept.signed_header.commit.sigs[0].signature);
    cw_light_block_free(&kept);
    /* the honest copy verifies again */
    serve(&c, &b5);
    assert_int_equal(cw_chain_lc_verified(&c, 5, &out, ERR, sizeof ERR), CW_OK);

    cw_light_block_free(&b1);
    cw_light_block_free(&b5);
    cw_light_block_free(&b5f);
    cw_chain_client_free(&c);
    chain_free(&ch);
}

/* ---- proven answers, checked against the verified header --------------------------- */

/* a chain's state store (the node's SMT) holding key = val, committed at version h */
typedef struct state {
    char dir[64];
    MDB_env *env;
    cw_smt *smt;
    uint8_t root[32];
} state;

static void state_init(state *s, uint64_t h, const char *key, const uint8_t *val, size_t vl)
{
    memset(s, 0, sizeof *s);
    strcpy(s->dir, "/tmp/cw_cc_test.XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    assert_int_equal(mdb_env_create(&s->env), 0);
    assert_int_equal(mdb_env_set_maxdbs(s->env, 8), 0);
    assert_int_equal(mdb_env_set_mapsize(s->env, (size_t)64 << 20), 0);
    assert_int_equal(mdb_env_open(s->env, s->dir, MDB_NOSYNC, 0600), 0);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
    assert_int_equal(cw_smt_open(&s->smt, s->env, txn, 4, ERR, sizeof ERR), CW_OK);
    assert_int_equal(cw_smt_set(s->smt, (const uint8_t *)key, strlen(key), val, vl, ERR,
                                sizeof ERR), CW_OK);
    assert_int_equal(cw_smt_set(s->smt, (const uint8_t *)"other", 5, val, vl, ERR, sizeof ERR),
                     CW_OK);
    assert_int_equal(cw_smt_commit(s->smt, txn, h, s->root, ERR, sizeof ERR), CW_OK);
    assert_int_equal(mdb_txn_commit(txn), 0);
}

/* the node's proof of key at version h (malloc'd) */
static uint8_t *state_prove(state *s, uint64_t h, const char *key, size_t *len)
{
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn), 0);
    uint8_t *proof = NULL;
    bool exists;
    assert_int_equal(cw_smt_prove(s->smt, txn, h, &proof, len, &exists, (const uint8_t *)key,
                                  strlen(key), ERR, sizeof ERR), CW_OK);
    mdb_txn_abort(txn);
    return proof;
}

static void state_free(state *s)
{
    cw_smt_close(s->smt);
    mdb_env_close(s->env);
    static const char *const files[] = {"data.mdb", "lock.mdb"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", s->dir, files[i]);
        unlink(p);
    }
    rmdir(s->dir);
}

/* A proof the node served is checked against the state root of the header the light client
 * verified at the proof height (the root the IBC host checks it against): a good one (value
 * or absence) passes; a corrupted proof, a wrong value, a missing proof or a proof at another
 * root is refused, counted (proofs_rejected and the hook) and never returned. */
static void test_proof_check_against_verified_root(void **state_)
{
    (void)state_;
    static chain ch;
    static cw_chain_client c;
    static state st;
    chain_init(&ch);
    memset(hook_counts, 0, sizeof hook_counts);
    char key[CW_PATH_MAX];
    cw_path_packet(key, CW_PATH_COMMITMENTS, "transfer", "channel-0", 1);
    uint8_t val[32];
    memset(val, 0xc5, sizeof val);
    state_init(&st, 5, key, val, sizeof val);
    size_t pl, npl;
    uint8_t *proof = state_prove(&st, 5, key, &pl);
    char absent[CW_PATH_MAX];
    cw_path_packet(absent, CW_PATH_COMMITMENTS, "transfer", "channel-0", 2);
    uint8_t *nproof = state_prove(&st, 5, absent, &npl);

    assert_int_equal(cw_chain_client_init(&c, &CFG, 0, 1000, false, ERR, sizeof ERR), CW_OK);
    c.hook = hook;
    c.hook_user = &CFG;
    c.next_try_ms = UINT64_MAX; /* no node: no connection attempts */
    cw_light_block b1, b5, b6;
    gen(&ch, &b1, 1, 0x11);
    gen_root(&ch, &b5, 5, st.root);
    gen(&ch, &b6, 6, 0x66);
    uint8_t h1[32];
    assert_int_equal(cw_block_hash(h1, &b1.signed_header.header), CW_OK);
    serve(&c, &b1);
    assert_int_equal(cw_chain_lc_seed(&c, 1, h1, ERR, sizeof ERR), CW_OK);
    serve(&c, &b5);
    serve(&c, &b6);

    /* good: the value, and an absent key's non-membership */
    assert_int_equal(cw_chain_proof_check(&c, key, val, sizeof val, proof, pl, 5, ERR,
                                          sizeof ERR), CW_OK);
    assert_int_equal(cw_chain_proof_check(&c, absent, NULL, 0, nproof, npl, 5, ERR, sizeof ERR),
                     CW_OK);
    assert_int_equal(c.proofs_rejected, 0);

    /* a flipped byte anywhere in the proof */
    uint64_t want = 0;
    for (size_t i = 0; i < pl; i += pl / 7 + 1) {
        proof[i] ^= 0x01;
        assert_int_equal(cw_chain_proof_check(&c, key, val, sizeof val, proof, pl, 5, ERR,
                                              sizeof ERR), CW_EBADPROOF);
        proof[i] ^= 0x01;
        assert_int_equal(c.proofs_rejected, ++want);
    }
    assert_non_null(strstr(ERR, "proof of commitments/ports/transfer/channels/channel-0/"
                                "sequences/1 at height 5 rejected"));
    /* a value the proof does not prove; a present key claimed absent; no proof at all */
    val[0] ^= 1;
    assert_int_equal(cw_chain_proof_check(&c, key, val, sizeof val, proof, pl, 5, ERR,
                                          sizeof ERR), CW_EBADPROOF);
    val[0] ^= 1;
    assert_int_equal(cw_chain_proof_check(&c, key, NULL, 0, proof, pl, 5, ERR, sizeof ERR),
                     CW_EBADPROOF);
    assert_int_equal(cw_chain_proof_check(&c, key, val, sizeof val, NULL, 0, 5, ERR, sizeof ERR),
                     CW_EBADPROOF);
    want += 3;
    /* a good proof of height 5's state shown for height 6 (another root) */
    assert_int_equal(cw_chain_proof_check(&c, key, val, sizeof val, proof, pl, 6, ERR,
                                          sizeof ERR), CW_EBADPROOF);
    want++;
    assert_int_equal(c.proofs_rejected, want);
    assert_int_equal(hook_counts[CW_CHAIN_EV_PROOF_REJECTED], want);
    assert_int_equal(c.headers_rejected, 0);
    /* a height the light client cannot verify (no node): not the proof's fault, not counted */
    assert_int_equal(cw_chain_proof_check(&c, key, val, sizeof val, proof, pl, 9, ERR,
                                          sizeof ERR), CW_ECLOSED);
    assert_int_equal(c.proofs_rejected, want);

    free(proof);
    free(nproof);
    cw_light_block_free(&b1);
    cw_light_block_free(&b5);
    cw_light_block_free(&b6);
    cw_chain_client_free(&c);
    state_free(&st);
    chain_free(&ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust_root_parse),
        cmocka_unit_test(test_cfg_read_and_env),
        cmocka_unit_test(test_jconf_array_and_object_readers),
        cmocka_unit_test(test_init_and_reconnect_backoff),
        cmocka_unit_test(test_lc_seed_verify_keep_and_conflict),
        cmocka_unit_test(test_lc_refetched_header_with_forged_commit_is_not_taken),
        cmocka_unit_test(test_proof_check_against_verified_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
