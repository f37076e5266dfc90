/* Header verification, client update, status, misbehaviour and proofs at a height
 * (DESIGN §6; ICS-07; CometBFT light/verifier.go and types/validation.go). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "causeway/ics23.h"
#include "lc_internal.h"

typedef unsigned __int128 u128;

/* "t + period ≤ now" without wrapping: a state at t is expired at now. */
static bool expired_at(uint64_t t_ns, uint64_t period_ns, uint64_t now_ns)
{
    return (u128)t_ns + period_ns <= now_ns;
}

static bool consensus_equal(const cw_lc_consensus_state *a, const cw_lc_consensus_state *b)
{
    return a->timestamp_ns == b->timestamp_ns &&
           memcmp(a->state_root, b->state_root, 32) == 0 &&
           memcmp(a->next_validators_hash, b->next_validators_hash, 32) == 0;
}

/* Signature checks of commit entries [0, k), split over threads by index mod nthreads.
 * Each worker checks its indices in ascending order and stops at its first failure, so the
 * lowest failing index overall is the minimum of the workers' results. */
struct sigjob {
    const cw_commit *c;
    const cw_lc_valset *vals;
    const uint8_t *msg;
    uint32_t k, first, stride;
    uint32_t bad; /* lowest failing index seen by this worker, or UINT32_MAX */
};

static void *sig_worker(void *arg)
{
    struct sigjob *j = arg;
    j->bad = UINT32_MAX;
    for (uint32_t i = j->first; i < j->k; i += j->stride) {
        const cw_commit_sig *s = &j->c->sigs[i];
        if (cw_schnorr_verify(&j->vals->e[s->validator_index].parsed, &s->signature, j->msg) !=
            CW_OK) {
            j->bad = i;
            break;
        }
    }
    return NULL;
}

/* The lowest index in [0, k) whose signature fails, or UINT32_MAX. With threads > 1 the
 * work is shared; the answer does not depend on the thread count or on scheduling. */
static uint32_t first_bad_signature(const cw_commit *c, const cw_lc_valset *vals,
                                    const uint8_t msg[32], uint32_t k, unsigned threads)
{
    struct sigjob jobs[CW_LC_MAX_THREADS];
    pthread_t tid[CW_LC_MAX_THREADS];
    bool started[CW_LC_MAX_THREADS] = {false};
    uint32_t bad = UINT32_MAX;

    if (threads > CW_LC_MAX_THREADS)
        threads = CW_LC_MAX_THREADS;
    if (threads < 1 || k < 2 * threads)
        threads = 1;
    for (unsigned t = 0; t < threads; t++)
        jobs[t] = (struct sigjob){c, vals, msg, k, t, threads, UINT32_MAX};
    /* Workers 1..threads-1 on new threads; worker 0 here. A thread that cannot be created
     * has its share checked inline: same answer, less parallelism. */
    for (unsigned t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, sig_worker, &jobs[t]) == 0;
    sig_worker(&jobs[0]);
    for (unsigned t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            sig_worker(&jobs[t]);
    }
    for (unsigned t = 0; t < threads; t++)
        if (jobs[t].bad < bad)
            bad = jobs[t].bad;
    return bad;
}

/* Rules 8 and 9: commit entries, signatures, thresholds. The header binding (rule 6) has
 * been checked, so block_hash is the header's. */
