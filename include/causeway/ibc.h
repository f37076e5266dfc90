/* Causeway — the IBC host on the chain: clients (ICS-02/07), channels and packets (ICS-04
 * model without a connection layer), and the port router (DESIGN §6–§7).
 *
 * State lives at the ICS-24 host paths of causeway/packet.h, so the counterparty can prove
 * it. Ids: clients "client-N", channels "channel-N" (N from 0).
 *
 * No connection layer (DESIGN §7), so a channel end carries what a connection would: the
 * local client of the counterparty chain AND the counterparty's client of this chain. The
 * handshake proves, besides the counterparty's channel end, that the counterparty's client
 * tracks THIS chain: its client state names our chain id and is not frozen, and the
 * consensus state it stores at its latest height equals this chain's own header at that
 * height (time, state root, next validators hash) — the checks ibc-go's ConnOpenTry/Ack
 * make (client state + VerifyClientConsensusState). Without them, a channel end on chain A
 * could name a client of a fake chain (even one reusing our chain id), which could then
 * forge packets into A's escrow. This adds one field to DESIGN's ChannelEnd,
 * counterparty_client_id (the ChannelEnd wire type is in causeway/packet.h).
 *
 * The msgs the host handles (ibc.create_client … ibc.timeout_on_close) are the wire
 * contract of causeway/msgs.h: their layouts, structs and codecs live there, and the
 * chain's router (causeway/module.h) decodes each body through it before the handler runs. What the host checks beyond the wire shape (client exists,
 * channel states, proofs, the admin signer of ibc.recover_client) is documented at each
 * handler in channels/ibc_*.c.
 * Thread safety: as the chain's one execution thread.
 */
#ifndef CAUSEWAY_IBC_H
#define CAUSEWAY_IBC_H

#include <stdbool.h>
#include <stdint.h>

#include "causeway/lightclient.h"
#include "causeway/module.h"
#include "causeway/packet.h"

/** An application bound to a port (DESIGN §7). The open/close callbacks may refuse (return
 *  a code with err); on_recv_packet writes exactly one ack and runs on a cache layer: an
 *  error ack discards its writes AND its events. The ack and timeout callbacks cannot
 *  refuse: they return non-zero only for a store failure (which fails the whole tx), never
 *  for a business rule.
 *
 *  The ack's bytes are the app's (ICS-04: opaque to the host). The host reads them only
 *  through the app's ack_decode, to learn success or failure (on receive: keep or discard
 *  the app's writes; on MsgAcknowledgement: refuse an ack the app cannot read, and hand the
 *  app ok and a payload). ack_decode NULL means the msgpack Ack [ok, result|error] of
 *  causeway/packet.h (cw_ack_decode; written with cw_ack_enc_ok/_error) — the collateral
 *  and echo apps; the ICS-20 app writes ibc-go's JSON acks (cw_ics20_ack_decode). */
typedef int (*cw_ibc_ack_decode_fn)(bool *ok, cw_bytes *payload, const uint8_t *ack,
                                    size_t len, char *err, size_t err_len);
/** What an app accepts when asked to open a channel, checked by the host before the app's
 *  own open callbacks: at INIT and TRY the ordering is allowed, the version (proposed, and
 *  the counterparty's at TRY) is `version` and the counterparty port is `port`; at ACK the
 *  counterparty's version is `version`. A refusal is CW_EINVAL with err starting
 *  "{port} channels". */
typedef struct cw_ibc_open_rules {
    const char *port;    /* the counterparty port (apps pair with themselves) */
    const char *version; /* the one channel version spoken */
    bool ordered_ok, unordered_ok;
} cw_ibc_open_rules;

/** The longest ack cw_ack_enc_error writes ([false, str] with the string cut at 256 bytes). */
#define CW_IBC_ACK_ERROR_MAX 261u
/** The length of the ack cw_ack_enc_ok writes for a result of n bytes ([true, bin]: fixarray,
 *  true, a bin8/bin16/bin32 header, the bytes). Thread-safe. */
static inline size_t cw_ibc_ack_ok_len(size_t n)
{
    return 2 + (n < 256 ? 2 : n < 65536 ? 3 : 5) + n;
}

