/* RPC server runtime + synchronous client, in process: the server runs its loop on a second
 * thread (cw_rpc_server_run); the test thread drives clients. Everything the server does is
 * triggered through RPC methods, so all server calls happen on the server thread. No
 * sleeps: every wait is a client call or next_* with a timeout (generous; never asserted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "causeway/log.h"
#include "causeway/rpc_client.h"
#include "causeway/rpc_server.h"
#include "../testutil.h"

#define T_MS 10000 /* generous per-operation timeout; never asserted */
#define MAX_FRAME (64u << 10)

struct fx {
    cw_rpc_server *srv;
    pthread_t th;
    volatile sig_atomic_t stop;
    char url[64];
    uint64_t seq;
    /* for the "block" method */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool release;
};

/* ---- helpers --------------------------------------------------------------------------- */

static uint8_t *enc_params(size_t *len, const char *fmt, ...)
{
    /* fmt: s = str, u = u64, b = bin of N zero bytes (size_t) */
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, (uint32_t)strlen(fmt));
    va_list ap;
    va_start(ap, fmt);
    for (const char *c = fmt; *c; c++) {
        if (*c == 's') {
            cw_enc_cstr(&e, va_arg(ap, const char *));
        } else if (*c == 'u') {
            cw_enc_u64(&e, va_arg(ap, uint64_t));
        } else {
            size_t n = va_arg(ap, size_t);
            uint8_t *z = calloc(1, n ? n : 1);
            assert_non_null(z);
            cw_enc_bin(&e, z, n);
            free(z);
        }
    }
    va_end(ap);
    uint8_t *p = cw_enc_release(&e, len);
    assert_non_null(p);
    return p;
}

static cw_rpc_client *connect_ok(struct fx *fx)
{
    cw_rpc_client *cl = NULL;
    char err[256];
    int rc = cw_rpc_client_connect(&cl, fx->url, T_MS, err, sizeof err);
    if (rc != CW_OK)
        fail_msg("connect %s: %d %s", fx->url, rc, err);
    return cl;
}

static uint64_t call_u64(cw_rpc_client *cl, const char *method, const uint8_t *p, size_t n)
{
    uint8_t *res;
    size_t len;
    char err[256];
    int rc = cw_rpc_call(cl, method, p, n, &res, &len, T_MS, err, sizeof err);
    if (rc != CW_OK)
        fail_msg("%s: %d %s", method, rc, err);
    cw_dec d;
    const msgpack_object *o;
    assert_int_equal(cw_dec_open(&d, &o, res, len, len, err, sizeof err), CW_OK);
    uint64_t v = cw_dec_u64(&d, o, "result");
    assert_int_equal(d.rc, CW_OK);
    cw_dec_close(&d);
    free(res);
    return v;
}

/* stats via the server thread: [dropped, rejected, open, errors, evicted, refused_per_peer,
 * timed_out] */
enum { N_STATS = 7, ST_OPEN = 2, ST_EVICTED = 4, ST_REFUSED_PEER = 5, ST_TIMED_OUT = 6 };
static void get_stats(cw_rpc_client *cl, uint64_t out[N_STATS])
{
    uint8_t *res;
    size_t len;
    char err[256];
    assert_int_equal(cw_rpc_call(cl, "stats", NULL, 0, &res, &len, T_MS, err, sizeof err), CW_OK);
    cw_dec d;
    const msgpack_object *o;
    assert_int_equal(cw_dec_open(&d, &o, res, len, len, err, sizeof err), CW_OK);
    const msgpack_object *f = cw_dec_array(&d, o, N_STATS, "stats");
    for (int i = 0; i < N_STATS; i++)
        out[i] = cw_dec_u64(&d, &f[i], "stats[%d]", i);
    assert_int_equal(d.rc, CW_OK);
    cw_dec_close(&d);
    free(res);
}

/* ---- methods (run on the server thread) ----------------------------------------------- */

static int m_echo(void *user, const msgpack_object *params, cw_enc *result, char *err,
                  size_t err_len)
{
    (void)user, (void)err, (void)err_len;
    return cw_rpc_encode_object(result, params);
}

static int m_fail(void *user, const msgpack_object *params, cw_enc *result, char *err,
                  size_t err_len)
{
    (void)user, (void)params, (void)result;
    return cw_errf(err, err_len, CW_EINSUFFICIENT, "balance 5 < amount 7");
}

static int m_nothing(void *user, const msgpack_object *params, cw_enc *result, char *err,
                     size_t err_len)
{
    (void)user, (void)params, (void)result, (void)err, (void)err_len;
    return CW_OK; /* breaks the contract: no result object */
}

/* pub [topic, count, size] → publishes count payloads [seq, bin(size)]; returns count */
static int m_pub(void *user, const msgpack_object *params, cw_enc *result, char *err,
                 size_t err_len)
{
    struct fx *fx = user;
    cw_dec d = {.rc = CW_OK, .err = err, .err_len = err_len};
    const msgpack_object *f = cw_dec_array(&d, params, 3, "params");
    char topic[65];
    cw_dec_id(&d, &f[0], topic, "topic");
    uint64_t count = cw_dec_u64(&d, &f[1], "count");
    uint64_t size = cw_dec_uint_max(&d, &f[2], 1 << 20, "size");
    if (d.rc)
        return d.rc;
    uint8_t *zero = calloc(1, size + 1);
    if (!zero)
        return -ENOMEM;
    for (uint64_t i = 0; i < count; i++) {
        cw_enc e;
        cw_enc_init(&e);
        cw_enc_array(&e, 2);
        cw_enc_u64(&e, fx->seq++);
        cw_enc_bin(&e, zero, size);
        int rc = cw_rpc_server_publish(fx->srv, topic, cw_enc_data(&e), cw_enc_len(&e));
        cw_enc_free(&e);
        if (rc) {
            free(zero);
            return cw_errf(err, err_len, rc, "publish: %s", cw_strerror(rc));
        }
    }
    free(zero);
    cw_enc_u64(result, count);
    return CW_OK;
}

