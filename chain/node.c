/* The chain node: genesis, mempool, durable block production, reads (DESIGN §5). */
#include "node.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#include "app.h"
#include "causeway/bank.h"
#include "causeway/hash.h"
#include "causeway/collateral.h"
#include "causeway/echo.h"
#include "causeway/ibc.h"
#include "causeway/lending.h"
#include "causeway/packet.h"
#include "causeway/log.h"
#include "causeway/rpc_results.h"
#include "causeway/smt.h"
#include "causeway/transfer.h"

/* LMDB databases besides the SMT's own. Keys of blocks/results: 8-byte big-endian height. */
#define DB_BLOCKS "blocks"   /* height -> LightBlock bytes */
#define DB_RESULTS "results" /* height -> [height, [[tx_hash, tx, result], ...]] */
#define DB_TXIDX "txidx"     /* tx hash -> [height, index] */
#define DB_META "meta"       /* "tip" -> Tip */
/* Non-consensus packet indexes (DESIGN §5: `packet` and `ack` come from an index), keyed
 * "{port}/{channel}/" + cw_be64_put(sequence), written in the block's own transaction: */
#define DB_PKT_SENT "pkt_sent"       /* sender side: packet bytes of send_packet */
#define DB_PKT_PENDING "pkt_pending" /* sender side: present while the commitment exists */
#define DB_PKT_ACKS "pkt_acks"       /* receiver side: ack bytes of write_acknowledgement */
#define DB_BORROWERS "borrowers"     /* address (20 bytes) -> "": the borrower index, present
                                      * while market/borrowers/{addr} is (DESIGN §8) */
#define META_TIP "tip"

struct keyring_entry {
    cw_pubkey32 pk;
    cw_seckey sk;
};

struct mp_entry {
    uint8_t *bytes;
    size_t len;
    cw_tx tx; /* the admitted tx's fields (signer, nonce, gas limit, hash); its decoded
               * tree is freed at admission (msgs NULL): produce_block decodes bytes again */
};

/* What one sender has in the mempool: the nonce its next tx must carry, and how many txs
 * and bytes are pending (capped per sender by mempool_max_txs_per_sender / _bytes_). */
struct pending_nonce {
    cw_address addr;
    uint64_t next;
    uint64_t txs;
    uint64_t bytes;
};

struct cw_node {
    char home[PATH_MAX];
    cw_node_config cfg;
    cw_genesis gen;
    struct keyring_entry *keys;
    size_t n_keys;

    MDB_env *env;
    MDB_dbi db_blocks, db_results, db_txidx, db_meta, db_pkt_sent, db_pkt_pending, db_pkt_acks,
        db_borrowers;
    cw_smt *smt;
    cw_app *app;
    cw_ibc *ibc;

    /* the tip: the last committed block (height 0 = genesis state only) */
    uint64_t height, time_ns, txs_committed;
    uint64_t notes_partial; /* blocks whose notification carried only part of the events */
    uint8_t last_hash[32], state_root[32];
    cw_validator_set cur_vals;  /* signs the next block */
    cw_validator_set next_vals; /* == cur_vals unless an update is pending */

    struct mp_entry *mp;
    size_t mp_n, mp_cap, mp_bytes;
    void *pending; /* tsearch tree of struct pending_nonce */

    MDB_txn *exec_txn; /* the block's write txn while it executes, else NULL */
    /* borrower-index keys the executing block wrote (the enumerable copy follows them at
     * commit, index_borrowers) */
    cw_address *touched;
    size_t n_touched, cap_touched;
    bool touched_oom;
    cw_node_block_cb on_block;
    void *on_block_user;
};

/* ---- small helpers -------------------------------------------------------------------- */

static int mdb_err(int rc, char *err, size_t err_len, const char *what)
{
    return cw_errf(err, err_len, cw_lmdb_error(rc), "store: %s: %s", what, mdb_strerror(rc));
}

/* ---- the SMT as the block's cw_kv ------------------------------------------------------ */

struct smt_kv {
    cw_smt *smt;
    MDB_txn *txn;
    cw_node *n; /* the executing block's node (writes to the borrower index are noted), or NULL */
};

/* A write to key during a block: note a borrower-index key's address (deduplicated at
 * commit; out of memory is remembered and fails the block). */
static void note_write(cw_node *n, const uint8_t *key, size_t key_len)
{
    cw_address a;
    if (!n || !cw_key_lend_borrower_parse(&a, key, key_len))
        return;
    if (n->n_touched == n->cap_touched) {
        size_t cap = n->cap_touched ? n->cap_touched * 2 : 64;
        cw_address *t = realloc(n->touched, cap * sizeof *t);
        if (!t) {
            n->touched_oom = true;
            return;
        }
        n->touched = t;
        n->cap_touched = cap;
    }
    n->touched[n->n_touched++] = a;
}

static int skv_get(void *ctx, const uint8_t *key, size_t key_len, const uint8_t **val,
                   size_t *val_len)
{
    struct smt_kv *s = ctx;
    bool found = false;
    int rc = cw_smt_get(s->smt, s->txn, val, val_len, &found, key, key_len);
    if (rc)
        return rc;
    return found ? CW_OK : CW_ENOTFOUND;
}

static int skv_set(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *val,
                   size_t val_len)
{
    struct smt_kv *s = ctx;
    int rc = cw_smt_set(s->smt, key, key_len, val, val_len, NULL, 0);
    if (rc == CW_OK)
        note_write(s->n, key, key_len);
    return rc;
}

static int skv_del(void *ctx, const uint8_t *key, size_t key_len)
{
    struct smt_kv *s = ctx;
    int rc = cw_smt_delete(s->smt, key, key_len, NULL, 0);
    if (rc == CW_OK)
        note_write(s->n, key, key_len);
    return rc;
}

static const cw_kv_ops smt_kv_ops = {skv_get, skv_set, skv_del};

/* Run fn over a read-only view of the latest state. */
static int with_state(cw_node *n, int (*fn)(cw_node *n, const cw_kv *kv, void *arg), void *arg,
                      char *err, size_t err_len)
{
    MDB_txn *txn;
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, "state");
    struct smt_kv s = {n->smt, txn, NULL};
    cw_kv kv = {&smt_kv_ops, &s};
    int rc = fn(n, &kv, arg);
    mdb_txn_abort(txn);
    return rc;
}


/* ---- tip (meta) ------------------------------------------------------------------------ */

static int tip_store(cw_node *n, MDB_txn *txn, char *err, size_t err_len)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 7);
    cw_enc_u64(&e, n->height);
    cw_enc_u64(&e, n->time_ns);
    cw_enc_bin(&e, n->last_hash, 32);
    cw_enc_bin(&e, n->state_root, 32);
    cw_enc_u64(&e, n->txs_committed);
    cw_validator_set_enc(&e, &n->cur_vals);
    cw_validator_set_enc(&e, &n->next_vals);
    int rc = e.rc;
    if (rc == CW_OK) {
        MDB_val k = {strlen(META_TIP), META_TIP}, v = {cw_enc_len(&e), e.sb.data};
        int m = mdb_put(txn, n->db_meta, &k, &v, 0);
        if (m)
            rc = mdb_err(m, err, err_len, "writing tip");
    }
    cw_enc_free(&e);
    return rc;
}

static int tip_load(cw_node *n, MDB_txn *txn, bool *found, char *err, size_t err_len)
{
    MDB_val k = {strlen(META_TIP), META_TIP}, v;
    *found = false;
    int m = mdb_get(txn, n->db_meta, &k, &v);
    if (m == MDB_NOTFOUND)
        return CW_OK;
    if (m)
        return mdb_err(m, err, err_len, "reading tip");
    cw_dec d;
    const msgpack_object *root;
    int rc = cw_dec_open(&d, &root, v.mv_data, v.mv_size, CW_CODEC_MAX_INPUT, err, err_len);
    if (rc == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 7, "tip");
        n->height = cw_dec_u64(&d, &f[0], "tip.height");
        n->time_ns = cw_dec_u64(&d, &f[1], "tip.time_ns");
        cw_dec_bin_fixed(&d, &f[2], n->last_hash, 32, "tip.last_hash");
        cw_dec_bin_fixed(&d, &f[3], n->state_root, 32, "tip.state_root");
        n->txs_committed = cw_dec_u64(&d, &f[4], "tip.txs");
        cw_validator_set_dec(&d, &f[5], &n->cur_vals, "tip.cur_vals");
        cw_validator_set_dec(&d, &f[6], &n->next_vals, "tip.next_vals");
        rc = d.rc;
    }
    cw_dec_close(&d);
    if (rc)
        return cw_err_prefix(err, err_len, rc, "store: corrupt tip");
    *found = true;
    return CW_OK;
}

/* ---- keys ------------------------------------------------------------------------------ */

static int load_keyring(cw_node *n, char *err, size_t err_len)
{
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/keys", n->home);
    DIR *dh = opendir(dir);
    if (!dh)
        return cw_errf(err, err_len, -errno, "%s: %s", dir, strerror(errno));
    struct dirent *de;
    int rc = CW_OK;
    while (rc == CW_OK && (de = readdir(dh))) {
        if (strncmp(de->d_name, "validator-", 10) != 0)
            continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct keyring_entry *grown = realloc(n->keys, (n->n_keys + 1) * sizeof *grown);
        if (!grown) {
            rc = cw_errf(err, err_len, -ENOMEM, "keys: out of memory");
            break;
        }
        n->keys = grown;
        struct keyring_entry *k = &n->keys[n->n_keys];
        rc = cw_keyfile_read(path, &k->sk, &k->pk, err, err_len);
        if (rc == CW_OK)
            n->n_keys++;
    }
    closedir(dh);
    return rc;
}

static const cw_seckey *key_of(const cw_node *n, const cw_pubkey32 *pk)
{
    for (size_t i = 0; i < n->n_keys; i++)
        if (memcmp(n->keys[i].pk.b, pk->b, 32) == 0)
            return &n->keys[i].sk;
    return NULL;
}

/* ---- admin msgs ------------------------------------------------------------------------ */

#define NEXT_VALS_KEY "admin/next_validators"

