/* The app state keys (include/causeway/keys.h). */
#include "causeway/keys.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "causeway/hash.h"
#include "causeway/ics20.h"
#include "causeway/mathx.h"

static bool id_ok(const char *s)
{
    return cw_id_validate(s, strnlen(s, CW_ID_MAX + 1), "id", NULL, 0) == CW_OK;
}

static bool trace_ok(const char *s)
{
    return cw_trace_denom_valid(s, strnlen(s, CW_TRACE_DENOM_LEN + 1));
}

/* out = the formatted key, or "" and CW_EINVAL when it would not fit (never for valid
 * arguments: CW_KEY_MAX covers the longest). */
CW_PRINTF(2, 3) static int key_fmt(char out[static CW_KEY_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, CW_KEY_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= CW_KEY_MAX) {
        out[0] = '\0';
        return CW_EINVAL;
    }
    return CW_OK;
}

static int fail(char *out)
{
    out[0] = '\0';
    return CW_EINVAL;
}

/* prefix/{a}/{b} with both identifiers */
static int pair_key(char out[static CW_KEY_MAX], const char *prefix, const char *a,
                    const char *b)
{
    if (!id_ok(a) || !id_ok(b))
        return fail(out);
    return key_fmt(out, "%s/%s/%s", prefix, a, b);
}

/* prefix/{addr hex}[/{tail}] */
static int addr_key(char out[static CW_KEY_MAX], const char *prefix, const cw_address *addr,
                    const char *tail)
{
    char hex[41];
    cw_hex_encode(hex, sizeof hex, addr->b, 20);
    return tail ? key_fmt(out, "%s/%s/%s", prefix, hex, tail) : key_fmt(out, "%s/%s", prefix, hex);
}

int cw_trace_denom(char out[static CW_TRACE_DENOM_LEN + 1], const char *channel,
                   const char *base_denom)
{
    char path[CW_KEY_MAX];
    out[0] = '\0';
    if (pair_key(path, CW_TRACE_PORT, channel, base_denom))
        return CW_EINVAL;
    uint8_t h[32];
    cw_sha256(h, path, strlen(path));
    static const char hexd[] = "0123456789ABCDEF";
    memcpy(out, "ibc/", 4);
    for (int i = 0; i < 32; i++) {
        out[4 + 2 * i] = hexd[h[i] >> 4];
        out[5 + 2 * i] = hexd[h[i] & 15];
    }
    out[CW_TRACE_DENOM_LEN] = '\0';
    return CW_OK;
}

