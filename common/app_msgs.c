/* The application msgs (include/causeway/app_msgs.h). The error labels are the ones the
 * handlers used before this file existed, so a refused tx's log reads as it did. */
#include "causeway/app_msgs.h"

#include <stdio.h>
#include <string.h>

#include "causeway/packet.h"
#include "causeway/tx.h"

/* A trace denom str field into out; sticky error in d. */
static void dec_trace(cw_dec *d, const msgpack_object *o, char out[static CW_TRACE_DENOM_LEN + 1],
                      const char *what)
{
    out[0] = '\0';
    cw_bytes s = cw_dec_str(d, o, CW_TRACE_DENOM_LEN, "%s", what);
    if (d->rc)
        return;
    if (!cw_trace_denom_valid((const char *)s.p, s.len)) {
        cw_dec_fail(d, CW_EINVAL, "%s: not a trace denom (ibc/ + 64 upper-case hex)", what);
        return;
    }
    memcpy(out, s.p, s.len);
    out[s.len] = '\0';
}

/* A denom the oracle prices (cw_price_denom_valid): a trace denom or a market's asset. */
static void dec_price_denom(cw_dec *d, const msgpack_object *o,
                            char out[static CW_TRACE_DENOM_LEN + 1], const char *what)
{
    out[0] = '\0';
    cw_bytes s = cw_dec_str(d, o, CW_TRACE_DENOM_LEN, "%s", what);
    if (d->rc)
        return;
    if (!cw_price_denom_valid((const char *)s.p, s.len)) {
        cw_dec_fail(d, CW_EINVAL, "%s: not a trace denom (ibc/ + 64 upper-case hex) nor an "
                    "identifier", what);
        return;
    }
    memcpy(out, s.p, s.len);
    out[s.len] = '\0';
}

/* A bank denom (an identifier, or a voucher: a trace denom) into out; sticky error in d. */
static void dec_bank_denom(cw_dec *d, const msgpack_object *o,
                           char out[static CW_TRACE_DENOM_LEN + 1], const char *what)
{
    out[0] = '\0';
    cw_bytes s = cw_dec_str(d, o, CW_TRACE_DENOM_LEN, "%s.denom", what);
    if (d->rc)
        return;
    if (s.len)
        memcpy(out, s.p, s.len);
    out[s.len] = '\0';
    if (strlen(out) != s.len || !cw_bank_denom_valid(out)) {
        out[0] = '\0';
        cw_dec_fail(d, CW_EINVAL, "%s.denom: neither an identifier nor a voucher (ibc/ + 64 "
                    "upper-case hex)", what);
    }
}

/* A bps-like u32 field (today's handlers bound them by UINT32_MAX; the rules are theirs). */
static uint32_t dec_u32(cw_dec *d, const msgpack_object *o, const char *what)
{
    return (uint32_t)cw_dec_uint_max(d, o, UINT32_MAX, "%s", what);
}

/* ---- bank.send ---------------------------------------------------------------------------- */

void cw_msg_bank_send_enc(cw_enc *e, const cw_msg_bank_send *m)
{
    cw_msg_begin(e, CW_MSG_BANK_SEND, 3);
    cw_enc_bin(e, m->to.b, 20);
    cw_enc_cstr(e, m->denom);
    cw_enc_u64(e, m->amount);
}

void cw_msg_bank_send_dec(cw_dec *d, const msgpack_object *body, cw_msg_bank_send *m,
                          const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 3, "%s", what);
    cw_dec_bin_fixed(d, &f[0], m->to.b, 20, "%s.to", what);
    dec_bank_denom(d, &f[1], m->denom, what);
    m->amount = cw_dec_u64(d, &f[2], "%s.amount", what);
    if (d->rc)
        memset(m, 0, sizeof *m);
}

/* ---- admin.update_validators -------------------------------------------------------------- */

void cw_msg_admin_update_validators_enc(cw_enc *e, const cw_msg_admin_update_validators *m)
{
    cw_msg_begin(e, CW_MSG_ADMIN_UPDATE_VALIDATORS, 1);
    cw_validator_set_enc(e, &m->validator_set);
}

