/* MessagePack-RPC client: one lws client context per client, serviced inside the calls;
 * requests may be pipelined (cw_rpc_call_send / cw_rpc_call_take). See
 * include/causeway/rpc_client.h. */
#include "causeway/rpc_client.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "causeway/log.h"

#define OUT_MAX 2048            /* outbound frames waiting for lws (pipelined requests) */
#define OUT_BYTES (64u << 20)   /* ... and their bytes */
#define RESP_BYTES (64u << 20)  /* responses arrived but not yet taken, in bytes */

/* One outstanding request (slot msgid % CW_RPC_CLIENT_MAX_PENDING): its response, once it
 * has arrived, waits here until cw_rpc_call_take. */
struct pending {
    bool used;
    uint32_t msgid;
    uint8_t *resp; /* the whole response frame, NULL until it arrives */
    size_t resp_len;
    size_t res_off; /* where its result starts (found on arrival); 0: an error response */
};

struct inframe {
    struct inframe *next;
    int kind;
    size_t len;
    uint8_t *data; /* the receive buffer the frame arrived in, handed over */
    char topic[CW_RPC_METHOD_MAX + 1]; /* a notification's method ... */
    size_t pl_off;                      /* ... and where its payload starts */
};

struct outframe {
    struct outframe *next;
    bool text;
    size_t len;
    uint8_t buf[]; /* LWS_PRE headroom, then len bytes (masked in place by lws) */
};

struct cw_rpc_client {
    struct lws_context *ctx;
    struct lws *wsi;
    struct lws_protocols protocols[2];
    cw_rpc_url url;
    char host_hdr[CW_RPC_URL_MAX + 3];
    bool established, closed;
    int close_rc;        /* why it closed: CW_ECLOSED, or a decode error */
    char close_why[256]; /* one line */
    /* receive */
    cw_rpc_rxbuf rx; /* the message being received */
    /* outbound */
    struct outframe *out_head, *out_tail;
    unsigned out_count;
    size_t out_bytes;
    /* inbound queue: notifications and responses nobody waited for */
    struct inframe *in_head, *in_tail;
    unsigned in_count;
    size_t in_bytes;
    /* outstanding requests; the one being waited for */
    struct pending pend[CW_RPC_CLIENT_MAX_PENDING];
    unsigned n_pend;
    size_t resp_bytes;
    uint32_t next_msgid;
    const struct pending *wait_slot;
    /* deadline */
    lws_sorted_usec_list_t sul;
    bool timed_out;
};

/* ---- URL ------------------------------------------------------------------------------ */

static bool is_ipv6_char(char c) { return isxdigit((unsigned char)c) || c == ':' || c == '.'; }

