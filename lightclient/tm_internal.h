/* 07-tendermint internals shared by lightclient/tm_*.c (not installed). */
#ifndef CAUSEWAY_TM_INTERNAL_H
#define CAUSEWAY_TM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Binary search of idx[0..n) (indices sorted by the 20-byte address each names) for
 * address; element k's address is at first + k * stride. Returns k, or -1. */
int64_t tm_find_address(const uint32_t *idx, uint32_t n, const uint8_t *first, size_t stride,
                        const uint8_t address[static 20]);

#endif
