/* The relay engine: clients, the channel handshake, and the per-path ticks that relay
 * RecvPacket / Acknowledgement / Timeout with proofs (DESIGN §7, §9). See relayer.h for the
 * runtime model and relay.h for the entry points. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "causeway/hex.h"
#include "causeway/log.h"
#include "causeway/packet.h" /* ChannelEnd: the contract, not the IBC host */
#include "causeway/tx.h"
#include "relay.h"

#define MAX_UPDATE_MSGS 16
#define TX_BYTES_SOFT (768u * 1024) /* stop adding msgs past this (CW_TX_MAX_BYTES is 1 MiB) */
#define INFLIGHT_STALE_MS 10000     /* a tx not seen committed after this is given up */
#define RETRY_FAILED_MS 3000
#define RLY_OUT_BYTES (1u << 20) /* signed txs queued for one chain's socket, at most */        /* a msg a tx result named as failing waits this long */

static const char *const kind_name[RLY_K_N] = {"recv", "ack", "timeout"};

/* ---- small RPC helpers ------------------------------------------------------------- */

static int call_list(rly_conn *c, const char *method, const char *port, const char *chan,
                     const uint64_t *in, size_t n_in, bool with_seqs, uint64_t *out,
                     size_t *n_out, char *err, size_t err_len)
{
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, with_seqs ? 3 : 2);
    cw_enc_cstr(&p, port);
    cw_enc_cstr(&p, chan);
    if (with_seqs) {
        cw_enc_array(&p, (uint32_t)n_in);
        for (size_t i = 0; i < n_in; i++)
            cw_enc_u64(&p, in[i]);
    }
    cw_dec d;
    const msgpack_object *root;
    uint8_t *buf;
    int rc = rly_call(c, method, &p, &d, &root, &buf, err, err_len);
    cw_enc_free(&p);
    *n_out = 0;
    if (rc == CW_OK) {
        uint32_t n;
        const msgpack_object *items = cw_dec_list(&d, root, RLY_LIST_MAX, &n, "%s", method);
        for (uint32_t i = 0; i < n && d.rc == CW_OK; i++)
            out[(*n_out)++] = cw_dec_u64(&d, &items[i], "%s[%u]", method, i);
        rc = d.rc;
    }
    cw_dec_close(&d);
    free(buf);
    return rc;
}

static int call_bin3(rly_conn *c, const char *method, const char *port, const char *chan,
                     uint64_t seq, uint8_t **out, size_t *len, char *err, size_t err_len)
{
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, 3);
    cw_enc_cstr(&p, port);
    cw_enc_cstr(&p, chan);
    cw_enc_u64(&p, seq);
    cw_dec d;
    const msgpack_object *root;
    uint8_t *buf;
    int rc = rly_call(c, method, &p, &d, &root, &buf, err, err_len);
    cw_enc_free(&p);
    *out = NULL;
    *len = 0;
    if (rc == CW_OK) {
        cw_bytes b = cw_dec_bin(&d, root, CW_PACKET_DATA_MAX * 2 + 1024, "%s", method);
        rc = d.rc;
        if (rc == CW_OK) {
            *out = malloc(b.len ? b.len : 1);
            if (!*out)
                rc = -ENOMEM;
            else {
                memcpy(*out, b.p, b.len);
                *len = b.len;
            }
        }
    }
    cw_dec_close(&d);
    free(buf);
    return rc;
}

/* the client `client_id` on c: its state and its consensus state at its latest height */
/* client_id's consensus state at height h on c: CW_OK with *cons, or CW_ENOTFOUND none */
static int consensus_at(rly_conn *c, const char *client_id, uint64_t h,
                        cw_lc_consensus_state *cons, char *err, size_t err_len)
{
    char key[CW_PATH_MAX];
    uint8_t *v;
    size_t vl;
    cw_path_consensus_state(key, client_id, h);
    int rc = rly_query(c, key, 0, false, &v, &vl, NULL, NULL, NULL, err, err_len);
    if (rc)
        return rc;
    if (!v)
        return cw_errf(err, err_len, CW_ENOTFOUND, "chain %s: client %s has no consensus state "
                       "at %" PRIu64, c->cfg->id, client_id, h);
    rc = cw_lc_consensus_state_decode(cons, v, vl, err, err_len);
    free(v);
    return rc;
}

static int client_info(rly_conn *c, const char *client_id, cw_lc_client_state *cs,
                       cw_lc_consensus_state *cons, char *err, size_t err_len)
{
    char key[CW_PATH_MAX];
    uint8_t *v;
    size_t vl;
    cw_path_client_state(key, client_id);
    int rc = rly_query(c, key, 0, false, &v, &vl, NULL, NULL, NULL, err, err_len);
    if (rc)
        return rc;
    if (!v)
        return cw_errf(err, err_len, CW_ENOTFOUND, "chain %s: no client %s", c->cfg->id,
                       client_id);
    rc = cw_lc_client_state_decode(cs, v, vl, err, err_len);
    free(v);
    if (rc || !cons)
        return rc;
    return consensus_at(c, client_id, cs->latest_height, cons, err, err_len);
}

/* ---- message list ------------------------------------------------------------------ */

typedef struct msgs {
    cw_enc m[CW_TX_MAX_MSGS];
    size_t n;
    size_t bytes;
    size_t n_updates;
    uint64_t upd_to; /* the height the leading updates take the client to (0: none) */
    int upd_end;     /* the path end whose client they update */
} msgs;

static void msgs_free(msgs *ms)
{
    for (size_t i = 0; i < ms->n; i++)
        cw_enc_free(&ms->m[i]);
    ms->n = ms->bytes = ms->n_updates = 0;
}

static int msgs_send(rly_conn *c, msgs *ms, uint8_t hash[32], char *err, size_t err_len)
{
    cw_bytes b[CW_TX_MAX_MSGS];
    for (size_t i = 0; i < ms->n; i++)
        b[i] = (cw_bytes){cw_enc_data(&ms->m[i]), cw_enc_len(&ms->m[i])};
    return rly_broadcast(c, b, ms->n, hash, err, err_len);
}

/* sign and send without waiting for the chain's answer (see rly_broadcast_send) */
static int msgs_send_async(rly_conn *c, msgs *ms, uint8_t hash[32], uint32_t *msgid, char *err,
                           size_t err_len)
{
    cw_bytes b[CW_TX_MAX_MSGS];
    for (size_t i = 0; i < ms->n; i++)
        b[i] = (cw_bytes){cw_enc_data(&ms->m[i]), cw_enc_len(&ms->m[i])};
    return rly_broadcast_send(c, b, ms->n, hash, msgid, err, err_len);
}

/* Bring client_id on dst up to at least `want` of src (updates appended to ms).
 * *proof_height receives the height proofs must be queried at: max(latest, want). */
static int check_conflict(rly_ctx *x, rly_conn *src, rly_conn *host, const char *client_id,
                          const cw_lc_client_state *cs, const cw_lc_consensus_state *cons,
                          char *err, size_t err_len);

static int add_updates(rly_ctx *x, rly_conn *src, rly_conn *dst, const char *client_id,
                       uint64_t want, msgs *ms, uint64_t *proof_height, char *err,
                       size_t err_len)
{
    cw_lc_client_state cs;
    cw_lc_consensus_state cons;
    int rc = client_info(dst, client_id, &cs, &cons, err, err_len);
    if (rc)
        return rc;
    if (cs.frozen_height)
        return cw_errf(err, err_len, CW_EFROZEN, "chain %s: client %s is frozen at %" PRIu64,
                       dst->cfg->id, client_id, cs.frozen_height);
    if ((rc = check_conflict(x, src, dst, client_id, &cs, &cons, err, err_len)))
        return rc;
    if (cs.latest_height >= want) {
        *proof_height = cs.latest_height;
        return CW_OK;
    }
    size_t n = 0;
    rc = rly_build_updates(src, client_id, &cs, &cons, want, &ms->m[ms->n],
                           MAX_UPDATE_MSGS, &n, err, err_len);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        ms->bytes += cw_enc_len(&ms->m[ms->n + i]);
    ms->n += n;
    ms->n_updates += n;
    ms->upd_to = n ? want : 0;
    *proof_height = want;
    return CW_OK;
}

/* ---- events ------------------------------------------------------------------------ */

static bool str_eq(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n && memcmp(o->via.str.ptr, s, n) == 0;
}

/* the value of attribute `key` in one event's attrs ([[key, value]…]), NULL if absent */
static const msgpack_object *attr_of(const msgpack_object *attrs, const char *key)
{
    for (uint32_t k = 0; attrs->type == MSGPACK_OBJECT_ARRAY && k < attrs->via.array.size; k++) {
        const msgpack_object *kv = &attrs->via.array.ptr[k];
        if (kv->type == MSGPACK_OBJECT_ARRAY && kv->via.array.size == 2 &&
            str_eq(&kv->via.array.ptr[0], key))
            return &kv->via.array.ptr[1];
    }
    return NULL;
}

static bool str_attr(const msgpack_object *attrs, const char *key,
                     char out[static CW_ID_MAX + 1])
{
    const msgpack_object *v = attr_of(attrs, key);
    if (!v || v->type != MSGPACK_OBJECT_STR || v->via.str.size > CW_ID_MAX)
        return false;
    snprintf(out, CW_ID_MAX + 1, "%.*s", (int)v->via.str.size, v->via.str.ptr);
    return true;
}

static bool u64_attr(const msgpack_object *attrs, const char *key, uint64_t *out)
{
    const msgpack_object *v = attr_of(attrs, key);
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return false;
    *out = v->via.u64;
    return true;
}

/* the attrs of an event [type, attrs] of this type, NULL otherwise */
static const msgpack_object *event_of(const msgpack_object *ev, const char *type)
{
    if (ev->type != MSGPACK_OBJECT_ARRAY || ev->via.array.size != 2 ||
        !str_eq(&ev->via.array.ptr[0], type) || ev->via.array.ptr[1].type != MSGPACK_OBJECT_ARRAY)
        return NULL;
    return &ev->via.array.ptr[1];
}

/* the string attribute `key` of the first event `type` in events (an array of events) */
static bool event_attr(const msgpack_object *events, const char *type, const char *key,
                       char out[static CW_ID_MAX + 1])
{
    for (uint32_t i = 0; events->type == MSGPACK_OBJECT_ARRAY && i < events->via.array.size; i++) {
        const msgpack_object *attrs = event_of(&events->via.array.ptr[i], type);
        if (attrs && str_attr(attrs, key, out))
            return true;
    }
    return false;
}

/* submit one tx and wait for it; on success, the string attr of an event of the result */
static int tx_and_attr(rly_ctx *x, rly_conn *c, msgs *ms, const char *type, const char *key,
                       char *out, char *err, size_t err_len)
{
    uint8_t hash[32];
    int rc = msgs_send(c, ms, hash, err, err_len);
    if (rc)
        return rc;
    rly_txres r;
    if ((rc = rly_wait_tx(c, hash, x->cfg->tx_timeout_ms, &r, err, err_len)))
        return rc;
    if (r.code != 0)
        return cw_errf(err, err_len, (int)r.code, "chain %s: tx failed (msg %" PRId64 "): %s",
                       c->cfg->id, r.failed_msg, r.log);
    RLY_M_ADD(client_updates, ms->n_updates);
    if (!type)
        return CW_OK;
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, 1);
    cw_enc_bin(&p, hash, 32);
    cw_dec d;
    const msgpack_object *root;
    uint8_t *buf;
    rc = rly_call(c, "tx", &p, &d, &root, &buf, err, err_len);
    cw_enc_free(&p);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 4, "tx");
        const msgpack_object *res = cw_dec_array(&d, &f[3], 4, "tx.result");
        if (d.rc == CW_OK && !event_attr(&res[2], type, key, out))
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
    for (int i = 0; i < cfg->n_chains; i++) {
        int rc = rly_conn_init(&x->conns[i], &cfg->chains[i], i, cfg->rpc_timeout_ms, want_keys,
                               err, err_len);
        if (rc)
            return rc;
        x->conns[i].want_sub = subscribe;
    }
    return CW_OK;
}

