/* MessagePack-RPC server runtime: one lws protocol ("causeway-rpc") serving WebSocket RPC
 * and plain HTTP (/healthz, /status, /metrics) on one port. See include/causeway/rpc_server.h.
 *
 * Lives in common/ (not chain/) so the relayer can reuse the HTTP half for its /metrics and
 * /healthz endpoint without linking the chain.
 *
 * State: per-connection (struct pss, allocated by lws per session): receive buffer, send
 * queue, subscriptions. Per-vhost (struct vhd, allocated in PROTOCOL_INIT): the list of open
 * WebSocket sessions, for publish. Everything else lives in cw_rpc_server.
 * Writes happen only in SERVER_WRITEABLE / HTTP_WRITEABLE (HTTP headers are written in
 * LWS_CALLBACK_HTTP, as lws's own http examples do), each buffer with LWS_PRE headroom.
 */
#include "causeway/rpc_server.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "causeway/log.h"

/* A frame ready to send, shared by reference count (a notification goes to many queues). */
struct out_msg {
    uint32_t refs;
    size_t len;
    uint8_t buf[]; /* LWS_PRE headroom, then len bytes */
};

struct method {
    char name[CW_RPC_METHOD_MAX + 1];
    cw_rpc_handler fn;
    void *user;
};

struct timer {
    lws_sorted_usec_list_t sul; /* first: lws_container_of */
    cw_rpc_server *srv;
    cw_rpc_timer_cb cb;
    void *user;
    struct timer *prev, *next;
};

enum { PSS_NONE = 0, PSS_WS, PSS_HTTP };

struct pss {
    int kind;
    struct lws *wsi;
    struct pss *prev, *next; /* in vhd->sessions while linked */
    bool linked;
    /* receive: one message, reassembled from fragments */
    cw_rpc_rxbuf rx; /* the message being received */
    /* send queue: ring of max_queue_frames pointers */
    struct out_msg **q;
    uint32_t q_head, q_count;
    size_t q_bytes;
    uint32_t topics; /* bit i: subscribed to srv->topics[i] */
    bool dropped;
    bool closing; /* an oversized frame was refused: ignore whatever lws still delivers */
    uint64_t last_active_us; /* monotonic µs: last message fragment received or frame sent */
    char peer[64];           /* the peer's IP address, text (per-peer cap) */
    /* HTTP: the body to write in HTTP_WRITEABLE */
    uint8_t *http_buf; /* LWS_PRE + http_len */
    size_t http_len;
};

struct vhd {
    cw_rpc_server *srv;
    struct pss *sessions;
};

struct cw_rpc_text {
    uint8_t *buf; /* LWS_PRE headroom, then text */
    size_t len, cap;
    int rc;
};

