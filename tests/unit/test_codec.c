/* Canonical msgpack codec: round trips, and every rejection of DESIGN §4 with the message
 * naming what was wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "causeway/codec.h"
#include "causeway/hex.h"
#include "../testutil.h"

/* A tiny structure in the house shape: [chain_id, height, hash32, [items...], nil|u64, u128] */
struct thing {
    char chain_id[65];
    uint64_t height;
    uint8_t hash[32];
    uint32_t n_items;
    uint64_t items[8];
    bool has_opt;
    uint64_t opt;
    cw_u128 price;
};

static uint8_t *encode_thing(const struct thing *t, size_t *len)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 6);
    cw_enc_cstr(&e, t->chain_id);
    cw_enc_u64(&e, t->height);
    cw_enc_bin(&e, t->hash, 32);
    cw_enc_array(&e, t->n_items);
    for (uint32_t i = 0; i < t->n_items; i++)
        cw_enc_u64(&e, t->items[i]);
    if (t->has_opt)
        cw_enc_u64(&e, t->opt);
    else
        cw_enc_nil(&e);
    cw_enc_u128(&e, t->price);
    return cw_enc_release(&e, len);
}

static int decode_thing(struct thing *t, const uint8_t *buf, size_t len, char *err, size_t n)
{
    cw_dec d;
    const msgpack_object *root;
    memset(t, 0, sizeof *t);
    int rc = cw_dec_open(&d, &root, buf, len, 1 << 16, err, n);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 6, "thing");
        cw_dec_id(&d, &f[0], t->chain_id, "thing.chain_id");
        t->height = cw_dec_u64(&d, &f[1], "thing.height");
        cw_dec_bin_fixed(&d, &f[2], t->hash, 32, "thing.hash");
        const msgpack_object *it = cw_dec_list(&d, &f[3], 8, &t->n_items, "thing.items");
        for (uint32_t i = 0; i < t->n_items; i++)
            t->items[i] = cw_dec_u64(&d, &it[i], "thing.items[%u]", i);
        t->has_opt = !cw_dec_is_nil(&f[4]);
        if (t->has_opt)
            t->opt = cw_dec_u64(&d, &f[4], "thing.opt");
        t->price = cw_dec_u128(&d, &f[5], "thing.price");
        rc = d.rc;
    }
    cw_dec_close(&d);
    return rc;
}

static struct thing sample(void)
{
    struct thing t = {.chain_id = "alpha-1", .height = 300, .n_items = 3,
                      .items = {0, 127, UINT64_MAX}, .has_opt = true, .opt = 65536};
    for (int i = 0; i < 32; i++)
        t.hash[i] = (uint8_t)(i * 7);
    t.price = (cw_u128)12345 * CW_WAD;
    return t;
}

static void test_round_trip_preserves_every_field(void **s)
{
    (void)s;
    struct thing t = sample(), back;
    size_t len;
    char err[256];
    uint8_t *buf = encode_thing(&t, &len);
    assert_non_null(buf);
    assert_int_equal(decode_thing(&back, buf, len, err, sizeof err), CW_OK);
    assert_string_equal(back.chain_id, t.chain_id);
    assert_true(back.height == t.height && back.n_items == 3 && back.items[2] == UINT64_MAX);
    assert_memory_equal(back.hash, t.hash, 32);
    assert_true(back.has_opt && back.opt == 65536 && back.price == t.price);
    free(buf);
    t.has_opt = false;
    t.n_items = 0;
    buf = encode_thing(&t, &len);
    assert_int_equal(decode_thing(&back, buf, len, err, sizeof err), CW_OK);
    assert_false(back.has_opt);
    assert_int_equal(back.n_items, 0);
    free(buf);
}

/* Decode raw bytes with the strict decoder only; return code and message. */
static int open_raw(const uint8_t *buf, size_t len, char *err, size_t n)
{
    cw_dec d;
    const msgpack_object *root;
    int rc = cw_dec_open(&d, &root, buf, len, CW_CODEC_MAX_INPUT, err, n);
    cw_dec_close(&d);
    return rc;
}