void cw_msg_admin_update_validators_dec(cw_dec *d, const msgpack_object *body,
                                        cw_msg_admin_update_validators *m, const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 1, "%s", what);
    cw_validator_set_dec(d, &f[0], &m->validator_set, CW_DEC_LABEL(what, "validator_set"));
    if (d->rc)
        cw_msg_admin_update_validators_free(m);
}

void cw_msg_admin_update_validators_free(cw_msg_admin_update_validators *m)
{
    if (m) {
        cw_validator_set_free(&m->validator_set);
        memset(m, 0, sizeof *m);
    }
}

/* ---- echo.send ---------------------------------------------------------------------------- */

void cw_msg_echo_send_enc(cw_enc *e, const cw_msg_echo_send *m)
{
    cw_msg_begin(e, CW_MSG_ECHO_SEND, 4);
    cw_enc_cstr(e, m->channel);
    cw_enc_bin(e, m->data.p, m->data.len);
    cw_enc_u64(e, m->timeout_height);
    cw_enc_u64(e, m->timeout_timestamp_ns);
}

void cw_msg_echo_send_dec(cw_dec *d, const msgpack_object *body, cw_msg_echo_send *m,
                          const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 4, "%s", what);
    cw_dec_id(d, &f[0], m->channel, "%s.channel", what);
    m->data = cw_dec_bin(d, &f[1], CW_MSG_ECHO_DATA_MAX, "%s.data", what);
    m->timeout_height = cw_dec_u64(d, &f[2], "%s.timeout_height", what);
    m->timeout_timestamp_ns = cw_dec_u64(d, &f[3], "%s.timeout_timestamp_ns", what);
    if (d->rc)
        memset(m, 0, sizeof *m);
}

/* ---- collateral.lock, lend.withdraw_collateral -------------------------------------------- */

static void transfer_enc(cw_enc *e, const char *type, const cw_msg_collateral_transfer *m)
{
    cw_msg_begin(e, type, 6);
    cw_enc_cstr(e, m->channel);
    cw_enc_cstr(e, m->denom);
    cw_enc_u64(e, m->amount);
    cw_enc_bin(e, m->to.b, 20);
    cw_enc_u64(e, m->timeout_height);
    cw_enc_u64(e, m->timeout_timestamp_ns);
}

/* denom_name / to_name: the fields' names in this msg (denom|base_denom,
 * beneficiary|receiver) */
static void transfer_dec(cw_dec *d, const msgpack_object *body, cw_msg_collateral_transfer *m,
                         const char *what, const char *denom_name, const char *to_name)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 6, "%s", what);
    cw_dec_id(d, &f[0], m->channel, "%s.channel", what);
    cw_dec_id(d, &f[1], m->denom, "%s.%s", what, denom_name);
    m->amount = cw_dec_u64(d, &f[2], "%s.amount", what);
    cw_dec_bin_fixed(d, &f[3], m->to.b, 20, "%s.%s", what, to_name);
    m->timeout_height = cw_dec_u64(d, &f[4], "timeout_height");
    m->timeout_timestamp_ns = cw_dec_u64(d, &f[5], "timeout_timestamp_ns");
    if (d->rc)
        memset(m, 0, sizeof *m);
}

void cw_msg_collateral_lock_enc(cw_enc *e, const cw_msg_collateral_lock *m)
{
    transfer_enc(e, CW_MSG_COLLATERAL_LOCK, m);
}

void cw_msg_collateral_lock_dec(cw_dec *d, const msgpack_object *body, cw_msg_collateral_lock *m,
                                const char *what)
{
    transfer_dec(d, body, m, what, "denom", "beneficiary");
}

void cw_msg_lend_withdraw_collateral_enc(cw_enc *e, const cw_msg_lend_withdraw_collateral *m)
{
    transfer_enc(e, CW_MSG_LEND_WITHDRAW_COLLATERAL, m);
}

void cw_msg_lend_withdraw_collateral_dec(cw_dec *d, const msgpack_object *body,
                                         cw_msg_lend_withdraw_collateral *m, const char *what)
{
    transfer_dec(d, body, m, what, "base_denom", "receiver");
}

/* ---- the collateral packet data ------------------------------------------------------------ */

