/* ICS-04 packet flow on the host: SendPacket, RecvPacket, Acknowledgement, Timeout,
 * TimeoutOnClose (DESIGN §7). Order of effects follows the ibc-go advisories: the packet
 * commitment is deleted BEFORE an app's ack/timeout callback runs; ack and timeout
 * callbacks cannot refuse; on_recv_packet runs on a cache and an error ack discards its
 * writes and its events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/bank.h"
#include "causeway/hash.h"
#include "ibc_internal.h"

static void packet_event(cw_exec_ctx *ctx, const char *type, const cw_packet *p,
                         const uint8_t *ack, size_t ack_len)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_packet_enc(&e, p);
    cw_event_begin(ctx->events, type, ack ? 6 : 5);
    cw_event_attr_str(ctx->events, CW_ATTR_SRC_PORT, p->source_port);
    cw_event_attr_str(ctx->events, CW_ATTR_SRC_CHANNEL, p->source_channel);
    cw_event_attr_str(ctx->events, CW_ATTR_DST_CHANNEL, p->dest_channel);
    cw_event_attr_u64(ctx->events, CW_ATTR_SEQUENCE, p->sequence);
    cw_event_attr_bin(ctx->events, CW_ATTR_PACKET, cw_enc_data(&e), cw_enc_len(&e));
    if (ack)
        cw_event_attr_bin(ctx->events, CW_ATTR_ACK, ack, ack_len);
    cw_enc_free(&e);
}

/* How the app's acks read (cw_ibc_app.ack_decode; the msgpack Ack by default). */
static cw_ibc_ack_decode_fn ibc_ack_decoder(const cw_ibc_app *app)
{
    return app->ack_decode ? app->ack_decode : cw_ack_decode;
}

/* The commitment stored for (port, channel, seq): CW_OK with out, CW_ENOTFOUND, or error. */
static int stored_commitment(const cw_kv *kv, const char *port, const char *channel,
                             uint64_t seq, uint8_t out[32])
{
    char path[CW_PATH_MAX];
    const uint8_t *v;
    size_t n;
    cw_path_packet(path, CW_PATH_COMMITMENTS, port, channel, seq);
    int rc = cw_kv_get_s(kv, path, &v, &n);
    if (rc)
        return rc;
    if (n != 32)
        return CW_EMALFORMED;
    memcpy(out, v, 32);
    return CW_OK;
}

/* ---- SendPacket ------------------------------------------------------------------------ */

