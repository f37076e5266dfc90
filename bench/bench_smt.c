/* bench_smt — state store throughput at 10^6 keys (DESIGN §12).
 *
 * 1. builds a tree of CW_SMT_BENCH_KEYS keys (default 10^6) in blocks of
 *    CW_SMT_BENCH_BLOCK updates (default 10000), one LMDB write txn per block;
 * 2. measures CW_SMT_BENCH_MEASURE further updates (default 50000: 80% overwrite, 10% insert,
 *    10% delete) in the same blocks, commit and fsync included, and apart;
 * 3. measures existence and non-existence proofs (read txn, random keys) and checks a sample
 *    with the ICS-23 verifier;
 * 4. reports the hash cost per update: SHA-256 calls per update (the store's own counter)
 *    x ns per call, measured here on the same input shapes (65-byte inner/leaf inputs).
 *
 * The environment uses LMDB's default durability (fsync on every txn commit), as the chain
 * will: every block below pays one fsync. No MDB_NOSYNC, no MDB_WRITEMAP.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "causeway/hash.h"
#include "causeway/ics23.h"
#include "causeway/smt.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static size_t key_of(uint8_t *out, uint64_t i)
{
    return (size_t)snprintf((char *)out, 40, "bank/acct/%012" PRIu64, i);
}

static void val_of(uint8_t out[32])
{
    for (int i = 0; i < 4; i++) {
        uint64_t r = rng();
        memcpy(out + 8 * i, &r, 8);
    }
}

/* The machine's load, printed so wall-clock figures can be read in context (tests never
 * assert timings; "per CPU-second" figures are this process's own CPU time). */
static void print_load(const char *when)
{
    char buf[128] = "";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    printf("smt: load average %s: %s (%ld CPUs online)\n", when, buf[0] ? buf : "?",
           sysconf(_SC_NPROCESSORS_ONLN));
}

static void die(const char *what, int rc, const char *err)
{
    fprintf(stderr, "bench_smt: %s: %s (%s)\n", what, cw_strerror(rc), err ? err : "");
    exit(1);
}

static double commit_block(MDB_env *env, cw_smt *smt, uint64_t version, double *fsync_s)
{
    MDB_txn *txn;
    char err[256] = "";
    uint8_t root[32];
    double t0 = bench_wall_s();
    int rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc)
        die("mdb_txn_begin", -rc, mdb_strerror(rc));
    rc = cw_smt_commit(smt, txn, version, root, err, sizeof err);
    if (rc)
        die("cw_smt_commit", rc, err);
    double t1 = bench_wall_s();
    rc = mdb_txn_commit(txn);
    if (rc)
        die("mdb_txn_commit", -rc, mdb_strerror(rc));
    double t2 = bench_wall_s();
    if (fsync_s)
        *fsync_s += t2 - t1;
    return t2 - t0;
}

