/* ICS-04 on two in-process chains: every rule of DESIGN §7, each test named for the attack
 * or failure it stops. A test app bound to port "test" records its callbacks in state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "causeway/echo.h"
#include "ibc_harness.h"
#include "../../channels/ibc_internal.h" /* ibc_vcache: the set cache's stats */

/* ---- the test app ----------------------------------------------------------------------- */

static int count_get(const cw_kv *kv, const char *what, uint64_t seq, uint64_t *n)
{
    char key[96];
    const uint8_t *v;
    size_t len;
    snprintf(key, sizeof key, "test/%s/%llu", what, (unsigned long long)seq);
    *n = 0;
    int rc = cw_kv_get_s(kv, key, &v, &len);
    if (rc == CW_OK && len == 8)
        *n = cw_be64_get(v);
    return rc == CW_ENOTFOUND ? CW_OK : rc;
}

static int count_inc(const cw_kv *kv, const char *what, uint64_t seq)
{
    char key[96];
    uint64_t n;
    uint8_t b[8];
    int rc = count_get(kv, what, seq, &n);
    if (rc)
        return rc;
    snprintf(key, sizeof key, "test/%s/%llu", what, (unsigned long long)seq);
    cw_be64_put(b, n + 1);
    return cw_kv_set_s(kv, key, b, 8);
}

static void app_recv(void *user, cw_exec_ctx *ctx, const cw_packet *p, cw_enc *ack)
{
    (void)user;
    /* writes and an event happen before deciding: an error ack must discard both */
    if (count_inc(ctx->kv, "recv", p->sequence)) {
        cw_ack_enc_error(ack, "store");
        return;
    }
    cw_event_begin(ctx->events, "test_recv", 1);
    cw_event_attr_u64(ctx->events, "sequence", p->sequence);
    if (p->data.len == 4 && memcmp(p->data.p, "fail", 4) == 0)
        cw_ack_enc_error(ack, "asked to fail");
    else
        cw_ack_enc_ok(ack, "done", 4);
}

static int app_ack(void *user, cw_exec_ctx *ctx, const cw_packet *p, bool ok, cw_bytes payload)
{
    (void)user;
    (void)payload;
    return count_inc(ctx->kv, ok ? "ack_ok" : "ack_err", p->sequence);
}

static int app_timeout(void *user, cw_exec_ctx *ctx, const cw_packet *p)
{
    (void)user;
    return count_inc(ctx->kv, "timeout", p->sequence);
}

static int app_close_init(void *user, cw_exec_ctx *ctx, const char *channel, char *err,
                          size_t err_len)
{
    (void)user;
    (void)ctx;
    (void)channel;
    (void)err;
    (void)err_len;
    return CW_OK;
}

/* test.send [channel, data, timeout_height, timeout_ts] */
static cw_ibc *g_ibc_of_msg;
/* test.send [channel, data, timeout_height, timeout_ts]: a msg outside the contract, with
 * its own codec row for the router (cw_app_register_codec) */
typedef struct test_send {
    char channel[65];
    cw_bytes data;
    uint64_t timeout_height, timeout_ts;
} test_send;

static void test_send_dec(cw_dec *d, const msgpack_object *body, void *out, const char *what)
{
    test_send *m = out;
    const msgpack_object *f = cw_dec_array(d, body, 4, "%s", what);
    cw_dec_id(d, &f[0], m->channel, "channel");
    m->data = cw_dec_bin(d, &f[1], 4096, "data");
    m->timeout_height = cw_dec_u64(d, &f[2], "timeout_height");
    m->timeout_ts = cw_dec_u64(d, &f[3], "timeout_ts");
}

static const cw_msg_codec TEST_SEND = {"test.send", sizeof(test_send), NULL, test_send_dec,
                                       NULL};

static int msg_send(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const test_send *m = in;
    uint64_t seq;
    return cw_ibc_send_packet(cw_app_handler_user(ctx), ctx, "test", m->channel, m->data.p,
                              m->data.len, m->timeout_height, m->timeout_ts, &seq, err,
                              err_len);
}

/* The test app's packet callbacks on `port`, with open rules r (NULL: none). */
static cw_ibc_app test_app_on(const char *port, const cw_ibc_open_rules *r)
{
    return (cw_ibc_app){.port = port, .max_data = CW_PACKET_DATA_MAX,
                        .max_ack = CW_IBC_ACK_ERROR_MAX, .on_recv_packet = app_recv,
                        .on_acknowledgement_packet = app_ack, .on_timeout_packet = app_timeout,
                        .open_rules = r};
}

static void bind_test_app(hchain *c)
{
    cw_ibc_app app = test_app_on("test", NULL);
    app.on_chan_close_init = app_close_init;
    /* limits that do not compose are refused at bind: an ack over CW_ACK_MAX, no data */
    app.max_ack = CW_ACK_MAX + 1;
    assert_int_equal(cw_ibc_bind(cw_node_ibc(c->node), &app), CW_EINVAL);
    app.max_ack = CW_IBC_ACK_ERROR_MAX;
    app.max_data = 0;
    assert_int_equal(cw_ibc_bind(cw_node_ibc(c->node), &app), CW_EINVAL);
    app.max_data = CW_PACKET_DATA_MAX;
    assert_int_equal(cw_ibc_bind(cw_node_ibc(c->node), &app), CW_OK);
    assert_int_equal(cw_ibc_bind(cw_node_ibc(c->node), &app), CW_EEXISTS);
    assert_int_equal(cw_app_register(cw_node_app(c->node), "test.send", msg_send,
                                     cw_node_ibc(c->node)), CW_EINVAL); /* not in the contract */
    assert_int_equal(cw_app_register_codec(cw_node_app(c->node), &TEST_SEND, msg_send,
                                           cw_node_ibc(c->node)), CW_OK);
    g_ibc_of_msg = cw_node_ibc(c->node);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    h_init(&w->a, "alpha", "stake", NULL);
    h_init(&w->b, "beta", "uusd", NULL);
    bind_test_app(&w->a);
    bind_test_app(&w->b);
    h_block(&w->a);
    h_block(&w->b);
    h_create_client(&w->a, &w->b, w->client_a, &w->next_client_a);
    h_create_client(&w->b, &w->a, w->client_b, &w->next_client_b);
    h_open_channel(w, "test", "test-1", CW_ORDER_UNORDERED);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    h_free(&w->a);
    h_free(&w->b);
    free(w);
    return 0;
}

/* send data on a's channel; returns the packet (encoded, malloc'd) */
static uint8_t *send_pkt(world *w, hchain *src, const char *chan, const char *data,
                         uint64_t th, uint64_t tt, size_t *len, int *rc_out)
{
    cw_enc m;
    char log[256];
    msg_simple(&m, "test.send", 4, 's', chan, 'b', (const uint8_t *)data, strlen(data), 'u',
               th, 'u', tt);
    int rc = tx1(src, &m, log);
    if (rc_out)
        *rc_out = rc;
    if (rc)
        return NULL;
    uint8_t *pk[4];
    size_t pl[4];
    int n = h_events(src, h_height(src), "send_packet", pk, pl, NULL, NULL, 4);
    assert_int_equal(n, 1);
    *len = pl[0];
    (void)w;
    return pk[0];
}

static uint64_t counter(hchain *c, const char *what, uint64_t seq)
{
    char key[96];
    uint8_t *v, *p;
    size_t vl, pl;
    snprintf(key, sizeof key, "test/%s/%llu", what, (unsigned long long)seq);
    h_query(c, key, 0, &v, &vl, &p, &pl);
    uint64_t n = v && vl == 8 ? cw_be64_get(v) : 0;
    free(v);
    free(p);
    return n;
}

static uint64_t seq_of(const uint8_t *pkt, size_t len)
{
    cw_dec d;
    cw_packet p;
    h_packet(pkt, len, &p, &d);
    uint64_t s = p.sequence;
    cw_dec_close(&d);
    return s;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_packet_delivered_acked_and_replays_are_noops(void **state)
{
    world *w = *state;
    char log[256];
    size_t len, alen;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "hello", 0, h_clock + 3600 * H_BLOCK_NS, &len,
                            NULL);
    uint64_t seq = seq_of(pkt, len);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, pkt, len, log), 0);
    uint8_t *ack = last_ack(&w->b, &alen);
    assert_int_equal(counter(&w->b, "recv", seq), 1);
    /* replayed RecvPacket: a successful no-op, the app is not called again */
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, pkt, len, log), 0);
    assert_int_equal(counter(&w->b, "recv", seq), 1);
    assert_int_equal(relay_ack(&w->a, &w->b, w->client_a, pkt, len, ack, alen, log), 0);
    assert_int_equal(counter(&w->a, "ack_ok", seq), 1);
    /* replayed ack, and a timeout after the ack: no-ops; the app ran exactly once */
    assert_int_equal(relay_ack(&w->a, &w->b, w->client_a, pkt, len, ack, alen, log), 0);
    assert_int_equal(relay_timeout(&w->a, &w->b, w->client_a, pkt, len, 0, log), 0);
    assert_int_equal(counter(&w->a, "ack_ok", seq), 1);
    assert_int_equal(counter(&w->a, "timeout", seq), 0);
    free(pkt);
    free(ack);
}

/* Decode an encoded array of u64 into v; returns the count. */
static uint32_t u64s(const cw_enc *e, uint64_t *v, uint32_t max)
{
    cw_dec d;
    const msgpack_object *root;
    uint32_t n;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(e), cw_enc_len(e), 1 << 20, NULL, 0),
                     CW_OK);
    const msgpack_object *it = cw_dec_list(&d, root, max, &n, "list");
    for (uint32_t i = 0; i < n; i++)
        v[i] = cw_dec_u64(&d, &it[i], "seq");
    assert_int_equal(d.rc, CW_OK);
    cw_dec_close(&d);
    return n;
}