static int verify_commit(const cw_header *h, const cw_commit *c, const cw_lc_valset *vals,
                         const cw_lc_valset *tv, uint64_t num, uint64_t den, unsigned threads,
                         cw_lc_verify_info *info, char *err, size_t err_len)
{
    uint8_t msg[32];
    int rc;

    /* 8: every entry well-formed before any signature is checked. */
    for (uint32_t i = 0; i < c->n_sigs; i++) {
        uint32_t idx = c->sigs[i].validator_index;
        if (idx >= vals->n)
            return cw_errf(err, err_len, CW_EBADHEADER,
                           "commit.signatures[%u].validator_index: %u is not in a set of %u", i,
                           idx, vals->n);
        if (i > 0 && idx <= c->sigs[i - 1].validator_index)
            return cw_errf(err, err_len, CW_EBADHEADER,
                           "commit.signatures[%u].validator_index: %u does not follow %u "
                           "(indices must be strictly ascending; a validator counts once)",
                           i, idx, c->sigs[i - 1].validator_index);
    }

    /* 9a: from the powers alone, the shortest prefix [0, k) of the commit (in index order)
     * after which every threshold holds — or the whole commit. Only these signatures are
     * checked; which ones does not depend on how they are checked. */
    uint64_t signed_power = 0, trusted_power = 0;
    uint32_t k = 0, tj = 0;
    bool header_ok = false, trusted_ok = (tv == NULL);
    for (; k < c->n_sigs && !(header_ok && trusted_ok); k++) {
        const struct cw_lc_validator *v = &vals->e[c->sigs[k].validator_index];
        signed_power += v->power; /* < 2^62 in total: cannot wrap */
        header_ok = (u128)signed_power * 3 > (u128)vals->total_power * 2;
        if (tv) {
            /* Indices ascend and the header set is sorted by pubkey, so signers' keys
             * ascend too: one forward merge walk over the sorted trusted set. */
            while (tj < tv->n && memcmp(tv->e[tj].pubkey.b, v->pubkey.b, 32) < 0)
                tj++;
            if (tj < tv->n && memcmp(tv->e[tj].pubkey.b, v->pubkey.b, 32) == 0)
                trusted_power += tv->e[tj++].power;
            trusted_ok = (u128)trusted_power * den > (u128)tv->total_power * num;
        }
    }

    /* 9b: the vote message once per commit; any checked signature that fails invalidates
     * the commit, reported at the lowest failing index. */
    if ((rc = cw_vote_message(msg, h->chain_id, h->height, c->block_hash)) != CW_OK)
        return cw_errf(err, err_len, rc, "commit: cannot compute the vote message");
    uint32_t bad = first_bad_signature(c, vals, msg, k, threads);
    if (bad != UINT32_MAX)
        return cw_errf(err, err_len, CW_EBADSIG,
                       "commit.signatures[%u]: invalid signature by validator %u", bad,
                       c->sigs[bad].validator_index);
    if (info) {
        info->sigs_checked = k;
        info->signed_power = signed_power;
        info->trusted_power = trusted_power;
    }

    /* 9c: thresholds. */
    if (!trusted_ok)
        return cw_errf(err, err_len, CW_ETHRESHOLD,
                       "commit: trusted validators signed %" PRIu64 " of %" PRIu64
                       " power, not more than the trust level %" PRIu64 "/%" PRIu64,
                       trusted_power, tv->total_power, num, den);
    if (!header_ok)
        return cw_errf(err, err_len, CW_ETHRESHOLD,
                       "commit: signed power %" PRIu64 " of %" PRIu64 " is not more than 2/3",
                       signed_power, vals->total_power);
    return CW_OK;
}

enum mode { MODE_ANY, MODE_ADJACENT, MODE_SKIPPING };

