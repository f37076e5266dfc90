/* causeway query status|account|balance|block, and causeway healthz URL. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "causeway/app_msgs.h"
#include "causeway/block.h"
#include "causeway/cliopt.h"
#include "causeway/codec.h"
#include "causeway/hex.h"
#include "causeway/ics20.h"
#include "causeway/keys.h"
#include "causeway/packet.h"
#include "causeway/mathx.h"
#include "causeway/rpc_client.h"
#include "causeway/rpc_results.h"
#include "causeway/schnorr.h"
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: causeway query status\n"
               "       causeway query account ADDRESS|NAME\n"
               "       causeway query balance ADDRESS|NAME DENOM [--height H]\n"
               "       causeway query block HEIGHT\n"
               "       causeway query escrow CHANNEL DENOM          (collateral's home chain)\n"
               "       causeway query position ADDRESS|NAME CHANNEL BASE_DENOM (lending chain)\n"
               "       causeway query health ADDRESS|NAME [--asset A] (lending chain)\n"
               "       causeway query market [--asset A]            (lending chain)\n"
               "       causeway query packet PORT CHANNEL SEQUENCE\n"
               "       causeway query denom-trace ibc/HASH          (ICS-20: the voucher's path)\n"
               "       causeway query denom-traces                  (ICS-20: every trace here)\n"
               "       causeway query transfer-escrow CHANNEL DENOM (ICS-20 escrow of a channel)\n"
               "  options: --node URL (default $CAUSEWAY_NODE or ws://127.0.0.1:26657),\n"
               "           --keyring DIR (to name accounts by key), --json,\n"
               "           --asset A: the market (its borrowable asset) when the chain has\n"
               "           several; with one market it is that one. health lists the debt in\n"
               "           every market and the total in the price unit (the first market's\n"
               "           asset); with --asset (or one market) also that market's own figures\n"
               "           at the top (asset, debt, supply_value, shares).\n");
}

static void print_json(json_t *o) { cw_cli_print_json(o, "{}"); }

static int q_status(cw_rpc_client *cl, bool json)
{
    char hash[65], root[65];
    cw_rpc_status st;
    if (cw_cli_status(cl, &st, "query status"))
        return 1;
    cw_hex_encode(hash, sizeof hash, st.latest_block_hash, 32);
    cw_hex_encode(root, sizeof root, st.latest_state_root, 32);
    if (json)
        print_json(json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:I}", "chain_id", st.chain_id,
                             "latest_height", (json_int_t)st.latest_height, "latest_time",
                             (json_int_t)st.latest_time_ns, "latest_block_hash", hash,
                             "latest_state_root", root, "earliest_state_height",
                             (json_int_t)st.earliest_state_height, "mempool_txs",
                             (json_int_t)st.mempool_txs));
    else
        printf("chain %s height %llu time %llu\n  block hash %s\n  state root %s\n"
               "  mempool %llu txs, state provable from height %llu\n",
               st.chain_id, (unsigned long long)st.latest_height,
               (unsigned long long)st.latest_time_ns, hash, root,
               (unsigned long long)st.mempool_txs, (unsigned long long)st.earliest_state_height);
    return 0;
}

static int q_account(cw_rpc_client *cl, const cw_address *addr, bool json)
{
    char hex[41];
    static cw_rpc_account acc;
    if (cw_cli_account(cl, addr, &acc, "query account"))
        return 1;
    cw_hex_encode(hex, sizeof hex, addr->b, 20);
    if (!json)
        printf("account %s nonce %llu (pending %llu)\n", hex, (unsigned long long)acc.next_nonce,
               (unsigned long long)acc.pending_next_nonce);
    json_t *bal = json_object();
    for (uint32_t i = 0; i < acc.n_balances; i++) {
        json_object_set_new(bal, acc.balances[i].denom,
                            json_integer((json_int_t)acc.balances[i].amount));
        if (!json)
            printf("  %20llu %s\n", (unsigned long long)acc.balances[i].amount,
                   acc.balances[i].denom);
    }
    if (json)
        print_json(json_pack("{s:s, s:I, s:I, s:o}", "address", hex, "nonce",
                             (json_int_t)acc.next_nonce, "pending_nonce",
                             (json_int_t)acc.pending_next_nonce, "balances", bal));
    else
        json_decref(bal);
    return 0;
}

/* The amount stored under key at height (0 = latest; unproven), read with dec (a
 * causeway/keys.h value decoder; absent reads 0): 0 with *amount and *at the height
 * answered, or 1 (printed, "causeway query WHAT: ..."). */
