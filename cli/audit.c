/* causeway audit — cross-chain solvency of every path of a relayer config, proven, as of now
 * (DESIGN §8 "Audit").
 *
 * Every figure is read with an ICS-23 proof at a stated height and checked against the
 * state root of a header that this command's own light client verified from the trust
 * roots (the relayer config's chains[].trust_root, or --trust-a/--trust-b for one path): the
 * RPC nodes are never trusted. Each chain is opened once and every figure on it is proven at
 * its one verified tip. Per denom of each path, exact (README "departs from DESIGN"):
 *
 *   escrow(src) + returns paid on src but not yet acknowledged on dst
 *     = outstanding(dst) + returns in flight(dst) + sends not yet credited on dst
 *
 * collateral path: src the collateral's home chain, dst the lending chain; a row for each
 *   collateral the lending chain registered on its channel (market/collaterals, proven);
 *   escrow = collateral/escrow, outstanding = positions total, returns = releases (in flight:
 *   collateral/inflight).
 * ICS-20 path: a row for each denom one end sent and the other received (the receiver's
 *   proven denom traces "transfer/{its channel}/{path}"); escrow = the channel's escrow
 *   account's balance on src, outstanding = the voucher's bank supply on dst, returns = the
 *   vouchers sent back (burned on dst; in flight: dst's proven transfer/pending aggregate).
 *
 * The two packet terms come from the packets whose commitment is still outstanding on their
 * source: for each, the commitment proven on the source and the receipt and ack on the
 * destination. Settled packets (commitment deleted) are not read one by one: the source
 * proves the count and amount of its outstanding packets (collateral/pending,
 * transfer/pending: keys.h), the node enumerates them (packet_commitments, in pages) and the
 * audit checks that what it proved adds up to that aggregate, so a node that hides one is
 * caught. Time and memory grow with the packets in flight, not with the channel's age
 * (memory: one page, AUDIT_PAGE). With nothing in flight it reduces to escrow = outstanding.
 *
 * Freshness: a verified header proves a state as of that header's time, not as of now, and
 * the node picks which header it calls its tip. So each chain's header time must be within
 * --max-age of the local clock (a node serving an old tip could otherwise get an old,
 * balanced state certified) and no more than the light client's clock drift ahead of it, and
 * the two chains of a path within --max-skew of each other (two states read at unrelated
 * moments are not one system's books). The figures are printed with the heights and header
 * times they were proven at. Activity between the reads can still make a consistent system
 * look unbalanced: audit at a quiescent point, or re-run.
 *
 * Exit 0 every equation holds; 1 one does not (named), or a proof/header failed, or a
 * header is stale, from the future, or too far from the other chain's; 2 usage. */
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
#include "causeway/ics20.h"
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

/* One chain, opened once per run: its client and light client, and the verified tip every
 * figure read on it is proven at. */
typedef struct chain_view {
    cw_chain_client c;
    const char *id;
    bool used;     /* a path audited touches it */
    bool open;     /* the client is initialised (free it) */
    int rc;        /* opening, verifying or freshness failed: err says why */
    char err[512];
    uint64_t height;
    uint64_t time_ns; /* the verified header's */
} chain_view;

/* One end of a path as read: its chain's view and the end's port and channel. */
typedef struct side {
    chain_view *v;
    const audit_end *end;
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
    int rc = cw_chain_query(&s->v->c, key, s->v->height, true, val, len, &proof, &plen, &at, err,
                            err_len);
    free(proof);
    if (rc == CW_OK && at != s->v->height)
        rc = cw_errf(err, err_len, CW_EBADPROOF, "answered at height %llu, asked %llu",
                     (unsigned long long)at, (unsigned long long)s->v->height);
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
    uint8_t ok_ack_hash[32];       /* the hash of an ack already decoded as ok (this walk) */
    bool have_ok_ack;
} audit_page;

/* Which packets a walk counts, and what its unsettled term is. */
typedef struct walk_spec {
    const char *kind;           /* for messages: deposit, release, transfer, return */
    bool ics20;                 /* ICS-20 packet data and acks (else the collateral app's) */
    cw_collateral_kind ckind;   /* collateral: the kind counted */
    const char *match;          /* collateral: the base denom; ICS-20: the full denom path */
    char agg_key[CW_KEY_MAX];   /* the source's proven [count, Σ amount] of those in flight */
    bool paid_when_ok;          /* the term counts the packets received with an ok ack
                                 * (releases, returns: already paid at the destination);
                                 * else those not (deposits, transfers: not yet credited) */
} walk_spec;

/* What a walk of one direction found. */
typedef struct walk_tally {
    uint64_t next_seq;   /* proven nextSequenceSend: the channel sent next_seq - 1 packets */
    uint64_t pending;    /* proven outstanding packets of the kind and denom (the aggregate) */
    uint64_t pending_amount; /* their amount (the aggregate's) */
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
    int rc = n ? cw_chain_query_many(&s->v->c, pg->q, n, s->v->height, err, err_len) : CW_OK;
    for (size_t i = 0; rc == CW_OK && i < n; i++)
        if (pg->q[i].rc)
            rc = cw_errf(err, err_len, pg->q[i].rc, "%s: %s", pg->q[i].key,
                         cw_strerror(pg->q[i].rc));
        else if (pg->q[i].at != s->v->height)
            rc = cw_errf(err, err_len, CW_EBADPROOF, "%s: answered at height %llu, asked %llu",
                         pg->q[i].key, (unsigned long long)pg->q[i].at,
                         (unsigned long long)s->v->height);
    return rc;
}

/* Is the ack (port/channel of dst, seq), whose hash h32 dst proved, an ok ack? The bytes come
 * from the node's index and must hash to h32; an ack hashing like one already decoded as ok
 * is that ack (SHA-256), so a channel's identical ok acks are fetched once. */
