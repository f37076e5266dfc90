#include "causeway/hash.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* OpenSSL 3 fetches an algorithm implementation on every EVP_sha256() use unless the
 * caller fetches it once; and EVP_Digest allocates a context per call. We fetch once per
 * process and keep one context per thread (freed by the key destructor at thread exit). */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static EVP_MD *g_sha256;
static pthread_key_t g_ctx_key;

static void free_ctx(void *p) { EVP_MD_CTX_free(p); }

static void init_once(void)
{
    g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!g_sha256 || pthread_key_create(&g_ctx_key, free_ctx) != 0)
        abort(); /* libcrypto unusable: a system failure, not an input error */
}

static const EVP_MD *sha256_md(void)
{
    pthread_once(&g_once, init_once);
    return g_sha256;
}

static EVP_MD_CTX *thread_ctx(void)
{
    const EVP_MD *md = sha256_md();
    EVP_MD_CTX *c = pthread_getspecific(g_ctx_key);
    if (!c) {
        c = EVP_MD_CTX_new();
        if (!c || pthread_setspecific(g_ctx_key, c) != 0)
            abort();
    }
    if (EVP_DigestInit_ex2(c, md, NULL) != 1)
        abort();
    return c;
}

static void finish(EVP_MD_CTX *c, uint8_t out[static 32])
{
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(c, out, &n) != 1 || n != 32)
        abort();
}

void cw_sha256(uint8_t out[static 32], const void *data, size_t len)
{
    EVP_MD_CTX *c = thread_ctx();
    if (len && EVP_DigestUpdate(c, data, len) != 1)
        abort();
    finish(c, out);
}

void cw_sha256_parts(uint8_t out[static 32], const cw_bytes *parts, size_t n)
{
    EVP_MD_CTX *c = thread_ctx();
    for (size_t i = 0; i < n; i++)
        if (parts[i].len && EVP_DigestUpdate(c, parts[i].p, parts[i].len) != 1)
            abort();
    finish(c, out);
}

int cw_sha256_init(cw_sha256_ctx *c)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    c->md = NULL;
    if (!m)
        return -ENOMEM;
    if (EVP_DigestInit_ex2(m, sha256_md(), NULL) != 1) {
        EVP_MD_CTX_free(m);
        return -ENOMEM;
    }
    c->md = m;
    return CW_OK;
}

void cw_sha256_update(cw_sha256_ctx *c, const void *data, size_t len)
{
    if (len && EVP_DigestUpdate(c->md, data, len) != 1)
        abort();
}

void cw_sha256_final(cw_sha256_ctx *c, uint8_t out[static 32])
{
    finish(c->md, out);
    EVP_MD_CTX_free(c->md);
    c->md = NULL;
}

void cw_sha256_abandon(cw_sha256_ctx *c)
{
    if (!c)
        return;
    EVP_MD_CTX_free(c->md);
    c->md = NULL;
}

void cw_tagged_hash(uint8_t out[static 32], const char *tag, const void *msg, size_t msg_len)
{
    uint8_t th[32];
    cw_sha256(th, tag, strlen(tag));
    cw_bytes parts[3] = {{th, 32}, {th, 32}, {msg, msg_len}};
    cw_sha256_parts(out, parts, 3);
}
