/* causeway light verify | gen — offline light-client verification and a test-chain
 * generator (DESIGN §5–§6). Exit: 0 valid/done, 1 invalid/failed, 2 usage. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "causeway/cliopt.h"
#include "causeway/hex.h"
#include "causeway/lightclient.h"
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: causeway light verify [--type causeway-bip340] --client-state FILE\n"
            "                             --trusted FILE --light-block FILE\n"
            "                             [--now NS] [--out-trusted FILE] [--json]\n"
            "       causeway light verify --type tendermint ... (a CometBFT chain's light\n"
            "                             block; see causeway light verify --type tendermint\n"
            "                             --help)\n"
            "       causeway light gen --out DIR [--validators N] [--heights N] [--chain-id ID]\n"
            "                          [--seed HEX32] [--start-time NS] [--interval NS]\n"
            "                          [--change-at H] [--missing K] [--fork-at H]\n"
            "                          [--write-keys] [--json]\n"
            "\n"
            "verify: check LightBlock FILE (canonical msgpack, as the chain's light_block RPC\n"
            "  serves it) against TrustedState FILE under ClientState FILE ('-' = stdin, for one\n"
            "  of them). Adjacent or skipping by height (skipping needs the trusted state's\n"
            "  validator set). --now defaults to the system clock (ns since the epoch). Offline,\n"
            "  the trusted state is the client's latest consensus state. Prints the verdict and\n"
            "  the new consensus state; --out-trusted writes the next TrustedState.\n"
            "  Exit 0 valid, 1 invalid (reason on stderr, or in JSON), 2 usage.\n"
            "gen: write a reproducible test chain into DIR: client_state.msgpack, trusted.msgpack\n"
            "  (height 1), block_H.msgpack for H = 1..N, and fork_H.msgpack (a conflicting block\n"
            "  signed by the same validators) with --fork-at. --change-at H makes block H name a\n"
            "  new validator set (half the old one) that signs from H+1; --missing K leaves the\n"
            "  last K validators' signatures out of every commit. Keys derive from --seed (TEST\n"
            "  KEYS: anyone with the seed can sign); --write-keys also writes DIR/keys/*.json.\n");
}

static uint64_t now_ns_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --NAME's number into *(uint64_t *)o->dst (for cw_cliopt_parse; cli.h) */
int cw_cli_light_parse_u64(const cw_cliopt *o, const char *s)
{
    char e[128];
    if (cw_u64_from_dec(o->dst, s, e, sizeof e) != CW_OK) {
        fprintf(stderr, "causeway light: --%s: '%s' is not an unsigned integer\n", o->name, s);
        return -1;
    }
    return 0;
}

static char *hexs(char buf[static 65], const uint8_t b[32])
{
    cw_hex_encode(buf, 65, b, 32);
    return buf;
}

static int write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        int e = errno;
        if (f)
            fclose(f);
        fprintf(stderr, "causeway light: %s: %s\n", path, strerror(e ? e : EIO));
        return -1;
    }
    return 0;
}

/* ---- verify ---------------------------------------------------------------------- */

struct verdict {
    bool json;
    int rc;
    char err[320];
};

static int invalid(struct verdict *v, int rc, const char *what)
{
    if (what && *what) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s: %s", what, v->err);
        size_t l = strlen(tmp);
        if (l >= sizeof v->err)
            l = sizeof v->err - 1;
        memcpy(v->err, tmp, l);
        v->err[l] = '\0';
    }
    v->rc = rc;
    if (v->json) {
        json_t *o = json_pack("{s:b, s:s, s:s}", "valid", 0, "error", v->err, "code",
                              cw_strerror(rc));
        cw_cli_print_json(o, NULL);
    } else {
        printf("invalid: %s (%s)\n", v->err, cw_strerror(rc));
    }
    return 1;
}

/* --type's value in argv (either "--type X" or "--type=X"), or NULL */
static const char *type_arg(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--type") == 0)
            return i + 1 < argc ? argv[i + 1] : "";
        if (strncmp(argv[i], "--type=", 7) == 0)
            return argv[i] + 7;
    }
    return NULL;
}

