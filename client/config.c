/* A chain's client config read from JSON (the relayer config's chains[] entries, which the
 * audit reads too) and the trust root's "HEIGHT:HASH" text (causeway/chain_client.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/chain_client.h"
#include "causeway/hex.h"

int cw_chain_trust_root_parse(const char *s, uint64_t *height, uint8_t hash32[static 32])
{
    const char *colon = strchr(s, ':');
    char *end = NULL;
    *height = 0;
    memset(hash32, 0, 32);
    errno = 0;
    unsigned long long h = colon ? strtoull(s, &end, 10) : 0;
    if (!colon || end != colon || h == 0 || errno || !isdigit((unsigned char)s[0]) ||
        strlen(colon + 1) != 64 || cw_hex_decode_exact(hash32, 32, colon + 1, NULL, 0) != CW_OK) {
        memset(hash32, 0, 32);
        return CW_EINVAL;
    }
    *height = h;
    return CW_OK;
}

void cw_chain_cfg_read(cw_jconf *j, const json_t *o, const char *what, cw_chain_cfg *c)
{
    static const char *const known[] = {"id", "rpc", "key_file", "trust_root", NULL};
    char f[160], s[160] = "";
    memset(c, 0, sizeof *c);
    if (!json_is_object(o)) {
        cw_jconf_fail(j, CW_EMALFORMED, what, "not an object");
        return;
    }
    cw_jconf_only(j, o, what, known);
    snprintf(f, sizeof f, "%.120s.id", what);
    cw_jconf_id(j, o, "id", f, true, c->id);
    snprintf(f, sizeof f, "%.120s.rpc", what);
    cw_jconf_str(j, o, "rpc", f, true, sizeof c->rpc - 1, c->rpc, sizeof c->rpc);
    snprintf(f, sizeof f, "%.120s.key_file", what);
    cw_jconf_str(j, o, "key_file", f, false, sizeof c->key_file - 1, c->key_file,
                 sizeof c->key_file);
    cw_jconf_str(j, o, "trust_root", what, false, sizeof s - 1, s, sizeof s);
    if (j->rc || !s[0])
        return;
    if (cw_chain_trust_root_parse(s, &c->trust_height, c->trust_hash) != CW_OK) {
        cw_jconf_fail(j, CW_EINVAL, what, "trust_root: \"%s\" is not HEIGHT:HASH (a height > 0 "
                      "and 64 hex digits)", s);
        return;
    }
    c->has_trust = true;
}

int cw_chain_cfg_env(cw_chain_cfg *c, const char *file, int ix, char *err, size_t err_len)
{
    char name[128];
    size_t k = (size_t)snprintf(name, sizeof name, "CAUSEWAY_CHAIN_");
    for (const char *p = c->id; *p && k + 5 < sizeof name; p++)
        name[k++] = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
    snprintf(name + k, sizeof name - k, "_RPC");
    const char *e = getenv(name);
    if (e && *e)
        snprintf(c->rpc, sizeof c->rpc, "%s", e);
    cw_rpc_url u;
    char uerr[160];
    if (cw_rpc_url_parse(&u, c->rpc, uerr, sizeof uerr) != CW_OK)
        return cw_errf(err, err_len, CW_EINVAL, "%s: chains[%d].rpc: \"%s\": %s", file, ix,
                       c->rpc, uerr);
    return CW_OK;
}
