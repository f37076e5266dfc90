/* Causeway — the chain-client library: one chain as a client sees it (DESIGN §9).
 *
 * A cw_chain_client is
 *   - a reconnecting MessagePack-RPC connection to one chain node (causeway/rpc_client.h):
 *     a lost connection is dropped and re-opened on the next call, with exponential backoff
 *     and full jitter (100 ms doubling to 5 s), re-subscribing to "blocks" when asked;
 *   - a signer with nonce tracking: the account's pending next nonce is read on first use and
 *     after anything that may have lost a tx (reconnect, refusal), then counted locally so
 *     several txs can be in flight (pipelined broadcast);
 *   - typed calls whose answers are decoded through causeway/rpc_results.h;
 *   - a light client that follows the chain: seeded from a trust root, it verifies any height
 *     (skipping from the nearest trusted height below, bisecting when a skip lacks the trust
 *     threshold — the CometBFT light client's "bisection"), keeps the verified light blocks
 *     of the heights it trusts (CW_CHAIN_LC_KEEP) as evidence, cross-checks the node after a
 *     reconnect and records two conflicting valid headers (misbehaviour) when it meets them.
 *     Nothing the node serves is trusted before it verifies;
 *   - proven queries (query, query_many) checked before they are returned: each answer's
 *     value (or absence) and proof are verified (cw_lc_verify_root, the host's own check)
 *     against the state root of the header at the answer's height that the light client
 *     verified. A node whose proof fails is faulty: the proof is counted (proofs_rejected,
 *     CW_CHAIN_EV_PROOF_REJECTED), logged, the answer refused (CW_EBADPROOF) and the
 *     connection dropped, so the next call reconnects.
 *   - an unresponsive node is treated the same way: a call that gets no answer within the
 *     call timeout (CW_ETIMEOUT) drops the connection, so until the reconnect backoff has
 *     passed the calls fail at once (CW_ECLOSED) instead of each waiting out the timeout,
 *     and a reconnect after the first attempt waits at most CW_CHAIN_RECONNECT_TIMEOUT_MS
 *     for the WebSocket handshake. A hung chain then costs a caller that serves several
 *     chains from one thread (the relayer) one call timeout, then at most that handshake
 *     bound per backoff period (≤ 5 s), not a timeout per call.
 *
 * Errors: int return, CW_OK or a negative CW_E* / -errno code, with one line in err (may be
 * NULL). CW_ECLOSED: the connection is down (the next call reconnects when its backoff has
 * passed); CW_ETIMEOUT: no answer within the call timeout (the connection is dropped); any
 * code the chain answered with passes through (e.g. CW_ENOTFOUND, CW_ENONCE).
 *
 * Ownership and lifetimes: the client is caller-allocated (it is large: embed it or
 * allocate it once) and initialised with cw_chain_client_init; cw_chain_client_free
 * releases everything it holds (the connection, the key — wiped —, the light client's
 * stores). The config passed to init is borrowed and must outlive the client. The fields
 * below are readable by the caller (the relayer reads height, cl, connects, lcs, conflict,
 * ...); only the library writes them, except `want_sub`, `memo`, `hook`/`hook_user` and
 * `conflict.sent`/`conflict.next_try_ms` (the caller's bookkeeping of the evidence it
 * submitted).
 *
 * Thread safety: one thread per client (no locks inside). Different clients may be used from
 * different threads. The hook is called on the client's thread.
 */
#ifndef CAUSEWAY_CHAIN_CLIENT_H
#define CAUSEWAY_CHAIN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/block.h"
#include "causeway/codec.h"
#include "causeway/error.h"
#include "causeway/jsonconf.h"
#include "causeway/lightclient.h"
#include "causeway/packet.h"
#include "causeway/rpc_client.h"
#include "causeway/rpc_results.h"
#include "causeway/schnorr.h"

#define CW_CHAIN_FILE_MAX 1024   /* key file path, bytes with the NUL */
#define CW_CHAIN_LC_KEEP 512     /* verified heights kept by the light client */
#define CW_CHAIN_LB_CACHE 32     /* fetched light blocks cached (by height mod 32) */
#define CW_CHAIN_TXRES_TYPES 32  /* event types kept in a cw_chain_txres */
#define CW_CHAIN_BISECT_DEPTH 48 /* bisection levels tried before giving up */

