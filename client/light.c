/* The chain client's light client (causeway/chain_client.h): every header a client uses
 * (the relayer's MsgUpdateClient, the audit's state roots) is first verified here
 * (cw_lc_update against a memstore seeded from the trust root), never taken on the RPC
 * node's word. Skipping when it can, bisecting when a skip lacks the trust threshold
 * (CometBFT light client "bisection"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/chain_client.h"
#include "causeway/hex.h"
#include "causeway/log.h"

/* ---- verified light blocks, kept for evidence ------------------------------------------ */

static cw_chain_seen *seen_find(const cw_chain_client *c, uint64_t h)
{
    for (size_t i = 0; i < c->n_seen; i++)
        if (c->seen[i].height == h)
            return &c->seen[i];
    return NULL;
}

static void seen_del(cw_chain_client *c, uint64_t h)
{
    cw_chain_seen *e = seen_find(c, h);
    if (!e)
        return;
    free(e->lb);
    *e = c->seen[--c->n_seen];
}

/* keep lb (verified at h); when full, the lowest height goes (the memstore prunes the same
 * way). Out of memory only loses the evidence for h. */
static void seen_put(cw_chain_client *c, uint64_t h, const cw_light_block *lb)
{
    if (seen_find(c, h))
        return;
    if (!c->seen && !(c->seen = calloc(CW_CHAIN_LC_KEEP + 1, sizeof *c->seen)))
        return;
    if (c->n_seen == CW_CHAIN_LC_KEEP + 1) {
        size_t lo = 0;
        for (size_t i = 1; i < c->n_seen; i++)
            if (c->seen[i].height < c->seen[lo].height)
                lo = i;
        seen_del(c, c->seen[lo].height);
    }
    cw_chain_seen *e = &c->seen[c->n_seen];
    if (cw_light_block_encode(&e->lb, &e->len, lb) != CW_OK)
        return;
    e->height = h;
    c->n_seen++;
}

int cw_chain_lc_seen(const cw_chain_client *c, uint64_t h, cw_light_block *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    const cw_chain_seen *e = seen_find(c, h);
    if (!e)
        return cw_errf(err, err_len, CW_ENOTFOUND, "chain %s: no verified light block kept "
                       "at height %llu", c->cfg->id, (unsigned long long)h);
    return cw_light_block_decode(out, e->lb, e->len, err, err_len);
}

size_t cw_chain_lc_seen_below(const cw_chain_client *c, uint64_t below, uint64_t *hs, size_t max)
{
    size_t n = 0;
    uint64_t ceil = below;
    while (n < max) { /* n passes over ≤ CW_CHAIN_LC_KEEP + 1 entries: n is small */
        uint64_t best = 0;
        for (size_t i = 0; i < c->n_seen; i++)
            if (c->seen[i].height < ceil && c->seen[i].height > best)
                best = c->seen[i].height;
        if (!best)
            break;
        hs[n++] = best;
        ceil = best;
    }
    return n;
}

void cw_chain_lc_seen_free(cw_chain_client *c)
{
    for (size_t i = 0; i < c->n_seen; i++)
        free(c->seen[i].lb);
    free(c->seen);
    c->seen = NULL;
    c->n_seen = 0;
    cw_light_block_free(&c->conflict.lb[0]);
    cw_light_block_free(&c->conflict.lb[1]);
    memset(&c->conflict, 0, sizeof c->conflict);
}

/* The light client froze on `lb` (verified, conflicting with stored state): keep both
 * light blocks for evidence. The stored one is at lb's height, or is the neighbour whose
 * time is out of order with lb's. */
static void record_conflict(cw_chain_client *c, const cw_light_block *lb)
{
    if (c->conflict.set)
        return;
    uint64_t h = lb->signed_header.header.height, t = lb->signed_header.header.time_ns;
    uint64_t other = h, nb;
    cw_lc_consensus_state ncs;
    if (!seen_find(c, h)) {
        other = 0;
        if (c->st.below(c->st.ctx, h, &nb, &ncs) == CW_OK && ncs.timestamp_ns >= t)
            other = nb;
        else if (c->st.above(c->st.ctx, h, &nb, &ncs) == CW_OK && ncs.timestamp_ns <= t)
            other = nb;
    }
    char err[256];
    uint8_t *copy = NULL;
    size_t len = 0;
    if (!other || cw_chain_lc_seen(c, other, &c->conflict.lb[0], err, sizeof err) != CW_OK ||
        cw_light_block_encode(&copy, &len, lb) != CW_OK ||
        cw_light_block_decode(&c->conflict.lb[1], copy, len, err, sizeof err) != CW_OK) {
        cw_log(CW_LOG_ERROR, "misbehaviour evidence lost chain=%s height=%llu: the header it "
               "conflicts with is not kept", c->cfg->id, (unsigned long long)h);
        cw_light_block_free(&c->conflict.lb[0]);
        free(copy);
        return;
    }
    free(copy);
    c->conflict.set = true;
}