int cw_rpc_url_parse(cw_rpc_url *out, const char *url, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(url);
    if (n > CW_RPC_URL_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "url: %zu bytes exceed the limit of %d", n,
                       CW_RPC_URL_MAX);
    if (strncmp(url, "wss://", 6) == 0)
        return cw_errf(err, err_len, CW_EUNSUPPORTED,
                       "url '%s': wss:// (TLS) is not supported; use ws://", url);
    if (strncmp(url, "ws://", 5) != 0)
        return cw_errf(err, err_len, CW_EINVAL, "url '%s': scheme must be ws://", url);
    const char *p = url + 5, *h0, *h1;
    if (*p == '[') {
        h0 = ++p;
        while (*p && *p != ']')
            if (!is_ipv6_char(*p++))
                return cw_errf(err, err_len, CW_EINVAL, "url '%s': bad IPv6 literal", url);
        if (*p != ']' || p == h0)
            return cw_errf(err, err_len, CW_EINVAL, "url '%s': bad IPv6 literal", url);
        h1 = p++;
    } else {
        h0 = p;
        while (*p && *p != ':' && *p != '/') {
            char c = *p;
            if (!(isalnum((unsigned char)c) || c == '.' || c == '-'))
                return cw_errf(err, err_len, CW_EINVAL,
                               "url '%s': host: character '%c' not allowed%s", url,
                               isprint((unsigned char)c) ? c : '?',
                               c == '@' ? " (no userinfo)" : "");
            if (c == '-' && (p == h0 || p[-1] == '.'))
                return cw_errf(err, err_len, CW_EINVAL,
                               "url '%s': host: a label may not start with '-'", url);
            p++;
        }
        h1 = p;
        if (h1 == h0)
            return cw_errf(err, err_len, CW_EINVAL, "url '%s': host is missing", url);
    }
    memcpy(out->host, h0, (size_t)(h1 - h0));
    if (*p != ':')
        return cw_errf(err, err_len, CW_EINVAL, "url '%s': port is missing (ws://HOST:PORT)",
                       url);
    p++;
    long port = 0;
    const char *d0 = p;
    while (isdigit((unsigned char)*p) && p - d0 < 6)
        port = port * 10 + (*p++ - '0');
    if (p == d0 || (*p && *p != '/') || port < 1 || port > 65535 || *d0 == '0')
        return cw_errf(err, err_len, CW_EINVAL,
                       "url '%s': port must be a decimal number 1..65535", url);
    out->port = (int)port;
    if (!*p) {
        strcpy(out->path, "/");
        return CW_OK;
    }
    for (const char *q = p; *q; q++)
        if (*q <= 0x20 || *q >= 0x7f || *q == '?' || *q == '#')
            return cw_errf(err, err_len, CW_EINVAL,
                           "url '%s': path: byte 0x%02x not allowed (no query or fragment)",
                           url, (unsigned char)*q);
    snprintf(out->path, sizeof out->path, "%s", p);
    return CW_OK;
}

/* ---- queues --------------------------------------------------------------------------- */

/* Record why the connection is (about to be) closed; the first reason wins. */
static void set_closed(cw_rpc_client *cl, int rc, const char *why, const char *detail)
{
    if (cl->closed)
        return;
    cl->closed = true;
    cl->close_rc = rc;
    size_t n = 0, cap = sizeof cl->close_why - 1;
    for (const char *parts[2] = {why, detail ? detail : ""}, **q = parts; q < parts + 2; q++)
        for (const char *c = *q; *c && n < cap; c++)
            cl->close_why[n++] = *c;
    cl->close_why[n] = '\0';
}

static int closed_err(const cw_rpc_client *cl, char *err, size_t err_len)
{
    return cw_errf(err, err_len, cl->close_rc ? cl->close_rc : CW_ECLOSED, "%s:%d: %s",
                   cl->url.host, cl->url.port,
                   cl->close_why[0] ? cl->close_why : "connection closed");
}

/* The receive buffer holding the frame just completed, handed over to its keeper (a
 * pending response or the inbound queue) rather than copied: a large answer then lives in
 * one buffer, and the next frame starts a fresh one sized to what it receives. */
static uint8_t *take_rx(cw_rpc_client *cl)
{
    uint8_t *b = cl->rx.buf;
    if (b && cl->rx.cap - cl->rx.len > 4096) { /* growth slack (up to half) goes back */
        uint8_t *nb = realloc(b, cl->rx.len ? cl->rx.len : 1);
        if (nb)
            b = nb;
    }
    cl->rx.buf = NULL;
    cl->rx.cap = 0;
    return b;
}

static void free_inframe(struct inframe *f)
{
    if (f)
        free(f->data);
    free(f);
}

/* queue the frame in the receive buffer (taken over on success); a notification's topic
 * and payload offset come along */
static void in_push(cw_rpc_client *cl, int kind, size_t len, const char *topic, size_t pl_off)
{
    if (cl->in_count >= CW_RPC_CLIENT_QUEUE_FRAMES ||
        len > CW_RPC_CLIENT_QUEUE_BYTES - cl->in_bytes) {
        set_closed(cl, CW_ECLOSED, "notification queue full: closed rather than drop frames", NULL);
        cw_log(CW_LOG_WARN, "rpc client: notification queue full, closing host=%s port=%d",
               cl->url.host, cl->url.port);
        return;
    }
    struct inframe *f = malloc(sizeof *f);
    if (!f) {
        set_closed(cl, -ENOMEM, "out of memory queueing a frame", NULL);
        return;
    }
    f->next = NULL;
    f->kind = kind;
    f->len = len;
    f->pl_off = pl_off;
    snprintf(f->topic, sizeof f->topic, "%s", topic);
    f->data = take_rx(cl);
    if (cl->in_tail)
        cl->in_tail->next = f;
    else
        cl->in_head = f;
    cl->in_tail = f;
    cl->in_count++;
    cl->in_bytes += len;
}

