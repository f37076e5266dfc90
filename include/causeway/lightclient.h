/* Causeway — the light client: client and consensus states, parsed validator sets and
 * their cache, header verification (adjacent and skipping), client update, status,
 * misbehaviour, and proof verification at a height (DESIGN §6).
 *
 * Encodings (canonical msgpack arrays, DESIGN §4, §6):
 *   ClientState    = [chain_id(str), trust_level_num, trust_level_den, trusting_period_ns,
 *                     max_clock_drift_ns, latest_height, frozen_height]
 *   ConsensusState = [timestamp_ns, state_root(bin32), next_validators_hash(bin32)]
 *   TrustedState   = [height, consensus_state, trusted_validator_set | nil]
 * Wire types for headers, commits and validator sets are in causeway/block.h.
 *
 * Purity: "now" is always an argument; nothing here does I/O or touches a global. Consensus
 * states live behind a small store interface (cw_lc_store) that the caller implements (the
 * chain's Merkle store) or takes from cw_lc_memstore (tests, CLI, relayer).
 *
 * Thread safety: verification functions are thread-safe and may share cw_lc_valset objects
 * between threads (they are immutable; their reference count is atomic). A cw_lc_vcache, a
 * cw_lc_memstore and a client state are used by one thread at a time.
 *
 * Source: ICS-07 (Tendermint client) and the CometBFT light client verification
 * (VerifyAdjacent / VerifyNonAdjacent, VerifyCommitLight / VerifyCommitLightTrusting),
 * adapted to the header format of DESIGN §5; BIP-340 for signatures.
 */
#ifndef CAUSEWAY_LIGHTCLIENT_H
#define CAUSEWAY_LIGHTCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/block.h"
#include "causeway/codec.h"
#include "causeway/error.h"

#define CW_LC_DEFAULT_TRUST_NUM 1u
#define CW_LC_DEFAULT_TRUST_DEN 3u
#define CW_LC_DEFAULT_TRUSTING_PERIOD_NS (UINT64_C(14) * 24 * 3600 * 1000000000)
#define CW_LC_DEFAULT_MAX_CLOCK_DRIFT_NS (UINT64_C(10) * 1000000000)
/** At most this many expired consensus states are pruned per successful update. */
#define CW_LC_PRUNE_MAX 8u

typedef struct cw_lc_client_state {
    char chain_id[CW_ID_MAX + 1];
    uint64_t trust_level_num; /* trust level = num/den, 1/3 ≤ num/den ≤ 1 */
    uint64_t trust_level_den;
    uint64_t trusting_period_ns; /* > 0 */
    uint64_t max_clock_drift_ns; /* > 0 */
    uint64_t latest_height;
    uint64_t frozen_height; /* 0 = not frozen */
} cw_lc_client_state;

typedef struct cw_lc_consensus_state {
    uint64_t timestamp_ns; /* header time */
    uint8_t state_root[32];
    uint8_t next_validators_hash[32];
} cw_lc_consensus_state;

/** A trust root: the consensus state at `height`, and (to skip heights from it) the
 *  validator set hashing to its next_validators_hash. validator_set is owned when
 *  has_validator_set (cw_lc_trusted_state_free). */
typedef struct cw_lc_trusted_state {
    uint64_t height;
    cw_lc_consensus_state consensus_state;
    bool has_validator_set;
    cw_validator_set validator_set;
} cw_lc_trusted_state;

typedef enum cw_lc_status {
    CW_LC_ACTIVE = 0,
    CW_LC_EXPIRED = 1,
    CW_LC_FROZEN = 2,
} cw_lc_client_status;

/** Name a status ("Active", "Expired", "Frozen"). Static string, never NULL. */
const char *cw_lc_status_name(cw_lc_client_status s);

/* ---- client and consensus states ------------------------------------------------- */

/** Fill cs with the DESIGN §6 defaults (trust 1/3, 14 days, 10 s), latest and frozen 0.
 *  Returns: CW_OK; CW_EINVAL chain_id is not a valid identifier (cs zeroed). */
int cw_lc_client_state_default(cw_lc_client_state *cs, const char *chain_id) CW_NONNULL(1, 2)
    CW_WARN_UNUSED;

