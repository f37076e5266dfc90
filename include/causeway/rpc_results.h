/* Causeway — the chain's RPC results and params as they travel (DESIGN §5 "RPC").
 *
 * One definition per MessagePack-RPC method of causeway-chain that a client reads: a struct,
 * an encoder (the chain's handlers in chain/ write the answer with it) and a decoder (every
 * client — the chain-client library, the relayer, the `causeway` CLI — reads with it), and,
 * where the params are more than nothing, the params' encoder (clients) and decoder (chain).
 * Shapes (each one canonical msgpack array, DESIGN §4):
 *
 *   method               params                         result
 *   status               []                             [chain_id, latest_height, latest_time_ns,
 *                                                        latest_block_hash, latest_state_root,
 *                                                        earliest_state_height, mempool_txs]
 *   light_block          [height]                       LightBlock (causeway/block.h)
 *   block_results        [height] or [height, start]    [height, start, total,
 *                                                        [[tx_hash, tx, result], ...]]
 *                                                        (a page: txs start.. of the block's
 *                                                        total, cut at the chain's size cap)
 *   query                [key(bin), height, prove]      [value|nil, proof|nil, height]
 *   query_many           [[key(bin), ...], height, prove]
 *                                                       [height, [[value|nil, proof|nil], ...]]
 *   broadcast_tx         [envelope(bin)]                tx_hash (bin 32)
 *   tx                   [hash(bin 32)]                 [height, index, tx, result]
 *   tx_status            [hash(bin 32)]                 [height, index, code, log,
 *                                                        failed_msg|nil, [[type, count], ...],
 *                                                        gas_wanted, gas_used]
 *   account              [address(bin 20)]              [address, next_nonce,
 *                                                        pending_next_nonce, [[denom, amount]..]]
 *   packet_commitments   [port, channel] or             [seq, ...]
 *                        [port, channel, start, limit]
 *   packet, ack          [port, channel, seq]           bytes (bin)
 *   packets              [port, channel, [seq, ...]]    [bytes|nil, ...]
 *   unreceived_packets,
 *   unreceived_acks      [port, channel, [seq, ...]]    [seq, ...]
 *   lend_account         [address(bin 20)]              [debt_value, borrow_limit,
 *                                                        liquidation_limit, health_factor_wad,
 *                                                        [[asset, debt, scaled_debt,
 *                                                          supply_value, shares], ...]]
 *                                                        (u128 as bin 16 each; one entry per
 *                                                        market, genesis order)
 *   lend_market          [] or [asset]                  [borrow_denom, borrow_index, total_borrows,
 *                                                        cash, reserves, total_shares,
 *                                                        paused_actions(u64 bitmask), bad_debt,
 *                                                        total_supply, supply_cap, borrow_cap,
 *                                                        utilization_wad, borrow_apr_wad,
 *                                                        supply_apr_wad, flash_fee_bps,
 *                                                        markets: [asset, ...]]
 *                                                        (cw_rpc_lend_market; [] answers for
 *                                                        the only market, and is refused when
 *                                                        the chain has several)
 *   lend_borrowers       [start_after(bin 20)|nil, limit]
 *                                                       [height, [address(bin 20), ...],
 *                                                        next(bin 20)|nil] (cw_rpc_lend_borrowers)
 *   lend_quote           [address(bin 20)]              [borrower, debt_value, health_factor_wad,
 *                                                        refusal, reason, [[asset, debt,
 *                                                        asset_price_wad, trace_denom, position,
 *                                                        price_wad, bonus_bps, fresh,
 *                                                        max_repay], ...]] (cw_rpc_lend_quote:
 *                                                        one item per debt market × collateral)
 *   blocks (topic)       subscribe ["blocks"]           [header, events, txs, txs_total]: one
 *                                                        notification per committed block, the
 *                                                        events of its first txs of txs_total
 *                                                        (cw_rpc_block_note)
 *   where result (of a tx) = [code(int), log(str), events, failed_msg|nil, gas_wanted, gas_used]
 *   (gas_wanted the tx's gas limit, gas_used ≤ gas_wanted what it used, causeway/gas.h); times are ns since
 *   the Unix epoch; heights count blocks from 1; amounts are base units.
 *
 * Conventions (as for the msgs, causeway/msgs.h):
 *   void cw_rpc_X_enc(cw_enc *e, const cw_rpc_X *r)   appends the whole object; encoder errors
 *        are sticky in e->rc (CW_ETOOBIG where a count is over its bound, -ENOMEM).
 *   void cw_rpc_X_dec(cw_dec *d, const msgpack_object *o, cw_rpc_X *r)   reads o (sticky error
 *        in d->rc: CW_EMALFORMED wrong arity or type, CW_ETOOBIG a length or count over its
 *        bound, CW_EINVAL a value out of range; d->err names the field as "X.field"). r is
 *        zeroed first; on failure its fields are unspecified (zero or partly read).
 * Memory: decoders allocate nothing. cw_bytes fields and `items` borrow from the decoded
 * object — i.e. from the frame buffer and the cw_dec's zone: valid while both live (until
 * cw_dec_close and the buffer is freed). Encoders borrow their inputs for the call only.
 * Thread safety: all functions are pure over their arguments (thread-compatible).
 * Source: the MessagePack-RPC methods of causeway-chain (chain/rpc_methods.c, DESIGN §5).
 */
