/* make bench: bank transfers through the chain node — mempool admission (decode + BIP-340
 * verify + nonce), block execution (state writes, SMT commit, signing, one LMDB commit), and
 * the total, in transfers/s. Baseline printed beside: one cw_schnorr_verify per tx.
 * CW_BENCH_TXS (default 10000) transfers from 64 signers, in as many blocks as their gas needs.
 *
 * Then the cost of a client update that is a no-op (DESIGN §6): MsgUpdateClients of a
 * 100-validator counterparty, each in its own tx, CW_BENCH_UPDATES (default 40) per round —
 * real updates (each a new height, verified: 67 signatures) against no-ops (a header whose
 * consensus state is already stored, settled before its commit is verified). CPU time (this
 * thread: the node is single-threaded) per update for admission + execution + commit, and
 * the ratio no-op / real. Every tx's events are checked (update_client vs
 * update_client_noop), so a figure cannot come from failed txs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../chain/chain.h"
#include "bench_util.h"
#include "causeway/app_msgs.h"
#include "causeway/event.h"
#include "causeway/lightclient.h"
#include "causeway/msgs.h"
#include "causeway/rpc_results.h"
#include "causeway/tx.h"

static int bench_client_update_noop(void);

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
    if (system(cmd) != 0)
        return 1;
    return bench_client_update_noop();
}

/* ---- the cost of a client update that is a no-op ---------------------------------------- */

#define UPD_VALS 100u

typedef struct upd_bench {
    char home[64];
    cw_node *node;
    cw_seckey key; /* the relayer account */
    uint64_t nonce;
    uint64_t clock; /* block time, ns */
    char err[512];
} upd_bench;

/* One tx carrying the one encoded msg m, signed by the relayer with its next nonce. */
static int upd_sign(upd_bench *b, const cw_enc *m, uint8_t **tx, size_t *len)
{
    cw_bytes msg = {cw_enc_data(m), cw_enc_len(m)};
    return cw_tx_sign(tx, len, "bench", &b->key, b->nonce++, 0, &msg, 1, "", b->err,
                      sizeof b->err);
}

/* Submit n txs and produce blocks until they are all in (a block holds max_block_gas of
 * gas used); returns this thread's CPU seconds for all of it (or < 0). */
static double upd_block(upd_bench *b, uint8_t **txs, const size_t *lens, size_t n,
                        uint8_t (*hashes)[32])
{
    double t0 = bench_thread_cpu_s();
    for (size_t i = 0; i < n; i++)
        if (cw_node_submit_tx(b->node, txs[i], lens[i], hashes[i], b->err, sizeof b->err))
            return -1;
    cw_node_status st;
    do {
        b->clock += 1000000000ull;
        if (cw_node_produce_block(b->node, b->clock, b->err, sizeof b->err))
            return -1;
        cw_node_get_status(b->node, &st);
    } while (st.mempool_txs > 0);
    return bench_thread_cpu_s() - t0;
}

/* Whether every tx succeeded with exactly one event of `type` (and none of `other`). */
static bool upd_check(upd_bench *b, uint8_t (*hashes)[32], size_t n, const char *type,
                      const char *other)
{
    for (size_t i = 0; i < n; i++) {
        cw_enc e;
        cw_dec d;
        const msgpack_object *root;
        cw_rpc_tx_status r;
        cw_enc_init(&e);
        bool ok = cw_node_tx_status(b->node, hashes[i], &e, b->err, sizeof b->err) == CW_OK &&
                  cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), 1 << 20, b->err,
                              sizeof b->err) == CW_OK;
        if (ok) {
            cw_rpc_tx_status_dec(&d, root, &r);
            ok = d.rc == CW_OK && r.code == 0 && cw_rpc_tx_status_count(&r, type) == 1 &&
                 cw_rpc_tx_status_count(&r, other) == 0;
            if (!ok && d.rc == CW_OK)
                snprintf(b->err, sizeof b->err, "tx %zu: code %lld: %.*s", i,
                         (long long)r.code, (int)r.log.len, (const char *)r.log.p);
            cw_dec_close(&d);
        }
        cw_enc_free(&e);
        if (!ok)
            return false;
    }
    return true;
}