/* admin.update_validators [validator_set]: the genesis admin replaces the set; executed in
 * block H it becomes header H's next validator set (DESIGN §5). */
static int admin_update_validators(cw_exec_ctx *ctx, const void *in, char *err, size_t err_len)
{
    cw_node *n = cw_app_handler_user(ctx);
    if (memcmp(ctx->signer_pk.b, n->gen.admin.b, 32) != 0)
        return cw_errf(err, err_len, CW_EUNAUTHORIZED, "signer is not the genesis admin");
    const cw_validator_set *vs = &((const cw_msg_admin_update_validators *)in)->validator_set;
    int rc = CW_OK;
    for (uint32_t i = 0; rc == CW_OK && i < vs->n; i++) {
        cw_pubkey p;
        if (cw_pubkey_parse(&p, &vs->v[i].pubkey))
            rc = cw_errf(err, err_len, CW_EINVAL, "validator_set[%u]: not a valid key", i);
    }
    if (rc == CW_OK) {
        uint8_t *buf;
        size_t len;
        rc = cw_validator_set_encode(&buf, &len, vs);
        if (rc == CW_OK) {
            rc = cw_kv_set_s(ctx->kv, NEXT_VALS_KEY, buf, len);
            free(buf);
        }
    }
    if (rc == CW_OK) {
        cw_event_begin(ctx->events, CW_EV_UPDATE_VALIDATORS, 1);
        cw_event_attr_u64(ctx->events, CW_ATTR_VALIDATORS, vs->n);
    }
    return rc;
}

/* This chain's own consensus state at a past height, for the IBC handshake's check that
 * the counterparty's client tracks us. Reads through the executing block's txn. */
static int self_consensus(void *user, uint64_t height, cw_lc_consensus_state *out)
{
    cw_node *n = user;
    uint8_t k8[8];
    if (!n->exec_txn || height == 0 || height > n->height)
        return CW_ENOTFOUND;
    cw_be64_put(k8, height);
    MDB_val k = {8, k8}, v;
    int m = mdb_get(n->exec_txn, n->db_blocks, &k, &v);
    if (m)
        return cw_lmdb_error(m); /* MDB_NOTFOUND: CW_ENOTFOUND */
    cw_light_block lb;
    int rc = cw_light_block_decode(&lb, v.mv_data, v.mv_size, NULL, 0);
    if (rc == CW_OK)
        cw_lc_consensus_state_of(out, &lb.signed_header.header);
    cw_light_block_free(&lb);
    return rc;
}

/* CW_LMDB_NOSYNC=1 skips the fsync at each block commit. For tests and benchmarks that
 * produce thousands of blocks only: a crash may then lose the last blocks. */
static int nosync_for_tests(void)
{
    const char *v = getenv("CW_LMDB_NOSYNC");
    return v && strcmp(v, "1") == 0;
}

/* ---- open / genesis -------------------------------------------------------------------- */

static int write_genesis_state(cw_node *n, MDB_txn *txn, char *err, size_t err_len)
{
    struct smt_kv s = {n->smt, txn, NULL};
    cw_kv kv = {&smt_kv_ops, &s};
    int rc = CW_OK;
    for (uint32_t i = 0; rc == CW_OK && i < n->gen.n_balances; i++) {
        const cw_genesis_account *a = &n->gen.balances[i];
        rc = cw_bank_mint(&kv, &a->address, a->denom, a->amount, err, err_len);
        if (rc)
            cw_err_prefix(err, err_len, rc, "genesis balances");
    }
    for (uint32_t i = 0; rc == CW_OK && i < n->gen.n_markets; i++)
        if ((rc = cw_lend_genesis(&kv, &n->gen.markets[i], err, err_len)))
            cw_err_prefix(err, err_len, rc, "genesis market");
    if (rc == CW_OK)
        rc = cw_smt_commit(n->smt, txn, 0, n->state_root, err, err_len);
    if (rc) {
        cw_smt_discard(n->smt);
        return rc;
    }
    n->height = 0;
    n->time_ns = n->gen.genesis_time_ns;
    memset(n->last_hash, 0, 32);
    if ((rc = cw_validator_set_copy(&n->cur_vals, &n->gen.validators)) ||
        (rc = cw_validator_set_copy(&n->next_vals, &n->gen.validators)))
        return cw_errf(err, err_len, rc, "genesis: out of memory");
    return tip_store(n, txn, err, err_len);
}

int cw_node_open(cw_node **out, const char *home, char *err, size_t err_len)
{
    char path[PATH_MAX + 32];
    MDB_txn *txn = NULL;
    int rc, m;
    cw_node *n = calloc(1, sizeof *n);
    *out = NULL;
    if (!n)
        return cw_errf(err, err_len, -ENOMEM, "out of memory");
    snprintf(n->home, sizeof n->home, "%s", home);

    snprintf(path, sizeof path, "%s/config.json", home);
    if ((rc = cw_node_config_load(&n->cfg, path, err, err_len)))
        goto fail;
    snprintf(path, sizeof path, "%s/genesis.json", home);
    if ((rc = cw_genesis_load(&n->gen, path, err, err_len)))
        goto fail;
    if ((rc = load_keyring(n, err, err_len)))
        goto fail;
    if ((rc = cw_app_create(&n->app, n->gen.chain_id)) || (rc = cw_app_register_bank(n->app)) ||
        (rc = cw_app_register(n->app, CW_MSG_ADMIN_UPDATE_VALIDATORS, admin_update_validators,
                              n)) ||
        (rc = cw_ibc_create(&n->ibc, &n->gen.admin)) ||
        (rc = cw_ibc_register_msgs(n->ibc, n->app)) ||
        (rc = cw_collateral_register(n->ibc, n->app)) || (rc = cw_lend_register(n->app)) ||
        (rc = cw_echo_register(n->ibc, n->app)) ||
        (rc = cw_transfer_register(n->ibc, n->app))) {
        cw_errf(err, err_len, rc, "app: %s", cw_strerror(rc));
        goto fail;
    }
    cw_ibc_set_self_consensus(n->ibc, self_consensus, n);

    snprintf(path, sizeof path, "%s/data", home);
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        rc = cw_errf(err, err_len, -errno, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if ((m = mdb_env_create(&n->env)) || (m = mdb_env_set_maxdbs(n->env, 16)) ||
        (m = mdb_env_set_mapsize(n->env, (size_t)64 << 30)) ||
        (m = mdb_env_open(n->env, path, nosync_for_tests() ? MDB_NOSYNC : 0, 0600))) {
        rc = cw_errf(err, err_len, cw_lmdb_error(m), "%s: LMDB: %s", path, mdb_strerror(m));
        goto fail;
    }
    if ((m = mdb_txn_begin(n->env, NULL, 0, &txn))) {
        rc = mdb_err(m, err, err_len, "begin");
        goto fail;
    }
    if ((m = mdb_dbi_open(txn, DB_BLOCKS, MDB_CREATE, &n->db_blocks)) ||
        (m = mdb_dbi_open(txn, DB_RESULTS, MDB_CREATE, &n->db_results)) ||
        (m = mdb_dbi_open(txn, DB_TXIDX, MDB_CREATE, &n->db_txidx)) ||
        (m = mdb_dbi_open(txn, DB_META, MDB_CREATE, &n->db_meta)) ||
        (m = mdb_dbi_open(txn, DB_PKT_SENT, MDB_CREATE, &n->db_pkt_sent)) ||
        (m = mdb_dbi_open(txn, DB_PKT_PENDING, MDB_CREATE, &n->db_pkt_pending)) ||
        (m = mdb_dbi_open(txn, DB_PKT_ACKS, MDB_CREATE, &n->db_pkt_acks)) ||
        (m = mdb_dbi_open(txn, DB_BORROWERS, MDB_CREATE, &n->db_borrowers))) {
        rc = mdb_err(m, err, err_len, "opening databases");
        goto fail;
    }
    if ((rc = cw_smt_open(&n->smt, n->env, txn, n->cfg.state_versions, err, err_len)))
        goto fail;
    bool found;
    if ((rc = tip_load(n, txn, &found, err, err_len)))
        goto fail;
    if (!found && (rc = write_genesis_state(n, txn, err, err_len)))
        goto fail;
    if ((m = mdb_txn_commit(txn))) {
        txn = NULL;
        rc = mdb_err(m, err, err_len, "commit");
        goto fail;
    }
    txn = NULL;
    cw_log(CW_LOG_INFO, "node open chain=%s height=%llu validators=%u keys=%zu",
           n->gen.chain_id, (unsigned long long)n->height, n->cur_vals.n, n->n_keys);
    *out = n;
    return CW_OK;
fail:
    if (txn)
        mdb_txn_abort(txn);
    cw_node_close(n);
    return rc;
}

static void mp_entry_free(struct mp_entry *e)
{
    cw_tx_free(&e->tx);
    free(e->bytes);
}

void cw_node_close(cw_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->mp_n; i++)
        mp_entry_free(&n->mp[i]);
    free(n->mp);
    free(n->touched);
    tdestroy(n->pending, free);
    cw_smt_close(n->smt);
    if (n->env)
        mdb_env_close(n->env);
    cw_app_destroy(n->app);
    cw_ibc_destroy(n->ibc);
    for (size_t i = 0; i < n->n_keys; i++)
        cw_seckey_wipe(&n->keys[i].sk);
    free(n->keys);
    cw_validator_set_free(&n->cur_vals);
    cw_validator_set_free(&n->next_vals);
    cw_genesis_free(&n->gen);
    free(n);
}

const cw_node_config *cw_node_get_config(const cw_node *n) { return &n->cfg; }

void cw_node_set_sign_with(cw_node *n, uint64_t sign_with) { n->cfg.sign_with = sign_with; }

cw_ibc *cw_node_ibc(cw_node *n) { return n->ibc; }
cw_app *cw_node_app(cw_node *n) { return n->app; }

void cw_node_on_block(cw_node *n, cw_node_block_cb cb, void *user)
{
    n->on_block = cb;
    n->on_block_user = user;
}

/* ---- mempool ---------------------------------------------------------------------------- */

static int pending_cmp(const void *a, const void *b)
{
    return memcmp(((const struct pending_nonce *)a)->addr.b,
                  ((const struct pending_nonce *)b)->addr.b, 20);
}

