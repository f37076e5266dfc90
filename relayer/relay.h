/* The relay engine (relay.c and the files it is split into by job: handshake.c, packets.c,
 * classify.c, inflight.c, updates.c, misbehaviour.c, cache.c): its entry points for main.c,
 * its pure decisions (tested by tests/unit/test_relayer.c), and what the files share. Private
 * to relayer/ (rly_ prefix, not a public API); see relayer.h for the runtime model.
 * One thread: nothing here is thread-safe, and the context's buffers serve one path direction
 * at a time. */
#ifndef CAUSEWAY_RELAY_ENGINE_H
#define CAUSEWAY_RELAY_ENGINE_H

#include <signal.h>
#include <stdio.h>

#include "causeway/event.h"
#include "causeway/msgs.h"
#include "causeway/packet.h"
#include "causeway/rpc_results.h"
#include "causeway/tx.h"
#include "relayer.h"

#define RLY_MAX_UPDATE_MSGS 16
#define RLY_TX_BYTES_SOFT (768u * 1024) /* stop adding msgs past this (CW_TX_MAX_BYTES is 1 MiB) */
#define RLY_INFLIGHT_STALE_MS 10000 /* a tx not seen committed after this is given up */
#define RLY_RETRY_FAILED_MS 3000    /* a msg a tx result named as failing waits this long */
#define RLY_OUT_BYTES (1u << 20)    /* signed txs queued for one chain's socket, at most */

extern const char *const rly_kind_name[RLY_K_N];

/** One packet of one path direction as the relayer knows it: the bytes (from an event or
 *  the chain's packet index), the ack bytes, the source block time (for latency), which
 *  kinds are in flight, and when a failed msg may be retried. */
typedef struct rly_entry {
    uint64_t seq;
    uint8_t *pkt;
    size_t pkt_len;
    uint8_t *ack;
    size_t ack_len;
    uint64_t sent_ns;  /* send block time, 0 unknown */
    uint64_t acked_ns; /* write_acknowledgement block time, 0 unknown */
    uint64_t sent_height; /* height of the block whose send_packet event carried it, 0 unknown */
    uint64_t seen_height; /* the source's height when a tick first listed it pending, 0 never */
    uint8_t inflight;  /* bit (1 << kind) */
    uint64_t retry_after_ms;
    uint64_t received_on; /* the destination connection (cw_chain_client.connects) on which its
                           * receipt was seen (unreceived_packets, a landed RecvPacket tx, a
                           * write_acknowledgement event); 0 not known */
} rly_entry;

/** Direct-mapped by sequence (RLY_CACHE_MAX slots): bounded; a collision only evicts, and
 *  what is evicted is re-read from the chain. */
typedef struct rly_cache {
    rly_entry *e;
} rly_cache;

/** A tx the relayer submitted and has not yet seen committed. */
typedef struct rly_inflight {
    uint8_t hash[32];
    int path, dir, kind, chain;
    uint64_t n_updates; /* leading MsgUpdateClient msgs */
    uint64_t *seqs;     /* packet msgs, in tx order after the updates */
    size_t n;
    uint64_t submitted_ms;
    uint64_t checked_height; /* its chain's height when last looked up */
    uint32_t bcast_id;       /* broadcast_tx not answered yet: its request id, else 0 */
    uint64_t conn_gen;       /* the connection (cw_chain_client.connects) it was sent on */
    uint32_t status_id;      /* tx_status lookup in progress (check_inflight only) */
    uint64_t upd_to;         /* its leading MsgUpdateClients take a client to this height */
    int upd_end;             /* ... the client of this end of the path */
} rly_inflight;

/* an update_client event seen on path `path`, end `end`'s client: the height it stored */
typedef struct rly_upd_seen {
    int path, end;
    uint64_t height;
} rly_upd_seen;
#define RLY_UPD_SEEN_MAX 256

/* ---- decisions (pure: no I/O, no allocation; table-tested in tests/unit/test_relayer.c) -- */

/** One packet committed on a path direction's source, as the relayer knows it. */
typedef struct rly_pkt_fact {
    uint64_t seq;
    bool received;           /* the destination has it (not in unreceived_packets) */
    uint8_t inflight;        /* msgs for it in flight: bit (1 << RLY_K_*) */
    uint64_t retry_after_ms; /* a msg for it failed (or its bytes did not decode): wait until */
    uint64_t timeout_height; /* its timeouts (0 none): read for an unreceived packet that is */
    uint64_t timeout_ns;     /* ... neither in flight nor waiting */
} rly_pkt_fact;

