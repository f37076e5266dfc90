/* libFuzzer: the state store (chain/smt.c) driven by a byte string of operations against an
 * in-memory model (an array of 32 keys, a snapshot per committed version).
 *
 * Keys: 27 short ones, three of 480, 481 and 512 bytes (both forms of the latest-state
 * index's keys) and two whose paths share 33 bits.
 * Ops: set, delete, commit (sometimes in a txn the caller then aborts), prove at a retained
 * version, get at the working state and at a retained version, batch mark / rollback,
 * discard. Properties checked on every input:
 *   - every get matches the model (working state and each retained version);
 *   - every proof verifies with cw_ics23_verify_membership / _non_membership under
 *     cw_ics23_spec_smt() against the version's root, and says present iff the model does;
 *   - every committed root equals a from-scratch reference root of the model;
 *   - pruned versions report CW_ENOTFOUND; after the run every stored node record is
 *     reachable from a retained root and every reachable node exists.
 * The node cache is shrunk (2^6 slots, depth < 3) so both cached and uncached reads and
 * evictions are exercised. One LMDB env lives for the whole process (MDB_NOSYNC: the
 * fuzzer does not test durability); each input starts from emptied databases and a fresh
 * cw_smt (a fresh cache). */
#define CACHE_SLOTS_LOG2 6
#define CACHE_DEPTH 3
#include "../../chain/smt.c"

#include <stdio.h>
#include <unistd.h>

#include "causeway/ics23.h"

#define NKEYS 32
#define VMAX 8
#define MAXVER 64

typedef struct model {
    uint8_t len[NKEYS]; /* 0: absent */
    uint8_t val[NKEYS][VMAX];
} model;

static MDB_env *g_env;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static char dir[] = "/tmp/cw_fuzz_smt.XXXXXX";
    if (!mkdtemp(dir))
        abort();
    if (mdb_env_create(&g_env) || mdb_env_set_maxdbs(g_env, 8) ||
        mdb_env_set_mapsize(g_env, (size_t)1 << 30) || mdb_env_open(g_env, dir, MDB_NOSYNC, 0600))
        abort();
    /* the files stay open (unlinked) for the life of the process */
    char p[96];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
    return 0;
}

static size_t key_of(uint8_t out[static CW_SMT_KEY_MAX], unsigned id)
{
    /* ids 27-29: keys of 480, 481 and 512 bytes, either side of the latest-state index's
     * raw/hashed key forms (FLAT_RAW_MAX) */
    if (id >= 27 && id <= 29) {
        size_t n = id == 27 ? FLAT_RAW_MAX : id == 28 ? FLAT_RAW_MAX + 1 : CW_SMT_KEY_MAX;
        memset(out, 'L', n);
        out[n - 1] = (uint8_t)('0' + id % 10);
        return n;
    }
    /* ids 30 and 31: two keys whose SHA-256 share 33 leading bits (a long shared path) */
    if (id == 30)
        return (size_t)snprintf((char *)out, 40, "prefix-search/102561");
    if (id == 31)
        return (size_t)snprintf((char *)out, 40, "prefix-search/41271");
    return (size_t)snprintf((char *)out, 40, "k%u", id);
}

/* ---- reference root (independent of smt.c's update code) ------------------------------ */

typedef struct rleaf {
    uint8_t path[32], hash[32];
} rleaf;

static int cmp_rleaf(const void *a, const void *b)
{
    return memcmp(((const rleaf *)a)->path, ((const rleaf *)b)->path, 32);
}

static void ref_rec(const rleaf *l, size_t n, unsigned d, uint8_t out[32])
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
    while (m < n && !((l[m].path[d / 8] >> (7 - d % 8)) & 1))
        m++;
    uint8_t buf[65];
    buf[0] = 1;
    ref_rec(l, m, d + 1, buf + 1);
    ref_rec(l + m, n - m, d + 1, buf + 33);
    cw_sha256(out, buf, 65);
}

static void model_root(const model *m, uint8_t out[32])
{
    rleaf l[NKEYS];
    size_t n = 0;
    uint8_t k[CW_SMT_KEY_MAX];
    for (unsigned i = 0; i < NKEYS; i++)
        if (m->len[i]) {
            size_t kl = key_of(k, i);
            cw_smt_leaf_hash(l[n].hash, k, kl, m->val[i], m->len[i]);
            cw_sha256(l[n].path, k, kl);
            n++;
        }
    qsort(l, n, sizeof *l, cmp_rleaf);
    ref_rec(l, n, 0, out);
}

