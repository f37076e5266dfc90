/* Causeway — the lending market on chain B and the collateral positions it owns
 * (DESIGN §8). A pure state machine over a cw_kv: no clock, no globals, no I/O.
 *
 * Several markets (up to CW_LEND_MAX_MARKETS), one per borrowable asset native to B
 * (params.borrow_denom, e.g. "uusd", "ueur"), each with its own rate model, reserve factor,
 * caps, flash fee, cash, borrow index, supplier shares, reserves and paused actions; any
 * number (up to CW_LEND_MAX_COLLATERALS) of registered collateral denoms shared by every
 * market, each a position that the collateral app credits when a CollateralDeposit packet is
 * received and debits before a CollateralRelease packet is sent. A borrower's health sums
 * its collateral over every position and its debt over every market, in one price unit:
 * base units of the FIRST market's asset (genesis order), whose price is exactly 1; every
 * other asset, and every collateral, is priced by the oracle in that unit. Tokens move
 * through the bank; the pool is the module account cw_module_address("lend/pool"), holding
 * every market's asset.
 *
 * Numbers (DESIGN §4): amounts are u64 base units; prices, indexes and per-second rates are
 * u128 wad (1e18 = 1.0); ratios are basis points (10000 = 100%); times are u64 ns since the
 * Unix epoch. Every product goes through cw_muldiv_* with the rounding stated; overflow is
 * CW_EOVERFLOW, never a wrap; no floating point anywhere.
 *
 * Design (Compound v2 / Aave v2 where named):
 *  - Debt: per-account SCALED debt s (u128, base units at index 1.0), as Aave v2's variable
 *    debt token: debt = ceil(s × borrow_index / WAD). Borrowing a adds ceil(a × WAD / index),
 *    repaying r removes floor(r × WAD / index) (all of s when r covers the debt). The
 *    market's total borrows are floor(Σs × index / WAD), so the aggregate never exceeds what
 *    borrowers owe.
 *  - Suppliers: SHARES, as Compound v2's cTokens. exchange value of all shares =
 *    cash + total_borrows − reserves. Supplying a mints floor(a × shares / value) (a 1:1 when
 *    no shares exist); withdrawing a burns ceil(a × shares / value). cash is tracked in state,
 *    not read from the bank, so a donation to the pool cannot move the exchange rate (the
 *    cToken first-depositor inflation attack).
 *  - Interest (Compound v2 JumpRateModel, per second): utilization
 *    u = ceil(borrows × WAD / (cash + borrows − reserves)) capped at WAD; rate = base +
 *    ceil(min(u, kink) × slope1 / WAD) + ceil(max(u − kink, 0) × slope2 / WAD) per second;
 *    over dt_ns nanoseconds since the last accrual the index grows by
 *    ceil(index × rate × dt_ns / (WAD × 1e9)) (simple interest between accruals, pro rata to
 *    the nanosecond, compounding at each accrual); interest = new total borrows − old;
 *    reserves += floor(interest × reserve_factor_bps / 10000). Accrual happens, in memory,
 *    before every action that reads debt, and is stored with the action's other writes.
 *  - Debt value: Σ over markets of ceil(debt × asset price / WAD) (the price unit's asset
 *    at exactly WAD); Borrow, WithdrawCollateral and Liquidate need a fresh price for every
 *    asset the account owes (CW_ESTALE otherwise), and Borrow one not in its grace period
 *    for the asset borrowed.
 *  - Values: value of a position = pos × price / WAD; the borrow limit is
 *    Σ floor(pos × ltv_bps × price / (WAD × 10000)) over collateral with a FRESH price not
 *    in its grace period (liquidation_grace_ns after it resumed from stale); the
 *    liquidation limit likewise with liquidation_threshold_bps. Stale or missing prices
 *    count 0 there. A position is liquidatable when liquidation limit < debt value (health
 *    factor < 1), unless it holds a denom (worth ≥ 1 unit at its last price) whose price is
 *    stale, owes an asset whose price is stale, or holds a denom in its grace period at
 *    health ≥ 0.95 (lend.liquidate below).
 *  - Flash loans (Aave v3 flashLoanSimple): lend.flash_loan pays amount of a market's cash
 *    to the signer and arms an end-of-tx check (cw_exec_at_tx_end, causeway/module.h);
 *    after the tx's last msg the pool takes amount + ceil(amount × flash_fee_bps / 10000)
 *    back from the signer's balance — Aave's pull after executeOperation — or the whole tx
 *    fails and nothing of it stays. The fee goes to reserves (cash and reserves rise
 *    together). While the loan is out the market's cash is unchanged (total supply, the
 *    exchange rate and utilization too: a supply in between mints at the true rate), but
 *    borrows, withdrawals, reserve withdrawals and further flash loans see only cash − lent.
 *  - Rounding favours the protocol everywhere: debt, rates and index up; collateral value
 *    down; minted shares down, burned shares up; seize down; a capped liquidation's repay up.
 *
 * State (every value a canonical msgpack array; u128 as 16-byte big-endian bin; an absent
 * key reads as zero/empty; a record that reaches zero is deleted; {asset} a market's asset):
 *   market/markets                [asset(str), ...] in genesis order (the first: price unit)
 *   market/{asset}/params         [borrow_denom(str), base_rate_wad, slope1_wad, kink_wad,
 *                                  slope2_wad (bin16 each), close_factor_bps,
 *                                  reserve_factor_bps, max_price_age_ns, admin(bin32),
 *                                  oracle(bin32), liquidation_grace_ns, dust_threshold,
 *                                  supply_cap, borrow_cap, flash_fee_bps]  (12- and 14-field
 *                                  records, from before the caps and the flash fee, read
 *                                  as 0 there). admin, oracle, max_price_age_ns and
 *                                  liquidation_grace_ns are chain-wide: equal in every
 *                                  market (genesis checks; update_market writes them to all)
 *   market/{asset}/state          [borrow_index_wad, total_scaled_debt(bin16), cash(u64),
 *                                  reserves, total_shares (bin16), last_accrual_ns(u64),
 *                                  paused_actions(u64 CW_LEND_ACTION_* bits)]  (a bool there,
 *                                  from before per-action pauses, reads true = borrow)
 *   market/{asset}/stats          [supplied, withdrawn, interest, reserve_interest, bad_debt,
 *                                  bad_debt_from_reserves, bad_debt_socialized, flash_fees]
 *                                  (bin16 each, cumulative since genesis, base units; a
 *                                  7-field record reads flash_fees 0)
 *   market/{asset}/flash          [amount(u64), fee(u64)] flash loans of the running tx;
 *                                  never committed (the tx's end deletes it or fails)
 *   market/collaterals            [trace_denom(str), ...] in registration order
 *   market/collateral/{trace}     [channel(str), base_denom(str), ltv_bps, lt_bps, bonus_bps]
 *   market/{asset}/debt/{addr hex}    [scaled_debt(bin16)]
 *   market/{asset}/shares/{addr hex}  [shares(bin16)]
 *   market/borrowers/{addr hex}   [markets(u64)] the borrower index: in how many markets the
 *                                 account has debt; present exactly while > 0 (written with
 *                                 the debt in any market, DESIGN §8 "Borrower index")
 *   market/borrower_count         [u64] how many market/borrowers keys exist
 *   oracle/price/{denom}          [price_wad(bin16), time_ns(u64), live_since_ns(u64)] for a
 *                                 trace denom or a market's asset (not the price unit's)
 *                                 live_since: block time the price last resumed from stale
 *                                 (its grace period starts there); 0 = never stale
 *   collateral/positions/{addr hex}/{trace}   [amount(u64)]
 *   collateral/total/{channel}/{base_denom}   [amount(u64)]  Σ positions (proven, audit)
 *   collateral/inflight/{channel}/{base_denom} [amount(u64)] releases debited, not settled
 *   collateral/releasing/{addr hex}/{trace}    [amount(u64)] the holder's part of in-flight
 * {addr hex} is the 40-char lower-case hex of a 20-byte address; {trace} is a trace denom.
 * Every key is built by causeway/keys.h (cw_key_collateral_*, cw_key_lend_*, CW_KEY_LEND_*).
 *
 * Thread safety: as the cw_kv passed in (one thread at a time). Memory: no function keeps a
 * pointer past its return; per-call allocations are freed before returning.
 */
