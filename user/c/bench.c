// Microbenchmarks for make bench and make bench-linux: each line is
//
//	bench NAME CYCLES_PER_OP NS_PER_OP
//
// with the median over rounds of TSC cycles and nanoseconds per operation;
// memory figures are
//
//	kib NAME KIB
//
// and for the write rows also
//
//	calls NAME SYSCALLS WRITES WAKEUPS YIELDS
//
// the system calls the benchmark made for its writes over all rounds,
// counted where it makes them, the writes, and of those calls the ones
// that woke an SQ thread and the sched_yield calls of waits gone long.
// The same binary runs natively and in oyako, so the numbers compare side
// by side. An optional argument scales the iteration count (tests pass a
// small one to check that the benchmark runs at all); "writes [N]" runs
// only the write rows.
//
// As process 1 (make bench-linux boots it as /init on Linux and on
// oyako) it also prints the boot rows: TSC cycles from the machine's start
// to the top of main (under QEMU's TCG the TSC counts from the VM's
// start) and the kernel's memory after boot (MemTotal - MemFree). On
// Linux, where nothing mounted /proc for it, it mounts proc, devtmpfs and
// tmpfs first and reboots at the end (init must not exit there: the
// kernel would panic); oyako mounts /proc and /dev itself and powers off
// with init's exit status.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <liburing.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define ROUNDS 9

static long iterations = 200000;

// raw0 makes system call nr with no arguments, without glibc's wrapper.
static inline long raw0(long nr) {
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"(nr) : "rcx", "r11", "memory");
	return r;
}

static uint64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

typedef void (*op_fn)(long n);

// op_failed is set by an operation that did not do what it measures: its
// row is not printed.
static const char *op_failed;

// run_n runs op n times a round.
static void run_n(const char *name, op_fn op, long n) {
	double cyc[ROUNDS], ns[ROUNDS];
	if (n < 1)
		n = 1;
	op(n / 10 + 1); // warm up
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = now_ns();
		uint64_t c0 = __rdtsc();
		op(n);
		uint64_t c1 = __rdtsc();
		uint64_t t1 = now_ns();
		cyc[r] = (double)(c1 - c0) / n;
		ns[r] = (double)(t1 - t0) / n;
	}
	if (op_failed) {
		printf("%s: no result: %s\n", name, op_failed);
		op_failed = NULL;
		return;
	}
	qsort(cyc, ROUNDS, sizeof cyc[0], cmp);
	qsort(ns, ROUNDS, sizeof ns[0], cmp);
	printf("bench %s %.1f %.1f\n", name, cyc[ROUNDS / 2], ns[ROUNDS / 2]);
	fflush(stdout);
}

static void run(const char *name, op_fn op) { run_n(name, op, iterations); }

static void op_getpid(long n) {
	for (long i = 0; i < n; i++)
		raw0(39); // getpid
}

// raw2 makes system call nr with two arguments.
static inline long raw2(long nr, long a, long b) {
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

static void op_clock_gettime_vdso(long n) {
	struct timespec ts;
	for (long i = 0; i < n; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts); // glibc calls the vDSO
}

static void op_clock_gettime_syscall(long n) {
	struct timespec ts;
	for (long i = 0; i < n; i++)
		raw2(228, CLOCK_MONOTONIC, (long)&ts); // clock_gettime
}

static void op_enosys(long n) {
	for (long i = 0; i < n; i++)
		raw0(1000); // above the table: ENOSYS
}

static volatile long handled;

static void on_signal(int sig) {
	(void)sig;
	handled++;
}

// op_signal sends the thread SIGUSR1 with tgkill (raise without glibc's
// mask juggling): the kernel delivers it on the way out, the handler
// counts it and returns through glibc's restorer and rt_sigreturn. A
// count that does not match means some handler did not run.
static void op_signal(long n) {
	long before = handled;
	long pid = getpid(), tid = gettid();
	for (long i = 0; i < n; i++) {
		long r;
		__asm__ volatile("syscall"
		                 : "=a"(r)
		                 : "0"(234L), "D"(pid), "S"(tid), "d"((long)SIGUSR1)
		                 : "rcx", "r11", "memory"); // tgkill
	}
	if (handled - before != n)
		op_failed = "the handler did not run once per signal";
}

static void wait_child(pid_t pid) {
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("child failed\n");
		exit(1);
	}
}

