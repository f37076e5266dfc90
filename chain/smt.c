/* Causeway — versioned sparse Merkle tree on LMDB with ICS-23 SMT proofs.
 * See include/causeway/smt.h for the model, the storage layout and why pruning is safe. */
#include "causeway/smt.h"

#include "causeway/codec.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/hash.h"
#include "causeway/ics23.h"
#include "ics23.pb-c.h"

/* ---- layout ------------------------------------------------------------------------- */

enum { K_EMPTY = 0, K_INNER = 1, K_LEAF = 2 };

#define REF_LEN 40          /* be64 version || hash32: node key and child pointer */
#define INNER_LEN 81        /* flags byte + two refs */
#define LEAF_HDR 35         /* 0x00, be16 key_len, path32 */
#define ROOT_LEN 41         /* kind byte + ref */
#define ORPHAN_CHUNK 1024u  /* refs per orphan record */
#define MAX_DEPTH 256
#define SMT_FORMAT 3        /* 3: smt_flat keyed by the key itself (2: by SHA256(key)) */
#define FLAT_RAW_MAX 480u   /* keys up to this long index as 0x00 || key; longer: 0x01 || path */
/* Tests and fuzzers include this file with smaller values to exercise eviction and the
 * uncached paths. */
#ifndef CACHE_SLOTS_LOG2
#define CACHE_SLOTS_LOG2 19 /* node cache: 2^19 slots of 128 bytes = 64 MiB */
#endif
#ifndef CACHE_DEPTH
#define CACHE_DEPTH 17 /* cache inner nodes above this depth (2^17 of them) */
#endif
#define CACHE_STRIPES 256

/* inner node flag bits (byte 0; bit 0 is always set for an inner node) */
#define F_INNER 0x01
#define F_L_LEAF 0x02
#define F_R_LEAF 0x04
#define F_L_EMPTY 0x08
#define F_R_EMPTY 0x10

_Static_assert(CW_SMT_KEY_MAX <= 0xffff, "key length is stored as be16");
_Static_assert(CW_SMT_KEY_MAX <= CW_ICS23_KEY_MAX, "keys must be provable");
_Static_assert(CW_SMT_VALUE_MAX <= CW_ICS23_VALUE_MAX, "values must be provable");
/* Worst-case non-membership proof: two neighbours, each key + value + 256 inner ops of at
 * most 40 encoded bytes + leaf op and framing (64 bytes). */
_Static_assert(2u * (CW_SMT_KEY_MAX + CW_SMT_VALUE_MAX + 256u * 40u + 64u) + CW_SMT_KEY_MAX +
                       16u <=
                   CW_ICS23_PROOF_MAX,
               "every proof must fit the verifier's bound");

typedef struct ref {
    uint64_t ver;
    uint8_t hash[32];
    uint8_t kind;
} ref;


/* ---- batch --------------------------------------------------------------------------- */

typedef struct bentry {
    uint8_t path[32];
    uint8_t *key;   /* owned block: key bytes then value bytes */
    uint8_t *value; /* into the key block; NULL means delete */
    uint32_t key_len, value_len;
    int32_t prev; /* previous entry of the same key, -1 if none */
} bentry;

typedef struct bslot {
    int32_t first; /* -1 empty, -2 tombstone, else the key's first entry */
    int32_t cur;   /* the key's latest entry */
} bslot;

/* The node cache: a direct-mapped table of inner-node records keyed by their full ref.
 * A ref's record never changes (records are immutable; a ref re-created by a commit is
 * re-created with the same content, since a node's hash fixes its subtree and the refs it
 * reuses are fixed by the previous version), so an entry is valid for every reader at
 * every version, and stale entries (pruned nodes) are merely never asked for. Guarded by
 * striped mutexes: readers on several threads share it. */
typedef struct cslot {
    uint64_t ver;
    uint8_t hash[32];
    uint8_t rec[INNER_LEN];
    uint8_t valid;
} cslot;

typedef struct ncache {
    pthread_mutex_t mu[CACHE_STRIPES];
    cslot slot[(size_t)1 << CACHE_SLOTS_LOG2];
} ncache;

struct cw_smt {
    MDB_env *env;
    ncache *cache;
    MDB_dbi nodes, roots, orphans, meta, flat;
    uint64_t state_versions;
    bentry *ents;
    size_t n_ents, cap_ents;
    bslot *slots;
    size_t n_slots, used_slots; /* n_slots a power of two; used counts tombstones too */
    cw_smt_stats st;
};

/* ---- small helpers -------------------------------------------------------------------- */


static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int bit_at(const uint8_t path[32], unsigned depth)
{
    return (path[depth >> 3] >> (7 - (depth & 7))) & 1;
}

static void ref_encode(uint8_t out[REF_LEN], const ref *r)
{
    cw_be64_put(out, r->ver);
    memcpy(out + 8, r->hash, 32);
}

static void ref_decode(ref *r, const uint8_t in[REF_LEN], uint8_t kind)
{
    r->ver = cw_be64_get(in);
    memcpy(r->hash, in + 8, 32);
    r->kind = kind;
}

static bool ref_eq(const ref *a, const ref *b)
{
    return a->kind == b->kind && a->ver == b->ver && memcmp(a->hash, b->hash, 32) == 0;
}

static ref ref_empty(void)
{
    ref r;
    memset(&r, 0, sizeof r);
    r.kind = K_EMPTY;
    return r;
}

/* LMDB codes sit inside the CW range: map them (cw_lmdb_error, header "Errors"). */
static int mdb_err(int rc, char *err, size_t err_len, const char *what)
{
    return cw_errf(err, err_len, cw_lmdb_error(rc), "smt: %s: %s", what, mdb_strerror(rc));
}

static int check_key(const uint8_t *key, size_t key_len, char *err, size_t err_len)
{
    if (!key || key_len == 0)
        return cw_errf(err, err_len, CW_EINVAL, "smt: key: empty");
    if (key_len > CW_SMT_KEY_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "smt: key: %zu bytes exceeds %u", key_len,
                       CW_SMT_KEY_MAX);
    return CW_OK;
}

void cw_smt_leaf_hash(uint8_t leaf32[static 32], const uint8_t *key, size_t key_len,
                      const uint8_t *value, size_t value_len)
{
    uint8_t kh[32], vh[32];
    static const uint8_t pfx = 0x00;
    cw_sha256(kh, key, key_len);
    cw_sha256(vh, value, value_len);
    cw_bytes parts[3] = {{&pfx, 1}, {kh, 32}, {vh, 32}};
    cw_sha256_parts(leaf32, parts, 3);
}

static void leaf_hash_path(uint8_t out[32], const uint8_t path[32], const uint8_t *value,
                           size_t value_len)
{
    uint8_t vh[32];
    static const uint8_t pfx = 0x00;
    cw_sha256(vh, value, value_len);
    cw_bytes parts[3] = {{&pfx, 1}, {path, 32}, {vh, 32}};
    cw_sha256_parts(out, parts, 3);
}

void cw_smt_inner_hash(uint8_t inner32[static 32], const uint8_t left32[static 32],
                       const uint8_t right32[static 32])
{
    static const uint8_t pfx = 0x01;
    cw_bytes parts[3] = {{&pfx, 1}, {left32, 32}, {right32, 32}};
    cw_sha256_parts(inner32, parts, 3);
}

/* ---- node records --------------------------------------------------------------------- */

typedef struct leafrec {
    const uint8_t *path; /* 32 bytes */
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value;
    size_t value_len;
} leafrec;

