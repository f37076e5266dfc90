/* Causeway — ICS-20 fungible token transfer on the wire, in its one definition (DESIGN §8a).
 *
 * Byte-compatible with ibc-go's `transfer` app (port "transfer", version "ics20-1"):
 *
 *   packet data  FungibleTokenPacketData as ibc-go's GetBytes() writes it:
 *                sdk.MustSortJSON(jsonpb{OrigName, EmitDefaults: false}(ftpd)) — a JSON
 *                object, keys sorted, compact, `memo` left out when empty, every field a
 *                string ("amount" a decimal string):
 *                  {"amount":"100","denom":"stake","receiver":"…","sender":"…"}
 *                Strings are escaped as Go's encoding/json does (MustSortJSON re-marshals):
 *                `"` and `\` as \" \\, `<` `>` `&` as \u003c \u003e \u0026, U+2028/U+2029 as
 *                \u2028 \u2029, other UTF-8 raw. Control characters (< 0x20) are refused when
 *                we encode (Go's escaping of \b and \f changed in Go 1.22; a memo never
 *                needs them), so every byte we send is what ibc-go would send.
 *                (ibc-go modules/apps/transfer/types/packet.go GetBytes, v7 036b66f8;
 *                codec.go mustProtoMarshalJSON.)
 *   ack          ibc-go's channeltypes.Acknowledgement in JSON (jsonpb, one oneof key):
 *                  {"result":"AQ=="}   success, the result base64 of the byte 0x01
 *                  {"error":"ABCI code: N: error handling packet: see events for details"}
 *                with N the ABCI code of the failure (ibc-go NewErrorAcknowledgement: only
 *                the code, never the message, so every node writes the same bytes).
 *                (ibc-go modules/core/04-channel/types/acknowledgement.go and
 *                acknowledgement_test.go, v7 02a7a707.)
 *   denom trace  a voucher for the full path P = "{port}/{channel}/…/{base}" is named
 *                "ibc/" + upper-case hex SHA-256(P) (ibc-go DenomTrace.IBCDenom).
 *
 * Decoding follows ibc-go's receiver (ModuleCdc.UnmarshalJSON = gogoproto jsonpb with
 * AllowUnknownFields false): a JSON object in any key order and whitespace, each known key a
 * string, an unknown key refused. Stricter than ibc-go, documented: a duplicate key is
 * refused (Go keeps the last), a null value is refused (jsonpb reads it as ""), a string
 * holding U+0000 is refused, and the amount must be
 * canonical (digits, no sign, no leading zero; ibc-go's big.Int parse takes "+7" and "007").
 * ibc-go never sends any of these. ibc-rs senders write "memo":"" and unsorted keys: both are
 * accepted.
 *
 * Memory: the codecs allocate only inside the call (jansson); they keep no pointers.
 * Thread-safe for distinct arguments.
 */
#ifndef CAUSEWAY_ICS20_H
#define CAUSEWAY_ICS20_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/hex.h"
#include "causeway/schnorr.h"

#define CW_ICS20_PORT "transfer"
#define CW_ICS20_VERSION "ics20-1"

/** Bounds of the packet data fields (bytes, without NUL). A packet carries at most
 *  CW_PACKET_DATA_MAX (4,096) bytes in all, which bounds the memo. */
#define CW_ICS20_DENOM_MAX 512u  /* the full denom path */
#define CW_ICS20_ADDR_MAX 128u   /* sender, receiver (any chain's address text) */
#define CW_ICS20_MEMO_MAX 4096u
#define CW_ICS20_AMOUNT_DIGITS 78u /* 2^256 - 1 has 78 decimal digits */

/** The ABCI codes our error acks carry, ibc-go's codes for the same failures
 *  (modules/core/errors/errors.go, modules/apps/transfer/types/errors.go). */
#define CW_ICS20_ABCI_INVALID_TYPE 12u     /* ibc ErrInvalidType: undecodable packet data */
#define CW_ICS20_ABCI_INVALID_AMOUNT 5u    /* transfer ErrInvalidAmount */
#define CW_ICS20_ABCI_INVALID_ADDRESS 5u   /* ibc ErrInvalidAddress: sender/receiver */
#define CW_ICS20_ABCI_INVALID_DENOM 3u     /* transfer ErrInvalidDenomForTransfer */
#define CW_ICS20_ABCI_INSUFFICIENT 5u      /* sdk ErrInsufficientFunds: escrow short */

