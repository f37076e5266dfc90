/* causeway keeper — automatic liquidation on the lending chain (DESIGN §8 "Keeper").
 *
 * Follows the chain's blocks (the `blocks` notifications of the chain-client library, with a
 * status poll as the fallback), and at every new height:
 *   1. walks the borrower index (lend_borrowers, paged) and proves every address it lists —
 *      market/borrowers/{addr} present at the page's height — and, when the whole walk was
 *      served at one height, that the proven market/borrower_count equals what was listed
 *      (a node hiding a borrower is caught and counted, not trusted);
 *   2. asks the chain for each borrower's liquidation quote (lend_quote: health factor, and
 *      what lend.liquidate would accept per debt market × collateral, decided by the chain's
 *      own rules);
 *   3. for a borrower the chain would liquidate (health < 1, no refusal) caps each market's
 *      repay by its own balance of that market's asset (it repays from the signer's account,
 *      so it must hold the assets it is to repay), chooses the market, denom and repay that
 *      maximise the seize's value in the price unit (cw_liq_choose, common/liquidation.c: the
 *      same seize arithmetic lend.liquidate uses), proves the borrower's position in that
 *      denom, and sends lend.liquidate naming the market's asset; a healthy position is never
 *      touched.
 * A liquidation another keeper won first fails cleanly on chain (no debt left, or healthy):
 * it is logged and counted as a failure, and the keeper goes on. Nothing the node sends makes
 * it exit: errors are logged, the connection is re-opened with backoff by the chain client.
 * /metrics (Prometheus text) and /healthz are served on --metrics-port from their own thread.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "causeway/app_msgs.h"
#include "causeway/chain_client.h"
#include "causeway/cliopt.h"
#include "causeway/hex.h"
#include "causeway/keys.h"
#include "causeway/liquidation.h"
#include "causeway/log.h"
#include "causeway/rpc_server.h"
#include "cli.h"

#define KEEPER_INFLIGHT_MAX 256 /* liquidations sent and not yet settled */
#define KEEPER_DENOMS_MAX CW_LEND_MAX_COLLATERALS
#define KEEPER_TX_LOST_MS 60000 /* a sent tx not committed by then is counted failed */
#define KEEPER_BORROWERS_MAX 1000000u /* borrowers one round walks, at most (a node that
                                       * keeps promising more pages cannot hold a round) */

/* ---- metrics (written by the keeper thread, read by the server thread, under mu) ------- */

typedef struct keeper_metrics {
    pthread_mutex_t mu;
    uint64_t height;                 /* last height a round ran at */
    uint64_t rounds;
    uint64_t watched;                /* borrowers in the index at the last round */
    uint64_t liquidatable;           /* of those, liquidatable at the last round */
    uint64_t liquidations, failures; /* committed ok / failed, lost or refused at broadcast */
    uint64_t index_mismatches;       /* the node's index disagreed with the proven state */
    uint64_t errors;                 /* rounds cut short by an RPC or proof error */
    cw_u128 repaid, seize_value, profit; /* in the price unit (the first market's asset) */
    uint32_t n_denoms;
    struct {
        char denom[CW_TRACE_DENOM_LEN + 1];
        cw_u128 seized;
    } seized[KEEPER_DENOMS_MAX];
} keeper_metrics;

static keeper_metrics km = {.mu = PTHREAD_MUTEX_INITIALIZER};

#define KM_SET(field, v)                                                                   \
    do {                                                                                   \
        pthread_mutex_lock(&km.mu);                                                        \
        km.field = (v);                                                                    \
        pthread_mutex_unlock(&km.mu);                                                      \
    } while (0)
#define KM_ADD(field, v) KM_SET(field, km.field + (v))

