/* IBC clients on the chain (ICS-02 with ICS-07 rules from lightclient/): create, update,
 * misbehaviour, recovery; the consensus-state store over the chain's state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/bank.h"
#include "causeway/block.h"
#include "ibc_internal.h"

/* ---- ordered height index ---------------------------------------------------------------
 * The Merkle store hashes its keys, so it cannot enumerate; the light client needs the
 * stored heights nearest a header (time monotonicity) and the oldest (pruning). Heights are
 * kept in buckets of 1024 consecutive heights:
 *   clients/{id}/consensusIndex        sorted array of non-empty bucket numbers (h >> 10)
 *   clients/{id}/consensusIndex/{b}    sorted array of the stored heights in bucket b
 *   clients/{id}/consensusCount        be64: how many consensus states are stored
 * The store keeps at most CW_IBC_CONSENSUS_STATES_MAX states (cs_put prunes the oldest), so
 * there are at most that many non-empty buckets: every value stays below the store's value
 * bound however far apart the heights are (a bucket holds ≤ 1024 heights; a u64 encodes in
 * ≤ 9 bytes). */

#define BUCKET_SHIFT 10
_Static_assert(CW_IBC_CONSENSUS_STATES_MAX * 9u + 5u <= CW_KV_VALUE_MAX,
               "the bucket list of a full client must fit one store value");

typedef struct u64list {
    uint64_t *v;
    uint32_t n;
} u64list;

static int list_read(const cw_kv *kv, const char *key, u64list *out)
{
    const uint8_t *val;
    size_t len;
    out->v = NULL;
    out->n = 0;
    int rc = cw_kv_get_s(kv, key, &val, &len);
    if (rc == CW_ENOTFOUND)
        return CW_OK;
    if (rc)
        return rc;
    cw_dec d;
    const msgpack_object *root;
    rc = cw_dec_open(&d, &root, val, len, CW_KV_VALUE_MAX, NULL, 0);
    if (rc == CW_OK) {
        uint32_t n;
        const msgpack_object *items = cw_dec_list(&d, root, 4096, &n, "index");
        out->v = malloc((n ? n : 1) * sizeof *out->v);
        if (!out->v)
            rc = -ENOMEM;
        for (uint32_t i = 0; rc == CW_OK && i < n; i++)
            out->v[i] = cw_dec_u64(&d, &items[i], "index[]");
        out->n = n;
        if (rc == CW_OK)
            rc = d.rc;
    }
    cw_dec_close(&d);
    if (rc) {
        free(out->v);
        out->v = NULL;
        out->n = 0;
        return rc == -ENOMEM ? rc : CW_EMALFORMED;
    }
    return CW_OK;
}

static int list_write(const cw_kv *kv, const char *key, const u64list *l)
{
    if (l->n == 0)
        return cw_kv_del_s(kv, key);
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, l->n);
    for (uint32_t i = 0; i < l->n; i++)
        cw_enc_u64(&e, l->v[i]);
    int rc = e.rc ? e.rc : cw_kv_set_s(kv, key, cw_enc_data(&e), cw_enc_len(&e));
    cw_enc_free(&e);
    return rc;
}

/* index of the first element >= x */
static uint32_t lower_bound(const u64list *l, uint64_t x)
{
    uint32_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Insert x unless present; *added (may be NULL) says whether it was. */
static int list_insert(u64list *l, uint64_t x, bool *added)
{
    uint32_t i = lower_bound(l, x);
    if (added)
        *added = false;
    if (i < l->n && l->v[i] == x)
        return CW_OK;
    uint64_t *nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv)
        return -ENOMEM;
    l->v = nv;
    memmove(l->v + i + 1, l->v + i, (l->n - i) * sizeof *l->v);
    l->v[i] = x;
    l->n++;
    if (added)
        *added = true;
    return CW_OK;
}

/* Remove x if present; returns whether it was. */
static bool list_remove(u64list *l, uint64_t x)
{
    uint32_t i = lower_bound(l, x);
    if (i < l->n && l->v[i] == x) {
        memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof *l->v);
        l->n--;
        return true;
    }
    return false;
}

