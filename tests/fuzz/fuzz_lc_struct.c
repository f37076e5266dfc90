/* libFuzzer: structure-aware light-client fuzzing (issue 16). The input is not a light
 * block but a sequence of field choices: client parameters (trust level, trusting period,
 * clock drift), three validator sets drawn from a fixed pool of deterministic BIP-340 keys
 * (members and powers), the store's contents at several heights (times, roots, next sets),
 * the clock, then up to MAX_OPS operations:
 *   update        a header built and signed here (height skip, time, signing set, next set,
 *                 which validators sign, the trusted height and trusted set supplied, and
 *                 one optional tamper: a flipped/outsider/other-height signature, a wrong
 *                 commit height, a root changed after signing, another chain, an index out
 *                 of range or repeated, a wrong validator set), through cw_lc_update_msg
 *                 or cw_lc_update;
 *   pair          two updates from one trusted height applied in both orders to copies of
 *                 the store (the verdicts and final stores must agree);
 *   misbehaviour  two headers (same height and another root, or a later height whose time
 *                 does not increase, or free), cw_lc_submit_misbehaviour (to the client, or
 *                 to a copy of its state so that later operations still run), and
 *                 cw_lc_check_misbehaviour in the other order (same verdict);
 *   clock         now moves forward;
 *   threads       cw_lc_verify_threads with 2-3 threads against cw_lc_verify.
 * Headers are signed here; signatures are cached by (key, vote message), so repeated
 * inputs cost only the library's verification.
 *
 * Oracle: a model of the client (its parameters, a sorted array of consensus states) that
 * restates DESIGN §6 / lightclient.h rules independently — the verdict of every call is
 * predicted (exact error code) from what the harness knows it built (which signatures it
 * broke, which set it signed with) and the model is updated the same way. After every
 * operation the library's client state and store must equal the model's. So: a refused
 * update changes nothing (checked directly too, from a snapshot, except the freeze on
 * misbehaviour), an accepted one satisfies every rule as restated here, and the pair and
 * misbehaviour operations check that no verdict depends on order.
 *
 * Instrumented run: CW_FUZZ_STATS=1 prints at exit, per execution, the fraction that
 * reached signature checks, the threshold comparison, the trust-level comparison (a skip),
 * expiry, the drift check, monotonicity against a stored neighbour, a misbehaviour verdict
 * and the prune walk (and an actual prune). Seeds: tests/fuzz/corpus/fuzz_lc_struct. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <secp256k1_schnorrsig.h>

#include "causeway/lightclient.h"
#include "fuzz_reader.h"

#define SEC UINT64_C(1000000000)
#define T0 (UINT64_C(1700000000) * SEC)
#define POOL 6        /* keys in sets (pool index order = pubkey order) */
#define OUTSIDER POOL /* a key in no set */
#define NSETS 3
#define MAXST 64
#define MAX_OPS 8

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t SEED[32] = {0x5c};
static const uint8_t AUX[32];
static cw_pubkey32 g_pk[POOL + 1];
static cw_lc_vcache *g_cache;

/* ---- signature cache --------------------------------------------------------------- */

#define SIGCACHE (1u << 16)
static struct sigslot {
    bool used;
    uint8_t key;
    uint8_t msg[32];
    cw_sig64 sig;
} g_sigs[SIGCACHE];
/* libsecp256k1 directly, with each key's keypair made once: signing is the harness's own
 * cost (cw_schnorr_sign would rebuild the keypair and verify its output every time) */
static secp256k1_context *g_sign_ctx;
static secp256k1_keypair g_kp[POOL + 1];

static void sign_cached(cw_sig64 *out, unsigned key, const uint8_t msg[32])
{
    uint32_t hv = ((uint32_t)msg[0] | (uint32_t)msg[1] << 8 | (uint32_t)msg[2] << 16) ^
                  (key * 0x9e3779b1u);
    struct sigslot *s = &g_sigs[hv % SIGCACHE];
    if (!s->used || s->key != key || memcmp(s->msg, msg, 32) != 0) {
        if (!secp256k1_schnorrsig_sign32(g_sign_ctx, s->sig.b, msg, &g_kp[key], AUX))
            abort();
        s->used = true;
        s->key = (uint8_t)key;
        memcpy(s->msg, msg, 32);
    }
    *out = s->sig;
}

/* ---- BIP-340 verification, memoised ------------------------------------------------ */

/* This binary is linked with -Wl,--wrap=secp256k1_schnorrsig_verify (Makefile), so every
 * call the light client makes to libsecp256k1's verifier comes here first. Verification
 * is a pure function of (signature, message, public key): the memo keeps the verdict
 * libsecp256k1 itself returned for those exact bytes and returns it when the same triple
 * comes again, so no verdict differs from an unmemoised run — only the repeated elliptic-
 * curve work is skipped (the signer is deterministic, so mutated inputs mostly re-verify
 * the signatures of their parent). A different triple — one bit of signature, message or
 * key — misses and goes to the library. CW_FUZZ_NO_MEMO=1 turns the memo off. */