static void op_fork(long n) {
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		wait_child(pid);
	}
}

static void op_vfork(long n) {
	for (long i = 0; i < n; i++) {
		pid_t pid = vfork();
		if (pid == 0)
			_exit(0);
		wait_child(pid);
	}
}

static char self[4096];

// op_exec runs this program again (a static glibc program that exits at
// once) by vfork and execve.
static void op_exec(long n) {
	for (long i = 0; i < n; i++) {
		pid_t pid = vfork();
		if (pid == 0) {
			char *argv[] = {"bench", "exit", NULL};
			execve(self, argv, environ);
			_exit(127);
		}
		wait_child(pid);
	}
}

// dynTrue is Debian's dynamically linked true, which `oyako bench` and
// `oyako bench-linux` put in the image with its interpreter and libraries
// when the host has it.
static const char dynTrue[] = "/usr/bin/true";

// op_exec_dynamic runs dynTrue by vfork and execve: the kernel loads
// ld.so, which opens, maps and relocates libc before main.
static void op_exec_dynamic(long n) {
	for (long i = 0; i < n; i++) {
		pid_t pid = vfork();
		if (pid == 0) {
			char *argv[] = {"true", NULL};
			execve(dynTrue, argv, environ);
			_exit(127);
		}
		wait_child(pid);
	}
}

static int ping[2], pong[2];

// op_pipe is a round trip of one byte to a child process and back.
static void op_pipe(long n) {
	char c = 'x';
	for (long i = 0; i < n; i++) {
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1) {
			printf("pipe failed\n");
			exit(1);
		}
	}
}

// TCP over loopback (issue 13): a connection through 127.0.0.1 to a
// child process, which echoes single bytes (tcp-pingpong-1B: a round
// trip) or drains 64 KiB blocks (tcp-bulk-64KiB: one block sent and
// received; a round ends when the child has read all its blocks and
// says so).
static int tcp_fd;
static char tcp_block[64 * 1024];

static void op_tcp_pingpong(long n) {
	char c = 'x';
	for (long i = 0; i < n; i++)
		if (write(tcp_fd, &c, 1) != 1 || read(tcp_fd, &c, 1) != 1) {
			op_failed = "TCP round trip failed";
			return;
		}
}

static void op_tcp_bulk(long n) {
	char ack;
	if (write(tcp_fd, &n, sizeof n) != sizeof n) {
		op_failed = "TCP write failed";
		return;
	}
	for (long i = 0; i < n; i++)
		for (size_t off = 0; off < sizeof tcp_block;) {
			long w = write(tcp_fd, tcp_block + off, sizeof tcp_block - off);
			if (w <= 0) {
				op_failed = "TCP write failed";
				return;
			}
			off += w;
		}
	if (read(tcp_fd, &ack, 1) != 1)
		op_failed = "TCP acknowledgement missing";
}

