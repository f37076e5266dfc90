/* 07-tendermint verification: commits against validator sets, and an untrusted light block
 * against a trusted state (include/causeway/tendermint.h; DESIGN §6a). Follows CometBFT
 * light/verifier.go and types/validator_set.go, with the checks in the order tendermint-rs
 * 0.41.0 verify_update_header applies them (../shared/vectors/cometbft/README.md §5). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/tendermint.h"
#include "tm_internal.h"

static const char *const reason_names[] = {
    [CW_TM_R_NONE] = "",
    [CW_TM_R_MALFORMED] = "Malformed",
    [CW_TM_R_INVALID_VALIDATOR_SET] = "InvalidValidatorSet",
    [CW_TM_R_INVALID_NEXT_VALIDATOR_SET] = "InvalidNextValidatorSet",
    [CW_TM_R_INVALID_COMMIT_VALUE] = "InvalidCommitValue",
    [CW_TM_R_NO_SIGNATURE_FOR_COMMIT] = "NoSignatureForCommit",
    [CW_TM_R_MISMATCH_PRECOMMIT_LENGTH] = "MismatchPreCommitLength",
    [CW_TM_R_FAULTY_SIGNER] = "FaultySigner",
    [CW_TM_R_NOT_WITHIN_TRUST_PERIOD] = "NotWithinTrustPeriod",
    [CW_TM_R_NON_MONOTONIC_BFT_TIME] = "NonMonotonicBftTime",
    [CW_TM_R_CHAIN_ID_MISMATCH] = "ChainIdMismatch",
    [CW_TM_R_NON_INCREASING_HEIGHT] = "NonIncreasingHeight",
    [CW_TM_R_HEADER_FROM_THE_FUTURE] = "HeaderFromTheFuture",
    [CW_TM_R_DUPLICATE_VALIDATOR] = "DuplicateValidator",
    [CW_TM_R_INVALID_SIGNATURE] = "InvalidSignature",
    [CW_TM_R_INSUFFICIENT_SIGNERS_OVERLAP] = "InsufficientSignersOverlap",
    [CW_TM_R_NOT_ENOUGH_TRUST] = "NotEnoughTrust",
};

const char *cw_tm_reason_name(cw_tm_reason r)
{
    return (unsigned)r < sizeof reason_names / sizeof reason_names[0] ? reason_names[r] : "?";
}

const char *cw_tm_verdict_name(cw_tm_verdict v)
{
    return v == CW_TM_SUCCESS ? "SUCCESS" : v == CW_TM_NOT_ENOUGH_TRUST ? "NOT_ENOUGH_TRUST"
                                                                        : "INVALID";
}

void cw_tm_trusted_of(cw_tm_trusted *out, const cw_tm_light_block *lb)
{
    out->chain_id = lb->header.chain_id;
    out->height = lb->header.height;
    out->time = lb->header.time;
    out->next_validators_hash = lb->header.next_validators_hash.b;
    out->next_validators = lb->has_next_validators ? &lb->next_validators : NULL;
}

/* the verdict INVALID(reason): its return code and err line */
static int invalid(cw_tm_result *res, cw_tm_reason reason, char *err, size_t err_len,
                   const char *fmt, ...) CW_PRINTF(5, 6);
static int invalid(cw_tm_result *res, cw_tm_reason reason, char *err, size_t err_len,
                   const char *fmt, ...)
{
    res->verdict = CW_TM_INVALID;
    res->reason = reason;
    int rc = reason == CW_TM_R_MALFORMED                 ? CW_EMALFORMED
             : reason == CW_TM_R_NOT_WITHIN_TRUST_PERIOD ? CW_EEXPIRED
             : reason == CW_TM_R_INVALID_SIGNATURE       ? CW_EBADSIG
                                                         : CW_EBADHEADER;
    if (err && err_len) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(err, err_len, "%s: %s", cw_tm_reason_name(reason), msg);
    }
    return rc;
}

/* ---- the commit's votes ---------------------------------------------------------------- */

/* The commit votes (block_id_flag 2) sorted by address, and which have verified. */
typedef struct votes {
    const cw_tm_commit *c;
    uint32_t n;
    uint32_t *idx;    /* commit entry indices, by address */
    uint8_t *checked; /* per commit entry: 1 = signature verified */
} votes;

static int vote_order_r(const void *a, const void *b, void *ctx)
{
    const cw_tm_commit *c = ctx;
    return memcmp(c->sigs[*(const uint32_t *)a].validator_address,
                  c->sigs[*(const uint32_t *)b].validator_address, CW_TM_ADDRESS_LEN);
}