static int verify(const cw_lc_client_state *cs, uint64_t trusted_height,
                  const cw_lc_consensus_state *trusted, const cw_signed_header *sh,
                  const cw_lc_valset *vals, const cw_lc_valset *tv, uint64_t now_ns,
                  enum mode mode, unsigned threads, cw_lc_verify_info *info, char *err,
                  size_t err_len)
{
    const cw_header *h = &sh->header;
    uint8_t bh[32];
    int rc;

    if (info)
        memset(info, 0, sizeof *info);
    /* 1 */
    if ((rc = cw_lc_client_state_validate(cs, err, err_len)) != CW_OK)
        return rc;
    /* 2 */
    if (expired_at(trusted->timestamp_ns, cs->trusting_period_ns, now_ns))
        return cw_errf(err, err_len, CW_EEXPIRED,
                       "trusted state at height %" PRIu64 " (time %" PRIu64
                       ") is outside the trusting period at now %" PRIu64,
                       trusted_height, trusted->timestamp_ns, now_ns);
    /* 3 */
    if (strcmp(h->chain_id, cs->chain_id) != 0)
        return cw_errf(err, err_len, CW_EBADHEADER,
                       "header.chain_id: '%s' is not the client's chain '%s'", h->chain_id,
                       cs->chain_id);
    if (h->height <= trusted_height)
        return cw_errf(err, err_len, CW_EINVAL,
                       "header.height: %" PRIu64 " is not above the trusted height %" PRIu64,
                       h->height, trusted_height);
    bool adjacent = h->height == trusted_height + 1;
    if (mode == MODE_ADJACENT && !adjacent)
        return cw_errf(err, err_len, CW_EINVAL,
                       "header.height: %" PRIu64 " is not adjacent to trusted height %" PRIu64,
                       h->height, trusted_height);
    if (mode == MODE_SKIPPING && adjacent)
        return cw_errf(err, err_len, CW_EINVAL,
                       "header.height: %" PRIu64 " is adjacent to trusted height %" PRIu64
                       " (not a skip)", h->height, trusted_height);
    /* 4 */
    if (h->time_ns <= trusted->timestamp_ns)
        return cw_errf(err, err_len, CW_EBADHEADER,
                       "header.time_ns: %" PRIu64 " is not after the trusted time %" PRIu64,
                       h->time_ns, trusted->timestamp_ns);
    if ((u128)h->time_ns >= (u128)now_ns + cs->max_clock_drift_ns)
        return cw_errf(err, err_len, CW_EBADHEADER,
                       "header.time_ns: %" PRIu64 " is not before now %" PRIu64
                       " + max clock drift %" PRIu64, h->time_ns, now_ns,
                       cs->max_clock_drift_ns);
    /* 5 */
    if (memcmp(vals->hash, h->validators_hash, 32) != 0)
        return cw_errf(err, err_len, CW_EBADHEADER,
                       "validator_set: does not hash to header.validators_hash");
    /* 6 */
    if (sh->commit.height != h->height)
        return cw_errf(err, err_len, CW_EBADHEADER,
                       "commit.height: %" PRIu64 " is not the header height %" PRIu64,
                       sh->commit.height, h->height);
    if ((rc = cw_block_hash(bh, h)) != CW_OK)
        return cw_errf(err, err_len, rc, "header: cannot hash");
    if (memcmp(bh, sh->commit.block_hash, 32) != 0)
        return cw_errf(err, err_len, CW_EBADHEADER,
                       "commit.block_hash: is not SHA256(header)");
    /* 7 */
    if (adjacent) {
        if (memcmp(h->validators_hash, trusted->next_validators_hash, 32) != 0)
            return cw_errf(err, err_len, CW_EBADHEADER,
                           "header.validators_hash: is not the trusted next_validators_hash");
        tv = NULL;
    } else {
        if (!tv)
            return cw_errf(err, err_len, CW_EINVAL,
                           "trusted_validator_set: required to skip from height %" PRIu64
                           " to %" PRIu64, trusted_height, h->height);
        if (memcmp(tv->hash, trusted->next_validators_hash, 32) != 0)
            return cw_errf(err, err_len, CW_EINVAL,
                           "trusted_validator_set: does not hash to the trusted "
                           "next_validators_hash");
    }
    /* 8, 9 */
    return verify_commit(h, &sh->commit, vals, tv, cs->trust_level_num, cs->trust_level_den,
                         threads, info, err, err_len);
}

