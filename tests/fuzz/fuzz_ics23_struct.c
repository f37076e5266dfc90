/* libFuzzer: structure-aware ICS-23 fuzzing (issue 16). Proofs come from real trees built
 * once per process with the oracle's generator (tests/ics23_gen.h): IAVL- and
 * Tendermint-shaped trees hashed here, and SMT versions proved by the chain's prover
 * (chain/smt.c, which emits placeholders for empty subtrees). The input picks a tree, a
 * question (membership, non-membership, batch or compressed batch of either) and the
 * leaves, then mutates the proof as data: values, keys, ops dropped / repeated / swapped /
 * spliced from another leaf's path, op prefixes, suffixes and hashes, leaf fields and leaf
 * prefix (including moving key bytes into it), neighbours (paired: adjacent, non-adjacent,
 * one side dropped, swapped, two arbitrary leaves, a present key between them), the key
 * asked, unknown fields, and the spec (another built-in one, or min/max depth moved);
 * the generator's own randomness (absent keys) is seeded from the input too.
 *
 * Oracle (what the harness knows about the tree, not what the verifier says):
 *   - an unmutated honest proof asked about its own (key, value) / absent key with the
 *     tree's spec must verify;
 *   - soundness: an accepted membership proof (single or batch) is only ever for
 *     (key, value) pairs that are in the tree at that root; an accepted non-membership
 *     proof only ever for keys absent from the tree.
 * CW_FUZZ_STATS=1 prints at exit how many inputs were honest, forged and refused, forged
 * and accepted (sound: the claim happened to be true), per question.
 * Seeds: tests/fuzz/corpus/fuzz_ics23_struct. */
#include <inttypes.h>

#define ICS23_GEN_PROG "fuzz_ics23_struct"
#include "../ics23_gen.h"
#include "fuzz_reader.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXT 24
static tree *g_trees[MAXT];
static size_t g_ntrees, g_mark;

enum { Q_MEM, Q_NON, Q_BMEM, Q_BNON, NQ };
static const char *const QNAME[NQ] = {"membership", "non-membership", "batch membership",
                                      "batch non-membership"};
static uint64_t g_st[NQ][4]; /* honest ok, forged refused, forged accepted (true claim), runs */

static void print_stats(void)
{
    fprintf(stderr, "fuzz_ics23_struct: per question: runs, honest (verified), forged refused, "
                    "forged accepted (claim true)\n");
    for (int q = 0; q < NQ; q++)
        fprintf(stderr, "  %-22s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n",
                QNAME[q], g_st[q][3], g_st[q][0], g_st[q][1], g_st[q][2]);
}

