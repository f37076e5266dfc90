/* Causeway — ICS-23 Merkle proof verification (DESIGN §6), byte-compatible with
 * cosmos/ics23 (Go HEAD for the single-proof rules, Rust v0.12 for batch/compressed
 * proofs) and strict where upstream was found lax.
 *
 * Proof bytes are a protobuf `CommitmentProof` (lightclient/ics23.proto, package cw.ics23,
 * field numbers of cosmos.ics23.v1). They are decoded with protobuf-c into one bounded
 * arena per call, checked against a ProofSpec and hashed. Every rule is checked in one
 * place (lightclient/ics23.c) and every failure names its step in `err`, e.g.
 *   "exist: inner op 3: prefix length 9 exceeds max_prefix_length 1".
 *
 * Decoding policy (strict by design):
 *   - proof_len must be 1..CW_ICS23_PROOF_MAX (single) or 1..CW_ICS23_BATCH_PROOF_MAX
 *     (batch); more is CW_ETOOBIG. Decoded memory is bounded by CW_ICS23_ARENA_MAX.
 *   - canonical bytes only (CW_EMALFORMED "not canonical protobuf"): after decoding, the
 *     proof is re-encoded with protobuf-c and must equal the input byte for byte — the rule
 *     the chain applies to MessagePack. So fields in ascending number order, each singular
 *     or oneof field at most once, repeated fields contiguous (int32 paths packed), minimal
 *     varints, proto3 default values omitted; every prover we know of (Go gogoproto, Rust
 *     prost, protobuf-c, chain/smt.c) emits exactly this. Without the rule an earlier copy
 *     of a field or a discarded oneof member — which protobuf-c drops or merges — could
 *     carry unknown fields, a 5,000-byte key or 300 path ops past every bound, split one
 *     neighbour across two copies or double it, and still verify. With it, every byte of
 *     the input is in the decoded tree, so the bounds below hold for the bytes themselves.
 *   - unknown protobuf fields anywhere in the proof are rejected (CW_EMALFORMED): a field
 *     this verifier does not read must not ride along unchecked.
 *   - paths longer than CW_ICS23_PATH_MAX, keys over CW_ICS23_KEY_MAX, values over
 *     CW_ICS23_VALUE_MAX, op prefixes/suffixes over CW_ICS23_OP_BYTES_MAX, more than
 *     CW_ICS23_BATCH_MAX batch entries or CW_ICS23_LOOKUP_MAX lookup inners: CW_ETOOBIG.
 *   - fields deliberately ignored (they do not change any outcome):
 *       NonExistenceProof.key, CompressedNonExistenceProof.key — upstream verifiers never
 *       read them (the query key is the caller's, and must be); the SMT vectors even put
 *       SHA256(key) there. Reading it could only let a prover influence which key is
 *       checked. The tests assert that any content (or none) leaves the result unchanged.
 *     In a batch proof, entries that match no requested item are structure-checked
 *     (unknown fields, bounds, compressed indices) but not verified, as in Rust.
 *   - which variant a proof holds (single or batch) is decided here, once, by decoding:
 *     callers that accept either use cw_ics23_verify_any, never a guess from the bytes.
 *
 * Thread safety: all functions are thread-safe; the built-in specs are immutable statics,
 * and the EVP_MD handles for the non-SHA-256 ops are fetched once (pthread_once).
 * Memory: the decoded proof lives in a 16 KiB stack arena (every realistic single proof
 * fits; the verifiers use ~26 KiB of stack in all); larger ones take heap chunks, bounded
 * by CW_ICS23_ARENA_MAX and freed before return. The canonical re-encoding allocates
 * nothing: a proof of up to 4 KiB is re-encoded into a stack buffer and compared in one
 * memcmp; a larger one is compared with the input as protobuf-c produces it (a
 * ProtobufCBuffer that compares instead of storing). libcrypto allocates internally per
 * digest.
 */
#ifndef CAUSEWAY_ICS23_H
#define CAUSEWAY_ICS23_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"

