/* Causeway — canonical MessagePack codec over msgpack-c (DESIGN §4).
 *
 * Every consensus-critical structure is a msgpack array of fixed arity in a fixed field
 * order; integers in the shortest form; byte strings as bin; identifiers as str; u128
 * values (wad prices, indexes) as a 16-byte big-endian bin.
 *
 * Decoding is strict. cw_dec_open accepts an input only if
 *   1. a bounds pre-scan passes: every declared str/bin length and array count fits in the
 *      bytes left (an array of n elements needs at least n more bytes), nesting is at most
 *      CW_CODEC_MAX_DEPTH, and only nil, bool, int, str, bin and array appear (no map,
 *      float or ext) — all checked BEFORE msgpack-c allocates anything, so a 6-byte frame
 *      declaring a 2^32-element array is refused without allocating;
 *   2. exactly one object spans the whole input (no trailing bytes);
 *   3. every header is the one msgpack-c's packer writes for its value (the canonical-form
 *      rule: one encoding per value): integers in their shortest form (a signed type only
 *      for negatives), str/bin/array lengths in the smallest header. Checked by the same
 *      pre-scan, in one pass over the headers; the result is what re-encoding the decoded
 *      object and comparing would give (tests/unit/test_codec.c checks the two agree).
 * Then typed accessors read fields with a sticky error: the first failure is recorded in
 * the cw_dec (code + one line naming the field), and later calls do nothing and return
 * zero values, so a decoder reads all its fields and checks d->rc once.
 *
 * Memory: a cw_dec owns one msgpack zone (an arena), sized O(input length), freed by
 * cw_dec_close. str/bin pointers returned by accessors point INTO THE CALLER'S INPUT
 * BUFFER: they stay valid while that buffer lives, not merely while the cw_dec lives.
 * Thread safety: a cw_enc / cw_dec is used by one thread at a time; distinct ones are
 * independent.
 */
#ifndef CAUSEWAY_CODEC_H
#define CAUSEWAY_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "causeway/error.h"
#include "causeway/hash.h"
#include "causeway/mathx.h"

/** Maximum nesting depth of arrays (msgpack-c's own unpacker stops at 32). */
#define CW_CODEC_MAX_DEPTH 24
/** Default upper bound on any one decoded input (frames, txs, files): 4 MiB. */
#define CW_CODEC_MAX_INPUT (4u << 20)

/* ---- encoding ------------------------------------------------------------------------ */

/** An encoder appending to a growable buffer (msgpack_sbuffer). rc is sticky: -ENOMEM once
 *  any append failed. Allocates as the buffer grows; free with cw_enc_free. */
typedef struct cw_enc {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    int rc;
} cw_enc;

void cw_enc_init(cw_enc *e) CW_NONNULL(1);
/** Frees the buffer. Accepts NULL and an encoder already released. */
void cw_enc_free(cw_enc *e);
/** Hand the buffer to the caller (free() it); the encoder is left empty.
 *  Returns the bytes (NULL if nothing was written or on a sticky error; then *len = 0). */
uint8_t *cw_enc_release(cw_enc *e, size_t *len) CW_NONNULL(1, 2);

void cw_enc_array(cw_enc *e, uint32_t n) CW_NONNULL(1);
void cw_enc_u64(cw_enc *e, uint64_t v) CW_NONNULL(1);
void cw_enc_u128(cw_enc *e, cw_u128 v) CW_NONNULL(1); /* 16-byte big-endian bin */
void cw_enc_bool(cw_enc *e, bool v) CW_NONNULL(1);
void cw_enc_nil(cw_enc *e) CW_NONNULL(1);
void cw_enc_bin(cw_enc *e, const void *p, size_t n) CW_NONNULL(1);
void cw_enc_str(cw_enc *e, const char *p, size_t n) CW_NONNULL(1);
void cw_enc_cstr(cw_enc *e, const char *s) CW_NONNULL(1, 2);
/** Append bytes that are already one canonical encoded object (e.g. a nested structure
 *  encoded earlier). The caller vouches for them. */
