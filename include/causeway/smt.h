/* Causeway — the test chain's state store: a versioned sparse Merkle tree on LMDB whose
 * proofs are ICS-23 `CommitmentProof` bytes under the SMT spec (DESIGN §5).
 *
 * Tree (DESIGN §5, ICS-23 SmtSpec):
 *   - a key's path is SHA256(key), 256 bits, most significant bit of byte 0 first
 *     (bit = 0: left child, 1: right child);
 *   - a leaf sits at the shallowest depth where its path is unique (shortcut leaves; a
 *     subtree holding exactly one key IS that key's leaf), inner nodes with one empty
 *     child exist where two or more keys share a longer prefix;
 *   - leaf  = SHA256(0x00 || SHA256(key) || SHA256(value));
 *     inner = SHA256(0x01 || left32 || right32); an empty child is 32 zero bytes;
 *   - THE ROOT OF THE EMPTY TREE IS 32 ZERO BYTES. No proof exists against it (ICS-23
 *     non-membership needs a neighbour; the verifier refuses an all-zero root): a caller
 *     that must show absence in an empty tree shows the zero root itself, which no leaf or
 *     inner hash can equal.
 *
 * Versions: each cw_smt_commit stores the root of one version (the block height). The
 * latest `state_versions` versions stay readable and provable: after committing version v,
 * versions <= v - state_versions are pruned (at most CW_SMT_PRUNE_PER_COMMIT of them per
 * commit, oldest first, so a lowered state_versions catches up over a few commits).
 *
 * Storage, in the caller's LMDB environment (five named databases):
 *   smt_nodes    key = be64(version that created the node) || node hash (40 bytes).
 *                inner: 0x01|flags, left ref (be64 version || hash), right ref (81 bytes);
 *                leaf:  0x00, be16 key_len, SHA256(key), key, value.
 *   smt_roots    be64(version) -> kind byte || root ref.
 *   smt_orphans  be64(v) || be32(chunk) -> refs of nodes whose LAST version is v.
 *   smt_meta     "format" -> 3 (formats 1, without smt_flat, and 2, smt_flat keyed by
 *                SHA256(key), are refused: start afresh).
 *   smt_flat     0x00 || key -> value (keys up to 480 bytes; longer: 0x01 || SHA256(key)),
 *                for every key of the LATEST version, in key order so that neighbouring
 *                keys written in one block (a block's packet paths) share pages: the
 *                latest-state index. cw_smt_get reads the latest committed value here in
 *                one B-tree lookup instead of walking ~log2(n) inner nodes; commits keep it
 *                in step (the block's final op per key) in the same txn; cw_smt_get_at
 *                uses it too when asked for the latest version. Proofs and reads at older
 *                versions walk the tree.
 * Nodes are content-addressed (the hash is in the key) AND carry the version that created
 * them (IAVL style). That is how pruning stays safe under content addressing: the same hash
 * created at v, orphaned at v+1 and created again at v+5 (a key set back to an old value)
 * is two distinct records, (v, h) and (v+5, h); a commit that drops a node from the tree
 * records its ref in the orphan list of the last version that still contained it, and
 * pruning version v deletes exactly the refs listed under v — nodes no version > v can
 * reach, because a ref is referenced only from the interval of versions between its
 * creation and its orphaning. Nodes that stay or move (a leaf pushed down by an insert,
 * pulled up by a delete) keep their ref and are never listed. Within one version each hash
 * occurs at most once (a subtree's hash fixes its leaves, hence its position).
 *
 * Node cache: inner nodes above depth 17 are cached in memory (64 MiB, direct-mapped, keyed
 * by ref, written through at commit and read through on reads), which takes a proof at
 * 10^6 keys from ~21 LMDB lookups to ~5. A ref's record never changes, so an entry is valid
 * for every version and every reader. It assumes the databases change only through
 * cw_smt_commit on this lineage: do not empty, restore or swap them under an open cw_smt
 * (close and open it again).
 *
 * Pending writes: cw_smt_set / cw_smt_delete go into an in-memory batch (last write per
 * key wins). cw_smt_get reads through the batch (a tx reads its own writes);
 * cw_smt_batch_mark / cw_smt_batch_rollback undo a failed tx's writes; cw_smt_commit
 * applies the batch inside the caller's write txn (one txn per block for block, state and
 * indexes) and clears it; cw_smt_discard drops it.
 *
 * Errors: CW_* codes and negative errno values. LMDB's own codes are mapped (they live in
 * the CW range) by cw_lmdb_error (error.h): MDB_MAP_FULL and MDB_TXN_FULL -> -ENOSPC,
 * MDB_READERS_FULL -> -EAGAIN, MDB_CORRUPTED, MDB_PAGE_NOTFOUND and other damage -> -EIO,
 * errno values -> -errno; a node the tree references but the database lacks -> -EIO
 * ("smt: missing node ...").
 *
 * Thread safety: one writer — set, delete, get, batch_mark, batch_rollback, discard,
 * commit on one cw_smt from one thread at a time. Readers — get_at, root, versions, prove
 * — may run concurrently from any threads and alongside the writer, each with its own LMDB
 * read txn (they share only the DBI handles and the mutex-guarded node cache).
 *
 * Source: DESIGN §5 "State"; ICS-23 (cosmos/ics23) SmtSpec, ExistenceProof and
 * NonExistenceProof (vectors README §4, §7, §8).
 */
