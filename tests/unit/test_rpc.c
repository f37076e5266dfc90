/* MessagePack-RPC frame codec: round trips, every malformed shape, bounds, canonical form,
 * and the encoders' refusals. Vectors were produced with Python's msgpack (an independent
 * encoder) and are kept here as hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "causeway/rpc.h"
#include "../testutil.h"

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

struct bad {
    const char *name, *hex;
    int rc;
    bool has_msgid; /* what the decoder must still report */
    const char *needle; /* must appear in err */
};

static const struct bad bad_frames[] = {
    {"not_array", "05", CW_EMALFORMED, false, "array of 3 or 4"},
    {"arity2", "920001", CW_EMALFORMED, false, "array of 3 or 4"},
    {"arity5", "950001a16d9001", CW_EMALFORMED, false, "array of 3 or 4"},
    {"tag3", "940301a16d90", CW_EMALFORMED, false, "type"},
    {"tag_neg", "94ff01a16d90", CW_EMALFORMED, false, "type"},
    {"tag_str", "94a13001a16d90", CW_EMALFORMED, false, "type"},
    {"req_arity3", "930001a16d", CW_EMALFORMED, false, "request: expected 4"},
    {"msgid_neg", "9400ffa16d90", CW_EMALFORMED, false, "msgid"},
    {"msgid_big", "9400cf0000000100000000a16d90", CW_EMALFORMED, false, "msgid"},
    {"msgid_str", "9400a131a16d90", CW_EMALFORMED, false, "msgid"},
    {"msgid_nil_req", "9400c0a16d90", CW_EMALFORMED, false, "msgid"},
    {"method_bin", "940001c4016d90", CW_EMALFORMED, true, "method"},
    {"method_slash", "940001a3612f6290", CW_EMALFORMED, true, "method"},
    {"method_empty", "940001a090", CW_EMALFORMED, true, "method"},
    {"params_nil", "940001a16dc0", CW_EMALFORMED, true, "params"},
    {"params_int", "940001a16d07", CW_EMALFORMED, true, "params"},
    {"params_map", "940001a16d9180", CW_EMALFORMED, false, "map"},
    {"params_float", "940001a16d91ca00000000", CW_EMALFORMED, false, "float"},
    {"resp_arity3", "930101c0", CW_EMALFORMED, false, "response: expected 4"},
    {"resp_msgid_str", "9401a178c0c0", CW_EMALFORMED, false, "msgid"},
    {"resp_err_int", "94010105c0", CW_EMALFORMED, true, "error"},
    {"resp_err_arity3", "9401019301a17802c0", CW_EMALFORMED, true, "error"},
    {"resp_code_str", "94010192a178a179c0", CW_EMALFORMED, true, "error.code"},
    {"resp_code_big", "94010192ce80000000a179c0", CW_EMALFORMED, true, "error.code"},
    {"resp_code_small", "94010192d3ffffffff7fffffffa179c0", CW_EMALFORMED, true, "error.code"},
    {"resp_msg_bin", "94010192ffc40179c0", CW_EMALFORMED, true, "error.message"},
    {"resp_nil_msgid_ok", "9401c0c000", CW_EMALFORMED, false, "only in an error"},
    {"resp_both", "94010192ffa17905", CW_EMALFORMED, true, "result"},
    {"notif_arity4", "9402a16d9001", CW_EMALFORMED, false, "notification: expected 3"},
    {"notif_method_int", "93020590", CW_EMALFORMED, false, "method"},
    {"notif_params_str", "9302a16da178", CW_EMALFORMED, false, "params"},
    {"noncanonical_msgid", "9400cd0007a16d90", CW_ENONCANONICAL, false, "non-canonical"},
    {"noncanonical_fixarray", "dc00040001a16d90", CW_ENONCANONICAL, false, "non-canonical"},
    {"trailing", "940007a67374617475739000", CW_EMALFORMED, false, "trailing"},
    {"truncated", "940007a6737461", CW_EMALFORMED, false, "msgpack"},
    {"empty", "", CW_EMALFORMED, false, "empty"},
    {"huge_array_header", "dd7fffffff", CW_ETOOBIG, false, "declares"},
};

