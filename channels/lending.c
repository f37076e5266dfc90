/* The lending market on chain B and the collateral positions it owns (DESIGN §8).
 * Everything here is documented in include/causeway/lending.h; this file follows one
 * pattern throughout: decode, load, accrue IN MEMORY, check everything, move tokens through
 * the bank (its own failure writes nothing), then write — so bad input changes no state. */
#include "causeway/ibc.h"
#include "causeway/lending.h"

#include <stdio.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/bank.h"
#include "causeway/codec.h"
#include "causeway/event.h"
#include "causeway/hash.h"
#include "causeway/hex.h"
#include "causeway/keys.h"
#include "causeway/liquidation.h"

#define BPS ((cw_u128)CW_BPS)
#define NS_PER_S ((cw_u128)1000000000u)

/* ---- small helpers ----------------------------------------------------------------------- */

/* An address attribute of the current event, in hex. */
static void attr_addr(cw_exec_ctx *ctx, const char *name, const cw_address *a)
{
    char h[41];
    cw_hex_encode(h, sizeof h, a->b, 20);
    cw_event_attr_str(ctx->events, name, h);
}

static void u128_dec(char out[41], cw_u128 v) { cw_u128_to_dec(out, 41, v); }

static cw_u128 sat_add(cw_u128 a, cw_u128 b) { return a > CW_U128_MAX - b ? CW_U128_MAX : a + b; }

static bool pk_zero(const cw_pubkey32 *pk)
{
    uint8_t z = 0;
    for (int i = 0; i < 32; i++)
        z |= pk->b[i];
    return z == 0;
}

/* Read a record and open a decoder on it. CW_ENOTFOUND when absent (d is then closed). */
static int rec_open(const cw_kv *kv, const char *key, cw_dec *d, const msgpack_object **root,
                    char *err, size_t err_len)
{
    const uint8_t *v;
    size_t n;
    memset(d, 0, sizeof *d);
    int rc = cw_kv_get_s(kv, key, &v, &n);
    if (rc)
        return rc;
    rc = cw_dec_open(d, root, v, n, CW_KV_VALUE_MAX, err, err_len);
    if (rc) {
        cw_dec_close(d);
        return cw_errf(err, err_len, CW_EMALFORMED, "%s: corrupt record", key);
    }
    return CW_OK;
}

static int rec_close(cw_dec *d, const char *key, char *err, size_t err_len)
{
    int rc = d->rc;
    cw_dec_close(d);
    if (rc)
        return cw_errf(err, err_len, CW_EMALFORMED, "%s: corrupt record", key);
    return CW_OK;
}

static int rec_store(const cw_kv *kv, const char *key, cw_enc *e)
{
    int rc = e->rc ? e->rc : cw_kv_set_s(kv, key, cw_enc_data(e), cw_enc_len(e));
    cw_enc_free(e);
    return rc;
}

/* [u64] records (positions, totals, in-flight) and [u128] records (scaled debt, shares):
 * their layout is causeway/keys.h's (cw_val_*_rec); absent = 0; 0 is deleted. */
static int rec_get(const cw_kv *kv, const char *key, const uint8_t **v, size_t *n)
{
    int rc = cw_kv_get_s(kv, key, v, n);
    if (rc == CW_ENOTFOUND) {
        *v = NULL;
        *n = 0;
        return CW_OK;
    }
    return rc;
}

/* A record that does not decode is corrupt state. */
static int rec_corrupt(int rc) { return rc ? CW_EMALFORMED : CW_OK; }

/* One reader and one writer for both widths: wide false a [u64] record, true a [u128]. */
static int read_rec(const cw_kv *kv, const char *key, bool wide, cw_u128 *out)
{
    const uint8_t *v;
    size_t n;
    uint64_t narrow = 0;
    *out = 0;
    int rc = rec_get(kv, key, &v, &n);
    if (rc)
        return rc;
    rc = wide ? cw_val_u128_rec_dec(out, v, n, NULL, 0)
              : cw_val_u64_rec_dec(&narrow, v, n, NULL, 0);
    if (!wide)
        *out = narrow;
    return rec_corrupt(rc);
}

static int write_rec(const cw_kv *kv, const char *key, bool wide, cw_u128 v)
{
    if (v == 0)
        return cw_kv_del_s(kv, key);
    cw_enc e;
    cw_enc_init(&e);
    if (wide)
        cw_val_u128_rec_enc(&e, v);
    else
        cw_val_u64_rec_enc(&e, (uint64_t)v);
    return rec_store(kv, key, &e);
}

static int read_u64_rec(const cw_kv *kv, const char *key, uint64_t *out)
{
    cw_u128 v;
    int rc = read_rec(kv, key, false, &v);
    *out = (uint64_t)v;
    return rc;
}

static int write_u64_rec(const cw_kv *kv, const char *key, uint64_t v)
{
    return write_rec(kv, key, false, v);
}

static int read_u128_rec(const cw_kv *kv, const char *key, cw_u128 *out)
{
    return read_rec(kv, key, true, out);
}

static int write_u128_rec(const cw_kv *kv, const char *key, cw_u128 v)
{
    return write_rec(kv, key, true, v);
}

/* ---- keys ------------------------------------------------------------------------------- */

#define KEY_MARKETS CW_KEY_LEND_MARKETS
#define KEY_COLLATERALS CW_KEY_LEND_COLLATERALS

/* The three collateral records one (holder, channel, base_denom) touches (causeway/keys.h):
 * position under the trace denom, and the pair's total and in-flight. CW_EINVAL on bad ids. */
static int coll_keys(char kp[static CW_KEY_MAX], char kt[static CW_KEY_MAX],
                     char ki[static CW_KEY_MAX], const cw_address *holder, const char *trace,
                     const char *channel, const char *base)
{
    int rc;
    if ((rc = cw_key_collateral_position(kp, holder, trace)) ||
        (rc = cw_key_collateral_total(kt, channel, base)) ||
        (rc = cw_key_collateral_inflight(ki, channel, base)))
        return rc;
    return CW_OK;
}

/* ---- validation ------------------------------------------------------------------------- */

int cw_lend_params_validate(const cw_lend_params *p, char *err, size_t err_len)
{
    int rc = cw_id_validate(p->borrow_denom, strnlen(p->borrow_denom, sizeof p->borrow_denom),
                            "borrow_denom", err, err_len);
    if (rc)
        return rc;
    /* market/{asset}/... sits beside the market's other records: an asset may not take the
     * name of one of them (or of the borrowers index a keeper keeps there) */
    static const char *const reserved[] = {"markets", "collateral", "collaterals", "borrowers"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(p->borrow_denom, reserved[i]) == 0)
            return cw_errf(err, err_len, CW_EINVAL,
                           "borrow_denom: '%s' is reserved (a key under market/)", reserved[i]);
    if (p->close_factor_bps == 0 || p->close_factor_bps > CW_BPS)
        return cw_errf(err, err_len, CW_EINVAL,
                       "close_factor_bps: %u, must be in (0, 10000]", p->close_factor_bps);
    if (p->reserve_factor_bps >= CW_BPS)
        return cw_errf(err, err_len, CW_EINVAL, "reserve_factor_bps: %u, must be < 10000",
                       p->reserve_factor_bps);
    if (p->kink_wad == 0 || p->kink_wad > CW_WAD)
        return cw_errf(err, err_len, CW_EINVAL, "kink_wad: must be in (0, 1e18]");
    if (p->base_rate_wad > CW_LEND_MAX_RATE_WAD || p->slope1_wad > CW_LEND_MAX_RATE_WAD ||
        p->slope2_wad > CW_LEND_MAX_RATE_WAD ||
        p->base_rate_wad + p->slope1_wad + p->slope2_wad > CW_LEND_MAX_RATE_WAD)
        return cw_errf(err, err_len, CW_EINVAL,
                       "rates: base_rate + slope1 + slope2 must be <= %llu wad per second "
                       "(keeps the borrow index below 2^128 for 200+ years)",
                       (unsigned long long)CW_LEND_MAX_RATE_WAD);
    if (p->max_price_age_ns == 0)
        return cw_errf(err, err_len, CW_EINVAL, "max_price_age_ns: must be > 0");
    if (pk_zero(&p->admin))
        return cw_errf(err, err_len, CW_EINVAL, "admin: public key missing (all zero)");
    if (pk_zero(&p->oracle))
        return cw_errf(err, err_len, CW_EINVAL, "oracle: public key missing (all zero)");
    return CW_OK;
}

int cw_lend_collateral_params_validate(uint32_t ltv_bps, uint32_t lt_bps, uint32_t bonus_bps,
                                       char *err, size_t err_len)
{
    if (ltv_bps >= lt_bps)
        return cw_errf(err, err_len, CW_EINVAL,
                       "ltv_bps %u must be < liquidation_threshold_bps %u", ltv_bps, lt_bps);
    if (lt_bps >= CW_BPS)
        return cw_errf(err, err_len, CW_EINVAL,
                       "liquidation_threshold_bps %u must be < 10000", lt_bps);
    if ((uint64_t)lt_bps * ((uint64_t)CW_BPS + bonus_bps) >= (uint64_t)CW_BPS * CW_BPS)
        return cw_errf(err, err_len, CW_EINVAL,
                       "liquidation_threshold_bps %u x (10000 + liquidation_bonus_bps %u) "
                       "must be < 10000 x 10000 (a liquidation must improve health)",
                       lt_bps, bonus_bps);
    return CW_OK;
}

static bool trace_ok(const char *s) { return cw_trace_denom_valid(s, strnlen(s, 80)); }

/* ---- records: params, state, collaterals, prices ---------------------------------------- */

typedef struct mkt {
    cw_lend_params p;
    cw_lend_market s;
} mkt;

/* Every market and every registered collateral: what a health check reads (DESIGN §8).
 * mk[0]'s asset is the price unit; the chain-wide fields (admin, oracle, max_price_age_ns,
 * liquidation_grace_ns) are the same in every market's params (genesis checks it,
 * lend.update_market writes them into every market), read from mk[0]. */
typedef struct book {
    mkt mk[CW_LEND_MAX_MARKETS];
    size_t n_mk;
    cw_lend_collateral col[CW_LEND_MAX_COLLATERALS];
    size_t n_col;
} book;

static void enc_params(cw_enc *e, const cw_lend_params *p)
{
    cw_enc_array(e, 15);
    cw_enc_cstr(e, p->borrow_denom);
    cw_enc_u128(e, p->base_rate_wad);
    cw_enc_u128(e, p->slope1_wad);
    cw_enc_u128(e, p->kink_wad);
    cw_enc_u128(e, p->slope2_wad);
    cw_enc_u64(e, p->close_factor_bps);
    cw_enc_u64(e, p->reserve_factor_bps);
    cw_enc_u64(e, p->max_price_age_ns);
    cw_enc_bin(e, p->admin.b, 32);
    cw_enc_bin(e, p->oracle.b, 32);
    cw_enc_u64(e, p->liquidation_grace_ns);
    cw_enc_u64(e, p->dust_threshold);
    cw_enc_u64(e, p->supply_cap);
    cw_enc_u64(e, p->borrow_cap);
    cw_enc_u64(e, p->flash_fee_bps);
}

/* rec_open for the records genesis writes: absent means there is no such market. */
static int market_rec_open(const cw_kv *kv, const char *key, const char *asset, cw_dec *d,
                           const msgpack_object **root, char *err, size_t err_len)
{
    int rc = rec_open(kv, key, d, root, err, err_len);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, CW_ESTATE, "no lending market for %s", asset);
    return rc;
}

static int store_params(const cw_kv *kv, const cw_lend_params *p)
{
    char key[CW_KEY_MAX];
    cw_enc e;
    int rc = cw_key_lend_params(key, p->borrow_denom);
    if (rc)
        return rc;
    cw_enc_init(&e);
    enc_params(&e, p);
    return rec_store(kv, key, &e);
}

static int load_params(const cw_kv *kv, const char *asset, cw_lend_params *p, char *err,
                       size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    char key[CW_KEY_MAX];
    memset(p, 0, sizeof *p);
    if (cw_key_lend_params(key, asset))
        return cw_errf(err, err_len, CW_EINVAL, "asset: not an identifier");
    int rc = market_rec_open(kv, key, asset, &d, &root, err, err_len);
    if (rc)
        return rc;
    /* a 12-field record predates the caps (read as 0: no cap), a 14-field one the flash
     * fee (0); either is rewritten with 15 by the next lend.update_market */
    uint32_t arity = 15;
    if (root->type == MSGPACK_OBJECT_ARRAY &&
        (root->via.array.size == 12 || root->via.array.size == 14))
        arity = root->via.array.size;
    const msgpack_object *f = cw_dec_array(&d, root, arity, "params");
    cw_dec_id(&d, &f[0], p->borrow_denom, "params.borrow_denom");
    p->base_rate_wad = cw_dec_u128(&d, &f[1], "params.base_rate");
    p->slope1_wad = cw_dec_u128(&d, &f[2], "params.slope1");
    p->kink_wad = cw_dec_u128(&d, &f[3], "params.kink");
    p->slope2_wad = cw_dec_u128(&d, &f[4], "params.slope2");
    p->close_factor_bps = (uint32_t)cw_dec_uint_max(&d, &f[5], CW_BPS, "params.close_factor");
    p->reserve_factor_bps = (uint32_t)cw_dec_uint_max(&d, &f[6], CW_BPS, "params.reserve");
    p->max_price_age_ns = cw_dec_u64(&d, &f[7], "params.max_price_age_ns");
    cw_dec_bin_fixed(&d, &f[8], p->admin.b, 32, "params.admin");
    cw_dec_bin_fixed(&d, &f[9], p->oracle.b, 32, "params.oracle");
    p->liquidation_grace_ns = cw_dec_u64(&d, &f[10], "params.liquidation_grace_ns");
    p->dust_threshold = cw_dec_u64(&d, &f[11], "params.dust_threshold");
    if (arity >= 14 && d.rc == CW_OK) {
        p->supply_cap = cw_dec_u64(&d, &f[12], "params.supply_cap");
        p->borrow_cap = cw_dec_u64(&d, &f[13], "params.borrow_cap");
    }
    if (arity >= 15 && d.rc == CW_OK)
        p->flash_fee_bps = (uint32_t)cw_dec_uint_max(&d, &f[14], CW_BPS - 1, "params.flash_fee");
    if ((rc = rec_close(&d, key, err, err_len)))
        return rc;
    if (strcmp(p->borrow_denom, asset) != 0)
        return cw_errf(err, err_len, CW_EMALFORMED, "%s: the market of another asset", key);
    return CW_OK;
}

