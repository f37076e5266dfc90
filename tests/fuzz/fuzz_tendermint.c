/* libFuzzer: the 07-tendermint loaders and verifier on untrusted bytes (DESIGN §6a).
 *
 * An input is one of
 *   - a LightBlock JSON (anything not starting with 'T' or 'R'): loaded, written back and
 *     loaded again (the writer and the reader must agree: the second JSON equals the first
 *     written), then verified against a fixed trusted block (height 100, four validators of
 *     powers 40/30/20/10, generated with tests/tm_testgen.h) — adjacent or skipping by its
 *     height, at a fixed now;
 *   - 'R' commit-result JSON '\0' validators-result JSON: loaded as CometBFT RPC answers and
 *     verified likewise (no next set);
 *   - 'T' text: an RFC 3339 time; one that parses must format and parse back to itself.
 * Beyond "no crash, no leak, no UB": the return code agrees with the verdict, and SUCCESS
 * implies more than 2/3 of the untrusted set signed.
 * Seeds (tests/fuzz/corpus/fuzz_tendermint) are written by this target itself:
 *   CW_TM_WRITE_SEEDS=tests/fuzz/corpus/fuzz_tendermint build/fuzz/fuzz_tendermint -runs=0
 * (valid adjacent and skipping blocks, one with nil and absent votes, an RPC pair, a time,
 * and the trusted block itself). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../tm_testgen.h"

#define NKEYS 8
static tmg_key g_keys[NKEYS];
static cw_tm_light_block g_trusted;
static cw_tm_trusted g_tr;
static const cw_tm_options g_opt = {1, 3, 14ull * 86400 * 1000000000, 10ull * 1000000000};
static const cw_tm_time g_t0 = {1705312800, 123456789}, g_now = {1705312800 + 3600, 0};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_seed(const char *dir, const char *name, const char *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        abort();
}

static void seed_block(const char *dir, const char *name, int64_t height, uint32_t first,
                       uint32_t nsign, bool nil)
{
    static const int64_t powers[4] = {40, 30, 20, 10};
    cw_tm_valset vs;
    cw_tm_light_block lb;
    cw_tm_time t = g_t0;
    t.seconds += 10 * (height - 100);
    if (tmg_valset(&vs, g_keys, first, 4, powers) ||
        tmg_light_block(&lb, "fuzz-chain", height, t, &vs, &vs, g_keys, NKEYS, nsign, NULL))
        abort();
    if (nil) { /* the last signer votes nil instead */
        lb.commit.sigs[nsign - 1].flag = CW_TM_FLAG_NIL;
        if (tmg_sign(&lb.commit, nsign - 1, "fuzz-chain",
                     tmg_find(g_keys, NKEYS, lb.validators.v[nsign - 1].address)))
            abort();
    }
    char *js;
    size_t jl;
    if (cw_tm_light_block_to_json(&js, &jl, &lb))
        abort();
    write_seed(dir, name, js, jl);
    if (height == 101 && !nil) { /* the RPC form of the same block */
        json_t *root = json_loads(js, 0, NULL), *vals = json_object_get(root, "validator_set");
        json_t *c = json_pack("{s:O}", "signed_header", json_object_get(root, "signed_header"));
        json_t *v = json_pack("{s:s, s:O, s:s, s:s}", "block_height", "101", "validators",
                              json_object_get(vals, "validators"), "count", "4", "total", "4");
        char *cs = json_dumps(c, JSON_COMPACT), *vstr = json_dumps(v, JSON_COMPACT);
        size_t cl = strlen(cs), vl = strlen(vstr);
        char *buf = malloc(cl + vl + 2);
        buf[0] = 'R';
        memcpy(buf + 1, cs, cl);
        buf[1 + cl] = '\0';
        memcpy(buf + 2 + cl, vstr, vl);
        write_seed(dir, "rpc_adjacent", buf, cl + vl + 2);
        free(buf), free(cs), free(vstr);
        json_decref(c), json_decref(v), json_decref(root);
    }
    free(js);
    cw_tm_light_block_free(&lb);
    cw_tm_valset_free(&vs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const int64_t powers[4] = {40, 30, 20, 10};
    cw_tm_valset vs;
    for (uint32_t i = 0; i < NKEYS; i++)
        if (tmg_key_make(&g_keys[i], i))
            abort();
    if (tmg_valset(&vs, g_keys, 0, 4, powers) ||
        tmg_light_block(&g_trusted, "fuzz-chain", 100, g_t0, &vs, &vs, g_keys, NKEYS, 4, NULL))
        abort();
    cw_tm_valset_free(&vs);
    cw_tm_trusted_of(&g_tr, &g_trusted);
    const char *dir = getenv("CW_TM_WRITE_SEEDS");
    if (dir && *dir) {
        seed_block(dir, "adjacent", 101, 0, 4, false);
        seed_block(dir, "adjacent_nil_absent", 101, 0, 3, true);
        seed_block(dir, "skipping", 110, 0, 3, false);
        seed_block(dir, "skipping_new_set", 110, 2, 4, false);
        write_seed(dir, "time", "T2024-01-15T10:00:00.123456789Z", 31);
        char *js; /* the trusted block itself (verifies as NonIncreasingHeight) */
        size_t jl;
        if (cw_tm_light_block_to_json(&js, &jl, &g_trusted))
            abort();
        write_seed(dir, "trusted_100", js, jl);
        free(js);
    }
    return 0;
}