static int node_get(const cw_smt *smt, MDB_txn *txn, const ref *r, MDB_val *out, char *err,
                    size_t err_len)
{
    uint8_t k[REF_LEN];
    ref_encode(k, r);
    MDB_val key = {REF_LEN, k};
    int rc = mdb_get(txn, smt->nodes, &key, out);
    if (rc == MDB_NOTFOUND)
        return cw_errf(err, err_len, -EIO, "smt: missing node v%llu/%02x%02x%02x%02x",
                       (unsigned long long)r->ver, r->hash[0], r->hash[1], r->hash[2],
                       r->hash[3]);
    if (rc != 0)
        return mdb_err(rc, err, err_len, "mdb_get node");
    return CW_OK;
}

static int parse_inner(const MDB_val *v, ref *l, ref *r, char *err, size_t err_len)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size != INNER_LEN || !(p[0] & F_INNER))
        return cw_errf(err, err_len, -EIO, "smt: corrupt inner node");
    ref_decode(l, p + 1, (p[0] & F_L_EMPTY) ? K_EMPTY : (p[0] & F_L_LEAF) ? K_LEAF : K_INNER);
    ref_decode(r, p + 1 + REF_LEN,
               (p[0] & F_R_EMPTY) ? K_EMPTY : (p[0] & F_R_LEAF) ? K_LEAF : K_INNER);
    return CW_OK;
}

static int parse_leaf(const MDB_val *v, leafrec *lf, char *err, size_t err_len)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < LEAF_HDR + 2 || p[0] != 0x00)
        return cw_errf(err, err_len, -EIO, "smt: corrupt leaf node");
    size_t kl = ((size_t)p[1] << 8) | p[2];
    if (kl == 0 || v->mv_size < LEAF_HDR + kl + 1)
        return cw_errf(err, err_len, -EIO, "smt: corrupt leaf node");
    lf->path = p + 3;
    lf->key = p + LEAF_HDR;
    lf->key_len = kl;
    lf->value = p + LEAF_HDR + kl;
    lf->value_len = v->mv_size - LEAF_HDR - kl;
    return CW_OK;
}

static size_t cache_index(const ref *r)
{
    uint64_t h;
    memcpy(&h, r->hash, 8);
    return (size_t)((h ^ r->ver) & (((uint64_t)1 << CACHE_SLOTS_LOG2) - 1));
}

static bool cache_get(ncache *nc, const ref *r, uint8_t rec[INNER_LEN])
{
    size_t i = cache_index(r);
    pthread_mutex_t *mu = &nc->mu[i % CACHE_STRIPES];
    cslot *sl = &nc->slot[i];
    bool hit = false;
    pthread_mutex_lock(mu);
    if (sl->valid && sl->ver == r->ver && memcmp(sl->hash, r->hash, 32) == 0) {
        memcpy(rec, sl->rec, INNER_LEN);
        hit = true;
    }
    pthread_mutex_unlock(mu);
    return hit;
}

static void cache_put(ncache *nc, const ref *r, const uint8_t rec[INNER_LEN])
{
    size_t i = cache_index(r);
    pthread_mutex_t *mu = &nc->mu[i % CACHE_STRIPES];
    cslot *sl = &nc->slot[i];
    pthread_mutex_lock(mu);
    sl->ver = r->ver;
    memcpy(sl->hash, r->hash, 32);
    memcpy(sl->rec, rec, INNER_LEN);
    sl->valid = 1;
    pthread_mutex_unlock(mu);
}

/* Children of the inner node r at `depth` (through the cache near the root). *from_db tells
 * whether LMDB was read. */
static int inner_get(const cw_smt *smt, MDB_txn *txn, const ref *r, unsigned depth, ref *l,
                     ref *rr, bool *from_db, char *err, size_t err_len)
{
    bool cached = smt->cache && depth < CACHE_DEPTH;
    uint8_t rec[INNER_LEN];
    if (from_db)
        *from_db = false;
    if (cached && cache_get(smt->cache, r, rec)) {
        MDB_val v = {INNER_LEN, rec};
        return parse_inner(&v, l, rr, err, err_len);
    }
    MDB_val v;
    int rc = node_get(smt, txn, r, &v, err, err_len);
    if (rc == CW_OK)
        rc = parse_inner(&v, l, rr, err, err_len);
    if (rc != CW_OK)
        return rc;
    if (from_db)
        *from_db = true;
    if (cached)
        cache_put(smt->cache, r, v.mv_data);
    return CW_OK;
}

static int root_get(const cw_smt *smt, MDB_txn *txn, uint64_t version, ref *out, char *err,
                    size_t err_len)
{
    uint8_t k[8];
    cw_be64_put(k, version);
    MDB_val key = {8, k}, val;
    int rc = mdb_get(txn, smt->roots, &key, &val);
    if (rc == MDB_NOTFOUND)
        return cw_errf(err, err_len, CW_ENOTFOUND, "smt: version %llu not retained",
                       (unsigned long long)version);
    if (rc != 0)
        return mdb_err(rc, err, err_len, "mdb_get root");
    const uint8_t *p = val.mv_data;
    if (val.mv_size != ROOT_LEN || p[0] > K_LEAF)
        return cw_errf(err, err_len, -EIO, "smt: corrupt root record");
    ref_decode(out, p + 1, p[0]);
    return CW_OK;
}

/* First (MDB_FIRST) or last (MDB_LAST) retained version. */
static int root_edge(const cw_smt *smt, MDB_txn *txn, MDB_cursor_op op, uint64_t *version,
                     ref *out, char *err, size_t err_len)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, smt->roots, &cur);
    if (rc != 0)
        return mdb_err(rc, err, err_len, "mdb_cursor_open roots");
    MDB_val key, val;
    rc = mdb_cursor_get(cur, &key, &val, op);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        return CW_ENOTFOUND;
    if (rc != 0)
        return mdb_err(rc, err, err_len, "mdb_cursor_get roots");
    const uint8_t *p = val.mv_data;
    if (key.mv_size != 8 || val.mv_size != ROOT_LEN || p[0] > K_LEAF)
        return cw_errf(err, err_len, -EIO, "smt: corrupt root record");
    *version = cw_be64_get(key.mv_data);
    if (out)
        ref_decode(out, p + 1, p[0]);
    return CW_OK;
}

/* ---- open / close --------------------------------------------------------------------- */

