#include "causeway/event.h"

#include <string.h>

void cw_events_init(cw_events *ev)
{
    cw_enc_init(&ev->enc);
    ev->count = 0;
    ev->open = 0;
}

void cw_events_free(cw_events *ev)
{
    if (ev)
        cw_enc_free(&ev->enc);
}

void cw_event_begin(cw_events *ev, const char *type, uint32_t n_attrs)
{
    if (ev->open && ev->enc.rc == CW_OK)
        ev->enc.rc = CW_EINVAL; /* previous event left incomplete: a programming error */
    cw_enc_array(&ev->enc, 2);
    cw_enc_cstr(&ev->enc, type);
    cw_enc_array(&ev->enc, n_attrs);
    ev->open = n_attrs;
    ev->count++;
}

static void attr_key(cw_events *ev, const char *key)
{
    if (ev->open == 0) {
        if (ev->enc.rc == CW_OK)
            ev->enc.rc = CW_EINVAL;
        return;
    }
    ev->open--;
    cw_enc_array(&ev->enc, 2);
    cw_enc_cstr(&ev->enc, key);
}

void cw_event_attr_str(cw_events *ev, const char *key, const char *value)
{
    attr_key(ev, key);
    cw_enc_cstr(&ev->enc, value);
}

void cw_event_attr_u64(cw_events *ev, const char *key, uint64_t value)
{
    attr_key(ev, key);
    cw_enc_u64(&ev->enc, value);
}

void cw_event_attr_bin(cw_events *ev, const char *key, const void *p, size_t n)
{
    attr_key(ev, key);
    cw_enc_bin(&ev->enc, p, n);
}

cw_events_mark cw_events_mark_now(const cw_events *ev)
{
    return (cw_events_mark){ev->count, cw_enc_len(&ev->enc)};
}

void cw_events_truncate(cw_events *ev, cw_events_mark mark)
{
    if (mark.len <= ev->enc.sb.size) {
        ev->enc.sb.size = mark.len;
        ev->count = mark.count;
        ev->open = 0;
    }
}

int cw_events_encode(const cw_events *ev, cw_events_mark from, cw_enc *out)
{
    if (ev->open || ev->enc.rc)
        return ev->enc.rc ? ev->enc.rc : CW_EINVAL;
    cw_enc_array(out, ev->count - from.count);
    if (cw_enc_len(&ev->enc) > from.len)
        cw_enc_raw(out, cw_enc_data(&ev->enc) + from.len, cw_enc_len(&ev->enc) - from.len);
    return out->rc;
}

/* ---- readers --------------------------------------------------------------------------- */

static bool str_eq(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           memcmp(o->via.str.ptr, s, n) == 0;
}

static bool is_event(const msgpack_object *ev)
{
    return ev->type == MSGPACK_OBJECT_ARRAY && ev->via.array.size == 2 &&
           ev->via.array.ptr[0].type == MSGPACK_OBJECT_STR &&
           ev->via.array.ptr[1].type == MSGPACK_OBJECT_ARRAY;
}

bool cw_event_type(const msgpack_object *ev, cw_bytes *type)
{
    if (!is_event(ev))
        return false;
    /* msgpack-c leaves ptr NULL for an empty str; callers pass p to memcmp and to
     * nonnull parameters (cw_packet_event_kind_of), so an empty type points at "" */
    type->len = ev->via.array.ptr[0].via.str.size;
    type->p = type->len ? (const uint8_t *)ev->via.array.ptr[0].via.str.ptr
                        : (const uint8_t *)"";
    return true;
}

const msgpack_object *cw_event_of(const msgpack_object *ev, const char *type)
{
    if (!is_event(ev) || !str_eq(&ev->via.array.ptr[0], type))
        return NULL;
    return &ev->via.array.ptr[1];
}

const msgpack_object *cw_event_get(const msgpack_object *attrs, const char *key)
{
    for (uint32_t k = 0; attrs->type == MSGPACK_OBJECT_ARRAY && k < attrs->via.array.size; k++) {
        const msgpack_object *kv = &attrs->via.array.ptr[k];
        if (kv->type == MSGPACK_OBJECT_ARRAY && kv->via.array.size == 2 &&
            str_eq(&kv->via.array.ptr[0], key))
            return &kv->via.array.ptr[1];
    }
    return NULL;
}

bool cw_event_get_str(const msgpack_object *attrs, const char *key, char out[static CW_ID_MAX + 1])
{
    const msgpack_object *v = cw_event_get(attrs, key);
    if (!v || v->type != MSGPACK_OBJECT_STR || v->via.str.size > CW_ID_MAX)
        return false;
    memcpy(out, v->via.str.ptr, v->via.str.size);
    out[v->via.str.size] = '\0';
    return true;
}

bool cw_event_get_u64(const msgpack_object *attrs, const char *key, uint64_t *out)
{
    const msgpack_object *v = cw_event_get(attrs, key);
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return false;
    *out = v->via.u64;
    return true;
}

