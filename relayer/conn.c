/* One chain as the relayer sees it: an RPC connection with reconnect (exponential backoff
 * with jitter, resubscribe), the signer and its nonces, and typed calls. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "causeway/log.h"
#include "causeway/tx.h"
#include "relayer.h"

uint64_t rly_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t rly_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int rly_conn_init(rly_conn *c, const rly_chain_cfg *cfg, int ix, uint32_t timeout_ms,
                  bool want_key, char *err, size_t err_len)
{
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
    c->ix = ix;
    c->timeout_ms = timeout_ms;
    c->backoff_ms = 100;
    if (want_key) {
        if (!cfg->key_file[0])
            return cw_errf(err, err_len, CW_EINVAL, "chain %s: no key_file in the config",
                           cfg->id);
        int rc = cw_keyfile_read(cfg->key_file, &c->sk, &c->pk, err, err_len);
        if (rc)
            return rc;
        cw_address_of(&c->addr, &c->pk);
        c->has_key = true;
    }
    int rc = cw_lc_memstore_create(&c->ms);
    if (!rc)
        rc = cw_lc_vcache_create(&c->vc, 16);
    if (rc)
        return cw_errf(err, err_len, rc, "out of memory");
    cw_lc_memstore_store(&c->st, c->ms);
    return CW_OK;
}

void rly_conn_free(rly_conn *c)
{
    if (!c)
        return;
    cw_rpc_client_close(c->cl);
    c->cl = NULL;
    cw_seckey_wipe(&c->sk);
    cw_lc_memstore_destroy(c->ms);
    cw_lc_vcache_destroy(c->vc);
    for (int i = 0; i < RLY_LB_CACHE; i++)
        cw_light_block_free(&c->lbc[i].lb);
    rly_lc_seen_free(c);
    memset(c, 0, sizeof *c);
}

static void drop(rly_conn *c, const char *why)
{
    if (c->cl) {
        cw_log(CW_LOG_WARN, "connection lost chain=%s reason=\"%s\"", c->cfg->id, why);
        cw_rpc_client_close(c->cl);
        c->cl = NULL;
        c->next_try_ms = rly_now_ms() + c->backoff_ms;
    }
}

int rly_conn_ensure(rly_conn *c, char *err, size_t err_len)
{
    if (c->cl)
        return CW_OK;
    uint64_t now = rly_now_ms();
    if (now < c->next_try_ms)
        return cw_errf(err, err_len, CW_ECLOSED, "chain %s: reconnecting in %llu ms", c->cfg->id,
                       (unsigned long long)(c->next_try_ms - now));
    char e[256] = "";
    int rc = cw_rpc_client_connect(&c->cl, c->cfg->rpc, c->timeout_ms, e, sizeof e);
    if (rc == CW_OK && c->want_sub)
        rc = cw_rpc_subscribe(c->cl, "blocks", c->timeout_ms, e, sizeof e);
    if (rc) {
        cw_rpc_client_close(c->cl);
        c->cl = NULL;
        /* exponential backoff with full jitter in [b/2, b], capped at 5 s */
        uint32_t jitter = 0;
        if (cw_random(&jitter, sizeof jitter) != CW_OK)
            jitter = (uint32_t)now;
        uint32_t b = c->backoff_ms;
        c->next_try_ms = now + b / 2 + jitter % (b / 2 + 1);
        c->backoff_ms = b * 2 > 5000 ? 5000 : b * 2;
        return cw_errf(err, err_len, CW_ECLOSED, "chain %s: connect %s: %s", c->cfg->id,
                       c->cfg->rpc, e);
    }
    c->backoff_ms = 100;
    if (c->connects++ > 0) {
        RLY_M_ADD(reconnects, 1);
        cw_log(CW_LOG_INFO, "reconnected chain=%s url=%s", c->cfg->id, c->cfg->rpc);
    }
    c->reconnected = true;
    c->nonce_known = false; /* the mempool may have lost our txs: re-read */
    return CW_OK;
}

