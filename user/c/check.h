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

// ---- sockets (unix_stream.c, unix_dgram.c, unix_scm.c, unix_echo.c)

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

// sigpipes counts the SIGPIPEs caught since catch_sigpipe(1) or the
// last send_counted.
static volatile sig_atomic_t sigpipes __attribute__((unused));

__attribute__((unused)) static void count_sigpipe(int sig) {
	(void)sig;
	sigpipes++;
}

// catch_sigpipe counts SIGPIPEs from now on (on) or gives SIGPIPE back
// its default action (!on).
__attribute__((unused)) static void catch_sigpipe(int on) {
	struct sigaction sa = {0};
	sa.sa_handler = on ? count_sigpipe : SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
}

// send_counted sends one byte with flags (0 is write's behaviour) and
// prints the result and the SIGPIPEs it raised.
__attribute__((unused)) static void send_counted(const char *what, int fd, int flags) {
	sigpipes = 0;
	long r = send(fd, "x", 1, flags);
	if (r < 0)
		printf("%s: -1 %s, SIGPIPEs %d\n", what, strerrorname_np(errno), sigpipes);
	else
		printf("%s: %ld, SIGPIPEs %d\n", what, r, sigpipes);
}

// sockpair makes a connected AF_UNIX pair of the given type; a failure
// ends the program (what follows needs the pair).
__attribute__((unused)) static void sockpair(int type, int sv[2]) {
	if (socketpair(AF_UNIX, type, 0, sv) < 0) {
		show("socketpair", -1);
		exit(1);
	}
}

// sun_path_addr fills a with a path name and returns the length Linux
// keeps for it (unix_mkname_bsd): the family, the path and its NUL.
__attribute__((unused)) static socklen_t sun_path_addr(struct sockaddr_un *a, const char *path) {
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strncpy(a->sun_path, path, sizeof a->sun_path - 1);
	return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1;
}

// sun_abstract fills a with the abstract name "\0oyako-TAG-PPPPPPPP"
// and returns its length (no NUL: abstract names are counted bytes).
// The eight hex digits of the pid keep concurrent native runs, which
// share the host's network namespace, apart; show_sun hides them.
__attribute__((unused)) static socklen_t sun_abstract(struct sockaddr_un *a, const char *tag) {
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "oyako-%s-%08x", tag, (unsigned)getpid());
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

// sun_string describes an address as the kernel returned it with its
// length: "unnamed" (the family alone), a path, or "@name" for an
// abstract one, with the pid digits of sun_abstract's names as
// "########" and autobind's five hex digits as "XXXXX".
__attribute__((unused)) static const char *sun_string(const struct sockaddr_un *a, socklen_t len) {
	static char b[2][160];
	static int i;
	char *s = b[i++ % 2];
	size_t off = offsetof(struct sockaddr_un, sun_path);
	if (len == 0) {
		snprintf(s, 160, "len 0 (no address)");
		return s;
	}
	if (len < off) {
		snprintf(s, 160, "len %u (short)", (unsigned)len);
		return s;
	}
	if (a->sun_family != AF_UNIX) {
		snprintf(s, 160, "len %u family %d", (unsigned)len, a->sun_family);
		return s;
	}
	size_t n = len - off;
	if (n > sizeof a->sun_path)
		n = sizeof a->sun_path;
	if (n == 0) {
		snprintf(s, 160, "len %u unnamed", (unsigned)len);
		return s;
	}
	if (a->sun_path[0] != 0) {
		snprintf(s, 160, "len %u path \"%.*s\"%s", (unsigned)len, (int)strnlen(a->sun_path, n), a->sun_path,
			 memchr(a->sun_path, 0, n) ? "+NUL" : "");
		return s;
	}
	char name[120];
	memcpy(name, a->sun_path + 1, n - 1);
	name[n - 1] = 0;
	int auto5 = n - 1 == 5 && strspn(name, "0123456789abcdef") == 5;
	if (auto5)
		strcpy(name, "XXXXX");
	else if (strncmp(name, "oyako-", 6) == 0 && n - 1 > 8)
		memset(name + n - 1 - 8, '#', 8);
	snprintf(s, 160, "len %u abstract \"@%s\"", (unsigned)len, name);
	return s;
}

