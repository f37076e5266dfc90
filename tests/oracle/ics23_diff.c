/* ICS-23 differential test: our verifier (lightclient/ics23.c) against an independent oracle,
 * the reference Rust implementation (crate `ics23`, tests/oracle/ics23-oracle), over a
 * corpus generated here from a seed (docs/DESIGN.md §12).
 *
 *   ics23_diff --oracle BIN --allowed FILE [--seed N] [--cases N] [--keep-corpus PATH]
 *              [--vectors DIR] [--by-mutation]
 *
 * For each spec (IAVL, Tendermint, SMT) it generates --cases cases (default 12000): proofs
 * from trees built here (IAVL and Tendermint shapes, hashed with common/hash.c) or proved by
 * the chain's SMT (chain/smt.c), honest and forged, and asks both verifiers for a verdict.
 * --vectors DIR (../shared/vectors/ics23) adds the public cosmos/ics23 proofs, read at run
 * time, verbatim and forged. --by-mutation prints the verdicts per kind of forgery.
 * Forgeries whose root can be recomputed get the recomputed root, so the root comparison is
 * not what refuses them. A case where the verdicts differ is a DISAGREEMENT; it is allowed
 * only when it classifies to a rule listed in FILE (tests/oracle/ics23-allowed.txt): our
 * verifier refused, the oracle accepted, our error is the rule's (return code and the step
 * it names), AND the rule's predicate — computed here from the proof bytes, independently of
 * the verifier — holds. Every other disagreement fails the run and is listed. So is a case
 * generated as honest that the oracle refuses (the generator would be wrong), and a listed
 * rule that no case exercised (the list must not rot).
 *
 * The corpus is a temporary file (one case a line, the format of the oracle's src/main.rs),
 * deleted at exit unless --keep-corpus names where to keep it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <lmdb.h>

#include "causeway/error.h"
#include "causeway/hash.h"
#include "causeway/hex.h"
#include "causeway/ics23.h"
#include "causeway/smt.h"
#include "ics23.pb-c.h"

#define ICS23_GEN_PROG "ics23_diff"
#include "../ics23_gen.h"

/* ---- the corpus and our verdicts --------------------------------------------------------- */

enum {
    P_CANON = 1u << 0,
    P_UNKNOWN = 1u << 1,
    P_SIZE = 1u << 2,
    P_DEPTH = 1u << 3,
    P_SHAPE = 1u << 4,
    P_TM = 1u << 5,
    P_IAVL_LEAF = 1u << 6,
    P_EMPTY_KEY = 1u << 7,
    P_EMPTY_ENTRY = 1u << 8,
    P_CINDEX = 1u << 9,
    P_TM_LEAF = 1u << 10,
};

/* The rules our verifier adds to the reference (docs/DESIGN.md §12). A disagreement (ours
 * refused, oracle accepted) is allowed as rule R only if R is listed in the allowed file,
 * our return code is R's, our error names R's step, and R's predicate holds on the input. */
typedef struct rule {
    const char *id;
    unsigned pred;
    int rc;
    const char *needle; /* substring of our error */
} rule;
static const rule RULES[] = {
    {"canonical", P_CANON, CW_EMALFORMED, "not canonical protobuf"},
    {"unknown_field", P_UNKNOWN, CW_EMALFORMED, "unknown field"},
    {"size_bound", P_SIZE, CW_ETOOBIG, "exceed"},
    {"depth_bound", P_DEPTH, CW_EBADPROOF, "exceeds max depth"},
    {"path_shape", P_SHAPE, CW_EBADPROOF, "fit no branch"},
    {"tendermint_inner", P_TM, CW_EBADPROOF, "tendermint: inner"},
    {"tendermint_leaf", P_TM_LEAF, CW_EBADPROOF, "tendermint: leaf prefix"},
    {"iavl_leaf", P_IAVL_LEAF, CW_EBADPROOF, "iavl: leaf height"},
    {"empty_key", P_EMPTY_KEY, CW_EINVAL, "key: empty"},
    {"batch_empty_entry", P_EMPTY_ENTRY, CW_EMALFORMED, "empty entry"},
    {"compressed_index", P_CINDEX, CW_EMALFORMED, "outside lookup_inners"},
};
#define N_RULES (sizeof RULES / sizeof RULES[0])

typedef struct rec {
    uint8_t spec;
    bool member, honest;
    const char *mut;
    int rc;
    unsigned preds;
    char err[200];
} rec;

static rec *g_recs;
static size_t g_nrecs, g_crecs;
static FILE *g_corpus;
static size_t g_count[SP_N], g_inconsistent;

static void hexout(FILE *f, bs b)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < b.n; i++) {
        fputc(hx[b.p[i] >> 4], f);
        fputc(hx[b.p[i] & 15], f);
    }
}

static const cw_ics23_spec *our_spec(int spec)
{
    return cw_ics23_spec_by_name(SPEC_NAME[spec]);
}

/* IAVL prefix varints (height, size, version): leaf rule of our verifier, checked here. */
static bool read_zz(const uint8_t **p, const uint8_t *end, int64_t *out)
{
    uint64_t x = 0;
    for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(x >> 1) ^ -(int64_t)(x & 1);
            return true;
        }
    }
    return false;
}

static bool fits_a_branch(const pb_inner *op, const cw_ics23_spec *s)
{
    size_t cs = (size_t)s->inner.child_size, n = s->inner.child_order_len;
    for (size_t pos = 0; pos < n; pos++) {
        size_t lo = pos * cs + (size_t)s->inner.min_prefix_length;
        size_t hi = pos * cs + (size_t)s->inner.max_prefix_length;
        if (op->prefix.len >= lo && op->prefix.len <= hi && op->suffix.len == (n - 1 - pos) * cs)
            return true;
    }
    return false;
}

static unsigned ex_preds(const pb_exist *e, int spec)
{
    const cw_ics23_spec *s = our_spec(spec);
    unsigned m = 0;
    size_t maxd = s->max_depth ? (size_t)s->max_depth : CW_ICS23_DEFAULT_MAX_DEPTH;
    if (e->base.n_unknown_fields)
        m |= P_UNKNOWN;
    if (e->key.len > CW_ICS23_KEY_MAX || e->value.len > CW_ICS23_VALUE_MAX ||
        e->n_path > CW_ICS23_PATH_MAX)
        m |= P_SIZE;
    if (e->n_path > maxd)
        m |= P_DEPTH;
    if (e->leaf) {
        if (e->leaf->base.n_unknown_fields)
            m |= P_UNKNOWN;
        if (e->leaf->prefix.len > CW_ICS23_OP_BYTES_MAX)
            m |= P_SIZE;
        if (spec == SP_IAVL && e->leaf->prefix.len) {
            const uint8_t *p = e->leaf->prefix.data, *end = p + e->leaf->prefix.len;
            int64_t h, sz, v;
            if (read_zz(&p, end, &h) && read_zz(&p, end, &sz) && read_zz(&p, end, &v) &&
                (h != 0 || sz != 1))
                m |= P_IAVL_LEAF;
        }
        if (spec == SP_TM && e->leaf->prefix.len != 1)
            m |= P_TM_LEAF;
    }
    for (size_t i = 0; i < e->n_path; i++) {
        const pb_inner *op = e->path[i];
        if (op->base.n_unknown_fields)
            m |= P_UNKNOWN;
        if (op->prefix.len > CW_ICS23_OP_BYTES_MAX || op->suffix.len > CW_ICS23_OP_BYTES_MAX)
            m |= P_SIZE;
        if (!fits_a_branch(op, s))
            m |= P_SHAPE;
        if (spec == SP_TM && (op->prefix.len == 0 || op->prefix.data[0] != 0x01 ||
                              (op->suffix.len > 0 && op->prefix.len != 1)))
            m |= P_TM;
    }
    return m;
}

#define SHAPE_BITS (P_DEPTH | P_SHAPE | P_TM | P_TM_LEAF | P_IAVL_LEAF)

static bs cmp_key(int spec, const ProtobufCBinaryData *k)
{
    return ckey_of(spec, (bs){k->data, k->len});
}

/* Whether a non-existence entry's neighbours bracket the query (absent sides count as
 * satisfied), in comparison order: the entry both verifiers choose, the first such. */
static bool brackets(int spec, const pb_exist *l, const pb_exist *r, bs cq)
{
    return (!l || bs_cmp(cmp_key(spec, &l->key), cq) < 0) &&
           (!r || bs_cmp(cmp_key(spec, &r->key), cq) > 0);
}

/* A compressed existence proof as a plain one (ops through lookup_inners; indices out of
 * range are left out and flagged). */
