/* 07-tendermint verification (lightclient/tm_*.c) against ../shared/vectors/cometbft:
 *
 *  - kvstore v0_34, v0_37, v0_38 (real CometBFT nodes): the header hashes of heights 1..10
 *    equal their block ids and link through last_block_id; the commit at 10 and block 10's
 *    last_commit (height 9) verify against the genesis validator set; 9 -> 10 verifies as an
 *    adjacent step; and every leaf value of the signed header at 10 and of the validator,
 *    changed in one character, makes it fail (header fields, block id, signature, vote
 *    time, flag, round, validator key, address, power);
 *  - cases.json: every case gets its expected verdict and reason (tendermint-rs 0.41.0);
 *  - time parsing, Merkle root and sign bytes details.
 * Vectors are read at test time; a missing folder skips loudly (fails when CI=true).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "../testutil.h"
#include "causeway/hash.h"
#include "causeway/hex.h"
#include "causeway/tendermint.h"
#include "../tm_testgen.h"

static const char *const versions[] = {"v0_34", "v0_37", "v0_38"};

static json_t *load_json(const char *rel)
{
    json_error_t je;
    json_t *j = json_load_file(cw_test_vector_path(rel), 0, &je);
    if (!j)
        fail_msg("%s: %s", rel, je.text);
    return j;
}

/* a /validators result for height h from a genesis file's validators ("power") */
static char *validators_result(json_t *genesis, int64_t h)
{
    json_t *gv = json_object_get(json_object_get(json_object_get(genesis, "result"), "genesis"),
                                 "validators");
    assert_non_null(gv);
    json_t *arr = json_array(), *v;
    size_t i;
    json_array_foreach(gv, i, v)
    {
        json_array_append_new(arr, json_pack("{s:O, s:O, s:O, s:s}", "address",
                                             json_object_get(v, "address"), "pub_key",
                                             json_object_get(v, "pub_key"), "voting_power",
                                             json_object_get(v, "power"),
                                             "proposer_priority", "0"));
    }
    char hs[24];
    snprintf(hs, sizeof hs, "%lld", (long long)h);
    json_t *res = json_pack("{s:s, s:o, s:I, s:I}", "block_height", hs, "validators", arr,
                            "count", (json_int_t)json_array_size(arr), "total",
                            (json_int_t)json_array_size(arr));
    char *s = json_dumps(res, JSON_COMPACT);
    json_decref(res);
    return s;
}

static void header_of(cw_tm_header *h, json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT), err[256];
    int rc = cw_tm_header_from_json(h, s, strlen(s), err, sizeof err);
    free(s);
    if (rc)
        fail_msg("header: %s", err);
}

static void hex32(uint8_t out[32], json_t *s)
{
    assert_true(json_is_string(s));
    assert_int_equal(cw_hex_decode_exact(out, 32, json_string_value(s), NULL, 0), CW_OK);
}

