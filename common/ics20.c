/* ICS-20 on the wire (include/causeway/ics20.h): packet data and acks as ibc-go writes them,
 * with jansson for the JSON and OpenSSL for base64. */
#include "causeway/ics20.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/error.h"
#include "causeway/hash.h"

/* ibc-go channeltypes ackErrorString */
#define ACK_ERROR_TEXT "error handling packet: see events for details"
/* the most result bytes a success ack may carry: its base64 within CW_ACK_MAX */
#define RESULT_RAW_MAX 756u

/* ---- encoding ------------------------------------------------------------------------- */

/* A field we send: valid UTF-8 is jansson's check (json_stringn refuses the rest); control
 * characters are refused here (see the header). */
static int field_ok(const char *s, const char *name, bool required, char *err, size_t err_len)
{
    if (required && s[0] == '\0')
        return cw_errf(err, err_len, CW_EINVAL, "ics20 packet.%s: empty", name);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20)
            return cw_errf(err, err_len, CW_EINVAL,
                           "ics20 packet.%s: control character 0x%02x at byte %zu", name, *c,
                           (size_t)(c - (const unsigned char *)s));
    return CW_OK;
}

static int set_str(json_t *o, const char *key, const char *v, char *err, size_t err_len)
{
    json_t *s = json_string(v);
    if (!s)
        return cw_errf(err, err_len, CW_EINVAL, "ics20 packet.%s: not valid UTF-8", key);
    return json_object_set_new(o, key, s) ? -ENOMEM : CW_OK;
}

/* Append jansson's compact text with Go's encoding/json HTML-safe escapes: these bytes occur
 * only inside strings (the keys are fixed ASCII without them). */
static void append_go_escaped(cw_enc *e, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        size_t skip = 1;
        if (s[i] == '<')
            rep = "\\u003c";
        else if (s[i] == '>')
            rep = "\\u003e";
        else if (s[i] == '&')
            rep = "\\u0026";
        else if ((unsigned char)s[i] == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                 ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            rep = (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
            skip = 3;
        }
        if (rep) {
            cw_enc_raw(e, s + from, i - from);
            cw_enc_raw(e, rep, 6);
            i += skip - 1;
            from = i + 1;
        }
    }
    cw_enc_raw(e, s + from, n - from);
}

int cw_ics20_packet_encode(cw_enc *e, const cw_ics20_packet *p, char *err, size_t err_len)
{
    int rc;
    if ((rc = field_ok(p->amount, "amount", true, err, err_len)) ||
        (rc = field_ok(p->denom, "denom", true, err, err_len)) ||
        (rc = field_ok(p->memo, "memo", false, err, err_len)) ||
        (rc = field_ok(p->receiver, "receiver", true, err, err_len)) ||
        (rc = field_ok(p->sender, "sender", true, err, err_len)))
        return rc;
    json_t *o = json_object();
    if (!o)
        return -ENOMEM;
    /* jsonpb with EmitDefaults false: an empty memo is left out (ibc-go codec.go) */
    if ((rc = set_str(o, "amount", p->amount, err, err_len)) ||
        (rc = set_str(o, "denom", p->denom, err, err_len)) ||
        (p->memo[0] && (rc = set_str(o, "memo", p->memo, err, err_len))) ||
        (rc = set_str(o, "receiver", p->receiver, err, err_len)) ||
        (rc = set_str(o, "sender", p->sender, err, err_len))) {
        json_decref(o);
        return rc;
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!s)
        return -ENOMEM;
    append_go_escaped(e, s, strlen(s));
    free(s);
    return e->rc;
}

/* ---- decoding ------------------------------------------------------------------------- */

/* Parse one JSON object strictly (whole input, duplicates refused, U+0000 refused). */
static int load_object(json_t **out, const uint8_t *buf, size_t len, const char *what, char *err,
                       size_t err_len)
{
    json_error_t je;
    *out = NULL;
    json_t *j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return cw_errf(err, err_len, CW_EMALFORMED, "%s: not JSON: %s (byte %d)", what, je.text,
                       je.position);
    if (!json_is_object(j)) {
        json_decref(j);
        return cw_errf(err, err_len, CW_EMALFORMED, "%s: not a JSON object", what);
    }
    *out = j;
    return CW_OK;
}

