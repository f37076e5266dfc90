/* Two in-process chains and a test relayer driving them through their public APIs: blocks
 * are produced on a shared deterministic clock, light blocks and proofs are read from one
 * node and submitted as txs to the other — the path a real relayer takes, minus the network.
 * Header-only (static functions) for the IBC tests; include after <cmocka.h>. */
#ifndef CAUSEWAY_IBC_HARNESS_H
#define CAUSEWAY_IBC_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../chain/chain.h"
#include "causeway/bank.h"
#include "causeway/ibc.h"
#include "causeway/keys.h"
#include "causeway/lightclient.h"
#include "causeway/msgs.h"
#include "causeway/rpc_results.h"
#include "causeway/tx.h"

#define H_BLOCK_NS 1000000000ull
static uint64_t h_clock = 1800000000000000000ull; /* shared by both chains */

enum { K_ALICE, K_BOB, K_RELAYER, K_ADMIN, K_ORACLE, K_N };
static const char *const h_key_names[K_N] = {"alice", "bob", "relayer", "admin", "oracle"};

typedef struct hchain {
    char home[64];
    char id[16];
    cw_node *node;
    cw_seckey sk[K_N];
    cw_pubkey32 pk[K_N];
    cw_address addr[K_N];
    uint64_t nonce[K_N];
} hchain;

static void h_rm_rf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fail_msg("rm -rf %s failed", dir);
}

static void h_init(hchain *c, const char *chain_id, const char *denoms, const char *market)
{
    char err[512];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", chain_id);
    snprintf(c->home, sizeof c->home, "/tmp/cwibcXXXXXX");
    if (!mkdtemp(c->home))
        fail_msg("mkdtemp");
    h_rm_rf(c->home);
    char den[64];
    snprintf(den, sizeof den, "%s", denoms);
    char *argv[] = {"init", "--home", c->home, "--chain-id", (char *)chain_id, "--validators",
                    "4", "--accounts", "alice,bob,relayer", "--denoms", den, "--amount",
                    "1000000000", market ? "--market" : NULL, (char *)market, NULL};
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int rc = cw_chain_cmd_init(market ? 15 : 13, argv);
    fclose(stdout);
    stdout = saved;
    assert_int_equal(rc, 0);
    assert_int_equal(cw_node_open(&c->node, c->home, err, sizeof err), CW_OK);
    for (int i = 0; i < K_N; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/keys/%s.json", c->home, h_key_names[i]);
        assert_int_equal(cw_keyfile_read(path, &c->sk[i], &c->pk[i], err, sizeof err), CW_OK);
        cw_address_of(&c->addr[i], &c->pk[i]);
    }
}

static void h_free(hchain *c)
{
    cw_node_close(c->node);
    h_rm_rf(c->home);
    for (int i = 0; i < K_N; i++)
        cw_seckey_wipe(&c->sk[i]);
}

static void h_block(hchain *c)
{
    char err[512];
    h_clock += H_BLOCK_NS;
    if (cw_node_produce_block(c->node, h_clock, err, sizeof err))
        fail_msg("%s: produce: %s", c->id, err);
}

static uint64_t h_height(hchain *c)
{
    cw_node_status st;
    cw_node_get_status(c->node, &st);
    return st.latest_height;
}

/* Submit one tx of msgs signed by key k with gas limit gas_limit (0: the clients' estimate,
 * cw_gas_estimate), produce a block; returns the tx's result code (0 = every msg succeeded)
 * and its log. Admission failures fail the test. */
