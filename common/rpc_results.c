/* The chain's RPC results and params: one encoder and one decoder per shape
 * (causeway/rpc_results.h has the table). */
#include "causeway/rpc_results.h"

#include <stdio.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/event.h"

int cw_rpc_result_open(cw_dec *d, const msgpack_object **root, const uint8_t *buf, size_t len,
                       const char *method, char *err, size_t err_len)
{
    int rc = cw_dec_open(d, root, buf, len, CW_RPC_RESULT_MAX, err, err_len);
    if (rc)
        cw_err_prefix(err, err_len, rc, method);
    return rc;
}

/* ---- shared pieces ------------------------------------------------------------------- */

/* a signed code: negative as int64, else as an unsigned integer (shortest form either way) */
static void enc_code(cw_enc *e, int64_t code)
{
    if (code < 0)
        msgpack_pack_int64(&e->pk, code);
    else
        cw_enc_u64(e, (uint64_t)code);
}

static int64_t dec_code(cw_dec *d, const msgpack_object *o, const char *what)
{
    if (d->rc)
        return 0;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    return (int64_t)cw_dec_uint_max(d, o, INT64_MAX, "%s", what);
}

static void enc_opt_u64(cw_enc *e, bool has, uint64_t v)
{
    if (has)
        cw_enc_u64(e, v);
    else
        cw_enc_nil(e);
}

static uint64_t dec_opt_u64(cw_dec *d, const msgpack_object *o, bool *has, const char *what)
{
    *has = !cw_dec_is_nil(o);
    return *has ? cw_dec_u64(d, o, "%s", what) : 0;
}

static void enc_opt_bin(cw_enc *e, bool has, cw_bytes b)
{
    if (has)
        cw_enc_bin(e, b.p, b.len);
    else
        cw_enc_nil(e);
}

static cw_bytes dec_opt_bin(cw_dec *d, const msgpack_object *o, size_t max, bool *has,
                            const char *what)
{
    *has = !cw_dec_is_nil(o);
    return *has ? cw_dec_bin(d, o, max, "%s", what) : (cw_bytes){0};
}

static void enc_u64s(cw_enc *e, const uint64_t *v, uint32_t n)
{
    cw_enc_array(e, n);
    for (uint32_t i = 0; i < n; i++)
        cw_enc_u64(e, v[i]);
}

static void dec_u64s(cw_dec *d, const msgpack_object *o, uint64_t *out, uint32_t max,
                     uint32_t *n, const char *what)
{
    const msgpack_object *items = cw_dec_list(d, o, max, n, "%s", what);
    for (uint32_t i = 0; i < *n && d->rc == CW_OK; i++)
        out[i] = cw_dec_u64(d, &items[i], "%s[%u]", what, i);
    if (d->rc)
        *n = 0;
}

/* ---- params shared by several methods ------------------------------------------------ */

void cw_rpc_no_params_enc(cw_enc *e) { cw_enc_array(e, 0); }

void cw_rpc_no_params_dec(cw_dec *d, const msgpack_object *o, const char *what)
{
    cw_dec_array(d, o, 0, "%s params", what);
}

void cw_rpc_height_params_enc(cw_enc *e, uint64_t height)
{
    cw_enc_array(e, 1);
    cw_enc_u64(e, height);
}

uint64_t cw_rpc_height_params_dec(cw_dec *d, const msgpack_object *o, const char *what)
{
    const msgpack_object *f = cw_dec_array(d, o, 1, "%s params", what);
    return cw_dec_u64(d, &f[0], "%s params.height", what);
}

void cw_rpc_hash_params_enc(cw_enc *e, const uint8_t hash32[static 32])
{
    cw_enc_array(e, 1);
    cw_enc_bin(e, hash32, 32);
}

void cw_rpc_hash_params_dec(cw_dec *d, const msgpack_object *o, uint8_t hash32[static 32],
                            const char *what)
{
    const msgpack_object *f = cw_dec_array(d, o, 1, "%s params", what);
    cw_dec_bin_fixed(d, &f[0], hash32, 32, "%s params.hash", what);
}

void cw_rpc_address_params_enc(cw_enc *e, const cw_address *a)
{
    cw_enc_array(e, 1);
    cw_enc_bin(e, a->b, 20);
}

void cw_rpc_address_params_dec(cw_dec *d, const msgpack_object *o, cw_address *a,
                               const char *what)
{
    const msgpack_object *f = cw_dec_array(d, o, 1, "%s params", what);
    cw_dec_bin_fixed(d, &f[0], a->b, 20, "%s params.address", what);
}

static void chan_enc(cw_enc *e, const char *port, const char *channel)
{
    cw_enc_cstr(e, port);
    cw_enc_cstr(e, channel);
}

static void chan_dec(cw_dec *d, const msgpack_object *f, cw_rpc_chan_params *p,
                     const char *what)
{
    cw_dec_id(d, &f[0], p->port, "%s params.port", what);
    cw_dec_id(d, &f[1], p->channel, "%s params.channel", what);
}

void cw_rpc_chan_params_enc(cw_enc *e, const cw_rpc_chan_params *p, bool with_seq)
{
    cw_enc_array(e, with_seq ? 3 : 2);
    chan_enc(e, p->port, p->channel);
    if (with_seq)
        cw_enc_u64(e, p->seq);
}

void cw_rpc_chan_params_dec(cw_dec *d, const msgpack_object *o, cw_rpc_chan_params *p,
                            bool with_seq, const char *what)
{
    memset(p, 0, sizeof *p);
    const msgpack_object *f = cw_dec_array(d, o, with_seq ? 3 : 2, "%s params", what);
    chan_dec(d, f, p, what);
    if (with_seq)
        p->seq = cw_dec_u64(d, &f[2], "%s params.sequence", what);
}

