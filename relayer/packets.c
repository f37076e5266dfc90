/* One direction of one path: gather what the chains say (commitments, receipts, packets,
 * heights), classify (classify.c), then relay RecvPacket / Acknowledgement / Timeout with
 * proofs in batched txs. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/log.h"
#include "relay.h"

/* One tx's msgs (RecvPackets, or Acknowledgements / Timeouts) and the sequences they relay. */
typedef struct batch {
    rly_msgs ms;
    uint64_t seqs[CW_TX_MAX_MSGS];
    size_t k;
} batch;

/* en's packet into *pk, borrowing from *dd (close it once the msg is encoded); false, after
 * a warning, when its bytes do not decode (the packet is skipped) */
static bool batch_packet(const rly_entry *en, const cw_chain_client *src, uint64_t seq,
                         cw_packet *pk, cw_dec *dd)
{
    if (rly_decode_packet(en, pk, dd) == CW_OK)
        return true;
    cw_dec_close(dd);
    cw_log(CW_LOG_WARN, "packet bytes do not decode chain=%s sequence=%" PRIu64 "; skipped",
           src->cfg->id, seq);
    return false;
}

/* the batch's next msg, initialised; batch_added once it is written */
static cw_enc *batch_next(batch *b)
{
    cw_enc *m = &b->ms.m[b->ms.n++];
    cw_enc_init(m);
    return m;
}

/* the msg batch_next gave is written and relays seq */
static void batch_added(batch *b, uint64_t seq)
{
    b->ms.bytes += cw_enc_len(&b->ms.m[b->ms.n - 1]);
    b->seqs[b->k++] = seq;
}

/* submit the batch on c as one tx of `kind` when it holds msgs and rc is CW_OK, then free
 * it; returns rc, or rly_submit's */
static int batch_submit(rly_ctx *x, cw_chain_client *c, batch *b, int p, int d, int kind, int rc,
                        char *err, size_t err_len)
{
    if (b->k && rc == CW_OK)
        rc = rly_submit(x, c, &b->ms, p, d, kind, b->seqs, b->k, err, err_len);
    rly_msgs_free(&b->ms);
    return rc;
}

/* RecvPackets for seqs[0..n) on dst, proofs from src at one height: one tx per batch of
 * batch_size, up to `budget` txs; the proofs of the next batch are asked for (query_many)
 * before the current batch's tx is built, so the source works while the relayer signs.
 * cw_chain_proofs_take returns only proofs it checked against the header src's light client
 * verified at ph (a bad one fails the batch and drops the node: nothing is submitted). */
static int relay_recvs(rly_ctx *x, int p, int d, const uint64_t *seqs, size_t n, size_t budget,
                       rly_progress *pr, char *err, size_t err_len)
{
    rly_path_cfg *pc = &x->cfg->paths[p];
    const rly_end_cfg *S = &pc->end[d];
    cw_chain_client *src = &x->conns[S->chain_ix], *dst = &x->conns[pc->end[1 - d].chain_ix];
    cw_chain_qreq (*q)[CW_TX_MAX_MSGS] = x->scr->q;
    size_t bs = x->cfg->batch_size < CW_TX_MAX_MSGS ? x->cfg->batch_size : CW_TX_MAX_MSGS;
    size_t nb = (n + bs - 1) / bs;
    if (nb > budget)
        nb = budget;
    if (nb == 0)
        return CW_OK;
    uint64_t ph;
    int rc = cw_chain_status(src, NULL, err, err_len);
    if (!rc)
        rc = rly_prepare_client(x, p, d, 1 - d, RLY_K_RECV, src, dst, src->height, &ph, err,
                                err_len);
    if (rc)
        return rc;
    uint32_t ids[2] = {0, 0};
    size_t len[2] = {0, 0};
    for (size_t b = 0; b <= nb && rc == CW_OK; b++) {
        /* ask for batch b's proofs, then build batch b - 1's tx */
        if (b < nb) {
            cw_chain_qreq *qb = q[b % 2];
            size_t off = b * bs;
            len[b % 2] = n - off < bs ? n - off : bs;
            for (size_t i = 0; i < len[b % 2]; i++) {
                cw_path_packet(qb[i].key, CW_PATH_COMMITMENTS, S->port, S->channel, seqs[off + i]);
                qb[i].seq = seqs[off + i];
            }
            if ((rc = cw_chain_proofs_send(src, qb, len[b % 2], ph, &ids[b % 2], err, err_len)))
                break;
        }
        if (b == 0)
            continue;
        cw_chain_qreq *qp = q[(b - 1) % 2];
        size_t take = len[(b - 1) % 2];
        uint64_t tq = cw_chain_now_ms();
        rc = cw_chain_proofs_take(src, ids[(b - 1) % 2], qp, take, ph, err, err_len);
        ids[(b - 1) % 2] = 0;
        if (rc) {
            cw_chain_qreq_free(qp, take);
            break;
        }
        cw_log(CW_LOG_DEBUG, "proofs queried chain=%s count=%zu ms=%llu", src->cfg->id, take,
               (unsigned long long)(cw_chain_now_ms() - tq));
        batch bt = {0};
        for (size_t i = 0; rc == CW_OK && i < take && bt.ms.bytes < RLY_TX_BYTES_SOFT; i++) {
            rly_entry *en;
            uint64_t unused;
            if (!rly_proof_usable(RLY_K_RECV, false, qp[i].seq, qp[i].val, qp[i].val_len,
                                  &unused)) /* acked or timed out meanwhile */
                continue;
            if ((rc = rly_get_packet(x, src, p, d, qp[i].seq, &en, err, err_len)))
                break;
            cw_msg_recv_packet mr = {.proof_commitment = {qp[i].proof, qp[i].proof_len},
                                     .proof_height = ph};
            cw_dec dd;
            if (!batch_packet(en, src, qp[i].seq, &mr.packet, &dd))
                continue;
            cw_msg_recv_packet_enc(batch_next(&bt), &mr);
            cw_dec_close(&dd);
            batch_added(&bt, qp[i].seq);
        }
        cw_chain_qreq_free(qp, take);
        rc = batch_submit(x, dst, &bt, p, d, RLY_K_RECV, rc, err, err_len);
        if (rc == CW_OK && pr)
            pr->submitted += bt.k;
    }
    /* a batch whose proofs were asked for and not taken (an error above): drop its answer */
    for (int i = 0; i < 2; i++)
        if (ids[i] && src->cl)
            cw_rpc_call_forget(src->cl, ids[i]);
    return rc;
}

