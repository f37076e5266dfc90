/* causeway query status|account|balance|block, and causeway healthz URL. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "causeway/block.h"
#include "causeway/codec.h"
#include "causeway/hex.h"
#include "causeway/keys.h"
#include "causeway/packet.h"
#include "causeway/mathx.h"
#include "causeway/rpc_client.h"
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
               "       causeway query health ADDRESS|NAME           (lending chain)\n"
               "       causeway query market                        (lending chain)\n"
               "       causeway query packet PORT CHANNEL SEQUENCE\n"
               "  options: --node URL (default $CAUSEWAY_NODE or ws://127.0.0.1:26657),\n"
               "           --keyring DIR (to name accounts by key), --json\n");
}

static void print_json(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    printf("%s\n", s ? s : "{}");
    free(s);
    json_decref(o);
}

static int q_status(cw_rpc_client *cl, bool json)
{
    uint8_t *res;
    size_t len;
    char err[256], hash[65], root[65];
    if (cw_cli_call(cl, "status", (const uint8_t *)"\x90", 1, &res, &len))
        return 1;
    cw_dec d;
    const msgpack_object *r;
    char chain[65] = "";
    uint64_t h = 0, t = 0, earliest = 0, mempool = 0;
    uint8_t bh[32] = {0}, sr[32] = {0};
    if (cw_dec_open(&d, &r, res, len, 1 << 20, err, sizeof err) == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, r, 7, "status");
        cw_dec_id(&d, &f[0], chain, "chain_id");
        h = cw_dec_u64(&d, &f[1], "height");
        t = cw_dec_u64(&d, &f[2], "time");
        cw_dec_bin_fixed(&d, &f[3], bh, 32, "hash");
        cw_dec_bin_fixed(&d, &f[4], sr, 32, "root");
        earliest = cw_dec_u64(&d, &f[5], "earliest");
        mempool = cw_dec_u64(&d, &f[6], "mempool");
    }
    int rc = d.rc;
    cw_dec_close(&d);
    free(res);
    if (rc) {
        fprintf(stderr, "causeway query status: unexpected answer: %s\n", err);
        return 1;
    }
    cw_hex_encode(hash, sizeof hash, bh, 32);
    cw_hex_encode(root, sizeof root, sr, 32);
    if (json)
        print_json(json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:I}", "chain_id", chain,
                             "latest_height", (json_int_t)h, "latest_time", (json_int_t)t,
                             "latest_block_hash", hash, "latest_state_root", root,
                             "earliest_state_height", (json_int_t)earliest, "mempool_txs",
                             (json_int_t)mempool));
    else
        printf("chain %s height %llu time %llu\n  block hash %s\n  state root %s\n"
               "  mempool %llu txs, state provable from height %llu\n",
               chain, (unsigned long long)h, (unsigned long long)t, hash, root,
               (unsigned long long)mempool, (unsigned long long)earliest);
    return 0;
}

/* Call a method whose params are [address(bin 20)]; 0 with *res, or 1 (printed). */
static int call_with_address(cw_rpc_client *cl, const char *method, const cw_address *a,
                             uint8_t **res, size_t *len)
{
    cw_enc p;
    cw_enc_init(&p);
    cw_enc_array(&p, 1);
    cw_enc_bin(&p, a->b, 20);
    int rc = cw_cli_call(cl, method, cw_enc_data(&p), cw_enc_len(&p), res, len);
    cw_enc_free(&p);
    return rc;
}

static int q_account(cw_rpc_client *cl, const cw_address *a, bool json)
{
    uint8_t *res;
    size_t len;
    char err[256], hex[41];
    int rc = call_with_address(cl, "account", a, &res, &len);
    if (rc)
        return 1;
    cw_hex_encode(hex, sizeof hex, a->b, 20);
    cw_dec d;
    const msgpack_object *r;
    json_t *bal = json_object();
    uint64_t nonce = 0, pending = 0;
    if (cw_dec_open(&d, &r, res, len, 1 << 20, err, sizeof err) == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, r, 4, "account");
        nonce = cw_dec_u64(&d, &f[1], "nonce");
        pending = cw_dec_u64(&d, &f[2], "pending");
        uint32_t n;
        const msgpack_object *b = cw_dec_list(&d, &f[3], 1024, &n, "balances");
        if (!json && d.rc == CW_OK)
            printf("account %s nonce %llu (pending %llu)\n", hex, (unsigned long long)nonce,
                   (unsigned long long)pending);
        for (uint32_t i = 0; i < n && d.rc == CW_OK; i++) {
            char denom[65];
            const msgpack_object *e = cw_dec_array(&d, &b[i], 2, "balance");
            cw_dec_id(&d, &e[0], denom, "denom");
            uint64_t amt = cw_dec_u64(&d, &e[1], "amount");
            if (d.rc == CW_OK) {
                json_object_set_new(bal, denom, json_integer((json_int_t)amt));
                if (!json)
                    printf("  %20llu %s\n", (unsigned long long)amt, denom);
            }
        }
    }
    rc = d.rc;
    cw_dec_close(&d);
    free(res);
    if (rc) {
        json_decref(bal);
        fprintf(stderr, "causeway query account: unexpected answer: %s\n", err);
        return 1;
    }
    if (json)
        print_json(json_pack("{s:s, s:I, s:I, s:o}", "address", hex, "nonce",
                             (json_int_t)nonce, "pending_nonce", (json_int_t)pending,
                             "balances", bal));
    else
        json_decref(bal);
    return 0;
}

