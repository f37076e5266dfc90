#include "causeway/tx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/hash.h"

/* Canonical envelope layout: fixarray(2) 0x92 | body | bin8 header c4 40 | 64 sig bytes. */
#define ENV_SIG_TAIL 66

int cw_tx_decode(cw_tx *tx, const uint8_t *buf, size_t len, char *err, size_t err_len)
{
    const msgpack_object *root;
    memset(tx, 0, sizeof *tx);
    int rc = cw_dec_open_limit(&tx->dec, &root, buf, len, CW_TX_MAX_BYTES,
                               len / CW_TX_BYTES_PER_OBJECT + CW_TX_OBJECTS_SLACK, err, err_len);
    if (rc)
        return cw_err_prefix(err, err_len, rc, "tx");
    cw_dec *d = &tx->dec;
    const msgpack_object *env = cw_dec_array(d, root, 2, "tx");
    const msgpack_object *b = cw_dec_array(d, &env[0], 6, "tx.body");
    cw_dec_id(d, &b[0], tx->chain_id, "tx.body.chain_id");
    cw_dec_bin_fixed(d, &b[1], tx->signer.b, 32, "tx.body.signer_pubkey");
    tx->nonce = cw_dec_u64(d, &b[2], "tx.body.nonce");
    tx->gas_limit = cw_dec_u64(d, &b[3], "tx.body.gas_limit");
    tx->msgs = cw_dec_list(d, &b[4], CW_TX_MAX_MSGS, &tx->n_msgs, "tx.body.msgs");
    tx->memo = cw_dec_str(d, &b[5], CW_TX_MEMO_MAX, "tx.body.memo");
    if (d->rc == CW_OK && (tx->gas_limit == 0 || tx->gas_limit > CW_GAS_TX_MAX))
        cw_dec_fail(d, CW_EINVAL, "tx.body.gas_limit: %llu is outside 1..%llu",
                    (unsigned long long)tx->gas_limit, (unsigned long long)CW_GAS_TX_MAX);
    cw_dec_bin_fixed(d, &env[1], tx->sig.b, 64, "tx.signature");
    if (d->rc == CW_OK && tx->n_msgs == 0)
        cw_dec_fail(d, CW_EINVAL, "tx.body.msgs: a tx carries at least one msg");
    for (uint32_t i = 0; i < tx->n_msgs && d->rc == CW_OK; i++) {
        char type[CW_ID_MAX + 1];
        const msgpack_object *m = cw_dec_array(d, &tx->msgs[i], 2, "tx.body.msgs[%u]", i);
        cw_dec_id(d, &m[0], type, "tx.body.msgs[%u].type", i);
        if (d->rc == CW_OK && m[1].type != MSGPACK_OBJECT_ARRAY)
            cw_dec_fail(d, CW_EMALFORMED, "tx.body.msgs[%u].body: expected array", i);
    }
    if (d->rc)
        return d->rc;
    /* The decoder accepted only the canonical encoding, so the body's bytes are exactly the
     * envelope minus its one-byte array header and the 66-byte signature tail. */
    cw_tagged_hash(tx->sighash, CW_TAG_TX, buf + 1, len - 1 - ENV_SIG_TAIL);
    cw_sha256(tx->hash, buf, len);
    tx->len = len;
    return CW_OK;
}

int cw_tx_verify_signature(const cw_tx *tx)
{
    cw_pubkey pk;
    if (cw_pubkey_parse(&pk, &tx->signer) != CW_OK)
        return CW_EINVAL;
    return cw_schnorr_verify(&pk, &tx->sig, tx->sighash);
}

void cw_tx_msg(const cw_tx *tx, uint32_t i, char type[static CW_ID_MAX + 1],
               const msgpack_object **body)
{
    const msgpack_object *m = tx->msgs[i].via.array.ptr;
    memcpy(type, m[0].via.str.ptr, m[0].via.str.size);
    type[m[0].via.str.size] = '\0';
    *body = &m[1];
}

