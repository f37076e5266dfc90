/* Event readers (common/event.c) over lists written by the event writer, as the chain writes
 * them: typed attribute reads, finding events, counting in encoded bytes, packet events
 * (packet bytes, decoded packet, ack) and client events — and leniency to odd shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "causeway/event.h"
#include "causeway/packet.h"

static cw_packet a_packet(uint64_t seq)
{
    cw_packet p;
    memset(&p, 0, sizeof p);
    p.sequence = seq;
    strcpy(p.source_port, "collateral");
    strcpy(p.source_channel, "channel-0");
    strcpy(p.dest_port, "collateral");
    strcpy(p.dest_channel, "channel-7");
    p.data = (cw_bytes){(const uint8_t *)"data", 4};
    p.timeout_height = 100;
    p.timeout_timestamp_ns = 5;
    return p;
}

/* A packet event as channels/ibc_packet.c writes it. */
static void packet_event(cw_events *ev, const char *type, const cw_packet *p, const char *ack)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_packet_enc(&e, p);
    cw_event_begin(ev, type, ack ? 6 : 5);
    cw_event_attr_str(ev, CW_ATTR_SRC_PORT, p->source_port);
    cw_event_attr_str(ev, CW_ATTR_SRC_CHANNEL, p->source_channel);
    cw_event_attr_str(ev, CW_ATTR_DST_CHANNEL, p->dest_channel);
    cw_event_attr_u64(ev, CW_ATTR_SEQUENCE, p->sequence);
    cw_event_attr_bin(ev, CW_ATTR_PACKET, cw_enc_data(&e), cw_enc_len(&e));
    if (ack)
        cw_event_attr_bin(ev, CW_ATTR_ACK, ack, strlen(ack));
    cw_enc_free(&e);
}

/* The list used below, encoded into out:
 *  0 send_packet(seq 1)   1 update_client(client-3, 42)   2 write_acknowledgement(seq 2, ack)
 *  3 transfer             4 send_packet(seq 3)            5 send_packet with a str packet
 *  6 update_client without height                         7 recv_packet, ack a str */
static void build(cw_enc *out)
{
    cw_events ev;
    cw_events_init(&ev);
    cw_packet p1 = a_packet(1), p2 = a_packet(2), p3 = a_packet(3);
    packet_event(&ev, CW_EV_SEND_PACKET, &p1, NULL);
    cw_event_begin(&ev, CW_EV_UPDATE_CLIENT, 2);
    cw_event_attr_str(&ev, CW_ATTR_CLIENT_ID, "client-3");
    cw_event_attr_u64(&ev, CW_ATTR_HEIGHT, 42);
    packet_event(&ev, CW_EV_WRITE_ACK, &p2, "ack-bytes");
    cw_event_begin(&ev, CW_EV_TRANSFER, 4);
    cw_event_attr_str(&ev, CW_ATTR_SENDER, "aa");
    cw_event_attr_str(&ev, CW_ATTR_RECIPIENT, "bb");
    cw_event_attr_str(&ev, CW_ATTR_DENOM, "uatom");
    cw_event_attr_u64(&ev, CW_ATTR_AMOUNT, 7);
    packet_event(&ev, CW_EV_SEND_PACKET, &p3, NULL);
    cw_event_begin(&ev, CW_EV_SEND_PACKET, 1);
    cw_event_attr_str(&ev, CW_ATTR_PACKET, "not a bin");
    cw_event_begin(&ev, CW_EV_UPDATE_CLIENT, 1);
    cw_event_attr_str(&ev, CW_ATTR_CLIENT_ID, "client-4");
    cw_event_begin(&ev, CW_EV_RECV_PACKET, 2);
    cw_event_attr_bin(&ev, CW_ATTR_PACKET, NULL, 0);
    cw_event_attr_str(&ev, CW_ATTR_ACK, "str ack");
    cw_enc_init(out);
    assert_int_equal(cw_events_encode(&ev, (cw_events_mark){0, 0}, out), CW_OK);
    cw_events_free(&ev);
}

