/* The ibc.* wire contract (causeway/msgs.h) and the ChannelEnd (causeway/packet.h): every
 * msg round-trips field for field and byte for byte, the wire shape of three msgs is pinned
 * to hand-written bytes, and the decoders refuse a wrong arity, a body that is not an array,
 * an over-long or malformed identifier, an oversize proof / ack / client state, an ordering
 * outside 1..2 and a packet without a sequence.
 *
 * Seed corpus: CW_MSGS_CORPUS=tests/fuzz/corpus/fuzz_msgs build/san/tests/unit/test_msgs
 * writes each sample msg there in both of fuzz_msgs's input forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/msgs.h"
#include "../tm_testgen.h"

static char ERR[512];

/* ---- one sample per msg ---------------------------------------------------------------- */

static const uint8_t P1[] = {0x0a, 0x01, 0x02}, P2[] = {0x0b, 0x03}, P3[] = {0x0c},
                     P4[] = {0x0d, 0x0e, 0x0f, 0x10}, CS_BYTES[] = {0x97, 0xa4, 'b', 'e', 't', 'a'},
                     ACK[] = {0x92, 0xc3, 0xc4, 0x01, 0x01}, DATA[] = "hello";
#define B(x) ((cw_bytes){(x), sizeof(x)})

static struct {
    cw_msg_create_client create_client;
    cw_msg_update_client update_client;
    cw_msg_submit_misbehaviour submit_misbehaviour;
    cw_msg_update_client_tm update_client_tm;
    cw_msg_submit_misbehaviour_tm submit_misbehaviour_tm;
    cw_msg_recover_client recover_client;
    cw_msg_chan_open_init chan_open_init;
    cw_msg_chan_open_try chan_open_try;
    cw_msg_chan_open_ack chan_open_ack;
    cw_msg_chan_open_confirm chan_open_confirm;
    cw_msg_chan_close_init chan_close_init;
    cw_msg_chan_close_confirm chan_close_confirm;
    cw_msg_recv_packet recv_packet;
    cw_msg_acknowledgement acknowledgement;
    cw_msg_timeout timeout;
    cw_msg_timeout_on_close timeout_on_close;
} S;

#define ID(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

static cw_packet sample_packet(void)
{
    cw_packet p;
    memset(&p, 0, sizeof p);
    p.sequence = 7;
    ID(p.source_port, "collateral");
    ID(p.source_channel, "channel-0");
    ID(p.dest_port, "collateral");
    ID(p.dest_channel, "channel-3");
    p.data = (cw_bytes){DATA, 5};
    p.timeout_height = 100;
    p.timeout_timestamp_ns = 1800000000000000000ull;
    return p;
}

/* An update header: a signed 4-validator block at `height` of chain alpha, trusting
 * height 3 with the same set. */
static void sample_update(cw_update_header *u, uint64_t height, uint8_t root_byte)
{
    static const uint8_t seed[32] = {9}, aux[32];
    cw_seckey keys[4];
    cw_validator_set vs;
    cw_light_block lb;
    cw_header h;
    memset(&h, 0, sizeof h);
    ID(h.chain_id, "alpha");
    h.height = height;
    h.time_ns = 1700000000000000000ull + height;
    memset(h.state_root, root_byte, 32);
    assert_int_equal(cw_gen_validator_set(&vs, keys, seed, 0, 4, NULL), CW_OK);
    h.proposer = vs.v[0].pubkey;
    assert_int_equal(cw_gen_light_block(&lb, &h, &vs, keys, &vs, NULL, aux, ERR, sizeof ERR),
                     CW_OK);
    memset(keys, 0, sizeof keys);
    memset(u, 0, sizeof *u);
    u->signed_header = lb.signed_header; /* ownership moves to u */
    u->validator_set = lb.validator_set;
    u->trusted_height = 3;
    u->has_trusted_validator_set = true;
    u->trusted_validator_set = vs;
    cw_validator_set_free(&lb.next_validator_set);
}

