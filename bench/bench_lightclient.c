/* Header verification cost beside its signature checks (DESIGN §12). Run: make bench.
 *
 * For 4, 32, 100 and 150 validators (equal powers, all signing), adjacent and skipping:
 *   verify_us   µs per cw_lc_verify with both sets already parsed (as the client store's
 *               cache holds them);
 *   sigs        signatures the verifier actually checked (it stops once the thresholds hold);
 *   baseline_us sigs × one cw_schnorr_verify, measured in the same run on the same keys;
 *   ratio       verify_us / baseline_us (target ≤ 1.1 at 100 validators);
 *   parse_us    one-time cost of cw_lc_valset_create (hash + parse every key), reported apart;
 *   2thr_us     µs per cw_lc_verify_threads(threads = 2) — same verdict, shared checks.
 * CW_BENCH_ITERS scales the iteration counts (default 1); CW_BENCH_ONLY=N runs only the N-
 * validator rows (for valgrind --tool=callgrind). Timings only; no assertions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "causeway/lightclient.h"

#define SEC UINT64_C(1000000000)
#define T0 (UINT64_C(1700000000) * SEC)

static const uint8_t SEED[32] = {0xbe};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile int g_sink;

/* ns per cw_schnorr_verify over the commit's own signatures and keys */
static double sig_ns(const cw_signed_header *sh, const cw_validator_set *vs, int iters)
{
    uint8_t msg[32];
    cw_pubkey *pk = malloc(vs->n * sizeof *pk);
    for (uint32_t i = 0; i < vs->n; i++)
        if (cw_pubkey_parse(&pk[i], &vs->v[i].pubkey))
            abort();
    if (cw_vote_message(msg, sh->header.chain_id, sh->header.height, sh->commit.block_hash))
        abort();
    uint32_t n = sh->commit.n_sigs;
    double t = now_s();
    for (int it = 0; it < iters; it++)
        for (uint32_t i = 0; i < n; i++)
            g_sink += cw_schnorr_verify(&pk[sh->commit.sigs[i].validator_index],
                                        &sh->commit.sigs[i].signature, msg);
    t = now_s() - t;
    free(pk);
    return t * 1e9 / ((double)iters * n);
}

int main(void)
{
    static const uint32_t sizes[] = {4, 32, 100, 150};
    const char *scale = getenv("CW_BENCH_ITERS");
    int mult = scale ? atoi(scale) : 1;
    const char *only_s = getenv("CW_BENCH_ONLY");
    uint32_t only = only_s ? (uint32_t)atoi(only_s) : 0;
    if (mult < 1)
        mult = 1;
    cw_lc_client_state cs;
    if (cw_lc_client_state_default(&cs, "alpha"))
        abort();

    printf("header verification, sets pre-parsed; baseline = sigs checked x one BIP-340 "
           "verify (same run)\n");
    printf("%-10s %5s %5s %11s %9s %12s %7s %10s %9s\n", "mode", "vals", "sigs", "verify_us",
           "sig_us", "baseline_us", "ratio", "parse_us", "2thr_us");
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        uint32_t n = sizes[si];
        if (only && n != only)
            continue;
        cw_validator_set vs;
        cw_seckey *keys = calloc(n, sizeof *keys);
        if (cw_gen_validator_set(&vs, keys, SEED, 0, n, NULL))
            abort();

        /* one-time parse cost */
        int piters = mult * (n <= 32 ? 2000 : 200);
        cw_lc_valset *vals = NULL;
        double t = now_s();
        for (int i = 0; i < piters; i++) {
            cw_lc_valset *tmp;
            if (cw_lc_valset_create(&tmp, &vs, NULL, 0))
                abort();
            cw_lc_valset_release(tmp);
        }
        double parse_us = (now_s() - t) * 1e6 / piters;
        if (cw_lc_valset_create(&vals, &vs, NULL, 0))
            abort();

        for (int skipping = 0; skipping <= 1; skipping++) {
            cw_lc_consensus_state trusted = {.timestamp_ns = T0};
            memcpy(trusted.next_validators_hash, cw_lc_valset_hash(vals), 32);
            cw_header h;
            cw_light_block lb;
            memset(&h, 0, sizeof h);
            strcpy(h.chain_id, "alpha");
            h.height = skipping ? 15 : 11;
            h.time_ns = T0 + SEC;
            h.proposer = vs.v[0].pubkey;
            if (cw_gen_light_block(&lb, &h, &vs, keys, &vs, NULL, NULL, NULL, 0))
                abort();
            cw_lc_verify_info info;
            int iters = mult * (n <= 4 ? 3000 : n <= 32 ? 300 : 60);
            int rc = cw_lc_verify(&cs, 10, &trusted, &lb.signed_header, vals,
                                  skipping ? vals : NULL, T0 + 60 * SEC, &info, NULL, 0);
            if (rc)
                abort();
            /* interleave: sig, verify, sig — and take the mean of the two sig figures */
            double s1 = sig_ns(&lb.signed_header, &vs, iters);
            t = now_s();
            for (int i = 0; i < iters; i++)
                g_sink += cw_lc_verify(&cs, 10, &trusted, &lb.signed_header, vals,
                                       skipping ? vals : NULL, T0 + 60 * SEC, &info, NULL, 0);
            double verify_us = (now_s() - t) * 1e6 / iters;
            double s2 = sig_ns(&lb.signed_header, &vs, iters);
            double sig_us = (s1 + s2) / 2 / 1000;
            double base_us = sig_us * info.sigs_checked;
            t = now_s();
            for (int i = 0; i < iters; i++)
                g_sink += cw_lc_verify_threads(&cs, 10, &trusted, &lb.signed_header, vals,
                                               skipping ? vals : NULL, T0 + 60 * SEC, 2, &info,
                                               NULL, 0);
            double thr_us = (now_s() - t) * 1e6 / iters;
            printf("%-10s %5u %5u %11.1f %9.2f %12.1f %7.3f %10.1f %9.1f\n",
                   skipping ? "skipping" : "adjacent", n, info.sigs_checked, verify_us, sig_us,
                   base_us, verify_us / base_us, parse_us, thr_us);
            cw_light_block_free(&lb);
        }
        cw_lc_valset_release(vals);
        cw_wipe(keys, n * sizeof *keys);
        free(keys);
        cw_validator_set_free(&vs);
    }
    return 0;
}
