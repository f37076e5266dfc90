/* Relayer config (DESIGN §9): strict JSON through causeway/jsonconf.h, env overrides.
 *
 * {
 *   "chains": [{"id": "alpha", "rpc": "ws://127.0.0.1:26657", "key_file": "k.json",
 *               "trust_root": "12:HEX64"}],                       trust_root optional
 *   "paths":  [{"name": "p0", "version": "collateral-1", "ordering": "unordered",
 *               "a": {"chain": "alpha", "port": "collateral", "channel": "", "client": ""},
 *               "b": {"chain": "beta",  "port": "collateral", "channel": "", "client": ""}}],
 *   "batch_size": 100, "rpc_timeout_ms": 5000, "tx_timeout_ms": 30000, "max_inflight": 64,
 *   "trusting_period_s": 1209600, "db_path": "relayer.db", "metrics_addr": "127.0.0.1:9464",
 *   "log_level": "info"
 * }
 * "version" may be left out: it is then the version of the app on the ends' port
 * ("ics20-1" on "transfer", "echo-1" on "echo", else "collateral-1").
 * An end's "client" is the client ON that end's chain tracking the other chain; "channel"
 * its channel. Both may be "" until create-clients / create-channel fill them in (they
 * write them back into this file).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/hex.h"
#include "causeway/jsonconf.h"
#include "causeway/log.h"
#include "relayer.h"

/* the id WHAT.key into out; an optional one may be an empty string (not created yet) */
static void parse_end_id(cw_jconf *j, const json_t *o, const char *what, const char *key,
                         bool required, char *out)
{
    const json_t *v = json_object_get(o, key);
    if (!required && v && json_is_string(v) && json_string_length(v) == 0) {
        out[0] = 0;
        return;
    }
    char w[160];
    snprintf(w, sizeof w, "%.120s.%s", what, key);
    cw_jconf_id(j, o, key, w, required, out);
}

static void parse_end(cw_jconf *j, const json_t *o, const char *what, rly_end_cfg *e)
{
    static const char *const known[] = {"chain", "port", "channel", "client", NULL};
    if (!o)
        return;
    cw_jconf_only(j, o, what, known);
    parse_end_id(j, o, what, "chain", true, e->chain);
    parse_end_id(j, o, what, "port", true, e->port);
    /* channel / client may be empty strings until created */
    parse_end_id(j, o, what, "channel", false, e->channel);
    parse_end_id(j, o, what, "client", false, e->client);
}

