/* The ibc.* msgs: one encode/decode pair per msg (causeway/msgs.h). The field layouts here
 * are the wire contract; the host's handlers (channels/ibc_*.c) decode through them. */
#include "causeway/msgs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/hash.h"
#include "causeway/tx.h"

/* ---- shared field groups --------------------------------------------------------------- */

static cw_bytes proof_dec(cw_dec *d, const msgpack_object *o, const char *name)
{
    return cw_dec_bin(d, o, CW_MSG_PROOF_MAX, "%s", name);
}

static void bytes_enc(cw_enc *e, cw_bytes b)
{
    cw_enc_bin(e, b.p, b.len);
}

static uint8_t ordering_dec(cw_dec *d, const msgpack_object *o)
{
    return (uint8_t)cw_dec_uint_max(d, o, CW_ORDER_ORDERED, "ordering");
}

/* after every field decoded: 0 is in range for the integer but names no ordering */
static void ordering_check(cw_dec *d, uint8_t ordering)
{
    if (!d->rc && ordering == 0)
        cw_dec_fail(d, CW_EINVAL, "ordering: 1 (unordered) or 2 (ordered)");
}

/* The counterparty-client tail of TRY and ACK: [proof_<end>, counterparty_client_state,
 * proof_client, proof_consensus, proof_height]. */
typedef struct client_tail {
    cw_bytes *proof_end, *client_state, *proof_client, *proof_consensus;
    uint64_t *proof_height;
} client_tail;

static void client_tail_enc(cw_enc *e, const cw_bytes *proof_end, const cw_bytes *client_state,
                            const cw_bytes *proof_client, const cw_bytes *proof_consensus,
                            uint64_t proof_height)
{
    bytes_enc(e, *proof_end);
    bytes_enc(e, *client_state);
    bytes_enc(e, *proof_client);
    bytes_enc(e, *proof_consensus);
    cw_enc_u64(e, proof_height);
}

static void client_tail_dec(cw_dec *d, const msgpack_object *f, const char *proof_end_name,
                            const client_tail *t)
{
    *t->proof_end = proof_dec(d, &f[0], proof_end_name);
    *t->client_state =
        cw_dec_bin(d, &f[1], CW_MSG_CLIENT_STATE_MAX, "counterparty_client_state");
    *t->proof_client = proof_dec(d, &f[2], "proof_client");
    *t->proof_consensus = proof_dec(d, &f[3], "proof_consensus");
    *t->proof_height = cw_dec_u64(d, &f[4], "proof_height");
}

/* [port, channel] — the head of ACK, both confirms and close_init */
static void port_channel_enc(cw_enc *e, const char *port, const char *channel)
{
    cw_enc_cstr(e, port);
    cw_enc_cstr(e, channel);
}

static void port_channel_dec(cw_dec *d, const msgpack_object *f, char *port, char *channel)
{
    cw_dec_id(d, &f[0], port, "port");
    cw_dec_id(d, &f[1], channel, "channel");
}

/* The confirm shape [port, channel, proof, proof_height] of open_confirm and close_confirm. */
static void confirm_enc(cw_enc *e, const char *type, const char *port, const char *channel,
                        cw_bytes proof, uint64_t proof_height)
{
    cw_msg_begin(e, type, 4);
    port_channel_enc(e, port, channel);
    bytes_enc(e, proof);
    cw_enc_u64(e, proof_height);
}

static void confirm_dec(cw_dec *d, const msgpack_object *body, const char *what, char *port,
                        char *channel, const char *proof_name, cw_bytes *proof,
                        uint64_t *proof_height)
{
    const msgpack_object *f = cw_dec_array(d, body, 4, "%s", what);
    port_channel_dec(d, f, port, channel);
    *proof = proof_dec(d, &f[2], proof_name);
    *proof_height = cw_dec_u64(d, &f[3], "proof_height");
}

/* The head of every packet msg: [packet, …] with `n` fields in all; returns the fields. */
static const msgpack_object *packet_head_dec(cw_dec *d, const msgpack_object *body, uint32_t n,
                                             const char *what, cw_packet *p)
{
    const msgpack_object *f = cw_dec_array(d, body, n, "%s", what);
    cw_packet_dec(d, &f[0], p, "packet");
    return f;
}

/* ---- clients ------------------------------------------------------------------------- */

void cw_msg_create_client_enc(cw_enc *e, const cw_msg_create_client *m)
{
    cw_msg_begin(e, CW_MSG_IBC_CREATE_CLIENT, 3);
    cw_enc_cstr(e, m->client_type);
    cw_lc_client_state_enc(e, &m->client_state);
    cw_lc_consensus_state_enc(e, &m->consensus_state);
}