static int h_tx_gas(hchain *c, int k, const cw_bytes *msgs, size_t n, uint64_t gas_limit,
                    char *log, size_t log_len)
{
    uint8_t *tx, hash[32];
    size_t len;
    char err[512];
    assert_int_equal(cw_tx_sign(&tx, &len, c->id, &c->sk[k], c->nonce[k], gas_limit, msgs, n,
                                "", err, sizeof err), CW_OK);
    int rc = cw_node_submit_tx(c->node, tx, len, hash, err, sizeof err);
    free(tx);
    if (rc)
        fail_msg("%s: admission: %s", c->id, err);
    c->nonce[k]++;
    h_block(c);
    cw_enc e;
    cw_enc_init(&e);
    assert_int_equal(cw_node_tx(c->node, hash, &e, err, sizeof err), CW_OK);
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), 1 << 24, err,
                                 sizeof err), CW_OK);
    cw_rpc_tx t;
    cw_rpc_tx_dec(&d, root, &t);
    assert_int_equal(d.rc, CW_OK);
    int code = (int)t.result.code;
    /* every tx here states the clients' estimate (cw_gas_estimate): it must leave room (at
     * most 80% used) for every kind of msg these flows send, or a client's tx fails out of
     * gas on a real chain */
    if (gas_limit == 0 && t.result.gas_used * 10 > t.result.gas_wanted * 8)
        fail_msg("%s: tx used %llu of its estimated %llu gas", c->id,
                 (unsigned long long)t.result.gas_used, (unsigned long long)t.result.gas_wanted);
    if (log)
        snprintf(log, log_len, "%.*s", (int)t.result.log.len, (const char *)t.result.log.p);
    cw_dec_close(&d);
    cw_enc_free(&e);
    return code;
}

/* ... with the estimate as its gas limit */
static int h_tx(hchain *c, int k, const cw_bytes *msgs, size_t n, char *log, size_t log_len)
{
    return h_tx_gas(c, k, msgs, n, 0, log, log_len);
}

/* An identifier into a contract struct's field. */
#define h_id(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

/* The ibc.create_client msg (into an initialised encoder e) for a client of the chain whose
 * latest header is hdr, with the default parameters and trusting_period_ns (0 = default). */
static cw_bytes h_msg_create_client(cw_enc *e, const cw_header *hdr, uint64_t trusting_period_ns)
{
    cw_msg_create_client mc;
    memset(&mc, 0, sizeof mc);
    strcpy(mc.client_type, CW_CLIENT_TYPE_BIP340);
    assert_int_equal(cw_lc_client_state_default(&mc.client_state, hdr->chain_id), CW_OK);
    mc.client_state.latest_height = hdr->height;
    if (trusting_period_ns)
        mc.client_state.trusting_period_ns = trusting_period_ns;
    cw_lc_consensus_state_of(&mc.consensus_state, hdr);
    cw_enc_init(e);
    cw_msg_create_client_enc(e, &mc);
    return (cw_bytes){cw_enc_data(e), cw_enc_len(e)};
}

static void h_light_block(hchain *c, uint64_t h, cw_light_block *lb)
{
    cw_enc e;
    char err[512];
    cw_enc_init(&e);
    assert_int_equal(cw_node_light_block(c->node, h, &e, err, sizeof err), CW_OK);
    assert_int_equal(cw_light_block_decode(lb, cw_enc_data(&e), cw_enc_len(&e), err, sizeof err),
                     CW_OK);
    cw_enc_free(&e);
}

/* Query key at height with proof; *val NULL when absent. Both malloc'd (caller frees). */
static void h_query(hchain *c, const char *key, uint64_t height, uint8_t **val, size_t *vlen,
                    uint8_t **proof, size_t *plen)
{
    cw_enc e;
    char err[512];
    cw_enc_init(&e);
    int rc = cw_node_query(c->node, (const uint8_t *)key, strlen(key), height, true, &e, err,
                           sizeof err);
    if (rc)
        fail_msg("%s: query %s: %s", c->id, key, err);
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), 1 << 20, err,
                                 sizeof err), CW_OK);
    const msgpack_object *f = cw_dec_array(&d, root, 3, "q");
    *val = NULL;
    *vlen = 0;
    if (f[0].type == MSGPACK_OBJECT_BIN) {
        *vlen = f[0].via.bin.size;
        *val = malloc(*vlen + 1);
        memcpy(*val, f[0].via.bin.ptr, *vlen);
    }
    *plen = f[1].via.bin.size;
    *proof = malloc(*plen + 1);
    memcpy(*proof, f[1].via.bin.ptr, *plen);
    cw_dec_close(&d);
    cw_enc_free(&e);
}

