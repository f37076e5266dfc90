/* ICS-23 proof verification (see include/causeway/ics23.h).
 *
 * Layout of this file — every rule lives in exactly one function:
 *   specs ........... built-in specs, spec validation, loose "IAVL-like"/"Tendermint-like"
 *   hashing ......... do_hash (hash ops), length_prefix (length ops), leaf/inner hashing
 *   decode .......... arena allocator for protobuf-c, decode_proof, check_decoded (unknown
 *                     fields, size bounds, compressed indices), check_canonical (the input
 *                     is exactly protobuf-c's re-encoding)
 *   spec checks ..... check_leaf, check_inner, check_existence_spec (depth)
 *   existence ....... calc_root, verify_existence (spec + key/value equality + root)
 *   non-existence ... padding model, left-most / right-most / neighbour, verify_nonexistence
 *   public API ...... verify_proof (arguments, decode once, dispatch on the variant) behind
 *                     the single, batch and any-variant entry points
 *
 * Upstream references are Go HEAD (go/ops.go, go/proof.go) at the vectors' snapshot
 * commit; the rules are summarised in ../shared/vectors/ics23/README.md §8.
 */
#include "causeway/ics23.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "causeway/hash.h"
#include "ics23.pb-c.h"

typedef Cw__Ics23__ExistenceProof pb_exist;
typedef Cw__Ics23__NonExistenceProof pb_nonexist;
typedef Cw__Ics23__LeafOp pb_leaf;
typedef Cw__Ics23__InnerOp pb_inner;
typedef Cw__Ics23__CommitmentProof pb_proof;

/* Largest digest of any hash op (SHA-512, BLAKE2b-512). */
#define MAX_DIGEST 64

/* ==== specs ============================================================================ */

static const cw_ics23_spec g_iavl = {
    .leaf = {.hash = CW_ICS23_SHA256,
             .prehash_key = CW_ICS23_NO_HASH,
             .prehash_value = CW_ICS23_SHA256,
             .length = CW_ICS23_VAR_PROTO,
             .prefix = {0x00},
             .prefix_len = 1},
    .inner = {.child_order = {0, 1},
              .child_order_len = 2,
              .child_size = 33,
              .min_prefix_length = 4,
              .max_prefix_length = 12,
              .empty_child_len = 0,
              .hash = CW_ICS23_SHA256},
    .max_depth = 0,
    .min_depth = 0,
    .prehash_key_before_comparison = false,
};

static const cw_ics23_spec g_tendermint = {
    .leaf = {.hash = CW_ICS23_SHA256,
             .prehash_key = CW_ICS23_NO_HASH,
             .prehash_value = CW_ICS23_SHA256,
             .length = CW_ICS23_VAR_PROTO,
             .prefix = {0x00},
             .prefix_len = 1},
    .inner = {.child_order = {0, 1},
              .child_order_len = 2,
              .child_size = 32,
              .min_prefix_length = 1,
              .max_prefix_length = 1,
              .empty_child_len = 0,
              .hash = CW_ICS23_SHA256},
    .max_depth = 0,
    .min_depth = 0,
    .prehash_key_before_comparison = false,
};

static const cw_ics23_spec g_smt = {
    .leaf = {.hash = CW_ICS23_SHA256,
             .prehash_key = CW_ICS23_SHA256,
             .prehash_value = CW_ICS23_SHA256,
             .length = CW_ICS23_NO_PREFIX,
             .prefix = {0x00},
             .prefix_len = 1},
    .inner = {.child_order = {0, 1},
              .child_order_len = 2,
              .child_size = 32,
              .min_prefix_length = 1,
              .max_prefix_length = 1,
              .empty_child = {0},
              .empty_child_len = 32,
              .hash = CW_ICS23_SHA256},
    .max_depth = 256, /* Go SmtSpec */
    .min_depth = 0,
    .prehash_key_before_comparison = true,
};

const cw_ics23_spec *cw_ics23_spec_iavl(void) { return &g_iavl; }
const cw_ics23_spec *cw_ics23_spec_tendermint(void) { return &g_tendermint; }
const cw_ics23_spec *cw_ics23_spec_smt(void) { return &g_smt; }

const cw_ics23_spec *cw_ics23_spec_by_name(const char *name)
{
    if (strcmp(name, "iavl") == 0)
        return &g_iavl;
    if (strcmp(name, "tendermint") == 0)
        return &g_tendermint;
    if (strcmp(name, "smt") == 0)
        return &g_smt;
    return NULL;
}

/* data starts with prefix (an empty prefix always matches). */
static bool has_prefix(const uint8_t *data, size_t len, const uint8_t *prefix, size_t plen)
{
    return len >= plen && (plen == 0 || memcmp(data, prefix, plen) == 0);
}

static bool hash_op_known(int op) { return op >= CW_ICS23_NO_HASH && op <= CW_ICS23_BLAKE3; }
static bool length_op_known(int op)
{
    return op >= CW_ICS23_NO_PREFIX && op <= CW_ICS23_REQUIRE_64_BYTES;
}

/* Effective maximum depth: 0 means CW_ICS23_DEFAULT_MAX_DEPTH (Go). */
static int32_t max_depth_of(const cw_ics23_spec *s)
{
    return s->max_depth == 0 ? CW_ICS23_DEFAULT_MAX_DEPTH : s->max_depth;
}

int cw_ics23_spec_validate(const cw_ics23_spec *s, char *err, size_t err_len)
{
    const cw_ics23_leaf_spec *l = &s->leaf;
    const cw_ics23_inner_spec *in = &s->inner;
    if (!hash_op_known(l->hash) || !hash_op_known(l->prehash_key) ||
        !hash_op_known(l->prehash_value) || !length_op_known(l->length) ||
        !hash_op_known(in->hash))
        return cw_errf(err, err_len, CW_EINVAL, "spec: unknown hash or length op value");
    if (l->hash == CW_ICS23_NO_HASH || in->hash == CW_ICS23_NO_HASH)
        return cw_errf(err, err_len, CW_EINVAL, "spec: leaf.hash and inner.hash must not be NO_HASH");
    if (l->prefix_len == 0 || l->prefix_len > CW_ICS23_SPEC_PREFIX_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "spec: leaf prefix length %zu not in 1..%u",
                       l->prefix_len, CW_ICS23_SPEC_PREFIX_MAX);
    if (in->child_size < 1)
        return cw_errf(err, err_len, CW_EINVAL, "spec: child_size %d must be >= 1",
                       (int)in->child_size);
    if (in->min_prefix_length < 0 || in->max_prefix_length < 0)
        return cw_errf(err, err_len, CW_EINVAL, "spec: negative prefix length bound");
    if ((int64_t)in->max_prefix_length >=
        (int64_t)in->min_prefix_length + (int64_t)in->child_size)
        return cw_errf(err, err_len, CW_EINVAL,
                       "spec: max_prefix_length %d must be < min_prefix_length %d + child_size %d",
                       (int)in->max_prefix_length, (int)in->min_prefix_length,
                       (int)in->child_size);
    if (in->child_size > (int32_t)CW_ICS23_OP_BYTES_MAX ||
        in->max_prefix_length > (int32_t)CW_ICS23_OP_BYTES_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "spec: child_size or max_prefix_length over %u",
                       CW_ICS23_OP_BYTES_MAX);
    if (in->child_order_len < 2 || in->child_order_len > CW_ICS23_SPEC_CHILDREN_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "spec: child_order has %zu entries, need 2..%u",
                       in->child_order_len, CW_ICS23_SPEC_CHILDREN_MAX);
    unsigned seen = 0;
    for (size_t i = 0; i < in->child_order_len; i++) {
        int32_t c = in->child_order[i];
        if (c < 0 || (size_t)c >= in->child_order_len || (seen & (1u << c)))
            return cw_errf(err, err_len, CW_EINVAL,
                           "spec: child_order[%zu] = %d: not a permutation of 0..%zu", i,
                           (int)c, in->child_order_len - 1);
        seen |= 1u << c;
    }
    if (in->empty_child_len != 0 && in->empty_child_len != (size_t)in->child_size)
        return cw_errf(err, err_len, CW_EINVAL, "spec: empty_child is %zu bytes, child_size %d",
                       in->empty_child_len, (int)in->child_size);
    if (s->min_depth < 0 || s->max_depth < 0 || s->max_depth > (int32_t)CW_ICS23_PATH_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "spec: depth bounds min %d max %d out of 0..%u",
                       (int)s->min_depth, (int)s->max_depth, CW_ICS23_PATH_MAX);
    if (s->min_depth > max_depth_of(s))
        return cw_errf(err, err_len, CW_EINVAL, "spec: min_depth %d exceeds max depth %d",
                       (int)s->min_depth, (int)max_depth_of(s));
    return CW_OK;
}