static int votes_init(votes *vt, const cw_tm_commit *c)
{
    memset(vt, 0, sizeof *vt);
    vt->c = c;
    if (!c->n)
        return CW_OK;
    void *mem = malloc((size_t)c->n * (sizeof *vt->idx + 1));
    if (!mem)
        return -ENOMEM;
    vt->idx = mem;
    vt->checked = (uint8_t *)mem + (size_t)c->n * sizeof *vt->idx;
    memset(vt->checked, 0, c->n);
    for (uint32_t i = 0; i < c->n; i++)
        if (c->sigs[i].flag == CW_TM_FLAG_COMMIT)
            vt->idx[vt->n++] = i;
    qsort_r(vt->idx, vt->n, sizeof *vt->idx, vote_order_r, (void *)c);
    return CW_OK;
}

static void votes_free(votes *vt)
{
    free(vt->idx);
    memset(vt, 0, sizeof *vt);
}

/* the commit entry of address's vote, or -1 */
static int64_t votes_find(const votes *vt, const uint8_t address[20])
{
    if (!vt->n)
        return -1;
    return tm_find_address(vt->idx, vt->n, vt->c->sigs[0].validator_address,
                           sizeof vt->c->sigs[0], address);
}

/* Tally the power of set's validators whose commit vote verifies, walking the set in its
 * order and stopping once signed * den > total * num. Returns CW_OK with *reached (and
 * *signed_power), or INVALID(InvalidSignature) / -ENOMEM. */
static int tally(cw_tm_result *res, votes *vt, const cw_tm_valset *set, const char *chain_id,
                 uint64_t num, uint64_t den, bool *reached, int64_t *signed_power, char *err,
                 size_t err_len)
{
    unsigned __int128 total = (unsigned __int128)(uint64_t)set->total_power * num, sum = 0;
    *reached = false;
    *signed_power = 0;
    for (uint32_t i = 0; i < set->n; i++) {
        const cw_tm_validator *v = &set->v[i];
        int64_t k = votes_find(vt, v->address);
        if (k < 0)
            continue;
        if (!vt->checked[k]) {
            uint8_t sb[CW_TM_SIGN_BYTES_MAX];
            size_t sb_len;
            int rc = cw_tm_vote_sign_bytes(sb, &sb_len, chain_id, vt->c, (uint32_t)k);
            if (rc)
                return invalid(res, CW_TM_R_MALFORMED, err, err_len,
                               "commit.signatures[%" PRId64 "]: no sign bytes", k);
            rc = cw_tm_ed25519_verify(v->pkey, vt->c->sigs[k].signature, sb, sb_len);
            res->sigs_checked++;
            if (rc == -ENOMEM)
                return rc;
            if (rc)
                return invalid(res, CW_TM_R_INVALID_SIGNATURE, err, err_len,
                               "commit.signatures[%" PRId64 "]: precommit signature does not "
                               "verify under validator %u's key", k, i);
            vt->checked[k] = 1;
        }
        *signed_power += v->power; /* total <= 2^60 */
        sum = (unsigned __int128)(uint64_t)*signed_power * den;
        if (sum > total) {
            *reached = true;
            break;
        }
    }
    return CW_OK;
}

/* Entry rules (tendermint-rs ProdCommitValidator): not all absent, one entry per
 * validator, every non-absent entry's address in vals. */
static int check_entries(cw_tm_result *res, const cw_tm_valset *vals, const cw_tm_commit *c,
                         char *err, size_t err_len)
{
    bool any = false;
    for (uint32_t i = 0; i < c->n; i++)
        any |= c->sigs[i].flag != CW_TM_FLAG_ABSENT;
    if (!any)
        return invalid(res, CW_TM_R_NO_SIGNATURE_FOR_COMMIT, err, err_len,
                       "the commit has no signature that is not absent");
    if (c->n != vals->n)
        return invalid(res, CW_TM_R_MISMATCH_PRECOMMIT_LENGTH, err, err_len,
                       "%u commit entries for %u validators", c->n, vals->n);
    for (uint32_t i = 0; i < c->n; i++) {
        const cw_tm_commit_sig *s = &c->sigs[i];
        if (s->flag != CW_TM_FLAG_COMMIT && s->flag != CW_TM_FLAG_NIL)
            continue;
        if (!s->has_address || !s->has_signature)
            return invalid(res, CW_TM_R_MALFORMED, err, err_len,
                           "commit.signatures[%u]: a vote without address or signature", i);
        if (cw_tm_valset_find(vals, s->validator_address) < 0)
            return invalid(res, CW_TM_R_FAULTY_SIGNER, err, err_len,
                           "commit.signatures[%u]: validator address not in the set", i);
    }
    return CW_OK;
}

