/* Unit tests for the relayer's config reader (every error names file, field and value; env
 * overrides; ids written back), its LMDB records (a failed write is counted), its event cache
 * (packets and acks taken from block events land in the right path direction; junk events
 * are ignored), the `blocks` notification it reads (through the contract's decoder), and
 * its decisions, table-driven: which packets to recv / ack / time out,
 * which handshake step two channel ends call for, which update hops a client needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "../../relayer/db.c" /* struct rly_db: a read-only env for the failing-write test */
#include "../../relayer/relay.h"

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

/* two chains alpha and beta, one path p0: alpha/collateral/channel-0 (its client-0 tracks
 * beta) <-> beta/collateral/channel-1; and a context over it (no keys, no subscription) */
static rly_ctx *two_chain_ctx(void)
{
    static rly_config c;
    static rly_ctx x;
    char err[512];
    const char *p = write_file(
        "two.json",
        "{\"chains\": [{\"id\": \"alpha\", \"rpc\": \"ws://127.0.0.1:1/\"}, {\"id\": \"beta\", "
        "\"rpc\": \"ws://127.0.0.1:2/\"}], \"paths\": [{\"name\": \"p0\", \"a\": {\"chain\": "
        "\"alpha\", \"port\": \"collateral\", \"channel\": \"channel-0\", \"client\": "
        "\"client-0\"}, \"b\": {\"chain\": \"beta\", \"port\": \"collateral\", \"channel\": "
        "\"channel-1\"}}]}");
    assert_int_equal(rly_config_load(&c, p, err, sizeof err), CW_OK);
    assert_int_equal(rly_ctx_init(&x, &c, false, false, err, sizeof err), CW_OK);
    return &x;
}

/* a packet event for a packet alpha/channel-0 -> beta/channel-1, by the chain's event writer */
static void write_packet_event(cw_events *ev, const char *type, uint64_t seq, bool with_ack)
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
    cw_event_begin(ev, type, with_ack ? 2 : 1);
    cw_event_attr_bin(ev, CW_ATTR_PACKET, cw_enc_data(&pk), cw_enc_len(&pk));
    if (with_ack)
        cw_event_attr_bin(ev, CW_ATTR_ACK, "\x92\xc3\xc4\x00", 4);
    cw_enc_free(&pk);
}

static void write_update_event(cw_events *ev, const char *client_id, uint64_t height)
{
    cw_event_begin(ev, CW_EV_UPDATE_CLIENT, 2);
    cw_event_attr_str(ev, CW_ATTR_CLIENT_ID, client_id);
    cw_event_attr_u64(ev, CW_ATTR_HEIGHT, height);
}

/* the events written to ev, encoded as the chain encodes a block's (into e, freeing ev) */
static void encode_events(cw_events *ev, cw_enc *e)
{
    cw_enc_init(e);
    assert_int_equal(cw_events_encode(ev, (cw_events_mark){0, 0}, e), CW_OK);
    assert_int_equal(e->rc, CW_OK);
    cw_events_free(ev);
}

