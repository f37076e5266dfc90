/* 07-tendermint clients in the IBC host (ICS-02 router, second type; DESIGN §6a): update
 * with CometBFT headers, misbehaviour, proofs against the app hash. The client and consensus
 * states are the same encodings as causeway-bip340 clients' (lightclient.h): for this type
 * the consensus state's state_root is the header's app_hash, its timestamp the header time.
 * Follows ibc-go modules/light-clients/07-tendermint (v8): verifyHeader (trusted consensus
 * state at trusted_height, trusted validators hash = its next_validators_hash, then
 * light.Verify), CheckForMisbehaviour (a different consensus state at the same height, or
 * time not monotonic against the neighbours), UpdateState, verifyMisbehaviour. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/ics23.h"
#include "ibc_internal.h"

#define NS 1000000000ull

static cw_tm_time time_of_ns(uint64_t ns)
{
    return (cw_tm_time){(int64_t)(ns / NS), (int32_t)(ns % NS)};
}

/* ns since the epoch of a header time; CW_EINVAL before 1970 or beyond uint64 ns */
static int ns_of_time(uint64_t *out, cw_tm_time t)
{
    if (t.seconds < 0 || (uint64_t)t.seconds > (UINT64_MAX - (uint64_t)t.nanos) / NS)
        return CW_EINVAL;
    *out = (uint64_t)t.seconds * NS + (uint64_t)t.nanos;
    return CW_OK;
}

/* Gas for judging a header before any work: a signature check per commit entry, the
 * header's and sign bytes' hashes and each set's hash and keys (as the bip340 type). */
static uint64_t tm_header_gas(const cw_tm_client_header *th)
{
    uint64_t n = th->lb.validators.n + th->trusted_validators.n;
    return (uint64_t)th->lb.commit.n * CW_GAS_SIG + 2 * cw_gas_hash(320) + cw_gas_hash(48 * n) +
           n * CW_GAS_VALIDATOR;
}

/* Verify th against the client's consensus state at th->trusted_height (ibc-go
 * verifyHeader): on success *cons holds the consensus state the header yields. */
static int tm_verify_header(const cw_exec_ctx *ctx, const cw_lc_client_state *cs,
                            const cw_lc_store *st, const cw_tm_client_header *th,
                            cw_lc_consensus_state *cons, char *err, size_t err_len)
{
    const cw_tm_header *h = &th->lb.header;
    cw_lc_consensus_state trusted;
    uint64_t t_ns;
    int rc;
    if (h->height <= 0 || th->trusted_height >= (uint64_t)h->height)
        return cw_errf(err, err_len, CW_EINVAL,
                       "header height %" PRId64 " is not above the trusted height %" PRIu64,
                       h->height, th->trusted_height);
    if ((rc = st->get(st->ctx, th->trusted_height, &trusted)))
        return cw_errf(err, err_len, rc, "no consensus state at trusted height %" PRIu64,
                       th->trusted_height);
    if (memcmp(th->trusted_validators.hash, trusted.next_validators_hash, 32) != 0)
        return cw_errf(err, err_len, CW_EBADHEADER,
                       "trusted_validator_set does not hash to the trusted consensus state's "
                       "next_validators_hash");
    if (h->app_hash.len != 32 || h->next_validators_hash.len != 32)
        return cw_errf(err, err_len, CW_EINVAL,
                       "header: app_hash and next_validators_hash must be 32 bytes");
    if (ns_of_time(&t_ns, h->time))
        return cw_errf(err, err_len, CW_EINVAL, "header time outside 1970..2554");
    cw_tm_trusted T = {.chain_id = cs->chain_id,
                       .height = (int64_t)th->trusted_height,
                       .time = time_of_ns(trusted.timestamp_ns),
                       .next_validators_hash = trusted.next_validators_hash,
                       .next_validators = &th->trusted_validators};
    cw_tm_options opt = {cs->trust_level_num, cs->trust_level_den, cs->trusting_period_ns,
                         cs->max_clock_drift_ns};
    cw_tm_result res;
    if ((rc = cw_tm_verify_update(&res, &T, &th->lb, &opt, time_of_ns(ctx->time_ns), err,
                                  err_len)))
        return rc;
    memset(cons, 0, sizeof *cons);
    cons->timestamp_ns = t_ns;
    memcpy(cons->state_root, h->app_hash.b, 32);
    memcpy(cons->next_validators_hash, h->next_validators_hash.b, 32);
    return CW_OK;
}

