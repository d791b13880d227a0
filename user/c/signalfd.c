// signalfd(2) and signalfd4(2): the order of their argument checks, the
// records read returns (struct signalfd_siginfo for kill, sigqueue,
// tgkill and a child's exit), how many a buffer takes, blocking and
// non-blocking reads, poll and epoll readiness, replacing the mask of an
// existing descriptor, a thread-directed signal that only its thread
// reads, and a forked child that reads its own signals through the
// descriptor it inherited.
#include "check.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#define REC ((long)sizeof(struct signalfd_siginfo))

static const char *codeName(int code) {
	static char b[16];
	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SI_TKILL:
		return "SI_TKILL";
	case CLD_EXITED:
		return "CLD_EXITED";
	}
	snprintf(b, sizeof b, "%d", code);
	return b;
}

static pid_t child; // the last child forked, whose pid a record may name

// who names a pid without printing it.
static const char *who(uint32_t pid) {
	if (pid == (uint32_t)getpid())
		return "ours";
	if (child && pid == (uint32_t)child)
		return "child";
	return pid == 0 ? "none" : "other";
}

// showRec prints one record: the number, code and sender, the value
// fields, and whether every field its code does not use is zero.
static void showRec(const char *what, const struct signalfd_siginfo *s) {
	int rest = s->ssi_errno == 0 && s->ssi_fd == 0 && s->ssi_tid == 0 && s->ssi_band == 0 && s->ssi_overrun == 0 &&
		   s->ssi_trapno == 0 && s->ssi_addr == 0 && s->ssi_addr_lsb == 0;
	if (s->ssi_signo != SIGCHLD)
		rest = rest && s->ssi_status == 0 && s->ssi_utime == 0 && s->ssi_stime == 0;
	printf("%s: %s %s pid %s uid %s int %d ptr %llu status %d, rest %s\n", what, sig_name(s->ssi_signo),
	       codeName(s->ssi_code), who(s->ssi_pid), s->ssi_uid == getuid() ? "ours" : "other", s->ssi_int,
	       (unsigned long long)s->ssi_ptr, s->ssi_status, rest ? "zero" : "SET");
}

// readRecs reads into a buffer of n bytes and prints what came back.
static void readRecs(const char *what, int fd, long n) {
	struct signalfd_siginfo buf[8];
	long r = read(fd, buf, n);
	if (r < 0) {
		printf("%s: read %ld: -1 %s\n", what, n, strerrorname_np(errno));
		return;
	}
	printf("%s: read %ld: %ld (%ld records)\n", what, n, r, r / REC);
	for (long i = 0; i < r / REC; i++)
		showRec(what, &buf[i]);
}

static sigset_t setOf(int a, int b) {
	sigset_t s;
	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	return s;
}

static void sigmaskLine(int fd) {
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	char buf[512];
	int f = open(path, O_RDONLY);
	long n = f < 0 ? -1 : read(f, buf, sizeof buf - 1);
	if (f >= 0)
		close(f);
	buf[n > 0 ? n : 0] = 0;
	char *p = strstr(buf, "sigmask:");
	printf("fdinfo %.*s\n", p ? (int)strcspn(p, "\n") : 4, p ? p : "none");
}

// sendLater forks a child that sends sig to this process after ms.
static pid_t sendLater(int sig, int ms) {
	pid_t parent = getpid();
	child = pfork();
	if (child == 0) {
		pause_ms(ms);
		kill(parent, sig);
		_exit(0);
	}
	return child;
}

