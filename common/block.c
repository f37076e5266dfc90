/* Block wire types, hashes, vote sign bytes and commit signing (DESIGN §4–§6). */
#include "causeway/block.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "causeway/hash.h"

/* ---- validator sets ---------------------------------------------------------------- */

int cw_validator_set_validate(cw_validator_set *vs, char *err, size_t err_len)
{
    uint64_t total = 0;

    vs->total_power = 0;
    if (vs->n == 0)
        return cw_errf(err, err_len, CW_EINVAL, "validator_set: empty");
    if (vs->n > CW_VALSET_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "validator_set: %u validators exceed the "
                       "limit of %u", vs->n, CW_VALSET_MAX);
    for (uint32_t i = 0; i < vs->n; i++) {
        const cw_validator *v = &vs->v[i];
        if (v->power == 0)
            return cw_errf(err, err_len, CW_EINVAL, "validator_set[%u]: zero power", i);
        /* total < 2^62 and power < 2^62 checked before adding: the sum cannot wrap */
        if (v->power >= CW_TOTAL_POWER_LIMIT || total + v->power >= CW_TOTAL_POWER_LIMIT)
            return cw_errf(err, err_len, CW_EINVAL,
                           "validator_set[%u]: total power reaches 2^62", i);
        total += v->power;
        if (i > 0) {
            int c = memcmp(vs->v[i - 1].pubkey.b, v->pubkey.b, 32);
            if (c == 0)
                return cw_errf(err, err_len, CW_EINVAL, "validator_set[%u]: duplicate pubkey",
                               i);
            if (c > 0)
                return cw_errf(err, err_len, CW_EINVAL,
                               "validator_set[%u]: not sorted by pubkey", i);
        }
    }
    vs->total_power = total;
    return CW_OK;
}

static int cmp_validator(const void *a, const void *b)
{
    return memcmp(((const cw_validator *)a)->pubkey.b, ((const cw_validator *)b)->pubkey.b, 32);
}

void cw_validator_set_sort(cw_validator_set *vs)
{
    if (vs->n > 1)
        qsort(vs->v, vs->n, sizeof vs->v[0], cmp_validator);
}

int cw_validator_set_copy(cw_validator_set *dst, const cw_validator_set *src)
{
    memset(dst, 0, sizeof *dst);
    if (src->n) {
        dst->v = malloc((size_t)src->n * sizeof *dst->v);
        if (!dst->v)
            return -ENOMEM;
        memcpy(dst->v, src->v, (size_t)src->n * sizeof *dst->v);
    }
    dst->n = src->n;
    dst->total_power = src->total_power;
    return CW_OK;
}

void cw_validator_set_free(cw_validator_set *vs)
{
    if (!vs)
        return;
    free(vs->v);
    memset(vs, 0, sizeof *vs);
}

void cw_validator_set_enc(cw_enc *e, const cw_validator_set *vs)
{
    if (vs->n > CW_VALSET_MAX) {
        e->rc = e->rc ? e->rc : CW_ETOOBIG;
        return;
    }
    cw_enc_array(e, vs->n);
    for (uint32_t i = 0; i < vs->n; i++) {
        cw_enc_array(e, 2);
        cw_enc_bin(e, vs->v[i].pubkey.b, 32);
        cw_enc_u64(e, vs->v[i].power);
    }
}

void cw_validator_set_dec(cw_dec *d, const msgpack_object *o, cw_validator_set *vs,
                          const char *what)
{
    uint32_t n = 0;
    memset(vs, 0, sizeof *vs);
    const msgpack_object *items = cw_dec_list(d, o, CW_VALSET_MAX, &n, "%s", what);
    if (d->rc)
        return;
    if (n == 0) {
        cw_dec_fail(d, CW_EINVAL, "%s: empty validator set", what);
        return;
    }
    vs->v = calloc(n, sizeof *vs->v);
    if (!vs->v) {
        cw_dec_fail(d, -ENOMEM, "%s: out of memory", what);
        return;
    }
    vs->n = n;
    for (uint32_t i = 0; i < n && !d->rc; i++) {
        const msgpack_object *f = cw_dec_array(d, &items[i], 2, "%s[%u]", what, i);
        cw_dec_bin_fixed(d, &f[0], vs->v[i].pubkey.b, 32, "%s[%u].pubkey", what, i);
        vs->v[i].power = cw_dec_u64(d, &f[1], "%s[%u].power", what, i);
    }
    if (d->rc)
        return;
    char e[160];
    int rc = cw_validator_set_validate(vs, e, sizeof e);
    if (rc)
        cw_dec_fail(d, rc, "%s: %s", what, e);
}

