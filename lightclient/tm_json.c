/* 07-tendermint: light blocks from JSON (tendermint-rs LightBlock; CometBFT RPC commit +
 * validators results) with jansson; base64 through OpenSSL (include/causeway/tendermint.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "causeway/hex.h"
#include "causeway/tendermint.h"

/* A reader with a sticky error: read every field, check rc once. */
typedef struct jr {
    int rc;
    char *err;
    size_t err_len;
} jr;

#define PATH_MAX_LEN 160

/* a field path for messages (truncated silently when deep) */
static void pathf(char *out, size_t n, const char *fmt, ...) CW_PRINTF(3, 4);
static void pathf(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, n, fmt, ap);
    va_end(ap);
}

static void jfail(jr *r, int rc, const char *path, const char *key, const char *fmt, ...)
    CW_PRINTF(5, 6);
static void jfail(jr *r, int rc, const char *path, const char *key, const char *fmt, ...)
{
    if (r->rc)
        return;
    r->rc = rc;
    if (!r->err || !r->err_len)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->err_len, "%s%s%s: %s", path, *path && key ? "." : "", key ? key : "",
             msg);
}

static json_t *jfield(jr *r, const json_t *o, const char *path, const char *key)
{
    if (r->rc)
        return NULL;
    json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    if (!v)
        jfail(r, CW_EMALFORMED, path, key, "missing");
    return v;
}

static const json_t *jobject(jr *r, const json_t *o, const char *path, const char *key)
{
    json_t *v = jfield(r, o, path, key);
    if (v && !json_is_object(v)) {
        jfail(r, CW_EMALFORMED, path, key, "expected an object");
        return NULL;
    }
    return v;
}

static const char *jstring(jr *r, const json_t *o, const char *path, const char *key)
{
    json_t *v = jfield(r, o, path, key);
    if (v && !json_is_string(v)) {
        jfail(r, CW_EMALFORMED, path, key, "expected a string");
        return NULL;
    }
    return v ? json_string_value(v) : NULL;
}

/* an int64 as a decimal string ("-"? digits, no leading zeros but "0") or a JSON integer */
static int64_t jint(jr *r, const json_t *o, const char *path, const char *key, int64_t min,
                    int64_t max)
{
    json_t *v = jfield(r, o, path, key);
    int64_t x = 0;
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v), i = s[0] == '-';
        bool neg = i == 1;
        if (n == i || n - i > 19 || (s[i] == '0' && n - i > 1)) {
            jfail(r, CW_EMALFORMED, path, key, "'%.30s' is not a decimal integer", s);
            return 0;
        }
        uint64_t u = 0;
        for (; i < n; i++) {
            if (s[i] < '0' || s[i] > '9') {
                jfail(r, CW_EMALFORMED, path, key, "'%.30s' is not a decimal integer", s);
                return 0;
            }
            u = u * 10 + (uint64_t)(s[i] - '0'); /* <= 19 digits: fits in uint64 */
        }
        if (u > (uint64_t)INT64_MAX + neg) {
            jfail(r, CW_EMALFORMED, path, key, "'%.30s' does not fit int64", s);
            return 0;
        }
        x = neg ? (int64_t)(0 - u) : (int64_t)u;
    } else {
        jfail(r, CW_EMALFORMED, path, key, "expected a decimal string or an integer");
        return 0;
    }
    if (x < min || x > max) {
        jfail(r, CW_EMALFORMED, path, key, "%" PRId64 " outside %" PRId64 "..%" PRId64, x, min,
              max);
        return 0;
    }
    return x;
}