void cw_msg_create_client_dec(cw_dec *d, const msgpack_object *body, cw_msg_create_client *m,
                              const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 3, "%s", what);
    cw_dec_id(d, &f[0], m->client_type, "client_type");
    if (!d->rc && strcmp(m->client_type, CW_CLIENT_TYPE_BIP340) != 0 &&
        strcmp(m->client_type, CW_CLIENT_TYPE_TENDERMINT) != 0)
        cw_dec_fail(d, CW_EINVAL, "client_type: '%s': expected %s or %s", m->client_type,
                    CW_CLIENT_TYPE_BIP340, CW_CLIENT_TYPE_TENDERMINT);
    cw_lc_client_state_dec(d, &f[1], &m->client_state, "client_state");
    cw_lc_consensus_state_dec(d, &f[2], &m->consensus_state, "consensus_state");
}

/* ---- 07-tendermint client messages (TmHeader, causeway/msgs.h) ------------------------- */

static void tm_time_enc(cw_enc *e, cw_tm_time t)
{
    cw_enc_array(e, 2);
    cw_enc_u64(e, t.seconds < 0 ? 0 : (uint64_t)t.seconds);
    cw_enc_u64(e, t.nanos < 0 ? 0 : (uint64_t)t.nanos);
}

static cw_tm_time tm_time_dec(cw_dec *d, const msgpack_object *o, const char *what)
{
    const msgpack_object *f = cw_dec_array(d, o, 2, "%s", what);
    cw_tm_time t = {(int64_t)cw_dec_uint_max(d, &f[0], INT64_MAX, "%s.seconds", what),
                    (int32_t)cw_dec_uint_max(d, &f[1], 999999999, "%s.nanos", what)};
    return t;
}

static void tm_bytes_enc(cw_enc *e, const cw_tm_bytes *b) { cw_enc_bin(e, b->b, b->len); }

/* a bin of l1 or l2 bytes (or, any_max > 0, up to any_max) */
static void tm_bytes_dec(cw_dec *d, const msgpack_object *o, cw_tm_bytes *out, size_t l1,
                         size_t l2, size_t any_max, const char *what, const char *field)
{
    cw_bytes b = cw_dec_bin(d, o, CW_TM_BYTES_MAX, "%s.%s", what, field);
    memset(out, 0, sizeof *out);
    if (d->rc)
        return;
    if (!(b.len == l1 || b.len == l2 || (any_max && b.len <= any_max))) {
        cw_dec_fail(d, CW_EINVAL, "%s.%s: %zu bytes", what, field, b.len);
        return;
    }
    if (b.len)
        memcpy(out->b, b.p, b.len);
    out->len = (uint8_t)b.len;
}

static void tm_block_id_enc(cw_enc *e, const cw_tm_block_id *b)
{
    cw_enc_array(e, 3);
    tm_bytes_enc(e, &b->hash);
    cw_enc_u64(e, b->parts_total);
    tm_bytes_enc(e, &b->parts_hash);
}

static void tm_block_id_dec(cw_dec *d, const msgpack_object *o, cw_tm_block_id *b,
                            const char *what)
{
    const msgpack_object *f = cw_dec_array(d, o, 3, "%s", what);
    tm_bytes_dec(d, &f[0], &b->hash, 0, 32, 0, what, "hash");
    b->parts_total = (uint32_t)cw_dec_uint_max(d, &f[1], UINT32_MAX, "%s.parts_total", what);
    tm_bytes_dec(d, &f[2], &b->parts_hash, 0, 32, 0, what, "parts_hash");
}

static void tm_valset_enc(cw_enc *e, const cw_tm_valset *vs)
{
    cw_enc_array(e, vs->n);
    for (uint32_t i = 0; i < vs->n; i++) {
        cw_enc_array(e, 2);
        cw_enc_bin(e, vs->v[i].pubkey, 32);
        cw_enc_u64(e, (uint64_t)vs->v[i].power);
    }
}

