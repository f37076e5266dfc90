/* Tests for the state store (chain/smt.c): proofs checked by the ICS-23 verifier, roots
 * checked against an independent in-test reference, pruning checked by reachability.
 *
 * CW_SMT_SEEDS (default 3) sets the number of random seeds of the property test; seed 0
 * always uses 10^4 keys. The .c is included to reach the node parser for the
 * reachability check (STYLE: tests may include the .c under test). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

#include "../../chain/smt.c"
#include "causeway/ics23.h"

/* ---- environment helpers ------------------------------------------------------------- */

typedef struct tenv {
    char dir[64];
    MDB_env *env;
    cw_smt *smt;
} tenv;

static void tenv_open_env(tenv *t)
{
    assert_int_equal(mdb_env_create(&t->env), 0);
    assert_int_equal(mdb_env_set_maxdbs(t->env, 8), 0);
    assert_int_equal(mdb_env_set_mapsize(t->env, (size_t)4 << 30), 0);
    /* MDB_NOSYNC: the tests check LMDB commit + reopen, not power loss; no fsync needed */
    assert_int_equal(mdb_env_open(t->env, t->dir, MDB_NOSYNC, 0600), 0);
}

static void tenv_open_smt(tenv *t, uint64_t versions)
{
    MDB_txn *txn;
    char err[256] = "";
    assert_int_equal(mdb_txn_begin(t->env, NULL, 0, &txn), 0);
    int rc = cw_smt_open(&t->smt, t->env, txn, versions, err, sizeof err);
    if (rc != CW_OK)
        fail_msg("cw_smt_open: %s", err);
    assert_int_equal(mdb_txn_commit(txn), 0);
}

static void tenv_init(tenv *t, uint64_t versions)
{
    memset(t, 0, sizeof *t);
    strcpy(t->dir, "/tmp/cw_smt_test.XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    tenv_open_env(t);
    tenv_open_smt(t, versions);
}

static void tenv_close(tenv *t)
{
    cw_smt_close(t->smt);
    t->smt = NULL;
    mdb_env_close(t->env);
    t->env = NULL;
}

static void tenv_fini(tenv *t)
{
    tenv_close(t);
    char p[128];
    snprintf(p, sizeof p, "%s/data.mdb", t->dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", t->dir);
    unlink(p);
    rmdir(t->dir);
}

static MDB_txn *rtxn(tenv *t)
{
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(t->env, NULL, MDB_RDONLY, &txn), 0);
    return txn;
}

static void commit_version(tenv *t, uint64_t version, uint8_t root[32])
{
    MDB_txn *txn;
    char err[256] = "";
    assert_int_equal(mdb_txn_begin(t->env, NULL, 0, &txn), 0);
    int rc = cw_smt_commit(t->smt, txn, version, root, err, sizeof err);
    if (rc != CW_OK)
        fail_msg("commit v%llu: %s (%s)", (unsigned long long)version, err, cw_strerror(rc));
    assert_int_equal(mdb_txn_commit(txn), 0);
}

static void set_kv(tenv *t, const void *k, size_t kl, const void *v, size_t vl)
{
    char err[256] = "";
    int rc = cw_smt_set(t->smt, k, kl, v, vl, err, sizeof err);
    if (rc != CW_OK)
        fail_msg("set: %s", err);
}

static void del_k(tenv *t, const void *k, size_t kl)
{
    char err[256] = "";
    int rc = cw_smt_delete(t->smt, k, kl, err, sizeof err);
    if (rc != CW_OK)
        fail_msg("delete: %s", err);
}

/* Prove key at version and verify the proof: present with value, or absent. */
static void check_proof(tenv *t, MDB_txn *txn, uint64_t version, const void *k, size_t kl,
                        const void *v, size_t vl)
{
    uint8_t root[32], *proof;
    size_t plen;
    bool exists;
    char err[256] = "";
    assert_int_equal(cw_smt_root(t->smt, txn, version, root), CW_OK);
    int rc = cw_smt_prove(t->smt, txn, version, &proof, &plen, &exists, k, kl, err, sizeof err);
    if (rc != CW_OK)
        fail_msg("prove v%llu: %s", (unsigned long long)version, err);
    assert_int_equal(exists, v != NULL);
    if (v)
        rc = cw_ics23_verify_membership(cw_ics23_spec_smt(), root, proof, plen, k, kl, v, vl,
                                        err, sizeof err);
    else
        rc = cw_ics23_verify_non_membership(cw_ics23_spec_smt(), root, proof, plen, k, kl,
                                            err, sizeof err);
    if (rc != CW_OK)
        fail_msg("verify %s v%llu: %s", v ? "membership" : "non-membership",
                 (unsigned long long)version, err);
    /* the opposite claim must not verify */
    if (v)
        rc = cw_ics23_verify_non_membership(cw_ics23_spec_smt(), root, proof, plen, k, kl,
                                            NULL, 0);
    else
        rc = cw_ics23_verify_membership(cw_ics23_spec_smt(), root, proof, plen, k, kl,
                                        (const uint8_t *)"x", 1, NULL, 0);
    assert_int_not_equal(rc, CW_OK);
    bool found;
    const uint8_t *gv;
    size_t gl;
    assert_int_equal(cw_smt_get_at(t->smt, txn, version, &gv, &gl, &found, k, kl), CW_OK);
    assert_int_equal(found, v != NULL);
    if (v) {
        assert_int_equal(gl, vl);
        assert_memory_equal(gv, v, vl);
    }
    free(proof);
}

/* ---- independent reference root ------------------------------------------------------- */

typedef struct rleaf {
    uint8_t path[32];
    uint8_t hash[32];
} rleaf;

static int cmp_rleaf(const void *a, const void *b)
{
    return memcmp(((const rleaf *)a)->path, ((const rleaf *)b)->path, 32);
}

static int rbit(const uint8_t *p, unsigned d) { return (p[d / 8] >> (7 - d % 8)) & 1; }

static void ref_root_rec(const rleaf *l, size_t n, unsigned depth, uint8_t out[32])
{
    if (n == 0) {
        memset(out, 0, 32);
        return;
    }
    if (n == 1) {
        memcpy(out, l[0].hash, 32);
        return;
    }
    size_t m = 0;
    while (m < n && !rbit(l[m].path, depth))
        m++;
    uint8_t a[32], b[32], buf[65];
    ref_root_rec(l, m, depth + 1, a);
    ref_root_rec(l + m, n - m, depth + 1, b);
    buf[0] = 1;
    memcpy(buf + 1, a, 32);
    memcpy(buf + 33, b, 32);
    cw_sha256(out, buf, 65);
}

/* Root of a set of (key, value) pairs, computed from scratch with plain SHA-256 calls. */
static void ref_root(rleaf *leaves, size_t n, uint8_t out[32])
{
    qsort(leaves, n, sizeof *leaves, cmp_rleaf);
    ref_root_rec(leaves, n, 0, out);
}

static void rleaf_make(rleaf *r, const void *k, size_t kl, const void *v, size_t vl)
{
    uint8_t vh[32], buf[65];
    cw_sha256(r->path, k, kl);
    cw_sha256(vh, v, vl);
    buf[0] = 0;
    memcpy(buf + 1, r->path, 32);
    memcpy(buf + 33, vh, 32);
    cw_sha256(r->hash, buf, 65);
}

/* ---- reachability: nodes stored == nodes reachable from retained roots ---------------- */

typedef struct refset {
    uint8_t (*k)[REF_LEN];
    size_t n, cap;
} refset;

static int cmp_ref40(const void *a, const void *b) { return memcmp(a, b, REF_LEN); }

static void reach(tenv *t, MDB_txn *txn, ref r, refset *rs)
{
    if (r.kind == K_EMPTY)
        return;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 1024;
        rs->k = realloc(rs->k, rs->cap * REF_LEN);
        assert_non_null(rs->k);
    }
    ref_encode(rs->k[rs->n++], &r);
    MDB_val v;
    assert_int_equal(node_get(t->smt, txn, &r, &v, NULL, 0), CW_OK);
    if (r.kind == K_INNER) {
        ref l, rr;
        assert_int_equal(parse_inner(&v, &l, &rr, NULL, 0), CW_OK);
        reach(t, txn, l, rs);
        reach(t, txn, rr, rs);
    } else {
        uint8_t h[32];
        leafrec lf;
        assert_int_equal(parse_leaf(&v, &lf, NULL, 0), CW_OK);
        leaf_hash_path(h, lf.path, lf.value, lf.value_len);
        assert_memory_equal(h, r.hash, 32);
    }
}