void cw_rpc_commitments_params_enc(cw_enc *e, const cw_rpc_commitments_params *p)
{
    if (((p->limit == 0 && p->start != 0) || p->limit > CW_RPC_LIST_MAX) && e->rc == CW_OK)
        e->rc = CW_EINVAL;
    cw_enc_array(e, p->limit ? 4 : 2);
    chan_enc(e, p->port, p->channel);
    if (p->limit) {
        cw_enc_u64(e, p->start);
        cw_enc_u64(e, p->limit);
    }
}

void cw_rpc_commitments_params_dec(cw_dec *d, const msgpack_object *o,
                                   cw_rpc_commitments_params *p)
{
    cw_rpc_chan_params c;
    memset(p, 0, sizeof *p);
    bool paged = o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 4;
    const msgpack_object *f = cw_dec_array(d, o, paged ? 4 : 2, "packet_commitments params");
    chan_dec(d, f, &c, "packet_commitments");
    if (paged) {
        p->start = cw_dec_u64(d, &f[2], "packet_commitments params.start");
        p->limit = (uint32_t)cw_dec_uint_max(d, &f[3], CW_RPC_LIST_MAX,
                                             "packet_commitments params.limit");
        if (d->rc == CW_OK && p->limit == 0)
            cw_dec_fail(d, CW_EINVAL, "packet_commitments params.limit: must be at least 1");
    }
    memcpy(p->port, c.port, sizeof p->port);
    memcpy(p->channel, c.channel, sizeof p->channel);
}

void cw_rpc_seqs_params_enc(cw_enc *e, const char *port, const char *channel,
                            const uint64_t *seqs, uint32_t n)
{
    if (n > CW_RPC_LIST_MAX && e->rc == CW_OK)
        e->rc = CW_ETOOBIG;
    cw_enc_array(e, 3);
    chan_enc(e, port, channel);
    enc_u64s(e, seqs, n);
}

void cw_rpc_seqs_params_dec(cw_dec *d, const msgpack_object *o, cw_rpc_chan_params *p,
                            uint64_t *seqs, uint32_t max, uint32_t *n, const char *what)
{
    char w[96];
    memset(p, 0, sizeof *p);
    *n = 0;
    const msgpack_object *f = cw_dec_array(d, o, 3, "%s params", what);
    chan_dec(d, f, p, what);
    snprintf(w, sizeof w, "%s params.seqs", what);
    dec_u64s(d, &f[2], seqs, max, n, w);
}

void cw_rpc_seqs_enc(cw_enc *e, const uint64_t *seqs, uint32_t n) { enc_u64s(e, seqs, n); }

void cw_rpc_seqs_dec(cw_dec *d, const msgpack_object *o, uint64_t *seqs, uint32_t max,
                     uint32_t *n, const char *what)
{
    *n = 0;
    dec_u64s(d, o, seqs, max, n, what);
}

/* ---- status ------------------------------------------------------------------------- */

void cw_rpc_status_enc(cw_enc *e, const cw_rpc_status *r)
{
    cw_enc_array(e, 7);
    cw_enc_cstr(e, r->chain_id);
    cw_enc_u64(e, r->latest_height);
    cw_enc_u64(e, r->latest_time_ns);
    cw_enc_bin(e, r->latest_block_hash, 32);
    cw_enc_bin(e, r->latest_state_root, 32);
    cw_enc_u64(e, r->earliest_state_height);
    cw_enc_u64(e, r->mempool_txs);
}

void cw_rpc_status_dec(cw_dec *d, const msgpack_object *o, cw_rpc_status *r)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 7, "status");
    cw_dec_id(d, &f[0], r->chain_id, "status.chain_id");
    r->latest_height = cw_dec_u64(d, &f[1], "status.height");
    r->latest_time_ns = cw_dec_u64(d, &f[2], "status.time");
    cw_dec_bin_fixed(d, &f[3], r->latest_block_hash, 32, "status.latest_block_hash");
    cw_dec_bin_fixed(d, &f[4], r->latest_state_root, 32, "status.latest_state_root");
    r->earliest_state_height = cw_dec_u64(d, &f[5], "status.earliest_state_height");
    r->mempool_txs = cw_dec_u64(d, &f[6], "status.mempool_txs");
}

/* ---- query, query_many -------------------------------------------------------------- */

void cw_rpc_query_params_enc(cw_enc *e, const cw_rpc_query_params *p)
{
    cw_enc_array(e, 3);
    cw_enc_bin(e, p->key.p, p->key.len);
    cw_enc_u64(e, p->height);
    cw_enc_bool(e, p->prove);
}

void cw_rpc_query_params_dec(cw_dec *d, const msgpack_object *o, cw_rpc_query_params *p)
{
    memset(p, 0, sizeof *p);
    const msgpack_object *f = cw_dec_array(d, o, 3, "query params");
    p->key = cw_dec_bin(d, &f[0], CW_RPC_KEY_MAX, "query params.key");
    p->height = cw_dec_u64(d, &f[1], "query params.height");
    p->prove = cw_dec_bool(d, &f[2], "query params.prove");
    if (d->rc == CW_OK && p->key.len == 0)
        cw_dec_fail(d, CW_EINVAL, "query params.key: empty");
}

static void qitem_fields_enc(cw_enc *e, const cw_rpc_qitem *r)
{
    enc_opt_bin(e, r->has_value, r->value);
    enc_opt_bin(e, r->has_proof, r->proof);
}

static void qitem_fields_dec(cw_dec *d, const msgpack_object *f, cw_rpc_qitem *r,
                             const char *what)
{
    r->value = dec_opt_bin(d, &f[0], CW_RPC_RESULT_MAX, &r->has_value, CW_DEC_LABEL(what, "value"));
    r->proof = dec_opt_bin(d, &f[1], CW_RPC_RESULT_MAX, &r->has_proof, CW_DEC_LABEL(what, "proof"));
}

