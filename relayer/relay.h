/* The relay engine's entry points (relay.c); see relayer.h for the runtime model. */
#ifndef CAUSEWAY_RELAY_ENGINE_H
#define CAUSEWAY_RELAY_ENGINE_H

#include <signal.h>
#include <stdio.h>

#include "relayer.h"

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
    uint8_t inflight;  /* bit (1 << kind) */
    uint64_t retry_after_ms;
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
    uint64_t conn_gen;       /* the connection (rly_conn.connects) it was sent on */
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

typedef struct rly_ctx {
    rly_config *cfg;
    rly_conn conns[RLY_MAX_CHAINS];
    rly_db *db;
    rly_cache cache[RLY_MAX_PATHS][2];
    rly_inflight inflight[RLY_INFLIGHT_MAX];
    size_t n_inflight;
    rly_upd_seen upd_seen[RLY_UPD_SEEN_MAX]; /* to check for conflicting headers */
    size_t n_upd_seen;
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
 *  root, else the current header (said loudly). */
int rly_ctx_seed(rly_ctx *x, char *err, size_t err_len);
void rly_ctx_free(rly_ctx *x);
/** Record in the DB, per chain, the trust root the next start seeds from (a locally verified
 *  height no higher than the clients' latest). */
void rly_ctx_save_trust(rly_ctx *x);

int rly_create_clients(rly_ctx *x, int path, char *err, size_t err_len);
int rly_create_channel(rly_ctx *x, int path, char *err, size_t err_len);
/** One pass over every path: settle in-flight txs, then relay what the chains say is
 *  pending. Returns the first error met (the pass continues past it). */
int rly_tick(rly_ctx *x, rly_progress *pr, char *err, size_t err_len);
/** The daemon loop until *stop. */
int rly_run(rly_ctx *x, volatile sig_atomic_t *stop, char *err, size_t err_len);
int rly_status_report(rly_ctx *x, FILE *out, char *err, size_t err_len);

#endif
