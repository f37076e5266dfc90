/* Causeway — what a state-machine module sees while a transaction executes (DESIGN §5).
 *
 * The chain's router (chain/app.c) calls a module's msg handler with a cw_exec_ctx: the tx's
 * state layer (a cw_kv cache, discarded if the tx fails), the block's event list (the tx's
 * events are dropped with it), the block height and time, and the signer. Modules in
 * channels/ (bank, IBC host, collateral app, lending market) implement handlers with this
 * shape and never see the chain's storage directly.
 * Thread safety: handlers run on the chain's one execution thread.
 */
#ifndef CAUSEWAY_MODULE_H
#define CAUSEWAY_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/event.h"
#include "causeway/kv.h"
#include "causeway/schnorr.h"

typedef struct cw_app cw_app;

/** What a msg handler sees. kv is the tx's cache layer; its writes vanish if the tx fails. */
typedef struct cw_exec_ctx {
    cw_app *app;
    const cw_kv *kv;
    cw_events *events;
    const char *chain_id;
    uint64_t height;  /* the executing block's height */
    uint64_t time_ns; /* the executing block's time, ns since the Unix epoch */
    cw_pubkey32 signer_pk;
    cw_address signer;
} cw_exec_ctx;

/** A msg handler: decode body (a msgpack array borrowed from the tx; use a reader cw_dec
 *  `{.err = err, .err_len = err_len}`), check, apply through ctx->kv, emit events.
 *  Returns CW_OK, or a code with one line in err; on failure its writes and events are
 *  discarded by the caller. */
typedef int (*cw_msg_handler)(cw_exec_ctx *ctx, const msgpack_object *body, char *err,
                              size_t err_len);

/* ---- the msg router (common/module.c) ----------------------------------------------- */

/** Create a router for chain_id. Returns: CW_OK; CW_EINVAL bad chain id; -ENOMEM. */
int cw_app_create(cw_app **out, const char *chain_id) CW_NONNULL(1, 2) CW_WARN_UNUSED;
void cw_app_destroy(cw_app *app);
/** The chain id given at creation. */
const char *cw_app_chain_id(const cw_app *app) CW_NONNULL(1);

/** Register a handler for a msg type (an identifier such as "bank.send"); user is handed
 *  back through cw_app_handler_user. Routing is by exact match only.
 *  Returns: CW_OK; CW_EINVAL bad type; CW_EEXISTS already registered; -ENOMEM table full. */
int cw_app_register(cw_app *app, const char *type, cw_msg_handler h, void *user)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Run the handler registered for type. Returns: its code; CW_EINVAL (err "unknown type
 *  '…'") when none is registered. */
int cw_app_dispatch(cw_app *app, cw_exec_ctx *ctx, const char *type, const msgpack_object *body,
                    char *err, size_t err_len) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** The user pointer given when the running handler was registered (module state). */
void *cw_app_handler_user(const cw_exec_ctx *ctx) CW_NONNULL(1);

#endif
