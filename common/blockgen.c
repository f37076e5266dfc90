/* Deterministic test-chain generator: keys from a seed, sets, signed light blocks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/block.h"
#include "causeway/hash.h"

int cw_gen_key(cw_seckey *sk, cw_pubkey32 *pk, const uint8_t seed32[static 32], uint32_t index)
{
    static const char tag[] = "causeway/gen-key";
    uint8_t be[8];
    for (uint32_t attempt = 0;; attempt++) {
        for (int i = 0; i < 4; i++) {
            be[i] = (uint8_t)(index >> (24 - 8 * i));
            be[4 + i] = (uint8_t)(attempt >> (24 - 8 * i));
        }
        cw_bytes parts[3] = {{(const uint8_t *)tag, sizeof tag - 1}, {seed32, 32}, {be, 8}};
        cw_sha256_parts(sk->b, parts, 3);
        if (cw_key_public(pk, sk) == CW_OK)
            return CW_OK;
    }
}

struct keyed {
    cw_validator v;
    cw_seckey sk;
};

static int cmp_keyed(const void *a, const void *b)
{
    return memcmp(((const struct keyed *)a)->v.pubkey.b, ((const struct keyed *)b)->v.pubkey.b,
                  32);
}

int cw_gen_validator_set(cw_validator_set *vs, cw_seckey *keys, const uint8_t seed32[static 32],
                         uint32_t first, uint32_t n, const uint64_t *powers)
{
    struct keyed *k = NULL;
    int rc = CW_EINVAL;

    memset(vs, 0, sizeof *vs);
    if (n == 0 || n > CW_VALSET_MAX)
        return CW_EINVAL;
    k = calloc(n, sizeof *k);
    vs->v = calloc(n, sizeof *vs->v);
    if (!k || !vs->v) {
        rc = -ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = cw_gen_key(&k[i].sk, &k[i].v.pubkey, seed32, first + i)) != CW_OK)
            goto out;
        k[i].v.power = powers ? powers[i] : 10;
    }
    qsort(k, n, sizeof *k, cmp_keyed);
    for (uint32_t i = 0; i < n; i++) {
        vs->v[i] = k[i].v;
        keys[i] = k[i].sk;
    }
    vs->n = n;
    rc = cw_validator_set_validate(vs, NULL, 0);
out:
    if (k) {
        cw_wipe(k, (size_t)n * sizeof *k);
        free(k);
    }
    if (rc) {
        cw_validator_set_free(vs);
        cw_wipe(keys, (size_t)n * sizeof *keys);
    }
    return rc;
}

int cw_gen_light_block(cw_light_block *lb, cw_header *h, const cw_validator_set *vals,
                       const cw_seckey *keys, const cw_validator_set *next_vals,
                       const bool *sign, const uint8_t *aux32, char *err, size_t err_len)
{
    int rc;
    memset(lb, 0, sizeof *lb);
    if ((rc = cw_validators_hash(h->validators_hash, vals)) != CW_OK ||
        (rc = cw_validators_hash(h->next_validators_hash, next_vals)) != CW_OK)
        return cw_errf(err, err_len, rc, "gen: cannot hash a validator set");
    lb->signed_header.header = *h;
    if ((rc = cw_commit_sign(&lb->signed_header.commit, h, vals, keys, sign, aux32, err,
                             err_len)) != CW_OK ||
        (rc = cw_validator_set_copy(&lb->validator_set, vals)) != CW_OK ||
        (rc = cw_validator_set_copy(&lb->next_validator_set, next_vals)) != CW_OK) {
        cw_light_block_free(lb);
        memset(lb, 0, sizeof *lb);
        return rc;
    }
    return CW_OK;
}
