/* Test-side generator of signed CometBFT light blocks (tests, fuzzers, benches only; never
 * linked into a binary). Deterministic Ed25519 TEST keys: key i's seed is
 * SHA-256("causeway tm test key" || be32(i)); anyone can sign with them. Signing is
 * OpenSSL's EVP_DigestSign; hashing and sign bytes are the library's own, so a block made
 * here verifies only if the library agrees with itself — the real-data tests (kvstore,
 * cases.json) pin the library to CometBFT. Header-only; every function is static. */
#ifndef CAUSEWAY_TM_TESTGEN_H
#define CAUSEWAY_TM_TESTGEN_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "causeway/hash.h"
#include "causeway/tendermint.h"

typedef struct tmg_key {
    EVP_PKEY *sk;
    uint8_t pub[32];
    uint8_t addr[20];
} tmg_key;

static inline int tmg_key_make(tmg_key *k, uint32_t i)
{
    uint8_t in[24] = "causeway tm test key", seed[32], a[32];
    size_t n = 32;
    in[20] = (uint8_t)(i >> 24), in[21] = (uint8_t)(i >> 16), in[22] = (uint8_t)(i >> 8),
    in[23] = (uint8_t)i;
    cw_sha256(seed, in, sizeof in);
    memset(k, 0, sizeof *k);
    k->sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    if (!k->sk || EVP_PKEY_get_raw_public_key(k->sk, k->pub, &n) != 1)
        return -ENOMEM;
    cw_sha256(a, k->pub, 32);
    memcpy(k->addr, a, 20);
    return 0;
}

static inline void tmg_key_free(tmg_key *k)
{
    EVP_PKEY_free(k->sk);
    memset(k, 0, sizeof *k);
}

/* a finished set of keys[first .. first+n) with powers[0..n) (NULL: all 10) */
static inline int tmg_valset(cw_tm_valset *vs, const tmg_key *keys, uint32_t first, uint32_t n,
                             const int64_t *powers)
{
    int rc = cw_tm_valset_init(vs, n);
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        memcpy(vs->v[i].address, keys[first + i].addr, 20);
        memcpy(vs->v[i].pubkey, keys[first + i].pub, 32);
        vs->v[i].power = powers ? powers[i] : 10;
    }
    if (rc == 0 && (rc = cw_tm_valset_finish(vs, NULL, 0)))
        cw_tm_valset_free(vs);
    return rc;
}

static inline const tmg_key *tmg_find(const tmg_key *keys, size_t nkeys, const uint8_t addr[20])
{
    for (size_t i = 0; i < nkeys; i++)
        if (memcmp(keys[i].addr, addr, 20) == 0)
            return &keys[i];
    return NULL;
}

/* Sign commit entry idx with key k. */
static inline int tmg_sign(cw_tm_commit *c, uint32_t idx, const char *chain_id, const tmg_key *k)
{
    uint8_t sb[CW_TM_SIGN_BYTES_MAX];
    size_t sb_len, sig_len = 64;
    if (cw_tm_vote_sign_bytes(sb, &sb_len, chain_id, c, idx))
        return -EINVAL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->sk) == 1 &&
             EVP_DigestSign(ctx, c->sigs[idx].signature, &sig_len, sb, sb_len) == 1;
    EVP_MD_CTX_free(ctx);
    c->sigs[idx].has_signature = ok;
    return ok ? 0 : -ENOMEM;
}

/* Fill a header's fixed fields and its set hashes; then the commit for it: the first nsign
 * validators of vals (set order) vote for the block (timestamps time + 1 ms, + 2 ms, ...),
 * the rest are absent. lb takes copies of vals and next. app_hash: 32 bytes or NULL. */
static inline int tmg_light_block(cw_tm_light_block *lb, const char *chain_id, int64_t height,
                                  cw_tm_time time, const cw_tm_valset *vals,
                                  const cw_tm_valset *next, const tmg_key *keys, size_t nkeys,
                                  uint32_t nsign, const uint8_t *app_hash)
{
    cw_tm_header *h = &lb->header;
    int rc;
    memset(lb, 0, sizeof *lb);
    if ((rc = cw_tm_valset_copy(&lb->validators, vals)) ||
        (rc = cw_tm_valset_copy(&lb->next_validators, next)))
        goto fail;
    lb->has_next_validators = true;
    h->version_block = 11, h->version_app = 1;
    strncpy(h->chain_id, chain_id, CW_TM_CHAIN_ID_MAX);
    h->height = height;
    h->time = time;
    h->last_block_id.hash.len = h->last_block_id.parts_hash.len = 32;
    cw_sha256(h->last_block_id.hash.b, &height, sizeof height);
    memset(h->last_block_id.parts_hash.b, 0x5a, 32);
    h->last_block_id.parts_total = 1;
    cw_tm_bytes *empties[] = {&h->data_hash, &h->last_results_hash, &h->evidence_hash};
    for (int i = 0; i < 3; i++)
        empties[i]->len = 32, cw_sha256(empties[i]->b, "", 0);
    h->last_commit_hash.len = h->consensus_hash.len = h->app_hash.len = 32;
    memset(h->last_commit_hash.b, 0x1c, 32);
    memset(h->consensus_hash.b, 0xc0, 32);
    if (app_hash)
        memcpy(h->app_hash.b, app_hash, 32);
    else
        memset(h->app_hash.b, 0xaa, 32);
    h->validators_hash.len = h->next_validators_hash.len = 32;
    if ((rc = cw_tm_valset_hash(h->validators_hash.b, vals)) ||
        (rc = cw_tm_valset_hash(h->next_validators_hash.b, next)))
        goto fail;
    h->proposer_address.len = 20;
    memcpy(h->proposer_address.b, vals->v[0].address, 20);

    cw_tm_commit *c = &lb->commit;
    c->height = height;
    c->block_id.hash.len = c->block_id.parts_hash.len = 32;
    c->block_id.parts_total = 1;
    memset(c->block_id.parts_hash.b, 0x9a, 32);
    if ((rc = cw_tm_header_hash(c->block_id.hash.b, h)))
        goto fail;
    if (vals->n && !(c->sigs = calloc(vals->n, sizeof *c->sigs))) {
        rc = -ENOMEM;
        goto fail;
    }
    c->n = vals->n;
    for (uint32_t i = 0; i < vals->n; i++) {
        cw_tm_commit_sig *s = &c->sigs[i];
        if (i >= nsign) {
            s->flag = CW_TM_FLAG_ABSENT;
            continue;
        }
        const tmg_key *k = tmg_find(keys, nkeys, vals->v[i].address);
        s->flag = CW_TM_FLAG_COMMIT;
        s->has_address = true;
        memcpy(s->validator_address, vals->v[i].address, 20);
        s->timestamp = time;
        s->timestamp.nanos = (int32_t)((time.nanos + 1000000 * (int64_t)(i + 1)) % 1000000000);
        if (!k || (rc = tmg_sign(c, i, chain_id, k))) {
            rc = rc ? rc : -EINVAL;
            goto fail;
        }
    }
    return 0;
fail:
    cw_tm_light_block_free(lb);
    return rc;
}

#endif
