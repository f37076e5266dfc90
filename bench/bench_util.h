/* Clocks and settings the benches share (bench/ only; not a library header).
 * Wall time is CLOCK_MONOTONIC; CPU time is this thread's or this process's. */
#ifndef CAUSEWAY_BENCH_UTIL_H
#define CAUSEWAY_BENCH_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* seconds on clock id */
static inline double bench_clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline double bench_wall_s(void) { return bench_clock_s(CLOCK_MONOTONIC); }
static inline double bench_thread_cpu_s(void) { return bench_clock_s(CLOCK_THREAD_CPUTIME_ID); }
static inline double bench_process_cpu_s(void) { return bench_clock_s(CLOCK_PROCESS_CPUTIME_ID); }

/* $name as a decimal number, or dflt when unset or empty */
static inline uint64_t bench_env_u64(const char *name, uint64_t dflt)
{
    const char *e = getenv(name);
    return e && *e ? strtoull(e, NULL, 10) : dflt;
}

#endif