static bool has(const uint64_t *v, uint32_t n, uint64_t x)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static void test_relayer_queries_follow_the_packet_lifecycle(void **state)
{
    world *w = *state;
    char log[256], err[256];
    size_t len, alen;
    uint64_t v[64];
    cw_enc e;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "q", 0, h_clock + 3600 * H_BLOCK_NS, &len,
                            NULL);
    uint64_t seq = seq_of(pkt, len);
    cw_enc_init(&e);
    assert_int_equal(cw_node_packet_commitments(w->a.node, "test", w->chan_a, 0, 0, &e, err,
                                                sizeof err), CW_OK);
    assert_true(has(v, u64s(&e, v, 64), seq));
    cw_enc_free(&e);
    /* a page: from seq, at most 1 — exactly seq; from seq + 1 — nothing */
    cw_enc_init(&e);
    assert_int_equal(cw_node_packet_commitments(w->a.node, "test", w->chan_a, seq, 1, &e, err,
                                                sizeof err), CW_OK);
    assert_int_equal(u64s(&e, v, 64), 1);
    assert_true(v[0] == seq);
    cw_enc_free(&e);
    cw_enc_init(&e);
    assert_int_equal(cw_node_packet_commitments(w->a.node, "test", w->chan_a, seq + 1, 1, &e,
                                                err, sizeof err), CW_OK);
    assert_int_equal(u64s(&e, v, 64), 0);
    cw_enc_free(&e);
    cw_enc_init(&e);
    assert_int_equal(cw_node_packet(w->a.node, "test", w->chan_a, seq, &e, err, sizeof err),
                     CW_OK);
    assert_int_equal(cw_enc_len(&e), len + (len < 256 ? 2 : 3)); /* bin header + packet */
    assert_memory_equal(cw_enc_data(&e) + cw_enc_len(&e) - len, pkt, len);
    cw_enc_free(&e);
    cw_enc_init(&e);
    assert_int_equal(cw_node_unreceived(w->b.node, CW_PATH_RECEIPTS, "test", w->chan_b, &seq, 1, &e,
                                        err, sizeof err), CW_OK);
    assert_int_equal(u64s(&e, v, 64), 1);
    cw_enc_free(&e);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, pkt, len, log), 0);
    uint8_t *ack = last_ack(&w->b, &alen);
    cw_enc_init(&e);
    assert_int_equal(cw_node_unreceived(w->b.node, CW_PATH_RECEIPTS, "test", w->chan_b, &seq, 1, &e,
                                        err, sizeof err), CW_OK);
    assert_int_equal(u64s(&e, v, 64), 0);
    cw_enc_free(&e);
    cw_enc_init(&e);
    assert_int_equal(cw_node_ack(w->b.node, "test", w->chan_b, seq, &e, err, sizeof err), CW_OK);
    assert_memory_equal(cw_enc_data(&e) + cw_enc_len(&e) - alen, ack, alen);
    cw_enc_free(&e);
    assert_int_equal(relay_ack(&w->a, &w->b, w->client_a, pkt, len, ack, alen, log), 0);
    cw_enc_init(&e);
    assert_int_equal(cw_node_packet_commitments(w->a.node, "test", w->chan_a, 0, 0, &e, err,
                                                sizeof err), CW_OK);
    assert_false(has(v, u64s(&e, v, 64), seq));
    cw_enc_free(&e);
    cw_enc_init(&e);
    assert_int_equal(cw_node_unreceived(w->a.node, CW_PATH_COMMITMENTS, "test", w->chan_a, &seq, 1,
                                        &e, err, sizeof err), CW_OK);
    assert_int_equal(u64s(&e, v, 64), 0);
    cw_enc_free(&e);
    free(pkt);
    free(ack);
}

static void test_error_ack_discards_app_writes_and_events(void **state)
{
    world *w = *state;
    char log[256];
    size_t len, alen;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "fail", 0, h_clock + 3600 * H_BLOCK_NS, &len,
                            NULL);
    uint64_t seq = seq_of(pkt, len);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, pkt, len, log), 0);
    assert_int_equal(counter(&w->b, "recv", seq), 0); /* the app's write was discarded */
    uint8_t *pk[4];
    size_t pl[4];
    assert_int_equal(h_events(&w->b, h_height(&w->b), "test_recv", pk, pl, NULL, NULL, 4), 0);
    uint8_t *ack = last_ack(&w->b, &alen);
    bool ok;
    cw_bytes payload;
    assert_int_equal(cw_ack_decode(&ok, &payload, ack, alen, NULL, 0), CW_OK);
    assert_false(ok);
    assert_int_equal(relay_ack(&w->a, &w->b, w->client_a, pkt, len, ack, alen, log), 0);
    assert_int_equal(counter(&w->a, "ack_err", seq), 1);
    free(pkt);
    free(ack);
}

static void test_receive_at_or_after_timeout_refused(void **state)
{
    world *w = *state;
    char log[256];
    size_t len;
    /* timeout height = b's next height: the recv executes at or after it */
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "late", h_height(&w->b) + 1, 0, &len, NULL);
    int rc = relay_recv(&w->a, &w->b, w->client_b, pkt, len, log);
    assert_int_equal(rc, CW_ETIMEOUT);
    assert_non_null(strstr(log, "timed out"));
    free(pkt);
    /* by timestamp: two blocks of the shared clock */
    pkt = send_pkt(w, &w->a, w->chan_a, "late2", 0, h_clock + 2 * H_BLOCK_NS, &len, NULL);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, pkt, len, log), CW_ETIMEOUT);
    free(pkt);
}

static void test_timeout_refunds_once_and_refuses_early_or_received(void **state)
{
    world *w = *state;
    char log[256];
    size_t len;
    uint64_t th = h_height(&w->b) + 6;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "t", th, 0, &len, NULL);
    uint64_t seq = seq_of(pkt, len);
    /* a proof height before the timeout cannot time it out */
    int rc = relay_timeout(&w->a, &w->b, w->client_a, pkt, len, 0, log);
    assert_int_equal(rc, CW_ESTATE);
    assert_non_null(strstr(log, "not timed out at proof height"));
    while (h_height(&w->b) < th)
        h_block(&w->b);
    assert_int_equal(relay_timeout(&w->a, &w->b, w->client_a, pkt, len, 0, log), 0);
    assert_int_equal(counter(&w->a, "timeout", seq), 1);
    assert_int_equal(relay_timeout(&w->a, &w->b, w->client_a, pkt, len, 0, log), 0); /* replay */
    assert_int_equal(counter(&w->a, "timeout", seq), 1);
    free(pkt);
}

static void test_timeout_while_receipt_exists_refused(void **state)
{
    world *w = *state;
    char log[256];
    size_t len;
    uint64_t th = h_height(&w->b) + 8;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "r", th, 0, &len, NULL);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, pkt, len, log), 0);
    while (h_height(&w->b) < th)
        h_block(&w->b);
    int rc = relay_timeout(&w->a, &w->b, w->client_a, pkt, len, 0, log);
    assert_int_not_equal(rc, 0); /* the receipt exists: a non-membership proof cannot exist */
    assert_int_equal(counter(&w->a, "timeout", seq_of(pkt, len)), 0);
    free(pkt);
}

static void test_timeout_judged_on_counterparty_consensus_time_not_local_clock(void **state)
{
    world *w = *state;
    char log[256];
    size_t len;
    /* timestamp timeout a few blocks ahead; b's client on a stays at an older height */
    uint64_t tt = h_clock + 4 * H_BLOCK_NS;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "clock", 0, tt, &len, NULL);
    uint64_t proof_h = h_height(&w->b);
    assert_int_equal(h_update_client(&w->a, &w->b, w->client_a, proof_h), 0);
    for (int i = 0; i < 6; i++) /* a's own clock passes tt */
        h_block(&w->a);
    assert_true(h_clock > tt);
    int rc = relay_timeout(&w->a, &w->b, w->client_a, pkt, len, proof_h, log);
    assert_int_equal(rc, CW_ESTATE); /* consensus time at proof_h < tt: not timed out */
    free(pkt);
}

static void test_mismatched_commitment_bytes_refused(void **state)
{
    world *w = *state;
    char log[256];
    size_t len, alen;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "data", 0, h_clock + 3600 * H_BLOCK_NS, &len,
                            NULL);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, pkt, len, log), 0);
    uint8_t *ack = last_ack(&w->b, &alen);
    /* the same sequence with other data: the stored commitment does not match */
    uint8_t *forged = malloc(len);
    memcpy(forged, pkt, len);
    uint8_t *at = memmem(forged, len, "data", 4);
    assert_non_null(at);
    memcpy(at, "dat4", 4);
    int rc = relay_ack(&w->a, &w->b, w->client_a, forged, len, ack, alen, log);
    assert_int_equal(rc, CW_EINVAL);
    assert_non_null(strstr(log, "does not match its stored commitment"));
    /* and a forged packet cannot be received on b: a's commitment proof fails */
    rc = relay_recv(&w->a, &w->b, w->client_b, forged, len, log);
    assert_int_not_equal(rc, 0);
    free(forged);
    free(pkt);
    free(ack);
}

static void test_packet_to_unbound_or_privileged_port_refused(void **state)
{
    world *w = *state;
    char log[256];
    size_t len;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "x", 0, h_clock + 3600 * H_BLOCK_NS, &len,
                            NULL);
    const char *ports[] = {"bank", "clients", "nosuch"};
    for (int i = 0; i < 3; i++) {
        cw_dec d;
        cw_packet p;
        h_packet(pkt, len, &p, &d);
        snprintf(p.dest_port, sizeof p.dest_port, "%s", ports[i]);
        cw_enc e;
        cw_enc_init(&e);
        cw_packet_enc(&e, &p);
        int rc = relay_recv(&w->a, &w->b, w->client_b, cw_enc_data(&e), cw_enc_len(&e), log);
        assert_int_equal(rc, CW_ENOTFOUND);
        assert_non_null(strstr(log, "no app bound"));
        cw_enc_free(&e);
        cw_dec_close(&d);
    }
    free(pkt);
}

static void test_send_refused_when_already_timed_out_or_channel_closed(void **state)
{
    world *w = *state;
    int rc;
    size_t len;
    /* b's client on a knows b's latest height: a timeout at or below it is refused */
    cw_lc_client_state cs;
    h_client_state(&w->a, w->client_a, &cs);
    assert_null(send_pkt(w, &w->a, w->chan_a, "x", cs.latest_height, 0, &len, &rc));
    assert_int_equal(rc, CW_ETIMEOUT);
    assert_null(send_pkt(w, &w->a, w->chan_a, "x", 0, 0, &len, &rc));
    assert_int_equal(rc, CW_EINVAL);
    assert_null(send_pkt(w, &w->a, "channel-99", "x", 0, h_clock * 2, &len, &rc));
    assert_int_equal(rc, CW_ENOTFOUND);
}

static void test_ordered_channel_gap_refused_and_timeout_closes(void **state)
{
    world *w = *state;
    char log[256];
    size_t l1, l2, l3;
    h_open_channel(w, "test", "test-1", CW_ORDER_ORDERED);
    uint64_t far = h_clock + 3600 * H_BLOCK_NS;
    uint8_t *p1 = send_pkt(w, &w->a, w->chan_a, "one", 0, far, &l1, NULL);
    uint8_t *p2 = send_pkt(w, &w->a, w->chan_a, "two", 0, far, &l2, NULL);
    int rc = relay_recv(&w->a, &w->b, w->client_b, p2, l2, log); /* n+1 before n */
    assert_int_equal(rc, CW_ESTATE);
    assert_non_null(strstr(log, "arrived before"));
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, p1, l1, log), 0);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, p2, l2, log), 0);
    /* a packet that times out on an ordered channel closes it */
    uint64_t th = h_height(&w->b) + 3;
    uint8_t *p3 = send_pkt(w, &w->a, w->chan_a, "three", th, 0, &l3, NULL);
    while (h_height(&w->b) < th)
        h_block(&w->b);
    cw_dec d;
    cw_packet p;
    h_packet(p3, l3, &p, &d);
    char key[CW_PATH_MAX];
    uint8_t *v, *pr;
    size_t vl, pl;
    cw_path_next_seq(key, CW_PATH_NEXT_SEQ_RECV, p.dest_port, p.dest_channel);
    uint64_t h = prove(&w->b, &w->a, w->client_a, key, &v, &vl, &pr, &pl);
    uint64_t next_recv;
    assert_non_null(v);
    assert_int_equal(cw_val_be64_dec(&next_recv, v, vl, NULL, 0), CW_OK);
    cw_msg_timeout mt = {.packet = p, .proof_unreceived = h_bytes(pr, pl), .proof_height = h,
                         .next_sequence_recv = next_recv};
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_timeout_enc(&m, &mt);
    assert_int_equal(tx1(&w->a, &m, log), 0);
    cw_channel_end ce;
    char ckey[CW_PATH_MAX];
    uint8_t *cv, *cp;
    size_t cvl, cpl;
    cw_path_channel_end(ckey, "test", w->chan_a);
    h_query(&w->a, ckey, 0, &cv, &cvl, &cp, &cpl);
    cw_dec d2;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d2, &root, cv, cvl, 4096, NULL, 0), CW_OK);
    cw_channel_end_dec(&d2, root, &ce, "ce");
    assert_int_equal(ce.state, CW_CHAN_CLOSED);
    cw_dec_close(&d2);
    cw_dec_close(&d);
    free(v), free(pr), free(cv), free(cp), free(p1), free(p2), free(p3);
}

