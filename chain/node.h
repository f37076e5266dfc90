/* causeway-chain — the node: home directory, genesis, config, durable block production,
 * mempool, and the read side served over RPC (DESIGN §5). Private to chain/.
 *
 * Home directory:
 *   config.json    listen address/port, block interval, limits (cw_node_config)
 *   genesis.json   chain id, genesis time, validators, admin and oracle keys, balances
 *   keys/          validator-N.json, admin.json, oracle.json, <account>.json (mode 0600)
 *   data/          the LMDB environment: state (SMT), blocks, results, tx index, meta
 *
 * Durability: a block, its state, its results and its indexes commit in ONE LMDB write
 * transaction (fsync on commit). kill -9 at any moment, then restart: the node resumes from
 * the last committed block with the same state root. The mempool is not durable.
 * Store errors: LMDB failures mapped by cw_lmdb_error (error.h) — -ENOSPC a full store or
 * disk, -EAGAIN out of reader slots, -EIO damage, -errno from the system.
 * Threading: one thread (the RPC server's event loop) drives everything.
 */
#ifndef CAUSEWAY_CHAIN_NODE_H
#define CAUSEWAY_CHAIN_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "causeway/block.h"
#include "causeway/codec.h"
#include "causeway/schnorr.h"

typedef struct cw_node_config {
    char listen[64];             /* default "127.0.0.1" */
    uint64_t port;               /* default 26657 */
    uint64_t block_interval_ms;  /* default 1000 */
    uint64_t max_block_txs;      /* default 10000 */
    uint64_t mempool_max_txs;    /* default 50000 */
    uint64_t mempool_max_bytes;  /* default 64 MiB */
    uint64_t max_block_gas;      /* the gas used by a block's txs adds up to at most this;
                                    default CW_GAS_BLOCK_DEFAULT (causeway/gas.h) */
    uint64_t mempool_max_txs_per_sender;   /* default 5000 */
    uint64_t mempool_max_bytes_per_sender; /* default 16 MiB */
    uint64_t max_frame_bytes;    /* default 4 MiB */
    uint64_t state_versions;     /* default 10000 */
    uint64_t sign_with;          /* validators that sign each block, 0 = all */
    char log_level[16];          /* default "info" */
    /* RPC session limits, passed to cw_rpc_server_config (causeway/rpc_server.h) */
    uint64_t max_connections;       /* default 256; 1..65535 */
    uint64_t max_sessions_per_peer; /* default min(32, max_connections); 1..max_connections */
    uint64_t idle_timeout_s;        /* default 120; 1..86400 */
    uint64_t handshake_timeout_s;   /* default 10; 1..3600 */
    uint64_t ping_interval_s;       /* default 30; 1..3600 */
} cw_node_config;

typedef struct cw_genesis_account {
    cw_address address;
    char denom[CW_ID_MAX + 1];
    uint64_t amount;
} cw_genesis_account;

#include "causeway/lending.h"

typedef struct cw_genesis {
    char chain_id[CW_ID_MAX + 1];
    uint64_t genesis_time_ns;
    cw_validator_set validators;
    cw_pubkey32 admin;
    cw_pubkey32 oracle;
    uint32_t n_balances;
    cw_genesis_account *balances; /* malloc'd */
    uint32_t n_markets;           /* lending markets at genesis ("markets" array, or one
                                   * "market" object), in order: the first is the price unit */
    cw_lend_params markets[CW_LEND_MAX_MARKETS]; /* admin/oracle default to the genesis keys */
} cw_genesis;

void cw_node_config_defaults(cw_node_config *c);
/** Read config.json: fields absent take the defaults above (an absent
 *  max_sessions_per_peer is min(32, max_connections)); unknown fields are refused.
 *  Returns: CW_OK; -errno; CW_EMALFORMED / CW_EINVAL naming file, field, value (a value out
 *  of its range, max_sessions_per_peer > max_connections, log_level not a level). */
int cw_node_config_load(cw_node_config *c, const char *path, char *err, size_t err_len);
int cw_node_config_write(const cw_node_config *c, const char *path, char *err, size_t err_len);

int cw_genesis_load(cw_genesis *g, const char *path, char *err, size_t err_len);
int cw_genesis_write(const cw_genesis *g, const char *path, char *err, size_t err_len);
void cw_genesis_free(cw_genesis *g);

typedef struct cw_node cw_node;

/** Called after each committed block with the encoded notification payload
 *  [header, events] (borrowed for the call). */
typedef void (*cw_node_block_cb)(void *user, uint64_t height, const uint8_t *payload,
                                 size_t len);

