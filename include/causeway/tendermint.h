/* Causeway — 07-tendermint light-client verification (DESIGN §6a): headers, commits and
 * validator sets of CometBFT chains, and the "verify an untrusted light block against a
 * trusted state" rules (adjacent and skipping).
 *
 * Spec: CometBFT `light` package (light/verifier.go: VerifyAdjacent, VerifyNonAdjacent;
 * types/validator_set.go: VerifyCommitLight, VerifyCommitLightTrusting; types/block.go:
 * Header.Hash; types/vote.go: VoteSignBytes), CometBFT v0.34 / v0.37 / v0.38 (same hashing
 * and sign bytes in all three); ibc-go modules/light-clients/07-tendermint (v8); verdicts
 * and their order as tendermint-rs `tendermint-light-client-verifier` 0.41.0
 * `ProdVerifier::verify_update_header` gives them (../shared/vectors/cometbft/README.md §5).
 *
 * Encodings: the protobuf messages are CometBFT's (lightclient/tendermint.proto, through
 * protobuf-c); hashes are SHA-256 over OpenSSL; Ed25519 verification is OpenSSL's EVP
 * (EVP_PKEY_new_raw_public_key + EVP_DigestVerify). Only Ed25519 validator keys are
 * supported (CometBFT's default and the only kind the Cosmos Hub runs).
 *
 * Times are (seconds since the Unix epoch, nanos) pairs — CometBFT header times span years
 * 1..9999, beyond int64 nanoseconds; durations are uint64 nanoseconds.
 *
 * Thread safety: every function is thread-safe on distinct objects; a finished validator set
 * and a light block may be read by many threads at once (verification only reads them).
 */
#ifndef CAUSEWAY_TENDERMINT_H
#define CAUSEWAY_TENDERMINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"

#define CW_TM_CHAIN_ID_MAX 50      /* CometBFT MaxChainIDLen */
#define CW_TM_BYTES_MAX 64         /* largest hash-like header field we accept (app_hash) */
#define CW_TM_ADDRESS_LEN 20       /* first 20 bytes of SHA-256(pubkey) */
#define CW_TM_VALIDATORS_MAX 10000 /* CometBFT MaxVotesCount */
#define CW_TM_MAX_TOTAL_POWER (INT64_MAX / 8) /* CometBFT MaxTotalVotingPower */
#define CW_TM_JSON_MAX (64u << 20) /* largest JSON document the loaders accept, bytes */

/** A point in time: seconds since 1970-01-01T00:00:00Z and 0..999,999,999 nanos. */
typedef struct cw_tm_time {
    int64_t seconds;
    int32_t nanos;
} cw_tm_time;

/** A byte string of at most CW_TM_BYTES_MAX bytes (hashes: 0 or 32; addresses: 0 or 20). */
typedef struct cw_tm_bytes {
    uint8_t len;
    uint8_t b[CW_TM_BYTES_MAX];
} cw_tm_bytes;

typedef struct cw_tm_block_id {
    cw_tm_bytes hash;       /* 0 or 32 bytes */
    uint32_t parts_total;
    cw_tm_bytes parts_hash; /* 0 or 32 bytes */
} cw_tm_block_id;

/** The 14 fields of a CometBFT header (tendermint.types.Header). */
typedef struct cw_tm_header {
    uint64_t version_block, version_app;
    char chain_id[CW_TM_CHAIN_ID_MAX + 1]; /* NUL-terminated */
    int64_t height;                        /* > 0 */
    cw_tm_time time;
    cw_tm_block_id last_block_id;
    cw_tm_bytes last_commit_hash, data_hash, validators_hash, next_validators_hash,
        consensus_hash, app_hash, last_results_hash, evidence_hash;
    cw_tm_bytes proposer_address; /* 0 or 20 bytes */
} cw_tm_header;

enum { CW_TM_FLAG_ABSENT = 1, CW_TM_FLAG_COMMIT = 2, CW_TM_FLAG_NIL = 3 };

/** One entry of a commit (tendermint.types.CommitSig). */
typedef struct cw_tm_commit_sig {
    uint8_t flag;                                 /* CW_TM_FLAG_* */
    bool has_address;                             /* false for absent entries */
    uint8_t validator_address[CW_TM_ADDRESS_LEN];
    cw_tm_time timestamp;                         /* the vote's time */
    bool has_signature;                           /* false for absent entries */
    uint8_t signature[64];                        /* Ed25519 */
} cw_tm_commit_sig;