/** Packet limits (max_data, max_ack) compose: an app declares the most data it sends and
 *  the longest ack its on_recv_packet writes for data within that, and cw_ibc_bind refuses
 *  an app whose max_ack exceeds CW_ACK_MAX (or whose max_data is 0 or above
 *  CW_PACKET_DATA_MAX), so every packet an app can send can be acknowledged;
 *  cw_ibc_send_packet refuses data above the app's max_data. */
typedef struct cw_ibc_app {
    const char *port;
    void *user;
    const cw_ibc_open_rules *open_rules; /* NULL: the callbacks decide alone */
    size_t max_data; /* bytes of packet data the app sends, 1..CW_PACKET_DATA_MAX */
    size_t max_ack;  /* bytes of the longest ack it writes for data ≤ max_data, ≤ CW_ACK_MAX */
    cw_ibc_ack_decode_fn ack_decode; /* NULL: cw_ack_decode (msgpack [ok, result|error]) */
    int (*on_chan_open_init)(void *user, cw_exec_ctx *ctx, const char *channel,
                             const cw_channel_end *ce, char *err, size_t err_len);
    int (*on_chan_open_try)(void *user, cw_exec_ctx *ctx, const char *channel,
                            const cw_channel_end *ce, const char *counterparty_version,
                            char *err, size_t err_len);
    int (*on_chan_open_ack)(void *user, cw_exec_ctx *ctx, const char *channel,
                            const char *counterparty_version, char *err, size_t err_len);
    int (*on_chan_open_confirm)(void *user, cw_exec_ctx *ctx, const char *channel, char *err,
                                size_t err_len);
    int (*on_chan_close_init)(void *user, cw_exec_ctx *ctx, const char *channel, char *err,
                              size_t err_len);
    int (*on_chan_close_confirm)(void *user, cw_exec_ctx *ctx, const char *channel, char *err,
                                 size_t err_len);
    void (*on_recv_packet)(void *user, cw_exec_ctx *ctx, const cw_packet *p, cw_enc *ack);
    int (*on_acknowledgement_packet)(void *user, cw_exec_ctx *ctx, const cw_packet *p, bool ok,
                                     cw_bytes payload);
    int (*on_timeout_packet)(void *user, cw_exec_ctx *ctx, const cw_packet *p);
} cw_ibc_app;

typedef struct cw_ibc cw_ibc;

/** How the host learns this chain's own consensus state at a past height (the chain reads
 *  its stored header). Returns CW_OK, CW_ENOTFOUND, or a store error. */
typedef int (*cw_ibc_self_consensus_fn)(void *user, uint64_t height,
                                        cw_lc_consensus_state *out);
/** Install the self-consensus reader (required for the handshake's client checks). */
void cw_ibc_set_self_consensus(cw_ibc *h, cw_ibc_self_consensus_fn fn, void *user)
    CW_NONNULL(1, 2);

/** Create the host. admin: the key allowed to recover clients (genesis admin).
 *  Returns: CW_OK; -ENOMEM. Memory: caches parsed validator sets (cw_lc_vcache). */
int cw_ibc_create(cw_ibc **out, const cw_pubkey32 *admin) CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** Free the host and its caches; NULL is a no-op. Not thread-safe with other calls on h. */
void cw_ibc_destroy(cw_ibc *h);

/** Bind an app to its port (exact match; no app may bind a second time). The struct is
 *  copied; port and user must outlive the host. Returns: CW_OK; CW_EEXISTS; CW_EINVAL (bad
 *  port, a packet callback missing, or limits that do not compose: max_data 0 or above
 *  CW_PACKET_DATA_MAX, max_ack above CW_ACK_MAX); CW_ETOOBIG too many apps. */
int cw_ibc_bind(cw_ibc *h, const cw_ibc_app *app) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Register the ibc.* msg handlers with the chain's router. */
int cw_ibc_register_msgs(cw_ibc *h, cw_app *app) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** SendPacket for an app: the channel must be OPEN and bound to `port`'s app; at least one
 *  timeout non-zero; the packet must not already be timed out at the counterparty client's
 *  latest height and that height's consensus timestamp. Writes the commitment, advances
 *  nextSequenceSend, emits send_packet with the full packet bytes.
 *  Returns: CW_OK with *sequence; CW_ENOTFOUND channel; CW_ESTATE not OPEN; CW_ETIMEOUT
 *  already timed out; CW_EINVAL bad arguments; CW_ETOOBIG data above the port's app's
 *  max_data (err names both limits); client codes (CW_EFROZEN, CW_EEXPIRED); store errors. */