struct cw_rpc_server {
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct vhd *vhd;
    struct lws_protocols protocols[2];
    cw_rpc_server_config cfg;
    char listen_addr[64];
    int port;
    struct method methods[CW_RPC_MAX_METHODS];
    unsigned n_methods;
    char topics[CW_RPC_MAX_TOPICS][CW_RPC_METHOD_MAX + 1];
    unsigned n_topics;
    struct timer *timers;
    unsigned n_timers;
    cw_rpc_server_stats st;
    lws_retry_bo_t idle_policy;    /* ping/pong liveness; must outlive the vhost */
    lws_sorted_usec_list_t sweep;  /* the idle-timeout sweep */
    uint64_t idle_ms, sweep_ms;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- out messages and queues ---------------------------------------------------------- */

static struct out_msg *out_new(const uint8_t *p, size_t len)
{
    struct out_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return NULL;
    m->refs = 1;
    m->len = len;
    memcpy(m->buf + LWS_PRE, p, len);
    return m;
}

static void out_unref(struct out_msg *m)
{
    if (m && --m->refs == 0)
        free(m);
}

static void queue_clear(struct pss *pss, uint32_t cap)
{
    while (pss->q_count) {
        out_unref(pss->q[pss->q_head]);
        pss->q_head = (pss->q_head + 1) % cap;
        pss->q_count--;
    }
    pss->q_bytes = 0;
}

/* A session still counted against max_connections and the per-peer cap: not being closed. */
static bool session_live(const struct pss *pss) { return !pss->dropped && !pss->closing; }

/* Close a session now (async: lws closes it on its next service pass and CLOSED frees it);
 * whatever lws still delivers for it is ignored. */
static void kill_session(cw_rpc_server *srv, struct pss *pss)
{
    pss->dropped = true;
    queue_clear(pss, srv->cfg.max_queue_frames);
    lws_set_timeout(pss->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
}

/* Close a connection whose queue is full: now (async), not later. */
static void drop_session(cw_rpc_server *srv, struct pss *pss, const char *why)
{
    if (pss->dropped)
        return;
    srv->st.subscribers_dropped++;
    cw_log(CW_LOG_WARN, "rpc: dropping connection reason=\"%s\" queued_frames=%" PRIu32
                        " queued_bytes=%zu port=%d",
           why, pss->q_count, pss->q_bytes, srv->port);
    kill_session(srv, pss);
}

/* Queue one shared frame; takes a reference on success. Returns CW_OK or CW_ECLOSED (the
 * connection is (now) dropped). */
static int enqueue(cw_rpc_server *srv, struct pss *pss, struct out_msg *m)
{
    if (pss->dropped)
        return CW_ECLOSED;
    if (pss->q_count >= srv->cfg.max_queue_frames ||
        m->len > srv->cfg.max_queue_bytes - pss->q_bytes) {
        drop_session(srv, pss, "send queue full");
        return CW_ECLOSED;
    }
    m->refs++;
    pss->q[(pss->q_head + pss->q_count) % srv->cfg.max_queue_frames] = m;
    pss->q_count++;
    pss->q_bytes += m->len;
    lws_callback_on_writable(pss->wsi);
    return CW_OK;
}

static void send_bytes(cw_rpc_server *srv, struct pss *pss, const uint8_t *p, size_t len)
{
    struct out_msg *m = out_new(p, len);
    if (!m) {
        drop_session(srv, pss, "out of memory");
        return;
    }
    (void)enqueue(srv, pss, m);
    out_unref(m);
}

static void send_error(cw_rpc_server *srv, struct pss *pss, bool has_msgid, uint32_t msgid,
                       int code, const char *msg)
{
    cw_enc e;
    cw_enc_init(&e);
    srv->st.errors_total++;
    if (cw_rpc_encode_error(&e, has_msgid, msgid, (int32_t)code, msg) == CW_OK)
        send_bytes(srv, pss, cw_enc_data(&e), cw_enc_len(&e));
    else
        drop_session(srv, pss, "out of memory");
    cw_enc_free(&e);
}

/* ---- dispatch ------------------------------------------------------------------------- */

static int find_topic(const cw_rpc_server *srv, const char *name, size_t len)
{
    for (unsigned i = 0; i < srv->n_topics; i++)
        if (strlen(srv->topics[i]) == len && memcmp(srv->topics[i], name, len) == 0)
            return (int)i;
    return -1;
}

/* subscribe/unsubscribe [topic] → true */
static int builtin_sub(cw_rpc_server *srv, struct pss *pss, bool on, const msgpack_object *params,
                       cw_enc *res, char *err, size_t err_len)
{
    if (params->via.array.size != 1 || params->via.array.ptr[0].type != MSGPACK_OBJECT_STR)
        return cw_errf(err, err_len, CW_EINVAL, "params: expected [topic (str)]");
    const msgpack_object_str *s = &params->via.array.ptr[0].via.str;
    int i = s->size <= CW_RPC_METHOD_MAX ? find_topic(srv, s->ptr, s->size) : -1;
    if (i < 0)
        return cw_errf(err, err_len, CW_ENOTFOUND, "unknown topic '%.*s'",
                       (int)(s->size > CW_RPC_METHOD_MAX ? CW_RPC_METHOD_MAX : s->size), s->ptr);
    if (on)
        pss->topics |= 1u << i;
    else
        pss->topics &= ~(1u << i);
    cw_enc_bool(res, true);
    return CW_OK;
}

static void dispatch(cw_rpc_server *srv, struct pss *pss, const cw_rpc_frame *f)
{
    char herr[CW_RPC_ERRMSG_MAX + 1] = "";
    cw_enc res, out;
    cw_enc_init(&res);
    cw_enc_init(&out);
    int rc;

    srv->st.requests_total++;
    if (strcmp(f->method, "subscribe") == 0 || strcmp(f->method, "unsubscribe") == 0) {
        rc = builtin_sub(srv, pss, f->method[0] == 's', f->params, &res, herr, sizeof herr);
    } else {
        const struct method *m = NULL;
        for (unsigned i = 0; i < srv->n_methods && !m; i++)
            if (strcmp(srv->methods[i].name, f->method) == 0)
                m = &srv->methods[i];
        if (!m) {
            rc = cw_errf(herr, sizeof herr, CW_ENOTFOUND, "unknown method '%s'", f->method);
        } else {
            rc = m->fn(m->user, f->params, &res, herr, sizeof herr);
            if (rc > 0) {
                cw_log(CW_LOG_ERROR, "rpc: handler returned a positive code method=%s rc=%d",
                       f->method, rc);
                rc = cw_errf(herr, sizeof herr, CW_ESTATE, "internal error in '%s'", f->method);
            } else if (rc == CW_OK && res.rc != CW_OK) {
                rc = cw_errf(herr, sizeof herr, res.rc, "%s: encoding the result: %s",
                             f->method, cw_strerror(res.rc));
            } else if (rc == CW_OK &&
                       cw_codec_prescan(cw_enc_data(&res), cw_enc_len(&res), NULL, 0) != CW_OK) {
                cw_log(CW_LOG_ERROR, "rpc: handler did not write exactly one object method=%s "
                                     "bytes=%zu", f->method, cw_enc_len(&res));
                rc = cw_errf(herr, sizeof herr, CW_ESTATE, "internal error in '%s'", f->method);
            }
        }
    }
    if (rc == CW_OK) {
        rc = cw_rpc_encode_result(&out, f->msgid, cw_enc_data(&res), cw_enc_len(&res));
        if (rc == CW_OK && cw_enc_len(&out) > srv->cfg.max_frame)
            rc = cw_errf(herr, sizeof herr, CW_ETOOBIG,
                         "%s: result of %zu bytes exceeds the frame limit of %zu", f->method,
                         cw_enc_len(&out), srv->cfg.max_frame);
        else if (rc != CW_OK)
            cw_errf(herr, sizeof herr, rc, "%s: encoding the response failed", f->method);
    }
    if (rc == CW_OK) {
        send_bytes(srv, pss, cw_enc_data(&out), cw_enc_len(&out));
    } else {
        if (!herr[0])
            snprintf(herr, sizeof herr, "%s", cw_strerror(rc));
        send_error(srv, pss, true, f->msgid, rc, herr);
    }
    cw_enc_free(&res);
    cw_enc_free(&out);
}

static void handle_message(cw_rpc_server *srv, struct pss *pss)
{
    char err[256];
    cw_dec d;
    cw_rpc_frame f;

    if (pss->rx.text) {
        srv->st.frames_rejected++;
        send_error(srv, pss, false, 0, CW_EMALFORMED,
                   "text frames are not accepted: send MessagePack-RPC in binary frames");
        return;
    }
    int rc = cw_rpc_decode(&d, &f, pss->rx.buf, pss->rx.len, srv->cfg.max_frame, err, sizeof err);
    if (rc != CW_OK) {
        srv->st.frames_rejected++;
        cw_log(CW_LOG_DEBUG, "rpc: rejected frame bytes=%zu rc=%d", pss->rx.len, rc);
        send_error(srv, pss, f.kind == CW_RPC_REQUEST && f.has_msgid, f.msgid, rc, err);
    } else if (f.kind == CW_RPC_REQUEST) {
        dispatch(srv, pss, &f);
    } else {
        srv->st.frames_rejected++;
        if (f.kind == CW_RPC_RESPONSE)
            send_error(srv, pss, false, 0, CW_EMALFORMED,
                       "unexpected response frame: this server sends no requests");
        /* a client's notification gets no reply (MessagePack-RPC) */
    }
    cw_dec_close(&d);
}

/* ---- HTTP ----------------------------------------------------------------------------- */

int cw_rpc_text_appendf(cw_rpc_text *t, const char *fmt, ...)
{
    if (t->rc)
        return t->rc;
    for (;;) {
        size_t room = t->cap - LWS_PRE - t->len;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf ? (char *)t->buf + LWS_PRE + t->len : NULL,
                          t->buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return t->rc = CW_EINVAL;
        if (t->buf && (size_t)n < room) {
            t->len += (size_t)n;
            return CW_OK;
        }
        if (t->len + (size_t)n > CW_RPC_HTTP_BODY_MAX)
            return t->rc = CW_ETOOBIG;
        size_t cap = t->cap ? t->cap : 4096;
        while (cap - LWS_PRE <= t->len + (size_t)n)
            cap *= 2;
        uint8_t *nb = realloc(t->buf, cap);
        if (!nb)
            return t->rc = -ENOMEM;
        t->buf = nb;
        t->cap = cap;
    }
}

static void metric(cw_rpc_text *t, const char *name, const char *type, const char *help,
                   uint64_t v)
{
    cw_rpc_text_appendf(t, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name,
                        type, name, v);
}

static int runtime_metrics(cw_rpc_server *srv, cw_rpc_text *t)
{
    const cw_rpc_server_stats *s = &srv->st;
    metric(t, "cw_rpc_connections_total", "counter", "WebSocket connections accepted.",
           s->connections_total);
    metric(t, "cw_rpc_connections_open", "gauge", "WebSocket connections open.",
           s->connections_open);
    metric(t, "cw_rpc_requests_total", "counter", "RPC requests dispatched.",
           s->requests_total);
    metric(t, "cw_rpc_errors_total", "counter", "RPC error responses sent.", s->errors_total);
    metric(t, "cw_rpc_subscribers_dropped_total", "counter",
           "Connections closed because their send queue was full.", s->subscribers_dropped);
    metric(t, "cw_rpc_frames_rejected_total", "counter",
           "Frames rejected: malformed, oversized, text or unexpected.", s->frames_rejected);
    metric(t, "cw_rpc_notifications_total", "counter", "Notification frames queued.",
           s->notifications_total);
    metric(t, "cw_rpc_http_requests_total", "counter", "Plain HTTP requests served.",
           s->http_requests_total);
    metric(t, "cw_rpc_sessions_evicted_total", "counter",
           "Idlest sessions closed to admit a new one at max_connections.", s->sessions_evicted);
    metric(t, "cw_rpc_sessions_refused_per_peer_total", "counter",
           "Sessions refused: the peer address already had max_sessions_per_peer.",
           s->sessions_refused_per_peer);
    metric(t, "cw_rpc_sessions_timed_out_total", "counter",
           "Sessions closed after idle_timeout_s without traffic.", s->sessions_timed_out);
    return t->rc;
}

static int http_reply(struct lws *wsi, struct pss *pss, unsigned status, const char *ctype,
                      cw_rpc_text *body)
{
    uint8_t hdr[LWS_PRE + 512], *start = &hdr[LWS_PRE], *p = start, *end = &hdr[sizeof hdr - 1];
    free(pss->http_buf);
    pss->http_buf = body->buf;
    pss->http_len = body->len;
    body->buf = NULL;
    if (lws_add_http_common_headers(wsi, status, ctype, pss->http_len, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int http_simple(struct lws *wsi, unsigned status)
{
    if (lws_return_http_status(wsi, status, NULL))
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int on_http(cw_rpc_server *srv, struct lws *wsi, struct pss *pss, const char *path)
{
    cw_rpc_text t = {NULL, 0, 0, CW_OK};
    const char *ctype;
    int rc = CW_OK;

    pss->kind = PSS_HTTP;
    srv->st.http_requests_total++;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
        return http_simple(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED);
    if (strcmp(path, "/healthz") == 0) {
        ctype = "text/plain; charset=utf-8";
        rc = cw_rpc_text_appendf(&t, "ok\n");
    } else if (strcmp(path, "/status") == 0) {
        ctype = "application/json";
        rc = srv->cfg.status_cb ? srv->cfg.status_cb(srv->cfg.status_user, &t)
                                : cw_rpc_text_appendf(&t, "{}");
        if (rc == CW_OK)
            rc = t.rc;
        if (rc == CW_OK && t.len == 0)
            rc = cw_rpc_text_appendf(&t, "{}");
    } else if (strcmp(path, "/metrics") == 0) {
        ctype = "text/plain; version=0.0.4; charset=utf-8";
        rc = runtime_metrics(srv, &t);
        if (rc == CW_OK && srv->cfg.metrics_cb)
            rc = srv->cfg.metrics_cb(srv->cfg.metrics_user, &t);
        if (rc == CW_OK)
            rc = t.rc;
    } else {
        return http_simple(wsi, HTTP_STATUS_NOT_FOUND);
    }
    if (rc != CW_OK) {
        cw_log(CW_LOG_WARN, "rpc: http callback failed path=%s rc=%d", path, rc);
        free(t.buf);
        return http_simple(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR);
    }
    if (!t.buf && cw_rpc_text_appendf(&t, "%s", "") != CW_OK) { /* allocate the headroom */
        free(t.buf);
        return -1;
    }
    int r = http_reply(wsi, pss, HTTP_STATUS_OK, ctype, &t);
    free(t.buf);
    return r;
}

/* ---- the protocol callback ------------------------------------------------------------ */

static void pss_free(cw_rpc_server *srv, struct vhd *vhd, struct pss *pss)
{
    if (pss->linked) {
        if (pss->prev)
            pss->prev->next = pss->next;
        else
            vhd->sessions = pss->next;
        if (pss->next)
            pss->next->prev = pss->prev;
        pss->linked = false;
        srv->st.connections_open--;
    }
    if (pss->q) {
        queue_clear(pss, srv->cfg.max_queue_frames);
        free(pss->q);
        pss->q = NULL;
    }
    free(pss->rx.buf);
    pss->rx.buf = NULL;
    pss->rx.len = pss->rx.cap = 0;
    free(pss->http_buf);
    pss->http_buf = NULL;
}

static int on_receive(cw_rpc_server *srv, struct lws *wsi, struct pss *pss, const void *in,
                      size_t len)
{
    size_t max = srv->cfg.max_frame;

    if (pss->dropped || pss->closing)
        return -1;
    pss->last_active_us = now_us();
    int rc = cw_rpc_rxbuf_append(&pss->rx, in, len, lws_remaining_packet_payload(wsi), max,
                                 !lws_frame_is_binary(wsi));
    if (rc == CW_ETOOBIG) {
        srv->st.frames_rejected++;
        pss->closing = true;
        cw_log(CW_LOG_WARN, "rpc: closing connection: frame exceeds max_frame=%zu port=%d", max,
               srv->port);
        static const char reason[] = "frame too large";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)reason,
                         sizeof reason - 1);
        return -1;
    }
    if (rc)
        return -1;
    if (!lws_is_final_fragment(wsi))
        return 0;

    handle_message(srv, pss);
    pss->rx.started = false;
    pss->rx.len = 0;
    if (pss->rx.cap > 65536) { /* do not keep a large buffer per idle connection */
        free(pss->rx.buf);
        pss->rx.buf = NULL;
        pss->rx.cap = 0;
    }
    return pss->dropped ? -1 : 0;
}

static int on_writeable(cw_rpc_server *srv, struct lws *wsi, struct pss *pss)
{
    if (pss->dropped)
        return -1;
    if (!pss->q_count)
        return 0;
    struct out_msg *m = pss->q[pss->q_head];
    pss->q_head = (pss->q_head + 1) % srv->cfg.max_queue_frames;
    pss->q_count--;
    pss->q_bytes -= m->len;
    /* lws buffers whatever the socket does not take now and sends it before the next
     * WRITEABLE, so one lws_write per callback keeps frames whole and in order. */
    int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_BINARY);
    bool short_write = n < (int)m->len;
    out_unref(m);
    pss->last_active_us = now_us();
    if (short_write)
        return -1;
    if (pss->q_count)
        lws_callback_on_writable(wsi);
    return 0;
}

static void peer_of(struct lws *wsi, char *buf, size_t len)
{
    if (!lws_get_peer_simple(wsi, buf, len))
        snprintf(buf, len, "?");
}

/* A WebSocket upgrade: refuse it (return 1) when its peer already has max_sessions_per_peer
 * live sessions; at max_connections, close the session idle longest to make room. */
static int admit(cw_rpc_server *srv, struct lws *wsi)
{
    char peer[64];
    uint32_t live = 0, same = 0;
    struct pss *idlest = NULL;

    peer_of(wsi, peer, sizeof peer);
    for (struct pss *p = srv->vhd ? srv->vhd->sessions : NULL; p; p = p->next) {
        if (!session_live(p))
            continue;
        live++;
        if (strcmp(p->peer, peer) == 0)
            same++;
        if (!idlest || p->last_active_us <= idlest->last_active_us) /* list: newest first */
            idlest = p;
    }
    if (same >= srv->cfg.max_sessions_per_peer) {
        srv->st.sessions_refused_per_peer++;
        cw_log(CW_LOG_WARN,
               "rpc: refusing connection: peer %s already has %" PRIu32
               " sessions (max_sessions_per_peer=%" PRIu32 ") port=%d",
               peer, same, srv->cfg.max_sessions_per_peer, srv->port);
        return 1;
    }
    if (live >= srv->cfg.max_connections && idlest) {
        srv->st.sessions_evicted++;
        cw_log(CW_LOG_WARN,
               "rpc: evicting the idlest session peer=%s idle_ms=%" PRIu64
               " to admit peer=%s: max_connections=%" PRIu32 " port=%d",
               idlest->peer, (now_us() - idlest->last_active_us) / 1000, peer,
               srv->cfg.max_connections, srv->port);
        kill_session(srv, idlest);
    }
    return 0;
}

/* Every sweep_ms: close sessions with no traffic for idle_timeout_s. */
static void idle_sweep(lws_sorted_usec_list_t *sul)
{
    cw_rpc_server *srv = lws_container_of(sul, cw_rpc_server, sweep);
    uint64_t now = now_us();
    for (struct pss *p = srv->vhd ? srv->vhd->sessions : NULL; p; p = p->next) {
        if (!session_live(p) || now - p->last_active_us < srv->idle_ms * 1000)
            continue;
        srv->st.sessions_timed_out++;
        cw_log(CW_LOG_INFO, "rpc: closing idle session peer=%s idle_ms=%" PRIu64 " port=%d",
               p->peer, (now - p->last_active_us) / 1000, srv->port);
        kill_session(srv, p);
    }
    lws_sul_schedule(srv->ctx, 0, &srv->sweep, idle_sweep,
                     (lws_usec_t)srv->sweep_ms * LWS_US_PER_MS);
}

static int cb_rpc(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    struct pss *pss = user;
    struct vhd *vhd = lws_protocol_vh_priv_get(lws_get_vhost(wsi), lws_get_protocol(wsi));
    cw_rpc_server *srv = vhd ? vhd->srv : NULL;

    switch (reason) {
    case LWS_CALLBACK_PROTOCOL_INIT:
        vhd = lws_protocol_vh_priv_zalloc(lws_get_vhost(wsi), lws_get_protocol(wsi),
                                          sizeof *vhd);
        if (!vhd)
            return -1;
        vhd->srv = lws_context_user(lws_get_context(wsi));
        vhd->srv->vhd = vhd;
        return 0;
    case LWS_CALLBACK_PROTOCOL_DESTROY:
        if (srv)
            srv->vhd = NULL;
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return srv ? admit(srv, wsi) : 0;
    case LWS_CALLBACK_ESTABLISHED:
        if (!srv || !pss)
            return -1;
        free(pss->http_buf);
        memset(pss, 0, sizeof *pss);
        pss->kind = PSS_WS;
        pss->wsi = wsi;
        pss->last_active_us = now_us();
        peer_of(wsi, pss->peer, sizeof pss->peer);
        pss->q = calloc(srv->cfg.max_queue_frames, sizeof *pss->q);
        if (!pss->q)
            return -1;
        pss->next = vhd->sessions;
        if (vhd->sessions)
            vhd->sessions->prev = pss;
        vhd->sessions = pss;
        pss->linked = true;
        srv->st.connections_total++;
        srv->st.connections_open++;
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (srv && pss && pss->kind == PSS_WS)
            pss_free(srv, vhd, pss);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (!srv || !pss || pss->kind != PSS_WS)
            return -1;
        return on_receive(srv, wsi, pss, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!srv || !pss || pss->kind != PSS_WS)
            return 0;
        return on_writeable(srv, wsi, pss);
    case LWS_CALLBACK_HTTP:
        if (!srv || !pss)
            return -1;
        return on_http(srv, wsi, pss, in ? (const char *)in : "");
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!pss || !pss->http_buf)
            break;
        int n = lws_write(wsi, pss->http_buf + LWS_PRE, pss->http_len, LWS_WRITE_HTTP_FINAL);
        free(pss->http_buf);
        pss->http_buf = NULL;
        if (n < (int)pss->http_len)
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss && pss->kind == PSS_HTTP) {
            free(pss->http_buf);
            pss->http_buf = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- public API ----------------------------------------------------------------------- */

/* Bind a throwaway socket to addr:port first, so a busy port or a foreign address gives its
 * real errno (lws only says "failed"), and because a failed lws_create_context leaks inside
 * lws 4.1.6. addr must be an IP literal. Returns CW_OK, CW_EINVAL (not a literal) or -errno. */
static int preflight_bind(const char *addr, int port)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        sl = sizeof *s4;
    } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        sl = sizeof *s6;
    } else {
        return CW_EINVAL;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1, rc = CW_OK;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

int cw_rpc_server_create(cw_rpc_server **out, const cw_rpc_server_config *cfg, char *err,
                         size_t err_len)
{
    struct lws_context_creation_info info;
    cw_rpc_server *srv;

    *out = NULL;
    if (err && err_len)
        err[0] = '\0';
    if (cfg->port < 0 || cfg->port > 65535)
        return cw_errf(err, err_len, CW_EINVAL, "rpc server: port %d out of range 0..65535",
                       cfg->port);
    const char *addr = cfg->listen_addr ? cfg->listen_addr : "127.0.0.1";
    if (strlen(addr) == 0 || strlen(addr) >= 64)
        return cw_errf(err, err_len, CW_EINVAL, "rpc server: listen address '%s' invalid", addr);
    int prc = preflight_bind(addr, cfg->port);
    if (prc == CW_EINVAL)
        return cw_errf(err, err_len, CW_EINVAL,
                       "rpc server: listen address '%s' is not an IPv4 or IPv6 address", addr);
    if (prc != CW_OK)
        return cw_errf(err, err_len, prc, "rpc server: cannot listen on %s:%d (%s)", addr,
                       cfg->port, cw_strerror(prc));
    srv = calloc(1, sizeof *srv);
    if (!srv)
        return cw_errf(err, err_len, -ENOMEM, "rpc server: out of memory");
    srv->cfg = *cfg;
    snprintf(srv->listen_addr, sizeof srv->listen_addr, "%s", addr);
    srv->cfg.listen_addr = srv->listen_addr;
    if (!srv->cfg.max_frame)
        srv->cfg.max_frame = CW_RPC_MAX_FRAME_DEFAULT;
    if (!srv->cfg.max_queue_frames)
        srv->cfg.max_queue_frames = 1024;
    if (!srv->cfg.max_queue_bytes)
        srv->cfg.max_queue_bytes = 4 * srv->cfg.max_frame;
    if (!srv->cfg.max_connections)
        srv->cfg.max_connections = 256;
    if (!srv->cfg.max_sessions_per_peer)
        srv->cfg.max_sessions_per_peer = srv->cfg.max_connections < CW_RPC_PER_PEER_DEFAULT
                                             ? srv->cfg.max_connections
                                             : CW_RPC_PER_PEER_DEFAULT;
    if (!srv->cfg.idle_timeout_s)
        srv->cfg.idle_timeout_s = CW_RPC_IDLE_TIMEOUT_DEFAULT;
    if (!srv->cfg.handshake_timeout_s)
        srv->cfg.handshake_timeout_s = CW_RPC_HANDSHAKE_TIMEOUT_DEFAULT;
    if (!srv->cfg.ping_interval_s)
        srv->cfg.ping_interval_s = CW_RPC_PING_INTERVAL_DEFAULT;
    if (srv->cfg.idle_timeout_s > 86400 || srv->cfg.handshake_timeout_s > 3600 ||
        srv->cfg.ping_interval_s > 3600) {
        free(srv);
        return cw_errf(err, err_len, CW_EINVAL,
                       "rpc server: idle_timeout_s must be <= 86400, handshake_timeout_s and "
                       "ping_interval_s <= 3600");
    }
    srv->idle_ms = (uint64_t)srv->cfg.idle_timeout_s * 1000u;
    srv->sweep_ms = srv->idle_ms / 4 < 1000 ? (srv->idle_ms / 4 < 100 ? 100 : srv->idle_ms / 4)
                                            : 1000;
    /* lws 4.1 has no ws_ping_pong_interval: the vhost's idle policy sends a PING after
     * ping_interval_s without proof the peer is there and hangs up after twice that. */
    srv->idle_policy.secs_since_valid_ping = (uint16_t)srv->cfg.ping_interval_s;
    srv->idle_policy.secs_since_valid_hangup = (uint16_t)(2 * srv->cfg.ping_interval_s);
    if (srv->cfg.max_frame < 64 || srv->cfg.max_frame > (1u << 30) ||
        srv->cfg.max_queue_bytes < srv->cfg.max_frame) {
        free(srv);
        return cw_errf(err, err_len, CW_EINVAL,
                       "rpc server: max_frame must be 64..2^30 bytes and max_queue_bytes >= "
                       "max_frame");
    }
    srv->port = cfg->port;

    cw_rpc_route_lws_logs();
    srv->protocols[0] = (struct lws_protocols){
        .name = CW_RPC_SUBPROTOCOL,
        .callback = cb_rpc,
        .per_session_data_size = sizeof(struct pss),
        .rx_buffer_size = 16384,
        /* one send() per frame; lws buffers what the socket does not take */
        .tx_packet_size = srv->cfg.max_frame + 16,
    };
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.iface = srv->listen_addr;
    info.protocols = srv->protocols;
    info.user = srv;
    info.vhost_name = "causeway-rpc";
    /* an accepted socket holds a header table until its request (the WebSocket upgrade
     * included) is complete: timeout_secs_ah_idle bounds that (lws default 10 s);
     * timeout_secs bounds lws's other network round trips */
    info.timeout_secs_ah_idle = srv->cfg.handshake_timeout_s;
    info.timeout_secs = srv->cfg.handshake_timeout_s;
    info.retry_and_idle_policy = &srv->idle_policy;
    if (!strchr(srv->listen_addr, ':'))
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    errno = 0;
    srv->ctx = lws_create_context(&info);
    /* PROTOCOL_INIT (and so the per-vhost struct) may come only with the first service */
    if (srv->ctx)
        srv->vh = lws_get_vhost_by_name(srv->ctx, info.vhost_name);
    if (!srv->ctx || !srv->vh) {
        int e = errno ? -errno : -EIO;
        if (srv->ctx)
            lws_context_destroy(srv->ctx);
        free(srv);
        return cw_errf(err, err_len, e, "rpc server: cannot listen on %s:%d (%s)", addr,
                       cfg->port, cw_strerror(e));
    }
    srv->port = lws_get_vhost_listen_port(srv->vh);
    lws_sul_schedule(srv->ctx, 0, &srv->sweep, idle_sweep,
                     (lws_usec_t)srv->sweep_ms * LWS_US_PER_MS);
    cw_log(CW_LOG_INFO, "rpc: listening addr=%s port=%d", srv->listen_addr, srv->port);
    *out = srv;
    return CW_OK;
}

void cw_rpc_server_destroy(cw_rpc_server *srv)
{
    if (!srv)
        return;
    while (srv->timers) {
        struct timer *t = srv->timers;
        srv->timers = t->next;
        lws_sul_cancel(&t->sul);
        free(t);
    }
    srv->n_timers = 0;
    lws_sul_cancel(&srv->sweep);
    lws_context_destroy(srv->ctx); /* closes every connection: CLOSED frees their state */
    free(srv);
}

int cw_rpc_server_port(const cw_rpc_server *srv) { return srv->port; }

int cw_rpc_server_register(cw_rpc_server *srv, const char *name, cw_rpc_handler handler,
                           void *user)
{
    size_t len = strlen(name);
    if (cw_rpc_name_validate(name, len, NULL, 0) != CW_OK || strcmp(name, "subscribe") == 0 ||
        strcmp(name, "unsubscribe") == 0)
        return CW_EINVAL;
    for (unsigned i = 0; i < srv->n_methods; i++)
        if (strcmp(srv->methods[i].name, name) == 0)
            return CW_EEXISTS;
    if (srv->n_methods >= CW_RPC_MAX_METHODS)
        return CW_ETOOBIG;
    struct method *m = &srv->methods[srv->n_methods++];
    memcpy(m->name, name, len + 1);
    m->fn = handler;
    m->user = user;
    return CW_OK;
}

int cw_rpc_server_add_topic(cw_rpc_server *srv, const char *name)
{
    size_t len = strlen(name);
    if (cw_rpc_name_validate(name, len, NULL, 0) != CW_OK)
        return CW_EINVAL;
    if (find_topic(srv, name, len) >= 0)
        return CW_EEXISTS;
    if (srv->n_topics >= CW_RPC_MAX_TOPICS)
        return CW_ETOOBIG;
    memcpy(srv->topics[srv->n_topics++], name, len + 1);
    return CW_OK;
}

int cw_rpc_server_publish(cw_rpc_server *srv, const char *topic, const uint8_t *payload,
                          size_t payload_len)
{
    int i = find_topic(srv, topic, strlen(topic));
    if (i < 0)
        return CW_ENOTFOUND;
    if (cw_codec_prescan(payload, payload_len, NULL, 0) != CW_OK)
        return CW_EINVAL;
    if (!srv->vhd)
        return CW_OK;
    cw_enc e;
    cw_enc_init(&e);
    int rc = cw_rpc_encode_notification_one(&e, topic, payload, payload_len);
    if (rc == CW_OK && cw_enc_len(&e) > srv->cfg.max_frame)
        rc = CW_ETOOBIG;
    struct out_msg *m = rc == CW_OK ? out_new(cw_enc_data(&e), cw_enc_len(&e)) : NULL;
    cw_enc_free(&e);
    if (rc != CW_OK)
        return rc;
    if (!m)
        return -ENOMEM;
    for (struct pss *p = srv->vhd->sessions; p; p = p->next)
        if ((p->topics & (1u << i)) && enqueue(srv, p, m) == CW_OK)
            srv->st.notifications_total++;
    out_unref(m);
    return CW_OK;
}

static void timer_fire(lws_sorted_usec_list_t *sul)
{
    struct timer *t = lws_container_of(sul, struct timer, sul);
    cw_rpc_server *srv = t->srv;
    cw_rpc_timer_cb cb = t->cb;
    void *user = t->user;
    if (t->prev)
        t->prev->next = t->next;
    else
        srv->timers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    srv->n_timers--;
    free(t);
    cb(srv, user);
}

int cw_rpc_server_schedule(cw_rpc_server *srv, uint32_t delay_ms, cw_rpc_timer_cb cb, void *user)
{
    if (srv->n_timers >= CW_RPC_MAX_TIMERS)
        return CW_ETOOBIG;
    struct timer *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->srv = srv;
    t->cb = cb;
    t->user = user;
    t->next = srv->timers;
    if (srv->timers)
        srv->timers->prev = t;
    srv->timers = t;
    srv->n_timers++;
    lws_sul_schedule(srv->ctx, 0, &t->sul, timer_fire, (lws_usec_t)delay_ms * LWS_US_PER_MS);
    return CW_OK;
}

int cw_rpc_server_run(cw_rpc_server *srv, volatile sig_atomic_t *stop)
{
    while (!*stop)
        if (lws_service(srv->ctx, 0) < 0)
            return -EIO;
    return CW_OK;
}

void cw_rpc_server_wake(cw_rpc_server *srv)
{
    int saved = errno; /* callable from a signal handler: leave errno as it was */
    lws_cancel_service(srv->ctx);
    errno = saved;
}

void cw_rpc_server_get_stats(const cw_rpc_server *srv, cw_rpc_server_stats *out)
{
    *out = srv->st;
}

/* ---- a server on its own thread ---------------------------------------------------- */

struct cw_rpc_server_thread {
    cw_rpc_server *srv;
    pthread_t thr;
    volatile sig_atomic_t stop;
};

static void *server_thread_run(void *u)
{
    cw_rpc_server_thread *t = u;
    if (cw_rpc_server_run(t->srv, &t->stop) != CW_OK)
        cw_log(CW_LOG_ERROR, "rpc: server thread stopped: lws service failed port=%d",
               cw_rpc_server_port(t->srv));
    return NULL;
}

int cw_rpc_server_thread_start(cw_rpc_server_thread **out, const cw_rpc_server_config *cfg,
                               char *err, size_t err_len)
{
    *out = NULL;
    cw_rpc_server_thread *t = calloc(1, sizeof *t);
    if (!t)
        return cw_errf(err, err_len, -ENOMEM, "out of memory");
    int rc = cw_rpc_server_create(&t->srv, cfg, err, err_len);
    if (rc) {
        free(t);
        return rc;
    }
    if (pthread_create(&t->thr, NULL, server_thread_run, t) != 0) {
        cw_rpc_server_destroy(t->srv);
        free(t);
        return cw_errf(err, err_len, -EAGAIN, "rpc: no thread for the server");
    }
    *out = t;
    return CW_OK;
}

int cw_rpc_server_thread_port(const cw_rpc_server_thread *t) { return cw_rpc_server_port(t->srv); }

void cw_rpc_server_thread_stop(cw_rpc_server_thread *t)
{
    if (!t)
        return;
    t->stop = 1;
    cw_rpc_server_wake(t->srv);
    pthread_join(t->thr, NULL);
    cw_rpc_server_destroy(t->srv);
    free(t);
}