static int ack_ok(side *dst, audit_page *pg, const walk_spec *ws, uint64_t seq,
                  const uint8_t *h32, size_t hl, bool *ok, char *err, size_t err_len)
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
    int rc = cw_chain_packet_bytes(&dst->v->c, "ack", dst->end->port, dst->end->channel, seq,
                                   &buf, &blen, err, err_len);
    if (rc == CW_OK && blen > CW_ACK_MAX)
        rc = cw_errf(err, err_len, CW_ETOOBIG, "ack %llu: %zu bytes exceed %u",
                     (unsigned long long)seq, blen, (unsigned)CW_ACK_MAX);
    if (rc == CW_OK) {
        cw_sha256(h, buf, blen);
        if (memcmp(h, h32, 32) != 0)
            rc = cw_errf(err, err_len, CW_EBADPROOF,
                         "ack %llu served by the node does not match its proven hash",
                         (unsigned long long)seq);
        else if ((rc = ws->ics20 ? cw_ics20_ack_decode(ok, &payload, buf, blen, err, err_len)
                                 : cw_ack_decode(ok, &payload, buf, blen, err, err_len)) ==
                     CW_OK && *ok) {
            memcpy(pg->ok_ack_hash, h, 32);
            pg->have_ok_ack = true;
        }
    }
    free(buf);
    return rc;
}

/* Is packet data (proven through its commitment) one the walk counts? *amount: its amount. */
static int packet_counts(const walk_spec *ws, const cw_bytes *data, bool *counts,
                         uint64_t *amount, char *err, size_t err_len)
{
    *counts = false;
    *amount = 0;
    if (ws->ics20) {
        static cw_ics20_packet d; /* 5 KB; the CLI is single-threaded */
        int rc = cw_ics20_packet_decode(&d, data->p, data->len, err, err_len);
        if (rc || strcmp(d.denom, ws->match) != 0)
            return rc;
        *counts = true;
        return cw_ics20_amount_parse(amount, d.amount, err, err_len);
    }
    cw_collateral_packet cp;
    int rc = cw_collateral_packet_decode(&cp, data->p, data->len, err, err_len);
    if (rc == CW_OK && cp.kind == ws->ckind && strcmp(cp.denom, ws->match) == 0) {
        *counts = true;
        *amount = cp.amount;
    }
    return rc;
}

/* One page of the node's enumeration, seqs pg->seq[0..n) (each < next_seq): prove each
 * commitment on src; of the packets proven outstanding, those the spec counts are counted
 * into *seen / *seen_amount, and their delivery on dst proven (receipt, ack) for the
 * equation's term. */
static int walk_page(side *src, side *dst, audit_page *pg, size_t n, const walk_spec *ws,
                     uint64_t *seen, uint64_t *seen_amount, walk_tally *t, char *err,
                     size_t err_len)
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
    if ((rc = cw_chain_packets(&src->v->c, src->end->port, src->end->channel, pg->present, np,
                               pg->pkt, pg->plen, err, err_len)))
        return rc;
    size_t nm = 0;
    for (size_t i = 0; rc == CW_OK && i < np; i++) {
        cw_packet pk;
        uint8_t want[32];
        uint64_t seq = pg->present[i], amount;
        bool counts;
        if (!pg->pkt[i])
            rc = cw_errf(err, err_len, CW_ENOTFOUND, "packet %llu: committed at height %llu "
                         "but the node serves no packet", (unsigned long long)seq,
                         (unsigned long long)src->v->height);
        else if ((rc = cw_packet_decode(&pk, pg->pkt[i], pg->plen[i], err, err_len)))
            cw_err_prefix(err, err_len, rc, "packet served by the node");
        else if (cw_packet_commitment(want, &pk), memcmp(want, pg->commit[i], 32) != 0 ||
                 pk.sequence != seq)
            rc = cw_errf(err, err_len, CW_EBADPROOF, "packet %llu served by the node does not "
                         "match its proven commitment", (unsigned long long)seq);
        else if ((rc = packet_counts(ws, &pk.data, &counts, &amount, err, err_len)))
            cw_err_prefix(err, err_len, rc, "packet data");
        else if (counts) {
            if (cw_add_u64(seen_amount, *seen_amount, amount))
                rc = cw_errf(err, err_len, CW_EOVERFLOW, "outstanding amounts overflow u64");
            (*seen)++;
            pg->seq[nm] = seq;
            pg->amount[nm++] = amount;
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
            if ((rc = ack_ok(dst, pg, ws, pg->seq[i], a->val, a->val_len, &ok, err, err_len)))
                return rc;
        }
        /* not credited: at the source's books, not (yet) at the destination's unless received
         * with an ok ack; paid: already in the destination's books when received ok */
        if ((ws->paid_when_ok ? ok : !ok) &&
            cw_add_u64(&t->unsettled, t->unsettled, pg->amount[i]))
            rc = cw_errf(err, err_len, CW_EOVERFLOW, "unsettled amounts overflow u64");
    }
    return rc;
}

/* One direction, src → dst, the packets the spec counts. Settled history is read through
 * the source's proven aggregate ws->agg_key = [count, Σ amount] of the packets whose
 * commitment is outstanding (collateral/pending, transfer/pending: causeway/keys.h); only
 * those are walked one by one: the node enumerates the outstanding sequences
 * (packet_commitments, paged), every commitment is proven, and what was proven must add up to
 * the aggregate — a node that leaves one out is caught. Memory: one audit_page, whatever the
 * channel's age. */