int rly_config_load(rly_config *cfg, const char *path, char *err, size_t err_len)
{
    static const char *const known[] = {"chains", "paths", "batch_size", "rpc_timeout_ms",
                                        "tx_timeout_ms", "max_inflight", "trusting_period_s",
                                        "db_path", "metrics_addr", "log_level", NULL};
    static const char *const kpath[] = {"name", "a", "b", "version", "ordering", NULL};
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->file, sizeof cfg->file, "%s", path);
    cfg->batch_size = 100;
    cfg->rpc_timeout_ms = 5000;
    cfg->tx_timeout_ms = 30000;
    cfg->max_inflight = 64;
    cfg->trusting_period_s = 14 * 24 * 3600;
    snprintf(cfg->db_path, sizeof cfg->db_path, "relayer.db");
    snprintf(cfg->log_level, sizeof cfg->log_level, "info");
    json_t *root = NULL;
    int rc = cw_jconf_load(&root, path, err, err_len);
    if (rc)
        return rc;
    cw_jconf j = {.file = path, .rc = CW_OK, .err = err, .err_len = err_len};
    cw_jconf_only(&j, root, "", known);
    uint64_t v = cfg->batch_size;
    cw_jconf_u64(&j, root, "batch_size", "batch_size", false, 1, RLY_BATCH_MAX, &v);
    cfg->batch_size = (uint32_t)v;
    v = cfg->rpc_timeout_ms;
    cw_jconf_u64(&j, root, "rpc_timeout_ms", "rpc_timeout_ms", false, 10, 600000, &v);
    cfg->rpc_timeout_ms = (uint32_t)v;
    v = cfg->tx_timeout_ms;
    cw_jconf_u64(&j, root, "tx_timeout_ms", "tx_timeout_ms", false, 100, 3600000, &v);
    cfg->tx_timeout_ms = (uint32_t)v;
    v = cfg->max_inflight;
    cw_jconf_u64(&j, root, "max_inflight", "max_inflight", false, 1, RLY_INFLIGHT_MAX, &v);
    cfg->max_inflight = (uint32_t)v;
    cw_jconf_u64(&j, root, "trusting_period_s", "trusting_period_s", false, 1,
                 UINT64_C(10) * 365 * 24 * 3600, &cfg->trusting_period_s);
    cw_jconf_str(&j, root, "db_path", "db_path", false, sizeof cfg->db_path - 1, cfg->db_path,
                 sizeof cfg->db_path);
    cw_jconf_str(&j, root, "metrics_addr", "metrics_addr", false, sizeof cfg->metrics_addr - 1,
                 cfg->metrics_addr, sizeof cfg->metrics_addr);
    cw_jconf_str(&j, root, "log_level", "log_level", false, sizeof cfg->log_level - 1,
                 cfg->log_level, sizeof cfg->log_level);
    const json_t *chains = cw_jconf_array(&j, root, "chains", "chains", true, RLY_MAX_CHAINS);
    size_t i;
    const json_t *it;
    if (chains) {
        json_array_foreach(chains, i, it) {
            char w[64];
            snprintf(w, sizeof w, "chains[%zu]", i);
            rly_chain_cfg *ch = &cfg->chains[cfg->n_chains];
            char f[160];
            cw_chain_cfg_read(&j, it, w, ch);
            if (j.rc)
                break;
            snprintf(f, sizeof f, "%s.id", w);
            for (int k = 0; k < cfg->n_chains; k++)
                if (strcmp(cfg->chains[k].id, ch->id) == 0)
                    cw_jconf_fail(&j, CW_EINVAL, f, "chain id \"%s\" appears twice", ch->id);
            cfg->n_chains++;
        }
    }
    const json_t *paths = j.rc ? NULL : cw_jconf_array(&j, root, "paths", "paths", true,
                                                       RLY_MAX_PATHS);
    if (paths) {
        json_array_foreach(paths, i, it) {
            char w[64], f[160];
            snprintf(w, sizeof w, "paths[%zu]", i);
            rly_path_cfg *p = &cfg->paths[cfg->n_paths];
            if (!json_is_object(it)) {
                cw_jconf_fail(&j, CW_EMALFORMED, w, "not an object");
                break;
            }
            cw_jconf_only(&j, it, w, kpath);
            snprintf(p->name, sizeof p->name, "path-%zu", i);
            snprintf(f, sizeof f, "%s.name", w);
            cw_jconf_id(&j, it, "name", f, false, p->name);
            p->version[0] = '\0'; /* absent: the version of the ports' app (below) */
            snprintf(f, sizeof f, "%s.version", w);
            cw_jconf_id(&j, it, "version", f, false, p->version);
            char ord[32] = "unordered";
            snprintf(f, sizeof f, "%s.ordering", w);
            cw_jconf_str(&j, it, "ordering", f, false, sizeof ord - 1, ord, sizeof ord);
            p->ordering = 1;
            if (!j.rc && strcmp(ord, "unordered") != 0) {
                if (strcmp(ord, "ordered") == 0)
                    p->ordering = 2;
                else
                    cw_jconf_fail(&j, CW_EINVAL, f, "\"%s\" is not \"unordered\" or \"ordered\"",
                                  ord);
            }
            for (int e = 0; e < 2; e++) {
                snprintf(f, sizeof f, "%s.%s", w, e ? "b" : "a");
                const json_t *eo = cw_jconf_object(&j, it, e ? "b" : "a", f, true);
                parse_end(&j, eo, f, &p->end[e]);
                if (j.rc)
                    break;
                p->end[e].chain_ix = -1;
                for (int k = 0; k < cfg->n_chains; k++)
                    if (strcmp(cfg->chains[k].id, p->end[e].chain) == 0)
                        p->end[e].chain_ix = k;
                if (p->end[e].chain_ix < 0) {
                    char ff[192];
                    snprintf(ff, sizeof ff, "%s.chain", f);
                    cw_jconf_fail(&j, CW_EINVAL, ff, "\"%s\" is not one of the chains",
                                  p->end[e].chain);
                }
            }
            if (!j.rc && p->version[0] == '\0')
                snprintf(p->version, sizeof p->version, "%s",
                         strcmp(p->end[0].port, "transfer") == 0 ? "ics20-1"
                         : strcmp(p->end[0].port, "echo") == 0   ? "echo-1"
                                                                 : "collateral-1");
            if (!j.rc && p->end[0].chain_ix == p->end[1].chain_ix)
                cw_jconf_fail(&j, CW_EINVAL, w, "both ends are on chain \"%s\"",
                              p->end[0].chain);
            if (j.rc)
                break;
            cfg->n_paths++;
        }
    }
    json_decref(root);
    if (j.rc)
        return j.rc;
    /* env overrides (containers) */
    const char *e;
    if ((e = getenv("CAUSEWAY_RELAYER_DB")) && *e)
        snprintf(cfg->db_path, sizeof cfg->db_path, "%s", e);
    if ((e = getenv("CAUSEWAY_RELAYER_METRICS")))
        snprintf(cfg->metrics_addr, sizeof cfg->metrics_addr, "%s", e);
    if ((e = getenv("CAUSEWAY_RELAYER_BATCH")) && *e) {
        char *end;
        errno = 0;
        unsigned long b = strtoul(e, &end, 10);
        if (*end || errno || b < 1 || b > RLY_BATCH_MAX)
            return cw_errf(err, err_len, CW_EINVAL,
                           "environment: CAUSEWAY_RELAYER_BATCH: \"%s\" is not 1..%u", e,
                           RLY_BATCH_MAX);
        cfg->batch_size = (uint32_t)b;
    }
    for (int k = 0; k < cfg->n_chains; k++)
        if ((rc = cw_chain_cfg_env(&cfg->chains[k], path, k, err, err_len)))
            return rc;
    if (cw_log_set_level(cfg->log_level) != CW_OK)
        return cw_errf(err, err_len, CW_EINVAL, "%s: log_level: \"%s\" is not error, warn, info "
                       "or debug", path, cfg->log_level);
    return CW_OK;
}

