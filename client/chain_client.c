/* The chain client's connection, signer and typed calls (causeway/chain_client.h): an RPC
 * connection with reconnect (exponential backoff with jitter, resubscribe), the signer and
 * its nonces, and calls whose answers are decoded by causeway/rpc_results.h. The light
 * client is in light.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "causeway/chain_client.h"
#include "causeway/log.h"
#include "causeway/tx.h"

uint64_t cw_chain_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t cw_chain_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void cw_chain_note(cw_chain_client *c, enum cw_chain_event ev, uint64_t v)
{
    switch (ev) {
    case CW_CHAIN_EV_RECONNECT: c->reconnects += v; break;
    case CW_CHAIN_EV_HEADER_REJECTED: c->headers_rejected += v; break;
    case CW_CHAIN_EV_TX_SUBMITTED: c->txs_submitted += v; break;
    case CW_CHAIN_EV_PROOF_REJECTED: c->proofs_rejected += v; break;
    case CW_CHAIN_EV_HEIGHT: break;
    }
    if (c->hook)
        c->hook(c->hook_user, c, ev, v);
}

int cw_chain_client_init(cw_chain_client *c, const cw_chain_cfg *cfg, int ix,
                         uint32_t timeout_ms, bool want_key, char *err, size_t err_len)
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
        cw_seckey sk;
        cw_pubkey32 pk;
        int rc = cw_keyfile_read(cfg->key_file, &sk, &pk, err, err_len);
        if (rc == CW_OK && cw_signer_init(&c->signer, &sk) != CW_OK) /* read checked it */
            rc = cw_errf(err, err_len, CW_EINVAL, "key file %s: invalid secret key",
                         cfg->key_file);
        cw_seckey_wipe(&sk);
        if (rc)
            return rc;
        cw_address_of(&c->addr, &c->signer.pk);
        c->has_key = true;
    }
    int rc = cw_lc_memstore_create(&c->ms);
    if (!rc)
        rc = cw_lc_vcache_create(&c->vc, 16);
    if (rc) {
        cw_signer_wipe(&c->signer); /* the caller need not free a client that failed */
        c->has_key = false;
        return cw_errf(err, err_len, rc, "out of memory");
    }
    cw_lc_memstore_store(&c->st, c->ms);
    return CW_OK;
}

void cw_chain_client_free(cw_chain_client *c)
{
    if (!c)
        return;
    cw_rpc_client_close(c->cl);
    c->cl = NULL;
    cw_signer_wipe(&c->signer);
    cw_lc_memstore_destroy(c->ms);
    cw_lc_vcache_destroy(c->vc);
    for (int i = 0; i < CW_CHAIN_LB_CACHE; i++)
        cw_light_block_free(&c->lbc[i].lb);
    cw_chain_lc_seen_free(c);
    memset(c, 0, sizeof *c);
}

static void drop(cw_chain_client *c, const char *why)
{
    if (c->cl) {
        cw_log(CW_LOG_WARN, "connection lost chain=%s reason=\"%s\"", c->cfg->id, why);
        cw_rpc_client_close(c->cl);
        c->cl = NULL;
        c->next_try_ms = cw_chain_now_ms() + c->backoff_ms;
    }
}

int cw_chain_ensure(cw_chain_client *c, char *err, size_t err_len)
{
    if (c->cl)
        return CW_OK;
    uint64_t now = cw_chain_now_ms();
    if (now < c->next_try_ms)
        return cw_errf(err, err_len, CW_ECLOSED, "chain %s: reconnecting in %llu ms", c->cfg->id,
                       (unsigned long long)(c->next_try_ms - now));
    char e[256] = "";
    uint32_t t = c->connect_tries++ > 0 && c->timeout_ms > CW_CHAIN_RECONNECT_TIMEOUT_MS
                     ? CW_CHAIN_RECONNECT_TIMEOUT_MS
                     : c->timeout_ms;
    int rc = cw_rpc_client_connect(&c->cl, c->cfg->rpc, t, e, sizeof e);
    if (rc == CW_OK && c->want_sub)
        rc = cw_rpc_subscribe(c->cl, CW_RPC_TOPIC_BLOCKS, t, e, sizeof e);
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
        cw_chain_note(c, CW_CHAIN_EV_RECONNECT, 1);
        cw_log(CW_LOG_INFO, "reconnected chain=%s url=%s", c->cfg->id, c->cfg->rpc);
    }
    c->reconnected = true;
    c->nonce_known = false; /* the mempool may have lost our txs: re-read */
    return CW_OK;
}