static const msgpack_object *open_list(cw_dec *d, const cw_enc *e)
{
    const msgpack_object *root;
    char err[256];
    assert_int_equal(cw_dec_open(d, &root, cw_enc_data(e), cw_enc_len(e), 1 << 20, err,
                                 sizeof err),
                     CW_OK);
    assert_int_equal(root->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(root->via.array.size, 8);
    return root;
}

static void test_typed_attribute_reads(void **s)
{
    (void)s;
    cw_enc e;
    cw_dec d;
    build(&e);
    const msgpack_object *evs = open_list(&d, &e);
    cw_bytes type;
    assert_true(cw_event_type(&evs->via.array.ptr[3], &type));
    assert_true(type.len == 8 && memcmp(type.p, CW_EV_TRANSFER, 8) == 0);
    assert_null(cw_event_of(&evs->via.array.ptr[3], CW_EV_SEND_PACKET));
    const msgpack_object *a = cw_event_of(&evs->via.array.ptr[3], CW_EV_TRANSFER);
    assert_non_null(a);
    char str[CW_ID_MAX + 1] = "untouched";
    uint64_t u = 99;
    cw_bytes b;
    assert_true(cw_event_get_str(a, CW_ATTR_DENOM, str));
    assert_string_equal(str, "uatom");
    assert_true(cw_event_get_u64(a, CW_ATTR_AMOUNT, &u));
    assert_int_equal(u, 7);
    /* wrong type or absent: false, outputs untouched */
    assert_false(cw_event_get_u64(a, CW_ATTR_DENOM, &u));
    assert_int_equal(u, 7);
    assert_false(cw_event_get_str(a, CW_ATTR_AMOUNT, str));
    assert_false(cw_event_get_bin(a, CW_ATTR_DENOM, &b));
    assert_false(cw_event_get_str(a, "nonexistent", str));
    assert_null(cw_event_get(a, "nonexistent"));
    assert_string_equal(str, "uatom");
    /* a packet attr is a bin */
    assert_true(cw_event_get_bin(cw_event_of(&evs->via.array.ptr[0], CW_EV_SEND_PACKET),
                                 CW_ATTR_PACKET, &b));
    assert_true(b.len > 0);
    /* non-events are no event of any type */
    assert_false(cw_event_type(&evs->via.array.ptr[0].via.array.ptr[1], &type));
    assert_null(cw_event_of(evs, CW_EV_SEND_PACKET));
    cw_dec_close(&d);
    cw_enc_free(&e);
}

/* An event whose type is the empty str (msgpack-c decodes it with a NULL pointer): its type
 * is "" of length 0, not NULL, and it is no packet event. Found by fuzz_relayer_events: the
 * relayer passed the NULL on to cw_packet_event_kind_of (nonnull), which UBSan stops. */
static void test_empty_type_is_not_null(void **s)
{
    (void)s;
    static const uint8_t list[] = {0x91, 0x92, 0xa0, 0x90}; /* [["", []]] */
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, list, sizeof list, 1 << 10, NULL, 0), CW_OK);
    const msgpack_object *ev = &root->via.array.ptr[0];
    cw_bytes type = {0};
    assert_true(cw_event_type(ev, &type));
    assert_non_null(type.p);
    assert_int_equal(type.len, 0);
    assert_int_equal(cw_packet_event_kind_of(type.p, type.len), CW_PACKET_EV_NONE);
    cw_packet_event pe;
    assert_int_equal(cw_packet_event_read(ev, &pe), CW_ENOTFOUND);
    cw_dec_close(&d);
}