static int setup(void **state)
{
    (void)state;
    memset(&S, 0, sizeof S);
    cw_update_header u;
    sample_update(&u, 5, 0xab);
    ID(S.create_client.client_type, CW_CLIENT_TYPE_BIP340);
    cw_lc_client_state *cs = &S.create_client.client_state;
    assert_int_equal(cw_lc_client_state_default(cs, "alpha"), CW_OK);
    cs->latest_height = 5;
    cw_lc_consensus_state_of(&S.create_client.consensus_state, &u.signed_header.header);

    ID(S.update_client.client_id, "client-0");
    S.update_client.update = u;
    ID(S.submit_misbehaviour.client_id, "client-1");
    sample_update(&S.submit_misbehaviour.header1, 6, 0x01);
    sample_update(&S.submit_misbehaviour.header2, 6, 0x02);
    S.submit_misbehaviour.header2.has_trusted_validator_set = false; /* nil on the wire */
    cw_validator_set_free(&S.submit_misbehaviour.header2.trusted_validator_set);

    ID(S.recover_client.subject_client_id, "client-0");
    ID(S.recover_client.substitute_client_id, "client-2");

    cw_msg_chan_open_init *oi = &S.chan_open_init;
    ID(oi->port, "collateral");
    oi->ordering = CW_ORDER_UNORDERED;
    ID(oi->counterparty_port, "collateral");
    ID(oi->client_id, "client-0");
    ID(oi->counterparty_client_id, "client-1");
    ID(oi->version, "cw-collateral-1");

    cw_msg_chan_open_try *ot = &S.chan_open_try;
    ID(ot->port, "echo");
    ot->ordering = CW_ORDER_ORDERED;
    ID(ot->counterparty_port, "echo");
    ID(ot->counterparty_channel, "channel-4");
    ID(ot->client_id, "client-1");
    ID(ot->counterparty_client_id, "client-0");
    ID(ot->version, "echo-1");
    ID(ot->counterparty_version, "echo-1");
    ot->proof_init = B(P1);
    ot->counterparty_client_state = B(CS_BYTES);
    ot->proof_client = B(P2);
    ot->proof_consensus = B(P3);
    ot->proof_height = 300; /* a uint16 on the wire */

    cw_msg_chan_open_ack *oa = &S.chan_open_ack;
    ID(oa->port, "echo");
    ID(oa->channel, "channel-4");
    ID(oa->counterparty_channel, "channel-9");
    ID(oa->counterparty_version, "echo-1");
    oa->proof_try = B(P4);
    oa->counterparty_client_state = B(CS_BYTES);
    oa->proof_client = B(P1);
    oa->proof_consensus = B(P2);
    oa->proof_height = 70000; /* a uint32 */

    ID(S.chan_open_confirm.port, "echo");
    ID(S.chan_open_confirm.channel, "channel-9");
    S.chan_open_confirm.proof_ack = B(P3);
    S.chan_open_confirm.proof_height = 1ull << 40; /* a uint64 */

    ID(S.chan_close_init.port, "echo");
    ID(S.chan_close_init.channel, "channel-4");

    ID(S.chan_close_confirm.port, "echo");
    ID(S.chan_close_confirm.channel, "channel-9");
    S.chan_close_confirm.proof_init = B(P4);
    S.chan_close_confirm.proof_height = 12;

    S.recv_packet = (cw_msg_recv_packet){sample_packet(), B(P1), 41};
    S.acknowledgement = (cw_msg_acknowledgement){sample_packet(), B(ACK), B(P2), 42};
    S.timeout = (cw_msg_timeout){sample_packet(), B(P3), 43, 7};
    S.timeout_on_close = (cw_msg_timeout_on_close){sample_packet(), B(P4), B(P1), 44, 0};
    /* 07-tendermint samples: a signed header at 11 (3 of 4 vote, one absent) from 10 */
    {
        tmg_key keys[4];
        cw_tm_valset vs;
        cw_tm_light_block lb;
        for (uint32_t i = 0; i < 4; i++)
            assert_int_equal(tmg_key_make(&keys[i], i), 0);
        assert_int_equal(tmg_valset(&vs, keys, 0, 4, NULL), 0);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(tmg_light_block(&lb, "cosmos-1", 11 + k, (cw_tm_time){1700000000, k},
                                             &vs, &vs, keys, 4, 3, NULL), 0);
            cw_tm_valset_free(&lb.next_validators);
            lb.has_next_validators = false;
            cw_tm_client_header *th = k == 0   ? &S.update_client_tm.header
                                      : k == 1 ? &S.submit_misbehaviour_tm.header1
                                               : &S.submit_misbehaviour_tm.header2;
            th->lb = lb;
            th->trusted_height = 10;
            assert_int_equal(cw_tm_valset_copy(&th->trusted_validators, &vs), CW_OK);
        }
        ID(S.update_client_tm.client_id, "client-2");
        ID(S.submit_misbehaviour_tm.client_id, "client-3");
        cw_tm_valset_free(&vs);
        for (uint32_t i = 0; i < 4; i++)
            tmg_key_free(&keys[i]);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cw_msg_update_client_free(&S.update_client);
    cw_msg_submit_misbehaviour_free(&S.submit_misbehaviour);
    cw_msg_update_client_tm_free(&S.update_client_tm);
    cw_msg_submit_misbehaviour_tm_free(&S.submit_misbehaviour_tm);
    return 0;
}

/* ---- what "equal" means: the fields of each struct ------------------------------------ */

typedef enum { F_ID, F_U8, F_U64, F_BYTES, F_PACKET, F_RAW } fkind;
typedef struct field {
    fkind kind;
    size_t off, size;
    const char *name;
} field;
#define FLD(kind, T, f) {kind, offsetof(T, f), sizeof(((T *)0)->f), #f}

static const field F_CREATE[] = {FLD(F_ID, cw_msg_create_client, client_type),
                                 FLD(F_RAW, cw_msg_create_client, client_state),
                                 FLD(F_RAW, cw_msg_create_client, consensus_state)};
/* the 07-tendermint headers: these fields, and the whole through the re-encoding */
static const field F_UPDATE_TM[] = {
    FLD(F_ID, cw_msg_update_client_tm, client_id),
    FLD(F_U64, cw_msg_update_client_tm, header.trusted_height),
    FLD(F_RAW, cw_msg_update_client_tm, header.lb.header),
    FLD(F_RAW, cw_msg_update_client_tm, header.lb.validators.hash)};
static const field F_MISB_TM[] = {
    FLD(F_ID, cw_msg_submit_misbehaviour_tm, client_id),
    FLD(F_RAW, cw_msg_submit_misbehaviour_tm, header1.lb.header),
    FLD(F_RAW, cw_msg_submit_misbehaviour_tm, header2.lb.header),
    FLD(F_RAW, cw_msg_submit_misbehaviour_tm, header2.trusted_validators.hash)};
/* the headers and sets of these two are compared through their re-encoding (byte-exact) */
static const field F_UPDATE[] = {FLD(F_ID, cw_msg_update_client, client_id),
                                 FLD(F_U64, cw_msg_update_client, update.trusted_height),
                                 FLD(F_U64, cw_msg_update_client,
                                     update.signed_header.header.height)};
static const field F_MISB[] = {
    FLD(F_ID, cw_msg_submit_misbehaviour, client_id),
    FLD(F_U64, cw_msg_submit_misbehaviour, header1.signed_header.header.height),
    FLD(F_RAW, cw_msg_submit_misbehaviour, header2.has_trusted_validator_set)};
