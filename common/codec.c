#include "causeway/codec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/hex.h"

/* ---- encoding ------------------------------------------------------------------------ */

static int sb_write(void *data, const char *buf, size_t len)
{
    cw_enc *e = data;
    if (e->rc)
        return -1;
    if (msgpack_sbuffer_write(&e->sb, buf, len) != 0) {
        e->rc = -ENOMEM;
        return -1;
    }
    return 0;
}

void cw_enc_init(cw_enc *e)
{
    msgpack_sbuffer_init(&e->sb);
    msgpack_packer_init(&e->pk, e, sb_write);
    e->rc = CW_OK;
}

void cw_enc_free(cw_enc *e)
{
    if (!e)
        return;
    msgpack_sbuffer_destroy(&e->sb);
    msgpack_sbuffer_init(&e->sb);
}

uint8_t *cw_enc_release(cw_enc *e, size_t *len)
{
    *len = 0;
    if (e->rc || e->sb.size == 0) {
        cw_enc_free(e);
        return NULL;
    }
    *len = e->sb.size;
    return (uint8_t *)msgpack_sbuffer_release(&e->sb);
}

void cw_enc_array(cw_enc *e, uint32_t n) { msgpack_pack_array(&e->pk, n); }
void cw_enc_u64(cw_enc *e, uint64_t v) { msgpack_pack_uint64(&e->pk, v); }
void cw_enc_bool(cw_enc *e, bool v) { v ? msgpack_pack_true(&e->pk) : msgpack_pack_false(&e->pk); }
void cw_enc_nil(cw_enc *e) { msgpack_pack_nil(&e->pk); }