int cw_ics20_packet_decode(cw_ics20_packet *p, const uint8_t *buf, size_t len, char *err,
                           size_t err_len)
{
    memset(p, 0, sizeof *p);
    json_t *o;
    int rc = load_object(&o, buf, len, "ics20 packet", err, err_len);
    if (rc)
        return rc;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        char *dst;
        size_t max;
        if (strcmp(key, "amount") == 0)
            dst = p->amount, max = CW_ICS20_AMOUNT_DIGITS;
        else if (strcmp(key, "denom") == 0)
            dst = p->denom, max = CW_ICS20_DENOM_MAX;
        else if (strcmp(key, "memo") == 0)
            dst = p->memo, max = CW_ICS20_MEMO_MAX;
        else if (strcmp(key, "receiver") == 0)
            dst = p->receiver, max = CW_ICS20_ADDR_MAX;
        else if (strcmp(key, "sender") == 0)
            dst = p->sender, max = CW_ICS20_ADDR_MAX;
        else {
            rc = cw_errf(err, err_len, CW_EMALFORMED, "ics20 packet: unknown field \"%.64s\"",
                         key);
            break;
        }
        if (!json_is_string(v)) {
            rc = cw_errf(err, err_len, CW_EMALFORMED, "ics20 packet.%s: not a string", key);
            break;
        }
        size_t n = json_string_length(v);
        if (n > max) {
            rc = cw_errf(err, err_len, CW_ETOOBIG, "ics20 packet.%s: %zu bytes exceed %zu", key,
                         n, max);
            break;
        }
        memcpy(dst, json_string_value(v), n);
        dst[n] = '\0';
    }
    json_decref(o);
    if (rc)
        memset(p, 0, sizeof *p);
    return rc;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!(*s == ' ' || (*s >= '\t' && *s <= '\r')))
            return false;
    return true;
}

int cw_ics20_packet_validate(const cw_ics20_packet *p, uint32_t *abci_code, char *err,
                             size_t err_len)
{
    uint64_t a;
    *abci_code = 0;
    int rc = cw_ics20_amount_parse(&a, p->amount, err, err_len);
    if (rc && rc != CW_EOVERFLOW) { /* a u64 overflow is valid data; the app refuses it */
        *abci_code = CW_ICS20_ABCI_INVALID_AMOUNT;
        return CW_EINVAL;
    }
    if (blank(p->sender) || blank(p->receiver)) {
        *abci_code = CW_ICS20_ABCI_INVALID_ADDRESS;
        return cw_errf(err, err_len, CW_EINVAL, "ics20 packet: %s address cannot be blank",
                       blank(p->sender) ? "sender" : "receiver");
    }
    /* ibc-go ValidatePrefixedDenom: not blank, and the base (last segment) not blank */
    const char *last = strrchr(p->denom, '/');
    if (blank(p->denom) || (last && blank(last + 1))) {
        *abci_code = CW_ICS20_ABCI_INVALID_DENOM;
        return cw_errf(err, err_len, CW_EINVAL, "ics20 packet.denom: base denomination cannot "
                       "be blank");
    }
    return CW_OK;
}

int cw_ics20_amount_parse(uint64_t *out, const char *s, char *err, size_t err_len)
{
    static const char max256[] = "1157920892373161954235709850086879078532699846656405640394575"
                                 "84007913129639935"; /* 2^256 - 1 */
    *out = 0;
    size_t n = strlen(s);
    bool digits = n > 0;
    for (size_t i = 0; i < n; i++)
        digits = digits && s[i] >= '0' && s[i] <= '9';
    if (!digits || (s[0] == '0') || n > CW_ICS20_AMOUNT_DIGITS ||
        (n == CW_ICS20_AMOUNT_DIGITS && strcmp(s, max256) > 0))
        return cw_errf(err, err_len, CW_EMALFORMED,
                       "ics20 amount \"%.80s\": not a positive integer below 2^256 in canonical "
                       "decimal", s);
    if (cw_u64_from_dec(out, s, NULL, 0) != CW_OK) {
        *out = 0;
        return cw_errf(err, err_len, CW_EOVERFLOW,
                       "ics20 amount %s: above 2^64-1, the most a balance here holds", s);
    }
    return CW_OK;
}

/* ---- acks ----------------------------------------------------------------------------- */

void cw_ics20_ack_success_enc(cw_enc *e)
{
    static const char ok[] = "{\"result\":\"AQ==\"}"; /* base64(0x01) */
    cw_enc_raw(e, ok, sizeof ok - 1);
}

void cw_ics20_ack_error_enc(cw_enc *e, uint32_t code)
{
    char s[CW_ICS20_ACK_MAX + 1];
    int n = snprintf(s, sizeof s, "{\"error\":\"ABCI code: %u: " ACK_ERROR_TEXT "\"}", code);
    cw_enc_raw(e, s, (size_t)n);
}