static void cache_clear(rly_cache *t)
{
    if (!t->e)
        return;
    for (size_t i = 0; i < RLY_CACHE_MAX; i++) {
        free(t->e[i].pkt);
        free(t->e[i].ack);
    }
    free(t->e);
    t->e = NULL;
}

void rly_ctx_free(rly_ctx *x)
{
    for (int i = 0; i < RLY_MAX_CHAINS; i++)
        if (x->conns[i].cfg)
            rly_conn_free(&x->conns[i]);
    for (int p = 0; p < RLY_MAX_PATHS; p++)
        for (int d = 0; d < 2; d++)
            cache_clear(&x->cache[p][d]);
    for (size_t i = 0; i < x->n_inflight; i++)
        free(x->inflight[i].seqs);
    rly_db_close(x->db);
}

/* the lowest latest height among the configured clients that track chain c (0: none) */
static uint64_t min_client_height(rly_ctx *x, rly_conn *c)
{
    uint64_t best = 0;
    for (int p = 0; p < x->cfg->n_paths; p++)
        for (int e = 0; e < 2; e++) {
            const rly_end_cfg *on = &x->cfg->paths[p].end[e];
            if (x->cfg->paths[p].end[1 - e].chain_ix != c->ix || !on->client[0])
                continue;
            cw_lc_client_state cs;
            char err[256];
            if (client_info(&x->conns[on->chain_ix], on->client, &cs, NULL, err, sizeof err) ==
                    CW_OK &&
                (best == 0 || cs.latest_height < best))
                best = cs.latest_height;
        }
    return best;
}

/* Persist a trust root for the next start: the lowest height a configured client of c
 * holds (so a restart can still bisect from there), verified locally; else h. */
static void save_trust(rly_ctx *x, rly_conn *c, uint64_t h)
{
    if (!x->db)
        return;
    uint64_t low = min_client_height(x, c);
    if (low && low >= c->lc_root_height && low < h)
        h = low;
    const cw_light_block *lb;
    char err[256];
    if (rly_lc_verified(c, h, &lb, err, sizeof err) != CW_OK)
        return;
    uint8_t v[40], bh[32];
    if (cw_block_hash(bh, &lb->signed_header.header) != CW_OK)
        return;
    for (int i = 7, k = 0; i >= 0; i--, k++)
        v[k] = (uint8_t)(h >> (8 * i));
    memcpy(v + 8, bh, 32);
    char key[128];
    snprintf(key, sizeof key, "trust/%s", c->cfg->id);
    (void)rly_db_put(x->db, key, v, sizeof v);
}

void rly_ctx_save_trust(rly_ctx *x)
{
    for (int i = 0; i < x->cfg->n_chains; i++)
        if (x->conns[i].lc_seeded)
            save_trust(x, &x->conns[i], x->conns[i].lcs.latest_height);
}

int rly_ctx_seed(rly_ctx *x, char *err, size_t err_len)
{
    for (int i = 0; i < x->cfg->n_chains; i++) {
        rly_conn *c = &x->conns[i];
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
            for (int attempt = 0; attempt < 50 && h == 0; attempt++) {
                h = min_client_height(x, c);
                if (h == 0 && rly_conn_ensure(&x->conns[i], err, err_len) != CW_ECLOSED)
                    break;
                if (h == 0) {
                    struct timespec ts = {0, 100 * 1000000};
                    nanosleep(&ts, NULL); /* the chain's RPC is not up yet */
                }
            }
        }
        for (int attempt = 0;; attempt++) {
            rc = rly_lc_seed(c, h, have ? hash : NULL, err, err_len);
            if (rc != CW_ECLOSED || attempt > 50)
                break;
            struct timespec ts = {0, 100 * 1000000};
            nanosleep(&ts, NULL); /* the chain's RPC is not up yet: backoff pacing */
        }
        if (rc)
            return rc;
    }
    return CW_OK;
}

/* ---- create-clients ---------------------------------------------------------------- */

int rly_create_clients(rly_ctx *x, int p, char *err, size_t err_len)
{
    rly_path_cfg *pc = &x->cfg->paths[p];
    for (int e = 0; e < 2; e++) {
        rly_end_cfg *on = &pc->end[e];
        rly_conn *host = &x->conns[on->chain_ix];
        rly_conn *of = &x->conns[pc->end[1 - e].chain_ix];
        if (on->client[0]) {
            printf("path %s: chain %s already has client %s (of %s); kept\n", pc->name,
                   on->chain, on->client, of->cfg->id);
            continue;
        }
        int rc = rly_status(of, err, err_len);
        const cw_light_block *lb;
        if (rc || (rc = rly_lc_verified(of, of->height, &lb, err, err_len)))
            return rc;
        cw_lc_client_state cs;
        if ((rc = cw_lc_client_state_default(&cs, of->cfg->id)))
            return cw_errf(err, err_len, rc, "chain id %s", of->cfg->id);
        cs.trusting_period_ns = x->cfg->trusting_period_s * UINT64_C(1000000000);
        cs.latest_height = lb->signed_header.header.height;
        cw_lc_consensus_state cons;
        cw_lc_consensus_state_of(&cons, &lb->signed_header.header);
        msgs ms = {0};
        cw_enc_init(&ms.m[0]);
        cw_enc_array(&ms.m[0], 2);
        cw_enc_cstr(&ms.m[0], "ibc.create_client");
        cw_enc_array(&ms.m[0], 2);
        cw_lc_client_state_enc(&ms.m[0], &cs);
        cw_lc_consensus_state_enc(&ms.m[0], &cons);
        ms.n = 1;
        rc = tx_and_attr(x, host, &ms, "create_client", "client_id", on->client, err, err_len);
        msgs_free(&ms);
        if (rc)
            return cw_err_prefix(err, err_len, rc, "create_client");
        cw_log(CW_LOG_INFO, "client created path=%s chain=%s client=%s tracks=%s height=%" PRIu64,
               pc->name, on->chain, on->client, of->cfg->id, cs.latest_height);
        printf("path %s: created %s on %s (tracking %s from height %" PRIu64 ")\n", pc->name,
               on->client, on->chain, of->cfg->id, cs.latest_height);
    }
    return CW_OK;
}

/* ---- create-channel ---------------------------------------------------------------- */

static int prove_key(rly_conn *c, const char *key, uint64_t h, uint8_t **v, size_t *vl,
                     uint8_t **proof, size_t *pl, char *err, size_t err_len)
{
    uint64_t at = 0;
    int rc = rly_query(c, key, h, true, v, vl, proof, pl, &at, err, err_len);
    if (rc == CW_OK && at != h) {
        free(*v);
        free(*proof);
        *v = *proof = NULL;
        rc = cw_errf(err, err_len, CW_EBADPROOF, "chain %s: query %s at %" PRIu64 " answered at %"
                     PRIu64, c->cfg->id, key, h, at);
    }
    return rc;
}

/* the handshake proofs from src at h: the channel end, src's client state (bytes) and
 * the consensus state that client stores at its latest height */
typedef struct hs_proofs {
    uint8_t *chan_v, *chan_p, *cs_v, *cs_p, *cons_v, *cons_p;
    size_t chan_vl, chan_pl, cs_vl, cs_pl, cons_vl, cons_pl;
} hs_proofs;

static void hs_free(hs_proofs *h)
{
    free(h->chan_v), free(h->chan_p), free(h->cs_v), free(h->cs_p), free(h->cons_v),
        free(h->cons_p);
    memset(h, 0, sizeof *h);
}

static int hs_collect(rly_conn *src, const rly_end_cfg *end, uint64_t h, bool clients,
                      hs_proofs *o, char *err, size_t err_len)
{
    char key[CW_PATH_MAX];
    memset(o, 0, sizeof *o);
    cw_path_channel_end(key, end->port, end->channel);
    int rc = prove_key(src, key, h, &o->chan_v, &o->chan_vl, &o->chan_p, &o->chan_pl, err,
                       err_len);
    if (rc || !clients)
        return rc;
    cw_path_client_state(key, end->client);
    if ((rc = prove_key(src, key, h, &o->cs_v, &o->cs_vl, &o->cs_p, &o->cs_pl, err, err_len)))
        return rc;
    cw_lc_client_state cs;
    if (!o->cs_v || (rc = cw_lc_client_state_decode(&cs, o->cs_v, o->cs_vl, err, err_len)))
        return rc ? rc : cw_errf(err, err_len, CW_ENOTFOUND, "no client %s", end->client);
    cw_path_consensus_state(key, end->client, cs.latest_height);
    return prove_key(src, key, h, &o->cons_v, &o->cons_vl, &o->cons_p, &o->cons_pl, err,
                     err_len);
}

/* updates of dst's client of src to src's latest verified height; returns the proof height */
static int update_to_latest(rly_ctx *x, rly_conn *src, rly_conn *dst, const char *client_id,
                            msgs *ms, uint64_t *h, char *err, size_t err_len)
{
    int rc = rly_status(src, err, err_len);
    if (rc)
        return rc;
    return add_updates(x, src, dst, client_id, src->height, ms, h, err, err_len);
}

/* The channel end `end` names on c: *state 0 when end has no channel id yet. A configured
 * id the chain does not know is an error (the config names another chain's channel). */
static int chan_end_of(rly_conn *c, const rly_end_cfg *end, cw_channel_end *ce, int *state,
                       char *err, size_t err_len)
{
    memset(ce, 0, sizeof *ce);
    *state = 0;
    if (!end->channel[0])
        return CW_OK;
    char key[CW_PATH_MAX];
    cw_path_channel_end(key, end->port, end->channel);
    uint8_t *v = NULL, *pf = NULL;
    size_t vl, pl;
    uint64_t at;
    int rc = rly_query(c, key, 0, false, &v, &vl, &pf, &pl, &at, err, err_len);
    free(pf);
    if (rc)
        return rc;
    if (!v)
        return cw_errf(err, err_len, CW_ENOTFOUND, "chain %s has no channel %s on port %s "
                       "(the config names it)", c->cfg->id, end->channel, end->port);
    cw_dec d;
    const msgpack_object *root;
    if ((rc = cw_dec_open(&d, &root, v, vl, vl, err, err_len)) == CW_OK) {
        cw_channel_end_dec(&d, root, ce, "channel end");
        rc = d.rc;
    }
    cw_dec_close(&d);
    free(v);
    if (rc == CW_OK)
        *state = ce->state;
    return rc;
}

static const char *chan_state_name(int s)
{
    static const char *const n[] = {"none", "INIT", "TRYOPEN", "OPEN", "CLOSED"};
    return s >= 0 && s <= 4 ? n[s] : "?";
}

/* A handshake step's proofs: dst's client of src taken to src's latest height (updates
 * appended to ms), then the end `proven` on src (with `clients`: its client state and
 * consensus state too) proven at that height (*h). On CW_OK the step's msg `name` with
 * `fields` fields is begun as the next one in ms (*m); on failure ms and hp are freed. */