/* Go `SpecEquals` (loose): the fields that decide the tree-specific op rules of §8.3. */
static bool spec_loosely_equals(const cw_ics23_spec *a, const cw_ics23_spec *b)
{
    /* fast paths (this runs for every op): the built-ins are pairwise not loosely equal */
    bool a_builtin = a == &g_iavl || a == &g_tendermint || a == &g_smt;
    bool b_builtin = b == &g_iavl || b == &g_tendermint || b == &g_smt;
    if (a == b)
        return true;
    if (a_builtin && b_builtin)
        return false;
    return a->leaf.hash == b->leaf.hash && a->leaf.prehash_key == b->leaf.prehash_key &&
           a->leaf.prehash_value == b->leaf.prehash_value && a->leaf.length == b->leaf.length &&
           a->inner.hash == b->inner.hash &&
           a->inner.min_prefix_length == b->inner.min_prefix_length &&
           a->inner.max_prefix_length == b->inner.max_prefix_length &&
           a->inner.child_size == b->inner.child_size &&
           a->inner.child_order_len == b->inner.child_order_len;
}

/* ==== hashing ========================================================================== */

static pthread_once_t g_md_once = PTHREAD_ONCE_INIT;
static EVP_MD *g_md[CW_ICS23_BLAKE3 + 1];

static void md_init(void)
{
    /* A fetch that fails leaves NULL: that op then reports CW_EUNSUPPORTED. */
    g_md[CW_ICS23_SHA512] = EVP_MD_fetch(NULL, "SHA512", NULL);
    g_md[CW_ICS23_RIPEMD160] = EVP_MD_fetch(NULL, "RIPEMD160", NULL);
    g_md[CW_ICS23_SHA512_256] = EVP_MD_fetch(NULL, "SHA512-256", NULL);
    g_md[CW_ICS23_BLAKE2B_512] = EVP_MD_fetch(NULL, "BLAKE2B-512", NULL);
    g_md[CW_ICS23_BLAKE2S_256] = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
}

static const char *hash_op_name(int op)
{
    static const char *const names[] = {"NO_HASH", "SHA256", "SHA512", "KECCAK256",
                                        "RIPEMD160", "BITCOIN", "SHA512_256", "BLAKE2B_512",
                                        "BLAKE2S_256", "BLAKE3"};
    return hash_op_known(op) ? names[op] : "unknown";
}

static int evp_parts(const EVP_MD *md, uint8_t *out, size_t *out_len, const cw_bytes *parts,
                     size_t n)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok = c && EVP_DigestInit_ex2(c, md, NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        if (parts[i].len)
            ok = EVP_DigestUpdate(c, parts[i].p, parts[i].len) == 1;
    ok = ok && EVP_DigestFinal_ex(c, out, &len) == 1;
    EVP_MD_CTX_free(c);
    if (!ok)
        return -ENOMEM;
    *out_len = len;
    return CW_OK;
}

/* hash(op, parts[0] || … || parts[n-1]) into out (MAX_DIGEST bytes). NO_HASH is an error
 * here (Go `doHash`); the identity prehash is handled by the caller. */
static int do_hash(int op, uint8_t out[static MAX_DIGEST], size_t *out_len,
                   const cw_bytes *parts, size_t n, char *err, size_t err_len)
{
    *out_len = 0;
    switch (op) {
    case CW_ICS23_SHA256:
        cw_sha256_parts(out, parts, n);
        *out_len = 32;
        return CW_OK;
    case CW_ICS23_BITCOIN: {
        uint8_t mid[32];
        cw_sha256_parts(mid, parts, n);
        pthread_once(&g_md_once, md_init);
        if (!g_md[CW_ICS23_RIPEMD160])
            return cw_errf(err, err_len, CW_EUNSUPPORTED,
                           "hash op BITCOIN: RIPEMD160 unavailable in this libcrypto");
        cw_bytes p = {mid, 32};
        return evp_parts(g_md[CW_ICS23_RIPEMD160], out, out_len, &p, 1);
    }
    case CW_ICS23_SHA512:
    case CW_ICS23_RIPEMD160:
    case CW_ICS23_SHA512_256:
    case CW_ICS23_BLAKE2B_512:
    case CW_ICS23_BLAKE2S_256:
        pthread_once(&g_md_once, md_init);
        if (!g_md[op])
            return cw_errf(err, err_len, CW_EUNSUPPORTED, "hash op %s: unavailable in this libcrypto",
                           hash_op_name(op));
        return evp_parts(g_md[op], out, out_len, parts, n);
    case CW_ICS23_KECCAK256:
    case CW_ICS23_BLAKE3:
        return cw_errf(err, err_len, CW_EUNSUPPORTED,
                       "hash op %s is not supported (no vetted C implementation available)",
                       hash_op_name(op));
    case CW_ICS23_NO_HASH:
        return cw_errf(err, err_len, CW_EBADPROOF, "hash op NO_HASH cannot hash a node");
    default:
        return cw_errf(err, err_len, CW_EBADPROOF, "unknown hash op %d", op);
    }
}

/* Prehash: NO_HASH is the identity (result points at the input), else do_hash. */
static int prehash(int op, const uint8_t *data, size_t len, uint8_t buf[static MAX_DIGEST],
                   cw_bytes *res, char *err, size_t err_len)
{
    if (op == CW_ICS23_NO_HASH) {
        res->p = data;
        res->len = len;
        return CW_OK;
    }
    cw_bytes in = {data, len};
    size_t n = 0;
    int rc = do_hash(op, buf, &n, &in, 1, err, err_len);
    res->p = buf;
    res->len = n;
    return rc;
}

/* Length op: the bytes to put before data (buf holds up to 10), or an error. */
static int length_prefix(int op, size_t len, uint8_t buf[static 10], size_t *n, char *err,
                         size_t err_len)
{
    uint64_t v = len;
    *n = 0;
    switch (op) {
    case CW_ICS23_NO_PREFIX:
        return CW_OK;
    case CW_ICS23_VAR_PROTO:
        do {
            uint8_t b = v & 0x7f;
            v >>= 7;
            buf[(*n)++] = (uint8_t)(b | (v ? 0x80 : 0));
        } while (v);
        return CW_OK;
    case CW_ICS23_FIXED32_BIG:
    case CW_ICS23_FIXED32_LITTLE:
        if (v > UINT32_MAX)
            return cw_errf(err, err_len, CW_EBADPROOF, "length op: %zu bytes exceed FIXED32", len);
        for (int i = 0; i < 4; i++)
            buf[op == CW_ICS23_FIXED32_BIG ? 3 - i : i] = (uint8_t)(v >> (8 * i));
        *n = 4;
        return CW_OK;
    case CW_ICS23_FIXED64_BIG:
    case CW_ICS23_FIXED64_LITTLE:
        for (int i = 0; i < 8; i++)
            buf[op == CW_ICS23_FIXED64_BIG ? 7 - i : i] = (uint8_t)(v >> (8 * i));
        *n = 8;
        return CW_OK;
    case CW_ICS23_REQUIRE_32_BYTES:
        if (len != 32)
            return cw_errf(err, err_len, CW_EBADPROOF, "length op REQUIRE_32_BYTES: got %zu bytes",
                           len);
        return CW_OK;
    case CW_ICS23_REQUIRE_64_BYTES:
        if (len != 64)
            return cw_errf(err, err_len, CW_EBADPROOF, "length op REQUIRE_64_BYTES: got %zu bytes",
                           len);
        return CW_OK;
    case CW_ICS23_VAR_RLP:
        return cw_errf(err, err_len, CW_EUNSUPPORTED, "length op VAR_RLP is not supported");
    default:
        return cw_errf(err, err_len, CW_EBADPROOF, "unknown length op %d", op);
    }
}

/* Go `LeafOp.Apply`: hash(prefix || len(prehash_key(key)) || prehash_key(key) ||
 * len(prehash_value(value)) || prehash_value(value)). Key and value must be non-empty.
 * key_digest (optional, MAX_DIGEST bytes) receives prehash_key(key) when the op prehashes
 * the key, so a non-membership check can compare neighbour keys without hashing them again. */
typedef struct digest_buf {
    uint8_t d[MAX_DIGEST];
    size_t len; /* 0: the op did not prehash the key */
} digest_buf;

