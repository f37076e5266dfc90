/* Causeway — BIP-340 Schnorr keys and signatures over secp256k1, via libsecp256k1
 * (schnorrsig + extrakeys modules). DESIGN §4.
 *
 * Public keys are 32-byte x-only keys; signatures are 64 bytes; messages are 32-byte
 * digests (a tagged hash of the signed bytes). A key is parsed once into cw_pubkey and then
 * verified against many times (a validator set keeps its keys parsed).
 * Secrets are wiped on every path that drops them and never logged.
 * All functions are thread-safe: they share one randomized signing context created on first
 * use and libsecp256k1's static context for verification.
 */
#ifndef CAUSEWAY_SCHNORR_H
#define CAUSEWAY_SCHNORR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"

/** A secret key: 32 bytes, a scalar in [1, n-1]. Wipe with cw_seckey_wipe. */
typedef struct cw_seckey {
    uint8_t b[32];
} cw_seckey;

/** A serialized x-only public key (BIP-340). */
typedef struct cw_pubkey32 {
    uint8_t b[32];
} cw_pubkey32;

/** A parsed public key, ready for verification (libsecp256k1's secp256k1_xonly_pubkey,
 *  64 opaque bytes). Obtain with cw_pubkey_parse. */
typedef struct cw_pubkey {
    unsigned char data[64];
} cw_pubkey;

/** A signature: 64 bytes (R.x || s). */
typedef struct cw_sig64 {
    uint8_t b[64];
} cw_sig64;

/** Generate a secret key from getrandom(2) and derive its x-only public key.
 *  Returns: CW_OK; -errno if getrandom fails. On failure both outputs are zeroed. */
int cw_key_generate(cw_seckey *sk, cw_pubkey32 *pk) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Derive the x-only public key of sk.
 *  Returns: CW_OK; CW_EINVAL sk is zero or ≥ the group order (pk zeroed). */
int cw_key_public(cw_pubkey32 *pk, const cw_seckey *sk) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Parse a 32-byte x-only key (once; then verify many times).
 *  Returns: CW_OK; CW_EINVAL not the x coordinate of a curve point (out zeroed).
 *  Source: BIP-340 lift_x. */
int cw_pubkey_parse(cw_pubkey *out, const cw_pubkey32 *pk) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** A secret key prepared for signing many messages: libsecp256k1's secp256k1_keypair (96
 *  opaque bytes: the secret scalar and its public point) and the x-only public key, derived
 *  once by cw_signer_init so that a signature costs no key derivation (cw_schnorr_sign
 *  derives the keypair on every call). Holds the secret: wipe with cw_signer_wipe. */
typedef struct cw_signer {
    unsigned char keypair[96];
    cw_pubkey32 pk;
} cw_signer;

/** Prepare sk for signing (secp256k1_keypair_create; one point multiplication).
 *  Returns: CW_OK; CW_EINVAL sk is zero or >= the group order (*s wiped). */
int cw_signer_init(cw_signer *s, const cw_seckey *sk) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** BIP-340 sign msg32 with a signer made by cw_signer_init: as cw_schnorr_sign (aux32,
 *  the check of the result, here against s->pk: the key a tx carries), without deriving
 *  the key. s must come from cw_signer_init; a wiped (all-zero) signer is refused.
 *  Returns: CW_OK; CW_EINVAL a wiped signer, or the check failed; -errno getrandom
 *  failed. sig zeroed on failure. s is only read, so one signer may sign from several
 *  threads.
 *  Source: BIP-340 "Default Signing". */
int cw_signer_sign(cw_sig64 *sig, const cw_signer *s, const uint8_t msg32[static 32],
                   const uint8_t *aux32) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Overwrite a signer (its secret included) with zeros (not elided). Accepts NULL. */
void cw_signer_wipe(cw_signer *s);

/** BIP-340 sign msg32 with sk. aux32 is the auxiliary randomness: NULL draws 32 fresh bytes
 *  from getrandom (normal use); tests pass the published vector's aux_rand.
 *  Returns: CW_OK; CW_EINVAL invalid sk; -errno getrandom failed. sig zeroed on failure.
 *  The result is verified before returning (libsecp256k1 signs then we check the signature,
 *  guarding against faults).
 *  Source: BIP-340 "Default Signing". */
int cw_schnorr_sign(cw_sig64 *sig, const cw_seckey *sk, const uint8_t msg32[static 32],
                    const uint8_t *aux32) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** BIP-340 verify sig over msg32 with a parsed key.
 *  Returns: CW_OK valid; CW_EBADSIG invalid.
 *  Source: BIP-340 "Verification". Allocates nothing. */
int cw_schnorr_verify(const cw_pubkey *pk, const cw_sig64 *sig, const uint8_t msg32[static 32])
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Overwrite a secret key with zeros in a way the compiler cannot elide. Accepts NULL. */
void cw_seckey_wipe(cw_seckey *sk);

/** Overwrite n bytes at p with zeros (not elided). */
void cw_wipe(void *p, size_t n);

/** Fill buf with n bytes from getrandom(2). Returns: CW_OK; -errno on failure. */
int cw_random(void *buf, size_t n) CW_NONNULL(1) CW_WARN_UNUSED;

/** An address: the first 20 bytes of SHA256(pubkey32) (DESIGN §4). */
typedef struct cw_address {
    uint8_t b[20];
} cw_address;

void cw_address_of(cw_address *out, const cw_pubkey32 *pk) CW_NONNULL(1, 2);

/** Write a key file at path: JSON {"type":"bip340","public_key":HEX,"secret_key":HEX},
 *  created with O_EXCL and mode 0600, fsynced. Never overwrites an existing file.
 *  Returns: CW_OK; -EEXIST path exists; other -errno on I/O failure (err names path). */
int cw_keyfile_write(const char *path, const cw_seckey *sk, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Read a key file written by cw_keyfile_write; checks that the public key matches.
 *  Returns: CW_OK; -errno cannot open/read (err names path); CW_EMALFORMED bad JSON, field
 *  or hex (err names file and field); CW_EINVAL secret key invalid or public key mismatch.
 *  sk and pk (pk may be NULL) are zeroed on failure; the caller wipes sk after use. */
int cw_keyfile_read(const char *path, cw_seckey *sk, cw_pubkey32 *pk, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

#endif
