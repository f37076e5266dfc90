/* 07-tendermint: times, validator sets, header hash, validator-set hash, precommit sign
 * bytes, Ed25519 (include/causeway/tendermint.h; DESIGN §6a). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "causeway/hash.h"
#include "causeway/tendermint.h"
#include "tendermint.pb-c.h"
#include "tm_internal.h"

/* ---- time ------------------------------------------------------------------------------ */

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, days_from_civil) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int cw_tm_time_parse(cw_tm_time *out, const char *s, char *err, size_t err_len)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, sec, nanos = 0;
    memset(out, 0, sizeof *out);
    size_t n = strlen(s);
    if (n < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
        digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
        return cw_errf(err, err_len, CW_EMALFORMED,
                       "time '%.40s': expected YYYY-MM-DDTHH:MM:SS[.fraction]Z", s);
    size_t i = 19;
    if (s[i] == '.') {
        size_t f = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        size_t nd = i - f;
        if (nd < 1 || nd > 9)
            return cw_errf(err, err_len, CW_EMALFORMED,
                           "time '%.40s': fraction must have 1 to 9 digits", s);
        unsigned v = 0;
        (void)digits(s + f, nd, &v);
        for (size_t k = nd; k < 9; k++)
            v *= 10;
        nanos = v;
    }
    if (i + 1 != n || s[i] != 'Z')
        return cw_errf(err, err_len, CW_EMALFORMED, "time '%.40s': must end in 'Z' (UTC)", s);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] + (mo == 2 && leap ? 1u : 0u) || h > 23 || mi > 59 || sec > 59)
        return cw_errf(err, err_len, CW_EMALFORMED, "time '%.40s': field out of range", s);
    out->seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    out->nanos = (int32_t)nanos;
    return CW_OK;
}