/* A str longer than an identifier is not read into the fixed buffer. */
static void test_long_str_attribute_is_absent(void **s)
{
    (void)s;
    char big[CW_ID_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cw_events ev;
    cw_events_init(&ev);
    cw_event_begin(&ev, CW_EV_CREATE_CLIENT, 2);
    cw_event_attr_str(&ev, CW_ATTR_CLIENT_ID, big);
    cw_event_attr_u64(&ev, CW_ATTR_HEIGHT, 1);
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_events_encode(&ev, (cw_events_mark){0, 0}, &e), CW_OK);
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), 4096, NULL, 0),
                     CW_OK);
    char out[CW_ID_MAX + 1];
    cw_client_event ce;
    assert_false(cw_event_get_str(cw_event_of(&root->via.array.ptr[0], CW_EV_CREATE_CLIENT),
                                  CW_ATTR_CLIENT_ID, out));
    assert_false(cw_client_event_read(&root->via.array.ptr[0], CW_EV_CREATE_CLIENT, &ce));
    assert_false(cw_events_find_str(root, CW_EV_CREATE_CLIENT, CW_ATTR_CLIENT_ID, out));
    cw_dec_close(&d);
    cw_enc_free(&e);
    cw_events_free(&ev);
}

static void test_find_visits_every_event_of_a_type_and_counts_bytes(void **s)
{
    (void)s;
    cw_enc e;
    cw_dec d;
    build(&e);
    const msgpack_object *evs = open_list(&d, &e);
    uint32_t pos = 0, seen[8], n = 0;
    while (cw_events_find(evs, CW_EV_SEND_PACKET, &pos))
        seen[n++] = pos - 1;
    assert_int_equal(n, 3);
    assert_int_equal(seen[0], 0);
    assert_int_equal(seen[1], 4);
    assert_int_equal(seen[2], 5);
    pos = 0;
    assert_null(cw_events_find(evs, CW_EV_TIMEOUT_PACKET, &pos));
    char id[CW_ID_MAX + 1];
    assert_true(cw_events_find_str(evs, CW_EV_UPDATE_CLIENT, CW_ATTR_CLIENT_ID, id));
    assert_string_equal(id, "client-3");
    assert_false(cw_events_find_str(evs, CW_EV_TRANSFER, CW_ATTR_CLIENT_ID, id));
    cw_dec_close(&d);

    assert_int_equal(cw_events_count(cw_enc_data(&e), cw_enc_len(&e), CW_EV_SEND_PACKET), 3);
    assert_int_equal(cw_events_count(cw_enc_data(&e), cw_enc_len(&e), CW_EV_UPDATE_CLIENT), 2);
    assert_int_equal(cw_events_count(cw_enc_data(&e), cw_enc_len(&e), "nothing"), 0);
    /* not an event list: an error, not a count */
    assert_true(cw_events_count(cw_enc_data(&e), cw_enc_len(&e) - 1, CW_EV_TRANSFER) < 0);
    assert_int_equal(cw_events_count((const uint8_t *)"\x91\x01", 2, CW_EV_TRANSFER),
                     CW_EMALFORMED);
    cw_enc_free(&e);
}

static void test_packet_events_read_packet_and_ack(void **s)
{
    (void)s;
    cw_enc e;
    cw_dec d;
    build(&e);
    const msgpack_object *evs = open_list(&d, &e);
    cw_packet_event pe;
    assert_int_equal(cw_packet_event_read(&evs->via.array.ptr[0], &pe), CW_OK);
    assert_int_equal(pe.kind, CW_PACKET_EV_SEND);
    assert_false(pe.has_ack);
    assert_null(pe.ack.p);
    assert_int_equal(pe.packet.sequence, 1);
    assert_string_equal(pe.packet.dest_channel, "channel-7");
    assert_int_equal(pe.packet.timeout_height, 100);
    assert_int_equal(pe.packet.timeout_timestamp_ns, 5);
    assert_memory_equal(pe.packet.data.p, "data", 4);
    /* the packet bytes are the Packet's canonical encoding */
    cw_enc pk;
    cw_enc_init(&pk);
    cw_packet p1 = a_packet(1);
    cw_packet_enc(&pk, &p1);
    assert_int_equal(pe.packet_bytes.len, cw_enc_len(&pk));
    assert_memory_equal(pe.packet_bytes.p, cw_enc_data(&pk), cw_enc_len(&pk));
    cw_enc_free(&pk);

    assert_int_equal(cw_packet_event_read(&evs->via.array.ptr[2], &pe), CW_OK);
    assert_int_equal(pe.kind, CW_PACKET_EV_WRITE_ACK);
    assert_true(pe.has_ack);
    assert_int_equal(pe.ack.len, 9);
    assert_memory_equal(pe.ack.p, "ack-bytes", 9);
    assert_int_equal(pe.packet.sequence, 2);

    /* not packet events */
    assert_int_equal(cw_packet_event_read(&evs->via.array.ptr[1], &pe), CW_ENOTFOUND);
    assert_int_equal(cw_packet_event_read(&evs->via.array.ptr[3], &pe), CW_ENOTFOUND);
    assert_int_equal(cw_packet_event_read(evs, &pe), CW_ENOTFOUND);
    /* packet events whose packet is not a Packet */
    assert_int_equal(cw_packet_event_read(&evs->via.array.ptr[5], &pe), CW_EMALFORMED);
    assert_int_equal(pe.kind, CW_PACKET_EV_NONE);
    assert_int_equal(cw_packet_event_read(&evs->via.array.ptr[7], &pe), CW_EMALFORMED);
    cw_dec_close(&d);
    cw_enc_free(&e);
}