static int m_stats(void *user, const msgpack_object *params, cw_enc *result, char *err,
                   size_t err_len)
{
    struct fx *fx = user;
    (void)params, (void)err, (void)err_len;
    cw_rpc_server_stats s;
    cw_rpc_server_get_stats(fx->srv, &s);
    cw_enc_array(result, N_STATS);
    cw_enc_u64(result, s.subscribers_dropped);
    cw_enc_u64(result, s.frames_rejected);
    cw_enc_u64(result, s.connections_open);
    cw_enc_u64(result, s.errors_total);
    cw_enc_u64(result, s.sessions_evicted);
    cw_enc_u64(result, s.sessions_refused_per_peer);
    cw_enc_u64(result, s.sessions_timed_out);
    return CW_OK;
}

static void tick(cw_rpc_server *srv, void *user)
{
    struct fx *fx = user;
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_u64(&e, fx->seq++);
    if (cw_rpc_server_publish(srv, "ticks", cw_enc_data(&e), cw_enc_len(&e)) != CW_OK)
        cw_log(CW_LOG_ERROR, "test: publish from a timer failed"); /* not on the test thread */
    cw_enc_free(&e);
}

static int m_later(void *user, const msgpack_object *params, cw_enc *result, char *err,
                   size_t err_len)
{
    struct fx *fx = user;
    (void)params, (void)err, (void)err_len;
    int rc = cw_rpc_server_schedule(fx->srv, 1, tick, fx);
    if (rc == CW_OK)
        cw_enc_nil(result);
    return rc;
}

/* Blocks the server thread until the test releases it (for the call-timeout test only). */
static int m_block(void *user, const msgpack_object *params, cw_enc *result, char *err,
                   size_t err_len)
{
    struct fx *fx = user;
    (void)params, (void)err, (void)err_len;
    pthread_mutex_lock(&fx->mu);
    while (!fx->release)
        pthread_cond_wait(&fx->cv, &fx->mu);
    pthread_mutex_unlock(&fx->mu);
    cw_enc_cstr(result, "late");
    return CW_OK;
}

static int status_json(void *user, cw_rpc_text *out)
{
    (void)user;
    return cw_rpc_text_appendf(out, "{\"chain_id\":\"alpha\",\"height\":%d}", 5);
}

static int metrics_text(void *user, cw_rpc_text *out)
{
    (void)user;
    return cw_rpc_text_appendf(out, "# HELP cw_chain_height Latest block height.\n"
                                    "# TYPE cw_chain_height gauge\n"
                                    "cw_chain_height 5\n");
}

static void *server_main(void *arg)
{
    struct fx *fx = arg;
    int rc = cw_rpc_server_run(fx->srv, &fx->stop);
    return (void *)(intptr_t)rc;
}

static uint32_t g_max_connections; /* 0: the default */
static uint32_t g_per_peer;        /* 0: the default */
static uint32_t g_idle_s;          /* 0: the default */
static uint32_t g_handshake_s;     /* 0: the default */

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    pthread_mutex_init(&fx->mu, NULL);
    pthread_cond_init(&fx->cv, NULL);
    cw_rpc_server_config cfg = {
        .listen_addr = "127.0.0.1",
        .port = 0,
        .max_frame = MAX_FRAME,
        .max_queue_frames = 16,
        .max_queue_bytes = 256u << 10,
        .max_connections = g_max_connections,
        .max_sessions_per_peer = g_per_peer,
        .idle_timeout_s = g_idle_s,
        .handshake_timeout_s = g_handshake_s,
        .status_cb = status_json,
        .metrics_cb = metrics_text,
    };
    char err[256];
    int rc = cw_rpc_server_create(&fx->srv, &cfg, err, sizeof err);
    if (rc != CW_OK)
        fail_msg("server: %d %s", rc, err);
    assert_int_equal(cw_rpc_server_register(fx->srv, "echo", m_echo, fx), CW_OK);
    assert_int_equal(cw_rpc_server_register(fx->srv, "fail", m_fail, fx), CW_OK);
    assert_int_equal(cw_rpc_server_register(fx->srv, "nothing", m_nothing, fx), CW_OK);
    assert_int_equal(cw_rpc_server_register(fx->srv, "pub", m_pub, fx), CW_OK);
    assert_int_equal(cw_rpc_server_register(fx->srv, "stats", m_stats, fx), CW_OK);
    assert_int_equal(cw_rpc_server_register(fx->srv, "later", m_later, fx), CW_OK);
    assert_int_equal(cw_rpc_server_register(fx->srv, "block", m_block, fx), CW_OK);
    assert_int_equal(cw_rpc_server_register(fx->srv, "echo", m_echo, fx), CW_EEXISTS);
    assert_int_equal(cw_rpc_server_register(fx->srv, "subscribe", m_echo, fx), CW_EINVAL);
    assert_int_equal(cw_rpc_server_register(fx->srv, "a/b", m_echo, fx), CW_EINVAL);
    assert_int_equal(cw_rpc_server_add_topic(fx->srv, "blocks"), CW_OK);
    assert_int_equal(cw_rpc_server_add_topic(fx->srv, "ticks"), CW_OK);
    assert_int_equal(cw_rpc_server_add_topic(fx->srv, "blocks"), CW_EEXISTS);
    snprintf(fx->url, sizeof fx->url, "ws://127.0.0.1:%d", cw_rpc_server_port(fx->srv));
    assert_int_equal(pthread_create(&fx->th, NULL, server_main, fx), 0);
    *state = fx;
    return 0;
}

static int setup_with(void **state, uint32_t max_connections, uint32_t per_peer,
                      uint32_t idle_s)
{
    g_max_connections = max_connections;
    g_per_peer = per_peer;
    g_idle_s = idle_s;
    int rc = setup(state);
    g_max_connections = g_per_peer = g_idle_s = 0;
    return rc;
}

static int setup_two_connections(void **state) { return setup_with(state, 2, 0, 0); }
static int setup_per_peer_3(void **state) { return setup_with(state, 0, 3, 0); }
static int setup_full_at_4(void **state) { return setup_with(state, 4, 5, 0); }
static int setup_idle_2s(void **state) { return setup_with(state, 0, 0, 2); }
static int setup_handshake_1s(void **state)
{
    g_handshake_s = 1;
    int rc = setup(state);
    g_handshake_s = 0;
    return rc;
}

/* The daemon pattern: a signal handler that only sets the flag and wakes the loop. It runs
 * on the server thread (pthread_kill), so the flag is never written from another thread. */
static _Atomic(struct fx *) g_running; /* lock-free: safe to read in a signal handler */

