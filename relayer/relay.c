/* The relay engine: the context, one tick over every path, the daemon loop, and `status`
 * (DESIGN §7, §9). The jobs a tick runs live beside it: handshake.c (create-clients,
 * create-channel), packets.c and classify.c (which packets to relay, with proofs, in batches),
 * inflight.c (settling submitted txs), updates.c (client updates), misbehaviour.c (conflicting
 * headers), cache.c (block events). See relayer.h for the runtime model, relay.h for what the
 * files share. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "causeway/log.h"
#include "relay.h"

const char *const rly_kind_name[RLY_K_N] = {"recv", "ack", "timeout"};

/* ---- small RPC helpers ------------------------------------------------------------- */

int rly_consensus_at(cw_chain_client *c, const char *client_id, uint64_t h,
                     cw_lc_consensus_state *cons, char *err, size_t err_len)
{
    char key[CW_PATH_MAX];
    uint8_t *v;
    size_t vl;
    cw_path_consensus_state(key, client_id, h);
    int rc = cw_chain_query(c, key, 0, false, &v, &vl, NULL, NULL, NULL, err, err_len);
    if (rc)
        return rc;
    if (!v)
        return cw_errf(err, err_len, CW_ENOTFOUND, "chain %s: client %s has no consensus state "
                       "at %" PRIu64, c->cfg->id, client_id, h);
    rc = cw_lc_consensus_state_decode(cons, v, vl, err, err_len);
    free(v);
    return rc;
}

int rly_client_info(cw_chain_client *c, const char *client_id, cw_lc_client_state *cs,
                    cw_lc_consensus_state *cons, char *err, size_t err_len)
{
    char key[CW_PATH_MAX];
    uint8_t *v;
    size_t vl;
    cw_path_client_state(key, client_id);
    int rc = cw_chain_query(c, key, 0, false, &v, &vl, NULL, NULL, NULL, err, err_len);
    if (rc)
        return rc;
    if (!v)
        return cw_errf(err, err_len, CW_ENOTFOUND, "chain %s: no client %s", c->cfg->id,
                       client_id);
    rc = cw_lc_client_state_decode(cs, v, vl, err, err_len);
    free(v);
    if (rc || !cons)
        return rc;
    return rly_consensus_at(c, client_id, cs->latest_height, cons, err, err_len);
}

bool rly_next_client(rly_ctx *x, rly_client_end *c)
{
    if (c->next_ >= 2 * x->cfg->n_paths)
        return false;
    c->p = c->next_ / 2;
    c->e = c->next_ % 2;
    c->next_++;
    rly_path_cfg *pc = &x->cfg->paths[c->p];
    c->on = &pc->end[c->e];
    c->host = &x->conns[c->on->chain_ix];
    c->of = &x->conns[pc->end[1 - c->e].chain_ix];
    return true;
}

/* ---- message list ------------------------------------------------------------------ */

void rly_msgs_free(rly_msgs *ms)
{
    for (size_t i = 0; i < ms->n; i++)
        cw_enc_free(&ms->m[i]);
    ms->n = ms->bytes = ms->n_updates = 0;
}

int rly_msgs_send(cw_chain_client *c, rly_msgs *ms, uint8_t hash[32], char *err, size_t err_len)
{
    cw_bytes b[CW_TX_MAX_MSGS];
    for (size_t i = 0; i < ms->n; i++)
        b[i] = (cw_bytes){cw_enc_data(&ms->m[i]), cw_enc_len(&ms->m[i])};
    return cw_chain_broadcast(c, b, ms->n, hash, err, err_len);
}

/* sign and send without waiting for the chain's answer (see cw_chain_broadcast_send) */
int rly_msgs_send_async(cw_chain_client *c, rly_msgs *ms, uint8_t hash[32], uint32_t *msgid,
                        char *err,
                        size_t err_len)
{
    cw_bytes b[CW_TX_MAX_MSGS];
    for (size_t i = 0; i < ms->n; i++)
        b[i] = (cw_bytes){cw_enc_data(&ms->m[i]), cw_enc_len(&ms->m[i])};
    return cw_chain_broadcast_send(c, b, ms->n, hash, msgid, err, err_len);
}