static void index_key(char *out, const char *client, int bucket, uint64_t b)
{
    if (bucket)
        snprintf(out, CW_PATH_MAX, "clients/%s/consensusIndex/%llu", client,
                 (unsigned long long)b);
    else
        snprintf(out, CW_PATH_MAX, "clients/%s/consensusIndex", client);
}

static void count_key(char *out, const char *client)
{
    snprintf(out, CW_PATH_MAX, "clients/%s/consensusCount", client);
}

/* How many consensus states the client stores (absent = 0). */
static int count_get(const cw_kv *kv, const char *client, uint64_t *n)
{
    char key[CW_PATH_MAX];
    count_key(key, client);
    int rc = ibc_get_seq(kv, key, n);
    return rc == CW_ENOTFOUND ? CW_OK : rc;
}

/* Add height h to the client's index (add true) or remove it: the bucket's height list, the
 * bucket list when the bucket appears or empties, and the count when h came or went. */
static int index_update(const cw_kv *kv, const char *client, uint64_t h, bool add)
{
    char kb[CW_PATH_MAX], kl[CW_PATH_MAX];
    u64list buckets, heights;
    uint64_t b = h >> BUCKET_SHIFT, n;
    bool changed = false;
    index_key(kl, client, 0, 0);
    index_key(kb, client, 1, b);
    int rc = list_read(kv, kl, &buckets);
    if (rc)
        return rc;
    rc = list_read(kv, kb, &heights);
    if (rc == CW_OK && add) {
        if ((rc = list_insert(&heights, h, &changed)) == CW_OK &&
            (rc = list_insert(&buckets, b, NULL)) == CW_OK &&
            (rc = list_write(kv, kb, &heights)) == CW_OK)
            rc = list_write(kv, kl, &buckets);
    } else if (rc == CW_OK) {
        changed = list_remove(&heights, h);
        rc = list_write(kv, kb, &heights);
        if (rc == CW_OK && heights.n == 0) {
            list_remove(&buckets, b);
            rc = list_write(kv, kl, &buckets);
        }
    }
    free(buckets.v);
    free(heights.v);
    if (rc == CW_OK && changed && (rc = count_get(kv, client, &n)) == CW_OK) {
        count_key(kl, client);
        rc = ibc_set_seq(kv, kl, add ? n + 1 : n ? n - 1 : 0);
    }
    return rc;
}

/* The stored height nearest h strictly below (dir < 0) or above (dir > 0); 0 if none. */
static int index_near(const cw_kv *kv, const char *client, uint64_t h, int dir, uint64_t *found)
{
    char kb[CW_PATH_MAX], kl[CW_PATH_MAX];
    u64list buckets;
    *found = 0;
    index_key(kl, client, 0, 0);
    int rc = list_read(kv, kl, &buckets);
    if (rc)
        return rc;
    uint64_t b0 = h >> BUCKET_SHIFT;
    uint32_t i = lower_bound(&buckets, b0); /* first bucket >= b0 */
    /* candidate buckets in search order: b0 itself (if present), then outward */
    int64_t start = dir < 0 ? (int64_t)i - (i < buckets.n && buckets.v[i] == b0 ? 0 : 1)
                            : (int64_t)i;
    for (int64_t k = start; rc == CW_OK && k >= 0 && k < (int64_t)buckets.n; k += dir) {
        u64list heights;
        index_key(kb, client, 1, buckets.v[k]);
        if ((rc = list_read(kv, kb, &heights)))
            break;
        uint32_t j = lower_bound(&heights, dir < 0 ? h : h + 1);
        if (dir < 0 && j > 0)
            *found = heights.v[j - 1];
        else if (dir > 0 && j < heights.n)
            *found = heights.v[j];
        free(heights.v);
        if (*found)
            break;
    }
    free(buckets.v);
    return rc;
}

/* ---- the cw_lc_store over the chain state ---------------------------------------------- */

