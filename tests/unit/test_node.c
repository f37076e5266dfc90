/* The chain node in-process: genesis, mempool admission rules, block production, proofs
 * against header state roots, durability across close/reopen, validator-set updates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "causeway/schnorr.h"

/* Every cw_wipe in node.c goes through spy_wipe, so a test can see how much the block
 * producer wiped (the node's only wipe is of the block's signing keys). */
static size_t spy_wipe_len;
void spy_wipe(void *p, size_t n);
#define cw_wipe spy_wipe
#include "../../chain/chain.h"
#include "../../chain/node.c" /* to reach the statics under test */
#undef cw_wipe
#include "../../relayer/db.c" /* the relayer's store, to shrink its map */
void spy_wipe(void *p, size_t n)
{
    spy_wipe_len = n;
    cw_wipe(p, n);
}
#include "causeway/bank.h"
#include "causeway/ics23.h"
#include "causeway/app_msgs.h"
#include "causeway/keys.h"
#include "causeway/rpc_results.h"
#include "causeway/rpc_server.h"
#include "causeway/tx.h"

struct fx {
    char home[64];
    cw_node *node;
    cw_seckey alice;
    cw_pubkey32 alice_pk;
    cw_address alice_addr, bob_addr;
};

static void rm_rf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void load_key(struct fx *f, const char *name, cw_seckey *sk, cw_pubkey32 *pk)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/keys/%s.json", f->home, name);
    assert_int_equal(cw_keyfile_read(path, sk, pk, err, sizeof err), CW_OK);
}

/* `causeway-chain init` a fresh home for chain "alpha" (alice and bob hold 1000 uatom). */
static int init_home(char home[static 64])
{
    snprintf(home, 64, "/tmp/cwnodeXXXXXX");
    if (!mkdtemp(home))
        return -1;
    rm_rf(home);
    char *argv[] = {"init", "--home", home, "--chain-id", "alpha", "--validators", "4",
                    "--accounts", "alice,bob", "--denoms", "uatom", "--amount", "1000", NULL};
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int rc = cw_chain_cmd_init(13, argv);
    fclose(stdout);
    stdout = saved;
    return rc ? -1 : 0;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (init_home(f->home))
        return -1;
    char err[256];
    if (cw_node_open(&f->node, f->home, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    load_key(f, "alice", &f->alice, &f->alice_pk);
    cw_address_of(&f->alice_addr, &f->alice_pk);
    cw_seckey bob;
    cw_pubkey32 bob_pk;
    load_key(f, "bob", &bob, &bob_pk);
    cw_address_of(&f->bob_addr, &bob_pk);
    cw_seckey_wipe(&bob);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    cw_node_close(f->node);
    rm_rf(f->home);
    cw_seckey_wipe(&f->alice);
    free(f);
    return 0;
}

static uint8_t *send_tx(struct fx *f, const char *chain, uint64_t nonce, uint64_t amount,
                        size_t *len)
{
    cw_enc e;
    char err[256];
    uint8_t *buf;
    cw_enc_init(&e);
    cw_msg_bank_send_enc(&e, &(cw_msg_bank_send){.to = f->bob_addr, .denom = "uatom",
                                                 .amount = amount});
    cw_bytes m = {cw_enc_data(&e), cw_enc_len(&e)};
    assert_int_equal(cw_tx_sign(&buf, len, chain, &f->alice, nonce, 0, &m, 1, "", err, sizeof err),
                     CW_OK);
    cw_enc_free(&e);
    return buf;
}

static int submit(struct fx *f, const uint8_t *tx, size_t len, char *err, size_t err_len)
{
    uint8_t h[32];
    return cw_node_submit_tx(f->node, tx, len, h, err, err_len);
}

static void produce(struct fx *f, uint64_t t)
{
    char err[256];
    int rc = cw_node_produce_block(f->node, t, err, sizeof err);
    if (rc)
        fail_msg("produce: %s", err);
}

/* Decode the light block at height h into lb (caller frees). */
static void light_block(struct fx *f, uint64_t h, cw_light_block *lb)
{
    cw_enc e;
    char err[256];
    cw_enc_init(&e);
    assert_int_equal(cw_node_light_block(f->node, h, &e, err, sizeof err), CW_OK);
    assert_int_equal(cw_light_block_decode(lb, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err),
                     CW_OK);
    cw_enc_free(&e);
}

/* Open one whole encoded answer (strict, canonical) into d; its root. */
static const msgpack_object *open_answer(cw_dec *d, const cw_enc *e)
{
    char err[256];
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(d, &root, cw_enc_data(e), cw_enc_len(e), 64u << 20, err,
                                 sizeof err), CW_OK);
    return root;
}

/* A query answer's item (value, or none = absent, and its proof) verifies with the ICS-23
 * verifier against the state root of the signed header at height h: membership of exactly
 * that value, or non-membership. */
static void verify_answer(struct fx *f, uint64_t h, const uint8_t *key, size_t key_len,
                          const cw_rpc_qitem *it)
{
    char err[256];
    assert_true(it->has_proof);
    cw_light_block lb;
    light_block(f, h, &lb);
    const uint8_t *root32 = lb.signed_header.header.state_root;
    if (it->has_value)
        assert_int_equal(cw_ics23_verify_membership(cw_ics23_spec_smt(), root32, it->proof.p,
                                                    it->proof.len, key, key_len, it->value.p,
                                                    it->value.len, err, sizeof err),
                         CW_OK);
    else
        assert_int_equal(cw_ics23_verify_non_membership(cw_ics23_spec_smt(), root32,
                                                        it->proof.p, it->proof.len, key,
                                                        key_len, err, sizeof err),
                         CW_OK);
    cw_light_block_free(&lb);
}

static uint64_t balance_at(struct fx *f, const cw_address *a, uint64_t h, bool verify)
{
    char key[CW_KEY_MAX], err[256];
    assert_int_equal(cw_key_bank_balance(key, a, "uatom"), CW_OK);
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_query(f->node, (const uint8_t *)key, strlen(key), h, true, &e, err,
                                   sizeof err), CW_OK);
    cw_dec d;
    cw_rpc_query q;
    cw_rpc_query_dec(&d, open_answer(&d, &e), &q);
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(q.height, h);
    uint64_t v;
    if (verify) /* the proof verifies against the signed header's state root at h */
        verify_answer(f, h, (const uint8_t *)key, strlen(key), &q.item);
    assert_int_equal(cw_val_be64_dec(&v, q.item.has_value ? q.item.value.p : NULL,
                                     q.item.value.len, err, sizeof err), CW_OK);
    cw_dec_close(&d);
    cw_enc_free(&e);
    return v;
}

static void test_blocks_link_and_time_strictly_increases(void **state)
{
    struct fx *f = *state;
    produce(f, 100);
    produce(f, 100); /* clock did not move: time = previous + 1 ns */
    produce(f, 50);  /* clock went back */
    cw_light_block a, b, c;
    light_block(f, 1, &a);
    light_block(f, 2, &b);
    light_block(f, 3, &c);
    assert_true(b.signed_header.header.time_ns == a.signed_header.header.time_ns + 1);
    assert_true(c.signed_header.header.time_ns == b.signed_header.header.time_ns + 1);
    assert_memory_equal(b.signed_header.header.last_block_hash, a.signed_header.commit.block_hash,
                        32);
    assert_memory_equal(c.signed_header.header.last_block_hash, b.signed_header.commit.block_hash,
                        32);
    assert_int_equal(a.signed_header.commit.n_sigs, 4); /* all validators sign */
    cw_light_block_free(&a);
    cw_light_block_free(&b);
    cw_light_block_free(&c);
}

static void test_transfer_lands_and_proofs_verify_at_each_height(void **state)
{
    struct fx *f = *state;
    char err[256];
    cw_node_status st;
    cw_node_get_status(f->node, &st);
    uint64_t h0 = st.latest_height;
    size_t len;
    uint8_t *tx = send_tx(f, "alpha", 0, 25, &len);
    assert_int_equal(submit(f, tx, len, err, sizeof err), CW_OK);
    produce(f, 1000000);
    assert_int_equal(balance_at(f, &f->bob_addr, h0 + 1, true), 1025);
    assert_int_equal(balance_at(f, &f->alice_addr, h0 + 1, true), 975);
    assert_int_equal(balance_at(f, &f->bob_addr, h0, true), 1000); /* older height still there */
    cw_address nobody;
    memset(nobody.b, 0x42, 20);
    assert_int_equal(balance_at(f, &nobody, h0 + 1, true), 0); /* non-membership proof */
    /* the tx is findable by hash with its result */
    cw_tx t;
    assert_int_equal(cw_tx_decode(&t, tx, len, err, sizeof err), CW_OK);
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_tx(f->node, t.hash, &e, err, sizeof err), CW_OK);
    cw_enc_free(&e);
    cw_tx_free(&t);
    /* replaying the same envelope is refused at admission */
    assert_int_equal(submit(f, tx, len, err, sizeof err), CW_ENONCE);
    assert_non_null(strstr(err, "already used"));
    free(tx);
}

static void test_admission_rejects_bad_txs_with_reasons(void **state)
{
    struct fx *f = *state;
    char err[256];
    size_t len;
    uint64_t n;
    uint8_t *tx;
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_account(f->node, &f->alice_addr, &e, err, sizeof err), CW_OK);
    cw_enc_free(&e);
    /* next nonce is 1 after the previous test */
    n = 1;
    tx = send_tx(f, "beta", n, 1, &len);
    assert_int_equal(submit(f, tx, len, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "chain id 'beta'"));
    free(tx);
    tx = send_tx(f, "alpha", n + 1, 1, &len);
    assert_int_equal(submit(f, tx, len, err, sizeof err), CW_ENONCE);
    assert_non_null(strstr(err, "nonce gap"));
    free(tx);
    tx = send_tx(f, "alpha", n, 1, &len);
    tx[len - 1] ^= 1; /* signature byte */
    assert_int_equal(submit(f, tx, len, err, sizeof err), CW_EBADSIG);
    tx[len - 1] ^= 1;
    tx[3] ^= 0x80; /* structure */
    assert_int_not_equal(submit(f, tx, len, err, sizeof err), CW_OK);
    tx[3] ^= 0x80;
    /* pending nonces are admitted in sequence: n, n+1, n+2 */
    assert_int_equal(submit(f, tx, len, err, sizeof err), CW_OK);
    free(tx);
    tx = send_tx(f, "alpha", n + 1, 1, &len);
    assert_int_equal(submit(f, tx, len, err, sizeof err), CW_OK);
    free(tx);
    tx = send_tx(f, "alpha", n + 2, 1000000, &len); /* admitted; fails in execution */
    assert_int_equal(submit(f, tx, len, err, sizeof err), CW_OK);
    free(tx);
    cw_node_status st;
    cw_node_get_status(f->node, &st);
    assert_int_equal(st.mempool_txs, 3);
    produce(f, 2000000);
    cw_node_get_status(f->node, &st);
    assert_int_equal(st.mempool_txs, 0);
    /* the failing tx consumed its nonce; balances moved by the two good ones only */
    assert_int_equal(balance_at(f, &f->bob_addr, st.latest_height, false), 1027);
    tx = send_tx(f, "alpha", n + 3, 1, &len);
    assert_int_equal(submit(f, tx, len, err, sizeof err), CW_OK);
    free(tx);
    produce(f, 3000000);
}

