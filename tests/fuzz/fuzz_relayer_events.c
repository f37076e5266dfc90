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
 * table almost never saw). Each input then starts from the state setup() made: after every
 * input the caches are emptied (rly_cache_clear), the noted client updates dropped
 * (n_upd_seen, which rly_note_update reads to skip duplicates) and the chain clients put
 * back whole (height, time, and the reconnect backoff a failed block_results call leaves),
 * so an input's verdict and coverage cannot depend on earlier inputs (nothing else the two
 * entry points write is read by them: the metrics are counters). A client never holds a
 * connection here (no RPC URL; checked), so copying it back frees or leaks nothing. */
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
static cw_chain_client conn0[2]; /* the clients after setup (no connection: cl NULL) */

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
        if (ctx.conns[i].cl)
            abort();
        conn0[i] = ctx.conns[i];
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
        rly_cache_events(&ctx, c, root, 1, 0);
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
    ctx.n_upd_seen = 0;
    for (int i = 0; i < 2; i++) {
        if (ctx.conns[i].cl) /* a connection was made: there is no URL to connect to */
            abort();
        ctx.conns[i] = conn0[i];
    }
    return 0;
}
