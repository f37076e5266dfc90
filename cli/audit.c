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
 * where the two packet terms come from the packets whose commitment is still outstanding on
 * their source: for each, the commitment proven on the source and the receipt and ack on the
 * destination. Settled packets (commitment deleted) are not read one by one: the source
 * proves the count and amount of its outstanding packets (collateral/pending, keys.h), the
 * node enumerates them (packet_commitments, in pages) and the audit checks that what it
 * proved adds up to that aggregate, so a node that hides one is caught. Time and memory grow
 * with the packets in flight, not with the channel's age (memory: one page, AUDIT_PAGE).
 * With nothing in flight it reduces to escrow(A) = total(B).
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
#include <errno.h>
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

/* Sequences per packet_commitments page and per proof batch (≤ CW_RPC_BATCH_MAX). */
#define AUDIT_PAGE 1000u
_Static_assert(AUDIT_PAGE <= CW_RPC_BATCH_MAX, "a page is one proof batch");
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

/* The packets of one page of the source's outstanding commitments, and the proofs about
 * them: the audit's only per-packet memory, reused page after page (bounded by AUDIT_PAGE,
 * not by the channel's age). */
typedef struct audit_page {
    uint64_t seq[AUDIT_PAGE];      /* the node's enumeration, then those of the walked kind */
    uint64_t present[AUDIT_PAGE];  /* proven present at the source's height */
    uint64_t amount[AUDIT_PAGE];   /* of seq[i], once of the walked kind and denom */
    bool received[AUDIT_PAGE];
    uint8_t commit[AUDIT_PAGE][32]; /* the proven commitments of present[] */
    cw_chain_qreq q[AUDIT_PAGE];
    uint8_t *pkt[AUDIT_PAGE];
    size_t plen[AUDIT_PAGE];
    uint8_t ok_ack_hash[32];       /* the hash of an ack already decoded as ok */
    bool have_ok_ack;
} audit_page;

/* What a walk of one direction found. */
typedef struct walk_tally {
    uint64_t next_seq;   /* proven nextSequenceSend: the channel sent next_seq - 1 packets */
    uint64_t pending;    /* proven outstanding packets of the kind and denom (the aggregate) */
    uint64_t unsettled;  /* the amount term of the equation */
} walk_tally;

/* q[0..n) = the proofs of (which, port, channel, seqs[i]) at the side's height. */
static int prove_paths(side *s, audit_page *pg, const char *which, const uint64_t *seqs,
                       size_t n, char *err, size_t err_len)
{
    cw_chain_qreq_free(pg->q, AUDIT_PAGE);
    memset(pg->q, 0, sizeof pg->q);
    for (size_t i = 0; i < n; i++)
        cw_path_packet(pg->q[i].key, which, s->end->port, s->end->channel, seqs[i]);
    int rc = n ? cw_chain_query_many(&s->c, pg->q, n, s->height, err, err_len) : CW_OK;
    for (size_t i = 0; rc == CW_OK && i < n; i++)
        if (pg->q[i].rc)
            rc = cw_errf(err, err_len, pg->q[i].rc, "%s: %s", pg->q[i].key,
                         cw_strerror(pg->q[i].rc));
        else if (pg->q[i].at != s->height)
            rc = cw_errf(err, err_len, CW_EBADPROOF, "%s: answered at height %llu, asked %llu",
                         pg->q[i].key, (unsigned long long)pg->q[i].at,
                         (unsigned long long)s->height);
    return rc;
}

/* Is the ack (port/channel of dst, seq), whose hash h32 dst proved, an ok ack? The bytes come
 * from the node's index and must hash to h32; an ack hashing like one already decoded as ok
 * is that ack (SHA-256), so a channel's identical ok acks are fetched once. */
static int ack_ok(side *dst, audit_page *pg, uint64_t seq, const uint8_t *h32, size_t hl,
                  bool *ok, char *err, size_t err_len)
{
    *ok = false;
    if (hl != 32)
        return cw_errf(err, err_len, CW_EBADPROOF, "ack %llu: a %zu-byte commitment, not 32",
                       (unsigned long long)seq, hl);
    if (pg->have_ok_ack && memcmp(pg->ok_ack_hash, h32, 32) == 0) {
        *ok = true;
        return CW_OK;
    }
    uint8_t *buf = NULL, h[32];
    size_t blen = 0;
    cw_bytes payload;
    int rc = cw_chain_packet_bytes(&dst->c, "ack", dst->end->port, dst->end->channel, seq, &buf,
                                   &blen, err, err_len);
    if (rc == CW_OK && blen > CW_ACK_MAX)
        rc = cw_errf(err, err_len, CW_ETOOBIG, "ack %llu: %zu bytes exceed %u",
                     (unsigned long long)seq, blen, (unsigned)CW_ACK_MAX);
    if (rc == CW_OK) {
        cw_sha256(h, buf, blen);
        if (memcmp(h, h32, 32) != 0)
            rc = cw_errf(err, err_len, CW_EBADPROOF,
                         "ack %llu served by the node does not match its proven hash",
                         (unsigned long long)seq);
        else if ((rc = cw_ack_decode(ok, &payload, buf, blen, err, err_len)) == CW_OK && *ok) {
            memcpy(pg->ok_ack_hash, h, 32);
            pg->have_ok_ack = true;
        }
    }
    free(buf);
    return rc;
}