static void tm_valset_dec(cw_dec *d, const msgpack_object *o, cw_tm_valset *vs, const char *what)
{
    uint32_t n;
    const msgpack_object *items = cw_dec_list(d, o, CW_TM_VALIDATORS_MAX, &n, "%s", what);
    if (d->rc)
        return;
    int rc = cw_tm_valset_init(vs, n);
    if (rc) {
        cw_dec_fail(d, rc, "%s: %s", what, cw_strerror(rc));
        return;
    }
    for (uint32_t i = 0; i < n && !d->rc; i++) {
        const msgpack_object *f = cw_dec_array(d, &items[i], 2, "%s[%u]", what, i);
        cw_dec_bin_fixed(d, &f[0], vs->v[i].pubkey, 32, "%s[%u].pubkey", what, i);
        vs->v[i].power =
            (int64_t)cw_dec_uint_max(d, &f[1], CW_TM_MAX_TOTAL_POWER, "%s[%u].power", what, i);
        uint8_t h[32];
        cw_sha256(h, vs->v[i].pubkey, 32);
        memcpy(vs->v[i].address, h, CW_TM_ADDRESS_LEN);
        /* canonical: already in CometBFT's order, so the set is taken as it came */
        if (i > 0 && !d->rc &&
            (vs->v[i - 1].power < vs->v[i].power ||
             (vs->v[i - 1].power == vs->v[i].power &&
              memcmp(vs->v[i - 1].address, vs->v[i].address, CW_TM_ADDRESS_LEN) >= 0)))
            cw_dec_fail(d, CW_EINVAL, "%s[%u]: not in order (power descending, address "
                                      "ascending)", what, i);
    }
    char err[200];
    if (!d->rc && (rc = cw_tm_valset_finish(vs, err, sizeof err)))
        cw_dec_fail(d, rc == -ENOMEM ? rc : CW_EINVAL, "%s: %s", what, err);
}

void cw_tm_client_header_enc(cw_enc *e, const cw_tm_client_header *th)
{
    const cw_tm_header *h = &th->lb.header;
    const cw_tm_commit *c = &th->lb.commit;
    cw_enc_array(e, 5);
    cw_enc_array(e, 15);
    cw_enc_u64(e, h->version_block);
    cw_enc_u64(e, h->version_app);
    cw_enc_cstr(e, h->chain_id);
    cw_enc_u64(e, h->height < 0 ? 0 : (uint64_t)h->height);
    tm_time_enc(e, h->time);
    tm_block_id_enc(e, &h->last_block_id);
    const cw_tm_bytes *bs[9] = {&h->last_commit_hash, &h->data_hash, &h->validators_hash,
                                 &h->next_validators_hash, &h->consensus_hash, &h->app_hash,
                                 &h->last_results_hash, &h->evidence_hash,
                                 &h->proposer_address};
    for (int i = 0; i < 9; i++)
        tm_bytes_enc(e, bs[i]);
    cw_enc_array(e, 4);
    cw_enc_u64(e, c->height < 0 ? 0 : (uint64_t)c->height);
    cw_enc_u64(e, c->round < 0 ? 0 : (uint64_t)c->round);
    tm_block_id_enc(e, &c->block_id);
    cw_enc_array(e, c->n);
    for (uint32_t i = 0; i < c->n; i++) {
        const cw_tm_commit_sig *s = &c->sigs[i];
        bool absent = s->flag == CW_TM_FLAG_ABSENT;
        cw_enc_array(e, 4);
        cw_enc_u64(e, s->flag);
        cw_enc_bin(e, s->validator_address, absent ? 0 : CW_TM_ADDRESS_LEN);
        tm_time_enc(e, absent ? (cw_tm_time){0, 0} : s->timestamp);
        cw_enc_bin(e, s->signature, absent ? 0 : 64);
    }
    tm_valset_enc(e, &th->lb.validators);
    cw_enc_u64(e, th->trusted_height);
    tm_valset_enc(e, &th->trusted_validators);
}