/* the cache slot for height h, fetched (unverified) when missing */
static int get_lb(cw_chain_client *c, uint64_t h, cw_chain_lb_cache **out, char *err, size_t err_len)
{
    cw_chain_lb_cache *s = &c->lbc[h % CW_CHAIN_LB_CACHE];
    *out = NULL;
    if (s->height != h || s->lb.signed_header.header.height != h) {
        cw_light_block_free(&s->lb);
        s->height = 0;
        s->verified = false;
        int rc = cw_chain_light_block(c, h, &s->lb, err, err_len);
        if (rc)
            return rc;
        if (s->lb.signed_header.header.height != h) {
            cw_light_block_free(&s->lb);
            cw_chain_note(c, CW_CHAIN_EV_HEADER_REJECTED, 1);
            return cw_errf(err, err_len, CW_EBADHEADER, "chain %s: light_block(%llu) answered "
                           "height %llu", c->cfg->id, (unsigned long long)h,
                           (unsigned long long)s->lb.signed_header.header.height);
        }
        s->height = h;
    }
    *out = s;
    return CW_OK;
}

int cw_chain_lc_seed(cw_chain_client *c, uint64_t height, const uint8_t *hash32, char *err, size_t err_len)
{
    int rc;
    if (height == 0) {
        uint64_t deadline = cw_chain_now_ms() + c->timeout_ms;
        while ((rc = cw_chain_status(c, NULL, err, err_len)) == CW_OK && c->height == 0 &&
               cw_chain_now_ms() < deadline)
            (void)cw_rpc_client_poll(c->cl, 20); /* no block yet: wait for the first */
        if (rc)
            return rc;
        if (c->height == 0)
            return cw_errf(err, err_len, CW_ETIMEOUT, "chain %s has produced no block",
                           c->cfg->id);
        height = c->height;
    }
    if (!hash32) {
        cw_log(CW_LOG_WARN, "NO TRUST ROOT chain=%s: trusting the header at height=%llu "
               "as served by %s — give chains[].trust_root \"HEIGHT:HASH\" to verify from a "
               "root you checked", c->cfg->id, (unsigned long long)height, c->cfg->rpc);
    }
    cw_chain_lb_cache *s;
    if ((rc = get_lb(c, height, &s, err, err_len)))
        return rc;
    const cw_header *h = &s->lb.signed_header.header;
    uint8_t bh[32], vh[32], nvh[32];
    if ((rc = cw_block_hash(bh, h)) || (rc = cw_validators_hash(vh, &s->lb.validator_set)) ||
        (rc = cw_validators_hash(nvh, &s->lb.next_validator_set)))
        return cw_errf(err, err_len, rc, "out of memory");
    if (hash32 && memcmp(bh, hash32, 32) != 0) {
        char want[65], got[65];
        cw_hex_encode(want, sizeof want, hash32, 32);
        cw_hex_encode(got, sizeof got, bh, 32);
        cw_chain_note(c, CW_CHAIN_EV_HEADER_REJECTED, 1);
        return cw_errf(err, err_len, CW_EBADHEADER, "chain %s: trust root %llu:%s does not match "
                       "the served header (hash %s)", c->cfg->id, (unsigned long long)height,
                       want, got);
    }
    if (strcmp(h->chain_id, c->cfg->id) != 0 || memcmp(vh, h->validators_hash, 32) != 0 ||
        memcmp(nvh, h->next_validators_hash, 32) != 0 ||
        memcmp(s->lb.signed_header.commit.block_hash, bh, 32) != 0) {
        cw_chain_note(c, CW_CHAIN_EV_HEADER_REJECTED, 1);
        return cw_errf(err, err_len, CW_EBADHEADER, "chain %s: root light block at %llu is not "
                       "self-consistent (chain id, validator sets or commit)", c->cfg->id,
                       (unsigned long long)height);
    }
    if ((rc = cw_lc_client_state_default(&c->lcs, c->cfg->id)))
        return cw_errf(err, err_len, rc, "chain id %s", c->cfg->id);
    cw_lc_memstore_destroy(c->ms);
    if ((rc = cw_lc_memstore_create(&c->ms)))
        return rc;
    cw_lc_memstore_store(&c->st, c->ms);
    cw_lc_consensus_state cs;
    cw_lc_consensus_state_of(&cs, h);
    if ((rc = c->st.put(c->st.ctx, height, &cs)))
        return rc;
    c->lcs.latest_height = height;
    c->lc_root_height = height;
    memcpy(c->lc_root_hash, bh, 32);
    c->lc_seeded = true;
    s->verified = true;
    for (size_t i = 0; i < c->n_seen; i++)
        free(c->seen[i].lb);
    c->n_seen = 0;
    seen_put(c, height, &s->lb);
    char hex[65];
    cw_hex_encode(hex, sizeof hex, bh, 32);
    cw_log(CW_LOG_INFO, "light client seeded chain=%s height=%llu hash=%s", c->cfg->id,
           (unsigned long long)height, hex);
    return CW_OK;
}