bool cw_trace_denom_valid(const char *s, size_t len)
{
    if (len != CW_TRACE_DENOM_LEN || memcmp(s, "ibc/", 4) != 0)
        return false;
    for (size_t i = 4; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

bool cw_bank_denom_valid(const char *denom) { return id_ok(denom) || trace_ok(denom); }

int cw_key_bank_balance(char out[static CW_KEY_MAX], const cw_address *addr, const char *denom)
{
    return cw_bank_denom_valid(denom) ? addr_key(out, "bank/balances", addr, denom) : fail(out);
}

int cw_key_bank_supply(char out[static CW_KEY_MAX], const char *denom)
{
    return cw_bank_denom_valid(denom) ? key_fmt(out, "bank/supply/%s", denom) : fail(out);
}

int cw_key_ics20_denom_trace(char out[static CW_KEY_MAX], const char *ibc_denom)
{
    return trace_ok(ibc_denom) ? key_fmt(out, "transfer/denomTraces/%s", ibc_denom + 4)
                               : fail(out);
}

void cw_key_ics20_trace_index(char out[static CW_KEY_MAX], uint64_t n)
{
    (void)key_fmt(out, "transfer/traceIndex/%llu", (unsigned long long)n);
}

int cw_key_ics20_pending(char out[static CW_KEY_MAX], const char *channel,
                         const char *full_path)
{
    char voucher[CW_TRACE_DENOM_LEN + 1];
    size_t n = strnlen(full_path, CW_ICS20_DENOM_MAX + 1);
    if (!id_ok(channel) || n == 0 || n > CW_ICS20_DENOM_MAX)
        return fail(out);
    cw_ics20_ibc_denom(voucher, full_path); /* "ibc/" + the path's hash */
    return key_fmt(out, "transfer/pending/%s/%s", channel, voucher + 4);
}

int cw_val_denom_trace_dec(char out[static 513], const char *ibc_denom, const uint8_t *val,
                           size_t len, char *err, size_t err_len)
{
    char want[CW_TRACE_DENOM_LEN + 1];
    out[0] = '\0';
    if (!val)
        return cw_errf(err, err_len, CW_ENOTFOUND, "denom trace %s: not found", ibc_denom);
    if (len == 0 || len > CW_ICS20_DENOM_MAX || memchr(val, 0, len))
        return cw_errf(err, err_len, CW_EMALFORMED, "denom trace %s: %zu bytes", ibc_denom,
                       len);
    memcpy(out, val, len);
    out[len] = '\0';
    cw_ics20_ibc_denom(want, out);
    if (strcmp(want, ibc_denom) != 0) {
        out[0] = '\0';
        return cw_errf(err, err_len, CW_EMALFORMED,
                       "denom trace %s: the path served hashes to %s", ibc_denom, want);
    }
    return CW_OK;
}

void cw_key_account(char out[static CW_KEY_MAX], const cw_address *addr)
{
    (void)addr_key(out, "acct", addr, NULL);
}

int cw_key_collateral_escrow(char out[static CW_KEY_MAX], const char *channel, const char *denom)
{
    return pair_key(out, "collateral/escrow", channel, denom);
}

int cw_key_collateral_total(char out[static CW_KEY_MAX], const char *channel,
                            const char *base_denom)
{
    return pair_key(out, "collateral/total", channel, base_denom);
}

int cw_key_collateral_inflight(char out[static CW_KEY_MAX], const char *channel,
                               const char *base_denom)
{
    return pair_key(out, "collateral/inflight", channel, base_denom);
}

int cw_key_collateral_pending(char out[static CW_KEY_MAX], const char *channel, bool release,
                              const char *denom)
{
    if (!id_ok(channel) || !id_ok(denom))
        return fail(out);
    return key_fmt(out, "collateral/pending/%s/%s/%s", channel, release ? "release" : "deposit",
                   denom);
}

int cw_key_collateral_position(char out[static CW_KEY_MAX], const cw_address *holder,
                               const char *trace_denom)
{
    return trace_ok(trace_denom) ? addr_key(out, "collateral/positions", holder, trace_denom)
                                 : fail(out);
}

int cw_key_collateral_releasing(char out[static CW_KEY_MAX], const cw_address *holder,
                                const char *trace_denom)
{
    return trace_ok(trace_denom) ? addr_key(out, "collateral/releasing", holder, trace_denom)
                                 : fail(out);
}

int cw_key_lend_collateral(char out[static CW_KEY_MAX], const char *trace_denom)
{
    return trace_ok(trace_denom) ? key_fmt(out, "market/collateral/%s", trace_denom)
                                 : fail(out);
}

/* market/{asset}/{part}[/{addr hex}] */
static int market_key(char out[static CW_KEY_MAX], const char *asset, const char *part,
                      const cw_address *addr)
{
    char hex[41];
    if (!id_ok(asset))
        return fail(out);
    if (!addr)
        return key_fmt(out, "market/%s/%s", asset, part);
    cw_hex_encode(hex, sizeof hex, addr->b, 20);
    return key_fmt(out, "market/%s/%s/%s", asset, part, hex);
}

int cw_key_lend_params(char out[static CW_KEY_MAX], const char *asset)
{
    return market_key(out, asset, "params", NULL);
}

void cw_key_lend_borrower(char out[static CW_KEY_MAX], const cw_address *addr)
{
    (void)addr_key(out, "market/borrowers", addr, NULL);
}

bool cw_key_lend_borrower_parse(cw_address *out, const uint8_t *key, size_t len)
{
    const size_t pl = sizeof CW_KEY_LEND_BORROWERS_PREFIX - 1;
    memset(out, 0, sizeof *out);
    if (!key || len != pl + 40 || memcmp(key, CW_KEY_LEND_BORROWERS_PREFIX, pl) != 0)
        return false;
    for (size_t i = pl; i < len; i++)
        if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
            return false;
    size_t got;
    if (cw_hex_decode(out->b, 20, &got, (const char *)key + pl, 40, NULL, 0) != CW_OK) {
        memset(out, 0, sizeof *out);
        return false;
    }
    return true;
}

int cw_key_lend_state(char out[static CW_KEY_MAX], const char *asset)
{
    return market_key(out, asset, "state", NULL);
}

int cw_key_lend_stats(char out[static CW_KEY_MAX], const char *asset)
{
    return market_key(out, asset, "stats", NULL);
}

int cw_key_lend_flash(char out[static CW_KEY_MAX], const char *asset)
{
    return market_key(out, asset, "flash", NULL);
}

int cw_key_lend_debt(char out[static CW_KEY_MAX], const char *asset, const cw_address *addr)
{
    return market_key(out, asset, "debt", addr);
}

int cw_key_lend_shares(char out[static CW_KEY_MAX], const char *asset, const cw_address *addr)
{
    return market_key(out, asset, "shares", addr);
}

bool cw_price_denom_valid(const char *s, size_t len)
{
    if (len > 0 && memchr(s, '\0', len) == NULL && (len < 4 || memcmp(s, "ibc/", 4) != 0))
        return cw_id_validate(s, len, "denom", NULL, 0) == CW_OK;
    return cw_trace_denom_valid(s, len);
}

int cw_key_oracle_price(char out[static CW_KEY_MAX], const char *denom)
{
    return cw_price_denom_valid(denom, strnlen(denom, CW_TRACE_DENOM_LEN + 1))
               ? key_fmt(out, "oracle/price/%s", denom)
               : fail(out);
}

/* ---- values ---------------------------------------------------------------------------- */

/* The largest record value (a [bin16] is 19 bytes; leave room). */
#define REC_MAX 64

void cw_val_be64_enc(uint8_t out[static 8], uint64_t v) { cw_be64_put(out, v); }

int cw_val_be64_dec(uint64_t *out, const uint8_t *val, size_t len, char *err, size_t err_len)
{
    *out = 0;
    if (!val)
        return CW_OK;
    if (len != 8)
        return cw_errf(err, err_len, CW_EMALFORMED, "value: %zu bytes, expected 8 (be64)", len);
    *out = cw_be64_get(val);
    return CW_OK;
}

void cw_val_u64_rec_enc(cw_enc *e, uint64_t v)
{
    cw_enc_array(e, 1);
    cw_enc_u64(e, v);
}

void cw_val_u128_rec_enc(cw_enc *e, cw_u128 v)
{
    cw_enc_array(e, 1);
    cw_enc_u128(e, v);
}

/* Decode the one-field record in val: u64 (wide false) or u128 (wide true) into *out. */
static int rec_dec(cw_u128 *out, bool wide, const uint8_t *val, size_t len, char *err,
                   size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    *out = 0;
    if (!val)
        return CW_OK;
    int rc = cw_dec_open(&d, &root, val, len, REC_MAX, err, err_len);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 1, "record");
        *out = wide ? cw_dec_u128(&d, &f[0], "record[0]") : cw_dec_u64(&d, &f[0], "record[0]");
        rc = d.rc;
    }
    cw_dec_close(&d);
    if (rc)
        *out = 0;
    return rc;
}