typedef struct cw_tm_commit {
    int64_t height;
    int32_t round;
    cw_tm_block_id block_id;
    uint32_t n;             /* entries; <= CW_TM_VALIDATORS_MAX */
    cw_tm_commit_sig *sigs; /* owned (malloc) */
} cw_tm_commit;

typedef struct cw_tm_validator {
    uint8_t address[CW_TM_ADDRESS_LEN];
    uint8_t pubkey[32]; /* Ed25519 */
    int64_t power;
    void *pkey;         /* EVP_PKEY *, owned; set by cw_tm_valset_finish */
} cw_tm_validator;

/** A validator set. Build it with cw_tm_valset_init, fill v[], then cw_tm_valset_finish. */
typedef struct cw_tm_valset {
    uint32_t n;
    cw_tm_validator *v;  /* owned */
    int64_t total_power;  /* set by finish */
    uint32_t *by_address; /* indices of v sorted by address, owned; set by finish */
    uint8_t hash[32];     /* the set's hash, computed once by finish */
    bool finished;        /* a finished set must not be modified */
} cw_tm_valset;

/** A light block (tendermint-rs LightBlock): signed header and the two validator sets. */
typedef struct cw_tm_light_block {
    cw_tm_header header;
    cw_tm_commit commit;
    cw_tm_valset validators;      /* signs this height: hashes to header.validators_hash */
    cw_tm_valset next_validators; /* height + 1: hashes to header.next_validators_hash */
    bool has_next_validators;
} cw_tm_light_block;

/* ---- time ------------------------------------------------------------------------------ */

/** Parse an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SS[.fraction]Z" with 1..9 fraction digits
 *  (the form CometBFT writes), exactly (no rounding). Years 0001..9999; no offsets other than
 *  "Z"; no leap second.
 *  Returns: CW_OK; CW_EMALFORMED anything else (err names the position).
 *  Memory: none. Thread-safe. Source: RFC 3339 §5.6. */
int cw_tm_time_parse(cw_tm_time *out, const char *s, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Format as RFC 3339 with the fraction's trailing zeros dropped (CometBFT's form) into out
 *  (at least 36 bytes). Returns out. Thread-safe. */
char *cw_tm_time_format(char *out, size_t out_len, cw_tm_time t) CW_NONNULL(1);

/** -1, 0, 1 as a <, =, > b. */
int cw_tm_time_cmp(cw_tm_time a, cw_tm_time b);

/* ---- validator sets -------------------------------------------------------------------- */

/** Allocate n zeroed validators. Returns: CW_OK; CW_ETOOBIG n > CW_TM_VALIDATORS_MAX;
 *  -ENOMEM. vs is zeroed first. Free with cw_tm_valset_free. */
int cw_tm_valset_init(cw_tm_valset *vs, uint32_t n) CW_NONNULL(1) CW_WARN_UNUSED;

/** Index of the validator with this address in vs (finished), or -1. O(log n). */
int64_t cw_tm_valset_find(const cw_tm_valset *vs, const uint8_t address[static 20])
    CW_NONNULL(1, 2);

/** Check and finish a filled set (once), as tendermint-rs's ValidatorSet::new and CometBFT's
 *  ValidateBasic do: every power in 0..CW_TM_MAX_TOTAL_POWER and the total at most
 *  CW_TM_MAX_TOTAL_POWER (summed without overflow), every address the first 20 bytes of
 *  SHA-256(pubkey), no address twice, every key a valid Ed25519 key for OpenSSL; then sort
 *  by power descending, address ascending (CometBFT's order), index the addresses, and parse
 *  each key once. Finishing a finished set returns CW_OK and changes nothing.
 *  Returns: CW_OK; CW_EMALFORMED a rule broken (err names the validator and the rule);
 *           CW_EOVERFLOW total power above CW_TM_MAX_TOTAL_POWER; -ENOMEM.
 *  Memory: allocates one EVP_PKEY per validator and an index (n * 4 bytes), freed by
 *  cw_tm_valset_free. */
int cw_tm_valset_finish(cw_tm_valset *vs, char *err, size_t err_len)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** Copy a finished set into dst (zeroed first; its own keys and index).
 *  Returns: CW_OK; CW_EINVAL src not finished; -ENOMEM (dst then holds nothing). */
int cw_tm_valset_copy(cw_tm_valset *dst, const cw_tm_valset *src) CW_NONNULL(1, 2)
    CW_WARN_UNUSED;

