#include "causeway/hash.h"

#include <string.h>

/* The SHA-256 of OpenSSL's low-level interface (SHA256_Init/Update/Final on a caller-owned
 * SHA256_CTX) is deprecated in OpenSSL 3.0 in favour of EVP, but it is the same
 * implementation (the same assembly block function, SHA-NI where the CPU has it) without
 * EVP's provider dispatch: EVP_DigestInit_ex2 frees and allocates the provider's context on
 * every init, which made a one-block hash ~70 ns against ~46 ns here (measured on the
 * 2-core EPYC of docs/DESIGN.md §12; ICS-23 verification and the SMT are dominated by such
 * hashes). Nothing here allocates, so every function is thread-safe and cannot fail. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((cw_sha256_ctx *)0)->state),
               "cw_sha256_ctx too small for SHA256_CTX");
_Static_assert(_Alignof(SHA256_CTX) <= _Alignof(cw_sha256_ctx),
               "cw_sha256_ctx under-aligned for SHA256_CTX");

void cw_sha256(uint8_t out[static 32], const void *data, size_t len)
{
    SHA256_CTX c;
    SHA256_Init(&c);
    if (len)
        SHA256_Update(&c, data, len);
    SHA256_Final(out, &c);
}

void cw_sha256_parts(uint8_t out[static 32], const cw_bytes *parts, size_t n)
{
    SHA256_CTX c;
    SHA256_Init(&c);
    for (size_t i = 0; i < n; i++)
        if (parts[i].len)
            SHA256_Update(&c, parts[i].p, parts[i].len);
    SHA256_Final(out, &c);
}

int cw_sha256_init(cw_sha256_ctx *c)
{
    SHA256_Init((SHA256_CTX *)(void *)c->state);
    return CW_OK;
}

void cw_sha256_update(cw_sha256_ctx *c, const void *data, size_t len)
{
    if (len)
        SHA256_Update((SHA256_CTX *)(void *)c->state, data, len);
}

void cw_sha256_final(cw_sha256_ctx *c, uint8_t out[static 32])
{
    SHA256_Final(out, (SHA256_CTX *)(void *)c->state);
}

void cw_sha256_abandon(cw_sha256_ctx *c)
{
    if (c)
        memset(c->state, 0, sizeof c->state);
}

void cw_tagged_hash(uint8_t out[static 32], const char *tag, const void *msg, size_t msg_len)
{
    uint8_t th[32];
    cw_sha256(th, tag, strlen(tag));
    cw_bytes parts[3] = {{th, 32}, {th, 32}, {msg, msg_len}};
    cw_sha256_parts(out, parts, 3);
}
