/* Causeway — the app state keys, in their one definition (DESIGN §5 "State", §8).
 *
 * Every key an app module writes and a client proves or reads (`causeway query`, `causeway
 * audit`, the tests) is built here, so the chain and its clients cannot drift apart: a key
 * that drifted would still get a *valid non-membership proof* and the figure would read 0.
 *
 *   bank/balances/{addr hex}/{denom}               be64   cw_key_bank_balance
 *   bank/supply/{denom}                            be64   cw_key_bank_supply
 *   acct/{addr hex}                                [nonce, pubkey]   cw_key_account
 *   collateral/escrow/{channel}/{denom}            be64   cw_key_collateral_escrow   (A)
 *   collateral/total/{channel}/{base_denom}        [u64]  cw_key_collateral_total    (B)
 *   collateral/inflight/{channel}/{base_denom}     [u64]  cw_key_collateral_inflight (B)
 *   collateral/positions/{addr hex}/{trace denom}  [u64]  cw_key_collateral_position (B)
 *   collateral/releasing/{addr hex}/{trace denom}  [u64]  cw_key_collateral_releasing (B)
 *   collateral/pending/{channel}/{kind}/{denom}    [u64, u64]  cw_key_collateral_pending
 *                                          (the packet's source: A deposits, B releases)
 *   market/markets, market/collaterals                     CW_KEY_LEND_*    (B)
 *   market/{asset}/params, market/{asset}/state, market/{asset}/stats
 *                                                          cw_key_lend_params/_state/_stats
 *   market/{asset}/flash                                   cw_key_lend_flash (within a tx)
 *   market/{asset}/debt/{addr hex}, market/{asset}/shares/{addr hex}
 *                                                          cw_key_lend_debt / _shares
 *   market/collateral/{trace denom}                        cw_key_lend_collateral
 *   oracle/price/{denom}                                   cw_key_oracle_price
 * ({asset} is a market's borrowable asset, an identifier: one market per asset.)
 *   transfer/denomTraces/{64 upper hex}   full denom path (text)  cw_key_ics20_denom_trace
 *   transfer/traceCount                   be64                    CW_KEY_ICS20_TRACE_COUNT
 *   transfer/traceIndex/{n}               voucher "ibc/…" (text)  cw_key_ics20_trace_index
 *   transfer/pending/{channel}/{64 upper hex}  [u64, u64]         cw_key_ics20_pending
 *                                          (the packet's source: transfers sent on channel)
 * A bank {denom} is an identifier or a voucher ("ibc/" + 64 upper-case hex, an ICS-20 denom
 * trace's hash, causeway/ics20.h); the two never build the same key.
 *   market/borrowers/{addr hex}                    [u64]  cw_key_lend_borrower (index)
 *   market/borrower_count                          [u64]  CW_KEY_LEND_BORROWER_COUNT
 * (value layouts: causeway/bank.h, causeway/collateral.h, causeway/lending.h).
 * {addr hex} is the 40-character lower-case hex of a 20-byte address. {channel}, {denom}
 * and {base_denom} are identifiers (cw_id_validate: no '/'), so no two distinct argument
 * lists build the same key; a trace denom is "ibc/" + 64 upper-case hex digits.
 *
 * Every builder writes a NUL-terminated key of at most CW_KEY_MAX - 1 bytes into a caller
 * buffer of CW_KEY_MAX bytes and validates its identifiers first.
 * Returns (every builder): CW_OK; CW_EINVAL an identifier or trace denom is malformed
 * (out = "" then). Memory: allocates nothing, keeps no pointers. Thread-safe.
 */
#ifndef CAUSEWAY_KEYS_H
#define CAUSEWAY_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "causeway/codec.h"
#include "causeway/hex.h"
#include "causeway/schnorr.h"

/** Size of a key buffer: the longest key (collateral/pending/{64}/release/{64}, 156 bytes)
 *  + NUL, rounded up. */
#define CW_KEY_MAX 160

/** A trace denom: "ibc/" + 64 upper-case hex digits (68 bytes, no NUL). */
#define CW_TRACE_DENOM_LEN 68

/** The port of the collateral app; part of every trace denom. */
#define CW_TRACE_PORT "collateral"

/* The lending markets' singleton records (no arguments to validate): the list of markets
 * (their assets, in genesis order: the first is the price unit) and of registered
 * collaterals (causeway/lending.h). */
#define CW_KEY_LEND_MARKETS "market/markets"
#define CW_KEY_LEND_COLLATERALS "market/collaterals"
/** market/borrower_count: [u64] how many borrower-index entries (market/borrowers/...) exist;
 *  written with them, so a client that pages the index can prove it saw all of them. */