/* ---- reachability --------------------------------------------------------------------- */

static size_t reach(cw_smt *smt, MDB_txn *txn, ref r, uint8_t (*seen)[REF_LEN], size_t n,
                    size_t cap)
{
    if (r.kind == K_EMPTY)
        return n;
    if (n == cap)
        abort();
    ref_encode(seen[n++], &r);
    MDB_val v;
    if (node_get(smt, txn, &r, &v, NULL, 0) != CW_OK)
        abort(); /* a retained version lost a node */
    if (r.kind == K_INNER) {
        ref a, b;
        if (parse_inner(&v, &a, &b, NULL, 0) != CW_OK)
            abort();
        n = reach(smt, txn, a, seen, n, cap);
        n = reach(smt, txn, b, seen, n, cap);
    }
    return n;
}

static int cmp40(const void *a, const void *b) { return memcmp(a, b, REF_LEN); }

static void check_store(cw_smt *smt)
{
    MDB_txn *txn;
    if (mdb_txn_begin(g_env, NULL, MDB_RDONLY, &txn))
        abort();
    uint64_t lo, hi;
    /* one buffer for the process: a 2.6 MB malloc per input was mmap'd, faulted in and
     * unmapped by ASan's large allocator each time, most of this harness's time */
    enum { cap = 1 << 16 };
    static uint8_t seen[cap][REF_LEN];
    size_t n = 0;
    if (cw_smt_versions(smt, txn, &lo, &hi) == CW_OK)
        for (uint64_t v = lo; v <= hi; v++) {
            ref r;
            if (root_get(smt, txn, v, &r, NULL, 0) == CW_OK)
                n = reach(smt, txn, r, seen, n, cap);
        }
    qsort(seen, n, REF_LEN, cmp40);
    size_t uniq = 0;
    for (size_t i = 0; i < n; i++)
        uniq += i == 0 || memcmp(seen[i], seen[i - 1], REF_LEN) != 0;
    MDB_stat st;
    if (mdb_stat(txn, smt->nodes, &st) || st.ms_entries != uniq)
        abort(); /* a leaked (unreachable) node record */
    mdb_txn_abort(txn);
}

/* ---- the run -------------------------------------------------------------------------- */

typedef struct run {
    const uint8_t *p;
    size_t n;
} run;

