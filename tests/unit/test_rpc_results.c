/* The RPC results and params contract (causeway/rpc_results.h): every shape round-trips
 * byte for byte, a few byte layouts are pinned, and decoders refuse wrong arity, wrong types
 * and counts or lengths over their bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "causeway/event.h"
#include "causeway/app_msgs.h"
#include "causeway/rpc_results.h"
#include "../testutil.h"

static char ERR[256];

static const msgpack_object *open_enc(cw_dec *d, const cw_enc *e)
{
    const msgpack_object *root = NULL;
    assert_int_equal(e->rc, CW_OK);
    assert_int_equal(cw_dec_open(d, &root, cw_enc_data(e), cw_enc_len(e), CW_RPC_RESULT_MAX, ERR,
                                 sizeof ERR),
                     CW_OK);
    d->err = ERR;
    d->err_len = sizeof ERR;
    return root;
}

static void assert_enc_same(const cw_enc *a, const cw_enc *b)
{
    assert_int_equal(a->rc, CW_OK);
    assert_int_equal(b->rc, CW_OK);
    assert_int_equal(cw_enc_len(a), cw_enc_len(b));
    assert_memory_equal(cw_enc_data(a), cw_enc_data(b), cw_enc_len(a));
}

static void assert_bytes(const cw_enc *e, const uint8_t *want, size_t n)
{
    assert_int_equal(e->rc, CW_OK);
    assert_int_equal(cw_enc_len(e), n);
    assert_memory_equal(cw_enc_data(e), want, n);
}

/* Encode *x, decode it into *y, encode *y: the two encodings must be equal. The decoder's
 * borrowed fields point into `keep` (the caller closes keep_d and frees keep). */
#define ROUNDTRIP(T, x, y, enc, dec, keep, keep_d)                                         \
    do {                                                                                   \
        cw_enc_init(&(keep));                                                              \
        enc(&(keep), (x));                                                                 \
        const msgpack_object *root_ = open_enc(&(keep_d), &(keep));                        \
        dec(&(keep_d), root_, (y));                                                        \
        assert_int_equal((keep_d).rc, CW_OK);                                              \
        cw_enc again_;                                                                     \
        cw_enc_init(&again_);                                                              \
        enc(&again_, (y));                                                                 \
        assert_enc_same(&(keep), &again_);                                                 \
        cw_enc_free(&again_);                                                              \
    } while (0)

#define DONE(keep, keep_d)                                                                 \
    do {                                                                                   \
        cw_dec_close(&(keep_d));                                                           \
        cw_enc_free(&(keep));                                                              \
    } while (0)

/* decode buf with a reader expecting to fail with rc */
#define EXPECT_FAIL(e, rc_want, decode_stmt)                                               \
    do {                                                                                   \
        cw_dec d_;                                                                         \
        const msgpack_object *o = open_enc(&d_, &(e));                                     \
        cw_dec *dd = &d_;                                                                  \
        decode_stmt;                                                                       \
        assert_int_equal(d_.rc, (rc_want));                                                \
        cw_dec_close(&d_);                                                                 \
    } while (0)

static void test_status_roundtrip_and_layout(void **state)
{
    (void)state;
    cw_rpc_status s = {.latest_height = 7, .latest_time_ns = 1700000000000000000ull,
                       .earliest_state_height = 1, .mempool_txs = 3};
    strcpy(s.chain_id, "alpha");
    memset(s.latest_block_hash, 0xaa, 32);
    memset(s.latest_state_root, 0xbb, 32);
    cw_rpc_status back;
    cw_enc e;
    cw_dec d;
    ROUNDTRIP(cw_rpc_status, &s, &back, cw_rpc_status_enc, cw_rpc_status_dec, e, d);
    assert_string_equal(back.chain_id, "alpha");
    assert_int_equal(back.latest_height, 7);
    assert_int_equal(back.latest_time_ns, 1700000000000000000ull);
    assert_int_equal(back.mempool_txs, 3);
    assert_memory_equal(back.latest_state_root, s.latest_state_root, 32);
    /* pinned: [str "alpha", 7, u64 time, bin32, bin32, 1, 3] */
    const uint8_t *b = cw_enc_data(&e);
    assert_int_equal(cw_enc_len(&e), 1 + 6 + 1 + 9 + 34 + 34 + 1 + 1);
    assert_int_equal(b[0], 0x97);
    assert_memory_equal(b + 1, "\xa5" "alpha", 6);
    assert_int_equal(b[7], 0x07);
    assert_int_equal(b[8], 0xcf);
    assert_memory_equal(b + 17, "\xc4\x20", 2);
    DONE(e, d);
    /* wrong arity: 6 fields */
    cw_enc bad;
    cw_enc_init(&bad);
    cw_enc_array(&bad, 6);
    for (int i = 0; i < 6; i++)
        cw_enc_u64(&bad, 1);
    cw_rpc_status st;
    EXPECT_FAIL(bad, CW_EMALFORMED, cw_rpc_status_dec(dd, o, &st));
    cw_enc_free(&bad);
}

