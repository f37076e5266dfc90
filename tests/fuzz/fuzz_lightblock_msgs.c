/* libFuzzer: the light client's other decoders — MsgUpdateClient, MsgSubmitMisbehaviour,
 * ClientState, TrustedState — chosen by the first byte. A decode that succeeds must
 * re-encode to exactly the input (one encoding per value), and client states that decode
 * must satisfy cw_lc_client_state_validate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/lightclient.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(int rc, uint8_t *re, size_t re_len, const uint8_t *data, size_t size)
{
    if (rc != CW_OK || re_len != size || memcmp(re, data, size) != 0)
        abort(); /* accepted bytes that are not the canonical encoding */
    free(re);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    uint8_t *re;
    size_t re_len;
    int rc;
    if (size < 1)
        return 0;
    uint8_t which = data[0] & 3;
    data++, size--;
    switch (which) {
    case 0: {
        cw_msg_update_client m;
        if (cw_msg_update_client_decode(&m, data, size, err, sizeof err) == CW_OK) {
            rc = cw_msg_update_client_encode(&re, &re_len, &m);
            same(rc, re, re_len, data, size);
        }
        cw_msg_update_client_free(&m);
        break;
    }
    case 1: {
        cw_msg_submit_misbehaviour m;
        if (cw_msg_submit_misbehaviour_decode(&m, data, size, err, sizeof err) == CW_OK) {
            rc = cw_msg_submit_misbehaviour_encode(&re, &re_len, &m);
            same(rc, re, re_len, data, size);
        }
        cw_msg_submit_misbehaviour_free(&m);
        break;
    }
    case 2: {
        cw_lc_client_state cs;
        if (cw_lc_client_state_decode(&cs, data, size, err, sizeof err) == CW_OK) {
            if (cw_lc_client_state_validate(&cs, NULL, 0) != CW_OK)
                abort();
            rc = cw_lc_client_state_encode(&re, &re_len, &cs);
            same(rc, re, re_len, data, size);
        }
        break;
    }
    default: {
        cw_lc_trusted_state ts;
        if (cw_lc_trusted_state_decode(&ts, data, size, err, sizeof err) == CW_OK) {
            rc = cw_lc_trusted_state_encode(&re, &re_len, &ts);
            same(rc, re, re_len, data, size);
        }
        cw_lc_trusted_state_free(&ts);
        break;
    }
    }
    return 0;
}
