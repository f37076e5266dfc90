/* Shared helpers for cmocka tests (header-only; include after <cmocka.h>). */
#ifndef CAUSEWAY_TESTUTIL_H
#define CAUSEWAY_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Path of ../shared/vectors/<rel>, from $CW_SHARED (set by scripts/run-tests.sh) or
 * ../shared relative to the working directory. Returns a static buffer. */
static inline const char *cw_test_vector_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("CW_SHARED");
    snprintf(buf, sizeof buf, "%s/vectors/%s", root && *root ? root : "../shared", rel);
    return buf;
}

/* Skip the calling test loudly when the vectors are absent — unless CI=true, where their
 * absence is a failure (CI must run them). Evaluates to nothing when present. */
#define CW_REQUIRE_VECTORS(rel)                                                            \
    do {                                                                                   \
        struct stat st_;                                                                   \
        const char *p_ = cw_test_vector_path(rel);                                         \
        if (stat(p_, &st_) != 0) {                                                         \
            const char *ci_ = getenv("CI");                                                \
            if (ci_ && strcmp(ci_, "true") == 0)                                           \
                fail_msg("test vectors missing in CI: %s", p_);                            \
            fprintf(stderr, "WARNING: SKIPPING — test vectors not found at %s\n", p_);     \
            skip();                                                                        \
        }                                                                                  \
    } while (0)

/* Read a whole file into a NUL-terminated malloc'd buffer; fails the test on error. */
static inline char *cw_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

#endif