/* heights 1..10: hash = block_id.hash, and h+1's last_block_id = h's block id */
static void test_kvstore_chain(void **state)
{
    (void)state;
    CW_REQUIRE_VECTORS("cometbft/kvstore");
    for (int vi = 0; vi < 3; vi++) {
        char rel[128];
        snprintf(rel, sizeof rel, "cometbft/kvstore/%s/blockchain_from_1_to_10.json",
                 versions[vi]);
        json_t *root = load_json(rel);
        json_t *metas = json_object_get(json_object_get(root, "result"), "block_metas");
        assert_int_equal(json_array_size(metas), 10);
        uint8_t hashes[11][32];
        cw_tm_header hs[11];
        for (size_t i = 0; i < 10; i++) {
            json_t *m = json_array_get(metas, i);
            cw_tm_header h;
            header_of(&h, json_object_get(m, "header"));
            uint8_t want[32];
            hex32(want, json_object_get(json_object_get(m, "block_id"), "hash"));
            assert_int_equal(cw_tm_header_hash(hashes[h.height], &h), CW_OK);
            assert_memory_equal(hashes[h.height], want, 32);
            hs[h.height] = h;
        }
        for (int h = 2; h <= 10; h++) {
            assert_int_equal(hs[h].last_block_id.hash.len, 32);
            assert_memory_equal(hs[h].last_block_id.hash.b, hashes[h - 1], 32);
        }
        /* height 1 has an empty last_block_id: still encoded as BlockID{2: {}} */
        assert_int_equal(hs[1].last_block_id.hash.len, 0);
        /* one flipped byte in any of a header's fields changes its hash */
        cw_tm_header m = hs[5];
        uint8_t x[32];
        m.app_hash.b[0] ^= 1, m.app_hash.len = m.app_hash.len ? m.app_hash.len : 1;
        assert_int_equal(cw_tm_header_hash(x, &m), CW_OK);
        assert_memory_not_equal(x, hashes[5], 32);
        m = hs[5];
        m.time.nanos ^= 1;
        assert_int_equal(cw_tm_header_hash(x, &m), CW_OK);
        assert_memory_not_equal(x, hashes[5], 32);
        m = hs[5];
        m.chain_id[0] ^= 1;
        assert_int_equal(cw_tm_header_hash(x, &m), CW_OK);
        assert_memory_not_equal(x, hashes[5], 32);
        m = hs[5];
        m.last_block_id.parts_hash.b[31] ^= 1;
        assert_int_equal(cw_tm_header_hash(x, &m), CW_OK);
        assert_memory_not_equal(x, hashes[5], 32);
        json_decref(root);
    }
}

/* The kvstore step 9 -> 10 of one version: trusted = header 9 (from the blockchain file),
 * untrusted = the commit at 10 with the genesis set. Returns the verdict; rc in *rc. */
struct kv {
    json_t *genesis, *commit10, *block10, *chain;
    json_t *genesis_trusted; /* a pristine copy: the mutants change the untrusted side only */
};

static void kv_load(struct kv *kv, const char *ver)
{
    char rel[128];
    snprintf(rel, sizeof rel, "cometbft/kvstore/%s/genesis.json", ver);
    kv->genesis = load_json(rel);
    kv->genesis_trusted = json_deep_copy(kv->genesis);
    snprintf(rel, sizeof rel, "cometbft/kvstore/%s/commit_at_height_10.json", ver);
    kv->commit10 = load_json(rel);
    snprintf(rel, sizeof rel, "cometbft/kvstore/%s/block_at_height_10.json", ver);
    kv->block10 = load_json(rel);
    snprintf(rel, sizeof rel, "cometbft/kvstore/%s/blockchain_from_1_to_10.json", ver);
    kv->chain = load_json(rel);
}

static void kv_free(struct kv *kv)
{
    json_decref(kv->genesis);
    json_decref(kv->genesis_trusted);
    json_decref(kv->commit10);
    json_decref(kv->block10);
    json_decref(kv->chain);
}

static cw_tm_time t_plus(cw_tm_time t, int64_t s)
{
    t.seconds += s;
    return t;
}

