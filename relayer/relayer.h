/* causeway-relayer internals (DESIGN §9). Not a public API: shared by the relayer sources only.
 *
 * Runtime model: ONE relay thread runs a loop over the synchronous RPC clients of both
 * chains (causeway/rpc_client.h): it waits on block notifications with short timeouts,
 * alternating between the chains, and on every new block runs a "tick" for each path.
 * A tick derives the work from chain queries (packet_commitments, unreceived_packets,
 * packet, ack) — the chains are the source of truth, so a gap, a restart or a competing
 * relayer never needs special cases — and uses the packets and acks carried by block
 * events as a cache that saves RPC round trips. A second thread serves /metrics and
 * /healthz through the RPC server runtime (causeway/rpc_server.h) and only reads the
 * counters under a mutex. One thread for all relaying keeps nonces, in-flight records and
 * the light clients single-owner (no locks on the hot path); the chains' block interval
 * (tens of ms and up) is far longer than one tick.
 *
 * Everything is bounded: paths, chains, in-flight txs, cached packets, light-client
 * states, batch sizes, list sizes (the chain's own CW_NODE_LIST_MAX of 10000).
 */
#ifndef CAUSEWAY_RELAYER_INTERNAL_H
#define CAUSEWAY_RELAYER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/block.h"
#include "causeway/codec.h"
#include "causeway/error.h"
#include "causeway/lightclient.h"
#include "causeway/packet.h"
#include "causeway/rpc_client.h"
#include "causeway/schnorr.h"

#define RLY_MAX_CHAINS 8
#define RLY_MAX_PATHS 8
#define RLY_FILE_MAX 1024
#define RLY_INFLIGHT_MAX 512        /* txs in flight per relayer */
#define RLY_BATCH_MAX 1000          /* packets per tx, the configurable batch's bound */
#define RLY_LIST_MAX 10000          /* sequences in one chain list call (CW_NODE_LIST_MAX) */
#define RLY_TICK_MAX 8192           /* packets of one kind handled in one tick */
#define RLY_LC_KEEP 512             /* verified heights kept per light client */
#define RLY_CACHE_MAX 16384         /* cached packet/ack bytes per path direction */
#define RLY_RESULT_MAX (64u << 20)  /* largest RPC result decoded */

/* ---- configuration (config.c) -------------------------------------------------------- */
typedef struct rly_chain_cfg {
    char id[CW_ID_MAX + 1];
    char rpc[CW_RPC_URL_MAX + 1];
    char key_file[RLY_FILE_MAX];
    bool has_trust;
    uint64_t trust_height;
    uint8_t trust_hash[32];
} rly_chain_cfg;

typedef struct rly_end_cfg {
    char chain[CW_ID_MAX + 1];
    char port[CW_ID_MAX + 1];
    char channel[CW_ID_MAX + 1]; /* "" until create-channel */
    char client[CW_ID_MAX + 1];  /* "" until create-clients: the client ON this chain */
    int chain_ix;
} rly_end_cfg;

typedef struct rly_path_cfg {
    char name[CW_ID_MAX + 1];
    rly_end_cfg end[2];
    char version[CW_ID_MAX + 1];
    uint8_t ordering; /* 1 unordered, 2 ordered */
} rly_path_cfg;

typedef struct rly_config {
    char file[RLY_FILE_MAX];
    rly_chain_cfg chains[RLY_MAX_CHAINS];
    int n_chains;
    rly_path_cfg paths[RLY_MAX_PATHS];
    int n_paths;
    uint32_t batch_size;        /* packets per tx */
    uint32_t rpc_timeout_ms;    /* one RPC call */
    uint32_t tx_timeout_ms;     /* waiting for a tx to commit (setup commands) */
    uint32_t max_inflight;      /* txs in flight per signer */
    uint64_t trusting_period_s; /* clients created by create-clients */
    char db_path[RLY_FILE_MAX];
    char metrics_addr[128]; /* "HOST:PORT", "" = off */
    char log_level[16];
} rly_config;

/** Load and validate the config, then apply env overrides (CAUSEWAY_RELAYER_DB,
 *  CAUSEWAY_RELAYER_METRICS, CAUSEWAY_RELAYER_BATCH, CAUSEWAY_CHAIN_<ID>_RPC with ID upper-
 *  cased and non-alphanumerics as '_').
 *  Returns: CW_OK; -errno unreadable; CW_EMALFORMED / CW_EINVAL — err names file, field and
 *  value. */
int rly_config_load(rly_config *cfg, const char *path, char *err, size_t err_len);
/** Write the ids (clients, channels) in cfg back into its file (other fields as they were).
 *  Returns: CW_OK; -errno; err names the file. */
int rly_config_save_ids(const rly_config *cfg, char *err, size_t err_len);