#define VMEMO (1u << 15)
static struct vslot {
    bool used, ok;
    uint8_t sig[64], msg[32], pk[64];
} g_vmemo[VMEMO];
static bool g_no_memo;
static uint64_t g_vcalls, g_vmiss;

int __real_secp256k1_schnorrsig_verify(const secp256k1_context *ctx, const unsigned char *sig64,
                                       const unsigned char *msg, size_t msglen,
                                       const secp256k1_xonly_pubkey *pubkey);
int __wrap_secp256k1_schnorrsig_verify(const secp256k1_context *ctx, const unsigned char *sig64,
                                       const unsigned char *msg, size_t msglen,
                                       const secp256k1_xonly_pubkey *pubkey);
int __wrap_secp256k1_schnorrsig_verify(const secp256k1_context *ctx, const unsigned char *sig64,
                                       const unsigned char *msg, size_t msglen,
                                       const secp256k1_xonly_pubkey *pubkey)
{
    g_vcalls++;
    if (g_no_memo || msglen != 32 || !sig64 || !msg || !pubkey) {
        g_vmiss++;
        return __real_secp256k1_schnorrsig_verify(ctx, sig64, msg, msglen, pubkey);
    }
    uint32_t hv = 2166136261u;
    for (int i = 0; i < 8; i++)
        hv = (hv ^ sig64[i] ^ msg[i] ^ pubkey->data[i]) * 16777619u;
    struct vslot *v = &g_vmemo[hv % VMEMO];
    if (v->used && memcmp(v->sig, sig64, 64) == 0 && memcmp(v->msg, msg, 32) == 0 &&
        memcmp(v->pk, pubkey->data, 64) == 0)
        return v->ok;
    g_vmiss++;
    int ok = __real_secp256k1_schnorrsig_verify(ctx, sig64, msg, msglen, pubkey);
    v->used = true;
    v->ok = ok != 0;
    memcpy(v->sig, sig64, 64);
    memcpy(v->msg, msg, 32);
    memcpy(v->pk, pubkey->data, 64);
    return ok;
}

/* ---- per-execution statistics ----------------------------------------------------- */

enum { R_SIG, R_THRESH, R_TRUST, R_EXPIRED, R_DRIFT, R_MONO, R_MISB, R_PRUNE, R_PRUNED, NR };
static const char *const RNAME[NR] = {"signature checks", "threshold comparison",
                                      "trust-level comparison (skip)", "expiry refusal",
                                      "drift check", "monotonicity vs a neighbour",
                                      "misbehaviour verdict", "prune walk", "a state pruned"};
static bool g_reach[NR];
static uint64_t g_count[NR], g_execs;

static void print_stats(void)
{
    if (!g_execs)
        return;
    fprintf(stderr, "fuzz_lc_struct: %" PRIu64 " executions; fraction reaching:\n", g_execs);
    for (int i = 0; i < NR; i++)
        fprintf(stderr, "  %-32s %6.2f%%\n", RNAME[i], 100.0 * (double)g_count[i] / (double)g_execs);
    fprintf(stderr, "  BIP-340 verifications: %" PRIu64 ", %" PRIu64 " by libsecp256k1 (%s)\n",
            g_vcalls, g_vmiss, g_no_memo ? "memo off" : "the rest from the memo");
    uint64_t hits, parses;
    cw_lc_vcache_stats(g_cache, &hits, &parses);
    fprintf(stderr, "  validator-set cache: %" PRIu64 " hits, %" PRIu64 " parses\n", hits, parses);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct kp {
        cw_seckey sk;
        cw_pubkey32 pk;
    } k[POOL + 1], t;
    for (unsigned i = 0; i <= POOL; i++)
        if (cw_gen_key(&k[i].sk, &k[i].pk, SEED, i) != CW_OK)
            abort();
    /* the pool sorted by pubkey, so a subset in pool order is a sorted set */
    for (unsigned i = 0; i < POOL; i++)
        for (unsigned j = i + 1; j < POOL; j++)
            if (memcmp(k[j].pk.b, k[i].pk.b, 32) < 0)
                t = k[i], k[i] = k[j], k[j] = t;
    if (!(g_sign_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE)))
        abort();
    for (unsigned i = 0; i <= POOL; i++) {
        g_pk[i] = k[i].pk;
        if (!secp256k1_keypair_create(g_sign_ctx, &g_kp[i], k[i].sk.b))
            abort();
    }
    if (cw_lc_vcache_create(&g_cache, 16) != CW_OK)
        abort();
    g_no_memo = getenv("CW_FUZZ_NO_MEMO") != NULL;
    if (getenv("CW_FUZZ_STATS"))
        atexit(print_stats);
    return 0;
}