static const field F_RECOVER[] = {FLD(F_ID, cw_msg_recover_client, subject_client_id),
                                  FLD(F_ID, cw_msg_recover_client, substitute_client_id)};
static const field F_INIT[] = {FLD(F_ID, cw_msg_chan_open_init, port),
                               FLD(F_U8, cw_msg_chan_open_init, ordering),
                               FLD(F_ID, cw_msg_chan_open_init, counterparty_port),
                               FLD(F_ID, cw_msg_chan_open_init, client_id),
                               FLD(F_ID, cw_msg_chan_open_init, counterparty_client_id),
                               FLD(F_ID, cw_msg_chan_open_init, version)};
static const field F_TRY[] = {FLD(F_ID, cw_msg_chan_open_try, port),
                              FLD(F_U8, cw_msg_chan_open_try, ordering),
                              FLD(F_ID, cw_msg_chan_open_try, counterparty_port),
                              FLD(F_ID, cw_msg_chan_open_try, counterparty_channel),
                              FLD(F_ID, cw_msg_chan_open_try, client_id),
                              FLD(F_ID, cw_msg_chan_open_try, counterparty_client_id),
                              FLD(F_ID, cw_msg_chan_open_try, version),
                              FLD(F_ID, cw_msg_chan_open_try, counterparty_version),
                              FLD(F_BYTES, cw_msg_chan_open_try, proof_init),
                              FLD(F_BYTES, cw_msg_chan_open_try, counterparty_client_state),
                              FLD(F_BYTES, cw_msg_chan_open_try, proof_client),
                              FLD(F_BYTES, cw_msg_chan_open_try, proof_consensus),
                              FLD(F_U64, cw_msg_chan_open_try, proof_height)};
static const field F_ACK_STEP[] = {FLD(F_ID, cw_msg_chan_open_ack, port),
                                   FLD(F_ID, cw_msg_chan_open_ack, channel),
                                   FLD(F_ID, cw_msg_chan_open_ack, counterparty_channel),
                                   FLD(F_ID, cw_msg_chan_open_ack, counterparty_version),
                                   FLD(F_BYTES, cw_msg_chan_open_ack, proof_try),
                                   FLD(F_BYTES, cw_msg_chan_open_ack, counterparty_client_state),
                                   FLD(F_BYTES, cw_msg_chan_open_ack, proof_client),
                                   FLD(F_BYTES, cw_msg_chan_open_ack, proof_consensus),
                                   FLD(F_U64, cw_msg_chan_open_ack, proof_height)};
static const field F_CONFIRM[] = {FLD(F_ID, cw_msg_chan_open_confirm, port),
                                  FLD(F_ID, cw_msg_chan_open_confirm, channel),
                                  FLD(F_BYTES, cw_msg_chan_open_confirm, proof_ack),
                                  FLD(F_U64, cw_msg_chan_open_confirm, proof_height)};
static const field F_CLOSE_INIT[] = {FLD(F_ID, cw_msg_chan_close_init, port),
                                     FLD(F_ID, cw_msg_chan_close_init, channel)};
static const field F_CLOSE_CONFIRM[] = {FLD(F_ID, cw_msg_chan_close_confirm, port),
                                        FLD(F_ID, cw_msg_chan_close_confirm, channel),
                                        FLD(F_BYTES, cw_msg_chan_close_confirm, proof_init),
                                        FLD(F_U64, cw_msg_chan_close_confirm, proof_height)};
static const field F_RECV[] = {FLD(F_PACKET, cw_msg_recv_packet, packet),
                               FLD(F_BYTES, cw_msg_recv_packet, proof_commitment),
                               FLD(F_U64, cw_msg_recv_packet, proof_height)};
static const field F_ACKNOWLEDGEMENT[] = {FLD(F_PACKET, cw_msg_acknowledgement, packet),
                                          FLD(F_BYTES, cw_msg_acknowledgement, ack),
                                          FLD(F_BYTES, cw_msg_acknowledgement, proof_acked),
                                          FLD(F_U64, cw_msg_acknowledgement, proof_height)};
static const field F_TIMEOUT[] = {FLD(F_PACKET, cw_msg_timeout, packet),
                                  FLD(F_BYTES, cw_msg_timeout, proof_unreceived),
                                  FLD(F_U64, cw_msg_timeout, proof_height),
                                  FLD(F_U64, cw_msg_timeout, next_sequence_recv)};
static const field F_TOC[] = {FLD(F_PACKET, cw_msg_timeout_on_close, packet),
                              FLD(F_BYTES, cw_msg_timeout_on_close, proof_unreceived),
                              FLD(F_BYTES, cw_msg_timeout_on_close, proof_close),
                              FLD(F_U64, cw_msg_timeout_on_close, proof_height),
                              FLD(F_U64, cw_msg_timeout_on_close, next_sequence_recv)};

typedef struct sample {
    const char *type;
    const void *m;
    const field *fields;
    size_t n_fields;
} sample;
#define SAMPLE(TYPE, x, f) {TYPE, &S.x, f, sizeof f / sizeof f[0]}