static void errors(void) {
	sigset_t m = setOf(SIGUSR1, 0);
	int p[2];
	if (pipe(p) != 0)
		show("pipe", -1);
	RAW(SYS_signalfd4, -1, &m, 7, 0);
	RAW(SYS_signalfd4, -1, &m, 16, 0);
	RAW(SYS_signalfd4, -1, KERNEL_PTR, 7, 0);    // size first
	RAW(SYS_signalfd4, -1, KERNEL_PTR, 8, 0x1);  // then the mask
	RAW(SYS_signalfd4, -1, NULL, 8, 0);
	RAW(SYS_signalfd4, -1, &m, 8, 0x1);          // then the flags
	RAW(SYS_signalfd4, p[0], &m, 8, O_APPEND);   // flags before the fd
	RAW(SYS_signalfd4, p[0], &m, 8, 0);          // not a signalfd
	RAW(SYS_signalfd4, 999, &m, 8, 0);           // not open
	RAW(SYS_signalfd4, -2, &m, 8, 0);
	RAW(SYS_signalfd, -1, &m, 4);
	RAW(SYS_signalfd, -1, KERNEL_PTR, 8);
	close(p[0]);
	close(p[1]);

	int fd = syscall(SYS_signalfd, -1, &m, 8);
	ok("signalfd(-1) makes a descriptor", fd >= 0);
	printf("signalfd: flags %#o cloexec %d\n", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), fcntl(fd, F_GETFD));
	close(fd);
	fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
	printf("signalfd4 NONBLOCK|CLOEXEC: flags %#o cloexec %d\n", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK),
	       fcntl(fd, F_GETFD));
	char b[REC];
	R(write(fd, b, sizeof b));
	close(fd);

	// SIGKILL and SIGSTOP leave the mask silently.
	sigset_t all = setOf(SIGKILL, SIGSTOP);
	sigaddset(&all, SIGUSR1);
	fd = signalfd(-1, &all, 0);
	sigmaskLine(fd);
	close(fd);
}

static void basics(int fd, int fdnb) {
	R(kill(getpid(), SIGUSR1));
	readRecs("kill", fd, REC);

	R(sigqueue(getpid(), SIGUSR2, (union sigval){.sival_ptr = (void *)42}));
	readRecs("sigqueue", fd, REC);

	// Real-time signals queue every sending, lowest number first, each
	// number's in the order they were sent.
	R(sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_ptr = (void *)1}));
	R(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_ptr = (void *)2}));
	R(sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_ptr = (void *)3}));
	R(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_ptr = (void *)4}));
	R(kill(getpid(), SIGUSR1));
	readRecs("rt", fd, 8 * REC);

	// A buffer takes as many whole records as fit.
	R(kill(getpid(), SIGUSR1));
	R(kill(getpid(), SIGUSR2));
	readRecs("small", fd, REC - 1);
	readRecs("nothing", fd, 0);
	readRecs("one and a half", fd, REC + REC / 2);
	R(read(fd, KERNEL_PTR, REC));
	readRecs("after EFAULT", fd, 2 * REC);
	readRecs("empty", fdnb, REC);
}

static void onSignal(int sig) { (void)sig; }