#ifndef CAUSEWAY_RPC_RESULTS_H
#define CAUSEWAY_RPC_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/app_msgs.h" /* CW_LEND_MAX_MARKETS, CW_LEND_ACTION_* */
#include "causeway/block.h"
#include "causeway/codec.h"
#include "causeway/error.h"
#include "causeway/hash.h"
#include "causeway/hex.h"
#include "causeway/kv.h"
#include "causeway/liquidation.h"
#include "causeway/packet.h"
#include "causeway/schnorr.h"
#include "causeway/tx.h"

/** Largest result a client decodes, in bytes (a block's results can be large). */
#define CW_RPC_RESULT_MAX (64u << 20)
/** Keys in one query_many, sequences in one packets call: 1..1000. */
#define CW_RPC_BATCH_MAX 1000u
/** Sequences in one list call (packet_commitments answer, unreceived_* params and answers). */
#define CW_RPC_LIST_MAX 10000u
/** Distinct event types one tx_status answer carries, at most. */
#define CW_RPC_TX_TYPES_MAX 64u
/** Denoms in one account answer, at most. */
#define CW_RPC_DENOMS_MAX 64u
/** Longest state key (query, query_many), bytes. */
#define CW_RPC_KEY_MAX CW_KV_KEY_MAX
/** Longest packet or ack bytes a packet/ack/packets answer carries. */
#define CW_RPC_PACKET_MAX (CW_PACKET_DATA_MAX * 2 + 1024)
/** Longest tx log, bytes. */
#define CW_RPC_LOG_MAX 4096u
/** Longest tx envelope (broadcast_tx, tx), bytes. */
#define CW_RPC_TX_MAX CW_TX_MAX_BYTES

/** Open a result (or params) frame's bytes: cw_dec_open with the CW_RPC_RESULT_MAX bound;
 *  on failure err is prefixed with `method`.
 *  Returns: as cw_dec_open. The caller must cw_dec_close(d) whatever this returns. */
int cw_rpc_result_open(cw_dec *d, const msgpack_object **root, const uint8_t *buf, size_t len,
                       const char *method, char *err, size_t err_len)
    CW_NONNULL(1, 2, 5) CW_WARN_UNUSED;

/* ---- params shared by several methods ------------------------------------------------ */

/** [] — status. dec fails CW_EMALFORMED on any other arity ("<what> params"). */
void cw_rpc_no_params_enc(cw_enc *e) CW_NONNULL(1);
void cw_rpc_no_params_dec(cw_dec *d, const msgpack_object *o, const char *what)
    CW_NONNULL(1, 2, 3);
/** [height] — light_block. Returns the height (0 on failure). */
void cw_rpc_height_params_enc(cw_enc *e, uint64_t height) CW_NONNULL(1);
uint64_t cw_rpc_height_params_dec(cw_dec *d, const msgpack_object *o, const char *what)
    CW_NONNULL(1, 2, 3);
/** [hash(bin 32)] — tx, tx_status. hash32 zeroed on failure. */
void cw_rpc_hash_params_enc(cw_enc *e, const uint8_t hash32[static 32]) CW_NONNULL(1, 2);
void cw_rpc_hash_params_dec(cw_dec *d, const msgpack_object *o, uint8_t hash32[static 32],
                            const char *what) CW_NONNULL(1, 2, 3, 4);
