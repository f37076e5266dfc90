/* Unit tests for the relayer's config reader (every error names file, field and value; env
 * overrides; ids written back), its LMDB records, and its event cache (packets and acks
 * taken from block events land in the right path direction; junk events are ignored). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../relayer/relay.c"

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#define GOOD                                                                               \
    "{\"chains\": [{\"id\": \"alpha\", \"rpc\": \"ws://127.0.0.1:1000/\", \"key_file\": \"k\","   \
    " \"trust_root\": \"7:" HASH "\"},"                                                    \
    " {\"id\": \"beta\", \"rpc\": \"ws://127.0.0.1:1001/\"}],"                             \
    " \"paths\": [{\"name\": \"p0\", \"a\": {\"chain\": \"alpha\", \"port\": \"collateral\","    \
    " \"channel\": \"\", \"client\": \"\"}, \"b\": {\"chain\": \"beta\", \"port\": "           \
    "\"collateral\", \"channel\": \"channel-3\", \"client\": \"client-1\"}}],"             \
    " \"batch_size\": 7}"
#define HASH "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void test_config_good_and_env(void **state)
{
    (void)state;
    static rly_config c;
    char err[512];
    const char *p = write_file("good.json", GOOD);
    assert_int_equal(rly_config_load(&c, p, err, sizeof err), CW_OK);
    assert_int_equal(c.n_chains, 2);
    assert_int_equal(c.n_paths, 1);
    assert_int_equal(c.batch_size, 7);
    assert_true(c.chains[0].has_trust);
    assert_int_equal(c.chains[0].trust_height, 7);
    assert_int_equal(c.chains[0].trust_hash[1], 0x11);
    assert_false(c.chains[1].has_trust);
    assert_string_equal(c.paths[0].end[1].channel, "channel-3");
    assert_string_equal(c.paths[0].end[0].channel, "");
    assert_int_equal(c.paths[0].end[1].chain_ix, 1);
    setenv("CAUSEWAY_CHAIN_BETA_RPC", "ws://10.0.0.1:26657/", 1);
    setenv("CAUSEWAY_RELAYER_BATCH", "33", 1);
    setenv("CAUSEWAY_RELAYER_DB", "/tmp/x.db", 1);
    assert_int_equal(rly_config_load(&c, p, err, sizeof err), CW_OK);
    assert_string_equal(c.chains[1].rpc, "ws://10.0.0.1:26657/");
    assert_int_equal(c.batch_size, 33);
    assert_string_equal(c.db_path, "/tmp/x.db");
    setenv("CAUSEWAY_RELAYER_BATCH", "0", 1);
    assert_int_equal(rly_config_load(&c, p, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "CAUSEWAY_RELAYER_BATCH"));
    unsetenv("CAUSEWAY_CHAIN_BETA_RPC");
    unsetenv("CAUSEWAY_RELAYER_BATCH");
    unsetenv("CAUSEWAY_RELAYER_DB");
    /* ids are written back, other fields kept */
    snprintf(c.paths[0].end[0].client, sizeof c.paths[0].end[0].client, "client-9");
    snprintf(c.paths[0].end[0].channel, sizeof c.paths[0].end[0].channel, "channel-4");
    assert_int_equal(rly_config_save_ids(&c, err, sizeof err), CW_OK);
    static rly_config d;
    assert_int_equal(rly_config_load(&d, p, err, sizeof err), CW_OK);
    assert_string_equal(d.paths[0].end[0].client, "client-9");
    assert_string_equal(d.paths[0].end[0].channel, "channel-4");
    assert_int_equal(d.batch_size, 7);
}

struct bad {
    const char *json;
    const char *field;
    const char *value;
};