static void test_malformed_shapes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_frames / sizeof bad_frames[0]; i++) {
        const struct bad *b = &bad_frames[i];
        uint8_t buf[256];
        size_t n = unhex(buf, sizeof buf, b->hex);
        char err[256] = "";
        cw_dec d;
        cw_rpc_frame f;
        int rc = cw_rpc_decode(&d, &f, buf, n, 1 << 16, err, sizeof err);
        cw_dec_close(&d);
        if (rc != b->rc || f.has_msgid != b->has_msgid || !strstr(err, b->needle))
            fail_msg("%s: rc=%d (want %d) has_msgid=%d (want %d) err='%s' (want '%s')", b->name,
                     rc, b->rc, f.has_msgid, b->has_msgid, err, b->needle);
        if (b->has_msgid && f.msgid != 1)
            fail_msg("%s: msgid %u", b->name, f.msgid);
    }
}

static void test_long_fields(void **state)
{
    (void)state;
    char err[256];
    cw_dec d;
    cw_rpc_frame f;
    /* method of 65 bytes: [0, 1, "m"*65, []] */
    uint8_t buf[2100];
    size_t n = 0;
    buf[n++] = 0x94, buf[n++] = 0x00, buf[n++] = 0x01, buf[n++] = 0xd9, buf[n++] = 65;
    memset(buf + n, 'm', 65), n += 65;
    buf[n++] = 0x90;
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n, 1 << 16, err, sizeof err), CW_ETOOBIG);
    assert_true(f.has_msgid);
    assert_non_null(strstr(err, "method"));
    cw_dec_close(&d);
    /* exactly 64 bytes is fine */
    buf[4] = 64;
    memmove(buf + 5 + 64, buf + 5 + 65, 1);
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n - 1, 1 << 16, err, sizeof err), CW_OK);
    assert_int_equal(strlen(f.method), 64);
    cw_dec_close(&d);
    /* error message of 1025 bytes: [1, 1, [-1, "y"*1025], nil] */
    n = 0;
    buf[n++] = 0x94, buf[n++] = 0x01, buf[n++] = 0x01, buf[n++] = 0x92, buf[n++] = 0xff;
    buf[n++] = 0xda, buf[n++] = 0x04, buf[n++] = 0x01;
    memset(buf + n, 'y', 1025), n += 1025;
    buf[n++] = 0xc0;
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n, 1 << 16, err, sizeof err), CW_EMALFORMED);
    assert_non_null(strstr(err, "error.message"));
    cw_dec_close(&d);
}

static void test_oversized(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = unhex(buf, sizeof buf, "940007a673746174757390");
    char err[256];
    cw_dec d;
    cw_rpc_frame f;
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n, n - 1, err, sizeof err), CW_ETOOBIG);
    assert_non_null(strstr(err, "exceeds"));
    cw_dec_close(&d);
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n, n, err, sizeof err), CW_OK);
    cw_dec_close(&d);
}

static void test_valid_frames(void **state)
{
    (void)state;
    uint8_t buf[128];
    char err[256];
    cw_dec d;
    cw_rpc_frame f;
    size_t n;

    n = unhex(buf, sizeof buf, "9400ceffffffffab6c696768745f626c6f636b9405c40101c091c3");
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n, 1 << 16, err, sizeof err), CW_OK);
    assert_int_equal(f.kind, CW_RPC_REQUEST);
    assert_true(f.has_msgid);
    assert_int_equal(f.msgid, UINT32_MAX);
    assert_string_equal(f.method, "light_block");
    assert_int_equal(f.params->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(f.params->via.array.size, 4);
    /* params borrow from the input buffer */
    assert_ptr_equal(f.params->via.array.ptr[1].via.bin.ptr, (const char *)buf + 23);
    cw_dec_close(&d);

    n = unhex(buf, sizeof buf, "940107c0920102");
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n, 1 << 16, err, sizeof err), CW_OK);
    assert_int_equal(f.kind, CW_RPC_RESPONSE);
    assert_false(f.is_error);
    assert_int_equal(f.result->via.array.size, 2);
    cw_dec_close(&d);

    n = unhex(buf, sizeof buf, "940100c0c0");
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n, 1 << 16, err, sizeof err), CW_OK);
    assert_false(f.is_error);
    assert_true(cw_dec_is_nil(f.result));
    cw_dec_close(&d);

    n = unhex(buf, sizeof buf, "94010792d18ac3b2756e6b6e6f776e206d6574686f6420277827c0");
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n, 1 << 16, err, sizeof err), CW_OK);
    assert_true(f.is_error);
    assert_int_equal(f.err_code, CW_ENOTFOUND);
    assert_int_equal(f.err_msg_len, 18);
    assert_memory_equal(f.err_msg, "unknown method 'x'", 18);
    cw_dec_close(&d);

    n = unhex(buf, sizeof buf, "9401c092d18acfa3626164c0");
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n, 1 << 16, err, sizeof err), CW_OK);
    assert_false(f.has_msgid);
    assert_int_equal(f.err_code, CW_EMALFORMED);
    cw_dec_close(&d);

    n = unhex(buf, sizeof buf, "9302a6626c6f636b73919201c40168");
    assert_int_equal(cw_rpc_decode(&d, &f, buf, n, 1 << 16, err, sizeof err), CW_OK);
    assert_int_equal(f.kind, CW_RPC_NOTIFICATION);
    assert_string_equal(f.method, "blocks");
    assert_int_equal(f.params->via.array.size, 1);
    cw_dec_close(&d);
}