static void test_restart_resumes_same_chain(void **state)
{
    struct fx *f = *state;
    char err[256];
    cw_node_status before, after;
    cw_node_get_status(f->node, &before);
    cw_light_block lb1;
    light_block(f, before.latest_height, &lb1);
    cw_node_close(f->node);
    assert_int_equal(cw_node_open(&f->node, f->home, err, sizeof err), CW_OK);
    cw_node_get_status(f->node, &after);
    assert_int_equal(after.latest_height, before.latest_height);
    assert_memory_equal(after.latest_block_hash, before.latest_block_hash, 32);
    assert_memory_equal(after.latest_state_root, before.latest_state_root, 32);
    produce(f, 1);
    cw_light_block lb2;
    light_block(f, before.latest_height + 1, &lb2);
    assert_memory_equal(lb2.signed_header.header.last_block_hash,
                        lb1.signed_header.commit.block_hash, 32);
    assert_true(lb2.signed_header.header.time_ns > lb1.signed_header.header.time_ns);
    cw_light_block_free(&lb1);
    cw_light_block_free(&lb2);
}

/* Sign admin.update_validators [vs] with the genesis admin's key at nonce and submit it;
 * the msg is left in msg (the caller frees it). */
static void submit_validator_update(struct fx *f, const cw_seckey *admin, uint64_t nonce,
                                    const cw_validator_set *vs, cw_enc *msg)
{
    char err[256];
    uint8_t *tx, h[32];
    size_t len;
    cw_msg_admin_update_validators_enc(msg, &(cw_msg_admin_update_validators){*vs});
    cw_bytes m = {cw_enc_data(msg), cw_enc_len(msg)};
    assert_int_equal(cw_tx_sign(&tx, &len, "alpha", admin, nonce, 0, &m, 1, "", err, sizeof err),
                     CW_OK);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_OK);
    free(tx);
}

static void test_validator_update_by_admin_changes_next_set(void **state)
{
    struct fx *f = *state;
    char err[256], path[128];
    cw_seckey admin;
    cw_pubkey32 admin_pk;
    load_key(f, "admin", &admin, &admin_pk);
    /* new set: the first three genesis validators with powers 10, 20, 30 */
    cw_light_block cur;
    cw_node_status st;
    cw_node_get_status(f->node, &st);
    light_block(f, st.latest_height, &cur);
    cw_validator_set vs = {0};
    assert_int_equal(cw_validator_set_copy(&vs, &cur.validator_set), CW_OK);
    vs.n = 3;
    for (uint32_t i = 0; i < 3; i++)
        vs.v[i].power = 10 * (i + 1);
    cw_enc e;
    cw_enc_init(&e);
    submit_validator_update(f, &admin, 0, &vs, &e);
    cw_bytes m = {cw_enc_data(&e), cw_enc_len(&e)};
    uint8_t *tx;
    size_t len;
    /* the same msg from alice is refused in execution */
    assert_int_equal(cw_tx_sign(&tx, &len, "alpha", &f->alice, 5, 0, &m, 1, "", err, sizeof err),
                     CW_OK);
    uint8_t h2[32];
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h2, err, sizeof err), CW_OK);
    free(tx);
    produce(f, 4000000);
    cw_light_block a, b;
    light_block(f, st.latest_height + 1, &a);
    uint8_t want[32];
    assert_int_equal(cw_validators_hash(want, &vs), CW_OK);
    assert_memory_equal(a.signed_header.header.next_validators_hash, want, 32);
    assert_memory_not_equal(a.signed_header.header.validators_hash, want, 32);
    produce(f, 5000000);
    light_block(f, st.latest_height + 2, &b);
    assert_memory_equal(b.signed_header.header.validators_hash, want, 32);
    assert_int_equal(b.validator_set.n, 3);
    assert_int_equal(b.signed_header.commit.n_sigs, 3);
    cw_enc_free(&e);
    /* alice's attempt failed with a reason */
    cw_enc r;
    cw_enc_init(&r);
    assert_int_equal(cw_node_tx(f->node, h2, &r, err, sizeof err), CW_OK);
    assert_non_null(memmem(cw_enc_data(&r), cw_enc_len(&r), "not the genesis admin", 20));
    cw_enc_free(&r);
    cw_validator_set_free(&vs);
    cw_light_block_free(&cur);
    cw_light_block_free(&a);
    cw_light_block_free(&b);
    cw_seckey_wipe(&admin);
    (void)path;
}

/* Submit an update to the set `to` (admin's nonce), then produce two blocks at t and
 * t + 1 ms: the first executes the update, signed by the from_n validators in office; the second is
 * signed by `to`, of which this node holds `held` keys. Each block must wipe exactly the
 * signing keys it allocated. */
static void update_then_two_blocks(struct fx *f, const cw_seckey *admin, uint64_t nonce,
                                   const cw_validator_set *to, uint32_t from_n, uint32_t held,
                                   uint64_t t)
{
    cw_node_status st;
    cw_node_get_status(f->node, &st);
    cw_enc e;
    cw_enc_init(&e);
    submit_validator_update(f, admin, nonce, to, &e);
    cw_enc_free(&e);
    spy_wipe_len = 0;
    produce(f, t);
    assert_int_equal(spy_wipe_len, from_n * sizeof(cw_seckey));
    assert_int_equal(f->node->cur_vals.n, to->n);
    spy_wipe_len = 0;
    produce(f, t + 1000000);
    assert_int_equal(spy_wipe_len, to->n * sizeof(cw_seckey));
    cw_light_block lb;
    light_block(f, st.latest_height + 2, &lb);
    assert_int_equal(lb.validator_set.n, to->n);
    assert_int_equal(lb.signed_header.commit.n_sigs, held);
    cw_light_block_free(&lb);
}

/* A validator-set update that grows the set (4 -> 5) and one that shrinks it back (5 -> 4).
 * The block that executes an update is signed by the old set and switches the node to the
 * new one: its signing keys must be wiped by the count they were allocated with — a grown
 * set overran the allocation (ASan: heap-buffer-overflow), a shrunk one left the last key
 * unwiped. The blocks after each update are signed by the new set. */
static void test_validator_set_grows_and_shrinks_and_every_signing_key_is_wiped(void **state)
{
    struct fx *f = *state;
    cw_seckey admin;
    cw_pubkey32 admin_pk;
    load_key(f, "admin", &admin, &admin_pk);
    cw_validator_set four = {0}, five = {0};
    assert_int_equal(cw_validator_set_copy(&four, &f->node->cur_vals), CW_OK);
    assert_int_equal(four.n, 4);
    /* five: the genesis four plus a fifth (the admin's key, which this node does not hold),
     * in the set's order (sorted by pubkey) */
    five.n = 5;
    five.v = calloc(5, sizeof *five.v);
    assert_non_null(five.v);
    uint32_t at = 0;
    while (at < 4 && memcmp(four.v[at].pubkey.b, admin_pk.b, 32) < 0)
        at++;
    memcpy(five.v, four.v, at * sizeof *five.v);
    memcpy(five.v + at + 1, four.v + at, (4 - at) * sizeof *five.v);
    five.v[at].pubkey = admin_pk;
    five.v[at].power = four.v[0].power;
    update_then_two_blocks(f, &admin, 0, &five, 4, 4, 1000000); /* grow */
    update_then_two_blocks(f, &admin, 1, &four, 5, 4, 3000000); /* shrink */
    cw_validator_set_free(&four);
    cw_validator_set_free(&five);
    cw_seckey_wipe(&admin);
}

/* A full LMDB map is one error in every store: the node's block production and the
 * relayer's database both answer -ENOSPC (as a full disk would), never -EIO or a raw
 * MDB_MAP_FULL (which sits inside the CW range). Each map is shrunk to the pages in use. */
static void test_a_full_map_is_enospc_from_the_node_and_the_relayer_db(void **state)
{
    struct fx *f = *state;
    char err[256];
    /* the node: no write txn is open between blocks, so the map may be resized */
    assert_int_equal(mdb_env_set_mapsize(f->node->env, 1), MDB_SUCCESS);
    int node_rc = CW_OK;
    for (uint64_t nonce = 0; nonce < 1000 && node_rc == CW_OK; nonce++) {
        size_t len;
        uint8_t *tx = send_tx(f, "alpha", nonce, 1, &len);
        assert_int_equal(submit(f, tx, len, err, sizeof err), CW_OK);
        free(tx);
        node_rc = cw_node_produce_block(f->node, 1000000 * (nonce + 1), err, sizeof err);
    }
    assert_int_equal(node_rc, -ENOSPC);
    assert_non_null(strstr(err, "MDB_MAP_FULL"));

    /* the relayer's database */
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/cwrlydbXXXXXX");
    assert_non_null(mkdtemp(dir));
    rly_db *db;
    assert_int_equal(rly_db_open(&db, dir, err, sizeof err), CW_OK);
    assert_int_equal(mdb_env_set_mapsize(db->env, 1), MDB_SUCCESS);
    static uint8_t val[16384];
    int db_rc = CW_OK;
    for (unsigned i = 0; i < 1000 && db_rc == CW_OK; i++) {
        char key[32];
        snprintf(key, sizeof key, "sub/alpha/%04u", i);
        db_rc = rly_db_put(db, key, val, sizeof val);
    }
    assert_int_equal(db_rc, -ENOSPC);
    assert_int_equal(db_rc, node_rc);
    rly_db_close(db);
    rm_rf(dir);
}