static int hs_prove(rly_ctx *x, rly_conn *src, rly_conn *dst, const char *dst_client,
                    const rly_end_cfg *proven, bool clients, const char *name, uint32_t fields,
                    msgs *ms, hs_proofs *hp, uint64_t *h, cw_enc **m, char *err,
                    size_t err_len)
{
    int rc;
    if ((rc = update_to_latest(x, src, dst, dst_client, ms, h, err, err_len)) ||
        (rc = hs_collect(src, proven, *h, clients, hp, err, err_len))) {
        msgs_free(ms);
        hs_free(hp);
        return rc;
    }
    *m = &ms->m[ms->n++];
    cw_enc_init(*m);
    cw_msg_begin(*m, name, fields);
    return CW_OK;
}

/* the proofs of a TRY or ACK after its own fields: channel end, client state (value and
 * proof), consensus state, proof height */
static void hs_proofs_enc(cw_enc *m, const hs_proofs *hp, uint64_t h)
{
    cw_enc_bin(m, hp->chan_p, hp->chan_pl);
    cw_enc_bin(m, hp->cs_v, hp->cs_vl);
    cw_enc_bin(m, hp->cs_p, hp->cs_pl);
    cw_enc_bin(m, hp->cons_p, hp->cons_pl);
    cw_enc_u64(m, h);
}

/* one handshake step's tx on c (its attr type.key into out when type), then ms and hp
 * freed; a failure is prefixed with the step's name */
static int hs_send(rly_ctx *x, rly_conn *c, msgs *ms, hs_proofs *hp, const char *step,
                   const char *type, char *out, char *err, size_t err_len)
{
    int rc = tx_and_attr(x, c, ms, type, "channel", out, err, err_len);
    msgs_free(ms);
    hs_free(hp);
    return rc ? cw_err_prefix(err, err_len, rc, step) : CW_OK;
}

/* ICS-04 handshake, one step per pass, the next step read from the two ends' states — so a
 * run cut short (crash, kill, a failed step) is taken up where it stopped by running
 * create-channel again. The ids are written back to the config after each step. */
int rly_create_channel(rly_ctx *x, int p, char *err, size_t err_len)
{
    rly_path_cfg *pc = &x->cfg->paths[p];
    rly_end_cfg *A = &pc->end[0], *B = &pc->end[1];
    rly_conn *ca = &x->conns[A->chain_ix], *cb = &x->conns[B->chain_ix];
    if (!A->client[0] || !B->client[0])
        return cw_errf(err, err_len, CW_ESTATE, "path %s: run create-clients first", pc->name);
    int rc = CW_OK;
    msgs ms = {0};
    hs_proofs hp = {0};
    uint64_t h;
    for (int step = 0;; step++) {
        cw_channel_end ea, eb;
        int sa, sb;
        if (step == 5) { /* four steps open a channel: a fifth pass means the chains differ */
            rc = cw_errf(err, err_len, CW_ESTATE, "path %s: the handshake did not open the "
                         "channel in four steps", pc->name);
            goto out;
        }
        if ((rc = chan_end_of(ca, A, &ea, &sa, err, err_len)) ||
            (rc = chan_end_of(cb, B, &eb, &sb, err, err_len)))
            goto out;
        if ((sb && strcmp(eb.counterparty_channel, A->channel) != 0) ||
            (sa == CW_CHAN_OPEN && strcmp(ea.counterparty_channel, B->channel) != 0)) {
            rc = cw_errf(err, err_len, CW_ESTATE, "path %s: channels %s on %s and %s on %s are "
                         "not each other's counterparty", pc->name, A->channel, A->chain,
                         B->channel, B->chain);
            goto out;
        }
        if (sa == CW_CHAN_OPEN && sb == CW_CHAN_OPEN) {
            if (step == 0)
                printf("path %s: channels %s/%s already open; kept\n", pc->name, A->channel,
                       B->channel);
            else
                cw_log(CW_LOG_INFO, "channel open path=%s %s/%s=%s %s/%s=%s", pc->name,
                       A->chain, A->port, A->channel, B->chain, B->port, B->channel);
            goto out;
        }
        if (sa == 0 && sb == 0) {
            /* 1. INIT on A */
            cw_enc_init(&ms.m[0]);
            cw_msg_begin(&ms.m[0], "ibc.chan_open_init", 6);
            cw_enc_cstr(&ms.m[0], A->port);
            cw_enc_u64(&ms.m[0], pc->ordering);
            cw_enc_cstr(&ms.m[0], B->port);
            cw_enc_cstr(&ms.m[0], A->client);
            cw_enc_cstr(&ms.m[0], B->client);
            cw_enc_cstr(&ms.m[0], pc->version);
            ms.n = 1;
            if ((rc = hs_send(x, ca, &ms, &hp, "chan_open_init", "channel_open_init",
                              A->channel, err, err_len)))
                goto out;
            printf("path %s: %s INIT on %s\n", pc->name, A->channel, A->chain);
        } else if (sa == CW_CHAN_INIT && sb == 0) {
            /* 2. TRY on B, proving A's INIT end and A's client of B */
            cw_enc *m;
            if ((rc = hs_prove(x, ca, cb, B->client, A, true, "ibc.chan_open_try", 13, &ms, &hp,
                               &h, &m, err, err_len)))
                goto out;
            cw_enc_cstr(m, B->port);
            cw_enc_u64(m, pc->ordering);
            cw_enc_cstr(m, A->port);
            cw_enc_cstr(m, A->channel);
            cw_enc_cstr(m, B->client);
            cw_enc_cstr(m, A->client);
            cw_enc_cstr(m, pc->version);
            cw_enc_cstr(m, pc->version);
            hs_proofs_enc(m, &hp, h);
            if ((rc = hs_send(x, cb, &ms, &hp, "chan_open_try", "channel_open_try", B->channel,
                              err, err_len)))
                goto out;
            printf("path %s: %s TRYOPEN on %s\n", pc->name, B->channel, B->chain);
        } else if (sa == CW_CHAN_INIT && sb == CW_CHAN_TRYOPEN) {
            /* 3. ACK on A, proving B's TRYOPEN end and B's client of A */
            cw_enc *m;
            if ((rc = hs_prove(x, cb, ca, A->client, B, true, "ibc.chan_open_ack", 9, &ms, &hp,
                               &h, &m, err, err_len)))
                goto out;
            cw_enc_cstr(m, A->port);
            cw_enc_cstr(m, A->channel);
            cw_enc_cstr(m, B->channel);
            cw_enc_cstr(m, pc->version);
            hs_proofs_enc(m, &hp, h);
            if ((rc = hs_send(x, ca, &ms, &hp, "chan_open_ack", NULL, NULL, err, err_len)))
                goto out;
            printf("path %s: %s OPEN on %s\n", pc->name, A->channel, A->chain);
        } else if (sa == CW_CHAN_OPEN && sb == CW_CHAN_TRYOPEN) {
            /* 4. CONFIRM on B, proving A's OPEN end */
            cw_enc *m;
            if ((rc = hs_prove(x, ca, cb, B->client, A, false, "ibc.chan_open_confirm", 4, &ms,
                               &hp, &h, &m, err, err_len)))
                goto out;
            cw_enc_cstr(m, B->port);
            cw_enc_cstr(m, B->channel);
            cw_enc_bin(m, hp.chan_p, hp.chan_pl);
            cw_enc_u64(m, h);
            if ((rc = hs_send(x, cb, &ms, &hp, "chan_open_confirm", NULL, NULL, err, err_len)))
                goto out;
            printf("path %s: %s OPEN on %s\n", pc->name, B->channel, B->chain);
        } else {
            rc = cw_errf(err, err_len, CW_ESTATE, "path %s: channel %s on %s is %s and %s on %s "
                         "is %s: not a handshake this relayer can continue", pc->name,
                         A->channel[0] ? A->channel : "(none)", A->chain, chan_state_name(sa),
                         B->channel[0] ? B->channel : "(none)", B->chain, chan_state_name(sb));
            goto out;
        }
        char e2[256]; /* the id a step created is on record before the next step starts */
        if (rly_config_save_ids(x->cfg, e2, sizeof e2) != CW_OK)
            cw_log(CW_LOG_WARN, "path %s: %s", pc->name, e2);
        fflush(stdout); /* each step's line, as it happens, for whoever watches */
    }
out:
    msgs_free(&ms);
    hs_free(&hp);
    return rc;
}

/* ---- packet cache ------------------------------------------------------------------ */

static rly_entry *entry(rly_ctx *x, int p, int d, uint64_t seq, bool create)
{
    rly_cache *t = &x->cache[p][d];
    if (!t->e) {
        if (!create)
            return NULL;
        t->e = calloc(RLY_CACHE_MAX, sizeof *t->e);
        if (!t->e)
            return NULL;
    }
    rly_entry *en = &t->e[seq % RLY_CACHE_MAX];
    if (en->seq == seq)
        return en;
    if (!create)
        return NULL;
    free(en->pkt);
    free(en->ack);
    memset(en, 0, sizeof *en);
    en->seq = seq;
    return en;
}

static void put_bytes(uint8_t **dst, size_t *dl, const uint8_t *p, size_t n)
{
    if (*dst)
        return;
    *dst = malloc(n ? n : 1);
    if (*dst) {
        memcpy(*dst, p, n);
        *dl = n;
    }
}

/* one event of chain c (a send_packet or write_acknowledgement) into the caches */
static void note_update(rly_ctx *x, rly_conn *c, const msgpack_object *attrs);

static void cache_event(rly_ctx *x, rly_conn *c, const msgpack_object *ev, uint64_t time_ns)
{
    if (ev->type != MSGPACK_OBJECT_ARRAY || ev->via.array.size != 2)
        return;
    const msgpack_object *ua = event_of(ev, "update_client");
    if (ua) {
        note_update(x, c, ua);
        return;
    }
    bool send = str_eq(&ev->via.array.ptr[0], "send_packet");
    bool wack = !send && str_eq(&ev->via.array.ptr[0], "write_acknowledgement");
    if (!send && !wack)
        return;
    const msgpack_object *attrs = &ev->via.array.ptr[1];
    const msgpack_object *pk = attr_of(attrs, "packet"), *ak = attr_of(attrs, "ack");
    if (ak && ak->type != MSGPACK_OBJECT_BIN)
        ak = NULL;
    if (!pk || pk->type != MSGPACK_OBJECT_BIN)
        return;
    cw_dec d;
    const msgpack_object *root;
    if (cw_dec_open(&d, &root, (const uint8_t *)pk->via.bin.ptr, pk->via.bin.size, 1 << 16,
                    NULL, 0) != CW_OK) {
        cw_dec_close(&d);
        return;
    }
    cw_packet p;
    cw_packet_dec(&d, root, &p, "packet");
    if (d.rc == CW_OK) {
        for (int pi = 0; pi < x->cfg->n_paths; pi++) {
            rly_path_cfg *pc = &x->cfg->paths[pi];
            for (int dir = 0; dir < 2; dir++) {
                rly_end_cfg *s = &pc->end[dir], *t = &pc->end[1 - dir];
                if (strcmp(p.source_port, s->port) || strcmp(p.source_channel, s->channel) ||
                    strcmp(p.dest_port, t->port) || strcmp(p.dest_channel, t->channel))
                    continue;
                if (send && c->ix != s->chain_ix)
                    continue;
                if (wack && c->ix != t->chain_ix)
                    continue;
                rly_entry *en = entry(x, pi, dir, p.sequence, true);
                if (!en)
                    continue;
                put_bytes(&en->pkt, &en->pkt_len, (const uint8_t *)pk->via.bin.ptr,
                          pk->via.bin.size);
                if (send && !en->sent_ns)
                    en->sent_ns = time_ns;
                if (wack && ak) {
                    put_bytes(&en->ack, &en->ack_len, (const uint8_t *)ak->via.bin.ptr,
                              ak->via.bin.size);
                    if (!en->acked_ns)
                        en->acked_ns = time_ns;
                }
            }
        }
    }
    cw_dec_close(&d);
}