static const sample SAMPLES[] = {
    SAMPLE(CW_MSG_IBC_CREATE_CLIENT, create_client, F_CREATE),
    SAMPLE(CW_MSG_IBC_UPDATE_CLIENT, update_client, F_UPDATE),
    SAMPLE(CW_MSG_IBC_SUBMIT_MISBEHAVIOUR, submit_misbehaviour, F_MISB),
    SAMPLE(CW_MSG_IBC_UPDATE_CLIENT_TM, update_client_tm, F_UPDATE_TM),
    SAMPLE(CW_MSG_IBC_SUBMIT_MISBEHAVIOUR_TM, submit_misbehaviour_tm, F_MISB_TM),
    SAMPLE(CW_MSG_IBC_RECOVER_CLIENT, recover_client, F_RECOVER),
    SAMPLE(CW_MSG_IBC_CHAN_OPEN_INIT, chan_open_init, F_INIT),
    SAMPLE(CW_MSG_IBC_CHAN_OPEN_TRY, chan_open_try, F_TRY),
    SAMPLE(CW_MSG_IBC_CHAN_OPEN_ACK, chan_open_ack, F_ACK_STEP),
    SAMPLE(CW_MSG_IBC_CHAN_OPEN_CONFIRM, chan_open_confirm, F_CONFIRM),
    SAMPLE(CW_MSG_IBC_CHAN_CLOSE_INIT, chan_close_init, F_CLOSE_INIT),
    SAMPLE(CW_MSG_IBC_CHAN_CLOSE_CONFIRM, chan_close_confirm, F_CLOSE_CONFIRM),
    SAMPLE(CW_MSG_IBC_RECV_PACKET, recv_packet, F_RECV),
    SAMPLE(CW_MSG_IBC_ACKNOWLEDGEMENT, acknowledgement, F_ACKNOWLEDGEMENT),
    SAMPLE(CW_MSG_IBC_TIMEOUT, timeout, F_TIMEOUT),
    SAMPLE(CW_MSG_IBC_TIMEOUT_ON_CLOSE, timeout_on_close, F_TOC),
};
#define N_SAMPLES (sizeof SAMPLES / sizeof SAMPLES[0])

static const sample *sample_of(const char *type)
{
    for (size_t i = 0; i < N_SAMPLES; i++)
        if (strcmp(SAMPLES[i].type, type) == 0)
            return &SAMPLES[i];
    fail_msg("no sample for %s", type);
    return NULL;
}

static void assert_bytes_eq(cw_bytes a, cw_bytes b, const char *name)
{
    if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0))
        fail_msg("%s: %zu bytes differ from %zu expected", name, a.len, b.len);
}

static void assert_packet_eq(const cw_packet *a, const cw_packet *b)
{
    assert_int_equal(a->sequence, b->sequence);
    assert_string_equal(a->source_port, b->source_port);
    assert_string_equal(a->source_channel, b->source_channel);
    assert_string_equal(a->dest_port, b->dest_port);
    assert_string_equal(a->dest_channel, b->dest_channel);
    assert_bytes_eq(a->data, b->data, "packet.data");
    assert_int_equal(a->timeout_height, b->timeout_height);
    assert_int_equal(a->timeout_timestamp_ns, b->timeout_timestamp_ns);
}

static void assert_fields_eq(const sample *s, const void *got)
{
    for (size_t i = 0; i < s->n_fields; i++) {
        const field *f = &s->fields[i];
        const char *a = (const char *)got + f->off, *b = (const char *)s->m + f->off;
        switch (f->kind) {
        case F_ID:
            assert_string_equal(a, b);
            break;
        case F_U8:
            assert_int_equal(*(const uint8_t *)a, *(const uint8_t *)b);
            break;
        case F_U64:
            assert_int_equal(*(const uint64_t *)a, *(const uint64_t *)b);
            break;
        case F_BYTES:
            assert_bytes_eq(*(const cw_bytes *)a, *(const cw_bytes *)b, f->name);
            break;
        case F_PACKET:
            assert_packet_eq((const cw_packet *)a, (const cw_packet *)b);
            break;
        case F_RAW:
            if (memcmp(a, b, f->size) != 0)
                fail_msg("%s: %s differs", s->type, f->name);
            break;
        }
    }
}

/* ---- helpers ---------------------------------------------------------------------------- */

/* Encode row c's sample (the whole Msg) into e. */
static void enc_sample(cw_enc *e, const cw_msg_codec *c)
{
    cw_enc_init(e);
    c->enc(e, sample_of(c->type)->m);
    assert_int_equal(e->rc, CW_OK);
}

/* Open Msg bytes and return its body, checking the type string is `type`. */
static const msgpack_object *open_msg(cw_dec *d, const uint8_t *buf, size_t len,
                                      const char *type)
{
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(d, &root, buf, len, CW_CODEC_MAX_INPUT, ERR, sizeof ERR),
                     CW_OK);
    const msgpack_object *f = cw_dec_array(d, root, 2, "msg");
    assert_int_equal(d->rc, CW_OK);
    assert_int_equal(f[0].type, MSGPACK_OBJECT_STR);
    assert_int_equal(f[0].via.str.size, strlen(type));
    assert_memory_equal(f[0].via.str.ptr, type, strlen(type));
    return &f[1];
}

/* Decode a body with row c into a fresh struct; returns d.rc (ERR holds the line). */
static int dec_body(const cw_msg_codec *c, const msgpack_object *body, void **out)
{
    cw_dec r = {.err = ERR, .err_len = sizeof ERR};
    ERR[0] = '\0';
    *out = calloc(1, c->size);
    assert_non_null(*out);
    c->dec(&r, body, *out, c->type);
    return r.rc;
}

static void free_body(const cw_msg_codec *c, void *m)
{
    if (c->free)
        c->free(m);
    free(m);
}

static const cw_msg_codec *codec_of(const char *type)
{
    size_t n;
    const cw_msg_codec *t = cw_msg_codecs_ibc(&n);
    const cw_msg_codec *c = cw_msg_codec_find(t, n, type, strlen(type));
    assert_non_null(c);
    return c;
}

