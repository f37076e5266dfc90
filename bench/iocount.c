/* iocount — an LD_PRELOAD shim for `make soak` (DESIGN §12): counts the bytes a process hands
 * to the kernel for regular files through the write, pwrite, writev and pwritev(2) calls it
 * makes through the dynamic linker — for the chains and the relayer, what LMDB writes (its
 * library imports exactly pwrite, write and writev for dirty pages and meta pages, and
 * never maps its file writable here: no MDB_WRITEMAP). Not counted: glibc's own internal
 * writes (stdio's fwrite), and a child forked without exec adds to its parent's counter.
 *
 * Why not /proc/PID/io write_bytes: on kernels whose page cache uses large folios (ext4 on
 * 6.x), write_bytes counts a whole folio each time a 4 KiB page inside it is dirtied again.
 * On the soak's machine (6.18) it read 43.5 GB for a chain whose every write(2)-family call
 * together carried 5.8 GB (wchar, which also counts socket writes), and it grew with the
 * file while the pages LMDB wrote per block did not: it measures the page cache, not LMDB.
 *
 * Counting: each successful call adds its return value to a 64-bit counter in the file
 * $CW_IOCOUNT_DIR/<pid> (8 bytes, native byte order, mapped shared, updated atomically), so
 * the soak reads it from outside at any time. Without CW_IOCOUNT_DIR the shim only passes
 * calls through. Calls on sockets, pipes and terminals are not counted (one fstat per call
 * tells a regular file), nor on stdout and stderr (the soak sends a process's log to a
 * file). Test tooling only: never linked into a Causeway binary.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* pwrite and pwritev are defined below under their own names (with 64-bit off_t they would
 * be renamed to the *64 symbols also defined here) */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static _Atomic uint64_t *counter;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev2)(int, const struct iovec *, int, off_t, int);

/* The next definitions in the lookup order, resolved once on first use (another library's
 * constructor may write before ours runs, from any thread). */
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

static void resolve_once(void)
{
    real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    real_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    real_writev = (ssize_t(*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
    real_pwritev =
        (ssize_t(*)(int, const struct iovec *, int, off_t))dlsym(RTLD_NEXT, "pwritev");
    real_pwritev2 =
        (ssize_t(*)(int, const struct iovec *, int, off_t, int))dlsym(RTLD_NEXT, "pwritev2");
}

static void resolve(void)
{
    (void)pthread_once(&resolved, resolve_once);
}

__attribute__((constructor)) static void iocount_init(void)
{
    resolve();
    const char *dir = getenv("CW_IOCOUNT_DIR");
    if (!dir || !*dir)
        return;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%ld", dir, (long)getpid()) >= (int)sizeof path)
        return;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (ftruncate(fd, sizeof(uint64_t)) == 0) {
        void *p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED)
            counter = p;
    }
    close(fd);
}

static void count(int fd, ssize_t r)
{
    struct stat st;
    if (r > 0 && fd > 2 && counter && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        atomic_fetch_add_explicit(counter, (uint64_t)r, memory_order_relaxed);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    resolve();
    ssize_t r = real_write(fd, buf, n);
    count(fd, r);
    return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    resolve();
    ssize_t r = real_pwrite(fd, buf, n, off);
    count(fd, r);
    return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    return pwrite(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    resolve();
    ssize_t r = real_writev(fd, iov, n);
    count(fd, r);
    return r;
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
    resolve();
    ssize_t r = real_pwritev(fd, iov, n, off);
    count(fd, r);
    return r;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
    return pwritev(fd, iov, n, off);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int n, off_t off, int flags)
{
    resolve();
    ssize_t r = real_pwritev2(fd, iov, n, off, flags);
    count(fd, r);
    return r;
}

ssize_t pwritev64v2(int fd, const struct iovec *iov, int n, off_t off, int flags)
{
    return pwritev2(fd, iov, n, off, flags);
}