static int query_amount(cw_rpc_client *cl, const char *key, uint64_t height, const char *what,
                        int (*dec)(uint64_t *, const uint8_t *, size_t, char *, size_t),
                        uint64_t *amount, uint64_t *at)
{
    uint8_t *v;
    size_t n;
    char err[256];
    if (cw_cli_query_value(cl, key, height, &v, &n, at))
        return 1;
    int rc = dec(amount, v, n, err, sizeof err);
    free(v);
    if (rc) {
        fprintf(stderr, "causeway query %s: unexpected answer: %s: %s\n", what, key, err);
        return 1;
    }
    return 0;
}

static int q_balance(cw_rpc_client *cl, const cw_address *a, const char *denom, uint64_t height,
                     bool json)
{
    char key[CW_KEY_MAX], hex[41];
    cw_hex_encode(hex, sizeof hex, a->b, 20);
    if (cw_key_bank_balance(key, a, denom)) {
        fprintf(stderr, "causeway query balance: '%s' is not a denom\n", denom);
        return 2;
    }
    uint64_t amount = 0, at;
    if (query_amount(cl, key, height, "balance", cw_val_be64_dec, &amount, &at))
        return 1;
    if (json)
        print_json(json_pack("{s:s, s:s, s:I, s:I}", "address", hex, "denom", denom, "amount",
                             (json_int_t)amount, "height", (json_int_t)at));
    else
        printf("%llu %s (height %llu)\n", (unsigned long long)amount, denom,
               (unsigned long long)at);
    return 0;
}

static int q_block(cw_rpc_client *cl, uint64_t height, bool json)
{
    cw_enc p;
    uint8_t *res;
    size_t len;
    char err[256];
    cw_enc_init(&p);
    cw_rpc_height_params_enc(&p, height);
    int rc = cw_cli_call(cl, "light_block", cw_enc_data(&p), cw_enc_len(&p), &res, &len);
    cw_enc_free(&p);
    if (rc)
        return 1;
    cw_light_block lb;
    rc = cw_light_block_decode(&lb, res, len, err, sizeof err);
    free(res);
    if (rc) {
        fprintf(stderr, "causeway query block: %s\n", err);
        return 1;
    }
    const cw_header *h = &lb.signed_header.header;
    char bh[65], sr[65], vh[65], nvh[65];
    cw_hex_encode(bh, sizeof bh, lb.signed_header.commit.block_hash, 32);
    cw_hex_encode(sr, sizeof sr, h->state_root, 32);
    cw_hex_encode(vh, sizeof vh, h->validators_hash, 32);
    cw_hex_encode(nvh, sizeof nvh, h->next_validators_hash, 32);
    if (json)
        print_json(json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I}", "chain_id",
                             h->chain_id, "height", (json_int_t)h->height, "time_ns",
                             (json_int_t)h->time_ns, "block_hash", bh, "state_root", sr,
                             "validators_hash", vh, "next_validators_hash", nvh, "signatures",
                             (json_int_t)lb.signed_header.commit.n_sigs, "validators",
                             (json_int_t)lb.validator_set.n));
    else
        printf("block %llu of %s time %llu\n  hash %s\n  state root %s\n  validators %s "
               "(%u, %u signed)\n  next validators %s\n",
               (unsigned long long)h->height, h->chain_id, (unsigned long long)h->time_ns, bh,
               sr, vh, lb.validator_set.n, lb.signed_header.commit.n_sigs, nvh);
    cw_light_block_free(&lb);
    return 0;
}