static void test_reads_of_missing_heights_are_errors(void **state)
{
    struct fx *f = *state;
    char err[256];
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_light_block(f->node, 0, &e, err, sizeof err), CW_ENOTFOUND);
    assert_int_equal(cw_node_light_block(f->node, 1000000, &e, err, sizeof err), CW_ENOTFOUND);
    assert_non_null(strstr(err, "height 1000000 not found"));
    assert_int_equal(cw_node_query(f->node, (const uint8_t *)"x", 1, 1000000, true, &e, err,
                                   sizeof err), CW_ENOTFOUND);
    uint8_t h[32] = {0};
    assert_int_equal(cw_node_tx(f->node, h, &e, err, sizeof err), CW_ENOTFOUND);
    assert_int_equal(cw_enc_len(&e), 0);
    cw_enc_free(&e);
}

/* config.json sets the RPC session limits; a bad one is refused naming field and value. */
static void put_config(const char *path, const char *json)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(json, fp);
    fclose(fp);
}

static void test_config_rpc_limits_validated_and_round_trip(void **state)
{
    (void)state;
    static const struct {
        const char *json, *err;
    } bad[] = {
        {"{\"max_connections\": 0}", "config.json: max_connections: 0 is outside"},
        {"{\"max_connections\": 70000}", "config.json: max_connections: 70000 is outside"},
        {"{\"max_sessions_per_peer\": 0}", "config.json: max_sessions_per_peer: 0 is outside"},
        {"{\"max_connections\": 8, \"max_sessions_per_peer\": 9}",
         "config.json: max_sessions_per_peer: 9 is more than max_connections (8)"},
        {"{\"max_sessions_per_peer\": 300}",
         "config.json: max_sessions_per_peer: 300 is more than max_connections (256)"},
        {"{\"idle_timeout_s\": 0}", "config.json: idle_timeout_s: 0 is outside"},
        {"{\"idle_timeout_s\": 86401}", "config.json: idle_timeout_s: 86401 is outside"},
        {"{\"handshake_timeout_s\": 3601}", "config.json: handshake_timeout_s: 3601 is outside"},
        {"{\"ping_interval_s\": 0}", "config.json: ping_interval_s: 0 is outside"},
        {"{\"ping_interval_s\": \"30\"}", "config.json: ping_interval_s"},
    };
    char dir[] = "/tmp/cwrpccfgXXXXXX", path[128], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/config.json", dir);
    cw_node_config c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_config(path, bad[i].json);
        err[0] = 0;
        int rc = cw_node_config_load(&c, path, err, sizeof err);
        if (rc == CW_OK || !strstr(err, bad[i].err))
            fail_msg("%s: rc %d, err \"%s\", want \"%s\"", bad[i].json, rc, err, bad[i].err);
    }
    /* absent: the server's defaults; a per-peer cap left out follows a small max_connections */
    put_config(path, "{}");
    assert_int_equal(cw_node_config_load(&c, path, err, sizeof err), CW_OK);
    assert_int_equal(c.max_connections, 256);
    assert_int_equal(c.max_sessions_per_peer, CW_RPC_PER_PEER_DEFAULT);
    assert_int_equal(c.idle_timeout_s, CW_RPC_IDLE_TIMEOUT_DEFAULT);
    assert_int_equal(c.handshake_timeout_s, CW_RPC_HANDSHAKE_TIMEOUT_DEFAULT);
    assert_int_equal(c.ping_interval_s, CW_RPC_PING_INTERVAL_DEFAULT);
    put_config(path, "{\"max_connections\": 8}");
    assert_int_equal(cw_node_config_load(&c, path, err, sizeof err), CW_OK);
    assert_int_equal(c.max_sessions_per_peer, 8);
    /* set, written and read back */
    put_config(path, "{\"max_connections\": 64, \"max_sessions_per_peer\": 2, "
                     "\"idle_timeout_s\": 300, \"handshake_timeout_s\": 3, "
                     "\"ping_interval_s\": 7}");
    assert_int_equal(cw_node_config_load(&c, path, err, sizeof err), CW_OK);
    assert_int_equal(cw_node_config_write(&c, path, err, sizeof err), CW_OK);
    cw_node_config back;
    assert_int_equal(cw_node_config_load(&back, path, err, sizeof err), CW_OK);
    assert_int_equal(back.max_connections, 64);
    assert_int_equal(back.max_sessions_per_peer, 2);
    assert_int_equal(back.idle_timeout_s, 300);
    assert_int_equal(back.handshake_timeout_s, 3);
    assert_int_equal(back.ping_interval_s, 7);
    unlink(path);
    rmdir(dir);
}

static void test_bad_genesis_and_config_name_file_field_value(void **state)
{
    (void)state;
    char dir[] = "/tmp/cwbadXXXXXX", path[128], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *fp = fopen(path, "w");
    fputs("{\"port\": 70000}", fp);
    fclose(fp);
    cw_node_config c;
    assert_int_equal(cw_node_config_load(&c, path, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "config.json: port: 70000 is outside"));
    fp = fopen(path, "w");
    fputs("{\"prot\": 1}", fp);
    fclose(fp);
    assert_int_equal(cw_node_config_load(&c, path, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "prot: unknown field"));
    fp = fopen(path, "w");
    fputs("{\"port\": ", fp);
    fclose(fp);
    assert_int_equal(cw_node_config_load(&c, path, err, sizeof err), CW_EMALFORMED);
    snprintf(path, sizeof path, "%s/genesis.json", dir);
    fp = fopen(path, "w");
    fputs("{\"chain_id\":\"a/b\",\"genesis_time_ns\":1,\"validators\":[],\"admin\":\"00\","
          "\"oracle\":\"00\"}", fp);
    fclose(fp);
    cw_genesis g;
    assert_int_equal(cw_genesis_load(&g, path, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "genesis.json: chain_id"));
    rm_rf(dir);
}

/* Genesis with several lending markets: `init --market` (repeated, or a list) writes a
 * "markets" list that loads back in order; the older single "market" object still loads; both
 * at once, or the same asset twice, are refused. */
static void test_genesis_takes_several_markets(void **state)
{
    (void)state;
    char dir[] = "/tmp/cwmktXXXXXX", path[160], err[512];
    assert_non_null(mkdtemp(dir));
    char home[64];
    snprintf(home, sizeof home, "%s/h", dir);
    char *argv[] = {"init", "--home", home, "--chain-id", "beta", "--denoms", "uusd,ueur",
                    "--market", "uusd", "--market", "ueur,ugbp", NULL};
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int rc = cw_chain_cmd_init(11, argv);
    fclose(stdout);
    stdout = saved;
    assert_int_equal(rc, 0);
    snprintf(path, sizeof path, "%s/genesis.json", home);
    cw_genesis g;
    assert_int_equal(cw_genesis_load(&g, path, err, sizeof err), CW_OK);
    assert_int_equal(g.n_markets, 3);
    assert_string_equal(g.markets[0].borrow_denom, "uusd");
    assert_string_equal(g.markets[2].borrow_denom, "ugbp");
    assert_int_equal(g.markets[1].flash_fee_bps, 9);
    assert_memory_equal(g.markets[2].admin.b, g.admin.b, 32);
    cw_genesis_free(&g);
    /* the single-market form */
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    assert_non_null(root);
    json_t *first = json_incref(json_array_get(json_object_get(root, "markets"), 0));
    json_object_set_new(root, "market", first);
    assert_int_equal(json_dump_file(root, path, 0), 0);
    assert_int_equal(cw_genesis_load(&g, path, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "not both"));
    json_object_del(root, "markets");
    assert_int_equal(json_dump_file(root, path, 0), 0);
    assert_int_equal(cw_genesis_load(&g, path, err, sizeof err), CW_OK);
    assert_int_equal(g.n_markets, 1);
    assert_string_equal(g.markets[0].borrow_denom, "uusd");
    cw_genesis_free(&g);
    json_decref(root);
    /* one asset twice on the command line */
    char home2[64];
    snprintf(home2, sizeof home2, "%s/h2", dir);
    char *argv2[] = {"init", "--home", home2, "--chain-id", "beta", "--market", "uusd,uusd",
                     NULL};
    saved = stderr;
    stderr = fopen("/dev/null", "w");
    rc = cw_chain_cmd_init(7, argv2);
    fclose(stderr);
    stderr = saved;
    assert_int_equal(rc, 2);
    rm_rf(dir);
}

/* ---- batched reads: query_many, packets, tx_status ------------------------------------ */

/* two encodings hold the same bytes */
static void assert_enc_equal(const cw_enc *a, const cw_enc *b)
{
    assert_int_equal(cw_enc_len(a), cw_enc_len(b));
    assert_memory_equal(cw_enc_data(a), cw_enc_data(b), cw_enc_len(a));
}

/* Bytes of a decoded object re-encoded: canonical inputs re-encode to their original bytes. */
static void enc_obj(cw_enc *e, const msgpack_object *o)
{
    cw_enc_init(e);
    assert_int_equal(cw_enc_object(e, o), CW_OK);
}

static void balance_key(char key[static CW_KEY_MAX], const cw_address *a)
{
    assert_int_equal(cw_key_bank_balance(key, a, "uatom"), CW_OK);
}

/* The same cw_node_status (nothing a read could have changed moved). */
static void assert_status_equal(const cw_node_status *a, const cw_node_status *b)
{
    assert_int_equal(a->latest_height, b->latest_height);
    assert_memory_equal(a->latest_block_hash, b->latest_block_hash, 32);
    assert_memory_equal(a->latest_state_root, b->latest_state_root, 32);
    assert_int_equal(a->mempool_txs, b->mempool_txs);
    assert_int_equal(a->earliest_state_height, b->earliest_state_height);
}

