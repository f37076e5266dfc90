#include "causeway/hex.h"

static const char digits[] = "0123456789abcdef";

int cw_hex_encode(char *out, size_t out_len, const uint8_t *in, size_t n)
{
    if (out_len == 0)
        return CW_ETOOBIG;
    if (n > (out_len - 1) / 2) {
        out[0] = '\0';
        return CW_ETOOBIG;
    }
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
    return CW_OK;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cw_hex_decode(uint8_t *out, size_t out_cap, size_t *out_n, const char *hex, size_t hex_len,
                  char *err, size_t err_len)
{
    *out_n = 0;
    if (hex_len % 2)
        return cw_errf(err, err_len, CW_EMALFORMED, "hex: odd length %zu", hex_len);
    if (hex_len / 2 > out_cap)
        return cw_errf(err, err_len, CW_ETOOBIG, "hex: %zu bytes exceed the limit of %zu",
                       hex_len / 2, out_cap);
    for (size_t i = 0; i < hex_len; i += 2) {
        int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            size_t at = hi < 0 ? i : i + 1;
            unsigned char c = (unsigned char)hex[at];
            if (c >= 0x20 && c < 0x7f)
                return cw_errf(err, err_len, CW_EMALFORMED,
                               "hex: invalid character '%c' at position %zu", c, at);
            return cw_errf(err, err_len, CW_EMALFORMED,
                           "hex: invalid byte 0x%02x at position %zu", c, at);
        }
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *out_n = hex_len / 2;
    return CW_OK;
}

int cw_hex_decode_exact(uint8_t *out, size_t n, const char *hex, char *err, size_t err_len)
{
    size_t len = 0, got;
    while (hex[len] && len <= 2 * n)
        len++;
    if (len != 2 * n)
        return cw_errf(err, err_len, CW_EMALFORMED, "hex: expected %zu characters (%zu bytes)%s",
                       2 * n, n, len > 2 * n ? ", got more" : "");
    return cw_hex_decode(out, n, &got, hex, len, err, err_len);
}

int cw_id_validate(const char *id, size_t len, const char *what, char *err, size_t err_len)
{
    if (len == 0)
        return cw_errf(err, err_len, CW_EINVAL, "%s: empty", what);
    if (len > CW_ID_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "%s: %zu bytes exceed %d", what, len, CW_ID_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '+' || c == '-';
        if (!ok) {
            if (c >= 0x20 && c < 0x7f)
                return cw_errf(err, err_len, CW_EINVAL,
                               "%s: character '%c' at position %zu is not allowed "
                               "(allowed: A-Z a-z 0-9 . _ + -)", what, c, i);
            return cw_errf(err, err_len, CW_EINVAL,
                           "%s: byte 0x%02x at position %zu is not allowed "
                           "(allowed: A-Z a-z 0-9 . _ + -)", what, c, i);
        }
    }
    return CW_OK;
}