/* hex of length l1 or l2 bytes, or (any_max > 0) any length up to any_max */
static void jhex(jr *r, const json_t *o, const char *path, const char *key, cw_tm_bytes *out,
                 size_t l1, size_t l2, size_t any_max)
{
    const char *s = jstring(r, o, path, key);
    memset(out, 0, sizeof *out);
    if (!s)
        return;
    size_t n, sl = strlen(s);
    char e[128];
    if (cw_hex_decode(out->b, sizeof out->b, &n, s, sl, e, sizeof e) != CW_OK) {
        jfail(r, CW_EMALFORMED, path, key, "%s", e);
        return;
    }
    if (!(n == l1 || n == l2 || (any_max && n <= any_max))) {
        jfail(r, CW_EMALFORMED, path, key, "%zu bytes; expected %zu or %zu", n, l1, l2);
        return;
    }
    out->len = (uint8_t)n;
}

/* standard base64 with padding, decoding to exactly n bytes (EVP_DecodeBlock) */
static void jb64(jr *r, const json_t *o, const char *path, const char *key, uint8_t *out,
                 size_t n)
{
    const char *s = jstring(r, o, path, key);
    if (!s)
        return;
    size_t sl = strlen(s), want = (n + 2) / 3 * 4;
    uint8_t buf[96];
    if (sl != want || sl > 128 || EVP_DecodeBlock(buf, (const unsigned char *)s, (int)sl) !=
                                      (int)(sl / 4 * 3)) {
        jfail(r, CW_EMALFORMED, path, key, "expected base64 of %zu bytes", n);
        return;
    }
    size_t pad = (sl && s[sl - 1] == '=') + (sl > 1 && s[sl - 2] == '=');
    if (sl / 4 * 3 - pad != n) {
        jfail(r, CW_EMALFORMED, path, key, "expected base64 of %zu bytes", n);
        return;
    }
    memcpy(out, buf, n);
}

static void jtime(jr *r, const json_t *o, const char *path, const char *key, cw_tm_time *out)
{
    const char *s = jstring(r, o, path, key);
    char e[128];
    if (s && cw_tm_time_parse(out, s, e, sizeof e) != CW_OK)
        jfail(r, CW_EMALFORMED, path, key, "%s", e);
}

static void jblock_id(jr *r, const json_t *o, const char *path, const char *key,
                      cw_tm_block_id *out)
{
    char p[PATH_MAX_LEN];
    pathf(p, sizeof p, "%s.%s", path, key);
    const json_t *b = jobject(r, o, path, key), *parts = jobject(r, b, p, "parts");
    jhex(r, b, p, "hash", &out->hash, 0, 32, 0);
    pathf(p, sizeof p, "%s.%s.parts", path, key);
    out->parts_total = (uint32_t)jint(r, parts, p, "total", 0, UINT32_MAX);
    jhex(r, parts, p, "hash", &out->parts_hash, 0, 32, 0);
}

static void jheader(jr *r, const json_t *h, const char *p, cw_tm_header *out)
{
    char pv[PATH_MAX_LEN];
    pathf(pv, sizeof pv, "%s.version", p);
    const json_t *ver = jobject(r, h, p, "version");
    out->version_block = (uint64_t)jint(r, ver, pv, "block", 0, INT64_MAX);
    out->version_app = (uint64_t)jint(r, ver, pv, "app", 0, INT64_MAX);
    const char *cid = jstring(r, h, p, "chain_id");
    if (cid && strlen(cid) > CW_TM_CHAIN_ID_MAX)
        jfail(r, CW_EMALFORMED, p, "chain_id", "longer than %d bytes", CW_TM_CHAIN_ID_MAX);
    else if (cid)
        strcpy(out->chain_id, cid);
    out->height = jint(r, h, p, "height", 1, INT64_MAX);
    jtime(r, h, p, "time", &out->time);
    jblock_id(r, h, p, "last_block_id", &out->last_block_id);
    jhex(r, h, p, "last_commit_hash", &out->last_commit_hash, 0, 32, 0);
    jhex(r, h, p, "data_hash", &out->data_hash, 0, 32, 0);
    jhex(r, h, p, "validators_hash", &out->validators_hash, 0, 32, 0);
    jhex(r, h, p, "next_validators_hash", &out->next_validators_hash, 0, 32, 0);
    jhex(r, h, p, "consensus_hash", &out->consensus_hash, 0, 32, 0);
    jhex(r, h, p, "app_hash", &out->app_hash, 0, 32, CW_TM_BYTES_MAX);
    jhex(r, h, p, "last_results_hash", &out->last_results_hash, 0, 32, 0);
    jhex(r, h, p, "evidence_hash", &out->evidence_hash, 0, 32, 0);
    jhex(r, h, p, "proposer_address", &out->proposer_address, 0, 20, 0);
}

