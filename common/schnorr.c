#include "causeway/schnorr.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "causeway/hash.h"
#include "causeway/hex.h"

_Static_assert(sizeof(cw_pubkey) == sizeof(secp256k1_xonly_pubkey), "cw_pubkey layout");

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static secp256k1_context *g_sign_ctx;

static void init_once(void)
{
    uint8_t seed[32];
    secp256k1_selftest();
    g_sign_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!g_sign_ctx)
        abort(); /* out of memory at start-up: a system failure */
    /* Blinding for side-channel resistance; without entropy the context still works. */
    if (getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed &&
        !secp256k1_context_randomize(g_sign_ctx, seed))
        abort();
    cw_wipe(seed, sizeof seed);
}

static const secp256k1_context *sign_ctx(void)
{
    pthread_once(&g_once, init_once);
    return g_sign_ctx;
}

void cw_wipe(void *p, size_t n)
{
    if (!p)
        return;
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

void cw_seckey_wipe(cw_seckey *sk)
{
    if (sk)
        cw_wipe(sk->b, sizeof sk->b);
}

int cw_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += got;
        n -= (size_t)got;
    }
    return CW_OK;
}

_Static_assert(sizeof(((cw_signer *)0)->keypair) == sizeof(secp256k1_keypair),
               "cw_signer.keypair must hold a secp256k1_keypair");

int cw_signer_init(cw_signer *s, const cw_seckey *sk)
{
    secp256k1_keypair *kp = (secp256k1_keypair *)(void *)s->keypair;
    secp256k1_xonly_pubkey x;
    if (!secp256k1_keypair_create(sign_ctx(), kp, sk->b) ||
        !secp256k1_keypair_xonly_pub(sign_ctx(), &x, NULL, kp) ||
        !secp256k1_xonly_pubkey_serialize(sign_ctx(), s->pk.b, &x)) {
        cw_signer_wipe(s);
        return CW_EINVAL;
    }
    return CW_OK;
}

void cw_signer_wipe(cw_signer *s)
{
    if (s)
        cw_wipe(s, sizeof *s);
}

int cw_key_public(cw_pubkey32 *pk, const cw_seckey *sk)
{
    cw_signer s;
    int rc = cw_signer_init(&s, sk);
    *pk = s.pk; /* zeroed on failure */
    cw_signer_wipe(&s);
    return rc;
}

int cw_key_generate(cw_seckey *sk, cw_pubkey32 *pk)
{
    memset(pk, 0, sizeof *pk);
    for (;;) {
        int rc = cw_random(sk->b, sizeof sk->b);
        if (rc) {
            cw_seckey_wipe(sk);
            return rc;
        }
        /* A 32-byte string is an invalid scalar with probability ~2^-128: draw again. */
        if (cw_key_public(pk, sk) == CW_OK)
            return CW_OK;
    }
}

int cw_pubkey_parse(cw_pubkey *out, const cw_pubkey32 *pk)
{
    if (!secp256k1_xonly_pubkey_parse(secp256k1_context_static,
                                      (secp256k1_xonly_pubkey *)out->data, pk->b)) {
        memset(out, 0, sizeof *out);
        return CW_EINVAL;
    }
    return CW_OK;
}

int cw_schnorr_verify(const cw_pubkey *pk, const cw_sig64 *sig, const uint8_t msg32[static 32])
{
    return secp256k1_schnorrsig_verify(secp256k1_context_static, sig->b, msg32, 32,
                                       (const secp256k1_xonly_pubkey *)pk->data)
               ? CW_OK
               : CW_EBADSIG;
}

int cw_signer_sign(cw_sig64 *sig, const cw_signer *s, const uint8_t msg32[static 32],
                   const uint8_t *aux32)
{
    const secp256k1_keypair *kp = (const secp256k1_keypair *)(const void *)s->keypair;
    static const cw_pubkey32 zero_pk;
    secp256k1_xonly_pubkey x;
    uint8_t aux[32];
    int rc = CW_EINVAL;

    memset(sig, 0, sizeof *sig);
    /* a wiped (or never made) signer: libsecp256k1 would abort on its zero keypair */
    if (memcmp(s->pk.b, zero_pk.b, 32) == 0)
        return CW_EINVAL;
    if (aux32)
        memcpy(aux, aux32, 32);
    else if ((rc = cw_random(aux, sizeof aux)) != CW_OK)
        goto out;
    rc = CW_EINVAL;
    if (!secp256k1_schnorrsig_sign32(sign_ctx(), sig->b, msg32, kp, aux))
        goto out;
    /* the check: the signature verifies under the keypair's key, and that key is s->pk,
     * the one a tx carries beside the signature (a signer whose two halves drifted apart,
     * a memory fault, signs nothing) */
    uint8_t xb[32];
    if (!secp256k1_keypair_xonly_pub(sign_ctx(), &x, NULL, kp) ||
        !secp256k1_xonly_pubkey_serialize(sign_ctx(), xb, &x) ||
        memcmp(xb, s->pk.b, 32) != 0 ||
        !secp256k1_schnorrsig_verify(sign_ctx(), sig->b, msg32, 32, &x))
        goto out;
    rc = CW_OK;
out:
    if (rc)
        memset(sig, 0, sizeof *sig);
    cw_wipe(aux, sizeof aux);
    return rc;
}