static void test_query_many_equals_query_at_one_height(void **state)
{
    struct fx *f = *state;
    char err[256], k_bob[CW_KEY_MAX], k_alice[CW_KEY_MAX], k_nobody[CW_KEY_MAX], k_acct[CW_KEY_MAX];
    cw_address nobody;
    memset(nobody.b, 0x42, 20);
    balance_key(k_bob, &f->bob_addr);
    balance_key(k_alice, &f->alice_addr);
    balance_key(k_nobody, &nobody);
    cw_key_account(k_acct, &f->alice_addr);
    const char *names[] = {k_bob, k_nobody, k_alice, "ibc/no/such/key", k_acct, k_bob};
    enum { NK = 6 };
    cw_bytes keys[NK];
    for (int i = 0; i < NK; i++)
        keys[i] = (cw_bytes){(const uint8_t *)names[i], strlen(names[i])};
    cw_node_status st;
    cw_node_get_status(f->node, &st);
    /* height 2 precedes every transfer (blocks 1..3 were empty): alice's account is absent
     * there and bob's balance differs from the latest one, so the height is really used */
    assert_true(st.latest_height > 4);
    const uint64_t asked[] = {2, st.latest_height - 1, st.latest_height, 0};
    cw_enc values_at[2]; /* the inner array's values at heights 2 and latest, prove=false */
    for (size_t hi = 0; hi < sizeof asked / sizeof *asked; hi++) {
        const uint64_t want_h = asked[hi] ? asked[hi] : st.latest_height;
        for (int prove = 0; prove <= 1; prove++) {
            cw_enc e;
            cw_enc_init(&e);
            assert_int_equal(cw_node_query_many(f->node, keys, NK, asked[hi], prove, &e, err,
                                                sizeof err), CW_OK);
            cw_dec d;
            cw_rpc_query_many qm;
            cw_rpc_query_many_dec(&d, open_answer(&d, &e), NK, &qm);
            assert_int_equal(d.rc, CW_OK);
            assert_int_equal(qm.height, want_h);
            assert_int_equal(qm.n, NK);
            cw_enc *values = !prove && (hi == 0 || hi == 2) ? &values_at[hi / 2] : NULL;
            if (values)
                cw_enc_init(values);
            for (int i = 0; i < NK; i++) {
                /* item i == the item of `query` for key i at the same height */
                cw_enc q, want, got;
                cw_enc_init(&q);
                assert_int_equal(cw_node_query(f->node, keys[i].p, keys[i].len, want_h, prove,
                                               &q, err, sizeof err), CW_OK);
                cw_dec qd;
                cw_rpc_query qa;
                cw_rpc_query_dec(&qd, open_answer(&qd, &q), &qa);
                assert_int_equal(qd.rc, CW_OK);
                assert_int_equal(qa.height, want_h);
                cw_enc_init(&want);
                cw_rpc_qitem_enc(&want, &qa.item);
                enc_obj(&got, &qm.items[i]);
                assert_enc_equal(&got, &want);
                cw_rpc_qitem it;
                cw_rpc_qitem_dec(&d, &qm.items[i], &it, "item");
                assert_int_equal(d.rc, CW_OK);
                if (prove)
                    verify_answer(f, want_h, keys[i].p, keys[i].len, &it);
                else
                    assert_false(it.has_proof);
                /* present and absent keys both occur: bob yes, nobody and the ibc key no */
                if (i == 0)
                    assert_true(it.has_value);
                if (i == 1 || i == 3)
                    assert_false(it.has_value);
                if (i == 4) /* alice's account exists from her first tx on */
                    assert_int_equal(!it.has_value, want_h == 2);
                if (values)
                    cw_rpc_qitem_enc(values, &it);
                cw_dec_close(&qd);
                cw_enc_free(&q);
                cw_enc_free(&want);
                cw_enc_free(&got);
            }
            cw_dec_close(&d);
            cw_enc_free(&e);
        }
    }
    /* the answers at the two heights differ: the height was not ignored */
    assert_false(cw_enc_len(&values_at[0]) == cw_enc_len(&values_at[1]) &&
                 memcmp(cw_enc_data(&values_at[0]), cw_enc_data(&values_at[1]),
                        cw_enc_len(&values_at[0])) == 0);
    cw_enc_free(&values_at[0]);
    cw_enc_free(&values_at[1]);
}

/* Call query_many expecting rc, on an encoder that already holds one object: on failure it
 * must hold exactly that object still, and the node must be where it was. */
static void query_many_fails(struct fx *f, const cw_bytes *keys, uint32_t n, uint64_t h, int rc,
                             const char *msg, char *err, size_t err_len)
{
    cw_node_status before, after;
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_u64(&e, 7);
    cw_node_get_status(f->node, &before);
    assert_int_equal(cw_node_query_many(f->node, keys, n, h, true, &e, err, err_len), rc);
    if (!strstr(err, msg))
        fail_msg("error '%s' does not say '%s'", err, msg);
    assert_int_equal(cw_enc_len(&e), 1);
    assert_int_equal(cw_enc_data(&e)[0], 7);
    cw_node_get_status(f->node, &after);
    assert_status_equal(&before, &after);
    cw_enc_free(&e);
}

static void test_query_many_refuses_bad_params_and_leaves_node_unchanged(void **state)
{
    struct fx *f = *state;
    char err[256], qerr[256];
    static cw_bytes keys[CW_NODE_QUERY_MANY_MAX + 1];
    static uint8_t long_key[CW_KV_KEY_MAX + 1];
    for (uint32_t i = 0; i <= CW_NODE_QUERY_MANY_MAX; i++)
        keys[i] = (cw_bytes){(const uint8_t *)"test/x", 6};
    cw_node_status st;
    cw_node_get_status(f->node, &st);
    query_many_fails(f, keys, 0, 0, CW_EINVAL, "query_many keys: none", err, sizeof err);
    query_many_fails(f, keys, CW_NODE_QUERY_MANY_MAX + 1, 0, CW_ETOOBIG,
                     "1001 keys exceed the limit of 1000", err, sizeof err);
    keys[17] = (cw_bytes){(const uint8_t *)"", 0};
    query_many_fails(f, keys, 20, 0, CW_EINVAL, "query_many keys[17]: empty", err, sizeof err);
    memset(long_key, 'k', sizeof long_key);
    keys[17] = (cw_bytes){long_key, sizeof long_key};
    query_many_fails(f, keys, 20, 0, CW_ETOOBIG, "keys[17]: 513 bytes", err, sizeof err);
    keys[17] = keys[0];
    /* exactly the limit is fine */
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_query_many(f->node, keys, CW_NODE_QUERY_MANY_MAX, 0, false, &e,
                                        err, sizeof err), CW_OK);
    cw_enc_free(&e);
    /* a future height: the same code and wording as `query` */
    query_many_fails(f, keys, 3, st.latest_height + 1, CW_ENOTFOUND, "in the future", err,
                     sizeof err);
    cw_enc_init(&e);
    assert_int_equal(cw_node_query(f->node, keys[0].p, keys[0].len, st.latest_height + 1, true,
                                   &e, qerr, sizeof qerr), CW_ENOTFOUND);
    cw_enc_free(&e);
    assert_string_equal(err + strlen("query_many"), qerr + strlen("query"));
}

static void test_query_many_at_a_pruned_height_is_refused_like_query(void **state)
{
    (void)state;
    char home[64], path[128], err[256], qerr[256];
    assert_int_equal(init_home(home), 0);
    cw_node_config c;
    snprintf(path, sizeof path, "%s/config.json", home);
    assert_int_equal(cw_node_config_load(&c, path, err, sizeof err), CW_OK);
    c.state_versions = 2;
    assert_int_equal(cw_node_config_write(&c, path, err, sizeof err), CW_OK);
    struct fx g = {0};
    snprintf(g.home, sizeof g.home, "%s", home);
    assert_int_equal(cw_node_open(&g.node, home, err, sizeof err), CW_OK);
    for (uint64_t t = 1; t <= 6; t++)
        produce(&g, t);
    cw_node_status st;
    cw_node_get_status(g.node, &st);
    assert_true(st.earliest_state_height > 1);
    cw_bytes keys[2] = {{(const uint8_t *)"test/x", 6}, {(const uint8_t *)"test/y", 6}};
    query_many_fails(&g, keys, 2, 1, CW_ENOTFOUND, "query_many: state at height 1 was pruned",
                     err, sizeof err);
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_query(g.node, keys[0].p, keys[0].len, 1, true, &e, qerr,
                                   sizeof qerr), CW_ENOTFOUND);
    assert_string_equal(err + strlen("query_many"), qerr + strlen("query"));
    /* a retained height still answers */
    assert_int_equal(cw_node_query_many(g.node, keys, 2, st.earliest_state_height, true, &e, err,
                                        sizeof err), CW_OK);
    cw_enc_free(&e);
    cw_node_close(g.node);
    rm_rf(home);
}

/* Put send_packet events for packets port/channel/seq with `data_len` bytes of data through
 * the node's own indexer (the path a block takes: as the events of one tx, under a made-up
 * tx hash), in one committed LMDB txn. */
static void index_sent(struct fx *f, const char *port, const char *channel,
                       const uint64_t *seqs, uint32_t n, size_t data_len)
{
    char err[256];
    uint8_t *data = malloc(data_len ? data_len : 1);
    assert_non_null(data);
    cw_events ev;
    cw_events_init(&ev);
    for (uint32_t i = 0; i < n; i++) {
        cw_packet p = {.sequence = seqs[i], .timeout_height = 1000000};
        snprintf(p.source_port, sizeof p.source_port, "%s", port);
        snprintf(p.source_channel, sizeof p.source_channel, "%s", channel);
        snprintf(p.dest_port, sizeof p.dest_port, "%s", port);
        snprintf(p.dest_channel, sizeof p.dest_channel, "channel-9");
        memset(data, (int)(seqs[i] & 0xff), data_len);
        p.data = (cw_bytes){data, data_len};
        cw_enc pe;
        cw_enc_init(&pe);
        cw_packet_enc(&pe, &p);
        cw_event_begin(&ev, CW_EV_SEND_PACKET, 1);
        cw_event_attr_bin(&ev, CW_ATTR_PACKET, cw_enc_data(&pe), cw_enc_len(&pe));
        cw_enc_free(&pe);
    }
    cw_enc all;
    cw_enc_init(&all);
    assert_int_equal(cw_events_encode(&ev, (cw_events_mark){0, 0}, &all), CW_OK);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(f->node->env, NULL, 0, &txn), 0);
    cw_tx_result r = {.events = (uint8_t *)cw_enc_data(&all), .events_len = cw_enc_len(&all)};
    uint8_t hash[32];
    memset(hash, 0xa5, sizeof hash);
    assert_int_equal(index_tx(f->node, txn, 1, 0, &r, hash, err, sizeof err), CW_OK);
    assert_int_equal(mdb_txn_commit(txn), 0);
    cw_enc_free(&all);
    cw_events_free(&ev);
    free(data);
}

/* The bytes cw_node_packet answers for seq (as a bin object), or nothing when not found. */
static int packet_bin(struct fx *f, const char *port, const char *channel, uint64_t seq,
                      cw_enc *e)
{
    char err[256];
    cw_enc_init(e);
    return cw_node_packet(f->node, port, channel, seq, e, err, sizeof err);
}

