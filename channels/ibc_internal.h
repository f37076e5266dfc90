/* Private to channels/ibc_*.c. */
#ifndef CAUSEWAY_IBC_INTERNAL_H
#define CAUSEWAY_IBC_INTERNAL_H

#include "causeway/ibc.h"
#include "causeway/keys.h" /* cw_val_be64_*: the nextSequence* and counter values */
#include "causeway/msgs.h"

#define IBC_MAX_APPS 8

struct cw_ibc {
    cw_pubkey32 admin;
    cw_lc_vcache *vcache;
    cw_ibc_app apps[IBC_MAX_APPS];
    size_t n_apps;
    cw_ibc_self_consensus_fn self_consensus;
    void *self_consensus_user;
};

static inline cw_lc_vcache *ibc_vcache(cw_ibc *h) { return h->vcache; }
static inline const cw_pubkey32 *ibc_admin(cw_ibc *h) { return &h->admin; }

/** The app bound to port (exact match), or NULL. */
const cw_ibc_app *ibc_app_of(const cw_ibc *h, const char *port);

/** Read counter key (be64, absent = 0) into *out and store *out + 1. */
int ibc_next_id(const cw_kv *kv, const char *counter, uint64_t *out);

/** Load an existing client state and set up its consensus-state store. */
int ibc_client_load(const cw_exec_ctx *ctx, const char *client_id, cw_lc_client_state *cs,
                    cw_ibc_client_store *st, char *err, size_t err_len);

/** Store a client state; emit a client event (type, client id, height). */
int ibc_client_save(const cw_kv *kv, const char *client_id, const cw_lc_client_state *cs);
void ibc_client_event(cw_exec_ctx *ctx, const char *type, const char *client_id,
                      uint64_t height);
/** CW_OK when client_id's type is `type`, else CW_EINVAL naming both (err). */
int ibc_client_require_type(const cw_exec_ctx *ctx, const char *client_id, const char *type,
                            char *err, size_t err_len);
/** The 07-tendermint client msgs (channels/ibc_client_tm.c). */
int ibc_register_client_tm_msgs(cw_ibc *h, cw_app *app);
/** The 07-tendermint proof check (cw_ibc_client_verify_path's second branch). */
int ibc_tm_verify_path(const cw_lc_client_state *cs, const cw_lc_store *st,
                       uint64_t proof_height, uint64_t now_ns, const uint8_t *proof,
                       size_t proof_len, const char *path, const uint8_t *value,
                       size_t value_len, char *err, size_t err_len);

/** Verify a (non-)membership proof of the counterparty's state through client_id at
 *  proof_height, with the client Active at the block time. value NULL = non-membership. */
int ibc_verify(const cw_exec_ctx *ctx, const char *client_id, uint64_t proof_height,
               cw_bytes proof, const char *path, const uint8_t *value, size_t value_len,
               char *err, size_t err_len);

/** be64 helpers over kv for sequences. */
int ibc_get_seq(const cw_kv *kv, const char *path, uint64_t *out);
int ibc_set_seq(const cw_kv *kv, const char *path, uint64_t v);

/** The counterparty's end as it must be when ours (local, at port/channel) is as given:
 *  the counterparty names us (port, channel), its client is our counterparty client and
 *  its counterparty client is our client. */
void ibc_mirror_end(cw_channel_end *out, const cw_channel_end *local, const char *port,
                    const char *channel, uint8_t state, const char *version);

/* Verify that the counterparty holds exactly `expect` at its channel-end path
 * (channelEnds/ports/{local's counterparty port}/channels/{cp_channel}) at proof_height,
 * through local's client. Returns: CW_OK; ibc_verify's codes; -ENOMEM. */
int ibc_verify_counterparty_end(const cw_exec_ctx *ctx, const cw_channel_end *local,
                                const char *cp_channel, const cw_channel_end *expect,
                                cw_bytes proof, uint64_t proof_height, char *err,
                                size_t err_len);
int ibc_channel_store(const cw_kv *kv, const char *port, const char *channel,
                      const cw_channel_end *ce);
int ibc_channel_load(const cw_exec_ctx *ctx, const char *port, const char *channel,
                     cw_channel_end *ce, char *err, size_t err_len);

int ibc_register_client_msgs(cw_ibc *h, cw_app *app);
int ibc_register_channel_msgs(cw_ibc *h, cw_app *app);
int ibc_register_packet_msgs(cw_ibc *h, cw_app *app);

#endif