static struct inframe *in_pop(cw_rpc_client *cl)
{
    struct inframe *f = cl->in_head;
    if (!f)
        return NULL;
    cl->in_head = f->next;
    if (!cl->in_head)
        cl->in_tail = NULL;
    cl->in_count--;
    cl->in_bytes -= f->len;
    return f;
}

static int out_push(cw_rpc_client *cl, const uint8_t *p, size_t len, bool text)
{
    if (cl->out_count >= OUT_MAX || len > OUT_BYTES - cl->out_bytes)
        return CW_ETOOBIG;
    struct outframe *o = malloc(sizeof *o + LWS_PRE + len);
    if (!o)
        return -ENOMEM;
    o->next = NULL;
    o->text = text;
    o->len = len;
    if (len)
        memcpy(o->buf + LWS_PRE, p, len);
    if (cl->out_tail)
        cl->out_tail->next = o;
    else
        cl->out_head = o;
    cl->out_tail = o;
    cl->out_count++;
    cl->out_bytes += len;
    if (cl->wsi)
        lws_callback_on_writable(cl->wsi);
    return CW_OK;
}

/* ---- receive -------------------------------------------------------------------------- */

/* Bytes of the array header at buf[off] (the three MessagePack array encodings); 0 if
 * none is there. */
static size_t array_header_len(const uint8_t *buf, size_t len, size_t off)
{
    if (off >= len)
        return 0;
    if ((buf[off] & 0xf0) == 0x90)
        return 1;
    return buf[off] == 0xdc ? 3 : buf[off] == 0xdd ? 5 : 0;
}

/* The offset just past the first n elements of the array that starts at buf[off], in a
 * frame that already decoded whole (so every element is complete): what follows is the
 * next element's encoding. Lets a result or a notification's payload be handed out as a
 * slice of the frame instead of being decoded and encoded again. 0 on a malformed
 * buffer (cannot happen for a frame that decoded). */
static size_t skip_elements(const uint8_t *buf, size_t len, size_t off, unsigned n)
{
    size_t h = array_header_len(buf, len, off);
    if (!h)
        return 0;
    off += h;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    for (unsigned i = 0; i < n; i++)
        if (msgpack_unpack_next(&u, (const char *)buf, len, &off) != MSGPACK_UNPACK_SUCCESS) {
            off = 0;
            break;
        }
    msgpack_unpacked_destroy(&u);
    return off;
}

/* Move buf[off, len) to the front: the caller's copy of one element, in place. */
static uint8_t *slice_front(uint8_t *buf, size_t len, size_t off, size_t *out_len)
{
    memmove(buf, buf + off, len - off);
    *out_len = len - off;
    return buf;
}