void cw_enc_u128(cw_enc *e, cw_u128 v)
{
    uint8_t b[16];
    for (int i = 15; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
    cw_enc_bin(e, b, 16);
}

/* A bin or str header and body; over 4 GiB is the encoder's sticky CW_ETOOBIG. */
static void sized_enc(cw_enc *e, bool bin, const void *p, size_t n)
{
    if (n > UINT32_MAX) {
        e->rc = e->rc ? e->rc : CW_ETOOBIG;
        return;
    }
    if (bin) {
        msgpack_pack_bin(&e->pk, n);
        if (n)
            msgpack_pack_bin_body(&e->pk, p, n);
    } else {
        msgpack_pack_str(&e->pk, n);
        if (n)
            msgpack_pack_str_body(&e->pk, p, n);
    }
}

void cw_enc_bin(cw_enc *e, const void *p, size_t n) { sized_enc(e, true, p, n); }

void cw_enc_str(cw_enc *e, const char *p, size_t n) { sized_enc(e, false, p, n); }

void cw_enc_cstr(cw_enc *e, const char *s) { cw_enc_str(e, s, strlen(s)); }

void cw_enc_raw(cw_enc *e, const void *p, size_t n)
{
    if (n)
        sb_write(e, p, n);
}

int cw_enc_object(cw_enc *e, const msgpack_object *o)
{
    msgpack_pack_object(&e->pk, *o);
    return e->rc;
}

void cw_be64_put(uint8_t out[static 8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

uint64_t cw_be64_get(const uint8_t in[static 8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

/* ---- bounds pre-scan ----------------------------------------------------------------- */

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Walk one object tree without allocating: an explicit stack of "elements still owed" per
 * open array. Every declared length is checked against the bytes left before it is used. */
static int noncanonical(char *err, size_t err_len, size_t at)
{
    return cw_errf(err, err_len, CW_ENONCANONICAL,
                   "msgpack: non-canonical encoding at byte %zu (integers must use the shortest "
                   "form, lengths the smallest header)", at);
}

/* The one encoding of a value is the one msgpack-c's packer writes (DESIGN §4): unsigned
 * integers in the shortest of fixint/uint8/16/32/64, negative integers in the shortest of
 * negative fixint/int8/16/32/64 (a signed type never holds a value >= 0), str in fixstr up
 * to 31 bytes then str8/16/32, bin in bin8/16/32, arrays in fixarray up to 15 then
 * array16/32 — each header the smallest that holds its value. Checked here on the header
 * bytes, so decoding needs no re-encode. */
static bool int_canonical(uint8_t t, const uint8_t *p)
{
    uint64_t u;
    int64_t v;
    switch (t) {
    case 0xcc: return p[0] >= 0x80;
    case 0xcd: return be(p, 2) >= 0x100;
    case 0xce: return be(p, 4) >= 0x10000;
    case 0xcf: return be(p, 8) >= 0x100000000ull;
    case 0xd0: v = (int8_t)p[0]; return v < -32;
    case 0xd1: v = (int16_t)(uint16_t)be(p, 2); return v < -128;
    case 0xd2: v = (int32_t)(uint32_t)be(p, 4); return v < -32768;
    case 0xd3:
        u = be(p, 8);
        return u >= 0x8000000000000000ull && u < 0xffffffff80000000ull; /* < -2^31 */
    default: return true;
    }
}

static bool length_canonical(uint8_t t, uint64_t n)
{
    switch (t) {
    case 0xd9: return n >= 32;
    case 0xc5: case 0xda: case 0xdc: return n >= (t == 0xdc ? 16 : 256);
    case 0xc6: case 0xdb: case 0xdd: return n >= 0x10000;
    default: return true; /* bin8 holds any length up to 255 */
    }
}

/* canon_at (optional) receives the offset of the first header that is not the canonical
 * one (SIZE_MAX if none); the walk goes on, so a structural error anywhere still wins. */
static int prescan(const uint8_t *buf, size_t len, size_t *canon_at, size_t *end,
                   size_t *objects, char *err, size_t err_len)
{
    uint64_t owed[CW_CODEC_MAX_DEPTH + 1];
    int depth = 0;
    size_t off = 0;
    *objects = 0;

    owed[0] = 1; /* the root object */
    while (depth >= 0) {
        if (owed[depth] == 0) {
            depth--;
            continue;
        }
        owed[depth]--;
        (*objects)++;
        if (off >= len)
            return cw_errf(err, err_len, CW_EMALFORMED, "msgpack: truncated at byte %zu", off);
        size_t at = off;
        uint8_t t = buf[off++];
        size_t left = len - off;
        uint64_t body = 0, count = 0;
        int hdr = 0, is_array = 0;

        if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
            continue; /* fixint, negative fixint, nil, false, true */
        } else if (t >= 0xa0 && t <= 0xbf) {
            body = t & 0x1f;
        } else if (t >= 0x90 && t <= 0x9f) {
            count = t & 0x0f;
            is_array = 1;
        } else {
            switch (t) {
            case 0xcc: case 0xd0: body = 1; break; /* uint8, int8 */
            case 0xcd: case 0xd1: body = 2; break;
            case 0xce: case 0xd2: body = 4; break;
            case 0xcf: case 0xd3: body = 8; break;
            case 0xc4: case 0xd9: hdr = 1; break; /* bin8, str8 */
            case 0xc5: case 0xda: hdr = 2; break;
            case 0xc6: case 0xdb: hdr = 4; break;
            case 0xdc: hdr = 2; is_array = 1; break;
            case 0xdd: hdr = 4; is_array = 1; break;
            case 0xde: case 0xdf:
                return cw_errf(err, err_len, CW_EMALFORMED,
                               "msgpack: map at byte %zu (only arrays are allowed)", at);
            default:
                if (t >= 0x80 && t <= 0x8f)
                    return cw_errf(err, err_len, CW_EMALFORMED,
                                   "msgpack: map at byte %zu (only arrays are allowed)", at);
                if (t == 0xca || t == 0xcb)
                    return cw_errf(err, err_len, CW_EMALFORMED,
                                   "msgpack: float at byte %zu (not allowed)", at);
                if (t == 0xc1)
                    return cw_errf(err, err_len, CW_EMALFORMED,
                                   "msgpack: reserved byte 0xc1 at byte %zu", at);
                return cw_errf(err, err_len, CW_EMALFORMED,
                               "msgpack: ext type 0x%02x at byte %zu (not allowed)", t, at);
            }
        }
        if (hdr) {
            if ((size_t)hdr > left)
                return cw_errf(err, err_len, CW_EMALFORMED,
                               "msgpack: truncated length at byte %zu", at);
            uint64_t n = be(buf + off, hdr);
            if (canon_at && *canon_at == SIZE_MAX && !length_canonical(t, n))
                *canon_at = at;
            off += (size_t)hdr;
            left -= (size_t)hdr;
            if (is_array)
                count = n;
            else
                body = n;
        }
        if (is_array) {
            /* each element needs at least one byte */
            if (count > left)
                return cw_errf(err, err_len, CW_ETOOBIG,
                               "msgpack: array at byte %zu declares %llu elements but only "
                               "%zu bytes remain", at, (unsigned long long)count, left);
            if (count == 0)
                continue;
            if (depth + 1 > CW_CODEC_MAX_DEPTH)
                return cw_errf(err, err_len, CW_ETOOBIG,
                               "msgpack: nesting deeper than %d at byte %zu",
                               CW_CODEC_MAX_DEPTH, at);
            owed[++depth] = count;
            continue;
        }
        if (body > left)
            return cw_errf(err, err_len, hdr ? CW_ETOOBIG : CW_EMALFORMED,
                           "msgpack: value at byte %zu declares %llu bytes but only %zu remain",
                           at, (unsigned long long)body, left);
        if (canon_at && *canon_at == SIZE_MAX && !hdr && body && !(t >= 0xa0 && t <= 0xbf) &&
            !int_canonical(t, buf + off))
            *canon_at = at;
        off += (size_t)body;
    }
    *end = off;
    return CW_OK;
}

/* The pre-scan, with at most max_objects objects (every value and array counts one). */
static int prescan_all(const uint8_t *buf, size_t len, bool canonical, size_t max_objects,
                       char *err, size_t err_len)
{
    size_t end = 0, objects = 0, canon_at = SIZE_MAX;
    if (!buf || len == 0)
        return cw_errf(err, err_len, CW_EMALFORMED, "msgpack: empty input");
    int rc = prescan(buf, len, canonical ? &canon_at : NULL, &end, &objects, err, err_len);
    if (rc)
        return rc;
    if (objects > max_objects)
        return cw_errf(err, err_len, CW_ETOOBIG, "msgpack: %zu objects in %zu bytes, more than "
                       "the %zu allowed", objects, len, max_objects);
    if (end != len)
        return cw_errf(err, err_len, CW_EMALFORMED,
                       "msgpack: %zu trailing bytes after the object (at byte %zu)", len - end,
                       end);
    if (canon_at != SIZE_MAX)
        return noncanonical(err, err_len, canon_at);
    return CW_OK;
}

int cw_codec_prescan(const uint8_t *buf, size_t len, char *err, size_t err_len)
{
    return prescan_all(buf, len, false, SIZE_MAX, err, err_len);
}

int cw_dec_open(cw_dec *d, const msgpack_object **root, const uint8_t *buf, size_t len,
                size_t max_len, char *err, size_t err_len)
{
    return cw_dec_open_limit(d, root, buf, len, max_len, SIZE_MAX, err, err_len);
}

int cw_dec_open_limit(cw_dec *d, const msgpack_object **root, const uint8_t *buf, size_t len,
                      size_t max_len, size_t max_objects, char *err, size_t err_len)
{
    static const msgpack_object nil_root; /* type 0 == MSGPACK_OBJECT_NIL */
    size_t off = 0;

    msgpack_unpacked_init(&d->u);
    d->err = err;
    d->err_len = err_len;
    d->rc = CW_OK;
    *root = &nil_root;
    if (err && err_len)
        err[0] = '\0';

    if (len > max_len)
        return d->rc = cw_errf(err, err_len, CW_ETOOBIG, "msgpack: input of %zu bytes exceeds "
                               "the limit of %zu", len, max_len);
    if ((d->rc = prescan_all(buf, len, true, max_objects, err, err_len)) != CW_OK)
        return d->rc;

    msgpack_unpack_return ur = msgpack_unpack_next(&d->u, (const char *)buf, len, &off);
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR)
        return d->rc = cw_errf(err, err_len, -ENOMEM, "msgpack: out of memory");
    if (ur != MSGPACK_UNPACK_SUCCESS || off != len)
        return d->rc = cw_errf(err, err_len, CW_EMALFORMED, "msgpack: does not decode (%d)",
                               (int)ur);

    *root = &d->u.data;
    return CW_OK;
}

void cw_dec_close(cw_dec *d)
{
    if (d)
        msgpack_unpacked_destroy(&d->u);
}

/* ---- accessors ----------------------------------------------------------------------- */

static const char *type_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return "unsigned integer";
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "negative integer";
    case MSGPACK_OBJECT_STR: return "str";
    case MSGPACK_OBJECT_BIN: return "bin";
    case MSGPACK_OBJECT_ARRAY: return "array";
    default: return "other";
    }
}

static int vfail(cw_dec *d, int rc, const char *what, va_list ap, const char *fmt, ...)
    CW_PRINTF(5, 6);

/* The field name: `what` formatted with its arguments (a caller's format, hence the pragma). */
static void format_what(char *out, size_t out_len, const char *what, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat-nonliteral"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
    vsnprintf(out, out_len, what, ap2);
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    va_end(ap2);
}

/* "<what>: <detail>" into the caller's buffer; only the first failure is kept. */
static int vfail(cw_dec *d, int rc, const char *what, va_list ap, const char *fmt, ...)
{
    if (d->rc)
        return d->rc;
    d->rc = rc;
    if (d->err && d->err_len) {
        char field[160], detail[256];
        format_what(field, sizeof field, what, ap);
        va_list dp;
        va_start(dp, fmt);
        vsnprintf(detail, sizeof detail, fmt, dp);
        va_end(dp);
        snprintf(d->err, d->err_len, "%s: %s", field, detail);
    }
    return rc;
}

int cw_dec_fail(cw_dec *d, int rc, const char *fmt, ...)
{
    if (d->rc)
        return d->rc;
    d->rc = rc;
    if (d->err && d->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->err, d->err_len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

#define WITH_AP(stmt)                                                                      \
    do {                                                                                   \
        va_list ap;                                                                        \
        va_start(ap, what);                                                                \
        stmt;                                                                              \
        va_end(ap);                                                                        \
    } while (0)

static const msgpack_object g_nils[32];

const msgpack_object *cw_dec_array(cw_dec *d, const msgpack_object *o, uint32_t arity,
                                   const char *what, ...)
{
    if (d->rc || !o)
        return g_nils;
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        WITH_AP(vfail(d, CW_EMALFORMED, what, ap, "expected array of %u, got %s", arity,
                      type_name(o)));
        return g_nils;
    }
    if (o->via.array.size != arity) {
        WITH_AP(vfail(d, CW_EMALFORMED, what, ap, "expected %u fields, got %u", arity,
                      o->via.array.size));
        return g_nils;
    }
    return arity ? o->via.array.ptr : g_nils;
}

const msgpack_object *cw_dec_list(cw_dec *d, const msgpack_object *o, uint32_t max, uint32_t *n,
                                  const char *what, ...)
{
    *n = 0;
    if (d->rc || !o)
        return NULL;
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        WITH_AP(vfail(d, CW_EMALFORMED, what, ap, "expected array, got %s", type_name(o)));
        return NULL;
    }
    if (o->via.array.size > max) {
        WITH_AP(vfail(d, CW_ETOOBIG, what, ap, "%u elements exceed the limit of %u",
                      o->via.array.size, max));
        return NULL;
    }
    *n = o->via.array.size;
    return *n ? o->via.array.ptr : NULL;
}

/* An unsigned integer ≤ max (cw_dec_u64: any; cw_dec_uint_max: bounded). */
static uint64_t uint_dec(cw_dec *d, const msgpack_object *o, uint64_t max, const char *what,
                         va_list ap)
{
    if (d->rc || !o)
        return 0;
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        vfail(d, CW_EMALFORMED, what, ap, "expected unsigned integer, got %s", type_name(o));
        return 0;
    }
    if (o->via.u64 > max) {
        vfail(d, CW_EINVAL, what, ap, "%llu exceeds the maximum %llu",
              (unsigned long long)o->via.u64, (unsigned long long)max);
        return 0;
    }
    return o->via.u64;
}

