/* libFuzzer: the strict canonical decoder (common/codec.c).
 * Properties checked on every input:
 *   - never crashes, leaks or over-allocates (ASan/UBSan, -rss_limit_mb);
 *   - an accepted input re-encodes (independently, via msgpack_pack_object into a fresh
 *     buffer) to exactly the same bytes, and contains no map/float/ext; an input refused as
 *     non-canonical does not (the one-pass header check agrees with the re-encode rule);
 *   - the typed accessors never fail on a type they were told to expect when the object
 *     has that type, and every accessor tolerates every object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/codec.h"

static void walk(cw_dec *d, const msgpack_object *o, int depth)
{
    char id[65];
    uint8_t fixed[32];
    uint32_t n;
    if (depth > CW_CODEC_MAX_DEPTH)
        abort(); /* the decoder promised a depth bound */
    switch (o->type) {
    case MSGPACK_OBJECT_ARRAY: {
        const msgpack_object *it = cw_dec_list(d, o, UINT32_MAX, &n, "a");
        if (d->rc || n != o->via.array.size)
            abort();
        for (uint32_t i = 0; i < n; i++)
            walk(d, &it[i], depth + 1);
        break;
    }
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (cw_dec_u64(d, o, "u") != o->via.u64 || d->rc)
            abort();
        break;
    case MSGPACK_OBJECT_BIN:
        (void)cw_dec_bin(d, o, SIZE_MAX, "b");
        if (d->rc)
            abort();
        if (o->via.bin.size == 16)
            (void)cw_dec_u128(d, o, "u128");
        if (o->via.bin.size == 32)
            cw_dec_bin_fixed(d, o, fixed, 32, "h");
        if (d->rc)
            abort();
        break;
    case MSGPACK_OBJECT_STR: {
        cw_dec probe = *d; /* identifier validation may legitimately fail: use a copy */
        cw_dec_id(&probe, o, id, "id");
        if (probe.rc == CW_OK && strlen(id) != o->via.str.size)
            abort();
        break;
    }
    case MSGPACK_OBJECT_NIL:
    case MSGPACK_OBJECT_BOOLEAN:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        break;
    default:
        abort(); /* map, float, ext must never be accepted */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_dec d;
    const msgpack_object *root;
    char err[256];
    int rc = cw_dec_open(&d, &root, data, size, 1u << 20, err, sizeof err);
    if (rc == CW_OK) {
        if (cw_codec_prescan(data, size, NULL, 0) != CW_OK)
            abort();
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_object(&pk, *root);
        if (sb.size != size || memcmp(sb.data, data, size) != 0)
            abort();
        msgpack_sbuffer_destroy(&sb);
        walk(&d, root, 0);
    } else if (err[0] == '\0') {
        abort(); /* every rejection names what was wrong */
    } else if (rc == CW_ENONCANONICAL) {
        msgpack_unpacked u;
        size_t off = 0;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, (const char *)data, size, &off) != MSGPACK_UNPACK_SUCCESS ||
            off != size)
            abort(); /* non-canonical means: decodes, but not in its one encoding */
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_object(&pk, u.data);
        if (sb.size == size && memcmp(sb.data, data, size) == 0)
            abort();
        msgpack_sbuffer_destroy(&sb);
        msgpack_unpacked_destroy(&u);
    }
    cw_dec_close(&d);
    return 0;
}