static int on_frame(cw_rpc_client *cl)
{
    char err[256];
    cw_dec d;
    cw_rpc_frame f;

    if (cl->rx.text) {
        cw_log(CW_LOG_WARN, "rpc client: ignoring a text frame from the server host=%s port=%d",
               cl->url.host, cl->url.port);
        return 0;
    }
    int rc =
        cw_rpc_decode(&d, &f, cl->rx.buf, cl->rx.len, CW_RPC_MAX_FRAME_DEFAULT, err, sizeof err);
    if (rc != CW_OK) {
        cw_dec_close(&d);
        set_closed(cl, rc, "server sent an undecodable frame: ", err);
        return -1;
    }
    if (f.kind == CW_RPC_REQUEST) {
        cw_log(CW_LOG_WARN, "rpc client: ignoring a request from the server method=%s", f.method);
    } else if (f.kind == CW_RPC_RESPONSE && f.has_msgid &&
               cl->pend[f.msgid % CW_RPC_CLIENT_MAX_PENDING].used &&
               cl->pend[f.msgid % CW_RPC_CLIENT_MAX_PENDING].msgid == f.msgid &&
               !cl->pend[f.msgid % CW_RPC_CLIENT_MAX_PENDING].resp) {
        struct pending *pd = &cl->pend[f.msgid % CW_RPC_CLIENT_MAX_PENDING];
        if (cl->rx.len > RESP_BYTES - cl->resp_bytes) {
            cw_dec_close(&d);
            set_closed(cl, CW_ECLOSED, "responses not taken exceed the buffer: closed rather "
                                       "than drop them", NULL);
            return -1;
        }
        /* [1, msgid, nil, result]: the result is the rest of the frame, found once here */
        pd->res_off = f.is_error ? 0 : skip_elements(cl->rx.buf, cl->rx.len, 0, 3);
        pd->resp_len = cl->rx.len;
        pd->resp = take_rx(cl);
        cl->resp_bytes += pd->resp_len;
    } else if (f.kind == CW_RPC_NOTIFICATION) {
        /* [2, method, params]: the payload (params, or its one element) is the rest */
        size_t off = skip_elements(cl->rx.buf, cl->rx.len, 0, 2);
        if (off && f.params->via.array.size == 1)
            off += array_header_len(cl->rx.buf, cl->rx.len, off);
        in_push(cl, f.kind, cl->rx.len, f.method, off);
    } else {
        in_push(cl, f.kind, cl->rx.len, "", 0);
    }
    cw_dec_close(&d);
    return cl->closed ? -1 : 0;
}

static int on_receive(cw_rpc_client *cl, struct lws *wsi, const void *in, size_t len)
{
    int rc = cw_rpc_rxbuf_append(&cl->rx, in, len, lws_remaining_packet_payload(wsi),
                                 CW_RPC_MAX_FRAME_DEFAULT, !lws_frame_is_binary(wsi));
    if (rc == CW_ETOOBIG) {
        set_closed(cl, CW_ETOOBIG, "server sent a frame over the frame limit", NULL);
        return -1;
    }
    if (rc) {
        set_closed(cl, -ENOMEM, "out of memory", NULL);
        return -1;
    }
    if (!lws_is_final_fragment(wsi))
        return 0;
    cl->rx.started = false;
    int r = on_frame(cl);
    cl->rx.len = 0;
    return r;
}

static int cb_client(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    cw_rpc_client *cl = lws_context_user(lws_get_context(wsi));
    char why[200];

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (cl) {
            set_closed(cl, CW_ECLOSED, "connection failed: ", in ? (const char *)in : "?");
            cl->wsi = NULL;
        }
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (cl) {
            cl->established = true;
            if (cl->out_head)
                lws_callback_on_writable(wsi);
        }
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (cl && len >= 2) {
            const uint8_t *b = in;
            snprintf(why, sizeof why, "%u %.*s", (unsigned)(b[0] << 8 | b[1]),
                     (int)(len - 2 > 120 ? 120 : len - 2), (const char *)b + 2);
            set_closed(cl, CW_ECLOSED, "server closed the connection: ", why);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (cl) {
            set_closed(cl, CW_ECLOSED, "connection closed", NULL);
            cl->wsi = NULL;
        }
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (cl && cl->wsi == wsi)
            cl->wsi = NULL;
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!cl || cl->closed)
            return -1;
        return on_receive(cl, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (!cl || cl->closed)
            return -1;
        struct outframe *o = cl->out_head;
        if (!o)
            return 0;
        cl->out_head = o->next;
        if (!cl->out_head)
            cl->out_tail = NULL;
        cl->out_count--;
        cl->out_bytes -= o->len;
        int n = lws_write(wsi, o->buf + LWS_PRE, o->len, o->text ? LWS_WRITE_TEXT
                                                                  : LWS_WRITE_BINARY);
        bool short_write = n < (int)o->len;
        free(o);
        if (short_write) {
            set_closed(cl, CW_ECLOSED, "write failed", NULL);
            return -1;
        }
        if (cl->out_head)
            lws_callback_on_writable(wsi);
        return 0;
    }
    default:
        break;
    }
    (void)user;
    return 0;
}

