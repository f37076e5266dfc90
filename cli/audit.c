/* causeway audit — cross-chain solvency of a collateral path, proven, as of now
 * (DESIGN §8 "Audit").
 *
 * Every figure is read with an ICS-23 proof at a stated height and checked against the
 * state root of a header that this command's own light client verified from the trust
 * roots the user gives (--trust-a/--trust-b, or the relayer config's trust_root): the RPC
 * nodes are never trusted. The equation, exact (README "departs from DESIGN"):
 *
 *   escrow(A) + releases paid on A but not yet acknowledged on B
 *     = total(B) + in-flight(B) + deposits not yet credited on B
 *
 * where the two packet terms come from proving, for every sequence the channel ever sent
 * (1 .. nextSequenceSend - 1), the commitment on its source and the receipt and ack on its
 * destination. With nothing in flight it reduces to escrow(A) = total(B).
 *
 * Freshness: a verified header proves a state as of that header's time, not as of now, and
 * the node picks which header it calls its tip. So each chain's header time must be within
 * --max-age of the local clock (a node serving an old tip could otherwise get an old,
 * balanced state certified) and no more than the light client's clock drift ahead of it, and
 * the two chains' header times within --max-skew of each other (two states read at unrelated
 * moments are not one system's books). The figures are printed with the heights and header
 * times they were proven at. Activity between the two reads can still make a consistent
 * system look unbalanced: audit at a quiescent point, or re-run.
 *
 * Exit 0 the equation holds; 1 it does not, or a proof/header failed, or a header is stale,
 * from the future, or too far from the other chain's; 2 usage. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "causeway/app_msgs.h"
#include "causeway/chain_client.h"
#include "causeway/cliopt.h"
#include "causeway/hash.h"
#include "causeway/keys.h"
#include "causeway/packet.h"
#include "cli.h"

#define AUDIT_MAX_SEQS 20000u
#define AUDIT_MAX_CHAINS 8
#define AUDIT_MAX_PATHS 8
#define MS_NS UINT64_C(1000000)
/* Defaults (README, DESIGN §8): a few block intervals of the default 1 s block, and the most
 * two sequential reads of two tips may honestly be apart. */
#define AUDIT_MAX_AGE_NS (30 * 1000 * MS_NS)
#define AUDIT_MAX_SKEW_NS (10 * 1000 * MS_NS)
/* The longest --max-age / --max-skew accepted: 30 days (well inside u64 ns). */
#define AUDIT_MAX_DURATION_NS (UINT64_C(30) * 86400 * 1000 * MS_NS)

/* What the audit reads of the relayer's config file: the chains (cw_chain_cfg_read, the same
 * reader the relayer uses) and the paths' ends. */
typedef struct audit_end {
    char chain[CW_ID_MAX + 1];
    char port[CW_ID_MAX + 1];
    char channel[CW_ID_MAX + 1]; /* "" until the relayer created the channel */
    int chain_ix;
} audit_end;
typedef struct audit_path {
    char name[CW_ID_MAX + 1];
    audit_end end[2];
} audit_path;
typedef struct audit_config {
    cw_chain_cfg chains[AUDIT_MAX_CHAINS];
    int n_chains;
    audit_path paths[AUDIT_MAX_PATHS];
    int n_paths;
    uint64_t rpc_timeout_ms;
} audit_config;

typedef struct side {
    cw_chain_client c;
    const audit_end *end;
    uint64_t height;
    const cw_light_block *lb; /* verified; valid until the next cw_chain_* call on c */
    uint64_t time_ns;
} side;

/* A proven read of key at the side's verified height: *val (malloc'd, NULL = absent).
 * cw_chain_query checks the proof (membership of *val, or absence) against the state root of
 * the header this command's light client verified at the height answered
 * (cw_chain_proof_check); here only that the height answered is the one asked. */
static int proven(side *s, const char *key, uint8_t **val, size_t *len, char *err,
                  size_t err_len)
{
    uint8_t *proof = NULL;
    size_t plen = 0;
    uint64_t at = 0;
    int rc = cw_chain_query(&s->c, key, s->height, true, val, len, &proof, &plen, &at, err,
                            err_len);
    free(proof);
    if (rc == CW_OK && at != s->height)
        rc = cw_errf(err, err_len, CW_EBADPROOF, "answered at height %llu, asked %llu",
                     (unsigned long long)at, (unsigned long long)s->height);
    if (rc) {
        free(*val);
        *val = NULL;
        cw_err_prefix(err, err_len, rc, key);
    }
    return rc;
}