static void derive_borrows(cw_lend_market *s)
{
    /* floor(S × I / WAD); S ≤ 2^128 and I ≤ 2^128 make this fit except beyond the documented
     * horizon, where accrual itself reports the overflow first. */
    if (cw_muldiv_u128(&s->total_borrows, s->total_scaled_debt, s->borrow_index_wad, CW_WAD,
                       CW_ROUND_DOWN))
        s->total_borrows = CW_U128_MAX;
}

static int load_state(const cw_kv *kv, const char *asset, cw_lend_market *s, char *err,
                      size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    char key[CW_KEY_MAX], kst[CW_KEY_MAX];
    memset(s, 0, sizeof *s);
    if (cw_key_lend_state(key, asset) || cw_key_lend_stats(kst, asset))
        return cw_errf(err, err_len, CW_EINVAL, "asset: not an identifier");
    int rc = market_rec_open(kv, key, asset, &d, &root, err, err_len);
    if (rc)
        return rc;
    const msgpack_object *f = cw_dec_array(&d, root, 7, "state");
    s->borrow_index_wad = cw_dec_u128(&d, &f[0], "state.index");
    s->total_scaled_debt = cw_dec_u128(&d, &f[1], "state.scaled");
    s->cash = cw_dec_u64(&d, &f[2], "state.cash");
    s->reserves = cw_dec_u128(&d, &f[3], "state.reserves");
    s->total_shares = cw_dec_u128(&d, &f[4], "state.shares");
    s->last_accrual_ns = cw_dec_u64(&d, &f[5], "state.last_accrual");
    /* paused: the set of paused actions; a bool is the record before per-action pauses,
     * when true meant borrowing paused */
    if (d.rc == CW_OK && f[6].type == MSGPACK_OBJECT_BOOLEAN)
        s->paused_actions = f[6].via.boolean ? CW_LEND_ACTION_BORROW : 0;
    else
        s->paused_actions = cw_dec_uint_max(&d, &f[6], CW_LEND_ACTION_ALL, "state.paused");
    if ((rc = rec_close(&d, key, err, err_len)))
        return rc;
    if (s->borrow_index_wad < CW_WAD)
        return cw_errf(err, err_len, CW_EMALFORMED, "%s: index below 1.0", key);
    derive_borrows(s);

    rc = rec_open(kv, kst, &d, &root, err, err_len);
    if (rc == CW_ENOTFOUND)
        return CW_OK; /* written together with state; absent only before the first action */
    if (rc)
        return rc;
    uint32_t arity = root->type == MSGPACK_OBJECT_ARRAY && root->via.array.size == 7 ? 7 : 8;
    f = cw_dec_array(&d, root, arity, "stats");
    s->supplied = cw_dec_u128(&d, &f[0], "stats");
    s->withdrawn = cw_dec_u128(&d, &f[1], "stats");
    s->interest = cw_dec_u128(&d, &f[2], "stats");
    s->reserve_interest = cw_dec_u128(&d, &f[3], "stats");
    s->bad_debt = cw_dec_u128(&d, &f[4], "stats");
    s->bad_debt_from_reserves = cw_dec_u128(&d, &f[5], "stats");
    s->bad_debt_socialized = cw_dec_u128(&d, &f[6], "stats");
    if (arity == 8 && d.rc == CW_OK)
        s->flash_fees = cw_dec_u128(&d, &f[7], "stats");
    return rec_close(&d, kst, err, err_len);
}

static int store_state(const cw_kv *kv, const char *asset, const cw_lend_market *s)
{
    char key[CW_KEY_MAX];
    cw_enc e;
    int rc = cw_key_lend_state(key, asset);
    if (rc)
        return rc;
    cw_enc_init(&e);
    cw_enc_array(&e, 7);
    cw_enc_u128(&e, s->borrow_index_wad);
    cw_enc_u128(&e, s->total_scaled_debt);
    cw_enc_u64(&e, s->cash);
    cw_enc_u128(&e, s->reserves);
    cw_enc_u128(&e, s->total_shares);
    cw_enc_u64(&e, s->last_accrual_ns);
    cw_enc_u64(&e, s->paused_actions);
    if ((rc = rec_store(kv, key, &e)) || (rc = cw_key_lend_stats(key, asset)))
        return rc;
    cw_enc_init(&e);
    cw_enc_array(&e, 8);
    cw_enc_u128(&e, s->supplied);
    cw_enc_u128(&e, s->withdrawn);
    cw_enc_u128(&e, s->interest);
    cw_enc_u128(&e, s->reserve_interest);
    cw_enc_u128(&e, s->bad_debt);
    cw_enc_u128(&e, s->bad_debt_from_reserves);
    cw_enc_u128(&e, s->bad_debt_socialized);
    cw_enc_u128(&e, s->flash_fees);
    return rec_store(kv, key, &e);
}

/* A market's books, under its asset. */
static int store_mkt(const cw_kv *kv, const mkt *m)
{
    return store_state(kv, m->p.borrow_denom, &m->s);
}

/* market/markets: the assets, in genesis order (absent: none). */
static int load_market_list(const cw_kv *kv, char names[][CW_ID_MAX + 1], size_t *n,
                            char *err, size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    uint32_t k = 0;
    *n = 0;
    int rc = rec_open(kv, KEY_MARKETS, &d, &root, err, err_len);
    if (rc == CW_ENOTFOUND)
        return CW_OK;
    if (rc)
        return rc;
    const msgpack_object *items = cw_dec_list(&d, root, CW_LEND_MAX_MARKETS, &k, "markets");
    for (uint32_t i = 0; i < k && d.rc == CW_OK; i++)
        cw_dec_id(&d, &items[i], names[i], "markets[%u]", i);
    if ((rc = rec_close(&d, KEY_MARKETS, err, err_len)))
        return rc;
    *n = k;
    return CW_OK;
}

static int store_market_list(const cw_kv *kv, char names[][CW_ID_MAX + 1], size_t n)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        cw_enc_cstr(&e, names[i]);
    return rec_store(kv, KEY_MARKETS, &e);
}

/* The record's one definition is causeway/keys.h's (cw_val_collateral): the audit reads it. */
static void enc_collateral(cw_enc *e, const cw_lend_collateral *c)
{
    cw_val_collateral v = {.ltv_bps = c->ltv_bps, .lt_bps = c->liquidation_threshold_bps,
                           .bonus_bps = c->liquidation_bonus_bps};
    memcpy(v.channel, c->channel, sizeof v.channel);
    memcpy(v.base_denom, c->base_denom, sizeof v.base_denom);
    cw_val_collateral_enc(e, &v);
}

int cw_lend_collateral_by_trace(const cw_kv *kv, cw_lend_collateral *out, const char *trace)
{
    char key[CW_KEY_MAX];
    const uint8_t *v;
    size_t n;
    cw_val_collateral c;
    memset(out, 0, sizeof *out);
    if (cw_key_lend_collateral(key, trace))
        return CW_EINVAL;
    int rc = cw_kv_get_s(kv, key, &v, &n);
    if (rc)
        return rc;
    if (cw_val_collateral_dec(&c, v, n, NULL, 0))
        return CW_EMALFORMED;
    memcpy(out->channel, c.channel, sizeof out->channel);
    memcpy(out->base_denom, c.base_denom, sizeof out->base_denom);
    out->ltv_bps = c.ltv_bps;
    out->liquidation_threshold_bps = c.lt_bps;
    out->liquidation_bonus_bps = c.bonus_bps;
    memcpy(out->trace_denom, trace, CW_LEND_TRACE_DENOM_LEN + 1);
    return CW_OK;
}

int cw_lend_collateral_lookup(const cw_kv *kv, cw_lend_collateral *out, const char *channel,
                              const char *base_denom)
{
    char trace[CW_LEND_TRACE_DENOM_LEN + 1];
    memset(out, 0, sizeof *out);
    if (cw_trace_denom(trace, channel, base_denom))
        return CW_EINVAL;
    int rc = cw_lend_collateral_by_trace(kv, out, trace);
    if (rc == CW_OK && (strcmp(out->channel, channel) || strcmp(out->base_denom, base_denom)))
        return CW_EMALFORMED; /* record under the wrong key: corrupt state */
    return rc;
}

/* market/collaterals through its one definition (cw_val_trace_list, causeway/keys.h) */
static int load_collaterals(const cw_kv *kv, book *m, char *err, size_t err_len)
{
    char traces[CW_LEND_MAX_COLLATERALS][CW_TRACE_DENOM_LEN + 1];
    const uint8_t *v;
    size_t vn, n = 0;
    m->n_col = 0;
    int rc = cw_kv_get_s(kv, KEY_COLLATERALS, &v, &vn);
    if (rc == CW_ENOTFOUND)
        return CW_OK;
    if (rc)
        return rc;
    if (cw_val_trace_list_dec(traces, CW_LEND_MAX_COLLATERALS, &n, v, vn, NULL, 0))
        return cw_errf(err, err_len, CW_EMALFORMED, "%s: corrupt record", KEY_COLLATERALS);
    for (size_t i = 0; i < n; i++) {
        if (cw_lend_collateral_by_trace(kv, &m->col[i], traces[i]))
            return cw_errf(err, err_len, CW_EMALFORMED, "%s: corrupt record (collaterals[%zu]: "
                           "record missing)", KEY_COLLATERALS, i);
        m->n_col = i + 1;
    }
    return CW_OK;
}

static int store_collaterals(const cw_kv *kv, const book *m)
{
    const char *traces[CW_LEND_MAX_COLLATERALS];
    cw_enc e;
    for (size_t i = 0; i < m->n_col; i++)
        traces[i] = m->col[i].trace_denom;
    cw_enc_init(&e);
    cw_val_trace_list_enc(&e, traces, m->n_col);
    return rec_store(kv, KEY_COLLATERALS, &e);
}

static int store_collateral(const cw_kv *kv, const cw_lend_collateral *c)
{
    char key[CW_KEY_MAX];
    cw_enc e;
    int rc = cw_key_lend_collateral(key, c->trace_denom);
    if (rc)
        return rc;
    cw_enc_init(&e);
    enc_collateral(&e, c);
    return rec_store(kv, key, &e);
}

int cw_lend_price_ex(const cw_kv *kv, cw_u128 *price, uint64_t *time_ns, uint64_t *live_since_ns,
                     const char *trace)
{
    char key[CW_KEY_MAX];
    cw_dec d;
    const msgpack_object *root;
    *price = 0;
    *time_ns = 0;
    *live_since_ns = 0;
    if (cw_key_oracle_price(key, trace))
        return CW_EINVAL;
    int rc = rec_open(kv, key, &d, &root, NULL, 0);
    if (rc)
        return rc;
    const msgpack_object *f = cw_dec_array(&d, root, 3, "price");
    *price = cw_dec_u128(&d, &f[0], "price");
    *time_ns = cw_dec_u64(&d, &f[1], "time");
    *live_since_ns = cw_dec_u64(&d, &f[2], "live_since");
    if ((rc = rec_close(&d, key, NULL, 0)) != CW_OK) {
        *price = 0;
        *time_ns = 0;
        *live_since_ns = 0;
    }
    return rc;
}

int cw_lend_price(const cw_kv *kv, cw_u128 *price, uint64_t *time_ns, const char *trace)
{
    uint64_t since;
    return cw_lend_price_ex(kv, price, time_ns, &since, trace);
}

/* A denom's price as the market sees it at now_ns: present or not (*price 0 when missing),
 * fresh (not older than max_price_age), and in its grace period (it resumed from stale less
 * than liquidation_grace_ns ago). */
typedef struct price_view {
    cw_u128 price;
    bool fresh, in_grace;
    uint64_t grace_until;
} price_view;

static int view_price(const cw_kv *kv, const cw_lend_params *p, uint64_t now_ns,
                      const char *trace, price_view *v)
{
    uint64_t t, since;
    memset(v, 0, sizeof *v);
    int rc = cw_lend_price_ex(kv, &v->price, &t, &since, trace);
    if (rc == CW_ENOTFOUND) {
        v->price = 0;
        return CW_OK;
    }
    if (rc)
        return rc;
    uint64_t age = now_ns > t ? now_ns - t : 0;
    v->fresh = v->price > 0 && age <= p->max_price_age_ns;
    if (since != 0) {
        v->grace_until = since > UINT64_MAX - p->liquidation_grace_ns
                             ? UINT64_MAX
                             : since + p->liquidation_grace_ns;
        v->in_grace = now_ns < v->grace_until;
    }
    return CW_OK;
}

/* A usable price: present, and not older than max_price_age at now_ns. *fresh = false with
 * CW_OK when missing or stale. */
static int fresh_price(const cw_kv *kv, const cw_lend_params *p, uint64_t now_ns,
                       const char *trace, cw_u128 *price, bool *fresh)
{
    price_view v;
    int rc = view_price(kv, p, now_ns, trace, &v);
    *price = v.price;
    *fresh = v.fresh;
    return rc;
}

/* One market: params and books (state, stats). */
static int load_market(const cw_kv *kv, const char *asset, mkt *m, char *err, size_t err_len)
{
    memset(m, 0, sizeof *m);
    int rc = load_params(kv, asset, &m->p, err, err_len);
    if (rc == CW_OK)
        rc = load_state(kv, asset, &m->s, err, err_len);
    return rc;
}

/* Every market and every collateral. No market at all is CW_ESTATE. */
static int load_book(const cw_kv *kv, book *b, char *err, size_t err_len)
{
    char names[CW_LEND_MAX_MARKETS][CW_ID_MAX + 1];
    size_t n;
    memset(b, 0, sizeof *b);
    int rc = load_market_list(kv, names, &n, err, err_len);
    if (rc)
        return rc;
    if (n == 0)
        return cw_errf(err, err_len, CW_ESTATE, "no lending market (genesis has none)");
    for (size_t i = 0; i < n; i++)
        if ((rc = load_market(kv, names[i], &b->mk[i], err, err_len)))
            return rc;
    b->n_mk = n;
    return load_collaterals(kv, b, err, err_len);
}

/* The market of asset in b, or NULL (CW_ENOTFOUND in err). */
static mkt *find_mkt(book *b, const char *asset, char *err, size_t err_len)
{
    for (size_t i = 0; i < b->n_mk; i++)
        if (strcmp(b->mk[i].p.borrow_denom, asset) == 0)
            return &b->mk[i];
    cw_errf(err, err_len, CW_ENOTFOUND, "no lending market for %s", asset);
    return NULL;
}