void cw_collateral_packet_enc(cw_enc *e, const cw_collateral_packet *c)
{
    cw_enc_array(e, 5);
    cw_enc_cstr(e, c->kind == CW_COLLATERAL_DEPOSIT ? "deposit" : "release");
    cw_enc_cstr(e, c->denom);
    cw_enc_u64(e, c->amount);
    cw_enc_bin(e, c->from.b, 20);
    cw_enc_bin(e, c->to.b, 20);
}

int cw_collateral_packet_decode(cw_collateral_packet *c, const uint8_t *data, size_t len,
                                char *err, size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    memset(c, 0, sizeof *c);
    int rc = cw_dec_open(&d, &root, data, len, CW_PACKET_DATA_MAX, err, err_len);
    if (rc == CW_OK) {
        char kind[CW_ID_MAX + 1];
        const msgpack_object *f = cw_dec_array(&d, root, 5, "collateral packet");
        cw_dec_id(&d, &f[0], kind, "collateral packet.kind");
        cw_dec_id(&d, &f[1], c->denom, "collateral packet.denom");
        c->amount = cw_dec_u64(&d, &f[2], "collateral packet.amount");
        cw_dec_bin_fixed(&d, &f[3], c->from.b, 20, "collateral packet.from");
        cw_dec_bin_fixed(&d, &f[4], c->to.b, 20, "collateral packet.to");
        if (d.rc == CW_OK) {
            c->kind = strcmp(kind, "deposit") == 0   ? CW_COLLATERAL_DEPOSIT
                      : strcmp(kind, "release") == 0 ? CW_COLLATERAL_RELEASE
                                                     : 0;
            if (!c->kind)
                cw_dec_fail(&d, CW_EINVAL, "collateral packet: unknown kind '%s'", kind);
            else if (c->amount == 0)
                cw_dec_fail(&d, CW_EINVAL, "collateral packet: zero amount");
        }
        rc = d.rc;
    }
    cw_dec_close(&d);
    if (rc)
        memset(c, 0, sizeof *c);
    return rc;
}

/* ---- lend.supply, lend.withdraw_supply, lend.borrow ---------------------------------------- */

static const char *const action_names[] = {"supply",          "borrow",
                                           "liquidate",       "withdraw_supply",
                                           "withdraw_collateral", "flash_loan"};

const char *cw_lend_action_name(uint64_t bit)
{
    for (unsigned i = 0; i < sizeof action_names / sizeof action_names[0]; i++)
        if (bit == (1ull << i))
            return action_names[i];
    return NULL;
}

int cw_lend_actions_parse(const char *list, uint64_t *mask, char *err, size_t err_len)
{
    *mask = 0;
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        uint64_t bit = 0;
        if (n == 3 && strncmp(p, "all", 3) == 0)
            bit = CW_LEND_ACTION_ALL;
        else if (n == 8 && strncmp(p, "withdraw", 8) == 0)
            bit = CW_LEND_ACTION_WITHDRAW_SUPPLY | CW_LEND_ACTION_WITHDRAW_COLLATERAL;
        for (unsigned i = 0; !bit && i < sizeof action_names / sizeof action_names[0]; i++)
            if (strlen(action_names[i]) == n && strncmp(p, action_names[i], n) == 0)
                bit = 1ull << i;
        if (!bit) {
            *mask = 0;
            return cw_errf(err, err_len, CW_EINVAL,
                           "action '%.*s' is not one of supply, borrow, liquidate, "
                           "withdraw_supply, withdraw_collateral, flash_loan, withdraw, all "
                           "(repay is never paused)",
                           (int)(n > 40 ? 40 : n), p);
        }
        *mask |= bit;
        if (p[n] == '\0')
            return CW_OK;
        p += n + 1;
    }
}


static void amount_enc(cw_enc *e, const char *type, const cw_msg_lend_amount *m)
{
    cw_msg_begin(e, type, 2);
    cw_enc_cstr(e, m->asset);
    cw_enc_u64(e, m->amount);
}

static void amount_dec(cw_dec *d, const msgpack_object *body, cw_msg_lend_amount *m,
                       const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 2, "%s", what);
    cw_dec_id(d, &f[0], m->asset, "%s.asset", what);
    m->amount = cw_dec_u64(d, &f[1], "%s.amount", what);
    if (d->rc)
        memset(m, 0, sizeof *m);
}

