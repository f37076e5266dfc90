/* Client, consensus and trusted states: parameters and canonical codecs (DESIGN §6). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/lightclient.h"

const char *cw_lc_status_name(cw_lc_client_status s)
{
    switch (s) {
    case CW_LC_ACTIVE: return "Active";
    case CW_LC_EXPIRED: return "Expired";
    case CW_LC_FROZEN: return "Frozen";
    }
    return "Unknown";
}

int cw_lc_client_state_default(cw_lc_client_state *cs, const char *chain_id)
{
    memset(cs, 0, sizeof *cs);
    size_t n = strlen(chain_id);
    if (cw_id_validate(chain_id, n, "chain id", NULL, 0) != CW_OK)
        return CW_EINVAL;
    memcpy(cs->chain_id, chain_id, n + 1);
    cs->trust_level_num = CW_LC_DEFAULT_TRUST_NUM;
    cs->trust_level_den = CW_LC_DEFAULT_TRUST_DEN;
    cs->trusting_period_ns = CW_LC_DEFAULT_TRUSTING_PERIOD_NS;
    cs->max_clock_drift_ns = CW_LC_DEFAULT_MAX_CLOCK_DRIFT_NS;
    return CW_OK;
}

int cw_lc_client_state_validate(const cw_lc_client_state *cs, char *err, size_t err_len)
{
    size_t n = strnlen(cs->chain_id, sizeof cs->chain_id);
    if (n == sizeof cs->chain_id || cw_id_validate(cs->chain_id, n, "chain id", NULL, 0))
        return cw_errf(err, err_len, CW_EINVAL, "client_state.chain_id: not a valid identifier");
    /* 1/3 ≤ num/den ≤ 1, exactly: 3·num ≥ den and num ≤ den (num ≤ den < 2^64, so 3·num
     * is computed in 128 bits). */
    if (cs->trust_level_den == 0 || cs->trust_level_num > cs->trust_level_den ||
        (unsigned __int128)cs->trust_level_num * 3 < cs->trust_level_den)
        return cw_errf(err, err_len, CW_EINVAL,
                       "client_state.trust_level: %llu/%llu is outside [1/3, 1]",
                       (unsigned long long)cs->trust_level_num,
                       (unsigned long long)cs->trust_level_den);
    if (cs->trusting_period_ns == 0)
        return cw_errf(err, err_len, CW_EINVAL, "client_state.trusting_period_ns: must be > 0");
    if (cs->max_clock_drift_ns == 0)
        return cw_errf(err, err_len, CW_EINVAL, "client_state.max_clock_drift_ns: must be > 0");
    return CW_OK;
}

void cw_lc_client_state_enc(cw_enc *e, const cw_lc_client_state *cs)
{
    cw_enc_array(e, 7);
    cw_enc_cstr(e, cs->chain_id);
    cw_enc_u64(e, cs->trust_level_num);
    cw_enc_u64(e, cs->trust_level_den);
    cw_enc_u64(e, cs->trusting_period_ns);
    cw_enc_u64(e, cs->max_clock_drift_ns);
    cw_enc_u64(e, cs->latest_height);
    cw_enc_u64(e, cs->frozen_height);
}

void cw_lc_client_state_dec(cw_dec *d, const msgpack_object *o, cw_lc_client_state *cs,
                            const char *what)
{
    memset(cs, 0, sizeof *cs);
    const msgpack_object *f = cw_dec_array(d, o, 7, "%s", what);
    cw_dec_id(d, &f[0], cs->chain_id, "%s.chain_id", what);
    cs->trust_level_num = cw_dec_u64(d, &f[1], "%s.trust_level_num", what);
    cs->trust_level_den = cw_dec_u64(d, &f[2], "%s.trust_level_den", what);
    cs->trusting_period_ns = cw_dec_u64(d, &f[3], "%s.trusting_period_ns", what);
    cs->max_clock_drift_ns = cw_dec_u64(d, &f[4], "%s.max_clock_drift_ns", what);
    cs->latest_height = cw_dec_u64(d, &f[5], "%s.latest_height", what);
    cs->frozen_height = cw_dec_u64(d, &f[6], "%s.frozen_height", what);
    if (d->rc)
        return;
    char e[160];
    int rc = cw_lc_client_state_validate(cs, e, sizeof e);
    if (rc)
        cw_dec_fail(d, rc, "%s", e);
}

