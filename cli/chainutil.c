/* Shared plumbing of the chain-facing CLI commands: keyring, node URL, RPC calls,
 * signing and broadcasting with inclusion tracking. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "causeway/cliopt.h"
#include "causeway/codec.h"
#include "causeway/gas.h"
#include "causeway/hex.h"
#include "causeway/rpc_client.h"
#include "causeway/rpc_results.h"
#include "causeway/schnorr.h"
#include "causeway/tx.h"
#include "cli.h"

#define CALL_TIMEOUT_MS 10000

const char *cw_cli_keyring(const char *flag)
{
    static char buf[PATH_MAX];
    if (flag)
        return flag;
    const char *e = getenv("CAUSEWAY_KEYRING");
    if (e && *e)
        return e;
    const char *home = getenv("HOME");
    snprintf(buf, sizeof buf, "%s/.causeway/keys", home && *home ? home : ".");
    return buf;
}

const char *cw_cli_node(const char *flag)
{
    if (flag)
        return flag;
    const char *e = getenv("CAUSEWAY_NODE");
    return e && *e ? e : "ws://127.0.0.1:26657";
}

int cw_cli_load_key(const char *keyring, const char *name, cw_seckey *sk, cw_address *addr)
{
    char path[PATH_MAX], err[512];
    cw_pubkey32 pk;
    if (cw_id_validate(name, strlen(name), "key name", err, sizeof err)) {
        fprintf(stderr, "causeway: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof path, "%s/%s.json", keyring, name);
    if (cw_keyfile_read(path, sk, &pk, err, sizeof err)) {
        fprintf(stderr, "causeway: %s\n", err);
        return 1;
    }
    if (addr)
        cw_address_of(addr, &pk);
    return 0;
}

int cw_cli_parse_address(const char *keyring, const char *s, cw_address *out)
{
    char err[256];
    if (strlen(s) == 40 && cw_hex_decode_exact(out->b, 20, s, err, sizeof err) == CW_OK)
        return 0;
    cw_seckey sk;
    if (cw_id_validate(s, strlen(s), "name", NULL, 0) == CW_OK) {
        char path[PATH_MAX];
        cw_pubkey32 pk;
        snprintf(path, sizeof path, "%s/%s.json", keyring, s);
        if (cw_keyfile_read(path, &sk, &pk, err, sizeof err) == CW_OK) {
            cw_seckey_wipe(&sk);
            cw_address_of(out, &pk);
            return 0;
        }
    }
    fprintf(stderr, "causeway: '%s' is neither a 40-hex-character address nor a key in %s\n",
            s, keyring);
    return 1;
}

int cw_cli_connect(cw_rpc_client **cl, const char *url)
{
    char err[512];
    if (cw_rpc_client_connect(cl, url, CALL_TIMEOUT_MS, err, sizeof err)) {
        fprintf(stderr, "causeway: cannot reach %s: %s\n", url, err);
        return 1;
    }
    return 0;
}

int cw_cli_call(cw_rpc_client *cl, const char *method, const uint8_t *params, size_t params_len,
                uint8_t **res, size_t *res_len)
{
    char err[512] = "";
    int rc = cw_rpc_call(cl, method, params, params_len, res, res_len, CALL_TIMEOUT_MS, err,
                         sizeof err);
    if (rc) {
        fprintf(stderr, "causeway: %s: %s\n", method, err[0] ? err : cw_strerror(rc));
        return 1;
    }
    return 0;
}

int cw_cli_ask(cw_cli_answer *a, cw_rpc_client *cl, const char *method, const cw_enc *params)
{
    size_t len = 0;
    memset(&a->d, 0, sizeof a->d);
    a->root = NULL;
    a->res = NULL;
    a->err[0] = '\0';
    if (cw_cli_call(cl, method, params ? cw_enc_data(params) : (const uint8_t *)"\x90",
                    params ? cw_enc_len(params) : 1, &a->res, &len))
        return 1;
    if (cw_rpc_result_open(&a->d, &a->root, a->res, len, method, a->err, sizeof a->err))
        a->root = NULL; /* d.rc holds the failure: decoders read nothing, _end prints it */
    return 0;
}

int cw_cli_answer_end(cw_cli_answer *a, const char *what)
{
    int rc = a->d.rc;
    cw_dec_close(&a->d);
    free(a->res);
    a->res = NULL;
    if (rc)
        fprintf(stderr, "causeway %s: unexpected answer: %s\n", what, a->err);
    return rc ? 1 : 0;
}

int cw_cli_lend_market(cw_rpc_client *cl, const char *asset, cw_rpc_lend_market *m,
                       const char *what)
{
    cw_cli_answer a;
    cw_enc p;
    cw_rpc_lend_market_params mp = {.has_asset = asset != NULL};
    if (asset)
        snprintf(mp.asset, sizeof mp.asset, "%s", asset);
    cw_enc_init(&p);
    cw_rpc_lend_market_params_enc(&p, &mp);
    int rc = p.rc ? 1 : cw_cli_ask(&a, cl, "lend_market", &p);
    cw_enc_free(&p);
    if (rc)
        return 1;
    cw_rpc_lend_market_dec(&a.d, a.root, m);
    return cw_cli_answer_end(&a, what);
}

