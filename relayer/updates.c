/* Client updates: which hops take a client from its trusted height to a target (a pure
 * planner over a "can this skip verify" callback), the MsgUpdateClients that carry them, and
 * the refresh that keeps clients inside their trusting period. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/log.h"
#include "relay.h"

/* ---- the update plan ------------------------------------------------------------------ */

#define PLAN_MAX 64   /* hops in one plan */

static int plan_hops(uint64_t from, uint64_t to, rly_hop_fn hop, void *u, uint64_t *heights,
                     size_t max, size_t *n, int depth, char *err, size_t err_len)
{
    int rc = hop(u, from, to, err, err_len);
    if (rc == CW_OK) {
        if (*n >= max)
            return cw_errf(err, err_len, CW_ETOOBIG, "update plan longer than %zu hops", max);
        heights[(*n)++] = to;
        return CW_OK;
    }
    if (rc != CW_ETHRESHOLD || to <= from + 1 || depth >= CW_CHAIN_BISECT_DEPTH)
        return rc;
    uint64_t mid = from + (to - from) / 2;
    if ((rc = plan_hops(from, mid, hop, u, heights, max, n, depth + 1, err, err_len)))
        return rc;
    return plan_hops(mid, to, hop, u, heights, max, n, depth + 1, err, err_len);
}

int rly_plan_updates(uint64_t trusted, uint64_t target, rly_hop_fn hop, void *u,
                     uint64_t *heights, size_t max, size_t *n, char *err, size_t err_len)
{
    *n = 0;
    if (target <= trusted)
        return CW_OK;
    return plan_hops(trusted, target, hop, u, heights, max, n, 0, err, err_len);
}

/* ---- MsgUpdateClient ------------------------------------------------------------------- */

/* A copy of the next validator set of c's light block at h — the trusted set of a hop from h:
 * the chain client's cached block, else fetched (unverified, as every fetched trusted set: the
 * client on chain checks it against the consensus state it stores at h). */
static int next_vals_at(cw_chain_client *c, uint64_t h, cw_validator_set *out, char *err,
                        size_t err_len)
{
    const cw_light_block *lb;
    int rc = cw_chain_lc_block(c, h, &lb, err, err_len);
    return rc ? rc : cw_validator_set_copy(out, &lb->next_validator_set);
}

/* the planner's callback: would the on-chain client (parameters cs, consensus state
 * from_cs at its latest height) accept the hop from `from` to `to`? Both headers verified by
 * the local light client first (a midpoint's consensus state is the one verified here). */
typedef struct hop_ctx {
    cw_chain_client *c;
    const cw_lc_client_state *cs;
    const cw_lc_consensus_state *from_cs; /* at cs->latest_height */
} hop_ctx;

static int hop_ok(void *u, uint64_t from, uint64_t to, char *err, size_t err_len)
{
    hop_ctx *hc = u;
    cw_chain_client *c = hc->c;
    cw_lc_consensus_state mid_cs;
    const cw_lc_consensus_state *fcs = hc->from_cs;
    const cw_light_block *lb;
    int rc;
    if (from != hc->cs->latest_height) {
        if ((rc = cw_chain_lc_verified(c, from, &lb, err, err_len)))
            return rc;
        cw_lc_consensus_state_of(&mid_cs, &lb->signed_header.header);
        fcs = &mid_cs;
    }
    if ((rc = cw_chain_lc_verified(c, to, &lb, err, err_len)))
        return rc;
    cw_lc_valset *vals = NULL, *tvals = NULL;
    if ((rc = cw_chain_lc_valset(c, &lb->validator_set, &vals, err, err_len)))
        return rc;
    cw_signed_header sh = lb->signed_header; /* shallow: lb may move when from's is fetched */
    cw_commit cm = {0};
    cm.height = sh.commit.height;
    memcpy(cm.block_hash, sh.commit.block_hash, 32);
    cm.n_sigs = sh.commit.n_sigs;
    cm.sigs = malloc((cm.n_sigs ? cm.n_sigs : 1) * sizeof *cm.sigs);
    if (!cm.sigs) {
        cw_lc_valset_release(vals);
        return -ENOMEM;
    }
    memcpy(cm.sigs, sh.commit.sigs, cm.n_sigs * sizeof *cm.sigs);
    sh.commit = cm;
    if (to > from + 1) {
        cw_validator_set tv = {0};
        if ((rc = next_vals_at(c, from, &tv, err, err_len)) == CW_OK)
            rc = cw_chain_lc_valset(c, &tv, &tvals, err, err_len);
        cw_validator_set_free(&tv);
        if (rc) {
            cw_lc_valset_release(vals);
            free(cm.sigs);
            return rc;
        }
    }
    rc = cw_lc_verify(hc->cs, from, fcs, &sh, vals, tvals, cw_chain_now_ns(), NULL, err, err_len);
    free(cm.sigs);
    cw_lc_valset_release(vals);
    cw_lc_valset_release(tvals);
    return rc;
}

