/* Randomized lending markets (DESIGN §8 invariants): two markets (uusd, the price unit, and
 * ueur, priced by the oracle) and random supply / withdraw / borrow / repay / liquidate in
 * either market, time / price (collateral and ueur) / deposit / release / settle / pause /
 * retune / flash-loan steps (flash loans repaid, unrepaid, partly repaid, or "repaid" from
 * the other market's loan: test_lend_world.h lw_sim_flash), checking after every step that
 *   - the books balance: cash + borrows − reserves ≥ supplied − withdrawn + suppliers'
 *     interest − socialized bad debt, with the surplus within the rounding dust allowed;
 *   - the pool's bank balance is the market's cash; shares and scaled debts add up;
 *   - no Borrow or release leaves Σ value × LTV < debt;
 *   - collateral totals equal Σ positions and A's escrow equals total + in flight;
 *   - no failing call writes state; a release's settlement never fails;
 *   - bad debt is recorded, never hidden: a borrower with debt in any market and nothing
 *     worth a unit left (positions and releases in flight, dust amounts and collapsed
 *     prices included) is cleared by one liquidation, its debt in every market recorded as
 *     that market's bad debt (lw_sim_sweep);
 *   - a repaid flash loan puts exactly its fee in reserves; a refused flash-loan tx changes
 *     no balance and no market's books; no flash record outlives its tx;
 *   - an independent model of both markets' books, in exact integers (below), agrees with
 *     the chain's stored books — index, Σ scaled debt, cash, reserves, shares, last accrual,
 *     every user's scaled debt and shares — after every step.
 * At the end every debt is repaid and every supplier withdraws what its shares are worth.
 * CW_LEND_SEEDS (default 16) and CW_LEND_STEPS (default 2000) set the size: a soak is
 * CW_LEND_SEEDS=1000 CW_LEND_STEPS=5000. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_lend_world.h"

static uint64_t env_u64(const char *name, uint64_t def)
{
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 10) : def;
}

static uint64_t rng(uint64_t *st) /* splitmix64 */
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- an independent model of the markets' books (DESIGN §8, exact integers) -------------
 *
 * Written from the design, not from channels/lending.c: per market, the borrow index, Σ
 * scaled debt, cash, reserves, total shares, last accrual and every user's scaled debt and
 * shares, advanced by every committed tx the world reports (struct lw.on_tx: the msgs in
 * order, after the commit) and compared with the chain's stored books after every step. It
 * models accrual (kinked rate, per-second, pro rata to the ns, rounded up; reserves take
 * their share rounded down), supply and withdraw (shares minted down, burned up; all: paid
 * down), borrow (scaled up) and repay (scaled down, or all), reserve withdrawals, pauses and
 * rate changes (which accrue at the old rates), and flash loans (fee = ceil(amount × bps /
 * 10000) per loan, to cash and reserves at the tx's end). A liquidation (and the write-off it
 * may trigger, in every market) is predicted from the state its tx starts from — positions,
 * releases in flight, prices and collateral weights, which belong to the collateral app and
 * the oracle, read from the store (struct lw.on_pre) — with the design's seize, cut repay,
 * scaled debt removed, "left" test and write-off (reserves first) in every market not
 * paused for liquidation; the seize is checked against the positions afterwards. */
struct mm {
    cw_u128 idx, S, res, shares, s[LW_USERS], sh[LW_USERS];
    uint64_t cash, last;
    cw_u128 base, s1, kink, s2;
    uint32_t rf, fee_bps;
};

struct model {
    struct lw *w;
    struct mm m[LW_MKTS];
    uint64_t paused[LW_MKTS];         /* each market's paused actions (lend.pause) */
    /* a liquidation predicted from the state its tx starts from (model_on_pre) */
    bool liq_valid;
    struct mm liq[LW_MKTS];
    uint64_t liq_seize, liq_pos_before;
    int liq_borrower, liq_col;
    uint64_t liquidations_modelled;
    uint64_t flash_lent[LW_MKTS], flash_fee[LW_MKTS];
    uint64_t checked, resyncs;
    char why[200];
};