int cw_schnorr_sign(cw_sig64 *sig, const cw_seckey *sk, const uint8_t msg32[static 32],
                    const uint8_t *aux32)
{
    cw_signer s;
    int rc = cw_signer_init(&s, sk);
    if (rc == CW_OK)
        rc = cw_signer_sign(sig, &s, msg32, aux32);
    else
        memset(sig, 0, sizeof *sig);
    cw_signer_wipe(&s);
    return rc;
}

void cw_address_of(cw_address *out, const cw_pubkey32 *pk)
{
    uint8_t h[32];
    cw_sha256(h, pk->b, 32);
    memcpy(out->b, h, 20);
}

int cw_keyfile_write(const char *path, const cw_seckey *sk, char *err, size_t err_len)
{
    cw_pubkey32 pk;
    char skhex[65], pkhex[65], *text = NULL;
    int rc, fd = -1;

    if ((rc = cw_key_public(&pk, sk)) != CW_OK)
        return cw_errf(err, err_len, rc, "key file %s: invalid secret key", path);
    cw_hex_encode(skhex, sizeof skhex, sk->b, 32);
    cw_hex_encode(pkhex, sizeof pkhex, pk.b, 32);
    json_t *o = json_pack("{s:s, s:s, s:s}", "type", "bip340", "public_key", pkhex,
                          "secret_key", skhex);
    cw_wipe(skhex, sizeof skhex);
    if (!o)
        return cw_errf(err, err_len, -ENOMEM, "key file %s: out of memory", path);
    text = json_dumps(o, JSON_INDENT(2));
    /* jansson keeps a copy of the secret in the object: wipe it before freeing. */
    json_t *s = json_object_get(o, "secret_key");
    if (s)
        cw_wipe((void *)json_string_value(s), json_string_length(s));
    json_decref(o);
    if (!text)
        return cw_errf(err, err_len, -ENOMEM, "key file %s: out of memory", path);

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        cw_errf(err, err_len, rc, "key file %s: %s", path, strerror(-rc));
        goto out;
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = -errno;
            cw_errf(err, err_len, rc, "key file %s: write: %s", path, strerror(-rc));
            goto out;
        }
        off += (size_t)w;
    }
    if (write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        rc = -errno;
        cw_errf(err, err_len, rc, "key file %s: write: %s", path, strerror(-rc));
        goto out;
    }
    rc = CW_OK;
out:
    if (fd >= 0 && close(fd) != 0 && rc == CW_OK)
        rc = cw_errf(err, err_len, -errno, "key file %s: close: %s", path, strerror(errno));
    if (rc && fd >= 0)
        unlink(path);
    cw_wipe(text, strlen(text));
    free(text);
    return rc;
}

int cw_keyfile_read(const char *path, cw_seckey *sk, cw_pubkey32 *pk, char *err, size_t err_len)
{
    json_error_t jerr;
    cw_pubkey32 derived, stated;
    int rc;

    memset(sk, 0, sizeof *sk);
    if (pk)
        memset(pk, 0, sizeof *pk);
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!o) {
        if (access(path, R_OK) != 0)
            return cw_errf(err, err_len, -errno, "key file %s: %s", path, strerror(errno));
        return cw_errf(err, err_len, CW_EMALFORMED, "key file %s: line %d: %s", path, jerr.line,
                       jerr.text);
    }
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *skh = json_string_value(json_object_get(o, "secret_key"));
    const char *pkh = json_string_value(json_object_get(o, "public_key"));
    char e[128];
    if (!type || strcmp(type, "bip340") != 0) {
        rc = cw_errf(err, err_len, CW_EMALFORMED, "key file %s: field type: expected \"bip340\"",
                     path);
    } else if (!skh || cw_hex_decode_exact(sk->b, 32, skh, e, sizeof e) != CW_OK) {
        rc = cw_errf(err, err_len, CW_EMALFORMED,
                     "key file %s: field secret_key: expected 64 hex characters", path);
    } else if (!pkh || cw_hex_decode_exact(stated.b, 32, pkh, e, sizeof e) != CW_OK) {
        rc = cw_errf(err, err_len, CW_EMALFORMED,
                     "key file %s: field public_key: expected 64 hex characters", path);
    } else if (cw_key_public(&derived, sk) != CW_OK) {
        rc = cw_errf(err, err_len, CW_EINVAL, "key file %s: field secret_key: not a valid key",
                     path);
    } else if (memcmp(derived.b, stated.b, 32) != 0) {
        rc = cw_errf(err, err_len, CW_EINVAL,
                     "key file %s: field public_key: does not match the secret key", path);
    } else {
        rc = CW_OK;
        if (pk)
            *pk = derived;
    }
    if (skh)
        cw_wipe((void *)skh, strlen(skh));
    json_decref(o);
    if (rc)
        cw_seckey_wipe(sk);
    return rc;
}
