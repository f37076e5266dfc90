/* Causeway — gas: what executing a transaction may cost (DESIGN §5 "Gas").
 *
 * Every tx states a gas limit inside its signed body (causeway/tx.h); the chain meters what
 * the tx's execution does against it and a tx that would go over fails without its writes
 * (its nonce is still consumed, as for any failed tx). A block holds txs whose gas used adds
 * up to at most the chain's block gas limit (config `max_block_gas`): each runs with at most
 * the gas the block has left (a tx that needs more than that waits whole for the next
 * block), so the work of one block is bounded whoever sends what. The model follows the Cosmos SDK's (a flat and a
 * per-byte cost for each store read and write, a cost per signature check, per tx byte), in
 * units priced so that no kind of tx takes more than about 10 ns of CPU per gas on the
 * reference machine (release build); most take less — the prices err on the side of bounding
 * a block's time (`make bench` prints the measured figures).
 *
 * The costs, in gas:
 *   per tx        CW_GAS_SIG + 2 hashes of the tx + CW_GAS_TX_BYTE per envelope byte
 *                 (decoding, the admission signature check, the block's copy) — the
 *                 intrinsic gas, charged before any msg runs; a tx whose limit is below it
 *                 is refused at admission
 *   per msg       CW_GAS_MSG (routing and decoding its body)
 *   store read    CW_GAS_READ_FLAT + CW_GAS_READ_BYTE per byte of key and value
 *   store write   CW_GAS_WRITE_FLAT + CW_GAS_WRITE_BYTE per byte of key and value
 *   store delete  CW_GAS_WRITE_FLAT + CW_GAS_WRITE_BYTE per byte of key
 *   signature     CW_GAS_SIG per BIP-340 check (light-client commits: charged for every
 *                 commit entry before verifying, the unchecked ones refunded after)
 *   hash          CW_GAS_HASH_FLAT + CW_GAS_HASH_BYTE per byte hashed (headers, validator
 *                 sets, ICS-23 proofs: cw_gas_proof)
 *   validator     CW_GAS_VALIDATOR per entry of a validator set a header carries: its key is
 *                 lifted (x-only point decompression) and the set validated and hashed when
 *                 the light client's set cache has not seen it — charged whatever the cache
 *                 holds, so that the charge is the same on every node (a header the light
 *                 client settles as a no-op — its state already stored — is refunded its
 *                 signatures, hashes and validators: none of that work is done)
 *
 * Thread safety: a meter is used by one thread at a time; the functions are otherwise pure.
 */
#ifndef CAUSEWAY_GAS_H
#define CAUSEWAY_GAS_H

#include <stddef.h>
#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/kv.h"

#define CW_GAS_TX_BYTE 4u
#define CW_GAS_MSG 1000u
#define CW_GAS_SIG 5000u
#define CW_GAS_HASH_FLAT 30u
#define CW_GAS_HASH_BYTE 1u
#define CW_GAS_VALIDATOR 750u
#define CW_GAS_READ_FLAT 100u
#define CW_GAS_READ_BYTE 1u
#define CW_GAS_WRITE_FLAT 1000u
#define CW_GAS_WRITE_BYTE 10u

/** The default block gas limit (config `max_block_gas`): about 0.5 s of execution. */
#define CW_GAS_BLOCK_DEFAULT 50000000u
/** The largest gas limit a tx may state (a sanity bound on the field, far above any block's). */
#define CW_GAS_TX_MAX (UINT64_C(1) << 40)

/** A gas meter: `used` never exceeds `limit`; a charge that would is refused whole. */
typedef struct cw_gas_meter {
    uint64_t limit;
    uint64_t used;
    const char *failed; /* static text naming the charge that ran out, NULL while none has */
    uint64_t failed_need; /* what that charge asked for */
} cw_gas_meter;

/** A meter with `limit` gas and nothing used. */
void cw_gas_meter_init(cw_gas_meter *m, uint64_t limit) CW_NONNULL(1);

/** Charge `amount` gas for `what` (static text, e.g. "store write").
 *  Returns: CW_OK; CW_EOUTOFGAS the charge would take used past limit — nothing is charged,
 *           the meter remembers `what` (cw_gas_explain) and every later charge fails too, so
 *           no work continues once a tx has run out. */
int cw_gas_charge(cw_gas_meter *m, uint64_t amount, const char *what) CW_NONNULL(1, 3)
    CW_WARN_UNUSED;

/** Give back `amount` gas charged in advance for work that was not done (at most what is
 *  used). */
void cw_gas_refund(cw_gas_meter *m, uint64_t amount) CW_NONNULL(1);

/** One line for a meter that ran out: "out of gas: <what> needs N, M of limit L used".
 *  Returns CW_EOUTOFGAS (for `return cw_gas_explain(...)`). */
int cw_gas_explain(const cw_gas_meter *m, char *err, size_t err_len) CW_NONNULL(1);

/** Cost of hashing `bytes` bytes once. */
uint64_t cw_gas_hash(size_t bytes);

/** Intrinsic gas of an envelope of tx_len bytes carrying n_msgs msgs (see the table above). */
uint64_t cw_gas_tx_intrinsic(size_t tx_len, uint32_t n_msgs);

/** Upper bound of the hashing an ICS-23 proof of proof_len bytes costs to verify against
 *  value_len bytes of value with the SMT spec: each inner op takes at least 33 bytes of the
 *  proof (a one-byte prefix and a 32-byte sibling), so at most proof_len / 33 inner ops, each
 *  hashing its bytes and a 32-byte child, plus the leaf and value hashes of up to two
 *  existence proofs (non-membership). Charged before the proof is verified. */
uint64_t cw_gas_proof(size_t proof_len, size_t value_len);

/** What a client states as the gas limit of a tx of tx_len bytes (or its estimate: the size
 *  the signed envelope will have, ±100 bytes) carrying msgs (each an encoded Msg
 *  [type, body], as for cw_tx_sign): the intrinsic gas plus, per msg, an allowance for its
 *  type covering what that msg's handler charges (verified in the tests against the gas each
 *  kind of msg uses), capped at block_gas (the chain's max_block_gas; 0 = the default).
 *  Pure; never fails (an unreadable msg gets the largest allowance). */
uint64_t cw_gas_estimate(const cw_bytes *msgs, size_t n_msgs, size_t tx_len, uint64_t block_gas);

/* ---- a metered store ----------------------------------------------------------------------- */

/** A cw_kv that charges meter for each read, write and delete (costs above) and passes it on
 *  to parent; a charge that fails makes the operation fail with CW_EOUTOFGAS before it
 *  reaches parent. A read charges for the value only when the key is present. */
typedef struct cw_gas_kv {
    const cw_kv *parent;
    cw_gas_meter *meter;
} cw_gas_kv;

/** The cw_kv view of g (parent and meter borrowed: they must outlive the view). */
cw_kv cw_gas_kv_view(cw_gas_kv *g) CW_NONNULL(1);

#endif