static void h_client_state(hchain *c, const char *client_id, cw_lc_client_state *cs)
{
    char key[CW_PATH_MAX];
    uint8_t *v, *p;
    size_t vl, pl;
    cw_path_client_state(key, client_id);
    h_query(c, key, 0, &v, &vl, &p, &pl);
    assert_non_null(v);
    assert_int_equal(cw_lc_client_state_decode(cs, v, vl, NULL, 0), CW_OK);
    free(v);
    free(p);
}

/* Create on `on` a client of `of` at of's latest height; returns the new id in id. */
static void h_create_client(hchain *on, hchain *of, char id[static 65], int *next_client)
{
    cw_light_block lb;
    h_light_block(of, h_height(of), &lb);
    cw_enc m;
    cw_bytes msg = h_msg_create_client(&m, &lb.signed_header.header, 0);
    char log[256];
    int rc = h_tx(on, K_RELAYER, &msg, 1, log, sizeof log);
    if (rc)
        fail_msg("create_client: %s", log);
    snprintf(id, 65, "client-%d", (*next_client)++);
    cw_enc_free(&m);
    cw_light_block_free(&lb);
}

/* The ibc.update_client msg (into m, initialised here) moving on's client of `of` from its
 * latest height to of's height `to`, with the trusted validator set; *n_sigs (NULL: not
 * wanted): the header's commit entries. */
static void h_msg_update_client(cw_enc *m, hchain *on, hchain *of, const char *client_id,
                                uint64_t to, uint32_t *n_sigs)
{
    cw_lc_client_state cs;
    h_client_state(on, client_id, &cs);
    cw_light_block target, trusted;
    h_light_block(of, to, &target);
    h_light_block(of, cs.latest_height, &trusted);
    cw_msg_update_client mu;
    memset(&mu, 0, sizeof mu);
    snprintf(mu.client_id, sizeof mu.client_id, "%s", client_id);
    mu.update.signed_header = target.signed_header;
    mu.update.validator_set = target.validator_set;
    mu.update.trusted_height = cs.latest_height;
    mu.update.has_trusted_validator_set = true;
    mu.update.trusted_validator_set = trusted.next_validator_set;
    cw_enc_init(m);
    cw_msg_update_client_enc(m, &mu);
    assert_int_equal(m->rc, CW_OK);
    if (n_sigs)
        *n_sigs = target.signed_header.commit.n_sigs;
    cw_light_block_free(&target);
    cw_light_block_free(&trusted);
}

/* Update `on`'s client of `of` to of's height `to` (0 = latest), adjacent or skipping from
 * the client's latest height. Returns the tx result code. */
static int h_update_client(hchain *on, hchain *of, const char *client_id, uint64_t to)
{
    cw_lc_client_state cs;
    h_client_state(on, client_id, &cs);
    if (to == 0)
        to = h_height(of);
    if (to <= cs.latest_height)
        return 0;
    cw_enc m;
    h_msg_update_client(&m, on, of, client_id, to, NULL);
    cw_bytes msg = {cw_enc_data(&m), cw_enc_len(&m)};
    char log[256];
    int rc = h_tx(on, K_RELAYER, &msg, 1, log, sizeof log);
    cw_enc_free(&m);
    return rc;
}

/* The packets (and acks) carried by events of `type` in block `height` of c. Each entry is a
 * malloc'd encoded Packet; acks (for write_acknowledgement) likewise. Returns the count. */