// show_sun prints a get*name or recvfrom result and the address.
__attribute__((unused)) static void show_sun(const char *what, long r, const struct sockaddr_un *a, socklen_t len) {
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld, %s\n", what, r, sun_string(a, len));
}

// show_name prints getsockname's (or, with peer, getpeername's) answer.
__attribute__((unused)) static void show_name(const char *what, int fd, int peer) {
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	memset(&a, 0x55, sizeof a);
	long r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) : getsockname(fd, (struct sockaddr *)&a, &len);
	show_sun(what, r, &a, len);
}

#define sockname(what, fd) show_name(what, fd, 0)
#define peername(what, fd) show_name(what, fd, 1)

// poll_bits names the bits of a poll or epoll event mask (POLLIN and
// EPOLLIN are the same bit, and so on).
__attribute__((unused)) static const char *poll_bits(unsigned ev) {
	static char b[2][96];
	static int i;
	char *s = b[i++ % 2];
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{POLLIN, "IN"},	     {POLLPRI, "PRI"},		{POLLOUT, "OUT"},	 {POLLERR, "ERR"},
		     {POLLHUP, "HUP"},	     {POLLNVAL, "NVAL"},	{POLLRDNORM, "RDNORM"}, {POLLRDBAND, "RDBAND"},
		     {POLLWRNORM, "WRNORM"}, {POLLWRBAND, "WRBAND"},	{POLLRDHUP, "RDHUP"}};
	s[0] = 0;
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
		if (ev & names[k].bit) {
			if (s[0])
				strcat(s, "|");
			strcat(s, names[k].name);
			ev &= ~names[k].bit;
		}
	if (ev)
		snprintf(s + strlen(s), 96 - strlen(s), "%s%#x", s[0] ? "|" : "", ev);
	if (!s[0])
		strcpy(s, "0");
	return s;
}

// poll_now polls one descriptor without waiting and prints what it
// reports; events are POLLIN|POLLOUT|POLLRDHUP (POLLHUP and POLLERR
// always come).
__attribute__((unused)) static void poll_now(const char *what, int fd) {
	struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
	int r = poll(&p, 1, 0);
	if (r < 0)
		printf("%s: poll -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %s\n", what, poll_bits(p.revents));
}

// intopt prints an integer socket option of level, or its error.
__attribute__((unused)) static void intopt(const char *name, int fd, int level, int opt) {
	int v = -12345;
	socklen_t len = sizeof v;
	if (getsockopt(fd, level, opt, &v, &len) < 0)
		printf("getsockopt %s: -1 %s\n", name, strerrorname_np(errno));
	else
		printf("getsockopt %s: %d (len %u)\n", name, v, (unsigned)len);
}

// SOCKOPT prints an integer SOL_SOCKET option, or its error.
#define SOCKOPT(fd, opt) intopt(#opt, fd, SOL_SOCKET, opt)

// ---- io_uring (uring_basic.c, uring_sqpoll.c, bench.c)

#include <liburing.h>

// errno_str is "-EINVAL" for a negative errno (a CQE's res, liburing's
// return values), the number otherwise (in one of four buffers).
__attribute__((unused)) static const char *errno_str(long r) {
	static char b[4][32];
	static int i;
	char *s = b[i++ % 4];
	if (r < 0 && r > -4096 && strerrorname_np(-r))
		snprintf(s, 32, "-%s", strerrorname_np(-r));
	else
		snprintf(s, 32, "%ld", r);
	return s;
}

// LU prints a liburing call's result: liburing returns -errno instead
// of setting errno.
#define LU(expr) printf("%s: %s\n", #expr, errno_str((long)(expr)))

// get_sqe returns a zeroed SQE of ring, or ends the program (the
// programs never fill the SQ ring).
__attribute__((unused)) static struct io_uring_sqe *get_sqe(struct io_uring *ring) {
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	if (!sqe) {
		printf("io_uring_get_sqe: SQ ring full\n");
		exit(1);
	}
	return sqe;
}