static cw_u128 md(cw_u128 a, cw_u128 b, cw_u128 d, cw_round r)
{
    cw_u128 out = 0;
    if (cw_muldiv_u128(&out, a, b, d, r))
        out = CW_U128_MAX;
    return out;
}

static void mm_params(struct mm *m, const cw_lend_params *p)
{
    m->base = p->base_rate_wad;
    m->s1 = p->slope1_wad;
    m->kink = p->kink_wad;
    m->s2 = p->slope2_wad;
    m->rf = p->reserve_factor_bps;
    m->fee_bps = p->flash_fee_bps;
}

static void mm_accrue(struct mm *m, uint64_t now)
{
    if (m->last == 0) {
        m->last = now;
        return;
    }
    if (now <= m->last)
        return;
    uint64_t dt = now - m->last;
    m->last = now;
    if (m->S == 0)
        return;
    cw_u128 borrows = md(m->S, m->idx, CW_WAD, CW_ROUND_DOWN), u = 0;
    if (borrows > 0) {
        cw_u128 gross = (cw_u128)m->cash + borrows;
        if (gross <= m->res || borrows >= gross - m->res)
            u = CW_WAD;
        else
            u = md(borrows, CW_WAD, gross - m->res, CW_ROUND_UP);
    }
    cw_u128 rate = m->base + md(u < m->kink ? u : m->kink, m->s1, CW_WAD, CW_ROUND_UP) +
                   (u > m->kink ? md(u - m->kink, m->s2, CW_WAD, CW_ROUND_UP) : 0);
    m->idx += md(m->idx, rate * dt, CW_WAD * 1000000000u, CW_ROUND_UP);
    cw_u128 nb = md(m->S, m->idx, CW_WAD, CW_ROUND_DOWN);
    m->res += (nb - borrows) * m->rf / 10000;
}

static cw_u128 mm_value(const struct mm *m)
{
    return (cw_u128)m->cash + md(m->S, m->idx, CW_WAD, CW_ROUND_DOWN) - m->res;
}

static int user_of(const struct lw *w, const cw_pubkey32 *pk)
{
    for (int u = 0; u < LW_USERS; u++)
        if (memcmp(w->user[u].b, pk->b, 32) == 0)
            return u;
    return -1;
}

static int user_addr(const struct lw *w, const cw_address *a)
{
    for (int u = 0; u < LW_USERS; u++)
        if (memcmp(w->addr[u].b, a->b, 20) == 0)
            return u;
    return -1;
}

static int market_of(const struct lw *w, const char *asset)
{
    for (int mi = 0; mi < LW_MKTS; mi++)
        if (strcmp(w->asset[mi], asset) == 0)
            return mi;
    return -1;
}

/* Take the chain's stored books (after a liquidation, or at the start). */
static void model_resync(struct model *md_)
{
    struct lw *w = md_->w;
    for (int mi = 0; mi < LW_MKTS; mi++) {
        struct mm *m = &md_->m[mi];
        cw_lend_params p;
        cw_lend_market s;
        if (cw_lend_market_read(&w->kv, w->asset[mi], 0, &p, &s) != CW_OK)
            continue;
        mm_params(m, &p);
        m->idx = s.borrow_index_wad;
        m->S = s.total_scaled_debt;
        m->res = s.reserves;
        m->shares = s.total_shares;
        m->cash = s.cash;
        m->last = s.last_accrual_ns;
        cw_lend_account_info a;
        for (int u = 0; u < LW_USERS; u++)
            if (cw_lend_account(&w->kv, 0, &a, &w->addr[u]) == CW_OK) {
                m->s[u] = a.markets[mi].scaled_debt;
                m->sh[u] = a.markets[mi].shares;
            }
    }
    md_->resyncs++;
}

static void model_fail(struct model *md_, const char *what, int mi)
{
    if (!md_->why[0])
        snprintf(md_->why, sizeof md_->why, "model: %s (%s)", what, md_->w->asset[mi]);
}

/* ---- the model's liquidation (DESIGN §8, from the state the tx starts from) -------------- */

/* A price as the design reads it: latest (0 when none), and fresh (not older than the
 * chain-wide max age). The price unit's asset is 1 and fresh. */