void cw_msg_lend_supply_enc(cw_enc *e, const cw_msg_lend_supply *m)
{
    amount_enc(e, CW_MSG_LEND_SUPPLY, m);
}
void cw_msg_lend_supply_dec(cw_dec *d, const msgpack_object *body, cw_msg_lend_supply *m,
                            const char *what)
{
    amount_dec(d, body, m, what);
}
void cw_msg_lend_withdraw_supply_enc(cw_enc *e, const cw_msg_lend_withdraw_supply *m)
{
    cw_msg_begin(e, CW_MSG_LEND_WITHDRAW_SUPPLY, 3);
    cw_enc_cstr(e, m->asset);
    cw_enc_u64(e, m->amount);
    cw_enc_bool(e, m->all);
}
void cw_msg_lend_withdraw_supply_dec(cw_dec *d, const msgpack_object *body,
                                     cw_msg_lend_withdraw_supply *m, const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 3, "%s", what);
    cw_dec_id(d, &f[0], m->asset, "%s.asset", what);
    m->amount = cw_dec_u64(d, &f[1], "%s.amount", what);
    m->all = cw_dec_bool(d, &f[2], "%s.all", what);
    if (d->rc)
        memset(m, 0, sizeof *m);
}
void cw_msg_lend_borrow_enc(cw_enc *e, const cw_msg_lend_borrow *m)
{
    amount_enc(e, CW_MSG_LEND_BORROW, m);
}
void cw_msg_lend_borrow_dec(cw_dec *d, const msgpack_object *body, cw_msg_lend_borrow *m,
                            const char *what)
{
    amount_dec(d, body, m, what);
}
void cw_msg_lend_flash_loan_enc(cw_enc *e, const cw_msg_lend_flash_loan *m)
{
    amount_enc(e, CW_MSG_LEND_FLASH_LOAN, m);
}
void cw_msg_lend_flash_loan_dec(cw_dec *d, const msgpack_object *body,
                                cw_msg_lend_flash_loan *m, const char *what)
{
    amount_dec(d, body, m, what);
}

/* ---- lend.repay, lend.liquidate ----------------------------------------------------------- */

void cw_msg_lend_repay_enc(cw_enc *e, const cw_msg_lend_repay *m)
{
    cw_msg_begin(e, CW_MSG_LEND_REPAY, 3);
    cw_enc_cstr(e, m->asset);
    cw_enc_u64(e, m->amount);
    if (m->has_on_behalf_of)
        cw_enc_bin(e, m->on_behalf_of.b, 20);
    else
        cw_enc_nil(e);
}

void cw_msg_lend_repay_dec(cw_dec *d, const msgpack_object *body, cw_msg_lend_repay *m,
                           const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 3, "%s", what);
    cw_dec_id(d, &f[0], m->asset, "%s.asset", what);
    m->amount = cw_dec_u64(d, &f[1], "%s.amount", what);
    if (d->rc == CW_OK && !cw_dec_is_nil(&f[2])) {
        m->has_on_behalf_of = true;
        cw_dec_bin_fixed(d, &f[2], m->on_behalf_of.b, 20, "%s.on_behalf_of", what);
    }
    if (d->rc)
        memset(m, 0, sizeof *m);
}

void cw_msg_lend_liquidate_enc(cw_enc *e, const cw_msg_lend_liquidate *m)
{
    cw_msg_begin(e, CW_MSG_LEND_LIQUIDATE, 4);
    cw_enc_cstr(e, m->asset);
    cw_enc_bin(e, m->borrower.b, 20);
    cw_enc_u64(e, m->repay_amount);
    cw_enc_cstr(e, m->collateral);
}

void cw_msg_lend_liquidate_dec(cw_dec *d, const msgpack_object *body, cw_msg_lend_liquidate *m,
                               const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 4, "%s", what);
    cw_dec_id(d, &f[0], m->asset, "%s.asset", what);
    cw_dec_bin_fixed(d, &f[1], m->borrower.b, 20, "%s.borrower", what);
    m->repay_amount = cw_dec_u64(d, &f[2], "%s.repay_amount", what);
    dec_trace(d, &f[3], m->collateral, CW_DEC_LABEL(what, "collateral"));
    if (d->rc)
        memset(m, 0, sizeof *m);
}

/* ---- admin msgs: register_collateral, update_market, pause --------------------------------- */