/* Every node record is reachable from a retained root, and every reachable node exists. */
static void check_no_leak(tenv *t)
{
    MDB_txn *txn = rtxn(t);
    uint64_t oldest, latest;
    refset rs = {0};
    if (cw_smt_versions(t->smt, txn, &oldest, &latest) == CW_OK) {
        for (uint64_t v = oldest; v <= latest; v++) {
            ref r;
            if (root_get(t->smt, txn, v, &r, NULL, 0) == CW_OK)
                reach(t, txn, r, &rs);
        }
    }
    qsort(rs.k, rs.n, REF_LEN, cmp_ref40);
    size_t uniq = 0;
    for (size_t i = 0; i < rs.n; i++)
        if (i == 0 || memcmp(rs.k[i], rs.k[i - 1], REF_LEN) != 0)
            uniq++;
    MDB_stat st;
    assert_int_equal(mdb_stat(txn, t->smt->nodes, &st), 0);
    if (st.ms_entries != uniq)
        fail_msg("stored nodes %zu != reachable %zu", (size_t)st.ms_entries, uniq);
    free(rs.k);
    mdb_txn_abort(txn);
}

/* ---- deterministic data --------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static size_t key_bytes(uint8_t *out, uint32_t i)
{
    /* arbitrary bytes, varied length: a prefix like the chain's plus the index */
    int n = snprintf((char *)out, 64, "bank/acct/%u", i);
    if (i % 3 == 0) {
        out[n++] = 0x00;
        out[n++] = (uint8_t)(i * 7);
    }
    return (size_t)n;
}

static size_t val_bytes(uint8_t *out, uint64_t id)
{
    size_t len = 1 + (size_t)(id % 47);
    uint64_t s = id * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)rng_next(&s);
    return len;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_hash_helpers(void **state)
{
    (void)state;
    rleaf r;
    uint8_t h[32], a[32], b[32], buf[65];
    rleaf_make(&r, "k", 1, "v", 1);
    cw_smt_leaf_hash(h, (const uint8_t *)"k", 1, (const uint8_t *)"v", 1);
    assert_memory_equal(h, r.hash, 32);
    memset(a, 0x11, 32);
    memset(b, 0x22, 32);
    buf[0] = 1;
    memcpy(buf + 1, a, 32);
    memcpy(buf + 33, b, 32);
    cw_sha256(r.hash, buf, 65);
    cw_smt_inner_hash(h, a, b);
    assert_memory_equal(h, r.hash, 32);
}

static void test_bad_args(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 10);
    char err[256];
    uint8_t big[CW_SMT_VALUE_MAX + 1];
    memset(big, 'a', sizeof big);
    assert_int_equal(cw_smt_set(t.smt, NULL, 0, big, 1, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "key"));
    assert_int_equal(cw_smt_set(t.smt, big, CW_SMT_KEY_MAX + 1, big, 1, err, sizeof err),
                     CW_ETOOBIG);
    assert_non_null(strstr(err, "key"));
    assert_int_equal(cw_smt_set(t.smt, big, 1, big, 0, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "value"));
    assert_int_equal(cw_smt_set(t.smt, big, 1, big, CW_SMT_VALUE_MAX + 1, err, sizeof err),
                     CW_ETOOBIG);
    assert_non_null(strstr(err, "value"));
    assert_int_equal(cw_smt_delete(t.smt, big, 0, err, sizeof err), CW_EINVAL);
    /* maxima are accepted and provable */
    set_kv(&t, big, CW_SMT_KEY_MAX, big, CW_SMT_VALUE_MAX);
    set_kv(&t, "a", 1, big, CW_SMT_VALUE_MAX);
    uint8_t root[32];
    commit_version(&t, 5, root);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(t.env, NULL, 0, &txn), 0);
    assert_int_equal(cw_smt_commit(t.smt, txn, 5, root, err, sizeof err), CW_EINVAL);
    assert_int_equal(cw_smt_commit(t.smt, txn, 4, root, err, sizeof err), CW_EINVAL);
    mdb_txn_abort(txn);
    txn = rtxn(&t);
    check_proof(&t, txn, 5, big, CW_SMT_KEY_MAX, big, CW_SMT_VALUE_MAX);
    check_proof(&t, txn, 5, "a", 1, big, CW_SMT_VALUE_MAX);
    check_proof(&t, txn, 5, "b", 1, NULL, 0); /* two big neighbours at most */
    uint8_t *p;
    size_t pl;
    bool ex;
    assert_int_equal(cw_smt_prove(t.smt, txn, 4, &p, &pl, &ex, (const uint8_t *)"a", 1, err,
                                  sizeof err),
                     CW_ENOTFOUND);
    assert_null(p);
    mdb_txn_abort(txn);
    /* a read-only txn cannot commit */
    set_kv(&t, "c", 1, "c", 1);
    txn = rtxn(&t);
    assert_int_equal(cw_smt_commit(t.smt, txn, 6, root, err, sizeof err), -EACCES);
    mdb_txn_abort(txn);
    tenv_fini(&t);
}