static void test_query_answer_layout_and_roundtrip(void **state)
{
    (void)state;
    cw_enc e;
    cw_enc_init(&e);
    cw_rpc_query q = {.height = 5};
    cw_rpc_query_enc(&e, &q);
    static const uint8_t absent[] = {0x93, 0xc0, 0xc0, 0x05};
    assert_bytes(&e, absent, sizeof absent);
    cw_enc_free(&e);
    cw_enc_init(&e);
    q = (cw_rpc_query){{true, {(const uint8_t *)"v", 1}, false, {0}}, 7};
    cw_rpc_query_enc(&e, &q);
    static const uint8_t present[] = {0x93, 0xc4, 0x01, 'v', 0xc0, 0x07};
    assert_bytes(&e, present, sizeof present);
    cw_enc_free(&e);

    cw_rpc_query full = {{true, {(const uint8_t *)"value", 5}, true, {(const uint8_t *)"pf", 2}},
                         9};
    cw_rpc_query back;
    cw_dec d;
    ROUNDTRIP(cw_rpc_query, &full, &back, cw_rpc_query_enc, cw_rpc_query_dec, e, d);
    assert_true(back.item.has_value && back.item.has_proof);
    assert_int_equal(back.item.value.len, 5);
    assert_memory_equal(back.item.proof.p, "pf", 2);
    assert_int_equal(back.height, 9);
    DONE(e, d);
    /* a value that is a str, not a bin, is refused */
    cw_enc bad;
    cw_enc_init(&bad);
    cw_enc_array(&bad, 3);
    cw_enc_cstr(&bad, "v");
    cw_enc_nil(&bad);
    cw_enc_u64(&bad, 1);
    EXPECT_FAIL(bad, CW_EMALFORMED, cw_rpc_query_dec(dd, o, &back));
    cw_enc_free(&bad);
}

static void test_query_params(void **state)
{
    (void)state;
    cw_rpc_query_params p = {{(const uint8_t *)"some/opaque/key17", 17}, 0, true}, back;
    cw_enc e;
    cw_dec d;
    ROUNDTRIP(cw_rpc_query_params, &p, &back, cw_rpc_query_params_enc, cw_rpc_query_params_dec,
              e, d);
    assert_int_equal(back.key.len, 17);
    assert_true(back.prove);
    DONE(e, d);
    /* an empty key, a key over CW_RPC_KEY_MAX, wrong arity */
    cw_enc bad;
    cw_enc_init(&bad);
    p.key.len = 0;
    cw_rpc_query_params_enc(&bad, &p);
    EXPECT_FAIL(bad, CW_EINVAL, cw_rpc_query_params_dec(dd, o, &back));
    assert_string_equal(ERR, "query params.key: empty");
    cw_enc_free(&bad);
    static uint8_t big[CW_RPC_KEY_MAX + 1];
    memset(big, 'k', sizeof big);
    cw_enc_init(&bad);
    p.key = (cw_bytes){big, sizeof big};
    cw_rpc_query_params_enc(&bad, &p);
    EXPECT_FAIL(bad, CW_ETOOBIG, cw_rpc_query_params_dec(dd, o, &back));
    cw_enc_free(&bad);
    cw_enc_init(&bad);
    cw_enc_array(&bad, 2);
    cw_enc_bin(&bad, "k", 1);
    cw_enc_u64(&bad, 0);
    EXPECT_FAIL(bad, CW_EMALFORMED, cw_rpc_query_params_dec(dd, o, &back));
    cw_enc_free(&bad);
}

static void test_query_many(void **state)
{
    (void)state;
    static cw_rpc_query_many_params p, back;
    p.n = 3;
    p.keys[0] = (cw_bytes){(const uint8_t *)"a", 1};
    p.keys[1] = (cw_bytes){(const uint8_t *)"bb", 2};
    p.keys[2] = (cw_bytes){(const uint8_t *)"ccc", 3};
    p.height = 12;
    p.prove = true;
    cw_enc e;
    cw_dec d;
    ROUNDTRIP(cw_rpc_query_many_params, &p, &back, cw_rpc_query_many_params_enc,
              cw_rpc_query_many_params_dec, e, d);
    assert_int_equal(back.n, 3);
    assert_memory_equal(back.keys[2].p, "ccc", 3);
    assert_int_equal(back.height, 12);
    DONE(e, d);
    /* more keys than CW_RPC_BATCH_MAX: the encoder refuses, the decoder too */
    p.n = CW_RPC_BATCH_MAX + 1;
    cw_enc_init(&e);
    cw_rpc_query_many_params_enc(&e, &p);
    assert_int_equal(e.rc, CW_ETOOBIG);
    cw_enc_free(&e);
    cw_enc bad;
    cw_enc_init(&bad);
    cw_enc_array(&bad, 3);
    cw_enc_array(&bad, CW_RPC_BATCH_MAX + 1);
    for (uint32_t i = 0; i < CW_RPC_BATCH_MAX + 1; i++)
        cw_enc_bin(&bad, "k", 1);
    cw_enc_u64(&bad, 0);
    cw_enc_bool(&bad, true);
    EXPECT_FAIL(bad, CW_ETOOBIG, cw_rpc_query_many_params_dec(dd, o, &back));
    cw_enc_free(&bad);

    /* the answer: head + items */
    cw_enc_init(&e);
    cw_rpc_query_many_enc_head(&e, 12, 2);
    cw_rpc_qitem a = {true, {(const uint8_t *)"x", 1}, true, {(const uint8_t *)"p1", 2}};
    cw_rpc_qitem b = {false, {0}, true, {(const uint8_t *)"p2", 2}};
    cw_rpc_qitem_enc(&e, &a);
    cw_rpc_qitem_enc(&e, &b);
    static const uint8_t want[] = {0x92, 0x0c, 0x92, 0x92, 0xc4, 1, 'x', 0xc4, 2, 'p', '1',
                                   0x92, 0xc0, 0xc4, 2, 'p', '2'};
    assert_bytes(&e, want, sizeof want);
    const msgpack_object *root = open_enc(&d, &e);
    cw_rpc_query_many r;
    cw_rpc_query_many_dec(&d, root, 2, &r);
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(r.height, 12);
    assert_int_equal(r.n, 2);
    cw_rpc_qitem got;
    cw_rpc_qitem_dec(&d, &r.items[1], &got, "item");
    assert_int_equal(d.rc, CW_OK);
    assert_false(got.has_value);
    assert_memory_equal(got.proof.p, "p2", 2);
    /* more items than asked for is refused */
    cw_rpc_query_many_dec(&d, root, 1, &r);
    assert_int_equal(d.rc, CW_ETOOBIG);
    DONE(e, d);
}