int cw_chain_call(cw_chain_client *c, const char *method, const cw_enc *params, cw_dec *d,
                  const msgpack_object **root, uint8_t **buf, char *err, size_t err_len)
{
    memset(d, 0, sizeof *d);
    *root = NULL;
    *buf = NULL;
    int rc = cw_chain_ensure(c, err, err_len);
    if (rc)
        return rc;
    size_t len = 0;
    rc = cw_rpc_call(c->cl, method, params ? cw_enc_data(params) : NULL,
                     params ? cw_enc_len(params) : 0, buf, &len, c->timeout_ms, err, err_len);
    if (rc == CW_ECLOSED || rc == CW_EMALFORMED || rc == CW_ENONCANONICAL) {
        drop(c, err);
        return rc == CW_ECLOSED ? rc : CW_ECLOSED;
    }
    if (rc == CW_ETIMEOUT)
        drop(c, err); /* unresponsive: fail fast until the backoff has passed */
    if (rc)
        return rc;
    return cw_rpc_result_open(d, root, *buf, len, method, err, err_len);
}

#define CALL_BEGIN(c, method, params)                                                      \
    cw_dec d;                                                                              \
    const msgpack_object *root;                                                            \
    uint8_t *buf;                                                                          \
    int rc = cw_chain_call((c), (method), (params), &d, &root, &buf, err, err_len)

#define CALL_END()                                                                         \
    cw_dec_close(&d);                                                                      \
    free(buf)

/* A request sent without waiting (cw_rpc_call_send): drops the connection when it closed. */
static int send_call(cw_chain_client *c, const char *method, cw_enc *p, uint32_t *msgid,
                     char *err, size_t err_len)
{
    *msgid = 0;
    int rc = cw_chain_ensure(c, err, err_len);
    if (rc == CW_OK)
        rc = p->rc ? p->rc
                   : cw_rpc_call_send(c->cl, method, cw_enc_data(p), cw_enc_len(p), msgid, err,
                                      err_len);
    cw_enc_free(p);
    if (rc == CW_ECLOSED)
        drop(c, err);
    return rc;
}

/* The answer to a request sent without waiting (up to the call timeout; a request that
 * timed out is forgotten), opened in *d (caller: cw_dec_close(d), free(*buf) on CW_OK). */
