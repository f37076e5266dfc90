/* causeway tx send — sign and broadcast transactions, following them into a block; the
 * usage of every tx subcommand (the app txs are in txapp.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/codec.h"
#include "causeway/hex.h"
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
    {"supply", "--amount N", NULL, "lending chain"},
    {"withdraw-supply", "--amount N", NULL, "lending chain"},
    {"borrow", "--amount N", NULL, "lending chain"},
    {"repay", "--amount N [--on-behalf-of ADDR|NAME]", NULL, "lending chain"},
    {"liquidate", "--borrower ADDR|NAME --amount N --denom TRACE_DENOM", NULL, "lending chain"},
    {"set-price", "--denom TRACE_DENOM --price WAD [--time NS]", NULL, "oracle key"},
    {"register-collateral", "--channel CH --denom BASE --ltv BPS --lt BPS --bonus BPS", NULL,
     "admin key"},
};

void cw_cli_tx_usage(FILE *f)
{
    fprintf(f, "usage: causeway tx SUBCOMMAND [options] --from NAME [--node URL] [--keyring DIR]\n"
               "                  [--no-wait] [--timeout S] [--memo TEXT] [--json]\n");
    for (size_t i = 0; i < sizeof tx_cmds / sizeof tx_cmds[0]; i++) {
        fprintf(f, "  %-19s %s\n", tx_cmds[i].name, tx_cmds[i].args);
        if (tx_cmds[i].more)
            fprintf(f, "  %-19s %s\n", "", tx_cmds[i].more);
        if (tx_cmds[i].where)
            fprintf(f, "  %-19s (%s)\n", "", tx_cmds[i].where);
    }
    fprintf(f, "  Signs with key NAME, broadcasts, and waits (--timeout S: up to S seconds, default\n"
               "  30 for send, 60 for the others) until the tx is in a block; --no-wait only\n"
               "  broadcasts. lock/withdraw-collateral timeouts default to 10 minutes after the\n"
               "  counterparty's latest time as this chain's client of it knows it (the client's\n"
               "  latest consensus state), as ICS-20 CLIs do.\n"
               "  'causeway tx SUBCOMMAND --help' prints this text.\n"
               "Exit 0 committed and succeeded; 1 refused, failed or not committed in time;\n"
               "2 usage.\n");
}

int cw_cli_tx(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, 0, 'f'},  {"to", required_argument, 0, 't'},
        {"denom", required_argument, 0, 'd'}, {"amount", required_argument, 0, 'a'},
        {"memo", required_argument, 0, 'm'},  {"no-wait", no_argument, 0, 'n'},
        {"timeout", required_argument, 0, 'T'}, {"node", required_argument, 0, 'N'},
        {"keyring", required_argument, 0, 'k'}, {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *from = NULL, *to = NULL, *denom = NULL, *amount_s = NULL, *memo = "";
    const char *node = NULL, *keyring = NULL;
    bool no_wait = false, json = false;
    uint64_t timeout_s = 30;
    int c;
    char err[256];
    if (argc < 2) {
        cw_cli_tx_usage(stderr);
        return 2;
    }
    if (cw_cli_is_help(argv[1])) {
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
    if (strcmp(argv[1], "send") != 0)
        return cw_cli_tx_app(argc, argv);
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'd': denom = optarg; break;
        case 'a': amount_s = optarg; break;
        case 'm': memo = optarg; break;
        case 'n': no_wait = true; break;
        case 'T':
            if (cw_u64_from_dec(&timeout_s, optarg, err, sizeof err) || timeout_s == 0 ||
                timeout_s > 3600) {
                fprintf(stderr, "causeway tx: --timeout: '%s' is not 1..3600 seconds\n", optarg);
                return 2;
            }
            break;
        case 'N': node = optarg; break;
        case 'k': keyring = optarg; break;
        case 'j': json = true; break;
        case 'h': cw_cli_tx_usage(stdout); return 0;
        default: cw_cli_tx_usage(stderr); return 2;
        }
    }
    if (optind != argc || !from || !to || !denom || !amount_s) {
        cw_cli_tx_usage(stderr);
        return 2;
    }
    uint64_t amount;
    if (cw_u64_from_dec(&amount, amount_s, err, sizeof err) || amount == 0) {
        fprintf(stderr, "causeway tx: --amount: '%s' is not a positive integer of base units\n",
                amount_s);
        return 2;
    }
    if (cw_id_validate(denom, strlen(denom), "--denom", err, sizeof err)) {
        fprintf(stderr, "causeway tx: %s\n", err);
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
    int rc = cw_cli_broadcast(cw_cli_node(node), keyring, from, &m, &ml, 1, memo, no_wait,
                              (unsigned)timeout_s, json);
    cw_enc_free(&e);
    return rc;
}