static void test_channel_try_naming_a_client_of_a_fake_chain_refused(void **state)
{
    world *w = *state;
    char log[256], key[CW_PATH_MAX], fake_client[65];
    /* An impostor runs its own chain under b's chain id ("beta") with its own validators.
     * On a, a client of the impostor is created, and a channel INIT names it as a's client
     * of b. If b accepted the TRY, the impostor could later forge packets into a. */
    hchain fake;
    h_init(&fake, "beta", "uusd", NULL);
    h_block(&fake);
    h_create_client(&w->a, &fake, fake_client, &w->next_client_a);
    cw_enc m;
    uint8_t *v, *p, *cv, *cp, *xv, *xp;
    size_t vl, pl, cvl, cpl, xvl, xpl;
    h_msg_open_init(&m, "test", CW_ORDER_UNORDERED, fake_client, w->client_b, "test-1");
    assert_int_equal(tx1(&w->a, &m, log), 0);
    char chan[65];
    snprintf(chan, sizeof chan, "channel-%d", w->next_chan_a++);
    cw_path_channel_end(key, "test", chan);
    uint64_t h = prove(&w->a, &w->b, w->client_b, key, &v, &vl, &p, &pl);
    client_proofs(&w->a, fake_client, h, &cv, &cvl, &cp, &cpl, &xv, &xvl, &xp, &xpl);
    h_msg_open_try(&m, "test", CW_ORDER_UNORDERED, chan, w->client_b, fake_client, "test-1",
                   h_bytes(p, pl), h_bytes(cv, cvl), h_bytes(cp, cpl), h_bytes(xp, xpl), h);
    int rc = tx1(&w->b, &m, log);
    fprintf(stderr, "fake-chain try refused: %s\n", log);
    assert_int_not_equal(rc, 0);
    assert_true(strstr(log, "does not hold this chain's consensus state") ||
                strstr(log, "claims height"));
    /* and with a's genuine client of b, the same handshake step passes */
    free(v), free(p), free(cv), free(cp), free(xv), free(xp);
    h_free(&fake);
}

/* Closing: a's end closes (init), b confirms against a's CLOSED end, and a packet a sent
 * before closing is refunded with TimeoutOnClose (receipt absent + b's end CLOSED). */
static void test_close_handshake_and_timeout_on_close(void **state)
{
    world *w = *state;
    char log[256], key[CW_PATH_MAX];
    size_t len;
    h_open_channel(w, "test", "test-1", CW_ORDER_UNORDERED); /* a fresh channel to close */
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "stuck", 0, h_clock + 3600 * H_BLOCK_NS, &len,
                            NULL);
    uint64_t seq = seq_of(pkt, len);
    cw_enc m;
    h_msg_close_init(&m, "test", w->chan_a);
    assert_int_equal(tx1(&w->a, &m, log), 0);
    /* a closed end accepts no new packet */
    int rc;
    assert_null(send_pkt(w, &w->a, w->chan_a, "x", 0, h_clock * 2, &len, &rc));
    assert_int_equal(rc, CW_ESTATE);
    uint8_t *v, *p, *v2, *p2;
    size_t vl, pl, vl2, pl2;
    cw_path_channel_end(key, "test", w->chan_a);
    uint64_t h = prove(&w->a, &w->b, w->client_b, key, &v, &vl, &p, &pl);
    cw_msg_chan_close_confirm mcc = {.proof_init = h_bytes(p, pl), .proof_height = h};
    h_id(mcc.port, "test");
    h_id(mcc.channel, w->chan_b);
    cw_enc_init(&m);
    cw_msg_chan_close_confirm_enc(&m, &mcc);
    assert_int_equal(tx1(&w->b, &m, log), 0);
    cw_enc_init(&m);
    cw_msg_chan_close_confirm_enc(&m, &mcc);
    assert_int_equal(tx1(&w->b, &m, log), CW_ESTATE); /* already CLOSED */
    free(v), free(p);
    /* TimeoutOnClose on a: the receipt is absent on b and b's end is CLOSED */
    cw_dec d;
    cw_packet pk;
    h_packet(pkt, len, &pk, &d);
    cw_path_packet(key, CW_PATH_RECEIPTS, pk.dest_port, pk.dest_channel, pk.sequence);
    h = prove(&w->b, &w->a, w->client_a, key, &v, &vl, &p, &pl);
    cw_path_channel_end(key, "test", w->chan_b);
    h_query(&w->b, key, h, &v2, &vl2, &p2, &pl2);
    cw_msg_timeout_on_close mto = {.packet = pk, .proof_unreceived = h_bytes(p, pl),
                                   .proof_close = h_bytes(p2, pl2), .proof_height = h};
    cw_enc_init(&m);
    cw_msg_timeout_on_close_enc(&m, &mto);
    assert_int_equal(tx1(&w->a, &m, log), 0);
    assert_int_equal(counter(&w->a, "timeout", seq), 1);
    cw_dec_close(&d);
    free(v), free(p), free(v2), free(p2), free(pkt);
}

static void recover_msg(cw_enc *m, const char *subject, const char *substitute)
{
    cw_msg_recover_client mr;
    h_id(mr.subject_client_id, subject);
    h_id(mr.substitute_client_id, substitute);
    cw_enc_init(m);
    cw_msg_recover_client_enc(m, &mr);
}

/* ibc.recover_client: an expired client is replaced by the admin with an Active substitute
 * for the same chain; others may not, and an Active subject cannot be "recovered". */
static void test_recover_expired_client_admin_only(void **state)
{
    world *w = *state;
    char log[256];
    /* a client of b on a with a 5-block trusting period */
    cw_light_block lb;
    h_light_block(&w->b, h_height(&w->b), &lb);
    cw_enc m;
    cw_bytes msg = h_msg_create_client(&m, &lb.signed_header.header, 5 * H_BLOCK_NS);
    cw_light_block_free(&lb);
    assert_int_equal(h_tx(&w->a, K_RELAYER, &msg, 1, log, sizeof log), 0);
    cw_enc_free(&m);
    char subject[65], substitute[65];
    snprintf(subject, sizeof subject, "client-%d", w->next_client_a++);
    for (int i = 0; i < 8; i++) /* the shared clock runs past its trusting period */
        h_block(&w->a);
    h_block(&w->b);
    assert_int_equal(h_update_client(&w->a, &w->b, subject, 0), CW_EEXPIRED);
    h_create_client(&w->a, &w->b, substitute, &w->next_client_a);
    recover_msg(&m, subject, substitute);
    assert_int_equal(tx1_as(&w->a, K_BOB, &m, log), CW_EUNAUTHORIZED);
    recover_msg(&m, substitute, subject);
    assert_int_equal(tx1_as(&w->a, K_ADMIN, &m, log), CW_ESTATE); /* subject Active */
    recover_msg(&m, subject, substitute);
    assert_int_equal(tx1_as(&w->a, K_ADMIN, &m, log), 0);
    cw_lc_client_state rec, sub;
    h_client_state(&w->a, subject, &rec);
    h_client_state(&w->a, substitute, &sub);
    assert_int_equal(rec.latest_height, sub.latest_height);
    assert_int_equal(h_update_client(&w->a, &w->b, subject, 0), 0); /* lives on */
}


/* Echo packets whose ack would exceed CW_ACK_MAX could be sent but never received (issue
 * 15): the echo app's data limit now leaves its ack within CW_ACK_MAX. The largest echo
 * packet is received and acknowledged end to end, its ack exactly CW_ACK_MAX bytes; one
 * byte more is refused at send. */
static void test_largest_echo_packet_acked_and_one_byte_more_refused_at_send(void **state)
{
    world *w = *state;
    char log[256];
    size_t len, alen;
    h_open_channel(w, CW_ECHO_PORT, CW_ECHO_VERSION, CW_ORDER_UNORDERED);
    static uint8_t data[CW_ECHO_DATA_MAX + 1];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 1);
    cw_msg_echo_send ms = {.data = {data, CW_ECHO_DATA_MAX},
                           .timeout_timestamp_ns = h_clock + 3600 * H_BLOCK_NS};
    h_id(ms.channel, w->chan_a);
    /* one byte more: refused at send, naming the field */
    ms.data.len = CW_ECHO_DATA_MAX + 1;
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_echo_send_enc(&m, &ms);
    assert_int_not_equal(tx1_as(&w->a, K_ALICE, &m, log), 0);
    fprintf(stderr, "echo.send of %u bytes refused: %s\n", CW_ECHO_DATA_MAX + 1, log);
    assert_non_null(strstr(log, "echo.send.data"));
    uint8_t *pk[4];
    size_t pl[4];
    assert_int_equal(h_events(&w->a, h_height(&w->a), "send_packet", pk, pl, NULL, NULL, 4), 0);
    /* the largest: sent, received, acked */
    ms.data.len = CW_ECHO_DATA_MAX;
    cw_enc_init(&m);
    cw_msg_echo_send_enc(&m, &ms);
    if (tx1_as(&w->a, K_ALICE, &m, log))
        fail_msg("echo.send: %s", log);
    assert_int_equal(h_events(&w->a, h_height(&w->a), "send_packet", pk, pl, NULL, NULL, 4), 1);
    len = pl[0];
    if (relay_recv(&w->a, &w->b, w->client_b, pk[0], len, log))
        fail_msg("recv: %s", log);
    uint8_t *ack = last_ack(&w->b, &alen);
    assert_int_equal(alen, CW_ACK_MAX);
    assert_int_equal(alen, cw_ibc_ack_ok_len(CW_ECHO_DATA_MAX));
    bool ok;
    cw_bytes payload;
    assert_int_equal(cw_ack_decode(&ok, &payload, ack, alen, NULL, 0), CW_OK);
    assert_true(ok);
    assert_int_equal(payload.len, CW_ECHO_DATA_MAX);
    assert_memory_equal(payload.p, data, CW_ECHO_DATA_MAX);
    if (relay_ack(&w->a, &w->b, w->client_a, pk[0], len, ack, alen, log))
        fail_msg("ack: %s", log);
    char key[CW_PATH_MAX];
    uint8_t *v, *p;
    size_t vl, plen;
    cw_path_packet(key, CW_PATH_COMMITMENTS, CW_ECHO_PORT, w->chan_a, seq_of(pk[0], len));
    h_query(&w->a, key, 0, &v, &vl, &p, &plen);
    assert_null(v); /* acknowledged: the commitment is gone */
    free(p);
    free(pk[0]);
    free(ack);
}

/* ibc.update_client of `client` on a with b's light block at x, verified from trusted height
 * t, every commit signature corrupted; `fork` also changes the header's time (the commit
 * rebound to the new hash, so only the signatures are wrong). Returns the tx code. */