int cw_ibc_send_packet(cw_ibc *h, cw_exec_ctx *ctx, const char *port, const char *channel,
                       const void *data, size_t data_len, uint64_t timeout_height,
                       uint64_t timeout_timestamp_ns, uint64_t *sequence, char *err,
                       size_t err_len)
{
    cw_channel_end ce;
    char path[CW_PATH_MAX];
    int rc;
    *sequence = 0;
    const cw_ibc_app *app = ibc_app_of(h, port);
    if (!app)
        return cw_errf(err, err_len, CW_ENOTFOUND, "port %s: no app bound", port);
    if (data_len == 0 || data_len > app->max_data)
        return cw_errf(err, err_len, data_len ? CW_ETOOBIG : CW_EINVAL,
                       "%s packet data: %zu bytes (allowed 1..%zu, so that its ack of at most "
                       "%zu bytes fits CW_ACK_MAX %u)",
                       port, data_len, app->max_data, app->max_ack, CW_ACK_MAX);
    if (timeout_height == 0 && timeout_timestamp_ns == 0)
        return cw_errf(err, err_len, CW_EINVAL, "packet: no timeout (height and time both 0)");
    if ((rc = ibc_channel_load(ctx, port, channel, &ce, err, err_len)))
        return rc;
    if (ce.state != CW_CHAN_OPEN)
        return cw_errf(err, err_len, CW_ESTATE, "channel %s/%s is not OPEN", port, channel);
    /* refuse a packet already timed out at the counterparty client's latest state */
    cw_lc_client_state cs;
    cw_ibc_client_store st;
    cw_lc_client_status status;
    cw_lc_consensus_state latest;
    if ((rc = ibc_client_load(ctx, ce.client_id, &cs, &st, err, err_len)))
        return rc;
    if ((rc = cw_lc_status(&status, &cs, &st.store, ctx->time_ns)))
        return cw_errf(err, err_len, rc, "client %s: %s", ce.client_id, cw_strerror(rc));
    if (status != CW_LC_ACTIVE)
        return cw_errf(err, err_len, status == CW_LC_FROZEN ? CW_EFROZEN : CW_EEXPIRED,
                       "client %s is %s", ce.client_id, cw_lc_status_name(status));
    if ((rc = st.store.get(&st, cs.latest_height, &latest)))
        return cw_errf(err, err_len, rc, "client %s: latest consensus state: %s", ce.client_id,
                       cw_strerror(rc));
    cw_packet p = {.data = {data, data_len}, .timeout_height = timeout_height,
                   .timeout_timestamp_ns = timeout_timestamp_ns};
    if (cw_packet_timed_out(&p, cs.latest_height, latest.timestamp_ns))
        return cw_errf(err, err_len, CW_ETIMEOUT,
                       "packet would already be timed out at the counterparty's latest known "
                       "height %llu (time %llu)", (unsigned long long)cs.latest_height,
                       (unsigned long long)latest.timestamp_ns);
    cw_path_next_seq(path, CW_PATH_NEXT_SEQ_SEND, port, channel);
    if ((rc = ibc_get_seq(ctx->kv, path, &p.sequence)) ||
        (rc = ibc_set_seq(ctx->kv, path, p.sequence + 1)))
        return cw_errf(err, err_len, rc, "%s: %s", path, cw_strerror(rc));
    snprintf(p.source_port, sizeof p.source_port, "%s", port);
    snprintf(p.source_channel, sizeof p.source_channel, "%s", channel);
    snprintf(p.dest_port, sizeof p.dest_port, "%s", ce.counterparty_port);
    snprintf(p.dest_channel, sizeof p.dest_channel, "%s", ce.counterparty_channel);
    uint8_t c[32];
    cw_packet_commitment(c, &p);
    cw_path_packet(path, CW_PATH_COMMITMENTS, port, channel, p.sequence);
    if ((rc = cw_kv_set_s(ctx->kv, path, c, 32)))
        return cw_errf(err, err_len, rc, "%s: %s", path, cw_strerror(rc));
    packet_event(ctx, CW_EV_SEND_PACKET, &p, NULL, 0);
    *sequence = p.sequence;
    return CW_OK;
}

/* ---- RecvPacket ------------------------------------------------------------------------ */