void cw_tm_client_header_dec(cw_dec *d, const msgpack_object *o, cw_tm_client_header *th,
                             const char *what)
{
    char w[CW_DEC_LABEL_MAX];
    memset(th, 0, sizeof *th);
    const msgpack_object *f = cw_dec_array(d, o, 5, "%s", what);
    cw_tm_header *h = &th->lb.header;
    cw_dec_label(w, sizeof w, what, "header");
    const msgpack_object *hf = cw_dec_array(d, &f[0], 15, "%s", w);
    h->version_block = cw_dec_u64(d, &hf[0], "%s.version_block", w);
    h->version_app = cw_dec_u64(d, &hf[1], "%s.version_app", w);
    cw_bytes cid = cw_dec_str(d, &hf[2], CW_TM_CHAIN_ID_MAX, "%s.chain_id", w);
    if (!d->rc && cid.len && memchr(cid.p, 0, cid.len))
        cw_dec_fail(d, CW_EINVAL, "%s.chain_id: contains a NUL byte", w);
    else if (!d->rc && cid.len)
        memcpy(h->chain_id, cid.p, cid.len);
    h->height = (int64_t)cw_dec_uint_max(d, &hf[3], INT64_MAX, "%s.height", w);
    h->time = tm_time_dec(d, &hf[4], CW_DEC_LABEL(w, "time"));
    tm_block_id_dec(d, &hf[5], &h->last_block_id, CW_DEC_LABEL(w, "last_block_id"));
    static const char *const names[9] = {
        "last_commit_hash", "data_hash",    "validators_hash",   "next_validators_hash",
        "consensus_hash",   "app_hash",     "last_results_hash", "evidence_hash",
        "proposer_address"};
    cw_tm_bytes *bs[9] = {&h->last_commit_hash, &h->data_hash, &h->validators_hash,
                          &h->next_validators_hash, &h->consensus_hash, &h->app_hash,
                          &h->last_results_hash, &h->evidence_hash, &h->proposer_address};
    for (int i = 0; i < 9; i++)
        tm_bytes_dec(d, &hf[6 + i], bs[i], 0, i == 8 ? CW_TM_ADDRESS_LEN : 32,
                     i == 5 ? CW_TM_BYTES_MAX : 0, w, names[i]);

    cw_tm_commit *c = &th->lb.commit;
    cw_dec_label(w, sizeof w, what, "commit");
    const msgpack_object *cf = cw_dec_array(d, &f[1], 4, "%s", w);
    c->height = (int64_t)cw_dec_uint_max(d, &cf[0], INT64_MAX, "%s.height", w);
    c->round = (int32_t)cw_dec_uint_max(d, &cf[1], INT32_MAX, "%s.round", w);
    tm_block_id_dec(d, &cf[2], &c->block_id, CW_DEC_LABEL(w, "block_id"));
    uint32_t n;
    const msgpack_object *sigs =
        cw_dec_list(d, &cf[3], CW_TM_VALIDATORS_MAX, &n, "%s.signatures", w);
    if (!d->rc && n && !(c->sigs = calloc(n, sizeof *c->sigs)))
        cw_dec_fail(d, -ENOMEM, "%s.signatures: out of memory", w);
    if (!d->rc)
        c->n = n;
    for (uint32_t i = 0; i < c->n && !d->rc; i++) {
        cw_tm_commit_sig *s = &c->sigs[i];
        const msgpack_object *sf = cw_dec_array(d, &sigs[i], 4, "%s.signatures[%u]", w, i);
        s->flag = (uint8_t)cw_dec_uint_max(d, &sf[0], 3, "%s.signatures[%u].flag", w, i);
        bool absent = s->flag == CW_TM_FLAG_ABSENT;
        if (!d->rc && s->flag == 0)
            cw_dec_fail(d, CW_EINVAL, "%s.signatures[%u].flag: 0", w, i);
        cw_bytes a = cw_dec_bin(d, &sf[1], CW_TM_ADDRESS_LEN, "%s.signatures[%u].address", w, i);
        s->timestamp = tm_time_dec(d, &sf[2], CW_DEC_LABEL(w, "signatures[].time"));
        cw_bytes sg = cw_dec_bin(d, &sf[3], 64, "%s.signatures[%u].signature", w, i);
        if (d->rc)
            break;
        if (absent ? (a.len || sg.len || s->timestamp.seconds || s->timestamp.nanos)
                   : (a.len != CW_TM_ADDRESS_LEN || sg.len != 64)) {
            cw_dec_fail(d, CW_EINVAL, "%s.signatures[%u]: %s", w, i,
                        absent ? "an absent entry carries nothing"
                               : "a vote needs a 20-byte address and a 64-byte signature");
            break;
        }
        if (!absent) {
            memcpy(s->validator_address, a.p, CW_TM_ADDRESS_LEN);
            memcpy(s->signature, sg.p, 64);
            s->has_address = s->has_signature = true;
        }
    }
    tm_valset_dec(d, &f[2], &th->lb.validators, CW_DEC_LABEL(what, "validator_set"));
    th->trusted_height = cw_dec_uint_max(d, &f[3], INT64_MAX, "%s.trusted_height", what);
    tm_valset_dec(d, &f[4], &th->trusted_validators,
                  CW_DEC_LABEL(what, "trusted_validator_set"));
}

void cw_tm_client_header_free(cw_tm_client_header *h)
{
    if (!h)
        return;
    cw_tm_light_block_free(&h->lb);
    cw_tm_valset_free(&h->trusted_validators);
}

void cw_msg_update_client_tm_enc(cw_enc *e, const cw_msg_update_client_tm *m)
{
    cw_msg_begin(e, CW_MSG_IBC_UPDATE_CLIENT_TM, 2);
    cw_enc_cstr(e, m->client_id);
    cw_tm_client_header_enc(e, &m->header);
}

