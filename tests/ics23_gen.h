/* ICS-23 proof generator shared by the oracle differential (tests/oracle/ics23_diff.c) and
 * the structure-aware fuzzer (tests/fuzz/fuzz_ics23_struct.c): proofs as plain data (ops,
 * leaves, existence proofs, batch entries) packed with protobuf-c; a root computation of
 * its own (SHA-256 through common/hash.c); IAVL- and Tendermint-shaped trees built here
 * and SMT proofs from the chain's prover (chain/smt.c, g_env/g_smt set by the includer).
 * Randomness is splitmix64 from g_rng (the oracle seeds it from --seed, the fuzzer from
 * its input). Memory comes from a pool (palloc) freed by pool_reset / pool_reset_to.
 * Header-only, everything static: include it once per program. Define ICS23_GEN_PROG (the
 * name die() prints) before including. */
#ifndef CW_TESTS_ICS23_GEN_H
#define CW_TESTS_ICS23_GEN_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "causeway/error.h"
#include "causeway/hash.h"
#include "causeway/ics23.h"
#include "causeway/smt.h"
#include "ics23.pb-c.h"

#ifndef ICS23_GEN_PROG
#define ICS23_GEN_PROG "ics23_gen"
#endif
/* not every program uses every helper */
#define GEN_STATIC static __attribute__((unused))

typedef Cw__Ics23__CommitmentProof pb_proof;
typedef Cw__Ics23__ExistenceProof pb_exist;
typedef Cw__Ics23__NonExistenceProof pb_nonexist;
typedef Cw__Ics23__LeafOp pb_leaf;
typedef Cw__Ics23__InnerOp pb_inner;

enum { SP_IAVL, SP_TM, SP_SMT, SP_N };
GEN_STATIC const char *const SPEC_NAME[SP_N] = {"iavl", "tendermint", "smt"};