static int update_bad_sigs(world *w, const char *client, uint64_t x, uint64_t t, bool fork,
                           char *log)
{
    cw_light_block target, trusted;
    h_light_block(&w->b, x, &target);
    h_light_block(&w->b, t, &trusted);
    cw_signed_header *sh = &target.signed_header;
    if (fork) {
        sh->header.time_ns += 1;
        assert_int_equal(cw_block_hash(sh->commit.block_hash, &sh->header), CW_OK);
    }
    for (uint32_t i = 0; i < sh->commit.n_sigs; i++)
        sh->commit.sigs[i].signature.b[7] ^= 1;
    cw_msg_update_client mu;
    memset(&mu, 0, sizeof mu);
    h_id(mu.client_id, client);
    mu.update.signed_header = *sh;
    mu.update.validator_set = target.validator_set;
    mu.update.trusted_height = t;
    mu.update.has_trusted_validator_set = true;
    mu.update.trusted_validator_set = trusted.next_validator_set;
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_update_client_enc(&m, &mu);
    assert_int_equal(m.rc, CW_OK);
    int rc = tx1(&w->a, &m, log);
    cw_light_block_free(&target);
    cw_light_block_free(&trusted);
    return rc;
}

/* A MsgUpdateClient repeating a stored height with an identical header is a successful
 * no-op that verifies nothing (so a large commit costs the chain no signature checks): its
 * signatures may all be invalid, it writes nothing, and its event is update_client_noop —
 * never update_client, which the relayer reads as a verified header (misbehaviour checks,
 * evidence). A different header at that height with invalid signatures fails verification
 * and leaves the client unfrozen. */
static void test_duplicate_update_is_an_unverified_noop_and_a_bad_fork_freezes_nothing(
    void **state)
{
    world *w = *state;
    char log[256];
    cw_lc_client_state cs0, cs1, cs2;
    h_client_state(&w->a, w->client_a, &cs0);
    h_block(&w->b);
    uint64_t x = h_height(&w->b);
    assert_int_equal(h_update_client(&w->a, &w->b, w->client_a, x), 0);
    h_client_state(&w->a, w->client_a, &cs1);
    assert_int_equal(cs1.latest_height, x);

    int rc = update_bad_sigs(w, w->client_a, x, cs0.latest_height, false, log);
    if (rc)
        fail_msg("duplicate update: code %d: %s", rc, log);
    uint64_t ha = h_height(&w->a);
    assert_int_equal(h_events(&w->a, ha, CW_EV_UPDATE_CLIENT_NOOP, NULL, NULL, NULL, NULL, 8), 1);
    assert_int_equal(h_events(&w->a, ha, CW_EV_UPDATE_CLIENT, NULL, NULL, NULL, NULL, 8), 0);
    h_client_state(&w->a, w->client_a, &cs2);
    assert_memory_equal(&cs1, &cs2, sizeof cs1);

    rc = update_bad_sigs(w, w->client_a, x, cs0.latest_height, true, log);
    assert_int_equal(rc, CW_EBADSIG);
    assert_non_null(strstr(log, "signature"));
    ha = h_height(&w->a);
    assert_int_equal(h_events(&w->a, ha, CW_EV_CLIENT_MISBEHAVIOUR, NULL, NULL, NULL, NULL, 8),
                     0);
    h_client_state(&w->a, w->client_a, &cs2);
    assert_int_equal(cs2.frozen_height, 0);
    assert_memory_equal(&cs1, &cs2, sizeof cs1);
}

/* A client stopped accepting heights once its index spanned 1,500 buckets of 1,024 heights
 * (issue 15): pruning removed only expired states, so a client updated every ≥1,024 blocks
 * within its trusting period died. The store now keeps at most CW_IBC_CONSENSUS_STATES_MAX
 * states, pruning the oldest: 20,000 heights 1,024 apart (20,000 buckets) all store, with
 * the states, the index and the count bounded by the cap and the newest kept. */
static void test_consensus_store_bounded_by_pruning_over_many_buckets(void **state)
{
    (void)state;
    enum { N = 20000 };
    cw_kv_cache *mem;
    assert_int_equal(cw_kv_cache_create(&mem, NULL), CW_OK);
    cw_kv kv = cw_kv_cache_kv(mem);
    cw_ibc_client_store st;
    cw_ibc_client_store_init(&st, &kv, "client-0");
    st.keep = 1; /* the client's latest height is never pruned */
    cw_lc_consensus_state cs = {0};
    uint64_t n = 0, found;
    for (uint64_t i = 0; i < N; i++) {
        uint64_t h = 1 + i * 1024;
        cs.timestamp_ns = h_clock + i * H_BLOCK_NS;
        cs.state_root[0] = (uint8_t)i;
        int rc = st.store.put(&st, h, &cs);
        if (rc)
            fail_msg("put at height %llu (update %llu): %s", (unsigned long long)h,
                     (unsigned long long)i, cw_strerror(rc));
        assert_int_equal(cw_ibc_client_consensus_count(&kv, "client-0", &n), CW_OK);
        assert_true(n <= CW_IBC_CONSENSUS_STATES_MAX);
    }
    fprintf(stderr, "%d heights over %d buckets: %llu consensus states stored (cap %u)\n", N, N,
            (unsigned long long)n, CW_IBC_CONSENSUS_STATES_MAX);
    assert_int_equal(n, CW_IBC_CONSENSUS_STATES_MAX);
    /* the index agrees with the count: one non-empty bucket per stored height here */
    const uint8_t *v;
    size_t vl;
    assert_int_equal(cw_kv_get_s(&kv, "clients/client-0/consensusIndex", &v, &vl), CW_OK);
    cw_dec d;
    const msgpack_object *root;
    uint32_t nb;
    assert_int_equal(cw_dec_open(&d, &root, v, vl, CW_KV_VALUE_MAX, NULL, 0), CW_OK);
    cw_dec_list(&d, root, 100000, &nb, "index");
    assert_int_equal(d.rc, CW_OK);
    cw_dec_close(&d);
    assert_int_equal(nb, CW_IBC_CONSENSUS_STATES_MAX);
    /* kept: the latest (keep) and the newest cap-1; pruned: everything between */
    cw_lc_consensus_state got;
    assert_int_equal(st.store.get(&st, 1, &got), CW_OK);
    assert_int_equal(st.store.get(&st, 1 + 1024, &got), CW_ENOTFOUND);
    uint64_t newest = 1 + (uint64_t)(N - 1) * 1024;
    assert_int_equal(st.store.get(&st, newest, &got), CW_OK);
    assert_int_equal(st.store.above(&st, 1, &found, &got), CW_OK);
    assert_int_equal(found, newest - (CW_IBC_CONSENSUS_STATES_MAX - 2) * 1024ull);
    assert_int_equal(st.store.below(&st, newest, &found, &got), CW_OK);
    assert_int_equal(found, newest - 1024);
    /* a state put below every other is kept: the oldest other than it and keep goes */
    uint64_t oldest = newest - (CW_IBC_CONSENSUS_STATES_MAX - 2) * 1024ull;
    assert_int_equal(st.store.put(&st, 2, &cs), CW_OK);
    assert_int_equal(st.store.get(&st, 2, &got), CW_OK);
    assert_int_equal(st.store.get(&st, 1, &got), CW_OK);
    assert_int_equal(st.store.get(&st, oldest, &got), CW_ENOTFOUND);
    assert_int_equal(cw_ibc_client_consensus_count(&kv, "client-0", &n), CW_OK);
    assert_int_equal(n, CW_IBC_CONSENSUS_STATES_MAX);
    /* deleting counts down; re-putting a stored height counts nothing */
    assert_int_equal(st.store.put(&st, newest, &cs), CW_OK);
    assert_int_equal(st.store.del(&st, newest), CW_OK);
    assert_int_equal(cw_ibc_client_consensus_count(&kv, "client-0", &n), CW_OK);
    assert_int_equal(n, CW_IBC_CONSENSUS_STATES_MAX - 1);
    cw_kv_cache_destroy(mem);
}

/* ---- gas of the validator sets an update carries (DESIGN §5 "Gas") --------------------- */

/* n fresh validators, sorted by pubkey, power 1 (vs->v malloc'd). */
static void fresh_set(cw_validator_set *vs, uint32_t n)
{
    vs->n = n;
    vs->v = calloc(n, sizeof *vs->v);
    assert_non_null(vs->v);
    for (uint32_t i = 0; i < n; i++) {
        cw_seckey sk;
        assert_int_equal(cw_key_generate(&sk, &vs->v[i].pubkey), CW_OK);
        cw_seckey_wipe(&sk);
        vs->v[i].power = 1;
    }
    for (uint32_t i = 1; i < n; i++) /* insertion sort: n is small and this is a test */
        for (uint32_t j = i; j > 0 && memcmp(vs->v[j - 1].pubkey.b, vs->v[j].pubkey.b, 32) > 0;
             j--) {
            cw_validator t = vs->v[j];
            vs->v[j] = vs->v[j - 1];
            vs->v[j - 1] = t;
        }
}

/* A MsgUpdateClient makes the chain lift every key of the sets it carries into the validator-
 * set cache (x-only decompression, the set validated and hashed twice) before any of it is
 * verified, whenever the cache has not seen the set: about 7.3 µs a validator (release build,
 * 1,024-validator sets; scratch measurement in the gas review), i.e. at least 700 gas at the
 * price list's 10 ns per gas. Anyone can send sets of fresh keys (the update then fails on
 * the header's validators_hash, still after the lift), so the precharge must cover the lift
 * whatever the cache holds. Before the fix it charged the sets' hashing only, 48 gas a
 * validator: two fresh 1,024-validator sets cost 2.8x the CPU their gas allowed. */
static void test_update_pays_for_every_validator_key_it_makes_the_chain_lift(void **state)
{
    world *w = *state;
    enum { N = 1024, KEY_LIFT_GAS_FLOOR = 700 };
    cw_lc_client_state cs;
    h_client_state(&w->a, w->client_a, &cs);
    h_block(&w->b);
    cw_light_block target;
    h_light_block(&w->b, h_height(&w->b), &target);
    cw_msg_update_client mu;
    memset(&mu, 0, sizeof mu);
    h_id(mu.client_id, w->client_a);
    mu.update.signed_header = target.signed_header;
    fresh_set(&mu.update.validator_set, N);
    mu.update.trusted_height = cs.latest_height;
    mu.update.has_trusted_validator_set = true;
    fresh_set(&mu.update.trusted_validator_set, N);
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_update_client_enc(&m, &mu);
    assert_int_equal(m.rc, CW_OK);
    cw_bytes msg = {cw_enc_data(&m), cw_enc_len(&m)};

    uint64_t hits, parses0, parses1;
    cw_lc_vcache_stats(ibc_vcache(cw_node_ibc(w->a.node)), &hits, &parses0);
    uint8_t *tx, hash[32];
    size_t len;
    char err[512];
    hchain *c = &w->a;
    assert_int_equal(cw_tx_sign(&tx, &len, c->id, &c->sk[K_RELAYER], c->nonce[K_RELAYER], 0,
                                &msg, 1, "", err, sizeof err), CW_OK);
    assert_int_equal(cw_node_submit_tx(c->node, tx, len, hash, err, sizeof err), CW_OK);
    c->nonce[K_RELAYER]++;
    free(tx);
    h_block(c);
    cw_lc_vcache_stats(ibc_vcache(cw_node_ibc(w->a.node)), &hits, &parses1);
    assert_int_equal(parses1 - parses0, 2); /* both sets' keys were lifted */

    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_tx(c->node, hash, &e, err, sizeof err), CW_OK);
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), 1 << 24, err,
                                 sizeof err), CW_OK);
    cw_rpc_tx t;
    cw_rpc_tx_dec(&d, root, &t);
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(t.result.code, CW_EBADHEADER); /* the fresh set is not the header's */
    uint64_t beyond_bytes = t.result.gas_used - cw_gas_tx_intrinsic(len, 1);
    if (beyond_bytes < 2ull * N * KEY_LIFT_GAS_FLOOR)
        fail_msg("two fresh sets of %d validators lifted for %llu gas beyond the tx's bytes, "
                 "under %d a key", N, (unsigned long long)beyond_bytes, KEY_LIFT_GAS_FLOOR);
    cw_dec_close(&d);
    cw_enc_free(&e);
    cw_enc_free(&m);
    cw_validator_set_free(&mu.update.validator_set);
    cw_validator_set_free(&mu.update.trusted_validator_set);
    cw_light_block_free(&target);
}