int main(void)
{
    uint64_t nkeys = bench_env_u64("CW_SMT_BENCH_KEYS", 1000000);
    uint64_t block = bench_env_u64("CW_SMT_BENCH_BLOCK", 10000);
    uint64_t measure = bench_env_u64("CW_SMT_BENCH_MEASURE", 50000);
    uint64_t nproofs = bench_env_u64("CW_SMT_BENCH_PROOFS", 200000);
    if (!block)
        block = 10000;

    char dir[] = "/tmp/cw_bench_smt.XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp", -1, NULL);
    MDB_env *env;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    /* ~1.3 KiB per key at 10^6 keys with 105 versions kept; leave ample room, but stay
     * mappable under valgrind */
    mdb_env_set_mapsize(env, ((size_t)1 << 30) + (size_t)nkeys * 8192);
    int rc = mdb_env_open(env, dir, 0, 0600);
    if (rc)
        die("mdb_env_open", -rc, mdb_strerror(rc));
    MDB_txn *txn;
    char err[256] = "";
    cw_smt *smt;
    mdb_txn_begin(env, NULL, 0, &txn);
    rc = cw_smt_open(&smt, env, txn, CW_SMT_DEFAULT_VERSIONS, err, sizeof err);
    if (rc)
        die("cw_smt_open", rc, err);
    mdb_txn_commit(txn);

    uint8_t k[40], v[32];
    uint64_t version = 0;
    print_load("at start");

    /* 1. build */
    double t0 = bench_wall_s(), fs_build = 0;
    for (uint64_t i = 0; i < nkeys;) {
        for (uint64_t j = 0; j < block && i < nkeys; j++, i++) {
            val_of(v);
            rc = cw_smt_set(smt, k, key_of(k, i), v, 32, err, sizeof err);
            if (rc)
                die("cw_smt_set", rc, err);
        }
        commit_block(env, smt, ++version, &fs_build);
    }
    double build_s = bench_wall_s() - t0;
    printf("smt: built %" PRIu64 " keys in %" PRIu64 " blocks of %" PRIu64 ": %.2f s "
           "(%.0f updates/s, of which fsync %.2f s)\n",
           nkeys, version, block, build_s, (double)nkeys / build_s, fs_build);

    /* 2. updates at nkeys */
    cw_smt_stats st0, st1;
    cw_smt_get_stats(smt, &st0);
    uint64_t next_new = nkeys, done = 0;
    double upd_s = 0, fs_upd = 0, set_s = 0, uc0 = bench_process_cpu_s();
    while (done < measure) {
        double a = bench_wall_s();
        for (uint64_t j = 0; j < block && done < measure; j++, done++) {
            uint64_t r = rng() % 10;
            uint64_t i = r == 0 ? next_new++ : rng() % nkeys;
            size_t kl = key_of(k, i);
            if (r == 1) {
                rc = cw_smt_delete(smt, k, kl, err, sizeof err);
            } else {
                val_of(v);
                rc = cw_smt_set(smt, k, kl, v, 32, err, sizeof err);
            }
            if (rc)
                die("set/delete", rc, err);
        }
        set_s += bench_wall_s() - a;
        upd_s += commit_block(env, smt, ++version, &fs_upd);
    }
    upd_s += set_s;
    double upd_cpu = bench_process_cpu_s() - uc0;
    cw_smt_get_stats(smt, &st1);
    uint64_t applied = st1.updates - st0.updates;
    double hashes_per_update = (double)(st1.hashes - st0.hashes) / (double)done;
    printf("smt: updates at %" PRIu64 " keys: %" PRIu64 " in blocks of %" PRIu64
           ": %.0f updates/s wall with one fsync per block, %.0f per CPU-second (without the "
           "fsync %.0f/s wall: set/delete %.3f s, commit %.3f s, txn commit+fsync %.3f s)\n",
           nkeys, done, block, (double)done / upd_s, (double)done / upd_cpu,
           (double)done / (upd_s - fs_upd), set_s, upd_s - set_s - fs_upd, fs_upd);
    printf("smt:   per update: %.1f SHA-256 calls, %.1f node reads, %.1f node writes, "
           "%.1f orphans (%" PRIu64 " distinct keys applied)\n",
           hashes_per_update, (double)(st1.nodes_read - st0.nodes_read) / (double)done,
           (double)(st1.nodes_written - st0.nodes_written) / (double)done,
           (double)(st1.orphans - st0.orphans) / (double)done, applied);

    /* 4. hash cost on the same shapes: 65-byte inputs via cw_sha256_parts (inner, leaf) */
    {
        uint8_t a[32] = {1}, b[32] = {2}, out[32];
        static const uint8_t one = 1;
        const uint64_t n = 1000000;
        double h0 = bench_wall_s();
        for (uint64_t i = 0; i < n; i++) {
            cw_bytes parts[3] = {{&one, 1}, {a, 32}, {b, 32}};
            cw_sha256_parts(out, parts, 3);
            a[0] = out[0];
        }
        double ns = (bench_wall_s() - h0) * 1e9 / (double)n;
        double upd_ns = upd_s * 1e9 / (double)done;
        printf("smt: hash cost per update: %.1f calls x %.0f ns = %.2f us of %.2f us per update "
               "(%.0f%%)\n",
               hashes_per_update, ns, hashes_per_update * ns / 1000, upd_ns / 1000,
               100.0 * hashes_per_update * ns / upd_ns);
    }

    /* 3. proofs at nkeys, latest version */
    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    uint8_t root[32];
    if (cw_smt_root(smt, txn, version, root) != CW_OK)
        die("cw_smt_root", -1, NULL);
    size_t bytes = 0;
    uint64_t members = 0;
    double p0 = bench_wall_s(), c0 = bench_process_cpu_s();
    for (uint64_t i = 0; i < nproofs; i++) {
        uint8_t *proof;
        size_t plen;
        bool exists;
        rc = cw_smt_prove(smt, txn, version, &proof, &plen, &exists, k, key_of(k, rng() % nkeys),
                          err, sizeof err);
        if (rc)
            die("cw_smt_prove", rc, err);
        members += exists;
        bytes += plen;
        free(proof);
    }
    double prove_s = bench_wall_s() - p0, prove_cpu = bench_process_cpu_s() - c0;
    printf("smt: proofs at %" PRIu64 " keys: %.0f proofs/s wall, %.0f per CPU-second (%" PRIu64
           " proofs, %.1f%% membership, %.0f bytes avg)\n",
           nkeys, (double)nproofs / prove_s, (double)nproofs / prove_cpu, nproofs,
           100.0 * (double)members / (double)nproofs, (double)bytes / (double)nproofs);
    /* non-membership alone (two neighbours each) */
    uint64_t nabs = nproofs / 4;
    p0 = bench_wall_s();
    c0 = bench_process_cpu_s();
    for (uint64_t i = 0; i < nabs; i++) {
        uint8_t *proof;
        size_t plen;
        bool exists;
        rc = cw_smt_prove(smt, txn, version, &proof, &plen, &exists, k,
                          key_of(k, 1000000000000ull + i), err, sizeof err);
        if (rc)
            die("cw_smt_prove", rc, err);
        free(proof);
    }
    double abs_s = bench_wall_s() - p0, abs_cpu = bench_process_cpu_s() - c0;
    printf("smt: non-membership proofs: %.0f proofs/s wall, %.0f per CPU-second (%" PRIu64
           " proofs)\n",
           (double)nabs / abs_s, (double)nabs / abs_cpu, nabs);
    /* sample check with the verifier, timed as a baseline */
    uint64_t nver = 2000, bad = 0;
    double vt = 0;
    for (uint64_t i = 0; i < nver; i++) {
        uint8_t *proof;
        size_t plen;
        bool exists;
        const uint8_t *val;
        size_t vl;
        bool found;
        size_t kl = key_of(k, i % 2 ? rng() % nkeys : 1000000000000ull + i);
        if (cw_smt_prove(smt, txn, version, &proof, &plen, &exists, k, kl, err, sizeof err) ||
            cw_smt_get_at(smt, txn, version, &val, &vl, &found, k, kl))
            die("prove/get", -1, err);
        double a = bench_wall_s();
        rc = exists ? cw_ics23_verify_membership(cw_ics23_spec_smt(), root, proof, plen, k, kl,
                                                 val, vl, err, sizeof err)
                    : cw_ics23_verify_non_membership(cw_ics23_spec_smt(), root, proof, plen, k,
                                                     kl, err, sizeof err);
        vt += bench_wall_s() - a;
        bad += rc != CW_OK;
        free(proof);
    }
    printf("smt: %" PRIu64 " sampled proofs checked by cw_ics23_verify_*: %" PRIu64
           " failed (verify %.1f us/proof)\n",
           nver, bad, vt * 1e6 / (double)nver);
    mdb_txn_abort(txn);

    MDB_stat ms;
    mdb_env_stat(env, &ms);
    MDB_envinfo info;
    mdb_env_info(env, &info);
    printf("smt: database %.0f MiB (%" PRIu64 " versions, default state_versions %u)\n",
           (double)(info.me_last_pgno + 1) * ms.ms_psize / (1024.0 * 1024.0), version,
           CW_SMT_DEFAULT_VERSIONS);

    print_load("at end");
    cw_smt_close(smt);
    mdb_env_close(env);
    char p[96];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
    return bad ? 1 : 0;
}