#ifndef CAUSEWAY_SMT_H
#define CAUSEWAY_SMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "causeway/error.h"

/** Keys are 1..CW_SMT_KEY_MAX bytes. */
#define CW_SMT_KEY_MAX 512u
/** Values are 1..CW_SMT_VALUE_MAX bytes (ICS-23 leaves refuse empty values). The bound keeps
 *  every proof — a non-membership proof carries two neighbours' keys and values and up to
 *  2 x 256 inner ops — under the verifier's 64 KiB CW_ICS23_PROOF_MAX. */
#define CW_SMT_VALUE_MAX (16u * 1024u)
/** Default number of versions kept (DESIGN §5 state_versions). */
#define CW_SMT_DEFAULT_VERSIONS 10000u
/** Versions pruned at most per commit. */
#define CW_SMT_PRUNE_PER_COMMIT 8u
/** Named databases cw_smt_open creates: count them in mdb_env_set_maxdbs. */
#define CW_SMT_DBS 5u
/** Maximum pending entries in one batch (set/delete calls since the last commit/discard). */
#define CW_SMT_BATCH_MAX (1u << 22)

typedef struct cw_smt cw_smt;

/** Counters of the writer's work (monotonic since cw_smt_open). */
typedef struct cw_smt_stats {
    uint64_t hashes;        /* SHA-256 calls by set/delete/commit (path, value, leaf, inner) */
    uint64_t updates;       /* keys applied by commits (final set/delete per key) */
    uint64_t nodes_read;    /* node records read from LMDB by commits */
    uint64_t cache_hits;    /* inner nodes commits found in the node cache instead */
    uint64_t nodes_written; /* node records written by commits */
    uint64_t orphans;       /* node refs recorded in orphan lists */
    uint64_t nodes_pruned;  /* node records deleted by pruning */
    uint64_t versions_pruned;
} cw_smt_stats;

/** Open (creating if needed) the store's databases inside the caller's environment.
 *
 *  Returns: CW_OK; CW_EINVAL state_versions == 0, txn not of env, txn read-only while
 *           the databases do not exist yet, smt_meta holds an older or unknown format, or the
 *           LMDB build's key size limit is under 481 bytes (the latest-state index's
 *           longest key); -ENOMEM; LMDB errors as in the file comment
 *           (env's maxdbs too small: -EIO "smt: mdb_dbi_open: MDB_DBS_FULL ...").
 *  Out:     *out: the store (NULL on failure).
 *  In:      env: an open environment with room for CW_SMT_DBS more named databases.
 *           txn: a WRITE txn of env (it may create the databases); a read txn suffices
 *           once they exist (a read-only consumer). LMDB rule: handles opened in a write
 *           txn become usable by other txns only after it commits; if it aborts, close
 *           the store and open it again.
 *           state_versions: versions to keep, >= 1 (CW_SMT_DEFAULT_VERSIONS).
 *  Memory:  allocates the store and its 64 MiB node cache (zeroed pages, resident as the
 *           cache fills); the batch grows with use. The env must outlive the store. Call
 *           it from the thread that owns the write txn.
 */
