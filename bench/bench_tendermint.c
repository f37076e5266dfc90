/* 07-tendermint verification against the Ed25519 signature floor (DESIGN §6a, §12).
 * Run: make bench.
 *
 * For 4, 32, 100 and 150 validators (equal powers, all signing), a CometBFT light block
 * (tests/tm_testgen.h) verified against a trusted one with cw_tm_verify_update:
 *   verify_us  µs per verification (sets already finished: keys parsed once, as a client
 *              keeps them), this thread's CPU time;
 *   sigs       signatures the verifier checked (it stops once the thresholds are passed:
 *              67 of 100 here);
 *   floor_us   one Ed25519 verification measured in the same run: EVP_MD_CTX_new +
 *              EVP_DigestVerifyInit + EVP_DigestVerify + free on a parsed key, over the
 *              same sign bytes (the least any EVP caller pays per signature);
 *   vs_N       verify_us / (N validators x floor_us): the figure, target <= 1.1 at
 *              100 validators;
 *   per_sig    verify_us / (sigs x floor_us): the cost beside the signatures actually
 *              checked (hashing both sets and the header, sign bytes, the vote index).
 * CW_BENCH_ITERS scales the iteration counts (default 1); CW_BENCH_ONLY=N runs only the
 * N-validator rows (for valgrind --tool=callgrind: compare the inclusive instructions of
 * cw_tm_verify_update per call with those of floor_us per iteration, a figure the shared
 * machine's load does not move). Timings only; no assertions but that every run verifies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/tm_testgen.h"
#include "bench_util.h"

static double floor_us(const cw_tm_light_block *lb, int iters)
{
    uint8_t sb[CW_TM_SIGN_BYTES_MAX];
    size_t n;
    if (cw_tm_vote_sign_bytes(sb, &n, lb->header.chain_id, &lb->commit, 0))
        abort();
    void *pkey = lb->validators.v[0].pkey;
    for (int i = 0; i < 50; i++) /* warm */
        if (cw_tm_ed25519_verify(pkey, lb->commit.sigs[0].signature, sb, n))
            abort();
    double t0 = bench_thread_cpu_s();
    for (int i = 0; i < iters; i++) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
            EVP_DigestVerify(ctx, lb->commit.sigs[0].signature, 64, sb, n) != 1)
            abort();
        EVP_MD_CTX_free(ctx);
    }
    return (bench_thread_cpu_s() - t0) * 1e6 / iters;
}

int main(void)
{
    static const uint32_t sizes[] = {4, 32, 100, 150};
    uint64_t scale = bench_env_u64("CW_BENCH_ITERS", 1), only = bench_env_u64("CW_BENCH_ONLY", 0);
    uint32_t maxn = 150;
    tmg_key *keys = calloc(maxn, sizeof *keys);
    for (uint32_t i = 0; i < maxn; i++)
        if (tmg_key_make(&keys[i], i))
            abort();
    const cw_tm_options opt = {1, 3, 14ull * 86400 * 1000000000, 10ull * 1000000000};
    const cw_tm_time t0 = {1705312800, 0}, now = {1705312800 + 3600, 0};

    printf("07-tendermint verify_update, all validators sign, equal powers; floor = one "
           "EVP Ed25519 verify\n");
    printf("%-9s %5s %5s %11s %9s %7s %8s\n", "mode", "vals", "sigs", "verify_us", "floor_us",
           "vs_N", "per_sig");
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        uint32_t n = sizes[si];
        if (only && n != only)
            continue;
        cw_tm_valset vs;
        cw_tm_light_block t, adj, skip;
        if (tmg_valset(&vs, keys, 0, n, NULL) ||
            tmg_light_block(&t, "bench-chain", 100, t0, &vs, &vs, keys, maxn, n, NULL) ||
            tmg_light_block(&adj, "bench-chain", 101, (cw_tm_time){t0.seconds + 5, 0}, &vs, &vs,
                            keys, maxn, n, NULL) ||
            tmg_light_block(&skip, "bench-chain", 150, (cw_tm_time){t0.seconds + 250, 0}, &vs,
                            &vs, keys, maxn, n, NULL))
            abort();
        cw_tm_trusted tr;
        cw_tm_trusted_of(&tr, &t);
        int iters = (int)((n <= 32 ? 2000 : 200) * scale);
        double fl = floor_us(&t, iters * 4);
        const cw_tm_light_block *blocks[2] = {&adj, &skip};
        for (int m = 0; m < 2; m++) {
            cw_tm_result res;
            if (cw_tm_verify_update(&res, &tr, blocks[m], &opt, now, NULL, 0) != CW_OK)
                abort();
            double a = bench_thread_cpu_s();
            for (int i = 0; i < iters; i++)
                if (cw_tm_verify_update(&res, &tr, blocks[m], &opt, now, NULL, 0) != CW_OK)
                    abort();
            double us = (bench_thread_cpu_s() - a) * 1e6 / iters;
            printf("%-9s %5u %5u %11.1f %9.2f %7.3f %8.3f\n", m ? "skipping" : "adjacent", n,
                   res.sigs_checked, us, fl, us / (n * fl), us / (res.sigs_checked * fl));
        }
        cw_tm_light_block_free(&t);
        cw_tm_light_block_free(&adj);
        cw_tm_light_block_free(&skip);
        cw_tm_valset_free(&vs);
    }
    for (uint32_t i = 0; i < maxn; i++)
        tmg_key_free(&keys[i]);
    free(keys);
    return 0;
}
