/* libFuzzer: every msg decoder of the wire contract, through the msg tables.
 *
 * Input, two forms:
 *   0x92 …   a whole Msg [type, body] (what a tx carries): the type picks the table row;
 *            an unknown type is refused like the router would, without decoding;
 *   other    byte 0 picks row byte0 % n_rows, the rest is that msg's body — so every
 *            decoder is reached without the fuzzer having to spell its type.
 * The bytes pass the strict codec first (cw_dec_open), as a tx's do on the chain.
 * Properties: no crash, leak or sanitizer report; a refused body has an error line; an
 * accepted body re-encodes (cw_msg_X_enc) to exactly [type, body] — canonical round trip,
 * so no two encodings decode to one msg and nothing a decoder accepts is lost.
 *
 * The tables: the ibc.* msgs (causeway/msgs.h) and the app msgs (causeway/app_msgs.h) —
 * every msg of the contract. Seed corpus: tests/fuzz/corpus/fuzz_msgs, written
 * by CW_MSGS_CORPUS=… build/san/tests/unit/test_msgs (one sample of each msg, both forms). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/msgs.h"

static const cw_msg_codec *(*const TABLES[])(size_t *n) = {
    cw_msg_codecs_ibc,
    cw_msg_codecs_app,
};
#define N_TABLES (sizeof TABLES / sizeof TABLES[0])

/* row i of all tables together; *total receives the count */
static const cw_msg_codec *row_at(size_t i, size_t *total)
{
    const cw_msg_codec *hit = NULL;
    *total = 0;
    for (size_t t = 0; t < N_TABLES; t++) {
        size_t n;
        const cw_msg_codec *rows = TABLES[t](&n);
        if (!hit && i >= *total && i < *total + n)
            hit = &rows[i - *total];
        *total += n;
    }
    return hit;
}

static const cw_msg_codec *row_of(const char *type, size_t len)
{
    for (size_t t = 0; t < N_TABLES; t++) {
        size_t n;
        const cw_msg_codec *rows = TABLES[t](&n);
        const cw_msg_codec *c = cw_msg_codec_find(rows, n, type, len);
        if (c)
            return c;
    }
    return NULL;
}

/* Decode body with c; on success its re-encoding must be [c->type, body] byte for byte. */
static void check(const cw_msg_codec *c, const msgpack_object *body)
{
    char err[512] = "";
    cw_dec r = {.err = err, .err_len = sizeof err};
    void *m = calloc(1, c->size);
    if (!m)
        abort();
    c->dec(&r, body, m, c->type);
    if (r.rc != CW_OK && err[0] == '\0')
        abort(); /* a refusal says why */
    if (r.rc == CW_OK) {
        cw_enc want, got;
        cw_enc_init(&want);
        cw_enc_array(&want, 2);
        cw_enc_cstr(&want, c->type);
        cw_enc_object(&want, body);
        cw_enc_init(&got);
        c->enc(&got, m);
        if (want.rc || got.rc || cw_enc_len(&want) != cw_enc_len(&got) ||
            memcmp(cw_enc_data(&want), cw_enc_data(&got), cw_enc_len(&got)) != 0)
            abort(); /* accepted, but not what it re-encodes to */
        cw_enc_free(&want);
        cw_enc_free(&got);
    }
    if (c->free)
        c->free(m);
    free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    bool whole = data[0] == 0x92;
    const uint8_t *p = whole ? data : data + 1;
    size_t len = whole ? size : size - 1;
    cw_dec d;
    const msgpack_object *root;
    if (cw_dec_open(&d, &root, p, len, CW_CODEC_MAX_INPUT, NULL, 0) == CW_OK) {
        if (whole) {
            const msgpack_object *f = cw_dec_array(&d, root, 2, "msg");
            if (d.rc == CW_OK && f[0].type == MSGPACK_OBJECT_STR) {
                const cw_msg_codec *c = row_of(f[0].via.str.ptr, f[0].via.str.size);
                if (c)
                    check(c, &f[1]);
            }
        } else {
            size_t total;
            row_at(0, &total);
            check(row_at(data[0] % total, &total), root);
        }
    }
    cw_dec_close(&d);
    return 0;
}
