/* Causeway — ICS-04 packets, acknowledgements and host paths as they travel (DESIGN §7).
 * Shared by the chain (channels/), the relayer and the CLI.
 *
 *   Packet = [sequence, source_port, source_channel, dest_port, dest_channel, data(bin),
 *             timeout_height, timeout_timestamp_ns]       (at least one timeout ≠ 0)
 *   Ack    = [ok(bool), result(bin) | error(str)]          (canonical msgpack only)
 *   commitment(packet) = SHA256(be64(timeout_timestamp) || be64(0) || be64(timeout_height)
 *                               || SHA256(data))          (ibc-go's layout, revision 0)
 *   receipt = 0x01;  ack commitment = SHA256(ack bytes)
 *
 * Host paths (ICS-24 strings, the keys the counterparty proves):
 *   clients/{id}/clientState, clients/{id}/consensusStates/{height},
 *   channelEnds/ports/{p}/channels/{c},
 *   nextSequenceSend|nextSequenceRecv|nextSequenceAck/ports/{p}/channels/{c} (be64 values),
 *   commitments|receipts|acks/ports/{p}/channels/{c}/sequences/{s}.
 * Thread-safe; no globals.
 */
#ifndef CAUSEWAY_PACKET_H
#define CAUSEWAY_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/hex.h"

#define CW_PACKET_DATA_MAX 4096u /* bytes of app data in one packet */
#define CW_ACK_MAX 1024u         /* bytes of one encoded acknowledgement */
#define CW_PATH_MAX 256u         /* bytes of one host path, NUL included */

typedef struct cw_packet {
    uint64_t sequence;
    char source_port[CW_ID_MAX + 1];
    char source_channel[CW_ID_MAX + 1];
    char dest_port[CW_ID_MAX + 1];
    char dest_channel[CW_ID_MAX + 1];
    cw_bytes data; /* borrowed: from the decoded buffer, or the caller's */
    uint64_t timeout_height;       /* 0 = none */
    uint64_t timeout_timestamp_ns; /* 0 = none */
} cw_packet;

void cw_packet_enc(cw_enc *e, const cw_packet *p) CW_NONNULL(1, 2);
/** Decode a Packet object (data borrowed from the object's buffer). Checks identifiers,
 *  sequence > 0, data ≤ CW_PACKET_DATA_MAX and at least one non-zero timeout. */
void cw_packet_dec(cw_dec *d, const msgpack_object *o, cw_packet *p, const char *what)
    CW_NONNULL(1, 3, 4);

/** The packet commitment (32 bytes). Source: ibc-go CommitPacket. */
void cw_packet_commitment(uint8_t out[static 32], const cw_packet *p) CW_NONNULL(1, 2);

/** THE timeout predicate (DESIGN §7), used everywhere: a packet is timed out at (height H,
 *  time T) ⇔ (timeout_height ≠ 0 ∧ H ≥ timeout_height) ∨ (timeout_ts ≠ 0 ∧ T ≥ timeout_ts). */
bool cw_packet_timed_out(const cw_packet *p, uint64_t height, uint64_t time_ns) CW_NONNULL(1);

/** Encode an acknowledgement: success carries result bytes, failure an error string. */
void cw_ack_enc_ok(cw_enc *e, const void *result, size_t len) CW_NONNULL(1);
void cw_ack_enc_error(cw_enc *e, const char *error) CW_NONNULL(1, 2);

/** Decode ack bytes strictly (canonical only). *ok says which kind; *payload borrows the
 *  result bytes or the error string from buf.
 *  Returns: CW_OK; CW_EMALFORMED / CW_ENONCANONICAL / CW_ETOOBIG (err names it). */
int cw_ack_decode(bool *ok, cw_bytes *payload, const uint8_t *buf, size_t len, char *err,
                  size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/* Host paths, written into out (CW_PATH_MAX bytes). Identifiers are validated by callers. */
void cw_path_client_state(char *out, const char *client_id) CW_NONNULL(1, 2);
void cw_path_consensus_state(char *out, const char *client_id, uint64_t height)
    CW_NONNULL(1, 2);
void cw_path_channel_end(char *out, const char *port, const char *channel) CW_NONNULL(1, 2, 3);
void cw_path_next_seq(char *out, const char *which, const char *port, const char *channel)
    CW_NONNULL(1, 2, 3, 4); /* which: "nextSequenceSend" | "nextSequenceRecv" | "nextSequenceAck" */
void cw_path_packet(char *out, const char *which, const char *port, const char *channel,
                    uint64_t seq) CW_NONNULL(1, 2, 3, 4); /* "commitments"|"receipts"|"acks" */

#endif