static int cs_get(void *ctx, uint64_t height, cw_lc_consensus_state *out)
{
    cw_ibc_client_store *s = ctx;
    char key[CW_PATH_MAX];
    const uint8_t *v;
    size_t n;
    cw_path_consensus_state(key, s->client_id, height);
    int rc = cw_kv_get_s(s->kv, key, &v, &n);
    if (rc)
        return rc;
    return cw_lc_consensus_state_decode(out, v, n, NULL, 0) ? CW_EMALFORMED : CW_OK;
}

static int cs_del(void *ctx, uint64_t height)
{
    cw_ibc_client_store *s = ctx;
    char key[CW_PATH_MAX];
    cw_path_consensus_state(key, s->client_id, height);
    int rc = cw_kv_del_s(s->kv, key);
    return rc ? rc : index_update(s->kv, s->client_id, height, false);
}

/* Over CW_IBC_CONSENSUS_STATES_MAX states: delete the oldest (lowest heights) until at the
 * cap, never `put` (the state just stored) nor s->keep (the client's latest). One put adds
 * at most one state, so this deletes one state per update once the client is full. */
static int prune_to_cap(cw_ibc_client_store *s, uint64_t put)
{
    uint64_t n, victim, from = 0;
    int rc = count_get(s->kv, s->client_id, &n);
    while (rc == CW_OK && n > CW_IBC_CONSENSUS_STATES_MAX) {
        if ((rc = index_near(s->kv, s->client_id, from, +1, &victim)) || victim == 0)
            break;
        from = victim;
        if (victim == put || victim == s->keep)
            continue;
        if ((rc = cs_del(s, victim)) == CW_OK)
            n--;
    }
    return rc;
}

static int cs_put(void *ctx, uint64_t height, const cw_lc_consensus_state *cs)
{
    cw_ibc_client_store *s = ctx;
    char key[CW_PATH_MAX];
    uint8_t *buf;
    size_t len;
    int rc = cw_lc_consensus_state_encode(&buf, &len, cs);
    if (rc)
        return rc;
    cw_path_consensus_state(key, s->client_id, height);
    rc = cw_kv_set_s(s->kv, key, buf, len);
    free(buf);
    if (rc == CW_OK)
        rc = index_update(s->kv, s->client_id, height, true);
    return rc ? rc : prune_to_cap(s, height);
}

static int cs_near(cw_ibc_client_store *s, uint64_t height, int dir, uint64_t *found,
                   cw_lc_consensus_state *out)
{
    int rc = index_near(s->kv, s->client_id, height, dir, found);
    if (rc)
        return rc;
    if (*found == 0)
        return CW_ENOTFOUND;
    return cs_get(s, *found, out);
}

static int cs_below(void *ctx, uint64_t height, uint64_t *found, cw_lc_consensus_state *out)
{
    return cs_near(ctx, height, -1, found, out);
}

static int cs_above(void *ctx, uint64_t height, uint64_t *found, cw_lc_consensus_state *out)
{
    return cs_near(ctx, height, +1, found, out);
}

void cw_ibc_client_store_init(cw_ibc_client_store *s, const cw_kv *kv, const char *client_id)
{
    memset(s, 0, sizeof *s);
    s->kv = kv;
    snprintf(s->client_id, sizeof s->client_id, "%s", client_id);
    s->store = (cw_lc_store){s, cs_get, cs_put, cs_del, cs_below, cs_above};
}

/* ---- client state -------------------------------------------------------------------- */

int cw_ibc_client(const cw_kv *kv, const char *client_id, cw_lc_client_state *out)
{
    char key[CW_PATH_MAX];
    const uint8_t *v;
    size_t n;
    memset(out, 0, sizeof *out);
    if (cw_id_validate(client_id, strlen(client_id), "client id", NULL, 0))
        return CW_EINVAL;
    cw_path_client_state(key, client_id);
    int rc = cw_kv_get_s(kv, key, &v, &n);
    if (rc)
        return rc;
    return cw_lc_client_state_decode(out, v, n, NULL, 0) ? CW_EMALFORMED : CW_OK;
}