static void corpus_write(const char *dir, const char *name, uint8_t prefix, bool with_prefix,
                         const uint8_t *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        fail_msg("cannot write %s", path);
    if (with_prefix)
        assert_int_equal(fwrite(&prefix, 1, 1, fp), 1);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

/* ---- round trips ------------------------------------------------------------------------ */

/* encode → decode → the same fields, and the decoded struct re-encodes to the same bytes */
static void test_every_msg_round_trips(void **state)
{
    (void)state;
    size_t n;
    const cw_msg_codec *t = cw_msg_codecs_ibc(&n);
    assert_int_equal(n, N_SAMPLES); /* one sample per row, one row per CW_MSG_IBC_* */
    const char *corpus = getenv("CW_MSGS_CORPUS");
    for (size_t i = 0; i < n; i++) {
        const cw_msg_codec *c = &t[i];
        cw_enc e, e2;
        cw_dec d;
        void *m;
        enc_sample(&e, c);
        const msgpack_object *body = open_msg(&d, cw_enc_data(&e), cw_enc_len(&e), c->type);
        if (dec_body(c, body, &m) != CW_OK)
            fail_msg("%s: %s", c->type, ERR);
        assert_fields_eq(sample_of(c->type), m);
        cw_enc_init(&e2);
        c->enc(&e2, m);
        assert_int_equal(e2.rc, CW_OK);
        assert_int_equal(cw_enc_len(&e2), cw_enc_len(&e));
        assert_memory_equal(cw_enc_data(&e2), cw_enc_data(&e), cw_enc_len(&e));
        if (corpus) {
            cw_enc b;
            cw_enc_init(&b);
            assert_int_equal(cw_enc_object(&b, body), CW_OK);
            corpus_write(corpus, c->type + 4, 0, false, cw_enc_data(&e), cw_enc_len(&e));
            char name[80];
            snprintf(name, sizeof name, "%s.body", c->type + 4);
            corpus_write(corpus, name, (uint8_t)i, true, cw_enc_data(&b), cw_enc_len(&b));
            cw_enc_free(&b);
        }
        free_body(c, m);
        cw_dec_close(&d);
        cw_enc_free(&e);
        cw_enc_free(&e2);
    }
}

static void test_table_rows_are_distinct_and_found_by_exact_type(void **state)
{
    (void)state;
    size_t n;
    const cw_msg_codec *t = cw_msg_codecs_ibc(&n);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(cw_msg_codec_find(t, n, t[i].type, strlen(t[i].type)), &t[i]);
        assert_true(strncmp(t[i].type, "ibc.", 4) == 0);
        assert_true(t[i].size > 0 && t[i].enc && t[i].dec);
    }
    assert_null(cw_msg_codec_find(t, n, "ibc.recv", 8));              /* a prefix */
    assert_null(cw_msg_codec_find(t, n, "ibc.recv_packets", 16));     /* longer */
    assert_null(cw_msg_codec_find(t, n, "bank.send", 9));             /* not ibc */
    assert_null(cw_msg_codec_find(t, n, CW_MSG_IBC_TIMEOUT, 0));      /* empty */
    assert_null(cw_msg_codec_find(t, n, NULL, 0)); /* an empty str as msgpack-c leaves it */
    assert_ptr_equal(cw_msg_codec_find(t, n, "ibc.timeout_on_close", 11), /* "ibc.timeout" */
                     codec_of(CW_MSG_IBC_TIMEOUT));
}

/* ---- the wire shape, pinned --------------------------------------------------------------- */

static void assert_enc_is(const cw_enc *e, const uint8_t *want, size_t want_len)
{
    assert_int_equal(e->rc, CW_OK);
    assert_int_equal(cw_enc_len(e), want_len);
    assert_memory_equal(cw_enc_data(e), want, want_len);
}

static void test_wire_shape_of_close_init_open_init_and_recv_packet(void **state)
{
    (void)state;
    cw_enc e;
    /* ["ibc.chan_close_init", ["echo", "channel-4"]] */
    static const uint8_t close_init[] = {
        0x92, 0xb3, 'i', 'b', 'c', '.', 'c', 'h', 'a', 'n', '_', 'c', 'l', 'o', 's', 'e', '_',
        'i', 'n', 'i', 't', 0x92, 0xa4, 'e', 'c', 'h', 'o', 0xa9, 'c', 'h', 'a', 'n', 'n', 'e',
        'l', '-', '4'};
    cw_enc_init(&e);
    cw_msg_chan_close_init_enc(&e, &S.chan_close_init);
    assert_enc_is(&e, close_init, sizeof close_init);
    cw_enc_free(&e);

    /* ["ibc.chan_open_init", ["p", 2, "q", "c-0", "c-1", "v1"]]: ordering an integer */
    cw_msg_chan_open_init oi = {.ordering = CW_ORDER_ORDERED};
    ID(oi.port, "p");
    ID(oi.counterparty_port, "q");
    ID(oi.client_id, "c-0");
    ID(oi.counterparty_client_id, "c-1");
    ID(oi.version, "v1");
    static const uint8_t open_init[] = {
        0x92, 0xb2, 'i', 'b', 'c', '.', 'c', 'h', 'a', 'n', '_', 'o', 'p', 'e', 'n', '_', 'i',
        'n', 'i', 't', 0x96, 0xa1, 'p', 0x02, 0xa1, 'q', 0xa3, 'c', '-', '0', 0xa3, 'c', '-',
        '1', 0xa2, 'v', '1'};
    cw_enc_init(&e);
    cw_msg_chan_open_init_enc(&e, &oi);
    assert_enc_is(&e, open_init, sizeof open_init);
    cw_enc_free(&e);

    /* ["ibc.recv_packet", [[1, "a", "b", "c", "d", bin "hi", 5, 0], bin 01 02 03, 256]] */
    cw_msg_recv_packet rp = {.packet = {.sequence = 1, .data = {(const uint8_t *)"hi", 2},
                                        .timeout_height = 5},
                             .proof_commitment = {(const uint8_t *)"\x01\x02\x03", 3},
                             .proof_height = 256};
    ID(rp.packet.source_port, "a");
    ID(rp.packet.source_channel, "b");
    ID(rp.packet.dest_port, "c");
    ID(rp.packet.dest_channel, "d");
    static const uint8_t recv[] = {
        0x92, 0xaf, 'i', 'b', 'c', '.', 'r', 'e', 'c', 'v', '_', 'p', 'a', 'c', 'k', 'e', 't',
        0x93, 0x98, 0x01, 0xa1, 'a', 0xa1, 'b', 0xa1, 'c', 0xa1, 'd', 0xc4, 0x02, 'h', 'i',
        0x05, 0x00, 0xc4, 0x03, 0x01, 0x02, 0x03, 0xcd, 0x01, 0x00};
    cw_enc_init(&e);
    cw_msg_recv_packet_enc(&e, &rp);
    assert_enc_is(&e, recv, sizeof recv);
    cw_enc_free(&e);
}

