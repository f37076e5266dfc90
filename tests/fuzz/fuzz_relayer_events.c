/* libFuzzer: what a chain's RPC node sends the relayer about blocks — a `blocks`
 * notification payload [header, events, txs, txs_total] (rly_on_block; a cut one makes it
 * try block_results, which fails at once here: the chains have no RPC URL) and a
 * block_results-style event list
 * (rly_cache_events). Properties: no crash, leak or unbounded growth whatever the bytes; what is
 * cached is only ever a packet that decoded and matches a configured path direction. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../relayer/relay.h"

static rly_config cfg;
static rly_ctx ctx;
static int ready;

static void setup(void)
{
    cfg.n_chains = 2;
    snprintf(cfg.chains[0].id, sizeof cfg.chains[0].id, "alpha");
    snprintf(cfg.chains[1].id, sizeof cfg.chains[1].id, "beta");
    cfg.n_paths = 1;
    rly_path_cfg *p = &cfg.paths[0];
    snprintf(p->name, sizeof p->name, "p0");
    for (int e = 0; e < 2; e++) {
        snprintf(p->end[e].chain, sizeof p->end[e].chain, "%s", cfg.chains[e].id);
        snprintf(p->end[e].port, sizeof p->end[e].port, "collateral");
        snprintf(p->end[e].channel, sizeof p->end[e].channel, "channel-%d", e);
        p->end[e].chain_ix = e;
    }
    char err[128];
    if (rly_ctx_init(&ctx, &cfg, false, false, err, sizeof err) != CW_OK)
        abort();
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        setup();
    cw_chain_client *c = &ctx.conns[size & 1];
    rly_on_block(&ctx, c, data, size);
    cw_dec d;
    const msgpack_object *root;
    if (cw_dec_open(&d, &root, data, size, 1u << 20, NULL, 0) == CW_OK)
        rly_cache_events(&ctx, c, root, 1);
    cw_dec_close(&d);
    /* every cached entry holds a packet of the configured path */
    for (int dir = 0; dir < 2; dir++) {
        rly_cache *t = &ctx.cache[0][dir];
        for (size_t i = 0; t->e && i < RLY_CACHE_MAX; i++) {
            rly_entry *en = &t->e[i];
            if (!en->pkt)
                continue;
            cw_dec pd;
            cw_packet p;
            if (rly_decode_packet(en, &p, &pd) != CW_OK || p.sequence != en->seq ||
                strcmp(p.source_channel, cfg.paths[0].end[dir].channel) != 0)
                abort();
            cw_dec_close(&pd);
        }
    }
    return 0;
}