/** What a path direction's chains say: the source's commitments (ascending sequence) with
 *  their facts, the channel's ordering, the destination's latest height and block time. */
typedef struct rly_dir_facts {
    const rly_pkt_fact *pkts;
    size_t n;
    bool ordered;
    uint64_t dst_height;
    uint64_t dst_time_ns;
    uint64_t now_ms;
    size_t cap; /* at most this many sequences of each kind */
} rly_dir_facts;

/** Which sequences to relay: RecvPacket on the destination, Acknowledgement and Timeout on the
 *  source. The arrays are the caller's, cap entries each. */
typedef struct rly_plan {
    uint64_t *recv, *ack, *timeout;
    size_t n_recv, n_ack, n_timeout;
} rly_plan;

/** Classify one direction's packets (ICS-04): a packet in flight or waiting to retry is
 *  skipped; received → ack; unreceived and timed out at the destination's height/time →
 *  timeout; else recv — except on an ORDERED channel after a packet that times out (or whose
 *  timeout is in flight): that timeout closes the channel, so nothing after it is received.
 *  Sequences come out ascending. */
void rly_classify(const rly_dir_facts *f, rly_plan *out);

/** Whether the relayer knows en's packet is received on the destination, whose current
 *  connection is dst_conn (cw_chain_client.connects): its receipt was seen on that same
 *  connection. A receipt is never removed, but after a reconnect the node (or its state) may
 *  be another, so what was seen before is asked again. en NULL: not known. */
bool rly_receipt_known(const rly_entry *en, uint64_t dst_conn);

/** Whether a tick asks the destination (unreceived_packets) about en's packet: not when its
 *  receipt is known (rly_receipt_known), nor while msgs for it are in flight or waiting to
 *  retry (rly_classify skips those whatever the answer); yes otherwise — in particular after
 *  a tx for it failed or was refused (nothing marks a receipt then) and for a packet the
 *  cache does not hold (en NULL: after a start, an eviction). */
bool rly_ask_receipt(const rly_entry *en, uint64_t dst_conn, uint64_t now_ms);

/** Whether a proof answer lets the msg go: a recv needs the packet commitment and an ack the
 *  ack commitment (val present, whatever the ordering); an unordered timeout needs the
 *  receipt absent; an ordered timeout needs nextSequenceRecv (val: 8 bytes big-endian) ≤ seq
 *  — *next_recv receives it (else 0). */
bool rly_proof_usable(int kind, bool ordered, uint64_t seq, const uint8_t *val, size_t val_len,
                      uint64_t *next_recv);

/** The next handshake step on a path's two ends A (0) and B (1), from their states (0 none,
 *  CW_CHAN_INIT .. CW_CHAN_CLOSED) and whether each end's counterparty channel is the other's
 *  id (ICS-04; the relayer starts a handshake on A). */
typedef enum rly_hs_action {
    RLY_HS_OPEN_INIT,       /* ChanOpenInit on A */
    RLY_HS_OPEN_TRY,        /* ChanOpenTry on B, proving A's INIT end */
    RLY_HS_OPEN_ACK,        /* ChanOpenAck on A, proving B's TRYOPEN end */
    RLY_HS_OPEN_CONFIRM,    /* ChanOpenConfirm on B, proving A's OPEN end */
    RLY_HS_DONE,            /* both OPEN */
    RLY_HS_CLOSE_CONFIRM_A, /* B CLOSED, A not: ChanCloseConfirm on A */
    RLY_HS_CLOSE_CONFIRM_B, /* A CLOSED, B not: ChanCloseConfirm on B */
    RLY_HS_CLOSED,          /* both CLOSED: nothing moves */
    RLY_HS_ERR_COUNTERPARTY,/* the ends do not name each other */
    RLY_HS_ERR_STATE,       /* no step leads on from these states */
} rly_hs_action;
typedef struct rly_hs_ends {
    int state[2];
    bool names_other[2];
} rly_hs_ends;
rly_hs_action rly_hs_next(const rly_hs_ends *e);

/** Can a client verify a skip from trusted height `from` to `to`? CW_OK yes; CW_ETHRESHOLD the
 *  skip lacks the trust threshold (bisect); any other code stops the plan. */