/** One chain as configured: its id, the node's URL, the signer's key file ("" none) and the
 *  trust root the light client starts from (has_trust false: the node's current header,
 *  loudly logged). */
typedef struct cw_chain_cfg {
    char id[CW_ID_MAX + 1];
    char rpc[CW_RPC_URL_MAX + 1];
    char key_file[CW_CHAIN_FILE_MAX];
    bool has_trust;
    uint64_t trust_height;
    uint8_t trust_hash[32];
} cw_chain_cfg;

/** Parse a trust root "HEIGHT:HASH" (a decimal height > 0, ':', 64 hex digits).
 *  Returns: CW_OK; CW_EINVAL anything else (outputs zeroed). Thread-safe. */
int cw_chain_trust_root_parse(const char *s, uint64_t *height, uint8_t hash32[static 32])
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
/** Read one chain's config from the JSON object o, strictly (unknown keys are errors):
 *  {"id": ID, "rpc": URL, "key_file": PATH (optional), "trust_root": "HEIGHT:HASH"
 *  (optional)}. what names o in messages ("chains[0]"). Sticky errors in j (CW_EMALFORMED,
 *  CW_EINVAL naming file, field and value). *c is zeroed first. Thread-safe on distinct
 *  objects. */
void cw_chain_cfg_read(cw_jconf *j, const json_t *o, const char *what, cw_chain_cfg *c)
    CW_NONNULL(1, 3, 4);
/** Apply the environment override CAUSEWAY_CHAIN_<ID>_RPC (ID upper-cased, non-alphanumerics
 *  as '_'), then check the URL. file and ix name the entry in messages.
 *  Returns: CW_OK; CW_EINVAL bad URL ("FILE: chains[IX].rpc: \"URL\": reason"). Reads the
 *  environment: not thread-safe against setenv. */
