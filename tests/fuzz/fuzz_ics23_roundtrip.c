/* libFuzzer, round trip of the decoder: decode -> re-encode with protobuf-c -> verify both.
 *
 * This is NOT a differential test of the verifier: both sides run our own code, so a wrong
 * verdict would be wrong identically on both and pass. (It was named fuzz_ics23_diff and
 * described as differential; it never was.) The independent check of verdicts is the ICS-23
 * oracle test, tests/oracle/ (our verifier against the Rust `ics23` crate, docs/DESIGN.md
 * §12).
 *
 * What it does check: decode_proof accepts canonical bytes only, so every input that decodes
 * must be exactly its own re-encoding; the re-encoding must decode too and re-encode to the
 * same bytes (pack is a fixpoint); and verification is a function of the decoded proof — the
 * same return code for the input and its re-encoding under every built-in spec, for
 * membership (own key/value, self-computed root) and non-membership (key just above the left
 * neighbour, self-computed root). */
#include "../../lightclient/ics23.c"

#include <assert.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int verify_any(const cw_ics23_spec *s, const pb_proof *p, const uint8_t *bytes,
                      size_t len)
{
    char err[256];
    uint8_t root[MAX_DIGEST];
    size_t n;
    exview v;
    if (p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST) {
        exview_of(&v, p->exist);
        if (calc_root(&v, NULL, root, &n, NULL, "x", err, sizeof err) != CW_OK || n != 32)
            return 1;
        return cw_ics23_verify_membership(s, root, bytes, len, v.key.data, v.key.len,
                                          v.value.data, v.value.len, err, sizeof err);
    }
    if (p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_NONEXIST) {
        const pb_exist *l = p->nonexist->left, *side = l ? l : p->nonexist->right;
        uint8_t key[CW_ICS23_KEY_MAX + 1];
        size_t kl = 1;
        key[0] = 0x42;
        if (!side)
            return 2;
        exview_of(&v, side);
        if (calc_root(&v, NULL, root, &n, NULL, "x", err, sizeof err) != CW_OK || n != 32)
            return 1;
        if (l && l->key.len < CW_ICS23_KEY_MAX) {
            if (l->key.len)
                memcpy(key, l->key.data, l->key.len);
            key[l->key.len] = 0;
            kl = l->key.len + 1;
        }
        return cw_ics23_verify_non_membership(s, root, bytes, len, key, kl, err, sizeof err);
    }
    return 3;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const cw_ics23_spec *specs[3] = {cw_ics23_spec_iavl(), cw_ics23_spec_tendermint(),
                                     cw_ics23_spec_smt()};
    char err[256];
    _Alignas(16) uint8_t stack[STACK_ARENA], stack2[STACK_ARENA];
    struct arena a, a2;
    pb_proof *p, *p2;
    uint8_t *enc = NULL, *enc2 = NULL;
    arena_init(&a, stack, sizeof stack);
    arena_init(&a2, stack2, sizeof stack2);
    if (decode_proof(&a, data, size, CW_ICS23_PROOF_MAX, &p, err, sizeof err) != CW_OK)
        goto out;
    size_t len = cw__ics23__commitment_proof__get_packed_size(p);
    enc = malloc(len ? len : 1);
    assert(enc);
    assert(cw__ics23__commitment_proof__pack(p, enc) == len);
    assert(len == size && memcmp(enc, data, size) == 0); /* canonical input only */
    int rc2 = decode_proof(&a2, enc, len, CW_ICS23_PROOF_MAX, &p2, err, sizeof err);
    if (len == 0) { /* an all-default message encodes to nothing: rejected as empty */
        assert(rc2 == CW_EINVAL);
        goto out;
    }
    assert(rc2 == CW_OK);
    enc2 = malloc(len);
    assert(enc2);
    assert(cw__ics23__commitment_proof__get_packed_size(p2) == len);
    assert(cw__ics23__commitment_proof__pack(p2, enc2) == len);
    assert(memcmp(enc, enc2, len) == 0);
    for (int s = 0; s < 3; s++) {
        int r1 = verify_any(specs[s], p, data, size);
        int r2 = verify_any(specs[s], p2, enc, len);
        assert(r1 == r2);
    }
out:
    free(enc);
    free(enc2);
    arena_release(&a);
    arena_release(&a2);
    return 0;
}
