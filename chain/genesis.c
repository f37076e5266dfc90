/* config.json and genesis.json: strict reading (file, field, value in every error) and
 * writing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/gas.h"
#include "causeway/hex.h"
#include "causeway/tx.h"
#include "causeway/jsonconf.h"
#include "causeway/mathx.h"
#include "causeway/rpc_server.h"
#include "node.h"

void cw_node_config_defaults(cw_node_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1");
    c->port = 26657;
    c->block_interval_ms = 1000;
    c->max_block_txs = 10000;
    c->mempool_max_txs = 50000;
    c->mempool_max_bytes = 64u << 20;
    c->max_block_gas = CW_GAS_BLOCK_DEFAULT;
    c->mempool_max_txs_per_sender = 5000;
    c->mempool_max_bytes_per_sender = 16u << 20;
    c->max_frame_bytes = 4u << 20;
    c->state_versions = 10000;
    c->sign_with = 0;
    snprintf(c->log_level, sizeof c->log_level, "info");
    c->max_connections = 256;
    c->max_sessions_per_peer = CW_RPC_PER_PEER_DEFAULT;
    c->idle_timeout_s = CW_RPC_IDLE_TIMEOUT_DEFAULT;
    c->handshake_timeout_s = CW_RPC_HANDSHAKE_TIMEOUT_DEFAULT;
    c->ping_interval_s = CW_RPC_PING_INTERVAL_DEFAULT;
}

int cw_node_config_load(cw_node_config *c, const char *path, char *err, size_t err_len)
{
    static const char *const known[] = {"listen", "port", "block_interval_ms", "max_block_txs",
                                        "mempool_max_txs", "mempool_max_bytes",
                                        "max_block_gas", "mempool_max_txs_per_sender",
                                        "mempool_max_bytes_per_sender",
                                        "max_frame_bytes", "state_versions", "sign_with",
                                        "log_level", "max_connections",
                                        "max_sessions_per_peer", "idle_timeout_s",
                                        "handshake_timeout_s", "ping_interval_s", NULL};
    json_t *root;
    cw_node_config_defaults(c);
    int rc = cw_jconf_load(&root, path, err, err_len);
    if (rc)
        return rc;
    cw_jconf j = {.file = path, .err = err, .err_len = err_len};
    cw_jconf_only(&j, root, "", known);
    cw_jconf_str(&j, root, "listen", "", false, sizeof c->listen - 1, c->listen,
                 sizeof c->listen);
    cw_jconf_u64(&j, root, "port", "", false, 0, 65535, &c->port);
    cw_jconf_u64(&j, root, "block_interval_ms", "", false, 10, 3600000, &c->block_interval_ms);
    cw_jconf_u64(&j, root, "max_block_txs", "", false, 1, 1000000, &c->max_block_txs);
    cw_jconf_u64(&j, root, "mempool_max_txs", "", false, 1, 10000000, &c->mempool_max_txs);
    cw_jconf_u64(&j, root, "mempool_max_bytes", "", false, 1024, 1ull << 34,
                 &c->mempool_max_bytes);
    cw_jconf_u64(&j, root, "max_block_gas", "", false, 100000, CW_GAS_TX_MAX, &c->max_block_gas);
    cw_jconf_u64(&j, root, "mempool_max_txs_per_sender", "", false, 1, 10000000,
                 &c->mempool_max_txs_per_sender);
    cw_jconf_u64(&j, root, "mempool_max_bytes_per_sender", "", false, CW_TX_MAX_BYTES, 1ull << 34,
                 &c->mempool_max_bytes_per_sender);
    cw_jconf_u64(&j, root, "max_frame_bytes", "", false, 1024, 64u << 20, &c->max_frame_bytes);
    cw_jconf_u64(&j, root, "state_versions", "", false, 2, 1u << 30, &c->state_versions);
    cw_jconf_u64(&j, root, "sign_with", "", false, 0, CW_VALSET_MAX, &c->sign_with);
    cw_jconf_str(&j, root, "log_level", "", false, sizeof c->log_level - 1, c->log_level,
                 sizeof c->log_level);
    if (j.rc == CW_OK && strcmp(c->log_level, "error") && strcmp(c->log_level, "warn") &&
        strcmp(c->log_level, "info") && strcmp(c->log_level, "debug"))
        cw_jconf_fail(&j, CW_EINVAL, "log_level", "\"%s\" is not one of error, warn, info, debug",
                      c->log_level);
    /* RPC session limits (the bounds cw_rpc_server_create enforces, and ≥ 1: 0 would mean
     * "the default" to the server, which a config file should say by leaving it out) */
    cw_jconf_u64(&j, root, "max_connections", "", false, 1, 65535, &c->max_connections);
    if (!json_object_get(root, "max_sessions_per_peer") &&
        c->max_sessions_per_peer > c->max_connections)
        c->max_sessions_per_peer = c->max_connections; /* the server's own default */
    cw_jconf_u64(&j, root, "max_sessions_per_peer", "", false, 1, 65535,
                 &c->max_sessions_per_peer);
    if (j.rc == CW_OK && c->max_sessions_per_peer > c->max_connections)
        cw_jconf_fail(&j, CW_EINVAL, "max_sessions_per_peer",
                      "%llu is more than max_connections (%llu)",
                      (unsigned long long)c->max_sessions_per_peer,
                      (unsigned long long)c->max_connections);
    cw_jconf_u64(&j, root, "idle_timeout_s", "", false, 1, 86400, &c->idle_timeout_s);
    cw_jconf_u64(&j, root, "handshake_timeout_s", "", false, 1, 3600, &c->handshake_timeout_s);
    cw_jconf_u64(&j, root, "ping_interval_s", "", false, 1, 3600, &c->ping_interval_s);
    json_decref(root);
    return j.rc;
}