/* ---- metrics (metrics.c) ------------------------------------------------------------- */
enum { RLY_K_RECV, RLY_K_ACK, RLY_K_TIMEOUT, RLY_K_N };
#define RLY_LAT_BUCKETS 12
typedef struct rly_metrics {
    pthread_mutex_t mu;
    uint64_t relayed[RLY_K_N];
    uint64_t lat_bucket[RLY_LAT_BUCKETS + 1]; /* cumulative at export; here per bucket */
    double lat_sum_s;
    uint64_t lat_count;
    uint64_t client_updates;
    uint64_t tx_failures;
    uint64_t msg_failures;
    uint64_t redundant;
    uint64_t reconnects;
    uint64_t headers_rejected;
    uint64_t txs_submitted;
    uint64_t db_write_failures; /* durable records (in-flight txs, cursors, trust) not written */
    uint64_t pending[RLY_MAX_PATHS][2];
    uint64_t oldest_pending[RLY_MAX_PATHS][2];
    uint64_t height[RLY_MAX_CHAINS];
    const rly_config *cfg;
    uint64_t last_tick_ms;
} rly_metrics;

extern rly_metrics rly_m;
void rly_metrics_observe_latency(double seconds);
/** Start the HTTP server for /metrics and /healthz on its own thread ("" addr: no server).
 *  Returns: CW_OK; CW_EINVAL bad address; the server's codes. */
int rly_metrics_start(const char *addr, char *err, size_t err_len);
void rly_metrics_stop(void);
#define RLY_M_ADD(field, v)                                                                \
    do {                                                                                   \
        pthread_mutex_lock(&rly_m.mu);                                                     \
        rly_m.field += (v);                                                                \
        pthread_mutex_unlock(&rly_m.mu);                                                   \
    } while (0)
#define RLY_M_SET(field, v)                                                                \
    do {                                                                                   \
        pthread_mutex_lock(&rly_m.mu);                                                     \
        rly_m.field = (v);                                                                 \
        pthread_mutex_unlock(&rly_m.mu);                                                   \
    } while (0)

/* ---- one chain: connection, signer, light client (conn.c, verify.c) ------------------ */
typedef struct rly_lb_cache {
    uint64_t height;
    cw_light_block lb;
    bool verified;
} rly_lb_cache;
#define RLY_LB_CACHE 32

/* A light block the local light client verified, encoded, kept while its consensus state is
 * kept (RLY_LC_KEEP): the first half of the evidence when the node later serves a
 * conflicting header. */
typedef struct rly_seen {
    uint64_t height;
    uint8_t *lb;
    size_t len;
} rly_seen;

/* Two valid, conflicting light blocks met by the local light client (same height, or heights
 * whose times are out of order): lb[0] verified first, lb[1] served later. Every client of
 * this chain on the other chains gets them as MsgSubmitMisbehaviour; `sent` has bit
 * (path * 2 + end) set once that path end's client is frozen. */
typedef struct rly_conflict {
    bool set;
    cw_light_block lb[2];
    uint32_t sent;
    uint64_t next_try_ms;
} rly_conflict;

typedef struct rly_conn {
    const rly_chain_cfg *cfg;
    int ix;
    uint32_t timeout_ms;
    cw_rpc_client *cl;
    bool want_sub;
    bool reconnected; /* a (re)connect happened since the flag was last cleared */
    uint32_t backoff_ms;
    uint64_t next_try_ms;
    uint64_t connects;
    /* signer */
    bool has_key;
    cw_seckey sk;
    cw_pubkey32 pk;
    cw_address addr;
    bool nonce_known;
    uint64_t next_nonce;
    /* latest seen */
    uint64_t height;
    uint64_t time_ns;
    uint64_t checked_height; /* chain height at the last in-flight check */
    /* local light client of this chain (verifies what this chain's RPC node serves) */
    bool lc_seeded;
    cw_lc_client_state lcs;
    cw_lc_memstore *ms;
    cw_lc_store st;
    cw_lc_vcache *vc;
    uint64_t lc_root_height;
    uint8_t lc_root_hash[32];
    rly_lb_cache lbc[RLY_LB_CACHE];
    rly_seen *seen; /* RLY_LC_KEEP + 1 slots, allocated on first use */
    size_t n_seen;
    rly_conflict conflict;
} rly_conn;

uint64_t rly_now_ms(void);
uint64_t rly_now_ns(void);

/** Set up (no I/O): read the key file when has key_file. */
int rly_conn_init(rly_conn *c, const rly_chain_cfg *cfg, int ix, uint32_t timeout_ms,
                  bool want_key, char *err, size_t err_len);