static pb_exist *cex_view(const Cw__Ics23__CompressedExistenceProof *c,
                          const Cw__Ics23__CompressedBatchProof *b, unsigned *m)
{
    if (!c)
        return NULL;
    pb_exist *x = palloc(sizeof *x);
    cw__ics23__existence_proof__init(x);
    x->base.n_unknown_fields = c->base.n_unknown_fields;
    x->key = c->key;
    x->value = c->value;
    x->leaf = c->leaf;
    x->path = palloc(c->n_path * sizeof *x->path);
    for (size_t i = 0; i < c->n_path; i++) {
        if (c->path[i] < 0 || (size_t)c->path[i] >= b->n_lookup_inners)
            *m |= P_CINDEX;
        else
            x->path[x->n_path++] = b->lookup_inners[c->path[i]];
    }
    if (c->n_path > CW_ICS23_PATH_MAX)
        *m |= P_SIZE;
    return x;
}

/* One batch entry: structural bits always, shape bits only for the entry verified. */
static unsigned entry_preds(int spec, bool member, bs key, bs cq, const pb_exist *ex,
                            const pb_exist *l, const pb_exist *r, bool *found)
{
    unsigned m = 0, shape = 0;
    if (ex) {
        m = ex_preds(ex, spec);
        if (member && !*found && bs_eq((bs){ex->key.data, ex->key.len}, key))
            *found = true, shape = SHAPE_BITS;
    } else {
        if (l)
            m |= ex_preds(l, spec);
        if (r)
            m |= ex_preds(r, spec);
        if (!member && !*found && brackets(spec, l, r, cq))
            *found = true, shape = SHAPE_BITS;
    }
    return m & (~SHAPE_BITS | shape);
}

/* The rule predicates, from the case alone (protobuf-c's lax decode, no verifier code). */
static unsigned predicates(int spec, bool member, bs proof, bs key, bs value)
{
    unsigned m = 0;
    if (key.n == 0)
        m |= P_EMPTY_KEY;
    if (key.n > CW_ICS23_KEY_MAX || (member && value.n > CW_ICS23_VALUE_MAX) ||
        proof.n > CW_ICS23_BATCH_PROOF_MAX)
        m |= P_SIZE;
    pb_proof *p = cw__ics23__commitment_proof__unpack(NULL, proof.n, proof.p);
    if (!p)
        return m | (proof.n > CW_ICS23_PROOF_MAX ? P_SIZE : 0);
    size_t len = cw__ics23__commitment_proof__get_packed_size(p);
    uint8_t *re = malloc(len ? len : 1);
    if (!re)
        die("out of memory");
    cw__ics23__commitment_proof__pack(p, re);
    if (len != proof.n || (len && memcmp(re, proof.p, len) != 0))
        m |= P_CANON;
    free(re);
    if (p->base.n_unknown_fields)
        m |= P_UNKNOWN;
    bs cq = key.n ? ckey_of(spec, key) : key;
    bool found = false;
    switch (p->proof_case) {
    case CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST:
        if (proof.n > CW_ICS23_PROOF_MAX)
            m |= P_SIZE;
        m |= ex_preds(p->exist, spec);
        break;
    case CW__ICS23__COMMITMENT_PROOF__PROOF_NONEXIST:
        if (proof.n > CW_ICS23_PROOF_MAX)
            m |= P_SIZE;
        if (p->nonexist->base.n_unknown_fields)
            m |= P_UNKNOWN;
        if (p->nonexist->left)
            m |= ex_preds(p->nonexist->left, spec);
        if (p->nonexist->right)
            m |= ex_preds(p->nonexist->right, spec);
        break;
    case CW__ICS23__COMMITMENT_PROOF__PROOF_BATCH:
        if (p->batch->base.n_unknown_fields)
            m |= P_UNKNOWN;
        if (p->batch->n_entries > CW_ICS23_BATCH_MAX)
            m |= P_SIZE;
        for (size_t i = 0; i < p->batch->n_entries; i++) {
            const Cw__Ics23__BatchEntry *e = p->batch->entries[i];
            if (e->base.n_unknown_fields)
                m |= P_UNKNOWN;
            if (e->proof_case == CW__ICS23__BATCH_ENTRY__PROOF_EXIST) {
                m |= entry_preds(spec, member, key, cq, e->exist, NULL, NULL, &found);
            } else if (e->proof_case == CW__ICS23__BATCH_ENTRY__PROOF_NONEXIST) {
                if (e->nonexist->base.n_unknown_fields)
                    m |= P_UNKNOWN;
                m |= entry_preds(spec, member, key, cq, NULL, e->nonexist->left,
                                 e->nonexist->right, &found);
            } else {
                m |= P_EMPTY_ENTRY;
            }
        }
        break;
    case CW__ICS23__COMMITMENT_PROOF__PROOF_COMPRESSED: {
        const Cw__Ics23__CompressedBatchProof *b = p->compressed;
        if (b->base.n_unknown_fields)
            m |= P_UNKNOWN;
        if (b->n_entries > CW_ICS23_BATCH_MAX || b->n_lookup_inners > CW_ICS23_LOOKUP_MAX)
            m |= P_SIZE;
        for (size_t i = 0; i < b->n_lookup_inners; i++) {
            const pb_inner *op = b->lookup_inners[i];
            if (op->base.n_unknown_fields)
                m |= P_UNKNOWN;
            if (op->prefix.len > CW_ICS23_OP_BYTES_MAX || op->suffix.len > CW_ICS23_OP_BYTES_MAX)
                m |= P_SIZE;
        }
        for (size_t i = 0; i < b->n_entries; i++) {
            const Cw__Ics23__CompressedBatchEntry *e = b->entries[i];
            if (e->base.n_unknown_fields)
                m |= P_UNKNOWN;
            if (e->proof_case == CW__ICS23__COMPRESSED_BATCH_ENTRY__PROOF_EXIST) {
                m |= entry_preds(spec, member, key, cq, cex_view(e->exist, b, &m), NULL, NULL,
                                 &found);
            } else if (e->proof_case == CW__ICS23__COMPRESSED_BATCH_ENTRY__PROOF_NONEXIST) {
                if (e->nonexist->base.n_unknown_fields)
                    m |= P_UNKNOWN;
                m |= entry_preds(spec, member, key, cq, NULL, cex_view(e->nonexist->left, b, &m),
                                 cex_view(e->nonexist->right, b, &m), &found);
            } else {
                m |= P_EMPTY_ENTRY;
            }
        }
        break;
    }
    default:
        break;
    }
    cw__ics23__commitment_proof__free_unpacked(p, NULL);
    return m;
}

/* Write one case to the corpus and record our verdict on it. */
static void emit(int spec, bool member, const uint8_t root[32], bs proof, bs key, bs value,
                 const char *mut, bool honest)
{
    static const uint8_t dummy[1];
    char err[200] = "";
    const uint8_t *kp = key.n ? key.p : dummy, *vp = value.n ? value.p : dummy;
    const uint8_t *pp = proof.n ? proof.p : dummy;
    /* ours: cw_ics23_verify_any, which takes every variant, as the crate's verify_membership
     * and verify_non_membership do; for a single proof the single-variant entry point must
     * say the same */
    int rc = cw_ics23_verify_any(our_spec(spec), root, pp, proof.n, member, kp, key.n, vp,
                                 value.n, err, sizeof err);
    char err1[200];
    int rc1 = member ? cw_ics23_verify_membership(our_spec(spec), root, pp, proof.n, kp, key.n,
                                                  vp, value.n, err1, sizeof err1)
                     : cw_ics23_verify_non_membership(our_spec(spec), root, pp, proof.n, kp,
                                                      key.n, err1, sizeof err1);
    if (rc1 != rc && !(rc1 == CW_EMALFORMED && strstr(err1, "needs the")) &&
        !(rc1 == CW_ETOOBIG && proof.n > CW_ICS23_PROOF_MAX)) {
        printf("    INCONSISTENT: %s %s: verify_any %s (%s), the single entry point %s (%s)\n",
               SPEC_NAME[spec], mut, cw_strerror(rc), err, cw_strerror(rc1), err1);
        g_inconsistent++;
    }
    if (g_nrecs == g_crecs) {
        g_crecs = g_crecs ? 2 * g_crecs : 1 << 15;
        g_recs = realloc(g_recs, g_crecs * sizeof *g_recs);
        if (!g_recs)
            die("out of memory");
    }
    rec *r = &g_recs[g_nrecs++];
    r->spec = (uint8_t)spec;
    r->member = member;
    r->honest = honest;
    r->mut = mut;
    r->rc = rc;
    r->preds = rc == CW_OK ? 0 : predicates(spec, member, proof, key, value);
    snprintf(r->err, sizeof r->err, "%s", rc == CW_OK ? "" : err);
    fprintf(g_corpus, "%s %c ", SPEC_NAME[spec], member ? 'm' : 'n');
    hexout(g_corpus, (bs){(uint8_t *)root, 32});
    fputc(' ', g_corpus);
    hexout(g_corpus, proof);
    fputc(' ', g_corpus);
    hexout(g_corpus, key);
    fputc(' ', g_corpus);
    if (member)
        hexout(g_corpus, value);
    else
        fputc('-', g_corpus);
    fputc('\n', g_corpus);
}