static int apply_leaf(const pb_leaf *op, const uint8_t *key, size_t key_len,
                      const uint8_t *value, size_t value_len, uint8_t out[static MAX_DIGEST],
                      size_t *out_len, digest_buf *key_digest, char *err, size_t err_len)
{
    uint8_t hk[MAX_DIGEST], hv[MAX_DIGEST], lk[10], lv[10];
    cw_bytes pk, pv;
    size_t nlk, nlv;
    int rc;
    *out_len = 0;
    if (key_len == 0)
        return cw_errf(err, err_len, CW_EBADPROOF, "leaf: empty key");
    if (value_len == 0)
        return cw_errf(err, err_len, CW_EBADPROOF, "leaf: empty value");
    if ((rc = prehash(op->prehash_key, key, key_len, hk, &pk, err, err_len)) != CW_OK ||
        (rc = length_prefix(op->length, pk.len, lk, &nlk, err, err_len)) != CW_OK ||
        (rc = prehash(op->prehash_value, value, value_len, hv, &pv, err, err_len)) != CW_OK ||
        (rc = length_prefix(op->length, pv.len, lv, &nlv, err, err_len)) != CW_OK)
        return cw_err_prefix(err, err_len, rc, "leaf");
    if (key_digest && (int)op->prehash_key != CW_ICS23_NO_HASH) {
        memcpy(key_digest->d, pk.p, pk.len);
        key_digest->len = pk.len;
    }
    cw_bytes parts[5] = {{op->prefix.data, op->prefix.len}, {lk, nlk}, pk, {lv, nlv}, pv};
    rc = do_hash(op->hash, out, out_len, parts, 5, err, err_len);
    return rc == CW_OK ? rc : cw_err_prefix(err, err_len, rc, "leaf");
}

/* Go `InnerOp.Apply`: hash(prefix || child || suffix); the child must be non-empty. */
static int apply_inner(const pb_inner *op, const uint8_t *child, size_t child_len,
                       uint8_t out[static MAX_DIGEST], size_t *out_len, char *err, size_t err_len)
{
    *out_len = 0;
    if (child_len == 0)
        return cw_errf(err, err_len, CW_EBADPROOF, "empty child");
    cw_bytes parts[3] = {{op->prefix.data, op->prefix.len}, {child, child_len},
                         {op->suffix.data, op->suffix.len}};
    return do_hash(op->hash, out, out_len, parts, 3, err, err_len);
}

/* ==== decode =========================================================================== */

/* A bump allocator for protobuf-c: the first chunk is caller memory (the stack), further
 * chunks come from the heap, all bounded by CW_ICS23_ARENA_MAX in total. free is a no-op;
 * arena_release frees the heap chunks. */
struct chunk {
    struct chunk *next;
};
struct arena {
    uint8_t *base;
    size_t used, cap, total;
    struct chunk *heap;
    bool over;
};

#define ARENA_ALIGN 16u
#define ARENA_CHUNK (64u * 1024u)

static void *arena_alloc(void *ad, size_t size)
{
    struct arena *a = ad;
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size == 0)
        size = ARENA_ALIGN;
    if (a->cap - a->used < size) {
        size_t want = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        if (want > CW_ICS23_ARENA_MAX || a->total > CW_ICS23_ARENA_MAX - want) {
            a->over = true;
            return NULL;
        }
        struct chunk *c = malloc(ARENA_ALIGN + want);
        if (!c) {
            a->over = true;
            return NULL;
        }
        c->next = a->heap;
        a->heap = c;
        a->base = (uint8_t *)c + ARENA_ALIGN;
        a->used = 0;
        a->cap = want;
        a->total += want;
    }
    void *p = a->base + a->used;
    a->used += size;
    return p;
}

static void arena_free(void *ad, void *p)
{
    (void)ad;
    (void)p;
}

static void arena_init(struct arena *a, void *stack, size_t stack_len)
{
    /* the stack buffer is aligned by its declaration (see STACK_ARENA) */
    a->base = stack;
    a->used = 0;
    a->cap = stack_len;
    a->total = stack_len;
    a->heap = NULL;
    a->over = false;
}

static void arena_release(struct arena *a)
{
    struct chunk *c = a->heap;
    while (c) {
        struct chunk *n = c->next;
        free(c);
        c = n;
    }
    a->heap = NULL;
}

#define STACK_ARENA 16384u

static int unknown_fields(const ProtobufCMessage *m, const char *what, char *err,
                          size_t err_len)
{
    if (m->n_unknown_fields)
        return cw_errf(err, err_len, CW_EMALFORMED, "%s: unknown field %u (rejected)", what,
                       (unsigned)m->unknown_fields[0].tag);
    return CW_OK;
}

static int check_leaf_decoded(const pb_leaf *l, const char *where, char *err, size_t err_len)
{
    int rc = unknown_fields(&l->base, "leaf", err, err_len);
    if (rc == CW_OK && l->prefix.len > CW_ICS23_OP_BYTES_MAX)
        rc = cw_errf(err, err_len, CW_ETOOBIG, "leaf: prefix %zu bytes exceeds %u",
                     l->prefix.len, CW_ICS23_OP_BYTES_MAX);
    return rc == CW_OK ? rc : cw_err_prefix(err, err_len, rc, where);
}

static int check_inner_decoded(const pb_inner *op, const char *where, size_t i, char *err,
                               size_t err_len)
{
    if (op->base.n_unknown_fields)
        return cw_errf(err, err_len, CW_EMALFORMED, "%s: inner op %zu: unknown field %u (rejected)",
                       where, i, (unsigned)op->base.unknown_fields[0].tag);
    if (op->prefix.len > CW_ICS23_OP_BYTES_MAX || op->suffix.len > CW_ICS23_OP_BYTES_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG,
                       "%s: inner op %zu: prefix %zu / suffix %zu bytes exceed %u", where, i,
                       op->prefix.len, op->suffix.len, CW_ICS23_OP_BYTES_MAX);
    return CW_OK;
}

static int check_kv_decoded(const ProtobufCBinaryData *k, const ProtobufCBinaryData *v,
                            const char *where, char *err, size_t err_len)
{
    if (k->len > CW_ICS23_KEY_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "%s: key %zu bytes exceeds %u", where, k->len,
                       CW_ICS23_KEY_MAX);
    if (v->len > CW_ICS23_VALUE_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "%s: value %zu bytes exceeds %u", where,
                       v->len, CW_ICS23_VALUE_MAX);
    return CW_OK;
}

static int check_exist_decoded(const pb_exist *e, const char *where, char *err, size_t err_len)
{
    int rc = unknown_fields(&e->base, where, err, err_len);
    if (rc != CW_OK)
        return rc;
    if ((rc = check_kv_decoded(&e->key, &e->value, where, err, err_len)) != CW_OK)
        return rc;
    if (e->leaf && (rc = check_leaf_decoded(e->leaf, where, err, err_len)) != CW_OK)
        return rc;
    if (e->n_path > CW_ICS23_PATH_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "%s: path of %zu inner ops exceeds %u", where,
                       e->n_path, CW_ICS23_PATH_MAX);
    for (size_t i = 0; i < e->n_path; i++)
        if ((rc = check_inner_decoded(e->path[i], where, i, err, err_len)) != CW_OK)
            return rc;
    return CW_OK;
}

/* where_l / where_r name the sides in messages (built by the caller, so the single-proof
 * path formats nothing unless something fails). */
static int check_nonexist_decoded(const pb_nonexist *n, const char *where, const char *where_l,
                                  const char *where_r, char *err, size_t err_len)
{
    int rc = unknown_fields(&n->base, where, err, err_len);
    /* n->key is deliberately not looked at (see the header's list of ignored fields). */
    if (rc == CW_OK && n->left)
        rc = check_exist_decoded(n->left, where_l, err, err_len);
    if (rc == CW_OK && n->right)
        rc = check_exist_decoded(n->right, where_r, err, err_len);
    return rc;
}

static int check_cexist_decoded(const Cw__Ics23__CompressedExistenceProof *e, size_t n_lookup,
                                const char *where, char *err, size_t err_len)
{
    int rc = unknown_fields(&e->base, where, err, err_len);
    if (rc != CW_OK)
        return rc;
    if ((rc = check_kv_decoded(&e->key, &e->value, where, err, err_len)) != CW_OK)
        return rc;
    if (e->leaf && (rc = check_leaf_decoded(e->leaf, where, err, err_len)) != CW_OK)
        return rc;
    if (e->n_path > CW_ICS23_PATH_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "%s: path of %zu inner ops exceeds %u", where,
                       e->n_path, CW_ICS23_PATH_MAX);
    for (size_t i = 0; i < e->n_path; i++)
        if (e->path[i] < 0 || (size_t)e->path[i] >= n_lookup)
            return cw_errf(err, err_len, CW_EMALFORMED,
                           "%s: path[%zu] = %d outside lookup_inners (%zu entries)", where, i,
                           (int)e->path[i], n_lookup);
    return CW_OK;
}