static unsigned take(run *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run in = {data, size};
    uint64_t keep = 1 + take(&in) % 5;
    MDB_txn *txn;
    cw_smt *smt;
    char err[256];
    if (mdb_txn_begin(g_env, NULL, 0, &txn) ||
        cw_smt_open(&smt, g_env, txn, keep, err, sizeof err) != CW_OK)
        abort();
    if (mdb_drop(txn, smt->nodes, 0) || mdb_drop(txn, smt->roots, 0) ||
        mdb_drop(txn, smt->orphans, 0) || mdb_drop(txn, smt->flat, 0) || mdb_txn_commit(txn))
        abort();

    static model snap[MAXVER + 1]; /* committed state per version */
    bool have[MAXVER + 1] = {false};
    model work, marks[8];
    size_t markpos[8], nmarks = 0;
    memset(&work, 0, sizeof work);
    uint64_t ver = 0; /* latest committed version */
    uint8_t k[CW_SMT_KEY_MAX];

    while (in.n) {
        unsigned op = take(&in) % 10, id = take(&in) % NKEYS;
        size_t kl = key_of(k, id);
        switch (op) {
        case 0:
        case 1:
        case 2: { /* set */
            uint8_t v[VMAX];
            unsigned len = 1 + take(&in) % VMAX;
            for (unsigned i = 0; i < len; i++)
                v[i] = (uint8_t)take(&in);
            if (cw_smt_set(smt, k, kl, v, len, err, sizeof err) != CW_OK)
                abort();
            work.len[id] = (uint8_t)len;
            memcpy(work.val[id], v, len);
            break;
        }
        case 3: /* delete */
            if (cw_smt_delete(smt, k, kl, err, sizeof err) != CW_OK)
                abort();
            work.len[id] = 0;
            break;
        case 4: { /* commit, sometimes aborted by the caller afterwards */
            unsigned b = take(&in);
            uint64_t nv = ver + 1 + (b & 1);
            if (nv > MAXVER)
                break;
            uint8_t root[32], want[32];
            if (mdb_txn_begin(g_env, NULL, 0, &txn))
                abort();
            if (cw_smt_commit(smt, txn, nv, root, err, sizeof err) != CW_OK)
                abort();
            model_root(&work, want);
            if (memcmp(root, want, 32) != 0)
                abort(); /* root differs from the reference */
            nmarks = 0;
            if (b & 0x80) {
                mdb_txn_abort(txn); /* the batch is gone: back to the committed state */
                work = ver ? snap[ver] : (model){{0}, {{0}}};
            } else {
                if (mdb_txn_commit(txn))
                    abort();
                ver = nv;
                snap[ver] = work;
                have[ver] = true;
            }
            break;
        }
        case 5:
        case 6: { /* prove + get at a version */
            if (!ver)
                break;
            uint64_t v = ver - take(&in) % (keep + 2);
            if (v > ver || v == 0)
                break;
            bool retained = have[v] && v + keep > ver;
            if (mdb_txn_begin(g_env, NULL, MDB_RDONLY, &txn))
                abort();
            uint8_t root[32], *proof;
            size_t plen;
            bool exists, found;
            const uint8_t *gv;
            size_t gl;
            int rc = cw_smt_root(smt, txn, v, root);
            int rp = cw_smt_prove(smt, txn, v, &proof, &plen, &exists, k, kl, err, sizeof err);
            int rg = cw_smt_get_at(smt, txn, v, &gv, &gl, &found, k, kl);
            if (!retained) {
                if (rc != CW_ENOTFOUND || rp != CW_ENOTFOUND || rg != CW_ENOTFOUND)
                    abort(); /* a pruned version still answers */
                mdb_txn_abort(txn);
                break;
            }
            const model *m = &snap[v];
            if (rc != CW_OK || rg != CW_OK || found != (m->len[id] != 0))
                abort();
            if (found && (gl != m->len[id] || memcmp(gv, m->val[id], gl) != 0))
                abort();
            bool empty = true;
            for (unsigned i = 0; i < NKEYS; i++)
                empty = empty && !m->len[i];
            if (empty) {
                if (rp != CW_ESTATE)
                    abort();
                mdb_txn_abort(txn);
                break;
            }
            if (rp != CW_OK || exists != (m->len[id] != 0))
                abort();
            int rv = exists ? cw_ics23_verify_membership(cw_ics23_spec_smt(), root, proof, plen,
                                                         k, kl, m->val[id], m->len[id], err,
                                                         sizeof err)
                            : cw_ics23_verify_non_membership(cw_ics23_spec_smt(), root, proof,
                                                             plen, k, kl, err, sizeof err);
            if (rv != CW_OK) {
                fprintf(stderr, "proof does not verify: %s\n", err);
                abort();
            }
            free(proof);
            mdb_txn_abort(txn);
            break;
        }
        case 7: { /* read through the batch */
            if (mdb_txn_begin(g_env, NULL, MDB_RDONLY, &txn))
                abort();
            const uint8_t *gv;
            size_t gl;
            bool found;
            if (cw_smt_get(smt, txn, &gv, &gl, &found, k, kl) != CW_OK ||
                found != (work.len[id] != 0))
                abort();
            if (found && (gl != work.len[id] || memcmp(gv, work.val[id], gl) != 0))
                abort();
            mdb_txn_abort(txn);
            break;
        }
        case 8: /* mark (id even) or roll back to the last mark (id odd) */
            if (id % 2 == 0 && nmarks < 8) {
                marks[nmarks] = work;
                markpos[nmarks++] = cw_smt_batch_mark(smt);
            } else if (id % 2 == 1 && nmarks) {
                nmarks--;
                cw_smt_batch_rollback(smt, markpos[nmarks]);
                work = marks[nmarks];
            }
            break;
        case 9: /* discard (rarely) */
            if (id == 0) {
                cw_smt_discard(smt);
                nmarks = 0;
                work = ver ? snap[ver] : (model){{0}, {{0}}};
            }
            break;
        }
    }
    check_store(smt);
    cw_smt_close(smt);
    return 0;
}