/* Every refusal of ibc.recover_client names its rule: subject = substitute, an unknown
 * client, a substitute that is not Active, one with another trust level, one not ahead of
 * the subject. */
static void test_recover_refusals_name_their_rule(void **state)
{
    world *w = *state;
    char log[256], subject[65], expired[65], old[65], other[65];
    cw_enc m;
    cw_bytes msg;
    cw_light_block lb;
    h_light_block(&w->b, h_height(&w->b), &lb);
    uint64_t hs = lb.signed_header.header.height;
    char *ids[2] = {subject, expired};
    for (int k = 0; k < 2; k++) { /* 5-block trusting periods, left to expire */
        msg = h_msg_create_client(&m, &lb.signed_header.header, 5 * H_BLOCK_NS);
        assert_int_equal(h_tx(&w->a, K_RELAYER, &msg, 1, log, sizeof log), 0);
        cw_enc_free(&m);
        snprintf(ids[k], 65, "client-%d", w->next_client_a++);
    }
    cw_light_block_free(&lb);
    for (int i = 0; i < 8; i++)
        h_block(&w->a);
    h_block(&w->b);
    /* Active: one trusting b at a height below the subject's, one with trust level 1/2 */
    h_light_block(&w->b, hs - 1, &lb);
    msg = h_msg_create_client(&m, &lb.signed_header.header, 0);
    assert_int_equal(h_tx(&w->a, K_RELAYER, &msg, 1, log, sizeof log), 0);
    cw_enc_free(&m);
    snprintf(old, sizeof old, "client-%d", w->next_client_a++);
    cw_light_block_free(&lb);
    h_light_block(&w->b, h_height(&w->b), &lb);
    cw_msg_create_client mc;
    memset(&mc, 0, sizeof mc);
    strcpy(mc.client_type, CW_CLIENT_TYPE_BIP340);
    assert_int_equal(cw_lc_client_state_default(&mc.client_state, "beta"), CW_OK);
    mc.client_state.trust_level_num = 1;
    mc.client_state.trust_level_den = 2;
    mc.client_state.latest_height = lb.signed_header.header.height;
    cw_lc_consensus_state_of(&mc.consensus_state, &lb.signed_header.header);
    cw_enc_init(&m);
    cw_msg_create_client_enc(&m, &mc);
    msg = (cw_bytes){cw_enc_data(&m), cw_enc_len(&m)};
    assert_int_equal(h_tx(&w->a, K_RELAYER, &msg, 1, log, sizeof log), 0);
    cw_enc_free(&m);
    snprintf(other, sizeof other, "client-%d", w->next_client_a++);
    cw_light_block_free(&lb);

    struct {
        const char *substitute;
        int rc;
        const char *phrase;
    } cases[] = {{subject, CW_EINVAL, "same client"},
                 {"client-99", CW_ENOTFOUND, "not found"},
                 {expired, CW_ESTATE, "must be Active"},
                 {other, CW_EINVAL, "same trust level"},
                 {old, CW_EINVAL, "not ahead of the subject"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        recover_msg(&m, subject, cases[i].substitute);
        int rc = tx1_as(&w->a, K_ADMIN, &m, log);
        if (rc != cases[i].rc || !strstr(log, cases[i].phrase))
            fail_msg("recover from %s: got %d \"%s\", want %d with \"%s\"",
                     cases[i].substitute, rc, log, cases[i].rc, cases[i].phrase);
    }
}

/* ORDERED channels, the paths the gap test does not take: a packet whose source is not
 * the channel's counterparty; an empty packet; a receive below nextSequenceRecv (a
 * successful no-op); acks in order only; a timeout of a packet the counterparty received
 * (proven nextSequenceRecv above it) and one at a proof height the client has no state
 * for. */
static void test_ordered_channel_acks_in_order_and_redundant_receives(void **state)
{
    world *w = *state;
    char log[256];
    size_t l1, l2, l3;
    int rc;
    h_open_channel(w, "test", "test-1", CW_ORDER_ORDERED);
    uint64_t far = h_clock + 3600 * H_BLOCK_NS;
    assert_null(send_pkt(w, &w->a, w->chan_a, "", 0, far, &l1, &rc));
    assert_int_equal(rc, CW_EINVAL);
    uint8_t *p1 = send_pkt(w, &w->a, w->chan_a, "one", 0, far, &l1, NULL);
    uint8_t *p2 = send_pkt(w, &w->a, w->chan_a, "two", 0, far, &l2, NULL);
    {
        cw_dec d;
        cw_packet p;
        h_packet(p1, l1, &p, &d);
        h_id(p.source_channel, "channel-77");
        cw_enc e;
        cw_enc_init(&e);
        cw_packet_enc(&e, &p);
        rc = relay_recv(&w->a, &w->b, w->client_b, cw_enc_data(&e), cw_enc_len(&e), log);
        assert_int_equal(rc, CW_EINVAL);
        assert_non_null(strstr(log, "is not the channel's counterparty"));
        cw_enc_free(&e);
        cw_dec_close(&d);
    }
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, p1, l1, log), 0);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, p2, l2, log), 0);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, p1, l1, log), 0); /* redundant */
    assert_int_equal(h_events(&w->b, h_height(&w->b), CW_EV_RECV_PACKET_REDUNDANT, NULL, NULL,
                              NULL, NULL, 4), 1);
    cw_enc ack;
    cw_enc_init(&ack);
    cw_ack_enc_ok(&ack, (const uint8_t *)"done", 4);
    rc = relay_ack(&w->a, &w->b, w->client_a, p2, l2, cw_enc_data(&ack), cw_enc_len(&ack), log);
    assert_int_equal(rc, CW_ESTATE);
    assert_non_null(strstr(log, "ordered channel: ack for 2, expected 1"));
    assert_int_equal(relay_ack(&w->a, &w->b, w->client_a, p1, l1, cw_enc_data(&ack),
                               cw_enc_len(&ack), log), 0);
    assert_int_equal(relay_ack(&w->a, &w->b, w->client_a, p2, l2, cw_enc_data(&ack),
                               cw_enc_len(&ack), log), 0);
    cw_enc_free(&ack);

    /* a packet received before its timeout height: its timeout is refused */
    uint64_t th = h_height(&w->b) + 4;
    uint8_t *p3 = send_pkt(w, &w->a, w->chan_a, "three", th, 0, &l3, NULL);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, p3, l3, log), 0);
    while (h_height(&w->b) < th)
        h_block(&w->b);
    cw_dec d;
    cw_packet p;
    h_packet(p3, l3, &p, &d);
    char key[CW_PATH_MAX];
    uint8_t *v, *pr;
    size_t vl, pl;
    cw_path_next_seq(key, CW_PATH_NEXT_SEQ_RECV, p.dest_port, p.dest_channel);
    uint64_t h = prove(&w->b, &w->a, w->client_a, key, &v, &vl, &pr, &pl);
    uint64_t next_recv;
    assert_non_null(v);
    assert_int_equal(cw_val_be64_dec(&next_recv, v, vl, NULL, 0), CW_OK);
    assert_true(next_recv > p.sequence);
    for (int k = 0; k < 2; k++) {
        cw_msg_timeout mt = {.packet = p, .proof_unreceived = h_bytes(pr, pl),
                             .proof_height = k ? h + 1000 : h, .next_sequence_recv = next_recv};
        cw_enc m;
        cw_enc_init(&m);
        cw_msg_timeout_enc(&m, &mt);
        rc = tx1(&w->a, &m, log);
        assert_int_equal(rc, k ? CW_ENOTFOUND : CW_ESTATE);
        assert_non_null(strstr(log, k ? "no consensus state at proof height" : "received"));
    }
    cw_dec_close(&d);
    free(v), free(pr), free(p1), free(p2), free(p3);
}

/* the channel end (port, channel) on c, decoded; false when absent */
static bool end_of(hchain *c, const char *port, const char *channel, cw_channel_end *ce)
{
    char key[CW_PATH_MAX];
    uint8_t *v, *p;
    size_t vl, pl;
    cw_path_channel_end(key, port, channel);
    h_query(c, key, 0, &v, &vl, &p, &pl);
    bool found = v != NULL;
    if (found)
        assert_int_equal(cw_channel_end_decode(ce, v, vl, NULL, 0), CW_OK);
    free(v);
    free(p);
    return found;
}

/* An app that refuses the handshake step named in g_picky (one of "init", "try", "ack",
 * "confirm", "close_confirm"; "" refuses none). */
static const char *g_picky = "";

static int picky(const char *step, char *err, size_t err_len)
{
    if (strcmp(g_picky, step) != 0)
        return CW_OK;
    return cw_errf(err, err_len, CW_EUNAUTHORIZED, "picky app refuses %s", step);
}
static int picky_init(void *user, cw_exec_ctx *ctx, const char *channel,
                      const cw_channel_end *ce, char *err, size_t err_len)
{
    (void)user, (void)ctx, (void)channel, (void)ce;
    return picky("init", err, err_len);
}
static int picky_try(void *user, cw_exec_ctx *ctx, const char *channel, const cw_channel_end *ce,
                     const char *cp_version, char *err, size_t err_len)
{
    (void)user, (void)ctx, (void)channel, (void)ce, (void)cp_version;
    return picky("try", err, err_len);
}
static int picky_ack(void *user, cw_exec_ctx *ctx, const char *channel, const char *cp_version,
                     char *err, size_t err_len)
{
    (void)user, (void)ctx, (void)channel, (void)cp_version;
    return picky("ack", err, err_len);
}
static int picky_confirm(void *user, cw_exec_ctx *ctx, const char *channel, char *err,
                         size_t err_len)
{
    (void)user, (void)ctx, (void)channel;
    return picky("confirm", err, err_len);
}
static int picky_close_confirm(void *user, cw_exec_ctx *ctx, const char *channel, char *err,
                               size_t err_len)
{
    (void)user, (void)ctx, (void)channel;
    return picky("close_confirm", err, err_len);
}

#define EXPECT_LOG(rc, want, log, phrase)                                                  \
    do {                                                                                   \
        int rc_ = (rc);                                                                    \
        if (rc_ != (want) || !strstr((log), (phrase)))                                     \
            fail_msg("got %d \"%s\", want %d with \"%s\"", rc_, (log), (int)(want),        \
                     (phrase));                                                            \
    } while (0)

/* An app's handshake callbacks have the last word: each step its app refuses fails with the
 * app's error and leaves the end as it was (no INIT or TRYOPEN end created, an INIT end not
 * opened, a TRYOPEN end not confirmed, an OPEN end not closed); the same step then passes. */