int cw_val_u64_rec_dec(uint64_t *out, const uint8_t *val, size_t len, char *err,
                       size_t err_len)
{
    cw_u128 v;
    int rc = rec_dec(&v, false, val, len, err, err_len);
    *out = (uint64_t)v;
    return rc;
}

void cw_val_u64_pair_enc(cw_enc *e, uint64_t a, uint64_t b)
{
    cw_enc_array(e, 2);
    cw_enc_u64(e, a);
    cw_enc_u64(e, b);
}

int cw_val_u64_pair_dec(uint64_t *a, uint64_t *b, const uint8_t *val, size_t len, char *err,
                        size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    *a = *b = 0;
    if (!val)
        return CW_OK;
    int rc = cw_dec_open(&d, &root, val, len, REC_MAX, err, err_len);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 2, "record");
        uint64_t x = cw_dec_u64(&d, &f[0], "record[0]"), y = cw_dec_u64(&d, &f[1], "record[1]");
        if ((rc = d.rc) == CW_OK) {
            *a = x;
            *b = y;
        }
    }
    cw_dec_close(&d);
    return rc;
}

int cw_val_u128_rec_dec(cw_u128 *out, const uint8_t *val, size_t len, char *err,
                        size_t err_len)
{
    return rec_dec(out, true, val, len, err, err_len);
}

