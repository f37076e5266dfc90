/* The collateral app (DESIGN §8): escrow on the home chain, positions on the lending chain. */
#include "causeway/collateral.h"

#include <stdio.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/bank.h"
#include "causeway/keys.h"
#include "causeway/lending.h"

/* The packet data, CollateralDeposit / CollateralRelease, is cw_collateral_packet
 * (causeway/app_msgs.h). */

/* ---- escrow (A side) ------------------------------------------------------------------- */

static void escrow_account(cw_address *out, const char *channel)
{
    char name[96];
    snprintf(name, sizeof name, "escrow/collateral/%s", channel);
    cw_module_address(out, name);
}

int cw_collateral_escrow(const cw_kv *kv, uint64_t *out, const char *channel,
                         const char *denom)
{
    char key[CW_KEY_MAX];
    const uint8_t *v;
    size_t n;
    *out = 0;
    int rc = cw_key_collateral_escrow(key, channel, denom);
    if (rc)
        return rc;
    rc = cw_kv_get_s(kv, key, &v, &n);
    if (rc == CW_ENOTFOUND)
        return CW_OK;
    return rc ? rc : cw_val_be64_dec(out, v, n, NULL, 0);
}

static int escrow_set(const cw_kv *kv, const char *channel, const char *denom, uint64_t v)
{
    char key[CW_KEY_MAX];
    uint8_t b[8];
    int rc = cw_key_collateral_escrow(key, channel, denom);
    if (rc)
        return rc;
    if (v == 0)
        return cw_kv_del_s(kv, key);
    cw_val_be64_enc(b, v);
    return cw_kv_set_s(kv, key, b, 8);
}

int cw_collateral_unescrow(const cw_kv *kv, const char *channel, const char *denom,
                           uint64_t amount, const cw_address *to, char *err, size_t err_len)
{
    uint64_t held, left;
    cw_address esc;
    int rc = cw_collateral_escrow(kv, &held, channel, denom);
    if (rc)
        return cw_errf(err, err_len, rc, "escrow: %s", cw_strerror(rc));
    if (cw_sub_u64(&left, held, amount))
        return cw_errf(err, err_len, CW_EINSUFFICIENT,
                       "channel %s escrows %llu %s, cannot release %llu", channel,
                       (unsigned long long)held, denom, (unsigned long long)amount);
    escrow_account(&esc, channel);
    if ((rc = cw_bank_send(kv, &esc, to, denom, amount, err, err_len)))
        return rc;
    return escrow_set(kv, channel, denom, left);
}

/* ---- the pending aggregate (source side) -----------------------------------------------
 * collateral/pending/{channel}/{kind}/{denom} = [count, Σ amount] of the packets this chain
 * sent whose commitment is outstanding (causeway/keys.h): +1 in the tx that writes the
 * commitment (send), -1 in the tx that deletes it (ack or timeout). Deleted at [0, 0]. */
static int pending_move(const cw_kv *kv, const char *channel, const cw_collateral_packet *c,
                        bool add, char *err, size_t err_len)
{
    char key[CW_KEY_MAX];
    int rc = cw_key_collateral_pending(key, channel, c->kind == CW_COLLATERAL_RELEASE, c->denom);
    if (rc)
        return cw_errf(err, err_len, rc, "channel %s, denom %s: not identifiers", channel,
                       c->denom);
    return cw_pending_move(kv, key, c->amount, add, err, err_len);
}

static void app_event(cw_exec_ctx *ctx, const char *type, const char *channel,
                      const cw_collateral_packet *c)
{
    char from[41], to[41];
    cw_hex_encode(from, sizeof from, c->from.b, 20);
    cw_hex_encode(to, sizeof to, c->to.b, 20);
    cw_event_begin(ctx->events, type, 5);
    cw_event_attr_str(ctx->events, CW_ATTR_CHANNEL, channel);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, c->denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_AMOUNT, c->amount);
    cw_event_attr_str(ctx->events, CW_ATTR_FROM, from);
    cw_event_attr_str(ctx->events, CW_ATTR_TO, to);
}

/* ---- channel callbacks ----------------------------------------------------------------- */