static void on_sigusr1(int sig)
{
    (void)sig;
    struct fx *fx = atomic_load(&g_running);
    if (fx) {
        fx->stop = 1;
        cw_rpc_server_wake(fx->srv);
    }
}

static void stop_server(struct fx *fx, void **ret)
{
    atomic_store(&g_running, fx);
    assert_int_equal(pthread_kill(fx->th, SIGUSR1), 0);
    pthread_join(fx->th, ret);
    atomic_store(&g_running, NULL);
    cw_rpc_server_destroy(fx->srv);
    fx->srv = NULL;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    void *ret = NULL;
    if (fx->srv)
        stop_server(fx, &ret);
    pthread_mutex_destroy(&fx->mu);
    pthread_cond_destroy(&fx->cv);
    free(fx);
    return (int)(intptr_t)ret;
}

/* ---- RPC tests ------------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *cl = connect_ok(fx);
    size_t n;
    uint8_t *p = enc_params(&n, "usb", (uint64_t)42, "hello", (size_t)3);
    uint8_t *res;
    size_t len;
    char err[256];
    assert_int_equal(cw_rpc_call(cl, "echo", p, n, &res, &len, T_MS, err, sizeof err), CW_OK);
    assert_int_equal(len, n);
    assert_memory_equal(res, p, n);
    free(res);
    free(p);
    /* a frame larger than lws's 16 KiB receive chunks: reassembled by the server */
    p = enc_params(&n, "b", (size_t)(48u << 10));
    assert_int_equal(cw_rpc_call(cl, "echo", p, n, &res, &len, T_MS, err, sizeof err), CW_OK);
    assert_int_equal(len, n);
    assert_memory_equal(res, p, n);
    free(res);
    free(p);
    /* no params: [] */
    assert_int_equal(cw_rpc_call(cl, "echo", NULL, 0, &res, &len, T_MS, err, sizeof err), CW_OK);
    assert_int_equal(len, 1);
    assert_int_equal(res[0], 0x90);
    free(res);
    /* client-side refusals */
    assert_int_equal(cw_rpc_call(cl, "bad name", NULL, 0, &res, &len, T_MS, err, sizeof err),
                     CW_EINVAL);
    uint8_t notarray = 0x05;
    assert_int_equal(cw_rpc_call(cl, "echo", &notarray, 1, &res, &len, T_MS, err, sizeof err),
                     CW_EINVAL);
    assert_null(res);
    cw_rpc_client_close(cl);
}

static void test_unknown_method(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *cl = connect_ok(fx);
    uint8_t *res = (uint8_t *)1;
    size_t len = 1;
    char err[256];
    assert_int_equal(cw_rpc_call(cl, "nope", NULL, 0, &res, &len, T_MS, err, sizeof err),
                     CW_ENOTFOUND);
    assert_null(res);
    assert_int_equal(len, 0);
    assert_string_equal(err, "unknown method 'nope'");
    cw_rpc_client_close(cl);
}

static void test_handler_error(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *cl = connect_ok(fx);
    uint8_t *res;
    size_t len;
    char err[256];
    assert_int_equal(cw_rpc_call(cl, "fail", NULL, 0, &res, &len, T_MS, err, sizeof err),
                     CW_EINSUFFICIENT);
    assert_string_equal(err, "balance 5 < amount 7");
    assert_int_equal(cw_rpc_call(cl, "nothing", NULL, 0, &res, &len, T_MS, err, sizeof err),
                     CW_ESTATE);
    assert_non_null(strstr(err, "internal error in 'nothing'"));
    /* the connection is still fine */
    assert_int_equal(cw_rpc_call(cl, "echo", NULL, 0, &res, &len, T_MS, err, sizeof err), CW_OK);
    free(res);
    cw_rpc_client_close(cl);
}

/* the next queued frame must be an error response: msgid (or nil) and code */
static void expect_error_frame(cw_rpc_client *cl, bool has_msgid, uint32_t msgid, int code,
                               const char *needle)
{
    uint8_t *fr;
    size_t n;
    char err[256];
    assert_int_equal(cw_rpc_client_next_frame(cl, &fr, &n, T_MS, err, sizeof err), CW_OK);
    cw_dec d;
    cw_rpc_frame f;
    assert_int_equal(cw_rpc_decode(&d, &f, fr, n, n, err, sizeof err), CW_OK);
    assert_int_equal(f.kind, CW_RPC_RESPONSE);
    assert_true(f.is_error);
    assert_int_equal(f.has_msgid, has_msgid);
    if (has_msgid)
        assert_int_equal(f.msgid, msgid);
    assert_int_equal(f.err_code, code);
    char msg[CW_RPC_ERRMSG_MAX + 1];
    snprintf(msg, sizeof msg, "%.*s", (int)f.err_msg_len, f.err_msg);
    if (!strstr(msg, needle))
        fail_msg("error message '%s' lacks '%s'", msg, needle);
    cw_dec_close(&d);
    free(fr);
}

static void test_malformed_frames(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *cl = connect_ok(fx);
    char err[256];
    static const uint8_t garbage[] = {0xc1, 0x00};
    static const uint8_t bad_method[] = {0x94, 0x00, 0x09, 0xa3, 'a', '/', 'b', 0x90};
    static const uint8_t noncanon[] = {0x94, 0x00, 0xcd, 0x00, 0x07, 0xa1, 'm', 0x90};
    static const uint8_t response[] = {0x94, 0x01, 0x01, 0xc0, 0xc0};
    static const uint8_t notification[] = {0x93, 0x02, 0xa1, 'm', 0x90};
    static const uint8_t text[] = "[0, 1, \"status\", []]";

    assert_int_equal(cw_rpc_client_send_raw(cl, garbage, sizeof garbage, false, T_MS, err,
                                            sizeof err), CW_OK);
    expect_error_frame(cl, false, 0, CW_EMALFORMED, "0xc1");
    assert_int_equal(cw_rpc_client_send_raw(cl, bad_method, sizeof bad_method, false, T_MS, err,
                                            sizeof err), CW_OK);
    expect_error_frame(cl, true, 9, CW_EMALFORMED, "method");
    assert_int_equal(cw_rpc_client_send_raw(cl, noncanon, sizeof noncanon, false, T_MS, err,
                                            sizeof err), CW_OK);
    expect_error_frame(cl, false, 0, CW_ENONCANONICAL, "non-canonical");
    assert_int_equal(cw_rpc_client_send_raw(cl, response, sizeof response, false, T_MS, err,
                                            sizeof err), CW_OK);
    expect_error_frame(cl, false, 0, CW_EMALFORMED, "unexpected response");
    assert_int_equal(cw_rpc_client_send_raw(cl, notification, sizeof notification, false, T_MS,
                                            err, sizeof err), CW_OK); /* no reply */
    assert_int_equal(cw_rpc_client_send_raw(cl, text, sizeof text - 1, true, T_MS, err,
                                            sizeof err), CW_OK);
    expect_error_frame(cl, false, 0, CW_EMALFORMED, "text frames");
    assert_int_equal(cw_rpc_client_send_raw(cl, NULL, 0, false, T_MS, err, sizeof err), CW_OK);
    expect_error_frame(cl, false, 0, CW_EMALFORMED, "empty");

    /* the connection lives on */
    uint64_t st[N_STATS];
    get_stats(cl, st);
    assert_int_equal(st[1], 7); /* rejected: garbage, method, noncanon, response, notif, text, empty */
    assert_int_equal(st[2], 1);
    cw_rpc_client_close(cl);
}

