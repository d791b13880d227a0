// The program `oyako profile` (qemu.Profile, make profile) single-steps
// under gdb: tens of thousands of warm-up calls, then the profiled system calls,
// each made through the one SYSCALL instruction at the global label
// profile_syscall, between the calls of profile_begin and profile_end,
// where the profiler's breakpoints are. In this order: getpid twice (the
// second run of the same path must cost exactly as much: the count is
// deterministic), read of 1 byte from /dev/zero, write of 1 byte to
// /dev/null. Exit status 0 when every call returned what Linux returns.
//
// Each profiled call comes after a run of the same call: single-stepping
// one takes seconds of the host's time, which the guest's clock sees
// pass, and the kernel's Go runtime reacts to that (its sysmon takes the
// processor away from a system call that seems to last long, so that the
// next return from one takes the slow path). The run brings it back to
// the steady state of a program calling in a loop.
//
// The warm-up is long because Go's runtime fills the cache of a type
// assertion or type switch site only once in about 1024 misses, at
// random (runtime/iface.go): after 3,000 calls, about one boot in twenty
// still paid getitab's search in read and write.
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WARMUP 20000
#define RESETTLE 1000

// profiled makes system call nr through the SYSCALL instruction at
// profile_syscall (noclone: a second copy would define the label twice).
__attribute__((noinline, noclone)) static long profiled(long nr, long a, long b, long c) {
	long ret;
	__asm__ volatile(".globl profile_syscall\nprofile_syscall:\n\tsyscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c)
	                 : "rcx", "r11", "memory");
	return ret;
}

// warm makes system call nr through another SYSCALL instruction, so that
// the warm-up does not stop at the profiler's breakpoint.
static long warm(long nr, long a, long b, long c) {
	long ret;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c)
	                 : "rcx", "r11", "memory");
	return ret;
}

// profile_begin and profile_end mark where the profiled calls are.
__attribute__((noinline)) void profile_begin(void) { __asm__ volatile(""); }
__attribute__((noinline)) void profile_end(void) { __asm__ volatile(""); }

int main(void) {
	char buf[1] = {'x'};
	int zero = open("/dev/zero", O_RDONLY);
	int null = open("/dev/null", O_WRONLY);
	if (zero < 0 || null < 0)
		return 2;
	// An epoll instance watching a readable eventfd: epoll_wait finds
	// one event at once.
	int efd = eventfd(1, 0), ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN}, out[4];
	if (efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0)
		return 2;
	// A file for stat, open and close.
	static const char path[] = "/tmp/profile.file";
	close(open(path, O_CREAT | O_WRONLY, 0644));
	struct stat st;
	long pid = warm(SYS_getpid, 0, 0, 0), ppid = warm(SYS_getppid, 0, 0, 0);
	for (int i = 0; i < WARMUP; i++) {
		warm(SYS_getpid, 0, 0, 0);
		warm(SYS_read, zero, (long)buf, 1);
		warm(SYS_write, null, (long)buf, 1);
		warm(SYS_getppid, 0, 0, 0);
		warm(SYS_epoll_wait, ep, (long)out, 4); // timeout: RDX's 4th argument is R10, 0 here
		warm(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st);
		warm(SYS_close, warm(SYS_openat, AT_FDCWD, (long)path, O_RDONLY), 0, 0);
	}
	// Touch profiled's page before the profiler's breakpoint is set
	// (a breakpoint on a page not mapped yet stops twice).
	if (profiled(SYS_getpid, 0, 0, 0) != pid)
		return 3;
	profile_begin();
	int bad = 0;
	for (int i = 0; i < RESETTLE; i++)
		warm(SYS_getpid, 0, 0, 0);
	bad |= profiled(SYS_getpid, 0, 0, 0) != pid;
	for (int i = 0; i < RESETTLE; i++)
		warm(SYS_getpid, 0, 0, 0);
	bad |= profiled(SYS_getpid, 0, 0, 0) != pid;
	for (int i = 0; i < RESETTLE; i++)
		warm(SYS_read, zero, (long)buf, 1);
	buf[0] = 'x';
	bad |= profiled(SYS_read, zero, (long)buf, 1) != 1 || buf[0] != 0;
	for (int i = 0; i < RESETTLE; i++)
		warm(SYS_write, null, (long)buf, 1);
	bad |= profiled(SYS_write, null, (long)buf, 1) != 1;
	for (int i = 0; i < RESETTLE; i++)
		warm(SYS_getppid, 0, 0, 0);
	bad |= profiled(SYS_getppid, 0, 0, 0) != ppid;
	for (int i = 0; i < RESETTLE; i++)
		warm(SYS_epoll_wait, ep, (long)out, 4);
	bad |= profiled(SYS_epoll_wait, ep, (long)out, 4) != 1;
	for (int i = 0; i < RESETTLE; i++)
		warm(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st);
	bad |= profiled(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st) != 0;
	for (int i = 0; i < RESETTLE; i++)
		warm(SYS_close, warm(SYS_openat, AT_FDCWD, (long)path, O_RDONLY), 0, 0);
	long fd = profiled(SYS_openat, AT_FDCWD, (long)path, O_RDONLY);
	bad |= fd < 0;
	bad |= profiled(SYS_close, fd, 0, 0) != 0;
	profile_end();
	return bad ? 1 : 0;
}
