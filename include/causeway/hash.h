/* Causeway — hashing (DESIGN §4) over OpenSSL libcrypto.
 *
 * SHA-256 one-shot, over several parts, and incremental; BIP-340 tagged hashes
 * tagged_hash(tag, m) = SHA256(SHA256(tag) || SHA256(tag) || m).
 * Nothing here allocates or can fail (OpenSSL's SHA-256 on a caller-owned context; see
 * common/hash.c for why not EVP). All functions are thread-safe; a cw_sha256_ctx must not
 * be shared between threads without the caller's locking.
 */
#ifndef CAUSEWAY_HASH_H
#define CAUSEWAY_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"

#define CW_SHA256_LEN 32

/* Tags used for everything that is signed (DESIGN §4). */
#define CW_TAG_VOTE "causeway/vote"
#define CW_TAG_TX "causeway/tx"

/** A byte range, for hashing several parts without copying them together. */
typedef struct cw_bytes {
    const uint8_t *p; /* may be NULL when len == 0; borrowed for the call only */
    size_t len;
} cw_bytes;

/** SHA-256 of data[0..len) (data may be NULL when len == 0). out receives 32 bytes.
 *  Source: FIPS 180-4. */
void cw_sha256(uint8_t out[static 32], const void *data, size_t len) CW_NONNULL(1);

/** SHA-256 of the concatenation parts[0] || … || parts[n-1]. */
void cw_sha256_parts(uint8_t out[static 32], const cw_bytes *parts, size_t n) CW_NONNULL(1);

/** Incremental SHA-256: the state lives in the struct (caller-owned, no allocation). */
typedef struct cw_sha256_ctx {
    _Alignas(8) unsigned char state[128]; /* OpenSSL's SHA256_CTX (112 bytes), opaque */
} cw_sha256_ctx;

/** Starts a digest in c. Returns: CW_OK always (the int is kept for API stability). */
int cw_sha256_init(cw_sha256_ctx *c) CW_NONNULL(1) CW_WARN_UNUSED;
void cw_sha256_update(cw_sha256_ctx *c, const void *data, size_t len) CW_NONNULL(1);
/** Writes the digest into out; c may then be initialised again. */
void cw_sha256_final(cw_sha256_ctx *c, uint8_t out[static 32]) CW_NONNULL(1, 2);
/** Drops an unfinished digest (wipes the state). Accepts NULL, a zeroed or finished context. */
void cw_sha256_abandon(cw_sha256_ctx *c);

/** BIP-340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || msg). tag is a NUL-terminated
 *  ASCII string (CW_TAG_VOTE, CW_TAG_TX, or BIP-340's own tags in tests).
 *  Source: BIP-340, "Design: tagged hashes". */
void cw_tagged_hash(uint8_t out[static 32], const char *tag, const void *msg, size_t msg_len)
    CW_NONNULL(1, 2);

#endif
