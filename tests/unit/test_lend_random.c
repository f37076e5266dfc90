/* Randomized lending market (DESIGN §8 invariants): random supply / withdraw / borrow /
 * repay / liquidate / time / price / deposit / release / settle / pause / retune steps,
 * checking after every step that
 *   - the books balance: cash + borrows − reserves ≥ supplied − withdrawn + suppliers'
 *     interest − socialized bad debt, with the surplus within the rounding dust allowed;
 *   - the pool's bank balance is the market's cash; shares and scaled debts add up;
 *   - no Borrow or release leaves Σ value × LTV < debt;
 *   - collateral totals equal Σ positions and A's escrow equals total + in flight;
 *   - no failing call writes state; a release's settlement never fails;
 *   - bad debt is recorded, never hidden: a borrower with debt and nothing worth a base unit
 *     left (positions and releases in flight, dust amounts and collapsed prices included)
 *     is cleared by one liquidation, recorded as bad debt (lw_sim_sweep).
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
    g_paused_refusals;

static void run_seed(uint64_t seed, uint64_t steps, uint64_t *ok, uint64_t *failed)
{
    struct lw_sim *s = calloc(1, sizeof *s);
    assert_non_null(s);
    assert_int_equal(lw_sim_init(s), CW_OK);
    uint64_t st = seed;
    /* start from a funded, priced market so the walk reaches borrowing quickly */
    for (int u = 0; u < 3; u++)
        assert_null(lw_sim_step(s, 0, (uint8_t)u, 0, 5000000));
    for (int c = 0; c < LW_COLS; c++)
        assert_null(lw_sim_step(s, 6, 0, (uint8_t)c, 150));
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
        if (lw_acct(w, u).debt > 0)
            assert_int_equal(lw_repay(w, (u + 1) % LW_USERS, UINT64_MAX, u), CW_OK);
    while (s->n_pending)
        assert_null(lw_sim_step(s, 9, 0, 1, 0));
    /* repay above ran whatever the walk left paused (repay is never paused); now the admin
     * resumes everything and every supplier withdraws all its shares */
    assert_int_equal(lw_pause_as(w, &w->admin, CW_LEND_ACTION_ALL, false), CW_OK);
    assert_true(lw_market(w).paused_actions == 0);
    for (int u = 0; u < LW_USERS; u++) {
        lw_account a = lw_acct(w, u);
        assert_true(a.debt == 0);
        if (a.supply_value > 0) {
            uint64_t before = lw_bal(w, &w->addr[u]);
            assert_int_equal(lw_withdraw_all(w, u), CW_OK);
            assert_true(lw_bal(w, &w->addr[u]) - before == (uint64_t)a.supply_value);
            assert_true(lw_acct(w, u).shares == 0);
        }
    }
    const char *why = lw_check_books(w, s->escrow, s->dust_max + 4);
    if (why)
        fail_msg("seed %llu after wind-down: %s", (unsigned long long)seed, why);
    cw_lend_market m = lw_market(w);
    /* with every debt repaid and every supplier out, the pool holds the reserves (in cash)
     * plus rounding dust */
    assert_true(m.total_borrows == 0);
    assert_true((cw_u128)m.cash >= m.reserves);
    if ((cw_u128)m.cash - m.reserves > s->dust_max + 2 * LW_USERS)
        fail_msg("seed %llu: %llu left in the pool beyond reserves and dust",
                 (unsigned long long)seed, (unsigned long long)(m.cash - m.reserves));
    /* the admin can take every unit of reserves out: they are all in cash now */
    if (m.reserves > 0) {
        assert_int_equal(lw_withdraw_reserves_as(w, &w->admin, &w->addr[0], (uint64_t)m.reserves),
                         CW_OK);
        assert_true(lw_market(w).reserves == 0);
        assert_null(lw_check_books(w, s->escrow, s->dust_max + 4));
    }
    g_reserve_withdrawals += s->reserve_withdrawals;
    g_paused_refusals += s->paused_refusals;
    for (int i = 0; i < LW_SIM_OPS; i++)
        g_by_op[i] += s->ok_by_op[i];
    g_write_offs += s->write_offs;
    g_bad_debt_seeds += m.bad_debt > 0;
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
    /* the walk must reach the interesting paths, or it proves little */
    assert_true(ok > 0 && failed > 0);
    assert_true(g_by_op[2] > 0 && g_by_op[3] > 0 && g_by_op[4] > 0 && g_by_op[8] > 0);
    assert_true(g_write_offs > 0); /* a borrower left with dust (or nothing) was cleared */
    assert_true(g_reserve_withdrawals > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_walk_keeps_books_balanced_and_ltv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
