/* Causeway — key/value state access for the chain's modules, with cached layers.
 *
 * Modules (bank, clients, channels, the collateral app, the lending market) read and write
 * state only through a cw_kv. The chain backs the bottom layer with its Merkle store; tests
 * back it with memory. A cw_kv_cache layers pending writes over a parent and either commits
 * them into the parent or drops them — the mechanism behind atomic transactions (a failing
 * tx discards its writes) and ICS-04's rule that an error acknowledgement discards the
 * app's writes (DESIGN §5, §7). Caches nest: block ← tx ← app callback.
 *
 * Keys: 1..CW_KV_KEY_MAX bytes; values: 0..CW_KV_VALUE_MAX bytes (an empty value is a value,
 * distinct from absence).
 * Thread safety: a cw_kv and its caches are used by one thread at a time.
 */
#ifndef CAUSEWAY_KV_H
#define CAUSEWAY_KV_H

#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"

#define CW_KV_KEY_MAX 512
#define CW_KV_VALUE_MAX (16u << 10) /* = the state store's bound (CW_SMT_VALUE_MAX): proofs carrying two
                                        * neighbour values must stay under the ICS-23 proof limit */

/** Operations of a key/value layer.
 *  get: CW_OK with *val and *val_len borrowed (valid until the next write to this layer or any
 *       layer below it); CW_ENOTFOUND when absent; other codes on failure.
 *  set: copies key and value. del: absent keys are fine (CW_OK).
 *  All return CW_OK, CW_ETOOBIG (key/value over the bounds, or key empty: CW_EINVAL),
 *  -ENOMEM, or a store error. */
typedef struct cw_kv_ops {
    int (*get)(void *ctx, const uint8_t *key, size_t key_len, const uint8_t **val,
               size_t *val_len);
    int (*set)(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *val,
               size_t val_len);
    int (*del)(void *ctx, const uint8_t *key, size_t key_len);
} cw_kv_ops;

typedef struct cw_kv {
    const cw_kv_ops *ops;
    void *ctx;
} cw_kv;

/** Convenience wrappers over kv->ops with bound checks done once, here. */
int cw_kv_get(const cw_kv *kv, const void *key, size_t key_len, const uint8_t **val,
              size_t *val_len) CW_NONNULL(1, 2, 4, 5) CW_WARN_UNUSED;
int cw_kv_set(const cw_kv *kv, const void *key, size_t key_len, const void *val,
              size_t val_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;
int cw_kv_del(const cw_kv *kv, const void *key, size_t key_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/* Keys built from strings: cw_kv_get_s(kv, "bank/balances/abc/uatom", ...). */
int cw_kv_get_s(const cw_kv *kv, const char *key, const uint8_t **val, size_t *val_len)
    CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;
int cw_kv_set_s(const cw_kv *kv, const char *key, const void *val, size_t val_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;
int cw_kv_del_s(const cw_kv *kv, const char *key) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** A cache layer: writes stay here until cw_kv_cache_commit copies them into the parent
 *  (in ascending key order, so the parent sees a deterministic sequence).
 *  parent may be NULL: the cache is then a complete in-memory store (commit not allowed).
 *  Allocates per written key (a balanced tree, glibc tsearch). */
typedef struct cw_kv_cache cw_kv_cache;

/** Returns: CW_OK; -ENOMEM. *out is NULL on failure. The parent must outlive the cache. */
int cw_kv_cache_create(cw_kv_cache **out, const cw_kv *parent) CW_NONNULL(1) CW_WARN_UNUSED;

/** The cw_kv view of the cache (reads fall through to the parent for unwritten keys). */
cw_kv cw_kv_cache_kv(cw_kv_cache *c) CW_NONNULL(1);

/** Apply every pending write to the parent, then empty the cache (it stays usable).
 *  Returns: CW_OK; CW_EINVAL no parent; the parent's error (the parent may then hold a
 *  prefix of the writes: callers commit into a layer they can still discard). */
int cw_kv_cache_commit(cw_kv_cache *c) CW_NONNULL(1) CW_WARN_UNUSED;

/** Drop every pending write (the cache stays usable). */
void cw_kv_cache_discard(cw_kv_cache *c) CW_NONNULL(1);

/** Number of pending writes (sets and deletes). */
size_t cw_kv_cache_pending(const cw_kv_cache *c) CW_NONNULL(1);

/** Visit pending writes in ascending key order; val == NULL marks a delete.
 *  Stops early and returns the callback's value when it is non-zero. */
int cw_kv_cache_each(const cw_kv_cache *c,
                     int (*fn)(void *user, const uint8_t *key, size_t key_len,
                               const uint8_t *val, size_t val_len),
                     void *user) CW_NONNULL(1, 2);

/** Free the cache and its pending writes. Accepts NULL. */
void cw_kv_cache_destroy(cw_kv_cache *c);

#endif