uint64_t cw_dec_u64(cw_dec *d, const msgpack_object *o, const char *what, ...)
{
    uint64_t v;
    WITH_AP(v = uint_dec(d, o, UINT64_MAX, what, ap));
    return v;
}

uint64_t cw_dec_uint_max(cw_dec *d, const msgpack_object *o, uint64_t max, const char *what, ...)
{
    uint64_t v;
    WITH_AP(v = uint_dec(d, o, max, what, ap));
    return v;
}

cw_u128 cw_dec_u128(cw_dec *d, const msgpack_object *o, const char *what, ...)
{
    if (d->rc || !o)
        return 0;
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != 16) {
        WITH_AP(vfail(d, CW_EMALFORMED, what, ap, "expected 16-byte bin (u128), got %s",
                      type_name(o)));
        return 0;
    }
    cw_u128 v = 0;
    for (int i = 0; i < 16; i++)
        v = v << 8 | (uint8_t)o->via.bin.ptr[i];
    return v;
}

bool cw_dec_bool(cw_dec *d, const msgpack_object *o, const char *what, ...)
{
    if (d->rc || !o)
        return false;
    if (o->type != MSGPACK_OBJECT_BOOLEAN) {
        WITH_AP(vfail(d, CW_EMALFORMED, what, ap, "expected bool, got %s", type_name(o)));
        return false;
    }
    return o->via.boolean;
}