static void test_oversized_frame_closes_only_that_connection(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *a = connect_ok(fx), *b = connect_ok(fx);
    size_t n;
    uint8_t *p = enc_params(&n, "b", (size_t)(MAX_FRAME + 1));
    uint8_t *res;
    size_t len;
    char err[256];
    int rc = cw_rpc_call(a, "echo", p, n, &res, &len, T_MS, err, sizeof err);
    assert_int_equal(rc, CW_ECLOSED);
    assert_non_null(strstr(err, "1009"));
    free(p);
    /* a stays closed; b is unaffected */
    assert_int_equal(cw_rpc_call(a, "echo", NULL, 0, &res, &len, T_MS, err, sizeof err),
                     CW_ECLOSED);
    p = enc_params(&n, "s", "still here");
    assert_int_equal(cw_rpc_call(b, "echo", p, n, &res, &len, T_MS, err, sizeof err), CW_OK);
    assert_memory_equal(res, p, n);
    free(res);
    free(p);
    uint64_t st[N_STATS];
    get_stats(b, st);
    assert_int_equal(st[1], 1);
    /* (a may still be in its close handshake on the server: open count not asserted) */
    cw_rpc_client_close(a);
    cw_rpc_client_close(b);
}

static uint64_t next_seq(cw_rpc_client *cl, const char *want_topic, size_t want_size)
{
    char topic[CW_RPC_METHOD_MAX + 1], err[256];
    uint8_t *pl;
    size_t n;
    int rc = cw_rpc_next_notification(cl, topic, &pl, &n, T_MS, err, sizeof err);
    if (rc != CW_OK)
        fail_msg("next_notification: %d %s", rc, err);
    assert_string_equal(topic, want_topic);
    cw_dec d;
    const msgpack_object *o;
    assert_int_equal(cw_dec_open(&d, &o, pl, n, n, err, sizeof err), CW_OK);
    const msgpack_object *f = cw_dec_array(&d, o, 2, "payload");
    uint64_t seq = cw_dec_u64(&d, &f[0], "seq");
    cw_bytes b = cw_dec_bin(&d, &f[1], SIZE_MAX, "pad");
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(b.len, want_size);
    cw_dec_close(&d);
    free(pl);
    return seq;
}

static void test_subscribe_publish_in_order(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *sub = connect_ok(fx), *other = connect_ok(fx);
    char err[256];
    assert_int_equal(cw_rpc_subscribe(sub, "blocks", T_MS, err, sizeof err), CW_OK);
    assert_int_equal(cw_rpc_subscribe(sub, "nonesuch", T_MS, err, sizeof err), CW_ENOTFOUND);
    assert_non_null(strstr(err, "unknown topic"));
    /* published from the other connection: sub's notifications wait in the server's queue
     * and socket meanwhile (10 < the 16-frame queue bound, so no drop whatever the timing) */
    size_t n;
    uint8_t *p = enc_params(&n, "suu", "blocks", (uint64_t)10, (uint64_t)8);
    for (uint64_t i = 0; i < 20; i++) {
        if (i % 10 == 0)
            assert_int_equal(call_u64(other, "pub", p, n), 10);
        assert_int_equal(next_seq(sub, "blocks", 8), i);
    }
    free(p);
    /* nothing more, and the non-subscriber got nothing */
    char topic[CW_RPC_METHOD_MAX + 1];
    uint8_t *pl;
    assert_int_equal(cw_rpc_next_notification(sub, topic, &pl, &n, 0, err, sizeof err),
                     CW_ETIMEOUT);
    assert_int_equal(cw_rpc_next_notification(other, topic, &pl, &n, 0, err, sizeof err),
                     CW_ETIMEOUT);
    /* notifications interleaved with a call on the same connection are queued, not lost */
    p = enc_params(&n, "suu", "blocks", (uint64_t)3, (uint64_t)0);
    assert_int_equal(call_u64(sub, "pub", p, n), 3);
    free(p);
    for (uint64_t i = 20; i < 23; i++)
        assert_int_equal(next_seq(sub, "blocks", 0), i);
    /* timers run on the server loop */
    assert_int_equal(cw_rpc_subscribe(sub, "ticks", T_MS, err, sizeof err), CW_OK);
    uint8_t *res;
    size_t len;
    assert_int_equal(cw_rpc_call(sub, "later", NULL, 0, &res, &len, T_MS, err, sizeof err), CW_OK);
    free(res);
    assert_int_equal(cw_rpc_next_notification(sub, topic, &pl, &n, T_MS, err, sizeof err), CW_OK);
    assert_string_equal(topic, "ticks");
    assert_int_equal(n, 1);
    assert_int_equal(pl[0], 23);
    free(pl);
    cw_rpc_client_close(sub);
    cw_rpc_client_close(other);
}

