/* The `causeway` CLI: one function per top-level command, each in its own file.
 * Each takes the arguments after the command name (argv[0] is the command itself) and
 * returns the process exit status: 0 success/valid, 1 invalid/failed, 2 usage error.
 * Output: human text by default, JSON with --json (jansson). */
#ifndef CAUSEWAY_CLI_H
#define CAUSEWAY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int cw_cli_proof(int argc, char **argv); /* cli/proof.c — ICS-23 proof verification */
int cw_cli_light(int argc, char **argv); /* cli/light.c — light-client verify / gen */

/** Read a whole file (or stdin for "-") into a malloc'd buffer (caller frees).
 *  Returns 0, or -errno with a message in err. max bounds the size (-EFBIG beyond). */
int cw_cli_read_file(const char *path, size_t max, uint8_t **out, size_t *out_len, char *err,
                     size_t err_len);

#endif