void cw_msg_lend_register_collateral_enc(cw_enc *e, const cw_msg_lend_register_collateral *m)
{
    cw_msg_begin(e, CW_MSG_LEND_REGISTER_COLLATERAL, 5);
    cw_enc_cstr(e, m->channel);
    cw_enc_cstr(e, m->base_denom);
    cw_enc_u64(e, m->ltv_bps);
    cw_enc_u64(e, m->liquidation_threshold_bps);
    cw_enc_u64(e, m->liquidation_bonus_bps);
}

void cw_msg_lend_register_collateral_dec(cw_dec *d, const msgpack_object *body,
                                         cw_msg_lend_register_collateral *m, const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 5, "%s", what);
    cw_dec_id(d, &f[0], m->channel, "%s.channel", what);
    cw_dec_id(d, &f[1], m->base_denom, "%s.base_denom", what);
    m->ltv_bps = dec_u32(d, &f[2], "ltv_bps");
    m->liquidation_threshold_bps = dec_u32(d, &f[3], "lt_bps");
    m->liquidation_bonus_bps = dec_u32(d, &f[4], "bonus_bps");
    if (d->rc)
        memset(m, 0, sizeof *m);
}

void cw_msg_lend_update_market_enc(cw_enc *e, const cw_msg_lend_update_market *m)
{
    const cw_msg_lend_market_params *p = &m->market;
    cw_msg_begin(e, CW_MSG_LEND_UPDATE_MARKET, 3);
    cw_enc_cstr(e, m->asset);
    if (m->has_market) {
        cw_enc_array(e, 12);
        cw_enc_u128(e, p->base_rate_wad);
        cw_enc_u128(e, p->slope1_wad);
        cw_enc_u128(e, p->kink_wad);
        cw_enc_u128(e, p->slope2_wad);
        cw_enc_u64(e, p->close_factor_bps);
        cw_enc_u64(e, p->reserve_factor_bps);
        cw_enc_u64(e, p->max_price_age_ns);
        cw_enc_u64(e, p->liquidation_grace_ns);
        cw_enc_u64(e, p->dust_threshold);
        cw_enc_u64(e, p->supply_cap);
        cw_enc_u64(e, p->borrow_cap);
        cw_enc_u64(e, p->flash_fee_bps);
    } else {
        cw_enc_nil(e);
    }
    uint32_t n = m->n_collaterals < CW_LEND_MAX_COLLATERALS ? m->n_collaterals
                                                            : CW_LEND_MAX_COLLATERALS;
    cw_enc_array(e, n);
    for (uint32_t i = 0; i < n; i++) {
        const cw_msg_lend_collateral_update *c = &m->collaterals[i];
        cw_enc_array(e, 4);
        cw_enc_cstr(e, c->denom);
        cw_enc_u64(e, c->ltv_bps);
        cw_enc_u64(e, c->liquidation_threshold_bps);
        cw_enc_u64(e, c->liquidation_bonus_bps);
    }
}

void cw_msg_lend_update_market_dec(cw_dec *d, const msgpack_object *body,
                                   cw_msg_lend_update_market *m, const char *what)
{
    cw_msg_lend_market_params *p = &m->market;
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 3, "%s", what);
    cw_dec_id(d, &f[0], m->asset, "%s.asset", what);
    m->has_market = d->rc == CW_OK && !cw_dec_is_nil(&f[1]);
    if (m->has_market) {
        const msgpack_object *g = cw_dec_array(d, &f[1], 12, "%s.market", what);
        p->base_rate_wad = cw_dec_u128(d, &g[0], "market.base_rate_wad");
        p->slope1_wad = cw_dec_u128(d, &g[1], "market.slope1_wad");
        p->kink_wad = cw_dec_u128(d, &g[2], "market.kink_wad");
        p->slope2_wad = cw_dec_u128(d, &g[3], "market.slope2_wad");
        p->close_factor_bps = dec_u32(d, &g[4], "close_factor");
        p->reserve_factor_bps = dec_u32(d, &g[5], "reserve");
        p->max_price_age_ns = cw_dec_u64(d, &g[6], "market.max_price_age_ns");
        p->liquidation_grace_ns = cw_dec_u64(d, &g[7], "market.liquidation_grace_ns");
        p->dust_threshold = cw_dec_u64(d, &g[8], "market.dust_threshold");
        p->supply_cap = cw_dec_u64(d, &g[9], "market.supply_cap");
        p->borrow_cap = cw_dec_u64(d, &g[10], "market.borrow_cap");
        p->flash_fee_bps = (uint32_t)cw_dec_uint_max(d, &g[11], CW_BPS - 1,
                                                     "market.flash_fee_bps");
    }
    uint32_t n = 0;
    const msgpack_object *items =
        cw_dec_list(d, &f[2], CW_LEND_MAX_COLLATERALS, &n, "%s.collaterals", what);
    for (uint32_t i = 0; i < n && d->rc == CW_OK; i++) {
        cw_msg_lend_collateral_update *c = &m->collaterals[i];
        const msgpack_object *g = cw_dec_array(d, &items[i], 4, "collaterals[%u]", i);
        dec_trace(d, &g[0], c->denom, "collaterals[].denom");
        c->ltv_bps = dec_u32(d, &g[1], "ltv_bps");
        c->liquidation_threshold_bps = dec_u32(d, &g[2], "lt_bps");
        c->liquidation_bonus_bps = dec_u32(d, &g[3], "bonus_bps");
    }
    m->n_collaterals = n;
    if (d->rc)
        memset(m, 0, sizeof *m);
}