void cw_rpc_qitem_enc(cw_enc *e, const cw_rpc_qitem *r)
{
    cw_enc_array(e, 2);
    qitem_fields_enc(e, r);
}

void cw_rpc_qitem_dec(cw_dec *d, const msgpack_object *o, cw_rpc_qitem *r, const char *what)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 2, "%s", what);
    qitem_fields_dec(d, f, r, what);
}

void cw_rpc_query_enc(cw_enc *e, const cw_rpc_query *r)
{
    cw_enc_array(e, 3);
    qitem_fields_enc(e, &r->item);
    cw_enc_u64(e, r->height);
}

void cw_rpc_query_dec(cw_dec *d, const msgpack_object *o, cw_rpc_query *r)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 3, "query");
    qitem_fields_dec(d, f, &r->item, "query");
    r->height = cw_dec_u64(d, &f[2], "query.height");
}

void cw_rpc_query_many_params_enc(cw_enc *e, const cw_rpc_query_many_params *p)
{
    if (p->n > CW_RPC_BATCH_MAX) {
        if (e->rc == CW_OK)
            e->rc = CW_ETOOBIG;
        return;
    }
    cw_enc_array(e, 3);
    cw_enc_array(e, p->n);
    for (uint32_t i = 0; i < p->n; i++)
        cw_enc_bin(e, p->keys[i].p, p->keys[i].len);
    cw_enc_u64(e, p->height);
    cw_enc_bool(e, p->prove);
}

void cw_rpc_query_many_params_dec(cw_dec *d, const msgpack_object *o,
                                  cw_rpc_query_many_params *p)
{
    p->n = 0;
    p->height = 0;
    p->prove = false;
    uint32_t n;
    const msgpack_object *f = cw_dec_array(d, o, 3, "query_many params");
    const msgpack_object *items = cw_dec_list(d, &f[0], CW_RPC_BATCH_MAX, &n,
                                              "query_many params.keys");
    for (uint32_t i = 0; i < n && d->rc == CW_OK; i++)
        p->keys[i] = cw_dec_bin(d, &items[i], CW_RPC_KEY_MAX, "query_many params.keys[%u]", i);
    p->height = cw_dec_u64(d, &f[1], "query_many params.height");
    p->prove = cw_dec_bool(d, &f[2], "query_many params.prove");
    p->n = d->rc ? 0 : n;
}

void cw_rpc_query_many_enc_head(cw_enc *e, uint64_t height, uint32_t n)
{
    cw_enc_array(e, 2);
    cw_enc_u64(e, height);
    cw_enc_array(e, n);
}

void cw_rpc_query_many_dec(cw_dec *d, const msgpack_object *o, uint32_t max_items,
                           cw_rpc_query_many *r)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 2, "query_many");
    r->height = cw_dec_u64(d, &f[0], "query_many.height");
    r->items = cw_dec_list(d, &f[1], max_items, &r->n, "query_many.items");
    if (d->rc) {
        r->n = 0;
        r->items = NULL;
    }
}

/* ---- broadcast_tx, tx, tx_status ----------------------------------------------------- */

void cw_rpc_broadcast_params_enc(cw_enc *e, const uint8_t *tx, size_t tx_len)
{
    cw_enc_array(e, 1);
    cw_enc_bin(e, tx, tx_len);
}

cw_bytes cw_rpc_broadcast_params_dec(cw_dec *d, const msgpack_object *o)
{
    const msgpack_object *f = cw_dec_array(d, o, 1, "broadcast_tx params");
    return cw_dec_bin(d, &f[0], CW_RPC_TX_MAX, "broadcast_tx params.tx");
}

void cw_rpc_broadcast_enc(cw_enc *e, const uint8_t hash32[static 32])
{
    cw_enc_bin(e, hash32, 32);
}

void cw_rpc_broadcast_dec(cw_dec *d, const msgpack_object *o, uint8_t hash32[static 32])
{
    cw_dec_bin_fixed(d, o, hash32, 32, "broadcast_tx.hash");
}

void cw_rpc_tx_result_enc(cw_enc *e, const cw_rpc_tx_result *r)
{
    cw_enc_array(e, 6);
    enc_code(e, r->code);
    cw_enc_str(e, (const char *)r->log.p, r->log.len);
    if (r->events)
        cw_enc_object(e, r->events);
    else if (r->events_enc.len)
        cw_enc_raw(e, r->events_enc.p, r->events_enc.len);
    else
        cw_enc_array(e, 0);
    enc_opt_u64(e, r->has_failed_msg, r->failed_msg);
    cw_enc_u64(e, r->gas_wanted);
    cw_enc_u64(e, r->gas_used);
}

void cw_rpc_tx_result_dec(cw_dec *d, const msgpack_object *o, cw_rpc_tx_result *r,
                          const char *what)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 6, "%s", what);
    r->code = dec_code(d, &f[0], CW_DEC_LABEL(what, "code"));
    r->log = cw_dec_str(d, &f[1], CW_RPC_LOG_MAX, "%s.log", what);
    if (d->rc == CW_OK && f[2].type != MSGPACK_OBJECT_ARRAY)
        cw_dec_fail(d, CW_EMALFORMED, "%s.events: not an array", what);
    r->events = d->rc ? NULL : &f[2];
    r->failed_msg = dec_opt_u64(d, &f[3], &r->has_failed_msg, CW_DEC_LABEL(what, "failed_msg"));
    r->gas_wanted = cw_dec_u64(d, &f[4], "%s.gas_wanted", what);
    r->gas_used = cw_dec_u64(d, &f[5], "%s.gas_used", what);
    if (d->rc == CW_OK && r->gas_used > r->gas_wanted)
        cw_dec_fail(d, CW_EINVAL, "%s.gas_used: %llu exceeds gas_wanted %llu", what,
                    (unsigned long long)r->gas_used, (unsigned long long)r->gas_wanted);
}

