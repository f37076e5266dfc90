/* Txs in flight: submitted without waiting, recorded durably (LMDB sub/...), restored at
 * start, and settled from the chains' answers (broadcast result, then tx_status). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/hex.h"
#include "causeway/log.h"
#include "relay.h"

/* ---- in-flight txs ----------------------------------------------------------------- */

static void inflight_key(char *key, size_t n, const rly_inflight *f, const char *chain)
{
    char hex[65];
    cw_hex_encode(hex, sizeof hex, f->hash, 32);
    snprintf(key, n, "sub/%s/%s", chain, hex);
}

void rly_inflight_persist(rly_ctx *x, const rly_inflight *f)
{
    if (!x->db)
        return;
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 6);
    cw_enc_u64(&e, (uint64_t)f->path);
    cw_enc_u64(&e, (uint64_t)f->dir);
    cw_enc_u64(&e, (uint64_t)f->kind);
    cw_enc_u64(&e, (uint64_t)f->chain);
    cw_enc_u64(&e, f->n_updates);
    cw_enc_array(&e, (uint32_t)f->n);
    for (size_t i = 0; i < f->n; i++)
        cw_enc_u64(&e, f->seqs[i]);
    char key[256];
    inflight_key(key, sizeof key, f, x->cfg->chains[f->chain].id);
    int rc = e.rc == CW_OK ? rly_db_put(x->db, key, cw_enc_data(&e), cw_enc_len(&e)) : e.rc;
    (void)rly_db_checked(rc, key);
    cw_enc_free(&e);
}

static void mark(rly_ctx *x, const rly_inflight *f, bool on)
{
    for (size_t i = 0; i < f->n; i++) {
        rly_entry *en = rly_entry_get(x, f->path, f->dir, f->seqs[i], on);
        if (!en)
            continue;
        if (on)
            en->inflight |= (uint8_t)(1u << f->kind);
        else
            en->inflight &= (uint8_t)~(1u << f->kind);
    }
}

void rly_inflight_remove(rly_ctx *x, size_t i)
{
    rly_inflight *f = &x->inflight[i];
    mark(x, f, false);
    if (x->db) {
        char key[256];
        inflight_key(key, sizeof key, f, x->cfg->chains[f->chain].id);
        (void)rly_db_checked(rly_db_del(x->db, key), key);
    }
    free(f->seqs);
    x->inflight[i] = x->inflight[--x->n_inflight];
}

static void load_one(void *u, const char *key, const uint8_t *v, size_t n)
{
    rly_ctx *x = u;
    if (x->n_inflight >= RLY_INFLIGHT_MAX)
        return;
    const char *hex = strrchr(key, '/');
    if (!hex)
        return;
    rly_inflight f = {0};
    if (cw_hex_decode_exact(f.hash, 32, hex + 1, NULL, 0) != CW_OK)
        return;
    cw_dec d;
    const msgpack_object *root;
    if (cw_dec_open(&d, &root, v, n, 1 << 20, NULL, 0) == CW_OK) {
        const msgpack_object *a = cw_dec_array(&d, root, 6, "sub");
        f.path = (int)cw_dec_uint_max(&d, &a[0], RLY_MAX_PATHS - 1, "path");
        f.dir = (int)cw_dec_uint_max(&d, &a[1], 1, "dir");
        f.kind = (int)cw_dec_uint_max(&d, &a[2], RLY_K_N - 1, "kind");
        f.chain = (int)cw_dec_uint_max(&d, &a[3], RLY_MAX_CHAINS - 1, "chain");
        f.n_updates = cw_dec_u64(&d, &a[4], "updates");
        uint32_t ns;
        const msgpack_object *s = cw_dec_list(&d, &a[5], RLY_BATCH_MAX, &ns, "seqs");
        if (d.rc == CW_OK && f.path < x->cfg->n_paths && f.chain < x->cfg->n_chains) {
            f.seqs = calloc(ns ? ns : 1, sizeof *f.seqs);
            for (uint32_t i = 0; f.seqs && i < ns; i++)
                f.seqs[f.n++] = cw_dec_u64(&d, &s[i], "seq");
            if (f.seqs) {
                f.submitted_ms = cw_chain_now_ms();
                x->inflight[x->n_inflight++] = f;
                mark(x, &f, true);
            }
        }
    }
    cw_dec_close(&d);
}

int rly_ctx_open_db(rly_ctx *x, char *err, size_t err_len)
{
    int rc = rly_db_open(&x->db, x->cfg->db_path, err, err_len);
    if (rc)
        return rc;
    rc = rly_db_scan(x->db, "sub/", load_one, x);
    if (x->n_inflight)
        cw_log(CW_LOG_INFO, "restored in-flight txs count=%zu (checked against the chains "
               "before anything is resubmitted)", x->n_inflight);
    return rc;
}