#ifndef CAUSEWAY_LENDING_H
#define CAUSEWAY_LENDING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/app_msgs.h"
#include "causeway/hex.h"
#include "causeway/keys.h"
#include "causeway/kv.h"
#include "causeway/mathx.h"
#include "causeway/module.h"
#include "causeway/rpc_results.h"
#include "causeway/schnorr.h"

/** Port of the collateral app on B; part of every trace denom. */
#define CW_LEND_PORT CW_TRACE_PORT
/** Name of the pool's module account (cw_module_address). */
#define CW_LEND_POOL_ACCOUNT "lend/pool"
/* CW_LEND_MAX_COLLATERALS (registered collateral denoms at most; bounds the work of every
 * health check) is defined with the msgs, in causeway/app_msgs.h. */
/** A trace denom: "ibc/" + 64 upper-case hex digits. */
#define CW_LEND_TRACE_DENOM_LEN CW_TRACE_DENOM_LEN
/** Upper bound on base_rate + slope1 + slope2 (per-second wad): 7e-9 per second, about
 *  22% a year. Since the index grows at most by e^(rate × t), it stays below 2^128 (starting
 *  at 1 WAD: e^(7e-9 × t) < 3.4e20 ⇔ t < 6.75e9 s) for at least 214 years at 100%
 *  utilization without a single repayment. */
