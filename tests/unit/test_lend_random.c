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
 *     no balance and no market's books; no flash record outlives its tx.
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

static uint64_t g_by_op[LW_SIM_OPS], g_bad_debt_seeds, g_write_offs, g_reserve_withdrawals,
    g_paused_refusals, g_flash_repaid, g_flash_refused, g_by_market[LW_MKTS], g_stale_waits;

static void run_seed(uint64_t seed, uint64_t steps, uint64_t *ok, uint64_t *failed)
{
    struct lw_sim *s = calloc(1, sizeof *s);
    assert_non_null(s);
    assert_int_equal(lw_sim_init(s), CW_OK);
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
    g_bad_debt_seeds += bad;
    g_flash_repaid += s->flash_repaid;
    g_flash_refused += s->flash_refused;
    g_stale_waits += s->stale_debt_waits;
    for (int mi = 0; mi < LW_MKTS; mi++)
        g_by_market[mi] += s->ok_by_market[mi];
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
    fprintf(stderr, "  market msgs applied: uusd %llu, ueur %llu; flash loans repaid %llu, "
            "refused whole for not being repaid %llu; sweeps waiting for a debt's price %llu\n",
            (unsigned long long)g_by_market[0], (unsigned long long)g_by_market[1],
            (unsigned long long)g_flash_repaid, (unsigned long long)g_flash_refused,
            (unsigned long long)g_stale_waits);
    /* the walk must reach the interesting paths, or it proves little */
    assert_true(ok > 0 && failed > 0);
    assert_true(g_by_op[2] > 0 && g_by_op[3] > 0 && g_by_op[4] > 0 && g_by_op[8] > 0);
    assert_true(g_write_offs > 0); /* a borrower left with dust (or nothing) was cleared */
    assert_true(g_reserve_withdrawals > 0);
    assert_true(g_by_market[1] > 0 && g_flash_repaid > 0 && g_flash_refused > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_walk_keeps_books_balanced_and_ltv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