// reap_one waits for the next CQE, prints "what: res R, user_data U"
// (with the flags when there are any), marks it seen and returns its
// res; a wait that fails ends the program.
__attribute__((unused)) static int reap_one(struct io_uring *ring, const char *what) {
	struct io_uring_cqe *cqe;
	int r = io_uring_wait_cqe(ring, &cqe);
	if (r < 0) {
		printf("%s: io_uring_wait_cqe %s\n", what, errno_str(r));
		exit(1);
	}
	int res = cqe->res;
	if (cqe->flags)
		printf("%s: res %s, user_data %llu, flags %#x\n", what, errno_str(res), (unsigned long long)cqe->user_data,
		       cqe->flags);
	else
		printf("%s: res %s, user_data %llu\n", what, errno_str(res), (unsigned long long)cqe->user_data);
	io_uring_cqe_seen(ring, cqe);
	return res;
}

// cqe_copy is what a program keeps of a CQE.
struct cqe_copy {
	unsigned long long ud;
	int res;
	unsigned flags;
};

// take_sorted takes n CQEs off the ring, waiting for them, or with n 0
// those that are there, and keeps up to max of them in c sorted by
// user_data (for CQEs whose order Linux does not define). It returns how
// many it took.
__attribute__((unused)) static unsigned take_sorted(struct io_uring *ring, unsigned n, struct cqe_copy *c,
						    unsigned max) {
	unsigned got = 0;
	for (;;) {
		struct io_uring_cqe *cqe;
		if (n > 0 && got == n)
			break;
		int e = n > 0 ? io_uring_wait_cqe(ring, &cqe) : io_uring_peek_cqe(ring, &cqe);
		if (e == -EAGAIN && n == 0)
			break;
		if (e < 0) {
			printf("take_sorted: %s\n", errno_str(e));
			exit(1);
		}
		if (got < max) {
			unsigned j = got;
			for (; j > 0 && c[j - 1].ud > cqe->user_data; j--)
				c[j] = c[j - 1];
			c[j] = (struct cqe_copy){cqe->user_data, cqe->res, cqe->flags};
		}
		got++;
		io_uring_cqe_seen(ring, cqe);
	}
	return got;
}

// fixed_io submits a READ (or with write a WRITE) of len bytes at off
// on registered file idx (IOSQE_FIXED_FILE) and reaps it as reap_one
// does.
__attribute__((unused)) static int fixed_io(struct io_uring *ring, int write, int idx, void *buf, unsigned len,
					    unsigned long long off, unsigned long long ud, const char *what) {
	struct io_uring_sqe *sqe = get_sqe(ring);
	if (write)
		io_uring_prep_write(sqe, idx, buf, len, off);
	else
		io_uring_prep_read(sqe, idx, buf, len, off);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = ud;
	int r = io_uring_submit(ring);
	if (r != 1)
		printf("%s: io_uring_submit %s\n", what, errno_str(r));
	return reap_one(ring, what);
}

// submit_one submits what is queued (one SQE) and reaps its CQE.
__attribute__((unused)) static int submit_one(struct io_uring *ring, const char *what) {
	int r = io_uring_submit(ring);
	if (r != 1)
		printf("%s: io_uring_submit %s\n", what, errno_str(r));
	return reap_one(ring, what);
}

// ---- echo servers (unix_echo.c, uring_echo.c): their clients

// echo_fill writes message m of client c: bytes that differ between
// clients, messages and offsets.
__attribute__((unused)) static void echo_fill(char *p, size_t n, int c, int m) {
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(c * 31 + m * 7 + i * 13);
}

// echo_client connects to the server at a, sends nmsg messages of the
// given sizes (at most 256 KiB), reads each echo in full and checks it,
// then shuts its sending side and waits for the server's EOF. The result
// is an exit status that says what went wrong (0: nothing).
__attribute__((unused)) static int echo_client(const struct sockaddr_un *a, socklen_t len, int id, const size_t *sizes,
					       int nmsg) {
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)a, len) < 0)
		return 2;
	static char out[256 * 1024], in[256 * 1024];
	for (int m = 0; m < nmsg; m++) {
		size_t n = sizes[m];
		echo_fill(out, n, id, m);
		// The server echoes while we write: what it holds and the
		// sockets' buffers take a message larger than one buffer
		// before we read.
		for (size_t off = 0; off < n;) {
			long r = write(fd, out + off, n - off);
			if (r <= 0)
				return 3;
			off += r;
		}
		long got = recv(fd, in, n, MSG_WAITALL);
		if (got != (long)n)
			return 4;
		if (memcmp(in, out, n) != 0)
			return 5;
	}
	// The server sees EOF, closes, and we see EOF.
	if (shutdown(fd, SHUT_WR) < 0)
		return 6;
	char c;
	if (read(fd, &c, 1) != 0)
		return 7;
	close(fd);
	return 0;
}

