/* causeway-chain's MessagePack-RPC methods and HTTP /status and /metrics (DESIGN §5 "RPC").
 *
 * The methods with their params and answers are listed in DESIGN §5 and in
 * causeway/rpc_results.h (not repeated here, where they would drift). That header holds the
 * one definition of every shape: the handlers read their params with its decoders and the
 * node writes its answers with its encoders; clients decode with the same file.
 */
#include "chain.h"

#include <stdio.h>
#include <string.h>

#include "causeway/hex.h"
#include "causeway/rpc_results.h"

_Static_assert(CW_NODE_QUERY_MANY_MAX == CW_RPC_BATCH_MAX, "query_many bound");
_Static_assert(CW_NODE_PACKETS_MAX == CW_RPC_BATCH_MAX, "packets bound");
_Static_assert(CW_NODE_LIST_MAX == CW_RPC_LIST_MAX, "list bound");

static cw_node *node_of(void *user) { return ((cw_chain *)user)->node; }

/* Each handler reads its params with the contract's decoder (causeway/rpc_results.h) and
 * has the node append the answer, written with the contract's encoder. */

static int m_status(void *user, const msgpack_object *params, cw_enc *out, char *err,
                    size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_rpc_no_params_dec(&d, params, "status");
    if (d.rc)
        return d.rc;
    cw_node_status st;
    cw_node_get_status(node_of(user), &st);
    cw_rpc_status r = {.latest_height = st.latest_height,
                       .latest_time_ns = st.latest_time_ns,
                       .earliest_state_height = st.earliest_state_height,
                       .mempool_txs = st.mempool_txs};
    memcpy(r.chain_id, st.chain_id, sizeof r.chain_id);
    memcpy(r.latest_block_hash, st.latest_block_hash, 32);
    memcpy(r.latest_state_root, st.latest_state_root, 32);
    cw_rpc_status_enc(out, &r);
    return out->rc;
}

static int m_light_block(void *user, const msgpack_object *params, cw_enc *out, char *err,
                         size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    uint64_t h = cw_rpc_height_params_dec(&d, params, "light_block");
    return d.rc ? d.rc : cw_node_light_block(node_of(user), h, out, err, err_len);
}

static int m_block_results(void *user, const msgpack_object *params, cw_enc *out, char *err,
                           size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_rpc_block_results_params p;
    cw_rpc_block_results_params_dec(&d, params, &p);
    return d.rc ? d.rc
                : cw_node_block_results(node_of(user), p.height, p.start, out, err, err_len);
}

static int m_query(void *user, const msgpack_object *params, cw_enc *out, char *err,
                   size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_rpc_query_params p;
    cw_rpc_query_params_dec(&d, params, &p);
    return d.rc ? d.rc
                : cw_node_query(node_of(user), p.key.p, p.key.len, p.height, p.prove, out, err,
                                err_len);
}

static int m_query_many(void *user, const msgpack_object *params, cw_enc *out, char *err,
                        size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    static _Thread_local cw_rpc_query_many_params p; /* 16 KiB: off the stack */
    cw_rpc_query_many_params_dec(&d, params, &p);
    if (d.rc)
        return d.rc;
    /* the node names an empty key list or an empty key ("query_many keys[17]: empty") */
    return cw_node_query_many(node_of(user), p.keys, p.n, p.height, p.prove, out, err, err_len);
}

static int m_broadcast_tx(void *user, const msgpack_object *params, cw_enc *out, char *err,
                          size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_bytes tx = cw_rpc_broadcast_params_dec(&d, params);
    if (d.rc)
        return d.rc;
    uint8_t hash[32];
    int rc = cw_node_submit_tx(node_of(user), tx.p, tx.len, hash, err, err_len);
    if (rc)
        return rc;
    cw_rpc_broadcast_enc(out, hash);
    return out->rc;
}

/* params [hash(bin 32)] of method `what` */
static int hash_param(const msgpack_object *params, uint8_t hash[32], const char *what,
                      char *err, size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_rpc_hash_params_dec(&d, params, hash, what);
    return d.rc;
}

static int m_tx(void *user, const msgpack_object *params, cw_enc *out, char *err,
                size_t err_len)
{
    uint8_t hash[32];
    int rc = hash_param(params, hash, "tx", err, err_len);
    return rc ? rc : cw_node_tx(node_of(user), hash, out, err, err_len);
}

static int m_tx_status(void *user, const msgpack_object *params, cw_enc *out, char *err,
                       size_t err_len)
{
    uint8_t hash[32];
    int rc = hash_param(params, hash, "tx_status", err, err_len);
    return rc ? rc : cw_node_tx_status(node_of(user), hash, out, err, err_len);
}