static int check_dups(cw_tm_result *res, const votes *vt, char *err, size_t err_len)
{
    for (uint32_t i = 1; i < vt->n; i++)
        if (memcmp(vt->c->sigs[vt->idx[i - 1]].validator_address,
                   vt->c->sigs[vt->idx[i]].validator_address, CW_TM_ADDRESS_LEN) == 0)
            return invalid(res, CW_TM_R_DUPLICATE_VALIDATOR, err, err_len,
                           "commit.signatures[%u] and [%u]: one validator votes twice",
                           vt->idx[i - 1], vt->idx[i]);
    return CW_OK;
}

static bool valset_ok(const cw_tm_valset *vs)
{
    return vs->finished && vs->total_power >= 0 && vs->total_power <= CW_TM_MAX_TOTAL_POWER;
}

int cw_tm_verify_commit(cw_tm_result *res, const cw_tm_valset *vals, const char *chain_id,
                        int64_t height, const cw_tm_commit *commit, char *err, size_t err_len)
{
    memset(res, 0, sizeof *res);
    if (!valset_ok(vals))
        return invalid(res, CW_TM_R_MALFORMED, err, err_len, "validator set not finished");
    if (commit->height != height)
        return invalid(res, CW_TM_R_MALFORMED, err, err_len,
                       "commit height %" PRId64 " for header height %" PRId64, commit->height,
                       height);
    int rc = check_entries(res, vals, commit, err, err_len);
    if (rc)
        return rc;
    votes vt;
    if ((rc = votes_init(&vt, commit)))
        return rc;
    bool reached;
    res->total_power = vals->total_power;
    if (!(rc = check_dups(res, &vt, err, err_len)) &&
        !(rc = tally(res, &vt, vals, chain_id, 2, 3, &reached, &res->signed_power, err,
                     err_len)) &&
        !reached)
        rc = invalid(res, CW_TM_R_INSUFFICIENT_SIGNERS_OVERLAP, err, err_len,
                     "signed power %" PRId64 " of %" PRId64 " is not more than 2/3",
                     res->signed_power, vals->total_power);
    votes_free(&vt);
    return rc;
}

static __int128 ns_of(cw_tm_time t)
{
    return (__int128)t.seconds * 1000000000 + t.nanos;
}

