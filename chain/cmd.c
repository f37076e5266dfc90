/* `causeway-chain init` and `causeway-chain start`. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "causeway/cliopt.h"
#include "causeway/hex.h"
#include "causeway/log.h"
#include "causeway/mathx.h"
#include "causeway/rpc_results.h"
#include "chain.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- init ------------------------------------------------------------------------------ */

static void init_usage(FILE *f)
{
    fprintf(f,
            "usage: causeway-chain init --home DIR --chain-id ID [options]\n"
            "  --validators N        validator keys to create (default 4)\n"
            "  --accounts A,B,...    funded account keys to create (default alice,bob,relayer)\n"
            "  --denoms D1,D2,...    denoms every account receives (default stake)\n"
            "  --amount N            base units of each denom per account (default 1000000000000)\n"
            "  --port P              RPC port (default 26657)\n"
            "  --block-interval-ms N block interval (default 1000)\n"
            "  --market DENOM[,...]  open a lending market borrowing DENOM (admin and oracle:\n"
            "                        this chain's admin and oracle keys; default parameters);\n"
            "                        repeat it (or give a list) for several markets, at most 8:\n"
            "                        the first market's asset is the unit prices are quoted in,\n"
            "                        the others need oracle prices before anyone borrows them\n"
            "Writes DIR/config.json, DIR/genesis.json and DIR/keys/*.json (mode 0600).\n");
}

static int split_ids(char *list, char **out, int max, const char *what)
{
    int n = 0;
    char err[200];
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == max) {
            fprintf(stderr, "causeway-chain init: %s: more than %d entries\n", what, max);
            return -1;
        }
        if (cw_id_validate(t, strlen(t), what, err, sizeof err)) {
            fprintf(stderr, "causeway-chain init: %s\n", err);
            return -1;
        }
        out[n++] = t;
    }
    if (n == 0) {
        fprintf(stderr, "causeway-chain init: %s: empty list\n", what);
        return -1;
    }
    return n;
}

/* --market: the assets of the markets, repeatable, each a DENOM or a comma list */
struct market_list {
    char names[CW_LEND_MAX_MARKETS][CW_ID_MAX + 1];
    int n;
};

static int parse_market_arg(const cw_cliopt *o, const char *s)
{
    struct market_list *l = o->dst;
    char buf[512], *items[CW_LEND_MAX_MARKETS + 1];
    snprintf(buf, sizeof buf, "%s", s);
    int k = split_ids(buf, items, CW_LEND_MAX_MARKETS + 1, "--market");
    if (k < 0)
        return -1;
    for (int i = 0; i < k; i++) {
        for (int j = 0; j < l->n; j++)
            if (strcmp(l->names[j], items[i]) == 0) {
                fprintf(stderr, "causeway-chain init: --market: %s given twice\n", items[i]);
                return -1;
            }
        if (l->n == CW_LEND_MAX_MARKETS) {
            fprintf(stderr, "causeway-chain init: --market: at most %d markets\n",
                    CW_LEND_MAX_MARKETS);
            return -1;
        }
        snprintf(l->names[l->n++], sizeof l->names[0], "%s", items[i]);
    }
    return 0;
}

/* an option's number into *(uint64_t *)o->dst, within [o->min, o->max] */
static int parse_u64_arg(const cw_cliopt *o, const char *s)
{
    char err[160];
    uint64_t *out = o->dst;
    if (cw_u64_from_dec(out, s, err, sizeof err) || *out < o->min || *out > o->max) {
        fprintf(stderr, "causeway-chain: --%s: '%s' is not a number in [%llu, %llu]\n", o->name,
                s, (unsigned long long)o->min, (unsigned long long)o->max);
        return -1;
    }
    return 0;
}

#define U64_OPT(name_, dst_, min_, max_, seen_)                                                    \
    {name_, .parse = parse_u64_arg, .dst = dst_, .seen = seen_, .min = min_, .max = max_}