static const cw_lend_collateral *find_col(const book *m, const char *trace)
{
    for (size_t i = 0; i < m->n_col; i++)
        if (strcmp(m->col[i].trace_denom, trace) == 0)
            return &m->col[i];
    return NULL;
}

/* CW_ESTATE when the admin paused `action` (one CW_LEND_ACTION_* bit; 0: never paused). */
static int check_paused(const mkt *m, uint64_t action, char *err, size_t err_len)
{
    if (m->s.paused_actions & action)
        return cw_errf(err, err_len, CW_ESTATE, "%s is paused by the market's admin",
                       cw_lend_action_name(action));
    return CW_OK;
}

/* ---- interest ----------------------------------------------------------------------------- */

/* The rate model (DESIGN §8; Compound v2 JumpRateModel), the one formula accrual and the
 * queries use: utilization of the books, rounded up, in [0, WAD]. */
static int utilization(const cw_lend_market *s, cw_u128 *out)
{
    cw_u128 util = 0, den;
    *out = 0;
    if (s->total_borrows > 0) {
        /* cash + borrows − reserves; reserves above it (possible only after bad debt) mean
         * every unit of the pool is lent: utilization 100%. */
        cw_u128 gross;
        if (cw_add_u128(&gross, s->cash, s->total_borrows) || gross <= s->reserves)
            util = CW_WAD;
        else {
            den = gross - s->reserves;
            if (s->total_borrows >= den)
                util = CW_WAD;
            else if (cw_muldiv_u128(&util, s->total_borrows, CW_WAD, den, CW_ROUND_UP))
                return CW_EOVERFLOW;
        }
    }
    *out = util;
    return CW_OK;
}

/* Per-second borrow rate (wad) at utilization util, every step rounded up. */
static int rate_at(const cw_lend_params *p, cw_u128 util, cw_u128 *rate)
{
    cw_u128 a = 0, b = 0;
    *rate = 0;
    cw_u128 below = util < p->kink_wad ? util : p->kink_wad;
    if (cw_muldiv_u128(&a, below, p->slope1_wad, CW_WAD, CW_ROUND_UP))
        return CW_EOVERFLOW;
    if (util > p->kink_wad &&
        cw_muldiv_u128(&b, util - p->kink_wad, p->slope2_wad, CW_WAD, CW_ROUND_UP))
        return CW_EOVERFLOW;
    *rate = p->base_rate_wad + a + b; /* each ≤ CW_LEND_MAX_RATE_WAD: no overflow */
    return CW_OK;
}

/* Per-second borrow rate (wad) for the current books. */
static int borrow_rate(const mkt *m, cw_u128 *rate)
{
    cw_u128 util;
    int rc = utilization(&m->s, &util);
    return rc ? rc : rate_at(&m->p, util, rate);
}

/* Accrue interest in memory up to now_ns. Source: Compound v2 accrueInterest. */
static int accrue(mkt *m, uint64_t now_ns, char *err, size_t err_len)
{
    cw_lend_market *s = &m->s;
    if (s->last_accrual_ns == 0 || now_ns <= s->last_accrual_ns) {
        if (s->last_accrual_ns == 0)
            s->last_accrual_ns = now_ns; /* first action: nothing was borrowed before it */
        return CW_OK;
    }
    uint64_t dt = now_ns - s->last_accrual_ns;
    s->last_accrual_ns = now_ns;
    if (s->total_scaled_debt == 0)
        return CW_OK; /* keep the index's headroom: nothing owes interest */
    cw_u128 rate, growth, index, borrows, interest, to_reserves;
    int rc = borrow_rate(m, &rate);
    /* rate is per second, applied pro rata to the nanosecond: growth = ceil(index × rate ×
     * dt_ns / (WAD × 1e9)); rate × dt_ns ≤ 7e9 × 1.9e19 < 2^128; the product with the index
     * goes through 256 bits */
    if (rc || cw_muldiv_u128(&growth, s->borrow_index_wad, rate * dt, CW_WAD * NS_PER_S,
                             CW_ROUND_UP) ||
        cw_add_u128(&index, s->borrow_index_wad, growth) ||
        cw_muldiv_u128(&borrows, s->total_scaled_debt, index, CW_WAD, CW_ROUND_DOWN))
        return cw_errf(err, err_len, CW_EOVERFLOW,
                       "interest accrual over %llu ns overflows the borrow index",
                       (unsigned long long)dt);
    interest = borrows > s->total_borrows ? borrows - s->total_borrows : 0; /* index grows */
    if (cw_muldiv_u128(&to_reserves, interest, m->p.reserve_factor_bps, BPS, CW_ROUND_DOWN) ||
        cw_add_u128(&s->reserves, s->reserves, to_reserves))
        return cw_errf(err, err_len, CW_EOVERFLOW, "reserves overflow");
    s->borrow_index_wad = index;
    s->total_borrows = borrows;
    s->interest = sat_add(s->interest, interest);
    s->reserve_interest = sat_add(s->reserve_interest, to_reserves);
    return CW_OK;
}

/* debt = ceil(scaled × index / WAD) */
static int debt_of(const mkt *m, cw_u128 scaled, cw_u128 *debt)
{
    return cw_muldiv_u128(debt, scaled, m->s.borrow_index_wad, CW_WAD, CW_ROUND_UP);
}

/* cash + borrows − reserves: what all shares are worth. */
static int supply_value(const cw_lend_market *s, cw_u128 *out)
{
    cw_u128 g;
    *out = 0;
    if (cw_add_u128(&g, s->cash, s->total_borrows) || g < s->reserves)
        return CW_ESTATE;
    *out = g - s->reserves;
    return CW_OK;
}

/* The figures a query shows (cw_lend_market_read), from the rate model above: utilization,
 * the per-second borrow rate, borrow APR = rate × CW_LEND_SECONDS_PER_YEAR (simple, not
 * compounded), supply APR = floor(floor(borrow APR × utilization / WAD) × (10000 − reserve
 * factor) / 10000) (Compound v2 getSupplyRate), and total supply. */
static int derive_rates(mkt *m)
{
    cw_lend_market *s = &m->s;
    cw_u128 util, rate, sup;
    int rc = utilization(s, &util);
    if (rc == CW_OK)
        rc = rate_at(&m->p, util, &rate);
    if (rc)
        return rc;
    s->utilization_wad = util;
    s->borrow_rate_wad = rate;
    s->borrow_apr_wad = rate * CW_LEND_SECONDS_PER_YEAR; /* ≤ 7e9 × 3.2e7: fits */
    if (cw_muldiv_u128(&sup, s->borrow_apr_wad, util, CW_WAD, CW_ROUND_DOWN))
        return CW_EOVERFLOW;
    s->supply_apr_wad = sup * (BPS - m->p.reserve_factor_bps) / BPS; /* sup ≤ 2.3e17 */
    if (supply_value(s, &s->total_supply))
        s->total_supply = 0; /* reserves above cash + borrows: suppliers' claim is 0 */
    return CW_OK;
}

/* Set the aggregate scaled debt and re-derive total borrows. */
static void set_scaled(mkt *m, cw_u128 scaled)
{
    m->s.total_scaled_debt = scaled;
    derive_borrows(&m->s);
}

/* ---- account values ------------------------------------------------------------------------ */

enum weight { W_LTV, W_LT };

/* Σ over registered collateral with a fresh price of floor(pos × weight × price /
 * (WAD × 10000)), saturating at 2^128-1 (larger than any debt). override_trace/override_pos
 * substitute one position (a debit not yet written). For the borrow limit (W_LTV) a denom
 * in its grace period after resuming from stale counts 0 too (Aave v3 PriceOracleSentinel:
 * no new borrowing until the grace has passed). */
static int account_limit(const cw_kv *kv, const book *m, uint64_t now_ns, const cw_address *a,
                         enum weight w, const char *override_trace, uint64_t override_pos,
                         cw_u128 *out)
{
    *out = 0;
    for (size_t i = 0; i < m->n_col; i++) {
        const cw_lend_collateral *c = &m->col[i];
        uint64_t pos;
        int rc;
        if (override_trace && strcmp(override_trace, c->trace_denom) == 0)
            pos = override_pos;
        else if ((rc = cw_lend_position(kv, &pos, a, c->trace_denom)))
            return rc;
        if (pos == 0)
            continue;
        cw_u128 v;
        price_view pv;
        if ((rc = view_price(kv, &m->mk[0].p, now_ns, c->trace_denom, &pv)))
            return rc;
        if (!pv.fresh || (w == W_LTV && pv.in_grace))
            continue; /* stale collateral counts 0; in its grace, 0 to borrow against */
        uint32_t bps = w == W_LTV ? c->ltv_bps : c->liquidation_threshold_bps;
        if (cw_muldiv_u128(&v, (cw_u128)pos * bps, pv.price, CW_WAD * BPS, CW_ROUND_DOWN))
            v = CW_U128_MAX;
        *out = sat_add(*out, v);
    }
    return CW_OK;
}

/* amount × price / WAD in the price unit, rounded as asked, saturating: a collateral's value
 * (rounded down) or a debt's (rounded up). */
static cw_u128 priced(cw_u128 amount, cw_u128 price, cw_round round)
{
    cw_u128 v;
    if (cw_muldiv_u128(&v, amount, price, CW_WAD, round))
        v = CW_U128_MAX;
    return v;
}

/* floor(amount × price / WAD): what amount base units of a collateral are worth. */
static cw_u128 value_of(cw_u128 amount, cw_u128 price)
{
    return priced(amount, price, CW_ROUND_DOWN);
}

/* What a liquidation needs to know about a borrower's collateral, in one walk (DESIGN §8):
 *  lt_limit  Σ floor(pos × lt × price / (WAD × 10000)) over fresh prices (as W_LT);
 *  left      denoms in which the holder's position and releases in flight, together, are
 *            worth at least one base unit at the denom's latest price, fresh or stale (a
 *            stale one's value is unknown, not zero); a denom never priced is worth 0;
 *  stale     a position worth ≥ 1 base unit at its latest price whose price is stale;
 *  grace     a position worth ≥ 1 base unit whose (fresh) price is in its grace period.
 * override_trace/override_pos substitute one position (a seize not yet written). */
typedef struct holdings {
    cw_u128 lt_limit;
    size_t left;
    const cw_lend_collateral *stale, *grace;
    uint64_t grace_until;
} holdings;

static int scan_holdings(const cw_kv *kv, const book *m, uint64_t now_ns, const cw_address *a,
                         const char *override_trace, uint64_t override_pos, holdings *h)
{
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < m->n_col; i++) {
        const cw_lend_collateral *c = &m->col[i];
        char kr[CW_KEY_MAX];
        uint64_t pos, rel;
        price_view pv;
        int rc;
        if (override_trace && strcmp(override_trace, c->trace_denom) == 0)
            pos = override_pos;
        else if ((rc = cw_lend_position(kv, &pos, a, c->trace_denom)))
            return rc;
        if ((rc = cw_key_collateral_releasing(kr, a, c->trace_denom)) ||
            (rc = read_u64_rec(kv, kr, &rel)))
            return rc;
        if (pos == 0 && rel == 0)
            continue;
        if ((rc = view_price(kv, &m->mk[0].p, now_ns, c->trace_denom, &pv)))
            return rc;
        bool pos_counts = value_of(pos, pv.price) > 0;
        if (value_of((cw_u128)pos + rel, pv.price) > 0)
            h->left++;
        if (!pos_counts)
            continue; /* dust: worth less than one base unit, or never priced */
        if (!pv.fresh) {
            if (!h->stale)
                h->stale = c;
            continue;
        }
        if (pv.in_grace && (!h->grace || pv.grace_until > h->grace_until)) {
            h->grace = c;
            h->grace_until = pv.grace_until;
        }
        cw_u128 v;
        if (cw_muldiv_u128(&v, (cw_u128)pos * c->liquidation_threshold_bps, pv.price,
                           CW_WAD * BPS, CW_ROUND_DOWN))
            v = CW_U128_MAX;
        h->lt_limit = sat_add(h->lt_limit, v);
    }
    return CW_OK;
}

/* The price of market i's asset (DESIGN §8): the price unit (mk[0]'s asset) is exactly
 * 1 and always fresh, never in grace; any other asset's is the oracle's. */
static int asset_price(const cw_kv *kv, const book *b, size_t i, uint64_t now_ns,
                       price_view *v)
{
    if (i == 0) {
        memset(v, 0, sizeof *v);
        v->price = CW_WAD;
        v->fresh = true;
        return CW_OK;
    }
    return view_price(kv, &b->mk[0].p, now_ns, b->mk[i].p.borrow_denom, v);
}

/* ceil(debt × price / WAD): a debt's value in the price unit. */
static cw_u128 debt_value_of(cw_u128 debt, cw_u128 price)
{
    return priced(debt, price, CW_ROUND_UP);
}

/* What an account owes in every market of b (each accrued in memory to now_ns), and the
 * total in the price unit: value = Σ ceil(debt_i × price_i / WAD) at each asset's latest
 * price; stale = index+1 of the first market the account owes in whose price is not fresh
 * (0: none). over (if not NULL) with over_scaled substitutes one market's scaled debt (a
 * borrow not yet written). */
typedef struct debts {
    cw_u128 scaled[CW_LEND_MAX_MARKETS];
    cw_u128 debt[CW_LEND_MAX_MARKETS];
    cw_u128 value;
    size_t stale;
} debts;

static int debt_of(const mkt *m, cw_u128 scaled, cw_u128 *debt);

static int scan_debts(const cw_kv *kv, const book *b, uint64_t now_ns, const cw_address *a,
                      const mkt *over, cw_u128 over_scaled, debts *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < b->n_mk; i++) {
        const mkt *m = &b->mk[i];
        char kd[CW_KEY_MAX];
        price_view pv;
        int rc;
        if (m == over)
            out->scaled[i] = over_scaled;
        else if ((rc = cw_key_lend_debt(kd, m->p.borrow_denom, a)) ||
                 (rc = read_u128_rec(kv, kd, &out->scaled[i])))
            return rc;
        if (out->scaled[i] == 0)
            continue;
        if (debt_of(m, out->scaled[i], &out->debt[i]))
            return CW_EOVERFLOW;
        if ((rc = asset_price(kv, b, i, now_ns, &pv)))
            return rc;
        if (!pv.fresh && out->stale == 0)
            out->stale = i + 1;
        out->value = sat_add(out->value, debt_value_of(out->debt[i], pv.price));
    }
    return CW_OK;
}

