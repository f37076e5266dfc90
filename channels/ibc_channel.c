/* ICS-04 channel ends and the handshake, the port router, and the host object. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/bank.h"
#include "ibc_internal.h"

/* ---- host ------------------------------------------------------------------------------ */

int cw_ibc_create(cw_ibc **out, const cw_pubkey32 *admin)
{
    cw_ibc *h = calloc(1, sizeof *h);
    *out = NULL;
    if (!h)
        return -ENOMEM;
    h->admin = *admin;
    int rc = cw_lc_vcache_create(&h->vcache, 16);
    if (rc) {
        free(h);
        return rc;
    }
    *out = h;
    return CW_OK;
}

void cw_ibc_destroy(cw_ibc *h)
{
    if (!h)
        return;
    cw_lc_vcache_destroy(h->vcache);
    free(h);
}

void cw_ibc_set_self_consensus(cw_ibc *h, cw_ibc_self_consensus_fn fn, void *user)
{
    h->self_consensus = fn;
    h->self_consensus_user = user;
}

int cw_ibc_bind(cw_ibc *h, const cw_ibc_app *app)
{
    if (!app->port || cw_id_validate(app->port, strlen(app->port), "port", NULL, 0) ||
        !app->on_recv_packet || !app->on_acknowledgement_packet || !app->on_timeout_packet)
        return CW_EINVAL;
    if (app->max_data == 0 || app->max_data > CW_PACKET_DATA_MAX || app->max_ack > CW_ACK_MAX)
        return CW_EINVAL; /* a packet it may send could never be acknowledged */
    if (ibc_app_of(h, app->port))
        return CW_EEXISTS;
    if (h->n_apps == IBC_MAX_APPS)
        return CW_ETOOBIG;
    h->apps[h->n_apps++] = *app;
    return CW_OK;
}

/* An app's open rules at INIT and TRY: ce's ordering allowed, `version` (the proposed one,
 * or the counterparty's at TRY) r's, ce's counterparty port r's. */
static int check_open(const cw_ibc_open_rules *r, const cw_channel_end *ce, const char *version,
                      char *err, size_t err_len)
{
    bool ordered = ce->ordering == CW_ORDER_ORDERED;
    if (!(ordered ? r->ordered_ok : ce->ordering == CW_ORDER_UNORDERED && r->unordered_ok))
        return cw_errf(err, err_len, CW_EINVAL, "%s channels must be %s", r->port,
                       r->ordered_ok ? (r->unordered_ok ? "ORDERED or UNORDERED" : "ORDERED")
                                     : "UNORDERED");
    if (strcmp(version, r->version) != 0)
        return cw_errf(err, err_len, CW_EINVAL, "%s channels need version %s, got %s", r->port,
                       r->version, version);
    if (strcmp(ce->counterparty_port, r->port) != 0)
        return cw_errf(err, err_len, CW_EINVAL, "%s channels: counterparty port must be %s",
                       r->port, r->port);
    return CW_OK;
}

/* ... and at ACK: the counterparty's version */
static int check_version(const cw_ibc_open_rules *r, const char *cp_version, char *err,
                         size_t err_len)
{
    if (strcmp(cp_version, r->version) != 0)
        return cw_errf(err, err_len, CW_EINVAL, "%s channels: counterparty version %s, need %s",
                       r->port, cp_version, r->version);
    return CW_OK;
}

const cw_ibc_app *ibc_app_of(const cw_ibc *h, const char *port)
{
    for (size_t i = 0; i < h->n_apps; i++)
        if (strcmp(h->apps[i].port, port) == 0)
            return &h->apps[i];
    return NULL;
}

int cw_ibc_register_msgs(cw_ibc *h, cw_app *app)
{
    int rc;
    if ((rc = ibc_register_client_msgs(h, app)) || (rc = ibc_register_channel_msgs(h, app)) ||
        (rc = ibc_register_packet_msgs(h, app)))
        return rc;
    return CW_OK;
}

/* ---- shared helpers -------------------------------------------------------------------- */

int ibc_get_seq(const cw_kv *kv, const char *path, uint64_t *out)
{
    const uint8_t *v;
    size_t n;
    *out = 0;
    int rc = cw_kv_get_s(kv, path, &v, &n);
    return rc ? rc : cw_val_be64_dec(out, v, n, NULL, 0);
}

int ibc_set_seq(const cw_kv *kv, const char *path, uint64_t v)
{
    uint8_t b[8];
    cw_val_be64_enc(b, v);
    return cw_kv_set_s(kv, path, b, 8);
}