/** [address(bin 20)] — account, lend_account, lend_quote. */
void cw_rpc_address_params_enc(cw_enc *e, const cw_address *a) CW_NONNULL(1, 2);
void cw_rpc_address_params_dec(cw_dec *d, const msgpack_object *o, cw_address *a,
                               const char *what) CW_NONNULL(1, 2, 3, 4);

/** A channel (port, channel identifiers) and, for packet/ack, one sequence. */
typedef struct cw_rpc_chan_params {
    char port[CW_ID_MAX + 1];
    char channel[CW_ID_MAX + 1];
    uint64_t seq; /* packet, ack only */
} cw_rpc_chan_params;
/** [port, channel] (with_seq false); [port, channel, seq] — packet, ack (with_seq true).
 *  packet_commitments has its own params (cw_rpc_commitments_params). */
void cw_rpc_chan_params_enc(cw_enc *e, const cw_rpc_chan_params *p, bool with_seq)
    CW_NONNULL(1, 2);
void cw_rpc_chan_params_dec(cw_dec *d, const msgpack_object *o, cw_rpc_chan_params *p,
                            bool with_seq, const char *what) CW_NONNULL(1, 2, 3, 5);

/** packet_commitments' params: [port, channel] — the lowest CW_RPC_LIST_MAX outstanding
 *  sequences — or [port, channel, start, limit] — the lowest `limit` (1..CW_RPC_LIST_MAX)
 *  outstanding sequences ≥ start (a page: the next one starts after the last answered).
 *  limit 0 (start then 0) is the two-field form; enc sets e->rc CW_EINVAL for limit 0 with a
 *  start, or a limit over CW_RPC_LIST_MAX. dec: CW_EMALFORMED another arity, CW_EINVAL a
 *  limit of 0 or over CW_RPC_LIST_MAX, a port or channel not an identifier. */
typedef struct cw_rpc_commitments_params {
    char port[CW_ID_MAX + 1];
    char channel[CW_ID_MAX + 1];
    uint64_t start; /* lowest sequence answered */
    uint32_t limit; /* most sequences answered; 0: the two-field form (CW_RPC_LIST_MAX) */
} cw_rpc_commitments_params;
void cw_rpc_commitments_params_enc(cw_enc *e, const cw_rpc_commitments_params *p)
    CW_NONNULL(1, 2);
void cw_rpc_commitments_params_dec(cw_dec *d, const msgpack_object *o,
                                   cw_rpc_commitments_params *p) CW_NONNULL(1, 2, 3);

/** [port, channel, [seq, ...]] — packets (max CW_RPC_BATCH_MAX), unreceived_packets and
 *  unreceived_acks (max CW_RPC_LIST_MAX). enc: seqs[0..n) (n > max → e->rc CW_ETOOBIG).
 *  dec: into seqs[0..max) (caller's storage), *n the count; more than max → CW_ETOOBIG. An
 *  empty list decodes (the chain names it in its own error). */
void cw_rpc_seqs_params_enc(cw_enc *e, const char *port, const char *channel,
                            const uint64_t *seqs, uint32_t n) CW_NONNULL(1, 2, 3);
void cw_rpc_seqs_params_dec(cw_dec *d, const msgpack_object *o, cw_rpc_chan_params *p,
                            uint64_t *seqs, uint32_t max, uint32_t *n, const char *what)
    CW_NONNULL(1, 2, 3, 4, 6, 7);

/** [seq, ...] — the answer of packet_commitments, unreceived_packets, unreceived_acks.
 *  dec: into seqs[0..max), *n the count (more than max → CW_ETOOBIG), names `what`. */
void cw_rpc_seqs_enc(cw_enc *e, const uint64_t *seqs, uint32_t n) CW_NONNULL(1);
void cw_rpc_seqs_dec(cw_dec *d, const msgpack_object *o, uint64_t *seqs, uint32_t max,
                     uint32_t *n, const char *what) CW_NONNULL(1, 2, 5, 6);

/** Declares the pair of the conventions above, cw_rpc_X_enc and cw_rpc_X_dec, for a result
 *  or params struct cw_rpc_X whose decoder names its fields itself (no `what`). */
#define CW_RPC_RESULT_DECLARE(X)                                                           \
    void cw_rpc_##X##_enc(cw_enc *e, const cw_rpc_##X *r) CW_NONNULL(1, 2);                \
    void cw_rpc_##X##_dec(cw_dec *d, const msgpack_object *o, cw_rpc_##X *r) CW_NONNULL(1, 2, 3)

