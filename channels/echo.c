/* The echo app (include/causeway/echo.h). */
#include "causeway/echo.h"

#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/packet.h"

static const cw_ibc_open_rules open_rules = {
    .port = CW_ECHO_PORT, .version = CW_ECHO_VERSION, .ordered_ok = true, .unordered_ok = true};

static void on_recv(void *user, cw_exec_ctx *ctx, const cw_packet *p, cw_enc *ack)
{
    (void)user, (void)ctx;
    if (p->data.len > CW_ECHO_DATA_MAX) /* its ack would not fit CW_ACK_MAX */
        cw_ack_enc_error(ack, "echo: packet data over CW_ECHO_DATA_MAX");
    else
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

/* echo.send (causeway/app_msgs.h) */
static int msg_send(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_echo_send *m = in;
    uint64_t seq;
    return cw_ibc_send_packet(cw_app_handler_user(ctx), ctx, CW_ECHO_PORT, m->channel, m->data.p,
                              m->data.len, m->timeout_height, m->timeout_timestamp_ns, &seq, err,
                              err_len);
}

int cw_echo_register(cw_ibc *h, cw_app *app)
{
    cw_ibc_app a = {.port = CW_ECHO_PORT,
                    .open_rules = &open_rules,
                    .max_data = CW_ECHO_DATA_MAX,
                    .max_ack = cw_ibc_ack_ok_len(CW_ECHO_DATA_MAX),
                    .on_recv_packet = on_recv,
                    .on_acknowledgement_packet = on_ack,
                    .on_timeout_packet = on_timeout};
    int rc = cw_ibc_bind(h, &a);
    return rc ? rc : cw_app_register(app, CW_MSG_ECHO_SEND, msg_send, h);
}