/* CW_ESTALE naming the first market the account owes in whose asset has no fresh price. */
static int stale_debt(const book *b, const debts *d, const char *what, char *err,
                      size_t err_len)
{
    if (d->stale == 0)
        return CW_OK;
    return cw_errf(err, err_len, CW_ESTALE, "%s: no fresh price for %s, which the account owes",
                   what, b->mk[d->stale - 1].p.borrow_denom);
}

/* ---- genesis -------------------------------------------------------------------------------- */

int cw_lend_genesis(const cw_kv *kv, const cw_lend_params *p, char *err, size_t err_len)
{
    char names[CW_LEND_MAX_MARKETS][CW_ID_MAX + 1];
    size_t n;
    int rc = cw_lend_params_validate(p, err, err_len);
    if (rc || (rc = load_market_list(kv, names, &n, err, err_len)))
        return rc;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], p->borrow_denom) == 0)
            return cw_errf(err, err_len, CW_EEXISTS, "a lending market for %s already exists",
                           p->borrow_denom);
    if (n == CW_LEND_MAX_MARKETS)
        return cw_errf(err, err_len, CW_ETOOBIG, "at most %d lending markets",
                       CW_LEND_MAX_MARKETS);
    if (n > 0) {
        /* the chain-wide fields: one admin, one oracle, one staleness rule for all prices */
        cw_lend_params first;
        if ((rc = load_params(kv, names[0], &first, err, err_len)))
            return rc;
        if (memcmp(first.admin.b, p->admin.b, 32) || memcmp(first.oracle.b, p->oracle.b, 32) ||
            first.max_price_age_ns != p->max_price_age_ns ||
            first.liquidation_grace_ns != p->liquidation_grace_ns)
            return cw_errf(err, err_len, CW_EINVAL,
                           "market %s: admin, oracle, max_price_age_ns and "
                           "liquidation_grace_ns are chain-wide and must equal market %s's",
                           p->borrow_denom, names[0]);
    }
    snprintf(names[n], sizeof names[n], "%s", p->borrow_denom);
    cw_lend_market s = {.borrow_index_wad = CW_WAD};
    if ((rc = store_params(kv, p)) || (rc = store_state(kv, p->borrow_denom, &s)))
        return rc;
    return store_market_list(kv, names, n + 1);
}

/* ---- positions ------------------------------------------------------------------------------- */

int cw_lend_position(const cw_kv *kv, uint64_t *out, const cw_address *holder,
                     const char *trace)
{
    char key[CW_KEY_MAX];
    *out = 0;
    if (cw_key_collateral_position(key, holder, trace))
        return CW_EINVAL;
    return read_u64_rec(kv, key, out);
}

int cw_lend_total(const cw_kv *kv, uint64_t *out, const char *channel, const char *base)
{
    char key[CW_KEY_MAX];
    *out = 0;
    int rc = cw_key_collateral_total(key, channel, base);
    return rc ? rc : read_u64_rec(kv, key, out);
}

int cw_lend_inflight(const cw_kv *kv, uint64_t *out, const char *channel, const char *base)
{
    char key[CW_KEY_MAX];
    *out = 0;
    int rc = cw_key_collateral_inflight(key, channel, base);
    return rc ? rc : read_u64_rec(kv, key, out);
}

int cw_lend_credit(const cw_kv *kv, const cw_address *beneficiary, const char *channel,
                   const char *base_denom, uint64_t amount, char *err, size_t err_len)
{
    cw_lend_collateral c;
    char kp[CW_KEY_MAX], kt[CW_KEY_MAX], ki[CW_KEY_MAX];
    uint64_t pos, total, inflight, npos, ntotal, bound;
    if (amount == 0)
        return cw_errf(err, err_len, CW_EINVAL, "deposit amount: must be greater than zero");
    int rc = cw_lend_collateral_lookup(kv, &c, channel, base_denom);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "collateral %s/%s is not registered", channel,
                       base_denom);
    if (rc)
        return cw_errf(err, err_len, rc, "collateral %s/%s: %s", channel, base_denom,
                       cw_strerror(rc));
    if ((rc = coll_keys(kp, kt, ki, beneficiary, c.trace_denom, channel, base_denom)) ||
        (rc = read_u64_rec(kv, kp, &pos)) || (rc = read_u64_rec(kv, kt, &total)) ||
        (rc = read_u64_rec(kv, ki, &inflight)))
        return cw_errf(err, err_len, rc, "reading collateral: %s", cw_strerror(rc));
    if (cw_add_u64(&npos, pos, amount) || cw_add_u64(&ntotal, total, amount) ||
        cw_add_u64(&bound, ntotal, inflight))
        return cw_errf(err, err_len, CW_EOVERFLOW,
                       "deposit of %llu would overflow the position or total of %s",
                       (unsigned long long)amount, c.trace_denom);
    if ((rc = write_u64_rec(kv, kp, npos)) || (rc = write_u64_rec(kv, kt, ntotal)))
        return cw_errf(err, err_len, rc, "writing collateral: %s", cw_strerror(rc));
    return CW_OK;
}

static int accrue(mkt *m, uint64_t now_ns, char *err, size_t err_len);

/* Accrue every market of b in memory to now_ns (stored only by whoever writes a market). */
static int accrue_all(book *b, uint64_t now_ns, char *err, size_t err_len)
{
    int rc;
    for (size_t i = 0; i < b->n_mk; i++)
        if ((rc = accrue(&b->mk[i], now_ns, err, err_len)))
            return rc;
    return CW_OK;
}

/* CW_ESTATE when `action` is paused in any market (withdraw_collateral: collateral backs
 * every market's debt, so any market's pause of it holds). */
static int check_paused_any(const book *b, uint64_t action, char *err, size_t err_len)
{
    for (size_t i = 0; i < b->n_mk; i++)
        if (b->mk[i].s.paused_actions & action)
            return cw_errf(err, err_len, CW_ESTATE, "%s is paused by the market's admin (%s)",
                           cw_lend_action_name(action), b->mk[i].p.borrow_denom);
    return CW_OK;
}

int cw_lend_release_debit(const cw_kv *kv, uint64_t now_ns, const cw_address *holder,
                          const char *channel, const char *base_denom, uint64_t amount,
                          char *err, size_t err_len)
{
    book b;
    const cw_lend_collateral *c;
    char kp[CW_KEY_MAX], kt[CW_KEY_MAX], ki[CW_KEY_MAX], kr[CW_KEY_MAX];
    uint64_t pos, total, inflight, ninflight, releasing, nreleasing;
    cw_u128 limit;
    debts d;
    if (amount == 0)
        return cw_errf(err, err_len, CW_EINVAL, "release amount: must be greater than zero");
    char trace[CW_LEND_TRACE_DENOM_LEN + 1];
    if (cw_trace_denom(trace, channel, base_denom))
        return cw_errf(err, err_len, CW_EINVAL, "channel or base_denom: not an identifier");
    int rc = load_book(kv, &b, err, err_len);
    if (rc || (rc = check_paused_any(&b, CW_LEND_ACTION_WITHDRAW_COLLATERAL, err, err_len)))
        return rc;
    if (!(c = find_col(&b, trace)))
        return cw_errf(err, err_len, CW_ENOTFOUND, "collateral %s/%s is not registered",
                       channel, base_denom);
    if ((rc = accrue_all(&b, now_ns, err, err_len)))
        return rc;
    if ((rc = coll_keys(kp, kt, ki, holder, trace, channel, base_denom)) ||
        (rc = read_u64_rec(kv, kp, &pos)) || (rc = read_u64_rec(kv, kt, &total)) ||
        (rc = read_u64_rec(kv, ki, &inflight)) ||
        (rc = cw_key_collateral_releasing(kr, holder, trace)) ||
        (rc = read_u64_rec(kv, kr, &releasing)) ||
        (rc = scan_debts(kv, &b, now_ns, holder, NULL, 0, &d)))
        return cw_errf(err, err_len, rc, "reading state: %s", cw_strerror(rc));
    if (pos < amount)
        return cw_errf(err, err_len, CW_EINSUFFICIENT,
                       "position %llu %s is less than the release of %llu",
                       (unsigned long long)pos, trace, (unsigned long long)amount);
    if (total < amount || cw_add_u64(&ninflight, inflight, amount) ||
        cw_add_u64(&nreleasing, releasing, amount))
        return cw_errf(err, err_len, CW_ESTATE, "collateral total below a position");
    if (d.value > 0 || d.stale) {
        if ((rc = stale_debt(&b, &d, "release", err, err_len)))
            return rc;
        if ((rc = account_limit(kv, &b, now_ns, holder, W_LTV, trace, pos - amount, &limit)))
            return cw_errf(err, err_len, rc, "reading collateral: %s", cw_strerror(rc));
        if (limit < d.value) {
            char sd[41], sl[41];
            u128_dec(sd, d.value);
            u128_dec(sl, limit);
            return cw_errf(err, err_len, CW_EUNHEALTHY,
                           "release would leave borrow limit %s below debt %s", sl, sd);
        }
    }
    if ((rc = write_u64_rec(kv, kp, pos - amount)) ||
        (rc = write_u64_rec(kv, kt, total - amount)) || (rc = write_u64_rec(kv, ki, ninflight)) ||
        (rc = write_u64_rec(kv, kr, nreleasing)))
        return cw_errf(err, err_len, rc, "writing state: %s", cw_strerror(rc));
    return CW_OK;
}

int cw_lend_release_settle(const cw_kv *kv, const cw_address *holder, const char *channel,
                           const char *base_denom, uint64_t amount, bool success, char *err,
                           size_t err_len)
{
    char trace[CW_LEND_TRACE_DENOM_LEN + 1], kp[CW_KEY_MAX], kt[CW_KEY_MAX], ki[CW_KEY_MAX];
    char kr[CW_KEY_MAX];
    uint64_t pos = 0, total = 0, inflight, npos = 0, ntotal = 0, releasing;
    int rc;
    if (amount == 0)
        return cw_errf(err, err_len, CW_EINVAL, "release amount: must be greater than zero");
    if (cw_trace_denom(trace, channel, base_denom))
        return cw_errf(err, err_len, CW_EINVAL, "channel or base_denom: not an identifier");
    if ((rc = coll_keys(kp, kt, ki, holder, trace, channel, base_denom)) ||
        (rc = read_u64_rec(kv, ki, &inflight)) ||
        (rc = cw_key_collateral_releasing(kr, holder, trace)) ||
        (rc = read_u64_rec(kv, kr, &releasing)) ||
        (!success && ((rc = read_u64_rec(kv, kp, &pos)) || (rc = read_u64_rec(kv, kt, &total)))))
        return cw_errf(err, err_len, rc, "reading collateral: %s", cw_strerror(rc));
    if (inflight < amount)
        return cw_errf(err, err_len, CW_ESTATE,
                       "settling %llu but only %llu of %s is in flight",
                       (unsigned long long)amount, (unsigned long long)inflight, trace);
    if (!success && (cw_add_u64(&npos, pos, amount) || cw_add_u64(&ntotal, total, amount)))
        return cw_errf(err, err_len, CW_ESTATE, "re-credit overflows (corrupt state)");
    /* the holder's own record saturates: settling stays unconditional on state written
     * before the record existed */
    if ((rc = write_u64_rec(kv, ki, inflight - amount)) ||
        (rc = write_u64_rec(kv, kr, releasing > amount ? releasing - amount : 0)) ||
        (!success && ((rc = write_u64_rec(kv, kp, npos)) || (rc = write_u64_rec(kv, kt, ntotal)))))
        return cw_errf(err, err_len, rc, "writing collateral: %s", cw_strerror(rc));
    return CW_OK;
}

/* ---- readers ------------------------------------------------------------------------------- */

int cw_lend_markets(const cw_kv *kv, char assets[][CW_ID_MAX + 1], size_t *n)
{
    return load_market_list(kv, assets, n, NULL, 0);
}

int cw_lend_market_read(const cw_kv *kv, const char *asset, uint64_t now_ns,
                        cw_lend_params *params, cw_lend_market *market)
{
    mkt m;
    char names[CW_LEND_MAX_MARKETS][CW_ID_MAX + 1];
    size_t n = 0;
    int rc = CW_OK;
    memset(&m, 0, sizeof m);
    if (!asset) {
        rc = load_market_list(kv, names, &n, NULL, 0);
        if (rc == CW_OK && n == 0)
            rc = CW_ESTATE;
        asset = names[0];
    }
    if (rc == CW_OK)
        rc = load_market(kv, asset, &m, NULL, 0);
    if (rc == CW_OK && now_ns > m.s.last_accrual_ns && m.s.last_accrual_ns != 0)
        rc = accrue(&m, now_ns, NULL, 0);
    if (rc == CW_OK)
        rc = derive_rates(&m);
    if (rc)
        memset(&m, 0, sizeof m);
    if (params)
        *params = m.p;
    if (market)
        *market = m.s;
    return rc;
}

int cw_lend_account(const cw_kv *kv, uint64_t now_ns, cw_lend_account_info *out,
                    const cw_address *addr)
{
    book b;
    debts d;
    memset(out, 0, sizeof *out);
    int rc = load_book(kv, &b, NULL, 0);
    uint64_t last = 0;
    for (size_t i = 0; rc == CW_OK && i < b.n_mk; i++) {
        mkt *m = &b.mk[i];
        if (now_ns > m->s.last_accrual_ns && m->s.last_accrual_ns != 0)
            rc = accrue(m, now_ns, NULL, 0);
        if (m->s.last_accrual_ns > last)
            last = m->s.last_accrual_ns;
    }
    if (rc)
        return rc;
    if (now_ns == 0)
        now_ns = last;
    cw_lend_account_info a;
    memset(&a, 0, sizeof a);
    if ((rc = scan_debts(kv, &b, now_ns, addr, NULL, 0, &d)))
        return rc;
    a.debt_value = d.value;
    a.n_markets = b.n_mk;
    for (size_t i = 0; i < b.n_mk; i++) {
        const mkt *m = &b.mk[i];
        cw_lend_account_market *am = &a.markets[i];
        char ks[CW_KEY_MAX];
        cw_u128 value;
        snprintf(am->asset, sizeof am->asset, "%s", m->p.borrow_denom);
        am->scaled_debt = d.scaled[i];
        am->debt = d.debt[i];
        if ((rc = cw_key_lend_shares(ks, m->p.borrow_denom, addr)) ||
            (rc = read_u128_rec(kv, ks, &am->shares)))
            return rc;
        if (am->shares && m->s.total_shares && supply_value(&m->s, &value) == CW_OK &&
            cw_muldiv_u128(&am->supply_value, am->shares, value, m->s.total_shares,
                           CW_ROUND_DOWN))
            return CW_EOVERFLOW;
    }
    if ((rc = account_limit(kv, &b, now_ns, addr, W_LTV, NULL, 0, &a.borrow_limit)) ||
        (rc = account_limit(kv, &b, now_ns, addr, W_LT, NULL, 0, &a.liquidation_limit)))
        return rc;
    if (a.debt_value == 0)
        a.health_factor_wad = CW_U128_MAX;
    else if (cw_muldiv_u128(&a.health_factor_wad, a.liquidation_limit, CW_WAD, a.debt_value,
                            CW_ROUND_DOWN))
        a.health_factor_wad = CW_U128_MAX;
    *out = a;
    return CW_OK;
}

