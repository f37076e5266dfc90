/* causeway-chain — the running daemon: node + RPC server + block timer. Private to chain/. */
#ifndef CAUSEWAY_CHAIN_CHAIN_H
#define CAUSEWAY_CHAIN_CHAIN_H

#include "causeway/rpc_server.h"
#include "node.h"

typedef struct cw_chain {
    cw_node *node;
    cw_rpc_server *srv;
    uint64_t block_errors;
    uint64_t notes_failed; /* block notifications cw_rpc_server_publish refused */
    volatile sig_atomic_t *stop;
    int fatal; /* set when a block could not be committed: the daemon exits 1 */
    int block_due; /* the block timer fired once: the next firing, after one socket pass,
                      starts the block (chain/cmd.c block_timer) */
} cw_chain;

/** Fill the HTTP callbacks of an RPC server config for this chain. */
void cw_chain_rpc_config(cw_chain *c, cw_rpc_server_config *cfg);
/** Register the chain's RPC methods and the "blocks" topic on c->srv. */
int cw_chain_rpc_register(cw_chain *c, char *err, size_t err_len);

/** `causeway-chain init` and `start` (chain/cmd.c). Return the process exit status. */
int cw_chain_cmd_init(int argc, char **argv);
int cw_chain_cmd_start(int argc, char **argv);

#endif
