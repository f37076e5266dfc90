/* Causeway — the bank module: balances per (address, denom), u64 base units (DESIGN §4–§5).
 *
 * State (under the `bank/` prefix, values 8-byte big-endian u64):
 *   bank/balances/{address hex}/{denom}   an account's balance (absent = 0; 0 is deleted)
 *   bank/supply/{denom}                   total minted minus burned
 * (built by cw_key_bank_balance / cw_key_bank_supply, causeway/keys.h)
 * Every function validates its arguments, checks all arithmetic (CW_EOVERFLOW, never a
 * wrap), and on any failure changes no state. Module accounts (escrows) are ordinary
 * addresses derived from a name with cw_module_address, so no key can sign for them.
 * Thread safety: as the cw_kv passed in.
 */
#ifndef CAUSEWAY_BANK_H
#define CAUSEWAY_BANK_H

#include <stdint.h>

#include "causeway/codec.h"
#include "causeway/kv.h"
#include "causeway/schnorr.h"

/** Read a balance. Returns: CW_OK (absent → 0); CW_EINVAL bad denom; CW_EMALFORMED stored
 *  value is not 8 bytes (corrupt state); a store error. */
int cw_bank_balance(const cw_kv *kv, uint64_t *out, const cw_address *addr, const char *denom)
    CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** Move amount (> 0) of denom from → to.
 *  Returns: CW_OK; CW_EINVAL zero amount or bad denom; CW_EINSUFFICIENT balance too small;
 *  CW_EOVERFLOW the recipient's balance would exceed 2^64-1; a store error. err names it. */
int cw_bank_send(const cw_kv *kv, const cw_address *from, const cw_address *to,
                 const char *denom, uint64_t amount, char *err, size_t err_len)
    CW_NONNULL(1, 2, 3, 4) CW_WARN_UNUSED;

/** Create amount (> 0) of denom in to (genesis, tests). Returns: as cw_bank_send, with
 *  CW_EOVERFLOW when the balance or the supply would overflow. */
int cw_bank_mint(const cw_kv *kv, const cw_address *to, const char *denom, uint64_t amount,
                 char *err, size_t err_len) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Destroy amount (> 0) of denom held by from. Returns: as cw_bank_send. */
int cw_bank_burn(const cw_kv *kv, const cw_address *from, const char *denom, uint64_t amount,
                 char *err, size_t err_len) CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** Total supply of denom. Returns: as cw_bank_balance. */
int cw_bank_supply(const cw_kv *kv, uint64_t *out, const char *denom)
    CW_NONNULL(1, 2, 3) CW_WARN_UNUSED;

/** The address of a module account: the first 20 bytes of SHA256("module/" || name).
 *  No secret key corresponds to it (it is not derived from a public key). */
void cw_module_address(cw_address *out, const char *name) CW_NONNULL(1, 2);

/** Move an app's pending aggregate under key (collateral/pending/..., transfer/pending/...,
 *  causeway/keys.h): the record [count, Σ amount] of the packets a chain sent whose
 *  commitment is outstanding. add: +1 and +amount (in the tx that writes the commitment);
 *  else -1 and -amount (in the tx that deletes it: ack or timeout). Deleted at [0, 0].
 *  Returns: CW_OK; CW_EOVERFLOW adding overflows; CW_ESTATE settling more than is counted;
 *  CW_EMALFORMED the stored record is corrupt; a store error (err names the key). */
int cw_pending_move(const cw_kv *kv, const char *key, uint64_t amount, bool add, char *err,
                    size_t err_len) CW_NONNULL(1, 2) CW_WARN_UNUSED;

/* Stored amounts are 8-byte big-endian: cw_be64_put / cw_be64_get (causeway/codec.h). */

#endif
