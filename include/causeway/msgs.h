/* Causeway — the ibc.* msgs as they travel: the wire contract between the chain's IBC host
 * (channels/ibc_*.c decodes with it), the relayer, the CLI and the tests (which encode with
 * it). One type string, one struct and one encode/decode pair per msg (DESIGN §7).
 *
 * A Msg is [type(str), body(array)]; a tx carries a list of them (causeway/tx.h). Bodies:
 *   ibc.create_client      [client_type, client_state, consensus_state] (client_type: str
 *                           CW_CLIENT_TYPE_BIP340 "causeway-bip340" or
 *                           CW_CLIENT_TYPE_TENDERMINT "07-tendermint"; ClientState,
 *                           ConsensusState of causeway/lightclient.h, for both types)
 *   ibc.update_client      MsgUpdateClient       (causeway/block.h; causeway-bip340 clients)
 *   ibc.submit_misbehaviour MsgSubmitMisbehaviour (causeway/block.h; causeway-bip340)
 *   ibc.update_client_tm   [client_id, TmHeader]  (07-tendermint clients)
 *   ibc.submit_misbehaviour_tm [client_id, TmHeader, TmHeader] (07-tendermint)
 *   ibc.recover_client     [subject_client_id, substitute_client_id]
 *   ibc.chan_open_init     [port, ordering, counterparty_port, client_id,
 *                           counterparty_client_id, version]
 *   ibc.chan_open_try      [port, ordering, counterparty_port, counterparty_channel, client_id,
 *                           counterparty_client_id, version, counterparty_version, proof_init,
 *                           counterparty_client_state(bin), proof_client, proof_consensus,
 *                           proof_height]
 *   ibc.chan_open_ack      [port, channel, counterparty_channel, counterparty_version,
 *                           proof_try, counterparty_client_state(bin), proof_client,
 *                           proof_consensus, proof_height]
 *   ibc.chan_open_confirm  [port, channel, proof_ack, proof_height]
 *   ibc.chan_close_init    [port, channel]
 *   ibc.chan_close_confirm [port, channel, proof_init, proof_height]
 *   ibc.recv_packet        [packet, proof_commitment, proof_height]
 *   ibc.acknowledgement    [packet, ack(bin), proof_acked, proof_height]
 *   ibc.timeout            [packet, proof_unreceived, proof_height, next_sequence_recv]
 *   ibc.timeout_on_close   [packet, proof_unreceived, proof_close, proof_height,
 *                           next_sequence_recv]
 * Shapes and units: port, channel, client and version fields are identifiers (str, 1..64
 * bytes of [A-Za-z0-9._+-]); ordering is CW_ORDER_UNORDERED (1) or CW_ORDER_ORDERED (2); a
 * packet is the Packet of causeway/packet.h; ack is the acknowledgement's canonical bytes
 * (≤ CW_ACK_MAX); every proof_* is ICS-23 CommitmentProof bytes (≤ CW_MSG_PROOF_MAX) of the
 * COUNTERPARTY's state, and proof_height is the counterparty block height it is proven at;
 * counterparty_client_state is the counterparty's ClientState bytes of its client of the
 * executing chain (≤ CW_MSG_CLIENT_STATE_MAX); next_sequence_recv is the counterparty's
 * nextSequenceRecv (proven by proof_unreceived on ordered channels; 0 on unordered ones).
 *
 * For every msg X (X = create_client, …, timeout_on_close):
 *   void cw_msg_X_enc(cw_enc *e, const cw_msg_X *m)
 *     appends the whole Msg [CW_MSG_IBC_X, body] — one entry of cw_tx_sign's msgs. It
 *     writes what it is given and validates nothing (tests build bad msgs on purpose);
 *     the encoding is canonical. Errors are the encoder's sticky e->rc (-ENOMEM; CW_ETOOBIG
 *     for an oversized validator set or commit).
 *   void cw_msg_X_dec(cw_dec *d, const msgpack_object *body, cw_msg_X *m, const char *what)
 *     decodes a body (the Msg's second element, as the chain's router hands it to the
 *     handler) into m, which is zeroed first. Errors are sticky in d (check d->rc once):
 *       CW_EMALFORMED  body not an array of the msg's arity, or a field of the wrong type;
 *       CW_ETOOBIG     a proof, ack, client state or packet data beyond its bound;
 *       CW_EINVAL      an identifier that is not one, ordering not 1 or 2, a packet with
 *                      sequence 0 or no timeout (cw_packet_dec's rules), a client or
 *                      consensus state outside its domain, a validator set breaking its
 *                      invariants;
 *       -ENOMEM        (update_client, submit_misbehaviour only).
 *     The error line names `what` for a wrong body shape (the chain passes the type) and a
 *     field by its bare name ("port", "proof_commitment", "packet.sequence",
 *     "client_state.chain_id") — the chain prefixes a failed msg's log with its type, so
 *     the log reads "ibc.recv_packet: proof_commitment: …". update_client and
 *     submit_misbehaviour name fields as block.h's decoders do ("msg_update_client.…").
 *     What the host checks beyond the wire shape (clients, channel states, proofs, the
 *     admin signer) is the handler's (channels/ibc_*.c), not the decoder's.
 *
 * Memory: identifiers are copied into the structs. cw_bytes fields (proofs, ack,
 * counterparty_client_state) and packet.data BORROW: after a dec they point into the buffer
 * the body was decoded from and stay valid while THAT BUFFER lives (causeway/codec.h); for an
 * enc they are the caller's. update_client and submit_misbehaviour own malloc'd validator
 * sets and signatures: free them with cw_msg_update_client_free /
 * cw_msg_submit_misbehaviour_free (causeway/block.h) whatever the decode said. The other
 * structs own nothing.
 * Thread safety: no globals; every function is thread-safe on distinct encoders, decoders
 * and structs.
 * Source: ibc-go's core msgs (MsgCreateClient, MsgUpdateClient, MsgSubmitMisbehaviour,
 * MsgRecoverClient, MsgChannelOpen{Init,Try,Ack,Confirm}, MsgChannelClose{Init,Confirm},
 * MsgRecvPacket, MsgAcknowledgement, MsgTimeout, MsgTimeoutOnClose), reshaped for Causeway's
 * missing connection layer (causeway/ibc.h) and msgpack (DESIGN §4).
 */