/* run 9 -> 10; returns the verdict (INVALID when loading fails) */
static cw_tm_verdict kv_step(struct kv *kv, cw_tm_reason *reason)
{
    char err[320];
    cw_tm_light_block u, t;
    cw_tm_result res;
    char *vals9 = validators_result(kv->genesis_trusted, 9),
         *tvals10 = validators_result(kv->genesis_trusted, 10),
         *vals10 = validators_result(kv->genesis, 10),
         *vals11 = validators_result(kv->genesis, 11);
    char *c10 = json_dumps(kv->commit10, JSON_COMPACT);
    /* trusted: header 9 + block 10's last_commit (which signs 9) */
    json_t *meta9 = json_array_get(
        json_object_get(json_object_get(kv->chain, "result"), "block_metas"), 1);
    json_t *lc = json_object_get(json_object_get(json_object_get(kv->block10, "result"),
                                                 "block"),
                                 "last_commit");
    json_t *c9j = json_pack("{s:{s:{s:O, s:O}}}", "result", "signed_header", "header",
                            json_object_get(meta9, "header"), "commit", lc);
    json_object_set_new(c9j, "jsonrpc", json_string("2.0"));
    char *c9 = json_dumps(c9j, JSON_COMPACT);
    json_decref(c9j);
    cw_tm_verdict v = CW_TM_INVALID;
    *reason = CW_TM_R_MALFORMED;
    int rc = cw_tm_light_block_from_rpc(&t, c9, strlen(c9), vals9, strlen(vals9), tvals10,
                                        strlen(tvals10), err, sizeof err);
    if (rc)
        fail_msg("trusted light block 9: %s", err);
    /* the trusted block itself verifies as a commit (height 9 against genesis) */
    uint8_t hh[32];
    assert_int_equal(cw_tm_header_hash(hh, &t.header), CW_OK);
    assert_memory_equal(hh, t.commit.block_id.hash.b, 32);
    assert_int_equal(cw_tm_verify_commit(&res, &t.validators, t.header.chain_id, 9, &t.commit,
                                         err, sizeof err),
                     CW_OK);
    rc = cw_tm_light_block_from_rpc(&u, c10, strlen(c10), vals10, strlen(vals10), vals11,
                                    strlen(vals11), err, sizeof err);
    if (rc == CW_OK) {
        cw_tm_trusted tr;
        cw_tm_trusted_of(&tr, &t);
        cw_tm_options opt = {1, 3, 14ull * 86400 * 1000000000, 10ull * 1000000000};
        rc = cw_tm_verify_update(&res, &tr, &u, &opt, t_plus(t.header.time, 60), err,
                                 sizeof err);
        v = res.verdict;
        *reason = res.reason;
        if (v == CW_TM_SUCCESS)
            assert_int_equal(rc, CW_OK);
        else
            assert_int_not_equal(rc, CW_OK);
        cw_tm_light_block_free(&u);
    }
    cw_tm_light_block_free(&t);
    free(vals9), free(tvals10), free(vals10), free(vals11), free(c10), free(c9);
    return v;
}

static void test_kvstore_commits(void **state)
{
    (void)state;
    CW_REQUIRE_VECTORS("cometbft/kvstore");
    for (int vi = 0; vi < 3; vi++) {
        struct kv kv;
        kv_load(&kv, versions[vi]);
        /* the commit at 10 against the genesis set, on its own */
        char err[320], *c10 = json_dumps(kv.commit10, JSON_COMPACT),
                       *vals = validators_result(kv.genesis, 10);
        cw_tm_light_block lb;
        cw_tm_result res;
        assert_int_equal(cw_tm_light_block_from_rpc(&lb, c10, strlen(c10), vals, strlen(vals),
                                                    NULL, 0, err, sizeof err),
                         CW_OK);
        uint8_t h[32];
        assert_int_equal(cw_tm_header_hash(h, &lb.header), CW_OK);
        assert_memory_equal(h, lb.commit.block_id.hash.b, 32);
        assert_int_equal(cw_tm_valset_hash(h, &lb.validators), CW_OK);
        assert_memory_equal(h, lb.header.validators_hash.b, 32);
        assert_int_equal(cw_tm_verify_commit(&res, &lb.validators, lb.header.chain_id, 10,
                                             &lb.commit, err, sizeof err),
                         CW_OK);
        assert_int_equal(res.sigs_checked, 1);
        assert_int_equal(res.signed_power, 10);
        /* a flipped signature bit fails */
        lb.commit.sigs[0].signature[7] ^= 0x10;
        assert_int_equal(cw_tm_verify_commit(&res, &lb.validators, lb.header.chain_id, 10,
                                             &lb.commit, err, sizeof err),
                         CW_EBADSIG);
        assert_int_equal(res.reason, CW_TM_R_INVALID_SIGNATURE);
        cw_tm_light_block_free(&lb);
        free(c10), free(vals);

        cw_tm_reason r;
        assert_int_equal(kv_step(&kv, &r), CW_TM_SUCCESS);
        kv_free(&kv);
    }
}