/* Everything about the decoded tree that does not depend on the spec: no unknown fields,
 * every size bound, a variant present, compressed indices in range. */
static int check_decoded(const pb_proof *p, char *err, size_t err_len)
{
    char w[64];
    int rc = unknown_fields(&p->base, "proof", err, err_len);
    if (rc != CW_OK)
        return rc;
    switch (p->proof_case) {
    case CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST:
        return check_exist_decoded(p->exist, "exist", err, err_len);
    case CW__ICS23__COMMITMENT_PROOF__PROOF_NONEXIST:
        return check_nonexist_decoded(p->nonexist, "nonexist", "nonexist: left",
                                      "nonexist: right", err, err_len);
    case CW__ICS23__COMMITMENT_PROOF__PROOF_BATCH: {
        const Cw__Ics23__BatchProof *b = p->batch;
        if ((rc = unknown_fields(&b->base, "batch", err, err_len)) != CW_OK)
            return rc;
        if (b->n_entries > CW_ICS23_BATCH_MAX)
            return cw_errf(err, err_len, CW_ETOOBIG, "batch: %zu entries exceed %u",
                           b->n_entries, CW_ICS23_BATCH_MAX);
        for (size_t i = 0; i < b->n_entries; i++) {
            const Cw__Ics23__BatchEntry *e = b->entries[i];
            snprintf(w, sizeof w, "batch: entry %zu", i);
            if ((rc = unknown_fields(&e->base, w, err, err_len)) != CW_OK)
                return rc;
            if (e->proof_case == CW__ICS23__BATCH_ENTRY__PROOF_EXIST)
                rc = check_exist_decoded(e->exist, w, err, err_len);
            else if (e->proof_case == CW__ICS23__BATCH_ENTRY__PROOF_NONEXIST) {
                char wl[80], wr[80];
                snprintf(wl, sizeof wl, "%s: left", w);
                snprintf(wr, sizeof wr, "%s: right", w);
                rc = check_nonexist_decoded(e->nonexist, w, wl, wr, err, err_len);
            }
            else
                rc = cw_errf(err, err_len, CW_EMALFORMED, "%s: empty entry", w);
            if (rc != CW_OK)
                return rc;
        }
        return CW_OK;
    }
    case CW__ICS23__COMMITMENT_PROOF__PROOF_COMPRESSED: {
        const Cw__Ics23__CompressedBatchProof *b = p->compressed;
        if ((rc = unknown_fields(&b->base, "compressed", err, err_len)) != CW_OK)
            return rc;
        if (b->n_entries > CW_ICS23_BATCH_MAX)
            return cw_errf(err, err_len, CW_ETOOBIG, "compressed: %zu entries exceed %u",
                           b->n_entries, CW_ICS23_BATCH_MAX);
        if (b->n_lookup_inners > CW_ICS23_LOOKUP_MAX)
            return cw_errf(err, err_len, CW_ETOOBIG, "compressed: %zu lookup_inners exceed %u",
                           b->n_lookup_inners, CW_ICS23_LOOKUP_MAX);
        for (size_t i = 0; i < b->n_lookup_inners; i++)
            if ((rc = check_inner_decoded(b->lookup_inners[i], "compressed: lookup_inners", i,
                                          err, err_len)) != CW_OK)
                return rc;
        for (size_t i = 0; i < b->n_entries; i++) {
            const Cw__Ics23__CompressedBatchEntry *e = b->entries[i];
            snprintf(w, sizeof w, "compressed: entry %zu", i);
            if ((rc = unknown_fields(&e->base, w, err, err_len)) != CW_OK)
                return rc;
            if (e->proof_case == CW__ICS23__COMPRESSED_BATCH_ENTRY__PROOF_EXIST) {
                rc = check_cexist_decoded(e->exist, b->n_lookup_inners, w, err, err_len);
            } else if (e->proof_case == CW__ICS23__COMPRESSED_BATCH_ENTRY__PROOF_NONEXIST) {
                const Cw__Ics23__CompressedNonExistenceProof *n = e->nonexist;
                rc = unknown_fields(&n->base, w, err, err_len);
                if (rc == CW_OK && n->left)
                    rc = check_cexist_decoded(n->left, b->n_lookup_inners, w, err, err_len);
                if (rc == CW_OK && n->right)
                    rc = check_cexist_decoded(n->right, b->n_lookup_inners, w, err, err_len);
            } else {
                rc = cw_errf(err, err_len, CW_EMALFORMED, "%s: empty entry", w);
            }
            if (rc != CW_OK)
                return rc;
        }
        return CW_OK;
    }
    default:
        return cw_errf(err, err_len, CW_EMALFORMED, "proof: no variant set");
    }
}

/* A protobuf-c output "buffer" that stores nothing: it compares every packed byte with the
 * input as it is produced. Re-encoding a proof this way costs one packing walk and no
 * allocation, whatever the proof's size. */
struct cmp_buf {
    ProtobufCBuffer base; /* first: protobuf-c calls base.append with &base */
    const uint8_t *want;
    size_t len, off;
    bool differs;
};

static void cmp_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    struct cmp_buf *c = (struct cmp_buf *)b;
    if (c->differs)
        return;
    if (len > c->len - c->off || (len && memcmp(c->want + c->off, data, len) != 0)) {
        c->differs = true;
        return;
    }
    c->off += len;
}

/* Proofs up to this many bytes (every realistic single proof) are re-encoded into a stack
 * buffer and compared in one memcmp; larger ones through cmp_buf. */
#define CANON_STACK 4096u

/* The input must be exactly protobuf-c's packing of what it decoded to (the rule the chain
 * applies to MessagePack): fields in ascending order, each singular or oneof field once,
 * repeated fields contiguous and packed, minimal varints, no default-valued scalars.
 * Whatever protobuf-c's decoding discards or merges (an earlier copy of a field, an earlier
 * oneof member, with their unknown fields and sizes) therefore cannot ride along, and the
 * bounds checked on the decoded tree hold for every input byte. */
static int check_canonical(const pb_proof *p, const uint8_t *proof, size_t proof_len, char *err,
                           size_t err_len)
{
    size_t at;
    if (proof_len <= CANON_STACK) {
        uint8_t buf[CANON_STACK];
        size_t n = protobuf_c_message_get_packed_size(&p->base);
        if (n != proof_len) {
            at = n < proof_len ? n : proof_len; /* where one of them ends */
        } else {
            protobuf_c_message_pack(&p->base, buf); /* n bytes, n <= CANON_STACK */
            if (memcmp(buf, proof, n) == 0)
                return CW_OK;
            for (at = 0; buf[at] == proof[at]; at++)
                ;
        }
    } else {
        struct cmp_buf c = {.base = {.append = cmp_append}, .want = proof, .len = proof_len};
        protobuf_c_message_pack_to_buffer(&p->base, &c.base);
        if (!c.differs && c.off == proof_len)
            return CW_OK;
        at = c.off;
    }
    return cw_errf(err, err_len, CW_EMALFORMED,
                   "proof: not canonical protobuf (its re-encoding differs from byte %zu on)", at);
}

/* Decode proof bytes into *out using arena a (caller releases it). max bounds proof_len. */
static int decode_proof(struct arena *a, const uint8_t *proof, size_t proof_len, size_t max,
                        pb_proof **out, char *err, size_t err_len)
{
    *out = NULL;
    if (proof_len == 0)
        return cw_errf(err, err_len, CW_EINVAL, "proof: empty");
    if (proof_len > max)
        return cw_errf(err, err_len, CW_ETOOBIG, "proof: %zu bytes exceed the %zu-byte limit",
                       proof_len, max);
    ProtobufCAllocator al = {.alloc = arena_alloc, .free = arena_free, .allocator_data = a};
    pb_proof *p = cw__ics23__commitment_proof__unpack(&al, proof_len, proof);
    if (!p) {
        if (a->over)
            return cw_errf(err, err_len, CW_ETOOBIG,
                           "proof: decoded form exceeds the %u-byte arena limit",
                           CW_ICS23_ARENA_MAX);
        return cw_errf(err, err_len, CW_EMALFORMED, "proof: not a valid CommitmentProof protobuf");
    }
    int rc = check_decoded(p, err, err_len);
    if (rc == CW_OK)
        rc = check_canonical(p, proof, proof_len, err, err_len);
    if (rc == CW_OK)
        *out = p;
    return rc;
}