static void expect_bytes(cw_enc *e, const char *hex)
{
    uint8_t want[128];
    size_t n = unhex(want, sizeof want, hex);
    assert_int_equal(e->rc, CW_OK);
    assert_int_equal(cw_enc_len(e), n);
    assert_memory_equal(cw_enc_data(e), want, n);
    cw_enc_free(e);
    cw_enc_init(e);
}

/* The reassembly buffer the client and the server share: a message starts on the first
 * fragment (recording text/binary), grows with what arrives, and refuses (appending nothing)
 * what would pass max counting the bytes still announced. */
static void test_rxbuf_reassembles_within_the_limit(void **state)
{
    (void)state;
    cw_rpc_rxbuf b = {0};
    assert_int_equal(cw_rpc_rxbuf_append(&b, "abc", 3, 2, 8, true), CW_OK);
    assert_true(b.started && b.text);
    assert_int_equal(cw_rpc_rxbuf_append(&b, "de", 2, 0, 8, false), CW_OK);
    assert_true(b.text); /* a continuation does not change the message's kind */
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.buf, "abcde", 5);
    assert_true(b.cap >= 5);
    /* 5 + 2 received + 2 announced > 8: refused, nothing appended */
    assert_int_equal(cw_rpc_rxbuf_append(&b, "fg", 2, 2, 8, false), CW_ETOOBIG);
    assert_int_equal(b.len, 5);
    assert_int_equal(cw_rpc_rxbuf_append(&b, "fgh", 3, 0, 8, false), CW_OK);
    assert_int_equal(b.len, 8);
    assert_int_equal(cw_rpc_rxbuf_append(&b, "i", 1, 0, 8, false), CW_ETOOBIG);
    /* the holder ends the message; the next one starts from 0 and keeps the buffer */
    b.started = false;
    assert_int_equal(cw_rpc_rxbuf_append(&b, "z", 1, 0, 8, false), CW_OK);
    assert_true(b.started && !b.text);
    assert_int_equal(b.len, 1);
    assert_int_equal(b.buf[0], 'z');
    free(b.buf);
}

