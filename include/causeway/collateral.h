/* Causeway — the collateral app on port "collateral" (DESIGN §8).
 *
 * Collateral never leaves its home chain as a token. Chain A escrows it per channel; chain B
 * keeps a non-transferable position (the lending market's, causeway/lending.h) under the
 * trace denom ibc/HEX(SHA256("collateral/{B's channel}/{base_denom}")).
 *
 * Packet data (canonical msgpack; cw_collateral_packet in causeway/app_msgs.h):
 *   CollateralDeposit = ["deposit", base_denom, amount, owner(bin 20), beneficiary(bin 20)]
 *   CollateralRelease = ["release", base_denom, amount, holder(bin 20), receiver(bin 20)]
 *
 *   packet              sender side                 receiver side           error ack/timeout
 *   deposit  A → B      escrow on A (lock)          credit position on B    refund owner on A
 *   release  B → A      debit position on B (LTV)   unescrow to receiver    re-credit holder
 *
 * Rules: only UNORDERED channels with version "collateral-1"; ChanCloseInit refused (as
 * ICS-20: positions and escrow must never be stranded); B credits only (channel, base_denom)
 * pairs its admin registered (anything else gets an error ack, which refunds on A); A refuses
 * zero amounts and denoms it does not hold (no supply on A, or an ibc/ trace) before writing
 * a commitment; a channel never unescrows more than it escrowed.
 *
 * State on A (proven, for the audit):
 *   collateral/escrow/{channel}/{denom}   be64: amount escrowed through that channel
 * The escrowed tokens sit in the module account cw_module_address("escrow/collateral/{ch}").
 *
 * Msgs (cw_msg_collateral_lock / cw_msg_lend_withdraw_collateral, causeway/app_msgs.h):
 *   collateral.lock [channel, denom, amount, beneficiary(bin 20), timeout_height,
 *                    timeout_timestamp_ns]                                   (on A)
 *   lend.withdraw_collateral [channel, base_denom, amount, receiver(bin 20),
 *                    timeout_height, timeout_timestamp_ns]                   (on B)
 * Thread safety: as the chain's one execution thread.
 */
#ifndef CAUSEWAY_COLLATERAL_H
#define CAUSEWAY_COLLATERAL_H

#include <stdint.h>

#include "causeway/ibc.h"

#define CW_COLLATERAL_PORT "collateral"
#define CW_COLLATERAL_VERSION "collateral-1"

/** Bind the app to `h` and register its msgs with `app`.
 *  Returns: CW_OK; the bind/register codes (CW_EEXISTS, CW_EINVAL, -ENOMEM). */
int cw_collateral_register(cw_ibc *h, cw_app *app) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Escrowed amount of denom through channel on this chain (A side).
 *  Returns: CW_OK (absent → 0); CW_EINVAL channel or denom not an identifier;
 *  CW_EMALFORMED corrupt; a store error. Key: cw_key_collateral_escrow (causeway/keys.h). */
int cw_collateral_escrow(const cw_kv *kv, uint64_t *out, const char *channel,
                         const char *denom) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** The escrow rule, in its one place: move amount of denom out of channel's escrow to `to`,
 *  never more than that channel escrowed (a channel cannot unescrow another's deposits).
 *  Returns: CW_OK; CW_EINSUFFICIENT escrow(channel, denom) < amount; bank/store errors.
 *  Nothing changes on failure. */
int cw_collateral_unescrow(const cw_kv *kv, const char *channel, const char *denom,
                           uint64_t amount, const cw_address *to, char *err, size_t err_len)
    CW_NONNULL(1, 2, 3, 5) CW_WARN_UNUSED;

#endif