/* ---- msg handlers --------------------------------------------------------------------------- */

/* The pool's module account (one SHA-256; no global state). */
static cw_address pool_address(void)
{
    cw_address a;
    cw_module_address(&a, CW_LEND_POOL_ACCOUNT);
    return a;
}
static int pool_in(const cw_kv *kv, const cw_address *from, const char *denom, uint64_t amount,
                   char *err, size_t err_len)
{
    cw_address pool = pool_address();
    return cw_bank_send(kv, from, &pool, denom, amount, err, err_len);
}

static int pool_out(const cw_kv *kv, const cw_address *to, const char *denom, uint64_t amount,
                    char *err, size_t err_len)
{
    cw_address pool = pool_address();
    return cw_bank_send(kv, &pool, to, denom, amount, err, err_len);
}

static int require_key(const cw_exec_ctx *ctx, const cw_pubkey32 *key, const char *role,
                       char *err, size_t err_len)
{
    if (memcmp(ctx->signer_pk.b, key->b, 32) != 0)
        return cw_errf(err, err_len, CW_EUNAUTHORIZED, "only the %s key may do this", role);
    return CW_OK;
}

static int amount_nonzero(uint64_t amount, char *err, size_t err_len)
{
    return amount ? CW_OK
                  : cw_errf(err, err_len, CW_EINVAL, "amount: must be greater than zero");
}

/* How supply, withdraw_supply, borrow, repay, pause and withdraw_reserves start: a nonzero
 * amount (unless any_amount), the asset's market loaded, refused while `action` is paused
 * (0 for repay: never), and accrued to block time. */
static int open_market(const cw_exec_ctx *ctx, const char *asset, uint64_t amount,
                       bool any_amount, uint64_t action, mkt *m, char *err, size_t err_len)
{
    int rc;
    if ((!any_amount && (rc = amount_nonzero(amount, err, err_len))) ||
        (rc = load_market(ctx->kv, asset, m, err, err_len)) ||
        (rc = check_paused(m, action, err, err_len)))
        return rc;
    return accrue(m, ctx->time_ns, err, err_len);
}

/* open_market, then the account's [u128] record at key (shares or scaled debt). */
static int open_account(const cw_exec_ctx *ctx, const char *asset, uint64_t amount,
                        bool any_amount, uint64_t action, mkt *m, const char *key, cw_u128 *rec,
                        char *err, size_t err_len)
{
    int rc = open_market(ctx, asset, amount, any_amount, action, m, err, err_len);
    return rc ? rc : read_u128_rec(ctx->kv, key, rec);
}

/* The one writer of an account's scaled debt in a market — borrow, repay, liquidate and
 * write-off all end here — and so of the borrower index (DESIGN §8 "Borrower index"):
 * market/borrowers/{a} = [the number of markets where a has debt], present exactly while > 0,
 * and market/borrower_count = [how many such entries exist]. Saturating at 0, so debt from
 * before the index clears without an entry to remove. */
static int write_debt(const cw_kv *kv, const char *asset, const cw_address *a, cw_u128 scaled)
{
    char kd[CW_KEY_MAX], kb[CW_KEY_MAX];
    cw_u128 old;
    uint64_t n, total;
    int rc = cw_key_lend_debt(kd, asset, a);
    if (rc || (rc = read_u128_rec(kv, kd, &old)) || (rc = write_u128_rec(kv, kd, scaled)) ||
        (old == 0) == (scaled == 0))
        return rc;
    cw_key_lend_borrower(kb, a);
    if ((rc = read_u64_rec(kv, kb, &n)) ||
        (rc = read_u64_rec(kv, CW_KEY_LEND_BORROWER_COUNT, &total)))
        return rc;
    if (scaled > 0) { /* a debt starts in this market */
        total += n == 0;
        n++;
    } else if (n > 0) { /* one ends */
        n--;
        total -= n == 0 && total > 0;
    }
    if ((rc = write_u64_rec(kv, kb, n)))
        return rc;
    return write_u64_rec(kv, CW_KEY_LEND_BORROWER_COUNT, total);
}

/* How supply, withdraw_supply, borrow and repay end, once m holds the new books: amount
 * moves between the signer and the pool (into_pool: from the signer) through the bank,
 * whose failure writes nothing; then the market's state. The caller writes the account's
 * record. */
static int settle(cw_exec_ctx *ctx, const mkt *m, bool into_pool, uint64_t amount, char *err,
                  size_t err_len)
{
    const char *denom = m->p.borrow_denom;
    int rc = into_pool ? pool_in(ctx->kv, &ctx->signer, denom, amount, err, err_len)
                       : pool_out(ctx->kv, &ctx->signer, denom, amount, err, err_len);
    return rc ? rc : store_mkt(ctx->kv, m);
}

/* An account's debt from its scaled debt, which cannot exceed the market's total. */
static int account_debt(const mkt *m, cw_u128 scaled, cw_u128 *debt, char *err, size_t err_len)
{
    if (scaled > m->s.total_scaled_debt)
        return cw_errf(err, err_len, CW_ESTATE, "account debt above the market's total");
    if (debt_of(m, scaled, debt))
        return cw_errf(err, err_len, CW_EOVERFLOW, "debt overflows");
    return CW_OK;
}

/* The market's cash not lent out by a flash loan of the running tx (market/{asset}/flash):
 * what borrows, withdrawals, reserve withdrawals and further flash loans may take. */
static int flash_read(const cw_kv *kv, const char *asset, uint64_t *amount, uint64_t *fee)
{
    char key[CW_KEY_MAX];
    const uint8_t *v;
    size_t n;
    *amount = *fee = 0;
    int rc = cw_key_lend_flash(key, asset);
    if (rc || (rc = rec_get(kv, key, &v, &n)))
        return rc;
    return rec_corrupt(cw_val_u64_pair_dec(amount, fee, v, n, NULL, 0));
}

static int liquid_cash(const cw_kv *kv, const mkt *m, uint64_t *out)
{
    uint64_t lent, fee;
    *out = 0;
    int rc = flash_read(kv, m->p.borrow_denom, &lent, &fee);
    if (rc)
        return rc;
    *out = m->s.cash > lent ? m->s.cash - lent : 0;
    return CW_OK;
}

/* lend.supply and lend.withdraw_supply's event: who, how much, for how many shares. */
static void supply_event(cw_exec_ctx *ctx, const char *type, const mkt *m, uint64_t amount,
                         cw_u128 shares)
{
    char sh[41];
    u128_dec(sh, shares);
    cw_event_begin(ctx->events, type, 4);
    attr_addr(ctx, CW_ATTR_SUPPLIER, &ctx->signer);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, m->p.borrow_denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_AMOUNT, amount);
    cw_event_attr_str(ctx->events, CW_ATTR_SHARES, sh);
}

static int lend_supply(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_supply *msg = in;
    uint64_t amount = msg->amount;
    mkt m;
    char ks[CW_KEY_MAX];
    cw_u128 held, minted, value, nshares, total;
    uint64_t ncash;
    int rc;
    if (cw_key_lend_shares(ks, msg->asset, &ctx->signer))
        return cw_errf(err, err_len, CW_EINVAL, "asset: not an identifier");
    if ((rc = open_account(ctx, msg->asset, amount, false, CW_LEND_ACTION_SUPPLY, &m, ks, &held,
                           err, err_len)))
        return rc;
    if (supply_value(&m.s, &value))
        return cw_errf(err, err_len, CW_ESTATE, "market books inconsistent");
    /* supply cap (Aave v3 validateSupply): total supply = cash + borrows − reserves, what all
     * shares are worth, after the supply */
    if (m.p.supply_cap > 0 && value + amount > m.p.supply_cap) {
        char sv[41], sn[41];
        u128_dec(sv, value);
        u128_dec(sn, value + amount);
        return cw_errf(err, err_len, CW_ETOOBIG,
                       "supply of %llu would take total supply from %s to %s, above the "
                       "supply cap of %llu",
                       (unsigned long long)amount, sv, sn,
                       (unsigned long long)m.p.supply_cap);
    }
    if (m.s.total_shares == 0)
        minted = amount; /* first supplier: 1 share per base unit */
    else if (value == 0)
        return cw_errf(err, err_len, CW_ESTATE,
                       "suppliers' claim is zero after bad debt: supply refused");
    else if (cw_muldiv_u128(&minted, amount, m.s.total_shares, value, CW_ROUND_DOWN))
        return cw_errf(err, err_len, CW_EOVERFLOW, "shares overflow");
    if (minted == 0)
        return cw_errf(err, err_len, CW_EINVAL, "amount %llu is worth less than one share",
                       (unsigned long long)amount);
    if (cw_add_u64(&ncash, m.s.cash, amount) || cw_add_u128(&nshares, held, minted) ||
        cw_add_u128(&total, m.s.total_shares, minted))
        return cw_errf(err, err_len, CW_EOVERFLOW, "supply of %llu overflows the pool",
                       (unsigned long long)amount);
    m.s.cash = ncash;
    m.s.total_shares = total;
    m.s.supplied = sat_add(m.s.supplied, amount);
    if ((rc = settle(ctx, &m, true, amount, err, err_len)) ||
        (rc = write_u128_rec(ctx->kv, ks, nshares)))
        return rc;
    supply_event(ctx, CW_EV_LEND_SUPPLY, &m, amount, minted);
    return CW_OK;
}

static int lend_withdraw_supply(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_withdraw_supply *msg = in;
    uint64_t amount = msg->amount, cash;
    mkt m;
    char ks[CW_KEY_MAX];
    cw_u128 held, burned, value;
    int rc;
    if (msg->all && amount != 0)
        return cw_errf(err, err_len, CW_EINVAL,
                       "amount: must be 0 with all (all withdraws every share held)");
    if (cw_key_lend_shares(ks, msg->asset, &ctx->signer))
        return cw_errf(err, err_len, CW_EINVAL, "asset: not an identifier");
    if ((rc = open_account(ctx, msg->asset, amount, msg->all, CW_LEND_ACTION_WITHDRAW_SUPPLY,
                           &m, ks, &held, err, err_len)) ||
        (rc = liquid_cash(ctx->kv, &m, &cash)))
        return rc;
    if (held > m.s.total_shares)
        return cw_errf(err, err_len, CW_ESTATE, "account shares above the market's total");
    if (msg->all) {
        /* every share, paid at floor(held × value / total shares): all or nothing (Compound
         * v2 redeem(all cTokens)) */
        cw_u128 pay = 0;
        char sh[41], sp[41];
        if (held == 0)
            return cw_errf(err, err_len, CW_EINSUFFICIENT, "the account holds no shares");
        if (supply_value(&m.s, &value) ||
            cw_muldiv_u128(&pay, held, value, m.s.total_shares, CW_ROUND_DOWN))
            pay = 0;
        u128_dec(sh, held);
        u128_dec(sp, pay);
        if (pay == 0)
            return cw_errf(err, err_len, CW_EINSUFFICIENT,
                           "the account's %s shares are worth 0 %s: nothing to withdraw", sh,
                           m.p.borrow_denom);
        if (pay > cash)
            return cw_errf(err, err_len, CW_EINSUFFICIENT,
                           "liquidity: all %s shares are worth %s, the pool holds %llu; "
                           "nothing withdrawn (all or nothing: withdraw an amount instead)",
                           sh, sp, (unsigned long long)cash);
        amount = (uint64_t)pay; /* ≤ cash */
        burned = held;
    } else {
        if (amount > cash)
            return cw_errf(err, err_len, CW_EINSUFFICIENT,
                           "liquidity: the pool holds %llu, withdrawal of %llu",
                           (unsigned long long)cash, (unsigned long long)amount);
        if (supply_value(&m.s, &value) || value == 0 || m.s.total_shares == 0)
            return cw_errf(err, err_len, CW_EINSUFFICIENT, "no supplier value to withdraw");
        if (cw_muldiv_u128(&burned, amount, m.s.total_shares, value, CW_ROUND_UP))
            return cw_errf(err, err_len, CW_EOVERFLOW, "shares overflow");
        if (burned > held) {
            char sh[41], sb[41];
            u128_dec(sh, held);
            u128_dec(sb, burned);
            return cw_errf(err, err_len, CW_EINSUFFICIENT,
                           "withdrawal of %llu needs %s shares, account holds %s",
                           (unsigned long long)amount, sb, sh);
        }
    }
    m.s.cash -= amount;
    m.s.total_shares -= burned; /* burned ≤ held ≤ total */
    m.s.withdrawn = sat_add(m.s.withdrawn, amount);
    if ((rc = settle(ctx, &m, false, amount, err, err_len)) ||
        (rc = write_u128_rec(ctx->kv, ks, held - burned)))
        return rc;
    supply_event(ctx, CW_EV_LEND_WITHDRAW_SUPPLY, &m, amount, burned);
    return CW_OK;
}

/* How borrow and liquidate start: every market and collateral loaded, the named market
 * found and not paused for `action`, every market accrued (in memory) to block time. */
static int open_book(const cw_exec_ctx *ctx, const char *asset, uint64_t action, book *b,
                     mkt **m, char *err, size_t err_len)
{
    int rc;
    *m = NULL;
    if ((rc = load_book(ctx->kv, b, err, err_len)))
        return rc;
    if (!(*m = find_mkt(b, asset, err, err_len)))
        return CW_ENOTFOUND;
    if ((rc = check_paused(*m, action, err, err_len)))
        return rc;
    return accrue_all(b, ctx->time_ns, err, err_len);
}