/* SHA-256 of what e holds, then frees e: the encoder's sticky error (out zeroed) or CW_OK.
 * The validators hash and the block hash are both the hash of a canonical encoding. */
static int sha256_of_enc(uint8_t out[static 32], cw_enc *e)
{
    int rc = e->rc;
    if (rc)
        memset(out, 0, 32);
    else
        cw_sha256(out, cw_enc_data(e), cw_enc_len(e));
    cw_enc_free(e);
    return rc;
}

int cw_validators_hash(uint8_t out[static 32], const cw_validator_set *vs)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_validator_set_enc(&e, vs);
    return sha256_of_enc(out, &e);
}

/* ---- header ------------------------------------------------------------------------ */

void cw_header_enc(cw_enc *e, const cw_header *h)
{
    cw_enc_array(e, 9);
    cw_enc_cstr(e, h->chain_id);
    cw_enc_u64(e, h->height);
    cw_enc_u64(e, h->time_ns);
    cw_enc_bin(e, h->last_block_hash, 32);
    cw_enc_bin(e, h->state_root, 32);
    cw_enc_bin(e, h->tx_root, 32);
    cw_enc_bin(e, h->validators_hash, 32);
    cw_enc_bin(e, h->next_validators_hash, 32);
    cw_enc_bin(e, h->proposer.b, 32);
}

void cw_header_dec(cw_dec *d, const msgpack_object *o, cw_header *h, const char *what)
{
    memset(h, 0, sizeof *h);
    const msgpack_object *f = cw_dec_array(d, o, 9, "%s", what);
    cw_dec_id(d, &f[0], h->chain_id, "%s.chain_id", what);
    h->height = cw_dec_u64(d, &f[1], "%s.height", what);
    h->time_ns = cw_dec_u64(d, &f[2], "%s.time_ns", what);
    cw_dec_bin_fixed(d, &f[3], h->last_block_hash, 32, "%s.last_block_hash", what);
    cw_dec_bin_fixed(d, &f[4], h->state_root, 32, "%s.state_root", what);
    cw_dec_bin_fixed(d, &f[5], h->tx_root, 32, "%s.tx_root", what);
    cw_dec_bin_fixed(d, &f[6], h->validators_hash, 32, "%s.validators_hash", what);
    cw_dec_bin_fixed(d, &f[7], h->next_validators_hash, 32, "%s.next_validators_hash", what);
    cw_dec_bin_fixed(d, &f[8], h->proposer.b, 32, "%s.proposer", what);
    if (!d->rc && h->height == 0)
        cw_dec_fail(d, CW_EINVAL, "%s.height: must be at least 1", what);
}

int cw_block_hash(uint8_t out[static 32], const cw_header *h)
{
    cw_enc e;
    cw_enc_init(&e);
    cw_header_enc(&e, h);
    return sha256_of_enc(out, &e);
}

int cw_vote_message(uint8_t out[static 32], const char *chain_id, uint64_t height,
                    const uint8_t block_hash32[static 32])
{
    memset(out, 0, 32);
    if (cw_id_validate(chain_id, strlen(chain_id), "chain id", NULL, 0) != CW_OK)
        return CW_EINVAL;
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 3);
    cw_enc_cstr(&e, chain_id);
    cw_enc_u64(&e, height);
    cw_enc_bin(&e, block_hash32, 32);
    int rc = e.rc;
    if (!rc)
        cw_tagged_hash(out, CW_TAG_VOTE, cw_enc_data(&e), cw_enc_len(&e));
    cw_enc_free(&e);
    return rc;
}