/** Open the node at home: load config, genesis and validator keys, open LMDB, write the
 *  genesis state (version 0) if the store is empty, else resume from the last block.
 *  Returns: CW_OK; a config/genesis/key error naming the file; -errno; store errors. */
int cw_node_open(cw_node **out, const char *home, char *err, size_t err_len);
void cw_node_close(cw_node *n);
const cw_node_config *cw_node_get_config(const cw_node *n);
/** The node's IBC host (to bind apps before the first block) and msg router. */
struct cw_ibc *cw_node_ibc(cw_node *n);
struct cw_app *cw_node_app(cw_node *n);
/** Override config.json's sign_with (0 = all validators the node holds keys for). */
void cw_node_set_sign_with(cw_node *n, uint64_t sign_with);
void cw_node_on_block(cw_node *n, cw_node_block_cb cb, void *user);

/** The block clock (DESIGN §5): how long to wait, in ms, before the next block's socket pass
 *  (cw_chain's block timer then starts the block once that pass has admitted the txs
 *  already waiting), given that the block just committed took spent_ms of an interval of
 *  interval_ms and left mempool_txs waiting. On time: the rest of the interval. Overran:
 *  at once when txs are waiting (a backlog goes on at full speed), a whole interval when
 *  none are (never an empty block straight after a long one). Always >= 1. Pure. */
uint32_t cw_node_next_block_delay_ms(uint64_t interval_ms, uint64_t spent_ms,
                                     uint64_t mempool_txs);

/** Produce, sign and durably commit the next block at wall time now_ns.
 *  Returns: CW_OK; store errors (nothing committed; the mempool keeps its txs). */
int cw_node_produce_block(cw_node *n, uint64_t now_ns, char *err, size_t err_len);

/** Admit an envelope to the mempool: decode, chain id, signature, gas limit (at least the
 *  tx's intrinsic gas, at most max_block_gas), nonce in sequence, bounds (the mempool's and
 *  the sender's: mempool_max_txs_per_sender, mempool_max_bytes_per_sender), duplicates.
 *  Returns: CW_OK with hash32; CW_EMALFORMED/…/CW_EBADSIG/CW_ENONCE/CW_EEXISTS/CW_ETOOBIG/
 *  CW_EOUTOFGAS (limit below the intrinsic gas) with err naming the problem. */
int cw_node_submit_tx(cw_node *n, const uint8_t *tx, size_t len, uint8_t hash32[static 32],
                      char *err, size_t err_len);

typedef struct cw_node_status {
    char chain_id[CW_ID_MAX + 1];
    uint64_t latest_height;
    uint64_t latest_time_ns;
    uint8_t latest_block_hash[32];
    uint8_t latest_state_root[32];
    uint64_t earliest_state_height; /* oldest height whose state is still provable */
    uint64_t mempool_txs;
    uint64_t txs_committed;
    uint64_t notes_partial; /* block notifications whose events were cut (since start) */
} cw_node_status;

void cw_node_get_status(cw_node *n, cw_node_status *st);

/* Readers: each appends exactly one msgpack object to out, or returns an error. */
int cw_node_light_block(cw_node *n, uint64_t height, cw_enc *out, char *err, size_t err_len);
/** One page of block `height`'s results: appends [height, start, total, [[tx_hash, tx,
 *  result], ...]] (cw_rpc_block_results) — the block's txs from index start on, in block
 *  order, of its `total`.
 *
 *  Truncation contract (as cw_node_query_many): txs are appended while the whole encoded
 *  answer stays within CW_NODE_RESULT_SOFT bytes; the first tx from start is always
 *  included (one tx alone may pass the cap). A page that ends before total is continued with
 *  start + n. start == total answers an empty page.
 *
 *  Returns: CW_OK, one object appended;
 *           CW_ENOTFOUND height is 0 or past the latest block;
 *           CW_EINVAL start is past the block's txs (err names both);
 *           CW_EMALFORMED the stored results do not decode; store errors; -ENOMEM.
 *           On failure out is as it was (after -ENOMEM: unusable).
 *  Memory:  reads the stored results (decoded once per call when the page is not the whole
 *           block); keeps no pointers. Threads: the node's thread only.
 *  Source:  DESIGN §5 "RPC" (block_results, paging). */
int cw_node_block_results(cw_node *n, uint64_t height, uint32_t start, cw_enc *out, char *err,
                          size_t err_len);
/** [value|nil, proof|nil, height]; height 0 = latest. */
int cw_node_query(cw_node *n, const uint8_t *key, size_t key_len, uint64_t height, bool prove,
                  cw_enc *out, char *err, size_t err_len);

/* ---- batched reads for the relayer's hot path (one round trip, one read txn) ---- */