static json_t *find_path(json_t *paths, const char *name, size_t ix)
{
    size_t i;
    json_t *it;
    json_array_foreach(paths, i, it) {
        json_t *n = json_object_get(it, "name");
        if (n ? (json_is_string(n) && strcmp(json_string_value(n), name) == 0) : i == ix)
            return it;
    }
    return NULL;
}

int rly_config_save_ids(const rly_config *cfg, char *err, size_t err_len)
{
    json_t *root = NULL;
    int rc = cw_jconf_load(&root, cfg->file, err, err_len);
    if (rc)
        return rc;
    json_t *paths = json_object_get(root, "paths");
    for (int i = 0; i < cfg->n_paths; i++) {
        json_t *p = find_path(paths, cfg->paths[i].name, (size_t)i);
        for (int e = 0; p && e < 2; e++) {
            json_t *eo = json_object_get(p, e ? "b" : "a");
            if (!eo)
                continue;
            json_object_set_new(eo, "client", json_string(cfg->paths[i].end[e].client));
            json_object_set_new(eo, "channel", json_string(cfg->paths[i].end[e].channel));
        }
    }
    char tmp[RLY_FILE_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", cfg->file);
    if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
        rename(tmp, cfg->file) != 0) {
        rc = cw_errf(err, err_len, -EIO, "%s: cannot write the created ids back", cfg->file);
    }
    json_decref(root);
    return rc;
}