struct raw_case {
    const char *name;
    const char *bytes; /* hex */
    int rc;
    const char *msg; /* substring of the error */
};

static void test_strict_decoder_rejects_each_malformed_case(void **s)
{
    (void)s;
    static const struct raw_case cases[] = {
        {"empty input", "", CW_EMALFORMED, "empty"},
        {"truncated array", "92cd0100", CW_EMALFORMED, "truncated"},
        {"array declaring more elements than bytes", "9301", CW_ETOOBIG, "declares 3 elements"},
        {"truncated uint16", "cd01", CW_EMALFORMED, "declares 2 bytes"},
        {"trailing byte", "9101" "00", CW_EMALFORMED, "trailing"},
        {"two objects", "0101", CW_EMALFORMED, "trailing"},
        {"uint8 for a fixint", "cc05", CW_ENONCANONICAL, "byte 0"},
        {"uint16 for a uint8", "cd00ff", CW_ENONCANONICAL, "byte 0"},
        {"uint64 for a uint32", "cf00000000ffffffff", CW_ENONCANONICAL, "non-canonical"},
        {"int8 for a positive fixint", "d005", CW_ENONCANONICAL, "non-canonical"},
        {"int16 for a negative fixint", "d1ffff", CW_ENONCANONICAL, "non-canonical"},
        {"str8 for a fixstr", "d903616263", CW_ENONCANONICAL, "non-canonical"},
        {"bin16 for a bin8", "c50001ff", CW_ENONCANONICAL, "non-canonical"},
        {"array16 for a fixarray", "dc000101", CW_ENONCANONICAL, "non-canonical"},
        {"nested non-canonical", "92" "01" "cc02", CW_ENONCANONICAL, "byte 2"},
        {"fixmap", "8101" "02", CW_EMALFORMED, "map"},
        {"map16", "de0000", CW_EMALFORMED, "map"},
        {"float32", "ca00000000", CW_EMALFORMED, "float"},
        {"float64", "cb0000000000000000", CW_EMALFORMED, "float"},
        {"fixext1", "d40100", CW_EMALFORMED, "ext"},
        {"ext8", "c70101ff", CW_EMALFORMED, "ext"},
        {"reserved 0xc1", "c1", CW_EMALFORMED, "reserved"},
        /* 6 bytes that declare 2^32-1 elements: refused before anything is allocated */
        {"array32 declaring 4G elements", "ddffffffff00", CW_ETOOBIG, "declares 4294967295"},
        {"bin32 declaring 4 GiB", "c6ffffffff00", CW_ETOOBIG, "declares 4294967295 bytes"},
        {"str32 declaring 4 GiB", "dbffffffff00", CW_ETOOBIG, "declares"},
        {"array16 declaring more than remain", "dc0100" "0000", CW_ETOOBIG, "only 2 bytes"},
    };
    char err[256];
    uint8_t buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n;
        assert_int_equal(cw_hex_decode(buf, sizeof buf, &n, cases[i].bytes,
                                       strlen(cases[i].bytes), err, sizeof err), CW_OK);
        err[0] = '\0';
        int rc = open_raw(n ? buf : NULL, n, err, sizeof err);
        if (rc != cases[i].rc || !strstr(err, cases[i].msg))
            fail_msg("case '%s': got %d (%s), want %d containing '%s'", cases[i].name, rc, err,
                     cases[i].rc, cases[i].msg);
    }
}

static void test_nesting_deeper_than_limit_rejected(void **s)
{
    (void)s;
    uint8_t buf[CW_CODEC_MAX_DEPTH + 2];
    char err[256];
    /* depth exactly the limit: [[[...[0]...]]] */
    memset(buf, 0x91, CW_CODEC_MAX_DEPTH);
    buf[CW_CODEC_MAX_DEPTH] = 0x00;
    assert_int_equal(open_raw(buf, CW_CODEC_MAX_DEPTH + 1, err, sizeof err), CW_OK);
    memset(buf, 0x91, CW_CODEC_MAX_DEPTH + 1);
    buf[CW_CODEC_MAX_DEPTH + 1] = 0x00;
    assert_int_equal(open_raw(buf, CW_CODEC_MAX_DEPTH + 2, err, sizeof err), CW_ETOOBIG);
    assert_non_null(strstr(err, "nesting"));
}