static void cache_events(rly_ctx *x, rly_conn *c, const msgpack_object *events, uint64_t t)
{
    if (events->type != MSGPACK_OBJECT_ARRAY)
        return;
    for (uint32_t i = 0; i < events->via.array.size; i++)
        cache_event(x, c, &events->via.array.ptr[i], t);
}

static void cursor_key(char *key, size_t n, const char *path, const char *chain)
{
    snprintf(key, n, "cursor/%s/%s", path, chain);
}

static void set_cursors(rly_ctx *x, rly_conn *c, uint64_t h)
{
    for (int p = 0; x->db && p < x->cfg->n_paths; p++)
        for (int e = 0; e < 2; e++)
            if (x->cfg->paths[p].end[e].chain_ix == c->ix) {
                char key[256];
                cursor_key(key, sizeof key, x->cfg->paths[p].name, c->cfg->id);
                (void)rly_db_put_u64(x->db, key, h);
            }
}

/* block_results of the heights missed since the cursor (bounded), into the caches */
#define GAP_MAX 2000u
static int fill_gap(rly_ctx *x, rly_conn *c, char *err, size_t err_len)
{
    int rc = rly_status(c, err, err_len);
    if (rc)
        return rc;
    uint64_t from = UINT64_MAX;
    for (int p = 0; x->db && p < x->cfg->n_paths; p++) {
        char key[256];
        uint64_t v;
        cursor_key(key, sizeof key, x->cfg->paths[p].name, c->cfg->id);
        if (rly_db_get_u64(x->db, key, &v) == CW_OK && v + 1 < from)
            from = v + 1;
    }
    if (from == UINT64_MAX || from > c->height)
        from = c->height > GAP_MAX ? c->height - GAP_MAX : 1;
    if (c->height - from > GAP_MAX)
        from = c->height - GAP_MAX; /* older packets come from the chain queries alone */
    uint64_t filled = 0;
    for (uint64_t h = from; h <= c->height; h++) {
        cw_enc par;
        cw_enc_init(&par);
        cw_enc_array(&par, 1);
        cw_enc_u64(&par, h);
        cw_dec d;
        const msgpack_object *root;
        uint8_t *buf;
        rc = rly_call(c, "block_results", &par, &d, &root, &buf, err, err_len);
        cw_enc_free(&par);
        if (rc == CW_OK) {
            const msgpack_object *f = cw_dec_array(&d, root, 2, "block_results");
            if (d.rc == CW_OK && f[1].type == MSGPACK_OBJECT_ARRAY)
                for (uint32_t i = 0; i < f[1].via.array.size; i++) {
                    const msgpack_object *t = &f[1].via.array.ptr[i];
                    if (t->type == MSGPACK_OBJECT_ARRAY && t->via.array.size == 3 &&
                        t->via.array.ptr[2].type == MSGPACK_OBJECT_ARRAY &&
                        t->via.array.ptr[2].via.array.size == 4)
                        cache_events(x, c, &t->via.array.ptr[2].via.array.ptr[2], 0);
                }
        }
        cw_dec_close(&d);
        free(buf);
        if (rc == CW_ENOTFOUND) {
            rc = CW_OK;
            continue;
        }
        if (rc)
            return rc;
        filled++;
    }
    set_cursors(x, c, c->height);
    if (filled)
        cw_log(CW_LOG_INFO, "gap filled chain=%s from=%" PRIu64 " to=%" PRIu64, c->cfg->id, from,
               c->height);
    return CW_OK;
}

/* ---- in-flight txs ----------------------------------------------------------------- */

static void inflight_key(char *key, size_t n, const rly_inflight *f, const char *chain)
{
    char hex[65];
    cw_hex_encode(hex, sizeof hex, f->hash, 32);
    snprintf(key, n, "sub/%s/%s", chain, hex);
}

static void inflight_persist(rly_ctx *x, const rly_inflight *f)
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
    if (e.rc == CW_OK)
        (void)rly_db_put(x->db, key, cw_enc_data(&e), cw_enc_len(&e));
    cw_enc_free(&e);
}

static void mark(rly_ctx *x, const rly_inflight *f, bool on)
{
    for (size_t i = 0; i < f->n; i++) {
        rly_entry *en = entry(x, f->path, f->dir, f->seqs[i], on);
        if (!en)
            continue;
        if (on)
            en->inflight |= (uint8_t)(1u << f->kind);
        else
            en->inflight &= (uint8_t)~(1u << f->kind);
    }
}

static void inflight_remove(rly_ctx *x, size_t i)
{
    rly_inflight *f = &x->inflight[i];
    mark(x, f, false);
    if (x->db) {
        char key[256];
        inflight_key(key, sizeof key, f, x->cfg->chains[f->chain].id);
        (void)rly_db_del(x->db, key);
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
                f.submitted_ms = rly_now_ms();
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

static const char *const landed_ev[RLY_K_N] = {"recv_packet", "acknowledge_packet",
                                               "timeout_packet"};
static const char *const redundant_ev[RLY_K_N] = {"recv_packet_redundant",
                                                  "acknowledge_packet_redundant",
                                                  "timeout_packet_redundant"};

/* The chain's answers to broadcasts sent without waiting: admitted → settled later from
 * tx_status; refused → the record goes (its packets are relayed again from chain state) and
 * the nonce is re-read. Never waits. */
static void check_broadcasts(rly_ctx *x)
{
    char err[512];
    uint64_t now = rly_now_ms();
    for (size_t i = 0; i < x->n_inflight;) {
        rly_inflight *f = &x->inflight[i];
        rly_conn *c = &x->conns[f->chain];
        if (!f->bcast_id) {
            i++;
            continue;
        }
        int rc;
        if (f->conn_gen != c->connects || !c->cl)
            rc = CW_ECLOSED;
        else
            rc = rly_broadcast_result(c, f->bcast_id, 0, err, sizeof err);
        if (rc == CW_OK || rc == CW_ECLOSED) {
            /* admitted, or the answer was lost with the connection: tx_status tells */
            f->bcast_id = 0;
            i++;
            continue;
        }
        if (rc == CW_ETIMEOUT && now - f->submitted_ms <= INFLIGHT_STALE_MS) {
            i++;
            continue;
        }
        if (rc == CW_ETIMEOUT) {
            cw_rpc_call_forget(c->cl, f->bcast_id);
            snprintf(err, sizeof err, "no answer to broadcast_tx within %u ms", INFLIGHT_STALE_MS);
            c->nonce_known = false;
        }
        RLY_M_ADD(tx_failures, 1);
        cw_log(CW_LOG_WARN, "tx refused path=%s chain=%s kind=%s msgs=%zu reason=\"%s\" (its "
               "packets are relayed again from chain state)", x->cfg->paths[f->path].name,
               c->cfg->id, kind_name[f->kind], f->n, err);
        inflight_remove(x, i);
    }
}

/* one committed tx's outcome into the metrics, the caches and the log */
static void settle(rly_ctx *x, const rly_inflight *f, const rly_txres *r, uint64_t now)
{
    rly_conn *c = &x->conns[f->chain];
    const char *path = x->cfg->paths[f->path].name;
    if (r->code == 0) {
        uint32_t landed = rly_txres_count(r, landed_ev[f->kind]);
        uint32_t redundant = rly_txres_count(r, redundant_ev[f->kind]);
        RLY_M_ADD(relayed[f->kind], landed);
        RLY_M_ADD(redundant, redundant);
        RLY_M_ADD(client_updates, f->n_updates);
        uint64_t now_ns = rly_now_ns();
        for (size_t k = 0; k < f->n; k++) {
            rly_entry *en = entry(x, f->path, f->dir, f->seqs[k], false);
            uint64_t t0 = en ? (f->kind == RLY_K_ACK ? en->acked_ns : en->sent_ns) : 0;
            if (t0 && now_ns > t0 && f->kind != RLY_K_TIMEOUT)
                rly_metrics_observe_latency((double)(now_ns - t0) / 1e9);
            if (en && f->kind != RLY_K_RECV) { /* the packet's life is over: */
                free(en->pkt);                 /* keep the cache small */
                free(en->ack);
                memset(en, 0, sizeof *en);
            }
        }
        cw_log(CW_LOG_DEBUG, "tx landed path=%s chain=%s kind=%s height=%" PRIu64
               " msgs=%zu landed=%u redundant=%u", path, c->cfg->id, kind_name[f->kind],
               r->height, f->n, landed, redundant);
        if (redundant)
            cw_log(CW_LOG_INFO, "redundant relays path=%s chain=%s kind=%s count=%u "
                   "(another relayer won)", path, c->cfg->id, kind_name[f->kind], redundant);
        return;
    }
    RLY_M_ADD(tx_failures, 1);
    int64_t idx = r->failed_msg - (int64_t)f->n_updates;
    if (r->failed_msg >= 0 && idx >= 0 && (size_t)idx < f->n) {
        RLY_M_ADD(msg_failures, 1);
        uint64_t seq = f->seqs[idx];
        rly_entry *en = entry(x, f->path, f->dir, seq, true);
        if (en)
            en->retry_after_ms = now + RETRY_FAILED_MS;
        cw_log(CW_LOG_WARN, "msg failed, dropped from the batch path=%s chain=%s "
               "kind=%s sequence=%" PRIu64 " height=%" PRIu64 " code=%" PRId64
               " log=\"%s\"", path, c->cfg->id, kind_name[f->kind], seq, r->height, r->code,
               r->log);
    } else {
        cw_log(CW_LOG_WARN, "tx failed path=%s chain=%s kind=%s height=%" PRIu64
               " msg=%" PRId64 " code=%" PRId64 " log=\"%s\"", path, c->cfg->id,
               kind_name[f->kind], r->height, r->failed_msg, r->code, r->log);
    }
}

/* Settle in-flight txs: each admitted tx is looked up (tx_status, all lookups pipelined)
 * once per new block of its chain — a tx lands only in a new block. */
static void check_inflight(rly_ctx *x)
{
    char err[512];
    uint64_t now = rly_now_ms();
    check_broadcasts(x);
    for (size_t i = 0; i < x->n_inflight; i++) {
        rly_inflight *f = &x->inflight[i];
        rly_conn *c = &x->conns[f->chain];
        f->status_id = 0;
        if (f->bcast_id ||
            (c->height <= f->checked_height && now - f->submitted_ms <= INFLIGHT_STALE_MS))
            continue;
        if (rly_tx_result_send(c, f->hash, &f->status_id, err, sizeof err) == CW_OK)
            f->checked_height = c->height;
    }
    for (size_t i = 0; i < x->n_inflight;) {
        rly_inflight *f = &x->inflight[i];
        rly_conn *c = &x->conns[f->chain];
        if (!f->status_id) {
            i++;
            continue;
        }
        rly_txres r;
        int rc = rly_tx_result_take(c, f->status_id, &r, err, sizeof err);
        f->status_id = 0;
        if (rc == CW_OK) {
            settle(x, f, &r, now);
            inflight_remove(x, i);
            continue;
        }
        if (rc == CW_ENOTFOUND && now - f->submitted_ms > INFLIGHT_STALE_MS) {
            cw_log(CW_LOG_WARN, "tx not committed, giving up on it path=%s chain=%s kind=%s "
                   "msgs=%zu (will resubmit from chain state)", x->cfg->paths[f->path].name,
                   c->cfg->id, kind_name[f->kind], f->n);
            c->nonce_known = false;
            inflight_remove(x, i);
            continue;
        }
        i++;
    }
}

static size_t inflight_on(const rly_ctx *x, int chain)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n_inflight; i++)
        n += x->inflight[i].chain == chain;
    return n;
}