#ifndef CAUSEWAY_MSGS_H
#define CAUSEWAY_MSGS_H

#include <stddef.h>
#include <stdint.h>

#include "causeway/block.h"
#include "causeway/codec.h"
#include "causeway/lightclient.h"
#include "causeway/tendermint.h"
#include "causeway/packet.h"

/* ---- type strings ------------------------------------------------------------------ */

#define CW_MSG_IBC_CREATE_CLIENT "ibc.create_client"
#define CW_MSG_IBC_UPDATE_CLIENT "ibc.update_client"
#define CW_MSG_IBC_SUBMIT_MISBEHAVIOUR "ibc.submit_misbehaviour"
#define CW_MSG_IBC_UPDATE_CLIENT_TM "ibc.update_client_tm"
#define CW_MSG_IBC_SUBMIT_MISBEHAVIOUR_TM "ibc.submit_misbehaviour_tm"
#define CW_MSG_IBC_RECOVER_CLIENT "ibc.recover_client"
#define CW_MSG_IBC_CHAN_OPEN_INIT "ibc.chan_open_init"
#define CW_MSG_IBC_CHAN_OPEN_TRY "ibc.chan_open_try"
#define CW_MSG_IBC_CHAN_OPEN_ACK "ibc.chan_open_ack"
#define CW_MSG_IBC_CHAN_OPEN_CONFIRM "ibc.chan_open_confirm"
#define CW_MSG_IBC_CHAN_CLOSE_INIT "ibc.chan_close_init"
#define CW_MSG_IBC_CHAN_CLOSE_CONFIRM "ibc.chan_close_confirm"
#define CW_MSG_IBC_RECV_PACKET "ibc.recv_packet"
#define CW_MSG_IBC_ACKNOWLEDGEMENT "ibc.acknowledgement"
#define CW_MSG_IBC_TIMEOUT "ibc.timeout"
#define CW_MSG_IBC_TIMEOUT_ON_CLOSE "ibc.timeout_on_close"