int cw_ics20_ack_decode(bool *ok, cw_bytes *payload, const uint8_t *buf, size_t len,
                        char *err, size_t err_len)
{
    *ok = false;
    *payload = (cw_bytes){NULL, 0};
    json_t *o;
    int rc = load_object(&o, buf, len, "ics20 ack", err, err_len);
    if (rc)
        return rc;
    rc = CW_EMALFORMED;
    json_t *res = json_object_get(o, "result"), *er = json_object_get(o, "error");
    if (json_object_size(o) != 1 || (!res && !er)) {
        cw_errf(err, err_len, rc, "ics20 ack: want exactly one of \"result\", \"error\"");
    } else if (!json_is_string(res ? res : er)) {
        cw_errf(err, err_len, rc, "ics20 ack.%s: not a string", res ? "result" : "error");
    } else if (er) {
        if (blank(json_string_value(er)) || strlen(json_string_value(er)) != json_string_length(er))
            cw_errf(err, err_len, rc, "ics20 ack.error: blank");
        else
            rc = CW_OK;
    } else {
        /* standard base64, padded, canonical, decoding to at least one byte */
        const char *b = json_string_value(res);
        size_t n = json_string_length(res);
        unsigned char raw[RESULT_RAW_MAX];
        if (n == 0 || n % 4 || n > sizeof raw / 3 * 4) {
            cw_errf(err, err_len, rc, "ics20 ack.result: not padded base64 of 1..%zu bytes",
                    sizeof raw);
        } else {
            int m = EVP_DecodeBlock(raw, (const unsigned char *)b, (int)n);
            size_t pad = (b[n - 1] == '=') + (b[n - 2] == '=');
            char back[sizeof raw / 3 * 4 + 1];
            if (m < 0 || (size_t)m < pad + 1 ||
                EVP_EncodeBlock((unsigned char *)back, raw, m - (int)pad) != (int)n ||
                memcmp(back, b, n) != 0)
                cw_errf(err, err_len, rc, "ics20 ack.result: not canonical base64");
            else
                rc = CW_OK;
        }
        *ok = rc == CW_OK;
    }
    json_decref(o);
    if (rc == CW_OK)
        *payload = (cw_bytes){buf, len};
    return rc;
}

/* ---- denoms --------------------------------------------------------------------------- */

void cw_ics20_ibc_denom(char out[static 69], const char *path)
{
    static const char hexd[] = "0123456789ABCDEF";
    uint8_t h[32];
    cw_sha256(h, path, strlen(path));
    memcpy(out, "ibc/", 4);
    for (int i = 0; i < 32; i++) {
        out[4 + 2 * i] = hexd[h[i] >> 4];
        out[5 + 2 * i] = hexd[h[i] & 15];
    }
    out[68] = '\0';
}

bool cw_ics20_has_prefix(const char *denom, const char *port, const char *channel)
{
    size_t pl = strlen(port), cl = strlen(channel);
    return strncmp(denom, port, pl) == 0 && denom[pl] == '/' &&
           strncmp(denom + pl + 1, channel, cl) == 0 && denom[pl + 1 + cl] == '/';
}

bool cw_ics20_path_has_trace(const char *path)
{
    /* ibc-go extractPathAndBaseFromFullDenom: three or more segments whose second is a valid
     * channel id (IsValidChannelID: "channel-" + a decimal u64, leading zeros allowed); the
     * port segment is not checked there, so not here either */
    const char *s1 = strchr(path, '/');
    if (!s1)
        return false;
    const char *ch = s1 + 1, *s2 = strchr(ch, '/');
    if (!s2 || strncmp(ch, "channel-", 8) != 0)
        return false;
    const char *d = ch + 8;
    if (d == s2)
        return false;
    for (const char *c = d; c < s2; c++)
        if (*c < '0' || *c > '9')
            return false;
    while (d < s2 - 1 && *d == '0')
        d++;
    size_t nd = (size_t)(s2 - d);
    return nd < 20 || (nd == 20 && strncmp(d, "18446744073709551615", 20) <= 0);
}

void cw_ics20_escrow_address(cw_address *out, const char *port, const char *channel)
{
    uint8_t h[32];
    cw_bytes parts[5] = {{(const uint8_t *)CW_ICS20_VERSION, strlen(CW_ICS20_VERSION)},
                         {(const uint8_t *)"\0", 1},
                         {(const uint8_t *)port, strlen(port)},
                         {(const uint8_t *)"/", 1},
                         {(const uint8_t *)channel, strlen(channel)}};
    cw_sha256_parts(h, parts, 5);
    memcpy(out->b, h, 20);
}