void cw_msg_lend_pause_enc(cw_enc *e, const cw_msg_lend_pause *m)
{
    cw_msg_begin(e, CW_MSG_LEND_PAUSE, 3);
    cw_enc_cstr(e, m->asset);
    cw_enc_u64(e, m->actions);
    cw_enc_bool(e, m->paused);
}

void cw_msg_lend_pause_dec(cw_dec *d, const msgpack_object *body, cw_msg_lend_pause *m,
                           const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 3, "%s", what);
    cw_dec_id(d, &f[0], m->asset, "%s.asset", what);
    m->actions = cw_dec_u64(d, &f[1], "%s.actions", what);
    m->paused = cw_dec_bool(d, &f[2], "%s.paused", what);
    if (d->rc)
        memset(m, 0, sizeof *m);
}

void cw_msg_lend_withdraw_reserves_enc(cw_enc *e, const cw_msg_lend_withdraw_reserves *m)
{
    cw_msg_begin(e, CW_MSG_LEND_WITHDRAW_RESERVES, 3);
    cw_enc_cstr(e, m->asset);
    cw_enc_bin(e, m->to.b, 20);
    cw_enc_u64(e, m->amount);
}

void cw_msg_lend_withdraw_reserves_dec(cw_dec *d, const msgpack_object *body,
                                       cw_msg_lend_withdraw_reserves *m, const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 3, "%s", what);
    cw_dec_id(d, &f[0], m->asset, "%s.asset", what);
    cw_dec_bin_fixed(d, &f[1], m->to.b, 20, "%s.to", what);
    m->amount = cw_dec_u64(d, &f[2], "%s.amount", what);
    if (d->rc)
        memset(m, 0, sizeof *m);
}

/* ---- oracle.set_price --------------------------------------------------------------------- */

void cw_msg_oracle_set_price_enc(cw_enc *e, const cw_msg_oracle_set_price *m)
{
    cw_msg_begin(e, CW_MSG_ORACLE_SET_PRICE, 3);
    cw_enc_cstr(e, m->denom);
    cw_enc_u128(e, m->price_wad);
    cw_enc_u64(e, m->time_ns);
}

void cw_msg_oracle_set_price_dec(cw_dec *d, const msgpack_object *body,
                                 cw_msg_oracle_set_price *m, const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 3, "%s", what);
    dec_price_denom(d, &f[0], m->denom, CW_DEC_LABEL(what, "denom"));
    m->price_wad = cw_dec_u128(d, &f[1], "%s.price", what);
    m->time_ns = cw_dec_u64(d, &f[2], "%s.time_ns", what);
    if (d->rc)
        memset(m, 0, sizeof *m);
}

/* ---- transfer.transfer ------------------------------------------------------------------- */

