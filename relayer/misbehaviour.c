/* Misbehaviour: a client's consensus state checked against the header this relayer verified
 * at that height (on every update_client event and at each use); two valid conflicting headers
 * become MsgSubmitMisbehaviour, which freezes the client. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/log.h"
#include "causeway/tx.h"
#include "relay.h"

/* ---- misbehaviour ------------------------------------------------------------------ */

#define EVIDENCE_SCAN_MAX 2000u

/* whether a tx's events hold update_client of client_id to height */
static bool updates_to(const msgpack_object *events, const char *client_id, uint64_t height)
{
    const msgpack_object *a;
    uint32_t k = 0;
    while ((a = cw_events_find(events, CW_EV_UPDATE_CLIENT, &k))) {
        char id[CW_ID_MAX + 1];
        uint64_t eh;
        if (cw_event_get_u64(a, CW_ATTR_HEIGHT, &eh) && eh == height &&
            cw_event_get_str(a, CW_ATTR_CLIENT_ID, id) && strcmp(id, client_id) == 0)
            return true;
    }
    return false;
}

/* the MsgUpdateClient of client_id to height in tx bytes tb (owned into *out): true if found */
static bool update_in_tx(cw_bytes tb, const char *client_id, uint64_t height,
                         cw_update_header *out)
{
    cw_tx tx;
    bool found = false;
    if (cw_tx_decode(&tx, tb.p, tb.len, NULL, 0) == CW_OK) {
        for (uint32_t m = 0; m < tx.n_msgs && !found; m++) {
            char type[CW_ID_MAX + 1];
            const msgpack_object *body;
            cw_tx_msg(&tx, m, type, &body);
            if (strcmp(type, CW_MSG_IBC_UPDATE_CLIENT) != 0)
                continue;
            cw_dec rd = {0};
            cw_msg_update_client mu;
            cw_msg_update_client_dec(&rd, body, &mu, CW_MSG_IBC_UPDATE_CLIENT);
            if (rd.rc == CW_OK && strcmp(mu.client_id, client_id) == 0 &&
                mu.update.signed_header.header.height == height) {
                *out = mu.update;
                memset(&mu.update, 0, sizeof mu.update);
                found = true;
            }
            cw_msg_update_client_free(&mu);
        }
    }
    cw_tx_free(&tx);
    return found;
}

/* rly_block_txs' callback: the tx whose update_client event and msg stored `height` */
struct find_arg {
    const char *client_id;
    uint64_t height;
    cw_update_header *out;
    bool found;
};

static bool find_in_tx(void *arg, const cw_rpc_block_tx *bt)
{
    struct find_arg *a = arg;
    a->found = updates_to(bt->result.events, a->client_id, a->height) &&
               update_in_tx(bt->tx, a->client_id, a->height, a->out);
    return a->found;
}

/* The UpdateHeader that stored `height` in client_id on host: found through the
 * update_client event, decoded from the tx that carried it (scanning back from the tip). */
static int find_update_header(cw_chain_client *host, const char *client_id, uint64_t height,
                              cw_update_header *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    int rc = cw_chain_status(host, NULL, err, err_len);
    if (rc)
        return rc;
    uint64_t lo = host->height > EVIDENCE_SCAN_MAX ? host->height - EVIDENCE_SCAN_MAX : 1;
    struct find_arg a = {client_id, height, out, false};
    for (uint64_t h = host->height; h >= lo && h > 0; h--) {
        rc = rly_block_txs(host, h, 0, find_in_tx, &a, err, err_len);
        if (a.found)
            return CW_OK;
        if (rc && rc != CW_ENOTFOUND)
            return rc;
    }
    return cw_errf(err, err_len, CW_ENOTFOUND, "chain %s: no update of %s to height %" PRIu64
                   " in the last %u blocks", host->cfg->id, client_id, height, EVIDENCE_SCAN_MAX);
}

