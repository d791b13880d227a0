// The program `oyako profile` (qemu.Profile, make profile) single-steps
// under gdb: tens of thousands of warm-up calls, then the profiled system calls,
// each made through the one SYSCALL instruction at the global label
// profile_syscall, between the calls of profile_begin and profile_end,
// where the profiler's breakpoints are. In this order: getpid twice (the
// second run of the same path must cost exactly as much: the count is
// deterministic), read of 1 byte from /dev/zero, write of 1 byte to
// /dev/null, getppid, epoll_wait finding one ready eventfd, and poll and
// select of 10 eventfds of which one is ready (timeout 0), stat, openat
// and close of a file in /tmp, then two io_uring_enter calls that submit
// 1 and 4 IORING_OP_WRITEs of 64 bytes to /dev/null and wait for their
// CQEs (the difference, divided by 3, is the cost of one request). Exit
// status 0 when every call returned what Linux returns.
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
#include <liburing.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define WARMUP 20000
#define RESETTLE 1000

// profiled5 makes system call nr with five arguments through the SYSCALL
// instruction at profile_syscall (noclone: a second copy would define the
// label twice).
__attribute__((noinline, noclone)) static long profiled5(long nr, long a, long b, long c, long d, long e) {
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	__asm__ volatile(".globl profile_syscall\nprofile_syscall:\n\tsyscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
	                 : "rcx", "r11", "memory");
	return ret;
}

// profiled makes system call nr with three arguments (the fourth, R10,
// is 0) through the SYSCALL instruction at profile_syscall.
static long profiled(long nr, long a, long b, long c) { return profiled5(nr, a, b, c, 0, 0); }

// warm5 makes system call nr through another SYSCALL instruction, so that
// the warm-up does not stop at the profiler's breakpoint.
static long warm5(long nr, long a, long b, long c, long d, long e) {
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
	                 : "rcx", "r11", "memory");
	return ret;
}

static long warm(long nr, long a, long b, long c) { return warm5(nr, a, b, c, 0, 0); }

// The poll and select calls: 10 eventfds, the first readable (as
// bench.c's readiness rows, poll-10 and select-10).
#define NPOLL 10
static struct pollfd pfds[NPOLL];
static int maxfd;
static fd_set rset;
static struct timeval tv0;

// select10 selects for reading on the 10 eventfds, with a zero timeout,
// through call (warm5 or profiled5).
static long select10(long (*call)(long, long, long, long, long, long)) {
	FD_ZERO(&rset);
	for (int i = 0; i < NPOLL; i++)
		FD_SET(pfds[i].fd, &rset);
	tv0 = (struct timeval){0, 0};
	return call(SYS_select, maxfd + 1, (long)&rset, 0, 0, (long)&tv0);
}

// The io_uring calls: n writes of 64 bytes to /dev/null, queued and
// published as liburing's io_uring_submit does, then submitted and waited
// for by one io_uring_enter (by fn: warm5 or profiled5); the CQEs are
// checked and reaped. It reports whether everything went as on Linux.
enum { usize = 64 };
static struct io_uring uring;
static char ubuf[usize];

static int uring_writes(long (*fn)(long, long, long, long, long, long), int null, unsigned n) {
	for (unsigned i = 0; i < n; i++)
		io_uring_prep_write(io_uring_get_sqe(&uring), null, ubuf, usize, 0);
	uring.sq.sqe_head = uring.sq.sqe_tail;
	io_uring_smp_store_release(uring.sq.ktail, uring.sq.sqe_tail);
	long r = fn(__NR_io_uring_enter, uring.ring_fd, n, n, IORING_ENTER_GETEVENTS, 0);
	int ok = r == n && io_uring_cq_ready(&uring) == n;
	struct io_uring_cqe *cqe;
	unsigned head;
	io_uring_for_each_cqe(&uring, head, cqe) ok &= cqe->res == usize;
	io_uring_cq_advance(&uring, io_uring_cq_ready(&uring));
	return ok;
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
	for (int i = 0; i < NPOLL; i++) {
		int fd = eventfd(i == 0, 0);
		if (fd < 0)
			return 2;
		pfds[i] = (struct pollfd){.fd = fd, .events = POLLIN};
		if (fd > maxfd)
			maxfd = fd;
	}
	if (io_uring_queue_init(8, &uring, 0) != 0)
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
		warm(SYS_epoll_wait, ep, (long)out, 4); // timeout: the 4th argument, R10, is 0
		warm(SYS_poll, (long)pfds, NPOLL, 0);
		select10(warm5);
		warm(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st);
		warm(SYS_close, warm(SYS_openat, AT_FDCWD, (long)path, O_RDONLY), 0, 0);
		if (!uring_writes(warm5, null, 1) || !uring_writes(warm5, null, 4))
			return 2;
	}
	// Touch profiled's page before the profiler's breakpoint is set
	// (a breakpoint on a page not mapped yet stops twice).
	if (profiled(SYS_getpid, 0, 0, 0) != pid)
		return 3;
	// A collection of the kernel's heap now (drop_caches gives the
	// runtime's free memory back after a full one), so that none is
	// under way, or due, while the calls are stepped: a call that
	// assists a collection's marking steps through it, and once went
	// past the tracer's limit on a loaded machine.
	int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (dc < 0 || write(dc, "2", 1) != 1)
		return 4;
	close(dc);
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
		warm(SYS_poll, (long)pfds, NPOLL, 0);
	bad |= profiled(SYS_poll, (long)pfds, NPOLL, 0) != 1 || pfds[0].revents != POLLIN || pfds[1].revents != 0;
	for (int i = 0; i < RESETTLE; i++)
		select10(warm5);
	bad |= select10(profiled5) != 1 || !FD_ISSET(pfds[0].fd, &rset) || FD_ISSET(pfds[1].fd, &rset);
	for (int i = 0; i < RESETTLE; i++)
		warm(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st);
	bad |= profiled(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st) != 0;
	for (int i = 0; i < RESETTLE; i++)
		warm(SYS_close, warm(SYS_openat, AT_FDCWD, (long)path, O_RDONLY), 0, 0);
	long fd = profiled(SYS_openat, AT_FDCWD, (long)path, O_RDONLY);
	bad |= fd < 0;
	bad |= profiled(SYS_close, fd, 0, 0) != 0;
	for (int i = 0; i < RESETTLE; i++)
		bad |= !uring_writes(warm5, null, 1);
	bad |= !uring_writes(profiled5, null, 1);
	for (int i = 0; i < RESETTLE; i++)
		bad |= !uring_writes(warm5, null, 4);
	bad |= !uring_writes(profiled5, null, 4);
	profile_end();
	return bad ? 1 : 0;
}