static int metrics_cb(void *user, cw_rpc_text *t)
{
    (void)user;
    keeper_metrics m;
    pthread_mutex_lock(&km.mu);
    memcpy(&m, &km, sizeof m);
    pthread_mutex_unlock(&km.mu);
    char r[41], v[41], p[41];
    cw_u128_to_dec(r, sizeof r, m.repaid);
    cw_u128_to_dec(v, sizeof v, m.seize_value);
    cw_u128_to_dec(p, sizeof p, m.profit);
    int rc = cw_rpc_text_appendf(
        t,
        "# HELP causeway_keeper_height Height of the keeper's last round.\n"
        "# TYPE causeway_keeper_height gauge\ncauseway_keeper_height %llu\n"
        "# HELP causeway_keeper_rounds_total Rounds run (one per new block seen).\n"
        "# TYPE causeway_keeper_rounds_total counter\ncauseway_keeper_rounds_total %llu\n"
        "# HELP causeway_keeper_positions_watched Borrowers in the chain's index at the last "
        "round (each proven).\n"
        "# TYPE causeway_keeper_positions_watched gauge\ncauseway_keeper_positions_watched %llu\n"
        "# HELP causeway_keeper_positions_liquidatable Of those, liquidatable at the last round.\n"
        "# TYPE causeway_keeper_positions_liquidatable gauge\n"
        "causeway_keeper_positions_liquidatable %llu\n"
        "# HELP causeway_keeper_liquidations_total Liquidations committed successfully.\n"
        "# TYPE causeway_keeper_liquidations_total counter\n"
        "causeway_keeper_liquidations_total %llu\n"
        "# HELP causeway_keeper_liquidation_failures_total Liquidations refused or failed (e.g. "
        "another keeper was first), or not committed in time.\n"
        "# TYPE causeway_keeper_liquidation_failures_total counter\n"
        "causeway_keeper_liquidation_failures_total %llu\n"
        "# HELP causeway_keeper_index_mismatches_total Rounds where the node's borrower index "
        "disagreed with the proven state.\n"
        "# TYPE causeway_keeper_index_mismatches_total counter\n"
        "causeway_keeper_index_mismatches_total %llu\n"
        "# HELP causeway_keeper_round_errors_total Rounds cut short by an RPC or proof error.\n"
        "# TYPE causeway_keeper_round_errors_total counter\n"
        "causeway_keeper_round_errors_total %llu\n"
        "# HELP causeway_keeper_repaid_total Debt repaid by committed liquidations, in every "
        "market, valued in the price unit (base units of the first market's asset).\n"
        "# TYPE causeway_keeper_repaid_total counter\ncauseway_keeper_repaid_total %s\n"
        "# HELP causeway_keeper_seize_value_total Collateral seized, valued at the oracle price "
        "of the quote, in the price unit.\n"
        "# TYPE causeway_keeper_seize_value_total counter\ncauseway_keeper_seize_value_total %s\n"
        "# HELP causeway_keeper_profit_total Seize value minus repay value (the bonus "
        "earned), in the price unit.\n"
        "# TYPE causeway_keeper_profit_total counter\ncauseway_keeper_profit_total %s\n"
        "# HELP causeway_keeper_seized_total Collateral seized per trace denom, base units.\n"
        "# TYPE causeway_keeper_seized_total counter\n",
        (unsigned long long)m.height, (unsigned long long)m.rounds,
        (unsigned long long)m.watched, (unsigned long long)m.liquidatable,
        (unsigned long long)m.liquidations, (unsigned long long)m.failures,
        (unsigned long long)m.index_mismatches, (unsigned long long)m.errors, r, v, p);
    for (uint32_t i = 0; rc == CW_OK && i < m.n_denoms; i++) {
        char s[41];
        cw_u128_to_dec(s, sizeof s, m.seized[i].seized);
        rc = cw_rpc_text_appendf(t, "causeway_keeper_seized_total{denom=\"%s\"} %s\n",
                                 m.seized[i].denom, s);
    }
    return rc;
}

static void km_seized(const char *denom, uint64_t amount)
{
    pthread_mutex_lock(&km.mu);
    uint32_t i = 0;
    while (i < km.n_denoms && strcmp(km.seized[i].denom, denom) != 0)
        i++;
    if (i == km.n_denoms && i < KEEPER_DENOMS_MAX)
        snprintf(km.seized[km.n_denoms++].denom, sizeof km.seized[0].denom, "%s", denom);
    if (i < km.n_denoms)
        km.seized[i].seized += amount;
    pthread_mutex_unlock(&km.mu);
}

