/* Causeway — hashing (DESIGN §4) over OpenSSL libcrypto.
 *
 * SHA-256 one-shot, over several parts, and incremental; BIP-340 tagged hashes
 * tagged_hash(tag, m) = SHA256(SHA256(tag) || SHA256(tag) || m).
 * The one-shot forms allocate nothing after the first call in a thread (each thread keeps
 * one EVP_MD_CTX, freed when the thread exits). All functions are thread-safe.
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

/** SHA-256 of data[0..len). out receives 32 bytes. Source: FIPS 180-4.
 *  Aborts only if libcrypto itself fails (out of memory on the thread's first call): a
 *  programmer/system error, not an input error. */
void cw_sha256(uint8_t out[static 32], const void *data, size_t len) CW_NONNULL(1);

/** SHA-256 of the concatenation parts[0] || … || parts[n-1]. */
void cw_sha256_parts(uint8_t out[static 32], const cw_bytes *parts, size_t n) CW_NONNULL(1);

/** Incremental SHA-256. Init allocates one EVP_MD_CTX; final (or abandon) frees it. */
typedef struct cw_sha256_ctx {
    void *md; /* EVP_MD_CTX *, owned */
} cw_sha256_ctx;

/** Returns: CW_OK; -ENOMEM if the context cannot be allocated. */
int cw_sha256_init(cw_sha256_ctx *c) CW_NONNULL(1) CW_WARN_UNUSED;
void cw_sha256_update(cw_sha256_ctx *c, const void *data, size_t len) CW_NONNULL(1);
/** Writes the digest into out and frees the context (init again to reuse). */
void cw_sha256_final(cw_sha256_ctx *c, uint8_t out[static 32]) CW_NONNULL(1, 2);
/** Frees the context without producing a digest. Accepts a zeroed or finished context. */
void cw_sha256_abandon(cw_sha256_ctx *c);

/** BIP-340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || msg). tag is a NUL-terminated
 *  ASCII string (CW_TAG_VOTE, CW_TAG_TX, or BIP-340's own tags in tests).
 *  Source: BIP-340, "Design: tagged hashes". */
void cw_tagged_hash(uint8_t out[static 32], const char *tag, const void *msg, size_t msg_len)
    CW_NONNULL(1, 2);

#endif