/* ---- input reader: fuzz_reader.h ----------------------------------------------------- */

/* ---- validator sets ----------------------------------------------------------------- */

typedef struct gset {
    uint8_t mask; /* pool members */
    uint64_t power[POOL];
    cw_validator v[POOL];
    cw_validator_set vs;
    uint8_t hash[32];
    int member_of_pos[POOL]; /* pool index of sorted position */
} gset;
static gset g_set[NSETS];

static void set_make(gset *g, uint8_t mask, rd *r)
{
    memset(g, 0, sizeof *g);
    g->mask = mask ? mask : 1;
    uint32_t n = 0;
    for (unsigned i = 0; i < POOL; i++) {
        if (!(g->mask >> i & 1))
            continue;
        uint8_t b = u8(r);
        /* mostly small powers; sometimes one dominant validator */
        g->power[i] = (b & 0x80) ? (uint64_t)(b & 0x7f) * 1000 + 1 : (uint64_t)(b & 15) + 1;
        g->v[n].pubkey = g_pk[i];
        g->v[n].power = g->power[i];
        g->member_of_pos[n] = (int)i;
        g->vs.total_power += g->power[i];
        n++;
    }
    g->vs.n = n;
    g->vs.v = g->v;
    if (cw_validators_hash(g->hash, &g->vs) != CW_OK)
        abort();
}

/* the first set whose hash is h, or -1 */
static int set_with_hash(const uint8_t h[32])
{
    for (int i = 0; i < NSETS; i++)
        if (memcmp(g_set[i].hash, h, 32) == 0)
            return i;
    return -1;
}

/* ---- the model ---------------------------------------------------------------------- */

typedef struct mentry {
    uint64_t h;
    cw_lc_consensus_state cs;
} mentry;

typedef struct model {
    cw_lc_client_state cs;
    size_t n;
    mentry e[MAXST];
} model;

static int m_find(const model *m, uint64_t h)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].h == h)
            return (int)i;
    return -1;
}

static void m_put(model *m, uint64_t h, const cw_lc_consensus_state *c)
{
    int i = m_find(m, h);
    if (i >= 0) {
        m->e[i].cs = *c;
        return;
    }
    if (m->n == MAXST)
        abort(); /* the harness keeps stores smaller */
    size_t j = m->n;
    while (j > 0 && m->e[j - 1].h > h) {
        m->e[j] = m->e[j - 1];
        j--;
    }
    m->e[j].h = h;
    m->e[j].cs = *c;
    m->n++;
}

static void m_del_first(model *m)
{
    memmove(&m->e[0], &m->e[1], (m->n - 1) * sizeof m->e[0]);
    m->n--;
}

static bool is_expired(uint64_t t, uint64_t period, uint64_t now)
{
    /* t + period ≤ now, without wrapping */
    return now >= t && now - t >= period;
}

static bool params_valid(const cw_lc_client_state *c)
{
    return c->trust_level_den > 0 && 3 * c->trust_level_num >= c->trust_level_den &&
           c->trust_level_num <= c->trust_level_den && c->trusting_period_ns > 0 &&
           c->max_clock_drift_ns > 0;
}

/* field by field: the struct has padding after chain_id */
static bool cs_equal(const cw_lc_client_state *a, const cw_lc_client_state *b)
{
    return strcmp(a->chain_id, b->chain_id) == 0 && a->trust_level_num == b->trust_level_num &&
           a->trust_level_den == b->trust_level_den &&
           a->trusting_period_ns == b->trusting_period_ns &&
           a->max_clock_drift_ns == b->max_clock_drift_ns &&
           a->latest_height == b->latest_height && a->frozen_height == b->frozen_height;
}

static bool model_equal(const model *a, const model *b)
{
    if (!cs_equal(&a->cs, &b->cs) || a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->e[i].h != b->e[i].h || memcmp(&a->e[i].cs, &b->e[i].cs, sizeof a->e[i].cs) != 0)
            return false;
    return true;
}

/* the library's store and client state must be the model's */
static void compare(const model *m, const cw_lc_client_state *cs, const cw_lc_store *st)
{
    if (!cs_equal(&m->cs, cs))
        abort();
    uint64_t at = 0, found;
    cw_lc_consensus_state c;
    size_t i = 0;
    while (st->above(st->ctx, at, &found, &c) == CW_OK) {
        if (i >= m->n || m->e[i].h != found || memcmp(&m->e[i].cs, &c, sizeof c) != 0)
            abort();
        i++;
        at = found;
    }
    if (i != m->n)
        abort();
}

/* ---- headers ------------------------------------------------------------------------ */

enum tamper {
    T_NONE,
    T_FLIP_SIG,
    T_OUTSIDER_SIG,
    T_OTHER_HEIGHT_SIG,
    T_COMMIT_HEIGHT,
    T_ROOT_AFTER_SIGNING,
    T_CHAIN,
    T_INDEX_RANGE,
    T_INDEX_REPEAT,
    T_WRONG_VALS,
    NTAMPER
};