static int h_events(hchain *c, uint64_t height, const char *type, uint8_t **pkts, size_t *plens,
                    uint8_t **acks, size_t *alens, int max)
{
    cw_enc e;
    char err[512];
    int n = 0;
    cw_enc_init(&e);
    assert_int_equal(cw_node_block_results(c->node, height, 0, &e, err, sizeof err), CW_OK);
    cw_dec d;
    const msgpack_object *root;
    assert_int_equal(cw_dec_open(&d, &root, cw_enc_data(&e), cw_enc_len(&e), 1 << 26, err,
                                 sizeof err), CW_OK);
    cw_rpc_block_results br;
    cw_rpc_block_results_dec(&d, root, &br);
    assert_int_equal(d.rc, CW_OK);
    assert_int_equal(br.n, br.total); /* the harness's blocks fit in one page */
    for (uint32_t i = 0; i < br.n && d.rc == CW_OK; i++) {
        cw_rpc_block_tx bt;
        cw_rpc_block_tx_dec(&d, &br.items[i], &bt, "block_results.txs[]");
        if (d.rc)
            break;
        uint32_t nev;
        const msgpack_object *evs = cw_dec_list(&d, bt.result.events, 100000, &nev, "events");
        for (uint32_t j = 0; j < nev && d.rc == CW_OK; j++) {
            const msgpack_object *ev = cw_dec_array(&d, &evs[j], 2, "event");
            if (ev[0].via.str.size != strlen(type) ||
                memcmp(ev[0].via.str.ptr, type, strlen(type)) != 0)
                continue;
            uint32_t na;
            const msgpack_object *attrs = cw_dec_list(&d, &ev[1], 64, &na, "attrs");
            for (uint32_t k = 0; k < na && d.rc == CW_OK; k++) {
                const msgpack_object *kv = cw_dec_array(&d, &attrs[k], 2, "attr");
                const char *key = kv[0].via.str.ptr;
                size_t kl = kv[0].via.str.size;
                uint8_t **dst = NULL;
                size_t *dl = NULL;
                if (kl == 6 && memcmp(key, "packet", 6) == 0) {
                    dst = pkts;
                    dl = plens;
                } else if (kl == 3 && memcmp(key, "ack", 3) == 0 && acks) {
                    dst = acks;
                    dl = alens;
                }
                if (dst && n < max) {
                    dl[n] = kv[1].via.bin.size;
                    dst[n] = malloc(dl[n] + 1);
                    memcpy(dst[n], kv[1].via.bin.ptr, dl[n]);
                }
            }
            n++;
        }
    }
    assert_int_equal(d.rc, CW_OK);
    cw_dec_close(&d);
    cw_enc_free(&e);
    return n < max ? n : max;
}

/* Decode an encoded packet (data borrowed from buf). */
static void h_packet(const uint8_t *buf, size_t len, cw_packet *p, cw_dec *d)
{
    const msgpack_object *root;
    char err[256];
    assert_int_equal(cw_dec_open(d, &root, buf, len, 1 << 20, err, sizeof err), CW_OK);
    cw_packet_dec(d, root, p, "packet");
    assert_int_equal(d->rc, CW_OK);
}

/* ---- two chains, a path between them, and relaying ------------------------------- */

#include <stdarg.h>

/* ---- world ------------------------------------------------------------------------------ */

typedef struct world {
    hchain a, b;
    char client_a[65], client_b[65]; /* a's client of b, b's client of a */
    char chan_a[65], chan_b[65];
    int next_client_a, next_client_b, next_chan_a, next_chan_b;
} world;

/* A msg of an app module by hand (test.send; app msgs until they have a contract). The ibc.*
 * msgs are built with causeway/msgs.h. */