int cw_smt_open(cw_smt **out, MDB_env *env, MDB_txn *txn, uint64_t state_versions, char *err,
                size_t err_len)
{
    *out = NULL;
    if (state_versions == 0)
        return cw_errf(err, err_len, CW_EINVAL, "smt: state_versions: must be >= 1");
    if (mdb_txn_env(txn) != env)
        return cw_errf(err, err_len, CW_EINVAL, "smt: txn does not belong to env");
    if (mdb_env_get_maxkeysize(env) < (int)FLAT_RAW_MAX + 1) /* 511 unless LMDB was rebuilt */
        return cw_errf(err, err_len, CW_EINVAL, "smt: LMDB keys of %d bytes are too short "
                       "for the latest-state index (%u)", mdb_env_get_maxkeysize(env),
                       FLAT_RAW_MAX + 1);
    cw_smt *s = calloc(1, sizeof *s);
    if (!s)
        return cw_errf(err, err_len, -ENOMEM, "smt: out of memory");
    s->env = env;
    s->state_versions = state_versions;
    int rc;
    s->cache = calloc(1, sizeof *s->cache); /* zero pages: touched as slots fill */
    if (!s->cache) {
        free(s);
        return cw_errf(err, err_len, -ENOMEM, "smt: out of memory (node cache)");
    }
    for (unsigned i = 0; i < CACHE_STRIPES; i++)
        pthread_mutex_init(&s->cache->mu[i], NULL);
    static const char *const names[CW_SMT_DBS] = {"smt_nodes", "smt_roots", "smt_orphans",
                                                  "smt_meta", "smt_flat"};
    MDB_dbi *dbis[CW_SMT_DBS] = {&s->nodes, &s->roots, &s->orphans, &s->meta, &s->flat};
    for (unsigned i = 0; i < CW_SMT_DBS; i++) {
        rc = mdb_dbi_open(txn, names[i], MDB_CREATE, dbis[i]);
        if (rc == EACCES) {
            rc = cw_errf(err, err_len, CW_EINVAL, "smt: open needs a write txn");
            goto fail;
        }
        if (rc != 0) {
            rc = mdb_err(rc, err, err_len, "mdb_dbi_open");
            goto fail;
        }
    }
    /* format marker: refuse databases written by an incompatible layout */
    MDB_val mk = {6, (void *)"format"}, mv;
    rc = mdb_get(txn, s->meta, &mk, &mv);
    if (rc == MDB_NOTFOUND) {
        static const uint8_t format = SMT_FORMAT;
        mv.mv_size = 1;
        mv.mv_data = (void *)&format;
        rc = mdb_put(txn, s->meta, &mk, &mv, 0);
        if (rc != 0) {
            rc = mdb_err(rc, err, err_len, "mdb_put meta");
            goto fail;
        }
    } else if (rc != 0) {
        rc = mdb_err(rc, err, err_len, "mdb_get meta");
        goto fail;
    } else if (mv.mv_size == 1 && *(const uint8_t *)mv.mv_data == 1) {
        rc = cw_errf(err, err_len, CW_EINVAL, "smt: the state was written by an older layout "
                     "(format 1, without the latest-state index): start the chain afresh");
        goto fail;
    } else if (mv.mv_size == 1 && *(const uint8_t *)mv.mv_data == 2) {
        rc = cw_errf(err, err_len, CW_EINVAL, "smt: the state was written by an older layout "
                     "(format 2, the latest-state index keyed by SHA256(key)): start the "
                     "chain afresh");
        goto fail;
    } else if (mv.mv_size != 1 || *(const uint8_t *)mv.mv_data != SMT_FORMAT) {
        rc = cw_errf(err, err_len, CW_EINVAL, "smt: smt_meta: unknown format");
        goto fail;
    }
    s->n_slots = 0;
    *out = s;
    return CW_OK;
fail:
    cw_smt_close(s);
    return rc;
}

void cw_smt_close(cw_smt *smt)
{
    if (!smt)
        return;
    cw_smt_discard(smt);
    if (smt->cache) {
        for (unsigned i = 0; i < CACHE_STRIPES; i++)
            pthread_mutex_destroy(&smt->cache->mu[i]);
        free(smt->cache);
    }
    free(smt->ents);
    free(smt->slots);
    free(smt);
}

void cw_smt_get_stats(const cw_smt *smt, cw_smt_stats *out) { *out = smt->st; }

/* ---- batch ---------------------------------------------------------------------------- */

static size_t slot_hash(const uint8_t path[32])
{
    uint64_t h;
    memcpy(&h, path, 8);
    return (size_t)h;
}

/* The slot holding `key`, or -1; *free_slot gets the first reusable slot on the probe. */
static long slot_find(const cw_smt *smt, const uint8_t path[32], const uint8_t *key,
                      size_t key_len, long *free_slot)
{
    if (free_slot)
        *free_slot = -1;
    if (smt->n_slots == 0)
        return -1;
    size_t mask = smt->n_slots - 1;
    for (size_t i = slot_hash(path) & mask;; i = (i + 1) & mask) {
        const bslot *sl = &smt->slots[i];
        if (sl->first == -1) {
            if (free_slot && *free_slot < 0)
                *free_slot = (long)i;
            return -1;
        }
        if (sl->first == -2) {
            if (free_slot && *free_slot < 0)
                *free_slot = (long)i;
            continue;
        }
        const bentry *e = &smt->ents[sl->first];
        if (memcmp(e->path, path, 32) == 0 && e->key_len == key_len &&
            memcmp(e->key, key, key_len) == 0)
            return (long)i;
    }
}

/* Rebuild the table at n_slots (a power of two, > 2 x live keys) from the entries. */
static int slots_rebuild(cw_smt *smt, size_t n_slots)
{
    bslot *ns = malloc(n_slots * sizeof *ns);
    if (!ns)
        return -ENOMEM;
    memset(ns, 0xff, n_slots * sizeof *ns); /* first = cur = -1 */
    free(smt->slots);
    smt->slots = ns;
    smt->n_slots = n_slots;
    smt->used_slots = 0;
    for (size_t i = 0; i < smt->n_ents; i++) {
        const bentry *e = &smt->ents[i];
        long fs;
        long s = slot_find(smt, e->path, e->key, e->key_len, &fs);
        if (s >= 0) {
            smt->slots[s].cur = (int32_t)i;
        } else {
            smt->slots[fs].first = smt->slots[fs].cur = (int32_t)i;
            smt->used_slots++;
        }
    }
    return CW_OK;
}

static int batch_put(cw_smt *smt, const uint8_t *key, size_t key_len, const uint8_t *value,
                     size_t value_len, char *err, size_t err_len)
{
    if (smt->n_ents >= CW_SMT_BATCH_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "smt: batch: more than %u pending writes",
                       CW_SMT_BATCH_MAX);
    if (smt->n_ents == smt->cap_ents) {
        size_t nc = smt->cap_ents ? smt->cap_ents * 2 : 64;
        bentry *ne = realloc(smt->ents, nc * sizeof *ne);
        if (!ne)
            return cw_errf(err, err_len, -ENOMEM, "smt: out of memory");
        smt->ents = ne;
        smt->cap_ents = nc;
    }
    if ((smt->used_slots + 1) * 2 > smt->n_slots) {
        size_t n = 64;
        while (n < (smt->n_ents + 1) * 4)
            n *= 2;
        if (slots_rebuild(smt, n) != CW_OK)
            return cw_errf(err, err_len, -ENOMEM, "smt: out of memory");
    }
    uint8_t *blk = malloc(key_len + value_len);
    if (!blk)
        return cw_errf(err, err_len, -ENOMEM, "smt: out of memory");
    bentry *e = &smt->ents[smt->n_ents];
    cw_sha256(e->path, key, key_len);
    smt->st.hashes++;
    memcpy(blk, key, key_len);
    if (value_len)
        memcpy(blk + key_len, value, value_len);
    e->key = blk;
    e->key_len = (uint32_t)key_len;
    e->value = value ? blk + key_len : NULL;
    e->value_len = (uint32_t)value_len;
    long fs;
    long s = slot_find(smt, e->path, key, key_len, &fs);
    int32_t idx = (int32_t)smt->n_ents;
    if (s >= 0) {
        e->prev = smt->slots[s].cur;
        smt->slots[s].cur = idx;
    } else {
        e->prev = -1;
        if (smt->slots[fs].first == -1)
            smt->used_slots++;
        smt->slots[fs].first = smt->slots[fs].cur = idx;
    }
    smt->n_ents++;
    return CW_OK;
}

int cw_smt_set(cw_smt *smt, const uint8_t *key, size_t key_len, const uint8_t *value,
               size_t value_len, char *err, size_t err_len)
{
    int rc = check_key(key, key_len, err, err_len);
    if (rc != CW_OK)
        return rc;
    if (!value || value_len == 0)
        return cw_errf(err, err_len, CW_EINVAL, "smt: value: empty");
    if (value_len > CW_SMT_VALUE_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "smt: value: %zu bytes exceeds %u",
                       value_len, CW_SMT_VALUE_MAX);
    return batch_put(smt, key, key_len, value, value_len, err, err_len);
}

