/* causeway-chain — a test chain node (DESIGN §1, §5). */
#include <stdio.h>

#include "causeway/cliopt.h"
#include "chain.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: causeway-chain init|start [options]   ('COMMAND --help' for options)\n"
               "  init   create a home directory: keys, genesis.json, config.json\n"
               "  start  run the node from a home directory\n");
}

static const cw_clicmd commands[] = {
    {"init", cw_chain_cmd_init, NULL},
    {"start", cw_chain_cmd_start, NULL},
};

int main(int argc, char **argv)
{
    return cw_clicmd_dispatch(argc, argv, commands, sizeof commands / sizeof commands[0], usage,
                              "causeway-chain", "command");
}