void cw_enc_raw(cw_enc *e, const void *p, size_t n) CW_NONNULL(1);

/** Append a decoded object (e.g. a field of a canonical input) re-encoded; since inputs are
 *  canonical, the bytes equal the original's. Returns e->rc afterwards. */
int cw_enc_object(cw_enc *e, const msgpack_object *o) CW_NONNULL(1, 2);

static inline const uint8_t *cw_enc_data(const cw_enc *e) { return (const uint8_t *)e->sb.data; }
static inline size_t cw_enc_len(const cw_enc *e) { return e->sb.size; }

/** The 8-byte big-endian u64 used for stored amounts, sequences, and hashed layouts
 *  (ibc-go's packet commitment, LMDB height keys). Pure; no bounds beyond the 8 bytes. */
void cw_be64_put(uint8_t out[static 8], uint64_t v) CW_NONNULL(1);
uint64_t cw_be64_get(const uint8_t in[static 8]) CW_NONNULL(1);

/* ---- decoding ------------------------------------------------------------------------ */

/* A cw_dec set up as `cw_dec d = {.err = err, .err_len = err_len};` (no cw_dec_open) is a
 * plain reader: its accessors read objects decoded by another cw_dec (e.g. a msg body inside
 * a tx) with the same sticky error; it owns nothing and needs no cw_dec_close. */
typedef struct cw_dec {
    msgpack_unpacked u; /* owns the zone */
    int rc;             /* CW_OK, or the first failure */
    char *err;          /* caller's buffer for the failure line (may be NULL) */
    size_t err_len;
} cw_dec;

/** Validate and decode one canonical object occupying all of buf[0..len).
 *
 *  Returns: CW_OK and *root set (valid until cw_dec_close);
 *           CW_ETOOBIG len > max_len, a declared length beyond the input, or nesting deeper
 *             than CW_CODEC_MAX_DEPTH;
 *           CW_EMALFORMED empty or truncated input, trailing bytes, a map/float/ext/reserved
 *             byte;
 *           CW_ENONCANONICAL decodes but is not the canonical encoding (err gives the byte
 *             offset);
 *           -ENOMEM.
 *  err receives one line naming the problem and its byte offset. cw_dec_close must be
 *  called whatever this returns. d->rc holds the return code afterwards.
 */
