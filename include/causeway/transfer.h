/* Causeway — the ICS-20 fungible token transfer app on port "transfer" (DESIGN §8a), as
 * ibc-go's transfer module (v7) behaves, on the wire formats of causeway/ics20.h.
 *
 * Channels: UNORDERED only, version "ics20-1", counterparty port "transfer"; ChanCloseInit
 * is refused (escrow and vouchers would be stranded), as ibc-go does.
 *
 * transfer.transfer (causeway/app_msgs.h) on the sender chain, for denom D (a native
 * identifier, or a voucher "ibc/HASH" whose full path P is read from its denom trace):
 *   - P starts with "transfer/{source channel}/" (the voucher came in over this channel, so
 *     the sender chain is not the source): the voucher is BURNED;
 *   - otherwise the tokens move into the channel's escrow account
 *     (cw_ics20_escrow_address("transfer", channel), ibc-go's GetEscrowAddress);
 *   then the packet {amount, denom: P, receiver, sender: signer hex, memo} is sent.
 * On receive, for the packet's full path P:
 *   - P starts with "{source port}/{source channel}/" (the token is returning home): strip
 *     it; the rest is a native denom here, or (if it still carries a trace) the voucher
 *     ibc/HASH(rest); UNESCROW that much from this channel's escrow to the receiver;
 *   - otherwise MINT the voucher ibc/HASH("transfer/{dest channel}/" + P) to the receiver,
 *     storing its denom trace (and its place in the trace index) the first time.
 *   The receiver must be a 40-hex-digit address here; the amount must fit a u64 balance.
 *   Any failure writes ibc-go's error ack (causeway/ics20.h) and changes nothing.
 * On an error ack or a timeout the sender is refunded: the escrow pays back, or the burned
 * voucher is minted back. A success ack changes nothing.
 * Thread safety: as the chain's one execution thread.
 */
#ifndef CAUSEWAY_TRANSFER_H
#define CAUSEWAY_TRANSFER_H

#include "causeway/app_msgs.h"
#include "causeway/ibc.h"
#include "causeway/ics20.h"

/** Bind the app to port "transfer" of `h` and register transfer.transfer with `app`.
 *  Returns: CW_OK; the bind/register codes (CW_EEXISTS, CW_EINVAL, -ENOMEM). */
int cw_transfer_register(cw_ibc *h, cw_app *app) CW_NONNULL(1, 2) CW_WARN_UNUSED;

#endif