void cw_msg_update_client_tm_dec(cw_dec *d, const msgpack_object *body,
                                 cw_msg_update_client_tm *m, const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 2, "%s", what);
    cw_dec_id(d, &f[0], m->client_id, "client_id");
    cw_tm_client_header_dec(d, &f[1], &m->header, "header");
}

void cw_msg_update_client_tm_free(cw_msg_update_client_tm *m)
{
    if (m)
        cw_tm_client_header_free(&m->header);
}

void cw_msg_submit_misbehaviour_tm_enc(cw_enc *e, const cw_msg_submit_misbehaviour_tm *m)
{
    cw_msg_begin(e, CW_MSG_IBC_SUBMIT_MISBEHAVIOUR_TM, 3);
    cw_enc_cstr(e, m->client_id);
    cw_tm_client_header_enc(e, &m->header1);
    cw_tm_client_header_enc(e, &m->header2);
}

void cw_msg_submit_misbehaviour_tm_dec(cw_dec *d, const msgpack_object *body,
                                       cw_msg_submit_misbehaviour_tm *m, const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 3, "%s", what);
    cw_dec_id(d, &f[0], m->client_id, "client_id");
    cw_tm_client_header_dec(d, &f[1], &m->header1, "header1");
    cw_tm_client_header_dec(d, &f[2], &m->header2, "header2");
}

void cw_msg_submit_misbehaviour_tm_free(cw_msg_submit_misbehaviour_tm *m)
{
    if (!m)
        return;
    cw_tm_client_header_free(&m->header1);
    cw_tm_client_header_free(&m->header2);
}

/* MsgUpdateClient and MsgSubmitMisbehaviour have their codecs in common/block.c, at the
 * buffer level: the Msg encoders append block.c's encoding, the decoders re-read the body's
 * canonical bytes with block.c's decoder (the result owns its memory). */

static void block_body_enc(cw_enc *e, const char *type, uint8_t *buf, size_t len, int rc)
{
    cw_enc_array(e, 2);
    cw_enc_cstr(e, type);
    if (rc == CW_OK)
        cw_enc_raw(e, buf, len);
    else if (!e->rc)
        e->rc = rc;
    free(buf);
}

static void block_body_dec(cw_dec *d, const msgpack_object *body, const char *what,
                           int (*decode)(void *m, const uint8_t *buf, size_t len, char *err,
                                         size_t err_len),
                           void *m)
{
    if (d->rc)
        return;
    cw_enc raw;
    char err[256] = "";
    cw_enc_init(&raw);
    int rc = cw_enc_object(&raw, body);
    if (rc)
        cw_dec_fail(d, rc, "%s: out of memory", what);
    else if ((rc = decode(m, cw_enc_data(&raw), cw_enc_len(&raw), err, sizeof err)))
        cw_dec_fail(d, rc, "%s", err);
    cw_enc_free(&raw);
}

void cw_msg_update_client_enc(cw_enc *e, const cw_msg_update_client *m)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = cw_msg_update_client_encode(&buf, &len, m);
    block_body_enc(e, CW_MSG_IBC_UPDATE_CLIENT, buf, len, rc);
}

static int update_client_decode(void *m, const uint8_t *buf, size_t len, char *err,
                                size_t err_len)
{
    return cw_msg_update_client_decode(m, buf, len, err, err_len);
}

void cw_msg_update_client_dec(cw_dec *d, const msgpack_object *body, cw_msg_update_client *m,
                              const char *what)
{
    memset(m, 0, sizeof *m);
    block_body_dec(d, body, what, update_client_decode, m);
}

void cw_msg_submit_misbehaviour_enc(cw_enc *e, const cw_msg_submit_misbehaviour *m)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = cw_msg_submit_misbehaviour_encode(&buf, &len, m);
    block_body_enc(e, CW_MSG_IBC_SUBMIT_MISBEHAVIOUR, buf, len, rc);
}

static int submit_misbehaviour_decode(void *m, const uint8_t *buf, size_t len, char *err,
                                      size_t err_len)
{
    return cw_msg_submit_misbehaviour_decode(m, buf, len, err, err_len);
}

void cw_msg_submit_misbehaviour_dec(cw_dec *d, const msgpack_object *body,
                                    cw_msg_submit_misbehaviour *m, const char *what)
{
    memset(m, 0, sizeof *m);
    block_body_dec(d, body, what, submit_misbehaviour_decode, m);
}

void cw_msg_recover_client_enc(cw_enc *e, const cw_msg_recover_client *m)
{
    cw_msg_begin(e, CW_MSG_IBC_RECOVER_CLIENT, 2);
    cw_enc_cstr(e, m->subject_client_id);
    cw_enc_cstr(e, m->substitute_client_id);
}