int cw_chain_cfg_env(cw_chain_cfg *c, const char *file, int ix, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** What the hook is told: a counter went up by v (v = 1), or the chain's latest height seen
 *  (v = the height). */
enum cw_chain_event {
    CW_CHAIN_EV_RECONNECT,        /* a connection re-opened after the first */
    CW_CHAIN_EV_HEADER_REJECTED,  /* a served header failed verification */
    CW_CHAIN_EV_TX_SUBMITTED,     /* a tx was sent with broadcast_tx */
    CW_CHAIN_EV_HEIGHT,           /* status read a new latest height */
    CW_CHAIN_EV_PROOF_REJECTED,   /* a served proof failed verification (the node dropped) */
};
struct cw_chain_client;
/** Optional observer (e.g. a metrics exporter): called after the client's own counter moved.
 *  Must not call back into the client. */
typedef void (*cw_chain_hook)(void *user, const struct cw_chain_client *c,
                              enum cw_chain_event ev, uint64_t v);

/** A fetched light block, by height (verified once the light client checked it). */
typedef struct cw_chain_lb_cache {
    uint64_t height;
    cw_light_block lb;
    bool verified;
} cw_chain_lb_cache;

/** A light block the light client verified, encoded, kept while its consensus state is kept:
 *  the first half of the evidence when the node later serves a conflicting header. */
typedef struct cw_chain_seen {
    uint64_t height;
    uint8_t *lb;
    size_t len;
} cw_chain_seen;

/** Two valid, conflicting light blocks met by the light client (same height, or heights
 *  whose times are out of order): lb[0] verified first, lb[1] served later. `sent` and
 *  `next_try_ms` are the caller's (e.g. the relayer's bit per path end whose client got the
 *  evidence). */
typedef struct cw_chain_conflict {
    bool set;
    cw_light_block lb[2];
    uint32_t sent;
    uint64_t next_try_ms;
} cw_chain_conflict;

/** The longest a reconnect (any attempt after a client's first) waits for the WebSocket
 *  handshake, in ms, when the call timeout is longer: a live node answers a handshake in
 *  milliseconds; a hung one must not hold its caller for a whole call timeout per attempt. */
#define CW_CHAIN_RECONNECT_TIMEOUT_MS 2000u

typedef struct cw_chain_client {
    const cw_chain_cfg *cfg; /* borrowed */
    int ix;                  /* the caller's index for this chain (not used here) */
    uint32_t timeout_ms;     /* one call */
    cw_rpc_client *cl;       /* NULL while disconnected */
    bool want_sub;           /* subscribe to "blocks" on every (re)connect */
    bool reconnected;        /* a (re)connect happened since the caller last cleared it */
    uint32_t backoff_ms;
    uint64_t next_try_ms;    /* cw_chain_now_ms() before which no reconnect is tried */
    uint64_t connects;       /* connections opened so far (a generation number) */
    uint64_t connect_tries;  /* connection attempts so far (after the first: the short
                              * handshake bound, CW_CHAIN_RECONNECT_TIMEOUT_MS) */
    /* signer */
    bool has_key;
    cw_signer signer;        /* the key, prepared once (and its public key): no derivation
                              * per tx */
    cw_address addr;
    bool nonce_known;
    uint64_t next_nonce;
    const char *memo;        /* signed into every tx (borrowed; NULL = ""); the caller's */
    /* latest seen (status) */
    uint64_t height;
    uint64_t time_ns;
    uint64_t checked_height; /* the caller's */
    /* counters (also reported through the hook) */
    uint64_t reconnects;
    uint64_t headers_rejected;
    uint64_t txs_submitted;
    uint64_t proofs_rejected;
    cw_chain_hook hook;
    void *hook_user;
    /* light client */
    bool lc_seeded;
    cw_lc_client_state lcs;
    cw_lc_memstore *ms;
    cw_lc_store st;
    cw_lc_vcache *vc;
    uint64_t lc_root_height;
    uint8_t lc_root_hash[32];
    cw_chain_lb_cache lbc[CW_CHAIN_LB_CACHE];
    cw_chain_seen *seen; /* CW_CHAIN_LC_KEEP + 1 slots, allocated on first use */
    size_t n_seen;
    cw_chain_conflict conflict;
} cw_chain_client;

/** CLOCK_MONOTONIC in ms (timeouts, backoff) / CLOCK_REALTIME in ns (verification time).
 *  Thread-safe. */
uint64_t cw_chain_now_ms(void);
uint64_t cw_chain_now_ns(void);

/** Count an event on c (the counter field) and tell the hook. Used by the library's parts;
 *  callers have no need to. */
void cw_chain_note(cw_chain_client *c, enum cw_chain_event ev, uint64_t v) CW_NONNULL(1);

/* ---- connection ---------------------------------------------------------------------- */

/** Set up c for cfg (no I/O). want_key: read cfg->key_file (a cw_keyfile) as the signer.
 *  Returns: CW_OK; CW_EINVAL want_key without key_file; the key file's codes (-errno,
 *  CW_EMALFORMED); -ENOMEM. On failure c may hold allocations: cw_chain_client_free it.
 *  Memory: allocates the light client's stores; keeps cfg (borrowed). */
int cw_chain_client_init(cw_chain_client *c, const cw_chain_cfg *cfg, int ix,
                         uint32_t timeout_ms, bool want_key, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** Close, wipe the key, free the stores and kept light blocks; c is zeroed. Accepts NULL and
 *  a zeroed client. */
void cw_chain_client_free(cw_chain_client *c);
/** Connect if not connected and the backoff has passed (subscribing when want_sub).
 *  Returns: CW_OK connected; CW_ECLOSED not now (err says when, or why the connect failed —
 *  the next try is scheduled with backoff and jitter). Resets nonce_known on a connect. */
int cw_chain_ensure(cw_chain_client *c, char *err, size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;
/** Call `method` with params (one encoded array; NULL = []) and open its result in *d.
 *  *root: the result; *buf: the frame bytes it borrows from (malloc'd).
 *  The caller must cw_dec_close(d) and free(*buf) whatever this returns.
 *  Returns: CW_OK; CW_ECLOSED (the connection was dropped: an unreadable frame drops it too);
 *  CW_ETIMEOUT; the chain's error code; cw_dec_open's codes for a bad result. */
int cw_chain_call(cw_chain_client *c, const char *method, const cw_enc *params, cw_dec *d,
                  const msgpack_object **root, uint8_t **buf, char *err, size_t err_len)
    CW_NONNULL(1, 2, 4, 5, 6) CW_WARN_UNUSED;

/* ---- typed calls (answers decoded by causeway/rpc_results.h) -------------------------- */

/** status: c->height and c->time_ns advance to the answer's (never back); *out (may be NULL)
 *  receives the whole answer. The hook sees CW_CHAIN_EV_HEIGHT. Returns: as cw_chain_call,
 *  CW_EMALFORMED a malformed answer. */
int cw_chain_status(cw_chain_client *c, cw_rpc_status *out, char *err, size_t err_len)
    CW_NONNULL(1) CW_WARN_UNUSED;
/** query key (NUL-terminated) at height (0 = latest), with a proof when prove. *val and
 *  *proof (proof may be NULL: not wanted) are malloc'd copies, NULL when absent; *at (may be
 *  NULL) the height answered. A proof asked for (prove and proof non-NULL) is checked as
 *  cw_chain_proof_check before it is returned. Returns: as cw_chain_call; CW_EMALFORMED prove
 *  and no proof; cw_chain_proof_check's codes (nothing kept then); -ENOMEM. */
int cw_chain_query(cw_chain_client *c, const char *key, uint64_t height, bool prove,
                   uint8_t **val, size_t *val_len, uint8_t **proof, size_t *proof_len,
                   uint64_t *at, char *err, size_t err_len) CW_NONNULL(1, 2, 5, 6)
    CW_WARN_UNUSED;

/** One proven query of a batch: key; on rc == CW_OK val (NULL when absent) and proof
 *  (malloc'd: cw_chain_qreq_free) and the height answered. seq: the caller's tag. */
typedef struct cw_chain_qreq {
    char key[CW_PATH_MAX];
    uint64_t seq;
    uint8_t *val;
    size_t val_len;
    uint8_t *proof;
    size_t proof_len;
    uint64_t at;
    int rc;
} cw_chain_qreq;
/** Send `query_many [keys of q[0..n), height, true]` without waiting (1 ≤ n ≤
 *  CW_RPC_BATCH_MAX); *msgid for cw_chain_proofs_take. Returns: CW_OK; CW_ECLOSED; the RPC
 *  client's send errors (CW_ETOOBIG queue full). */
int cw_chain_proofs_send(cw_chain_client *c, const cw_chain_qreq *q, size_t n, uint64_t height,
                         uint32_t *msgid, char *err, size_t err_len) CW_NONNULL(1, 2, 5)
    CW_WARN_UNUSED;
/** Take the answer to cw_chain_proofs_send into q[0..n) (all at `height`; when the chain cut
 *  its answer at its size cap, the rest is asked for at once), then check every item's proof
 *  as cw_chain_proof_check does (one verified header for the batch): a single missing or
 *  failing proof refuses the whole answer. Returns: CW_OK (each q[i].rc CW_OK, its value and
 *  proof verified); CW_EBADPROOF answered at another height, or a proof missing or failing
 *  (counted, logged, the connection dropped); CW_EMALFORMED; CW_ECLOSED; CW_ETIMEOUT; the
 *  chain's error (e.g. CW_ENOTFOUND pruned); cw_chain_lc_verified's codes for the header at
 *  the answer's height. On failure some q[i] may hold copies: cw_chain_qreq_free them either
 *  way. */
int cw_chain_proofs_take(cw_chain_client *c, uint32_t msgid, cw_chain_qreq *q, size_t n,
                         uint64_t height, char *err, size_t err_len) CW_NONNULL(1, 3)
    CW_WARN_UNUSED;
/** cw_chain_proofs_send + cw_chain_proofs_take. */
int cw_chain_query_many(cw_chain_client *c, cw_chain_qreq *q, size_t n, uint64_t height,
                        char *err, size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** Check a proven answer of c's node: key (NUL-terminated) = val[0..val_len) (val NULL:
 *  key absent) by proof, at height, against the state root of the light block the light
 *  client verified at height (cw_chain_lc_verified; the same root the IBC host checks a proof
 *  at that proof height against, through cw_lc_verify_root). A missing (NULL) or failing
 *  proof marks the node faulty: proofs_rejected counted (the hook sees
 *  CW_CHAIN_EV_PROOF_REJECTED), a warning logged (chain, key, height, reason) and the
 *  connection dropped (the next call reconnects, with backoff).
 *  Returns: CW_OK; CW_EBADPROOF the proof failed or is missing (err names key, height and
 *  the verifier's reason); CW_EUNSUPPORTED built without the ICS-23 verifier (not counted);
 *  cw_chain_lc_verified's codes (the header could not be verified: not counted). */
int cw_chain_proof_check(cw_chain_client *c, const char *key, const uint8_t *val,
                         size_t val_len, const uint8_t *proof, size_t proof_len, uint64_t height,
                         char *err, size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** Free the copies in q[0..n) (accepts NULL). */
void cw_chain_qreq_free(cw_chain_qreq *q, size_t n);

/** The packets sent on (port, chan) with sequences seqs[0..n) from the chain's packet index
 *  (`packets`, in calls of ≤ CW_RPC_BATCH_MAX): pkts[i] malloc'd bytes (NULL when the chain
 *  has none), lens[i] their lengths. Returns: CW_OK; the calls' errors (nothing kept then). */
int cw_chain_packets(cw_chain_client *c, const char *port, const char *chan,
                     const uint64_t *seqs, size_t n, uint8_t **pkts, size_t *lens, char *err,
                     size_t err_len) CW_NONNULL(1, 2, 3, 6, 7) CW_WARN_UNUSED;
/** A sequence list: packet_commitments [port, chan] when seqs is NULL, else
 *  `method` (unreceived_packets / unreceived_acks) [port, chan, seqs[0..n)]; the answer into
 *  out[0..max), *n_out its count. Returns: as cw_chain_call; CW_ETOOBIG more than max. */
int cw_chain_seq_list(cw_chain_client *c, const char *method, const char *port,
                      const char *chan, const uint64_t *seqs, size_t n, uint64_t *out,
                      size_t max, size_t *n_out, char *err, size_t err_len)
    CW_NONNULL(1, 2, 3, 4, 7, 9) CW_WARN_UNUSED;
/** One page of packet_commitments [port, chan, start, limit]: the node's lowest outstanding
 *  sequences ≥ start, at most limit (1..CW_RPC_LIST_MAX), into out[0..limit), *n_out their
 *  count (fewer than limit: the node says there are no more). Unproven: the node's index, as
 *  of its latest block. Returns: as cw_chain_call; CW_EINVAL limit out of range;
 *  CW_ETOOBIG more than limit answered; CW_EMALFORMED an answer not strictly ascending from
 *  start (*n_out 0 on any failure). */
int cw_chain_commitments_page(cw_chain_client *c, const char *port, const char *chan,
                              uint64_t start, uint32_t limit, uint64_t *out, size_t *n_out,
                              char *err, size_t err_len) CW_NONNULL(1, 2, 3, 6, 7) CW_WARN_UNUSED;
/** packet / ack (method) [port, chan, seq]: the bytes, malloc'd (*out, *len). Returns: as
 *  cw_chain_call (CW_ENOTFOUND none); -ENOMEM. */
int cw_chain_packet_bytes(cw_chain_client *c, const char *method, const char *port,
                          const char *chan, uint64_t seq, uint8_t **out, size_t *len, char *err,
                          size_t err_len) CW_NONNULL(1, 2, 3, 4, 6, 7) CW_WARN_UNUSED;
/** light_block(height), unverified. *lb owned by the caller (cw_light_block_free; zeroed on
 *  failure). Returns: as cw_chain_call; the light block decoder's codes. */
int cw_chain_light_block(cw_chain_client *c, uint64_t height, cw_light_block *lb, char *err,
                         size_t err_len) CW_NONNULL(1, 3) CW_WARN_UNUSED;

/* ---- the lending market (DESIGN §8 "Keeper") ------------------------------------------ */

/** One page of lend_borrowers: the borrower index's addresses after start_after (NULL: from
 *  the first), at most limit (1..CW_RPC_BORROWERS_MAX), as of out->height; out->has_next
 *  when more may follow. Unproven (the node's enumerable copy): prove each address's
 *  market/borrowers key at out->height with cw_chain_query_many, and the whole walk against
 *  the proven market/borrower_count. Returns: as cw_chain_call; CW_EINVAL limit out of
 *  range; CW_ETOOBIG more than limit answered; CW_EMALFORMED not ascending or not after
 *  start_after (*out zeroed on any failure). */
int cw_chain_lend_borrowers(cw_chain_client *c, const cw_address *start_after, uint32_t limit,
                            cw_rpc_lend_borrowers *out, char *err, size_t err_len)
    CW_NONNULL(1, 4) CW_WARN_UNUSED;
/** lend_quote(borrower): the chain's view of a liquidation of borrower now
 *  (cw_rpc_lend_quote; computed by the node, unproven). Returns: as cw_chain_call;
 *  CW_EMALFORMED an answer about another address (*out zeroed on failure). */
int cw_chain_lend_quote(cw_chain_client *c, const cw_address *borrower, cw_rpc_lend_quote *out,
                        char *err, size_t err_len) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/* ---- signer ------------------------------------------------------------------------- */

/** Read the account's pending next nonce into c->next_nonce (nonce_known true). */
int cw_chain_refresh_nonce(cw_chain_client *c, char *err, size_t err_len) CW_NONNULL(1)
    CW_WARN_UNUSED;
/** Sign msgs[0..n) (encoded Msgs) with the next nonce and send `broadcast_tx` without
 *  waiting (several txs of one signer may be in flight: nonces follow each other). hash32:
 *  the tx hash; *msgid for cw_chain_broadcast_result. Returns: CW_OK; CW_EINVAL no key;
 *  signing and send errors. */
int cw_chain_broadcast_send(cw_chain_client *c, const cw_bytes *msgs, size_t n,
                            uint8_t hash32[static 32], uint32_t *msgid, char *err,
                            size_t err_len) CW_NONNULL(1, 4, 5) CW_WARN_UNUSED;
/** The chain's answer to a broadcast: CW_OK admitted to the mempool; CW_ETIMEOUT no answer
 *  within timeout_ms (0: do not wait; the request stays outstanding); otherwise the chain's
 *  refusal (CW_ENONCE, CW_ETOOBIG mempool full, …) or CW_ECLOSED — the next send re-reads
 *  the account's nonce then. */
int cw_chain_broadcast_result(cw_chain_client *c, uint32_t msgid, uint32_t timeout_ms,
                              char *err, size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;
/** Send and wait for the answer; on a nonce mismatch re-read the account and retry (3
 *  attempts). */
int cw_chain_broadcast(cw_chain_client *c, const cw_bytes *msgs, size_t n,
                       uint8_t hash32[static 32], char *err, size_t err_len) CW_NONNULL(1, 4)
    CW_WARN_UNUSED;

/** A committed tx's outcome (tx_status), owned: code 0 success; failed_msg the failing msg's
 *  index or -1; the count of each event type (the first CW_CHAIN_TXRES_TYPES types). */
typedef struct cw_chain_txres {
    uint64_t height;
    int64_t code;
    int64_t failed_msg;
    char log[512];
    uint32_t n_types;
    struct {
        char type[CW_ID_MAX + 1];
        uint32_t count;
    } types[CW_CHAIN_TXRES_TYPES];
} cw_chain_txres;
/** tx_status(hash) sent without waiting; *msgid for cw_chain_tx_result_take. */
int cw_chain_tx_result_send(cw_chain_client *c, const uint8_t hash32[static 32],
                            uint32_t *msgid, char *err, size_t err_len) CW_NONNULL(1, 2, 3)
    CW_WARN_UNUSED;
/** Its answer: CW_OK with *r; CW_ENOTFOUND not committed (yet); call errors. */
int cw_chain_tx_result_take(cw_chain_client *c, uint32_t msgid, cw_chain_txres *r, char *err,
                            size_t err_len) CW_NONNULL(1, 3) CW_WARN_UNUSED;
/** send + take. */
int cw_chain_tx_result(cw_chain_client *c, const uint8_t hash32[static 32], cw_chain_txres *r,
                       char *err, size_t err_len) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
/** How many events of `type` r counted (0 when none). Thread-safe. */
uint32_t cw_chain_txres_count(const cw_chain_txres *r, const char *type) CW_NONNULL(1, 2);
/** Wait (servicing notifications, 20 ms steps) until tx hash32 commits or timeout_ms passes.
 *  Returns: CW_OK with *r; CW_ETIMEOUT; call errors other than CW_ENOTFOUND/CW_ECLOSED. */
int cw_chain_wait_tx(cw_chain_client *c, const uint8_t hash32[static 32], uint32_t timeout_ms,
                     cw_chain_txres *r, char *err, size_t err_len) CW_NONNULL(1, 2, 4)
    CW_WARN_UNUSED;

/* ---- light client ------------------------------------------------------------------- */

/** Seed the light client: from the trust root (height > 0 and hash32 non-NULL), else from the
 *  chain's current header (height 0: waits up to the call timeout for a first block; the
 *  trust is logged loudly). The root's light block must hash to hash32 and be self-consistent.
 *  Returns: CW_OK; CW_EBADHEADER root mismatch or inconsistent; CW_ETIMEOUT no block yet;
 *  call errors; -ENOMEM. Forgets earlier kept light blocks. */
int cw_chain_lc_seed(cw_chain_client *c, uint64_t height, const uint8_t *hash32, char *err,
                     size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;
/** Verify the light block at height (skipping from the nearest trusted height below,
 *  bisecting when a skip lacks the trust threshold). On CW_OK *out points to the verified
 *  block in the cache: valid until the next cw_chain_* call on c.
 *  Returns: CW_OK; CW_ESTATE not seeded; CW_ENOTFOUND below every trusted height;
 *  CW_EBADHEADER / CW_EBADSIG / CW_ETHRESHOLD / CW_EEXPIRED … the header was rejected;
 *  CW_EMISBEHAVIOUR a valid conflicting header (c->conflict set); CW_EFROZEN frozen; call
 *  errors. */
int cw_chain_lc_verified(cw_chain_client *c, uint64_t height, const cw_light_block **out,
                         char *err, size_t err_len) CW_NONNULL(1, 3) CW_WARN_UNUSED;
/** The light block at height as fetched (cached, NOT necessarily verified): *out valid until
 *  the next cw_chain_* call on c. Returns: CW_OK; CW_EBADHEADER the node answered another
 *  height; call errors. */
int cw_chain_lc_block(cw_chain_client *c, uint64_t height, const cw_light_block **out,
                      char *err, size_t err_len) CW_NONNULL(1, 3) CW_WARN_UNUSED;
/** A validator set prepared for verification (c's cache of hashed/parsed sets): release with
 *  cw_lc_valset_release. Returns: as cw_lc_vcache_get. */
int cw_chain_lc_valset(cw_chain_client *c, const cw_validator_set *vs, cw_lc_valset **out,
                       char *err, size_t err_len) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
/** After a reconnect the node behind the URL may be another one: forget the light blocks
 *  fetched from the old connection and verify the light client's latest height again.
 *  Returns: CW_OK (same header, or nothing to check); CW_EMISBEHAVIOUR a valid conflicting
 *  header (c->conflict set, the light client frozen); the fetch's or verification's codes. */
int cw_chain_lc_crosscheck(cw_chain_client *c, char *err, size_t err_len) CW_NONNULL(1)
    CW_WARN_UNUSED;
/** The verified light block kept for height h (an owned copy: cw_light_block_free).
 *  Returns: CW_OK; CW_ENOTFOUND not kept; decode errors. */
int cw_chain_lc_seen(const cw_chain_client *c, uint64_t h, cw_light_block *out, char *err,
                     size_t err_len) CW_NONNULL(1, 3) CW_WARN_UNUSED;
/** The kept heights below `below`, highest first, into hs[0..max); returns how many. */
size_t cw_chain_lc_seen_below(const cw_chain_client *c, uint64_t below, uint64_t *hs,
                              size_t max) CW_NONNULL(1);
/** Free the kept light blocks and a recorded conflict (cw_chain_client_free does it). */
void cw_chain_lc_seen_free(cw_chain_client *c) CW_NONNULL(1);

#endif