int cw_chain_cmd_init(int argc, char **argv)
{
    const char *home = NULL, *chain_id = NULL;
    struct market_list markets = {.n = 0};
    const char *accounts_arg = "alice,bob,relayer", *denoms_arg = "stake";
    uint64_t n_vals = 4, amount = 1000000000000ull, port = 26657, interval = 1000;
    const cw_cliopt opts[] = {
        {"home", .str = &home},
        {"chain-id", .str = &chain_id},
        U64_OPT("validators", &n_vals, 1, 100, NULL),
        {"accounts", .str = &accounts_arg},
        {"denoms", .str = &denoms_arg},
        U64_OPT("amount", &amount, 1, INT64_MAX, NULL),
        U64_OPT("port", &port, 0, 65535, NULL),
        U64_OPT("block-interval-ms", &interval, 10, 3600000, NULL),
        {"market", .parse = parse_market_arg, .dst = &markets},
        {0}};
    int end, opt_rc = cw_cliopt_parse(argc, argv, 1, opts, init_usage, NULL, &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    if (end != argc || !home || !chain_id) {
        init_usage(stderr);
        return 2;
    }
    char accounts_buf[1024], denoms_buf[1024];
    snprintf(accounts_buf, sizeof accounts_buf, "%s", accounts_arg);
    snprintf(denoms_buf, sizeof denoms_buf, "%s", denoms_arg);
    char err[512];
    if (cw_id_validate(chain_id, strlen(chain_id), "--chain-id", err, sizeof err)) {
        fprintf(stderr, "causeway-chain init: %s\n", err);
        return 2;
    }
    char *accounts[64], *denoms[16];
    int na = split_ids(accounts_buf, accounts, 64, "--accounts");
    int nd = split_ids(denoms_buf, denoms, 16, "--denoms");
    if (na < 0 || nd < 0)
        return 2;

    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/genesis.json", home);
    struct stat st;
    if (stat(path, &st) == 0) {
        fprintf(stderr, "causeway-chain init: %s already exists; refusing to overwrite\n", path);
        return 1;
    }
    if ((mkdir(home, 0700) != 0 && errno != EEXIST)) {
        fprintf(stderr, "causeway-chain init: %s: %s\n", home, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/keys", home);
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "causeway-chain init: %s: %s\n", path, strerror(errno));
        return 1;
    }

    cw_genesis g = {0};
    int rc = 0;
    snprintf(g.chain_id, sizeof g.chain_id, "%s", chain_id);
    g.genesis_time_ns = now_ns();
    g.validators.n = (uint32_t)n_vals;
    g.validators.v = calloc(n_vals, sizeof *g.validators.v);
    g.balances = calloc((size_t)na * (size_t)nd, sizeof *g.balances);
    if (!g.validators.v || !g.balances) {
        fprintf(stderr, "causeway-chain init: out of memory\n");
        cw_genesis_free(&g);
        return 1;
    }
    cw_seckey sk;
    for (uint32_t i = 0; i < n_vals && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/keys/validator-%u.json", home, i);
        if (cw_key_generate(&sk, &g.validators.v[i].pubkey) ||
            cw_keyfile_write(path, &sk, err, sizeof err))
            rc = 1;
        g.validators.v[i].power = 10;
    }
    cw_validator_set_sort(&g.validators);
    const char *roles[2] = {"admin", "oracle"};
    cw_pubkey32 *role_pk[2] = {&g.admin, &g.oracle};
    for (int i = 0; i < 2 && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/keys/%s.json", home, roles[i]);
        if (cw_key_generate(&sk, role_pk[i]) || cw_keyfile_write(path, &sk, err, sizeof err))
            rc = 1;
    }
    printf("chain %s: %llu validators, home %s\n", chain_id, (unsigned long long)n_vals, home);
    for (int i = 0; i < na && rc == 0; i++) {
        cw_pubkey32 pk;
        cw_address addr;
        char hex[41];
        snprintf(path, sizeof path, "%s/keys/%s.json", home, accounts[i]);
        if (cw_key_generate(&sk, &pk) || cw_keyfile_write(path, &sk, err, sizeof err)) {
            rc = 1;
            break;
        }
        cw_address_of(&addr, &pk);
        cw_hex_encode(hex, sizeof hex, addr.b, 20);
        printf("  account %-10s %s\n", accounts[i], hex);
        for (int j = 0; j < nd; j++) {
            cw_genesis_account *b = &g.balances[g.n_balances++];
            b->address = addr;
            snprintf(b->denom, sizeof b->denom, "%s", denoms[j]);
            b->amount = amount;
        }
    }
    cw_seckey_wipe(&sk);
    for (int i = 0; rc == 0 && i < markets.n; i++) {
        /* A kinked model of about 2% a year at 0% utilization, 7% at the 80% kink and 22%
         * at 100% (per-second wad rates); half the debt per liquidation; 10% to reserves;
         * prices older than 5 minutes are stale; after a price resumes from stale, 5
         * minutes' grace before its holders can be liquidated above health 0.95; no
         * economic dust threshold (the intrinsic rule still closes tiny debts in full);
         * flash loans at 0.09% (Aave v2's premium). Every market the same. */
        cw_lend_params *mp = &g.markets[g.n_markets++];
        snprintf(mp->borrow_denom, sizeof mp->borrow_denom, "%s", markets.names[i]);
        mp->base_rate_wad = 634195839;
        mp->slope1_wad = 1585489599;
        mp->kink_wad = (cw_u128)800000000000000000ull;
        mp->slope2_wad = 4756468797ull;
        mp->close_factor_bps = 5000;
        mp->reserve_factor_bps = 1000;
        mp->max_price_age_ns = 300ull * 1000000000ull;
        mp->liquidation_grace_ns = 300ull * 1000000000ull;
        mp->dust_threshold = 0;
        mp->flash_fee_bps = 9;
        mp->admin = g.admin;
        mp->oracle = g.oracle;
        if (cw_lend_params_validate(mp, err, sizeof err))
            rc = 1;
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/genesis.json", home);
        rc = cw_genesis_write(&g, path, err, sizeof err) ? 1 : 0;
    }
    if (rc == 0) {
        cw_node_config cfg;
        cw_node_config_defaults(&cfg);
        cfg.port = port;
        cfg.block_interval_ms = interval;
        snprintf(path, sizeof path, "%s/config.json", home);
        rc = cw_node_config_write(&cfg, path, err, sizeof err) ? 1 : 0;
    }
    cw_genesis_free(&g);
    if (rc)
        fprintf(stderr, "causeway-chain init: %s\n", err[0] ? err : "key generation failed");
    return rc;
}

/* ---- start ----------------------------------------------------------------------------- */

static volatile sig_atomic_t g_stop;
static cw_rpc_server *g_srv_for_signal;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
    if (g_srv_for_signal)
        cw_rpc_server_wake(g_srv_for_signal);
}

