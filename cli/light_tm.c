/* causeway light verify --type tendermint — offline 07-tendermint verification of a CometBFT
 * light block against a trusted one (DESIGN §6a). Exit: 0 verified, 1 not (verdict printed),
 * 2 usage. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "causeway/cliopt.h"
#include "causeway/hex.h"
#include "causeway/tendermint.h"
#include "cli.h"

void cw_cli_light_tm_usage(FILE *out)
{
    fprintf(out,
            "usage: causeway light verify --type tendermint\n"
            "         (--trusted FILE | --trusted-commit FILE --trusted-validators FILE\n"
            "                           --trusted-next-validators FILE)\n"
            "         (--light-block FILE | --commit FILE --validators FILE\n"
            "                                [--next-validators FILE])\n"
            "         --now RFC3339 --trusting-period-ns N --max-clock-drift-ns N\n"
            "         [--trust-level NUM/DEN] [--json]\n"
            "\n"
            "Verify a CometBFT (Tendermint) light block against a trusted one, as ibc-go's\n"
            "07-tendermint and tendermint-rs's verify_update_header do: adjacent when its height\n"
            "is the trusted height + 1, else skipping (trust level default 1/3).\n"
            "  --trusted, --light-block: a light block in tendermint-rs's LightBlock JSON\n"
            "    ({\"signed_header\": {\"header\", \"commit\"}, \"validator_set\",\n"
            "    \"next_validator_set\"}).\n"
            "  --commit / --validators / --next-validators: the CometBFT RPC results of\n"
            "    /commit?height=H, /validators?height=H (all validators: per_page large enough\n"
            "    that count = total) and /validators?height=H+1, each the whole JSON-RPC\n"
            "    response or its \"result\". Without --next-validators the next set is not\n"
            "    checked; the trusted side needs all three (its next set is what a skip trusts).\n"
            "  --now: the local time, e.g. 2024-01-15T10:00:00.5Z; durations in nanoseconds.\n"
            "Prints SUCCESS, NOT_ENOUGH_TRUST, or INVALID and the reason (tendermint-rs's\n"
            "names: InvalidSignature, NotWithinTrustPeriod, ...). Exit 0 SUCCESS, 1 otherwise,\n"
            "2 usage.\n");
}

static int parse_time(const cw_cliopt *o, const char *s)
{
    char e[160];
    if (cw_tm_time_parse(o->dst, s, e, sizeof e) != CW_OK) {
        fprintf(stderr, "causeway light verify: --%s: %s\n", o->name, e);
        return -1;
    }
    return 0;
}

static int parse_level(const cw_cliopt *o, const char *s)
{
    uint64_t *nd = o->dst;
    char e[64], num[32];
    const char *slash = strchr(s, '/');
    if (!slash || (size_t)(slash - s) >= sizeof num)
        goto bad;
    memcpy(num, s, (size_t)(slash - s));
    num[slash - s] = '\0';
    if (cw_u64_from_dec(&nd[0], num, e, sizeof e) || cw_u64_from_dec(&nd[1], slash + 1, e,
                                                                     sizeof e) ||
        nd[1] == 0 || nd[0] > nd[1] || nd[1] > UINT32_MAX ||
        (unsigned __int128)nd[0] * 3 < nd[1])
        goto bad;
    return 0;
bad:
    fprintf(stderr, "causeway light verify: --trust-level: '%s': expected NUM/DEN with "
                    "1/3 <= NUM/DEN <= 1\n", s);
    return -1;
}

/* read path into a NUL-terminated buffer */
static int slurp(const char *path, char **out, size_t *len, char *err, size_t err_len)
{
    uint8_t *b = NULL;
    size_t n = 0;
    int rc = cw_cli_read_file(path, CW_TM_JSON_MAX, &b, &n, err, err_len);
    if (rc)
        return rc;
    char *s = realloc(b, n + 1);
    if (!s) {
        free(b);
        return cw_errf(err, err_len, -ENOMEM, "out of memory");
    }
    s[n] = '\0';
    *out = s;
    *len = n;
    return CW_OK;
}

/* a light block from a LightBlock JSON file, or from RPC result files */
static int load(cw_tm_light_block *lb, const char *lb_path, const char *commit_path,
                const char *vals_path, const char *next_path, char *err, size_t err_len)
{
    char *a = NULL, *b = NULL, *c = NULL;
    size_t al = 0, bl = 0, cl = 0;
    int rc;
    memset(lb, 0, sizeof *lb);
    if (lb_path) {
        if (!(rc = slurp(lb_path, &a, &al, err, err_len)))
            rc = cw_tm_light_block_from_json(lb, a, al, err, err_len);
    } else if (!(rc = slurp(commit_path, &a, &al, err, err_len)) &&
               !(rc = slurp(vals_path, &b, &bl, err, err_len)) &&
               !(next_path && (rc = slurp(next_path, &c, &cl, err, err_len)))) {
        rc = cw_tm_light_block_from_rpc(lb, a, al, b, bl, c, cl, err, err_len);
    }
    free(a), free(b), free(c);
    return rc;
}