int cw_ibc_client_verify_path(const cw_kv *kv, const char *client_id, uint64_t proof_height,
                              uint64_t now_ns, const uint8_t *proof, size_t proof_len,
                              const char *path, const uint8_t *value, size_t value_len,
                              char *err, size_t err_len)
{
    cw_lc_client_state cs;
    cw_ibc_client_store st;
    char type[CW_ID_MAX + 1];
    int rc = cw_ibc_client_type(kv, client_id, type);
    if (rc == CW_OK)
        rc = cw_ibc_client(kv, client_id, &cs);
    if (rc)
        return cw_errf(err, err_len, rc, "client %s: %s", client_id,
                       rc == CW_ENOTFOUND ? "not found" : cw_strerror(rc));
    cw_ibc_client_store_init(&st, kv, client_id);
    st.keep = cs.latest_height;
    /* the client-type router (ICS-02): each type's own proof check */
    if (strcmp(type, CW_CLIENT_TYPE_TENDERMINT) == 0)
        return ibc_tm_verify_path(&cs, &st.store, proof_height, now_ns, proof, proof_len, path,
                                  value, value_len, err, err_len);
    return cw_lc_verify_path(&cs, &st.store, proof_height, proof, proof_len, path, value,
                             value_len, now_ns, err, err_len);
}

int ibc_verify(const cw_exec_ctx *ctx, const char *client_id, uint64_t proof_height,
               cw_bytes proof, const char *path, const uint8_t *value, size_t value_len,
               char *err, size_t err_len)
{
    cw_lc_client_state cs;
    cw_ibc_client_store st;
    int rc = ibc_client_load(ctx, client_id, &cs, &st, err, err_len);
    if (rc)
        return rc;
    if (cw_gas_charge(ctx->gas, cw_gas_proof(proof.len, value_len), "verifying a proof"))
        return cw_gas_explain(ctx->gas, err, err_len);
    rc = cw_ibc_client_verify_path(ctx->kv, client_id, proof_height, ctx->time_ns, proof.p,
                                   proof.len, path, value, value_len, err, err_len);
    if (rc)
        cw_err_prefix(err, err_len, rc, path);
    return rc;
}

/* ---- channel ends ---------------------------------------------------------------------- */

/* A channel end from its fields (the one an INIT or TRY msg creates). */
static void new_end(cw_channel_end *ce, uint8_t state, uint8_t ordering, const char *cp_port,
                    const char *cp_channel, const char *client_id, const char *cp_client_id,
                    const char *version)
{
    memset(ce, 0, sizeof *ce);
    ce->state = state;
    ce->ordering = ordering;
    snprintf(ce->counterparty_port, sizeof ce->counterparty_port, "%s", cp_port);
    snprintf(ce->counterparty_channel, sizeof ce->counterparty_channel, "%s", cp_channel);
    snprintf(ce->client_id, sizeof ce->client_id, "%s", client_id);
    snprintf(ce->counterparty_client_id, sizeof ce->counterparty_client_id, "%s", cp_client_id);
    snprintf(ce->version, sizeof ce->version, "%s", version);
}

void ibc_mirror_end(cw_channel_end *out, const cw_channel_end *local, const char *port,
                    const char *channel, uint8_t state, const char *version)
{
    new_end(out, state, local->ordering, port, channel, local->counterparty_client_id,
            local->client_id, version);
}

int cw_ibc_channel(const cw_kv *kv, const char *port, const char *channel, cw_channel_end *out)
{
    char path[CW_PATH_MAX];
    const uint8_t *v;
    size_t n;
    memset(out, 0, sizeof *out);
    cw_path_channel_end(path, port, channel);
    int rc = cw_kv_get_s(kv, path, &v, &n);
    if (rc)
        return rc;
    return cw_channel_end_decode(out, v, n, NULL, 0) ? CW_EMALFORMED : CW_OK;
}

static int channel_store(const cw_kv *kv, const char *port, const char *channel,
                         const cw_channel_end *ce)
{
    char path[CW_PATH_MAX];
    cw_enc e;
    cw_enc_init(&e);
    cw_channel_end_enc(&e, ce);
    cw_path_channel_end(path, port, channel);
    int rc = e.rc ? e.rc : cw_kv_set_s(kv, path, cw_enc_data(&e), cw_enc_len(&e));
    cw_enc_free(&e);
    return rc;
}