/* ---- refusals ------------------------------------------------------------------------ */

/* Every decoder refuses its body with one field more or one less, and a body that is not an
 * array; the line names the msg (block.h's label for the two header msgs). */
static void test_every_decoder_refuses_wrong_arity_and_non_array(void **state)
{
    (void)state;
    size_t n;
    const cw_msg_codec *t = cw_msg_codecs_ibc(&n);
    for (size_t i = 0; i < n; i++) {
        const cw_msg_codec *c = &t[i];
        cw_enc e;
        cw_dec d;
        enc_sample(&e, c);
        const msgpack_object *body = open_msg(&d, cw_enc_data(&e), cw_enc_len(&e), c->type);
        uint32_t arity = body->via.array.size;
        for (int delta = -1; delta <= 2; delta++) {
            cw_enc b;
            cw_dec bd;
            const msgpack_object *root;
            void *m;
            cw_enc_init(&b);
            if (delta == 2) {
                cw_enc_cstr(&b, "not an array");
            } else {
                uint32_t k = arity + (uint32_t)delta;
                if (delta == 0)
                    continue;
                cw_enc_array(&b, k);
                for (uint32_t j = 0; j < k; j++) {
                    if (j < arity)
                        assert_int_equal(cw_enc_object(&b, &body->via.array.ptr[j]), CW_OK);
                    else
                        cw_enc_nil(&b);
                }
            }
            assert_int_equal(cw_dec_open(&bd, &root, cw_enc_data(&b), cw_enc_len(&b),
                                         CW_CODEC_MAX_INPUT, NULL, 0), CW_OK);
            int rc = dec_body(c, root, &m);
            if (rc != CW_EMALFORMED)
                fail_msg("%s arity %+d: rc %d (%s)", c->type, delta, rc, ERR);
            assert_true(strstr(ERR, c->type) || (c->free && strstr(ERR, "msg_")));
            assert_non_null(strstr(ERR, delta == 2 ? "expected array" : "expected"));
            free_body(c, m);
            cw_dec_close(&bd);
            cw_enc_free(&b);
        }
        cw_dec_close(&d);
        cw_enc_free(&e);
    }
}

/* Encode m with c, decode it back; returns the code (ERR holds the line). */
static int enc_then_dec(const cw_msg_codec *c, const void *msg)
{
    cw_enc e;
    cw_dec d;
    void *m;
    cw_enc_init(&e);
    c->enc(&e, msg);
    assert_int_equal(e.rc, CW_OK);
    const msgpack_object *body = open_msg(&d, cw_enc_data(&e), cw_enc_len(&e), c->type);
    int rc = dec_body(c, body, &m);
    free_body(c, m);
    cw_dec_close(&d);
    cw_enc_free(&e);
    return rc;
}

static void assert_refused(const char *type, const void *m, int want, const char *needle)
{
    int rc = enc_then_dec(codec_of(type), m);
    if (rc != want || !strstr(ERR, needle))
        fail_msg("%s: rc %d, \"%s\"; wanted rc %d naming \"%s\"", type, rc, ERR, want, needle);
}

static void test_identifiers_over_long_or_malformed_refused(void **state)
{
    (void)state;
    char long_id[CW_ID_MAX + 2];
    memset(long_id, 'a', CW_ID_MAX + 1);
    long_id[CW_ID_MAX + 1] = '\0';
    /* a 64-byte identifier passes; the structs cannot hold 65 bytes, so the over-long one is
     * a body built field by field */
    cw_msg_chan_open_init oi = S.chan_open_init;
    memset(oi.port, 'p', CW_ID_MAX);
    oi.port[CW_ID_MAX] = '\0';
    assert_int_equal(enc_then_dec(codec_of(CW_MSG_IBC_CHAN_OPEN_INIT), &oi), CW_OK);

    cw_enc e;
    cw_dec d;
    const msgpack_object *root;
    void *m;
    cw_enc_init(&e); /* [port(65 bytes), channel] for chan_close_init */
    cw_enc_array(&e, 2);
    cw_enc_cstr(&e, long_id);
    cw_enc_cstr(&e, "channel-0");
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), 1 << 16, NULL, 0),
                     CW_OK);
    const cw_msg_codec *c = codec_of(CW_MSG_IBC_CHAN_CLOSE_INIT);
    assert_int_equal(dec_body(c, root, &m), CW_EINVAL);
    assert_non_null(strstr(ERR, "port"));
    assert_non_null(strstr(ERR, "65 bytes exceed 64"));
    free_body(c, m);
    cw_dec_close(&d);
    cw_enc_free(&e);

    cw_msg_recover_client rc = S.recover_client;
    ID(rc.substitute_client_id, "client/2");
    assert_refused(CW_MSG_IBC_RECOVER_CLIENT, &rc, CW_EINVAL, "substitute");
    ID(rc.substitute_client_id, "");
    assert_refused(CW_MSG_IBC_RECOVER_CLIENT, &rc, CW_EINVAL, "substitute: empty");
    cw_msg_recv_packet rp = S.recv_packet;
    ID(rp.packet.dest_channel, "channel 3");
    assert_refused(CW_MSG_IBC_RECV_PACKET, &rp, CW_EINVAL, "packet.dest_channel");
    cw_msg_chan_open_ack oa = S.chan_open_ack;
    ID(oa.counterparty_version, "");
    assert_refused(CW_MSG_IBC_CHAN_OPEN_ACK, &oa, CW_EINVAL, "counterparty_version");
}

