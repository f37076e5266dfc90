/* libFuzzer: the MessagePack-RPC frame decoder (common/rpc.c).
 * Properties checked on every input:
 *   - never crashes, leaks or over-allocates (ASan/UBSan, -rss_limit_mb);
 *   - an accepted frame is rebuilt from its decoded fields alone with the public encoders
 *     (cw_rpc_encode_request/_result/_error/_notification) to exactly the input bytes;
 *   - a refused frame always names what was wrong, and reports a msgid only when the frame
 *     really is a request/response whose second element is a u32. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/rpc.h"

#define MAX_FRAME (1u << 20)

static void rebuild(const cw_rpc_frame *f, const uint8_t *data, size_t size)
{
    cw_enc e, part;
    cw_enc_init(&e);
    cw_enc_init(&part);
    int rc;
    switch (f->kind) {
    case CW_RPC_REQUEST:
        if (!f->has_msgid || cw_rpc_encode_object(&part, f->params) != CW_OK)
            abort();
        rc = cw_rpc_encode_request(&e, f->msgid, f->method, cw_enc_data(&part), cw_enc_len(&part));
        break;
    case CW_RPC_RESPONSE:
        if (f->is_error) {
            if (!cw_dec_is_nil(f->result))
                abort();
            /* the error message is not NUL-terminated and may contain NUL: compare via a
             * copy only when it has none (otherwise encode_error would cut it short) */
            if (!f->err_msg || (f->err_msg_len && memchr(f->err_msg, 0, f->err_msg_len)))
                goto out;
            char *msg = malloc(f->err_msg_len + 1);
            if (!msg)
                abort();
            memcpy(msg, f->err_msg, f->err_msg_len);
            msg[f->err_msg_len] = '\0';
            rc = cw_rpc_encode_error(&e, f->has_msgid, f->msgid, f->err_code, msg);
            free(msg);
        } else {
            if (!f->has_msgid) /* a success response always carries its msgid */
                abort();
            if (cw_rpc_encode_object(&part, f->result) != CW_OK)
                abort();
            rc = cw_rpc_encode_result(&e, f->msgid, cw_enc_data(&part), cw_enc_len(&part));
        }
        break;
    case CW_RPC_NOTIFICATION:
        if (cw_rpc_encode_object(&part, f->params) != CW_OK)
            abort();
        rc = cw_rpc_encode_notification(&e, f->method, cw_enc_data(&part), cw_enc_len(&part));
        break;
    default:
        abort();
    }
    if (rc != CW_OK || cw_enc_len(&e) != size || memcmp(cw_enc_data(&e), data, size) != 0)
        abort();
out:
    cw_enc_free(&e);
    cw_enc_free(&part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_dec d;
    cw_rpc_frame f;
    char err[256] = "";
    int rc = cw_rpc_decode(&d, &f, data, size, MAX_FRAME, err, sizeof err);
    if (rc == CW_OK) {
        if (strlen(f.method) > CW_RPC_METHOD_MAX)
            abort();
        rebuild(&f, data, size);
    } else {
        if (err[0] == '\0')
            abort();
        if (f.has_msgid && f.kind != CW_RPC_REQUEST && f.kind != CW_RPC_RESPONSE)
            abort();
    }
    cw_dec_close(&d);
    return 0;
}