static void test_app_callback_refusal_stops_each_handshake_step(void **state)
{
    world *w = *state;
    char log[256];
    cw_channel_end ce;
    cw_ibc_app app = test_app_on("picky", NULL);
    app.on_chan_open_init = picky_init;
    app.on_chan_open_try = picky_try;
    app.on_chan_open_ack = picky_ack;
    app.on_chan_open_confirm = picky_confirm;
    app.on_chan_close_confirm = picky_close_confirm;
    assert_int_equal(cw_ibc_bind(cw_node_ibc(w->a.node), &app), CW_OK);
    assert_int_equal(cw_ibc_bind(cw_node_ibc(w->b.node), &app), CW_OK);
    g_picky = "init";
    EXPECT_LOG(h_chan_init(w, "picky", "p-1", CW_ORDER_UNORDERED, log), CW_EUNAUTHORIZED, log,
               "picky app refuses init");
    assert_false(end_of(&w->a, "picky", w->chan_a, &ce));
    g_picky = "try";
    assert_int_equal(h_chan_init(w, "picky", "p-1", CW_ORDER_UNORDERED, log), CW_OK);
    EXPECT_LOG(h_chan_try(w, "picky", "p-1", "p-1", CW_ORDER_UNORDERED, log), CW_EUNAUTHORIZED,
               log, "picky app refuses try");
    assert_false(end_of(&w->b, "picky", w->chan_b, &ce));
    g_picky = "ack";
    assert_int_equal(h_chan_try(w, "picky", "p-1", "p-1", CW_ORDER_UNORDERED, log), CW_OK);
    EXPECT_LOG(h_chan_ack(w, "picky", "p-1", log), CW_EUNAUTHORIZED, log,
               "picky app refuses ack");
    assert_true(end_of(&w->a, "picky", w->chan_a, &ce));
    assert_int_equal(ce.state, CW_CHAN_INIT);
    g_picky = "confirm";
    assert_int_equal(h_chan_ack(w, "picky", "p-1", log), CW_OK);
    EXPECT_LOG(h_chan_confirm(w, "picky", false, log), CW_EUNAUTHORIZED, log,
               "picky app refuses confirm");
    assert_true(end_of(&w->b, "picky", w->chan_b, &ce));
    assert_int_equal(ce.state, CW_CHAN_TRYOPEN);
    g_picky = "close_confirm";
    assert_int_equal(h_chan_confirm(w, "picky", false, log), CW_OK);
    cw_enc m;
    h_msg_close_init(&m, "picky", w->chan_a);
    assert_int_equal(tx1(&w->a, &m, log), CW_OK);
    EXPECT_LOG(h_chan_confirm(w, "picky", true, log), CW_EUNAUTHORIZED, log,
               "picky app refuses close_confirm");
    assert_true(end_of(&w->b, "picky", w->chan_b, &ce));
    assert_int_equal(ce.state, CW_CHAN_OPEN);
    g_picky = "";
    assert_int_equal(h_chan_confirm(w, "picky", true, log), CW_OK);
    assert_true(end_of(&w->b, "picky", w->chan_b, &ce));
    assert_int_equal(ce.state, CW_CHAN_CLOSED);
}

/* ACK checks the counterparty's version against the app's open rules: a counterparty whose
 * app on the port has other rules (here none) answers TRY with version v-2 to an INIT of v-1;
 * its TRYOPEN end is proven, and the ACK is still refused, the INIT end left as it was. */
static void test_ack_refuses_a_counterparty_version_the_app_does_not_speak(void **state)
{
    world *w = *state;
    char log[256];
    cw_channel_end ce;
    static const cw_ibc_open_rules rules = {.port = "vers", .version = "v-1",
                                            .ordered_ok = false, .unordered_ok = true};
    cw_ibc_app app = test_app_on("vers", &rules);
    assert_int_equal(cw_ibc_bind(cw_node_ibc(w->a.node), &app), CW_OK);
    app.open_rules = NULL;
    assert_int_equal(cw_ibc_bind(cw_node_ibc(w->b.node), &app), CW_OK);
    assert_int_equal(h_chan_init(w, "vers", "v-1", CW_ORDER_UNORDERED, log), CW_OK);
    assert_int_equal(h_chan_try(w, "vers", "v-2", "v-1", CW_ORDER_UNORDERED, log), CW_OK);
    EXPECT_LOG(h_chan_ack(w, "vers", "v-2", log), CW_EINVAL, log,
               "vers channels: counterparty version v-2, need v-1");
    assert_true(end_of(&w->a, "vers", w->chan_a, &ce));
    assert_int_equal(ce.state, CW_CHAN_INIT);
    assert_string_equal(ce.version, "v-1");
}

/* OPEN_CONFIRM and CLOSE_CONFIRM need a proof of the counterparty's end in the state they
 * move to: a proof of an INIT end (before the ACK) does not confirm an open, a proof of an
 * OPEN end does not confirm a close; the end on b stays as it was. */
static void test_confirm_refuses_a_proof_of_the_counterparty_in_another_state(void **state)
{
    world *w = *state;
    char log[256];
    cw_channel_end ce;
    assert_int_equal(h_chan_init(w, "test", "test-1", CW_ORDER_UNORDERED, log), CW_OK);
    assert_int_equal(h_chan_try(w, "test", "test-1", "test-1", CW_ORDER_UNORDERED, log), CW_OK);
    EXPECT_LOG(h_chan_confirm(w, "test", false, log), CW_EBADPROOF, log, w->chan_a);
    assert_true(end_of(&w->b, "test", w->chan_b, &ce));
    assert_int_equal(ce.state, CW_CHAN_TRYOPEN);
    assert_int_equal(h_chan_ack(w, "test", "test-1", log), CW_OK);
    assert_int_equal(h_chan_confirm(w, "test", false, log), CW_OK);
    EXPECT_LOG(h_chan_confirm(w, "test", true, log), CW_EBADPROOF, log, w->chan_a);
    assert_true(end_of(&w->b, "test", w->chan_b, &ce));
    assert_int_equal(ce.state, CW_CHAN_OPEN);
}

/* the packet's stored commitment on a: present (not acked or timed out) */
static bool committed(hchain *c, const uint8_t *pkt, size_t len)
{
    cw_dec d;
    cw_packet p;
    char key[CW_PATH_MAX];
    uint8_t *v, *pr;
    size_t vl, pl;
    h_packet(pkt, len, &p, &d);
    cw_path_packet(key, CW_PATH_COMMITMENTS, p.source_port, p.source_channel, p.sequence);
    cw_dec_close(&d);
    h_query(c, key, 0, &v, &vl, &pr, &pl);
    bool found = v != NULL;
    free(v), free(pr);
    return found;
}

/* A timeout's packet must be the one committed on the channel: one naming another
 * destination than the channel's counterparty is refused before any proof, and the packet
 * stays committed (not refunded). */
static void test_timeout_of_a_packet_to_another_destination_refused(void **state)
{
    world *w = *state;
    char log[256];
    size_t len;
    uint64_t th = h_height(&w->b) + 3;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "elsewhere", th, 0, &len, NULL);
    uint64_t seq = seq_of(pkt, len), timeouts = counter(&w->a, "timeout", seq);
    while (h_height(&w->b) < th)
        h_block(&w->b);
    cw_dec d;
    cw_packet p;
    h_packet(pkt, len, &p, &d);
    h_id(p.dest_channel, "channel-77");
    cw_enc e;
    cw_enc_init(&e);
    cw_packet_enc(&e, &p);
    EXPECT_LOG(relay_timeout(&w->a, &w->b, w->client_a, cw_enc_data(&e), cw_enc_len(&e), 0, log),
               CW_EINVAL, log, "packet destination test/channel-77 is not the channel's "
                               "counterparty");
    assert_true(committed(&w->a, pkt, len));
    assert_int_equal(counter(&w->a, "timeout", seq), timeouts); /* the app was not called */
    /* the packet as sent times out */
    assert_int_equal(relay_timeout(&w->a, &w->b, w->client_a, pkt, len, 0, log), CW_OK);
    assert_false(committed(&w->a, pkt, len));
    assert_int_equal(counter(&w->a, "timeout", seq), timeouts + 1);
    cw_enc_free(&e);
    cw_dec_close(&d);
    free(pkt);
}

/* TimeoutOnClose needs a proof that the counterparty's end is CLOSED: a proof of its OPEN
 * end is refused and the packet stays committed. */
static void test_timeout_on_close_refuses_a_proof_of_an_open_end(void **state)
{
    world *w = *state;
    char log[256], key[CW_PATH_MAX];
    size_t len;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "open", 0, h_clock + 3600 * H_BLOCK_NS, &len,
                            NULL);
    cw_dec d;
    cw_packet pk;
    h_packet(pkt, len, &pk, &d);
    uint64_t timeouts = counter(&w->a, "timeout", pk.sequence);
    uint8_t *v, *p, *v2, *p2;
    size_t vl, pl, vl2, pl2;
    cw_path_packet(key, CW_PATH_RECEIPTS, pk.dest_port, pk.dest_channel, pk.sequence);
    uint64_t h = prove(&w->b, &w->a, w->client_a, key, &v, &vl, &p, &pl);
    cw_path_channel_end(key, "test", w->chan_b);
    h_query(&w->b, key, h, &v2, &vl2, &p2, &pl2);
    assert_non_null(v2); /* b's end exists, OPEN */
    cw_msg_timeout_on_close mto = {.packet = pk, .proof_unreceived = h_bytes(p, pl),
                                   .proof_close = h_bytes(p2, pl2), .proof_height = h};
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_timeout_on_close_enc(&m, &mto);
    EXPECT_LOG(tx1(&w->a, &m, log), CW_EBADPROOF, log, w->chan_b);
    assert_true(committed(&w->a, pkt, len));
    assert_int_equal(counter(&w->a, "timeout", pk.sequence), timeouts);
    cw_dec_close(&d);
    free(v), free(p), free(v2), free(p2), free(pkt);
}

/* On an ORDERED channel a timeout proves nextSequenceRecv: a packet b received (next 2)
 * claimed unreceived with next_sequence_recv 1 does not match the proven value and is
 * refused, the channel left OPEN and the packet committed. */
static void test_ordered_timeout_refuses_a_forged_next_sequence_recv(void **state)
{
    world *w = *state;
    char log[256], key[CW_PATH_MAX];
    size_t len;
    cw_channel_end ce;
    h_open_channel(w, "test", "test-1", CW_ORDER_ORDERED);
    uint64_t th = h_height(&w->b) + 4;
    uint8_t *pkt = send_pkt(w, &w->a, w->chan_a, "got", th, 0, &len, NULL);
    assert_int_equal(relay_recv(&w->a, &w->b, w->client_b, pkt, len, log), CW_OK);
    while (h_height(&w->b) < th)
        h_block(&w->b);
    cw_dec d;
    cw_packet p;
    h_packet(pkt, len, &p, &d);
    uint8_t *v, *pr;
    size_t vl, pl;
    cw_path_next_seq(key, CW_PATH_NEXT_SEQ_RECV, p.dest_port, p.dest_channel);
    uint64_t h = prove(&w->b, &w->a, w->client_a, key, &v, &vl, &pr, &pl);
    uint64_t next_recv;
    assert_int_equal(cw_val_be64_dec(&next_recv, v, vl, NULL, 0), CW_OK);
    assert_int_equal(next_recv, p.sequence + 1);
    cw_msg_timeout mt = {.packet = p, .proof_unreceived = h_bytes(pr, pl), .proof_height = h,
                         .next_sequence_recv = p.sequence};
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_timeout_enc(&m, &mt);
    EXPECT_LOG(tx1(&w->a, &m, log), CW_EBADPROOF, log, "nextSequenceRecv");
    assert_true(committed(&w->a, pkt, len));
    assert_true(end_of(&w->a, "test", w->chan_a, &ce));
    assert_int_equal(ce.state, CW_CHAN_OPEN);
    cw_dec_close(&d);
    free(v), free(pr), free(pkt);
}

