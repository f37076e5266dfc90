#include "causeway/jsonconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "causeway/hex.h"

int cw_jconf_load(json_t **root, const char *path, char *err, size_t err_len)
{
    json_error_t je;
    *root = NULL;
    if (access(path, R_OK) != 0)
        return cw_errf(err, err_len, -errno, "%s: %s", path, strerror(errno));
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return cw_errf(err, err_len, CW_EMALFORMED, "%s:%d:%d: %s", path, je.line, je.column,
                       je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return cw_errf(err, err_len, CW_EMALFORMED, "%s: expected a JSON object", path);
    }
    *root = j;
    return CW_OK;
}

int cw_jconf_fail(cw_jconf *c, int rc, const char *what, const char *fmt, ...)
{
    if (c->rc)
        return c->rc;
    c->rc = rc;
    if (c->err && c->err_len) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(c->err, c->err_len, "%s: %s: %s", c->file ? c->file : "config", what, msg);
    }
    return rc;
}

/* A short rendering of a JSON value for messages. */
static void show(const json_t *v, char *buf, size_t n)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(buf, n, "%s", s ? s : "?");
    if (strlen(buf) > 60)
        strcpy(buf + 57, "...");
    free(s);
}

static void field_name(char *buf, size_t n, const char *what, const char *key)
{
    snprintf(buf, n, "%s%s%s", what, *what ? "." : "", key);
}

void cw_jconf_only(cw_jconf *c, const json_t *obj, const char *what, const char *const *known)
{
    const char *key;
    json_t *v;
    if (c->rc || !json_is_object(obj))
        return;
    json_object_foreach((json_t *)obj, key, v) {
        int ok = 0;
        for (const char *const *k = known; *k; k++)
            ok |= strcmp(*k, key) == 0;
        if (!ok) {
            char f[160];
            field_name(f, sizeof f, what, key);
            cw_jconf_fail(c, CW_EINVAL, f, "unknown field");
            return;
        }
    }
}

static const json_t *field(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                           bool required, char *name, size_t name_len)
{
    field_name(name, name_len, what, key);
    if (c->rc)
        return NULL;
    const json_t *v = key ? json_object_get(obj, key) : obj;
    if (!v && required)
        cw_jconf_fail(c, CW_EINVAL, name, "missing");
    return v;
}

void cw_jconf_u64(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                  bool required, uint64_t min, uint64_t max, uint64_t *out)
{
    char name[160], val[80];
    const json_t *v = field(c, obj, key, what, required, name, sizeof name);
    if (!v)
        return;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        show(v, val, sizeof val);
        cw_jconf_fail(c, CW_EINVAL, name, "expected a non-negative integer, got %s", val);
        return;
    }
    uint64_t x = (uint64_t)json_integer_value(v);
    if (x < min || x > max) {
        cw_jconf_fail(c, CW_EINVAL, name, "%llu is outside [%llu, %llu]", (unsigned long long)x,
                      (unsigned long long)min, (unsigned long long)max);
        return;
    }
    *out = x;
}

void cw_jconf_str(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                  bool required, size_t max_len, char *out, size_t out_size)
{
    char name[160], val[80];
    const json_t *v = field(c, obj, key, what, required, name, sizeof name);
    if (!v)
        return;
    if (!json_is_string(v)) {
        show(v, val, sizeof val);
        cw_jconf_fail(c, CW_EINVAL, name, "expected a string, got %s", val);
        return;
    }
    size_t len = json_string_length(v);
    if (len > max_len || len + 1 > out_size) {
        cw_jconf_fail(c, CW_EINVAL, name, "longer than %zu bytes", max_len);
        return;
    }
    memcpy(out, json_string_value(v), len);
    out[len] = '\0';
}

void cw_jconf_hex(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                  uint8_t *out, size_t n)
{
    char name[160], e[128];
    const json_t *v = field(c, obj, key, what, true, name, sizeof name);
    if (!v)
        return;
    if (!json_is_string(v) || cw_hex_decode_exact(out, n, json_string_value(v), e, sizeof e)) {
        char val[80];
        show(v, val, sizeof val);
        cw_jconf_fail(c, CW_EINVAL, name, "expected %zu bytes of hex, got %s", n, val);
    }
}

void cw_jconf_id(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                 bool required, char out[static 65])
{
    char name[160], e[200];
    const json_t *v = field(c, obj, key, what, required, name, sizeof name);
    if (!v)
        return;
    if (!json_is_string(v)) {
        char val[80];
        show(v, val, sizeof val);
        cw_jconf_fail(c, CW_EINVAL, name, "expected an identifier string, got %s", val);
        return;
    }
    if (cw_id_validate(json_string_value(v), json_string_length(v), "value", e, sizeof e)) {
        cw_jconf_fail(c, CW_EINVAL, name, "\"%s\": %s", json_string_value(v), e);
        return;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
}

/* The field as the JSON type it must have (type_name says which: "an array"), or NULL after
 * failing (name receives the field's display name). */
static const json_t *typed_field(cw_jconf *c, const json_t *obj, const char *key,
                                 const char *what, bool required, json_type type,
                                 const char *type_name, char *name, size_t name_len)
{
    const json_t *v = field(c, obj, key, what, required, name, name_len);
    if (v && json_typeof(v) != type) {
        cw_jconf_fail(c, CW_EINVAL, name, "expected %s", type_name);
        return NULL;
    }
    return v;
}

const json_t *cw_jconf_array(cw_jconf *c, const json_t *obj, const char *key, const char *what,
                             bool required, size_t max_items)
{
    char name[160];
    const json_t *v =
        typed_field(c, obj, key, what, required, JSON_ARRAY, "an array", name, sizeof name);
    if (v && json_array_size(v) > max_items) {
        cw_jconf_fail(c, CW_EINVAL, name, "%zu items exceed the limit of %zu",
                      json_array_size(v), max_items);
        return NULL;
    }
    return v;
}

const json_t *cw_jconf_object(cw_jconf *c, const json_t *obj, const char *key,
                              const char *what, bool required)
{
    char name[160];
    return typed_field(c, obj, key, what, required, JSON_OBJECT, "an object", name,
                       sizeof name);
}