static cw_rpc_server_thread *metrics_srv;

static int metrics_start(const char *host, uint64_t port, char *err, size_t err_len)
{
    cw_rpc_server_config sc = {.listen_addr = host, .port = (int)port,
                               .metrics_cb = metrics_cb, .max_connections = 16};
    int rc = cw_rpc_server_thread_start(&metrics_srv, &sc, err, err_len);
    if (rc)
        return cw_err_prefix(err, err_len, rc, "--metrics-port");
    cw_log(CW_LOG_INFO, "keeper metrics listening addr=%s port=%d", host,
           cw_rpc_server_thread_port(metrics_srv));
    return CW_OK;
}

/* ---- the keeper ------------------------------------------------------------------------ */

typedef struct inflight {
    uint8_t hash[32];
    cw_address borrower;
    char asset[CW_ID_MAX + 1]; /* the debt market repaid */
    char denom[CW_TRACE_DENOM_LEN + 1];
    cw_liq_choice ch;
    uint64_t sent_ms;
} inflight;

typedef struct keeper {
    cw_chain_client c;
    cw_chain_cfg cfg;
    uint64_t max_repay; /* budget per liquidation, base units */
    uint32_t page;      /* lend_borrowers page size */
    bool prove;
    inflight fl[KEEPER_INFLIGHT_MAX];
    size_t n_fl;
    cw_address *addrs; /* the round's borrowers */
    size_t n_addrs, cap_addrs;
} keeper;

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void hex20(char out[41], const cw_address *a) { cw_hex_encode(out, 41, a->b, 20); }

static bool in_flight(const keeper *k, const cw_address *a)
{
    for (size_t i = 0; i < k->n_fl; i++)
        if (memcmp(k->fl[i].borrower.b, a->b, 20) == 0)
            return true;
    return false;
}

