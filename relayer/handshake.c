/* create-clients and the ICS-04 channel handshake (and the close a timeout on an ORDERED
 * channel calls for): the step is read from the two ends' states (rly_hs_next), so a run cut
 * short is taken up where it stopped. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/log.h"
#include "relay.h"

/* ---- the decision --------------------------------------------------------------------- */

rly_hs_action rly_hs_next(const rly_hs_ends *e)
{
    const int a = e->state[0], b = e->state[1];
    if (a == CW_CHAN_CLOSED && b == CW_CHAN_CLOSED)
        return RLY_HS_CLOSED;
    if (a == CW_CHAN_CLOSED)
        return RLY_HS_CLOSE_CONFIRM_B;
    if (b == CW_CHAN_CLOSED)
        return RLY_HS_CLOSE_CONFIRM_A;
    /* B names A from TRYOPEN on; A names B once its ACK has landed (OPEN) */
    if ((b != 0 && !e->names_other[1]) || (a == CW_CHAN_OPEN && !e->names_other[0]))
        return RLY_HS_ERR_COUNTERPARTY;
    if (a == 0 && b == 0)
        return RLY_HS_OPEN_INIT;
    if (a == CW_CHAN_INIT && b == 0)
        return RLY_HS_OPEN_TRY;
    if (a == CW_CHAN_INIT && b == CW_CHAN_TRYOPEN)
        return RLY_HS_OPEN_ACK;
    if (a == CW_CHAN_OPEN && b == CW_CHAN_TRYOPEN)
        return RLY_HS_OPEN_CONFIRM;
    if (a == CW_CHAN_OPEN && b == CW_CHAN_OPEN)
        return RLY_HS_DONE;
    return RLY_HS_ERR_STATE;
}

/* ---- create-clients ---------------------------------------------------------------- */

int rly_create_clients(rly_ctx *x, int p, FILE *out, char *err, size_t err_len)
{
    rly_path_cfg *pc = &x->cfg->paths[p];
    for (int e = 0; e < 2; e++) {
        rly_end_cfg *on = &pc->end[e];
        cw_chain_client *host = &x->conns[on->chain_ix];
        cw_chain_client *of = &x->conns[pc->end[1 - e].chain_ix];
        if (on->client[0]) {
            fprintf(out, "path %s: chain %s already has client %s (of %s); kept\n", pc->name,
                   on->chain, on->client, of->cfg->id);
            continue;
        }
        int rc = cw_chain_status(of, NULL, err, err_len);
        const cw_light_block *lb;
        if (rc || (rc = cw_chain_lc_verified(of, of->height, &lb, err, err_len)))
            return rc;
        cw_lc_client_state cs;
        if ((rc = cw_lc_client_state_default(&cs, of->cfg->id)))
            return cw_errf(err, err_len, rc, "chain id %s", of->cfg->id);
        cs.trusting_period_ns = x->cfg->trusting_period_s * UINT64_C(1000000000);
        cs.latest_height = lb->signed_header.header.height;
        cw_lc_consensus_state cons;
        cw_lc_consensus_state_of(&cons, &lb->signed_header.header);
        rly_msgs ms = {0};
        cw_msg_create_client mc = {.client_type = CW_CLIENT_TYPE_BIP340,
                                   .client_state = cs,
                                   .consensus_state = cons};
        cw_enc_init(&ms.m[0]);
        cw_msg_create_client_enc(&ms.m[0], &mc);
        ms.n = 1;
        rc = rly_tx_and_attr(x, host, &ms, CW_EV_CREATE_CLIENT, CW_ATTR_CLIENT_ID, on->client, err,
                             err_len);
        rly_msgs_free(&ms);
        if (rc)
            return cw_err_prefix(err, err_len, rc, "create_client");
        cw_log(CW_LOG_INFO, "client created path=%s chain=%s client=%s tracks=%s height=%" PRIu64,
               pc->name, on->chain, on->client, of->cfg->id, cs.latest_height);
        fprintf(out, "path %s: created %s on %s (tracking %s from height %" PRIu64 ")\n", pc->name,
               on->client, on->chain, of->cfg->id, cs.latest_height);
    }
    return CW_OK;
}

