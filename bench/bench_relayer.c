/* make bench: the relayer end-to-end benchmark lives in bench/bench_relayer.py (two real
 * chains, the relayer and a load generator as processes); this launcher runs it so that
 * `make bench` picks it up with the other bench binaries. Figures and baselines: see the
 * script's header. Exit status: the script's. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argc;
    char script[4096];
    const char *self = argv[0];
    const char *slash = strrchr(self, '/');
    /* the binary is build/rel/bench/bench_relayer; the script is the source tree's */
    if (access("bench/bench_relayer.py", R_OK) == 0)
        snprintf(script, sizeof script, "bench/bench_relayer.py");
    else if (slash)
        snprintf(script, sizeof script, "%.*s/../../../bench/bench_relayer.py",
                 (int)(slash - self), self);
    else
        snprintf(script, sizeof script, "bench/bench_relayer.py");
    execlp("python3", "python3", script, (char *)NULL);
    perror("bench_relayer: python3");
    return 1;
}
