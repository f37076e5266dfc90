#include "causeway/mathx.h"

#include <string.h>

typedef struct { cw_u128 hi, lo; } u256;

/* Full 128x128 -> 256-bit product from four 64x64 -> 128 partial products. */
static u256 mul_128(cw_u128 a, cw_u128 b)
{
    const cw_u128 m64 = UINT64_MAX;
    cw_u128 a0 = a & m64, a1 = a >> 64, b0 = b & m64, b1 = b >> 64;
    cw_u128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    cw_u128 mid = (p00 >> 64) + (p01 & m64) + (p10 & m64); /* < 3 * 2^64: no overflow */
    u256 r;
    r.lo = (mid << 64) | (p00 & m64);
    r.hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    return r;
}

/* (hi:lo) / d with hi < d, so the quotient fits in 128 bits. Restoring division, one bit
 * at a time; the remainder is kept with an explicit 129th bit. */
static cw_u128 div_256_128(cw_u128 hi, cw_u128 lo, cw_u128 d, cw_u128 *rem)
{
    cw_u128 q = 0, r = hi;
    for (int i = 127; i >= 0; i--) {
        int top = (int)(r >> 127);
        r = (r << 1) | ((lo >> i) & 1);
        q <<= 1;
        if (top || r >= d) {
            r -= d; /* wraps correctly when top is set: the true value is r + 2^128 */
            q |= 1;
        }
    }
    *rem = r;
    return q;
}

int cw_muldiv_u128(cw_u128 *out, cw_u128 a, cw_u128 b, cw_u128 d, cw_round r)
{
    *out = 0;
    if (d == 0)
        return CW_EINVAL;
    u256 p = mul_128(a, b);
    if (p.hi >= d)
        return CW_EOVERFLOW;
    cw_u128 rem, q;
    if (p.hi == 0) {
        q = p.lo / d;
        rem = p.lo % d;
    } else {
        q = div_256_128(p.hi, p.lo, d, &rem);
    }
    if (r == CW_ROUND_UP && rem != 0) {
        if (q == CW_U128_MAX)
            return CW_EOVERFLOW;
        q++;
    }
    *out = q;
    return CW_OK;
}

int cw_muldiv_u64(uint64_t *out, uint64_t a, uint64_t b, uint64_t d, cw_round r)
{
    *out = 0;
    if (d == 0)
        return CW_EINVAL;
    cw_u128 p = (cw_u128)a * b;
    cw_u128 q = p / d;
    if (r == CW_ROUND_UP && p % d)
        q++;
    if (q > UINT64_MAX)
        return CW_EOVERFLOW;
    *out = (uint64_t)q;
    return CW_OK;
}

int cw_apply_bps(uint64_t *out, uint64_t amount, uint32_t bps, cw_round r)
{
    return cw_muldiv_u64(out, amount, bps, CW_BPS, r);
}

/* Checked add/sub: the result, or 0 and CW_EOVERFLOW (causeway/mathx.h). */
#define CHECKED_OP(name, type, builtin)                                                    \
    int name(type *out, type a, type b)                                                    \
    {                                                                                      \
        if (builtin(a, b, out)) {                                                          \
            *out = 0;                                                                      \
            return CW_EOVERFLOW;                                                           \
        }                                                                                  \
        return CW_OK;                                                                      \
    }

CHECKED_OP(cw_add_u64, uint64_t, __builtin_add_overflow)
CHECKED_OP(cw_sub_u64, uint64_t, __builtin_sub_overflow)
CHECKED_OP(cw_add_u128, cw_u128, __builtin_add_overflow)
CHECKED_OP(cw_sub_u128, cw_u128, __builtin_sub_overflow)

int cw_u128_to_dec(char *out, size_t out_len, cw_u128 v)
{
    char tmp[41];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    if (out_len < n + 1) {
        if (out_len)
            out[0] = '\0';
        return CW_ETOOBIG;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return CW_OK;
}

int cw_u128_from_dec(cw_u128 *out, const char *s, char *err, size_t err_len)
{
    *out = 0;
    size_t len = strlen(s);
    if (len == 0)
        return cw_errf(err, err_len, CW_EMALFORMED, "number: empty");
    if (len > 1 && s[0] == '0')
        return cw_errf(err, err_len, CW_EMALFORMED, "number '%s': leading zero", s);
    cw_u128 v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return cw_errf(err, err_len, CW_EMALFORMED,
                           "number '%s': character at position %zu is not a digit", s, i);
        if (__builtin_mul_overflow(v, (cw_u128)10, &v) ||
            __builtin_add_overflow(v, (cw_u128)(s[i] - '0'), &v))
            return cw_errf(err, err_len, CW_EOVERFLOW, "number '%s': exceeds 2^128-1", s);
    }
    *out = v;
    return CW_OK;
}

int cw_u64_from_dec(uint64_t *out, const char *s, char *err, size_t err_len)
{
    cw_u128 v;
    *out = 0;
    int rc = cw_u128_from_dec(&v, s, err, err_len);
    if (rc)
        return rc;
    if (v > UINT64_MAX)
        return cw_errf(err, err_len, CW_EOVERFLOW, "number '%s': exceeds 2^64-1", s);
    *out = (uint64_t)v;
    return CW_OK;
}
