/* Canonical msgpack codec: round trips, and every rejection of DESIGN §4 with the message
 * naming what was wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

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
    };
    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