/* ---- commit ------------------------------------------------------------------------ */

void cw_commit_enc(cw_enc *e, const cw_commit *c)
{
    if (c->n_sigs > CW_VALSET_MAX) {
        e->rc = e->rc ? e->rc : CW_ETOOBIG;
        return;
    }
    cw_enc_array(e, 3);
    cw_enc_u64(e, c->height);
    cw_enc_bin(e, c->block_hash, 32);
    cw_enc_array(e, c->n_sigs);
    for (uint32_t i = 0; i < c->n_sigs; i++) {
        cw_enc_array(e, 2);
        cw_enc_u64(e, c->sigs[i].validator_index);
        cw_enc_bin(e, c->sigs[i].signature.b, 64);
    }
}

void cw_commit_dec(cw_dec *d, const msgpack_object *o, cw_commit *c, const char *what)
{
    uint32_t n = 0;
    memset(c, 0, sizeof *c);
    const msgpack_object *f = cw_dec_array(d, o, 3, "%s", what);
    c->height = cw_dec_u64(d, &f[0], "%s.height", what);
    cw_dec_bin_fixed(d, &f[1], c->block_hash, 32, "%s.block_hash", what);
    const msgpack_object *items =
        cw_dec_list(d, &f[2], CW_VALSET_MAX, &n, "%s.signatures", what);
    if (d->rc || n == 0)
        return;
    c->sigs = calloc(n, sizeof *c->sigs);
    if (!c->sigs) {
        cw_dec_fail(d, -ENOMEM, "%s: out of memory", what);
        return;
    }
    c->n_sigs = n;
    for (uint32_t i = 0; i < n && !d->rc; i++) {
        const msgpack_object *s = cw_dec_array(d, &items[i], 2, "%s.signatures[%u]", what, i);
        c->sigs[i].validator_index = (uint32_t)cw_dec_uint_max(
            d, &s[0], CW_VALSET_MAX - 1, "%s.signatures[%u].validator_index", what, i);
        cw_dec_bin_fixed(d, &s[1], c->sigs[i].signature.b, 64, "%s.signatures[%u].signature",
                         what, i);
    }
}

void cw_commit_free(cw_commit *c)
{
    if (!c)
        return;
    free(c->sigs);
    memset(c, 0, sizeof *c);
}

int cw_commit_sign(cw_commit *c, const cw_header *h, const cw_validator_set *vs,
                   const cw_seckey *keys, const bool *sign, const uint8_t *aux32,
                   char *err, size_t err_len)
{
    uint8_t msg[32];
    cw_pubkey32 pk;
    uint32_t n = 0;
    int rc;

    memset(c, 0, sizeof *c);
    if (vs->n > CW_VALSET_MAX)
        return cw_errf(err, err_len, CW_ETOOBIG, "commit_sign: set too large");
    c->height = h->height;
    if ((rc = cw_block_hash(c->block_hash, h)) != CW_OK ||
        (rc = cw_vote_message(msg, h->chain_id, h->height, c->block_hash)) != CW_OK) {
        cw_errf(err, err_len, rc, "commit_sign: cannot hash the header");
        goto fail;
    }
    if (vs->n) {
        c->sigs = calloc(vs->n, sizeof *c->sigs);
        if (!c->sigs) {
            rc = cw_errf(err, err_len, -ENOMEM, "commit_sign: out of memory");
            goto fail;
        }
    }
    for (uint32_t i = 0; i < vs->n; i++) {
        if (sign && !sign[i])
            continue;
        if (cw_key_public(&pk, &keys[i]) != CW_OK ||
            memcmp(pk.b, vs->v[i].pubkey.b, 32) != 0) {
            rc = cw_errf(err, err_len, CW_EINVAL,
                         "commit_sign: key %u is invalid or not validator %u's", i, i);
            goto fail;
        }
        c->sigs[n].validator_index = i;
        if ((rc = cw_schnorr_sign(&c->sigs[n].signature, &keys[i], msg, aux32)) != CW_OK) {
            cw_errf(err, err_len, rc, "commit_sign: signing with key %u failed", i);
            goto fail;
        }
        n++;
    }
    c->n_sigs = n;
    return CW_OK;
fail:
    cw_commit_free(c);
    return rc;
}