/* ==== spec checks ====================================================================== */

/* Read a signed zigzag varint (Go binary.ReadVarint). Returns false on EOF or overflow. */
static bool read_varint(const uint8_t **p, const uint8_t *end, int64_t *out)
{
    uint64_t x = 0;
    if (*p < end && **p < 0x80) { /* one-byte fast path (heights, small sizes) */
        x = *(*p)++;
        *out = (int64_t)(x >> 1) ^ -(int64_t)(x & 1);
        return true;
    }
    for (unsigned shift = 0, i = 0; *p < end; shift += 7, i++) {
        uint8_t b = *(*p)++;
        if (i == 9 && b > 1)
            return false; /* overflows 64 bits */
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(x >> 1) ^ -(int64_t)(x & 1);
            return true;
        }
        if (i == 9)
            return false;
    }
    return false;
}

/* §8.3 IAVL: height, size, version varints; layer 0 is the leaf. */
static int check_iavl_op(const ProtobufCBinaryData *prefix, int hash, size_t layer, char *err,
                         size_t err_len)
{
    static const uint8_t none[1];
    const uint8_t *p = prefix->len ? prefix->data : none, *end = p + prefix->len;
    int64_t height, size, version;
    if (!read_varint(&p, end, &height) || !read_varint(&p, end, &size) ||
        !read_varint(&p, end, &version))
        return cw_errf(err, err_len, CW_EBADPROOF,
                       "iavl: prefix does not start with height, size and version varints");
    if (height < 0 || (uint64_t)height < layer)
        return cw_errf(err, err_len, CW_EBADPROOF, "iavl: height %lld below layer %zu",
                       (long long)height, layer);
    if (size < 0 || version < 0)
        return cw_errf(err, err_len, CW_EBADPROOF, "iavl: negative size or version");
    size_t rest = (size_t)(end - p);
    if (layer == 0) {
        if (rest != 0)
            return cw_errf(err, err_len, CW_EBADPROOF,
                           "iavl: %zu trailing bytes after the leaf varints", rest);
        if (height != 0 || size != 1)
            return cw_errf(err, err_len, CW_EBADPROOF,
                           "iavl: leaf height %lld size %lld, want 0 and 1", (long long)height,
                           (long long)size);
    } else {
        if (rest != 1 && rest != 34)
            return cw_errf(err, err_len, CW_EBADPROOF,
                           "iavl: %zu bytes after the varints, want 1 or 34", rest);
        if (hash != CW_ICS23_SHA256)
            return cw_errf(err, err_len, CW_EBADPROOF, "iavl: inner hash must be SHA256");
    }
    return CW_OK;
}

/* §8.3 Tendermint: prefix starts with 0x01; with a suffix, the prefix is exactly 0x01. */
static int check_tendermint_op(const pb_inner *op, char *err, size_t err_len)
{
    if (op->prefix.len == 0 || op->prefix.data[0] != 0x01)
        return cw_errf(err, err_len, CW_EBADPROOF, "tendermint: inner prefix must start with 01");
    if (op->suffix.len > 0 && op->prefix.len != 1)
        return cw_errf(err, err_len, CW_EBADPROOF,
                       "tendermint: inner op with a suffix must have prefix exactly 01");
    return CW_OK;
}

/* Go `LeafOp.CheckAgainstSpec`. */
static int check_leaf(const pb_leaf *leaf, const cw_ics23_spec *spec, char *err, size_t err_len)
{
    const cw_ics23_leaf_spec *ls = &spec->leaf;
    int rc;
    if (spec_loosely_equals(spec, &g_iavl) &&
        (rc = check_iavl_op(&leaf->prefix, leaf->hash, 0, err, err_len)) != CW_OK)
        return cw_err_prefix(err, err_len, rc, "leaf");
    if ((int)leaf->hash != (int)ls->hash)
        return cw_errf(err, err_len, CW_EBADPROOF, "leaf: hash %s, spec wants %s",
                       hash_op_name(leaf->hash), hash_op_name(ls->hash));
    if ((int)leaf->prehash_key != (int)ls->prehash_key)
        return cw_errf(err, err_len, CW_EBADPROOF, "leaf: prehash_key %s, spec wants %s",
                       hash_op_name(leaf->prehash_key), hash_op_name(ls->prehash_key));
    if ((int)leaf->prehash_value != (int)ls->prehash_value)
        return cw_errf(err, err_len, CW_EBADPROOF, "leaf: prehash_value %s, spec wants %s",
                       hash_op_name(leaf->prehash_value), hash_op_name(ls->prehash_value));
    if ((int)leaf->length != (int)ls->length)
        return cw_errf(err, err_len, CW_EBADPROOF, "leaf: length op %d, spec wants %d",
                       (int)leaf->length, (int)ls->length);
    if (!has_prefix(leaf->prefix.data, leaf->prefix.len, ls->prefix, ls->prefix_len))
        return cw_errf(err, err_len, CW_EBADPROOF, "leaf: prefix does not start with the spec's leaf prefix");
    return CW_OK;
}

/* Go getPosition/getPadding/hasPadding/orderFromPadding (§8.4 padding model). */
static int child_position(const cw_ics23_inner_spec *in, size_t branch)
{
    for (size_t i = 0; i < in->child_order_len; i++)
        if ((size_t)in->child_order[i] == branch)
            return (int)i;
    return -1;
}

static bool has_padding(const pb_inner *op, const cw_ics23_inner_spec *in, size_t branch)
{
    int pos = child_position(in, branch);
    if (pos < 0)
        return false;
    size_t cs = (size_t)in->child_size;
    size_t base = (size_t)pos * cs;
    size_t min_p = base + (size_t)in->min_prefix_length;
    size_t max_p = base + (size_t)in->max_prefix_length;
    size_t suffix = (in->child_order_len - 1 - (size_t)pos) * cs;
    return op->prefix.len >= min_p && op->prefix.len <= max_p && op->suffix.len == suffix;
}

/* The branch whose padding op has, or -1 (Go `orderFromPadding`). */
static int order_from_padding(const pb_inner *op, const cw_ics23_inner_spec *in)
{
    for (size_t b = 0; b < in->child_order_len; b++)
        if (has_padding(op, in, b))
            return (int)b;
    return -1;
}

/* Go `InnerOp.CheckAgainstSpec` at `layer` (1 = the op nearest the leaf). */
static int check_inner(const pb_inner *op, const cw_ics23_spec *spec, size_t layer, char *err,
                       size_t err_len)
{
    const cw_ics23_inner_spec *in = &spec->inner;
    int rc;
    if ((int)op->hash != (int)in->hash)
        return cw_errf(err, err_len, CW_EBADPROOF, "hash %s, spec wants %s",
                       hash_op_name(op->hash), hash_op_name(in->hash));
    if (spec_loosely_equals(spec, &g_iavl) &&
        (rc = check_iavl_op(&op->prefix, op->hash, layer, err, err_len)) != CW_OK)
        return rc;
    if (spec_loosely_equals(spec, &g_tendermint) &&
        (rc = check_tendermint_op(op, err, err_len)) != CW_OK)
        return rc;
    if (has_prefix(op->prefix.data, op->prefix.len, spec->leaf.prefix, spec->leaf.prefix_len))
        return cw_errf(err, err_len, CW_EBADPROOF, "prefix starts with the leaf prefix");
    if (op->prefix.len < (size_t)in->min_prefix_length)
        return cw_errf(err, err_len, CW_EBADPROOF, "prefix length %zu below min_prefix_length %d",
                       op->prefix.len, (int)in->min_prefix_length);
    size_t max_left = (in->child_order_len - 1) * (size_t)in->child_size;
    if (op->prefix.len > (size_t)in->max_prefix_length + max_left)
        return cw_errf(err, err_len, CW_EBADPROOF,
                       "prefix length %zu exceeds max_prefix_length %d + %zu sibling bytes",
                       op->prefix.len, (int)in->max_prefix_length, max_left);
    if (op->suffix.len % (size_t)in->child_size != 0)
        return cw_errf(err, err_len, CW_EBADPROOF, "suffix length %zu not a multiple of child_size %d",
                       op->suffix.len, (int)in->child_size);
    return CW_OK;
}

/* A view of an existence proof whose path is an array of InnerOp pointers, so plain and
 * compressed (decompressed through lookup_inners) proofs share one verifier. */
