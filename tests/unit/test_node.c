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

#include "../../chain/chain.h"
#include "causeway/bank.h"
#include "causeway/ics23.h"
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

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->home, sizeof f->home, "/tmp/cwnodeXXXXXX");
    if (!mkdtemp(f->home))
        return -1;
    rm_rf(f->home);
    char *argv[] = {"init", "--home", f->home, "--chain-id", "alpha", "--validators", "4",
                    "--accounts", "alice,bob", "--denoms", "uatom", "--amount", "1000", NULL};
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int rc = cw_chain_cmd_init(13, argv);
    fclose(stdout);
    stdout = saved;
    if (rc)
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
    cw_msg_begin(&e, "bank.send", 3);
    cw_enc_bin(&e, f->bob_addr.b, 20);
    cw_enc_cstr(&e, "uatom");
    cw_enc_u64(&e, amount);
    cw_bytes m = {cw_enc_data(&e), cw_enc_len(&e)};
    assert_int_equal(cw_tx_sign(&buf, len, chain, &f->alice, nonce, &m, 1, "", err, sizeof err),
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

static uint64_t balance_at(struct fx *f, const cw_address *a, uint64_t h, bool verify)
{
    char key[128], hex[41], err[256];
    cw_hex_encode(hex, sizeof hex, a->b, 20);
    snprintf(key, sizeof key, "bank/balances/%s/uatom", hex);
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_query(f->node, (const uint8_t *)key, strlen(key), h, true, &e, err,
                                   sizeof err), CW_OK);
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), 1 << 20, err,
                                 sizeof err), CW_OK);
    const msgpack_object *r = cw_dec_array(&d, root, 3, "query");
    assert_int_equal(d.rc, CW_OK);
    cw_bytes proof = cw_dec_bin(&d, &r[1], 1 << 20, "proof");
    assert_int_equal(d.rc, CW_OK);
    uint64_t v = 0;
    if (verify) { /* the proof verifies against the signed header's state root at h */
        cw_light_block lb;
        light_block(f, h, &lb);
        const uint8_t *root32 = lb.signed_header.header.state_root;
        if (r[0].type == MSGPACK_OBJECT_BIN) {
            assert_int_equal(cw_ics23_verify_membership(cw_ics23_spec_smt(), root32, proof.p,
                                                        proof.len, (const uint8_t *)key,
                                                        strlen(key),
                                                        (const uint8_t *)r[0].via.bin.ptr,
                                                        r[0].via.bin.size, err, sizeof err),
                             CW_OK);
        } else {
            assert_int_equal(cw_ics23_verify_non_membership(cw_ics23_spec_smt(), root32, proof.p,
                                                            proof.len, (const uint8_t *)key,
                                                            strlen(key), err, sizeof err),
                             CW_OK);
        }
        cw_light_block_free(&lb);
    }
    if (r[0].type == MSGPACK_OBJECT_BIN && r[0].via.bin.size == 8)
        v = cw_be64_get((const uint8_t *)r[0].via.bin.ptr);
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
    cw_msg_begin(&e, "admin.update_validators", 1);
    cw_validator_set_enc(&e, &vs);
    cw_bytes m = {cw_enc_data(&e), cw_enc_len(&e)};
    uint8_t *tx, h[32];
    size_t len;
    assert_int_equal(cw_tx_sign(&tx, &len, "alpha", &admin, 0, &m, 1, "", err, sizeof err),
                     CW_OK);
    assert_int_equal(cw_node_submit_tx(f->node, tx, len, h, err, sizeof err), CW_OK);
    free(tx);
    /* the same msg from alice is refused in execution */
    assert_int_equal(cw_tx_sign(&tx, &len, "alpha", &f->alice, 5, &m, 1, "", err, sizeof err),
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_link_and_time_strictly_increases),
        cmocka_unit_test(test_transfer_lands_and_proofs_verify_at_each_height),
        cmocka_unit_test(test_admission_rejects_bad_txs_with_reasons),
        cmocka_unit_test(test_restart_resumes_same_chain),
        cmocka_unit_test(test_validator_update_by_admin_changes_next_set),
        cmocka_unit_test(test_reads_of_missing_heights_are_errors),
        cmocka_unit_test(test_bad_genesis_and_config_name_file_field_value),
    };
    return cmocka_run_group_tests_name("node", tests, setup, teardown);
}