int cw_ibc_client_type(const cw_kv *kv, const char *client_id, char out[static 65])
{
    char key[CW_PATH_MAX];
    const uint8_t *v;
    size_t n;
    cw_lc_client_state cs;
    out[0] = '\0';
    int rc = cw_ibc_client(kv, client_id, &cs);
    if (rc)
        return rc;
    cw_path_client_type(key, client_id);
    rc = cw_kv_get_s(kv, key, &v, &n);
    if (rc == CW_ENOTFOUND) {
        strcpy(out, CW_CLIENT_TYPE_BIP340);
        return CW_OK;
    }
    if (rc)
        return rc;
    if (!((n == strlen(CW_CLIENT_TYPE_BIP340) && memcmp(v, CW_CLIENT_TYPE_BIP340, n) == 0) ||
          (n == strlen(CW_CLIENT_TYPE_TENDERMINT) &&
           memcmp(v, CW_CLIENT_TYPE_TENDERMINT, n) == 0)))
        return CW_EMALFORMED;
    memcpy(out, v, n);
    out[n] = '\0';
    return CW_OK;
}

int ibc_client_require_type(const cw_exec_ctx *ctx, const char *client_id, const char *type,
                            char *err, size_t err_len)
{
    char t[CW_ID_MAX + 1];
    int rc = cw_ibc_client_type(ctx->kv, client_id, t);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "client %s: not found", client_id);
    if (rc)
        return cw_errf(err, err_len, rc, "client %s: type: %s", client_id, cw_strerror(rc));
    if (strcmp(t, type) != 0)
        return cw_errf(err, err_len, CW_EINVAL, "client %s is a %s client, not %s", client_id,
                       t, type);
    return CW_OK;
}

static int client_store(const cw_kv *kv, const char *client_id, const cw_lc_client_state *cs)
{
    char key[CW_PATH_MAX];
    uint8_t *buf;
    size_t len;
    int rc = cw_lc_client_state_encode(&buf, &len, cs);
    if (rc)
        return rc;
    cw_path_client_state(key, client_id);
    rc = cw_kv_set_s(kv, key, buf, len);
    free(buf);
    return rc;
}

/* Load a client that must exist, with its store. */
int ibc_client_load(const cw_exec_ctx *ctx, const char *client_id, cw_lc_client_state *cs,
                    cw_ibc_client_store *st, char *err, size_t err_len)
{
    int rc = cw_ibc_client(ctx->kv, client_id, cs);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "client %s: not found", client_id);
    if (rc)
        return cw_errf(err, err_len, rc, "client %s: %s", client_id, cw_strerror(rc));
    cw_ibc_client_store_init(st, ctx->kv, client_id);
    st->keep = cs->latest_height;
    return CW_OK;
}

static void client_event(cw_exec_ctx *ctx, const char *type, const char *client_id,
                         uint64_t height)
{
    cw_event_begin(ctx->events, type, 2);
    cw_event_attr_str(ctx->events, CW_ATTR_CLIENT_ID, client_id);
    cw_event_attr_u64(ctx->events, CW_ATTR_HEIGHT, height);
}

int ibc_client_save(const cw_kv *kv, const char *client_id, const cw_lc_client_state *cs)
{
    return client_store(kv, client_id, cs);
}

void ibc_client_event(cw_exec_ctx *ctx, const char *type, const char *client_id,
                      uint64_t height)
{
    client_event(ctx, type, client_id, height);
}