// ---- inet sockets (tcp.c, udp.c, tcp_echo.c, uring_tcp_echo.c)

#include <arpa/inet.h>
#include <netinet/in.h>

// An inet_addr holds an IPv4 or IPv6 socket address.
union inet_addr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

// in4 makes 127.0.0.1 (or ip) with port (host order); its length is
// sizeof(struct sockaddr_in).
__attribute__((unused)) static union inet_addr in4(const char *ip, unsigned port) {
	union inet_addr a;
	memset(&a, 0, sizeof a);
	a.in4.sin_family = AF_INET;
	a.in4.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.in4.sin_addr);
	return a;
}

// in6 makes an IPv6 address (::1, ::, ::ffff:127.0.0.1) with port.
__attribute__((unused)) static union inet_addr in6(const char *ip, unsigned port) {
	union inet_addr a;
	memset(&a, 0, sizeof a);
	a.in6.sin6_family = AF_INET6;
	a.in6.sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &a.in6.sin6_addr);
	return a;
}

// alen is the length of a's family's address structure.
__attribute__((unused)) static socklen_t alen(const union inet_addr *a) {
	return a->sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

// aport is a's port in host order.
__attribute__((unused)) static unsigned aport(const union inet_addr *a) {
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in4.sin_port);
}

// Ports vary from run to run: a transcript names them. name_port gives a
// port a name ("L" for a listener), port_str turns a port into its name,
// "0", or "ephemeral" (any other port the kernel chose).
static struct {
	unsigned port;
	const char *name;
} port_names[16] __attribute__((unused));

__attribute__((unused)) static void name_port(unsigned port, const char *name) {
	for (int i = 0; i < 16; i++)
		if (port_names[i].port == 0 || port_names[i].port == port) {
			port_names[i].port = port;
			port_names[i].name = name;
			return;
		}
}

__attribute__((unused)) static const char *port_str(unsigned port) {
	if (port == 0)
		return "0";
	for (int i = 0; i < 16; i++)
		if (port_names[i].port == port)
			return port_names[i].name;
	return "ephemeral";
}

// inet_string describes an address as the kernel returned it with its
// length: family, address and the port's name.
__attribute__((unused)) static const char *inet_string(const union inet_addr *a, socklen_t len) {
	static char b[2][128];
	static int i;
	char *s = b[i++ % 2], ip[INET6_ADDRSTRLEN];
	if (a->sa.sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		inet_ntop(AF_INET, &a->in4.sin_addr, ip, sizeof ip);
		snprintf(s, 128, "len %u AF_INET %s port %s", (unsigned)len, ip, port_str(aport(a)));
	} else if (a->sa.sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof ip);
		snprintf(s, 128, "len %u AF_INET6 %s port %s flowinfo %u scope %u", (unsigned)len, ip,
			 port_str(aport(a)), a->in6.sin6_flowinfo, a->in6.sin6_scope_id);
	} else
		snprintf(s, 128, "len %u family %d", (unsigned)len, a->sa.sa_family);
	return s;
}

// show_inet_name prints getsockname's (or, with peer, getpeername's)
// answer.
__attribute__((unused)) static void show_inet_name(const char *what, int fd, int peer) {
	union inet_addr a;
	socklen_t len = sizeof a;
	memset(&a, 0x55, sizeof a);
	long r = peer ? getpeername(fd, &a.sa, &len) : getsockname(fd, &a.sa, &len);
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld, %s\n", what, r, inet_string(&a, len));
}

#define inet_sockname(what, fd) show_inet_name(what, fd, 0)
#define inet_peername(what, fd) show_inet_name(what, fd, 1)

