/* The echo app (include/causeway/echo.h). */
#include "causeway/echo.h"

#include <string.h>

#include "causeway/packet.h"

static const cw_ibc_open_rules open_rules = {
    .port = CW_ECHO_PORT, .version = CW_ECHO_VERSION, .ordered_ok = true, .unordered_ok = true};

static void on_recv(void *user, cw_exec_ctx *ctx, const cw_packet *p, cw_enc *ack)
{
    (void)user, (void)ctx;
    cw_ack_enc_ok(ack, p->data.p, p->data.len);
}

static int on_ack(void *user, cw_exec_ctx *ctx, const cw_packet *p, bool ok, cw_bytes payload)
{
    (void)user, (void)ctx, (void)p, (void)ok, (void)payload;
    return CW_OK;
}

static int on_timeout(void *user, cw_exec_ctx *ctx, const cw_packet *p)
{
    (void)user, (void)ctx, (void)p;
    return CW_OK;
}

/* echo.send [channel, data, timeout_height, timeout_timestamp_ns] */
static int msg_send(cw_exec_ctx *ctx, const msgpack_object *body, char *err, size_t err_len)
{
    cw_dec d = {.err = err, .err_len = err_len};
    char channel[CW_ID_MAX + 1];
    const msgpack_object *f = cw_dec_array(&d, body, 4, "echo.send");
    cw_dec_id(&d, &f[0], channel, "echo.send.channel");
    cw_bytes data = cw_dec_bin(&d, &f[1], CW_ECHO_DATA_MAX, "echo.send.data");
    uint64_t th = cw_dec_u64(&d, &f[2], "echo.send.timeout_height");
    uint64_t tt = cw_dec_u64(&d, &f[3], "echo.send.timeout_timestamp_ns");
    if (d.rc)
        return d.rc;
    uint64_t seq;
    return cw_ibc_send_packet(cw_app_handler_user(ctx), ctx, CW_ECHO_PORT, channel, data.p,
                              data.len, th, tt, &seq, err, err_len);
}

int cw_echo_register(cw_ibc *h, cw_app *app)
{
    cw_ibc_app a = {.port = CW_ECHO_PORT,
                    .open_rules = &open_rules,
                    .on_recv_packet = on_recv,
                    .on_acknowledgement_packet = on_ack,
                    .on_timeout_packet = on_timeout};
    int rc = cw_ibc_bind(h, &a);
    return rc ? rc : cw_app_register(app, "echo.send", msg_send, h);
}