/* ---- servicing with a deadline -------------------------------------------------------- */

static void deadline_cb(lws_sorted_usec_list_t *sul)
{
    cw_rpc_client *cl = lws_container_of(sul, cw_rpc_client, sul);
    cl->timed_out = true;
    /* Stay armed until the waiter cancels us, so lws never sleeps without a wake-up while a
     * wait is in progress (lws may service a ripe timer just before it polls). */
    lws_sul_schedule(cl->ctx, 0, &cl->sul, deadline_cb, 1000);
}

typedef bool (*done_fn)(const cw_rpc_client *cl);

/* Service until done(cl), the connection closes, or timeout_ms passes.
 * Returns CW_OK (done), CW_ETIMEOUT, or CW_ECLOSED. */
static int service_until(cw_rpc_client *cl, done_fn done, uint32_t timeout_ms)
{
    if (done(cl))
        return CW_OK;
    if (cl->closed || !cl->ctx)
        return CW_ECLOSED;
    cl->timed_out = false;
    lws_sul_schedule(cl->ctx, 0, &cl->sul, deadline_cb, (lws_usec_t)timeout_ms * LWS_US_PER_MS);
    int rc = CW_ETIMEOUT;
    for (;;) {
        if (done(cl)) {
            rc = CW_OK;
            break;
        }
        if (cl->closed) {
            rc = CW_ECLOSED;
            break;
        }
        if (cl->timed_out)
            break;
        if (lws_service(cl->ctx, 0) < 0) {
            set_closed(cl, CW_ECLOSED, "lws_service failed", NULL);
            rc = CW_ECLOSED;
            break;
        }
    }
    lws_sul_cancel(&cl->sul);
    return rc;
}

static bool done_established(const cw_rpc_client *cl) { return cl->established; }
static bool done_response(const cw_rpc_client *cl) { return cl->wait_slot->resp != NULL; }
static bool done_inbound(const cw_rpc_client *cl) { return cl->in_head != NULL; }
static bool done_sent(const cw_rpc_client *cl) { return cl->out_head == NULL; }
static bool done_never(const cw_rpc_client *cl) { (void)cl; return false; }

/* ---- public API ----------------------------------------------------------------------- */

