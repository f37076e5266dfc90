/* Causeway — block wire types: headers, validator sets, commits, signed headers, light
 * blocks, MsgUpdateClient, MsgSubmitMisbehaviour; their canonical encodings, block_hash,
 * validators_hash, vote sign bytes, and the signing side (DESIGN §4, §5, §6).
 *
 * Shared by the chain node (which builds and signs blocks with exactly these functions),
 * the light client (which verifies them) and the relayer (which moves them).
 *
 * Encodings (canonical msgpack arrays, DESIGN §4):
 *   Header        = [chain_id(str), height, time_ns, last_block_hash(bin32), state_root(bin32),
 *                    tx_root(bin32), validators_hash(bin32), next_validators_hash(bin32),
 *                    proposer(bin32: the proposer's 32-byte x-only BIP-340 public key)]
 *   ValidatorSet  = [[pubkey(bin32), power], ...]   1..CW_VALSET_MAX entries, sorted by
 *                    pubkey bytes ascending, no duplicate key, power > 0,
 *                    total power < 2^62 (CW_TOTAL_POWER_LIMIT)
 *   Commit        = [height, block_hash(bin32), [[validator_index, signature(bin64)], ...]]
 *                    at most CW_VALSET_MAX signatures
 *   SignedHeader  = [header, commit]
 *   LightBlock    = [signed_header, validator_set, next_validator_set]
 *   UpdateHeader  = [signed_header, validator_set, trusted_height, trusted_validator_set|nil]
 *   MsgUpdateClient       = [client_id(str), signed_header, validator_set, trusted_height,
 *                            trusted_validator_set | nil]   (UpdateHeader's fields inline)
 *   MsgSubmitMisbehaviour = [client_id(str), update_header_1, update_header_2]
 *
 * Hashes:
 *   block_hash      = SHA256(canonical Header bytes)
 *   validators_hash = SHA256(canonical ValidatorSet bytes)
 *   vote message    = tagged_hash("causeway/vote", canonical [chain_id, height, block_hash])
 *
 * What decoding checks, and what it leaves to the light client: decoding enforces the
 * format (types, arity, sizes, bounds, canonical form, identifiers) and the validator-set
 * invariants above; whether a commit's indices are ascending and in range of a set, whether
 * hashes bind, and whether signatures verify is verification (include/causeway/lightclient.h).
 *
 * Memory: decoded objects own their arrays (malloc); free them with the matching *_free,
 * which accepts NULL and zeroed or partially decoded objects. Nothing borrows from the input
 * buffer after a decode returns. All functions are thread-safe on distinct objects.
 */
#ifndef CAUSEWAY_BLOCK_H
#define CAUSEWAY_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/error.h"
#include "causeway/hex.h"
#include "causeway/schnorr.h"

/** Most validators in a set, and most signatures in a commit. */
#define CW_VALSET_MAX 1024u
/** A validator set's total power must be strictly below this (2^62), so that tallies and
 *  threshold products fit comfortably in 128 bits and sums never wrap in 64. */
#define CW_TOTAL_POWER_LIMIT (UINT64_C(1) << 62)
/** Largest light block / message accepted by the buffer-level decoders (bytes). */
#define CW_BLOCK_MAX_INPUT CW_CODEC_MAX_INPUT

typedef struct cw_validator {
    cw_pubkey32 pubkey; /* x-only BIP-340 key */
    uint64_t power;     /* voting power, > 0 */
} cw_validator;

/** A validator set as it travels. v is malloc'd and owned (n entries). */
typedef struct cw_validator_set {
    uint32_t n;
    uint64_t total_power; /* filled by decode / cw_validator_set_validate */
    cw_validator *v;
} cw_validator_set;

typedef struct cw_header {
    char chain_id[CW_ID_MAX + 1]; /* NUL-terminated identifier */
    uint64_t height;
    uint64_t time_ns; /* ns since the Unix epoch */
    uint8_t last_block_hash[32];
    uint8_t state_root[32]; /* SMT root after this block's txs */
    uint8_t tx_root[32];
    uint8_t validators_hash[32];      /* hash of the set that signs this block */
    uint8_t next_validators_hash[32]; /* hash of the set that signs the next block */
    cw_pubkey32 proposer;
} cw_header;

typedef struct cw_commit_sig {
    uint32_t validator_index; /* index into the header's validator set */
    cw_sig64 signature;
} cw_commit_sig;

/** sigs is malloc'd and owned (n_sigs entries). */
typedef struct cw_commit {
    uint64_t height;
    uint8_t block_hash[32];
    uint32_t n_sigs;
    cw_commit_sig *sigs;
} cw_commit;

typedef struct cw_signed_header {
    cw_header header;
    cw_commit commit;
} cw_signed_header;

