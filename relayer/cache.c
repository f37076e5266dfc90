/* The event cache: packets and acks carried by block events (and the source's packet index)
 * kept per path direction so a tick saves RPC round trips; the cursors of the blocks whose
 * events were read, and the gap a reconnect left. The chains stay the source of truth: what
 * the cache lacks or evicts is read again. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/log.h"
#include "relay.h"

void rly_cache_clear(rly_cache *t)
{
    if (!t->e)
        return;
    for (size_t i = 0; i < RLY_CACHE_MAX; i++) {
        free(t->e[i].pkt);
        free(t->e[i].ack);
    }
    free(t->e);
    t->e = NULL;
}

/* ---- packet cache ------------------------------------------------------------------ */

rly_entry *rly_entry_get(rly_ctx *x, int p, int d, uint64_t seq, bool create)
{
    rly_cache *t = &x->cache[p][d];
    if (!t->e) {
        if (!create)
            return NULL;
        t->e = calloc(RLY_CACHE_MAX, sizeof *t->e);
        if (!t->e)
            return NULL;
    }
    rly_entry *en = &t->e[seq % RLY_CACHE_MAX];
    if (en->seq == seq)
        return en;
    if (!create)
        return NULL;
    free(en->pkt);
    free(en->ack);
    memset(en, 0, sizeof *en);
    en->seq = seq;
    return en;
}

static void put_bytes(uint8_t **dst, size_t *dl, const uint8_t *p, size_t n)
{
    if (*dst)
        return;
    *dst = malloc(n ? n : 1);
    if (*dst) {
        memcpy(*dst, p, n);
        *dl = n;
    }
}

/* one event of chain c (a send_packet or write_acknowledgement; an update_client is noted
 * for the misbehaviour check) into the caches */
static void cache_event(rly_ctx *x, cw_chain_client *c, const msgpack_object *ev, uint64_t height,
                        uint64_t time_ns)
{
    cw_client_event ce;
    if (cw_client_event_read(ev, CW_EV_UPDATE_CLIENT, &ce)) {
        rly_note_update(x, c, &ce);
        return;
    }
    cw_bytes type;
    if (!cw_event_type(ev, &type))
        return;
    cw_packet_event_kind kind = cw_packet_event_kind_of(type.p, type.len);
    bool send = kind == CW_PACKET_EV_SEND, wack = kind == CW_PACKET_EV_WRITE_ACK;
    cw_packet_event pe; /* only these two are decoded: a block carries many other events */
    if ((!send && !wack) || cw_packet_event_read(ev, &pe) != CW_OK)
        return;
    const cw_packet *p = &pe.packet;
    for (int pi = 0; pi < x->cfg->n_paths; pi++) {
        rly_path_cfg *pc = &x->cfg->paths[pi];
        for (int dir = 0; dir < 2; dir++) {
            rly_end_cfg *s = &pc->end[dir], *t = &pc->end[1 - dir];
            if (strcmp(p->source_port, s->port) || strcmp(p->source_channel, s->channel) ||
                strcmp(p->dest_port, t->port) || strcmp(p->dest_channel, t->channel))
                continue;
            if (send && c->ix != s->chain_ix)
                continue;
            if (wack && c->ix != t->chain_ix)
                continue;
            rly_entry *en = rly_entry_get(x, pi, dir, p->sequence, true);
            if (!en)
                continue;
            put_bytes(&en->pkt, &en->pkt_len, pe.packet_bytes.p, pe.packet_bytes.len);
            if (send && !en->sent_ns)
                en->sent_ns = time_ns;
            if (send && !en->sent_height)
                en->sent_height = height;
            if (wack) /* written when it was received */
                en->received_on = c->connects;
            if (wack && pe.has_ack) {
                put_bytes(&en->ack, &en->ack_len, pe.ack.p, pe.ack.len);
                if (!en->acked_ns)
                    en->acked_ns = time_ns;
            }
        }
    }
}

uint64_t rly_entry_since(const rly_entry *en)
{
    return en->sent_height ? en->sent_height : en->seen_height;
}

void rly_cache_events(rly_ctx *x, cw_chain_client *c, const msgpack_object *events, uint64_t h,
                      uint64_t t)
{
    cw_dec d = {0};
    uint32_t n;
    const msgpack_object *evs = cw_dec_list(&d, events, CW_EVENTS_MAX, &n, "events");
    for (uint32_t i = 0; d.rc == CW_OK && i < n; i++)
        cache_event(x, c, &evs[i], h, t);
}

static void cursor_key(char *key, size_t n, const char *path, const char *chain)
{
    snprintf(key, n, "cursor/%s/%s", path, chain);
}