#define CW_KEY_LEND_BORROWER_COUNT "market/borrower_count"
/** The prefix of the borrower index's keys (cw_key_lend_borrower). */
#define CW_KEY_LEND_BORROWERS_PREFIX "market/borrowers/"

/** out = "ibc/" + upper-case HEX(SHA256("collateral/{channel}/{base_denom}")): the denom under
 *  which chain B keeps positions of base_denom deposited through its channel (ICS-20 style,
 *  B's own port and channel).
 *  Returns: CW_OK; CW_EINVAL channel or base_denom not an identifier (out = "").
 *  Thread-safe. Source: ICS-20 denom trace hash. */
int cw_trace_denom(char out[static CW_TRACE_DENOM_LEN + 1], const char *channel,
                   const char *base_denom) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** True iff s[0..len) is a well-formed trace denom ("ibc/" + 64 upper-case hex). s may be
 *  NULL when len is 0 (msgpack-c's pointer for an empty str). Pure. */
bool cw_trace_denom_valid(const char *s, size_t len);

/** True iff denom (NUL-terminated) may hold a bank balance: an identifier or a trace denom
 *  ("ibc/" + 64 upper-case hex: ICS-20 vouchers). Pure. */
bool cw_bank_denom_valid(const char *denom) CW_NONNULL(1);

/* ---- bank (denom: cw_bank_denom_valid) ---- */
int cw_key_bank_balance(char out[static CW_KEY_MAX], const cw_address *addr, const char *denom)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
int cw_key_bank_supply(char out[static CW_KEY_MAX], const char *denom)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** acct/{addr hex}: an account's [next_nonce, pubkey]. Never fails (no identifiers). */
void cw_key_account(char out[static CW_KEY_MAX], const cw_address *addr) CW_NONNULL(1, 2);

/* ---- the collateral app ---- */
int cw_key_collateral_escrow(char out[static CW_KEY_MAX], const char *channel,
                             const char *denom) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
int cw_key_collateral_total(char out[static CW_KEY_MAX], const char *channel,
                            const char *base_denom) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
int cw_key_collateral_inflight(char out[static CW_KEY_MAX], const char *channel,
                               const char *base_denom) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
/** collateral/pending/{channel}/{kind}/{denom}, kind "deposit" (release false) or "release"
 *  (release true): on the chain that sent them, the collateral packets of that kind and base
 *  denom sent on channel whose commitment is still outstanding (sent, neither acknowledged
 *  nor timed out), as the record [count, Σ amount] ([u64, u64], cw_val_u64_pair_*; absent =
 *  none). Written in the same tx as the commitment it counts (send; ack or timeout), so the
 *  audit can prove that the outstanding commitments a node enumerated are all of them
 *  (DESIGN §8 "Audit"). */
int cw_key_collateral_pending(char out[static CW_KEY_MAX], const char *channel, bool release,
                              const char *denom) CW_NONNULL(1, 2, 4) CW_WARN_UNUSED;
/** trace_denom: NUL-terminated trace denom (cw_trace_denom). */
int cw_key_collateral_position(char out[static CW_KEY_MAX], const cw_address *holder,
                               const char *trace_denom) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
/** collateral/releasing/{addr hex}/{trace denom}: the holder's releases debited on B and not
 *  yet acknowledged or timed out (the per-holder part of collateral/inflight; the lending
 *  market counts it as collateral left before a write-off, DESIGN §8). */
int cw_key_collateral_releasing(char out[static CW_KEY_MAX], const cw_address *holder,
                                const char *trace_denom) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/* ---- the lending market ---- */
int cw_key_lend_collateral(char out[static CW_KEY_MAX], const char *trace_denom)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** The records of the market whose borrowable asset is `asset` (an identifier, e.g.
 *  "uusd"): market/{asset}/params, /state, /stats (layouts in causeway/lending.h), and
 *  market/{asset}/flash, the flash loans of the running tx, [amount, fee] ([u64, u64]),
 *  written by lend.flash_loan and always deleted by the end of the tx (never committed).
 *  Returns: CW_OK; CW_EINVAL asset not an identifier. */
int cw_key_lend_params(char out[static CW_KEY_MAX], const char *asset)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;
int cw_key_lend_state(char out[static CW_KEY_MAX], const char *asset)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;
int cw_key_lend_stats(char out[static CW_KEY_MAX], const char *asset)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;
int cw_key_lend_flash(char out[static CW_KEY_MAX], const char *asset)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** market/{asset}/debt/{addr hex} (scaled debt, [u128]) and market/{asset}/shares/{addr
 *  hex} (supplier shares, [u128]) of addr in the market of asset.
 *  Returns: CW_OK; CW_EINVAL asset not an identifier. */
int cw_key_lend_debt(char out[static CW_KEY_MAX], const char *asset, const cw_address *addr)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
int cw_key_lend_shares(char out[static CW_KEY_MAX], const char *asset, const cw_address *addr)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
/** True iff s[0..len) is a denom the oracle prices: a trace denom (collateral), or an
 *  identifier not starting "ibc/" (a market's borrowable asset). Pure. */
bool cw_price_denom_valid(const char *s, size_t len);
/** oracle/price/{denom}: denom as cw_price_denom_valid. Returns: CW_OK; CW_EINVAL. */
int cw_key_oracle_price(char out[static CW_KEY_MAX], const char *denom)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** market/borrowers/{addr hex}: the borrower index (DESIGN §8 "Borrower index"), value
 *  [count(u64)] = the number of markets in which addr has debt (scaled debt > 0); present
 *  exactly while that is > 0. Written only where an account's debt is written. Never fails. */
void cw_key_lend_borrower(char out[static CW_KEY_MAX], const cw_address *addr) CW_NONNULL(1, 2);
/** The address of a borrower-index key (key[0..len), not NUL-terminated): true with *out when
 *  the key is exactly CW_KEY_LEND_BORROWERS_PREFIX + 40 lower-case hex digits, else false
 *  (*out zeroed). Pure. */
bool cw_key_lend_borrower_parse(cw_address *out, const uint8_t *key, size_t len)
    CW_NONNULL(1);

/* ---- the ICS-20 transfer app (causeway/ics20.h) ---- */
/** How many denom traces this chain has created (be64; absent = 0). */
#define CW_KEY_ICS20_TRACE_COUNT "transfer/traceCount"
/** transfer/denomTraces/{HASH}: the full denom path whose SHA-256 is HASH, for the voucher
 *  ibc_denom = "ibc/{HASH}" (a trace denom). Value: the path's bytes, cw_val_denom_trace_dec. */
int cw_key_ics20_denom_trace(char out[static CW_KEY_MAX], const char *ibc_denom)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** transfer/traceIndex/{n}: the n-th (from 0) voucher denom created here, as text — so the
 *  traces can be listed (the state tree's keys are hashed, not enumerable). Never fails. */
void cw_key_ics20_trace_index(char out[static CW_KEY_MAX], uint64_t n) CW_NONNULL(1);
/** Read a denom trace value for ibc_denom into out (NUL-terminated full path): 1..
 *  CW_ICS20_DENOM_MAX (512) bytes whose SHA-256 is ibc_denom's hash, so a client can check
 *  what a node served against the name it asked for.
 *  Returns: CW_OK; CW_ENOTFOUND val NULL (no such trace); CW_EMALFORMED otherwise. */
int cw_val_denom_trace_dec(char out[static 513], const char *ibc_denom, const uint8_t *val,
                           size_t len, char *err, size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** transfer/pending/{channel}/{HASH}: on the chain that sent them, the ICS-20 packets sent on
 *  channel whose packet data's denom (the full path, e.g. "stake" or "transfer/channel-0/
 *  stake") hashes to HASH (upper-case hex SHA-256, as in a voucher's name) and whose
 *  commitment is still outstanding (sent, neither acknowledged nor timed out), as the record
 *  [count, Σ amount] ([u64, u64], cw_val_u64_pair_*; absent = none). Written in the same tx
 *  as the commitment it counts, like collateral/pending, so the audit can prove that the
 *  outstanding transfers a node enumerated are all of them (DESIGN §8 "Audit").
 *  full_path: NUL-terminated, 1..CW_ICS20_DENOM_MAX bytes (not validated beyond that).
 *  Returns: CW_OK; CW_EINVAL channel not an identifier or full_path empty or too long. */
int cw_key_ics20_pending(char out[static CW_KEY_MAX], const char *channel,
                         const char *full_path) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/* ---- the values under those keys -------------------------------------------------------
 * The two layouts of the amounts above, in their one definition (the chain modules write
 * them with the encoders, every client reads them with the decoders):
 *   be64       8-byte big-endian u64: bank balances and supply, collateral escrow (and the
 *              host's nextSequence* counters, causeway/packet.h)
 *   [u64]      a one-field record: collateral positions, releasing, total, in-flight
 *   [u64, u64] a two-field record: collateral pending [count, amount]
 *   [u128]     a one-field record, the u128 a 16-byte bin: market/{asset}/debt/...,
 *              market/{asset}/shares/...
 *   [u64]      also: market/borrowers/{addr}, market/borrower_count
 * An absent key reads as 0 and a writer deletes the key instead of storing 0, so a decoder
 * given val = NULL (the key is absent: a non-membership proof, a query without a value)
 * returns 0. Decoders: *out = 0 on failure. Pure; thread-safe; allocate only a decoder zone
 * for the call. */

/** Write v as a be64 value. */
void cw_val_be64_enc(uint8_t out[static 8], uint64_t v) CW_NONNULL(1);
/** Read a be64 value (val NULL: absent, 0).
 *  Returns: CW_OK; CW_EMALFORMED len ≠ 8 (err names it). */
int cw_val_be64_dec(uint64_t *out, const uint8_t *val, size_t len, char *err, size_t err_len)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** Append the record [v] (sticky e->rc). */
void cw_val_u64_rec_enc(cw_enc *e, uint64_t v) CW_NONNULL(1);
/** Read a [u64] record (val NULL: absent, 0).
 *  Returns: CW_OK; CW_EMALFORMED / CW_ENONCANONICAL / CW_ETOOBIG not a canonical [u64]
 *  (err names it). */
int cw_val_u64_rec_dec(uint64_t *out, const uint8_t *val, size_t len, char *err,
                       size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;

/** Append the record [a, b] (sticky e->rc). */
void cw_val_u64_pair_enc(cw_enc *e, uint64_t a, uint64_t b) CW_NONNULL(1);
/** Read a [u64, u64] record into *a, *b (val NULL: absent, both 0; both 0 on failure).
 *  Returns: CW_OK; CW_EMALFORMED / CW_ENONCANONICAL / CW_ETOOBIG not a canonical [u64, u64]
 *  (err names it). */
int cw_val_u64_pair_dec(uint64_t *a, uint64_t *b, const uint8_t *val, size_t len, char *err,
                        size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Append the record [v] (v a 16-byte bin; sticky e->rc). */
void cw_val_u128_rec_enc(cw_enc *e, cw_u128 v) CW_NONNULL(1);
/** Read a [u128] record (val NULL: absent, 0). Returns: as cw_val_u64_rec_dec. */
int cw_val_u128_rec_dec(cw_u128 *out, const uint8_t *val, size_t len, char *err,
                        size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;

/** A registered collateral's record, market/collateral/{trace denom}:
 *  [channel(str), base_denom(str), ltv_bps, lt_bps, bonus_bps] (the lending market writes it,
 *  lend.register_collateral / lend.update_market; the audit reads it). */
typedef struct cw_val_collateral {
    char channel[CW_ID_MAX + 1];    /* the lending chain's channel on port collateral */
    char base_denom[CW_ID_MAX + 1]; /* the denom on the collateral's home chain */
    uint32_t ltv_bps;               /* ≤ 10000 */
    uint32_t lt_bps;                /* liquidation threshold, ≤ 10000 */
    uint32_t bonus_bps;             /* liquidation bonus */
} cw_val_collateral;
/** Append c's record (sticky e->rc). */
void cw_val_collateral_enc(cw_enc *e, const cw_val_collateral *c) CW_NONNULL(1, 2);
/** Read a collateral record. val NULL (absent) is CW_ENOTFOUND.
 *  Returns: CW_OK; CW_ENOTFOUND; CW_EMALFORMED / CW_ENONCANONICAL / CW_ETOOBIG not a
 *  canonical record with identifiers and bps ≤ 10000 (err names it). *out zeroed first. */
int cw_val_collateral_dec(cw_val_collateral *out, const uint8_t *val, size_t len, char *err,
                          size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;

/** market/collaterals: the registered collaterals' trace denoms in registration order,
 *  [trace_denom(str), ...]. Append traces[0..n) (each a NUL-terminated trace denom; sticky
 *  e->rc). */
void cw_val_trace_list_enc(cw_enc *e, const char *const *traces, size_t n) CW_NONNULL(1);
/** Read market/collaterals into out[0..*n), at most max entries (val NULL: absent, *n = 0).
 *  Returns: CW_OK; CW_ETOOBIG more than max; CW_EMALFORMED / CW_ENONCANONICAL an entry not
 *  a trace denom or not a canonical list (err names it; *n = 0). */
int cw_val_trace_list_dec(char (*out)[CW_TRACE_DENOM_LEN + 1], size_t max, size_t *n,
                          const uint8_t *val, size_t len, char *err, size_t err_len)
    CW_NONNULL(3) CW_WARN_UNUSED;

#endif