static void publish_block(void *user, uint64_t height, const uint8_t *payload, size_t len)
{
    cw_chain *c = user;
    int rc = cw_rpc_server_publish(c->srv, CW_RPC_TOPIC_BLOCKS, payload, len);
    if (rc) {
        c->notes_failed++;
        cw_log(CW_LOG_WARN, "publish failed height=%llu err=\"%s\"",
               (unsigned long long)height, cw_strerror(rc));
    }
}

/* The block clock. libwebsockets runs ripe timers before it polls the sockets, so a block
 * started from the timer's first firing would leave out txs already waiting in the sockets
 * (a relayer's last tx missing the block by a few ms, then waiting a whole interval). The
 * timer therefore fires twice: the first firing only re-arms it 1 ms out, which lets one
 * poll pass read and admit what is waiting; the second starts the block. The wait after a
 * block comes from cw_node_next_block_delay_ms. */
static void block_timer(cw_rpc_server *srv, void *user)
{
    cw_chain *c = user;
    char err[512];
    if (!c->block_due) {
        c->block_due = 1;
        if (cw_rpc_server_schedule(srv, 1, block_timer, c) != CW_OK) {
            c->fatal = 1;
            g_stop = 1;
        }
        return;
    }
    c->block_due = 0;
    uint64_t start = now_ns();
    int rc = cw_node_produce_block(c->node, start, err, sizeof err);
    if (rc) {
        c->block_errors++;
        c->fatal = 1;
        cw_log(CW_LOG_ERROR, "block could not be committed, stopping: %s", err);
        g_stop = 1;
        cw_rpc_server_wake(srv);
        return;
    }
    cw_node_status st;
    cw_node_get_status(c->node, &st);
    uint64_t interval_ms = cw_node_get_config(c->node)->block_interval_ms;
    uint64_t spent_ms = (now_ns() - start) / 1000000 + 1; /* + the socket pass */
    uint32_t delay = cw_node_next_block_delay_ms(interval_ms, spent_ms, st.mempool_txs);
    if (delay > 1)
        delay--; /* the socket pass's 1 ms comes out of the wait */
    if (cw_rpc_server_schedule(srv, delay, block_timer, c) != CW_OK) {
        c->fatal = 1;
        g_stop = 1;
    }
}