#define CW_NODE_QUERY_MANY_MAX 1000u /* keys in one cw_node_query_many call, at most */
#define CW_NODE_PACKETS_MAX 1000u    /* sequences in one cw_node_packets call, at most */
/** Soft cap on the encoded answer of a batched read: items that would take it past this
 *  many bytes are left out and the answer is a prefix (see cw_node_query_many). */
#define CW_NODE_RESULT_SOFT (2u << 20)

/** Many keys at ONE height: appends [height, [[value|nil, proof|nil], ...]] to out.
 *
 *  All keys are read in one LMDB read transaction at one state version `height`, so every
 *  item is consistent with every other and with the state root of header `height`. Item i
 *  is exactly what cw_node_query answers for keys[i] at that height (the same bytes):
 *  value nil when the key is absent; proof (when prove) the ICS-23 CommitmentProof bytes of
 *  membership or non-membership, nil when not asked or when the tree is empty there.
 *
 *  Truncation contract: items are appended in key order while the whole encoded answer
 *  stays within CW_NODE_RESULT_SOFT bytes; the first item is always included. If the inner
 *  array is shorter than n_keys, it answers keys[0 .. len-1] and the caller asks again for
 *  the rest (at the returned height, to stay on the same version).
 *
 *  Returns: CW_OK, one object appended;
 *           CW_EINVAL n_keys == 0, or keys[i] empty (err names the index);
 *           CW_ETOOBIG n_keys > CW_NODE_QUERY_MANY_MAX, or keys[i] longer than CW_KV_KEY_MAX;
 *           CW_ENOTFOUND height is past the latest block or its state was pruned (the same
 *             wording as cw_node_query, prefixed "query_many");
 *           store errors (-EIO, -ENOSPC, …); -ENOMEM.
 *           On failure out is as it was (after -ENOMEM: unusable).
 *  In:      keys:   n_keys byte strings (1..CW_KV_KEY_MAX bytes each), borrowed for the call.
 *           height: block height whose state to read; 0 = the latest.
 *           prove:  include proofs.
 *  Out:     out: an initialised encoder (appended to; the caller frees it).
 *  Memory:  allocates the answer and one proof at a time; keeps no pointers.
 *  Threads: the node's thread only (like every cw_node_* call).
 *  Source:  DESIGN §5 "query"; ICS-23 CommitmentProof (SmtSpec). */
int cw_node_query_many(cw_node *n, const cw_bytes *keys, uint32_t n_keys, uint64_t height,
                       bool prove, cw_enc *out, char *err, size_t err_len)
    CW_NONNULL(1, 2, 6) CW_WARN_UNUSED;

/** [height, index, tx, result] for a committed tx; result = [code, log, events,
 *  failed_msg|nil] as the block's results hold it (cw_tx_result_enc). */
int cw_node_tx(cw_node *n, const uint8_t hash32[static 32], cw_enc *out, char *err,
               size_t err_len);

/** How a committed tx went, without its bytes: appends
 *  [height, index, code, log, failed_msg|nil, [[event_type, count], ...]] to out.
 *
 *  height, index: the block and position the tx was committed at (as cw_node_tx).
 *  code: 0 success, else the failing msg's negative CW_E* code; log: "" or the failure line;
 *  failed_msg: index of the failing msg in the tx, nil on success. The events are
 *  summarised as their types with how many events of each the tx emitted, in order of first
 *  appearance (attributes left out; a failed tx emitted none: []).
 *
 *  Returns: CW_OK, one object appended;
 *           CW_ENOTFOUND no committed tx has this hash (as cw_node_tx, prefixed "tx_status");
 *           CW_EMALFORMED / -EIO the stored result or index is unreadable; -ENOMEM.
 *           On failure out is as it was (after -ENOMEM: unusable).
 *  In:      hash32: SHA256 of the tx envelope.
 *  Out:     out: an initialised encoder (appended to; the caller frees it).
 *  Memory:  allocates a table of the tx's event types while it runs; keeps no pointers.
 *  Threads: the node's thread only.
 *  Source:  DESIGN §5 "Transactions" (a tx's result is kept by hash). */
int cw_node_tx_status(cw_node *n, const uint8_t hash32[static 32], cw_enc *out, char *err,
                      size_t err_len) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** [address, next_nonce, pending_next_nonce, [[denom, amount], ...]] (denoms from the
 *  balances the caller asks about are not enumerable in the SMT, so: the genesis denoms). */
int cw_node_account(cw_node *n, const cw_address *addr, cw_enc *out, char *err,
                    size_t err_len);

/* ---- lending market reads (DESIGN §8), interest accrued to the latest block time ---- */

/** [debt, borrow_limit, liquidation_limit, health_factor_wad, supply_value, shares] (u128 as
 *  bin16) of addr. Returns: CW_OK; CW_ESTATE no market on this chain; store errors. */
