#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "causeway/error.h"
#include "cli.h"

void cw_cli_print_json(json_t *o, const char *fallback)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s || fallback)
        printf("%s\n", s ? s : fallback);
    free(s);
    json_decref(o);
}

int cw_cli_read_file(const char *path, size_t max, uint8_t **out, size_t *out_len, char *err,
                     size_t err_len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    *out = NULL;
    *out_len = 0;
    if (!f)
        return cw_errf(err, err_len, -errno, "%s: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    int rc = 0;
    while (buf) {
        if (len == cap) {
            if (cap > max) {
                rc = cw_errf(err, err_len, -EFBIG, "%s: larger than %zu bytes", path, max);
                break;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = cw_errf(err, err_len, -EIO, "%s: read error", path);
            break;
        }
    }
    if (!buf)
        rc = cw_errf(err, err_len, -ENOMEM, "%s: out of memory", path);
    if (!rc && len > max)
        rc = cw_errf(err, err_len, -EFBIG, "%s: larger than %zu bytes", path, max);
    if (f != stdin)
        fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = len;
    return 0;
}
