/* Block wire types: canonical codecs, validator-set invariants, hashes, vote sign bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "causeway/block.h"
#include "causeway/hash.h"
#include "../testutil.h"

static const uint8_t SEED[32] = {7};
static char ERR[256];

/* A signed 4-validator light block at height 5. Keys not returned (tests here don't sign). */
static void make_light_block(cw_light_block *lb, uint32_t nvals)
{
    cw_validator_set vs;
    cw_seckey keys[CW_VALSET_MAX];
    cw_header h;
    memset(&h, 0, sizeof h);
    strcpy(h.chain_id, "alpha");
    h.height = 5;
    h.time_ns = 1700000000000000000ull;
    memset(h.state_root, 0xab, 32);
    assert_int_equal(cw_gen_validator_set(&vs, keys, SEED, 0, nvals, NULL), CW_OK);
    h.proposer = vs.v[0].pubkey;
    static const uint8_t aux[32];
    assert_int_equal(cw_gen_light_block(lb, &h, &vs, keys, &vs, NULL, aux, ERR, sizeof ERR),
                     CW_OK);
    cw_wipe(keys, sizeof keys);
    cw_validator_set_free(&vs);
}

static void test_light_block_roundtrip_is_byte_exact(void **state)
{
    (void)state;
    cw_light_block lb, back;
    uint8_t *buf, *buf2;
    size_t len, len2;
    make_light_block(&lb, 4);
    assert_int_equal(cw_light_block_encode(&buf, &len, &lb), CW_OK);
    assert_int_equal(cw_light_block_decode(&back, buf, len, ERR, sizeof ERR), CW_OK);
    assert_int_equal(cw_light_block_encode(&buf2, &len2, &back), CW_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    assert_int_equal(back.signed_header.commit.n_sigs, 4);
    assert_int_equal(back.validator_set.total_power, 40);
    assert_string_equal(back.signed_header.header.chain_id, "alpha");
    free(buf);
    free(buf2);
    cw_light_block_free(&back);
    cw_light_block_free(&lb);
}

static void test_truncated_light_block_never_decodes(void **state)
{
    (void)state;
    cw_light_block lb, back;
    uint8_t *buf;
    size_t len;
    make_light_block(&lb, 4);
    assert_int_equal(cw_light_block_encode(&buf, &len, &lb), CW_OK);
    for (size_t cut = 0; cut < len; cut++) {
        int rc = cw_light_block_decode(&back, buf, cut, ERR, sizeof ERR);
        assert_true(rc == CW_EMALFORMED || rc == CW_ETOOBIG);
        assert_null(back.validator_set.v);
        assert_null(back.signed_header.commit.sigs);
    }
    free(buf);
    cw_light_block_free(&lb);
}

static void test_trailing_byte_is_refused(void **state)
{
    (void)state;
    cw_light_block lb, back;
    uint8_t *buf;
    size_t len;
    make_light_block(&lb, 4);
    assert_int_equal(cw_light_block_encode(&buf, &len, &lb), CW_OK);
    uint8_t *ext = malloc(len + 1);
    memcpy(ext, buf, len);
    ext[len] = 0xc0;
    assert_int_equal(cw_light_block_decode(&back, ext, len + 1, ERR, sizeof ERR), CW_EMALFORMED);
    assert_non_null(strstr(ERR, "trailing"));
    free(ext);
    free(buf);
    cw_light_block_free(&lb);
}

static void test_non_canonical_integer_is_refused(void **state)
{
    (void)state;
    cw_light_block lb;
    cw_header back;
    make_light_block(&lb, 4);
    const cw_header *h = &lb.signed_header.header;
    /* Header with height 5 written as a 9-byte uint64 instead of a fixint. */
    cw_enc e;
    cw_enc_init(&e);
    cw_enc_array(&e, 9);
    cw_enc_cstr(&e, h->chain_id);
    msgpack_pack_fix_uint64(&e.pk, h->height);
    cw_enc_u64(&e, h->time_ns);
    cw_enc_bin(&e, h->last_block_hash, 32);
    cw_enc_bin(&e, h->state_root, 32);
    cw_enc_bin(&e, h->tx_root, 32);
    cw_enc_bin(&e, h->validators_hash, 32);
    cw_enc_bin(&e, h->next_validators_hash, 32);
    cw_enc_bin(&e, h->proposer.b, 32);
    assert_int_equal(cw_header_decode(&back, cw_enc_data(&e), cw_enc_len(&e), ERR, sizeof ERR),
                     CW_ENONCANONICAL);
    cw_enc_free(&e);
    cw_light_block_free(&lb);
}

static void test_wrong_arity_and_types_are_refused(void **state)
{
    (void)state;
    cw_header h;
    /* [ "alpha", 1 ] — a header needs 9 fields */
    const uint8_t short_hdr[] = {0x92, 0xa5, 'a', 'l', 'p', 'h', 'a', 0x01};
    assert_int_equal(cw_header_decode(&h, short_hdr, sizeof short_hdr, ERR, sizeof ERR),
                     CW_EMALFORMED);
    assert_non_null(strstr(ERR, "9 fields"));
    /* a map instead of an array */
    const uint8_t map[] = {0x80};
    assert_int_equal(cw_header_decode(&h, map, sizeof map, ERR, sizeof ERR), CW_EMALFORMED);
}

/* Encode a raw validator list [[pk, power], ...] and decode it as a set. */
static int decode_set(const cw_validator *v, uint32_t n)
{
    cw_enc e;
    cw_validator_set vs;
    cw_enc_init(&e);
    cw_enc_array(&e, n);
    for (uint32_t i = 0; i < n; i++) {
        cw_enc_array(&e, 2);
        cw_enc_bin(&e, v[i].pubkey.b, 32);
        cw_enc_u64(&e, v[i].power);
    }
    int rc = cw_validator_set_decode(&vs, cw_enc_data(&e), cw_enc_len(&e), ERR, sizeof ERR);
    cw_validator_set_free(&vs);
    cw_enc_free(&e);
    return rc;
}

static void three_sorted(cw_validator v[3])
{
    for (int i = 0; i < 3; i++) {
        memset(v[i].pubkey.b, 0x10 * (i + 1), 32);
        v[i].power = 5;
    }
}

static void test_validator_set_invariants_on_decode(void **state)
{
    (void)state;
    cw_validator v[3];
    three_sorted(v);
    assert_int_equal(decode_set(v, 3), CW_OK);

    three_sorted(v); /* duplicate key */
    v[1].pubkey = v[0].pubkey;
    assert_int_equal(decode_set(v, 3), CW_EINVAL);
    assert_non_null(strstr(ERR, "duplicate pubkey"));

    three_sorted(v); /* unsorted */
    memset(v[0].pubkey.b, 0xff, 32);
    assert_int_equal(decode_set(v, 3), CW_EINVAL);
    assert_non_null(strstr(ERR, "not sorted"));

    three_sorted(v); /* zero power */
    v[2].power = 0;
    assert_int_equal(decode_set(v, 3), CW_EINVAL);
    assert_non_null(strstr(ERR, "zero power"));

    assert_int_equal(decode_set(v, 0), CW_EINVAL); /* empty */
}

static void test_total_power_at_2_pow_62_is_refused(void **state)
{
    (void)state;
    cw_validator v[3];
    three_sorted(v);
    v[0].power = UINT64_C(1) << 61;
    v[1].power = UINT64_C(1) << 61; /* total exactly 2^62 */
    v[2].power = 1;
    assert_int_equal(decode_set(v, 2), CW_EINVAL);
    assert_non_null(strstr(ERR, "2^62"));
    v[1].power = (UINT64_C(1) << 61) - 1; /* total 2^62 - 1: allowed */
    assert_int_equal(decode_set(v, 2), CW_OK);
    v[2].power = 1; /* 2^62 again, reached by the third */
    assert_int_equal(decode_set(v, 3), CW_EINVAL);
    v[0].power = UINT64_MAX; /* a single power that would wrap a naive sum */
    assert_int_equal(decode_set(v, 1), CW_EINVAL);
}

static void test_oversized_validator_set_is_refused_before_allocating(void **state)
{
    (void)state;
    /* array16 header declaring 1025 elements followed by 1025 nils: bounded by the list
     * limit (CW_ETOOBIG), never parsed into entries. */
    size_t n = CW_VALSET_MAX + 1, len = 3 + n;
    uint8_t *buf = calloc(1, len);
    buf[0] = 0xdc;
    buf[1] = (uint8_t)(n >> 8);
    buf[2] = (uint8_t)n;
    memset(buf + 3, 0xc0, n);
    cw_validator_set vs;
    assert_int_equal(cw_validator_set_decode(&vs, buf, len, ERR, sizeof ERR), CW_ETOOBIG);
    /* and a declared count beyond the input: refused by the pre-scan */
    assert_int_equal(cw_validator_set_decode(&vs, buf, 10, ERR, sizeof ERR), CW_ETOOBIG);
    free(buf);
}

static void test_bad_signature_length_and_index_bound(void **state)
{
    (void)state;
    cw_signed_header sh;
    cw_light_block lb;
    uint8_t *buf;
    size_t len;
    make_light_block(&lb, 4);
    lb.signed_header.commit.sigs[0].validator_index = CW_VALSET_MAX; /* beyond any set */
    assert_int_equal(cw_signed_header_encode(&buf, &len, &lb.signed_header), CW_OK);
    assert_int_equal(cw_signed_header_decode(&sh, buf, len, ERR, sizeof ERR), CW_EINVAL);
    assert_non_null(strstr(ERR, "validator_index"));
    free(buf);
    cw_light_block_free(&lb);
}

static void test_block_hash_is_sha256_of_canonical_header(void **state)
{
    (void)state;
    cw_light_block lb;
    uint8_t *buf, h1[32], h2[32];
    size_t len;
    make_light_block(&lb, 4);
    assert_int_equal(cw_header_encode(&buf, &len, &lb.signed_header.header), CW_OK);
    cw_sha256(h1, buf, len);
    assert_int_equal(cw_block_hash(h2, &lb.signed_header.header), CW_OK);
    assert_memory_equal(h1, h2, 32);
    assert_memory_equal(h2, lb.signed_header.commit.block_hash, 32);
    free(buf);
    assert_int_equal(cw_validators_hash(h1, &lb.validator_set), CW_OK);
    assert_memory_equal(h1, lb.signed_header.header.validators_hash, 32);
    cw_light_block_free(&lb);
}

static void test_vote_message_layout_binds_chain_and_height(void **state)
{
    (void)state;
    uint8_t bh[32], m[32], want[32], other[32];
    memset(bh, 0x5a, sizeof bh);
    /* [ "alpha", 7, bin32 ] written out by hand */
    uint8_t enc[1 + 6 + 1 + 2 + 32] = {0x93, 0xa5, 'a', 'l', 'p', 'h', 'a', 0x07, 0xc4, 0x20};
    memcpy(enc + 10, bh, 32);
    cw_tagged_hash(want, "causeway/vote", enc, sizeof enc);
    assert_int_equal(cw_vote_message(m, "alpha", 7, bh), CW_OK);
    assert_memory_equal(m, want, 32);
    assert_int_equal(cw_vote_message(other, "alphb", 7, bh), CW_OK);
    assert_memory_not_equal(m, other, 32);
    assert_int_equal(cw_vote_message(other, "alpha", 8, bh), CW_OK);
    assert_memory_not_equal(m, other, 32);
    assert_int_equal(cw_vote_message(other, "al/pha", 7, bh), CW_EINVAL);
}

static void test_msgs_roundtrip(void **state)
{
    (void)state;
    cw_light_block lb;
    make_light_block(&lb, 3);
    cw_msg_update_client m, mb;
    memset(&m, 0, sizeof m);
    strcpy(m.client_id, "client-0");
    m.update.signed_header = lb.signed_header;
    m.update.validator_set = lb.validator_set;
    m.update.trusted_height = 4;
    uint8_t *buf, *buf2;
    size_t len, len2;
    assert_int_equal(cw_msg_update_client_encode(&buf, &len, &m), CW_OK);
    assert_int_equal(cw_msg_update_client_decode(&mb, buf, len, ERR, sizeof ERR), CW_OK);
    assert_false(mb.update.has_trusted_validator_set);
    assert_int_equal(cw_msg_update_client_encode(&buf2, &len2, &mb), CW_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    free(buf);
    free(buf2);
    cw_msg_update_client_free(&mb);

    cw_msg_submit_misbehaviour mm, mmb;
    memset(&mm, 0, sizeof mm);
    strcpy(mm.client_id, "client-0");
    mm.header1 = m.update;
    mm.header2 = m.update;
    mm.header2.has_trusted_validator_set = true;
    mm.header2.trusted_validator_set = lb.validator_set;
    assert_int_equal(cw_msg_submit_misbehaviour_encode(&buf, &len, &mm), CW_OK);
    assert_int_equal(cw_msg_submit_misbehaviour_decode(&mmb, buf, len, ERR, sizeof ERR), CW_OK);
    assert_true(mmb.header2.has_trusted_validator_set);
    assert_int_equal(mmb.header2.trusted_validator_set.n, 3);
    /* a client id that could reach another path is refused */
    buf[2] = '/'; /* "client-0" → "/lient-0" (fixstr header at buf[1]) */
    cw_msg_submit_misbehaviour_free(&mmb);
    assert_int_equal(cw_msg_submit_misbehaviour_decode(&mmb, buf, len, ERR, sizeof ERR),
                     CW_EINVAL);
    free(buf);
    cw_light_block_free(&lb);
}

static void test_commit_sign_subset_and_wrong_key(void **state)
{
    (void)state;
    cw_validator_set vs;
    cw_seckey keys[4];
    cw_commit c;
    cw_header h;
    memset(&h, 0, sizeof h);
    strcpy(h.chain_id, "alpha");
    h.height = 1;
    assert_int_equal(cw_gen_validator_set(&vs, keys, SEED, 0, 4, NULL), CW_OK);
    bool sign[4] = {true, false, true, false};
    assert_int_equal(cw_commit_sign(&c, &h, &vs, keys, sign, NULL, ERR, sizeof ERR), CW_OK);
    assert_int_equal(c.n_sigs, 2);
    assert_int_equal(c.sigs[0].validator_index, 0);
    assert_int_equal(c.sigs[1].validator_index, 2);
    cw_commit_free(&c);
    keys[2] = keys[3]; /* a key that is not validator 2's */
    assert_int_equal(cw_commit_sign(&c, &h, &vs, keys, sign, NULL, ERR, sizeof ERR), CW_EINVAL);
    assert_null(c.sigs);
    cw_wipe(keys, sizeof keys);
    cw_validator_set_free(&vs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_light_block_roundtrip_is_byte_exact),
        cmocka_unit_test(test_truncated_light_block_never_decodes),
        cmocka_unit_test(test_trailing_byte_is_refused),
        cmocka_unit_test(test_non_canonical_integer_is_refused),
        cmocka_unit_test(test_wrong_arity_and_types_are_refused),
        cmocka_unit_test(test_validator_set_invariants_on_decode),
        cmocka_unit_test(test_total_power_at_2_pow_62_is_refused),
        cmocka_unit_test(test_oversized_validator_set_is_refused_before_allocating),
        cmocka_unit_test(test_bad_signature_length_and_index_bound),
        cmocka_unit_test(test_block_hash_is_sha256_of_canonical_header),
        cmocka_unit_test(test_vote_message_layout_binds_chain_and_height),
        cmocka_unit_test(test_msgs_roundtrip),
        cmocka_unit_test(test_commit_sign_subset_and_wrong_key),
    };
    return cmocka_run_group_tests_name("block", tests, NULL, NULL);
}