static inline void msg_simple(cw_enc *e, const char *type, int n, ...)
{
    va_list ap;
    cw_enc_init(e);
    cw_enc_array(e, 2);
    cw_enc_cstr(e, type);
    cw_enc_array(e, (uint32_t)n);
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        int kind = va_arg(ap, int);
        if (kind == 's')
            cw_enc_cstr(e, va_arg(ap, const char *));
        else if (kind == 'u')
            cw_enc_u64(e, va_arg(ap, uint64_t));
        else {
            const uint8_t *p = va_arg(ap, const uint8_t *);
            size_t len = va_arg(ap, size_t);
            cw_enc_bin(e, p, len);
        }
    }
    va_end(ap);
}

static inline int tx1_as(hchain *c, int k, cw_enc *m, char *log)
{
    cw_bytes b = {cw_enc_data(m), cw_enc_len(m)};
    int rc = h_tx(c, k, &b, 1, log, 256);
    cw_enc_free(m);
    return rc;
}

static int tx1(hchain *c, cw_enc *m, char *log)
{
    cw_bytes b = {cw_enc_data(m), cw_enc_len(m)};
    int rc = h_tx(c, K_RELAYER, &b, 1, log, 256);
    cw_enc_free(m);
    return rc;
}

/* Proof of key on src at its latest height, after making dst's client current. */
static uint64_t prove(hchain *src, hchain *dst, const char *client_on_dst, const char *key,
                      uint8_t **val, size_t *vlen, uint8_t **proof, size_t *plen)
{
    uint64_t h = h_height(src);
    assert_int_equal(h_update_client(dst, src, client_on_dst, h), 0);
    h_query(src, key, h, val, vlen, proof, plen);
    return h;
}

/* On src at height h: its client state of the counterparty (bytes + proof) and a proof of
 * the consensus state that client stores at its latest height. */
static void client_proofs(hchain *src, const char *client, uint64_t h, uint8_t **cv,
                          size_t *cvl, uint8_t **cp, size_t *cpl, uint8_t **xv, size_t *xvl,
                          uint8_t **xp, size_t *xpl)
{
    char key[CW_PATH_MAX];
    cw_lc_client_state cs;
    cw_path_client_state(key, client);
    h_query(src, key, h, cv, cvl, cp, cpl);
    assert_non_null(*cv);
    assert_int_equal(cw_lc_client_state_decode(&cs, *cv, *cvl, NULL, 0), CW_OK);
    cw_path_consensus_state(key, client, cs.latest_height);
    h_query(src, key, h, xv, xvl, xp, xpl);
    assert_non_null(*xv);
}

static inline cw_bytes h_bytes(const uint8_t *p, size_t len)
{
    return (cw_bytes){p, len};
}

/* ibc.chan_open_init of a channel between two ends of `port`. */
static void h_msg_open_init(cw_enc *m, const char *port, uint8_t ordering, const char *client,
                            const char *cp_client, const char *version)
{
    cw_msg_chan_open_init mi = {.ordering = ordering};
    h_id(mi.port, port);
    h_id(mi.counterparty_port, port);
    h_id(mi.client_id, client);
    h_id(mi.counterparty_client_id, cp_client);
    h_id(mi.version, version);
    cw_enc_init(m);
    cw_msg_chan_open_init_enc(m, &mi);
}

/* ibc.chan_open_try answering cp_channel's INIT on the counterparty's `port`; proofs at h:
 * of the INIT end, of the counterparty's client state cs (bytes) and of its consensus state.
 * The new end's version is `version`, the counterparty's `cp_version`. */
static void h_msg_open_try_v(cw_enc *m, const char *port, uint8_t ordering,
                             const char *cp_channel, const char *client, const char *cp_client,
                             const char *version, const char *cp_version, cw_bytes proof_init,
                             cw_bytes cs, cw_bytes proof_client, cw_bytes proof_consensus,
                             uint64_t h)
{
    cw_msg_chan_open_try mt = {.ordering = ordering, .proof_init = proof_init,
                               .counterparty_client_state = cs, .proof_client = proof_client,
                               .proof_consensus = proof_consensus, .proof_height = h};
    h_id(mt.port, port);
    h_id(mt.counterparty_port, port);
    h_id(mt.counterparty_channel, cp_channel);
    h_id(mt.client_id, client);
    h_id(mt.counterparty_client_id, cp_client);
    h_id(mt.version, version);
    h_id(mt.counterparty_version, cp_version);
    cw_enc_init(m);
    cw_msg_chan_open_try_enc(m, &mt);
}