static void test_config_errors_name_file_field_value(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"{\"chains\": [], \"paths\": [], \"batch_size\": 0}", "batch_size", "0"},
        {"{\"chains\": [], \"paths\": [], \"batch_size\": 5000}", "batch_size", "5000"},
        {"{\"chains\": [], \"paths\": [], \"colour\": 1}", "colour", NULL},
        {"{\"chains\": [{\"id\": \"a/b\", \"rpc\": \"ws://h:1/\"}], \"paths\": []}", "chains[0].id",
         "a/b"},
        {"{\"chains\": [{\"id\": \"a\", \"rpc\": \"http://h:1/\"}], \"paths\": []}", "chains[0].rpc",
         "http://h:1/"},
        {"{\"chains\": [{\"id\": \"a\", \"rpc\": \"ws://h:1/\", \"trust_root\": \"x:y\"}], "
         "\"paths\": []}", "trust_root", "x:y"},
        {"{\"chains\": [{\"id\": \"a\", \"rpc\": \"ws://h:1/\", \"trust_root\": \"0:" HASH "\"}], "
         "\"paths\": []}", "trust_root", "0:"},
        {"{\"chains\": [{\"id\": \"a\", \"rpc\": \"ws://h:1/\"}, {\"id\": \"a\", \"rpc\": "
         "\"ws://h:2/\"}], \"paths\": []}", "chains[1].id", "\"a\""},
        {"{\"chains\": [{\"id\": \"a\", \"rpc\": \"ws://h:1/\"}], \"paths\": [{\"a\": {\"chain\": "
         "\"a\", \"port\": \"p\"}, \"b\": {\"chain\": \"zz\", \"port\": \"p\"}}]}",
         "paths[0].b.chain", "zz"},
        {"{\"chains\": [{\"id\": \"a\", \"rpc\": \"ws://h:1/\"}], \"paths\": [{\"ordering\": "
         "\"sideways\", \"a\": {\"chain\": \"a\", \"port\": \"p\"}, \"b\": {\"chain\": \"a\", "
         "\"port\": \"p\"}}]}", "paths[0].ordering", "sideways"},
        {"{\"chains\": [], \"paths\": [], \"log_level\": \"loud\"}", "log_level", "loud"},
        {"not json", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static rly_config c;
        char err[512] = "";
        const char *p = write_file("bad.json", cases[i].json);
        int rc = rly_config_load(&c, p, err, sizeof err);
        if (rc == CW_OK)
            fail_msg("case %zu accepted: %s", i, cases[i].json);
        if (!strstr(err, p))
            fail_msg("case %zu: error does not name the file: %s", i, err);
        if (cases[i].field && !strstr(err, cases[i].field))
            fail_msg("case %zu: error does not name %s: %s", i, cases[i].field, err);
        if (cases[i].value && !strstr(err, cases[i].value))
            fail_msg("case %zu: error does not name %s: %s", i, cases[i].value, err);
    }
    static rly_config c;
    char err[256];
    assert_true(rly_config_load(&c, "/nonexistent/relayer.json", err, sizeof err) < 0);
}

static void scan_count(void *u, const char *key, const uint8_t *v, size_t n)
{
    (void)v;
    (void)n;
    assert_non_null(strstr(key, "sub/"));
    (*(int *)u)++;
}

static void test_db_records(void **state)
{
    (void)state;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/db", dir);
    rly_db *db;
    assert_int_equal(rly_db_open(&db, path, err, sizeof err), CW_OK);
    uint64_t v;
    assert_int_equal(rly_db_get_u64(db, "cursor/p0/alpha", &v), CW_ENOTFOUND);
    assert_int_equal(rly_db_put_u64(db, "cursor/p0/alpha", 0x0102030405060708ull), CW_OK);
    assert_int_equal(rly_db_get_u64(db, "cursor/p0/alpha", &v), CW_OK);
    assert_true(v == 0x0102030405060708ull);
    assert_int_equal(rly_db_put(db, "sub/alpha/aa", "x", 1), CW_OK);
    assert_int_equal(rly_db_put(db, "sub/beta/bb", "y", 1), CW_OK);
    assert_int_equal(rly_db_put(db, "trust/alpha", "z", 1), CW_OK);
    int n = 0;
    assert_int_equal(rly_db_scan(db, "sub/", scan_count, &n), CW_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rly_db_del(db, "sub/alpha/aa"), CW_OK);
    assert_int_equal(rly_db_del(db, "sub/alpha/aa"), CW_OK); /* absent: fine */
    n = 0;
    assert_int_equal(rly_db_scan(db, "sub/", scan_count, &n), CW_OK);
    assert_int_equal(n, 1);
    rly_db_close(db);
    /* reopen: durable */
    assert_int_equal(rly_db_open(&db, path, err, sizeof err), CW_OK);
    assert_int_equal(rly_db_get_u64(db, "cursor/p0/alpha", &v), CW_OK);
    assert_true(v == 0x0102030405060708ull);
    rly_db_close(db);
}