GEN_STATIC void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
GEN_STATIC void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(ICS23_GEN_PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* ---- random numbers (splitmix64: deterministic from the seed) ----------------------------- */

GEN_STATIC uint64_t g_rng;
GEN_STATIC uint64_t rnd64(void)
{
    uint64_t z = (g_rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
GEN_STATIC size_t rnd(size_t n) { return n ? (size_t)(rnd64() % n) : 0; }
GEN_STATIC bool chance(unsigned pct) { return rnd(100) < pct; }

/* ---- a pool of allocations, freed per tree ------------------------------------------------- */

GEN_STATIC void **g_pool;
GEN_STATIC size_t g_npool, g_cpool;
GEN_STATIC void *palloc(size_t n)
{
    if (g_npool == g_cpool) {
        g_cpool = g_cpool ? 2 * g_cpool : 4096;
        g_pool = realloc(g_pool, g_cpool * sizeof *g_pool);
        if (!g_pool)
            die("out of memory");
    }
    void *p = calloc(1, n ? n : 1);
    if (!p)
        die("out of memory");
    return g_pool[g_npool++] = p;
}
/* Free the allocations made since the pool held `mark` of them (0: all). */
GEN_STATIC void pool_reset_to(size_t mark)
{
    for (size_t i = mark; i < g_npool; i++)
        free(g_pool[i]);
    g_npool = mark;
}
GEN_STATIC void pool_reset(void) { pool_reset_to(0); }

typedef struct bs {
    uint8_t *p;
    size_t n;
} bs;

GEN_STATIC bs bs_new(const void *d, size_t n)
{
    bs b = {palloc(n), n};
    if (n)
        memcpy(b.p, d, n);
    return b;
}
GEN_STATIC bs bs_cat(bs a, bs b)
{
    bs c = {palloc(a.n + b.n), a.n + b.n};
    if (a.n)
        memcpy(c.p, a.p, a.n);
    if (b.n)
        memcpy(c.p + a.n, b.p, b.n);
    return c;
}
GEN_STATIC bs bs_rand(size_t n)
{
    bs b = {palloc(n), n};
    for (size_t i = 0; i < n; i++)
        b.p[i] = (uint8_t)rnd64();
    return b;
}
GEN_STATIC int bs_cmp(bs a, bs b) /* unsigned lexicographic, a proper prefix first */
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    return c ? c : a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}
GEN_STATIC bool bs_eq(bs a, bs b) { return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0); }

/* unsigned LEB128 (protobuf varint), as the IAVL and VAR_PROTO encodings use */
GEN_STATIC bs uvarint(uint64_t x)
{
    uint8_t b[10];
    size_t n = 0;
    do {
        b[n++] = (uint8_t)((x & 0x7f) | (x > 0x7f ? 0x80 : 0));
        x >>= 7;
    } while (x);
    return bs_new(b, n);
}
GEN_STATIC bs zvarint(int64_t x) { return uvarint(((uint64_t)x << 1) ^ (uint64_t)(x >> 63)); }

/* ---- proofs as plain data (mutated freely, then packed with protobuf-c) -------------------- */

typedef struct op_t {
    int hash;
    bs prefix, suffix;
    bool unk; /* carry an unknown field */
} op_t;

typedef struct leaf_t {
    int hash, pk, pv, len;
    bs prefix;
    bool unk;
} leaf_t;

typedef struct ex_t {
    bs key, value;
    bool has_leaf;
    leaf_t leaf;
    size_t n;
    op_t *path; /* leaf to root */
    bool unk;
} ex_t;

/* An entry of a batch (variant 3) or compressed batch (variant 4). */
typedef struct entry_t {
    int kind; /* 0 empty (no variant set), 1 exist, 2 nonexist */
    const ex_t *ex, *left, *right;
    bs nkey;
    bool bad_index; /* compressed: one path index points outside lookup_inners */
} entry_t;

typedef struct proof_t {
    int variant; /* 0 none, 1 exist, 2 nonexist, 3 batch, 4 compressed */
    ex_t ex;     /* variant 1 */
    const ex_t *left, *right;
    bs nkey;
    bool unk_top, unk_non;
    size_t n_ent; /* variants 3, 4 */
    entry_t *ent;
} proof_t;

GEN_STATIC uint8_t g_unk_data[1] = {1};
GEN_STATIC ProtobufCMessageUnknownField g_unk = {
    .tag = 15, .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT, .len = 1, .data = g_unk_data};
GEN_STATIC void add_unknown(ProtobufCMessage *m)
{
    m->n_unknown_fields = 1;
    m->unknown_fields = &g_unk;
}

GEN_STATIC ProtobufCBinaryData pbb(bs b) { return (ProtobufCBinaryData){b.n, b.p}; }

GEN_STATIC pb_leaf *to_pb_leaf(const ex_t *e)
{
    if (!e->has_leaf)
        return NULL;
    pb_leaf *l = palloc(sizeof *l);
    cw__ics23__leaf_op__init(l);
    l->hash = (Cw__Ics23__HashOp)e->leaf.hash;
    l->prehash_key = (Cw__Ics23__HashOp)e->leaf.pk;
    l->prehash_value = (Cw__Ics23__HashOp)e->leaf.pv;
    l->length = (Cw__Ics23__LengthOp)e->leaf.len;
    l->prefix = pbb(e->leaf.prefix);
    if (e->leaf.unk)
        add_unknown(&l->base);
    return l;
}

GEN_STATIC pb_inner *to_pb_op(const op_t *op)
{
    pb_inner *o = palloc(sizeof *o);
    cw__ics23__inner_op__init(o);
    o->hash = (Cw__Ics23__HashOp)op->hash;
    o->prefix = pbb(op->prefix);
    o->suffix = pbb(op->suffix);
    if (op->unk)
        add_unknown(&o->base);
    return o;
}

GEN_STATIC pb_exist *to_pb_ex(const ex_t *e)
{
    pb_exist *x = palloc(sizeof *x);
    cw__ics23__existence_proof__init(x);
    x->key = pbb(e->key);
    x->value = pbb(e->value);
    x->leaf = to_pb_leaf(e);
    x->n_path = e->n;
    x->path = palloc(e->n * sizeof *x->path);
    for (size_t i = 0; i < e->n; i++)
        x->path[i] = to_pb_op(&e->path[i]);
    if (e->unk)
        add_unknown(&x->base);
    return x;
}

GEN_STATIC pb_nonexist *to_pb_non(const ex_t *l, const ex_t *r, bs nkey)
{
    pb_nonexist *n = palloc(sizeof *n);
    cw__ics23__non_existence_proof__init(n);
    n->key = pbb(nkey);
    n->left = l ? to_pb_ex(l) : NULL;
    n->right = r ? to_pb_ex(r) : NULL;
    return n;
}

/* Compression as the Rust crate's compress_exist: each distinct inner op once in
 * lookup_inners, paths as indices. */
typedef struct lookup_t {
    const op_t **ops;
    size_t n, cap;
} lookup_t;

GEN_STATIC int32_t lookup_index(lookup_t *lk, const op_t *op)
{
    for (size_t i = 0; i < lk->n; i++)
        if (lk->ops[i]->hash == op->hash && lk->ops[i]->unk == op->unk &&
            bs_eq(lk->ops[i]->prefix, op->prefix) && bs_eq(lk->ops[i]->suffix, op->suffix))
            return (int32_t)i;
    if (lk->n == lk->cap) {
        lk->cap = lk->cap ? 2 * lk->cap : 64;
        const op_t **grown = palloc(lk->cap * sizeof *grown);
        if (lk->n)
            memcpy(grown, lk->ops, lk->n * sizeof *grown);
        lk->ops = grown;
    }
    lk->ops[lk->n] = op;
    return (int32_t)lk->n++;
}

GEN_STATIC Cw__Ics23__CompressedExistenceProof *to_pb_cex(const ex_t *e, lookup_t *lk, bool bad)
{
    Cw__Ics23__CompressedExistenceProof *x = palloc(sizeof *x);
    cw__ics23__compressed_existence_proof__init(x);
    x->key = pbb(e->key);
    x->value = pbb(e->value);
    x->leaf = to_pb_leaf(e);
    x->n_path = e->n;
    x->path = palloc(e->n * sizeof *x->path);
    for (size_t i = 0; i < e->n; i++)
        x->path[i] = lookup_index(lk, &e->path[i]);
    if (bad) /* out of range: past every index the proof will hold, or negative */
        x->path[rnd(e->n)] = chance(50) ? 1000000 : -1 - (int32_t)rnd(5);
    if (e->unk)
        add_unknown(&x->base);
    return x;
}

GEN_STATIC bs pack_proof(const proof_t *p)
{
    pb_proof c;
    cw__ics23__commitment_proof__init(&c);
    if (p->variant == 1) {
        c.proof_case = CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST;
        c.exist = to_pb_ex(&p->ex);
    } else if (p->variant == 2) {
        pb_nonexist *n = to_pb_non(p->left, p->right, p->nkey);
        if (p->unk_non)
            add_unknown(&n->base);
        c.proof_case = CW__ICS23__COMMITMENT_PROOF__PROOF_NONEXIST;
        c.nonexist = n;
    } else if (p->variant == 3) {
        Cw__Ics23__BatchProof *b = palloc(sizeof *b);
        cw__ics23__batch_proof__init(b);
        b->n_entries = p->n_ent;
        b->entries = palloc(p->n_ent * sizeof *b->entries);
        for (size_t i = 0; i < p->n_ent; i++) {
            const entry_t *en = &p->ent[i];
            Cw__Ics23__BatchEntry *be = palloc(sizeof *be);
            cw__ics23__batch_entry__init(be);
            if (en->kind == 1) {
                be->proof_case = CW__ICS23__BATCH_ENTRY__PROOF_EXIST;
                be->exist = to_pb_ex(en->ex);
            } else if (en->kind == 2) {
                be->proof_case = CW__ICS23__BATCH_ENTRY__PROOF_NONEXIST;
                be->nonexist = to_pb_non(en->left, en->right, en->nkey);
            }
            b->entries[i] = be;
        }
        c.proof_case = CW__ICS23__COMMITMENT_PROOF__PROOF_BATCH;
        c.batch = b;
    } else if (p->variant == 4) {
        Cw__Ics23__CompressedBatchProof *b = palloc(sizeof *b);
        cw__ics23__compressed_batch_proof__init(b);
        lookup_t lk = {0};
        b->n_entries = p->n_ent;
        b->entries = palloc(p->n_ent * sizeof *b->entries);
        for (size_t i = 0; i < p->n_ent; i++) {
            const entry_t *en = &p->ent[i];
            Cw__Ics23__CompressedBatchEntry *be = palloc(sizeof *be);
            cw__ics23__compressed_batch_entry__init(be);
            if (en->kind == 1) {
                be->proof_case = CW__ICS23__COMPRESSED_BATCH_ENTRY__PROOF_EXIST;
                be->exist = to_pb_cex(en->ex, &lk, en->bad_index && en->ex->n);
            } else if (en->kind == 2) {
                Cw__Ics23__CompressedNonExistenceProof *n = palloc(sizeof *n);
                cw__ics23__compressed_non_existence_proof__init(n);
                n->key = pbb(en->nkey);
                bool bad_l = en->bad_index && en->left && en->left->n;
                n->left = en->left ? to_pb_cex(en->left, &lk, bad_l) : NULL;
                n->right = en->right ? to_pb_cex(en->right, &lk,
                                                 en->bad_index && !bad_l && en->right->n)
                                     : NULL;
                be->proof_case = CW__ICS23__COMPRESSED_BATCH_ENTRY__PROOF_NONEXIST;
                be->nonexist = n;
            }
            b->entries[i] = be;
        }
        b->n_lookup_inners = lk.n;
        b->lookup_inners = palloc(lk.n * sizeof *b->lookup_inners);
        for (size_t i = 0; i < lk.n; i++)
            b->lookup_inners[i] = to_pb_op(lk.ops[i]);
        c.proof_case = CW__ICS23__COMMITMENT_PROOF__PROOF_COMPRESSED;
        c.compressed = b;
    }
    if (p->unk_top)
        add_unknown(&c.base);
    size_t len = cw__ics23__commitment_proof__get_packed_size(&c);
    bs out = {palloc(len), len};
    if (cw__ics23__commitment_proof__pack(&c, out.p) != len)
        die("protobuf-c pack size mismatch");
    return out;
}

GEN_STATIC ex_t ex_copy(const ex_t *e)
{
    ex_t c = *e;
    c.path = palloc((e->n + 1) * sizeof *c.path);
    if (e->n)
        memcpy(c.path, e->path, e->n * sizeof *c.path);
    return c;
}

GEN_STATIC void ex_from_pb(ex_t *e, const pb_exist *x)
{
    memset(e, 0, sizeof *e);
    e->key = bs_new(x->key.data, x->key.len);
    e->value = bs_new(x->value.data, x->value.len);
    if (x->leaf) {
        e->has_leaf = true;
        e->leaf = (leaf_t){.hash = x->leaf->hash,
                           .pk = x->leaf->prehash_key,
                           .pv = x->leaf->prehash_value,
                           .len = x->leaf->length,
                           .prefix = bs_new(x->leaf->prefix.data, x->leaf->prefix.len)};
    }
    e->n = x->n_path;
    e->path = palloc((x->n_path + 1) * sizeof *e->path);
    for (size_t i = 0; i < x->n_path; i++)
        e->path[i] = (op_t){.hash = x->path[i]->hash,
                            .prefix = bs_new(x->path[i]->prefix.data, x->path[i]->prefix.len),
                            .suffix = bs_new(x->path[i]->suffix.data, x->path[i]->suffix.len)};
}

/* ---- the generator's own root computation (SHA-256 through common/hash.c) ------------------ */

GEN_STATIC bool prep_leaf_data(int hashop, int lenop, bs d, bs *out)
{
    uint8_t h[32];
    bs x;
    if (d.n == 0)
        return false;
    if (hashop == CW_ICS23_NO_HASH) {
        x = d;
    } else if (hashop == CW_ICS23_SHA256) {
        cw_sha256(h, d.p, d.n);
        x = bs_new(h, 32);
    } else {
        return false;
    }
    if (lenop == CW_ICS23_NO_PREFIX)
        *out = x;
    else if (lenop == CW_ICS23_VAR_PROTO)
        *out = bs_cat(uvarint(x.n), x);
    else
        return false;
    return true;
}

/* false when the proof uses something this generator does not hash (then a forgery keeps the
 * original root, and fails on it, as any root mismatch) */
GEN_STATIC bool ex_root(const ex_t *e, uint8_t out[32])
{
    bs k, v;
    if (!e->has_leaf || e->leaf.hash != CW_ICS23_SHA256 ||
        !prep_leaf_data(e->leaf.pk, e->leaf.len, e->key, &k) ||
        !prep_leaf_data(e->leaf.pv, e->leaf.len, e->value, &v))
        return false;
    cw_bytes lp[3] = {{e->leaf.prefix.p, e->leaf.prefix.n}, {k.p, k.n}, {v.p, v.n}};
    cw_sha256_parts(out, lp, 3);
    for (size_t i = 0; i < e->n; i++) {
        if (e->path[i].hash != CW_ICS23_SHA256)
            return false;
        uint8_t child[32];
        memcpy(child, out, 32);
        cw_bytes ip[3] = {{e->path[i].prefix.p, e->path[i].prefix.n},
                          {child, 32},
                          {e->path[i].suffix.p, e->path[i].suffix.n}};
        cw_sha256_parts(out, ip, 3);
    }
    return true;
}

/* ---- trees ----------------------------------------------------------------------------------- */

typedef struct node {
    int l, r, parent; /* -1 none */
    bool is_left;     /* this node is its parent's left child */
    int height;
    int64_t size, version;
    bs leaf_prefix; /* leaves */
    uint8_t hash[32];
} node;

typedef struct tree {
    int spec;
    size_t n;
    bs *keys, *values, *ckeys; /* sorted by comparison key (ckeys) */
    uint8_t root[32];
    /* IAVL / Tendermint: built here */
    node *nodes;
    size_t nn;
    int *leaf_node;
    /* SMT: proved by chain/smt.c at version */
    uint64_t version;
    /* every leaf's existence proof, when tree_keep_exist built them (else NULL) */
    ex_t *exist;
} tree;

GEN_STATIC MDB_env *g_env;
GEN_STATIC cw_smt *g_smt;

/* g_env: an LMDB env in a temporary directory (unlinked at once: the files live while the
 * process does); g_smt: the chain's SMT opened in it. */
GEN_STATIC void smt_env_open(void)
{
    char dir[] = "/tmp/cw_ics23_gen.XXXXXX", err[256];
    MDB_txn *txn;
    if (!mkdtemp(dir))
        die("mkdtemp: %s", strerror(errno));
    if (mdb_env_create(&g_env) || mdb_env_set_maxdbs(g_env, 8) ||
        mdb_env_set_mapsize(g_env, (size_t)1 << 30) ||
        mdb_env_open(g_env, dir, MDB_NOSYNC, 0600))
        die("lmdb env in %s", dir);
    char path[96];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
    if (mdb_txn_begin(g_env, NULL, 0, &txn) ||
        cw_smt_open(&g_smt, g_env, txn, 1000, err, sizeof err) != CW_OK || mdb_txn_commit(txn))
        die("smt open: %s", err);
}

GEN_STATIC leaf_t spec_leaf(int spec, bs prefix)
{
    if (spec == SP_SMT)
        return (leaf_t){CW_ICS23_SHA256, CW_ICS23_SHA256, CW_ICS23_SHA256, CW_ICS23_NO_PREFIX,
                        prefix, false};
    return (leaf_t){CW_ICS23_SHA256, CW_ICS23_NO_HASH, CW_ICS23_SHA256, CW_ICS23_VAR_PROTO,
                    prefix, false};
}

GEN_STATIC bs iavl_hsv(int64_t height, int64_t size, int64_t version)
{
    return bs_cat(bs_cat(zvarint(height), zvarint(size)), zvarint(version));
}

GEN_STATIC int build(tree *t, size_t lo, size_t hi)
{
    int id = (int)t->nn++;
    node *nd = &t->nodes[id];
    nd->l = nd->r = nd->parent = -1;
    nd->version = chance(10) ? (int64_t)(1 + rnd(1u << 22)) : (int64_t)(1 + rnd(1000));
    if (hi - lo == 1) {
        nd->height = 0;
        nd->size = 1;
        bs pre = t->spec == SP_IAVL ? iavl_hsv(0, 1, nd->version) : bs_new("\0", 1);
        nd->leaf_prefix = pre;
        leaf_t lf = spec_leaf(t->spec, pre);
        ex_t e = {.key = t->keys[lo], .value = t->values[lo], .has_leaf = true, .leaf = lf};
        if (!ex_root(&e, nd->hash))
            die("leaf hash");
        t->leaf_node[lo] = id;
        return id;
    }
    size_t cnt = hi - lo, split;
    if (t->spec == SP_TM) { /* largest power of two below cnt (Tendermint's split point) */
        split = 1;
        while (split * 2 < cnt)
            split *= 2;
    } else { /* IAVL: balanced, jittered */
        split = cnt / 2;
        if (cnt > 3 && chance(30))
            split += chance(50) ? 1 : (size_t)-1;
    }
    int l = build(t, lo, lo + split), r = build(t, lo + split, hi);
    nd = &t->nodes[id];
    nd->l = l;
    nd->r = r;
    t->nodes[l].parent = t->nodes[r].parent = id;
    t->nodes[l].is_left = true;
    nd->height = 1 + (t->nodes[l].height > t->nodes[r].height ? t->nodes[l].height
                                                               : t->nodes[r].height);
    nd->size = t->nodes[l].size + t->nodes[r].size;
    if (t->spec == SP_IAVL) {
        bs hsv = iavl_hsv(nd->height, nd->size, nd->version);
        cw_bytes parts[5] = {{hsv.p, hsv.n}, {(const uint8_t *)"\x20", 1},
                             {t->nodes[l].hash, 32}, {(const uint8_t *)"\x20", 1},
                             {t->nodes[r].hash, 32}};
        cw_sha256_parts(nd->hash, parts, 5);
    } else {
        cw_bytes parts[3] = {{(const uint8_t *)"\x01", 1}, {t->nodes[l].hash, 32},
                             {t->nodes[r].hash, 32}};
        cw_sha256_parts(nd->hash, parts, 3);
    }
    return id;
}

/* The inner op of `nd` for a path through child `c` (left-step if c is its left child). */
GEN_STATIC op_t inner_op(const tree *t, const node *nd, bool child_left)
{
    const uint8_t *sib = child_left ? t->nodes[nd->r].hash : t->nodes[nd->l].hash;
    bs s = bs_new(sib, 32);
    op_t o = {.hash = CW_ICS23_SHA256};
    if (t->spec == SP_IAVL) {
        bs hsv = iavl_hsv(nd->height, nd->size, nd->version);
        bs sp = bs_new("\x20", 1);
        if (child_left) {
            o.prefix = bs_cat(hsv, sp);
            o.suffix = bs_cat(sp, s);
        } else {
            o.prefix = bs_cat(bs_cat(bs_cat(hsv, sp), s), sp);
        }
    } else {
        bs one = bs_new("\x01", 1);
        if (child_left) {
            o.prefix = one;
            o.suffix = s;
        } else {
            o.prefix = bs_cat(one, s);
        }
    }
    return o;
}

GEN_STATIC void smt_unpack_exist(const uint8_t *proof, size_t len, ex_t *out)
{
    pb_proof *p = cw__ics23__commitment_proof__unpack(NULL, len, proof);
    if (!p || p->proof_case != CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST)
        die("smt: cw_smt_prove gave no existence proof for a present key");
    ex_from_pb(out, p->exist);
    cw__ics23__commitment_proof__free_unpacked(p, NULL);
}

GEN_STATIC bs smt_prove(const tree *t, bs key, bool *exists)
{
    MDB_txn *txn;
    uint8_t *proof = NULL;
    size_t len = 0;
    char err[256];
    if (mdb_txn_begin(g_env, NULL, MDB_RDONLY, &txn))
        die("smt: mdb_txn_begin");
    int rc = cw_smt_prove(g_smt, txn, t->version, &proof, &len, exists, key.p, key.n, err,
                          sizeof err);
    mdb_txn_abort(txn);
    if (rc != CW_OK)
        die("smt: cw_smt_prove: %s", err);
    bs b = bs_new(proof, len);
    free(proof);
    return b;
}

/* The existence proof of leaf i (a fresh copy: mutate it freely). */
GEN_STATIC ex_t tree_exist(const tree *t, size_t i)
{
    if (t->exist)
        return ex_copy(&t->exist[i]);
    ex_t e;
    if (t->spec == SP_SMT) {
        bool exists;
        bs b = smt_prove(t, t->keys[i], &exists);
        if (!exists)
            die("smt: a present key proved absent");
        smt_unpack_exist(b.p, b.n, &e);
        return e;
    }
    const node *nd = &t->nodes[t->leaf_node[i]];
    e = (ex_t){.key = t->keys[i], .value = t->values[i], .has_leaf = true,
               .leaf = spec_leaf(t->spec, nd->leaf_prefix)};
    size_t depth = 0;
    for (const node *c = nd; c->parent >= 0; c = &t->nodes[c->parent])
        depth++;
    e.n = depth;
    e.path = palloc((depth + 1) * sizeof *e.path);
    size_t k = 0;
    for (const node *c = nd; c->parent >= 0; c = &t->nodes[c->parent])
        e.path[k++] = inner_op(t, &t->nodes[c->parent], c->is_left);
    return e;
}

GEN_STATIC bs ckey_of(int spec, bs key)
{
    if (spec != SP_SMT)
        return key;
    uint8_t h[32];
    cw_sha256(h, key.p, key.n);
    return bs_new(h, 32);
}

/* Number of leaves whose comparison key is below ck. */
GEN_STATIC size_t lower_bound(const tree *t, bs ck)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (bs_cmp(t->ckeys[mid], ck) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

GEN_STATIC bool tree_has(const tree *t, bs key)
{
    size_t i = lower_bound(t, ckey_of(t->spec, key));
    return i < t->n && bs_eq(t->keys[i], key);
}

/* Keys for the built trees: small alphabets (so keys are often prefixes of each other) or
 * random bytes; the first byte is never 0x00 or 0xff, so [00] and [ff ff] are below and
 * above every key. */
GEN_STATIC bs gen_key(void)
{
    static const uint8_t alpha[] = {0x01, 0x02, 0x30, 0x61, 0x62, 0x7f, 0xfe};
    size_t n;
    bs k;
    if (chance(70)) {
        n = 1 + rnd(12);
        k = (bs){palloc(n), n};
        for (size_t i = 0; i < n; i++)
            k.p[i] = alpha[rnd(sizeof alpha)];
    } else {
        n = 1 + rnd(40);
        k = bs_rand(n);
    }
    k.p[0] = (uint8_t)(1 + k.p[0] % 254);
    return k;
}

GEN_STATIC int cmp_kv(const void *a, const void *b)
{
    const bs *x = a, *y = b;
    return bs_cmp(x[0], y[0]);
}

/* Sort (ckey, key, value) triples by ckey; drop duplicate keys. */
GEN_STATIC void sort_tree_keys(tree *t)
{
    bs *trip = palloc(t->n * 3 * sizeof *trip);
    for (size_t i = 0; i < t->n; i++) {
        trip[3 * i] = ckey_of(t->spec, t->keys[i]);
        trip[3 * i + 1] = t->keys[i];
        trip[3 * i + 2] = t->values[i];
    }
    qsort(trip, t->n, 3 * sizeof *trip, cmp_kv);
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (m && bs_eq(trip[3 * i], t->ckeys[m - 1]))
            continue;
        t->ckeys[m] = trip[3 * i];
        t->keys[m] = trip[3 * i + 1];
        t->values[m] = trip[3 * i + 2];
        m++;
    }
    t->n = m;
}

GEN_STATIC size_t tree_size_draw(void)
{
    unsigned r = (unsigned)rnd(100);
    return r < 5 ? 1 : r < 10 ? 2 : r < 30 ? 3 + rnd(6) : r < 70 ? 9 + rnd(56) : 65 + rnd(336);
}

/* The tree chain/smt.c committed at `version` with root `root`, holding keys[i] -> values[i]
 * (i < have, distinct keys; copied, then sorted by comparison key). */
GEN_STATIC tree *smt_tree_at(uint64_t version, const uint8_t root[32], const bs *keys,
                             const bs *values, size_t have)
{
    tree *t = palloc(sizeof *t);
    t->spec = SP_SMT;
    t->version = version;
    memcpy(t->root, root, 32);
    t->n = have;
    t->keys = palloc(have * sizeof *t->keys);
    t->values = palloc(have * sizeof *t->values);
    t->ckeys = palloc(have * sizeof *t->ckeys);
    memcpy(t->keys, keys, have * sizeof *keys);
    memcpy(t->values, values, have * sizeof *values);
    sort_tree_keys(t);
    if (t->n != have)
        die("smt: duplicate random keys");
    return t;
}

/* An IAVL or Tendermint tree of `want` random keys (fewer if keys repeat). */
GEN_STATIC tree *new_built_tree_n(int spec, size_t want)
{
    tree *t = palloc(sizeof *t);
    t->spec = spec;
    t->keys = palloc(want * sizeof *t->keys);
    t->values = palloc(want * sizeof *t->values);
    t->ckeys = palloc(want * sizeof *t->ckeys);
    for (size_t i = 0; i < want; i++) {
        t->keys[i] = gen_key();
        t->values[i] = bs_rand(1 + rnd(40));
    }
    t->n = want;
    sort_tree_keys(t);
    t->nodes = palloc(2 * t->n * sizeof *t->nodes);
    t->leaf_node = palloc(t->n * sizeof *t->leaf_node);
    int root = build(t, 0, t->n);
    memcpy(t->root, t->nodes[root].hash, 32);
    return t;
}

/* A key not in t (for SMT trees random bytes; else gen_key, or the keys below and above
 * every key). */
GEN_STATIC bs absent_key(const tree *t)
{
    for (;;) {
        bs q;
        if (t->spec == SP_SMT)
            q = bs_rand(1 + rnd(32));
        else if (chance(5))
            q = chance(50) ? bs_new("\x00", 1) : bs_new("\xff\xff", 2);
        else
            q = gen_key();
        if (!tree_has(t, q))
            return q;
    }
}

/* Build every leaf's existence proof once, so that tree_exist (and exist_ptr) return copies
 * of them instead of walking the tree or asking the SMT prover each time. The proofs come
 * from the pool: build them before the mark the caller resets to. */
GEN_STATIC void tree_keep_exist(tree *t)
{
    ex_t *all = palloc(t->n * sizeof *all);
    for (size_t i = 0; i < t->n; i++)
        all[i] = tree_exist(t, i);
    t->exist = all;
}

GEN_STATIC ex_t *exist_ptr(const tree *t, size_t i)
{
    ex_t *e = palloc(sizeof *e);
    *e = tree_exist(t, i);
    return e;
}

GEN_STATIC tree *new_built_tree(int spec) { return new_built_tree_n(spec, tree_size_draw()); }

#endif