void rly_set_cursors(rly_ctx *x, cw_chain_client *c, uint64_t h)
{
    for (int p = 0; x->db && p < x->cfg->n_paths; p++)
        for (int e = 0; e < 2; e++)
            if (x->cfg->paths[p].end[e].chain_ix == c->ix) {
                char key[256];
                cursor_key(key, sizeof key, x->cfg->paths[p].name, c->cfg->id);
                (void)rly_db_checked(rly_db_put_u64(x->db, key, h), key);
            }
}

int rly_block_results(cw_chain_client *c, uint64_t h, uint32_t start, cw_dec *d,
                      cw_rpc_block_results *br, uint8_t **buf, char *err, size_t err_len)
{
    cw_enc par;
    cw_enc_init(&par);
    cw_rpc_block_results_params_enc(&par, &(cw_rpc_block_results_params){h, start});
    const msgpack_object *root;
    memset(br, 0, sizeof *br);
    int rc = cw_chain_call(c, "block_results", &par, d, &root, buf, err, err_len);
    cw_enc_free(&par);
    if (rc == CW_OK) {
        cw_rpc_block_results_dec(d, root, br);
        if (d->rc == CW_OK && (br->height != h || br->start != start))
            cw_dec_fail(d, CW_EMALFORMED, "block_results: asked for height %" PRIu64
                        " from tx %u, answered %" PRIu64 " from %u", h, start, br->height,
                        br->start);
        if (d->rc) { /* the decoder's line is in err (d writes there) */
            rc = d->rc;
            cw_err_prefix(err, err_len, rc, c->cfg->id);
            memset(br, 0, sizeof *br);
        }
    }
    return rc;
}

bool rly_block_tx(const cw_rpc_block_results *br, uint32_t i, cw_rpc_block_tx *bt)
{
    cw_dec d = {0}; /* its own sticky error: one bad entry does not hide the next */
    cw_rpc_block_tx_dec(&d, &br->items[i], bt, "block_results.tx");
    return d.rc == CW_OK;
}

int rly_block_txs(cw_chain_client *c, uint64_t h, uint32_t start, rly_block_tx_fn fn,
                  void *arg, char *err, size_t err_len)
{
    for (uint32_t pages = 0;; pages++) {
        cw_dec d = {0};
        cw_rpc_block_results br;
        uint8_t *buf = NULL;
        bool stop = false;
        int rc = rly_block_results(c, h, start, &d, &br, &buf, err, err_len);
        for (uint32_t i = 0; rc == CW_OK && i < br.n && !stop; i++) {
            cw_rpc_block_tx bt;
            if (rly_block_tx(&br, i, &bt))
                stop = fn(arg, &bt);
        }
        cw_dec_close(&d);
        free(buf);
        if (rc)
            return rc;
        RLY_M_ADD(block_pages, 1);
        if (pages > 0)
            RLY_M_ADD(block_pages_more, 1);
        uint32_t next = cw_rpc_block_results_next(&br);
        if (stop || next >= br.total)
            return CW_OK;
        if (br.n == 0) /* a page that is not the last must move on: never loop */
            return cw_errf(err, err_len, CW_EMALFORMED, "chain %s: block_results(%" PRIu64
                           ", %u) answered no txs of %u", c->cfg->id, h, start, br.total);
        start = next;
    }
}

/* the events of one tx of a block into the caches (rly_block_txs' callback) */
struct cache_arg {
    rly_ctx *x;
    cw_chain_client *c;
    uint64_t height;
    uint64_t time_ns;
};

static bool cache_tx(void *arg, const cw_rpc_block_tx *bt)
{
    struct cache_arg *a = arg;
    rly_cache_events(a->x, a->c, bt->result.events, a->height, a->time_ns);
    return false;
}

/* block_results of the heights missed since the cursor (bounded), into the caches; each
 * block read page by page, so no block is too large to read */
#define GAP_MAX 2000u
int rly_fill_gap(rly_ctx *x, cw_chain_client *c, char *err, size_t err_len)
{
    int rc = cw_chain_status(c, NULL, err, err_len);
    if (rc)
        return rc;
    uint64_t from = UINT64_MAX;
    for (int p = 0; x->db && p < x->cfg->n_paths; p++) {
        char key[256];
        uint64_t v;
        cursor_key(key, sizeof key, x->cfg->paths[p].name, c->cfg->id);
        if (rly_db_get_u64(x->db, key, &v) == CW_OK && v + 1 < from)
            from = v + 1;
    }
    if (from == UINT64_MAX || from > c->height)
        from = c->height > GAP_MAX ? c->height - GAP_MAX : 1;
    if (c->height - from > GAP_MAX)
        from = c->height - GAP_MAX; /* older packets come from the chain queries alone */
    uint64_t filled = 0;
    struct cache_arg a = {x, c, 0, 0};
    for (uint64_t h = from; h <= c->height; h++) {
        a.height = h;
        rc = rly_block_txs(c, h, 0, cache_tx, &a, err, err_len);
        if (rc == CW_ENOTFOUND) {
            rc = CW_OK;
            continue;
        }
        if (rc)
            return rc;
        filled++;
    }
    rly_set_cursors(x, c, c->height);
    if (filled)
        cw_log(CW_LOG_INFO, "gap filled chain=%s from=%" PRIu64 " to=%" PRIu64, c->cfg->id, from,
               c->height);
    return CW_OK;
}