/* ---- create-channel ---------------------------------------------------------------- */

/* key's value and proof at h (the proof checked by cw_chain_query against the header the
 * light client verified at h) */
static int prove_key(cw_chain_client *c, const char *key, uint64_t h, uint8_t **v, size_t *vl,
                     uint8_t **proof, size_t *pl, char *err, size_t err_len)
{
    uint64_t at = 0;
    int rc = cw_chain_query(c, key, h, true, v, vl, proof, pl, &at, err, err_len);
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

static int hs_collect(cw_chain_client *src, const rly_end_cfg *end, uint64_t h, bool clients,
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
static int update_to_latest(rly_ctx *x, cw_chain_client *src, cw_chain_client *dst,
                            const char *client_id,
                            rly_msgs *ms, uint64_t *h, char *err, size_t err_len)
{
    int rc = cw_chain_status(src, NULL, err, err_len);
    if (rc)
        return rc;
    return rly_add_updates(x, src, dst, client_id, src->height, ms, h, err, err_len);
}

/* The channel end `end` names on c: *state 0 when end has no channel id yet. A configured
 * id the chain does not know is an error (the config names another chain's channel). */
int rly_chan_end_of(cw_chain_client *c, const rly_end_cfg *end, cw_channel_end *ce, int *state,
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
    int rc = cw_chain_query(c, key, 0, false, &v, &vl, &pf, &pl, &at, err, err_len);
    free(pf);
    if (rc)
        return rc;
    if (!v)
        return cw_errf(err, err_len, CW_ENOTFOUND, "chain %s has no channel %s on port %s "
                       "(the config names it)", c->cfg->id, end->channel, end->port);
    rc = cw_channel_end_decode(ce, v, vl, err, err_len);
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
 * consensus state too) proven at that height (*h). On CW_OK the step's msg goes next in ms
 * (*m, initialised); on failure ms and hp are freed. */
static int hs_prove(rly_ctx *x, cw_chain_client *src, cw_chain_client *dst, const char *dst_client,
                    const rly_end_cfg *proven, bool clients, rly_msgs *ms, hs_proofs *hp,
                    uint64_t *h, cw_enc **m, char *err, size_t err_len)
{
    int rc;
    if ((rc = update_to_latest(x, src, dst, dst_client, ms, h, err, err_len)) ||
        (rc = hs_collect(src, proven, *h, clients, hp, err, err_len))) {
        rly_msgs_free(ms);
        hs_free(hp);
        return rc;
    }
    *m = &ms->m[ms->n++];
    cw_enc_init(*m);
    return CW_OK;
}

static cw_bytes hs_bytes(const uint8_t *p, size_t n) { return (cw_bytes){p, n}; }

/* the client fields TRY and ACK both carry (ibc-go's connection-handshake client checks):
 * the proving chain's client state of the other chain, its proof, and the proof of the
 * consensus state that client holds at its latest height */
static void hs_client_proofs(const hs_proofs *hp, cw_bytes *client_state, cw_bytes *proof_client,
                             cw_bytes *proof_consensus)
{
    *client_state = hs_bytes(hp->cs_v, hp->cs_vl);
    *proof_client = hs_bytes(hp->cs_p, hp->cs_pl);
    *proof_consensus = hs_bytes(hp->cons_p, hp->cons_pl);
}

/* one handshake step's tx on c (its attr type.key into out when type), then ms and hp
 * freed; a failure is prefixed with the step's name */
static int hs_send(rly_ctx *x, cw_chain_client *c, rly_msgs *ms, hs_proofs *hp, const char *step,
                   const char *type, char *out, char *err, size_t err_len)
{
    int rc = rly_tx_and_attr(x, c, ms, type, CW_ATTR_CHANNEL, out, err, err_len);
    rly_msgs_free(ms);
    hs_free(hp);
    return rc ? cw_err_prefix(err, err_len, rc, step) : CW_OK;
}

/* A proven step's msg for the end D, proving the end S (its proofs hp at height h). */
typedef void (*hs_fill_fn)(cw_enc *m, const hs_proofs *hp, uint64_t h, const rly_path_cfg *pc,
                           const rly_end_cfg *S, const rly_end_cfg *D);

static void fill_try(cw_enc *m, const hs_proofs *hp, uint64_t h, const rly_path_cfg *pc,
                     const rly_end_cfg *S, const rly_end_cfg *D)
{
    cw_msg_chan_open_try mt = {.ordering = pc->ordering,
                               .proof_init = hs_bytes(hp->chan_p, hp->chan_pl),
                               .proof_height = h};
    hs_client_proofs(hp, &mt.counterparty_client_state, &mt.proof_client, &mt.proof_consensus);
    snprintf(mt.port, sizeof mt.port, "%s", D->port);
    snprintf(mt.counterparty_port, sizeof mt.counterparty_port, "%s", S->port);
    snprintf(mt.counterparty_channel, sizeof mt.counterparty_channel, "%s", S->channel);
    snprintf(mt.client_id, sizeof mt.client_id, "%s", D->client);
    snprintf(mt.counterparty_client_id, sizeof mt.counterparty_client_id, "%s", S->client);
    snprintf(mt.version, sizeof mt.version, "%s", pc->version);
    snprintf(mt.counterparty_version, sizeof mt.counterparty_version, "%s", pc->version);
    cw_msg_chan_open_try_enc(m, &mt);
}

static void fill_ack(cw_enc *m, const hs_proofs *hp, uint64_t h, const rly_path_cfg *pc,
                     const rly_end_cfg *S, const rly_end_cfg *D)
{
    cw_msg_chan_open_ack mk = {.proof_try = hs_bytes(hp->chan_p, hp->chan_pl), .proof_height = h};
    hs_client_proofs(hp, &mk.counterparty_client_state, &mk.proof_client, &mk.proof_consensus);
    snprintf(mk.port, sizeof mk.port, "%s", D->port);
    snprintf(mk.channel, sizeof mk.channel, "%s", D->channel);
    snprintf(mk.counterparty_channel, sizeof mk.counterparty_channel, "%s", S->channel);
    snprintf(mk.counterparty_version, sizeof mk.counterparty_version, "%s", pc->version);
    cw_msg_chan_open_ack_enc(m, &mk);
}

static void fill_confirm(cw_enc *m, const hs_proofs *hp, uint64_t h, const rly_path_cfg *pc,
                         const rly_end_cfg *S, const rly_end_cfg *D)
{
    (void)pc, (void)S;
    cw_msg_chan_open_confirm mf = {.proof_ack = hs_bytes(hp->chan_p, hp->chan_pl),
                                   .proof_height = h};
    snprintf(mf.port, sizeof mf.port, "%s", D->port);
    snprintf(mf.channel, sizeof mf.channel, "%s", D->channel);
    cw_msg_chan_open_confirm_enc(m, &mf);
}

static void fill_close_confirm(cw_enc *m, const hs_proofs *hp, uint64_t h, const rly_path_cfg *pc,
                               const rly_end_cfg *S, const rly_end_cfg *D)
{
    (void)pc, (void)S;
    cw_msg_chan_close_confirm mc = {.proof_init = hs_bytes(hp->chan_p, hp->chan_pl),
                                    .proof_height = h};
    snprintf(mc.port, sizeof mc.port, "%s", D->port);
    snprintf(mc.channel, sizeof mc.channel, "%s", D->channel);
    cw_msg_chan_close_confirm_enc(m, &mc);
}

/* One proven step on D's chain: D's client of S's chain taken to S's latest height, S's end
 * (with clients: S's client state and consensus state too) proven there, the msg fill
 * writes, all in one tx; ev (non-NULL) names the event carrying D's new channel id, read
 * into D->channel. A failure is prefixed with the step's name. */
static int hs_step(rly_ctx *x, const rly_path_cfg *pc, const rly_end_cfg *S, rly_end_cfg *D,
                   bool clients, hs_fill_fn fill, const char *step, const char *ev, char *err,
                   size_t err_len)
{
    cw_chain_client *src = &x->conns[S->chain_ix], *dst = &x->conns[D->chain_ix];
    rly_msgs ms = {0};
    hs_proofs hp = {0};
    uint64_t h;
    cw_enc *m;
    int rc = hs_prove(x, src, dst, D->client, S, clients, &ms, &hp, &h, &m, err, err_len);
    if (rc)
        return rc; /* ms and hp freed */
    fill(m, &hp, h, pc, S, D);
    return hs_send(x, dst, &ms, &hp, step, ev, ev ? D->channel : NULL, err, err_len);
}

/* ICS-04 handshake, one step per pass, the next step read from the two ends' states — so a
 * run cut short (crash, kill, a failed step) is taken up where it stopped by running
 * create-channel again. The ids are written back to the config after each step. */
int rly_create_channel(rly_ctx *x, int p, FILE *out, char *err, size_t err_len)
{
    rly_path_cfg *pc = &x->cfg->paths[p];
    rly_end_cfg *A = &pc->end[0], *B = &pc->end[1];
    cw_chain_client *ca = &x->conns[A->chain_ix], *cb = &x->conns[B->chain_ix];
    if (!A->client[0] || !B->client[0])
        return cw_errf(err, err_len, CW_ESTATE, "path %s: run create-clients first", pc->name);
    int rc = CW_OK;
    rly_msgs ms = {0};
    hs_proofs hp = {0};
    for (int step = 0;; step++) {
        cw_channel_end ea, eb;
        int sa, sb;
        if (step == 5) { /* four steps open a channel: a fifth pass means the chains differ */
            rc = cw_errf(err, err_len, CW_ESTATE, "path %s: the handshake did not open the "
                         "channel in four steps", pc->name);
            goto out;
        }
        if ((rc = rly_chan_end_of(ca, A, &ea, &sa, err, err_len)) ||
            (rc = rly_chan_end_of(cb, B, &eb, &sb, err, err_len)))
            goto out;
        rly_hs_ends ends = {{sa, sb},
                            {strcmp(ea.counterparty_channel, B->channel) == 0,
                             strcmp(eb.counterparty_channel, A->channel) == 0}};
        rly_hs_action act = rly_hs_next(&ends);
        if (act == RLY_HS_ERR_COUNTERPARTY) {
            rc = cw_errf(err, err_len, CW_ESTATE, "path %s: channels %s on %s and %s on %s are "
                         "not each other's counterparty", pc->name, A->channel, A->chain,
                         B->channel, B->chain);
            goto out;
        }
        if (act == RLY_HS_DONE) {
            if (step == 0)
                fprintf(out, "path %s: channels %s/%s already open; kept\n", pc->name, A->channel,
                        B->channel);
            else
                cw_log(CW_LOG_INFO, "channel open path=%s %s/%s=%s %s/%s=%s", pc->name,
                       A->chain, A->port, A->channel, B->chain, B->port, B->channel);
            goto out;
        }
        if (act == RLY_HS_OPEN_INIT) {
            /* 1. INIT on A */
            cw_msg_chan_open_init mi = {.ordering = pc->ordering};
            snprintf(mi.port, sizeof mi.port, "%s", A->port);
            snprintf(mi.counterparty_port, sizeof mi.counterparty_port, "%s", B->port);
            snprintf(mi.client_id, sizeof mi.client_id, "%s", A->client);
            snprintf(mi.counterparty_client_id, sizeof mi.counterparty_client_id, "%s", B->client);
            snprintf(mi.version, sizeof mi.version, "%s", pc->version);
            cw_enc_init(&ms.m[0]);
            cw_msg_chan_open_init_enc(&ms.m[0], &mi);
            ms.n = 1;
            if ((rc = hs_send(x, ca, &ms, &hp, "chan_open_init", CW_EV_CHANNEL_OPEN_INIT,
                              A->channel, err, err_len)))
                goto out;
            fprintf(out, "path %s: %s INIT on %s\n", pc->name, A->channel, A->chain);
        } else if (act == RLY_HS_OPEN_TRY) {
            /* 2. TRY on B, proving A's INIT end and A's client of B */
            if ((rc = hs_step(x, pc, A, B, true, fill_try, "chan_open_try",
                              CW_EV_CHANNEL_OPEN_TRY, err, err_len)))
                goto out;
            fprintf(out, "path %s: %s TRYOPEN on %s\n", pc->name, B->channel, B->chain);
        } else if (act == RLY_HS_OPEN_ACK) {
            /* 3. ACK on A, proving B's TRYOPEN end and B's client of A */
            if ((rc = hs_step(x, pc, B, A, true, fill_ack, "chan_open_ack", NULL, err, err_len)))
                goto out;
            fprintf(out, "path %s: %s OPEN on %s\n", pc->name, A->channel, A->chain);
        } else if (act == RLY_HS_OPEN_CONFIRM) {
            /* 4. CONFIRM on B, proving A's OPEN end */
            if ((rc = hs_step(x, pc, A, B, false, fill_confirm, "chan_open_confirm", NULL, err,
                              err_len)))
                goto out;
            fprintf(out, "path %s: %s OPEN on %s\n", pc->name, B->channel, B->chain);
        } else { /* a closed end, or states no step leads on from */
            rc = cw_errf(err, err_len, CW_ESTATE, "path %s: channel %s on %s is %s and %s on %s "
                         "is %s: not a handshake this relayer can continue", pc->name,
                         A->channel[0] ? A->channel : "(none)", A->chain, chan_state_name(sa),
                         B->channel[0] ? B->channel : "(none)", B->chain, chan_state_name(sb));
            goto out;
        }
        char e2[256]; /* the id a step created is on record before the next step starts */
        if (rly_config_save_ids(x->cfg, e2, sizeof e2) != CW_OK)
            cw_log(CW_LOG_WARN, "path %s: %s", pc->name, e2);
        fflush(out); /* each step's line, as it happens, for whoever watches */
    }
out:
    rly_msgs_free(&ms);
    hs_free(&hp);
    return rc;
}

/* An ORDERED channel whose source end a timeout closed: ChanCloseConfirm on the destination
 * (ICS-04), proving the CLOSED end; nothing else moves on it. */
int rly_close_confirm(rly_ctx *x, int p, int d, char *err, size_t err_len)
{
    rly_path_cfg *pc = &x->cfg->paths[p];
    rly_end_cfg *S = &pc->end[d], *D = &pc->end[1 - d];
    cw_chain_client *dst = &x->conns[D->chain_ix];
    cw_channel_end de;
    int ds;
    int rc = rly_chan_end_of(dst, D, &de, &ds, err, err_len);
    /* the source end (A here) is CLOSED: confirm on the destination unless it is already */
    rly_hs_ends ends = {{CW_CHAN_CLOSED, ds}, {true, true}};
    if (rc || rly_hs_next(&ends) != RLY_HS_CLOSE_CONFIRM_B)
        return rc;
    if ((rc = hs_step(x, pc, S, D, false, fill_close_confirm, "chan_close_confirm", NULL, err,
                      err_len)) == CW_OK)
        cw_log(CW_LOG_INFO, "channel closed path=%s chain=%s channel=%s (its counterparty %s "
               "on %s was closed by an ordered timeout)", pc->name, D->chain, D->channel,
               S->channel, S->chain);
    return rc;
}