/* A header's verification is paid for before it runs: an update whose tx has gas for
 * everything but the header's signature checks fails out of gas naming them, and the
 * client does not move. */
static void test_update_without_gas_for_the_header_refused(void **state)
{
    world *w = *state;
    char log[256];
    cw_lc_client_state before, after;
    h_client_state(&w->a, w->client_a, &before);
    h_block(&w->b);
    cw_enc m;
    uint32_t n_sigs;
    h_msg_update_client(&m, &w->a, &w->b, w->client_a, h_height(&w->b), &n_sigs);
    cw_bytes msg = {cw_enc_data(&m), cw_enc_len(&m)};
    /* the tx's intrinsic gas (the signed tx is at most ~300 bytes over the msg) and the
     * client's reads, but under one signature check per commit entry */
    uint64_t sigs = (uint64_t)n_sigs * CW_GAS_SIG;
    uint64_t limit = cw_gas_tx_intrinsic(msg.len + 300, 1) + 10000;
    assert_true(sigs > 10000);
    EXPECT_LOG(h_tx_gas(&w->a, K_RELAYER, &msg, 1, limit, log, sizeof log), CW_EOUTOFGAS, log,
               "out of gas: verifying a header (signatures and hashes)");
    h_client_state(&w->a, w->client_a, &after);
    assert_memory_equal(&before, &after, sizeof before);
    cw_enc_free(&m);
}

/* Each handshake refusal names its rule, and refuses before anything is proven where the
 * rule needs no proof: no app on the port; an app's open rules (ordering, version,
 * counterparty port); ACK/CONFIRM on an end in the wrong state; a second CLOSE; and, at TRY
 * after the counterparty's INIT end is proven, a counterparty client state that tracks
 * another chain, is frozen, or claims a height this chain has not reached. Runs last: it
 * opens (and closes) a channel of its own. */
static void expect_refused(hchain *c, cw_enc *m, int want, const char *phrase)
{
    char log[256];
    int rc = tx1(c, m, log);
    if (rc != want || !strstr(log, phrase))
        fail_msg("got %d \"%s\", want %d with \"%s\"", rc, log, want, phrase);
}

static void test_handshake_refusals_name_their_rule(void **state)
{
    world *w = *state;
    cw_enc m;
    static const uint8_t none[1];
    cw_bytes empty = {none, 0};

    h_msg_open_init(&m, "nosuch", CW_ORDER_UNORDERED, w->client_a, w->client_b, "x");
    expect_refused(&w->a, &m, CW_ENOTFOUND, "no app bound");
    h_msg_open_try(&m, "nosuch", CW_ORDER_UNORDERED, "channel-0", w->client_b, w->client_a,
                   "x", empty, empty, empty, empty, 1);
    expect_refused(&w->b, &m, CW_ENOTFOUND, "no app bound");

    /* an app with open rules: UNORDERED only, version r-1, paired with itself */
    static const cw_ibc_open_rules rules = {.port = "ruled", .version = "r-1",
                                            .ordered_ok = false, .unordered_ok = true};
    cw_ibc_app app = test_app_on("ruled", &rules);
    assert_int_equal(cw_ibc_bind(cw_node_ibc(w->a.node), &app), CW_OK);
    h_msg_open_init(&m, "ruled", CW_ORDER_ORDERED, w->client_a, w->client_b, "r-1");
    expect_refused(&w->a, &m, CW_EINVAL, "ruled channels must be UNORDERED");
    h_msg_open_init(&m, "ruled", CW_ORDER_UNORDERED, w->client_a, w->client_b, "r-2");
    expect_refused(&w->a, &m, CW_EINVAL, "need version r-1, got r-2");
    cw_msg_chan_open_init mi = {.ordering = CW_ORDER_UNORDERED};
    h_id(mi.port, "ruled");
    h_id(mi.counterparty_port, "test");
    h_id(mi.client_id, w->client_a);
    h_id(mi.counterparty_client_id, w->client_b);
    h_id(mi.version, "r-1");
    cw_enc_init(&m);
    cw_msg_chan_open_init_enc(&m, &mi);
    expect_refused(&w->a, &m, CW_EINVAL, "counterparty port must be ruled");

    /* an OPEN channel: ACK wants INIT, CONFIRM wants TRYOPEN */
    h_open_channel(w, "test", "test-1", CW_ORDER_UNORDERED);
    cw_msg_chan_open_ack ma = {.proof_try = empty, .counterparty_client_state = empty,
                               .proof_client = empty, .proof_consensus = empty,
                               .proof_height = 1};
    h_id(ma.port, "test");
    h_id(ma.channel, w->chan_a);
    h_id(ma.counterparty_channel, w->chan_b);
    h_id(ma.counterparty_version, "test-1");
    cw_enc_init(&m);
    cw_msg_chan_open_ack_enc(&m, &ma);
    expect_refused(&w->a, &m, CW_ESTATE, "expected INIT");
    cw_msg_chan_open_confirm mc = {.proof_ack = empty, .proof_height = 1};
    h_id(mc.port, "test");
    h_id(mc.channel, w->chan_b);
    cw_enc_init(&m);
    cw_msg_chan_open_confirm_enc(&m, &mc);
    expect_refused(&w->b, &m, CW_ESTATE, "expected TRYOPEN");

    /* a real INIT end on a, proven to b; the client state the relayer supplies is forged */
    char chan[65], key[CW_PATH_MAX];
    snprintf(chan, sizeof chan, "channel-%d", w->next_chan_a++);
    h_msg_open_init(&m, "test", CW_ORDER_UNORDERED, w->client_a, w->client_b, "test-1");
    expect_refused(&w->a, &m, CW_OK, "");
    cw_path_channel_end(key, "test", chan);
    uint8_t *v, *p, *cv, *cp, *xv, *xp;
    size_t vl, pl, cvl, cpl, xvl, xpl;
    uint64_t h = prove(&w->a, &w->b, w->client_b, key, &v, &vl, &p, &pl);
    client_proofs(&w->a, w->client_a, h, &cv, &cvl, &cp, &cpl, &xv, &xvl, &xp, &xpl);
    /* ... and, the end proven, client-state bytes that do not decode, a client state at
     * height 0 (no consensus state of this chain there), and one whose proof does not hold
     * (its trusting period changed) */
    cw_channel_end no_end;
    char next_b[65];
    snprintf(next_b, sizeof next_b, "channel-%d", w->next_chan_b);
    for (int k = 0; k < 6; k++) {
        cw_lc_client_state cs;
        assert_int_equal(cw_lc_client_state_decode(&cs, cv, cvl, NULL, 0), CW_OK);
        if (k == 0)
            h_id(cs.chain_id, "gamma");
        else if (k == 1)
            cs.frozen_height = 1;
        else if (k == 2)
            cs.latest_height = h_height(&w->b) + 100;
        else if (k == 4)
            cs.latest_height = 0;
        else if (k == 5)
            cs.trusting_period_ns += 1;
        cw_enc ce;
        cw_enc_init(&ce);
        cw_lc_client_state_enc(&ce, &cs);
        cw_bytes csb = h_bytes(cw_enc_data(&ce), cw_enc_len(&ce));
        if (k == 3)
            csb = h_bytes(cv, cvl - 1); /* truncated */
        h_msg_open_try(&m, "test", CW_ORDER_UNORDERED, chan, w->client_b, w->client_a, "test-1",
                       h_bytes(p, pl), csb, h_bytes(cp, cpl), h_bytes(xp, xpl), h);
        static const int want[6] = {CW_EINVAL,     CW_EFROZEN,   CW_EINVAL,
                                    CW_EMALFORMED, CW_ENOTFOUND, CW_EBADPROOF};
        static const char *const what[6] = {"tracks chain 'gamma'", "is frozen", "claims height",
                                            "counterparty client state",
                                            "own consensus state at 0",
                                            "/clientState"};
        expect_refused(&w->b, &m, want[k], what[k]);
        assert_false(end_of(&w->b, "test", next_b, &no_end)); /* no TRYOPEN end */
        cw_enc_free(&ce);
    }
    /* ACK of the INIT end with a proof of b's OPEN end (w->chan_b) claimed as a TRYOPEN end
     * answering it: refused, the end stays INIT (checked below) */
    {
        char bkey[CW_PATH_MAX];
        uint8_t *bv, *bp;
        size_t bvl, bpl;
        cw_path_channel_end(bkey, "test", w->chan_b);
        uint64_t hb = prove(&w->b, &w->a, w->client_a, bkey, &bv, &bvl, &bp, &bpl);
        cw_msg_chan_open_ack fa = ma;
        fa.proof_try = h_bytes(bp, bpl);
        fa.proof_height = hb;
        h_id(fa.channel, chan);
        h_id(fa.counterparty_channel, w->chan_b);
        cw_enc_init(&m);
        cw_msg_chan_open_ack_enc(&m, &fa);
        expect_refused(&w->a, &m, CW_EBADPROOF, w->chan_b);
        free(bv), free(bp);
    }
    free(v), free(p), free(cv), free(cp), free(xv), free(xp);

    /* handshake steps naming a channel that does not exist; CLOSE_CONFIRM of an INIT end */
    h_id(ma.channel, "channel-999");
    cw_enc_init(&m);
    cw_msg_chan_open_ack_enc(&m, &ma);
    expect_refused(&w->a, &m, CW_ENOTFOUND, "not found");
    h_id(mc.channel, "channel-999");
    cw_enc_init(&m);
    cw_msg_chan_open_confirm_enc(&m, &mc);
    expect_refused(&w->b, &m, CW_ENOTFOUND, "not found");
    h_msg_close_init(&m, "test", "channel-999");
    expect_refused(&w->a, &m, CW_ENOTFOUND, "not found");
    cw_msg_chan_close_confirm mcc = {.proof_init = empty, .proof_height = 1};
    h_id(mcc.port, "test");
    h_id(mcc.channel, chan);
    cw_enc_init(&m);
    cw_msg_chan_close_confirm_enc(&m, &mcc);
    expect_refused(&w->a, &m, CW_ESTATE, "counterparty unknown (INIT)");

    /* CLOSE of an INIT end is refused: it has no counterparty channel, and a CLOSED end
     * without one is not a valid ChannelEnd (found here: the end was stored CLOSED with ""
     * and every later read of it failed to decode) */
    h_msg_close_init(&m, "test", chan);
    expect_refused(&w->a, &m, CW_ESTATE, "in INIT");
    uint8_t *ev, *ep;
    size_t evl, epl;
    h_query(&w->a, key, 0, &ev, &evl, &ep, &epl);
    cw_channel_end end;
    assert_non_null(ev);
    assert_int_equal(cw_channel_end_decode(&end, ev, evl, NULL, 0), CW_OK);
    assert_int_equal(end.state, CW_CHAN_INIT);
    free(ev), free(ep);
    /* CLOSE of the OPEN end, then again; a packet b sent before is not received on the
     * closed end, and a cannot send on it */
    size_t lb, la;
    uint8_t *pb = send_pkt(w, &w->b, w->chan_b, "late", 0, h_clock + 3600 * H_BLOCK_NS, &lb,
                           NULL);
    assert_non_null(pb);
    /* acks that name the wrong packet or carry no ack are refused on the sender's side */
    uint8_t *pa = send_pkt(w, &w->a, w->chan_a, "pa", 0, h_clock + 3600 * H_BLOCK_NS, &la,
                           NULL);
    assert_non_null(pa);
    cw_enc okack;
    cw_enc_init(&okack);
    cw_ack_enc_ok(&okack, (const uint8_t *)"done", 4);
    char alog[256];
    static const int ack_want[3] = {CW_ENOTFOUND, CW_EINVAL, CW_ENOTFOUND};
    static const char *const ack_why[3] = {"no app bound", "is not the channel's counterparty",
                                           "not found"};
    for (int k = 0; k < 3; k++) {
        cw_dec d;
        cw_packet pk;
        h_packet(pa, la, &pk, &d);
        if (k == 0)
            h_id(pk.source_port, "nosuch");
        else if (k == 1)
            h_id(pk.dest_channel, "channel-77");
        else
            h_id(pk.source_channel, "channel-999");
        cw_enc e;
        cw_enc_init(&e);
        cw_packet_enc(&e, &pk);
        int rc = relay_ack(&w->a, &w->b, w->client_a, cw_enc_data(&e), cw_enc_len(&e),
                           cw_enc_data(&okack), cw_enc_len(&okack), alog);
        assert_int_equal(rc, ack_want[k]);
        assert_non_null(strstr(alog, ack_why[k]));
        if (k == 2) { /* nor is the packet received on a channel that does not exist */
            h_id(pk.source_channel, w->chan_a);
            h_id(pk.dest_channel, "channel-999");
            cw_enc_free(&e);
            cw_enc_init(&e);
            cw_packet_enc(&e, &pk);
            rc = relay_recv(&w->a, &w->b, w->client_b, cw_enc_data(&e), cw_enc_len(&e), alog);
            assert_int_equal(rc, CW_ENOTFOUND);
            assert_non_null(strstr(alog, "not found"));
        }
        cw_enc_free(&e);
        cw_dec_close(&d);
    }
    static const uint8_t not_an_ack[1] = {0xc0};
    assert_int_not_equal(relay_ack(&w->a, &w->b, w->client_a, pa, la, not_an_ack, 1, alog),
                         CW_OK);
    h_msg_close_init(&m, "test", w->chan_a);
    expect_refused(&w->a, &m, CW_OK, "");
    char rlog[256];
    assert_int_equal(relay_recv(&w->b, &w->a, w->client_a, pb, lb, rlog), CW_ESTATE);
    assert_non_null(strstr(rlog, "is not OPEN"));
    free(pb);
    int src;
    assert_null(send_pkt(w, &w->a, w->chan_a, "x", 0, h_clock + 3600 * H_BLOCK_NS, &lb, &src));
    assert_int_equal(src, CW_ESTATE);
    /* nor is an ack of a's packet on its CLOSED end */
    assert_int_equal(relay_ack(&w->a, &w->b, w->client_a, pa, la, cw_enc_data(&okack),
                               cw_enc_len(&okack), alog), CW_ESTATE);
    assert_non_null(strstr(alog, "is not OPEN"));
    cw_enc_free(&okack);
    free(pa);
    h_msg_close_init(&m, "test", w->chan_a);
    expect_refused(&w->a, &m, CW_ESTATE, "already CLOSED");
}

