/* libFuzzer: every RPC result and params decoder (common/rpc_results.c).
 * Input: one selector byte (which decoder, modulo their count), then the msgpack object.
 * Properties checked on every input:
 *   - never crashes, leaks or over-allocates (ASan/UBSan, -rss_limit_mb);
 *   - an object a decoder accepts re-encodes with the matching encoder to exactly the input
 *     bytes (one definition per shape: what a client accepts is what the chain writes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/rpc_results.h"

static void same(const cw_enc *e, const uint8_t *buf, size_t len)
{
    if (e->rc != CW_OK || cw_enc_len(e) != len || memcmp(cw_enc_data(e), buf, len) != 0)
        abort();
}

static cw_rpc_query_many_params qmp;
static cw_rpc_tx_status txs;
static cw_rpc_account acc;
static uint64_t seqs[CW_RPC_LIST_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t sel = data[0];
    const uint8_t *buf = data + 1;
    size_t len = size - 1;
    cw_dec d;
    const msgpack_object *o;
    if (cw_dec_open(&d, &o, buf, len, CW_CODEC_MAX_INPUT, NULL, 0) != CW_OK) {
        cw_dec_close(&d);
        return 0;
    }
    cw_enc e;
    cw_enc_init(&e);
    switch (sel % 18) {
    case 0: {
        cw_rpc_status r;
        cw_rpc_status_dec(&d, o, &r);
        if (!d.rc)
            cw_rpc_status_enc(&e, &r);
        break;
    }
    case 1: {
        cw_rpc_query r;
        cw_rpc_query_dec(&d, o, &r);
        if (!d.rc)
            cw_rpc_query_enc(&e, &r);
        break;
    }
    case 2: {
        cw_rpc_query_params r;
        cw_rpc_query_params_dec(&d, o, &r);
        if (!d.rc)
            cw_rpc_query_params_enc(&e, &r);
        break;
    }
    case 3:
        cw_rpc_query_many_params_dec(&d, o, &qmp);
        if (!d.rc)
            cw_rpc_query_many_params_enc(&e, &qmp);
        break;
    case 4: {
        cw_rpc_tx r;
        cw_rpc_tx_dec(&d, o, &r);
        if (!d.rc)
            cw_rpc_tx_enc(&e, &r);
        break;
    }
    case 5:
        cw_rpc_tx_status_dec(&d, o, &txs);
        if (!d.rc)
            cw_rpc_tx_status_enc(&e, &txs);
        break;
    case 6:
        cw_rpc_account_dec(&d, o, &acc);
        if (!d.rc)
            cw_rpc_account_enc(&e, &acc);
        break;
    case 7: {
        cw_rpc_lend_account r;
        cw_rpc_lend_account_dec(&d, o, &r);
        if (!d.rc)
            cw_rpc_lend_account_enc(&e, &r);
        break;
    }
    case 8: {
        cw_rpc_lend_market r;
        cw_rpc_lend_market_dec(&d, o, &r);
        if (!d.rc)
            cw_rpc_lend_market_enc(&e, &r);
        break;
    }
    case 9: {
        cw_rpc_block_results r;
        cw_rpc_block_results_dec(&d, o, &r);
        if (!d.rc)
            cw_rpc_block_results_enc_head(&e, r.height, r.start, r.total, r.n);
        for (uint32_t i = 0; !d.rc && i < r.n; i++) {
            cw_rpc_block_tx t;
            cw_rpc_block_tx_dec(&d, &r.items[i], &t, "tx");
            if (!d.rc)
                cw_rpc_block_tx_enc(&e, &t);
        }
        break;
    }
    case 10: {
        cw_rpc_query_many r;
        cw_rpc_query_many_dec(&d, o, CW_RPC_BATCH_MAX, &r);
        if (!d.rc)
            cw_rpc_query_many_enc_head(&e, r.height, r.n);
        for (uint32_t i = 0; !d.rc && i < r.n; i++) {
            cw_rpc_qitem it;
            cw_rpc_qitem_dec(&d, &r.items[i], &it, "item");
            if (!d.rc)
                cw_rpc_qitem_enc(&e, &it);
        }
        break;
    }
    case 11: {
        cw_rpc_packets r;
        cw_rpc_packets_dec(&d, o, CW_RPC_BATCH_MAX, &r);
        if (!d.rc)
            cw_rpc_packets_enc_head(&e, r.n);
        for (uint32_t i = 0; !d.rc && i < r.n; i++) {
            cw_bytes b;
            bool present = cw_rpc_packets_item(&d, &r, i, &b);
            if (!d.rc)
                cw_rpc_packets_item_enc(&e, present ? b.p : NULL, b.len);
        }
        break;
    }
    case 12: {
        cw_rpc_chan_params p;
        uint32_t n;
        cw_rpc_seqs_params_dec(&d, o, &p, seqs, CW_RPC_LIST_MAX, &n, "seqs");
        if (!d.rc)
            cw_rpc_seqs_params_enc(&e, p.port, p.channel, seqs, n);
        break;
    }
    case 13: { /* [port, channel(, seq)]; packet_commitments' [port, channel(, start, limit)];
                * lend_market's [] or [asset] */
        cw_rpc_chan_params p;
        cw_rpc_commitments_params cp;
        uint32_t arity = o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size : 0;
        if (arity <= 1) {
            cw_rpc_lend_market_params mp;
            cw_rpc_lend_market_params_dec(&d, o, &mp);
            if (!d.rc)
                cw_rpc_lend_market_params_enc(&e, &mp);
            break;
        }
        if (arity == 4) {
            cw_rpc_commitments_params_dec(&d, o, &cp);
            if (!d.rc)
                cw_rpc_commitments_params_enc(&e, &cp);
            break;
        }
        cw_rpc_chan_params_dec(&d, o, &p, arity == 3, "chan");
        if (!d.rc)
            cw_rpc_chan_params_enc(&e, &p, arity == 3);
        if (!d.rc && arity == 2) { /* the same bytes are packet_commitments' two-field form */
            same(&e, buf, len);
            cw_enc_free(&e);
            cw_enc_init(&e);
            cw_rpc_commitments_params_dec(&d, o, &cp);
            if (d.rc || cp.start || cp.limit)
                abort();
            cw_rpc_commitments_params_enc(&e, &cp);
        }
        break;
    }
    case 15: {
        static cw_rpc_lend_borrowers r;
        cw_rpc_lend_borrowers_dec(&d, o, &r);
        if (!d.rc)
            cw_rpc_lend_borrowers_enc(&e, &r);
        break;
    }
    case 16: {
        cw_rpc_lend_borrowers_params r;
        cw_rpc_lend_borrowers_params_dec(&d, o, &r);
        if (!d.rc)
            cw_rpc_lend_borrowers_params_enc(&e, &r);
        break;
    }
    case 17: {
        static cw_rpc_lend_quote r;
        cw_rpc_lend_quote_dec(&d, o, &r);
        if (!d.rc)
            cw_rpc_lend_quote_enc(&e, &r);
        break;
    }
    default: {
        uint32_t n;
        cw_rpc_seqs_dec(&d, o, seqs, CW_RPC_LIST_MAX, &n, "seqs");
        if (!d.rc)
            cw_rpc_seqs_enc(&e, seqs, n);
        break;
    }
    }
    if (!d.rc)
        same(&e, buf, len);
    cw_enc_free(&e);
    cw_dec_close(&d);
    return 0;
}