typedef struct hdr {
    uint64_t th;    /* trusted height named */
    int set, next;  /* signing set, next set */
    int vals;       /* set supplied as the header's validator set */
    int tv;         /* trusted set supplied, -1 none */
    int tamper;
    bool bad[POOL]; /* commit entries whose signature does not verify */
    bool bound;     /* commit.block_hash is SHA256(header) */
    bool direct;    /* through cw_lc_update rather than cw_lc_update_msg */
    cw_commit_sig sigs[POOL];
    cw_update_header u;
} hdr;

static int pick_set(rd *r, const uint8_t next_hash[32])
{
    uint8_t b = u8(r) % 4;
    if (b == 0) {
        int s = set_with_hash(next_hash);
        return s >= 0 ? s : 0;
    }
    return b - 1;
}

/* Build and sign a header from the input, trusted from a stored (or named) height. */
static void hdr_build(hdr *x, rd *r, const model *m, unsigned salt)
{
    cw_header *h = &x->u.signed_header.header;
    cw_commit *c = &x->u.signed_header.commit;
    memset(x, 0, sizeof *x);

    /* byte 0 (and an exhausted input) picks the latest stored height */
    uint8_t b = u8(r);
    size_t ti = b % (m->n + 1);
    ti = ti < m->n ? m->n - 1 - ti : m->n;
    cw_lc_consensus_state tcs = {0};
    if (ti < m->n) {
        x->th = m->e[ti].h;
        tcs = m->e[ti].cs;
    } else {
        x->th = (m->n ? m->e[m->n - 1].h : 0) + 2 + b % 3; /* not stored */
    }
    static const uint64_t delta[8] = {1, 2, 1, 3, 5, 1, 0, 9};
    b = u8(r);
    uint64_t height = x->th + delta[(b + salt) % 8];
    b = u8(r);
    uint64_t t = tcs.timestamp_ns;
    if (b < 200)
        t += (uint64_t)(1 + b / 4) * SEC;
    else
        t -= (uint64_t)(b - 200) / 8 * SEC;
    x->set = pick_set(r, tcs.next_validators_hash);
    x->next = u8(r) % NSETS;
    x->vals = x->set;
    b = u8(r) % 6; /* the trusted set supplied: the right one, a given one, or none */
    if (b < 2) {
        x->tv = set_with_hash(tcs.next_validators_hash);
        x->tv = x->tv >= 0 ? x->tv : 0;
    } else {
        x->tv = b < 5 ? b - 2 : -1;
    }
    uint8_t signmask = (uint8_t)~u8(r);
    b = u8(r);
    x->tamper = b % 4 == 3 ? 1 + (b >> 2) % (NTAMPER - 1) : T_NONE;
    uint8_t tparam = u8(r);
    uint8_t root = u8(r);
    x->direct = root & 1;

    const gset *g = &g_set[x->set];
    strcpy(h->chain_id, x->tamper == T_CHAIN ? "beta" : "alpha");
    h->height = height;
    h->time_ns = t;
    memset(h->state_root, root, 32);
    memcpy(h->validators_hash, g->hash, 32);
    memcpy(h->next_validators_hash, g_set[x->next].hash, 32);
    h->proposer = g->v[0].pubkey;
    c->height = height;
    if (cw_block_hash(c->block_hash, h) != CW_OK)
        abort();
    x->bound = true;
    uint8_t msg[32], other[32];
    if (cw_vote_message(msg, h->chain_id, height, c->block_hash) != CW_OK ||
        cw_vote_message(other, h->chain_id, height + 1, c->block_hash) != CW_OK)
        abort();
    uint32_t n = 0;
    for (uint32_t pos = 0; pos < g->vs.n; pos++) {
        if (!(signmask >> pos & 1))
            continue;
        x->sigs[n].validator_index = pos;
        sign_cached(&x->sigs[n].signature, (unsigned)g->member_of_pos[pos], msg);
        n++;
    }
    c->n_sigs = n;
    c->sigs = x->sigs;

    uint32_t p = n ? tparam % n : 0;
    switch (x->tamper) {
    case T_FLIP_SIG:
        if (n) {
            x->sigs[p].signature.b[tparam % 64] ^= (uint8_t)(1u << (tparam % 8));
            x->bad[p] = true;
        }
        break;
    case T_OUTSIDER_SIG:
        if (n) {
            sign_cached(&x->sigs[p].signature, OUTSIDER, msg);
            x->bad[p] = true;
        }
        break;
    case T_OTHER_HEIGHT_SIG:
        if (n) {
            sign_cached(&x->sigs[p].signature, (unsigned)g->member_of_pos[x->sigs[p].validator_index],
                        other);
            x->bad[p] = true;
        }
        break;
    case T_COMMIT_HEIGHT:
        c->height++;
        break;
    case T_ROOT_AFTER_SIGNING:
        h->state_root[tparam % 32] ^= 1;
        x->bound = false;
        break;
    case T_INDEX_RANGE:
        if (n)
            x->sigs[n - 1].validator_index = g->vs.n + tparam % 3;
        break;
    case T_INDEX_REPEAT:
        if (n >= 2)
            x->sigs[1] = x->sigs[0];
        break;
    case T_WRONG_VALS:
        x->vals = (x->set + 1 + tparam % 2) % NSETS;
        break;
    default:
        break;
    }
    x->u.validator_set = g_set[x->vals].vs;
    x->u.trusted_height = x->th;
    x->u.has_trusted_validator_set = x->tv >= 0;
    if (x->tv >= 0)
        x->u.trusted_validator_set = g_set[x->tv].vs;
}

