/* libFuzzer: decode a LightBlock, then verify and apply it against a fixed trusted state
 * (height 10, 4 validators from a fixed seed), adjacent or skipping by its height.
 * Invariants checked beyond "no crash, no leak": a decoded block re-encodes to the input
 * bytes (canonical form), and a failed update leaves the client state and store as they
 * were. Seeds: tests/fuzz/corpus/fuzz_lightblock (valid adjacent and skipping blocks). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/lightclient.h"

#define T0 (UINT64_C(1700000000) * 1000000000)
#define NOW (T0 + UINT64_C(3600) * 1000000000)

static const uint8_t SEED[32] = {0xf0};
static cw_validator_set g_set;
static cw_lc_valset *g_trusted;
static cw_lc_client_state g_cs;
static cw_lc_consensus_state g_trusted_cs;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    cw_seckey keys[4];
    if (cw_gen_validator_set(&g_set, keys, SEED, 0, 4, NULL) != CW_OK ||
        cw_lc_valset_create(&g_trusted, &g_set, NULL, 0) != CW_OK ||
        cw_lc_client_state_default(&g_cs, "alpha") != CW_OK)
        abort();
    cw_wipe(keys, sizeof keys);
    g_cs.latest_height = 10;
    g_trusted_cs.timestamp_ns = T0;
    memset(g_trusted_cs.state_root, 0x11, 32);
    memcpy(g_trusted_cs.next_validators_hash, cw_lc_valset_hash(g_trusted), 32);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_light_block lb;
    char err[256];
    if (cw_light_block_decode(&lb, data, size, err, sizeof err) != CW_OK)
        return 0;

    uint8_t *re;
    size_t re_len;
    if (cw_light_block_encode(&re, &re_len, &lb) != CW_OK || re_len != size ||
        memcmp(re, data, size) != 0)
        abort(); /* decode accepted bytes that are not the canonical encoding */
    free(re);

    cw_lc_valset *vals = NULL;
    if (cw_lc_valset_create(&vals, &lb.validator_set, err, sizeof err) == CW_OK) {
        cw_lc_memstore *ms;
        cw_lc_store st;
        cw_lc_update_result res;
        if (cw_lc_memstore_create(&ms) != CW_OK)
            abort();
        cw_lc_memstore_store(&st, ms);
        if (st.put(st.ctx, 10, &g_trusted_cs) != CW_OK)
            abort();
        cw_lc_client_state cs = g_cs;
        int rc = cw_lc_update(&cs, &st, &lb.signed_header, vals, 10, g_trusted, NOW, &res, err,
                              sizeof err);
        if (rc != CW_OK && (memcmp(&cs, &g_cs, sizeof cs) != 0 || cw_lc_memstore_count(ms) != 1))
            abort(); /* a refused update changed state */
        if (rc == CW_OK && cs.latest_height != lb.signed_header.header.height)
            abort();
        cw_lc_memstore_destroy(ms);
        cw_lc_valset_release(vals);
    }
    cw_light_block_free(&lb);
    return 0;
}