bool cw_dec_is_nil(const msgpack_object *o) { return o && o->type == MSGPACK_OBJECT_NIL; }

/* A bin or str of at most max bytes, borrowed from the decoded buffer (cw_dec_bin/_str). */
static cw_bytes sized_dec(cw_dec *d, const msgpack_object *o, msgpack_object_type type,
                          size_t max, const char *what, va_list ap)
{
    cw_bytes b = {NULL, 0};
    if (d->rc || !o)
        return b;
    if (o->type != type) {
        vfail(d, CW_EMALFORMED, what, ap, "expected %s, got %s",
              type == MSGPACK_OBJECT_BIN ? "bin" : "str", type_name(o));
        return b;
    }
    /* msgpack_object_bin and msgpack_object_str are both {size, ptr} */
    uint32_t size = type == MSGPACK_OBJECT_BIN ? o->via.bin.size : o->via.str.size;
    const char *ptr = type == MSGPACK_OBJECT_BIN ? o->via.bin.ptr : o->via.str.ptr;
    if (size > max) {
        vfail(d, CW_ETOOBIG, what, ap, "%u bytes exceed the limit of %zu", size, max);
        return b;
    }
    b.p = (const uint8_t *)ptr;
    b.len = size;
    return b;
}

cw_bytes cw_dec_bin(cw_dec *d, const msgpack_object *o, size_t max, const char *what, ...)
{
    cw_bytes b;
    WITH_AP(b = sized_dec(d, o, MSGPACK_OBJECT_BIN, max, what, ap));
    return b;
}