/* A channel that must exist, with a readable message otherwise. */
static int channel_load(const cw_exec_ctx *ctx, const char *port, const char *channel,
                        cw_channel_end *ce, char *err, size_t err_len)
{
    int rc = cw_ibc_channel(ctx->kv, port, channel, ce);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "channel %s/%s: not found", port, channel);
    if (rc)
        return cw_errf(err, err_len, rc, "channel %s/%s: %s", port, channel, cw_strerror(rc));
    return CW_OK;
}

/* ibc_internal.h */
int ibc_verify_counterparty_end(const cw_exec_ctx *ctx, const cw_channel_end *local,
                                const char *cp_channel, const cw_channel_end *expect,
                                cw_bytes proof, uint64_t proof_height, char *err,
                                size_t err_len)
{
    char path[CW_PATH_MAX];
    cw_enc e;
    cw_enc_init(&e);
    cw_channel_end_enc(&e, expect);
    cw_path_channel_end(path, local->counterparty_port, cp_channel);
    int rc = e.rc ? e.rc
                  : ibc_verify(ctx, local->client_id, proof_height, proof, path,
                               cw_enc_data(&e), cw_enc_len(&e), err, err_len);
    cw_enc_free(&e);
    return rc;
}

/* The connection-layer checks folded into the handshake: the counterparty's client
 * (counterparty_client_id on the counterparty chain) tracks THIS chain — chain id ours, not
 * frozen, and its consensus state at its latest height equal to our own header's there —
 * proven with the client-state bytes the relayer supplies. */
static int verify_counterparty_client(cw_ibc *h, const cw_exec_ctx *ctx,
                                      const cw_channel_end *local, cw_bytes cp_client_state,
                                      cw_bytes proof_client, cw_bytes proof_consensus,
                                      uint64_t proof_height, char *err, size_t err_len)
{
    cw_lc_client_state cs;
    cw_lc_consensus_state self;
    char path[CW_PATH_MAX];
    int rc = cw_lc_client_state_decode(&cs, cp_client_state.p, cp_client_state.len, err,
                                       err_len);
    if (rc)
        return cw_err_prefix(err, err_len, rc, "counterparty client state");
    if (strcmp(cs.chain_id, ctx->chain_id) != 0)
        return cw_errf(err, err_len, CW_EINVAL,
                       "counterparty client %s tracks chain '%s', not this chain ('%s')",
                       local->counterparty_client_id, cs.chain_id, ctx->chain_id);
    if (cs.frozen_height != 0)
        return cw_errf(err, err_len, CW_EFROZEN, "counterparty client %s is frozen",
                       local->counterparty_client_id);
    if (cs.latest_height >= ctx->height)
        return cw_errf(err, err_len, CW_EINVAL,
                       "counterparty client %s claims height %llu, this chain is at %llu",
                       local->counterparty_client_id, (unsigned long long)cs.latest_height,
                       (unsigned long long)ctx->height);
    if (!h->self_consensus)
        return cw_errf(err, err_len, CW_ESTATE, "host cannot read its own consensus states");
    if ((rc = h->self_consensus(h->self_consensus_user, cs.latest_height, &self)))
        return cw_errf(err, err_len, rc, "own consensus state at %llu: %s",
                       (unsigned long long)cs.latest_height, cw_strerror(rc));
    cw_path_client_state(path, local->counterparty_client_id);
    if ((rc = ibc_verify(ctx, local->client_id, proof_height, proof_client, path,
                         cp_client_state.p, cp_client_state.len, err, err_len)))
        return rc;
    cw_enc e;
    cw_enc_init(&e);
    cw_lc_consensus_state_enc(&e, &self);
    cw_path_consensus_state(path, local->counterparty_client_id, cs.latest_height);
    rc = e.rc ? e.rc
              : ibc_verify(ctx, local->client_id, proof_height, proof_consensus, path,
                           cw_enc_data(&e), cw_enc_len(&e), err, err_len);
    cw_enc_free(&e);
    if (rc == CW_EBADPROOF)
        cw_errf(err, err_len, rc,
                "counterparty client %s does not hold this chain's consensus state at %llu "
                "(a client of another chain?)", local->counterparty_client_id,
                (unsigned long long)cs.latest_height);
    return rc;
}

/* OPEN_TRY and OPEN_ACK prove both: the counterparty's end equals `expect`, and its client
 * tracks this chain. */
