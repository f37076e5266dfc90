/* causeway-chain — a test chain node (DESIGN §1, §5). */
#include <stdio.h>
#include <string.h>

#include "chain.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: causeway-chain init|start [options]   ('COMMAND --help' for options)\n"
               "  init   create a home directory: keys, genesis.json, config.json\n"
               "  start  run the node from a home directory\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "init") == 0)
        return cw_chain_cmd_init(argc - 1, argv + 1);
    if (strcmp(argv[1], "start") == 0)
        return cw_chain_cmd_start(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "causeway-chain: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