typedef struct cw_light_block {
    cw_signed_header signed_header;
    cw_validator_set validator_set;
    cw_validator_set next_validator_set;
} cw_light_block;

/** A header to verify with what it needs: the body of MsgUpdateClient and each half of
 *  MsgSubmitMisbehaviour. has_trusted_validator_set false ⇔ nil on the wire. */
typedef struct cw_update_header {
    cw_signed_header signed_header;
    cw_validator_set validator_set;
    uint64_t trusted_height;
    bool has_trusted_validator_set;
    cw_validator_set trusted_validator_set;
} cw_update_header;

typedef struct cw_msg_update_client {
    char client_id[CW_ID_MAX + 1];
    cw_update_header update;
} cw_msg_update_client;

typedef struct cw_msg_submit_misbehaviour {
    char client_id[CW_ID_MAX + 1];
    cw_update_header header1;
    cw_update_header header2;
} cw_msg_submit_misbehaviour;

/* ---- validator sets ---------------------------------------------------------------- */

/** Check the set invariants and fill vs->total_power: 1 ≤ n ≤ CW_VALSET_MAX, pubkeys
 *  strictly ascending (sorted, no duplicates), every power > 0, total < 2^62.
 *  Returns: CW_OK; CW_ETOOBIG n > CW_VALSET_MAX; CW_EINVAL any other violation (err names
 *           the entry: "validator_set[3]: duplicate pubkey").
 *  Memory: allocates nothing. Does not check that keys are curve points (the light client's
 *  parse does, once). Source: DESIGN §5; CometBFT ValidatorSet.ValidateBasic. */
int cw_validator_set_validate(cw_validator_set *vs, char *err, size_t err_len)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** validators_hash: SHA256 of the canonical ValidatorSet encoding.
 *  Returns: CW_OK; -ENOMEM. out zeroed on failure. */
int cw_validators_hash(uint8_t out[static 32], const cw_validator_set *vs) CW_NONNULL(1, 2)
    CW_WARN_UNUSED;

/** Deep copy (dst owns new memory). Returns: CW_OK; -ENOMEM (dst zeroed). */
int cw_validator_set_copy(cw_validator_set *dst, const cw_validator_set *src) CW_NONNULL(1, 2)
    CW_WARN_UNUSED;

/** Sort v[0..n) by pubkey (for building sets; does not deduplicate). */
void cw_validator_set_sort(cw_validator_set *vs) CW_NONNULL(1);

/* ---- hashes and sign bytes -------------------------------------------------------- */

/** block_hash = SHA256(canonical Header). Returns: CW_OK; -ENOMEM (out zeroed). */
int cw_block_hash(uint8_t out[static 32], const cw_header *h) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** The 32-byte message every vote signs:
 *  tagged_hash("causeway/vote", canonical [chain_id, height, block_hash32]).
 *  The chain id and height are inside, so a vote never verifies on another chain or height.
 *  Returns: CW_OK; CW_EINVAL chain_id is not a valid identifier; -ENOMEM. out zeroed on
 *  failure. Source: DESIGN §4–§5 (tagged hash as BIP-340). */
int cw_vote_message(uint8_t out[static 32], const char *chain_id, uint64_t height,
                    const uint8_t block_hash32[static 32]) CW_NONNULL(1, 2, 4) CW_WARN_UNUSED;

/* ---- signing (chain node, test tools) ---------------------------------------------- */

/** Build the commit of header h signed by a subset of vs.
 *
 *  In:  h: the header (its block hash is computed here).
 *       vs: the validator set that signs (h->validators_hash is NOT checked: tests build
 *           bad commits on purpose).
 *       keys: keys[i] is the secret key of vs->v[i] (vs->n entries; entries of
 *             validators that do not sign are not read).
 *       sign: NULL = every validator signs; else sign[i] says whether vs->v[i] signs.
 *       aux32: BIP-340 aux randomness for every signature (NULL = fresh random bytes;
 *              a fixed value makes commits reproducible, as `causeway light gen` does).
 *  Out: c: height, block hash, and one signature per signer in ascending index order.
 *  Returns: CW_OK; CW_EINVAL a signer's key is invalid or does not match its pubkey
 *           (err names the index); -ENOMEM; -errno getrandom failed. c zeroed on failure.
 *  Memory: c->sigs is malloc'd (cw_commit_free). Secret keys are not copied.
 *  Source: DESIGN §5; BIP-340 signing. */
int cw_commit_sign(cw_commit *c, const cw_header *h, const cw_validator_set *vs,
                   const cw_seckey *keys, const bool *sign, const uint8_t *aux32,
                   char *err, size_t err_len) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/* ---- codecs ------------------------------------------------------------------------ */
