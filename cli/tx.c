/* causeway tx send — sign and broadcast transactions, following them into a block; the
 * usage of every tx subcommand (the app txs are in txapp.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/cliopt.h"
#include "causeway/codec.h"
#include "causeway/hex.h"
#include "causeway/keys.h"
#include "causeway/mathx.h"
#include "causeway/schnorr.h"
#include "causeway/tx.h"
#include "cli.h"

/* Every tx subcommand with its own options: the one list `causeway tx --help` prints and
 * the dispatcher accepts (send here, the app txs in txapp.c). more: a second line of
 * options; where: the chain or key it is for. */
static const struct {
    const char *name, *args, *more, *where;
} tx_cmds[] = {
    {"send", "--to ADDRESS|NAME --denom DENOM --amount N", NULL, NULL},
    {"lock", "--channel CH --denom D --amount N --to ADDR|NAME",
     "[--timeout-height H] [--timeout-time NS|+SECONDS]", "on the collateral's home chain"},
    {"withdraw-collateral", "--channel CH --denom BASE --amount N --to ADDR|NAME",
     "[--timeout-height H] [--timeout-time NS|+SECONDS]", "on the lending chain"},
    {"supply", "--amount N[ASSET] [--asset ASSET]", NULL, "lending chain"},
    {"withdraw-supply", "--amount N[ASSET] | --all [--asset ASSET]", NULL,
     "lending chain; --all: every share, all or nothing"},
    {"borrow", "--amount N[ASSET] [--asset ASSET]", NULL, "lending chain"},
    {"repay", "--amount N[ASSET] [--asset ASSET] [--on-behalf-of ADDR|NAME]", NULL,
     "lending chain"},
    {"liquidate", "--borrower ADDR|NAME --amount N[ASSET] [--asset ASSET] --denom TRACE_DENOM",
     "ASSET: the debt market repaid; --denom: the collateral seized", "lending chain"},
    {"flash-loan", "--amount N[ASSET] [--asset ASSET]",
     "lent and taken back with the fee at the tx's end (from the signer's balance)",
     "lending chain"},
    {"set-price", "--denom TRACE_DENOM|ASSET --price WAD [--time NS]", NULL, "oracle key"},
    {"register-collateral", "--channel CH --denom BASE --ltv BPS --lt BPS --bonus BPS", NULL,
     "admin key"},
    {"pause", "--actions LIST [--resume] [--asset ASSET]",
     "LIST: supply,borrow,liquidate,withdraw_supply,withdraw_collateral,flash_loan,withdraw,all",
     "admin key; repay is never paused"},
    {"withdraw-reserves", "--to ADDRESS|NAME --amount N[ASSET] [--asset ASSET]", NULL,
     "admin key"},
    {"transfer", "--channel CH --to RECEIVER AMOUNTDENOM [--timeout DURATION]",
     "[--timeout-height H] [--memo PACKET_MEMO] [--wait S]",
     "ICS-20; AMOUNTDENOM e.g. 100stake or 5ibc/HASH; --memo and --timeout (90s, 10m, 2h;\n"
     "                       default 10m) are the packet's, as in ibc-go's CLI"},
};

void cw_cli_tx_usage(FILE *f)
{
    fprintf(f, "usage: causeway tx SUBCOMMAND [options] --from NAME [--node URL] [--keyring DIR]\n"
               "                  [--no-wait] [--timeout S] [--memo TEXT] [--gas N] [--json]\n");
    for (size_t i = 0; i < sizeof tx_cmds / sizeof tx_cmds[0]; i++) {
        fprintf(f, "  %-19s %s\n", tx_cmds[i].name, tx_cmds[i].args);
        if (tx_cmds[i].more)
            fprintf(f, "  %-19s %s\n", "", tx_cmds[i].more);
        if (tx_cmds[i].where)
            fprintf(f, "  %-19s (%s)\n", "", tx_cmds[i].where);
    }
    fprintf(f, "  Signs with key NAME, broadcasts, and waits (--timeout S: up to S seconds, default\n"
               "  30 for send, 60 for the others) until the tx is in a block; --no-wait only\n"
               "  broadcasts. --gas N states the tx's gas limit (default: an estimate for its\n"
               "  msgs); the outcome shows the gas used. lock/withdraw-collateral timeouts default to 10 minutes after the\n"
               "  counterparty's latest time as this chain's client of it knows it (the client's\n"
               "  latest consensus state), as ICS-20 CLIs do.\n"
               "  Lending txs act on one market, named by its asset: --asset, or the denom after\n"
               "  the amount (--amount 100uusd); with neither, the chain's only market (a chain\n"
               "  with several refuses, listing them).\n"
               "  'causeway tx SUBCOMMAND --help' prints this text.\n"
               "Exit 0 committed and succeeded; 1 refused, failed or not committed in time;\n"
               "2 usage.\n");
}