static int freeze(cw_exec_ctx *ctx, const char *client_id, cw_lc_client_state *cs,
                  uint64_t height)
{
    cs->frozen_height = height ? height : 1;
    int rc = ibc_client_save(ctx->kv, client_id, cs);
    if (rc == CW_OK)
        ibc_client_event(ctx, CW_EV_CLIENT_MISBEHAVIOUR, client_id, cs->frozen_height);
    return rc;
}

/* ibc.update_client_tm */
static int msg_update_client_tm(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_update_client_tm *m = in;
    const cw_tm_client_header *th = &m->header;
    cw_lc_client_state cs;
    cw_ibc_client_store st;
    cw_lc_consensus_state cons, other;
    uint64_t found;
    int rc = ibc_client_load(ctx, m->client_id, &cs, &st, err, err_len);
    if (rc || (rc = ibc_client_require_type(ctx, m->client_id, CW_CLIENT_TYPE_TENDERMINT, err,
                                            err_len)) ||
        (rc = cw_lc_require_active(&cs, &st.store, ctx->time_ns, err, err_len)))
        return rc;
    if (cw_gas_charge(ctx->gas, tm_header_gas(th), "verifying a 07-tendermint header"))
        return cw_gas_explain(ctx->gas, err, err_len);
    if ((rc = tm_verify_header(ctx, &cs, &st.store, th, &cons, err, err_len)))
        return rc;
    uint64_t h = (uint64_t)th->lb.header.height;

    /* CheckForMisbehaviour: a different state at this height, or time out of order */
    rc = st.store.get(st.store.ctx, h, &other);
    if (rc == CW_OK) {
        if (other.timestamp_ns == cons.timestamp_ns &&
            memcmp(other.state_root, cons.state_root, 32) == 0 &&
            memcmp(other.next_validators_hash, cons.next_validators_hash, 32) == 0) {
            ibc_client_event(ctx, CW_EV_UPDATE_CLIENT_NOOP, m->client_id, h);
            return CW_OK;
        }
        return freeze(ctx, m->client_id, &cs, h);
    }
    if (rc != CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "consensus state: %s", cw_strerror(rc));
    if ((rc = st.store.below(st.store.ctx, h, &found, &other)) == CW_OK &&
        other.timestamp_ns >= cons.timestamp_ns)
        return freeze(ctx, m->client_id, &cs, h);
    if (rc && rc != CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "consensus state: %s", cw_strerror(rc));
    if ((rc = st.store.above(st.store.ctx, h, &found, &other)) == CW_OK &&
        other.timestamp_ns <= cons.timestamp_ns)
        return freeze(ctx, m->client_id, &cs, h);
    if (rc && rc != CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "consensus state: %s", cw_strerror(rc));

    if (h > cs.latest_height)
        cs.latest_height = st.keep = h;
    if ((rc = st.store.put(st.store.ctx, h, &cons)) ||
        (rc = ibc_client_save(ctx->kv, m->client_id, &cs)))
        return cw_errf(err, err_len, rc, "client %s: %s", m->client_id, cw_strerror(rc));
    ibc_client_event(ctx, CW_EV_UPDATE_CLIENT, m->client_id, h);
    return CW_OK;
}

