/* Causeway — the application msgs, in their one definition (DESIGN §5 "Msgs", §8).
 *
 * Every non-ibc msg a tx carries: its type string, one struct, and one encode/decode pair.
 * The chain's handlers (chain/app.c, chain/node.c, channels/{collateral,lending,echo}.c)
 * decode through it; the CLI and the tests encode through it. The ibc.* msgs live in
 * causeway/msgs.h. A Msg is the canonical msgpack array [type(str), body(array)]:
 *
 *   bank.send                 [to(bin 20), denom(str id | trace denom), amount(u64)]
 *   admin.update_validators   [validator_set]                      (causeway/block.h)
 *   echo.send                 [channel(str id), data(bin ≤ CW_MSG_ECHO_DATA_MAX = 1019),
 *                              timeout_height(u64), timeout_timestamp_ns(u64)]
 *   collateral.lock           [channel, denom, amount, beneficiary(bin 20), timeout_height,
 *                              timeout_timestamp_ns]
 *   lend.withdraw_collateral  [channel, base_denom, amount, receiver(bin 20), timeout_height,
 *                              timeout_timestamp_ns]
 *   lend.supply / lend.borrow [asset(str id), amount(u64)]
 *   lend.flash_loan           [asset(str id), amount(u64)]   repaid + fee at the tx's end
 *   lend.withdraw_supply      [asset, amount(u64), all(bool)]   all: every share (amount 0)
 *   lend.repay                [asset, amount(u64), on_behalf_of(bin 20) | nil]
 *   lend.liquidate            [asset, borrower(bin 20), repay_amount(u64),
 *                              collateral(trace denom)]   asset: the debt market repaid
 *   lend.register_collateral  [channel(str id), base_denom(str id), ltv_bps, lt_bps,
 *                              bonus_bps]
 *   lend.update_market        [asset, market: nil | [base_rate, slope1, kink, slope2 (bin16
 *                                              wad), close_factor_bps, reserve_factor_bps,
 *                                              max_price_age_ns, liquidation_grace_ns,
 *                                              dust_threshold, supply_cap, borrow_cap,
 *                                              flash_fee_bps],
 *                              collaterals: [[trace_denom, ltv_bps, lt_bps, bonus_bps], ...]]
 *   lend.pause                [asset, actions(u64 bitmask of CW_LEND_ACTION_*), paused(bool)]
 *   lend.withdraw_reserves    [asset, to(bin 20), amount(u64)]
 *   oracle.set_price          [denom(trace denom | asset id), price(bin16 wad), time_ns(u64)]
 * asset (str id) names the market a msg acts on: its borrowable asset, e.g. "uusd"
 * (causeway/lending.h: one market per asset).
 *   transfer.transfer         [channel(str id), denom(str id | trace denom), amount(u64),
 *                              receiver(str 1..128), timeout_height(u64),
 *                              timeout_timestamp_ns(u64), memo(str ≤ 1024)]
 *                             ICS-20 MsgTransfer (causeway/ics20.h); the sender is the signer
 * The collateral app's packet data (CollateralDeposit / CollateralRelease) is here too.
 *
 * Conventions (as causeway/codec.h's wire types; each pair declared by CW_MSG_CODEC_DECLARE):
 *   void cw_msg_X_enc(cw_enc *e, const cw_msg_X *m)   appends the whole Msg [type, body];
 *   void cw_msg_X_dec(cw_dec *d, const msgpack_object *body, cw_msg_X *m, const char *what)
 *     reads the BODY (the tx decoder has split [type, body]) with the sticky error of d:
 *     shape, integer ranges, identifiers (cw_id_validate) and trace denoms are checked; the
 *     rules that need state (amount > 0, a registered collateral, …) are the handler's.
 *     `what` labels the error line, normally the type (CW_MSG_X): "bank.send.to: …".
 *     On failure *m holds zero values (owned memory freed).
 * Decoded str fields are copied into the struct; bin fields that are not fixed-size
 * (echo.send data) borrow from the decoded buffer (causeway/codec.h). Nothing here keeps a
 * pointer or global state: thread-safe for distinct arguments.
 */