/** Bytes of one proof field (an ICS-23 CommitmentProof). */
#define CW_MSG_PROOF_MAX (1u << 16)
/** Bytes of counterparty_client_state (an encoded ClientState is < 200). */
#define CW_MSG_CLIENT_STATE_MAX 4096u

/** Declares the pair every msg X has, cw_msg_X_enc and cw_msg_X_dec, with the signatures,
 *  errors and ownership documented at the top of this file (causeway/app_msgs.h uses it too).
 *  Each msg's own comment below says what its fields mean. */
#define CW_MSG_CODEC_DECLARE(X)                                                            \
    void cw_msg_##X##_enc(cw_enc *e, const cw_msg_##X *m) CW_NONNULL(1, 2);                \
    void cw_msg_##X##_dec(cw_dec *d, const msgpack_object *body, cw_msg_##X *m,            \
                          const char *what) CW_NONNULL(1, 3, 4)

/* ---- clients (ICS-02) -------------------------------------------------------------- */

/* Client types (ICS-02): the host routes client state, headers, misbehaviour, status and
 * proofs by the type a client was created with (DESIGN §6, §6a). */
#define CW_CLIENT_TYPE_BIP340 "causeway-bip340"  /* Causeway chains (§6) */
#define CW_CLIENT_TYPE_TENDERMINT "07-tendermint" /* CometBFT chains (§6a) */

/** ibc.create_client: anyone creates a client from a trusted state (ibc-go MsgCreateClient).
 *  Decode checks the type is one of the two and both states' encodings; the host checks
 *  cw_lc_client_state_validate, latest_height > 0, frozen_height 0 and the trusting period.
 *  For 07-tendermint the states mean: chain_id the CometBFT chain id; consensus state
 *  timestamp_ns = header time, state_root = the header's app_hash (32 bytes),
 *  next_validators_hash = the header's. */
typedef struct cw_msg_create_client {
    char client_type[CW_ID_MAX + 1]; /* CW_CLIENT_TYPE_* */
    cw_lc_client_state client_state;
    cw_lc_consensus_state consensus_state; /* at client_state.latest_height */
} cw_msg_create_client;

CW_MSG_CODEC_DECLARE(create_client);

/** ibc.update_client: the struct is block.h's cw_msg_update_client (MsgUpdateClient; ibc-go
 *  MsgUpdateClient with a Tendermint Header). enc appends [type, MsgUpdateClient]; dec
 *  decodes the body with cw_msg_update_client_decode's rules (it re-reads the body's bytes,
 *  so the result owns its sets and signatures and borrows nothing). Free m with
 *  cw_msg_update_client_free whatever d->rc says. */
CW_MSG_CODEC_DECLARE(update_client);

/** ibc.submit_misbehaviour: block.h's cw_msg_submit_misbehaviour (two conflicting headers;
 *  ibc-go MsgSubmitMisbehaviour). As update_client: owns what it decodes; free with
 *  cw_msg_submit_misbehaviour_free whatever d->rc says. */
CW_MSG_CODEC_DECLARE(submit_misbehaviour);

/** A 07-tendermint client message (ibc-go 07-tendermint Header): a CometBFT signed header,
 *  the validator set that signed it, the trusted height it is verified from and the
 *  validator set trusted there (the trusted consensus state's next validators). TmHeader =
 *    [header, commit, validator_set, trusted_height, trusted_validator_set]
 *    header = [version_block, version_app, chain_id(str ≤ 50), height, time, last_block_id,
 *              last_commit_hash, data_hash, validators_hash, next_validators_hash,
 *              consensus_hash, app_hash, last_results_hash, evidence_hash,
 *              proposer_address]  (hashes bin 0|32 bytes, app_hash bin ≤ 64,
 *              proposer bin 0|20; time = [seconds ≥ 0, nanos < 10^9])
 *    block_id = [hash(bin 0|32), parts_total, parts_hash(bin 0|32)]
 *    commit = [height, round, block_id, [[flag, address(bin 20), time, signature(bin 64)]
 *              | [1, bin(0), [0, 0], bin(0)] (absent), ...]]
 *    validator_set = [[ed25519_pubkey(bin 32), power], ...] in CometBFT order (power
 *              descending, address ascending; addresses are derived from the keys)
 *  Decode refuses a set out of that order, one cw_tm_valset_finish refuses, more than
 *  CW_TM_VALIDATORS_MAX entries, and heights or rounds beyond int64/int32. */