static struct pending_nonce *pending_find(cw_node *n, const cw_address *a)
{
    struct pending_nonce probe = {.addr = *a};
    void *hit = tfind(&probe, &n->pending, pending_cmp);
    return hit ? *(struct pending_nonce **)hit : NULL;
}

/* Record one more pending tx of a, of len bytes, after which a's next nonce is next. */
static int pending_add(cw_node *n, const cw_address *a, uint64_t next, size_t len)
{
    struct pending_nonce *p = pending_find(n, a);
    if (p) {
        if (next > p->next)
            p->next = next;
        p->txs++;
        p->bytes += len;
        return CW_OK;
    }
    p = malloc(sizeof *p);
    if (!p)
        return -ENOMEM;
    p->addr = *a;
    p->next = next;
    p->txs = 1;
    p->bytes = len;
    if (!tsearch(p, &n->pending, pending_cmp)) {
        free(p);
        return -ENOMEM;
    }
    return CW_OK;
}

static int nonce_fn(cw_node *n, const cw_kv *kv, void *arg)
{
    (void)n;
    void **a = arg;
    return cw_app_account_nonce(kv, a[0], a[1]);
}

static int committed_nonce(cw_node *n, const cw_address *a, uint64_t *out)
{
    void *arg[2] = {(void *)a, out};
    return with_state(n, nonce_fn, arg, NULL, 0);
}

int cw_node_submit_tx(cw_node *n, const uint8_t *tx, size_t len, uint8_t hash32[static 32],
                      char *err, size_t err_len)
{
    struct mp_entry e = {0};
    cw_address signer;
    uint64_t expected;
    int rc;

    memset(hash32, 0, 32);
    if (n->mp_n >= n->cfg.mempool_max_txs || n->mp_bytes + len > n->cfg.mempool_max_bytes)
        return cw_errf(err, err_len, CW_ETOOBIG, "mempool is full (%zu txs, %zu bytes)",
                       n->mp_n, n->mp_bytes);
    e.bytes = malloc(len ? len : 1);
    if (!e.bytes)
        return cw_errf(err, err_len, -ENOMEM, "out of memory");
    memcpy(e.bytes, tx, len);
    e.len = len;
    if ((rc = cw_tx_decode(&e.tx, e.bytes, len, err, err_len)))
        goto fail;
    if (strcmp(e.tx.chain_id, n->gen.chain_id) != 0) {
        rc = cw_errf(err, err_len, CW_EINVAL, "tx: chain id '%s' is not this chain ('%s')",
                     e.tx.chain_id, n->gen.chain_id);
        goto fail;
    }
    if ((rc = cw_tx_verify_signature(&e.tx))) {
        cw_errf(err, err_len, rc, "tx: %s", rc == CW_EBADSIG ? "signature does not verify"
                                                             : "signer is not a valid key");
        goto fail;
    }
    /* gas: the limit must cover the tx's intrinsic gas, and fit in a block (a tx that can
     * never be included must not wait in the mempool) */
    uint64_t intrinsic = cw_gas_tx_intrinsic(len, e.tx.n_msgs);
    if (e.tx.gas_limit < intrinsic) {
        rc = cw_errf(err, err_len, CW_EOUTOFGAS, "tx: gas limit %llu is below the tx's "
                     "intrinsic gas %llu (%zu bytes, %u msgs)", (unsigned long long)e.tx.gas_limit,
                     (unsigned long long)intrinsic, len, e.tx.n_msgs);
        goto fail;
    }
    if (e.tx.gas_limit > n->cfg.max_block_gas) {
        rc = cw_errf(err, err_len, CW_ETOOBIG, "tx: gas limit %llu exceeds the block gas limit "
                     "%llu", (unsigned long long)e.tx.gas_limit,
                     (unsigned long long)n->cfg.max_block_gas);
        goto fail;
    }
    cw_address_of(&signer, &e.tx.signer);
    struct pending_nonce *p = pending_find(n, &signer);
    if (p && (p->txs >= n->cfg.mempool_max_txs_per_sender ||
              p->bytes + len > n->cfg.mempool_max_bytes_per_sender)) {
        rc = cw_errf(err, err_len, CW_ETOOBIG, "tx: the sender already has %llu txs (%llu bytes) "
                     "pending, the most one sender may (%llu txs, %llu bytes): wait for a block",
                     (unsigned long long)p->txs, (unsigned long long)p->bytes,
                     (unsigned long long)n->cfg.mempool_max_txs_per_sender,
                     (unsigned long long)n->cfg.mempool_max_bytes_per_sender);
        goto fail;
    }
    if (p) {
        expected = p->next;
    } else if ((rc = committed_nonce(n, &signer, &expected))) {
        cw_errf(err, err_len, rc, "tx: reading account: %s", cw_strerror(rc));
        goto fail;
    }
    if (e.tx.nonce < expected) {
        rc = cw_errf(err, err_len, CW_ENONCE, "tx: nonce %llu already used (next is %llu)",
                     (unsigned long long)e.tx.nonce, (unsigned long long)expected);
        goto fail;
    }
    if (e.tx.nonce > expected) {
        rc = cw_errf(err, err_len, CW_ENONCE, "tx: nonce gap: got %llu, expected %llu",
                     (unsigned long long)e.tx.nonce, (unsigned long long)expected);
        goto fail;
    }
    if (n->mp_n == n->mp_cap) {
        size_t cap = n->mp_cap ? n->mp_cap * 2 : 256;
        struct mp_entry *grown = realloc(n->mp, cap * sizeof *grown);
        if (!grown) {
            rc = cw_errf(err, err_len, -ENOMEM, "out of memory");
            goto fail;
        }
        n->mp = grown;
        n->mp_cap = cap;
    }
    if ((rc = pending_add(n, &signer, expected + 1, len))) {
        cw_errf(err, err_len, rc, "out of memory");
        goto fail;
    }
    memcpy(hash32, e.tx.hash, 32);
    /* keep the bytes (what mempool_max_bytes counts), not the decoded tree: up to ~32 bytes
     * per envelope byte. The block decodes the tx again (its intrinsic gas pays for it). */
    cw_tx_free(&e.tx);
    e.tx.msgs = NULL;
    n->mp[n->mp_n++] = e;
    n->mp_bytes += len;
    return CW_OK;
fail:
    mp_entry_free(&e);
    return rc;
}

/* After a block: keep the txs not taken, and rebuild the pending nonces from what is left
 * (signers with nothing pending fall back to their committed nonce). */
static void mempool_after_block(cw_node *n, const bool *taken, size_t considered)
{
    size_t w = 0;
    for (size_t i = 0; i < n->mp_n; i++) {
        if (i < considered && taken[i]) {
            n->mp_bytes -= n->mp[i].len;
            mp_entry_free(&n->mp[i]);
        } else {
            n->mp[w++] = n->mp[i];
        }
    }
    n->mp_n = w;
    tdestroy(n->pending, free);
    n->pending = NULL;
    for (size_t i = 0; i < n->mp_n; i++) {
        cw_address a;
        cw_address_of(&a, &n->mp[i].tx.signer);
        if (pending_add(n, &a, n->mp[i].tx.nonce + 1, n->mp[i].len) != CW_OK)
            break; /* out of memory: admission falls back to committed nonces */
    }
}

/* ---- tx and packet indexes ------------------------------------------------------------- */

static size_t pkt_key(uint8_t *out, size_t cap, const char *port, const char *channel,
                      uint64_t seq)
{
    int n = snprintf((char *)out, cap, "%s/%s/", port, channel);
    if (n < 0 || (size_t)n + 8 > cap)
        return 0;
    cw_be64_put(out + n, seq);
    return (size_t)n + 8;
}

/* Index the packet events (send, write_acknowledgement, acknowledge, timeout) among evs. */
static int index_packet_events(cw_node *n, MDB_txn *txn, const msgpack_object *evs,
                               uint32_t nev, char *err, size_t err_len)
{
    for (uint32_t i = 0; i < nev; i++) {
        cw_packet_event pe;
        if (cw_packet_event_read(&evs[i], &pe) != CW_OK)
            continue; /* not a packet event (the chain's own events are never malformed) */
        const cw_packet *p = &pe.packet;
        bool dest_side = pe.kind == CW_PACKET_EV_WRITE_ACK;
        uint8_t key[2 * CW_ID_MAX + 16];
        size_t kl = dest_side ? pkt_key(key, sizeof key, p->dest_port, p->dest_channel,
                                        p->sequence)
                              : pkt_key(key, sizeof key, p->source_port, p->source_channel,
                                        p->sequence);
        MDB_val k = {kl, key}, v = {pe.packet_bytes.len, (void *)pe.packet_bytes.p},
                empty = {0, (void *)""};
        int m = 0;
        if (pe.kind == CW_PACKET_EV_SEND) {
            if (!(m = mdb_put(txn, n->db_pkt_sent, &k, &v, 0)))
                m = mdb_put(txn, n->db_pkt_pending, &k, &empty, 0);
        } else if (pe.kind == CW_PACKET_EV_WRITE_ACK && pe.has_ack) {
            MDB_val av = {pe.ack.len, (void *)pe.ack.p};
            m = mdb_put(txn, n->db_pkt_acks, &k, &av, 0);
        } else if (pe.kind == CW_PACKET_EV_ACK || pe.kind == CW_PACKET_EV_TIMEOUT) {
            m = mdb_del(txn, n->db_pkt_pending, &k, NULL);
            if (m == MDB_NOTFOUND)
                m = 0;
        }
        if (m)
            return mdb_err(m, err, err_len, "packet index");
    }
    return CW_OK;
}

/* An included tx's index entries, from one decode of its events: the tx index entry (also
 * tx_status's answer, cw_rpc_tx_status: position, result, gas, its events counted by type;
 * written once when the block commits so that settling a tx never decodes the block's
 * results) and the packet index entries of its packet events. The block's events are its
 * included txs' events in order (a failed or deferred tx keeps none), so indexing tx by tx
 * indexes the block. */
