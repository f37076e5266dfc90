/* ICS-23 verification benchmark (DESIGN §12): ns per verification beside its hash baseline.
 *
 * For every case, "verify" is one full public-API call (decode + every check + hashing);
 * "hash" is the baseline: the very same SHA-256 calls (cw_sha256_parts, same parts, same
 * bytes, same order — leaf prehashes, leaf, every inner op, and for SMT the queried key's comparison
 * prehash) made alone, with nothing decoded or checked. ratio = verify / hash.
 *
 * Cases: the 18 vectors of ../shared/vectors/ics23 (if present), and synthetic proofs with
 * the shape of trees holding 10^6 keys: SMT (256-bit paths, shortcut leaves at depth
 * ~log2(10^6)+1 = 21) and IAVL (AVL height 20, inner ops with height/size/version varints),
 * membership and non-membership (adjacent neighbours diverging at the bottom, as two
 * neighbours in a random 10^6-key tree do). Keys are IBC commitment paths, values 32 bytes.
 *
 * The floor: the SHA-256 compressions the proof needs (each hash call of the baseline is
 * ceil((bytes + 9) / 64) compressions) × one compression, measured here as the steady-state
 * cost per 64-byte block of one long cw_sha256 (so it excludes every per-call cost).
 * "x floor" = verify / floor. The reference: the Rust `ics23` crate (the oracle binary of
 * tests/oracle, `ics23-oracle --bench`) decoding and verifying the same proof bytes, timed
 * the same way in the same run; "rust/ours" = its time / ours. Target (issue 19): x floor
 * <= 1.3 and rust/ours >= 2. CW_ICS23_ORACLE names the oracle binary (default
 * $BUILD/oracle/release/ics23-oracle; skipped with a note when absent).
 *
 * Timing: 20 interleaved rounds of verify and hash per case, the fastest round of each kept
 * (interference on a shared machine only adds time).
 * Environment: CW_BENCH_MS (time per case, default 200), CW_BENCH_CASE (substring
 * filter), CW_BENCH_MODE=verify|hash (run only one side, for callgrind: see the note at the
 * end of the output). Exit 1 if any case fails to verify.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bench_util.h"
#include "causeway/hash.h"
#include "causeway/hex.h"
#include "causeway/ics23.h"
#include "ics23.pb-c.h"

typedef Cw__Ics23__ExistenceProof pb_exist;
typedef Cw__Ics23__InnerOp pb_inner;

/* ---- one hash call of the baseline ---------------------------------------------------- */

#define MAX_CALLS 600
typedef struct call {
    cw_bytes parts[5];
    size_t n;
} call;

typedef struct bcase {
    char name[64];
    const cw_ics23_spec *spec;
    uint8_t root[32];
    uint8_t *proof, *key, *value;
    size_t proof_len, key_len, value_len;
    call calls[MAX_CALLS];
    size_t n_calls;
    uint8_t *scratch; /* buffers the baseline's parts point into */
    double ns_verify, ns_hash, ns_rust;
    size_t compressions;
} bcase;