/* ibc.create_client: the type, the states' domain, a live height and the trusting period */
static int msg_create_client(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_create_client *m = in;
    const cw_lc_client_state *cs = &m->client_state;
    const cw_lc_consensus_state *cons = &m->consensus_state;
    int rc = cw_lc_client_state_validate(cs, err, err_len);
    if (rc)
        return rc;
    if (cs->latest_height == 0 || cs->frozen_height != 0)
        return cw_errf(err, err_len, CW_EINVAL,
                       "client_state: latest_height must be > 0 and frozen_height 0");
    if (cons->timestamp_ns + cs->trusting_period_ns <= ctx->time_ns ||
        cons->timestamp_ns + cs->trusting_period_ns < cons->timestamp_ns)
        return cw_errf(err, err_len, CW_EEXPIRED,
                       "consensus_state: already outside the trusting period");
    bool tm = strcmp(m->client_type, CW_CLIENT_TYPE_TENDERMINT) == 0;
    if (!tm && strcmp(m->client_type, CW_CLIENT_TYPE_BIP340) != 0)
        return cw_errf(err, err_len, CW_EINVAL, "client_type '%s': unknown", m->client_type);
    if (tm && (strlen(cs->chain_id) > CW_TM_CHAIN_ID_MAX ||
               cons->timestamp_ns > (uint64_t)INT64_MAX))
        return cw_errf(err, err_len, CW_EINVAL,
                       "07-tendermint: chain id longer than %d bytes or time beyond 2262",
                       CW_TM_CHAIN_ID_MAX);
    uint64_t seq;
    if ((rc = ibc_next_id(ctx->kv, "nextClientSequence", &seq)))
        return cw_errf(err, err_len, rc, "client id: %s", cw_strerror(rc));
    char id[CW_ID_MAX + 1], tkey[CW_PATH_MAX];
    snprintf(id, sizeof id, "client-%llu", (unsigned long long)seq);
    cw_ibc_client_store st;
    cw_ibc_client_store_init(&st, ctx->kv, id);
    cw_path_client_type(tkey, id);
    if ((rc = client_store(ctx->kv, id, cs)) ||
        (rc = cw_kv_set_s(ctx->kv, tkey, m->client_type, strlen(m->client_type))) ||
        (rc = st.store.put(&st, cs->latest_height, cons)))
        return cw_errf(err, err_len, rc, "client %s: %s", id, cw_strerror(rc));
    client_event(ctx, CW_EV_CREATE_CLIENT, id, cs->latest_height);
    return CW_OK;
}

/* ibc.update_client (update: the header) and ibc.submit_misbehaviour (h1, h2: the two
 * conflicting headers): the light client judges the msg against the stored client, and
 * what it decides is stored with its event — a new height (or a no-op update), or a frozen
 * client. Misbehaviour found by an update is the one failure that must persist: the tx's
 * writes are discarded on failure, so freezing succeeds as a msg, with an event. */
/* Gas for judging a header (causeway/gas.h), charged before the light client runs: a
 * signature check per commit entry (those an update does not check are refunded after), the
 * hashes of the header and its vote message, and per validator set it carries its hash and
 * CW_GAS_VALIDATOR an entry (the set cache lifts every key of a set it has not seen before
 * anything is verified; charged on a hit too, so every node charges the same). */
#define HEADER_HASHED_BYTES 320u   /* a header's or vote message's encoding, at most */
#define VALIDATOR_HASHED_BYTES 48u /* one validator's entry in a set's encoding, at most */
static uint64_t set_gas(const cw_validator_set *vs)
{
    return cw_gas_hash((size_t)vs->n * VALIDATOR_HASHED_BYTES) +
           (uint64_t)vs->n * CW_GAS_VALIDATOR;
}

static uint64_t header_gas(const cw_update_header *u)
{
    uint64_t g = (uint64_t)u->signed_header.commit.n_sigs * CW_GAS_SIG +
                 2 * cw_gas_hash(HEADER_HASHED_BYTES) + set_gas(&u->validator_set);
    if (u->has_trusted_validator_set)
        g += set_gas(&u->trusted_validator_set);
    return g;
}