static void model_price(struct lw *w, const char *denom, bool unit, uint64_t max_age,
                        cw_u128 *price, bool *fresh)
{
    uint64_t t = 0;
    *price = 0;
    *fresh = false;
    if (unit) {
        *price = CW_WAD;
        *fresh = true;
        return;
    }
    if (cw_lend_price(&w->kv, price, &t, denom) != CW_OK) {
        *price = 0;
        return;
    }
    *fresh = *price > 0 && (w->now > t ? w->now - t : 0) <= max_age;
}

/* Predict a liquidation the chain is about to run (it may refuse it: then nothing is used).
 * Fills md_->liq with the books of every market afterwards (liq_touch: which the chain
 * stores), and the seize. */
static void model_on_pre(void *arg, const cw_pubkey32 *signer, const char *type,
                         const msgpack_object *body)
{
    struct model *md_ = arg;
    struct lw *w = md_->w;
    md_->liq_valid = false;
    if (strcmp(type, CW_MSG_LEND_LIQUIDATE) != 0)
        return;
    cw_dec d = {0};
    cw_msg_lend_liquidate a;
    cw_msg_lend_liquidate_dec(&d, body, &a, type);
    int mi = market_of(w, a.asset), b = user_addr(w, &a.borrower), l = user_of(w, signer);
    int col = -1;
    for (int c = 0; c < LW_COLS; c++)
        if (strcmp(w->trace[c], a.collateral) == 0)
            col = c;
    if (d.rc || mi < 0 || b < 0 || l < 0 || col < 0)
        return;
    cw_lend_params p0, pm;
    if (cw_lend_market_read(&w->kv, w->asset[0], 0, &p0, NULL) != CW_OK ||
        cw_lend_market_read(&w->kv, a.asset, 0, &pm, NULL) != CW_OK)
        return;
    const uint64_t now = w->now, age = p0.max_price_age_ns;
    struct mm mk[LW_MKTS];
    memcpy(mk, md_->m, sizeof mk);
    cw_u128 D = 0, debt[LW_MKTS]; /* D: Σ debt value, in the price unit */
    for (int i = 0; i < LW_MKTS; i++) {
        mm_accrue(&mk[i], now);
        cw_u128 pr;
        bool fr;
        model_price(w, w->asset[i], i == 0, age, &pr, &fr);
        debt[i] = md(mk[i].s[b], mk[i].idx, CW_WAD, CW_ROUND_UP);
        D += md(debt[i], pr, CW_WAD, CW_ROUND_UP);
    }
    /* collateral: positions, releases in flight, latest prices */
    uint64_t pos[LW_COLS], rel[LW_COLS];
    cw_u128 pc[LW_COLS];
    bool fresh[LW_COLS];
    cw_lend_collateral cp[LW_COLS];
    for (int c = 0; c < LW_COLS; c++) {
        char kr[CW_KEY_MAX];
        const uint8_t *v;
        size_t vl;
        pos[c] = lw_pos(w, b, c);
        rel[c] = 0;
        if (cw_key_collateral_releasing(kr, &w->addr[b], w->trace[c]) == CW_OK &&
            cw_kv_get_s(&w->kv, kr, &v, &vl) == CW_OK &&
            cw_val_u64_rec_dec(&rel[c], v, vl, NULL, 0) != CW_OK)
            return;
        if (cw_lend_collateral_by_trace(&w->kv, &cp[c], w->trace[c]) != CW_OK)
            return;
        model_price(w, w->trace[c], false, age, &pc[c], &fresh[c]);
    }
    if (D == 0)
        return; /* nothing owed: the chain refuses */
    cw_u128 pa;
    bool fa;
    model_price(w, a.asset, mi == 0, age, &pa, &fa);
    struct mm *m = &mk[mi];
    uint64_t repay = a.repay_amount, seize = 0;
    cw_u128 removed = 0;
    if (pos[col] > 0 && fresh[col]) {
        const cw_u128 gb = 10000u + cp[col].liquidation_bonus_bps;
        cw_u128 s128 = md((cw_u128)repay * gb, pa, pc[col], CW_ROUND_DOWN) / 10000u;
        if (s128 > pos[col]) {
            seize = pos[col];
            cw_u128 cut = md((cw_u128)seize * 10000u, pc[col], pa, CW_ROUND_UP);
            cut = cut / gb + (cut % gb != 0);
            if (cut < repay)
                repay = (uint64_t)cut;
        } else {
            seize = (uint64_t)s128;
        }
        removed = (cw_u128)repay >= debt[mi] ? m->s[b]
                                             : md(repay, CW_WAD, m->idx, CW_ROUND_DOWN);
    } else {
        repay = 0;
    }
    /* (health, the sentinel and the close factor decide refusals, which the model does not
     * predict: it is told only of committed txs) */
    m->cash += repay;
    m->S -= removed;
    m->s[b] -= removed;
    /* left: position (after the seize) and releases in flight worth ≥ 1 unit at the latest
     * price */
    bool left = false;
    for (int c = 0; c < LW_COLS; c++) {
        cw_u128 held = (cw_u128)(c == col ? pos[c] - seize : pos[c]) + rel[c];
        if (md(held, pc[c], CW_WAD, CW_ROUND_DOWN) > 0)
            left = true;
    }
    bool touch[LW_MKTS] = {false};
    touch[mi] = true;
    for (int j = 0; j < LW_MKTS && !left; j++) {
        struct mm *x = &mk[j];
        if (x->s[b] == 0 || (md_->paused[j] & CW_LEND_ACTION_LIQUIDATE))
            continue;
        cw_u128 before = md(x->S, x->idx, CW_WAD, CW_ROUND_DOWN);
        x->S -= x->s[b];
        x->s[b] = 0;
        cw_u128 bad = before - md(x->S, x->idx, CW_WAD, CW_ROUND_DOWN);
        x->res -= bad < x->res ? bad : x->res;
        touch[j] = true;
    }
    for (int j = 0; j < LW_MKTS; j++) {
        md_->liq[j] = touch[j] ? mk[j] : md_->m[j];
    }
    md_->liq_seize = seize;
    md_->liq_borrower = b;
    md_->liq_col = col;
    md_->liq_pos_before = pos[col];
    md_->liq_valid = true;
}