/* ibc.recv_packet */
static int msg_recv_packet(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    cw_ibc *h = cw_app_handler_user(ctx);
    const cw_msg_recv_packet *m = in;
    const cw_packet p = m->packet;
    cw_channel_end ce;
    char path[CW_PATH_MAX];
    int rc;
    const cw_ibc_app *app = ibc_app_of(h, p.dest_port);
    if (!app) /* exact-match routing: no packet reaches a port without an app */
        return cw_errf(err, err_len, CW_ENOTFOUND, "port %s: no app bound", p.dest_port);
    if ((rc = ibc_channel_load(ctx, p.dest_port, p.dest_channel, &ce, err, err_len)))
        return rc;
    if (ce.state != CW_CHAN_OPEN)
        return cw_errf(err, err_len, CW_ESTATE, "channel %s/%s is not OPEN", p.dest_port,
                       p.dest_channel);
    if (strcmp(p.source_port, ce.counterparty_port) || strcmp(p.source_channel,
                                                              ce.counterparty_channel))
        return cw_errf(err, err_len, CW_EINVAL,
                       "packet source %s/%s is not the channel's counterparty %s/%s",
                       p.source_port, p.source_channel, ce.counterparty_port,
                       ce.counterparty_channel);
    if (cw_packet_timed_out(&p, ctx->height, ctx->time_ns))
        return cw_errf(err, err_len, CW_ETIMEOUT,
                       "packet %llu timed out at this block (height %llu, time %llu)",
                       (unsigned long long)p.sequence, (unsigned long long)ctx->height,
                       (unsigned long long)ctx->time_ns);
    uint8_t c[32];
    cw_packet_commitment(c, &p);
    cw_path_packet(path, CW_PATH_COMMITMENTS, p.source_port, p.source_channel, p.sequence);
    if ((rc = ibc_verify(ctx, ce.client_id, m->proof_height, m->proof_commitment, path, c, 32,
                         err, err_len)))
        return rc;

    /* replay protection: a packet is received at most once */
    if (ce.ordering == CW_ORDER_UNORDERED) {
        const uint8_t *v;
        size_t n;
        cw_path_packet(path, CW_PATH_RECEIPTS, p.dest_port, p.dest_channel, p.sequence);
        rc = cw_kv_get_s(ctx->kv, path, &v, &n);
        if (rc == CW_OK) {
            packet_event(ctx, CW_EV_RECV_PACKET_REDUNDANT, &p, NULL, 0);
            return CW_OK; /* already received: a successful no-op (another relayer won) */
        }
        if (rc != CW_ENOTFOUND || (rc = cw_kv_set_s(ctx->kv, path, "\x01", 1)))
            return cw_errf(err, err_len, rc, "%s: %s", path, cw_strerror(rc));
    } else {
        uint64_t next;
        cw_path_next_seq(path, CW_PATH_NEXT_SEQ_RECV, p.dest_port, p.dest_channel);
        if ((rc = ibc_get_seq(ctx->kv, path, &next)))
            return cw_errf(err, err_len, rc, "%s: %s", path, cw_strerror(rc));
        if (p.sequence < next) {
            packet_event(ctx, CW_EV_RECV_PACKET_REDUNDANT, &p, NULL, 0);
            return CW_OK;
        }
        if (p.sequence > next)
            return cw_errf(err, err_len, CW_ESTATE,
                           "ordered channel: packet %llu arrived before %llu",
                           (unsigned long long)p.sequence, (unsigned long long)next);
        if ((rc = ibc_set_seq(ctx->kv, path, next + 1)))
            return rc;
    }

    /* the app runs on its own layer: an error ack discards its writes and events */
    cw_kv_cache *cache;
    if ((rc = cw_kv_cache_create(&cache, ctx->kv)))
        return rc;
    cw_kv app_kv = cw_kv_cache_kv(cache);
    cw_exec_ctx actx = *ctx;
    actx.kv = &app_kv;
    cw_events_mark mark = cw_events_mark_now(ctx->events);
    cw_enc ack;
    cw_enc_init(&ack);
    app->on_recv_packet(app->user, &actx, &p, &ack);
    bool ok = false;
    cw_bytes payload;
    char aerr[128];
    rc = ack.rc ? ack.rc
                : cw_enc_len(&ack) == 0 || cw_enc_len(&ack) > app->max_ack
                    ? CW_ETOOBIG
                    : ibc_ack_decoder(app)(&ok, &payload, cw_enc_data(&ack), cw_enc_len(&ack),
                                           aerr, sizeof aerr);
    if (rc) { /* a broken ack from the app is the app's bug: fail the msg, write nothing */
        cw_kv_cache_destroy(cache);
        cw_enc_free(&ack);
        cw_events_truncate(ctx->events, mark);
        return cw_errf(err, err_len, CW_ESTATE, "app %s wrote an invalid ack", p.dest_port);
    }
    if (ok) {
        rc = cw_kv_cache_commit(cache);
    } else {
        cw_kv_cache_discard(cache);
        cw_events_truncate(ctx->events, mark);
    }
    cw_kv_cache_destroy(cache);
    if (rc == CW_OK) {
        uint8_t ac[32];
        cw_sha256(ac, cw_enc_data(&ack), cw_enc_len(&ack));
        cw_path_packet(path, CW_PATH_ACKS, p.dest_port, p.dest_channel, p.sequence);
        rc = cw_kv_set_s(ctx->kv, path, ac, 32);
    }
    if (rc == CW_OK) {
        packet_event(ctx, CW_EV_RECV_PACKET, &p, NULL, 0);
        packet_event(ctx, CW_EV_WRITE_ACK, &p, cw_enc_data(&ack), cw_enc_len(&ack));
    }
    cw_enc_free(&ack);
    return rc;
}

/* ---- Acknowledgement ------------------------------------------------------------------- */

/* Checks shared by Acknowledgement and Timeout: the app, the channel matching the packet,
 * and the stored commitment. *gone: the commitment is already deleted (a no-op). */