/* change one character of a leaf string (keeping it in its alphabet) or add 1 to an int */
static void mutate_leaf(json_t *parent, const char *key, size_t idx)
{
    json_t *v = key ? json_object_get(parent, key) : json_array_get(parent, idx);
    if (json_is_integer(v)) {
        json_t *n = json_integer(json_integer_value(v) == 2 ? 3 : json_integer_value(v) + 1);
        key ? json_object_set_new(parent, key, n) : json_array_set_new(parent, idx, n);
        return;
    }
    assert_true(json_is_string(v));
    char *s = strdup(json_string_value(v));
    char c = s[0];
    s[0] = c == '9' ? '0' : c == 'F' ? '0' : c == 'Z' ? 'a' : c == 'z' ? '0' : c == '+' ? '/'
           : c == '/' ? '+' : (char)(c + 1);
    json_t *n = json_string(s);
    key ? json_object_set_new(parent, key, n) : json_array_set_new(parent, idx, n);
    free(s);
}

/* every non-empty leaf under obj: mutate it in place, run, restore */
static int mutate_all(struct kv *kv, json_t *obj, const char *path, int *count)
{
    int bad = 0;
    if (json_is_object(obj)) {
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(obj, tmp, k, v)
        {
            char p[256];
            snprintf(p, sizeof p, "%s.%s", path, k);
            if (json_is_object(v) || json_is_array(v)) {
                bad += mutate_all(kv, v, p, count);
                continue;
            }
            if (json_is_string(v) && !json_string_length(v))
                continue;
            json_t *orig = json_deep_copy(v);
            mutate_leaf(obj, k, 0);
            cw_tm_reason r;
            if (kv_step(kv, &r) == CW_TM_SUCCESS) {
                fprintf(stderr, "mutant of %s verified\n", p);
                bad++;
            }
            (*count)++;
            json_object_set_new(obj, k, orig);
        }
    } else if (json_is_array(obj)) {
        for (size_t i = 0; i < json_array_size(obj); i++) {
            char p[256];
            snprintf(p, sizeof p, "%s[%zu]", path, i);
            bad += mutate_all(kv, json_array_get(obj, i), p, count);
        }
    }
    return bad;
}

static void test_kvstore_mutants(void **state)
{
    (void)state;
    CW_REQUIRE_VECTORS("cometbft/kvstore");
    for (int vi = 0; vi < 3; vi++) {
        struct kv kv;
        int count = 0, bad = 0;
        kv_load(&kv, versions[vi]);
        json_t *sh = json_object_get(json_object_get(kv.commit10, "result"), "signed_header");
        bad += mutate_all(&kv, sh, "signed_header", &count);
        json_t *gv = json_object_get(
            json_object_get(json_object_get(kv.genesis, "result"), "genesis"), "validators");
        json_t *v0 = json_array_get(gv, 0);
        json_object_del(v0, "name");
        bad += mutate_all(&kv, v0, "genesis.validators[0]", &count);
        fprintf(stderr, "%s: %d one-character mutants, %d verified\n", versions[vi], count, bad);
        assert_true(count >= 30);
        assert_int_equal(bad, 0);
        kv_free(&kv);
    }
}

/* ---- cases.json ---------------------------------------------------------------------- */