typedef int (*rly_hop_fn)(void *u, uint64_t from, uint64_t to, char *err, size_t err_len);
/** The update hops that take a client from `trusted` to `target` (as rly_build_updates does):
 *  one hop when hop() accepts the skip, else bisected at the midpoint (depth ≤ 48).
 *  heights[0..*n) receive the hops' target heights, ascending.
 *  Returns: CW_OK (*n = 0 when target ≤ trusted); CW_ETOOBIG more than max hops; hop's codes. */
int rly_plan_updates(uint64_t trusted, uint64_t target, rly_hop_fn hop, void *u,
                     uint64_t *heights, size_t max, size_t *n, char *err, size_t err_len);

/* ---- the context ---------------------------------------------------------------------- */

/* The engine's working buffers (rly_ctx_init allocates them once; the relay thread alone
 * uses them, one path direction at a time). */
typedef struct rly_scratch {
    uint64_t seqs[RLY_LIST_MAX];   /* the source's commitments */
    uint64_t ask[RLY_LIST_MAX];    /* of those, the ones whose receipt is asked about */
    uint64_t unrecv[RLY_LIST_MAX]; /* of those, unreceived on the destination */
    uint64_t miss[RLY_LIST_MAX];   /* of those, packets not in the cache */
    uint8_t *pk[CW_RPC_BATCH_MAX];  /* one `packets` answer */
    size_t pl[CW_RPC_BATCH_MAX];
    rly_pkt_fact facts[RLY_LIST_MAX];
    uint64_t recv[RLY_TICK_MAX], ack[RLY_TICK_MAX], timeout[RLY_TICK_MAX];
    cw_chain_qreq q[2][CW_TX_MAX_MSGS]; /* recv proofs: one batch asked for while one is built */
    cw_chain_qreq qa[CW_TX_MAX_MSGS];   /* ack / timeout proofs */
} rly_scratch;

typedef struct rly_ctx {
    rly_config *cfg;
    rly_scratch *scr;
    cw_chain_client conns[RLY_MAX_CHAINS];
    rly_db *db;
    rly_cache cache[RLY_MAX_PATHS][2];
    rly_inflight inflight[RLY_INFLIGHT_MAX];
    size_t n_inflight;
    rly_upd_seen upd_seen[RLY_UPD_SEEN_MAX]; /* to check for conflicting headers */
    size_t n_upd_seen;
    uint64_t seed_retry_ms[RLY_MAX_CHAINS]; /* an unseeded chain's next seeding attempt */
} rly_ctx;

/** What one tick saw (for `clear`'s progress line). */
typedef struct rly_progress {
    size_t pending;    /* commitments on the sources */
    size_t unreceived; /* of those, not received on the destinations */
    size_t submitted;  /* packet msgs submitted this tick */
    size_t inflight;   /* txs in flight after the tick */
} rly_progress;

int rly_ctx_init(rly_ctx *x, rly_config *cfg, bool want_keys, bool subscribe, char *err,
                 size_t err_len);
/** Open the LMDB env and restore the in-flight records. */
int rly_ctx_open_db(rly_ctx *x, char *err, size_t err_len);
/** Seed each chain's light client: the DB's last verified height, else the config's trust
 *  root, else the current header (said loudly). A chain whose node does not answer (after
 *  about 5 s of retries) fails the call — unless defer_unreachable (the daemon): then, after
 *  one try, it is left unseeded, said loudly, and rly_run seeds it when its connection opens
 *  (its paths wait; the others relay).
 *  Returns: CW_OK; the first failure's code (err names the chain). */
int rly_ctx_seed(rly_ctx *x, bool defer_unreachable, char *err, size_t err_len);
void rly_ctx_free(rly_ctx *x);
/** Record in the DB, per chain, the trust root the next start seeds from (a locally verified
 *  height no higher than the clients' latest). */
void rly_ctx_save_trust(rly_ctx *x);

/** create-clients / create-channel for one path; each step's line goes to out (the command's
 *  report). */
int rly_create_clients(rly_ctx *x, int path, FILE *out, char *err, size_t err_len);
int rly_create_channel(rly_ctx *x, int path, FILE *out, char *err, size_t err_len);
/** One pass over every path: settle in-flight txs, then relay what the chains say is
 *  pending. Returns the first error met (the pass continues past it). */
