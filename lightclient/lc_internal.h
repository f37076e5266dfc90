/* Light-client internals shared by the lightclient/ sources (not installed). */
#ifndef CAUSEWAY_LC_INTERNAL_H
#define CAUSEWAY_LC_INTERNAL_H

#include <stdatomic.h>

#include "causeway/lightclient.h"

struct cw_lc_valset {
    atomic_uint refs;
    uint32_t n;
    uint64_t total_power;
    uint8_t hash[32];
    struct cw_lc_validator {
        cw_pubkey32 pubkey; /* serialized, for matching by key */
        uint64_t power;
        cw_pubkey parsed; /* parsed once at creation */
    } e[];
};

#endif
