/* libFuzzer: decode + verify non-membership. The input is CommitmentProof bytes. Each
 * nonexist proof is verified under each built-in spec against the root its left (else
 * right) neighbour computes, for query keys just above the left key, just below the right
 * key, and the proof's own (ignored) key field, so the neighbour and ordering rules are
 * what decides. Batch variants go through the batch verifier. Invariants as in
 * fuzz_ics23_exist, plus: a key equal to a neighbour's key never verifies. */
#include "../../lightclient/ics23.c"

#include <assert.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rc(int rc, const char *err)
{
    assert(rc == CW_OK || rc == CW_EBADPROOF || rc == CW_EMALFORMED || rc == CW_ETOOBIG ||
           rc == CW_EINVAL || rc == CW_EUNSUPPORTED);
    if (rc != CW_OK)
        assert(err[0] != '\0' && strlen(err) < 256);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const cw_ics23_spec *specs[3] = {cw_ics23_spec_iavl(), cw_ics23_spec_tendermint(),
                                     cw_ics23_spec_smt()};
    char err[256];
    int rc;
    _Alignas(16) uint8_t stack[STACK_ARENA];
    struct arena a;
    pb_proof *p;
    arena_init(&a, stack, sizeof stack);
    if (decode_proof(&a, data, size, CW_ICS23_BATCH_PROOF_MAX, &p, err, sizeof err) != CW_OK)
        goto out;
    if (p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_NONEXIST) {
        const pb_exist *side = p->nonexist->left ? p->nonexist->left : p->nonexist->right;
        uint8_t root[MAX_DIGEST], keys[3][CW_ICS23_KEY_MAX + 1];
        size_t n, klen[3] = {0, 0, 0};
        exview v;
        if (!side)
            goto plain;
        exview_of(&v, side);
        if (calc_root(&v, NULL, root, &n, NULL, "x", err, sizeof err) != CW_OK || n != 32)
            goto plain;
        const pb_exist *l = p->nonexist->left, *r = p->nonexist->right;
        if (l && l->key.len && l->key.len < CW_ICS23_KEY_MAX) { /* successor of left */
            memcpy(keys[0], l->key.data, l->key.len);
            keys[0][l->key.len] = 0;
            klen[0] = l->key.len + 1;
        }
        if (r && r->key.len && r->key.len <= CW_ICS23_KEY_MAX) { /* just below right */
            memcpy(keys[1], r->key.data, r->key.len);
            klen[1] = r->key.len;
            if (keys[1][klen[1] - 1] > 0)
                keys[1][klen[1] - 1]--;
            else
                klen[1]--;
        }
        if (p->nonexist->key.len && p->nonexist->key.len <= CW_ICS23_KEY_MAX) {
            memcpy(keys[2], p->nonexist->key.data, p->nonexist->key.len);
            klen[2] = p->nonexist->key.len;
        }
        for (int s = 0; s < 3; s++) {
            for (int k = 0; k < 3; k++) {
                if (!klen[k])
                    continue;
                err[0] = 0;
                rc = cw_ics23_verify_non_membership(specs[s], root, data, size, keys[k],
                                                    klen[k], err, sizeof err);
                check_rc(rc, err);
            }
            const pb_exist *nb[2] = {l, r};
            for (int k = 0; k < 2; k++)
                if (nb[k] && nb[k]->key.len && nb[k]->key.len <= CW_ICS23_KEY_MAX) {
                    rc = cw_ics23_verify_non_membership(specs[s], root, data, size,
                                                        nb[k]->key.data, nb[k]->key.len, err,
                                                        sizeof err);
                    check_rc(rc, err);
                    assert(rc != CW_OK); /* a neighbour's own key is present */
                }
        }
    } else if (p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_COMPRESSED ||
               p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_BATCH) {
        cw_ics23_item it = {(const uint8_t *)"\x80", 1, NULL, 0};
        for (int s = 0; s < 3; s++) {
            err[0] = 0;
            static const uint8_t root1[32] = {1};
            rc = cw_ics23_verify_batch_non_membership(specs[s], root1, data, size, &it, 1, err,
                                                      sizeof err);
            check_rc(rc, err);
        }
    }
plain:
    for (int s = 0; s < 3; s++) {
        static const uint8_t root2[32] = {7};
        err[0] = 0;
        rc = cw_ics23_verify_non_membership(specs[s], root2, data, size, (const uint8_t *)"k", 1,
                                            err, sizeof err);
        check_rc(rc, err);
        assert(rc != CW_OK);
    }
out:
    arena_release(&a);
    return 0;
}
