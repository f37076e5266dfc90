/* Parsed validator sets (each BIP-340 key parsed once) and their cache by hash. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lc_internal.h"

int cw_lc_valset_create(cw_lc_valset **out, const cw_validator_set *vs, char *err,
                        size_t err_len)
{
    cw_validator_set tmp = *vs; /* validate fills total_power; vs stays const */
    int rc;

    *out = NULL;
    if ((rc = cw_validator_set_validate(&tmp, err, err_len)) != CW_OK)
        return rc;
    cw_lc_valset *s = malloc(sizeof *s + (size_t)tmp.n * sizeof s->e[0]);
    if (!s)
        return cw_errf(err, err_len, -ENOMEM, "validator_set: out of memory");
    atomic_init(&s->refs, 1);
    s->n = tmp.n;
    s->total_power = tmp.total_power;
    if ((rc = cw_validators_hash(s->hash, vs)) != CW_OK) {
        free(s);
        return cw_errf(err, err_len, rc, "validator_set: cannot hash");
    }
    for (uint32_t i = 0; i < s->n; i++) {
        s->e[i].pubkey = vs->v[i].pubkey;
        s->e[i].power = vs->v[i].power;
        if (cw_pubkey_parse(&s->e[i].parsed, &vs->v[i].pubkey) != CW_OK) {
            free(s);
            return cw_errf(err, err_len, CW_EINVAL,
                           "validator_set[%u].pubkey: not an x-only curve point", i);
        }
    }
    *out = s;
    return CW_OK;
}

cw_lc_valset *cw_lc_valset_retain(cw_lc_valset *vs)
{
    atomic_fetch_add_explicit(&vs->refs, 1, memory_order_relaxed);
    return vs;
}

void cw_lc_valset_release(cw_lc_valset *vs)
{
    if (vs && atomic_fetch_sub_explicit(&vs->refs, 1, memory_order_acq_rel) == 1)
        free(vs);
}

const uint8_t *cw_lc_valset_hash(const cw_lc_valset *vs) { return vs->hash; }
uint32_t cw_lc_valset_size(const cw_lc_valset *vs) { return vs->n; }
uint64_t cw_lc_valset_total_power(const cw_lc_valset *vs) { return vs->total_power; }

/* ---- cache ------------------------------------------------------------------------ */

struct cw_lc_vcache {
    uint32_t cap;
    uint64_t clock, hits, parses;
    struct slot {
        cw_lc_valset *vs; /* NULL = empty; the cache holds one reference */
        uint64_t used;    /* clock value of the last use */
    } *slots;
};

int cw_lc_vcache_create(cw_lc_vcache **out, uint32_t capacity)
{
    *out = NULL;
    if (capacity == 0)
        return CW_EINVAL;
    cw_lc_vcache *c = calloc(1, sizeof *c);
    if (!c || !(c->slots = calloc(capacity, sizeof c->slots[0]))) {
        free(c);
        return -ENOMEM;
    }
    c->cap = capacity;
    *out = c;
    return CW_OK;
}

void cw_lc_vcache_destroy(cw_lc_vcache *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->cap; i++)
        cw_lc_valset_release(c->slots[i].vs);
    free(c->slots);
    free(c);
}

int cw_lc_vcache_get(cw_lc_vcache *c, cw_lc_valset **out, const cw_validator_set *vs,
                     char *err, size_t err_len)
{
    uint8_t h[32];
    uint32_t victim = 0;
    int rc;

    *out = NULL;
    /* An invalid set never reaches the cache: hash only what validates. */
    cw_validator_set tmp = *vs;
    if ((rc = cw_validator_set_validate(&tmp, err, err_len)) != CW_OK)
        return rc;
    if ((rc = cw_validators_hash(h, vs)) != CW_OK)
        return cw_errf(err, err_len, rc, "validator_set: cannot hash");
    c->clock++;
    for (uint32_t i = 0; i < c->cap; i++) {
        struct slot *s = &c->slots[i];
        if (s->vs && memcmp(s->vs->hash, h, 32) == 0) {
            s->used = c->clock;
            c->hits++;
            *out = cw_lc_valset_retain(s->vs);
            return CW_OK;
        }
        if (!s->vs || (c->slots[victim].vs && s->used < c->slots[victim].used))
            victim = i;
    }
    if ((rc = cw_lc_valset_create(out, vs, err, err_len)) != CW_OK)
        return rc;
    c->parses++;
    cw_lc_valset_release(c->slots[victim].vs);
    c->slots[victim].vs = cw_lc_valset_retain(*out);
    c->slots[victim].used = c->clock;
    return CW_OK;
}

void cw_lc_vcache_stats(const cw_lc_vcache *c, uint64_t *hits, uint64_t *parses)
{
    *hits = c->hits;
    *parses = c->parses;
}