static void test_encoders(void **state)
{
    (void)state;
    cw_enc e;
    uint8_t p[64];
    cw_enc_init(&e);

    assert_int_equal(cw_rpc_encode_request(&e, 7, "status", NULL, 0), CW_OK);
    expect_bytes(&e, "940007a673746174757390");
    size_t n = unhex(p, sizeof p, "9405c40101c091c3");
    assert_int_equal(cw_rpc_encode_request(&e, UINT32_MAX, "light_block", p, n), CW_OK);
    expect_bytes(&e, "9400ceffffffffab6c696768745f626c6f636b9405c40101c091c3");
    n = unhex(p, sizeof p, "920102");
    assert_int_equal(cw_rpc_encode_result(&e, 7, p, n), CW_OK);
    expect_bytes(&e, "940107c0920102");
    assert_int_equal(cw_rpc_encode_result(&e, 0, NULL, 0), CW_OK);
    expect_bytes(&e, "940100c0c0");
    assert_int_equal(cw_rpc_encode_error(&e, true, 7, CW_ENOTFOUND, "unknown method 'x'"), CW_OK);
    expect_bytes(&e, "94010792d18ac3b2756e6b6e6f776e206d6574686f6420277827c0");
    assert_int_equal(cw_rpc_encode_error(&e, false, 0, CW_EMALFORMED, "bad"), CW_OK);
    expect_bytes(&e, "9401c092d18acfa3626164c0");
    n = unhex(p, sizeof p, "919201c40168");
    assert_int_equal(cw_rpc_encode_notification(&e, "blocks", p, n), CW_OK);
    expect_bytes(&e, "9302a6626c6f636b73919201c40168");
    /* the server's publish form: one object wrapped as [payload] — the same frame */
    n = unhex(p, sizeof p, "9201c40168");
    assert_int_equal(cw_rpc_encode_notification_one(&e, "blocks", p, n), CW_OK);
    expect_bytes(&e, "9302a6626c6f636b73919201c40168");

    /* refusals: bad names, params not one array, result not one object */
    assert_int_equal(cw_rpc_encode_request(&e, 1, "a/b", NULL, 0), CW_EINVAL);
    assert_int_equal(e.rc, CW_EINVAL);
    cw_enc_free(&e), cw_enc_init(&e);
    assert_int_equal(cw_rpc_encode_request(&e, 1, "", NULL, 0), CW_EINVAL);
    cw_enc_free(&e), cw_enc_init(&e);
    n = unhex(p, sizeof p, "05");
    assert_int_equal(cw_rpc_encode_request(&e, 1, "m", p, n), CW_EINVAL);
    cw_enc_free(&e), cw_enc_init(&e);
    n = unhex(p, sizeof p, "9090");
    assert_int_equal(cw_rpc_encode_notification(&e, "m", p, n), CW_EINVAL);
    cw_enc_free(&e), cw_enc_init(&e);
    n = unhex(p, sizeof p, "0101");
    assert_int_equal(cw_rpc_encode_result(&e, 1, p, n), CW_EINVAL);
    cw_enc_free(&e), cw_enc_init(&e);
    assert_int_equal(cw_rpc_encode_notification_one(&e, "m", p, n), CW_EINVAL); /* two */
    cw_enc_free(&e), cw_enc_init(&e);
    assert_int_equal(cw_rpc_encode_notification_one(&e, "m", p, 0), CW_EINVAL); /* none */
    cw_enc_free(&e), cw_enc_init(&e);
    assert_int_equal(cw_rpc_encode_notification_one(&e, "a/b", p, 1), CW_EINVAL);
    cw_enc_free(&e), cw_enc_init(&e);
    n = unhex(p, sizeof p, "80");
    assert_int_equal(cw_rpc_encode_result(&e, 1, p, n), CW_EINVAL);
    cw_enc_free(&e);

    /* error messages are capped at CW_RPC_ERRMSG_MAX and still decode */
    char *longmsg = malloc(5000);
    assert_non_null(longmsg);
    memset(longmsg, 'z', 4999);
    longmsg[4999] = '\0';
    cw_enc_init(&e);
    assert_int_equal(cw_rpc_encode_error(&e, true, 3, -EIO, longmsg), CW_OK);
    cw_dec d;
    cw_rpc_frame f;
    char err[256];
    assert_int_equal(cw_rpc_decode(&d, &f, cw_enc_data(&e), cw_enc_len(&e), 1 << 16, err,
                                   sizeof err), CW_OK);
    assert_int_equal(f.err_code, -EIO);
    assert_int_equal(f.err_msg_len, CW_RPC_ERRMSG_MAX);
    cw_dec_close(&d);
    cw_enc_free(&e);
    free(longmsg);
}

/* Every frame with one byte changed either decodes to a frame that re-encodes to exactly
 * those bytes, or is refused with a message: no third outcome. */
static void test_every_byte_flip(void **state)
{
    (void)state;
    static const char *seeds[] = {
        "9400ceffffffffab6c696768745f626c6f636b9405c40101c091c3",
        "94010792d18ac3b2756e6b6e6f776e206d6574686f6420277827c0",
        "9302a6626c6f636b73919201c40168",
    };
    for (size_t s = 0; s < 3; s++) {
        uint8_t orig[128], buf[128];
        size_t n = unhex(orig, sizeof orig, seeds[s]);
        for (size_t i = 0; i < n; i++)
            for (int v = 0; v < 256; v++) {
                memcpy(buf, orig, n);
                buf[i] = (uint8_t)v;
                char err[256] = "";
                cw_dec d;
                cw_rpc_frame f;
                int rc = cw_rpc_decode(&d, &f, buf, n, 1 << 16, err, sizeof err);
                if (rc == CW_OK) {
                    cw_enc e;
                    cw_enc_init(&e);
                    assert_int_equal(cw_rpc_encode_object(&e, &d.u.data), CW_OK);
                    assert_int_equal(cw_enc_len(&e), n);
                    assert_memory_equal(cw_enc_data(&e), buf, n);
                    cw_enc_free(&e);
                } else {
                    assert_true(err[0] != '\0');
                }
                cw_dec_close(&d);
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_shapes), cmocka_unit_test(test_long_fields),
        cmocka_unit_test(test_oversized),        cmocka_unit_test(test_valid_frames),
        cmocka_unit_test(test_encoders),         cmocka_unit_test(test_every_byte_flip),
        cmocka_unit_test(test_rxbuf_reassembles_within_the_limit),
    };
    return cmocka_run_group_tests_name("rpc_codec", tests, NULL, NULL);
}