/** Free what the set owns and zero it. Accepts NULL and a zeroed set. */
void cw_tm_valset_free(cw_tm_valset *vs);

/** Validator-set hash: RFC 6962 Merkle root over each validator's SimpleValidator{pub_key:
 *  PublicKey{ed25519}, voting_power} protobuf encoding, in set order (a finished set's is
 *  computed once, by cw_tm_valset_finish, and copied from there).
 *  Returns: CW_OK; -ENOMEM. Source: CometBFT types/validator_set.go ValidatorSet.Hash. */
int cw_tm_valset_hash(uint8_t out[static 32], const cw_tm_valset *vs) CW_NONNULL(1, 2)
    CW_WARN_UNUSED;

/* ---- hashing and sign bytes ------------------------------------------------------------ */

/** RFC 6962 Merkle root (leaf = SHA256(0x00 || item), inner = SHA256(0x01 || l || r), empty
 *  = SHA256("")) of items[0..n), each {p, len}. Returns: CW_OK; -ENOMEM (n > 64 allocates
 *  n*32 bytes). Source: CometBFT crypto/merkle/tree.go HashFromByteSlices. */
struct cw_bytes;
int cw_tm_merkle_root(uint8_t out[static 32], const struct cw_bytes *items, size_t n)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** Header hash: Merkle root of the 14 fields, each protobuf-encoded on its own as CometBFT's
 *  Header.Hash does (Consensus; StringValue chain_id; Int64Value height; Timestamp; BlockID
 *  with its PartSetHeader always present; BytesValue of each hash and of the proposer
 *  address; empty values encode as empty). Returns: CW_OK; CW_EMALFORMED a field longer
 *  than its bound. Allocates nothing. Source: CometBFT types/block.go Header.Hash. */
int cw_tm_header_hash(uint8_t out[static 32], const cw_tm_header *h) CW_NONNULL(1, 2)
    CW_WARN_UNUSED;

#define CW_TM_SIGN_BYTES_MAX 256
/** Precommit sign bytes of commit entry idx: varint length, then CanonicalVote{type 2,
 *  height, round (sfixed64), CanonicalBlockID (left out for a nil vote), timestamp, chain_id}.
 *  out holds at most CW_TM_SIGN_BYTES_MAX bytes; *out_len receives the length.
 *  Returns: CW_OK; CW_EINVAL idx out of range or an absent entry; CW_EMALFORMED a field
 *  too long. Allocates nothing. Source: CometBFT types/vote.go VoteSignBytes,
 *  types/canonical.go CanonicalizeVote. */
int cw_tm_vote_sign_bytes(uint8_t out[static CW_TM_SIGN_BYTES_MAX], size_t *out_len,
                          const char *chain_id, const cw_tm_commit *c, uint32_t idx)
    CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** Ed25519 verification of sig64 over msg with a parsed key (cw_tm_validator.pkey), through
 *  OpenSSL EVP_DigestVerify. Returns: CW_OK valid; CW_EBADSIG not; -ENOMEM. Thread-safe. */