static int parse_timeout(const cw_cliopt *o, const char *arg)
{
    char err[256];
    uint64_t *t = o->dst;
    if (cw_u64_from_dec(t, arg, err, sizeof err) || *t == 0 || *t > 3600) {
        fprintf(stderr, "causeway tx: --timeout: '%s' is not 1..3600 seconds\n", arg);
        return -1;
    }
    return 0;
}

int cw_cli_tx(int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *denom = NULL, *amount_s = NULL, *memo = "";
    const char *node = NULL, *keyring = NULL;
    bool no_wait = false, json = false;
    uint64_t timeout_s = 30, gas = 0;
    char err[256];
    if (argc < 2) {
        cw_cli_tx_usage(stderr);
        return 2;
    }
    if (cw_cliopt_is_help(argv[1])) {
        cw_cli_tx_usage(stdout);
        return 0;
    }
    size_t known = 0;
    while (known < sizeof tx_cmds / sizeof tx_cmds[0] && strcmp(argv[1], tx_cmds[known].name))
        known++;
    if (known == sizeof tx_cmds / sizeof tx_cmds[0]) {
        fprintf(stderr, "causeway tx: unknown subcommand '%s'\n", argv[1]);
        cw_cli_tx_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "transfer") == 0)
        return cw_cli_tx_transfer(argc, argv);
    if (strcmp(argv[1], "send") != 0)
        return cw_cli_tx_app(argc, argv);
    const cw_cliopt opts[] = {
        {"from", .str = &from},       {"to", .str = &to},         {"denom", .str = &denom},
        {"amount", .str = &amount_s}, {"memo", .str = &memo},     {"no-wait", .flag = &no_wait},
        {"timeout", .parse = parse_timeout, .dst = &timeout_s},   {"node", .str = &node},
        {"keyring", .str = &keyring}, {"json", .flag = &json},
        {"gas", .parse = cw_cli_parse_gas, .dst = &gas},          {0}};
    int end, opt_rc = cw_cliopt_parse(argc, argv, 2, opts, cw_cli_tx_usage, NULL, &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    if (end != argc || !from || !to || !denom || !amount_s) {
        cw_cli_tx_usage(stderr);
        return 2;
    }
    uint64_t amount;
    if (cw_u64_from_dec(&amount, amount_s, err, sizeof err) || amount == 0) {
        fprintf(stderr, "causeway tx: --amount: '%s' is not a positive integer of base units\n",
                amount_s);
        return 2;
    }
    if (!cw_bank_denom_valid(denom)) {
        fprintf(stderr, "causeway tx: --denom: '%s' is neither an identifier nor a voucher "
                        "(ibc/ + 64 upper-case hex)\n", denom);
        return 2;
    }
    keyring = cw_cli_keyring(keyring);
    cw_address dst;
    if (cw_cli_parse_address(keyring, to, &dst))
        return 2;
    cw_msg_bank_send msg = {.to = dst, .amount = amount};
    snprintf(msg.denom, sizeof msg.denom, "%s", denom);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_bank_send_enc(&e, &msg);
    const uint8_t *m = cw_enc_data(&e);
    size_t ml = cw_enc_len(&e);
    int rc = cw_cli_broadcast(cw_cli_node(node), keyring, from, &m, &ml, 1, memo, gas, no_wait,
                              (unsigned)timeout_s, json);
    cw_enc_free(&e);
    return rc;
}