/* A proven amount under key (absent: 0), decoded with its layout's contract decoder
 * (causeway/keys.h): a be64 value or a [u64] record. */
static int proven_amount(side *s, const char *key, bool record, uint64_t *out, char *err,
                         size_t err_len)
{
    uint8_t *v;
    size_t n;
    *out = 0;
    int rc = proven(s, key, &v, &n, err, err_len);
    if (rc == CW_OK)
        rc = record ? cw_val_u64_rec_dec(out, v, n, err, err_len)
                    : cw_val_be64_dec(out, v, n, err, err_len);
    if (rc && v)
        cw_err_prefix(err, err_len, rc, key);
    free(v);
    return rc;
}

/* The packet sent at (src, seq), if its commitment is proven present: fetch its bytes from
 * the node's index and check them against the proven commitment; *cp its collateral data
 * (cw_collateral_packet_decode). *present = false when the commitment is proven absent. */
static int committed_packet(side *src, uint64_t seq, bool *present, cw_collateral_packet *cp,
                            char *err, size_t err_len)
{
    char path[CW_PATH_MAX];
    uint8_t *c;
    size_t cl;
    *present = false;
    memset(cp, 0, sizeof *cp);
    cw_path_packet(path, CW_PATH_COMMITMENTS, src->end->port, src->end->channel, seq);
    int rc = proven(src, path, &c, &cl, err, err_len);
    if (rc || !c) {
        free(c);
        return rc;
    }
    *present = true;
    uint8_t *buf = NULL;
    size_t blen = 0;
    rc = cw_chain_packet_bytes(&src->c, "packet", src->end->port, src->end->channel, seq, &buf,
                               &blen, err, err_len);
    cw_packet pk;
    uint8_t want[32];
    if (rc == CW_OK && (rc = cw_packet_decode(&pk, buf, blen, err, err_len)) == CW_OK) {
        cw_packet_commitment(want, &pk);
        if (cl != 32 || memcmp(want, c, 32) != 0)
            rc = cw_errf(err, err_len, CW_EBADPROOF,
                         "packet %llu served by the node does not match its proven "
                         "commitment", (unsigned long long)seq);
        else if ((rc = cw_collateral_packet_decode(cp, pk.data.p, pk.data.len, err, err_len)))
            cw_err_prefix(err, err_len, rc, path);
    }
    free(buf);
    free(c);
    return rc;
}

/* On dst: was packet seq (sent from its counterparty) received, and with an ok ack?
 * *received / *ok from the proven receipt and ack commitment (ack bytes from the node,
 * checked against the proven hash). */
static int delivery(side *dst, uint64_t seq, bool *received, bool *ok, char *err,
                    size_t err_len)
{
    char path[CW_PATH_MAX];
    uint8_t *v, *ah;
    size_t n, ahl;
    *received = *ok = false;
    cw_path_packet(path, CW_PATH_RECEIPTS, dst->end->port, dst->end->channel, seq);
    int rc = proven(dst, path, &v, &n, err, err_len);
    free(v);
    if (rc || !v)
        return rc;
    *received = true;
    cw_path_packet(path, CW_PATH_ACKS, dst->end->port, dst->end->channel, seq);
    if ((rc = proven(dst, path, &ah, &ahl, err, err_len)))
        return rc;
    if (!ah)
        return cw_errf(err, err_len, CW_EBADPROOF, "%s: received without an ack", path);
    uint8_t *buf = NULL;
    size_t blen = 0;
    rc = cw_chain_packet_bytes(&dst->c, "ack", dst->end->port, dst->end->channel, seq, &buf,
                               &blen, err, err_len);
    if (rc == CW_OK && blen > CW_ACK_MAX)
        rc = cw_errf(err, err_len, CW_ETOOBIG, "ack %llu: %zu bytes exceed %u",
                     (unsigned long long)seq, blen, (unsigned)CW_ACK_MAX);
    if (rc == CW_OK) {
        cw_bytes ack = {buf, blen};
        uint8_t h[32];
        cw_bytes payload;
        {
            cw_sha256(h, ack.p, ack.len);
            if (ahl != 32 || memcmp(h, ah, 32) != 0)
                rc = cw_errf(err, err_len, CW_EBADPROOF,
                             "ack %llu served by the node does not match its proven hash",
                             (unsigned long long)seq);
            else
                rc = cw_ack_decode(ok, &payload, ack.p, ack.len, err, err_len);
        }
    }
    free(buf);
    free(ah);
    return rc;
}