static void test_oversize_proof_ack_and_client_state_refused(void **state)
{
    (void)state;
    uint8_t *big = calloc(1, CW_MSG_PROOF_MAX + 1);
    assert_non_null(big);
    cw_msg_recv_packet rp = S.recv_packet;
    rp.proof_commitment = (cw_bytes){big, CW_MSG_PROOF_MAX};
    assert_int_equal(enc_then_dec(codec_of(CW_MSG_IBC_RECV_PACKET), &rp), CW_OK); /* the max */
    rp.proof_commitment.len++;
    assert_refused(CW_MSG_IBC_RECV_PACKET, &rp, CW_ETOOBIG, "proof_commitment");

    cw_msg_chan_close_confirm cc = S.chan_close_confirm;
    cc.proof_init = (cw_bytes){big, CW_MSG_PROOF_MAX + 1};
    assert_refused(CW_MSG_IBC_CHAN_CLOSE_CONFIRM, &cc, CW_ETOOBIG, "proof_init");
    cw_msg_timeout_on_close toc = S.timeout_on_close;
    toc.proof_close = (cw_bytes){big, CW_MSG_PROOF_MAX + 1};
    assert_refused(CW_MSG_IBC_TIMEOUT_ON_CLOSE, &toc, CW_ETOOBIG, "proof_close");

    cw_msg_chan_open_try ot = S.chan_open_try;
    ot.counterparty_client_state = (cw_bytes){big, CW_MSG_CLIENT_STATE_MAX};
    assert_int_equal(enc_then_dec(codec_of(CW_MSG_IBC_CHAN_OPEN_TRY), &ot), CW_OK);
    ot.counterparty_client_state.len++;
    assert_refused(CW_MSG_IBC_CHAN_OPEN_TRY, &ot, CW_ETOOBIG, "counterparty_client_state");
    ot = S.chan_open_try;
    ot.proof_consensus = (cw_bytes){big, CW_MSG_PROOF_MAX + 1};
    assert_refused(CW_MSG_IBC_CHAN_OPEN_TRY, &ot, CW_ETOOBIG, "proof_consensus");

    cw_msg_acknowledgement ak = S.acknowledgement;
    ak.ack = (cw_bytes){big, CW_ACK_MAX + 1};
    assert_refused(CW_MSG_IBC_ACKNOWLEDGEMENT, &ak, CW_ETOOBIG, "ack");
    ak = S.acknowledgement;
    ak.packet.data = (cw_bytes){big, CW_PACKET_DATA_MAX + 1};
    assert_refused(CW_MSG_IBC_ACKNOWLEDGEMENT, &ak, CW_ETOOBIG, "packet.data");
    free(big);
}

static void test_ordering_outside_1_2_and_packet_without_sequence_refused(void **state)
{
    (void)state;
    cw_msg_chan_open_init oi = S.chan_open_init;
    oi.ordering = 0;
    assert_refused(CW_MSG_IBC_CHAN_OPEN_INIT, &oi, CW_EINVAL,
                   "ordering: 1 (unordered) or 2 (ordered)");
    oi.ordering = 3;
    assert_refused(CW_MSG_IBC_CHAN_OPEN_INIT, &oi, CW_EINVAL, "ordering");
    cw_msg_chan_open_try ot = S.chan_open_try;
    ot.ordering = 0;
    assert_refused(CW_MSG_IBC_CHAN_OPEN_TRY, &ot, CW_EINVAL, "ordering");

    cw_msg_timeout to = S.timeout;
    to.packet.sequence = 0;
    assert_refused(CW_MSG_IBC_TIMEOUT, &to, CW_EINVAL, "packet.sequence");
    to = S.timeout;
    to.packet.timeout_height = to.packet.timeout_timestamp_ns = 0;
    assert_refused(CW_MSG_IBC_TIMEOUT, &to, CW_EINVAL, "both 0");

    cw_msg_create_client cc = S.create_client;
    cc.client_state.trust_level_num = 0; /* below 1/3 */
    assert_refused(CW_MSG_IBC_CREATE_CLIENT, &cc, CW_EINVAL, "trust");

    cw_msg_update_client uc;
    memset(&uc, 0, sizeof uc); /* an empty validator set */
    ID(uc.client_id, "client-0");
    uc.update.signed_header = S.update_client.update.signed_header;
    assert_refused(CW_MSG_IBC_UPDATE_CLIENT, &uc, CW_EINVAL, "msg_update_client");
}

/* ---- ChannelEnd (causeway/packet.h) -------------------------------------------------- */