void cw_rpc_tx_enc(cw_enc *e, const cw_rpc_tx *r)
{
    cw_enc_array(e, 4);
    cw_enc_u64(e, r->height);
    cw_enc_u64(e, r->index);
    cw_enc_bin(e, r->tx.p, r->tx.len);
    cw_rpc_tx_result_enc(e, &r->result);
}

void cw_rpc_tx_dec(cw_dec *d, const msgpack_object *o, cw_rpc_tx *r)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 4, "tx");
    r->height = cw_dec_u64(d, &f[0], "tx.height");
    r->index = cw_dec_u64(d, &f[1], "tx.index");
    r->tx = cw_dec_bin(d, &f[2], CW_RPC_TX_MAX, "tx.tx");
    cw_rpc_tx_result_dec(d, &f[3], &r->result, "tx.result");
}

void cw_rpc_tx_status_enc(cw_enc *e, const cw_rpc_tx_status *r)
{
    if (r->n_types > CW_RPC_TX_TYPES_MAX) {
        if (e->rc == CW_OK)
            e->rc = CW_ETOOBIG;
        return;
    }
    cw_enc_array(e, 8);
    cw_enc_u64(e, r->height);
    cw_enc_u64(e, r->index);
    enc_code(e, r->code);
    cw_enc_str(e, (const char *)r->log.p, r->log.len);
    enc_opt_u64(e, r->has_failed_msg, r->failed_msg);
    cw_enc_array(e, r->n_types);
    for (uint32_t j = 0; j < r->n_types; j++) {
        cw_enc_array(e, 2);
        cw_enc_str(e, (const char *)r->types[j].type.p, r->types[j].type.len);
        cw_enc_u64(e, r->types[j].count);
    }
    cw_enc_u64(e, r->gas_wanted);
    cw_enc_u64(e, r->gas_used);
}

void cw_rpc_tx_status_dec(cw_dec *d, const msgpack_object *o, cw_rpc_tx_status *r)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 8, "tx_status");
    r->height = cw_dec_u64(d, &f[0], "tx_status.height");
    r->index = cw_dec_u64(d, &f[1], "tx_status.index");
    r->code = dec_code(d, &f[2], "tx_status.code");
    r->log = cw_dec_str(d, &f[3], CW_RPC_LOG_MAX, "tx_status.log");
    r->failed_msg = dec_opt_u64(d, &f[4], &r->has_failed_msg, "tx_status.failed_msg");
    uint32_t n;
    const msgpack_object *ev = cw_dec_list(d, &f[5], CW_RPC_TX_TYPES_MAX, &n, "tx_status.events");
    for (uint32_t i = 0; d->rc == CW_OK && i < n; i++) {
        const msgpack_object *tc = cw_dec_array(d, &ev[i], 2, "tx_status.events[%u]", i);
        r->types[i].type = cw_dec_str(d, &tc[0], CW_ID_MAX, "tx_status.events[%u].type", i);
        r->types[i].count = cw_dec_u64(d, &tc[1], "tx_status.events[%u].count", i);
    }
    r->n_types = d->rc ? 0 : n;
    r->gas_wanted = cw_dec_u64(d, &f[6], "tx_status.gas_wanted");
    r->gas_used = cw_dec_u64(d, &f[7], "tx_status.gas_used");
    if (d->rc == CW_OK && r->gas_used > r->gas_wanted)
        cw_dec_fail(d, CW_EINVAL, "tx_status.gas_used: %llu exceeds gas_wanted %llu",
                    (unsigned long long)r->gas_used, (unsigned long long)r->gas_wanted);
}

void cw_rpc_tx_status_count_events(cw_dec *d, const msgpack_object *events, cw_rpc_tx_status *r)
{
    uint32_t nev;
    r->n_types = 0;
    const msgpack_object *evs = cw_dec_list(d, events, CW_EVENTS_MAX, &nev, "result.events");
    for (uint32_t i = 0; i < nev && d->rc == CW_OK; i++) {
        const msgpack_object *ev = cw_dec_array(d, &evs[i], 2, "result.events[%u]", i);
        cw_bytes type = cw_dec_str(d, &ev[0], CW_ID_MAX, "result.events[%u].type", i);
        if (d->rc)
            break;
        uint32_t j = 0;
        while (j < r->n_types && !(r->types[j].type.len == type.len &&
                                   memcmp(r->types[j].type.p, type.p, type.len) == 0))
            j++;
        if (j == r->n_types) {
            if (r->n_types == CW_RPC_TX_TYPES_MAX) {
                cw_dec_fail(d, CW_ETOOBIG, "result.events: more than %u event types",
                            CW_RPC_TX_TYPES_MAX);
                break;
            }
            r->types[r->n_types++] = (cw_rpc_type_count){type, 0};
        }
        r->types[j].count++;
    }
    if (d->rc)
        r->n_types = 0;
}

uint64_t cw_rpc_tx_status_count(const cw_rpc_tx_status *r, const char *type)
{
    size_t tl = strlen(type);
    for (uint32_t i = 0; i < r->n_types && i < CW_RPC_TX_TYPES_MAX; i++)
        if (r->types[i].type.len == tl && memcmp(r->types[i].type.p, type, tl) == 0)
            return r->types[i].count;
    return 0;
}

/* ---- block_results ------------------------------------------------------------------ */