void cw_lc_consensus_state_enc(cw_enc *e, const cw_lc_consensus_state *cs)
{
    cw_enc_array(e, 3);
    cw_enc_u64(e, cs->timestamp_ns);
    cw_enc_bin(e, cs->state_root, 32);
    cw_enc_bin(e, cs->next_validators_hash, 32);
}

void cw_lc_consensus_state_dec(cw_dec *d, const msgpack_object *o, cw_lc_consensus_state *cs,
                               const char *what)
{
    memset(cs, 0, sizeof *cs);
    const msgpack_object *f = cw_dec_array(d, o, 3, "%s", what);
    cs->timestamp_ns = cw_dec_u64(d, &f[0], "%s.timestamp_ns", what);
    cw_dec_bin_fixed(d, &f[1], cs->state_root, 32, "%s.state_root", what);
    cw_dec_bin_fixed(d, &f[2], cs->next_validators_hash, 32, "%s.next_validators_hash", what);
}

void cw_lc_consensus_state_of(cw_lc_consensus_state *out, const cw_header *h)
{
    out->timestamp_ns = h->time_ns;
    memcpy(out->state_root, h->state_root, 32);
    memcpy(out->next_validators_hash, h->next_validators_hash, 32);
}

static void trusted_state_enc(cw_enc *e, const cw_lc_trusted_state *ts)
{
    cw_enc_array(e, 3);
    cw_enc_u64(e, ts->height);
    cw_lc_consensus_state_enc(e, &ts->consensus_state);
    if (ts->has_validator_set)
        cw_validator_set_enc(e, &ts->validator_set);
    else
        cw_enc_nil(e);
}

static void trusted_state_dec(cw_dec *d, const msgpack_object *o, cw_lc_trusted_state *ts,
                              const char *what)
{
    memset(ts, 0, sizeof *ts);
    const msgpack_object *f = cw_dec_array(d, o, 3, "%s", what);
    ts->height = cw_dec_u64(d, &f[0], "%s.height", what);
    cw_lc_consensus_state_dec(d, &f[1], &ts->consensus_state,
                              CW_DEC_LABEL(what, "consensus_state"));
    if (!d->rc && ts->height == 0)
        cw_dec_fail(d, CW_EINVAL, "%s.height: must be at least 1", what);
    if (!d->rc && !cw_dec_is_nil(&f[2])) {
        cw_validator_set_dec(d, &f[2], &ts->validator_set,
                             CW_DEC_LABEL(what, "trusted_validator_set"));
        ts->has_validator_set = true;
    }
}

void cw_lc_trusted_state_free(cw_lc_trusted_state *ts)
{
    if (!ts)
        return;
    cw_validator_set_free(&ts->validator_set);
    ts->has_validator_set = false;
}

static void zero_client(cw_lc_client_state *x) { memset(x, 0, sizeof *x); }
static void zero_consensus(cw_lc_consensus_state *x) { memset(x, 0, sizeof *x); }

CW_CODEC_DEFINE_ENCODE(cw_lc_client_state_encode, cw_lc_client_state, cw_lc_client_state_enc)
CW_CODEC_DEFINE_DECODE(cw_lc_client_state_decode, cw_lc_client_state, cw_lc_client_state_dec,
              zero_client, "client_state")
CW_CODEC_DEFINE_ENCODE(cw_lc_consensus_state_encode, cw_lc_consensus_state, cw_lc_consensus_state_enc)
CW_CODEC_DEFINE_DECODE(cw_lc_consensus_state_decode, cw_lc_consensus_state, cw_lc_consensus_state_dec,
              zero_consensus, "consensus_state")
CW_CODEC_DEFINE_ENCODE(cw_lc_trusted_state_encode, cw_lc_trusted_state, trusted_state_enc)
CW_CODEC_DEFINE_DECODE(cw_lc_trusted_state_decode, cw_lc_trusted_state, trusted_state_dec,
              cw_lc_trusted_state_free, "trusted_state")