/* through the whole-buffer decoder (cw_channel_end_decode, over cw_channel_end_dec) */
static int channel_end_roundtrip(const cw_channel_end *ce, cw_channel_end *back)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_channel_end_enc(&e, ce);
    memset(back, 0xee, sizeof *back);
    int rc = cw_channel_end_decode(back, cw_enc_data(&e), cw_enc_len(&e), ERR, sizeof ERR);
    if (rc == CW_OK) { /* and the bytes again */
        cw_enc e2;
        cw_enc_init(&e2);
        cw_channel_end_enc(&e2, back);
        assert_int_equal(cw_enc_len(&e2), cw_enc_len(&e));
        assert_memory_equal(cw_enc_data(&e2), cw_enc_data(&e), cw_enc_len(&e));
        cw_enc_free(&e2);
    } else { /* zeroed on failure */
        cw_channel_end zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(back, &zero, sizeof zero);
    }
    cw_enc_free(&e);
    return rc;
}

static void test_channel_end_round_trips_and_keeps_the_init_rule(void **state)
{
    (void)state;
    cw_channel_end ce, back;
    memset(&ce, 0, sizeof ce);
    ce.state = CW_CHAN_INIT;
    ce.ordering = CW_ORDER_ORDERED;
    ID(ce.counterparty_port, "echo");
    ID(ce.client_id, "client-0");
    ID(ce.counterparty_client_id, "client-1");
    ID(ce.version, "echo-1");
    assert_int_equal(channel_end_roundtrip(&ce, &back), CW_OK); /* "" in INIT */
    assert_memory_equal(&back, &ce, sizeof ce);
    ce.state = CW_CHAN_OPEN;
    assert_int_equal(channel_end_roundtrip(&ce, &back), CW_EINVAL); /* "" past INIT */
    assert_non_null(strstr(ERR, "empty exactly in INIT"));
    ID(ce.counterparty_channel, "channel-2");
    assert_int_equal(channel_end_roundtrip(&ce, &back), CW_OK);
    assert_string_equal(back.counterparty_channel, "channel-2");
    assert_int_equal(back.state, CW_CHAN_OPEN);
    ce.state = CW_CHAN_INIT; /* a counterparty channel in INIT */
    assert_int_equal(channel_end_roundtrip(&ce, &back), CW_EINVAL);
    ce.state = 0;
    assert_int_equal(channel_end_roundtrip(&ce, &back), CW_EINVAL);
    assert_non_null(strstr(ERR, "state and ordering must be set"));
    ce.state = CW_CHAN_CLOSED + 1;
    assert_int_equal(channel_end_roundtrip(&ce, &back), CW_EINVAL);
    assert_non_null(strstr(ERR, "channel_end.state"));
    ce.state = CW_CHAN_CLOSED;
    ce.ordering = CW_ORDER_ORDERED + 1;
    assert_int_equal(channel_end_roundtrip(&ce, &back), CW_EINVAL);
    assert_non_null(strstr(ERR, "channel_end.ordering"));
}

/* A TmHeader's sets must come in CometBFT's order (one encoding) and pass the set rules;
 * its entries and hash lengths are bounded. */
static void test_tm_header_refusals(void **state)
{
    (void)state;
    cw_msg_update_client_tm m = S.update_client_tm;
    cw_tm_valset *vs = &m.header.lb.validators, swapped = *vs;
    /* the same validators, the first two swapped: not in order (equal powers: by address) */
    cw_tm_validator v2[4];
    memcpy(v2, vs->v, sizeof v2);
    cw_tm_validator t = v2[0];
    v2[0] = v2[1], v2[1] = t;
    swapped.v = v2;
    m.header.lb.validators = swapped;
    assert_refused(CW_MSG_IBC_UPDATE_CLIENT_TM, &m, CW_EINVAL, "not in order");
    /* one key twice (adjacent in order): the set rules refuse it */
    v2[0] = vs->v[0], v2[1] = vs->v[0];
    assert_refused(CW_MSG_IBC_UPDATE_CLIENT_TM, &m, CW_EINVAL, "not in order");
    m = S.update_client_tm;
    /* a 31-byte data hash; a 21-byte proposer */
    m.header.lb.header.data_hash.len = 31;
    assert_refused(CW_MSG_IBC_UPDATE_CLIENT_TM, &m, CW_EINVAL, "data_hash");
    m = S.update_client_tm;
    m.header.lb.header.proposer_address.len = 21;
    assert_refused(CW_MSG_IBC_UPDATE_CLIENT_TM, &m, CW_EINVAL, "proposer_address");
    /* a vote flag of 0 */
    m = S.update_client_tm;
    cw_tm_commit_sig sigs[4];
    memcpy(sigs, m.header.lb.commit.sigs, sizeof sigs);
    sigs[0].flag = 0;
    m.header.lb.commit.sigs = sigs;
    assert_refused(CW_MSG_IBC_UPDATE_CLIENT_TM, &m, CW_EINVAL, "flag");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_msg_round_trips),
        cmocka_unit_test(test_table_rows_are_distinct_and_found_by_exact_type),
        cmocka_unit_test(test_wire_shape_of_close_init_open_init_and_recv_packet),
        cmocka_unit_test(test_every_decoder_refuses_wrong_arity_and_non_array),
        cmocka_unit_test(test_identifiers_over_long_or_malformed_refused),
        cmocka_unit_test(test_oversize_proof_ack_and_client_state_refused),
        cmocka_unit_test(test_ordering_outside_1_2_and_packet_without_sequence_refused),
        cmocka_unit_test(test_channel_end_round_trips_and_keeps_the_init_rule),
        cmocka_unit_test(test_tm_header_refusals),
    };
    return cmocka_run_group_tests_name("msgs", tests, setup, teardown);
}