/* A method whose params are [address]: account, lend_account. */
static int address_method(void *user, const msgpack_object *params, const char *method,
                          int (*read)(cw_node *, const cw_address *, cw_enc *, char *, size_t),
                          cw_enc *out, char *err, size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_address a;
    cw_rpc_address_params_dec(&d, params, &a, method);
    return d.rc ? d.rc : read(node_of(user), &a, out, err, err_len);
}

static int m_account(void *user, const msgpack_object *params, cw_enc *out, char *err,
                     size_t err_len)
{
    return address_method(user, params, "account", cw_node_account, out, err, err_len);
}

static int m_packet_commitments(void *user, const msgpack_object *params, cw_enc *out,
                                char *err, size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_rpc_commitments_params p;
    cw_rpc_commitments_params_dec(&d, params, &p);
    return d.rc ? d.rc
                : cw_node_packet_commitments(node_of(user), p.port, p.channel, p.start, p.limit,
                                             out, err, err_len);
}

static int packet_or_ack(void *user, const msgpack_object *params, cw_enc *out, char *err,
                         size_t err_len, bool ack)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_rpc_chan_params p;
    cw_rpc_chan_params_dec(&d, params, &p, true, ack ? "ack" : "packet");
    if (d.rc)
        return d.rc;
    return ack ? cw_node_ack(node_of(user), p.port, p.channel, p.seq, out, err, err_len)
               : cw_node_packet(node_of(user), p.port, p.channel, p.seq, out, err, err_len);
}

static int m_packet(void *user, const msgpack_object *params, cw_enc *out, char *err,
                    size_t err_len)
{
    return packet_or_ack(user, params, out, err, err_len, false);
}

static int m_ack(void *user, const msgpack_object *params, cw_enc *out, char *err,
                 size_t err_len)
{
    return packet_or_ack(user, params, out, err, err_len, true);
}

static int m_packets(void *user, const msgpack_object *params, cw_enc *out, char *err,
                     size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_rpc_chan_params p;
    uint32_t n;
    uint64_t seqs[CW_NODE_PACKETS_MAX];
    cw_rpc_seqs_params_dec(&d, params, &p, seqs, CW_NODE_PACKETS_MAX, &n, "packets");
    if (d.rc)
        return d.rc;
    /* the node names an empty seqs list */
    return cw_node_packets(node_of(user), p.port, p.channel, seqs, n, out, err, err_len);
}

static int unreceived(void *user, const msgpack_object *params, cw_enc *out, char *err,
                      size_t err_len, const char *which, const char *what)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_rpc_chan_params p;
    uint32_t n;
    static _Thread_local uint64_t seqs[CW_NODE_LIST_MAX]; /* 80 KiB: off the stack */
    cw_rpc_seqs_params_dec(&d, params, &p, seqs, CW_NODE_LIST_MAX, &n, what);
    if (d.rc)
        return d.rc;
    return cw_node_unreceived(node_of(user), which, p.port, p.channel, seqs, n, out, err,
                              err_len);
}

static int m_unreceived_packets(void *user, const msgpack_object *params, cw_enc *out,
                                char *err, size_t err_len)
{
    return unreceived(user, params, out, err, err_len, CW_PATH_RECEIPTS, "unreceived_packets");
}

static int m_unreceived_acks(void *user, const msgpack_object *params, cw_enc *out, char *err,
                             size_t err_len)
{
    return unreceived(user, params, out, err, err_len, CW_PATH_COMMITMENTS, "unreceived_acks");
}

static int m_lend_account(void *user, const msgpack_object *params, cw_enc *out, char *err,
                          size_t err_len)
{
    return address_method(user, params, "lend_account", cw_node_lend_account, out, err,
                          err_len);
}

static int m_lend_market(void *user, const msgpack_object *params, cw_enc *out, char *err,
                         size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_rpc_lend_market_params p;
    cw_rpc_lend_market_params_dec(&d, params, &p);
    return d.rc ? d.rc
                : cw_node_lend_market(node_of(user), p.has_asset ? p.asset : NULL, out, err,
                                      err_len);
}

static int m_lend_quote(void *user, const msgpack_object *params, cw_enc *out, char *err,
                        size_t err_len)
{
    return address_method(user, params, "lend_quote", cw_node_lend_quote, out, err, err_len);
}

static int m_lend_borrowers(void *user, const msgpack_object *params, cw_enc *out, char *err,
                            size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    cw_rpc_lend_borrowers_params p;
    cw_rpc_lend_borrowers_params_dec(&d, params, &p);
    return d.rc ? d.rc
                : cw_node_lend_borrowers(node_of(user), p.has_start ? &p.start_after : NULL,
                                         p.limit, out, err, err_len);
}

