/* The genesis "market" object of the lending market (include/causeway/lending.h,
 * cw_lend_params_from_json): strict, every failure names file, field and value. */
#include <stdio.h>
#include <string.h>

#include "causeway/jsonconf.h"
#include "causeway/lending.h"

/* A u128 wad given as a decimal string (JSON numbers cannot carry 128 bits exactly). */
static void jconf_wad(cw_jconf *c, const json_t *obj, const char *key, cw_u128 *out)
{
    char s[48] = "", what[64], e[128];
    snprintf(what, sizeof what, "market.%s", key);
    cw_jconf_str(c, obj, key, "market", true, 40, s, sizeof s);
    if (c->rc)
        return;
    if (cw_u128_from_dec(out, s, e, sizeof e) != CW_OK)
        cw_jconf_fail(c, CW_EINVAL, what, "expected a decimal u128 string, got \"%s\" (%s)", s,
                      e);
}

int cw_lend_params_from_json(const json_t *obj, const char *file, cw_lend_params *p, char *err,
                             size_t err_len)
{
    static const char *const known[] = {"borrow_denom", "base_rate_wad", "slope1_wad",
                                        "kink_wad", "slope2_wad", "close_factor_bps",
                                        "reserve_factor_bps", "max_price_age_ns", "admin",
                                        "oracle", "liquidation_grace_ns", "dust_threshold",
                                        "supply_cap", "borrow_cap", "flash_fee_bps", NULL};
    cw_jconf c = {.file = file, .err = err, .err_len = err_len};
    uint64_t cf = 0, rf = 0, age = 0, grace = 0, dust = 0, scap = 0, bcap = 0, ffee = 0;
    memset(p, 0, sizeof *p);
    if (json_typeof(obj) != JSON_OBJECT)
        return cw_jconf_fail(&c, CW_EINVAL, "market", "expected an object");
    cw_jconf_only(&c, obj, "market", known);
    cw_jconf_id(&c, obj, "borrow_denom", "market", true, p->borrow_denom);
    jconf_wad(&c, obj, "base_rate_wad", &p->base_rate_wad);
    jconf_wad(&c, obj, "slope1_wad", &p->slope1_wad);
    jconf_wad(&c, obj, "kink_wad", &p->kink_wad);
    jconf_wad(&c, obj, "slope2_wad", &p->slope2_wad);
    cw_jconf_u64(&c, obj, "close_factor_bps", "market", true, 1, CW_BPS, &cf);
    cw_jconf_u64(&c, obj, "reserve_factor_bps", "market", true, 0, CW_BPS - 1, &rf);
    cw_jconf_u64(&c, obj, "max_price_age_ns", "market", true, 1, UINT64_MAX, &age);
    cw_jconf_u64(&c, obj, "liquidation_grace_ns", "market", false, 0, UINT64_MAX, &grace);
    cw_jconf_u64(&c, obj, "dust_threshold", "market", false, 0, UINT64_MAX, &dust);
    cw_jconf_u64(&c, obj, "supply_cap", "market", false, 0, UINT64_MAX, &scap);
    cw_jconf_u64(&c, obj, "borrow_cap", "market", false, 0, UINT64_MAX, &bcap);
    cw_jconf_u64(&c, obj, "flash_fee_bps", "market", false, 0, CW_BPS - 1, &ffee);
    if (json_object_get(obj, "admin"))
        cw_jconf_hex(&c, obj, "admin", "market", p->admin.b, 32);
    if (json_object_get(obj, "oracle"))
        cw_jconf_hex(&c, obj, "oracle", "market", p->oracle.b, 32);
    if (c.rc) {
        memset(p, 0, sizeof *p);
        return c.rc;
    }
    p->close_factor_bps = (uint32_t)cf;
    p->reserve_factor_bps = (uint32_t)rf;
    p->max_price_age_ns = age;
    p->liquidation_grace_ns = grace;
    p->dust_threshold = dust;
    p->supply_cap = scap;
    p->borrow_cap = bcap;
    p->flash_fee_bps = (uint32_t)ffee;

    /* the remaining rules (kink, rate bound), with stand-in keys when absent */
    cw_lend_params q = *p;
    memset(q.admin.b, 1, 32);
    memset(q.oracle.b, 1, 32);
    if (json_object_get(obj, "admin"))
        q.admin = p->admin;
    if (json_object_get(obj, "oracle"))
        q.oracle = p->oracle;
    char why[200];
    int rc = cw_lend_params_validate(&q, why, sizeof why);
    if (rc) {
        memset(p, 0, sizeof *p);
        return cw_jconf_fail(&c, rc, "market", "%s", why);
    }
    return CW_OK;
}