void cw_msg_recover_client_dec(cw_dec *d, const msgpack_object *body, cw_msg_recover_client *m,
                               const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 2, "%s", what);
    cw_dec_id(d, &f[0], m->subject_client_id, "subject");
    cw_dec_id(d, &f[1], m->substitute_client_id, "substitute");
}

/* ---- channel handshake ----------------------------------------------------------------- */

void cw_msg_chan_open_init_enc(cw_enc *e, const cw_msg_chan_open_init *m)
{
    cw_msg_begin(e, CW_MSG_IBC_CHAN_OPEN_INIT, 6);
    cw_enc_cstr(e, m->port);
    cw_enc_u64(e, m->ordering);
    cw_enc_cstr(e, m->counterparty_port);
    cw_enc_cstr(e, m->client_id);
    cw_enc_cstr(e, m->counterparty_client_id);
    cw_enc_cstr(e, m->version);
}

void cw_msg_chan_open_init_dec(cw_dec *d, const msgpack_object *body, cw_msg_chan_open_init *m,
                               const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 6, "%s", what);
    cw_dec_id(d, &f[0], m->port, "port");
    m->ordering = ordering_dec(d, &f[1]);
    cw_dec_id(d, &f[2], m->counterparty_port, "counterparty_port");
    cw_dec_id(d, &f[3], m->client_id, "client_id");
    cw_dec_id(d, &f[4], m->counterparty_client_id, "counterparty_client_id");
    cw_dec_id(d, &f[5], m->version, "version");
    ordering_check(d, m->ordering);
}

void cw_msg_chan_open_try_enc(cw_enc *e, const cw_msg_chan_open_try *m)
{
    cw_msg_begin(e, CW_MSG_IBC_CHAN_OPEN_TRY, 13);
    cw_enc_cstr(e, m->port);
    cw_enc_u64(e, m->ordering);
    cw_enc_cstr(e, m->counterparty_port);
    cw_enc_cstr(e, m->counterparty_channel);
    cw_enc_cstr(e, m->client_id);
    cw_enc_cstr(e, m->counterparty_client_id);
    cw_enc_cstr(e, m->version);
    cw_enc_cstr(e, m->counterparty_version);
    client_tail_enc(e, &m->proof_init, &m->counterparty_client_state, &m->proof_client,
                    &m->proof_consensus, m->proof_height);
}

void cw_msg_chan_open_try_dec(cw_dec *d, const msgpack_object *body, cw_msg_chan_open_try *m,
                              const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 13, "%s", what);
    cw_dec_id(d, &f[0], m->port, "port");
    m->ordering = ordering_dec(d, &f[1]);
    cw_dec_id(d, &f[2], m->counterparty_port, "counterparty_port");
    cw_dec_id(d, &f[3], m->counterparty_channel, "counterparty_channel");
    cw_dec_id(d, &f[4], m->client_id, "client_id");
    cw_dec_id(d, &f[5], m->counterparty_client_id, "counterparty_client_id");
    cw_dec_id(d, &f[6], m->version, "version");
    cw_dec_id(d, &f[7], m->counterparty_version, "counterparty_version");
    client_tail_dec(d, &f[8], "proof_init",
                    &(client_tail){&m->proof_init, &m->counterparty_client_state,
                                   &m->proof_client, &m->proof_consensus, &m->proof_height});
    ordering_check(d, m->ordering);
}

void cw_msg_chan_open_ack_enc(cw_enc *e, const cw_msg_chan_open_ack *m)
{
    cw_msg_begin(e, CW_MSG_IBC_CHAN_OPEN_ACK, 9);
    port_channel_enc(e, m->port, m->channel);
    cw_enc_cstr(e, m->counterparty_channel);
    cw_enc_cstr(e, m->counterparty_version);
    client_tail_enc(e, &m->proof_try, &m->counterparty_client_state, &m->proof_client,
                    &m->proof_consensus, m->proof_height);
}

void cw_msg_chan_open_ack_dec(cw_dec *d, const msgpack_object *body, cw_msg_chan_open_ack *m,
                              const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 9, "%s", what);
    port_channel_dec(d, f, m->port, m->channel);
    cw_dec_id(d, &f[2], m->counterparty_channel, "counterparty_channel");
    cw_dec_id(d, &f[3], m->counterparty_version, "counterparty_version");
    client_tail_dec(d, &f[4], "proof_try",
                    &(client_tail){&m->proof_try, &m->counterparty_client_state,
                                   &m->proof_client, &m->proof_consensus, &m->proof_height});
}