int cw_lc_verify(const cw_lc_client_state *cs, uint64_t trusted_height,
                 const cw_lc_consensus_state *trusted, const cw_signed_header *sh,
                 const cw_lc_valset *vals, const cw_lc_valset *trusted_vals, uint64_t now_ns,
                 cw_lc_verify_info *info, char *err, size_t err_len)
{
    return verify(cs, trusted_height, trusted, sh, vals, trusted_vals, now_ns, MODE_ANY, 1,
                  info, err, err_len);
}

int cw_lc_verify_threads(const cw_lc_client_state *cs, uint64_t trusted_height,
                         const cw_lc_consensus_state *trusted, const cw_signed_header *sh,
                         const cw_lc_valset *vals, const cw_lc_valset *trusted_vals,
                         uint64_t now_ns, unsigned threads, cw_lc_verify_info *info, char *err,
                         size_t err_len)
{
    return verify(cs, trusted_height, trusted, sh, vals, trusted_vals, now_ns, MODE_ANY,
                  threads, info, err, err_len);
}

int cw_lc_verify_adjacent(const cw_lc_client_state *cs, uint64_t trusted_height,
                          const cw_lc_consensus_state *trusted, const cw_signed_header *sh,
                          const cw_lc_valset *vals, uint64_t now_ns, cw_lc_verify_info *info,
                          char *err, size_t err_len)
{
    return verify(cs, trusted_height, trusted, sh, vals, NULL, now_ns, MODE_ADJACENT, 1, info,
                  err, err_len);
}

int cw_lc_verify_skipping(const cw_lc_client_state *cs, uint64_t trusted_height,
                          const cw_lc_consensus_state *trusted, const cw_signed_header *sh,
                          const cw_lc_valset *vals, const cw_lc_valset *trusted_vals,
                          uint64_t now_ns, cw_lc_verify_info *info, char *err, size_t err_len)
{
    return verify(cs, trusted_height, trusted, sh, vals, trusted_vals, now_ns, MODE_SKIPPING, 1,
                  info, err, err_len);
}

/* ---- status ---------------------------------------------------------------------- */

int cw_lc_status(cw_lc_client_status *out, const cw_lc_client_state *cs, const cw_lc_store *st,
                 uint64_t now_ns)
{
    cw_lc_consensus_state latest;
    *out = CW_LC_EXPIRED;
    if (cs->frozen_height != 0) {
        *out = CW_LC_FROZEN;
        return CW_OK;
    }
    int rc = st->get(st->ctx, cs->latest_height, &latest);
    if (rc == CW_ENOTFOUND)
        return CW_OK; /* no latest state: nothing to trust (as ibc-go) */
    if (rc)
        return rc;
    if (!expired_at(latest.timestamp_ns, cs->trusting_period_ns, now_ns))
        *out = CW_LC_ACTIVE;
    return CW_OK;
}

int cw_lc_require_active(const cw_lc_client_state *cs, const cw_lc_store *st, uint64_t now_ns,
                         char *err, size_t err_len)
{
    cw_lc_client_status s;
    int rc = cw_lc_status(&s, cs, st, now_ns);
    if (rc)
        return cw_errf(err, err_len, rc, "client store: %s", cw_strerror(rc));
    if (s == CW_LC_FROZEN)
        return cw_errf(err, err_len, CW_EFROZEN, "client is frozen (at height %" PRIu64 ")",
                       cs->frozen_height);
    if (s == CW_LC_EXPIRED)
        return cw_errf(err, err_len, CW_EEXPIRED,
                       "client is expired (latest height %" PRIu64 ")", cs->latest_height);
    return CW_OK;
}

static int get_trusted(const cw_lc_store *st, uint64_t height, cw_lc_consensus_state *out,
                       char *err, size_t err_len)
{
    int rc = st->get(st->ctx, height, out);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "no consensus state at trusted height %" PRIu64,
                       height);
    if (rc)
        return cw_errf(err, err_len, rc, "client store: %s", cw_strerror(rc));
    return CW_OK;
}

/* ---- update ---------------------------------------------------------------------- */