typedef struct exview {
    ProtobufCBinaryData key, value;
    const pb_leaf *leaf;
    size_t n_path;
    const pb_inner *const *path;
} exview;

/* Go `ExistenceProof.CheckAgainstSpec`: leaf, depth bounds, every inner op. */
static int check_existence_spec(const exview *e, const cw_ics23_spec *spec, const char *where,
                                char *err, size_t err_len)
{
    int rc;
    if (!e->leaf)
        return cw_errf(err, err_len, CW_EBADPROOF, "%s: no leaf op", where);
    if ((rc = check_leaf(e->leaf, spec, err, err_len)) != CW_OK)
        return cw_err_prefix(err, err_len, rc, where);
    if (spec->min_depth > 0 && e->n_path < (size_t)spec->min_depth)
        return cw_errf(err, err_len, CW_EBADPROOF, "%s: path of %zu inner ops below min_depth %d",
                       where, e->n_path, (int)spec->min_depth);
    if (e->n_path > (size_t)max_depth_of(spec))
        return cw_errf(err, err_len, CW_EBADPROOF, "%s: path of %zu inner ops exceeds max depth %d",
                       where, e->n_path, (int)max_depth_of(spec));
    for (size_t i = 0; i < e->n_path; i++) {
        if ((rc = check_inner(e->path[i], spec, i + 1, err, err_len)) != CW_OK) {
            char w[80];
            snprintf(w, sizeof w, "%s: inner op %zu", where, i);
            return cw_err_prefix(err, err_len, rc, w);
        }
    }
    return CW_OK;
}

/* ==== existence ======================================================================== */

/* A rule Go lacks (its length bounds admit an op with no sibling, or with siblings on both
 * sides): every inner op must have the padding of exactly one branch — one child slot for
 * the path and child_order_len−1 sibling slots; for a binary tree, exactly one sibling.
 * Kept apart from check_existence_spec so that function stays Go's CheckAgainstSpec (the
 * unit vectors include one structural case that Go accepts and this rule refuses). */
static int check_path_shape(const exview *e, const cw_ics23_spec *spec, const char *where,
                            char *err, size_t err_len)
{
    for (size_t i = 0; i < e->n_path; i++) {
        const pb_inner *op = e->path[i];
        if (order_from_padding(op, &spec->inner) < 0)
            return cw_errf(err, err_len, CW_EBADPROOF,
                           "%s: inner op %zu: prefix %zu / suffix %zu bytes fit no branch "
                           "(not exactly one sibling per step)",
                           where, i, op->prefix.len, op->suffix.len);
    }
    return CW_OK;
}

/* Go `ExistenceProof.calculate`: leaf then every inner op. With a spec, a step whose output
 * is longer than child_size (when child_size >= 32) is refused. out holds MAX_DIGEST. */
static int calc_root(const exview *e, const cw_ics23_spec *spec, uint8_t out[static MAX_DIGEST],
                     size_t *out_len, digest_buf *key_digest, const char *where, char *err,
                     size_t err_len)
{
    size_t n = 0;
    int rc;
    *out_len = 0;
    if (!e->leaf)
        return cw_errf(err, err_len, CW_EBADPROOF, "%s: no leaf op", where);
    rc = apply_leaf(e->leaf, e->key.data, e->key.len, e->value.data, e->value.len, out, &n,
                    key_digest, err, err_len);
    if (rc != CW_OK)
        return cw_err_prefix(err, err_len, rc, where);
    for (size_t i = 0;; i++) {
        if (spec && spec->inner.child_size >= 32 && n > (size_t)spec->inner.child_size)
            return cw_errf(err, err_len, CW_EBADPROOF, "%s: step %zu output %zu bytes exceeds child_size %d",
                           where, i, n, (int)spec->inner.child_size);
        if (i == e->n_path)
            break;
        uint8_t child[MAX_DIGEST];
        memcpy(child, out, n < MAX_DIGEST ? n : MAX_DIGEST);
        if ((rc = apply_inner(e->path[i], child, n, out, &n, err, err_len)) != CW_OK) {
            char w[80];
            snprintf(w, sizeof w, "%s: inner op %zu", where, i);
            return cw_err_prefix(err, err_len, rc, w);
        }
    }
    *out_len = n;
    return CW_OK;
}

static bool bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Go `ExistenceProof.Verify`: spec check (+ path shape), key and value equality, root. */
static int verify_existence_d(const exview *e, const cw_ics23_spec *spec,
                              const uint8_t root[32], const uint8_t *key, size_t key_len,
                              const uint8_t *value, size_t value_len, digest_buf *key_digest,
                              const char *where, char *err, size_t err_len)
{
    uint8_t calc[MAX_DIGEST];
    size_t n;
    int rc = check_existence_spec(e, spec, where, err, err_len);
    if (rc == CW_OK)
        rc = check_path_shape(e, spec, where, err, err_len);
    if (rc != CW_OK)
        return rc;
    if (!bytes_eq(key, key_len, e->key.data, e->key.len))
        return cw_errf(err, err_len, CW_EBADPROOF, "%s: proof is for a different key", where);
    if (!bytes_eq(value, value_len, e->value.data, e->value.len))
        return cw_errf(err, err_len, CW_EBADPROOF, "%s: proof is for a different value", where);
    if ((rc = calc_root(e, spec, calc, &n, key_digest, where, err, err_len)) != CW_OK)
        return rc;
    if (n != 32 || memcmp(calc, root, 32) != 0)
        return cw_errf(err, err_len, CW_EBADPROOF, "%s: calculated root does not match the trusted root",
                       where);
    return CW_OK;
}

/* Go `ExistenceProof.Verify` against the spec, key, value and root. */
static int verify_existence(const exview *e, const cw_ics23_spec *spec, const uint8_t root[32],
                            const uint8_t *key, size_t key_len, const uint8_t *value,
                            size_t value_len, const char *where, char *err, size_t err_len)
{
    return verify_existence_d(e, spec, root, key, key_len, value, value_len, NULL, where, err,
                              err_len);
}

static void exview_of(exview *v, const pb_exist *e)
{
    v->key = e->key;
    v->value = e->value;
    v->leaf = e->leaf;
    v->n_path = e->n_path;
    v->path = (const pb_inner *const *)e->path;
}

/* Decompress: buf must hold CW_ICS23_PATH_MAX pointers; indices were range-checked. */
static void exview_of_compressed(exview *v, const Cw__Ics23__CompressedExistenceProof *e,
                                 const Cw__Ics23__CompressedBatchProof *b,
                                 const pb_inner **buf)
{
    v->key = e->key;
    v->value = e->value;
    v->leaf = e->leaf;
    v->n_path = e->n_path;
    for (size_t i = 0; i < e->n_path; i++)
        buf[i] = b->lookup_inners[e->path[i]];
    v->path = buf;
}

/* ==== non-existence ==================================================================== */

/* Go `leftBranchesAreEmpty`: op sits at a branch > 0 and every left sibling slot (in the
 * prefix) holds empty_child. */
static bool left_branches_empty(const pb_inner *op, const cw_ics23_inner_spec *in)
{
    int idx = order_from_padding(op, in);
    if (idx <= 0 || in->empty_child_len == 0)
        return false;
    size_t cs = (size_t)in->child_size, left = (size_t)idx;
    if (op->prefix.len < left * cs)
        return false;
    size_t actual = op->prefix.len - left * cs;
    for (size_t i = 0; i < left; i++) {
        int pos = child_position(in, i);
        if (pos < 0)
            return false;
        size_t from = actual + (size_t)pos * cs;
        if (from + cs > op->prefix.len ||
            !bytes_eq(in->empty_child, in->empty_child_len, op->prefix.data + from, cs))
            return false;
    }
    return true;
}

/* Go `rightBranchesAreEmpty`: symmetric, the siblings are in the suffix. */
static bool right_branches_empty(const pb_inner *op, const cw_ics23_inner_spec *in)
{
    int idx = order_from_padding(op, in);
    if (idx < 0 || in->empty_child_len == 0)
        return false;
    size_t cs = (size_t)in->child_size;
    size_t right = in->child_order_len - 1 - (size_t)idx;
    if (right == 0 || op->suffix.len != right * cs)
        return false;
    for (size_t i = 0; i < right; i++) {
        int pos = child_position(in, i);
        if (pos < 0)
            return false;
        size_t from = (size_t)pos * cs;
        if (from + cs > op->suffix.len ||
            !bytes_eq(in->empty_child, in->empty_child_len, op->suffix.data + from, cs))
            return false;
    }
    return true;
}