// tcp_child serves one connection: with bulk, counts of blocks to
// drain, each acknowledged with a byte once drained; otherwise single
// bytes to echo. It ends at EOF.
static void tcp_child(int fd, int bulk) {
	char c;
	if (!bulk) {
		while (read(fd, &c, 1) == 1)
			if (write(fd, &c, 1) != 1)
				break;
		_exit(0);
	}
	long n;
	while (recv(fd, &n, sizeof n, MSG_WAITALL) == sizeof n) {
		for (long left = n * (long)sizeof tcp_block; left > 0;) {
			long r = read(fd, tcp_block, left < (long)sizeof tcp_block ? left : (long)sizeof tcp_block);
			if (r <= 0)
				_exit(1);
			left -= r;
		}
		if (write(fd, "k", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

// lo_up brings the loopback interface up (SIOCSIFFLAGS IFF_UP): a Linux
// init finds it down; oyako's is always up.
static void lo_up(void) {
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		printf("lo_up: SIOCGIFFLAGS failed: %s\n", strerrorname_np(errno));
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			printf("lo_up: SIOCSIFFLAGS failed: %s\n", strerrorname_np(errno));
	}
	if (fd >= 0)
		close(fd);
}

// tcp_row runs one TCP row with n operations a round over a new
// connection to a child.
static void tcp_row(const char *name, op_fn op, long n, int bulk) {
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int one = 1;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, len) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0) {
		printf("%s: no result: TCP listener: %s\n", name, strerrorname_np(errno));
		if (l >= 0)
			close(l);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			_exit(1);
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		tcp_child(c, bulk);
	}
	close(l);
	tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (tcp_fd < 0 || connect(tcp_fd, (struct sockaddr *)&a, len) < 0) {
		printf("%s: no result: TCP connect: %s\n", name, strerrorname_np(errno));
		kill(pid, SIGKILL); // still waiting to accept
		waitpid(pid, NULL, 0);
		if (tcp_fd >= 0)
			close(tcp_fd);
		return;
	}
	setsockopt(tcp_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	run_n(name, op, n);
	close(tcp_fd);
	wait_child(pid);
}

static char *big;
static const size_t bigSize = 64 << 20;

// op_fork_big is fork+exit+wait of a process that has touched 64 MiB.
static void op_fork_big(long n) { op_fork(n); }

static long freeram(void) {
	struct sysinfo si;
	sysinfo(&si);
	return (long)(si.freeram * si.mem_unit);
}

// memfork prints how much free memory a fork of a process that touched
// 64 MiB takes while the child lives: page tables only, nothing copied.
static void memfork(void) {
	if (big == NULL) {
		big = mmap(NULL, bigSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(big, 1, bigSize);
	}
	int p[2];
	pipe(p);
	long before = freeram();
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		read(p[0], &c, 1);
		_exit(big[12345] == 1 ? 0 : 1);
	}
	long after = freeram();
	write(p[1], "x", 1);
	wait_child(pid);
	printf("memfork touched %zu KiB, free before fork %ld KiB, with the child %ld KiB, used by the fork %ld KiB\n",
	       bigSize >> 10, before >> 10, after >> 10, (before - after) >> 10);
}

// The readiness benchmarks ("The Linux Programming Interface", 63.4.5):
// the cost of one call of poll, select and epoll_wait that finds the one
// ready descriptor among nwatch watched eventfds, none of them waiting.
// The ready one is the first, a counter that is never read.
#define MAX_WATCH 10000

static int watched[MAX_WATCH];
static int nwatch;
static struct pollfd pfds[MAX_WATCH];
static fd_set rset;
static int maxfd;
static int epfd = -1;

// watch_n grows the watched set to n eventfds and makes an epoll
// instance that watches them all (level-triggered, for reading).
static int watch_n(int n) {
	for (; nwatch < n; nwatch++) {
		int fd = eventfd(nwatch == 0, EFD_NONBLOCK);
		if (fd < 0)
			return -1;
		watched[nwatch] = fd;
		pfds[nwatch] = (struct pollfd){.fd = fd, .events = POLLIN};
		if (fd > maxfd)
			maxfd = fd;
	}
	FD_ZERO(&rset);
	if (maxfd < FD_SETSIZE)
		for (int i = 0; i < n; i++)
			FD_SET(watched[i], &rset);
	if (epfd >= 0)
		close(epfd);
	epfd = epoll_create1(0);
	if (epfd < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = watched[i]};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, watched[i], &ev) < 0)
			return -1;
	}
	return 0;
}

static void op_poll(long n) {
	for (long i = 0; i < n; i++)
		if (poll(pfds, nwatch, 0) != 1)
			op_failed = "poll did not find the one ready descriptor";
}