static uint8_t *xmalloc(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static size_t varint(uint8_t out[10], uint64_t v)
{
    size_t n = 0;
    do {
        out[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

/* ---- baseline: the hash calls verification makes, on the same bytes ------------------- */

typedef struct arena {
    uint8_t *p;
    size_t used, cap;
} arena;

static uint8_t *take(arena *a, size_t n)
{
    if (a->used + n > a->cap) {
        fprintf(stderr, "bench arena exhausted\n");
        exit(1);
    }
    uint8_t *r = a->p + a->used;
    a->used += n;
    return r;
}

static void add_call(bcase *c, const cw_bytes *parts, size_t n)
{
    if (c->n_calls == MAX_CALLS) {
        fprintf(stderr, "too many calls\n");
        exit(1);
    }
    call *k = &c->calls[c->n_calls++];
    memcpy(k->parts, parts, n * sizeof *parts);
    k->n = n;
}

/* Leaf + inner calls of one existence proof (SHA-256 specs only). */
static void collect_exist(bcase *c, arena *a, const pb_exist *e)
{
    const Cw__Ics23__LeafOp *l = e->leaf;
    cw_bytes k = {e->key.data, e->key.len}, v = {e->value.data, e->value.len};
    if (l->prehash_key == CW__ICS23__HASH_OP__SHA256) {
        add_call(c, &k, 1);
        uint8_t *h = take(a, 32);
        cw_sha256(h, k.p, k.len);
        k = (cw_bytes){h, 32};
    }
    if (l->prehash_value == CW__ICS23__HASH_OP__SHA256) {
        add_call(c, &v, 1);
        uint8_t *h = take(a, 32);
        cw_sha256(h, v.p, v.len);
        v = (cw_bytes){h, 32};
    }
    uint8_t *lk = take(a, 10), *lv = take(a, 10);
    size_t nlk = 0, nlv = 0;
    if (l->length == CW__ICS23__LENGTH_OP__VAR_PROTO) {
        nlk = varint(lk, k.len);
        nlv = varint(lv, v.len);
    }
    cw_bytes parts[5] = {{l->prefix.data, l->prefix.len}, {lk, nlk}, k, {lv, nlv}, v};
    add_call(c, parts, 5);
    uint8_t *child = take(a, 32);
    cw_sha256_parts(child, parts, 5);
    for (size_t i = 0; i < e->n_path; i++) {
        const pb_inner *op = e->path[i];
        cw_bytes ip[3] = {{op->prefix.data, op->prefix.len}, {child, 32},
                          {op->suffix.data, op->suffix.len}};
        add_call(c, ip, 3);
        uint8_t *next = take(a, 32);
        cw_sha256_parts(next, ip, 3);
        child = next;
    }
}

static void collect_calls(bcase *c, Cw__Ics23__CommitmentProof *p)
{
    arena a = {xmalloc(64 * 1024), 0, 64 * 1024};
    c->scratch = a.p;
    bool cmp_hash = c->spec->prehash_key_before_comparison;
    if (p->proof_case == CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST) {
        collect_exist(c, &a, p->exist);
        return;
    }
    Cw__Ics23__NonExistenceProof *n = p->nonexist;
    if (cmp_hash)
        add_call(c, &(cw_bytes){c->key, c->key_len}, 1);
    pb_exist *side[2] = {n->left, n->right};
    for (int s = 0; s < 2; s++) /* a neighbour's comparison key is its leaf's key prehash */
        if (side[s])
            collect_exist(c, &a, side[s]);
}

/* ---- timing ------------------------------------------------------------------------- */

static double now_ns(void) { return bench_wall_s() * 1e9; }

static volatile int g_sink;

/* Kept out of line so callgrind can --toggle-collect each side by name. */
__attribute__((noinline)) static int run_verify(const bcase *c, long iters)
{
    int bad = 0;
    for (long i = 0; i < iters; i++) {
        int rc = c->value_len
                     ? cw_ics23_verify_membership(c->spec, c->root, c->proof, c->proof_len,
                                                  c->key, c->key_len, c->value, c->value_len,
                                                  NULL, 0)
                     : cw_ics23_verify_non_membership(c->spec, c->root, c->proof, c->proof_len,
                                                      c->key, c->key_len, NULL, 0);
        bad |= rc != CW_OK;
    }
    return bad;
}

__attribute__((noinline)) static void run_hash(const bcase *c, long iters)
{
    uint8_t out[32];
    for (long i = 0; i < iters; i++)
        for (size_t k = 0; k < c->n_calls; k++) {
            cw_sha256_parts(out, c->calls[k].parts, c->calls[k].n);
            g_sink += out[0];
        }
}

/* Interleaved rounds of verify and hash, keeping the fastest round of each: on a shared
 * machine interference only ever adds time, so the minimum is the stable estimate. */
static void measure(bcase *c, double budget_ms)
{
    long iters = 4;
    for (;;) { /* calibrate one round to ~budget/40 */
        double t0 = now_ns();
        (void)run_verify(c, iters);
        if (now_ns() - t0 > budget_ms * 1e6 / 40 || iters > (1L << 24))
            break;
        iters *= 2;
    }
    double bv = 1e30, bh = 1e30;
    for (int r = 0; r < 20; r++) {
        double t0 = now_ns();
        (void)run_verify(c, iters);
        double t1 = now_ns();
        run_hash(c, iters);
        double t2 = now_ns();
        if ((t1 - t0) / (double)iters < bv)
            bv = (t1 - t0) / (double)iters;
        if ((t2 - t1) / (double)iters < bh)
            bh = (t2 - t1) / (double)iters;
    }
    c->ns_verify = bv;
    c->ns_hash = bh;
}

/* One SHA-256 compression: the steady-state ns per 64-byte block of a long cw_sha256 (the
 * fastest of 20 rounds), which leaves out every per-call cost (init, padding, final). */
static double block_ns(void)
{
    static uint8_t buf[1 << 16];
    uint8_t out[32];
    double best = 1e30;
    for (int r = 0; r < 20; r++) {
        double t0 = now_ns();
        for (int i = 0; i < 16; i++) {
            cw_sha256(out, buf, sizeof buf);
            g_sink += out[0];
        }
        double per = (now_ns() - t0) / (16.0 * (sizeof buf / 64));
        if (per < best)
            best = per;
    }
    return best;
}

static const char *spec_name(const cw_ics23_spec *s)
{
    return s == cw_ics23_spec_iavl() ? "iavl" : s == cw_ics23_spec_tendermint() ? "tendermint" : "smt";
}

static void hex_to(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", p[i]);
}

/* The Rust crate on the same proofs (ics23-oracle --bench): fills ns_rust, or returns false
 * (with the reason printed) when the oracle is absent or refuses a case. */
static bool run_rust(bcase *cases, const size_t *idx, size_t n, double budget_ms)
{
    const char *build = getenv("BUILD");
    char bin[512], cmd[1200];
    if (getenv("CW_ICS23_ORACLE"))
        snprintf(bin, sizeof bin, "%s", getenv("CW_ICS23_ORACLE"));
    else
        snprintf(bin, sizeof bin, "%s/oracle/release/ics23-oracle", build ? build : "build");
    FILE *probe = fopen(bin, "rb");
    if (!probe) {
        printf("rust ics23: %s not built (make oracle): reference column skipped\n", bin);
        return false;
    }
    fclose(probe);
    char tmp[] = "/tmp/cw-bench-ics23-XXXXXX";
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        printf("rust ics23: cannot write a temp file: reference column skipped\n");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const bcase *c = &cases[idx[i]];
        fprintf(f, "%s %c ", spec_name(c->spec), c->value_len ? 'm' : 'n');
        hex_to(f, c->root, 32);
        fputc(' ', f);
        hex_to(f, c->proof, c->proof_len);
        fputc(' ', f);
        hex_to(f, c->key, c->key_len);
        fputc(' ', f);
        if (c->value_len)
            hex_to(f, c->value, c->value_len);
        else
            fputc('-', f);
        fputc('\n', f);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' --bench %.0f < %s", bin, budget_ms, tmp);
    FILE *p = popen(cmd, "r");
    bool ok = p != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        char v = 0;
        double ns = 0;
        if (fscanf(p, " %c %lf", &v, &ns) != 2) {
            printf("rust ics23: short output\n");
            ok = false;
        } else if (v != '1') {
            printf("rust ics23: refuses %s (verdict %c)\n", cases[idx[i]].name, v);
            cases[idx[i]].ns_rust = 0;
        } else {
            cases[idx[i]].ns_rust = ns;
        }
    }
    if (p)
        pclose(p);
    remove(tmp);
    return ok;
}

/* ---- synthetic 10^6-key proofs -------------------------------------------------------- */

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static void rnd(uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_rng ^= g_rng << 13;
        g_rng ^= g_rng >> 7;
        g_rng ^= g_rng << 17;
        out[i] = (uint8_t)g_rng;
    }
}

enum style { IAVL, SMT };

static ProtobufCBinaryData dup3(const void *a, size_t na, const void *b, size_t nb,
                                const void *c, size_t nc)
{
    uint8_t *d = xmalloc(na + nb + nc);
    memcpy(d, a, na);
    if (nb)
        memcpy(d + na, b, nb);
    if (nc)
        memcpy(d + na + nb, c, nc);
    return (ProtobufCBinaryData){na + nb + nc, d};
}

/* IAVL inner op at `layer`: zigzag varints height, size, version + the child length byte. */
static pb_inner *mk_op(enum style s, size_t layer, bool child_left, const uint8_t sib[32])
{
    pb_inner *op = calloc(1, sizeof *op);
    if (!op)
        exit(1);
    cw__ics23__inner_op__init(op);
    op->hash = CW__ICS23__HASH_OP__SHA256;
    if (s == IAVL) {
        uint8_t hsv[32];
        size_t n = 0;
        n += varint(hsv + n, (uint64_t)layer * 2);                           /* height */
        n += varint(hsv + n, ((uint64_t)1 << (layer < 20 ? layer : 20)) * 2); /* size */
        n += varint(hsv + n, (uint64_t)(1000 + layer) * 2);                  /* version */
        hsv[n++] = 0x20;
        if (child_left) {
            op->prefix = dup3(hsv, n, NULL, 0, NULL, 0);
            op->suffix = dup3("\x20", 1, sib, 32, NULL, 0);
        } else {
            op->prefix = dup3(hsv, n, sib, 32, "\x20", 1);
        }
    } else if (child_left) {
        op->prefix = dup3("\x01", 1, NULL, 0, NULL, 0);
        op->suffix = dup3(sib, 32, NULL, 0, NULL, 0);
    } else {
        op->prefix = dup3("\x01", 1, sib, 32, NULL, 0);
    }
    return op;
}

static void op_apply(const pb_inner *op, uint8_t child[32])
{
    cw_bytes p[3] = {{op->prefix.data, op->prefix.len}, {child, 32}, {op->suffix.data, op->suffix.len}};
    cw_sha256_parts(child, p, 3);
}

static pb_exist *mk_leaf_proof(enum style s, const char *key, uint8_t hash_out[32])
{
    pb_exist *e = calloc(1, sizeof *e);
    Cw__Ics23__LeafOp *l = calloc(1, sizeof *l);
    uint8_t value[32];
    if (!e || !l)
        exit(1);
    cw__ics23__existence_proof__init(e);
    cw__ics23__leaf_op__init(l);
    rnd(value, 32);
    e->key = dup3(key, strlen(key), NULL, 0, NULL, 0);
    e->value = dup3(value, 32, NULL, 0, NULL, 0);
    l->hash = CW__ICS23__HASH_OP__SHA256;
    l->prehash_value = CW__ICS23__HASH_OP__SHA256;
    uint8_t hk[32], hv[32], lk[10], lv[10];
    cw_sha256(hv, value, 32);
    if (s == IAVL) {
        l->length = CW__ICS23__LENGTH_OP__VAR_PROTO;
        uint8_t pre[16] = {0x00, 0x02};
        size_t n = 2 + varint(pre + 2, 2000 * 2); /* height 0, size 1, version 2000 */
        l->prefix = dup3(pre, n, NULL, 0, NULL, 0);
        cw_bytes p[5] = {{pre, n}, {lk, varint(lk, strlen(key))}, {(const uint8_t *)key, strlen(key)},
                         {lv, varint(lv, 32)}, {hv, 32}};
        cw_sha256_parts(hash_out, p, 5);
    } else {
        l->prehash_key = CW__ICS23__HASH_OP__SHA256;
        l->prefix = dup3("\0", 1, NULL, 0, NULL, 0);
        cw_sha256(hk, key, strlen(key));
        cw_bytes p[3] = {{(const uint8_t *)"\0", 1}, {hk, 32}, {hv, 32}};
        cw_sha256_parts(hash_out, p, 3);
    }
    e->leaf = l;
    e->path = calloc(64, sizeof *e->path);
    if (!e->path)
        exit(1);
    return e;
}

static void push(pb_exist *e, pb_inner *op) { e->path[e->n_path++] = op; }

/* Three IBC commitment paths a < q < b in the spec's comparison order (SMT: by SHA-256). */
static void keys_sorted_for(enum style s, char a[80], char b[80], char q[80])
{
    char k[3][80];
    uint8_t h[3][32];
    int idx[3] = {0, 1, 2};
    for (int j = 0; j < 3; j++) {
        snprintf(k[j], 80, "commitments/ports/transfer/channels/channel-0/sequences/%d", j + 1);
        cw_sha256(h[j], k[j], strlen(k[j]));
    }
    for (int x = 0; x < 3; x++)
        for (int y = x + 1; y < 3; y++) {
            int cmp = s == SMT ? memcmp(h[idx[x]], h[idx[y]], 32) : strcmp(k[idx[x]], k[idx[y]]);
            if (cmp > 0) {
                int t = idx[x];
                idx[x] = idx[y];
                idx[y] = t;
            }
        }
    strcpy(a, k[idx[0]]);
    strcpy(q, k[idx[1]]);
    strcpy(b, k[idx[2]]);
}

#define DEPTH_1M 20 /* ~log2(10^6) */

static uint8_t *encode(Cw__Ics23__CommitmentProof *p, size_t *len)
{
    *len = cw__ics23__commitment_proof__get_packed_size(p);
    uint8_t *b = xmalloc(*len);
    cw__ics23__commitment_proof__pack(p, b);
    return b;
}

/* The random path of a 10^6-key tree above level `from` (to the root): random siblings,
 * each step's direction from key's hash bits; each op is pushed onto e (and onto e2 when
 * given: a shared upper path) and applied to node. Returns the path's depth. */
static size_t synth_path(enum style s, const char *key, size_t from, pb_exist *e, pb_exist *e2,
                         uint8_t node[32])
{
    uint8_t bits[32], sib[32];
    cw_sha256(bits, key, strlen(key));
    size_t depth = s == SMT ? DEPTH_1M + 1 : DEPTH_1M;
    for (size_t i = from; i < depth; i++) {
        rnd(sib, 32);
        bool left = !((bits[i / 8] >> (i % 8)) & 1);
        pb_inner *op = mk_op(s, i + 1, left, sib);
        push(e, op);
        if (e2)
            push(e2, op);
        op_apply(op, node);
    }
    return depth;
}

/* Membership: a leaf at depth DEPTH_1M+1 (SMT shortcut) or DEPTH_1M (IAVL), random siblings,
 * the path direction given by the key's hash bits. */
static void synth_exist(bcase *c, enum style s)
{
    char a[80], b[80], q[80];
    keys_sorted_for(s, a, b, q);
    uint8_t node[32];
    pb_exist *e = mk_leaf_proof(s, q, node);
    size_t depth = synth_path(s, q, 0, e, NULL, node);
    Cw__Ics23__CommitmentProof p = CW__ICS23__COMMITMENT_PROOF__INIT;
    p.proof_case = CW__ICS23__COMMITMENT_PROOF__PROOF_EXIST;
    p.exist = e;
    snprintf(c->name, sizeof c->name, "%s 10^6 keys exist (%zu ops)", s == SMT ? "smt" : "iavl", depth);
    c->spec = s == SMT ? cw_ics23_spec_smt() : cw_ics23_spec_iavl();
    memcpy(c->root, node, 32);
    c->proof = encode(&p, &c->proof_len);
    c->key = e->key.data;
    c->key_len = e->key.len;
    c->value = e->value.data;
    c->value_len = e->value.len;
}

/* Non-membership: neighbours a < q < b, adjacent leaves whose paths share the top
 * DEPTH_1M-1 ops and diverge in the bottom step. */
static void synth_nonexist(bcase *c, enum style s)
{
    char a[80], b[80], q[80];
    keys_sorted_for(s, a, b, q);
    uint8_t la[32], lb[32];
    pb_exist *ea = mk_leaf_proof(s, a, la), *eb = mk_leaf_proof(s, b, lb);
    /* bottom: the two leaves are siblings (SMT: shortcut leaves one level below) */
    pb_inner *opa = mk_op(s, 1, true, lb), *opb = mk_op(s, 1, false, la);
    push(ea, opa);
    push(eb, opb);
    uint8_t node[32];
    memcpy(node, la, 32);
    op_apply(opa, node);
    size_t depth = synth_path(s, a, 1, ea, eb, node); /* shared upper path */
    Cw__Ics23__NonExistenceProof n = CW__ICS23__NON_EXISTENCE_PROOF__INIT;
    n.left = ea;
    n.right = eb;
    Cw__Ics23__CommitmentProof p = CW__ICS23__COMMITMENT_PROOF__INIT;
    p.proof_case = CW__ICS23__COMMITMENT_PROOF__PROOF_NONEXIST;
    p.nonexist = &n;
    snprintf(c->name, sizeof c->name, "%s 10^6 keys nonexist (2x%zu ops)", s == SMT ? "smt" : "iavl",
             depth);
    c->spec = s == SMT ? cw_ics23_spec_smt() : cw_ics23_spec_iavl();
    memcpy(c->root, node, 32);
    c->proof = encode(&p, &c->proof_len);
    c->key = xmalloc(strlen(q));
    memcpy(c->key, q, strlen(q));
    c->key_len = strlen(q);
    c->value = NULL;
    c->value_len = 0;
}

/* ---- vectors ---------------------------------------------------------------------------- */

static uint8_t *hexfield(json_t *j, const char *f, size_t *len)
{
    const char *s = json_string_value(json_object_get(j, f));
    size_t n = s ? strlen(s) : 0;
    uint8_t *out = xmalloc(n / 2 + 1);
    if (!s || cw_hex_decode(out, n / 2 + 1, len, s, n, NULL, 0) != CW_OK) {
        fprintf(stderr, "bad vector field %s\n", f);
        exit(1);
    }
    return out;
}

static bool load_vector(bcase *c, const char *dir, const char *tree, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/vectors/ics23/testdata/%s/%s.json", dir, tree, name);
    json_t *j = json_load_file(path, 0, NULL);
    if (!j)
        return false;
    size_t rl;
    uint8_t *r = hexfield(j, "root", &rl);
    memcpy(c->root, r, 32);
    free(r);
    c->proof = hexfield(j, "proof", &c->proof_len);
    c->key = hexfield(j, "key", &c->key_len);
    c->value = hexfield(j, "value", &c->value_len);
    c->spec = cw_ics23_spec_by_name(tree);
    snprintf(c->name, sizeof c->name, "vector %s/%s", tree, name);
    json_decref(j);
    return true;
}

/* ---- main ------------------------------------------------------------------------------- */

int main(void)
{
    static bcase cases[32];
    size_t nc = 0;
    const char *shared = getenv("CW_SHARED");
    const char *filter = getenv("CW_BENCH_CASE");
    const char *mode = getenv("CW_BENCH_MODE");
    double budget = getenv("CW_BENCH_MS") ? atof(getenv("CW_BENCH_MS")) : 200.0;
    const char *trees[] = {"iavl", "tendermint", "smt"};
    const char *names[] = {"exist_left", "exist_middle", "exist_right",
                           "nonexist_left", "nonexist_middle", "nonexist_right"};
    bool have_vectors = true;
    for (int t = 0; t < 3; t++)
        for (int n = 0; n < 6; n++)
            if (!load_vector(&cases[nc], shared ? shared : "../shared", trees[t], names[n]))
                have_vectors = false;
            else
                nc++;
    if (!have_vectors)
        printf("WARNING: ICS-23 vectors not found under $CW_SHARED/vectors/ics23 — vector cases skipped\n");
    synth_exist(&cases[nc++], SMT);
    synth_nonexist(&cases[nc++], SMT);
    synth_exist(&cases[nc++], IAVL);
    synth_nonexist(&cases[nc++], IAVL);

    int status = 0;
    size_t done[64], nd = 0;
    for (size_t i = 0; i < nc; i++) {
        bcase *c = &cases[i];
        if (filter && !strstr(c->name, filter))
            continue;
        Cw__Ics23__CommitmentProof *p =
            cw__ics23__commitment_proof__unpack(NULL, c->proof_len, c->proof);
        if (!p) {
            printf("%-44s does not decode\n", c->name);
            status = 1;
            continue;
        }
        collect_calls(c, p);
        cw__ics23__commitment_proof__free_unpacked(p, NULL);
        c->compressions = 0;
        for (size_t k = 0; k < c->n_calls; k++) {
            size_t len = 0;
            for (size_t j = 0; j < c->calls[k].n; j++)
                len += c->calls[k].parts[j].len;
            c->compressions += (len + 9 + 63) / 64;
        }
        if (run_verify(c, 1) != 0) {
            char err[256];
            int rc = c->value_len ? cw_ics23_verify_membership(c->spec, c->root, c->proof, c->proof_len,
                                                               c->key, c->key_len, c->value, c->value_len,
                                                               err, sizeof err)
                                  : cw_ics23_verify_non_membership(c->spec, c->root, c->proof,
                                                                   c->proof_len, c->key, c->key_len,
                                                                   err, sizeof err);
            printf("%-44s FAILS TO VERIFY (%d): %s\n", c->name, rc, err);
            status = 1;
            continue;
        }
        if (mode && strcmp(mode, "verify") == 0) {
            (void)run_verify(c, 1000);
            continue;
        }
        if (mode && strcmp(mode, "hash") == 0) {
            run_hash(c, 1000);
            continue;
        }
        measure(c, budget);
        done[nd++] = i;
        free(c->scratch);
    }
    if (mode)
        return status;
    double blk = block_ns();
    bool rust = nd && run_rust(cases, done, nd, budget);
    double blk2 = block_ns();
    if (blk2 < blk)
        blk = blk2;
    printf("one SHA-256 compression: %.1f ns (steady state of a 64 KiB cw_sha256)\n", blk);
    printf("%-40s %5s %6s %5s %8s %9s %7s %8s %6s %9s %9s\n", "case", "bytes", "hashes", "compr",
           "floor ns", "verify ns", "x floor", "hash ns", "x floor", "rust ns", "rust/ours");
    double worst_floor = 0, worst_rust = 1e30;
    for (size_t k = 0; k < nd; k++) {
        bcase *c = &cases[done[k]];
        double floor = (double)c->compressions * blk;
        double xf = c->ns_verify / floor, xr = c->ns_rust / c->ns_verify;
        if (xf > worst_floor)
            worst_floor = xf;
        if (rust && c->ns_rust > 0 && xr < worst_rust)
            worst_rust = xr;
        printf("%-40s %5zu %6zu %5zu %8.0f %9.0f %6.2fx %8.0f %5.2fx", c->name, c->proof_len,
               c->n_calls, c->compressions, floor, c->ns_verify, xf, c->ns_hash, c->ns_hash / floor);
        if (rust && c->ns_rust > 0)
            printf(" %9.0f %8.2fx\n", c->ns_rust, xr);
        else
            printf(" %9s %9s\n", "-", "-");
    }
    printf("worst: verify %.2fx the compression floor (target <= 1.30x)", worst_floor);
    if (rust && worst_rust < 1e30)
        printf("; rust ics23 / ours at least %.2fx (target >= 2x)", worst_rust);
    printf(".\n\"hash ns\" = the same cw_sha256_parts calls on the same bytes, nothing decoded or "
           "checked.\ncallgrind: CW_BENCH_MODE=verify|hash valgrind --tool=callgrind "
           "--toggle-collect=run_verify|run_hash build/rel/bench/bench_ics23 "
           "(1000 iterations per case)\n");
    return status;
}