/* Walk every sequence src ever sent on the channel; sum the in-flight terms. */
static int walk(side *src, side *dst, const char *denom, cw_collateral_kind want_kind,
                uint64_t *unsettled, uint64_t *pending_packets, char *err, size_t err_len)
{
    char path[CW_PATH_MAX];
    uint64_t next;
    *unsettled = *pending_packets = 0;
    cw_path_next_seq(path, CW_PATH_NEXT_SEQ_SEND, src->end->port, src->end->channel);
    int rc = proven_amount(src, path, false, &next, err, err_len);
    if (rc)
        return rc;
    if (next > AUDIT_MAX_SEQS)
        return cw_errf(err, err_len, CW_ETOOBIG, "%llu packets: more than %u to audit",
                       (unsigned long long)next, AUDIT_MAX_SEQS);
    for (uint64_t seq = 1; seq < next; seq++) {
        bool present, received, ok;
        cw_collateral_packet cp;
        if ((rc = committed_packet(src, seq, &present, &cp, err, err_len)))
            return rc;
        if (!present || cp.kind != want_kind || strcmp(cp.denom, denom) != 0)
            continue;
        (*pending_packets)++;
        if ((rc = delivery(dst, seq, &received, &ok, err, err_len)))
            return rc;
        /* deposits: escrowed on A, not (yet) in B's total unless received with an ok ack;
         * releases: in B's in-flight, already paid on A when received with an ok ack */
        if (want_kind == CW_COLLATERAL_DEPOSIT ? !(received && ok) : (received && ok))
            *unsettled += cp.amount;
    }
    return CW_OK;
}

/* --max-age / --max-skew: a positive integer with a unit, ms, s, m or h ("500ms", "30s",
 * "2m"), into ns (o->dst, uint64_t), at most AUDIT_MAX_DURATION_NS. */
static int parse_duration(const cw_cliopt *o, const char *arg)
{
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {{"ms", MS_NS}, {"s", 1000 * MS_NS}, {"m", 60000 * MS_NS},
                 {"h", 3600000 * MS_NS}};
    uint64_t n = 0;
    const char *p = arg;
    for (; *p >= '0' && *p <= '9' && n <= AUDIT_MAX_DURATION_NS; p++)
        n = n * 10 + (uint64_t)(*p - '0');
    for (size_t i = 0; p != arg && i < sizeof units / sizeof units[0]; i++)
        if (strcmp(p, units[i].unit) == 0 && n > 0 && n <= AUDIT_MAX_DURATION_NS / units[i].ns) {
            *(uint64_t *)o->dst = n * units[i].ns;
            return 0;
        }
    fprintf(stderr, "causeway audit: --%s: '%s' is not a duration (a positive whole number "
            "with a unit ms, s, m or h, e.g. 500ms, 30s, 2m; at most 30 days)\n", o->name, arg);
    return -1;
}

/* ns since the Unix epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC). */
static const char *fmt_time(char buf[32], uint64_t ns)
{
    time_t t = (time_t)(ns / 1000000000u);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof tm);
    snprintf(buf, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u,
             (unsigned)(ns % 1000000000u / MS_NS));
    return buf;
}

/* A duration in ns as seconds with ms, "12.345s". */
static const char *fmt_dur(char buf[32], uint64_t ns)
{
    snprintf(buf, 32, "%llu.%03llus", (unsigned long long)(ns / 1000000000u),
             (unsigned long long)(ns % 1000000000u / MS_NS));
    return buf;
}

/* The side's verified header is current: its time no more than max_age behind now (ns, the
 * local clock) and no more than the light client's clock drift ahead of it. */