int cw_smt_delete(cw_smt *smt, const uint8_t *key, size_t key_len, char *err, size_t err_len)
{
    int rc = check_key(key, key_len, err, err_len);
    if (rc != CW_OK)
        return rc;
    return batch_put(smt, key, key_len, NULL, 0, err, err_len);
}

size_t cw_smt_batch_mark(const cw_smt *smt) { return smt->n_ents; }

void cw_smt_batch_rollback(cw_smt *smt, size_t mark)
{
    while (smt->n_ents > mark) {
        bentry *e = &smt->ents[smt->n_ents - 1];
        long s = slot_find(smt, e->path, e->key, e->key_len, NULL);
        /* the entry is its key's latest: its slot exists and points at it */
        if (s >= 0) {
            if (e->prev >= 0)
                smt->slots[s].cur = e->prev;
            else
                smt->slots[s].first = smt->slots[s].cur = -2;
        }
        free(e->key);
        smt->n_ents--;
    }
}

void cw_smt_discard(cw_smt *smt)
{
    for (size_t i = 0; i < smt->n_ents; i++)
        free(smt->ents[i].key);
    smt->n_ents = 0;
    if (smt->slots)
        memset(smt->slots, 0xff, smt->n_slots * sizeof *smt->slots);
    smt->used_slots = 0;
}

/* ---- reads ---------------------------------------------------------------------------- */

static int lookup(const cw_smt *smt, MDB_txn *txn, ref cur, const uint8_t path[32],
                  const uint8_t **value, size_t *value_len, bool *found)
{
    for (unsigned depth = 0; depth <= MAX_DEPTH; depth++) {
        if (cur.kind == K_EMPTY)
            return CW_OK;
        int rc;
        if (cur.kind == K_LEAF) {
            MDB_val v;
            leafrec lf;
            rc = node_get(smt, txn, &cur, &v, NULL, 0);
            if (rc == CW_OK)
                rc = parse_leaf(&v, &lf, NULL, 0);
            if (rc != CW_OK)
                return rc;
            if (memcmp(lf.path, path, 32) == 0) {
                *value = lf.value;
                *value_len = lf.value_len;
                *found = true;
            }
            return CW_OK;
        }
        if (depth == MAX_DEPTH)
            break;
        ref l, r;
        rc = inner_get(smt, txn, &cur, depth, &l, &r, NULL, NULL, 0);
        if (rc != CW_OK)
            return rc;
        cur = bit_at(path, depth) ? r : l;
    }
    return -EIO;
}

/* The flat index's key for a state key: 0x00 || key for keys up to FLAT_RAW_MAX bytes (every
 * ICS-24 and app key: the index stays in key order, so one block's packet paths, which
 * differ only in their sequence, share pages), else 0x01 || SHA256(key) (LMDB keys are at
 * most 511 bytes; the leading byte keeps the two forms apart). Keyed by SHA256(key) alone
 * (format 2), every write landed on a random page: at 10^6 packets the index was about
 * two of the ~3.7 pages a destination chain wrote per packet (make soak). path: the key's
 * SHA-256 when the caller has it, else NULL (hashed here only for a long key). */
static size_t flat_key(uint8_t out[static FLAT_RAW_MAX + 1], const uint8_t *key,
                       size_t key_len, const uint8_t *path)
{
    if (key_len <= FLAT_RAW_MAX) {
        out[0] = 0x00;
        memcpy(out + 1, key, key_len);
        return key_len + 1;
    }
    out[0] = 0x01;
    if (path)
        memcpy(out + 1, path, 32);
    else
        cw_sha256(out + 1, key, key_len);
    return 33;
}

/* The latest committed value of key: one lookup in the flat index, not a walk of the tree. */
static int flat_get(const cw_smt *smt, MDB_txn *txn, const uint8_t *key, size_t key_len,
                    const uint8_t *path, const uint8_t **value, size_t *value_len,
                    bool *found)
{
    uint8_t fk[FLAT_RAW_MAX + 1];
    MDB_val k = {flat_key(fk, key, key_len, path), fk}, v;
    int m = mdb_get(txn, smt->flat, &k, &v);
    if (m == MDB_NOTFOUND)
        return CW_OK;
    if (m != 0)
        return mdb_err(m, NULL, 0, "mdb_get flat");
    if (v.mv_size == 0 || v.mv_size > CW_SMT_VALUE_MAX)
        return -EIO; /* a committed value is never empty or oversized: a damaged index */
    *value = v.mv_data;
    *value_len = v.mv_size;
    *found = true;
    return CW_OK;
}

int cw_smt_get_at(const cw_smt *smt, MDB_txn *txn, uint64_t version, const uint8_t **value,
                  size_t *value_len, bool *found, const uint8_t *key, size_t key_len)
{
    *value = NULL;
    *value_len = 0;
    *found = false;
    int rc = check_key(key, key_len, NULL, 0);
    if (rc != CW_OK)
        return rc;
    ref root;
    rc = root_get(smt, txn, version, &root, NULL, 0);
    if (rc != CW_OK)
        return rc;
    uint64_t latest;
    if (root_edge(smt, txn, MDB_LAST, &latest, NULL, NULL, 0) == CW_OK && latest == version)
        return flat_get(smt, txn, key, key_len, NULL, value, value_len,
                        found); /* the index is that version: no path needed */
    uint8_t path[32];
    cw_sha256(path, key, key_len);
    return lookup(smt, txn, root, path, value, value_len, found);
}

int cw_smt_get(cw_smt *smt, MDB_txn *txn, const uint8_t **value, size_t *value_len,
               bool *found, const uint8_t *key, size_t key_len)
{
    *value = NULL;
    *value_len = 0;
    *found = false;
    int rc = check_key(key, key_len, NULL, 0);
    if (rc != CW_OK)
        return rc;
    uint8_t path[32];
    cw_sha256(path, key, key_len);
    long s = slot_find(smt, path, key, key_len, NULL);
    if (s >= 0) {
        const bentry *e = &smt->ents[smt->slots[s].cur];
        if (e->value) {
            *value = e->value;
            *value_len = e->value_len;
            *found = true;
        }
        return CW_OK;
    }
    return flat_get(smt, txn, key, key_len, path, value, value_len, found);
}

int cw_smt_root(const cw_smt *smt, MDB_txn *txn, uint64_t version, uint8_t root32[static 32])
{
    memset(root32, 0, 32);
    ref r;
    int rc = root_get(smt, txn, version, &r, NULL, 0);
    if (rc != CW_OK)
        return rc;
    memcpy(root32, r.hash, 32);
    return CW_OK;
}

int cw_smt_versions(const cw_smt *smt, MDB_txn *txn, uint64_t *oldest, uint64_t *latest)
{
    *oldest = *latest = 0;
    uint64_t a, b;
    int rc = root_edge(smt, txn, MDB_FIRST, &a, NULL, NULL, 0);
    if (rc != CW_OK)
        return rc;
    rc = root_edge(smt, txn, MDB_LAST, &b, NULL, NULL, 0);
    if (rc != CW_OK)
        return rc;
    *oldest = a;
    *latest = b;
    return CW_OK;
}

/* ---- commit --------------------------------------------------------------------------- */

typedef struct wnode {
    uint8_t hash[32];
    const bentry *leaf;      /* leaf: the batch entry (key, value, path) */
    uint8_t inner[INNER_LEN]; /* inner: the record */
} wnode;

typedef struct cctx {
    cw_smt *smt;
    MDB_txn *txn;
    uint64_t ver;
    const bentry **ops; /* final op per key, sorted by path */
    uint8_t (*lh)[32];  /* leaf hash per set op */
    size_t n_ops;
    wnode *w;
    size_t nw, capw;
    uint8_t *orph; /* REF_LEN each */
    size_t norph, caporph;
    char *err;
    size_t err_len;
} cctx;