static int q_escrow(cw_rpc_client *cl, const char *channel, const char *denom, bool json)
{
    char key[CW_KEY_MAX];
    uint64_t at, amount = 0;
    if (cw_key_collateral_escrow(key, channel, denom)) {
        fprintf(stderr, "causeway query escrow: bad channel or denom\n");
        return 2;
    }
    if (query_amount(cl, key, 0, "escrow", cw_val_be64_dec, &amount, &at))
        return 1;
    if (json)
        print_json(json_pack("{s:s, s:s, s:I, s:I}", "channel", channel, "denom", denom,
                             "escrow", (json_int_t)amount, "height", (json_int_t)at));
    else
        printf("escrow on %s: %llu %s (height %llu)\n", channel, (unsigned long long)amount,
               denom, (unsigned long long)at);
    return 0;
}

static int q_position(cw_rpc_client *cl, const cw_address *a, const char *channel,
                      const char *base, bool json)
{
    char key[CW_KEY_MAX], hex[41], trace[CW_TRACE_DENOM_LEN + 1];
    uint64_t at, amount = 0;
    if (cw_trace_denom(trace, channel, base) || cw_key_collateral_position(key, a, trace)) {
        fprintf(stderr, "causeway query position: bad channel or denom\n");
        return 2;
    }
    cw_hex_encode(hex, sizeof hex, a->b, 20);
    if (query_amount(cl, key, 0, "position", cw_val_u64_rec_dec, &amount, &at))
        return 1;
    if (json)
        print_json(json_pack("{s:s, s:s, s:s, s:I, s:I}", "address", hex, "denom", base,
                             "trace_denom", trace, "position", (json_int_t)amount, "height",
                             (json_int_t)at));
    else
        printf("position of %s: %llu %s (%s, height %llu)\n", hex, (unsigned long long)amount,
               base, trace, (unsigned long long)at);
    return 0;
}

static void u128_text(char *out, size_t n, cw_u128 v) { cw_u128_to_dec(out, n, v); }

static int q_health(cw_rpc_client *cl, const cw_address *addr, const char *asset, bool json)
{
    char hex[41];
    cw_cli_answer a;
    cw_rpc_lend_account la;
    if (cw_cli_ask_address(&a, cl, "lend_account", addr))
        return 1;
    cw_rpc_lend_account_dec(&a.d, a.root, &la);
    if (cw_cli_answer_end(&a, "query health"))
        return 1;
    /* the market named, or the only one */
    const cw_rpc_lend_account_market *one = NULL;
    for (uint32_t i = 0; i < la.n_markets; i++)
        if (asset ? strcmp(la.markets[i].asset, asset) == 0 : la.n_markets == 1)
            one = &la.markets[i];
    if (asset && !one) {
        fprintf(stderr, "causeway query health: no market for %s\n", asset);
        return 1;
    }
    cw_hex_encode(hex, sizeof hex, addr->b, 20);
    char f[4][41];
    static const char *const names[4] = {"debt_value", "borrow_limit", "liquidation_limit",
                                         "health_factor_wad"};
    const cw_u128 v[4] = {la.debt_value, la.borrow_limit, la.liquidation_limit,
                          la.health_factor_wad};
    for (int i = 0; i < 4; i++)
        u128_text(f[i], sizeof f[i], v[i]);
    if (json) {
        json_t *o = json_pack("{s:s}", "address", hex), *ms = json_array();
        for (int i = 0; i < 4; i++)
            json_object_set_new(o, names[i], json_string(f[i]));
        for (uint32_t i = 0; i < la.n_markets; i++) {
            const cw_rpc_lend_account_market *m = &la.markets[i];
            char d[41], sd[41], sv[41], sh[41];
            u128_text(d, sizeof d, m->debt);
            u128_text(sd, sizeof sd, m->scaled_debt);
            u128_text(sv, sizeof sv, m->supply_value);
            u128_text(sh, sizeof sh, m->shares);
            json_array_append_new(ms, json_pack("{s:s, s:s, s:s, s:s, s:s}", "asset", m->asset,
                                                "debt", d, "scaled_debt", sd, "supply_value",
                                                sv, "shares", sh));
            if (m == one) {
                json_object_set_new(o, "asset", json_string(m->asset));
                json_object_set_new(o, "debt", json_string(d));
                json_object_set_new(o, "supply_value", json_string(sv));
                json_object_set_new(o, "shares", json_string(sh));
            }
        }
        json_object_set_new(o, "markets", ms);
        print_json(o);
    } else {
        printf("account %s\n", hex);
        for (int i = 0; i < 4; i++)
            printf("  %-18s %s%s\n", names[i], f[i],
                   i == 3 ? " (1e18 = 1.0; below 1.0 is liquidatable)"
                   : i == 0 ? " (every debt, in the price unit)" : "");
        for (uint32_t i = 0; i < la.n_markets; i++) {
            const cw_rpc_lend_account_market *m = &la.markets[i];
            char d[41], sv[41], sh[41];
            u128_text(d, sizeof d, m->debt);
            u128_text(sv, sizeof sv, m->supply_value);
            u128_text(sh, sizeof sh, m->shares);
            printf("  market %-10s debt %s, supply value %s (%s shares)\n", m->asset, d, sv, sh);
        }
    }
    return 0;
}