/* The verdict of cw_lc_verify as the rules say (lightclient.h), from what was built. */
static int model_verify(const cw_lc_client_state *cs, const hdr *x,
                        const cw_lc_consensus_state *tcs, uint64_t now, bool count)
{
    const cw_header *h = &x->u.signed_header.header;
    const cw_commit *c = &x->u.signed_header.commit;
    if (!params_valid(cs))
        return CW_EINVAL;
    if (is_expired(tcs->timestamp_ns, cs->trusting_period_ns, now)) {
        if (count)
            g_reach[R_EXPIRED] = true;
        return CW_EEXPIRED;
    }
    if (strcmp(h->chain_id, cs->chain_id) != 0)
        return CW_EBADHEADER;
    if (h->height <= x->th)
        return CW_EINVAL;
    if (h->time_ns <= tcs->timestamp_ns)
        return CW_EBADHEADER;
    if (count)
        g_reach[R_DRIFT] = true;
    if (h->time_ns >= now + cs->max_clock_drift_ns)
        return CW_EBADHEADER;
    if (memcmp(g_set[x->vals].hash, h->validators_hash, 32) != 0)
        return CW_EBADHEADER;
    if (c->height != h->height || !x->bound)
        return CW_EBADHEADER;
    bool adjacent = h->height == x->th + 1;
    const gset *tv = NULL;
    if (adjacent) {
        if (memcmp(h->validators_hash, tcs->next_validators_hash, 32) != 0)
            return CW_EBADHEADER;
    } else {
        if (x->tv < 0 || memcmp(g_set[x->tv].hash, tcs->next_validators_hash, 32) != 0)
            return CW_EINVAL;
        tv = &g_set[x->tv];
    }
    const gset *vs = &g_set[x->vals];
    for (uint32_t i = 0; i < c->n_sigs; i++)
        if (c->sigs[i].validator_index >= vs->vs.n ||
            (i > 0 && c->sigs[i].validator_index <= c->sigs[i - 1].validator_index))
            return CW_EBADHEADER;
    /* the shortest prefix after which both thresholds hold */
    uint64_t sp = 0, tp = 0;
    bool hok = false, tok = tv == NULL;
    uint32_t k = 0;
    for (; k < c->n_sigs && !(hok && tok); k++) {
        int key = vs->member_of_pos[c->sigs[k].validator_index];
        sp += vs->power[key];
        hok = sp * 3 > vs->vs.total_power * 2;
        if (tv) {
            tp += tv->power[key]; /* 0 when key is not in the trusted set */
            tok = (unsigned __int128)tp * cs->trust_level_den >
                  (unsigned __int128)tv->vs.total_power * cs->trust_level_num;
        }
    }
    if (count && k > 0)
        g_reach[R_SIG] = true;
    for (uint32_t i = 0; i < k; i++)
        if (x->bad[i])
            return CW_EBADSIG;
    if (count) {
        g_reach[R_THRESH] = true;
        if (tv)
            g_reach[R_TRUST] = true;
    }
    if (!tok || !hok)
        return CW_ETHRESHOLD;
    return CW_OK;
}

static bool model_active(const model *m, uint64_t now, int *rc)
{
    if (m->cs.frozen_height) {
        *rc = CW_EFROZEN;
        return false;
    }
    int i = m_find(m, m->cs.latest_height);
    if (i < 0 || is_expired(m->e[i].cs.timestamp_ns, m->cs.trusting_period_ns, now)) {
        g_reach[R_EXPIRED] = true;
        *rc = CW_EEXPIRED;
        return false;
    }
    return true;
}