static void test_open_errors(void **state)
{
    (void)state;
    tenv t;
    memset(&t, 0, sizeof t);
    strcpy(t.dir, "/tmp/cw_smt_test.XXXXXX");
    assert_non_null(mkdtemp(t.dir));
    tenv_open_env(&t);
    cw_smt *s = (cw_smt *)1;
    char err[256] = "";
    MDB_txn *txn = rtxn(&t);
    /* fresh env, read txn: the databases cannot be created */
    assert_int_equal(cw_smt_open(&s, t.env, txn, 10, err, sizeof err), CW_EINVAL);
    assert_null(s);
    assert_non_null(strstr(err, "write txn"));
    mdb_txn_abort(txn);
    assert_int_equal(mdb_txn_begin(t.env, NULL, 0, &txn), 0);
    assert_int_equal(cw_smt_open(&s, t.env, txn, 0, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "state_versions"));
    mdb_txn_abort(txn);
    /* a store of the layout before the latest-state index is refused, not read wrongly */
    MDB_dbi meta;
    assert_int_equal(mdb_txn_begin(t.env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "smt_meta", MDB_CREATE, &meta), 0);
    MDB_val mk = {6, (void *)"format"}, mv = {1, (void *)"\x01"};
    assert_int_equal(mdb_put(txn, meta, &mk, &mv, 0), 0);
    assert_int_equal(cw_smt_open(&s, t.env, txn, 10, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "older layout"));
    assert_non_null(strstr(err, "format 1"));
    /* and so is one whose index is keyed by SHA256(key) (format 2) */
    mv.mv_data = (void *)"\x02";
    assert_int_equal(mdb_put(txn, meta, &mk, &mv, 0), 0);
    assert_int_equal(cw_smt_open(&s, t.env, txn, 10, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "format 2"));
    mdb_txn_abort(txn);
    tenv_fini(&t);
}

/* The latest-state index holds a key up to 480 bytes as itself and a longer one under its
 * SHA-256: both forms answer cw_smt_get and cw_smt_get_at(latest) like the tree, after
 * sets, overwrites and deletes, and a short key that equals the hashed form's bytes is a
 * different entry. */
static void test_flat_index_key_forms(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 10);
    uint8_t root[32];
    static char k480[480], k481[481], k512[CW_SMT_KEY_MAX], k33[33], k32[32];
    memset(k480, 'a', sizeof k480);
    memset(k481, 'a', sizeof k481);
    memset(k512, 'b', sizeof k512);
    /* raw keys equal to k481's hashed index key, with and without its leading byte */
    k33[0] = 0x01;
    cw_sha256((uint8_t *)k33 + 1, k481, sizeof k481);
    memcpy(k32, k33 + 1, 32);
    struct {
        const char *k;
        size_t n;
    } keys[] = {{k480, sizeof k480}, {k481, sizeof k481}, {k512, sizeof k512},
                {k33, 33},           {k32, 32}};
    const char *vals1[] = {"v480", "v481", "v512", "v33.", "v32."};
    for (int i = 0; i < 5; i++)
        set_kv(&t, keys[i].k, keys[i].n, vals1[i], 4);
    commit_version(&t, 1, root);
    set_kv(&t, k481, sizeof k481, "w481", 4); /* overwrite the long key */
    del_k(&t, k512, sizeof k512);             /* delete another */
    commit_version(&t, 2, root);
    const char *vals2[] = {"v480", "w481", NULL, "v33.", "v32."};
    MDB_txn *txn = rtxn(&t);
    for (int i = 0; i < 5; i++) {
        const uint8_t *v;
        size_t vl;
        bool found;
        assert_int_equal(cw_smt_get(t.smt, txn, &v, &vl, &found, (const uint8_t *)keys[i].k,
                                    keys[i].n),
                         CW_OK);
        assert_int_equal(found, vals2[i] != NULL);
        if (vals2[i]) {
            assert_int_equal(vl, 4);
            assert_memory_equal(v, vals2[i], 4);
        }
        /* the proof, and cw_smt_get_at at version 2 (the latest: the index answers) */
        check_proof(&t, txn, 2, keys[i].k, keys[i].n, vals2[i], vals2[i] ? 4 : 0);
    }
    /* the stored forms: 0x00 || key up to 480 bytes, 0x01 || SHA256(key) above */
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(txn, t.smt->flat, &cur), 0);
    MDB_val k, v;
    size_t raw480 = 0, hashed = 0, raw_short = 0, entries = 0;
    for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op) == 0;
         op = MDB_NEXT) {
        const uint8_t *kb = k.mv_data;
        entries++;
        if (k.mv_size == 481 && kb[0] == 0x00 && memcmp(kb + 1, k480, 480) == 0)
            raw480++;
        else if (k.mv_size == 33 && kb[0] == 0x01 && memcmp(kb + 1, k33 + 1, 32) == 0)
            hashed++; /* k481's: k33 + 1 is SHA256(k481) */
        else if ((k.mv_size == 34 && kb[0] == 0x00 && memcmp(kb + 1, k33, 33) == 0) ||
                 (k.mv_size == 33 && kb[0] == 0x00 && memcmp(kb + 1, k32, 32) == 0))
            raw_short++;
    }
    mdb_cursor_close(cur);
    assert_int_equal(entries, 4); /* k512 was deleted */
    assert_int_equal(raw480, 1);
    assert_int_equal(hashed, 1);
    assert_int_equal(raw_short, 2);
    mdb_txn_abort(txn);
    tenv_fini(&t);
}

