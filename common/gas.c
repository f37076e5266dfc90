#include "causeway/gas.h"

#include <stdio.h>
#include <string.h>

#include "causeway/app_msgs.h"
#include "causeway/msgs.h"
#include "causeway/tx.h"

void cw_gas_meter_init(cw_gas_meter *m, uint64_t limit)
{
    memset(m, 0, sizeof *m);
    m->limit = limit;
}

int cw_gas_charge(cw_gas_meter *m, uint64_t amount, const char *what)
{
    if (m->failed)
        return CW_EOUTOFGAS;
    if (amount > m->limit - m->used) {
        m->failed = what;
        m->failed_need = amount;
        return CW_EOUTOFGAS;
    }
    m->used += amount;
    return CW_OK;
}

void cw_gas_refund(cw_gas_meter *m, uint64_t amount)
{
    m->used -= amount < m->used ? amount : m->used;
}

int cw_gas_explain(const cw_gas_meter *m, char *err, size_t err_len)
{
    return cw_errf(err, err_len, CW_EOUTOFGAS, "out of gas: %s needs %llu, %llu of limit %llu used",
                   m->failed ? m->failed : "?", (unsigned long long)m->failed_need,
                   (unsigned long long)m->used, (unsigned long long)m->limit);
}

uint64_t cw_gas_hash(size_t bytes) { return CW_GAS_HASH_FLAT + CW_GAS_HASH_BYTE * (uint64_t)bytes; }

uint64_t cw_gas_tx_intrinsic(size_t tx_len, uint32_t n_msgs)
{
    return CW_GAS_SIG + 2 * cw_gas_hash(tx_len) + CW_GAS_TX_BYTE * (uint64_t)tx_len +
           CW_GAS_MSG * (uint64_t)n_msgs;
}

uint64_t cw_gas_proof(size_t proof_len, size_t value_len)
{
    uint64_t ops = proof_len / 33;
    /* two existence proofs at most: each a value hash and a leaf hash over its key and value
     * (both inside the proof's bytes, except the value being proven) */
    return ops * cw_gas_hash(32) + CW_GAS_HASH_BYTE * (uint64_t)proof_len +
           4 * CW_GAS_HASH_FLAT + CW_GAS_HASH_BYTE * (2 * (uint64_t)proof_len + value_len + 64);
}

/* ---- estimates for clients ------------------------------------------------------------- */

/* Per msg type: a flat allowance and one per byte of the encoded msg. Msgs that carry
 * commits pay CW_GAS_SIG per signature entry (≥ 66 bytes on the wire) and hash their
 * validator sets, hence their per-byte allowance. The figures are checked against what each
 * msg uses (tests/unit/test_gas.c and the integration suite, whose txs state these). */
static const struct {
    const char *type; /* a msg type, or a module prefix ending in '.' */
    uint64_t flat, per_byte;
} allowances[] = {
    {CW_MSG_IBC_UPDATE_CLIENT, 40000, 80},
    {CW_MSG_IBC_SUBMIT_MISBEHAVIOUR, 40000, 80},
    /* a liquidation walks every collateral of the position and reads every market; one that
     * writes a debt off writes every market the borrower owes in (~10,500 gas each: its
     * books, the debt, and the borrower index's entry and count) */
    {"lend.", 150000, 4},
};
#define ALLOW_FLAT 30000u /* twice the most any other msg was seen to use beyond its bytes */
#define ALLOW_BYTE 4u
#define ALLOW_UNKNOWN_BYTE 80u

static uint64_t msg_allowance(const cw_bytes *m)
{
    cw_dec d;
    const msgpack_object *root;
    char type[CW_ID_MAX + 1];
    uint64_t flat = ALLOW_FLAT, per_byte = ALLOW_UNKNOWN_BYTE;
    if (cw_dec_open(&d, &root, m->p, m->len, CW_TX_MAX_BYTES, NULL, 0) == CW_OK) {
        const msgpack_object *f = cw_dec_array(&d, root, 2, "msg");
        cw_dec_id(&d, &f[0], type, "msg.type");
        if (d.rc == CW_OK) {
            per_byte = ALLOW_BYTE;
            for (size_t i = 0; i < sizeof allowances / sizeof allowances[0]; i++)
                if (strcmp(type, allowances[i].type) == 0 ||
                    (allowances[i].type[strlen(allowances[i].type) - 1] == '.' &&
                     strncmp(type, allowances[i].type, strlen(allowances[i].type)) == 0)) {
                    flat = allowances[i].flat;
                    per_byte = allowances[i].per_byte;
                }
        }
    }
    cw_dec_close(&d);
    return flat + per_byte * (uint64_t)m->len;
}

uint64_t cw_gas_estimate(const cw_bytes *msgs, size_t n_msgs, size_t tx_len, uint64_t block_gas)
{
    uint64_t cap = block_gas ? block_gas : CW_GAS_BLOCK_DEFAULT;
    uint64_t g = cw_gas_tx_intrinsic(tx_len + 100, (uint32_t)n_msgs);
    for (size_t i = 0; i < n_msgs && g < cap; i++)
        g += msg_allowance(&msgs[i]);
    return g < cap ? g : cap;
}

/* ---- the metered store ----------------------------------------------------------------- */

static int gkv_get(void *ctx, const uint8_t *key, size_t key_len, const uint8_t **val,
                   size_t *val_len)
{
    cw_gas_kv *g = ctx;
    int rc = cw_gas_charge(g->meter, CW_GAS_READ_FLAT + CW_GAS_READ_BYTE * key_len,
                           "store read");
    if (rc == CW_OK)
        rc = cw_kv_get(g->parent, key, key_len, val, val_len);
    if (rc == CW_OK) {
        int c = cw_gas_charge(g->meter, CW_GAS_READ_BYTE * (uint64_t)*val_len, "store read");
        if (c)
            return c;
    }
    return rc;
}

static int gkv_set(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *val,
                   size_t val_len)
{
    cw_gas_kv *g = ctx;
    int rc = cw_gas_charge(g->meter,
                           CW_GAS_WRITE_FLAT + CW_GAS_WRITE_BYTE * ((uint64_t)key_len + val_len),
                           "store write");
    return rc ? rc : cw_kv_set(g->parent, key, key_len, val, val_len);
}

static int gkv_del(void *ctx, const uint8_t *key, size_t key_len)
{
    cw_gas_kv *g = ctx;
    int rc = cw_gas_charge(g->meter, CW_GAS_WRITE_FLAT + CW_GAS_WRITE_BYTE * (uint64_t)key_len,
                           "store delete");
    return rc ? rc : cw_kv_del(g->parent, key, key_len);
}

static const cw_kv_ops gkv_ops = {gkv_get, gkv_set, gkv_del};

cw_kv cw_gas_kv_view(cw_gas_kv *g) { return (cw_kv){&gkv_ops, g}; }