static void test_event_cache(void **state)
{
    (void)state;
    char err[512];
    rly_ctx *x = two_chain_ctx();
    cw_events ev;
    cw_events_init(&ev);
    write_packet_event(&ev, CW_EV_SEND_PACKET, 5, false);
    write_packet_event(&ev, CW_EV_WRITE_ACK, 6, true);
    cw_event_begin(&ev, "junk", 0);
    write_packet_event(&ev, CW_EV_RECV_PACKET, 7, false);
    cw_enc e;
    encode_events(&ev, &e);
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), 1 << 20, err,
                                 sizeof err), CW_OK);
    /* send_packet seen on alpha (the source) */
    rly_cache_events(x, &x->conns[0], root, 31, 1000);
    /* write_acknowledgement seen on beta (the destination), on its first connection */
    x->conns[1].connects = 1;
    rly_cache_events(x, &x->conns[1], root, 77, 2000);
    rly_entry *en = rly_entry_get(x, 0, 0, 5, false);
    assert_non_null(en);
    assert_non_null(en->pkt);
    assert_true(en->sent_ns == 1000);
    /* the pending age counts from the send block's height, not from when a tick listed it */
    assert_true(en->sent_height == 31);
    en->seen_height = 40;
    assert_true(rly_entry_since(en) == 31);
    /* a packet the relayer never saw sent: from when it was first listed (a lower bound) */
    rly_entry *old = rly_entry_get(x, 0, 0, 3, true);
    assert_non_null(old);
    assert_true(rly_entry_since(old) == 0);
    old->seen_height = 40;
    assert_true(rly_entry_since(old) == 40);
    en = rly_entry_get(x, 0, 0, 6, false);
    assert_non_null(en);
    assert_non_null(en->ack);
    assert_int_equal(en->ack_len, 4);
    /* write_acknowledgement: its packet is received, seen on beta's current connection */
    assert_true(rly_receipt_known(en, x->conns[1].connects));
    assert_false(rly_ask_receipt(en, x->conns[1].connects, 0));
    assert_false(rly_receipt_known(rly_entry_get(x, 0, 0, 5, false), x->conns[1].connects));
    assert_null(rly_entry_get(x, 0, 0, 7, false)); /* recv_packet is not cached */
    assert_null(rly_entry_get(x, 0, 1, 5, false)); /* nothing in the other direction */
    cw_dec_close(&d);
    cw_enc_free(&e);
    rly_ctx_free(x);
}

/* A `blocks` notification, written with the contract's encoder as the chain writes it: the
 * chain's height and block time advance (never back), its send_packet is cached with the
 * block time, the update_client of a path end's client is noted for the misbehaviour check
 * (another client's is not), and a payload that does not decode changes nothing. */
static void test_block_notification(void **state)
{
    (void)state;
    char err[512];
    rly_ctx *x = two_chain_ctx();
    cw_events ev;
    cw_events_init(&ev);
    write_update_event(&ev, "client-0", 42);
    write_packet_event(&ev, CW_EV_SEND_PACKET, 9, false);
    write_update_event(&ev, "client-7", 43); /* not a path end's client */
    cw_enc evs;
    encode_events(&ev, &evs);
    cw_rpc_block_note bn = {.header = {.chain_id = "alpha", .height = 12, .time_ns = 5000},
                            .events_enc = {cw_enc_data(&evs), cw_enc_len(&evs)}};
    cw_enc note;
    cw_enc_init(&note);
    cw_rpc_block_note_enc(&note, &bn);
    assert_int_equal(note.rc, CW_OK);

    /* the contract's decoder reads back what its encoder wrote */
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&note), cw_enc_len(&note), 1 << 20,
                                 err, sizeof err), CW_OK);
    cw_rpc_block_note got;
    cw_rpc_block_note_dec(&d, root, &got);
    assert_int_equal(d.rc, CW_OK);
    assert_string_equal(got.header.chain_id, "alpha");
    assert_true(got.header.height == 12 && got.header.time_ns == 5000);
    assert_int_equal(cw_events_count(cw_enc_data(&evs), cw_enc_len(&evs), CW_EV_UPDATE_CLIENT),
                     2);
    uint32_t k = 0;
    assert_non_null(cw_events_find(got.events, CW_EV_SEND_PACKET, &k));
    cw_dec_close(&d);

    cw_chain_client *a = &x->conns[0];
    rly_on_block(x, a, cw_enc_data(&note), cw_enc_len(&note));
    assert_true(a->height == 12 && a->time_ns == 5000);
    rly_entry *en = rly_entry_get(x, 0, 0, 9, false);
    assert_non_null(en);
    assert_non_null(en->pkt);
    assert_true(en->sent_ns == 5000);
    assert_true(en->sent_height == 12); /* the pending age counts from the block's height */
    assert_int_equal(x->n_upd_seen, 1);
    assert_int_equal(x->upd_seen[0].path, 0);
    assert_int_equal(x->upd_seen[0].end, 0);
    assert_true(x->upd_seen[0].height == 42);
    rly_on_block(x, a, cw_enc_data(&note), cw_enc_len(&note)); /* seen already: noted once */
    assert_int_equal(x->n_upd_seen, 1);

    /* an older block does not move the height back; a cut payload changes nothing */
    cw_enc old;
    cw_enc_init(&old);
    bn.header.height = 11;
    bn.header.time_ns = 4000;
    bn.events_enc = (cw_bytes){0};
    cw_rpc_block_note_enc(&old, &bn);
    rly_on_block(x, a, cw_enc_data(&old), cw_enc_len(&old));
    assert_true(a->height == 12 && a->time_ns == 5000);
    rly_on_block(x, &x->conns[1], cw_enc_data(&note), cw_enc_len(&note) - 1);
    assert_true(x->conns[1].height == 0);
    assert_null(rly_entry_get(x, 0, 1, 9, false));

    /* a cut note (the chain left txs 1.. out): its own events are cached, the rest is read
     * with block_results — beta is unreachable here, so that fails, is counted and said */
    cw_enc cut;
    cw_enc_init(&cut);
    bn.header.chain_id[0] = 'b';
    bn.header.height = 13;
    bn.header.time_ns = 6000;
    bn.events_enc = (cw_bytes){cw_enc_data(&evs), cw_enc_len(&evs)};
    bn.txs = 1;
    bn.txs_total = 2;
    cw_rpc_block_note_enc(&cut, &bn);
    assert_int_equal(cut.rc, CW_OK);
    uint64_t failures = rly_m.blocks_paged_failures, paged = rly_m.blocks_paged;
    assert_int_not_equal(rly_on_block(x, &x->conns[1], cw_enc_data(&cut), cw_enc_len(&cut)),
                         CW_OK);
    assert_true(x->conns[1].height == 13);
    assert_int_equal(rly_m.blocks_paged_failures, failures + 1);
    assert_int_equal(rly_m.blocks_paged, paged);
    cw_enc_free(&cut);

    cw_enc_free(&old);
    cw_enc_free(&note);
    cw_enc_free(&evs);
    rly_ctx_free(x);
}