static int lend_borrow(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_borrow *msg = in;
    uint64_t amount = msg->amount, cash;
    book b;
    mkt *m;
    cw_u128 scaled, add, nscaled, ntotal, debt, limit;
    debts d;
    price_view pv;
    int rc;
    if ((rc = amount_nonzero(amount, err, err_len)) ||
        (rc = open_book(ctx, msg->asset, CW_LEND_ACTION_BORROW, &b, &m, err, err_len)) ||
        (rc = liquid_cash(ctx->kv, m, &cash)))
        return rc;
    if (amount > cash)
        return cw_errf(err, err_len, CW_EINSUFFICIENT,
                       "liquidity: the pool holds %llu, borrow of %llu",
                       (unsigned long long)cash, (unsigned long long)amount);
    /* the borrowed asset needs a fresh price, not in its grace period (DESIGN §8) */
    if ((rc = asset_price(ctx->kv, &b, (size_t)(m - b.mk), ctx->time_ns, &pv)))
        return rc;
    if (!pv.fresh || pv.in_grace)
        return cw_errf(err, err_len, CW_ESTALE, "no fresh price for %s: borrowing refused",
                       m->p.borrow_denom);
    if ((rc = scan_debts(ctx->kv, &b, ctx->time_ns, &ctx->signer, NULL, 0, &d)))
        return rc;
    scaled = d.scaled[m - b.mk];
    /* scaled added rounds up: the borrower owes at least amount (Aave v2 rayDiv, protocol side) */
    if (cw_muldiv_u128(&add, amount, CW_WAD, m->s.borrow_index_wad, CW_ROUND_UP) ||
        cw_add_u128(&nscaled, scaled, add) ||
        cw_add_u128(&ntotal, m->s.total_scaled_debt, add) || debt_of(m, nscaled, &debt))
        return cw_errf(err, err_len, CW_EOVERFLOW, "debt overflows");
    /* borrow cap (Aave v3 validateBorrow): total borrows after the borrow */
    if (m->p.borrow_cap > 0) {
        cw_u128 nb;
        if (cw_muldiv_u128(&nb, ntotal, m->s.borrow_index_wad, CW_WAD, CW_ROUND_DOWN))
            nb = CW_U128_MAX;
        if (nb > m->p.borrow_cap) {
            char sb[41], sn[41];
            u128_dec(sb, m->s.total_borrows);
            u128_dec(sn, nb);
            return cw_errf(err, err_len, CW_ETOOBIG,
                           "borrow of %llu would take total borrows from %s to %s, above the "
                           "borrow cap of %llu",
                           (unsigned long long)amount, sb, sn,
                           (unsigned long long)m->p.borrow_cap);
        }
    }
    /* every debt, this one with the borrow, valued in the price unit, within the limit */
    if ((rc = scan_debts(ctx->kv, &b, ctx->time_ns, &ctx->signer, m, nscaled, &d)) ||
        (rc = stale_debt(&b, &d, "borrow", err, err_len)) ||
        (rc = account_limit(ctx->kv, &b, ctx->time_ns, &ctx->signer, W_LTV, NULL, 0, &limit)))
        return rc;
    if (limit < d.value) {
        char sd[41], sl[41];
        u128_dec(sd, d.value);
        u128_dec(sl, limit);
        return cw_errf(err, err_len, CW_EUNHEALTHY,
                       "debt after borrowing would be %s, borrow limit is %s", sd, sl);
    }
    m->s.cash -= amount;
    set_scaled(m, ntotal);
    if ((rc = settle(ctx, m, false, amount, err, err_len)) ||
        (rc = write_debt(ctx->kv, m->p.borrow_denom, &ctx->signer, nscaled)))
        return rc;
    cw_event_begin(ctx->events, CW_EV_LEND_BORROW, 3);
    attr_addr(ctx, CW_ATTR_BORROWER, &ctx->signer);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, m->p.borrow_denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_AMOUNT, amount);
    return CW_OK;
}

static int lend_repay(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_repay *msg = in;
    uint64_t amount = msg->amount;
    cw_address borrower = msg->has_on_behalf_of ? msg->on_behalf_of : ctx->signer;
    mkt m;
    char kd[CW_KEY_MAX];
    cw_u128 scaled, debt, removed;
    int rc;
    if (cw_key_lend_debt(kd, msg->asset, &borrower))
        return cw_errf(err, err_len, CW_EINVAL, "asset: not an identifier");
    if ((rc = open_account(ctx, msg->asset, amount, false, 0 /* repay is never paused */, &m,
                           kd, &scaled, err, err_len)) ||
        (rc = account_debt(&m, scaled, &debt, err, err_len)))
        return rc;
    if (debt == 0)
        return cw_errf(err, err_len, CW_ESTATE, "nothing to repay");
    uint64_t pay = amount;
    if ((cw_u128)pay >= debt) {
        pay = (uint64_t)debt; /* repaying more than owed repays what is owed */
        removed = scaled;
    } else if (cw_muldiv_u128(&removed, pay, CW_WAD, m.s.borrow_index_wad, CW_ROUND_DOWN) ||
               removed == 0) {
        return cw_errf(err, err_len, CW_EINVAL,
                       "repay of %llu is smaller than one unit of scaled debt",
                       (unsigned long long)amount);
    }
    uint64_t ncash;
    if (cw_add_u64(&ncash, m.s.cash, pay))
        return cw_errf(err, err_len, CW_EOVERFLOW, "pool cash overflows");
    m.s.cash = ncash;
    set_scaled(&m, m.s.total_scaled_debt - removed); /* removed ≤ scaled ≤ total */
    if ((rc = settle(ctx, &m, true, pay, err, err_len)) ||
        (rc = write_debt(ctx->kv, m.p.borrow_denom, &borrower, scaled - removed)))
        return rc;
    cw_event_begin(ctx->events, CW_EV_LEND_REPAY, 4);
    attr_addr(ctx, CW_ATTR_PAYER, &ctx->signer);
    attr_addr(ctx, CW_ATTR_BORROWER, &borrower);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, m.p.borrow_denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_AMOUNT, pay);
    return CW_OK;
}

/* Write off what borrower owes in every market of b (DESIGN §8, "bad debt is recorded, never
 * hidden"): each market's remaining debt leaves its books, against its reserves first, the
 * rest against its suppliers, recorded in its stats and by an event lend_bad_debt — except
 * in a market whose admin paused liquidation (a pause stops its write-offs too; a
 * liquidation naming that market clears the debt once resumed). d holds the borrower's
 * scaled debts as the liquidation left them (the liquidated market's already reduced).
 * Writes every market it touches. */
static int write_off_all(cw_exec_ctx *ctx, book *b, const cw_address *borrower, debts *d)
{
    int rc;
    for (size_t i = 0; i < b->n_mk; i++) {
        mkt *m = &b->mk[i];
        cw_u128 rem = d->scaled[i];
        if (rem == 0 || (m->s.paused_actions & CW_LEND_ACTION_LIQUIDATE))
            continue;
        if (rem > m->s.total_scaled_debt)
            return CW_ESTATE; /* an account above its market's total: corrupt state */
        cw_u128 before = m->s.total_borrows;
        set_scaled(m, m->s.total_scaled_debt - rem);
        cw_u128 bad = before - m->s.total_borrows; /* what leaves the books */
        cw_u128 from_res = bad < m->s.reserves ? bad : m->s.reserves;
        cw_u128 social = bad - from_res;
        m->s.reserves -= from_res;
        m->s.bad_debt = sat_add(m->s.bad_debt, bad);
        m->s.bad_debt_from_reserves = sat_add(m->s.bad_debt_from_reserves, from_res);
        m->s.bad_debt_socialized = sat_add(m->s.bad_debt_socialized, social);
        d->scaled[i] = 0;
        if ((rc = store_mkt(ctx->kv, m)) ||
            (rc = write_debt(ctx->kv, m->p.borrow_denom, borrower, 0)))
            return rc;
        char sb[41], sr[41], ss[41];
        u128_dec(sb, bad);
        u128_dec(sr, from_res);
        u128_dec(ss, social);
        cw_event_begin(ctx->events, CW_EV_LEND_BAD_DEBT, 5);
        attr_addr(ctx, CW_ATTR_BORROWER, borrower);
        cw_event_attr_str(ctx->events, CW_ATTR_DENOM, m->p.borrow_denom);
        cw_event_attr_str(ctx->events, CW_ATTR_AMOUNT, sb);
        cw_event_attr_str(ctx->events, CW_ATTR_FROM_RESERVES, sr);
        cw_event_attr_str(ctx->events, CW_ATTR_SOCIALIZED, ss);
    }
    return CW_OK;
}

/* Is borrower (d: its debts in every market, d->value > 0) liquidatable now? Health < 1 on
 * fresh prices (Σ collateral × lt against Σ debts, in the price unit), and no liquidation on
 * the strength of a stale price (Aave v3 PriceOracleSentinel, per denom): a position worth
 * ≥ 1 base unit whose price is stale blocks it, as does a debt whose asset's price is stale;
 * one whose price resumed within the grace period blocks it unless health < 0.95.
 * *h: the borrower's holdings; *hf: health factor. lend.liquidate and the keeper's quote
 * (cw_lend_liquidation_quote) both decide here. */
static int liq_eligible(const cw_kv *kv, const book *b, const debts *d, uint64_t now_ns,
                        const cw_address *borrower, holdings *h, cw_u128 *hf, char *err,
                        size_t err_len)
{
    int rc;
    *hf = CW_U128_MAX;
    if ((rc = scan_holdings(kv, b, now_ns, borrower, NULL, 0, h)))
        return rc;
    if (cw_muldiv_u128(hf, h->lt_limit, CW_WAD, d->value, CW_ROUND_DOWN))
        *hf = CW_U128_MAX;
    if (h->lt_limit >= d->value) /* healthy even with stale collateral counted 0 */
        return cw_errf(err, err_len, CW_ESTATE,
                       "position is healthy (health factor >= 1): not liquidatable");
    if (h->stale)
        return cw_errf(err, err_len, CW_ESTALE,
                       "the borrower's %s has a stale price: no liquidation until it resumes "
                       "(and its grace period passes)",
                       h->stale->trace_denom);
    if ((rc = stale_debt(b, d, "liquidation", err, err_len)))
        return rc;
    if (h->grace && *hf >= CW_LEND_FULL_CLOSE_HF_WAD)
        return cw_errf(err, err_len, CW_ESTALE,
                       "the price of %s resumed within the grace period (until %llu ns): "
                       "liquidation only below health 0.95 until then",
                       h->grace->trace_denom, (unsigned long long)h->grace_until);
    return CW_OK;
}

/* The most one liquidation repaying m's asset (price pa in the price unit; debt in it) and
 * seizing c (fresh price `price`, borrower's position pos_b) may repay at health hf — the
 * close factor (Aave v3 / v3.3): the whole debt when health < 0.95, when a close-factor
 * repay could not remove one unit of scaled debt, or when a close-factor liquidation would
 * leave the debt, or the position in this denom, worth less than dust_threshold (base units
 * of m's asset). CW_EOVERFLOW when the debt overflows. */
static int liq_max_repay(const mkt *m, const cw_lend_collateral *c, cw_u128 debt, cw_u128 hf,
                         cw_u128 pa, cw_u128 price, uint64_t pos_b, cw_u128 *out)
{
    cw_u128 cf_repay, cf_removed, cf_seize;
    const cw_u128 gross_bps = BPS + c->liquidation_bonus_bps;
    bool full = hf < CW_LEND_FULL_CLOSE_HF_WAD;
    *out = 0;
    if (cw_muldiv_u128(&cf_repay, debt, m->p.close_factor_bps, BPS, CW_ROUND_DOWN))
        return CW_EOVERFLOW;
    if (!full && (cw_muldiv_u128(&cf_removed, cf_repay, CW_WAD, m->s.borrow_index_wad,
                                 CW_ROUND_DOWN) ||
                  cf_removed == 0))
        full = true;
    if (!full && debt - cf_repay < m->p.dust_threshold)
        full = true;
    if (!full && m->p.dust_threshold > 0) {
        cw_u128 left_in_asset;
        if (cf_repay > CW_U128_MAX / gross_bps ||
            cw_muldiv_u128(&cf_seize, cf_repay * gross_bps, pa, price, CW_ROUND_DOWN))
            cf_seize = CW_U128_MAX;
        cf_seize /= BPS;
        if (cf_seize < pos_b &&
            (cw_muldiv_u128(&left_in_asset, pos_b - (uint64_t)cf_seize, price, pa,
                            CW_ROUND_DOWN) ||
             left_in_asset < m->p.dust_threshold))
            full = true;
    }
    *out = full ? debt : cf_repay;
    return CW_OK;
}

/* Source: DESIGN §8; Compound v2 liquidateBorrow / liquidateCalculateSeizeTokens; Aave v2
 * LendingPoolCollateralManager (cap of the seize by the position, repay recomputed); Aave v3
 * (debt in one reserve, collateral in another, both valued in the base currency). */