/* ---- bounds ---------------------------------------------------------------------------- */
#define CW_ICS23_PROOF_MAX (64u * 1024u)            /* single proof bytes */
#define CW_ICS23_BATCH_PROOF_MAX (1024u * 1024u)    /* batch / compressed proof bytes */
#define CW_ICS23_ARENA_MAX (16u * 1024u * 1024u)    /* decoded form of one proof */
#define CW_ICS23_PATH_MAX 256u                      /* inner ops in one existence proof */
#define CW_ICS23_KEY_MAX 4096u                      /* key bytes */
#define CW_ICS23_VALUE_MAX (64u * 1024u)            /* value bytes */
#define CW_ICS23_OP_BYTES_MAX 4096u                 /* a leaf/inner prefix or suffix */
#define CW_ICS23_BATCH_MAX 4096u                    /* entries in a batch proof */
#define CW_ICS23_LOOKUP_MAX 65536u                  /* lookup_inners of a compressed batch */
#define CW_ICS23_SPEC_PREFIX_MAX 64u                /* leaf spec prefix bytes */
#define CW_ICS23_SPEC_CHILDREN_MAX 16u              /* child_order entries */
#define CW_ICS23_SPEC_EMPTY_CHILD_MAX 64u           /* empty_child bytes */
#define CW_ICS23_DEFAULT_MAX_DEPTH 128              /* max_depth 0 means this (Go) */

/** Hash operations (cosmos.ics23.v1.HashOp). */
typedef enum cw_ics23_hash_op {
    CW_ICS23_NO_HASH = 0,
    CW_ICS23_SHA256 = 1,
    CW_ICS23_SHA512 = 2,
    CW_ICS23_KECCAK256 = 3, /* unsupported: CW_EUNSUPPORTED */
    CW_ICS23_RIPEMD160 = 4,
    CW_ICS23_BITCOIN = 5, /* RIPEMD160(SHA256(x)) */
    CW_ICS23_SHA512_256 = 6,
    CW_ICS23_BLAKE2B_512 = 7,
    CW_ICS23_BLAKE2S_256 = 8,
    CW_ICS23_BLAKE3 = 9, /* unsupported: CW_EUNSUPPORTED */
} cw_ics23_hash_op;

/** Length operations (cosmos.ics23.v1.LengthOp). */
typedef enum cw_ics23_length_op {
    CW_ICS23_NO_PREFIX = 0,
    CW_ICS23_VAR_PROTO = 1,
    CW_ICS23_VAR_RLP = 2, /* not implemented upstream either: CW_EUNSUPPORTED */
    CW_ICS23_FIXED32_BIG = 3,
    CW_ICS23_FIXED32_LITTLE = 4,
    CW_ICS23_FIXED64_BIG = 5,
    CW_ICS23_FIXED64_LITTLE = 6,
    CW_ICS23_REQUIRE_32_BYTES = 7,
    CW_ICS23_REQUIRE_64_BYTES = 8,
} cw_ics23_length_op;

/** The leaf part of a ProofSpec (cosmos.ics23.v1.LeafOp used as a template). */
typedef struct cw_ics23_leaf_spec {
    cw_ics23_hash_op hash;
    cw_ics23_hash_op prehash_key;
    cw_ics23_hash_op prehash_value;
    cw_ics23_length_op length;
    uint8_t prefix[CW_ICS23_SPEC_PREFIX_MAX]; /* every leaf prefix must start with this */
    size_t prefix_len;                        /* 1..CW_ICS23_SPEC_PREFIX_MAX */
} cw_ics23_leaf_spec;

/** cosmos.ics23.v1.InnerSpec. */
typedef struct cw_ics23_inner_spec {
    int32_t child_order[CW_ICS23_SPEC_CHILDREN_MAX]; /* a permutation of 0..n-1 */
    size_t child_order_len;                          /* n, 2..CW_ICS23_SPEC_CHILDREN_MAX */
    int32_t child_size;                              /* bytes per child slot, >= 1 */
    int32_t min_prefix_length;                       /* bytes, >= 0 */
    int32_t max_prefix_length;                       /* bytes, < min_prefix_length+child_size */
    uint8_t empty_child[CW_ICS23_SPEC_EMPTY_CHILD_MAX]; /* placeholder of an empty child */
    size_t empty_child_len;                          /* 0 (none) or child_size */
    cw_ics23_hash_op hash;
} cw_ics23_inner_spec;

/** cosmos.ics23.v1.ProofSpec. Caller-built specs must pass cw_ics23_spec_validate (the
 *  verifiers run it on every call and return CW_EINVAL when it fails). */
struct cw_ics23_spec {
    cw_ics23_leaf_spec leaf;
    cw_ics23_inner_spec inner;
    int32_t max_depth; /* inner ops; 0 means CW_ICS23_DEFAULT_MAX_DEPTH; <= PATH_MAX */
    int32_t min_depth; /* inner ops; 0 means no minimum; <= max_depth */
    bool prehash_key_before_comparison; /* order keys by prehash_key(key) (SMT) */
};
typedef struct cw_ics23_spec cw_ics23_spec;