/* A wad fraction (1e18 = 100%) as a percentage with two decimals, rounded down. */
static void pct_text(char *out, size_t n, cw_u128 wad)
{
    cw_u128 h = wad / (CW_WAD / 10000); /* hundredths of a percent */
    char whole[41];
    cw_u128_to_dec(whole, sizeof whole, h / 100);
    snprintf(out, n, "%s.%02u%%", whole, (unsigned)(h % 100));
}

static void cap_text(char *out, size_t n, uint64_t cap)
{
    if (cap)
        snprintf(out, n, "%llu", (unsigned long long)cap);
    else
        snprintf(out, n, "none");
}

static int q_market(cw_rpc_client *cl, const char *asset, bool json)
{
    cw_rpc_lend_market m;
    if (cw_cli_lend_market(cl, asset, &m, "query market"))
        return 1;
    char idx[41], borrows[41], reserves[41], shares[41], bad[41], supply[41], util[41],
        bapr[41], sapr[41];
    u128_text(idx, sizeof idx, m.borrow_index_wad);
    u128_text(borrows, sizeof borrows, m.total_borrows);
    u128_text(reserves, sizeof reserves, m.reserves);
    u128_text(shares, sizeof shares, m.total_shares);
    u128_text(bad, sizeof bad, m.bad_debt);
    u128_text(supply, sizeof supply, m.total_supply);
    u128_text(util, sizeof util, m.utilization_wad);
    u128_text(bapr, sizeof bapr, m.borrow_apr_wad);
    u128_text(sapr, sizeof sapr, m.supply_apr_wad);
    /* the paused actions by name, in bit order (repay is never paused) */
    char paused[128] = "";
    json_t *pl = json_array();
    for (uint64_t bit = 1; bit <= CW_LEND_ACTION_ALL; bit <<= 1) {
        const char *name = cw_lend_action_name(bit);
        if (!(m.paused_actions & bit) || !name)
            continue;
        json_array_append_new(pl, json_string(name));
        size_t l = strlen(paused);
        snprintf(paused + l, sizeof paused - l, "%s%s", l ? ", " : "", name);
    }
    if (json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}",
                              "borrow_denom", m.borrow_denom, "borrow_index_wad", idx,
                              "total_borrows", borrows, "cash", (json_int_t)m.cash, "reserves",
                              reserves, "total_shares", shares, "bad_debt", bad, "total_supply",
                              supply, "supply_cap", (json_int_t)m.supply_cap, "borrow_cap",
                              (json_int_t)m.borrow_cap, "utilization_wad", util,
                              "borrow_apr_wad", bapr, "supply_apr_wad", sapr);
        json_object_set_new(o, "paused_actions", pl);
        json_object_set_new(o, "flash_fee_bps", json_integer((json_int_t)m.flash_fee_bps));
        json_t *ml = json_array();
        for (uint32_t i = 0; i < m.n_markets; i++)
            json_array_append_new(ml, json_string(m.markets[i]));
        json_object_set_new(o, "markets", ml);
        print_json(o);
        return 0;
    }
    json_decref(pl);
    char sc[24], bc[24], up[48], bp[48], sp[48];
    cap_text(sc, sizeof sc, m.supply_cap);
    cap_text(bc, sizeof bc, m.borrow_cap);
    pct_text(up, sizeof up, m.utilization_wad);
    pct_text(bp, sizeof bp, m.borrow_apr_wad);
    pct_text(sp, sizeof sp, m.supply_apr_wad);
    printf("market %s: cash %llu, borrows %s, reserves %s, borrow index %s (wad), "
           "bad debt %s\n", m.borrow_denom, (unsigned long long)m.cash, borrows, reserves,
           idx, bad);
    printf("  total supply %s (cap %s), total borrows %s (cap %s), shares %s\n", supply, sc,
           borrows, bc, shares);
    printf("  utilization %s, borrow APR %s, supply APR %s (accrued to the latest block)\n", up,
           bp, sp);
    printf("  paused: %s; flash loan fee %u bps\n", paused[0] ? paused : "nothing",
           m.flash_fee_bps);
    if (m.n_markets > 1) {
        printf("  markets on this chain:");
        for (uint32_t i = 0; i < m.n_markets; i++)
            printf(" %s%s", m.markets[i], i == 0 ? " (price unit)" : "");
        printf("\n");
    }
    return 0;
}