/* Every committed tx, msg by msg (struct lw.on_tx). */
static void model_on_tx(void *arg, const cw_pubkey32 *signer, const msgpack_object *const *msgs,
                        int n)
{
    struct model *md_ = arg;
    struct lw *w = md_->w;
    const int u = user_of(w, signer);
    const uint64_t now = w->now;
    memset(md_->flash_lent, 0, sizeof md_->flash_lent);
    memset(md_->flash_fee, 0, sizeof md_->flash_fee);
    for (int k = 0; k < n; k++) {
        cw_dec d = {0};
        char type[CW_ID_MAX + 1];
        const msgpack_object *f = cw_dec_array(&d, msgs[k], 2, "msg");
        cw_dec_id(&d, &f[0], type, "type");
        const msgpack_object *body = &f[1];
        if (d.rc)
            return;
        if (!strcmp(type, CW_MSG_LEND_SUPPLY) || !strcmp(type, CW_MSG_LEND_BORROW) ||
            !strcmp(type, CW_MSG_LEND_FLASH_LOAN)) {
            cw_msg_lend_amount a;
            cw_msg_lend_supply_dec(&d, body, &a, type);
            int mi = market_of(w, a.asset);
            if (d.rc || mi < 0 || u < 0)
                return model_fail(md_, "a market msg it cannot read", 0);
            struct mm *m = &md_->m[mi];
            if (!strcmp(type, CW_MSG_LEND_FLASH_LOAN)) { /* cash untouched until the end */
                md_->flash_lent[mi] += a.amount;
                md_->flash_fee[mi] +=
                    (uint64_t)(((cw_u128)a.amount * m->fee_bps + 9999) / 10000);
                continue;
            }
            mm_accrue(m, now);
            if (!strcmp(type, CW_MSG_LEND_SUPPLY)) {
                cw_u128 minted = m->shares == 0 ? a.amount
                                                : md(a.amount, m->shares, mm_value(m),
                                                     CW_ROUND_DOWN);
                m->cash += a.amount;
                m->shares += minted;
                m->sh[u] += minted;
            } else {
                cw_u128 add = md(a.amount, CW_WAD, m->idx, CW_ROUND_UP);
                m->s[u] += add;
                m->S += add;
                m->cash -= a.amount;
            }
        } else if (!strcmp(type, CW_MSG_LEND_WITHDRAW_SUPPLY)) {
            cw_msg_lend_withdraw_supply a;
            cw_msg_lend_withdraw_supply_dec(&d, body, &a, type);
            int mi = market_of(w, a.asset);
            if (d.rc || mi < 0 || u < 0)
                return model_fail(md_, "a withdrawal it cannot read", 0);
            struct mm *m = &md_->m[mi];
            mm_accrue(m, now);
            cw_u128 v = mm_value(m), burned, pay;
            if (a.all) {
                burned = m->sh[u];
                pay = md(burned, v, m->shares, CW_ROUND_DOWN);
            } else {
                pay = a.amount;
                burned = md(pay, m->shares, v, CW_ROUND_UP);
            }
            m->cash -= (uint64_t)pay;
            m->shares -= burned;
            m->sh[u] -= burned;
        } else if (!strcmp(type, CW_MSG_LEND_REPAY)) {
            cw_msg_lend_repay a;
            cw_msg_lend_repay_dec(&d, body, &a, type);
            int mi = market_of(w, a.asset);
            int b = a.has_on_behalf_of ? user_addr(w, &a.on_behalf_of) : u;
            if (d.rc || mi < 0 || b < 0)
                return model_fail(md_, "a repay it cannot read", 0);
            struct mm *m = &md_->m[mi];
            mm_accrue(m, now);
            cw_u128 debt = md(m->s[b], m->idx, CW_WAD, CW_ROUND_UP), pay = a.amount;
            cw_u128 removed = pay >= debt ? m->s[b] : md(pay, CW_WAD, m->idx, CW_ROUND_DOWN);
            m->cash += (uint64_t)(pay >= debt ? debt : pay);
            m->s[b] -= removed;
            m->S -= removed;
        } else if (!strcmp(type, CW_MSG_LEND_WITHDRAW_RESERVES)) {
            cw_msg_lend_withdraw_reserves a;
            cw_msg_lend_withdraw_reserves_dec(&d, body, &a, type);
            int mi = market_of(w, a.asset);
            if (d.rc || mi < 0)
                return model_fail(md_, "a reserve withdrawal it cannot read", 0);
            mm_accrue(&md_->m[mi], now);
            md_->m[mi].cash -= a.amount;
            md_->m[mi].res -= a.amount;
        } else if (!strcmp(type, CW_MSG_LEND_PAUSE)) {
            cw_msg_lend_pause a;
            cw_msg_lend_pause_dec(&d, body, &a, type);
            int mi = market_of(w, a.asset);
            if (d.rc || mi < 0)
                return model_fail(md_, "a pause it cannot read", 0);
            mm_accrue(&md_->m[mi], now);
            if (a.paused)
                md_->paused[mi] |= a.actions;
            else
                md_->paused[mi] &= ~a.actions;
        } else if (!strcmp(type, CW_MSG_LEND_UPDATE_MARKET)) {
            static cw_msg_lend_update_market a;
            cw_msg_lend_update_market_dec(&d, body, &a, type);
            int mi = market_of(w, a.asset);
            if (d.rc || mi < 0)
                return model_fail(md_, "a market update it cannot read", 0);
            mm_accrue(&md_->m[mi], now); /* at the old rates */
            if (a.has_market) {
                struct mm *m = &md_->m[mi];
                m->base = a.market.base_rate_wad;
                m->s1 = a.market.slope1_wad;
                m->kink = a.market.kink_wad;
                m->s2 = a.market.slope2_wad;
                m->rf = a.market.reserve_factor_bps;
                m->fee_bps = a.market.flash_fee_bps;
            }
        } else if (!strcmp(type, CW_MSG_LEND_LIQUIDATE)) {
            cw_msg_lend_liquidate a;
            cw_msg_lend_liquidate_dec(&d, body, &a, type);
            int mi = market_of(w, a.asset);
            if (d.rc || mi < 0)
                return model_fail(md_, "a liquidation it cannot read", 0);
            if (!md_->liq_valid)
                return model_fail(md_, "a liquidation the model did not see coming", mi);
            memcpy(md_->m, md_->liq, sizeof md_->m);
            md_->liq_valid = false;
            if (lw_pos(w, md_->liq_borrower, md_->liq_col) !=
                md_->liq_pos_before - md_->liq_seize)
                return model_fail(md_, "a liquidation seized other than the model's seize", mi);
            md_->liquidations_modelled++;
        }
        cw_dec_close(&d);
    }
    /* the tx's end: every flash loan back with its fee, to cash and reserves */
    for (int mi = 0; mi < LW_MKTS; mi++)
        if (md_->flash_lent[mi]) {
            mm_accrue(&md_->m[mi], now);
            md_->m[mi].cash += md_->flash_fee[mi];
            md_->m[mi].res += md_->flash_fee[mi];
        }
}