static int verify_counterparty(cw_ibc *h, const cw_exec_ctx *ctx, const cw_channel_end *local,
                               const char *cp_channel, const cw_channel_end *expect,
                               cw_bytes proof_end, cw_bytes cp_client_state,
                               cw_bytes proof_client, cw_bytes proof_consensus,
                               uint64_t proof_height, char *err, size_t err_len)
{
    int rc = ibc_verify_counterparty_end(ctx, local, cp_channel, expect, proof_end, proof_height,
                                         err, err_len);
    return rc ? rc
              : verify_counterparty_client(h, ctx, local, cp_client_state, proof_client,
                                           proof_consensus, proof_height, err, err_len);
}

static void channel_event(cw_exec_ctx *ctx, const char *type, const char *port,
                          const char *channel, const cw_channel_end *ce)
{
    cw_event_begin(ctx->events, type, 5);
    cw_event_attr_str(ctx->events, CW_ATTR_PORT, port);
    cw_event_attr_str(ctx->events, CW_ATTR_CHANNEL, channel);
    cw_event_attr_str(ctx->events, CW_ATTR_COUNTERPARTY_PORT, ce->counterparty_port);
    cw_event_attr_str(ctx->events, CW_ATTR_COUNTERPARTY_CHANNEL, ce->counterparty_channel);
    cw_event_attr_str(ctx->events, CW_ATTR_CLIENT_ID, ce->client_id);
}

static int new_channel_id(const cw_exec_ctx *ctx, char id[static CW_ID_MAX + 1])
{
    uint64_t seq;
    int rc = ibc_next_id(ctx->kv, "nextChannelSequence", &seq);
    if (rc == CW_OK)
        snprintf(id, CW_ID_MAX + 1, "channel-%llu", (unsigned long long)seq);
    return rc;
}

static int init_sequences(const cw_kv *kv, const char *port, const char *channel)
{
    static const char *const which[] = {CW_PATH_NEXT_SEQ_SEND, CW_PATH_NEXT_SEQ_RECV,
                                        CW_PATH_NEXT_SEQ_ACK};
    char path[CW_PATH_MAX];
    for (int i = 0; i < 3; i++) {
        cw_path_next_seq(path, which[i], port, channel);
        int rc = ibc_set_seq(kv, path, 1);
        if (rc)
            return rc;
    }
    return CW_OK;
}

static int check_client_exists(const cw_exec_ctx *ctx, const char *client_id, char *err,
                               size_t err_len)
{
    cw_lc_client_state cs;
    cw_ibc_client_store st;
    return ibc_client_load(ctx, client_id, &cs, &st, err, err_len);
}

/* How INIT and TRY end once ce is checked: a new channel id, the app's open rules (at TRY
 * also on the counterparty's version, cp_version; NULL at INIT) and its callback, then the
 * new end, its sequences and the event. */
static int open_new_end(cw_exec_ctx *ctx, const cw_ibc_app *app, const char *port,
                        const cw_channel_end *ce, const char *cp_version, char *err,
                        size_t err_len)
{
    const cw_ibc_open_rules *r = app->open_rules;
    char channel[CW_ID_MAX + 1];
    int rc;
    if ((rc = new_channel_id(ctx, channel)))
        return rc;
    if (r && ((rc = check_open(r, ce, ce->version, err, err_len)) ||
              (cp_version && (rc = check_open(r, ce, cp_version, err, err_len)))))
        return rc;
    if (cp_version ? app->on_chan_open_try &&
                         (rc = app->on_chan_open_try(app->user, ctx, channel, ce, cp_version,
                                                     err, err_len))
                   : app->on_chan_open_init &&
                         (rc = app->on_chan_open_init(app->user, ctx, channel, ce, err, err_len)))
        return rc;
    if ((rc = channel_store(ctx->kv, port, channel, ce)) ||
        (rc = init_sequences(ctx->kv, port, channel)))
        return rc;
    channel_event(ctx, cp_version ? CW_EV_CHANNEL_OPEN_TRY : CW_EV_CHANNEL_OPEN_INIT, port,
                  channel, ce);
    return CW_OK;
}

/* ---- handshake msgs -------------------------------------------------------------------- */

/* ibc.chan_open_init: a new INIT end on a bound port, through an existing client */
static int msg_open_init(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    cw_ibc *h = cw_app_handler_user(ctx);
    const cw_msg_chan_open_init *m = in;
    const char *port = m->port;
    cw_channel_end ce;
    new_end(&ce, CW_CHAN_INIT, m->ordering, m->counterparty_port, "", m->client_id,
            m->counterparty_client_id, m->version);
    const cw_ibc_app *app = ibc_app_of(h, port);
    if (!app)
        return cw_errf(err, err_len, CW_ENOTFOUND, "port %s: no app bound", port);
    int rc = check_client_exists(ctx, ce.client_id, err, err_len);
    return rc ? rc : open_new_end(ctx, app, port, &ce, NULL, err, err_len);
}