static int check_fresh(const side *s, const char *id, uint64_t now, uint64_t max_age,
                       char *err, size_t err_len)
{
    char ht[32], lt[32], d[32], lim[32];
    if (s->time_ns > now && s->time_ns - now > s->c.lcs.max_clock_drift_ns)
        return cw_errf(err, err_len, CW_EINVAL,
                       "chain %s: the verified header at height %llu has time %s, local clock "
                       "%s: %s ahead, more than the allowed clock drift %s (is the local "
                       "clock right?)", id, (unsigned long long)s->height,
                       fmt_time(ht, s->time_ns), fmt_time(lt, now), fmt_dur(d, s->time_ns - now),
                       fmt_dur(lim, s->c.lcs.max_clock_drift_ns));
    if (s->time_ns < now && now - s->time_ns > max_age)
        return cw_errf(err, err_len, CW_EINVAL,
                       "chain %s: the verified header at height %llu has time %s, local clock "
                       "%s: %s old, more than --max-age %s; the node serves an old tip (or "
                       "the chain has stopped), and a past state is not certified as current",
                       id, (unsigned long long)s->height, fmt_time(ht, s->time_ns),
                       fmt_time(lt, now), fmt_dur(d, now - s->time_ns), fmt_dur(lim, max_age));
    return CW_OK;
}

/* The two chains were read at moments no more than max_skew apart (their header times). */
static int check_skew(const side *a, const char *ida, const side *b, const char *idb,
                      uint64_t max_skew, char *err, size_t err_len)
{
    uint64_t skew = a->time_ns > b->time_ns ? a->time_ns - b->time_ns : b->time_ns - a->time_ns;
    char ta[32], tb[32], d[32], lim[32];
    if (skew <= max_skew)
        return CW_OK;
    return cw_errf(err, err_len, CW_EINVAL,
                   "%s at height %llu (header time %s) and %s at height %llu (header time %s) "
                   "are %s apart, more than --max-skew %s: the two chains' states are not of "
                   "one moment", ida, (unsigned long long)a->height, fmt_time(ta, a->time_ns),
                   idb, (unsigned long long)b->height, fmt_time(tb, b->time_ns),
                   fmt_dur(d, skew), fmt_dur(lim, max_skew));
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: causeway audit --config RELAYER_JSON [--path NAME] [--denom DENOM]\n"
        "                      [--trust-a HEIGHT:HASH] [--trust-b HEIGHT:HASH]\n"
        "                      [--max-age DURATION] [--max-skew DURATION] [--json]\n"
        "What it proves: on the path's channel (first path, or --path), for DENOM,\n"
        "    escrow(a) + releases paid on a, not yet acknowledged on b\n"
        "      = positions total(b) + releases in flight(b) + deposits not yet credited on b\n"
        "  where a is the collateral's home chain and b the lending chain; every figure and\n"
        "  every packet commitment, receipt and ack behind the two packet terms is read with\n"
        "  an ICS-23 proof.\n"
        "Against what trust: the proofs are checked against the state roots of headers this\n"
        "  command's own light client verified from the trust roots (--trust-a/--trust-b,\n"
        "  else the config's chains[].trust_root): each header signed by more than 2/3 of\n"
        "  its validators' power and reached from the root adjacently or by skipping with\n"
        "  more than 1/3 of a trusted set's power, within the trusting period (14 days).\n"
        "  Neither RPC node is trusted for any figure; which height is the tip, only to\n"
        "  within --max-age.\n"
        "As of when: each chain's latest verified header, whose height and header time are\n"
        "  printed with the figures. Refused (exit 1, naming both times) when a header's\n"
        "  time is more than --max-age behind the local clock (default 30s: a node serving\n"
        "  an old tip, or a stopped chain) or more than the light client's clock drift (10s)\n"
        "  ahead of it, or when the two header times are more than --max-skew apart\n"
        "  (default 10s). DURATION: a whole number with ms, s, m or h (500ms, 30s, 2m).\n"
        "  The two chains are still read one after the other: activity between the reads\n"
        "  can make a consistent system look unbalanced; audit at a quiescent point.\n"
        "Exit 0 balanced; 1 not balanced, a proof or header failed, or a header is stale,\n"
        "  ahead of the clock or too far from the other; 2 usage.\n");
}

static int parse_root(const char *s, uint64_t *h, uint8_t hash[32])
{
    return cw_chain_trust_root_parse(s, h, hash) == CW_OK ? 0 : -1;
}