static void test_packet_event_kinds(void **s)
{
    (void)s;
    static const struct {
        const char *type;
        cw_packet_event_kind kind;
    } k[] = {
        {CW_EV_SEND_PACKET, CW_PACKET_EV_SEND},
        {CW_EV_RECV_PACKET, CW_PACKET_EV_RECV},
        {CW_EV_WRITE_ACK, CW_PACKET_EV_WRITE_ACK},
        {CW_EV_ACK_PACKET, CW_PACKET_EV_ACK},
        {CW_EV_TIMEOUT_PACKET, CW_PACKET_EV_TIMEOUT},
        {CW_EV_RECV_PACKET_REDUNDANT, CW_PACKET_EV_RECV_REDUNDANT},
        {CW_EV_ACK_PACKET_REDUNDANT, CW_PACKET_EV_ACK_REDUNDANT},
        {CW_EV_TIMEOUT_PACKET_REDUNDANT, CW_PACKET_EV_TIMEOUT_REDUNDANT},
        {CW_EV_UPDATE_CLIENT, CW_PACKET_EV_NONE},
        {"send_packe", CW_PACKET_EV_NONE},
        {"send_packets", CW_PACKET_EV_NONE},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        assert_int_equal(cw_packet_event_kind_of((const uint8_t *)k[i].type, strlen(k[i].type)),
                         k[i].kind);
    /* the ack-bearing pair and their redundant/plain spellings as the chain writes them */
    assert_string_equal(CW_EV_WRITE_ACK, "write_acknowledgement");
    assert_string_equal(CW_EV_ACK_PACKET_REDUNDANT, "acknowledge_packet_redundant");
}

static void test_client_events(void **s)
{
    (void)s;
    cw_enc e;
    cw_dec d;
    build(&e);
    const msgpack_object *evs = open_list(&d, &e);
    cw_client_event ce;
    assert_true(cw_client_event_read(&evs->via.array.ptr[1], CW_EV_UPDATE_CLIENT, &ce));
    assert_string_equal(ce.client_id, "client-3");
    assert_int_equal(ce.height, 42);
    /* another type asked for, or the height missing */
    assert_false(cw_client_event_read(&evs->via.array.ptr[1], CW_EV_CREATE_CLIENT, &ce));
    assert_false(cw_client_event_read(&evs->via.array.ptr[6], CW_EV_UPDATE_CLIENT, &ce));
    assert_string_equal(ce.client_id, "");
    cw_dec_close(&d);
    cw_enc_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typed_attribute_reads),
        cmocka_unit_test(test_long_str_attribute_is_absent),
        cmocka_unit_test(test_empty_type_is_not_null),
        cmocka_unit_test(test_find_visits_every_event_of_a_type_and_counts_bytes),
        cmocka_unit_test(test_packet_events_read_packet_and_ack),
        cmocka_unit_test(test_packet_event_kinds),
        cmocka_unit_test(test_client_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