int cw_ibc_send_packet(cw_ibc *h, cw_exec_ctx *ctx, const char *port, const char *channel,
                       const void *data, size_t data_len, uint64_t timeout_height,
                       uint64_t timeout_timestamp_ns, uint64_t *sequence, char *err,
                       size_t err_len) CW_NONNULL(1, 2, 3, 4, 9) CW_WARN_UNUSED;

/** Read a channel end. Returns: CW_OK; CW_ENOTFOUND; CW_EMALFORMED corrupt state. */
int cw_ibc_channel(const cw_kv *kv, const char *port, const char *channel, cw_channel_end *out)
    CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** Read a client state. Returns: CW_OK; CW_ENOTFOUND; CW_EMALFORMED corrupt state. */
int cw_ibc_client(const cw_kv *kv, const char *client_id, cw_lc_client_state *out)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** A client's type (ICS-02), CW_CLIENT_TYPE_BIP340 or CW_CLIENT_TYPE_TENDERMINT
 *  (causeway/msgs.h), as ibc.create_client named it (clients/{id}/clientType; a client
 *  stored without one — created before client types — is causeway-bip340).
 *  Returns: CW_OK with out (NUL-terminated); CW_ENOTFOUND no such client; CW_EINVAL a bad
 *  id; CW_EMALFORMED a stored type that is neither. Thread-safe on distinct kv. */
int cw_ibc_client_type(const cw_kv *kv, const char *client_id, char out[static 65])
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Verify a proof of the counterparty's state through client_id at exactly proof_height,
 *  with the client Active at now_ns, routed by the client's type: causeway-bip340 — ICS-23
 *  with the SMT spec against the consensus state's state root (§6); 07-tendermint — ICS-23
 *  with the IAVL spec against the header's app_hash (§6a; a single IAVL CommitmentProof
 *  whose root is the app hash). The key is path's bytes; value NULL proves absence.
 *  This is the host's one proof check (the channel and packet layers call it).
 *  Returns: CW_OK; CW_ENOTFOUND no client or no consensus state at proof_height;
 *           CW_EFROZEN / CW_EEXPIRED; the ICS-23 verifier's codes; store errors.
 *  Memory: as the ICS-23 verifier. Thread-safe on distinct kv. */
int cw_ibc_client_verify_path(const cw_kv *kv, const char *client_id, uint64_t proof_height,
                              uint64_t now_ns, const uint8_t *proof, size_t proof_len,
                              const char *path, const uint8_t *value, size_t value_len,
                              char *err, size_t err_len) CW_NONNULL(1, 2, 7) CW_WARN_UNUSED;

/** At most this many consensus states are stored per client. A put that stores one more
 *  prunes the oldest (lowest height) — never the state just put nor the store's `keep`
 *  height — so a client updated at any rate over any span of heights keeps working in
 *  bounded storage; expired states are pruned besides (cw_lc_update, CW_LC_PRUNE_MAX per
 *  update). ibc-go prunes expired states only; the cap bounds a client whose trusting
 *  period outlasts many updates (1 s blocks, a 14-day period, an update per block). */
#define CW_IBC_CONSENSUS_STATES_MAX 1000u

/** The light client's consensus-state store for one client over kv (ICS-24 paths plus an
 *  ordered height index under clients/{id}/consensusIndex and a count at
 *  clients/{id}/consensusCount). ctx storage is the caller's:
 *  `cw_ibc_client_store st; cw_ibc_client_store_init(&st, kv, id); ... st.store`.
 *  put keeps at most CW_IBC_CONSENSUS_STATES_MAX states (above); keep (0 after init) is a
 *  height put never prunes — the host sets it to the client's latest height. */
typedef struct cw_ibc_client_store {
    cw_lc_store store;
    const cw_kv *kv;
    char client_id[CW_ID_MAX + 1];
    uint64_t keep;
} cw_ibc_client_store;
void cw_ibc_client_store_init(cw_ibc_client_store *s, const cw_kv *kv, const char *client_id)
    CW_NONNULL(1, 2, 3);

/** How many consensus states client_id stores (0 for an unknown client).
 *  Returns: CW_OK; CW_EINVAL bad id; CW_EMALFORMED corrupt count; store errors. */
int cw_ibc_client_consensus_count(const cw_kv *kv, const char *client_id, uint64_t *out)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

#endif