static void test_slow_subscriber_dropped(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *slow = connect_ok(fx), *fast = connect_ok(fx);
    char err[256];
    assert_int_equal(cw_rpc_subscribe(slow, "blocks", T_MS, err, sizeof err), CW_OK);
    assert_int_equal(cw_rpc_subscribe(fast, "blocks", T_MS, err, sizeof err), CW_OK);
    /* slow is never serviced from here on: its socket buffers fill, then its server-side
     * queue (16 frames / 256 KiB) overflows and the server must drop it. fast drains after
     * every round and never holds more than 4 notifications + 1 response. */
    size_t n;
    uint8_t *p = enc_params(&n, "suu", "blocks", (uint64_t)4, (uint64_t)(16u << 10));
    uint64_t st[N_STATS] = {0}, expect = 0;
    int round;
    for (round = 0; round < 20000 && st[0] == 0; round++) {
        assert_int_equal(call_u64(fast, "pub", p, n), 4);
        for (int i = 0; i < 4; i++)
            assert_int_equal(next_seq(fast, "blocks", 16u << 10), expect++);
        get_stats(fast, st);
    }
    free(p);
    assert_int_equal(st[0], 1);
    /* fast keeps receiving after the drop */
    p = enc_params(&n, "suu", "blocks", (uint64_t)2, (uint64_t)1);
    assert_int_equal(call_u64(fast, "pub", p, n), 2);
    free(p);
    assert_int_equal(next_seq(fast, "blocks", 1), expect++);
    assert_int_equal(next_seq(fast, "blocks", 1), expect++);
    get_stats(fast, st);
    assert_int_equal(st[0], 1);
    assert_int_equal(st[2], 1); /* only fast is still open */
    /* the slow client finds its connection gone once it looks */
    uint8_t *res;
    size_t len;
    int rc = cw_rpc_call(slow, "echo", NULL, 0, &res, &len, T_MS, err, sizeof err);
    assert_int_equal(rc, CW_ECLOSED);
    cw_rpc_client_close(slow);
    cw_rpc_client_close(fast);
}

/* Let the server thread out of m_block. */
static void release_block(struct fx *fx)
{
    pthread_mutex_lock(&fx->mu);
    fx->release = true;
    pthread_cond_signal(&fx->cv);
    pthread_mutex_unlock(&fx->mu);
}

/* echo ["mine"] answers exactly ["mine"] on cl (no late answer mistaken for this one). */
static void assert_echo_mine(cw_rpc_client *cl)
{
    uint8_t *res;
    size_t len, n;
    char err[256];
    uint8_t *p = enc_params(&n, "s", "mine");
    assert_int_equal(cw_rpc_call(cl, "echo", p, n, &res, &len, T_MS, err, sizeof err), CW_OK);
    assert_int_equal(len, n);
    assert_memory_equal(res, p, n);
    free(res);
    free(p);
}

static void test_call_timeout_then_late_response_discarded(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *cl = connect_ok(fx);
    uint8_t *res;
    size_t len;
    char err[256];
    assert_int_equal(cw_rpc_call(cl, "block", NULL, 0, &res, &len, 50, err, sizeof err),
                     CW_ETIMEOUT);
    assert_non_null(strstr(err, "no response"));
    release_block(fx);
    /* the late "late" answer to the timed-out call must not be taken for this one */
    assert_echo_mine(cl);
    cw_rpc_client_close(cl);
}

/* Pipelining: requests sent back to back, responses taken in any order, each matched to
 * its own request; a request still running answers CW_ETIMEOUT to a take that does not wait
 * and stays outstanding; a forgotten request is no longer known. */
static void test_pipelined_calls(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *cl = connect_ok(fx);
    char err[256];
    enum { N = 12 }; /* under the fixture server's send queue of 16 frames */
    uint32_t ids[N];
    uint8_t *params[N];
    size_t plen[N];
    for (int i = 0; i < N; i++) {
        char s[32];
        snprintf(s, sizeof s, "req-%d", i);
        params[i] = enc_params(&plen[i], "su", s, (uint64_t)i);
        assert_int_equal(cw_rpc_call_send(cl, "echo", params[i], plen[i], &ids[i], err,
                                          sizeof err), CW_OK);
        assert_int_not_equal(ids[i], 0);
    }
    for (int i = N - 1; i >= 0; i--) { /* reverse order of sending */
        uint8_t *res;
        size_t len;
        int trc = cw_rpc_call_take(cl, ids[i], &res, &len, T_MS, err, sizeof err);
        if (trc != CW_OK)
            fail_msg("take %d: %d %s", i, trc, err);
        assert_int_equal(len, plen[i]);
        assert_memory_equal(res, params[i], len);
        free(res);
        free(params[i]);
        /* taken: done with */
        assert_int_equal(cw_rpc_call_take(cl, ids[i], &res, &len, 0, err, sizeof err),
                         CW_ENOTFOUND);
    }
    /* an error response is that request's error */
    uint32_t f;
    assert_int_equal(cw_rpc_call_send(cl, "fail", NULL, 0, &f, err, sizeof err), CW_OK);
    uint8_t *res;
    size_t len;
    assert_int_equal(cw_rpc_call_take(cl, f, &res, &len, T_MS, err, sizeof err), CW_EINSUFFICIENT);
    assert_non_null(strstr(err, "balance 5 < amount 7"));
    assert_null(res);
    /* a request the server is still working on: not there yet, stays outstanding */
    uint32_t b, e;
    assert_int_equal(cw_rpc_call_send(cl, "block", NULL, 0, &b, err, sizeof err), CW_OK);
    assert_int_equal(cw_rpc_call_take(cl, b, &res, &len, 0, err, sizeof err), CW_ETIMEOUT);
    assert_int_equal(cw_rpc_call_take(cl, b, &res, &len, 20, err, sizeof err), CW_ETIMEOUT);
    release_block(fx);
    assert_int_equal(cw_rpc_call_take(cl, b, &res, &len, T_MS, err, sizeof err), CW_OK);
    cw_dec d;
    const msgpack_object *o;
    assert_int_equal(cw_dec_open(&d, &o, res, len, 1 << 10, err, sizeof err), CW_OK);
    assert_int_equal(o->type, MSGPACK_OBJECT_STR);
    assert_memory_equal(o->via.str.ptr, "late", 4);
    cw_dec_close(&d);
    free(res);
    /* forgotten: unknown afterwards, and its response never mistaken for another's */
    size_t n;
    uint8_t *p = enc_params(&n, "s", "mine");
    assert_int_equal(cw_rpc_call_send(cl, "echo", p, n, &e, err, sizeof err), CW_OK);
    free(p);
    cw_rpc_call_forget(cl, e);
    assert_int_equal(cw_rpc_call_take(cl, e, &res, &len, 0, err, sizeof err), CW_ENOTFOUND);
    assert_echo_mine(cl);
    cw_rpc_client_close(cl);
}

