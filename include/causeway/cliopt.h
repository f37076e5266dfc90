/* Causeway — command-line parsing for the binaries (causeway, causeway-chain): one
 * table-driven long-option parser and one subcommand dispatcher, so every command reads its
 * options, answers --help and reports a usage error the same way (exit 0 help, 2 usage).
 *
 * Not thread-safe: cw_cliopt_parse uses getopt_long's global state (optind, optarg, opterr).
 * Call it from the main thread before any other thread starts. No allocation. */
#ifndef CAUSEWAY_CLIOPT_H
#define CAUSEWAY_CLIOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** cw_cliopt_parse's answer when the command goes on (no help asked, no usage error). */
#define CW_CLIOPT_GO (-1)
/** Options one table may hold (--help, added by the parser, not counted). */
#define CW_CLIOPT_MAX 32

struct cw_cliopt;
/** Parse one option's argument into o->dst (o->min / o->max are the parser's to read).
 *  Prints its own one-line message to stderr; returns 0, or nonzero for a usage error. */
typedef int (*cw_cliopt_parse_fn)(const struct cw_cliopt *o, const char *arg);

/** One long option, "--name". Exactly one of str, flag, parse is set:
 *  str   the option takes an argument; *str = it (borrowed from argv);
 *  flag  the option takes none; *flag = true;
 *  parse the option takes an argument, parse(o, arg) reads it into dst.
 *  seen (optional) is set true whenever the option is given. A table ends with {0}. */
typedef struct cw_cliopt {
    const char *name; /* without the leading "--" */
    const char **str;
    bool *flag;
    cw_cliopt_parse_fn parse;
    void *dst;
    bool *seen;
    uint64_t min, max;
} cw_cliopt;

/** Parse argv[first..argc) against opts (plus --help, which every command takes); operands
 *  are permuted behind the options (GNU getopt_long) and start at *next. usage(f) prints the
 *  command's full usage to f. unknown NULL: getopt's own message names a bad option (with
 *  argv[0] as the program name); otherwise getopt stays quiet and the parser prints
 *  "UNKNOWN: unknown or incomplete option 'ARG'".
 *  Returns: CW_CLIOPT_GO to go on; 0 when --help was given (usage printed to stdout); 2 on a
 *  usage error: an unknown option or a missing argument (message, then usage to stderr), or
 *  a parse function's refusal (its message only). Fails (2, message) also when opts holds
 *  more than CW_CLIOPT_MAX entries. Never exits. */
int cw_cliopt_parse(int argc, char **argv, int first, const cw_cliopt *opts,
                    void (*usage)(FILE *f), const char *unknown, int *next);

/** --help, -h or help: the argument asks for a command's usage. */
bool cw_cliopt_is_help(const char *arg);

/** One subcommand: run(argc, argv) gets argv from the subcommand's name on and returns the
 *  process exit status; help is a one-line summary (NULL allowed) for the caller's usage. */
typedef struct cw_clicmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} cw_clicmd;

/** Run the subcommand argv[1] names among cmds[0..n) with (argc - 1, argv + 1).
 *  Returns its exit status; 0 when argv[1] asks for help (cw_cliopt_is_help; usage to
 *  stdout); 2 with no argv[1] (usage to stderr) or an unknown one ("PROG: unknown WHAT
 *  'ARG'", then usage, to stderr). prog and what name the command and the word for its
 *  subcommands ("causeway light", "subcommand"). */
int cw_clicmd_dispatch(int argc, char **argv, const cw_clicmd *cmds, size_t n,
                       void (*usage)(FILE *f), const char *prog, const char *what);

#endif