int rly_tx_and_attr(rly_ctx *x, cw_chain_client *c, rly_msgs *ms, const char *type, const char *key,
                    char *out, char *err, size_t err_len)
{
    uint8_t hash[32];
    int rc = rly_msgs_send(c, ms, hash, err, err_len);
    if (rc)
        return rc;
    cw_chain_txres r;
    if ((rc = cw_chain_wait_tx(c, hash, x->cfg->tx_timeout_ms, &r, err, err_len)))
        return rc;
    if (r.code != 0)
        return cw_errf(err, err_len, (int)r.code, "chain %s: tx failed (msg %" PRId64 "): %s",
                       c->cfg->id, r.failed_msg, r.log);
    RLY_M_ADD(client_updates, ms->n_updates);
    if (!type)
        return CW_OK;
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_hash_params_enc(&p, hash);
    cw_dec d;
    const msgpack_object *root;
    uint8_t *buf;
    rc = cw_chain_call(c, "tx", &p, &d, &root, &buf, err, err_len);
    cw_enc_free(&p);
    if (rc == CW_OK) {
        cw_rpc_tx t;
        cw_rpc_tx_dec(&d, root, &t);
        if (d.rc == CW_OK && !cw_events_find_str(t.result.events, type, key, out))
            rc = cw_errf(err, err_len, CW_ENOTFOUND, "chain %s: no %s.%s in the tx result",
                         c->cfg->id, type, key);
        if (d.rc)
            rc = d.rc;
    }
    cw_dec_close(&d);
    free(buf);
    return rc;
}

/* ---- context ----------------------------------------------------------------------- */

int rly_ctx_init(rly_ctx *x, rly_config *cfg, bool want_keys, bool subscribe, char *err,
                 size_t err_len)
{
    memset(x, 0, sizeof *x);
    x->cfg = cfg;
    rly_m.cfg = cfg;
    x->scr = calloc(1, sizeof *x->scr);
    if (!x->scr)
        return cw_errf(err, err_len, -ENOMEM, "relay buffers: out of memory");
    for (int i = 0; i < cfg->n_chains; i++) {
        cw_chain_client *c = &x->conns[i];
        int rc = cw_chain_client_init(c, &cfg->chains[i], i, cfg->rpc_timeout_ms, want_keys, err,
                                      err_len);
        if (rc)
            return rc;
        c->hook = rly_metrics_chain_event; /* /metrics counts reconnects, rejected headers */
        c->memo = "causeway-relayer";
        c->want_sub = subscribe;
    }
    return CW_OK;
}

void rly_ctx_free(rly_ctx *x)
{
    for (int i = 0; i < RLY_MAX_CHAINS; i++)
        if (x->conns[i].cfg)
            cw_chain_client_free(&x->conns[i]);
    for (int p = 0; p < RLY_MAX_PATHS; p++)
        for (int d = 0; d < 2; d++)
            rly_cache_clear(&x->cache[p][d]);
    for (size_t i = 0; i < x->n_inflight; i++)
        free(x->inflight[i].seqs);
    free(x->scr);
    x->scr = NULL;
    rly_db_close(x->db);
    x->db = NULL;
}

/* the lowest latest height among the configured clients that track chain c (0: none) */
static uint64_t min_client_height(rly_ctx *x, cw_chain_client *c)
{
    uint64_t best = 0;
    for (int p = 0; p < x->cfg->n_paths; p++)
        for (int e = 0; e < 2; e++) {
            const rly_end_cfg *on = &x->cfg->paths[p].end[e];
            if (x->cfg->paths[p].end[1 - e].chain_ix != c->ix || !on->client[0])
                continue;
            cw_lc_client_state cs;
            char err[256];
            if (rly_client_info(&x->conns[on->chain_ix], on->client, &cs, NULL, err, sizeof err) ==
                    CW_OK &&
                (best == 0 || cs.latest_height < best))
                best = cs.latest_height;
        }
    return best;
}