static int write_json(json_t *o, const char *path, char *err, size_t err_len)
{
    if (!o)
        return cw_errf(err, err_len, -ENOMEM, "%s: out of memory", path);
    int rc = json_dump_file(o, path, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(o);
    if (rc != 0)
        return cw_errf(err, err_len, -EIO, "%s: cannot write", path);
    return CW_OK;
}

int cw_node_config_write(const cw_node_config *c, const char *path, char *err, size_t err_len)
{
    json_t *o = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I}", "listen",
        c->listen, "port", (json_int_t)c->port, "block_interval_ms",
        (json_int_t)c->block_interval_ms, "max_block_txs", (json_int_t)c->max_block_txs,
        "mempool_max_txs", (json_int_t)c->mempool_max_txs, "mempool_max_bytes",
        (json_int_t)c->mempool_max_bytes, "max_frame_bytes", (json_int_t)c->max_frame_bytes,
        "state_versions", (json_int_t)c->state_versions, "sign_with", (json_int_t)c->sign_with,
        "log_level", c->log_level, "max_connections", (json_int_t)c->max_connections,
        "max_sessions_per_peer", (json_int_t)c->max_sessions_per_peer, "idle_timeout_s",
        (json_int_t)c->idle_timeout_s, "handshake_timeout_s", (json_int_t)c->handshake_timeout_s,
        "ping_interval_s", (json_int_t)c->ping_interval_s);
    /* gas and per-sender mempool limits (DESIGN §5 "Gas") */
    if (o && (json_object_set_new(o, "max_block_gas", json_integer((json_int_t)c->max_block_gas)) ||
              json_object_set_new(o, "mempool_max_txs_per_sender",
                                  json_integer((json_int_t)c->mempool_max_txs_per_sender)) ||
              json_object_set_new(o, "mempool_max_bytes_per_sender",
                                  json_integer((json_int_t)c->mempool_max_bytes_per_sender)))) {
        json_decref(o);
        o = NULL;
    }
    return write_json(o, path, err, err_len);
}

void cw_genesis_free(cw_genesis *g)
{
    if (!g)
        return;
    cw_validator_set_free(&g->validators);
    free(g->balances);
    g->balances = NULL;
    g->n_balances = 0;
}