/* Read the chains and paths of the relayer's config file (other fields are the relayer's). */
static int load_config(audit_config *cfg, const char *path, char *err, size_t err_len)
{
    json_t *root = NULL;
    memset(cfg, 0, sizeof *cfg);
    cfg->rpc_timeout_ms = 5000;
    int rc = cw_jconf_load(&root, path, err, err_len);
    if (rc)
        return rc;
    cw_jconf j = {.file = path, .rc = CW_OK, .err = err, .err_len = err_len};
    cw_jconf_u64(&j, root, "rpc_timeout_ms", "rpc_timeout_ms", false, 10, 600000,
                 &cfg->rpc_timeout_ms);
    const json_t *chains = cw_jconf_array(&j, root, "chains", "chains", true, AUDIT_MAX_CHAINS);
    size_t i;
    const json_t *it;
    char w[64], f[160];
    json_array_foreach(chains, i, it) {
        snprintf(w, sizeof w, "chains[%zu]", i);
        cw_chain_cfg_read(&j, it, w, &cfg->chains[cfg->n_chains]);
        if (j.rc)
            break;
        cfg->n_chains++;
    }
    const json_t *paths = j.rc ? NULL : cw_jconf_array(&j, root, "paths", "paths", true,
                                                       AUDIT_MAX_PATHS);
    json_array_foreach(paths, i, it) {
        audit_path *p = &cfg->paths[cfg->n_paths];
        snprintf(w, sizeof w, "paths[%zu]", i);
        snprintf(p->name, sizeof p->name, "path-%zu", i);
        snprintf(f, sizeof f, "%s.name", w);
        cw_jconf_id(&j, it, "name", f, false, p->name);
        for (int e = 0; e < 2 && !j.rc; e++) {
            audit_end *ae = &p->end[e];
            snprintf(f, sizeof f, "%s.%s", w, e ? "b" : "a");
            const json_t *eo = cw_jconf_object(&j, it, e ? "b" : "a", f, true);
            char ff[192];
            snprintf(ff, sizeof ff, "%s.chain", f);
            cw_jconf_id(&j, eo, "chain", ff, true, ae->chain);
            snprintf(ff, sizeof ff, "%s.port", f);
            cw_jconf_id(&j, eo, "port", ff, true, ae->port);
            snprintf(ff, sizeof ff, "%s.channel", f);
            cw_jconf_str(&j, eo, "channel", ff, false, CW_ID_MAX, ae->channel,
                         sizeof ae->channel);
            ae->chain_ix = -1;
            for (int k = 0; k < cfg->n_chains; k++)
                if (strcmp(cfg->chains[k].id, ae->chain) == 0)
                    ae->chain_ix = k;
            if (!j.rc && ae->chain_ix < 0)
                cw_jconf_fail(&j, CW_EINVAL, ff, "\"%s\" is not one of the chains", ae->chain);
        }
        if (j.rc)
            break;
        cfg->n_paths++;
    }
    json_decref(root);
    for (int k = 0; j.rc == CW_OK && k < cfg->n_chains; k++)
        j.rc = cw_chain_cfg_env(&cfg->chains[k], path, k, err, err_len);
    return j.rc;
}

static int open_side(side *s, const audit_config *cfg, const audit_end *end,
                     const char *root_flag, char *err, size_t err_len)
{
    const cw_chain_cfg *cc = &cfg->chains[end->chain_ix];
    uint64_t h;
    uint8_t hash[32];
    s->end = end;
    if (root_flag) {
        if (parse_root(root_flag, &h, hash))
            return cw_errf(err, err_len, CW_EINVAL, "trust root '%s': expected HEIGHT:HASH "
                           "(64 hex characters)", root_flag);
    } else if (cc->has_trust) {
        h = cc->trust_height;
        memcpy(hash, cc->trust_hash, 32);
    } else {
        return cw_errf(err, err_len, CW_EINVAL,
                       "chain %s: no trust root (give --trust-a/--trust-b or set trust_root in "
                       "the config): the audit never trusts the RPC node's headers", cc->id);
    }
    int rc;
    if ((rc = cw_chain_client_init(&s->c, cc, end->chain_ix, (uint32_t)cfg->rpc_timeout_ms,
                                   false, err, err_len)) ||
        (rc = cw_chain_ensure(&s->c, err, err_len)) ||
        (rc = cw_chain_lc_seed(&s->c, h, hash, err, err_len)) ||
        (rc = cw_chain_status(&s->c, NULL, err, err_len)))
        return rc;
    s->height = s->c.height;
    if ((rc = cw_chain_lc_verified(&s->c, s->height, &s->lb, err, err_len)))
        return cw_err_prefix(err, err_len, rc, cc->id);
    s->time_ns = s->lb->signed_header.header.time_ns;
    return CW_OK;
}

