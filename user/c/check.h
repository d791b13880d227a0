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