/* ---- byte-level encodings that are valid protobuf but not canonical ----------------------- */

/* Field `variant` of CommitmentProof as two occurrences (a protobuf parser merges them back
 * into the original message), built from two partial proofs. */
static bs split_encoding(const proof_t *a, const proof_t *b)
{
    return bs_cat(pack_proof(a), pack_proof(b));
}

/* The top-level length with one redundant varint byte. */
static bs long_length_encoding(bs canon)
{
    /* canon = tag (1 byte) || varint length || body */
    size_t i = 1;
    while (i < canon.n && (canon.p[i] & 0x80))
        i++;
    if (i >= canon.n)
        return canon;
    bs out = {palloc(canon.n + 1), canon.n + 1};
    memcpy(out.p, canon.p, i);
    out.p[i] = (uint8_t)(canon.p[i] | 0x80);
    out.p[i + 1] = 0x00;
    memcpy(out.p + i + 2, canon.p + i + 1, canon.n - i - 1);
    return out;
}

/* The existence proof with `value` encoded before `key` (fields out of order). */
static bs reordered_exist(const ex_t *e)
{
    ex_t v = {.value = e->value}, rest = *e;
    rest.value = (bs){0};
    pb_exist *pv = to_pb_ex(&v), *pr = to_pb_ex(&rest);
    size_t nv = cw__ics23__existence_proof__get_packed_size(pv);
    size_t nr = cw__ics23__existence_proof__get_packed_size(pr);
    bs body = {palloc(nv + nr), nv + nr};
    cw__ics23__existence_proof__pack(pv, body.p);
    cw__ics23__existence_proof__pack(pr, body.p + nv);
    return bs_cat(bs_cat(bs_new("\x0a", 1), uvarint(body.n)), body);
}

/* ---- mutations of existence proofs --------------------------------------------------------- */

/* A varint with `extra` redundant continuation bytes (non-minimal), or 11 bytes when
 * extra < 0 (over 64 bits). */
static bs long_uvarint(uint64_t x, int extra)
{
    bs v = uvarint(x);
    if (extra < 0) {
        bs o = {palloc(11), 11};
        memset(o.p, 0xff, 10);
        o.p[10] = 0x01;
        return o;
    }
    bs o = {palloc(v.n + (size_t)extra), v.n + (size_t)extra};
    memcpy(o.p, v.p, v.n);
    for (int i = 0; i < extra; i++) {
        o.p[v.n - 1 + (size_t)i] |= 0x80;
        o.p[v.n + (size_t)i] = 0x00;
    }
    return o;
}

static uint64_t zz(int64_t x) { return ((uint64_t)x << 1) ^ (uint64_t)(x >> 63); }

/* IAVL: rewrite the height/size/version varints of op k (layer k+1). */
static void iavl_hsv_mutate(op_t *o, size_t k)
{
    bool left_step = o->suffix.n > 0;
    size_t hsv_n = left_step ? o->prefix.n - 1 : o->prefix.n - 34;
    const uint8_t *p = o->prefix.p, *end = p + hsv_n;
    int64_t h, sz, v;
    if (!read_zz(&p, end, &h) || !read_zz(&p, end, &sz) || !read_zz(&p, end, &v))
        return;
    bs hb = uvarint(zz(h)), sb = uvarint(zz(sz)), vb = uvarint(zz(v)), junk = {0};
    switch (rnd(7)) {
    case 0: hb = long_uvarint(zz(h), 1 + (int)rnd(2)); break;  /* non-minimal: both accept */
    case 1: sb = uvarint(zz(-1 - (int64_t)rnd(5))); break;       /* negative size */
    case 2: vb = uvarint(zz(-1 - (int64_t)rnd(5))); break;       /* negative version */
    case 3: hb = uvarint(zz((int64_t)k)); break;                 /* height below layer k+1 */
    case 4: hb = uvarint(zz((int64_t)1 << 40)); break;           /* tall: both accept */
    case 5: vb = long_uvarint(0, -1); break;                     /* over 64 bits */
    default: junk = bs_new("\x02", 1); break;                    /* a fourth varint */
    }
    bs hsv = bs_cat(bs_cat(bs_cat(hb, sb), vb), junk);
    o->prefix = bs_cat(hsv, bs_new(o->prefix.p + hsv_n, o->prefix.n - hsv_n));
}

static int other_spec(int spec) { return (spec + 1 + (int)rnd(2)) % SP_N; }

/* Rewrite op k of e: sibling on both sides (true) or on neither (false). */
static void op_reshape(int spec, op_t *o, bool both)
{
    bool left_step = o->suffix.n > 0;
    if (spec == SP_IAVL) {
        /* prefix hsv 20 [L 20] / suffix [20 R]: the hsv is everything before the first 0x20
         * that leaves 1 or 34 bytes; recover it from the lengths */
        size_t hsv_n = left_step ? o->prefix.n - 1 : o->prefix.n - 34;
        bs hsv = bs_new(o->prefix.p, hsv_n);
        bs sp = bs_new("\x20", 1);
        bs sib = left_step ? bs_new(o->suffix.p + 1, 32) : bs_new(o->prefix.p + hsv_n + 1, 32);
        if (both) {
            o->prefix = bs_cat(bs_cat(bs_cat(hsv, sp), bs_rand(32)), sp);
            o->suffix = bs_cat(sp, sib);
        } else {
            o->prefix = bs_cat(hsv, sp);
            o->suffix = (bs){0};
        }
    } else {
        bs sib = left_step ? o->suffix : bs_new(o->prefix.p + 1, o->prefix.n - 1);
        if (both) {
            o->prefix = bs_cat(bs_new("\x01", 1), bs_rand(32));
            o->suffix = sib;
        } else {
            o->prefix = bs_new("\x01", 1);
            o->suffix = (bs){0};
        }
    }
}

/* A generic inner op on top of a path of depth `layer-1` (a left-step with a random sibling). */
static op_t extra_op(int spec, size_t layer)
{
    op_t o = {.hash = CW_ICS23_SHA256};
    if (spec == SP_IAVL) {
        o.prefix = bs_cat(iavl_hsv((int64_t)layer, (int64_t)layer + 1, 1), bs_new("\x20", 1));
        o.suffix = bs_cat(bs_new("\x20", 1), bs_rand(32));
    } else {
        o.prefix = bs_new("\x01", 1);
        o.suffix = bs_rand(32);
    }
    return o;
}

static const char *const M_NAMES[] = {
    "m_honest",        "m_wrong_value",   "m_wrong_key",     "m_other_root",
    "m_iavl_leaf",     "m_leaf_prefix",   "m_leaf_op",       "m_op_hash",
    "m_op_prefix_add", "m_op_prefix_cut", "m_op_both_sides", "m_op_no_sibling",
    "m_op_drop",       "m_op_swap",       "m_op_dup",        "m_op_flip_side",
    "m_depth_max",     "m_depth_over",    "m_big_key",       "m_key_max",
    "m_big_value",     "m_empty_value",   "m_unknown",       "m_split",
    "m_long_length",   "m_reorder",       "m_truncate",      "m_bitflip",
    "m_spec_swap",     "m_variant",       "m_no_leaf",       "m_sibling_flip",
    "m_iavl_hsv",
};
enum {
    M_HONEST, M_WRONG_VALUE, M_WRONG_KEY, M_OTHER_ROOT, M_IAVL_LEAF, M_LEAF_PREFIX, M_LEAF_OP,
    M_OP_HASH, M_OP_PREFIX_ADD, M_OP_PREFIX_CUT, M_OP_BOTH, M_OP_NO_SIB, M_OP_DROP, M_OP_SWAP,
    M_OP_DUP, M_OP_FLIP, M_DEPTH_MAX, M_DEPTH_OVER, M_BIG_KEY, M_KEY_MAX, M_BIG_VALUE,
    M_EMPTY_VALUE, M_UNKNOWN, M_SPLIT, M_LONG_LEN, M_REORDER, M_TRUNCATE, M_BITFLIP,
    M_SPEC_SWAP, M_VARIANT, M_NO_LEAF, M_SIB_FLIP, M_IAVL_HSV, M_N
};
_Static_assert(sizeof M_NAMES / sizeof M_NAMES[0] == M_N, "a name per mutation");

static bs bitflip(bs b)
{
    if (!b.n)
        return b;
    bs c = bs_new(b.p, b.n);
    c.p[rnd(c.n)] ^= (uint8_t)(1u << rnd(8));
    return c;
}

