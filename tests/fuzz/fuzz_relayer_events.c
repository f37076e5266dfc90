/* libFuzzer: what a chain's RPC node sends the relayer about blocks — a `blocks`
 * notification payload [header, events, txs, txs_total] (rly_on_block; a cut one makes it
 * try block_results, which fails at once here: the chains have no RPC URL) and a
 * block_results-style event list
 * (rly_cache_events). Properties: no crash, leak or unbounded growth whatever the bytes; what is
 * cached is only ever a packet that decoded and matches a configured path direction.
 *
 * Speed and independence. The relayer's packet cache is direct-mapped by sequence
 * (relayer/cache.c, RLY_CACHE_MAX slots per path direction); checking every cached entry
 * after each input meant scanning 2 x 16,384 slots per input (~3,400 exec/s). This harness
 * compiles its own copy of relayer/cache.c (as fuzz_smt_ops does with chain/smt.c: the
 * archive's cache.o is then never linked) with the table cut to FUZZ_CACHE_SLOTS slots, so
 * the check scans 2 x 64 slots and sequences collide (evictions are exercised, which the full
 * table almost never saw). Each input then starts from the state setup() made: the caches are
 * emptied (rly_cache_clear) and the chain clients' height/time put back after every input, so
 * an input's verdict cannot depend on what earlier inputs cached (nothing else the two entry
 * points write is read by them: the metrics are counters). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/log.h"
#include "../../relayer/relay.h"

#define FUZZ_CACHE_SLOTS 64
#undef RLY_CACHE_MAX
#define RLY_CACHE_MAX FUZZ_CACHE_SLOTS
#include "../../relayer/cache.c"

static rly_config cfg;
static rly_ctx ctx;
static int ready;
static uint64_t height0[2], time0[2]; /* the clients' height and time after setup */

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
    /* a cut notification logs a warning per input (its block_results call fails): quiet */
    if (cw_log_set_level("error") != CW_OK)
        abort();
    for (int i = 0; i < 2; i++) {
        height0[i] = ctx.conns[i].height;
        time0[i] = ctx.conns[i].time_ns;
    }
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
    /* back to the state setup() made (see the head comment) */
    for (int dir = 0; dir < 2; dir++)
        rly_cache_clear(&ctx.cache[0][dir]);
    for (int i = 0; i < 2; i++) {
        ctx.conns[i].height = height0[i];
        ctx.conns[i].time_ns = time0[i];
    }
    return 0;
}