static int sender_side(cw_exec_ctx *ctx, cw_ibc *h, const cw_packet *p, bool need_open,
                       const cw_ibc_app **app, cw_channel_end *ce, bool *gone, char *err,
                       size_t err_len)
{
    int rc;
    *gone = false;
    *app = ibc_app_of(h, p->source_port);
    if (!*app)
        return cw_errf(err, err_len, CW_ENOTFOUND, "port %s: no app bound", p->source_port);
    if ((rc = ibc_channel_load(ctx, p->source_port, p->source_channel, ce, err, err_len)))
        return rc;
    if (need_open && ce->state != CW_CHAN_OPEN)
        return cw_errf(err, err_len, CW_ESTATE, "channel %s/%s is not OPEN", p->source_port,
                       p->source_channel);
    if (strcmp(p->dest_port, ce->counterparty_port) || strcmp(p->dest_channel,
                                                              ce->counterparty_channel))
        return cw_errf(err, err_len, CW_EINVAL,
                       "packet destination %s/%s is not the channel's counterparty %s/%s",
                       p->dest_port, p->dest_channel, ce->counterparty_port,
                       ce->counterparty_channel);
    uint8_t stored[32], want[32];
    rc = stored_commitment(ctx->kv, p->source_port, p->source_channel, p->sequence, stored);
    if (rc == CW_ENOTFOUND) {
        *gone = true; /* already acknowledged or timed out: another relayer won */
        return CW_OK;
    }
    if (rc)
        return cw_errf(err, err_len, rc, "commitment: %s", cw_strerror(rc));
    cw_packet_commitment(want, p);
    if (memcmp(stored, want, 32) != 0)
        return cw_errf(err, err_len, CW_EINVAL,
                       "packet %llu does not match its stored commitment",
                       (unsigned long long)p->sequence);
    return CW_OK;
}

static int delete_commitment(cw_exec_ctx *ctx, const cw_packet *p)
{
    char path[CW_PATH_MAX];
    cw_path_packet(path, CW_PATH_COMMITMENTS, p->source_port, p->source_channel, p->sequence);
    return cw_kv_del_s(ctx->kv, path);
}

/* ibc.acknowledgement */
static int msg_acknowledgement(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    cw_ibc *h = cw_app_handler_user(ctx);
    const cw_msg_acknowledgement *m = in;
    const cw_packet p = m->packet;
    const cw_bytes ack = m->ack;
    const cw_ibc_app *app;
    cw_channel_end ce;
    bool gone, ok;
    cw_bytes payload;
    char path[CW_PATH_MAX];
    int rc = sender_side(ctx, h, &p, true, &app, &ce, &gone, err, err_len);
    if (rc)
        return rc;
    if (gone) {
        packet_event(ctx, CW_EV_ACK_PACKET_REDUNDANT, &p, NULL, 0);
        return CW_OK;
    }
    if ((rc = ibc_ack_decoder(app)(&ok, &payload, ack.p, ack.len, err, err_len)))
        return rc; /* an ack its app cannot read (a non-canonical msgpack ack) is rejected */
    uint8_t ac[32];
    cw_sha256(ac, ack.p, ack.len);
    cw_path_packet(path, CW_PATH_ACKS, p.dest_port, p.dest_channel, p.sequence);
    if ((rc = ibc_verify(ctx, ce.client_id, m->proof_height, m->proof_acked, path, ac, 32, err,
                         err_len)))
        return rc;
    if (ce.ordering == CW_ORDER_ORDERED) {
        uint64_t next;
        cw_path_next_seq(path, CW_PATH_NEXT_SEQ_ACK, p.source_port, p.source_channel);
        if ((rc = ibc_get_seq(ctx->kv, path, &next)))
            return rc;
        if (p.sequence != next)
            return cw_errf(err, err_len, CW_ESTATE,
                           "ordered channel: ack for %llu, expected %llu",
                           (unsigned long long)p.sequence, (unsigned long long)next);
        if ((rc = ibc_set_seq(ctx->kv, path, next + 1)))
            return rc;
    }
    /* delete first, then tell the app: no callback can re-enter and be paid twice */
    if ((rc = delete_commitment(ctx, &p)))
        return rc;
    if ((rc = app->on_acknowledgement_packet(app->user, ctx, &p, ok, payload)))
        return cw_errf(err, err_len, rc, "app %s: store failure in ack callback", p.source_port);
    packet_event(ctx, CW_EV_ACK_PACKET, &p, ack.p, ack.len);
    return CW_OK;
}

/* ---- Timeout, TimeoutOnClose ----------------------------------------------------------- */