bool cw_event_get_bin(const msgpack_object *attrs, const char *key, cw_bytes *out)
{
    const msgpack_object *v = cw_event_get(attrs, key);
    if (!v || v->type != MSGPACK_OBJECT_BIN)
        return false;
    out->p = (const uint8_t *)v->via.bin.ptr;
    out->len = v->via.bin.size;
    return true;
}

const msgpack_object *cw_events_find(const msgpack_object *events, const char *type,
                                     uint32_t *pos)
{
    for (; events->type == MSGPACK_OBJECT_ARRAY && *pos < events->via.array.size; (*pos)++) {
        const msgpack_object *attrs = cw_event_of(&events->via.array.ptr[*pos], type);
        if (attrs) {
            (*pos)++;
            return attrs;
        }
    }
    return NULL;
}

bool cw_events_find_str(const msgpack_object *events, const char *type, const char *key,
                        char out[static CW_ID_MAX + 1])
{
    uint32_t i = 0;
    const msgpack_object *attrs;
    while ((attrs = cw_events_find(events, type, &i)))
        if (cw_event_get_str(attrs, key, out))
            return true;
    return false;
}

int cw_events_count(const uint8_t *buf, size_t len, const char *type)
{
    cw_dec d;
    const msgpack_object *root;
    int rc = cw_dec_open(&d, &root, buf, len, CW_CODEC_MAX_INPUT, NULL, 0);
    uint32_t n = 0, count = 0;
    const msgpack_object *evs = rc ? NULL : cw_dec_list(&d, root, CW_EVENTS_MAX, &n, "events");
    for (uint32_t i = 0; d.rc == CW_OK && i < n; i++) {
        cw_dec_array(&d, &evs[i], 2, "event");
        if (cw_event_of(&evs[i], type))
            count++;
    }
    rc = d.rc;
    cw_dec_close(&d);
    return rc ? rc : (int)count;
}

static const struct {
    const char *type;
    cw_packet_event_kind kind;
} packet_kinds[] = {
    {CW_EV_SEND_PACKET, CW_PACKET_EV_SEND},
    {CW_EV_RECV_PACKET, CW_PACKET_EV_RECV},
    {CW_EV_WRITE_ACK, CW_PACKET_EV_WRITE_ACK},
    {CW_EV_ACK_PACKET, CW_PACKET_EV_ACK},
    {CW_EV_TIMEOUT_PACKET, CW_PACKET_EV_TIMEOUT},
    {CW_EV_RECV_PACKET_REDUNDANT, CW_PACKET_EV_RECV_REDUNDANT},
    {CW_EV_ACK_PACKET_REDUNDANT, CW_PACKET_EV_ACK_REDUNDANT},
    {CW_EV_TIMEOUT_PACKET_REDUNDANT, CW_PACKET_EV_TIMEOUT_REDUNDANT},
};

cw_packet_event_kind cw_packet_event_kind_of(const uint8_t *type, size_t len)
{
    for (size_t i = 0; i < sizeof packet_kinds / sizeof packet_kinds[0]; i++)
        if (strlen(packet_kinds[i].type) == len && memcmp(packet_kinds[i].type, type, len) == 0)
            return packet_kinds[i].kind;
    return CW_PACKET_EV_NONE;
}

int cw_packet_event_read(const msgpack_object *ev, cw_packet_event *out)
{
    cw_bytes type;
    memset(out, 0, sizeof *out);
    if (!cw_event_type(ev, &type))
        return CW_ENOTFOUND;
    cw_packet_event_kind kind = cw_packet_event_kind_of(type.p, type.len);
    if (kind == CW_PACKET_EV_NONE)
        return CW_ENOTFOUND;
    const msgpack_object *attrs = &ev->via.array.ptr[1];
    cw_bytes pk;
    if (!cw_event_get_bin(attrs, CW_ATTR_PACKET, &pk))
        return CW_EMALFORMED;
    cw_dec d;
    const msgpack_object *root;
    int rc = cw_dec_open(&d, &root, pk.p, pk.len, CW_PACKET_EVENT_MAX, NULL, 0);
    if (rc == CW_OK) {
        cw_packet_dec(&d, root, &out->packet, "packet");
        rc = d.rc;
    }
    cw_dec_close(&d);
    if (rc) {
        memset(out, 0, sizeof *out);
        return CW_EMALFORMED;
    }
    out->kind = kind;
    out->packet_bytes = pk;
    out->has_ack = cw_event_get_bin(attrs, CW_ATTR_ACK, &out->ack);
    return CW_OK;
}

bool cw_client_event_read(const msgpack_object *ev, const char *type, cw_client_event *out)
{
    const msgpack_object *attrs = cw_event_of(ev, type);
    memset(out, 0, sizeof *out);
    if (attrs && cw_event_get_str(attrs, CW_ATTR_CLIENT_ID, out->client_id) &&
        cw_event_get_u64(attrs, CW_ATTR_HEIGHT, &out->height))
        return true;
    memset(out, 0, sizeof *out);
    return false;
}