static void membership_case(const tree *t, int m)
{
    size_t i = rnd(t->n);
    ex_t e = tree_exist(t, i);
    proof_t p = {.variant = 1};
    uint8_t root[32];
    memcpy(root, t->root, 32);
    bool recompute = false, honest = false;
    int spec = t->spec;
    bs key = e.key, value = e.value, bytes = {0};
    bool have_bytes = false;
    switch (m) {
    case M_HONEST:
        honest = true;
        break;
    case M_WRONG_VALUE:
        value = chance(50) ? bs_cat(value, bs_new("\x00", 1)) : t->values[(i + 1) % t->n];
        break;
    case M_WRONG_KEY:
        key = t->n > 1 ? t->keys[(i + 1) % t->n] : bs_cat(key, bs_new("\x00", 1));
        break;
    case M_OTHER_ROOT:
        root[rnd(32)] ^= 1;
        break;
    case M_IAVL_LEAF: {
        int64_t h = 0, sz = 1;
        while (h == 0 && sz == 1) {
            h = (int64_t)rnd(3);
            sz = 1 + (int64_t)rnd(3);
        }
        if (spec == SP_IAVL)
            e.leaf.prefix = iavl_hsv(h, sz, 1 + (int64_t)rnd(100));
        else /* other specs: an extra byte after the leaf prefix (both accept it) */
            e.leaf.prefix = bs_cat(e.leaf.prefix, bs_rand(1));
        recompute = true;
        break;
    }
    case M_LEAF_PREFIX:
        e.leaf.prefix = bs_new(e.leaf.prefix.p, e.leaf.prefix.n);
        if (chance(50) && e.leaf.prefix.n)
            e.leaf.prefix.p[0] ^= (uint8_t)(1 + rnd(255));
        else
            e.leaf.prefix = bs_cat(e.leaf.prefix, bs_rand(1 + rnd(3)));
        recompute = true;
        break;
    case M_LEAF_OP: {
        int *f[4] = {&e.leaf.hash, &e.leaf.pk, &e.leaf.pv, &e.leaf.len};
        size_t w = rnd(4);
        *f[w] = (*f[w] + 1 + (int)rnd(w == 3 ? 8 : 9)) % (w == 3 ? 9 : 10);
        recompute = true;
        break;
    }
    case M_OP_HASH:
        if (!e.n)
            return;
        e.path[rnd(e.n)].hash = (int)(2 + rnd(8));
        break;
    case M_OP_PREFIX_ADD:
    case M_OP_PREFIX_CUT: {
        if (!e.n)
            return;
        op_t *o = &e.path[rnd(e.n)];
        if (m == M_OP_PREFIX_ADD)
            o->prefix = bs_cat(o->prefix, bs_rand(1 + rnd(2)));
        else if (o->prefix.n)
            o->prefix = bs_new(o->prefix.p, o->prefix.n - 1);
        recompute = true;
        break;
    }
    case M_OP_BOTH:
    case M_OP_NO_SIB:
        if (!e.n)
            return;
        op_reshape(spec, &e.path[rnd(e.n)], m == M_OP_BOTH);
        recompute = true;
        break;
    case M_OP_DROP:
        if (!e.n)
            return;
        {
            size_t k = rnd(e.n);
            memmove(&e.path[k], &e.path[k + 1], (e.n - k - 1) * sizeof *e.path);
            e.n--;
        }
        recompute = true;
        break;
    case M_OP_SWAP:
        if (e.n < 2)
            return;
        {
            size_t a = rnd(e.n), b = rnd(e.n);
            op_t tmp = e.path[a];
            e.path[a] = e.path[b];
            e.path[b] = tmp;
        }
        recompute = true;
        break;
    case M_OP_DUP:
        if (!e.n)
            return;
        {
            e = ex_copy(&e);
            size_t k = rnd(e.n);
            memmove(&e.path[k + 1], &e.path[k], (e.n - k) * sizeof *e.path);
            e.n++;
        }
        recompute = true;
        break;
    case M_OP_FLIP: /* left-step <-> right-step with the same sibling: a well-shaped proof */
        if (!e.n)
            return;
        {
            op_t *o = &e.path[rnd(e.n)];
            if (spec == SP_IAVL) {
                bool left_step = o->suffix.n > 0;
                size_t hsv_n = left_step ? o->prefix.n - 1 : o->prefix.n - 34;
                bs hsv = bs_new(o->prefix.p, hsv_n), sp = bs_new("\x20", 1);
                if (left_step) {
                    o->prefix = bs_cat(bs_cat(hsv, o->suffix), sp);
                    o->suffix = (bs){0};
                } else {
                    o->suffix = bs_new(o->prefix.p + hsv_n + 1, 33);
                    o->suffix.p[0] = 0x20;
                    memcpy(o->suffix.p + 1, o->prefix.p + hsv_n + 1, 32);
                    o->prefix = bs_cat(hsv, sp);
                }
            } else if (o->suffix.n) {
                o->prefix = bs_cat(o->prefix, o->suffix);
                o->suffix = (bs){0};
            } else {
                o->suffix = bs_new(o->prefix.p + 1, o->prefix.n - 1);
                o->prefix = bs_new("\x01", 1);
            }
        }
        recompute = true;
        break;
    case M_DEPTH_MAX:
    case M_DEPTH_OVER: {
        size_t maxd = spec == SP_SMT ? 256 : 128, want = maxd + (m == M_DEPTH_OVER);
        ex_t d = e;
        d.path = palloc(want * sizeof *d.path);
        memcpy(d.path, e.path, e.n * sizeof *d.path);
        for (size_t k = e.n; k < want; k++)
            d.path[k] = extra_op(spec, k + 1);
        d.n = want;
        e = d;
        recompute = true;
        break;
    }
    case M_BIG_KEY:
    case M_KEY_MAX:
        e.key = bs_rand(CW_ICS23_KEY_MAX + (m == M_BIG_KEY));
        e.key.p[0] = 0x61;
        key = e.key;
        recompute = true;
        break;
    case M_BIG_VALUE:
        e.value = bs_rand(CW_ICS23_PROOF_MAX - 100 + rnd(200));
        value = e.value;
        recompute = true;
        break;
    case M_EMPTY_VALUE:
        e.value = value = (bs){0};
        break;
    case M_UNKNOWN: {
        size_t w = rnd(4);
        if (w == 0)
            p.unk_top = true;
        else if (w == 1 || (w == 3 && !e.n))
            e.unk = true;
        else if (w == 2)
            e.leaf.unk = true;
        else
            e.path[rnd(e.n)].unk = true;
        break;
    }
    case M_SPLIT: {
        proof_t a = {.variant = 1, .ex = e}, b = {.variant = 1};
        a.ex.n = 0;
        b.ex.n = e.n;
        b.ex.path = e.path;
        if (!e.n) { /* split key from value instead */
            a.ex = (ex_t){.key = e.key};
            b.ex = e;
            b.ex.key = (bs){0};
        }
        bytes = split_encoding(&a, &b);
        have_bytes = true;
        break;
    }
    case M_LONG_LEN:
        p.ex = e;
        bytes = long_length_encoding(pack_proof(&p));
        have_bytes = true;
        break;
    case M_REORDER:
        bytes = reordered_exist(&e);
        have_bytes = true;
        break;
    case M_TRUNCATE:
        p.ex = e;
        bytes = pack_proof(&p);
        bytes.n = rnd(bytes.n);
        have_bytes = true;
        break;
    case M_BITFLIP:
        p.ex = e;
        bytes = bitflip(pack_proof(&p));
        have_bytes = true;
        break;
    case M_SPEC_SWAP:
        spec = other_spec(spec);
        break;
    case M_VARIANT: /* the existence proof as a non-existence proof's neighbour */
        p.variant = 2;
        p.left = &e;
        break;
    case M_NO_LEAF:
        e.has_leaf = false;
        break;
    case M_IAVL_HSV:
        if (spec != SP_IAVL || !e.n)
            return;
        {
            size_t k = rnd(e.n);
            iavl_hsv_mutate(&e.path[k], k);
        }
        recompute = true;
        break;
    case M_SIB_FLIP: /* a sibling byte changed, root left alone */
        if (!e.n)
            return;
        {
            op_t *o = &e.path[rnd(e.n)];
            if (o->suffix.n) {
                o->suffix = bs_new(o->suffix.p, o->suffix.n);
                o->suffix.p[rnd(o->suffix.n)] ^= 0x40;
            } else {
                o->prefix = bs_new(o->prefix.p, o->prefix.n);
                o->prefix.p[o->prefix.n - 1 - rnd(32)] ^= 0x40;
            }
        }
        break;
    default:
        die("bad mutation %d", m);
    }
    if (recompute && !ex_root(&e, root))
        memcpy(root, t->root, 32);
    if (!have_bytes) {
        if (p.variant == 1)
            p.ex = e;
        bytes = pack_proof(&p);
    }
    emit(spec, true, root, bytes, key, value, M_NAMES[m], honest);
}

/* ---- non-membership cases ------------------------------------------------------------------ */

