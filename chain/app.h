/* causeway-chain — the application: accounts, nonces, the msg router and tx execution
 * (DESIGN §5 "Transactions"). Private to chain/ (the node and its tests).
 *
 * Execution of one tx against the block's state (a cw_kv, usually a cache over the Merkle
 * store):
 *   1. chain id must be this chain's, nonce must equal the signer's next nonce — otherwise
 *      the tx is not executable (CW_EINVAL / CW_ENONCE) and is left out of the block;
 *   2. the nonce is consumed (next nonce + 1) whether or not the msgs succeed, so a failed
 *      tx can never be replayed later when it would succeed (unless the block's room, not
 *      the tx's limit, stopped it: cw_app_deliver_room defers it whole);
 *   3. the msgs run in order on a cache layer, metered against the tx's gas limit
 *      (causeway/gas.h): the intrinsic gas first, then every store access and every charge
 *      a handler makes; the first failure — running out of gas included (CW_EOUTOFGAS) —
 *      discards the layer and the tx's events, and the result names the failing msg's
 *      index; then the end-of-tx checks the msgs armed (cw_exec_at_tx_end: a flash loan
 *      must be repaid), metered likewise, whose failure fails the tx the same way, naming
 *      the msg that armed it; success commits the layer. The result records the gas limit
 *      and gas used.
 * The signature is verified at mempool admission (cw_tx_verify_signature), not here.
 */
#ifndef CAUSEWAY_CHAIN_APP_H
#define CAUSEWAY_CHAIN_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "causeway/event.h"
#include "causeway/kv.h"
#include "causeway/rpc_results.h"
#include "causeway/tx.h"

#include "causeway/module.h"

/** The outcome of an executed tx (kept by tx hash). */
typedef struct cw_tx_result {
    int code;               /* CW_OK or the failing msg's code */
    char log[256];          /* "" or the failure line */
    bool has_failed_msg;
    uint32_t failed_msg;    /* index of the failing msg */
    uint64_t gas_wanted;    /* the tx's gas limit */
    uint64_t gas_used;      /* gas the tx used (up to where it failed) */
    uint8_t *events;        /* encoded array of the tx's events (malloc'd) */
    size_t events_len;
} cw_tx_result;

void cw_tx_result_free(cw_tx_result *r);
/** r as the wire contract's tx result (causeway/rpc_results.h), borrowing r's log and events:
 *  what the block's results and the tx index are encoded from. */
cw_rpc_tx_result cw_tx_result_view(const cw_tx_result *r) CW_NONNULL(1);



/** The signer's next nonce (0 for a new account). Returns: CW_OK; a store error. */
int cw_app_account_nonce(const cw_kv *kv, const cw_address *addr, uint64_t *nonce)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Execute one decoded tx (steps 1–3 above) at (height, time_ns).
 *  Returns: CW_OK — the tx is part of the block, *res says whether its msgs succeeded;
 *           CW_EINVAL wrong chain id / CW_ENONCE wrong nonce — not executable, no state
 *           change, res->log says why; -ENOMEM / store errors: the block must be abandoned. */
int cw_app_deliver(cw_app *app, const cw_kv *block_kv, cw_events *events, const cw_tx *tx,
                   uint64_t height, uint64_t time_ns, cw_tx_result *res)
    CW_NONNULL(1, 2, 3, 4, 7) CW_WARN_UNUSED;

/** cw_app_deliver within a block that has `room` gas left (the block producer's call): the
 *  tx runs with min(its gas limit, room). If it runs out of gas with room below its own
 *  limit, *deferred is true and nothing of it is kept — no nonce, no writes, no events,
 *  *res zeroed — for it may succeed with its own limit: it waits for the next block, which
 *  it starts (room = max_block_gas ≥ its limit, so a tx at the start of a block is never
 *  deferred). Otherwise as cw_app_deliver, and res->gas_used ≤ room.
 *  Returns: as cw_app_deliver. */
int cw_app_deliver_room(cw_app *app, const cw_kv *block_kv, cw_events *events, const cw_tx *tx,
                        uint64_t height, uint64_t time_ns, uint64_t room, cw_tx_result *res,
                        bool *deferred) CW_NONNULL(1, 2, 3, 4, 8, 9) CW_WARN_UNUSED;

/** Register the bank's msgs: "bank.send" [to(bin 20), denom(str), amount(u64)]. */
int cw_app_register_bank(cw_app *app) CW_NONNULL(1) CW_WARN_UNUSED;

#endif