/* The msg ibc.update_client of client-0 with lb, skipping from trusted height 10. */
static void upd_msg(cw_enc *m, const cw_light_block *lb, const cw_validator_set *trusted)
{
    cw_msg_update_client mu;
    memset(&mu, 0, sizeof mu);
    snprintf(mu.client_id, sizeof mu.client_id, "client-0");
    mu.update.signed_header = lb->signed_header;
    mu.update.validator_set = lb->validator_set;
    mu.update.trusted_height = 10;
    mu.update.has_trusted_validator_set = true;
    mu.update.trusted_validator_set = *trusted;
    cw_enc_init(m);
    cw_msg_update_client_enc(m, &mu);
}

static int upd_run(upd_bench *b, size_t n)
{
    static const uint8_t seed[32] = {0x5e};
    int rc = 1;
    cw_validator_set vs = {0};
    cw_seckey *keys = calloc(UPD_VALS, sizeof *keys);
    cw_light_block *lbs = calloc(n + 1, sizeof *lbs);
    uint8_t **txs = calloc(n, sizeof *txs), (*hashes)[32] = calloc(n, 32);
    size_t *lens = calloc(n, sizeof *lens);
    if (!keys || !lbs || !txs || !hashes || !lens ||
        cw_gen_validator_set(&vs, keys, seed, 0, UPD_VALS, NULL))
        goto out;
    /* headers of "beta" at heights 10 (the trust root) .. 10+n, one second apart, ending
     * 100 s before the first block's time */
    uint64_t t_base = b->clock - (n + 100) * 1000000000ull;
    for (size_t i = 0; i <= n; i++) {
        cw_header h;
        memset(&h, 0, sizeof h);
        strcpy(h.chain_id, "beta");
        h.height = 10 + i;
        h.time_ns = t_base + i * 1000000000ull;
        memset(h.state_root, (int)(i & 0xff), 32);
        h.proposer = vs.v[0].pubkey;
        if (cw_gen_light_block(&lbs[i], &h, &vs, keys, &vs, NULL, NULL, b->err, sizeof b->err))
            goto out;
    }
    /* the client, at the trust root */
    cw_msg_create_client mc = {.client_type = CW_CLIENT_TYPE_BIP340};
    cw_enc m;
    if (cw_lc_client_state_default(&mc.client_state, "beta"))
        goto out;
    mc.client_state.latest_height = 10;
    cw_lc_consensus_state_of(&mc.consensus_state, &lbs[0].signed_header.header);
    cw_enc_init(&m);
    cw_msg_create_client_enc(&m, &mc);
    int src = upd_sign(b, &m, &txs[0], &lens[0]);
    cw_enc_free(&m);
    if (src || upd_block(b, txs, lens, 1, hashes) < 0 ||
        !upd_check(b, hashes, 1, CW_EV_CREATE_CLIENT, CW_EV_UPDATE_CLIENT))
        goto out;
    free(txs[0]);
    txs[0] = NULL;

    /* real updates: heights 11 .. 10+n, every one verified from height 10 */
    for (size_t i = 0; i < n; i++) {
        upd_msg(&m, &lbs[i + 1], &vs);
        src = m.rc ? m.rc : upd_sign(b, &m, &txs[i], &lens[i]);
        cw_enc_free(&m);
        if (src)
            goto out;
    }
    double t_real = upd_block(b, txs, lens, n, hashes);
    if (t_real < 0 || !upd_check(b, hashes, n, CW_EV_UPDATE_CLIENT, CW_EV_UPDATE_CLIENT_NOOP))
        goto out;
    for (size_t i = 0; i < n; i++) {
        free(txs[i]);
        txs[i] = NULL;
    }
    /* the same headers again, same sizes: every one a no-op */
    for (size_t i = 0; i < n; i++) {
        upd_msg(&m, &lbs[i + 1], &vs);
        src = m.rc ? m.rc : upd_sign(b, &m, &txs[i], &lens[i]);
        cw_enc_free(&m);
        if (src)
            goto out;
    }
    double t_noop = upd_block(b, txs, lens, n, hashes);
    if (t_noop < 0 || !upd_check(b, hashes, n, CW_EV_UPDATE_CLIENT_NOOP, CW_EV_UPDATE_CLIENT))
        goto out;

    cw_lc_verify_info info;
    cw_lc_valset *vals;
    cw_lc_consensus_state trusted;
    cw_lc_client_state cs;
    cw_lc_consensus_state_of(&trusted, &lbs[0].signed_header.header);
    if (cw_lc_client_state_default(&cs, "beta") ||
        cw_lc_valset_create(&vals, &vs, b->err, sizeof b->err))
        goto out;
    /* what each path checks, from the light client itself: a verification of one of the
     * headers, and a no-op update of one (its state already stored) */
    int vrc = cw_lc_verify(&cs, 10, &trusted, &lbs[n].signed_header, vals, vals, b->clock,
                           &info, b->err, sizeof b->err);
    cw_lc_memstore *ms = NULL;
    cw_lc_store st;
    cw_lc_update_result nres = {0};
    cw_lc_consensus_state stored;
    cw_lc_consensus_state_of(&stored, &lbs[n].signed_header.header);
    cs.latest_height = 10 + n;
    if (!vrc && !(vrc = cw_lc_memstore_create(&ms))) {
        cw_lc_memstore_store(&st, ms);
        if (!(vrc = st.put(st.ctx, 10, &trusted)) && !(vrc = st.put(st.ctx, 10 + n, &stored)))
            vrc = cw_lc_update(&cs, &st, &lbs[n].signed_header, vals, 10, vals, b->clock, &nres,
                               b->err, sizeof b->err);
        if (!vrc && !nres.noop)
            vrc = CW_ESTATE;
    }
    cw_lc_memstore_destroy(ms);
    cw_lc_valset_release(vals);
    if (vrc)
        goto out;
    printf("client update that is a no-op: MsgUpdateClient of a %u-validator chain, %zu txs "
           "per round, CPU per update (admission + execution + commit)\n", UPD_VALS, n);
    printf("  real update (verified)   %9.1f us/update  (%u signatures checked)\n",
           t_real * 1e6 / n, info.sigs_checked);
    printf("  no-op (state stored)     %9.1f us/update  (%u signatures checked)\n",
           t_noop * 1e6 / n, nres.info.sigs_checked);
    printf("  ratio no-op / real       %9.3f            (%.0fx cheaper)\n", t_noop / t_real,
           t_real / t_noop);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "bench_chain: client update: %s\n", b->err);
    for (size_t i = 0; txs && i < n; i++)
        free(txs[i]);
    for (size_t i = 0; lbs && i <= n; i++)
        cw_light_block_free(&lbs[i]);
    if (keys)
        cw_wipe(keys, UPD_VALS * sizeof *keys);
    free(keys);
    free(lbs);
    free(txs);
    free(hashes);
    free(lens);
    cw_validator_set_free(&vs);
    return rc;
}