/** Check the parameter domain: chain id valid; den > 0; 1/3 ≤ num/den ≤ 1 (exact: 3·num ≥
 *  den and num ≤ den); trusting period > 0; clock drift > 0.
 *  Returns: CW_OK; CW_EINVAL (err names the field). Allocates nothing. */
int cw_lc_client_state_validate(const cw_lc_client_state *cs, char *err, size_t err_len)
    CW_NONNULL(1) CW_WARN_UNUSED;

/** Codecs, with the conventions of causeway/block.h (enc appends; dec decodes an object
 *  into a zeroed output and names fields under `what`; encode returns a malloc'd buffer
 *  the caller frees; decode takes a whole buffer).
 *  decode Returns: CW_OK; CW_EMALFORMED; CW_ENONCANONICAL; CW_ETOOBIG; CW_EINVAL (client
 *  state fails cw_lc_client_state_validate; validator-set invariants); -ENOMEM. */
CW_CODEC_DECLARE(lc_client_state);

CW_CODEC_DECLARE(lc_consensus_state);

int cw_lc_trusted_state_encode(uint8_t **out, size_t *out_len, const cw_lc_trusted_state *ts)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
int cw_lc_trusted_state_decode(cw_lc_trusted_state *ts, const uint8_t *buf, size_t len,
                               char *err, size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;
void cw_lc_trusted_state_free(cw_lc_trusted_state *ts);

/** The consensus state a verified header yields: its time, state root and next validators
 *  hash. */
void cw_lc_consensus_state_of(cw_lc_consensus_state *out, const cw_header *h) CW_NONNULL(1, 2);

/* ---- parsed validator sets and their cache ---------------------------------------- */

/** An immutable validator set with every BIP-340 key parsed once, its total power and its
 *  validators_hash. Reference counted (atomically): holders release their reference. */
typedef struct cw_lc_valset cw_lc_valset;

/** Validate vs (cw_validator_set_validate), hash it and parse each key once.
 *  Returns: CW_OK (*out holds one reference); CW_EINVAL set invariants broken or a key is
 *           not an x-only curve point (err names the index); CW_ETOOBIG too many validators;
 *           -ENOMEM. *out = NULL on failure.
 *  Memory: one allocation of O(n) (~104 bytes per validator); vs is not kept.
 *  Source: BIP-340 lift_x (key parsing). */
int cw_lc_valset_create(cw_lc_valset **out, const cw_validator_set *vs, char *err,
                        size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;
/** Take another reference. Returns vs. Thread-safe. */
cw_lc_valset *cw_lc_valset_retain(cw_lc_valset *vs) CW_NONNULL(1);
/** Drop a reference; frees at zero. Accepts NULL. Thread-safe. */
void cw_lc_valset_release(cw_lc_valset *vs);
/** Accessors. hash: the 32-byte validators_hash, valid while the reference is held. */
const uint8_t *cw_lc_valset_hash(const cw_lc_valset *vs) CW_NONNULL(1);
uint32_t cw_lc_valset_size(const cw_lc_valset *vs) CW_NONNULL(1);
uint64_t cw_lc_valset_total_power(const cw_lc_valset *vs) CW_NONNULL(1);

/** A bounded cache of parsed sets keyed by validators_hash (least recently used evicted),
 *  so a client store parses each set once across updates. */
typedef struct cw_lc_vcache cw_lc_vcache;

/** Returns: CW_OK; CW_EINVAL capacity 0; -ENOMEM. Allocates the table (capacity slots). */
int cw_lc_vcache_create(cw_lc_vcache **out, uint32_t capacity) CW_NONNULL(1) CW_WARN_UNUSED;
/** Releases the cache's references (sets still held elsewhere live on). Accepts NULL. */
void cw_lc_vcache_destroy(cw_lc_vcache *c);
/** The parsed form of vs: hashes vs (cheap, no key parsing) and returns the cached object
 *  on a hit; on a miss creates it (cw_lc_valset_create) and caches it.
 *  Returns: as cw_lc_valset_create. *out holds a reference the caller releases.
 *  Memory: allocates only on a miss. */
int cw_lc_vcache_get(cw_lc_vcache *c, cw_lc_valset **out, const cw_validator_set *vs,
                     char *err, size_t err_len) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;
/** Counters since creation: lookups served from the cache, and sets parsed. */
void cw_lc_vcache_stats(const cw_lc_vcache *c, uint64_t *hits, uint64_t *parses)
    CW_NONNULL(1, 2, 3);

/* ---- consensus-state store ------------------------------------------------------- */

/** Where a client's consensus states live, keyed by height. Every callback returns CW_OK,
 *  CW_ENOTFOUND (get/del/below/above: no such height), or a negative error of the store
 *  (-ENOMEM, -EIO, …) which the light client passes through.
 *    get:   the state stored at exactly `height`.
 *    put:   store (insert or overwrite) the state at `height`.
 *    del:   remove the state at `height`.
 *    below: the greatest stored height < height, with its state.
 *    above: the smallest stored height > height, with its state (above(0) = oldest).
 *  The light client reads through these, validates everything, and only then writes. */
typedef struct cw_lc_store {
    void *ctx;
    int (*get)(void *ctx, uint64_t height, cw_lc_consensus_state *out);
    int (*put)(void *ctx, uint64_t height, const cw_lc_consensus_state *cs);
    int (*del)(void *ctx, uint64_t height);
    int (*below)(void *ctx, uint64_t height, uint64_t *found, cw_lc_consensus_state *out);
    int (*above)(void *ctx, uint64_t height, uint64_t *found, cw_lc_consensus_state *out);
} cw_lc_store;

/** An in-memory store: a sorted array of (height, state); O(log n) lookups, O(n) insert.
 *  Allocates as it grows (doubling). One thread at a time. */
typedef struct cw_lc_memstore cw_lc_memstore;
/** Returns: CW_OK; -ENOMEM. */
int cw_lc_memstore_create(cw_lc_memstore **out) CW_NONNULL(1) CW_WARN_UNUSED;
/** Accepts NULL. */
void cw_lc_memstore_destroy(cw_lc_memstore *m);
/** The store interface over m (valid while m lives). */
void cw_lc_memstore_store(cw_lc_store *out, cw_lc_memstore *m) CW_NONNULL(1, 2);
/** Number of stored heights. */
size_t cw_lc_memstore_count(const cw_lc_memstore *m) CW_NONNULL(1);

/* ---- status ---------------------------------------------------------------------- */

/** Frozen if frozen_height ≠ 0; Expired if the consensus state at latest_height is missing
 *  or its timestamp + trusting period ≤ now_ns; else Active.
 *  Returns: CW_OK (*out set); a store error. Source: ICS-07 Status. */
int cw_lc_status(cw_lc_client_status *out, const cw_lc_client_state *cs, const cw_lc_store *st,
                 uint64_t now_ns) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** CW_OK when the client is Active at now_ns (cw_lc_status), with err naming the state
 *  otherwise: CW_EFROZEN "client is frozen (at height H)", CW_EEXPIRED "client is expired
 *  (latest height H)"; a store error ("client store: …"). The check every type's update,
 *  misbehaviour and proof paths run first (the IBC host's 07-tendermint type too).
 *  Memory: none beyond the store's get. Thread-safe as the store. */
int cw_lc_require_active(const cw_lc_client_state *cs, const cw_lc_store *st, uint64_t now_ns,
                         char *err, size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/* ---- header verification --------------------------------------------------------- */

/** What a verification counted (for callers reporting it, and the benchmark). */
typedef struct cw_lc_verify_info {
    uint32_t sigs_checked;  /* signatures verified before the thresholds were met */
    uint64_t signed_power;  /* header-set power of the checked signatures */
    uint64_t trusted_power; /* trusted-set power among them (skipping only) */
} cw_lc_verify_info;

/** Verify header sh against the trusted consensus state at trusted_height, choosing
 *  adjacent (sh height = trusted_height + 1) or skipping (greater) verification.
 *
 *  Rules (each checked once, in this order; DESIGN §6):
 *    1. client parameters valid (cw_lc_client_state_validate);
 *    2. trusted state within the trusting period: trusted.timestamp + period > now_ns;
 *    3. header chain id = client chain id; header height > trusted_height;
 *    4. header time > trusted time, and header time < now_ns + max_clock_drift;
 *    5. vals hashes to header.validators_hash;
 *    6. commit.height = header.height and commit.block_hash = SHA256(header);
 *    7. adjacent: header.validators_hash = trusted.next_validators_hash;
 *       skipping: trusted_vals given and hashes to trusted.next_validators_hash;
 *    8. commit entries: every validator index < set size and strictly ascending (so each
 *       validator counts once), checked for all entries before any signature;
 *    9. signatures, in index order, against the vote message (computed once): from the
 *       powers alone, the shortest prefix of the commit after which every threshold holds
 *       (or the whole commit) is fixed first; every signature in it is checked and any
 *       that fails invalidates the commit (CW_EBADSIG naming the lowest such index);
 *       signatures after the prefix are not checked (as CometBFT); the tallies are compared
 *       exactly in 128 bits:
 *         header set:   signed · 3 > total · 2                         (more than 2/3)
 *         skipping:     trusted_signed · den > trusted_total · num     (more than trust
 *                       level), trusted validators matched by pubkey (merge walk).
 *  In:  cs: client parameters (chain id, trust level, period, drift; heights unused).
 *       trusted_height, trusted: the trusted consensus state.
 *       sh: the header and its commit. vals: the header's validator set, parsed.
 *       trusted_vals: parsed set of trusted.next_validators_hash; NULL for adjacent.
 *       now_ns: the verifier's clock, ns since the Unix epoch.
 *  Out: info (may be NULL): what was counted (zeroed on entry).
 *  Returns: CW_OK valid; CW_EINVAL bad client parameters or header height ≤ trusted height;
 *           CW_EEXPIRED trusted state outside the trusting period; CW_EBADHEADER chain id,
 *           time, hash binding, validators hash, index order/range; CW_EINVAL skipping
 *           without trusted_vals, or with a set that does not hash to the trusted
 *           next_validators_hash; CW_EBADSIG a checked signature is invalid;
 *           CW_ETHRESHOLD not enough power; -ENOMEM. err names the rule.
 *  Memory: allocates two short-lived encodings (the header, for its hash; the vote
 *  message); keeps no pointers.
 *  Thread-safe. Source: CometBFT light/verifier.go Verify, VerifyAdjacent,
 *  VerifyNonAdjacent; types/validation.go VerifyCommitLight(Trusting); ICS-07. */
int cw_lc_verify(const cw_lc_client_state *cs, uint64_t trusted_height,
                 const cw_lc_consensus_state *trusted, const cw_signed_header *sh,
                 const cw_lc_valset *vals, const cw_lc_valset *trusted_vals, uint64_t now_ns,
                 cw_lc_verify_info *info, char *err, size_t err_len) CW_NONNULL(1, 3, 4, 5)
    CW_WARN_UNUSED;

/** Most threads cw_lc_verify_threads uses. */
#define CW_LC_MAX_THREADS 8u

/** cw_lc_verify with the signature checks of rule 9 spread over `threads` threads (0 or 1 =
 *  inline; capped at CW_LC_MAX_THREADS; small commits stay inline). The outcome — return
 *  code, error line and info — is identical to cw_lc_verify's for every thread count: the
 *  signatures to check are fixed before any is checked, and a failure is reported at the
 *  lowest failing index whichever thread found it.
 *  Returns: as cw_lc_verify.
 *  Memory: starts threads-1 threads per call (pthread_create; if one cannot be started its
 *  share runs inline); allocates nothing else. Thread-safe. */
int cw_lc_verify_threads(const cw_lc_client_state *cs, uint64_t trusted_height,
                         const cw_lc_consensus_state *trusted, const cw_signed_header *sh,
                         const cw_lc_valset *vals, const cw_lc_valset *trusted_vals,
                         uint64_t now_ns, unsigned threads, cw_lc_verify_info *info, char *err,
                         size_t err_len) CW_NONNULL(1, 3, 4, 5) CW_WARN_UNUSED;

/** cw_lc_verify restricted to adjacent headers (sh height must be trusted_height + 1,
 *  else CW_EINVAL). Returns: as cw_lc_verify. */
int cw_lc_verify_adjacent(const cw_lc_client_state *cs, uint64_t trusted_height,
                          const cw_lc_consensus_state *trusted, const cw_signed_header *sh,
                          const cw_lc_valset *vals, uint64_t now_ns, cw_lc_verify_info *info,
                          char *err, size_t err_len) CW_NONNULL(1, 3, 4, 5) CW_WARN_UNUSED;

/** cw_lc_verify restricted to skipping (sh height must be > trusted_height + 1, else
 *  CW_EINVAL); trusted_vals is required (NULL → CW_EINVAL). Returns: as cw_lc_verify. */
int cw_lc_verify_skipping(const cw_lc_client_state *cs, uint64_t trusted_height,
                          const cw_lc_consensus_state *trusted, const cw_signed_header *sh,
                          const cw_lc_valset *vals, const cw_lc_valset *trusted_vals,
                          uint64_t now_ns, cw_lc_verify_info *info, char *err, size_t err_len)
    CW_NONNULL(1, 3, 4, 5) CW_WARN_UNUSED;

/* ---- update ---------------------------------------------------------------------- */

typedef struct cw_lc_update_result {
    bool noop;      /* the identical consensus state was already stored: the header was NOT
                     * verified (info is zero), only found to change nothing */
    uint64_t height;
    cw_lc_consensus_state consensus_state; /* the state stored (or already there) */
    uint32_t pruned; /* expired states removed */
    cw_lc_verify_info info;
} cw_lc_update_result;

/** Update a client with header sh, verified from the stored consensus state at
 *  trusted_height (ICS-07 UpdateClient).
 *
 *  Steps: the client must be Active at now_ns; the trusted state must be stored; then
 *    - a state already stored at sh's height equal to cw_lc_consensus_state_of(sh's header)
 *      → CW_OK, noop, nothing written and the commit NOT verified (res->info zero: no
 *      signature checked). Safe because nothing changes; it makes a duplicate (a relayer
 *      that lost a race, or a no-op carrying a large commit to waste the chain's CPU) cost
 *      a few store reads. A caller that needs the header itself verified (to use its
 *      other fields) must not take a noop as verification (it may call cw_lc_verify);
 *  cw_lc_verify (every other header, before anything is decided from it); then, against
 *  the store:
 *    - a different state already at sh's height → misbehaviour (only ever from a verified
 *      header);
 *    - the nearest stored state below must be older and the nearest above newer than the
 *      header (time monotonicity), else misbehaviour;
 *  and only then writes: put the new state, raise latest_height, prune up to
 *  CW_LC_PRUNE_MAX expired states, oldest first (never the new one).
 *  In/Out: cs: the client state, updated on success; on misbehaviour only frozen_height is
 *          set (to sh's height) — the one failure that changes state.
 *  Returns: CW_OK updated or no-op; CW_EFROZEN / CW_EEXPIRED client not Active;
 *           CW_ENOTFOUND no consensus state at trusted_height; CW_EMISBEHAVIOUR a verified
 *           header conflicts with stored state: the client is now frozen, nothing stored;
 *           every cw_lc_verify code; a store error (nothing changed if it came from a read
 *           or from put; a failed prune delete just stops pruning).
 *  Out: res (may be NULL): zeroed on entry; filled on CW_OK.
 *  Memory: as cw_lc_verify plus the store's own. Not thread-safe for one client. */
int cw_lc_update(cw_lc_client_state *cs, const cw_lc_store *st, const cw_signed_header *sh,
                 const cw_lc_valset *vals, uint64_t trusted_height,
                 const cw_lc_valset *trusted_vals, uint64_t now_ns, cw_lc_update_result *res,
                 char *err, size_t err_len) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** cw_lc_update from a decoded MsgUpdateClient body, with the sets parsed through cache.
 *  A no-op (as cw_lc_update) is recognised before the sets are parsed or looked up.
 *  Returns: as cw_lc_update, plus cw_lc_vcache_get's codes. */
int cw_lc_update_msg(cw_lc_client_state *cs, const cw_lc_store *st, cw_lc_vcache *cache,
                     const cw_update_header *u, uint64_t now_ns, cw_lc_update_result *res,
                     char *err, size_t err_len) CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/* ---- misbehaviour ---------------------------------------------------------------- */

/** Check evidence: both headers verify (cw_lc_verify, each from its own stored trusted
 *  height and trusted set) for this client, and they conflict: same height and different
 *  block hashes, or different heights where the higher one's time is not after the lower's.
 *  The client must be Active.
 *  Returns: CW_OK the evidence is valid misbehaviour; CW_EINVAL both verify but do not
 *           conflict, or a header is for another chain; CW_EFROZEN / CW_EEXPIRED; every
 *           cw_lc_verify code (err says which header); CW_ENOTFOUND a trusted height is not
 *           stored; cache and store errors. Changes nothing.
 *  Source: ICS-07 CheckForMisbehaviour / VerifyClientMessage(Misbehaviour). */
int cw_lc_check_misbehaviour(const cw_lc_client_state *cs, const cw_lc_store *st,
                             cw_lc_vcache *cache, const cw_update_header *h1,
                             const cw_update_header *h2, uint64_t now_ns, char *err,
                             size_t err_len) CW_NONNULL(1, 2, 3, 4, 5) CW_WARN_UNUSED;

/** cw_lc_check_misbehaviour, then freeze: frozen_height = the lower conflicting height.
 *  Returns: as cw_lc_check_misbehaviour; cs changes only on CW_OK. */
int cw_lc_submit_misbehaviour(cw_lc_client_state *cs, const cw_lc_store *st,
                              cw_lc_vcache *cache, const cw_update_header *h1,
                              const cw_update_header *h2, uint64_t now_ns, char *err,
                              size_t err_len) CW_NONNULL(1, 2, 3, 4, 5) CW_WARN_UNUSED;

/* ---- proofs at a height ---------------------------------------------------------- */

/** Verify an ICS-23 (SMT spec, fixed) membership proof of key = value against the state
 *  root of the consensus state stored at exactly `height`. The client must be Active.
 *  In:  proof: CommitmentProof protobuf bytes; key, value: raw bytes (lengths in bytes).
 *  Returns: CW_OK; CW_EFROZEN / CW_EEXPIRED; CW_ENOTFOUND no consensus state at height;
 *           the ICS-23 verifier's codes (CW_EBADPROOF, CW_EMALFORMED, CW_ETOOBIG,
 *           CW_EUNSUPPORTED, …); a store error.
 *  Memory: as the ICS-23 verifier. Source: ICS-07 VerifyMembership; ICS-23. */
int cw_lc_verify_membership(const cw_lc_client_state *cs, const cw_lc_store *st,
                            uint64_t height, const uint8_t *proof, size_t proof_len,
                            const uint8_t *key, size_t key_len, const uint8_t *value,
                            size_t value_len, uint64_t now_ns, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** As cw_lc_verify_membership, for a proof that key is absent. */
int cw_lc_verify_non_membership(const cw_lc_client_state *cs, const cw_lc_store *st,
                                uint64_t height, const uint8_t *proof, size_t proof_len,
                                const uint8_t *key, size_t key_len, uint64_t now_ns,
                                char *err, size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** The one check of a proven store path, shared by the IBC host (at the consensus state it
 *  holds) and by clients (at the state root of a header their light client verified), so both
 *  judge a proof the same way: path (NUL-terminated; its bytes are the key) = value
 *  (value_len bytes) when value is non-NULL, path absent when value is NULL — ICS-23
 *  membership / non-membership with the SMT spec against root32 (a header's state_root: the
 *  SMT root after that block's txs, which `query` at that height proves).
 *  Returns: CW_OK; the ICS-23 verifier's codes (CW_EBADPROOF, CW_EMALFORMED, CW_ETOOBIG,
 *  CW_EUNSUPPORTED, …). Thread-safe.
 *  Memory: as the ICS-23 verifier. Source: ICS-23 VerifyMembership / VerifyNonMembership. */
int cw_lc_verify_root(const uint8_t root32[static 32], const uint8_t *proof, size_t proof_len,
                      const char *path, const uint8_t *value, size_t value_len, char *err,
                      size_t err_len) CW_NONNULL(1, 4) CW_WARN_UNUSED;
/** cw_lc_verify_root against the consensus state stored at exactly `height` (the client must
 *  be Active at now_ns): the host's proof check (ICS-07 VerifyMembership /
 *  VerifyNonMembership). Returns: as cw_lc_verify_membership. */
int cw_lc_verify_path(const cw_lc_client_state *cs, const cw_lc_store *st, uint64_t height,
                      const uint8_t *proof, size_t proof_len, const char *path,
                      const uint8_t *value, size_t value_len, uint64_t now_ns, char *err,
                      size_t err_len) CW_NONNULL(1, 2, 6) CW_WARN_UNUSED;

#endif
