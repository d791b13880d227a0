// Helpers for oyako's conformance programs: they print only facts that
// must be the same on Linux and on oyako (results, errno names, sizes,
// flags), never addresses, times or IDs.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

// set_mask blocks (SIG_BLOCK) or unblocks (SIG_UNBLOCK) the one signal sig.
__attribute__((unused)) static void set_mask(int how, int sig) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

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

// procField returns the number after name (a line's start, with its
// colon: "MemFree:", "SigQ:") in a /proc file, or -1.
__attribute__((unused)) static long procField(const char *path, const char *name) {
	char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	size_t len = strlen(name);
	for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, len) == 0)
			return strtol(p + len, NULL, 10);
	return -1;
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

// ---- processes (fork.c, vfork.c, shm.c, signals.c, locks2.c)

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

__attribute__((unused)) static void pause_ms(int ms) {
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
	nanosleep(&ts, NULL);
}

// pfork flushes stdout (so that the child does not print it again) and
// forks; a failure ends the program.
__attribute__((unused)) static pid_t pfork(void) {
	fflush(stdout);
	pid_t p = fork();
	if (p < 0) {
		show("fork", -1);
		exit(1);
	}
	return p;
}

// sig_name is "SIGTERM", or "SIGRTMIN+n" for a real-time signal (in one
// of four buffers used in turn).
__attribute__((unused)) static const char *sig_name(int sig) {
	static char b[4][16];
	static int i;
	char *s = b[i++ % 4];
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(s, 16, "SIGRTMIN+%d", sig - SIGRTMIN);
	else if (sigabbrev_np(sig))
		snprintf(s, 16, "SIG%s", sigabbrev_np(sig));
	else
		snprintf(s, 16, "%d", sig);
	return s;
}

// wait_status describes a wait status.
__attribute__((unused)) static const char *wait_status(int st) {
	static char b[64];
	if (WIFEXITED(st))
		snprintf(b, sizeof b, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(b, sizeof b, "killed by %s", sig_name(WTERMSIG(st)));
	else if (WIFSTOPPED(st))
		snprintf(b, sizeof b, "stopped by %s", sig_name(WSTOPSIG(st)));
	else if (WIFCONTINUED(st))
		snprintf(b, sizeof b, "continued");
	else
		snprintf(b, sizeof b, "status %#x", st);
	return b;
}

// reap waits for pid and prints "what: how it ended".
__attribute__((unused)) static void reap(const char *what, pid_t pid) {
	int st;
	pid_t r = waitpid(pid, &st, 0);
	if (r != pid)
		printf("%s: waitpid: %ld %s\n", what, (long)r, r < 0 ? strerrorname_np(errno) : "");
	else
		printf("%s: %s\n", what, wait_status(st));
}