static const char *const landed_ev[RLY_K_N] = {CW_EV_RECV_PACKET, CW_EV_ACK_PACKET,
                                               CW_EV_TIMEOUT_PACKET};
static const char *const redundant_ev[RLY_K_N] = {CW_EV_RECV_PACKET_REDUNDANT,
                                                  CW_EV_ACK_PACKET_REDUNDANT,
                                                  CW_EV_TIMEOUT_PACKET_REDUNDANT};

/* The chain's answers to broadcasts sent without waiting: admitted → settled later from
 * tx_status; refused → the record goes (its packets are relayed again from chain state) and
 * the nonce is re-read. Never waits. */
static void check_broadcasts(rly_ctx *x)
{
    char err[512];
    uint64_t now = cw_chain_now_ms();
    for (size_t i = 0; i < x->n_inflight;) {
        rly_inflight *f = &x->inflight[i];
        cw_chain_client *c = &x->conns[f->chain];
        if (!f->bcast_id) {
            i++;
            continue;
        }
        int rc;
        if (f->conn_gen != c->connects || !c->cl)
            rc = CW_ECLOSED;
        else
            rc = cw_chain_broadcast_result(c, f->bcast_id, 0, err, sizeof err);
        if (rc == CW_OK || rc == CW_ECLOSED) {
            /* admitted, or the answer was lost with the connection: tx_status tells */
            f->bcast_id = 0;
            i++;
            continue;
        }
        if (rc == CW_ETIMEOUT && now - f->submitted_ms <= RLY_INFLIGHT_STALE_MS) {
            i++;
            continue;
        }
        if (rc == CW_ETIMEOUT) {
            cw_rpc_call_forget(c->cl, f->bcast_id);
            snprintf(err, sizeof err, "no answer to broadcast_tx within %u ms",
                     RLY_INFLIGHT_STALE_MS);
            c->nonce_known = false;
        }
        RLY_M_ADD(tx_failures, 1);
        cw_log(CW_LOG_WARN, "tx refused path=%s chain=%s kind=%s msgs=%zu reason=\"%s\" (its "
               "packets are relayed again from chain state)", x->cfg->paths[f->path].name,
               c->cfg->id, rly_kind_name[f->kind], f->n, err);
        rly_inflight_remove(x, i);
    }
}

/* one committed tx's outcome into the metrics, the caches and the log */
static void settle(rly_ctx *x, const rly_inflight *f, const cw_chain_txres *r, uint64_t now)
{
    cw_chain_client *c = &x->conns[f->chain];
    const char *path = x->cfg->paths[f->path].name;
    if (r->code == 0) {
        uint32_t landed = cw_chain_txres_count(r, landed_ev[f->kind]);
        uint32_t redundant = cw_chain_txres_count(r, redundant_ev[f->kind]);
        RLY_M_ADD(relayed[f->path][f->kind], landed);
        RLY_M_ADD(redundant, redundant);
        RLY_M_ADD(client_updates, f->n_updates);
        uint64_t now_ns = cw_chain_now_ns();
        for (size_t k = 0; k < f->n; k++) {
            rly_entry *en = rly_entry_get(x, f->path, f->dir, f->seqs[k], false);
            uint64_t t0 = en ? (f->kind == RLY_K_ACK ? en->acked_ns : en->sent_ns) : 0;
            if (t0 && now_ns > t0 && f->kind != RLY_K_TIMEOUT)
                rly_metrics_observe_latency((double)(now_ns - t0) / 1e9);
            if (en && f->kind == RLY_K_RECV) /* landed or redundant: received either way */
                en->received_on = c->connects;
            if (en && f->kind != RLY_K_RECV) { /* the packet's life is over: */
                free(en->pkt);                 /* keep the cache small */
                free(en->ack);
                memset(en, 0, sizeof *en);
            }
        }
        cw_log(CW_LOG_DEBUG, "tx landed path=%s chain=%s kind=%s height=%" PRIu64
               " msgs=%zu landed=%u redundant=%u", path, c->cfg->id, rly_kind_name[f->kind],
               r->height, f->n, landed, redundant);
        if (redundant)
            cw_log(CW_LOG_INFO, "redundant relays path=%s chain=%s kind=%s count=%u "
                   "(another relayer won)", path, c->cfg->id, rly_kind_name[f->kind], redundant);
        return;
    }
    RLY_M_ADD(tx_failures, 1);
    int64_t idx = r->failed_msg - (int64_t)f->n_updates;
    if (r->failed_msg >= 0 && idx >= 0 && (size_t)idx < f->n) {
        RLY_M_ADD(msg_failures, 1);
        uint64_t seq = f->seqs[idx];
        rly_entry *en = rly_entry_get(x, f->path, f->dir, seq, true);
        if (en)
            en->retry_after_ms = now + RLY_RETRY_FAILED_MS;
        cw_log(CW_LOG_WARN, "msg failed, dropped from the batch path=%s chain=%s "
               "kind=%s sequence=%" PRIu64 " height=%" PRIu64 " code=%" PRId64
               " log=\"%s\"", path, c->cfg->id, rly_kind_name[f->kind], seq, r->height, r->code,
               r->log);
    } else {
        cw_log(CW_LOG_WARN, "tx failed path=%s chain=%s kind=%s height=%" PRIu64
               " msg=%" PRId64 " code=%" PRId64 " log=\"%s\"", path, c->cfg->id,
               rly_kind_name[f->kind], r->height, r->failed_msg, r->code, r->log);
    }
}