static void test_cases(void **state)
{
    (void)state;
    CW_REQUIRE_VECTORS("cometbft/cases.json");
    json_t *root = load_json("cometbft/cases.json");
    json_t *cases = json_object_get(root, "cases"), *c;
    size_t i;
    int bad = 0;
    assert_int_equal(json_array_size(cases), 30);
    json_array_foreach(cases, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *tr = json_object_get(c, "trusted"), *exp = json_object_get(c, "expected");
        char err[320], *ts = json_dumps(json_object_get(tr, "light_block"), JSON_COMPACT),
                       *us = json_dumps(json_object_get(c, "untrusted"), JSON_COMPACT);
        cw_tm_light_block t, u;
        cw_tm_result res = {.verdict = CW_TM_INVALID, .reason = CW_TM_R_MALFORMED};
        if (cw_tm_light_block_from_json(&t, ts, strlen(ts), err, sizeof err))
            fail_msg("%s: trusted: %s", name, err);
        json_t *tl = json_object_get(tr, "trust_level");
        cw_tm_options opt = {
            (uint64_t)json_integer_value(json_object_get(tl, "numerator")),
            (uint64_t)json_integer_value(json_object_get(tl, "denominator")),
            (uint64_t)json_integer_value(json_object_get(tr, "trusting_period_ns")),
            (uint64_t)json_integer_value(json_object_get(c, "max_clock_drift_ns"))};
        cw_tm_time now;
        assert_int_equal(
            cw_tm_time_parse(&now, json_string_value(json_object_get(c, "now")), NULL, 0),
            CW_OK);
        int rc = cw_tm_light_block_from_json(&u, us, strlen(us), err, sizeof err);
        if (rc == CW_OK) {
            cw_tm_trusted tt;
            cw_tm_trusted_of(&tt, &t);
            rc = cw_tm_verify_update(&res, &tt, &u, &opt, now, err, sizeof err);
            /* the code agrees with the verdict */
            if ((res.verdict == CW_TM_SUCCESS) != (rc == CW_OK) ||
                (res.verdict == CW_TM_NOT_ENOUGH_TRUST) != (rc == CW_ETHRESHOLD))
                bad++, fprintf(stderr, "%s: rc %d for verdict %d\n", name, rc, res.verdict);
            cw_tm_light_block_free(&u);
        }
        const char *ev = json_string_value(json_object_get(exp, "verdict")),
                   *er = json_string_value(json_object_get(exp, "reason"));
        const char *gr = res.verdict == CW_TM_SUCCESS ? "" : cw_tm_reason_name(res.reason);
        if (strcmp(ev, cw_tm_verdict_name(res.verdict)) != 0 || strcmp(er, gr) != 0) {
            fprintf(stderr, "%s: expected %s/%s, got %s/%s (%s)\n", name, ev, er,
                    cw_tm_verdict_name(res.verdict), gr, rc ? err : "");
            bad++;
        }
        cw_tm_light_block_free(&t);
        free(ts), free(us);
    }
    json_decref(root);
    assert_int_equal(bad, 0);
}

/* ---- details ------------------------------------------------------------------------- */

static void test_time(void **state)
{
    (void)state;
    cw_tm_time t;
    char buf[40];
    assert_int_equal(cw_tm_time_parse(&t, "1970-01-01T00:00:00Z", NULL, 0), CW_OK);
    assert_true(t.seconds == 0 && t.nanos == 0);
    assert_int_equal(cw_tm_time_parse(&t, "2024-01-15T10:00:00.123456789Z", NULL, 0), CW_OK);
    assert_true(t.seconds == 1705312800 && t.nanos == 123456789);
    assert_string_equal(cw_tm_time_format(buf, sizeof buf, t), "2024-01-15T10:00:00.123456789Z");
    assert_int_equal(cw_tm_time_parse(&t, "2023-05-17T14:12:53.6Z", NULL, 0), CW_OK);
    assert_int_equal(t.nanos, 600000000);
    assert_string_equal(cw_tm_time_format(buf, sizeof buf, t), "2023-05-17T14:12:53.6Z");
    assert_int_equal(cw_tm_time_parse(&t, "0001-01-01T00:00:00Z", NULL, 0), CW_OK);
    assert_true(t.seconds == -62135596800LL);
    assert_string_equal(cw_tm_time_format(buf, sizeof buf, t), "0001-01-01T00:00:00Z");
    assert_int_equal(cw_tm_time_parse(&t, "2000-02-29T23:59:59.000000001Z", NULL, 0), CW_OK);
    static const char *const bad[] = {
        "2023-05-17T14:12:53.Z",  "2023-05-17T14:12:53.1234567890Z", "2023-05-17T14:12:53",
        "2023-05-17T14:12:53+00:00", "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z",
        "2023-05-17T24:00:00Z",   "2023-05-17T14:12:60Z", "0000-01-01T00:00:00Z",
        "2023-5-17T14:12:53Z",    "2023-05-17 14:12:53Z", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cw_tm_time_parse(&t, bad[i], NULL, 0), CW_EMALFORMED);
}