// local_port is fd's bound port (0 if getsockname fails).
__attribute__((unused)) static unsigned local_port(int fd) {
	union inet_addr a;
	socklen_t len = sizeof a;
	if (getsockname(fd, &a.sa, &len) < 0)
		return 0;
	return aport(&a);
}

// tcp_listener makes a TCP socket of family (AF_INET or AF_INET6) with
// extra type flags, bound to the loopback address (or the any address
// with any) on a port the kernel chooses, listening with backlog; it
// returns the socket and its address, or ends the program.
__attribute__((unused)) static int tcp_listener(int family, int flags, int any, int backlog, union inet_addr *a) {
	*a = family == AF_INET6 ? in6(any ? "::" : "::1", 0) : in4(any ? "0.0.0.0" : "127.0.0.1", 0);
	int fd = socket(family, SOCK_STREAM | flags, 0);
	socklen_t len = alen(a);
	if (fd < 0 || bind(fd, &a->sa, len) < 0 || listen(fd, backlog) < 0 || getsockname(fd, &a->sa, &len) < 0) {
		show("tcp_listener", -1);
		exit(1);
	}
	return fd;
}

// tcp_dial connects a new TCP socket (with extra type flags) to a and
// returns it, or -1 with errno set.
__attribute__((unused)) static int tcp_dial(const union inet_addr *a, int flags) {
	int fd = socket(a->sa.sa_family, SOCK_STREAM | flags, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, &a->sa, alen(a)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

// wait_events polls fd for events for up to ms milliseconds and returns
// what poll reported (0 if nothing came).
__attribute__((unused)) static unsigned wait_events(int fd, unsigned events, int ms) {
	struct pollfd p = {fd, (short)events, 0};
	if (poll(&p, 1, ms) <= 0)
		return 0;
	return (unsigned short)p.revents;
}

// ---- echo servers over TCP (tcp_echo.c, uring_tcp_echo.c): their clients

#include <sys/resource.h>

// echo_conns is one client process of an echo server with many
// connections: it connects nconn TCP sockets to a, then waits for a
// byte on go (the server writes one per client once it has accepted
// every client's connections, so that they are all open at once), sends
// each message (at most 64 KiB) on every connection before reading the
// echoes, checks every byte, and ends with SHUT_WR on each and the
// server's EOF. The result is an exit status that says what went wrong
// (0: nothing).
__attribute__((unused)) static int echo_conns(const union inet_addr *a, int id, int nconn, const size_t *sizes,
					      int nmsg, int go) {
	int *fds = calloc(nconn, sizeof *fds);
	static char out[64 * 1024], in[64 * 1024];
	for (int j = 0; j < nconn; j++)
		if ((fds[j] = tcp_dial(a, SOCK_CLOEXEC)) < 0)
			return 2;
	char c;
	if (read(go, &c, 1) != 1)
		return 3;
	for (int m = 0; m < nmsg; m++) {
		size_t n = sizes[m];
		for (int j = 0; j < nconn; j++) {
			echo_fill(out, n, id * nconn + j, m);
			for (size_t off = 0; off < n;) {
				long r = write(fds[j], out + off, n - off);
				if (r <= 0)
					return 4;
				off += r;
			}
		}
		for (int j = 0; j < nconn; j++) {
			echo_fill(out, n, id * nconn + j, m);
			if (recv(fds[j], in, n, MSG_WAITALL) != (long)n)
				return 5;
			if (memcmp(in, out, n) != 0)
				return 6;
		}
	}
	for (int j = 0; j < nconn; j++)
		if (shutdown(fds[j], SHUT_WR) < 0)
			return 7;
	for (int j = 0; j < nconn; j++) {
		if (read(fds[j], &c, 1) != 0)
			return 8;
		close(fds[j]);
	}
	return 0;
}

// raise_nofile raises RLIMIT_NOFILE's soft limit to its hard limit, as a
// server with many connections does, and says whether want descriptors
// fit under it.
__attribute__((unused)) static void raise_nofile(long want) {
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		show("setrlimit RLIMIT_NOFILE", -1);
	printf("RLIMIT_NOFILE raised to the hard limit, room for %ld descriptors: %s\n", want,
	       (long)rl.rlim_cur >= want ? "yes" : "no");
}