static void prune(cw_chain_client *c)
{
    while (cw_lc_memstore_count(c->ms) > CW_CHAIN_LC_KEEP) {
        uint64_t h;
        cw_lc_consensus_state cs;
        if (c->st.above(c->st.ctx, 0, &h, &cs) != CW_OK || h == c->lcs.latest_height)
            return;
        if (c->st.del(c->st.ctx, h) != CW_OK)
            return;
        seen_del(c, h);
    }
}

static int verify_at(cw_chain_client *c, uint64_t height, int depth, char *err, size_t err_len)
{
    cw_chain_lb_cache *s;
    int rc;
    if (!c->lc_seeded)
        return cw_errf(err, err_len, CW_ESTATE, "chain %s: light client not seeded", c->cfg->id);
    if ((rc = get_lb(c, height, &s, err, err_len)))
        return rc;
    if (s->verified)
        return CW_OK;
    if (height == c->lc_root_height) {
        uint8_t bh[32];
        if ((rc = cw_block_hash(bh, &s->lb.signed_header.header)))
            return rc;
        if (memcmp(bh, c->lc_root_hash, 32) != 0) {
            cw_chain_note(c, CW_CHAIN_EV_HEADER_REJECTED, 1);
            return cw_errf(err, err_len, CW_EBADHEADER, "chain %s height=%llu: header is not the "
                           "trust root", c->cfg->id, (unsigned long long)height);
        }
        s->verified = true;
        return CW_OK;
    }
    uint64_t t;
    cw_lc_consensus_state tcs;
    rc = c->st.below(c->st.ctx, height, &t, &tcs);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, CW_ENOTFOUND, "chain %s: height %llu is below every trusted "
                       "height (root %llu)", c->cfg->id, (unsigned long long)height,
                       (unsigned long long)c->lc_root_height);
    if (rc)
        return rc;
    cw_lc_valset *vals = NULL, *tvals = NULL;
    if ((rc = cw_lc_vcache_get(c->vc, &vals, &s->lb.validator_set, err, err_len))) {
        cw_chain_note(c, CW_CHAIN_EV_HEADER_REJECTED, 1);
        return rc;
    }
    if (height > t + 1) {
        cw_chain_lb_cache *ts;
        cw_validator_set tv = {0};
        /* s may be evicted by the fetch of t when they share a slot: copy t's set out */
        if ((rc = get_lb(c, t, &ts, err, err_len)) ||
            (rc = cw_validator_set_copy(&tv, &ts->lb.next_validator_set))) {
            cw_lc_valset_release(vals);
            return rc;
        }
        rc = cw_lc_vcache_get(c->vc, &tvals, &tv, err, err_len);
        cw_validator_set_free(&tv);
        if (rc) {
            cw_lc_valset_release(vals);
            cw_chain_note(c, CW_CHAIN_EV_HEADER_REJECTED, 1);
            return rc;
        }
        if ((rc = get_lb(c, height, &s, err, err_len))) {
            cw_lc_valset_release(vals);
            cw_lc_valset_release(tvals);
            return rc;
        }
    }
    cw_lc_update_result res;
    uint64_t now = cw_chain_now_ns();
    rc = cw_lc_update(&c->lcs, &c->st, &s->lb.signed_header, vals, t, tvals, now, &res, err,
                      err_len);
    /* A no-op only says the consensus state matches the one held; this header is kept and
     * used whole (relayed, kept as evidence), so it is verified all the same. */
    if (rc == CW_OK && res.noop)
        rc = cw_lc_verify(&c->lcs, t, &tcs, &s->lb.signed_header, vals, tvals, now, &res.info,
                          err, err_len);
    cw_lc_valset_release(vals);
    cw_lc_valset_release(tvals);
    if (rc == CW_ETHRESHOLD && height > t + 1 && depth < CW_CHAIN_BISECT_DEPTH) {
        uint64_t mid = t + (height - t) / 2;
        cw_log(CW_LOG_INFO, "skip lacks trust, bisecting chain=%s from=%llu to=%llu mid=%llu",
               c->cfg->id, (unsigned long long)t, (unsigned long long)height,
               (unsigned long long)mid);
        if ((rc = verify_at(c, mid, depth + 1, err, err_len)))
            return rc;
        return verify_at(c, height, depth + 1, err, err_len);
    }
    if (rc == CW_EMISBEHAVIOUR || c->lcs.frozen_height) {
        cw_log(CW_LOG_ERROR, "CONFLICTING HEADERS chain=%s height=%llu: %s — the light client "
               "is frozen; relaying from this chain stops and its clients get the evidence",
               c->cfg->id, (unsigned long long)height, err);
        cw_chain_note(c, CW_CHAIN_EV_HEADER_REJECTED, 1);
        if (rc == CW_EMISBEHAVIOUR)
            record_conflict(c, &s->lb);
        return rc ? rc : CW_EFROZEN;
    }
    if (rc) {
        cw_chain_note(c, CW_CHAIN_EV_HEADER_REJECTED, 1);
        cw_log(CW_LOG_ERROR, "header rejected chain=%s height=%llu trusted=%llu reason=\"%s\"",
               c->cfg->id, (unsigned long long)height, (unsigned long long)t, err);
        /* drop the cached copy: a later fetch may come from an honest node */
        cw_light_block_free(&s->lb);
        s->height = 0;
        return rc;
    }
    if ((rc = get_lb(c, height, &s, err, err_len)))
        return rc;
    s->verified = true;
    seen_put(c, height, &s->lb);
    prune(c);
    return CW_OK;
}