static void test_empty_tree(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 10);
    uint8_t root[32], zero[32] = {0};
    MDB_txn *txn = rtxn(&t);
    uint64_t a, b;
    assert_int_equal(cw_smt_versions(t.smt, txn, &a, &b), CW_ENOTFOUND);
    const uint8_t *v;
    size_t vl;
    bool found = true;
    assert_int_equal(cw_smt_get(t.smt, txn, &v, &vl, &found, (const uint8_t *)"k", 1), CW_OK);
    assert_false(found);
    mdb_txn_abort(txn);
    commit_version(&t, 1, root);
    assert_memory_equal(root, zero, 32);
    txn = rtxn(&t);
    assert_int_equal(cw_smt_root(t.smt, txn, 1, root), CW_OK);
    assert_memory_equal(root, zero, 32);
    uint8_t *p;
    size_t pl;
    bool ex;
    char err[256];
    assert_int_equal(cw_smt_prove(t.smt, txn, 1, &p, &pl, &ex, (const uint8_t *)"k", 1, err,
                                  sizeof err),
                     CW_ESTATE);
    assert_int_equal(cw_smt_get_at(t.smt, txn, 1, &v, &vl, &found, (const uint8_t *)"k", 1),
                     CW_OK);
    assert_false(found);
    mdb_txn_abort(txn);
    tenv_fini(&t);
}

static void test_one_key(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 10);
    uint8_t root[32], want[32];
    set_kv(&t, "only", 4, "value", 5);
    commit_version(&t, 1, root);
    cw_smt_leaf_hash(want, (const uint8_t *)"only", 4, (const uint8_t *)"value", 5);
    assert_memory_equal(root, want, 32); /* a lone leaf is the root */
    MDB_txn *txn = rtxn(&t);
    check_proof(&t, txn, 1, "only", 4, "value", 5);
    char k[16];
    for (int i = 0; i < 64; i++) { /* neighbours on both sides */
        snprintf(k, sizeof k, "absent%d", i);
        check_proof(&t, txn, 1, k, strlen(k), NULL, 0);
    }
    mdb_txn_abort(txn);
    tenv_fini(&t);
}

typedef struct hk {
    uint8_t path[32];
    uint32_t i;
} hk;

static int cmp_hk(const void *a, const void *b)
{
    return memcmp(((const hk *)a)->path, ((const hk *)b)->path, 32);
}

static unsigned common_bits(const uint8_t *a, const uint8_t *b)
{
    unsigned d = 0;
    while (d < 256 && rbit(a, d) == rbit(b, d))
        d++;
    return d;
}

static void test_long_common_prefix(void **state)
{
    (void)state;
    /* search for two keys whose SHA-256 share a long prefix */
    enum { N = 1 << 17 };
    hk *h = malloc(N * sizeof *h);
    assert_non_null(h);
    char k[32];
    for (uint32_t i = 0; i < N; i++) {
        snprintf(k, sizeof k, "prefix-search/%u", i);
        cw_sha256(h[i].path, k, strlen(k));
        h[i].i = i;
    }
    qsort(h, N, sizeof *h, cmp_hk);
    unsigned best = 0;
    uint32_t bi = 0, bj = 0;
    for (uint32_t i = 1; i < N; i++) {
        unsigned c = common_bits(h[i - 1].path, h[i].path);
        if (c > best) {
            best = c;
            bi = h[i - 1].i;
            bj = h[i].i;
        }
    }
    free(h);
    assert_true(best >= 28);
    print_message("  two keys sharing %u bits of SHA256: prefix-search/%u, /%u\n", best, bi,
                  bj);
    char ka[32], kb[32];
    snprintf(ka, sizeof ka, "prefix-search/%u", bi);
    snprintf(kb, sizeof kb, "prefix-search/%u", bj);

    tenv t;
    tenv_init(&t, 10);
    uint8_t root[32], want[32];
    set_kv(&t, ka, strlen(ka), "A", 1);
    set_kv(&t, kb, strlen(kb), "B", 1);
    commit_version(&t, 1, root);
    rleaf rl[2];
    rleaf_make(&rl[0], ka, strlen(ka), "A", 1);
    rleaf_make(&rl[1], kb, strlen(kb), "B", 1);
    ref_root(rl, 2, want);
    assert_memory_equal(root, want, 32);
    MDB_txn *txn = rtxn(&t);
    check_proof(&t, txn, 1, ka, strlen(ka), "A", 1);
    check_proof(&t, txn, 1, kb, strlen(kb), "B", 1);
    /* the path has best+1 inner ops: check the encoded proof's op count via its size */
    for (int i = 0; i < 64; i++) {
        snprintf(k, sizeof k, "absent%d", i);
        check_proof(&t, txn, 1, k, strlen(k), NULL, 0);
    }
    mdb_txn_abort(txn);
    /* a third key inside the long shared run's range hangs off the side: still proves */
    set_kv(&t, "third", 5, "C", 1);
    commit_version(&t, 2, root);
    txn = rtxn(&t);
    check_proof(&t, txn, 2, ka, strlen(ka), "A", 1);
    check_proof(&t, txn, 2, "third", 5, "C", 1);
    check_proof(&t, txn, 1, "third", 5, NULL, 0);
    mdb_txn_abort(txn);
    /* delete one: the other moves back up to depth 1 (or 0) */
    del_k(&t, kb, strlen(kb));
    commit_version(&t, 3, root);
    rleaf_make(&rl[0], ka, strlen(ka), "A", 1);
    rleaf_make(&rl[1], "third", 5, "C", 1);
    ref_root(rl, 2, want);
    assert_memory_equal(root, want, 32);
    check_no_leak(&t);
    tenv_fini(&t);
}

static void test_delete_to_empty(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 100);
    uint8_t root[32], zero[32] = {0}, k[64];
    for (uint32_t i = 0; i < 300; i++)
        set_kv(&t, k, key_bytes(k, i), "v", 1);
    commit_version(&t, 1, root);
    for (uint32_t i = 0; i < 300; i += 2)
        del_k(&t, k, key_bytes(k, i));
    commit_version(&t, 2, root);
    for (uint32_t i = 1; i < 300; i += 2)
        del_k(&t, k, key_bytes(k, i));
    del_k(&t, "never", 5); /* absent: no-op */
    commit_version(&t, 3, root);
    assert_memory_equal(root, zero, 32);
    MDB_txn *txn = rtxn(&t);
    check_proof(&t, txn, 1, k, key_bytes(k, 7), "v", 1);
    check_proof(&t, txn, 2, k, key_bytes(k, 7), "v", 1);
    check_proof(&t, txn, 2, k, key_bytes(k, 8), NULL, 0);
    mdb_txn_abort(txn);
    check_no_leak(&t);
    /* and back from empty */
    set_kv(&t, k, key_bytes(k, 7), "v", 1);
    commit_version(&t, 4, root);
    cw_smt_leaf_hash(zero, k, key_bytes(k, 7), (const uint8_t *)"v", 1);
    assert_memory_equal(root, zero, 32);
    check_no_leak(&t);
    tenv_fini(&t);
}