/* ibc.chan_open_try: a TRYOPEN end, after proving the counterparty's INIT end and that its
 * client tracks this chain */
static int msg_open_try(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    cw_ibc *h = cw_app_handler_user(ctx);
    const cw_msg_chan_open_try *m = in;
    const char *port = m->port, *cp_version = m->counterparty_version;
    cw_channel_end ce;
    new_end(&ce, CW_CHAN_TRYOPEN, m->ordering, m->counterparty_port, m->counterparty_channel,
            m->client_id, m->counterparty_client_id, m->version);
    const cw_ibc_app *app = ibc_app_of(h, port);
    if (!app)
        return cw_errf(err, err_len, CW_ENOTFOUND, "port %s: no app bound", port);
    /* the counterparty's end in INIT names us as its counterparty, through our client */
    cw_channel_end expect;
    ibc_mirror_end(&expect, &ce, port, "", CW_CHAN_INIT, cp_version);
    int rc;
    if ((rc = verify_counterparty(h, ctx, &ce, ce.counterparty_channel, &expect, m->proof_init,
                                  m->counterparty_client_state, m->proof_client,
                                  m->proof_consensus, m->proof_height, err, err_len)))
        return rc;
    return open_new_end(ctx, app, port, &ce, cp_version, err, err_len);
}

/* ibc.chan_open_ack: INIT → OPEN, after proving the counterparty's TRYOPEN end and that
 * its client tracks this chain */
static int msg_open_ack(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    cw_ibc *h = cw_app_handler_user(ctx);
    const cw_msg_chan_open_ack *m = in;
    const char *port = m->port, *channel = m->channel, *cp_channel = m->counterparty_channel,
               *cp_version = m->counterparty_version;
    cw_channel_end ce;
    int rc = channel_load(ctx, port, channel, &ce, err, err_len);
    if (rc)
        return rc;
    if (ce.state != CW_CHAN_INIT)
        return cw_errf(err, err_len, CW_ESTATE, "channel %s/%s: state %u, expected INIT", port,
                       channel, ce.state);
    cw_channel_end expect;
    ibc_mirror_end(&expect, &ce, port, channel, CW_CHAN_TRYOPEN, cp_version);
    if ((rc = verify_counterparty(h, ctx, &ce, cp_channel, &expect, m->proof_try,
                                  m->counterparty_client_state, m->proof_client,
                                  m->proof_consensus, m->proof_height, err, err_len)))
        return rc;
    const cw_ibc_app *app = ibc_app_of(h, port);
    if (app && ((app->open_rules &&
                 (rc = check_version(app->open_rules, cp_version, err, err_len))) ||
                (app->on_chan_open_ack &&
                 (rc = app->on_chan_open_ack(app->user, ctx, channel, cp_version, err, err_len)))))
        return rc;
    ce.state = CW_CHAN_OPEN;
    snprintf(ce.counterparty_channel, sizeof ce.counterparty_channel, "%s", cp_channel);
    snprintf(ce.version, sizeof ce.version, "%s", cp_version);
    if ((rc = channel_store(ctx->kv, port, channel, &ce)))
        return rc;
    channel_event(ctx, CW_EV_CHANNEL_OPEN_ACK, port, channel, &ce);
    return CW_OK;
}

/* ibc.chan_close_init: a TRYOPEN or OPEN end → CLOSED, if the app agrees */
static int msg_close_init(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    cw_ibc *h = cw_app_handler_user(ctx);
    const cw_msg_chan_close_init *m = in;
    const char *port = m->port, *channel = m->channel;
    cw_channel_end ce;
    int rc = channel_load(ctx, port, channel, &ce, err, err_len);
    if (rc)
        return rc;
    if (ce.state == CW_CHAN_CLOSED)
        return cw_errf(err, err_len, CW_ESTATE, "channel %s/%s: already CLOSED", port, channel);
    /* An INIT end has no counterparty channel yet, and a ChannelEnd's counterparty_channel
     * is "" exactly in INIT: stored CLOSED it would no longer decode. It never opened, so
     * nothing can be sent on it; it stays INIT. */
    if (ce.state == CW_CHAN_INIT)
        return cw_errf(err, err_len, CW_ESTATE,
                       "channel %s/%s: in INIT (no counterparty yet): nothing to close", port,
                       channel);
    const cw_ibc_app *app = ibc_app_of(h, port);
    if (app && app->on_chan_close_init &&
        (rc = app->on_chan_close_init(app->user, ctx, channel, err, err_len)))
        return rc;
    ce.state = CW_CHAN_CLOSED;
    if ((rc = channel_store(ctx->kv, port, channel, &ce)))
        return rc;
    channel_event(ctx, CW_EV_CHANNEL_CLOSE_INIT, port, channel, &ce);
    return CW_OK;
}

