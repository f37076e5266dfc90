/* Prometheus /metrics, /healthz and /status for the relayer, served by the RPC server
 * runtime (no methods registered) on its own thread; the relay thread updates rly_m under
 * its mutex, the server thread reads it under the same mutex. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/log.h"
#include "causeway/rpc_server.h"
#include "relayer.h"

rly_metrics rly_m = {.mu = PTHREAD_MUTEX_INITIALIZER};

static const double bounds[RLY_LAT_BUCKETS] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                               1,    2.5,   5,    10,  30,   60};
static const char *const kind_name[RLY_K_N] = {"recv", "ack", "timeout"};

void rly_metrics_observe_latency(double s)
{
    int b = 0;
    while (b < RLY_LAT_BUCKETS && s > bounds[b])
        b++;
    pthread_mutex_lock(&rly_m.mu);
    rly_m.lat_bucket[b]++;
    rly_m.lat_sum_s += s;
    rly_m.lat_count++;
    pthread_mutex_unlock(&rly_m.mu);
}

void rly_metrics_chain_event(void *user, const cw_chain_client *c, enum cw_chain_event ev,
                             uint64_t v)
{
    (void)user;
    pthread_mutex_lock(&rly_m.mu);
    switch (ev) {
    case CW_CHAIN_EV_RECONNECT: rly_m.reconnects += v; break;
    case CW_CHAIN_EV_HEADER_REJECTED: rly_m.headers_rejected += v; break;
    case CW_CHAIN_EV_TX_SUBMITTED: rly_m.txs_submitted += v; break;
    case CW_CHAIN_EV_PROOF_REJECTED: rly_m.proofs_rejected += v; break;
    case CW_CHAIN_EV_HEIGHT:
        if (c->ix >= 0 && c->ix < RLY_MAX_CHAINS)
            rly_m.height[c->ix] = v;
        break;
    }
    pthread_mutex_unlock(&rly_m.mu);
}

void rly_metrics_pending(int p, int d, uint64_t n, uint64_t oldest_seq, uint64_t age_blocks)
{
    if (p < 0 || p >= RLY_MAX_PATHS || d < 0 || d > 1)
        return;
    pthread_mutex_lock(&rly_m.mu);
    rly_m.pending[p][d] = n;
    rly_m.oldest_pending[p][d] = oldest_seq;
    rly_m.oldest_age_blocks[p][d] = age_blocks;
    pthread_mutex_unlock(&rly_m.mu);
}

void rly_metrics_client(int p, int e, const cw_lc_client_state *cs,
                        const cw_lc_consensus_state *latest)
{
    if (p < 0 || p >= RLY_MAX_PATHS || e < 0 || e > 1)
        return;
    pthread_mutex_lock(&rly_m.mu);
    struct rly_client_m *m = &rly_m.client[p][e];
    m->known = true;
    m->frozen = cs->frozen_height != 0;
    m->trusting_period_ns = cs->trusting_period_ns;
    m->expiry_ns = latest->timestamp_ns + cs->trusting_period_ns;
    pthread_mutex_unlock(&rly_m.mu);
}

void rly_metrics_chain_up(int ix, bool up)
{
    if (ix < 0 || ix >= RLY_MAX_CHAINS)
        return;
    pthread_mutex_lock(&rly_m.mu);
    rly_m.chain_up[ix] = up;
    pthread_mutex_unlock(&rly_m.mu);
}

static int metrics_cb(void *user, cw_rpc_text *t)
{
    (void)user;
    rly_metrics m;
    pthread_mutex_lock(&rly_m.mu);
    memcpy(&m, &rly_m, sizeof m);
    pthread_mutex_unlock(&rly_m.mu);
    int rc = CW_OK;
#define P(...)                                                                             \
    do {                                                                                   \
        if (rc == CW_OK)                                                                   \
            rc = cw_rpc_text_appendf(t, __VA_ARGS__);                                      \
    } while (0)
    P("# HELP causeway_relayer_packets_relayed_total Packets relayed (msgs that landed), by "
      "path and kind.\n# TYPE causeway_relayer_packets_relayed_total counter\n");
    for (int p = 0; m.cfg && p < m.cfg->n_paths; p++)
        for (int k = 0; k < RLY_K_N; k++)
            P("causeway_relayer_packets_relayed_total{path=\"%s\",kind=\"%s\"} %llu\n",
              m.cfg->paths[p].name, kind_name[k], (unsigned long long)m.relayed[p][k]);
    P("# HELP causeway_relayer_relay_latency_seconds From the source block carrying the event to "
      "the destination tx committing.\n# TYPE causeway_relayer_relay_latency_seconds histogram\n");
    uint64_t cum = 0;
    for (int b = 0; b < RLY_LAT_BUCKETS; b++) {
        cum += m.lat_bucket[b];
        P("causeway_relayer_relay_latency_seconds_bucket{le=\"%g\"} %llu\n", bounds[b],
          (unsigned long long)cum);
    }
    cum += m.lat_bucket[RLY_LAT_BUCKETS];
    P("causeway_relayer_relay_latency_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    P("causeway_relayer_relay_latency_seconds_sum %.6f\n", m.lat_sum_s);
    P("causeway_relayer_relay_latency_seconds_count %llu\n", (unsigned long long)m.lat_count);
#define C(name, help, v)                                                                   \
    P("# HELP causeway_relayer_" name " " help "\n# TYPE causeway_relayer_" name " counter\n"      \
      "causeway_relayer_" name " %llu\n", (unsigned long long)(v))
    C("client_updates_total", "MsgUpdateClient msgs that landed.", m.client_updates);
    C("tx_failures_total", "Relayer txs that failed on chain or could not be broadcast.",
      m.tx_failures);
    C("msg_failures_total", "Msgs named as failing by a tx result and dropped.", m.msg_failures);
    C("redundant_relays_total", "Relays that landed as no-ops (another relayer won).",
      m.redundant);
    C("reconnects_total", "RPC reconnects.", m.reconnects);
    C("headers_rejected_total", "Light blocks that failed local verification (never submitted).",
      m.headers_rejected);
    C("proofs_rejected_total", "Proofs a node served that failed local verification against "
      "the verified header (never submitted; the node is dropped).", m.proofs_rejected);
    C("txs_submitted_total", "Txs admitted to a mempool.", m.txs_submitted);
    C("db_write_failures_total", "Writes to the relayer's LMDB records that failed (logged).",
      m.db_write_failures);
    C("block_results_pages_total", "block_results pages read (gap fill, cut notifications, "
      "evidence search).", m.block_pages);
    C("block_results_more_pages_total", "Of those, pages after a block's first (blocks over "
      "the chain's page cap).", m.block_pages_more);
    C("blocks_paged_total", "Block notifications the chain cut at its frame limit whose other "
      "events were read with block_results.", m.blocks_paged);
    C("blocks_paged_failures_total", "Cut block notifications whose other events could not "
      "be read (the gap fill reads them again).", m.blocks_paged_failures);
    C("receipts_asked_total", "Pending packets a tick asked the destination about "
      "(unreceived_packets).", m.receipts_asked);
    C("receipts_known_total", "Pending packets a tick did not ask about: receipt already seen "
      "on the current connection, or msgs in flight or waiting to retry.", m.receipts_known);
    P("# HELP causeway_relayer_pending_packets Packets committed on the source and not yet "
      "acknowledged or timed out, per path and source chain.\n"
      "# TYPE causeway_relayer_pending_packets gauge\n");
    const rly_config *cfg = m.cfg;
    for (int p = 0; cfg && p < cfg->n_paths; p++)
        for (int e = 0; e < 2; e++)
            P("causeway_relayer_pending_packets{path=\"%s\",src=\"%s\"} %llu\n", cfg->paths[p].name,
              cfg->paths[p].end[e].chain, (unsigned long long)m.pending[p][e]);
    P("# HELP causeway_relayer_oldest_pending_sequence Lowest pending sequence (0 = none).\n"
      "# TYPE causeway_relayer_oldest_pending_sequence gauge\n");
    for (int p = 0; cfg && p < cfg->n_paths; p++)
        for (int e = 0; e < 2; e++)
            P("causeway_relayer_oldest_pending_sequence{path=\"%s\",src=\"%s\"} %llu\n",
              cfg->paths[p].name, cfg->paths[p].end[e].chain,
              (unsigned long long)m.oldest_pending[p][e]);
    P("# HELP causeway_relayer_oldest_pending_age_blocks Source blocks since the oldest "
      "pending packet was committed (0 = none pending): from the height of its send_packet "
      "event, else from the source height when the relayer first listed it (a lower bound).\n"
      "# TYPE causeway_relayer_oldest_pending_age_blocks gauge\n");
    for (int p = 0; cfg && p < cfg->n_paths; p++)
        for (int e = 0; e < 2; e++)
            P("causeway_relayer_oldest_pending_age_blocks{path=\"%s\",src=\"%s\"} %llu\n",
              cfg->paths[p].name, cfg->paths[p].end[e].chain,
              (unsigned long long)m.oldest_age_blocks[p][e]);
    P("# HELP causeway_relayer_chain_height Latest height seen per chain.\n"
      "# TYPE causeway_relayer_chain_height gauge\n");
    for (int c = 0; cfg && c < cfg->n_chains; c++)
        P("causeway_relayer_chain_height{chain=\"%s\"} %llu\n", cfg->chains[c].id,
          (unsigned long long)m.height[c]);
    P("# HELP causeway_relayer_chain_up Whether the relayer's RPC connection to the chain is "
      "open (1) or lost and being retried (0).\n# TYPE causeway_relayer_chain_up gauge\n");
    for (int c = 0; cfg && c < cfg->n_chains; c++)
        P("causeway_relayer_chain_up{chain=\"%s\"} %d\n", cfg->chains[c].id,
          m.chain_up[c] ? 1 : 0);
    /* per client: only those read at least once (a path end without a client has none) */
    static const char *const client_m[3][2] = {
        {"client_frozen", "Whether the client is frozen (misbehaviour): 1 frozen, 0 active."},
        {"client_trusting_period_seconds", "The client's trusting period."},
        {"client_expiry_timestamp_seconds",
         "Unix time at which the client expires: its latest consensus state's time plus its "
         "trusting period (time left: this minus time())."}};
    for (int k = 0; k < 3; k++) {
        P("# HELP causeway_relayer_%s %s\n# TYPE causeway_relayer_%s gauge\n", client_m[k][0],
          client_m[k][1], client_m[k][0]);
        for (int p = 0; cfg && p < cfg->n_paths; p++)
            for (int e = 0; e < 2; e++) {
                const struct rly_client_m *cm = &m.client[p][e];
                if (!cm->known)
                    continue;
                P("causeway_relayer_%s{path=\"%s\",chain=\"%s\",client=\"%s\"} ",
                  client_m[k][0], cfg->paths[p].name, cfg->paths[p].end[e].chain,
                  cfg->paths[p].end[e].client);
                if (k == 0)
                    P("%d\n", cm->frozen ? 1 : 0);
                else
                    P("%.3f\n", (double)(k == 1 ? cm->trusting_period_ns : cm->expiry_ns) / 1e9);
            }
    }