/* cw_lc_update on the model: the predicted code; the model changes as the rules say. */
static int model_update(model *m, const hdr *x, uint64_t now, uint32_t *pruned)
{
    const cw_header *h = &x->u.signed_header.header;
    int rc;
    *pruned = 0;
    if (!model_active(m, now, &rc))
        return rc;
    int ti = m_find(m, x->th);
    if (ti < 0)
        return CW_ENOTFOUND;
    cw_lc_consensus_state next;
    next.timestamp_ns = h->time_ns;
    memcpy(next.state_root, h->state_root, 32);
    memcpy(next.next_validators_hash, h->next_validators_hash, 32);
    int si = m_find(m, h->height);
    if (si >= 0 && memcmp(&m->e[si].cs, &next, sizeof next) == 0)
        return CW_OK; /* noop */
    if ((rc = model_verify(&m->cs, x, &m->e[ti].cs, now, true)) != CW_OK)
        return rc;
    if (si >= 0) {
        g_reach[R_MISB] = true;
        m->cs.frozen_height = h->height;
        return CW_EMISBEHAVIOUR;
    }
    /* nearest stored neighbours: strictly older below, strictly newer above */
    const mentry *below = NULL, *above = NULL;
    for (size_t i = 0; i < m->n; i++) {
        if (m->e[i].h < h->height)
            below = &m->e[i];
        else if (!above)
            above = &m->e[i];
    }
    if (below || above)
        g_reach[R_MONO] = true;
    if ((below && below->cs.timestamp_ns >= next.timestamp_ns) ||
        (above && above->cs.timestamp_ns <= next.timestamp_ns)) {
        g_reach[R_MISB] = true;
        m->cs.frozen_height = h->height;
        return CW_EMISBEHAVIOUR;
    }
    m_put(m, h->height, &next);
    if (h->height > m->cs.latest_height)
        m->cs.latest_height = h->height;
    g_reach[R_PRUNE] = true;
    while (*pruned < CW_LC_PRUNE_MAX && m->n > 0 && m->e[0].h != h->height &&
           m->e[0].h != m->cs.latest_height &&
           is_expired(m->e[0].cs.timestamp_ns, m->cs.trusting_period_ns, now)) {
        m_del_first(m);
        (*pruned)++;
        g_reach[R_PRUNED] = true;
    }
    return CW_OK;
}

typedef struct client {
    cw_lc_client_state cs;
    cw_lc_memstore *ms;
    cw_lc_store st;
} client;

static void client_from_model(client *cl, const model *m)
{
    cl->cs = m->cs;
    if (cw_lc_memstore_create(&cl->ms) != CW_OK)
        abort();
    cw_lc_memstore_store(&cl->st, cl->ms);
    for (size_t i = 0; i < m->n; i++)
        if (cl->st.put(cl->st.ctx, m->e[i].h, &m->e[i].cs) != CW_OK)
            abort();
}

/* One update on the library and on the model; every outcome compared. */
static int do_update(client *cl, model *m, const hdr *x, uint64_t now)
{
    char err[256];
    model before = *m;
    cw_lc_update_result res;
    int rc;
    if (x->direct) {
        cw_lc_valset *vals = NULL, *tv = NULL;
        if (cw_lc_vcache_get(g_cache, &vals, &x->u.validator_set, err, sizeof err) != CW_OK ||
            (x->tv >= 0 &&
             cw_lc_vcache_get(g_cache, &tv, &x->u.trusted_validator_set, err, sizeof err) != CW_OK))
            abort(); /* the harness's sets are valid */
        rc = cw_lc_update(&cl->cs, &cl->st, &x->u.signed_header, vals, x->th, tv, now, &res, err,
                          sizeof err);
        cw_lc_valset_release(vals);
        cw_lc_valset_release(tv);
    } else {
        rc = cw_lc_update_msg(&cl->cs, &cl->st, g_cache, &x->u, now, &res, err, sizeof err);
    }
    uint32_t pruned;
    int want = model_update(m, x, now, &pruned);
    if (rc != want) {
        fprintf(stderr, "update: library %d (%s), rules %d\n", rc, err, want);
        abort();
    }
    if (rc == CW_OK && res.pruned != pruned)
        abort();
    if (rc != CW_OK) {
        /* a refusal changes nothing but, on misbehaviour, frozen_height */
        before.cs.frozen_height = rc == CW_EMISBEHAVIOUR ? x->u.signed_header.header.height
                                                         : before.cs.frozen_height;
        compare(&before, &cl->cs, &cl->st);
    }
    compare(m, &cl->cs, &cl->st);
    return rc;
}

/* ---- the input ---------------------------------------------------------------------- */

