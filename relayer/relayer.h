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
#include "causeway/chain_client.h"
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
#define RLY_LIST_MAX CW_RPC_LIST_MAX /* sequences in one chain list call */
#define RLY_TICK_MAX 8192           /* packets of one kind handled in one tick */
#define RLY_CACHE_MAX 16384         /* cached packet/ack bytes per path direction */

/* ---- configuration (config.c) -------------------------------------------------------- */
/* one chain: the chain-client library's config (causeway/chain_client.h) */
typedef cw_chain_cfg rly_chain_cfg;

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
    uint64_t relayed[RLY_MAX_PATHS][RLY_K_N]; /* per path: one relayer serves many */
    uint64_t lat_bucket[RLY_LAT_BUCKETS + 1]; /* cumulative at export; here per bucket */
    double lat_sum_s;
    uint64_t lat_count;
    uint64_t client_updates;
    uint64_t tx_failures;
    uint64_t msg_failures;
    uint64_t redundant;
    uint64_t reconnects;
    uint64_t headers_rejected;
    uint64_t proofs_rejected;
    uint64_t txs_submitted;
    uint64_t db_write_failures; /* durable records (in-flight txs, cursors, trust) not written */
    uint64_t block_pages;           /* block_results pages read */
    uint64_t block_pages_more;      /* of those, pages after a block's first */
    uint64_t blocks_paged;          /* cut notifications completed through block_results */
    uint64_t blocks_paged_failures; /* cut notifications whose rest could not be read */
    uint64_t receipts_asked; /* pending packets a tick asked the destination about */
    uint64_t receipts_known; /* pending packets a tick did not ask about (rly_ask_receipt) */
    uint64_t pending[RLY_MAX_PATHS][2];
    uint64_t oldest_pending[RLY_MAX_PATHS][2];
    uint64_t oldest_age_blocks[RLY_MAX_PATHS][2]; /* source blocks since (rly_entry_since) */
    uint64_t height[RLY_MAX_CHAINS];
    bool chain_up[RLY_MAX_CHAINS]; /* the chain client's connection is open */
    struct rly_client_m {          /* path p end e's client, as last read (every 5 s) */
        bool known;                /* read at least once */
        bool frozen;
        uint64_t expiry_ns;        /* latest consensus state's time + trusting period */
        uint64_t trusting_period_ns;
    } client[RLY_MAX_PATHS][2];
    const rly_config *cfg;
    uint64_t last_tick_ms;
} rly_metrics;

extern rly_metrics rly_m;
void rly_metrics_observe_latency(double seconds);
/** Start the HTTP server for /metrics and /healthz on its own thread ("" addr: no server).
 *  Returns: CW_OK; CW_EINVAL bad address; the server's codes. */
int rly_metrics_start(const char *addr, char *err, size_t err_len);
void rly_metrics_stop(void);
/** Path p direction d's pending packets: how many, the oldest sequence (0 none) and the
 *  source blocks since it was committed (0 none). Takes rly_m.mu. */
void rly_metrics_pending(int p, int d, uint64_t n, uint64_t oldest_seq, uint64_t age_blocks);
/** Path p end e's client as just read from its chain: frozen, expiry, trusting period. */
void rly_metrics_client(int p, int e, const cw_lc_client_state *cs,
                        const cw_lc_consensus_state *latest);
/** Chain ix's connection is open (up) or lost. */
void rly_metrics_chain_up(int ix, bool up);
/** The chain clients' hook (cw_chain_hook): adds their reconnects, rejected headers and
 *  submitted txs to rly_m and records chain c->ix's height. Takes rly_m.mu. */
void rly_metrics_chain_event(void *user, const cw_chain_client *c, enum cw_chain_event ev,
                             uint64_t v);
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

/* ---- one chain: the chain-client library (causeway/chain_client.h) ------------------ */
/* Connection, signer, typed calls and light client live in client/; the relayer only plans
 * client updates with the light client (updates.c). */

/** Build the MsgUpdateClient msgs that take client_id (on another chain, tracking c; its
 *  parameters and latest height in cs, its consensus state there from_cs, as that chain
 *  reports them) to height `to` of c: hops planned by local verification under the client's
 *  trust level (one hop when the skip verifies, bisected otherwise); every header verified by
 *  the local light client first. out[0..*n) receive encoded Msgs (cw_enc_free each).
 *  Returns: CW_OK (*n = 0 when to <= latest); verification codes; CW_ETOOBIG. */
int rly_build_updates(cw_chain_client *c, const char *client_id, const cw_lc_client_state *cs,
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
