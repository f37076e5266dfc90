/* causeway tx lock|borrow|repay|withdraw-collateral|supply|withdraw-supply|liquidate|
 *              set-price|register-collateral|pause|withdraw-reserves — the collateral app
 *              and the lending market. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "causeway/app_msgs.h"
#include "causeway/cliopt.h"
#include "causeway/codec.h"
#include "causeway/hash.h"
#include "causeway/hex.h"
#include "causeway/keys.h"
#include "causeway/lightclient.h"
#include "causeway/mathx.h"
#include "causeway/packet.h"
#include "causeway/rpc_client.h"
#include "causeway/rpc_results.h"
#include "causeway/schnorr.h"
#include "causeway/tx.h"
#include "cli.h"

/* Options every app tx takes. */
struct opts {
    const char *from, *node, *keyring, *memo;
    bool no_wait, json, all, resume;
    uint64_t timeout_s;
    uint64_t gas; /* the tx's gas limit, 0 = the estimate */
    /* command-specific */
    const char *channel, *denom, *to, *on_behalf, *borrower, *price, *time;
    const char *amount, *timeout_height, *timeout_time, *ltv, *lt, *bonus, *actions;
    const char *asset;
};

static void usage(FILE *f) { cw_cli_tx_usage(f); /* one text for every tx (tx.c) */ }

static int parse_u64(const char *s, const char *what, uint64_t *out)
{
    char err[160];
    if (!s) {
        fprintf(stderr, "causeway tx: %s is required\n", what);
        return -1;
    }
    if (cw_u64_from_dec(out, s, err, sizeof err)) {
        fprintf(stderr, "causeway tx: %s: '%s' is not a whole number\n", what, s);
        return -1;
    }
    return 0;
}

/* --NAME's whole number into *(uint64_t *)o->dst (for cw_cliopt_parse) */
static int parse_opt_u64(const cw_cliopt *o, const char *arg)
{
    char what[80];
    snprintf(what, sizeof what, "--%s", o->name);
    return parse_u64(arg, what, o->dst);
}

static int need_id(const char *s, const char *what)
{
    char err[200];
    if (!s) {
        fprintf(stderr, "causeway tx: %s is required\n", what);
        return -1;
    }
    if (cw_id_validate(s, strlen(s), what, err, sizeof err)) {
        fprintf(stderr, "causeway tx: %s\n", err);
        return -1;
    }
    return 0;
}

/* A trace denom (ibc/ + 64 upper-case hex), as the chain will check it. */
static int need_trace(const char *s)
{
    if (!s) {
        fprintf(stderr, "causeway tx: --denom is required\n");
        return -1;
    }
    if (!cw_trace_denom_valid(s, strlen(s))) {
        fprintf(stderr, "causeway tx: --denom: '%s' is not a trace denom (ibc/ + 64 upper-case "
                        "hex)\n", s);
        return -1;
    }
    return 0;
}

/* A denom the oracle prices: a trace denom, or a market's asset (an identifier). */
static int need_price_denom(const char *s)
{
    if (!s) {
        fprintf(stderr, "causeway tx: --denom is required\n");
        return -1;
    }
    if (!cw_price_denom_valid(s, strlen(s))) {
        fprintf(stderr, "causeway tx: --denom: '%s' is neither a trace denom (ibc/ + 64 "
                        "upper-case hex) nor a market's asset\n", s);
        return -1;
    }
    return 0;
}