/* ... both ends of one version */
static inline void h_msg_open_try(cw_enc *m, const char *port, uint8_t ordering, const char *cp_channel,
                           const char *client, const char *cp_client, const char *version,
                           cw_bytes proof_init, cw_bytes cs, cw_bytes proof_client,
                           cw_bytes proof_consensus, uint64_t h)
{
    h_msg_open_try_v(m, port, ordering, cp_channel, client, cp_client, version, version,
                     proof_init, cs, proof_client, proof_consensus, h);
}

/* ibc.chan_close_init */
static void h_msg_close_init(cw_enc *m, const char *port, const char *channel)
{
    cw_msg_chan_close_init mc;
    h_id(mc.port, port);
    h_id(mc.channel, channel);
    cw_enc_init(m);
    cw_msg_chan_close_init_enc(m, &mc);
}

/* The four handshake steps, one tx each, between w's clients: INIT and ACK on a (end
 * w->chan_a), TRY and CONFIRM on b (end w->chan_b); proofs at the source's latest height.
 * Each returns the tx's code (its log in log); an INIT or TRY names the next channel id and
 * advances the counter only when it succeeds (a refused tx writes nothing). */
static int h_chan_init(world *w, const char *port, const char *version, uint8_t ordering,
                       char *log)
{
    cw_enc m;
    snprintf(w->chan_a, 65, "channel-%d", w->next_chan_a);
    h_msg_open_init(&m, port, ordering, w->client_a, w->client_b, version);
    int rc = tx1(&w->a, &m, log);
    w->next_chan_a += rc == 0;
    return rc;
}

static int h_chan_try(world *w, const char *port, const char *version, const char *cp_version,
                      uint8_t ordering, char *log)
{
    char key[CW_PATH_MAX];
    cw_enc m;
    uint8_t *v, *p, *cv, *cp, *xv, *xp;
    size_t vl, pl, cvl, cpl, xvl, xpl;
    cw_path_channel_end(key, port, w->chan_a);
    uint64_t h = prove(&w->a, &w->b, w->client_b, key, &v, &vl, &p, &pl);
    client_proofs(&w->a, w->client_a, h, &cv, &cvl, &cp, &cpl, &xv, &xvl, &xp, &xpl);
    h_msg_open_try_v(&m, port, ordering, w->chan_a, w->client_b, w->client_a, version,
                     cp_version, h_bytes(p, pl), h_bytes(cv, cvl), h_bytes(cp, cpl),
                     h_bytes(xp, xpl), h);
    snprintf(w->chan_b, 65, "channel-%d", w->next_chan_b);
    int rc = tx1(&w->b, &m, log);
    w->next_chan_b += rc == 0;
    free(v), free(p), free(cv), free(cp), free(xv), free(xp);
    return rc;
}

static int h_chan_ack(world *w, const char *port, const char *cp_version, char *log)
{
    char key[CW_PATH_MAX];
    cw_enc m;
    uint8_t *v, *p, *cv, *cp, *xv, *xp;
    size_t vl, pl, cvl, cpl, xvl, xpl;
    cw_path_channel_end(key, port, w->chan_b);
    uint64_t h = prove(&w->b, &w->a, w->client_a, key, &v, &vl, &p, &pl);
    client_proofs(&w->b, w->client_b, h, &cv, &cvl, &cp, &cpl, &xv, &xvl, &xp, &xpl);
    cw_msg_chan_open_ack ma = {.proof_try = h_bytes(p, pl),
                               .counterparty_client_state = h_bytes(cv, cvl),
                               .proof_client = h_bytes(cp, cpl),
                               .proof_consensus = h_bytes(xp, xpl), .proof_height = h};
    h_id(ma.port, port);
    h_id(ma.channel, w->chan_a);
    h_id(ma.counterparty_channel, w->chan_b);
    h_id(ma.counterparty_version, cp_version);
    cw_enc_init(&m);
    cw_msg_chan_open_ack_enc(&m, &ma);
    int rc = tx1(&w->a, &m, log);
    free(v), free(p), free(cv), free(cp), free(xv), free(xp);
    return rc;
}

