/* Command-line parsing for the binaries (include/causeway/cliopt.h). */
#include <getopt.h>
#include <string.h>

#include "causeway/cliopt.h"

bool cw_cliopt_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0;
}

int cw_cliopt_parse(int argc, char **argv, int first, const cw_cliopt *opts,
                    void (*usage)(FILE *f), const char *unknown, int *next)
{
    struct option lo[CW_CLIOPT_MAX + 2];
    size_t n = 0;
    for (; opts[n].name; n++) {
        if (n == CW_CLIOPT_MAX) {
            fprintf(stderr, "%s: more than %d options\n", argv[0], CW_CLIOPT_MAX);
            return 2;
        }
        lo[n] = (struct option){opts[n].name, opts[n].flag ? no_argument : required_argument,
                                NULL, (int)n};
    }
    const int help = (int)n;
    lo[n] = (struct option){"help", no_argument, NULL, help};
    lo[n + 1] = (struct option){0, 0, 0, 0};
    int c;
    optind = first;
    opterr = unknown == NULL;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == help) {
            usage(stdout);
            return 0;
        }
        if (c < 0 || c > help) {
            if (unknown)
                fprintf(stderr, "%s: unknown or incomplete option '%s'\n", unknown,
                        argv[optind - 1]);
            usage(stderr);
            return 2;
        }
        const cw_cliopt *o = &opts[c];
        if (o->seen)
            *o->seen = true;
        if (o->flag)
            *o->flag = true;
        else if (o->str)
            *o->str = optarg;
        else if (o->parse(o, optarg))
            return 2;
    }
    *next = optind;
    return CW_CLIOPT_GO;
}

int cw_clicmd_dispatch(int argc, char **argv, const cw_clicmd *cmds, size_t n,
                       void (*usage)(FILE *f), const char *prog, const char *what)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].run(argc - 1, argv + 1);
    if (cw_cliopt_is_help(argv[1])) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "%s: unknown %s '%s'\n", prog, what, argv[1]);
    usage(stderr);
    return 2;
}