static const uint64_t TRUST[8][2] = {{1, 3}, {1, 2}, {2, 3}, {1, 1}, {3, 4}, {1, 3}, {5, 6}, {4, 3}};
static const uint64_t PERIOD_S[4] = {100, 1000, 300, 100000};
static const uint64_t DRIFT_S[4] = {10, 1, 5, 60};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd r = {data, size};
    model m;
    memset(&m, 0, sizeof m);
    memset(g_reach, 0, sizeof g_reach);

    /* client parameters */
    strcpy(m.cs.chain_id, "alpha");
    uint8_t b = u8(&r);
    unsigned tl = b % 8; /* the invalid level 4/3 only with bit 7 set (1 input in 16) */
    tl = tl == 7 && !(b & 0x80) ? 0 : tl;
    m.cs.trust_level_num = TRUST[tl][0];
    m.cs.trust_level_den = TRUST[tl][1];
    m.cs.trusting_period_ns = PERIOD_S[(b >> 3) % 4] * SEC;
    m.cs.max_clock_drift_ns = DRIFT_S[(b >> 5) % 4] * SEC;

    /* validator sets */
    for (int i = 0; i < NSETS; i++) {
        uint8_t mask = u8(&r) & ((1u << POOL) - 1);
        set_make(&g_set[i], mask ? mask : (uint8_t)((1u << POOL) - 1), &r);
    }

    /* the store: strictly increasing heights and times (as updates leave it) */
    b = u8(&r);
    size_t n0 = 1 + (b ^ 3) % 4;
    uint64_t h = 1 + (b >> 2) % 8, t = T0;
    for (size_t i = 0; i < n0; i++) {
        cw_lc_consensus_state c;
        uint8_t g = u8(&r);
        t += (uint64_t)(1 + (g ^ 0x20) % 64) * SEC;
        c.timestamp_ns = t;
        memset(c.state_root, u8(&r), 32);
        memcpy(c.next_validators_hash, g_set[(g >> 6) % NSETS].hash, 32);
        m_put(&m, h, &c);
        m.cs.latest_height = h;
        h += 1 + u8(&r) % 4;
    }
    b = u8(&r);
    if (b == 0xff)
        m.cs.latest_height++; /* no state at latest: Expired */
    if (b == 0xfe)
        m.cs.frozen_height = 1;
    /* now: within 94 s of the latest state (Active under every period; clock ops and
     * older trusted states reach expiry) */
    uint64_t now = t + (uint64_t)((u8(&r) ^ 0x10) % 48) * 2 * SEC;

    client cl;
    client_from_model(&cl, &m);
    compare(&m, &cl.cs, &cl.st);

    /* Every input runs MAX_OPS operations; byte 0 (and an exhausted input) follows a
     * schedule that visits each kind, so short inputs reach every path too. */
    static const uint8_t SCHEDULE[MAX_OPS] = {0, 5, 3, 1, 7, 6, 2, 4};
    unsigned salt = 0;
    for (int op = 0; op < MAX_OPS; op++) {
        uint8_t o = u8(&r) ^ SCHEDULE[op];
        switch (o % 8) {
        case 0:
        case 1:
        case 2: {
            hdr x;
            hdr_build(&x, &r, &m, salt++);
            do_update(&cl, &m, &x, now);
            break;
        }
        case 3: { /* two updates from one trusted height, in both orders */
            hdr a, bb;
            hdr_build(&a, &r, &m, salt++);
            hdr_build(&bb, &r, &m, salt++);
            bb.u.trusted_height = bb.th = a.th;
            model m2 = m;
            client c2;
            client_from_model(&c2, &m);
            int ra = do_update(&cl, &m, &a, now), rb = do_update(&cl, &m, &bb, now);
            int rb2 = do_update(&c2, &m2, &bb, now), ra2 = do_update(&c2, &m2, &a, now);
            /* The rules make the outcome independent of the order unless the two conflict
             * (then each order freezes, at its second header): stores and client states
             * equal. Not the verdicts one by one: a header that fails verification is still
             * a no-op after the other stored the same consensus state. */
            bool frozen1 = m.cs.frozen_height != 0, frozen2 = m2.cs.frozen_height != 0;
            if (frozen1 != frozen2 || (!frozen1 && !model_equal(&m, &m2))) {
                fprintf(stderr, "pair: a,b -> %d,%d; b,a -> %d,%d\n", ra, rb, rb2, ra2);
                abort();
            }
            if (!frozen1)
                compare(&m, &c2.cs, &c2.st);
            cw_lc_memstore_destroy(c2.ms);
            break;
        }
        case 4:
        case 5: { /* misbehaviour evidence, checked in both orders */
            hdr a, bb;
            char err[256];
            hdr_build(&a, &r, &m, salt++);
            hdr_build(&bb, &r, &m, salt++);
            uint8_t kind = u8(&r) % 3;
            cw_header *ha = &a.u.signed_header.header, *hb = &bb.u.signed_header.header;
            if (kind < 2 && !bb.tamper) {
                /* re-sign b as a conflict of a: same height, another root; or one height
                 * up with a time not after a's */
                hb->height = ha->height + (kind == 1);
                hb->time_ns = kind == 1 ? ha->time_ns - (uint64_t)(o >> 3) * SEC : hb->time_ns;
                if (kind == 0 && hb->state_root[0] == ha->state_root[0] &&
                    hb->time_ns == ha->time_ns && bb.next == a.next && bb.set == a.set)
                    hb->state_root[0] ^= 0x80;
                cw_commit *c = &bb.u.signed_header.commit;
                c->height = hb->height;
                if (cw_block_hash(c->block_hash, hb) != CW_OK)
                    abort();
                uint8_t msg[32];
                if (cw_vote_message(msg, hb->chain_id, hb->height, c->block_hash) != CW_OK)
                    abort();
                for (uint32_t i = 0; i < c->n_sigs; i++)
                    sign_cached(&c->sigs[i].signature,
                                (unsigned)g_set[bb.set].member_of_pos[c->sigs[i].validator_index],
                                msg);
            }
            int rc1 = cw_lc_check_misbehaviour(&cl.cs, &cl.st, g_cache, &bb.u, &a.u, now, err,
                                               sizeof err);
            /* submitted to the client (it freezes on valid evidence), or (byte bit 7
             * clear, the schedule's default) to a copy, so later operations still run */
            bool real = o & 0x80;
            cw_lc_client_state copy = cl.cs;
            int rc = cw_lc_submit_misbehaviour(real ? &cl.cs : &copy, &cl.st, g_cache, &a.u,
                                               &bb.u, now, err, sizeof err);
            if ((rc == CW_OK) != (rc1 == CW_OK))
                abort(); /* the verdict depends on the order of the evidence */
            /* the rules: Active; each header verifies from its stored trusted height; they
             * conflict */
            int want;
            if (model_active(&m, now, &want)) {
                int ia = m_find(&m, a.th), ib = m_find(&m, bb.th);
                if (ia < 0)
                    want = CW_ENOTFOUND;
                else if ((want = model_verify(&m.cs, &a, &m.e[ia].cs, now, true)) != CW_OK)
                    ;
                else if (ib < 0)
                    want = CW_ENOTFOUND;
                else if ((want = model_verify(&m.cs, &bb, &m.e[ib].cs, now, true)) != CW_OK)
                    ;
                else {
                    g_reach[R_MISB] = true;
                    if (ha->height == hb->height)
                        want = memcmp(ha, hb, sizeof *ha) != 0 ? CW_OK : CW_EINVAL;
                    else {
                        const cw_header *lo = ha->height < hb->height ? ha : hb,
                                        *hi = lo == ha ? hb : ha;
                        want = hi->time_ns <= lo->time_ns ? CW_OK : CW_EINVAL;
                    }
                }
            }
            if (rc != want) {
                fprintf(stderr, "misbehaviour: library %d (%s), rules %d\n", rc, err, want);
                abort();
            }
            uint64_t lower = ha->height < hb->height ? ha->height : hb->height;
            if (rc == CW_OK && real)
                m.cs.frozen_height = lower;
            if (!real && copy.frozen_height != (rc == CW_OK ? lower : cl.cs.frozen_height))
                abort();
            compare(&m, &cl.cs, &cl.st);
            break;
        }
        case 6:
            now += (uint64_t)((o >> 3) ^ 2) * 16 * SEC; /* 32 s by default */
            break;
        case 7: { /* the threaded signature check answers as the inline one */
            hdr x;
            char e1[256], e2[256];
            hdr_build(&x, &r, &m, salt++);
            int ti = m_find(&m, x.th);
            if (ti < 0)
                break;
            cw_lc_valset *vals = NULL, *tv = NULL;
            if (cw_lc_vcache_get(g_cache, &vals, &x.u.validator_set, e1, sizeof e1) != CW_OK ||
                (x.tv >= 0 &&
                 cw_lc_vcache_get(g_cache, &tv, &x.u.trusted_validator_set, e1, sizeof e1) !=
                     CW_OK))
                abort();
            cw_lc_verify_info i1, i2;
            int r1 = cw_lc_verify(&m.cs, x.th, &m.e[ti].cs, &x.u.signed_header, vals, tv, now,
                                  &i1, e1, sizeof e1);
            int r2 = cw_lc_verify_threads(&m.cs, x.th, &m.e[ti].cs, &x.u.signed_header, vals, tv,
                                          now, 2 + (o >> 3) % 2, &i2, e2, sizeof e2);
            int want = model_verify(&m.cs, &x, &m.e[ti].cs, now, true);
            if (r1 != want || r2 != r1 || memcmp(&i1, &i2, sizeof i1) != 0 ||
                (r1 != CW_OK && strcmp(e1, e2) != 0)) {
                fprintf(stderr, "verify: library %d (%s), threads %d (%s), rules %d\n", r1, e1,
                        r2, e2, want);
                abort();
            }
            cw_lc_valset_release(vals);
            cw_lc_valset_release(tv);
            break;
        }
        }
        if (m.n > MAXST - 4)
            break;
    }
    cw_lc_memstore_destroy(cl.ms);
    g_execs++;
    for (int i = 0; i < NR; i++)
        g_count[i] += g_reach[i];
    return 0;
}
