/* Causeway — ICS-04 packets, acknowledgements and host paths as they travel (DESIGN §7).
 * Shared by the chain (channels/), the relayer and the CLI.
 *
 *   Packet = [sequence, source_port, source_channel, dest_port, dest_channel, data(bin),
 *             timeout_height, timeout_timestamp_ns]       (at least one timeout ≠ 0)
 *   Ack    = [ok(bool), result(bin) | error(str)]          (canonical msgpack only)
 *            — the default app ack (collateral, echo). An ack is the app's bytes: an app
 *            may define its own (cw_ibc_app.ack_decode, causeway/ibc.h; ICS-20's JSON acks,
 *            causeway/ics20.h), and the host and relayer treat it as opaque (DESIGN §7).
 *   ChannelEnd = [state, ordering, counterparty_port, counterparty_channel, client_id,
 *                 counterparty_client_id, version]
 *     state INIT=1 TRYOPEN=2 OPEN=3 CLOSED=4; ordering UNORDERED=1 ORDERED=2;
 *     counterparty_channel is "" exactly in INIT. The 7th field beyond ICS-04's channel end,
 *     counterparty_client_id, stands in for the connection layer Causeway has none of
 *     (causeway/ibc.h says why).
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

/** Decode a whole buffer holding one canonical Packet (≤ CW_CODEC_MAX_INPUT bytes): a
 *  packet's bytes as the chain serves them (`packet`, `packets`) or an event carries them.
 *  Returns: CW_OK; cw_dec_open's codes; cw_packet_dec's (err names the field under
 *  "packet"). p is zeroed first and on failure; p->data borrows from buf. Thread-safe. */
int cw_packet_decode(cw_packet *p, const uint8_t *buf, size_t len, char *err, size_t err_len)
    CW_NONNULL(1) CW_WARN_UNUSED;

enum { CW_CHAN_INIT = 1, CW_CHAN_TRYOPEN = 2, CW_CHAN_OPEN = 3, CW_CHAN_CLOSED = 4 };
enum { CW_ORDER_UNORDERED = 1, CW_ORDER_ORDERED = 2 };

/** A channel end as stored at channelEnds/ports/{p}/channels/{c} on the chain that owns it,
 *  and as the counterparty proves it. Every field is a copy (nothing borrowed). */
typedef struct cw_channel_end {
    uint8_t state;    /* CW_CHAN_* */
    uint8_t ordering; /* CW_ORDER_* */
    char counterparty_port[CW_ID_MAX + 1];
    char counterparty_channel[CW_ID_MAX + 1]; /* "" in INIT */
    char client_id[CW_ID_MAX + 1];              /* this chain's client of the counterparty */
    char counterparty_client_id[CW_ID_MAX + 1]; /* the counterparty's client of this chain */
    char version[CW_ID_MAX + 1];
} cw_channel_end;

/** Append a ChannelEnd (the 7-field array above). The caller vouches for the fields (the
 *  host encodes only ends it built or decoded); sticky e->rc. Thread-safe on distinct
 *  encoders. Source: ICS-04 ChannelEnd (+ counterparty_client_id, DESIGN §7). */
void cw_channel_end_enc(cw_enc *e, const cw_channel_end *ce) CW_NONNULL(1, 2);
/** Decode a ChannelEnd object into ce (zeroed first; every field copied, nothing borrowed).
 *  Sticky errors, named "<what>.<field>": CW_EMALFORMED wrong type or arity; CW_EINVAL
 *  state > CLOSED or ordering > ORDERED, state or ordering 0, a bad identifier, or
 *  counterparty_channel empty other than exactly in INIT.
 *  Thread-safe on distinct decoders. */
void cw_channel_end_dec(cw_dec *d, const msgpack_object *o, cw_channel_end *ce,
                        const char *what) CW_NONNULL(1, 3, 4);

/** Decode a whole buffer holding one canonical ChannelEnd (the value stored at
 *  cw_path_channel_end). Returns: CW_OK; cw_dec_open's codes; cw_channel_end_dec's (err
 *  names the field under "channel_end"). ce is zeroed first and on failure. Thread-safe. */
int cw_channel_end_decode(cw_channel_end *ce, const uint8_t *buf, size_t len, char *err,
                          size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;

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

/* The first segment of the per-channel host paths (the `which` of cw_path_next_seq and
 * cw_path_packet). */
#define CW_PATH_NEXT_SEQ_SEND "nextSequenceSend"
#define CW_PATH_NEXT_SEQ_RECV "nextSequenceRecv"
#define CW_PATH_NEXT_SEQ_ACK "nextSequenceAck"
#define CW_PATH_COMMITMENTS "commitments"
#define CW_PATH_RECEIPTS "receipts"
#define CW_PATH_ACKS "acks"

/* Host paths, written into out (CW_PATH_MAX bytes). Identifiers are validated by callers. */
void cw_path_client_state(char *out, const char *client_id) CW_NONNULL(1, 2);
void cw_path_consensus_state(char *out, const char *client_id, uint64_t height)
    CW_NONNULL(1, 2);
void cw_path_channel_end(char *out, const char *port, const char *channel) CW_NONNULL(1, 2, 3);
void cw_path_next_seq(char *out, const char *which, const char *port, const char *channel)
    CW_NONNULL(1, 2, 3, 4); /* which: CW_PATH_NEXT_SEQ_SEND | _RECV | _ACK */
void cw_path_packet(char *out, const char *which, const char *port, const char *channel,
                    uint64_t seq) CW_NONNULL(1, 2, 3, 4); /* CW_PATH_COMMITMENTS|_RECEIPTS|_ACKS */

#endif