int cw_rpc_client_connect(cw_rpc_client **out, const char *url, uint32_t timeout_ms, char *err,
                          size_t err_len)
{
    *out = NULL;
    if (err && err_len)
        err[0] = '\0';
    cw_rpc_client *cl = calloc(1, sizeof *cl);
    if (!cl)
        return cw_errf(err, err_len, -ENOMEM, "rpc client: out of memory");
    int rc = cw_rpc_url_parse(&cl->url, url, err, err_len);
    if (rc != CW_OK) {
        free(cl);
        return rc;
    }
    if (timeout_ms == 0) {
        free(cl);
        return cw_errf(err, err_len, CW_EINVAL, "rpc client: timeout_ms must be > 0");
    }
    if (strchr(cl->url.host, ':'))
        snprintf(cl->host_hdr, sizeof cl->host_hdr, "[%s]", cl->url.host);
    else
        snprintf(cl->host_hdr, sizeof cl->host_hdr, "%s", cl->url.host);

    cw_rpc_route_lws_logs();
    cl->protocols[0] = (struct lws_protocols){
        .name = CW_RPC_SUBPROTOCOL,
        .callback = cb_client,
        .rx_buffer_size = 16384,
        .tx_packet_size = CW_RPC_MAX_FRAME_DEFAULT + 16,
    };
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = cl->protocols;
    info.user = cl;
    cl->ctx = lws_create_context(&info);
    if (!cl->ctx) {
        free(cl);
        return cw_errf(err, err_len, -ENOMEM, "rpc client: cannot create the lws context");
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = cl->ctx;
    ci.address = cl->url.host;
    ci.port = cl->url.port;
    ci.path = cl->url.path;
    ci.host = cl->host_hdr;
    ci.origin = cl->host_hdr;
    ci.protocol = CW_RPC_SUBPROTOCOL;
    ci.pwsi = &cl->wsi;
    if (!lws_client_connect_via_info(&ci))
        set_closed(cl, CW_ECLOSED, "connection failed", NULL);
    rc = service_until(cl, done_established, timeout_ms);
    if (rc != CW_OK) {
        if (rc == CW_ETIMEOUT)
            cw_errf(err, err_len, rc, "%s: no WebSocket handshake within %u ms", url, timeout_ms);
        else
            closed_err(cl, err, err_len);
        if (rc == CW_ECLOSED && cl->close_rc)
            rc = cl->close_rc;
        cw_rpc_client_close(cl);
        return rc;
    }
    *out = cl;
    return CW_OK;
}

void cw_rpc_client_close(cw_rpc_client *cl)
{
    if (!cl)
        return;
    if (cl->ctx)
        lws_context_destroy(cl->ctx); /* callbacks run with cl still valid */
    cl->ctx = NULL;
    struct inframe *f;
    while ((f = in_pop(cl)))
        free_inframe(f);
    while (cl->out_head) {
        struct outframe *o = cl->out_head;
        cl->out_head = o->next;
        free(o);
    }
    free(cl->rx.buf);
    for (unsigned i = 0; i < CW_RPC_CLIENT_MAX_PENDING; i++)
        free(cl->pend[i].resp);
    free(cl);
}

int cw_rpc_call_send(cw_rpc_client *cl, const char *method, const uint8_t *params,
                     size_t params_len, uint32_t *msgid, char *err, size_t err_len)
{
    *msgid = 0;
    if (err && err_len)
        err[0] = '\0';
    if (cl->closed)
        return closed_err(cl, err, err_len);
    if (cl->n_pend >= CW_RPC_CLIENT_MAX_PENDING)
        return cw_errf(err, err_len, CW_ETOOBIG, "rpc call %s: %u requests already outstanding",
                       method, cl->n_pend);
    uint32_t id = ++cl->next_msgid; /* a free slot exists: the loop ends within the table */
    while (cl->pend[id % CW_RPC_CLIENT_MAX_PENDING].used)
        id = ++cl->next_msgid;
    cw_enc e;
    cw_enc_init(&e);
    int rc = cw_rpc_encode_request(&e, id, method, params, params_len);
    if (rc != CW_OK) {
        cw_enc_free(&e);
        return cw_errf(err, err_len, rc == -ENOMEM ? rc : CW_EINVAL,
                       "rpc call %s: bad method name or params not one msgpack array", method);
    }
    if (cw_enc_len(&e) > CW_RPC_MAX_FRAME_DEFAULT) {
        size_t n = cw_enc_len(&e);
        cw_enc_free(&e);
        return cw_errf(err, err_len, CW_ETOOBIG, "rpc call %s: request of %zu bytes exceeds %u",
                       method, n, CW_RPC_MAX_FRAME_DEFAULT);
    }
    rc = out_push(cl, cw_enc_data(&e), cw_enc_len(&e), false);
    cw_enc_free(&e);
    if (rc != CW_OK)
        return cw_errf(err, err_len, rc, "rpc call %s: cannot queue the request%s", method,
                       rc == CW_ETOOBIG ? " (outbound queue full)" : "");
    struct pending *pd = &cl->pend[id % CW_RPC_CLIENT_MAX_PENDING];
    *pd = (struct pending){.used = true, .msgid = id};
    cl->n_pend++;
    *msgid = id;
    return CW_OK;
}

static struct pending *pending_of(cw_rpc_client *cl, uint32_t msgid)
{
    struct pending *pd = &cl->pend[msgid % CW_RPC_CLIENT_MAX_PENDING];
    return pd->used && pd->msgid == msgid ? pd : NULL;
}

void cw_rpc_call_forget(cw_rpc_client *cl, uint32_t msgid)
{
    struct pending *pd = pending_of(cl, msgid);
    if (!pd)
        return;
    cl->resp_bytes -= pd->resp_len;
    free(pd->resp);
    *pd = (struct pending){0};
    cl->n_pend--;
}

int cw_rpc_call_take(cw_rpc_client *cl, uint32_t msgid, uint8_t **result, size_t *result_len,
                     uint32_t timeout_ms, char *err, size_t err_len)
{
    *result = NULL;
    *result_len = 0;
    if (err && err_len)
        err[0] = '\0';
    struct pending *pd = pending_of(cl, msgid);
    if (!pd)
        return cw_errf(err, err_len, CW_ENOTFOUND, "rpc: request %u is not outstanding", msgid);
    if (!pd->resp) {
        cl->wait_slot = pd;
        int rc = service_until(cl, done_response, timeout_ms);
        cl->wait_slot = NULL;
        if (rc == CW_ETIMEOUT)
            return cw_errf(err, err_len, rc, "rpc request %u: no response within %u ms", msgid,
                           timeout_ms);
        if (rc != CW_OK)
            return closed_err(cl, err, err_len);
    }
    int rc = CW_OK;
    if (pd->res_off) { /* a result: handed over without decoding the frame again */
        cl->resp_bytes -= pd->resp_len;
        *result = slice_front(pd->resp, pd->resp_len, pd->res_off, result_len);
        pd->resp = NULL;
        pd->resp_len = 0;
    } else { /* an error: its code and message, from the (small) frame */
        cw_dec d;
        cw_rpc_frame f;
        char derr[256];
        rc = cw_rpc_decode(&d, &f, pd->resp, pd->resp_len, CW_RPC_MAX_FRAME_DEFAULT, derr,
                           sizeof derr);
        if (rc != CW_OK || !f.is_error) { /* cannot happen: it decoded on arrival */
            rc = cw_errf(err, err_len, rc ? rc : CW_EMALFORMED, "rpc response: %s",
                         rc ? derr : "malformed");
        } else {
            rc = f.err_code < 0 ? f.err_code : CW_EINVAL;
            cw_errf(err, err_len, rc, "%.*s", (int)f.err_msg_len, f.err_msg);
            if (f.err_code >= 0)
                cw_log(CW_LOG_WARN, "rpc client: server sent non-negative error code %d",
                       (int)f.err_code);
        }
        cw_dec_close(&d);
    }
    cw_rpc_call_forget(cl, msgid);
    return rc;
}

int cw_rpc_call(cw_rpc_client *cl, const char *method, const uint8_t *params, size_t params_len,
                uint8_t **result, size_t *result_len, uint32_t timeout_ms, char *err,
                size_t err_len)
{
    *result = NULL;
    *result_len = 0;
    if (timeout_ms == 0)
        return cw_errf(err, err_len, CW_EINVAL, "rpc call: timeout_ms must be > 0");
    uint32_t id;
    int rc = cw_rpc_call_send(cl, method, params, params_len, &id, err, err_len);
    if (rc != CW_OK)
        return rc;
    rc = cw_rpc_call_take(cl, id, result, result_len, timeout_ms, err, err_len);
    cw_rpc_call_forget(cl, id); /* taken already, or timed out: a late response is discarded */
    if (rc == CW_ETIMEOUT)
        return cw_errf(err, err_len, rc, "rpc call %s: no response within %u ms", method,
                       timeout_ms);
    return rc;
}

int cw_rpc_subscribe(cw_rpc_client *cl, const char *topic, uint32_t timeout_ms, char *err,
                     size_t err_len)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 1);
    cw_enc_cstr(&e, topic);
    if (e.rc) {
        cw_enc_free(&e);
        return cw_errf(err, err_len, e.rc, "subscribe: out of memory");
    }
    uint8_t *res = NULL;
    size_t res_len = 0;
    int rc = cw_rpc_call(cl, "subscribe", cw_enc_data(&e), cw_enc_len(&e), &res, &res_len,
                         timeout_ms, err, err_len);
    cw_enc_free(&e);
    free(res);
    return rc;
}