void cw_rpc_block_results_params_enc(cw_enc *e, const cw_rpc_block_results_params *p)
{
    cw_enc_array(e, p->start ? 2 : 1);
    cw_enc_u64(e, p->height);
    if (p->start)
        cw_enc_u64(e, p->start);
}

void cw_rpc_block_results_params_dec(cw_dec *d, const msgpack_object *o,
                                     cw_rpc_block_results_params *p)
{
    memset(p, 0, sizeof *p);
    bool paged = o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 2;
    const msgpack_object *f = cw_dec_array(d, o, paged ? 2 : 1, "block_results params");
    p->height = cw_dec_u64(d, &f[0], "block_results params.height");
    if (paged)
        p->start = (uint32_t)cw_dec_uint_max(d, &f[1], UINT32_MAX, "block_results params.start");
    if (d->rc)
        memset(p, 0, sizeof *p);
}

void cw_rpc_block_results_enc_head(cw_enc *e, uint64_t height, uint32_t start, uint32_t total,
                                   uint32_t n)
{
    if ((uint64_t)start + n > total && e->rc == CW_OK)
        e->rc = CW_EINVAL;
    cw_enc_array(e, 4);
    cw_enc_u64(e, height);
    cw_enc_u64(e, start);
    cw_enc_u64(e, total);
    cw_enc_array(e, n);
}

void cw_rpc_block_results_dec(cw_dec *d, const msgpack_object *o, cw_rpc_block_results *r)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 4, "block_results");
    r->height = cw_dec_u64(d, &f[0], "block_results.height");
    r->start = (uint32_t)cw_dec_uint_max(d, &f[1], UINT32_MAX, "block_results.start");
    r->total = (uint32_t)cw_dec_uint_max(d, &f[2], UINT32_MAX, "block_results.total");
    r->items = cw_dec_list(d, &f[3], UINT32_MAX, &r->n, "block_results.txs");
    if (d->rc == CW_OK && (uint64_t)r->start + r->n > r->total)
        cw_dec_fail(d, CW_EINVAL, "block_results.txs: %u from %u past the block's %u txs",
                    r->n, r->start, r->total);
    if (d->rc) {
        r->n = 0;
        r->items = NULL;
    }
}

void cw_rpc_block_tx_enc(cw_enc *e, const cw_rpc_block_tx *r)
{
    cw_enc_array(e, 3);
    cw_enc_bin(e, r->hash, 32);
    cw_enc_bin(e, r->tx.p, r->tx.len);
    cw_rpc_tx_result_enc(e, &r->result);
}

void cw_rpc_block_tx_dec(cw_dec *d, const msgpack_object *o, cw_rpc_block_tx *r,
                         const char *what)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 3, "%s", what);
    cw_dec_bin_fixed(d, &f[0], r->hash, 32, "%s.hash", what);
    r->tx = cw_dec_bin(d, &f[1], CW_RPC_TX_MAX, "%s.tx", what);
    cw_rpc_tx_result_dec(d, &f[2], &r->result, CW_DEC_LABEL(what, "result"));
}

/* ---- the blocks subscription -------------------------------------------------------- */

void cw_rpc_block_note_enc(cw_enc *e, const cw_rpc_block_note *r)
{
    if (r->txs > r->txs_total && e->rc == CW_OK)
        e->rc = CW_EINVAL;
    cw_enc_array(e, 4);
    cw_header_enc(e, &r->header);
    if (r->events_enc.len)
        cw_enc_raw(e, r->events_enc.p, r->events_enc.len);
    else
        cw_enc_array(e, 0);
    cw_enc_u64(e, r->txs);
    cw_enc_u64(e, r->txs_total);
}

void cw_rpc_block_note_dec(cw_dec *d, const msgpack_object *o, cw_rpc_block_note *r)
{
    uint32_t n;
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 4, "block");
    cw_header_dec(d, &f[0], &r->header, "block.header");
    cw_dec_list(d, &f[1], CW_EVENTS_MAX, &n, "block.events");
    r->txs = (uint32_t)cw_dec_uint_max(d, &f[2], UINT32_MAX, "block.txs");
    r->txs_total = (uint32_t)cw_dec_uint_max(d, &f[3], UINT32_MAX, "block.txs_total");
    if (d->rc == CW_OK && r->txs > r->txs_total)
        cw_dec_fail(d, CW_EINVAL, "block.txs: %u exceeds txs_total %u", r->txs, r->txs_total);
    r->events = d->rc ? NULL : &f[1];
}

/* ---- account ------------------------------------------------------------------------ */

void cw_rpc_account_enc(cw_enc *e, const cw_rpc_account *r)
{
    if (r->n_balances > CW_RPC_DENOMS_MAX) {
        if (e->rc == CW_OK)
            e->rc = CW_ETOOBIG;
        return;
    }
    cw_enc_array(e, 4);
    cw_enc_bin(e, r->address.b, 20);
    cw_enc_u64(e, r->next_nonce);
    cw_enc_u64(e, r->pending_next_nonce);
    cw_enc_array(e, r->n_balances);
    for (uint32_t j = 0; j < r->n_balances; j++) {
        cw_enc_array(e, 2);
        cw_enc_cstr(e, r->balances[j].denom);
        cw_enc_u64(e, r->balances[j].amount);
    }
}

void cw_rpc_account_dec(cw_dec *d, const msgpack_object *o, cw_rpc_account *r)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 4, "account");
    cw_dec_bin_fixed(d, &f[0], r->address.b, 20, "account.address");
    r->next_nonce = cw_dec_u64(d, &f[1], "account.next_nonce");
    r->pending_next_nonce = cw_dec_u64(d, &f[2], "account.pending_next_nonce");
    uint32_t n;
    const msgpack_object *b = cw_dec_list(d, &f[3], CW_RPC_DENOMS_MAX, &n, "account.balances");
    for (uint32_t i = 0; i < n && d->rc == CW_OK; i++) {
        const msgpack_object *p = cw_dec_array(d, &b[i], 2, "account.balances[%u]", i);
        cw_dec_id(d, &p[0], r->balances[i].denom, "account.balances[%u].denom", i);
        r->balances[i].amount = cw_dec_u64(d, &p[1], "account.balances[%u].amount", i);
    }
    r->n_balances = d->rc ? 0 : n;
}

