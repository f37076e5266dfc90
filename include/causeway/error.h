/* Causeway — return codes and the error-detail convention (DESIGN §11).
 *
 * Every public function that can fail returns int: CW_OK (0), a negative CW_E* code from
 * the reserved range -30000 … -30999, or a negative errno passed through from the system
 * (-ENOMEM, -EIO, …). Where a caller needs more than a code it passes `char *err, size_t
 * err_len`; on failure that buffer receives one NUL-terminated line naming what was wrong
 * ("header.height: expected unsigned integer"). err may be NULL (err_len is then ignored).
 */
#ifndef CAUSEWAY_ERROR_H
#define CAUSEWAY_ERROR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define CW_WARN_UNUSED __attribute__((warn_unused_result))
#define CW_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define CW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CW_WARN_UNUSED
#define CW_NONNULL(...)
#define CW_PRINTF(f, a)
#endif

/* Reserved range for Causeway's own codes. */
#define CW_ERR_FIRST (-30000)
#define CW_ERR_LAST (-30999)

enum {
    CW_OK = 0,
    CW_EMALFORMED = -30001,    /* input does not decode (wrong type, arity, truncated, …) */
    CW_ENONCANONICAL = -30002, /* decodes, but is not the one canonical encoding */
    CW_ETOOBIG = -30003,       /* a length or count exceeds its documented bound */
    CW_EINVAL = -30004,        /* well-formed, but a value is out of its allowed domain */
    CW_EBADSIG = -30005,       /* a signature does not verify */
    CW_EBADPROOF = -30006,     /* a Merkle proof does not verify */
    CW_EBADHEADER = -30007,    /* a header or commit does not verify */
    CW_ETHRESHOLD = -30008,    /* not enough voting power signed */
    CW_EEXPIRED = -30009,      /* trusted state or client past its trusting period */
    CW_EFROZEN = -30010,       /* client frozen by misbehaviour */
    CW_EMISBEHAVIOUR = -30011, /* conflicting headers detected */
    CW_EOVERFLOW = -30012,     /* arithmetic would overflow */
    CW_ENOTFOUND = -30013,     /* no such key, height, client, channel, … */
    CW_EEXISTS = -30014,       /* already exists */
    CW_ESTATE = -30015,        /* object in the wrong state for this operation */
    CW_ETIMEOUT = -30016,      /* packet timed out, or a deadline passed */
    CW_ENONCE = -30017,        /* tx nonce is not the account's next nonce */
    CW_EUNAUTHORIZED = -30018, /* signer may not do this */
    CW_EINSUFFICIENT = -30019, /* balance, liquidity or collateral too small */
    CW_ESTALE = -30020,        /* price older than the allowed age */
    CW_EUNSUPPORTED = -30021,  /* a recognised but unsupported option (e.g. a hash op) */
    CW_EUNHEALTHY = -30022,    /* action would leave a position under its LTV */
    CW_ECLOSED = -30023,       /* connection closed */
    CW_EOUTOFGAS = -30024,     /* a tx would use more gas than its limit */
};

/** Name a return code.
 *
 *  Returns: a static NUL-terminated string: the CW_E* name and meaning for codes in the
 *           reserved range, strerror(-rc) for other negative codes, "success" for 0.
 *           Never NULL.
 *  Thread-safe (uses strerror_r into a thread-local buffer for errno values).
 */
const char *cw_strerror(int rc);

/** Write one line into an error buffer (printf-style), if err is not NULL and err_len > 0.
 *  Truncates silently; always NUL-terminates. Returns rc unchanged, so callers can write
 *  `return cw_errf(err, err_len, CW_EMALFORMED, "proof: %s", what);`.
 *  Thread-safe.
 */
int cw_errf(char *err, size_t err_len, int rc, const char *fmt, ...) CW_PRINTF(4, 5);

/** Prefix the existing line in err with "prefix: " (for callers adding context).
 *  Returns rc unchanged. Thread-safe. */
int cw_err_prefix(char *err, size_t err_len, int rc, const char *prefix);

/** Map an LMDB return code to Causeway's error space — the one mapping every LMDB store
 *  (the chain's block store and state tree, the relayer's database) uses, so a condition
 *  reads the same wherever it happens. LMDB's own codes (MDB_*, -30799 … -30780) sit
 *  inside the CW range and must never be passed through raw.
 *
 *  Returns: CW_OK              mdb_rc == 0 (MDB_SUCCESS);
 *           -mdb_rc            mdb_rc > 0, an errno from the system (-ENOSPC from the
 *                              filesystem, -EACCES, -ENOMEM, …);
 *           CW_ENOTFOUND       MDB_NOTFOUND;
 *           CW_EEXISTS         MDB_KEYEXIST;
 *           -ENOSPC            MDB_MAP_FULL, MDB_TXN_FULL, MDB_DBS_FULL: the store is full
 *                              (map size, a txn's dirty pages, named databases) — the same
 *                              code a full disk gives;
 *           -EAGAIN            MDB_READERS_FULL, MDB_TLS_FULL, MDB_MAP_RESIZED: a transient
 *                              shortage or a map grown by another process;
 *           CW_ETOOBIG         MDB_BAD_VALSIZE (key or value size unsupported);
 *           CW_ESTATE          MDB_BAD_TXN, MDB_BAD_RSLOT, MDB_BAD_DBI: a txn or handle
 *                              in the wrong state (the txn must be aborted);
 *           CW_EINVAL          MDB_INCOMPATIBLE (database flags differ from the existing);
 *           -EIO               MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_PANIC,
 *                              MDB_VERSION_MISMATCH, MDB_INVALID, MDB_CURSOR_FULL,
 *                              MDB_PAGE_FULL and any other negative code: the store is
 *                              damaged or unusable.
 *  In:      mdb_rc: a return value of an mdb_* function.
 *  Memory:  none. Thread-safe. The caller names the failure in its err line with
 *           mdb_strerror(mdb_rc).
 *  Source:  LMDB 0.9 lmdb.h, "Return Codes".
 */
int cw_lmdb_error(int mdb_rc);

#endif