/* ---- status ------------------------------------------------------------------------- */

typedef struct cw_rpc_status {
    char chain_id[CW_ID_MAX + 1];
    uint64_t latest_height;  /* 0 before the first block */
    uint64_t latest_time_ns; /* the latest block's time */
    uint8_t latest_block_hash[32];
    uint8_t latest_state_root[32];
    uint64_t earliest_state_height; /* lowest height state queries answer (pruning) */
    uint64_t mempool_txs;
} cw_rpc_status;
CW_RPC_RESULT_DECLARE(status);

/* ---- query, query_many -------------------------------------------------------------- */

/** [key(bin 1..CW_RPC_KEY_MAX), height(0 = latest), prove]. dec: an empty key is
 *  CW_EINVAL ("query params.key: empty"). key borrowed. */
typedef struct cw_rpc_query_params {
    cw_bytes key;
    uint64_t height;
    bool prove;
} cw_rpc_query_params;
CW_RPC_RESULT_DECLARE(query_params);

/** One key's answer: the value when present, the ICS-23 proof (of membership or absence)
 *  when asked for and the tree is not empty. Both borrowed. */
typedef struct cw_rpc_qitem {
    bool has_value;
    cw_bytes value;
    bool has_proof;
    cw_bytes proof;
} cw_rpc_qitem;
/** [value|nil, proof|nil] — one query_many item. */
void cw_rpc_qitem_enc(cw_enc *e, const cw_rpc_qitem *r) CW_NONNULL(1, 2);
void cw_rpc_qitem_dec(cw_dec *d, const msgpack_object *o, cw_rpc_qitem *r, const char *what)
    CW_NONNULL(1, 2, 3, 4);

/** query's answer: [value|nil, proof|nil, height] (height: the one answered). */
typedef struct cw_rpc_query {
    cw_rpc_qitem item;
    uint64_t height;
} cw_rpc_query;
CW_RPC_RESULT_DECLARE(query);

/** [[key, ...], height, prove]: keys[0..n), 1 ≤ n ≤ CW_RPC_BATCH_MAX (dec: more is
 *  CW_ETOOBIG; an empty list or key is left to the chain to name). keys borrowed. */
typedef struct cw_rpc_query_many_params {
    uint32_t n;
    cw_bytes keys[CW_RPC_BATCH_MAX];
    uint64_t height;
    bool prove;
} cw_rpc_query_many_params;
CW_RPC_RESULT_DECLARE(query_many_params);

/** query_many's answer [height, [item, ...]]: n ≤ max_items items (fewer than asked = the
 *  chain cut its answer at its size cap: ask again for the rest). items borrowed; read item
 *  i with cw_rpc_qitem_dec(d, &r->items[i], ...). */
typedef struct cw_rpc_query_many {
    uint64_t height;
    uint32_t n;
    const msgpack_object *items;
} cw_rpc_query_many;
/** Writes the head [height, [ with n items to follow: the caller appends exactly n
 *  cw_rpc_qitem_enc (the chain builds them under its size cap before it knows n). */
void cw_rpc_query_many_enc_head(cw_enc *e, uint64_t height, uint32_t n) CW_NONNULL(1);
void cw_rpc_query_many_dec(cw_dec *d, const msgpack_object *o, uint32_t max_items,
                           cw_rpc_query_many *r) CW_NONNULL(1, 2, 4);

/* ---- broadcast_tx, tx, tx_status ----------------------------------------------------- */

/** broadcast_tx params [envelope(bin ≤ CW_RPC_TX_MAX)]; *tx borrowed. */
void cw_rpc_broadcast_params_enc(cw_enc *e, const uint8_t *tx, size_t tx_len) CW_NONNULL(1);
cw_bytes cw_rpc_broadcast_params_dec(cw_dec *d, const msgpack_object *o) CW_NONNULL(1, 2);
/** broadcast_tx's answer: the tx hash (bin 32). */
void cw_rpc_broadcast_enc(cw_enc *e, const uint8_t hash32[static 32]) CW_NONNULL(1, 2);
void cw_rpc_broadcast_dec(cw_dec *d, const msgpack_object *o, uint8_t hash32[static 32])
    CW_NONNULL(1, 2, 3);