static int need_u32(uint64_t v, const char *what)
{
    if (v > UINT32_MAX) {
        fprintf(stderr, "causeway tx: %s: %llu is too large\n", what, (unsigned long long)v);
        return -1;
    }
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cw_cli_default_timeout(const char *node, const char *port, const char *channel,
                           uint64_t rel_ns, uint64_t *tt)
{
    cw_rpc_client *cl;
    char key[CW_PATH_MAX], err[256];
    uint8_t *v = NULL;
    size_t vl = 0;
    *tt = 0;
    if (cw_cli_connect(&cl, node))
        return -1;
    cw_path_channel_end(key, port, channel);
    int rc = cw_cli_query_value(cl, key, 0, &v, &vl, NULL) ? -1 : 0;
    cw_channel_end ce = {0};
    if (rc == 0) {
        rc = v && cw_channel_end_decode(&ce, v, vl, err, sizeof err) == CW_OK ? 0 : -1;
        free(v);
        v = NULL;
        if (rc)
            fprintf(stderr, "causeway tx: channel %s not found on this chain\n", channel);
    }
    const char *client = ce.client_id;
    /* the client's latest height, then its consensus state there */
    cw_lc_client_state cs;
    cw_lc_consensus_state cons;
    cw_path_client_state(key, client);
    if (rc == 0 && (cw_cli_query_value(cl, key, 0, &v, &vl, NULL) || !v ||
                    cw_lc_client_state_decode(&cs, v, vl, err, sizeof err)))
        rc = -1;
    free(v);
    v = NULL;
    if (rc == 0)
        cw_path_consensus_state(key, client, cs.latest_height);
    if (rc == 0 && (cw_cli_query_value(cl, key, 0, &v, &vl, NULL) || !v ||
                    cw_lc_consensus_state_decode(&cons, v, vl, err, sizeof err)))
        rc = -1;
    free(v);
    if (rc == 0)
        *tt = cons.timestamp_ns;
    cw_rpc_client_close(cl);
    if (rc == 0 && (*tt == 0 || cw_add_u64(tt, *tt, rel_ns)))
        rc = -1;
    if (rc)
        fprintf(stderr, "causeway tx: cannot work out a default timeout for %s; pass "
                        "--timeout-time or --timeout-height\n", channel);
    return rc;
}

static int timeouts(const struct opts *o, const char *node, uint64_t *th, uint64_t *tt)
{
    *th = 0;
    *tt = 0;
    if (o->timeout_height && parse_u64(o->timeout_height, "--timeout-height", th))
        return -1;
    if (o->timeout_time) {
        if (o->timeout_time[0] == '+') {
            uint64_t secs;
            if (parse_u64(o->timeout_time + 1, "--timeout-time +SECONDS", &secs))
                return -1;
            *tt = now_ns() + secs * 1000000000ull;
        } else if (parse_u64(o->timeout_time, "--timeout-time", tt)) {
            return -1;
        }
    }
    if (*th == 0 && *tt == 0)
        return cw_cli_default_timeout(node, CW_TRACE_PORT, o->channel, 600ull * 1000000000ull,
                                      tt);
    return 0;
}

/* The market a lending tx acts on (DESIGN §8): --asset, or the denom after the digits of
 * --amount ("100uusd"), or — neither given — the chain's only market (asked of the node,
 * which names its markets when there are several). *amount gets the digits; amount_s NULL
 * (pause) reads none. Returns 0, or -1: a usage error, or the node could not say
 * (*node_failed true); printed either way. */
static int market_of(const struct opts *o, const char *node, const char *amount_what,
                     uint64_t *amount, char asset[static CW_ID_MAX + 1], bool *node_failed)
{
    char err[200], digits[32] = "";
    const char *suffix = NULL;
    asset[0] = '\0';
    if (amount_what) {
        const char *s = o->amount;
        if (!s) {
            fprintf(stderr, "causeway tx: %s is required\n", amount_what);
            return -1;
        }
        size_t nd = strspn(s, "0123456789");
        if (nd == 0 || nd >= sizeof digits) {
            fprintf(stderr, "causeway tx: %s: '%s' is not a whole number (optionally followed "
                            "by the asset, e.g. 100uusd)\n", amount_what, s);
            return -1;
        }
        memcpy(digits, s, nd);
        digits[nd] = '\0';
        if (s[nd])
            suffix = s + nd;
        if (parse_u64(digits, amount_what, amount))
            return -1;
    }
    if (suffix && o->asset && strcmp(suffix, o->asset) != 0) {
        fprintf(stderr, "causeway tx: --amount names %s, --asset %s\n", suffix, o->asset);
        return -1;
    }
    const char *given = o->asset ? o->asset : suffix;
    if (given) {
        if (cw_id_validate(given, strlen(given), "asset", err, sizeof err)) {
            fprintf(stderr, "causeway tx: %s\n", err);
            return -1;
        }
        snprintf(asset, CW_ID_MAX + 1, "%s", given);
        return 0;
    }
    cw_rpc_client *cl;
    cw_rpc_lend_market m;
    if (cw_cli_connect(&cl, node)) {
        *node_failed = true;
        return -1;
    }
    int rc = cw_cli_lend_market(cl, NULL, &m, "tx");
    cw_rpc_client_close(cl);
    if (rc) {
        fprintf(stderr, "causeway tx: name the market with --asset (or --amount N<asset>)\n");
        *node_failed = true;
        return -1;
    }
    snprintf(asset, CW_ID_MAX + 1, "%s", m.borrow_denom);
    return 0;
}

static int parse_wad(const char *s, cw_u128 *out)
{
    char err[160];
    if (!s || cw_u128_from_dec(out, s, err, sizeof err)) {
        fprintf(stderr, "causeway tx: --price: '%s' is not a decimal wad (1e18 = 1.0)\n",
                s ? s : "");
        return -1;
    }
    return 0;
}

int cw_cli_tx_app(int argc, char **argv)
{
    struct opts o = {.memo = "", .timeout_s = 60};
    const char *cmd = argv[1];
    const cw_cliopt lo[] = {
        {"from", .str = &o.from},         {"node", .str = &o.node},
        {"keyring", .str = &o.keyring},   {"memo", .str = &o.memo},
        {"no-wait", .flag = &o.no_wait},  {"json", .flag = &o.json},
        {"timeout", .parse = parse_opt_u64, .dst = &o.timeout_s},
        {"channel", .str = &o.channel},   {"denom", .str = &o.denom},
        {"to", .str = &o.to},             {"on-behalf-of", .str = &o.on_behalf},
        {"borrower", .str = &o.borrower}, {"price", .str = &o.price},
        {"time", .str = &o.time},         {"amount", .str = &o.amount},
        {"timeout-height", .str = &o.timeout_height},
        {"timeout-time", .str = &o.timeout_time},
        {"ltv", .str = &o.ltv},           {"lt", .str = &o.lt},
        {"bonus", .str = &o.bonus},       {"all", .flag = &o.all},
        {"actions", .str = &o.actions},   {"resume", .flag = &o.resume},
        {"asset", .str = &o.asset},
        {"gas", .parse = cw_cli_parse_gas, .dst = &o.gas}, {0}};
    int end, opt_rc = cw_cliopt_parse(argc, argv, 2, lo, usage, NULL, &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    if (end != argc || !o.from) {
        if (!o.from)
            fprintf(stderr, "causeway tx %s: --from is required\n", cmd);
        usage(stderr);
        return 2;
    }
    const char *keyring = cw_cli_keyring(o.keyring);
    const char *node = cw_cli_node(o.node);
    cw_enc e;
    cw_enc_init(&e);
    uint64_t amount = 0, th, tt, n1, n2, n3;
    cw_address addr;
    char asset[CW_ID_MAX + 1] = "";
    int bad = 0, mk;
    bool nodefail = false;
    if (strcmp(cmd, "lock") == 0 || strcmp(cmd, "withdraw-collateral") == 0) {
        bad = need_id(o.channel, "--channel") || need_id(o.denom, "--denom") ||
              parse_u64(o.amount, "--amount", &amount) || !o.to ||
              cw_cli_parse_address(keyring, o.to, &addr);
        if (!bad && timeouts(&o, node, &th, &tt))
            return 1;
        if (!bad) {
            cw_msg_collateral_transfer m = {.amount = amount, .to = addr, .timeout_height = th,
                                            .timeout_timestamp_ns = tt};
            snprintf(m.channel, sizeof m.channel, "%s", o.channel);
            snprintf(m.denom, sizeof m.denom, "%s", o.denom);
            if (strcmp(cmd, "lock") == 0)
                cw_msg_collateral_lock_enc(&e, &m);
            else
                cw_msg_lend_withdraw_collateral_enc(&e, &m);
        }
    } else if (strcmp(cmd, "withdraw-supply") == 0) {
        /* --all: every share, resolved by the chain when the tx runs (all or nothing) */
        if (o.all && o.amount) {
            fprintf(stderr, "causeway tx withdraw-supply: --amount and --all exclude each "
                            "other\n");
            bad = 1;
        } else if ((mk = market_of(&o, node, o.all ? NULL : "--amount (or --all)", &amount,
                                   asset, &nodefail)) != 0) {
            bad = mk;
        }
        if (!bad) {
            cw_msg_lend_withdraw_supply m = {.amount = amount, .all = o.all};
            snprintf(m.asset, sizeof m.asset, "%s", asset);
            cw_msg_lend_withdraw_supply_enc(&e, &m);
        }
    } else if (strcmp(cmd, "supply") == 0 || strcmp(cmd, "borrow") == 0 ||
               strcmp(cmd, "flash-loan") == 0) {
        bad = market_of(&o, node, "--amount", &amount, asset, &nodefail);
        if (!bad) {
            cw_msg_lend_amount m = {.amount = amount};
            snprintf(m.asset, sizeof m.asset, "%s", asset);
            if (strcmp(cmd, "supply") == 0)
                cw_msg_lend_supply_enc(&e, &m);
            else if (strcmp(cmd, "borrow") == 0)
                cw_msg_lend_borrow_enc(&e, &m);
            else
                cw_msg_lend_flash_loan_enc(&e, &m);
        }
    } else if (strcmp(cmd, "pause") == 0) {
        char perr[200];
        uint64_t mask = 0;
        if (!o.actions) {
            fprintf(stderr, "causeway tx pause: --actions is required\n");
            bad = 1;
        } else if (cw_lend_actions_parse(o.actions, &mask, perr, sizeof perr)) {
            fprintf(stderr, "causeway tx pause: --actions: %s\n", perr);
            bad = 1;
        }
        if (!bad && (mk = market_of(&o, node, NULL, &amount, asset, &nodefail)) != 0)
            bad = mk;
        if (!bad) {
            cw_msg_lend_pause m = {.actions = mask, .paused = !o.resume};
            snprintf(m.asset, sizeof m.asset, "%s", asset);
            cw_msg_lend_pause_enc(&e, &m);
        }
    } else if (strcmp(cmd, "withdraw-reserves") == 0) {
        bad = !o.to || cw_cli_parse_address(keyring, o.to, &addr);
        if (!bad)
            bad = market_of(&o, node, "--amount", &amount, asset, &nodefail);
        if (!bad) {
            cw_msg_lend_withdraw_reserves m = {.to = addr, .amount = amount};
            snprintf(m.asset, sizeof m.asset, "%s", asset);
            cw_msg_lend_withdraw_reserves_enc(&e, &m);
        }
    } else if (strcmp(cmd, "repay") == 0) {
        bad = (o.on_behalf && cw_cli_parse_address(keyring, o.on_behalf, &addr));
        if (!bad)
            bad = market_of(&o, node, "--amount", &amount, asset, &nodefail);
        if (!bad) {
            cw_msg_lend_repay m = {.amount = amount, .has_on_behalf_of = o.on_behalf != NULL};
            snprintf(m.asset, sizeof m.asset, "%s", asset);
            if (o.on_behalf)
                m.on_behalf_of = addr;
            cw_msg_lend_repay_enc(&e, &m);
        }
    } else if (strcmp(cmd, "liquidate") == 0) {
        bad = !o.borrower || cw_cli_parse_address(keyring, o.borrower, &addr) ||
              need_trace(o.denom);
        if (!bad)
            bad = market_of(&o, node, "--amount", &amount, asset, &nodefail);
        if (!bad) {
            cw_msg_lend_liquidate m = {.borrower = addr, .repay_amount = amount};
            snprintf(m.asset, sizeof m.asset, "%s", asset);
            snprintf(m.collateral, sizeof m.collateral, "%s", o.denom);
            cw_msg_lend_liquidate_enc(&e, &m);
        }
    } else if (strcmp(cmd, "set-price") == 0) {
        cw_u128 price;
        uint64_t t = now_ns();
        bad = need_price_denom(o.denom) || parse_wad(o.price, &price) ||
              (o.time && parse_u64(o.time, "--time", &t));
        if (!bad) {
            cw_msg_oracle_set_price m = {.price_wad = price, .time_ns = t};
            snprintf(m.denom, sizeof m.denom, "%s", o.denom);
            cw_msg_oracle_set_price_enc(&e, &m);
        }
    } else if (strcmp(cmd, "register-collateral") == 0) {
        bad = need_id(o.channel, "--channel") || need_id(o.denom, "--denom") ||
              parse_u64(o.ltv, "--ltv", &n1) || parse_u64(o.lt, "--lt", &n2) ||
              parse_u64(o.bonus, "--bonus", &n3);
        bad = bad || need_u32(n1, "--ltv") || need_u32(n2, "--lt") || need_u32(n3, "--bonus");
        if (!bad) {
            cw_msg_lend_register_collateral m = {.ltv_bps = (uint32_t)n1,
                                                 .liquidation_threshold_bps = (uint32_t)n2,
                                                 .liquidation_bonus_bps = (uint32_t)n3};
            snprintf(m.channel, sizeof m.channel, "%s", o.channel);
            snprintf(m.base_denom, sizeof m.base_denom, "%s", o.denom);
            cw_msg_lend_register_collateral_enc(&e, &m);
        }
    } else {
        fprintf(stderr, "causeway tx: unknown command '%s'\n", cmd);
        usage(stderr);
        cw_enc_free(&e);
        return 2;
    }
    if (bad && nodefail) { /* the node could not say which market (printed) */
        cw_enc_free(&e);
        return 1;
    }
    if (bad) {
        if ((strcmp(cmd, "lock") == 0 || strcmp(cmd, "withdraw-collateral") == 0 ||
             strcmp(cmd, "withdraw-reserves") == 0) &&
            !o.to)
            fprintf(stderr, "causeway tx %s: --to is required\n", cmd);
        cw_enc_free(&e);
        return 2;
    }
    const uint8_t *m = cw_enc_data(&e);
    size_t ml = cw_enc_len(&e);
    int rc = cw_cli_broadcast(node, keyring, o.from, &m, &ml, 1, o.memo, o.gas, o.no_wait,
                              (unsigned)o.timeout_s, o.json);
    cw_enc_free(&e);
    return rc;
}