void cw_msg_chan_open_confirm_enc(cw_enc *e, const cw_msg_chan_open_confirm *m)
{
    confirm_enc(e, CW_MSG_IBC_CHAN_OPEN_CONFIRM, m->port, m->channel, m->proof_ack,
                m->proof_height);
}

void cw_msg_chan_open_confirm_dec(cw_dec *d, const msgpack_object *body,
                                  cw_msg_chan_open_confirm *m, const char *what)
{
    memset(m, 0, sizeof *m);
    confirm_dec(d, body, what, m->port, m->channel, "proof_ack", &m->proof_ack,
                &m->proof_height);
}

void cw_msg_chan_close_init_enc(cw_enc *e, const cw_msg_chan_close_init *m)
{
    cw_msg_begin(e, CW_MSG_IBC_CHAN_CLOSE_INIT, 2);
    port_channel_enc(e, m->port, m->channel);
}

void cw_msg_chan_close_init_dec(cw_dec *d, const msgpack_object *body,
                                cw_msg_chan_close_init *m, const char *what)
{
    memset(m, 0, sizeof *m);
    port_channel_dec(d, cw_dec_array(d, body, 2, "%s", what), m->port, m->channel);
}

void cw_msg_chan_close_confirm_enc(cw_enc *e, const cw_msg_chan_close_confirm *m)
{
    confirm_enc(e, CW_MSG_IBC_CHAN_CLOSE_CONFIRM, m->port, m->channel, m->proof_init,
                m->proof_height);
}

void cw_msg_chan_close_confirm_dec(cw_dec *d, const msgpack_object *body,
                                   cw_msg_chan_close_confirm *m, const char *what)
{
    memset(m, 0, sizeof *m);
    confirm_dec(d, body, what, m->port, m->channel, "proof_init", &m->proof_init,
                &m->proof_height);
}

/* ---- packets ------------------------------------------------------------------------- */

void cw_msg_recv_packet_enc(cw_enc *e, const cw_msg_recv_packet *m)
{
    cw_msg_begin(e, CW_MSG_IBC_RECV_PACKET, 3);
    cw_packet_enc(e, &m->packet);
    bytes_enc(e, m->proof_commitment);
    cw_enc_u64(e, m->proof_height);
}

void cw_msg_recv_packet_dec(cw_dec *d, const msgpack_object *body, cw_msg_recv_packet *m,
                            const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = packet_head_dec(d, body, 3, what, &m->packet);
    m->proof_commitment = proof_dec(d, &f[1], "proof_commitment");
    m->proof_height = cw_dec_u64(d, &f[2], "proof_height");
}

void cw_msg_acknowledgement_enc(cw_enc *e, const cw_msg_acknowledgement *m)
{
    cw_msg_begin(e, CW_MSG_IBC_ACKNOWLEDGEMENT, 4);
    cw_packet_enc(e, &m->packet);
    bytes_enc(e, m->ack);
    bytes_enc(e, m->proof_acked);
    cw_enc_u64(e, m->proof_height);
}

void cw_msg_acknowledgement_dec(cw_dec *d, const msgpack_object *body,
                                cw_msg_acknowledgement *m, const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = packet_head_dec(d, body, 4, what, &m->packet);
    m->ack = cw_dec_bin(d, &f[1], CW_ACK_MAX, "ack");
    m->proof_acked = proof_dec(d, &f[2], "proof_acked");
    m->proof_height = cw_dec_u64(d, &f[3], "proof_height");
}

/* timeout_on_close is timeout with proof_close after proof_unreceived: one codec for both
 * (proof_close NULL for ibc.timeout). */
static void timeout_enc(cw_enc *e, const char *type, const cw_packet *packet,
                        cw_bytes proof_unreceived, const cw_bytes *proof_close,
                        uint64_t proof_height, uint64_t next_sequence_recv)
{
    cw_msg_begin(e, type, proof_close ? 5 : 4);
    cw_packet_enc(e, packet);
    bytes_enc(e, proof_unreceived);
    if (proof_close)
        bytes_enc(e, *proof_close);
    cw_enc_u64(e, proof_height);
    cw_enc_u64(e, next_sequence_recv);
}

static void timeout_dec(cw_dec *d, const msgpack_object *body, const char *what,
                        cw_packet *packet, cw_bytes *proof_unreceived, cw_bytes *proof_close,
                        uint64_t *proof_height, uint64_t *next_sequence_recv)
{
    const msgpack_object *f = packet_head_dec(d, body, proof_close ? 5 : 4, what, packet);
    size_t i = 1;
    *proof_unreceived = proof_dec(d, &f[i++], "proof_unreceived");
    if (proof_close)
        *proof_close = proof_dec(d, &f[i++], "proof_close");
    *proof_height = cw_dec_u64(d, &f[i++], "proof_height");
    *next_sequence_recv = cw_dec_u64(d, &f[i], "next_sequence_recv");
}