static void op_select(long n) {
	for (long i = 0; i < n; i++) {
		fd_set r = rset;
		struct timeval tv = {0, 0};
		if (select(maxfd + 1, &r, NULL, NULL, &tv) != 1)
			op_failed = "select did not find the one ready descriptor";
	}
}

static void op_epoll_wait(long n) {
	struct epoll_event ev;
	for (long i = 0; i < n; i++)
		if (epoll_wait(epfd, &ev, 1, 0) != 1 || ev.data.fd != watched[0])
			op_failed = "epoll_wait did not find the one ready descriptor";
}

// raise_nofile raises RLIMIT_NOFILE past MAX_WATCH descriptors, keeping
// the old limits in *old.
static int raise_nofile(struct rlimit *old) {
	struct rlimit rl = {MAX_WATCH + 64, MAX_WATCH + 64};
	getrlimit(RLIMIT_NOFILE, old);
	if (old->rlim_max > rl.rlim_max)
		rl.rlim_max = old->rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

// readiness runs the table's rows: for N = 10 to 10,000 watched, poll
// and epoll_wait, and select while the descriptors fit in an fd_set.
static void readiness(void) {
	struct rlimit old;
	if (raise_nofile(&old) < 0) {
		printf("readiness: setrlimit(RLIMIT_NOFILE, %d) failed\n", MAX_WATCH + 64);
		return;
	}
	for (int n = 10; n <= MAX_WATCH; n *= 10) {
		if (watch_n(n) < 0) {
			printf("readiness: cannot watch %d eventfds\n", n);
			return;
		}
		char name[64];
		// Fewer calls the more each one looks at.
		long calls = iterations / n;
		snprintf(name, sizeof name, "poll-%d", n);
		run_n(name, op_poll, calls);
		if (maxfd < FD_SETSIZE) {
			snprintf(name, sizeof name, "select-%d", n);
			run_n(name, op_select, calls);
		}
		snprintf(name, sizeof name, "epoll_wait-%d", n);
		run_n(name, op_epoll_wait, iterations / 10);
	}
	close(epfd);
	for (int i = 0; i < nwatch; i++)
		close(watched[i]);
	setrlimit(RLIMIT_NOFILE, &old);
}

// The write rows (issue 11): 32 writes of 64 bytes to /dev/null, by a
// write(2) loop, by io_uring with one io_uring_enter for the 32, and by
// io_uring with SQPOLL, where the kernel's thread takes them from the
// ring while the program enters only to wake it. /dev/null, not a pipe
// drained by another process, so that what differs between the rows is
// the cost of getting 32 writes to the kernel, not the scheduling of a
// reader (which on a single CPU would also compete with the SQ thread).
enum { wbatch = 32, wsize = 64 };

static int devnull = -1;
static char wbuf[wsize];
static struct io_uring wring;
// Writes done and system calls made by the write rows, over all rounds,
// and among the calls the SQ thread wakeups and the yields.
static long wwrites, wcalls, wwakeups, wyields;

static void op_write_loop(long n) {
	for (long i = 0; i < n; i++)
		for (int j = 0; j < wbatch; j++)
			if (write(devnull, wbuf, wsize) != wsize)
				op_failed = "a write to /dev/null failed";
	wwrites += n * wbatch;
	wcalls += n * wbatch;
}

// spin_wait is one turn of a busy wait on the rings that started at
// TSC *since. It makes no system call: an SQ thread on another CPU
// answers in microseconds, and one that shares this CPU (oyako's, on one
// vCPU) gets it when the timer preempts the program. Only after 50
// million cycles (tens of milliseconds, a wait gone wrong) does it yield
// the CPU, counted as one of the benchmark's system calls.
static void spin_wait(uint64_t *since) {
	uint64_t now = __rdtsc();
	if (*since == 0) {
		*since = now;
	} else if (now - *since > 50000000) {
		sched_yield();
		wcalls++;
		wyields++;
		*since = __rdtsc();
	} else {
		_mm_pause();
	}
}

// queue_writes queues 32 writes and publishes them. With SQPOLL the SQ
// ring may still look full after the last batch's CQEs came (the SQ
// thread moves the SQ head after it issued the requests), so it waits
// for room.
static void queue_writes(void) {
	for (uint64_t since = 0; io_uring_sq_space_left(&wring) < wbatch;)
		spin_wait(&since);
	for (int j = 0; j < wbatch; j++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&wring);
		io_uring_prep_write(sqe, devnull, wbuf, wsize, 0);
	}
	// liburing's __io_uring_flush_sq: publish the SQ tail.
	wring.sq.sqe_head = wring.sq.sqe_tail;
	io_uring_smp_store_release(wring.sq.ktail, wring.sq.sqe_tail);
}