static void jcommit(jr *r, const json_t *c, const char *p, cw_tm_commit *out)
{
    out->height = jint(r, c, p, "height", 1, INT64_MAX);
    out->round = (int32_t)jint(r, c, p, "round", 0, INT32_MAX);
    jblock_id(r, c, p, "block_id", &out->block_id);
    json_t *sigs = jfield(r, c, p, "signatures");
    if (r->rc)
        return;
    if (!json_is_array(sigs)) {
        jfail(r, CW_EMALFORMED, p, "signatures", "expected an array");
        return;
    }
    size_t n = json_array_size(sigs);
    if (n > CW_TM_VALIDATORS_MAX) {
        jfail(r, CW_ETOOBIG, p, "signatures", "%zu entries; at most %d", n,
              CW_TM_VALIDATORS_MAX);
        return;
    }
    if (n && !(out->sigs = calloc(n, sizeof *out->sigs))) {
        jfail(r, -ENOMEM, p, "signatures", "out of memory");
        return;
    }
    out->n = (uint32_t)n;
    for (size_t i = 0; i < n && !r->rc; i++) {
        char pi[PATH_MAX_LEN];
        pathf(pi, sizeof pi, "%s.signatures[%zu]", p, i);
        const json_t *s = json_array_get(sigs, i);
        cw_tm_commit_sig *cs = &out->sigs[i];
        if (!json_is_object(s)) {
            jfail(r, CW_EMALFORMED, pi, NULL, "expected an object");
            break;
        }
        cs->flag = (uint8_t)jint(r, s, pi, "block_id_flag", 1, 3);
        cw_tm_bytes a;
        jhex(r, s, pi, "validator_address", &a, 0, CW_TM_ADDRESS_LEN, 0);
        jtime(r, s, pi, "timestamp", &cs->timestamp);
        json_t *sig = jfield(r, s, pi, "signature");
        if (r->rc)
            break;
        if (cs->flag == CW_TM_FLAG_ABSENT) {
            /* CometBFT ValidateBasic: an absent entry carries no address and no signature */
            if (a.len || !(json_is_null(sig) || (json_is_string(sig) && !json_string_length(sig))))
                jfail(r, CW_EMALFORMED, pi, NULL,
                      "an absent entry must carry no address and no signature");
            continue;
        }
        if (a.len != CW_TM_ADDRESS_LEN) {
            jfail(r, CW_EMALFORMED, pi, "validator_address", "expected 20 bytes");
            break;
        }
        memcpy(cs->validator_address, a.b, CW_TM_ADDRESS_LEN);
        cs->has_address = true;
        jb64(r, s, pi, "signature", cs->signature, 64);
        cs->has_signature = !r->rc;
    }
}

static void jvalidator(jr *r, const json_t *v, const char *p, const char *power_key,
                       cw_tm_validator *out)
{
    char pk[PATH_MAX_LEN];
    cw_tm_bytes a;
    jhex(r, v, p, "address", &a, CW_TM_ADDRESS_LEN, CW_TM_ADDRESS_LEN, 0);
    memcpy(out->address, a.b, CW_TM_ADDRESS_LEN);
    const json_t *key = jobject(r, v, p, "pub_key");
    pathf(pk, sizeof pk, "%s.pub_key", p);
    const char *type = jstring(r, key, pk, "type");
    if (type && strcmp(type, "tendermint/PubKeyEd25519") != 0)
        jfail(r, CW_EMALFORMED, pk, "type", "'%.40s': only tendermint/PubKeyEd25519 keys", type);
    jb64(r, key, pk, "value", out->pubkey, 32);
    /* the range is checked by cw_tm_valset_finish (CW_EOVERFLOW vs CW_EMALFORMED) */
    out->power = jint(r, v, p, power_key, INT64_MIN, INT64_MAX);
}

