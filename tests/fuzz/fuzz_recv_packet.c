/* libFuzzer: the IBC packet handlers with arbitrary msg bodies — what any relayer can send.
 * A host with the collateral app and a lending market runs on an in-memory store holding an
 * OPEN collateral channel and an Active client; each input is decoded as one msgpack body
 * and dispatched to ibc.recv_packet, ibc.acknowledgement and ibc.timeout in turn, each in a
 * cache layer. Properties: never a crash or leak; every refusal names its reason; without a
 * valid proof no receive is accepted, and an ack/timeout can only be a no-op that writes
 * nothing (its commitment is absent here). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/collateral.h"
#include "causeway/ibc.h"
#include "causeway/lending.h"
#include "causeway/msgs.h"

static cw_kv_cache *g_store;
static cw_kv g_kv;
static cw_app *g_app;
static cw_ibc *g_ibc;

static void put(const char *key, const cw_enc *e)
{
    if (cw_kv_set_s(&g_kv, key, cw_enc_data(e), cw_enc_len(e)))
        abort();
}

static void setup(void)
{
    cw_pubkey32 admin;
    memset(admin.b, 7, 32);
    if (cw_kv_cache_create(&g_store, NULL) || cw_app_create(&g_app, "beta") ||
        cw_ibc_create(&g_ibc, &admin) || cw_ibc_register_msgs(g_ibc, g_app) ||
        cw_collateral_register(g_ibc, g_app))
        abort();
    g_kv = cw_kv_cache_kv(g_store);
    cw_enc e;
    /* client-0 of chain alpha at height 5 */
    cw_lc_client_state cs;
    if (cw_lc_client_state_default(&cs, "alpha"))
        abort();
    cs.latest_height = 5;
    cw_enc_init(&e);
    cw_lc_client_state_enc(&e, &cs);
    char path[CW_PATH_MAX];
    cw_path_client_state(path, "client-0");
    put(path, &e);
    cw_enc_free(&e);
    cw_ibc_client_store st;
    cw_ibc_client_store_init(&st, &g_kv, "client-0");
    cw_lc_consensus_state cons = {.timestamp_ns = 1000000000000ull};
    memset(cons.state_root, 0x11, 32);
    if (st.store.put(&st, 5, &cons))
        abort();
    /* an OPEN collateral channel-0 to alpha's channel-0 */
    cw_channel_end ce = {.state = CW_CHAN_OPEN, .ordering = CW_ORDER_UNORDERED};
    strcpy(ce.counterparty_port, CW_COLLATERAL_PORT);
    strcpy(ce.counterparty_channel, "channel-0");
    strcpy(ce.client_id, "client-0");
    strcpy(ce.counterparty_client_id, "client-0");
    strcpy(ce.version, CW_COLLATERAL_VERSION);
    cw_enc_init(&e);
    cw_channel_end_enc(&e, &ce);
    cw_path_channel_end(path, CW_COLLATERAL_PORT, "channel-0");
    put(path, &e);
    cw_enc_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {CW_MSG_IBC_RECV_PACKET, CW_MSG_IBC_ACKNOWLEDGEMENT,
                                        CW_MSG_IBC_TIMEOUT, CW_MSG_IBC_TIMEOUT_ON_CLOSE};
    if (!g_store)
        setup();
    cw_dec d;
    const msgpack_object *root;
    if (cw_dec_open(&d, &root, data, size, 1u << 16, NULL, 0) == CW_OK) {
        for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
            cw_kv_cache *layer;
            if (cw_kv_cache_create(&layer, &g_kv))
                abort();
            cw_kv kv = cw_kv_cache_kv(layer);
            cw_events ev;
            cw_events_init(&ev);
            cw_gas_meter gas;
            cw_gas_meter_init(&gas, CW_GAS_BLOCK_DEFAULT);
            cw_exec_ctx ctx = {.app = g_app, .kv = &kv, .gas = &gas, .events = &ev,
                               .chain_id = "beta", .height = 10, .time_ns = 2000000000000ull};
            char err[256] = "";
            int rc = cw_app_dispatch(g_app, &ctx, types[t], root, err, sizeof err);
            /* no proof can verify against a root of 0x11 bytes: nothing is accepted. An ack or
             * timeout for a packet without a commitment is a successful no-op (another
             * relayer won) — and must then write nothing. */
            if (rc == CW_OK && cw_kv_cache_pending(layer) != 0)
                abort();
            if (rc != CW_OK && err[0] == '\0')
                abort();
            if (rc == CW_OK && t == 0)
                abort(); /* a receive always needs a proof */
            cw_events_free(&ev);
            cw_kv_cache_destroy(layer);
        }
    }
    cw_dec_close(&d);
    return 0;
}