int cw_genesis_load(cw_genesis *g, const char *path, char *err, size_t err_len)
{
    static const char *const known[] = {"chain_id", "genesis_time_ns", "validators", "admin",
                                        "oracle", "balances", "market", "markets", NULL};
    static const char *const vknown[] = {"pubkey", "power", NULL};
    static const char *const bknown[] = {"address", "denom", "amount", NULL};
    json_t *root;
    memset(g, 0, sizeof *g);
    int rc = cw_jconf_load(&root, path, err, err_len);
    if (rc)
        return rc;
    cw_jconf j = {.file = path, .err = err, .err_len = err_len};
    cw_jconf_only(&j, root, "", known);
    cw_jconf_id(&j, root, "chain_id", "", true, g->chain_id);
    cw_jconf_u64(&j, root, "genesis_time_ns", "", true, 0, INT64_MAX, &g->genesis_time_ns);
    cw_jconf_hex(&j, root, "admin", "", g->admin.b, 32);
    cw_jconf_hex(&j, root, "oracle", "", g->oracle.b, 32);
    const json_t *vals = cw_jconf_array(&j, root, "validators", "", true, CW_VALSET_MAX);
    if (j.rc == CW_OK) {
        g->validators.n = (uint32_t)json_array_size(vals);
        g->validators.v = calloc(g->validators.n ? g->validators.n : 1, sizeof(cw_validator));
        if (!g->validators.v)
            cw_jconf_fail(&j, -ENOMEM, "validators", "out of memory");
    }
    for (uint32_t i = 0; j.rc == CW_OK && i < g->validators.n; i++) {
        char what[48];
        snprintf(what, sizeof what, "validators[%u]", i);
        const json_t *v = json_array_get(vals, i);
        cw_jconf_only(&j, v, what, vknown);
        cw_jconf_hex(&j, v, "pubkey", what, g->validators.v[i].pubkey.b, 32);
        cw_jconf_u64(&j, v, "power", what, true, 1, CW_TOTAL_POWER_LIMIT - 1,
                     &g->validators.v[i].power);
        cw_pubkey parsed;
        if (j.rc == CW_OK && cw_pubkey_parse(&parsed, &g->validators.v[i].pubkey))
            cw_jconf_fail(&j, CW_EINVAL, what, "pubkey is not a valid BIP-340 key");
    }
    if (j.rc == CW_OK) {
        char e[200];
        if (cw_validator_set_validate(&g->validators, e, sizeof e))
            cw_jconf_fail(&j, CW_EINVAL, "validators", "%s", e);
    }
    const json_t *bals = cw_jconf_array(&j, root, "balances", "", false, 1u << 20);
    if (j.rc == CW_OK && bals) {
        g->n_balances = (uint32_t)json_array_size(bals);
        g->balances = calloc(g->n_balances ? g->n_balances : 1, sizeof *g->balances);
        if (!g->balances)
            cw_jconf_fail(&j, -ENOMEM, "balances", "out of memory");
    }
    for (uint32_t i = 0; j.rc == CW_OK && i < g->n_balances; i++) {
        char what[48];
        snprintf(what, sizeof what, "balances[%u]", i);
        const json_t *b = json_array_get(bals, i);
        cw_jconf_only(&j, b, what, bknown);
        cw_jconf_hex(&j, b, "address", what, g->balances[i].address.b, 20);
        cw_jconf_id(&j, b, "denom", what, true, g->balances[i].denom);
        cw_jconf_u64(&j, b, "amount", what, true, 1, INT64_MAX, &g->balances[i].amount);
    }
    /* "market": one market (the form before several), or "markets": a list of them */
    const json_t *market = cw_jconf_object(&j, root, "market", "", false);
    const json_t *mlist = cw_jconf_array(&j, root, "markets", "", false, CW_LEND_MAX_MARKETS);
    if (j.rc == CW_OK && market && mlist)
        cw_jconf_fail(&j, CW_EINVAL, "markets", "give \"market\" or \"markets\", not both");
    uint32_t nm = mlist ? (uint32_t)json_array_size(mlist) : market ? 1 : 0;
    for (uint32_t i = 0; j.rc == CW_OK && i < nm; i++) {
        cw_lend_params *mp = &g->markets[i];
        int mrc = cw_lend_params_from_json(mlist ? json_array_get(mlist, i) : market, path, mp,
                                           err, err_len);
        if (mrc) {
            j.rc = mrc;
            break;
        }
        static const uint8_t zero[32];
        if (memcmp(mp->admin.b, zero, 32) == 0)
            mp->admin = g->admin;
        if (memcmp(mp->oracle.b, zero, 32) == 0)
            mp->oracle = g->oracle;
        g->n_markets = i + 1;
    }
    json_decref(root);
    if (j.rc)
        cw_genesis_free(g);
    return j.rc;
}