static int client_judge(cw_exec_ctx *ctx, const char *client_id, const cw_update_header *update,
                        const cw_update_header *h1, const cw_update_header *h2, char *err,
                        size_t err_len)
{
    cw_ibc *h = cw_app_handler_user(ctx);
    cw_lc_client_state cs;
    cw_ibc_client_store st;
    cw_lc_update_result res = {0};
    bool frozen;
    int rc = ibc_client_load(ctx, client_id, &cs, &st, err, err_len);
    if (rc || (rc = ibc_client_require_type(ctx, client_id, CW_CLIENT_TYPE_BIP340, err,
                                            err_len)))
        return rc;
    uint64_t gas = update ? header_gas(update) : header_gas(h1) + header_gas(h2);
    if (cw_gas_charge(ctx->gas, gas, "verifying a header (signatures and hashes)"))
        return cw_gas_explain(ctx->gas, err, err_len);
    if (update) {
        rc = cw_lc_update_msg(&cs, &st.store, ibc_vcache(h), update, ctx->time_ns, &res, err,
                              err_len);
        frozen = rc == CW_EMISBEHAVIOUR;
        /* refund what was precharged for work not done: a no-op (§6) parsed, hashed and
         * checked nothing; a verified update checked only the signatures it needed */
        if (rc == CW_OK && res.noop)
            cw_gas_refund(ctx->gas, gas);
        else if (rc == CW_OK && res.info.sigs_checked <= update->signed_header.commit.n_sigs)
            cw_gas_refund(ctx->gas, (uint64_t)(update->signed_header.commit.n_sigs -
                                               res.info.sigs_checked) * CW_GAS_SIG);
    } else {
        rc = cw_lc_submit_misbehaviour(&cs, &st.store, ibc_vcache(h), h1, h2, ctx->time_ns, err,
                                       err_len);
        frozen = rc == CW_OK;
    }
    if (rc && !frozen)
        return rc;
    if (res.noop) {
        /* The consensus state at that height is already stored: the light client verified
         * nothing and wrote nothing, so nothing is written here and the event says only
         * that (update_client_noop, never update_client: the relayer takes update_client as
         * a verified header to check for misbehaviour, and this header was not verified). */
        client_event(ctx, CW_EV_UPDATE_CLIENT_NOOP, client_id, res.height);
        return CW_OK;
    }
    if ((rc = client_store(ctx->kv, client_id, &cs)))
        return rc;
    if (frozen)
        client_event(ctx, CW_EV_CLIENT_MISBEHAVIOUR, client_id, cs.frozen_height);
    else
        client_event(ctx, CW_EV_UPDATE_CLIENT, client_id, res.height);
    return CW_OK;
}

/* ibc.update_client MsgUpdateClient */
static int msg_update_client(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_update_client *m = in;
    return client_judge(ctx, m->client_id, &m->update, NULL, NULL, err, err_len);
}

/* ibc.submit_misbehaviour MsgSubmitMisbehaviour */
static int msg_submit_misbehaviour(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    const cw_msg_submit_misbehaviour *m = in;
    return client_judge(ctx, m->client_id, NULL, &m->header1, &m->header2, err, err_len);
}

/* ibc.recover_client [subject, substitute]: admin only; the subject must be Frozen or
 * Expired and the substitute Active, for the same chain with the same parameters; the subject
 * takes the substitute's latest height and consensus state (ibc-go RecoverClient). */
