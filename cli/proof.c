/* causeway proof verify — check an ICS-23 proof against a trusted root, offline.
 *
 *   causeway proof verify --spec iavl|tendermint|smt --root HEX --key HEX [--value HEX]
 *                         --proof HEX|@FILE [--json]
 *
 * With --value: membership; without: non-membership. HEX may carry a 0x prefix. @FILE reads
 * the proof from a file ("@-" = stdin) holding either hex (whitespace ignored) or the raw
 * protobuf bytes. A batch or compressed-batch proof is checked for the one key given; which
 * variant the proof is, the library decides (cw_ics23_verify_any).
 * Exit status: 0 valid, 1 invalid (the reason is printed), 2 usage error.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "causeway/error.h"
#include "causeway/hex.h"
#include "causeway/ics23.h"
#include "cli.h"

#define PROOF_FILE_MAX (2u * CW_ICS23_BATCH_PROOF_MAX + 4096u)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: causeway proof verify --spec iavl|tendermint|smt --root HEX --key HEX\n"
            "                             [--value HEX] --proof HEX|@FILE [--json]\n"
            "\n"
            "Verify an ICS-23 CommitmentProof against a trusted 32-byte root.\n"
            "  --value HEX   prove membership of key=value; without it, prove non-membership\n"
            "  --proof @FILE read the proof from FILE (hex or raw protobuf; @- for stdin)\n"
            "  --json        print the result as one JSON object\n"
            "Exit status: 0 valid, 1 invalid, 2 usage error.\n");
}

static int usage_error(const char *fmt, ...) CW_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "causeway proof: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(run 'causeway proof verify --help' for usage)\n");
    va_end(ap);
    return 2;
}

/* Strip ASCII whitespace and an optional 0x prefix; returns a malloc'd string or NULL. */
static char *clean_hex(const char *s, size_t len)
{
    char *o = malloc(len + 1);
    size_t n = 0;
    if (!o)
        return NULL;
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            o[n++] = s[i];
    o[n] = 0;
    if (n >= 2 && o[0] == '0' && (o[1] == 'x' || o[1] == 'X'))
        memmove(o, o + 2, n - 1);
    return o;
}

static bool all_hex(const char *s)
{
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return false;
    return true;
}

/* Decode a hex argument into a malloc'd buffer. Returns 0 or 2 (usage error, printed). */
static int hex_arg(const char *what, const char *arg, uint8_t **out, size_t *out_len)
{
    char err[160];
    char *h = clean_hex(arg, strlen(arg));
    *out = NULL;
    *out_len = 0;
    if (!h)
        return usage_error("out of memory reading %s", what);
    size_t cap = strlen(h) / 2 + 1;
    *out = malloc(cap);
    if (!*out) {
        free(h);
        return usage_error("out of memory reading %s", what);
    }
    int rc = cw_hex_decode(*out, cap, out_len, h, strlen(h), err, sizeof err);
    free(h);
    if (rc != CW_OK) {
        fprintf(stderr, "causeway proof: %s: %s\n", what, err);
        free(*out);
        *out = NULL;
        return 2;
    }
    return 0;
}

/* --proof HEX or @FILE (hex text or raw bytes). Returns 0 or 2. */
static int proof_arg(const char *arg, uint8_t **out, size_t *out_len)
{
    if (arg[0] != '@')
        return hex_arg("--proof", arg, out, out_len);
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    char err[256];
    if (cw_cli_read_file(arg + 1, PROOF_FILE_MAX, &raw, &raw_len, err, sizeof err) != 0) {
        fprintf(stderr, "causeway proof: --proof %s: %s\n", arg, err);
        return 2;
    }
    char *h = clean_hex((const char *)raw, raw_len);
    /* hex text if, after whitespace, it is non-empty hex with no NUL inside */
    if (h && h[0] && memchr(raw, 0, raw_len) == NULL && all_hex(h)) {
        int rc = hex_arg("--proof file", h, out, out_len);
        free(h);
        free(raw);
        return rc;
    }
    free(h);
    *out = raw;
    *out_len = raw_len;
    return 0;
}

static void print_result(bool json, int rc, const char *spec, bool membership,
                         const char *reason)
{
    if (json) {
        json_t *o = json_pack("{s:b,s:s,s:s}", "valid", rc == CW_OK, "spec", spec, "kind",
                              membership ? "membership" : "non-membership");
        if (o && rc != CW_OK) {
            const char *name = cw_strerror(rc); /* "CW_EXXX: meaning" */
            const char *colon = strchr(name, ':');
            json_object_set_new(o, "code", colon ? json_stringn(name, (size_t)(colon - name))
                                                 : json_string(name));
            json_object_set_new(o, "error", json_string(reason));
        }
        cw_cli_print_json(o, "{\"valid\":false,\"error\":\"out of memory\"}");
        return;
    }
    if (rc == CW_OK)
        printf("valid: %s proof under the %s spec\n", membership ? "membership" : "non-membership",
               spec);
    else
        printf("invalid: %s\n", reason);
}

int cw_cli_proof(int argc, char **argv)
{
    const char *spec_name = NULL, *root_hex = NULL, *key_hex = NULL, *value_hex = NULL,
               *proof_s = NULL;
    bool json = false;
    uint8_t *root = NULL, *key = NULL, *value = NULL, *proof = NULL;
    size_t root_len = 0, key_len = 0, value_len = 0, proof_len = 0;
    int status = 2;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "verify") != 0)
        return usage_error("unknown subcommand '%s' (only 'verify')", argv[1]);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--spec") == 0    ? &spec_name
                            : strcmp(a, "--root") == 0  ? &root_hex
                            : strcmp(a, "--key") == 0   ? &key_hex
                            : strcmp(a, "--value") == 0 ? &value_hex
                            : strcmp(a, "--proof") == 0 ? &proof_s
                                                        : NULL;
        if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (!slot) {
            return usage_error("unknown option '%s'", a);
        } else if (i + 1 >= argc) {
            return usage_error("%s needs a value", a);
        } else if (*slot) {
            return usage_error("%s given twice", a);
        } else {
            *slot = argv[++i];
        }
    }
    if (!spec_name || !root_hex || !key_hex || !proof_s)
        return usage_error("--spec, --root, --key and --proof are required");
    const cw_ics23_spec *spec = cw_ics23_spec_by_name(spec_name);
    if (!spec)
        return usage_error("--spec must be iavl, tendermint or smt, not '%s'", spec_name);

    if (hex_arg("--root", root_hex, &root, &root_len) || hex_arg("--key", key_hex, &key, &key_len) ||
        (value_hex && hex_arg("--value", value_hex, &value, &value_len)) ||
        proof_arg(proof_s, &proof, &proof_len))
        goto out;
    if (root_len != 32) {
        fprintf(stderr, "causeway proof: --root must be 32 bytes (64 hex digits), got %zu bytes\n",
                root_len);
        goto out;
    }
    if (key_len == 0 || (value_hex && value_len == 0)) {
        fprintf(stderr, "causeway proof: --key and --value must not be empty\n");
        goto out;
    }
    if (proof_len == 0) {
        fprintf(stderr, "causeway proof: --proof is empty\n");
        goto out;
    }

    char err[512] = "";
    /* single or batch: the library decides from the decoded proof, never a byte guess */
    int rc = cw_ics23_verify_any(spec, root, proof, proof_len, value_hex != NULL, key, key_len,
                                 value, value_len, err, sizeof err);
    print_result(json, rc, spec_name, value_hex != NULL, err);
    status = rc == CW_OK ? 0 : 1;
out:
    free(root);
    free(key);
    free(value);
    free(proof);
    return status;
}