/* ---- signed header, light block, messages ------------------------------------------ */

void cw_signed_header_enc(cw_enc *e, const cw_signed_header *sh)
{
    cw_enc_array(e, 2);
    cw_header_enc(e, &sh->header);
    cw_commit_enc(e, &sh->commit);
}

void cw_signed_header_dec(cw_dec *d, const msgpack_object *o, cw_signed_header *sh,
                          const char *what)
{
    memset(sh, 0, sizeof *sh);
    const msgpack_object *f = cw_dec_array(d, o, 2, "%s", what);
    cw_header_dec(d, &f[0], &sh->header, CW_DEC_LABEL(what, "header"));
    cw_commit_dec(d, &f[1], &sh->commit, CW_DEC_LABEL(what, "commit"));
}

void cw_signed_header_free(cw_signed_header *sh)
{
    if (sh)
        cw_commit_free(&sh->commit);
}

void cw_light_block_enc(cw_enc *e, const cw_light_block *lb)
{
    cw_enc_array(e, 3);
    cw_signed_header_enc(e, &lb->signed_header);
    cw_validator_set_enc(e, &lb->validator_set);
    cw_validator_set_enc(e, &lb->next_validator_set);
}

void cw_light_block_dec(cw_dec *d, const msgpack_object *o, cw_light_block *lb,
                        const char *what)
{
    memset(lb, 0, sizeof *lb);
    const msgpack_object *f = cw_dec_array(d, o, 3, "%s", what);
    cw_signed_header_dec(d, &f[0], &lb->signed_header, CW_DEC_LABEL(what, "signed_header"));
    cw_validator_set_dec(d, &f[1], &lb->validator_set, CW_DEC_LABEL(what, "validator_set"));
    cw_validator_set_dec(d, &f[2], &lb->next_validator_set,
                         CW_DEC_LABEL(what, "next_validator_set"));
}

void cw_light_block_free(cw_light_block *lb)
{
    if (!lb)
        return;
    cw_signed_header_free(&lb->signed_header);
    cw_validator_set_free(&lb->validator_set);
    cw_validator_set_free(&lb->next_validator_set);
}

/* The four fields shared by MsgUpdateClient (inline) and UpdateHeader (as an array). */
static void update_fields_enc(cw_enc *e, const cw_update_header *u)
{
    cw_signed_header_enc(e, &u->signed_header);
    cw_validator_set_enc(e, &u->validator_set);
    cw_enc_u64(e, u->trusted_height);
    if (u->has_trusted_validator_set)
        cw_validator_set_enc(e, &u->trusted_validator_set);
    else
        cw_enc_nil(e);
}

static void update_fields_dec(cw_dec *d, const msgpack_object *f, cw_update_header *u,
                              const char *what)
{
    memset(u, 0, sizeof *u);
    cw_signed_header_dec(d, &f[0], &u->signed_header, CW_DEC_LABEL(what, "signed_header"));
    cw_validator_set_dec(d, &f[1], &u->validator_set, CW_DEC_LABEL(what, "validator_set"));
    u->trusted_height = cw_dec_u64(d, &f[2], "%s.trusted_height", what);
    if (!d->rc && !cw_dec_is_nil(&f[3])) {
        cw_validator_set_dec(d, &f[3], &u->trusted_validator_set,
                             CW_DEC_LABEL(what, "trusted_validator_set"));
        u->has_trusted_validator_set = true;
    }
}

void cw_update_header_enc(cw_enc *e, const cw_update_header *u)
{
    cw_enc_array(e, 4);
    update_fields_enc(e, u);
}

void cw_update_header_dec(cw_dec *d, const msgpack_object *o, cw_update_header *u,
                          const char *what)
{
    const msgpack_object *f = cw_dec_array(d, o, 4, "%s", what);
    update_fields_dec(d, f, u, what);
}