#ifndef CAUSEWAY_APP_MSGS_H
#define CAUSEWAY_APP_MSGS_H

#include <stdbool.h>
#include <stdint.h>

#include "causeway/block.h"
#include "causeway/codec.h"
#include "causeway/hex.h"
#include "causeway/keys.h"
#include "causeway/mathx.h"
#include "causeway/msgs.h" /* cw_msg_codec, the table row shape */
#include "causeway/schnorr.h"

#define CW_MSG_BANK_SEND "bank.send"
#define CW_MSG_ADMIN_UPDATE_VALIDATORS "admin.update_validators"
#define CW_MSG_ECHO_SEND "echo.send"
#define CW_MSG_COLLATERAL_LOCK "collateral.lock"
#define CW_MSG_LEND_WITHDRAW_COLLATERAL "lend.withdraw_collateral"
#define CW_MSG_LEND_SUPPLY "lend.supply"
#define CW_MSG_LEND_WITHDRAW_SUPPLY "lend.withdraw_supply"
#define CW_MSG_LEND_BORROW "lend.borrow"
#define CW_MSG_LEND_REPAY "lend.repay"
#define CW_MSG_LEND_LIQUIDATE "lend.liquidate"
#define CW_MSG_LEND_REGISTER_COLLATERAL "lend.register_collateral"
#define CW_MSG_LEND_UPDATE_MARKET "lend.update_market"
#define CW_MSG_LEND_PAUSE "lend.pause"
#define CW_MSG_LEND_WITHDRAW_RESERVES "lend.withdraw_reserves"
#define CW_MSG_LEND_FLASH_LOAN "lend.flash_loan"
#define CW_MSG_ORACLE_SET_PRICE "oracle.set_price"
#define CW_MSG_TRANSFER "transfer.transfer"

/** transfer.transfer memo at most (bytes), so a packet's data stays within CW_PACKET_DATA_MAX
 *  whatever the other fields hold. */
#define CW_MSG_TRANSFER_MEMO_MAX 1024u
/** transfer.transfer receiver at most (bytes): CW_ICS20_ADDR_MAX. */
#define CW_MSG_TRANSFER_RECEIVER_MAX 128u

/** echo.send data at most (bytes): the most whose echo ack, [true, bin(data)] with 5 bytes
 *  of framing, stays within CW_ACK_MAX (1024, causeway/packet.h); the echo app declares
 *  this limit to the IBC host, which checks that it composes (causeway/echo.h). */
#define CW_MSG_ECHO_DATA_MAX 1019u
/** Registered collateral denoms at most, and so collateral updates per lend.update_market. */
#define CW_LEND_MAX_COLLATERALS 16
/** Lending markets (borrowable assets) on one chain at most: bounds every health check and
 *  the per-market list of the lend_account RPC result. */
#define CW_LEND_MAX_MARKETS 8

/** The pausable actions of the lending market (lend.pause, the market state and the
 *  lend_market RPC result carry a set of them as a bitmask; DESIGN §8). Repay is not among
 *  them: it is never paused. */
#define CW_LEND_ACTION_SUPPLY 1u              /* lend.supply */
#define CW_LEND_ACTION_BORROW 2u              /* lend.borrow */
#define CW_LEND_ACTION_LIQUIDATE 4u           /* lend.liquidate (write-offs included) */
#define CW_LEND_ACTION_WITHDRAW_SUPPLY 8u     /* lend.withdraw_supply */
#define CW_LEND_ACTION_WITHDRAW_COLLATERAL 16u /* lend.withdraw_collateral (the release debit) */
#define CW_LEND_ACTION_FLASH_LOAN 32u         /* lend.flash_loan (new loans; settling one never) */
#define CW_LEND_ACTION_ALL 63u
/** The name of one action bit ("supply", "borrow", "liquidate", "withdraw_supply",
 *  "withdraw_collateral", "flash_loan"); NULL for anything but exactly one known bit. Static storage,
 *  thread-safe. */