static int take_result(cw_chain_client *c, uint32_t msgid, const char *method, cw_dec *d,
                       const msgpack_object **root, uint8_t **buf, char *err, size_t err_len)
{
    *buf = NULL;
    if (!c->cl)
        return cw_errf(err, err_len, CW_ECLOSED, "chain %s: connection lost", c->cfg->id);
    size_t len = 0;
    int rc = cw_rpc_call_take(c->cl, msgid, buf, &len, c->timeout_ms, err, err_len);
    if (rc == CW_ETIMEOUT || rc == CW_ECLOSED)
        drop(c, err); /* closed, or unresponsive: fail fast until the backoff has passed */
    if (rc == CW_OK && (rc = cw_rpc_result_open(d, root, *buf, len, method, err, err_len))) {
        cw_dec_close(d);
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

/* take_result into d/root/buf (declared here); returns from the function when it fails */
#define TAKE_BEGIN(c, msgid, method)                                                       \
    cw_dec d;                                                                              \
    const msgpack_object *root;                                                            \
    uint8_t *buf = NULL;                                                                   \
    int rc = take_result((c), (msgid), (method), &d, &root, &buf, err, err_len);           \
    if (rc)                                                                                \
        return rc

int cw_chain_status(cw_chain_client *c, cw_rpc_status *out, char *err, size_t err_len)
{
    cw_rpc_status st;
    CALL_BEGIN(c, "status", NULL);
    if (rc == CW_OK) {
        cw_rpc_status_dec(&d, root, &st);
        rc = d.rc;
    }
    if (rc == CW_OK) {
        c->height = st.latest_height > c->height ? st.latest_height : c->height;
        c->time_ns = st.latest_time_ns > c->time_ns ? st.latest_time_ns : c->time_ns;
        cw_chain_note(c, CW_CHAIN_EV_HEIGHT, c->height);
        if (out)
            *out = st;
    }
    CALL_END();
    return rc;
}

/* a malloc'd copy of b (*rc -ENOMEM when out of memory) */
static uint8_t *dup_bytes(cw_bytes b, size_t *len, int *rc)
{
    uint8_t *p = malloc(b.len ? b.len : 1);
    *len = p ? b.len : 0;
    if (p)
        memcpy(p, b.p, b.len);
    else
        *rc = -ENOMEM;
    return p;
}

/* the state root of the header at height that the light client verified, into root */
static int proof_root(cw_chain_client *c, uint64_t height, uint8_t root[32], char *err,
                      size_t err_len)
{
    const cw_light_block *lb;
    int rc = cw_chain_lc_verified(c, height, &lb, err, err_len);
    if (rc) {
        cw_err_prefix(err, err_len, rc, "proof check: header");
        return rc;
    }
    memcpy(root, lb->signed_header.header.state_root, 32);
    return CW_OK;
}

/* key = val (NULL: absent) by proof against root, as the IBC host checks it; a missing or
 * failing proof is the node's fault: counted, logged, the connection dropped */
static int proof_verify(cw_chain_client *c, const uint8_t root[32], const char *key,
                        const uint8_t *val, size_t val_len, const uint8_t *proof,
                        size_t proof_len, uint64_t height, char *err, size_t err_len)
{
    char why[256] = "no proof in the answer";
    int rc = proof ? cw_lc_verify_root(root, proof, proof_len, key, val, val_len, why,
                                       sizeof why)
                   : CW_EBADPROOF;
    if (rc == CW_OK || rc == CW_EUNSUPPORTED)
        return rc ? cw_errf(err, err_len, rc, "%s", why) : CW_OK;
    cw_chain_note(c, CW_CHAIN_EV_PROOF_REJECTED, 1);
    cw_log(CW_LOG_WARN, "proof rejected chain=%s key=%s height=%" PRIu64 " reason=\"%s\"; "
           "dropping the node", c->cfg->id, key, height, why);
    cw_errf(err, err_len, CW_EBADPROOF, "chain %s: proof of %s at height %" PRIu64
            " rejected: %s", c->cfg->id, key, height, why);
    drop(c, "served a proof that does not verify");
    return CW_EBADPROOF;
}

int cw_chain_proof_check(cw_chain_client *c, const char *key, const uint8_t *val,
                         size_t val_len, const uint8_t *proof, size_t proof_len, uint64_t height,
                         char *err, size_t err_len)
{
    uint8_t root[32];
    int rc = proof_root(c, height, root, err, err_len);
    return rc ? rc : proof_verify(c, root, key, val, val_len, proof, proof_len, height, err,
                                  err_len);
}

int cw_chain_query(cw_chain_client *c, const char *key, uint64_t height, bool prove,
                   uint8_t **val, size_t *val_len, uint8_t **proof, size_t *proof_len,
                   uint64_t *at, char *err, size_t err_len)
{
    *val = NULL;
    *val_len = 0;
    if (proof) {
        *proof = NULL;
        *proof_len = 0;
    }
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_query_params qp = {{(const uint8_t *)key, strlen(key)}, height, prove};
    cw_rpc_query_params_enc(&p, &qp);
    CALL_BEGIN(c, "query", &p);
    cw_enc_free(&p);
    cw_rpc_query q;
    if (rc == CW_OK) {
        cw_rpc_query_dec(&d, root, &q);
        rc = d.rc;
    }
    if (rc == CW_OK) {
        if (at)
            *at = q.height;
        if (q.item.has_value)
            *val = dup_bytes(q.item.value, val_len, &rc);
        if (proof && q.item.has_proof)
            *proof = dup_bytes(q.item.proof, proof_len, &rc);
        if (prove && proof && !q.item.has_proof && rc == CW_OK)
            rc = cw_errf(err, err_len, CW_EMALFORMED, "query %s: no proof in answer", key);
    }
    CALL_END();
    if (rc == CW_OK && prove && proof)
        rc = cw_chain_proof_check(c, key, *val, *val_len, *proof, *proof_len, q.height, err,
                                  err_len);
    if (rc) {
        free(*val);
        *val = NULL;
        *val_len = 0;
        if (proof) {
            free(*proof);
            *proof = NULL;
            *proof_len = 0;
        }
    }
    return rc;
}

int cw_chain_light_block(cw_chain_client *c, uint64_t height, cw_light_block *lb, char *err,
                         size_t err_len)
{
    memset(lb, 0, sizeof *lb);
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_height_params_enc(&p, height);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = cw_chain_ensure(c, err, err_len);
    if (rc == CW_OK) {
        rc = cw_rpc_call(c->cl, "light_block", cw_enc_data(&p), cw_enc_len(&p), &buf, &len,
                         c->timeout_ms, err, err_len);
        if (rc == CW_ECLOSED || rc == CW_ETIMEOUT)
            drop(c, err);
    }
    cw_enc_free(&p);
    if (rc == CW_OK)
        rc = cw_light_block_decode(lb, buf, len, err, err_len);
    free(buf);
    return rc;
}

int cw_chain_refresh_nonce(cw_chain_client *c, char *err, size_t err_len)
{
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_address_params_enc(&p, &c->addr);
    CALL_BEGIN(c, "account", &p);
    cw_enc_free(&p);
    if (rc == CW_OK) {
        static _Thread_local cw_rpc_account a; /* 5 KiB of balances: off the stack */
        cw_rpc_account_dec(&d, root, &a);
        rc = d.rc;
        if (rc == CW_OK) {
            c->next_nonce = a.pending_next_nonce;
            c->nonce_known = true;
        }
    }
    CALL_END();
    return rc;
}

int cw_chain_broadcast_send(cw_chain_client *c, const cw_bytes *msgs, size_t n,
                            uint8_t hash32[static 32], uint32_t *msgid, char *err,
                            size_t err_len)
{
    *msgid = 0;
    if (!c->has_key)
        return cw_errf(err, err_len, CW_EINVAL, "chain %s: no signer key", c->cfg->id);
    int rc = cw_chain_ensure(c, err, err_len);
    if (rc)
        return rc;
    if (!c->nonce_known && (rc = cw_chain_refresh_nonce(c, err, err_len)))
        return rc;
    uint8_t *tx = NULL;
    size_t len = 0;
    if ((rc = cw_tx_sign_with(&tx, &len, c->cfg->id, &c->signer, c->next_nonce, 0, msgs, n,
                              c->memo ? c->memo : "", err, err_len)))
        return rc;
    cw_sha256(hash32, tx, len);
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_broadcast_params_enc(&p, tx, len);
    free(tx);
    if ((rc = send_call(c, "broadcast_tx", &p, msgid, err, err_len)))
        return rc;
    c->next_nonce++; /* the next tx follows this one in the signer's sequence */
    cw_chain_note(c, CW_CHAIN_EV_TX_SUBMITTED, 1);
    return CW_OK;
}

int cw_chain_broadcast_result(cw_chain_client *c, uint32_t msgid, uint32_t timeout_ms,
                              char *err, size_t err_len)
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

int cw_chain_broadcast(cw_chain_client *c, const cw_bytes *msgs, size_t n,
                       uint8_t hash32[static 32], char *err, size_t err_len)
{
    int rc = CW_OK;
    for (int attempt = 0; attempt < 3; attempt++) {
        uint32_t id;
        if ((rc = cw_chain_broadcast_send(c, msgs, n, hash32, &id, err, err_len)))
            return rc;
        rc = cw_chain_broadcast_result(c, id, c->timeout_ms, err, err_len);
        if (rc == CW_ETIMEOUT)
            cw_rpc_call_forget(c->cl, id);
        if (rc != CW_ENONCE)
            return rc;
        cw_log(CW_LOG_WARN, "nonce mismatch chain=%s reason=\"%s\"; re-reading the account",
               c->cfg->id, err);
    }
    return rc;
}

int cw_chain_tx_result_send(cw_chain_client *c, const uint8_t hash32[static 32],
                            uint32_t *msgid, char *err, size_t err_len)
{
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_hash_params_enc(&p, hash32);
    return send_call(c, "tx_status", &p, msgid, err, err_len);
}

static void txres_clear(cw_chain_txres *r)
{
    memset(r, 0, sizeof *r);
    r->failed_msg = -1;
}

int cw_chain_tx_result_take(cw_chain_client *c, uint32_t msgid, cw_chain_txres *r, char *err,
                            size_t err_len)
{
    txres_clear(r);
    TAKE_BEGIN(c, msgid, "tx_status");
    cw_rpc_tx_status st;
    cw_rpc_tx_status_dec(&d, root, &st);
    if ((rc = d.rc) == CW_OK) {
        r->height = st.height;
        r->code = st.code;
        r->failed_msg = st.has_failed_msg && st.failed_msg <= INT64_MAX ? (int64_t)st.failed_msg
                                                                         : -1;
        snprintf(r->log, sizeof r->log, "%.*s", (int)st.log.len, (const char *)st.log.p);
        for (uint32_t i = 0; i < st.n_types && r->n_types < CW_CHAIN_TXRES_TYPES; i++) {
            snprintf(r->types[r->n_types].type, sizeof r->types[0].type, "%.*s",
                     (int)st.types[i].type.len, (const char *)st.types[i].type.p);
            r->types[r->n_types++].count =
                st.types[i].count > UINT32_MAX ? UINT32_MAX : (uint32_t)st.types[i].count;
        }
    }
    cw_dec_close(&d);
    free(buf);
    return rc;
}

uint32_t cw_chain_txres_count(const cw_chain_txres *r, const char *type)
{
    for (uint32_t i = 0; i < r->n_types; i++)
        if (strcmp(r->types[i].type, type) == 0)
            return r->types[i].count;
    return 0;
}

int cw_chain_tx_result(cw_chain_client *c, const uint8_t hash32[static 32], cw_chain_txres *r,
                       char *err, size_t err_len)
{
    uint32_t id;
    int rc = cw_chain_tx_result_send(c, hash32, &id, err, err_len);
    if (rc) {
        txres_clear(r);
        return rc;
    }
    return cw_chain_tx_result_take(c, id, r, err, err_len);
}

int cw_chain_wait_tx(cw_chain_client *c, const uint8_t hash32[static 32], uint32_t timeout_ms,
                     cw_chain_txres *r, char *err, size_t err_len)
{
    uint64_t deadline = cw_chain_now_ms() + timeout_ms;
    for (;;) {
        int rc = cw_chain_tx_result(c, hash32, r, err, err_len);
        if (rc != CW_ENOTFOUND && rc != CW_ECLOSED)
            return rc;
        if (cw_chain_now_ms() >= deadline)
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

int cw_chain_proofs_send(cw_chain_client *c, const cw_chain_qreq *q, size_t n, uint64_t height,
                         uint32_t *msgid, char *err, size_t err_len)
{
    static _Thread_local cw_rpc_query_many_params qp; /* 16 KiB: off the stack */
    qp.n = n > CW_RPC_BATCH_MAX ? CW_RPC_BATCH_MAX + 1 : (uint32_t)n;
    for (uint32_t i = 0; i < qp.n && i < CW_RPC_BATCH_MAX; i++)
        qp.keys[i] = (cw_bytes){(const uint8_t *)q[i].key, strlen(q[i].key)};
    qp.height = height;
    qp.prove = true;
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_query_many_params_enc(&p, &qp);
    return send_call(c, "query_many", &p, msgid, err, err_len);
}

/* one query_many answer into q[0..): how many it answered in *got */
static int proofs_take(cw_chain_client *c, uint32_t msgid, cw_chain_qreq *q, size_t n,
                       uint64_t height, size_t *got, char *err, size_t err_len)
{
    *got = 0;
    TAKE_BEGIN(c, msgid, "query_many");
    cw_rpc_query_many r;
    cw_rpc_query_many_dec(&d, root, (uint32_t)n, &r);
    if (d.rc == CW_OK && height && r.height != height)
        cw_dec_fail(&d, CW_EBADPROOF, "query_many: asked at height %" PRIu64 ", answered at %"
                    PRIu64, height, r.height);
    if (d.rc == CW_OK && r.n == 0)
        cw_dec_fail(&d, CW_EMALFORMED, "query_many: no item answered");
    for (uint32_t i = 0; d.rc == CW_OK && i < r.n; i++) {
        cw_rpc_qitem it;
        char what[48];
        snprintf(what, sizeof what, "query_many.items[%u]", i);
        cw_rpc_qitem_dec(&d, &r.items[i], &it, what);
        if (d.rc)
            break;
        q[i].at = r.height;
        q[i].rc = CW_OK;
        if (it.has_value)
            q[i].val = dup_bytes(it.value, &q[i].val_len, &q[i].rc);
        if (it.has_proof)
            q[i].proof = dup_bytes(it.proof, &q[i].proof_len, &q[i].rc);
        else if (q[i].rc == CW_OK)
            q[i].rc = CW_EMALFORMED;
        (*got)++;
    }
    rc = d.rc;
    cw_dec_close(&d);
    free(buf);
    return rc;
}

int cw_chain_proofs_take(cw_chain_client *c, uint32_t msgid, cw_chain_qreq *q, size_t n,
                         uint64_t height, char *err, size_t err_len)
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
            break;
        /* the answer was cut at the chain's size cap: ask for the rest at the same height */
        if ((rc = cw_chain_proofs_send(c, q + done, n - done, height ? height : q[0].at, &msgid,
                                       err, err_len)))
            return rc;
    }
    /* nothing the node said is used before it is checked against a verified header */
    uint8_t root[32];
    int rc = proof_root(c, q[0].at, root, err, err_len);
    for (size_t i = 0; rc == CW_OK && i < n; i++)
        rc = q[i].rc == -ENOMEM ? cw_errf(err, err_len, -ENOMEM, "out of memory")
                                : proof_verify(c, root, q[i].key, q[i].val, q[i].val_len, q[i].proof, q[i].proof_len,
                          q[i].at, err, err_len);
    return rc;
}

int cw_chain_query_many(cw_chain_client *c, cw_chain_qreq *q, size_t n, uint64_t height,
                        char *err, size_t err_len)
{
    uint32_t id;
    int rc = cw_chain_proofs_send(c, q, n, height, &id, err, err_len);
    return rc ? rc : cw_chain_proofs_take(c, id, q, n, height, err, err_len);
}

void cw_chain_qreq_free(cw_chain_qreq *q, size_t n)
{
    for (size_t i = 0; q && i < n; i++) {
        free(q[i].val);
        free(q[i].proof);
        q[i].val = q[i].proof = NULL;
    }
}

int cw_chain_packets(cw_chain_client *c, const char *port, const char *chan,
                     const uint64_t *seqs, size_t n, uint8_t **pkts, size_t *lens, char *err,
                     size_t err_len)
{
    for (size_t i = 0; i < n; i++) {
        pkts[i] = NULL;
        lens[i] = 0;
    }
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < CW_RPC_BATCH_MAX ? n - done : CW_RPC_BATCH_MAX;
        cw_enc p;
        cw_enc_init(&p);
        cw_rpc_seqs_params_enc(&p, port, chan, seqs + done, (uint32_t)k);
        CALL_BEGIN(c, "packets", &p);
        cw_enc_free(&p);
        cw_rpc_packets r = {0};
        if (rc == CW_OK) {
            cw_rpc_packets_dec(&d, root, (uint32_t)k, &r);
            if (d.rc == CW_OK && r.n == 0)
                cw_dec_fail(&d, CW_EMALFORMED, "packets: no item answered");
            for (uint32_t i = 0; d.rc == CW_OK && i < r.n; i++) {
                cw_bytes b;
                if (cw_rpc_packets_item(&d, &r, i, &b)) {
                    int mrc = CW_OK;
                    pkts[done + i] = dup_bytes(b, &lens[done + i], &mrc);
                    if (mrc)
                        cw_dec_fail(&d, mrc, "out of memory");
                }
            }
            rc = d.rc;
        }
        CALL_END();
        if (rc) {
            for (size_t i = 0; i < n; i++) {
                free(pkts[i]);
                pkts[i] = NULL;
                lens[i] = 0;
            }
            return rc;
        }
        done += r.n;
    }
    return CW_OK;
}

int cw_chain_seq_list(cw_chain_client *c, const char *method, const char *port,
                      const char *chan, const uint64_t *seqs, size_t n, uint64_t *out,
                      size_t max, size_t *n_out, char *err, size_t err_len)
{
    cw_enc p;
    cw_enc_init(&p);
    if (seqs) {
        cw_rpc_seqs_params_enc(&p, port, chan, seqs, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
    } else {
        cw_rpc_commitments_params cp = {.limit = 0};
        snprintf(cp.port, sizeof cp.port, "%s", port);
        snprintf(cp.channel, sizeof cp.channel, "%s", chan);
        cw_rpc_commitments_params_enc(&p, &cp);
    }
    *n_out = 0;
    CALL_BEGIN(c, method, &p);
    cw_enc_free(&p);
    if (rc == CW_OK) {
        uint32_t got;
        cw_rpc_seqs_dec(&d, root, out, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max, &got,
                        method);
        *n_out = got;
        rc = d.rc;
    }
    CALL_END();
    return rc;
}

int cw_chain_commitments_page(cw_chain_client *c, const char *port, const char *chan,
                              uint64_t start, uint32_t limit, uint64_t *out, size_t *n_out,
                              char *err, size_t err_len)
{
    *n_out = 0;
    if (limit == 0 || limit > CW_RPC_LIST_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "packet_commitments: limit %u not in 1..%u",
                       (unsigned)limit, (unsigned)CW_RPC_LIST_MAX);
    cw_rpc_commitments_params cp = {.start = start, .limit = limit};
    snprintf(cp.port, sizeof cp.port, "%s", port);
    snprintf(cp.channel, sizeof cp.channel, "%s", chan);
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_commitments_params_enc(&p, &cp);
    CALL_BEGIN(c, "packet_commitments", &p);
    cw_enc_free(&p);
    if (rc == CW_OK) {
        uint32_t got;
        cw_rpc_seqs_dec(&d, root, out, limit, &got, "packet_commitments");
        for (uint32_t i = 0; d.rc == CW_OK && i < got; i++)
            if (out[i] < start || (i > 0 && out[i] <= out[i - 1]))
                cw_dec_fail(&d, CW_EMALFORMED, "packet_commitments: answer[%u] = %llu is not "
                            "ascending from %llu", i, (unsigned long long)out[i],
                            (unsigned long long)start);
        *n_out = d.rc ? 0 : got;
        rc = d.rc;
    }
    CALL_END();
    return rc;
}

int cw_chain_packet_bytes(cw_chain_client *c, const char *method, const char *port,
                          const char *chan, uint64_t seq, uint8_t **out, size_t *len, char *err,
                          size_t err_len)
{
    cw_rpc_chan_params cp = {.seq = seq};
    snprintf(cp.port, sizeof cp.port, "%s", port);
    snprintf(cp.channel, sizeof cp.channel, "%s", chan);
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_chan_params_enc(&p, &cp, true);
    *out = NULL;
    *len = 0;
    CALL_BEGIN(c, method, &p);
    cw_enc_free(&p);
    if (rc == CW_OK) {
        cw_bytes b = cw_rpc_packet_dec(&d, root, method);
        if ((rc = d.rc) == CW_OK)
            *out = dup_bytes(b, len, &rc);
    }
    CALL_END();
    return rc;
}

/* ---- the lending market's keeper reads (DESIGN §8 "Keeper") -------------------------- */

int cw_chain_lend_borrowers(cw_chain_client *c, const cw_address *start_after, uint32_t limit,
                            cw_rpc_lend_borrowers *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    cw_rpc_lend_borrowers_params bp = {.has_start = start_after != NULL, .limit = limit};
    if (start_after)
        bp.start_after = *start_after;
    if (limit == 0 || limit > CW_RPC_BORROWERS_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "lend_borrowers: limit %u not in 1..%u",
                       (unsigned)limit, (unsigned)CW_RPC_BORROWERS_MAX);
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_lend_borrowers_params_enc(&p, &bp);
    CALL_BEGIN(c, "lend_borrowers", &p);
    cw_enc_free(&p);
    if (rc == CW_OK) {
        cw_rpc_lend_borrowers_dec(&d, root, out);
        if (d.rc == CW_OK && out->n > limit)
            cw_dec_fail(&d, CW_ETOOBIG, "lend_borrowers: %u addresses answered, limit %u",
                        (unsigned)out->n, (unsigned)limit);
        if (d.rc == CW_OK && start_after && out->n > 0 &&
            memcmp(out->addrs[0].b, start_after->b, 20) <= 0)
            cw_dec_fail(&d, CW_EMALFORMED, "lend_borrowers: answer does not start after "
                        "start_after");
        rc = d.rc;
        if (rc)
            memset(out, 0, sizeof *out);
    }
    CALL_END();
    return rc;
}

int cw_chain_lend_quote(cw_chain_client *c, const cw_address *borrower, cw_rpc_lend_quote *out,
                        char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_address_params_enc(&p, borrower);
    CALL_BEGIN(c, "lend_quote", &p);
    cw_enc_free(&p);
    if (rc == CW_OK) {
        cw_rpc_lend_quote_dec(&d, root, out);
        if (d.rc == CW_OK && memcmp(out->borrower.b, borrower->b, 20) != 0)
            cw_dec_fail(&d, CW_EMALFORMED, "lend_quote: answer about another borrower");
        rc = d.rc;
        if (rc)
            memset(out, 0, sizeof *out);
    }
    CALL_END();
    return rc;
}