/* The chain's stored books against the model's, every market, every user. NULL or what
 * differs. */
static const char *model_check(struct model *md_)
{
    struct lw *w = md_->w;
    if (md_->why[0])
        return md_->why;
    for (int mi = 0; mi < LW_MKTS; mi++) {
        const struct mm *m = &md_->m[mi];
        cw_lend_market s;
        if (cw_lend_market_read(&w->kv, w->asset[mi], 0, NULL, &s) != CW_OK)
            return "model: market unreadable";
        if (s.borrow_index_wad != m->idx || s.total_scaled_debt != m->S || s.cash != m->cash ||
            s.reserves != m->res || s.total_shares != m->shares || s.last_accrual_ns != m->last) {
            snprintf(md_->why, sizeof md_->why,
                     "model: %s books differ: index %s, scaled %s, cash %llu/%llu, reserves %s, "
                     "shares %s, last accrual %s",
                     w->asset[mi], s.borrow_index_wad == m->idx ? "=" : "differs",
                     s.total_scaled_debt == m->S ? "=" : "differs",
                     (unsigned long long)s.cash, (unsigned long long)m->cash,
                     s.reserves == m->res ? "=" : "differs",
                     s.total_shares == m->shares ? "=" : "differs",
                     s.last_accrual_ns == m->last ? "=" : "differs");
            return md_->why;
        }
        cw_lend_account_info a;
        for (int u = 0; u < LW_USERS; u++) {
            if (cw_lend_account(&w->kv, 0, &a, &w->addr[u]) != CW_OK)
                return "model: account unreadable";
            if (a.markets[mi].scaled_debt != m->s[u] || a.markets[mi].shares != m->sh[u]) {
                snprintf(md_->why, sizeof md_->why, "model: user %d's %s debt or shares differ",
                         u, w->asset[mi]);
                return md_->why;
            }
        }
    }
    md_->checked++;
    return NULL;
}

