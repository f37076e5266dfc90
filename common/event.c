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