/* An owned UpdateHeader (one half of MsgSubmitMisbehaviour): lb's header, verified from
 * `trusted`, whose next validator set is tvals. */
static int update_header_of(cw_update_header *u, const cw_light_block *lb, uint64_t trusted,
                            const cw_validator_set *tvals)
{
    memset(u, 0, sizeof *u);
    int rc;
    if ((rc = cw_validator_set_copy(&u->trusted_validator_set, tvals)) ||
        (rc = cw_validator_set_copy(&u->validator_set, &lb->validator_set))) {
        cw_update_header_free(u);
        return rc;
    }
    u->has_trusted_validator_set = true;
    u->trusted_height = trusted;
    u->signed_header.header = lb->signed_header.header;
    cw_commit *c = &u->signed_header.commit;
    *c = lb->signed_header.commit;
    c->sigs = malloc((c->n_sigs ? c->n_sigs : 1) * sizeof *c->sigs);
    if (!c->sigs) {
        c->n_sigs = 0;
        cw_update_header_free(u);
        return -ENOMEM;
    }
    memcpy(c->sigs, lb->signed_header.commit.sigs, c->n_sigs * sizeof *c->sigs);
    return CW_OK;
}

/* an owned UpdateHeader for the locally verified header at `height`, from `trusted` */
static int own_update_header(cw_chain_client *src, uint64_t height, uint64_t trusted,
                             cw_update_header *u, char *err, size_t err_len)
{
    memset(u, 0, sizeof *u);
    cw_light_block tlb;
    int rc = cw_chain_light_block(src, trusted, &tlb, err, err_len);
    if (rc)
        return rc;
    const cw_light_block *lb; /* in the cache: copied before any other fetch */
    if ((rc = cw_chain_lc_verified(src, height, &lb, err, err_len)) == CW_OK)
        rc = update_header_of(u, lb, trusted, &tlb.next_validator_set);
    cw_light_block_free(&tlb);
    return rc;
}

/* Submit mm to client_id on host and wait for it to commit: the client freezes. */
static int send_misbehaviour(rly_ctx *x, cw_chain_client *host,
                             const cw_msg_submit_misbehaviour *mm,
                             char *err, size_t err_len)
{
    rly_msgs ms = {0};
    cw_enc_init(&ms.m[0]);
    cw_msg_submit_misbehaviour_enc(&ms.m[0], mm);
    ms.n = 1;
    int rc = ms.m[0].rc;
    if (rc) {
        rly_msgs_free(&ms);
        return cw_errf(err, err_len, rc, "encoding the evidence");
    }
    rc = rly_tx_and_attr(x, host, &ms, NULL, NULL, NULL, err, err_len);
    rly_msgs_free(&ms);
    if (rc == CW_OK)
        cw_log(CW_LOG_ERROR, "MISBEHAVIOUR submitted chain=%s client=%s height=%" PRIu64
               ": the client is frozen", host->cfg->id, mm->client_id,
               mm->header1.signed_header.header.height);
    else
        cw_log(CW_LOG_ERROR, "misbehaviour not submitted chain=%s client=%s height=%" PRIu64
               " reason=\"%s\"", host->cfg->id, mm->client_id,
               mm->header1.signed_header.header.height, err);
    return rc;
}

/* The client `client_id` on host tracks src; its consensus state at `height` (cons) is
 * checked against the header this relayer verified at that height. Two valid conflicting
 * headers → MsgSubmitMisbehaviour, which freezes the client. */