static void test_tx_status_roundtrip_layout_and_counts(void **state)
{
    (void)state;
    static cw_rpc_tx_status s, back;
    memset(&s, 0, sizeof s);
    s.height = 4;
    s.index = 1;
    s.code = CW_ENONCE;
    s.log = (cw_bytes){(const uint8_t *)"bad", 3};
    s.has_failed_msg = true;
    s.failed_msg = 2;
    s.n_types = 2;
    s.types[0] = (cw_rpc_type_count){{(const uint8_t *)"send_packet", 11}, 3};
    s.types[1] = (cw_rpc_type_count){{(const uint8_t *)"transfer", 8}, 1};
    s.gas_wanted = 200000;
    s.gas_used = 61234;
    cw_enc e;
    cw_dec d;
    ROUNDTRIP(cw_rpc_tx_status, &s, &back, cw_rpc_tx_status_enc, cw_rpc_tx_status_dec, e, d);
    assert_int_equal(back.gas_wanted, 200000);
    assert_int_equal(back.gas_used, 61234);
    assert_int_equal(back.code, CW_ENONCE);
    assert_true(back.has_failed_msg);
    assert_int_equal(back.failed_msg, 2);
    assert_int_equal(cw_rpc_tx_status_count(&back, "send_packet"), 3);
    assert_int_equal(cw_rpc_tx_status_count(&back, "transfer"), 1);
    assert_int_equal(cw_rpc_tx_status_count(&back, "send"), 0);
    /* pinned head: [4, 1, int (negative code), "bad", 2, [...], gas_wanted, gas_used] */
    const uint8_t *b = cw_enc_data(&e);
    assert_memory_equal(b, "\x98\x04\x01", 3);
    assert_int_equal(b[3], 0xd1); /* int16: the code is -300xx */
    DONE(e, d);
    /* a success with no failed msg and no events */
    memset(&s, 0, sizeof s);
    ROUNDTRIP(cw_rpc_tx_status, &s, &back, cw_rpc_tx_status_enc, cw_rpc_tx_status_dec, e, d);
    static const uint8_t ok[] = {0x98, 0, 0, 0, 0xa0, 0xc0, 0x90, 0, 0};
    assert_bytes(&e, ok, sizeof ok);
    assert_false(back.has_failed_msg);
    DONE(e, d);

    /* counting a tx's events: types in order of first appearance */
    cw_events ev;
    cw_events_init(&ev);
    const char *seq[] = {"b_type", "a_type", "b_type", "c_type", "a_type", "b_type"};
    for (size_t i = 0; i < 6; i++) {
        cw_event_begin(&ev, seq[i], 1);
        cw_event_attr_u64(&ev, "i", i);
    }
    cw_enc all;
    cw_enc_init(&all);
    assert_int_equal(cw_events_encode(&ev, (cw_events_mark){0, 0}, &all), CW_OK);
    const msgpack_object *root = open_enc(&d, &all);
    memset(&s, 0, sizeof s);
    cw_rpc_tx_status_count_events(&d, root, &s);
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(s.n_types, 3);
    assert_memory_equal(s.types[0].type.p, "b_type", 6);
    assert_int_equal(s.types[0].count, 3);
    assert_memory_equal(s.types[1].type.p, "a_type", 6);
    assert_int_equal(s.types[1].count, 2);
    assert_int_equal(s.types[2].count, 1);
    DONE(all, d);
    cw_events_free(&ev);
    /* a malformed event is an error, and nothing is counted */
    cw_enc_init(&all);
    cw_enc_array(&all, 2);
    cw_enc_array(&all, 2);
    cw_enc_cstr(&all, "ok");
    cw_enc_array(&all, 0);
    cw_enc_u64(&all, 5); /* not an event */
    EXPECT_FAIL(all, CW_EMALFORMED, cw_rpc_tx_status_count_events(dd, o, &s));
    assert_int_equal(s.n_types, 0);
    cw_enc_free(&all);

    /* more distinct types than CW_RPC_TX_TYPES_MAX */
    cw_enc many;
    cw_enc_init(&many);
    cw_enc_array(&many, CW_RPC_TX_TYPES_MAX + 1);
    for (uint32_t i = 0; i < CW_RPC_TX_TYPES_MAX + 1; i++) {
        char t[16];
        snprintf(t, sizeof t, "t%u", i);
        cw_enc_array(&many, 2);
        cw_enc_cstr(&many, t);
        cw_enc_array(&many, 0);
    }
    EXPECT_FAIL(many, CW_ETOOBIG, cw_rpc_tx_status_count_events(dd, o, &s));
    cw_enc_free(&many);
}