static const char *const N_NAMES[] = {
    "n_honest",      "n_smt_prover", "n_nonadj_right", "n_nonadj_left", "n_present",
    "n_present_adj", "n_drop_right", "n_drop_left",    "n_outside",     "n_swap",
    "n_same",        "n_neither",    "n_neigh_corrupt", "n_neigh_shape", "n_empty_key",
    "n_nkey",        "n_unknown",    "n_split",        "n_long_length", "n_variant",
    "n_spec_swap",   "n_bitflip",    "n_truncate",     "n_top_reshape", "n_top_prefix",
    "n_top_extra",   "n_top_drop",
};
enum {
    N_HONEST, N_SMT_PROVER, N_NONADJ_R, N_NONADJ_L, N_PRESENT, N_PRESENT_ADJ, N_DROP_R,
    N_DROP_L, N_OUTSIDE, N_SWAP, N_SAME, N_NEITHER, N_NEIGH_CORRUPT, N_NEIGH_SHAPE,
    N_EMPTY_KEY, N_NKEY, N_UNKNOWN, N_SPLIT, N_LONG_LEN, N_VARIANT, N_SPEC_SWAP, N_BITFLIP,
    N_TRUNCATE, N_TOP_RESHAPE, N_TOP_PREFIX, N_TOP_EXTRA, N_TOP_DROP, N_N
};
_Static_assert(sizeof N_NAMES / sizeof N_NAMES[0] == N_N, "a name per mutation");

static void non_membership_case(const tree *t, int m)
{
    int spec = t->spec;
    bs q = absent_key(t);
    size_t pos = lower_bound(t, ckey_of(spec, q));
    proof_t p = {.variant = 2};
    p.left = pos > 0 ? exist_ptr(t, pos - 1) : NULL;
    p.right = pos < t->n ? exist_ptr(t, pos) : NULL;
    p.nkey = chance(50) ? q : (bs){0};
    bool honest = false, have_bytes = false;
    bs bytes = {0};
    switch (m) {
    case N_HONEST:
        honest = true;
        break;
    case N_SMT_PROVER: {
        if (spec != SP_SMT)
            return;
        bool exists;
        bytes = smt_prove(t, q, &exists);
        if (exists)
            die("smt: an absent key proved present");
        have_bytes = honest = true;
        break;
    }
    case N_NONADJ_R: /* skip one or more leaves on the right */
        if (pos + 1 >= t->n)
            return;
        p.right = exist_ptr(t, pos + 1 + rnd(t->n - pos - 1 < 3 ? t->n - pos - 1 : 3));
        break;
    case N_NONADJ_L:
        if (pos < 2)
            return;
        p.left = exist_ptr(t, pos - 2 - rnd(pos - 1 < 3 ? pos - 1 : 3));
        break;
    case N_PRESENT: /* the key forgery: a present key between non-adjacent neighbours */
    case N_PRESENT_ADJ: {
        size_t k = rnd(t->n);
        q = t->keys[k];
        if (m == N_PRESENT) {
            p.left = k > 0 ? exist_ptr(t, k - 1) : NULL;
            p.right = k + 1 < t->n ? exist_ptr(t, k + 1) : NULL;
        } else if (chance(50)) {
            p.left = k > 0 ? exist_ptr(t, k - 1) : NULL;
            p.right = exist_ptr(t, k);
        } else {
            p.left = exist_ptr(t, k);
            p.right = k + 1 < t->n ? exist_ptr(t, k + 1) : NULL;
        }
        break;
    }
    case N_DROP_R:
        if (!p.left || !p.right)
            return;
        p.right = NULL;
        break;
    case N_DROP_L:
        if (!p.left || !p.right)
            return;
        p.left = NULL;
        break;
    case N_OUTSIDE:
        if (pos < 2)
            return;
        p.left = exist_ptr(t, pos - 2);
        p.right = exist_ptr(t, pos - 1);
        break;
    case N_SWAP: {
        if (!p.left || !p.right)
            return;
        const ex_t *tmp = p.left;
        p.left = p.right;
        p.right = tmp;
        break;
    }
    case N_SAME:
        if (p.left)
            p.right = p.left;
        else
            p.left = p.right;
        break;
    case N_NEITHER:
        p.left = p.right = NULL;
        break;
    case N_NEIGH_CORRUPT:
    case N_NEIGH_SHAPE: {
        ex_t *e = (ex_t *)(p.left && (!p.right || chance(50)) ? p.left : p.right);
        if (!e->n)
            return;
        *e = ex_copy(e);
        op_t *o = &e->path[rnd(e->n)];
        if (m == N_NEIGH_SHAPE) {
            op_reshape(spec, o, chance(50));
        } else {
            o->prefix = bs_cat(o->prefix, bs_new("", 0));
            o->prefix.p[rnd(o->prefix.n)] ^= 0x08;
        }
        break;
    }
    case N_EMPTY_KEY: /* the empty key, below every key: only a left-most right neighbour */
        if (spec == SP_SMT)
            return;
        q = (bs){0};
        p.left = NULL;
        p.right = exist_ptr(t, 0);
        break;
    case N_NKEY: /* NonExistenceProof.key is read by nobody: any content verifies */
        p.nkey = bs_rand(rnd(40));
        honest = true;
        break;
    case N_UNKNOWN: {
        size_t w = rnd(5);
        ex_t *e = (ex_t *)(p.left ? p.left : p.right);
        if (w == 0) {
            p.unk_top = true;
        } else if (w == 1) {
            p.unk_non = true;
        } else {
            *e = ex_copy(e);
            if (w == 2 || !e->n)
                e->unk = true;
            else if (w == 3)
                e->leaf.unk = true;
            else
                e->path[rnd(e->n)].unk = true;
        }
        break;
    }
    case N_SPLIT: {
        proof_t a = p, b = p;
        if (p.left && p.right) {
            a.right = NULL;
            b.left = NULL;
            b.nkey = (bs){0};
        } else {
            a.left = a.right = NULL;
            b.nkey = (bs){0};
        }
        bytes = split_encoding(&a, &b);
        have_bytes = true;
        break;
    }
    case N_LONG_LEN:
        bytes = long_length_encoding(pack_proof(&p));
        have_bytes = true;
        break;
    case N_VARIANT: { /* a membership proof for a non-membership question */
        proof_t x = {.variant = 1, .ex = *(p.left ? p.left : p.right)};
        bytes = pack_proof(&x);
        have_bytes = true;
        break;
    }
    case N_SPEC_SWAP:
        spec = other_spec(spec);
        break;
    case N_BITFLIP:
        bytes = bitflip(pack_proof(&p));
        have_bytes = true;
        break;
    case N_TRUNCATE:
        bytes = pack_proof(&p);
        bytes.n = rnd(bytes.n);
        have_bytes = true;
        break;
    case N_TOP_RESHAPE:
    case N_TOP_PREFIX:
    case N_TOP_EXTRA:
    case N_TOP_DROP: {
        /* The same change to the ops both neighbours share (from the root down), root
         * recomputed: the neighbours still agree on it, so only the rules can refuse. */
        ex_t *l = p.left ? palloc(sizeof *l) : NULL, *r = p.right ? palloc(sizeof *r) : NULL;
        if (l)
            *l = ex_copy(p.left);
        if (r)
            *r = ex_copy(p.right);
        ex_t *a = l ? l : r, *b = l && r ? r : NULL;
        size_t shared = 0;
        if (b)
            while (shared < a->n && shared < b->n &&
                   a->path[a->n - 1 - shared].hash == b->path[b->n - 1 - shared].hash &&
                   bs_eq(a->path[a->n - 1 - shared].prefix, b->path[b->n - 1 - shared].prefix) &&
                   bs_eq(a->path[a->n - 1 - shared].suffix, b->path[b->n - 1 - shared].suffix))
                shared++;
        else
            shared = a->n;
        if (m != N_TOP_EXTRA && !shared)
            return;
        size_t j = rnd(shared); /* j-th shared op from the top */
        if (m == N_TOP_RESHAPE) {
            op_reshape(spec, &a->path[a->n - 1 - j], chance(50));
        } else if (m == N_TOP_PREFIX) {
            op_t *o = &a->path[a->n - 1 - j];
            o->prefix = bs_cat(o->prefix, bs_rand(1 + rnd(2)));
        } else if (m == N_TOP_DROP) {
            memmove(&a->path[a->n - 1 - j], &a->path[a->n - j], j * sizeof *a->path);
            a->n--;
            if (b) {
                memmove(&b->path[b->n - 1 - j], &b->path[b->n - j], j * sizeof *b->path);
                b->n--;
            }
        } else { /* 1..3 ops on top, or up to one past the max depth */
            size_t maxd = spec == SP_SMT ? 256 : 128;
            size_t top = b && b->n > a->n ? b->n : a->n;
            size_t add = chance(70) ? 1 + rnd(3) : maxd + 1 - top;
            if (add > maxd + 1 || a->n + add > maxd + 1 || (b && b->n + add > maxd + 1))
                return;
            op_t *grow = palloc((a->n + add) * sizeof *grow);
            memcpy(grow, a->path, a->n * sizeof *grow);
            op_t *growb = b ? palloc((b->n + add) * sizeof *growb) : NULL;
            if (b)
                memcpy(growb, b->path, b->n * sizeof *growb);
            for (size_t x = 0; x < add; x++) {
                op_t o = extra_op(spec, top + x + 1);
                grow[a->n + x] = o;
                if (b)
                    growb[b->n + x] = o;
            }
            a->path = grow;
            a->n += add;
            if (b) {
                b->path = growb;
                b->n += add;
            }
        }
        if (b && m != N_TOP_EXTRA && m != N_TOP_DROP)
            b->path[b->n - 1 - j] = a->path[a->n - 1 - j];
        uint8_t ra[32], rb[32];
        if (!ex_root(a, ra) || (b && (!ex_root(b, rb) || memcmp(ra, rb, 32) != 0)))
            return;
        p.left = l;
        p.right = r;
        emit(spec, false, ra, pack_proof(&p), q, (bs){0}, N_NAMES[m], false);
        return;
    }
    default:
        die("bad mutation %d", m);
    }
    if (!have_bytes)
        bytes = pack_proof(&p);
    emit(spec, false, t->root, bytes, q, (bs){0}, N_NAMES[m], honest);
}