static uint64_t g_model_checks, g_model_resyncs;
static uint64_t g_keeper_liqs, g_keeper_by_market[LW_MKTS];
static uint64_t g_by_op[LW_SIM_OPS], g_bad_debt_seeds, g_write_offs, g_reserve_withdrawals,
    g_paused_refusals, g_flash_repaid, g_flash_refused, g_by_market[LW_MKTS], g_stale_waits;

static void run_seed(uint64_t seed, uint64_t steps, uint64_t *ok, uint64_t *failed)
{
    struct lw_sim *s = calloc(1, sizeof *s);
    assert_non_null(s);
    assert_int_equal(lw_sim_init(s), CW_OK);
    struct model *md_ = calloc(1, sizeof *md_);
    assert_non_null(md_);
    md_->w = &s->w;
    model_resync(md_); /* the genesis books */
    md_->resyncs = 0;
    s->w.on_tx = model_on_tx;
    s->w.on_pre = model_on_pre;
    s->w.on_tx_arg = md_;
    uint64_t st = seed;
    /* start from a funded, priced market so the walk reaches borrowing quickly */
    for (int u = 0; u < 3; u++)
        for (uint64_t mi = 0; mi < LW_MKTS; mi++) /* x's top bits pick the market */
            assert_null(lw_sim_step(s, 0, (uint8_t)u, 0, 5000000 | mi << 62));
    for (int c = 0; c < LW_COLS; c++)
        assert_null(lw_sim_step(s, 6, 0, (uint8_t)c, 150));
    assert_null(lw_sim_step(s, 6, 0, 4, 0)); /* ueur's first price: 1.1 */
    for (int u = 0; u < LW_USERS; u++)
        assert_null(lw_sim_step(s, 7, (uint8_t)u, (uint8_t)u, 1000000));
    for (uint64_t i = 0; i < steps; i++) {
        uint64_t r = rng(&st);
        const char *why = lw_sim_step(s, (uint8_t)r, (uint8_t)(r >> 8), (uint8_t)(r >> 16),
                                      rng(&st));
        if (!why)
            why = model_check(md_);
        if (why)
            fail_msg("seed %llu step %llu op %u: %s (%s)", (unsigned long long)seed,
                     (unsigned long long)i, (unsigned)((uint8_t)r % LW_SIM_OPS), why, s->w.err);
    }
    /* wind down: every debt repaid, every release settled, every supplier exits */
    struct lw *w = &s->w;
    w->now += 3600 * LW_SEC;
    for (int u = 0; u < LW_USERS; u++)
        for (int mi = 0; mi < LW_MKTS; mi++)
            if (lw_acct_in(w, u, mi).debt > 0)
                assert_int_equal(lw_repay_in(w, (u + 1) % LW_USERS, mi, UINT64_MAX, u), CW_OK);
    while (s->n_pending)
        assert_null(lw_sim_step(s, 9, 0, 1, 0));
    /* repay above ran whatever the walk left paused (repay is never paused); now the admin
     * resumes everything and every supplier withdraws all its shares */
    bool bad = false;
    for (int mi = 0; mi < LW_MKTS; mi++) {
        assert_int_equal(lw_pause_in(w, &w->admin, mi, CW_LEND_ACTION_ALL, false), CW_OK);
        assert_true(lw_market_in(w, mi).paused_actions == 0);
        for (int u = 0; u < LW_USERS; u++) {
            lw_account a = lw_acct_in(w, u, mi);
            assert_true(a.debt == 0);
            if (a.supply_value > 0) {
                uint64_t before = lw_bal_in(w, &w->addr[u], mi);
                assert_int_equal(lw_withdraw_ex_in(w, u, mi, 0, true), CW_OK);
                assert_true(lw_bal_in(w, &w->addr[u], mi) - before == (uint64_t)a.supply_value);
                assert_true(lw_acct_in(w, u, mi).shares == 0);
            }
        }
    }
    const char *why = lw_check_books(w, s->escrow, s->dust_max + 4);
    if (!why)
        why = model_check(md_);
    if (why)
        fail_msg("seed %llu after wind-down: %s", (unsigned long long)seed, why);
    for (int mi = 0; mi < LW_MKTS; mi++) {
        cw_lend_market m = lw_market_in(w, mi);
        /* with every debt repaid and every supplier out, the pool holds the reserves (in
         * cash) plus rounding dust */
        assert_true(m.total_borrows == 0);
        assert_true((cw_u128)m.cash >= m.reserves);
        if ((cw_u128)m.cash - m.reserves > s->dust_max + 2 * LW_USERS)
            fail_msg("seed %llu %s: %llu left in the pool beyond reserves and dust",
                     (unsigned long long)seed, w->asset[mi],
                     (unsigned long long)(m.cash - m.reserves));
        /* the admin can take every unit of reserves out: they are all in cash now */
        if (m.reserves > 0) {
            assert_int_equal(lw_withdraw_reserves_in(w, &w->admin, mi, &w->addr[0],
                                                     (uint64_t)m.reserves),
                             CW_OK);
            assert_true(lw_market_in(w, mi).reserves == 0);
            assert_null(lw_check_books(w, s->escrow, s->dust_max + 4));
        }
        bad |= m.bad_debt > 0;
    }
    g_reserve_withdrawals += s->reserve_withdrawals;
    g_paused_refusals += s->paused_refusals;
    for (int i = 0; i < LW_SIM_OPS; i++)
        g_by_op[i] += s->ok_by_op[i];
    g_write_offs += s->write_offs;
    assert_null(model_check(md_)); /* the reserve withdrawals too */
    g_model_checks += md_->checked;
    g_model_resyncs += md_->liquidations_modelled;
    free(md_);
    g_bad_debt_seeds += bad;
    g_flash_repaid += s->flash_repaid;
    g_flash_refused += s->flash_refused;
    g_stale_waits += s->stale_debt_waits;
    for (int mi = 0; mi < LW_MKTS; mi++)
        g_by_market[mi] += s->ok_by_market[mi];
    g_keeper_liqs += s->keeper_liqs;
    for (int mi = 0; mi < LW_MKTS; mi++)
        g_keeper_by_market[mi] += s->keeper_liqs_by_market[mi];
    *ok += s->ok_ops;
    *failed += s->failed_ops;
    lw_free(w);
    free(s);
}

