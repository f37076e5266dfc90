/* The `causeway` CLI: one function per top-level command, each in its own file.
 * Each takes the arguments after the command name (argv[0] is the command itself) and
 * returns the process exit status: 0 success/valid, 1 invalid/failed, 2 usage error.
 * Output: human text by default, JSON with --json (jansson). */
#ifndef CAUSEWAY_CLI_H
#define CAUSEWAY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "causeway/codec.h"

int cw_cli_proof(int argc, char **argv); /* cli/proof.c — ICS-23 proof verification */
int cw_cli_light(int argc, char **argv); /* cli/light.c — light-client verify / gen */
/* cli/light_tm.c — `light verify --type tendermint` (argv from "verify" on) and its usage */
int cw_cli_light_verify_tm(int argc, char **argv);
struct cw_cliopt;
/* cw_cliopt parser of an unsigned decimal into *(uint64_t *)o->dst ("causeway light: --X:
 * 'S' is not an unsigned integer" on stderr and -1 otherwise) */
int cw_cli_light_parse_u64(const struct cw_cliopt *o, const char *s);
void cw_cli_light_tm_usage(FILE *out);
int cw_cli_keys(int argc, char **argv);  /* cli/keys.c — keys add|show|list */
int cw_cli_query(int argc, char **argv); /* cli/query.c — query status|account|balance|block */
int cw_cli_tx(int argc, char **argv);    /* cli/tx.c — tx send (and the app's txs) */
int cw_cli_tx_app(int argc, char **argv); /* cli/txapp.c — collateral and lending txs */
int cw_cli_tx_transfer(int argc, char **argv); /* cli/txtransfer.c — ICS-20 transfer */

/** A packet's default timeout on (port, channel): the counterparty's latest time as this
 *  chain's client of it knows it (the client's latest consensus state) + rel_ns, as ICS-20
 *  CLIs do. Prints the error. Returns 0 with *tt, or -1. (cli/txapp.c) */
int cw_cli_default_timeout(const char *node, const char *port, const char *channel,
                           uint64_t rel_ns, uint64_t *tt);
int cw_cli_healthz(int argc, char **argv); /* cli/query.c — healthz URL (container checks) */
int cw_cli_audit(int argc, char **argv); /* cli/audit.c — proven cross-chain solvency */
int cw_cli_keeper(int argc, char **argv); /* cli/keeper.c — automatic liquidation */

/** The usage of every `causeway tx` subcommand, one text (cli/tx.c; txapp.c prints it too). */
void cw_cli_tx_usage(FILE *f);

/* ---- shared by the chain-facing commands (cli/chainutil.c) ---- */

struct cw_rpc_client;
struct cw_seckey;
struct cw_address;

/** The keyring directory: --keyring, else $CAUSEWAY_KEYRING, else ~/.causeway/keys. */
const char *cw_cli_keyring(const char *flag);
/** The node URL: --node, else $CAUSEWAY_NODE, else ws://127.0.0.1:26657. */
const char *cw_cli_node(const char *flag);

/** Load key NAME from the keyring (NAME.json). Prints the error; returns 0 or 1. */
int cw_cli_load_key(const char *keyring, const char *name, struct cw_seckey *sk,
                    struct cw_address *addr);

/** Parse an address: 40 hex characters, or a key name in the keyring. 0 or 1 (printed). */
int cw_cli_parse_address(const char *keyring, const char *s, struct cw_address *out);

/** Connect; prints the error. Returns 0 or 1. */
int cw_cli_connect(struct cw_rpc_client **cl, const char *url);

/** Call a method with encoded params; on failure print "causeway: METHOD: reason".
 *  Returns 0 with *res (malloc'd) or 1. */
int cw_cli_call(struct cw_rpc_client *cl, const char *method, const uint8_t *params,
                size_t params_len, uint8_t **res, size_t *res_len);