static void test_tx_and_block_results(void **state)
{
    (void)state;
    cw_enc evs;
    cw_enc_init(&evs);
    cw_enc_array(&evs, 1);
    cw_enc_array(&evs, 2);
    cw_enc_cstr(&evs, "transfer");
    cw_enc_array(&evs, 0);
    cw_dec ed;
    const msgpack_object *events = open_enc(&ed, &evs);
    cw_rpc_tx t = {.height = 3, .index = 0, .tx = {(const uint8_t *)"TX", 2},
                   .result = {.code = 0, .log = {(const uint8_t *)"", 0}, .events = events}};
    cw_rpc_tx back;
    cw_enc e;
    cw_dec d;
    ROUNDTRIP(cw_rpc_tx, &t, &back, cw_rpc_tx_enc, cw_rpc_tx_dec, e, d);
    assert_int_equal(back.height, 3);
    assert_memory_equal(back.tx.p, "TX", 2);
    assert_non_null(back.result.events);
    assert_int_equal(back.result.events->via.array.size, 1);
    assert_false(back.result.has_failed_msg);
    DONE(e, d);

    /* block_results: [height, start, total, [[hash, tx, result], ...]] — one page */
    cw_rpc_block_tx bt = {.tx = {(const uint8_t *)"TX", 2},
                          .result = {.code = 5, .log = {(const uint8_t *)"no", 2},
                                     .has_failed_msg = true, .failed_msg = 0}};
    memset(bt.hash, 0x11, 32);
    cw_enc_init(&e);
    cw_rpc_block_results_enc_head(&e, 8, 2, 5, 1);
    cw_rpc_block_tx_enc(&e, &bt);
    const msgpack_object *root = open_enc(&d, &e);
    cw_rpc_block_results br;
    cw_rpc_block_results_dec(&d, root, &br);
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(br.height, 8);
    assert_int_equal(br.start, 2);
    assert_int_equal(br.total, 5);
    assert_int_equal(br.n, 1);
    assert_int_equal(cw_rpc_block_results_next(&br), 3); /* not the last page: ask from 3 */
    cw_rpc_block_tx got;
    cw_rpc_block_tx_dec(&d, &br.items[0], &got, "block_results.txs[0]");
    assert_int_equal(d.rc, CW_OK);
    assert_memory_equal(got.hash, bt.hash, 32);
    assert_int_equal(got.result.code, 5);
    assert_true(got.result.has_failed_msg);
    assert_int_equal(got.result.events->via.array.size, 0);
    DONE(e, d);
    DONE(evs, ed);
}

/* block_results' params and pages: the short form is start 0; a page that claims txs past
 * the block's total, or an arity the contract does not know, is refused by name */
static void test_block_results_paging_contract(void **state)
{
    (void)state;
    char err[256];
    cw_enc e;
    cw_dec d;
    cw_rpc_block_results_params p;
    /* [height] for start 0, [height, start] else; both read back */
    cw_enc_init(&e);
    cw_rpc_block_results_params_enc(&e, &(cw_rpc_block_results_params){7, 0});
    const uint8_t short_form[] = {0x91, 0x07};
    assert_int_equal(cw_enc_len(&e), sizeof short_form);
    assert_memory_equal(cw_enc_data(&e), short_form, sizeof short_form);
    cw_rpc_block_results_params_dec(&d, open_enc(&d, &e), &p);
    assert_int_equal(d.rc, CW_OK);
    assert_true(p.height == 7 && p.start == 0);
    DONE(e, d);
    cw_enc_init(&e);
    cw_rpc_block_results_params_enc(&e, &(cw_rpc_block_results_params){7, 300});
    cw_rpc_block_results_params_dec(&d, open_enc(&d, &e), &p);
    assert_int_equal(d.rc, CW_OK);
    assert_true(p.height == 7 && p.start == 300);
    DONE(e, d);
    /* three fields: malformed; a start past u32: out of range */
    cw_enc_init(&e);
    cw_enc_array(&e, 3);
    cw_enc_u64(&e, 7);
    cw_enc_u64(&e, 1);
    cw_enc_u64(&e, 1);
    d.err = err;
    d.err_len = sizeof err;
    const msgpack_object *o = open_enc(&d, &e);
    d.err = err;
    d.err_len = sizeof err;
    cw_rpc_block_results_params_dec(&d, o, &p);
    assert_int_equal(d.rc, CW_EMALFORMED);
    assert_non_null(strstr(err, "block_results params"));
    DONE(e, d);
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    cw_enc_u64(&e, 7);
    cw_enc_u64(&e, (uint64_t)UINT32_MAX + 1);
    o = open_enc(&d, &e);
    d.err = err;
    d.err_len = sizeof err;
    cw_rpc_block_results_params_dec(&d, o, &p);
    assert_int_not_equal(d.rc, CW_OK);
    assert_non_null(strstr(err, "block_results params.start"));
    assert_true(p.height == 0 && p.start == 0);
    DONE(e, d);
    /* a page's head: start + n past total is refused by the encoder and by the decoder */
    cw_enc_init(&e);
    cw_rpc_block_results_enc_head(&e, 8, 4, 5, 2);
    assert_int_equal(e.rc, CW_EINVAL);
    cw_enc_free(&e);
    cw_enc_init(&e);
    cw_enc_array(&e, 4);
    cw_enc_u64(&e, 8);
    cw_enc_u64(&e, 4);
    cw_enc_u64(&e, 5);
    cw_enc_array(&e, 2);
    cw_enc_nil(&e);
    cw_enc_nil(&e);
    o = open_enc(&d, &e);
    d.err = err;
    d.err_len = sizeof err;
    cw_rpc_block_results br;
    cw_rpc_block_results_dec(&d, o, &br);
    assert_int_equal(d.rc, CW_EINVAL);
    assert_non_null(strstr(err, "past the block's 5 txs"));
    assert_true(br.n == 0 && br.items == NULL);
    DONE(e, d);
    /* the old two-field answer is not a page */
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    cw_enc_u64(&e, 8);
    cw_enc_array(&e, 0);
    o = open_enc(&d, &e);
    cw_rpc_block_results_dec(&d, o, &br);
    assert_int_equal(d.rc, CW_EMALFORMED);
    DONE(e, d);
    /* an empty last page (start == total) reads */
    cw_enc_init(&e);
    cw_rpc_block_results_enc_head(&e, 8, 5, 5, 0);
    cw_rpc_block_results_dec(&d, open_enc(&d, &e), &br);
    assert_int_equal(d.rc, CW_OK);
    assert_true(br.n == 0 && cw_rpc_block_results_next(&br) == br.total);
    DONE(e, d);
}