void cw_val_collateral_enc(cw_enc *e, const cw_val_collateral *c)
{
    cw_enc_array(e, 5);
    cw_enc_cstr(e, c->channel);
    cw_enc_cstr(e, c->base_denom);
    cw_enc_u64(e, c->ltv_bps);
    cw_enc_u64(e, c->lt_bps);
    cw_enc_u64(e, c->bonus_bps);
}

/* A collateral record: two identifiers and three small integers. */
#define COLLATERAL_REC_MAX (2 * (CW_ID_MAX + 2) + 3 * 5 + 1)

int cw_val_collateral_dec(cw_val_collateral *out, const uint8_t *val, size_t len, char *err,
                          size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    memset(out, 0, sizeof *out);
    if (!val)
        return cw_errf(err, err_len, CW_ENOTFOUND, "collateral record: absent");
    int rc = cw_dec_open(&d, &root, val, len, COLLATERAL_REC_MAX, err, err_len);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 5, "collateral");
        cw_dec_id(&d, &f[0], out->channel, "collateral.channel");
        cw_dec_id(&d, &f[1], out->base_denom, "collateral.base_denom");
        out->ltv_bps = (uint32_t)cw_dec_uint_max(&d, &f[2], CW_BPS, "collateral.ltv");
        out->lt_bps = (uint32_t)cw_dec_uint_max(&d, &f[3], CW_BPS, "collateral.lt");
        out->bonus_bps = (uint32_t)cw_dec_uint_max(&d, &f[4], UINT32_MAX, "collateral.bonus");
        rc = d.rc;
    }
    cw_dec_close(&d);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

void cw_val_trace_list_enc(cw_enc *e, const char *const *traces, size_t n)
{
    cw_enc_array(e, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        cw_enc_cstr(e, traces[i]);
}

int cw_val_trace_list_dec(char (*out)[CW_TRACE_DENOM_LEN + 1], size_t max, size_t *n,
                          const uint8_t *val, size_t len, char *err, size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    *n = 0;
    if (!val)
        return CW_OK;
    if (max > UINT32_MAX / (CW_TRACE_DENOM_LEN + 2))
        max = UINT32_MAX / (CW_TRACE_DENOM_LEN + 2);
    int rc = cw_dec_open(&d, &root, val, len, 5 + max * (CW_TRACE_DENOM_LEN + 2), err, err_len);
    uint32_t k = 0;
    if (rc == CW_OK) {
        const msgpack_object *items = cw_dec_list(&d, root, (uint32_t)max, &k, "trace list");
        for (uint32_t i = 0; i < k && d.rc == CW_OK; i++) {
            cw_bytes s = cw_dec_str(&d, &items[i], CW_TRACE_DENOM_LEN, "trace list[%u]", i);
            if (d.rc == CW_OK && !cw_trace_denom_valid((const char *)s.p, s.len))
                cw_dec_fail(&d, CW_EMALFORMED, "trace list[%u]: not a trace denom", i);
            if (d.rc == CW_OK && out) {
                memcpy(out[i], s.p, s.len);
                out[i][s.len] = '\0';
            }
        }
        rc = d.rc;
    }
    cw_dec_close(&d);
    if (rc == CW_OK)
        *n = k;
    return rc;
}