static int msg_recover_client(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    cw_ibc *h = cw_app_handler_user(ctx);
    if (memcmp(ctx->signer_pk.b, ibc_admin(h)->b, 32) != 0)
        return cw_errf(err, err_len, CW_EUNAUTHORIZED, "signer is not the admin");
    const cw_msg_recover_client *m = in;
    const char *subject = m->subject_client_id, *substitute = m->substitute_client_id;
    if (strcmp(subject, substitute) == 0)
        return cw_errf(err, err_len, CW_EINVAL, "subject and substitute are the same client");
    cw_lc_client_state a, b;
    cw_ibc_client_store sa, sb;
    int rc;
    if ((rc = ibc_client_load(ctx, subject, &a, &sa, err, err_len)) ||
        (rc = ibc_client_load(ctx, substitute, &b, &sb, err, err_len)))
        return rc;
    char ta[CW_ID_MAX + 1], tb[CW_ID_MAX + 1];
    if ((rc = cw_ibc_client_type(ctx->kv, subject, ta)) ||
        (rc = cw_ibc_client_type(ctx->kv, substitute, tb)))
        return cw_errf(err, err_len, rc, "client type: %s", cw_strerror(rc));
    if (strcmp(ta, tb) != 0)
        return cw_errf(err, err_len, CW_EINVAL, "subject is %s, substitute %s: same type "
                                                "needed", ta, tb);
    cw_lc_client_status st_a, st_b;
    if ((rc = cw_lc_status(&st_a, &a, &sa.store, ctx->time_ns)) ||
        (rc = cw_lc_status(&st_b, &b, &sb.store, ctx->time_ns)))
        return cw_errf(err, err_len, rc, "client status: %s", cw_strerror(rc));
    if (st_a == CW_LC_ACTIVE)
        return cw_errf(err, err_len, CW_ESTATE, "subject %s is Active: nothing to recover",
                       subject);
    if (st_b != CW_LC_ACTIVE)
        return cw_errf(err, err_len, CW_ESTATE, "substitute %s is %s, must be Active",
                       substitute, cw_lc_status_name(st_b));
    /* as ibc-go's IsMatchingClientState: everything but the heights and the trusting period
     * (which the subject adopts) must match */
    if (strcmp(a.chain_id, b.chain_id) != 0 || a.trust_level_num != b.trust_level_num ||
        a.trust_level_den != b.trust_level_den || a.max_clock_drift_ns != b.max_clock_drift_ns)
        return cw_errf(err, err_len, CW_EINVAL,
                       "substitute must track the same chain with the same trust level and "
                       "clock drift");
    if (b.latest_height <= a.latest_height && a.frozen_height == 0)
        return cw_errf(err, err_len, CW_EINVAL, "substitute is not ahead of the subject");
    cw_lc_consensus_state cons;
    if ((rc = sb.store.get(&sb, b.latest_height, &cons)))
        return cw_errf(err, err_len, rc, "substitute consensus state: %s", cw_strerror(rc));
    a.latest_height = b.latest_height;
    a.frozen_height = 0;
    a.trusting_period_ns = b.trusting_period_ns;
    if ((rc = sa.store.put(&sa, a.latest_height, &cons)) ||
        (rc = client_store(ctx->kv, subject, &a)))
        return cw_errf(err, err_len, rc, "recover: %s", cw_strerror(rc));
    client_event(ctx, CW_EV_RECOVER_CLIENT, subject, a.latest_height);
    return CW_OK;
}

int ibc_next_id(const cw_kv *kv, const char *counter, uint64_t *out)
{
    const uint8_t *v;
    size_t n;
    uint8_t b[8];
    *out = 0;
    int rc = cw_kv_get_s(kv, counter, &v, &n);
    if (rc == CW_OK)
        rc = cw_val_be64_dec(out, v, n, NULL, 0);
    if (rc && rc != CW_ENOTFOUND)
        return rc;
    cw_val_be64_enc(b, *out + 1);
    return cw_kv_set_s(kv, counter, b, 8);
}

int ibc_register_client_msgs(cw_ibc *h, cw_app *app)
{
    int rc;
    if ((rc = cw_app_register(app, CW_MSG_IBC_CREATE_CLIENT, msg_create_client, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_UPDATE_CLIENT, msg_update_client, h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_SUBMIT_MISBEHAVIOUR, msg_submit_misbehaviour,
                              h)) ||
        (rc = cw_app_register(app, CW_MSG_IBC_RECOVER_CLIENT, msg_recover_client, h)) ||
        (rc = ibc_register_client_tm_msgs(h, app)))
        return rc;
    return CW_OK;
}

int cw_ibc_client_consensus_count(const cw_kv *kv, const char *client_id, uint64_t *out)
{
    *out = 0;
    if (cw_id_validate(client_id, strlen(client_id), "client id", NULL, 0))
        return CW_EINVAL;
    return count_get(kv, client_id, out);
}