static void test_packets_aligned_with_nil_for_missing(void **state)
{
    struct fx *f = *state;
    char err[256];
    const uint64_t sent[] = {1, 3, 4};
    index_sent(f, "transfer", "channel-0", sent, 3, 40);
    const uint64_t ask[] = {4, 2, 1, 99, 4, 3};
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_packets(f->node, "transfer", "channel-0", ask, 6, &e, err,
                                     sizeof err), CW_OK);
    cw_dec d;
    cw_rpc_packets pk;
    cw_rpc_packets_dec(&d, open_answer(&d, &e), 100, &pk);
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(pk.n, 6);
    for (uint32_t i = 0; i < pk.n; i++) {
        cw_enc one, got;
        cw_bytes b;
        int rc = packet_bin(f, "transfer", "channel-0", ask[i], &one);
        enc_obj(&got, &pk.items[i]);
        bool present = cw_rpc_packets_item(&d, &pk, i, &b);
        assert_int_equal(d.rc, CW_OK);
        if (ask[i] == 2 || ask[i] == 99) {
            assert_int_equal(rc, CW_ENOTFOUND);
            assert_false(present);
        } else { /* the same bytes as `packet`, and really the packet with that sequence */
            assert_int_equal(rc, CW_OK);
            assert_true(present);
            assert_enc_equal(&got, &one);
            cw_packet p;
            assert_int_equal(cw_packet_decode(&p, b.p, b.len, err, sizeof err), CW_OK);
            assert_int_equal(p.sequence, ask[i]);
        }
        cw_enc_free(&one);
        cw_enc_free(&got);
    }
    cw_dec_close(&d);
    cw_enc_free(&e);
    /* another channel: nothing sent there */
    cw_enc_init(&e);
    assert_int_equal(cw_node_packets(f->node, "transfer", "channel-1", ask, 2, &e, err,
                                     sizeof err), CW_OK);
    const uint8_t two_nils[] = {0x92, 0xc0, 0xc0};
    assert_int_equal(cw_enc_len(&e), sizeof two_nils);
    assert_memory_equal(cw_enc_data(&e), two_nils, sizeof two_nils);
    cw_enc_free(&e);
    /* bad counts: refused, out untouched */
    static uint64_t many[CW_NODE_PACKETS_MAX + 1];
    cw_enc_init(&e);
    assert_int_equal(cw_node_packets(f->node, "transfer", "channel-0", many, 0, &e, err,
                                     sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "packets seqs: none"));
    assert_int_equal(cw_node_packets(f->node, "transfer", "channel-0", many,
                                     CW_NODE_PACKETS_MAX + 1, &e, err, sizeof err), CW_ETOOBIG);
    assert_non_null(strstr(err, "1001 sequences exceed the limit of 1000"));
    assert_int_equal(cw_enc_len(&e), 0);
    cw_enc_free(&e);
}

static void test_packets_answer_is_cut_at_the_soft_cap_and_resumes(void **state)
{
    struct fx *f = *state;
    char err[256];
    static uint64_t seqs[CW_NODE_PACKETS_MAX];
    for (uint32_t i = 0; i < CW_NODE_PACKETS_MAX; i++)
        seqs[i] = i + 1;
    /* 1000 packets of ~4 KiB: ~4 MiB in all, twice the soft cap */
    index_sent(f, "transfer", "channel-big", seqs, CW_NODE_PACKETS_MAX, CW_PACKET_DATA_MAX);
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_packets(f->node, "transfer", "channel-big", seqs,
                                     CW_NODE_PACKETS_MAX, &e, err, sizeof err), CW_OK);
    assert_true(cw_enc_len(&e) <= CW_NODE_RESULT_SOFT);
    cw_dec d;
    cw_rpc_packets pk;
    cw_rpc_packets_dec(&d, open_answer(&d, &e), CW_NODE_PACKETS_MAX, &pk);
    assert_int_equal(d.rc, CW_OK);
    const uint32_t n = pk.n;
    assert_true(n > 0 && n < CW_NODE_PACKETS_MAX);
    /* not cut early: the next packet would have taken the answer past the cap */
    cw_enc next;
    assert_int_equal(packet_bin(f, "transfer", "channel-big", seqs[n], &next), CW_OK);
    const size_t items_len = cw_enc_len(&e) - 3; /* array16 header: 16 <= n < 65536 */
    assert_true(items_len + cw_enc_len(&next) + RESULT_WRAP > CW_NODE_RESULT_SOFT);
    cw_enc_free(&next);
    for (uint32_t i = 0; i < n; i++) { /* a prefix, in order */
        cw_enc one, got;
        assert_int_equal(packet_bin(f, "transfer", "channel-big", seqs[i], &one), CW_OK);
        enc_obj(&got, &pk.items[i]);
        assert_enc_equal(&got, &one);
        cw_enc_free(&one);
        cw_enc_free(&got);
    }
    cw_dec_close(&d);
    cw_enc_free(&e);
    /* asking again for the rest gets all of it */
    cw_enc_init(&e);
    assert_int_equal(cw_node_packets(f->node, "transfer", "channel-big", seqs + n,
                                     CW_NODE_PACKETS_MAX - n, &e, err, sizeof err), CW_OK);
    cw_rpc_packets rest;
    cw_rpc_packets_dec(&d, open_answer(&d, &e), CW_NODE_PACKETS_MAX, &rest);
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(rest.n, CW_NODE_PACKETS_MAX - n);
    cw_dec_close(&d);
    cw_enc_free(&e);
    /* one packet alone is never cut */
    cw_enc_init(&e);
    assert_int_equal(cw_node_packets(f->node, "transfer", "channel-big", seqs, 1, &e, err,
                                     sizeof err), CW_OK);
    assert_int_equal(cw_enc_data(&e)[0], 0x91);
    cw_enc_free(&e);
}

static void test_soft_cap_keeps_the_first_item_and_cuts_exactly_at_the_cap(void **state)
{
    (void)state;
    cw_enc items;
    cw_enc_init(&items);
    static uint8_t big[CW_NODE_RESULT_SOFT];
    /* the first item is kept even when it alone passes the cap */
    cw_enc_bin(&items, big, sizeof big);
    assert_true(soft_cap_keep(&items, 0, 0));
    assert_int_equal(cw_enc_len(&items), sizeof big + 5);
    cw_enc_free(&items);
    /* later items: kept up to the cap (with RESULT_WRAP for the wrapping), cut one byte past */
    cw_enc_init(&items);
    const size_t first = CW_NODE_RESULT_SOFT - RESULT_WRAP - 1000 - 5;
    cw_enc_bin(&items, big, first); /* 5-byte bin32 header */
    size_t mark = cw_enc_len(&items);
    cw_enc_bin(&items, big, 997); /* 3-byte header: exactly the cap */
    assert_int_equal(cw_enc_len(&items) + RESULT_WRAP, CW_NODE_RESULT_SOFT);
    assert_true(soft_cap_keep(&items, mark, 1));
    mark = cw_enc_len(&items);
    cw_enc_nil(&items); /* one byte past */
    assert_false(soft_cap_keep(&items, mark, 2));
    assert_int_equal(cw_enc_len(&items), mark); /* taken back out */
    cw_enc_free(&items);
}

static uint64_t next_nonce(struct fx *f)
{
    char err[256];
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_account(f->node, &f->alice_addr, &e, err, sizeof err), CW_OK);
    cw_dec d;
    static cw_rpc_account acc;
    cw_rpc_account_dec(&d, open_answer(&d, &e), &acc);
    uint64_t n = acc.pending_next_nonce;
    assert_int_equal(d.rc, CW_OK);
    cw_dec_close(&d);
    cw_enc_free(&e);
    return n;
}

/* An envelope from alice sending each of amounts[0..n) uatom to bob, one msg each. */
static uint8_t *sends_tx(struct fx *f, uint64_t nonce, const uint64_t *amounts, size_t n,
                         size_t *len, uint8_t hash32[static 32])
{
    cw_enc e[4];
    cw_bytes m[4];
    char err[256];
    uint8_t *buf;
    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++) {
        cw_enc_init(&e[i]);
        cw_msg_bank_send_enc(&e[i], &(cw_msg_bank_send){.to = f->bob_addr, .denom = "uatom",
                                                        .amount = amounts[i]});
        m[i] = (cw_bytes){cw_enc_data(&e[i]), cw_enc_len(&e[i])};
    }
    assert_int_equal(cw_tx_sign(&buf, len, "alpha", &f->alice, nonce, 0, m, n, "", err, sizeof err),
                     CW_OK);
    for (size_t i = 0; i < n; i++)
        cw_enc_free(&e[i]);
    cw_tx t;
    assert_int_equal(cw_tx_decode(&t, buf, *len, err, sizeof err), CW_OK);
    memcpy(hash32, t.hash, 32);
    cw_tx_free(&t);
    return buf;
}

/* tx_status(hash) against tx(hash): the same height, index, code, log and failed msg, and
 * the event types counted from tx's full events here, independently. Returns the number of
 * distinct event types. */
static uint32_t check_tx_status(struct fx *f, const uint8_t hash[static 32])
{
    char err[256];
    cw_enc te, se;
    cw_enc_init(&te);
    cw_enc_init(&se);
    assert_int_equal(cw_node_tx(f->node, hash, &te, err, sizeof err), CW_OK);
    assert_int_equal(cw_node_tx_status(f->node, hash, &se, err, sizeof err), CW_OK);
    cw_dec td, sd;
    cw_rpc_tx t;
    static cw_rpc_tx_status s;
    cw_rpc_tx_dec(&td, open_answer(&td, &te), &t);
    cw_rpc_tx_status_dec(&sd, open_answer(&sd, &se), &s);
    assert_int_equal(td.rc, CW_OK);
    assert_int_equal(sd.rc, CW_OK);
    assert_int_equal(t.height, s.height);
    assert_int_equal(t.index, s.index);
    assert_int_equal(t.result.code, s.code);
    assert_int_equal(t.result.log.len, s.log.len);
    if (s.log.len)
        assert_memory_equal(t.result.log.p, s.log.p, s.log.len);
    assert_int_equal(t.result.has_failed_msg, s.has_failed_msg);
    assert_int_equal(t.result.failed_msg, s.failed_msg);
    /* recount tx's events (cw_event_type, not the chain's counter): types in first-appearance
     * order */
    uint32_t nev, nt = 0;
    const msgpack_object *evs = cw_dec_list(&td, t.result.events, 1000, &nev, "events");
    cw_bytes types[16];
    uint64_t counts[16] = {0};
    for (uint32_t i = 0; i < nev; i++) {
        cw_bytes ty;
        assert_true(cw_event_type(&evs[i], &ty));
        uint32_t j = 0;
        while (j < nt && !(types[j].len == ty.len && memcmp(types[j].p, ty.p, ty.len) == 0))
            j++;
        if (j == nt) {
            assert_true(nt < 16);
            types[nt++] = ty;
        }
        counts[j]++;
    }
    assert_int_equal(td.rc, CW_OK);
    assert_int_equal(s.n_types, nt);
    for (uint32_t j = 0; j < nt; j++) {
        assert_int_equal(s.types[j].type.len, types[j].len);
        assert_memory_equal(s.types[j].type.p, types[j].p, types[j].len);
        assert_int_equal(s.types[j].count, counts[j]);
    }
    /* and nothing of the tx bytes or the attributes came along */
    assert_true(cw_enc_len(&se) < cw_enc_len(&te));
    cw_dec_close(&td);
    cw_dec_close(&sd);
    cw_enc_free(&te);
    cw_enc_free(&se);
    return nt;
}

