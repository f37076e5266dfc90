/* MessagePack-RPC frames over the strict canonical codec (see include/causeway/rpc.h). */
#include "causeway/rpc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "causeway/hex.h"
#include "causeway/log.h"

static void lws_emit(int level, const char *line)
{
    (void)level;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    cw_log(CW_LOG_WARN, "lws: %.*s", (int)n, line);
}

static void route_once(void) { lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit); }

void cw_rpc_route_lws_logs(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, route_once);
}

int cw_rpc_name_validate(const char *name, size_t len, char *err, size_t err_len)
{
    if (!name || len == 0)
        return cw_errf(err, err_len, CW_EINVAL, "name: empty");
    if (len > CW_RPC_METHOD_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "name: %zu bytes exceed the limit of %d", len,
                       CW_RPC_METHOD_MAX);
    return cw_id_validate(name, len, "name", err, err_len);
}

static void set_msgid(cw_rpc_frame *f, const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= UINT32_MAX) {
        f->has_msgid = true;
        f->msgid = (uint32_t)o->via.u64;
    }
}

static void read_name(cw_dec *d, const msgpack_object *o, char out[static CW_RPC_METHOD_MAX + 1])
{
    out[0] = '\0';
    cw_bytes s = cw_dec_str(d, o, CW_RPC_METHOD_MAX, "rpc frame: method");
    if (d->rc)
        return;
    char why[160];
    if (cw_rpc_name_validate((const char *)s.p, s.len, why, sizeof why) != CW_OK) {
        cw_dec_fail(d, CW_EMALFORMED, "rpc frame: method: %s", why);
        return;
    }
    memcpy(out, s.p, s.len);
    out[s.len] = '\0';
}

static void read_params(cw_dec *d, cw_rpc_frame *f, const msgpack_object *o)
{
    if (d->rc)
        return;
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        cw_dec_fail(d, CW_EMALFORMED, "rpc frame: params: expected array");
        return;
    }
    f->params = o;
}

int cw_rpc_decode(cw_dec *d, cw_rpc_frame *f, const uint8_t *buf, size_t len, size_t max_len,
                  char *err, size_t err_len)
{
    static const msgpack_object nil_obj; /* type 0 == nil */
    const msgpack_object *root;

    memset(f, 0, sizeof *f);
    f->kind = -1;
    f->params = &nil_obj;
    f->result = &nil_obj;
    int rc = cw_dec_open(d, &root, buf, len, max_len, err, err_len);
    if (rc != CW_OK) {
        cw_err_prefix(err, err_len, rc, "rpc frame");
        return rc;
    }
    if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size < 3 ||
        root->via.array.size > 4)
        return cw_dec_fail(d, CW_EMALFORMED, "rpc frame: expected an array of 3 or 4 elements");
    const msgpack_object *a = root->via.array.ptr;
    uint32_t n = root->via.array.size;
    if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[0].via.u64 > 2)
        return cw_dec_fail(d, CW_EMALFORMED, "rpc frame: type: expected 0, 1 or 2");
    f->kind = (int)a[0].via.u64;

    switch (f->kind) {
    case CW_RPC_REQUEST:
        if (n != 4)
            return cw_dec_fail(d, CW_EMALFORMED, "rpc frame: request: expected 4 elements, got %u",
                               n);
        set_msgid(f, &a[1]);
        if (!f->has_msgid)
            return cw_dec_fail(d, CW_EMALFORMED, "rpc frame: msgid: expected u32");
        read_name(d, &a[2], f->method);
        read_params(d, f, &a[3]);
        break;
    case CW_RPC_RESPONSE:
        if (n != 4)
            return cw_dec_fail(d, CW_EMALFORMED,
                               "rpc frame: response: expected 4 elements, got %u", n);
        set_msgid(f, &a[1]);
        if (!f->has_msgid && a[1].type != MSGPACK_OBJECT_NIL)
            return cw_dec_fail(d, CW_EMALFORMED, "rpc frame: msgid: expected u32 or nil");
        if (a[2].type != MSGPACK_OBJECT_NIL) {
            const msgpack_object *e = cw_dec_array(d, &a[2], 2, "rpc frame: error");
            if (d->rc)
                return d->rc;
            int64_t code;
            if (e[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER && e[0].via.u64 <= INT32_MAX)
                code = (int64_t)e[0].via.u64;
            else if (e[0].type == MSGPACK_OBJECT_NEGATIVE_INTEGER && e[0].via.i64 >= INT32_MIN)
                code = e[0].via.i64;
            else
                return cw_dec_fail(d, CW_EMALFORMED, "rpc frame: error.code: expected int32");
            cw_bytes m = cw_dec_str(d, &e[1], CW_RPC_ERRMSG_MAX, "rpc frame: error.message");
            if (d->rc)
                return d->rc == CW_ETOOBIG ? (d->rc = CW_EMALFORMED) : d->rc;
            if (a[3].type != MSGPACK_OBJECT_NIL)
                return cw_dec_fail(d, CW_EMALFORMED,
                                   "rpc frame: result: must be nil when error is set");
            f->is_error = true;
            f->err_code = (int32_t)code;
            f->err_msg = m.len ? (const char *)m.p : ""; /* never NULL */
            f->err_msg_len = m.len;
        }
        if (!f->has_msgid && !f->is_error)
            return cw_dec_fail(d, CW_EMALFORMED,
                               "rpc frame: msgid: nil is allowed only in an error response");
        f->result = &a[3];
        break;
    default: /* CW_RPC_NOTIFICATION */
        if (n != 3)
            return cw_dec_fail(d, CW_EMALFORMED,
                               "rpc frame: notification: expected 3 elements, got %u", n);
        read_name(d, &a[1], f->method);
        read_params(d, f, &a[2]);
        break;
    }
    return d->rc;
}

