// fuzz.c: oyako's ring-3 system call fuzzer (stage 5, issue 8).
//
// NEVER RUN THIS NATIVELY. It makes random system calls as root: on a
// Linux host it could unlink, truncate or mount over anything. It refuses
// to run unless it is process 1, which it is when oyako runs it as init:
//
//	go run ./cmd/oyako run build-dir/fuzz [-seed N] [-n CALLS] ...
//	make fuzz N=1000000 SEED=...
//
// The parent (process 1) forks one child per batch of calls. The child
// moves into a process group and a scratch directory (/tmp/fuzz/B) of its
// own, makes a pool of real objects (files, directories, pipes, eventfds,
// epoll instances, the console, /proc files, devices, a FIFO, ...; see
// kinds[]), maps its scratch memory, and makes about batch-size raw system
// calls (inline SYSCALL, no glibc wrapper), in one thread or, in one batch
// of four, in two to four threads racing on the same pool and memory. The
// call numbers are random (0-511 and a few above; three in four are
// Linux's calls, typed[]); the arguments are biased towards edges and
// towards what each call expects (argtypes[]).
// A call that ends its caller (exit, munmap of its own text, a signal,
// rt_sigreturn with garbage, execve) ends only that child.
//
// A child rarely makes all its calls: on average it ends after a couple
// of hundred, by exit(2), a fatal signal it sent itself, a garbage
// rt_sigreturn frame, munmap of its own code... So -n counts the calls
// made, and batches follow one another until that many were made.
//
// Everything a batch does follows from (seed, batch index, batch size):
// the batch's seed is mix(seed, batch), each thread's is mix(batch seed,
// thread), and no choice depends on what the kernel answered (only values
// such as file descriptor numbers and IDs do). -seed N -batch K -batches 1
// replays batch K alone (its report and hang lines print this command);
// -only NR,NR,... (or A-B ranges) narrows the numbers; -v prints every
// call (number and argument registers) to stderr before it is made, so
// the last line before a kernel crash names the culprit.
//
// A call that waits for something that never comes (pause, a read of an
// empty pipe, a futex, a lock held through another description) is not a
// hang: a watchdog thread in each child sends the thread stuck in one call
// for a tick or two a signal (WDSIG) whose handler does nothing, and the
// call returns EINTR. Alarms and SIGALRM stay the fuzzed calls' own.
//
// The parent checks that each child ends (exit status or signal) within a
// deadline, SIGKILLs and reports it as a hang otherwise (stopping if even
// SIGKILL does not end it), kills and reaps whatever the child left
// (processes it cloned), unmounts what it mounted, removes its directory,
// restores the console, and checks that the kernel still answers. At the
// end it prints its report (lines "fuzz: FIELD ..."): the seed, calls made,
// distinct numbers reached, how the children ended, hangs, and MemFree
// before and after. It exits 0 only if nothing hung, every child ended and
// the memory came back within the slack.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/io_uring.h>

// BATCH_DONE is the exit status of a child that made all its calls: an
// uncommon value, so that a random exit(2) rarely looks like it (the
// shared page's done flag tells them apart).
#define BATCH_DONE 165

// HANDLER_FAULT is the exit status of a child whose fuzz_handler caught a
// fault signal (returning would fault again).
#define HANDLER_FAULT 166

// WDSIG is the signal the watchdog thread sends a fuzzing thread that has
// been in one system call for a tick or two: its handler does nothing, so
// the call returns EINTR. A real-time signal: none of glibc's own (32, 33),
// and SIGALRM stays the fuzzed calls' own (alarm, setitimer).
#define WDSIG 40
#define WD_TICK_NS (25 * 1000 * 1000)

#define MAXTHREADS 4
#define NSLOT 604 // 0-599, then 1000, -1, x32-bit numbers, others
#define SCRATCH_SIZE (64 * 1024)
#define ARENA_SIZE (64 * 1024)
#define SHARED_FILE_SIZE (16 * 1024)

// ---------------------------------------------------------------------
// Random numbers: xoshiro256** seeded through splitmix64.

typedef struct {
	uint64_t s[4];
} rng_t;

static uint64_t splitmix(uint64_t *x) {
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t mix(uint64_t a, uint64_t b) {
	uint64_t x = a ^ (b * 0xd1342543de82ef95ULL);
	splitmix(&x);
	return splitmix(&x);
}

static void rng_seed(rng_t *r, uint64_t seed) {
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rnd(rng_t *r) {
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

static uint64_t below(rng_t *r, uint64_t n) { return n ? rnd(r) % n : 0; }
static int pct(rng_t *r, int p) { return (int)below(r, 100) < p; }

// ---------------------------------------------------------------------
// Raw system calls.

static long raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

// raw_clone makes a call that may create a process or thread (clone,
// fork, vfork, clone3). The new one (RAX 0) exits at once with exit(2),
// touching no memory: it may run on a random stack, share the caller's
// memory, or be a thread of the caller's group.
static long raw_clone(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

// raw_sigreturn makes rt_sigreturn with the stack pointer at sp: the
// kernel reads the frame at sp-8 (the handler's return popped pretcode).
// If the call returns (it should not), the real stack is put back.
static long raw_sigreturn(void *sp) {
	long ret;
	__asm__ volatile("mov %%rsp, %%r12\n\t"
			 "mov %1, %%rsp\n\t"
			 "syscall\n\t"
			 "mov %%r12, %%rsp"
			 : "=a"(ret)
			 : "r"(sp), "a"((long)SYS_rt_sigreturn)
			 : "r12", "rcx", "r11", "memory");
	return ret;
}

#define sys0(n) raw6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) raw6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) raw6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) raw6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) raw6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

// ---------------------------------------------------------------------
// Output.

static void writeall(int fd, const char *p, size_t n) {
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= w;
	}
}

static void fdprint(int fd, const char *fmt, ...) {
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	writeall(fd, buf, n);
}

// say prints one line of the parent's on a console description of its own,
// opened anew each time: a child may have hung up the console (vhangup,
// or by stealing it as its session's terminal and exiting), set O_NONBLOCK
// on the shared description, or closed the parent's... in its own table.
static void say(const char *fmt, ...) {
	char buf[8192]; // the report's longest line: up to 256 exit statuses with their counts
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	writeall(fd >= 0 ? fd : 1, buf, n);
	if (fd >= 0)
		close(fd);
}

// ---------------------------------------------------------------------
// Options.

static struct {
	uint64_t seed;
	int seeded;
	long calls;	 // -n
	long batch;	 // -batch: first batch index
	long batches;	 // -batches: at most this many (0: no limit)
	long batch_size; // -batch-size
	int verbose;	 // -v
	long only[512];
	int nonly;
	int deadline;	  // seconds per batch
	long progress;	  // calls between progress lines
	// slack_kib is how far below its value before the first batch
	// MemFree may end, both read after drop_caches (the kernel's heap
	// gives back its free memory). Measured with 256 MiB: it drops by
	// 2.1-2.6 MiB within the first 20,000-100,000 calls (the Go
	// runtime's records of the heap's largest extent, goroutines and
	// spans it keeps for reuse) and then settles: -3.4 MiB at a million
	// calls, within 0.2 MiB over the last half million (progress lines
	// every 100,000 calls); -4.1 MiB at most in four runs. 6 MiB passes
	// that and fails a leak of a page every two batches over a million
	// calls.
	long slack_kib;
	int threads_rate; // percent of batches with several threads
} opt = {
	.calls = 10000,
	.batch_size = 1000,
	.deadline = 20,
	.progress = 50000,
	.slack_kib = 6144,
	.threads_rate = 25,
};

static void usage(void) {
	say("usage: fuzz [-seed N] [-n CALLS] [-batch K] [-batches M] [-batch-size B] [-only NR,NR,...] [-v] "
	    "[-deadline SECONDS] [-progress CALLS] [-slack KIB] [-threads PERCENT]");
	exit(2);
}

static void parse_only(const char *s) {
	while (*s) {
		char *end;
		long a = strtol(s, &end, 0), b = a;
		if (end == s)
			usage();
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 0);
			if (end == s)
				usage();
		}
		for (long x = a; x <= b && opt.nonly < 512; x++)
			opt.only[opt.nonly++] = x;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			usage();
	}
}

static void parse_args(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-v")) {
			opt.verbose = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "-seed")) {
			opt.seed = strtoull(v, NULL, 0);
			opt.seeded = 1;
		} else if (!strcmp(a, "-n"))
			opt.calls = strtol(v, NULL, 0);
		else if (!strcmp(a, "-batch"))
			opt.batch = strtol(v, NULL, 0);
		else if (!strcmp(a, "-batches"))
			opt.batches = strtol(v, NULL, 0);
		else if (!strcmp(a, "-batch-size"))
			opt.batch_size = strtol(v, NULL, 0);
		else if (!strcmp(a, "-only"))
			parse_only(v);
		else if (!strcmp(a, "-deadline"))
			opt.deadline = atoi(v);
		else if (!strcmp(a, "-progress"))
			opt.progress = strtol(v, NULL, 0);
		else if (!strcmp(a, "-slack"))
			opt.slack_kib = strtol(v, NULL, 0);
		else if (!strcmp(a, "-threads"))
			opt.threads_rate = atoi(v);
		else
			usage();
	}
	if (opt.calls <= 0 || opt.batch_size <= 0 || opt.batch < 0 || opt.deadline <= 0)
		usage();
}

// ---------------------------------------------------------------------
// The page the children count in, shared with the parent (MAP_SHARED).
// The pointer generator never hands it out, and it lives far from every
// other mapping (SHARED_ADDR), so that a huge read into scratch memory
// cannot run on into it once a random mmap has filled the guard page
// after scratch (seed 8 did that when the page sat just above). A random
// munmap or MAP_FIXED mmap over it may still take it from a child, which
// then dies at its next count (unmapped) or counts into a private page
// (replaced): the parent counts the latter as lost. A write that still
// reaches it shows in its magic word: that batch's counts are lost too.
#define SHARED_ADDR 0x3f0000000000UL
#define SHARED_MAGIC 0x7a7566676e6f6b61UL

struct tslot {
	volatile long nr; // -1: between calls
	volatile long args[6];
	volatile long calls; // calls this thread has made
	volatile int tid;
};

struct shared {
	volatile uint64_t magic;
	volatile uint64_t counts[NSLOT];
	volatile long batch;	   // the batch the child runs
	volatile long batch_calls; // calls made in it
	volatile long batch_excluded; // calls skipped (exclusions)
	volatile long batch_handled;  // fuzz_handler runs
	volatile long batch_corrupted; // of which returned with an edited context
	volatile int done;	   // it made them all
	volatile int nthreads;
	volatile uint32_t kinds; // pool kinds made (bit per kinds[] entry)
	struct tslot slot[MAXTHREADS];
};

static struct shared *sh;

static int slot_of(long nr) {
	if (nr >= 0 && nr < 600)
		return nr;
	if (nr == 1000)
		return 600;
	if (nr == -1)
		return 601;
	if (nr & 0x40000000)
		return 602;
	return 603;
}

// ---------------------------------------------------------------------
// The child's world: its pool of descriptors, memory and paths.

static char scratch_dir[64];
static long my_pid, parent_pid;

static int pool[96];
static int npool;
static int dirfds[8];
static int ndirfds;
static int epfds[4];
static int nepfds;
// The pool's event sources (pipes, eventfds, signalfds, timerfds,
// sockets), which mk_epoll's instances watch with every kind of trigger.
static int evfds[24];
static int nevfds;

static void add_fd(int fd) {
	if (fd >= 0 && npool < (int)(sizeof pool / sizeof pool[0]))
		pool[npool++] = fd;
}

static void add_event(int fd) {
	add_fd(fd);
	if (fd >= 0 && nevfds < (int)(sizeof evfds / sizeof evfds[0]))
		evfds[nevfds++] = fd;
}

static void add_dir(int fd) {
	add_fd(fd);
	if (fd >= 0 && ndirfds < 8)
		dirfds[ndirfds++] = fd;
}

// The kinds of objects in the pool, in one list: a later stage adds its
// own (sockets, io_uring, ...) here. A maker returns 0 if it made its
// objects, -1 if the kernel has no such kind (or refused).
static int mk_files(void) {
	int fd = open("file", O_CREAT | O_RDWR, 0644);
	if (fd < 0)
		return -1;
	char buf[4096];
	for (int i = 0; i < (int)sizeof buf; i++)
		buf[i] = (char)(i * 7);
	for (int i = 0; i < 3; i++)
		writeall(fd, buf, sizeof buf);
	add_fd(fd);
	add_fd(open("file", O_RDONLY));			    // a second description
	add_fd(open("file", O_WRONLY | O_APPEND));	    // append mode
	add_fd(open("file2", O_CREAT | O_RDWR | O_TRUNC, 0600)); // empty
	add_fd(open(".", O_TMPFILE | O_RDWR, 0600));	    // unnamed
	return 0;
}

static int mk_dirs(void) {
	if (mkdir("dir", 0755) < 0 || mkdir("dir/sub", 0700) < 0)
		return -1;
	close(open("dir/f", O_CREAT | O_WRONLY, 0644));
	add_dir(open(".", O_RDONLY | O_DIRECTORY));
	add_dir(open("dir", O_RDONLY | O_DIRECTORY));
	add_dir(open("/proc", O_RDONLY | O_DIRECTORY));
	return 0;
}

static int mk_pipes(void) {
	int p[2], q[2];
	if (pipe(p) < 0 || pipe2(q, O_NONBLOCK) < 0)
		return -1;
	writeall(p[1], "pipe data", 9);
	add_event(p[0]);
	add_event(p[1]);
	add_event(q[0]);
	add_event(q[1]);
	return 0;
}

static int mk_eventfds(void) {
	int a = sys2(SYS_eventfd2, 0, 0), b = sys2(SYS_eventfd2, 3, 04000 /* EFD_NONBLOCK */ | 1 /* EFD_SEMAPHORE */);
	if (a < 0)
		return -1;
	add_event(a);
	add_event(b);
	return 0;
}

static int mk_console(void) {
	add_fd(0);
	add_fd(1);
	add_fd(2);
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	add_fd(fd);
	// A node of the console's own, in the scratch directory, for the
	// path calls (so that unlink or rename of it stays here).
	mknod("console", S_IFCHR | 0600, makedev(5, 1));
	return fd < 0 ? -1 : 0;
}

static int mk_proc(void) {
	int a = open("/proc/self/status", O_RDONLY);
	add_fd(a);
	add_fd(open("/proc/meminfo", O_RDONLY));
	add_fd(open("/proc/self/maps", O_RDONLY));
	return a < 0 ? -1 : 0;
}