/* Time must stay monotonic against the nearest stored state on one side of height h
 * (neighbour = st->below with below true, or st->above): a stored state below must be
 * older than next, one above newer. A violation freezes the client (CW_EMISBEHAVIOUR); no
 * neighbour is fine. */
static int check_neighbour(cw_lc_client_state *cs,
                           int (*neighbour)(void *ctx, uint64_t height, uint64_t *found,
                                            cw_lc_consensus_state *out),
                           bool below, void *ctx, uint64_t h,
                           const cw_lc_consensus_state *next, char *err, size_t err_len)
{
    cw_lc_consensus_state other;
    uint64_t found;
    int rc = neighbour(ctx, h, &found, &other);
    if (rc == CW_ENOTFOUND)
        return CW_OK;
    if (rc != CW_OK)
        return cw_errf(err, err_len, rc, "client store: %s", cw_strerror(rc));
    if (below ? other.timestamp_ns < next->timestamp_ns
              : other.timestamp_ns > next->timestamp_ns)
        return CW_OK;
    cs->frozen_height = h;
    return cw_errf(err, err_len, CW_EMISBEHAVIOUR,
                   "misbehaviour: header time %" PRIu64 " at height %" PRIu64
                   " is not %s time %" PRIu64 " at stored height %" PRIu64 "; client frozen",
                   next->timestamp_ns, h, below ? "after" : "before", other.timestamp_ns,
                   found);
}

/* The checks of an update that come before verification: the client is Active, the trusted
 * state is stored (into *trusted), and the state stored at sh's height, if any (into *stored,
 * *have_stored). Sets r->noop, r->height and r->consensus_state when that stored state is the
 * one sh would produce: an identical duplicate changes nothing, so it needs no verification
 * (a relayer that lost a race, or a spammer's large commit, costs a few store reads). */
static int update_precheck(const cw_lc_client_state *cs, const cw_lc_store *st,
                           const cw_signed_header *sh, uint64_t trusted_height, uint64_t now_ns,
                           cw_lc_consensus_state *trusted, cw_lc_consensus_state *stored,
                           bool *have_stored, cw_lc_update_result *r, char *err, size_t err_len)
{
    cw_lc_consensus_state next;
    uint64_t h = sh->header.height;
    int rc;

    *have_stored = false;
    if ((rc = cw_lc_require_active(cs, st, now_ns, err, err_len)) != CW_OK)
        return rc;
    if ((rc = get_trusted(st, trusted_height, trusted, err, err_len)) != CW_OK)
        return rc;
    rc = st->get(st->ctx, h, stored);
    if (rc == CW_ENOTFOUND)
        return CW_OK;
    if (rc != CW_OK)
        return cw_errf(err, err_len, rc, "client store: %s", cw_strerror(rc));
    *have_stored = true;
    cw_lc_consensus_state_of(&next, &sh->header);
    if (consensus_equal(stored, &next)) {
        r->noop = true;
        r->height = h;
        r->consensus_state = next;
    }
    return CW_OK;
}

/* cw_lc_update after update_precheck found no identical duplicate: verify, then check
 * against the store and write. trusted, other and have_stored are update_precheck's. */