static void test_tx_status_agrees_with_tx(void **state)
{
    struct fx *f = *state;
    char err[256];
    uint8_t ok_hash[32], bad_hash[32];
    size_t len;
    uint64_t nonce = next_nonce(f);
    const uint64_t three[] = {1, 2, 3}, fails_second[] = {1, 1000000000};
    uint8_t *ok = sends_tx(f, nonce, three, 3, &len, ok_hash);
    assert_int_equal(submit(f, ok, len, err, sizeof err), CW_OK);
    free(ok);
    uint8_t *bad = sends_tx(f, nonce + 1, fails_second, 2, &len, bad_hash);
    assert_int_equal(submit(f, bad, len, err, sizeof err), CW_OK);
    free(bad);
    cw_node_status st;
    cw_node_get_status(f->node, &st);
    produce(f, 9000000);

    assert_int_equal(check_tx_status(f, ok_hash), 1);
    assert_int_equal(check_tx_status(f, bad_hash), 0);
    /* and the values themselves, spelled out */
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_tx_status(f->node, ok_hash, &e, err, sizeof err), CW_OK);
    cw_dec d;
    static cw_rpc_tx_status s;
    cw_rpc_tx_status_dec(&d, open_answer(&d, &e), &s);
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(s.height, st.latest_height + 1);
    assert_int_equal(s.index, 0);
    assert_int_equal(s.code, 0);
    assert_false(s.has_failed_msg);
    assert_int_equal(s.n_types, 1);
    assert_true(s.types[0].type.len == strlen(CW_EV_TRANSFER) &&
                memcmp(s.types[0].type.p, CW_EV_TRANSFER, s.types[0].type.len) == 0);
    assert_int_equal(s.types[0].count, 3);
    assert_int_equal(cw_rpc_tx_status_count(&s, CW_EV_TRANSFER), 3);
    cw_dec_close(&d);
    cw_enc_free(&e);

    cw_enc_init(&e);
    assert_int_equal(cw_node_tx_status(f->node, bad_hash, &e, err, sizeof err), CW_OK);
    cw_rpc_tx_status_dec(&d, open_answer(&d, &e), &s);
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(s.index, 1);
    assert_true(s.code < 0); /* a CW_E* code */
    assert_true(s.log.len > 0);
    assert_true(s.has_failed_msg);
    assert_int_equal(s.failed_msg, 1);
    assert_int_equal(s.n_types, 0); /* a failed tx's events are discarded */
    cw_dec_close(&d);
    cw_enc_free(&e);

    /* unknown hash: tx's code and wording; out untouched */
    uint8_t none[32];
    char terr[256];
    memset(none, 0xab, 32);
    cw_enc_init(&e);
    assert_int_equal(cw_node_tx_status(f->node, none, &e, err, sizeof err), CW_ENOTFOUND);
    assert_int_equal(cw_node_tx(f->node, none, &e, terr, sizeof terr), CW_ENOTFOUND);
    assert_string_equal(err, "tx_status: not found (not committed)");
    assert_string_equal(terr, "tx: not found (not committed)");
    assert_int_equal(cw_enc_len(&e), 0);
    cw_enc_free(&e);
}

/* ---- gas (DESIGN §5 "Gas") ------------------------------------------------------------ */

/* One bank.send of `amount` from alice to bob with gas limit `gas`. */
static uint8_t *send_tx_gas(struct fx *f, uint64_t nonce, uint64_t amount, uint64_t gas,
                            size_t *len)
{
    cw_enc e;
    char err[256];
    uint8_t *buf;
    cw_enc_init(&e);
    cw_msg_bank_send_enc(&e, &(cw_msg_bank_send){.to = f->bob_addr, .denom = "uatom",
                                                 .amount = amount});
    cw_bytes m = {cw_enc_data(&e), cw_enc_len(&e)};
    assert_int_equal(cw_tx_sign(&buf, len, "alpha", &f->alice, nonce, gas, &m, 1, "", err,
                                sizeof err), CW_OK);
    cw_enc_free(&e);
    return buf;
}

static void tx_status_of(struct fx *f, const uint8_t hash[32], cw_rpc_tx_status *s,
                         char *log, size_t log_len)
{
    char err[256];
    cw_enc e;
    cw_dec d;
    cw_enc_init(&e);
    assert_int_equal(cw_node_tx_status(f->node, hash, &e, err, sizeof err), CW_OK);
    cw_rpc_tx_status_dec(&d, open_answer(&d, &e), s);
    assert_int_equal(d.rc, CW_OK);
    snprintf(log, log_len, "%.*s", (int)s->log.len, (const char *)s->log.p);
    cw_dec_close(&d);
    cw_enc_free(&e);
}

/* A tx whose limit covers its intrinsic gas but not its store writes is included, fails with
 * CW_EOUTOFGAS naming what ran out, writes nothing (bob's balance unchanged) and still
 * consumes its nonce; the same send with the estimate succeeds. */
static void test_tx_over_its_gas_limit_fails_without_writes(void **state)
{
    struct fx *f = *state;
    char err[256], log[256];
    size_t len;
    uint64_t h0 = f->node->height;
    uint64_t bob0 = balance_at(f, &f->bob_addr, h0, false);
    /* learn the envelope's length at a 3-byte gas field, then ask for just its intrinsic gas */
    uint8_t *probe = send_tx_gas(f, 0, 7, 1000, &len);
    free(probe);
    uint64_t intrinsic = cw_gas_tx_intrinsic(len, 1);
    assert_true(intrinsic > 1000 && intrinsic < 65536); /* same field width */
    size_t len2;
    uint8_t *tx = send_tx_gas(f, 0, 7, intrinsic, &len2);
    assert_int_equal(len2, len);
    uint8_t h[32];
    assert_int_equal(cw_node_submit_tx(f->node, tx, len2, h, err, sizeof err), CW_OK);
    free(tx);
    produce(f, 5000000);
    cw_rpc_tx_status s;
    tx_status_of(f, h, &s, log, sizeof log);
    assert_int_equal(s.code, CW_EOUTOFGAS);
    assert_non_null(strstr(log, "out of gas: store read"));
    assert_true(s.has_failed_msg && s.failed_msg == 0);
    assert_int_equal(s.gas_wanted, intrinsic);
    assert_int_equal(s.gas_used, intrinsic); /* the intrinsic gas, nothing after it */
    assert_int_equal(balance_at(f, &f->bob_addr, f->node->height, false), bob0);
    assert_int_equal(next_nonce(f), 1); /* consumed: the failed tx cannot be replayed */
    /* with the estimate, the same send goes through and uses less than it stated */
    tx = send_tx_gas(f, 1, 7, 0, &len);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_OK);
    free(tx);
    produce(f, 6000000);
    tx_status_of(f, h, &s, log, sizeof log);
    assert_int_equal(s.code, 0);
    assert_true(s.gas_used > intrinsic && s.gas_used <= s.gas_wanted);
    assert_int_equal(balance_at(f, &f->bob_addr, f->node->height, false), bob0 + 7);
}

/* Admission by gas and per sender: a limit below the intrinsic gas or above the block gas
 * limit is refused by name, and one sender cannot hold more than its share of the mempool. */
static void test_mempool_admits_by_gas_and_caps_each_sender(void **state)
{
    struct fx *f = *state;
    char err[256];
    size_t len;
    uint8_t h[32];
    uint8_t *tx = send_tx_gas(f, 0, 1, 100, &len);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_EOUTOFGAS);
    assert_non_null(strstr(err, "below the tx's intrinsic gas"));
    free(tx);
    tx = send_tx_gas(f, 0, 1, f->node->cfg.max_block_gas + 1, &len);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_ETOOBIG);
    assert_non_null(strstr(err, "exceeds the block gas limit"));
    free(tx);
    assert_int_equal(f->node->mp_n, 0); /* nothing refused reached the mempool */

    f->node->cfg.mempool_max_txs_per_sender = 2;
    for (uint64_t n = 0; n < 3; n++) {
        tx = send_tx_gas(f, n, 1, 0, &len);
        int rc = cw_node_submit_tx(f->node, tx, len, h, err, sizeof err);
        free(tx);
        if (n < 2) {
            assert_int_equal(rc, CW_OK);
        } else {
            assert_int_equal(rc, CW_ETOOBIG);
            assert_non_null(strstr(err, "the sender already has 2 txs"));
        }
    }
    produce(f, 5000000); /* the two leave the mempool: the sender may send again */
    tx = send_tx_gas(f, 2, 1, 0, &len);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_OK);
    free(tx);
    f->node->cfg.mempool_max_bytes_per_sender = len + 1; /* one more would pass the bytes cap */
    tx = send_tx_gas(f, 3, 1, 0, &len);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_ETOOBIG);
    assert_non_null(strstr(err, "bytes"));
    free(tx);
}

/* A block holds txs whose gas used adds up to at most max_block_gas; the rest wait, in
 * order, for the next block. */
static void test_block_holds_at_most_max_block_gas(void **state)
{
    struct fx *f = *state;
    char err[256], log[256];
    size_t len;
    uint8_t h[32];
    cw_rpc_tx_status s;
    uint8_t *tx = send_tx_gas(f, 0, 1, 0, &len); /* what one send uses */
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_OK);
    free(tx);
    produce(f, 5000000);
    tx_status_of(f, h, &s, log, sizeof log);
    const uint64_t gas = s.gas_used;
    f->node->cfg.max_block_gas = 3 * gas + gas / 2;
    for (uint64_t n = 1; n <= 5; n++) {
        tx = send_tx_gas(f, n, 1, 2 * gas, &len);
        assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_OK);
        free(tx);
    }
    uint64_t before = f->node->txs_committed;
    produce(f, 6000000);
    assert_int_equal(f->node->txs_committed - before, 3);
    assert_int_equal(f->node->mp_n, 2);
    produce(f, 7000000);
    assert_int_equal(f->node->txs_committed - before, 5);
    assert_int_equal(f->node->mp_n, 0);
    assert_int_equal(next_nonce(f), 6);
}