/* `query [key, height, false]` (height 0 = latest): as cw_cli_ask */
static int ask_query(cw_cli_answer *a, cw_rpc_client *cl, const char *key, uint64_t height)
{
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_query_params qp = {{(const uint8_t *)key, strlen(key)}, height, false};
    cw_rpc_query_params_enc(&p, &qp);
    int rc = cw_cli_ask(a, cl, "query", &p);
    cw_enc_free(&p);
    return rc;
}

int cw_cli_query_value(cw_rpc_client *cl, const char *key, uint64_t height, uint8_t **val,
                       size_t *len, uint64_t *at)
{
    cw_cli_answer a;
    cw_rpc_query q;
    *val = NULL;
    *len = 0;
    if (ask_query(&a, cl, key, height))
        return 1;
    cw_rpc_query_dec(&a.d, a.root, &q);
    if (a.d.rc == CW_OK) {
        if (at)
            *at = q.height;
        if (q.item.has_value && (*val = malloc(q.item.value.len + 1)) != NULL) {
            memcpy(*val, q.item.value.p, q.item.value.len);
            *len = q.item.value.len;
        } else if (q.item.has_value) {
            cw_dec_fail(&a.d, -ENOMEM, "out of memory");
        }
    }
    return cw_cli_answer_end(&a, "query");
}

int cw_cli_ask_address(cw_cli_answer *a, cw_rpc_client *cl, const char *method,
                       const cw_address *addr)
{
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_address_params_enc(&p, addr);
    int rc = cw_cli_ask(a, cl, method, &p);
    cw_enc_free(&p);
    return rc;
}

int cw_cli_status(cw_rpc_client *cl, cw_rpc_status *st, const char *what)
{
    cw_cli_answer a;
    if (cw_cli_ask(&a, cl, "status", NULL))
        return 1;
    cw_rpc_status_dec(&a.d, a.root, st);
    return cw_cli_answer_end(&a, what);
}

int cw_cli_account(cw_rpc_client *cl, const cw_address *addr, cw_rpc_account *acc,
                   const char *what)
{
    cw_cli_answer a;
    if (cw_cli_ask_address(&a, cl, "account", addr))
        return 1;
    cw_rpc_account_dec(&a.d, a.root, acc);
    return cw_cli_answer_end(&a, what);
}

/* Read the chain id (status) and the signer's pending next nonce (account). */
static int chain_and_nonce(cw_rpc_client *cl, const cw_address *addr, char chain[65],
                           uint64_t *nonce)
{
    cw_rpc_status st;
    static cw_rpc_account acc;
    if (cw_cli_status(cl, &st, "status") || cw_cli_account(cl, addr, &acc, "account"))
        return 1;
    memcpy(chain, st.chain_id, sizeof st.chain_id);
    *nonce = acc.pending_next_nonce;
    return 0;
}

/* tx_status(hash) → 0 committed (fills height/code/log), 2 not yet, 1 error. */
static int tx_status(cw_rpc_client *cl, const uint8_t hash[32], uint64_t *height, int64_t *code,
                     uint64_t gas[2], char *log, size_t log_len)
{
    cw_enc p;
    uint8_t *res = NULL;
    size_t len;
    char err[512] = "";
    cw_enc_init(&p);
    cw_rpc_hash_params_enc(&p, hash);
    int rc = cw_rpc_call(cl, "tx_status", cw_enc_data(&p), cw_enc_len(&p), &res, &len,
                         CALL_TIMEOUT_MS, err, sizeof err);
    cw_enc_free(&p);
    if (rc == CW_ENOTFOUND)
        return 2;
    if (rc) {
        fprintf(stderr, "causeway: tx_status: %s\n", err[0] ? err : cw_strerror(rc));
        return 1;
    }
    cw_dec d;
    const msgpack_object *root;
    static cw_rpc_tx_status st;
    if (cw_rpc_result_open(&d, &root, res, len, "tx_status", err, sizeof err) == CW_OK) {
        cw_rpc_tx_status_dec(&d, root, &st);
        if (d.rc == CW_OK) {
            *height = st.height;
            *code = st.code;
            gas[0] = st.gas_wanted;
            gas[1] = st.gas_used;
            snprintf(log, log_len, "%.*s", (int)st.log.len, (const char *)st.log.p);
        }
    }
    rc = d.rc;
    cw_dec_close(&d);
    free(res);
    if (rc)
        fprintf(stderr, "causeway: tx_status: unexpected answer: %s\n", err);
    return rc ? 1 : 0;
}

