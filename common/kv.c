#include "causeway/kv.h"

#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

static int check_key(size_t key_len)
{
    if (key_len == 0)
        return CW_EINVAL;
    if (key_len > CW_KV_KEY_MAX)
        return CW_ETOOBIG;
    return CW_OK;
}

int cw_kv_get(const cw_kv *kv, const void *key, size_t key_len, const uint8_t **val,
              size_t *val_len)
{
    *val = NULL;
    *val_len = 0;
    int rc = check_key(key_len);
    return rc ? rc : kv->ops->get(kv->ctx, key, key_len, val, val_len);
}

int cw_kv_set(const cw_kv *kv, const void *key, size_t key_len, const void *val, size_t val_len)
{
    int rc = check_key(key_len);
    if (rc)
        return rc;
    if (val_len > CW_KV_VALUE_MAX)
        return CW_ETOOBIG;
    return kv->ops->set(kv->ctx, key, key_len, val, val_len);
}

int cw_kv_del(const cw_kv *kv, const void *key, size_t key_len)
{
    int rc = check_key(key_len);
    return rc ? rc : kv->ops->del(kv->ctx, key, key_len);
}

int cw_kv_get_s(const cw_kv *kv, const char *key, const uint8_t **val, size_t *val_len)
{
    return cw_kv_get(kv, key, strlen(key), val, val_len);
}

int cw_kv_set_s(const cw_kv *kv, const char *key, const void *val, size_t val_len)
{
    return cw_kv_set(kv, key, strlen(key), val, val_len);
}

int cw_kv_del_s(const cw_kv *kv, const char *key) { return cw_kv_del(kv, key, strlen(key)); }

/* ---- cache layer ------------------------------------------------------------------------ */

struct kv_entry {
    size_t key_len, val_len;
    int deleted;
    uint8_t *val; /* points into the same allocation, after the key */
    uint8_t key[];
};

struct cw_kv_cache {
    cw_kv parent;
    int has_parent;
    void *root; /* tsearch tree of struct kv_entry * */
    size_t count;
};

static int entry_cmp(const void *a, const void *b)
{
    const struct kv_entry *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static struct kv_entry *find(const cw_kv_cache *c, const uint8_t *key, size_t key_len)
{
    /* a stack probe for lookups: no allocation on reads */
    _Alignas(struct kv_entry) uint8_t buf[sizeof(struct kv_entry) + CW_KV_KEY_MAX];
    struct kv_entry *probe = (struct kv_entry *)buf;
    probe->key_len = key_len;
    memcpy(probe->key, key, key_len);
    void *hit = tfind(probe, &c->root, entry_cmp);
    return hit ? *(struct kv_entry **)hit : NULL;
}

static int cache_get(void *ctx, const uint8_t *key, size_t key_len, const uint8_t **val,
                     size_t *val_len)
{
    cw_kv_cache *c = ctx;
    struct kv_entry *e = find(c, key, key_len);
    if (e) {
        if (e->deleted)
            return CW_ENOTFOUND;
        *val = e->val;
        *val_len = e->val_len;
        return CW_OK;
    }
    if (!c->has_parent)
        return CW_ENOTFOUND;
    return c->parent.ops->get(c->parent.ctx, key, key_len, val, val_len);
}

static int put(cw_kv_cache *c, const uint8_t *key, size_t key_len, const uint8_t *val,
               size_t val_len, int deleted)
{
    struct kv_entry *e = malloc(sizeof *e + key_len + val_len + 1);
    if (!e)
        return -ENOMEM;
    e->key_len = key_len;
    e->val_len = val_len;
    e->deleted = deleted;
    memcpy(e->key, key, key_len);
    e->val = e->key + key_len;
    if (val_len)
        memcpy(e->val, val, val_len);
    void **slot = tsearch(e, &c->root, entry_cmp);
    if (!slot) {
        free(e);
        return -ENOMEM;
    }
    if (*slot != e) { /* replace the existing entry in place */
        free(*slot);
        *slot = e;
    } else {
        c->count++;
    }
    return CW_OK;
}

static int cache_set(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *val,
                     size_t val_len)
{
    return put(ctx, key, key_len, val, val_len, 0);
}

static int cache_del(void *ctx, const uint8_t *key, size_t key_len)
{
    cw_kv_cache *c = ctx;
    if (!c->has_parent) { /* a standalone store: forget the key outright */
        struct kv_entry *e = find(c, key, key_len);
        if (e) {
            tdelete(e, &c->root, entry_cmp);
            free(e);
            c->count--;
        }
        return CW_OK;
    }
    return put(c, key, key_len, NULL, 0, 1);
}

static const cw_kv_ops cache_ops = {cache_get, cache_set, cache_del};

int cw_kv_cache_create(cw_kv_cache **out, const cw_kv *parent)
{
    cw_kv_cache *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return -ENOMEM;
    if (parent) {
        c->parent = *parent;
        c->has_parent = 1;
    }
    *out = c;
    return CW_OK;
}

cw_kv cw_kv_cache_kv(cw_kv_cache *c) { return (cw_kv){&cache_ops, c}; }

size_t cw_kv_cache_pending(const cw_kv_cache *c) { return c->count; }

/* twalk has no user pointer: collect entries in order into an array first. */
struct collect {
    struct kv_entry **v;
    size_t n;
};
static _Thread_local struct collect *g_collect;

static void collect_fn(const void *node, VISIT which, int depth)
{
    (void)depth;
    if (which == postorder || which == leaf)
        g_collect->v[g_collect->n++] = *(struct kv_entry *const *)node;
}

static int sorted(const cw_kv_cache *c, struct kv_entry ***out)
{
    struct collect col = {NULL, 0};
    *out = NULL;
    if (c->count == 0)
        return CW_OK;
    col.v = malloc(c->count * sizeof *col.v);
    if (!col.v)
        return -ENOMEM;
    struct collect *saved = g_collect;
    g_collect = &col;
    twalk(c->root, collect_fn);
    g_collect = saved;
    *out = col.v;
    return CW_OK;
}

int cw_kv_cache_each(const cw_kv_cache *c,
                     int (*fn)(void *user, const uint8_t *key, size_t key_len,
                               const uint8_t *val, size_t val_len),
                     void *user)
{
    struct kv_entry **v;
    int rc = sorted(c, &v);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->count && rc == 0; i++)
        rc = fn(user, v[i]->key, v[i]->key_len, v[i]->deleted ? NULL : v[i]->val,
                v[i]->val_len);
    free(v);
    return rc;
}

static int apply(void *user, const uint8_t *key, size_t key_len, const uint8_t *val,
                 size_t val_len)
{
    const cw_kv *p = user;
    return val ? p->ops->set(p->ctx, key, key_len, val, val_len)
               : p->ops->del(p->ctx, key, key_len);
}

int cw_kv_cache_commit(cw_kv_cache *c)
{
    if (!c->has_parent)
        return CW_EINVAL;
    int rc = cw_kv_cache_each(c, apply, &c->parent);
    if (rc)
        return rc;
    cw_kv_cache_discard(c);
    return CW_OK;
}

void cw_kv_cache_discard(cw_kv_cache *c)
{
    tdestroy(c->root, free);
    c->root = NULL;
    c->count = 0;
}

void cw_kv_cache_destroy(cw_kv_cache *c)
{
    if (!c)
        return;
    cw_kv_cache_discard(c);
    free(c);
}
