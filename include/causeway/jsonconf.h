/* Causeway — strict reading of JSON configuration files (genesis, node config, relayer
 * config) with jansson. Every failure names the file, the field (a dotted path such as
 * "validators[2].power") and the offending value, as DESIGN §11 asks; unknown fields are
 * errors, so a typo never silently falls back to a default. Thread-safe on distinct objects.
 */
#ifndef CAUSEWAY_JSONCONF_H
#define CAUSEWAY_JSONCONF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"

/** A reader with a sticky error, like cw_dec: read every field, check rc once. */
typedef struct cw_jconf {
    const char *file; /* for messages; borrowed */
    int rc;
    char *err;
    size_t err_len;
} cw_jconf;

/** Load a JSON object from path. Returns: CW_OK with *root (json_decref it); -errno cannot
 *  read; CW_EMALFORMED not JSON or not an object (err: "file:line:col: text"). */
int cw_jconf_load(json_t **root, const char *path, char *err, size_t err_len)
    CW_NONNULL(1, 2) CW_WARN_UNUSED;

/** Fail if obj has a key outside the NULL-terminated list `known`. what names obj. */
void cw_jconf_only(cw_jconf *c, const json_t *obj, const char *what, const char *const *known)
    CW_NONNULL(1, 3, 4);

/* Field readers. `what` is the dotted path for messages. required=false: a missing field
 * leaves *out at its default and is not an error. */
void cw_jconf_u64(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                  bool required, uint64_t min, uint64_t max, uint64_t *out) CW_NONNULL(1, 4, 8);
void cw_jconf_str(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                  bool required, size_t max_len, char *out, size_t out_size)
    CW_NONNULL(1, 4, 7);
/** A string field that must be exactly n bytes of hex. */
void cw_jconf_hex(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                  uint8_t *out, size_t n) CW_NONNULL(1, 4, 5);
/** An identifier (DESIGN §4). */
void cw_jconf_id(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                 bool required, char out[static 65]) CW_NONNULL(1, 4, 6);
/** An array field (borrowed json_t; NULL on failure or when absent and not required). */
const json_t *cw_jconf_array(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                             bool required, size_t max_items) CW_NONNULL(1, 4);
/** An object field (borrowed). */
const json_t *cw_jconf_object(cw_jconf *c, const json_t *obj, const char *key,
                              const char *what, bool required) CW_NONNULL(1, 4);

/** Record a failure: "<file>: <what>: <message>". Sticky. Returns c->rc. */
int cw_jconf_fail(cw_jconf *c, int rc, const char *what, const char *fmt, ...)
    CW_NONNULL(1, 3, 4) CW_PRINTF(4, 5);

#endif