int cw_cli_audit(int argc, char **argv)
{
    const char *config = NULL, *path_name = NULL, *denom = "stake", *ta = NULL, *tb = NULL;
    bool json = false;
    uint64_t max_age = AUDIT_MAX_AGE_NS, max_skew = AUDIT_MAX_SKEW_NS;
    const cw_cliopt opts[] = {{"config", .str = &config},
                              {"path", .str = &path_name},
                              {"denom", .str = &denom},
                              {"trust-a", .str = &ta},
                              {"trust-b", .str = &tb},
                              {"max-age", .parse = parse_duration, .dst = &max_age},
                              {"max-skew", .parse = parse_duration, .dst = &max_skew},
                              {"json", .flag = &json},
                              {0}};
    int end, opt_rc = cw_cliopt_parse(argc, argv, 1, opts, usage, NULL, &end);
    if (opt_rc != CW_CLIOPT_GO)
        return opt_rc;
    char err[512];
    if (end != argc || !config) {
        usage(stderr);
        return 2;
    }
    if (cw_id_validate(denom, strlen(denom), "--denom", err, sizeof err)) {
        fprintf(stderr, "causeway audit: %s\n", err);
        return 2;
    }
    static audit_config cfg;
    if (load_config(&cfg, config, err, sizeof err)) {
        fprintf(stderr, "causeway audit: %s\n", err);
        return 2;
    }
    const audit_path *path = NULL;
    for (int i = 0; i < cfg.n_paths; i++)
        if (!path_name || strcmp(cfg.paths[i].name, path_name) == 0) {
            path = &cfg.paths[i];
            break;
        }
    if (!path || !path->end[0].channel[0] || !path->end[1].channel[0]) {
        fprintf(stderr, "causeway audit: %s: path %s not found or has no channel yet\n", config,
                path_name ? path_name : "(first)");
        return 2;
    }
    for (int e = 0; e < 2; e++) {
        const char *flag = e ? tb : ta;
        uint64_t h;
        uint8_t hash[32];
        if (flag ? parse_root(flag, &h, hash) != 0
                 : !cfg.chains[path->end[e].chain_ix].has_trust) {
            fprintf(stderr, "causeway audit: chain %s: %s\n",
                    cfg.chains[path->end[e].chain_ix].id,
                    flag ? "trust root must be HEIGHT:HASH (64 hex characters)"
                         : "no trust root (give --trust-a/--trust-b or set trust_root in the "
                           "config): the audit never trusts the RPC node's headers");
            return 2;
        }
    }
    static side a, b;
    int rc = open_side(&a, &cfg, &path->end[0], ta, err, sizeof err);
    if (rc == CW_OK)
        rc = open_side(&b, &cfg, &path->end[1], tb, err, sizeof err);
    /* as of now: both verified tips current, and of one moment (before any figure is read) */
    const char *id_a = cfg.chains[path->end[0].chain_ix].id;
    const char *id_b = cfg.chains[path->end[1].chain_ix].id;
    uint64_t now = cw_chain_now_ns();
    if (rc == CW_OK)
        rc = check_fresh(&a, id_a, now, max_age, err, sizeof err);
    if (rc == CW_OK)
        rc = check_fresh(&b, id_b, now, max_age, err, sizeof err);
    if (rc == CW_OK)
        rc = check_skew(&a, id_a, &b, id_b, max_skew, err, sizeof err);
    uint64_t escrow = 0, total = 0, inflight = 0, dep_uncredited = 0, rel_paid = 0, n_dep = 0,
             n_rel = 0;
    char key[CW_KEY_MAX];
    if (rc == CW_OK && (rc = cw_key_collateral_escrow(key, a.end->channel, denom)) == CW_OK)
        rc = proven_amount(&a, key, false, &escrow, err, sizeof err);
    if (rc == CW_OK && (rc = cw_key_collateral_total(key, b.end->channel, denom)) == CW_OK)
        rc = proven_amount(&b, key, true, &total, err, sizeof err);
    if (rc == CW_OK && (rc = cw_key_collateral_inflight(key, b.end->channel, denom)) == CW_OK)
        rc = proven_amount(&b, key, true, &inflight, err, sizeof err);
    if (rc == CW_OK)
        rc = walk(&a, &b, denom, CW_COLLATERAL_DEPOSIT, &dep_uncredited, &n_dep, err, sizeof err);
    if (rc == CW_OK)
        rc = walk(&b, &a, denom, CW_COLLATERAL_RELEASE, &rel_paid, &n_rel, err, sizeof err);
    int status;
    if (rc) {
        fprintf(stderr, "causeway audit: %s\n", err);
        status = 1;
    } else {
        cw_u128 lhs = (cw_u128)escrow + rel_paid, rhs = (cw_u128)total + inflight + dep_uncredited;
        bool holds = lhs == rhs;
        status = holds ? 0 : 1;
        char tma[32], tmb[32], tnow[32], age_a[32], age_b[32];
        fmt_time(tma, a.time_ns);
        fmt_time(tmb, b.time_ns);
        fmt_time(tnow, now);
        fmt_dur(age_a, now > a.time_ns ? now - a.time_ns : 0);
        fmt_dur(age_b, now > b.time_ns ? now - b.time_ns : 0);
        if (json) {
            json_t *o = json_pack(
                "{s:s, s:I, s:s, s:I, s:s, s:I, s:s, s:I, s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:I,"
                " s:I, s:I, s:I, s:b}",
                "chain_a", id_a, "height_a", (json_int_t)a.height, "time_a", tma, "time_a_ns",
                (json_int_t)a.time_ns, "chain_b", id_b, "height_b", (json_int_t)b.height,
                "time_b", tmb, "time_b_ns", (json_int_t)b.time_ns, "checked_at", tnow,
                "max_age_ms", (json_int_t)(max_age / MS_NS), "max_skew_ms",
                (json_int_t)(max_skew / MS_NS), "denom", denom, "escrow", (json_int_t)escrow,
                "total", (json_int_t)total, "inflight", (json_int_t)inflight,
                "deposits_not_credited", (json_int_t)dep_uncredited,
                "releases_paid_not_acked", (json_int_t)rel_paid, "deposit_packets_pending",
                (json_int_t)n_dep, "release_packets_pending", (json_int_t)n_rel, "holds",
                holds);
            cw_cli_print_json(o, "{}");
        } else {
            printf("audit of %s, path %s (%s %s <-> %s %s), every figure proven against a "
                   "header verified from the trust roots by this command's light client\n",
                   denom, path->name, id_a, a.end->channel, id_b, b.end->channel);
            printf("  as of: %s height %llu, header time %s (%s old); %s height %llu, header "
                   "time %s (%s old); local clock %s\n", id_a, (unsigned long long)a.height,
                   tma, age_a, id_b, (unsigned long long)b.height, tmb, age_b, tnow);
            printf("  %s at height %llu: escrow %llu; %llu deposit packets pending, %llu not "
                   "yet credited on %s\n", id_a, (unsigned long long)a.height,
                   (unsigned long long)escrow, (unsigned long long)n_dep,
                   (unsigned long long)dep_uncredited, id_b);
            printf("  %s at height %llu: positions total %llu, releases in flight %llu (%llu "
                   "packets, %llu already paid on %s)\n", id_b, (unsigned long long)b.height,
                   (unsigned long long)total, (unsigned long long)inflight,
                   (unsigned long long)n_rel, (unsigned long long)rel_paid, id_a);
            printf("  escrow + paid-not-acked = %llu, total + in flight + not-credited = %llu: "
                   "%s\n", (unsigned long long)lhs, (unsigned long long)rhs,
                   holds ? "BALANCED" : "NOT BALANCED");
        }
    }
    cw_chain_client_free(&a.c);
    cw_chain_client_free(&b.c);
    return status;
}
