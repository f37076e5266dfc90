/* libFuzzer: ICS-20 wire decoding (causeway/ics20.h) — FungibleTokenPacketData JSON, the JSON
 * acknowledgement, the amount parser and the denom helpers, on bytes any counterparty can
 * put in a packet or an ack.
 * Properties: no crash or leak; a decoded packet holds NUL-terminated fields within their
 * bounds; when it validates and re-encodes, the encoding decodes back to the same fields
 * (the encoder and decoder agree) and is stable (encoding twice gives the same bytes); an
 * accepted ack is exactly one of result/error and its payload is the input; an amount that
 * parses prints back to itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/ics20.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cw_ics20_packet p, q;
    char err[256];
    if (size > 8192)
        return 0;
    if (cw_ics20_packet_decode(&p, data, size, err, sizeof err) == CW_OK) {
        if (strlen(p.denom) > CW_ICS20_DENOM_MAX || strlen(p.amount) > CW_ICS20_AMOUNT_DIGITS ||
            strlen(p.sender) > CW_ICS20_ADDR_MAX || strlen(p.receiver) > CW_ICS20_ADDR_MAX ||
            strlen(p.memo) > CW_ICS20_MEMO_MAX)
            abort();
        uint32_t code;
        (void)cw_ics20_packet_validate(&p, &code, err, sizeof err);
        cw_enc e, e2;
        cw_enc_init(&e);
        cw_enc_init(&e2);
        if (cw_ics20_packet_encode(&e, &p, err, sizeof err) == CW_OK) {
            if (cw_ics20_packet_decode(&q, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err) ||
                memcmp(&p, &q, sizeof p) != 0)
                abort();
            if (cw_ics20_packet_encode(&e2, &q, err, sizeof err) ||
                cw_enc_len(&e2) != cw_enc_len(&e) ||
                memcmp(cw_enc_data(&e2), cw_enc_data(&e), cw_enc_len(&e)) != 0)
                abort();
        }
        cw_enc_free(&e);
        cw_enc_free(&e2);
        uint64_t a;
        if (cw_ics20_amount_parse(&a, p.amount, err, sizeof err) == CW_OK) {
            char back[24];
            snprintf(back, sizeof back, "%llu", (unsigned long long)a);
            if (strcmp(back, p.amount) != 0)
                abort();
        }
        char d[69];
        cw_ics20_ibc_denom(d, p.denom);
        (void)cw_ics20_path_has_trace(p.denom);
        (void)cw_ics20_has_prefix(p.denom, "transfer", "channel-0");
    }
    bool ok;
    cw_bytes pl;
    if (cw_ics20_ack_decode(&ok, &pl, data, size, err, sizeof err) == CW_OK &&
        (pl.p != data || pl.len != size))
        abort();
    return 0;
}