/* The outstanding-request table is bounded: one more than the bound is refused by name
 * (nothing is written until the client is serviced, so the server never sees them), and
 * forgetting one frees its place. */
static void test_pipelined_bound(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *cl = connect_ok(fx);
    char err[256];
    static uint32_t ids[CW_RPC_CLIENT_MAX_PENDING];
    for (unsigned i = 0; i < CW_RPC_CLIENT_MAX_PENDING; i++)
        assert_int_equal(cw_rpc_call_send(cl, "echo", NULL, 0, &ids[i], err, sizeof err),
                         CW_OK);
    uint32_t extra;
    assert_int_equal(cw_rpc_call_send(cl, "echo", NULL, 0, &extra, err, sizeof err),
                     CW_ETOOBIG);
    assert_non_null(strstr(err, "outstanding"));
    assert_int_equal(extra, 0);
    cw_rpc_call_forget(cl, ids[7]);
    assert_int_equal(cw_rpc_call_send(cl, "echo", NULL, 0, &extra, err, sizeof err), CW_OK);
    assert_int_not_equal(extra, 0);
    for (unsigned i = 0; i < CW_RPC_CLIENT_MAX_PENDING; i++)
        if (i != 7)
            assert_int_not_equal(ids[i], extra); /* never the id of one still outstanding */
    cw_rpc_client_close(cl);
}

/* max_connections 2 and the default per-peer cap (clamped to 2): a third session from this
 * peer is refused at the handshake; the two open ones keep working. */
static void test_max_connections(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *a = connect_ok(fx), *b = connect_ok(fx), *c = NULL;
    char err[256];
    assert_int_equal(cw_rpc_client_connect(&c, fx->url, T_MS, err, sizeof err), CW_ECLOSED);
    assert_null(c);
    uint8_t *res;
    size_t len;
    assert_int_equal(cw_rpc_call(b, "echo", NULL, 0, &res, &len, T_MS, err, sizeof err), CW_OK);
    free(res);
    cw_rpc_client_close(a);
    cw_rpc_client_close(b);
}

/* Wait (bounded: 20 s, generous on a loaded machine) until cl's connection is closed by the
 * server, servicing `busy` meanwhile with an echo call every ~100 ms when given.
 * Returns true when closed. */
static bool wait_closed(cw_rpc_client *cl, cw_rpc_client *busy)
{
    char err[256];
    for (int i = 0; i < 200; i++) {
        uint8_t *f = NULL;
        size_t n;
        int rc = cw_rpc_client_next_frame(cl, &f, &n, 100, err, sizeof err);
        free(f);
        if (rc == CW_ECLOSED)
            return true;
        if (busy)
            assert_echo_mine(busy);
    }
    return false;
}

/* One peer may hold max_sessions_per_peer sessions; the next is refused and counted. */
static void test_per_peer_cap(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *cl[3], *extra = NULL;
    for (int i = 0; i < 3; i++)
        cl[i] = connect_ok(fx);
    char err[256];
    assert_int_equal(cw_rpc_client_connect(&extra, fx->url, T_MS, err, sizeof err), CW_ECLOSED);
    assert_null(extra);
    uint64_t lim[N_STATS];
    get_stats(cl[0], lim);
    assert_int_equal(lim[ST_REFUSED_PEER], 1);
    assert_int_equal(lim[ST_EVICTED], 0); /* the global limit is far */
    assert_int_equal(lim[ST_OPEN], 3);
    for (int i = 0; i < 3; i++)
        cw_rpc_client_close(cl[i]);
}

/* Full with idle sessions: a new client is served, and the session idle longest goes. */
static void test_full_evicts_idlest(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *cl[4];
    for (int i = 0; i < 4; i++)
        cl[i] = connect_ok(fx);
    for (int i = 1; i < 4; i++) /* cl[0] stays idlest: connected first, never used */
        assert_echo_mine(cl[i]);
    cw_rpc_client *fresh = connect_ok(fx);
    assert_echo_mine(fresh);
    assert_true(wait_closed(cl[0], NULL));
    for (int i = 1; i < 4; i++)
        assert_echo_mine(cl[i]);
    uint64_t lim[N_STATS];
    get_stats(fresh, lim);
    assert_int_equal(lim[ST_EVICTED], 1);
    assert_int_equal(lim[ST_REFUSED_PEER], 0);
    for (int i = 0; i < 4; i++)
        cw_rpc_client_close(cl[i]);
    cw_rpc_client_close(fresh);
}

/* idle_timeout_s: an idle session is closed; one that keeps calling stays open. */
static void test_idle_timeout(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *idle = connect_ok(fx), *busy = connect_ok(fx);
    assert_true(wait_closed(idle, busy));
    assert_echo_mine(busy);
    uint64_t lim[N_STATS];
    get_stats(busy, lim);
    assert_int_equal(lim[ST_TIMED_OUT], 1); /* the idle one only */
    assert_int_equal(lim[ST_EVICTED], 0);
    cw_rpc_client_close(idle);
    cw_rpc_client_close(busy);
}

/* A TCP connection that never completes its upgrade (silent, or headers cut short) is
 * closed after handshake_timeout_s = 1 s; lws's own default is 10 s, past this 6 s bound. */
static void test_handshake_timeout(void **state)
{
    struct fx *fx = *state;
    static const char *const sends[] = {"", "GET / HTTP/1.1\r\nHost: x\r\n"};
    int fds[2];
    for (int i = 0; i < 2; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fds[i] >= 0);
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)cw_rpc_server_port(fx->srv))};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof sa), 0);
        size_t n = strlen(sends[i]);
        assert_int_equal(send(fds[i], sends[i], n, 0), (ssize_t)n);
    }
    for (int i = 0; i < 2; i++) {
        struct pollfd pfd = {.fd = fds[i], .events = POLLIN};
        assert_int_equal(poll(&pfd, 1, 6000), 1);
        char c;
        assert_true(recv(fds[i], &c, 1, 0) <= 0); /* EOF or reset, no reply */
        close(fds[i]);
    }
    cw_rpc_client *cl = connect_ok(fx); /* the server still serves */
    assert_echo_mine(cl);
    cw_rpc_client_close(cl);
}

