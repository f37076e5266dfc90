/* Causeway — logging (STYLE: one cw_log that checks the level before formatting).
 *
 * Lines go to stderr as: `2026-11-22T01:02:03.123Z level=info msg text key=value …`.
 * Callers put context as key=value pairs (chain=, port=, channel=, sequence=, height=);
 * never pointers, never secrets. Thread-safe: each line is written with one write(2).
 */
#ifndef CAUSEWAY_LOG_H
#define CAUSEWAY_LOG_H

#include "causeway/error.h"

enum cw_log_level { CW_LOG_ERROR = 0, CW_LOG_WARN = 1, CW_LOG_INFO = 2, CW_LOG_DEBUG = 3 };

/** The current threshold; lines above it are not formatted. Default CW_LOG_INFO. */
extern volatile int cw_log_threshold;

/** Set the threshold from a name ("error", "warn", "info", "debug").
 *  Returns: CW_OK; CW_EINVAL for an unknown name (threshold unchanged). */
int cw_log_set_level(const char *name) CW_NONNULL(1) CW_WARN_UNUSED;

/** Format and write one line (use the cw_log macro, which checks the level first). */
void cw_log_write(int level, const char *fmt, ...) CW_PRINTF(2, 3);

#define cw_log(level, ...)                                                                 \
    do {                                                                                   \
        if ((level) <= cw_log_threshold)                                                   \
            cw_log_write((level), __VA_ARGS__);                                            \
    } while (0)

#endif
