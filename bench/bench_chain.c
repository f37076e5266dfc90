/* make bench: bank transfers through the chain node — mempool admission (decode + BIP-340
 * verify + nonce), block execution (state writes, SMT commit, signing, one LMDB commit), and
 * the total, in transfers/s. Baseline printed beside: one cw_schnorr_verify per tx.
 * CW_BENCH_TXS (default 10000) transfers from 64 signers in blocks of up to 10000. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../chain/chain.h"
#include "bench_util.h"
#include "causeway/app_msgs.h"
#include "causeway/tx.h"

int main(void)
{
    const char *env = getenv("CW_BENCH_TXS");
    size_t n_txs = env ? strtoul(env, NULL, 10) : 10000;
    enum { SIGNERS = 64 };
    char home[] = "/tmp/cwbenchXXXXXX", accounts[SIGNERS * 8], err[512];
    if (!mkdtemp(home))
        return 1;
    size_t off = 0;
    for (int i = 0; i < SIGNERS; i++)
        off += (size_t)snprintf(accounts + off, sizeof accounts - off, "%sa%d", i ? "," : "", i);
    char h2[64];
    snprintf(h2, sizeof h2, "%s/h", home);
    char *argv[] = {"init", "--home", h2, "--chain-id", "bench", "--accounts", accounts,
                    "--denoms", "stake", "--validators", "4", NULL};
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int rc = cw_chain_cmd_init(11, argv);
    fclose(stdout);
    stdout = saved;
    cw_node *node;
    if (rc || cw_node_open(&node, h2, err, sizeof err)) {
        fprintf(stderr, "bench_chain: setup failed: %s\n", err);
        return 1;
    }
    cw_seckey keys[SIGNERS];
    cw_address addrs[SIGNERS];
    for (int i = 0; i < SIGNERS; i++) {
        char path[128];
        cw_pubkey32 pk;
        snprintf(path, sizeof path, "%s/keys/a%d.json", h2, i);
        if (cw_keyfile_read(path, &keys[i], &pk, err, sizeof err))
            return 1;
        cw_address_of(&addrs[i], &pk);
    }
    /* pre-sign every tx (signing is the client's cost, not the chain's) */
    uint8_t **txs = calloc(n_txs, sizeof *txs);
    size_t *lens = calloc(n_txs, sizeof *lens);
    for (size_t i = 0; i < n_txs; i++) {
        cw_enc e;
        cw_enc_init(&e);
        cw_msg_bank_send_enc(&e, &(cw_msg_bank_send){.to = addrs[(i + 1) % SIGNERS],
                                                      .denom = "stake", .amount = 1});
        cw_bytes m = {cw_enc_data(&e), cw_enc_len(&e)};
        if (cw_tx_sign(&txs[i], &lens[i], "bench", &keys[i % SIGNERS], i / SIGNERS, 0, &m, 1, "",
                       err, sizeof err))
            return 1;
        cw_enc_free(&e);
    }
    /* baseline: one BIP-340 verify per tx, on the same txs */
    double t0 = bench_wall_s();
    size_t ok = 0;
    for (size_t i = 0; i < n_txs; i++) {
        cw_tx tx;
        if (cw_tx_decode(&tx, txs[i], lens[i], err, sizeof err) == CW_OK)
            ok += cw_tx_verify_signature(&tx) == CW_OK;
        cw_tx_free(&tx);
    }
    double t_verify = bench_wall_s() - t0;
    /* admission */
    t0 = bench_wall_s();
    uint8_t h[32];
    for (size_t i = 0; i < n_txs; i++)
        if (cw_node_submit_tx(node, txs[i], lens[i], h, err, sizeof err)) {
            fprintf(stderr, "bench_chain: submit %zu: %s\n", i, err);
            return 1;
        }
    double t_admit = bench_wall_s() - t0;
    /* execution: blocks of up to 10000 txs */
    t0 = bench_wall_s();
    cw_node_status st;
    uint64_t t = 1;
    do {
        if (cw_node_produce_block(node, t++, err, sizeof err)) {
            fprintf(stderr, "bench_chain: block: %s\n", err);
            return 1;
        }
        cw_node_get_status(node, &st);
    } while (st.mempool_txs > 0);
    double t_exec = bench_wall_s() - t0;
    printf("bank transfers: %zu txs from %d signers, %llu blocks\n", n_txs, SIGNERS,
           (unsigned long long)st.latest_height);
    printf("  baseline decode+verify   %9.0f tx/s  (%.1f us/tx, %zu valid)\n",
           n_txs / t_verify, t_verify * 1e6 / n_txs, ok);
    printf("  mempool admission        %9.0f tx/s  (%.2fx the verify baseline)\n",
           n_txs / t_admit, t_admit / t_verify);
    printf("  block execution+commit   %9.0f tx/s\n", n_txs / t_exec);
    printf("  total (admit+execute)    %9.0f tx/s  (target >= 5000)\n",
           n_txs / (t_admit + t_exec));
    for (size_t i = 0; i < n_txs; i++)
        free(txs[i]);
    free(txs);
    free(lens);
    cw_node_close(node);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    return system(cmd) == 0 ? 0 : 1;
}
