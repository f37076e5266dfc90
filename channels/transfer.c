/* The ICS-20 transfer app (include/causeway/transfer.h): escrow/burn on send, mint/unescrow
 * on receive, refund on an error ack or a timeout — ibc-go v7's keeper/relay.go rules. */
#include "causeway/transfer.h"

#include <stdio.h>
#include <string.h>

#include "causeway/bank.h"
#include "causeway/keys.h"

/* ---- denom traces ---------------------------------------------------------------------- */

/* The full path of voucher ibc_denom from its stored trace: CW_OK, CW_ENOTFOUND, or error. */
static int trace_get(const cw_kv *kv, char path[static CW_ICS20_DENOM_MAX + 1],
                     const char *ibc_denom, char *err, size_t err_len)
{
    char key[CW_KEY_MAX];
    const uint8_t *v = NULL;
    size_t n = 0;
    int rc = cw_key_ics20_denom_trace(key, ibc_denom);
    if (rc)
        return cw_errf(err, err_len, rc, "denom %s: not a voucher", ibc_denom);
    rc = cw_kv_get_s(kv, key, &v, &n);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "denom %s: no denom trace on this chain", ibc_denom);
    if (rc)
        return cw_errf(err, err_len, rc, "%s: %s", key, cw_strerror(rc));
    return cw_val_denom_trace_dec(path, ibc_denom, v, n, err, err_len);
}

/* Store path's trace (and its index entry) unless it is there already. */
static int trace_put(const cw_kv *kv, const char *path, const char *ibc_denom)
{
    char key[CW_KEY_MAX];
    const uint8_t *v;
    size_t n;
    int rc = cw_key_ics20_denom_trace(key, ibc_denom);
    if (rc)
        return rc;
    rc = cw_kv_get_s(kv, key, &v, &n);
    if (rc != CW_ENOTFOUND)
        return rc; /* CW_OK: known */
    if ((rc = cw_kv_set_s(kv, key, path, strlen(path))))
        return rc;
    uint64_t count = 0;
    rc = cw_kv_get_s(kv, CW_KEY_ICS20_TRACE_COUNT, &v, &n);
    if (rc == CW_OK)
        rc = cw_val_be64_dec(&count, v, n, NULL, 0);
    else if (rc == CW_ENOTFOUND)
        rc = CW_OK;
    if (rc)
        return rc;
    uint8_t b[8];
    cw_val_be64_enc(b, count + 1);
    cw_key_ics20_trace_index(key, count);
    if ((rc = cw_kv_set_s(kv, key, ibc_denom, strlen(ibc_denom))))
        return rc;
    return cw_kv_set_s(kv, CW_KEY_ICS20_TRACE_COUNT, b, 8);
}

/* The denom this chain's bank holds for full path `path` (ibc-go DenomTrace.IBCDenom): the
 * voucher ibc/HASH(path) when path carries a trace, else path itself, which must then be a
 * native identifier here. */
static int local_denom(char out[static CW_TRACE_DENOM_LEN + 1], const char *path, char *err,
                       size_t err_len)
{
    if (cw_ics20_path_has_trace(path)) {
        cw_ics20_ibc_denom(out, path);
        return CW_OK;
    }
    if (strlen(path) > CW_ID_MAX || !cw_bank_denom_valid(path) || path[0] == '\0')
        return cw_errf(err, err_len, CW_EINVAL, "denom \"%.80s\" is not held on this chain",
                       path);
    snprintf(out, CW_TRACE_DENOM_LEN + 1, "%s", path);
    return CW_OK;
}

static void app_event(cw_exec_ctx *ctx, const char *type, const char *channel,
                      const cw_ics20_packet *d, uint64_t amount, uint64_t seq)
{
    cw_event_begin(ctx->events, type, 6);
    cw_event_attr_str(ctx->events, CW_ATTR_CHANNEL, channel);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, d->denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_AMOUNT, amount);
    cw_event_attr_str(ctx->events, CW_ATTR_SENDER, d->sender);
    cw_event_attr_str(ctx->events, CW_ATTR_RECEIVER, d->receiver);
    cw_event_attr_u64(ctx->events, CW_ATTR_SEQUENCE, seq);
}

/* ---- channel callbacks ----------------------------------------------------------------- */

static const cw_ibc_open_rules open_rules = {
    .port = CW_ICS20_PORT, .version = CW_ICS20_VERSION, .unordered_ok = true};

static int on_close_init(void *user, cw_exec_ctx *ctx, const char *channel, char *err,
                         size_t err_len)
{
    (void)user, (void)ctx;
    return cw_errf(err, err_len, CW_EUNAUTHORIZED,
                   "channel %s: transfer channels cannot be closed by a user (ibc-go refuses "
                   "it too: escrow and vouchers would be stranded)", channel);
}

/* ---- receive --------------------------------------------------------------------------- */