static int cmp_ops(const void *a, const void *b)
{
    const bentry *x = *(const bentry *const *)a, *y = *(const bentry *const *)b;
    return memcmp(x->path, y->path, 32);
}

/* The order nodes are appended in (MDB_APPEND needs ascending keys, and every key of a
 * version starts with the same be64 version): ascending hash. An LSD radix sort of
 * (first 8 hash bytes, index) pairs, then the rare runs of equal prefixes ordered by the
 * whole hash. qsort of the 128-byte wnodes with a memcmp callback was 4.3% of a
 * destination chain's CPU at 4,000 packets/s (perf). *out: indices into c->w, in order;
 * the caller frees it. Returns false on allocation failure. */
typedef struct wkey {
    uint64_t k;
    uint32_t i;
} wkey;

static bool sort_wnodes(const cctx *c, uint32_t **out)
{
    size_t n = c->nw;
    *out = NULL;
    if (n > UINT32_MAX)
        return false;
    wkey *a = malloc(n * sizeof *a), *t = malloc(n * sizeof *t);
    uint32_t *idx = malloc(n * sizeof *idx);
    if (!a || !t || !idx) {
        free(a);
        free(t);
        free(idx);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        a[i].k = cw_be64_get(c->w[i].hash);
        a[i].i = (uint32_t)i;
    }
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((a[i].k >> shift) & 0xff) + 1]++;
        for (unsigned b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++)
            t[count[(a[i].k >> shift) & 0xff]++] = a[i];
        wkey *sw = a;
        a = t;
        t = sw;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = a[i].i;
    /* equal 8-byte prefixes: insertion sort of each run by the whole hash */
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo + 1;
        while (hi < n && a[hi].k == a[lo].k)
            hi++;
        for (size_t i = lo + 1; i < hi; i++)
            for (size_t j = i; j > lo && memcmp(c->w[idx[j - 1]].hash, c->w[idx[j]].hash, 32) > 0;
                 j--) {
                uint32_t x = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = x;
            }
        lo = hi;
    }
    free(a);
    free(t);
    *out = idx;
    return true;
}

static int add_orphan(cctx *c, const ref *r)
{
    if (c->norph == c->caporph) {
        size_t nc = c->caporph ? c->caporph * 2 : 256;
        uint8_t *n = realloc(c->orph, nc * REF_LEN);
        if (!n)
            return cw_errf(c->err, c->err_len, -ENOMEM, "smt: out of memory");
        c->orph = n;
        c->caporph = nc;
    }
    ref_encode(c->orph + c->norph * REF_LEN, r);
    c->norph++;
    c->smt->st.orphans++;
    return CW_OK;
}

static wnode *new_wnode(cctx *c)
{
    if (c->nw == c->capw) {
        size_t nc = c->capw ? c->capw * 2 : 256;
        wnode *n = realloc(c->w, nc * sizeof *n);
        if (!n)
            return NULL;
        c->w = n;
        c->capw = nc;
    }
    return &c->w[c->nw++];
}

static int make_leaf(cctx *c, size_t op, ref *out)
{
    wnode *w = new_wnode(c);
    if (!w)
        return cw_errf(c->err, c->err_len, -ENOMEM, "smt: out of memory");
    memcpy(w->hash, c->lh[op], 32);
    w->leaf = c->ops[op];
    out->ver = c->ver;
    memcpy(out->hash, w->hash, 32);
    out->kind = K_LEAF;
    return CW_OK;
}

static int make_inner(cctx *c, unsigned depth, const ref *l, const ref *r, ref *out)
{
    wnode *w = new_wnode(c);
    if (!w)
        return cw_errf(c->err, c->err_len, -ENOMEM, "smt: out of memory");
    cw_smt_inner_hash(w->hash, l->hash, r->hash);
    c->smt->st.hashes++;
    w->leaf = NULL;
    uint8_t f = F_INNER;
    f |= l->kind == K_LEAF ? F_L_LEAF : l->kind == K_EMPTY ? F_L_EMPTY : 0;
    f |= r->kind == K_LEAF ? F_R_LEAF : r->kind == K_EMPTY ? F_R_EMPTY : 0;
    w->inner[0] = f;
    ref_encode(w->inner + 1, l);
    ref_encode(w->inner + 1 + REF_LEN, r);
    out->ver = c->ver;
    memcpy(out->hash, w->hash, 32);
    out->kind = K_INNER;
    if (c->smt->cache && depth < CACHE_DEPTH)
        cache_put(c->smt->cache, out, w->inner);
    return CW_OK;
}

/* First index in [lo, hi) whose path has bit `depth` set (ops share bits < depth). */
static size_t split_at(const cctx *c, size_t lo, size_t hi, unsigned depth)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bit_at(c->ops[mid]->path, depth))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Build the subtree at `depth` from the set ops in [lo, hi) (except `skip`; deletes are
 * ignored) plus, if given, an existing leaf `extra` (kept by ref: a moved leaf). */
static int build(cctx *c, unsigned depth, size_t lo, size_t hi, size_t skip, const ref *extra,
                 const uint8_t *extra_path, ref *out)
{
    size_t n = extra ? 1 : 0, one = SIZE_MAX;
    for (size_t i = lo; i < hi && n < 2; i++)
        if (i != skip && c->ops[i]->value) {
            n++;
            one = i;
        }
    if (n == 0) {
        *out = ref_empty();
        return CW_OK;
    }
    if (n == 1) {
        if (extra) {
            *out = *extra;
            return CW_OK;
        }
        return make_leaf(c, one, out);
    }
    if (depth >= MAX_DEPTH)
        return cw_errf(c->err, c->err_len, -EIO, "smt: two keys with one path");
    size_t mid = split_at(c, lo, hi, depth);
    int eside = extra ? bit_at(extra_path, depth) : -1;
    ref l, r;
    int rc = build(c, depth + 1, lo, mid, skip, eside == 0 ? extra : NULL, extra_path, &l);
    if (rc == CW_OK)
        rc = build(c, depth + 1, mid, hi, skip, eside == 1 ? extra : NULL, extra_path, &r);
    if (rc != CW_OK)
        return rc;
    return make_inner(c, depth, &l, &r, out);
}