/* ---- a durable write that fails is logged and counted ---------------------------------- */

static void test_db_write_failure_is_counted(void **state)
{
    (void)state;
    char err[512];
    rly_ctx *x = two_chain_ctx();
    snprintf(x->cfg->db_path, sizeof x->cfg->db_path, "%s/rodb", dir);
    assert_int_equal(rly_ctx_open_db(x, err, sizeof err), CW_OK);
    /* the same environment, reopened read-only: every write txn fails */
    mdb_env_close(x->db->env);
    assert_int_equal(mdb_env_create(&x->db->env), 0);
    assert_int_equal(mdb_env_open(x->db->env, x->cfg->db_path, MDB_RDONLY | MDB_NOTLS, 0600), 0);
    uint64_t seqs[2] = {4, 5};
    rly_inflight f = {.path = 0, .dir = 0, .kind = RLY_K_RECV, .chain = 1, .seqs = seqs, .n = 2};
    memset(f.hash, 0xab, sizeof f.hash);
    uint64_t before = rly_m.db_write_failures;
    rly_inflight_persist(x, &f); /* the record of a submitted tx */
    assert_true(rly_m.db_write_failures == before + 1);
    rly_set_cursors(x, &x->conns[0], 9); /* one cursor per path the chain is on */
    assert_true(rly_m.db_write_failures == before + 2);
    assert_int_equal(rly_db_checked(CW_OK, "k"), CW_OK);
    assert_true(rly_m.db_write_failures == before + 2);
    rly_ctx_free(x);
}

/* ---- packet classification ------------------------------------------------------------- */

#define NONE 0
#define TO_BIT (1u << RLY_K_TIMEOUT)
#define RECV_BIT (1u << RLY_K_RECV)
#define MAXP 8