/* ibc.create_client refuses a state that cannot be trusted (height 0, frozen, or already
 * expired); ibc.update_client names an unknown client; ibc.submit_misbehaviour (as a msg,
 * through the chain) freezes the client with two validly signed headers of b at one
 * height, and the client then refuses updates. Runs last: it freezes a's client of b. */
static void test_client_msgs_refuse_untrustable_states_and_misbehaviour_freezes(void **state)
{
    world *w = *state;
    cw_enc m;
    cw_light_block lb;
    h_light_block(&w->b, h_height(&w->b), &lb);
    cw_header hdr = lb.signed_header.header;
    cw_bytes msg;
    char log[256];

    /* create_client: latest height 0; frozen; a consensus state already expired */
    cw_msg_create_client mc;
    for (int k = 0; k < 3; k++) {
        memset(&mc, 0, sizeof mc);
        strcpy(mc.client_type, CW_CLIENT_TYPE_BIP340);
        assert_int_equal(cw_lc_client_state_default(&mc.client_state, hdr.chain_id), CW_OK);
        mc.client_state.latest_height = k == 0 ? 0 : hdr.height;
        mc.client_state.frozen_height = k == 1 ? 1 : 0;
        cw_lc_consensus_state_of(&mc.consensus_state, &hdr);
        if (k == 2)
            mc.consensus_state.timestamp_ns = 1;
        cw_enc_init(&m);
        cw_msg_create_client_enc(&m, &mc);
        msg = (cw_bytes){cw_enc_data(&m), cw_enc_len(&m)};
        int rc = h_tx(&w->a, K_RELAYER, &msg, 1, log, sizeof log);
        cw_enc_free(&m);
        assert_int_equal(rc, k == 2 ? CW_EEXPIRED : CW_EINVAL);
        assert_non_null(strstr(log, k == 2 ? "already outside the trusting period"
                                           : "latest_height must be > 0 and frozen_height 0"));
    }

    /* update_client of a client that does not exist */
    cw_msg_update_client mu;
    memset(&mu, 0, sizeof mu);
    h_id(mu.client_id, "client-99");
    mu.update.signed_header = lb.signed_header;
    mu.update.validator_set = lb.validator_set;
    mu.update.trusted_height = 1;
    cw_enc_init(&m);
    cw_msg_update_client_enc(&m, &mu);
    assert_int_equal(tx1(&w->a, &m, log), CW_ENOTFOUND);
    assert_non_null(strstr(log, "client client-99: not found"));
    cw_light_block_free(&lb);

    /* misbehaviour: b's block x and a fork of it (one ns later), both signed by b's set;
     * then a's channel through the frozen client sends nothing */
    h_open_channel(w, "test", "test-1", CW_ORDER_UNORDERED);
    cw_lc_client_state cs;
    h_client_state(&w->a, w->client_a, &cs);
    h_block(&w->b);
    uint64_t x = h_height(&w->b);
    cw_light_block real, fork, trusted;
    h_light_block(&w->b, x, &real);
    h_light_block(&w->b, x, &fork);
    h_light_block(&w->b, cs.latest_height, &trusted);
    cw_seckey keys[8];
    const cw_validator_set *vs = &fork.validator_set;
    assert_true(vs->n <= 8);
    for (uint32_t i = 0; i < vs->n; i++) {
        bool found = false;
        for (unsigned v = 0; v < 8 && !found; v++) {
            char path[160], err[256];
            cw_seckey sk;
            cw_pubkey32 pk;
            snprintf(path, sizeof path, "%s/keys/validator-%u.json", w->b.home, v);
            if (cw_keyfile_read(path, &sk, &pk, err, sizeof err) != CW_OK)
                continue;
            if (memcmp(pk.b, vs->v[i].pubkey.b, 32) == 0) {
                keys[i] = sk;
                found = true;
            }
        }
        assert_true(found);
    }
    fork.signed_header.header.time_ns += 1;
    cw_commit_free(&fork.signed_header.commit);
    char err[256];
    assert_int_equal(cw_commit_sign(&fork.signed_header.commit, &fork.signed_header.header, vs,
                                     keys, NULL, NULL, err, sizeof err), CW_OK);
    cw_msg_submit_misbehaviour mm;
    memset(&mm, 0, sizeof mm);
    h_id(mm.client_id, w->client_a);
    cw_update_header *hs[2] = {&mm.header1, &mm.header2};
    cw_light_block *lbs[2] = {&real, &fork};
    for (int k = 0; k < 2; k++) {
        hs[k]->signed_header = lbs[k]->signed_header;
        hs[k]->validator_set = lbs[k]->validator_set;
        hs[k]->trusted_height = cs.latest_height;
        hs[k]->has_trusted_validator_set = true;
        hs[k]->trusted_validator_set = trusted.next_validator_set;
    }
    cw_enc_init(&m);
    cw_msg_submit_misbehaviour_enc(&m, &mm);
    assert_int_equal(m.rc, CW_OK);
    if (tx1(&w->a, &m, log))
        fail_msg("submit_misbehaviour: %s", log);
    uint64_t ha = h_height(&w->a);
    assert_int_equal(h_events(&w->a, ha, CW_EV_CLIENT_MISBEHAVIOUR, NULL, NULL, NULL, NULL, 8),
                     1);
    cw_lc_client_state after;
    h_client_state(&w->a, w->client_a, &after);
    assert_int_equal(after.frozen_height, x);
    h_block(&w->b);
    assert_int_equal(h_update_client(&w->a, &w->b, w->client_a, 0), CW_EFROZEN);
    size_t pl;
    int src;
    assert_null(send_pkt(w, &w->a, w->chan_a, "x", 0, h_clock + 3600 * H_BLOCK_NS, &pl, &src));
    assert_int_equal(src, CW_EFROZEN);
    cw_wipe(keys, sizeof keys);
    cw_light_block_free(&real);
    cw_light_block_free(&fork);
    cw_light_block_free(&trusted);
}

int main(void)
{
    /* thousands of blocks: skip the per-block fsync (durability is test_node's subject) */
    setenv("CW_LMDB_NOSYNC", "1", 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_delivered_acked_and_replays_are_noops),
        cmocka_unit_test(test_relayer_queries_follow_the_packet_lifecycle),
        cmocka_unit_test(test_error_ack_discards_app_writes_and_events),
        cmocka_unit_test(test_receive_at_or_after_timeout_refused),
        cmocka_unit_test(test_timeout_refunds_once_and_refuses_early_or_received),
        cmocka_unit_test(test_timeout_while_receipt_exists_refused),
        cmocka_unit_test(test_timeout_judged_on_counterparty_consensus_time_not_local_clock),
        cmocka_unit_test(test_mismatched_commitment_bytes_refused),
        cmocka_unit_test(test_packet_to_unbound_or_privileged_port_refused),
        cmocka_unit_test(test_send_refused_when_already_timed_out_or_channel_closed),
        cmocka_unit_test(test_ordered_channel_gap_refused_and_timeout_closes),
        cmocka_unit_test(test_channel_try_naming_a_client_of_a_fake_chain_refused),
        cmocka_unit_test(test_recover_expired_client_admin_only),
        cmocka_unit_test(test_close_handshake_and_timeout_on_close),
        cmocka_unit_test(test_largest_echo_packet_acked_and_one_byte_more_refused_at_send),
        cmocka_unit_test(
            test_duplicate_update_is_an_unverified_noop_and_a_bad_fork_freezes_nothing),
        cmocka_unit_test(test_consensus_store_bounded_by_pruning_over_many_buckets),
        cmocka_unit_test(test_update_pays_for_every_validator_key_it_makes_the_chain_lift),
        cmocka_unit_test(test_recover_refusals_name_their_rule),
        cmocka_unit_test(test_ordered_channel_acks_in_order_and_redundant_receives),
        cmocka_unit_test(test_app_callback_refusal_stops_each_handshake_step),
        cmocka_unit_test(test_ack_refuses_a_counterparty_version_the_app_does_not_speak),
        cmocka_unit_test(test_confirm_refuses_a_proof_of_the_counterparty_in_another_state),
        cmocka_unit_test(test_timeout_of_a_packet_to_another_destination_refused),
        cmocka_unit_test(test_timeout_on_close_refuses_a_proof_of_an_open_end),
        cmocka_unit_test(test_ordered_timeout_refuses_a_forged_next_sequence_recv),
        cmocka_unit_test(test_update_without_gas_for_the_header_refused),
        cmocka_unit_test(test_handshake_refusals_name_their_rule),
        cmocka_unit_test(test_client_msgs_refuse_untrustable_states_and_misbehaviour_freezes),
    };
    return cmocka_run_group_tests_name("ibc", tests, setup, teardown);
}
