/* The msg router: exact-match routing of msg types to module handlers (module.h). Every
 * route carries the codec row of its msg type, so the body is decoded here, once, the same
 * way for every handler — a handler starts from the typed msg. */
#include "causeway/module.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/hex.h"
#include "causeway/msgs.h"

#define MAX_HANDLERS 128
#define MSG_FRAME_MAX 2048 /* bytes; the largest contract msg struct is ~1.5 KiB */

struct route {
    char type[CW_ID_MAX + 1];
    const cw_msg_codec *codec;
    cw_msg_handler fn;
    void *user;
};

struct cw_app {
    char chain_id[CW_ID_MAX + 1];
    struct route routes[MAX_HANDLERS];
    size_t n_routes;
    const struct route *current;
};

int cw_app_create(cw_app **out, const char *chain_id)
{
    *out = NULL;
    if (cw_id_validate(chain_id, strlen(chain_id), "chain id", NULL, 0))
        return CW_EINVAL;
    cw_app *a = calloc(1, sizeof *a);
    if (!a)
        return -ENOMEM;
    snprintf(a->chain_id, sizeof a->chain_id, "%s", chain_id);
    *out = a;
    return CW_OK;
}

void cw_app_destroy(cw_app *app) { free(app); }

const char *cw_app_chain_id(const cw_app *app) { return app->chain_id; }

/* The contract's codec row for a msg type: the ibc.* table, then the app table. */
static const cw_msg_codec *contract_codec(const char *type)
{
    size_t n;
    const cw_msg_codec *t = cw_msg_codecs_ibc(&n);
    const cw_msg_codec *c = cw_msg_codec_find(t, n, type, strlen(type));
    if (!c) {
        t = cw_msg_codecs_app(&n);
        c = cw_msg_codec_find(t, n, type, strlen(type));
    }
    return c;
}

int cw_app_register(cw_app *app, const char *type, cw_msg_handler h, void *user)
{
    const cw_msg_codec *c = contract_codec(type);
    return c ? cw_app_register_codec(app, c, h, user) : CW_EINVAL;
}

int cw_app_register_codec(cw_app *app, const cw_msg_codec *codec, cw_msg_handler h, void *user)
{
    const char *type = codec->type;
    if (cw_id_validate(type, strlen(type), "msg type", NULL, 0) || codec->size == 0 ||
        !codec->dec)
        return CW_EINVAL;
    for (size_t i = 0; i < app->n_routes; i++)
        if (strcmp(app->routes[i].type, type) == 0)
            return CW_EEXISTS;
    if (app->n_routes == MAX_HANDLERS)
        return -ENOMEM;
    struct route *r = &app->routes[app->n_routes++];
    snprintf(r->type, sizeof r->type, "%s", type);
    r->codec = codec;
    r->fn = h;
    r->user = user;
    return CW_OK;
}

void *cw_app_handler_user(const cw_exec_ctx *ctx)
{
    return ctx->app->current ? ctx->app->current->user : NULL;
}

static const struct route *route_of(const cw_app *app, const char *type)
{
    for (size_t i = 0; i < app->n_routes; i++) /* exact match only */
        if (strcmp(app->routes[i].type, type) == 0)
            return &app->routes[i];
    return NULL;
}

int cw_app_dispatch(cw_app *app, cw_exec_ctx *ctx, const char *type, const msgpack_object *body,
                    char *err, size_t err_len)
{
    const struct route *r = route_of(app, type);
    if (!r)
        return cw_errf(err, err_len, CW_EINVAL, "unknown type '%s'", type);
    /* the typed msg lives on this frame (every contract msg fits; nested dispatches get
     * their own), so executing a msg allocates nothing here */
    _Alignas(max_align_t) unsigned char frame[MSG_FRAME_MAX];
    void *msg = r->codec->size <= sizeof frame ? memset(frame, 0, r->codec->size)
                                               : calloc(1, r->codec->size);
    if (!msg)
        return -ENOMEM;
    cw_dec d = {.err = err, .err_len = err_len};
    r->codec->dec(&d, body, msg, r->type); /* its errors name the type, or the field */
    int rc = d.rc;
    if (rc == CW_OK) {
        const struct route *saved = app->current; /* handlers may dispatch (nested) */
        app->current = r;
        rc = r->fn(ctx, msg, err, err_len);
        app->current = saved;
    }
    if (r->codec->free)
        r->codec->free(msg); /* whatever the decode said (causeway/msgs.h) */
    if (msg != (void *)frame)
        free(msg);
    return rc;
}

int cw_exec_at_tx_end(cw_exec_ctx *ctx, cw_tx_end_fn fn, char *err, size_t err_len)
{
    for (uint32_t i = 0; i < ctx->n_tx_end; i++)
        if (ctx->tx_end[i] == fn)
            return CW_OK;
    if (ctx->n_tx_end == CW_TX_END_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "at most %d end-of-tx checks per tx",
                       CW_TX_END_MAX);
    ctx->tx_end[ctx->n_tx_end] = fn;
    ctx->tx_end_msg[ctx->n_tx_end++] = ctx->msg_index;
    return CW_OK;
}

int cw_exec_tx_end(cw_exec_ctx *ctx, uint32_t *failed_msg, char *err, size_t err_len)
{
    *failed_msg = 0;
    for (uint32_t i = 0; i < ctx->n_tx_end; i++) {
        int rc = ctx->tx_end[i](ctx, err, err_len);
        if (rc) {
            *failed_msg = ctx->tx_end_msg[i];
            return cw_err_prefix(err, err_len, rc, "end of tx");
        }
    }
    return CW_OK;
}