static void test_input_over_max_len_rejected(void **s)
{
    (void)s;
    uint8_t buf[8] = {0x93, 1, 2, 3};
    char err[256];
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, buf, 4, 3, err, sizeof err), CW_ETOOBIG);
    assert_non_null(strstr(err, "limit of 3"));
    cw_dec_close(&d);
}

struct field_case {
    const char *name;
    void (*mutate)(struct thing *t, cw_enc *e);
    int rc;
    const char *msg;
};

/* Encoders for wrong shapes: each writes a whole top-level value. */
static void enc_wrong_arity(struct thing *t, cw_enc *e)
{
    (void)t;
    cw_enc_array(e, 5);
    cw_enc_cstr(e, "a");
    cw_enc_u64(e, 1);
    cw_enc_bin(e, "", 0);
    cw_enc_array(e, 0);
    cw_enc_nil(e);
}
static void enc_height_as_str(struct thing *t, cw_enc *e)
{
    (void)t;
    cw_enc_array(e, 6);
    cw_enc_cstr(e, "a");
    cw_enc_cstr(e, "1");
    cw_enc_bin(e, "0123456789abcdef0123456789abcdef", 32);
    cw_enc_array(e, 0);
    cw_enc_nil(e);
    cw_enc_u128(e, 1);
}
static void enc_short_hash(struct thing *t, cw_enc *e)
{
    (void)t;
    cw_enc_array(e, 6);
    cw_enc_cstr(e, "a");
    cw_enc_u64(e, 1);
    cw_enc_bin(e, "0123", 4);
    cw_enc_array(e, 0);
    cw_enc_nil(e);
    cw_enc_u128(e, 1);
}
static void enc_bad_chain_id(struct thing *t, cw_enc *e)
{
    (void)t;
    cw_enc_array(e, 6);
    cw_enc_cstr(e, "ports/bank");
    cw_enc_u64(e, 1);
    cw_enc_bin(e, "0123456789abcdef0123456789abcdef", 32);
    cw_enc_array(e, 0);
    cw_enc_nil(e);
    cw_enc_u128(e, 1);
}
static void enc_too_many_items(struct thing *t, cw_enc *e)
{
    (void)t;
    cw_enc_array(e, 6);
    cw_enc_cstr(e, "a");
    cw_enc_u64(e, 1);
    cw_enc_bin(e, "0123456789abcdef0123456789abcdef", 32);
    cw_enc_array(e, 9);
    for (int i = 0; i < 9; i++)
        cw_enc_u64(e, 1);
    cw_enc_nil(e);
    cw_enc_u128(e, 1);
}
static void enc_negative_item(struct thing *t, cw_enc *e)
{
    (void)t;
    cw_enc_array(e, 6);
    cw_enc_cstr(e, "a");
    cw_enc_u64(e, 1);
    cw_enc_bin(e, "0123456789abcdef0123456789abcdef", 32);
    cw_enc_array(e, 2);
    cw_enc_u64(e, 1);
    msgpack_pack_int64(&e->pk, -5);
    cw_enc_nil(e);
    cw_enc_u128(e, 1);
}
static void enc_price_as_int(struct thing *t, cw_enc *e)
{
    (void)t;
    cw_enc_array(e, 6);
    cw_enc_cstr(e, "a");
    cw_enc_u64(e, 1);
    cw_enc_bin(e, "0123456789abcdef0123456789abcdef", 32);
    cw_enc_array(e, 0);
    cw_enc_nil(e);
    cw_enc_u64(e, 1);
}