/* Destroying the server with connections open closes them; clients see CW_ECLOSED. */
static void test_server_shutdown_with_live_connections(void **state)
{
    struct fx *fx = *state;
    cw_rpc_client *cl = connect_ok(fx);
    char err[256];
    assert_int_equal(cw_rpc_subscribe(cl, "blocks", T_MS, err, sizeof err), CW_OK);
    void *ret;
    stop_server(fx, &ret);
    assert_null(ret);
    uint8_t *res;
    size_t len;
    assert_int_equal(cw_rpc_call(cl, "echo", NULL, 0, &res, &len, T_MS, err, sizeof err),
                     CW_ECLOSED);
    char topic[CW_RPC_METHOD_MAX + 1];
    assert_int_equal(cw_rpc_next_notification(cl, topic, &res, &len, T_MS, err, sizeof err),
                     CW_ECLOSED);
    cw_rpc_client_close(cl);
}

/* ---- HTTP tests (a raw socket: independent of lws's client) --------------------------- */

struct http_resp {
    int status;
    char ctype[128];
    char *body;
};

static void http_get(struct fx *fx, const char *method, const char *path, struct http_resp *r)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)cw_rpc_server_port(fx->srv))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[256];
    int rl = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                      method, path);
    assert_int_equal(write(fd, req, (size_t)rl), rl);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&pfd, 1, T_MS), 1);
        assert_true(len < cap - 1);
        ssize_t k = read(fd, buf + len, cap - 1 - len);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    buf[len] = '\0';
    memset(r, 0, sizeof *r);
    assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &r->status), 1);
    char *hend = strstr(buf, "\r\n\r\n");
    assert_non_null(hend);
    *hend = '\0';
    for (char *line = strstr(buf, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "content-type:", 13) == 0) {
            const char *v = line + 2 + 13;
            while (*v == ' ')
                v++;
            snprintf(r->ctype, sizeof r->ctype, "%.*s", (int)strcspn(v, "\r"), v);
        }
    }
    r->body = strdup(hend + 4);
    free(buf);
}

static void test_http_healthz_status(void **state)
{
    struct fx *fx = *state;
    struct http_resp r;
    http_get(fx, "GET", "/healthz", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "text/plain; charset=utf-8");
    assert_string_equal(r.body, "ok\n");
    free(r.body);
    http_get(fx, "GET", "/status", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/json");
    assert_string_equal(r.body, "{\"chain_id\":\"alpha\",\"height\":5}");
    free(r.body);
    http_get(fx, "GET", "/nope", &r);
    assert_int_equal(r.status, 404);
    free(r.body);
    http_get(fx, "GET", "/healthz/x", &r);
    assert_int_equal(r.status, 404);
    free(r.body);
}

static bool metric_name_ok(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
            return false;
    return true;
}

/* Prometheus text format 0.0.4: "# HELP name text", "# TYPE name type", "name value";
 * each sample's TYPE comes before it; returns the value of `want` (or -1). */
static double check_prometheus(char *text, const char *want)
{
    char typed[64][96];
    int ntyped = 0;
    double found = -1;
    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# HELP ", 7) == 0) {
            size_t n = strcspn(line + 7, " ");
            assert_true(metric_name_ok(line + 7, n));
            assert_true(line[7 + n] == ' ' && line[8 + n] != '\0');
        } else if (strncmp(line, "# TYPE ", 7) == 0) {
            size_t n = strcspn(line + 7, " ");
            assert_true(metric_name_ok(line + 7, n));
            const char *type = line + 7 + n + 1;
            assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                        strcmp(type, "histogram") == 0 || strcmp(type, "summary") == 0 ||
                        strcmp(type, "untyped") == 0);
            assert_true(ntyped < 64 && n < 96);
            snprintf(typed[ntyped++], 96, "%.*s", (int)n, line + 7);
        } else {
            assert_true(line[0] != '#');
            size_t n = strcspn(line, " {");
            assert_true(metric_name_ok(line, n));
            assert_true(line[n] == ' ');
            char *end;
            double v = strtod(line + n + 1, &end);
            assert_true(end != line + n + 1 && *end == '\0');
            bool has_type = false;
            for (int i = 0; i < ntyped; i++)
                has_type |= strlen(typed[i]) == n && strncmp(typed[i], line, n) == 0;
            if (!has_type)
                fail_msg("sample without # TYPE: %s", line);
            if (strlen(want) == n && strncmp(want, line, n) == 0)
                found = v;
        }
    }
    return found;
}

