/* causeway — the user CLI (DESIGN §1). */
#include <stdio.h>

#include "causeway/cliopt.h"
#include "cli.h"

static const cw_clicmd commands[] = {
    {"proof", cw_cli_proof, "proof verify: check an ICS-23 proof against a root"},
    {"light", cw_cli_light, "light verify|gen: verify light blocks, generate test chains"},
    {"keys", cw_cli_keys, "keys add|show|list: BIP-340 keys in a keyring directory"},
    {"query", cw_cli_query, "query SUBCOMMAND: read a chain's state and blocks over RPC"},
    {"tx", cw_cli_tx, "tx SUBCOMMAND: sign and broadcast bank, collateral and lending txs"},
    {"audit", cw_cli_audit, "audit --config F: prove escrow = positions + in flight"},
    {"keeper", cw_cli_keeper, "keeper --from NAME: liquidate positions below health 1"},
    {"healthz", cw_cli_healthz, "healthz URL: exit 0 when a node or relayer answers /healthz"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: causeway COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'causeway COMMAND --help' prints a command's full usage.\n");
}

int main(int argc, char **argv)
{
    return cw_clicmd_dispatch(argc, argv, commands, sizeof commands / sizeof commands[0], usage,
                              "causeway", "command");
}