/* the blocks notification: complete (txs == txs_total) or cut (txs < txs_total, the rest
 * through block_results); more txs than the block has is refused both ways */
static void test_block_note_says_when_its_events_are_cut(void **state)
{
    (void)state;
    char err[256];
    cw_enc e;
    cw_dec d;
    cw_rpc_block_note bn = {.header = {.chain_id = "alpha", .height = 3, .time_ns = 9},
                           .txs = 2, .txs_total = 7}, got;
    cw_enc_init(&e);
    cw_rpc_block_note_enc(&e, &bn);
    assert_int_equal(e.rc, CW_OK);
    cw_rpc_block_note_dec(&d, open_enc(&d, &e), &got);
    assert_int_equal(d.rc, CW_OK);
    assert_true(got.txs == 2 && got.txs_total == 7);
    assert_false(cw_rpc_block_note_complete(&got));
    assert_int_equal(got.events->via.array.size, 0);
    DONE(e, d);
    bn.txs = 7;
    cw_enc_init(&e);
    cw_rpc_block_note_enc(&e, &bn);
    cw_rpc_block_note_dec(&d, open_enc(&d, &e), &got);
    assert_int_equal(d.rc, CW_OK);
    assert_true(cw_rpc_block_note_complete(&got));
    DONE(e, d);
    bn.txs = 8;
    cw_enc_init(&e);
    cw_rpc_block_note_enc(&e, &bn);
    assert_int_equal(e.rc, CW_EINVAL);
    cw_enc_free(&e);
    /* the same on the wire: [header, [], 8, 7] */
    cw_enc_init(&e);
    cw_enc_array(&e, 4);
    cw_header_enc(&e, &bn.header);
    cw_enc_array(&e, 0);
    cw_enc_u64(&e, 8);
    cw_enc_u64(&e, 7);
    const msgpack_object *o = open_enc(&d, &e);
    d.err = err;
    d.err_len = sizeof err;
    cw_rpc_block_note_dec(&d, o, &got);
    assert_int_equal(d.rc, CW_EINVAL);
    assert_non_null(strstr(err, "block.txs: 8 exceeds txs_total 7"));
    assert_null(got.events);
    DONE(e, d);
}

static void test_account_and_lending(void **state)
{
    (void)state;
    static cw_rpc_account a, back;
    memset(&a, 0, sizeof a);
    memset(a.address.b, 0x42, 20);
    a.next_nonce = 2;
    a.pending_next_nonce = 5;
    a.n_balances = 2;
    strcpy(a.balances[0].denom, "stake");
    a.balances[0].amount = 1000;
    strcpy(a.balances[1].denom, "uatom");
    a.balances[1].amount = 0;
    cw_enc e;
    cw_dec d;
    ROUNDTRIP(cw_rpc_account, &a, &back, cw_rpc_account_enc, cw_rpc_account_dec, e, d);
    assert_int_equal(back.pending_next_nonce, 5);
    assert_int_equal(back.n_balances, 2);
    assert_string_equal(back.balances[1].denom, "uatom");
    DONE(e, d);
    a.n_balances = CW_RPC_DENOMS_MAX + 1;
    cw_enc_init(&e);
    cw_rpc_account_enc(&e, &a);
    assert_int_equal(e.rc, CW_ETOOBIG);
    cw_enc_free(&e);

    cw_rpc_lend_account la = {.debt_value = 1, .borrow_limit = 2, .liquidation_limit = 3,
                              .health_factor_wad = (cw_u128)1 << 100, .n_markets = 2},
                        lb;
    strcpy(la.markets[0].asset, "uusd");
    la.markets[0].debt = 5;
    strcpy(la.markets[1].asset, "ueur");
    la.markets[1].shares = 6;
    ROUNDTRIP(cw_rpc_lend_account, &la, &lb, cw_rpc_lend_account_enc, cw_rpc_lend_account_dec, e,
              d);
    assert_true(lb.health_factor_wad == (cw_u128)1 << 100);
    assert_int_equal(lb.n_markets, 2);
    assert_string_equal(lb.markets[1].asset, "ueur");
    assert_true(lb.markets[0].debt == 5 && lb.markets[1].shares == 6);
    /* four bin16, then two [asset, four bin16] */
    assert_int_equal(cw_enc_len(&e), 1 + 4 * 18 + 1 + 2 * (1 + 5 + 4 * 18));
    DONE(e, d);
    la.n_markets = CW_LEND_MAX_MARKETS + 1; /* more markets than a chain may have */
    cw_enc_init(&e);
    cw_rpc_lend_account_enc(&e, &la);
    assert_int_equal(e.rc, CW_ETOOBIG);
    cw_enc_free(&e);
    cw_rpc_lend_market m = {.borrow_index_wad = 7, .total_borrows = 8, .cash = 9, .reserves = 10,
                            .total_shares = 11,
                            .paused_actions = CW_LEND_ACTION_BORROW | CW_LEND_ACTION_LIQUIDATE,
                            .bad_debt = 12, .total_supply = 13, .supply_cap = 14,
                            .borrow_cap = 15, .utilization_wad = 16, .borrow_apr_wad = 17,
                            .supply_apr_wad = 18, .flash_fee_bps = 9, .n_markets = 2},
                       mb;
    strcpy(m.borrow_denom, "usdc");
    strcpy(m.markets[0], "usdc");
    strcpy(m.markets[1], "ueur");
    ROUNDTRIP(cw_rpc_lend_market, &m, &mb, cw_rpc_lend_market_enc, cw_rpc_lend_market_dec, e, d);
    assert_string_equal(mb.borrow_denom, "usdc");
    assert_int_equal(mb.paused_actions, CW_LEND_ACTION_BORROW | CW_LEND_ACTION_LIQUIDATE);
    assert_int_equal(mb.cash, 9);
    assert_int_equal(mb.borrow_cap, 15);
    assert_true(mb.supply_apr_wad == 18);
    assert_int_equal(mb.flash_fee_bps, 9);
    assert_int_equal(mb.n_markets, 2);
    assert_string_equal(mb.markets[1], "ueur");
    DONE(e, d);
    /* a paused set with a bit no action has is malformed, not silently kept */
    m.paused_actions = CW_LEND_ACTION_ALL + 1;
    cw_enc_init(&e);
    cw_rpc_lend_market_enc(&e, &m);
    {
        const msgpack_object *root = open_enc(&d, &e);
        cw_rpc_lend_market_dec(&d, root, &mb);
        assert_int_not_equal(d.rc, CW_OK);
    }
    DONE(e, d);
}