static int http_status(void *user, cw_rpc_text *t)
{
    cw_node_status st;
    char hash[65], root[65];
    cw_node_get_status(node_of(user), &st);
    cw_hex_encode(hash, sizeof hash, st.latest_block_hash, 32);
    cw_hex_encode(root, sizeof root, st.latest_state_root, 32);
    return cw_rpc_text_appendf(
        t,
        "{\"chain_id\":\"%s\",\"latest_height\":%llu,\"latest_time\":%llu,"
        "\"latest_block_hash\":\"%s\",\"latest_state_root\":\"%s\","
        "\"earliest_state_height\":%llu,\"mempool_txs\":%llu}",
        st.chain_id, (unsigned long long)st.latest_height,
        (unsigned long long)st.latest_time_ns, hash, root,
        (unsigned long long)st.earliest_state_height, (unsigned long long)st.mempool_txs);
}

static int http_metrics(void *user, cw_rpc_text *t)
{
    cw_chain *c = user;
    cw_node_status st;
    cw_node_get_status(c->node, &st);
    return cw_rpc_text_appendf(
        t,
        "# HELP causeway_chain_height Latest committed block height.\n"
        "# TYPE causeway_chain_height gauge\n"
        "causeway_chain_height{chain_id=\"%s\"} %llu\n"
        "# HELP causeway_chain_latest_block_time_seconds Unix time of the latest committed "
        "block (its header's time; seconds since it: time() minus this).\n"
        "# TYPE causeway_chain_latest_block_time_seconds gauge\n"
        "causeway_chain_latest_block_time_seconds{chain_id=\"%s\"} %.3f\n"
        "# HELP causeway_chain_txs_total Transactions committed in blocks.\n"
        "# TYPE causeway_chain_txs_total counter\n"
        "causeway_chain_txs_total{chain_id=\"%s\"} %llu\n"
        "# HELP causeway_chain_mempool_txs Transactions waiting in the mempool.\n"
        "# TYPE causeway_chain_mempool_txs gauge\n"
        "causeway_chain_mempool_txs{chain_id=\"%s\"} %llu\n"
        "# HELP causeway_chain_block_errors_total Blocks that failed to commit.\n"
        "# TYPE causeway_chain_block_errors_total counter\n"
        "causeway_chain_block_errors_total{chain_id=\"%s\"} %llu\n"
        "# HELP causeway_chain_block_notes_partial_total Block notifications whose events were "
        "cut at the frame limit (the rest is read with block_results).\n"
        "# TYPE causeway_chain_block_notes_partial_total counter\n"
        "causeway_chain_block_notes_partial_total{chain_id=\"%s\"} %llu\n"
        "# HELP causeway_chain_block_notes_failed_total Block notifications that could not be "
        "published (dropped).\n"
        "# TYPE causeway_chain_block_notes_failed_total counter\n"
        "causeway_chain_block_notes_failed_total{chain_id=\"%s\"} %llu\n",
        st.chain_id, (unsigned long long)st.latest_height, st.chain_id,
        (double)st.latest_time_ns / 1e9, st.chain_id, (unsigned long long)st.txs_committed,
        st.chain_id, (unsigned long long)st.mempool_txs, st.chain_id,
        (unsigned long long)c->block_errors, st.chain_id, (unsigned long long)st.notes_partial,
        st.chain_id, (unsigned long long)c->notes_failed);
}

void cw_chain_rpc_config(cw_chain *c, cw_rpc_server_config *cfg)
{
    cfg->status_cb = http_status;
    cfg->status_user = c;
    cfg->metrics_cb = http_metrics;
    cfg->metrics_user = c;
}

int cw_chain_rpc_register(cw_chain *c, char *err, size_t err_len)
{
    static const struct {
        const char *name;
        cw_rpc_handler fn;
    } methods[] = {
        {"status", m_status},     {"light_block", m_light_block},
        {"block_results", m_block_results}, {"query", m_query},
        {"query_many", m_query_many},
        {"broadcast_tx", m_broadcast_tx},   {"tx", m_tx},
        {"tx_status", m_tx_status},
        {"account", m_account},
        {"packet_commitments", m_packet_commitments},
        {"packet", m_packet},
        {"packets", m_packets},
        {"ack", m_ack},
        {"unreceived_packets", m_unreceived_packets},
        {"unreceived_acks", m_unreceived_acks},
        {"lend_account", m_lend_account},
        {"lend_market", m_lend_market},
        {"lend_quote", m_lend_quote},
        {"lend_borrowers", m_lend_borrowers},
    };
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        int rc = cw_rpc_server_register(c->srv, methods[i].name, methods[i].fn, c);
        if (rc)
            return cw_errf(err, err_len, rc, "rpc: registering %s: %s", methods[i].name,
                           cw_strerror(rc));
    }
    int rc = cw_rpc_server_add_topic(c->srv, CW_RPC_TOPIC_BLOCKS);
    return rc ? cw_errf(err, err_len, rc, "rpc: topic blocks: %s", cw_strerror(rc)) : CW_OK;
}