/* ---- batch and compressed batch cases ------------------------------------------------------ */

static const char *const B_NAMES[] = {
    "b_honest",      "b_forged_first", "b_forged_later", "b_no_match",    "b_empty_entry",
    "b_bad_index",   "b_filler_big",   "b_filler_unknown", "b_filler_shape", "b_target_shape",
};
enum {
    B_HONEST, B_FORGED_FIRST, B_FORGED_LATER, B_NO_MATCH, B_EMPTY_ENTRY, B_BAD_INDEX,
    B_FILLER_BIG, B_FILLER_UNK, B_FILLER_SHAPE, B_TARGET_SHAPE, B_N
};
_Static_assert(sizeof B_NAMES / sizeof B_NAMES[0] == B_N, "a name per mutation");

/* The honest non-existence entry for absent key q. */
static entry_t nonexist_entry(const tree *t, bs q)
{
    size_t pos = lower_bound(t, ckey_of(t->spec, q));
    return (entry_t){.kind = 2,
                     .left = pos > 0 ? exist_ptr(t, pos - 1) : NULL,
                     .right = pos < t->n ? exist_ptr(t, pos) : NULL,
                     .nkey = chance(50) ? q : (bs){0}};
}

static entry_t filler_entry(const tree *t)
{
    if (chance(50))
        return (entry_t){.kind = 1, .ex = exist_ptr(t, rnd(t->n))};
    return nonexist_entry(t, absent_key(t));
}

/* A forged version of the target entry, refused by any verifier that checks it. */
static bool forge_entry(const tree *t, entry_t *en, bs q)
{
    if (en->kind == 1) {
        ex_t *e = palloc(sizeof *e);
        *e = ex_copy(en->ex);
        if (e->n) {
            op_t *o = &e->path[rnd(e->n)];
            o->prefix = bs_cat(o->prefix, bs_new("", 0));
            o->prefix.p[rnd(o->prefix.n)] ^= 0x10;
        } else {
            e->value = bs_cat(e->value, bs_new("\x00", 1));
        }
        en->ex = e;
        return true;
    }
    size_t pos = lower_bound(t, ckey_of(t->spec, q));
    if (pos >= 2)
        en->left = exist_ptr(t, pos - 2 - rnd(pos - 1 < 3 ? pos - 1 : 3)); /* non-adjacent */
    else if (pos + 1 < t->n)
        en->right = exist_ptr(t, pos + 1 + rnd(t->n - pos - 1 < 3 ? t->n - pos - 1 : 3));
    else
        return false;
    return true;
}

static void batch_case(const tree *t, int m, bool member)
{
    proof_t p = {.variant = chance(50) ? 3 : 4};
    size_t k = 1 + rnd(5), at = rnd(k + 1);
    p.ent = palloc((k + 3) * sizeof *p.ent);
    bs key, value = {0};
    entry_t target;
    if (member) {
        size_t i = rnd(t->n);
        key = t->keys[i];
        value = t->values[i];
        target = (entry_t){.kind = 1, .ex = exist_ptr(t, i)};
    } else {
        key = absent_key(t);
        target = nonexist_entry(t, key);
    }
    for (size_t i = 0; i < k; i++)
        p.ent[p.n_ent++] = filler_entry(t);
    entry_t *filler = &p.ent[rnd(k)];
    /* the target goes in at `at`, the fillers around it */
    memmove(&p.ent[at + 1], &p.ent[at], (p.n_ent - at) * sizeof *p.ent);
    p.ent[at] = target;
    p.n_ent++;
    if (filler >= &p.ent[at])
        filler++;
    uint8_t root[32];
    memcpy(root, t->root, 32);
    bool honest = false;
    switch (m) {
    case B_HONEST:
        honest = true;
        break;
    case B_FORGED_FIRST:
    case B_FORGED_LATER: {
        entry_t forged = target;
        if (!forge_entry(t, &forged, key))
            return;
        size_t where = m == B_FORGED_FIRST ? at : at + 1;
        memmove(&p.ent[where + 1], &p.ent[where], (p.n_ent - where) * sizeof *p.ent);
        p.ent[where] = forged;
        p.n_ent++;
        break;
    }
    case B_NO_MATCH:
        memmove(&p.ent[at], &p.ent[at + 1], (p.n_ent - at - 1) * sizeof *p.ent);
        p.n_ent--;
        if (!p.n_ent)
            return;
        break;
    case B_EMPTY_ENTRY: {
        size_t where = rnd(p.n_ent + 1);
        memmove(&p.ent[where + 1], &p.ent[where], (p.n_ent - where) * sizeof *p.ent);
        p.ent[where] = (entry_t){.kind = 0};
        p.n_ent++;
        break;
    }
    case B_BAD_INDEX:
        if (p.variant != 4)
            return;
        filler->bad_index = true;
        break;
    case B_FILLER_BIG:
    case B_FILLER_UNK:
    case B_FILLER_SHAPE: {
        ex_t *e = palloc(sizeof *e);
        const ex_t *src = filler->kind == 1 ? filler->ex : filler->left ? filler->left : filler->right;
        *e = ex_copy(src);
        if (m == B_FILLER_BIG) {
            e->key = bs_rand(CW_ICS23_KEY_MAX + 1);
            e->key.p[0] = 0x61;
        } else if (m == B_FILLER_UNK) {
            e->unk = true;
        } else {
            if (!e->n)
                return;
            op_reshape(t->spec, &e->path[rnd(e->n)], chance(50));
        }
        if (filler->kind == 1)
            filler->ex = e;
        else if (filler->left == src)
            filler->left = e;
        else
            filler->right = e;
        break;
    }
    case B_TARGET_SHAPE: { /* membership: the verified entry misshapen, root recomputed */
        if (!member || !target.ex->n)
            return;
        ex_t *e = palloc(sizeof *e);
        *e = ex_copy(target.ex);
        op_reshape(t->spec, &e->path[rnd(e->n)], chance(50));
        if (!ex_root(e, root))
            return;
        p.ent[at].ex = e;
        break;
    }
    default:
        die("bad mutation %d", m);
    }
    emit(t->spec, member, root, pack_proof(&p), key, value,
         B_NAMES[m], honest);
}

/* One case on tree t: half membership, half non-membership; honest ones often. */
static void one_case(const tree *t)
{
    if (chance(12)) {
        batch_case(t, chance(20) ? B_HONEST : (int)rnd(B_N), chance(50));
        return;
    }
    if (chance(50)) {
        int m = chance(15) ? M_HONEST : (int)rnd(M_N);
        if ((m == M_BIG_VALUE || m == M_DEPTH_MAX || m == M_DEPTH_OVER) && chance(70))
            m = M_HONEST; /* big cases: fewer of them */
        membership_case(t, m);
    } else {
        int m = chance(15) ? N_HONEST : (int)rnd(N_N);
        non_membership_case(t, m);
    }
}

static void gen_built(int spec, size_t target)
{
    while (g_count[spec] < target) {
        size_t before = g_nrecs;
        tree *t = new_built_tree(spec);
        for (int k = 0; k < 60 && g_nrecs - before + g_count[spec] < target; k++)
            one_case(t);
        g_count[spec] += g_nrecs - before;
        pool_reset();
    }
}