/* alice's committed next nonce (next_nonce: the pending one). */
static uint64_t committed_nonce_of(struct fx *f)
{
    uint64_t n;
    assert_int_equal(committed_nonce(f->node, &f->alice_addr, &n), CW_OK);
    return n;
}

/* One bank.send of 1 from `sk` to alice with gas limit `gas`. */
static uint8_t *send_as(struct fx *f, const cw_seckey *sk, uint64_t nonce, uint64_t gas,
                        size_t *len)
{
    cw_enc e;
    char err[256];
    uint8_t *buf;
    cw_enc_init(&e);
    cw_msg_bank_send_enc(&e, &(cw_msg_bank_send){.to = f->alice_addr, .denom = "uatom",
                                                 .amount = 1});
    cw_bytes m = {cw_enc_data(&e), cw_enc_len(&e)};
    assert_int_equal(cw_tx_sign(&buf, len, "alpha", sk, nonce, gas, &m, 1, "", err, sizeof err),
                     CW_OK);
    cw_enc_free(&e);
    return buf;
}

/* Blocks are filled by the gas txs use, not by the gas they state: with no fees a limit costs
 * its sender nothing, so txs stating max_block_gas took a block each however little they
 * did — one sender's 5,000 pending txs held every tx behind them for 5,000 blocks, and ten
 * free keys kept the mempool full at one tx a block. Three cheap txs stating the whole
 * block's gas and an honest send after them now go in one block. */
static void test_stated_gas_does_not_take_the_block_from_others(void **state)
{
    struct fx *f = *state;
    char err[256];
    size_t len;
    uint8_t h[32];
    cw_seckey bob;
    cw_pubkey32 bob_pk;
    load_key(f, "bob", &bob, &bob_pk);
    for (uint64_t n = 0; n < 3; n++) {
        uint8_t *tx = send_as(f, &bob, n, f->node->cfg.max_block_gas, &len);
        assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_OK);
        free(tx);
    }
    cw_seckey_wipe(&bob);
    uint8_t *tx = send_tx_gas(f, 0, 1, 0, &len);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_OK);
    free(tx);
    uint64_t before = f->node->txs_committed;
    produce(f, 5000000);
    assert_int_equal(f->node->txs_committed - before, 4);
    assert_int_equal(f->node->mp_n, 0);
    cw_rpc_tx_status s;
    char log[256];
    tx_status_of(f, h, &s, log, sizeof log);
    assert_int_equal(s.code, 0);
}

/* The block's work stays bounded by max_block_gas when it is counted by use: a tx runs with
 * at most the gas the block has left, and one that needs more than that (but not more than
 * its own limit) is rolled back whole — its nonce too, no result — and ends the block; it
 * starts the next one, with the whole block's gas, and succeeds there. */
static void test_tx_that_outgrows_the_blocks_room_waits_whole_for_the_next(void **state)
{
    struct fx *f = *state;
    char err[256], log[256];
    size_t len;
    uint8_t h0[32], h1[32], h2[32];
    cw_rpc_tx_status s;
    /* what one send uses */
    uint8_t *tx = send_tx_gas(f, 0, 1, 0, &len);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h0, err, sizeof err), CW_OK);
    free(tx);
    produce(f, 5000000);
    tx_status_of(f, h0, &s, log, sizeof log);
    assert_int_equal(s.code, 0);
    const uint64_t used = s.gas_used;
    /* room for one send and a half: the second send runs out of the block's room */
    f->node->cfg.max_block_gas = used + used / 2;
    tx = send_tx_gas(f, 1, 1, f->node->cfg.max_block_gas, &len);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h1, err, sizeof err), CW_OK);
    free(tx);
    tx = send_tx_gas(f, 2, 1, f->node->cfg.max_block_gas, &len);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h2, err, sizeof err), CW_OK);
    free(tx);
    uint64_t before = f->node->txs_committed;
    produce(f, 6000000);
    assert_int_equal(f->node->txs_committed - before, 1);
    assert_int_equal(f->node->mp_n, 1);
    assert_int_equal(committed_nonce_of(f), 2); /* the deferred tx's nonce is not consumed */
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_tx_status(f->node, h2, &e, err, sizeof err), CW_ENOTFOUND);
    cw_enc_free(&e);
    uint64_t bob = balance_at(f, &f->bob_addr, f->node->height, false);
    produce(f, 7000000);
    assert_int_equal(f->node->txs_committed - before, 2);
    assert_int_equal(f->node->mp_n, 0);
    tx_status_of(f, h2, &s, log, sizeof log);
    assert_int_equal(s.code, 0);
    assert_true(s.gas_used <= f->node->cfg.max_block_gas);
    assert_int_equal(balance_at(f, &f->bob_addr, f->node->height, false), bob + 1);
    assert_int_equal(next_nonce(f), 3);
}

/* The mempool holds what it counts: a tx's bytes (mempool_max_bytes, the per-sender cap),
 * not its decoded msgpack tree, which is up to ~32 bytes per envelope byte (one object per
 * byte: a msg body of zeros). Kept, it let 64 MiB of such txs hold ~1.6 GB of the node's
 * memory. The tx is decoded again when its block runs it (its intrinsic gas pays for
 * that), and runs as before: included, failed, nonce consumed. */
static void test_mempool_keeps_a_txs_bytes_not_its_decoded_tree(void **state)
{
    struct fx *f = *state;
    char err[256], log[256];
    size_t len;
    uint8_t h[32], *tx;
    /* a 1 MiB envelope as dense as a tx may be (an object per 5 bytes, under the bound of
     * one per CW_TX_BYTES_PER_OBJECT): ~210,000 objects, a decoded tree of ~6 MB */
    const uint32_t fields = ((1u << 20) - 400) / 5;
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_begin(&e, CW_MSG_BANK_SEND, fields);
    for (uint32_t i = 0; i < fields; i++)
        cw_enc_bin(&e, "\0\0\0", 3); /* c4 03 + 3 bytes */
    assert_int_equal(e.rc, CW_OK);
    cw_bytes m = {cw_enc_data(&e), cw_enc_len(&e)};
    assert_int_equal(cw_tx_sign(&tx, &len, "alpha", &f->alice, 0, 8000000, &m, 1, "", err,
                                sizeof err), CW_OK);
    cw_enc_free(&e);
    assert_in_range(len, 1, CW_TX_MAX_BYTES);
    assert_in_range(cw_gas_tx_intrinsic(len, 1), 1, 8000000);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_OK);
    free(tx);
    assert_int_equal(f->node->mp_n, 1);
    assert_null(f->node->mp[0].tx.dec.u.zone); /* no decoded tree held */
    assert_int_equal(f->node->mp[0].tx.nonce, 0);
    assert_int_equal(f->node->mp[0].tx.gas_limit, 8000000);
    produce(f, 5000000);
    assert_int_equal(f->node->mp_n, 0);
    cw_rpc_tx_status s;
    tx_status_of(f, h, &s, log, sizeof log);
    assert_int_not_equal(s.code, 0); /* a bank.send of a million fields does not decode */
    assert_true(s.has_failed_msg && s.failed_msg == 0);
    assert_int_equal(committed_nonce_of(f), 1);
}

/* ---- block_results pages and the blocks notification's bound ------------------------------ */

/* Replace the stored results of block h with n synthetic entries, entry i carrying a tx of
 * sizes[i] bytes (filled with i): the whole answer [h, 0, n, [...]] as the producer stores
 * it. The encoded entries go to *entries (one cw_enc each, caller frees). */
static void store_results(struct fx *f, uint64_t h, const size_t *sizes, uint32_t n,
                          cw_enc *entries)
{
    cw_enc all;
    cw_enc_init(&all);
    cw_rpc_block_results_enc_head(&all, h, 0, n, n);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *tx = malloc(sizes[i]);
        assert_non_null(tx);
        memset(tx, (int)(i & 0xff), sizes[i]);
        cw_rpc_block_tx bt = {.tx = {tx, sizes[i]}, .result = {.log = {(const uint8_t *)"", 0}}};
        memset(bt.hash, (int)(i & 0xff), 32);
        cw_enc_init(&entries[i]);
        cw_rpc_block_tx_enc(&entries[i], &bt);
        cw_enc_raw(&all, cw_enc_data(&entries[i]), cw_enc_len(&entries[i]));
        free(tx);
    }
    assert_int_equal(all.rc, CW_OK);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(f->node->env, NULL, 0, &txn), 0);
    assert_int_equal(put_height(txn, f->node->db_results, h, &all), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    cw_enc_free(&all);
}

/* block_results(h, start) decoded; *e holds the answer (caller frees e and closes d). */
static void results_page(struct fx *f, uint64_t h, uint32_t start, cw_enc *e, cw_dec *d,
                         cw_rpc_block_results *br)
{
    char err[256];
    cw_enc_init(e);
    int rc = cw_node_block_results(f->node, h, start, e, err, sizeof err);
    if (rc)
        fail_msg("block_results(%llu, %u): %s", (unsigned long long)h, start, err);
    cw_rpc_block_results_dec(d, open_answer(d, e), br);
    assert_int_equal(d->rc, CW_OK);
    assert_true(br->height == h && br->start == start);
}

