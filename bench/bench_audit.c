/* make bench: the audit benchmark lives in bench/bench_audit.py (two real chains, the relayer
 * and `causeway audit` as processes); this launcher runs it so that `make bench` picks it up
 * with the other bench binaries. Figures: see the script's header. Exit status: the
 * script's.
 *
 * `bench_audit --measure OUT PROGRAM ARGS...` is the script's stopwatch: it runs PROGRAM
 * from this small process (so the child's peak RSS is PROGRAM's, not a forked Python's: a
 * process's ru_maxrss keeps the high-water mark of the image it exec'd from) and writes
 * "WALL_NS MAXRSS_KIB" to the file OUT; exit status PROGRAM's (125 it could not run). */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int measure(const char *out, char **argv)
{
    long long t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_audit: fork");
        return 125;
    }
    if (pid == 0) {
        execv(argv[0], argv);
        perror("bench_audit: exec");
        _exit(125);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("bench_audit: wait4");
        return 125;
    }
    long long dt = now_ns() - t0;
    FILE *f = fopen(out, "w");
    if (!f || fprintf(f, "%lld %ld\n", dt, ru.ru_maxrss) < 0 || fclose(f) != 0) {
        perror(out);
        return 125;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}

int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "--measure") == 0)
        return measure(argv[2], argv + 3);
    char script[4096];
    const char *self = argv[0];
    const char *slash = strrchr(self, '/');
    /* the binary is build/rel/bench/bench_audit; the script is the source tree's */
    if (access("bench/bench_audit.py", R_OK) == 0)
        snprintf(script, sizeof script, "bench/bench_audit.py");
    else if (slash)
        snprintf(script, sizeof script, "%.*s/../../../bench/bench_audit.py",
                 (int)(slash - self), self);
    else
        snprintf(script, sizeof script, "bench/bench_audit.py");
    execlp("python3", "python3", script, self, (char *)NULL);
    perror("bench_audit: python3");
    return 1;
}