/* One page of the node's enumeration, seqs pg->seq[0..n) (each < next_seq): prove each
 * commitment on src; of the packets proven outstanding, those of want_kind and denom are
 * counted into *seen / *seen_amount, and their delivery on dst proven (receipt, ack) for the
 * equation's term. */
static int walk_page(side *src, side *dst, audit_page *pg, size_t n, const char *denom,
                     cw_collateral_kind want_kind, uint64_t *seen, uint64_t *seen_amount,
                     walk_tally *t, char *err, size_t err_len)
{
    int rc = prove_paths(src, pg, CW_PATH_COMMITMENTS, pg->seq, n, err, err_len);
    size_t np = 0;
    for (size_t i = 0; rc == CW_OK && i < n; i++) {
        if (!pg->q[i].val)
            continue; /* settled (or never sent) as of the height: not outstanding */
        if (pg->q[i].val_len != 32)
            return cw_errf(err, err_len, CW_EBADPROOF, "%s: a %zu-byte commitment, not 32",
                           pg->q[i].key, pg->q[i].val_len);
        memcpy(pg->commit[np], pg->q[i].val, 32);
        pg->present[np++] = pg->seq[i];
    }
    if (rc || np == 0)
        return rc;
    if ((rc = cw_chain_packets(&src->c, src->end->port, src->end->channel, pg->present, np,
                               pg->pkt, pg->plen, err, err_len)))
        return rc;
    size_t nm = 0;
    for (size_t i = 0; rc == CW_OK && i < np; i++) {
        cw_packet pk;
        cw_collateral_packet cp;
        uint8_t want[32];
        uint64_t seq = pg->present[i];
        if (!pg->pkt[i])
            rc = cw_errf(err, err_len, CW_ENOTFOUND, "packet %llu: committed at height %llu "
                         "but the node serves no packet", (unsigned long long)seq,
                         (unsigned long long)src->height);
        else if ((rc = cw_packet_decode(&pk, pg->pkt[i], pg->plen[i], err, err_len)))
            cw_err_prefix(err, err_len, rc, "packet served by the node");
        else if (cw_packet_commitment(want, &pk), memcmp(want, pg->commit[i], 32) != 0 ||
                 pk.sequence != seq)
            rc = cw_errf(err, err_len, CW_EBADPROOF, "packet %llu served by the node does not "
                         "match its proven commitment", (unsigned long long)seq);
        else if ((rc = cw_collateral_packet_decode(&cp, pk.data.p, pk.data.len, err, err_len)))
            cw_err_prefix(err, err_len, rc, "packet data");
        else if (cp.kind == want_kind && strcmp(cp.denom, denom) == 0) {
            if (cw_add_u64(seen_amount, *seen_amount, cp.amount))
                rc = cw_errf(err, err_len, CW_EOVERFLOW, "outstanding amounts overflow u64");
            (*seen)++;
            pg->seq[nm] = seq;
            pg->amount[nm++] = cp.amount;
        }
    }
    for (size_t i = 0; i < np; i++) {
        free(pg->pkt[i]);
        pg->pkt[i] = NULL;
    }
    if (rc || nm == 0)
        return rc;
    /* delivery on dst: the receipts, then the acks of those received */
    if ((rc = prove_paths(dst, pg, CW_PATH_RECEIPTS, pg->seq, nm, err, err_len)))
        return rc;
    size_t nr = 0;
    for (size_t i = 0; i < nm; i++)
        if ((pg->received[i] = pg->q[i].val != NULL))
            pg->present[nr++] = pg->seq[i];
    if (nr && (rc = prove_paths(dst, pg, CW_PATH_ACKS, pg->present, nr, err, err_len)))
        return rc;
    for (size_t i = 0, r = 0; rc == CW_OK && i < nm; i++) {
        bool ok = false;
        t->pending++;
        if (pg->received[i]) {
            cw_chain_qreq *a = &pg->q[r++];
            if (!a->val)
                return cw_errf(err, err_len, CW_EBADPROOF, "%s: received without an ack",
                               a->key);
            if ((rc = ack_ok(dst, pg, pg->seq[i], a->val, a->val_len, &ok, err, err_len)))
                return rc;
        }
        /* deposits: escrowed on A, not (yet) in B's total unless received with an ok ack;
         * releases: in B's in-flight, already paid on A when received with an ok ack */
        if ((want_kind == CW_COLLATERAL_DEPOSIT ? !ok : ok) &&
            cw_add_u64(&t->unsettled, t->unsettled, pg->amount[i]))
            rc = cw_errf(err, err_len, CW_EOVERFLOW, "unsettled amounts overflow u64");
    }
    return rc;
}