#undef C
#undef P
    return rc;
}

static int status_cb(void *user, cw_rpc_text *t)
{
    (void)user;
    pthread_mutex_lock(&rly_m.mu);
    uint64_t r = 0, a = 0, to = 0, tick = rly_m.last_tick_ms;
    for (int p = 0; p < RLY_MAX_PATHS; p++) {
        r += rly_m.relayed[p][RLY_K_RECV];
        a += rly_m.relayed[p][RLY_K_ACK];
        to += rly_m.relayed[p][RLY_K_TIMEOUT];
    }
    pthread_mutex_unlock(&rly_m.mu);
    return cw_rpc_text_appendf(t, "{\"recv\":%llu,\"ack\":%llu,\"timeout\":%llu,"
                               "\"last_tick_age_ms\":%llu}", (unsigned long long)r,
                               (unsigned long long)a, (unsigned long long)to,
                               (unsigned long long)(tick ? cw_chain_now_ms() - tick : 0));
}

static cw_rpc_server_thread *srv;

int rly_metrics_start(const char *addr, char *err, size_t err_len)
{
    if (!addr || !addr[0])
        return CW_OK;
    char host[128];
    snprintf(host, sizeof host, "%s", addr);
    char *colon = strrchr(host, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || !end || *end || port < 0 || port > 65535)
        return cw_errf(err, err_len, CW_EINVAL, "metrics_addr: \"%s\" is not HOST:PORT", addr);
    *colon = 0;
    if (host[0] == '[') {
        memmove(host, host + 1, strlen(host));
        char *rb = strchr(host, ']');
        if (rb)
            *rb = 0;
    }
    cw_rpc_server_config sc = {.listen_addr = host, .port = (int)port, .metrics_cb = metrics_cb,
                               .status_cb = status_cb, .max_connections = 16};
    int rc = cw_rpc_server_thread_start(&srv, &sc, err, err_len);
    if (rc)
        return cw_err_prefix(err, err_len, rc, "metrics_addr");
    cw_log(CW_LOG_INFO, "metrics listening addr=%s port=%d", host,
           cw_rpc_server_thread_port(srv));
    return CW_OK;
}

void rly_metrics_stop(void)
{
    cw_rpc_server_thread_stop(srv);
    srv = NULL;
}
