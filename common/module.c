/* The msg router: exact-match routing of msg types to module handlers (module.h). */
#include "causeway/module.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/hex.h"

#define MAX_HANDLERS 128

struct route {
    char type[CW_ID_MAX + 1];
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

int cw_app_register(cw_app *app, const char *type, cw_msg_handler h, void *user)
{
    if (cw_id_validate(type, strlen(type), "msg type", NULL, 0))
        return CW_EINVAL;
    for (size_t i = 0; i < app->n_routes; i++)
        if (strcmp(app->routes[i].type, type) == 0)
            return CW_EEXISTS;
    if (app->n_routes == MAX_HANDLERS)
        return -ENOMEM;
    struct route *r = &app->routes[app->n_routes++];
    snprintf(r->type, sizeof r->type, "%s", type);
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
    const struct route *saved = app->current; /* handlers may dispatch (nested) */
    app->current = r;
    int rc = r->fn(ctx, body, err, err_len);
    app->current = saved;
    return rc;
}