int rly_get_packet(rly_ctx *x, cw_chain_client *src, int p, int d, uint64_t seq, rly_entry **out,
                   char *err, size_t err_len)
{
    const rly_end_cfg *s = &x->cfg->paths[p].end[d];
    rly_entry *en = rly_entry_get(x, p, d, seq, true);
    *out = NULL;
    if (!en)
        return -ENOMEM;
    if (!en->pkt) {
        uint8_t *b;
        size_t n;
        int rc = cw_chain_packet_bytes(src, "packet", s->port, s->channel, seq, &b, &n, err,
                                       err_len);
        if (rc)
            return rc;
        /* the bytes come from an RPC index: they must be the committed packet (checked by
         * the commitment proof on the destination anyway; check here to not waste a tx) */
        en->pkt = b;
        en->pkt_len = n;
    }
    *out = en;
    return CW_OK;
}

int rly_decode_packet(const rly_entry *en, cw_packet *pk, cw_dec *d)
{
    const msgpack_object *root;
    int rc = cw_dec_open(d, &root, en->pkt, en->pkt_len, 1 << 16, NULL, 0);
    if (rc == CW_OK) {
        cw_packet_dec(d, root, pk, "packet");
        rc = d->rc;
    }
    return rc;
}

/* The packets of seqs[0..n) of one direction into the cache: those not there yet (no
 * send_packet event seen) come from the source's packet index, CW_RPC_BATCH_MAX per call. */
int rly_fetch_packets(rly_ctx *x, cw_chain_client *src, int p, int d, const uint64_t *seqs,
                      size_t n,
                      char *err, size_t err_len)
{
    uint64_t *miss = x->scr->miss;
    uint8_t **pk = x->scr->pk;
    size_t *pl = x->scr->pl;
    const rly_end_cfg *S = &x->cfg->paths[p].end[d];
    size_t nm = 0;
    for (size_t i = 0; i < n && nm < RLY_LIST_MAX; i++) {
        rly_entry *en = rly_entry_get(x, p, d, seqs[i], true);
        if (!en)
            return -ENOMEM;
        if (!en->pkt)
            miss[nm++] = seqs[i];
    }
    for (size_t off = 0; off < nm; off += CW_RPC_BATCH_MAX) {
        size_t k = nm - off < CW_RPC_BATCH_MAX ? nm - off : CW_RPC_BATCH_MAX;
        int rc = cw_chain_packets(src, S->port, S->channel, miss + off, k, pk, pl, err, err_len);
        if (rc)
            return rc;
        for (size_t i = 0; i < k; i++) {
            rly_entry *en = rly_entry_get(x, p, d, miss[off + i], true);
            if (en && !en->pkt && pk[i]) {
                en->pkt = pk[i];
                en->pkt_len = pl[i];
            } else {
                free(pk[i]);
            }
        }
    }
    return CW_OK;
}

/* a block notification: [header, events, txs, txs_total] — the events of txs the chain
 * left out (a block over its frame limit) are read with block_results from tx `txs` on */
int rly_on_block(rly_ctx *x, cw_chain_client *c, const uint8_t *payload, size_t len)
{
    cw_dec d;
    const msgpack_object *root;
    int rc = CW_OK;
    if (cw_dec_open(&d, &root, payload, len, CW_RPC_RESULT_MAX, NULL, 0) == CW_OK) {
        cw_rpc_block_note b;
        cw_rpc_block_note_dec(&d, root, &b);
        if (d.rc == CW_OK) {
            if (b.header.height > c->height) {
                c->height = b.header.height;
                c->time_ns = b.header.time_ns;
                RLY_M_SET(height[c->ix], c->height);
            }
            rly_cache_events(x, c, b.events, b.header.height, b.header.time_ns);
            if (!cw_rpc_block_note_complete(&b)) {
                char e[512];
                struct cache_arg a = {x, c, b.header.height, b.header.time_ns};
                rc = rly_block_txs(c, b.header.height, b.txs, cache_tx, &a, e, sizeof e);
                if (rc == CW_OK) {
                    RLY_M_ADD(blocks_paged, 1);
                    cw_log(CW_LOG_INFO, "block events completed chain=%s height=%" PRIu64
                           " txs=%u of %u in the notification", c->cfg->id, b.header.height,
                           b.txs, b.txs_total);
                } else {
                    RLY_M_ADD(blocks_paged_failures, 1);
                    cw_log(CW_LOG_WARN, "block events incomplete chain=%s height=%" PRIu64
                           " reason=\"%s\"", c->cfg->id, b.header.height, e);
                }
            }
        }
    }
    cw_dec_close(&d);
    return rc;
}