static int q_balance(cw_rpc_client *cl, const cw_address *a, const char *denom, uint64_t height,
                     bool json)
{
    char key[CW_KEY_MAX], hex[41], err[256];
    cw_hex_encode(hex, sizeof hex, a->b, 20);
    if (cw_key_bank_balance(key, a, denom)) {
        fprintf(stderr, "causeway query balance: '%s' is not a denom\n", denom);
        return 2;
    }
    cw_enc p;
    uint8_t *res;
    size_t len;
    cw_enc_init(&p);
    cw_enc_array(&p, 3);
    cw_enc_bin(&p, key, strlen(key));
    cw_enc_u64(&p, height);
    cw_enc_bool(&p, false);
    int rc = cw_cli_call(cl, "query", cw_enc_data(&p), cw_enc_len(&p), &res, &len);
    cw_enc_free(&p);
    if (rc)
        return 1;
    cw_dec d;
    const msgpack_object *r;
    uint64_t amount = 0, at = 0;
    if (cw_dec_open(&d, &r, res, len, 1 << 20, err, sizeof err) == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, r, 3, "query");
        if (!cw_dec_is_nil(&f[0])) {
            uint8_t v[8];
            cw_dec_bin_fixed(&d, &f[0], v, 8, "value");
            amount = cw_be64_get(v);
        }
        at = cw_dec_u64(&d, &f[2], "height");
    }
    rc = d.rc;
    cw_dec_close(&d);
    free(res);
    if (rc) {
        fprintf(stderr, "causeway query balance: unexpected answer: %s\n", err);
        return 1;
    }
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
    cw_enc_array(&p, 1);
    cw_enc_u64(&p, height);
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

/* query [key, height, false] → the value bytes (malloc'd; NULL when absent). 0 ok, 1 error. */
static int raw_value(cw_rpc_client *cl, const char *key, uint64_t height, uint8_t **val,
                     size_t *len, uint64_t *at)
{
    cw_enc p;
    uint8_t *res;
    size_t rl;
    char err[256];
    *val = NULL;
    *len = 0;
    cw_enc_init(&p);
    cw_enc_array(&p, 3);
    cw_enc_bin(&p, key, strlen(key));
    cw_enc_u64(&p, height);
    cw_enc_bool(&p, false);
    int rc = cw_cli_call(cl, "query", cw_enc_data(&p), cw_enc_len(&p), &res, &rl);
    cw_enc_free(&p);
    if (rc)
        return 1;
    cw_dec d;
    const msgpack_object *r;
    rc = 1;
    if (cw_dec_open(&d, &r, res, rl, 1 << 20, err, sizeof err) == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, r, 3, "query");
        *at = cw_dec_u64(&d, &f[2], "height");
        if (d.rc == CW_OK && f[0].type == MSGPACK_OBJECT_BIN) {
            *len = f[0].via.bin.size;
            *val = malloc(*len + 1);
            if (*val)
                memcpy(*val, f[0].via.bin.ptr, *len);
        }
        rc = d.rc ? 1 : 0;
    }
    cw_dec_close(&d);
    free(res);
    if (rc)
        fprintf(stderr, "causeway query: unexpected answer: %s\n", err);
    return rc;
}