static int mk_devices(void) {
	int a = open("/dev/null", O_RDWR), b = open("/dev/zero", O_RDWR);
	add_fd(a);
	add_fd(b);
	mknod("null", S_IFCHR | 0666, makedev(1, 3));
	mknod("zero", S_IFCHR | 0666, makedev(1, 5));
	return a < 0 || b < 0 ? -1 : 0;
}

static int mk_fifo(void) {
	if (mkfifo("fifo", 0644) < 0)
		return -1;
	add_fd(open("fifo", O_RDONLY | O_NONBLOCK));
	add_fd(open("fifo", O_WRONLY | O_NONBLOCK));
	add_fd(open("fifo", O_RDWR));
	return 0;
}

static int mk_opath(void) {
	if (symlink("file", "link") < 0)
		return -1;
	int fd = open("link", O_PATH | O_NOFOLLOW);
	add_fd(fd);
	add_fd(open("dir", O_PATH));
	return fd < 0 ? -1 : 0;
}

// Two signalfds: a blocking one for SIGUSR1, and a non-blocking one for
// signals the fuzzer's calls send and the kernel raises (SIGUSR2, SIGCHLD,
// SIGALRM, and the real-time signals past glibc's own two, up to WDSIG
// but not it). A read takes the reading thread's signals, which random
// masks may or may not block.
static int mk_signalfd(void) {
	uint64_t mask = 1ULL << (SIGUSR1 - 1);
	int a = sys4(SYS_signalfd4, -1, &mask, 8, 0);
	mask = 1ULL << (SIGUSR2 - 1) | 1ULL << (SIGCHLD - 1) | 1ULL << (SIGALRM - 1) | 0x3fULL << 33;
	int b = sys4(SYS_signalfd4, -1, &mask, 8, 04000 /* SFD_NONBLOCK */ | O_CLOEXEC);
	if (a < 0)
		return -1;
	add_event(a);
	add_event(b);
	return 0;
}

// Two timerfds: a blocking one firing every 10 ms, and a non-blocking
// one on the boot-time clock armed once, 1 ms ahead.
static int mk_timerfd(void) {
	int fd = sys2(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
	if (fd < 0)
		return -1;
	struct itimerspec its = {{0, 10000000}, {0, 10000000}};
	sys4(SYS_timerfd_settime, fd, 0, &its, 0);
	add_event(fd);
	int once = sys2(SYS_timerfd_create, CLOCK_BOOTTIME, 04000 /* TFD_NONBLOCK */ | O_CLOEXEC);
	its = (struct itimerspec){{0, 0}, {0, 1000000}};
	sys4(SYS_timerfd_settime, once, 0, &its, 0);
	add_event(once);
	return 0;
}

static int mk_memfd(void) {
	int fd = sys2(SYS_memfd_create, "fuzz", 0);
	if (fd < 0)
		return -1;
	(void)!ftruncate(fd, 8192);
	add_fd(fd);
	return 0;
}

// AF_UNIX sockets: connected pairs of each type (the stream one with
// data queued), a listener bound to a path in the scratch directory with
// a client connected and not yet accepted, and a datagram socket bound
// to an abstract name of the child's own (gen_sockaddr names them).
static struct sockaddr_un sock_path, sock_abstract;
static socklen_t sock_abstract_len;

static int mk_sockets(void) {
	int sv[2], dv[2], qv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	writeall(sv[0], "sock data", 9);
	add_event(sv[0]);
	add_event(sv[1]);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, dv) == 0)
		add_event(dv[0]), add_fd(dv[1]);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, qv) == 0)
		add_fd(qv[0]), add_event(qv[1]);
	sock_path.sun_family = AF_UNIX;
	strcpy(sock_path.sun_path, "sock");
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	bind(l, (struct sockaddr *)&sock_path, sizeof sock_path);
	listen(l, 4);
	add_event(l);
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(c, (struct sockaddr *)&sock_path, sizeof sock_path);
	add_event(c);
	sock_abstract.sun_family = AF_UNIX;
	int n = snprintf(sock_abstract.sun_path + 1, sizeof sock_abstract.sun_path - 1, "fuzz%ld", my_pid);
	sock_abstract_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(d, (struct sockaddr *)&sock_abstract, sock_abstract_len);
	add_fd(d);
	return 0;
}

// TCP and UDP sockets over loopback (stage 10): a listener on
// 127.0.0.1 with a connected pair through it (the client's side with
// data queued) and a second client connected and not yet accepted; an
// IPv6 listener on ::1; a bound UDP socket with a datagram waiting and
// a UDP socket connected to it; an unbound TCP socket; an ICMP echo
// socket. gen_sockaddr names their addresses.
static struct sockaddr_in inet_tcp, inet_udp;
static struct sockaddr_in6 inet_tcp6;

static int mk_inet(void) {
	socklen_t len = sizeof inet_tcp;
	inet_tcp.sin_family = AF_INET;
	inet_tcp.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (l < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&inet_tcp, len) < 0 || listen(l, 8) < 0 ||
	    getsockname(l, (struct sockaddr *)&inet_tcp, &len) < 0) {
		close(l);
		return -1;
	}
	add_event(l);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&inet_tcp, sizeof inet_tcp) == 0) {
		int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		writeall(c, "tcp data", 8);
		int one = 1;
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		add_event(c);
		add_event(s);
	} else
		close(c);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(c, (struct sockaddr *)&inet_tcp, sizeof inet_tcp); // EINPROGRESS
	add_fd(c);
	inet_tcp6.sin6_family = AF_INET6;
	inet_tcp6.sin6_addr = in6addr_loopback;
	len = sizeof inet_tcp6;
	int l6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (bind(l6, (struct sockaddr *)&inet_tcp6, len) == 0 && listen(l6, 4) == 0)
		getsockname(l6, (struct sockaddr *)&inet_tcp6, &len);
	add_fd(l6);
	inet_udp.sin_family = AF_INET;
	inet_udp.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof inet_udp;
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (bind(u, (struct sockaddr *)&inet_udp, len) == 0)
		getsockname(u, (struct sockaddr *)&inet_udp, &len);
	add_event(u);
	int uc = socket(AF_INET, SOCK_DGRAM, 0);
	connect(uc, (struct sockaddr *)&inet_udp, sizeof inet_udp);
	send(uc, "udp data", 8, 0);
	add_fd(uc);
	add_fd(socket(AF_INET6, SOCK_STREAM, 0));
	add_fd(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	return 0;
}

// epoll_add adds fd to the instance ep for events, with data.
static void epoll_add(int ep, int fd, uint32_t events, uint64_t data) {
	struct {
		uint32_t events;
		uint64_t data;
	} __attribute__((packed)) ev = {events, data};
	sys4(SYS_epoll_ctl, ep, 1 /* EPOLL_CTL_ADD */, fd, &ev);
}

// io_uring instances: a plain ring with registered files and a
// registered buffer, an SQPOLL ring, and one with a CQ of 2 entries that
// overflows. Before each io_uring_enter on one of them, fill_sqes queues
// random SQEs (gen_sqe).
struct fring {
	int fd;
	unsigned *sq_tail, *sq_array, sq_mask;
	struct io_uring_sqe *sqes;
	volatile int lock;
};
static struct fring frings[3];
static int nfrings;