void cw_msg_transfer_enc(cw_enc *e, const cw_msg_transfer *m)
{
    cw_msg_begin(e, CW_MSG_TRANSFER, 7);
    cw_enc_cstr(e, m->channel);
    cw_enc_cstr(e, m->denom);
    cw_enc_u64(e, m->amount);
    cw_enc_cstr(e, m->receiver);
    cw_enc_u64(e, m->timeout_height);
    cw_enc_u64(e, m->timeout_timestamp_ns);
    cw_enc_cstr(e, m->memo);
}

/* A str field of at most max bytes, no U+0000, into out (NUL-terminated); sticky error. */
static void dec_text(cw_dec *d, const msgpack_object *o, char *out, size_t max, bool nonempty,
                     const char *what, const char *field)
{
    cw_bytes s = cw_dec_str(d, o, max, "%s.%s", what, field);
    if (d->rc)
        return;
    if ((nonempty && s.len == 0) || (s.len && memchr(s.p, 0, s.len))) {
        cw_dec_fail(d, CW_EINVAL, "%s.%s: %s", what, field, s.len ? "holds U+0000" : "empty");
        return;
    }
    if (s.len)
        memcpy(out, s.p, s.len);
    out[s.len] = '\0';
}

void cw_msg_transfer_dec(cw_dec *d, const msgpack_object *body, cw_msg_transfer *m,
                         const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 7, "%s", what);
    cw_dec_id(d, &f[0], m->channel, "%s.channel", what);
    dec_bank_denom(d, &f[1], m->denom, what);
    m->amount = cw_dec_u64(d, &f[2], "%s.amount", what);
    dec_text(d, &f[3], m->receiver, CW_MSG_TRANSFER_RECEIVER_MAX, true, what, "receiver");
    m->timeout_height = cw_dec_u64(d, &f[4], "%s.timeout_height", what);
    m->timeout_timestamp_ns = cw_dec_u64(d, &f[5], "%s.timeout_timestamp_ns", what);
    dec_text(d, &f[6], m->memo, CW_MSG_TRANSFER_MEMO_MAX, false, what, "memo");
    if (d->rc)
        memset(m, 0, sizeof *m);
}

/* ---- the table ---------------------------------------------------------------------------- */

CW_MSG_CODEC_FREE_ADAPTER(admin_update_validators)

#define APP_MSGS(M)                                                                               \
    M(CW_MSG_BANK_SEND, bank_send, NULL)                                                          \
    M(CW_MSG_ADMIN_UPDATE_VALIDATORS, admin_update_validators, admin_update_validators_free_any)  \
    M(CW_MSG_ECHO_SEND, echo_send, NULL)                                                          \
    M(CW_MSG_COLLATERAL_LOCK, collateral_lock, NULL)                                              \
    M(CW_MSG_LEND_WITHDRAW_COLLATERAL, lend_withdraw_collateral, NULL)                            \
    M(CW_MSG_LEND_SUPPLY, lend_supply, NULL)                                                      \
    M(CW_MSG_LEND_WITHDRAW_SUPPLY, lend_withdraw_supply, NULL)                                    \
    M(CW_MSG_LEND_BORROW, lend_borrow, NULL)                                                      \
    M(CW_MSG_LEND_REPAY, lend_repay, NULL)                                                        \
    M(CW_MSG_LEND_LIQUIDATE, lend_liquidate, NULL)                                                \
    M(CW_MSG_LEND_REGISTER_COLLATERAL, lend_register_collateral, NULL)                            \
    M(CW_MSG_LEND_UPDATE_MARKET, lend_update_market, NULL)                                        \
    M(CW_MSG_LEND_PAUSE, lend_pause, NULL)                                                        \
    M(CW_MSG_LEND_WITHDRAW_RESERVES, lend_withdraw_reserves, NULL)                                \
    M(CW_MSG_LEND_FLASH_LOAN, lend_flash_loan, NULL)                                              \
    M(CW_MSG_ORACLE_SET_PRICE, oracle_set_price, NULL)                                            \
    M(CW_MSG_TRANSFER, transfer, NULL)

APP_MSGS(CW_MSG_CODEC_ADAPTERS_OF)

static const cw_msg_codec g_app_codecs[] = {APP_MSGS(CW_MSG_CODEC_ROW_OF)};

const cw_msg_codec *cw_msg_codecs_app(size_t *n)
{
    *n = sizeof g_app_codecs / sizeof g_app_codecs[0];
    return g_app_codecs;
}