static int submit(rly_ctx *x, rly_conn *c, msgs *ms, int p, int d, int kind,
                  const uint64_t *seqs, size_t n, char *err, size_t err_len)
{
    if (x->n_inflight >= RLY_INFLIGHT_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "too many txs in flight");
    rly_inflight f = {0};
    int rc = msgs_send_async(c, ms, f.hash, &f.bcast_id, err, err_len);
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
    for (uint64_t t0 = rly_now_ms(); c->cl && cw_rpc_client_outbound_bytes(c->cl) > RLY_OUT_BYTES &&
                                     rly_now_ms() - t0 < c->timeout_ms;)
        (void)cw_rpc_client_poll(c->cl, 5);
    f.upd_to = ms->upd_to;
    f.upd_end = ms->upd_end;
    f.path = p;
    f.dir = d;
    f.kind = kind;
    f.chain = c->ix;
    f.n_updates = ms->n_updates;
    f.submitted_ms = rly_now_ms();
    f.checked_height = c->height;
    f.seqs = malloc((n ? n : 1) * sizeof *f.seqs);
    if (!f.seqs)
        return -ENOMEM;
    if (n)
        memcpy(f.seqs, seqs, n * sizeof *seqs);
    f.n = n;
    x->inflight[x->n_inflight++] = f;
    mark(x, &f, true);
    inflight_persist(x, &f);
    cw_log(CW_LOG_DEBUG, "tx submitted path=%s chain=%s kind=%s msgs=%zu first_sequence=%" PRIu64,
           x->cfg->paths[p].name, c->cfg->id, kind_name[kind], n, n ? seqs[0] : 0);
    return CW_OK;
}

/* ---- one direction of one path ----------------------------------------------------- */

static int get_packet(rly_ctx *x, rly_conn *src, int p, int d, uint64_t seq, rly_entry **out,
                      char *err, size_t err_len)
{
    const rly_end_cfg *s = &x->cfg->paths[p].end[d];
    rly_entry *en = entry(x, p, d, seq, true);
    *out = NULL;
    if (!en)
        return -ENOMEM;
    if (!en->pkt) {
        uint8_t *b;
        size_t n;
        int rc = call_bin3(src, "packet", s->port, s->channel, seq, &b, &n, err, err_len);
        if (rc)
            return rc;
        /* the bytes come from an RPC index: they must be the committed packet (checked by
         * the commitment proof on the destination anyway; check here to not waste a tx) */
        en->pkt = b;
        en->pkt_len = n;
    }
    *out = en;
    return CW_OK;
}

static int decode_packet(const rly_entry *en, cw_packet *pk, cw_dec *d)
{
    const msgpack_object *root;
    int rc = cw_dec_open(d, &root, en->pkt, en->pkt_len, 1 << 16, NULL, 0);
    if (rc == CW_OK) {
        cw_packet_dec(d, root, pk, "packet");
        rc = d->rc;
    }
    return rc;
}

static uint64_t seqs_buf_a[RLY_LIST_MAX], seqs_buf_b[RLY_LIST_MAX];

/* The packets of seqs[0..n) of one direction into the cache: those not there yet (no
 * send_packet event seen) come from the source's packet index, RLY_PACKETS_MAX per call. */
static int fetch_packets(rly_ctx *x, rly_conn *src, int p, int d, const uint64_t *seqs, size_t n,
                         char *err, size_t err_len)
{
    static uint64_t miss[RLY_LIST_MAX];
    static uint8_t *pk[RLY_PACKETS_MAX];
    static size_t pl[RLY_PACKETS_MAX];
    const rly_end_cfg *S = &x->cfg->paths[p].end[d];
    size_t nm = 0;
    for (size_t i = 0; i < n && nm < RLY_LIST_MAX; i++) {
        rly_entry *en = entry(x, p, d, seqs[i], true);
        if (!en)
            return -ENOMEM;
        if (!en->pkt)
            miss[nm++] = seqs[i];
    }
    for (size_t off = 0; off < nm; off += RLY_PACKETS_MAX) {
        size_t k = nm - off < RLY_PACKETS_MAX ? nm - off : RLY_PACKETS_MAX;
        int rc = rly_packets(src, S->port, S->channel, miss + off, k, pk, pl, err, err_len);
        if (rc)
            return rc;
        for (size_t i = 0; i < k; i++) {
            rly_entry *en = entry(x, p, d, miss[off + i], true);
            if (en && !en->pkt && pk[i]) {
                en->pkt = pk[i];
                en->pkt_len = pl[i];
            } else {
                free(pk[i]);
            }
        }
    }
    return CW_OK;
}

/* The height proofs from src are taken at for the client of path end `ce` (on dst, tracking
 * src), bringing that client up to `want` first. The MsgUpdateClients go in a tx of their
 * own, ahead of the packet txs that rely on them (one signer's txs land in nonce order), so a
 * packet msg that fails never takes the update — or the other batches — down with it. An
 * update already in flight to at least `want` is relied on, not sent again. */
static int prepare_client(rly_ctx *x, int p, int d, int ce, int kind, rly_conn *src,
                          rly_conn *dst, uint64_t want, uint64_t *ph, char *err, size_t err_len)
{
    for (size_t i = 0; i < x->n_inflight; i++) {
        const rly_inflight *f = &x->inflight[i];
        if (f->chain == dst->ix && f->path == p && f->upd_end == ce && f->upd_to >= want) {
            *ph = f->upd_to;
            return CW_OK;
        }
    }
    msgs ms = {0};
    int rc = add_updates(x, src, dst, x->cfg->paths[p].end[ce].client, want, &ms, ph, err,
                         err_len);
    if (rc == CW_OK && ms.n) {
        ms.upd_end = ce;
        rc = submit(x, dst, &ms, p, d, kind, NULL, 0, err, err_len);
    }
    msgs_free(&ms);
    return rc;
}

/* RecvPackets for seqs[0..n) on dst, proofs from src at one height: one tx per batch of
 * batch_size, up to `budget` txs; the proofs of the next batch are asked for (query_many)
 * before the current batch's tx is built, so the source works while the relayer signs. */
static int relay_recvs(rly_ctx *x, int p, int d, const uint64_t *seqs, size_t n, size_t budget,
                       rly_progress *pr, char *err, size_t err_len)
{
    rly_path_cfg *pc = &x->cfg->paths[p];
    const rly_end_cfg *S = &pc->end[d];
    rly_conn *src = &x->conns[S->chain_ix], *dst = &x->conns[pc->end[1 - d].chain_ix];
    static rly_qreq q[2][CW_TX_MAX_MSGS];
    size_t bs = x->cfg->batch_size < CW_TX_MAX_MSGS ? x->cfg->batch_size : CW_TX_MAX_MSGS;
    size_t nb = (n + bs - 1) / bs;
    if (nb > budget)
        nb = budget;
    if (nb == 0)
        return CW_OK;
    uint64_t ph;
    int rc = rly_status(src, err, err_len);
    if (!rc)
        rc = prepare_client(x, p, d, 1 - d, RLY_K_RECV, src, dst, src->height, &ph, err, err_len);
    if (rc)
        return rc;
    uint32_t ids[2] = {0, 0};
    size_t len[2] = {0, 0};
    for (size_t b = 0; b <= nb && rc == CW_OK; b++) {
        /* ask for batch b's proofs, then build batch b - 1's tx */
        if (b < nb) {
            rly_qreq *qb = q[b % 2];
            size_t off = b * bs;
            len[b % 2] = n - off < bs ? n - off : bs;
            for (size_t i = 0; i < len[b % 2]; i++) {
                cw_path_packet(qb[i].key, "commitments", S->port, S->channel, seqs[off + i]);
                qb[i].seq = seqs[off + i];
            }
            if ((rc = rly_proofs_send(src, qb, len[b % 2], ph, &ids[b % 2], err, err_len)))
                break;
        }
        if (b == 0)
            continue;
        rly_qreq *qp = q[(b - 1) % 2];
        size_t take = len[(b - 1) % 2];
        uint64_t tq = rly_now_ms();
        rc = rly_proofs_take(src, ids[(b - 1) % 2], qp, take, ph, err, err_len);
        ids[(b - 1) % 2] = 0;
        if (rc) {
            rly_qreq_free(qp, take);
            break;
        }
        cw_log(CW_LOG_DEBUG, "proofs queried chain=%s count=%zu ms=%llu", src->cfg->id, take,
               (unsigned long long)(rly_now_ms() - tq));
        msgs ms = {0};
        uint64_t in_tx[CW_TX_MAX_MSGS];
        size_t k = 0;
        for (size_t i = 0; rc == CW_OK && i < take && ms.bytes < TX_BYTES_SOFT; i++) {
            rly_entry *en;
            if (!qp[i].val) /* acked or timed out meanwhile */
                continue;
            if ((rc = get_packet(x, src, p, d, qp[i].seq, &en, err, err_len)))
                break;
            cw_enc *m = &ms.m[ms.n++];
            cw_enc_init(m);
            cw_msg_begin(m, "ibc.recv_packet", 3);
            cw_enc_raw(m, en->pkt, en->pkt_len);
            cw_enc_bin(m, qp[i].proof, qp[i].proof_len);
            cw_enc_u64(m, ph);
            ms.bytes += cw_enc_len(m);
            in_tx[k++] = qp[i].seq;
        }
        rly_qreq_free(qp, take);
        if (k && rc == CW_OK)
            rc = submit(x, dst, &ms, p, d, RLY_K_RECV, in_tx, k, err, err_len);
        msgs_free(&ms);
        if (rc == CW_OK && pr)
            pr->submitted += k;
    }
    /* a batch whose proofs were asked for and not taken (an error above): drop its answer */
    for (int i = 0; i < 2; i++)
        if (ids[i] && src->cl)
            cw_rpc_call_forget(src->cl, ids[i]);
    return rc;
}

/* An ORDERED channel whose source end a timeout closed: ChanCloseConfirm on the destination
 * (ICS-04), proving the CLOSED end; nothing else moves on it. */
static int close_confirm(rly_ctx *x, int p, int d, char *err, size_t err_len)
{
    rly_path_cfg *pc = &x->cfg->paths[p];
    const rly_end_cfg *S = &pc->end[d], *D = &pc->end[1 - d];
    rly_conn *src = &x->conns[S->chain_ix], *dst = &x->conns[D->chain_ix];
    cw_channel_end de;
    int ds;
    int rc = chan_end_of(dst, D, &de, &ds, err, err_len);
    if (rc || ds == CW_CHAN_CLOSED)
        return rc;
    msgs ms = {0};
    hs_proofs hp = {0};
    uint64_t h;
    cw_enc *m;
    if ((rc = hs_prove(x, src, dst, D->client, S, false, "ibc.chan_close_confirm", 4, &ms, &hp,
                       &h, &m, err, err_len)))
        return rc;
    cw_enc_cstr(m, D->port);
    cw_enc_cstr(m, D->channel);
    cw_enc_bin(m, hp.chan_p, hp.chan_pl);
    cw_enc_u64(m, h);
    if ((rc = hs_send(x, dst, &ms, &hp, "chan_close_confirm", NULL, NULL, err, err_len)) == CW_OK)
        cw_log(CW_LOG_INFO, "channel closed path=%s chain=%s channel=%s (its counterparty %s "
               "on %s was closed by an ordered timeout)", pc->name, D->chain, D->channel,
               S->channel, S->chain);
    return rc;
}