/* SMT: the chain's store at versions of growing size, one LMDB env in a temp dir. */
static void gen_smt(size_t target)
{
    static const size_t sizes[] = {1, 2, 3, 5, 9, 17, 40, 100, 300, 1000, 2500};
    const size_t nver = sizeof sizes / sizeof sizes[0];
    char err[256];
    MDB_txn *txn;
    smt_env_open();
    /* keys and values live outside the pool: every version keeps the earlier keys */
    size_t cap = sizes[nver - 1];
    bs *keys = calloc(cap, sizeof *keys), *values = calloc(cap, sizeof *values);
    if (!keys || !values)
        die("out of memory");
    size_t have = 0;
    for (size_t v = 0; v < nver; v++) {
        if (mdb_txn_begin(g_env, NULL, 0, &txn))
            die("mdb_txn_begin");
        while (have < sizes[v]) {
            size_t kn = 4 + rnd(29), vn = 1 + rnd(40);
            keys[have] = (bs){malloc(kn), kn};
            values[have] = (bs){malloc(vn), vn};
            if (!keys[have].p || !values[have].p)
                die("out of memory");
            for (size_t i = 0; i < kn; i++)
                keys[have].p[i] = (uint8_t)rnd64();
            for (size_t i = 0; i < vn; i++)
                values[have].p[i] = (uint8_t)rnd64();
            if (cw_smt_set(g_smt, keys[have].p, kn, values[have].p, vn, err, sizeof err) !=
                CW_OK)
                die("smt set: %s", err);
            have++;
        }
        uint8_t root[32];
        if (cw_smt_commit(g_smt, txn, v + 1, root, err, sizeof err) != CW_OK ||
            mdb_txn_commit(txn))
            die("smt commit: %s", err);
        size_t quota = (target - g_count[SP_SMT]) / (nver - v);
        size_t before = g_nrecs;
        tree *t = smt_tree_at(v + 1, root, keys, values, have);
        while (g_nrecs - before < quota)
            one_case(t);
        g_count[SP_SMT] += g_nrecs - before;
        pool_reset();
    }
    for (size_t i = 0; i < have; i++) {
        free(keys[i].p);
        free(values[i].p);
    }
    free(keys);
    free(values);
    cw_smt_close(g_smt);
    mdb_env_close(g_env);
}

/* ---- the public vectors as seeds ------------------------------------------------------------ */

/* The cosmos/ics23 test data ($CW_SHARED/vectors/ics23, read at run time, never copied): each
 * proof (18 single, 6 batch files of 20 items) verbatim, and forged from it: bytes flipped or
 * cut, the encodings made non-canonical, the spec or the question changed, and — on the
 * decoded proof — ops reshaped with the root recomputed, neighbours dropped or swapped. */

static bs jhex(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    const char *h = v && json_is_string(v) ? json_string_value(v) : "";
    size_t n = strlen(h), got = 0;
    char err[128];
    bs b = {palloc(n / 2 + 1), 0};
    if (cw_hex_decode(b.p, n / 2 + 1, &got, h, n, err, sizeof err) != CW_OK)
        die("vector: field %s: %s", k, err);
    b.n = got;
    return b;
}

static size_t g_vec_cases;

static void vemit(int spec, bool member, const uint8_t root[32], bs proof, bs key, bs value,
                  const char *mut, bool honest)
{
    emit(spec, member, root, proof, key, value, mut, honest);
    g_vec_cases++;
}

static void vector_cases(int spec, bool member, const uint8_t root[32], bs proof, bs key,
                         bs value)
{
    vemit(spec, member, root, proof, key, value, "v_honest", true);
    for (int i = 0; i < 40; i++)
        vemit(spec, member, root, bitflip(proof), key, value, "v_bitflip", false);
    for (int i = 0; i < 5; i++)
        vemit(spec, member, root, (bs){proof.p, rnd(proof.n)}, key, value, "v_truncate", false);
    vemit(spec, member, root, long_length_encoding(proof), key, value, "v_long_length", false);
    vemit(spec, member, root, bs_cat(proof, bs_new("\x78\x01", 2)), key, value, "v_unknown",
          false);
    vemit(other_spec(spec), member, root, proof, key, value, "v_spec_swap", false);
    vemit(spec, !member, root, proof, key, value, "v_question_swap", false);
    if (member) {
        vemit(spec, true, root, proof, key, bs_cat(value, bs_new("\x00", 1)), "v_wrong_value",
              false);
        vemit(spec, true, root, proof, bs_cat(key, bs_new("\x00", 1)), value, "v_wrong_key",
              false);
    }
    pb_proof *pb = cw__ics23__commitment_proof__unpack(NULL, proof.n, proof.p);
    if (!pb)
        die("vector: a %s proof does not decode", SPEC_NAME[spec]);
    proof_t p = {0};
    ex_t *l = NULL, *r = NULL;
    if (pb->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST) {
        p.variant = 1;
        ex_from_pb(&p.ex, pb->exist);
    } else if (pb->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_NONEXIST) {
        p.variant = 2;
        p.nkey = bs_new(pb->nonexist->key.data, pb->nonexist->key.len);
        if (pb->nonexist->left)
            ex_from_pb(l = palloc(sizeof *l), pb->nonexist->left);
        if (pb->nonexist->right)
            ex_from_pb(r = palloc(sizeof *r), pb->nonexist->right);
    }
    cw__ics23__commitment_proof__free_unpacked(pb, NULL);
    if (p.variant == 1 && p.ex.n) { /* one op misshapen, root recomputed */
        for (int i = 0; i < 4; i++) {
            proof_t q = p;
            q.ex = ex_copy(&p.ex);
            op_reshape(spec, &q.ex.path[rnd(q.ex.n)], i & 1);
            uint8_t r2[32];
            if (ex_root(&q.ex, r2))
                vemit(spec, true, r2, pack_proof(&q), key, value, "v_op_reshape", false);
        }
    }
    if (p.variant == 2) {
        proof_t q = p;
        if (l && r) {
            q.left = r, q.right = l;
            vemit(spec, false, root, pack_proof(&q), key, value, "v_swap", false);
            q.left = l, q.right = NULL;
            vemit(spec, false, root, pack_proof(&q), key, value, "v_drop_right", false);
            q.left = NULL, q.right = r;
            vemit(spec, false, root, pack_proof(&q), key, value, "v_drop_left", false);
        }
        q.left = l, q.right = r;
        vemit(spec, false, root, pack_proof(&q), (l ? l : r)->key, value, "v_present", false);
        q.unk_non = true;
        vemit(spec, false, root, pack_proof(&q), key, value, "v_unknown", false);
    }
}

static void gen_vectors(const char *dir)
{
    static const char *const kinds[] = {"exist_left",    "exist_middle",    "exist_right",
                                        "nonexist_left", "nonexist_middle", "nonexist_right"};
    static const char hist[] = "historical/90b4eefc0c10ccd6d707965a3c51f185727c99a7/";
    char path[1024];
    json_error_t jerr;
    for (int sp = 0; sp < SP_N; sp++) {
        for (size_t k = 0; k < 8; k++) {
            bool batch = k >= 6, member = batch ? k == 6 : k < 3;
            if (batch)
                snprintf(path, sizeof path, "%s/%stestdata/%s/batch_%s.json", dir, hist,
                         SPEC_NAME[sp], member ? "exist" : "nonexist");
            else
                snprintf(path, sizeof path, "%s/testdata/%s/%s.json", dir, SPEC_NAME[sp],
                         kinds[k]);
            json_t *o = json_load_file(path, 0, &jerr);
            if (!o)
                die("vector %s: %s", path, jerr.text);
            bs root = jhex(o, "root"), proof = jhex(o, "proof");
            if (root.n != 32)
                die("vector %s: root of %zu bytes", path, root.n);
            if (!batch) {
                vector_cases(sp, member, root.p, proof, jhex(o, "key"),
                             member ? jhex(o, "value") : (bs){0});
            } else {
                json_t *items = json_object_get(o, "items");
                for (size_t i = 0; i < json_array_size(items); i++) {
                    json_t *it = json_array_get(items, i);
                    bs key = jhex(it, "key"), value = member ? jhex(it, "value") : (bs){0};
                    vemit(sp, member, root.p, proof, key, value, "v_batch_honest", true);
                    vemit(sp, member, root.p, bitflip(proof), key, value, "v_batch_bitflip",
                          false);
                    if (member)
                        vemit(sp, true, root.p, proof, key, bs_cat(value, bs_new("\x00", 1)),
                              "v_batch_wrong_value", false);
                    else
                        vemit(sp, false, root.p, proof, bs_cat(key, bs_new("\x00", 1)), value,
                              "v_batch_near_key", false);
                }
            }
            json_decref(o);
            pool_reset();
        }
    }
}

/* ---- the allowed list ------------------------------------------------------------------------ */

static bool g_allowed[N_RULES];