void cw_dec_bin_fixed(cw_dec *d, const msgpack_object *o, void *out, size_t n, const char *what,
                      ...)
{
    memset(out, 0, n);
    if (d->rc || !o)
        return;
    if (o->type != MSGPACK_OBJECT_BIN) {
        WITH_AP(vfail(d, CW_EMALFORMED, what, ap, "expected %zu-byte bin, got %s", n,
                      type_name(o)));
        return;
    }
    if (o->via.bin.size != n) {
        WITH_AP(vfail(d, CW_EMALFORMED, what, ap, "expected %zu bytes, got %u", n,
                      o->via.bin.size));
        return;
    }
    memcpy(out, o->via.bin.ptr, n);
}

const char *cw_dec_label(char *buf, size_t buf_len, const char *what, const char *field)
{
    snprintf(buf, buf_len, "%s.%s", what, field);
    return buf;
}

cw_bytes cw_dec_str(cw_dec *d, const msgpack_object *o, size_t max, const char *what, ...)
{
    cw_bytes b;
    WITH_AP(b = sized_dec(d, o, MSGPACK_OBJECT_STR, max, what, ap));
    return b;
}

void cw_dec_id(cw_dec *d, const msgpack_object *o, char out[static 65], const char *what, ...)
{
    out[0] = '\0';
    if (d->rc || !o)
        return;
    if (o->type != MSGPACK_OBJECT_STR) {
        WITH_AP(vfail(d, CW_EMALFORMED, what, ap, "expected identifier (str), got %s",
                      type_name(o)));
        return;
    }
    if (cw_id_validate(o->via.str.ptr, o->via.str.size, "", NULL, 0) != CW_OK) {
        /* failure path only: name the field, then let the validator say what is wrong */
        char field[160];
        WITH_AP(format_what(field, sizeof field, what, ap));
        d->rc = cw_id_validate(o->via.str.ptr, o->via.str.size, field, d->err, d->err_len);
        return;
    }
    memcpy(out, o->via.str.ptr, o->via.str.size);
    out[o->via.str.size] = '\0';
}