static int q_packet(cw_rpc_client *cl, const char *port, const char *channel, uint64_t seq,
                    bool json)
{
    cw_enc p;
    cw_cli_answer a;
    char err[256] = "";
    cw_enc_init(&p);
    cw_rpc_chan_params cp = {.seq = seq};
    snprintf(cp.port, sizeof cp.port, "%s", port);
    snprintf(cp.channel, sizeof cp.channel, "%s", channel);
    cw_rpc_chan_params_enc(&p, &cp, true);
    int rc = cw_cli_ask(&a, cl, "packet", &p);
    cw_enc_free(&p);
    if (rc)
        return 1;
    cw_packet pk;
    cw_bytes b = cw_rpc_packet_dec(&a.d, a.root, "packet");
    rc = a.d.rc == CW_OK && cw_packet_decode(&pk, b.p, b.len, err, sizeof err) == CW_OK ? 0 : 1;
    if (rc == 0) {
        char hex[2 * CW_PACKET_DATA_MAX + 1];
        cw_hex_encode(hex, sizeof hex, pk.data.p, pk.data.len);
        /* a transfer packet's data also shown as ICS-20 fields, when it reads as such */
        cw_ics20_packet t;
        bool ics20 = strcmp(pk.source_port, CW_ICS20_PORT) == 0 &&
                     cw_ics20_packet_decode(&t, pk.data.p, pk.data.len, NULL, 0) == CW_OK;
        if (json) {
            json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "sequence",
                                  (json_int_t)pk.sequence, "source_port", pk.source_port,
                                  "source_channel", pk.source_channel, "dest_port",
                                  pk.dest_port, "dest_channel", pk.dest_channel, "data_hex", hex,
                                  "timeout_height", (json_int_t)pk.timeout_height,
                                  "timeout_timestamp_ns", (json_int_t)pk.timeout_timestamp_ns);
            if (o && ics20)
                json_object_set_new(o, "ics20",
                                    json_pack("{s:s, s:s, s:s, s:s, s:s}", "amount", t.amount,
                                              "denom", t.denom, "sender", t.sender, "receiver",
                                              t.receiver, "memo", t.memo));
            print_json(o);
        } else {
            printf("packet %llu %s/%s -> %s/%s timeout height %llu time %llu\n  data %s\n",
                   (unsigned long long)pk.sequence, pk.source_port, pk.source_channel,
                   pk.dest_port, pk.dest_channel, (unsigned long long)pk.timeout_height,
                   (unsigned long long)pk.timeout_timestamp_ns, hex);
            if (ics20)
                printf("  ics20 %s %s from %s to %s%s%s\n", t.amount, t.denom, t.sender,
                       t.receiver, t.memo[0] ? " memo " : "", t.memo);
        }
    }
    if (cw_cli_answer_end(&a, "query packet"))
        return 1;
    if (rc)
        fprintf(stderr, "causeway query packet: unexpected answer: %s\n", err);
    return rc;
}
/* The full path of voucher ibc_denom: 0 with path, 1 (printed) on failure. */
static int read_trace(cw_rpc_client *cl, const char *ibc_denom, char path[static 513])
{
    char key[CW_KEY_MAX], err[256];
    uint8_t *v;
    size_t n;
    if (cw_key_ics20_denom_trace(key, ibc_denom)) {
        fprintf(stderr, "causeway query denom-trace: '%s' is not ibc/ + 64 upper-case hex\n",
                ibc_denom);
        return 2;
    }
    if (cw_cli_query_value(cl, key, 0, &v, &n, NULL))
        return 1;
    int rc = cw_val_denom_trace_dec(path, ibc_denom, v, n, err, sizeof err);
    free(v);
    if (rc) {
        fprintf(stderr, "causeway query denom-trace: %s\n", err);
        return 1;
    }
    return 0;
}

