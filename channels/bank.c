#include "causeway/bank.h"

#include <stdio.h>
#include <string.h>

#include "causeway/hash.h"
#include "causeway/hex.h"
#include "causeway/keys.h"
#include "causeway/mathx.h"

void cw_module_address(cw_address *out, const char *name)
{
    uint8_t h[32];
    cw_bytes parts[2] = {{(const uint8_t *)"module/", 7}, {(const uint8_t *)name, strlen(name)}};
    cw_sha256_parts(h, parts, 2);
    memcpy(out->b, h, 20);
}

static int read_u64(const cw_kv *kv, const char *key, uint64_t *out)
{
    const uint8_t *v;
    size_t n;
    *out = 0;
    int rc = cw_kv_get_s(kv, key, &v, &n);
    if (rc == CW_ENOTFOUND)
        return CW_OK;
    return rc ? rc : cw_val_be64_dec(out, v, n, NULL, 0);
}

static int write_u64(const cw_kv *kv, const char *key, uint64_t v)
{
    uint8_t b[8];
    if (v == 0)
        return cw_kv_del_s(kv, key);
    cw_val_be64_enc(b, v);
    return cw_kv_set_s(kv, key, b, 8);
}

int cw_bank_balance(const cw_kv *kv, uint64_t *out, const cw_address *addr, const char *denom)
{
    char key[CW_KEY_MAX];
    *out = 0;
    int rc = cw_key_bank_balance(key, addr, denom);
    return rc ? rc : read_u64(kv, key, out);
}

int cw_bank_supply(const cw_kv *kv, uint64_t *out, const char *denom)
{
    char key[CW_KEY_MAX];
    *out = 0;
    int rc = cw_key_bank_supply(key, denom);
    return rc ? rc : read_u64(kv, key, out);
}

/* Apply a signed change to one balance and, optionally, the supply: every check first,
 * then the writes, so a failure leaves the state as it was. */
static int change(const cw_kv *kv, const cw_address *debit, const cw_address *credit,
                  const char *denom, uint64_t amount, char *err, size_t err_len)
{
    char kd[CW_KEY_MAX], kc[CW_KEY_MAX], ks[CW_KEY_MAX];
    uint64_t bd = 0, bc = 0, sup = 0, nbd = 0, nbc = 0, nsup = 0;
    int rc;

    if (amount == 0)
        return cw_errf(err, err_len, CW_EINVAL, "amount: must be greater than zero");
    if (!cw_bank_denom_valid(denom))
        return cw_errf(err, err_len, CW_EINVAL,
                       "denom: \"%.80s\" is neither an identifier nor a voucher (ibc/HASH)",
                       denom);
    if ((rc = cw_key_bank_supply(ks, denom)))
        return rc;
    if (debit) {
        if ((rc = cw_key_bank_balance(kd, debit, denom)) || (rc = read_u64(kv, kd, &bd)))
            return cw_errf(err, err_len, rc, "bank: reading balance: %s", cw_strerror(rc));
        if (cw_sub_u64(&nbd, bd, amount))
            return cw_errf(err, err_len, CW_EINSUFFICIENT,
                           "insufficient funds: balance %llu %s, need %llu",
                           (unsigned long long)bd, denom, (unsigned long long)amount);
    }
    if (credit) {
        if ((rc = cw_key_bank_balance(kc, credit, denom)) || (rc = read_u64(kv, kc, &bc)))
            return cw_errf(err, err_len, rc, "bank: reading balance: %s", cw_strerror(rc));
        if (debit && memcmp(debit->b, credit->b, 20) == 0)
            bc = nbd; /* sending to oneself */
        if (cw_add_u64(&nbc, bc, amount))
            return cw_errf(err, err_len, CW_EOVERFLOW,
                           "balance overflow: %llu + %llu %s exceeds 2^64-1",
                           (unsigned long long)bc, (unsigned long long)amount, denom);
    }
    if (!debit || !credit) { /* mint or burn moves the supply */
        if ((rc = read_u64(kv, ks, &sup)))
            return cw_errf(err, err_len, rc, "bank: reading supply: %s", cw_strerror(rc));
        if (credit ? cw_add_u64(&nsup, sup, amount) : cw_sub_u64(&nsup, sup, amount))
            return cw_errf(err, err_len, CW_EOVERFLOW, "supply of %s would overflow", denom);
    }
    if (debit && (rc = write_u64(kv, kd, nbd)))
        return cw_errf(err, err_len, rc, "bank: writing balance: %s", cw_strerror(rc));
    if (credit && (rc = write_u64(kv, kc, nbc)))
        return cw_errf(err, err_len, rc, "bank: writing balance: %s", cw_strerror(rc));
    if ((!debit || !credit) && (rc = write_u64(kv, ks, nsup)))
        return cw_errf(err, err_len, rc, "bank: writing supply: %s", cw_strerror(rc));
    return CW_OK;
}

int cw_bank_send(const cw_kv *kv, const cw_address *from, const cw_address *to,
                 const char *denom, uint64_t amount, char *err, size_t err_len)
{
    return change(kv, from, to, denom, amount, err, err_len);
}

int cw_bank_mint(const cw_kv *kv, const cw_address *to, const char *denom, uint64_t amount,
                 char *err, size_t err_len)
{
    return change(kv, NULL, to, denom, amount, err, err_len);
}

int cw_bank_burn(const cw_kv *kv, const cw_address *from, const char *denom, uint64_t amount,
                 char *err, size_t err_len)
{
    return change(kv, from, NULL, denom, amount, err, err_len);
}

int cw_pending_move(const cw_kv *kv, const char *key, uint64_t amount, bool add, char *err,
                    size_t err_len)
{
    const uint8_t *v;
    size_t n;
    uint64_t count = 0, sum = 0;
    int rc = cw_kv_get_s(kv, key, &v, &n);
    if (rc == CW_OK)
        rc = cw_val_u64_pair_dec(&count, &sum, v, n, err, err_len);
    else if (rc == CW_ENOTFOUND)
        rc = CW_OK;
    if (rc)
        return cw_errf(err, err_len, rc, "%s: unreadable (%s)", key, cw_strerror(rc));
    if (add ? (cw_add_u64(&count, count, 1) || cw_add_u64(&sum, sum, amount))
            : (count == 0 || sum < amount))
        return cw_errf(err, err_len, add ? CW_EOVERFLOW : CW_ESTATE,
                       "%s: [%llu, %llu] cannot %s a packet of %llu", key,
                       (unsigned long long)count, (unsigned long long)sum,
                       add ? "count" : "settle", (unsigned long long)amount);
    if (!add) {
        count--;
        sum -= amount;
    }
    if (count == 0 && sum == 0)
        return cw_kv_del_s(kv, key);
    cw_enc e;
    cw_enc_init(&e);
    cw_val_u64_pair_enc(&e, count, sum);
    rc = e.rc ? e.rc : cw_kv_set_s(kv, key, cw_enc_data(&e), cw_enc_len(&e));
    cw_enc_free(&e);
    return rc;
}