/* Persist a trust root for the next start: the lowest height a configured client of c
 * holds (so a restart can still bisect from there), verified locally; else h. */
static void save_trust(rly_ctx *x, cw_chain_client *c, uint64_t h)
{
    if (!x->db)
        return;
    uint64_t low = min_client_height(x, c);
    if (low && low >= c->lc_root_height && low < h)
        h = low;
    const cw_light_block *lb;
    char err[256];
    if (cw_chain_lc_verified(c, h, &lb, err, sizeof err) != CW_OK)
        return;
    uint8_t v[40], bh[32];
    if (cw_block_hash(bh, &lb->signed_header.header) != CW_OK)
        return;
    for (int i = 7, k = 0; i >= 0; i--, k++)
        v[k] = (uint8_t)(h >> (8 * i));
    memcpy(v + 8, bh, 32);
    char key[128];
    snprintf(key, sizeof key, "trust/%s", c->cfg->id);
    (void)rly_db_checked(rly_db_put(x->db, key, v, sizeof v), key);
}

void rly_ctx_save_trust(rly_ctx *x)
{
    for (int i = 0; i < x->cfg->n_chains; i++)
        if (x->conns[i].lc_seeded)
            save_trust(x, &x->conns[i], x->conns[i].lcs.latest_height);
}

/* Seed chain i's light client: the DB's last verified height, else the config's trust root,
 * else the lowest height a client of it holds (as its node serves it, said loudly). Up to
 * `attempts` tries 100 ms apart while the node does not answer (CW_ECLOSED). */
static int seed_chain(rly_ctx *x, int i, int attempts, char *err, size_t err_len)
{
    cw_chain_client *c = &x->conns[i];
    const rly_chain_cfg *cc = c->cfg;
    uint64_t h = 0;
    uint8_t hash[32];
    bool have = false;
    if (x->db) {
        char key[128];
        uint8_t *v;
        size_t n;
        snprintf(key, sizeof key, "trust/%s", cc->id);
        if (rly_db_get(x->db, key, &v, &n) == CW_OK) {
            if (n == 40) {
                for (int k = 0; k < 8; k++)
                    h = (h << 8) | v[k];
                memcpy(hash, v + 8, 32);
                have = h > 0 && (!cc->has_trust || h >= cc->trust_height);
            }
            free(v);
        }
    }
    if (!have && cc->has_trust) {
        h = cc->trust_height;
        memcpy(hash, cc->trust_hash, 32);
        have = true;
    }
    int rc;
    if (!have) {
        /* no root given: start from the lowest height a client of this chain holds (so
         * updates can bisect from there), as served by the chain's node — said loudly */
        for (int attempt = 0; attempt < attempts && h == 0; attempt++) {
            h = min_client_height(x, c);
            if (h == 0 && cw_chain_ensure(c, err, err_len) != CW_ECLOSED)
                break;
            if (h == 0 && attempt + 1 < attempts) {
                struct timespec ts = {0, 100 * 1000000};
                nanosleep(&ts, NULL); /* the chain's RPC is not up yet */
            }
        }
    }
    for (int attempt = 0;; attempt++) {
        rc = cw_chain_lc_seed(c, h, have ? hash : NULL, err, err_len);
        if (rc != CW_ECLOSED || attempt + 1 >= attempts)
            break;
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL); /* the chain's RPC is not up yet: backoff pacing */
    }
    return rc;
}

int rly_ctx_seed(rly_ctx *x, bool defer_unreachable, char *err, size_t err_len)
{
    for (int i = 0; i < x->cfg->n_chains; i++) {
        /* the daemon does not wait for a chain: it seeds it when it connects */
        int rc = seed_chain(x, i, defer_unreachable ? 1 : 50, err, err_len);
        if ((rc == CW_ECLOSED || rc == CW_ETIMEOUT) && defer_unreachable) {
            cw_log(CW_LOG_WARN, "chain unreachable at start chain=%s reason=\"%s\": its paths "
                   "wait for it (its light client is seeded when it connects); the other paths "
                   "relay", x->conns[i].cfg->id, err);
            continue;
        }
        if (rc)
            return rc;
    }
    return CW_OK;
}