int cw_genesis_write(const cw_genesis *g, const char *path, char *err, size_t err_len)
{
    char hex[65];
    json_t *o = json_object(), *vals = json_array(), *bals = json_array();
    if (!o || !vals || !bals) {
        json_decref(o);
        json_decref(vals);
        json_decref(bals);
        return cw_errf(err, err_len, -ENOMEM, "%s: out of memory", path);
    }
    json_object_set_new(o, "chain_id", json_string(g->chain_id));
    json_object_set_new(o, "genesis_time_ns", json_integer((json_int_t)g->genesis_time_ns));
    cw_hex_encode(hex, sizeof hex, g->admin.b, 32);
    json_object_set_new(o, "admin", json_string(hex));
    cw_hex_encode(hex, sizeof hex, g->oracle.b, 32);
    json_object_set_new(o, "oracle", json_string(hex));
    for (uint32_t i = 0; i < g->validators.n; i++) {
        cw_hex_encode(hex, sizeof hex, g->validators.v[i].pubkey.b, 32);
        json_array_append_new(vals, json_pack("{s:s, s:I}", "pubkey", hex, "power",
                                              (json_int_t)g->validators.v[i].power));
    }
    for (uint32_t i = 0; i < g->n_balances; i++) {
        cw_hex_encode(hex, sizeof hex, g->balances[i].address.b, 20);
        json_array_append_new(bals, json_pack("{s:s, s:s, s:I}", "address", hex, "denom",
                                              g->balances[i].denom, "amount",
                                              (json_int_t)g->balances[i].amount));
    }
    json_object_set_new(o, "validators", vals);
    json_object_set_new(o, "balances", bals);
    if (g->n_markets > 0) {
        json_t *ms = json_array();
        for (uint32_t i = 0; ms && i < g->n_markets; i++) {
            const cw_lend_params *mp = &g->markets[i];
            char b[41], sl1[41], k[41], sl2[41];
            cw_u128_to_dec(b, sizeof b, mp->base_rate_wad);
            cw_u128_to_dec(sl1, sizeof sl1, mp->slope1_wad);
            cw_u128_to_dec(k, sizeof k, mp->kink_wad);
            cw_u128_to_dec(sl2, sizeof sl2, mp->slope2_wad);
            json_array_append_new(
                ms, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                              "s:I}",
                              "borrow_denom", mp->borrow_denom, "base_rate_wad", b,
                              "slope1_wad", sl1, "kink_wad", k, "slope2_wad", sl2,
                              "close_factor_bps", (json_int_t)mp->close_factor_bps,
                              "reserve_factor_bps", (json_int_t)mp->reserve_factor_bps,
                              "max_price_age_ns", (json_int_t)mp->max_price_age_ns,
                              "liquidation_grace_ns", (json_int_t)mp->liquidation_grace_ns,
                              "dust_threshold", (json_int_t)mp->dust_threshold,
                              "supply_cap", (json_int_t)mp->supply_cap,
                              "borrow_cap", (json_int_t)mp->borrow_cap,
                              "flash_fee_bps", (json_int_t)mp->flash_fee_bps));
        }
        json_object_set_new(o, "markets", ms);
    }
    return write_json(o, path, err, err_len);
}