static void test_batch_read_through_and_rollback(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 10);
    uint8_t root1[32], root[32];
    set_kv(&t, "a", 1, "1", 1);
    set_kv(&t, "b", 1, "2", 1);
    commit_version(&t, 1, root1);
    MDB_txn *txn = rtxn(&t);
    const uint8_t *v;
    size_t vl;
    bool found;
    /* tx 1 succeeds */
    set_kv(&t, "a", 1, "10", 2);
    assert_int_equal(cw_smt_get(t.smt, txn, &v, &vl, &found, (const uint8_t *)"a", 1), CW_OK);
    assert_true(found);
    assert_int_equal(vl, 2);
    assert_memory_equal(v, "10", 2);
    /* tx 2 fails: its writes are undone */
    size_t mark = cw_smt_batch_mark(t.smt);
    set_kv(&t, "a", 1, "99", 2);
    del_k(&t, "b", 1);
    set_kv(&t, "c", 1, "3", 1);
    set_kv(&t, "c", 1, "4", 1);
    assert_int_equal(cw_smt_get(t.smt, txn, &v, &vl, &found, (const uint8_t *)"b", 1), CW_OK);
    assert_false(found);
    /* many keys to force table growth across the mark */
    uint8_t k[64];
    for (uint32_t i = 0; i < 500; i++)
        set_kv(&t, k, key_bytes(k, i), "z", 1);
    cw_smt_batch_rollback(t.smt, mark);
    assert_int_equal(cw_smt_batch_mark(t.smt), mark);
    assert_int_equal(cw_smt_get(t.smt, txn, &v, &vl, &found, (const uint8_t *)"a", 1), CW_OK);
    assert_true(found);
    assert_memory_equal(v, "10", 2);
    assert_int_equal(cw_smt_get(t.smt, txn, &v, &vl, &found, (const uint8_t *)"b", 1), CW_OK);
    assert_true(found);
    assert_memory_equal(v, "2", 1);
    assert_int_equal(cw_smt_get(t.smt, txn, &v, &vl, &found, (const uint8_t *)"c", 1), CW_OK);
    assert_false(found);
    assert_int_equal(cw_smt_get(t.smt, txn, &v, &vl, &found, k, key_bytes(k, 3)), CW_OK);
    assert_false(found);
    /* tx 3 re-creates c after the rollback */
    set_kv(&t, "c", 1, "5", 1);
    mdb_txn_abort(txn);
    commit_version(&t, 2, root);
    rleaf rl[3];
    uint8_t want[32];
    rleaf_make(&rl[0], "a", 1, "10", 2);
    rleaf_make(&rl[1], "b", 1, "2", 1);
    rleaf_make(&rl[2], "c", 1, "5", 1);
    ref_root(rl, 3, want);
    assert_memory_equal(root, want, 32);
    /* rollback to 0 empties the batch */
    set_kv(&t, "d", 1, "1", 1);
    cw_smt_batch_rollback(t.smt, 0);
    commit_version(&t, 3, root);
    assert_memory_equal(root, want, 32);
    tenv_fini(&t);
}

static void test_abort_and_discard(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 10);
    uint8_t root1[32], root[32];
    set_kv(&t, "a", 1, "1", 1);
    commit_version(&t, 1, root1);
    MDB_stat st0, st1;
    MDB_txn *txn = rtxn(&t);
    assert_int_equal(mdb_stat(txn, t.smt->nodes, &st0), 0);
    mdb_txn_abort(txn);
    /* commit succeeds inside a txn the caller then aborts: the store is unchanged */
    set_kv(&t, "b", 1, "2", 1);
    char err[256];
    assert_int_equal(mdb_txn_begin(t.env, NULL, 0, &txn), 0);
    assert_int_equal(cw_smt_commit(t.smt, txn, 2, root, err, sizeof err), CW_OK);
    assert_memory_not_equal(root, root1, 32);
    mdb_txn_abort(txn);
    txn = rtxn(&t);
    uint64_t a, b;
    assert_int_equal(cw_smt_versions(t.smt, txn, &a, &b), CW_OK);
    assert_int_equal(b, 1);
    assert_int_equal(cw_smt_root(t.smt, txn, 2, root), CW_ENOTFOUND);
    assert_int_equal(mdb_stat(txn, t.smt->nodes, &st1), 0);
    assert_int_equal(st0.ms_entries, st1.ms_entries);
    mdb_txn_abort(txn);
    /* a commit that fails leaves the batch for a retry; discard drops it */
    set_kv(&t, "c", 1, "3", 1);
    assert_int_equal(mdb_txn_begin(t.env, NULL, 0, &txn), 0);
    assert_int_equal(cw_smt_commit(t.smt, txn, 1, root, err, sizeof err), CW_EINVAL);
    mdb_txn_abort(txn);
    assert_int_equal(cw_smt_batch_mark(t.smt), 1);
    cw_smt_discard(t.smt);
    assert_int_equal(cw_smt_batch_mark(t.smt), 0);
    commit_version(&t, 2, root);
    assert_memory_equal(root, root1, 32); /* empty batch: same root */
    check_no_leak(&t);
    tenv_fini(&t);
}

static void test_durability_reopen(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 10);
    uint8_t root[32], k[64], vb[64];
    uint8_t roots[4][32];
    for (uint64_t ver = 1; ver <= 3; ver++) {
        for (uint32_t i = 0; i < 200; i++)
            set_kv(&t, k, key_bytes(k, i), vb, val_bytes(vb, ver * 1000 + i));
        commit_version(&t, ver, roots[ver]);
    }
    tenv_close(&t);
    tenv_open_env(&t);
    tenv_open_smt(&t, 10);
    MDB_txn *txn = rtxn(&t);
    uint64_t a, b;
    assert_int_equal(cw_smt_versions(t.smt, txn, &a, &b), CW_OK);
    assert_int_equal(a, 1);
    assert_int_equal(b, 3);
    for (uint64_t ver = 1; ver <= 3; ver++) {
        assert_int_equal(cw_smt_root(t.smt, txn, ver, root), CW_OK);
        assert_memory_equal(root, roots[ver], 32);
        for (uint32_t i = 0; i < 200; i += 17)
            check_proof(&t, txn, ver, k, key_bytes(k, i), vb, val_bytes(vb, ver * 1000 + i));
    }
    mdb_txn_abort(txn);
    /* a read-only consumer (e.g. the CLI) can open existing databases with a read txn */
    {
        cw_smt *ro;
        char err[256];
        MDB_txn *r = rtxn(&t);
        assert_int_equal(cw_smt_open(&ro, t.env, r, 10, err, sizeof err), CW_OK);
        assert_int_equal(cw_smt_root(ro, r, 3, root), CW_OK);
        assert_memory_equal(root, roots[3], 32);
        mdb_txn_abort(r);
        cw_smt_close(ro);
    }
    /* and continues committing */
    set_kv(&t, "after", 5, "reopen", 6);
    commit_version(&t, 4, root);
    check_no_leak(&t);
    tenv_fini(&t);
}

