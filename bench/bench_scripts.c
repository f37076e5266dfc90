/* make bench: the benchmarks that drive real processes are Python scripts in bench/ — the
 * relayer end to end (bench_relayer.py: two chains, the relayer and a load generator), one
 * relayer serving two paths at once vs one path (bench_hub.py: three chains, the hub's
 * backlogs drained side by side) and the gas-exhaustion attack (bench_gas_attack.py: block
 * times under attack vs idle). This launcher
 * runs each in turn so that `make bench` picks them up with the other bench binaries. Figures
 * and baselines: see each script's header. Exit status: 0 when every script exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const scripts[] = {"bench_relayer.py", "bench_hub.py", "bench_gas_attack.py"};

int main(int argc, char **argv)
{
    (void)argc;
    char dir[4096];
    const char *self = argv[0];
    const char *slash = strrchr(self, '/');
    /* the binary is build/rel/bench/bench_scripts; the scripts are the source tree's */
    if (access("bench/bench_relayer.py", R_OK) == 0)
        snprintf(dir, sizeof dir, "bench");
    else if (slash)
        snprintf(dir, sizeof dir, "%.*s/../../../bench", (int)(slash - self), self);
    else
        snprintf(dir, sizeof dir, "bench");
    int status = 0;
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, scripts[i]);
        printf("-- %s\n", scripts[i]);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            execlp("python3", "python3", path, (char *)NULL);
            perror("bench_scripts: python3");
            _exit(127);
        }
        int ws = 0;
        if (pid < 0 || waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
            status = 1;
    }
    return status;
}