/* SMT versions of growing size, as the oracle's gen_smt (keys outside the pool) */
static void smt_trees(void)
{
    static const size_t sizes[] = {1, 2, 3, 6, 17, 60};
    char err[256];
    MDB_txn *txn;
    smt_env_open();
    size_t cap = 60, have = 0;
    bs *keys = calloc(cap, sizeof *keys), *values = calloc(cap, sizeof *values);
    if (!keys || !values)
        die("out of memory");
    for (size_t v = 0; v < sizeof sizes / sizeof sizes[0]; v++) {
        if (mdb_txn_begin(g_env, NULL, 0, &txn))
            die("mdb_txn_begin");
        while (have < sizes[v]) {
            keys[have] = bs_rand(4 + rnd(29));
            values[have] = bs_rand(1 + rnd(40));
            if (cw_smt_set(g_smt, keys[have].p, keys[have].n, values[have].p, values[have].n,
                           err, sizeof err) != CW_OK)
                die("smt set: %s", err);
            have++;
        }
        uint8_t root[32];
        if (cw_smt_commit(g_smt, txn, v + 1, root, err, sizeof err) != CW_OK ||
            mdb_txn_commit(txn))
            die("smt commit: %s", err);
        tree *t = smt_tree_at(v + 1, root, keys, values, have);
        g_trees[g_ntrees++] = t;
    }
    free(keys);
    free(values);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const size_t sizes[] = {1, 2, 3, 4, 7, 16, 40, 150};
    g_rng = 0x1623;
    for (int spec = SP_IAVL; spec <= SP_TM; spec++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            g_trees[g_ntrees++] = new_built_tree_n(spec, sizes[i]);
    smt_trees();
    for (size_t k = 0; k < g_ntrees; k++) /* proofs built once, not per input */
        tree_keep_exist(g_trees[k]);
    g_mark = g_npool;
    if (getenv("CW_FUZZ_STATS"))
        atexit(print_stats);
    return 0;
}

/* ---- input reader: fuzz_reader.h ----------------------------------------------------- */

/* ---- mutations of one existence proof ----------------------------------------------- */

static bs bs_mut(bs b, rd *r)
{
    uint8_t how = u8(r), at = u8(r);
    bs c = bs_new(b.p, b.n);
    switch (how % 4) {
    case 0: /* flip a bit */
        if (c.n)
            c.p[at % c.n] ^= (uint8_t)(1u << (how >> 5));
        else
            c = bs_new(&at, 1);
        break;
    case 1: /* truncate */
        c.n = c.n ? at % c.n : 0;
        break;
    case 2: /* append */
        c = bs_cat(c, bs_new(&at, 1));
        break;
    default: /* drop the first byte */
        if (c.n)
            c = bs_new(c.p + 1, c.n - 1);
        break;
    }
    return c;
}

static void path_resize(ex_t *e, size_t n)
{
    op_t *p = palloc((n + 1) * sizeof *p);
    memcpy(p, e->path, (e->n < n ? e->n : n) * sizeof *p);
    e->path = p;
    e->n = n;
}

/* One mutation chosen by the input; returns false when it changed nothing. */
static bool mutate_ex(ex_t *e, const tree *t, rd *r)
{
    uint8_t m = u8(r), a = u8(r), b = u8(r);
    size_t k = e->n ? a % e->n : 0;
    switch (m % 16) {
    case 0:
        e->value = bs_mut(e->value, r);
        return true;
    case 1:
        e->key = bs_mut(e->key, r);
        return true;
    case 2: /* another leaf's key or value with this proof */
        if (b & 1)
            e->key = t->keys[a % t->n];
        else
            e->value = t->values[a % t->n];
        return true;
    case 3: /* drop an op */
        if (!e->n)
            return false;
        {
            op_t *p = palloc(e->n * sizeof *p);
            size_t j = 0;
            for (size_t i = 0; i < e->n; i++)
                if (i != k)
                    p[j++] = e->path[i];
            e->path = p;
            e->n--;
        }
        return true;
    case 4: /* repeat an op (one more layer) */
        if (!e->n)
            return false;
        {
            op_t *p = palloc((e->n + 2) * sizeof *p);
            size_t j = 0;
            for (size_t i = 0; i < e->n; i++) {
                p[j++] = e->path[i];
                if (i == k)
                    p[j++] = e->path[i];
            }
            e->path = p;
            e->n++;
        }
        return true;
    case 5: /* swap two ops */
        if (e->n < 2 || k == b % e->n)
            return false;
        path_resize(e, e->n);
        {
            op_t o = e->path[k];
            e->path[k] = e->path[b % e->n];
            e->path[b % e->n] = o;
        }
        return true;
    case 6:
        if (!e->n)
            return false;
        path_resize(e, e->n);
        e->path[k].prefix = bs_mut(e->path[k].prefix, r);
        return true;
    case 7:
        if (!e->n)
            return false;
        path_resize(e, e->n);
        e->path[k].suffix = bs_mut(e->path[k].suffix, r);
        return true;
    case 8: /* another hash op */
        if (!e->n)
            return false;
        path_resize(e, e->n);
        e->path[k].hash = 1 + b % 9;
        return e->path[k].hash != CW_ICS23_SHA256;
    case 9: /* leaf fields */
        switch (b % 4) {
        case 0:
            e->leaf.hash = a % 10;
            break;
        case 1:
            e->leaf.pk = a % 10;
            break;
        case 2:
            e->leaf.pv = a % 10;
            break;
        default:
            e->leaf.len = a % 9;
            break;
        }
        return true;
    case 10:
        e->leaf.prefix = bs_mut(e->leaf.prefix, r);
        return true;
    case 11: { /* splice: layers from k up taken from another leaf's path */
        ex_t o = tree_exist(t, b % t->n);
        if (o.n == 0 || k >= o.n)
            return false;
        path_resize(e, o.n > e->n ? o.n : e->n);
        for (size_t i = k; i < o.n; i++)
            e->path[i] = o.path[i];
        e->n = o.n;
        return true;
    }
    case 12: { /* move the key's length and first bytes into the leaf prefix */
        if (e->key.n < 2)
            return false;
        size_t j = 1 + a % (e->key.n - 1);
        e->leaf.prefix = bs_cat(bs_cat(e->leaf.prefix, uvarint(e->key.n)), bs_new(e->key.p, j));
        e->key = bs_new(e->key.p + j, e->key.n - j);
        if (b & 1 && e->key.n > 1) /* the next key byte read as the remaining length */
            e->key = bs_new(e->key.p + 1, e->key.n - 1);
        return true;
    }
    case 13: /* move a byte between an op's prefix and suffix */
        if (!e->n)
            return false;
        path_resize(e, e->n);
        if (e->path[k].suffix.n) {
            e->path[k].prefix = bs_cat(e->path[k].prefix, bs_new(e->path[k].suffix.p, 1));
            e->path[k].suffix = bs_new(e->path[k].suffix.p + 1, e->path[k].suffix.n - 1);
        } else if (e->path[k].prefix.n) {
            bs s = e->path[k].prefix;
            e->path[k].suffix = bs_new(s.p + s.n - 1, 1);
            e->path[k].prefix = bs_new(s.p, s.n - 1);
        }
        return true;
    case 14:
        if (e->n && (b & 1)) {
            path_resize(e, e->n);
            e->path[k].unk = true;
        } else if (b & 2) {
            e->leaf.unk = true;
        } else {
            e->unk = true;
        }
        return true;
    default:
        e->has_leaf = false;
        return true;
    }
}

/* 0..3 mutations; returns whether any changed the proof */
static bool mutate_some(ex_t *e, const tree *t, rd *r)
{
    uint8_t n = u8(r) % 8;
    n = n < 4 ? 0 : n - 4; /* half the proofs stay honest */
    bool any = false;
    for (uint8_t i = 0; i < n; i++)
        any |= mutate_ex(e, t, r);
    return any;
}

/* ---- the spec ------------------------------------------------------------------------- */

static cw_ics23_spec g_custom;

/* the tree's spec, or (forged) another built-in one or one with min/max depth moved */
static const cw_ics23_spec *pick_spec(const tree *t, rd *r, size_t depth, bool *changed)
{
    const cw_ics23_spec *own = cw_ics23_spec_by_name(SPEC_NAME[t->spec]);
    uint8_t b = u8(r), a = u8(r);
    *changed = true;
    switch (b % 16) {
    case 0:
        return cw_ics23_spec_by_name(SPEC_NAME[(t->spec + 1 + a % 2) % SP_N]);
    case 1: /* a minimum depth above this proof's depth (or at it) */
        g_custom = *own;
        g_custom.min_depth = (int32_t)depth + (a % 3);
        if (g_custom.min_depth > g_custom.max_depth && g_custom.max_depth)
            g_custom.max_depth = g_custom.min_depth;
        *changed = a % 3 != 0;
        return &g_custom;
    case 2: /* a maximum depth below this proof's depth (or at it) */
        g_custom = *own;
        g_custom.max_depth = (int32_t)depth - (a % 3);
        if (g_custom.max_depth < 1)
            g_custom.max_depth = 1;
        if (g_custom.min_depth > g_custom.max_depth)
            g_custom.min_depth = g_custom.max_depth;
        *changed = a % 3 != 0 || depth == 0;
        return &g_custom;
    default:
        *changed = false;
        return own;
    }
}

static bool has_kv(const tree *t, bs key, bs value)
{
    size_t i = lower_bound(t, ckey_of(t->spec, key));
    return i < t->n && bs_eq(t->keys[i], key) && bs_eq(t->values[i], value);
}

static void verdict(int q, bool honest, bool accepted, bool claim_true, const char *err)
{
    g_st[q][3]++;
    if (honest && !accepted) {
        fprintf(stderr, "%s: an honest proof was refused: %s\n", QNAME[q], err);
        abort();
    }
    if (accepted && !claim_true) {
        fprintf(stderr, "%s: UNSOUND: a proof of a false claim verified\n", QNAME[q]);
        abort();
    }
    g_st[q][honest ? 0 : accepted ? 2 : 1]++;
}

/* ---- the questions -------------------------------------------------------------------- */

static void q_membership(const tree *t, rd *r)
{
    char err[256] = "";
    size_t i = u8(r) % t->n;
    proof_t p = {.variant = 1};
    p.ex = tree_exist(t, i);
    bool forged = mutate_some(&p.ex, t, r);
    bool spec_changed;
    const cw_ics23_spec *spec = pick_spec(t, r, p.ex.n, &spec_changed);
    /* the question: what the proof says, or the tree's pair, or another key */
    bs key = p.ex.key, value = p.ex.value;
    uint8_t ask = u8(r) % 8;
    if (ask == 1) {
        key = t->keys[i];
        value = t->values[i];
    } else if (ask == 2) {
        value = bs_mut(value, r);
        forged = true;
    }
    bs proof = pack_proof(&p);
    int rc = cw_ics23_verify_membership(spec, t->root, proof.p, proof.n, key.p, key.n, value.p,
                                        value.n, err, sizeof err);
    verdict(Q_MEM, !forged && !spec_changed, rc == CW_OK, has_kv(t, key, value), err);
}

static void q_non_membership(const tree *t, rd *r)
{
    char err[256] = "";
    bs q;
    uint8_t how = u8(r);
    if (how % 8 == 7) /* a present key: only a forgery can claim it absent */
        q = t->keys[u8(r) % t->n];
    else
        q = absent_key(t);
    size_t pos = lower_bound(t, ckey_of(t->spec, q));
    const ex_t *l = pos > 0 ? exist_ptr(t, pos - 1) : NULL;
    const ex_t *rr = pos < t->n ? exist_ptr(t, pos) : NULL;
    bool forged = false, honest_smt = false;
    uint8_t a = u8(r), b = u8(r);
    switch (u8(r) % 12) {
    case 0: /* left skips a leaf or more */
        if (pos >= 2) {
            l = exist_ptr(t, a % (pos - 1));
            forged = true;
        }
        break;
    case 1: /* right skips a leaf or more */
        if (pos + 1 < t->n) {
            rr = exist_ptr(t, pos + 1 + a % (t->n - pos - 1));
            forged = true;
        }
        break;
    case 2:
        if (l && rr) {
            rr = NULL;
            forged = true;
        }
        break;
    case 3:
        if (l && rr) {
            l = NULL;
            forged = true;
        }
        break;
    case 4: { /* swapped */
        const ex_t *x = l;
        l = rr;
        rr = x;
        forged = l || rr;
        break;
    }
    case 5: /* any two leaves, in order */
        l = exist_ptr(t, a % t->n);
        rr = exist_ptr(t, b % t->n);
        forged = true;
        break;
    case 6: /* SMT: the chain's prover */
        if (t->spec == SP_SMT && how % 8 != 7)
            honest_smt = true;
        break;
    default:
        break;
    }
    proof_t p = {.variant = 2, .left = l, .right = rr};
    if (u8(r) & 1) { /* mutate a neighbour */
        ex_t *e = palloc(sizeof *e);
        const ex_t *src = (a & 1) ? rr : l;
        if (src) {
            *e = ex_copy(src);
            if (mutate_some(e, t, r)) {
                forged = true;
                if (src == l)
                    p.left = e;
                else
                    p.right = e;
            }
        }
    }
    p.nkey = (b & 1) ? q : (bs){0};
    bool spec_changed;
    size_t depth = l ? l->n : rr ? rr->n : 0;
    const cw_ics23_spec *spec = pick_spec(t, r, depth, &spec_changed);
    spec_changed |= spec == &g_custom; /* two paths, two depths: no honesty claim */
    bs proof;
    if (honest_smt) {
        bool exists;
        proof = smt_prove(t, q, &exists);
        forged = exists;
        if (exists)
            die("smt: an absent key proved present");
    } else {
        proof = pack_proof(&p);
    }
    bs asked = q;
    if (u8(r) % 8 == 1) { /* ask about another key */
        asked = bs_mut(q, r);
        forged = true;
    }
    int rc = cw_ics23_verify_non_membership(spec, t->root, proof.p, proof.n, asked.p, asked.n,
                                            err, sizeof err);
    bool honest = !forged && !spec_changed && how % 8 != 7;
    verdict(Q_NON, honest, rc == CW_OK, !tree_has(t, asked), err);
}

static void q_batch(const tree *t, rd *r, bool member)
{
    char err[256] = "";
    size_t n = 1 + u8(r) % 4;
    proof_t p = {.variant = (u8(r) & 1) ? 4 : 3, .n_ent = n};
    p.ent = palloc(n * sizeof *p.ent);
    cw_ics23_item *items = palloc(n * sizeof *items);
    bool forged = false;
    for (size_t k = 0; k < n; k++) {
        entry_t *en = &p.ent[k];
        if (member) {
            ex_t *e = exist_ptr(t, u8(r) % t->n);
            forged |= mutate_some(e, t, r);
            en->kind = 1;
            en->ex = e;
            items[k] = (cw_ics23_item){e->key.p, e->key.n, e->value.p, e->value.n};
        } else {
            bs q = (u8(r) % 8 == 7) ? t->keys[u8(r) % t->n] : absent_key(t);
            forged |= tree_has(t, q);
            size_t pos = lower_bound(t, ckey_of(t->spec, q));
            en->kind = 2;
            en->left = pos > 0 ? exist_ptr(t, pos - 1) : NULL;
            en->right = pos < t->n ? exist_ptr(t, pos) : NULL;
            uint8_t a = u8(r);
            if (a % 4 == 3 && pos >= 2) { /* non-adjacent left */
                en->left = exist_ptr(t, a % (pos - 1));
                forged = true;
            }
            if (t->spec == SP_SMT)
                forged = true; /* neighbours of hashed keys: no honesty claim */
            items[k] = (cw_ics23_item){q.p, q.n, NULL, 0};
        }
    }
    if (p.variant == 4 && u8(r) % 16 == 0) { /* a path index outside lookup_inners */
        p.ent[0].bad_index = true;
        forged = true;
    }
    bool spec_changed;
    const cw_ics23_spec *spec = pick_spec(t, r, 0, &spec_changed);
    spec_changed = spec_changed && spec != &g_custom; /* depth moves: min 0..2 / max ≥ 1 */
    if (spec == &g_custom)
        forged = true;
    bs proof = pack_proof(&p);
    int rc = member ? cw_ics23_verify_batch_membership(spec, t->root, proof.p, proof.n, items,
                                                       n, err, sizeof err)
                    : cw_ics23_verify_batch_non_membership(spec, t->root, proof.p, proof.n,
                                                           items, n, err, sizeof err);
    bool claim = true;
    for (size_t k = 0; k < n; k++) {
        bs key = {(uint8_t *)items[k].key, items[k].key_len};
        bs value = {(uint8_t *)items[k].value, items[k].value_len};
        claim &= member ? has_kv(t, key, value) : !tree_has(t, key);
    }
    verdict(member ? Q_BMEM : Q_BNON, !forged && !spec_changed, rc == CW_OK, claim, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd r = {data, size};
    uint64_t seed = 0;
    for (int i = 0; i < 4; i++)
        seed = seed << 8 | u8(&r);
    g_rng = seed;
    const tree *t = g_trees[u8(&r) % g_ntrees];
    switch (u8(&r) % NQ) {
    case Q_MEM:
        q_membership(t, &r);
        break;
    case Q_NON:
        q_non_membership(t, &r);
        break;
    case Q_BMEM:
        q_batch(t, &r, true);
        break;
    default:
        q_batch(t, &r, false);
        break;
    }
    pool_reset_to(g_mark);
    return 0;
}