int rly_tick(rly_ctx *x, rly_progress *pr, char *err, size_t err_len);
/** The daemon loop until *stop. */
int rly_run(rly_ctx *x, volatile sig_atomic_t *stop, char *err, size_t err_len);
int rly_status_report(rly_ctx *x, FILE *out, char *err, size_t err_len);

/* ---- shared by the engine's files (rly_ prefix; not a public API) ------------------------ */

/* relay.c: small RPC helpers, the msg list of one tx */
/** client_id's consensus state at height h on c: CW_OK, or CW_ENOTFOUND none. */
int rly_consensus_at(cw_chain_client *c, const char *client_id, uint64_t h,
                     cw_lc_consensus_state *cons,
                     char *err, size_t err_len);
/** One client the relayer keeps: path p's end e (on) hosts client on->client (empty until
 *  created) on chain host, tracking the other end's chain of. */
typedef struct rly_client_end {
    int p, e;
    rly_end_cfg *on;
    cw_chain_client *host, *of;
    int next_; /* the iterator's position */
} rly_client_end;
/** Step *c (start from {0}) through every path's two ends in order: true with c filled,
 *  false after the last. */
bool rly_next_client(rly_ctx *x, rly_client_end *c);
/** The client client_id on c: its state, and (cons non-NULL) its latest consensus state. */
int rly_client_info(cw_chain_client *c, const char *client_id, cw_lc_client_state *cs,
                    cw_lc_consensus_state *cons, char *err, size_t err_len);
typedef struct rly_msgs {
    cw_enc m[CW_TX_MAX_MSGS];
    size_t n;
    size_t bytes;
    size_t n_updates;
    uint64_t upd_to; /* the height the leading updates take the client to (0: none) */
    int upd_end;     /* the path end whose client they update */
} rly_msgs;
void rly_msgs_free(rly_msgs *ms);
int rly_msgs_send(cw_chain_client *c, rly_msgs *ms, uint8_t hash[32], char *err, size_t err_len);
int rly_msgs_send_async(cw_chain_client *c, rly_msgs *ms, uint8_t hash[32], uint32_t *msgid,
                        char *err,
                        size_t err_len);
/** Submit one tx and wait for it; on success the string attr type.key of its result's events
 *  into out (type NULL: none). */
int rly_tx_and_attr(rly_ctx *x, cw_chain_client *c, rly_msgs *ms, const char *type, const char *key,
                    char *out, char *err, size_t err_len);
/** A durable write's result (rc of rly_db_put/_put_u64/_del on key): a failure is logged and
 *  counted (causeway_relayer_db_write_failures_total). Returns rc. */
int rly_db_checked(int rc, const char *key);

/* cache.c: the packet cache, block events, cursors */
void rly_cache_clear(rly_cache *t);
/** The cache entry of (path p, direction d, seq); create: make it (evicting what is in its
 *  slot). NULL when absent (or out of memory). */
rly_entry *rly_entry_get(rly_ctx *x, int p, int d, uint64_t seq, bool create);
/** An array of events of chain c (block height h and time t, 0 unknown) into the caches. */
void rly_cache_events(rly_ctx *x, cw_chain_client *c, const msgpack_object *events, uint64_t h,
                      uint64_t t);
/** The source height a pending packet has waited since (for
 *  causeway_relayer_oldest_pending_age_blocks): the height of the block that committed it when
 *  the relayer read its send_packet event (a notification or the gap fill), else the source's
 *  height when a tick first listed it pending — later than the commit, so an age from it is a
 *  lower bound (a packet committed before the relayer's records begin); 0 neither known. */
uint64_t rly_entry_since(const rly_entry *en);
/** A `blocks` notification [header, events, txs, txs_total] of chain c: its events into the
 *  caches; when the chain cut them (txs < txs_total, a block over the frame limit) the rest
 *  are read page by page with block_results(height, txs) (counted in blocks_paged). A
 *  payload that does not decode changes nothing. Returns: CW_OK; the RPC error of reading
 *  the rest (logged and counted in blocks_paged_failures: the caller fills the gap). */