/* Keys set back to old values re-create old node hashes; pruning must keep them. */
static void test_recreate_after_prune(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 3);
    uint8_t root[32], k[64];
    uint8_t roots[40][32];
    const char *vals[2] = {"A", "B"};
    for (uint64_t ver = 1; ver < 40; ver++) {
        /* flip between two whole states, so every node of version v is re-created at v+2 */
        for (uint32_t i = 0; i < 64; i++)
            set_kv(&t, k, key_bytes(k, i), vals[(ver + (i % 3 == 0)) % 2], 1);
        if (ver % 5 == 0) /* and sometimes delete then re-create a key */
            del_k(&t, k, key_bytes(k, 1));
        commit_version(&t, ver, roots[ver]);
        check_no_leak(&t);
        MDB_txn *txn = rtxn(&t);
        uint64_t a, b;
        assert_int_equal(cw_smt_versions(t.smt, txn, &a, &b), CW_OK);
        assert_int_equal(b, ver);
        assert_int_equal(a, ver > 3 ? ver - 2 : 1);
        for (uint64_t r = a; r <= b; r++) {
            assert_int_equal(cw_smt_root(t.smt, txn, r, root), CW_OK);
            assert_memory_equal(root, roots[r], 32);
            for (uint32_t i = 0; i < 64; i += 7) {
                if (i == 1 && r % 5 == 0)
                    check_proof(&t, txn, r, k, key_bytes(k, i), NULL, 0);
                else
                    check_proof(&t, txn, r, k, key_bytes(k, i), vals[(r + (i % 3 == 0)) % 2],
                                1);
            }
        }
        for (uint64_t r = 1; r < a; r++) {
            uint8_t *p;
            size_t pl;
            bool ex, found;
            const uint8_t *v;
            size_t vl;
            assert_int_equal(cw_smt_root(t.smt, txn, r, root), CW_ENOTFOUND);
            assert_int_equal(cw_smt_prove(t.smt, txn, r, &p, &pl, &ex, k, key_bytes(k, 2),
                                          NULL, 0),
                             CW_ENOTFOUND);
            assert_int_equal(cw_smt_get_at(t.smt, txn, r, &v, &vl, &found, k, key_bytes(k, 2)),
                             CW_ENOTFOUND);
        }
        mdb_txn_abort(txn);
    }
    assert_memory_equal(roots[10], roots[20], 32); /* the same state, two records each */
    cw_smt_stats st;
    cw_smt_get_stats(t.smt, &st);
    assert_true(st.nodes_pruned > 0);
    assert_int_equal(st.versions_pruned, 39 - 3);
    tenv_fini(&t);
}