static int relay_dir(rly_ctx *x, int p, int d, rly_progress *pr, char *err, size_t err_len)
{
    rly_path_cfg *pc = &x->cfg->paths[p];
    const rly_end_cfg *S = &pc->end[d], *D = &pc->end[1 - d];
    rly_conn *src = &x->conns[S->chain_ix], *dst = &x->conns[D->chain_ix];
    uint64_t *seqs = seqs_buf_a, *unrecv = seqs_buf_b;
    size_t n = 0, nu = 0;
    const bool ordered = pc->ordering == CW_ORDER_ORDERED;
    if (ordered) { /* a timeout closes an ordered channel: then only the close is relayed */
        cw_channel_end se;
        int ss;
        int rc = chan_end_of(src, S, &se, &ss, err, err_len);
        if (rc || ss == CW_CHAN_CLOSED)
            return rc ? rc : close_confirm(x, p, d, err, err_len);
    }
    int rc = call_list(src, "packet_commitments", S->port, S->channel, NULL, 0, false, seqs, &n,
                       err, err_len);
    if (rc)
        return rc;
    RLY_M_SET(pending[p][d], n);
    RLY_M_SET(oldest_pending[p][d], n ? seqs[0] : 0);
    if (pr)
        pr->pending += n;
    if (n == 0)
        return CW_OK;
    if ((rc = call_list(dst, "unreceived_packets", D->port, D->channel, seqs, n, true, unrecv,
                        &nu, err, err_len)))
        return rc;
    if ((rc = fetch_packets(x, src, p, d, unrecv, nu, err, err_len)))
        return rc;
    uint64_t now = rly_now_ms();
    /* classify: recv, timeout (unreceived) and ack (received, still committed) */
    /* one tick takes up to max_inflight batches per kind (bounded by RLY_TICK_MAX) */
    static uint64_t recv_s[RLY_TICK_MAX], to_s[RLY_TICK_MAX], ack_s[RLY_TICK_MAX];
    size_t nr = 0, nt = 0, na = 0;
    size_t budget = x->cfg->max_inflight;
    size_t bs = x->cfg->batch_size;
    size_t cap = bs * budget < RLY_TICK_MAX ? bs * budget : RLY_TICK_MAX;
    size_t on_dst = inflight_on(x, dst->ix), on_src = inflight_on(x, src->ix);
    if ((rc = rly_status(dst, err, err_len)))
        return rc;
    bool timeout_ahead = false; /* ordered: an earlier packet times out (or is being) */
    size_t ui = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t seq = seqs[i];
        bool received = true;
        while (ui < nu && unrecv[ui] < seq)
            ui++;
        if (ui < nu && unrecv[ui] == seq)
            received = false;
        rly_entry *en = entry(x, p, d, seq, false);
        if (en && (en->inflight || en->retry_after_ms > now)) {
            timeout_ahead |= ordered && (en->inflight & (1u << RLY_K_TIMEOUT));
            continue;
        }
        if (!received) {
            if (nr >= cap && nt >= cap)
                continue;
            if ((rc = get_packet(x, src, p, d, seq, &en, err, err_len)))
                return rc;
            cw_dec dd;
            cw_packet pk;
            rc = decode_packet(en, &pk, &dd);
            bool timed_out = rc == CW_OK && cw_packet_timed_out(&pk, dst->height, dst->time_ns);
            cw_dec_close(&dd);
            if (rc) {
                cw_log(CW_LOG_WARN, "undecodable packet path=%s chain=%s sequence=%" PRIu64,
                       pc->name, src->cfg->id, seq);
                en->retry_after_ms = now + RETRY_FAILED_MS;
                rc = CW_OK;
                continue;
            }
            timeout_ahead |= ordered && timed_out;
            if (timed_out && nt < cap)
                to_s[nt++] = seq;
            else if (!timed_out && nr < cap && !timeout_ahead)
                recv_s[nr++] = seq; /* ordered: nothing after a timeout, which closes it */
        } else if (na < cap) {
            ack_s[na++] = seq;
        }
    }
    if (pr)
        pr->unreceived += nu;

    /* RecvPackets on dst, proofs from src */
    if (nr && on_dst < budget &&
        (rc = relay_recvs(x, p, d, recv_s, nr, budget - on_dst, pr, err, err_len)))
        return rc;

    /* Acknowledgements and Timeouts on src, proofs from dst */
    static rly_qreq q[CW_TX_MAX_MSGS];
    for (int kind = RLY_K_ACK; kind <= RLY_K_TIMEOUT; kind++) {
        uint64_t *list = kind == RLY_K_ACK ? ack_s : to_s;
        size_t nl = kind == RLY_K_ACK ? na : nt;
        size_t done = 0;
        if (nl == 0)
            continue;
        uint64_t ph;
        if ((rc = prepare_client(x, p, d, d, kind, dst, src, dst->height, &ph, err, err_len)))
            return rc;
        const cw_light_block *plb;
        if ((rc = rly_lc_verified(dst, ph, &plb, err, err_len)))
            return rc;
        uint64_t ph_time = plb->signed_header.header.time_ns;
        on_src = inflight_on(x, src->ix);
        while (done < nl && on_src < budget) {
            msgs ms = {0};
            size_t take = 0, scanned = 0;
            for (; done + scanned < nl && take < bs && take < CW_TX_MAX_MSGS; scanned++) {
                uint64_t seq = list[done + scanned];
                rly_entry *en;
                if ((rc = get_packet(x, src, p, d, seq, &en, err, err_len)))
                    break;
                if (kind == RLY_K_ACK) {
                    if (!en->ack) {
                        uint8_t *b;
                        size_t bl;
                        rc = call_bin3(dst, "ack", D->port, D->channel, seq, &b, &bl, err,
                                       err_len);
                        if (rc == CW_ENOTFOUND) { /* no ack written (yet) */
                            rc = CW_OK;
                            continue;
                        }
                        if (rc)
                            break;
                        en->ack = b;
                        en->ack_len = bl;
                    }
                    cw_path_packet(q[take].key, "acks", D->port, D->channel, seq);
                } else {
                    cw_dec dd;
                    cw_packet pk;
                    bool ok = decode_packet(en, &pk, &dd) == CW_OK &&
                              cw_packet_timed_out(&pk, ph, ph_time);
                    cw_dec_close(&dd);
                    if (!ok) /* not yet timed out at the proof height */
                        continue;
                    /* ICS-04: unordered proves the receipt absent; ordered proves
                     * nextSequenceRecv ≤ seq, and the first such timeout closes the channel */
                    if (ordered)
                        cw_path_next_seq(q[take].key, "nextSequenceRecv", D->port, D->channel);
                    else
                        cw_path_packet(q[take].key, "receipts", D->port, D->channel, seq);
                }
                q[take].seq = seq;
                take++;
                if (ordered && kind == RLY_K_TIMEOUT) {
                    scanned = nl - done; /* the rest wait: the channel closes */
                    break;
                }
            }
            done += scanned;
            if (rc == CW_OK && take)
                rc = rly_query_many(dst, q, take, ph, err, err_len);
            uint64_t in_tx[CW_TX_MAX_MSGS];
            size_t k = 0;
            for (size_t i = 0; rc == CW_OK && i < take; i++) {
                uint64_t next_recv = 0;
                bool usable = kind == RLY_K_ACK ? q[i].val != NULL : q[i].val == NULL;
                if (kind == RLY_K_TIMEOUT && ordered) {
                    usable = q[i].val && q[i].val_len == 8 &&
                             (next_recv = cw_be64_get(q[i].val)) <= q[i].seq;
                }
                if (!usable) /* ack not provable yet / received after all */
                    continue;
                rly_entry *en = entry(x, p, d, q[i].seq, false);
                if (!en || !en->pkt || (kind == RLY_K_ACK && !en->ack))
                    continue;
                cw_enc *m = &ms.m[ms.n++];
                cw_enc_init(m);
                if (kind == RLY_K_ACK) {
                    cw_msg_begin(m, "ibc.acknowledgement", 4);
                    cw_enc_raw(m, en->pkt, en->pkt_len);
                    cw_enc_bin(m, en->ack, en->ack_len);
                    cw_enc_bin(m, q[i].proof, q[i].proof_len);
                    cw_enc_u64(m, ph);
                } else {
                    cw_msg_begin(m, "ibc.timeout", 4);
                    cw_enc_raw(m, en->pkt, en->pkt_len);
                    cw_enc_bin(m, q[i].proof, q[i].proof_len);
                    cw_enc_u64(m, ph);
                    cw_enc_u64(m, next_recv); /* 0 and unused on unordered channels */
                }
                ms.bytes += cw_enc_len(m);
                in_tx[k++] = q[i].seq;
            }
            rly_qreq_free(q, take);
            if (k && rc == CW_OK)
                rc = submit(x, src, &ms, p, d, kind, in_tx, k, err, err_len);
            msgs_free(&ms);
            if (rc)
                return rc;
            if (k) {
                on_src++;
                if (pr)
                    pr->submitted += k;
            }
            if (!scanned)
                break;
        }
    }
    return CW_OK;
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
        for (int d = 0; d < 2; d++) {
            char e[512] = "";
            uint64_t t1 = rly_now_ms();
            int rc = relay_dir(x, p, d, pr, e, sizeof e);
            cw_log(CW_LOG_DEBUG, "relay step path=%s src=%s ms=%llu", pc->name, pc->end[d].chain,
                   (unsigned long long)(rly_now_ms() - t1));
            if (rc) {
                cw_log(CW_LOG_WARN, "relay step failed path=%s src=%s rc=%s reason=\"%s\"",
                       pc->name, pc->end[d].chain, cw_strerror(rc), e);
                if (first == CW_OK) {
                    first = rc;
                    cw_errf(err, err_len, rc, "%s", e);
                }
            }
        }
    }
    /* settle in-flight txs after relaying what is new: lookups of big txs must not delay
     * fresh packets (in-flight marks already keep them from being submitted twice) */
    uint64_t t0 = rly_now_ms();
    check_inflight(x);
    cw_log(CW_LOG_DEBUG, "inflight check txs=%zu ms=%llu", x->n_inflight,
           (unsigned long long)(rly_now_ms() - t0));
    if (pr)
        pr->inflight = x->n_inflight;
    RLY_M_SET(last_tick_ms, rly_now_ms());
    return first;
}

/* ---- misbehaviour ------------------------------------------------------------------ */

#define EVIDENCE_SCAN_MAX 2000u

/* The UpdateHeader that stored `height` in client_id on host: found through the
 * update_client event, decoded from the tx that carried it (scanning back from the tip). */