static void start_usage(FILE *f)
{
    fprintf(f, "usage: causeway-chain start --home DIR [--listen ADDR] [--port P]\n"
               "                            [--sign-with N]\n"
               "  Runs the node: produces a block every block_interval_ms and serves\n"
               "  MessagePack-RPC over WebSocket plus GET /healthz /status /metrics.\n"
               "  --sign-with N: only the first N validators (by set order) sign each block\n"
               "  (tests of light clients facing too little voting power).\n"
               "  Environment: CAUSEWAY_LISTEN overrides the listen address.\n");
}

int cw_chain_cmd_start(int argc, char **argv)
{
    const char *home = NULL, *listen = NULL;
    uint64_t port = 0, sign_with = 0;
    bool have_port = false, have_sign_with = false;
    const cw_cliopt opts[] = {
        {"home", .str = &home},
        {"listen", .str = &listen},
        U64_OPT("port", &port, 0, 65535, &have_port),
        U64_OPT("sign-with", &sign_with, 1, CW_VALSET_MAX, &have_sign_with),
        {0}};
    int end, opt_rc = cw_cliopt_parse(argc, argv, 1, opts, start_usage, NULL, &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    if (end != argc || !home) {
        start_usage(stderr);
        return 2;
    }
    const char *env_listen = getenv("CAUSEWAY_LISTEN");
    if (!listen && env_listen && *env_listen)
        listen = env_listen;

    char err[512];
    cw_chain ch = {0};
    ch.stop = &g_stop;
    if (cw_node_open(&ch.node, home, err, sizeof err)) {
        fprintf(stderr, "causeway-chain: %s\n", err);
        return 1;
    }
    if (have_sign_with)
        cw_node_set_sign_with(ch.node, sign_with);
    const cw_node_config *nc = cw_node_get_config(ch.node);
    if (cw_log_set_level(nc->log_level) != CW_OK)
        cw_log(CW_LOG_WARN, "unknown log level %s", nc->log_level);
    cw_rpc_server_config cfg = {0};
    cfg.listen_addr = listen ? listen : nc->listen;
    cfg.port = have_port ? (int)port : (int)nc->port;
    cfg.max_frame = nc->max_frame_bytes;
    cfg.max_connections = (uint32_t)nc->max_connections; /* bounds: cw_node_config_load */
    cfg.max_sessions_per_peer = (uint32_t)nc->max_sessions_per_peer;
    cfg.idle_timeout_s = (uint32_t)nc->idle_timeout_s;
    cfg.handshake_timeout_s = (uint32_t)nc->handshake_timeout_s;
    cfg.ping_interval_s = (uint32_t)nc->ping_interval_s;
    cw_chain_rpc_config(&ch, &cfg);
    int rc = cw_rpc_server_create(&ch.srv, &cfg, err, sizeof err);
    if (rc == CW_OK)
        rc = cw_chain_rpc_register(&ch, err, sizeof err);
    if (rc) {
        fprintf(stderr, "causeway-chain: %s\n", err);
        cw_rpc_server_destroy(ch.srv);
        cw_node_close(ch.node);
        return 1;
    }
    cw_node_on_block(ch.node, publish_block, &ch);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_srv_for_signal = ch.srv;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    cw_node_status st;
    cw_node_get_status(ch.node, &st);
    cw_log(CW_LOG_INFO, "causeway-chain started chain=%s height=%llu listen=%s:%d",
           st.chain_id, (unsigned long long)st.latest_height, cfg.listen_addr,
           cw_rpc_server_port(ch.srv));
    /* one line on stdout for scripts: the bound port */
    printf("listening %s:%d\n", cfg.listen_addr, cw_rpc_server_port(ch.srv));
    fflush(stdout);

    rc = cw_rpc_server_schedule(ch.srv, (uint32_t)nc->block_interval_ms, block_timer, &ch);
    if (rc == CW_OK)
        rc = cw_rpc_server_run(ch.srv, &g_stop);
    g_srv_for_signal = NULL;
    cw_rpc_server_destroy(ch.srv);
    cw_node_close(ch.node);
    cw_log(CW_LOG_INFO, "causeway-chain stopped");
    return (rc || ch.fatal) ? 1 : 0;
}