int cw_chain_lc_crosscheck(cw_chain_client *c, char *err, size_t err_len)
{
    for (int i = 0; i < CW_CHAIN_LB_CACHE; i++) {
        cw_light_block_free(&c->lbc[i].lb);
        c->lbc[i].height = 0;
        c->lbc[i].verified = false;
    }
    if (!c->lc_seeded || c->lcs.frozen_height || c->lcs.latest_height <= c->lc_root_height)
        return CW_OK;
    const cw_light_block *lb;
    return cw_chain_lc_verified(c, c->lcs.latest_height, &lb, err, err_len);
}

int cw_chain_lc_verified(cw_chain_client *c, uint64_t height, const cw_light_block **out, char *err,
                    size_t err_len)
{
    *out = NULL;
    int rc = verify_at(c, height, 0, err, err_len);
    if (rc)
        return rc;
    cw_chain_lb_cache *s = &c->lbc[height % CW_CHAIN_LB_CACHE];
    if (s->height != height || !s->verified) /* evicted by bisection: verify once more */
        if ((rc = verify_at(c, height, 0, err, err_len)))
            return rc;
    *out = &c->lbc[height % CW_CHAIN_LB_CACHE].lb;
    return CW_OK;
}

int cw_chain_lc_block(cw_chain_client *c, uint64_t height, const cw_light_block **out,
                      char *err, size_t err_len)
{
    cw_chain_lb_cache *s;
    int rc = get_lb(c, height, &s, err, err_len);
    *out = rc ? NULL : &s->lb;
    return rc;
}

int cw_chain_lc_valset(cw_chain_client *c, const cw_validator_set *vs, cw_lc_valset **out,
                       char *err, size_t err_len)
{
    return cw_lc_vcache_get(c->vc, out, vs, err, err_len);
}