/* one packet: seq, received, in-flight bits, retry_after_ms, timeout height, timeout time */
typedef struct {
    const char *name;
    bool ordered;
    size_t cap;
    size_t n;
    rly_pkt_fact pk[MAXP];
    uint64_t recv[MAXP], ack[MAXP], timeout[MAXP]; /* expected, 0-terminated */
} classify_row;

#define P(seq, rcvd, infl, retry, th, tt) {seq, rcvd, infl, retry, th, tt}
/* the destination is at height 100, time 1000 ns; now is 5000 ms */
static const classify_row classify_rows[] = {
    {"unordered: received -> ack", false, 9, 1, {P(1, true, NONE, 0, 0, 0)}, {0}, {1}, {0}},
    {"unordered: not received -> recv", false, 9, 1, {P(1, false, NONE, 0, 200, 0)}, {1}, {0},
     {0}},
    {"unordered: timed out by height", false, 9, 1, {P(1, false, NONE, 0, 100, 0)}, {0}, {0},
     {1}},
    {"unordered: timed out by time", false, 9, 1, {P(1, false, NONE, 0, 0, 1000)}, {0}, {0}, {1}},
    {"unordered: not yet timed out by time", false, 9, 1, {P(1, false, NONE, 0, 0, 1001)}, {1},
     {0}, {0}},
    {"in flight (recv) -> nothing", false, 9, 2,
     {P(1, false, RECV_BIT, 0, 200, 0), P(2, true, 1u << RLY_K_ACK, 0, 0, 0)}, {0}, {0}, {0}},
    {"retry later -> nothing until then", false, 9, 2,
     {P(1, false, NONE, 5001, 200, 0), P(2, true, NONE, 6000, 0, 0)}, {0}, {0}, {0}},
    {"retry time passed -> relayed", false, 9, 2,
     {P(1, false, NONE, 5000, 200, 0), P(2, true, NONE, 4000, 0, 0)}, {1}, {2}, {0}},
    {"unordered: a timeout does not block later recvs", false, 9, 3,
     {P(1, false, NONE, 0, 50, 0), P(2, false, NONE, 0, 200, 0), P(3, true, NONE, 0, 0, 0)}, {2},
     {3}, {1}},
    {"ordered: in order", true, 9, 3,
     {P(1, false, NONE, 0, 200, 0), P(2, false, NONE, 0, 200, 0), P(3, false, NONE, 0, 200, 0)},
     {1, 2, 3}, {0}, {0}},
    {"ordered: a timed-out packet ahead blocks later recvs", true, 9, 4,
     {P(1, false, NONE, 0, 200, 0), P(2, false, NONE, 0, 90, 0), P(3, false, NONE, 0, 200, 0),
      P(4, true, NONE, 0, 0, 0)},
     {1}, {4}, {2}},
    {"ordered: a timeout in flight ahead blocks later recvs", true, 9, 2,
     {P(1, false, TO_BIT, 0, 90, 0), P(2, false, NONE, 0, 200, 0)}, {0}, {0}, {0}},
    {"ordered: a recv in flight ahead does not block", true, 9, 2,
     {P(1, false, RECV_BIT, 0, 200, 0), P(2, false, NONE, 0, 200, 0)}, {2}, {0}, {0}},
    {"ordered: timeouts after a timeout are all listed", true, 9, 3,
     {P(1, false, NONE, 0, 90, 0), P(2, false, NONE, 0, 0, 999), P(3, false, NONE, 0, 200, 0)},
     {0}, {0}, {1, 2}},
    {"unordered: a timeout in flight blocks nothing", false, 9, 2,
     {P(1, false, TO_BIT, 0, 90, 0), P(2, false, NONE, 0, 200, 0)}, {2}, {0}, {0}},
    {"cap: at most cap of each kind", false, 2, 6,
     {P(1, false, NONE, 0, 200, 0), P(2, false, NONE, 0, 200, 0), P(3, false, NONE, 0, 200, 0),
      P(4, true, NONE, 0, 0, 0), P(5, true, NONE, 0, 0, 0), P(6, true, NONE, 0, 0, 0)},
     {1, 2}, {4, 5}, {0}},
    {"cap: recv full, timeouts still found", false, 1, 3,
     {P(1, false, NONE, 0, 200, 0), P(2, false, NONE, 0, 200, 0), P(3, false, NONE, 0, 10, 0)},
     {1}, {0}, {3}},
    {"nothing committed", false, 9, 0, {{0}}, {0}, {0}, {0}},
};