static int update_verified(cw_lc_client_state *cs, const cw_lc_store *st,
                           const cw_signed_header *sh, const cw_lc_valset *vals,
                           uint64_t trusted_height, const cw_lc_consensus_state *trusted,
                           const cw_lc_valset *trusted_vals, bool have_stored, uint64_t now_ns,
                           cw_lc_update_result *r, char *err, size_t err_len)
{
    cw_lc_consensus_state other, next;
    uint64_t h = sh->header.height, found;
    int rc;

    if ((rc = cw_lc_verify(cs, trusted_height, trusted, sh, vals, trusted_vals, now_ns,
                           &r->info, err, err_len)) != CW_OK)
        return rc;

    r->height = h;
    cw_lc_consensus_state_of(&next, &sh->header);
    r->consensus_state = next;

    /* A different state already at this height, from a header that verified: a fork. */
    if (have_stored) {
        cs->frozen_height = h;
        return cw_errf(err, err_len, CW_EMISBEHAVIOUR,
                       "misbehaviour: a verified header at height %" PRIu64
                       " conflicts with the stored consensus state; client frozen", h);
    }

    /* Time must stay monotonic against the nearest stored heights on both sides. */
    if ((rc = check_neighbour(cs, st->below, true, st->ctx, h, &next, err, err_len)) != CW_OK)
        return rc;
    if ((rc = check_neighbour(cs, st->above, false, st->ctx, h, &next, err, err_len)) != CW_OK)
        return rc;

    /* Everything validated: write. */
    if ((rc = st->put(st->ctx, h, &next)) != CW_OK)
        return cw_errf(err, err_len, rc, "client store: put: %s", cw_strerror(rc));
    if (h > cs->latest_height)
        cs->latest_height = h;

    /* Prune expired states, oldest first, a bounded number; heights are time-ordered, so
     * the first unexpired state ends the walk. The new state is within the period (its
     * time is after the unexpired trusted state's), so it is never pruned. */
    while (r->pruned < CW_LC_PRUNE_MAX &&
           st->above(st->ctx, 0, &found, &other) == CW_OK && found != h &&
           found != cs->latest_height &&
           expired_at(other.timestamp_ns, cs->trusting_period_ns, now_ns)) {
        if (st->del(st->ctx, found) != CW_OK)
            break;
        r->pruned++;
    }
    return CW_OK;
}

int cw_lc_update(cw_lc_client_state *cs, const cw_lc_store *st, const cw_signed_header *sh,
                 const cw_lc_valset *vals, uint64_t trusted_height,
                 const cw_lc_valset *trusted_vals, uint64_t now_ns, cw_lc_update_result *res,
                 char *err, size_t err_len)
{
    cw_lc_update_result r;
    cw_lc_consensus_state trusted, stored;
    bool have_stored;

    memset(&r, 0, sizeof r);
    if (res)
        memset(res, 0, sizeof *res);
    int rc = update_precheck(cs, st, sh, trusted_height, now_ns, &trusted, &stored,
                             &have_stored, &r, err, err_len);
    /* an identical duplicate: nothing to verify, nothing to write */
    if (rc == CW_OK && !r.noop)
        rc = update_verified(cs, st, sh, vals, trusted_height, &trusted, trusted_vals,
                             have_stored, now_ns, &r, err, err_len);
    if (rc == CW_OK && res)
        *res = r;
    return rc;
}

/* Parsed sets of an UpdateHeader through the cache (trusted set NULL when absent). */
static int parse_sets(cw_lc_vcache *cache, const cw_update_header *u, cw_lc_valset **vals,
                      cw_lc_valset **tv, char *err, size_t err_len)
{
    int rc;
    *vals = *tv = NULL;
    if ((rc = cw_lc_vcache_get(cache, vals, &u->validator_set, err, err_len)) != CW_OK)
        return rc;
    if (u->has_trusted_validator_set &&
        (rc = cw_lc_vcache_get(cache, tv, &u->trusted_validator_set, err, err_len)) != CW_OK) {
        cw_lc_valset_release(*vals);
        *vals = NULL;
        cw_err_prefix(err, err_len, rc, "trusted_validator_set");
        return rc;
    }
    return CW_OK;
}