/** A committed tx's result [code, log, events, failed_msg|nil, gas_wanted, gas_used]: code 0
 *  success (else a negative CW_E* code or -errno, or a positive app code; CW_EOUTOFGAS the tx
 *  ran out of gas), log the failure line, events the encoded array
 *  [[type, [[key, value], ...]], ...] (borrowed object; read with the event readers of
 *  causeway/event.h), failed_msg the index of the failing msg, gas_wanted the tx's gas limit
 *  and gas_used what it used (≤ gas_wanted, else the decoder fails with CW_EINVAL). A producer that
 *  holds the events already encoded (the chain, from cw_events_encode) sets events_enc
 *  instead of events; the encoder writes events, else events_enc, else an empty array. */
typedef struct cw_rpc_tx_result {
    int64_t code;
    cw_bytes log;
    const msgpack_object *events;
    cw_bytes events_enc; /* enc only: the encoded events array (borrowed) */
    bool has_failed_msg;
    uint64_t failed_msg;
    uint64_t gas_wanted;
    uint64_t gas_used;
} cw_rpc_tx_result;
void cw_rpc_tx_result_enc(cw_enc *e, const cw_rpc_tx_result *r) CW_NONNULL(1, 2);
void cw_rpc_tx_result_dec(cw_dec *d, const msgpack_object *o, cw_rpc_tx_result *r,
                          const char *what) CW_NONNULL(1, 2, 3, 4);

/** tx's answer [height, index, tx(bin), result]. tx borrowed. */
typedef struct cw_rpc_tx {
    uint64_t height;
    uint64_t index; /* position in the block */
    cw_bytes tx;
    cw_rpc_tx_result result;
} cw_rpc_tx;
CW_RPC_RESULT_DECLARE(tx);

/** tx_status's answer — also the chain's tx index entry, written once when the block
 *  commits: [height, index, code, log, failed_msg|nil, [[event_type, count], ...], gas_wanted,
 *  gas_used] (types in order of first appearance; gas as in cw_rpc_tx_result). log and
 *  types[].type borrowed. */
typedef struct cw_rpc_type_count {
    cw_bytes type; /* an identifier, ≤ CW_ID_MAX bytes */
    uint64_t count;
} cw_rpc_type_count;
typedef struct cw_rpc_tx_status {
    uint64_t height;
    uint64_t index;
    int64_t code;
    cw_bytes log;
    bool has_failed_msg;
    uint64_t failed_msg;
    uint32_t n_types; /* ≤ CW_RPC_TX_TYPES_MAX (enc: more → CW_ETOOBIG) */
    cw_rpc_type_count types[CW_RPC_TX_TYPES_MAX];
    uint64_t gas_wanted;
    uint64_t gas_used;
} cw_rpc_tx_status;
CW_RPC_RESULT_DECLARE(tx_status);
/** Count a tx's events by type into r->types (order of first appearance) from the encoded
 *  events array [[type, attrs], ...] read through d (≤ CW_EVENTS_MAX events; more than
 *  CW_RPC_TX_TYPES_MAX distinct types → CW_ETOOBIG). Sticky errors in d. Allocates nothing;
 *  types borrow from `events`. */
void cw_rpc_tx_status_count_events(cw_dec *d, const msgpack_object *events,
                                   cw_rpc_tx_status *r) CW_NONNULL(1, 2, 3);
/** How many events of `type` r counted (0 when none). */
uint64_t cw_rpc_tx_status_count(const cw_rpc_tx_status *r, const char *type) CW_NONNULL(1, 2);

/* ---- block_results ------------------------------------------------------------------ */

/** block_results' params: [height] (start 0) or [height, start] — the block's txs from index
 *  start on. enc writes [height] for start 0, else [height, start]. dec: CW_EMALFORMED
 *  another arity ("block_results params"), a field not an unsigned integer; CW_EINVAL start
 *  over UINT32_MAX. (A start past the block's txs is the chain's to name: CW_EINVAL.) */
typedef struct cw_rpc_block_results_params {
    uint64_t height;
    uint32_t start; /* the index of the first tx answered */
} cw_rpc_block_results_params;
CW_RPC_RESULT_DECLARE(block_results_params);

/** block_results' answer, one page of a block's txs:
 *  [height, start, total, [[tx_hash(bin 32), tx(bin), result], ...]] — the block's txs
 *  start .. start+n-1 (in block order) of its `total`. The chain cuts a page at its size cap
 *  (the same contract as query_many: the first tx from start is always in): while
 *  start + n < total, ask again with start + n (cw_rpc_block_results_next) for the rest.
 *  A page answered with start == total (or total 0) has no items.
 *  dec: CW_EMALFORMED wrong arity or type; CW_EINVAL start + n > total (the page would
 *  claim txs the block does not have) or start or total over UINT32_MAX. items borrowed;
 *  read item i with cw_rpc_block_tx_dec. */