int rly_call(rly_conn *c, const char *method, const cw_enc *params, cw_dec *d,
             const msgpack_object **root, uint8_t **buf, char *err, size_t err_len)
{
    memset(d, 0, sizeof *d);
    *root = NULL;
    *buf = NULL;
    int rc = rly_conn_ensure(c, err, err_len);
    if (rc)
        return rc;
    size_t len = 0;
    rc = cw_rpc_call(c->cl, method, params ? cw_enc_data(params) : NULL,
                     params ? cw_enc_len(params) : 0, buf, &len, c->timeout_ms, err, err_len);
    if (rc == CW_ECLOSED || rc == CW_EMALFORMED || rc == CW_ENONCANONICAL) {
        drop(c, err);
        return rc == CW_ECLOSED ? rc : CW_ECLOSED;
    }
    if (rc)
        return rc;
    rc = cw_dec_open(d, root, *buf, len, RLY_RESULT_MAX, err, err_len);
    if (rc)
        cw_err_prefix(err, err_len, rc, method);
    return rc;
}

#define CALL_BEGIN(c, method, params)                                                      \
    cw_dec d;                                                                              \
    const msgpack_object *root;                                                            \
    uint8_t *buf;                                                                          \
    int rc = rly_call((c), (method), (params), &d, &root, &buf, err, err_len)

#define CALL_END()                                                                         \
    cw_dec_close(&d);                                                                      \
    free(buf)

int rly_status(rly_conn *c, char *err, size_t err_len)
{
    CALL_BEGIN(c, "status", NULL);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 7, "status");
        uint64_t h = cw_dec_u64(&d, &f[1], "status.height");
        uint64_t t = cw_dec_u64(&d, &f[2], "status.time");
        rc = d.rc;
        if (rc == CW_OK) {
            c->height = h > c->height ? h : c->height;
            c->time_ns = t > c->time_ns ? t : c->time_ns;
            RLY_M_SET(height[c->ix], c->height);
        }
    }
    CALL_END();
    return rc;
}

static uint8_t *dup_bin(const msgpack_object *o, size_t *len)
{
    *len = o->via.bin.size;
    uint8_t *p = malloc(*len ? *len : 1);
    if (p)
        memcpy(p, o->via.bin.ptr, *len);
    return p;
}

int rly_query(rly_conn *c, const char *key, uint64_t height, bool prove, uint8_t **val,
              size_t *val_len, uint8_t **proof, size_t *proof_len, uint64_t *at, char *err,
              size_t err_len)
{
    *val = NULL;
    *val_len = 0;
    if (proof) {
        *proof = NULL;
        *proof_len = 0;
    }
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, 3);
    cw_enc_bin(&p, key, strlen(key));
    cw_enc_u64(&p, height);
    cw_enc_bool(&p, prove);
    CALL_BEGIN(c, "query", &p);
    cw_enc_free(&p);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 3, "query");
        uint64_t h = cw_dec_u64(&d, &f[2], "query.height");
        if (d.rc == CW_OK) {
            if (at)
                *at = h;
            if (f[0].type == MSGPACK_OBJECT_BIN)
                *val = dup_bin(&f[0], val_len);
            if (proof && f[1].type == MSGPACK_OBJECT_BIN)
                *proof = dup_bin(&f[1], proof_len);
            if ((f[0].type == MSGPACK_OBJECT_BIN && !*val) ||
                (proof && f[1].type == MSGPACK_OBJECT_BIN && !*proof))
                rc = -ENOMEM;
            if (prove && proof && !*proof && rc == CW_OK)
                rc = cw_errf(err, err_len, CW_EMALFORMED, "query %s: no proof in answer", key);
        } else {
            rc = d.rc;
        }
    }
    CALL_END();
    return rc;
}

