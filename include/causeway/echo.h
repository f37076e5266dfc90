/* Causeway — the echo app on port "echo": a minimal ICS-04 application for exercising the
 * channel layer and the relayer on both channel orderings, as ibc-go's mock module does
 * (the collateral app accepts UNORDERED channels only). It moves no value.
 *
 * Channels: ORDERED or UNORDERED, version "echo-1", counterparty port "echo".
 * Packet data: any bytes (≤ CW_ECHO_DATA_MAX = 1019). On receive the ack is a success whose
 * result is the data itself, so the data limit is the most whose ack (data + 5 bytes of
 * framing) fits CW_ACK_MAX: the app declares both limits to the host (cw_ibc_app max_data,
 * max_ack), which checks at bind that they compose and at send that data is within them. A
 * longer packet from a counterparty gets an error ack. Acknowledgements and timeouts change
 * nothing in the app (the channel layer deletes the commitment, and closes an ORDERED
 * channel on timeout).
 *
 * Msgs (encoded and decoded by causeway/app_msgs.h):
 *   echo.send [channel, data(bin), timeout_height, timeout_timestamp_ns]
 * Thread safety: as the chain's one execution thread.
 */
#ifndef CAUSEWAY_ECHO_H
#define CAUSEWAY_ECHO_H

#include "causeway/app_msgs.h"
#include "causeway/ibc.h"

#define CW_ECHO_PORT "echo"
#define CW_ECHO_VERSION "echo-1"
#define CW_ECHO_DATA_MAX CW_MSG_ECHO_DATA_MAX

/** Bind the app to `h` and register echo.send with `app`.
 *  Returns: CW_OK; the bind/register codes (CW_EEXISTS, CW_EINVAL, -ENOMEM). */
int cw_echo_register(cw_ibc *h, cw_app *app) CW_NONNULL(1, 2) CW_WARN_UNUSED;

#endif