/* The facts of seqs[0..n) (the source's commitments, ascending) for rly_classify.
 * ask[0..na) of them were asked about on the destination and unrecv[0..nu) of those answered
 * unreceived (all ascending), on connection ans_conn: an asked packet not among them is
 * received (its entry records the receipt, so later ticks do not ask again); one not asked is
 * received when its receipt is known on dst_conn, the connection when the asking was decided
 * (rly_receipt_known) — the others were not asked because rly_classify skips them (in
 * flight, waiting to retry). From the cache: in-flight marks and retry times; and the
 * timeouts of each unreceived packet that may move now (its bytes from the cache, else the
 * source's index; bytes that do not decode wait RLY_RETRY_FAILED_MS). *n_unrecv: how many
 * are not received. */
static int gather_facts(rly_ctx *x, int p, int d, const uint64_t *seqs, size_t n,
                        const uint64_t *ask, size_t na, const uint64_t *unrecv, size_t nu,
                        uint64_t dst_conn, uint64_t ans_conn, uint64_t now, rly_pkt_fact *out,
                        size_t *n_unrecv, char *err, size_t err_len)
{
    const rly_path_cfg *pc = &x->cfg->paths[p];
    cw_chain_client *src = &x->conns[pc->end[d].chain_ix];
    size_t ai = 0, ui = 0;
    *n_unrecv = 0;
    for (size_t i = 0; i < n; i++) {
        rly_pkt_fact *f = &out[i];
        memset(f, 0, sizeof *f);
        f->seq = seqs[i];
        bool asked = ai < na && ask[ai] == f->seq;
        ai += asked;
        while (ui < nu && unrecv[ui] < f->seq)
            ui++;
        bool answered_received = asked && !(ui < nu && unrecv[ui] == f->seq);
        rly_entry *en = rly_entry_get(x, p, d, f->seq, answered_received);
        f->received = asked ? answered_received : rly_receipt_known(en, dst_conn);
        if (answered_received && en)
            en->received_on = ans_conn;
        *n_unrecv += !f->received;
        if (en) {
            if (!en->seen_height) /* its wait, should it become the oldest */
                en->seen_height = src->height;
            f->inflight = en->inflight;
            f->retry_after_ms = en->retry_after_ms;
        }
        if (f->received || f->inflight || f->retry_after_ms > now)
            continue;
        int rc = rly_get_packet(x, src, p, d, f->seq, &en, err, err_len);
        if (rc)
            return rc;
        cw_dec dd;
        cw_packet pk;
        rc = rly_decode_packet(en, &pk, &dd);
        cw_dec_close(&dd);
        if (rc) {
            cw_log(CW_LOG_WARN, "undecodable packet path=%s chain=%s sequence=%" PRIu64,
                   pc->name, src->cfg->id, f->seq);
            f->retry_after_ms = en->retry_after_ms = now + RLY_RETRY_FAILED_MS;
            continue;
        }
        f->timeout_height = pk.timeout_height;
        f->timeout_ns = pk.timeout_timestamp_ns;
    }
    return CW_OK;
}