void cw_update_header_free(cw_update_header *u)
{
    if (!u)
        return;
    cw_signed_header_free(&u->signed_header);
    cw_validator_set_free(&u->validator_set);
    cw_validator_set_free(&u->trusted_validator_set);
    u->has_trusted_validator_set = false;
}

static void msg_update_client_enc(cw_enc *e, const cw_msg_update_client *m)
{
    cw_enc_array(e, 5);
    cw_enc_cstr(e, m->client_id);
    update_fields_enc(e, &m->update);
}

static void msg_update_client_dec(cw_dec *d, const msgpack_object *o, cw_msg_update_client *m,
                                  const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, o, 5, "%s", what);
    cw_dec_id(d, &f[0], m->client_id, "%s.client_id", what);
    update_fields_dec(d, f + 1, &m->update, what);
}

void cw_msg_update_client_free(cw_msg_update_client *m)
{
    if (m)
        cw_update_header_free(&m->update);
}

static void msg_submit_misbehaviour_enc(cw_enc *e, const cw_msg_submit_misbehaviour *m)
{
    cw_enc_array(e, 3);
    cw_enc_cstr(e, m->client_id);
    cw_update_header_enc(e, &m->header1);
    cw_update_header_enc(e, &m->header2);
}

static void msg_submit_misbehaviour_dec(cw_dec *d, const msgpack_object *o,
                                        cw_msg_submit_misbehaviour *m, const char *what)
{
    memset(m, 0, sizeof *m);
    const msgpack_object *f = cw_dec_array(d, o, 3, "%s", what);
    cw_dec_id(d, &f[0], m->client_id, "%s.client_id", what);
    cw_update_header_dec(d, &f[1], &m->header1, CW_DEC_LABEL(what, "header1"));
    cw_update_header_dec(d, &f[2], &m->header2, CW_DEC_LABEL(what, "header2"));
}

void cw_msg_submit_misbehaviour_free(cw_msg_submit_misbehaviour *m)
{
    if (!m)
        return;
    cw_update_header_free(&m->header1);
    cw_update_header_free(&m->header2);
}

/* ---- buffer-level encode/decode, one pair per top-level type ------------------------ */

static void header_free(cw_header *h) { memset(h, 0, sizeof *h); }

CW_CODEC_DEFINE_ENCODE(cw_header_encode, cw_header, cw_header_enc)
CW_CODEC_DEFINE_DECODE(cw_header_decode, cw_header, cw_header_dec, header_free, "header")
CW_CODEC_DEFINE_ENCODE(cw_validator_set_encode, cw_validator_set, cw_validator_set_enc)
CW_CODEC_DEFINE_DECODE(cw_validator_set_decode, cw_validator_set, cw_validator_set_dec,
              cw_validator_set_free, "validator_set")
CW_CODEC_DEFINE_ENCODE(cw_signed_header_encode, cw_signed_header, cw_signed_header_enc)
CW_CODEC_DEFINE_DECODE(cw_signed_header_decode, cw_signed_header, cw_signed_header_dec,
              cw_signed_header_free, "signed_header")
CW_CODEC_DEFINE_ENCODE(cw_light_block_encode, cw_light_block, cw_light_block_enc)
CW_CODEC_DEFINE_DECODE(cw_light_block_decode, cw_light_block, cw_light_block_dec, cw_light_block_free,
              "light_block")
CW_CODEC_DEFINE_ENCODE(cw_msg_update_client_encode, cw_msg_update_client, msg_update_client_enc)
CW_CODEC_DEFINE_DECODE(cw_msg_update_client_decode, cw_msg_update_client, msg_update_client_dec,
              cw_msg_update_client_free, "msg_update_client")
CW_CODEC_DEFINE_ENCODE(cw_msg_submit_misbehaviour_encode, cw_msg_submit_misbehaviour,
              msg_submit_misbehaviour_enc)
CW_CODEC_DEFINE_DECODE(cw_msg_submit_misbehaviour_decode, cw_msg_submit_misbehaviour,
              msg_submit_misbehaviour_dec, cw_msg_submit_misbehaviour_free,
              "msg_submit_misbehaviour")