/* For each type T (declared with CW_CODEC_DECLARE, causeway/codec.h):
 *   cw_T_enc(e, x)   appends x to an encoder (sticky rc);
 *   cw_T_dec(d, o, x, what)  decodes object o into x (x zeroed first; sticky errors name the
 *                    field as "<what>.<field>"); the caller frees x whatever d->rc says;
 *   cw_T_encode(&buf, &len, x)  a malloc'd canonical encoding.
 *                    Returns: CW_OK; -ENOMEM; CW_ETOOBIG a list beyond its bound.
 *   cw_T_decode(x, buf, len, err, err_len)  a whole buffer, strictly (codec.h rules).
 *                    Returns: CW_OK; CW_EMALFORMED wrong type/arity/size, truncated or
 *                    trailing bytes; CW_ENONCANONICAL not the canonical encoding; CW_ETOOBIG
 *                    input > CW_BLOCK_MAX_INPUT or a list beyond its bound; CW_EINVAL a value
 *                    out of its domain (identifier, validator-set invariants); -ENOMEM.
 *                    x is zeroed (owns nothing) on failure; err names the field.
 */

CW_CODEC_DECLARE(header);

CW_CODEC_DECLARE(validator_set);
void cw_validator_set_free(cw_validator_set *vs);

void cw_commit_enc(cw_enc *e, const cw_commit *c) CW_NONNULL(1, 2);
void cw_commit_dec(cw_dec *d, const msgpack_object *o, cw_commit *c, const char *what)
    CW_NONNULL(1, 3, 4);
void cw_commit_free(cw_commit *c);

CW_CODEC_DECLARE(signed_header);
void cw_signed_header_free(cw_signed_header *sh);

CW_CODEC_DECLARE(light_block);
void cw_light_block_free(cw_light_block *lb);

void cw_update_header_enc(cw_enc *e, const cw_update_header *u) CW_NONNULL(1, 2);
void cw_update_header_dec(cw_dec *d, const msgpack_object *o, cw_update_header *u,
                          const char *what) CW_NONNULL(1, 3, 4);
void cw_update_header_free(cw_update_header *u);

int cw_msg_update_client_encode(uint8_t **out, size_t *out_len, const cw_msg_update_client *m)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
int cw_msg_update_client_decode(cw_msg_update_client *m, const uint8_t *buf, size_t len,
                                char *err, size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;
void cw_msg_update_client_free(cw_msg_update_client *m);

int cw_msg_submit_misbehaviour_encode(uint8_t **out, size_t *out_len,
                                      const cw_msg_submit_misbehaviour *m) CW_NONNULL(1, 2, 3)
    CW_WARN_UNUSED;
int cw_msg_submit_misbehaviour_decode(cw_msg_submit_misbehaviour *m, const uint8_t *buf,
                                      size_t len, char *err, size_t err_len) CW_NONNULL(1)
    CW_WARN_UNUSED;
void cw_msg_submit_misbehaviour_free(cw_msg_submit_misbehaviour *m);

/* ---- test-chain generator (`causeway light gen`, tests, benchmarks) ------------------
 * Deterministic keys from a 32-byte seed, so a generated chain is reproducible. NOT for
 * real validators: anyone who knows the seed knows the keys. */

/** Key number `index` of seed: sk = SHA256("causeway/gen-key" || seed32 || be32(index) ||
 *  be32(attempt)) for the first attempt that is a valid scalar.
 *  Returns: CW_OK. Secret: the caller wipes sk. */
int cw_gen_key(cw_seckey *sk, cw_pubkey32 *pk, const uint8_t seed32[static 32], uint32_t index)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** A set of n validators using keys first..first+n-1 of seed, sorted by pubkey; keys[i]
 *  (n entries, caller's array) receives the secret key of vs->v[i].
 *  powers: NULL → every power 10; else powers[k] is the power of key first+k.
 *  Returns: CW_OK; CW_EINVAL n = 0 or > CW_VALSET_MAX or a power breaks the set invariants;
 *  -ENOMEM. vs owns malloc'd memory (cw_validator_set_free); keys wiped on failure. */
int cw_gen_validator_set(cw_validator_set *vs, cw_seckey *keys, const uint8_t seed32[static 32],
                         uint32_t first, uint32_t n, const uint64_t *powers)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Sign header h into a light block: sets h->validators_hash and h->next_validators_hash
 *  from vals and next_vals, signs with cw_commit_sign(keys, sign, aux32) and copies both
 *  sets into lb. Returns: as cw_commit_sign. lb zeroed on failure (cw_light_block_free). */
int cw_gen_light_block(cw_light_block *lb, cw_header *h, const cw_validator_set *vals,
                       const cw_seckey *keys, const cw_validator_set *next_vals,
                       const bool *sign, const uint8_t *aux32, char *err, size_t err_len)
    CW_NONNULL(1, 2, 3, 4, 5) CW_WARN_UNUSED;

#endif
