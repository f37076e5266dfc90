/* 07-tendermint differential cases (DESIGN §6a, §12): writes N random verification cases
 * and our verdict for each, for tendermint-rs's verifier to judge the same cases
 * (tests/oracle/tendermint-oracle, a test-only Rust program; never linked into Causeway).
 *
 *   tm_diff --seed S --cases N --out DIR
 *     DIR/cases.jsonl  one case per line: {"name", "trusted", "untrusted",
 *                      "trusting_period_ns", "max_clock_drift_ns", "trust_level", "now"}
 *     DIR/ours.txt     one line per case: "VERDICT Reason" (cw_tm_verify_update)
 *   tendermint-oracle < DIR/cases.jsonl > DIR/theirs.txt; then compare line by line.
 *
 * A case: a trusted block at height 100 (a random set of 1..7 validators, powers 1..100,
 * from a pool of 12 deterministic test keys) and an untrusted block adjacent or skipping
 * (1..20 heights), with a validator set kept, changed in part or replaced, a random choice
 * of commit / nil / absent entries, and with some probability one defect: a flipped
 * signature bit, votes for another chain id or round, a duplicate vote, an outsider's
 * vote, a missing or extra entry, an empty commit, a set that does not hash to the header,
 * a commit for another block, a time not after the trusted one, from the future, an
 * expired trusted state, a non-increasing height, another chain. Exit 0 when written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../tm_testgen.h"

#define POOL 12
static tmg_key g_keys[POOL + 1]; /* the last one is the outsider */
static uint64_t g_rng;

static uint32_t rnd(uint32_t n)
{
    g_rng ^= g_rng << 13, g_rng ^= g_rng >> 7, g_rng ^= g_rng << 17;
    return n ? (uint32_t)(g_rng % n) : 0;
}

/* a set of n distinct keys from the pool, starting at a random offset, random powers */
static void random_set(cw_tm_valset *vs, uint32_t n, uint32_t first)
{
    int64_t powers[POOL];
    if (cw_tm_valset_init(vs, n))
        abort();
    for (uint32_t i = 0; i < n; i++) {
        const tmg_key *k = &g_keys[(first + i) % POOL];
        memcpy(vs->v[i].address, k->addr, 20);
        memcpy(vs->v[i].pubkey, k->pub, 32);
        powers[i] = 1 + rnd(100);
        vs->v[i].power = powers[i];
    }
    if (cw_tm_valset_finish(vs, NULL, 0))
        abort();
}

static void resign(cw_tm_light_block *lb, const char *chain_id)
{
    for (uint32_t i = 0; i < lb->commit.n; i++)
        if (lb->commit.sigs[i].flag != CW_TM_FLAG_ABSENT &&
            tmg_sign(&lb->commit, i, chain_id,
                     tmg_find(g_keys, POOL + 1, lb->commit.sigs[i].validator_address)))
            abort();
}

static json_t *lb_json(const cw_tm_light_block *lb)
{
    char *s;
    size_t n;
    if (cw_tm_light_block_to_json(&s, &n, lb))
        abort();
    json_t *j = json_loadb(s, n, 0, NULL);
    free(s);
    return j;
}

static const char *const DEFECTS[] = {
    "none",          "flip_signature", "vote_chain_id", "vote_round",    "duplicate_vote",
    "outsider_vote", "drop_entry",     "empty_commit",  "valset_power",  "commit_other_block",
    "time_not_after", "from_future",   "expired",       "same_height",   "other_chain",
    "next_valset_power"};
#define N_DEFECTS (sizeof DEFECTS / sizeof DEFECTS[0])