static int index_tx(cw_node *n, MDB_txn *txn, uint64_t height, uint64_t index,
                    const cw_tx_result *r, const uint8_t hash32[static 32], char *err,
                    size_t err_len)
{
    cw_dec d = {0};
    const msgpack_object *evs = NULL;
    cw_rpc_tx_status st = {.height = height, .index = index, .code = r->code,
                           .log = {(const uint8_t *)r->log, strlen(r->log)},
                           .has_failed_msg = r->has_failed_msg, .failed_msg = r->failed_msg,
                           .gas_wanted = r->gas_wanted, .gas_used = r->gas_used};
    int rc = CW_OK;
    if (r->events_len && (rc = cw_dec_open(&d, &evs, r->events, r->events_len, 1u << 30, NULL,
                                           0)) == CW_OK) {
        cw_rpc_tx_status_count_events(&d, evs, &st);
        uint32_t nev = 0;
        const msgpack_object *list = d.rc ? NULL : cw_dec_list(&d, evs, UINT32_MAX, &nev,
                                                               "events");
        rc = d.rc;
        if (rc == CW_OK && (rc = index_packet_events(n, txn, list, nev, err, err_len))) {
            cw_dec_close(&d);
            return rc;
        }
    }
    if (rc) {
        cw_dec_close(&d);
        return cw_errf(err, err_len, rc, "indexing a tx's events: malformed");
    }
    cw_enc ix;
    cw_enc_init(&ix);
    cw_rpc_tx_status_enc(&ix, &st);
    cw_dec_close(&d); /* st's log and types point into r and d */
    int m = ix.rc ? ENOMEM : 0;
    if (!m) {
        MDB_val k = {32, (void *)hash32}, v = {cw_enc_len(&ix), ix.sb.data};
        m = mdb_put(txn, n->db_txidx, &k, &v, 0);
    }
    cw_enc_free(&ix);
    return m ? mdb_err(m, err, err_len, "tx index") : CW_OK;
}

/* The borrower index's enumerable copy (DESIGN §8 "Borrower index"): for every address whose
 * market/borrowers key the block wrote, the LMDB entry follows the key's final state in the
 * block (present or absent), in the block's write txn — so the copy and the state commit
 * together and lend_borrowers pages through exactly the keys of the latest state. */
static int index_borrowers(cw_node *n, MDB_txn *txn, char *err, size_t err_len)
{
    if (n->touched_oom)
        return cw_errf(err, err_len, -ENOMEM, "borrower index: out of memory");
    for (size_t i = 0; i < n->n_touched; i++) {
        char key[CW_KEY_MAX];
        const uint8_t *v;
        size_t vl;
        bool found = false;
        cw_key_lend_borrower(key, &n->touched[i]);
        int rc = cw_smt_get(n->smt, txn, &v, &vl, &found, (const uint8_t *)key, strlen(key));
        if (rc)
            return cw_errf(err, err_len, rc, "borrower index: %s", cw_strerror(rc));
        MDB_val k = {20, n->touched[i].b}, empty = {0, (void *)""};
        int m = found ? mdb_put(txn, n->db_borrowers, &k, &empty, 0)
                      : mdb_del(txn, n->db_borrowers, &k, NULL);
        if (m && m != MDB_NOTFOUND)
            return mdb_err(m, err, err_len, "borrower index");
    }
    n->n_touched = 0;
    return CW_OK;
}

/* ---- block production ------------------------------------------------------------------ */

static int put_height(MDB_txn *txn, MDB_dbi dbi, uint64_t h, const cw_enc *e)
{
    uint8_t k8[8];
    cw_be64_put(k8, h);
    MDB_val k = {8, k8}, v = {cw_enc_len(e), e->sb.data};
    return mdb_put(txn, dbi, &k, &v, 0);
}

/* The block's notification into note: the header and the events of its first k txs, k the
 * most (up to all `included`) for which the whole note stays within `budget` bytes and
 * carries at most CW_EVENTS_MAX events — a tx's events are never split, and what is left
 * out is read with block_results(height, k) (cw_rpc_block_note). marks[i]: the events' end
 * (count, bytes) after tx i; all: every event, encoded. Returns whether the note was cut.
 * Errors stay in note->rc. */
#define NOTE_WRAP 64u /* the notification's framing around the payload ([2, topic, [..]]) */
static bool block_note(cw_enc *note, const cw_header *h, const cw_events *events,
                       const cw_enc *all, const cw_events_mark *marks, uint32_t included,
                       size_t budget)
{
    cw_enc head;
    cw_enc_init(&head);
    cw_header_enc(&head, h);
    /* the note with k txs' events: array(4) + header + array(count) + bytes + two u32 */
    const size_t fixed = 1 + cw_enc_len(&head) + 5 + 5 + 5;
    cw_enc_free(&head);
    uint32_t k = included;
    while (k > 0 && (marks[k - 1].count > CW_EVENTS_MAX || fixed + marks[k - 1].len > budget))
        k--;
    cw_rpc_block_note bn = {.header = *h, .txs = k, .txs_total = included};
    cw_enc part;
    cw_enc_init(&part);
    if (k == included) {
        bn.events_enc = (cw_bytes){cw_enc_data(all), cw_enc_len(all)};
    } else if (k > 0) {
        cw_enc_array(&part, marks[k - 1].count);
        cw_enc_raw(&part, cw_enc_data(&events->enc), marks[k - 1].len);
        if (part.rc && note->rc == CW_OK)
            note->rc = part.rc;
        bn.events_enc = (cw_bytes){cw_enc_data(&part), cw_enc_len(&part)};
    }
    cw_rpc_block_note_enc(note, &bn);
    cw_enc_free(&part);
    if (k < included)
        cw_log(CW_LOG_INFO, "block notification cut height=%llu txs=%u of %u (the rest via "
               "block_results)", (unsigned long long)h->height, k, included);
    return k < included;
}