int cw_lc_update_msg(cw_lc_client_state *cs, const cw_lc_store *st, cw_lc_vcache *cache,
                     const cw_update_header *u, uint64_t now_ns, cw_lc_update_result *res,
                     char *err, size_t err_len)
{
    cw_lc_valset *vals, *tv;
    cw_lc_consensus_state trusted, stored;
    cw_lc_update_result r = {0};
    bool have_stored;
    if (res)
        memset(res, 0, sizeof *res);
    /* An identical duplicate is settled before the sets are parsed: parsing a set that
     * misses the cache costs a key lift per validator, and a no-op needs none. */
    int rc = update_precheck(cs, st, &u->signed_header, u->trusted_height, now_ns, &trusted,
                             &stored, &have_stored, &r, err, err_len);
    if (rc)
        return rc;
    if (r.noop) {
        if (res)
            *res = r;
        return CW_OK;
    }
    if ((rc = parse_sets(cache, u, &vals, &tv, err, err_len)))
        return rc;
    /* the prechecks are done: on to verification (cw_lc_update without repeating them) */
    rc = update_verified(cs, st, &u->signed_header, vals, u->trusted_height, &trusted, tv,
                         have_stored, now_ns, &r, err, err_len);
    cw_lc_valset_release(vals);
    cw_lc_valset_release(tv);
    if (rc == CW_OK && res)
        *res = r;
    return rc;
}

/* ---- misbehaviour ---------------------------------------------------------------- */

static int verify_evidence_header(const cw_lc_client_state *cs, const cw_lc_store *st,
                                  cw_lc_vcache *cache, const cw_update_header *u,
                                  uint64_t now_ns, const char *label, char *err,
                                  size_t err_len)
{
    cw_lc_consensus_state trusted;
    cw_lc_valset *vals, *tv;
    int rc = get_trusted(st, u->trusted_height, &trusted, err, err_len);
    if (!rc && !(rc = parse_sets(cache, u, &vals, &tv, err, err_len))) {
        rc = cw_lc_verify(cs, u->trusted_height, &trusted, &u->signed_header, vals, tv, now_ns,
                          NULL, err, err_len);
        cw_lc_valset_release(vals);
        cw_lc_valset_release(tv);
    }
    if (rc)
        cw_err_prefix(err, err_len, rc, label);
    return rc;
}

int cw_lc_check_misbehaviour(const cw_lc_client_state *cs, const cw_lc_store *st,
                             cw_lc_vcache *cache, const cw_update_header *h1,
                             const cw_update_header *h2, uint64_t now_ns, char *err,
                             size_t err_len)
{
    const cw_header *a = &h1->signed_header.header, *b = &h2->signed_header.header;
    int rc;

    if ((rc = cw_lc_require_active(cs, st, now_ns, err, err_len)) != CW_OK)
        return rc;
    if ((rc = verify_evidence_header(cs, st, cache, h1, now_ns, "header1", err, err_len)) ||
        (rc = verify_evidence_header(cs, st, cache, h2, now_ns, "header2", err, err_len)))
        return rc;
    if (a->height == b->height) {
        uint8_t ha[32], hb[32];
        if ((rc = cw_block_hash(ha, a)) || (rc = cw_block_hash(hb, b)))
            return cw_errf(err, err_len, rc, "misbehaviour: cannot hash");
        if (memcmp(ha, hb, 32) == 0)
            return cw_errf(err, err_len, CW_EINVAL,
                           "misbehaviour: both headers are the same block at height %" PRIu64,
                           a->height);
        return CW_OK;
    }
    const cw_header *lo = a->height < b->height ? a : b, *hi = lo == a ? b : a;
    if (hi->time_ns > lo->time_ns)
        return cw_errf(err, err_len, CW_EINVAL,
                       "misbehaviour: headers at heights %" PRIu64 " and %" PRIu64
                       " do not conflict (time increases)", lo->height, hi->height);
    return CW_OK;
}

int cw_lc_submit_misbehaviour(cw_lc_client_state *cs, const cw_lc_store *st,
                              cw_lc_vcache *cache, const cw_update_header *h1,
                              const cw_update_header *h2, uint64_t now_ns, char *err,
                              size_t err_len)
{
    int rc = cw_lc_check_misbehaviour(cs, st, cache, h1, h2, now_ns, err, err_len);
    if (rc)
        return rc;
    uint64_t x = h1->signed_header.header.height, y = h2->signed_header.header.height;
    cs->frozen_height = x < y ? x : y;
    return CW_OK;
}

