/* In-memory consensus-state store: a sorted array of (height, state). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/lightclient.h"

struct cw_lc_memstore {
    size_t n, cap;
    struct entry {
        uint64_t height;
        cw_lc_consensus_state cs;
    } *e;
};

/* Index of the first entry with height ≥ h (n if none). */
static size_t lower_bound(const cw_lc_memstore *m, uint64_t h)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->e[mid].height < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int ms_get(void *ctx, uint64_t height, cw_lc_consensus_state *out)
{
    cw_lc_memstore *m = ctx;
    size_t i = lower_bound(m, height);
    if (i == m->n || m->e[i].height != height)
        return CW_ENOTFOUND;
    *out = m->e[i].cs;
    return CW_OK;
}

static int ms_put(void *ctx, uint64_t height, const cw_lc_consensus_state *cs)
{
    cw_lc_memstore *m = ctx;
    size_t i = lower_bound(m, height);
    if (i < m->n && m->e[i].height == height) {
        m->e[i].cs = *cs;
        return CW_OK;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct entry *ne = realloc(m->e, cap * sizeof *ne);
        if (!ne)
            return -ENOMEM;
        m->e = ne;
        m->cap = cap;
    }
    memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof m->e[0]);
    m->e[i].height = height;
    m->e[i].cs = *cs;
    m->n++;
    return CW_OK;
}

static int ms_del(void *ctx, uint64_t height)
{
    cw_lc_memstore *m = ctx;
    size_t i = lower_bound(m, height);
    if (i == m->n || m->e[i].height != height)
        return CW_ENOTFOUND;
    memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof m->e[0]);
    m->n--;
    return CW_OK;
}

static int ms_below(void *ctx, uint64_t height, uint64_t *found, cw_lc_consensus_state *out)
{
    cw_lc_memstore *m = ctx;
    size_t i = lower_bound(m, height);
    if (i == 0)
        return CW_ENOTFOUND;
    *found = m->e[i - 1].height;
    *out = m->e[i - 1].cs;
    return CW_OK;
}

static int ms_above(void *ctx, uint64_t height, uint64_t *found, cw_lc_consensus_state *out)
{
    cw_lc_memstore *m = ctx;
    if (height == UINT64_MAX)
        return CW_ENOTFOUND;
    size_t i = lower_bound(m, height + 1);
    if (i == m->n)
        return CW_ENOTFOUND;
    *found = m->e[i].height;
    *out = m->e[i].cs;
    return CW_OK;
}

int cw_lc_memstore_create(cw_lc_memstore **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? CW_OK : -ENOMEM;
}

void cw_lc_memstore_destroy(cw_lc_memstore *m)
{
    if (!m)
        return;
    free(m->e);
    free(m);
}

void cw_lc_memstore_store(cw_lc_store *out, cw_lc_memstore *m)
{
    out->ctx = m;
    out->get = ms_get;
    out->put = ms_put;
    out->del = ms_del;
    out->below = ms_below;
    out->above = ms_above;
}

size_t cw_lc_memstore_count(const cw_lc_memstore *m) { return m->n; }