int rly_light_block(rly_conn *c, uint64_t height, cw_light_block *lb, char *err,
                    size_t err_len)
{
    memset(lb, 0, sizeof *lb);
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, 1);
    cw_enc_u64(&p, height);
    cw_dec d;
    const msgpack_object *root;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = rly_conn_ensure(c, err, err_len);
    if (rc == CW_OK) {
        rc = cw_rpc_call(c->cl, "light_block", cw_enc_data(&p), cw_enc_len(&p), &buf, &len,
                         c->timeout_ms, err, err_len);
        if (rc == CW_ECLOSED)
            drop(c, err);
    }
    cw_enc_free(&p);
    (void)d;
    (void)root;
    if (rc == CW_OK)
        rc = cw_light_block_decode(lb, buf, len, err, err_len);
    free(buf);
    return rc;
}

int rly_refresh_nonce(rly_conn *c, char *err, size_t err_len)
{
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, 1);
    cw_enc_bin(&p, c->addr.b, 20);
    CALL_BEGIN(c, "account", &p);
    cw_enc_free(&p);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 4, "account");
        uint64_t pending = cw_dec_u64(&d, &f[2], "account.pending_next_nonce");
        rc = d.rc;
        if (rc == CW_OK) {
            c->next_nonce = pending;
            c->nonce_known = true;
        }
    }
    CALL_END();
    return rc;
}

int rly_broadcast_send(rly_conn *c, const cw_bytes *msgs, size_t n, uint8_t hash32[static 32],
                       uint32_t *msgid, char *err, size_t err_len)
{
    *msgid = 0;
    if (!c->has_key)
        return cw_errf(err, err_len, CW_EINVAL, "chain %s: no signer key", c->cfg->id);
    int rc = rly_conn_ensure(c, err, err_len);
    if (rc)
        return rc;
    if (!c->nonce_known && (rc = rly_refresh_nonce(c, err, err_len)))
        return rc;
    uint8_t *tx = NULL;
    size_t len = 0;
    if ((rc = cw_tx_sign(&tx, &len, c->cfg->id, &c->sk, c->next_nonce, msgs, n,
                         "causeway-relayer", err, err_len)))
        return rc;
    cw_sha256(hash32, tx, len);
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, 1);
    cw_enc_bin(&p, tx, len);
    free(tx);
    rc = p.rc ? p.rc
              : cw_rpc_call_send(c->cl, "broadcast_tx", cw_enc_data(&p), cw_enc_len(&p), msgid,
                                 err, err_len);
    cw_enc_free(&p);
    if (rc == CW_ECLOSED)
        drop(c, err);
    if (rc)
        return rc;
    c->next_nonce++; /* the next tx follows this one in the signer's sequence */
    RLY_M_ADD(txs_submitted, 1);
    return CW_OK;
}

int rly_broadcast_result(rly_conn *c, uint32_t msgid, uint32_t timeout_ms, char *err,
                         size_t err_len)
{
    if (!c->cl)
        return cw_errf(err, err_len, CW_ECLOSED, "chain %s: connection lost before the "
                       "broadcast was answered", c->cfg->id);
    uint8_t *res = NULL;
    size_t len = 0;
    int rc = cw_rpc_call_take(c->cl, msgid, &res, &len, timeout_ms, err, err_len);
    free(res);
    if (rc == CW_ECLOSED)
        drop(c, err);
    if (rc != CW_OK && rc != CW_ETIMEOUT)
        c->nonce_known = false; /* refused: what follows it in the sequence is refused too */
    return rc;
}

int rly_broadcast(rly_conn *c, const cw_bytes *msgs, size_t n, uint8_t hash32[static 32],
                  char *err, size_t err_len)
{
    int rc = CW_OK;
    for (int attempt = 0; attempt < 3; attempt++) {
        uint32_t id;
        if ((rc = rly_broadcast_send(c, msgs, n, hash32, &id, err, err_len)))
            return rc;
        rc = rly_broadcast_result(c, id, c->timeout_ms, err, err_len);
        if (rc == CW_ETIMEOUT)
            cw_rpc_call_forget(c->cl, id);
        if (rc != CW_ENONCE)
            return rc;
        cw_log(CW_LOG_WARN, "nonce mismatch chain=%s reason=\"%s\"; re-reading the account",
               c->cfg->id, err);
    }
    return rc;
}