void rly_conn_free(rly_conn *c);
/** Connect if needed (respecting backoff with jitter). Returns CW_OK or CW_ECLOSED. */
int rly_conn_ensure(rly_conn *c, char *err, size_t err_len);
/** Call method with params (an encoded array; NULL = []); decoded result root in *root
 *  (d must be cw_dec_close'd by the caller whatever this returns; *buf freed by caller).
 *  On a closed connection, drops it and schedules a reconnect. */
int rly_call(rly_conn *c, const char *method, const cw_enc *params, cw_dec *d,
             const msgpack_object **root, uint8_t **buf, char *err, size_t err_len);
/** status → height, time. */
int rly_status(rly_conn *c, char *err, size_t err_len);
/** query key at height (0 latest) with proof. val/proof malloc'd (NULL when absent).
 *  *at receives the height answered. */
int rly_query(rly_conn *c, const char *key, uint64_t height, bool prove, uint8_t **val,
              size_t *val_len, uint8_t **proof, size_t *proof_len, uint64_t *at, char *err,
              size_t err_len);
/** One proven query of a batch: key; on rc == CW_OK val (NULL when absent) and proof
 *  (malloc'd: rly_qreq_free) and the height answered. */
typedef struct rly_qreq {
    char key[CW_PATH_MAX];
    uint64_t seq; /* the caller's tag */
    uint8_t *val;
    size_t val_len;
    uint8_t *proof;
    size_t proof_len;
    uint64_t at;
    int rc;
} rly_qreq;
#define RLY_PACKETS_MAX 1000u /* sequences in one `packets` / keys in one `query_many` call */
/** Send `query_many [keys of q[0..n), height, true]` without waiting (n ≤ RLY_PACKETS_MAX).
 *  *msgid: for rly_proofs_take. Returns: CW_OK; CW_ECLOSED; the client's send errors. */
int rly_proofs_send(rly_conn *c, const rly_qreq *q, size_t n, uint64_t height, uint32_t *msgid,
                    char *err, size_t err_len);
/** Take the answer to rly_proofs_send into q[0..n) (all at `height`; when the chain cut its
 *  answer at its size cap, the rest is asked for at once). Returns: CW_OK (each q[i].rc
 *  CW_OK); CW_EBADPROOF answered at another height; CW_EMALFORMED; CW_ECLOSED; CW_ETIMEOUT;
 *  the chain's error (e.g. CW_ENOTFOUND pruned height). */
int rly_proofs_take(rly_conn *c, uint32_t msgid, rly_qreq *q, size_t n, uint64_t height,
                    char *err, size_t err_len);
/** rly_proofs_send + rly_proofs_take. */
int rly_query_many(rly_conn *c, rly_qreq *q, size_t n, uint64_t height, char *err,
                   size_t err_len);
void rly_qreq_free(rly_qreq *q, size_t n);
/** The packets sent on (port, chan) with sequences seqs[0..n) from the chain's packet index
 *  (`packets`, in calls of ≤ RLY_PACKETS_MAX): pkts[i] malloc'd bytes (NULL when the chain
 *  has none), lens[i] their lengths. Returns: CW_OK; the call's errors (nothing kept then). */
int rly_packets(rly_conn *c, const char *port, const char *chan, const uint64_t *seqs, size_t n,
                uint8_t **pkts, size_t *lens, char *err, size_t err_len);
/** light_block(height), unverified. lb owned by caller (cw_light_block_free). */
int rly_light_block(rly_conn *c, uint64_t height, cw_light_block *lb, char *err,
                    size_t err_len);
/** Read the account's pending next nonce into c->next_nonce. */
int rly_refresh_nonce(rly_conn *c, char *err, size_t err_len);
/** Sign msgs with the next nonce and send `broadcast_tx` without waiting for the answer
 *  (several txs of one signer may be in flight: nonces follow each other). hash32: the tx
 *  hash; *msgid: for rly_broadcast_result. Returns: CW_OK; CW_EINVAL no key; signing and
 *  send errors. */
int rly_broadcast_send(rly_conn *c, const cw_bytes *msgs, size_t n, uint8_t hash32[static 32],
                       uint32_t *msgid, char *err, size_t err_len);
/** The chain's answer to a broadcast: CW_OK admitted to the mempool; CW_ETIMEOUT no answer
 *  within timeout_ms (0: do not wait; the request stays outstanding); otherwise the chain's
 *  refusal (CW_ENONCE, CW_ETOOBIG mempool full, …) or CW_ECLOSED — the next send re-reads the
 *  account's nonce then. */
int rly_broadcast_result(rly_conn *c, uint32_t msgid, uint32_t timeout_ms, char *err,
                         size_t err_len);
/** Send and wait for the answer; on a nonce mismatch re-read the account and retry (3
 *  attempts). */
int rly_broadcast(rly_conn *c, const cw_bytes *msgs, size_t n, uint8_t hash32[static 32],
                  char *err, size_t err_len);