uint32_t cw_node_next_block_delay_ms(uint64_t interval_ms, uint64_t spent_ms,
                                     uint64_t mempool_txs)
{
    uint64_t d = spent_ms < interval_ms ? interval_ms - spent_ms : mempool_txs ? 1 : interval_ms;
    if (d < 1)
        d = 1;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

int cw_node_produce_block(cw_node *n, uint64_t now_ns, char *err, size_t err_len)
{
    MDB_txn *txn = NULL;
    cw_events events;
    cw_enc results, txhashes, lbenc, note, block_events;
    cw_light_block lb = {0};
    cw_validator_set new_next = {0};
    bool *taken = NULL, *sign = NULL;
    cw_events_mark *tx_marks = NULL; /* the events' end after each included tx */
    cw_seckey *keys = NULL;
    uint32_t n_keys = 0; /* keys/sign entries: the signing set's count, before it switches */
    size_t considered = 0;
    uint32_t included = 0;
    int rc = CW_OK, m;

    cw_events_init(&events);
    cw_enc_init(&results);
    cw_enc_init(&txhashes);
    cw_enc_init(&lbenc);
    cw_enc_init(&note);
    cw_enc_init(&block_events);

    const uint64_t height = n->height + 1;
    const uint64_t time_ns = now_ns > n->time_ns ? now_ns : n->time_ns + 1;
    considered = n->mp_n < n->cfg.max_block_txs ? n->mp_n : n->cfg.max_block_txs;
    taken = calloc(considered + 1, sizeof *taken);
    tx_marks = calloc(considered + 1, sizeof *tx_marks);
    if (!taken || !tx_marks) {
        rc = cw_errf(err, err_len, -ENOMEM, "out of memory");
        goto out;
    }
    if ((m = mdb_txn_begin(n->env, NULL, 0, &txn))) {
        rc = mdb_err(m, err, err_len, "begin block");
        goto out;
    }
    struct smt_kv s = {n->smt, txn, n};
    cw_kv kv = {&smt_kv_ops, &s};
    n->exec_txn = txn;
    n->n_touched = 0;
    n->touched_oom = false;

    /* 1. execute the mempool in admission order (each signer's nonces are in sequence) */
    cw_enc entries;
    cw_enc_init(&entries);
    uint64_t block_gas = 0; /* the gas used by the txs included so far */
    for (size_t i = 0; i < considered; i++) {
        struct mp_entry *e = &n->mp[i];
        cw_tx_result r;
        bool deferred;
        /* the block's gas: the included txs' gas used adds up to at most max_block_gas (a
         * limit costs nothing, so blocks are not filled by stated gas). Each tx runs with at
         * most what is left; the first that needs more than that is undone whole and ends
         * the block (the ones after it may be its sender's next nonces): it starts the next
         * block, where it has all of max_block_gas ≥ its limit. */
        if (block_gas >= n->cfg.max_block_gas)
            break;
        cw_tx tx; /* the mempool keeps the bytes: decoded again here, as at admission */
        if ((rc = cw_tx_decode(&tx, e->bytes, e->len, err, err_len))) {
            cw_enc_free(&entries);
            cw_err_prefix(err, err_len, rc, "decoding an admitted tx");
            goto abort;
        }
        rc = cw_app_deliver_room(n->app, &kv, &events, &tx, height, time_ns,
                                 n->cfg.max_block_gas - block_gas, &r, &deferred);
        cw_tx_free(&tx);
        if (rc == CW_OK && deferred)
            break;
        taken[i] = true; /* included, or not executable any more: leaves the mempool */
        if (rc == CW_EINVAL || rc == CW_ENONCE) {
            cw_log(CW_LOG_WARN, "tx dropped height=%llu reason=\"%s\"",
                   (unsigned long long)height, r.log);
            cw_tx_result_free(&r);
            rc = CW_OK;
            continue;
        }
        if (rc) {
            cw_tx_result_free(&r);
            cw_enc_free(&entries);
            cw_errf(err, err_len, rc, "executing tx: %s", cw_strerror(rc));
            goto abort;
        }
        block_gas += r.gas_used;
        cw_rpc_block_tx bt = {.tx = {e->bytes, e->len}, .result = cw_tx_result_view(&r)};
        memcpy(bt.hash, e->tx.hash, 32);
        cw_rpc_block_tx_enc(&entries, &bt);
        cw_enc_bin(&txhashes, e->tx.hash, 32);
        rc = index_tx(n, txn, height, included, &r, e->tx.hash, err, err_len);
        cw_tx_result_free(&r);
        if (rc) {
            cw_enc_free(&entries);
            goto abort;
        }
        tx_marks[included++] = cw_events_mark_now(&events);
    }
    /* stored as the whole answer of block_results(height, 0): every page is cut from it */
    cw_rpc_block_results_enc_head(&results, height, 0, included, included);
    cw_enc_raw(&results, cw_enc_data(&entries), cw_enc_len(&entries));
    cw_enc_free(&entries);

    /* 2. a validator-set update executed in this block becomes header H's next set */
    const uint8_t *nv;
    size_t nv_len;
    rc = cw_kv_get_s(&kv, NEXT_VALS_KEY, &nv, &nv_len);
    if (rc == CW_OK) {
        if ((rc = cw_validator_set_decode(&new_next, nv, nv_len, err, err_len)) ||
            (rc = cw_kv_del_s(&kv, NEXT_VALS_KEY)))
            goto abort;
    } else if (rc != CW_ENOTFOUND) {
        cw_errf(err, err_len, rc, "reading validator update: %s", cw_strerror(rc));
        goto abort;
    }
    rc = CW_OK;

    n->exec_txn = NULL;
    /* the block's events, encoded once (their packets were indexed tx by tx): published
     * after the commit */
    if ((rc = cw_events_encode(&events, (cw_events_mark){0, 0}, &block_events))) {
        cw_errf(err, err_len, rc, "events: %s", cw_strerror(rc));
        goto abort;
    }
    if ((rc = index_borrowers(n, txn, err, err_len)))
        goto abort;
    /* 3. state root */
    uint8_t state_root[32];
    if ((rc = cw_smt_commit(n->smt, txn, height, state_root, err, err_len)))
        goto abort;

    /* 4. header: tx_root = SHA256(canonical array of the included txs' hashes) */
    cw_header h = {0};
    snprintf(h.chain_id, sizeof h.chain_id, "%s", n->gen.chain_id);
    h.height = height;
    h.time_ns = time_ns;
    memcpy(h.last_block_hash, n->last_hash, 32);
    memcpy(h.state_root, state_root, 32);
    {
        cw_enc t;
        cw_enc_init(&t);
        cw_enc_array(&t, included);
        cw_enc_raw(&t, cw_enc_data(&txhashes), cw_enc_len(&txhashes));
        cw_sha256(h.tx_root, cw_enc_data(&t), cw_enc_len(&t));
        cw_enc_free(&t);
    }
    h.proposer = n->cur_vals.v[height % n->cur_vals.n].pubkey;
    const cw_validator_set *next = new_next.n ? &new_next : &n->next_vals;

    /* 5. sign with the keys this node holds for the current set (sign_with limits them) */
    n_keys = n->cur_vals.n;
    keys = calloc(n_keys, sizeof *keys);
    sign = calloc(n_keys, sizeof *sign);
    if (!keys || !sign) {
        rc = cw_errf(err, err_len, -ENOMEM, "out of memory");
        goto abort;
    }
    uint64_t signers = 0;
    for (uint32_t i = 0; i < n_keys; i++) {
        const cw_seckey *sk = key_of(n, &n->cur_vals.v[i].pubkey);
        if (sk && (n->cfg.sign_with == 0 || signers < n->cfg.sign_with)) {
            keys[i] = *sk;
            sign[i] = true;
            signers++;
        }
    }
    if ((rc = cw_gen_light_block(&lb, &h, &n->cur_vals, keys, next, sign, NULL, err,
                                 err_len)))
        goto abort;
    uint8_t block_hash[32];
    memcpy(block_hash, lb.signed_header.commit.block_hash, 32);

    /* 6. persist block, results, tip — one transaction */
    cw_light_block_enc(&lbenc, &lb);
    if (lbenc.rc || results.rc || events.enc.rc) {
        rc = cw_errf(err, err_len, -ENOMEM, "encoding block: out of memory");
        goto abort;
    }
    if ((m = put_height(txn, n->db_blocks, height, &lbenc)) ||
        (m = put_height(txn, n->db_results, height, &results))) {
        rc = mdb_err(m, err, err_len, "writing block");
        goto abort;
    }
    uint64_t old_h = n->height, old_t = n->time_ns, old_txs = n->txs_committed;
    uint8_t old_hash[32], old_root[32];
    memcpy(old_hash, n->last_hash, 32);
    memcpy(old_root, n->state_root, 32);
    cw_validator_set old_cur = n->cur_vals, old_next = n->next_vals, moved = {0};
    /* the next block is signed by this header's next set */
    if ((rc = cw_validator_set_copy(&moved, next))) {
        cw_errf(err, err_len, rc, "out of memory");
        goto abort;
    }
    n->height = height;
    n->time_ns = time_ns;
    n->txs_committed += included;
    memcpy(n->last_hash, block_hash, 32);
    memcpy(n->state_root, state_root, 32);
    n->cur_vals = moved;
    if ((rc = cw_validator_set_copy(&n->next_vals, &moved)) ||
        (rc = tip_store(n, txn, err, err_len)) || (m = mdb_txn_commit(txn)) != 0) {
        if (rc == CW_OK)
            rc = mdb_err(m, err, err_len, "commit block");
        else
            mdb_txn_abort(txn);
        txn = NULL;
        cw_validator_set_free(&n->cur_vals);
        cw_validator_set_free(&n->next_vals);
        n->cur_vals = old_cur;
        n->next_vals = old_next;
        n->height = old_h;
        n->time_ns = old_t;
        n->txs_committed = old_txs;
        memcpy(n->last_hash, old_hash, 32);
        memcpy(n->state_root, old_root, 32);
        /* the SMT batch was consumed by the aborted commit: reopen state from disk is the
         * safe path; the caller treats this as fatal */
        goto out;
    }
    txn = NULL;
    cw_validator_set_free(&old_cur);
    cw_validator_set_free(&old_next);
    mempool_after_block(n, taken, considered);

    /* 7. notify subscribers: [header, events, txs, txs_total], within the frame limit */
    if (block_note(&note, &lb.signed_header.header, &events, &block_events, tx_marks, included,
                   n->cfg.max_frame_bytes > NOTE_WRAP ? n->cfg.max_frame_bytes - NOTE_WRAP : 0))
        n->notes_partial++;
    if (note.rc == CW_OK && n->on_block)
        n->on_block(n->on_block_user, height, cw_enc_data(&note), cw_enc_len(&note));
    cw_log(CW_LOG_DEBUG, "block committed height=%llu txs=%u", (unsigned long long)height,
           included);
    rc = CW_OK;
    goto out;

abort:
    n->exec_txn = NULL;
    if (txn)
        mdb_txn_abort(txn);
    txn = NULL;
    cw_smt_discard(n->smt);
out:
    if (keys) /* n->cur_vals may be the next set by now: wipe what was allocated */
        cw_wipe(keys, n_keys * sizeof *keys);
    free(keys);
    free(sign);
    free(taken);
    free(tx_marks);
    cw_light_block_free(&lb);
    cw_validator_set_free(&new_next);
    cw_events_free(&events);
    cw_enc_free(&results);
    cw_enc_free(&txhashes);
    cw_enc_free(&lbenc);
    cw_enc_free(&note);
    cw_enc_free(&block_events);
    return rc;
}

/* ---- reads ------------------------------------------------------------------------------ */

void cw_node_get_status(cw_node *n, cw_node_status *st)
{
    memset(st, 0, sizeof *st);
    snprintf(st->chain_id, sizeof st->chain_id, "%s", n->gen.chain_id);
    st->latest_height = n->height;
    st->latest_time_ns = n->time_ns;
    memcpy(st->latest_block_hash, n->last_hash, 32);
    memcpy(st->latest_state_root, n->state_root, 32);
    st->mempool_txs = n->mp_n;
    st->txs_committed = n->txs_committed;
    st->notes_partial = n->notes_partial;
    MDB_txn *txn;
    if (mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn) == 0) {
        uint64_t oldest = 0, latest = 0;
        if (cw_smt_versions(n->smt, txn, &oldest, &latest) == CW_OK)
            st->earliest_state_height = oldest;
        mdb_txn_abort(txn);
    }
}

static int get_height(cw_node *n, MDB_dbi dbi, uint64_t height, cw_enc *out, const char *what,
                      char *err, size_t err_len)
{
    MDB_txn *txn;
    uint8_t k8[8];
    if (height == 0 || height > n->height)
        return cw_errf(err, err_len, CW_ENOTFOUND, "%s: height %llu not found (latest %llu)",
                       what, (unsigned long long)height, (unsigned long long)n->height);
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, what);
    cw_be64_put(k8, height);
    MDB_val k = {8, k8}, v;
    m = mdb_get(txn, dbi, &k, &v);
    int rc = CW_OK;
    if (m == MDB_NOTFOUND)
        rc = cw_errf(err, err_len, CW_ENOTFOUND, "%s: height %llu not found", what,
                     (unsigned long long)height);
    else if (m)
        rc = mdb_err(m, err, err_len, what);
    else
        cw_enc_raw(out, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    return rc;
}

int cw_node_light_block(cw_node *n, uint64_t height, cw_enc *out, char *err, size_t err_len)
{
    return get_height(n, n->db_blocks, height, out, "light_block", err, err_len);
}

static bool soft_cap_keep(cw_enc *items, size_t mark, uint32_t kept);