/* The answer to a request sent without waiting (up to the call timeout; a request that
 * timed out is forgotten), opened in *d (caller: cw_dec_close(d), free(*buf) on CW_OK). */
static int take_result(rly_conn *c, uint32_t msgid, cw_dec *d, const msgpack_object **root,
                       uint8_t **buf, char *err, size_t err_len)
{
    *buf = NULL;
    if (!c->cl)
        return cw_errf(err, err_len, CW_ECLOSED, "chain %s: connection lost", c->cfg->id);
    size_t len = 0;
    int rc = cw_rpc_call_take(c->cl, msgid, buf, &len, c->timeout_ms, err, err_len);
    if (rc == CW_ETIMEOUT)
        cw_rpc_call_forget(c->cl, msgid);
    if (rc == CW_ECLOSED)
        drop(c, err);
    if (rc == CW_OK && (rc = cw_dec_open(d, root, *buf, len, RLY_RESULT_MAX, err, err_len))) {
        cw_dec_close(d);
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

int rly_tx_result_send(rly_conn *c, const uint8_t hash32[static 32], uint32_t *msgid, char *err,
                       size_t err_len)
{
    *msgid = 0;
    int rc = rly_conn_ensure(c, err, err_len);
    if (rc)
        return rc;
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, 1);
    cw_enc_bin(&p, hash32, 32);
    rc = p.rc ? p.rc
              : cw_rpc_call_send(c->cl, "tx_status", cw_enc_data(&p), cw_enc_len(&p), msgid, err,
                                 err_len);
    cw_enc_free(&p);
    if (rc == CW_ECLOSED)
        drop(c, err);
    return rc;
}

/* tx_status → [height, index, code, log, failed_msg|nil, [[event_type, count], ...]] */
int rly_tx_result_take(rly_conn *c, uint32_t msgid, rly_txres *r, char *err, size_t err_len)
{
    memset(r, 0, sizeof *r);
    r->failed_msg = -1;
    cw_dec d;
    const msgpack_object *root;
    uint8_t *buf = NULL;
    int rc = take_result(c, msgid, &d, &root, &buf, err, err_len);
    if (rc)
        return rc;
    const msgpack_object *f = cw_dec_array(&d, root, 6, "tx_status");
    r->height = cw_dec_u64(&d, &f[0], "tx_status.height");
    if (d.rc == CW_OK) {
        if (f[2].type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            r->code = f[2].via.i64;
        else if (f[2].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            r->code = (int64_t)f[2].via.u64;
        if (f[3].type == MSGPACK_OBJECT_STR)
            snprintf(r->log, sizeof r->log, "%.*s", (int)f[3].via.str.size, f[3].via.str.ptr);
        if (f[4].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            r->failed_msg = (int64_t)f[4].via.u64;
        uint32_t ne;
        const msgpack_object *ev = cw_dec_list(&d, &f[5], UINT32_MAX, &ne, "tx_status.events");
        for (uint32_t i = 0; d.rc == CW_OK && i < ne && r->n_types < RLY_TXRES_TYPES; i++) {
            const msgpack_object *tc = cw_dec_array(&d, &ev[i], 2, "tx_status.events[%u]", i);
            cw_bytes t = cw_dec_str(&d, &tc[0], 64, "tx_status.events[%u].type", i);
            uint64_t cnt = cw_dec_u64(&d, &tc[1], "tx_status.events[%u].count", i);
            if (d.rc == CW_OK) {
                snprintf(r->types[r->n_types].type, sizeof r->types[0].type, "%.*s",
                         (int)t.len, (const char *)t.p);
                r->types[r->n_types++].count = cnt > UINT32_MAX ? UINT32_MAX : (uint32_t)cnt;
            }
        }
    }
    rc = d.rc;
    cw_dec_close(&d);
    free(buf);
    return rc;
}

uint32_t rly_txres_count(const rly_txres *r, const char *type)
{
    for (uint32_t i = 0; i < r->n_types; i++)
        if (strcmp(r->types[i].type, type) == 0)
            return r->types[i].count;
    return 0;
}

int rly_tx_result(rly_conn *c, const uint8_t hash32[static 32], rly_txres *r, char *err,
                  size_t err_len)
{
    uint32_t id;
    int rc = rly_tx_result_send(c, hash32, &id, err, err_len);
    if (rc) {
        memset(r, 0, sizeof *r);
        r->failed_msg = -1;
        return rc;
    }
    return rly_tx_result_take(c, id, r, err, err_len);
}

int rly_wait_tx(rly_conn *c, const uint8_t hash32[static 32], uint32_t timeout_ms,
                rly_txres *r, char *err, size_t err_len)
{
    uint64_t deadline = rly_now_ms() + timeout_ms;
    for (;;) {
        int rc = rly_tx_result(c, hash32, r, err, err_len);
        if (rc != CW_ENOTFOUND && rc != CW_ECLOSED)
            return rc;
        if (rly_now_ms() >= deadline)
            return cw_errf(err, err_len, CW_ETIMEOUT, "chain %s: tx not committed within %u ms",
                           c->cfg->id, timeout_ms);
        if (c->cl)
            (void)cw_rpc_client_poll(c->cl, 20); /* wait for the next frame or 20 ms */
        else {
            struct timespec ts = {0, 20 * 1000000};
            nanosleep(&ts, NULL); /* reconnect backoff pacing */
        }
    }
}

int rly_proofs_send(rly_conn *c, const rly_qreq *q, size_t n, uint64_t height, uint32_t *msgid,
                    char *err, size_t err_len)
{
    *msgid = 0;
    int rc = rly_conn_ensure(c, err, err_len);
    if (rc)
        return rc;
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, 3);
    cw_enc_array(&p, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        cw_enc_bin(&p, q[i].key, strlen(q[i].key));
    cw_enc_u64(&p, height);
    cw_enc_bool(&p, true);
    rc = p.rc ? p.rc
              : cw_rpc_call_send(c->cl, "query_many", cw_enc_data(&p), cw_enc_len(&p), msgid,
                                 err, err_len);
    cw_enc_free(&p);
    if (rc == CW_ECLOSED)
        drop(c, err);
    return rc;
}

static uint8_t *dup_bin_or_null(const msgpack_object *o, size_t *len, int *rc)
{
    *len = 0;
    if (o->type != MSGPACK_OBJECT_BIN)
        return NULL;
    uint8_t *p = dup_bin(o, len);
    if (!p)
        *rc = -ENOMEM;
    return p;
}

/* one query_many answer into q[0..): how many it answered in *got */
static int proofs_take(rly_conn *c, uint32_t msgid, rly_qreq *q, size_t n, uint64_t height,
                       size_t *got, char *err, size_t err_len)
{
    *got = 0;
    cw_dec d;
    const msgpack_object *root;
    uint8_t *buf = NULL;
    int rc = take_result(c, msgid, &d, &root, &buf, err, err_len);
    if (rc)
        return rc;
    const msgpack_object *f = cw_dec_array(&d, root, 2, "query_many");
    uint64_t at = cw_dec_u64(&d, &f[0], "query_many.height");
    uint32_t k;
    const msgpack_object *items = cw_dec_list(&d, &f[1], (uint32_t)n, &k, "query_many.items");
    if (d.rc == CW_OK && height && at != height)
        cw_dec_fail(&d, CW_EBADPROOF, "query_many: asked at height %" PRIu64 ", answered at %"
                    PRIu64, height, at);
    if (d.rc == CW_OK && k == 0)
        cw_dec_fail(&d, CW_EMALFORMED, "query_many: no item answered");
    for (uint32_t i = 0; d.rc == CW_OK && i < k; i++) {
        const msgpack_object *vp = cw_dec_array(&d, &items[i], 2, "query_many.items[%u]", i);
        if (d.rc)
            break;
        q[i].at = at;
        q[i].rc = CW_OK;
        q[i].val = dup_bin_or_null(&vp[0], &q[i].val_len, &q[i].rc);
        q[i].proof = dup_bin_or_null(&vp[1], &q[i].proof_len, &q[i].rc);
        if (q[i].rc == CW_OK && !q[i].proof)
            q[i].rc = CW_EMALFORMED;
        (*got)++;
    }
    rc = d.rc;
    cw_dec_close(&d);
    free(buf);
    return rc;
}

int rly_proofs_take(rly_conn *c, uint32_t msgid, rly_qreq *q, size_t n, uint64_t height,
                    char *err, size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        q[i].val = q[i].proof = NULL;
        q[i].val_len = q[i].proof_len = 0;
        q[i].at = 0;
        q[i].rc = CW_ETIMEOUT;
    }
    size_t done = 0;
    for (;;) {
        size_t got;
        int rc = proofs_take(c, msgid, q + done, n - done, height, &got, err, err_len);
        if (rc)
            return rc;
        done += got;
        if (done >= n)
            return CW_OK;
        /* the answer was cut at the chain's size cap: ask for the rest at the same height */
        if ((rc = rly_proofs_send(c, q + done, n - done, height ? height : q[0].at, &msgid, err,
                                  err_len)))
            return rc;
    }
}

int rly_query_many(rly_conn *c, rly_qreq *q, size_t n, uint64_t height, char *err,
                   size_t err_len)
{
    uint32_t id;
    int rc = rly_proofs_send(c, q, n, height, &id, err, err_len);
    return rc ? rc : rly_proofs_take(c, id, q, n, height, err, err_len);
}

int rly_packets(rly_conn *c, const char *port, const char *chan, const uint64_t *seqs, size_t n,
                uint8_t **pkts, size_t *lens, char *err, size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        pkts[i] = NULL;
        lens[i] = 0;
    }
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < RLY_PACKETS_MAX ? n - done : RLY_PACKETS_MAX;
        cw_enc p;
        cw_enc_init(&p);
        cw_enc_array(&p, 3);
        cw_enc_cstr(&p, port);
        cw_enc_cstr(&p, chan);
        cw_enc_array(&p, (uint32_t)k);
        for (size_t i = 0; i < k; i++)
            cw_enc_u64(&p, seqs[done + i]);
        CALL_BEGIN(c, "packets", &p);
        cw_enc_free(&p);
        uint32_t got = 0;
        if (rc == CW_OK) {
            const msgpack_object *items = cw_dec_list(&d, root, (uint32_t)k, &got, "packets");
            if (d.rc == CW_OK && got == 0)
                cw_dec_fail(&d, CW_EMALFORMED, "packets: no item answered");
            for (uint32_t i = 0; d.rc == CW_OK && i < got; i++) {
                if (items[i].type == MSGPACK_OBJECT_NIL)
                    continue;
                cw_bytes b = cw_dec_bin(&d, &items[i], CW_PACKET_DATA_MAX * 2 + 1024,
                                        "packets[%u]", i);
                if (d.rc == CW_OK && !(pkts[done + i] = malloc(b.len ? b.len : 1)))
                    cw_dec_fail(&d, -ENOMEM, "out of memory");
                if (d.rc == CW_OK) {
                    memcpy(pkts[done + i], b.p, b.len);
                    lens[done + i] = b.len;
                }
            }
            rc = d.rc;
        }
        CALL_END();
        if (rc) {
            for (size_t i = 0; i < n; i++) {
                free(pkts[i]);
                pkts[i] = NULL;
            }
            return rc;
        }
        done += got;
    }
    return CW_OK;
}

void rly_qreq_free(rly_qreq *q, size_t n)
{
    for (size_t i = 0; q && i < n; i++) {
        free(q[i].val);
        free(q[i].proof);
        q[i].val = q[i].proof = NULL;
    }
}
