#include "causeway/packet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/hash.h"

void cw_packet_enc(cw_enc *e, const cw_packet *p)
{
    cw_enc_array(e, 8);
    cw_enc_u64(e, p->sequence);
    cw_enc_cstr(e, p->source_port);
    cw_enc_cstr(e, p->source_channel);
    cw_enc_cstr(e, p->dest_port);
    cw_enc_cstr(e, p->dest_channel);
    cw_enc_bin(e, p->data.p, p->data.len);
    cw_enc_u64(e, p->timeout_height);
    cw_enc_u64(e, p->timeout_timestamp_ns);
}

void cw_packet_dec(cw_dec *d, const msgpack_object *o, cw_packet *p, const char *what)
{
    memset(p, 0, sizeof *p);
    const msgpack_object *f = cw_dec_array(d, o, 8, "%s", what);
    p->sequence = cw_dec_u64(d, &f[0], "%s.sequence", what);
    cw_dec_id(d, &f[1], p->source_port, "%s.source_port", what);
    cw_dec_id(d, &f[2], p->source_channel, "%s.source_channel", what);
    cw_dec_id(d, &f[3], p->dest_port, "%s.dest_port", what);
    cw_dec_id(d, &f[4], p->dest_channel, "%s.dest_channel", what);
    p->data = cw_dec_bin(d, &f[5], CW_PACKET_DATA_MAX, "%s.data", what);
    p->timeout_height = cw_dec_u64(d, &f[6], "%s.timeout_height", what);
    p->timeout_timestamp_ns = cw_dec_u64(d, &f[7], "%s.timeout_timestamp", what);
    if (d->rc)
        return;
    if (p->sequence == 0)
        cw_dec_fail(d, CW_EINVAL, "%s.sequence: must be > 0", what);
    else if (p->timeout_height == 0 && p->timeout_timestamp_ns == 0)
        cw_dec_fail(d, CW_EINVAL, "%s: timeout_height and timeout_timestamp are both 0", what);
}

void cw_channel_end_enc(cw_enc *e, const cw_channel_end *ce)
{
    cw_enc_array(e, 7);
    cw_enc_u64(e, ce->state);
    cw_enc_u64(e, ce->ordering);
    cw_enc_cstr(e, ce->counterparty_port);
    cw_enc_cstr(e, ce->counterparty_channel);
    cw_enc_cstr(e, ce->client_id);
    cw_enc_cstr(e, ce->counterparty_client_id);
    cw_enc_cstr(e, ce->version);
}

void cw_channel_end_dec(cw_dec *d, const msgpack_object *o, cw_channel_end *ce,
                        const char *what)
{
    memset(ce, 0, sizeof *ce);
    const msgpack_object *f = cw_dec_array(d, o, 7, "%s", what);
    ce->state = (uint8_t)cw_dec_uint_max(d, &f[0], CW_CHAN_CLOSED, "%s.state", what);
    ce->ordering = (uint8_t)cw_dec_uint_max(d, &f[1], CW_ORDER_ORDERED, "%s.ordering", what);
    cw_dec_id(d, &f[2], ce->counterparty_port, "%s.counterparty_port", what);
    if (d->rc == CW_OK && f[3].type == MSGPACK_OBJECT_STR && f[3].via.str.size == 0)
        ce->counterparty_channel[0] = '\0';
    else
        cw_dec_id(d, &f[3], ce->counterparty_channel, "%s.counterparty_channel", what);
    cw_dec_id(d, &f[4], ce->client_id, "%s.client_id", what);
    cw_dec_id(d, &f[5], ce->counterparty_client_id, "%s.counterparty_client_id", what);
    cw_dec_id(d, &f[6], ce->version, "%s.version", what);
    if (d->rc)
        return;
    if (ce->state == 0 || ce->ordering == 0)
        cw_dec_fail(d, CW_EINVAL, "%s: state and ordering must be set", what);
    else if ((ce->counterparty_channel[0] == '\0') != (ce->state == CW_CHAN_INIT))
        cw_dec_fail(d, CW_EINVAL, "%s: counterparty_channel is empty exactly in INIT", what);
}