static int walk(side *src, side *dst, audit_page *pg, const walk_spec *ws, walk_tally *t,
                char *err, size_t err_len)
{
    char path[CW_PATH_MAX];
    const char *src_id = src->v->id, *key = ws->agg_key;
    uint8_t *v = NULL;
    size_t vl = 0;
    uint64_t count, amount, seen = 0, seen_amount = 0;
    memset(t, 0, sizeof *t);
    pg->have_ok_ack = false; /* a cached ok ack is one of this channel's app */
    cw_path_next_seq(path, CW_PATH_NEXT_SEQ_SEND, src->end->port, src->end->channel);
    int rc = proven_amount(src, path, false, &t->next_seq, err, err_len);
    if (rc == CW_OK && (rc = proven(src, key, &v, &vl, err, err_len)) == CW_OK &&
        (rc = cw_val_u64_pair_dec(&count, &amount, v, vl, err, err_len)))
        cw_err_prefix(err, err_len, rc, key);
    free(v);
    if (rc)
        return rc;
    t->pending_amount = amount;
    /* ascending pages of the node's index; sequences ≥ next_seq were sent after the height
     * (or are made up) and end the walk; so does having proven all the aggregate counts */
    uint64_t start = 1;
    while (seen < count && start < t->next_seq) {
        size_t n = 0, m = 0;
        if ((rc = cw_chain_commitments_page(&src->v->c, src->end->port, src->end->channel,
                                            start, AUDIT_PAGE, pg->seq, &n, err, err_len)))
            return cw_err_prefix(err, err_len, rc, src_id);
        while (m < n && pg->seq[m] < t->next_seq)
            m++;
        uint64_t last = n ? pg->seq[n - 1] : 0;
        if (m && (rc = walk_page(src, dst, pg, m, ws, &seen, &seen_amount, t, err, err_len)))
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
                       (unsigned long long)seen, ws->kind, ws->match,
                       (unsigned long long)seen_amount, (unsigned long long)src->v->height, key,
                       (unsigned long long)count, (unsigned long long)amount);
    char moved[160] = "";
    cw_rpc_status st;
    if (cw_chain_status(&src->v->c, &st, NULL, 0) == CW_OK && st.latest_height > src->v->height)
        snprintf(moved, sizeof moved, ", or they settled after height %llu while the audit "
                 "read (the node's tip is now %llu): re-run at a quiescent point",
                 (unsigned long long)src->v->height, (unsigned long long)st.latest_height);
    return cw_errf(err, err_len, CW_EBADPROOF,
                   "chain %s, channel %s: %llu outstanding %s packet(s) of %s (amount %llu) "
                   "missing from the node's packet_commitments: the proven aggregate %s at "
                   "height %llu is [%llu, %llu], the node enumerated %llu (amount %llu) of "
                   "them; the node hides commitments%s", src_id, src->end->channel,
                   (unsigned long long)(count - seen), ws->kind, ws->match,
                   (unsigned long long)(amount - seen_amount), key,
                   (unsigned long long)src->v->height, (unsigned long long)count,
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
static int check_fresh(const chain_view *s, const char *id, uint64_t now, uint64_t max_age,
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
static int check_skew(const chain_view *a, const char *ida, const chain_view *b, const char *idb,
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

/* ---- one denom of one path: the equation ---------------------------------------------- */

/* One audited denom of one path. src is the end whose chain holds the escrow (collateral:
 * the home chain; ICS-20: the chain the token is native to, or came to by another channel),
 * dst the other: the lending chain's positions, or the vouchers.
 *   escrow(src) + paid_back = outstanding(dst) + in_flight(dst) + not_credited
 * paid_back: releases/returns sent by dst, already paid on src, not yet acknowledged on dst;
 * in_flight: releases/returns debited on dst, not settled (collateral/inflight; for ICS-20
 * the proven aggregate of dst's returns in flight); not_credited: deposits/transfers
 * escrowed on src, not (yet) credited on dst. */
typedef struct audit_row {
    const audit_path *path;
    bool ics20;
    int src;                           /* the escrow's end of the path (0 a, 1 b) */
    char denom[CW_ICS20_DENOM_MAX + 1]; /* collateral: base denom; ICS-20: the path src sends */
    char local[CW_ICS20_DENOM_MAX + 1]; /* the bank denom escrowed on src */
    char remote[CW_TRACE_DENOM_LEN + 1]; /* dst's trace denom (positions) or voucher */
    uint64_t escrow, outstanding, in_flight;
    walk_tally out, back;
    cw_u128 lhs, rhs;
    bool holds;
    int rc;
    char err[512];
} audit_row;

/* The per-channel escrow's balance on src: the collateral app's escrow record, or the ICS-20
 * escrow account's bank balance (ibc-go GetEscrowAddress). */
static int row_escrow(side *src, audit_row *r, char *err, size_t err_len)
{
    char key[CW_KEY_MAX];
    int rc;
    if (r->ics20) {
        cw_address esc;
        cw_ics20_escrow_address(&esc, src->end->port, src->end->channel);
        rc = cw_key_bank_balance(key, &esc, r->local);
    } else {
        rc = cw_key_collateral_escrow(key, src->end->channel, r->denom);
    }
    if (rc)
        return cw_errf(err, err_len, rc, "denom %s: no escrow key", r->local);
    return proven_amount(src, key, false, &r->escrow, err, err_len);
}

/* Prove every figure of row r (its denom and ends set) and evaluate the equation. */
static int audit_row_run(side *ends, audit_page *pg, audit_row *r, char *err, size_t err_len)
{
    side *src = &ends[r->src], *dst = &ends[1 - r->src];
    walk_spec out = {0}, back = {0};
    char key[CW_KEY_MAX], back_path[CW_ICS20_DENOM_MAX + 1];
    int rc;
    out.ics20 = back.ics20 = r->ics20;
    back.paid_when_ok = true;
    if (r->ics20) {
        /* src sends the path r->denom; dst returns its voucher's path, prefixed by its end */
        int n = snprintf(back_path, sizeof back_path, "%s/%s/%s", dst->end->port,
                         dst->end->channel, r->denom);
        if (n < 0 || (size_t)n >= sizeof back_path)
            return cw_errf(err, err_len, CW_EINVAL, "denom path %s/%s/%s: too long",
                           dst->end->port, dst->end->channel, r->denom);
        cw_ics20_ibc_denom(r->remote, back_path);
        out.kind = "transfer";
        back.kind = "return";
        out.match = r->denom;
        back.match = back_path;
        if ((rc = cw_key_ics20_pending(out.agg_key, src->end->channel, out.match)) ||
            (rc = cw_key_ics20_pending(back.agg_key, dst->end->channel, back.match)) ||
            (rc = cw_key_bank_supply(key, r->remote)))
            return cw_errf(err, err_len, rc, "denom %s: no key", r->denom);
        if ((rc = row_escrow(src, r, err, err_len)) ||
            (rc = proven_amount(dst, key, false, &r->outstanding, err, err_len)))
            return rc;
    } else {
        snprintf(r->local, sizeof r->local, "%s", r->denom);
        if ((rc = cw_trace_denom(r->remote, dst->end->channel, r->denom)))
            return cw_errf(err, err_len, rc, "denom %s: not an identifier", r->denom);
        out.kind = "deposit";
        back.kind = "release";
        out.ckind = CW_COLLATERAL_DEPOSIT;
        back.ckind = CW_COLLATERAL_RELEASE;
        out.match = back.match = r->denom;
        if ((rc = cw_key_collateral_pending(out.agg_key, src->end->channel, false, r->denom)) ||
            (rc = cw_key_collateral_pending(back.agg_key, dst->end->channel, true, r->denom)))
            return cw_errf(err, err_len, rc, "denom %s: no key", r->denom);
        if ((rc = row_escrow(src, r, err, err_len)))
            return rc;
        if ((rc = cw_key_collateral_total(key, dst->end->channel, r->denom)) == CW_OK)
            rc = proven_amount(dst, key, true, &r->outstanding, err, err_len);
        if (rc == CW_OK &&
            (rc = cw_key_collateral_inflight(key, dst->end->channel, r->denom)) == CW_OK)
            rc = proven_amount(dst, key, true, &r->in_flight, err, err_len);
        if (rc)
            return rc;
    }
    if ((rc = walk(src, dst, pg, &out, &r->out, err, err_len)) ||
        (rc = walk(dst, src, pg, &back, &r->back, err, err_len)))
        return rc;
    if (r->ics20)
        r->in_flight = r->back.pending_amount;
    r->lhs = (cw_u128)r->escrow + r->back.unsettled;
    r->rhs = (cw_u128)r->outstanding + r->in_flight + r->out.unsettled;
    r->holds = r->lhs == r->rhs;
    return CW_OK;
}

/* ---- which denoms a path has ------------------------------------------------------------ */

/* The most (path, denom) rows of one run (more: refused, naming the path). */
#define AUDIT_MAX_ROWS 64
/* The most denom traces read per chain (transfer/traceCount above it: refused, named). */
#define AUDIT_MAX_TRACES 1024

typedef struct audit_run {
    audit_row rows[AUDIT_MAX_ROWS];
    int n_rows;
} audit_run;

static audit_row *row_add(audit_run *run, const audit_path *p, bool ics20, int src,
                          const char *denom, char *err, size_t err_len)
{
    if (run->n_rows == AUDIT_MAX_ROWS) {
        cw_errf(err, err_len, CW_ETOOBIG, "path %s: more than %d denoms to audit in all",
                p->name, AUDIT_MAX_ROWS);
        return NULL;
    }
    audit_row *r = &run->rows[run->n_rows++];
    memset(r, 0, sizeof *r);
    r->path = p;
    r->ics20 = ics20;
    r->src = src;
    snprintf(r->denom, sizeof r->denom, "%s", denom);
    return r;
}

/* The collaterals the lending chain (end `lend` of a collateral path) registered on its
 * channel, proven: market/collaterals, then each one's record (its channel and base denom;
 * its key must be the trace denom of those). Adds a row per collateral, src the other end. */
static int collateral_rows(audit_run *run, const audit_path *p, side *ends, int lend,
                           const char *only, char *err, size_t err_len)
{
    static char traces[CW_LEND_MAX_COLLATERALS][CW_TRACE_DENOM_LEN + 1];
    side *b = &ends[lend];
    uint8_t *v = NULL;
    size_t vl = 0, n = 0;
    int rc = proven(b, CW_KEY_LEND_COLLATERALS, &v, &vl, err, err_len);
    if (rc == CW_OK && (rc = cw_val_trace_list_dec(traces, CW_LEND_MAX_COLLATERALS, &n, v, vl,
                                                   err, err_len)))
        cw_err_prefix(err, err_len, rc, CW_KEY_LEND_COLLATERALS);
    free(v);
    for (size_t i = 0; rc == CW_OK && i < n; i++) {
        char key[CW_KEY_MAX], want[CW_TRACE_DENOM_LEN + 1];
        cw_val_collateral c;
        if ((rc = cw_key_lend_collateral(key, traces[i])) ||
            (rc = proven(b, key, &v, &vl, err, err_len)))
            break;
        rc = cw_val_collateral_dec(&c, v, vl, err, err_len);
        free(v);
        if (rc == CW_OK && (cw_trace_denom(want, c.channel, c.base_denom) ||
                            strcmp(want, traces[i]) != 0))
            rc = cw_errf(err, err_len, CW_EBADPROOF, "(channel %s, denom %s) is not %s",
                         c.channel, c.base_denom, traces[i]);
        if (rc) {
            cw_err_prefix(err, err_len, rc, key);
            break;
        }
        if (strcmp(c.channel, b->end->channel) != 0 || (only && strcmp(only, c.base_denom)))
            continue;
        if (!row_add(run, p, false, 1 - lend, c.base_denom, err, err_len))
            rc = CW_ETOOBIG;
    }
    return rc;
}

/* The ICS-20 denoms that went from end src to end 1-src of a transfer path, as the receiving
 * end's proven denom traces say: every trace "{port}/{channel}/{rest}" of its own end is a
 * token src sent as "rest" (its escrow on src, the voucher there). A denom is audited from
 * its first receipt on (before, the other side holds no trace of it). */
static int transfer_rows(audit_run *run, const audit_path *p, side *ends, int src,
                         const char *only, char *err, size_t err_len)
{
    side *d = &ends[1 - src];
    uint64_t count = 0;
    char prefix[2 * CW_ID_MAX + 3];
    snprintf(prefix, sizeof prefix, "%s/%s/", d->end->port, d->end->channel);
    int rc = proven_amount(d, CW_KEY_ICS20_TRACE_COUNT, false, &count, err, err_len);
    if (rc == CW_OK && count > AUDIT_MAX_TRACES)
        rc = cw_errf(err, err_len, CW_ETOOBIG, "chain %s: %llu denom traces, more than the "
                     "audit reads (%u)", d->v->id, (unsigned long long)count, AUDIT_MAX_TRACES);
    for (uint64_t i = 0; rc == CW_OK && i < count; i++) {
        char key[CW_KEY_MAX], voucher[CW_TRACE_DENOM_LEN + 1];
        static char full[CW_ICS20_DENOM_MAX + 1];
        uint8_t *v = NULL;
        size_t vl = 0;
        cw_key_ics20_trace_index(key, i);
        if ((rc = proven(d, key, &v, &vl, err, err_len)))
            break;
        if (!v || vl != CW_TRACE_DENOM_LEN || !cw_trace_denom_valid((const char *)v, vl))
            rc = cw_errf(err, err_len, CW_EMALFORMED, "%s: not a voucher name", key);
        else {
            memcpy(voucher, v, vl);
            voucher[vl] = '\0';
        }
        free(v);
        if (rc || (rc = cw_key_ics20_denom_trace(key, voucher)) ||
            (rc = proven(d, key, &v, &vl, err, err_len)))
            break;
        rc = cw_val_denom_trace_dec(full, voucher, v, vl, err, err_len);
        free(v);
        if (rc)
            break;
        size_t pl = strlen(prefix);
        if (strncmp(full, prefix, pl) != 0 || (only && strcmp(only, full + pl)))
            continue;
        audit_row *r = row_add(run, p, true, src, full + pl, err, err_len);
        if (!r) {
            rc = CW_ETOOBIG;
            break;
        }
        /* what src escrows: its native denom, or its own voucher for a path with a trace */
        if (cw_ics20_path_has_trace(r->denom))
            cw_ics20_ibc_denom(r->local, r->denom);
        else if (cw_bank_denom_valid(r->denom))
            snprintf(r->local, sizeof r->local, "%s", r->denom);
        else
            rc = cw_errf(err, err_len, CW_EMALFORMED, "trace %s: %s is not a denom here",
                         full, r->denom);
    }
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: causeway audit --config RELAYER_JSON [--path NAME] [--denom DENOM]\n"
        "                      [--trust-a HEIGHT:HASH] [--trust-b HEIGHT:HASH]\n"
        "                      [--max-age DURATION] [--max-skew DURATION] [--json]\n"
        "What it proves: for every path of the config (or --path), per denom,\n"
        "    escrow(src) + returns paid on src, not yet acknowledged on dst\n"
        "      = outstanding(dst) + returns in flight(dst) + sends not yet credited on dst\n"
        "  collateral paths: each collateral the lending chain registered on the path's\n"
        "    channel; src its home chain (escrow), dst the lending chain (positions total,\n"
        "    releases in flight);\n"
        "  ICS-20 transfer paths: each denom one end sent and the other received (its\n"
        "    denom traces); escrow = the channel's escrow account on src, outstanding = the\n"
        "    voucher's supply on dst, returns = vouchers sent back.\n"
        "  Every figure and every packet commitment, receipt and ack behind the two packet\n"
        "  terms is read with an ICS-23 proof. Only packets still in flight are read one by\n"
        "  one: each chain proves the count and amount of its packets in flight\n"
        "  (collateral/pending, transfer/pending), and the commitments the node lists must\n"
        "  add up to them (a node hiding one is caught); settled history costs nothing,\n"
        "  whatever the channel's age. One report lists every path and denom; exit 1 names\n"
        "  each that does not hold.\n"
        "  --denom DENOM on a collateral path (the first, or --path): that one denom, in the\n"
        "  single-path report (and --trust-a/--trust-b may give its two ends' trust roots);\n"
        "  on a transfer path: only that denom path.\n"
        "Against what trust: the proofs are checked against the state roots of headers this\n"
        "  command's own light client verified from the trust roots (the config's\n"
        "  chains[].trust_root, or --trust-a/--trust-b with --denom): each header signed by\n"
        "  more than 2/3 of its validators' power and reached from the root adjacently or\n"
        "  by skipping with more than 1/3 of a trusted set's power, within the trusting\n"
        "  period (14 days).\n"
        "  Neither RPC node is trusted for any figure; which height is the tip, only to\n"
        "  within --max-age.\n"
        "As of when: each chain's latest verified header, whose height and header time are\n"
        "  printed with the figures. Refused (exit 1, naming both times) when a header's\n"
        "  time is more than --max-age behind the local clock (default 30s: a node serving\n"
        "  an old tip, or a stopped chain) or more than the light client's clock drift (10s)\n"
        "  ahead of it, or when a path's two header times are more than --max-skew apart\n"
        "  (default 10s). DURATION: a whole number with ms, s, m or h (500ms, 30s, 2m).\n"
        "  The chains are still read one after the other: activity between the reads\n"
        "  can make a consistent system look unbalanced; audit at a quiescent point.\n"
        "Exit 0 balanced; 1 a denom not balanced, a proof or header failed, or a header is\n"
        "  stale, ahead of the clock or too far from the other; 2 usage.\n");
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

/* Open chain ix's client and light client from the trust root (root_flag "HEIGHT:HASH", else
 * the config's) and verify its tip: v->height, v->time_ns. */
static int open_view(chain_view *v, const audit_config *cfg, int ix, const char *root_flag,
                     char *err, size_t err_len)
{
    const cw_chain_cfg *cc = &cfg->chains[ix];
    const cw_light_block *lb;
    uint64_t h;
    uint8_t hash[32];
    v->id = cc->id;
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
    if ((rc = cw_chain_client_init(&v->c, cc, ix, (uint32_t)cfg->rpc_timeout_ms, false, err,
                                   err_len)))
        return rc;
    v->open = true;
    if ((rc = cw_chain_ensure(&v->c, err, err_len)) ||
        (rc = cw_chain_lc_seed(&v->c, h, hash, err, err_len)) ||
        (rc = cw_chain_status(&v->c, NULL, err, err_len)))
        return cw_err_prefix(err, err_len, rc, cc->id);
    v->height = v->c.height;
    if ((rc = cw_chain_lc_verified(&v->c, v->height, &lb, err, err_len)))
        return cw_err_prefix(err, err_len, rc, cc->id);
    v->time_ns = lb->signed_header.header.time_ns;
    return CW_OK;
}

static void print_legacy(const audit_row *r, const side *ends, uint64_t now, uint64_t max_age,
                         uint64_t max_skew, bool json)
{
    const chain_view *a = ends[0].v, *b = ends[1].v;
    char tma[32], tmb[32], tnow[32], age_a[32], age_b[32];
    uint64_t sent_a = r->out.next_seq ? r->out.next_seq - 1 : 0;
    uint64_t sent_b = r->back.next_seq ? r->back.next_seq - 1 : 0;
    fmt_time(tma, a->time_ns);
    fmt_time(tmb, b->time_ns);
    fmt_time(tnow, now);
    fmt_dur(age_a, now > a->time_ns ? now - a->time_ns : 0);
    fmt_dur(age_b, now > b->time_ns ? now - b->time_ns : 0);
    if (json) {
        json_t *o = json_pack(
            "{s:s, s:I, s:s, s:I, s:s, s:I, s:s, s:I, s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:I,"
            " s:I, s:I, s:I, s:I, s:I, s:b}",
            "chain_a", a->id, "height_a", (json_int_t)a->height, "time_a", tma, "time_a_ns",
            (json_int_t)a->time_ns, "chain_b", b->id, "height_b", (json_int_t)b->height,
            "time_b", tmb, "time_b_ns", (json_int_t)b->time_ns, "checked_at", tnow,
            "max_age_ms", (json_int_t)(max_age / MS_NS), "max_skew_ms",
            (json_int_t)(max_skew / MS_NS), "denom", r->denom, "escrow", (json_int_t)r->escrow,
            "total", (json_int_t)r->outstanding, "inflight", (json_int_t)r->in_flight,
            "deposits_not_credited", (json_int_t)r->out.unsettled,
            "releases_paid_not_acked", (json_int_t)r->back.unsettled, "deposit_packets_pending",
            (json_int_t)r->out.pending, "release_packets_pending", (json_int_t)r->back.pending,
            "packets_sent_a", (json_int_t)sent_a, "packets_sent_b", (json_int_t)sent_b, "holds",
            r->holds);
        cw_cli_print_json(o, "{}");
        return;
    }
    printf("audit of %s, path %s (%s %s <-> %s %s), every figure proven against a header "
           "verified from the trust roots by this command's light client\n", r->denom,
           r->path->name, a->id, ends[0].end->channel, b->id, ends[1].end->channel);
    printf("  as of: %s height %llu, header time %s (%s old); %s height %llu, header time %s "
           "(%s old); local clock %s\n", a->id, (unsigned long long)a->height, tma, age_a,
           b->id, (unsigned long long)b->height, tmb, age_b, tnow);
    printf("  %s at height %llu: escrow %llu; of %llu packets sent, %llu deposit packets "
           "pending, %llu not yet credited on %s\n", a->id, (unsigned long long)a->height,
           (unsigned long long)r->escrow, (unsigned long long)sent_a,
           (unsigned long long)r->out.pending, (unsigned long long)r->out.unsettled, b->id);
    printf("  %s at height %llu: positions total %llu, releases in flight %llu (of %llu "
           "packets sent, %llu pending, %llu already paid on %s)\n", b->id,
           (unsigned long long)b->height, (unsigned long long)r->outstanding,
           (unsigned long long)r->in_flight, (unsigned long long)sent_b,
           (unsigned long long)r->back.pending, (unsigned long long)r->back.unsettled, a->id);
    printf("  escrow + paid-not-acked = %llu, total + in flight + not-credited = %llu: %s\n",
           (unsigned long long)r->lhs, (unsigned long long)r->rhs,
           r->holds ? "BALANCED" : "NOT BALANCED");
}

/* --denom: one collateral denom of one path (the first, or --path), as before the hub. */
static int audit_one(const audit_config *cfg, const audit_path *path, const char *denom,
                     const char *ta, const char *tb, uint64_t max_age, uint64_t max_skew,
                     bool json)
{
    static chain_view va, vb;
    static audit_run run;
    side ends[2] = {{&va, &path->end[0]}, {&vb, &path->end[1]}};
    char err[512];
    int rc = open_view(&va, cfg, path->end[0].chain_ix, ta, err, sizeof err);
    if (rc == CW_OK)
        rc = open_view(&vb, cfg, path->end[1].chain_ix, tb, err, sizeof err);
    /* as of now: both verified tips current, and of one moment (before any figure is read) */
    uint64_t now = cw_chain_now_ns();
    if (rc == CW_OK)
        rc = check_fresh(&va, va.id, now, max_age, err, sizeof err);
    if (rc == CW_OK)
        rc = check_fresh(&vb, vb.id, now, max_age, err, sizeof err);
    if (rc == CW_OK)
        rc = check_skew(&va, va.id, &vb, vb.id, max_skew, err, sizeof err);
    audit_page *pg = rc == CW_OK ? calloc(1, sizeof *pg) : NULL;
    if (rc == CW_OK && !pg)
        rc = cw_errf(err, sizeof err, -ENOMEM, "out of memory");
    audit_row *r = rc == CW_OK ? row_add(&run, path, false, 0, denom, err, sizeof err) : NULL;
    if (r)
        rc = audit_row_run(ends, pg, r, err, sizeof err);
    if (pg) {
        cw_chain_qreq_free(pg->q, AUDIT_PAGE);
        free(pg);
    }
    int status = 1;
    if (rc)
        fprintf(stderr, "causeway audit: %s\n", err);
    else {
        print_legacy(r, ends, now, max_age, max_skew, json);
        status = r->holds ? 0 : 1;
    }
    if (va.open)
        cw_chain_client_free(&va.c);
    if (vb.open)
        cw_chain_client_free(&vb.c);
    return status;
}

static bool is_ics20_path(const audit_path *p)
{
    return strcmp(p->end[0].port, CW_ICS20_PORT) == 0 &&
           strcmp(p->end[1].port, CW_ICS20_PORT) == 0;
}

static bool is_collateral_path(const audit_path *p)
{
    return strcmp(p->end[0].port, CW_TRACE_PORT) == 0 &&
           strcmp(p->end[1].port, CW_TRACE_PORT) == 0;
}

/* Per path: its error (a chain it touches could not be read, or listing its denoms failed),
 * "" when its rows say everything. */
typedef struct path_note {
    int rc;
    char err[512];
    bool selected; /* every path, or the one --path names */
    bool audited;  /* a collateral or ICS-20 path with both channels */
} path_note;

static const char *row_src_id(const audit_row *r, const chain_view *views)
{
    return views[r->path->end[r->src].chain_ix].id;
}

static const char *row_dst_id(const audit_row *r, const chain_view *views)
{
    return views[r->path->end[1 - r->src].chain_ix].id;
}

static void print_all(const audit_config *cfg, const chain_view *views, const path_note *notes,
                      const audit_run *run, const char *file, const char *path_name,
                      uint64_t now, uint64_t max_age, uint64_t max_skew, bool holds, bool json)
{
    char t[32], age[32];
    if (json) {
        json_t *chains = json_array(), *paths = json_array(), *bad = json_array();
        for (int k = 0; k < cfg->n_chains; k++) {
            const chain_view *v = &views[k];
            if (!v->used)
                continue;
            json_t *c = json_pack("{s:s}", "chain", v->id);
            if (v->rc)
                json_object_set_new(c, "error", json_string(v->err));
            else {
                json_object_set_new(c, "height", json_integer((json_int_t)v->height));
                json_object_set_new(c, "time", json_string(fmt_time(t, v->time_ns)));
                json_object_set_new(c, "time_ns", json_integer((json_int_t)v->time_ns));
            }
            json_array_append_new(chains, c);
        }
        for (int i = 0; i < cfg->n_paths; i++) {
            const audit_path *p = &cfg->paths[i];
            if (!notes[i].selected)
                continue;
            json_t *denoms = json_array();
            bool ok = notes[i].rc == CW_OK;
            for (int k = 0; k < run->n_rows; k++) {
                const audit_row *r = &run->rows[k];
                if (r->path != p)
                    continue;
                json_t *o = json_pack(
                    "{s:s, s:s, s:s, s:s, s:s}", "denom", r->denom, "escrow_denom", r->local,
                    "counterparty_denom", r->remote, "escrow_chain", row_src_id(r, views),
                    "counterparty_chain", row_dst_id(r, views));
                if (r->rc) {
                    json_object_set_new(o, "error", json_string(r->err));
                } else {
                    json_t *f = json_pack(
                        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "escrow",
                        (json_int_t)r->escrow, "outstanding", (json_int_t)r->outstanding,
                        "in_flight", (json_int_t)r->in_flight, "not_credited",
                        (json_int_t)r->out.unsettled, "paid_not_acked",
                        (json_int_t)r->back.unsettled, "packets_pending_out",
                        (json_int_t)r->out.pending, "packets_pending_back",
                        (json_int_t)r->back.pending, "lhs", (json_int_t)r->lhs, "rhs",
                        (json_int_t)r->rhs);
                    json_object_update(o, f);
                    json_decref(f);
                }
                json_object_set_new(o, "holds", json_boolean(r->holds && !r->rc));
                ok = ok && r->holds && !r->rc;
                json_array_append_new(denoms, o);
                if (!r->holds || r->rc) {
                    char name[CW_ID_MAX + CW_ICS20_DENOM_MAX + 2];
                    snprintf(name, sizeof name, "%s/%s", p->name, r->denom);
                    json_array_append_new(bad, json_string(name));
                }
            }
            if (notes[i].rc)
                json_array_append_new(bad, json_string(p->name));
            json_t *po = json_pack(
                "{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:o, s:b}", "name", p->name,
                "kind", is_ics20_path(p) ? "transfer" : is_collateral_path(p) ? "collateral"
                                                                               : "other",
                "a", "chain", p->end[0].chain, "port", p->end[0].port, "channel",
                p->end[0].channel, "b", "chain", p->end[1].chain, "port", p->end[1].port,
                "channel", p->end[1].channel, "denoms", denoms, "holds", ok);
            if (notes[i].rc)
                json_object_set_new(po, "error", json_string(notes[i].err));
            if (!notes[i].audited)
                json_object_set_new(po, "audited", json_false());
            json_array_append_new(paths, po);
        }
        cw_cli_print_json(json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:b}", "config", file,
                                    "checked_at", fmt_time(t, now), "max_age_ms",
                                    (json_int_t)(max_age / MS_NS), "max_skew_ms",
                                    (json_int_t)(max_skew / MS_NS), "chains", chains, "paths",
                                    paths, "unbalanced", bad, "holds", holds),
                          "{}");
        return;
    }
    printf("audit of %s of %s, every figure proven against a header verified from the trust "
           "roots by this command's light client\n  as of:", path_name ? path_name : "every path",
           file);
    for (int k = 0; k < cfg->n_chains; k++) {
        const chain_view *v = &views[k];
        if (v->used && !v->rc)
            printf(" %s height %llu, header time %s (%s old);", v->id,
                   (unsigned long long)v->height, fmt_time(t, v->time_ns),
                   fmt_dur(age, now > v->time_ns ? now - v->time_ns : 0));
        else if (v->used)
            printf(" %s NOT READ;", v->id);
    }
    printf(" local clock %s\n", fmt_time(t, now));
    int n_bad = 0, n_rows = 0, n_paths = 0;
    for (int i = 0; i < cfg->n_paths; i++) {
        const audit_path *p = &cfg->paths[i];
        if (!notes[i].selected)
            continue;
        n_paths++;
        printf("path %s (%s: %s %s/%s <-> %s %s/%s)%s\n", p->name,
               is_ics20_path(p) ? "ICS-20 transfer" : is_collateral_path(p) ? "collateral"
                                                                            : "other",
               p->end[0].chain, p->end[0].port, p->end[0].channel[0] ? p->end[0].channel : "-",
               p->end[1].chain, p->end[1].port, p->end[1].channel[0] ? p->end[1].channel : "-",
               notes[i].audited ? "" : ": not audited (no channel yet, or not an app the "
                                       "audit knows)");
        if (notes[i].rc) {
            printf("  NOT READ: %s\n", notes[i].err);
            n_bad++;
        }
        int shown = 0;
        for (int k = 0; k < run->n_rows; k++) {
            const audit_row *r = &run->rows[k];
            if (r->path != p)
                continue;
            shown++;
            n_rows++;
            const char *s = row_src_id(r, views), *d = row_dst_id(r, views);
            if (r->rc) {
                printf("  %s (escrow on %s): NOT READ: %s\n", r->denom, s, r->err);
                n_bad++;
                continue;
            }
            n_bad += !r->holds;
            printf("  %s: escrow on %s %llu + %s paid, not acked %llu = %llu; on %s %s %llu + "
                   "%s in flight %llu + %s not credited %llu = %llu: %s\n", r->denom, s,
                   (unsigned long long)r->escrow, r->ics20 ? "returns" : "releases",
                   (unsigned long long)r->back.unsettled, (unsigned long long)r->lhs, d,
                   r->ics20 ? "vouchers" : "positions", (unsigned long long)r->outstanding,
                   r->ics20 ? "returns" : "releases", (unsigned long long)r->in_flight,
                   r->ics20 ? "transfers" : "deposits", (unsigned long long)r->out.unsettled,
                   (unsigned long long)r->rhs, r->holds ? "BALANCED" : "NOT BALANCED");
        }
        if (!shown && notes[i].audited && !notes[i].rc)
            printf("  (no denom to audit yet: %s)\n",
                   is_ics20_path(p) ? "no transfer received on either side"
                                    : "no collateral registered on its channel");
    }
    if (holds)
        printf("all %d denoms of %d paths BALANCED\n", n_rows, n_paths);
    else
        printf("NOT BALANCED: %d of the paths' figures do not hold or could not be proven\n",
               n_bad);
}

/* A node whose answer failed its proof is dropped by the chain client (it reconnects after a
 * backoff): before the next path or denom is read from it, reconnect (the figures are still
 * proven, so a reconnected node is trusted no more than before). At most 5 attempts. */
static void view_ready(chain_view *v)
{
    for (int i = 0; i < 5 && !v->rc && !v->c.cl; i++) {
        uint64_t now = cw_chain_now_ms();
        if (now < v->c.next_try_ms) {
            uint64_t ms = v->c.next_try_ms - now;
            struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
            nanosleep(&ts, NULL); /* the client's reconnect backoff */
        }
        if (cw_chain_ensure(&v->c, NULL, 0) == CW_OK)
            break;
    }
}

/* Every path (or --path): each chain opened once and its tip verified, each path's denoms
 * listed from proven state, each denom's equation proven. */
static int audit_all(const audit_config *cfg, const char *file, const char *path_name,
                     const char *only, uint64_t max_age, uint64_t max_skew, bool json)
{
    static chain_view views[AUDIT_MAX_CHAINS];
    static path_note notes[AUDIT_MAX_PATHS];
    static audit_run run;
    bool any = false;
    for (int i = 0; i < cfg->n_paths; i++) {
        const audit_path *p = &cfg->paths[i];
        if (path_name && strcmp(p->name, path_name) != 0)
            continue;
        any = notes[i].selected = true;
        notes[i].audited = p->end[0].channel[0] && p->end[1].channel[0] &&
                           (is_ics20_path(p) || is_collateral_path(p));
        if (notes[i].audited)
            views[p->end[0].chain_ix].used = views[p->end[1].chain_ix].used = true;
    }
    if (!any) {
        fprintf(stderr, "causeway audit: %s: no path %s\n", file, path_name ? path_name : "");
        return 2;
    }
    uint64_t now = cw_chain_now_ns();
    for (int k = 0; k < cfg->n_chains; k++) {
        chain_view *v = &views[k];
        v->id = cfg->chains[k].id;
        if (!v->used)
            continue;
        v->rc = open_view(v, cfg, k, NULL, v->err, sizeof v->err);
        if (v->rc == CW_OK)
            v->rc = check_fresh(v, v->id, cw_chain_now_ns(), max_age, v->err, sizeof v->err);
    }
    now = cw_chain_now_ns();
    audit_page *pg = calloc(1, sizeof *pg);
    if (!pg) {
        fprintf(stderr, "causeway audit: out of memory\n");
        return 1;
    }
    bool holds = true;
    for (int i = 0; i < cfg->n_paths; i++) {
        const audit_path *p = &cfg->paths[i];
        path_note *nt = &notes[i];
        if (!nt->selected || !nt->audited)
            continue;
        side ends[2] = {{&views[p->end[0].chain_ix], &p->end[0]},
                        {&views[p->end[1].chain_ix], &p->end[1]}};
        for (int e = 0; e < 2 && !nt->rc; e++)
            if (ends[e].v->rc)
                nt->rc = cw_errf(nt->err, sizeof nt->err, ends[e].v->rc, "%s", ends[e].v->err);
        if (!nt->rc)
            nt->rc = check_skew(ends[0].v, ends[0].v->id, ends[1].v, ends[1].v->id, max_skew,
                                nt->err, sizeof nt->err);
        int first = run.n_rows;
        view_ready(ends[0].v);
        view_ready(ends[1].v);
        for (int e = 0; e < 2 && !nt->rc; e++)
            nt->rc = is_ics20_path(p)
                         ? transfer_rows(&run, p, ends, e, only, nt->err, sizeof nt->err)
                         : collateral_rows(&run, p, ends, e, only, nt->err, sizeof nt->err);
        if (nt->rc) {
            cw_err_prefix(nt->err, sizeof nt->err, nt->rc, p->name);
            holds = false;
            continue;
        }
        for (int k = first; k < run.n_rows; k++) {
            audit_row *r = &run.rows[k];
            view_ready(ends[0].v);
            view_ready(ends[1].v);
            r->rc = audit_row_run(ends, pg, r, r->err, sizeof r->err);
            if (r->rc || !r->holds) {
                holds = false;
                if (r->rc)
                    fprintf(stderr, "causeway audit: path %s, denom %s: %s\n", p->name,
                            r->denom, r->err);
                else
                    fprintf(stderr, "causeway audit: path %s, denom %s: NOT BALANCED (%llu "
                            "!= %llu)\n", p->name, r->denom, (unsigned long long)r->lhs,
                            (unsigned long long)r->rhs);
            }
        }
    }
    for (int i = 0; i < cfg->n_paths; i++)
        if (notes[i].rc)
            fprintf(stderr, "causeway audit: path %s not read: %s\n", cfg->paths[i].name,
                    notes[i].err);
    cw_chain_qreq_free(pg->q, AUDIT_PAGE);
    free(pg);
    print_all(cfg, views, notes, &run, file, path_name, now, max_age, max_skew, holds, json);
    for (int k = 0; k < cfg->n_chains; k++)
        if (views[k].open)
            cw_chain_client_free(&views[k].c);
    return holds ? 0 : 1;
}

int cw_cli_audit(int argc, char **argv)
{
    const char *config = NULL, *path_name = NULL, *denom = NULL, *ta = NULL, *tb = NULL;
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
    if (denom && strlen(denom) > CW_ICS20_DENOM_MAX) {
        fprintf(stderr, "causeway audit: --denom: longer than %u bytes\n", CW_ICS20_DENOM_MAX);
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
    bool one = path && denom && !is_ics20_path(path);
    if (!path || ((one || path_name) && (!path->end[0].channel[0] || !path->end[1].channel[0]))) {
        fprintf(stderr, "causeway audit: %s: path %s not found or has no channel yet\n", config,
                path_name ? path_name : "(first)");
        return 2;
    }
    if (one && cw_id_validate(denom, strlen(denom), "--denom", err, sizeof err)) {
        fprintf(stderr, "causeway audit: %s\n", err);
        return 2;
    }
    if (!one && (ta || tb)) {
        fprintf(stderr, "causeway audit: --trust-a/--trust-b name the two ends of one "
                "collateral path: give them with --denom, or set chains[].trust_root in the "
                "config to audit every path\n");
        return 2;
    }
    for (int e = 0; e < 2 && one; e++) {
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
    if (one)
        return audit_one(&cfg, path, denom, ta, tb, max_age, max_skew, json);
    return audit_all(&cfg, config, path_name, denom, max_age, max_skew, json);
}