static void test_random_walk_keeps_books_balanced_and_ltv(void **state)
{
    (void)state;
    uint64_t seeds = env_u64("CW_LEND_SEEDS", 16), steps = env_u64("CW_LEND_STEPS", 2000);
    uint64_t base = env_u64("CW_LEND_SEED", 1), ok = 0, failed = 0;
    for (uint64_t i = 0; i < seeds; i++)
        run_seed(base + i, steps, &ok, &failed);
    fprintf(stderr, "lend random: %llu seeds x %llu steps: %llu ops applied, %llu refused\n",
            (unsigned long long)seeds, (unsigned long long)steps, (unsigned long long)ok,
            (unsigned long long)failed);
    fprintf(stderr, "  applied: supply %llu withdraw %llu borrow %llu repay %llu liquidate %llu "
            "price %llu credit %llu release %llu settle %llu; seeds with bad debt %llu, "
            "sweeps that wrote a debt off %llu\n",
            (unsigned long long)g_by_op[0], (unsigned long long)g_by_op[1],
            (unsigned long long)g_by_op[2], (unsigned long long)g_by_op[3],
            (unsigned long long)g_by_op[4], (unsigned long long)g_by_op[6],
            (unsigned long long)g_by_op[7], (unsigned long long)g_by_op[8],
            (unsigned long long)g_by_op[9], (unsigned long long)g_bad_debt_seeds,
            (unsigned long long)g_write_offs);
    fprintf(stderr, "  pause/resume or reserve withdrawal %llu (reserve withdrawals %llu), caps "
            "or retunes %llu, sweeps refused while liquidation was paused %llu\n",
            (unsigned long long)g_by_op[10], (unsigned long long)g_reserve_withdrawals,
            (unsigned long long)g_by_op[11], (unsigned long long)g_paused_refusals);
    fprintf(stderr, "  independent model: books agreed at %llu checks (every market, every user); "
            "%llu liquidations (and their write-offs) predicted by it\n",
            (unsigned long long)g_model_checks, (unsigned long long)g_model_resyncs);
    fprintf(stderr, "  market msgs applied: uusd %llu, ueur %llu; flash loans repaid %llu, "
            "refused whole for not being repaid %llu; sweeps waiting for a debt's price %llu\n",
            (unsigned long long)g_by_market[0], (unsigned long long)g_by_market[1],
            (unsigned long long)g_flash_repaid, (unsigned long long)g_flash_refused,
            (unsigned long long)g_stale_waits);
    fprintf(stderr, "  liquidations chosen as the keeper does (quote + cw_liq_choose over every "
            "market) %llu: repaying uusd %llu, ueur %llu\n",
            (unsigned long long)g_keeper_liqs, (unsigned long long)g_keeper_by_market[0],
            (unsigned long long)g_keeper_by_market[1]);
    /* the walk must reach the interesting paths, or it proves little */
    assert_true(ok > 0 && failed > 0);
    assert_true(g_by_op[2] > 0 && g_by_op[3] > 0 && g_by_op[4] > 0 && g_by_op[8] > 0);
    assert_true(g_write_offs > 0); /* a borrower left with dust (or nothing) was cleared */
    assert_true(g_reserve_withdrawals > 0);
    assert_true(g_by_market[1] > 0 && g_flash_repaid > 0 && g_flash_refused > 0);
    assert_true(g_model_checks > steps);
    assert_true(g_keeper_liqs > 0);
    assert_true(g_keeper_by_market[0] > 0 && g_keeper_by_market[1] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_walk_keeps_books_balanced_and_ltv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