static int timeout_common(cw_exec_ctx *ctx, cw_ibc *h, const cw_packet *p, cw_bytes proof,
                          const cw_bytes *proof_close, uint64_t proof_height,
                          uint64_t next_sequence_recv, char *err, size_t err_len)
{
    const cw_ibc_app *app;
    cw_channel_end ce;
    bool gone;
    char path[CW_PATH_MAX];
    int rc = sender_side(ctx, h, p, proof_close == NULL, &app, &ce, &gone, err, err_len);
    if (rc)
        return rc;
    if (gone) {
        packet_event(ctx, CW_EV_TIMEOUT_PACKET_REDUNDANT, p, NULL, 0);
        return CW_OK;
    }
    if (proof_close) {
        /* the counterparty's end is CLOSED */
        cw_channel_end expect;
        ibc_mirror_end(&expect, &ce, p->source_port, p->source_channel, CW_CHAN_CLOSED,
                       ce.version);
        if ((rc = ibc_verify_counterparty_end(ctx, &ce, ce.counterparty_channel, &expect,
                                              *proof_close, proof_height, err, err_len)))
            return rc;
    } else {
        /* timed out at the proof height and the consensus time AT THAT HEIGHT — never the
         * local clock, never the client's latest state */
        cw_lc_client_state cs;
        cw_ibc_client_store st;
        cw_lc_consensus_state at;
        if ((rc = ibc_client_load(ctx, ce.client_id, &cs, &st, err, err_len)))
            return rc;
        rc = st.store.get(&st, proof_height, &at);
        if (rc == CW_ENOTFOUND)
            return cw_errf(err, err_len, rc, "client %s: no consensus state at proof height "
                           "%llu", ce.client_id, (unsigned long long)proof_height);
        if (rc)
            return rc;
        if (!cw_packet_timed_out(p, proof_height, at.timestamp_ns))
            return cw_errf(err, err_len, CW_ESTATE,
                           "packet %llu is not timed out at proof height %llu (time %llu)",
                           (unsigned long long)p->sequence, (unsigned long long)proof_height,
                           (unsigned long long)at.timestamp_ns);
    }
    if (ce.ordering == CW_ORDER_ORDERED) {
        uint8_t v[8];
        if (next_sequence_recv > p->sequence)
            return cw_errf(err, err_len, CW_ESTATE,
                           "ordered channel: next_sequence_recv %llu > packet %llu: received",
                           (unsigned long long)next_sequence_recv,
                           (unsigned long long)p->sequence);
        cw_val_be64_enc(v, next_sequence_recv);
        cw_path_next_seq(path, CW_PATH_NEXT_SEQ_RECV, p->dest_port, p->dest_channel);
        if ((rc = ibc_verify(ctx, ce.client_id, proof_height, proof, path, v, 8, err,
                             err_len)))
            return rc;
    } else {
        cw_path_packet(path, CW_PATH_RECEIPTS, p->dest_port, p->dest_channel, p->sequence);
        if ((rc = ibc_verify(ctx, ce.client_id, proof_height, proof, path, NULL, 0, err,
                             err_len)))
            return rc; /* the receipt exists (or cannot be shown absent): no timeout */
    }
    if ((rc = delete_commitment(ctx, p)))
        return rc;
    if (ce.ordering == CW_ORDER_ORDERED && ce.state != CW_CHAN_CLOSED) {
        ce.state = CW_CHAN_CLOSED; /* an ordered channel cannot skip a sequence */
        if ((rc = ibc_channel_store(ctx->kv, p->source_port, p->source_channel, &ce)))
            return rc;
    }
    if ((rc = app->on_timeout_packet(app->user, ctx, p)))
        return cw_errf(err, err_len, rc, "app %s: store failure in timeout callback",
                       p->source_port);
    packet_event(ctx, CW_EV_TIMEOUT_PACKET, p, NULL, 0);
    return CW_OK;
}

/* ibc.timeout */
static int msg_timeout(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_timeout *m = in;
    return timeout_common(ctx, cw_app_handler_user(ctx), &m->packet, m->proof_unreceived, NULL,
                          m->proof_height, m->next_sequence_recv, err, err_len);
}

/* ibc.timeout_on_close */
static int msg_timeout_on_close(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_timeout_on_close *m = in;
    return timeout_common(ctx, cw_app_handler_user(ctx), &m->packet, m->proof_unreceived,
                          &m->proof_close, m->proof_height, m->next_sequence_recv, err, err_len);
}

int ibc_register_packet_msgs(cw_ibc *h, cw_app *app)
{
    int rc;
    if ((rc = cw_app_register(app, CW_MSG_IBC_RECV_PACKET, msg_recv_packet, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_ACKNOWLEDGEMENT, msg_acknowledgement, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_TIMEOUT, msg_timeout, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_TIMEOUT_ON_CLOSE, msg_timeout_on_close, h)))
        return rc;
    return CW_OK;
}