/* The two confirm steps: the counterparty's end must be proven in the state this step
 * moves ours to.
 *   ibc.chan_open_confirm   TRYOPEN → OPEN
 *   ibc.chan_close_confirm  any but CLOSED → CLOSED (the counterparty must already be known,
 *                           i.e. not INIT) */
static int confirm_step(cw_exec_ctx *ctx, const char *port, const char *channel,
                        cw_bytes proof, uint64_t proof_height, char *err, size_t err_len,
                        bool closing)
{
    cw_ibc *h = cw_app_handler_user(ctx);
    cw_channel_end ce;
    int rc = channel_load(ctx, port, channel, &ce, err, err_len);
    if (rc)
        return rc;
    if (!closing && ce.state != CW_CHAN_TRYOPEN)
        return cw_errf(err, err_len, CW_ESTATE, "channel %s/%s: state %u, expected TRYOPEN",
                       port, channel, ce.state);
    if (closing && ce.state == CW_CHAN_CLOSED)
        return cw_errf(err, err_len, CW_ESTATE, "channel %s/%s: already CLOSED", port, channel);
    if (closing && ce.counterparty_channel[0] == '\0')
        return cw_errf(err, err_len, CW_ESTATE, "channel %s/%s: counterparty unknown (INIT)",
                       port, channel);
    uint8_t to = closing ? CW_CHAN_CLOSED : CW_CHAN_OPEN;
    cw_channel_end expect;
    ibc_mirror_end(&expect, &ce, port, channel, to, ce.version);
    if ((rc = ibc_verify_counterparty_end(ctx, &ce, ce.counterparty_channel, &expect, proof,
                                          proof_height, err, err_len)))
        return rc;
    const cw_ibc_app *app = ibc_app_of(h, port);
    int (*cb)(void *, cw_exec_ctx *, const char *, char *, size_t) =
        !app ? NULL : closing ? app->on_chan_close_confirm : app->on_chan_open_confirm;
    if (cb && (rc = cb(app->user, ctx, channel, err, err_len)))
        return rc;
    ce.state = to;
    if ((rc = channel_store(ctx->kv, port, channel, &ce)))
        return rc;
    channel_event(ctx, closing ? CW_EV_CHANNEL_CLOSE_CONFIRM : CW_EV_CHANNEL_OPEN_CONFIRM, port,
                  channel, &ce);
    return CW_OK;
}

static int msg_open_confirm(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_chan_open_confirm *m = in;
    return confirm_step(ctx, m->port, m->channel, m->proof_ack, m->proof_height, err, err_len,
                        false);
}

static int msg_close_confirm(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_chan_close_confirm *m = in;
    return confirm_step(ctx, m->port, m->channel, m->proof_init, m->proof_height, err, err_len,
                        true);
}

int ibc_register_channel_msgs(cw_ibc *h, cw_app *app)
{
    int rc;
    if ((rc = cw_app_register(app, CW_MSG_IBC_CHAN_OPEN_INIT, msg_open_init, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_CHAN_OPEN_TRY, msg_open_try, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_CHAN_OPEN_ACK, msg_open_ack, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_CHAN_OPEN_CONFIRM, msg_open_confirm, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_CHAN_CLOSE_INIT, msg_close_init, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_CHAN_CLOSE_CONFIRM, msg_close_confirm, h)))
        return rc;
    return CW_OK;
}

/* exported for packet code: the channel store helpers */
int ibc_channel_store(const cw_kv *kv, const char *port, const char *channel,
                      const cw_channel_end *ce)
{
    return channel_store(kv, port, channel, ce);
}

int ibc_channel_load(const cw_exec_ctx *ctx, const char *port, const char *channel,
                     cw_channel_end *ce, char *err, size_t err_len)
{
    return channel_load(ctx, port, channel, ce, err, err_len);
}