typedef struct cw_rpc_block_results {
    uint64_t height;
    uint32_t start; /* the index of items[0] in the block */
    uint32_t total; /* the block's txs */
    uint32_t n;     /* items in this page */
    const msgpack_object *items;
} cw_rpc_block_results;
typedef struct cw_rpc_block_tx {
    uint8_t hash[32];
    cw_bytes tx;
    cw_rpc_tx_result result;
} cw_rpc_block_tx;
/** Writes the head [height, start, total, [ with n entries to follow (cw_rpc_block_tx_enc
 *  each). Sets e->rc CW_EINVAL when start + n > total. */
void cw_rpc_block_results_enc_head(cw_enc *e, uint64_t height, uint32_t start, uint32_t total,
                                   uint32_t n) CW_NONNULL(1);
void cw_rpc_block_results_dec(cw_dec *d, const msgpack_object *o, cw_rpc_block_results *r)
    CW_NONNULL(1, 2, 3);
/** Where the next page starts (start + n); equal to r->total when r was the last page. */
static inline uint32_t cw_rpc_block_results_next(const cw_rpc_block_results *r)
{
    return r->start + r->n;
}
void cw_rpc_block_tx_enc(cw_enc *e, const cw_rpc_block_tx *r) CW_NONNULL(1, 2);
void cw_rpc_block_tx_dec(cw_dec *d, const msgpack_object *o, cw_rpc_block_tx *r,
                         const char *what) CW_NONNULL(1, 2, 3, 4);

/* ---- the blocks subscription -------------------------------------------------------- */

/** The topic a client subscribes to (cw_rpc_subscribe) for one notification per block. */
#define CW_RPC_TOPIC_BLOCKS "blocks"

/** A `blocks` notification, published once a block commits: [header, events, txs,
 *  txs_total] — the block's Header (causeway/block.h), and the events its first `txs` txs
 *  (of its txs_total) emitted, in block order (the array of [type, [[key, value], ...]]
 *  cw_events_encode writes; read it with causeway/event.h). The notification is bounded by
 *  the chain's frame limit: when every event fits, txs == txs_total (the usual case);
 *  when not, the chain cuts the events at a tx boundary (txs < txs_total, possibly 0) and the
 *  events of txs txs .. txs_total-1 are read with block_results(height, txs) — never dropped
 *  (cw_rpc_block_note_complete says which). (A failed tx emits no events.)
 *  enc: events_enc, the encoded events array (borrowed; empty → an empty array); events is
 *  ignored; e->rc CW_EINVAL when txs > txs_total. dec: events, the array (borrowed; ≤
 *  CW_EVENTS_MAX events, else CW_ETOOBIG; not an array → CW_EMALFORMED); CW_EINVAL txs >
 *  txs_total; events_enc is left empty. The header is decoded as cw_header_dec does
 *  ("block.header" in d->err). */
typedef struct cw_rpc_block_note {
    cw_header header;
    const msgpack_object *events; /* dec only */
    cw_bytes events_enc;          /* enc only */
    uint32_t txs;                 /* the events are those of the block's txs 0 .. txs-1 */
    uint32_t txs_total;           /* the block's txs */
} cw_rpc_block_note;
CW_RPC_RESULT_DECLARE(block_note);
/** Whether the note carries every event of its block (txs == txs_total). */
static inline bool cw_rpc_block_note_complete(const cw_rpc_block_note *r)
{
    return r->txs == r->txs_total;
}

/* ---- account ------------------------------------------------------------------------ */

typedef struct cw_rpc_account {
    cw_address address;
    uint64_t next_nonce;         /* committed */
    uint64_t pending_next_nonce; /* counting the signer's txs in the mempool */
    uint32_t n_balances;         /* ≤ CW_RPC_DENOMS_MAX */
    struct {
        char denom[CW_ID_MAX + 1];
        uint64_t amount;
    } balances[CW_RPC_DENOMS_MAX];
} cw_rpc_account;
CW_RPC_RESULT_DECLARE(account);

/* ---- packets, packet, ack ------------------------------------------------------------ */

