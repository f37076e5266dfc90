/* libFuzzer: ICS-04 wire decoding — Packet (cw_packet_dec) and Ack (cw_ack_decode).
 * Properties: no crash or leak; an accepted packet re-encodes to the same bytes (canonical),
 * has sequence > 0 and a timeout, identifiers valid, data within bounds; its commitment and
 * the timeout predicate are total; an accepted ack re-encodes identically. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_dec d;
    const msgpack_object *root;
    char err[256];
    if (cw_dec_open(&d, &root, data, size, 1u << 16, err, sizeof err) == CW_OK) {
        cw_packet p;
        cw_packet_dec(&d, root, &p, "packet");
        if (d.rc == CW_OK) {
            if (p.sequence == 0 || (p.timeout_height == 0 && p.timeout_timestamp_ns == 0) ||
                p.data.len > CW_PACKET_DATA_MAX)
                abort();
            cw_enc e;
            cw_enc_init(&e);
            cw_packet_enc(&e, &p);
            if (cw_enc_len(&e) != size || memcmp(cw_enc_data(&e), data, size) != 0)
                abort();
            cw_enc_free(&e);
            uint8_t c[32];
            cw_packet_commitment(c, &p);
            if (cw_packet_timed_out(&p, 0, 0))
                abort(); /* nothing is timed out at height 0, time 0 */
            if (!cw_packet_timed_out(&p, UINT64_MAX, UINT64_MAX))
                abort(); /* everything with a timeout is timed out at the end of time */
        }
    }
    cw_dec_close(&d);
    bool ok;
    cw_bytes payload;
    if (cw_ack_decode(&ok, &payload, data, size, err, sizeof err) == CW_OK) {
        cw_enc e;
        cw_enc_init(&e);
        if (ok) {
            cw_ack_enc_ok(&e, payload.p, payload.len);
        } else {
            char msg[CW_ACK_MAX + 1];
            memcpy(msg, payload.p, payload.len);
            msg[payload.len] = '\0';
            if (strlen(msg) != payload.len || payload.len > 256) {
                /* embedded NUL or long error strings cannot be rebuilt by cw_ack_enc_error */
                cw_enc_free(&e);
                return 0;
            }
            cw_ack_enc_error(&e, msg);
        }
        if (cw_enc_len(&e) != size || memcmp(cw_enc_data(&e), data, size) != 0)
            abort();
        cw_enc_free(&e);
    }
    return 0;
}