/* an event [type, [["packet", bin], ["ack", bin]]] for a packet alpha/ch-0 -> beta/ch-1 */
static void enc_event(cw_enc *e, const char *type, uint64_t seq, bool with_ack)
{
    cw_packet p = {.sequence = seq, .timeout_height = 100};
    snprintf(p.source_port, sizeof p.source_port, "collateral");
    snprintf(p.source_channel, sizeof p.source_channel, "channel-0");
    snprintf(p.dest_port, sizeof p.dest_port, "collateral");
    snprintf(p.dest_channel, sizeof p.dest_channel, "channel-1");
    p.data = (cw_bytes){(const uint8_t *)"hi", 2};
    cw_enc pk;
    cw_enc_init(&pk);
    cw_packet_enc(&pk, &p);
    cw_enc_array(e, 2);
    cw_enc_cstr(e, type);
    cw_enc_array(e, with_ack ? 2 : 1);
    cw_enc_array(e, 2);
    cw_enc_cstr(e, "packet");
    cw_enc_bin(e, cw_enc_data(&pk), cw_enc_len(&pk));
    if (with_ack) {
        cw_enc_array(e, 2);
        cw_enc_cstr(e, "ack");
        cw_enc_bin(e, "\x92\xc3\xc4\x00", 4);
    }
    cw_enc_free(&pk);
}

static void test_event_cache(void **state)
{
    (void)state;
    static rly_config c;
    char err[512];
    const char *p = write_file(
        "ev.json",
        "{\"chains\": [{\"id\": \"alpha\", \"rpc\": \"ws://127.0.0.1:1/\"}, {\"id\": \"beta\", "
        "\"rpc\": \"ws://127.0.0.1:2/\"}], \"paths\": [{\"a\": {\"chain\": \"alpha\", \"port\": "
        "\"collateral\", \"channel\": \"channel-0\"}, \"b\": {\"chain\": \"beta\", \"port\": "
        "\"collateral\", \"channel\": \"channel-1\"}}]}");
    assert_int_equal(rly_config_load(&c, p, err, sizeof err), CW_OK);
    static rly_ctx x;
    assert_int_equal(rly_ctx_init(&x, &c, false, false, err, sizeof err), CW_OK);
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 5);
    enc_event(&e, "send_packet", 5, false);
    enc_event(&e, "write_acknowledgement", 6, true);
    cw_enc_cstr(&e, "junk");
    cw_enc_array(&e, 0);
    enc_event(&e, "recv_packet", 7, false);
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), 1 << 20, err,
                                 sizeof err), CW_OK);
    /* send_packet seen on alpha (the source) */
    cache_events(&x, &x.conns[0], root, 1000);
    /* write_acknowledgement seen on beta (the destination) */
    cache_events(&x, &x.conns[1], root, 2000);
    rly_entry *en = entry(&x, 0, 0, 5, false);
    assert_non_null(en);
    assert_non_null(en->pkt);
    assert_true(en->sent_ns == 1000);
    en = entry(&x, 0, 0, 6, false);
    assert_non_null(en);
    assert_non_null(en->ack);
    assert_int_equal(en->ack_len, 4);
    assert_null(entry(&x, 0, 0, 7, false)); /* recv_packet is not cached */
    assert_null(entry(&x, 0, 1, 5, false)); /* nothing in the other direction */
    cw_dec_close(&d);
    cw_enc_free(&e);
    rly_ctx_free(&x);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/cwrlyXXXXXX");
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_good_and_env),
        cmocka_unit_test(test_config_errors_name_file_field_value),
        cmocka_unit_test(test_db_records),
        cmocka_unit_test(test_event_cache),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