/* a set from an array of validators (power under power_key) */
static void jvalset_array(jr *r, const json_t *arr, const char *p, const char *power_key,
                          cw_tm_valset *out)
{
    if (r->rc)
        return;
    if (!json_is_array(arr)) {
        jfail(r, CW_EMALFORMED, p, NULL, "expected an array");
        return;
    }
    size_t n = json_array_size(arr);
    if (n > CW_TM_VALIDATORS_MAX) {
        jfail(r, CW_ETOOBIG, p, NULL, "%zu validators; at most %d", n, CW_TM_VALIDATORS_MAX);
        return;
    }
    int rc = cw_tm_valset_init(out, (uint32_t)n);
    if (rc) {
        jfail(r, rc, p, NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < n && !r->rc; i++) {
        char pi[PATH_MAX_LEN];
        pathf(pi, sizeof pi, "%s[%zu]", p, i);
        jvalidator(r, json_array_get(arr, i), pi, power_key, &out->v[i]);
    }
    if (r->rc)
        return;
    char e[200];
    if ((rc = cw_tm_valset_finish(out, e, sizeof e)))
        jfail(r, rc, p, NULL, "%s", e);
}

static void jvalset(jr *r, const json_t *o, const char *path, const char *key,
                    cw_tm_valset *out)
{
    char pk[PATH_MAX_LEN], p[PATH_MAX_LEN + 16];
    const json_t *vs = jobject(r, o, path, key);
    pathf(pk, sizeof pk, "%s%s%s", path, *path ? "." : "", key);
    pathf(p, sizeof p, "%s.validators", pk);
    jvalset_array(r, jfield(r, vs, pk, "validators"), p, "voting_power", out);
}

static json_t *parse(jr *r, const char *json, size_t len, const char *what)
{
    if (len > CW_TM_JSON_MAX) {
        jfail(r, CW_ETOOBIG, what, NULL, "%zu bytes; at most %u", len, CW_TM_JSON_MAX);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        jfail(r, CW_EMALFORMED, what, NULL, "line %d col %d: %s", je.line, je.column, je.text);
    else if (!json_is_object(root))
        jfail(r, CW_EMALFORMED, what, NULL, "expected a JSON object");
    return root;
}

/* the JSON-RPC response's result, or the object itself */
static const json_t *unwrap(const json_t *root)
{
    const json_t *res = json_object_get(root, "result");
    return res && json_is_object(res) && json_object_get(root, "jsonrpc") ? res : root;
}

int cw_tm_light_block_from_json(cw_tm_light_block *lb, const char *json, size_t json_len,
                                char *err, size_t err_len)
{
    jr r = {CW_OK, err, err_len};
    memset(lb, 0, sizeof *lb);
    json_t *root = parse(&r, json, json_len, "light block");
    const json_t *sh = jobject(&r, root, "", "signed_header");
    jheader(&r, jobject(&r, sh, "signed_header", "header"), "signed_header.header",
            &lb->header);
    jcommit(&r, jobject(&r, sh, "signed_header", "commit"), "signed_header.commit",
            &lb->commit);
    jvalset(&r, root, "", "validator_set", &lb->validators);
    jvalset(&r, root, "", "next_validator_set", &lb->next_validators);
    lb->has_next_validators = r.rc == CW_OK;
    json_decref(root);
    if (r.rc)
        cw_tm_light_block_free(lb);
    return r.rc;
}

/* a /validators result: all pages in one (count == total), at block_height */
static void jrpc_valset(jr *r, const char *json, size_t len, const char *what,
                        int64_t height, cw_tm_valset *out)
{
    json_t *root = parse(r, json, len, what);
    const json_t *res = root ? unwrap(root) : NULL;
    int64_t bh = jint(r, res, what, "block_height", 1, INT64_MAX);
    if (!r->rc && bh != height)
        jfail(r, CW_EINVAL, what, "block_height", "%" PRId64 "; expected %" PRId64, bh, height);
    if (!r->rc && json_object_get(res, "count") && json_object_get(res, "total")) {
        int64_t count = jint(r, res, what, "count", 0, INT64_MAX),
                total = jint(r, res, what, "total", 0, INT64_MAX);
        if (!r->rc && count != total)
            jfail(r, CW_EMALFORMED, what, NULL,
                  "one page of %" PRId64 " of %" PRId64 " validators; pass them all", count,
                  total);
    }
    char p[PATH_MAX_LEN];
    pathf(p, sizeof p, "%s.validators", what);
    jvalset_array(r, jfield(r, res, what, "validators"), p, "voting_power", out);
    json_decref(root);
}

int cw_tm_light_block_from_rpc(cw_tm_light_block *lb, const char *commit_json,
                               size_t commit_len, const char *validators_json,
                               size_t validators_len, const char *next_validators_json,
                               size_t next_validators_len, char *err, size_t err_len)
{
    jr r = {CW_OK, err, err_len};
    memset(lb, 0, sizeof *lb);
    json_t *root = parse(&r, commit_json, commit_len, "commit");
    const json_t *res = root ? unwrap(root) : NULL;
    const json_t *sh = jobject(&r, res, "commit", "signed_header");
    jheader(&r, jobject(&r, sh, "commit.signed_header", "header"),
            "commit.signed_header.header", &lb->header);
    jcommit(&r, jobject(&r, sh, "commit.signed_header", "commit"),
            "commit.signed_header.commit", &lb->commit);
    json_decref(root);
    if (!r.rc)
        jrpc_valset(&r, validators_json, validators_len, "validators", lb->header.height,
                    &lb->validators);
    if (!r.rc && next_validators_json) {
        jrpc_valset(&r, next_validators_json, next_validators_len, "next_validators",
                    lb->header.height + (lb->header.height < INT64_MAX), &lb->next_validators);
        lb->has_next_validators = r.rc == CW_OK;
    }
    if (r.rc)
        cw_tm_light_block_free(lb);
    return r.rc;
}

int cw_tm_header_from_json(cw_tm_header *h, const char *json, size_t json_len, char *err,
                           size_t err_len)
{
    jr r = {CW_OK, err, err_len};
    memset(h, 0, sizeof *h);
    json_t *root = parse(&r, json, json_len, "header");
    jheader(&r, root, "header", h);
    json_decref(root);
    if (r.rc)
        memset(h, 0, sizeof *h);
    return r.rc;
}

int cw_tm_commit_from_json(cw_tm_commit *c, const char *json, size_t json_len, char *err,
                           size_t err_len)
{
    jr r = {CW_OK, err, err_len};
    memset(c, 0, sizeof *c);
    json_t *root = parse(&r, json, json_len, "commit");
    jcommit(&r, root, "commit", c);
    json_decref(root);
    if (r.rc) {
        free(c->sigs);
        memset(c, 0, sizeof *c);
    }
    return r.rc;
}

/* ---- writing ------------------------------------------------------------------------- */

static json_t *hexj(const uint8_t *b, size_t n)
{
    char buf[2 * CW_TM_BYTES_MAX + 1];
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++)
        buf[2 * i] = digits[b[i] >> 4], buf[2 * i + 1] = digits[b[i] & 15];
    buf[2 * n] = '\0';
    return json_string(buf);
}

static json_t *b64j(const uint8_t *b, size_t n)
{
    char buf[4 * ((64 + 2) / 3) + 1];
    EVP_EncodeBlock((unsigned char *)buf, b, (int)n); /* n <= 64 */
    return json_string(buf);
}

static json_t *intj(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return json_string(buf);
}

static json_t *timej(cw_tm_time t)
{
    char buf[48];
    return json_string(cw_tm_time_format(buf, sizeof buf, t));
}

static json_t *block_idj(const cw_tm_block_id *b)
{
    return json_pack("{s:o, s:{s:I, s:o}}", "hash", hexj(b->hash.b, b->hash.len), "parts",
                     "total", (json_int_t)b->parts_total, "hash",
                     hexj(b->parts_hash.b, b->parts_hash.len));
}

static json_t *validatorj(const cw_tm_validator *v)
{
    return json_pack("{s:o, s:{s:s, s:o}, s:o, s:s}", "address", hexj(v->address, 20),
                     "pub_key", "type", "tendermint/PubKeyEd25519", "value",
                     b64j(v->pubkey, 32), "voting_power", intj(v->power),
                     "proposer_priority", "0");
}

static json_t *valsetj(const cw_tm_valset *vs)
{
    json_t *arr = json_array();
    for (uint32_t i = 0; arr && i < vs->n; i++)
        if (json_array_append_new(arr, validatorj(&vs->v[i])))
            return json_decref(arr), NULL;
    json_t *o = json_pack("{s:o}", "validators", arr);
    if (o && vs->n)
        json_object_set_new(o, "proposer", validatorj(&vs->v[0]));
    return o;
}

int cw_tm_light_block_to_json(char **out, size_t *out_len, const cw_tm_light_block *lb)
{
    const cw_tm_header *h = &lb->header;
    const cw_tm_commit *c = &lb->commit;
    *out = NULL;
    *out_len = 0;
    json_t *sigs = json_array();
    for (uint32_t i = 0; sigs && i < c->n; i++) {
        const cw_tm_commit_sig *s = &c->sigs[i];
        json_t *e = json_pack(
            "{s:i, s:o, s:o, s:o}", "block_id_flag", (int)s->flag, "validator_address",
            s->has_address ? hexj(s->validator_address, 20) : json_string(""), "timestamp",
            /* CometBFT's zero time for absent entries (tendermint-rs requires it) */
            s->flag == CW_TM_FLAG_ABSENT ? json_string("0001-01-01T00:00:00Z")
                                         : timej(s->timestamp),
            "signature",
            s->has_signature ? b64j(s->signature, 64) : json_null());
        if (json_array_append_new(sigs, e))
            json_decref(sigs), sigs = NULL;
    }
    json_t *hdr = json_pack(
        "{s:{s:o, s:o}, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "version", "block", intj((int64_t)h->version_block), "app",
        intj((int64_t)h->version_app), "chain_id", h->chain_id, "height", intj(h->height),
        "time", timej(h->time), "last_block_id", block_idj(&h->last_block_id),
        "last_commit_hash", hexj(h->last_commit_hash.b, h->last_commit_hash.len), "data_hash",
        hexj(h->data_hash.b, h->data_hash.len), "validators_hash",
        hexj(h->validators_hash.b, h->validators_hash.len), "next_validators_hash",
        hexj(h->next_validators_hash.b, h->next_validators_hash.len), "consensus_hash",
        hexj(h->consensus_hash.b, h->consensus_hash.len), "app_hash",
        hexj(h->app_hash.b, h->app_hash.len), "last_results_hash",
        hexj(h->last_results_hash.b, h->last_results_hash.len), "evidence_hash",
        hexj(h->evidence_hash.b, h->evidence_hash.len), "proposer_address",
        hexj(h->proposer_address.b, h->proposer_address.len));
    json_t *root = json_pack(
        "{s:{s:o, s:{s:o, s:I, s:o, s:o}}, s:o, s:o, s:s}", "signed_header", "header", hdr,
        "commit", "height", intj(c->height), "round", (json_int_t)c->round, "block_id",
        block_idj(&c->block_id), "signatures", sigs, "validator_set", valsetj(&lb->validators),
        "next_validator_set",
        valsetj(lb->has_next_validators ? &lb->next_validators : &lb->validators), "provider",
        "0000000000000000000000000000000000000000");
    if (!root)
        return -ENOMEM;
    *out = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!*out)
        return -ENOMEM;
    *out_len = strlen(*out);
    return CW_OK;
}