static int bench_client_update_noop(void)
{
    upd_bench b;
    memset(&b, 0, sizeof b);
    size_t n = bench_env_u64("CW_BENCH_UPDATES", 40);
    if (n == 0)
        return 0;
    snprintf(b.home, sizeof b.home, "/tmp/cwbenchuXXXXXX");
    if (!mkdtemp(b.home))
        return 1;
    char h2[80], path[128];
    snprintf(h2, sizeof h2, "%s/h", b.home);
    char *argv[] = {"init", "--home", h2, "--chain-id", "bench", "--accounts", "relayer",
                    "--denoms", "stake", "--validators", "4", NULL};
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int rc = cw_chain_cmd_init(11, argv);
    fclose(stdout);
    stdout = saved;
    cw_pubkey32 pk;
    snprintf(path, sizeof path, "%s/keys/relayer.json", h2);
    if (rc || cw_node_open(&b.node, h2, b.err, sizeof b.err) ||
        cw_keyfile_read(path, &b.key, &pk, b.err, sizeof b.err)) {
        fprintf(stderr, "bench_chain: client update setup failed: %s\n", b.err);
        rc = 1;
    } else {
        cw_node_status st;
        cw_node_get_status(b.node, &st);
        b.clock = st.latest_time_ns;
        rc = upd_run(&b, n);
    }
    if (b.node)
        cw_node_close(b.node);
    cw_seckey_wipe(&b.key);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", b.home);
    return system(cmd) == 0 ? rc : 1;
}