static int lend_liquidate(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_liquidate *msg = in;
    const cw_address borrower = msg->borrower;
    const char *trace = msg->collateral;
    uint64_t repay = msg->repay_amount;
    book b;
    mkt *m;
    const cw_lend_collateral *c;
    char kpb[CW_KEY_MAX], kpl[CW_KEY_MAX];
    cw_u128 scaled, debt, max_repay, hf, price = 0, removed;
    uint64_t pos_b, pos_l, npos_l, ncash, seize = 0;
    bool fresh, capped = false;
    holdings h;
    debts d;
    price_view ap;
    int rc;
    if ((rc = amount_nonzero(repay, err, err_len)) ||
        (rc = open_book(ctx, msg->asset, CW_LEND_ACTION_LIQUIDATE, &b, &m, err, err_len)))
        return rc;
    const size_t mi = (size_t)(m - b.mk);
    if (!(c = find_col(&b, trace)))
        return cw_errf(err, err_len, CW_ENOTFOUND, "collateral %s is not registered", trace);
    if (memcmp(borrower.b, ctx->signer.b, 20) == 0)
        return cw_errf(err, err_len, CW_EINVAL, "a borrower cannot liquidate itself");
    if ((rc = cw_key_collateral_position(kpb, &borrower, trace)) ||
        (rc = cw_key_collateral_position(kpl, &ctx->signer, trace)) ||
        (rc = scan_debts(ctx->kv, &b, ctx->time_ns, &borrower, NULL, 0, &d)) ||
        (rc = read_u64_rec(ctx->kv, kpb, &pos_b)) || (rc = read_u64_rec(ctx->kv, kpl, &pos_l)))
        return rc;
    scaled = d.scaled[mi];
    if ((rc = account_debt(m, scaled, &debt, err, err_len)))
        return rc;
    if (debt == 0)
        return cw_errf(err, err_len, CW_ESTATE, "borrower has no debt in %s",
                       m->p.borrow_denom);
    if ((rc = liq_eligible(ctx->kv, &b, &d, ctx->time_ns, &borrower, &h, &hf, err, err_len)) ||
        (rc = asset_price(ctx->kv, &b, mi, ctx->time_ns, &ap)))
        return rc;
    const cw_u128 pa = ap.price; /* fresh: liq_eligible passed and the account owes in it */

    /* the seized denom needs a fresh price */
    if ((rc = fresh_price(ctx->kv, &b.mk[0].p, ctx->time_ns, trace, &price, &fresh)))
        return rc;
    if (pos_b == 0 || !fresh) {
        /* nothing of this denom to seize (none, or dust without a fresh price): only a
         * write-off, and only when nothing is left */
        if (h.left > 0 && pos_b == 0)
            return cw_errf(err, err_len, CW_EINSUFFICIENT, "borrower has no %s to seize",
                           trace);
        if (h.left > 0)
            return cw_errf(err, err_len, CW_ESTALE, "no fresh price for %s", trace);
        repay = 0;
        removed = 0;
        goto write_off;
    }

    if (liq_max_repay(m, c, debt, hf, pa, price, pos_b, &max_repay))
        return cw_errf(err, err_len, CW_EOVERFLOW, "debt overflows");
    if ((cw_u128)repay > max_repay) {
        char sm[41];
        u128_dec(sm, max_repay);
        return cw_errf(err, err_len, CW_EINVAL,
                       "repay %llu exceeds the close factor: at most %s", (unsigned long long)repay,
                       sm);
    }
    /* seize = floor(repay × price_asset × (1 + bonus) / price); a seize capped by the
     * position takes all of it and cuts the repay (causeway/liquidation.h, the one definition
     * the keeper uses too); price_asset = WAD for the price unit's market */
    if (cw_liq_seize(&seize, &repay, repay, c->liquidation_bonus_bps, pa, price, pos_b))
        return cw_errf(err, err_len, CW_EOVERFLOW, "repay overflows");
    if (seize == 0)
        return cw_errf(err, err_len, CW_EINVAL, "repay %llu seizes no collateral at price",
                       (unsigned long long)repay);
    capped = seize == pos_b;
    /* a seize that takes the whole position always goes through, even when its (cut) repay
     * is below one unit of scaled debt: the position must be clearable, and the write-off
     * below then takes what remains */
    if ((cw_u128)repay >= debt)
        removed = scaled;
    else if (cw_muldiv_u128(&removed, repay, CW_WAD, m->s.borrow_index_wad, CW_ROUND_DOWN) ||
             (removed == 0 && !capped))
        return cw_errf(err, err_len, CW_EINVAL, "repay %llu is below one unit of scaled debt",
                       (unsigned long long)repay);
    if ((rc = scan_holdings(ctx->kv, &b, ctx->time_ns, &borrower, trace, pos_b - seize, &h)))
        return rc;

write_off:;
    /* bad debt: nothing worth a unit is left (positions and releases in flight) and debt
     * remains, in any market → write every market's off (write_off_all) */
    if (cw_add_u64(&npos_l, pos_l, seize) || cw_add_u64(&ncash, m->s.cash, repay))
        return cw_errf(err, err_len, CW_EOVERFLOW, "liquidator position or pool cash overflows");
    if (repay > 0 && (rc = pool_in(ctx->kv, &ctx->signer, m->p.borrow_denom, repay, err,
                                   err_len)))
        return rc;
    m->s.cash = ncash;
    set_scaled(m, m->s.total_scaled_debt - removed);
    d.scaled[mi] = scaled - removed;
    if ((rc = store_mkt(ctx->kv, m)) ||
        (rc = write_debt(ctx->kv, m->p.borrow_denom, &borrower, scaled - removed)) ||
        (seize > 0 && ((rc = write_u64_rec(ctx->kv, kpb, pos_b - seize)) ||
                       (rc = write_u64_rec(ctx->kv, kpl, npos_l)))))
        return rc;
    cw_event_begin(ctx->events, CW_EV_LEND_LIQUIDATE, 6);
    attr_addr(ctx, CW_ATTR_LIQUIDATOR, &ctx->signer);
    attr_addr(ctx, CW_ATTR_BORROWER, &borrower);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, m->p.borrow_denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_REPAY_AMOUNT, repay);
    cw_event_attr_str(ctx->events, CW_ATTR_COLLATERAL, trace);
    cw_event_attr_u64(ctx->events, CW_ATTR_SEIZED, seize);
    if (h.left == 0 && (rc = write_off_all(ctx, &b, &borrower, &d)))
        return rc;
    return CW_OK;
}

int cw_lend_liquidation_quote(const cw_kv *kv, uint64_t now_ns, const cw_address *borrower,
                              cw_rpc_lend_quote *out)
{
    book b;
    holdings h;
    debts d;
    int rc, refusal;
    memset(out, 0, sizeof *out);
    out->borrower = *borrower;
    out->health_factor_wad = CW_U128_MAX;
    if ((rc = load_book(kv, &b, NULL, 0)) || (rc = accrue_all(&b, now_ns, NULL, 0)) ||
        (rc = scan_debts(kv, &b, now_ns, borrower, NULL, 0, &d)))
        return rc;
    for (size_t i = 0; i < b.n_mk; i++)
        if (d.scaled[i] > b.mk[i].s.total_scaled_debt)
            return CW_ESTATE; /* an account above its market's total: corrupt state */
    out->debt_value = d.value;
    /* what lend.liquidate would answer, decided by the same functions; a market whose
     * liquidation is paused is left out by its items' max_repay 0 */
    if (d.value == 0)
        refusal = cw_errf(out->reason, sizeof out->reason, CW_ESTATE, "borrower has no debt");
    else
        refusal = liq_eligible(kv, &b, &d, now_ns, borrower, &h, &out->health_factor_wad,
                               out->reason, sizeof out->reason);
    if (refusal != CW_OK && refusal != CW_ESTATE && refusal != CW_ESTALE)
        return refusal; /* a store error, not an answer */
    out->refusal = (uint32_t)-refusal;
    if (refusal == CW_OK)
        out->reason[0] = '\0';
    for (size_t mi = 0; mi < b.n_mk; mi++) {
        const mkt *m = &b.mk[mi];
        price_view ap;
        if (d.debt[mi] == 0)
            continue;
        if ((rc = asset_price(kv, &b, mi, now_ns, &ap)))
            return rc;
        bool allowed = refusal == CW_OK && ap.fresh &&
                       !(m->s.paused_actions & CW_LEND_ACTION_LIQUIDATE);
        for (size_t i = 0; i < b.n_col; i++) {
            const cw_lend_collateral *c = &b.col[i];
            cw_liq_option *o = &out->items[out->n];
            uint64_t pos;
            price_view pv;
            if ((rc = cw_lend_position(kv, &pos, borrower, c->trace_denom)))
                return rc;
            if (pos == 0)
                continue;
            if ((rc = view_price(kv, &b.mk[0].p, now_ns, c->trace_denom, &pv)))
                return rc;
            snprintf(o->asset, sizeof o->asset, "%s", m->p.borrow_denom);
            o->debt = d.debt[mi];
            o->asset_price_wad = ap.price;
            memcpy(o->trace_denom, c->trace_denom, sizeof o->trace_denom);
            o->position = pos;
            o->price_wad = pv.price;
            o->bonus_bps = c->liquidation_bonus_bps;
            o->fresh = pv.fresh;
            if (allowed && pv.fresh &&
                liq_max_repay(m, c, d.debt[mi], out->health_factor_wad, ap.price, pv.price, pos,
                              &o->max_repay))
                o->max_repay = 0;
            out->n++;
        }
    }
    return CW_OK;
}

/* The collateral app's channel must be OPEN before the admin registers it (DESIGN §8),
 * read through the IBC host with the contract's ChannelEnd decoder (causeway/packet.h). */
static int channel_open(const cw_kv *kv, const char *channel, char *err, size_t err_len)
{
    cw_channel_end ce;
    int rc = cw_ibc_channel(kv, CW_LEND_PORT, channel, &ce);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, CW_ESTATE, "channel %s on port %s does not exist", channel,
                       CW_LEND_PORT);
    if (rc)
        return cw_errf(err, err_len, rc, "channel %s: %s", channel, cw_strerror(rc));
    if (ce.state != CW_CHAN_OPEN)
        return cw_errf(err, err_len, CW_ESTATE, "channel %s is not OPEN (state %u)", channel,
                       ce.state);
    return CW_OK;
}

static int lend_register_collateral(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_register_collateral *msg = in;
    cw_lend_collateral c = {.ltv_bps = msg->ltv_bps,
                            .liquidation_threshold_bps = msg->liquidation_threshold_bps,
                            .liquidation_bonus_bps = msg->liquidation_bonus_bps};
    memcpy(c.channel, msg->channel, sizeof c.channel);
    memcpy(c.base_denom, msg->base_denom, sizeof c.base_denom);
    book m;
    int rc;
    if ((rc = load_book(ctx->kv, &m, err, err_len)) ||
        (rc = require_key(ctx, &m.mk[0].p.admin, "admin", err, err_len)) ||
        (rc = cw_lend_collateral_params_validate(c.ltv_bps, c.liquidation_threshold_bps,
                                                 c.liquidation_bonus_bps, err, err_len)))
        return rc;
    if (cw_trace_denom(c.trace_denom, c.channel, c.base_denom))
        return cw_errf(err, err_len, CW_EINVAL, "bad channel or base denom");
    if (find_col(&m, c.trace_denom))
        return cw_errf(err, err_len, CW_EEXISTS, "collateral %s/%s is already registered",
                       c.channel, c.base_denom);
    if (m.n_col == CW_LEND_MAX_COLLATERALS)
        return cw_errf(err, err_len, CW_ETOOBIG, "at most %d collateral denoms",
                       CW_LEND_MAX_COLLATERALS);
    if ((rc = channel_open(ctx->kv, c.channel, err, err_len)))
        return rc;
    m.col[m.n_col++] = c;
    if ((rc = store_collateral(ctx->kv, &c)) || (rc = store_collaterals(ctx->kv, &m)))
        return rc;
    cw_event_begin(ctx->events, CW_EV_LEND_REGISTER_COLLATERAL, 6);
    cw_event_attr_str(ctx->events, CW_ATTR_CHANNEL, c.channel);
    cw_event_attr_str(ctx->events, CW_ATTR_BASE_DENOM, c.base_denom);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, c.trace_denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_LTV_BPS, c.ltv_bps);
    cw_event_attr_u64(ctx->events, CW_ATTR_LIQUIDATION_THRESHOLD_BPS, c.liquidation_threshold_bps);
    cw_event_attr_u64(ctx->events, CW_ATTR_LIQUIDATION_BONUS_BPS, c.liquidation_bonus_bps);
    return CW_OK;
}

static int lend_update_market(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_update_market *msg = in;
    book bk;
    mkt *mp;
    int rc;
    if ((rc = load_book(ctx->kv, &bk, err, err_len)) ||
        (rc = require_key(ctx, &bk.mk[0].p.admin, "admin", err, err_len)))
        return rc;
    if (!(mp = find_mkt(&bk, msg->asset, err, err_len)))
        return CW_ENOTFOUND;
    cw_lend_params np = mp->p;
    cw_lend_collateral upd[CW_LEND_MAX_COLLATERALS];
    const bool has_market = msg->has_market;
    const uint32_t n = msg->n_collaterals;
    if (has_market) {
        np.base_rate_wad = msg->market.base_rate_wad;
        np.slope1_wad = msg->market.slope1_wad;
        np.kink_wad = msg->market.kink_wad;
        np.slope2_wad = msg->market.slope2_wad;
        np.close_factor_bps = msg->market.close_factor_bps;
        np.reserve_factor_bps = msg->market.reserve_factor_bps;
        np.max_price_age_ns = msg->market.max_price_age_ns;
        np.liquidation_grace_ns = msg->market.liquidation_grace_ns;
        np.dust_threshold = msg->market.dust_threshold;
        np.supply_cap = msg->market.supply_cap;
        np.borrow_cap = msg->market.borrow_cap;
        np.flash_fee_bps = msg->market.flash_fee_bps;
    }
    for (uint32_t i = 0; i < n; i++) {
        const cw_msg_lend_collateral_update *u = &msg->collaterals[i];
        const cw_lend_collateral *c = find_col(&bk, u->denom);
        if (!c)
            return cw_errf(err, err_len, CW_ENOTFOUND, "collateral %s is not registered",
                           u->denom);
        if ((rc = cw_lend_collateral_params_validate(u->ltv_bps, u->liquidation_threshold_bps,
                                                     u->liquidation_bonus_bps, err, err_len)))
            return cw_err_prefix(err, err_len, rc, u->denom);
        upd[i] = *c;
        upd[i].ltv_bps = u->ltv_bps;
        upd[i].liquidation_threshold_bps = u->liquidation_threshold_bps;
        upd[i].liquidation_bonus_bps = u->liquidation_bonus_bps;
    }
    if (has_market && (rc = cw_lend_params_validate(&np, err, err_len)))
        return rc;
    /* interest up to now accrues at the old rates (Compound v2 _setInterestRateModel) */
    if ((rc = accrue(mp, ctx->time_ns, err, err_len)))
        return rc;
    if (has_market) {
        /* max_price_age_ns and liquidation_grace_ns are chain-wide: every market's params
         * take the new values (and are re-checked with them) */
        cw_lend_params q[CW_LEND_MAX_MARKETS];
        for (size_t i = 0; i < bk.n_mk; i++) { /* every check before any write */
            q[i] = &bk.mk[i] == mp ? np : bk.mk[i].p;
            q[i].max_price_age_ns = np.max_price_age_ns;
            q[i].liquidation_grace_ns = np.liquidation_grace_ns;
            if ((rc = cw_lend_params_validate(&q[i], err, err_len)))
                return cw_err_prefix(err, err_len, rc, q[i].borrow_denom);
        }
        for (size_t i = 0; i < bk.n_mk; i++)
            if ((rc = store_params(ctx->kv, &q[i])))
                return rc;
    }
    if ((rc = store_mkt(ctx->kv, mp)))
        return rc;
    for (uint32_t i = 0; i < n; i++)
        if ((rc = store_collateral(ctx->kv, &upd[i])))
            return rc;
    cw_event_begin(ctx->events, CW_EV_LEND_UPDATE_MARKET, 3);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, mp->p.borrow_denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_MARKET_PARAMS, has_market);
    cw_event_attr_u64(ctx->events, CW_ATTR_COLLATERALS, n);
    for (uint32_t i = 0; i < n; i++) {
        cw_event_begin(ctx->events, CW_EV_LEND_UPDATE_COLLATERAL, 4);
        cw_event_attr_str(ctx->events, CW_ATTR_DENOM, upd[i].trace_denom);
        cw_event_attr_u64(ctx->events, CW_ATTR_LTV_BPS, upd[i].ltv_bps);
        cw_event_attr_u64(ctx->events, CW_ATTR_LIQUIDATION_THRESHOLD_BPS,
                          upd[i].liquidation_threshold_bps);
        cw_event_attr_u64(ctx->events, CW_ATTR_LIQUIDATION_BONUS_BPS, upd[i].liquidation_bonus_bps);
    }
    return CW_OK;
}