/** A committed tx's outcome (`tx_status`): code 0 success; failed_msg the failing msg's
 *  index or -1; the count of each event type. */
#define RLY_TXRES_TYPES 32
typedef struct rly_txres {
    uint64_t height;
    int64_t code;
    int64_t failed_msg;
    char log[512];
    uint32_t n_types;
    struct {
        char type[65];
        uint32_t count;
    } types[RLY_TXRES_TYPES];
} rly_txres;
/** tx_status(hash) sent without waiting; *msgid for rly_tx_result_take. */
int rly_tx_result_send(rly_conn *c, const uint8_t hash32[static 32], uint32_t *msgid, char *err,
                       size_t err_len);
/** Its answer: CW_OK with *r; CW_ENOTFOUND not committed (yet); call errors. */
int rly_tx_result_take(rly_conn *c, uint32_t msgid, rly_txres *r, char *err, size_t err_len);
/** send + take. */
int rly_tx_result(rly_conn *c, const uint8_t hash32[static 32], rly_txres *r, char *err,
                  size_t err_len);
/** How many events of `type` r counted (0 when none). */
uint32_t rly_txres_count(const rly_txres *r, const char *type);
/** Wait (servicing notifications) until tx hash commits or timeout_ms passes. */
int rly_wait_tx(rly_conn *c, const uint8_t hash32[static 32], uint32_t timeout_ms,
                rly_txres *r, char *err, size_t err_len);

/** Seed the local light client: from the trust root (height, hash32 non-NULL), else from
 *  the chain's current header (loudly logged). */
int rly_lc_seed(rly_conn *c, uint64_t height, const uint8_t *hash32, char *err,
                size_t err_len);
/** Verify the light block at height locally (skipping from the nearest trusted height
 *  below, bisecting when a skip lacks the trust threshold). On CW_OK *out points to the
 *  verified block in the cache (valid until the next rly_lc_* call on c). */
int rly_lc_verified(rly_conn *c, uint64_t height, const cw_light_block **out, char *err,
                    size_t err_len);
/** After a reconnect the node behind the URL may be another one: forget the light blocks
 *  fetched from the old connection and fetch the light client's latest verified height
 *  again, checking it against what was verified. Returns: CW_OK (same header, or nothing to
 *  check); CW_EMISBEHAVIOUR a valid conflicting header (c->conflict set, the light client
 *  frozen); the fetch's or verification's codes (the served header was rejected). */
int rly_lc_crosscheck(rly_conn *c, char *err, size_t err_len);
/** The verified light block kept for height h (owned copy: cw_light_block_free).
 *  Returns: CW_OK; CW_ENOTFOUND not kept; decode errors. */
int rly_lc_seen(const rly_conn *c, uint64_t h, cw_light_block *out, char *err, size_t err_len);
/** The kept heights below `below`, highest first, into hs[0..max); returns how many. */
size_t rly_lc_seen_below(const rly_conn *c, uint64_t below, uint64_t *hs, size_t max);
/** Free the kept light blocks and a recorded conflict (rly_conn_free). */
void rly_lc_seen_free(rly_conn *c);
/** Build the MsgUpdateClient msgs that take client_id (on another chain, tracking c; its
 *  parameters and latest height in cs, its consensus state there from_cs, as that chain
 *  reports them) to height `to` of c: hops planned by local verification under the client's
 *  trust level (one hop when the skip verifies, bisected otherwise); every header verified by
 *  the local light client first. out[0..*n) receive encoded Msgs (cw_enc_free each).
 *  Returns: CW_OK (*n = 0 when to <= latest); verification codes; CW_ETOOBIG. */
int rly_build_updates(rly_conn *c, const char *client_id, const cw_lc_client_state *cs,
                      const cw_lc_consensus_state *from_cs, uint64_t to, cw_enc *out,
                      size_t max, size_t *n, char *err, size_t err_len);

/* ---- persistence (db.c) ------------------------------------------------------------- */
typedef struct rly_db rly_db;
int rly_db_open(rly_db **db, const char *path, char *err, size_t err_len);
void rly_db_close(rly_db *db);
/** u64 under key (CW_ENOTFOUND absent). */
int rly_db_get_u64(rly_db *db, const char *key, uint64_t *v);
int rly_db_put_u64(rly_db *db, const char *key, uint64_t v);
int rly_db_get(rly_db *db, const char *key, uint8_t **val, size_t *len);
int rly_db_put(rly_db *db, const char *key, const void *val, size_t len);
int rly_db_del(rly_db *db, const char *key);
/** Call fn for every key starting with prefix. */
int rly_db_scan(rly_db *db, const char *prefix,
                void (*fn)(void *u, const char *key, const uint8_t *v, size_t n), void *u);

#endif