/* The receive rules; CW_OK or a failure with *code the ABCI code of the error ack. */
static int recv_rules(cw_exec_ctx *ctx, const cw_packet *p, cw_ics20_packet *d, uint64_t *amount,
                uint32_t *code, char *err, size_t err_len)
{
    int rc = cw_ics20_packet_decode(d, p->data.p, p->data.len, err, err_len);
    if (rc) {
        *code = CW_ICS20_ABCI_INVALID_TYPE; /* "cannot unmarshal ICS-20 transfer packet data" */
        return rc;
    }
    if ((rc = cw_ics20_packet_validate(d, code, err, err_len)))
        return rc;
    *code = CW_ICS20_ABCI_INVALID_AMOUNT;
    if ((rc = cw_ics20_amount_parse(amount, d->amount, err, err_len)))
        return rc;
    cw_address to;
    *code = CW_ICS20_ABCI_INVALID_ADDRESS;
    if (strlen(d->receiver) != 40 ||
        (rc = cw_hex_decode_exact(to.b, 20, d->receiver, NULL, 0)))
        return cw_errf(err, err_len, CW_EINVAL, "receiver \"%.80s\": not a 40-hex-digit address",
                       d->receiver);
    char denom[CW_TRACE_DENOM_LEN + 1];
    if (cw_ics20_has_prefix(d->denom, p->source_port, p->source_channel)) {
        /* returning home: unescrow what this channel escrowed */
        const char *rest = d->denom + strlen(p->source_port) + strlen(p->source_channel) + 2;
        *code = CW_ICS20_ABCI_INVALID_DENOM;
        if ((rc = local_denom(denom, rest, err, err_len)))
            return rc;
        cw_address esc;
        cw_ics20_escrow_address(&esc, p->dest_port, p->dest_channel);
        *code = CW_ICS20_ABCI_INSUFFICIENT;
        return cw_bank_send(ctx->kv, &esc, &to, denom, *amount, err, err_len);
    }
    /* a voucher: prefix this end and mint */
    char path[CW_ICS20_DENOM_MAX + 1];
    int n = snprintf(path, sizeof path, "%s/%s/%s", p->dest_port, p->dest_channel, d->denom);
    *code = CW_ICS20_ABCI_INVALID_DENOM;
    if (n < 0 || (size_t)n >= sizeof path)
        return cw_errf(err, err_len, CW_ETOOBIG, "denom path over %u bytes once prefixed",
                       CW_ICS20_DENOM_MAX);
    cw_ics20_ibc_denom(denom, path);
    if ((rc = trace_put(ctx->kv, path, denom)))
        return cw_errf(err, err_len, rc, "denom trace: %s", cw_strerror(rc));
    *code = CW_ICS20_ABCI_INVALID_AMOUNT;
    return cw_bank_mint(ctx->kv, &to, denom, *amount, err, err_len);
}

static void on_recv(void *user, cw_exec_ctx *ctx, const cw_packet *p, cw_enc *ack)
{
    (void)user;
    cw_ics20_packet d;
    uint64_t amount = 0;
    uint32_t code = 0;
    char err[256];
    if (recv_rules(ctx, p, &d, &amount, &code, err, sizeof err) == CW_OK) {
        app_event(ctx, CW_EV_ICS20_RECEIVED, p->dest_channel, &d, amount, p->sequence);
        cw_ics20_ack_success_enc(ack);
    } else {
        /* ibc-go's error ack carries the ABCI code only (deterministic); the detail is
         * discarded with the app's events, as the app's writes are */
        cw_ics20_ack_error_enc(ack, code);
    }
}

/* ---- acknowledgement, timeout ---------------------------------------------------------- */

/* The data of a packet this chain sent, decoded once for the ack or timeout's settle and
 * refund: false only if it does not decode, which cannot happen (we only ever commit packets
 * we encoded from a valid msg). */
static bool sent_data(const cw_packet *p, cw_ics20_packet *d, uint64_t *amount)
{
    char err[256];
    return cw_ics20_packet_decode(d, p->data.p, p->data.len, err, sizeof err) == CW_OK &&
           cw_ics20_amount_parse(amount, d->amount, err, sizeof err) == CW_OK;
}

/* Refund the sender of p, whose data is d (ibc-go refundPacketToken). Cannot refuse a
 * business rule: returns non-zero only for a store failure. */
static int refund(cw_exec_ctx *ctx, const cw_packet *p, const cw_ics20_packet *d,
                  uint64_t amount)
{
    char err[256], denom[CW_TRACE_DENOM_LEN + 1];
    cw_address from;
    if (cw_hex_decode_exact(from.b, 20, d->sender, err, sizeof err))
        return CW_OK; /* unreachable: we encoded it from a valid msg */
    int rc;
    if (cw_ics20_has_prefix(d->denom, p->source_port, p->source_channel)) {
        /* the voucher was burned when sent: mint it back */
        cw_ics20_ibc_denom(denom, d->denom);
        rc = cw_bank_mint(ctx->kv, &from, denom, amount, err, sizeof err);
    } else {
        cw_address esc;
        cw_ics20_escrow_address(&esc, p->source_port, p->source_channel);
        if (local_denom(denom, d->denom, err, sizeof err))
            return CW_OK; /* unreachable: we sent it */
        rc = cw_bank_send(ctx->kv, &esc, &from, denom, amount, err, sizeof err);
    }
    if (rc == CW_OK)
        app_event(ctx, CW_EV_ICS20_REFUNDED, p->source_channel, d, amount, p->sequence);
    return rc;
}