int rly_relay_dir(rly_ctx *x, int p, int d, rly_progress *pr, char *err, size_t err_len)
{
    rly_path_cfg *pc = &x->cfg->paths[p];
    const rly_end_cfg *S = &pc->end[d], *D = &pc->end[1 - d];
    cw_chain_client *src = &x->conns[S->chain_ix], *dst = &x->conns[D->chain_ix];
    uint64_t *seqs = x->scr->seqs, *unrecv = x->scr->unrecv;
    size_t n = 0, nu = 0;
    const bool ordered = pc->ordering == CW_ORDER_ORDERED;
    if (ordered) { /* a timeout closes an ordered channel: then only the close is relayed */
        cw_channel_end se;
        int ss;
        int rc = rly_chan_end_of(src, S, &se, &ss, err, err_len);
        if (rc || ss == CW_CHAN_CLOSED)
            return rc ? rc : rly_close_confirm(x, p, d, err, err_len);
    }
    int rc = cw_chain_seq_list(src, "packet_commitments", S->port, S->channel, NULL, 0, seqs,
                               RLY_LIST_MAX, &n, err, err_len);
    if (rc)
        return rc;
    uint64_t age = 0; /* source blocks the oldest has waited (rly_entry_since) */
    rly_entry *oldest = n ? rly_entry_get(x, p, d, seqs[0], true) : NULL;
    if (oldest) {
        if (!oldest->seen_height)
            oldest->seen_height = src->height;
        uint64_t since = rly_entry_since(oldest);
        age = src->height > since ? src->height - since : 0;
    }
    rly_metrics_pending(p, d, n, n ? seqs[0] : 0, age);
    if (pr)
        pr->pending += n;
    if (n == 0)
        return CW_OK;
    /* only the packets whose receipt the relayer does not know are asked about */
    uint64_t *ask = x->scr->ask, now_ms = cw_chain_now_ms(), dst_conn = dst->connects;
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        if (rly_ask_receipt(rly_entry_get(x, p, d, seqs[i], false), dst_conn, now_ms))
            ask[na++] = seqs[i];
    if (na && (rc = cw_chain_seq_list(dst, "unreceived_packets", D->port, D->channel, ask, na,
                                      unrecv, RLY_LIST_MAX, &nu, err, err_len)))
        return rc;
    uint64_t ans_conn = dst->connects; /* the connection that answered */
    RLY_M_ADD(receipts_asked, na);
    RLY_M_ADD(receipts_known, n - na);
    if ((rc = rly_fetch_packets(x, src, p, d, unrecv, nu, err, err_len)))
        return rc;
    /* one tick takes up to max_inflight batches per kind (bounded by RLY_TICK_MAX) */
    size_t budget = x->cfg->max_inflight;
    size_t bs = x->cfg->batch_size;
    rly_dir_facts facts = {.pkts = x->scr->facts, .n = n, .ordered = ordered, .now_ms = now_ms,
                           .cap = bs * budget < RLY_TICK_MAX ? bs * budget : RLY_TICK_MAX};
    size_t on_dst = rly_inflight_on(x, dst->ix), on_src, n_unrecv;
    if ((rc = cw_chain_status(dst, NULL, err, err_len)))
        return rc;
    facts.dst_height = dst->height;
    facts.dst_time_ns = dst->time_ns;
    if ((rc = gather_facts(x, p, d, seqs, n, ask, na, unrecv, nu, dst_conn, ans_conn,
                           facts.now_ms, x->scr->facts, &n_unrecv, err, err_len)))
        return rc;
    rly_plan plan = {.recv = x->scr->recv, .ack = x->scr->ack, .timeout = x->scr->timeout};
    rly_classify(&facts, &plan);
    if (pr)
        pr->unreceived += n_unrecv;

    /* RecvPackets on dst, proofs from src */
    if (plan.n_recv && on_dst < budget &&
        (rc = relay_recvs(x, p, d, plan.recv, plan.n_recv, budget - on_dst, pr, err, err_len)))
        return rc;

    /* Acknowledgements and Timeouts on src, proofs from dst */
    cw_chain_qreq *q = x->scr->qa;
    for (int kind = RLY_K_ACK; kind <= RLY_K_TIMEOUT; kind++) {
        uint64_t *list = kind == RLY_K_ACK ? plan.ack : plan.timeout;
        size_t nl = kind == RLY_K_ACK ? plan.n_ack : plan.n_timeout;
        size_t done = 0;
        if (nl == 0)
            continue;
        uint64_t ph;
        if ((rc = rly_prepare_client(x, p, d, d, kind, dst, src, dst->height, &ph, err, err_len)))
            return rc;
        const cw_light_block *plb;
        if ((rc = cw_chain_lc_verified(dst, ph, &plb, err, err_len)))
            return rc;
        uint64_t ph_time = plb->signed_header.header.time_ns;
        on_src = rly_inflight_on(x, src->ix);
        while (done < nl && on_src < budget) {
            batch bt = {0};
            size_t take = 0, scanned = 0;
            for (; done + scanned < nl && take < bs && take < CW_TX_MAX_MSGS; scanned++) {
                uint64_t seq = list[done + scanned];
                rly_entry *en;
                if ((rc = rly_get_packet(x, src, p, d, seq, &en, err, err_len)))
                    break;
                if (kind == RLY_K_ACK) {
                    if (!en->ack) {
                        uint8_t *b;
                        size_t bl;
                        rc = cw_chain_packet_bytes(dst, "ack", D->port, D->channel, seq, &b, &bl,
                                                   err, err_len);
                        if (rc == CW_ENOTFOUND) { /* no ack written (yet) */
                            rc = CW_OK;
                            continue;
                        }
                        if (rc)
                            break;
                        en->ack = b;
                        en->ack_len = bl;
                    }
                    cw_path_packet(q[take].key, CW_PATH_ACKS, D->port, D->channel, seq);
                } else {
                    cw_dec dd;
                    cw_packet pk;
                    bool ok = rly_decode_packet(en, &pk, &dd) == CW_OK &&
                              cw_packet_timed_out(&pk, ph, ph_time);
                    cw_dec_close(&dd);
                    if (!ok) /* not yet timed out at the proof height */
                        continue;
                    /* ICS-04: unordered proves the receipt absent; ordered proves
                     * nextSequenceRecv ≤ seq, and the first such timeout closes the channel */
                    if (ordered)
                        cw_path_next_seq(q[take].key, CW_PATH_NEXT_SEQ_RECV, D->port, D->channel);
                    else
                        cw_path_packet(q[take].key, CW_PATH_RECEIPTS, D->port, D->channel, seq);
                }
                q[take].seq = seq;
                take++;
                if (ordered && kind == RLY_K_TIMEOUT) {
                    scanned = nl - done; /* the rest wait: the channel closes */
                    break;
                }
            }
            done += scanned;
            if (rc == CW_OK && take)
                rc = cw_chain_query_many(dst, q, take, ph, err, err_len);
            for (size_t i = 0; rc == CW_OK && i < take; i++) {
                uint64_t next_recv;
                if (!rly_proof_usable(kind, ordered, q[i].seq, q[i].val, q[i].val_len, &next_recv))
                    /* ack not provable yet / received after all */
                    continue;
                rly_entry *en = rly_entry_get(x, p, d, q[i].seq, false);
                if (!en || !en->pkt || (kind == RLY_K_ACK && !en->ack))
                    continue;
                cw_packet pk;
                cw_dec dd;
                if (!batch_packet(en, src, q[i].seq, &pk, &dd))
                    continue;
                cw_enc *m = batch_next(&bt);
                cw_bytes proof = {q[i].proof, q[i].proof_len};
                if (kind == RLY_K_ACK) {
                    cw_msg_acknowledgement ma = {.packet = pk, .ack = {en->ack, en->ack_len},
                                                 .proof_acked = proof, .proof_height = ph};
                    cw_msg_acknowledgement_enc(m, &ma);
                } else {
                    cw_msg_timeout mt = {.packet = pk, .proof_unreceived = proof,
                                         .proof_height = ph,
                                         .next_sequence_recv = next_recv}; /* 0 if unordered */
                    cw_msg_timeout_enc(m, &mt);
                }
                cw_dec_close(&dd);
                batch_added(&bt, q[i].seq);
            }
            cw_chain_qreq_free(q, take);
            if ((rc = batch_submit(x, src, &bt, p, d, kind, rc, err, err_len)))
                return rc;
            if (bt.k) {
                on_src++;
                if (pr)
                    pr->submitted += bt.k;
            }
            if (!scanned)
                break;
        }
    }
    return CW_OK;
}