/* ibc.submit_misbehaviour_tm (ibc-go verifyMisbehaviour + CheckForMisbehaviour) */
static int msg_submit_misbehaviour_tm(cw_exec_ctx *ctx, const void *in, char *err,
                                      size_t err_len)
{
    const cw_msg_submit_misbehaviour_tm *m = in;
    const cw_tm_header *h1 = &m->header1.lb.header, *h2 = &m->header2.lb.header;
    cw_lc_client_state cs;
    cw_ibc_client_store st;
    cw_lc_consensus_state c1, c2;
    int rc = ibc_client_load(ctx, m->client_id, &cs, &st, err, err_len);
    if (rc || (rc = ibc_client_require_type(ctx, m->client_id, CW_CLIENT_TYPE_TENDERMINT, err,
                                            err_len)) ||
        (rc = cw_lc_require_active(&cs, &st.store, ctx->time_ns, err, err_len)))
        return rc;
    if (cw_gas_charge(ctx->gas, tm_header_gas(&m->header1) + tm_header_gas(&m->header2),
                      "verifying two 07-tendermint headers"))
        return cw_gas_explain(ctx->gas, err, err_len);
    if (h1->height < h2->height)
        return cw_errf(err, err_len, CW_EINVAL, "header1 must not be below header2");
    if (strcmp(h1->chain_id, h2->chain_id) != 0)
        return cw_errf(err, err_len, CW_EINVAL, "the headers are for different chains");
    if (h1->height == h2->height) {
        uint8_t a[32], b[32];
        if ((rc = cw_tm_header_hash(a, h1)) || (rc = cw_tm_header_hash(b, h2)))
            return cw_errf(err, err_len, rc, "header hash");
        if (memcmp(a, b, 32) == 0)
            return cw_errf(err, err_len, CW_EINVAL,
                           "the headers are one block: no misbehaviour");
    } else if (cw_tm_time_cmp(h1->time, h2->time) > 0) {
        return cw_errf(err, err_len, CW_EINVAL,
                       "header1 is higher and later than header2: no misbehaviour");
    }
    if ((rc = tm_verify_header(ctx, &cs, &st.store, &m->header1, &c1, err, err_len)))
        return cw_err_prefix(err, err_len, rc, "header1");
    if ((rc = tm_verify_header(ctx, &cs, &st.store, &m->header2, &c2, err, err_len)))
        return cw_err_prefix(err, err_len, rc, "header2");
    if ((rc = freeze(ctx, m->client_id, &cs, (uint64_t)h2->height)))
        return cw_errf(err, err_len, rc, "client %s: %s", m->client_id, cw_strerror(rc));
    return CW_OK;
}

int ibc_tm_verify_path(const cw_lc_client_state *cs, const cw_lc_store *st,
                       uint64_t proof_height, uint64_t now_ns, const uint8_t *proof,
                       size_t proof_len, const char *path, const uint8_t *value,
                       size_t value_len, char *err, size_t err_len)
{
    cw_lc_consensus_state cons;
    int rc = cw_lc_require_active(cs, st, now_ns, err, err_len);
    if (rc)
        return rc;
    if ((rc = st->get(st->ctx, proof_height, &cons)))
        return cw_errf(err, err_len, rc, "no consensus state at height %" PRIu64,
                       proof_height);
    const cw_ics23_spec *spec = cw_ics23_spec_iavl();
    if (value)
        return cw_ics23_verify_membership(spec, cons.state_root, proof, proof_len,
                                          (const uint8_t *)path, strlen(path), value,
                                          value_len, err, err_len);
    return cw_ics23_verify_non_membership(spec, cons.state_root, proof, proof_len,
                                          (const uint8_t *)path, strlen(path), err, err_len);
}

int ibc_register_client_tm_msgs(cw_ibc *h, cw_app *app)
{
    int rc;
    if ((rc = cw_app_register(app, CW_MSG_IBC_UPDATE_CLIENT_TM, msg_update_client_tm, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_SUBMIT_MISBEHAVIOUR_TM,
                              msg_submit_misbehaviour_tm, h)))
        return rc;
    return CW_OK;
}