static void load_allowed(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open the allowed list %s: %s", path, strerror(errno));
    char line[1024];
    unsigned ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '#' || *s == '\n' || *s == 0)
            continue;
        size_t idlen = strcspn(s, " \t\n");
        const char *reason = s + idlen;
        while (*reason == ' ' || *reason == '\t')
            reason++;
        if (*reason == '\n' || *reason == 0)
            die("%s:%u: rule without a reason", path, ln);
        size_t r;
        for (r = 0; r < N_RULES; r++)
            if (strlen(RULES[r].id) == idlen && strncmp(RULES[r].id, s, idlen) == 0)
                break;
        if (r == N_RULES)
            die("%s:%u: unknown rule '%.*s' (no predicate for it in ics23_diff.c)", path, ln,
                (int)idlen, s);
        if (g_allowed[r])
            die("%s:%u: rule '%s' listed twice", path, ln, RULES[r].id);
        g_allowed[r] = true;
    }
    fclose(f);
}

/* ---- main ----------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *oracle = NULL, *allowed = NULL, *keep = NULL, *vectors = NULL;
    bool verbose = false;
    uint64_t seed = 1;
    size_t target = 12000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--oracle") && i + 1 < argc)
            oracle = argv[++i];
        else if (!strcmp(argv[i], "--allowed") && i + 1 < argc)
            allowed = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--cases") && i + 1 < argc)
            target = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--keep-corpus") && i + 1 < argc)
            keep = argv[++i];
        else if (!strcmp(argv[i], "--vectors") && i + 1 < argc)
            vectors = argv[++i];
        else if (!strcmp(argv[i], "--by-mutation"))
            verbose = true;
        else
            die("usage: ics23_diff --oracle BIN --allowed FILE [--seed N] [--cases N] "
                "[--keep-corpus PATH] [--vectors DIR] [--by-mutation]");
    }
    if (!oracle || !allowed)
        die("--oracle and --allowed are required");
    load_allowed(allowed);
    g_rng = seed;

    char corpus[] = "/tmp/cw_ics23_corpus.XXXXXX", verdicts[] = "/tmp/cw_ics23_verdicts.XXXXXX";
    int fd = mkstemp(corpus), vfd = mkstemp(verdicts);
    if (fd < 0 || vfd < 0)
        die("mkstemp: %s", strerror(errno));
    close(vfd);
    g_corpus = fdopen(fd, "w");
    if (!g_corpus)
        die("fdopen: %s", strerror(errno));
    gen_built(SP_IAVL, target);
    gen_built(SP_TM, target);
    gen_smt(target);
    if (vectors)
        gen_vectors(vectors);
    if (fclose(g_corpus))
        die("writing the corpus: %s", strerror(errno));

    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' < '%s' > '%s'", oracle, corpus, verdicts);
    int st = system(cmd);
    if (st != 0)
        die("the oracle failed (%s: status %d)", oracle, st);
    FILE *vf = fopen(verdicts, "r");
    if (!vf)
        die("open %s: %s", verdicts, strerror(errno));

    size_t cases[SP_N] = {0}, honest[SP_N] = {0}, both_ok[SP_N] = {0}, both_no[SP_N] = {0},
           listed[SP_N] = {0}, unlisted[SP_N] = {0}, panics[SP_N] = {0};
    size_t per_rule[SP_N][N_RULES] = {{0}}, rule_total[N_RULES] = {0}, bad = 0;
    /* --by-mutation: per mutation name, both accept / both refuse / listed / unlisted */
    const char *mname[M_N + N_N + B_N + 32];
    size_t mstat[M_N + N_N + B_N + 32][4] = {{0}}, nm = 0;
    for (size_t i = 0; i < g_nrecs; i++) {
        const rec *r = &g_recs[i];
        char line[16];
        if (!fgets(line, sizeof line, vf))
            die("the oracle gave %zu verdicts for %zu cases", i, g_nrecs);
        char v = line[0];
        if (v != '1' && v != '0' && v != 'D' && v != 'P')
            die("oracle verdict %zu: '%c'", i + 1, v);
        int s = r->spec;
        cases[s]++;
        honest[s] += r->honest;
        panics[s] += v == 'P';
        bool ours = r->rc == CW_OK, theirs = v == '1';
        size_t mi;
        for (mi = 0; mi < nm && strcmp(mname[mi], r->mut) != 0; mi++)
            ;
        if (mi == nm)
            mname[nm++] = r->mut;
        if (r->honest && !theirs) {
            printf("    GENERATOR: case %zu (%s %s) is honest but the oracle refused it (%c)\n",
                   i + 1, SPEC_NAME[s], r->mut, v);
            bad++;
        }
        if (ours == theirs) {
            (ours ? both_ok : both_no)[s]++;
            mstat[mi][ours ? 0 : 1]++;
            continue;
        }
        size_t k = N_RULES;
        if (!ours)
            for (k = 0; k < N_RULES; k++)
                if (g_allowed[k] && (r->preds & RULES[k].pred) && r->rc == RULES[k].rc &&
                    strstr(r->err, RULES[k].needle))
                    break;
        if (k < N_RULES) {
            listed[s]++;
            per_rule[s][k]++;
            rule_total[k]++;
            mstat[mi][2]++;
            continue;
        }
        mstat[mi][3]++;
        unlisted[s]++;
        bad++;
        if (unlisted[s] <= 20)
            printf("    UNLISTED: case %zu %s %s %s: ours %s%s%s, oracle %s\n", i + 1,
                   SPEC_NAME[s], r->member ? "membership" : "non-membership", r->mut,
                   ours ? "accepts" : cw_strerror(r->rc), ours ? "" : " ", r->err,
                   v == '1' ? "accepts" : v == 'D' ? "refuses (does not decode)"
                                        : v == 'P' ? "refuses (panics)" : "refuses");
    }
    if (fgets(cmd, sizeof cmd, vf))
        die("the oracle gave more verdicts than there are cases");
    fclose(vf);
    for (int s = 0; s < SP_N; s++) {
        char rules[512] = "";
        size_t o = 0;
        for (size_t k = 0; k < N_RULES; k++)
            if (per_rule[s][k] && o < sizeof rules)
                o += (size_t)snprintf(rules + o, sizeof rules - o, "%s%s %zu", o ? ", " : "",
                                      RULES[k].id, per_rule[s][k]);
        printf("  ics23 oracle %-10s %5zu cases (%zu honest): agree %zu (%zu both accept, %zu "
               "both refuse%s), listed %zu (%s), unlisted %zu\n",
               SPEC_NAME[s], cases[s], honest[s], both_ok[s] + both_no[s], both_ok[s],
               both_no[s], panics[s] ? ", oracle panics counted as refusals" : "", listed[s],
               o ? rules : "none", unlisted[s]);
        if (panics[s])
            printf("  ics23 oracle %-10s the oracle panicked on %zu cases (refusals)\n",
                   SPEC_NAME[s], panics[s]);
    }
    if (verbose) {
        printf("  %-18s %8s %8s %8s %8s\n", "mutation", "both-ok", "both-no", "listed",
               "unlisted");
        for (size_t i = 0; i < nm; i++)
            printf("  %-18s %8zu %8zu %8zu %8zu\n", mname[i], mstat[i][0], mstat[i][1],
                   mstat[i][2], mstat[i][3]);
    }
    bad += g_inconsistent;
    for (size_t k = 0; k < N_RULES; k++)
        if (g_allowed[k] && rule_total[k] == 0) {
            printf("    STALE: listed rule %s matched no disagreement (the corpus must "
                   "exercise every listed rule)\n",
                   RULES[k].id);
            bad++;
        }
    if (keep) {
        char mv[4200];
        snprintf(mv, sizeof mv, "cp '%s' '%s'", corpus, keep);
        if (system(mv) != 0)
            fprintf(stderr, "ics23_diff: could not keep the corpus at %s\n", keep);
    }
    unlink(corpus);
    unlink(verdicts);
    /* the key forgery check, visible: non-membership with non-adjacent neighbours */
    size_t nonadj = 0, nonadj_refused = 0;
    for (size_t i = 0; i < nm; i++)
        if (!strncmp(mname[i], "n_nonadj", 8) || !strcmp(mname[i], "n_present")) {
            nonadj += mstat[i][0] + mstat[i][1] + mstat[i][2] + mstat[i][3];
            nonadj_refused += mstat[i][1];
        }
    printf("  ics23 oracle: non-adjacent neighbour forgeries (n_nonadj_*, n_present): %zu, "
           "refused by both %zu\n",
           nonadj, nonadj_refused);
    if (vectors)
        printf("  ics23 oracle: %zu of the cases come from the public vectors in %s (counted "
               "above)\n", g_vec_cases, vectors);
    else
        printf("  ics23 oracle: no --vectors: the public vectors were not used\n");
    printf("  ics23 oracle: seed %llu, %zu cases, %s\n", (unsigned long long)seed, g_nrecs,
           bad ? "FAILED" : "every disagreement is a listed rule");
    free(g_recs);
    free(g_pool);
    return bad ? 1 : 0;
}