int main(int argc, char **argv)
{
    uint64_t seed = 1, cases = 1000;
    const char *out = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--cases") == 0)
            cases = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
    }
    if (!out) {
        fprintf(stderr, "usage: tm_diff --out DIR [--seed S] [--cases N]\n");
        return 2;
    }
    g_rng = seed * 0x9e3779b97f4a7c15ull + 1;
    for (uint32_t i = 0; i <= POOL; i++)
        if (tmg_key_make(&g_keys[i], 1000 + i))
            abort();
    char path[4096];
    snprintf(path, sizeof path, "%s/cases.jsonl", out);
    FILE *fc = fopen(path, "w");
    snprintf(path, sizeof path, "%s/ours.txt", out);
    FILE *fo = fopen(path, "w");
    if (!fc || !fo)
        return 1;
    const char *chain = "diff-chain";
    const cw_tm_time t0 = {1700000000, 500000000};
    for (uint64_t ci = 0; ci < cases; ci++) {
        cw_tm_valset tv, uv;
        cw_tm_light_block t, u;
        uint32_t tn = 1 + rnd(7), first = rnd(POOL);
        random_set(&tv, tn, first);
        bool adjacent = rnd(2);
        int64_t h = adjacent ? 101 : 102 + rnd(19);
        uint32_t change = rnd(3); /* 0 keep, 1 part, 2 replace */
        if (change == 0 && !adjacent) {
            if (cw_tm_valset_copy(&uv, &tv))
                abort();
        } else {
            random_set(&uv, 1 + rnd(7), change == 2 ? first + 7 : first + rnd(4));
        }
        const char *defect = rnd(3) == 0 ? "none" : DEFECTS[rnd(N_DEFECTS)];
        /* the trusted block announces uv as next when adjacent (else: its own set) */
        if (tmg_light_block(&t, chain, 100, t0, &tv, adjacent ? &uv : &tv, g_keys, POOL,
                            tv.n, NULL))
            abort();
        cw_tm_time ut = {t0.seconds + 5 * (h - 100), (int32_t)rnd(1000000000)};
        if (!strcmp(defect, "time_not_after"))
            ut = rnd(2) ? t0 : (cw_tm_time){t0.seconds - 1, 0};
        if (!strcmp(defect, "from_future"))
            ut.seconds += 7200;
        int64_t uh = !strcmp(defect, "same_height") ? 100 : h;
        const char *uchain = !strcmp(defect, "other_chain") ? "diff-chain-b" : chain;
        if (tmg_light_block(&u, uchain, uh, ut, &uv, &uv, g_keys, POOL, uv.n, NULL))
            abort();
        /* flags: each entry commit, nil or absent */
        for (uint32_t i = 0; i < u.commit.n; i++) {
            uint32_t r = rnd(10);
            cw_tm_commit_sig *s = &u.commit.sigs[i];
            if (r == 0) {
                memset(s, 0, sizeof *s);
                s->flag = CW_TM_FLAG_ABSENT;
            } else if (r == 1) {
                s->flag = CW_TM_FLAG_NIL;
            }
        }
        resign(&u, uchain);
        if (!strcmp(defect, "flip_signature")) {
            uint32_t i = rnd(u.commit.n);
            if (u.commit.sigs[i].has_signature)
                u.commit.sigs[i].signature[rnd(64)] ^= (uint8_t)(1u << rnd(8));
        } else if (!strcmp(defect, "vote_chain_id")) {
            resign(&u, "another-chain");
        } else if (!strcmp(defect, "vote_round")) {
            u.commit.round = 1 + (int32_t)rnd(3);
            if (rnd(2))
                resign(&u, uchain); /* a valid round-n commit */
        } else if (!strcmp(defect, "duplicate_vote") && u.commit.n >= 2) {
            uint32_t i = rnd(u.commit.n - 1);
            if (u.commit.sigs[i].flag == CW_TM_FLAG_COMMIT) {
                u.commit.sigs[i + 1] = u.commit.sigs[i];
                u.commit.sigs[i + 1].timestamp.nanos = (u.commit.sigs[i].timestamp.nanos + 7) %
                                                       1000000000;
                resign(&u, uchain);
            }
        } else if (!strcmp(defect, "outsider_vote")) {
            cw_tm_commit_sig *s = &u.commit.sigs[rnd(u.commit.n)];
            s->flag = CW_TM_FLAG_COMMIT;
            s->has_address = true;
            memcpy(s->validator_address, g_keys[POOL].addr, 20);
            /* (an entry that was absent has time 0: 1970-01-01T00:00:00Z, which tendermint-rs
             * cannot read back — proto3 drops the zero Timestamp and it then finds none) */
            s->timestamp = u.header.time;
            resign(&u, uchain);
        } else if (!strcmp(defect, "drop_entry")) {
            u.commit.n--;
        } else if (!strcmp(defect, "empty_commit")) {
            u.commit.n = 0;
        } else if (!strcmp(defect, "valset_power") ||
                   !strcmp(defect, "next_valset_power")) {
            cw_tm_valset *vs = !strcmp(defect, "valset_power") ? &u.validators
                                                               : &u.next_validators;
            cw_tm_valset c;
            if (cw_tm_valset_init(&c, vs->n))
                abort();
            for (uint32_t i = 0; i < vs->n; i++)
                c.v[i] = vs->v[i], c.v[i].pkey = NULL;
            c.v[rnd(vs->n)].power += 1;
            if (cw_tm_valset_finish(&c, NULL, 0))
                abort();
            cw_tm_valset_free(vs);
            *vs = c;
        } else if (!strcmp(defect, "commit_other_block")) {
            u.commit.block_id.hash.b[rnd(32)] ^= 0x01;
            resign(&u, uchain);
        }
        const char *now = "2023-11-14T22:20:00Z";
        uint64_t period = 14ull * 86400 * 1000000000;
        if (!strcmp(defect, "expired"))
            period = 60ull * 1000000000; /* the trusted time is 399.5 s before now */
        cw_tm_time nowt;
        if (cw_tm_time_parse(&nowt, now, NULL, 0))
            abort();
        /* the verdict of ours on the written JSON (as a user's file would reach us) */
        json_t *tj = lb_json(&t), *uj = lb_json(&u);
        json_t *c = json_pack("{s:s, s:o, s:o, s:I, s:I, s:{s:i, s:i}, s:s}", "name", defect,
                              "trusted", tj, "untrusted", uj, "trusting_period_ns",
                              (json_int_t)period, "max_clock_drift_ns",
                              (json_int_t)(10ull * 1000000000), "trust_level", "numerator", 1,
                              "denominator", 3, "now", now);
        char *line = json_dumps(c, JSON_COMPACT);
        fprintf(fc, "%s\n", line);
        char *us = json_dumps(json_object_get(c, "untrusted"), JSON_COMPACT);
        cw_tm_light_block u2;
        cw_tm_result res = {.verdict = CW_TM_INVALID, .reason = CW_TM_R_MALFORMED};
        if (cw_tm_light_block_from_json(&u2, us, strlen(us), NULL, 0) == CW_OK) {
            cw_tm_trusted tr;
            cw_tm_trusted_of(&tr, &t);
            cw_tm_options opt = {1, 3, period, 10ull * 1000000000};
            (void)cw_tm_verify_update(&res, &tr, &u2, &opt, nowt, NULL, 0);
            cw_tm_light_block_free(&u2);
        }
        fprintf(fo, "%s%s%s\n", cw_tm_verdict_name(res.verdict),
                res.verdict == CW_TM_SUCCESS ? "" : " ",
                res.verdict == CW_TM_SUCCESS ? "" : cw_tm_reason_name(res.reason));
        free(us);
        free(line);
        json_decref(c);
        cw_tm_light_block_free(&t);
        cw_tm_light_block_free(&u);
        cw_tm_valset_free(&tv);
        cw_tm_valset_free(&uv);
    }
    for (uint32_t i = 0; i <= POOL; i++)
        tmg_key_free(&g_keys[i]);
    fclose(fc);
    fclose(fo);
    return 0;
}