int cw_dec_open(cw_dec *d, const msgpack_object **root, const uint8_t *buf, size_t len,
                size_t max_len, char *err, size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** cw_dec_open with at most max_objects objects in the input (every value and every array
 *  counts one), checked by the pre-scan before anything is allocated: the decoded tree takes
 *  ~32 bytes per object, so a caller that keeps or decodes untrusted input often bounds the
 *  objects per byte (a tx: causeway/tx.h). Returns: as cw_dec_open; CW_ETOOBIG also for more
 *  than max_objects objects. */
int cw_dec_open_limit(cw_dec *d, const msgpack_object **root, const uint8_t *buf, size_t len,
                      size_t max_len, size_t max_objects, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Release the zone. Accepts NULL and a cw_dec whose open failed. */
void cw_dec_close(cw_dec *d);

/** Only the bounds pre-scan (step 1) and the single-object rule (step 2) of cw_dec_open,
 *  for callers that decode with msgpack-c themselves. Allocates nothing.
 *  Returns: as cw_dec_open, except never CW_ENONCANONICAL or -ENOMEM. */
int cw_codec_prescan(const uint8_t *buf, size_t len, char *err, size_t err_len) CW_WARN_UNUSED;

/** Record a failure (sticky: only the first one is kept). Returns d->rc afterwards.
 *  For semantic checks inside decoders: cw_dec_fail(d, CW_EINVAL, "validator_set: not sorted"). */
int cw_dec_fail(cw_dec *d, int rc, const char *fmt, ...) CW_NONNULL(1, 3) CW_PRINTF(3, 4);

/* Typed accessors. `what` (printf format + args) names the field for the error line and is
 * formatted only on failure. On failure or after an earlier one: the zero value. */

/** An array of exactly `arity` elements (arity ≤ 32). Returns the elements; on failure a
 *  static array of 32 nil objects, so items[i] is always readable for i < arity. */
const msgpack_object *cw_dec_array(cw_dec *d, const msgpack_object *o, uint32_t arity,
                                   const char *what, ...) CW_NONNULL(1, 4) CW_PRINTF(4, 5);

/** An array of at most max elements; *n receives the count (0 on failure).
 *  Returns the elements (NULL when *n == 0). */
const msgpack_object *cw_dec_list(cw_dec *d, const msgpack_object *o, uint32_t max, uint32_t *n,
                                  const char *what, ...) CW_NONNULL(1, 4, 5) CW_PRINTF(5, 6);

uint64_t cw_dec_u64(cw_dec *d, const msgpack_object *o, const char *what, ...)
    CW_NONNULL(1, 3) CW_PRINTF(3, 4);
/** An unsigned integer ≤ max. */
uint64_t cw_dec_uint_max(cw_dec *d, const msgpack_object *o, uint64_t max, const char *what,
                         ...) CW_NONNULL(1, 4) CW_PRINTF(4, 5);
/** A u128 encoded as a 16-byte bin. */
cw_u128 cw_dec_u128(cw_dec *d, const msgpack_object *o, const char *what, ...)
    CW_NONNULL(1, 3) CW_PRINTF(3, 4);
bool cw_dec_bool(cw_dec *d, const msgpack_object *o, const char *what, ...)
    CW_NONNULL(1, 3) CW_PRINTF(3, 4);
/** True when o is nil (no error either way). */
bool cw_dec_is_nil(const msgpack_object *o);

/** A bin of at most max bytes; borrowed from the input buffer. */
cw_bytes cw_dec_bin(cw_dec *d, const msgpack_object *o, size_t max, const char *what, ...)
    CW_NONNULL(1, 4) CW_PRINTF(4, 5);
/** A bin of exactly n bytes, copied into out (zeroed on failure). */
void cw_dec_bin_fixed(cw_dec *d, const msgpack_object *o, void *out, size_t n,
                      const char *what, ...) CW_NONNULL(1, 3, 5) CW_PRINTF(5, 6);
/** A str of at most max bytes; borrowed from the input buffer (not NUL-terminated). */
cw_bytes cw_dec_str(cw_dec *d, const msgpack_object *o, size_t max, const char *what, ...)
    CW_NONNULL(1, 4) CW_PRINTF(4, 5);
/** An identifier (DESIGN §4: 1..64 bytes of [A-Za-z0-9._+-]) copied NUL-terminated into
 *  out[CW_ID_MAX + 1] (out = "" on failure). */
void cw_dec_id(cw_dec *d, const msgpack_object *o, char out[static 65], const char *what, ...)
    CW_NONNULL(1, 3, 4) CW_PRINTF(4, 5);

/** The label of a nested field for a sub-decoder that takes a plain `what` string:
 *  "<what>.<field>" written into buf[buf_len ≥ 1] (truncated, NUL-terminated); returns buf.
 *  Pure; thread-safe. CW_DEC_LABEL(what, field) does it into a temporary of
 *  CW_DEC_LABEL_MAX bytes that lives until the end of the enclosing block, for use as an
 *  argument: cw_header_dec(d, &f[0], &sh->header, CW_DEC_LABEL(what, "header")). */
const char *cw_dec_label(char *buf, size_t buf_len, const char *what, const char *field)
    CW_NONNULL(1, 3, 4);
#define CW_DEC_LABEL_MAX 96
#define CW_DEC_LABEL(what, field)                                                          \
    cw_dec_label((char[CW_DEC_LABEL_MAX]){""}, CW_DEC_LABEL_MAX, (what), (field))

/* ---- whole-buffer wrappers -------------------------------------------------------------
 * Each wire type T has an encoder cw_T_enc(cw_enc *, const T *) and a decoder
 * cw_T_dec(cw_dec *, const msgpack_object *, T *, const char *what). These two macros define,
 * from them, the buffer-level pair with the house conventions:
 *   int name(uint8_t **out, size_t *out_len, const T *x)       malloc'd canonical bytes
 *     Returns: CW_OK; -ENOMEM; the encoder's sticky code (e.g. CW_ETOOBIG).
 *   int name(T *x, const uint8_t *buf, size_t len, char *err, size_t err_len)
 *     strict cw_dec_open (≤ CW_CODEC_MAX_INPUT bytes) then the decoder; x is zeroed first and
 *     freed with freefn on failure; err names the field under `label`.
 * Users need <errno.h>, <stdlib.h> and <string.h>. */
/* CW_CODEC_DECLARE(T) declares, for the wire type cw_T, the four functions with the
 * conventions above (the header that uses it documents the type's fields and errors):
 *   void cw_T_enc(cw_enc *e, const cw_T *x);
 *   void cw_T_dec(cw_dec *d, const msgpack_object *o, cw_T *x, const char *what);
 *   int cw_T_encode(uint8_t **out, size_t *out_len, const cw_T *x);
 *   int cw_T_decode(cw_T *x, const uint8_t *buf, size_t len, char *err, size_t err_len); */
#define CW_CODEC_DECLARE(T)                                                                \
    void cw_##T##_enc(cw_enc *e, const cw_##T *x) CW_NONNULL(1, 2);                        \
    void cw_##T##_dec(cw_dec *d, const msgpack_object *o, cw_##T *x, const char *what)     \
        CW_NONNULL(1, 3, 4);                                                               \
    int cw_##T##_encode(uint8_t **out, size_t *out_len, const cw_##T *x)                   \
        CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;                                                \
    int cw_##T##_decode(cw_##T *x, const uint8_t *buf, size_t len, char *err,              \
                        size_t err_len) CW_NONNULL(1) CW_WARN_UNUSED

#define CW_CODEC_DEFINE_ENCODE(name, type, encfn)                                                   \
    int name(uint8_t **out, size_t *out_len, const type *x)                                \
    {                                                                                      \
        cw_enc e;                                                                          \
        cw_enc_init(&e);                                                                   \
        encfn(&e, x);                                                                      \
        int rc_ = e.rc;                                                                    \
        *out = cw_enc_release(&e, out_len);                                                \
        if (!rc_ && !*out)                                                                 \
            rc_ = -ENOMEM;                                                                 \
        if (rc_) {                                                                         \
            free(*out);                                                                    \
            *out = NULL;                                                                   \
            *out_len = 0;                                                                  \
        }                                                                                  \
        return rc_;                                                                        \
    }

#define CW_CODEC_DEFINE_DECODE(name, type, decfn, freefn, label)                                    \
    int name(type *x, const uint8_t *buf, size_t len, char *err, size_t err_len)           \
    {                                                                                      \
        cw_dec d;                                                                          \
        const msgpack_object *root;                                                        \
        memset(x, 0, sizeof *x);                                                           \
        int rc_ = cw_dec_open(&d, &root, buf, len, CW_CODEC_MAX_INPUT, err, err_len);           \
        if (rc_ == CW_OK) {                                                                \
            decfn(&d, root, x, label);                                                     \
            rc_ = d.rc;                                                                    \
        } else if (err && err_len) {                                                       \
            cw_err_prefix(err, err_len, rc_, label);                                       \
        }                                                                                  \
        cw_dec_close(&d);                                                                  \
        if (rc_)                                                                           \
            freefn(x);                                                                     \
        return rc_;                                                                        \
    }

#endif