/* Wait for and pop the next inbound frame; *f is malloc'd (free it). */
static int next_inbound(cw_rpc_client *cl, struct inframe **f, uint32_t timeout_ms, char *err,
                        size_t err_len)
{
    *f = NULL;
    if (!cl->in_head && !cl->closed) {
        int rc = service_until(cl, done_inbound, timeout_ms);
        if (rc == CW_ETIMEOUT)
            return cw_errf(err, err_len, rc, "no frame within %u ms", timeout_ms);
    }
    *f = in_pop(cl);
    if (!*f)
        return closed_err(cl, err, err_len);
    return CW_OK;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int cw_rpc_next_notification(cw_rpc_client *cl, char topic[static CW_RPC_METHOD_MAX + 1],
                             uint8_t **payload, size_t *payload_len, uint32_t timeout_ms,
                             char *err, size_t err_len)
{
    uint64_t deadline = now_ms() + timeout_ms;
    topic[0] = '\0';
    *payload = NULL;
    *payload_len = 0;
    if (err && err_len)
        err[0] = '\0';
    for (;;) {
        uint64_t now = now_ms();
        uint32_t left = now >= deadline ? 0 : (uint32_t)(deadline - now);
        struct inframe *in;
        int rc = next_inbound(cl, &in, left, err, err_len);
        if (rc != CW_OK)
            return rc;
        if (in->kind != CW_RPC_NOTIFICATION) {
            cw_log(CW_LOG_DEBUG, "rpc client: discarding a response nobody waited for");
            free_inframe(in);
            continue;
        }
        /* topic and payload offset were found when the frame arrived (and decoded) */
        if (!in->pl_off) {
            rc = cw_errf(err, err_len, CW_EMALFORMED, "notification: malformed");
        } else {
            memcpy(topic, in->topic, sizeof in->topic);
            *payload = slice_front(in->data, in->len, in->pl_off, payload_len);
            in->data = NULL;
        }
        free_inframe(in);
        return rc;
    }
}

int cw_rpc_client_send_raw(cw_rpc_client *cl, const uint8_t *frame, size_t len, bool text,
                           uint32_t timeout_ms, char *err, size_t err_len)
{
    if (cl->closed)
        return closed_err(cl, err, err_len);
    if (len > CW_RPC_MAX_FRAME_DEFAULT)
        return cw_errf(err, err_len, CW_ETOOBIG, "raw frame of %zu bytes exceeds %u", len,
                       CW_RPC_MAX_FRAME_DEFAULT);
    int rc = out_push(cl, frame, len, text);
    if (rc != CW_OK)
        return cw_errf(err, err_len, rc, "cannot queue the frame");
    rc = service_until(cl, done_sent, timeout_ms);
    if (rc == CW_ETIMEOUT)
        return cw_errf(err, err_len, rc, "frame not sent within %u ms", timeout_ms);
    if (rc != CW_OK)
        return closed_err(cl, err, err_len);
    return CW_OK;
}

int cw_rpc_client_next_frame(cw_rpc_client *cl, uint8_t **frame, size_t *len,
                             uint32_t timeout_ms, char *err, size_t err_len)
{
    struct inframe *in;
    *frame = NULL;
    *len = 0;
    int rc = next_inbound(cl, &in, timeout_ms, err, err_len);
    if (rc != CW_OK)
        return rc;
    *frame = in->data;
    *len = in->len;
    in->data = NULL;
    free_inframe(in);
    return CW_OK;
}

size_t cw_rpc_client_outbound_bytes(const cw_rpc_client *cl) { return cl->out_bytes; }

int cw_rpc_client_poll(cw_rpc_client *cl, uint32_t timeout_ms)
{
    int rc = service_until(cl, done_never, timeout_ms);
    return rc == CW_ECLOSED ? CW_ECLOSED : CW_OK;
}