/* Settle in-flight txs: each admitted tx is looked up (tx_status, all lookups pipelined)
 * once per new block of its chain — a tx lands only in a new block. */
void rly_check_inflight(rly_ctx *x)
{
    char err[512];
    uint64_t now = cw_chain_now_ms();
    check_broadcasts(x);
    for (size_t i = 0; i < x->n_inflight; i++) {
        rly_inflight *f = &x->inflight[i];
        cw_chain_client *c = &x->conns[f->chain];
        f->status_id = 0;
        if (f->bcast_id ||
            (c->height <= f->checked_height && now - f->submitted_ms <= RLY_INFLIGHT_STALE_MS))
            continue;
        if (cw_chain_tx_result_send(c, f->hash, &f->status_id, err, sizeof err) == CW_OK)
            f->checked_height = c->height;
    }
    for (size_t i = 0; i < x->n_inflight;) {
        rly_inflight *f = &x->inflight[i];
        cw_chain_client *c = &x->conns[f->chain];
        if (!f->status_id) {
            i++;
            continue;
        }
        cw_chain_txres r;
        int rc = cw_chain_tx_result_take(c, f->status_id, &r, err, sizeof err);
        f->status_id = 0;
        if (rc == CW_OK) {
            settle(x, f, &r, now);
            rly_inflight_remove(x, i);
            continue;
        }
        if (rc == CW_ENOTFOUND && now - f->submitted_ms > RLY_INFLIGHT_STALE_MS) {
            cw_log(CW_LOG_WARN, "tx not committed, giving up on it path=%s chain=%s kind=%s "
                   "msgs=%zu (will resubmit from chain state)", x->cfg->paths[f->path].name,
                   c->cfg->id, rly_kind_name[f->kind], f->n);
            c->nonce_known = false;
            rly_inflight_remove(x, i);
            continue;
        }
        i++;
    }
}

size_t rly_inflight_on(const rly_ctx *x, int chain)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n_inflight; i++)
        n += x->inflight[i].chain == chain;
    return n;
}

int rly_submit(rly_ctx *x, cw_chain_client *c, rly_msgs *ms, int p, int d, int kind,
               const uint64_t *seqs, size_t n, char *err, size_t err_len)
{
    if (x->n_inflight >= RLY_INFLIGHT_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "too many txs in flight");
    rly_inflight f = {0};
    int rc = rly_msgs_send_async(c, ms, f.hash, &f.bcast_id, err, err_len);
    if (rc) {
        RLY_M_ADD(tx_failures, 1);
        return rc;
    }
    f.conn_gen = c->connects;
    /* put the tx on the wire now (no waiting): the chain admits it while the next is built */
    if (c->cl)
        (void)cw_rpc_client_poll(c->cl, 0);
    /* bounded memory: while the chain is not reading (busy producing a block), at most
     * RLY_OUT_BYTES of signed txs wait in the outbound queue */
    for (uint64_t t0 = cw_chain_now_ms();
         c->cl && cw_rpc_client_outbound_bytes(c->cl) > RLY_OUT_BYTES &&
         cw_chain_now_ms() - t0 < c->timeout_ms;)
        (void)cw_rpc_client_poll(c->cl, 5);
    f.upd_to = ms->upd_to;
    f.upd_end = ms->upd_end;
    f.path = p;
    f.dir = d;
    f.kind = kind;
    f.chain = c->ix;
    f.n_updates = ms->n_updates;
    f.submitted_ms = cw_chain_now_ms();
    f.checked_height = c->height;
    f.seqs = malloc((n ? n : 1) * sizeof *f.seqs);
    if (!f.seqs)
        return -ENOMEM;
    if (n)
        memcpy(f.seqs, seqs, n * sizeof *seqs);
    f.n = n;
    x->inflight[x->n_inflight++] = f;
    mark(x, &f, true);
    rly_inflight_persist(x, &f);
    cw_log(CW_LOG_DEBUG, "tx submitted path=%s chain=%s kind=%s msgs=%zu first_sequence=%" PRIu64,
           x->cfg->paths[p].name, c->cfg->id, rly_kind_name[kind], n, n ? seqs[0] : 0);
    return CW_OK;
}