static int update(cctx *c, const ref *old, unsigned depth, size_t lo, size_t hi, ref *out)
{
    if (lo == hi) {
        *out = *old;
        return CW_OK;
    }
    if (old->kind == K_EMPTY)
        return build(c, depth, lo, hi, SIZE_MAX, NULL, NULL, out);

    int rc;
    if (old->kind == K_LEAF) {
        MDB_val v;
        leafrec lf;
        rc = node_get(c->smt, c->txn, old, &v, c->err, c->err_len);
        if (rc != CW_OK)
            return rc;
        c->smt->st.nodes_read++;
        rc = parse_leaf(&v, &lf, c->err, c->err_len);
        if (rc != CW_OK)
            return rc;
        uint8_t lpath[32];
        memcpy(lpath, lf.path, 32);
        /* is the leaf's own key among the ops? */
        size_t a = lo, b = hi;
        while (a < b) {
            size_t m = a + (b - a) / 2;
            if (memcmp(c->ops[m]->path, lpath, 32) < 0)
                a = m + 1;
            else
                b = m;
        }
        const ref *extra = old;
        size_t skip = SIZE_MAX;
        if (a < hi && memcmp(c->ops[a]->path, lpath, 32) == 0) {
            if (c->ops[a]->value && memcmp(c->lh[a], old->hash, 32) == 0) {
                skip = a; /* set to the value it has: no change */
            } else {
                extra = NULL; /* replaced or deleted */
                rc = add_orphan(c, old);
                if (rc != CW_OK)
                    return rc;
            }
        }
        return build(c, depth, lo, hi, skip, extra, lpath, out);
    }

    ref l, r, nl, nr;
    bool from_db;
    rc = inner_get(c->smt, c->txn, old, depth, &l, &r, &from_db, c->err, c->err_len);
    if (rc != CW_OK)
        return rc;
    if (from_db)
        c->smt->st.nodes_read++;
    else
        c->smt->st.cache_hits++;
    if (depth >= MAX_DEPTH)
        return cw_errf(c->err, c->err_len, -EIO, "smt: tree deeper than 256");
    size_t mid = split_at(c, lo, hi, depth);
    rc = update(c, &l, depth + 1, lo, mid, &nl);
    if (rc == CW_OK)
        rc = update(c, &r, depth + 1, mid, hi, &nr);
    if (rc != CW_OK)
        return rc;
    if (ref_eq(&nl, &l) && ref_eq(&nr, &r)) {
        *out = *old;
        return CW_OK;
    }
    rc = add_orphan(c, old);
    if (rc != CW_OK)
        return rc;
    if (nl.kind == K_EMPTY && nr.kind == K_EMPTY) {
        *out = ref_empty();
        return CW_OK;
    }
    if (nl.kind == K_EMPTY && nr.kind == K_LEAF) {
        *out = nr; /* a lone leaf moves up to its shallowest unique depth */
        return CW_OK;
    }
    if (nr.kind == K_EMPTY && nl.kind == K_LEAF) {
        *out = nl;
        return CW_OK;
    }
    return make_inner(c, depth, &nl, &nr, out);
}

static int write_nodes(cctx *c)
{
    if (c->nw == 0)
        return CW_OK;
    uint32_t *order;
    if (!sort_wnodes(c, &order))
        return cw_errf(c->err, c->err_len, -ENOMEM, "smt: out of memory");
    MDB_cursor *cur;
    int rc = mdb_cursor_open(c->txn, c->smt->nodes, &cur);
    if (rc != 0) {
        free(order);
        return mdb_err(rc, c->err, c->err_len, "mdb_cursor_open nodes");
    }
    int out = CW_OK;
    for (size_t i = 0; i < c->nw; i++) {
        const wnode *w = &c->w[order[i]];
        uint8_t k[REF_LEN];
        cw_be64_put(k, c->ver);
        memcpy(k + 8, w->hash, 32);
        MDB_val key = {REF_LEN, k}, val;
        if (w->leaf) {
            const bentry *e = w->leaf;
            val.mv_size = LEAF_HDR + e->key_len + e->value_len;
            val.mv_data = NULL;
        } else {
            val.mv_size = INNER_LEN;
            val.mv_data = NULL;
        }
        rc = mdb_cursor_put(cur, &key, &val, MDB_APPEND | MDB_RESERVE);
        if (rc != 0) {
            out = mdb_err(rc, c->err, c->err_len, "mdb_put node");
            break;
        }
        uint8_t *p = val.mv_data;
        if (w->leaf) {
            const bentry *e = w->leaf;
            p[0] = 0x00;
            p[1] = (uint8_t)(e->key_len >> 8);
            p[2] = (uint8_t)e->key_len;
            memcpy(p + 3, e->path, 32);
            memcpy(p + LEAF_HDR, e->key, e->key_len);
            memcpy(p + LEAF_HDR + e->key_len, e->value, e->value_len);
        } else {
            memcpy(p, w->inner, INNER_LEN);
        }
        c->smt->st.nodes_written++;
    }
    mdb_cursor_close(cur);
    free(order);
    return out;
}

static int write_orphans(cctx *c, uint64_t last_live)
{
    for (size_t at = 0, chunk = 0; at < c->norph; at += ORPHAN_CHUNK, chunk++) {
        size_t n = c->norph - at < ORPHAN_CHUNK ? c->norph - at : ORPHAN_CHUNK;
        uint8_t k[12];
        cw_be64_put(k, last_live);
        put_be32(k + 8, (uint32_t)chunk);
        MDB_val key = {12, k}, val = {n * REF_LEN, c->orph + at * REF_LEN};
        int rc = mdb_put(c->txn, c->smt->orphans, &key, &val, 0);
        if (rc != 0)
            return mdb_err(rc, c->err, c->err_len, "mdb_put orphans");
    }
    return CW_OK;
}

/* Delete version v's root and the nodes whose last version is v. */
static int prune_version(cw_smt *smt, MDB_txn *txn, uint64_t v, char *err, size_t err_len)
{
    uint8_t k0[12];
    cw_be64_put(k0, v);
    put_be32(k0 + 8, 0);
    uint8_t *refs = NULL;
    int out = CW_OK;
    for (;;) {
        /* the first remaining chunk of v (copied: deleting nodes may move LMDB pages) */
        MDB_cursor *cur;
        int rc = mdb_cursor_open(txn, smt->orphans, &cur);
        if (rc != 0) {
            out = mdb_err(rc, err, err_len, "mdb_cursor_open orphans");
            break;
        }
        MDB_val key = {12, k0}, val;
        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND || (rc == 0 && (key.mv_size != 12 ||
                                                memcmp(key.mv_data, k0, 8) != 0))) {
            mdb_cursor_close(cur);
            break;
        }
        if (rc != 0) {
            mdb_cursor_close(cur);
            out = mdb_err(rc, err, err_len, "mdb_cursor_get orphans");
            break;
        }
        uint8_t ck[12];
        memcpy(ck, key.mv_data, 12);
        size_t n = val.mv_size / REF_LEN;
        if (val.mv_size % REF_LEN != 0 || n == 0) {
            mdb_cursor_close(cur);
            out = cw_errf(err, err_len, -EIO, "smt: corrupt orphan record");
            break;
        }
        free(refs);
        refs = malloc(val.mv_size);
        if (!refs) {
            mdb_cursor_close(cur);
            out = cw_errf(err, err_len, -ENOMEM, "smt: out of memory");
            break;
        }
        memcpy(refs, val.mv_data, val.mv_size);
        mdb_cursor_close(cur);
        for (size_t i = 0; i < n && out == CW_OK; i++) {
            MDB_val dk = {REF_LEN, refs + i * REF_LEN};
            rc = mdb_del(txn, smt->nodes, &dk, NULL);
            if (rc == MDB_NOTFOUND)
                out = cw_errf(err, err_len, -EIO, "smt: orphan of v%llu already gone",
                              (unsigned long long)v);
            else if (rc != 0)
                out = mdb_err(rc, err, err_len, "mdb_del node");
            else
                smt->st.nodes_pruned++;
        }
        if (out != CW_OK)
            break;
        MDB_val dkey = {12, ck};
        rc = mdb_del(txn, smt->orphans, &dkey, NULL);
        if (rc != 0) {
            out = mdb_err(rc, err, err_len, "mdb_del orphans");
            break;
        }
    }
    free(refs);
    if (out != CW_OK)
        return out;
    uint8_t rk[8];
    cw_be64_put(rk, v);
    MDB_val rkey = {8, rk};
    int rc = mdb_del(txn, smt->roots, &rkey, NULL);
    if (rc != 0)
        return mdb_err(rc, err, err_len, "mdb_del root");
    smt->st.versions_pruned++;
    return CW_OK;
}

static int prune(cw_smt *smt, MDB_txn *txn, uint64_t version, char *err, size_t err_len)
{
    if (version < smt->state_versions)
        return CW_OK;
    uint64_t horizon = version - smt->state_versions; /* prune versions <= horizon */
    for (unsigned n = 0; n < CW_SMT_PRUNE_PER_COMMIT; n++) {
        uint64_t oldest;
        int rc = root_edge(smt, txn, MDB_FIRST, &oldest, NULL, err, err_len);
        if (rc != CW_OK)
            return rc; /* CW_ENOTFOUND impossible: `version` was just stored */
        if (oldest > horizon || oldest >= version)
            return CW_OK;
        rc = prune_version(smt, txn, oldest, err, err_len);
        if (rc != CW_OK)
            return rc;
    }
    return CW_OK;
}