typedef struct cw_tm_client_header {
    cw_tm_light_block lb; /* header, commit, validators (no next set: has_next false) */
    uint64_t trusted_height;
    cw_tm_valset trusted_validators;
} cw_tm_client_header;

void cw_tm_client_header_enc(cw_enc *e, const cw_tm_client_header *h) CW_NONNULL(1, 2);
void cw_tm_client_header_dec(cw_dec *d, const msgpack_object *o, cw_tm_client_header *h,
                             const char *what) CW_NONNULL(1, 3, 4);
/** Free what a decoded (or test-built) header owns; accepts NULL. */
void cw_tm_client_header_free(cw_tm_client_header *h);

/** ibc.update_client_tm: update a 07-tendermint client (ibc-go MsgUpdateClient with a
 *  07-tendermint Header). Owns what it decodes: free with cw_msg_update_client_tm_free. */
typedef struct cw_msg_update_client_tm {
    char client_id[CW_ID_MAX + 1];
    cw_tm_client_header header;
} cw_msg_update_client_tm;
CW_MSG_CODEC_DECLARE(update_client_tm);
void cw_msg_update_client_tm_free(cw_msg_update_client_tm *m);

/** ibc.submit_misbehaviour_tm: two 07-tendermint headers that conflict (same height,
 *  different block hashes; or header1 above header2 in height but not later in time), each
 *  verifiable from a consensus state the client holds (ibc-go 07-tendermint Misbehaviour).
 *  Free with cw_msg_submit_misbehaviour_tm_free. */
typedef struct cw_msg_submit_misbehaviour_tm {
    char client_id[CW_ID_MAX + 1];
    cw_tm_client_header header1, header2;
} cw_msg_submit_misbehaviour_tm;
CW_MSG_CODEC_DECLARE(submit_misbehaviour_tm);
void cw_msg_submit_misbehaviour_tm_free(cw_msg_submit_misbehaviour_tm *m);

/** ibc.recover_client: the admin replaces a Frozen or Expired subject's state with an Active
 *  substitute's (ibc-go MsgRecoverClient). Fields named "subject", "substitute". */
typedef struct cw_msg_recover_client {
    char subject_client_id[CW_ID_MAX + 1];
    char substitute_client_id[CW_ID_MAX + 1];
} cw_msg_recover_client;

CW_MSG_CODEC_DECLARE(recover_client);

/* ---- channel handshake (ICS-04) ---------------------------------------------------- */

/** ibc.chan_open_init on the chain that starts the handshake (ibc-go MsgChannelOpenInit).
 *  client_id: this chain's client of the counterparty; counterparty_client_id: the
 *  counterparty's client of this chain. */
typedef struct cw_msg_chan_open_init {
    char port[CW_ID_MAX + 1];
    uint8_t ordering; /* CW_ORDER_* */
    char counterparty_port[CW_ID_MAX + 1];
    char client_id[CW_ID_MAX + 1];
    char counterparty_client_id[CW_ID_MAX + 1];
    char version[CW_ID_MAX + 1];
} cw_msg_chan_open_init;

CW_MSG_CODEC_DECLARE(chan_open_init);

/** ibc.chan_open_try (ibc-go MsgChannelOpenTry, plus the client checks ibc-go's
 *  MsgConnectionOpenTry makes): proof_init proves the counterparty's INIT end;
 *  counterparty_client_state is the counterparty's client of this chain, proven by
 *  proof_client, and proof_consensus proves the consensus state it holds at its latest
 *  height; all at proof_height. */
