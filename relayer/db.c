/* The relayer's LMDB environment: string keys, small values, one write txn per put (the
 * writes are few: cursors per block, one record per submitted tx). Keys:
 *   cursor/{path}/{chain}   u64 be: last block whose events were processed
 *   trust/{chain}           [height(8 be) | block hash 32]: last height verified locally
 *   sub/{chain}/{txhash hex} submitted record: [nonce, height_seen, kind, n, seqs...] */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "relayer.h"

struct rly_db {
    MDB_env *env;
    MDB_dbi dbi;
};

static int mdb_rc(int m) { return cw_lmdb_error(m); /* the one LMDB mapping (error.h) */ }

int rly_db_open(rly_db **out, const char *path, char *err, size_t err_len)
{
    *out = NULL;
    rly_db *db = calloc(1, sizeof *db);
    if (!db)
        return -ENOMEM;
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        int e = errno;
        free(db);
        return cw_errf(err, err_len, -e, "db_path %s: %s", path, strerror(e));
    }
    int m = mdb_env_create(&db->env);
    if (!m)
        m = mdb_env_set_mapsize(db->env, (size_t)256 << 20);
    if (!m)
        m = mdb_env_open(db->env, path, MDB_NOTLS, 0600);
    MDB_txn *t = NULL;
    if (!m)
        m = mdb_txn_begin(db->env, NULL, 0, &t);
    if (!m)
        m = mdb_dbi_open(t, NULL, 0, &db->dbi);
    if (!m)
        m = mdb_txn_commit(t);
    else if (t)
        mdb_txn_abort(t);
    if (m) {
        if (db->env)
            mdb_env_close(db->env);
        free(db);
        return cw_errf(err, err_len, mdb_rc(m), "db_path %s: %s", path, mdb_strerror(m));
    }
    *out = db;
    return CW_OK;
}

void rly_db_close(rly_db *db)
{
    if (!db)
        return;
    mdb_env_close(db->env);
    free(db);
}

int rly_db_get(rly_db *db, const char *key, uint8_t **val, size_t *len)
{
    *val = NULL;
    *len = 0;
    MDB_txn *t;
    int m = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &t);
    if (m)
        return mdb_rc(m);
    MDB_val k = {strlen(key), (void *)key}, v;
    m = mdb_get(t, db->dbi, &k, &v);
    if (!m) {
        *val = malloc(v.mv_size ? v.mv_size : 1);
        if (*val) {
            memcpy(*val, v.mv_data, v.mv_size);
            *len = v.mv_size;
        }
    }
    mdb_txn_abort(t);
    if (!m && !*val)
        return -ENOMEM;
    return m ? mdb_rc(m) : CW_OK;
}

int rly_db_put(rly_db *db, const char *key, const void *val, size_t len)
{
    MDB_txn *t;
    int m = mdb_txn_begin(db->env, NULL, 0, &t);
    if (m)
        return mdb_rc(m);
    MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
    m = mdb_put(t, db->dbi, &k, &v, 0);
    if (m) {
        mdb_txn_abort(t);
        return mdb_rc(m);
    }
    m = mdb_txn_commit(t);
    return m ? mdb_rc(m) : CW_OK;
}

int rly_db_del(rly_db *db, const char *key)
{
    MDB_txn *t;
    int m = mdb_txn_begin(db->env, NULL, 0, &t);
    if (m)
        return mdb_rc(m);
    MDB_val k = {strlen(key), (void *)key};
    m = mdb_del(t, db->dbi, &k, NULL);
    if (m && m != MDB_NOTFOUND) {
        mdb_txn_abort(t);
        return mdb_rc(m);
    }
    m = mdb_txn_commit(t);
    return m ? mdb_rc(m) : CW_OK;
}

int rly_db_get_u64(rly_db *db, const char *key, uint64_t *v)
{
    uint8_t *b;
    size_t n;
    *v = 0;
    int rc = rly_db_get(db, key, &b, &n);
    if (rc)
        return rc;
    if (n != 8) {
        free(b);
        return CW_EMALFORMED;
    }
    for (int i = 0; i < 8; i++)
        *v = (*v << 8) | b[i];
    free(b);
    return CW_OK;
}

int rly_db_put_u64(rly_db *db, const char *key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
    return rly_db_put(db, key, b, 8);
}

int rly_db_scan(rly_db *db, const char *prefix,
                void (*fn)(void *u, const char *key, const uint8_t *v, size_t n), void *u)
{
    MDB_txn *t;
    MDB_cursor *cur;
    int m = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &t);
    if (m)
        return mdb_rc(m);
    if ((m = mdb_cursor_open(t, db->dbi, &cur))) {
        mdb_txn_abort(t);
        return mdb_rc(m);
    }
    size_t pl = strlen(prefix);
    MDB_val k = {pl, (void *)prefix}, v;
    m = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (!m && k.mv_size >= pl && memcmp(k.mv_data, prefix, pl) == 0) {
        char key[512];
        size_t kl = k.mv_size < sizeof key - 1 ? k.mv_size : sizeof key - 1;
        memcpy(key, k.mv_data, kl);
        key[kl] = 0;
        fn(u, key, v.mv_data, v.mv_size);
        m = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(t);
    return (m && m != MDB_NOTFOUND) ? mdb_rc(m) : CW_OK;
}