/* transfer/pending/{channel}/{HASH(denom path)} (causeway/keys.h): +1 when a transfer is
 * sent, -1 when its commitment goes (ack or timeout), in the same tx as the commitment, so
 * the audit can prove it saw every transfer in flight (DESIGN §8 "Audit"). */
static int pending_move(const cw_kv *kv, const char *channel, const cw_ics20_packet *d,
                        uint64_t amount, bool add, char *err, size_t err_len)
{
    char key[CW_KEY_MAX];
    int rc = cw_key_ics20_pending(key, channel, d->denom);
    if (rc)
        return cw_errf(err, err_len, rc, "channel %s, denom %s: no pending key", channel,
                       d->denom);
    return cw_pending_move(kv, key, amount, add, err, err_len);
}

/* The packet's commitment goes (ack or timeout): settle its pending count, then refund the
 * sender unless the ack is a success. Only fails on a store failure (we committed the packet
 * from a valid msg, counted when sent). */
static int settle(cw_exec_ctx *ctx, const cw_packet *p, bool refund_sender)
{
    cw_ics20_packet d;
    char err[256];
    uint64_t amount;
    if (!sent_data(p, &d, &amount))
        return CW_OK; /* unreachable: we sent it */
    int rc = pending_move(ctx->kv, p->source_channel, &d, amount, false, err, sizeof err);
    return rc || !refund_sender ? rc : refund(ctx, p, &d, amount);
}

static int on_ack(void *user, cw_exec_ctx *ctx, const cw_packet *p, bool ok, cw_bytes payload)
{
    (void)user, (void)payload;
    return settle(ctx, p, !ok);
}

static int on_timeout(void *user, cw_exec_ctx *ctx, const cw_packet *p)
{
    (void)user;
    return settle(ctx, p, true);
}

/* ---- transfer.transfer ----------------------------------------------------------------- */

static int msg_transfer(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_transfer *m = in;
    cw_ics20_packet d;
    int rc;
    memset(&d, 0, sizeof d);
    if (m->amount == 0)
        return cw_errf(err, err_len, CW_EINVAL, "amount: must be greater than zero");
    /* the full denom path: a voucher's from its trace, a native denom as it is */
    if (cw_trace_denom_valid(m->denom, strlen(m->denom))) {
        if ((rc = trace_get(ctx->kv, d.denom, m->denom, err, err_len)))
            return rc;
    } else {
        snprintf(d.denom, sizeof d.denom, "%s", m->denom);
    }
    snprintf(d.amount, sizeof d.amount, "%llu", (unsigned long long)m->amount);
    cw_hex_encode(d.sender, sizeof d.sender, ctx->signer.b, 20);
    snprintf(d.receiver, sizeof d.receiver, "%s", m->receiver);
    snprintf(d.memo, sizeof d.memo, "%s", m->memo);
    if (cw_ics20_has_prefix(d.denom, CW_ICS20_PORT, m->channel)) {
        /* the voucher goes back where it came from: burn it */
        rc = cw_bank_burn(ctx->kv, &ctx->signer, m->denom, m->amount, err, err_len);
    } else {
        cw_address esc;
        cw_ics20_escrow_address(&esc, CW_ICS20_PORT, m->channel);
        rc = cw_bank_send(ctx->kv, &ctx->signer, &esc, m->denom, m->amount, err, err_len);
    }
    if (rc)
        return rc;
    cw_enc e;
    uint64_t seq = 0;
    cw_enc_init(&e);
    rc = cw_ics20_packet_encode(&e, &d, err, err_len);
    if (rc == CW_OK)
        rc = cw_ibc_send_packet(cw_app_handler_user(ctx), ctx, CW_ICS20_PORT, m->channel,
                                cw_enc_data(&e), cw_enc_len(&e), m->timeout_height,
                                m->timeout_timestamp_ns, &seq, err, err_len);
    cw_enc_free(&e);
    if (rc == CW_OK)
        rc = pending_move(ctx->kv, m->channel, &d, m->amount, true, err, err_len);
    if (rc == CW_OK)
        app_event(ctx, CW_EV_ICS20_TRANSFER, m->channel, &d, m->amount, seq);
    return rc;
}

int cw_transfer_register(cw_ibc *h, cw_app *app)
{
    cw_ibc_app a = {.port = CW_ICS20_PORT,
                    .open_rules = &open_rules,
                    .max_data = CW_PACKET_DATA_MAX,
                    .max_ack = CW_ICS20_ACK_MAX,
                    .ack_decode = cw_ics20_ack_decode,
                    .on_chan_close_init = on_close_init,
                    .on_recv_packet = on_recv,
                    .on_acknowledgement_packet = on_ack,
                    .on_timeout_packet = on_timeout};
    int rc = cw_ibc_bind(h, &a);
    return rc ? rc : cw_app_register(app, CW_MSG_TRANSFER, msg_transfer, h);
}