/* Go `IsLeftMost` / `IsRightMost` over path[0..n). */
static bool is_left_most(const pb_inner *const *path, size_t n, const cw_ics23_inner_spec *in)
{
    for (size_t i = 0; i < n; i++)
        if (!has_padding(path[i], in, 0) && !left_branches_empty(path[i], in))
            return false;
    return true;
}

static bool is_right_most(const pb_inner *const *path, size_t n, const cw_ics23_inner_spec *in)
{
    size_t last = in->child_order_len - 1;
    for (size_t i = 0; i < n; i++)
        if (!has_padding(path[i], in, last) && !right_branches_empty(path[i], in))
            return false;
    return true;
}

/* Go `IsLeftNeighbor`: drop the common ops from the root end; the first differing ops must
 * be adjacent branches; below them the left path is right-most, the right path left-most.
 * (Go indexes out of range when one path is a suffix of the other; that is a `false`.) */
static bool is_left_neighbor(const exview *l, const exview *r, const cw_ics23_inner_spec *in)
{
    size_t nl = l->n_path, nr = r->n_path;
    while (nl > 0 && nr > 0) {
        const pb_inner *a = l->path[nl - 1], *b = r->path[nr - 1];
        if (!bytes_eq(a->prefix.data, a->prefix.len, b->prefix.data, b->prefix.len) ||
            !bytes_eq(a->suffix.data, a->suffix.len, b->suffix.data, b->suffix.len))
            break;
        nl--;
        nr--;
    }
    if (nl == 0 || nr == 0)
        return false;
    int li = order_from_padding(l->path[nl - 1], in);
    int ri = order_from_padding(r->path[nr - 1], in);
    if (li < 0 || ri < 0 || ri != li + 1)
        return false;
    return is_right_most(l->path, nl - 1, in) && is_left_most(r->path, nr - 1, in);
}

/* Go `keyForComparison`: the key itself, or prehash_key(key) when the spec says so. */
static int comparison_key(const cw_ics23_spec *spec, const uint8_t *key, size_t len,
                          uint8_t buf[static MAX_DIGEST], cw_bytes *out, char *err, size_t err_len)
{
    if (!spec->prehash_key_before_comparison) {
        out->p = key;
        out->len = len;
        return CW_OK;
    }
    return prehash(spec->leaf.prehash_key, key, len, buf, out, err, err_len);
}

/* keyForComparison of a neighbour that verify_existence_d just verified: its leaf op equals
 * the spec's (check_existence_spec), so when the spec compares prehashed keys, digest already
 * holds prehash_key(neighbour key) from the leaf computation — the key is hashed once. */
static void neighbour_key(const cw_ics23_spec *spec, const exview *e, const digest_buf *digest,
                          cw_bytes *out)
{
    if (!spec->prehash_key_before_comparison || digest->len == 0) {
        out->p = e->key.data; /* compared as is, or the prehash is the identity */
        out->len = e->key.len;
        return;
    }
    out->p = digest->d;
    out->len = digest->len;
}

/* Unsigned lexicographic order, a proper prefix first (Go bytes.Compare). */
static int bytes_cmp(cw_bytes a, cw_bytes b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
}

/* Go `NonExistenceProof.Verify` (§8.4). left/right may be NULL (absent). */
static int verify_nonexistence(const exview *left, const exview *right,
                               const cw_ics23_spec *spec, const uint8_t root[32],
                               const uint8_t *key, size_t key_len, char *err, size_t err_len)
{
    static const char where[] = "nonexist";
    const char *w;
    uint8_t hq[MAX_DIGEST];
    digest_buf hn = {.len = 0};
    cw_bytes q, nk;
    int rc;
    if (!left && !right)
        return cw_errf(err, err_len, CW_EBADPROOF, "%s: neither left nor right neighbour present",
                       where);
    if ((rc = comparison_key(spec, key, key_len, hq, &q, err, err_len)) != CW_OK)
        return cw_err_prefix(err, err_len, rc, where);
    if (left) {
        w = "nonexist: left";
        if ((rc = verify_existence_d(left, spec, root, left->key.data, left->key.len,
                                     left->value.data, left->value.len, &hn, w, err, err_len)) !=
            CW_OK)
            return rc;
        neighbour_key(spec, left, &hn, &nk);
        if (bytes_cmp(q, nk) <= 0)
            return cw_errf(err, err_len, CW_EBADPROOF, "%s: key is not above the left neighbour's key",
                           where);
    }
    if (right) {
        w = "nonexist: right";
        hn.len = 0;
        if ((rc = verify_existence_d(right, spec, root, right->key.data, right->key.len,
                                     right->value.data, right->value.len, &hn, w, err, err_len)) !=
            CW_OK)
            return rc;
        neighbour_key(spec, right, &hn, &nk);
        if (bytes_cmp(q, nk) >= 0)
            return cw_errf(err, err_len, CW_EBADPROOF, "%s: key is not below the right neighbour's key",
                           where);
    }
    if (!left) {
        if (!is_left_most(right->path, right->n_path, &spec->inner))
            return cw_errf(err, err_len, CW_EBADPROOF,
                           "%s: no left neighbour, but the right neighbour's path is not left-most",
                           where);
    } else if (!right) {
        if (!is_right_most(left->path, left->n_path, &spec->inner))
            return cw_errf(err, err_len, CW_EBADPROOF,
                           "%s: no right neighbour, but the left neighbour's path is not right-most",
                           where);
    } else if (!is_left_neighbor(left, right, &spec->inner)) {
        return cw_errf(err, err_len, CW_EBADPROOF, "%s: left and right neighbours are not adjacent",
                       where);
    }
    return CW_OK;
}

/* ==== public API ======================================================================= */

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* Argument checks shared by every entry point. */
static int check_args(const cw_ics23_spec *spec, const uint8_t *root, const uint8_t *proof,
                      size_t proof_len, char *err, size_t err_len)
{
    if (!spec || !root || (!proof && proof_len))
        return cw_errf(err, err_len, CW_EINVAL, "NULL spec, root or proof");
    int rc = cw_ics23_spec_validate(spec, err, err_len);
    if (rc != CW_OK)
        return rc;
    if (all_zero(root, 32))
        return cw_errf(err, err_len, CW_EINVAL, "root: empty (all zero)");
    if (proof_len == 0)
        return cw_errf(err, err_len, CW_EINVAL, "proof: empty");
    return CW_OK;
}

static int check_key(const uint8_t *key, size_t key_len, char *err, size_t err_len)
{
    if (!key || key_len == 0)
        return cw_errf(err, err_len, CW_EINVAL, "key: empty");
    if (key_len > CW_ICS23_KEY_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "key: %zu bytes exceed %u", key_len,
                       CW_ICS23_KEY_MAX);
    return CW_OK;
}

static int check_value(const uint8_t *value, size_t value_len, char *err, size_t err_len)
{
    if (!value || value_len == 0)
        return cw_errf(err, err_len, CW_EINVAL, "value: empty");
    if (value_len > CW_ICS23_VALUE_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "value: %zu bytes exceed %u", value_len,
                       CW_ICS23_VALUE_MAX);
    return CW_OK;
}