/* The latest-state index: each key's final op of the block, as the tree now holds it. */
static int write_flat(cctx *c)
{
    for (size_t i = 0; i < c->n_ops; i++) {
        const bentry *e = c->ops[i];
        uint8_t fk[FLAT_RAW_MAX + 1];
        MDB_val k = {flat_key(fk, e->key, e->key_len, e->path), fk};
        int m;
        if (e->value) {
            MDB_val v = {e->value_len, e->value};
            m = mdb_put(c->txn, c->smt->flat, &k, &v, 0);
        } else {
            m = mdb_del(c->txn, c->smt->flat, &k, NULL);
            if (m == MDB_NOTFOUND)
                m = 0; /* deleting a key the tree never held */
        }
        if (m != 0)
            return mdb_err(m, c->err, c->err_len, "mdb flat index");
    }
    return CW_OK;
}

int cw_smt_commit(cw_smt *smt, MDB_txn *txn, uint64_t version, uint8_t root32[static 32],
                  char *err, size_t err_len)
{
    memset(root32, 0, 32);
    cctx c;
    memset(&c, 0, sizeof c);
    c.smt = smt;
    c.txn = txn;
    c.ver = version;
    c.err = err;
    c.err_len = err_len;
    int rc;

    uint64_t prev = 0;
    ref old = ref_empty();
    rc = root_edge(smt, txn, MDB_LAST, &prev, &old, err, err_len);
    bool have_prev = rc == CW_OK;
    if (rc != CW_OK && rc != CW_ENOTFOUND)
        return rc;
    if (have_prev && version <= prev)
        return cw_errf(err, err_len, CW_EINVAL,
                       "smt: commit version %llu not above latest %llu",
                       (unsigned long long)version, (unsigned long long)prev);
    cw_smt_stats saved = smt->st;

    /* final op per key, sorted by path */
    size_t nkeys = 0;
    for (size_t i = 0; i < smt->n_slots; i++)
        if (smt->slots[i].first >= 0)
            nkeys++;
    if (nkeys) {
        c.ops = malloc(nkeys * sizeof *c.ops);
        c.lh = malloc(nkeys * sizeof *c.lh);
        if (!c.ops || !c.lh) {
            rc = cw_errf(err, err_len, -ENOMEM, "smt: out of memory");
            goto out;
        }
        for (size_t i = 0; i < smt->n_slots; i++)
            if (smt->slots[i].first >= 0)
                c.ops[c.n_ops++] = &smt->ents[smt->slots[i].cur];
        qsort(c.ops, c.n_ops, sizeof *c.ops, cmp_ops);
        for (size_t i = 0; i < c.n_ops; i++)
            if (c.ops[i]->value) {
                leaf_hash_path(c.lh[i], c.ops[i]->path, c.ops[i]->value, c.ops[i]->value_len);
                smt->st.hashes += 2;
            }
    }

    ref nroot;
    rc = update(&c, &old, 0, 0, c.n_ops, &nroot);
    if (rc != CW_OK)
        goto out;
    rc = write_nodes(&c);
    if (rc != CW_OK)
        goto out;
    rc = write_flat(&c);
    if (rc != CW_OK)
        goto out;
    if (c.norph) {
        rc = write_orphans(&c, prev); /* norph > 0 implies a previous version */
        if (rc != CW_OK)
            goto out;
    }
    uint8_t rk[8], rv[ROOT_LEN];
    cw_be64_put(rk, version);
    rv[0] = nroot.kind;
    ref_encode(rv + 1, &nroot);
    MDB_val key = {8, rk}, val = {ROOT_LEN, rv};
    int mrc = mdb_put(txn, smt->roots, &key, &val, 0);
    if (mrc != 0) {
        rc = mdb_err(mrc, err, err_len, "mdb_put root");
        goto out;
    }
    rc = prune(smt, txn, version, err, err_len);
    if (rc != CW_OK)
        goto out;
    smt->st.updates += c.n_ops;
    memcpy(root32, nroot.hash, 32);
    cw_smt_discard(smt);
out:
    if (rc != CW_OK)
        smt->st = saved;
    free(c.ops);
    free(c.lh);
    free(c.w);
    free(c.orph);
    return rc;
}

/* ---- proofs --------------------------------------------------------------------------- */

/* One existence proof under construction: the walk's siblings and the protobuf messages
 * pointing at them. sib[d] = 0x01 || sibling hash at depth d (the 33-byte prefix of a
 * right-child step; its last 32 bytes are the suffix of a left-child step). */
typedef struct exbuf {
    Cw__Ics23__ExistenceProof ex;
    Cw__Ics23__LeafOp leaf;
    Cw__Ics23__InnerOp ops[MAX_DEPTH];
    Cw__Ics23__InnerOp *opp[MAX_DEPTH];
    uint8_t sib[MAX_DEPTH][33];
    uint8_t taken[MAX_DEPTH][32]; /* hash of the child the path went into */
    uint8_t dir[MAX_DEPTH];
    unsigned depth;
} exbuf;

typedef struct proofbuf {
    exbuf a, b, c;
} proofbuf;

static const uint8_t ONE = 0x01, LEAF_PREFIX = 0x00;

static ProtobufCBinaryData bin(const uint8_t *p, size_t n)
{
    ProtobufCBinaryData d;
    d.len = n;
    d.data = (uint8_t *)(uintptr_t)p; /* protobuf-c only reads it while packing */
    return d;
}

/* Result of walking one path from the root. */
typedef struct walkres {
    bool at_leaf;   /* ended on a leaf (else on an empty child) */
    leafrec leaf;   /* when at_leaf: borrowed from LMDB */
    ref left_alt;   /* deepest non-empty left sibling where the path went right */
    ref right_alt;  /* deepest non-empty right sibling where the path went left */
    unsigned left_depth, right_depth; /* their depths */
} walkres;

static int walk(const cw_smt *smt, MDB_txn *txn, ref cur, const uint8_t path[32], exbuf *eb,
                walkres *wr, char *err, size_t err_len)
{
    wr->at_leaf = false;
    wr->left_alt = ref_empty();
    wr->right_alt = ref_empty();
    wr->left_depth = wr->right_depth = 0;
    for (unsigned depth = 0;; depth++) {
        eb->depth = depth;
        if (cur.kind == K_EMPTY)
            return CW_OK;
        int rc;
        if (cur.kind == K_LEAF) {
            MDB_val v;
            rc = node_get(smt, txn, &cur, &v, err, err_len);
            if (rc != CW_OK)
                return rc;
            wr->at_leaf = true;
            return parse_leaf(&v, &wr->leaf, err, err_len);
        }
        if (depth >= MAX_DEPTH)
            return cw_errf(err, err_len, -EIO, "smt: tree deeper than 256");
        ref l, r;
        rc = inner_get(smt, txn, &cur, depth, &l, &r, NULL, err, err_len);
        if (rc != CW_OK)
            return rc;
        int b = bit_at(path, depth);
        eb->dir[depth] = (uint8_t)b;
        eb->sib[depth][0] = 0x01;
        memcpy(eb->sib[depth] + 1, b ? l.hash : r.hash, 32);
        if (b && l.kind != K_EMPTY) {
            wr->left_alt = l;
            wr->left_depth = depth + 1;
        }
        if (!b && r.kind != K_EMPTY) {
            wr->right_alt = r;
            wr->right_depth = depth + 1;
        }
        cur = b ? r : l;
        memcpy(eb->taken[depth], cur.hash, 32);
    }
}