int rly_db_checked(int rc, const char *key)
{
    if (rc != CW_OK) {
        RLY_M_ADD(db_write_failures, 1);
        cw_log(CW_LOG_ERROR, "db write failed key=%s rc=%s (the relayer's record is not durable: "
               "a restart re-reads the chains)", key, cw_strerror(rc));
    }
    return rc;
}

int rly_tick(rly_ctx *x, rly_progress *pr, char *err, size_t err_len)
{
    int first = CW_OK;
    if (pr)
        memset(pr, 0, sizeof *pr);
    for (int p = 0; p < x->cfg->n_paths; p++) {
        rly_path_cfg *pc = &x->cfg->paths[p];
        if (!pc->end[0].channel[0] || !pc->end[1].channel[0])
            continue;
        if (!x->conns[pc->end[0].chain_ix].lc_seeded || !x->conns[pc->end[1].chain_ix].lc_seeded)
            continue; /* a chain unreachable since the start: seeded when it connects */
        for (int d = 0; d < 2; d++) {
            char e[512] = "";
            uint64_t t1 = cw_chain_now_ms();
            int rc = rly_relay_dir(x, p, d, pr, e, sizeof e);
            cw_log(CW_LOG_DEBUG, "relay step path=%s src=%s ms=%llu", pc->name, pc->end[d].chain,
                   (unsigned long long)(cw_chain_now_ms() - t1));
            if (rc) {
                /* a chain that is down was logged once when its connection went (chain
                 * client: "connection lost"); its paths fail fast every tick until it is back */
                cw_log(rc == CW_ECLOSED ? CW_LOG_DEBUG : CW_LOG_WARN,
                       "relay step failed path=%s src=%s rc=%s reason=\"%s\"", pc->name,
                       pc->end[d].chain, cw_strerror(rc), e);
                if (first == CW_OK) {
                    first = rc;
                    cw_errf(err, err_len, rc, "%s", e);
                }
            }
        }
    }
    /* settle in-flight txs after relaying what is new: lookups of big txs must not delay
     * fresh packets (in-flight marks already keep them from being submitted twice) */
    uint64_t t0 = cw_chain_now_ms();
    rly_check_inflight(x);
    cw_log(CW_LOG_DEBUG, "inflight check txs=%zu ms=%llu", x->n_inflight,
           (unsigned long long)(cw_chain_now_ms() - t0));
    if (pr)
        pr->inflight = x->n_inflight;
    RLY_M_SET(last_tick_ms, cw_chain_now_ms());
    return first;
}

/* Drop the block notifications queued on c's connection, unread. */
static void discard_notifications(cw_chain_client *c)
{
    char topic[CW_RPC_METHOD_MAX + 1], e[256];
    uint8_t *pl;
    size_t pln;
    while (c->cl && cw_rpc_next_notification(c->cl, topic, &pl, &pln, 0, e, sizeof e) == CW_OK)
        free(pl);
}