static int q_escrow(cw_rpc_client *cl, const char *channel, const char *denom, bool json)
{
    char key[CW_KEY_MAX];
    uint8_t *v;
    size_t n;
    uint64_t at, amount = 0;
    if (cw_key_collateral_escrow(key, channel, denom)) {
        fprintf(stderr, "causeway query escrow: bad channel or denom\n");
        return 2;
    }
    if (raw_value(cl, key, 0, &v, &n, &at))
        return 1;
    if (v && n == 8)
        amount = cw_be64_get(v);
    free(v);
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
    char key[CW_KEY_MAX], hex[41], trace[CW_TRACE_DENOM_LEN + 1], err[256];
    uint8_t *v;
    size_t n;
    uint64_t at, amount = 0;
    if (cw_trace_denom(trace, channel, base) || cw_key_collateral_position(key, a, trace)) {
        fprintf(stderr, "causeway query position: bad channel or denom\n");
        return 2;
    }
    cw_hex_encode(hex, sizeof hex, a->b, 20);
    if (raw_value(cl, key, 0, &v, &n, &at))
        return 1;
    if (v) {
        cw_dec d;
        const msgpack_object *r;
        if (cw_dec_open(&d, &r, v, n, 4096, err, sizeof err) == CW_OK) {
            const msgpack_object *f = cw_dec_array(&d, r, 1, "position");
            amount = cw_dec_u64(&d, &f[0], "position.amount");
        }
        cw_dec_close(&d);
        free(v);
    }
    if (json)
        print_json(json_pack("{s:s, s:s, s:s, s:I, s:I}", "address", hex, "denom", base,
                             "trace_denom", trace, "position", (json_int_t)amount, "height",
                             (json_int_t)at));
    else
        printf("position of %s: %llu %s (%s, height %llu)\n", hex, (unsigned long long)amount,
               base, trace, (unsigned long long)at);
    return 0;
}

/* Decode a result array of u128 (bin16) / mixed fields into text. */
static void u128_text(char *out, size_t n, const msgpack_object *o)
{
    cw_dec d = {0};
    cw_u128 v = cw_dec_u128(&d, o, "u128");
    cw_u128_to_dec(out, n, v);
}

static int q_health(cw_rpc_client *cl, const cw_address *a, bool json)
{
    uint8_t *res;
    size_t len;
    char err[256], hex[41];
    int rc = call_with_address(cl, "lend_account", a, &res, &len);
    if (rc)
        return 1;
    cw_hex_encode(hex, sizeof hex, a->b, 20);
    cw_dec d;
    const msgpack_object *r;
    char f[6][41];
    static const char *const names[6] = {"debt", "borrow_limit", "liquidation_limit",
                                         "health_factor_wad", "supply_value", "shares"};
    if (cw_dec_open(&d, &r, res, len, 1 << 20, err, sizeof err) == CW_OK) {
        const msgpack_object *v = cw_dec_array(&d, r, 6, "lend_account");
        for (int i = 0; i < 6 && d.rc == CW_OK; i++)
            u128_text(f[i], sizeof f[i], &v[i]);
    }
    rc = d.rc;
    cw_dec_close(&d);
    free(res);
    if (rc) {
        fprintf(stderr, "causeway query health: unexpected answer: %s\n", err);
        return 1;
    }
    if (json) {
        json_t *o = json_pack("{s:s}", "address", hex);
        for (int i = 0; i < 6; i++)
            json_object_set_new(o, names[i], json_string(f[i]));
        print_json(o);
    } else {
        printf("account %s\n", hex);
        for (int i = 0; i < 6; i++)
            printf("  %-18s %s%s\n", names[i], f[i],
                   i == 3 ? " (1e18 = 1.0; below 1.0 is liquidatable)" : "");
    }
    return 0;
}

static int q_market(cw_rpc_client *cl, bool json)
{
    uint8_t *res;
    size_t len;
    char err[256];
    if (cw_cli_call(cl, "lend_market", (const uint8_t *)"\x90", 1, &res, &len))
        return 1;
    cw_dec d;
    const msgpack_object *r;
    char denom[65] = "", idx[41], borrows[41], reserves[41], shares[41], bad[41];
    uint64_t cash = 0;
    bool paused = false;
    if (cw_dec_open(&d, &r, res, len, 1 << 20, err, sizeof err) == CW_OK) {
        const msgpack_object *v = cw_dec_array(&d, r, 8, "lend_market");
        cw_dec_id(&d, &v[0], denom, "borrow_denom");
        u128_text(idx, sizeof idx, &v[1]);
        u128_text(borrows, sizeof borrows, &v[2]);
        cash = cw_dec_u64(&d, &v[3], "cash");
        u128_text(reserves, sizeof reserves, &v[4]);
        u128_text(shares, sizeof shares, &v[5]);
        paused = cw_dec_bool(&d, &v[6], "paused");
        u128_text(bad, sizeof bad, &v[7]);
    }
    int rc = d.rc;
    cw_dec_close(&d);
    free(res);
    if (rc) {
        fprintf(stderr, "causeway query market: unexpected answer: %s\n", err);
        return 1;
    }
    if (json)
        print_json(json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:b, s:s}", "borrow_denom", denom,
                             "borrow_index_wad", idx, "total_borrows", borrows, "cash",
                             (json_int_t)cash, "reserves", reserves, "total_shares", shares,
                             "paused", paused, "bad_debt", bad));
    else
        printf("market %s: cash %llu, borrows %s, reserves %s, borrow index %s (wad), "
               "bad debt %s%s\n", denom, (unsigned long long)cash, borrows, reserves, idx, bad,
               paused ? ", borrowing PAUSED" : "");
    return 0;
}