static const cw_ibc_open_rules open_rules = {
    .port = CW_COLLATERAL_PORT, .version = CW_COLLATERAL_VERSION, .unordered_ok = true};

static int on_close_init(void *user, cw_exec_ctx *ctx, const char *channel, char *err,
                         size_t err_len)
{
    (void)user, (void)ctx;
    return cw_errf(err, err_len, CW_EUNAUTHORIZED,
                   "channel %s: collateral channels cannot be closed (escrow and positions "
                   "would be stranded)", channel);
}

/* ---- packet callbacks ------------------------------------------------------------------ */

static void on_recv(void *user, cw_exec_ctx *ctx, const cw_packet *p, cw_enc *ack)
{
    (void)user;
    cw_collateral_packet c;
    char err[256];
    int rc = cw_collateral_packet_decode(&c, p->data.p, p->data.len, err, sizeof err);
    if (rc == CW_OK && c.kind == CW_COLLATERAL_DEPOSIT) {
        /* on B: credit a position, for registered (channel, denom) only */
        rc = cw_lend_credit(ctx->kv, &c.to, p->dest_channel, c.denom, c.amount, err,
                            sizeof err);
        if (rc == CW_ENOTFOUND)
            cw_errf(err, sizeof err, rc, "collateral %s on channel %s is not registered here",
                    c.denom, p->dest_channel);
        if (rc == CW_OK)
            app_event(ctx, CW_EV_COLLATERAL_CREDITED, p->dest_channel, &c);
    } else if (rc == CW_OK) {
        /* on A: unescrow to the receiver, never more than this channel escrowed */
        rc = cw_collateral_unescrow(ctx->kv, p->dest_channel, c.denom, c.amount, &c.to, err, sizeof err);
        if (rc == CW_OK)
            app_event(ctx, CW_EV_COLLATERAL_RELEASED, p->dest_channel, &c);
    }
    if (rc == CW_OK)
        cw_ack_enc_ok(ack, "\x01", 1);
    else
        cw_ack_enc_error(ack, err);
}

/* The sender side's settlement of a packet: success (ok ack) or failure (error ack or
 * timeout). Cannot refuse: returns non-zero only for a store failure. */
static int settle(cw_exec_ctx *ctx, const cw_packet *p, bool success)
{
    cw_collateral_packet c;
    char err[256];
    if (cw_collateral_packet_decode(&c, p->data.p, p->data.len, err, sizeof err) != CW_OK)
        return CW_OK; /* we only ever commit packets we encoded: unreachable */
    int rc = pending_move(ctx->kv, p->source_channel, &c, false, err, sizeof err);
    if (rc)
        return rc;
    if (c.kind == CW_COLLATERAL_DEPOSIT) {
        if (!success) { /* refund the owner on A */
            rc = cw_collateral_unescrow(ctx->kv, p->source_channel, c.denom, c.amount, &c.from, err,
                          sizeof err);
            if (rc == CW_OK)
                app_event(ctx, CW_EV_COLLATERAL_REFUNDED, p->source_channel, &c);
        }
    } else {
        /* on B: settle the in-flight release; on failure re-credit the holder,
         * unconditionally (no price or health gate) */
        rc = cw_lend_release_settle(ctx->kv, &c.from, p->source_channel, c.denom, c.amount,
                                    success, err, sizeof err);
        if (rc == CW_OK && !success)
            app_event(ctx, CW_EV_COLLATERAL_RECREDITED, p->source_channel, &c);
    }
    return rc;
}

static int on_ack(void *user, cw_exec_ctx *ctx, const cw_packet *p, bool ok, cw_bytes payload)
{
    (void)user, (void)payload;
    return settle(ctx, p, ok);
}

static int on_timeout(void *user, cw_exec_ctx *ctx, const cw_packet *p)
{
    (void)user;
    return settle(ctx, p, false);
}

/* ---- msgs ------------------------------------------------------------------------------ */