/* ---- encoders ------------------------------------------------------------------------ */

static int fail_enc(cw_enc *e, int rc)
{
    if (!e->rc)
        e->rc = rc;
    return rc;
}

/* One encoded object; when want_array, it must be an array. */
static int check_raw(const uint8_t *p, size_t n, bool want_array)
{
    if (cw_codec_prescan(p, n, NULL, 0) != CW_OK)
        return CW_EINVAL;
    if (want_array && !((p[0] >= 0x90 && p[0] <= 0x9f) || p[0] == 0xdc || p[0] == 0xdd))
        return CW_EINVAL;
    return CW_OK;
}

static int put_params(cw_enc *e, const uint8_t *params, size_t params_len)
{
    if (!params || params_len == 0) {
        cw_enc_array(e, 0);
        return e->rc;
    }
    if (check_raw(params, params_len, true) != CW_OK)
        return fail_enc(e, CW_EINVAL);
    cw_enc_raw(e, params, params_len);
    return e->rc;
}

/* A request [0, msgid, method, params] (with_msgid) or a notification [2, method, params]:
 * the same checks (a valid method name; params, when given, one msgpack array) and layout
 * but for the msgid. one: params is a single object, sent as [params] (a topic's message). */
static int call_enc(cw_enc *e, unsigned kind, bool with_msgid, uint32_t msgid,
                    const char *method, const uint8_t *params, size_t params_len, bool one)
{
    size_t mlen = strlen(method);
    if (cw_rpc_name_validate(method, mlen, NULL, 0) != CW_OK)
        return fail_enc(e, CW_EINVAL);
    if (one ? !params || check_raw(params, params_len, false) != CW_OK
            : params && params_len && check_raw(params, params_len, true) != CW_OK)
        return fail_enc(e, CW_EINVAL);
    cw_enc_array(e, with_msgid ? 4 : 3);
    cw_enc_u64(e, kind);
    if (with_msgid)
        cw_enc_u64(e, msgid);
    cw_enc_str(e, method, mlen);
    if (!one)
        return put_params(e, params, params_len);
    cw_enc_array(e, 1);
    cw_enc_raw(e, params, params_len);
    return e->rc;
}

int cw_rpc_encode_request(cw_enc *e, uint32_t msgid, const char *method, const uint8_t *params,
                          size_t params_len)
{
    return call_enc(e, CW_RPC_REQUEST, true, msgid, method, params, params_len, false);
}

int cw_rpc_encode_result(cw_enc *e, uint32_t msgid, const uint8_t *result, size_t result_len)
{
    if (result && result_len && check_raw(result, result_len, false) != CW_OK)
        return fail_enc(e, CW_EINVAL);
    cw_enc_array(e, 4);
    cw_enc_u64(e, CW_RPC_RESPONSE);
    cw_enc_u64(e, msgid);
    cw_enc_nil(e);
    if (result && result_len)
        cw_enc_raw(e, result, result_len);
    else
        cw_enc_nil(e);
    return e->rc;
}

int cw_rpc_encode_error(cw_enc *e, bool has_msgid, uint32_t msgid, int32_t code,
                        const char *message)
{
    size_t mlen = strlen(message);
    if (mlen > CW_RPC_ERRMSG_MAX)
        mlen = CW_RPC_ERRMSG_MAX;
    cw_enc_array(e, 4);
    cw_enc_u64(e, CW_RPC_RESPONSE);
    if (has_msgid)
        cw_enc_u64(e, msgid);
    else
        cw_enc_nil(e);
    cw_enc_array(e, 2);
    msgpack_pack_int64(&e->pk, code); /* shortest form, as cw_enc_u64 for unsigned */
    cw_enc_str(e, message, mlen);
    cw_enc_nil(e);
    return e->rc;
}

int cw_rpc_encode_notification(cw_enc *e, const char *method, const uint8_t *params,
                               size_t params_len)
{
    return call_enc(e, CW_RPC_NOTIFICATION, false, 0, method, params, params_len, false);
}

int cw_rpc_encode_notification_one(cw_enc *e, const char *method, const uint8_t *payload,
                                   size_t payload_len)
{
    return call_enc(e, CW_RPC_NOTIFICATION, false, 0, method, payload, payload_len, true);
}

int cw_rpc_encode_object(cw_enc *e, const msgpack_object *o)
{
    msgpack_pack_object(&e->pk, *o);
    return e->rc;
}

int cw_rpc_rxbuf_append(cw_rpc_rxbuf *b, const void *in, size_t n, size_t remaining,
                        size_t max, bool text)
{
    if (!b->started) {
        b->started = true;
        b->text = text;
        b->len = 0;
    }
    if (n > max - b->len || remaining > max - b->len - n)
        return CW_ETOOBIG;
    size_t need = b->len + n; /* grow with bytes received, not bytes announced */
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < need)
            cap = cap > max / 2 ? max : cap * 2;
        uint8_t *nb = realloc(b->buf, cap ? cap : 1);
        if (!nb)
            return -ENOMEM;
        b->buf = nb;
        b->cap = cap;
    }
    if (n)
        memcpy(b->buf + b->len, in, n);
    b->len += n;
    return CW_OK;
}