static void test_typed_reader_names_the_wrong_field(void **s)
{
    (void)s;
    static const struct field_case cases[] = {
        {"wrong arity", enc_wrong_arity, CW_EMALFORMED, "thing: expected 6 fields, got 5"},
        {"wrong type", enc_height_as_str, CW_EMALFORMED,
         "thing.height: expected unsigned integer, got str"},
        {"wrong length", enc_short_hash, CW_EMALFORMED, "thing.hash: expected 32 bytes, got 4"},
        {"identifier with '/'", enc_bad_chain_id, CW_EINVAL, "thing.chain_id: character '/'"},
        {"list over its bound", enc_too_many_items, CW_ETOOBIG,
         "thing.items: 9 elements exceed the limit of 8"},
        {"negative where unsigned", enc_negative_item, CW_EMALFORMED,
         "thing.items[1]: expected unsigned integer, got negative integer"},
        {"u128 not as bin16", enc_price_as_int, CW_EMALFORMED, "thing.price: expected 16-byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cw_enc e;
        struct thing t;
        char err[256] = "";
        size_t len;
        cw_enc_init(&e);
        cases[i].mutate(&t, &e);
        uint8_t *buf = cw_enc_release(&e, &len);
        assert_non_null(buf);
        int rc = decode_thing(&t, buf, len, err, sizeof err);
        if (rc != cases[i].rc || !strstr(err, cases[i].msg))
            fail_msg("case '%s': got %d (%s), want %d with '%s'", cases[i].name, rc, err,
                     cases[i].rc, cases[i].msg);
        /* sticky error: the last field, read after the failure, holds its zero value */
        assert_true(t.price == 0);
        free(buf);
    }
}

/* cw_dec_bin and cw_dec_str share one reader: each keeps its own type and bound in the error
 * line, with the caller's formatted field name. */
static void test_bin_and_str_readers_name_type_and_bound(void **s)
{
    (void)s;
    /* ["abc", bin "abc"] */
    uint8_t buf[] = {0x92, 0xa3, 'a', 'b', 'c', 0xc4, 0x03, 'a', 'b', 'c'};
    static const struct {
        bool bin;
        int index;
        size_t max;
        int rc;
        const char *msg;
    } cases[] = {
        {true, 1, 3, CW_OK, ""},
        {false, 0, 3, CW_OK, ""},
        {true, 0, 3, CW_EMALFORMED, "f[0]: expected bin, got str"},
        {false, 1, 3, CW_EMALFORMED, "f[1]: expected str, got bin"},
        {true, 1, 2, CW_ETOOBIG, "f[1]: 3 bytes exceed the limit of 2"},
        {false, 0, 2, CW_ETOOBIG, "f[0]: 3 bytes exceed the limit of 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cw_dec d;
        const msgpack_object *root;
        char err[128] = "";
        assert_int_equal(cw_dec_open(&d, &root, buf, sizeof buf, 100, err, sizeof err), CW_OK);
        const msgpack_object *f = cw_dec_array(&d, root, 2, "pair");
        int k = cases[i].index;
        cw_bytes b = cases[i].bin ? cw_dec_bin(&d, &f[k], cases[i].max, "f[%d]", k)
                                  : cw_dec_str(&d, &f[k], cases[i].max, "f[%d]", k);
        if (d.rc != cases[i].rc || strcmp(err, cases[i].msg) != 0)
            fail_msg("case %zu: got %d (%s), want %d (%s)", i, d.rc, err, cases[i].rc,
                     cases[i].msg);
        if (cases[i].rc == CW_OK)
            assert_true(b.len == 3 && memcmp(b.p, "abc", 3) == 0);
        else
            assert_true(b.p == NULL && b.len == 0);
        cw_dec_close(&d);
    }
}

static void test_dec_label_joins_and_truncates(void **s)
{
    (void)s;
    char small[8];
    assert_string_equal(CW_DEC_LABEL("light_block", "signed_header"), "light_block.signed_header");
    assert_ptr_equal(cw_dec_label(small, sizeof small, "status", "height"), small);
    assert_string_equal(small, "status.");
}

static void test_sticky_error_keeps_first_failure(void **s)
{
    (void)s;
    cw_dec d;
    const msgpack_object *root;
    char err[128];
    uint8_t buf[] = {0x92, 0xa1, 'x', 0xa1, 'y'}; /* ["x", "y"] */
    assert_int_equal(cw_dec_open(&d, &root, buf, sizeof buf, 100, err, sizeof err), CW_OK);
    const msgpack_object *f = cw_dec_array(&d, root, 2, "pair");
    assert_int_equal(cw_dec_u64(&d, &f[0], "pair.first"), 0);
    assert_int_equal(cw_dec_u64(&d, &f[1], "pair.second"), 0);
    assert_int_equal(d.rc, CW_EMALFORMED);
    assert_non_null(strstr(err, "pair.first"));
    assert_int_equal(cw_dec_fail(&d, CW_EINVAL, "later"), CW_EMALFORMED);
    assert_null(strstr(err, "later"));
    cw_dec_close(&d);
}

static void test_every_truncation_of_valid_input_rejected(void **s)
{
    (void)s;
    struct thing t = sample();
    size_t len;
    char err[256];
    uint8_t *buf = encode_thing(&t, &len);
    for (size_t n = 0; n < len; n++)
        assert_int_not_equal(open_raw(n ? buf : NULL, n, err, sizeof err), CW_OK);
    assert_int_equal(open_raw(buf, len, err, sizeof err), CW_OK);
    free(buf);
}

static void test_encoder_uses_shortest_forms(void **s)
{
    (void)s;
    static const struct { uint64_t v; const char *hex; } ints[] = {
        {0, "00"}, {127, "7f"}, {128, "cc80"}, {255, "ccff"}, {256, "cd0100"},
        {65536, "ce00010000"}, {UINT64_MAX, "cfffffffffffffffff"},
    };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        cw_enc e;
        char hex[64];
        cw_enc_init(&e);
        cw_enc_u64(&e, ints[i].v);
        cw_hex_encode(hex, sizeof hex, cw_enc_data(&e), cw_enc_len(&e));
        assert_string_equal(hex, ints[i].hex);
        cw_enc_free(&e);
    }
    cw_enc e;
    char big[40] = {0}, hex[128];
    memset(big, 'a', 31);
    cw_enc_init(&e);
    cw_enc_cstr(&e, big);  /* 31 bytes: fixstr */
    cw_enc_bin(&e, "", 0); /* empty bin: bin8 with length 0 */
    cw_hex_encode(hex, sizeof hex, cw_enc_data(&e), 2);
    assert_string_equal(hex, "bf61");
    assert_int_equal(cw_enc_data(&e)[32], 0xc4);
    assert_int_equal(cw_enc_data(&e)[33], 0x00);
    cw_enc_free(&e);
    cw_enc_free(NULL);
}

static void test_prescan_alone_checks_bounds_without_decoding(void **s)
{
    (void)s;
    char err[128];
    uint8_t ok[] = {0x92, 0x01, 0xc4, 0x01, 0xff};
    uint8_t bad[] = {0x92, 0x01, 0xc4, 0x05, 0xff};
    assert_int_equal(cw_codec_prescan(ok, sizeof ok, err, sizeof err), CW_OK);
    assert_int_equal(cw_codec_prescan(bad, sizeof bad, err, sizeof err), CW_ETOOBIG);
    assert_int_equal(cw_codec_prescan(NULL, 0, err, sizeof err), CW_EMALFORMED);
}


/* ---- the one-pass canonical check against the re-encode it replaced -------------------- */

/* The oracle: decode with msgpack-c alone and re-encode with its packer; canonical iff the
 * bytes come back equal (the rule as first stated, DESIGN §4). */
static int reencode_write(void *data, const char *p, size_t n)
{
    msgpack_sbuffer *sb = data;
    return msgpack_sbuffer_write(sb, p, n);
}

static bool reencodes_equal(const uint8_t *buf, size_t len)
{
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    bool eq = false;
    if (msgpack_unpack_next(&u, (const char *)buf, len, &off) == MSGPACK_UNPACK_SUCCESS &&
        off == len) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, reencode_write);
        msgpack_pack_object(&pk, u.data);
        eq = sb.size == len && memcmp(sb.data, buf, len) == 0;
        msgpack_sbuffer_destroy(&sb);
    }
    msgpack_unpacked_destroy(&u);
    return eq;
}