int rly_on_block(rly_ctx *x, cw_chain_client *c, const uint8_t *payload, size_t len);
/** One page of block_results(h) of c from tx start, decoded by the contract
 *  (cw_rpc_block_results_dec) into *br: the block's [tx_hash, tx, result] entries start ..
 *  start+n-1 of br->total. d and *buf as cw_chain_call leaves them (the caller closes and
 *  frees whatever this returns); br borrows from them.
 *  Returns: CW_OK; the call's errors (CW_ENOTFOUND no such height); CW_EMALFORMED (or the
 *  decoder's code) an answer that does not decode or is not the page asked for. */
int rly_block_results(cw_chain_client *c, uint64_t h, uint32_t start, cw_dec *d,
                      cw_rpc_block_results *br, uint8_t **buf, char *err, size_t err_len);
/** Entry i (< br->n) decoded (cw_rpc_block_tx_dec) into *bt, borrowing from br: false when it
 *  does not decode (skip it; the others still read). */
bool rly_block_tx(const cw_rpc_block_results *br, uint32_t i, cw_rpc_block_tx *bt);
/** Called with each tx of a block (borrowed for the call); true stops the walk. */
typedef bool (*rly_block_tx_fn)(void *arg, const cw_rpc_block_tx *bt);
/** Every tx of block h of c from index start, in block order, through fn: block_results read
 *  page by page (each page within the chain's size cap, so no block is too large to read).
 *  Returns: CW_OK (all read, or fn stopped the walk); rly_block_results' errors;
 *  CW_EMALFORMED a page that is not the last answered no txs. */
int rly_block_txs(cw_chain_client *c, uint64_t h, uint32_t start, rly_block_tx_fn fn,
                  void *arg, char *err, size_t err_len);
void rly_set_cursors(rly_ctx *x, cw_chain_client *c, uint64_t h);
int rly_fill_gap(rly_ctx *x, cw_chain_client *c, char *err, size_t err_len);
int rly_get_packet(rly_ctx *x, cw_chain_client *src, int p, int d, uint64_t seq, rly_entry **out,
                   char *err, size_t err_len);
/** en's packet decoded into pk (borrowing from d: cw_dec_close(d) after use, whatever this
 *  returns). */
int rly_decode_packet(const rly_entry *en, cw_packet *pk, cw_dec *d);
int rly_fetch_packets(rly_ctx *x, cw_chain_client *src, int p, int d, const uint64_t *seqs,
                      size_t n,
                      char *err, size_t err_len);

/* inflight.c: txs submitted and not yet settled */
void rly_inflight_persist(rly_ctx *x, const rly_inflight *f);
void rly_inflight_remove(rly_ctx *x, size_t i);
void rly_check_inflight(rly_ctx *x);
size_t rly_inflight_on(const rly_ctx *x, int chain);
int rly_submit(rly_ctx *x, cw_chain_client *c, rly_msgs *ms, int p, int d, int kind,
               const uint64_t *seqs, size_t n, char *err, size_t err_len);

/* updates.c: client updates (rly_build_updates is declared, with its contract, in relayer.h) */
int rly_add_updates(rly_ctx *x, cw_chain_client *src, cw_chain_client *dst, const char *client_id,
                    uint64_t want, rly_msgs *ms, uint64_t *proof_height, char *err,
                    size_t err_len);
int rly_prepare_client(rly_ctx *x, int p, int d, int ce, int kind, cw_chain_client *src,
                       cw_chain_client *dst,
                       uint64_t want, uint64_t *ph, char *err, size_t err_len);
void rly_refresh_clients(rly_ctx *x);

/* misbehaviour.c */
int rly_check_conflict(rly_ctx *x, cw_chain_client *src, cw_chain_client *host,
                       const char *client_id,
                       const cw_lc_client_state *cs, const cw_lc_consensus_state *cons,
                       char *err, size_t err_len);
/** An update_client event ev read on chain c: noted for rly_check_updates when it is one of
 *  a path end's clients. */
void rly_note_update(rly_ctx *x, cw_chain_client *c, const cw_client_event *ev);
void rly_check_updates(rly_ctx *x);
void rly_submit_evidence(rly_ctx *x);

/* handshake.c */
int rly_chan_end_of(cw_chain_client *c, const rly_end_cfg *end, cw_channel_end *ce, int *state,
                    char *err, size_t err_len);
int rly_close_confirm(rly_ctx *x, int p, int d, char *err, size_t err_len);

/* packets.c: one direction of one path (classify, prove, batch, submit) */
int rly_relay_dir(rly_ctx *x, int p, int d, rly_progress *pr, char *err, size_t err_len);

#endif