static void check(int rc, const cw_tm_result *res)
{
    if ((rc == CW_OK) != (res->verdict == CW_TM_SUCCESS) ||
        (rc == CW_ETHRESHOLD) != (res->verdict == CW_TM_NOT_ENOUGH_TRUST))
        abort(); /* the code disagrees with the verdict */
    if (res->verdict == CW_TM_SUCCESS &&
        (unsigned __int128)res->signed_power * 3 <= (unsigned __int128)res->total_power * 2)
        abort(); /* success without 2/3 */
}

static void verify(const cw_tm_light_block *u)
{
    cw_tm_result res;
    char err[256];
    int rc = cw_tm_verify_update(&res, &g_tr, u, &g_opt, g_now, err, sizeof err);
    if (rc == -ENOMEM)
        return;
    check(rc, &res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (size > 1 << 20)
        return 0;
    if (size && data[0] == 'T') {
        char s[64];
        cw_tm_time t, t2;
        if (size - 1 >= sizeof s)
            return 0;
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        if (cw_tm_time_parse(&t, s, err, sizeof err) != CW_OK)
            return 0;
        char f[48];
        if (cw_tm_time_parse(&t2, cw_tm_time_format(f, sizeof f, t), NULL, 0) != CW_OK ||
            cw_tm_time_cmp(t, t2) != 0)
            abort(); /* format and parse disagree */
        return 0;
    }
    cw_tm_light_block lb;
    if (size && data[0] == 'R') {
        const uint8_t *z = memchr(data + 1, 0, size - 1);
        if (!z)
            return 0;
        size_t cl = (size_t)(z - data) - 1;
        if (cw_tm_light_block_from_rpc(&lb, (const char *)data + 1, cl, (const char *)z + 1,
                                       size - cl - 2, NULL, 0, err, sizeof err) != CW_OK)
            return 0;
        verify(&lb);
        cw_tm_light_block_free(&lb);
        return 0;
    }
    if (cw_tm_light_block_from_json(&lb, (const char *)data, size, err, sizeof err) != CW_OK)
        return 0;
    char *j1 = NULL, *j2 = NULL;
    size_t l1, l2;
    cw_tm_light_block lb2;
    if (cw_tm_light_block_to_json(&j1, &l1, &lb) == CW_OK) {
        if (cw_tm_light_block_from_json(&lb2, j1, l1, err, sizeof err) != CW_OK)
            abort(); /* what we wrote does not load */
        if (cw_tm_light_block_to_json(&j2, &l2, &lb2) == CW_OK &&
            (l1 != l2 || memcmp(j1, j2, l1) != 0))
            abort(); /* reading and writing disagree */
        cw_tm_light_block_free(&lb2);
    }
    free(j1), free(j2);
    verify(&lb);
    cw_tm_light_block_free(&lb);
    return 0;
}