static void expect_list(const char *row, const char *kind, const uint64_t *got, size_t n,
                        const uint64_t *want)
{
    size_t nw = 0;
    while (nw < MAXP && want[nw])
        nw++;
    if (n != nw)
        fail_msg("%s: %s: %zu sequences, want %zu", row, kind, n, nw);
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("%s: %s[%zu] = %llu, want %llu", row, kind, i, (unsigned long long)got[i],
                     (unsigned long long)want[i]);
}

static void test_classify_table(void **state)
{
    (void)state;
    for (size_t r = 0; r < sizeof classify_rows / sizeof classify_rows[0]; r++) {
        const classify_row *row = &classify_rows[r];
        uint64_t recv[MAXP], ack[MAXP], to[MAXP];
        rly_dir_facts f = {.pkts = row->pk, .n = row->n, .ordered = row->ordered,
                           .dst_height = 100, .dst_time_ns = 1000, .now_ms = 5000,
                           .cap = row->cap};
        rly_plan plan = {.recv = recv, .ack = ack, .timeout = to};
        rly_classify(&f, &plan);
        expect_list(row->name, "recv", recv, plan.n_recv, row->recv);
        expect_list(row->name, "ack", ack, plan.n_ack, row->ack);
        expect_list(row->name, "timeout", to, plan.n_timeout, row->timeout);
    }
}

static void test_proof_usable_table(void **state)
{
    (void)state;
    static const uint8_t five[8] = {0, 0, 0, 0, 0, 0, 0, 5}, ack[1] = {1};
    static const struct {
        const char *name;
        int kind;
        bool ordered;
        uint64_t seq;
        const uint8_t *val;
        size_t len;
        bool usable;
        uint64_t next_recv;
    } rows[] = {
        {"recv: packet commitment proven", RLY_K_RECV, true, 5, ack, 1, true, 0},
        {"recv: acked or timed out meanwhile", RLY_K_RECV, false, 5, NULL, 0, false, 0},
        {"ack: ack commitment proven", RLY_K_ACK, false, 5, ack, 1, true, 0},
        {"ack: no ack written yet", RLY_K_ACK, false, 5, NULL, 0, false, 0},
        {"unordered timeout: receipt absent", RLY_K_TIMEOUT, false, 5, NULL, 0, true, 0},
        {"unordered timeout: received after all", RLY_K_TIMEOUT, false, 5, ack, 1, false, 0},
        {"ordered timeout: nextSequenceRecv == seq", RLY_K_TIMEOUT, true, 5, five, 8, true, 5},
        {"ordered timeout: nextSequenceRecv < seq", RLY_K_TIMEOUT, true, 6, five, 8, true, 5},
        {"ordered timeout: already received (nextSequenceRecv > seq)", RLY_K_TIMEOUT, true, 4,
         five, 8, false, 5},
        {"ordered timeout: no nextSequenceRecv", RLY_K_TIMEOUT, true, 5, NULL, 0, false, 0},
        {"ordered timeout: malformed nextSequenceRecv", RLY_K_TIMEOUT, true, 5, five, 7, false, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint64_t nr = 99;
        bool u = rly_proof_usable(rows[i].kind, rows[i].ordered, rows[i].seq, rows[i].val,
                                  rows[i].len, &nr);
        if (u != rows[i].usable || nr != rows[i].next_recv)
            fail_msg("%s: usable %d next_recv %llu", rows[i].name, u, (unsigned long long)nr);
    }
}

/* Which pending packets a tick asks the destination about (unreceived_packets): only those
 * whose receipt the relayer does not know and that rly_classify would act on. A packet whose
 * tx failed or was refused (in-flight mark gone, no receipt recorded) is asked again. */
static void test_ask_receipt_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool cached;
        uint64_t received_on;
        uint8_t inflight;
        uint64_t retry_after_ms;
        uint64_t conn; /* the destination's connection now */
        bool known, ask;
    } rows[] = {
        {"not cached (start, eviction)", false, 0, 0, 0, 3, false, true},
        {"cached, receipt never seen", true, 0, 0, 0, 3, false, true},
        {"receipt seen on this connection", true, 3, 0, 0, 3, true, false},
        {"receipt seen before a reconnect", true, 2, 0, 0, 3, false, true},
        {"recv in flight", true, 0, 1u << RLY_K_RECV, 0, 3, false, false},
        {"ack in flight", true, 3, 1u << RLY_K_ACK, 0, 3, true, false},
        {"its tx failed: mark gone, no receipt", true, 0, 0, 0, 3, false, true},
        {"a msg failed: waiting to retry", true, 0, 0, 5001, 3, false, false},
        {"a msg failed: retry time passed", true, 0, 0, 5000, 3, false, true},
        {"not connected yet (connects 0)", true, 0, 0, 0, 0, false, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        rly_entry en = {.seq = 9, .received_on = rows[i].received_on,
                        .inflight = rows[i].inflight, .retry_after_ms = rows[i].retry_after_ms};
        const rly_entry *e = rows[i].cached ? &en : NULL;
        bool known = rly_receipt_known(e, rows[i].conn);
        bool ask = rly_ask_receipt(e, rows[i].conn, 5000);
        if (known != rows[i].known || ask != rows[i].ask)
            fail_msg("%s: known %d ask %d", rows[i].name, known, ask);
    }
}