static int find_update_header(rly_conn *host, const char *client_id, uint64_t height,
                              cw_update_header *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    int rc = rly_status(host, err, err_len);
    if (rc)
        return rc;
    uint64_t lo = host->height > EVIDENCE_SCAN_MAX ? host->height - EVIDENCE_SCAN_MAX : 1;
    for (uint64_t h = host->height; h >= lo && h > 0; h--) {
        cw_enc par;
        cw_enc_init(&par);
        cw_enc_array(&par, 1);
        cw_enc_u64(&par, h);
        cw_dec d;
        const msgpack_object *root;
        uint8_t *buf;
        rc = rly_call(host, "block_results", &par, &d, &root, &buf, err, err_len);
        cw_enc_free(&par);
        bool found = false;
        if (rc == CW_OK) {
            const msgpack_object *f = cw_dec_array(&d, root, 2, "block_results");
            for (uint32_t i = 0; d.rc == CW_OK && f[1].type == MSGPACK_OBJECT_ARRAY &&
                                 i < f[1].via.array.size && !found; i++) {
                const msgpack_object *t = &f[1].via.array.ptr[i];
                if (t->type != MSGPACK_OBJECT_ARRAY || t->via.array.size != 3 ||
                    t->via.array.ptr[1].type != MSGPACK_OBJECT_BIN ||
                    t->via.array.ptr[2].type != MSGPACK_OBJECT_ARRAY ||
                    t->via.array.ptr[2].via.array.size != 4)
                    continue;
                const msgpack_object *evs = &t->via.array.ptr[2].via.array.ptr[2];
                bool hit = false;
                for (uint32_t k = 0; evs->type == MSGPACK_OBJECT_ARRAY && k < evs->via.array.size;
                     k++) {
                    const msgpack_object *a = event_of(&evs->via.array.ptr[k], "update_client");
                    uint64_t eh;
                    char id[CW_ID_MAX + 1];
                    if (a && u64_attr(a, "height", &eh) && eh == height &&
                        str_attr(a, "client_id", id) && strcmp(id, client_id) == 0)
                        hit = true;
                }
                if (!hit)
                    continue;
                cw_tx tx;
                const uint8_t *tb = (const uint8_t *)t->via.array.ptr[1].via.bin.ptr;
                if (cw_tx_decode(&tx, tb, t->via.array.ptr[1].via.bin.size, NULL, 0) == CW_OK) {
                    for (uint32_t m = 0; m < tx.n_msgs && !found; m++) {
                        char type[CW_ID_MAX + 1];
                        const msgpack_object *body;
                        cw_tx_msg(&tx, m, type, &body);
                        if (strcmp(type, "ibc.update_client") != 0)
                            continue;
                        cw_enc be;
                        cw_enc_init(&be);
                        cw_msg_update_client mu;
                        if (cw_enc_object(&be, body) == CW_OK &&
                            cw_msg_update_client_decode(&mu, cw_enc_data(&be), cw_enc_len(&be),
                                                        NULL, 0) == CW_OK) {
                            if (strcmp(mu.client_id, client_id) == 0 &&
                                mu.update.signed_header.header.height == height) {
                                *out = mu.update;
                                memset(&mu.update, 0, sizeof mu.update);
                                found = true;
                            }
                            cw_msg_update_client_free(&mu);
                        }
                        cw_enc_free(&be);
                    }
                }
                cw_tx_free(&tx);
            }
        }
        cw_dec_close(&d);
        free(buf);
        if (found)
            return CW_OK;
        if (rc && rc != CW_ENOTFOUND)
            return rc;
    }
    return cw_errf(err, err_len, CW_ENOTFOUND, "chain %s: no update of %s to height %" PRIu64
                   " in the last %u blocks", host->cfg->id, client_id, height, EVIDENCE_SCAN_MAX);
}

/* An owned UpdateHeader (one half of MsgSubmitMisbehaviour): lb's header, verified from
 * `trusted`, whose next validator set is tvals. */
static int update_header_of(cw_update_header *u, const cw_light_block *lb, uint64_t trusted,
                            const cw_validator_set *tvals)
{
    memset(u, 0, sizeof *u);
    int rc;
    if ((rc = cw_validator_set_copy(&u->trusted_validator_set, tvals)) ||
        (rc = cw_validator_set_copy(&u->validator_set, &lb->validator_set))) {
        cw_update_header_free(u);
        return rc;
    }
    u->has_trusted_validator_set = true;
    u->trusted_height = trusted;
    u->signed_header.header = lb->signed_header.header;
    cw_commit *c = &u->signed_header.commit;
    *c = lb->signed_header.commit;
    c->sigs = malloc((c->n_sigs ? c->n_sigs : 1) * sizeof *c->sigs);
    if (!c->sigs) {
        c->n_sigs = 0;
        cw_update_header_free(u);
        return -ENOMEM;
    }
    memcpy(c->sigs, lb->signed_header.commit.sigs, c->n_sigs * sizeof *c->sigs);
    return CW_OK;
}

/* an owned UpdateHeader for the locally verified header at `height`, from `trusted` */
static int own_update_header(rly_conn *src, uint64_t height, uint64_t trusted,
                             cw_update_header *u, char *err, size_t err_len)
{
    memset(u, 0, sizeof *u);
    cw_light_block tlb;
    int rc = rly_light_block(src, trusted, &tlb, err, err_len);
    if (rc)
        return rc;
    const cw_light_block *lb; /* in the cache: copied before any other fetch */
    if ((rc = rly_lc_verified(src, height, &lb, err, err_len)) == CW_OK)
        rc = update_header_of(u, lb, trusted, &tlb.next_validator_set);
    cw_light_block_free(&tlb);
    return rc;
}

/* Submit mm to client_id on host and wait for it to commit: the client freezes. */
static int send_misbehaviour(rly_ctx *x, rly_conn *host, const cw_msg_submit_misbehaviour *mm,
                             char *err, size_t err_len)
{
    uint8_t *body;
    size_t blen;
    int rc = cw_msg_submit_misbehaviour_encode(&body, &blen, mm);
    if (rc)
        return cw_errf(err, err_len, rc, "encoding the evidence");
    msgs ms = {0};
    cw_enc_init(&ms.m[0]);
    cw_enc_array(&ms.m[0], 2);
    cw_enc_cstr(&ms.m[0], "ibc.submit_misbehaviour");
    cw_enc_raw(&ms.m[0], body, blen);
    ms.n = 1;
    free(body);
    rc = tx_and_attr(x, host, &ms, NULL, NULL, NULL, err, err_len);
    msgs_free(&ms);
    if (rc == CW_OK)
        cw_log(CW_LOG_ERROR, "MISBEHAVIOUR submitted chain=%s client=%s height=%" PRIu64
               ": the client is frozen", host->cfg->id, mm->client_id,
               mm->header1.signed_header.header.height);
    else
        cw_log(CW_LOG_ERROR, "misbehaviour not submitted chain=%s client=%s height=%" PRIu64
               " reason=\"%s\"", host->cfg->id, mm->client_id,
               mm->header1.signed_header.header.height, err);
    return rc;
}

/* The client `client_id` on host tracks src; its consensus state at `height` (cons) is
 * checked against the header this relayer verified at that height. Two valid conflicting
 * headers → MsgSubmitMisbehaviour, which freezes the client. */
static int conflict_at(rly_ctx *x, rly_conn *src, rly_conn *host, const char *client_id,
                       uint64_t height, const cw_lc_consensus_state *cons, char *err,
                       size_t err_len)
{
    if (height < src->lc_root_height)
        return CW_OK;
    const cw_light_block *lb;
    int rc = rly_lc_verified(src, height, &lb, err, err_len);
    if (rc)
        return CW_OK; /* cannot tell (not verifiable here): nothing to claim */
    cw_lc_consensus_state mine;
    cw_lc_consensus_state_of(&mine, &lb->signed_header.header);
    if (mine.timestamp_ns == cons->timestamp_ns &&
        memcmp(mine.state_root, cons->state_root, 32) == 0 &&
        memcmp(mine.next_validators_hash, cons->next_validators_hash, 32) == 0)
        return CW_OK;
    cw_log(CW_LOG_ERROR, "CONFLICTING HEADERS chain=%s height=%" PRIu64 ": client %s on %s holds a "
           "consensus state that differs from the header verified here; submitting "
           "misbehaviour", src->cfg->id, height, client_id, host->cfg->id);
    cw_msg_submit_misbehaviour mm;
    memset(&mm, 0, sizeof mm);
    snprintf(mm.client_id, sizeof mm.client_id, "%s", client_id);
    if ((rc = find_update_header(host, client_id, height, &mm.header2, err,
                                 err_len)) == CW_OK &&
        (rc = own_update_header(src, height, mm.header2.trusted_height, &mm.header1,
                                err, err_len)) == CW_OK)
        rc = send_misbehaviour(x, host, &mm, err, err_len);
    else
        cw_log(CW_LOG_ERROR, "misbehaviour not submitted chain=%s client=%s height=%" PRIu64
               " reason=\"%s\"", host->cfg->id, client_id, height, err);
    cw_update_header_free(&mm.header1);
    cw_update_header_free(&mm.header2);
    return rc ? rc : CW_EMISBEHAVIOUR;
}

static int check_conflict(rly_ctx *x, rly_conn *src, rly_conn *host, const char *client_id,
                          const cw_lc_client_state *cs, const cw_lc_consensus_state *cons,
                          char *err, size_t err_len)
{
    if (cs->frozen_height)
        return CW_OK;
    return conflict_at(x, src, host, client_id, cs->latest_height, cons, err, err_len);
}

/* An update_client event of a path end's client, by anyone: the height it stored, to check
 * against the local light client — the latest-height check alone misses a conflicting
 * header stored below a client's latest height. */
static void note_update(rly_ctx *x, rly_conn *c, const msgpack_object *attrs)
{
    char id[CW_ID_MAX + 1];
    uint64_t h;
    if (!str_attr(attrs, "client_id", id) || !u64_attr(attrs, "height", &h))
        return;
    for (int p = 0; p < x->cfg->n_paths; p++)
        for (int e = 0; e < 2; e++) {
            const rly_end_cfg *on = &x->cfg->paths[p].end[e];
            if (on->chain_ix != c->ix || strcmp(on->client, id) != 0)
                continue;
            for (size_t i = 0; i < x->n_upd_seen; i++)
                if (x->upd_seen[i].path == p && x->upd_seen[i].end == e &&
                    x->upd_seen[i].height == h)
                    return;
            if (x->n_upd_seen == RLY_UPD_SEEN_MAX) { /* the oldest goes */
                memmove(x->upd_seen, x->upd_seen + 1, --x->n_upd_seen * sizeof *x->upd_seen);
            }
            x->upd_seen[x->n_upd_seen++] = (rly_upd_seen){.path = p, .end = e, .height = h};
        }
}

/* check the noted updates (at most 16 a pass) */
static void check_updates(rly_ctx *x)
{
    size_t n = x->n_upd_seen < 16 ? x->n_upd_seen : 16;
    for (size_t i = 0; i < n; i++) {
        const rly_upd_seen *u = &x->upd_seen[i];
        const rly_end_cfg *on = &x->cfg->paths[u->path].end[u->end];
        rly_conn *host = &x->conns[on->chain_ix];
        rly_conn *src = &x->conns[x->cfg->paths[u->path].end[1 - u->end].chain_ix];
        cw_lc_consensus_state cons;
        char err[512];
        if (consensus_at(host, on->client, u->height, &cons, err, sizeof err) == CW_OK)
            (void)conflict_at(x, src, host, on->client, u->height, &cons, err, sizeof err);
    }
    memmove(x->upd_seen, x->upd_seen + n, (x->n_upd_seen - n) * sizeof *x->upd_seen);
    x->n_upd_seen -= n;
}