int rly_build_updates(cw_chain_client *c, const char *client_id, const cw_lc_client_state *cs,
                      const cw_lc_consensus_state *from_cs, uint64_t to, cw_enc *out,
                      size_t max, size_t *n, char *err, size_t err_len)
{
    uint64_t heights[PLAN_MAX];
    size_t nh = 0;
    *n = 0;
    uint64_t from = cs->latest_height;
    hop_ctx hc = {c, cs, from_cs};
    int rc = rly_plan_updates(from, to, hop_ok, &hc, heights, PLAN_MAX, &nh, err, err_len);
    if (rc || nh == 0)
        return rc;
    if (nh > max)
        return cw_errf(err, err_len, CW_ETOOBIG, "update needs %zu hops", nh);
    uint64_t prev = from;
    for (size_t i = 0; i < nh; i++) {
        cw_validator_set tv = {0};
        if ((rc = next_vals_at(c, prev, &tv, err, err_len)))
            goto fail;
        const cw_light_block *lb;
        if ((rc = cw_chain_lc_verified(c, heights[i], &lb, err, err_len))) {
            cw_validator_set_free(&tv);
            goto fail;
        }
        cw_msg_update_client mu;
        memset(&mu, 0, sizeof mu);
        snprintf(mu.client_id, sizeof mu.client_id, "%s", client_id);
        mu.update.signed_header = lb->signed_header;
        mu.update.validator_set = lb->validator_set;
        mu.update.trusted_height = prev;
        mu.update.has_trusted_validator_set = true;
        mu.update.trusted_validator_set = tv;
        cw_enc_init(&out[*n]);
        cw_msg_update_client_enc(&out[*n], &mu);
        cw_validator_set_free(&tv);
        if ((rc = out[*n].rc)) {
            cw_enc_free(&out[*n]);
            goto fail;
        }
        (*n)++;
        prev = heights[i];
    }
    return CW_OK;
fail:
    for (size_t i = 0; i < *n; i++)
        cw_enc_free(&out[i]);
    *n = 0;
    return rc;
}

/* ---- bringing a client along ---------------------------------------------------------- */

/* Bring client_id on dst up to at least `want` of src (updates appended to ms).
 * *proof_height receives the height proofs must be queried at: max(latest, want). */
int rly_add_updates(rly_ctx *x, cw_chain_client *src, cw_chain_client *dst, const char *client_id,
                    uint64_t want, rly_msgs *ms, uint64_t *proof_height, char *err,
                    size_t err_len)
{
    cw_lc_client_state cs;
    cw_lc_consensus_state cons;
    int rc = rly_client_info(dst, client_id, &cs, &cons, err, err_len);
    if (rc)
        return rc;
    if (cs.frozen_height)
        return cw_errf(err, err_len, CW_EFROZEN, "chain %s: client %s is frozen at %" PRIu64,
                       dst->cfg->id, client_id, cs.frozen_height);
    if ((rc = rly_check_conflict(x, src, dst, client_id, &cs, &cons, err, err_len)))
        return rc;
    if (cs.latest_height >= want) {
        *proof_height = cs.latest_height;
        return CW_OK;
    }
    size_t n = 0;
    rc = rly_build_updates(src, client_id, &cs, &cons, want, &ms->m[ms->n],
                           RLY_MAX_UPDATE_MSGS, &n, err, err_len);
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

/* The height proofs from src are taken at for the client of path end `ce` (on dst, tracking
 * src), bringing that client up to `want` first. The MsgUpdateClients go in a tx of their
 * own, ahead of the packet txs that rely on them (one signer's txs land in nonce order), so a
 * packet msg that fails never takes the update — or the other batches — down with it. An
 * update already in flight to at least `want` is relied on, not sent again. */
int rly_prepare_client(rly_ctx *x, int p, int d, int ce, int kind, cw_chain_client *src,
                       cw_chain_client *dst, uint64_t want, uint64_t *ph, char *err, size_t err_len)
{
    for (size_t i = 0; i < x->n_inflight; i++) {
        const rly_inflight *f = &x->inflight[i];
        if (f->chain == dst->ix && f->path == p && f->upd_end == ce && f->upd_to >= want) {
            *ph = f->upd_to;
            return CW_OK;
        }
    }
    rly_msgs ms = {0};
    int rc = rly_add_updates(x, src, dst, x->cfg->paths[p].end[ce].client, want, &ms, ph, err,
                             err_len);
    if (rc == CW_OK && ms.n) {
        ms.upd_end = ce;
        rc = rly_submit(x, dst, &ms, p, d, kind, NULL, 0, err, err_len);
    }
    rly_msgs_free(&ms);
    return rc;
}

/* refresh clients before a third of their trusting period has passed (and report each
 * client's state to /metrics) */
void rly_refresh_clients(rly_ctx *x)
{
    uint64_t now_ns = cw_chain_now_ns();
    for (rly_client_end c = {0}; rly_next_client(x, &c);) {
        const char *client = c.on->client;
        if (!client[0])
            continue;
        cw_lc_client_state cs;
        cw_lc_consensus_state cons;
        char err[512];
        if (rly_client_info(c.host, client, &cs, &cons, err, sizeof err) != CW_OK)
            continue;
        rly_metrics_client(c.p, c.e, &cs, &cons); /* frozen, expiry: what the alerts read */
        if (rly_check_conflict(x, c.of, c.host, client, &cs, &cons, err, sizeof err) != CW_OK)
            continue;
        if (cons.timestamp_ns + cs.trusting_period_ns / 3 > now_ns || cs.frozen_height)
            continue;
        if (rly_inflight_on(x, c.host->ix) >= x->cfg->max_inflight)
            continue;
        rly_msgs ms = {0};
        uint64_t ph;
        if (cw_chain_status(c.of, NULL, err, sizeof err) == CW_OK &&
            rly_add_updates(x, c.of, c.host, client, c.of->height, &ms, &ph, err, sizeof err) ==
                CW_OK &&
            ms.n) {
            uint8_t hash[32];
            if (rly_msgs_send(c.host, &ms, hash, err, sizeof err) == CW_OK) {
                RLY_M_ADD(client_updates, ms.n);
                cw_log(CW_LOG_INFO, "client refreshed path=%s chain=%s client=%s height=%" PRIu64,
                       x->cfg->paths[c.p].name, c.on->chain, client, ph);
            }
        }
        rly_msgs_free(&ms);
    }
}