static void packet_free(cw_packet *p) { memset(p, 0, sizeof *p); }
static void channel_end_free(cw_channel_end *ce) { memset(ce, 0, sizeof *ce); }

CW_CODEC_DEFINE_DECODE(cw_packet_decode, cw_packet, cw_packet_dec, packet_free, "packet")
CW_CODEC_DEFINE_DECODE(cw_channel_end_decode, cw_channel_end, cw_channel_end_dec,
                       channel_end_free, "channel_end")

void cw_packet_commitment(uint8_t out[static 32], const cw_packet *p)
{
    uint8_t buf[24 + 32];
    cw_be64_put(buf, p->timeout_timestamp_ns);
    cw_be64_put(buf + 8, 0); /* revision number */
    cw_be64_put(buf + 16, p->timeout_height);
    cw_sha256(buf + 24, p->data.p, p->data.len);
    cw_sha256(out, buf, sizeof buf);
}

bool cw_packet_timed_out(const cw_packet *p, uint64_t height, uint64_t time_ns)
{
    return (p->timeout_height != 0 && height >= p->timeout_height) ||
           (p->timeout_timestamp_ns != 0 && time_ns >= p->timeout_timestamp_ns);
}

void cw_ack_enc_ok(cw_enc *e, const void *result, size_t len)
{
    cw_enc_array(e, 2);
    cw_enc_bool(e, true);
    cw_enc_bin(e, result, len);
}

void cw_ack_enc_error(cw_enc *e, const char *error)
{
    size_t n = strlen(error);
    cw_enc_array(e, 2);
    cw_enc_bool(e, false);
    cw_enc_str(e, error, n > 256 ? 256 : n);
}

int cw_ack_decode(bool *ok, cw_bytes *payload, const uint8_t *buf, size_t len, char *err,
                  size_t err_len)
{
    cw_dec d;
    const msgpack_object *root;
    *ok = false;
    payload->p = NULL;
    payload->len = 0;
    int rc = cw_dec_open(&d, &root, buf, len, CW_ACK_MAX, err, err_len);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 2, "ack");
        *ok = cw_dec_bool(&d, &f[0], "ack.ok");
        if (*ok)
            *payload = cw_dec_bin(&d, &f[1], CW_ACK_MAX, "ack.result");
        else
            *payload = cw_dec_str(&d, &f[1], CW_ACK_MAX, "ack.error");
        rc = d.rc;
    }
    cw_dec_close(&d);
    if (rc) {
        *ok = false;
        payload->p = NULL;
        payload->len = 0;
    }
    return rc;
}

void cw_path_client_state(char *out, const char *client_id)
{
    snprintf(out, CW_PATH_MAX, "clients/%s/clientState", client_id);
}

void cw_path_client_type(char *out, const char *client_id)
{
    snprintf(out, CW_PATH_MAX, "clients/%s/clientType", client_id);
}

void cw_path_consensus_state(char *out, const char *client_id, uint64_t height)
{
    snprintf(out, CW_PATH_MAX, "clients/%s/consensusStates/%llu", client_id,
             (unsigned long long)height);
}

void cw_path_channel_end(char *out, const char *port, const char *channel)
{
    snprintf(out, CW_PATH_MAX, "channelEnds/ports/%s/channels/%s", port, channel);
}

void cw_path_next_seq(char *out, const char *which, const char *port, const char *channel)
{
    snprintf(out, CW_PATH_MAX, "%s/ports/%s/channels/%s", which, port, channel);
}

void cw_path_packet(char *out, const char *which, const char *port, const char *channel,
                    uint64_t seq)
{
    snprintf(out, CW_PATH_MAX, "%s/ports/%s/channels/%s/sequences/%llu", which, port, channel,
             (unsigned long long)seq);
}