/* q encodes, and its decoder refuses it, leaving no items. */
static void quote_refused(const cw_rpc_lend_quote *q)
{
    static cw_rpc_lend_quote out;
    cw_enc e;
    cw_dec d;
    cw_enc_init(&e);
    cw_rpc_lend_quote_enc(&e, q);
    const msgpack_object *root = open_enc(&d, &e);
    cw_rpc_lend_quote_dec(&d, root, &out);
    assert_int_not_equal(d.rc, CW_OK);
    assert_int_equal(out.n, 0);
    DONE(e, d);
}

/* The keeper's two reads (DESIGN §8 "Keeper"): lend_borrowers' params and pages, lend_quote;
 * a page not ascending, a limit out of range, a bad trace denom or a NUL in the reason are
 * refused. */
static void test_lend_borrowers_and_quote(void **state)
{
    (void)state;
    cw_enc e;
    cw_dec d;
    cw_rpc_lend_borrowers_params p = {.has_start = true, .limit = 7}, pb;
    memset(p.start_after.b, 0x11, 20);
    ROUNDTRIP(cw_rpc_lend_borrowers_params, &p, &pb, cw_rpc_lend_borrowers_params_enc,
              cw_rpc_lend_borrowers_params_dec, e, d);
    assert_true(pb.has_start && pb.limit == 7 && pb.start_after.b[19] == 0x11);
    DONE(e, d);
    p = (cw_rpc_lend_borrowers_params){.limit = CW_RPC_BORROWERS_MAX};
    ROUNDTRIP(cw_rpc_lend_borrowers_params, &p, &pb, cw_rpc_lend_borrowers_params_enc,
              cw_rpc_lend_borrowers_params_dec, e, d);
    assert_false(pb.has_start);
    DONE(e, d);
    for (uint64_t bad = 0; bad < 2; bad++) { /* limit 0, limit over the max */
        cw_enc_init(&e);
        cw_enc_array(&e, 2);
        cw_enc_nil(&e);
        cw_enc_u64(&e, bad ? CW_RPC_BORROWERS_MAX + 1 : 0);
        const msgpack_object *root = open_enc(&d, &e);
        cw_rpc_lend_borrowers_params_dec(&d, root, &pb);
        assert_int_not_equal(d.rc, CW_OK);
        DONE(e, d);
    }
    static cw_rpc_lend_borrowers b, bb;
    memset(&b, 0, sizeof b);
    b.height = 42;
    b.n = 3;
    for (int i = 0; i < 3; i++)
        memset(b.addrs[i].b, 0x10 * (i + 1), 20);
    b.has_next = true;
    b.next = b.addrs[2];
    ROUNDTRIP(cw_rpc_lend_borrowers, &b, &bb, cw_rpc_lend_borrowers_enc,
              cw_rpc_lend_borrowers_dec, e, d);
    assert_true(bb.height == 42 && bb.n == 3 && bb.has_next && bb.next.b[0] == 0x30);
    DONE(e, d);
    b.addrs[2] = b.addrs[1]; /* not strictly ascending */
    cw_enc_init(&e);
    cw_rpc_lend_borrowers_enc(&e, &b);
    {
        const msgpack_object *root = open_enc(&d, &e);
        cw_rpc_lend_borrowers_dec(&d, root, &bb);
        assert_int_equal(d.rc, CW_EMALFORMED);
        assert_int_equal(bb.n, 0);
    }
    DONE(e, d);

    static cw_rpc_lend_quote q, qb;
    memset(&q, 0, sizeof q);
    memset(q.borrower.b, 0xbb, 20);
    q.debt_value = 1900;
    q.health_factor_wad = CW_WAD / 2;
    q.refusal = (uint32_t)-CW_ESTALE;
    strcpy(q.reason, "stale");
    q.n = 2;
    for (int i = 0; i < 2; i++) { /* two debt markets, one collateral */
        snprintf(q.items[i].asset, sizeof q.items[i].asset, "%s", i ? "ueur" : "uusd");
        q.items[i].debt = 1000u + (cw_u128)i * 700;
        q.items[i].asset_price_wad = i ? CW_WAD * 11 / 10 : CW_WAD;
        snprintf(q.items[i].trace_denom, sizeof q.items[i].trace_denom, "ibc/%064d", 0);
        q.items[i].position = 1000u + (uint64_t)i;
        q.items[i].price_wad = CW_WAD * (cw_u128)(i + 1);
        q.items[i].bonus_bps = 500;
        q.items[i].fresh = i == 0;
        q.items[i].max_repay = 950;
    }
    ROUNDTRIP(cw_rpc_lend_quote, &q, &qb, cw_rpc_lend_quote_enc, cw_rpc_lend_quote_dec, e, d);
    assert_string_equal(qb.reason, "stale");
    assert_true(qb.n == 2 && qb.items[1].position == 1001 && !qb.items[1].fresh);
    assert_true(qb.refusal == (uint32_t)-CW_ESTALE && qb.items[0].max_repay == 950);
    assert_true(strcmp(qb.items[1].asset, "ueur") == 0 && qb.items[1].debt == 1700 &&
                qb.items[1].asset_price_wad == CW_WAD * 11 / 10 && qb.debt_value == 1900);
    DONE(e, d);
    q.items[1].asset[1] = '/'; /* not an identifier */
    quote_refused(&q);
    q.items[1].asset[1] = 'e';
    q.items[1].trace_denom[4] = 'x'; /* not a trace denom */
    quote_refused(&q);
}