int rly_run(rly_ctx *x, volatile sig_atomic_t *stop, char *err, size_t err_len)
{
    uint64_t last_tick = 0, last_refresh = 0, last_cursor = 0;
    bool gap[RLY_MAX_CHAINS] = {false}, up[RLY_MAX_CHAINS] = {false};
    int turn = 0;
    while (!*stop) {
        bool got = false;
        for (int i = 0; i < x->cfg->n_chains; i++) {
            cw_chain_client *c = &x->conns[i];
            char e[512];
            if (cw_chain_ensure(c, e, sizeof e) != CW_OK)
                continue;
            if (!c->lc_seeded) { /* unreachable at the start: seed it now that it answers */
                uint64_t t = cw_chain_now_ms();
                int rc = t < x->seed_retry_ms[i] ? CW_ESTATE : seed_chain(x, i, 1, e, sizeof e);
                if (rc != CW_OK) {
                    if (t >= x->seed_retry_ms[i]) {
                        x->seed_retry_ms[i] = t + 1000; /* its paths keep waiting */
                        cw_log(CW_LOG_WARN, "light client not seeded yet chain=%s reason=\"%s\"",
                               c->cfg->id, e);
                    }
                    discard_notifications(c); /* nothing of it is relayed before the seed */
                    continue;
                }
                cw_log(CW_LOG_INFO, "chain reachable: light client seeded chain=%s; its paths "
                       "relay from now", c->cfg->id);
                got = true;
            }
            if (c->reconnected) {
                c->reconnected = false;
                /* what the mempool held may be gone: forget those txs, re-read nonces */
                for (size_t k = 0; k < x->n_inflight;)
                    if (x->inflight[k].chain == i && c->connects > 1)
                        rly_inflight_remove(x, k);
                    else
                        k++;
                gap[i] = true; /* after the next tick: relaying first, from chain queries */
                got = true;
                if (c->connects > 1 && cw_chain_lc_crosscheck(c, e, sizeof e) != CW_OK)
                    cw_log(CW_LOG_WARN, "cross-check after reconnect chain=%s height=%" PRIu64
                           " reason=\"%s\"", c->cfg->id, c->lcs.latest_height, e);
            }
            for (;;) { /* drain what is queued */
                char topic[CW_RPC_METHOD_MAX + 1];
                uint8_t *pl;
                size_t pln;
                int rc = c->cl ? cw_rpc_next_notification(c->cl, topic, &pl, &pln, 0, e, sizeof e)
                               : CW_ECLOSED;
                if (rc == CW_OK) {
                    /* a cut block whose rest could not be read: the gap fill
                     * after the tick reads it again, from before that block */
                    if (strcmp(topic, CW_RPC_TOPIC_BLOCKS) == 0 &&
                        rly_on_block(x, c, pl, pln) != CW_OK) {
                        rly_set_cursors(x, c, c->height ? c->height - 1 : 0);
                        gap[i] = true;
                    }
                    free(pl);
                    got = true;
                    continue;
                }
                if (rc == CW_ECLOSED) {
                    cw_rpc_client_close(c->cl);
                    c->cl = NULL;
                    c->next_try_ms = cw_chain_now_ms() + c->backoff_ms;
                    cw_log(CW_LOG_WARN, "subscription closed chain=%s reason=\"%s\"", c->cfg->id,
                           e);
                }
                break;
            }
        }
        for (int i = 0; i < x->cfg->n_chains; i++) /* causeway_relayer_chain_up */
            if (up[i] != (x->conns[i].cl != NULL)) {
                up[i] = x->conns[i].cl != NULL;
                rly_metrics_chain_up(i, up[i]);
            }
        uint64_t now = cw_chain_now_ms();
        if (!got && now - last_tick < 500) {
            /* wait for the next block on one chain (alternating), at most 20 ms */
            cw_chain_client *c = &x->conns[turn++ % x->cfg->n_chains];
            if (c->cl)
                (void)cw_rpc_client_poll(c->cl, 20);
            else {
                struct timespec ts = {0, 20 * 1000000};
                nanosleep(&ts, NULL); /* reconnect backoff pacing */
            }
            continue;
        }
        rly_submit_evidence(x);
        rly_check_updates(x);
        char e[512];
        (void)rly_tick(x, NULL, e, sizeof e);
        /* The missed blocks' events after a (re)connect: the tick above already relayed what
         * the chains say is pending (packets fetched in batches); the events add what
         * queries cannot give cheaply — ack bytes and the blocks' times for latency. */
        for (int i = 0; i < x->cfg->n_chains; i++)
            if (gap[i]) {
                gap[i] = false;
                if (rly_fill_gap(x, &x->conns[i], e, sizeof e) != CW_OK)
                    cw_log(CW_LOG_WARN, "gap fill failed chain=%s reason=\"%s\"",
                           x->conns[i].cfg->id, e);
            }
        last_tick = cw_chain_now_ms();
        if (last_tick - last_cursor > 1000) {
            for (int i = 0; i < x->cfg->n_chains; i++) {
                cw_chain_client *c = &x->conns[i];
                if (c->height) {
                    rly_set_cursors(x, c, c->height);
                    if (c->lcs.latest_height)
                        save_trust(x, c, c->lcs.latest_height);
                }
            }
            last_cursor = last_tick;
        }
        if (last_tick - last_refresh > 5000) {
            rly_refresh_clients(x);
            last_refresh = last_tick;
        }
    }
    (void)err;
    (void)err_len;
    return CW_OK;
}