/* ---- packets, packet, ack ------------------------------------------------------------ */

void cw_rpc_packet_enc(cw_enc *e, const uint8_t *bytes, size_t len) { cw_enc_bin(e, bytes, len); }

cw_bytes cw_rpc_packet_dec(cw_dec *d, const msgpack_object *o, const char *what)
{
    return cw_dec_bin(d, o, CW_RPC_PACKET_MAX, "%s", what);
}

void cw_rpc_packets_enc_head(cw_enc *e, uint32_t n) { cw_enc_array(e, n); }

void cw_rpc_packets_item_enc(cw_enc *e, const uint8_t *bytes, size_t len)
{
    if (bytes)
        cw_enc_bin(e, bytes, len);
    else
        cw_enc_nil(e);
}

void cw_rpc_packets_dec(cw_dec *d, const msgpack_object *o, uint32_t max_items,
                        cw_rpc_packets *r)
{
    memset(r, 0, sizeof *r);
    r->items = cw_dec_list(d, o, max_items, &r->n, "packets");
    if (d->rc) {
        r->n = 0;
        r->items = NULL;
    }
}

bool cw_rpc_packets_item(cw_dec *d, const cw_rpc_packets *r, uint32_t i, cw_bytes *out)
{
    *out = (cw_bytes){0};
    if (d->rc || i >= r->n || cw_dec_is_nil(&r->items[i]))
        return false;
    *out = cw_dec_bin(d, &r->items[i], CW_RPC_PACKET_MAX, "packets[%u]", i);
    return d->rc == CW_OK;
}

/* ---- lending ------------------------------------------------------------------------ */

/* lend_account's four totals, in wire order */
static const char *const lend_account_names[4] = {"debt_value", "borrow_limit",
                                                  "liquidation_limit", "health_factor_wad"};
#define LEND_ACCOUNT_FIELDS(r)                                                             \
    {&(r)->debt_value, &(r)->borrow_limit, &(r)->liquidation_limit, &(r)->health_factor_wad}

void cw_rpc_lend_account_enc(cw_enc *e, const cw_rpc_lend_account *r)
{
    const cw_u128 *f[4] = LEND_ACCOUNT_FIELDS(r);
    cw_enc_array(e, 5);
    for (int i = 0; i < 4; i++)
        cw_enc_u128(e, *f[i]);
    if (r->n_markets > CW_LEND_MAX_MARKETS) {
        if (!e->rc)
            e->rc = CW_ETOOBIG;
        return;
    }
    cw_enc_array(e, r->n_markets);
    for (uint32_t i = 0; i < r->n_markets; i++) {
        const cw_rpc_lend_account_market *m = &r->markets[i];
        cw_enc_array(e, 5);
        cw_enc_cstr(e, m->asset);
        cw_enc_u128(e, m->debt);
        cw_enc_u128(e, m->scaled_debt);
        cw_enc_u128(e, m->supply_value);
        cw_enc_u128(e, m->shares);
    }
}

void cw_rpc_lend_account_dec(cw_dec *d, const msgpack_object *o, cw_rpc_lend_account *r)
{
    memset(r, 0, sizeof *r);
    cw_u128 *f[4] = LEND_ACCOUNT_FIELDS(r);
    const msgpack_object *v = cw_dec_array(d, o, 5, "lend_account");
    for (int i = 0; i < 4; i++)
        *f[i] = cw_dec_u128(d, &v[i], "lend_account.%s", lend_account_names[i]);
    uint32_t n = 0;
    const msgpack_object *items =
        cw_dec_list(d, &v[4], CW_LEND_MAX_MARKETS, &n, "lend_account.markets");
    for (uint32_t i = 0; i < n && d->rc == CW_OK; i++) {
        cw_rpc_lend_account_market *m = &r->markets[i];
        const msgpack_object *g = cw_dec_array(d, &items[i], 5, "lend_account.markets[%u]", i);
        cw_dec_id(d, &g[0], m->asset, "lend_account.markets[%u].asset", i);
        m->debt = cw_dec_u128(d, &g[1], "lend_account.markets[%u].debt", i);
        m->scaled_debt = cw_dec_u128(d, &g[2], "lend_account.markets[%u].scaled_debt", i);
        m->supply_value = cw_dec_u128(d, &g[3], "lend_account.markets[%u].supply_value", i);
        m->shares = cw_dec_u128(d, &g[4], "lend_account.markets[%u].shares", i);
    }
    r->n_markets = d->rc == CW_OK ? n : 0;
}

void cw_rpc_lend_market_params_enc(cw_enc *e, const cw_rpc_lend_market_params *p)
{
    cw_enc_array(e, p->has_asset ? 1 : 0);
    if (p->has_asset)
        cw_enc_cstr(e, p->asset);
}

void cw_rpc_lend_market_params_dec(cw_dec *d, const msgpack_object *o,
                                   cw_rpc_lend_market_params *p)
{
    memset(p, 0, sizeof *p);
    if (d->rc)
        return;
    if (o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 0)
        return;
    const msgpack_object *v = cw_dec_array(d, o, 1, "lend_market params");
    cw_dec_id(d, &v[0], p->asset, "lend_market params.asset");
    p->has_asset = d->rc == CW_OK;
}