typedef struct cw_msg_chan_open_try {
    char port[CW_ID_MAX + 1];
    uint8_t ordering; /* CW_ORDER_* */
    char counterparty_port[CW_ID_MAX + 1];
    char counterparty_channel[CW_ID_MAX + 1];
    char client_id[CW_ID_MAX + 1];
    char counterparty_client_id[CW_ID_MAX + 1];
    char version[CW_ID_MAX + 1];
    char counterparty_version[CW_ID_MAX + 1];
    cw_bytes proof_init;                /* borrowed */
    cw_bytes counterparty_client_state; /* borrowed; ClientState bytes */
    cw_bytes proof_client;              /* borrowed */
    cw_bytes proof_consensus;           /* borrowed */
    uint64_t proof_height;
} cw_msg_chan_open_try;

CW_MSG_CODEC_DECLARE(chan_open_try);

/** ibc.chan_open_ack (ibc-go MsgChannelOpenAck, plus MsgConnectionOpenAck's client checks):
 *  proof_try proves the counterparty's TRYOPEN end; the client fields as in TRY. */
typedef struct cw_msg_chan_open_ack {
    char port[CW_ID_MAX + 1];
    char channel[CW_ID_MAX + 1];
    char counterparty_channel[CW_ID_MAX + 1];
    char counterparty_version[CW_ID_MAX + 1];
    cw_bytes proof_try;                 /* borrowed */
    cw_bytes counterparty_client_state; /* borrowed; ClientState bytes */
    cw_bytes proof_client;              /* borrowed */
    cw_bytes proof_consensus;           /* borrowed */
    uint64_t proof_height;
} cw_msg_chan_open_ack;

CW_MSG_CODEC_DECLARE(chan_open_ack);

/** ibc.chan_open_confirm (ibc-go MsgChannelOpenConfirm): proof_ack proves the
 *  counterparty's OPEN end at proof_height. */
typedef struct cw_msg_chan_open_confirm {
    char port[CW_ID_MAX + 1];
    char channel[CW_ID_MAX + 1];
    cw_bytes proof_ack; /* borrowed */
    uint64_t proof_height;
} cw_msg_chan_open_confirm;

CW_MSG_CODEC_DECLARE(chan_open_confirm);

/** ibc.chan_close_init (ibc-go MsgChannelCloseInit). */
typedef struct cw_msg_chan_close_init {
    char port[CW_ID_MAX + 1];
    char channel[CW_ID_MAX + 1];
} cw_msg_chan_close_init;

CW_MSG_CODEC_DECLARE(chan_close_init);

/** ibc.chan_close_confirm (ibc-go MsgChannelCloseConfirm): proof_init proves the
 *  counterparty's CLOSED end at proof_height. */
typedef struct cw_msg_chan_close_confirm {
    char port[CW_ID_MAX + 1];
    char channel[CW_ID_MAX + 1];
    cw_bytes proof_init; /* borrowed */
    uint64_t proof_height;
} cw_msg_chan_close_confirm;

CW_MSG_CODEC_DECLARE(chan_close_confirm);

/* ---- packets (ICS-04) -------------------------------------------------------------- */

/** ibc.recv_packet on the destination (ibc-go MsgRecvPacket): proof_commitment proves the
 *  packet's commitment on the source at proof_height. */
typedef struct cw_msg_recv_packet {
    cw_packet packet;           /* data borrowed */
    cw_bytes proof_commitment;  /* borrowed */
    uint64_t proof_height;
} cw_msg_recv_packet;

CW_MSG_CODEC_DECLARE(recv_packet);

/** ibc.acknowledgement on the source (ibc-go MsgAcknowledgement): ack is the bytes the
 *  destination wrote (its canonical form is checked by the host, cw_ack_decode), proven by
 *  proof_acked at proof_height. */
typedef struct cw_msg_acknowledgement {
    cw_packet packet;     /* data borrowed */
    cw_bytes ack;         /* borrowed; ≤ CW_ACK_MAX */
    cw_bytes proof_acked; /* borrowed */
    uint64_t proof_height;
} cw_msg_acknowledgement;

CW_MSG_CODEC_DECLARE(acknowledgement);

/** ibc.timeout on the source (ibc-go MsgTimeout): proof_unreceived proves the receipt
 *  absent (unordered) or nextSequenceRecv = next_sequence_recv (ordered) at proof_height. */