/** FungibleTokenPacketData. Every field NUL-terminated text; memo "" = absent. */
typedef struct cw_ics20_packet {
    char denom[CW_ICS20_DENOM_MAX + 1];
    char amount[CW_ICS20_AMOUNT_DIGITS + 1];
    char sender[CW_ICS20_ADDR_MAX + 1];
    char receiver[CW_ICS20_ADDR_MAX + 1];
    char memo[CW_ICS20_MEMO_MAX + 1];
} cw_ics20_packet;

/** Append p as ibc-go's GetBytes() would write it (above) to e (raw bytes, not msgpack).
 *  Returns: CW_OK; CW_EINVAL a field is not valid UTF-8 or holds a control character, or
 *           denom/amount/sender/receiver is empty (err names the field); -ENOMEM.
 *  Nothing is appended on failure. */
int cw_ics20_packet_encode(cw_enc *e, const cw_ics20_packet *p, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Decode packet data as ibc-go's receiver does (above): the shape only — each field a string
 *  within its bound; the rules on values are cw_ics20_packet_validate's.
 *  Returns: CW_OK; CW_EMALFORMED not a JSON object, a field not a string, an unknown or
 *           duplicate key, U+0000 in a string; CW_ETOOBIG a field over its bound (err names
 *           the field). *p is zeroed first and on failure. */
int cw_ics20_packet_decode(cw_ics20_packet *p, const uint8_t *buf, size_t len, char *err,
                           size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** ibc-go's FungibleTokenPacketData.ValidateBasic: amount a positive integer (canonical,
 *  ≤ 2^256-1), sender and receiver not blank, denom a valid prefixed denom.
 *  Returns: CW_OK; CW_EINVAL with *abci_code the code ibc-go's error ack would carry
 *  (CW_ICS20_ABCI_*), err naming the field. */
int cw_ics20_packet_validate(const cw_ics20_packet *p, uint32_t *abci_code, char *err,
                             size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Parse an ICS-20 amount into base units of this chain (u64).
 *  Returns: CW_OK; CW_EMALFORMED not a canonical decimal in 1..2^256-1; CW_EOVERFLOW a
 *  valid uint256 above 2^64-1 (our balances are u64). *out = 0 on failure. Pure. */
int cw_ics20_amount_parse(uint64_t *out, const char *s, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** The success ack {"result":"AQ=="} (17 bytes), appended raw to e. */
void cw_ics20_ack_success_enc(cw_enc *e) CW_NONNULL(1);
/** The error ack for ABCI code `code`, appended raw to e. */
void cw_ics20_ack_error_enc(cw_enc *e, uint32_t code) CW_NONNULL(1);
/** The longest ack the two above write (an error ack with a 10-digit code). */
#define CW_ICS20_ACK_MAX 80u

/** Read an ICS-20 ack (the host's cw_ibc_app.ack_decode for the transfer app): a JSON object
 *  with exactly one key, "result" (a non-empty standard base64 string, padded) or "error" (a
 *  non-blank string) — ibc-go's Acknowledgement.ValidateBasic on the jsonpb decoding.
 *  *ok: which; *payload: the whole ack (borrowed from buf).
 *  Returns: CW_OK; CW_EMALFORMED anything else (err names it). */
int cw_ics20_ack_decode(bool *ok, cw_bytes *payload, const uint8_t *buf, size_t len,
                        char *err, size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/* ---- denoms -------------------------------------------------------------------------- */

/** out = "ibc/" + upper-case hex SHA-256(path) (ibc-go DenomTrace.IBCDenom for a path with a
 *  trace). path: the full denom path, NUL-terminated. Never fails. Pure. */
void cw_ics20_ibc_denom(char out[static 69], const char *path) CW_NONNULL(1, 2);

/** True iff the full path `denom` starts with "{port}/{channel}/" (ibc-go
 *  ReceiverChainIsSource with the packet's source end; on the sender, "not source"). */
bool cw_ics20_has_prefix(const char *denom, const char *port, const char *channel)
    CW_NONNULL(1, 2, 3);

/** True iff the full path carries a trace: three or more '/'-separated segments whose second
 *  is a valid channel id ("channel-" + a decimal u64) — so the voucher for it is
 *  ibc/HASH(path), not the path itself (ibc-go extractPathAndBaseFromFullDenom, which does
 *  not check the port segment either; a path without a trace is a base denom, possibly with
 *  '/'s). Pure. */
bool cw_ics20_path_has_trace(const char *path) CW_NONNULL(1);

/** The per-channel escrow account, as ibc-go's GetEscrowAddress: the first 20 bytes of
 *  SHA-256("ics20-1" || 0x00 || "{port}/{channel}"). Never fails. Pure. */
void cw_ics20_escrow_address(cw_address *out, const char *port, const char *channel)
    CW_NONNULL(1, 2, 3);

#endif