static void test_merkle(void **state)
{
    (void)state;
    uint8_t out[32], want[32];
    cw_sha256(want, "", 0);
    assert_int_equal(cw_tm_merkle_root(out, NULL, 0), CW_OK);
    assert_memory_equal(out, want, 32);
    /* 3 items: inner(inner(leaf a, leaf b), leaf c) */
    cw_bytes it[3] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"b", 1},
                      {(const uint8_t *)"c", 1}};
    uint8_t la[32], lb[32], lc[32], ab[32], buf[65];
    buf[0] = 0, buf[1] = 'a', cw_sha256(la, buf, 2);
    buf[1] = 'b', cw_sha256(lb, buf, 2);
    buf[1] = 'c', cw_sha256(lc, buf, 2);
    buf[0] = 1, memcpy(buf + 1, la, 32), memcpy(buf + 33, lb, 32), cw_sha256(ab, buf, 65);
    memcpy(buf + 1, ab, 32), memcpy(buf + 33, lc, 32), cw_sha256(want, buf, 65);
    assert_int_equal(cw_tm_merkle_root(out, it, 3), CW_OK);
    assert_memory_equal(out, want, 32);
}

/* an empty set finishes (v is NULL: nothing may be passed to qsort) and hashes to
 * SHA256(""); fuzz_tendermint found the qsort(NULL, 0) under UBSan */
static void test_empty_valset(void **state)
{
    (void)state;
    cw_tm_valset vs;
    uint8_t h[32], want[32];
    assert_int_equal(cw_tm_valset_init(&vs, 0), CW_OK);
    assert_int_equal(cw_tm_valset_finish(&vs, NULL, 0), CW_OK);
    assert_int_equal(cw_tm_valset_hash(h, &vs), CW_OK);
    cw_sha256(want, "", 0);
    assert_memory_equal(h, want, 32);
    assert_int_equal(vs.total_power, 0);
    static const uint8_t addr[20];
    assert_int_equal(cw_tm_valset_find(&vs, addr), -1);
    cw_tm_valset_free(&vs);
}

static void test_sign_bytes(void **state)
{
    (void)state;
    /* CometBFT types/vote_test.go TestVoteSignBytesTestVectors, case 1 shape: precommit,
     * height 1, round 1, zero timestamp is not ours; here: our encoding's structure */
    cw_tm_commit_sig s = {.flag = CW_TM_FLAG_NIL, .has_address = true, .has_signature = true};
    s.timestamp.seconds = 1;
    cw_tm_commit c = {.height = 1, .round = 1, .n = 1, .sigs = &s};
    uint8_t out[CW_TM_SIGN_BYTES_MAX];
    size_t n;
    assert_int_equal(cw_tm_vote_sign_bytes(out, &n, "x", &c, 0), CW_OK);
    static const uint8_t want[] = {0x1b, 0x08, 0x02, 0x11, 1, 0, 0, 0, 0, 0, 0, 0,
                                   0x19, 1, 0, 0, 0, 0, 0, 0, 0, 0x2a, 0x02, 0x08,
                                   0x01, 0x32, 0x01, 'x'};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, n);
    s.flag = CW_TM_FLAG_ABSENT;
    assert_int_equal(cw_tm_vote_sign_bytes(out, &n, "x", &c, 0), CW_EINVAL);
}

