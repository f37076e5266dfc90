/* libFuzzer: the lending market (channels/lending.c) driven by arbitrary bytes.
 *
 * Input: a sequence of records against a fresh market (test_lend_world.h: genesis, two
 * registered collaterals, six funded users):
 *   op < 0xf0:  [op, a, b, x(8 bytes LE)]  one simulator step (supply, withdraw, borrow,
 *               repay, liquidate, time, price, deposit, release, settle, pause, retune)
 *   op ≥ 0xf0:  [op, a, b, len, body(len bytes)]  a raw msg body (any bytes) for route
 *               b % n_routes, signed by the admin (admin msgs), the oracle (oracle.set_price)
 *               or user a % 6 (market msgs)
 * At most 64 records per input. After every record the DESIGN §8 invariants must hold
 * (lw_check_books: pool balance = cash, shares and debts add up, cash + borrows − reserves
 * covers what suppliers are owed within the rounding allowed, positions add up to totals,
 * escrow = total + in flight), no Borrow or release leaves value × LTV < debt, no failing
 * call writes state or fails without saying why, and a release's settlement never fails.
 * Any violation aborts.
 *
 * Speed: the books check reads every account and position through the market's readers
 * (~20 store decodes) and was ~70% of the time, run after every record. Most records are
 * refused msgs, which write nothing (checked), so the check is skipped when its inputs —
 * the store (every write counted, lw_sim_count_writes), block time, the escrow model and
 * dust_max — are those of the last check that passed (lw_sim_books): it is a function of
 * them alone. CW_FUZZ_LEND_MEMO_VERIFY=1 in the environment runs every check anyway and
 * aborts if a skipped one would have failed. Building the world per input (genesis, six
 * mints, two registrations) is ~2% of the time, so each input still gets a fresh world: its
 * verdict cannot depend on earlier inputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/test_lend_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *why, const struct lw_sim *s)
{
    if (why) {
        fprintf(stderr, "invariant broken: %s (last error: %s)\n", why, s->w.err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct lw_sim sim;
    struct lw_sim *s = &sim;
    static int verify = -1;
    if (verify < 0) {
        const char *e = getenv("CW_FUZZ_LEND_MEMO_VERIFY");
        verify = e && strcmp(e, "1") == 0;
    }
    if (lw_sim_init(s) != CW_OK)
        abort();
    lw_sim_count_writes(s);
    s->memo_verify = verify;
    size_t n_routes;
    const cw_lend_route *routes = cw_lend_routes(&n_routes);
    size_t off = 0;
    for (int rec = 0; rec < 64 && off + 3 <= size; rec++) {
        uint8_t op = data[off], a = data[off + 1], b = data[off + 2];
        off += 3;
        if (op < 0xf0) {
            uint64_t x = 0;
            for (int i = 0; i < 8 && off < size; i++, off++)
                x |= (uint64_t)data[off] << (8 * i);
            check(lw_sim_step(s, op, a, b, x), s);
            continue;
        }
        if (off >= size)
            break;
        size_t len = data[off++];
        if (len > size - off)
            len = size - off;
        const char *type = routes[b % n_routes].type;
        const cw_pubkey32 *signer = &s->w.user[a % LW_USERS];
        if (strcmp(type, CW_MSG_LEND_REGISTER_COLLATERAL) == 0 ||
            strcmp(type, CW_MSG_LEND_UPDATE_MARKET) == 0 || strcmp(type, CW_MSG_LEND_PAUSE) == 0 ||
            strcmp(type, CW_MSG_LEND_WITHDRAW_RESERVES) == 0)
            signer = &s->w.admin;
        else if (strcmp(type, CW_MSG_ORACLE_SET_PRICE) == 0)
            signer = &s->w.oracle;
        int rc = lw_run_raw(&s->w, signer, type, data + off, len);
        off += len;
        if (rc == LW_EWROTE)
            check("a failing msg wrote state or said nothing", s);
        if (rc == CW_OK)
            lw_sim_dust(s);
        if (rc == CW_OK && strcmp(type, CW_MSG_LEND_BORROW) == 0)
            check(lw_sim_within_ltv(s, a % LW_USERS), s);
        check(lw_sim_books(s), s);
    }
    lw_free(&s->w);
    return 0;
}