int cw_smt_open(cw_smt **out, MDB_env *env, MDB_txn *txn, uint64_t state_versions,
                char *err, size_t err_len) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Free the store, its node cache and its pending batch (uncommitted writes are lost).
 *  Leaves the env and the databases alone. Call it when no reader uses the store. NULL ok. */
void cw_smt_close(cw_smt *smt);

/** Queue `key = value` in the pending batch (copies both).
 *  Returns: CW_OK; CW_EINVAL empty key or value; CW_ETOOBIG key_len > CW_SMT_KEY_MAX,
 *           value_len > CW_SMT_VALUE_MAX or the batch is full (CW_SMT_BATCH_MAX);
 *           -ENOMEM. On failure the batch is unchanged.
 *  Writer thread only. */
int cw_smt_set(cw_smt *smt, const uint8_t *key, size_t key_len, const uint8_t *value,
               size_t value_len, char *err, size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;

/** Queue the deletion of `key` (deleting an absent key is a no-op at commit).
 *  Returns: as cw_smt_set (without the value cases). Writer thread only. */
int cw_smt_delete(cw_smt *smt, const uint8_t *key, size_t key_len, char *err,
                  size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED;

/** Read `key` at the working state: the pending batch first, then the latest committed
 *  version visible in txn (the empty tree if none).
 *  Returns: CW_OK (*found says whether the key exists); CW_EINVAL / CW_ETOOBIG bad key;
 *           LMDB errors.
 *  Out:     *value, *value_len: the value when found (else NULL, 0). BORROWED: points into
 *           the batch (valid until the next set/delete/rollback/commit/discard) or into
 *           LMDB memory (valid until txn ends or the next write in txn). *found.
 *  In:      txn: a read or write txn of the store's env.
 *  Writer thread only (reads the batch). */
int cw_smt_get(cw_smt *smt, MDB_txn *txn, const uint8_t **value, size_t *value_len,
               bool *found, const uint8_t *key, size_t key_len)
    CW_NONNULL(1, 2, 3, 4, 5) CW_WARN_UNUSED;

/** Read `key` at committed `version` (ignores the batch). At the latest committed version
 *  of txn's snapshot the flat index answers (one lookup); older versions walk the tree.
 *  Returns: CW_OK (*found says whether the key exists at that version); CW_ENOTFOUND the
 *           version was never committed or is pruned; CW_EINVAL / CW_ETOOBIG bad key; LMDB
 *           errors.
 *  Out:     *value, *value_len: borrowed from LMDB (valid until txn ends or its next
 *           write), NULL/0 when absent. *found.
 *  Thread-safe with the caller's own txn. */
int cw_smt_get_at(const cw_smt *smt, MDB_txn *txn, uint64_t version, const uint8_t **value,
                  size_t *value_len, bool *found, const uint8_t *key, size_t key_len)
    CW_NONNULL(1, 2, 4, 5, 6) CW_WARN_UNUSED;

/** The root of committed `version`.
 *  Returns: CW_OK; CW_ENOTFOUND never committed or pruned; LMDB errors.
 *  Out:     root32: 32 bytes (zero for the empty tree; zeroed on failure).
 *  Thread-safe with the caller's own txn. */
int cw_smt_root(const cw_smt *smt, MDB_txn *txn, uint64_t version, uint8_t root32[static 32])
    CW_NONNULL(1, 2, 4) CW_WARN_UNUSED;

/** The oldest and latest retained versions.
 *  Returns: CW_OK; CW_ENOTFOUND nothing committed yet (outputs 0); LMDB errors.
 *  Thread-safe with the caller's own txn. */
int cw_smt_versions(const cw_smt *smt, MDB_txn *txn, uint64_t *oldest, uint64_t *latest)
    CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** Build an ICS-23 proof for `key` at committed `version`: a `CommitmentProof` with the
 *  `exist` variant (key, value, SMT leaf op, inner ops leaf-to-root) when the key is
 *  present, else the `nonexist` variant (key; left and right neighbours in SHA256(key)
 *  order, each an existence proof, one of them absent at the ends of the key space).
 *  Verify with cw_ics23_verify_membership / _non_membership and cw_ics23_spec_smt().
 *  Returns: CW_OK; CW_ENOTFOUND version never committed or pruned; CW_ESTATE the tree is
 *           empty at that version (no ICS-23 proof exists: see the file comment);
 *           CW_EINVAL / CW_ETOOBIG bad key; -ENOMEM; LMDB errors.
 *  Out:     *proof (malloc'd, caller frees with free(); NULL on failure), *proof_len
 *           (bytes, <= 64 KiB), *exists (true: membership proof).
 *  Memory:  allocates the proof and a temporary of about 20 KiB. Thread-safe with the
 *           caller's own txn.
 *  Source:  ICS-23 ExistenceProof / NonExistenceProof; SmtSpec. */
int cw_smt_prove(const cw_smt *smt, MDB_txn *txn, uint64_t version, uint8_t **proof,
                 size_t *proof_len, bool *exists, const uint8_t *key, size_t key_len,
                 char *err, size_t err_len) CW_NONNULL(1, 2, 4, 5, 6) CW_WARN_UNUSED;

/** A mark in the pending batch (its current length). Writer thread only. */
size_t cw_smt_batch_mark(const cw_smt *smt) CW_NONNULL(1);

/** Undo every set/delete made after `mark` (a mark taken since the last commit/discard);
 *  a mark beyond the batch is ignored. Allocates nothing. Writer thread only. */
void cw_smt_batch_rollback(cw_smt *smt, size_t mark) CW_NONNULL(1);

/** Drop the whole pending batch. Writer thread only. */
void cw_smt_discard(cw_smt *smt) CW_NONNULL(1);

/** Apply the pending batch as `version` inside the caller's write txn: write the new nodes,
 *  record orphans, store the root, prune versions <= version - state_versions (bounded,
 *  see CW_SMT_PRUNE_PER_COMMIT). An empty batch commits an unchanged root.
 *  Returns: CW_OK (batch cleared); CW_EINVAL version <= the latest committed version;
 *           -EACCES txn read-only; -ENOMEM; -EIO missing or corrupt node; LMDB errors
 *           (-ENOSPC map full).
 *           ON FAILURE txn holds partial writes: the caller MUST abort it. The batch is
 *           left intact (retry in a new txn, or cw_smt_discard).
 *           On success, aborting txn later drops the version (the batch is gone:
 *           re-execute the block).
 *  Out:     root32: the new root (zeroed on failure).
 *  Memory:  temporary memory proportional to the nodes touched (about 128 bytes per node
 *           written; ~10 nodes per key at 10^6 keys), freed before return. A batch of
 *           millions of keys can exceed LMDB's dirty-page limit of one txn (-ENOSPC):
 *           load very large genesis states over several versions.
 *  Writer thread only.
 *  Source:  DESIGN §5 "State". */
int cw_smt_commit(cw_smt *smt, MDB_txn *txn, uint64_t version, uint8_t root32[static 32],
                  char *err, size_t err_len) CW_NONNULL(1, 2, 4) CW_WARN_UNUSED;

/** Copy the writer's counters. */
void cw_smt_get_stats(const cw_smt *smt, cw_smt_stats *out) CW_NONNULL(1, 2);

/* ---- pure helpers (no store; thread-safe; allocate nothing) --------------------------- */

/** leaf32 = SHA256(0x00 || SHA256(key) || SHA256(value)). Source: DESIGN §5, SmtSpec leaf. */
void cw_smt_leaf_hash(uint8_t leaf32[static 32], const uint8_t *key, size_t key_len,
                      const uint8_t *value, size_t value_len) CW_NONNULL(1);

/** inner32 = SHA256(0x01 || left32 || right32) (an empty child is 32 zero bytes).
 *  Source: DESIGN §5, SmtSpec inner op. */
void cw_smt_inner_hash(uint8_t inner32[static 32], const uint8_t left32[static 32],
                       const uint8_t right32[static 32]) CW_NONNULL(1, 2, 3);

#endif
