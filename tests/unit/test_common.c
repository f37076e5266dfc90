/* Unit tests for common/: return codes, hex, identifiers, hashing, checked arithmetic,
 * keys and key files. Known answers were computed independently (Python hashlib / exact
 * integer arithmetic) and are cited beside each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include "causeway/error.h"
#include "causeway/hash.h"
#include "causeway/hex.h"
#include "causeway/log.h"
#include "causeway/mathx.h"
#include "causeway/schnorr.h"
#include "../testutil.h"

static void hexeq(const uint8_t *got, size_t n, const char *want_hex)
{
    char buf[256];
    assert_int_equal(cw_hex_encode(buf, sizeof buf, got, n), CW_OK);
    assert_string_equal(buf, want_hex);
}

/* ---- errors ---- */

static void test_strerror_names_every_code(void **s)
{
    (void)s;
    for (int rc = -30001; rc >= -30023; rc--) {
        const char *m = cw_strerror(rc);
        assert_non_null(m);
        assert_true(strncmp(m, "CW_E", 4) == 0);
        assert_null(strstr(m, "unknown"));
    }
    assert_string_equal(cw_strerror(CW_OK), "success");
    assert_non_null(strstr(cw_strerror(-ENOENT), "No such file"));
    assert_non_null(strstr(cw_strerror(-30999), "unknown"));
}

static void test_errf_truncates_and_terminates(void **s)
{
    (void)s;
    char e[8];
    assert_int_equal(cw_errf(e, sizeof e, CW_EINVAL, "%s", "a long message"), CW_EINVAL);
    assert_string_equal(e, "a long ");
    assert_int_equal(cw_errf(NULL, 0, CW_EMALFORMED, "x"), CW_EMALFORMED);
    char f[64] = "inner";
    cw_err_prefix(f, sizeof f, CW_EINVAL, "outer");
    assert_string_equal(f, "outer: inner");
}

/* One LMDB mapping for every store (error.h, cw_lmdb_error): the documented table, and no
 * LMDB code — they sit inside the CW range — ever comes out raw or as an unnamed CW code. */
static void test_lmdb_error_maps_every_code_by_the_table(void **s)
{
    (void)s;
    static const struct {
        int mdb, want;
    } table[] = {
        {MDB_SUCCESS, CW_OK},
        {ENOSPC, -ENOSPC}, /* a full disk under LMDB */
        {EACCES, -EACCES},
        {ENOMEM, -ENOMEM},
        {MDB_NOTFOUND, CW_ENOTFOUND},
        {MDB_KEYEXIST, CW_EEXISTS},
        {MDB_MAP_FULL, -ENOSPC},
        {MDB_TXN_FULL, -ENOSPC},
        {MDB_DBS_FULL, -ENOSPC},
        {MDB_READERS_FULL, -EAGAIN},
        {MDB_TLS_FULL, -EAGAIN},
        {MDB_MAP_RESIZED, -EAGAIN},
        {MDB_BAD_VALSIZE, CW_ETOOBIG},
        {MDB_BAD_TXN, CW_ESTATE},
        {MDB_BAD_RSLOT, CW_ESTATE},
        {MDB_BAD_DBI, CW_ESTATE},
        {MDB_INCOMPATIBLE, CW_EINVAL},
        {MDB_CORRUPTED, -EIO},
        {MDB_PAGE_NOTFOUND, -EIO},
        {MDB_PANIC, -EIO},
        {MDB_VERSION_MISMATCH, -EIO},
        {MDB_INVALID, -EIO},
        {MDB_CURSOR_FULL, -EIO},
        {MDB_PAGE_FULL, -EIO},
        {MDB_KEYEXIST - 1, -EIO}, /* codes LMDB may add later */
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        int got = cw_lmdb_error(table[i].mdb);
        if (got != table[i].want)
            fail_msg("%s: got %d (%s), want %d", mdb_strerror(table[i].mdb), got,
                     cw_strerror(got), table[i].want);
    }
    for (int m = MDB_KEYEXIST; m <= MDB_LAST_ERRCODE; m++) {
        int got = cw_lmdb_error(m);
        assert_true(got < 0);
        assert_false(got >= MDB_KEYEXIST && got <= MDB_LAST_ERRCODE);
        assert_null(strstr(cw_strerror(got), "unknown"));
    }
}

/* ---- hex and identifiers ---- */