/** packet / ack answer: the bytes (bin ≤ CW_RPC_PACKET_MAX), borrowed. */
void cw_rpc_packet_enc(cw_enc *e, const uint8_t *bytes, size_t len) CW_NONNULL(1);
cw_bytes cw_rpc_packet_dec(cw_dec *d, const msgpack_object *o, const char *what)
    CW_NONNULL(1, 2, 3);

/** packets answer [bytes|nil, ...] aligned with the seqs asked (fewer = cut at the chain's
 *  size cap). items borrowed; read item i with cw_rpc_packets_item. */
typedef struct cw_rpc_packets {
    uint32_t n;
    const msgpack_object *items;
} cw_rpc_packets;
/** Writes the head (array of n) — the caller appends n items, each cw_rpc_packets_item_enc. */
void cw_rpc_packets_enc_head(cw_enc *e, uint32_t n) CW_NONNULL(1);
/** One item: the bytes, or nil when bytes is NULL (no such packet sent). */
void cw_rpc_packets_item_enc(cw_enc *e, const uint8_t *bytes, size_t len) CW_NONNULL(1);
void cw_rpc_packets_dec(cw_dec *d, const msgpack_object *o, uint32_t max_items,
                        cw_rpc_packets *r) CW_NONNULL(1, 2, 4);
/** Item i (< r->n): true with *out when present, false when nil (or on failure). */
bool cw_rpc_packets_item(cw_dec *d, const cw_rpc_packets *r, uint32_t i, cw_bytes *out)
    CW_NONNULL(1, 2, 4);

/* ---- lending ------------------------------------------------------------------------ */

/** One market's part of lend_account: base units of that market's asset. */
typedef struct cw_rpc_lend_account_market {
    char asset[CW_ID_MAX + 1];
    cw_u128 debt;
    cw_u128 scaled_debt;
    cw_u128 supply_value;
    cw_u128 shares;
} cw_rpc_lend_account_market;

/** lend_account: an account over every market. debt_value, the limits and the health factor
 *  are in the price unit (base units of the first market's asset; health factor in WAD,
 *  1e18 = 1); markets lists the account's debt and supply in each market (n_markets ≤
 *  CW_LEND_MAX_MARKETS, causeway/app_msgs.h; the decoder refuses more). */
typedef struct cw_rpc_lend_account {
    cw_u128 debt_value;
    cw_u128 borrow_limit;
    cw_u128 liquidation_limit;
    cw_u128 health_factor_wad;
    uint32_t n_markets;
    cw_rpc_lend_account_market markets[CW_LEND_MAX_MARKETS];
} cw_rpc_lend_account;
CW_RPC_RESULT_DECLARE(lend_account);

/** lend_market's params: [] (has_asset false: the chain's only market) or [asset].
 *  dec: CW_EMALFORMED another arity or type; asset must be an identifier. */
typedef struct cw_rpc_lend_market_params {
    bool has_asset;
    char asset[CW_ID_MAX + 1];
} cw_rpc_lend_market_params;
void cw_rpc_lend_market_params_enc(cw_enc *e, const cw_rpc_lend_market_params *p)
    CW_NONNULL(1, 2);
void cw_rpc_lend_market_params_dec(cw_dec *d, const msgpack_object *o,
                                   cw_rpc_lend_market_params *p) CW_NONNULL(1, 2, 3);

/** lend_market: the market's books and rates with interest accrued (in memory) to the
 *  latest block time, as cw_lend_market_read computes them (DESIGN §8). Amounts in the
 *  borrow denom's base units; u128 fields as bin16 on the wire. */
typedef struct cw_rpc_lend_market {
    char borrow_denom[CW_ID_MAX + 1];
    cw_u128 borrow_index_wad;   /* the accrued borrow index, wad (1e18 = 1.0) */
    cw_u128 total_borrows;
    uint64_t cash;
    cw_u128 reserves;
    cw_u128 total_shares;
    uint64_t paused_actions;    /* CW_LEND_ACTION_* bits paused (causeway/app_msgs.h); 0 = none.
                                 * Replaces the former `paused` bool, which meant borrow only */
    cw_u128 bad_debt;           /* cumulative written-off borrows */
    cw_u128 total_supply;       /* cash + borrows − reserves: what the supply cap bounds */
    uint64_t supply_cap;        /* 0 = no cap */
    uint64_t borrow_cap;        /* 0 = no cap */
    cw_u128 utilization_wad;    /* borrows / total_supply, wad, rounded up, ≤ 1e18 */
    cw_u128 borrow_apr_wad;     /* per-second borrow rate × 31,536,000 s, wad (1e18 = 100%) */
    cw_u128 supply_apr_wad;     /* borrow APR × utilization × (1 − reserve factor), wad */
    uint32_t flash_fee_bps;     /* lend.flash_loan's fee */
    uint32_t n_markets;         /* every market's asset on the chain, genesis order (the first
                                 * is the price unit); ≤ CW_LEND_MAX_MARKETS */
    char markets[CW_LEND_MAX_MARKETS][CW_ID_MAX + 1];
} cw_rpc_lend_market;
CW_RPC_RESULT_DECLARE(lend_market);

