/* Causeway — hex encoding and identifier validation (DESIGN §4). Thread-safe, no allocation. */
#ifndef CAUSEWAY_HEX_H
#define CAUSEWAY_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "causeway/error.h"

/** Maximum identifier length in bytes (chain, client, port, channel ids, denoms). */
#define CW_ID_MAX 64

/** Lower-case hex of in[0..n). out must hold 2n+1 bytes; it is NUL-terminated.
 *  Returns: CW_OK; CW_ETOOBIG if out_len < 2n+1 (out is then set to ""). */
int cw_hex_encode(char *out, size_t out_len, const uint8_t *in, size_t n) CW_NONNULL(1);

/** Decode hex (upper or lower case, no prefix, no separators) into out.
 *  Returns: CW_OK with *out_n = hex_len/2; CW_EMALFORMED odd length or a non-hex character
 *           (err names its position); CW_ETOOBIG decoded length > out_cap.
 *  On failure *out_n = 0 and out's contents are unspecified. */
int cw_hex_decode(uint8_t *out, size_t out_cap, size_t *out_n, const char *hex, size_t hex_len,
                  char *err, size_t err_len) CW_NONNULL(3) CW_WARN_UNUSED;

/** Decode exactly n bytes of hex (2n characters). Returns: CW_OK; CW_EMALFORMED otherwise
 *  (wrong length or bad character, named in err). */
int cw_hex_decode_exact(uint8_t *out, size_t n, const char *hex, char *err, size_t err_len)
    CW_NONNULL(1, 3) CW_WARN_UNUSED;

/** Validate an identifier: 1..CW_ID_MAX bytes of ASCII [A-Za-z0-9._+-] (the ICS-24
 *  identifier character set without '/', '#', '[', ']', '<', '>'), so no identifier can
 *  form or reach another module's state path.
 *  what names the field for the message ("port id").
 *  Returns: CW_OK; CW_EINVAL empty, too long, or a disallowed byte (err names it). */
int cw_id_validate(const char *id, size_t len, const char *what, char *err, size_t err_len)
    CW_NONNULL(3) CW_WARN_UNUSED;

#endif