/* One direction, src → dst, packets of want_kind in denom. Settled history is read through
 * the source's proven aggregate collateral/pending/{channel}/{kind}/{denom} = [count, Σ
 * amount] of the packets whose commitment is outstanding (causeway/keys.h); only those are
 * walked one by one: the node enumerates the outstanding sequences (packet_commitments,
 * paged), every commitment is proven, and what was proven must add up to the aggregate — a
 * node that leaves one out is caught. Memory: one audit_page, whatever the channel's age. */
static int walk(side *src, side *dst, audit_page *pg, const char *denom,
                cw_collateral_kind want_kind, const char *src_id, walk_tally *t, char *err,
                size_t err_len)
{
    char path[CW_PATH_MAX], key[CW_KEY_MAX];
    uint8_t *v = NULL;
    size_t vl = 0;
    uint64_t count, amount, seen = 0, seen_amount = 0;
    const char *kind = want_kind == CW_COLLATERAL_DEPOSIT ? "deposit" : "release";
    memset(t, 0, sizeof *t);
    cw_path_next_seq(path, CW_PATH_NEXT_SEQ_SEND, src->end->port, src->end->channel);
    int rc = proven_amount(src, path, false, &t->next_seq, err, err_len);
    if (rc == CW_OK && (rc = cw_key_collateral_pending(key, src->end->channel,
                                                       want_kind == CW_COLLATERAL_RELEASE,
                                                       denom)) == CW_OK &&
        (rc = proven(src, key, &v, &vl, err, err_len)) == CW_OK &&
        (rc = cw_val_u64_pair_dec(&count, &amount, v, vl, err, err_len)))
        cw_err_prefix(err, err_len, rc, key);
    free(v);
    if (rc)
        return rc;
    /* ascending pages of the node's index; sequences ≥ next_seq were sent after the height
     * (or are made up) and end the walk; so does having proven all the aggregate counts */
    uint64_t start = 1;
    while (seen < count && start < t->next_seq) {
        size_t n = 0, m = 0;
        if ((rc = cw_chain_commitments_page(&src->c, src->end->port, src->end->channel, start,
                                            AUDIT_PAGE, pg->seq, &n, err, err_len)))
            return cw_err_prefix(err, err_len, rc, src_id);
        while (m < n && pg->seq[m] < t->next_seq)
            m++;
        uint64_t last = n ? pg->seq[n - 1] : 0;
        if (m && (rc = walk_page(src, dst, pg, m, denom, want_kind, &seen, &seen_amount, t, err,
                                 err_len)))
            return rc;
        if (n < AUDIT_PAGE || m < n)
            break;
        start = last + 1;
    }
    if (seen == count && seen_amount == amount)
        return CW_OK;
    if (seen > count || seen_amount > amount)
        return cw_errf(err, err_len, CW_ESTATE,
                       "chain %s, channel %s: %llu outstanding %s packets of %s (amount %llu) "
                       "proven at height %llu, more than its own aggregate %s = [%llu, %llu]: "
                       "the chain's books disagree", src_id, src->end->channel,
                       (unsigned long long)seen, kind, denom, (unsigned long long)seen_amount,
                       (unsigned long long)src->height, key, (unsigned long long)count,
                       (unsigned long long)amount);
    char moved[160] = "";
    cw_rpc_status st;
    if (cw_chain_status(&src->c, &st, NULL, 0) == CW_OK && st.latest_height > src->height)
        snprintf(moved, sizeof moved, ", or they settled after height %llu while the audit "
                 "read (the node's tip is now %llu): re-run at a quiescent point",
                 (unsigned long long)src->height, (unsigned long long)st.latest_height);
    return cw_errf(err, err_len, CW_EBADPROOF,
                   "chain %s, channel %s: %llu outstanding %s packet(s) of %s (amount %llu) "
                   "missing from the node's packet_commitments: the proven aggregate %s at "
                   "height %llu is [%llu, %llu], the node enumerated %llu (amount %llu) of "
                   "them; the node hides commitments%s", src_id, src->end->channel,
                   (unsigned long long)(count - seen), kind, denom,
                   (unsigned long long)(amount - seen_amount), key,
                   (unsigned long long)src->height, (unsigned long long)count,
                   (unsigned long long)amount, (unsigned long long)seen,
                   (unsigned long long)seen_amount, moved);
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
        "  an ICS-23 proof. Only packets still in flight are read one by one: each chain\n"
        "  proves the count and amount of its packets in flight (collateral/pending), and\n"
        "  the commitments the node lists must add up to them (a node hiding one is\n"
        "  caught); settled history costs nothing, whatever the channel's age.\n"
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
    uint64_t escrow = 0, total = 0, inflight = 0;
    walk_tally dep = {0}, rel = {0};
    audit_page *pg = rc == CW_OK ? calloc(1, sizeof *pg) : NULL;
    if (rc == CW_OK && !pg)
        rc = cw_errf(err, sizeof err, -ENOMEM, "out of memory");
    char key[CW_KEY_MAX];
    if (rc == CW_OK && (rc = cw_key_collateral_escrow(key, a.end->channel, denom)) == CW_OK)
        rc = proven_amount(&a, key, false, &escrow, err, sizeof err);
    if (rc == CW_OK && (rc = cw_key_collateral_total(key, b.end->channel, denom)) == CW_OK)
        rc = proven_amount(&b, key, true, &total, err, sizeof err);
    if (rc == CW_OK && (rc = cw_key_collateral_inflight(key, b.end->channel, denom)) == CW_OK)
        rc = proven_amount(&b, key, true, &inflight, err, sizeof err);
    if (rc == CW_OK)
        rc = walk(&a, &b, pg, denom, CW_COLLATERAL_DEPOSIT, id_a, &dep, err, sizeof err);
    if (rc == CW_OK)
        rc = walk(&b, &a, pg, denom, CW_COLLATERAL_RELEASE, id_b, &rel, err, sizeof err);
    if (pg) {
        cw_chain_qreq_free(pg->q, AUDIT_PAGE);
        free(pg);
    }
    uint64_t dep_uncredited = dep.unsettled, rel_paid = rel.unsettled, n_dep = dep.pending,
             n_rel = rel.pending;
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
                " s:I, s:I, s:I, s:I, s:I, s:b}",
                "chain_a", id_a, "height_a", (json_int_t)a.height, "time_a", tma, "time_a_ns",
                (json_int_t)a.time_ns, "chain_b", id_b, "height_b", (json_int_t)b.height,
                "time_b", tmb, "time_b_ns", (json_int_t)b.time_ns, "checked_at", tnow,
                "max_age_ms", (json_int_t)(max_age / MS_NS), "max_skew_ms",
                (json_int_t)(max_skew / MS_NS), "denom", denom, "escrow", (json_int_t)escrow,
                "total", (json_int_t)total, "inflight", (json_int_t)inflight,
                "deposits_not_credited", (json_int_t)dep_uncredited,
                "releases_paid_not_acked", (json_int_t)rel_paid, "deposit_packets_pending",
                (json_int_t)n_dep, "release_packets_pending", (json_int_t)n_rel,
                "packets_sent_a", (json_int_t)(dep.next_seq ? dep.next_seq - 1 : 0),
                "packets_sent_b", (json_int_t)(rel.next_seq ? rel.next_seq - 1 : 0), "holds",
                holds);
            cw_cli_print_json(o, "{}");
        } else {
            printf("audit of %s, path %s (%s %s <-> %s %s), every figure proven against a "
                   "header verified from the trust roots by this command's light client\n",
                   denom, path->name, id_a, a.end->channel, id_b, b.end->channel);
            printf("  as of: %s height %llu, header time %s (%s old); %s height %llu, header "
                   "time %s (%s old); local clock %s\n", id_a, (unsigned long long)a.height,
                   tma, age_a, id_b, (unsigned long long)b.height, tmb, age_b, tnow);
            printf("  %s at height %llu: escrow %llu; of %llu packets sent, %llu deposit "
                   "packets pending, %llu not yet credited on %s\n", id_a,
                   (unsigned long long)a.height, (unsigned long long)escrow,
                   (unsigned long long)(dep.next_seq ? dep.next_seq - 1 : 0),
                   (unsigned long long)n_dep, (unsigned long long)dep_uncredited, id_b);
            printf("  %s at height %llu: positions total %llu, releases in flight %llu (of "
                   "%llu packets sent, %llu pending, %llu already paid on %s)\n", id_b,
                   (unsigned long long)b.height, (unsigned long long)total,
                   (unsigned long long)inflight,
                   (unsigned long long)(rel.next_seq ? rel.next_seq - 1 : 0),
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