// reap_writes takes n CQEs off the ring, which must all be complete
// writes.
static void reap_writes(unsigned n) {
	struct io_uring_cqe *cqe;
	unsigned head;
	io_uring_for_each_cqe(&wring, head, cqe) if (cqe->res != wsize) op_failed = "an io_uring write failed";
	io_uring_cq_advance(&wring, n);
}

// op_uring_enter submits 32 writes and waits for them with one
// io_uring_enter (what io_uring_submit_and_wait does), or more if the
// wait ends early.
static void op_uring_enter(long n) {
	for (long i = 0; i < n; i++) {
		queue_writes();
		unsigned submit = wbatch;
		do {
			long r = syscall(__NR_io_uring_enter, wring.ring_fd, submit, wbatch, IORING_ENTER_GETEVENTS, NULL, 0);
			wcalls++;
			if (r < 0 && errno != EINTR) {
				op_failed = "io_uring_enter failed";
				return;
			}
			if (r > 0)
				submit -= r;
		} while (io_uring_cq_ready(&wring) < wbatch);
		reap_writes(wbatch);
	}
	wwrites += n * wbatch;
}

// op_uring_sqpoll publishes 32 writes, wakes the SQ thread only if it
// set IORING_SQ_NEED_WAKEUP, and spins on the CQ ring until the 32
// CQEs are there.
static void op_uring_sqpoll(long n) {
	for (long i = 0; i < n; i++) {
		queue_writes();
		io_uring_smp_mb();
		if (IO_URING_READ_ONCE(*wring.sq.kflags) & IORING_SQ_NEED_WAKEUP) {
			syscall(__NR_io_uring_enter, wring.ring_fd, 0, 0, IORING_ENTER_SQ_WAKEUP, NULL, 0);
			wcalls++;
			wwakeups++;
		}
		for (uint64_t since = 0; io_uring_cq_ready(&wring) < wbatch;)
			spin_wait(&since);
		reap_writes(wbatch);
	}
	wwrites += n * wbatch;
}

// write_row runs one write row and prints its system calls and writes.
static void write_row(const char *name, op_fn op, long n) {
	wwrites = wcalls = wwakeups = wyields = 0;
	run_n(name, op, n);
	printf("calls %s %ld %ld %ld %ld\n", name, wcalls, wwrites, wwakeups, wyields);
}

// writes runs the three write rows; an io_uring row whose ring cannot be
// set up says so instead.
static void writes(void) {
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0) {
		printf("writes: cannot open /dev/null\n");
		return;
	}
	// 400 batches a round by default: under TCG an SQPOLL batch takes
	// milliseconds (see the README).
	long n = iterations / 500;
	write_row("write-loop-32x64B", op_write_loop, n);
	int e = io_uring_queue_init(wbatch, &wring, 0);
	if (e < 0) {
		printf("uring-enter-32x64B: no result: io_uring_queue_init %s\n", strerrorname_np(-e));
	} else {
		write_row("uring-enter-32x64B", op_uring_enter, n);
		io_uring_queue_exit(&wring);
	}
	// The SQ thread stays awake 2 s without work, longer than a round
	// takes; Linux's spins on a CPU meanwhile.
	struct io_uring_params p = {.flags = IORING_SETUP_SQPOLL, .sq_thread_idle = 2000};
	e = io_uring_queue_init_params(wbatch, &wring, &p);
	if (e < 0) {
		printf("uring-sqpoll-32x64B: no result: io_uring_queue_init_params %s\n", strerrorname_np(-e));
	} else {
		write_row("uring-sqpoll-32x64B", op_uring_sqpoll, n);
		io_uring_queue_exit(&wring);
	}
	close(devnull);
}

