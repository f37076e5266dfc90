/* The structure-aware fuzzers' input reader (fuzz_ics23_struct, fuzz_lc_struct): the
 * fuzzer's bytes consumed one at a time as field choices; past the end every read is 0, so
 * any input, however short, is a complete program for the harness. */
#ifndef CAUSEWAY_FUZZ_READER_H
#define CAUSEWAY_FUZZ_READER_H

#include <stddef.h>
#include <stdint.h>

typedef struct rd {
    const uint8_t *p;
    size_t n;
} rd;

static inline uint8_t u8(rd *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

#endif
