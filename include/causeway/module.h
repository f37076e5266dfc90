/* Causeway — what a state-machine module sees while a transaction executes (DESIGN §5).
 *
 * The chain's router (common/module.c, driven by chain/app.c) decodes each msg's body through
 * the wire contract's codec for its type (causeway/msgs.h, causeway/app_msgs.h) and calls the
 * module's msg handler with the typed msg and a cw_exec_ctx: the tx's state layer (a cw_kv
 * cache, discarded if the tx fails), the block's event list (the tx's events are dropped with
 * it), the block height and time, and the signer. Modules in channels/ (bank, IBC host,
 * collateral app, lending market, echo) implement handlers with this shape and never see the
 * chain's storage directly, nor decode a msg by hand.
 * Thread safety: handlers run on the chain's one execution thread.
 */
#ifndef CAUSEWAY_MODULE_H
#define CAUSEWAY_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/event.h"
#include "causeway/gas.h"
#include "causeway/kv.h"
#include "causeway/msgs.h" /* cw_msg_codec */
#include "causeway/schnorr.h"

typedef struct cw_app cw_app;
struct cw_exec_ctx;

/** A check that runs once every msg of the tx has succeeded (cw_exec_at_tx_end), on the same
 *  ctx (the tx's metered cache layer: its reads and writes are the tx's gas). Returns CW_OK
 *  or a code with one line in err: the whole tx then fails as if a msg had. */
typedef int (*cw_tx_end_fn)(struct cw_exec_ctx *ctx, char *err, size_t err_len);

/** End-of-tx checks one tx may arm at most. */
#define CW_TX_END_MAX 4

/** What a msg handler sees. kv is the tx's cache layer, metered: every read, write and
 *  delete charges gas (causeway/gas.h) and fails with CW_EOUTOFGAS once the tx's limit is
 *  reached; its writes vanish if the tx fails. gas is the tx's meter: a handler charges it
 *  (cw_gas_charge) before work the store does not see — signature checks, hashing — and
 *  returns CW_EOUTOFGAS when a charge fails. */
typedef struct cw_exec_ctx {
    cw_app *app;
    const cw_kv *kv;
    cw_gas_meter *gas;
    cw_events *events;
    const char *chain_id;
    uint64_t height;  /* the executing block's height */
    uint64_t time_ns; /* the executing block's time, ns since the Unix epoch */
    cw_pubkey32 signer_pk;
    cw_address signer;
    /* the tx runner's: the running msg's index, and the end-of-tx checks armed so far (each
     * with the index of the msg that armed it); zero-initialize for each tx */
    uint32_t msg_index;
    uint32_t n_tx_end;
    cw_tx_end_fn tx_end[CW_TX_END_MAX];
    uint32_t tx_end_msg[CW_TX_END_MAX];
} cw_exec_ctx;

/** Arm fn to run at the end of the running tx (once, however often it is armed), after its
 *  last msg — how a msg states a condition the rest of the tx must meet (lend.flash_loan:
 *  repaid by the end, DESIGN §8). Arm on the ctx the handler was given: a copy (as the IBC
 *  host makes for a packet's app callback) is not the tx runner's, and what it arms is lost.
 *  Returns: CW_OK; CW_ETOOBIG CW_TX_END_MAX distinct checks already armed (err says so). */
int cw_exec_at_tx_end(cw_exec_ctx *ctx, cw_tx_end_fn fn, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Run the armed end-of-tx checks in the order armed (the tx runner calls this once every
 *  msg succeeded; chain/app.c and the tests' tx runners share it).
 *  Returns: CW_OK; the first check's failure, with *failed_msg the index of the msg that
 *  armed it and err "end of tx: " + the check's line. */
int cw_exec_tx_end(cw_exec_ctx *ctx, uint32_t *failed_msg, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** A msg handler: check the msg, apply it through ctx->kv, emit events. msg is the msg's
 *  body already decoded by the codec row the type was registered with — for cw_app_register
 *  the contract's (causeway/msgs.h, causeway/app_msgs.h), so a handler for "bank.send" gets a
 *  `const cw_msg_bank_send *`. It is borrowed for the call: its cw_bytes point into the tx.
 *  Returns CW_OK, or a code with one line in err; on failure its writes and events are
 *  discarded by the caller. */
typedef int (*cw_msg_handler)(cw_exec_ctx *ctx, const void *msg, char *err, size_t err_len);

/* ---- the msg router (common/module.c) ----------------------------------------------- */

/** Create a router for chain_id. Returns: CW_OK; CW_EINVAL bad chain id; -ENOMEM. */
int cw_app_create(cw_app **out, const char *chain_id) CW_NONNULL(1, 2) CW_WARN_UNUSED;
void cw_app_destroy(cw_app *app);
/** The chain id given at creation. */
const char *cw_app_chain_id(const cw_app *app) CW_NONNULL(1);

/** Register a handler for a msg type of the wire contract (an identifier such as
 *  "bank.send" with a row in cw_msg_codecs_ibc or cw_msg_codecs_app); user is handed back
 *  through cw_app_handler_user. Routing is by exact match only.
 *  Returns: CW_OK; CW_EINVAL bad type, or a type the contract has no codec for;
 *           CW_EEXISTS already registered; -ENOMEM table full. */
int cw_app_register(cw_app *app, const char *type, cw_msg_handler h, void *user)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** The same for a msg type outside the contract (a test's msg): codec->type names it, and
 *  codec->size and codec->dec (and codec->free, if not NULL) decode its body for the handler;
 *  codec->enc is not used. codec is borrowed and must outlive app.
 *  Returns: as cw_app_register. */
int cw_app_register_codec(cw_app *app, const cw_msg_codec *codec, cw_msg_handler h, void *user)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Decode body (a msgpack array borrowed from the tx) with the codec registered for type,
 *  then run its handler on the decoded msg; what the decoder allocated is released after.
 *  Returns: the handler's code; the decoder's (CW_EMALFORMED, CW_ETOOBIG, CW_EINVAL,
 *           -ENOMEM: err names "<type>.<field>" or the field, as causeway/msgs.h says) without
 *           running the handler; CW_EINVAL (err "unknown type '…'") when none is registered;
 *           -ENOMEM. */
int cw_app_dispatch(cw_app *app, cw_exec_ctx *ctx, const char *type, const msgpack_object *body,
                    char *err, size_t err_len) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** The user pointer given when the running handler was registered (module state). */
void *cw_app_handler_user(const cw_exec_ctx *ctx) CW_NONNULL(1);

#endif