int cw_cli_broadcast(const char *node, const char *keyring, const char *from,
                     const uint8_t *const *msgs, const size_t *msg_lens, size_t n_msgs,
                     const char *memo, uint64_t gas, bool no_wait, unsigned timeout_s,
                     bool json)
{
    cw_seckey sk;
    cw_address addr;
    cw_rpc_client *cl = NULL;
    char chain[65], err[512], hex[65];
    uint64_t nonce = 0;
    uint8_t *env = NULL;
    size_t env_len;
    int status = 1;

    if (cw_cli_load_key(keyring, from, &sk, &addr))
        return 1;
    if (cw_cli_connect(&cl, node) || chain_and_nonce(cl, &addr, chain, &nonce))
        goto out;
    cw_bytes *m = calloc(n_msgs, sizeof *m);
    if (!m)
        goto out;
    for (size_t i = 0; i < n_msgs; i++)
        m[i] = (cw_bytes){msgs[i], msg_lens[i]};
    int rc = cw_tx_sign(&env, &env_len, chain, &sk, nonce, gas, m, n_msgs, memo, err,
                        sizeof err);
    free(m);
    if (rc) {
        fprintf(stderr, "causeway: %s\n", err);
        goto out;
    }
    cw_enc p;
    cw_enc_init(&p);
    cw_rpc_broadcast_params_enc(&p, env, env_len);
    cw_cli_answer ans;
    rc = cw_cli_ask(&ans, cl, "broadcast_tx", &p);
    cw_enc_free(&p);
    if (rc)
        goto out;
    uint8_t hash[32];
    cw_rpc_broadcast_dec(&ans.d, ans.root, hash);
    if (cw_cli_answer_end(&ans, "broadcast_tx"))
        goto out;
    cw_hex_encode(hex, sizeof hex, hash, 32);
    if (no_wait) {
        if (json)
            printf("{\"tx_hash\":\"%s\",\"nonce\":%llu,\"committed\":false}\n", hex,
                   (unsigned long long)nonce);
        else
            printf("broadcast tx %s (nonce %llu)\n", hex, (unsigned long long)nonce);
        status = 0;
        goto out;
    }
    /* follow blocks: check the tx after each new block (no fixed sleeps) */
    if (cw_rpc_subscribe(cl, CW_RPC_TOPIC_BLOCKS, CALL_TIMEOUT_MS, err, sizeof err)) {
        fprintf(stderr, "causeway: subscribe: %s\n", err);
        goto out;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        uint64_t height = 0, g[2] = {0, 0};
        int64_t code = 0;
        char log[512] = "";
        int st = tx_status(cl, hash, &height, &code, g, log, sizeof log);
        if (st == 1)
            goto out;
        if (st == 0) {
            if (json) {
                json_t *o = json_pack("{s:s, s:I, s:I, s:b, s:I, s:s, s:I, s:I}", "tx_hash", hex,
                                      "nonce", (json_int_t)nonce, "height", (json_int_t)height,
                                      "committed", 1, "code", (json_int_t)code, "log", log,
                                      "gas_wanted", (json_int_t)g[0], "gas_used",
                                      (json_int_t)g[1]);
                cw_cli_print_json(o, "{}");
            } else if (code == 0) {
                printf("committed tx %s at height %llu (gas used %llu of %llu)\n", hex,
                       (unsigned long long)height, (unsigned long long)g[1],
                       (unsigned long long)g[0]);
            } else {
                printf("tx %s failed at height %llu (gas used %llu of %llu): %s\n", hex,
                       (unsigned long long)height, (unsigned long long)g[1],
                       (unsigned long long)g[0], log);
            }
            status = code == 0 ? 0 : 1;
            goto out;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long left_ms = (long)timeout_s * 1000 - ((t1.tv_sec - t0.tv_sec) * 1000 +
                                                 (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (left_ms <= 0) {
            fprintf(stderr, "causeway: tx %s not committed within %us\n", hex, timeout_s);
            goto out;
        }
        char topic[CW_RPC_METHOD_MAX + 1];
        uint8_t *note = NULL;
        size_t note_len;
        rc = cw_rpc_next_notification(cl, topic, &note, &note_len, (uint32_t)left_ms, err,
                                      sizeof err);
        free(note);
        if (rc && rc != CW_ETIMEOUT) {
            fprintf(stderr, "causeway: waiting for blocks: %s\n", err);
            goto out;
        }
    }
out:
    cw_seckey_wipe(&sk);
    free(env);
    cw_rpc_client_close(cl);
    return status;
}

int cw_cli_parse_gas(const cw_cliopt *o, const char *arg)
{
    char err[256];
    uint64_t *g = o->dst;
    if (cw_u64_from_dec(g, arg, err, sizeof err) || *g == 0 || *g > CW_GAS_TX_MAX) {
        fprintf(stderr, "causeway tx: --gas: '%s' is not a gas limit (1..%llu gas units)\n", arg,
                (unsigned long long)CW_GAS_TX_MAX);
        return -1;
    }
    return 0;
}