/* ... CONFIRM on b, or (closing) CLOSE_CONFIRM: either with a proof of a's end */
static int h_chan_confirm(world *w, const char *port, bool closing, char *log)
{
    char key[CW_PATH_MAX];
    cw_enc m;
    uint8_t *v, *p;
    size_t vl, pl;
    cw_path_channel_end(key, port, w->chan_a);
    uint64_t h = prove(&w->a, &w->b, w->client_b, key, &v, &vl, &p, &pl);
    cw_enc_init(&m);
    if (closing) {
        cw_msg_chan_close_confirm mc = {.proof_init = h_bytes(p, pl), .proof_height = h};
        h_id(mc.port, port);
        h_id(mc.channel, w->chan_b);
        cw_msg_chan_close_confirm_enc(&m, &mc);
    } else {
        cw_msg_chan_open_confirm mc = {.proof_ack = h_bytes(p, pl), .proof_height = h};
        h_id(mc.port, port);
        h_id(mc.channel, w->chan_b);
        cw_msg_chan_open_confirm_enc(&m, &mc);
    }
    int rc = tx1(&w->b, &m, log);
    free(v), free(p);
    return rc;
}

static void h_open_channel(world *w, const char *port, const char *version, uint8_t ordering)
{
    char log[256];
    if (h_chan_init(w, port, version, ordering, log))
        fail_msg("open_init: %s", log);
    if (h_chan_try(w, port, version, version, ordering, log))
        fail_msg("open_try: %s", log);
    if (h_chan_ack(w, port, version, log))
        fail_msg("open_ack: %s", log);
    if (h_chan_confirm(w, port, false, log))
        fail_msg("open_confirm: %s", log);
}

/* Two chains with clients of each other and one open channel of (port, version, ordering):
 * a holds denom_a, b holds denom_b and, when market_b is not NULL, a lending market of it. */
static inline void h_world_open(world *w, const char *denom_a, const char *denom_b,
                                const char *market_b, const char *port, const char *version,
                                uint8_t ordering)
{
    memset(w, 0, sizeof *w);
    h_init(&w->a, "alpha", denom_a, NULL);
    h_init(&w->b, "beta", denom_b, market_b);
    h_block(&w->a);
    h_block(&w->b);
    h_create_client(&w->a, &w->b, w->client_a, &w->next_client_a);
    h_create_client(&w->b, &w->a, w->client_b, &w->next_client_b);
    h_open_channel(w, port, version, ordering);
}

static inline void h_world_close(world *w)
{
    h_free(&w->a);
    h_free(&w->b);
}

/* a be64 value (balances, supply, escrow; absent = 0) at c's latest height */
static inline uint64_t h_be64_at(hchain *c, const char *key)
{
    uint8_t *v, *p;
    size_t vl, pl;
    uint64_t x;
    h_query(c, key, 0, &v, &vl, &p, &pl);
    assert_int_equal(cw_val_be64_dec(&x, v, vl, NULL, 0), CW_OK);
    free(v);
    free(p);
    return x;
}

static inline uint64_t h_balance(hchain *c, const cw_address *who, const char *denom)
{
    char key[CW_KEY_MAX];
    assert_int_equal(cw_key_bank_balance(key, who, denom), CW_OK);
    return h_be64_at(c, key);
}