static int lend_pause(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_pause *msg = in;
    mkt m;
    int rc;
    if ((rc = load_market(ctx->kv, msg->asset, &m, err, err_len)) ||
        (rc = require_key(ctx, &m.p.admin, "admin", err, err_len)))
        return rc;
    if (msg->actions == 0)
        return cw_errf(err, err_len, CW_EINVAL, "actions: none named");
    if (msg->actions & ~(uint64_t)CW_LEND_ACTION_ALL)
        return cw_errf(err, err_len, CW_EINVAL,
                       "actions: unknown bits 0x%llx (supply 1, borrow 2, liquidate 4, "
                       "withdraw_supply 8, withdraw_collateral 16, flash_loan 32; repay is "
                       "never paused)",
                       (unsigned long long)(msg->actions & ~(uint64_t)CW_LEND_ACTION_ALL));
    if ((rc = accrue(&m, ctx->time_ns, err, err_len)))
        return rc;
    if (msg->paused)
        m.s.paused_actions |= msg->actions;
    else
        m.s.paused_actions &= ~msg->actions;
    if ((rc = store_mkt(ctx->kv, &m)))
        return rc;
    cw_event_begin(ctx->events, CW_EV_LEND_PAUSE, 4);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, m.p.borrow_denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_ACTIONS, msg->actions);
    cw_event_attr_u64(ctx->events, CW_ATTR_PAUSED, msg->paused);
    cw_event_attr_u64(ctx->events, CW_ATTR_PAUSED_ACTIONS, m.s.paused_actions);
    return CW_OK;
}

/* Compound v2 _reduceReserves: the admin pays reserves out of the pool's cash. */
static int lend_withdraw_reserves(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_withdraw_reserves *msg = in;
    const uint64_t amount = msg->amount;
    mkt m;
    char sr[41];
    uint64_t cash;
    int rc;
    if ((rc = load_market(ctx->kv, msg->asset, &m, err, err_len)) ||
        (rc = require_key(ctx, &m.p.admin, "admin", err, err_len)) ||
        (rc = amount_nonzero(amount, err, err_len)) ||
        (rc = accrue(&m, ctx->time_ns, err, err_len)) ||
        (rc = liquid_cash(ctx->kv, &m, &cash)))
        return rc;
    cw_address pool = pool_address();
    if (memcmp(msg->to.b, pool.b, 20) == 0)
        return cw_errf(err, err_len, CW_EINVAL, "to: the pool itself (reserves stay in it)");
    u128_dec(sr, m.s.reserves);
    if ((cw_u128)amount > m.s.reserves)
        return cw_errf(err, err_len, CW_EINSUFFICIENT,
                       "withdrawal of %llu exceeds the reserves of %s",
                       (unsigned long long)amount, sr);
    if (amount > cash)
        return cw_errf(err, err_len, CW_EINSUFFICIENT,
                       "liquidity: the pool holds %llu, reserve withdrawal of %llu",
                       (unsigned long long)cash, (unsigned long long)amount);
    m.s.cash -= amount;
    m.s.reserves -= amount; /* utilization is unchanged: cash and reserves fall together */
    if ((rc = pool_out(ctx->kv, &msg->to, m.p.borrow_denom, amount, err, err_len)) ||
        (rc = store_mkt(ctx->kv, &m)))
        return rc;
    u128_dec(sr, m.s.reserves);
    cw_event_begin(ctx->events, CW_EV_LEND_WITHDRAW_RESERVES, 4);
    attr_addr(ctx, CW_ATTR_TO, &msg->to);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, m.p.borrow_denom);
    cw_event_attr_u64(ctx->events, CW_ATTR_AMOUNT, amount);
    cw_event_attr_str(ctx->events, CW_ATTR_RESERVES, sr);
    return CW_OK;
}

static int oracle_set_price(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_oracle_set_price *msg = in;
    const char *trace = msg->denom;
    const cw_u128 price = msg->price_wad;
    const uint64_t t = msg->time_ns;
    cw_lend_params p;
    cw_u128 old;
    uint64_t old_t, old_since, since = 0;
    char names[CW_LEND_MAX_MARKETS][CW_ID_MAX + 1];
    size_t n;
    int rc;
    if ((rc = load_market_list(ctx->kv, names, &n, err, err_len)))
        return rc;
    if (n == 0)
        return cw_errf(err, err_len, CW_ESTATE, "no lending market (genesis has none)");
    if ((rc = load_params(ctx->kv, names[0], &p, err, err_len)) ||
        (rc = require_key(ctx, &p.oracle, "oracle", err, err_len)))
        return rc;
    if (strcmp(trace, names[0]) == 0)
        return cw_errf(err, err_len, CW_EINVAL,
                       "%s is the price unit: its price is 1 by definition", trace);
    if (!trace_ok(trace)) { /* an identifier: only a market's asset has a price */
        bool market = false;
        for (size_t i = 1; i < n; i++)
            market |= strcmp(trace, names[i]) == 0;
        if (!market)
            return cw_errf(err, err_len, CW_EINVAL,
                           "%s is neither a trace denom nor a market's asset", trace);
    }
    if (price == 0)
        return cw_errf(err, err_len, CW_EINVAL, "price: must be greater than zero");
    if (price > CW_LEND_MAX_PRICE_WAD)
        return cw_errf(err, err_len, CW_EINVAL, "price: above the maximum of 1e36 wad");
    if (t > ctx->time_ns)
        return cw_errf(err, err_len, CW_EINVAL, "time_ns %llu is after the block time %llu",
                       (unsigned long long)t, (unsigned long long)ctx->time_ns);
    rc = cw_lend_price_ex(ctx->kv, &old, &old_t, &old_since, trace);
    if (rc && rc != CW_ENOTFOUND)
        return rc;
    if (rc == CW_OK && t <= old_t)
        return cw_errf(err, err_len, CW_EINVAL,
                       "time_ns %llu is not after the last price's %llu",
                       (unsigned long long)t, (unsigned long long)old_t);
    /* the price resumes from stale (the last one was stale at this block): a grace period
     * starts now (Aave v3 PriceOracleSentinel); a first price starts none (nothing could be
     * borrowed against the denom before it) */
    if (rc == CW_OK)
        since = ctx->time_ns - old_t > p.max_price_age_ns ? ctx->time_ns : old_since;
    char key[CW_KEY_MAX];
    cw_enc e;
    if ((rc = cw_key_oracle_price(key, trace)))
        return rc;
    cw_enc_init(&e);
    cw_enc_array(&e, 3);
    cw_enc_u128(&e, price);
    cw_enc_u64(&e, t);
    cw_enc_u64(&e, since);
    if ((rc = rec_store(ctx->kv, key, &e)))
        return rc;
    char sp[41];
    u128_dec(sp, price);
    cw_event_begin(ctx->events, CW_EV_ORACLE_PRICE, 3);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, trace);
    cw_event_attr_str(ctx->events, CW_ATTR_PRICE_WAD, sp);
    cw_event_attr_u64(ctx->events, CW_ATTR_TIME_NS, t);
    return CW_OK;
}

/* ---- flash loans ---------------------------------------------------------------------------- */

/* The end of a tx with flash loans (cw_exec_at_tx_end; Aave v3 flashLoanSimple's pull after
 * executeOperation): for every market with a flash loan outstanding, amount + fee move from
 * the signer back to the pool — or the tx fails, and with it everything it did. The fee goes
 * to reserves (cash and reserves rise together: suppliers' total is unchanged). */
static int lend_flash_settle(cw_exec_ctx *ctx, char *err, size_t err_len)
{
    char names[CW_LEND_MAX_MARKETS][CW_ID_MAX + 1], key[CW_KEY_MAX];
    size_t n;
    int rc = load_market_list(ctx->kv, names, &n, err, err_len);
    for (size_t i = 0; rc == CW_OK && i < n; i++) {
        uint64_t lent, fee, owed, held = 0, ncash;
        mkt m;
        if ((rc = flash_read(ctx->kv, names[i], &lent, &fee)) || lent == 0)
            continue;
        if ((rc = load_market(ctx->kv, names[i], &m, err, err_len)) ||
            (rc = accrue(&m, ctx->time_ns, err, err_len)))
            break;
        if (cw_add_u64(&owed, lent, fee) || cw_add_u64(&ncash, m.s.cash, fee))
            return cw_errf(err, err_len, CW_EOVERFLOW, "flash loan of %s overflows", names[i]);
        if ((rc = cw_bank_balance(ctx->kv, &held, &ctx->signer, names[i])))
            break;
        if (held < owed)
            return cw_errf(err, err_len, CW_EINSUFFICIENT,
                           "flash loan of %llu %s not repaid: %llu + fee %llu = %llu owed, the "
                           "signer holds %llu",
                           (unsigned long long)lent, names[i], (unsigned long long)lent,
                           (unsigned long long)fee, (unsigned long long)owed,
                           (unsigned long long)held);
        m.s.cash = ncash; /* the lent amount never left cash (liquid_cash held it back) */
        m.s.reserves += fee;
        m.s.flash_fees = sat_add(m.s.flash_fees, fee);
        if ((rc = pool_in(ctx->kv, &ctx->signer, names[i], owed, err, err_len)) ||
            (rc = store_mkt(ctx->kv, &m)) || (rc = cw_key_lend_flash(key, names[i])) ||
            (rc = cw_kv_del_s(ctx->kv, key)))
            break;
        cw_event_begin(ctx->events, CW_EV_LEND_FLASH_REPAY, 4);
        attr_addr(ctx, CW_ATTR_BORROWER, &ctx->signer);
        cw_event_attr_str(ctx->events, CW_ATTR_DENOM, names[i]);
        cw_event_attr_u64(ctx->events, CW_ATTR_AMOUNT, lent);
        cw_event_attr_u64(ctx->events, CW_ATTR_FEE, fee);
    }
    return rc;
}

/* lend.flash_loan: pay amount of the market's liquid cash to the signer now; the tx's end
 * takes amount + ceil(amount × flash_fee_bps / 10000) back (lend_flash_settle). While the
 * loan is out, cash (and so total supply, the exchange rate and utilization) is unchanged —
 * a supply in between mints shares at the true rate — but borrows, withdrawals, reserve
 * withdrawals and further flash loans see only cash − lent (liquid_cash). */
static int lend_flash_loan(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_lend_flash_loan *msg = in;
    const uint64_t amount = msg->amount;
    uint64_t cash, lent, fees, nlent, nfees;
    cw_u128 fee;
    char key[CW_KEY_MAX];
    mkt m;
    int rc;
    if ((rc = amount_nonzero(amount, err, err_len)) ||
        (rc = load_market(ctx->kv, msg->asset, &m, err, err_len)) ||
        (rc = check_paused(&m, CW_LEND_ACTION_FLASH_LOAN, err, err_len)) ||
        (rc = accrue(&m, ctx->time_ns, err, err_len)) ||
        (rc = liquid_cash(ctx->kv, &m, &cash)) ||
        (rc = flash_read(ctx->kv, msg->asset, &lent, &fees)))
        return rc;
    if (amount > cash)
        return cw_errf(err, err_len, CW_EINSUFFICIENT,
                       "liquidity: the pool holds %llu, flash loan of %llu",
                       (unsigned long long)cash, (unsigned long long)amount);
    if (cw_muldiv_u128(&fee, amount, m.p.flash_fee_bps, BPS, CW_ROUND_UP) ||
        cw_add_u64(&nlent, lent, amount) || cw_add_u64(&nfees, fees, (uint64_t)fee))
        return cw_errf(err, err_len, CW_EOVERFLOW, "flash loans overflow");
    cw_enc e;
    cw_enc_init(&e);
    cw_val_u64_pair_enc(&e, nlent, nfees);
    if ((rc = cw_key_lend_flash(key, msg->asset)) ||
        (rc = pool_out(ctx->kv, &ctx->signer, msg->asset, amount, err, err_len))) {
        cw_enc_free(&e);
        return rc;
    }
    if ((rc = rec_store(ctx->kv, key, &e)) ||
        (rc = cw_exec_at_tx_end(ctx, lend_flash_settle, err, err_len)))
        return rc;
    cw_event_begin(ctx->events, CW_EV_LEND_FLASH_LOAN, 4);
    attr_addr(ctx, CW_ATTR_BORROWER, &ctx->signer);
    cw_event_attr_str(ctx->events, CW_ATTR_DENOM, msg->asset);
    cw_event_attr_u64(ctx->events, CW_ATTR_AMOUNT, amount);
    cw_event_attr_u64(ctx->events, CW_ATTR_FEE, (uint64_t)fee);
    return CW_OK;
}

static const cw_lend_route routes[] = {
    {CW_MSG_LEND_SUPPLY, lend_supply},
    {CW_MSG_LEND_WITHDRAW_SUPPLY, lend_withdraw_supply},
    {CW_MSG_LEND_BORROW, lend_borrow},
    {CW_MSG_LEND_REPAY, lend_repay},
    {CW_MSG_LEND_LIQUIDATE, lend_liquidate},
    {CW_MSG_LEND_REGISTER_COLLATERAL, lend_register_collateral},
    {CW_MSG_LEND_UPDATE_MARKET, lend_update_market},
    {CW_MSG_LEND_PAUSE, lend_pause},
    {CW_MSG_LEND_WITHDRAW_RESERVES, lend_withdraw_reserves},
    {CW_MSG_LEND_FLASH_LOAN, lend_flash_loan},
    {CW_MSG_ORACLE_SET_PRICE, oracle_set_price},
};

const cw_lend_route *cw_lend_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
