/* The ibc.* msgs: one encode/decode pair per msg (causeway/msgs.h). The field layouts here
 * are the wire contract; the host's handlers (channels/ibc_*.c) decode through them. */
#include "causeway/msgs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
    cw_msg_begin(e, CW_MSG_IBC_CREATE_CLIENT, 2);
    cw_lc_client_state_enc(e, &m->client_state);
    cw_lc_consensus_state_enc(e, &m->consensus_state);
}

void cw_msg_create_client_dec(cw_dec *d, const msgpack_object *body, cw_msg_create_client *m,
                              const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, body, 2, "%s", what);
    cw_lc_client_state_dec(d, &f[0], &m->client_state, "client_state");
    cw_lc_consensus_state_dec(d, &f[1], &m->consensus_state, "consensus_state");
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

#define IBC_MSGS(M)                                                                               \
    M(CW_MSG_IBC_CREATE_CLIENT, create_client, NULL)                                              \
    M(CW_MSG_IBC_UPDATE_CLIENT, update_client, update_client_free_any)                            \
    M(CW_MSG_IBC_SUBMIT_MISBEHAVIOUR, submit_misbehaviour, submit_misbehaviour_free_any)          \
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