static int q_packet(cw_rpc_client *cl, const char *port, const char *channel, uint64_t seq,
                    bool json)
{
    cw_enc p;
    uint8_t *res;
    size_t len;
    char err[256];
    cw_enc_init(&p);
    cw_enc_array(&p, 3);
    cw_enc_cstr(&p, port);
    cw_enc_cstr(&p, channel);
    cw_enc_u64(&p, seq);
    int rc = cw_cli_call(cl, "packet", cw_enc_data(&p), cw_enc_len(&p), &res, &len);
    cw_enc_free(&p);
    if (rc)
        return 1;
    cw_dec d, pd;
    const msgpack_object *r, *pr;
    cw_packet pk;
    rc = 1;
    if (cw_dec_open(&d, &r, res, len, 1 << 20, err, sizeof err) == CW_OK) {
        cw_bytes b = cw_dec_bin(&d, r, 1 << 20, "packet");
        if (d.rc == CW_OK &&
            cw_dec_open(&pd, &pr, b.p, b.len, 1 << 20, err, sizeof err) == CW_OK) {
            cw_packet_dec(&pd, pr, &pk, "packet");
            if (pd.rc == CW_OK) {
                char hex[2 * CW_PACKET_DATA_MAX + 1];
                cw_hex_encode(hex, sizeof hex, pk.data.p, pk.data.len);
                if (json)
                    print_json(json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
                                         "sequence", (json_int_t)pk.sequence, "source_port",
                                         pk.source_port, "source_channel", pk.source_channel,
                                         "dest_port", pk.dest_port, "dest_channel",
                                         pk.dest_channel, "data_hex", hex, "timeout_height",
                                         (json_int_t)pk.timeout_height, "timeout_timestamp_ns",
                                         (json_int_t)pk.timeout_timestamp_ns));
                else
                    printf("packet %llu %s/%s -> %s/%s timeout height %llu time %llu\n"
                           "  data %s\n", (unsigned long long)pk.sequence, pk.source_port,
                           pk.source_channel, pk.dest_port, pk.dest_channel,
                           (unsigned long long)pk.timeout_height,
                           (unsigned long long)pk.timeout_timestamp_ns, hex);
                rc = 0;
            }
            cw_dec_close(&pd);
        }
    }
    cw_dec_close(&d);
    free(res);
    if (rc)
        fprintf(stderr, "causeway query packet: unexpected answer: %s\n", err);
    return rc;
}

int cw_cli_query(int argc, char **argv)
{
    static const struct option opts[] = {{"node", required_argument, 0, 'N'},
                                         {"keyring", required_argument, 0, 'k'},
                                         {"height", required_argument, 0, 'H'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *node = NULL, *keyring = NULL;
    uint64_t height = 0;
    bool json = false;
    char err[256];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'N': node = optarg; break;
        case 'k': keyring = optarg; break;
        case 'H':
            if (cw_u64_from_dec(&height, optarg, err, sizeof err)) {
                fprintf(stderr, "causeway query: --height: %s\n", err);
                return 2;
            }
            break;
        case 'j': json = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    int nargs = argc - optind;
    char **args = argv + optind;
    keyring = cw_cli_keyring(keyring);
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
        if (cw_id_validate(args[2], strlen(args[2]), "denom", err, sizeof err)) {
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
        rc = q_health(cl, &a, json);
    else if (strcmp(sub, "market") == 0)
        rc = q_market(cl, json);
    else if (strcmp(sub, "packet") == 0)
        rc = q_packet(cl, args[1], args[2], bh, json);
    else
        rc = q_block(cl, bh, json);
    cw_rpc_client_close(cl);
    return rc;
}

/* ---- healthz: GET /healthz over plain HTTP/1.0; exit 0 on "200" -------------------------- */

int cw_cli_healthz(int argc, char **argv)
{
    if (argc != 2 || strncmp(argv[1], "http://", 7) != 0) {
        fprintf(stderr, "usage: causeway healthz http://HOST:PORT[/healthz]\n");
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