/** A (key, value) pair for the batch verifiers; value is ignored for non-membership. */
typedef struct cw_ics23_item {
    const uint8_t *key; /* borrowed for the call */
    size_t key_len;
    const uint8_t *value; /* borrowed for the call */
    size_t value_len;
} cw_ics23_item;

/** The built-in specs (values of cosmos/ics23 go/proof.go IavlSpec, TendermintSpec,
 *  SmtSpec; SMT max_depth 256 as in Go).
 *  Returns: a pointer to an immutable static spec, never NULL. Thread-safe. */
const cw_ics23_spec *cw_ics23_spec_iavl(void);
const cw_ics23_spec *cw_ics23_spec_tendermint(void);
const cw_ics23_spec *cw_ics23_spec_smt(void);

/** Look a built-in spec up by name: "iavl", "tendermint" or "smt".
 *  Returns: the spec, or NULL for any other name. Thread-safe. */
const cw_ics23_spec *cw_ics23_spec_by_name(const char *name) CW_NONNULL(1);

/** Check a caller-supplied spec before use.
 *
 *  Returns: CW_OK; CW_EINVAL naming the first bad field: child_size < 1;
 *           max_prefix_length >= min_prefix_length + child_size; negative prefix lengths;
 *           min_depth < 0, max_depth < 0, max_depth > CW_ICS23_PATH_MAX, or
 *           min_depth > effective max_depth; child_order not a permutation of 0..n-1 with
 *           2 <= n <= CW_ICS23_SPEC_CHILDREN_MAX; empty_child_len not 0 or child_size;
 *           empty leaf prefix or prefix_len > CW_ICS23_SPEC_PREFIX_MAX; unknown hash or
 *           length op values; leaf.hash or inner.hash NO_HASH.
 *  In:      spec: the spec to check.
 *  Memory:  none. Thread-safe.
 *  Source:  ICS-23 ProofSpec; Go `validateSpec`/`checkAgainstSpec` sanity checks,
 *           strengthened (Go accepts some specs that make forgeries possible).
 */
int cw_ics23_spec_validate(const cw_ics23_spec *spec, char *err, size_t err_len)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** Verify an ICS-23 membership proof: `key` maps to `value` in the tree with root `root32`.
 *
 *  Returns: CW_OK valid; CW_EBADPROOF does not verify (wrong root, key or value mismatch,
 *           a spec rule broken); CW_EMALFORMED proof undecodable, not canonical protobuf
 *           (see the decoding policy), not the `exist` variant, or carries unknown fields; CW_ETOOBIG proof_len > CW_ICS23_PROOF_MAX, key_len or
 *           value_len over its bound, or a decoded size over its bound (see the bounds
 *           above); CW_EINVAL bad spec (see cw_ics23_spec_validate), NULL pointers, empty
 *           proof, empty key or value, all-zero root; CW_EUNSUPPORTED a hash/length op
 *           that is recognised but not implemented (KECCAK256, BLAKE3, VAR_RLP).
 *           On failure err holds one line naming the failing step.
 *  In:      spec:   proof spec (built-in or validated caller spec).
 *           root32: trusted 32-byte root (the calculated root must be exactly 32 bytes,
 *                   so a spec whose inner hash yields 20 or 64 bytes never verifies).
 *           proof:  CommitmentProof protobuf bytes; proof_len: length in bytes.
 *           key, key_len: the key (raw, not prehashed), 1..CW_ICS23_KEY_MAX bytes.
 *           value, value_len: the value, 1..CW_ICS23_VALUE_MAX bytes.
 *           err, err_len: optional one-line error buffer (err may be NULL).
 *  Memory:  keeps no pointers; see the file comment on allocation. Thread-safe.
 *  Source:  ICS-23, Go `VerifyMembership` / `ExistenceProof.Verify` (calculate root,
 *           `CheckAgainstSpec`, key/value equality) at the snapshot of the vectors README.
 */
int cw_ics23_verify_membership(const cw_ics23_spec *spec, const uint8_t root32[static 32],
                               const uint8_t *proof, size_t proof_len, const uint8_t *key,
                               size_t key_len, const uint8_t *value, size_t value_len,
                               char *err, size_t err_len) CW_WARN_UNUSED;