/** One typed RPC call's answer, opened for a causeway/rpc_results.h decoder:
 *  cw_rpc_X_dec(&a.d, a.root, &x), then cw_cli_answer_end. a.root and whatever the decoder
 *  borrows live until cw_cli_answer_end. */
typedef struct cw_cli_answer {
    cw_dec d;
    const msgpack_object *root;
    uint8_t *res;
    char err[512];
} cw_cli_answer;
/** Call `method` with params (encoded with the rpc_results encoder; NULL = []) and open the
 *  answer in *a. Returns 0, or 1 (printed "causeway: METHOD: reason"; nothing to end). */
int cw_cli_ask(cw_cli_answer *a, struct cw_rpc_client *cl, const char *method,
               const cw_enc *params);
/** Release the answer. Returns 0, or 1 when decoding it failed (printed "causeway WHAT:
 *  unexpected answer: reason"). */
int cw_cli_answer_end(cw_cli_answer *a, const char *what);

/** Ask a method whose params are [address(bin 20)] (account, lend_account): as cw_cli_ask. */
int cw_cli_ask_address(cw_cli_answer *a, struct cw_rpc_client *cl, const char *method,
                       const struct cw_address *addr);

struct cw_rpc_lend_market;
/** The lend_market answer for asset (NULL: the chain's only market — the node refuses with
 *  the list of markets when there are several) into *m: 0, or 1 (printed "causeway WHAT:
 *  ..."). */
int cw_cli_lend_market(struct cw_rpc_client *cl, const char *asset, struct cw_rpc_lend_market *m,
                       const char *what);

struct cw_rpc_status;
struct cw_rpc_account;
/** The node's status into *st: 0, or 1 (printed, "causeway WHAT: ..." for a bad answer). */
int cw_cli_status(struct cw_rpc_client *cl, struct cw_rpc_status *st, const char *what);
/** addr's account (nonces, balances) into *acc: 0, or 1 (printed as cw_cli_status). */
int cw_cli_account(struct cw_rpc_client *cl, const struct cw_address *addr,
                   struct cw_rpc_account *acc, const char *what);
/** The value under key at height (0 = latest), unproven: 0 with *val (malloc'd, NULL when
 *  absent; free it), *len, *at (may be NULL) the height answered; or 1 (printed). */
int cw_cli_query_value(struct cw_rpc_client *cl, const char *key, uint64_t height,
                       uint8_t **val, size_t *len, uint64_t *at);

/** Sign msgs (already-encoded Msg arrays) as `from` with gas limit gas (gas units; 0 = the
 *  estimate, cw_gas_estimate), broadcast, and unless no_wait, wait (up to timeout_s,
 *  following new blocks) until the tx is committed; print the outcome with the gas used
 *  (JSON with json). Returns the exit status: 0 committed and succeeded (or broadcast with
 *  no_wait), 1 refused, failed in execution, or not committed in time. */
int cw_cli_broadcast(const char *node, const char *keyring, const char *from,
                     const uint8_t *const *msgs, const size_t *msg_lens, size_t n_msgs,
                     const char *memo, uint64_t gas, bool no_wait, unsigned timeout_s,
                     bool json);

struct cw_cliopt;
/** cw_cliopt parser of --gas: a gas limit 1..CW_GAS_TX_MAX into o->dst (uint64_t).
 *  Returns 0, or -1 after printing what was wrong. */
int cw_cli_parse_gas(const struct cw_cliopt *o, const char *arg);

struct json_t;
/** Print o as one line of compact JSON on stdout, or the line fallback when o is NULL or
 *  cannot be dumped (out of memory; fallback NULL: nothing). Takes o (json_decref). */
void cw_cli_print_json(struct json_t *o, const char *fallback);

/** Read a whole file (or stdin for "-") into a malloc'd buffer (caller frees).
 *  Returns 0, or -errno with a message in err. max bounds the size (-EFBIG beyond). */
int cw_cli_read_file(const char *path, size_t max, uint8_t **out, size_t *out_len, char *err,
                     size_t err_len);

#endif