static int push_addr(keeper *k, const cw_address *a)
{
    if (k->n_addrs == k->cap_addrs) {
        size_t cap = k->cap_addrs ? k->cap_addrs * 2 : 256;
        cw_address *p = realloc(k->addrs, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        k->addrs = p;
        k->cap_addrs = cap;
    }
    k->addrs[k->n_addrs++] = *a;
    return CW_OK;
}

/* Prove one page: each listed address's index key present at pg->height, and the count key
 * (*count). Addresses proven absent are dropped from the round (a node listing a
 * non-borrower is counted as a mismatch). */
static int prove_page(keeper *k, const cw_rpc_lend_borrowers *pg, size_t first,
                      uint64_t *count, bool *mismatch, char *err, size_t err_len)
{
    size_t n = pg->n + 1;
    cw_chain_qreq *q = calloc(n, sizeof *q);
    if (!q)
        return cw_errf(err, err_len, -ENOMEM, "out of memory");
    snprintf(q[0].key, sizeof q[0].key, "%s", CW_KEY_LEND_BORROWER_COUNT);
    for (uint32_t i = 0; i < pg->n; i++)
        cw_key_lend_borrower(q[i + 1].key, &pg->addrs[i]);
    int rc = cw_chain_query_many(&k->c, q, n, pg->height, err, err_len);
    if (rc == CW_OK)
        rc = cw_val_u64_rec_dec(count, q[0].val, q[0].val_len, err, err_len);
    size_t w = first;
    for (uint32_t i = 0; rc == CW_OK && i < pg->n; i++) {
        uint64_t markets = 0;
        if (cw_val_u64_rec_dec(&markets, q[i + 1].val, q[i + 1].val_len, NULL, 0) ||
            markets == 0) {
            char a[41];
            hex20(a, &pg->addrs[i]);
            cw_log(CW_LOG_WARN, "keeper: the node listed %s as a borrower; the proven state at "
                   "height %llu has no index entry for it: skipped", a,
                   (unsigned long long)pg->height);
            *mismatch = true;
            continue;
        }
        k->addrs[w++] = k->addrs[first + i];
    }
    if (rc == CW_OK)
        k->n_addrs = w;
    cw_chain_qreq_free(q, n);
    free(q);
    return rc;
}

/* Step 1: every borrower, proven. */
static int walk_index(keeper *k, char *err, size_t err_len)
{
    static cw_rpc_lend_borrowers pg;
    cw_address after;
    bool has_after = false, one_height = true, mismatch = false;
    uint64_t height = 0, count = 0;
    k->n_addrs = 0;
    for (;;) {
        int rc = cw_chain_lend_borrowers(&k->c, has_after ? &after : NULL, k->page, &pg, err,
                                         err_len);
        if (rc)
            return rc;
        if (height == 0)
            height = pg.height;
        one_height = one_height && pg.height == height;
        size_t first = k->n_addrs;
        for (uint32_t i = 0; i < pg.n; i++)
            if ((rc = push_addr(k, &pg.addrs[i])))
                return cw_errf(err, err_len, rc, "out of memory");
        if (k->prove && (pg.n > 0 || !pg.has_next) &&
            (rc = prove_page(k, &pg, first, &count, &mismatch, err, err_len)))
            return rc;
        if (!pg.has_next || pg.n == 0)
            break;
        if (k->n_addrs >= KEEPER_BORROWERS_MAX)
            return cw_errf(err, err_len, CW_ETOOBIG, "more than %u borrowers listed: round cut "
                           "(the node keeps promising pages)", KEEPER_BORROWERS_MAX);
        after = pg.next;
        has_after = true;
    }
    /* completeness: the proven count of index entries against what the node listed */
    if (k->prove && one_height && count != k->n_addrs) {
        cw_log(CW_LOG_WARN, "keeper: the node's borrower index lists %zu borrowers at height "
               "%llu; the proven market/borrower_count is %llu", k->n_addrs,
               (unsigned long long)height, (unsigned long long)count);
        mismatch = true;
    }
    if (mismatch)
        KM_ADD(index_mismatches, 1);
    return CW_OK;
}

/* The borrower's position in denom proven at the latest height equals what the quote said. */
static int prove_position(keeper *k, const cw_address *a, const cw_liq_option *o, char *err,
                          size_t err_len)
{
    char key[CW_KEY_MAX];
    uint8_t *val = NULL, *proof = NULL;
    size_t vl = 0, pl = 0;
    uint64_t at = 0, pos = 0;
    int rc = cw_key_collateral_position(key, a, o->trace_denom);
    if (rc == CW_OK)
        rc = cw_chain_query(&k->c, key, 0, true, &val, &vl, &proof, &pl, &at, err, err_len);
    if (rc == CW_OK)
        rc = cw_val_u64_rec_dec(&pos, val, vl, err, err_len);
    if (rc == CW_OK && pos != o->position)
        rc = cw_errf(err, err_len, CW_ESTATE, "proven position %llu at height %llu, quoted %llu "
                     "(the state moved: next block)", (unsigned long long)pos,
                     (unsigned long long)at, (unsigned long long)o->position);
    free(val);
    free(proof);
    return rc;
}

/* What the keeper's account holds of denom (at the latest height; unproven: a wrong answer
 * only makes its own tx fail). */
static int own_balance(keeper *k, const char *denom, uint64_t *out, char *err, size_t err_len)
{
    char key[CW_KEY_MAX];
    uint8_t *val = NULL, *proof = NULL;
    size_t vl = 0, pl = 0;
    uint64_t at = 0;
    *out = 0;
    int rc = cw_key_bank_balance(key, &k->c.addr, denom);
    if (rc == CW_OK)
        rc = cw_chain_query(&k->c, key, 0, false, &val, &vl, &proof, &pl, &at, err, err_len);
    if (rc == CW_OK)
        rc = cw_val_be64_dec(out, val, vl, err, err_len);
    free(val);
    free(proof);
    return rc;
}

/* Steps 2 and 3 for one borrower. */
static void consider(keeper *k, const cw_address *a, uint64_t *liquidatable)
{
    static cw_rpc_lend_quote q;
    char err[512], ah[41];
    hex20(ah, a);
    if (in_flight(k, a))
        return; /* our liquidation of it is not settled yet */
    int rc = cw_chain_lend_quote(&k->c, a, &q, err, sizeof err);
    if (rc) {
        cw_log(CW_LOG_WARN, "keeper: lend_quote borrower=%s: %s", ah, err);
        return;
    }
    /* never a healthy position: the chain must call it liquidatable AND its health < 1 */
    if (q.refusal != 0 || q.debt_value == 0 || q.health_factor_wad >= CW_WAD) {
        if (q.refusal != (uint32_t)-CW_ESTATE && q.debt_value > 0 &&
            q.health_factor_wad < CW_WAD)
            cw_log(CW_LOG_INFO, "keeper: borrower=%s below health 1 but not liquidatable now: "
                   "%s", ah, q.reason);
        return;
    }
    (*liquidatable)++;
    /* the keeper repays with its own balance of the debt market's asset: each (market,
     * collateral) item may repay at most what it holds of that asset */
    struct {
        const char *asset;
        uint64_t bal;
    } held[CW_LEND_MAX_MARKETS];
    size_t n_held = 0;
    for (uint32_t i = 0; i < q.n; i++) {
        uint64_t bal = 0;
        size_t j = 0;
        if (q.items[i].max_repay == 0)
            continue;
        while (j < n_held && strcmp(held[j].asset, q.items[i].asset) != 0)
            j++;
        if (j < n_held) { /* read once per asset */
            bal = held[j].bal;
        } else if ((rc = own_balance(k, q.items[i].asset, &bal, err, sizeof err))) {
            cw_log(CW_LOG_WARN, "keeper: liquidation of borrower=%s not sent: our balance of "
                   "%s: %s", ah, q.items[i].asset, err);
            KM_ADD(failures, 1);
            return;
        } else if (n_held < CW_LEND_MAX_MARKETS) {
            held[n_held].asset = q.items[i].asset;
            held[n_held++].bal = bal;
        }
        if (q.items[i].max_repay > bal)
            q.items[i].max_repay = bal;
    }
    cw_liq_choice ch;
    if (cw_liq_choose(&ch, q.items, q.n, k->max_repay) != CW_OK) {
        cw_log(CW_LOG_WARN, "keeper: borrower=%s liquidatable, but nothing can be seized now "
               "(stale or unpriced collateral, no balance of the assets it owes, or --max-repay "
               "0)", ah);
        return;
    }
    const cw_liq_option *o = &q.items[ch.index];
    if (k->prove && (rc = prove_position(k, a, o, err, sizeof err))) {
        cw_log(CW_LOG_WARN, "keeper: borrower=%s denom=%s: %s", ah, o->trace_denom, err);
        return;
    }
    cw_msg_lend_liquidate m = {.borrower = *a, .repay_amount = ch.repay};
    snprintf(m.asset, sizeof m.asset, "%s", o->asset);
    snprintf(m.collateral, sizeof m.collateral, "%s", o->trace_denom);
    cw_enc e;
    cw_enc_init(&e);
    cw_msg_lend_liquidate_enc(&e, &m);
    cw_bytes msg = {cw_enc_data(&e), cw_enc_len(&e)};
    uint8_t hash[32];
    rc = e.rc ? e.rc : cw_chain_broadcast(&k->c, &msg, 1, hash, err, sizeof err);
    cw_enc_free(&e);
    char hf[41], sv[41];
    cw_u128_to_dec(hf, sizeof hf, q.health_factor_wad);
    cw_u128_to_dec(sv, sizeof sv, ch.seize_value);
    if (rc) {
        cw_log(CW_LOG_WARN, "keeper: liquidation of borrower=%s refused at broadcast: %s", ah,
               err);
        KM_ADD(failures, 1);
        return;
    }
    cw_log(CW_LOG_INFO, "keeper: liquidation sent borrower=%s health_wad=%s asset=%s denom=%s "
           "repay=%llu seize=%llu seize_value=%s", ah, hf, o->asset, o->trace_denom,
           (unsigned long long)ch.repay, (unsigned long long)ch.seize, sv);
    if (k->n_fl < KEEPER_INFLIGHT_MAX) {
        inflight *f = &k->fl[k->n_fl++];
        memcpy(f->hash, hash, 32);
        f->borrower = *a;
        snprintf(f->asset, sizeof f->asset, "%s", o->asset);
        snprintf(f->denom, sizeof f->denom, "%s", o->trace_denom);
        f->ch = ch;
        f->sent_ms = cw_chain_now_ms();
    }
}

/* Settle our sent liquidations whose txs committed (or are lost). */
static void settle(keeper *k)
{
    size_t w = 0;
    for (size_t i = 0; i < k->n_fl; i++) {
        inflight *f = &k->fl[i];
        cw_chain_txres r;
        char err[512], ah[41];
        hex20(ah, &f->borrower);
        int rc = cw_chain_tx_result(&k->c, f->hash, &r, err, sizeof err);
        if (rc == CW_OK && r.code == 0) {
            char sv[41];
            cw_u128_to_dec(sv, sizeof sv, f->ch.seize_value);
            cw_log(CW_LOG_INFO, "keeper: liquidation done height=%llu borrower=%s asset=%s "
                   "denom=%s repay=%llu seize=%llu seize_value=%s", (unsigned long long)r.height,
                   ah, f->asset, f->denom, (unsigned long long)f->ch.repay,
                   (unsigned long long)f->ch.seize, sv);
            pthread_mutex_lock(&km.mu);
            km.liquidations++;
            km.repaid += f->ch.repay_value;
            km.seize_value += f->ch.seize_value;
            km.profit += f->ch.profit;
            pthread_mutex_unlock(&km.mu);
            km_seized(f->denom, f->ch.seize);
            continue;
        }
        if (rc == CW_OK) {
            cw_log(CW_LOG_INFO, "keeper: liquidation failed cleanly height=%llu borrower=%s "
                   "reason=\"%s\" (nothing changed; another keeper may have been first)",
                   (unsigned long long)r.height, ah, r.log);
            KM_ADD(failures, 1);
            continue;
        }
        if (rc == CW_ENOTFOUND && cw_chain_now_ms() - f->sent_ms > KEEPER_TX_LOST_MS) {
            cw_log(CW_LOG_WARN, "keeper: liquidation of borrower=%s not committed within %d s: "
                   "given up", ah, KEEPER_TX_LOST_MS / 1000);
            KM_ADD(failures, 1);
            continue;
        }
        k->fl[w++] = *f; /* not committed yet, or the node is away: ask again */
    }
    k->n_fl = w;
}

/* One round at the chain's latest height. */
static void round_at(keeper *k, uint64_t height)
{
    char err[512];
    int rc = walk_index(k, err, sizeof err);
    if (rc) {
        cw_log(CW_LOG_WARN, "keeper: round at height %llu: borrower index: %s",
               (unsigned long long)height, err);
        KM_ADD(errors, 1);
        return;
    }
    uint64_t liquidatable = 0;
    for (size_t i = 0; i < k->n_addrs && !stop_flag; i++)
        consider(k, &k->addrs[i], &liquidatable);
    pthread_mutex_lock(&km.mu);
    km.height = height;
    km.rounds++;
    km.watched = k->n_addrs;
    km.liquidatable = liquidatable;
    pthread_mutex_unlock(&km.mu);
}

/* Wait for the next block notification (or poll_ms), servicing the connection. */
static void wait_block(keeper *k, uint32_t poll_ms)
{
    char err[256];
    if (!k->c.cl && cw_chain_ensure(&k->c, err, sizeof err) != CW_OK) {
        struct timespec ts = {0, (long)poll_ms * 1000000L};
        nanosleep(&ts, NULL); /* disconnected: the client's backoff decides when to retry */
        return;
    }
    char topic[CW_RPC_METHOD_MAX + 1];
    uint8_t *pl = NULL;
    size_t pn = 0;
    uint32_t wait = poll_ms;
    while (k->c.cl &&
           cw_rpc_next_notification(k->c.cl, topic, &pl, &pn, wait, err, sizeof err) == CW_OK) {
        free(pl); /* any notification means: look again (the round reads the state itself) */
        pl = NULL;
        wait = 0; /* drain what is queued */
    }
}

static int parse_num(const cw_cliopt *o, const char *s)
{
    uint64_t *v = o->dst;
    if (cw_u64_from_dec(v, s, NULL, 0) != CW_OK || *v < o->min || *v > o->max) {
        fprintf(stderr, "causeway keeper: --%s: '%s' is not a number in %llu..%llu\n", o->name,
                s, (unsigned long long)o->min, (unsigned long long)o->max);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: causeway keeper --from NAME [--node URL] [--keyring DIR] [--chain-id ID]\n"
        "                       [--trust-root HEIGHT:HASH] [--metrics-port PORT]\n"
        "                       [--metrics-host ADDR] [--max-repay AMOUNT] [--page N]\n"
        "                       [--poll-ms MS] [--no-prove] [--once] [--log-level LEVEL]\n"
        "Liquidates the lending chain's positions below health factor 1, signed as NAME.\n"
        "At every new block: walks the chain's borrower index (lend_borrowers, N a page,\n"
        "  default 100), proving each entry and the entries' count with ICS-23 proofs against\n"
        "  headers its light client verified (--no-prove: trust the node); asks the chain's\n"
        "  quote for each borrower (lend_quote); for each the chain would liquidate, chooses\n"
        "  the debt market, collateral and repay that maximise the seize's value within the\n"
        "  close factor (and --max-repay, base units of the market's asset, default no\n"
        "  limit), proves the position, and sends lend.liquidate naming the market's asset.\n"
        "  It repays from NAME's own balance: NAME must hold each market's asset it is to\n"
        "  repay (a market it holds none of is left alone). Healthy positions are never\n"
        "  touched; a liquidation another keeper won first fails cleanly on chain and is\n"
        "  counted.\n"
        "Trust: --trust-root, else the node's current header (logged loudly).\n"
        "/metrics (Prometheus) and /healthz on --metrics-port (0: none, the default) at\n"
        "  --metrics-host (default 127.0.0.1).\n"
        "Runs until SIGINT/SIGTERM (--once: one round, then exit 0); reconnects when the\n"
        "  node goes away. Exit 0 stopped; 1 setup failed (key, metrics port); 2 usage.\n");
}

int cw_cli_keeper(int argc, char **argv)
{
    const char *from = NULL, *node_flag = NULL, *keyring_flag = NULL, *chain_id = NULL,
               *trust = NULL, *metrics_host = "127.0.0.1", *level = NULL;
    uint64_t metrics_port = 0, max_repay = UINT64_MAX, page = 100, poll_ms = 500;
    bool no_prove = false, once = false;
    const cw_cliopt opts[] = {
        {"from", .str = &from},
        {"node", .str = &node_flag},
        {"keyring", .str = &keyring_flag},
        {"chain-id", .str = &chain_id},
        {"trust-root", .str = &trust},
        {"metrics-port", .parse = parse_num, .dst = &metrics_port, .min = 0, .max = 65535},
        {"metrics-host", .str = &metrics_host},
        {"max-repay", .parse = parse_num, .dst = &max_repay, .min = 1, .max = UINT64_MAX},
        {"page", .parse = parse_num, .dst = &page, .min = 1, .max = CW_RPC_BORROWERS_MAX},
        {"poll-ms", .parse = parse_num, .dst = &poll_ms, .min = 10, .max = 60000},
        {"no-prove", .flag = &no_prove},
        {"once", .flag = &once},
        {"log-level", .str = &level},
        {0}};
    int end, opt_rc = cw_cliopt_parse(argc, argv, 1, opts, usage, NULL, &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    char err[512];
    if (end != argc || !from) {
        usage(stderr);
        return 2;
    }
    if (level && cw_log_set_level(level) != CW_OK) {
        fprintf(stderr, "causeway keeper: --log-level: '%s' is not error, warn, info or debug\n",
                level);
        return 2;
    }
    uint64_t th = 0;
    uint8_t thash[32];
    if (trust && cw_chain_trust_root_parse(trust, &th, thash) != CW_OK) {
        fprintf(stderr, "causeway keeper: --trust-root: expected HEIGHT:HASH (64 hex)\n");
        return 2;
    }
    if (chain_id && cw_id_validate(chain_id, strlen(chain_id), "--chain-id", err, sizeof err)) {
        fprintf(stderr, "causeway keeper: %s\n", err);
        return 2;
    }
    static keeper k;
    memset(&k, 0, sizeof k);
    k.max_repay = max_repay;
    k.page = (uint32_t)page;
    k.prove = !no_prove;
    const char *node = cw_cli_node(node_flag), *keyring = cw_cli_keyring(keyring_flag);
    if (cw_id_validate(from, strlen(from), "--from", err, sizeof err)) {
        fprintf(stderr, "causeway keeper: %s\n", err);
        return 2;
    }
    snprintf(k.cfg.rpc, sizeof k.cfg.rpc, "%s", node);
    snprintf(k.cfg.key_file, sizeof k.cfg.key_file, "%s/%s.json", keyring, from);
    snprintf(k.cfg.id, sizeof k.cfg.id, "%s", chain_id ? chain_id : "lending");
    int status = 1;
    if (cw_chain_client_init(&k.c, &k.cfg, 0, 10000, true, err, sizeof err) != CW_OK) {
        fprintf(stderr, "causeway keeper: %s\n", err);
        goto out;
    }
    k.c.want_sub = true;
    k.c.memo = "causeway-keeper";
    if (metrics_port && metrics_start(metrics_host, metrics_port, err, sizeof err) != CW_OK) {
        fprintf(stderr, "causeway keeper: %s\n", err);
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    char a[41];
    hex20(a, &k.c.addr);
    cw_log(CW_LOG_INFO, "keeper started node=%s signer=%s max_repay=%llu prove=%d", node, a,
           (unsigned long long)max_repay, (int)k.prove);
    bool ready = false; /* chain id known and the light client seeded */
    uint64_t last = 0;
    while (!stop_flag) {
        cw_rpc_status st;
        int rc = cw_chain_status(&k.c, &st, err, sizeof err);
        if (rc == CW_OK && !ready) {
            if (!chain_id)
                snprintf(k.cfg.id, sizeof k.cfg.id, "%s", st.chain_id);
            rc = k.prove ? cw_chain_lc_seed(&k.c, th, trust ? thash : NULL, err, sizeof err)
                         : CW_OK;
            ready = rc == CW_OK;
        }
        if (rc == CW_OK && k.c.reconnected) {
            k.c.reconnected = false;
            if (k.prove && (rc = cw_chain_lc_crosscheck(&k.c, err, sizeof err)))
                cw_log(CW_LOG_ERROR, "keeper: after reconnecting: %s", err);
        }
        if (rc != CW_OK) {
            cw_log(CW_LOG_WARN, "keeper: %s", err);
        } else {
            settle(&k);
            if (st.latest_height > last) {
                last = st.latest_height;
                round_at(&k, last);
            }
            if (once) {
                /* wait for our own liquidations to settle, then stop */
                uint64_t deadline = cw_chain_now_ms() + 30000;
                while (k.n_fl > 0 && !stop_flag && cw_chain_now_ms() < deadline) {
                    wait_block(&k, (uint32_t)poll_ms);
                    settle(&k);
                }
                break;
            }
        }
        wait_block(&k, (uint32_t)poll_ms);
    }
    status = 0;
    cw_log(CW_LOG_INFO, "keeper stopped liquidations=%llu failures=%llu",
           (unsigned long long)km.liquidations, (unsigned long long)km.failures);
out:
    cw_rpc_server_thread_stop(metrics_srv);
    metrics_srv = NULL;
    cw_chain_client_free(&k.c);
    free(k.addrs);
    return status;
}
