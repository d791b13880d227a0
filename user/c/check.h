// Helpers for oyako's conformance programs: they print only facts that
// must be the same on Linux and on oyako (results, errno names, sizes,
// flags), never addresses, times or IDs.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// KERNEL_PTR is an address in the kernel half: every system call must
// refuse it with EFAULT.
#define KERNEL_PTR ((void *)0xffffffff80200000UL)

// show prints "what: result" or "what: -1 ERRNO".
__attribute__((unused)) static void show(const char *what, long r) {
	if (r == -1)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

#define R(expr) show(#expr, (long)(expr))

// raw makes a system call directly, so that glibc does not check or
// rewrite the arguments.
#define RAW(...) show("syscall(" #__VA_ARGS__ ")", syscall(__VA_ARGS__))

__attribute__((unused)) static void ok(const char *what, int cond) { printf("%s: %s\n", what, cond ? "ok" : "FAIL"); }

// tick waits long enough for the next file timestamp to differ from the
// last one on Linux, whose file times come from a clock that ticks with
// the scheduler (coarse-grained).
__attribute__((unused)) static void tick(void) {
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

// putFile writes s to path, created or truncated, or says why not.
__attribute__((unused)) static void putFile(const char *path, const char *s) {
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, s, strlen(s)) != (long)strlen(s))
		printf("put %s: %s\n", path, strerrorname_np(errno));
	if (fd >= 0)
		close(fd);
}

// showFile prints how many bytes a file starts with, and them.
__attribute__((unused)) static void showFile(const char *path) {
	char buf[64];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("open %s: -1 %s\n", path, strerrorname_np(errno));
		return;
	}
	long n = read(fd, buf, sizeof buf);
	close(fd);
	printf("%s holds %ld: %.*s\n", path, n, (int)(n > 0 ? n : 0), buf);
}
