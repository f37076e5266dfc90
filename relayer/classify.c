/* Packet classification: which of a path direction's packets to receive, acknowledge or time
 * out, and whether a proof answer lets a msg go — pure decisions over what the chains said
 * (packets.c gathers the facts and carries out the plan). ICS-04 semantics. */
#include "relay.h"

void rly_classify(const rly_dir_facts *f, rly_plan *out)
{
    out->n_recv = out->n_ack = out->n_timeout = 0;
    bool timeout_ahead = false; /* ordered: an earlier packet times out (or is being) */
    for (size_t i = 0; i < f->n; i++) {
        const rly_pkt_fact *k = &f->pkts[i];
        if (k->inflight || k->retry_after_ms > f->now_ms) {
            timeout_ahead |= f->ordered && (k->inflight & (1u << RLY_K_TIMEOUT));
            continue;
        }
        if (k->received) { /* received, still committed: its ack is due */
            if (out->n_ack < f->cap)
                out->ack[out->n_ack++] = k->seq;
            continue;
        }
        if (out->n_recv >= f->cap && out->n_timeout >= f->cap)
            continue;
        cw_packet pk = {.timeout_height = k->timeout_height, .timeout_timestamp_ns = k->timeout_ns};
        bool timed_out = cw_packet_timed_out(&pk, f->dst_height, f->dst_time_ns);
        timeout_ahead |= f->ordered && timed_out;
        if (timed_out && out->n_timeout < f->cap)
            out->timeout[out->n_timeout++] = k->seq;
        else if (!timed_out && out->n_recv < f->cap && !timeout_ahead) /* ordered: nothing */
            out->recv[out->n_recv++] = k->seq; /* after a timeout, which closes the channel */
    }
}

bool rly_receipt_known(const rly_entry *en, uint64_t dst_conn)
{
    return en && en->received_on && en->received_on == dst_conn;
}

bool rly_ask_receipt(const rly_entry *en, uint64_t dst_conn, uint64_t now_ms)
{
    if (!en)
        return true;
    if (en->inflight || en->retry_after_ms > now_ms)
        return false;
    return !rly_receipt_known(en, dst_conn);
}

bool rly_proof_usable(int kind, bool ordered, uint64_t seq, const uint8_t *val, size_t val_len,
                      uint64_t *next_recv)
{
    *next_recv = 0;
    if (kind != RLY_K_TIMEOUT) /* the commitment (packet or ack) exists */
        return val != NULL;
    if (!ordered) /* ICS-04: unordered proves the receipt absent */
        return val == NULL;
    /* ordered proves nextSequenceRecv ≤ seq (the first such timeout closes the channel) */
    if (!val || val_len != 8)
        return false;
    *next_recv = cw_be64_get(val);
    return *next_recv <= seq;
}