/* ---- handshake ------------------------------------------------------------------------- */

static void test_handshake_every_pair(void **state)
{
    (void)state;
    enum { E = RLY_HS_ERR_STATE, CA = RLY_HS_CLOSE_CONFIRM_A, CB = RLY_HS_CLOSE_CONFIRM_B };
    /* [A][B] with both ends naming each other: none, INIT, TRYOPEN, OPEN, CLOSED */
    static const rly_hs_action want[5][5] = {
        {RLY_HS_OPEN_INIT, E, E, E, CA},
        {RLY_HS_OPEN_TRY, E, RLY_HS_OPEN_ACK, E, CA},
        {E, E, E, E, CA},
        {E, E, RLY_HS_OPEN_CONFIRM, RLY_HS_DONE, CA},
        {CB, CB, CB, CB, RLY_HS_CLOSED},
    };
    for (int a = 0; a <= CW_CHAN_CLOSED; a++)
        for (int b = 0; b <= CW_CHAN_CLOSED; b++) {
            rly_hs_ends e = {{a, b}, {true, true}};
            if (rly_hs_next(&e) != want[a][b])
                fail_msg("A=%d B=%d: action %d, want %d", a, b, rly_hs_next(&e), want[a][b]);
        }
    /* ends that do not name each other */
    static const struct {
        int a, b;
        bool a_names_b, b_names_a;
        rly_hs_action want;
    } rows[] = {
        {0, 0, false, false, RLY_HS_OPEN_INIT},          /* nothing to name yet */
        {CW_CHAN_INIT, 0, false, false, RLY_HS_OPEN_TRY}, /* INIT names no channel yet */
        {CW_CHAN_INIT, CW_CHAN_TRYOPEN, true, false, RLY_HS_ERR_COUNTERPARTY},
        {CW_CHAN_INIT, CW_CHAN_TRYOPEN, false, true, RLY_HS_OPEN_ACK},
        {CW_CHAN_OPEN, CW_CHAN_TRYOPEN, false, true, RLY_HS_ERR_COUNTERPARTY},
        {CW_CHAN_OPEN, CW_CHAN_OPEN, true, false, RLY_HS_ERR_COUNTERPARTY},
        {CW_CHAN_OPEN, CW_CHAN_OPEN, false, true, RLY_HS_ERR_COUNTERPARTY},
        {0, CW_CHAN_INIT, true, false, RLY_HS_ERR_COUNTERPARTY},
        {CW_CHAN_CLOSED, CW_CHAN_OPEN, false, false, RLY_HS_CLOSE_CONFIRM_B},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        rly_hs_ends e = {{rows[i].a, rows[i].b}, {rows[i].a_names_b, rows[i].b_names_a}};
        if (rly_hs_next(&e) != rows[i].want)
            fail_msg("row %zu: action %d, want %d", i, rly_hs_next(&e), rows[i].want);
    }
}