static void test_hex_round_trip_and_case(void **s)
{
    (void)s;
    uint8_t in[4] = {0x00, 0xab, 0xCD, 0xff}, out[4];
    size_t n;
    char h[9], e[128];
    assert_int_equal(cw_hex_encode(h, sizeof h, in, 4), CW_OK);
    assert_string_equal(h, "00abcdff");
    assert_int_equal(cw_hex_decode(out, 4, &n, "00ABcdFF", 8, e, sizeof e), CW_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(in, out, 4);
}

static void test_hex_rejects_odd_bad_char_and_overflow(void **s)
{
    (void)s;
    uint8_t out[4];
    size_t n = 99;
    char e[128], small[4];
    assert_int_equal(cw_hex_decode(out, 4, &n, "abc", 3, e, sizeof e), CW_EMALFORMED);
    assert_int_equal(n, 0);
    assert_non_null(strstr(e, "odd length"));
    assert_int_equal(cw_hex_decode(out, 4, &n, "0g", 2, e, sizeof e), CW_EMALFORMED);
    assert_non_null(strstr(e, "'g' at position 1"));
    assert_int_equal(cw_hex_decode(out, 4, &n, "0x12", 4, e, sizeof e), CW_EMALFORMED);
    assert_int_equal(cw_hex_decode(out, 2, &n, "001122", 6, e, sizeof e), CW_ETOOBIG);
    assert_int_equal(cw_hex_decode_exact(out, 2, "0011aa", e, sizeof e), CW_EMALFORMED);
    assert_int_equal(cw_hex_decode_exact(out, 2, "0011", e, sizeof e), CW_OK);
    assert_int_equal(cw_hex_encode(small, sizeof small, out, 2), CW_ETOOBIG);
    assert_string_equal(small, "");
}

static void test_identifier_rules_block_path_injection(void **s)
{
    (void)s;
    char e[160];
    const char *good[] = {"channel-0", "client-12", "collateral", "uatom", "a.b_c+d-e", "X"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_int_equal(cw_id_validate(good[i], strlen(good[i]), "id", e, sizeof e), CW_OK);
    /* '/' would let an id reach another module's state path; the rest are outside ICS-24's
     * set or ambiguous in paths and logs. */
    const char *bad[] = {"ports/x", "../bank", "a b", "a#b", "é", "x\n", "a[b]", "a<b>", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(cw_id_validate(bad[i], strlen(bad[i]), "port id", e, sizeof e),
                         CW_EINVAL);
    assert_int_equal(cw_id_validate("a\0b", 3, "port id", e, sizeof e), CW_EINVAL);
    assert_non_null(strstr(e, "port id: byte 0x00 at position 1"));
    char long_id[66];
    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    assert_int_equal(cw_id_validate(long_id, 64, "id", e, sizeof e), CW_OK);
    assert_int_equal(cw_id_validate(long_id, 65, "id", e, sizeof e), CW_EINVAL);
}

/* ---- hashing ---- */

static void test_sha256_known_answers(void **s)
{
    (void)s;
    uint8_t h[32];
    cw_sha256(h, "abc", 3); /* FIPS 180-4 example */
    hexeq(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cw_sha256(h, NULL, 0);
    hexeq(h, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char *million = malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    cw_sha256_ctx c;
    assert_int_equal(cw_sha256_init(&c), CW_OK);
    for (int i = 0; i < 1000; i++)
        cw_sha256_update(&c, million + i * 1000, 1000);
    cw_sha256_final(&c, h);
    hexeq(h, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
    cw_sha256_abandon(&c); /* finished context: a no-op */
}

static void test_sha256_parts_equal_concatenation(void **s)
{
    (void)s;
    uint8_t a[32], b[32];
    cw_bytes parts[3] = {{(const uint8_t *)"a", 1}, {NULL, 0}, {(const uint8_t *)"bc", 2}};
    cw_sha256_parts(a, parts, 3);
    cw_sha256(b, "abc", 3);
    assert_memory_equal(a, b, 32);
}

static void test_tagged_hash_known_answers(void **s)
{
    (void)s;
    uint8_t h[32];
    /* Python: t=sha256(b'causeway/vote'); sha256(t+t+b'abc') */
    cw_tagged_hash(h, CW_TAG_VOTE, "abc", 3);
    hexeq(h, 32, "0c1ce3fc8af8edf3863aa2463c45cd71bf78076648b702d7bc7074c918c9089d");
    cw_tagged_hash(h, CW_TAG_TX, "", 0);
    hexeq(h, 32, "9f14122bc65897fff0cc83459716af1f27049537967cff08bb0bb8994cfb2282");
}

/* ---- checked arithmetic ---- */

static void test_muldiv_exact_over_256_bits(void **s)
{
    (void)s;
    cw_u128 q;
    /* (2^128-1)^2 / (2^128-1) = 2^128-1: the product needs all 256 bits. */
    assert_int_equal(cw_muldiv_u128(&q, CW_U128_MAX, CW_U128_MAX, CW_U128_MAX, CW_ROUND_DOWN),
                     CW_OK);
    assert_true(q == CW_U128_MAX);
    /* 1e30 * 3e20 / 1e18 = 3e32 (value of 1e30 base units at price 300 wad). */
    cw_u128 e30 = (cw_u128)1000000000000000ULL * 1000000000000000ULL;
    cw_u128 p = (cw_u128)300 * CW_WAD;
    assert_int_equal(cw_muldiv_u128(&q, e30, p, CW_WAD, CW_ROUND_DOWN), CW_OK);
    assert_true(q == e30 * 300);
    /* 2^127 * 6 / 4 = 3 * 2^126: intermediate above 2^128, exact result. */
    assert_int_equal(cw_muldiv_u128(&q, (cw_u128)1 << 127, 6, 4, CW_ROUND_DOWN), CW_OK);
    assert_true(q == (cw_u128)3 << 126);
}

static void test_muldiv_rounding_direction(void **s)
{
    (void)s;
    cw_u128 q;
    uint64_t v;
    assert_int_equal(cw_muldiv_u128(&q, 10, 1, 3, CW_ROUND_DOWN), CW_OK);
    assert_true(q == 3);
    assert_int_equal(cw_muldiv_u128(&q, 10, 1, 3, CW_ROUND_UP), CW_OK);
    assert_true(q == 4);
    assert_int_equal(cw_muldiv_u128(&q, 9, 1, 3, CW_ROUND_UP), CW_OK);
    assert_true(q == 3); /* exact: no bump */
    /* 256-bit path with a remainder: (2^128-1) * 2 = 2^129-2 ≡ 6 (mod 7). */
    assert_int_equal(cw_muldiv_u128(&q, CW_U128_MAX, 2, 7, CW_ROUND_DOWN), CW_OK);
    cw_u128 down = q;
    assert_int_equal(cw_muldiv_u128(&q, CW_U128_MAX, 2, 7, CW_ROUND_UP), CW_OK);
    assert_true(q == down + 1);
    assert_int_equal(cw_muldiv_u64(&v, 7, 10, 4, CW_ROUND_UP), CW_OK);
    assert_int_equal(v, 18);
    assert_int_equal(cw_apply_bps(&v, 1000, 7500, CW_ROUND_DOWN), CW_OK);
    assert_int_equal(v, 750);
    assert_int_equal(cw_apply_bps(&v, 3, 3333, CW_ROUND_DOWN), CW_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cw_apply_bps(&v, 3, 3333, CW_ROUND_UP), CW_OK);
    assert_int_equal(v, 1);
}

static void test_muldiv_overflow_and_zero_divisor_are_errors(void **s)
{
    (void)s;
    cw_u128 q = 5;
    uint64_t v = 5;
    assert_int_equal(cw_muldiv_u128(&q, CW_U128_MAX, 2, 1, CW_ROUND_DOWN), CW_EOVERFLOW);
    assert_true(q == 0);
    assert_int_equal(cw_muldiv_u128(&q, 1, 1, 0, CW_ROUND_DOWN), CW_EINVAL);
    assert_int_equal(cw_muldiv_u128(&q, CW_U128_MAX, 1, 1, CW_ROUND_UP), CW_OK);
    /* round-up past the top */
    assert_int_equal(cw_muldiv_u128(&q, CW_U128_MAX, CW_U128_MAX, CW_U128_MAX - 1, CW_ROUND_DOWN),
                     CW_EOVERFLOW);
    assert_int_equal(cw_muldiv_u64(&v, UINT64_MAX, 2, 1, CW_ROUND_DOWN), CW_EOVERFLOW);
    assert_int_equal(v, 0);
    assert_int_equal(cw_muldiv_u64(&v, UINT64_MAX, UINT64_MAX, UINT64_MAX, CW_ROUND_DOWN), CW_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(cw_muldiv_u64(&v, 1, 1, 0, CW_ROUND_DOWN), CW_EINVAL);
    assert_int_equal(cw_add_u64(&v, UINT64_MAX, 1), CW_EOVERFLOW);
    assert_int_equal(cw_sub_u64(&v, 0, 1), CW_EOVERFLOW);
    assert_int_equal(cw_add_u64(&v, 2, 3), CW_OK);
    assert_int_equal(v, 5);
    assert_int_equal(cw_add_u128(&q, CW_U128_MAX, 1), CW_EOVERFLOW);
    assert_int_equal(cw_sub_u128(&q, 0, 1), CW_EOVERFLOW);
}

/* Independent reference: schoolbook arithmetic on 32-bit limbs (little endian, 8 limbs). */
typedef struct { uint32_t l[8]; } ref256;

static ref256 ref_mul(cw_u128 a, cw_u128 b)
{
    uint32_t x[4], y[4];
    ref256 r = {{0}};
    for (int i = 0; i < 4; i++) {
        x[i] = (uint32_t)(a >> (32 * i));
        y[i] = (uint32_t)(b >> (32 * i));
    }
    for (int i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            uint64_t t = (uint64_t)x[i] * y[j] + r.l[i + j] + carry;
            r.l[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        for (int k = i + 4; carry && k < 8; k++) {
            uint64_t t = (uint64_t)r.l[k] + carry;
            r.l[k] = (uint32_t)t;
            carry = t >> 32;
        }
    }
    return r;
}

static ref256 ref_add(ref256 a, cw_u128 b)
{
    uint64_t carry = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t t = (uint64_t)a.l[i] + (i < 4 ? (uint32_t)(b >> (32 * i)) : 0) + carry;
        a.l[i] = (uint32_t)t;
        carry = t >> 32;
    }
    return a;
}

static int ref_cmp(ref256 a, ref256 b)
{
    for (int i = 7; i >= 0; i--)
        if (a.l[i] != b.l[i])
            return a.l[i] < b.l[i] ? -1 : 1;
    return 0;
}

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void test_muldiv_matches_exact_reference_on_random_inputs(void **s)
{
    (void)s;
    /* q = floor(a*b/d)  <=>  q*d <= a*b < q*d + d, checked in independent 256-bit
     * arithmetic; and ROUND_UP is q, or q+1 exactly when a*b != q*d. */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    int checked = 0, overflowed = 0;
    for (int i = 0; i < 20000; i++) {
        cw_u128 r[3];
        for (int k = 0; k < 3; k++) {
            uint64_t hi = xorshift(&x), lo = xorshift(&x);
            r[k] = (cw_u128)hi << 64 | lo;
        }
        cw_u128 a = r[0] >> ((i * 7) % 128), b = r[1] >> (i % 128), d = (r[2] >> (i % 127)) | 1;
        cw_u128 q, up;
        int rc = cw_muldiv_u128(&q, a, b, d, CW_ROUND_DOWN);
        ref256 prod = ref_mul(a, b);
        if (rc == CW_EOVERFLOW) {
            /* must really be >= 2^128 * d */
            ref256 lim = ref_mul(d, 1);
            for (int k = 7; k >= 4; k--)
                lim.l[k] = lim.l[k - 4];
            for (int k = 0; k < 4; k++)
                lim.l[k] = 0;
            assert_true(ref_cmp(prod, lim) >= 0);
            overflowed++;
            continue;
        }
        assert_int_equal(rc, CW_OK);
        ref256 qd = ref_mul(q, d);
        assert_true(ref_cmp(qd, prod) <= 0);
        assert_true(ref_cmp(prod, ref_add(qd, d)) < 0);
        assert_int_equal(cw_muldiv_u128(&up, a, b, d, CW_ROUND_UP), CW_OK);
        assert_true(up == (ref_cmp(qd, prod) == 0 ? q : q + 1));
        checked++;
    }
    assert_true(checked > 5000);    /* both outcomes really exercised */
    assert_true(overflowed > 100);
}

static void test_decimal_parse_and_print(void **s)
{
    (void)s;
    char buf[41], e[128];
    cw_u128 v;
    uint64_t u;
    assert_int_equal(cw_u128_to_dec(buf, sizeof buf, CW_U128_MAX), CW_OK);
    assert_string_equal(buf, "340282366920938463463374607431768211455");
    assert_int_equal(cw_u128_from_dec(&v, buf, e, sizeof e), CW_OK);
    assert_true(v == CW_U128_MAX);
    assert_int_equal(cw_u128_from_dec(&v, "340282366920938463463374607431768211456", e, sizeof e),
                     CW_EOVERFLOW);
    assert_int_equal(cw_u128_from_dec(&v, "12a", e, sizeof e), CW_EMALFORMED);
    assert_int_equal(cw_u128_from_dec(&v, "", e, sizeof e), CW_EMALFORMED);
    assert_int_equal(cw_u128_from_dec(&v, "007", e, sizeof e), CW_EMALFORMED);
    assert_int_equal(cw_u128_from_dec(&v, "-1", e, sizeof e), CW_EMALFORMED);
    assert_int_equal(cw_u64_from_dec(&u, "18446744073709551616", e, sizeof e), CW_EOVERFLOW);
    assert_int_equal(cw_u64_from_dec(&u, "18446744073709551615", e, sizeof e), CW_OK);
    assert_true(u == UINT64_MAX);
    assert_int_equal(cw_u128_to_dec(buf, 3, 1000), CW_ETOOBIG);
    assert_int_equal(cw_u128_to_dec(buf, sizeof buf, 0), CW_OK);
    assert_string_equal(buf, "0");
}

/* ---- keys ---- */

static void test_keys_sign_verify_and_reject_tampering(void **s)
{
    (void)s;
    cw_seckey sk;
    cw_pubkey32 pk32;
    cw_pubkey pk;
    cw_sig64 sig;
    uint8_t msg[32];
    assert_int_equal(cw_key_generate(&sk, &pk32), CW_OK);
    const cw_pubkey32 generated = pk32;
    assert_int_equal(cw_pubkey_parse(&pk, &pk32), CW_OK);
    cw_tagged_hash(msg, CW_TAG_TX, "body", 4);
    assert_int_equal(cw_schnorr_sign(&sig, &sk, msg, NULL), CW_OK);
    assert_int_equal(cw_schnorr_verify(&pk, &sig, msg), CW_OK);
    for (int i = 0; i < 64; i++) { /* every byte of the signature matters */
        cw_sig64 bad = sig;
        bad.b[i] ^= 0x01;
        assert_int_equal(cw_schnorr_verify(&pk, &bad, msg), CW_EBADSIG);
    }
    msg[0] ^= 1;
    assert_int_equal(cw_schnorr_verify(&pk, &sig, msg), CW_EBADSIG);
    cw_seckey zero = {{0}};
    assert_int_equal(cw_key_public(&pk32, &zero), CW_EINVAL);
    assert_int_equal(cw_schnorr_sign(&sig, &zero, msg, NULL), CW_EINVAL);
    cw_sig64 zsig = {{0}};
    assert_memory_equal(sig.b, zsig.b, 64); /* zeroed on failure */
    /* a prepared signer: refuses the zero key (and is wiped), signs with fresh aux */
    cw_signer signer;
    memset(&signer, 0xee, sizeof signer);
    assert_int_equal(cw_signer_init(&signer, &zero), CW_EINVAL);
    cw_signer zsigner;
    memset(&zsigner, 0, sizeof zsigner);
    assert_memory_equal(&signer, &zsigner, sizeof signer);
    assert_int_equal(cw_signer_init(&signer, &sk), CW_OK);
    assert_memory_equal(signer.pk.b, generated.b, 32);
    assert_int_equal(cw_signer_sign(&sig, &signer, msg, NULL), CW_OK);
    assert_int_equal(cw_schnorr_verify(&pk, &sig, msg), CW_OK);
    /* a signer whose cached key no longer matches its keypair signs nothing */
    cw_signer drifted = signer;
    drifted.pk.b[31] ^= 1;
    assert_int_equal(cw_signer_sign(&sig, &drifted, msg, NULL), CW_EINVAL);
    assert_memory_equal(sig.b, zsig.b, 64);
    cw_signer_wipe(&drifted);
    cw_signer_wipe(&signer);
    assert_memory_equal(&signer, &zsigner, sizeof signer);
    /* and a wiped one is refused, not handed to libsecp256k1 */
    memset(&sig, 0xee, sizeof sig);
    assert_int_equal(cw_signer_sign(&sig, &signer, msg, NULL), CW_EINVAL);
    assert_memory_equal(sig.b, zsig.b, 64);
    cw_seckey_wipe(&sk);
    assert_memory_equal(sk.b, zero.b, 32);
}

static void test_address_is_sha256_prefix(void **s)
{
    (void)s;
    cw_pubkey32 pk;
    for (int i = 0; i < 32; i++)
        pk.b[i] = (uint8_t)i;
    cw_address a;
    cw_address_of(&a, &pk);
    hexeq(a.b, 20, "630dcd2966c4336691125448bbb25b4ff412a49c"); /* sha256(bytes(range(32)))[:20] */
}

static void test_keyfile_mode_0600_no_overwrite_and_tamper_detected(void **s)
{
    (void)s;
    char dir[] = "/tmp/cwkeyXXXXXX", path[64], e[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/k.json", dir);
    cw_seckey sk, back;
    cw_pubkey32 pk, pkb;
    assert_int_equal(cw_key_generate(&sk, &pk), CW_OK);
    assert_int_equal(cw_keyfile_write(path, &sk, e, sizeof e), CW_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(cw_keyfile_write(path, &sk, e, sizeof e), -EEXIST);
    assert_int_equal(cw_keyfile_read(path, &back, &pkb, e, sizeof e), CW_OK);
    assert_memory_equal(back.b, sk.b, 32);
    assert_memory_equal(pkb.b, pk.b, 32);

    /* Tamper: swap in another public key -> mismatch named. */
    char *text = cw_test_slurp(path, NULL);
    char *p = strstr(text, "\"public_key\": \"");
    assert_non_null(p);
    p += strlen("\"public_key\": \"");
    p[0] = p[0] == 'a' ? 'b' : 'a';
    unlink(path);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    free(text);
    assert_int_equal(cw_keyfile_read(path, &back, NULL, e, sizeof e), CW_EINVAL);
    assert_non_null(strstr(e, "public_key"));
    cw_seckey zero = {{0}};
    assert_memory_equal(back.b, zero.b, 32);

    unlink(path);
    f = fopen(path, "w");
    fputs("{\"type\":\"bip340\",\"public_key\":\"00\",\"secret_key\":\"zz\"}", f);
    fclose(f);
    assert_int_equal(cw_keyfile_read(path, &back, NULL, e, sizeof e), CW_EMALFORMED);
    assert_non_null(strstr(e, "secret_key"));
    unlink(path);
    assert_int_equal(cw_keyfile_read(path, &back, NULL, e, sizeof e), -ENOENT);
    assert_non_null(strstr(e, path));
    rmdir(dir);
    cw_seckey_wipe(&sk);
    cw_seckey_wipe(&back);
}

static void test_log_level_names(void **s)
{
    (void)s;
    assert_int_equal(cw_log_set_level("debug"), CW_OK);
    assert_int_equal(cw_log_threshold, CW_LOG_DEBUG);
    assert_int_equal(cw_log_set_level("loud"), CW_EINVAL);
    assert_int_equal(cw_log_threshold, CW_LOG_DEBUG);
    assert_int_equal(cw_log_set_level("info"), CW_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_names_every_code),
        cmocka_unit_test(test_errf_truncates_and_terminates),
        cmocka_unit_test(test_lmdb_error_maps_every_code_by_the_table),
        cmocka_unit_test(test_hex_round_trip_and_case),
        cmocka_unit_test(test_hex_rejects_odd_bad_char_and_overflow),
        cmocka_unit_test(test_identifier_rules_block_path_injection),
        cmocka_unit_test(test_sha256_known_answers),
        cmocka_unit_test(test_sha256_parts_equal_concatenation),
        cmocka_unit_test(test_tagged_hash_known_answers),
        cmocka_unit_test(test_muldiv_exact_over_256_bits),
        cmocka_unit_test(test_muldiv_rounding_direction),
        cmocka_unit_test(test_muldiv_overflow_and_zero_divisor_are_errors),
        cmocka_unit_test(test_muldiv_matches_exact_reference_on_random_inputs),
        cmocka_unit_test(test_decimal_parse_and_print),
        cmocka_unit_test(test_keys_sign_verify_and_reject_tampering),
        cmocka_unit_test(test_address_is_sha256_prefix),
        cmocka_unit_test(test_keyfile_mode_0600_no_overwrite_and_tamper_detected),
        cmocka_unit_test(test_log_level_names),
    };
    return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