/** Borrowers in one lend_borrowers page, at most. */
#define CW_RPC_BORROWERS_MAX 1000u

/** lend_borrowers' params: the borrowers whose address sorts after start_after (has_start
 *  false: from the first), at most limit (1..CW_RPC_BORROWERS_MAX). enc: a limit out of range
 *  → e->rc CW_EINVAL. dec: CW_EMALFORMED another shape; CW_EINVAL limit 0 or over the max. */
typedef struct cw_rpc_lend_borrowers_params {
    bool has_start;
    cw_address start_after;
    uint32_t limit;
} cw_rpc_lend_borrowers_params;
void cw_rpc_lend_borrowers_params_enc(cw_enc *e, const cw_rpc_lend_borrowers_params *p)
    CW_NONNULL(1, 2);
void cw_rpc_lend_borrowers_params_dec(cw_dec *d, const msgpack_object *o,
                                      cw_rpc_lend_borrowers_params *p) CW_NONNULL(1, 2, 3);

/** lend_borrowers: one page of the borrower index (DESIGN §8 "Borrower index") as of the
 *  node's block `height`: addresses in ascending byte order, each one with a key
 *  market/borrowers/{addr} in the state at that height (provable with query_many at height);
 *  next: the last address of the page when more may follow (ask again with start_after =
 *  next), absent at the end. dec: more than CW_RPC_BORROWERS_MAX, or addresses not strictly
 *  ascending → CW_EMALFORMED / CW_ETOOBIG. */
typedef struct cw_rpc_lend_borrowers {
    uint64_t height;
    uint32_t n;
    cw_address addrs[CW_RPC_BORROWERS_MAX];
    bool has_next;
    cw_address next;
} cw_rpc_lend_borrowers;
CW_RPC_RESULT_DECLARE(lend_borrowers);

/** Items of a lend_quote at most: one per debt market and collateral held. */
#define CW_RPC_QUOTE_ITEMS_MAX (CW_LEND_MAX_MARKETS * CW_LEND_MAX_COLLATERALS)

/** lend_quote: what a liquidation of `borrower` could do at the latest block time, as
 *  lend.liquidate would decide it (DESIGN §8 "Keeper"): debt_value (every market's debt in
 *  the price unit, each rounded up) and health factor (accrued in memory); refusal 0 when a
 *  liquidation is allowed now, else the positive value of the CW_E* code lend.liquidate would
 *  refuse every market with (−CW_ESTATE no debt or healthy, −CW_ESTALE a stale price — of a
 *  collateral held or an asset owed — or a grace period) and reason its line ("" when
 *  allowed); and, per market the borrower owes in (in the chain's market order) × registered
 *  collateral the borrower holds (n ≤ CW_RPC_QUOTE_ITEMS_MAX; cw_liq_option): the market's
 *  asset, the debt in it, the asset's price, the position, the collateral's latest price (0
 *  none), the bonus, whether that price is fresh and the most a liquidation repaying that
 *  asset and seizing that collateral may repay now (0 when refused, or when that market's
 *  liquidation is paused). The choice among them is cw_liq_choose's. dec: assets must be
 *  identifiers, trace denoms well-formed; refusal 0 or the negation of a CW_E* code
 *  (30001..30999); reason ≤ 255 bytes without NUL. */
typedef struct cw_rpc_lend_quote {
    cw_address borrower;
    cw_u128 debt_value;
    cw_u128 health_factor_wad;
    uint32_t refusal;
    char reason[256];
    uint32_t n;
    cw_liq_option items[CW_RPC_QUOTE_ITEMS_MAX];
} cw_rpc_lend_quote;
CW_RPC_RESULT_DECLARE(lend_quote);

#endif