static void test_block_results_pages_are_cut_at_the_soft_cap_and_resume(void **state)
{
    struct fx *f = *state;
    char err[256];
    produce(f, 1000000);
    /* a real (small) block: one page, the stored bytes as they are */
    cw_enc e;
    cw_dec d;
    cw_rpc_block_results br;
    results_page(f, 1, 0, &e, &d, &br);
    assert_true(br.n == br.total && br.total == 0);
    cw_dec_close(&d);
    cw_enc_free(&e);
    /* 1000 entries of ~4 KiB: ~4 MiB, twice the soft cap */
    enum { N = 1000 };
    static size_t sizes[N];
    static cw_enc entries[N];
    for (uint32_t i = 0; i < N; i++)
        sizes[i] = 4096;
    store_results(f, 1, sizes, N, entries);
    uint32_t start = 0, pages = 0;
    while (start < N) {
        results_page(f, 1, start, &e, &d, &br);
        pages++;
        assert_int_equal(br.total, N);
        assert_true(br.n > 0);
        assert_true(cw_enc_len(&e) <= CW_NODE_RESULT_SOFT);
        size_t items_len = 0;
        for (uint32_t i = 0; i < br.n; i++) { /* a prefix from start, in block order */
            cw_enc got;
            enc_obj(&got, &br.items[i]);
            assert_enc_equal(&got, &entries[start + i]);
            items_len += cw_enc_len(&got);
            cw_enc_free(&got);
        }
        const uint32_t next = cw_rpc_block_results_next(&br);
        /* not cut early: the next entry would have taken the answer past the cap */
        if (next < N)
            assert_true(items_len + cw_enc_len(&entries[next]) + RESULT_WRAP >
                        CW_NODE_RESULT_SOFT);
        start = next;
        cw_dec_close(&d);
        cw_enc_free(&e);
    }
    assert_true(pages >= 2);
    /* start == total: an empty last page; past it: refused by name, out untouched */
    results_page(f, 1, N, &e, &d, &br);
    assert_true(br.n == 0 && br.total == N);
    cw_dec_close(&d);
    cw_enc_free(&e);
    cw_enc_init(&e);
    assert_int_equal(cw_node_block_results(f->node, 1, N + 1, &e, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "1001 is past the block's 1000 txs"));
    assert_int_equal(cw_node_block_results(f->node, 2, 0, &e, err, sizeof err), CW_ENOTFOUND);
    assert_int_equal(cw_enc_len(&e), 0);
    cw_enc_free(&e);
    for (uint32_t i = 0; i < N; i++)
        cw_enc_free(&entries[i]);
    /* an entry alone over the cap is answered alone (the first is always in) */
    static cw_enc three[3];
    const size_t big[3] = {100, CW_NODE_RESULT_SOFT, 100};
    store_results(f, 1, big, 3, three);
    results_page(f, 1, 0, &e, &d, &br);
    assert_int_equal(br.n, 1); /* the small one; the big one would pass the cap */
    cw_dec_close(&d);
    cw_enc_free(&e);
    results_page(f, 1, 1, &e, &d, &br);
    assert_int_equal(br.n, 1);
    assert_true(cw_enc_len(&e) > CW_NODE_RESULT_SOFT);
    cw_dec_close(&d);
    cw_enc_free(&e);
    results_page(f, 1, 2, &e, &d, &br);
    assert_true(br.n == 1 && cw_rpc_block_results_next(&br) == br.total);
    cw_dec_close(&d);
    cw_enc_free(&e);
    for (uint32_t i = 0; i < 3; i++)
        cw_enc_free(&three[i]);
}

struct note_spy {
    uint8_t *buf;
    size_t len;
    uint64_t height;
};

static void note_spy(void *user, uint64_t height, const uint8_t *payload, size_t len)
{
    struct note_spy *s = user;
    free(s->buf);
    s->buf = malloc(len);
    assert_non_null(s->buf);
    memcpy(s->buf, payload, len);
    s->len = len;
    s->height = height;
}

/* The encoded events of block h's txs [0, k) as block_results holds them (one array). */
static void events_of_txs(struct fx *f, uint64_t h, uint32_t k, cw_enc *out)
{
    cw_enc e;
    cw_dec d;
    cw_rpc_block_results br;
    results_page(f, h, 0, &e, &d, &br);
    assert_true(k <= br.n && br.n == br.total);
    cw_enc body;
    cw_enc_init(&body);
    uint32_t count = 0;
    for (uint32_t i = 0; i < k; i++) {
        cw_rpc_block_tx bt;
        cw_rpc_block_tx_dec(&d, &br.items[i], &bt, "tx");
        assert_int_equal(d.rc, CW_OK);
        for (uint32_t j = 0; j < bt.result.events->via.array.size; j++)
            cw_enc_object(&body, &bt.result.events->via.array.ptr[j]);
        count += bt.result.events->via.array.size;
    }
    cw_enc_init(out);
    cw_enc_array(out, count);
    cw_enc_raw(out, cw_enc_data(&body), cw_enc_len(&body));
    cw_enc_free(&body);
    cw_dec_close(&d);
    cw_enc_free(&e);
}

/* Three sends (2 msgs each) in one block at frame limit `max_frame`; the note decoded into
 * *bn (borrowing from d: close it) and checked against the frame limit and block_results:
 * its events are exactly those of the block's first bn->txs txs, and the next tx's would
 * not have fit. */
static void block_with_note(struct fx *f, struct note_spy *spy, uint64_t max_frame, cw_dec *d,
                            cw_rpc_block_note *bn)
{
    char err[256];
    size_t len;
    uint8_t h[32];
    const uint64_t two[] = {1, 2};
    uint64_t nonce = next_nonce(f);
    for (uint32_t i = 0; i < 3; i++) {
        uint8_t *tx = sends_tx(f, nonce + i, two, 2, &len, h);
        assert_int_equal(submit(f, tx, len, err, sizeof err), CW_OK);
        free(tx);
    }
    f->node->cfg.max_frame_bytes = max_frame;
    produce(f, (f->node->height + 1) * 1000000000ull);
    assert_int_equal(spy->height, f->node->height);
    assert_true(spy->len + NOTE_WRAP <= max_frame);
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(d, &root, spy->buf, spy->len, 1u << 20, err, sizeof err), CW_OK);
    cw_rpc_block_note_dec(d, root, bn);
    assert_int_equal(d->rc, CW_OK);
    assert_int_equal(bn->txs_total, 3);
    cw_enc want, got;
    events_of_txs(f, f->node->height, bn->txs, &want);
    enc_obj(&got, bn->events);
    assert_enc_equal(&got, &want);
    cw_enc_free(&got);
    cw_enc_free(&want);
    if (bn->txs < bn->txs_total) { /* one more tx's events would have passed the limit */
        events_of_txs(f, f->node->height, bn->txs + 1, &want);
        cw_enc head;
        cw_enc_init(&head);
        cw_header_enc(&head, &bn->header);
        assert_true(1 + cw_enc_len(&head) + cw_enc_len(&want) + 10 + NOTE_WRAP > max_frame);
        cw_enc_free(&head);
        cw_enc_free(&want);
    }
}

static void test_block_note_is_cut_at_the_frame_limit_between_txs(void **state)
{
    struct fx *f = *state;
    struct note_spy spy = {0};
    cw_node_on_block(f->node, note_spy, &spy);
    cw_dec d;
    cw_rpc_block_note bn;
    /* the default limit: every event, txs == txs_total */
    block_with_note(f, &spy, 4u << 20, &d, &bn);
    assert_true(cw_rpc_block_note_complete(&bn));
    const size_t full = spy.len;
    cw_dec_close(&d);
    cw_node_status st;
    cw_node_get_status(f->node, &st);
    assert_int_equal(st.notes_partial, 0);
    /* one byte short of the whole note: cut at a tx boundary, the rest left to block_results */
    block_with_note(f, &spy, full + NOTE_WRAP - 1, &d, &bn);
    assert_true(bn.txs > 0 && bn.txs < bn.txs_total);
    cw_dec_close(&d);
    /* too small for any tx's events: the header alone, txs 0 */
    block_with_note(f, &spy, 400, &d, &bn);
    assert_int_equal(bn.txs, 0);
    assert_int_equal(bn.events->via.array.size, 0);
    cw_dec_close(&d);
    cw_node_get_status(f->node, &st);
    assert_int_equal(st.notes_partial, 2);
    cw_node_on_block(f->node, NULL, NULL);
    free(spy.buf);
}

/* The block clock: the rest of the interval when on time; after an overrun, at once only
 * when txs wait, else a whole interval (no empty block straight after a long one). */
static void test_block_clock_waits_a_whole_interval_after_an_overrun_with_nothing_waiting(void **s)
{
    (void)s;
    assert_int_equal(cw_node_next_block_delay_ms(1000, 200, 0), 800);
    assert_int_equal(cw_node_next_block_delay_ms(1000, 200, 7), 800);
    assert_int_equal(cw_node_next_block_delay_ms(1000, 999, 0), 1);
    assert_int_equal(cw_node_next_block_delay_ms(1000, 1000, 0), 1000);
    assert_int_equal(cw_node_next_block_delay_ms(1000, 1350, 0), 1000);
    assert_int_equal(cw_node_next_block_delay_ms(1000, 1350, 1), 1);
    assert_int_equal(cw_node_next_block_delay_ms(0, 0, 0), 1);
    assert_int_equal(cw_node_next_block_delay_ms(UINT64_MAX, 0, 0), UINT32_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_link_and_time_strictly_increases),
        cmocka_unit_test(test_transfer_lands_and_proofs_verify_at_each_height),
        cmocka_unit_test(test_admission_rejects_bad_txs_with_reasons),
        cmocka_unit_test(test_restart_resumes_same_chain),
        cmocka_unit_test(test_validator_update_by_admin_changes_next_set),
        cmocka_unit_test_setup_teardown(
            test_validator_set_grows_and_shrinks_and_every_signing_key_is_wiped, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_full_map_is_enospc_from_the_node_and_the_relayer_db, setup, teardown),
        cmocka_unit_test(test_reads_of_missing_heights_are_errors),
        cmocka_unit_test(test_bad_genesis_and_config_name_file_field_value),
        cmocka_unit_test(test_genesis_takes_several_markets),
        cmocka_unit_test(test_config_rpc_limits_validated_and_round_trip),
        cmocka_unit_test(test_query_many_equals_query_at_one_height),
        cmocka_unit_test(test_query_many_refuses_bad_params_and_leaves_node_unchanged),
        cmocka_unit_test(test_query_many_at_a_pruned_height_is_refused_like_query),
        cmocka_unit_test(test_packets_aligned_with_nil_for_missing),
        cmocka_unit_test(test_packets_answer_is_cut_at_the_soft_cap_and_resumes),
        cmocka_unit_test(test_soft_cap_keeps_the_first_item_and_cuts_exactly_at_the_cap),
        cmocka_unit_test_setup_teardown(
            test_block_results_pages_are_cut_at_the_soft_cap_and_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_block_note_is_cut_at_the_frame_limit_between_txs, setup, teardown),
        cmocka_unit_test(test_tx_status_agrees_with_tx),
        cmocka_unit_test_setup_teardown(test_tx_over_its_gas_limit_fails_without_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mempool_admits_by_gas_and_caps_each_sender, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_holds_at_most_max_block_gas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stated_gas_does_not_take_the_block_from_others,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_tx_that_outgrows_the_blocks_room_waits_whole_for_the_next, setup, teardown),
        cmocka_unit_test(test_block_clock_waits_a_whole_interval_after_an_overrun_with_nothing_waiting),
        cmocka_unit_test_setup_teardown(test_mempool_keeps_a_txs_bytes_not_its_decoded_tree,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("node", tests, setup, teardown);
}
