/* causeway-relayer — relays IBC packets between two causeway chains (DESIGN §9).
 *
 *   causeway-relayer start          --config FILE     the daemon (event driven; /metrics)
 *   causeway-relayer create-clients --config FILE     a client on each end; ids written back
 *   causeway-relayer create-channel --config FILE     the 4-step handshake; ids written back
 *   causeway-relayer clear          --config FILE [--timeout-s N]   relay all pending, then exit
 *   causeway-relayer status         --config FILE     heights, clients, pending counts
 *   causeway-relayer COMMAND --help                   that command's full usage (exit 0)
 *
 * Exit: 0 ok; 1 failure (a bad config names file, field and value); 2 usage.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "causeway/log.h"
#include "relay.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* one command: its name, its line in the overview, and its full usage */
typedef struct command {
    const char *name;
    const char *summary;
    const char *usage;
} command;

#define COMMON_OPTS                                                                        \
    "  --config FILE    JSON config (or CAUSEWAY_RELAYER_CONFIG)\n"                        \
    "  --log-level L    error|warn|info|debug (overrides the config)\n"                    \
    "  -h, --help       this text\n"
#define ENV_NOTE                                                                           \
    "environment: CAUSEWAY_RELAYER_DB, CAUSEWAY_RELAYER_METRICS, CAUSEWAY_RELAYER_BATCH,\n"   \
    "  CAUSEWAY_CHAIN_<ID>_RPC override the config's fields.\n"