static int verdict_out(bool json, const char *verdict, const char *reason, const char *detail,
                       const cw_tm_result *res, int64_t height, int64_t trusted_height)
{
    if (json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:I, s:I, s:I, s:I}", "verdict",
                              verdict, "reason", reason, "detail", detail, "height",
                              (json_int_t)height, "trusted_height", (json_int_t)trusted_height,
                              "signatures_checked", (int)res->sigs_checked, "signed_power",
                              (json_int_t)res->signed_power, "total_power",
                              (json_int_t)res->total_power, "trusted_signed_power",
                              (json_int_t)res->trusted_signed_power, "trusted_total_power",
                              (json_int_t)res->trusted_total_power);
        cw_cli_print_json(o, verdict);
    } else if (*reason) {
        printf("%s %s: %s\n", verdict, reason, detail);
    } else {
        printf("%s: height %" PRId64 " from trusted height %" PRId64 " (%s); signatures "
               "checked %u, signed power %" PRId64 " of %" PRId64 "\n",
               verdict, height, trusted_height,
               height == trusted_height + 1 ? "adjacent" : "skipping", res->sigs_checked,
               res->signed_power, res->total_power);
    }
    return strcmp(verdict, "SUCCESS") == 0 ? 0 : 1;
}

int cw_cli_light_verify_tm(int argc, char **argv)
{
    const char *type = NULL, *tr_path = NULL, *tc_path = NULL, *tv_path = NULL,
               *tn_path = NULL, *lb_path = NULL, *c_path = NULL, *v_path = NULL,
               *n_path = NULL;
    uint64_t period = 0, drift = 0, level[2] = {1, 3};
    cw_tm_time now = {0, 0};
    bool have_now = false, have_period = false, have_drift = false, json = false;
    const cw_cliopt opts[] = {
        {"type", .str = &type},
        {"trusted", .str = &tr_path},
        {"trusted-commit", .str = &tc_path},
        {"trusted-validators", .str = &tv_path},
        {"trusted-next-validators", .str = &tn_path},
        {"light-block", .str = &lb_path},
        {"commit", .str = &c_path},
        {"validators", .str = &v_path},
        {"next-validators", .str = &n_path},
        {"now", .parse = parse_time, .dst = &now, .seen = &have_now},
        {"trusting-period-ns", .parse = cw_cli_light_parse_u64, .dst = &period, .seen = &have_period},
        {"max-clock-drift-ns", .parse = cw_cli_light_parse_u64, .dst = &drift, .seen = &have_drift},
        {"trust-level", .parse = parse_level, .dst = level},
        {"json", .flag = &json},
        {0}};
    int end, opt_rc = cw_cliopt_parse(argc, argv, 1, opts, cw_cli_light_tm_usage,
                                      "causeway light verify", &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    const char *why = NULL;
    if (end != argc)
        why = "unexpected operand";
    else if (!!tr_path == !!(tc_path || tv_path || tn_path))
        why = "give --trusted, or --trusted-commit, --trusted-validators and "
              "--trusted-next-validators";
    else if (!tr_path && !(tc_path && tv_path && tn_path))
        why = "--trusted-commit needs --trusted-validators and --trusted-next-validators";
    else if (!!lb_path == !!(c_path || v_path || n_path))
        why = "give --light-block, or --commit and --validators [--next-validators]";
    else if (!lb_path && !(c_path && v_path))
        why = "--commit needs --validators";
    else if (!have_now || !have_period || !have_drift)
        why = "--now, --trusting-period-ns and --max-clock-drift-ns are required";
    else if (period == 0)
        why = "--trusting-period-ns must be > 0";
    if (why) {
        fprintf(stderr, "causeway light verify: %s\n", why);
        cw_cli_light_tm_usage(stderr);
        return 2;
    }

    char err[400], detail[480];
    cw_tm_light_block t, u;
    cw_tm_result res;
    memset(&res, 0, sizeof res);
    memset(&u, 0, sizeof u);
    int rc = load(&t, tr_path, tc_path, tv_path, tn_path, err, sizeof err), status;
    if (rc) {
        snprintf(detail, sizeof detail, "trusted: %s", err);
        return verdict_out(json, "INVALID", "Malformed", detail, &res, 0, 0);
    }
    if ((rc = load(&u, lb_path, c_path, v_path, n_path, err, sizeof err))) {
        snprintf(detail, sizeof detail, "light block: %s", err);
        status = verdict_out(json, "INVALID", "Malformed", detail, &res, 0, t.header.height);
        goto out;
    }
    cw_tm_trusted tr;
    cw_tm_trusted_of(&tr, &t);
    cw_tm_options opt = {level[0], level[1], period, drift};
    rc = cw_tm_verify_update(&res, &tr, &u, &opt, now, err, sizeof err);
    if (rc == CW_EINVAL) {
        fprintf(stderr, "causeway light verify: %s\n", err);
        status = 2;
        goto out;
    }
    if (rc == -ENOMEM) {
        fprintf(stderr, "causeway light verify: out of memory\n");
        status = 1;
        goto out;
    }
    const char *reason = res.verdict == CW_TM_SUCCESS ? "" : cw_tm_reason_name(res.reason);
    const char *d = rc ? err : "";
    size_t rl = strlen(reason); /* err reads "Reason: what"; print the reason once */
    if (rl && strncmp(d, reason, rl) == 0 && d[rl] == ':')
        d += rl + 1 + (d[rl + 1] == ' ');
    status = verdict_out(json, cw_tm_verdict_name(res.verdict), reason, d, &res,
                         u.header.height, t.header.height);
out:
    cw_tm_light_block_free(&t);
    cw_tm_light_block_free(&u);
    return status;
}