int cw_tm_ed25519_verify(void *pkey, const uint8_t sig64[static 64], const uint8_t *msg,
                         size_t msg_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/* ---- verification ---------------------------------------------------------------------- */

typedef enum cw_tm_verdict {
    CW_TM_SUCCESS = 0,
    CW_TM_NOT_ENOUGH_TRUST = 1,
    CW_TM_INVALID = 2,
} cw_tm_verdict;

/** Why a light block is not SUCCESS: tendermint-rs's VerificationErrorDetail names. */
typedef enum cw_tm_reason {
    CW_TM_R_NONE = 0,
    CW_TM_R_MALFORMED,                  /* not a valid object (e.g. power overflow) */
    CW_TM_R_INVALID_VALIDATOR_SET,      /* hash(validators) != header.validators_hash */
    CW_TM_R_INVALID_NEXT_VALIDATOR_SET, /* next set's hash, or adjacent chaining */
    CW_TM_R_INVALID_COMMIT_VALUE,       /* header hash != commit.block_id.hash */
    CW_TM_R_NO_SIGNATURE_FOR_COMMIT,    /* every entry absent */
    CW_TM_R_MISMATCH_PRECOMMIT_LENGTH,  /* entries != validators */
    CW_TM_R_FAULTY_SIGNER,              /* a non-absent entry's address not in the set */
    CW_TM_R_NOT_WITHIN_TRUST_PERIOD,    /* trusted time + period <= now */
    CW_TM_R_NON_MONOTONIC_BFT_TIME,     /* untrusted time <= trusted time */
    CW_TM_R_CHAIN_ID_MISMATCH,
    CW_TM_R_NON_INCREASING_HEIGHT,      /* skipping with untrusted height <= trusted */
    CW_TM_R_HEADER_FROM_THE_FUTURE,     /* untrusted time >= now + max clock drift */
    CW_TM_R_DUPLICATE_VALIDATOR,        /* two commit votes by one address */
    CW_TM_R_INVALID_SIGNATURE,          /* an examined precommit does not verify */
    CW_TM_R_INSUFFICIENT_SIGNERS_OVERLAP, /* <= 2/3 of the header's own set signed */
    CW_TM_R_NOT_ENOUGH_TRUST,           /* <= trust level of the trusted set signed */
} cw_tm_reason;

/** tendermint-rs's name of a reason ("InvalidSignature", ...; "" for CW_TM_R_NONE). */
const char *cw_tm_reason_name(cw_tm_reason r);
/** "SUCCESS", "NOT_ENOUGH_TRUST" or "INVALID". */
const char *cw_tm_verdict_name(cw_tm_verdict v);

/** Verification options (ibc-go ClientState / tendermint-rs Options). */
typedef struct cw_tm_options {
    uint64_t trust_num, trust_den; /* trust level, 1/3 <= num/den <= 1 (default 1/3) */
    uint64_t trusting_period_ns;   /* > 0 */
    uint64_t max_clock_drift_ns;
} cw_tm_options;

/** The trusted state (tendermint-rs TrustedBlockState): what a client keeps of a verified
 *  height. All pointers borrowed for the call. */
typedef struct cw_tm_trusted {
    const char *chain_id;
    int64_t height;
    cw_tm_time time;
    const uint8_t *next_validators_hash; /* 32 bytes */
    const cw_tm_valset *next_validators; /* finished; needed for skipping only (may be NULL
                                            for an adjacent step) */
} cw_tm_trusted;

/** The trusted state of a verified light block (pointers into lb). */
void cw_tm_trusted_of(cw_tm_trusted *out, const cw_tm_light_block *lb) CW_NONNULL(1, 2);

/** What a verification found. */
typedef struct cw_tm_result {
    cw_tm_verdict verdict;
    cw_tm_reason reason;
    uint32_t sigs_checked;          /* Ed25519 verifications performed */
    int64_t signed_power, total_power;                 /* the untrusted (own) set */
    int64_t trusted_signed_power, trusted_total_power; /* skipping only */
} cw_tm_result;

/** Commit checks against a validator set (CometBFT VerifyCommitLight, with the entry rules
 *  of tendermint-rs ProdCommitValidator): at least one entry not absent, one entry per
 *  validator, every non-absent entry's address in vals, no address with two commit votes,
 *  commit.height == height, and the commit votes (block_id_flag 2) whose signatures verify
 *  hold more than 2/3 of vals' power. Walks vals in order, verifies a vote when reached and
 *  stops once the threshold is exceeded (a bad signature reached makes it INVALID).
 *  The caller checks commit.block_id.hash against the header hash.
 *  Returns: CW_OK verified; CW_EBADHEADER / CW_EBADSIG / CW_EMALFORMED invalid (res->reason
 *           and err say which rule); -ENOMEM. res is zeroed first.
 *  Memory: allocates one index of the commit's votes (n * 4 bytes), freed before return. */
int cw_tm_verify_commit(cw_tm_result *res, const cw_tm_valset *vals, const char *chain_id,
                        int64_t height, const cw_tm_commit *commit, char *err, size_t err_len)
    CW_NONNULL(1, 2, 3, 5) CW_WARN_UNUSED;

/** Verify an untrusted light block against a trusted state at now (tendermint-rs
 *  verify_update_header; CometBFT light.VerifyAdjacent when untrusted height = trusted + 1,
 *  else light.VerifyNonAdjacent). Checks, in this order, the first failure deciding:
 *  the untrusted block's own consistency (validator-set hashes, header hash = commit block
 *  id, commit entries), the trusting period, time monotonicity, chain id, adjacent chaining
 *  of validators_hash or an increasing height, the clock drift, then the voting power (the
 *  trusted set's > trust level for a skip, then the header set's > 2/3).
 *  Returns: CW_OK SUCCESS;
 *           CW_ETHRESHOLD NOT_ENOUGH_TRUST (skipping: bisect);
 *           INVALID: CW_EMALFORMED (Malformed), CW_EEXPIRED (NotWithinTrustPeriod),
 *             CW_EBADSIG (InvalidSignature), CW_EBADHEADER (every other reason);
 *           CW_EINVAL bad options (trust level outside 1/3..1, zero period) or a skipping
 *             step without trusted->next_validators (res->verdict INVALID, reason NONE);
 *           -ENOMEM.
 *  res always receives the verdict and reason; err one line naming the check.
 *  Units: opt durations in ns; now in (seconds, nanos).
 *  Memory: allocates one vote index per call, freed before return; keeps no pointers. */
int cw_tm_verify_update(cw_tm_result *res, const cw_tm_trusted *trusted,
                        const cw_tm_light_block *untrusted, const cw_tm_options *opt,
                        cw_tm_time now, char *err, size_t err_len)
    CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/* ---- JSON ------------------------------------------------------------------------------ */

/** Free what a light block owns (commit entries, both sets) and zero it. Accepts NULL. */
void cw_tm_light_block_free(cw_tm_light_block *lb);

/** Load a light block from tendermint-rs's LightBlock JSON ({"signed_header": {"header",
 *  "commit"}, "validator_set", "next_validator_set", "provider"}; the shape of
 *  ../shared/vectors/cometbft/cases.json, README §3). Hashes are hex (either case), keys and
 *  signatures base64, int64 values decimal strings (JSON integers also accepted), times
 *  RFC 3339. Both validator sets are finished (cw_tm_valset_finish).
 *  Returns: CW_OK; CW_EMALFORMED not that shape, a bad field or a set that breaks a rule
 *           (err names the field path); CW_EOVERFLOW a set's total power above the maximum;
 *           CW_ETOOBIG json_len > CW_TM_JSON_MAX or more than CW_TM_VALIDATORS_MAX entries;
 *           -ENOMEM. On failure lb is zeroed (nothing to free).
 *  Memory: lb owns its arrays until cw_tm_light_block_free. */
int cw_tm_light_block_from_json(cw_tm_light_block *lb, const char *json, size_t json_len,
                                char *err, size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Write lb as tendermint-rs LightBlock JSON (the form cw_tm_light_block_from_json reads;
 *  hashes upper-case hex, keys and signatures base64, int64 as decimal strings, times as
 *  cw_tm_time_format writes them, an absent entry's as CometBFT's zero time
 *  0001-01-01T00:00:00Z; each set's "proposer" is its first validator; "provider" is 20
 *  zero bytes). Without next validators the "next_validator_set" is the validator set.
 *  Returns: CW_OK with *out (malloc'd, NUL-terminated; caller frees) and *out_len;
 *           -ENOMEM. */
int cw_tm_light_block_to_json(char **out, size_t *out_len, const cw_tm_light_block *lb)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Load one header (the "header" object of a light block, a /commit result or a
 *  /blockchain block_meta) or one commit (a "commit" object, or a /block result's
 *  "last_commit"). Field rules as cw_tm_light_block_from_json.
 *  Returns: CW_OK; CW_EMALFORMED; CW_ETOOBIG; -ENOMEM. On failure *h is zeroed and *c holds
 *  nothing to free. Memory: a commit owns its entries (free(c->sigs)). */
int cw_tm_header_from_json(cw_tm_header *h, const char *json, size_t json_len, char *err,
                           size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;
int cw_tm_commit_from_json(cw_tm_commit *c, const char *json, size_t json_len, char *err,
                           size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Load a light block from CometBFT RPC results: commit_json is the /commit result
 *  ({"signed_header": {...}, "canonical": ...}), validators_json the /validators result for
 *  the same height ({"block_height", "validators": [...], "count", "total"}; all of it: a
 *  page with count < total is refused), next_validators_json the /validators result of
 *  height + 1 or NULL. Each may also be the whole JSON-RPC response ({"result": ...}).
 *  Without a next set, has_next_validators is false (the next-set check is then skipped; an
 *  adjacent step needs only the trusted state's next_validators_hash).
 *  Returns and memory as cw_tm_light_block_from_json; CW_EINVAL the validators result is
 *  for another height than the commit. */
int cw_tm_light_block_from_rpc(cw_tm_light_block *lb, const char *commit_json,
                               size_t commit_len, const char *validators_json,
                               size_t validators_len, const char *next_validators_json,
                               size_t next_validators_len, char *err, size_t err_len)
    CW_NONNULL(1, 2, 4) CW_WARN_UNUSED;

#endif