/* the one packet sent in c's latest block (malloc'd encoded Packet) */
static inline uint8_t *h_last_packet(hchain *c, size_t *len)
{
    uint8_t *pk[4];
    size_t pl[4];
    int n = h_events(c, h_height(c), "send_packet", pk, pl, NULL, NULL, 4);
    assert_int_equal(n, 1);
    *len = pl[0];
    return pk[0];
}

/* relay a packet's recv to dst; returns the tx code; proof at src's latest height */
static int relay_recv(hchain *src, hchain *dst, const char *client_on_dst,
                      const uint8_t *pkt, size_t pkt_len, char *log)
{
    cw_dec d;
    cw_packet p;
    h_packet(pkt, pkt_len, &p, &d);
    char key[CW_PATH_MAX];
    uint8_t *v, *pr;
    size_t vl, pl;
    cw_path_packet(key, CW_PATH_COMMITMENTS, p.source_port, p.source_channel, p.sequence);
    uint64_t h = prove(src, dst, client_on_dst, key, &v, &vl, &pr, &pl);
    cw_msg_recv_packet mr = {.packet = p, .proof_commitment = h_bytes(pr, pl),
                             .proof_height = h};
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_recv_packet_enc(&m, &mr);
    int rc = tx1(dst, &m, log);
    free(v);
    free(pr);
    cw_dec_close(&d);
    return rc;
}

/* the ack written on dst for the last recv there (from its write_acknowledgement event) */
static uint8_t *last_ack(hchain *dst, size_t *len)
{
    uint8_t *pk[4], *ak[4];
    size_t pl[4], al[4];
    int n = h_events(dst, h_height(dst), "write_acknowledgement", pk, pl, ak, al, 4);
    assert_int_equal(n, 1);
    free(pk[0]);
    *len = al[0];
    return ak[0];
}

static int relay_ack(hchain *src, hchain *dst, const char *client_on_src, const uint8_t *pkt,
                     size_t pkt_len, const uint8_t *ack, size_t ack_len, char *log)
{
    cw_dec d;
    cw_packet p;
    h_packet(pkt, pkt_len, &p, &d);
    char key[CW_PATH_MAX];
    uint8_t *v, *pr;
    size_t vl, pl;
    cw_path_packet(key, CW_PATH_ACKS, p.dest_port, p.dest_channel, p.sequence);
    uint64_t h = prove(dst, src, client_on_src, key, &v, &vl, &pr, &pl);
    cw_msg_acknowledgement ma = {.packet = p, .ack = h_bytes(ack, ack_len),
                                 .proof_acked = h_bytes(pr, pl), .proof_height = h};
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_acknowledgement_enc(&m, &ma);
    int rc = tx1(src, &m, log);
    free(v);
    free(pr);
    cw_dec_close(&d);
    return rc;
}

/* timeout on src with a receipt (non-)membership proof from dst at dst height `at`
 * (0 = latest, after updating src's client there) */
static int relay_timeout(hchain *src, hchain *dst, const char *client_on_src,
                         const uint8_t *pkt, size_t pkt_len, uint64_t at, char *log)
{
    cw_dec d;
    cw_packet p;
    h_packet(pkt, pkt_len, &p, &d);
    char key[CW_PATH_MAX];
    uint8_t *v, *pr;
    size_t vl, pl;
    cw_path_packet(key, CW_PATH_RECEIPTS, p.dest_port, p.dest_channel, p.sequence);
    uint64_t h;
    if (at == 0) {
        h = prove(dst, src, client_on_src, key, &v, &vl, &pr, &pl);
    } else {
        h = at;
        h_query(dst, key, h, &v, &vl, &pr, &pl);
    }
    cw_msg_timeout mt = {.packet = p, .proof_unreceived = h_bytes(pr, pl), .proof_height = h};
    cw_enc m;
    cw_enc_init(&m);
    cw_msg_timeout_enc(&m, &mt);
    int rc = tx1(src, &m, log);
    free(v);
    free(pr);
    cw_dec_close(&d);
    return rc;
}

#endif