static void blocking(int fd) {
	sendLater(SIGUSR1, 50);
	readRecs("woken by a child", fd, 4 * REC);
	reap("sender", child);

	// A handled signal interrupts the wait (no SA_RESTART).
	struct sigaction sa = {.sa_handler = onSignal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sendLater(SIGTERM, 50);
	readRecs("interrupted", fd, REC);
	reap("sender", child);
	signal(SIGTERM, SIG_DFL);
}

static void polling(int fd) {
	struct pollfd pf = {fd, POLLIN | POLLOUT, 0};
	R(poll(&pf, 1, 0));
	R(kill(getpid(), SIGUSR2));
	R(poll(&pf, 1, 0));
	printf("revents %#x\n", pf.revents);
	readRecs("after poll", fd, REC);

	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out[2];
	R(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	R(epoll_wait(ep, out, 2, 0));
	R(kill(getpid(), SIGUSR1));
	R(epoll_wait(ep, out, 2, 0));
	printf("events %#x data %u\n", out[0].events, out[0].data.u32);
	readRecs("after epoll", fd, REC);
	R(epoll_wait(ep, out, 2, 0));

	// Waits that a signal queued later ends.
	sendLater(SIGUSR2, 50);
	R(epoll_wait(ep, out, 2, 5000));
	reap("sender", child);
	readRecs("after epoll_wait", fd, REC);
	sendLater(SIGUSR1, 50);
	pf.revents = 0;
	R(poll(&pf, 1, 5000));
	reap("sender", child);
	readRecs("after poll wait", fd, REC);
	close(ep);
}

static void update(int fd) {
	sigset_t m = setOf(SIGUSR2, 0);
	printf("update returns the fd: %s\n", signalfd(fd, &m, 0) == fd ? "yes" : "no");
	R(kill(getpid(), SIGUSR1));
	readRecs("USR1 left the mask", fd, REC);
	struct pollfd pf = {fd, POLLIN, 0};
	R(poll(&pf, 1, 0));
	R(kill(getpid(), SIGUSR2));
	readRecs("USR2", fd, REC);
	m = setOf(SIGUSR1, SIGUSR2);
	R(signalfd(fd, &m, 0) == fd);
	sigmaskLine(fd);
	// An update's flags are checked but not applied.
	int blocking = signalfd(-1, &m, 0);
	R(signalfd(blocking, &m, SFD_NONBLOCK | SFD_CLOEXEC) == blocking);
	printf("after update: flags %#o cloexec %d\n", fcntl(blocking, F_GETFL) & (O_ACCMODE | O_NONBLOCK),
	       fcntl(blocking, F_GETFD));
	close(blocking);
	readRecs("USR1 back in the mask", fd, REC);
}

static void chld(int fd) {
	sigset_t m = setOf(SIGCHLD, 0);
	sigprocmask(SIG_BLOCK, &m, NULL);
	m = setOf(SIGCHLD, SIGUSR1);
	signalfd(fd, &m, 0);
	child = pfork();
	if (child == 0)
		_exit(7);
	readRecs("SIGCHLD", fd, REC);
	reap("child", child);
	m = setOf(SIGUSR1, SIGUSR2);
	signalfd(fd, &m, 0);
	m = setOf(SIGCHLD, 0);
	sigprocmask(SIG_UNBLOCK, &m, NULL);
}

// The child of a fork reads its own signals through the descriptor it
// inherited: not its parent's, pending before the fork.
static void inherited(int fd) {
	R(kill(getpid(), SIGUSR1));
	child = pfork();
	if (child == 0) {
		struct pollfd pf = {fd, POLLIN, 0};
		R(poll(&pf, 1, 0));
		readRecs("child, parent's pending", fd, REC);
		kill(getpid(), SIGUSR2);
		R(poll(&pf, 1, 0));
		readRecs("child, its own", fd, REC);
		fflush(stdout);
		_exit(0);
	}
	reap("reader", child);
	readRecs("parent's still pending", fd, REC);
}

static int tfd;
static int go[2], done[2];
static pid_t ttid;

static void *thread(void *arg) {
	(void)arg;
	char c = 0;
	ttid = gettid();
	if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
		return NULL;
	struct pollfd pf = {tfd, POLLIN, 0};
	R(poll(&pf, 1, 0));
	readRecs("thread", tfd, 2 * REC);
	return NULL;
}

// A signal sent to one thread is read by that thread only.
static void threadDirected(int fd) {
	tfd = fd;
	char c = 0;
	pthread_t th;
	if (pipe(go) != 0 || pipe(done) != 0 || pthread_create(&th, NULL, thread, NULL) != 0) {
		printf("thread setup failed\n");
		return;
	}
	if (read(done[0], &c, 1) != 1)
		return;
	R(syscall(SYS_tgkill, getpid(), ttid, SIGUSR1));
	struct pollfd pf = {fd, POLLIN, 0};
	R(poll(&pf, 1, 0));
	readRecs("main thread", fd, REC);
	if (write(go[1], &c, 1) != 1)
		return;
	pthread_join(th, NULL);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	sigset_t block = setOf(SIGUSR1, SIGUSR2);
	for (int s = SIGRTMIN; s <= SIGRTMIN + 2; s++)
		sigaddset(&block, s);
	sigprocmask(SIG_SETMASK, &block, NULL);

	errors();

	sigset_t m = setOf(SIGUSR1, SIGUSR2);
	sigaddset(&m, SIGRTMIN);
	sigaddset(&m, SIGRTMIN + 2);
	int fd = signalfd(-1, &m, 0);
	// A non-blocking descriptor for the same mask.
	int fdnb = signalfd(-1, &m, SFD_NONBLOCK);
	basics(fd, fdnb);
	readRecs("nonblocking, none pending", fdnb, REC);
	R(kill(getpid(), SIGUSR1));
	readRecs("nonblocking", fdnb, REC);

	blocking(fd);
	polling(fdnb);
	update(fdnb);
	chld(fd);
	inherited(fdnb);
	threadDirected(fdnb);
	close(fd);
	close(fdnb);
	return 0;
}