void cw_msg_timeout_enc(cw_enc *e, const cw_msg_timeout *m)
{
    timeout_enc(e, CW_MSG_IBC_TIMEOUT, &m->packet, m->proof_unreceived, NULL, m->proof_height,
                m->next_sequence_recv);
}

void cw_msg_timeout_dec(cw_dec *d, const msgpack_object *body, cw_msg_timeout *m,
                        const char *what)
{
    memset(m, 0, sizeof *m);
    timeout_dec(d, body, what, &m->packet, &m->proof_unreceived, NULL, &m->proof_height,
                &m->next_sequence_recv);
}

void cw_msg_timeout_on_close_enc(cw_enc *e, const cw_msg_timeout_on_close *m)
{
    timeout_enc(e, CW_MSG_IBC_TIMEOUT_ON_CLOSE, &m->packet, m->proof_unreceived,
                &m->proof_close, m->proof_height, m->next_sequence_recv);
}

void cw_msg_timeout_on_close_dec(cw_dec *d, const msgpack_object *body,
                                 cw_msg_timeout_on_close *m, const char *what)
{
    memset(m, 0, sizeof *m);
    timeout_dec(d, body, what, &m->packet, &m->proof_unreceived, &m->proof_close,
                &m->proof_height, &m->next_sequence_recv);
}

/* ---- the table ----------------------------------------------------------------------- */

CW_MSG_CODEC_FREE_ADAPTER(update_client)
CW_MSG_CODEC_FREE_ADAPTER(submit_misbehaviour)
CW_MSG_CODEC_FREE_ADAPTER(update_client_tm)
CW_MSG_CODEC_FREE_ADAPTER(submit_misbehaviour_tm)

#define IBC_MSGS(M)                                                                               \
    M(CW_MSG_IBC_CREATE_CLIENT, create_client, NULL)                                              \
    M(CW_MSG_IBC_UPDATE_CLIENT, update_client, update_client_free_any)                            \
    M(CW_MSG_IBC_SUBMIT_MISBEHAVIOUR, submit_misbehaviour, submit_misbehaviour_free_any)          \
    M(CW_MSG_IBC_UPDATE_CLIENT_TM, update_client_tm, update_client_tm_free_any)                   \
    M(CW_MSG_IBC_SUBMIT_MISBEHAVIOUR_TM, submit_misbehaviour_tm,                                  \
      submit_misbehaviour_tm_free_any)                                                            \
    M(CW_MSG_IBC_RECOVER_CLIENT, recover_client, NULL)                                            \
    M(CW_MSG_IBC_CHAN_OPEN_INIT, chan_open_init, NULL)                                            \
    M(CW_MSG_IBC_CHAN_OPEN_TRY, chan_open_try, NULL)                                              \
    M(CW_MSG_IBC_CHAN_OPEN_ACK, chan_open_ack, NULL)                                              \
    M(CW_MSG_IBC_CHAN_OPEN_CONFIRM, chan_open_confirm, NULL)                                      \
    M(CW_MSG_IBC_CHAN_CLOSE_INIT, chan_close_init, NULL)                                          \
    M(CW_MSG_IBC_CHAN_CLOSE_CONFIRM, chan_close_confirm, NULL)                                    \
    M(CW_MSG_IBC_RECV_PACKET, recv_packet, NULL)                                                  \
    M(CW_MSG_IBC_ACKNOWLEDGEMENT, acknowledgement, NULL)                                          \
    M(CW_MSG_IBC_TIMEOUT, timeout, NULL)                                                          \
    M(CW_MSG_IBC_TIMEOUT_ON_CLOSE, timeout_on_close, NULL)

IBC_MSGS(CW_MSG_CODEC_ADAPTERS_OF)

static const cw_msg_codec g_ibc_codecs[] = {IBC_MSGS(CW_MSG_CODEC_ROW_OF)};

const cw_msg_codec *cw_msg_codecs_ibc(size_t *n)
{
    *n = sizeof g_ibc_codecs / sizeof g_ibc_codecs[0];
    return g_ibc_codecs;
}

const cw_msg_codec *cw_msg_codec_find(const cw_msg_codec *table, size_t n, const char *type,
                                      size_t type_len)
{
    if (type_len == 0) /* no row has an empty type (and type may then be NULL) */
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strlen(table[i].type) == type_len && memcmp(table[i].type, type, type_len) == 0)
            return &table[i];
    return NULL;
}