#define CW_LEND_MAX_RATE_WAD ((cw_u128)7000000000ULL)
/** Upper bound on an oracle price: 1e36 wad (1e18 base units of the borrowable asset per
 *  base unit of collateral), so a u64 position's value always fits in a u128. */
#define CW_LEND_MAX_PRICE_WAD ((cw_u128)CW_WAD * CW_WAD)
/** Health factor below which one liquidation may repay the whole debt, and below which a
 *  liquidation may go ahead during a price's grace period: 0.95 (Aave v3
 *  CLOSE_FACTOR_HF_THRESHOLD / MINIMUM_HEALTH_FACTOR_LIQUIDATION_THRESHOLD). */
#define CW_LEND_FULL_CLOSE_HF_WAD ((cw_u128)CW_WAD / 100 * 95)
/* CW_LEND_MAX_MARKETS (markets, i.e. borrowable assets, on one chain at most) is defined
 * with the msgs, in causeway/app_msgs.h. */
/** Seconds in the year of an APR (365 days): APR = per-second rate × this, not compounded. */
#define CW_LEND_SECONDS_PER_YEAR 31536000u

/** One market's parameters (genesis, lend.update_market). */
typedef struct cw_lend_params {
    char borrow_denom[CW_ID_MAX + 1]; /* the market's borrowable asset, native to B; identifier */
    cw_u128 base_rate_wad;            /* per-second borrow rate at 0% utilization, wad */
    cw_u128 slope1_wad;               /* per-second rate added from 0 to kink utilization */
    cw_u128 kink_wad;                 /* utilization where slope2 starts, wad, (0, WAD] */
    cw_u128 slope2_wad;               /* per-second rate added from kink to 100% */
    uint32_t close_factor_bps;        /* max share of a debt one liquidation repays, (0,10000] */
    uint32_t reserve_factor_bps;      /* share of interest to reserves, [0, 10000) */
    uint64_t max_price_age_ns;        /* a price older than this (vs block time) is stale, > 0 */
    cw_pubkey32 admin;                /* signs register_collateral/update_market/pause */
    cw_pubkey32 oracle;               /* signs oracle.set_price */
    uint64_t liquidation_grace_ns;    /* after a denom's price resumes from stale, no
                                       * liquidation of a holder of it above health 0.95 for
                                       * this long (Aave v3 PriceOracleSentinel grace); 0 = none */
    uint64_t dust_threshold;          /* base units of the borrowable asset: a debt, or a
                                       * position in the seized denom, that a close-factor
                                       * liquidation would leave below this may be closed in
                                       * full (Aave v3.3's dust rule); 0 = only the intrinsic
                                       * rule (see lend.liquidate) */
    uint64_t supply_cap;              /* base units: no lend.supply may take total supply
                                       * (cash + borrows − reserves) above it; 0 = no cap */
    uint64_t borrow_cap;              /* base units: no lend.borrow may take total borrows
                                       * above it; 0 = no cap (Aave v3 caps) */
    uint32_t flash_fee_bps;           /* lend.flash_loan's fee, to reserves, < 10000 */
} cw_lend_params;

/** A registered collateral (lend.register_collateral, lend.update_market). */
typedef struct cw_lend_collateral {
    char channel[CW_ID_MAX + 1];                     /* B's channel id on port collateral */
    char base_denom[CW_ID_MAX + 1];                  /* denom on chain A */
    char trace_denom[CW_LEND_TRACE_DENOM_LEN + 1];   /* ibc/HEX(SHA256(port/channel/base)) */
    uint32_t ltv_bps;                                /* borrow limit weight */
    uint32_t liquidation_threshold_bps;              /* health factor weight */
    uint32_t liquidation_bonus_bps;                  /* liquidator's bonus on the seize */
} cw_lend_collateral;