/* ---- status ------------------------------------------------------------------------ */

int rly_status_report(rly_ctx *x, FILE *out, char *err, size_t err_len)
{
    int worst = CW_OK;
    uint64_t now_ns = cw_chain_now_ns();
    for (int i = 0; i < x->cfg->n_chains; i++) {
        cw_chain_client *c = &x->conns[i];
        int rc = cw_chain_status(c, NULL, err, err_len);
        if (rc) {
            fprintf(out, "chain %s: UNREACHABLE (%s)\n", c->cfg->id, err);
            worst = rc;
            continue;
        }
        fprintf(out, "chain %s: height %" PRIu64 "\n", c->cfg->id, c->height);
    }
    for (int p = 0; p < x->cfg->n_paths; p++) {
        rly_path_cfg *pc = &x->cfg->paths[p];
        fprintf(out, "path %s:\n", pc->name);
        for (int e = 0; e < 2; e++) {
            rly_end_cfg *on = &pc->end[e];
            cw_chain_client *c = &x->conns[on->chain_ix];
            if (!on->client[0]) {
                fprintf(out, "  %s: no client yet (run create-clients)\n", on->chain);
                continue;
            }
            cw_lc_client_state cs;
            cw_lc_consensus_state cons;
            int rc = rly_client_info(c, on->client, &cs, &cons, err, err_len);
            if (rc) {
                fprintf(out, "  %s client %s: %s\n", on->chain, on->client, err);
                worst = rc;
                continue;
            }
            const char *st = cs.frozen_height ? "Frozen"
                             : cons.timestamp_ns + cs.trusting_period_ns <= now_ns ? "Expired"
                                                                                  : "Active";
            double left = ((double)cons.timestamp_ns + (double)cs.trusting_period_ns -
                           (double)now_ns) / 1e9;
            fprintf(out, "  %s client %s (of %s): latest height %" PRIu64 ", %s, expires in "
                    "%.0f s\n", on->chain, on->client, pc->end[1 - e].chain, cs.latest_height, st,
                    left > 0 ? left : 0);
        }
        if (!pc->end[0].channel[0] || !pc->end[1].channel[0]) {
            fprintf(out, "  no channel yet (run create-channel)\n");
            continue;
        }
        for (int d = 0; d < 2; d++) {
            const rly_end_cfg *S = &pc->end[d], *D = &pc->end[1 - d];
            cw_chain_client *src = &x->conns[S->chain_ix], *dst = &x->conns[D->chain_ix];
            size_t n = 0, nu = 0;
            int rc = cw_chain_seq_list(src, "packet_commitments", S->port, S->channel, NULL, 0,
                                       x->scr->seqs, RLY_LIST_MAX, &n, err, err_len);
            if (!rc && n)
                rc = cw_chain_seq_list(dst, "unreceived_packets", D->port, D->channel,
                                       x->scr->seqs, n, x->scr->unrecv, RLY_LIST_MAX, &nu, err,
                                       err_len);
            if (rc) {
                fprintf(out, "  %s/%s -> %s: %s\n", S->chain, S->channel, D->chain, err);
                worst = rc;
                continue;
            }
            fprintf(out, "  %s/%s -> %s/%s: pending %zu (unreceived %zu, awaiting ack %zu), "
                    "oldest sequence %" PRIu64 "\n", S->chain, S->channel, D->chain, D->channel,
                    n, nu, n - nu, n ? x->scr->seqs[0] : 0);
        }
    }
    return worst;
}