static uint64_t g_x = 0x243f6a8885a308d3ull;
static uint64_t rnd64(void)
{
    g_x ^= g_x << 13;
    g_x ^= g_x >> 7;
    g_x ^= g_x << 17;
    return g_x;
}

static void put_be(uint8_t **w, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--)
        *(*w)++ = (uint8_t)(v >> (8 * i));
}

/* A value near the edges of every header's range. */
static uint64_t edge_u(void)
{
    static const uint64_t e[] = {0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536,
                                 0xffffffffull, 0x100000000ull, UINT64_MAX};
    uint64_t v = e[rnd64() % (sizeof e / sizeof e[0])];
    return rnd64() % 4 == 0 ? rnd64() >> (rnd64() % 64) : v;
}

/* Writes one random object into *w with a randomly chosen (often wider than needed) header;
 * *minimal stays true only while every header chosen is the smallest for its value. */
static void gen_obj(uint8_t **w, const uint8_t *end, int depth, bool *minimal)
{
    if (end - *w < 80)
        depth = 9;
    switch (rnd64() % (depth > 3 ? 3 : 5)) {
    case 0: { /* unsigned */
        uint64_t v = edge_u();
        int form = (int)(rnd64() % 5); /* fixint, u8, u16, u32, u64 */
        uint64_t lim[] = {0x7f, 0xff, 0xffff, 0xffffffffull, UINT64_MAX};
        while (v > lim[form])
            form++;
        int need = v <= 0x7f ? 0 : v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffull ? 3 : 4;
        *minimal &= form == need;
        if (form == 0)
            *(*w)++ = (uint8_t)v;
        else {
            *(*w)++ = (uint8_t)(0xcb + form);
            put_be(w, v, 1 << (form - 1));
        }
        break;
    }
    case 1: { /* signed forms, any sign */
        int64_t v = (int64_t)edge_u();
        if (rnd64() % 2)
            v = -(int64_t)(edge_u() >> 1) - 1;
        int form = (int)(rnd64() % 5); /* neg fixint, i8, i16, i32, i64 */
        int64_t lo[] = {-32, INT8_MIN, INT16_MIN, INT32_MIN, INT64_MIN};
        int64_t hi[] = {-1, INT8_MAX, INT16_MAX, INT32_MAX, INT64_MAX};
        while (v < lo[form] || v > hi[form])
            form++;
        bool neg_min = v < 0 && form == (v >= -32 ? 0 : v >= INT8_MIN ? 1 : v >= INT16_MIN ? 2
                                                        : v >= INT32_MIN ? 3 : 4);
        *minimal &= neg_min; /* a signed type never holds a value >= 0 */
        if (form == 0)
            *(*w)++ = (uint8_t)(int8_t)v;
        else {
            *(*w)++ = (uint8_t)(0xcf + form);
            put_be(w, (uint64_t)v, 1 << (form - 1));
        }
        break;
    }
    case 2: { /* str or bin */
        bool bin = rnd64() % 2;
        size_t n = (size_t)(rnd64() % 3 == 0 ? edge_u() % 300 : rnd64() % 40);
        if ((size_t)(end - *w) < n + 8)
            n = 0;
        int form = (int)(rnd64() % 4); /* fixstr (str only), 8, 16, 32 */
        if (bin && form == 0)
            form = 1;
        if (form == 0 && n > 31)
            form = 1;
        if (form == 1 && n > 255)
            form = 2;
        int need = !bin && n <= 31 ? 0 : n <= 255 ? 1 : n <= 65535 ? 2 : 3;
        *minimal &= form == need;
        if (form == 0)
            *(*w)++ = (uint8_t)(0xa0 | n);
        else {
            *(*w)++ = (uint8_t)((bin ? 0xc3 : 0xd8) + form);
            put_be(w, n, 1 << (form - 1));
        }
        for (size_t i = 0; i < n; i++)
            *(*w)++ = (uint8_t)('a' + rnd64() % 26);
        break;
    }
    default: { /* array */
        size_t n = (size_t)(rnd64() % 20);
        int form = (int)(rnd64() % 3); /* fixarray, array16, array32 */
        if (form == 0 && n > 15)
            form = 1;
        *minimal &= form == (n <= 15 ? 0 : 1);
        if (form == 0)
            *(*w)++ = (uint8_t)(0x90 | n);
        else {
            *(*w)++ = form == 1 ? 0xdc : 0xdd;
            put_be(w, n, form == 1 ? 2 : 4);
        }
        for (size_t i = 0; i < n; i++)
            gen_obj(w, end, depth + 1, minimal);
        break;
    }
    }
}

