/* Causeway — transactions (DESIGN §5): body, envelope, signing, hashing.
 *
 *   TxBody     = [chain_id(str id), signer_pubkey(bin 32, x-only), nonce(u64),
 *                 gas_limit(u64, 1..CW_GAS_TX_MAX), msgs(array of Msg, 1..CW_TX_MAX_MSGS),
 *                 memo(str, ≤ CW_TX_MEMO_MAX)]
 *   TxEnvelope = [body, signature(bin 64)]
 *   Msg        = [type(str id, e.g. "bank.send"), body(array; the type's own fields)]
 *
 * The signature is BIP-340 over tagged_hash("causeway/tx", canonical body bytes); the chain
 * id is inside the body, so a tx never verifies on another chain. tx hash = SHA256(envelope).
 * The nonce must equal the signer's next nonce when the tx executes (replay protection;
 * checked by the chain, not here). gas_limit is the most gas the tx may use (causeway/gas.h);
 * it is inside the signed body, so no one but the signer can change it.
 */
#ifndef CAUSEWAY_TX_H
#define CAUSEWAY_TX_H

#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/gas.h"
#include "causeway/hex.h"
#include "causeway/schnorr.h"

#define CW_TX_MAX_BYTES (1u << 20) /* one envelope, bytes */
#define CW_TX_MAX_MSGS 256
#define CW_TX_MEMO_MAX 256
/** A tx holds at most len / CW_TX_BYTES_PER_OBJECT + CW_TX_OBJECTS_SLACK msgpack objects:
 *  real msgs carry ≥ 6.5 bytes per object (the densest, a bank.send or collateral.lock of a
 *  one-byte amount: 6 objects in 41 bytes, 9 in 67), while one object per byte would make
 *  decoding a 1 MiB tx cost ~50 ms and ~32 MB before its signature could be checked. */
#define CW_TX_BYTES_PER_OBJECT 4u
#define CW_TX_OBJECTS_SLACK 64u

/** A decoded transaction. msgs and memo are BORROWED from the buffer given to
 *  cw_tx_decode: keep that buffer alive and unchanged until cw_tx_free. */
typedef struct cw_tx {
    char chain_id[CW_ID_MAX + 1];
    cw_pubkey32 signer;
    uint64_t nonce;
    uint64_t gas_limit; /* gas units, 1..CW_GAS_TX_MAX */
    uint32_t n_msgs;
    const msgpack_object *msgs; /* each a Msg array, validated as [type str id, array] */
    cw_bytes memo;
    size_t len;          /* the envelope's length, bytes */
    cw_sig64 sig;
    uint8_t hash[32];    /* SHA256(envelope) */
    uint8_t sighash[32]; /* tagged_hash("causeway/tx", body) — what the signer signed */
    cw_dec dec;          /* owns the decoded objects */
} cw_tx;

/** Decode and validate the structure of an envelope (not the signature, not the nonce).
 *  Returns: CW_OK; CW_ETOOBIG len > CW_TX_MAX_BYTES, a list over its bound, or more msgpack
 *           objects than len / CW_TX_BYTES_PER_OBJECT + CW_TX_OBJECTS_SLACK;
 *           CW_EMALFORMED / CW_ENONCANONICAL / CW_EINVAL with err naming the field
 *           ("tx.body.msgs[2].type: …"). Call cw_tx_free whatever it returns.
 *  Memory: allocates a msgpack zone O(len); borrowed pointers into buf (see cw_tx). */
int cw_tx_decode(cw_tx *tx, const uint8_t *buf, size_t len, char *err, size_t err_len)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** Verify the envelope's BIP-340 signature against tx->signer over tx->sighash.
 *  Returns: CW_OK; CW_EINVAL signer is not a valid x-only key; CW_EBADSIG. Thread-safe. */
int cw_tx_verify_signature(const cw_tx *tx) CW_NONNULL(1) CW_WARN_UNUSED;

/** Msg i's type (copied, NUL-terminated) and body (borrowed). i < tx->n_msgs. */
void cw_tx_msg(const cw_tx *tx, uint32_t i, char type[static CW_ID_MAX + 1],
               const msgpack_object **body) CW_NONNULL(1, 3, 4);

void cw_tx_free(cw_tx *tx);

/** Build and sign an envelope. msgs[i] are already-encoded Msg arrays (see cw_msg_begin).
 *  gas_limit: the tx's gas limit (gas units, ≤ CW_GAS_TX_MAX); 0 = cw_gas_estimate's figure
 *  for these msgs with the default block gas limit.
 *  Returns: CW_OK with *out (malloc'd, caller frees) and *out_len; CW_EINVAL bad chain id,
 *  memo too long, no msgs or too many, gas limit over CW_GAS_TX_MAX, invalid key; -ENOMEM.
 *  err names the problem. */
int cw_tx_sign(uint8_t **out, size_t *out_len, const char *chain_id, const cw_seckey *sk,
               uint64_t nonce, uint64_t gas_limit, const cw_bytes *msgs, size_t n_msgs,
               const char *memo, char *err, size_t err_len) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** cw_tx_sign with a prepared signer (cw_signer_init): the same envelope and errors, minus
 *  the key derivation per tx. For a process that signs many txs with one key (the chain
 *  client, hence the relayer). */
int cw_tx_sign_with(uint8_t **out, size_t *out_len, const char *chain_id, const cw_signer *s,
                    uint64_t nonce, uint64_t gas_limit, const cw_bytes *msgs, size_t n_msgs,
                    const char *memo, char *err, size_t err_len)
    CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** Start a Msg in e: writes [type, and the header of a body array of n_fields; the caller
 *  then encodes exactly n_fields values. */
void cw_msg_begin(cw_enc *e, const char *type, uint32_t n_fields) CW_NONNULL(1, 2);

#endif