static int mk_rings(void) {
	static const unsigned flags[] = {0, IORING_SETUP_SQPOLL, IORING_SETUP_CQSIZE};
	for (int i = 0; i < 3; i++) {
		struct io_uring_params p;
		memset(&p, 0, sizeof p);
		p.flags = flags[i];
		p.sq_thread_idle = 20;
		p.cq_entries = 2;
		int fd = sys2(SYS_io_uring_setup, 4, &p);
		if (fd < 0)
			return i ? 0 : -1;
		size_t rsz = p.sq_off.array + p.sq_entries * 4;
		char *rings = mmap(NULL, rsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
		void *sqes = mmap(NULL, p.sq_entries * 64, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
		if (rings == MAP_FAILED || sqes == MAP_FAILED)
			return -1;
		struct fring *f = &frings[nfrings++];
		f->fd = fd;
		f->sq_tail = (unsigned *)(rings + p.sq_off.tail);
		f->sq_array = (unsigned *)(rings + p.sq_off.array);
		f->sq_mask = *(unsigned *)(rings + p.sq_off.ring_mask);
		f->sqes = sqes;
		if (i == 0) {
			int n = npool < 8 ? npool : 8;
			sys4(SYS_io_uring_register, fd, IORING_REGISTER_FILES, pool, n);
			static char regbuf[16384];
			struct iovec iov = {regbuf, sizeof regbuf};
			sys4(SYS_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1);
		}
		add_event(fd);
	}
	return 0;
}

// The epoll instances come last: the first watches every third object of
// the pool; the third and fourth watch every event source, level- and
// edge-triggered, one-shot and exclusive (two exclusive watches of one
// file), for reading and writing; the second watches the first and the
// third.
static int mk_epoll(void) {
	int a = sys1(SYS_epoll_create1, 0), b = sys1(SYS_epoll_create1, O_CLOEXEC);
	int c = sys1(SYS_epoll_create1, 0), d = sys1(SYS_epoll_create1, 0);
	if (a < 0 || b < 0 || c < 0 || d < 0)
		return -1;
	for (int i = 0; i < npool; i += 3)
		epoll_add(a, pool[i], 0x1 | 0x4, (uint64_t)i);
	static const uint32_t triggers[] = {
		0x1,				   // EPOLLIN
		0x1 | 0x4 | 1u << 31,		   // EPOLLIN|EPOLLOUT|EPOLLET
		0x1 | 1u << 30,			   // EPOLLIN|EPOLLONESHOT
		0x1 | 0x4 | 0x2000 | 1u << 31, // EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET
	};
	for (int i = 0; i < nevfds; i++) {
		epoll_add(c, evfds[i], triggers[i % 4], (uint64_t)i);
		epoll_add(d, evfds[i], 0x1 | 0x4 | 1u << 28 /* EPOLLEXCLUSIVE */ | (i % 2 ? 1u << 31 : 0), (uint64_t)i);
		if (i % 3 == 0)
			epoll_add(a, evfds[i], 0x1 | 1u << 28, (uint64_t)i); // a second exclusive watch
	}
	epoll_add(b, a, 0x1, 7);
	epoll_add(b, c, 0x1 | 1u << 31, 8);
	int eps[] = {a, b, c, d};
	for (int i = 0; i < 4; i++) {
		add_fd(eps[i]);
		epfds[nepfds++] = eps[i];
	}
	return 0;
}

static const struct kind {
	const char *name;
	int (*make)(void);
} kinds[] = {
	{"file", mk_files},
	{"dir", mk_dirs},
	{"pipe", mk_pipes},
	{"eventfd", mk_eventfds},
	{"console", mk_console},
	{"proc", mk_proc},
	{"device", mk_devices},
	{"fifo", mk_fifo},
	{"opath-symlink", mk_opath},
	{"signalfd", mk_signalfd},
	{"timerfd", mk_timerfd},
	{"memfd", mk_memfd},
	{"unix-socket", mk_sockets},
	{"inet-socket", mk_inet},
	{"io_uring", mk_rings},
	{"epoll", mk_epoll}, // last: it watches the others
};
#define NKINDS (int)(sizeof kinds / sizeof kinds[0])

// Paths the path generator names: the pool's (relative to the scratch
// directory, the child's working directory), a few outside it that a
// child cannot harm (procfs), and edge cases. No path names anything the
// parent needs (/dev, /tmp, /, /init).
static const char *const paths[] = {
	"file", "file2", "dir", "dir/sub", "dir/f", "fifo", "link", "null", "zero", "console",
	"nosuch", "dir/nosuch/x", "file/x", "link/", "dir/../file", ".", "", "new", "new2",
	"dir/new", "/proc/self/status", "/proc/meminfo", "/proc/self/maps", "/proc/self/fd/0",
	"/proc", "/proc/self/fd",
};
#define NPATHS (int)(sizeof paths / sizeof paths[0])

// Memory.
static char *scratch;	   // RW, followed by an unmapped guard page
static char *arena_all;	   // RW, one ARENA_SIZE slice per thread
static char *ro_page;	   // PROT_READ
static char *unmapped;	   // was mapped, is not
static char *shared_map;   // MAP_SHARED of the pool's "file"
static char *self_text;	   // a page of this program's text
static char *self_data;	   // a page of its data

// ---------------------------------------------------------------------
// Threads and the watchdog.

struct fthread {
	int index;
	long calls;
	rng_t rng;
	rng_t side; // choices added with handlers, apart from rng's stream
	pthread_t pt;
	volatile int tid;
	volatile int in_call;
	volatile unsigned long progress, seen;
	volatile int finished; // done with its calls, or about to exit(2)
	char *arena;
	sigjmp_buf land; // where a plausible rt_sigreturn frame lands
	char *land_stack;
	char *alt_stack; // its sigaltstack (SA_ONSTACK handlers), or NULL
	unsigned long handled; // fuzz_handler runs on this thread (its choices' seed)
};

static struct fthread threads[MAXTHREADS];
static int nthreads;
static volatile int wd_stop;
static __thread struct fthread *self;

static void on_wdsig(int sig) { (void)sig; }

static void install_wd_handler(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_wdsig; // no SA_RESTART: the call returns EINTR
	sigaction(WDSIG, &sa, NULL);
}

static void unblock_wdsig(void) {
	uint64_t m = 1ULL << (WDSIG - 1);
	sys4(SYS_rt_sigprocmask, SIG_UNBLOCK, &m, 0, 8);
}

// watchdog interrupts a fuzzing thread that has been in one call for a
// tick or two, so that a call that legitimately waits forever (pause, a
// read of an empty pipe, a futex wait, a lock held by another
// description) ends with EINTR instead of as a hang. It ends once every
// fuzzing thread has finished.
static void *watchdog(void *arg) {
	(void)arg;
	struct timespec tick = {0, WD_TICK_NS};
	// The process ID comes from the kernel, not from my_pid: a random
	// call may write over the fuzzer's own data (seed 16024639320428143385
	// batch 605 zeroed my_pid, every tgkill failed with EINVAL and the
	// child hung in rt_sigsuspend).
	long pid = sys0(SYS_getpid);
	for (;;) {
		nanosleep(&tick, NULL);
		int live = 0;
		for (int i = 0; i < nthreads; i++) {
			struct fthread *t = &threads[i];
			if (t->finished)
				continue;
			live++;
			unsigned long p = t->progress;
			if (t->in_call && p == t->seen && t->tid && sys3(SYS_tgkill, pid, t->tid, WDSIG) == -EAGAIN) {
				// The signal queue is full: a random call lowered
				// RLIMIT_SIGPENDING, and tgkill of a real-time
				// signal past it is refused (EAGAIN, as on Linux).
				// Lift the limit (the child is root) and send again.
				uint64_t inf[2] = {~0ULL, ~0ULL}; // RLIM_INFINITY
				sys4(SYS_prlimit64, 0, 11 /* RLIMIT_SIGPENDING */, inf, 0);
				sys3(SYS_tgkill, pid, t->tid, WDSIG);
			}
			t->seen = p;
		}
		if (!live || wd_stop)
			return NULL;
	}
}

// ---------------------------------------------------------------------
// Argument generation.

// Kinds of argument, one letter each, per system call in argtypes[]:
//   f fd       d dirfd      p path      b buffer     l length/size
//   n count    F flags      m mode      P pid        s signal
//   a address  t timespec   T ms timeout  S sigset   z sigset size
//   A sigaction v iovec     e epoll_event o pollfd array
//   u uid/gid  c clockid    i ioctl     w small enum  y fs type
//   V argv     k clone_args L offset    E sigevent   x anything
//   K sockaddr N sockaddr length        M msghdr (or mmsghdr array)
//   X extended attribute name
static const char *const argtypes[512] = {
	[SYS_read] = "fbl", [SYS_write] = "fbl", [SYS_open] = "pFm", [SYS_close] = "f",
	[SYS_stat] = "pb", [SYS_fstat] = "fb", [SYS_lstat] = "pb", [SYS_poll] = "onT",
	[SYS_lseek] = "fLw", [SYS_mmap] = "alwFfL", [SYS_mprotect] = "alw", [SYS_munmap] = "al",
	[SYS_brk] = "a", [SYS_rt_sigaction] = "sAAz", [SYS_rt_sigprocmask] = "wSSz",
	[SYS_ioctl] = "fib", [SYS_pread64] = "fblL", [SYS_pwrite64] = "fblL", [SYS_readv] = "fvn",
	[SYS_writev] = "fvn", [SYS_access] = "pw", [SYS_pipe] = "b", [SYS_select] = "nbbbt",
	[SYS_mremap] = "allFa", [SYS_msync] = "alF", [SYS_mincore] = "alb", [SYS_madvise] = "alw",
	[SYS_dup] = "f", [SYS_dup2] = "ff", [SYS_nanosleep] = "tb", [SYS_getitimer] = "wb",
	[SYS_alarm] = "n", [SYS_setitimer] = "wtb", [SYS_sendfile] = "ffbl", [SYS_socket] = "www",
	[SYS_clone] = "Faabb", [SYS_execve] = "pVV", [SYS_exit] = "n", [SYS_wait4] = "PbFb",
	[SYS_kill] = "Ps", [SYS_uname] = "b", [SYS_fcntl] = "fwx", [SYS_flock] = "fF",
	[SYS_fsync] = "f", [SYS_fdatasync] = "f", [SYS_truncate] = "pL", [SYS_ftruncate] = "fL",
	[SYS_getdents] = "fbl", [SYS_getcwd] = "bl", [SYS_chdir] = "p", [SYS_fchdir] = "f",
	[SYS_rename] = "pp", [SYS_mkdir] = "pm", [SYS_rmdir] = "p", [SYS_creat] = "pm",
	[SYS_link] = "pp", [SYS_unlink] = "p", [SYS_symlink] = "pp", [SYS_readlink] = "pbl",
	[SYS_chmod] = "pm", [SYS_fchmod] = "fm", [SYS_chown] = "puu", [SYS_fchown] = "fuu",
	[SYS_lchown] = "puu", [SYS_umask] = "m", [SYS_gettimeofday] = "bb", [SYS_getrlimit] = "wb",
	[SYS_getrusage] = "wb", [SYS_sysinfo] = "b", [SYS_times] = "b", [SYS_ptrace] = "wPaa",
	[SYS_setuid] = "u", [SYS_setgid] = "u", [SYS_setpgid] = "PP", [SYS_setreuid] = "uu",
	[SYS_setregid] = "uu", [SYS_getgroups] = "nb", [SYS_setgroups] = "nb",
	[SYS_setresuid] = "uuu", [SYS_getresuid] = "bbb", [SYS_setresgid] = "uuu",
	[SYS_getresgid] = "bbb", [SYS_getpgid] = "P", [SYS_setfsuid] = "u", [SYS_setfsgid] = "u",
	[SYS_getsid] = "P", [SYS_capget] = "bb", [SYS_capset] = "bb", [SYS_rt_sigpending] = "bz",
	[SYS_rt_sigtimedwait] = "Sbtz", [SYS_rt_sigqueueinfo] = "Psb", [SYS_rt_sigsuspend] = "Sz",
	[SYS_sigaltstack] = "bb", [SYS_utime] = "pb", [SYS_mknod] = "pmx", [SYS_personality] = "F",
	[SYS_statfs] = "pb", [SYS_fstatfs] = "fb", [SYS_getpriority] = "wP", [SYS_setpriority] = "wPn",
	[SYS_sched_setparam] = "Pb", [SYS_sched_getparam] = "Pb", [SYS_sched_setscheduler] = "Pwb",
	[SYS_sched_getscheduler] = "P", [SYS_mlock] = "al", [SYS_munlock] = "al", [SYS_mlockall] = "F",
	[SYS_pivot_root] = "pp", [SYS_prctl] = "wxxxx", [SYS_arch_prctl] = "wa", [SYS_adjtimex] = "b",
	[SYS_setrlimit] = "wb", [SYS_chroot] = "p", [SYS_acct] = "p", [SYS_settimeofday] = "bb",
	[SYS_mount] = "ppyFb", [SYS_umount2] = "pF", [SYS_reboot] = "xxxb", [SYS_sethostname] = "bl",
	[SYS_setdomainname] = "bl", [SYS_tkill] = "Ps", [SYS_time] = "b", [SYS_futex] = "bwntbn",
	[SYS_sched_setaffinity] = "Plb", [SYS_sched_getaffinity] = "Plb", [SYS_epoll_create] = "n",
	[SYS_getdents64] = "fbl", [SYS_set_tid_address] = "b", [SYS_clock_settime] = "cb",
	[SYS_clock_gettime] = "cb", [SYS_clock_getres] = "cb", [SYS_clock_nanosleep] = "cFtb",
	[SYS_exit_group] = "n", [SYS_epoll_wait] = "fbnT", [SYS_epoll_ctl] = "fwfe",
	[SYS_tgkill] = "PPs", [SYS_utimes] = "pb", [SYS_waitid] = "wPbFb", [SYS_openat] = "dpFm",
	[SYS_mkdirat] = "dpm", [SYS_mknodat] = "dpmx", [SYS_fchownat] = "dpuuF", [SYS_futimesat] = "dpb",
	[SYS_newfstatat] = "dpbF", [SYS_unlinkat] = "dpF", [SYS_renameat] = "dpdp",
	[SYS_linkat] = "dpdpF", [SYS_symlinkat] = "pdp", [SYS_readlinkat] = "dpbl",
	[SYS_fchmodat] = "dpm", [SYS_faccessat] = "dpw", [SYS_pselect6] = "nbbbtb",
	[SYS_ppoll] = "ontSz", [SYS_unshare] = "F", [SYS_set_robust_list] = "bl",
	[SYS_get_robust_list] = "Pbb", [SYS_splice] = "fbfblF", [SYS_tee] = "fflF",
	[SYS_sync_file_range] = "fLLF", [SYS_vmsplice] = "fvnF", [SYS_utimensat] = "dpbF",
	[SYS_epoll_pwait] = "fbnTSz", [SYS_signalfd] = "fSz", [SYS_timerfd_create] = "cF",
	[SYS_timer_create] = "cEb", [SYS_timer_settime] = "wFtb", [SYS_timer_gettime] = "wb",
	[SYS_timer_getoverrun] = "w", [SYS_timer_delete] = "w",
	[SYS_eventfd] = "n", [SYS_fallocate] = "fwLL", [SYS_timerfd_settime] = "fFbb",
	[SYS_timerfd_gettime] = "fb", [SYS_signalfd4] = "fSzF", [SYS_eventfd2] = "nF",
	[SYS_epoll_create1] = "F", [SYS_dup3] = "ffF", [SYS_pipe2] = "bF", [SYS_inotify_init1] = "F",
	[SYS_preadv] = "fvnLL", [SYS_pwritev] = "fvnLL", [SYS_rt_tgsigqueueinfo] = "PPsb",
	[SYS_prlimit64] = "Pwbb", [SYS_syncfs] = "f", [SYS_setns] = "fF", [SYS_getcpu] = "bbb",
	[SYS_process_vm_readv] = "PvnvnF", [SYS_process_vm_writev] = "PvnvnF",
	[SYS_kcmp] = "PPwff", [SYS_renameat2] = "dpdpF", [SYS_getrandom] = "blF",
	[SYS_memfd_create] = "pF", [SYS_execveat] = "dpVVF", [SYS_membarrier] = "wF",
	[SYS_mlock2] = "alF", [SYS_copy_file_range] = "fbfblF", [SYS_preadv2] = "fvnLLF",
	[SYS_pwritev2] = "fvnLLF", [SYS_statx] = "dpFFb", [SYS_rseq] = "blFn",
	[SYS_pidfd_send_signal] = "fsbF", [SYS_pidfd_open] = "PF", [SYS_clone3] = "kl",
	[SYS_close_range] = "ffF", [SYS_openat2] = "dpbl", [SYS_pidfd_getfd] = "ffF",
	[SYS_faccessat2] = "dpwF", [SYS_epoll_pwait2] = "fbntSz",
	[SYS_io_uring_setup] = "nb", [SYS_io_uring_enter] = "fnnFSz", [SYS_io_uring_register] = "fwbn",
	[SYS_socketpair] = "wwwb", [SYS_bind] = "fKN", [SYS_connect] = "fKN", [SYS_listen] = "fn",
	[SYS_accept] = "fbb", [SYS_accept4] = "fbbF", [SYS_getsockname] = "fbb", [SYS_getpeername] = "fbb",
	[SYS_sendto] = "fblFKN", [SYS_recvfrom] = "fblFbb", [SYS_sendmsg] = "fMF", [SYS_recvmsg] = "fMF",
	[SYS_sendmmsg] = "fMnF", [SYS_recvmmsg] = "fMnFt", [SYS_shutdown] = "fw",
	[SYS_setsockopt] = "fwwbl", [SYS_getsockopt] = "fwwbb",
	[452] = "dpmF", // fchmodat2
	[SYS_setxattr] = "pXblF", [SYS_lsetxattr] = "pXblF", [SYS_fsetxattr] = "fXblF",
	[SYS_getxattr] = "pXbl", [SYS_lgetxattr] = "pXbl", [SYS_fgetxattr] = "fXbl",
	[SYS_listxattr] = "pbl", [SYS_llistxattr] = "pbl", [SYS_flistxattr] = "fbl",
	[SYS_removexattr] = "pX", [SYS_lremovexattr] = "pX", [SYS_fremovexattr] = "fX",
	[463] = "dpFXbl", [464] = "dpFXbl", [465] = "dpFbl", [466] = "dpFX", // the *xattrat calls
	// Calls without arguments, so that they are in typed[] too.
	[SYS_sched_yield] = "", [SYS_pause] = "", [SYS_getpid] = "", [SYS_fork] = "", [SYS_vfork] = "",
	[SYS_getuid] = "", [SYS_getgid] = "", [SYS_geteuid] = "", [SYS_getegid] = "", [SYS_getppid] = "",
	[SYS_getpgrp] = "", [SYS_setsid] = "", [SYS_gettid] = "", [SYS_sync] = "", [SYS_munlockall] = "",
	[SYS_vhangup] = "", [SYS_restart_syscall] = "", [SYS_inotify_init] = "", [SYS_rt_sigreturn] = "",
};

// Signal-mask arguments: which argument of which call is a sigset the
// call applies while it waits. The fuzzer clears WDSIG in them (when they
// point into its own memory), or the watchdog could not interrupt the
// wait.
static int sigmask_arg(long nr) {
	switch (nr) {
	case SYS_rt_sigsuspend:
		return 0;
	case SYS_ppoll:
		return 3;
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
	case SYS_io_uring_enter: // without IORING_ENTER_EXT_ARG (make_call)
		return 4;
	}
	return -1;
}

// One call being made.
struct call {
	long nr;
	long a[6];
};

static int in_region(const void *p, size_t n, const char *base, size_t size) {
	return base && (const char *)p >= base && (const char *)p + n <= base + size;
}

// ours reports whether [p, p+n) lies in memory the fuzzer made and may
// read and write (scratch, arenas, the shared file mapping).
static int ours(long p, size_t n) {
	const void *q = (const void *)p;
	return in_region(q, n, scratch, SCRATCH_SIZE) || in_region(q, n, arena_all, ARENA_SIZE * MAXTHREADS) ||
	       in_region(q, n, shared_map, SHARED_FILE_SIZE);
}

static void fill_random(rng_t *r, void *p, size_t n) {
	unsigned char *b = p;
	while (n >= 8) {
		uint64_t v = rnd(r);
		memcpy(b, &v, 8);
		b += 8;
		n -= 8;
	}
	while (n--)
		*b++ = (unsigned char)rnd(r);
}

// arena_alloc hands out n bytes of the calling thread's arena for one
// call's structures (reset before each call).
static __thread size_t t_arena_used;

static char *arena_alloc(size_t n) {
	n = (n + 15) & ~(size_t)15;
	if (t_arena_used + n > ARENA_SIZE)
		t_arena_used = 0;
	char *p = self->arena + t_arena_used;
	t_arena_used += n;
	return p;
}

static long gen_int(rng_t *r) {
	static const long edges[] = {
		0, 1, 2, 3, -1, -2, INT_MAX, INT_MIN, UINT_MAX, LONG_MAX, LONG_MIN, 4095, 4096, 4097,
		65536, 1L << 31, 1L << 32, 1L << 47, 0x7fffffffffffL, -4096, 0x80, 0xff, 0xffff, 100,
	};
	switch (below(r, 5)) {
	case 0:
		return edges[below(r, sizeof edges / sizeof edges[0])];
	case 1:
		return (long)below(r, 65);
	case 2:
		return (long)(rnd(r) & 0xffffffff);
	case 3:
		return (long)rnd(r);
	default:
		return (long)below(r, 4096);
	}
}

static long gen_len(rng_t *r) {
	switch (below(r, 12)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(r, 64);
	case 2:
	case 3:
		return 4096 * (1 + below(r, 16));
	case 4:
		return 4095 + below(r, 3);
	case 5:
		return (long)1 << (20 + below(r, 24)); // huge
	case 6:
		return -1;
	case 7:
		return INT_MAX;
	case 8:
		return (long)INT_MIN;
	case 9:
		return -(long)(1 + below(r, 8192)); // negative
	case 10:
		return 1 + below(r, SCRATCH_SIZE);
	default:
		return 8 * below(r, 129);
	}
}

static long gen_flags(rng_t *r) {
	switch (below(r, 10)) {
	case 0:
	case 1:
		return 0;
	case 2:
		return -1;
	case 3:
		return (long)(rnd(r) & 0xffffffff);
	default: {
		long f = 0;
		int bits = 1 + below(r, 4);
		for (int i = 0; i < bits; i++)
			f |= 1L << below(r, pct(r, 90) ? 32 : 64);
		return f;
	}
	}
}

// gen_ptr returns a pointer for a buffer of about n bytes: most often
// into the scratch mapping or the arena (random bytes), else NULL,
// unmapped, read-only, kernel-half or non-canonical addresses.
static long gen_ptr(rng_t *r, size_t n) {
	if (n > SCRATCH_SIZE)
		n = SCRATCH_SIZE;
	switch (below(r, 20)) {
	case 0:
		return 0;
	case 1:
		return (long)unmapped + (long)below(r, 4096);
	case 2:
		return (long)ro_page + (long)below(r, 4096 - (n < 4096 ? n : 0));
	case 3: {
		static const unsigned long kern[] = {
			0xffff800000000000UL, 0xffff888000000000UL, 0xffffffff80000000UL,
			0xffffffff80200000UL, 0xffffffffff600000UL, 0xfffffffffffff000UL, -1UL,
		};
		return (long)(kern[below(r, sizeof kern / sizeof kern[0])] + (pct(r, 50) ? below(r, 1 << 20) * 8 : 0));
	}
	case 4: {
		static const unsigned long nc[] = {
			0x0000800000000000UL, 0x8000000000000000UL, 0x00007ffffffff000UL,
			0x00007fffffffffffUL, 0x0000800000001000UL, 0x7fffffffffffffffUL,
		};
		return (long)nc[below(r, sizeof nc / sizeof nc[0])];
	}
	case 5: // straddling the end of scratch into its guard page
		return (long)scratch + SCRATCH_SIZE - (long)below(r, n + 1);
	case 6:
		return (long)shared_map + (long)below(r, SHARED_FILE_SIZE);
	case 7: {
		char *p = arena_alloc(n ? n : 16);
		fill_random(r, p, n ? n : 16);
		return (long)p;
	}
	case 8: // a random user address
		return (long)(rnd(r) & 0x7ffffffff000UL);
	default:
		return (long)scratch + (long)below(r, SCRATCH_SIZE - n + 1);
	}
}

static long gen_fd(rng_t *r) {
	switch (below(r, 20)) {
	case 0:
		return -1;
	case 1:
		return (long)below(r, 64);
	case 2:
		return pct(r, 50) ? 1023 + below(r, 3) : INT_MAX;
	case 3:
		return -100; // AT_FDCWD
	default:
		return npool ? pool[below(r, npool)] : 0;
	}
}

static long gen_dirfd(rng_t *r) {
	if (pct(r, 50))
		return -100; // AT_FDCWD
	if (pct(r, 60) && ndirfds)
		return dirfds[below(r, ndirfds)];
	return gen_fd(r);
}

static long gen_path(rng_t *r) {
	if (pct(r, 8))
		return gen_ptr(r, 16); // a pointer that may not be a string
	char *p = arena_alloc(4200);
	switch (below(r, 12)) {
	case 0: { // random bytes, NUL-terminated
		size_t n = below(r, 40);
		for (size_t i = 0; i < n; i++)
			p[i] = (char)(1 + below(r, 255));
		p[n] = 0;
		break;
	}
	case 1: { // too long: past NAME_MAX, or past PATH_MAX
		size_t n = pct(r, 50) ? 256 + below(r, 8) : 4096 + below(r, 8);
		memset(p, 'a', n);
		if (n > 300)
			for (size_t i = 200; i < n; i += 200)
				p[i] = '/';
		p[n] = 0;
		break;
	}
	case 2: { // unterminated, running into scratch's guard page
		size_t n = 1 + below(r, 300);
		p = scratch + SCRATCH_SIZE - n;
		memset(p, 'b', n);
		break;
	}
	default:
		strcpy(p, paths[below(r, NPATHS)]);
	}
	return (long)p;
}

static long gen_pid(rng_t *r) {
	switch (below(r, 12)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return my_pid;
	case 3:
		return self->tid;
	case 4:
		return 1; // init, the parent: Linux protects it (SIGNAL_UNKILLABLE)
	case 5:
		return -1;
	case 6:
		return -my_pid; // the child's process group
	case 7:
		return INT_MAX;
	case 8:
		return INT_MIN;
	case 9:
		return threads[below(r, nthreads)].tid;
	default:
		return (long)below(r, 64);
	}
}

static long gen_sig(rng_t *r) {
	switch (below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return SIGKILL;
	case 2:
		return SIGSTOP;
	case 3:
		return 65 + below(r, 64);
	case 4:
		return -1;
	default:
		return 1 + below(r, 64);
	}
}

static long gen_addr(rng_t *r) {
	switch (below(r, 20)) {
	case 0:
	case 1:
		return 0;
	case 2:
		return (long)shared_map + 4096 * below(r, SHARED_FILE_SIZE / 4096);
	case 3:
		return (long)(rnd(r) & 0x7ffffffff000UL);
	case 4:
		return (long)(0x10000 + 4096 * below(r, 4096));
	case 5:
		return (long)unmapped;
	case 6:
		return gen_ptr(r, 0);
	case 7:
		return (long)0x7ffffffff000UL - 4096 * below(r, 16);
	case 8: // the program's own text or data: munmap or mprotect of
		// them ends the child, as it should
		return pct(r, 50) ? (long)self_text : (long)self_data;
	case 9:
		return (long)ro_page;
	case 10:
		return (long)scratch + (long)below(r, SCRATCH_SIZE); // unaligned
	default:
		return (long)scratch + 4096 * (long)below(r, SCRATCH_SIZE / 4096);
	}
}

// probe_read copies n bytes at p into out through a pipe of the
// child's own (fds 1021 and 1022): the kernel reads them, so an
// unreadable p fails (EFAULT) instead of killing the fuzzer. Threads
// take turns.
static pthread_mutex_t probe_mu = PTHREAD_MUTEX_INITIALIZER;
#define PROBE_R 1021
#define PROBE_W 1022

static int probe_read(long p, void *out, size_t n) {
	pthread_mutex_lock(&probe_mu);
	int ok = sys3(SYS_write, PROBE_W, p, n) == (long)n && sys3(SYS_read, PROBE_R, out, n) == (long)n;
	pthread_mutex_unlock(&probe_mu);
	return ok;
}

static void clear_wdsig(void *p) {
	uint64_t m;
	memcpy(&m, p, 8);
	m &= ~(1ULL << (WDSIG - 1));
	memcpy(p, &m, 8);
}

static long gen_sigset(rng_t *r) {
	if (pct(r, 15))
		return gen_ptr(r, 8);
	uint64_t *m = (uint64_t *)arena_alloc(16);
	m[0] = pct(r, 20) ? ~0ULL : (uint64_t)gen_flags(r);
	m[1] = rnd(r);
	clear_wdsig(m);
	return (long)m;
}

static long gen_timespec(rng_t *r) {
	if (pct(r, 20))
		return pct(r, 50) ? 0 : gen_ptr(r, 32);
	long *ts = (long *)arena_alloc(32);
	for (int i = 0; i < 4; i += 2) { // room for an itimerspec or itimerval
		switch (below(r, 6)) {
		case 0:
			ts[i] = 0, ts[i + 1] = 0;
			break;
		case 1:
			ts[i] = 0, ts[i + 1] = below(r, 1000000000);
			break;
		case 2:
			ts[i] = below(r, 3), ts[i + 1] = below(r, 1000);
			break;
		case 3:
			ts[i] = gen_int(r), ts[i + 1] = gen_int(r);
			break;
		case 4:
			ts[i] = 0, ts[i + 1] = pct(r, 50) ? 1000000000 : -1;
			break;
		default:
			ts[i] = pct(r, 50) ? LONG_MAX : -1, ts[i + 1] = below(r, 1000);
		}
	}
	return (long)ts;
}

static void fuzz_handler(int sig, siginfo_t *si, void *ucp);
static long glibc_restorer; // glibc's __restore_rt, read back from WDSIG's action
#define SA_RESTORER 0x04000000 // the kernel's flag: glibc's headers keep it to themselves
#define SS_AUTODISARM (1U << 31)

// hsigs are the signals a child may give fuzz_handler at its start and
// sends itself now and then.
static const int hsigs[] = {SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGPIPE,   SIGURG,  SIGWINCH, SIGIO, SIGHUP, SIGINT, SIGTERM,
			    SIGVTALRM, SIGPROF, 35, 36, 37, 38, 39, 41, 50, 64};
#define NHSIGS (sizeof hsigs / sizeof hsigs[0])

// real_handler makes the kernel_sigaction at sa install fuzz_handler,
// returning through glibc's restorer, a random address or none (the
// frame cannot be built), perhaps on the thread's alternate stack. Its
// choices come from the side generator r, so that the calls a seed makes
// are the ones it made before the fuzzer had handlers.
static void real_handler(rng_t *r, long *sa) {
	sa[0] = (long)fuzz_handler;
	sa[1] = (pct(r, 60) ? SA_SIGINFO : 0) | (pct(r, 40) ? SA_ONSTACK : 0) | (pct(r, 30) ? SA_RESTART : 0) |
		(pct(r, 15) ? SA_NODEFER : 0) | (pct(r, 10) ? SA_RESETHAND : 0);
	int ret = (int)below(r, 10);
	sa[2] = 0;
	if (ret < 9)
		sa[1] |= SA_RESTORER;
	if (ret < 8)
		sa[2] = glibc_restorer;
	else if (ret == 8)
		sa[2] = gen_ptr(r, 0);
}

static long gen_sigaction(rng_t *r) {
	if (pct(r, 25))
		return pct(r, 40) ? 0 : gen_ptr(r, 32);
	long *sa = (long *)arena_alloc(32);
	switch (below(r, 4)) {
	case 0:
		sa[0] = 0; // SIG_DFL
		break;
	case 1:
		sa[0] = 1; // SIG_IGN
		break;
	case 2:
		sa[0] = (long)scratch; // not executable: the signal kills
		break;
	default:
		sa[0] = gen_ptr(r, 0);
	}
	sa[1] = gen_flags(r);
	sa[2] = pct(r, 50) ? 0 : gen_ptr(r, 0);
	sa[3] = gen_flags(r);
	clear_wdsig(&sa[3]);
	if (self && pct(&self->side, 40))
		real_handler(&self->side, sa);
	return (long)sa;
}

// gen_sigevent makes a struct sigevent for timer_create: each
// notification kind, a signal from gen_sig, a thread of this child (or
// any number) for SIGEV_THREAD_ID.
static long gen_sigevent(rng_t *r) {
	if (pct(r, 20))
		return pct(r, 50) ? 0 : gen_ptr(r, 64);
	long *ev = (long *)arena_alloc(64);
	fill_random(r, ev, 64);
	static const int notify[] = {0 /* SIGEV_SIGNAL */, 1 /* SIGEV_NONE */, 2 /* SIGEV_THREAD */, 4 /* SIGEV_THREAD_ID */};
	int *iv = (int *)ev;
	iv[2] = (int)gen_sig(r);
	iv[3] = pct(r, 90) ? notify[below(r, 4)] : (int)gen_int(r);
	iv[4] = pct(r, 80) ? (int)self->tid : (int)gen_int(r);
	return (long)ev;
}

static long gen_iovec(rng_t *r) {
	if (pct(r, 15))
		return gen_ptr(r, 64);
	int n = 1 + below(r, 8);
	long *iov = (long *)arena_alloc(16 * 8);
	for (int i = 0; i < n; i++) {
		iov[2 * i] = gen_ptr(r, 512);
		iov[2 * i + 1] = pct(r, 70) ? (long)below(r, 1024) : gen_len(r);
	}
	for (int i = n; i < 8; i++)
		iov[2 * i] = (long)scratch, iov[2 * i + 1] = below(r, 64);
	return (long)iov;
}

// gen_sockaddr names the pool's sockets (the listener's path, the
// abstract name, the TCP listeners' and the UDP socket's addresses) or
// something else: another family, a path that is not a socket, another
// port, garbage.
static long gen_sockaddr(rng_t *r) {
	if (pct(r, 15))
		return gen_ptr(r, 110);
	struct sockaddr_un *a = (struct sockaddr_un *)arena_alloc(sizeof *a);
	if (pct(r, 40)) {
		switch (below(r, 4)) {
		case 0:
			memcpy(a, &inet_tcp, sizeof inet_tcp);
			break;
		case 1:
			memcpy(a, &inet_udp, sizeof inet_udp);
			break;
		case 2:
			memcpy(a, &inet_tcp6, sizeof inet_tcp6);
			break;
		default:
			// Another port or address of either family, or AF_UNSPEC.
			memcpy(a, pct(r, 50) ? (void *)&inet_tcp : (void *)&inet_tcp6, sizeof inet_tcp6);
			((struct sockaddr_in *)a)->sin_port = (in_port_t)(pct(r, 50) ? 0 : rnd(r));
			if (pct(r, 20))
				a->sun_family = AF_UNSPEC;
		}
		return (long)a;
	}
	switch (below(r, 6)) {
	case 0:
	case 1:
		*a = sock_path;
		break;
	case 2:
	case 3:
		*a = sock_abstract;
		break;
	case 4:
		a->sun_family = AF_UNIX;
		strcpy(a->sun_path, pct(r, 50) ? "file" : "fifo");
		break;
	default:
		a->sun_family = (sa_family_t)(pct(r, 50) ? below(r, 12) : rnd(r));
		for (size_t i = 0; i < sizeof a->sun_path; i++)
			a->sun_path[i] = (char)rnd(r);
	}
	return (long)a;
}

static long gen_sockaddr_len(rng_t *r) {
	if (pct(r, 30))
		return pct(r, 50) ? (long)sizeof(struct sockaddr_in) : (long)sizeof(struct sockaddr_in6);
	switch (below(r, 5)) {
	case 0:
		return sizeof(struct sockaddr_un);
	case 1:
		return sock_abstract_len;
	case 2:
		return (long)below(r, 130);
	case 3:
		return 2;
	default:
		return pct(r, 80) ? (long)sizeof(struct sockaddr_un) : gen_int(r);
	}
}

// gen_msghdr makes one to four struct mmsghdr (a struct msghdr and its
// length each): iovecs, sometimes an address, sometimes control data
// passing pool descriptors (SCM_RIGHTS) or credentials, sometimes
// broken lengths.
static long gen_msghdr(rng_t *r) {
	if (pct(r, 10))
		return gen_ptr(r, 64);
	int n = 1 + below(r, 4);
	struct mmsghdr *v = (struct mmsghdr *)arena_alloc(sizeof *v * 4);
	memset(v, 0, sizeof *v * 4);
	for (int i = 0; i < n; i++) {
		struct msghdr *m = &v[i].msg_hdr;
		m->msg_iov = (struct iovec *)gen_iovec(r);
		m->msg_iovlen = pct(r, 80) ? below(r, 9) : (size_t)gen_int(r);
		if (pct(r, 30)) {
			m->msg_name = (void *)gen_sockaddr(r);
			m->msg_namelen = (socklen_t)gen_sockaddr_len(r);
		}
		if (pct(r, 40)) {
			size_t len = CMSG_SPACE(4 * 3) + CMSG_SPACE(sizeof(struct ucred));
			char *c = arena_alloc(len);
			memset(c, 0, len);
			struct cmsghdr *h = (struct cmsghdr *)c;
			int k = 1 + below(r, 3);
			h->cmsg_level = pct(r, 90) ? SOL_SOCKET : (int)below(r, 300);
			h->cmsg_type = pct(r, 70) ? SCM_RIGHTS : (int)below(r, 4);
			h->cmsg_len = CMSG_LEN(4 * k);
			for (int j = 0; j < k; j++) {
				int fd = (int)gen_fd(r);
				memcpy(CMSG_DATA(h) + 4 * j, &fd, 4);
			}
			struct cmsghdr *h2 = (struct cmsghdr *)(c + CMSG_SPACE(4 * 3));
			struct ucred u = {(pid_t)(pct(r, 70) ? my_pid : gen_pid(r)), 0, 0};
			h2->cmsg_level = SOL_SOCKET;
			h2->cmsg_type = SCM_CREDENTIALS;
			h2->cmsg_len = pct(r, 80) ? CMSG_LEN(sizeof u) : below(r, 40);
			memcpy(CMSG_DATA(h2), &u, sizeof u);
			m->msg_control = c;
			m->msg_controllen = pct(r, 70) ? (pct(r, 50) ? CMSG_SPACE(4 * k) : len) : (size_t)gen_len(r);
		} else if (pct(r, 30)) {
			m->msg_control = (void *)gen_ptr(r, 64);
			m->msg_controllen = (size_t)gen_len(r);
		}
	}
	return (long)v;
}

static long gen_epoll_event(rng_t *r) {
	if (pct(r, 15))
		return gen_ptr(r, 12);
	char *e = arena_alloc(16);
	uint32_t ev = (uint32_t)(pct(r, 70) ? (long)(below(r, 32) | (pct(r, 30) ? 1u << (28 + below(r, 4)) : 0)) : gen_flags(r));
	uint64_t data = rnd(r);
	memcpy(e, &ev, 4);
	memcpy(e + 4, &data, 8);
	return (long)e;
}

static long gen_pollfds(rng_t *r) {
	if (pct(r, 15))
		return gen_ptr(r, 64);
	int *p = (int *)arena_alloc(16 * 8);
	for (int i = 0; i < 16; i++) {
		p[2 * i] = (int)gen_fd(r);
		p[2 * i + 1] = (int)(pct(r, 70) ? below(r, 0x4000) : rnd(r));
	}
	return (long)p;
}

static long gen_argv(rng_t *r) {
	if (pct(r, 30))
		return pct(r, 50) ? 0 : gen_ptr(r, 64);
	long *v = (long *)arena_alloc(8 * 8);
	int n = below(r, 7);
	for (int i = 0; i < n; i++)
		v[i] = pct(r, 80) ? gen_path(r) : gen_ptr(r, 8);
	v[n] = 0;
	return (long)v;
}

static long gen_clone_args(rng_t *r) {
	if (pct(r, 20))
		return gen_ptr(r, 88);
	long *c = (long *)arena_alloc(96);
	c[0] = gen_flags(r);			      // flags
	c[1] = pct(r, 50) ? 0 : gen_ptr(r, 4);	      // pidfd
	c[2] = pct(r, 50) ? 0 : gen_ptr(r, 4);	      // child_tid
	c[3] = pct(r, 50) ? 0 : gen_ptr(r, 4);	      // parent_tid
	c[4] = pct(r, 70) ? (long)below(r, 65) : gen_int(r); // exit_signal
	c[5] = pct(r, 50) ? 0 : gen_ptr(r, 256);      // stack
	c[6] = pct(r, 50) ? 0 : gen_len(r);	      // stack_size
	c[7] = pct(r, 70) ? 0 : gen_ptr(r, 0);	      // tls
	c[8] = pct(r, 80) ? 0 : gen_ptr(r, 8);	      // set_tid
	c[9] = pct(r, 80) ? 0 : (long)below(r, 40);   // set_tid_size
	c[10] = pct(r, 80) ? 0 : gen_fd(r);	      // cgroup
	return (long)c;
}

static long gen_ioctl(rng_t *r) {
	static const long reqs[] = {
		0x5401, 0x5402, 0x5403, 0x5404, 0x5405, 0x5406, 0x5407, 0x5408, // TCGETS ... TCSETAF
		0x5409, 0x540a, 0x540b,		// TCSBRK TCXONC TCFLSH
		0x540c, 0x540d, 0x540e,		// TIOCEXCL TIOCNXCL TIOCSCTTY
		0x540f, 0x5410, 0x5411, 0x5412, // TIOCGPGRP TIOCSPGRP TIOCOUTQ TIOCSTI
		0x5413, 0x5414, 0x541b, 0x5420, // TIOCGWINSZ TIOCSWINSZ FIONREAD TIOCPKT
		0x5421, 0x5422, 0x5429, 0x5450, // FIONBIO TIOCNOTTY TIOCGSID FIONCLEX
		0x5451, 0x5452, 0x5437, 0x541d, // FIOCLEX FIOASYNC TIOCVHANGUP TIOCCONS
		0x80045430, 0x40045431, 0x5460, // TIOCGPTN TIOCSPTLCK FIOQSIZE
		0x8008667e, 0x4008667d, 0x80086601, 0x40086602, // FIOGETOWN-ish, FS_IOC_[GS]ETFLAGS
		0x5441, 0x5456, 0x5423, 0x5424, // TIOCGSERIAL-ish, TIOCGLCKTRMIOS, TIOCSETD, TIOCGETD
	};
	if (pct(r, 80))
		return reqs[below(r, sizeof reqs / sizeof reqs[0])];
	return gen_int(r);
}

static long gen_arg(rng_t *r, char kind, long nr);

static long gen_any(rng_t *r, long nr) {
	static const char any[] = "fdpbblnFmPsatSAvuxxx";
	return gen_arg(r, any[below(r, sizeof any - 1)], nr);
}

static long gen_arg(rng_t *r, char kind, long nr) {
	switch (kind) {
	case 'f':
		return gen_fd(r);
	case 'd':
		return gen_dirfd(r);
	case 'p':
		return gen_path(r);
	case 'b':
		return gen_ptr(r, 4096);
	case 'l':
		return gen_len(r);
	case 'n':
		return pct(r, 70) ? (long)below(r, 17) : gen_int(r);
	case 'F':
		return gen_flags(r);
	case 'm':
		return pct(r, 60) ? (long)(below(r, 8) << 12 | below(r, 07777)) : gen_int(r);
	case 'P':
		return gen_pid(r);
	case 's':
		return gen_sig(r);
	case 'a':
		return gen_addr(r);
	case 't':
		return gen_timespec(r);
	case 'T':
		return pct(r, 70) ? (long)below(r, 20) : gen_int(r);
	case 'S':
		return gen_sigset(r);
	case 'z':
		return pct(r, 85) ? 8 : gen_int(r);
	case 'A':
		return gen_sigaction(r);
	case 'E':
		return gen_sigevent(r);
	case 'K':
		return gen_sockaddr(r);
	case 'N':
		return gen_sockaddr_len(r);
	case 'M':
		return gen_msghdr(r);
	case 'v':
		return gen_iovec(r);
	case 'e':
		return gen_epoll_event(r);
	case 'o':
		return gen_pollfds(r);
	case 'u':
		return pct(r, 70) ? (long)(below(r, 3) ? below(r, 3) : 65534) : gen_int(r);
	case 'c':
		return pct(r, 80) ? (long)below(r, 12) : gen_int(r);
	case 'i':
		return gen_ioctl(r);
	case 'w':
		return pct(r, 80) ? (long)below(r, 9) : gen_int(r);
	case 'y': {
		static const char *const fst[] = {"tmpfs", "ramfs", "proc", "devtmpfs", "sysfs", "ext4", "", "none"};
		char *p = arena_alloc(16);
		strcpy(p, fst[below(r, sizeof fst / sizeof fst[0])]);
		return pct(r, 90) ? (long)p : gen_ptr(r, 8);
	}
	case 'X': {
		static const char *const names[] = {"user.a", "user.b", "trusted.t", "security.s", "security.capability",
			"system.posix_acl_access", "system.posix_acl_default", "system.sockprotoname", "user.", "other.x", ""};
		char *p = arena_alloc(32);
		strcpy(p, names[below(r, sizeof names / sizeof names[0])]);
		return pct(r, 90) ? (long)p : gen_ptr(r, 300);
	}
	case 'V':
		return gen_argv(r);
	case 'k':
		return gen_clone_args(r);
	case 'L':
		return pct(r, 60) ? (long)below(r, 20000) : gen_int(r);
	default:
		return gen_any(r, nr);
	}
}

// typed lists the numbers argtypes[] describes (Linux's system calls):
// three picks in four come from it, so that most calls are ones Linux
// has (numbers 335-423 and past 466 have none) and get arguments of the
// kinds they expect; the rest are any number of 0-511, or above.
static long typed[512];
static int ntyped;

static void init_typed(void) {
	for (int i = 0; i < 512; i++)
		if (argtypes[i])
			typed[ntyped++] = i;
}

static long pick_nr(rng_t *r) {
	if (opt.nonly)
		return opt.only[below(r, opt.nonly)];
	if (pct(r, 75))
		return typed[below(r, ntyped)];
	if (pct(r, 90))
		return (long)below(r, 512);
	switch (below(r, 4)) {
	case 0:
		return 512 + below(r, 89);
	case 1:
		return 1000;
	case 2:
		return -1;
	default:
		return 0x40000000 | below(r, 512); // the x32 bit
	}
}

// gen_sqe makes a random SQE: mostly a known opcode with arguments of
// the kinds it takes. A path an opcode would create, remove or rename is
// one of the generator's, checked as a call's are (resolves_outside): one that
// resolves outside the scratch directory makes the SQE a NOP.
static int resolves_outside(long p);

static void gen_sqe(rng_t *r, struct io_uring_sqe *s) {
	memset(s, 0, sizeof *s);
	s->opcode = pct(r, 92) ? (uint8_t)below(r, IORING_OP_LAST + 2) : (uint8_t)rnd(r);
	s->flags = pct(r, 60) ? 0 : (uint8_t)(pct(r, 80) ? 1u << below(r, 7) : rnd(r));
	s->fd = (s->flags & IOSQE_FIXED_FILE) && pct(r, 80) ? (int)below(r, 10) : (int)gen_fd(r);
	s->off = pct(r, 60) ? below(r, 8192) : (uint64_t)gen_int(r);
	s->len = pct(r, 70) ? (uint32_t)below(r, 4097) : (uint32_t)gen_len(r);
	s->rw_flags = pct(r, 60) ? 0 : (int)gen_flags(r);
	s->user_data = rnd(r);
	s->buf_index = pct(r, 80) ? (uint16_t)below(r, 4) : (uint16_t)rnd(r);
	s->splice_fd_in = pct(r, 80) ? 0 : (int)gen_fd(r);
	switch (s->opcode) {
	case IORING_OP_TIMEOUT:
	case IORING_OP_LINK_TIMEOUT:
	case IORING_OP_TIMEOUT_REMOVE:
		s->addr = pct(r, 80) ? (uint64_t)gen_timespec(r) : rnd(r);
		if (s->opcode != IORING_OP_TIMEOUT_REMOVE && pct(r, 80))
			s->len = 1;
		break;
	case IORING_OP_READV:
	case IORING_OP_WRITEV:
		s->addr = (uint64_t)gen_iovec(r);
		s->len = (uint32_t)below(r, 4);
		break;
	case IORING_OP_SENDMSG:
	case IORING_OP_RECVMSG:
		s->addr = (uint64_t)gen_msghdr(r);
		break;
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
	case IORING_OP_STATX:
	case IORING_OP_UNLINKAT:
	case IORING_OP_MKDIRAT:
	case IORING_OP_RENAMEAT:
	case IORING_OP_LINKAT:
	case IORING_OP_SYMLINKAT:
		s->fd = (int)gen_dirfd(r);
		s->addr = (uint64_t)gen_path(r);
		s->addr2 = (uint64_t)gen_path(r);
		if (s->opcode == IORING_OP_OPENAT2)
			s->addr2 = (uint64_t)gen_ptr(r, 24);
		if (s->opcode == IORING_OP_STATX)
			s->addr2 = (uint64_t)gen_ptr(r, 256);
		int two = s->opcode == IORING_OP_RENAMEAT || s->opcode == IORING_OP_LINKAT || s->opcode == IORING_OP_SYMLINKAT;
		if ((s->opcode != IORING_OP_SYMLINKAT && resolves_outside((long)s->addr)) || (two && resolves_outside((long)s->addr2)))
			s->opcode = IORING_OP_NOP;
		break;
	case IORING_OP_ASYNC_CANCEL:
	case IORING_OP_POLL_REMOVE:
		s->addr = pct(r, 50) ? below(r, 4) : rnd(r);
		break;
	default:
		s->addr = (uint64_t)gen_ptr(r, 4096);
	}
}

// fill_sqes queues random SQEs in the ring fd names, if it is one of the
// pool's, before an io_uring_enter on it.
static void fill_sqes(rng_t *r, long fd) {
	for (int i = 0; i < nfrings; i++) {
		struct fring *f = &frings[i];
		if (f->fd != fd)
			continue;
		while (__atomic_exchange_n(&f->lock, 1, __ATOMIC_ACQUIRE))
			;
		unsigned tail = *f->sq_tail;
		int n = 1 + (int)below(r, 6);
		for (int k = 0; k < n; k++, tail++) {
			unsigned idx = tail & f->sq_mask;
			gen_sqe(r, &f->sqes[idx]);
			f->sq_array[idx] = pct(r, 98) ? idx : (unsigned)rnd(r);
		}
		__atomic_store_n(f->sq_tail, tail, __ATOMIC_RELEASE);
		__atomic_store_n(&f->lock, 0, __ATOMIC_RELEASE);
	}
}

static void gen_call(rng_t *r, struct call *c) {
	t_arena_used = 0;
	c->nr = pick_nr(r);
	const char *types = c->nr >= 0 && c->nr < 512 ? argtypes[c->nr] : NULL;
	int typed = types && pct(r, 85); // else every argument is anything
	for (int i = 0; i < 6; i++) {
		char k = typed && i < (int)strlen(types) ? types[i] : 'x';
		c->a[i] = (typed && i >= (int)strlen(types) && pct(r, 70)) ? 0 : gen_arg(r, k, c->nr);
	}
	if (c->nr == SYS_io_uring_enter && pct(r, 90)) {
		if (nfrings && pct(r, 80))
			c->a[0] = frings[below(r, nfrings)].fd;
		fill_sqes(r, c->a[0]);
	}
}

// ---------------------------------------------------------------------
// Exclusions: calls that would end or wreck the whole run (the parent,
// which is pid 1, or the machine) rather than the child making them. As
// few as possible, each with its reason; a call that merely crashes the
// kernel is never excluded (that is a bug to find).
//
// Not excluded, because Linux itself protects the run: kill, tkill,
// tgkill, rt_sigqueueinfo and pidfd_send_signal of pid 1 (init is
// SIGNAL_UNKILLABLE: a signal whose action is the default, SIGKILL and
// SIGSTOP included, never reaches it from its descendants, and the parent
// installs no handler); kill(-1, sig), which spares init and the caller;
// and everything that changes only the child (its limits, credentials,
// mappings, root directory, signal state).

static int readable(long p) { return ours(p, 1) || in_region((void *)p, 1, ro_page, 4096); }

static int resolves_outside(long p) {
	char path[4096 + 1], real[PATH_MAX];
	if (!readable(p))
		return 0; // the kernel faults on it (or reads a mapping the
			  // fuzzer never names): not a path of ours
	size_t n = 0;
	while (n < 4096 && readable(p + n) && ((char *)p)[n])
		n++;
	memcpy(path, (char *)p, n);
	path[n] = 0;
	if (!realpath(path, real)) {
		// A path that does not exist yet: judge its directory.
		char *slash = strrchr(path, '/');
		if (!slash)
			strcpy(path, ".");
		else
			*slash = 0;
		if (!realpath(path[0] ? path : "/", real))
			return 0; // the call will fail as well
	}
	size_t k = strlen(scratch_dir);
	return strncmp(real, scratch_dir, k) != 0 || (real[k] != 0 && real[k] != '/');
}

static int x_reboot(const long *a) {
	// reboot(2) checks its two magic numbers first (EINVAL otherwise).
	return (unsigned int)a[0] == 0xfee1dead &&
	       ((unsigned int)a[1] == 672274793 || (unsigned int)a[1] == 85072278 ||
		(unsigned int)a[1] == 369367448 || (unsigned int)a[1] == 537993216);
}

static int x_prlimit(const long *a) { return (a[0] == 1 || a[0] == parent_pid) && a[2] != 0; }
static int x_pid1(const long *a) { return a[0] == 1 || a[0] == parent_pid; }

static int x_ptrace(const long *a) {
	long req = a[0];
	return req == 0 /* PTRACE_TRACEME */ ||
	       ((req == 16 /* ATTACH */ || req == 0x4206 /* SEIZE */) && x_pid1(a + 1));
}

static int x_mount(const long *a) {
	// Mounting over, or moving, anything outside the child's
	// directory (through a symlink too): the parent's /proc, /dev, /.
	return resolves_outside(a[1]) || ((a[3] & MS_MOVE) && resolves_outside(a[0]));
}

static int x_umount(const long *a) { return resolves_outside(a[0]); }
static int x_always(const long *a) {
	(void)a;
	return 1;
}

static const struct exclusion {
	long nr;
	int (*hit)(const long *a);
	const char *why;
} exclusions[] = {
	{SYS_reboot, x_reboot, "with Linux's magic numbers it halts, powers off or restarts the machine"},
	{SYS_prlimit64, x_prlimit,
	 "setting pid 1's limits (root may): RLIMIT_NOFILE or RLIMIT_NPROC of 0 leaves the parent unable to open "
	 "/proc/meminfo or fork the next child"},
	{SYS_process_vm_writev, x_pid1, "writes into the parent's memory (root may)"},
	{SYS_ptrace, x_ptrace,
	 "PTRACE_TRACEME makes the parent a tracer that never resumes the child's ptrace stops; PTRACE_ATTACH or "
	 "PTRACE_SEIZE of pid 1 stops the parent"},
	{SYS_mount, x_mount, "a target (or MS_MOVE source) outside the child's directory: the parent's /, /dev, /proc"},
	{SYS_umount2, x_umount, "a target outside the child's directory: the parent's /proc or /dev"},
	{SYS_pivot_root, x_always, "changes the root directory of every process, the parent's too"},
	{428 /* open_tree */, x_always,
	 "with move_mount and mount_setattr (the new mount API) it can detach, move or remount the parent's "
	 "mounts through descriptors the fuzzer cannot vet cheaply"},
	{429 /* move_mount */, x_always, "see open_tree"},
	{442 /* mount_setattr */, x_always, "see open_tree"},
};

static const struct exclusion *excluded(const struct call *c) {
	for (size_t i = 0; i < sizeof exclusions / sizeof exclusions[0]; i++)
		if (exclusions[i].nr == c->nr && exclusions[i].hit(c->a))
			return &exclusions[i];
	return NULL;
}

// ---------------------------------------------------------------------
// The fuzzer's own signal handler, which random sigactions install.

// fuzz_handler counts, sometimes makes a harmless system call, and
// sometimes edits its own ucontext in a way the kernel's rt_sigreturn
// must sanitize (privileged RFLAGS bits) or refuse with SIGSEGV (CS, SS,
// the XSAVE header, MXCSR's reserved bits, the fpstate pointer) before
// it returns. A synchronous fault signal ends the child instead:
// returning would only run the faulting instruction (or the refused
// return) again, for ever. Its choices follow from the thread's seed and
// how many times it ran there.
static void fuzz_handler(int sig, siginfo_t *si, void *ucp) {
	(void)si;
	__atomic_add_fetch(&sh->batch_handled, 1, __ATOMIC_RELAXED);
	if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP)
		sys1(SYS_exit_group, HANDLER_FAULT);
	if (!self)
		return; // the watchdog thread
	rng_t r;
	rng_seed(&r, mix(self->rng.s[0], ++self->handled));
	long buf[4];
	if (pct(&r, 30)) {
		switch (below(&r, 5)) {
		case 0:
			sys0(SYS_getpid);
			break;
		case 1:
			sys0(SYS_sched_yield);
			break;
		case 2:
			sys2(SYS_sigaltstack, 0, buf);
			break;
		case 3:
			sys4(SYS_rt_sigprocmask, SIG_BLOCK, 0, buf, 8);
			break;
		default:
			sys2(SYS_kill, my_pid, 0);
		}
	}
	if (!pct(&r, 25))
		return;
	__atomic_add_fetch(&sh->batch_corrupted, 1, __ATOMIC_RELAXED);
	ucontext_t *uc = ucp;
	greg_t *g = uc->uc_mcontext.gregs;
	uint16_t *seg = (uint16_t *)&g[REG_CSGSFS]; // cs, gs, fs, ss
	unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
	switch (below(&r, 8)) {
	case 0: {
		// IOPL, NT, VM, VIF, VIP, ID, AC (rarely), IF cleared: all but
		// AC dropped (FIX_EFLAGS). Never DF or TF: the fuzzer's C code
		// would go on with them.
		static const long bits[] = {0x3000, 0x4000, 0x20000, 0x80000, 0x100000, 0x200000, 0x1000};
		g[REG_EFL] |= bits[below(&r, 7)] | (pct(&r, 50) ? bits[below(&r, 7)] : 0);
		if (pct(&r, 5))
			g[REG_EFL] |= 0x40000; // AC
		if (pct(&r, 30))
			g[REG_EFL] &= ~0x200L;
		break;
	}
	case 1:
		seg[0] = pct(&r, 50) ? (uint16_t)below(&r, 0x80) : (uint16_t)rnd(&r);
		break;
	case 2:
		seg[3] = pct(&r, 50) ? (uint16_t)below(&r, 0x80) : 0;
		if (pct(&r, 50))
			uc->uc_flags &= ~4UL; // UC_STRICT_RESTORE_SS: a bad SS is replaced
		break;
	case 3:
		if (fp)
			*(uint64_t *)(fp + 512) |= 1UL << below(&r, 64); // xstate_bv
		break;
	case 4:
		if (fp)
			*(uint64_t *)(fp + 512 + 8 * below(&r, 8)) = rnd(&r); // xcomp_bv or reserved words
		break;
	case 5:
		if (fp)
			*(uint32_t *)(fp + 24) |= 1U << (6 + below(&r, 26)); // MXCSR, reserved bits included
		break;
	case 6:
		if (fp)
			*(uint32_t *)(fp + 464 + 4 * below(&r, 5)) = (uint32_t)rnd(&r); // software bytes
		break;
	default: {
		// No gen_ptr: its arena allocation is not safe in a handler.
		long at[] = {0, (long)unmapped, (long)ro_page + 64 * (long)below(&r, 56),
			     (long)scratch + 16 * (long)below(&r, SCRATCH_SIZE / 16 - 256), (long)0xffffffff80000000UL,
			     (long)0x0000800000000000UL};
		uc->uc_mcontext.fpregs = (void *)at[below(&r, 6)];
	}
	}
}

// ---------------------------------------------------------------------
// Making calls.

// A plausible rt_sigreturn frame lands here, on the thread's landing
// stack, with whatever registers the frame held: back to the loop.
static void landing(void) {
	__asm__ volatile("cld");
	unblock_wdsig();
	siglongjmp(self->land, 1);
}

static void do_sigreturn(rng_t *r) {
	// struct rt_sigframe: pretcode, ucontext (uc_flags, uc_link,
	// uc_stack, sigcontext, uc_sigmask), siginfo. Random bytes, or a
	// frame whose registers are plausible and land back here.
	long *f = (long *)arena_alloc(1024);
	fill_random(r, f, 1024);
	if (pct(r, 60)) {
		long *sc = f + 1 + 5; // sigcontext: r8..r15 rdi rsi rbp rbx rdx rax rcx rsp rip eflags csgsfs err trapno oldmask cr2 fpstate
		f[1] = below(r, 8);	  // uc_flags (UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS)
		f[2] = 0;		  // uc_link
		if (pct(r, 70))
			f[3] = 0, f[4] = 2 /* SS_DISABLE */, f[5] = 0; // uc_stack
		sc[15] = (long)self->land_stack;      // rsp
		sc[16] = (long)landing;		      // rip
		sc[17] = pct(r, 70) ? 0x202 : (long)(rnd(r) & 0x3f7fd7); // eflags
		sc[18] = pct(r, 80) ? 0x2b000000000033L : (long)rnd(r); // cs, gs, fs, ss
		sc[23] = pct(r, 70) ? 0 : gen_ptr(r, 512);		  // fpstate
		long *mask = sc + 32;					  // uc_sigmask
		*mask = pct(r, 50) ? 0 : gen_flags(r);
		clear_wdsig(mask);
	}
	if (sigsetjmp(self->land, 0) == 0)
		raw_sigreturn(f + 1);
}

// sanitize_mask makes sure the signal mask *arg points to does not block
// WDSIG while the call waits: cleared in place in the fuzzer's own
// memory, else (memory a random mmap mapped, say) replaced by a cleaned
// copy if it could be read and blocks WDSIG. An unreadable mask is left:
// the call fails with EFAULT.
static void sanitize_mask(long *arg) {
	uint64_t m;
	if (!*arg)
		return;
	if (ours(*arg, 8)) {
		clear_wdsig((void *)*arg);
		return;
	}
	if (!probe_read(*arg, &m, 8) || !(m & (1ULL << (WDSIG - 1))))
		return;
	uint64_t *copy = (uint64_t *)arena_alloc(8);
	*copy = m;
	clear_wdsig(copy);
	*arg = (long)copy;
}

static long make_call(rng_t *r, struct call *c) {
	if (c->nr == SYS_rt_sigreturn) {
		do_sigreturn(r);
		return 0;
	}
	if (c->nr == SYS_io_uring_enter && (c->a[3] & IORING_ENTER_EXT_ARG)) {
		// Argument 4 is a struct io_uring_getevents_arg whose first
		// field points to the mask: none, so that the watchdog can
		// interrupt the wait.
		if (ours(c->a[4], 24))
			((long *)c->a[4])[0] = 0;
		else
			c->a[4] = 0;
	}
	int m = c->nr == SYS_io_uring_enter && (c->a[3] & IORING_ENTER_EXT_ARG) ? -1 : sigmask_arg(c->nr);
	if (m >= 0)
		sanitize_mask(&c->a[m]);
	if (c->nr == SYS_pselect6 && c->a[5]) {
		// Its sixth argument is {const sigset_t *ss; size_t ss_len}.
		long sel[2];
		if (ours(c->a[5], 16))
			sanitize_mask((long *)c->a[5]);
		else if (probe_read(c->a[5], sel, 16)) {
			long was = sel[0];
			sanitize_mask(&sel[0]);
			if (sel[0] != was) {
				long *copy = (long *)arena_alloc(16);
				copy[0] = sel[0], copy[1] = sel[1];
				c->a[5] = (long)copy;
			}
		}
	}
	if (c->nr == SYS_exit)
		self->finished = 1; // it ends this thread (and it cannot fail)
	switch (c->nr) {
	case SYS_clone:
	case SYS_fork:
	case SYS_vfork:
	case SYS_clone3:
		return raw_clone(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	}
	return raw6(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

// after_call puts back what the watchdog needs, if the call took it away
// from this thread: WDSIG's handler and its place outside the mask.
static void after_call(const struct call *c, long ret) {
	if (c->nr == SYS_rt_sigaction && c->a[0] == WDSIG)
		install_wd_handler();
	// A handler of fuzz_handler's just installed: send its signal to
	// this thread at once, half the time, so that handlers run often.
	if (c->nr == SYS_rt_sigaction && ret == 0 && ours(c->a[1], 32) && *(long *)c->a[1] == (long)fuzz_handler &&
	    c->a[0] > 0 && c->a[0] <= 64 && c->a[0] != SIGKILL && c->a[0] != SIGSTOP && pct(&self->side, 50))
		sys3(SYS_tgkill, my_pid, self->tid, c->a[0]);
	if (c->nr == SYS_rt_sigprocmask)
		unblock_wdsig();
}

// raise_handled sends this thread sig if fuzz_handler is its handler (a
// default action would end the batch).
static void raise_handled(int sig) {
	long k[4];
	if (sys4(SYS_rt_sigaction, sig, 0, k, 8) == 0 && k[0] == (long)fuzz_handler)
		sys3(SYS_tgkill, my_pid, self->tid, sig);
}

static void *fuzz_thread(void *arg) {
	struct fthread *t = arg;
	self = t;
	t->tid = sys0(SYS_gettid);
	struct tslot *slot = &sh->slot[t->index];
	slot->tid = t->tid;
	unblock_wdsig();
	if (t->alt_stack) {
		stack_t ss = {.ss_sp = t->alt_stack, .ss_size = 65536, .ss_flags = t->index & 1 ? SS_AUTODISARM : 0};
		sigaltstack(&ss, NULL);
	}
	int logfd = opt.verbose ? 1023 : -1;
	for (long k = 0; k < t->calls; k++) {
		if (pct(&t->side, 3))
			raise_handled(hsigs[below(&t->side, NHSIGS)]);
		struct call c;
		gen_call(&t->rng, &c);
		const struct exclusion *x = excluded(&c);
		if (x) {
			__atomic_add_fetch(&sh->batch_excluded, 1, __ATOMIC_RELAXED);
			if (opt.verbose)
				fdprint(logfd, "fuzz: batch %ld thread %d call %ld: %ld excluded\n", sh->batch, t->index, k, c.nr);
			continue;
		}
		if (opt.verbose)
			fdprint(logfd, "fuzz: batch %ld thread %d call %ld: %ld %#lx %#lx %#lx %#lx %#lx %#lx\n", sh->batch,
				t->index, k, c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
		slot->nr = c.nr;
		for (int i = 0; i < 6; i++)
			slot->args[i] = c.a[i];
		slot->calls = k + 1;
		__atomic_add_fetch(&sh->counts[slot_of(c.nr)], 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&sh->batch_calls, 1, __ATOMIC_RELAXED);
		t->in_call = 1;
		long ret = make_call(&t->rng, &c);
		t->in_call = 0;
		t->progress++;
		slot->nr = -1;
		after_call(&c, ret);
	}
	t->finished = 1;
	return NULL;
}

// ---------------------------------------------------------------------
// The child.

static void child_setup_memory(rng_t *r) {
	scratch = mmap(NULL, SCRATCH_SIZE + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(scratch + SCRATCH_SIZE, 4096); // the guard page
	fill_random(r, scratch, SCRATCH_SIZE);
	arena_all = mmap(NULL, ARENA_SIZE * MAXTHREADS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fill_random(r, ro_page, 4096);
	// A sigset read from this page must not block WDSIG: bit WDSIG-1
	// (39) of a word is bit 7 of its fifth byte, so no byte of the page
	// has bit 7 set, whatever the offset.
	for (int i = 0; i < 4096; i++)
		ro_page[i] &= (char)~0x80;
	mprotect(ro_page, 4096, PROT_READ);
	unmapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped, 4096);
	int fd = open("file", O_RDWR);
	shared_map = fd >= 0 ? mmap(NULL, SHARED_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
	if (shared_map == MAP_FAILED)
		shared_map = NULL;
	if (fd >= 0)
		close(fd);
	self_text = (char *)((long)child_setup_memory & ~4095L);
	self_data = (char *)((long)&opt & ~4095L);
	if (scratch == MAP_FAILED || arena_all == MAP_FAILED || ro_page == MAP_FAILED) {
		fdprint(2, "fuzz: child: mmap failed\n");
		_exit(120);
	}
}

static void child_main(long batch, long calls) {
	my_pid = sys0(SYS_getpid);
	sh->batch = batch;
	// Its own process group (kill(0, ...) and the terminal's job control
	// reach only it), no blocked signals, no alarm, default actions.
	setpgid(0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	alarm(0);
	if (opt.verbose)
		dup2(2, 1023); // the log survives the child closing fd 2
	int pp[2];
	if (pipe2(pp, O_NONBLOCK) == 0) {
		dup2(pp[0], PROBE_R);
		dup2(pp[1], PROBE_W);
		close(pp[0]);
		close(pp[1]);
	}
	snprintf(scratch_dir, sizeof scratch_dir, "/tmp/fuzz/%ld", batch);
	if (mkdir(scratch_dir, 0777) < 0 || chdir(scratch_dir) < 0) {
		fdprint(2, "fuzz: child: %s: %s\n", scratch_dir, strerror(errno));
		_exit(121);
	}
	uint64_t bseed = mix(opt.seed, (uint64_t)batch);
	rng_t r;
	rng_seed(&r, bseed);
	init_typed();
	for (int i = 0; i < NKINDS; i++)
		if (kinds[i].make() == 0)
			__atomic_or_fetch(&sh->kinds, 1u << i, __ATOMIC_RELAXED);
	child_setup_memory(&r);
	install_wd_handler();
	long k[4];
	if (sys4(SYS_rt_sigaction, WDSIG, 0, k, 8) == 0)
		glibc_restorer = k[2];
	// fuzz_handler for a few signals the fuzzed calls send (kill,
	// alarm, timers, children, pipes), so that handlers run often.
	rng_t side;
	rng_seed(&side, mix(bseed, 1000));
	for (int i = (int)below(&side, 5); i > 0; i--) {
		long sa[4] = {0};
		real_handler(&side, sa);
		sys4(SYS_rt_sigaction, hsigs[below(&side, NHSIGS)], sa, 0, 8);
	}

	nthreads = (int)below(&r, 100) < opt.threads_rate ? 2 + (int)below(&r, 3) : 1;
	sh->nthreads = nthreads;
	for (int i = 0; i < nthreads; i++) {
		struct fthread *t = &threads[i];
		t->index = i;
		t->calls = calls / nthreads + (i == 0 ? calls % nthreads : 0);
		rng_seed(&t->rng, mix(bseed, (uint64_t)i + 1));
		rng_seed(&t->side, mix(bseed, (uint64_t)i + 1001));
		t->arena = arena_all + i * ARENA_SIZE;
		char *ls = malloc(16384);
		t->land_stack = (char *)(((long)ls + 16384 - 64) & ~15L) - 8;
		t->alt_stack = below(&t->side, 4) ? malloc(65536) : NULL;
		sh->slot[i].nr = -1;
	}
	pthread_t wd;
	pthread_create(&wd, NULL, watchdog, NULL);
	for (int i = 1; i < nthreads; i++)
		pthread_create(&threads[i].pt, NULL, fuzz_thread, &threads[i]);
	fuzz_thread(&threads[0]);
	// Not pthread_join: a thread may have ended with a raw exit(2) after
	// a set_tid_address(2) that moved the word the kernel clears (and
	// pthread_join waits on). Its finished flag says it makes no more
	// calls; exit_group ends whatever is left.
	struct timespec ms = {0, 1000000};
	for (int i = 1; i < nthreads; i++)
		while (!threads[i].finished)
			nanosleep(&ms, NULL);
	wd_stop = 1;
	sh->done = 1;
	sys1(SYS_exit_group, BATCH_DONE);
}

// ---------------------------------------------------------------------
// The parent.

static struct {
	long calls, batches, threaded, done;
	long exited[256];
	long signaled[65];
	long stops, strays, hangs, lost, lost_batches, rmfail, excluded, corrupted;
	long handled, handler_edits;
} st;

static struct termios saved_tio;
static int have_tio;

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

// meminfo_kib returns /proc/meminfo's line name (with its colon), in KiB.
static long meminfo_kib(const char *name) {
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strstr(buf, name);
	return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

static long memfree_kib(void) { return meminfo_kib("MemFree:"); }

// settled_memfree_kib is MemFree once the kernel has given back what it
// holds and does not use (echo 3 >/proc/sys/vm/drop_caches: its heap's
// free memory), so that readings compare memory in use.
static long settled_memfree_kib(void) {
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "3", 1) != 1) {
		}
		close(fd);
	}
	return memfree_kib();
}

static const char *signame(int s) {
	const char *n = sigabbrev_np(s);
	static char buf[16];
	if (n) {
		snprintf(buf, sizeof buf, "SIG%s", n);
		return buf;
	}
	snprintf(buf, sizeof buf, "SIG%d", s);
	return buf;
}

static void print_slots(long batch) {
	for (int i = 0; i < sh->nthreads && i < MAXTHREADS; i++) {
		struct tslot *s = &sh->slot[i];
		if (s->nr == -1)
			say("fuzz: hang batch=%ld thread=%d calls=%ld: between calls (in user space)", batch, i, s->calls);
		else
			say("fuzz: hang batch=%ld thread=%d calls=%ld: in call %ld(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)", batch, i,
			    s->calls, s->nr, s->args[0], s->args[1], s->args[2], s->args[3], s->args[4], s->args[5]);
	}
}

// print_threads reports the state of each thread of pid as /proc shows
// it (R running, S or D waiting in the kernel, T stopped, Z exited) and
// its pending and blocked signals.
// each_stat calls fn with the name, state and parent of every process
// or thread listed in dir (/proc, /proc/PID/task), from its stat file.
static int each_stat(const char *dir, void (*fn)(const char *name, char state, int ppid, void *arg), void *arg) {
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	char dents[4096], path[64], buf[1024];
	long n;
	while ((n = syscall(SYS_getdents64, dfd, dents, sizeof dents)) > 0) {
		for (long off = 0; off < n;) {
			unsigned short reclen;
			memcpy(&reclen, dents + off + 16, 2);
			const char *name = dents + off + 19;
			off += reclen;
			if (name[0] < '0' || name[0] > '9')
				continue;
			snprintf(path, sizeof path, "%s/stat", name);
			int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
			ssize_t m = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
			if (fd >= 0)
				close(fd);
			buf[m > 0 ? m : 0] = 0;
			char *rp = strrchr(buf, ')');
			char state = '?';
			int ppid = -1;
			if (rp)
				sscanf(rp + 1, " %c %d", &state, &ppid);
			fn(name, state, ppid, arg);
		}
	}
	close(dfd);
	return 0;
}

static void say_thread(const char *name, char state, int ppid, void *arg) {
	(void)ppid;
	say("fuzz: hang batch=%ld: thread %s state %c", *(long *)arg, name, state);
}

static void print_threads(long batch, int pid) {
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	if (each_stat(path, say_thread, &batch) < 0) {
		say("fuzz: hang batch=%ld: %s: %s", batch, path, strerror(errno));
		return;
	}
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t m = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[m > 0 ? m : 0] = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		if (!strncmp(l, "State:", 6) || !strncmp(l, "SigPnd:", 7) || !strncmp(l, "ShdPnd:", 7) ||
		    !strncmp(l, "SigBlk:", 7) || !strncmp(l, "SigQ:", 5) || !strncmp(l, "SigCgt:", 7) || !strncmp(l, "Threads:", 8))
			say("fuzz: hang batch=%ld: %s", batch, l);
}

// waitfor waits up to secs for pid (or any child, pid -1) to change state,
// with SIGCHLD blocked: 0 on timeout, else waitpid's result.
static int waitfor(int pid, int *status, double secs) {
	double end = now() + secs;
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		int r = waitpid(pid, status, WNOHANG | WUNTRACED | __WALL);
		if (r != 0)
			return r;
		double left = end - now();
		if (left <= 0)
			return 0;
		if (left > 0.1)
			left = 0.1;
		struct timespec ts = {0, (long)(left * 1e9)};
		sigtimedwait(&chld, NULL, &ts);
	}
}

// continue_stopped_children sends SIGCONT to the stopped children of
// pid and returns how many there were. A batch's thread waiting in
// vfork(2) for a child that a random kill stopped (SIGSTOP to the
// process group) waits as long as the child is stopped, on Linux too:
// the supervisor does not see that grandchild, so it resumes it here.
struct stopped_children {
	int parent, found;
};

static void continue_if_stopped_child(const char *name, char state, int ppid, void *arg) {
	struct stopped_children *c = arg;
	if (ppid == c->parent && (state == 'T' || state == 't')) {
		kill(atoi(name), SIGCONT);
		c->found++;
	}
}

static int continue_stopped_children(int pid) {
	struct stopped_children c = {pid, 0};
	each_stat("/proc", continue_if_stopped_child, &c);
	return c.found;
}

static int final_report(long after, double elapsed, const char *failure);
static long memfree_kib(void);
static double run_start;

static void fail_stop(const char *what, long batch) {
	say("fuzz: FAIL %s (batch %ld, seed %llu); replay: -seed %llu -batch %ld -batches 1 -batch-size %ld", what, batch,
	    (unsigned long long)opt.seed, (unsigned long long)opt.seed, batch, opt.batch_size);
	exit(final_report(memfree_kib(), now() - run_start, what));
}

// exited_by_call reports whether a thread of the batch was in an exit(2)
// or exit_group(2) call with status when the child ended: a random call
// that merely looks like a finished batch.
static int exited_by_call(int status) {
	for (int i = 0; i < sh->nthreads && i < MAXTHREADS; i++) {
		struct tslot *s = &sh->slot[i];
		if ((s->nr == SYS_exit || s->nr == SYS_exit_group) && (s->args[0] & 0xff) == status)
			return 1;
	}
	return 0;
}

// reap_batch waits for the batch's child, resumes it when it stops, and
// accounts for how it ended: its exit status, or -1 (a signal).
static int reap_batch(int pid, long batch) {
	double deadline = now() + opt.deadline;
	int resumed = 0;
	for (;;) {
		int status;
		int r = waitfor(-1, &status, deadline - now());
		if (r == 0 && !resumed && continue_stopped_children(pid) > 0) {
			resumed = 1;
			st.stops++;
			say("fuzz: batch=%ld: resumed a stopped child of the batch's child", batch);
			deadline = now() + 5;
			continue;
		}
		if (r == 0) {
			st.hangs++;
			say("fuzz: hang batch=%ld seed=%llu: child %d alive after %d s; replay: -seed %llu -batch %ld -batches 1 -batch-size %ld",
			    batch, (unsigned long long)opt.seed, pid, opt.deadline, (unsigned long long)opt.seed, batch,
			    opt.batch_size);
			print_slots(batch);
			print_threads(batch, pid);
			siginfo_t si = {0};
			int w = waitid(P_PID, pid, &si, WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL);
			say("fuzz: hang batch=%ld: waitid(WSTOPPED|WCONTINUED|WNOWAIT) = %d, si_pid %d si_code %d si_status %d",
			    batch, w, si.si_pid, si.si_code, si.si_status);
			say("fuzz: hang batch=%ld: sending SIGKILL", batch);
			kill(pid, SIGKILL);
			for (;;) {
				r = waitfor(-1, &status, 10);
				if (r == 0)
					fail_stop("a hung child survived SIGKILL for 10 s (kernel bug)", batch);
				if (r == pid && !WIFSTOPPED(status) && !WIFCONTINUED(status))
					break;
				if (r == pid)
					continue;
				if (r > 0)
					st.strays++;
			}
			st.signaled[SIGKILL]++;
			return -1;
		}
		if (r < 0) {
			say("fuzz: waitpid: %s", strerror(errno));
			fail_stop("lost the batch's child", batch);
		}
		if (r != pid) {
			if (!WIFSTOPPED(status) && !WIFCONTINUED(status))
				st.strays++;
			else if (WIFSTOPPED(status))
				kill(r, SIGCONT);
			continue;
		}
		if (WIFSTOPPED(status)) {
			// SIGSTOP, or SIGTSTP/SIGTTIN/SIGTTOU from the terminal:
			// the child's own doing; let it go on.
			st.stops++;
			kill(pid, SIGCONT);
			continue;
		}
		if (WIFCONTINUED(status))
			continue;
		if (WIFEXITED(status)) {
			st.exited[WEXITSTATUS(status)]++;
			return WEXITSTATUS(status);
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) < 65)
			st.signaled[WTERMSIG(status)]++;
		return -1;
	}
}

// umount_scratch detaches whatever a child mounted under /tmp/fuzz
// (bind mounts of / included, before anything is removed).
static void umount_scratch(int procfd) {
	for (int round = 0; round < 64; round++) {
		int fd = openat(procfd, "self/mounts", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		static char buf[65536];
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			return;
		buf[n] = 0;
		char target[4096] = "";
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			char *sp = strchr(line, ' ');
			if (!sp)
				continue;
			char *mp = sp + 1, *end = strchr(mp, ' ');
			if (end)
				*end = 0;
			if (strncmp(mp, "/tmp/fuzz/", 10) == 0) {
				// Undo the octal escapes of spaces, tabs, newlines, backslashes.
				char *o = target;
				for (char *p = mp; *p && o < target + sizeof target - 1; p++) {
					if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] && p[3]) {
						*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
						p += 3;
					} else
						*o++ = *p;
				}
				*o = 0;
			}
		}
		if (!target[0])
			return;
		if (umount2(target, MNT_DETACH) < 0) {
			say("fuzz: umount %s: %s", target, strerror(errno));
			return;
		}
	}
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
	(void)sb;
	(void)ftw;
	int r = flag == FTW_DP || flag == FTW_D ? rmdir(path) : unlink(path);
	if (r < 0 && errno != ENOENT)
		st.rmfail++;
	return 0;
}

// restore_console undoes what a child may have done to the console that
// would change how the parent's lines come out: its termios (OPOST,
// ONLCR, OLCUC, TOSTOP...), output stopped with TCXONC, and which
// process group is in the foreground.
static void restore_console(void) {
	int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	ioctl(fd, TIOCSCTTY, 1); // back to the parent's session if a child took it
	if (have_tio)
		tcsetattr(fd, TCSANOW, &saved_tio);
	tcflow(fd, TCOON);
	signal(SIGTTOU, SIG_IGN);
	tcsetpgrp(fd, getpgrp());
	signal(SIGTTOU, SIG_DFL);
	close(fd);
}

static void health_check(long batch) {
	if (getpid() != 1)
		fail_stop("health: getpid is not 1", batch);
	int p[2];
	char b[8] = {0};
	if (pipe2(p, O_CLOEXEC) < 0 || write(p[1], "ping", 4) != 4 || read(p[0], b, 8) != 4 || memcmp(b, "ping", 4))
		fail_stop("health: a pipe does not carry 4 bytes", batch);
	close(p[0]);
	close(p[1]);
	if (memfree_kib() < 0)
		fail_stop("health: /proc/meminfo unreadable", batch);
	int pid = fork();
	if (pid == 0)
		_exit(42);
	int status;
	if (pid < 0 || waitfor(pid, &status, 10) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 42)
		fail_stop("health: fork, exit(42), wait failed", batch);
}

// cleanup_batch ends whatever the child left behind: processes it cloned
// (kill(-1) from init reaches every process but init), its mounts, its
// directory, and the console's state.
static void cleanup_batch(long batch, int procfd) {
	kill(-1, SIGKILL);
	for (;;) {
		int status;
		int r = waitfor(-1, &status, 10);
		if (r < 0)
			break; // ECHILD: all reaped
		if (r == 0)
			fail_stop("a process the child left survived SIGKILL for 10 s (kernel bug)", batch);
		if (!WIFSTOPPED(status) && !WIFCONTINUED(status))
			st.strays++;
	}
	umount_scratch(procfd);
	char dir[64];
	snprintf(dir, sizeof dir, "/tmp/fuzz/%ld", batch);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	restore_console();
}

static void report_kinds(void) {
	char made[512] = "", absent[512] = "";
	for (int i = 0; i < NKINDS; i++) {
		char *s = sh->kinds & (1u << i) ? made : absent;
		strcat(s, " ");
		strcat(s, kinds[i].name);
	}
	say("fuzz: pool-kinds%s", made);
	say("fuzz: pool-kinds-absent%s", absent[0] ? absent : " none");
}

// final_report prints the run's report; failure, if not NULL, is why the
// run stopped early. It returns the exit status.
static long memfree_before = -1, memfree_warm = -1;
// slab_*: the kernel's heap (meminfo's Slab) at the same readings, which
// tells a heap that grew from frames that went missing.
static long slab_before = -1, slab_warm = -1;
static char meminfo_before[128]; // other lines of /proc/meminfo, before

static int final_report(long after, double elapsed, const char *failure) {
	long before = memfree_before;
	long reached = 0;
	for (int i = 0; i < NSLOT; i++)
		if (sh->counts[i])
			reached++;
	say("fuzz: report");
	say("fuzz: seed %llu", (unsigned long long)opt.seed);
	say("fuzz: calls %ld", st.calls);
	say("fuzz: elapsed-seconds %.1f", elapsed);
	say("fuzz: calls-per-second %.0f", st.calls / elapsed);
	say("fuzz: batches %ld (threaded %ld, completed %ld)", st.batches, st.threaded, st.done);
	say("fuzz: numbers-reached %ld", reached);
	char line[4096] = "";
	for (int i = 0; i < NSLOT; i++)
		if (!sh->counts[i] && i < 512 && !opt.nonly)
			snprintf(line + strlen(line), sizeof line - strlen(line), " %d", i);
	say("fuzz: numbers-not-reached%s", line[0] ? line : " none");
	say("fuzz: lost-counts %ld (batches %ld; shared page written over in %ld)", st.lost, st.lost_batches,
	    st.corrupted);
	say("fuzz: excluded-calls %ld", st.excluded);
	say("fuzz: handlers-run %ld (returned with an edited context %ld)", st.handled, st.handler_edits);
	line[0] = 0;
	for (int i = 0; i < 256; i++)
		if (st.exited[i])
			snprintf(line + strlen(line), sizeof line - strlen(line), " %d:%ld", i, st.exited[i]);
	say("fuzz: children-exited%s", line[0] ? line : " none");
	line[0] = 0;
	for (int i = 1; i < 65; i++)
		if (st.signaled[i])
			snprintf(line + strlen(line), sizeof line - strlen(line), " %s %ld", signame(i), st.signaled[i]);
	say("fuzz: children-signaled%s", line[0] ? line : " none");
	say("fuzz: children-stopped %ld", st.stops);
	say("fuzz: strays-reaped %ld", st.strays);
	say("fuzz: hangs %ld", st.hangs);
	say("fuzz: cleanup-failures %ld", st.rmfail);
	report_kinds();
	say("fuzz: memfree-before-kib %ld", before);
	say("fuzz: memfree-warm-kib %ld", memfree_warm);
	say("fuzz: memfree-after-kib %ld", after);
	say("fuzz: memfree-slack-kib %ld", opt.slack_kib);
	say("fuzz: slab-kib before %ld warm %ld after %ld", slab_before, slab_warm, meminfo_kib("Slab:"));
	say("fuzz: meminfo-before-kib %s", meminfo_before);
	say("fuzz: meminfo-after-kib Cached %ld AnonPages %ld PageTables %ld KernelStack %ld", meminfo_kib("Cached:"),
	    meminfo_kib("AnonPages:"), meminfo_kib("PageTables:"), meminfo_kib("KernelStack:"));
	int memok = before >= 0 && after >= 0 && before - after <= opt.slack_kib;
	say("fuzz: memory %s (%+ld KiB)", memok ? "ok" : "LEAK", after - before);
	int ok = st.hangs == 0 && memok && !failure;
	say("fuzz: result %s%s%s", ok ? "ok" : "FAIL", failure ? ": " : "", failure ? failure : "");
	return ok ? 0 : failure ? 3 : 1;
}

int main(int argc, char **argv) {
	parse_args(argc, argv);
	if (getpid() != 1) {
		fdprint(2, "fuzz: refusing to run: not process 1. This program makes random system calls as root; "
			   "run it only inside oyako (oyako run fuzz, make fuzz).\n");
		return 2;
	}
	if (!opt.seeded) {
		if (getrandom(&opt.seed, sizeof opt.seed, 0) != sizeof opt.seed)
			opt.seed = (uint64_t)time(NULL);
	}
	parent_pid = 1;
	say("fuzz: seed %llu", (unsigned long long)opt.seed);
	say("fuzz: plan calls=%ld batch-size=%ld first-batch=%ld deadline=%ds threads=%d%%", opt.calls,
	    opt.batch_size, opt.batch, opt.deadline, opt.threads_rate);
	for (size_t i = 0; i < sizeof exclusions / sizeof exclusions[0]; i++)
		say("fuzz: excluded %ld: %s", exclusions[i].nr, exclusions[i].why);

	sh = mmap((void *)SHARED_ADDR, (sizeof(struct shared) + 4095) & ~4095UL, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (sh == MAP_FAILED) {
		say("fuzz: FAIL mmap of the shared page: %s", strerror(errno));
		return 3;
	}
	sh->magic = SHARED_MAGIC;
	mkdir("/tmp", 01777);
	if (mkdir("/tmp/fuzz", 0777) < 0 && errno != EEXIST) {
		say("fuzz: FAIL mkdir /tmp/fuzz: %s", strerror(errno));
		return 3;
	}
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int cfd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (cfd >= 0 && tcgetattr(cfd, &saved_tio) == 0)
		have_tio = 1;
	if (cfd >= 0)
		close(cfd);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	long before = settled_memfree_kib();
	memfree_before = before;
	slab_before = meminfo_kib("Slab:");
	snprintf(meminfo_before, sizeof meminfo_before, "Cached %ld AnonPages %ld PageTables %ld KernelStack %ld",
		 meminfo_kib("Cached:"), meminfo_kib("AnonPages:"), meminfo_kib("PageTables:"), meminfo_kib("KernelStack:"));
	say("fuzz: memfree-before-kib %ld", before);
	double start = now();
	run_start = start;
	long warm_at = opt.calls / 10;
	long next_progress = opt.progress;
	long batch;
	for (batch = opt.batch; st.calls < opt.calls && (!opt.batches || batch < opt.batch + opt.batches); batch++) {
		long n = opt.batch_size;
		sh->done = 0;
		sh->batch_calls = 0;
		sh->batch_excluded = 0;
		sh->batch_handled = sh->batch_corrupted = 0;
		sh->nthreads = 0;
		for (int i = 0; i < MAXTHREADS; i++)
			sh->slot[i].nr = -1, sh->slot[i].calls = 0;
		int pid = fork();
		if (pid < 0)
			fail_stop("fork of the batch's child failed", batch);
		if (pid == 0) {
			child_main(batch, n);
			_exit(122);
		}
		int status = reap_batch(pid, batch);
		st.batches++;
		if (sh->magic != SHARED_MAGIC || sh->batch_calls < 0 || sh->batch_calls > n || sh->batch_excluded < 0 ||
		    sh->batch_excluded > n) {
			// Something the child did wrote over the page: its counts
			// for this batch (and perhaps others') cannot be trusted.
			say("fuzz: batch %ld wrote over the shared page (magic %#lx, calls %ld)", batch, (long)sh->magic,
			    (long)sh->batch_calls);
			sh->magic = SHARED_MAGIC;
			st.corrupted++;
			sh->batch_calls = sh->batch_excluded = 0;
		}
		st.calls += sh->batch_calls;
		if (sh->nthreads > 1)
			st.threaded++;
		if (sh->done)
			st.done++;
		// A child that says (by its exit status) it made all its calls
		// but never set the done flag lost the shared page to a
		// MAP_FIXED mmap or mremap over it: what it counted after that
		// went to a private page (an upper bound: its exclusions were
		// counted there too).
		if (status == BATCH_DONE && !sh->done && !exited_by_call(BATCH_DONE)) {
			st.lost += n - sh->batch_calls - sh->batch_excluded;
			st.lost_batches++;
		}
		st.excluded += sh->batch_excluded;
		if (sh->batch_handled > 0 && sh->batch_corrupted >= 0 && sh->batch_corrupted <= sh->batch_handled)
			st.handled += sh->batch_handled, st.handler_edits += sh->batch_corrupted;
		cleanup_batch(batch, procfd);
		health_check(batch);
		if (warm_at && st.calls >= warm_at) {
			memfree_warm = settled_memfree_kib();
			slab_warm = meminfo_kib("Slab:");
			warm_at = 0;
		}
		if (st.calls >= next_progress) {
			double t = now() - start;
			long free = settled_memfree_kib();
			say("fuzz: progress calls=%ld/%ld batches=%ld elapsed=%.0fs rate=%.0f/s eta=%.0fs memfree-kib=%ld slab-kib=%ld",
			    st.calls, opt.calls, st.batches, t, st.calls / t, (opt.calls - st.calls) / (st.calls / t), free,
			    meminfo_kib("Slab:"));
			next_progress += opt.progress;
		}
	}
	sync();
	// Let the kernel's memory settle (freed pages of the last child,
	// whatever it returns lazily) before the second reading.
	long after = settled_memfree_kib();
	for (int i = 0; i < 20 && before - after > opt.slack_kib; i++) {
		usleep(100000);
		after = settled_memfree_kib();
	}
	return final_report(after, now() - start, NULL);
}