/* ---- update plan ----------------------------------------------------------------------- */

/* a fake "can verify a skip" predicate */
typedef struct fake_hop {
    enum { ALL, ADJACENT, VALSET_CHANGE, BROKEN } kind;
    uint64_t k; /* VALSET_CHANGE: the validator set changes at k (a skip across it lacks trust) */
    int calls;
} fake_hop;

static int fake_hop_fn(void *u, uint64_t from, uint64_t to, char *err, size_t err_len)
{
    fake_hop *f = u;
    f->calls++;
    assert_true(to > from);
    switch (f->kind) {
    case ALL:
        return CW_OK;
    case ADJACENT:
        return to == from + 1 ? CW_OK : CW_ETHRESHOLD;
    case VALSET_CHANGE:
        return to == from + 1 || !(from < f->k && f->k <= to) ? CW_OK : CW_ETHRESHOLD;
    default:
        return cw_errf(err, err_len, CW_EBADSIG, "bad commit at %llu", (unsigned long long)to);
    }
}

static void test_update_plan_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        fake_hop hop;
        uint64_t trusted, target;
        size_t max;
        int rc;
        uint64_t hops[8]; /* expected, 0-terminated */
    } rows[] = {
        {"everything verifies: one hop", {ALL, 0, 0}, 10, 20, 64, CW_OK, {20}},
        {"adjacent only: every height", {ADJACENT, 0, 0}, 10, 14, 64, CW_OK, {11, 12, 13, 14}},
        {"validator set change at 15: bisect down to it", {VALSET_CHANGE, 15, 0}, 10, 20, 64,
         CW_OK, {12, 13, 14, 15, 20}},
        {"validator set change outside the range: one hop", {VALSET_CHANGE, 30, 0}, 10, 20, 64,
         CW_OK, {20}},
        {"target = latest: no hops", {ALL, 0, 0}, 20, 20, 64, CW_OK, {0}},
        {"target < latest: no hops", {ALL, 0, 0}, 20, 10, 64, CW_OK, {0}},
        {"one block ahead", {ADJACENT, 0, 0}, 7, 8, 64, CW_OK, {8}},
        {"a hard failure stops the plan", {BROKEN, 0, 0}, 10, 20, 64, CW_EBADSIG, {0}},
        {"more hops than max", {ADJACENT, 0, 0}, 0, 100, 8, CW_ETOOBIG, {0}},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        fake_hop h = rows[r].hop;
        uint64_t got[64];
        size_t n = 99;
        char err[128] = "";
        int rc = rly_plan_updates(rows[r].trusted, rows[r].target, fake_hop_fn, &h, got,
                                  rows[r].max, &n, err, sizeof err);
        if (rc != rows[r].rc)
            fail_msg("%s: rc %d (%s), want %d", rows[r].name, rc, err, rows[r].rc);
        if (rc != CW_OK)
            continue;
        expect_list(rows[r].name, "hops", got, n, rows[r].hops);
        if (rows[r].target <= rows[r].trusted && h.calls != 0)
            fail_msg("%s: predicate called %d times", rows[r].name, h.calls);
    }
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
        cmocka_unit_test(test_block_notification),
        cmocka_unit_test(test_db_write_failure_is_counted),
        cmocka_unit_test(test_classify_table),
        cmocka_unit_test(test_proof_usable_table),
        cmocka_unit_test(test_ask_receipt_table),
        cmocka_unit_test(test_handshake_every_pair),
        cmocka_unit_test(test_update_plan_table),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