static int conflict_at(rly_ctx *x, cw_chain_client *src, cw_chain_client *host,
                       const char *client_id,
                       uint64_t height, const cw_lc_consensus_state *cons, char *err,
                       size_t err_len)
{
    if (height < src->lc_root_height)
        return CW_OK;
    const cw_light_block *lb;
    int rc = cw_chain_lc_verified(src, height, &lb, err, err_len);
    if (rc)
        return CW_OK; /* cannot tell (not verifiable here): nothing to claim */
    cw_lc_consensus_state mine;
    cw_lc_consensus_state_of(&mine, &lb->signed_header.header);
    if (mine.timestamp_ns == cons->timestamp_ns &&
        memcmp(mine.state_root, cons->state_root, 32) == 0 &&
        memcmp(mine.next_validators_hash, cons->next_validators_hash, 32) == 0)
        return CW_OK;
    cw_log(CW_LOG_ERROR, "CONFLICTING HEADERS chain=%s height=%" PRIu64 ": client %s on %s holds a "
           "consensus state that differs from the header verified here; submitting "
           "misbehaviour", src->cfg->id, height, client_id, host->cfg->id);
    cw_msg_submit_misbehaviour mm;
    memset(&mm, 0, sizeof mm);
    snprintf(mm.client_id, sizeof mm.client_id, "%s", client_id);
    if ((rc = find_update_header(host, client_id, height, &mm.header2, err,
                                 err_len)) == CW_OK &&
        (rc = own_update_header(src, height, mm.header2.trusted_height, &mm.header1,
                                err, err_len)) == CW_OK)
        rc = send_misbehaviour(x, host, &mm, err, err_len);
    else
        cw_log(CW_LOG_ERROR, "misbehaviour not submitted chain=%s client=%s height=%" PRIu64
               " reason=\"%s\"", host->cfg->id, client_id, height, err);
    cw_update_header_free(&mm.header1);
    cw_update_header_free(&mm.header2);
    return rc ? rc : CW_EMISBEHAVIOUR;
}

int rly_check_conflict(rly_ctx *x, cw_chain_client *src, cw_chain_client *host,
                       const char *client_id,
                       const cw_lc_client_state *cs, const cw_lc_consensus_state *cons,
                       char *err, size_t err_len)
{
    if (cs->frozen_height)
        return CW_OK;
    return conflict_at(x, src, host, client_id, cs->latest_height, cons, err, err_len);
}

/* An update_client event of a path end's client, by anyone: the height it stored, to check
 * against the local light client — the latest-height check alone misses a conflicting
 * header stored below a client's latest height. */
void rly_note_update(rly_ctx *x, cw_chain_client *c, const cw_client_event *ev)
{
    const char *id = ev->client_id;
    uint64_t h = ev->height;
    for (int p = 0; p < x->cfg->n_paths; p++)
        for (int e = 0; e < 2; e++) {
            const rly_end_cfg *on = &x->cfg->paths[p].end[e];
            if (on->chain_ix != c->ix || strcmp(on->client, id) != 0)
                continue;
            for (size_t i = 0; i < x->n_upd_seen; i++)
                if (x->upd_seen[i].path == p && x->upd_seen[i].end == e &&
                    x->upd_seen[i].height == h)
                    return;
            if (x->n_upd_seen == RLY_UPD_SEEN_MAX) { /* the oldest goes */
                memmove(x->upd_seen, x->upd_seen + 1, --x->n_upd_seen * sizeof *x->upd_seen);
            }
            x->upd_seen[x->n_upd_seen++] = (rly_upd_seen){.path = p, .end = e, .height = h};
        }
}

/* check the noted updates (at most 16 a pass) */
void rly_check_updates(rly_ctx *x)
{
    size_t n = x->n_upd_seen < 16 ? x->n_upd_seen : 16;
    for (size_t i = 0; i < n; i++) {
        const rly_upd_seen *u = &x->upd_seen[i];
        const rly_end_cfg *on = &x->cfg->paths[u->path].end[u->end];
        cw_chain_client *host = &x->conns[on->chain_ix];
        cw_chain_client *src = &x->conns[x->cfg->paths[u->path].end[1 - u->end].chain_ix];
        cw_lc_consensus_state cons;
        char err[512];
        if (rly_consensus_at(host, on->client, u->height, &cons, err, sizeof err) == CW_OK)
            (void)conflict_at(x, src, host, on->client, u->height, &cons, err, sizeof err);
    }
    memmove(x->upd_seen, x->upd_seen + n, (x->n_upd_seen - n) * sizeof *x->upd_seen);
    x->n_upd_seen -= n;
}