static const command commands[] = {
    {"start", "relay continuously (subscribes to blocks on both chains)",
     "usage: causeway-relayer start --config FILE [--log-level L]\n"
     "Relay continuously: on every block of either chain, relay what the chains say is pending\n"
     "(RecvPacket, Acknowledgement, Timeout, with proofs), keep the clients fresh, and submit\n"
     "misbehaviour evidence. Serves /metrics, /healthz and /status at metrics_addr. Stops on\n"
     "SIGINT/SIGTERM. Every path needs its channel (create-clients, create-channel).\n"
     "options:\n" COMMON_OPTS ENV_NOTE},
    {"create-clients", "create a client of each chain on the other; writes the ids\n"
                       "                   into the config file",
     "usage: causeway-relayer create-clients --config FILE [--log-level L]\n"
     "Create, for every path, a client of each chain on the other (from a header this relayer\n"
     "verified from the chain's trust_root), and write the client ids into the config file.\n"
     "A path end that already names a client keeps it.\n"
     "options:\n" COMMON_OPTS ENV_NOTE},
    {"create-channel", "open a channel (4-step handshake); writes the ids into the\n"
                       "                   config file",
     "usage: causeway-relayer create-channel --config FILE [--log-level L]\n"
     "Open a channel on every path (ICS-04: INIT, TRY, ACK, CONFIRM), one step per tx, writing\n"
     "the channel ids into the config file after each step. The next step is read from the\n"
     "two ends' states, so a run cut short is taken up where it stopped; an open channel is\n"
     "kept. Needs the clients (create-clients).\n"
     "options:\n" COMMON_OPTS ENV_NOTE},
    {"clear", "relay everything pending, printing progress; exit when done",
     "usage: causeway-relayer clear --config FILE [--timeout-s N] [--log-level L]\n"
     "Relay everything pending on every path, printing one progress line per pass, and exit 0\n"
     "when nothing is pending or in flight (1 when --timeout-s passes first).\n"
     "options:\n"
     "  --timeout-s N    give up after N seconds (1..86400, default 120)\n" COMMON_OPTS ENV_NOTE},
    {"status", "chain heights, clients (status, time to expiry), pending",
     "usage: causeway-relayer status --config FILE [--log-level L]\n"
     "Print each chain's height, each client's state (Active, Expired, Frozen) and time to\n"
     "expiry, and each path direction's pending packets. Exit 1 when a chain or query failed.\n"
     "options:\n" COMMON_OPTS ENV_NOTE},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static int usage(FILE *f)
{
    fprintf(f, "usage: causeway-relayer COMMAND --config FILE [options]\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "options:\n"
               "  --config FILE    JSON config (or CAUSEWAY_RELAYER_CONFIG)\n"
               "  --timeout-s N    clear: give up after N seconds (default 120)\n"
               "  --log-level L    error|warn|info|debug (overrides the config)\n"
               "`causeway-relayer COMMAND --help` prints a command's full usage.\n" ENV_NOTE);
    return 2;
}

static bool is_help(const char *a)
{
    return !strcmp(a, "-h") || !strcmp(a, "--help");
}

static int cmd_clear(rly_ctx *x, unsigned timeout_s)
{
    char err[512];
    uint64_t deadline = cw_chain_now_ms() + (uint64_t)timeout_s * 1000;
    rly_progress pr;
    size_t quiet = 0;
    while (!stop) {
        int rc = rly_tick(x, &pr, err, sizeof err);
        printf("clear: pending %zu, unreceived %zu, submitted %zu, txs in flight %zu%s%s\n",
               pr.pending, pr.unreceived, pr.submitted, pr.inflight, rc ? ", error: " : "",
               rc ? err : "");
        fflush(stdout);
        if (rc == CW_OK && pr.pending == 0 && pr.inflight == 0) {
            if (++quiet >= 1) {
                printf("clear: done\n");
                return 0;
            }
        } else {
            quiet = 0;
        }
        if (cw_chain_now_ms() > deadline) {
            fprintf(stderr, "clear: %zu packets still pending after %u s\n", pr.pending,
                    timeout_s);
            return 1;
        }
        /* wait for the next block of any chain before looking again */
        for (int i = 0; i < x->cfg->n_chains; i++)
            if (x->conns[i].cl)
                (void)cw_rpc_client_poll(x->conns[i].cl, 50);
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *cmd = argv[1];
    if (is_help(cmd) || !strcmp(cmd, "help")) {
        const command *hc = argc > 2 ? find_command(argv[2]) : NULL;
        if (hc)
            fputs(hc->usage, stdout);
        else
            usage(stdout);
        return 0;
    }
    const command *cm = find_command(cmd);
    if (!cm) {
        fprintf(stderr, "causeway-relayer: unknown command \"%s\"\n", cmd);
        return usage(stderr);
    }
    for (int i = 2; i < argc; i++)
        if (is_help(argv[i])) {
            fputs(cm->usage, stdout);
            return 0;
        }
    const char *config = getenv("CAUSEWAY_RELAYER_CONFIG");
    const char *level = NULL;
    unsigned timeout_s = 120;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strcmp(argv[i], "--log-level") && i + 1 < argc)
            level = argv[++i];
        else if (!strcmp(argv[i], "--timeout-s") && i + 1 < argc) {
            char *end;
            errno = 0;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || errno || v == 0 || v > 86400) {
                fprintf(stderr, "causeway-relayer: --timeout-s: \"%s\" is not 1..86400\n",
                        argv[i]);
                return 2;
            }
            timeout_s = (unsigned)v;
        } else {
            fprintf(stderr, "causeway-relayer: unknown or incomplete option \"%s\"\n", argv[i]);
            return usage(stderr);
        }
    }
    bool is_start = !strcmp(cmd, "start"), is_cc = !strcmp(cmd, "create-clients"),
         is_ch = !strcmp(cmd, "create-channel"), is_clear = !strcmp(cmd, "clear"),
         is_status = !strcmp(cmd, "status");
    if (!config) {
        fprintf(stderr, "causeway-relayer: --config FILE is required\n");
        return usage(stderr);
    }
    static rly_config cfg;
    char err[1024];
    int rc = rly_config_load(&cfg, config, err, sizeof err);
    if (rc) {
        fprintf(stderr, "causeway-relayer: bad config: %s\n", err);
        return 1;
    }
    if (level && cw_log_set_level(level) != CW_OK) {
        fprintf(stderr, "causeway-relayer: --log-level: \"%s\" is not error|warn|info|debug\n",
                level);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
#ifdef __GLIBC__
    /* Each tx is built and sent through several large buffers (msgs, signed body, request
     * frame, outbound copy) that are freed once it is on the wire. Keep freed memory in the
     * heap for the next tx instead of returning it to the kernel (munmap, heap trim) and
     * faulting fresh zeroed pages in again: perf put ~10 % of the relayer's CPU there. The
     * peak (VmHWM) is what it was; the heap just stays at it. */
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
#endif

    static rly_ctx x;
    int status = 1;
    if ((rc = rly_ctx_init(&x, &cfg, !is_status, is_start, err, sizeof err))) {
        fprintf(stderr, "causeway-relayer: %s\n", err);
        rly_ctx_free(&x);
        return 1;
    }
    if (is_status) {
        status = rly_status_report(&x, stdout, err, sizeof err) == CW_OK ? 0 : 1;
        goto out;
    }
    if ((rc = rly_ctx_open_db(&x, err, sizeof err))) {
        fprintf(stderr, "causeway-relayer: %s\n", err);
        goto out;
    }
    if ((rc = rly_ctx_seed(&x, is_start, err, sizeof err))) {
        fprintf(stderr, "causeway-relayer: light client: %s\n", err);
        goto out;
    }
    if (is_cc || is_ch) {
        for (int p = 0; p < cfg.n_paths; p++) {
            rc = is_cc ? rly_create_clients(&x, p, stdout, err, sizeof err)
                       : rly_create_channel(&x, p, stdout, err, sizeof err);
            /* write back what was created so far, even on a later failure */
            char e2[512];
            if (rly_config_save_ids(&cfg, e2, sizeof e2) != CW_OK)
                fprintf(stderr, "causeway-relayer: %s (ids: see the lines above)\n", e2);
            else
                printf("ids written to %s\n", cfg.file);
            if (rc) {
                fprintf(stderr, "causeway-relayer: %s: path %s: %s\n", cmd, cfg.paths[p].name,
                        err);
                goto out;
            }
        }
        rly_ctx_save_trust(&x);
        status = 0;
        goto out;
    }
    for (int p = 0; p < cfg.n_paths; p++)
        if (!cfg.paths[p].end[0].channel[0] || !cfg.paths[p].end[1].channel[0]) {
            fprintf(stderr, "causeway-relayer: %s: paths[%d] (%s) has no channel: run "
                    "create-clients and create-channel first\n", config, p, cfg.paths[p].name);
            goto out;
        }
    if (is_clear) {
        status = cmd_clear(&x, timeout_s);
        rly_ctx_save_trust(&x);
        goto out;
    }
    /* start */
    if ((rc = rly_metrics_start(cfg.metrics_addr, err, sizeof err))) {
        fprintf(stderr, "causeway-relayer: %s: %s\n", config, err);
        goto out;
    }
    cw_log(CW_LOG_INFO, "relayer started paths=%d batch_size=%u db=%s", cfg.n_paths,
           cfg.batch_size, cfg.db_path);
    rc = rly_run(&x, &stop, err, sizeof err);
    rly_metrics_stop();
    rly_ctx_save_trust(&x);
    cw_log(CW_LOG_INFO, "relayer stopped");
    status = rc ? 1 : 0;
out:
    rly_ctx_free(&x);
    return status;
}
