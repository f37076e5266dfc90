/* Causeway — checked integer arithmetic for amounts, wad prices and basis points (DESIGN §4).
 *
 * Amounts are u64 base units; prices and indexes are u128 fixed point scaled by 1e18 ("wad");
 * ratios are basis points (1/10000). Products go through a 256-bit intermediate; a result
 * that does not fit is CW_EOVERFLOW, never a wrap. Rounding is explicit in every call, so
 * the caller states which way favours the protocol. Pure functions, thread-safe.
 */
#ifndef CAUSEWAY_MATHX_H
#define CAUSEWAY_MATHX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"

typedef unsigned __int128 cw_u128;

#define CW_WAD ((cw_u128)1000000000000000000ULL) /* 1e18 */
#define CW_BPS 10000u                             /* 100% in basis points */
#define CW_U128_MAX (~(cw_u128)0)

typedef enum cw_round { CW_ROUND_DOWN = 0, CW_ROUND_UP = 1 } cw_round;

/** *out = a * b / d, rounded as asked, computed exactly over 256 bits.
 *  Returns: CW_OK; CW_EINVAL d == 0; CW_EOVERFLOW result > 2^128-1 (*out = 0 on failure). */
int cw_muldiv_u128(cw_u128 *out, cw_u128 a, cw_u128 b, cw_u128 d, cw_round r)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** *out = a * b / d for u64 operands and result.
 *  Returns: CW_OK; CW_EINVAL d == 0; CW_EOVERFLOW result > 2^64-1 (*out = 0 on failure). */
int cw_muldiv_u64(uint64_t *out, uint64_t a, uint64_t b, uint64_t d, cw_round r)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** *out = amount * bps / 10000. Returns: as cw_muldiv_u64 (bps may exceed 10000). */
int cw_apply_bps(uint64_t *out, uint64_t amount, uint32_t bps, cw_round r)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** Checked u64 add / sub. Returns: CW_OK; CW_EOVERFLOW on wrap (*out = 0). */
int cw_add_u64(uint64_t *out, uint64_t a, uint64_t b) CW_NONNULL(1) CW_WARN_UNUSED;
int cw_sub_u64(uint64_t *out, uint64_t a, uint64_t b) CW_NONNULL(1) CW_WARN_UNUSED;
/** Checked u128 add / sub. Returns: CW_OK; CW_EOVERFLOW on wrap (*out = 0). */
int cw_add_u128(cw_u128 *out, cw_u128 a, cw_u128 b) CW_NONNULL(1) CW_WARN_UNUSED;
int cw_sub_u128(cw_u128 *out, cw_u128 a, cw_u128 b) CW_NONNULL(1) CW_WARN_UNUSED;

/** Decimal text of v into out (at most 40 digits + NUL). Returns: CW_OK; CW_ETOOBIG when
 *  out_len is too small (out = ""). */
int cw_u128_to_dec(char *out, size_t out_len, cw_u128 v) CW_NONNULL(1);

/** Parse a decimal u128 (digits only, no sign, no leading zeros except "0").
 *  Returns: CW_OK; CW_EMALFORMED bad character or empty; CW_EOVERFLOW > 2^128-1. */
int cw_u128_from_dec(cw_u128 *out, const char *s, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Parse a decimal u64 the same way. Returns: as cw_u128_from_dec. */
int cw_u64_from_dec(uint64_t *out, const char *s, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

#endif