typedef struct cw_msg_timeout {
    cw_packet packet;          /* data borrowed */
    cw_bytes proof_unreceived; /* borrowed */
    uint64_t proof_height;
    uint64_t next_sequence_recv;
} cw_msg_timeout;

CW_MSG_CODEC_DECLARE(timeout);

/** ibc.timeout_on_close on the source (ibc-go MsgTimeoutOnClose): as timeout, plus
 *  proof_close proving the counterparty's end CLOSED at proof_height. */
typedef struct cw_msg_timeout_on_close {
    cw_packet packet;          /* data borrowed */
    cw_bytes proof_unreceived; /* borrowed */
    cw_bytes proof_close;      /* borrowed */
    uint64_t proof_height;
    uint64_t next_sequence_recv;
} cw_msg_timeout_on_close;

CW_MSG_CODEC_DECLARE(timeout_on_close);

/* ---- msg tables --------------------------------------------------------------------- */

/** One msg type's codec behind void pointers, for code that handles any msg by its type
 *  string: the chain's router (causeway/module.h: it decodes a body with its type's row and
 *  hands the handler the struct), the fuzz target that drives every decoder
 *  (tests/fuzz/fuzz_msgs.c), and tools that print a tx's msgs. m points to a struct of `size` bytes of the msg's type. The app
 *  msgs (causeway/app_msgs.h) provide a table of the same shape. */
typedef struct cw_msg_codec {
    const char *type; /* CW_MSG_* */
    size_t size;      /* sizeof the msg's struct */
    void (*enc)(cw_enc *e, const void *m);
    void (*dec)(cw_dec *d, const msgpack_object *body, void *m, const char *what);
    void (*free)(void *m); /* releases what dec allocated; NULL when the struct owns nothing */
} cw_msg_codec;

/* Building a table (common/msgs.c, common/app_msgs.c) from ONE list of the msgs,
 * LIST(M) = M(TYPE, X, freefn) M(…) …: CW_MSG_CODEC_ADAPTERS_OF defines, per entry, the typed
 * adapters of cw_msg_X_enc / cw_msg_X_dec behind void pointers (static functions; no
 * function-pointer casts), CW_MSG_CODEC_ROW_OF the table row; CW_MSG_CODEC_FREE_ADAPTER(X)
 * the adapter of cw_msg_X_free (freefn: X##_free_any, or NULL when the struct owns nothing).
 *   LIST(CW_MSG_CODEC_ADAPTERS_OF)
 *   static const cw_msg_codec table[] = {LIST(CW_MSG_CODEC_ROW_OF)}; */
#define CW_MSG_CODEC_ADAPTERS_OF(TYPE, X, freefn)                                          \
    static void X##_enc_any(cw_enc *e, const void *m) { cw_msg_##X##_enc(e, m); }          \
    static void X##_dec_any(cw_dec *d, const msgpack_object *b, void *m, const char *w)    \
    {                                                                                      \
        cw_msg_##X##_dec(d, b, m, w);                                                      \
    }
#define CW_MSG_CODEC_FREE_ADAPTER(X)                                                       \
    static void X##_free_any(void *m) { cw_msg_##X##_free(m); }
#define CW_MSG_CODEC_ROW_OF(TYPE, X, freefn)                                               \
    {TYPE, sizeof(cw_msg_##X), X##_enc_any, X##_dec_any, freefn},

/** The ibc.* table: one row per CW_MSG_IBC_* constant, in the order they are listed above.
 *  Returns static storage (never NULL) and its row count in *n. Thread-safe. */
const cw_msg_codec *cw_msg_codecs_ibc(size_t *n) CW_NONNULL(1);

/** The row of table[0..n) whose type equals the type_len bytes at type (not
 *  NUL-terminated: a str borrowed from a decoded Msg, whose pointer msgpack-c leaves NULL
 *  when it is empty — type may be NULL when type_len is 0), or NULL. Thread-safe. */
const cw_msg_codec *cw_msg_codec_find(const cw_msg_codec *table, size_t n, const char *type,
                                      size_t type_len) CW_NONNULL(1);

#endif