/* the loaders refuse what is not the one form, naming the field */
static void test_loader_refusals(void **state)
{
    (void)state;
    CW_REQUIRE_VECTORS("cometbft/cases.json");
    json_t *root = load_json("cometbft/cases.json");
    json_t *lb = json_deep_copy(
        json_object_get(json_object_get(json_array_get(json_object_get(root, "cases"), 0),
                                        "trusted"),
                        "light_block"));
    json_decref(root);
    json_t *hdr = json_object_get(json_object_get(lb, "signed_header"), "header");
    json_t *sig0 = json_array_get(
        json_object_get(json_object_get(json_object_get(lb, "signed_header"), "commit"),
                        "signatures"),
        0);
    json_t *val0 = json_array_get(json_object_get(json_object_get(lb, "validator_set"),
                                                  "validators"),
                                  0);
    struct {
        json_t *obj;
        const char *key;
        json_t *value;
        int rc;
        const char *names;
    } bad[] = {
        /* jansson refuses \u0000 (no JSON_ALLOW_NUL): a chain id cannot hide a NUL */
        {hdr, "chain_id", json_stringn("a\0b", 3), CW_EMALFORMED, "u0000"},
        {hdr, "chain_id", json_string("012345678901234567890123456789012345678901234567890"),
         CW_EMALFORMED, "chain_id"},
        {hdr, "height", json_string("0"), CW_EMALFORMED, "height"},
        {hdr, "height", json_string("01"), CW_EMALFORMED, "height"},
        {hdr, "height", json_string("9223372036854775808"), CW_EMALFORMED, "height"},
        {hdr, "app_hash", json_string("ABC"), CW_EMALFORMED, "app_hash"},
        {hdr, "data_hash", json_string("AB"), CW_EMALFORMED, "data_hash"},
        {hdr, "time", json_string("2024-01-15T10:00:00+01:00"), CW_EMALFORMED, "time"},
        {sig0, "signature", json_string("AAAA"), CW_EMALFORMED, "signature"},
        {sig0, "block_id_flag", json_integer(4), CW_EMALFORMED, "block_id_flag"},
        {val0, "voting_power", json_string("-1"), CW_EMALFORMED, "voting power -1"},
        {val0, "address", json_string("00000000000000000000000000000000000000AA"),
         CW_EMALFORMED, "SHA-256"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *orig = json_deep_copy(json_object_get(bad[i].obj, bad[i].key));
        json_object_set_new(bad[i].obj, bad[i].key, bad[i].value);
        char *s = json_dumps(lb, JSON_COMPACT | JSON_ALLOW_NUL), err[320] = "";
        cw_tm_light_block x;
        int rc = cw_tm_light_block_from_json(&x, s, strlen(s), err, sizeof err);
        if (rc != bad[i].rc || !strstr(err, bad[i].names))
            fail_msg("case %zu (%s): rc %d, err '%s'", i, bad[i].key, rc, err);
        free(s);
        json_object_set_new(bad[i].obj, bad[i].key, orig);
    }
    /* unchanged, it loads */
    char *s = json_dumps(lb, JSON_COMPACT), err[320];
    cw_tm_light_block x;
    assert_int_equal(cw_tm_light_block_from_json(&x, s, strlen(s), err, sizeof err), CW_OK);
    cw_tm_light_block_free(&x);
    free(s);
    /* not JSON; too big */
    assert_int_equal(cw_tm_light_block_from_json(&x, "{", 1, err, sizeof err), CW_EMALFORMED);
    assert_int_equal(cw_tm_light_block_from_json(&x, "{}", CW_TM_JSON_MAX + 1, err, sizeof err),
                     CW_ETOOBIG);
    /* an RPC validators page that is not all of them; another height */
    json_t *c = json_pack("{s:O}", "signed_header", json_object_get(lb, "signed_header"));
    char *cs = json_dumps(c, JSON_COMPACT);
    json_t *v = json_pack("{s:s, s:O, s:s, s:s}", "block_height", "100", "validators",
                          json_object_get(json_object_get(lb, "validator_set"), "validators"),
                          "count", "2", "total", "4");
    char *vs = json_dumps(v, JSON_COMPACT);
    assert_int_equal(cw_tm_light_block_from_rpc(&x, cs, strlen(cs), vs, strlen(vs), NULL, 0,
                                                err, sizeof err),
                     CW_EMALFORMED);
    assert_non_null(strstr(err, "one page"));
    free(vs);
    json_object_set_new(v, "count", json_string("4"));
    json_object_set_new(v, "block_height", json_string("99"));
    vs = json_dumps(v, JSON_COMPACT);
    assert_int_equal(cw_tm_light_block_from_rpc(&x, cs, strlen(cs), vs, strlen(vs), NULL, 0,
                                                err, sizeof err),
                     CW_EINVAL);
    free(vs);
    json_object_set_new(v, "block_height", json_string("100"));
    vs = json_dumps(v, JSON_COMPACT);
    assert_int_equal(cw_tm_light_block_from_rpc(&x, cs, strlen(cs), vs, strlen(vs), NULL, 0,
                                                err, sizeof err),
                     CW_OK);
    assert_false(x.has_next_validators);
    cw_tm_light_block_free(&x);
    free(vs), free(cs);
    json_decref(v), json_decref(c), json_decref(lb);
}

/* what the writer writes, the reader reads back to the same block (and the same JSON) */
static void test_writer_round_trip(void **state)
{
    (void)state;
    tmg_key keys[4];
    cw_tm_valset vs;
    cw_tm_light_block lb, lb2;
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(tmg_key_make(&keys[i], i), 0);
    assert_int_equal(tmg_valset(&vs, keys, 0, 4, NULL), 0);
    assert_int_equal(tmg_light_block(&lb, "rt-1", 7, (cw_tm_time){1700000000, 5000}, &vs, &vs,
                                     keys, 4, 3, NULL),
                     0);
    char *j1, *j2, err[256];
    size_t l1, l2;
    assert_int_equal(cw_tm_light_block_to_json(&j1, &l1, &lb), CW_OK);
    assert_int_equal(cw_tm_light_block_from_json(&lb2, j1, l1, err, sizeof err), CW_OK);
    assert_int_equal(cw_tm_light_block_to_json(&j2, &l2, &lb2), CW_OK);
    assert_int_equal(l1, l2);
    assert_memory_equal(j1, j2, l1);
    assert_memory_equal(&lb.header, &lb2.header, sizeof lb.header);
    assert_memory_equal(lb.validators.hash, lb2.validators.hash, 32);
    cw_tm_result res;
    assert_int_equal(cw_tm_verify_commit(&res, &lb2.validators, "rt-1", 7, &lb2.commit, err,
                                         sizeof err),
                     CW_OK);
    free(j1), free(j2);
    cw_tm_light_block_free(&lb);
    cw_tm_light_block_free(&lb2);
    cw_tm_valset_free(&vs);
    for (uint32_t i = 0; i < 4; i++)
        tmg_key_free(&keys[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),         cmocka_unit_test(test_merkle),
        cmocka_unit_test(test_sign_bytes),   cmocka_unit_test(test_kvstore_chain),
        cmocka_unit_test(test_kvstore_commits), cmocka_unit_test(test_kvstore_mutants),
        cmocka_unit_test(test_cases),          cmocka_unit_test(test_loader_refusals),
        cmocka_unit_test(test_writer_round_trip), cmocka_unit_test(test_empty_valset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