static void test_packet_lists_and_params(void **state)
{
    (void)state;
    cw_enc e;
    cw_dec d;
    uint64_t seqs[4] = {1, 2, 300, 70000}, got[4];
    uint32_t n;
    cw_rpc_chan_params cp;
    /* [port, channel, [seq, ...]] */
    cw_enc_init(&e);
    cw_rpc_seqs_params_enc(&e, "collateral", "channel-0", seqs, 4);
    const msgpack_object *root = open_enc(&d, &e);
    cw_rpc_seqs_params_dec(&d, root, &cp, got, 4, &n, "unreceived_packets");
    assert_int_equal(d.rc, CW_OK);
    assert_string_equal(cp.port, "collateral");
    assert_string_equal(cp.channel, "channel-0");
    assert_int_equal(n, 4);
    assert_memory_equal(got, seqs, sizeof seqs);
    cw_rpc_seqs_params_dec(&d, root, &cp, got, 3, &n, "packets");
    assert_int_equal(d.rc, CW_ETOOBIG);
    assert_int_equal(n, 0);
    DONE(e, d);
    /* [seq, ...] answers */
    cw_enc_init(&e);
    cw_rpc_seqs_enc(&e, seqs, 2);
    static const uint8_t list[] = {0x92, 0x01, 0x02};
    assert_bytes(&e, list, sizeof list);
    root = open_enc(&d, &e);
    cw_rpc_seqs_dec(&d, root, got, 4, &n, "packet_commitments");
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(n, 2);
    DONE(e, d);
    /* [port, channel, seq] and [port, channel] */
    cw_rpc_chan_params p = {.port = "transfer", .channel = "channel-7", .seq = 9}, pb;
    cw_enc_init(&e);
    cw_rpc_chan_params_enc(&e, &p, true);
    root = open_enc(&d, &e);
    cw_rpc_chan_params_dec(&d, root, &pb, true, "packet");
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(pb.seq, 9);
    cw_rpc_chan_params_dec(&d, root, &pb, false, "packet_commitments"); /* 3 fields, not 2 */
    assert_int_equal(d.rc, CW_EMALFORMED);
    DONE(e, d);
    /* packet_commitments: [port, channel] or a page [port, channel, start, limit] */
    cw_rpc_commitments_params cq = {.port = "collateral", .channel = "channel-0"}, cr;
    cw_enc_init(&e);
    cw_rpc_commitments_params_enc(&e, &cq);
    root = open_enc(&d, &e);
    cw_rpc_commitments_params_dec(&d, root, &cr);
    assert_int_equal(d.rc, CW_OK);
    assert_true(cr.start == 0 && cr.limit == 0 && strcmp(cr.channel, "channel-0") == 0);
    DONE(e, d);
    cq.start = 20001;
    cq.limit = 1000;
    cw_enc_init(&e);
    cw_rpc_commitments_params_enc(&e, &cq);
    assert_int_equal(((const uint8_t *)cw_enc_data(&e))[0], 0x94);
    root = open_enc(&d, &e);
    cw_rpc_commitments_params_dec(&d, root, &cr);
    assert_int_equal(d.rc, CW_OK);
    assert_true(cr.start == 20001 && cr.limit == 1000 && strcmp(cr.port, "collateral") == 0);
    DONE(e, d);
    cq.limit = CW_RPC_LIST_MAX + 1; /* over the bound, and a start without a limit */
    cw_enc_init(&e);
    cw_rpc_commitments_params_enc(&e, &cq);
    assert_int_equal(e.rc, CW_EINVAL);
    cw_enc_free(&e);
    cq.limit = 0;
    cw_enc_init(&e);
    cw_rpc_commitments_params_enc(&e, &cq);
    assert_int_equal(e.rc, CW_EINVAL);
    cw_enc_free(&e);
    for (uint64_t lim = 0; lim <= CW_RPC_LIST_MAX + 1; lim += CW_RPC_LIST_MAX + 1) {
        cw_enc_init(&e); /* limit 0 or over the bound, decoded */
        cw_enc_array(&e, 4);
        cw_enc_cstr(&e, "collateral");
        cw_enc_cstr(&e, "channel-0");
        cw_enc_u64(&e, 1);
        cw_enc_u64(&e, lim);
        root = open_enc(&d, &e);
        cw_rpc_commitments_params_dec(&d, root, &cr);
        assert_int_equal(d.rc, CW_EINVAL);
        DONE(e, d);
    }
    cw_enc_init(&e); /* three fields: neither form */
    cw_rpc_chan_params_enc(&e, &p, true);
    root = open_enc(&d, &e);
    cw_rpc_commitments_params_dec(&d, root, &cr);
    assert_int_equal(d.rc, CW_EMALFORMED);
    DONE(e, d);
    /* a port that is not an identifier */
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    cw_enc_cstr(&e, "bad port");
    cw_enc_cstr(&e, "channel-0");
    EXPECT_FAIL(e, CW_EINVAL, cw_rpc_chan_params_dec(dd, o, &pb, false, "packet_commitments"));
    cw_enc_free(&e);
    /* packets answer: bytes | nil */
    cw_enc_init(&e);
    cw_rpc_packets_enc_head(&e, 2);
    cw_rpc_packets_item_enc(&e, (const uint8_t *)"pk", 2);
    cw_rpc_packets_item_enc(&e, NULL, 0);
    static const uint8_t pk[] = {0x92, 0xc4, 2, 'p', 'k', 0xc0};
    assert_bytes(&e, pk, sizeof pk);
    root = open_enc(&d, &e);
    cw_rpc_packets r;
    cw_rpc_packets_dec(&d, root, 2, &r);
    cw_bytes b;
    assert_true(cw_rpc_packets_item(&d, &r, 0, &b));
    assert_memory_equal(b.p, "pk", 2);
    assert_false(cw_rpc_packets_item(&d, &r, 1, &b));
    assert_false(cw_rpc_packets_item(&d, &r, 2, &b));
    assert_int_equal(d.rc, CW_OK);
    DONE(e, d);
}