int cw_node_block_results(cw_node *n, uint64_t height, uint32_t start, cw_enc *out, char *err,
                          size_t err_len)
{
    MDB_txn *txn;
    uint8_t k8[8];
    if (height == 0 || height > n->height)
        return cw_errf(err, err_len, CW_ENOTFOUND, "block_results: height %llu not found "
                       "(latest %llu)", (unsigned long long)height,
                       (unsigned long long)n->height);
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, "block_results");
    cw_be64_put(k8, height);
    MDB_val k = {8, k8}, v;
    m = mdb_get(txn, n->db_results, &k, &v);
    int rc = CW_OK;
    cw_dec d = {0};
    cw_enc items;
    cw_enc_init(&items);
    if (m == MDB_NOTFOUND) {
        rc = cw_errf(err, err_len, CW_ENOTFOUND, "block_results: height %llu not found",
                     (unsigned long long)height);
        goto out;
    }
    if (m) {
        rc = mdb_err(m, err, err_len, "block_results");
        goto out;
    }
    /* the stored value is the whole answer from tx 0 (cw_node_produce_block) */
    if (start == 0 && v.mv_size <= CW_NODE_RESULT_SOFT) {
        cw_enc_raw(out, v.mv_data, v.mv_size);
        rc = out->rc;
        goto out;
    }
    const msgpack_object *root;
    if ((rc = cw_dec_open(&d, &root, v.mv_data, v.mv_size, SIZE_MAX, err, err_len)))
        goto out;
    cw_rpc_block_results all;
    cw_rpc_block_results_dec(&d, root, &all);
    if (d.rc) {
        rc = cw_errf(err, err_len, d.rc, "block_results: the stored results are unreadable");
        goto out;
    }
    if (start > all.n) {
        rc = cw_errf(err, err_len, CW_EINVAL, "block_results params.start: %u is past the "
                     "block's %u txs (height %llu)", start, all.n, (unsigned long long)height);
        goto out;
    }
    uint32_t kept = 0; /* a prefix from start, under the soft cap (the first always in) */
    for (uint32_t i = start; i < all.n; i++) {
        size_t mark = cw_enc_len(&items);
        cw_enc_object(&items, &all.items[i]);
        if (!soft_cap_keep(&items, mark, kept))
            break;
        kept++;
    }
    cw_rpc_block_results_enc_head(out, height, start, all.n, kept);
    cw_enc_raw(out, cw_enc_data(&items), cw_enc_len(&items));
    rc = items.rc ? items.rc : out->rc;
out:
    cw_enc_free(&items);
    cw_dec_close(&d);
    mdb_txn_abort(txn);
    return rc;
}

/* ---- state queries: one key (query) and many at one height (query_many) ---------------- */

/* The height a state read is answered at: 0 means the latest; past the tip is an error
 * named for `what`. (A pruned height is reported by the read itself, see query_read.) */
static int state_height(const cw_node *n, uint64_t *height, const char *what, char *err,
                        size_t err_len)
{
    if (*height == 0)
        *height = n->height;
    if (*height > n->height)
        return cw_errf(err, err_len, CW_ENOTFOUND, "%s: height %llu is in the future "
                       "(latest %llu)", what, (unsigned long long)*height,
                       (unsigned long long)n->height);
    return CW_OK;
}

/* One key's answer: the value (borrowed from the read txn) and the proof (malloc'd). */
struct query_answer {
    bool found;
    const uint8_t *val;
    size_t val_len;
    uint8_t *proof; /* NULL: not asked, or the tree is empty at that height */
    size_t proof_len;
};

/* Read key at height through txn into *a (free a->proof afterwards, whatever this returns).
 * The one read behind `query` and every `query_many` item. Errors are named for `what`. */
static int query_read(cw_node *n, MDB_txn *txn, uint64_t height, const uint8_t *key,
                      size_t key_len, bool prove, struct query_answer *a, const char *what,
                      char *err, size_t err_len)
{
    bool exists = false;
    memset(a, 0, sizeof *a);
    int rc = cw_smt_get_at(n->smt, txn, height, &a->val, &a->val_len, &a->found, key, key_len);
    if (rc == CW_ENOTFOUND)
        return cw_errf(err, err_len, rc, "%s: state at height %llu was pruned", what,
                       (unsigned long long)height);
    if (rc)
        return cw_errf(err, err_len, rc, "%s: %s", what, cw_strerror(rc));
    if (!prove)
        return CW_OK;
    rc = cw_smt_prove(n->smt, txn, height, &a->proof, &a->proof_len, &exists, key, key_len, err,
                      err_len);
    if (rc == CW_ESTATE) { /* empty tree: no ICS-23 proof exists; say so with nil */
        free(a->proof);
        a->proof = NULL;
        a->proof_len = 0;
        rc = CW_OK;
    }
    return rc;
}

/* The answer as the contract's item (borrowing from a). */
static cw_rpc_qitem query_item(const struct query_answer *a)
{
    return (cw_rpc_qitem){a->found, {a->val, a->val_len}, a->proof != NULL,
                          {a->proof, a->proof_len}};
}

int cw_node_query(cw_node *n, const uint8_t *key, size_t key_len, uint64_t height, bool prove,
                  cw_enc *out, char *err, size_t err_len)
{
    MDB_txn *txn;
    struct query_answer a;
    int rc = state_height(n, &height, "query", err, err_len);
    if (rc)
        return rc;
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, "query");
    rc = query_read(n, txn, height, key, key_len, prove, &a, "query", err, err_len);
    if (rc == CW_OK) {
        cw_rpc_query q = {query_item(&a), height};
        cw_rpc_query_enc(out, &q);
    }
    free(a.proof);
    mdb_txn_abort(txn);
    return rc;
}

/* Batched answers stay under CW_NODE_RESULT_SOFT: each item is appended to the scratch
 * encoder `items` (which held `mark` bytes before it) and taken back out when the whole answer
 * — the items plus at most RESULT_WRAP bytes around them (outer array, height, inner array
 * header) — would pass the cap. The first item is always kept, so a caller that asks again
 * for the rest always makes progress. Returns whether the item was kept. */
#define RESULT_WRAP 32u
static bool soft_cap_keep(cw_enc *items, size_t mark, uint32_t kept)
{
    if (kept == 0 || cw_enc_len(items) + RESULT_WRAP <= CW_NODE_RESULT_SOFT)
        return true;
    items->sb.size = mark;
    return false;
}

/* a batched read's size: 1..max items (what: the parameter; unit: what it counts) */
static int batch_size_ok(uint32_t count, uint32_t max, const char *what, const char *unit,
                         char *err, size_t err_len)
{
    if (count == 0)
        return cw_errf(err, err_len, CW_EINVAL, "%s: none (1..%u %s)", what, max, unit);
    if (count > max)
        return cw_errf(err, err_len, CW_ETOOBIG, "%s: %u %s exceed the limit of %u", what,
                       count, unit, max);
    return CW_OK;
}

/* A batched read (query_many, packets): item encodes entry i into the items, all through
 * one read-only txn, until every entry is in or the answer reaches its soft cap; then head
 * writes the answer's head for the kept count into out, and the items follow. Returns
 * CW_OK, an item's error, or the txn's or the encoder's (err names `what`). */
typedef int (*batch_item_fn)(cw_node *n, MDB_txn *txn, uint32_t i, cw_enc *items, void *arg,
                             char *err, size_t err_len);
typedef void (*batch_head_fn)(cw_enc *out, uint32_t kept, const void *arg);

static int batch_read(cw_node *n, uint32_t count, batch_item_fn item, batch_head_fn head,
                      void *arg, const char *what, cw_enc *out, char *err, size_t err_len)
{
    MDB_txn *txn;
    int rc = CW_OK;
    bool full = false;
    uint32_t kept = 0;
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, what);
    cw_enc items;
    cw_enc_init(&items);
    for (uint32_t i = 0; rc == CW_OK && !full && i < count; i++) {
        size_t mark = cw_enc_len(&items);
        rc = item(n, txn, i, &items, arg, err, err_len);
        if (rc == CW_OK) {
            full = !soft_cap_keep(&items, mark, kept);
            kept += !full;
        }
    }
    mdb_txn_abort(txn);
    if (rc == CW_OK && items.rc)
        rc = cw_errf(err, err_len, items.rc, "%s: %s", what, cw_strerror(items.rc));
    if (rc == CW_OK) {
        head(out, kept, arg);
        cw_enc_raw(out, cw_enc_data(&items), cw_enc_len(&items));
    }
    cw_enc_free(&items);
    return rc;
}

struct query_many_read {
    const cw_bytes *keys;
    uint64_t height;
    bool prove;
};

static int query_many_item(cw_node *n, MDB_txn *txn, uint32_t i, cw_enc *items, void *arg,
                           char *err, size_t err_len)
{
    const struct query_many_read *q = arg;
    struct query_answer a;
    int rc = query_read(n, txn, q->height, q->keys[i].p, q->keys[i].len, q->prove, &a,
                        "query_many", err, err_len);
    if (rc == CW_OK) {
        cw_rpc_qitem it = query_item(&a);
        cw_rpc_qitem_enc(items, &it);
    }
    free(a.proof);
    return rc;
}

static void query_many_head(cw_enc *out, uint32_t kept, const void *arg)
{
    cw_rpc_query_many_enc_head(out, ((const struct query_many_read *)arg)->height, kept);
}

int cw_node_query_many(cw_node *n, const cw_bytes *keys, uint32_t n_keys, uint64_t height,
                       bool prove, cw_enc *out, char *err, size_t err_len)
{
    int rc = batch_size_ok(n_keys, CW_NODE_QUERY_MANY_MAX, "query_many keys", "keys", err,
                           err_len);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < n_keys; i++) {
        if (keys[i].len == 0)
            return cw_errf(err, err_len, CW_EINVAL, "query_many keys[%u]: empty", i);
        if (keys[i].len > CW_KV_KEY_MAX)
            return cw_errf(err, err_len, CW_ETOOBIG, "query_many keys[%u]: %zu bytes exceed "
                           "the limit of %u", i, keys[i].len, CW_KV_KEY_MAX);
    }
    rc = state_height(n, &height, "query_many", err, err_len);
    if (rc)
        return rc;
    struct query_many_read q = {keys, height, prove};
    return batch_read(n, n_keys, query_many_item, query_many_head, &q, "query_many", out, err,
                      err_len);
}

/* ---- committed txs: tx (whole) and tx_status (the outcome only) ------------------------ */

/* Find the committed tx hash32 through txn: its index entry (the tx_status answer) tells
 * the block and position, and *entry receives that tx's entry in the block's results, decoded
 * by *d (opened here; the caller closes it whatever this returns; *entry borrows from d and
 * txn). Errors are named for `what`: CW_ENOTFOUND "<what>: not found (not committed)",
 * CW_EMALFORMED, -EIO. */