/** The market's books (market/state + market/stats), all in base units unless named. */
typedef struct cw_lend_market {
    cw_u128 borrow_index_wad;   /* starts at WAD, only grows */
    cw_u128 total_scaled_debt;  /* Σ scaled debt of all accounts */
    cw_u128 total_borrows;      /* derived: floor(total_scaled_debt × index / WAD) */
    uint64_t cash;              /* borrowable asset held by the pool for the market */
    cw_u128 reserves;           /* the protocol's share of cash + borrows */
    cw_u128 total_shares;       /* suppliers' shares */
    uint64_t last_accrual_ns;   /* block time of the last accrual; 0 before the first */
    uint64_t paused_actions;    /* CW_LEND_ACTION_* bits the admin paused (app_msgs.h) */
    /* cumulative since genesis */
    cw_u128 supplied, withdrawn;           /* by suppliers */
    cw_u128 interest, reserve_interest;    /* all interest accrued; its reserve part */
    cw_u128 bad_debt;                      /* borrows written off (liquidation exhausted) */
    cw_u128 bad_debt_from_reserves;        /* part absorbed by reserves */
    cw_u128 bad_debt_socialized;           /* part borne by suppliers (exchange rate fell) */
    cw_u128 flash_fees;                    /* flash loan fees paid (all to reserves) */
    /* derived by cw_lend_market_read from the one rate model (zero elsewhere) */
    cw_u128 total_supply;       /* cash + borrows − reserves (0 if reserves exceed it) */
    cw_u128 utilization_wad;    /* borrows / total supply, rounded up, capped at WAD */
    cw_u128 borrow_rate_wad;    /* per second, wad, at that utilization */
    cw_u128 borrow_apr_wad;     /* borrow_rate × CW_LEND_SECONDS_PER_YEAR (1e18 = 100%) */
    cw_u128 supply_apr_wad;     /* floor(floor(borrow_apr × utilization / WAD) × (10000 −
                                 * reserve_factor_bps) / 10000) (Compound v2 supply rate) */
} cw_lend_market;

/** One account in one market (cw_lend_account_info.markets). Base units of the asset. */
typedef struct cw_lend_account_market {
    char asset[CW_ID_MAX + 1];  /* the market's borrowable asset */
    cw_u128 debt;               /* ceil(scaled × index / WAD) */
    cw_u128 scaled_debt;
    cw_u128 shares;
    cw_u128 supply_value;       /* floor(shares × (cash + borrows − reserves) / total_shares) */
} cw_lend_account_market;

/** One account's standing over every market, computed at a given time (cw_lend_account).
 *  Values in the price unit (base units of the first market's asset). */
typedef struct cw_lend_account_info {
    cw_u128 debt_value;         /* Σ ceil(debt × asset price / WAD) over the markets */
    cw_u128 borrow_limit;       /* Σ fresh value × ltv (rounded down) */
    cw_u128 liquidation_limit;  /* Σ fresh value × liquidation threshold (rounded down) */
    cw_u128 health_factor_wad;  /* floor(liquidation_limit × WAD / debt_value); CW_U128_MAX
                                 * if no debt. < WAD ⇔ liquidatable */
    size_t n_markets;           /* every market, in genesis order */
    cw_lend_account_market markets[CW_LEND_MAX_MARKETS];
} cw_lend_account_info;

/* ---- parameters and genesis ------------------------------------------------------------ */

/** Check market parameters (DESIGN §8): borrow_denom an identifier other than "markets",
 *  "collateral", "collaterals" and "borrowers" (names under market/); 0 < close_factor ≤
 *  10000; reserve_factor < 10000; 0 < kink ≤ WAD; base + slope1 + slope2 ≤
 *  CW_LEND_MAX_RATE_WAD (checked without overflow); max_price_age_ns > 0; admin and oracle
 *  not all-zero; liquidation_grace_ns, dust_threshold, supply_cap and borrow_cap take any
 *  value (0 turns each off).
 *  Returns: CW_OK; CW_EINVAL naming the first rule broken in err. Pure, thread-safe. */
int cw_lend_params_validate(const cw_lend_params *p, char *err, size_t err_len)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** Check collateral parameters (DESIGN §8): ltv < liquidation_threshold < 10000 and
 *  liquidation_threshold × (10000 + bonus) < 10000 × 10000. A liquidation improves the health
 *  factor h exactly when h ≥ lt × (1 + bonus), so this guarantees it only for positions just
 *  below 1, not for every liquidation (DESIGN §8). All in bps.
 *  Returns: CW_OK; CW_EINVAL naming the rule in err. Pure, thread-safe. */