static void test_http_metrics(void **state)
{
    struct fx *fx = *state;
    /* make some counters move first: one connection, one rejected frame */
    cw_rpc_client *cl = connect_ok(fx);
    char err[256];
    static const uint8_t garbage[] = {0xc1};
    assert_int_equal(cw_rpc_client_send_raw(cl, garbage, 1, false, T_MS, err, sizeof err), CW_OK);
    expect_error_frame(cl, false, 0, CW_EMALFORMED, "0xc1");

    struct http_resp r;
    http_get(fx, "GET", "/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
    char *copy = strdup(r.body);
    assert_true(check_prometheus(copy, "cw_rpc_frames_rejected_total") == 1.0);
    free(copy);
    copy = strdup(r.body);
    assert_true(check_prometheus(copy, "cw_rpc_connections_open") == 1.0);
    free(copy);
    copy = strdup(r.body);
    assert_true(check_prometheus(copy, "cw_chain_height") == 5.0);
    free(copy);
    for (const char *m = "cw_rpc_requests_total\0cw_rpc_errors_total\0"
                         "cw_rpc_subscribers_dropped_total\0cw_rpc_connections_total\0"
                         "cw_rpc_sessions_evicted_total\0cw_rpc_sessions_refused_per_peer_total\0"
                         "cw_rpc_sessions_timed_out_total\0";
         *m; m += strlen(m) + 1) {
        copy = strdup(r.body);
        if (check_prometheus(copy, m) < 0)
            fail_msg("metric %s missing", m);
        free(copy);
    }
    free(r.body);
    http_get(fx, "POST", "/metrics", &r);
    assert_int_equal(r.status, 405);
    free(r.body);
    cw_rpc_client_close(cl);
}

/* ---- client without a server ---------------------------------------------------------- */

static void test_url_parse(void **state)
{
    (void)state;
    cw_rpc_url u;
    char err[256];
    assert_int_equal(cw_rpc_url_parse(&u, "ws://127.0.0.1:26657", err, sizeof err), CW_OK);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 26657);
    assert_string_equal(u.path, "/");
    assert_int_equal(cw_rpc_url_parse(&u, "ws://chain-a.local:1/rpc/v1", err, sizeof err), CW_OK);
    assert_string_equal(u.host, "chain-a.local");
    assert_string_equal(u.path, "/rpc/v1");
    assert_int_equal(cw_rpc_url_parse(&u, "ws://[::1]:65535", err, sizeof err), CW_OK);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 65535);
    static const struct {
        const char *url;
        int rc;
        const char *needle;
    } bad[] = {
        {"wss://127.0.0.1:1", CW_EUNSUPPORTED, "wss://"},
        {"http://127.0.0.1:1", CW_EINVAL, "scheme"},
        {"127.0.0.1:1", CW_EINVAL, "scheme"},
        {"ws://", CW_EINVAL, "host is missing"},
        {"ws://:80", CW_EINVAL, "host is missing"},
        {"ws://127.0.0.1", CW_EINVAL, "port is missing"},
        {"ws://127.0.0.1/x", CW_EINVAL, "port is missing"},
        {"ws://127.0.0.1:", CW_EINVAL, "port must be"},
        {"ws://127.0.0.1:0", CW_EINVAL, "port must be"},
        {"ws://127.0.0.1:65536", CW_EINVAL, "port must be"},
        {"ws://127.0.0.1:080", CW_EINVAL, "port must be"},
        {"ws://127.0.0.1:12ab", CW_EINVAL, "port must be"},
        {"ws://user@host:1", CW_EINVAL, "userinfo"},
        {"ws://ho st:1", CW_EINVAL, "host"},
        {"ws://-host:1", CW_EINVAL, "label"},
        {"ws://[::1:1", CW_EINVAL, "IPv6"},
        {"ws://[]:1", CW_EINVAL, "IPv6"},
        {"ws://h:1/a b", CW_EINVAL, "path"},
        {"ws://h:1/a?q=1", CW_EINVAL, "query"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = cw_rpc_url_parse(&u, bad[i].url, err, sizeof err);
        if (rc != bad[i].rc || !strstr(err, bad[i].needle))
            fail_msg("%s: rc=%d err='%s' (want %d, '%s')", bad[i].url, rc, err, bad[i].rc,
                     bad[i].needle);
    }
    char longurl[400];
    memset(longurl, 'a', sizeof longurl - 1);
    longurl[sizeof longurl - 1] = '\0';
    memcpy(longurl, "ws://", 5);
    assert_int_equal(cw_rpc_url_parse(&u, longurl, err, sizeof err), CW_EINVAL);
    cw_rpc_client *cl = (cw_rpc_client *)1;
    assert_int_equal(cw_rpc_client_connect(&cl, "ws://127.0.0.1", T_MS, err, sizeof err),
                     CW_EINVAL);
    assert_null(cl);
}

static int listen_socket(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void test_connect_failures(void **state)
{
    (void)state;
    char url[64], err[256];
    int port;
    cw_rpc_client *cl;
    /* a listener that never answers the handshake: the deadline fires */
    int fd = listen_socket(&port);
    assert_int_equal(listen(fd, 4), 0);
    snprintf(url, sizeof url, "ws://127.0.0.1:%d", port);
    assert_int_equal(cw_rpc_client_connect(&cl, url, 100, err, sizeof err), CW_ETIMEOUT);
    assert_null(cl);
    assert_non_null(strstr(err, "handshake"));
    close(fd);
    /* a bound port nobody listens on: refused */
    fd = listen_socket(&port);
    snprintf(url, sizeof url, "ws://127.0.0.1:%d", port);
    assert_int_equal(cw_rpc_client_connect(&cl, url, T_MS, err, sizeof err), CW_ECLOSED);
    assert_null(cl);
    close(fd);
    cw_rpc_client_close(NULL);
    cw_rpc_server_destroy(NULL);
}

static void test_server_config_errors(void **state)
{
    (void)state;
    cw_rpc_server *srv;
    char err[256];
    cw_rpc_server_config cfg = {.port = 70000};
    assert_int_equal(cw_rpc_server_create(&srv, &cfg, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "port"));
    cfg = (cw_rpc_server_config){.port = 0, .max_frame = 1024, .max_queue_bytes = 512};
    assert_int_equal(cw_rpc_server_create(&srv, &cfg, err, sizeof err), CW_EINVAL);
    /* a port already taken */
    int port;
    int fd = listen_socket(&port);
    assert_int_equal(listen(fd, 1), 0);
    cfg = (cw_rpc_server_config){.port = port};
    assert_int_equal(cw_rpc_server_create(&srv, &cfg, err, sizeof err), -EADDRINUSE);
    assert_null(srv);
    assert_non_null(strstr(err, "cannot listen"));
    close(fd);
    cfg = (cw_rpc_server_config){.listen_addr = "localhost", .port = 0};
    assert_int_equal(cw_rpc_server_create(&srv, &cfg, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "not an IPv4 or IPv6"));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1; /* no SA_RESTART: poll() returns EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    if (!getenv("CW_TEST_LOG"))
        cw_log_threshold = CW_LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_frame_closes_only_that_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_subscribe_publish_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_subscriber_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_timeout_then_late_response_discarded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_connections, setup_two_connections, teardown),
        cmocka_unit_test_setup_teardown(test_per_peer_cap, setup_per_peer_3, teardown),
        cmocka_unit_test_setup_teardown(test_full_evicts_idlest, setup_full_at_4, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup_idle_2s, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_timeout, setup_handshake_1s, teardown),
        cmocka_unit_test_setup_teardown(test_server_shutdown_with_live_connections, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_healthz_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_metrics, setup, teardown),
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_connect_failures),
        cmocka_unit_test(test_server_config_errors),
    };
    return cmocka_run_group_tests_name("rpc_server", tests, NULL, NULL);
}