static int tx_entry(cw_node *n, MDB_txn *txn, const uint8_t hash32[static 32], cw_dec *d,
                    cw_rpc_tx_status *st, cw_rpc_block_tx *entry, const char *what, char *err,
                    size_t err_len)
{
    MDB_val k = {32, (void *)hash32}, v;
    int m = mdb_get(txn, n->db_txidx, &k, &v);
    if (m == MDB_NOTFOUND)
        return cw_errf(err, err_len, CW_ENOTFOUND, "%s: not found (not committed)", what);
    if (m)
        return mdb_err(m, err, err_len, what);
    const msgpack_object *root;
    int rc = cw_dec_open(d, &root, v.mv_data, v.mv_size, 1u << 20, err, err_len);
    if (rc == CW_OK) {
        cw_rpc_tx_status_dec(d, root, st);
        rc = d->rc;
    }
    cw_dec_close(d);
    memset(d, 0, sizeof *d);
    if (rc)
        return rc;
    uint8_t k8[8];
    cw_be64_put(k8, st->height);
    MDB_val hk = {8, k8}, hv;
    if ((m = mdb_get(txn, n->db_results, &hk, &hv)))
        return mdb_err(m, err, err_len, "tx results");
    if ((rc = cw_dec_open(d, &root, hv.mv_data, hv.mv_size, 1u << 30, err, err_len)))
        return rc;
    cw_rpc_block_results br;
    cw_rpc_block_results_dec(d, root, &br);
    if (d->rc == CW_OK && st->index >= br.n)
        cw_dec_fail(d, CW_EMALFORMED, "tx index points past the block's txs");
    if (d->rc == CW_OK)
        cw_rpc_block_tx_dec(d, &br.items[st->index], entry, "entry");
    return d->rc;
}

int cw_node_tx(cw_node *n, const uint8_t hash32[static 32], cw_enc *out, char *err,
               size_t err_len)
{
    MDB_txn *txn;
    cw_dec d = {0};
    cw_rpc_tx_status st;
    cw_rpc_block_tx it;
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, "tx");
    int rc = tx_entry(n, txn, hash32, &d, &st, &it, "tx", err, err_len);
    if (rc == CW_OK) {
        cw_rpc_tx t = {.height = st.height, .index = st.index, .tx = it.tx, .result = it.result};
        cw_rpc_tx_enc(out, &t);
        rc = out->rc;
    }
    cw_dec_close(&d);
    mdb_txn_abort(txn);
    return rc;
}

int cw_node_tx_status(cw_node *n, const uint8_t hash32[static 32], cw_enc *out, char *err,
                      size_t err_len)
{
    MDB_txn *txn;
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, "tx_status");
    MDB_val k = {32, (void *)hash32}, v;
    int rc;
    m = mdb_get(txn, n->db_txidx, &k, &v);
    if (m == MDB_NOTFOUND)
        rc = cw_errf(err, err_len, CW_ENOTFOUND, "tx_status: not found (not committed)");
    else if (m)
        rc = mdb_err(m, err, err_len, "tx_status");
    else { /* the index entry is the answer (index_tx): checked, then copied */
        cw_dec d;
        const msgpack_object *root;
        cw_rpc_tx_status st;
        rc = cw_dec_open(&d, &root, v.mv_data, v.mv_size, 1u << 20, err, err_len);
        if (rc == CW_OK) {
            cw_rpc_tx_status_dec(&d, root, &st);
            rc = d.rc;
        }
        if (rc == CW_OK) {
            cw_enc_raw(out, v.mv_data, v.mv_size);
            rc = out->rc;
        } else
            cw_err_prefix(err, err_len, rc, "tx_status: stored index entry");
        cw_dec_close(&d);
    }
    mdb_txn_abort(txn);
    return rc;
}

/* A state read about one address (account, lend_account, lend_market: none) and where its
 * answer is encoded. */
struct addr_read {
    const cw_address *addr;
    cw_enc *out;
};

static int account_fn(cw_node *n, const cw_kv *kv, void *arg)
{
    struct addr_read *r = arg;
    uint64_t next = 0;
    int rc = cw_app_account_nonce(kv, r->addr, &next);
    if (rc)
        return rc;
    struct pending_nonce *p = pending_find(n, r->addr);
    /* balances of the denoms genesis knows (the SMT's keys are hashed: not enumerable) */
    const char *denoms[64];
    uint32_t nd = 0;
    for (uint32_t i = 0; i < n->gen.n_balances && nd < 64; i++) {
        bool seen = false;
        for (uint32_t j = 0; j < nd; j++)
            seen |= strcmp(denoms[j], n->gen.balances[i].denom) == 0;
        if (!seen)
            denoms[nd++] = n->gen.balances[i].denom;
    }
    cw_rpc_account a = {.address = *r->addr, .next_nonce = next,
                        .pending_next_nonce = p && p->next > next ? p->next : next,
                        .n_balances = nd};
    for (uint32_t j = 0; j < nd && rc == CW_OK; j++) {
        snprintf(a.balances[j].denom, sizeof a.balances[j].denom, "%s", denoms[j]);
        rc = cw_bank_balance(kv, &a.balances[j].amount, r->addr, denoms[j]);
    }
    if (rc == CW_OK)
        cw_rpc_account_enc(r->out, &a);
    return rc;
}

int cw_node_account(cw_node *n, const cw_address *addr, cw_enc *out, char *err,
                    size_t err_len)
{
    struct addr_read r = {addr, out};
    int rc = with_state(n, account_fn, &r, err, err_len);
    return rc ? cw_errf(err, err_len, rc, "account: %s", cw_strerror(rc)) : CW_OK;
}

/* ---- packet readers ---------------------------------------------------------------------- */

int cw_node_packet_commitments(cw_node *n, const char *port, const char *channel,
                               uint64_t start, uint32_t limit, cw_enc *out, char *err,
                               size_t err_len)
{
    uint8_t prefix[2 * CW_ID_MAX + 16];
    int pl = snprintf((char *)prefix, sizeof prefix, "%s/%s/", port, channel);
    if (limit == 0 || limit > CW_NODE_LIST_MAX)
        limit = CW_NODE_LIST_MAX;
    MDB_txn *txn;
    MDB_cursor *cur;
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, "packet_commitments");
    if ((m = mdb_cursor_open(txn, n->db_pkt_pending, &cur))) {
        mdb_txn_abort(txn);
        return mdb_err(m, err, err_len, "packet_commitments");
    }
    uint64_t seqs[CW_NODE_LIST_MAX];
    uint32_t cnt = 0;
    cw_be64_put(prefix + pl, start); /* the first key at or after (port, channel, start) */
    MDB_val k = {(size_t)pl + 8, prefix}, v;
    m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (m == 0 && cnt < limit && k.mv_size == (size_t)pl + 8 &&
           memcmp(k.mv_data, prefix, (size_t)pl) == 0) {
        seqs[cnt++] = cw_be64_get((const uint8_t *)k.mv_data + pl);
        m = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    cw_rpc_seqs_enc(out, seqs, cnt);
    return out->rc;
}

/* The entry (port, channel, seq) of a packet index, read through txn: CW_OK with *v borrowed
 * from LMDB (valid while txn lives), CW_ENOTFOUND, or -EIO with err naming `what`. */
static int pkt_lookup(MDB_txn *txn, MDB_dbi dbi, const char *port, const char *channel,
                      uint64_t seq, MDB_val *v, const char *what, char *err, size_t err_len)
{
    uint8_t key[2 * CW_ID_MAX + 16];
    size_t kl = pkt_key(key, sizeof key, port, channel, seq);
    MDB_val k = {kl, key};
    int m = mdb_get(txn, dbi, &k, v);
    if (m == MDB_NOTFOUND)
        return CW_ENOTFOUND;
    return m ? mdb_err(m, err, err_len, what) : CW_OK;
}

static int pkt_get(cw_node *n, MDB_dbi dbi, const char *port, const char *channel,
                   uint64_t seq, cw_enc *out, const char *what, char *err, size_t err_len)
{
    MDB_txn *txn;
    MDB_val v;
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, what);
    int rc = pkt_lookup(txn, dbi, port, channel, seq, &v, what, err, err_len);
    if (rc == CW_ENOTFOUND)
        cw_errf(err, err_len, CW_ENOTFOUND, "%s %s/%s/%llu: not found", what, port, channel,
                (unsigned long long)seq);
    else if (rc == CW_OK)
        cw_rpc_packet_enc(out, v.mv_data, v.mv_size);
    mdb_txn_abort(txn);
    return rc;
}

int cw_node_packet(cw_node *n, const char *port, const char *channel, uint64_t seq, cw_enc *out,
                   char *err, size_t err_len)
{
    return pkt_get(n, n->db_pkt_sent, port, channel, seq, out, "packet", err, err_len);
}

struct packets_read {
    const char *port, *channel;
    const uint64_t *seqs;
};

static int packets_item(cw_node *n, MDB_txn *txn, uint32_t i, cw_enc *items, void *arg,
                        char *err, size_t err_len)
{
    const struct packets_read *q = arg;
    MDB_val v;
    int rc = pkt_lookup(txn, n->db_pkt_sent, q->port, q->channel, q->seqs[i], &v, "packets",
                        err, err_len);
    if (rc == CW_ENOTFOUND) {
        rc = CW_OK;
        cw_rpc_packets_item_enc(items, NULL, 0);
    } else if (rc == CW_OK) {
        cw_rpc_packets_item_enc(items, v.mv_data, v.mv_size);
    }
    return rc;
}

static void packets_head(cw_enc *out, uint32_t kept, const void *arg)
{
    (void)arg;
    cw_rpc_packets_enc_head(out, kept);
}

int cw_node_packets(cw_node *n, const char *port, const char *channel, const uint64_t *seqs,
                    uint32_t count, cw_enc *out, char *err, size_t err_len)
{
    int rc = batch_size_ok(count, CW_NODE_PACKETS_MAX, "packets seqs", "sequences", err,
                           err_len);
    if (rc)
        return rc;
    struct packets_read q = {port, channel, seqs};
    return batch_read(n, count, packets_item, packets_head, &q, "packets", out, err, err_len);
}