int cw_lend_collateral_params_validate(uint32_t ltv_bps, uint32_t liquidation_threshold_bps,
                                       uint32_t liquidation_bonus_bps, char *err,
                                       size_t err_len) CW_WARN_UNUSED;

/** Add the market of p->borrow_denom at genesis: params, borrow index = WAD, empty books,
 *  nothing paused, appended to market/markets (the first market added is the price unit).
 *  Returns: CW_OK; CW_EINVAL params invalid (err says which rule), or admin, oracle,
 *  max_price_age_ns or liquidation_grace_ns differ from the first market's (chain-wide);
 *  CW_EEXISTS a market for that asset is already there; CW_ETOOBIG CW_LEND_MAX_MARKETS
 *  markets already; a store error. Validates before writing. */
int cw_lend_genesis(const cw_kv *kv, const cw_lend_params *p, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Read the genesis "market" object strictly (unknown fields are errors):
 *    { "borrow_denom": "uusd",
 *      "base_rate_wad": "0", "slope1_wad": "1000000000", "kink_wad": "800000000000000000",
 *      "slope2_wad": "5000000000",            (decimal strings: u128 wad, per second)
 *      "close_factor_bps": 5000, "reserve_factor_bps": 1000,
 *      "max_price_age_ns": 60000000000,
 *      "liquidation_grace_ns": 300000000000,  (optional, default 0: no grace)
 *      "dust_threshold": 0,                    (optional, default 0)
 *      "supply_cap": 0, "borrow_cap": 0,       (optional, base units, default 0: no cap)
 *      "flash_fee_bps": 9,                     (optional, < 10000, default 0)
 *      "admin": "<64 hex>", "oracle": "<64 hex>" }   (optional: x-only public keys)
 *  admin/oracle may be left out when the genesis names them elsewhere: they are then zero
 *  and the caller must fill them in before cw_lend_genesis (which rejects zero keys).
 *  Then cw_lend_params_validate runs, except for the zero-key rule.
 *  Returns: CW_OK; CW_EINVAL with "file: market.field: problem (value)" in err.
 *  In: obj: the "market" JSON object (borrowed); file: for messages. Out: *p (zeroed first).
 */
int cw_lend_params_from_json(const json_t *obj, const char *file, cw_lend_params *p, char *err,
                             size_t err_len) CW_NONNULL(1, 3) CW_WARN_UNUSED;

/* ---- trace denoms and collateral lookup (the collateral app) --------------------------- */

/* Trace denoms (cw_trace_denom, cw_trace_denom_valid) and every state key above are built
 * in causeway/keys.h, the one definition the chain and its clients share. */

/** Find a registered collateral by (channel, base_denom).
 *  Returns: CW_OK with *out; CW_ENOTFOUND not registered (the app answers a deposit with an
 *  error ack); CW_EINVAL bad identifiers; CW_EMALFORMED corrupt record; a store error. */
int cw_lend_collateral_lookup(const cw_kv *kv, cw_lend_collateral *out, const char *channel,
                              const char *base_denom) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** Find a registered collateral by trace denom. Returns: as cw_lend_collateral_lookup. */
int cw_lend_collateral_by_trace(const cw_kv *kv, cw_lend_collateral *out,
                                const char *trace_denom) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/* ---- positions: what the collateral app calls ------------------------------------------ */

/** A CollateralDeposit was received (on_recv_packet): position(beneficiary) += amount and
 *  collateral/total += amount. Never gated on prices or health.
 *  Returns: CW_OK; CW_EINVAL amount 0 or bad identifiers; CW_ENOTFOUND (channel, base_denom)
 *  not registered; CW_EOVERFLOW position, or total + in-flight, would exceed 2^64-1 (so a
 *  failed release's re-credit can never overflow); a store error. err names it; nothing is
 *  written on failure. amount: base units of the collateral. */
int cw_lend_credit(const cw_kv *kv, const cw_address *beneficiary, const char *channel,
                   const char *base_denom, uint64_t amount, char *err, size_t err_len)
    CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** WithdrawCollateral, before the CollateralRelease packet is sent: accrue interest to
 *  now_ns (block time), then debit: position(holder) −= amount, total −= amount,
 *  in-flight += amount, releasing(holder) += amount — only if afterwards the borrow limit (fresh prices; stale count 0)
 *  still covers the holder's debt. A holder without debt needs no price.
 *  Returns: CW_OK; CW_EINVAL amount 0 or bad identifiers; CW_ESTATE withdraw_collateral
 *  paused by the admin (lend.pause); CW_ENOTFOUND not registered;
 *  CW_EINSUFFICIENT position < amount; CW_EUNHEALTHY borrow limit < debt afterwards;
 *  CW_ESTATE no market (genesis missing); CW_EOVERFLOW; a store error. Nothing is written on
 *  failure. Source: DESIGN §8 (Compound v2 redeemAllowed). */
int cw_lend_release_debit(const cw_kv *kv, uint64_t now_ns, const cw_address *holder,
                          const char *channel, const char *base_denom, uint64_t amount,
                          char *err, size_t err_len) CW_NONNULL(1, 3, 4, 5) CW_WARN_UNUSED;

/** A release was acknowledged (success = true: in-flight −= amount) or failed (error ack or
 *  timeout, success = false: in-flight −= amount and the holder's position and the total
 *  += amount); either way releasing(holder) −= amount (saturating at 0). UNCONDITIONAL: no price, health or pause gate; on state written by the
 *  functions above it cannot fail except for a store error.
 *  Returns: CW_OK; CW_EINVAL amount 0 or bad identifiers; CW_ESTATE in-flight < amount or a
 *  re-credit would overflow (state not produced by cw_lend_release_debit); a store error. */
int cw_lend_release_settle(const cw_kv *kv, const cw_address *holder, const char *channel,
                           const char *base_denom, uint64_t amount, bool success, char *err,
                           size_t err_len) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/* ---- readers (queries, the audit, tests) ----------------------------------------------- */

/** Position of holder in trace_denom (base units). Absent → 0.
 *  Returns: CW_OK; CW_EINVAL bad trace denom; CW_EMALFORMED corrupt; a store error. */
int cw_lend_position(const cw_kv *kv, uint64_t *out, const cw_address *holder,
                     const char *trace_denom) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** collateral/total and collateral/inflight of (channel, base_denom). Returns: as above. */
int cw_lend_total(const cw_kv *kv, uint64_t *out, const char *channel, const char *base_denom)
    CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;
int cw_lend_inflight(const cw_kv *kv, uint64_t *out, const char *channel,
                     const char *base_denom) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** Latest oracle price of trace_denom: *price_wad, *time_ns (0, 0 when none).
 *  Returns: CW_OK; CW_ENOTFOUND no price; CW_EINVAL bad denom; CW_EMALFORMED; store error. */
int cw_lend_price(const cw_kv *kv, cw_u128 *price_wad, uint64_t *time_ns,
                  const char *trace_denom) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;
/** cw_lend_price and *live_since_ns: the block time at which the price last resumed from
 *  stale (its grace period starts there), 0 when it never was stale since its first price.
 *  Returns: as cw_lend_price. */
int cw_lend_price_ex(const cw_kv *kv, cw_u128 *price_wad, uint64_t *time_ns,
                     uint64_t *live_since_ns, const char *trace_denom)
    CW_NONNULL(1, 2, 3, 4, 5) CW_WARN_UNUSED;

/** The markets' assets, in genesis order (the first is the price unit): *n of them (0 when
 *  the chain has no market) into assets[0..CW_LEND_MAX_MARKETS).
 *  Returns: CW_OK; CW_EMALFORMED corrupt list; a store error. */
int cw_lend_markets(const cw_kv *kv, char assets[][CW_ID_MAX + 1], size_t *n)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** The params and books of the market of asset (NULL: the first market, the price unit's),
 *  with interest accrued IN MEMORY to now_ns (nothing is written; now_ns = 0 or ≤ the last
 *  accrual: as stored), and the derived figures (total supply, utilization, rates, APRs)
 *  computed from those books by the rate model accrual uses. Either output may be NULL.
 *  Returns: CW_OK; CW_ESTATE no such market; CW_EOVERFLOW accrual overflows;
 *  CW_EMALFORMED. */
int cw_lend_market_read(const cw_kv *kv, const char *asset, uint64_t now_ns,
                        cw_lend_params *params, cw_lend_market *market)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** An account's debt, shares and limits in every market at now_ns (each accrued in memory,
 *  nothing written; now_ns 0: the latest accrual), its total debt value (each debt at its
 *  asset's latest price, stale or not) and health factor in the price unit.
 *  Returns: CW_OK; CW_ESTATE no market; CW_EOVERFLOW; CW_EMALFORMED; a store error. */
int cw_lend_account(const cw_kv *kv, uint64_t now_ns, cw_lend_account_info *out,
                    const cw_address *addr) CW_NONNULL(1, 3, 4) CW_WARN_UNUSED;

/** The keeper's view of a liquidation of borrower at now_ns (every market accrued in memory,
 *  nothing written), decided by the functions lend.liquidate uses (DESIGN §8 "Keeper"):
 *  *out as cw_rpc_lend_quote documents it — debt value over every market, health factor,
 *  refusal (0, or −CW_ESTATE no debt / healthy, −CW_ESTALE a stale price of a collateral
 *  held or an asset owed, or a grace period, with the line lend.liquidate would answer), and
 *  per market the borrower owes in × registered collateral the borrower holds: the asset,
 *  the debt in it and its price, position, latest price, bonus, freshness, and the most a
 *  liquidation repaying that asset and seizing that collateral may repay now (0 when that
 *  market's liquidation is paused or the asset's price is not fresh).
 *  Returns: CW_OK (a refusal is an answer, not an error); CW_ESTATE no market, or an account
 *  above its market's total; CW_EOVERFLOW accrual overflows; CW_EMALFORMED corrupt state; a
 *  store error. */
int cw_lend_liquidation_quote(const cw_kv *kv, uint64_t now_ns, const cw_address *borrower,
                              cw_rpc_lend_quote *out) CW_NONNULL(1, 3, 4) CW_WARN_UNUSED;

/* ---- msgs ------------------------------------------------------------------------------ */

/* Msg bodies (canonical msgpack arrays; signer = the tx signer), encoded and decoded by
 * causeway/app_msgs.h (cw_msg_lend_*, cw_msg_oracle_set_price). asset names the market (its
 * borrowable asset, an identifier); a market msg naming no market is CW_ESTATE/CW_ENOTFOUND:
 *   lend.supply            [asset, amount(u64)]                supply cap permitting
 *   lend.withdraw_supply   [asset, amount(u64), all(bool)]     liquidity permitting; all:
 *                                                              every share, all or nothing
 *   lend.borrow            [asset, amount(u64)]                borrow cap permitting
 *   lend.repay             [asset, amount(u64), on_behalf_of(bin 20) | nil]  capped at debt
 *   lend.liquidate         [asset, borrower(bin 20), repay_amount(u64),
 *                           collateral(trace denom str)]       repays asset's debt
 *   lend.flash_loan        [asset, amount(u64)]                repaid + fee at the tx's end
 *   lend.register_collateral [channel(str id), base_denom(str id), ltv_bps, lt_bps, bonus_bps]
 *   lend.update_market     [asset, market: nil | [base_rate, slope1, kink, slope2 (bin16
 *                                          wad), close_factor_bps, reserve_factor_bps,
 *                                          max_price_age_ns, liquidation_grace_ns,
 *                                          dust_threshold, supply_cap, borrow_cap,
 *                                          flash_fee_bps],
 *                           collaterals: [[trace_denom, ltv_bps, lt_bps, bonus_bps], ...]]
 *   lend.pause             [asset, actions(u64 CW_LEND_ACTION_* bits), paused(bool)]
 *   lend.withdraw_reserves [asset, to(bin 20), amount(u64)]    admin; ≤ reserves and cash
 *   oracle.set_price       [denom(trace denom | asset), price(bin16 wad), time_ns(u64)]
 * Rules beyond the table: lend.register_collateral needs the channel end
 * channelEnds/ports/collateral/channels/{channel} to exist and be OPEN (state 3), else
 * CW_ESTATE; oracle.set_price takes any well-formed trace denom (a price may precede the
 * registration) or the asset of a market other than the first (the price unit's price is 1:
 * CW_EINVAL; so is an identifier that is no market's asset). lend.liquidate (DESIGN §8):
 * eligible when health < 1 (Σ collateral × lt against Σ debt value) on fresh prices, every
 * asset the borrower owes has a fresh price (else CW_ESTALE), and no position of the
 * borrower worth ≥ 1 unit (at its last price) has a stale price (else CW_ESTALE) or, at
 * health ≥ CW_LEND_FULL_CLOSE_HF_WAD, a price within its grace period (CW_ESTALE); repays
 * (in asset) at most close_factor of the borrower's debt in that market, or all of it below
 * health 0.95, when a close-factor repay removes no scaled debt, or when it would leave that
 * debt or the seized position worth < dust_threshold (base units of asset); seizes
 * floor(repay × asset price × (1 + bonus) / collateral price); a seize capped by the
 * position takes all of it and cuts the repay (even below one unit of scaled debt).
 * Afterwards, when nothing worth ≥ 1 unit is left (positions and the borrower's releases in
 * flight, at latest prices) and debt remains in any market, all of it is written off, each
 * market's against its own reserves then suppliers (event lend_bad_debt per market), save
 * in a market whose liquidation is paused (it waits for the resume). Naming a denom the
 * borrower holds none of (CW_EINSUFFICIENT), or whose price is not fresh (CW_ESTALE): when
 * nothing is left, the msg instead only writes the debt off (repay and seize 0, the dust
 * stays; repay_amount must still be > 0). It refuses a
 * self-liquidation and a repay that would seize no collateral or (uncapped) remove no scaled
 * debt (CW_EINVAL); lend.repay refuses a partial repay below one unit of scaled
 * debt; lend.supply refuses an amount worth less than one share. update_market accrues at
 * the old rates first; borrow_denom, admin and oracle keys cannot be changed;
 * max_price_age_ns and liquidation_grace_ns are chain-wide: the update writes them into
 * every market's params (each re-validated). A debt's write (borrow, repay, liquidation,
 * write-off) goes through one function in channels/lending.c (store_debt), the place an
 * index of borrowers hooks.
 * Pauses (DESIGN §8): lend.pause sets (paused true) or clears the named actions and leaves
 * the others; a paused action is refused (CW_ESTATE "<action> is paused by the market's
 * admin") before anything else is read, per market: supply, borrow, liquidate (write-offs
 * too), withdraw_supply, flash_loan; withdraw_collateral (cw_lend_release_debit) is refused
 * while any market pauses it (collateral backs every market). Repay, deposits and a
 * release's settlement are never paused. lend.pause refuses actions 0 or unknown bits.
 * Caps: a supply is refused when cash + borrows − reserves + amount > supply_cap, a borrow
 * when the total borrows after it (floor(new Σ scaled × index / WAD)) > borrow_cap (each
 * when nonzero; CW_ETOOBIG naming the totals before and after and the cap); interest may
 * take the totals above a cap, and a lowered cap only stops new supply or borrowing.
 * withdraw_supply with all: amount must be 0 (CW_EINVAL); it burns every share held and
 * pays floor(shares × (cash + borrows − reserves) / total shares), refused with nothing
 * burned when the account holds none, they are worth 0, or the pool's cash is short
 * (CW_EINSUFFICIENT). withdraw_reserves: amount > 0, ≤ reserves and ≤ cash
 * (CW_EINSUFFICIENT), to not the pool (CW_EINVAL); cash and reserves fall together (event
 * lend_withdraw_reserves [to, denom, amount, reserves left]).
 * flash_loan: amount > 0 and ≤ the market's cash not already flash-lent in this tx
 * (CW_EINSUFFICIENT); refused while flash_loan is paused (CW_ESTATE). The tx's end (after
 * its last msg) takes amount + fee from the signer for every market lent in —
 * CW_EINSUFFICIENT "flash loan of N ASSET not repaid: ..." when the signer holds less, which
 * fails the whole tx (events lend_flash_loan [borrower, denom, amount, fee] and
 * lend_flash_repay, same attributes).
 * Handlers return CW_OK or: CW_EMALFORMED / CW_ETOOBIG body; CW_ETOOBIG a cap; CW_EINVAL zero
 * amount or an out-of-domain value; CW_EUNAUTHORIZED admin/oracle msg from another key;
 * CW_ESTATE no market, an action paused, nothing to repay, position healthy (liquidate);
 * CW_EINSUFFICIENT cash/shares/balance/position too small; CW_EUNHEALTHY borrow beyond the
 * borrow limit; CW_ESTALE seized denom's price stale or missing, a held denom's price
 * stale or in its grace period (liquidate); CW_ENOTFOUND unknown
 * collateral; CW_EEXISTS collateral already registered; CW_EOVERFLOW. One line in err. */

/** A msg type and its handler, for the chain's router. */
typedef struct cw_lend_route {
    const char *type;
    cw_msg_handler handler;
} cw_lend_route;

/** The market's msg routes (static table; *n receives the count). Thread-safe. */
const cw_lend_route *cw_lend_routes(size_t *n) CW_NONNULL(1);

/** Register every route of cw_lend_routes with the chain's router (user pointer NULL).
 *  Returns: CW_OK; the first cw_app_register failure (CW_EEXISTS, -ENOMEM). */
static inline int cw_lend_register(cw_app *app)
{
    size_t n;
    const cw_lend_route *r = cw_lend_routes(&n);
    for (size_t i = 0; i < n; i++) {
        int rc = cw_app_register(app, r[i].type, r[i].handler, NULL);
        if (rc)
            return rc;
    }
    return CW_OK;
}

#endif