// The file rows (issue 12): one-byte reads and writes of the character
// devices, open+close and stat of a file in /tmp, mmap+munmap of a page
// and the fault on a fresh anonymous page.
static const char benchFile[] = "/tmp/bench-file";
static int devzero = -1;

static void op_read_zero(long n) {
	char c;
	for (long i = 0; i < n; i++)
		if (read(devzero, &c, 1) != 1)
			op_failed = "a read of /dev/zero failed";
}

static void op_write_null(long n) {
	char c = 'x';
	for (long i = 0; i < n; i++)
		if (write(devnull, &c, 1) != 1)
			op_failed = "a write to /dev/null failed";
}

static void op_open_close(long n) {
	for (long i = 0; i < n; i++) {
		int fd = open(benchFile, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			op_failed = "open failed";
		close(fd);
	}
}

static void op_stat(long n) {
	struct stat st;
	for (long i = 0; i < n; i++)
		if (stat(benchFile, &st) < 0)
			op_failed = "stat failed";
}

static void op_mmap_munmap(long n) {
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || munmap(p, 4096) < 0)
			op_failed = "mmap or munmap failed";
	}
}

// faultPages is the size in pages of the mappings op_fault touches.
enum { faultPages = 1024 };

// op_fault writes one byte to each of n fresh anonymous pages: mappings
// of faultPages pages (without transparent huge pages, so each page is a
// fault of its own) touched page by page and unmapped, so that one
// operation is a fault plus 1/1024 of an mmap and a munmap.
static void op_fault(long n) {
	while (n > 0) {
		long k = n < faultPages ? n : faultPages;
		char *p = mmap(NULL, k * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			op_failed = "mmap failed";
			return;
		}
		madvise(p, k * 4096, MADV_NOHUGEPAGE);
		for (long i = 0; i < k; i++)
			p[i * 4096] = 1;
		munmap(p, k * 4096);
		n -= k;
	}
}

// files runs the file rows.
static void files(void) {
	int fd = open(benchFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	devzero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || devzero < 0 || devnull < 0) {
		printf("files: cannot open %s, /dev/zero or /dev/null\n", benchFile);
		return;
	}
	close(fd);
	run("read-devzero-1B", op_read_zero);
	run("write-devnull-1B", op_write_null);
	run_n("open-close", op_open_close, iterations / 4);
	run_n("stat", op_stat, iterations / 4);
	run_n("mmap-munmap-1page", op_mmap_munmap, iterations / 10);
	run_n("page-fault-anon", op_fault, iterations / 10);
	close(devzero);
	close(devnull);
	devnull = -1;
	unlink(benchFile);
}

// crowded runs getpid again in a process that holds MAX_WATCH more open
// files and twice as many more mappings (issue 12's scaling row: neither
// may slow a system call that touches neither). The mappings are one
// region of 2 * MAX_WATCH pages whose every other page mprotect makes
// read-only, which splits it into that many VMAs.
static void crowded(void) {
	const char *name = "getpid-10k-files-20k-vmas";
	struct rlimit old;
	if (raise_nofile(&old) < 0) {
		printf("%s: no result: setrlimit(RLIMIT_NOFILE, %d) %s\n", name, MAX_WATCH + 64, strerrorname_np(errno));
		return;
	}
	int n = 0;
	for (; n < MAX_WATCH; n++) {
		watched[n] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (watched[n] < 0) {
			printf("%s: no result: open #%d %s\n", name, n + 1, strerrorname_np(errno));
			goto out;
		}
	}
	size_t len = 2 * MAX_WATCH * 4096L;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("%s: no result: mmap %s\n", name, strerrorname_np(errno));
		goto out;
	}
	for (int i = 0; i < MAX_WATCH; i++) {
		if (mprotect(p + 2 * i * 4096L, 4096, PROT_READ) < 0) {
			printf("%s: no result: mprotect #%d %s\n", name, i + 1, strerrorname_np(errno));
			munmap(p, len);
			goto out;
		}
	}
	run(name, op_getpid);
	munmap(p, len);