int cw_node_lend_account(cw_node *n, const cw_address *addr, cw_enc *out, char *err,
                         size_t err_len);
/** The cw_rpc_lend_market (causeway/rpc_results.h: books, paused actions, caps, utilization
 *  and APRs from the market's rate model, every market's asset) of the market of asset —
 *  asset NULL: the chain's only market.
 *  Returns: as cw_node_lend_account; CW_EINVAL asset NULL and the chain has several markets
 *  (err lists them); CW_ENOTFOUND no market for asset. */
int cw_node_lend_market(cw_node *n, const char *asset, cw_enc *out, char *err,
                        size_t err_len);
/** cw_rpc_lend_quote of addr (cw_lend_liquidation_quote at the latest block time).
 *  Returns: as cw_node_lend_account. */
int cw_node_lend_quote(cw_node *n, const cw_address *addr, cw_enc *out, char *err,
                       size_t err_len);
/** One page of the borrower index (cw_rpc_lend_borrowers): the addresses after start_after
 *  (NULL: from the first) in ascending byte order, at most limit (1..CW_RPC_BORROWERS_MAX),
 *  from the node's enumerable copy of the market/borrowers keys at its latest block (written
 *  in the block's own LMDB txn), with that height; next set when more may follow.
 *  Returns: CW_OK; CW_EINVAL limit out of range; store errors. Threads: the node's. */
int cw_node_lend_borrowers(cw_node *n, const cw_address *start_after, uint32_t limit,
                           cw_enc *out, char *err, size_t err_len);

/* ---- packets (for relayers; DESIGN §5 RPC) ---- */

#define CW_NODE_LIST_MAX 10000u /* sequences returned by one list call, at most */

/** Sequences ≥ start on port/channel whose packet commitment still exists (sent, not yet
 *  acked or timed out), ascending, at most limit (0: CW_NODE_LIST_MAX; more is cut to it):
 *  an array of u64. From the node's packet index at its latest block. */
int cw_node_packet_commitments(cw_node *n, const char *port, const char *channel,
                               uint64_t start, uint32_t limit, cw_enc *out, char *err,
                               size_t err_len);
/** The packet sent as (port, channel, seq) — bin of its encoding. CW_ENOTFOUND if none. */
int cw_node_packet(cw_node *n, const char *port, const char *channel, uint64_t seq, cw_enc *out,
                   char *err, size_t err_len);
/** Many sent packets of one channel: appends [bytes|nil, ...], item i for seqs[i] — the
 *  packet's encoding as cw_node_packet returns it, nil when the index holds no packet sent
 *  with that sequence. Read in one LMDB read transaction.
 *
 *  Truncation contract (as cw_node_query_many): items stop before the encoded answer would
 *  exceed CW_NODE_RESULT_SOFT bytes, the first is always included; a shorter array answers
 *  seqs[0 .. len-1] and the caller asks again for the rest.
 *
 *  Returns: CW_OK, one object appended;
 *           CW_EINVAL count == 0; CW_ETOOBIG count > CW_NODE_PACKETS_MAX;
 *           store errors (-EIO, -ENOSPC, …); -ENOMEM.
 *           On failure out is as it was (after -ENOMEM: unusable).
 *  In:      port, channel: identifiers (NUL-terminated, ≤ CW_ID_MAX bytes) on the sending side.
 *           seqs: count sequences (any order, repeats allowed), borrowed for the call.
 *  Out:     out: an initialised encoder (appended to; the caller frees it).
 *  Memory:  allocates the answer only; keeps no pointers.
 *  Threads: the node's thread only.
 *  Source:  DESIGN §5 "packet" (the packet index is not part of consensus state). */
int cw_node_packets(cw_node *n, const char *port, const char *channel, const uint64_t *seqs,
                    uint32_t count, cw_enc *out, char *err, size_t err_len)
    CW_NONNULL(1, 2, 3, 4, 6) CW_WARN_UNUSED;
/** The ack written for the packet received on (port, channel, seq) — bin. */
int cw_node_ack(cw_node *n, const char *port, const char *channel, uint64_t seq, cw_enc *out,
                char *err, size_t err_len);
/** Of seqs, those not received here (which = CW_PATH_RECEIPTS: no receipt on an UNORDERED
 *  channel, ≥ nextSequenceRecv on an ORDERED one), or those whose commitment still exists
 *  here (which = CW_PATH_COMMITMENTS: unreceived acks). */
int cw_node_unreceived(cw_node *n, const char *which, const char *port, const char *channel,
                       const uint64_t *seqs, uint32_t count, cw_enc *out, char *err,
                       size_t err_len);

#endif