/* ---- proofs at a height ---------------------------------------------------------- */

static int root_at(const cw_lc_client_state *cs, const cw_lc_store *st, uint64_t height,
                   uint64_t now_ns, cw_lc_consensus_state *out, char *err, size_t err_len)
{
    int rc = cw_lc_require_active(cs, st, now_ns, err, err_len);
    if (rc)
        return rc;
    rc = st->get(st->ctx, height, out);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "no consensus state at height %" PRIu64, height);
    if (rc)
        return cw_errf(err, err_len, rc, "client store: %s", cw_strerror(rc));
    return CW_OK;
}

/* ICS-23 membership (value non-NULL) or non-membership of key against root, SMT spec */
static int verify_at_root(const uint8_t *root, const uint8_t *proof, size_t proof_len,
                          const uint8_t *key, size_t key_len, const uint8_t *value,
                          size_t value_len, char *err, size_t err_len)
{
    if (value)
        return cw_ics23_verify_membership(cw_ics23_spec_smt(), root, proof, proof_len, key,
                                          key_len, value, value_len, err, err_len);
    return cw_ics23_verify_non_membership(cw_ics23_spec_smt(), root, proof, proof_len, key,
                                          key_len, err, err_len);
}

/* verify_at_root against the root of the consensus state stored at height */
static int verify_stored(const cw_lc_client_state *cs, const cw_lc_store *st, uint64_t height,
                         const uint8_t *proof, size_t proof_len, const uint8_t *key,
                         size_t key_len, const uint8_t *value, size_t value_len, uint64_t now_ns,
                         char *err, size_t err_len)
{
    cw_lc_consensus_state c;
    int rc = root_at(cs, st, height, now_ns, &c, err, err_len);
    return rc ? rc : verify_at_root(c.state_root, proof, proof_len, key, key_len, value,
                                    value_len, err, err_len);
}

int cw_lc_verify_membership(const cw_lc_client_state *cs, const cw_lc_store *st,
                            uint64_t height, const uint8_t *proof, size_t proof_len,
                            const uint8_t *key, size_t key_len, const uint8_t *value,
                            size_t value_len, uint64_t now_ns, char *err, size_t err_len)
{
    if (!value) /* membership of a value, never absence */
        return cw_errf(err, err_len, CW_EINVAL, "membership proof without a value");
    return verify_stored(cs, st, height, proof, proof_len, key, key_len, value, value_len,
                         now_ns, err, err_len);
}

int cw_lc_verify_non_membership(const cw_lc_client_state *cs, const cw_lc_store *st,
                                uint64_t height, const uint8_t *proof, size_t proof_len,
                                const uint8_t *key, size_t key_len, uint64_t now_ns,
                                char *err, size_t err_len)
{
    return verify_stored(cs, st, height, proof, proof_len, key, key_len, NULL, 0, now_ns, err,
                         err_len);
}

int cw_lc_verify_root(const uint8_t root32[static 32], const uint8_t *proof, size_t proof_len,
                      const char *path, const uint8_t *value, size_t value_len, char *err,
                      size_t err_len)
{
    return verify_at_root(root32, proof, proof_len, (const uint8_t *)path, strlen(path), value,
                          value_len, err, err_len);
}

int cw_lc_verify_path(const cw_lc_client_state *cs, const cw_lc_store *st, uint64_t height,
                      const uint8_t *proof, size_t proof_len, const char *path,
                      const uint8_t *value, size_t value_len, uint64_t now_ns, char *err,
                      size_t err_len)
{
    return verify_stored(cs, st, height, proof, proof_len, (const uint8_t *)path, strlen(path),
                         value, value_len, now_ns, err, err_len);
}