out:
	while (n > 0)
		close(watched[--n]);
	setrlimit(RLIMIT_NOFILE, &old);
}

// meminfo returns a field of /proc/meminfo in KiB (-1 if absent).
static long meminfo(const char *field) {
	FILE *f = fopen("/proc/meminfo", "r");
	if (f == NULL)
		return -1;
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			v = atol(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

static int lcmp(const void *a, const void *b) {
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

// sleepers is how many idle processes sleeper starts at once: enough
// that the pages they take exceed what Linux keeps on its per-CPU free
// lists, which MemFree does not count.
enum { sleepers = 32 };

// sleeper prints how much free memory an idle process takes: this
// program run again by fork and execve in its "sleep" mode, which says
// it is ready through a pipe and waits to be killed. It starts sleepers
// of them and divides MemFree's drop among them; the median of three.
static void sleeper(void) {
	long kib[3];
	pid_t pids[sleepers];
	for (int r = 0; r < 3; r++) {
		int p[2];
		if (pipe(p) < 0) {
			printf("sleep-process: no result: pipe %s\n", strerrorname_np(errno));
			return;
		}
		// Settle first: caches and the kernel's free heap given back
		// now, not in the middle of the count (oyako's runtime gives
		// back its garbage when an allocation finds memory short).
		int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
		if (dc >= 0) {
			write(dc, "3", 1);
			close(dc);
		}
		long before = meminfo("MemFree");
		int n = 0;
		for (; n < sleepers; n++) {
			pids[n] = fork();
			if (pids[n] == 0) {
				char fd[16];
				snprintf(fd, sizeof fd, "%d", p[1]);
				char *argv[] = {"sleep", "sleep", fd, NULL};
				close(p[0]);
				execve(self, argv, environ);
				_exit(127);
			}
			if (pids[n] < 0)
				break;
		}
		close(p[1]);
		char c;
		int ready = 0;
		while (ready < n && read(p[0], &c, 1) == 1)
			ready++;
		kib[r] = (before - meminfo("MemFree")) / sleepers;
		close(p[0]);
		for (int i = 0; i < n; i++) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
		if (ready < sleepers) {
			printf("sleep-process: no result: %d of %d sleepers started\n", ready, sleepers);
			return;
		}
	}
	qsort(kib, 3, sizeof kib[0], lcmp);
	printf("kib sleep-process %ld\n", kib[1]);
}

// processes runs the rows of process creation, np times each.
static void processes(long np) {
	run_n("fork-exit-wait", op_fork, np);
	run_n("vfork-exit-wait", op_vfork, np);
	run_n("vfork-execve-wait", op_exec, np);
	if (access(dynTrue, X_OK) == 0)
		run_n("vfork-execve-dynamic-wait", op_exec_dynamic, np / 4);
}

// tsc_per_ns measures the TSC's rate against CLOCK_MONOTONIC over 20 ms.
static double tsc_per_ns(void) {
	uint64_t t0 = now_ns(), c0 = __rdtsc(), t1;
	while ((t1 = now_ns()) - t0 < 20000000)
		;
	return (double)(__rdtsc() - c0) / (t1 - t0);
}

// mounted_init is set when this program is process 1 of a kernel that
// left mounting /proc to it (Linux booting an initramfs).
static int mounted_init;

// init_mounts mounts what a Linux initramfs's init finds unmounted: proc,
// devtmpfs (/dev/null, /dev/zero) and tmpfs on /tmp.
static void init_mounts(void) {
	if (getpid() != 1 || access("/proc/self", F_OK) == 0)
		return;
	mounted_init = 1;
	static const struct {
		const char *dir, *type;
	} m[] = {{"/proc", "proc"}, {"/dev", "devtmpfs"}, {"/tmp", "tmpfs"}};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		mkdir(m[i].dir, 0755);
		if (mount(m[i].type, m[i].dir, m[i].type, 0, NULL) < 0)
			printf("mount %s on %s: %s\n", m[i].type, m[i].dir, strerrorname_np(errno));
	}
}

// init_reboot ends a Linux init's run: what it printed drained to the
// console, the file systems synced, the machine rebooted (QEMU with
// -no-reboot exits).
static void init_reboot(void) {
	fflush(stdout);
	tcdrain(STDOUT_FILENO);
	sync();
	reboot(RB_AUTOBOOT);
}

// sleep_mode is the "sleep" mode: say so on fd and wait to be killed.
static int sleep_mode(const char *fd) {
	if (write(atoi(fd), "x", 1) != 1)
		return 1;
	for (;;)
		pause();
}

int main(int argc, char **argv) {
	uint64_t booted = __rdtsc();
	if (argc > 1 && strcmp(argv[1], "exit") == 0)
		return 0;
	if (argc > 2 && strcmp(argv[1], "sleep") == 0)
		return sleep_mode(argv[2]);
	init_mounts();
	if (getpid() == 1) {
		// The host times the boot to this line (make bench-linux).
		printf("bench-start\n");
		fflush(stdout);
	}
	long kernelKiB = meminfo("MemTotal") - meminfo("MemFree");
	if (argc > 1 && strcmp(argv[1], "memfork") == 0) {
		memfork();
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "writes") == 0) {
		// The write rows alone: bench writes [ITERATIONS].
		if (argc > 2)
			iterations = atol(argv[2]);
		writes();
		return 0;
	}
	// The process rows alone: bench procs [ITERATIONS].
	int procs_only = argc > 1 && strcmp(argv[1], "procs") == 0;
	if (procs_only) {
		argc--;
		argv++;
	}
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0) {
		printf("readlink /proc/self/exe failed\n");
		return 1;
	}
	self[len] = 0;
	if (argc > 1)
		iterations = atol(argv[1]);
	if (iterations < 10)
		iterations = 10;
	if (mounted_init)
		atexit(init_reboot);
	if (getpid() == 1) {
		// Boot rows: from the VM's start (TCG's TSC) to main, and what
		// the kernel holds by then.
		printf("bench boot-to-main %.1f %.1f\n", (double)booted, booted / tsc_per_ns());
		printf("kib kernel-after-boot %ld\n", kernelKiB);
	}
	if (procs_only) {
		processes(iterations / 1000);
		sleeper();
		return 0;
	}
	run("getpid", op_getpid);
	run("enosys", op_enosys);
	run("clock_gettime-vdso", op_clock_gettime_vdso);
	run("clock_gettime-syscall", op_clock_gettime_syscall);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGUSR1, &sa, NULL);
	run("signal-handler-sigreturn", op_signal);
	signal(SIGUSR1, SIG_DFL);
	files();
	crowded();
	readiness();
	writes();
	// Processes: a thousand times fewer iterations.
	long np = iterations / 1000;
	processes(np);
	pipe(ping);
	pipe(pong);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1)
			write(pong[1], &c, 1);
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	run_n("pipe-pingpong", op_pipe, iterations / 100);
	close(ping[1]);
	wait_child(pid);
	if (mounted_init)
		lo_up();
	tcp_row("tcp-pingpong-1B", op_tcp_pingpong, iterations / 100, 0);
	tcp_row("tcp-bulk-64KiB", op_tcp_bulk, iterations / 2000, 1);
	big = mmap(NULL, bigSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(big, 1, bigSize);
	run_n("fork-64MiB-exit-wait", op_fork_big, np);
	memfork();
	munmap(big, bigSize);
	sleeper();
	return 0;
}