/* Every byte of a membership proof matters. */
static void test_proof_mutation(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 10);
    uint8_t root[32], k[64], vb[64];
    for (uint32_t i = 0; i < 100; i++)
        set_kv(&t, k, key_bytes(k, i), vb, val_bytes(vb, i));
    commit_version(&t, 1, root);
    MDB_txn *txn = rtxn(&t);
    uint8_t *p;
    size_t pl;
    bool ex;
    size_t kl = key_bytes(k, 42), vl = val_bytes(vb, 42);
    assert_int_equal(cw_smt_prove(t.smt, txn, 1, &p, &pl, &ex, k, kl, NULL, 0), CW_OK);
    assert_true(ex);
    assert_int_equal(
        cw_ics23_verify_membership(cw_ics23_spec_smt(), root, p, pl, k, kl, vb, vl, NULL, 0),
        CW_OK);
    for (size_t i = 0; i < pl; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            p[i] ^= (uint8_t)(1u << bit);
            assert_int_not_equal(cw_ics23_verify_membership(cw_ics23_spec_smt(), root, p, pl,
                                                            k, kl, vb, vl, NULL, 0),
                                 CW_OK);
            p[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(p);
    /* non-membership: every byte after the (unread) NonExistenceProof.key field */
    const char *absent = "not-there";
    assert_int_equal(cw_smt_prove(t.smt, txn, 1, &p, &pl, &ex, (const uint8_t *)absent, 9,
                                  NULL, 0),
                     CW_OK);
    assert_false(ex);
    /* 0x12 len(varint) 0x0a 0x09 key...: skip tag, length and the key field */
    size_t at = 1;
    while (p[at] & 0x80)
        at++;
    at++;
    assert_int_equal(p[at], 0x0a);
    assert_int_equal(p[at + 1], 9);
    size_t from = at + 2 + 9;
    for (size_t i = from; i < pl; i++) {
        p[i] ^= 0x01;
        assert_int_not_equal(cw_ics23_verify_non_membership(cw_ics23_spec_smt(), root, p, pl,
                                                            (const uint8_t *)absent, 9, NULL,
                                                            0),
                             CW_OK);
        p[i] ^= 0x01;
    }
    free(p);
    mdb_txn_abort(txn);
    tenv_fini(&t);
}

/* The property test: random inserts/updates/deletes over several versions; every root equals
 * the independent reference root of the model, every key's proof verifies at every retained
 * version, pruned versions are gone, nothing leaks; a second store fed the final state in a
 * shuffled order and other batches reaches the same root. */
static void property_seed(uint64_t seed, uint32_t nkeys)
{
    enum { VERSIONS = 8, KEEP = 4 };
    uint64_t s = seed * 0x2545f4914f6cdd1dull + 88172645463325252ull;
    /* model[v][i]: value id of key i at version v, 0 = absent */
    uint64_t *model = calloc((size_t)(VERSIONS + 1) * nkeys, sizeof *model);
    rleaf *rl = malloc(nkeys * sizeof *rl);
    assert_non_null(model);
    assert_non_null(rl);
    tenv t;
    tenv_init(&t, KEEP);
    uint8_t k[64], vb[64], root[32], want[32];
    uint8_t roots[VERSIONS + 1][32];
    for (uint64_t v = 1; v <= VERSIONS; v++) {
        uint64_t *cur = model + v * nkeys, *prev = model + (v - 1) * nkeys;
        memcpy(cur, prev, nkeys * sizeof *cur);
        uint32_t nops = v == 1 ? nkeys - nkeys / 5 : 1 + nkeys / 8;
        for (uint32_t o = 0; o < nops; o++) {
            uint32_t i = (uint32_t)(rng_next(&s) % nkeys);
            uint64_t r = rng_next(&s);
            if (r % 4 == 0) {
                del_k(&t, k, key_bytes(k, i));
                cur[i] = 0;
            } else if (r % 16 == 1 && v >= 3 && model[(v - 2) * nkeys + i]) {
                cur[i] = model[(v - 2) * nkeys + i]; /* back to an older value */
                set_kv(&t, k, key_bytes(k, i), vb, val_bytes(vb, cur[i]));
            } else {
                cur[i] = (r >> 8) | 1;
                set_kv(&t, k, key_bytes(k, i), vb, val_bytes(vb, cur[i]));
            }
        }
        /* a rolled-back tx in every block */
        size_t mark = cw_smt_batch_mark(t.smt);
        for (uint32_t o = 0; o < 20; o++) {
            uint32_t i = (uint32_t)(rng_next(&s) % nkeys);
            if (o % 2)
                del_k(&t, k, key_bytes(k, i));
            else
                set_kv(&t, k, key_bytes(k, i), "junk", 4);
        }
        cw_smt_batch_rollback(t.smt, mark);
        commit_version(&t, v, roots[v]);
        size_t n = 0;
        for (uint32_t i = 0; i < nkeys; i++)
            if (cur[i])
                rleaf_make(&rl[n++], k, key_bytes(k, i), vb, val_bytes(vb, cur[i]));
        ref_root(rl, n, want);
        assert_memory_equal(roots[v], want, 32);
        /* the latest-state index (cw_smt_get, cw_smt_get_at at the latest version) agrees
         * with a walk of the tree (lookup) and the model, for written, deleted and
         * never-written keys */
        MDB_txn *rt = rtxn(&t);
        ref vroot;
        assert_int_equal(root_get(t.smt, rt, v, &vroot, NULL, 0), CW_OK);
        for (uint32_t i = (uint32_t)(v % 5); i < nkeys + 50; i += 5) {
            const uint8_t *gv, *av, *tv;
            size_t gl, al, tl, kl = key_bytes(k, i);
            bool gf, af, tf = false, want_f = i < nkeys && cur[i];
            uint8_t path[32];
            cw_sha256(path, k, kl);
            assert_int_equal(cw_smt_get(t.smt, rt, &gv, &gl, &gf, k, kl), CW_OK);
            assert_int_equal(cw_smt_get_at(t.smt, rt, v, &av, &al, &af, k, kl), CW_OK);
            assert_int_equal(lookup(t.smt, rt, vroot, path, &tv, &tl, &tf), CW_OK);
            assert_int_equal(af, gf);
            if (af) {
                assert_int_equal(al, gl);
                assert_memory_equal(av, gv, gl);
            }
            assert_int_equal(gf, want_f);
            assert_int_equal(tf, want_f);
            if (want_f) {
                assert_int_equal(gl, val_bytes(vb, cur[i]));
                assert_memory_equal(gv, vb, gl);
                assert_int_equal(gl, tl);
                assert_memory_equal(gv, tv, gl);
            }
        }
        mdb_txn_abort(rt);
    }
    check_no_leak(&t);
    /* proofs: all keys at the latest version, a sample at older retained versions */
    MDB_txn *txn = rtxn(&t);
    for (uint64_t v = VERSIONS - KEEP + 1; v <= VERSIONS; v++) {
        const uint64_t *cur = model + v * nkeys;
        uint32_t step = v == VERSIONS ? 1 : 13;
        for (uint32_t i = 0; i < nkeys; i += step) {
            size_t kl = key_bytes(k, i);
            if (cur[i])
                check_proof(&t, txn, v, k, kl, vb, val_bytes(vb, cur[i]));
            else
                check_proof(&t, txn, v, k, kl, NULL, 0);
        }
        for (uint32_t i = nkeys; i < nkeys + 50; i++) /* never-written keys */
            check_proof(&t, txn, v, k, key_bytes(k, i), NULL, 0);
    }
    for (uint64_t v = 1; v <= VERSIONS - KEEP; v++)
        assert_int_equal(cw_smt_root(t.smt, txn, v, root), CW_ENOTFOUND);
    mdb_txn_abort(txn);
    tenv_fini(&t);

    /* insertion-order independence: the final state, shuffled, in uneven batches */
    const uint64_t *fin = model + (size_t)VERSIONS * nkeys;
    uint32_t *perm = malloc(nkeys * sizeof *perm);
    assert_non_null(perm);
    for (uint32_t i = 0; i < nkeys; i++)
        perm[i] = i;
    for (uint32_t i = nkeys - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rng_next(&s) % (i + 1));
        uint32_t x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
    tenv_init(&t, KEEP);
    uint64_t ver = 100;
    for (uint32_t i = 0; i < nkeys; i++) {
        uint32_t key = perm[i];
        if (fin[key])
            set_kv(&t, k, key_bytes(k, key), vb, val_bytes(vb, fin[key]));
        if (rng_next(&s) % 997 == 0)
            commit_version(&t, ver++, root);
    }
    commit_version(&t, ver++, root);
    assert_memory_equal(root, roots[VERSIONS], 32);
    tenv_fini(&t);
    free(perm);
    free(rl);
    free(model);
}

static void test_property(void **state)
{
    (void)state;
    const char *e = getenv("CW_SMT_SEEDS");
    unsigned seeds = e && *e ? (unsigned)strtoul(e, NULL, 10) : 3;
    for (unsigned sd = 0; sd < seeds; sd++) {
        uint64_t s = 0x1234567u + sd;
        uint32_t n = sd == 0 ? 10000 : 1 + (uint32_t)(rng_next(&s) % 10000);
        print_message("  seed %u: %u keys\n", sd, n);
        property_seed(sd + 1, n);
    }
}

/* Every subset of a pool of 10 keys (two of them sharing 33 path bits), reached one insert
 * or delete at a time along a Gray code, then by random jumps: every root matches the
 * reference, every key proves present or absent, nothing leaks. */
static void test_all_subsets(void **state)
{
    (void)state;
    enum { P = 10 };
    char keys[P][32];
    for (int i = 0; i < P - 2; i++)
        snprintf(keys[i], sizeof keys[i], "pool/%d", i);
    strcpy(keys[P - 2], "prefix-search/102561");
    strcpy(keys[P - 1], "prefix-search/41271");
    tenv t;
    tenv_init(&t, 5);
    uint8_t root[32], want[32];
    unsigned cur = 0;
    uint64_t ver = 0, s = 99;
    for (unsigned step = 1; step < 2 * (1u << P); step++) {
        unsigned next = step < (1u << P) ? (step ^ (step >> 1)) /* Gray code */
                                         : (unsigned)(rng_next(&s) % (1u << P));
        for (int i = 0; i < P; i++) {
            unsigned b = 1u << i;
            if ((next & b) && !(cur & b))
                set_kv(&t, keys[i], strlen(keys[i]), keys[i], 3 + (size_t)i);
            else if (!(next & b) && (cur & b))
                del_k(&t, keys[i], strlen(keys[i]));
        }
        cur = next;
        commit_version(&t, ++ver, root);
        rleaf rl[P];
        size_t n = 0;
        for (int i = 0; i < P; i++)
            if (cur & (1u << i))
                rleaf_make(&rl[n++], keys[i], strlen(keys[i]), keys[i], 3 + (size_t)i);
        ref_root(rl, n, want);
        assert_memory_equal(root, want, 32);
        if (!cur)
            continue;
        MDB_txn *txn = rtxn(&t);
        for (int i = 0; i < P; i++)
            check_proof(&t, txn, ver, keys[i], strlen(keys[i]),
                        (cur & (1u << i)) ? keys[i] : NULL, 3 + (size_t)i);
        mdb_txn_abort(txn);
        if (step % 97 == 0)
            check_no_leak(&t);
    }
    check_no_leak(&t);
    tenv_fini(&t);
}

/* ---- concurrency: readers on their own threads and read txns while the writer commits -- */

enum { CK = 200, CVERS = 30 };

static size_t cval(uint8_t *out, uint32_t i, uint64_t v)
{
    return (size_t)snprintf((char *)out, 32, "%u/%llu", i, (unsigned long long)v);
}

typedef struct rdarg {
    tenv *t;
    unsigned seed;
    int iters, failures;
} rdarg;

static void *reader(void *p)
{
    rdarg *a = p;
    uint8_t k[64], v[32], root[32];
    for (int it = 0; it < a->iters; it++) {
        MDB_txn *txn;
        if (mdb_txn_begin(a->t->env, NULL, MDB_RDONLY, &txn)) {
            a->failures++;
            continue;
        }
        uint64_t lo, hi;
        if (cw_smt_versions(a->t->smt, txn, &lo, &hi) != CW_OK) {
            mdb_txn_abort(txn);
            continue; /* nothing committed yet */
        }
        uint64_t ver = (it % 2) ? hi : lo + (uint64_t)it % (hi - lo + 1);
        uint32_t i = (uint32_t)(it * 7 + a->seed) % CK;
        size_t kl = key_bytes(k, i), vl = cval(v, i, ver);
        uint8_t *proof;
        size_t plen;
        bool exists;
        if (cw_smt_root(a->t->smt, txn, ver, root) != CW_OK ||
            cw_smt_prove(a->t->smt, txn, ver, &proof, &plen, &exists, k, kl, NULL, 0) != CW_OK) {
            a->failures++;
            mdb_txn_abort(txn);
            continue;
        }
        if (!exists || cw_ics23_verify_membership(cw_ics23_spec_smt(), root, proof, plen, k, kl,
                                                  v, vl, NULL, 0) != CW_OK)
            a->failures++;
        free(proof);
        mdb_txn_abort(txn);
    }
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    (void)state;
    tenv t;
    tenv_init(&t, 8); /* readers also race the pruning of old versions */
    uint8_t k[64], v[32], root[32];
    for (uint32_t i = 0; i < CK; i++)
        set_kv(&t, k, key_bytes(k, i), v, cval(v, i, 1));
    commit_version(&t, 1, root);
    pthread_t th[2];
    rdarg a[2] = {{&t, 1, 400, 0}, {&t, 2, 400, 0}};
    for (int j = 0; j < 2; j++)
        assert_int_equal(pthread_create(&th[j], NULL, reader, &a[j]), 0);
    for (uint64_t ver = 2; ver <= CVERS; ver++) {
        for (uint32_t i = 0; i < CK; i++)
            set_kv(&t, k, key_bytes(k, i), v, cval(v, i, ver));
        commit_version(&t, ver, root);
    }
    for (int j = 0; j < 2; j++)
        assert_int_equal(pthread_join(th[j], NULL), 0);
    assert_int_equal(a[0].failures + a[1].failures, 0);
    check_no_leak(&t);
    tenv_fini(&t);
}

/* write_nodes' order (sort_wnodes): ascending whole hash, as MDB_APPEND needs, also when
 * hashes share their first 8 bytes (the radix key) — runs the radix pass cannot order. */
static void test_node_write_order(void **state)
{
    (void)state;
    enum { N = 700 };
    static wnode w[N];
    cctx c = {.w = w, .nw = N};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < N; i++) {
        for (size_t b = 0; b < 32; b++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w[i].hash[b] = (uint8_t)x;
        }
        if (i % 3 == 0) /* a third share one of four 8-byte prefixes, so runs of equals */
            memset(w[i].hash, (int)(i % 4), 8);
        if (i % 7 == 0) { /* and some differ only in the last byte */
            memset(w[i].hash, 0xab, 31);
            w[i].hash[31] = (uint8_t)(i / 7);
        }
    }
    /* one version's hashes are distinct (smt.h): so are these */
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            assert_int_not_equal(memcmp(w[i].hash, w[j].hash, 32), 0);
    uint32_t *order;
    assert_true(sort_wnodes(&c, &order));
    bool seen[N] = {false};
    for (size_t i = 0; i < N; i++) {
        assert_true(order[i] < N);
        assert_false(seen[order[i]]);
        seen[order[i]] = true;
        if (i > 0)
            assert_true(memcmp(w[order[i - 1]].hash, w[order[i]].hash, 32) < 0);
    }
    free(order);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_helpers),
        cmocka_unit_test(test_node_write_order),
        cmocka_unit_test(test_flat_index_key_forms),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_empty_tree),
        cmocka_unit_test(test_one_key),
        cmocka_unit_test(test_long_common_prefix),
        cmocka_unit_test(test_delete_to_empty),
        cmocka_unit_test(test_batch_read_through_and_rollback),
        cmocka_unit_test(test_abort_and_discard),
        cmocka_unit_test(test_durability_reopen),
        cmocka_unit_test(test_recreate_after_prune),
        cmocka_unit_test(test_proof_mutation),
        cmocka_unit_test(test_all_subsets),
        cmocka_unit_test(test_concurrent_readers),
        cmocka_unit_test(test_property),
    };
    return cmocka_run_group_tests_name("smt", tests, NULL, NULL);
}