/* The conflict the local light client of `of` met, as evidence for client_id on host: both
 * headers verified from the highest height below them that host's client stores and this
 * relayer verified. Returns: CW_OK submitted, or the client is frozen already; CW_ENOTFOUND
 * no such trusted height; the submission's codes. */
static int lc_evidence(rly_ctx *x, rly_conn *of, rly_conn *host, const char *client_id,
                       char *err, size_t err_len)
{
    const rly_conflict *cf = &of->conflict;
    cw_lc_client_state cs;
    int rc = client_info(host, client_id, &cs, NULL, err, err_len);
    if (rc)
        return rc;
    if (cs.frozen_height) {
        cw_log(CW_LOG_INFO, "client already frozen chain=%s client=%s frozen_height=%" PRIu64,
               host->cfg->id, client_id, cs.frozen_height);
        return CW_OK;
    }
    uint64_t h1 = cf->lb[0].signed_header.header.height;
    uint64_t h2 = cf->lb[1].signed_header.header.height;
    uint64_t hs[64], trusted = 0;
    size_t n = rly_lc_seen_below(of, h1 < h2 ? h1 : h2, hs, 64);
    for (size_t i = 0; i < n && !trusted; i++) {
        cw_lc_consensus_state cons;
        rc = consensus_at(host, client_id, hs[i], &cons, err, err_len);
        if (rc == CW_OK)
            trusted = hs[i];
        else if (rc != CW_ENOTFOUND)
            return rc;
    }
    if (!trusted)
        return cw_errf(err, err_len, CW_ENOTFOUND, "client %s on %s stores no consensus state "
                       "below height %" PRIu64 " that this relayer verified", client_id,
                       host->cfg->id, h1 < h2 ? h1 : h2);
    cw_light_block tlb;
    if ((rc = rly_lc_seen(of, trusted, &tlb, err, err_len)))
        return rc;
    cw_msg_submit_misbehaviour mm;
    memset(&mm, 0, sizeof mm);
    snprintf(mm.client_id, sizeof mm.client_id, "%s", client_id);
    if ((rc = update_header_of(&mm.header1, &cf->lb[0], trusted, &tlb.next_validator_set)) ||
        (rc = update_header_of(&mm.header2, &cf->lb[1], trusted, &tlb.next_validator_set)))
        cw_errf(err, err_len, rc, "out of memory");
    else
        rc = send_misbehaviour(x, host, &mm, err, err_len);
    cw_light_block_free(&tlb);
    cw_update_header_free(&mm.header1);
    cw_update_header_free(&mm.header2);
    return rc;
}

/* hand the local light clients' conflicts to every client of those chains (retried every
 * 5 s until each is frozen) */
static void submit_evidence(rly_ctx *x)
{
    uint64_t now = rly_now_ms();
    for (int p = 0; p < x->cfg->n_paths; p++)
        for (int e = 0; e < 2; e++) {
            rly_end_cfg *on = &x->cfg->paths[p].end[e];
            rly_conn *of = &x->conns[x->cfg->paths[p].end[1 - e].chain_ix];
            uint32_t bit = 1u << (p * 2 + e);
            if (!on->client[0] || !of->conflict.set || (of->conflict.sent & bit) ||
                now < of->conflict.next_try_ms)
                continue;
            char err[512];
            if (lc_evidence(x, of, &x->conns[on->chain_ix], on->client, err, sizeof err) ==
                CW_OK)
                of->conflict.sent |= bit;
            else
                cw_log(CW_LOG_ERROR, "misbehaviour evidence not delivered path=%s chain=%s "
                       "client=%s reason=\"%s\" (retrying)", x->cfg->paths[p].name, on->chain,
                       on->client, err);
        }
    for (int i = 0; i < x->cfg->n_chains; i++)
        if (x->conns[i].conflict.set && now >= x->conns[i].conflict.next_try_ms)
            x->conns[i].conflict.next_try_ms = now + 5000;
}

/* refresh clients before a third of their trusting period has passed */
static void refresh_clients(rly_ctx *x)
{
    uint64_t now_ns = rly_now_ns();
    for (int p = 0; p < x->cfg->n_paths; p++)
        for (int e = 0; e < 2; e++) {
            rly_end_cfg *on = &x->cfg->paths[p].end[e];
            if (!on->client[0])
                continue;
            rly_conn *host = &x->conns[on->chain_ix];
            rly_conn *of = &x->conns[x->cfg->paths[p].end[1 - e].chain_ix];
            cw_lc_client_state cs;
            cw_lc_consensus_state cons;
            char err[512];
            if (client_info(host, on->client, &cs, &cons, err, sizeof err) != CW_OK)
                continue;
            if (check_conflict(x, of, host, on->client, &cs, &cons, err, sizeof err) != CW_OK)
                continue;
            if (cons.timestamp_ns + cs.trusting_period_ns / 3 > now_ns || cs.frozen_height)
                continue;
            if (inflight_on(x, host->ix) >= x->cfg->max_inflight)
                continue;
            msgs ms = {0};
            uint64_t ph;
            if (rly_status(of, err, sizeof err) == CW_OK &&
                add_updates(x, of, host, on->client, of->height, &ms, &ph, err, sizeof err) ==
                    CW_OK &&
                ms.n) {
                uint8_t hash[32];
                if (msgs_send(host, &ms, hash, err, sizeof err) == CW_OK) {
                    RLY_M_ADD(client_updates, ms.n);
                    cw_log(CW_LOG_INFO, "client refreshed path=%s chain=%s client=%s height=%"
                           PRIu64, x->cfg->paths[p].name, on->chain, on->client, ph);
                }
            }
            msgs_free(&ms);
        }
}

/* a block notification: [header, events] */
static void on_block(rly_ctx *x, rly_conn *c, const uint8_t *payload, size_t len)
{
    cw_dec d;
    const msgpack_object *root;
    if (cw_dec_open(&d, &root, payload, len, RLY_RESULT_MAX, NULL, 0) == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 2, "block");
        cw_header h;
        cw_header_dec(&d, &f[0], &h, "block.header");
        if (d.rc == CW_OK) {
            if (h.height > c->height) {
                c->height = h.height;
                c->time_ns = h.time_ns;
                RLY_M_SET(height[c->ix], c->height);
            }
            cache_events(x, c, &f[1], h.time_ns);
        }
    }
    cw_dec_close(&d);
}

int rly_run(rly_ctx *x, volatile sig_atomic_t *stop, char *err, size_t err_len)
{
    uint64_t last_tick = 0, last_refresh = 0, last_cursor = 0;
    bool gap[RLY_MAX_CHAINS] = {false};
    int turn = 0;
    while (!*stop) {
        bool got = false;
        for (int i = 0; i < x->cfg->n_chains; i++) {
            rly_conn *c = &x->conns[i];
            char e[512];
            if (rly_conn_ensure(c, e, sizeof e) != CW_OK)
                continue;
            if (c->reconnected) {
                c->reconnected = false;
                /* what the mempool held may be gone: forget those txs, re-read nonces */
                for (size_t k = 0; k < x->n_inflight;)
                    if (x->inflight[k].chain == i && c->connects > 1)
                        inflight_remove(x, k);
                    else
                        k++;
                gap[i] = true; /* after the next tick: relaying first, from chain queries */
                got = true;
                if (c->connects > 1 && rly_lc_crosscheck(c, e, sizeof e) != CW_OK)
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
                    if (strcmp(topic, "blocks") == 0)
                        on_block(x, c, pl, pln);
                    free(pl);
                    got = true;
                    continue;
                }
                if (rc == CW_ECLOSED) {
                    cw_rpc_client_close(c->cl);
                    c->cl = NULL;
                    c->next_try_ms = rly_now_ms() + c->backoff_ms;
                    cw_log(CW_LOG_WARN, "subscription closed chain=%s reason=\"%s\"", c->cfg->id,
                           e);
                }
                break;
            }
        }
        uint64_t now = rly_now_ms();
        if (!got && now - last_tick < 500) {
            /* wait for the next block on one chain (alternating), at most 20 ms */
            rly_conn *c = &x->conns[turn++ % x->cfg->n_chains];
            if (c->cl)
                (void)cw_rpc_client_poll(c->cl, 20);
            else {
                struct timespec ts = {0, 20 * 1000000};
                nanosleep(&ts, NULL); /* reconnect backoff pacing */
            }
            continue;
        }
        submit_evidence(x);
        check_updates(x);
        char e[512];
        (void)rly_tick(x, NULL, e, sizeof e);
        /* The missed blocks' events after a (re)connect: the tick above already relayed what
         * the chains say is pending (packets fetched in batches); the events add what
         * queries cannot give cheaply — ack bytes and the blocks' times for latency. */
        for (int i = 0; i < x->cfg->n_chains; i++)
            if (gap[i]) {
                gap[i] = false;
                if (fill_gap(x, &x->conns[i], e, sizeof e) != CW_OK)
                    cw_log(CW_LOG_WARN, "gap fill failed chain=%s reason=\"%s\"",
                           x->conns[i].cfg->id, e);
            }
        last_tick = rly_now_ms();
        if (last_tick - last_cursor > 1000) {
            for (int i = 0; i < x->cfg->n_chains; i++) {
                rly_conn *c = &x->conns[i];
                if (c->height) {
                    set_cursors(x, c, c->height);
                    if (c->lcs.latest_height)
                        save_trust(x, c, c->lcs.latest_height);
                }
            }
            last_cursor = last_tick;
        }
        if (last_tick - last_refresh > 5000) {
            refresh_clients(x);
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
    uint64_t now_ns = rly_now_ns();
    for (int i = 0; i < x->cfg->n_chains; i++) {
        rly_conn *c = &x->conns[i];
        int rc = rly_status(c, err, err_len);
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
            rly_conn *c = &x->conns[on->chain_ix];
            if (!on->client[0]) {
                fprintf(out, "  %s: no client yet (run create-clients)\n", on->chain);
                continue;
            }
            cw_lc_client_state cs;
            cw_lc_consensus_state cons;
            int rc = client_info(c, on->client, &cs, &cons, err, err_len);
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
            fprintf(out, "  %s client %s (of %s): latest height %" PRIu64 ", %s, expires in %.0f s\n",
                    on->chain, on->client, pc->end[1 - e].chain, cs.latest_height, st,
                    left > 0 ? left : 0);
        }
        if (!pc->end[0].channel[0] || !pc->end[1].channel[0]) {
            fprintf(out, "  no channel yet (run create-channel)\n");
            continue;
        }
        for (int d = 0; d < 2; d++) {
            const rly_end_cfg *S = &pc->end[d], *D = &pc->end[1 - d];
            rly_conn *src = &x->conns[S->chain_ix], *dst = &x->conns[D->chain_ix];
            size_t n = 0, nu = 0;
            int rc = call_list(src, "packet_commitments", S->port, S->channel, NULL, 0, false,
                               seqs_buf_a, &n, err, err_len);
            if (!rc && n)
                rc = call_list(dst, "unreceived_packets", D->port, D->channel, seqs_buf_a, n, true,
                               seqs_buf_b, &nu, err, err_len);
            if (rc) {
                fprintf(out, "  %s/%s -> %s: %s\n", S->chain, S->channel, D->chain, err);
                worst = rc;
                continue;
            }
            fprintf(out, "  %s/%s -> %s/%s: pending %zu (unreceived %zu, awaiting ack %zu), "
                    "oldest sequence %" PRIu64 "\n", S->chain, S->channel, D->chain, D->channel,
                    n, nu, n - nu, n ? seqs_buf_a[0] : 0);
        }
    }
    return worst;
}