char *cw_tm_time_format(char *out, size_t out_len, cw_tm_time t)
{
    int64_t days = t.seconds >= 0 ? t.seconds / 86400 : -((-t.seconds + 86399) / 86400);
    int64_t rem = t.seconds - days * 86400, y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int k = snprintf(out, out_len, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u", y, m, d,
                     (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
    if (t.nanos > 0 && k > 0 && (size_t)k < out_len) {
        char frac[16];
        snprintf(frac, sizeof frac, "%09d", (int)t.nanos);
        for (int j = 8; j > 0 && frac[j] == '0'; j--)
            frac[j] = '\0';
        snprintf(out + k, out_len - (size_t)k, ".%sZ", frac);
    } else if (k > 0 && (size_t)k < out_len) {
        snprintf(out + k, out_len - (size_t)k, "Z");
    }
    return out;
}

int cw_tm_time_cmp(cw_tm_time a, cw_tm_time b)
{
    if (a.seconds != b.seconds)
        return a.seconds < b.seconds ? -1 : 1;
    return a.nanos < b.nanos ? -1 : a.nanos > b.nanos;
}

/* ---- Merkle ---------------------------------------------------------------------------- */

static void leaf_hash(uint8_t out[32], const uint8_t *p, size_t len)
{
    static const uint8_t zero = 0x00;
    cw_bytes parts[2] = {{&zero, 1}, {p, len}};
    cw_sha256_parts(out, parts, 2);
}

static void inner_hash(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
    static const uint8_t one = 0x01;
    cw_bytes parts[3] = {{&one, 1}, {l, 32}, {r, 32}};
    cw_sha256_parts(out, parts, 3);
}

/* root of leaves[0..n), n >= 1: split at the largest power of two below n */
static void root_of(uint8_t out[32], const uint8_t (*leaves)[32], size_t n)
{
    if (n == 1) {
        memcpy(out, leaves[0], 32);
        return;
    }
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    uint8_t l[32], r[32];
    root_of(l, leaves, k);
    root_of(r, leaves + k, n - k);
    inner_hash(out, l, r);
}

int cw_tm_merkle_root(uint8_t out[static 32], const cw_bytes *items, size_t n)
{
    if (n == 0) {
        cw_sha256(out, "", 0);
        return CW_OK;
    }
    uint8_t stack[64][32], (*leaves)[32] = stack;
    if (n > 64 && !(leaves = malloc(n * 32)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        leaf_hash(leaves[i], items[i].p, items[i].len);
    root_of(out, (const uint8_t(*)[32])leaves, n);
    if (leaves != stack)
        free(leaves);
    return CW_OK;
}

/* ---- header hash ----------------------------------------------------------------------- */

#define FIELD_MAX 160 /* largest single encoded header field (chain id 50 + tags) */

static size_t pack(uint8_t buf[FIELD_MAX], const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    if (n > FIELD_MAX)
        return SIZE_MAX;
    return protobuf_c_message_pack(m, buf);
}

static size_t pack_bytes(uint8_t buf[FIELD_MAX], const cw_tm_bytes *b)
{
    Cw__Tm__BytesValue v = CW__TM__BYTES_VALUE__INIT;
    v.value.data = (uint8_t *)b->b;
    v.value.len = b->len;
    return pack(buf, &v.base);
}

int cw_tm_header_hash(uint8_t out[static 32], const cw_tm_header *h)
{
    uint8_t f[14][FIELD_MAX];
    cw_bytes items[14];
    size_t n[14];
    memset(out, 0, 32);
    if (strnlen(h->chain_id, sizeof h->chain_id) > CW_TM_CHAIN_ID_MAX)
        return CW_EMALFORMED;

    Cw__Tm__Consensus ver = CW__TM__CONSENSUS__INIT;
    ver.block = h->version_block;
    ver.app = h->version_app;
    n[0] = pack(f[0], &ver.base);

    Cw__Tm__StringValue cid = CW__TM__STRING_VALUE__INIT;
    cid.value = (char *)h->chain_id;
    n[1] = pack(f[1], &cid.base);

    Cw__Tm__Int64Value ht = CW__TM__INT64_VALUE__INIT;
    ht.value = h->height;
    n[2] = pack(f[2], &ht.base);

    Cw__Tm__Timestamp ts = CW__TM__TIMESTAMP__INIT;
    ts.seconds = h->time.seconds;
    ts.nanos = h->time.nanos;
    n[3] = pack(f[3], &ts.base);

    Cw__Tm__PartSetHeader psh = CW__TM__PART_SET_HEADER__INIT;
    psh.total = h->last_block_id.parts_total;
    psh.hash.data = (uint8_t *)h->last_block_id.parts_hash.b;
    psh.hash.len = h->last_block_id.parts_hash.len;
    Cw__Tm__BlockID bid = CW__TM__BLOCK_ID__INIT;
    bid.hash.data = (uint8_t *)h->last_block_id.hash.b;
    bid.hash.len = h->last_block_id.hash.len;
    bid.part_set_header = &psh; /* non-nullable upstream: always written */
    n[4] = pack(f[4], &bid.base);

    const cw_tm_bytes *bs[9] = {&h->last_commit_hash,  &h->data_hash,
                                &h->validators_hash,   &h->next_validators_hash,
                                &h->consensus_hash,    &h->app_hash,
                                &h->last_results_hash, &h->evidence_hash,
                                &h->proposer_address};
    for (int i = 0; i < 9; i++)
        n[5 + i] = pack_bytes(f[5 + i], bs[i]);
    for (int i = 0; i < 14; i++) {
        if (n[i] == SIZE_MAX)
            return CW_EMALFORMED;
        items[i] = (cw_bytes){f[i], n[i]};
    }
    return cw_tm_merkle_root(out, items, 14);
}

/* ---- validator sets -------------------------------------------------------------------- */

int cw_tm_valset_init(cw_tm_valset *vs, uint32_t n)
{
    memset(vs, 0, sizeof *vs);
    if (n > CW_TM_VALIDATORS_MAX)
        return CW_ETOOBIG;
    if (n && !(vs->v = calloc(n, sizeof *vs->v)))
        return -ENOMEM;
    vs->n = n;
    return CW_OK;
}

void cw_tm_valset_free(cw_tm_valset *vs)
{
    if (!vs)
        return;
    for (uint32_t i = 0; i < vs->n && vs->v; i++)
        EVP_PKEY_free(vs->v[i].pkey);
    free(vs->v);
    free(vs->by_address);
    memset(vs, 0, sizeof *vs);
}

static int val_order(const void *a, const void *b)
{
    const cw_tm_validator *x = a, *y = b;
    if (x->power != y->power)
        return x->power > y->power ? -1 : 1;
    return memcmp(x->address, y->address, CW_TM_ADDRESS_LEN);
}

struct addr_ix {
    uint8_t a[CW_TM_ADDRESS_LEN];
    uint32_t i;
};

static int addr_order(const void *a, const void *b)
{
    return memcmp(a, b, CW_TM_ADDRESS_LEN);
}

int64_t tm_find_address(const uint32_t *idx, uint32_t n, const uint8_t *first, size_t stride,
                        const uint8_t address[static 20])
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2, k = idx[mid];
        int c = memcmp(first + (size_t)k * stride, address, CW_TM_ADDRESS_LEN);
        if (c == 0)
            return k;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int64_t cw_tm_valset_find(const cw_tm_valset *vs, const uint8_t address[static 20])
{
    if (!vs->finished || !vs->n)
        return -1;
    return tm_find_address(vs->by_address, vs->n, vs->v[0].address, sizeof vs->v[0], address);
}

int cw_tm_valset_finish(cw_tm_valset *vs, char *err, size_t err_len)
{
    int64_t total = 0;
    if (vs->finished)
        return CW_OK;
    for (uint32_t i = 0; i < vs->n; i++) {
        cw_tm_validator *v = &vs->v[i];
        uint8_t h[32];
        if (v->power < 0 || v->power > CW_TM_MAX_TOTAL_POWER)
            return cw_errf(err, err_len, v->power < 0 ? CW_EMALFORMED : CW_EOVERFLOW,
                           "validators[%u]: voting power %" PRId64 " outside 0..%" PRId64, i,
                           v->power, (int64_t)CW_TM_MAX_TOTAL_POWER);
        total += v->power; /* both <= 2^60: no overflow */
        if (total > CW_TM_MAX_TOTAL_POWER)
            return cw_errf(err, err_len, CW_EOVERFLOW,
                           "validators: total voting power exceeds %" PRId64,
                           (int64_t)CW_TM_MAX_TOTAL_POWER);
        cw_sha256(h, v->pubkey, 32);
        if (memcmp(h, v->address, CW_TM_ADDRESS_LEN) != 0)
            return cw_errf(err, err_len, CW_EMALFORMED,
                           "validators[%u]: address is not SHA-256(pub_key)[:20]", i);
    }
    if (vs->n) /* an empty set has v == NULL, which qsort must not get */
        qsort(vs->v, vs->n, sizeof *vs->v, val_order);
    free(vs->by_address);
    vs->by_address = NULL;
    struct addr_ix *ix = NULL;
    if (vs->n && (!(vs->by_address = malloc((size_t)vs->n * sizeof *vs->by_address)) ||
                  !(ix = malloc((size_t)vs->n * sizeof *ix))))
        return -ENOMEM;
    for (uint32_t i = 0; i < vs->n; i++) {
        memcpy(ix[i].a, vs->v[i].address, CW_TM_ADDRESS_LEN);
        ix[i].i = i;
    }
    if (vs->n)
        qsort(ix, vs->n, sizeof *ix, addr_order);
    bool dup = false;
    for (uint32_t i = 0; i < vs->n; i++) {
        vs->by_address[i] = ix[i].i;
        dup |= i > 0 && memcmp(ix[i - 1].a, ix[i].a, CW_TM_ADDRESS_LEN) == 0;
    }
    free(ix);
    if (dup)
        return cw_errf(err, err_len, CW_EMALFORMED, "validators: an address appears twice");
    for (uint32_t i = 0; i < vs->n; i++) {
        if (vs->v[i].pkey)
            continue;
        vs->v[i].pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, vs->v[i].pubkey, 32);
        if (!vs->v[i].pkey)
            return cw_errf(err, err_len, CW_EMALFORMED,
                           "validators[%u]: pub_key is not an Ed25519 key", i);
    }
    vs->total_power = total;
    int rc = cw_tm_valset_hash(vs->hash, vs);
    if (rc)
        return rc;
    vs->finished = true;
    return CW_OK;
}

int cw_tm_valset_copy(cw_tm_valset *dst, const cw_tm_valset *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src->finished)
        return CW_EINVAL;
    int rc = cw_tm_valset_init(dst, src->n);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < src->n; i++) {
        memcpy(dst->v[i].address, src->v[i].address, CW_TM_ADDRESS_LEN);
        memcpy(dst->v[i].pubkey, src->v[i].pubkey, 32);
        dst->v[i].power = src->v[i].power;
    }
    if ((rc = cw_tm_valset_finish(dst, NULL, 0)))
        cw_tm_valset_free(dst);
    return rc == CW_OK ? CW_OK : rc == -ENOMEM ? -ENOMEM : CW_EINVAL;
}

int cw_tm_valset_hash(uint8_t out[static 32], const cw_tm_valset *vs)
{
    uint8_t stackbuf[64][64], (*enc)[64] = stackbuf;
    cw_bytes stackitems[64], *items = stackitems;
    int rc = -ENOMEM;
    if (vs->finished) {
        memcpy(out, vs->hash, 32);
        return CW_OK;
    }
    memset(out, 0, 32);
    if (vs->n > 64) {
        enc = malloc((size_t)vs->n * 64);
        items = malloc((size_t)vs->n * sizeof *items);
        if (!enc || !items)
            goto out;
    }
    for (uint32_t i = 0; i < vs->n; i++) {
        Cw__Tm__PublicKey pk = CW__TM__PUBLIC_KEY__INIT;
        pk.ed25519.data = (uint8_t *)vs->v[i].pubkey;
        pk.ed25519.len = 32;
        Cw__Tm__SimpleValidator sv = CW__TM__SIMPLE_VALIDATOR__INIT;
        sv.pub_key = &pk;
        sv.voting_power = vs->v[i].power;
        /* 2 + 34 + 1 + 10 bytes at most */
        items[i] = (cw_bytes){enc[i], protobuf_c_message_pack(&sv.base, enc[i])};
    }
    rc = cw_tm_merkle_root(out, items, vs->n);
out:
    if (enc != stackbuf)
        free(enc);
    if (items != stackitems)
        free(items);
    return rc;
}

/* ---- sign bytes and Ed25519 ------------------------------------------------------------ */

int cw_tm_vote_sign_bytes(uint8_t out[static CW_TM_SIGN_BYTES_MAX], size_t *out_len,
                          const char *chain_id, const cw_tm_commit *c, uint32_t idx)
{
    *out_len = 0;
    if (idx >= c->n || c->sigs[idx].flag == CW_TM_FLAG_ABSENT)
        return CW_EINVAL;
    const cw_tm_commit_sig *s = &c->sigs[idx];
    Cw__Tm__CanonicalPartSetHeader psh = CW__TM__CANONICAL_PART_SET_HEADER__INIT;
    psh.total = c->block_id.parts_total;
    psh.hash.data = (uint8_t *)c->block_id.parts_hash.b;
    psh.hash.len = c->block_id.parts_hash.len;
    Cw__Tm__CanonicalBlockID bid = CW__TM__CANONICAL_BLOCK_ID__INIT;
    bid.hash.data = (uint8_t *)c->block_id.hash.b;
    bid.hash.len = c->block_id.hash.len;
    bid.part_set_header = &psh;
    Cw__Tm__Timestamp ts = CW__TM__TIMESTAMP__INIT;
    ts.seconds = s->timestamp.seconds;
    ts.nanos = s->timestamp.nanos;
    Cw__Tm__CanonicalVote v = CW__TM__CANONICAL_VOTE__INIT;
    v.type = CW__TM__SIGNED_MSG_TYPE__SIGNED_MSG_TYPE_PRECOMMIT;
    v.height = c->height;
    v.round = c->round;
    /* a nil vote votes for the zero block id, which CanonicalizeBlockID leaves out */
    v.block_id = s->flag == CW_TM_FLAG_NIL ? NULL : &bid;
    v.timestamp = &ts;
    v.chain_id = (char *)chain_id;
    if (strlen(chain_id) > CW_TM_CHAIN_ID_MAX)
        return CW_EMALFORMED;
    size_t n = protobuf_c_message_get_packed_size(&v.base);
    if (n + 2 > CW_TM_SIGN_BYTES_MAX) /* n < 2^14: a two-byte varint at most */
        return CW_EMALFORMED;
    size_t k = 0;
    if (n >= 0x80)
        out[k++] = (uint8_t)(n | 0x80), out[k++] = (uint8_t)(n >> 7);
    else
        out[k++] = (uint8_t)n;
    *out_len = k + protobuf_c_message_pack(&v.base, out + k);
    return CW_OK;
}

int cw_tm_ed25519_verify(void *pkey, const uint8_t sig64[static 64], const uint8_t *msg,
                         size_t msg_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return -ENOMEM;
    int ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
             EVP_DigestVerify(ctx, sig64, 64, msg, msg_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? CW_OK : CW_EBADSIG;
}

void cw_tm_light_block_free(cw_tm_light_block *lb)
{
    if (!lb)
        return;
    free(lb->commit.sigs);
    cw_tm_valset_free(&lb->validators);
    cw_tm_valset_free(&lb->next_validators);
    memset(lb, 0, sizeof *lb);
}