/* The conflict the local light client of `of` met, as evidence for client_id on host: both
 * headers verified from the highest height below them that host's client stores and this
 * relayer verified. Returns: CW_OK submitted, or the client is frozen already; CW_ENOTFOUND
 * no such trusted height; the submission's codes. */
static int lc_evidence(rly_ctx *x, cw_chain_client *of, cw_chain_client *host,
                       const char *client_id,
                       char *err, size_t err_len)
{
    const cw_chain_conflict *cf = &of->conflict;
    cw_lc_client_state cs;
    int rc = rly_client_info(host, client_id, &cs, NULL, err, err_len);
    if (rc)
        return rc;
    if (cs.frozen_height) {
        cw_log(CW_LOG_INFO, "client already frozen chain=%s client=%s frozen_height=%" PRIu64,
               host->cfg->id, client_id, cs.frozen_height);
        return CW_OK;
    }
    uint64_t h1 = cf->lb[0].signed_header.header.height;
    uint64_t h2 = cf->lb[1].signed_header.header.height;
    uint64_t hs[64], trusted = 0;
    size_t n = cw_chain_lc_seen_below(of, h1 < h2 ? h1 : h2, hs, 64);
    for (size_t i = 0; i < n && !trusted; i++) {
        cw_lc_consensus_state cons;
        rc = rly_consensus_at(host, client_id, hs[i], &cons, err, err_len);
        if (rc == CW_OK)
            trusted = hs[i];
        else if (rc != CW_ENOTFOUND)
            return rc;
    }
    if (!trusted)
        return cw_errf(err, err_len, CW_ENOTFOUND, "client %s on %s stores no consensus state "
                       "below height %" PRIu64 " that this relayer verified", client_id,
                       host->cfg->id, h1 < h2 ? h1 : h2);
    cw_light_block tlb;
    if ((rc = cw_chain_lc_seen(of, trusted, &tlb, err, err_len)))
        return rc;
    cw_msg_submit_misbehaviour mm;
    memset(&mm, 0, sizeof mm);
    snprintf(mm.client_id, sizeof mm.client_id, "%s", client_id);
    if ((rc = update_header_of(&mm.header1, &cf->lb[0], trusted, &tlb.next_validator_set)) ||
        (rc = update_header_of(&mm.header2, &cf->lb[1], trusted, &tlb.next_validator_set)))
        cw_errf(err, err_len, rc, "out of memory");
    else
        rc = send_misbehaviour(x, host, &mm, err, err_len);
    cw_light_block_free(&tlb);
    cw_update_header_free(&mm.header1);
    cw_update_header_free(&mm.header2);
    return rc;
}

/* hand the local light clients' conflicts to every client of those chains (retried every
 * 5 s until each is frozen) */
void rly_submit_evidence(rly_ctx *x)
{
    uint64_t now = cw_chain_now_ms();
    for (rly_client_end c = {0}; rly_next_client(x, &c);) {
        uint32_t bit = 1u << (c.p * 2 + c.e);
        if (!c.on->client[0] || !c.of->conflict.set || (c.of->conflict.sent & bit) ||
            now < c.of->conflict.next_try_ms)
            continue;
        char err[512];
        if (lc_evidence(x, c.of, c.host, c.on->client, err, sizeof err) == CW_OK)
            c.of->conflict.sent |= bit;
        else
            cw_log(CW_LOG_ERROR, "misbehaviour evidence not delivered path=%s chain=%s "
                   "client=%s reason=\"%s\" (retrying)", x->cfg->paths[c.p].name, c.on->chain,
                   c.on->client, err);
    }
    for (int i = 0; i < x->cfg->n_chains; i++)
        if (x->conns[i].conflict.set && now >= x->conns[i].conflict.next_try_ms)
            x->conns[i].conflict.next_try_ms = now + 5000;
}