void cw_tx_free(cw_tx *tx)
{
    if (tx)
        cw_dec_close(&tx->dec);
}

void cw_msg_begin(cw_enc *e, const char *type, uint32_t n_fields)
{
    cw_enc_array(e, 2);
    cw_enc_cstr(e, type);
    cw_enc_array(e, n_fields);
}

int cw_tx_sign(uint8_t **out, size_t *out_len, const char *chain_id, const cw_seckey *sk,
               uint64_t nonce, uint64_t gas_limit, const cw_bytes *msgs, size_t n_msgs,
               const char *memo, char *err, size_t err_len)
{
    cw_signer s;
    *out = NULL;
    *out_len = 0;
    if (cw_signer_init(&s, sk))
        return cw_errf(err, err_len, CW_EINVAL, "tx: invalid signing key");
    int rc = cw_tx_sign_with(out, out_len, chain_id, &s, nonce, gas_limit, msgs, n_msgs, memo,
                             err, err_len);
    cw_signer_wipe(&s);
    return rc;
}

int cw_tx_sign_with(uint8_t **out, size_t *out_len, const char *chain_id, const cw_signer *s,
                    uint64_t nonce, uint64_t gas_limit, const cw_bytes *msgs, size_t n_msgs,
                    const char *memo, char *err, size_t err_len)
{
    cw_sig64 sig;
    uint8_t sighash[32];
    size_t memo_len = memo ? strlen(memo) : 0;
    int rc;

    *out = NULL;
    *out_len = 0;
    if ((rc = cw_id_validate(chain_id, strlen(chain_id), "chain id", err, err_len)))
        return rc;
    if (n_msgs == 0 || n_msgs > CW_TX_MAX_MSGS)
        return cw_errf(err, err_len, CW_EINVAL, "tx: %zu msgs (allowed 1..%d)", n_msgs,
                       CW_TX_MAX_MSGS);
    if (memo_len > CW_TX_MEMO_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "tx: memo of %zu bytes exceeds %d", memo_len,
                       CW_TX_MEMO_MAX);
    if (gas_limit > CW_GAS_TX_MAX)
        return cw_errf(err, err_len, CW_EINVAL, "tx: gas limit %llu exceeds %llu",
                       (unsigned long long)gas_limit, (unsigned long long)CW_GAS_TX_MAX);
    if (gas_limit == 0) {
        size_t body = 64 + strlen(chain_id) + memo_len + 8;
        for (size_t i = 0; i < n_msgs; i++)
            body += msgs[i].len;
        gas_limit = cw_gas_estimate(msgs, n_msgs, body + 66, 0);
    }
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 2);
    size_t body_start = cw_enc_len(&e);
    cw_enc_array(&e, 6);
    cw_enc_cstr(&e, chain_id);
    cw_enc_bin(&e, s->pk.b, 32);
    cw_enc_u64(&e, nonce);
    cw_enc_u64(&e, gas_limit);
    cw_enc_array(&e, (uint32_t)n_msgs);
    for (size_t i = 0; i < n_msgs; i++)
        cw_enc_raw(&e, msgs[i].p, msgs[i].len);
    cw_enc_str(&e, memo ? memo : "", memo_len);
    if (e.rc) {
        cw_enc_free(&e);
        return cw_errf(err, err_len, e.rc, "tx: encoding failed");
    }
    cw_tagged_hash(sighash, CW_TAG_TX, cw_enc_data(&e) + body_start,
                   cw_enc_len(&e) - body_start);
    if ((rc = cw_signer_sign(&sig, s, sighash, NULL))) {
        cw_enc_free(&e);
        return cw_errf(err, err_len, rc, "tx: signing failed");
    }
    cw_enc_bin(&e, sig.b, 64);
    *out = cw_enc_release(&e, out_len);
    if (!*out)
        return cw_errf(err, err_len, -ENOMEM, "tx: out of memory");
    return CW_OK;
}
