#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/bank.h"
#include "causeway/keys.h"

void cw_tx_result_free(cw_tx_result *r)
{
    if (r) {
        free(r->events);
        r->events = NULL;
        r->events_len = 0;
    }
}

cw_rpc_tx_result cw_tx_result_view(const cw_tx_result *r)
{
    return (cw_rpc_tx_result){.code = r->code,
                              .log = {(const uint8_t *)r->log, strlen(r->log)},
                              .events_enc = {r->events, r->events_len},
                              .has_failed_msg = r->has_failed_msg,
                              .failed_msg = r->failed_msg, .gas_wanted = r->gas_wanted,
                              .gas_used = r->gas_used};
}

/* ---- accounts: acct/{address hex} (cw_key_account) = [next_nonce(u64), pubkey(bin 32)] ---- */

int cw_app_account_nonce(const cw_kv *kv, const cw_address *addr, uint64_t *nonce)
{
    char key[CW_KEY_MAX];
    const uint8_t *v;
    size_t n;
    *nonce = 0;
    cw_key_account(key, addr);
    int rc = cw_kv_get_s(kv, key, &v, &n);
    if (rc == CW_ENOTFOUND)
        return CW_OK;
    if (rc)
        return rc;
    cw_dec d;
    const msgpack_object *root;
    rc = cw_dec_open(&d, &root, v, n, 256, NULL, 0);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 2, "account");
        *nonce = cw_dec_u64(&d, &f[0], "account.nonce");
        rc = d.rc;
    }
    cw_dec_close(&d);
    return rc;
}

static int account_store(const cw_kv *kv, const cw_address *addr, const cw_pubkey32 *pk,
                         uint64_t next_nonce)
{
    char key[CW_KEY_MAX];
    cw_enc e;
    cw_key_account(key, addr);
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    cw_enc_u64(&e, next_nonce);
    cw_enc_bin(&e, pk->b, 32);
    int rc = e.rc ? e.rc : cw_kv_set_s(kv, key, cw_enc_data(&e), cw_enc_len(&e));
    cw_enc_free(&e);
    return rc;
}