int cw_node_ack(cw_node *n, const char *port, const char *channel, uint64_t seq, cw_enc *out,
                char *err, size_t err_len)
{
    return pkt_get(n, n->db_pkt_acks, port, channel, seq, out, "ack", err, err_len);
}

/* nextSequenceRecv of (port, channel) when that channel is ORDERED, else 0 (unordered, or
 * no such channel: receipts decide) */
static int ordered_next_recv(cw_node *n, MDB_txn *txn, const char *port, const char *channel,
                             uint64_t *out)
{
    char path[CW_PATH_MAX];
    const uint8_t *val;
    size_t vl;
    bool found = false;
    *out = 0;
    cw_path_channel_end(path, port, channel);
    int rc = cw_smt_get_at(n->smt, txn, n->height, &val, &vl, &found, (const uint8_t *)path,
                           strlen(path));
    if (rc || !found)
        return rc;
    cw_channel_end ce;
    if ((rc = cw_channel_end_decode(&ce, val, vl, NULL, 0)) || ce.ordering != CW_ORDER_ORDERED)
        return rc;
    cw_path_next_seq(path, CW_PATH_NEXT_SEQ_RECV, port, channel);
    if ((rc = cw_smt_get_at(n->smt, txn, n->height, &val, &vl, &found, (const uint8_t *)path,
                            strlen(path))))
        return rc;
    if (!found) {
        *out = 1;
        return CW_OK;
    }
    return cw_val_be64_dec(out, val, vl, NULL, 0);
}

int cw_node_unreceived(cw_node *n, const char *which, const char *port, const char *channel,
                       const uint64_t *seqs, uint32_t count, cw_enc *out, char *err,
                       size_t err_len)
{
    MDB_txn *txn;
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, which);
    uint64_t *keep = malloc((count ? count : 1) * sizeof *keep);
    uint32_t kept = 0;
    int rc = keep ? CW_OK : -ENOMEM;
    bool receipts = strcmp(which, CW_PATH_RECEIPTS) == 0;
    uint64_t next_recv = 0; /* an ORDERED channel writes no receipts: ICS-04 counts instead */
    if (rc == CW_OK && receipts)
        rc = ordered_next_recv(n, txn, port, channel, &next_recv);
    for (uint32_t i = 0; rc == CW_OK && i < count; i++) {
        if (next_recv) {
            if (seqs[i] >= next_recv)
                keep[kept++] = seqs[i];
            continue;
        }
        char path[CW_PATH_MAX];
        const uint8_t *val;
        size_t vl;
        bool found = false;
        cw_path_packet(path, which, port, channel, seqs[i]);
        rc = cw_smt_get_at(n->smt, txn, n->height, &val, &vl, &found, (const uint8_t *)path,
                           strlen(path));
        /* receipts: unreceived = no receipt; commitments: ack unreceived = still committed */
        if (rc == CW_OK && (receipts ? !found : found))
            keep[kept++] = seqs[i];
    }
    mdb_txn_abort(txn);
    if (rc == CW_OK) {
        cw_rpc_seqs_enc(out, keep, kept);
    } else {
        cw_errf(err, err_len, rc, "%s: %s", which, cw_strerror(rc));
    }
    free(keep);
    return rc;
}

/* ---- lending reads ----------------------------------------------------------------------- */

static int lend_account_fn(cw_node *n, const cw_kv *kv, void *arg)
{
    struct addr_read *r = arg;
    cw_lend_account_info a;
    int rc = cw_lend_account(kv, n->time_ns, &a, r->addr);
    if (rc)
        return rc;
    cw_rpc_lend_account la = {.debt_value = a.debt_value, .borrow_limit = a.borrow_limit,
                              .liquidation_limit = a.liquidation_limit,
                              .health_factor_wad = a.health_factor_wad,
                              .n_markets = (uint32_t)a.n_markets};
    for (size_t i = 0; i < a.n_markets; i++) {
        const cw_lend_account_market *am = &a.markets[i];
        cw_rpc_lend_account_market *rm = &la.markets[i];
        snprintf(rm->asset, sizeof rm->asset, "%s", am->asset);
        rm->debt = am->debt;
        rm->scaled_debt = am->scaled_debt;
        rm->supply_value = am->supply_value;
        rm->shares = am->shares;
    }
    cw_rpc_lend_account_enc(r->out, &la);
    return r->out->rc;
}

struct market_read {
    const char *asset; /* NULL: the only market */
    cw_enc *out;
    char *err;
    size_t err_len;
};

static int lend_market_fn(cw_node *n, const cw_kv *kv, void *arg)
{
    struct market_read *r = arg;
    cw_lend_params p;
    cw_lend_market mk;
    cw_rpc_lend_market m = {0};
    size_t nm = 0;
    int rc = cw_lend_markets(kv, m.markets, &nm);
    if (rc)
        return rc;
    if (nm == 0)
        return CW_ESTATE;
    if (!r->asset && nm > 1) {
        char list[CW_LEND_MAX_MARKETS * (CW_ID_MAX + 2)] = "";
        for (size_t i = 0; i < nm; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     m.markets[i]);
        return cw_errf(r->err, r->err_len, CW_EINVAL,
                       "lend_market: the chain has %zu markets (%s): name one", nm, list);
    }
    if (r->asset) {
        bool known = false;
        for (size_t i = 0; i < nm; i++)
            known |= strcmp(m.markets[i], r->asset) == 0;
        if (!known)
            return cw_errf(r->err, r->err_len, CW_ENOTFOUND, "lend_market: no market for %s",
                           r->asset);
    }
    if ((rc = cw_lend_market_read(kv, r->asset, n->time_ns, &p, &mk)))
        return rc;
    m.borrow_index_wad = mk.borrow_index_wad;
    m.total_borrows = mk.total_borrows;
    m.cash = mk.cash;
    m.reserves = mk.reserves;
    m.total_shares = mk.total_shares;
    m.paused_actions = mk.paused_actions;
    m.bad_debt = mk.bad_debt;
    m.total_supply = mk.total_supply;
    m.supply_cap = p.supply_cap;
    m.borrow_cap = p.borrow_cap;
    m.utilization_wad = mk.utilization_wad;
    m.borrow_apr_wad = mk.borrow_apr_wad;
    m.supply_apr_wad = mk.supply_apr_wad;
    m.flash_fee_bps = p.flash_fee_bps;
    m.n_markets = (uint32_t)nm;
    snprintf(m.borrow_denom, sizeof m.borrow_denom, "%s", p.borrow_denom);
    cw_rpc_lend_market_enc(r->out, &m);
    return r->out->rc;
}

int cw_node_lend_account(cw_node *n, const cw_address *addr, cw_enc *out, char *err,
                         size_t err_len)
{
    struct addr_read r = {addr, out};
    int rc = with_state(n, lend_account_fn, &r, err, err_len);
    if (rc == CW_ESTATE)
        return cw_errf(err, err_len, rc, "no lending market on this chain");
    return rc ? cw_errf(err, err_len, rc, "lend_account: %s", cw_strerror(rc)) : CW_OK;
}

static int lend_quote_fn(cw_node *n, const cw_kv *kv, void *arg)
{
    struct addr_read *r = arg;
    static _Thread_local cw_rpc_lend_quote q;
    int rc = cw_lend_liquidation_quote(kv, n->time_ns, r->addr, &q);
    if (rc)
        return rc;
    cw_rpc_lend_quote_enc(r->out, &q);
    return r->out->rc;
}

int cw_node_lend_quote(cw_node *n, const cw_address *addr, cw_enc *out, char *err,
                       size_t err_len)
{
    struct addr_read r = {addr, out};
    int rc = with_state(n, lend_quote_fn, &r, err, err_len);
    if (rc == CW_ESTATE)
        return cw_errf(err, err_len, rc, "no lending market on this chain");
    return rc ? cw_errf(err, err_len, rc, "lend_quote: %s", cw_strerror(rc)) : CW_OK;
}

int cw_node_lend_borrowers(cw_node *n, const cw_address *start_after, uint32_t limit,
                           cw_enc *out, char *err, size_t err_len)
{
    static _Thread_local cw_rpc_lend_borrowers r;
    memset(&r, 0, sizeof r);
    if (limit == 0 || limit > CW_RPC_BORROWERS_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "lend_borrowers: limit %u not in 1..%u",
                       (unsigned)limit, (unsigned)CW_RPC_BORROWERS_MAX);
    MDB_txn *txn;
    MDB_cursor *cur;
    int m = mdb_txn_begin(n->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return mdb_err(m, err, err_len, "lend_borrowers");
    if ((m = mdb_cursor_open(txn, n->db_borrowers, &cur))) {
        mdb_txn_abort(txn);
        return mdb_err(m, err, err_len, "lend_borrowers");
    }
    r.height = n->height;
    uint8_t from[20] = {0};
    if (start_after)
        memcpy(from, start_after->b, 20);
    MDB_val k = {20, from}, v;
    m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    /* skip start_after itself */
    if (m == 0 && start_after && k.mv_size == 20 && memcmp(k.mv_data, from, 20) == 0)
        m = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    while (m == 0 && r.n < limit) {
        if (k.mv_size == 20)
            memcpy(r.addrs[r.n++].b, k.mv_data, 20);
        m = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    int rc = (m == 0 || m == MDB_NOTFOUND) ? CW_OK : mdb_err(m, err, err_len, "lend_borrowers");
    if (rc == CW_OK && m == 0 && r.n > 0) { /* more follow */
        r.has_next = true;
        r.next = r.addrs[r.n - 1];
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc == CW_OK) {
        cw_rpc_lend_borrowers_enc(out, &r);
        rc = out->rc;
    }
    return rc;
}

int cw_node_lend_market(cw_node *n, const char *asset, cw_enc *out, char *err, size_t err_len)
{
    struct market_read r = {asset, out, err, err_len};
    if (err_len)
        err[0] = '\0';
    int rc = with_state(n, lend_market_fn, &r, err, err_len);
    if (rc == CW_ESTATE)
        return cw_errf(err, err_len, rc, "no lending market on this chain");
    if (rc && err_len && err[0])
        return rc; /* lend_market_fn said why */
    return rc ? cw_errf(err, err_len, rc, "lend_market: %s", cw_strerror(rc)) : CW_OK;
}