int cw_tm_verify_update(cw_tm_result *res, const cw_tm_trusted *T, const cw_tm_light_block *U,
                        const cw_tm_options *opt, cw_tm_time now, char *err, size_t err_len)
{
    const cw_tm_header *h = &U->header;
    uint8_t hash[32];
    int rc;
    memset(res, 0, sizeof *res);
    res->verdict = CW_TM_INVALID;
    if (opt->trust_den == 0 || opt->trust_num > opt->trust_den || opt->trust_num > UINT32_MAX ||
        opt->trust_den > UINT32_MAX || (unsigned __int128)opt->trust_num * 3 < opt->trust_den ||
        opt->trusting_period_ns == 0)
        return cw_errf(err, err_len, CW_EINVAL,
                       "options: need 1/3 <= trust level <= 1 and a trusting period > 0");
    bool adjacent = T->height < INT64_MAX && h->height == T->height + 1;
    if (!adjacent && !T->next_validators)
        return cw_errf(err, err_len, CW_EINVAL,
                       "a skipping step needs the trusted next validator set");

    /* 1. the untrusted block is self-consistent */
    if (!valset_ok(&U->validators) || (U->has_next_validators && !valset_ok(&U->next_validators)))
        return invalid(res, CW_TM_R_MALFORMED, err, err_len, "validator set not finished");
    if (h->height != U->commit.height)
        return invalid(res, CW_TM_R_MALFORMED, err, err_len,
                       "commit height %" PRId64 " for header height %" PRId64, U->commit.height,
                       h->height);
    if ((rc = cw_tm_valset_hash(hash, &U->validators)))
        return rc;
    if (h->validators_hash.len != 32 || memcmp(hash, h->validators_hash.b, 32) != 0)
        return invalid(res, CW_TM_R_INVALID_VALIDATOR_SET, err, err_len,
                       "validator_set does not hash to header.validators_hash");
    if (U->has_next_validators) {
        if ((rc = cw_tm_valset_hash(hash, &U->next_validators)))
            return rc;
        if (h->next_validators_hash.len != 32 ||
            memcmp(hash, h->next_validators_hash.b, 32) != 0)
            return invalid(res, CW_TM_R_INVALID_NEXT_VALIDATOR_SET, err, err_len,
                           "next_validator_set does not hash to header.next_validators_hash");
    }
    if ((rc = cw_tm_header_hash(hash, h)))
        return invalid(res, CW_TM_R_MALFORMED, err, err_len, "header does not encode");
    if (U->commit.block_id.hash.len != 32 || memcmp(hash, U->commit.block_id.hash.b, 32) != 0)
        return invalid(res, CW_TM_R_INVALID_COMMIT_VALUE, err, err_len,
                       "header hash differs from commit.block_id.hash");
    if ((rc = check_entries(res, &U->validators, &U->commit, err, err_len)))
        return rc;

    /* 2. against the trusted state */
    if (ns_of(T->time) + opt->trusting_period_ns <= ns_of(now))
        return invalid(res, CW_TM_R_NOT_WITHIN_TRUST_PERIOD, err, err_len,
                       "trusted time + trusting period <= now");
    if (cw_tm_time_cmp(h->time, T->time) <= 0)
        return invalid(res, CW_TM_R_NON_MONOTONIC_BFT_TIME, err, err_len,
                       "header time is not after the trusted time");
    if (strcmp(h->chain_id, T->chain_id) != 0)
        return invalid(res, CW_TM_R_CHAIN_ID_MISMATCH, err, err_len,
                       "header chain id '%s', trusted '%s'", h->chain_id, T->chain_id);
    if (adjacent) {
        if (h->validators_hash.len != 32 ||
            memcmp(h->validators_hash.b, T->next_validators_hash, 32) != 0)
            return invalid(res, CW_TM_R_INVALID_NEXT_VALIDATOR_SET, err, err_len,
                           "adjacent header's validators_hash is not the trusted "
                           "next_validators_hash");
    } else {
        if (h->height <= T->height)
            return invalid(res, CW_TM_R_NON_INCREASING_HEIGHT, err, err_len,
                           "height %" PRId64 " is not above the trusted height %" PRId64,
                           h->height, T->height);
        if (!valset_ok(T->next_validators))
            return invalid(res, CW_TM_R_MALFORMED, err, err_len,
                           "trusted validator set not finished");
        if ((rc = cw_tm_valset_hash(hash, T->next_validators)))
            return rc;
        if (memcmp(hash, T->next_validators_hash, 32) != 0)
            return invalid(res, CW_TM_R_INVALID_NEXT_VALIDATOR_SET, err, err_len,
                           "the trusted validator set does not hash to the trusted "
                           "next_validators_hash");
    }

    /* 3. not from the future */
    if (ns_of(h->time) >= ns_of(now) + opt->max_clock_drift_ns)
        return invalid(res, CW_TM_R_HEADER_FROM_THE_FUTURE, err, err_len,
                       "header time >= now + max clock drift");

    /* 4. voting power */
    votes vt;
    if ((rc = votes_init(&vt, &U->commit)))
        return rc;
    bool t_reached = true, u_reached;
    res->total_power = U->validators.total_power;
    if ((rc = check_dups(res, &vt, err, err_len)))
        goto out;
    if (!adjacent) {
        res->trusted_total_power = T->next_validators->total_power;
        if ((rc = tally(res, &vt, T->next_validators, h->chain_id, opt->trust_num,
                        opt->trust_den, &t_reached, &res->trusted_signed_power, err, err_len)))
            goto out;
    }
    if ((rc = tally(res, &vt, &U->validators, h->chain_id, 2, 3, &u_reached, &res->signed_power,
                    err, err_len)))
        goto out;
    if (!t_reached) {
        res->verdict = CW_TM_NOT_ENOUGH_TRUST;
        res->reason = CW_TM_R_NOT_ENOUGH_TRUST;
        rc = cw_errf(err, err_len, CW_ETHRESHOLD,
                     "NotEnoughTrust: trusted validators signed %" PRId64 " of %" PRId64
                     ", not more than %" PRIu64 "/%" PRIu64,
                     res->trusted_signed_power, res->trusted_total_power, opt->trust_num,
                     opt->trust_den);
        goto out;
    }
    if (!u_reached) {
        rc = invalid(res, CW_TM_R_INSUFFICIENT_SIGNERS_OVERLAP, err, err_len,
                     "signed power %" PRId64 " of %" PRId64 " is not more than 2/3",
                     res->signed_power, res->total_power);
        goto out;
    }
    res->verdict = CW_TM_SUCCESS;
    res->reason = CW_TM_R_NONE;
out:
    votes_free(&vt);
    return rc;
}