static void test_scalar_params(void **state)
{
    (void)state;
    cw_enc e;
    cw_dec d;
    uint8_t h[32], hb[32];
    memset(h, 0x5a, 32);
    cw_enc_init(&e);
    cw_rpc_hash_params_enc(&e, h);
    const msgpack_object *root = open_enc(&d, &e);
    cw_rpc_hash_params_dec(&d, root, hb, "tx_status");
    assert_int_equal(d.rc, CW_OK);
    assert_memory_equal(h, hb, 32);
    DONE(e, d);
    /* a 31-byte hash */
    cw_enc_init(&e);
    cw_enc_array(&e, 1);
    cw_enc_bin(&e, h, 31);
    EXPECT_FAIL(e, CW_EMALFORMED, cw_rpc_hash_params_dec(dd, o, hb, "tx"));
    cw_enc_free(&e);

    cw_address a, ab;
    memset(a.b, 3, 20);
    cw_enc_init(&e);
    cw_rpc_address_params_enc(&e, &a);
    root = open_enc(&d, &e);
    cw_rpc_address_params_dec(&d, root, &ab, "account");
    assert_int_equal(d.rc, CW_OK);
    assert_memory_equal(a.b, ab.b, 20);
    DONE(e, d);

    cw_enc_init(&e);
    cw_rpc_height_params_enc(&e, 77);
    root = open_enc(&d, &e);
    assert_int_equal(cw_rpc_height_params_dec(&d, root, "light_block"), 77);
    cw_rpc_no_params_dec(&d, root, "status"); /* [77] is not [] */
    assert_int_equal(d.rc, CW_EMALFORMED);
    DONE(e, d);
    cw_enc_init(&e);
    cw_rpc_no_params_enc(&e);
    static const uint8_t none[] = {0x90};
    assert_bytes(&e, none, 1);
    root = open_enc(&d, &e);
    cw_rpc_no_params_dec(&d, root, "lend_market");
    assert_int_equal(d.rc, CW_OK);
    DONE(e, d);

    /* broadcast_tx: [tx] → hash */
    cw_enc_init(&e);
    cw_rpc_broadcast_params_enc(&e, (const uint8_t *)"env", 3);
    root = open_enc(&d, &e);
    cw_bytes tx = cw_rpc_broadcast_params_dec(&d, root);
    assert_int_equal(d.rc, CW_OK);
    assert_memory_equal(tx.p, "env", 3);
    DONE(e, d);
    cw_enc_init(&e);
    cw_rpc_broadcast_enc(&e, h);
    root = open_enc(&d, &e);
    cw_rpc_broadcast_dec(&d, root, hb);
    assert_int_equal(d.rc, CW_OK);
    assert_memory_equal(h, hb, 32);
    DONE(e, d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_roundtrip_and_layout),
        cmocka_unit_test(test_query_answer_layout_and_roundtrip),
        cmocka_unit_test(test_query_params),
        cmocka_unit_test(test_query_many),
        cmocka_unit_test(test_tx_status_roundtrip_layout_and_counts),
        cmocka_unit_test(test_tx_and_block_results),
        cmocka_unit_test(test_block_results_paging_contract),
        cmocka_unit_test(test_block_note_says_when_its_events_are_cut),
        cmocka_unit_test(test_account_and_lending),
        cmocka_unit_test(test_packet_lists_and_params),
        cmocka_unit_test(test_lend_borrowers_and_quote),
        cmocka_unit_test(test_scalar_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