/** Verify an ICS-23 non-membership proof: `key` is absent from the tree with `root32`.
 *
 *  Returns: as cw_ics23_verify_membership (CW_EMALFORMED if not the `nonexist` variant;
 *           CW_EBADPROOF when no neighbour is present, a neighbour fails existence
 *           verification, the key is not strictly between the neighbours' (comparison)
 *           keys, or the neighbours are not adjacent / left-most / right-most).
 *  In:      as cw_ics23_verify_membership, without a value.
 *  Memory:  as cw_ics23_verify_membership. Thread-safe.
 *  Source:  ICS-23, Go `VerifyNonMembership` / `NonExistenceProof.Verify`, `IsLeftMost`,
 *           `IsRightMost`, `IsLeftNeighbor`, with empty-child placeholders.
 */
int cw_ics23_verify_non_membership(const cw_ics23_spec *spec, const uint8_t root32[static 32],
                                   const uint8_t *proof, size_t proof_len, const uint8_t *key,
                                   size_t key_len, char *err, size_t err_len) CW_WARN_UNUSED;

/** Verify that every item is a member, using one batch or compressed-batch proof.
 *
 *  For each item, the entry whose existence key equals item.key is chosen and verified
 *  as by cw_ics23_verify_membership; all items must verify (the first failure is returned,
 *  err names the item index).
 *  Returns: as cw_ics23_verify_membership; CW_EMALFORMED if the proof is not the `batch`
 *           or `compressed` variant or a compressed index is out of range; CW_EBADPROOF if
 *           no entry matches an item; CW_EINVAL n_items == 0 or items NULL;
 *           CW_ETOOBIG proof_len > CW_ICS23_BATCH_PROOF_MAX or too many entries/lookups.
 *  In:      items[0..n_items): keys and values (each 1.. bytes).
 *  Memory:  heap arena bounded by CW_ICS23_ARENA_MAX, freed before return. Thread-safe.
 *  Source:  ICS-23, Rust `verify_batch_membership` / `decompress` (Go removed batches).
 */
int cw_ics23_verify_batch_membership(const cw_ics23_spec *spec,
                                     const uint8_t root32[static 32], const uint8_t *proof,
                                     size_t proof_len, const cw_ics23_item *items,
                                     size_t n_items, char *err, size_t err_len) CW_WARN_UNUSED;

/** Verify that every item's key is absent, using one batch or compressed-batch proof.
 *  For each key the entry whose neighbours bracket it is chosen (absent sides count as
 *  satisfied; comparison keys prehashed when the spec says so) and verified as by
 *  cw_ics23_verify_non_membership. item.value is ignored.
 *  Returns, In, Memory: as cw_ics23_verify_batch_membership.
 *  Source:  ICS-23, Rust `verify_batch_non_membership`.
 */
int cw_ics23_verify_batch_non_membership(const cw_ics23_spec *spec,
                                         const uint8_t root32[static 32],
                                         const uint8_t *proof, size_t proof_len,
                                         const cw_ics23_item *items, size_t n_items,
                                         char *err, size_t err_len) CW_WARN_UNUSED;

/** Verify one key against a proof of any variant: the library decodes the proof once and
 *  dispatches on the CommitmentProof oneof it holds — exist/nonexist as
 *  cw_ics23_verify_membership / cw_ics23_verify_non_membership, batch/compressed as the
 *  batch verifiers with this one item. (`causeway proof verify` uses this: a caller must
 *  not guess the variant from the first byte.)
 *
 *  Returns: as the verifier dispatched to; CW_ETOOBIG proof_len > CW_ICS23_BATCH_PROOF_MAX,
 *           or > CW_ICS23_PROOF_MAX when the proof is a single (exist/nonexist) proof;
 *           CW_EMALFORMED the variant does not fit the question (membership needs exist,
 *           batch or compressed; non-membership needs nonexist, batch or compressed).
 *  In:      membership: true to prove key = value, false to prove key absent (then value
 *           and value_len are ignored and may be NULL / 0). Other arguments as
 *           cw_ics23_verify_membership.
 *  Memory:  as cw_ics23_verify_batch_membership. Thread-safe.
 *  Source:  as the verifier dispatched to.
 */
int cw_ics23_verify_any(const cw_ics23_spec *spec, const uint8_t root32[static 32],
                        const uint8_t *proof, size_t proof_len, bool membership,
                        const uint8_t *key, size_t key_len, const uint8_t *value,
                        size_t value_len, char *err, size_t err_len) CW_WARN_UNUSED;

#endif