static int send_packet(cw_exec_ctx *ctx, const char *channel, const cw_collateral_packet *c, uint64_t th,
                uint64_t tt, char *err, size_t err_len)
{
    cw_ibc *h = cw_app_handler_user(ctx);
    cw_enc e;
    uint64_t seq;
    cw_enc_init(&e);
    cw_collateral_packet_enc(&e, c);
    int rc = e.rc ? e.rc
                  : cw_ibc_send_packet(h, ctx, CW_COLLATERAL_PORT, channel, cw_enc_data(&e),
                                       cw_enc_len(&e), th, tt, &seq, err, err_len);
    cw_enc_free(&e);
    return rc ? rc : pending_move(ctx->kv, channel, c, true, err, err_len);
}

/* collateral.lock (on A): escrow, then the deposit packet. */
static int msg_lock(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_collateral_lock *m = in;
    uint64_t held, supply;
    const char *channel = m->channel;
    cw_collateral_packet c = {.kind = CW_COLLATERAL_DEPOSIT, .amount = m->amount,
                              .from = ctx->signer, .to = m->to};
    memcpy(c.denom, m->denom, sizeof c.denom);
    if (c.amount == 0)
        return cw_errf(err, err_len, CW_EINVAL, "amount: must be greater than zero");
    int rc = cw_bank_supply(ctx->kv, &supply, c.denom);
    if (rc)
        return cw_errf(err, err_len, rc, "denom %s: %s", c.denom, cw_strerror(rc));
    if (supply == 0 || strncmp(c.denom, "ibc", 3) == 0)
        return cw_errf(err, err_len, CW_EINVAL, "denom %s is not held on this chain", c.denom);
    cw_address esc;
    escrow_account(&esc, channel);
    if ((rc = cw_collateral_escrow(ctx->kv, &held, channel, c.denom)))
        return rc;
    if (cw_add_u64(&held, held, c.amount))
        return cw_errf(err, err_len, CW_EOVERFLOW, "escrow would overflow");
    if ((rc = cw_bank_send(ctx->kv, &ctx->signer, &esc, c.denom, c.amount, err, err_len)) ||
        (rc = escrow_set(ctx->kv, channel, c.denom, held)) ||
        (rc = send_packet(ctx, channel, &c, m->timeout_height, m->timeout_timestamp_ns, err,
                          err_len)))
        return rc;
    app_event(ctx, CW_EV_COLLATERAL_LOCKED, channel, &c);
    return CW_OK;
}

/* lend.withdraw_collateral (on B): the LTV-checked debit, then the release packet. */
static int msg_withdraw(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_withdraw_collateral *m = in;
    cw_collateral_packet c = {.kind = CW_COLLATERAL_RELEASE, .amount = m->amount,
                              .from = ctx->signer, .to = m->to};
    memcpy(c.denom, m->denom, sizeof c.denom);
    int rc = cw_lend_release_debit(ctx->kv, ctx->time_ns, &ctx->signer, m->channel, c.denom,
                                   c.amount, err, err_len);
    if (rc || (rc = send_packet(ctx, m->channel, &c, m->timeout_height, m->timeout_timestamp_ns,
                                err, err_len)))
        return rc;
    app_event(ctx, CW_EV_COLLATERAL_WITHDRAWN, m->channel, &c);
    return CW_OK;
}

int cw_collateral_register(cw_ibc *h, cw_app *app)
{
    cw_ibc_app a = {.port = CW_COLLATERAL_PORT,
                    .open_rules = &open_rules,
                    .max_data = CW_PACKET_DATA_MAX, /* acks: ok [true, 0x01] or an error */
                    .max_ack = CW_IBC_ACK_ERROR_MAX,
                    .on_chan_close_init = on_close_init,
                    .on_recv_packet = on_recv,
                    .on_acknowledgement_packet = on_ack,
                    .on_timeout_packet = on_timeout};
    int rc;
    if ((rc = cw_ibc_bind(h, &a)) ||
        (rc = cw_app_register(app, CW_MSG_COLLATERAL_LOCK, msg_lock, h)) ||
        (rc = cw_app_register(app, CW_MSG_LEND_WITHDRAW_COLLATERAL, msg_withdraw, h)))
        return rc;
    return CW_OK;
}