/* Fill eb's protobuf messages from a walk that ended on the proven leaf. */
static void exist_fill(exbuf *eb, const leafrec *lf)
{
    Cw__Ics23__LeafOp leaf = CW__ICS23__LEAF_OP__INIT;
    leaf.hash = CW__ICS23__HASH_OP__SHA256;
    leaf.prehash_key = CW__ICS23__HASH_OP__SHA256;
    leaf.prehash_value = CW__ICS23__HASH_OP__SHA256;
    leaf.length = CW__ICS23__LENGTH_OP__NO_PREFIX;
    leaf.prefix = bin(&LEAF_PREFIX, 1);
    eb->leaf = leaf;
    Cw__Ics23__ExistenceProof ex = CW__ICS23__EXISTENCE_PROOF__INIT;
    ex.key = bin(lf->key, lf->key_len);
    ex.value = bin(lf->value, lf->value_len);
    ex.leaf = &eb->leaf;
    ex.n_path = eb->depth;
    ex.path = eb->opp;
    for (unsigned i = 0; i < eb->depth; i++) {
        unsigned d = eb->depth - 1 - i; /* path runs leaf to root */
        Cw__Ics23__InnerOp op = CW__ICS23__INNER_OP__INIT;
        op.hash = CW__ICS23__HASH_OP__SHA256;
        if (eb->dir[d]) {
            op.prefix = bin(eb->sib[d], 33);
        } else {
            op.prefix = bin(&ONE, 1);
            op.suffix = bin(eb->sib[d] + 1, 32);
        }
        eb->ops[i] = op;
        eb->opp[i] = &eb->ops[i];
    }
    eb->ex = ex;
}

/* Existence proof, into eb, of the largest (want_max) or smallest leaf of `alt`: the
 * non-empty sibling subtree at depth `da` of the path src walked (src went the other way at
 * depth da - 1). Above da - 1 the two paths share src's steps; at da - 1 the direction
 * flips and the sibling is the child src went into; below, the edge descent's siblings. */
static int prove_edge(const cw_smt *smt, MDB_txn *txn, const exbuf *src, unsigned da, ref alt,
                      bool want_max, exbuf *eb, leafrec *lf, char *err, size_t err_len)
{
    unsigned d = da - 1;
    memcpy(eb->dir, src->dir, d);
    memcpy(eb->sib, src->sib, (size_t)d * 33);
    eb->dir[d] = (uint8_t)!src->dir[d];
    eb->sib[d][0] = 0x01;
    memcpy(eb->sib[d] + 1, src->taken[d], 32);
    ref r = alt;
    for (unsigned depth = da;; depth++) {
        int rc;
        if (r.kind == K_LEAF) {
            MDB_val v;
            rc = node_get(smt, txn, &r, &v, err, err_len);
            if (rc == CW_OK)
                rc = parse_leaf(&v, lf, err, err_len);
            eb->depth = depth;
            return rc;
        }
        if (r.kind == K_EMPTY || depth >= MAX_DEPTH)
            return cw_errf(err, err_len, -EIO, "smt: corrupt subtree under a neighbour");
        ref l, rr;
        rc = inner_get(smt, txn, &r, depth, &l, &rr, NULL, err, err_len);
        if (rc != CW_OK)
            return rc;
        bool right = want_max ? rr.kind != K_EMPTY : l.kind == K_EMPTY;
        eb->dir[depth] = right;
        eb->sib[depth][0] = 0x01;
        memcpy(eb->sib[depth] + 1, right ? l.hash : rr.hash, 32);
        r = right ? rr : l;
    }
}

int cw_smt_prove(const cw_smt *smt, MDB_txn *txn, uint64_t version, uint8_t **proof,
                 size_t *proof_len, bool *exists, const uint8_t *key, size_t key_len,
                 char *err, size_t err_len)
{
    *proof = NULL;
    *proof_len = 0;
    *exists = false;
    int rc = check_key(key, key_len, err, err_len);
    if (rc != CW_OK)
        return rc;
    ref root;
    rc = root_get(smt, txn, version, &root, err, err_len);
    if (rc != CW_OK)
        return rc;
    if (root.kind == K_EMPTY)
        return cw_errf(err, err_len, CW_ESTATE,
                       "smt: tree empty at version %llu: no ICS-23 proof exists (root is 32 "
                       "zero bytes)",
                       (unsigned long long)version);
    uint8_t path[32];
    cw_sha256(path, key, key_len);
    proofbuf *pb = malloc(sizeof *pb);
    if (!pb)
        return cw_errf(err, err_len, -ENOMEM, "smt: out of memory");

    Cw__Ics23__CommitmentProof cp = CW__ICS23__COMMITMENT_PROOF__INIT;
    Cw__Ics23__NonExistenceProof ne = CW__ICS23__NON_EXISTENCE_PROOF__INIT;
    walkres wr;
    rc = walk(smt, txn, root, path, &pb->a, &wr, err, err_len);
    if (rc != CW_OK)
        goto out;
    if (wr.at_leaf && memcmp(wr.leaf.path, path, 32) == 0) {
        exist_fill(&pb->a, &wr.leaf);
        cp.proof_case = CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST;
        cp.exist = &pb->a.ex;
        *exists = true;
    } else {
        /* neighbours in path order: the leaf the walk ended on is one of them (its proof
         * is the walk itself); the deepest non-empty subtree on the other side of the
         * path holds the other, reached by an edge descent from the walk */
        bool has_l = false, has_r = false;
        leafrec lf;
        if (wr.at_leaf) {
            exist_fill(&pb->a, &wr.leaf);
            if (memcmp(wr.leaf.path, path, 32) < 0) {
                ne.left = &pb->a.ex;
                has_l = true;
            } else {
                ne.right = &pb->a.ex;
                has_r = true;
            }
        }
        if (!has_l && wr.left_alt.kind != K_EMPTY) {
            rc = prove_edge(smt, txn, &pb->a, wr.left_depth, wr.left_alt, true, &pb->b, &lf,
                            err, err_len);
            if (rc != CW_OK)
                goto out;
            exist_fill(&pb->b, &lf);
            ne.left = &pb->b.ex;
            has_l = true;
        }
        if (!has_r && wr.right_alt.kind != K_EMPTY) {
            rc = prove_edge(smt, txn, &pb->a, wr.right_depth, wr.right_alt, false, &pb->c, &lf,
                            err, err_len);
            if (rc != CW_OK)
                goto out;
            exist_fill(&pb->c, &lf);
            ne.right = &pb->c.ex;
            has_r = true;
        }
        if (!has_l && !has_r) {
            rc = cw_errf(err, err_len, -EIO, "smt: non-empty tree without a leaf");
            goto out;
        }
        ne.key = bin(key, key_len);
        cp.proof_case = CW__ICS23__COMMITMENT_PROOF__PROOF_NONEXIST;
        cp.nonexist = &ne;
    }
    size_t n = cw__ics23__commitment_proof__get_packed_size(&cp);
    if (n > CW_ICS23_PROOF_MAX) {
        rc = cw_errf(err, err_len, CW_ETOOBIG, "smt: proof of %zu bytes exceeds %u", n,
                     CW_ICS23_PROOF_MAX);
        goto out;
    }
    uint8_t *buf = malloc(n);
    if (!buf) {
        rc = cw_errf(err, err_len, -ENOMEM, "smt: out of memory");
        goto out;
    }
    cw__ics23__commitment_proof__pack(&cp, buf);
    *proof = buf;
    *proof_len = n;
    rc = CW_OK;
out:
    if (rc != CW_OK)
        *exists = false;
    free(pb);
    return rc;
}