void cw_rpc_lend_market_enc(cw_enc *e, const cw_rpc_lend_market *r)
{
    cw_enc_array(e, 16);
    cw_enc_cstr(e, r->borrow_denom);
    cw_enc_u128(e, r->borrow_index_wad);
    cw_enc_u128(e, r->total_borrows);
    cw_enc_u64(e, r->cash);
    cw_enc_u128(e, r->reserves);
    cw_enc_u128(e, r->total_shares);
    cw_enc_u64(e, r->paused_actions);
    cw_enc_u128(e, r->bad_debt);
    cw_enc_u128(e, r->total_supply);
    cw_enc_u64(e, r->supply_cap);
    cw_enc_u64(e, r->borrow_cap);
    cw_enc_u128(e, r->utilization_wad);
    cw_enc_u128(e, r->borrow_apr_wad);
    cw_enc_u128(e, r->supply_apr_wad);
    cw_enc_u64(e, r->flash_fee_bps);
    if (r->n_markets > CW_LEND_MAX_MARKETS) {
        if (!e->rc)
            e->rc = CW_ETOOBIG;
        return;
    }
    cw_enc_array(e, r->n_markets);
    for (uint32_t i = 0; i < r->n_markets; i++)
        cw_enc_cstr(e, r->markets[i]);
}

void cw_rpc_lend_market_dec(cw_dec *d, const msgpack_object *o, cw_rpc_lend_market *r)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *v = cw_dec_array(d, o, 16, "lend_market");
    cw_dec_id(d, &v[0], r->borrow_denom, "lend_market.borrow_denom");
    r->borrow_index_wad = cw_dec_u128(d, &v[1], "lend_market.borrow_index");
    r->total_borrows = cw_dec_u128(d, &v[2], "lend_market.total_borrows");
    r->cash = cw_dec_u64(d, &v[3], "lend_market.cash");
    r->reserves = cw_dec_u128(d, &v[4], "lend_market.reserves");
    r->total_shares = cw_dec_u128(d, &v[5], "lend_market.total_shares");
    r->paused_actions = cw_dec_uint_max(d, &v[6], CW_LEND_ACTION_ALL, "lend_market.paused_actions");
    r->bad_debt = cw_dec_u128(d, &v[7], "lend_market.bad_debt");
    r->total_supply = cw_dec_u128(d, &v[8], "lend_market.total_supply");
    r->supply_cap = cw_dec_u64(d, &v[9], "lend_market.supply_cap");
    r->borrow_cap = cw_dec_u64(d, &v[10], "lend_market.borrow_cap");
    r->utilization_wad = cw_dec_u128(d, &v[11], "lend_market.utilization_wad");
    r->borrow_apr_wad = cw_dec_u128(d, &v[12], "lend_market.borrow_apr_wad");
    r->supply_apr_wad = cw_dec_u128(d, &v[13], "lend_market.supply_apr_wad");
    r->flash_fee_bps = (uint32_t)cw_dec_uint_max(d, &v[14], CW_BPS - 1, "lend_market.flash_fee_bps");
    uint32_t n = 0;
    const msgpack_object *items =
        cw_dec_list(d, &v[15], CW_LEND_MAX_MARKETS, &n, "lend_market.markets");
    for (uint32_t i = 0; i < n && d->rc == CW_OK; i++)
        cw_dec_id(d, &items[i], r->markets[i], "lend_market.markets[%u]", i);
    r->n_markets = d->rc == CW_OK ? n : 0;
}

/* ---- the borrower index and liquidation quotes (DESIGN §8 "Keeper") ------------------ */

void cw_rpc_lend_borrowers_params_enc(cw_enc *e, const cw_rpc_lend_borrowers_params *p)
{
    if ((p->limit == 0 || p->limit > CW_RPC_BORROWERS_MAX) && e->rc == CW_OK)
        e->rc = CW_EINVAL;
    cw_enc_array(e, 2);
    if (p->has_start)
        cw_enc_bin(e, p->start_after.b, 20);
    else
        cw_enc_nil(e);
    cw_enc_u64(e, p->limit);
}

void cw_rpc_lend_borrowers_params_dec(cw_dec *d, const msgpack_object *o,
                                      cw_rpc_lend_borrowers_params *p)
{
    memset(p, 0, sizeof *p);
    const msgpack_object *f = cw_dec_array(d, o, 2, "lend_borrowers params");
    if (d->rc == CW_OK && !cw_dec_is_nil(&f[0])) {
        cw_dec_bin_fixed(d, &f[0], p->start_after.b, 20, "lend_borrowers params.start_after");
        p->has_start = true;
    }
    p->limit = (uint32_t)cw_dec_uint_max(d, &f[1], CW_RPC_BORROWERS_MAX,
                                         "lend_borrowers params.limit");
    if (d->rc == CW_OK && p->limit == 0)
        cw_dec_fail(d, CW_EINVAL, "lend_borrowers params.limit: must be at least 1");
}

void cw_rpc_lend_borrowers_enc(cw_enc *e, const cw_rpc_lend_borrowers *r)
{
    if (r->n > CW_RPC_BORROWERS_MAX && e->rc == CW_OK)
        e->rc = CW_ETOOBIG;
    uint32_t n = r->n <= CW_RPC_BORROWERS_MAX ? r->n : 0;
    cw_enc_array(e, 3);
    cw_enc_u64(e, r->height);
    cw_enc_array(e, n);
    for (uint32_t i = 0; i < n; i++)
        cw_enc_bin(e, r->addrs[i].b, 20);
    if (r->has_next)
        cw_enc_bin(e, r->next.b, 20);
    else
        cw_enc_nil(e);
}