int cw_app_deliver_room(cw_app *app, const cw_kv *block_kv, cw_events *events, const cw_tx *tx,
                        uint64_t height, uint64_t time_ns, uint64_t room, cw_tx_result *res,
                        bool *deferred)
{
    cw_exec_ctx ctx = {.app = app, .events = events, .chain_id = cw_app_chain_id(app),
                       .height = height, .time_ns = time_ns, .signer_pk = tx->signer};
    uint64_t next;
    int rc;

    memset(res, 0, sizeof *res);
    *deferred = false;
    cw_address_of(&ctx.signer, &tx->signer);
    if (strcmp(tx->chain_id, cw_app_chain_id(app)) != 0)
        return res->code = cw_errf(res->log, sizeof res->log, CW_EINVAL,
                                   "tx is for chain '%s', this is '%s'", tx->chain_id,
                                   cw_app_chain_id(app));
    if ((rc = cw_app_account_nonce(block_kv, &ctx.signer, &next)))
        return rc;
    if (tx->nonce != next)
        return res->code = cw_errf(res->log, sizeof res->log, CW_ENONCE,
                                   "nonce %llu, expected %llu", (unsigned long long)tx->nonce,
                                   (unsigned long long)next);

    /* Two layers: the nonce on `acct`, the msgs on `cache` above it. A failed tx commits
     * acct alone (its nonce is consumed); a deferred one discards both. */
    cw_kv_cache *acct, *cache;
    if ((rc = cw_kv_cache_create(&acct, block_kv)))
        return rc;
    cw_kv acct_kv = cw_kv_cache_kv(acct);
    if ((rc = account_store(&acct_kv, &ctx.signer, &tx->signer, next + 1)) ||
        (rc = cw_kv_cache_create(&cache, &acct_kv))) {
        cw_kv_cache_destroy(acct);
        return rc;
    }
    cw_kv cache_kv = cw_kv_cache_kv(cache);
    cw_gas_meter meter;
    cw_gas_meter_init(&meter, tx->gas_limit < room ? tx->gas_limit : room);
    cw_gas_kv metered = {&cache_kv, &meter};
    cw_kv kv = cw_gas_kv_view(&metered);
    ctx.kv = &kv;
    ctx.gas = &meter;
    cw_events_mark mark = cw_events_mark_now(events);
    if (cw_gas_charge(&meter, cw_gas_tx_intrinsic(tx->len, tx->n_msgs), "the tx's bytes, "
                      "signature and msgs (intrinsic gas)") != CW_OK)
        res->code = cw_gas_explain(&meter, res->log, sizeof res->log);
    for (uint32_t i = 0; i < tx->n_msgs && res->code == CW_OK; i++) {
        char type[CW_ID_MAX + 1];
        const msgpack_object *body;
        ctx.msg_index = i;
        cw_tx_msg(tx, i, type, &body);
        rc = cw_app_dispatch(app, &ctx, type, body, res->log, sizeof res->log);
        if (meter.failed) /* whatever the handler made of it, the tx ran out of gas */
            rc = cw_gas_explain(&meter, res->log, sizeof res->log);
        if (rc == CW_EINVAL && strncmp(res->log, "unknown type", 12) == 0)
            cw_errf(res->log, sizeof res->log, rc, "msg %u: unknown type '%s'", i, type);
        else if (rc)
            cw_err_prefix(res->log, sizeof res->log, rc, type);
        if (rc) {
            res->code = rc;
            res->has_failed_msg = true;
            res->failed_msg = i;
        }
    }
    /* the conditions msgs set for the tx's end (a flash loan repaid): checked once every
     * msg succeeded, metered as the msgs are; a failure fails the tx, naming the msg that
     * set the condition */
    if (res->code == CW_OK) {
        uint32_t at;
        rc = cw_exec_tx_end(&ctx, &at, res->log, sizeof res->log);
        if (meter.failed)
            rc = cw_gas_explain(&meter, res->log, sizeof res->log);
        if (rc) {
            res->code = rc;
            res->has_failed_msg = true;
            res->failed_msg = at;
        }
    }
    /* Out of the block's room rather than its own limit: the tx might still succeed with
     * its own limit, so nothing of it stays — nonce, writes, events, result. */
    *deferred = meter.failed && meter.limit < tx->gas_limit;
    res->gas_wanted = tx->gas_limit;
    res->gas_used = meter.used;
    rc = CW_OK;
    if (res->code == CW_OK && (rc = cw_kv_cache_commit(cache)) == CW_OK)
        rc = cw_kv_cache_commit(acct);
    else if (res->code != CW_OK) {
        cw_kv_cache_discard(cache);
        cw_events_truncate(events, mark);
        if (*deferred)
            cw_kv_cache_discard(acct);
        else
            rc = cw_kv_cache_commit(acct);
    }
    cw_kv_cache_destroy(cache);
    cw_kv_cache_destroy(acct);
    if (rc)
        return rc; /* store failure: the block is abandoned */
    if (*deferred) {
        memset(res, 0, sizeof *res);
        return CW_OK;
    }

    cw_enc e;
    cw_enc_init(&e);
    if ((rc = cw_events_encode(events, mark, &e)) == CW_OK)
        res->events = cw_enc_release(&e, &res->events_len);
    cw_enc_free(&e);
    return rc;
}

int cw_app_deliver(cw_app *app, const cw_kv *block_kv, cw_events *events, const cw_tx *tx,
                   uint64_t height, uint64_t time_ns, cw_tx_result *res)
{
    bool deferred;
    return cw_app_deliver_room(app, block_kv, events, tx, height, time_ns, UINT64_MAX, res,
                               &deferred);
}

/* ---- bank msgs ---- */

static int bank_send(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_bank_send *m = in;
    int rc = cw_bank_send(ctx->kv, &ctx->signer, &m->to, m->denom, m->amount, err, err_len);
    if (rc)
        return rc;
    char from_hex[41], to_hex[41];
    cw_hex_encode(from_hex, sizeof from_hex, ctx->signer.b, 20);
    cw_hex_encode(to_hex, sizeof to_hex, m->to.b, 20);
    cw_event_begin(ctx->events, CW_EV_TRANSFER, 4);
    cw_event_attr_str(ctx->events, CW_ATTR_SENDER, from_hex);
    cw_event_attr_str(ctx->events, CW_ATTR_RECIPIENT, to_hex);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, m->denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_AMOUNT, m->amount);
    return CW_OK;
}

int cw_app_register_bank(cw_app *app)
{
    return cw_app_register(app, CW_MSG_BANK_SEND, bank_send, NULL);
}