const char *cw_lend_action_name(uint64_t bit);
/** Parse a comma-separated list of action names (as cw_lend_action_name gives them, or
 *  "withdraw" for both withdraw bits, or "all") into *mask.
 *  Returns: CW_OK; CW_EINVAL an unknown or empty name (err names it). Pure, thread-safe. */
int cw_lend_actions_parse(const char *list, uint64_t *mask, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/* ---- bank, admin, echo ------------------------------------------------------------------ */

typedef struct cw_msg_bank_send {
    cw_address to;
    char denom[CW_TRACE_DENOM_LEN + 1]; /* an identifier or a voucher ibc/HASH (bank.h) */
    uint64_t amount; /* base units */
} cw_msg_bank_send;
CW_MSG_CODEC_DECLARE(bank_send);

/** The next validator set. validator_set owns malloc'd memory: free with
 *  cw_msg_admin_update_validators_free (also after a failed decode; accepts NULL). The
 *  decoder checks the set as cw_validator_set_dec does (sorted, powers), not the keys. */
typedef struct cw_msg_admin_update_validators {
    cw_validator_set validator_set;
} cw_msg_admin_update_validators;
CW_MSG_CODEC_DECLARE(admin_update_validators);
void cw_msg_admin_update_validators_free(cw_msg_admin_update_validators *m);

typedef struct cw_msg_echo_send {
    char channel[CW_ID_MAX + 1];
    cw_bytes data;                 /* ≤ CW_MSG_ECHO_DATA_MAX; borrowed (see above) */
    uint64_t timeout_height;       /* 0 = none */
    uint64_t timeout_timestamp_ns; /* 0 = none */
} cw_msg_echo_send;
CW_MSG_CODEC_DECLARE(echo_send);

/* ---- ICS-20 ------------------------------------------------------------------------------ */

/** transfer.transfer (ICS-20 MsgTransfer with source port "transfer" and the signer as
 *  sender): denom is a native identifier or a voucher "ibc/HASH"; receiver is the address
 *  text on the destination chain (not checked here: the destination checks it). The decoder
 *  refuses empty receivers and strings holding U+0000; memo "" = none. */
typedef struct cw_msg_transfer {
    char channel[CW_ID_MAX + 1];
    char denom[CW_TRACE_DENOM_LEN + 1];
    uint64_t amount;
    char receiver[CW_MSG_TRANSFER_RECEIVER_MAX + 1];
    uint64_t timeout_height;       /* 0 = none */
    uint64_t timeout_timestamp_ns; /* 0 = none */
    char memo[CW_MSG_TRANSFER_MEMO_MAX + 1];
} cw_msg_transfer;
CW_MSG_CODEC_DECLARE(transfer);

/* ---- the collateral app ----------------------------------------------------------------- */

/** collateral.lock (on A: escrow `denom`, send a deposit for `to` = the beneficiary on B) and
 *  lend.withdraw_collateral (on B: debit the signer's position in `denom` = the base denom,
 *  send a release paying `to` = the receiver on A) share one layout. */
typedef struct cw_msg_collateral_transfer {
    char channel[CW_ID_MAX + 1];
    char denom[CW_ID_MAX + 1];
    uint64_t amount;
    cw_address to;
    uint64_t timeout_height;       /* 0 = none */
    uint64_t timeout_timestamp_ns; /* 0 = none */
} cw_msg_collateral_transfer;
typedef cw_msg_collateral_transfer cw_msg_collateral_lock;
typedef cw_msg_collateral_transfer cw_msg_lend_withdraw_collateral;
CW_MSG_CODEC_DECLARE(collateral_lock);
CW_MSG_CODEC_DECLARE(lend_withdraw_collateral);

/** The collateral app's packet data (DESIGN §8):
 *    CollateralDeposit = ["deposit", base_denom, amount, owner(bin 20), beneficiary(bin 20)]
 *    CollateralRelease = ["release", base_denom, amount, holder(bin 20), receiver(bin 20)] */
typedef enum cw_collateral_kind {
    CW_COLLATERAL_DEPOSIT = 1,
    CW_COLLATERAL_RELEASE = 2
} cw_collateral_kind;
typedef struct cw_collateral_packet {
    cw_collateral_kind kind;
    char denom[CW_ID_MAX + 1]; /* the base denom, on A */
    uint64_t amount;           /* > 0 */
    cw_address from;           /* owner (deposit) / holder (release) */
    cw_address to;             /* beneficiary (deposit) / receiver (release) */
} cw_collateral_packet;
void cw_collateral_packet_enc(cw_enc *e, const cw_collateral_packet *c) CW_NONNULL(1, 2);
/** Decode packet data (the bytes a Packet carries).
 *  Returns: CW_OK; CW_EMALFORMED / CW_ETOOBIG / CW_ENONCANONICAL not a canonical 5-array of
 *  the layout above; CW_EINVAL unknown kind or zero amount. err names it ("collateral packet:
 *  …"); *c is zeroed on failure. Allocates only inside the call. */
int cw_collateral_packet_decode(cw_collateral_packet *c, const uint8_t *data, size_t len,
                                char *err, size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;

/* ---- the lending market ----------------------------------------------------------------- */

/** lend.supply, lend.borrow, lend.flash_loan: one amount of a market's borrowable asset.
 *  lend.flash_loan pays amount of the market's cash to the signer; the tx's end pulls
 *  amount + fee back from the signer, or the whole tx fails (causeway/lending.h). */
typedef struct cw_msg_lend_amount {
    char asset[CW_ID_MAX + 1]; /* the market: its borrowable asset */
    uint64_t amount;           /* base units of asset */
} cw_msg_lend_amount;
typedef cw_msg_lend_amount cw_msg_lend_supply;
typedef cw_msg_lend_amount cw_msg_lend_borrow;
typedef cw_msg_lend_amount cw_msg_lend_flash_loan;
CW_MSG_CODEC_DECLARE(lend_supply);
CW_MSG_CODEC_DECLARE(lend_borrow);
CW_MSG_CODEC_DECLARE(lend_flash_loan);

/** lend.withdraw_supply: an amount of the borrowable asset (burning the shares it is worth,
 *  rounded up), or all = true: every share the signer holds, paid at what they are worth
 *  (rounded down), all or nothing (amount must then be 0; the handler's rule). */
typedef struct cw_msg_lend_withdraw_supply {
    char asset[CW_ID_MAX + 1];
    uint64_t amount; /* base units; 0 with all */
    bool all;
} cw_msg_lend_withdraw_supply;
CW_MSG_CODEC_DECLARE(lend_withdraw_supply);

typedef struct cw_msg_lend_repay {
    char asset[CW_ID_MAX + 1];
    uint64_t amount;
    bool has_on_behalf_of;   /* false: the signer repays its own debt (nil on the wire) */
    cw_address on_behalf_of;
} cw_msg_lend_repay;
CW_MSG_CODEC_DECLARE(lend_repay);

typedef struct cw_msg_lend_liquidate {
    char asset[CW_ID_MAX + 1];               /* the debt market repaid */
    cw_address borrower;
    uint64_t repay_amount;
    char collateral[CW_TRACE_DENOM_LEN + 1]; /* trace denom to seize */
} cw_msg_lend_liquidate;
CW_MSG_CODEC_DECLARE(lend_liquidate);

typedef struct cw_msg_lend_register_collateral {
    char channel[CW_ID_MAX + 1];
    char base_denom[CW_ID_MAX + 1];
    uint32_t ltv_bps, liquidation_threshold_bps, liquidation_bonus_bps;
} cw_msg_lend_register_collateral;
CW_MSG_CODEC_DECLARE(lend_register_collateral);

/** lend.update_market: new rates (has_market) and/or new weights for registered collaterals. */
typedef struct cw_msg_lend_market_params {
    cw_u128 base_rate_wad, slope1_wad, kink_wad, slope2_wad; /* per second, wad */
    uint32_t close_factor_bps, reserve_factor_bps;
    uint64_t max_price_age_ns;
    uint64_t liquidation_grace_ns; /* ns; 0 = no grace after a price resumes */
    uint64_t dust_threshold;       /* base units of the borrowable asset; 0 = none */
    uint64_t supply_cap;           /* base units; 0 = no cap (DESIGN §8) */
    uint64_t borrow_cap;           /* base units; 0 = no cap */
    uint32_t flash_fee_bps;        /* lend.flash_loan's fee, < 10000 (decoder's bound) */
} cw_msg_lend_market_params;
typedef struct cw_msg_lend_collateral_update {
    char denom[CW_TRACE_DENOM_LEN + 1]; /* trace denom */
    uint32_t ltv_bps, liquidation_threshold_bps, liquidation_bonus_bps;
} cw_msg_lend_collateral_update;
typedef struct cw_msg_lend_update_market {
    char asset[CW_ID_MAX + 1]; /* the market whose params change (collaterals are global) */
    bool has_market; /* false: nil on the wire, rates unchanged */
    cw_msg_lend_market_params market;
    uint32_t n_collaterals; /* ≤ CW_LEND_MAX_COLLATERALS */
    cw_msg_lend_collateral_update collaterals[CW_LEND_MAX_COLLATERALS];
} cw_msg_lend_update_market;
CW_MSG_CODEC_DECLARE(lend_update_market);

/** lend.pause: pause (paused = true) or resume the actions in the bitmask, leaving the
 *  others as they are. The decoder takes any u64; the handler refuses 0 and unknown bits. */
typedef struct cw_msg_lend_pause {
    char asset[CW_ID_MAX + 1];
    uint64_t actions; /* CW_LEND_ACTION_* bits */
    bool paused;
} cw_msg_lend_pause;
CW_MSG_CODEC_DECLARE(lend_pause);

/** lend.withdraw_reserves (admin): pay amount of the reserves, out of the pool's cash, to a
 *  treasury address. */
typedef struct cw_msg_lend_withdraw_reserves {
    char asset[CW_ID_MAX + 1];
    cw_address to;
    uint64_t amount; /* base units of the borrowable asset */
} cw_msg_lend_withdraw_reserves;
CW_MSG_CODEC_DECLARE(lend_withdraw_reserves);

typedef struct cw_msg_oracle_set_price {
    char denom[CW_TRACE_DENOM_LEN + 1]; /* trace denom, or a market's asset (identifier) */
    cw_u128 price_wad;
    uint64_t time_ns;
} cw_msg_oracle_set_price;
CW_MSG_CODEC_DECLARE(oracle_set_price);

/* ---- every app msg's codec, for code that handles any msg by its type string ---------- */


/** The app msgs' table: one row per CW_MSG_* constant above, in that order (enc writes the
 *  whole Msg, dec reads a body, as cw_msg_X_enc / _dec; m points to a cw_msg_X of `size`
 *  bytes). For the fuzz target that drives every decoder (tests/fuzz/fuzz_msgs.c, next to
 *  cw_msg_codecs_ibc) and for tools. Returns static storage (never NULL) and its row count in
 *  *n. Thread-safe. */
const cw_msg_codec *cw_msg_codecs_app(size_t *n) CW_NONNULL(1);

#endif