static int cmd_verify(int argc, char **argv)
{
    /* client types (ICS-02): causeway-bip340 (ours, the default) and 07-tendermint */
    const char *type = type_arg(argc, argv), *type_str = NULL;
    if (type && (strcmp(type, "tendermint") == 0 || strcmp(type, "07-tendermint") == 0))
        return cw_cli_light_verify_tm(argc, argv);
    if (type && strcmp(type, "causeway-bip340") != 0) {
        fprintf(stderr, "causeway light verify: --type: '%s': expected causeway-bip340 or "
                        "tendermint\n", type);
        return 2;
    }
    const char *cs_path = NULL, *tr_path = NULL, *lb_path = NULL, *out_path = NULL;
    struct verdict v = {.rc = CW_OK};
    uint64_t now = 0;
    bool have_now = false;
    const cw_cliopt opts[] = {
        {"type", .str = &type_str},
        {"client-state", .str = &cs_path},
        {"trusted", .str = &tr_path},
        {"light-block", .str = &lb_path},
        {"now", .parse = cw_cli_light_parse_u64, .dst = &now, .seen = &have_now},
        {"out-trusted", .str = &out_path},
        {"json", .flag = &v.json},
        {0}};
    int end, opt_rc =
        cw_cliopt_parse(argc, argv, 1, opts, usage, "causeway light verify", &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    if (end != argc || !cs_path || !tr_path || !lb_path) {
        fprintf(stderr, "causeway light verify: --client-state, --trusted and --light-block "
                        "are required (and nothing else)\n");
        usage(stderr);
        return 2;
    }
    if ((strcmp(cs_path, "-") == 0) + (strcmp(tr_path, "-") == 0) +
            (strcmp(lb_path, "-") == 0) > 1) {
        fprintf(stderr, "causeway light verify: only one input can be '-' (stdin)\n");
        return 2;
    }
    if (!have_now)
        now = now_ns_clock();

    uint8_t *cs_buf = NULL, *tr_buf = NULL, *lb_buf = NULL;
    size_t cs_len, tr_len, lb_len;
    cw_lc_client_state cs;
    cw_lc_trusted_state ts;
    cw_light_block lb;
    cw_lc_valset *vals = NULL, *tv = NULL;
    cw_lc_memstore *ms = NULL;
    cw_lc_store st;
    cw_lc_update_result res;
    uint8_t nvh[32];
    int status = 1, rc;

    memset(&ts, 0, sizeof ts);
    memset(&lb, 0, sizeof lb);
    if ((rc = cw_cli_read_file(cs_path, CW_BLOCK_MAX_INPUT, &cs_buf, &cs_len, v.err,
                               sizeof v.err)) ||
        (rc = cw_cli_read_file(tr_path, CW_BLOCK_MAX_INPUT, &tr_buf, &tr_len, v.err,
                               sizeof v.err)) ||
        (rc = cw_cli_read_file(lb_path, CW_BLOCK_MAX_INPUT, &lb_buf, &lb_len, v.err,
                               sizeof v.err))) {
        status = invalid(&v, rc, NULL);
        goto out;
    }
    if ((rc = cw_lc_client_state_decode(&cs, cs_buf, cs_len, v.err, sizeof v.err))) {
        status = invalid(&v, rc, cs_path);
        goto out;
    }
    if ((rc = cw_lc_trusted_state_decode(&ts, tr_buf, tr_len, v.err, sizeof v.err))) {
        status = invalid(&v, rc, tr_path);
        goto out;
    }
    if ((rc = cw_light_block_decode(&lb, lb_buf, lb_len, v.err, sizeof v.err))) {
        status = invalid(&v, rc, lb_path);
        goto out;
    }
    if ((rc = cw_lc_valset_create(&vals, &lb.validator_set, v.err, sizeof v.err))) {
        status = invalid(&v, rc, "light_block.validator_set");
        goto out;
    }
    if (ts.has_validator_set &&
        (rc = cw_lc_valset_create(&tv, &ts.validator_set, v.err, sizeof v.err))) {
        status = invalid(&v, rc, "trusted_state.trusted_validator_set");
        goto out;
    }
    /* The light block's next set is what a later skip trusts: it must be the header's. */
    if ((rc = cw_validators_hash(nvh, &lb.next_validator_set)) ||
        memcmp(nvh, lb.signed_header.header.next_validators_hash, 32) != 0) {
        snprintf(v.err, sizeof v.err, "light_block.next_validator_set: does not hash to "
                                      "header.next_validators_hash");
        status = invalid(&v, rc ? rc : CW_EBADHEADER, NULL);
        goto out;
    }
    if ((rc = cw_lc_memstore_create(&ms))) {
        snprintf(v.err, sizeof v.err, "out of memory");
        status = invalid(&v, rc, NULL);
        goto out;
    }
    cw_lc_memstore_store(&st, ms);
    if ((rc = st.put(st.ctx, ts.height, &ts.consensus_state))) {
        snprintf(v.err, sizeof v.err, "out of memory");
        status = invalid(&v, rc, NULL);
        goto out;
    }
    cs.latest_height = ts.height; /* offline, the trust root is the latest state known */
    rc = cw_lc_update(&cs, &st, &lb.signed_header, vals, ts.height, tv, now, &res, v.err,
                      sizeof v.err);
    /* A no-op (the light block is the trust root's own state) verifies nothing; "valid"
     * here means verified, so the header goes through cw_lc_verify regardless. */
    if (rc == CW_OK && res.noop)
        rc = cw_lc_verify(&cs, ts.height, &ts.consensus_state, &lb.signed_header, vals, tv, now,
                          &res.info, v.err, sizeof v.err);
    if (rc) {
        status = invalid(&v, rc, NULL);
        goto out;
    }

    const cw_header *h = &lb.signed_header.header;
    const char *mode = h->height == ts.height + 1 ? "adjacent" : "skipping";
    uint8_t *csb = NULL;
    size_t csb_len = 0;
    if (cw_lc_consensus_state_encode(&csb, &csb_len, &res.consensus_state)) {
        snprintf(v.err, sizeof v.err, "out of memory");
        status = invalid(&v, -ENOMEM, NULL);
        goto out;
    }
    char *cshex = malloc(2 * csb_len + 1), a[65], b[65];
    if (cshex)
        cw_hex_encode(cshex, 2 * csb_len + 1, csb, csb_len);
    if (v.json) {
        json_t *o = json_pack(
            "{s:b, s:I, s:I, s:s, s:{s:I, s:s, s:s}, s:s, s:i, s:I, s:I, s:I, s:I, s:b}",
            "valid", 1, "height", (json_int_t)h->height, "trusted_height",
            (json_int_t)ts.height, "mode", mode, "consensus_state", "timestamp_ns",
            (json_int_t)res.consensus_state.timestamp_ns, "state_root",
            hexs(a, res.consensus_state.state_root), "next_validators_hash",
            hexs(b, res.consensus_state.next_validators_hash), "consensus_state_msgpack",
            cshex ? cshex : "", "signatures_checked", (int)res.info.sigs_checked,
            "signed_power", (json_int_t)res.info.signed_power, "total_power",
            (json_int_t)cw_lc_valset_total_power(vals), "trusted_signed_power",
            (json_int_t)res.info.trusted_power, "trusted_total_power",
            (json_int_t)(tv ? cw_lc_valset_total_power(tv) : 0), "noop", res.noop);
        cw_cli_print_json(o, NULL);
    } else {
        printf("valid: %s header at height %" PRIu64 " from trusted height %" PRIu64 "\n", mode,
               h->height, ts.height);
        printf("signatures checked: %u, signed power %" PRIu64 " of %" PRIu64, res.info.sigs_checked,
               res.info.signed_power, cw_lc_valset_total_power(vals));
        if (tv && h->height != ts.height + 1)
            printf(", trusted power %" PRIu64 " of %" PRIu64, res.info.trusted_power,
                   cw_lc_valset_total_power(tv));
        printf("\nconsensus_state:\n  timestamp_ns: %" PRIu64 "\n  state_root: %s\n"
               "  next_validators_hash: %s\n  msgpack: %s\n",
               res.consensus_state.timestamp_ns, hexs(a, res.consensus_state.state_root),
               hexs(b, res.consensus_state.next_validators_hash), cshex ? cshex : "");
    }
    free(cshex);
    free(csb);
    status = 0;
    if (out_path) {
        cw_lc_trusted_state next = {.height = h->height,
                                    .consensus_state = res.consensus_state,
                                    .has_validator_set = true,
                                    .validator_set = lb.next_validator_set};
        uint8_t *tb;
        size_t tl;
        if (cw_lc_trusted_state_encode(&tb, &tl, &next) || write_file(out_path, tb, tl))
            status = 1;
        if (status == 0 && !v.json)
            fprintf(stderr, "wrote %s\n", out_path);
        free(tb);
    }
out:
    cw_lc_valset_release(vals);
    cw_lc_valset_release(tv);
    cw_lc_memstore_destroy(ms);
    cw_light_block_free(&lb);
    cw_lc_trusted_state_free(&ts);
    free(cs_buf);
    free(tr_buf);
    free(lb_buf);
    return status;
}

/* ---- gen ------------------------------------------------------------------------- */

struct chainset {
    cw_validator_set vs;
    cw_seckey *keys;
};

static void chainset_free(struct chainset *c)
{
    if (c->keys)
        cw_wipe(c->keys, (size_t)c->vs.n * sizeof *c->keys);
    free(c->keys);
    cw_validator_set_free(&c->vs);
}

static int chainset_make(struct chainset *c, const uint8_t seed[32], uint32_t first, uint32_t n)
{
    memset(c, 0, sizeof *c);
    if (!(c->keys = calloc(n, sizeof *c->keys)))
        return -ENOMEM;
    int rc = cw_gen_validator_set(&c->vs, c->keys, seed, first, n, NULL);
    if (rc) {
        free(c->keys);
        c->keys = NULL;
    }
    return rc;
}

static int encode_to(const char *dir, const char *name, int rc_enc, uint8_t *buf, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int r = rc_enc ? -1 : write_file(path, buf, len);
    free(buf);
    return r;
}

static int parse_seed(const cw_cliopt *o, const char *arg)
{
    if (cw_hex_decode_exact(o->dst, 32, arg, NULL, 0) != CW_OK) {
        fprintf(stderr, "causeway light gen: --seed: expected 64 hex characters\n");
        return -1;
    }
    return 0;
}

static int cmd_gen(int argc, char **argv)
{
    const char *dir = NULL, *chain_id = "alpha";
    uint64_t nvals = 4, heights = 10, start = 0, interval = 1000000000, change_at = 0,
             missing = 0, fork_at = 0;
    bool have_start = false, write_keys = false, json = false;
    uint8_t seed[32] = {0};
    const cw_cliopt opts[] = {
        {"out", .str = &dir},
        {"validators", .parse = cw_cli_light_parse_u64, .dst = &nvals},
        {"heights", .parse = cw_cli_light_parse_u64, .dst = &heights},
        {"chain-id", .str = &chain_id},
        {"seed", .parse = parse_seed, .dst = seed},
        {"start-time", .parse = cw_cli_light_parse_u64, .dst = &start, .seen = &have_start},
        {"interval", .parse = cw_cli_light_parse_u64, .dst = &interval},
        {"change-at", .parse = cw_cli_light_parse_u64, .dst = &change_at},
        {"missing", .parse = cw_cli_light_parse_u64, .dst = &missing},
        {"fork-at", .parse = cw_cli_light_parse_u64, .dst = &fork_at},
        {"write-keys", .flag = &write_keys},
        {"json", .flag = &json},
        {0}};
    int end, opt_rc =
        cw_cliopt_parse(argc, argv, 1, opts, usage, "causeway light gen", &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    if (end != argc || !dir) {
        fprintf(stderr, "causeway light gen: --out DIR is required\n");
        usage(stderr);
        return 2;
    }
    if (nvals == 0 || nvals > CW_VALSET_MAX || heights == 0 || heights > 100000 ||
        interval == 0 || missing >= nvals || change_at > heights || fork_at > heights ||
        cw_id_validate(chain_id, strlen(chain_id), "chain id", NULL, 0) != CW_OK) {
        fprintf(stderr, "causeway light gen: out of range: need 1 ≤ validators ≤ %u, "
                        "1 ≤ heights ≤ 100000, interval > 0, missing < validators, "
                        "change-at/fork-at ≤ heights, a valid chain id\n", CW_VALSET_MAX);
        return 2;
    }
    if ((unsigned __int128)interval * (heights + 2) > now_ns_clock() ||
        (unsigned __int128)start + (unsigned __int128)interval * (heights + 2) > UINT64_MAX) {
        fprintf(stderr, "causeway light gen: --interval x --heights reaches beyond the clock "
                        "(or --start-time + it beyond 2^64 ns)\n");
        return 2;
    }
    if (!have_start)
        start = now_ns_clock() - (heights + 2) * interval;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "causeway light gen: %s: %s\n", dir, strerror(errno));
        return 1;
    }

    static const uint8_t aux[32]; /* fixed aux randomness: reproducible commits */
    struct chainset cur, nxt;
    bool *sign = NULL;
    int status = 1, rc;
    char name[64], e[256];
    uint8_t *buf;
    size_t len;
    uint8_t last_hash[32] = {0};
    uint32_t n = (uint32_t)nvals, changed_first = n / 2 ? n / 2 : 1;

    memset(&nxt, 0, sizeof nxt);
    if (chainset_make(&cur, seed, 0, n))
        return 1;
    if (!(sign = calloc(CW_VALSET_MAX, sizeof *sign)))
        goto out;

    for (uint64_t h = 1; h <= heights; h++) {
        /* the set signing h+1: a new one after change_at, else the current one */
        chainset_free(&nxt);
        if (h == change_at)
            rc = chainset_make(&nxt, seed, changed_first, n);
        else
            rc = cw_validator_set_copy(&nxt.vs, &cur.vs) ||
                 !(nxt.keys = malloc(n * sizeof *nxt.keys));
        if (rc)
            goto out;
        if (h != change_at)
            memcpy(nxt.keys, cur.keys, n * sizeof *nxt.keys);
        for (uint32_t i = 0; i < cur.vs.n; i++)
            sign[i] = i < cur.vs.n - missing;

        for (int fork = 0; fork <= (h == fork_at); fork++) {
            cw_header hd;
            cw_light_block lb;
            memset(&hd, 0, sizeof hd);
            strcpy(hd.chain_id, chain_id);
            hd.height = h;
            hd.time_ns = start + h * interval + (uint64_t)fork;
            memcpy(hd.last_block_hash, last_hash, 32);
            cw_sha256(hd.state_root, &h, sizeof h);
            hd.state_root[0] ^= (uint8_t)fork;
            hd.proposer = cur.vs.v[h % cur.vs.n].pubkey;
            if ((rc = cw_gen_light_block(&lb, &hd, &cur.vs, cur.keys, &nxt.vs, sign, aux, e,
                                         sizeof e))) {
                fprintf(stderr, "causeway light gen: %s\n", e);
                goto out;
            }
            if (!fork)
                memcpy(last_hash, lb.signed_header.commit.block_hash, 32);
            snprintf(name, sizeof name, "%s_%" PRIu64 ".msgpack", fork ? "fork" : "block", h);
            rc = cw_light_block_encode(&buf, &len, &lb);
            if (encode_to(dir, name, rc, buf, len)) {
                cw_light_block_free(&lb);
                goto out;
            }
            if (h == 1 && !fork) {
                cw_lc_client_state cs;
                cw_lc_trusted_state ts = {.height = 1, .has_validator_set = true,
                                          .validator_set = nxt.vs};
                cw_lc_consensus_state_of(&ts.consensus_state, &lb.signed_header.header);
                if (cw_lc_client_state_default(&cs, chain_id)) {
                    cw_light_block_free(&lb);
                    goto out;
                }
                cs.latest_height = 1;
                rc = cw_lc_client_state_encode(&buf, &len, &cs);
                if (encode_to(dir, "client_state.msgpack", rc, buf, len)) {
                    cw_light_block_free(&lb);
                    goto out;
                }
                rc = cw_lc_trusted_state_encode(&buf, &len, &ts);
                if (encode_to(dir, "trusted.msgpack", rc, buf, len)) {
                    cw_light_block_free(&lb);
                    goto out;
                }
            }
            cw_light_block_free(&lb);
        }
        if (h == change_at) {
            struct chainset tmp = cur;
            cur = nxt;
            nxt = tmp;
        }
    }
    if (write_keys) {
        char kdir[4096], path[4200];
        snprintf(kdir, sizeof kdir, "%s/keys", dir);
        if (mkdir(kdir, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "causeway light gen: %s: %s\n", kdir, strerror(errno));
            goto out;
        }
        uint32_t total = change_at ? changed_first + n : n;
        for (uint32_t i = 0; i < total; i++) {
            cw_seckey sk;
            cw_pubkey32 pk;
            if (cw_gen_key(&sk, &pk, seed, i))
                goto out;
            snprintf(path, sizeof path, "%s/validator_%u.json", kdir, i);
            rc = cw_keyfile_write(path, &sk, e, sizeof e);
            cw_seckey_wipe(&sk);
            if (rc) {
                fprintf(stderr, "causeway light gen: %s\n", e);
                goto out;
            }
        }
    }
    if (json)
        printf("{\"out\":\"%s\",\"chain_id\":\"%s\",\"heights\":%" PRIu64
               ",\"validators\":%u,\"start_time_ns\":%" PRIu64 ",\"interval_ns\":%" PRIu64
               "}\n", dir, chain_id, heights, n, start, interval);
    else
        printf("wrote %" PRIu64 " light blocks of chain %s (%u validators) to %s\n", heights,
               chain_id, n, dir);
    status = 0;
out:
    free(sign);
    chainset_free(&cur);
    chainset_free(&nxt);
    return status;
}

int cw_cli_light(int argc, char **argv)
{
    static const cw_clicmd cmds[] = {{"verify", cmd_verify, NULL}, {"gen", cmd_gen, NULL}};
    return cw_clicmd_dispatch(argc, argv, cmds, sizeof cmds / sizeof cmds[0], usage,
                              "causeway light", "subcommand");
}
