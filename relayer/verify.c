/* Planning the MsgUpdateClient hops that take a client of a chain (hosted on another chain)
 * to a height of it: every header comes from the chain client's light client
 * (causeway/chain_client.h), verified locally before it is submitted; a hop the on-chain
 * client would not accept under its trust level is bisected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/chain_client.h"
#include "relayer.h"

/* the on-chain client would accept the hop from (from, from_cs) to `to`? */
static int hop_ok(cw_chain_client *c, const cw_lc_client_state *cs, uint64_t from,
                  const cw_lc_consensus_state *from_cs, uint64_t to, char *err, size_t err_len)
{
    const cw_light_block *lb;
    int rc = cw_chain_lc_verified(c, to, &lb, err, err_len);
    if (rc)
        return rc;
    cw_lc_valset *vals = NULL, *tvals = NULL;
    if ((rc = cw_chain_lc_valset(c, &lb->validator_set, &vals, err, err_len)))
        return rc;
    cw_signed_header sh = lb->signed_header; /* shallow: lb may move when t is fetched */
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
        const cw_light_block *ts;
        if ((rc = cw_chain_lc_block(c, from, &ts, err, err_len)) ||
            (rc = cw_chain_lc_valset(c, &ts->next_validator_set, &tvals, err, err_len))) {
            cw_lc_valset_release(vals);
            free(cm.sigs);
            return rc;
        }
    }
    rc = cw_lc_verify(cs, from, from_cs, &sh, vals, tvals, cw_chain_now_ns(), NULL, err, err_len);
    free(cm.sigs);
    cw_lc_valset_release(vals);
    cw_lc_valset_release(tvals);
    return rc;
}

static int plan(cw_chain_client *c, const cw_lc_client_state *cs, uint64_t from,
                const cw_lc_consensus_state *from_cs, uint64_t to, uint64_t *heights,
                size_t max, size_t *n, int depth, char *err, size_t err_len)
{
    int rc = hop_ok(c, cs, from, from_cs, to, err, err_len);
    if (rc == CW_OK) {
        if (*n >= max)
            return cw_errf(err, err_len, CW_ETOOBIG, "update plan longer than %zu hops", max);
        heights[(*n)++] = to;
        return CW_OK;
    }
    if (rc != CW_ETHRESHOLD || to <= from + 1 || depth >= CW_CHAIN_BISECT_DEPTH)
        return rc;
    uint64_t mid = from + (to - from) / 2;
    const cw_light_block *lb;
    if ((rc = cw_chain_lc_verified(c, mid, &lb, err, err_len)))
        return rc;
    cw_lc_consensus_state mid_cs;
    cw_lc_consensus_state_of(&mid_cs, &lb->signed_header.header);
    if ((rc = plan(c, cs, from, from_cs, mid, heights, max, n, depth + 1, err, err_len)))
        return rc;
    return plan(c, cs, mid, &mid_cs, to, heights, max, n, depth + 1, err, err_len);
}

/** Build the MsgUpdateClient msgs that take `client_id` (on the other chain; its state
 *  is cs at height cs->latest_height with consensus state from_cs) to height `to` of c.
 *  Each msg is appended to out[] (encoded Msg), at most max. */
int rly_build_updates(cw_chain_client *c, const char *client_id, const cw_lc_client_state *cs,
                      const cw_lc_consensus_state *from_cs, uint64_t to, cw_enc *out,
                      size_t max, size_t *n, char *err, size_t err_len)
{
    uint64_t heights[64];
    size_t nh = 0;
    *n = 0;
    uint64_t from = cs->latest_height;
    if (to <= from)
        return CW_OK;
    int rc = plan(c, cs, from, from_cs, to, heights, 64, &nh, 0, err, err_len);
    if (rc)
        return rc;
    if (nh > max)
        return cw_errf(err, err_len, CW_ETOOBIG, "update needs %zu hops", nh);
    uint64_t prev = from;
    for (size_t i = 0; i < nh; i++) {
        const cw_light_block *ts;
        cw_validator_set tv = {0};
        if ((rc = cw_chain_lc_block(c, prev, &ts, err, err_len)) ||
            (rc = cw_validator_set_copy(&tv, &ts->next_validator_set)))
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
        uint8_t *body;
        size_t blen;
        rc = cw_msg_update_client_encode(&body, &blen, &mu);
        cw_validator_set_free(&tv);
        if (rc)
            goto fail;
        cw_enc_init(&out[*n]);
        cw_enc_array(&out[*n], 2);
        cw_enc_cstr(&out[*n], "ibc.update_client");
        cw_enc_raw(&out[*n], body, blen);
        free(body);
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