void cw_rpc_lend_borrowers_dec(cw_dec *d, const msgpack_object *o, cw_rpc_lend_borrowers *r)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 3, "lend_borrowers");
    r->height = cw_dec_u64(d, &f[0], "lend_borrowers.height");
    uint32_t n = 0;
    const msgpack_object *a =
        cw_dec_list(d, &f[1], CW_RPC_BORROWERS_MAX, &n, "lend_borrowers.addresses");
    for (uint32_t i = 0; d->rc == CW_OK && i < n; i++) {
        cw_dec_bin_fixed(d, &a[i], r->addrs[i].b, 20, "lend_borrowers.addresses[%u]", i);
        if (d->rc == CW_OK && i > 0 && memcmp(r->addrs[i - 1].b, r->addrs[i].b, 20) >= 0)
            cw_dec_fail(d, CW_EMALFORMED, "lend_borrowers.addresses[%u]: not ascending", i);
    }
    r->n = d->rc ? 0 : n;
    if (d->rc == CW_OK && !cw_dec_is_nil(&f[2])) {
        cw_dec_bin_fixed(d, &f[2], r->next.b, 20, "lend_borrowers.next");
        r->has_next = true;
    }
}

void cw_rpc_lend_quote_enc(cw_enc *e, const cw_rpc_lend_quote *r)
{
    if (r->n > CW_RPC_QUOTE_ITEMS_MAX && e->rc == CW_OK)
        e->rc = CW_ETOOBIG;
    uint32_t n = r->n <= CW_RPC_QUOTE_ITEMS_MAX ? r->n : 0;
    cw_enc_array(e, 6);
    cw_enc_bin(e, r->borrower.b, 20);
    cw_enc_u128(e, r->debt_value);
    cw_enc_u128(e, r->health_factor_wad);
    cw_enc_u64(e, r->refusal);
    cw_enc_str(e, r->reason, strnlen(r->reason, sizeof r->reason - 1));
    cw_enc_array(e, n);
    for (uint32_t i = 0; i < n; i++) {
        const cw_liq_option *c = &r->items[i];
        cw_enc_array(e, 9);
        cw_enc_cstr(e, c->asset);
        cw_enc_u128(e, c->debt);
        cw_enc_u128(e, c->asset_price_wad);
        cw_enc_cstr(e, c->trace_denom);
        cw_enc_u64(e, c->position);
        cw_enc_u128(e, c->price_wad);
        cw_enc_u64(e, c->bonus_bps);
        cw_enc_bool(e, c->fresh);
        cw_enc_u128(e, c->max_repay);
    }
}

void cw_rpc_lend_quote_dec(cw_dec *d, const msgpack_object *o, cw_rpc_lend_quote *r)
{
    memset(r, 0, sizeof *r);
    const msgpack_object *f = cw_dec_array(d, o, 6, "lend_quote");
    cw_dec_bin_fixed(d, &f[0], r->borrower.b, 20, "lend_quote.borrower");
    r->debt_value = cw_dec_u128(d, &f[1], "lend_quote.debt_value");
    r->health_factor_wad = cw_dec_u128(d, &f[2], "lend_quote.health_factor_wad");
    r->refusal = (uint32_t)cw_dec_uint_max(d, &f[3], (uint64_t)-CW_ERR_LAST,
                                           "lend_quote.refusal");
    if (d->rc == CW_OK && r->refusal != 0 && r->refusal <= (uint32_t)-CW_ERR_FIRST)
        cw_dec_fail(d, CW_EINVAL, "lend_quote.refusal: %u is not a CW_E* code", r->refusal);
    cw_bytes why = cw_dec_str(d, &f[4], sizeof r->reason - 1, "lend_quote.reason");
    if (d->rc == CW_OK && memchr(why.p, 0, why.len))
        cw_dec_fail(d, CW_EMALFORMED, "lend_quote.reason: contains a NUL byte");
    if (d->rc == CW_OK && why.len)
        memcpy(r->reason, why.p, why.len);
    uint32_t n = 0;
    const msgpack_object *it = cw_dec_list(d, &f[5], CW_RPC_QUOTE_ITEMS_MAX, &n,
                                           "lend_quote.items");
    for (uint32_t i = 0; d->rc == CW_OK && i < n; i++) {
        cw_liq_option *c = &r->items[i];
        const msgpack_object *g = cw_dec_array(d, &it[i], 9, "lend_quote.items[%u]", i);
        cw_dec_id(d, &g[0], c->asset, "lend_quote.items[%u].asset", i);
        c->debt = cw_dec_u128(d, &g[1], "lend_quote.items[%u].debt", i);
        c->asset_price_wad = cw_dec_u128(d, &g[2], "lend_quote.items[%u].asset_price_wad", i);
        cw_bytes t = cw_dec_str(d, &g[3], CW_TRACE_DENOM_LEN,
                                "lend_quote.items[%u].trace_denom", i);
        if (d->rc == CW_OK && !cw_trace_denom_valid((const char *)t.p, t.len))
            cw_dec_fail(d, CW_EINVAL, "lend_quote.items[%u].trace_denom: not a trace denom", i);
        if (d->rc == CW_OK)
            memcpy(c->trace_denom, t.p, t.len);
        c->position = cw_dec_u64(d, &g[4], "lend_quote.items[%u].position", i);
        c->price_wad = cw_dec_u128(d, &g[5], "lend_quote.items[%u].price_wad", i);
        c->bonus_bps = (uint32_t)cw_dec_uint_max(d, &g[6], CW_BPS,
                                                 "lend_quote.items[%u].bonus_bps", i);
        c->fresh = cw_dec_bool(d, &g[7], "lend_quote.items[%u].fresh", i);
        c->max_repay = cw_dec_u128(d, &g[8], "lend_quote.items[%u].max_repay", i);
    }
    r->n = d->rc ? 0 : n;
}
