/* libFuzzer: decode + verify membership. The input is CommitmentProof bytes. To get past
 * the root comparison, each input is verified twice under each built-in spec: against a
 * fixed root, and against the root the proof itself computes (spec-less), with the proof's
 * own key and value — so the spec rules, not the root, decide. Batch variants go through
 * the batch verifier with the entries' own keys. Invariants: only documented codes, a
 * NUL-terminated non-empty message on failure, no crash, no leak, bounded memory. */
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

static const uint8_t k_root[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const cw_ics23_spec *specs[3] = {cw_ics23_spec_iavl(), cw_ics23_spec_tendermint(),
                                     cw_ics23_spec_smt()};
    char err[256];
    int rc;
    /* the public path with an unrelated root and key */
    for (int s = 0; s < 3; s++) {
        err[0] = 0;
        rc = cw_ics23_verify_membership(specs[s], k_root, data, size, (const uint8_t *)"k", 1,
                                        (const uint8_t *)"v", 1, err, sizeof err);
        check_rc(rc, err);
        assert(rc != CW_OK);
    }
    _Alignas(16) uint8_t stack[STACK_ARENA];
    struct arena a;
    pb_proof *p;
    arena_init(&a, stack, sizeof stack);
    if (decode_proof(&a, data, size, CW_ICS23_BATCH_PROOF_MAX, &p, err, sizeof err) != CW_OK)
        goto out;
    if (p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST) {
        exview v;
        exview_of(&v, p->exist);
        uint8_t root[MAX_DIGEST];
        size_t n;
        if (calc_root(&v, NULL, root, &n, NULL, "x", err, sizeof err) == CW_OK && n == 32)
            for (int s = 0; s < 3; s++) {
                err[0] = 0;
                rc = cw_ics23_verify_membership(specs[s], root, data, size, v.key.data,
                                                v.key.len, v.value.data, v.value.len, err,
                                                sizeof err);
                check_rc(rc, err);
            }
    } else if (p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_BATCH ||
               p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_COMPRESSED) {
        cw_ics23_item items[8];
        size_t ni = 0;
        bool comp = p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_COMPRESSED;
        size_t ne = comp ? p->compressed->n_entries : p->batch->n_entries;
        for (size_t i = 0; i < ne && ni < 8; i++) {
            const ProtobufCBinaryData *k = NULL, *val = NULL;
            if (comp && p->compressed->entries[i]->proof_case ==
                            CW__ICS23__COMPRESSED_BATCH_ENTRY__PROOF_EXIST) {
                k = &p->compressed->entries[i]->exist->key;
                val = &p->compressed->entries[i]->exist->value;
            } else if (!comp &&
                       p->batch->entries[i]->proof_case == CW__ICS23__BATCH_ENTRY__PROOF_EXIST) {
                k = &p->batch->entries[i]->exist->key;
                val = &p->batch->entries[i]->exist->value;
            }
            if (k)
                items[ni++] = (cw_ics23_item){k->data, k->len, val->data, val->len};
        }
        if (ni)
            for (int s = 0; s < 3; s++) {
                err[0] = 0;
                rc = cw_ics23_verify_batch_membership(specs[s], k_root, data, size, items, ni,
                                                      err, sizeof err);
                check_rc(rc, err);
            }
    }
out:
    arena_release(&a);
    return 0;
}