static void test_one_pass_check_agrees_with_reencode(void **s)
{
    (void)s;
    static uint8_t buf[1 << 16];
    size_t accepted = 0, noncanon = 0, mutated = 0;
    for (int i = 0; i < 200000; i++) {
        uint8_t *w = buf;
        bool minimal = true;
        gen_obj(&w, buf + sizeof buf - 1024, 0, &minimal);
        size_t len = (size_t)(w - buf);
        if (i % 4 == 3) { /* and random byte damage, for inputs no generator would write */
            buf[rnd64() % len] = (uint8_t)rnd64();
            mutated++;
        }
        cw_dec d;
        const msgpack_object *root;
        char err[160];
        int rc = cw_dec_open(&d, &root, buf, len, sizeof buf, err, sizeof err);
        cw_dec_close(&d);
        /* (the oracle only on inputs within bounds: msgpack-c alone would allocate what a
         * damaged length declares) */
        bool oracle = cw_codec_prescan(buf, len, NULL, 0) == CW_OK && reencodes_equal(buf, len);
        if (i % 4 != 3 && minimal != (rc == CW_OK)) {
            print_error("case %d: generator says %s, decoder %d (%s)\n", i,
                        minimal ? "canonical" : "non-canonical", rc, err);
            fail();
        }
        if (rc == CW_OK && !oracle) {
            print_error("case %d: accepted but does not re-encode to itself\n", i);
            fail();
        }
        if (rc == CW_ENONCANONICAL && oracle) {
            print_error("case %d: refused as non-canonical but re-encodes to itself: %s\n", i, err);
            fail();
        }
        accepted += rc == CW_OK;
        noncanon += rc == CW_ENONCANONICAL;
    }
    /* both verdicts are exercised, or the comparison proves nothing */
    assert_true(accepted > 20000);
    assert_true(noncanon > 20000);
    assert_true(mutated > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_preserves_every_field),
        cmocka_unit_test(test_strict_decoder_rejects_each_malformed_case),
        cmocka_unit_test(test_nesting_deeper_than_limit_rejected),
        cmocka_unit_test(test_input_over_max_len_rejected),
        cmocka_unit_test(test_typed_reader_names_the_wrong_field),
        cmocka_unit_test(test_sticky_error_keeps_first_failure),
        cmocka_unit_test(test_bin_and_str_readers_name_type_and_bound),
        cmocka_unit_test(test_dec_label_joins_and_truncates),
        cmocka_unit_test(test_every_truncation_of_valid_input_rejected),
        cmocka_unit_test(test_encoder_uses_shortest_forms),
        cmocka_unit_test(test_prescan_alone_checks_bounds_without_decoding),
        cmocka_unit_test(test_one_pass_check_agrees_with_reencode),
    };
    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