/* ibc-go's DenomTrace {path, base_denom}: the path is every "port/channel" hop, the base the
 * rest (a path with a trace always starts with two such segments; see ics20.h). */
static void split_trace(const char *full, char *path, size_t plen, const char **base)
{
    const char *p = full;
    size_t n = 0;
    while (cw_ics20_path_has_trace(p)) {
        const char *s1 = strchr(p, '/'), *s2 = strchr(s1 + 1, '/');
        n = (size_t)(s2 - full);
        p = s2 + 1;
    }
    snprintf(path, plen, "%.*s", (int)n, full);
    *base = p;
}

static json_t *trace_json(const char *ibc_denom, const char *full)
{
    char path[513];
    const char *base;
    split_trace(full, path, sizeof path, &base);
    return json_pack("{s:s, s:s, s:s, s:s}", "denom", ibc_denom, "full_path", full, "path", path,
                     "base_denom", base);
}

static int q_denom_trace(cw_rpc_client *cl, const char *ibc_denom, bool json)
{
    char full[513];
    int rc = read_trace(cl, ibc_denom, full);
    if (rc)
        return rc;
    if (json) {
        print_json(trace_json(ibc_denom, full));
    } else {
        char path[513];
        const char *base;
        split_trace(full, path, sizeof path, &base);
        printf("%s\n  path %s\n  base_denom %s\n", full, path, base);
    }
    return 0;
}

static int q_denom_traces(cw_rpc_client *cl, bool json)
{
    uint64_t count = 0, at;
    if (query_amount(cl, CW_KEY_ICS20_TRACE_COUNT, 0, "denom-traces", cw_val_be64_dec, &count,
                     &at))
        return 1;
    json_t *arr = json_array();
    int rc = 0;
    for (uint64_t i = 0; i < count && rc == 0; i++) {
        char key[CW_KEY_MAX], den[CW_TRACE_DENOM_LEN + 1], full[513];
        uint8_t *v;
        size_t n;
        cw_key_ics20_trace_index(key, i);
        if (cw_cli_query_value(cl, key, at, &v, &n, NULL)) {
            rc = 1;
            break;
        }
        if (!v || n != CW_TRACE_DENOM_LEN) {
            fprintf(stderr, "causeway query denom-traces: %s: unexpected answer\n", key);
            free(v);
            rc = 1;
            break;
        }
        memcpy(den, v, n);
        den[n] = '\0';
        free(v);
        if ((rc = read_trace(cl, den, full)))
            break;
        if (json)
            json_array_append_new(arr, trace_json(den, full));
        else
            printf("%s %s\n", den, full);
    }
    if (json && rc == 0)
        print_json(json_pack("{s:o, s:I}", "denom_traces", arr, "height", (json_int_t)at));
    else
        json_decref(arr);
    return rc;
}

static int q_transfer_escrow(cw_rpc_client *cl, const char *channel, const char *denom,
                             bool json)
{
    char key[CW_KEY_MAX];
    cw_address esc;
    cw_ics20_escrow_address(&esc, CW_ICS20_PORT, channel);
    if (cw_key_bank_balance(key, &esc, denom)) {
        fprintf(stderr, "causeway query transfer-escrow: '%s' is not a denom\n", denom);
        return 2;
    }
    uint64_t amount = 0, at;
    if (query_amount(cl, key, 0, "transfer-escrow", cw_val_be64_dec, &amount, &at))
        return 1;
    char hex[41];
    cw_hex_encode(hex, sizeof hex, esc.b, 20);
    if (json)
        print_json(json_pack("{s:s, s:s, s:s, s:I, s:I}", "channel", channel, "escrow_address",
                             hex, "denom", denom, "amount", (json_int_t)amount, "height",
                             (json_int_t)at));
    else
        printf("%llu %s escrowed on transfer/%s (account %s, height %llu)\n",
               (unsigned long long)amount, denom, channel, hex, (unsigned long long)at);
    return 0;
}