/* Batch: find the entry for one item and verify it. `exist` selects membership. */
static int verify_batch_item(const pb_proof *p, const cw_ics23_spec *spec,
                             const uint8_t root[32], const cw_ics23_item *it, bool exist,
                             char *err, size_t err_len)
{
    const pb_inner *bl[CW_ICS23_PATH_MAX], *br[CW_ICS23_PATH_MAX];
    uint8_t hq[MAX_DIGEST], hn[MAX_DIGEST];
    cw_bytes q = {NULL, 0}, nk;
    exview l, r;
    int rc;
    if (!exist && (rc = comparison_key(spec, it->key, it->key_len, hq, &q, err, err_len)) != CW_OK)
        return rc;
    bool compressed = p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_COMPRESSED;
    size_t n = compressed ? p->compressed->n_entries : p->batch->n_entries;
    for (size_t i = 0; i < n; i++) {
        bool have_l = false, have_r = false;
        if (exist) {
            if (compressed) {
                const Cw__Ics23__CompressedBatchEntry *e = p->compressed->entries[i];
                if (e->proof_case != CW__ICS23__COMPRESSED_BATCH_ENTRY__PROOF_EXIST)
                    continue;
                exview_of_compressed(&l, e->exist, p->compressed, bl);
            } else {
                const Cw__Ics23__BatchEntry *e = p->batch->entries[i];
                if (e->proof_case != CW__ICS23__BATCH_ENTRY__PROOF_EXIST)
                    continue;
                exview_of(&l, e->exist);
            }
            if (!bytes_eq(l.key.data, l.key.len, it->key, it->key_len))
                continue;
            return verify_existence(&l, spec, root, it->key, it->key_len, it->value,
                                    it->value_len, "exist", err, err_len);
        }
        if (compressed) {
            const Cw__Ics23__CompressedBatchEntry *e = p->compressed->entries[i];
            if (e->proof_case != CW__ICS23__COMPRESSED_BATCH_ENTRY__PROOF_NONEXIST)
                continue;
            if ((have_l = e->nonexist->left != NULL))
                exview_of_compressed(&l, e->nonexist->left, p->compressed, bl);
            if ((have_r = e->nonexist->right != NULL))
                exview_of_compressed(&r, e->nonexist->right, p->compressed, br);
        } else {
            const Cw__Ics23__BatchEntry *e = p->batch->entries[i];
            if (e->proof_case != CW__ICS23__BATCH_ENTRY__PROOF_NONEXIST)
                continue;
            if ((have_l = e->nonexist->left != NULL))
                exview_of(&l, e->nonexist->left);
            if ((have_r = e->nonexist->right != NULL))
                exview_of(&r, e->nonexist->right);
        }
        if (have_l) {
            if ((rc = comparison_key(spec, l.key.data, l.key.len, hn, &nk, err, err_len)) != CW_OK)
                return rc;
            if (bytes_cmp(nk, q) >= 0)
                continue;
        }
        if (have_r) {
            if ((rc = comparison_key(spec, r.key.data, r.key.len, hn, &nk, err, err_len)) != CW_OK)
                return rc;
            if (bytes_cmp(nk, q) <= 0)
                continue;
        }
        return verify_nonexistence(have_l ? &l : NULL, have_r ? &r : NULL, spec, root, it->key,
                                   it->key_len, err, err_len);
    }
    return cw_errf(err, err_len, CW_EBADPROOF, "no batch entry for this key");
}


/* Which CommitmentProof variants a caller accepts. */
enum form { FORM_SINGLE, FORM_BATCH, FORM_ANY };

static bool is_single_variant(const pb_proof *p)
{
    return p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST ||
           p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_NONEXIST;
}

/* A single (exist / nonexist) proof for one key. */
static int verify_single(const pb_proof *p, const cw_ics23_spec *spec, const uint8_t root[32],
                         const cw_ics23_item *it, bool exist, char *err, size_t err_len)
{
    exview l, r;
    if (exist) {
        if (p->proof_case != CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST)
            return cw_errf(err, err_len, CW_EMALFORMED,
                           "proof: membership needs the exist variant (got variant %d)",
                           (int)p->proof_case);
        exview_of(&l, p->exist);
        return verify_existence(&l, spec, root, it->key, it->key_len, it->value, it->value_len,
                                "exist", err, err_len);
    }
    if (p->proof_case != CW__ICS23__COMMITMENT_PROOF__PROOF_NONEXIST)
        return cw_errf(err, err_len, CW_EMALFORMED,
                       "proof: non-membership needs the nonexist variant (got variant %d)",
                       (int)p->proof_case);
    if (p->nonexist->left)
        exview_of(&l, p->nonexist->left);
    if (p->nonexist->right)
        exview_of(&r, p->nonexist->right);
    return verify_nonexistence(p->nonexist->left ? &l : NULL, p->nonexist->right ? &r : NULL,
                               spec, root, it->key, it->key_len, err, err_len);
}

/* Every public entry point: check the arguments, decode (canonical bytes only) once, and
 * verify the variant `form` allows. `exist` selects membership (values checked). Errors
 * about an item carry "item I: " only in batch form (a single proof has one key). */
static int verify_proof(const cw_ics23_spec *spec, const uint8_t root32[32],
                        const uint8_t *proof, size_t proof_len, const cw_ics23_item *items,
                        size_t n_items, bool exist, enum form form, char *err, size_t err_len)
{
    _Alignas(16) uint8_t stack[STACK_ARENA];
    struct arena a;
    pb_proof *p;
    char w[40];
    int rc;
    if ((rc = check_args(spec, root32, proof, proof_len, err, err_len)) != CW_OK)
        return rc;
    if (!items || n_items == 0)
        return cw_errf(err, err_len, CW_EINVAL, "batch: no items");
    for (size_t i = 0; i < n_items; i++) {
        if ((rc = check_key(items[i].key, items[i].key_len, err, err_len)) != CW_OK ||
            (exist && (rc = check_value(items[i].value, items[i].value_len, err, err_len)) !=
                          CW_OK)) {
            if (form != FORM_BATCH)
                return rc;
            snprintf(w, sizeof w, "item %zu", i);
            return cw_err_prefix(err, err_len, rc, w);
        }
    }
    arena_init(&a, stack, sizeof stack);
    rc = decode_proof(&a, proof, proof_len,
                      form == FORM_SINGLE ? CW_ICS23_PROOF_MAX : CW_ICS23_BATCH_PROOF_MAX, &p, err,
                      err_len);
    if (rc != CW_OK)
        goto out;
    bool single = is_single_variant(p);
    if (form == FORM_ANY && single && proof_len > CW_ICS23_PROOF_MAX) {
        rc = cw_errf(err, err_len, CW_ETOOBIG, "proof: %zu bytes exceed the %u-byte limit",
                     proof_len, CW_ICS23_PROOF_MAX);
        goto out;
    }
    if (form == FORM_SINGLE || (form == FORM_ANY && single)) {
        rc = verify_single(p, spec, root32, &items[0], exist, err, err_len);
        goto out;
    }
    if (single) {
        rc = cw_errf(err, err_len, CW_EMALFORMED,
                     "proof: batch verification needs the batch or compressed variant (got %d)",
                     (int)p->proof_case);
        goto out;
    }
    for (size_t i = 0; i < n_items; i++) {
        if ((rc = verify_batch_item(p, spec, root32, &items[i], exist, err, err_len)) != CW_OK) {
            if (form == FORM_BATCH) {
                snprintf(w, sizeof w, "item %zu", i);
                cw_err_prefix(err, err_len, rc, w);
            }
            goto out;
        }
    }
out:
    arena_release(&a);
    return rc;
}

int cw_ics23_verify_membership(const cw_ics23_spec *spec, const uint8_t root32[static 32],
                               const uint8_t *proof, size_t proof_len, const uint8_t *key,
                               size_t key_len, const uint8_t *value, size_t value_len,
                               char *err, size_t err_len)
{
    cw_ics23_item it = {key, key_len, value, value_len};
    return verify_proof(spec, root32, proof, proof_len, &it, 1, true, FORM_SINGLE, err,
                        err_len);
}

int cw_ics23_verify_non_membership(const cw_ics23_spec *spec, const uint8_t root32[static 32],
                                   const uint8_t *proof, size_t proof_len, const uint8_t *key,
                                   size_t key_len, char *err, size_t err_len)
{
    cw_ics23_item it = {key, key_len, NULL, 0};
    return verify_proof(spec, root32, proof, proof_len, &it, 1, false, FORM_SINGLE, err,
                        err_len);
}

int cw_ics23_verify_batch_membership(const cw_ics23_spec *spec, const uint8_t root32[static 32],
                                     const uint8_t *proof, size_t proof_len,
                                     const cw_ics23_item *items, size_t n_items, char *err,
                                     size_t err_len)
{
    return verify_proof(spec, root32, proof, proof_len, items, n_items, true, FORM_BATCH, err,
                        err_len);
}

int cw_ics23_verify_batch_non_membership(const cw_ics23_spec *spec,
                                         const uint8_t root32[static 32], const uint8_t *proof,
                                         size_t proof_len, const cw_ics23_item *items,
                                         size_t n_items, char *err, size_t err_len)
{
    return verify_proof(spec, root32, proof, proof_len, items, n_items, false, FORM_BATCH, err,
                        err_len);
}

int cw_ics23_verify_any(const cw_ics23_spec *spec, const uint8_t root32[static 32],
                        const uint8_t *proof, size_t proof_len, bool membership,
                        const uint8_t *key, size_t key_len, const uint8_t *value,
                        size_t value_len, char *err, size_t err_len)
{
    cw_ics23_item it = {key, key_len, membership ? value : NULL, membership ? value_len : 0};
    return verify_proof(spec, root32, proof, proof_len, &it, 1, membership, FORM_ANY, err,
                        err_len);
}
