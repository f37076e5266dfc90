/* One chain as the relayer sees it: an RPC connection with reconnect (exponential backoff
 * with jitter, resubscribe), the signer and its nonces, and typed calls. */
#include <errno.h>
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

int rly_broadcast(rly_conn *c, const cw_bytes *msgs, size_t n, uint8_t hash32[static 32],
                  uint64_t *nonce_used, char *err, size_t err_len)
{
    int rc = CW_OK;
    if (!c->has_key)
        return cw_errf(err, err_len, CW_EINVAL, "chain %s: no signer key", c->cfg->id);
    for (int attempt = 0; attempt < 3; attempt++) {
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
        {
            cw_dec d;
            const msgpack_object *root;
            uint8_t *buf;
            rc = rly_call(c, "broadcast_tx", &p, &d, &root, &buf, err, err_len);
            cw_enc_free(&p);
            cw_dec_close(&d);
            free(buf);
        }
        if (rc == CW_OK) {
            if (nonce_used)
                *nonce_used = c->next_nonce;
            c->next_nonce++;
            RLY_M_ADD(txs_submitted, 1);
            return CW_OK;
        }
        if (rc != CW_ENONCE)
            return rc;
        cw_log(CW_LOG_WARN, "nonce mismatch chain=%s nonce=%llu reason=\"%s\"; re-reading the "
               "account", c->cfg->id, (unsigned long long)c->next_nonce, err);
        c->nonce_known = false;
    }
    return rc;
}

int rly_tx_result(rly_conn *c, const uint8_t hash32[static 32], int64_t *code,
                  int64_t *failed_msg, uint64_t *height, const char *count_type,
                  uint32_t *n_events, char *log, size_t log_len, char *err, size_t err_len)
{
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, 1);
    cw_enc_bin(&p, hash32, 32);
    CALL_BEGIN(c, "tx", &p);
    cw_enc_free(&p);
    *code = 0;
    *failed_msg = -1;
    if (n_events)
        *n_events = 0;
    if (log && log_len)
        log[0] = 0;
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 4, "tx");
        if (height)
            *height = cw_dec_u64(&d, &f[0], "tx.height");
        const msgpack_object *r = cw_dec_array(&d, &f[3], 4, "tx.result");
        if (d.rc == CW_OK) {
            if (r[0].type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                *code = r[0].via.i64;
            else if (r[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                *code = (int64_t)r[0].via.u64;
            if (r[1].type == MSGPACK_OBJECT_STR && log && log_len)
                snprintf(log, log_len, "%.*s", (int)r[1].via.str.size, r[1].via.str.ptr);
            if (r[3].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                *failed_msg = (int64_t)r[3].via.u64;
            if (count_type && n_events && r[2].type == MSGPACK_OBJECT_ARRAY) {
                size_t tl = strlen(count_type);
                for (uint32_t i = 0; i < r[2].via.array.size; i++) {
                    const msgpack_object *ev = &r[2].via.array.ptr[i];
                    if (ev->type == MSGPACK_OBJECT_ARRAY && ev->via.array.size == 2 &&
                        ev->via.array.ptr[0].type == MSGPACK_OBJECT_STR &&
                        ev->via.array.ptr[0].via.str.size == tl &&
                        memcmp(ev->via.array.ptr[0].via.str.ptr, count_type, tl) == 0)
                        (*n_events)++;
                }
            }
        }
        rc = d.rc;
    }
    CALL_END();
    return rc;
}

int rly_wait_tx(rly_conn *c, const uint8_t hash32[static 32], uint32_t timeout_ms,
                int64_t *code, int64_t *failed_msg, char *log, size_t log_len, char *err,
                size_t err_len)
{
    uint64_t deadline = rly_now_ms() + timeout_ms;
    for (;;) {
        int rc = rly_tx_result(c, hash32, code, failed_msg, NULL, NULL, NULL, log, log_len, err,
                               err_len);
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