static int parse_height(const cw_cliopt *o, const char *arg)
{
    char err[256];
    if (cw_u64_from_dec(o->dst, arg, err, sizeof err)) {
        fprintf(stderr, "causeway query: --height: %s\n", err);
        return -1;
    }
    return 0;
}

int cw_cli_query(int argc, char **argv)
{
    const char *node = NULL, *keyring = NULL, *asset = NULL;
    uint64_t height = 0;
    bool json = false;
    char err[256];
    const cw_cliopt opts[] = {{"node", .str = &node},
                              {"keyring", .str = &keyring},
                              {"height", .parse = parse_height, .dst = &height},
                              {"json", .flag = &json},
                              {"asset", .str = &asset},
                              {0}};
    int end, opt_rc = cw_cliopt_parse(argc, argv, 1, opts, usage, NULL, &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    int nargs = argc - end;
    char **args = argv + end;
    keyring = cw_cli_keyring(keyring);
    if (asset && cw_id_validate(asset, strlen(asset), "--asset", err, sizeof err)) {
        fprintf(stderr, "causeway query: %s\n", err);
        return 2;
    }
    if (nargs < 1) {
        usage(stderr);
        return 2;
    }
    const char *sub = args[0];
    cw_address a;
    uint64_t bh = 0;
    if (strcmp(sub, "status") == 0 && nargs == 1) {
    } else if (strcmp(sub, "account") == 0 && nargs == 2) {
        if (cw_cli_parse_address(keyring, args[1], &a))
            return 2;
    } else if (strcmp(sub, "balance") == 0 && nargs == 3) {
        if (cw_cli_parse_address(keyring, args[1], &a))
            return 2;
        if (!cw_bank_denom_valid(args[2])) {
            fprintf(stderr, "causeway query: denom '%s' is neither an identifier nor a voucher "
                            "(ibc/ + 64 upper-case hex)\n", args[2]);
            return 2;
        }
    } else if (strcmp(sub, "denom-trace") == 0 && nargs == 2) {
    } else if (strcmp(sub, "denom-traces") == 0 && nargs == 1) {
    } else if (strcmp(sub, "transfer-escrow") == 0 && nargs == 3) {
        if (cw_id_validate(args[1], strlen(args[1]), "channel", err, sizeof err)) {
            fprintf(stderr, "causeway query: %s\n", err);
            return 2;
        }
    } else if (strcmp(sub, "block") == 0 && nargs == 2) {
        if (cw_u64_from_dec(&bh, args[1], err, sizeof err) || bh == 0) {
            fprintf(stderr, "causeway query block: '%s' is not a height (1, 2, ...)\n", args[1]);
            return 2;
        }
    } else if (strcmp(sub, "escrow") == 0 && nargs == 3) {
        if (cw_id_validate(args[1], strlen(args[1]), "channel", err, sizeof err) ||
            cw_id_validate(args[2], strlen(args[2]), "denom", err, sizeof err)) {
            fprintf(stderr, "causeway query: %s\n", err);
            return 2;
        }
    } else if (strcmp(sub, "position") == 0 && nargs == 4) {
        if (cw_cli_parse_address(keyring, args[1], &a))
            return 2;
    } else if (strcmp(sub, "health") == 0 && nargs == 2) {
        if (cw_cli_parse_address(keyring, args[1], &a))
            return 2;
    } else if (strcmp(sub, "market") == 0 && nargs == 1) {
    } else if (strcmp(sub, "packet") == 0 && nargs == 4) {
        if (cw_u64_from_dec(&bh, args[3], err, sizeof err) || bh == 0 ||
            cw_id_validate(args[1], strlen(args[1]), "port", err, sizeof err) ||
            cw_id_validate(args[2], strlen(args[2]), "channel", err, sizeof err)) {
            fprintf(stderr, "causeway query packet: PORT CHANNEL SEQUENCE (sequence >= 1)\n");
            return 2;
        }
    } else {
        usage(stderr);
        return 2;
    }
    cw_rpc_client *cl;
    if (cw_cli_connect(&cl, cw_cli_node(node)))
        return 1;
    int rc;
    if (strcmp(sub, "status") == 0)
        rc = q_status(cl, json);
    else if (strcmp(sub, "account") == 0)
        rc = q_account(cl, &a, json);
    else if (strcmp(sub, "balance") == 0)
        rc = q_balance(cl, &a, args[2], height, json);
    else if (strcmp(sub, "escrow") == 0)
        rc = q_escrow(cl, args[1], args[2], json);
    else if (strcmp(sub, "position") == 0)
        rc = q_position(cl, &a, args[2], args[3], json);
    else if (strcmp(sub, "health") == 0)
        rc = q_health(cl, &a, asset, json);
    else if (strcmp(sub, "market") == 0)
        rc = q_market(cl, asset, json);
    else if (strcmp(sub, "packet") == 0)
        rc = q_packet(cl, args[1], args[2], bh, json);
    else if (strcmp(sub, "denom-trace") == 0)
        rc = q_denom_trace(cl, args[1], json);
    else if (strcmp(sub, "denom-traces") == 0)
        rc = q_denom_traces(cl, json);
    else if (strcmp(sub, "transfer-escrow") == 0)
        rc = q_transfer_escrow(cl, args[1], args[2], json);
    else
        rc = q_block(cl, bh, json);
    cw_rpc_client_close(cl);
    return rc;
}

/* ---- healthz: GET /healthz over plain HTTP/1.0; exit 0 on "200" -------------------------- */

int cw_cli_healthz(int argc, char **argv)
{
    static const char usage_text[] = "usage: causeway healthz http://HOST:PORT[/healthz]\n"
                                     "  Exit 0 the URL answers 200; 1 it does not; 2 usage.\n";
    if (argc == 2 && cw_cliopt_is_help(argv[1])) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc != 2 || strncmp(argv[1], "http://", 7) != 0) {
        fputs(usage_text, stderr);
        return 2;
    }
    char host[256], port[8] = "80", path[256] = "/healthz";
    const char *p = argv[1] + 7, *slash = strchr(p, '/'), *colon = strchr(p, ':');
    size_t hl = (size_t)((colon && (!slash || colon < slash)) ? colon - p
                                                                : (slash ? slash - p
                                                                         : (long)strlen(p)));
    if (hl == 0 || hl >= sizeof host) {
        fprintf(stderr, "causeway healthz: bad host in '%s'\n", argv[1]);
        return 2;
    }
    memcpy(host, p, hl);
    host[hl] = '\0';
    if (colon && (!slash || colon < slash)) {
        size_t pl = (size_t)(slash ? slash - colon - 1 : (long)strlen(colon + 1));
        if (pl == 0 || pl >= sizeof port) {
            fprintf(stderr, "causeway healthz: bad port in '%s'\n", argv[1]);
            return 2;
        }
        memcpy(port, colon + 1, pl);
        port[pl] = '\0';
    }
    if (slash)
        snprintf(path, sizeof path, "%s", slash);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g) {
        fprintf(stderr, "causeway healthz: %s: %s\n", host, gai_strerror(g));
        return 1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    struct timeval tv = {5, 0};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    int ok = fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    freeaddrinfo(ai);
    char req[512], resp[64] = "";
    if (ok) {
        int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
        ok = write(fd, req, (size_t)n) == n;
    }
    if (ok) {
        ssize_t got = read(fd, resp, sizeof resp - 1);
        ok = got >= 12;
        if (ok)
            resp[got] = '\0';
    }
    if (fd >= 0)
        close(fd);
    if (ok && strncmp(resp, "HTTP/1.", 7) == 0 && strncmp(resp + 9, "200", 3) == 0) {
        printf("ok\n");
        return 0;
    }
    fprintf(stderr, "causeway healthz: %s is not healthy%s%.12s\n", argv[1],
            ok ? ": " : " (no answer)", ok ? resp : "");
    return 1;
}
