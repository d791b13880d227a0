// readiness.c: waiting for readiness as Linux does it (fs/eventpoll.c,
// fs/select.c). epoll's level- and edge-triggered reporting (the
// walkthrough of epoll(7): 3 KB written, 1 KB read); EPOLLEXCLUSIVE with
// several processes asleep on one eventfd (one woken per event, all
// without the flag); select and pselect6 (nfds and FD_SETSIZE, EBADF,
// bad timeouts, the time left written back, EINTR, pselect6's mask);
// poll's POLLNVAL for a closed descriptor and ppoll's mask; a pidfd
// reported readable by poll and epoll when its process exits; the
// interest set's keys (a watch lives as long as its open file).
#include "check.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>

static char buf[4096];

static int watch(int fd, unsigned events) {
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = events, .data.fd = fd};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		printf("epoll_ctl: %s\n", strerrorname_np(errno));
	return ep;
}

// ready prints what one epoll_wait of ep reports, without waiting.
static void ready(const char *what, int ep) {
	struct epoll_event ev = {0};
	int n = epoll_wait(ep, &ev, 1, 0);
	printf("  %s: %d%s%s%s\n", what, n, n > 0 && ev.events & EPOLLIN ? " IN" : "", n > 0 && ev.events & EPOLLHUP ? " HUP" : "",
	       n > 0 && ev.events & EPOLLOUT ? " OUT" : "");
}

// ---- the interest set is keyed by descriptor and open file

// keys shows epoll(7)'s answer to "will closing a descriptor remove it
// from the interest list?": only when every descriptor of the open file
// description is closed (ep_remove runs from eventpoll_release at the
// file's last fput); until then the watch reports, but its descriptor
// can no longer be named (EBADF), and another descriptor of the same file
// is another key.
static void keys(void) {
	puts("-- the interest set: (descriptor, open file) keys");
	int p[2];
	R(pipe(p));
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
	R(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	int d = dup(p[0]);
	R(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)); // EEXIST
	ev.data.u64 = 2;
	R(epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev)); // the same file, another key
	R(write(p[1], "x", 1));
	struct epoll_event got[4];
	int n = epoll_wait(ep, got, 4, 0);
	printf("  two keys, one file: %d events, data sum %lu\n", n, n == 2 ? (unsigned long)(got[0].data.u64 + got[1].data.u64) : 0UL);
	R(close(p[0]));
	n = epoll_wait(ep, got, 4, 0);
	printf("  its first descriptor closed: %d events\n", n);
	R(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], &ev)); // EBADF: the number is gone
	R(epoll_ctl(ep, EPOLL_CTL_DEL, d, &ev));
	n = epoll_wait(ep, got, 4, 0);
	printf("  the second key deleted: %d events, data %lu\n", n, n == 1 ? (unsigned long)got[0].data.u64 : 0UL);
	R(close(d)); // the last descriptor: the file goes, and its watch
	int again[2];
	R(pipe(again)); // may reuse the numbers
	R(write(again[1], "y", 1));
	n = epoll_wait(ep, got, 4, 0);
	printf("  the file's last descriptor closed: %d events\n", n);
	close(again[0]);
	close(again[1]);
	close(p[1]);
	close(ep);
}

// turns shows that level-triggered watches take turns when epoll_wait
// asks for fewer events than are ready (ep_send_events puts the items it
// did not get to before those it reported); an array beyond user space
// is EFAULT (access_ok), and an event that cannot be copied out stays
// ready, the call returning those copied before it, or EFAULT.
static void turns(void) {
	puts("-- level-triggered watches take turns");
	int ep = epoll_create1(0), e[3];
	for (int i = 0; i < 3; i++) {
		e[i] = eventfd(1, 0);
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 10 + i};
		R(epoll_ctl(ep, EPOLL_CTL_ADD, e[i], &ev));
	}
	struct epoll_event got[2];
	for (int round = 0; round < 4; round++) {
		int n = epoll_wait(ep, got, round % 2 ? 2 : 1, 0);
		printf("  maxevents %d: %d events, data", round % 2 ? 2 : 1, n);
		for (int i = 0; i < n; i++)
			printf(" %lu", (unsigned long)got[i].data.u64);
		putchar('\n');
	}
	R(epoll_wait(ep, KERNEL_PTR, 1, 0));              // beyond user space
	R(syscall(SYS_epoll_wait, ep, (void *)16, 1, 0)); // not mapped
	// Three ready, room for two, the second not mapped: one copied.
	struct epoll_event *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap((char *)two + 4096, 4096);
	R(epoll_wait(ep, (struct epoll_event *)((char *)two + 4096 - sizeof *two), 2, 0));
	munmap(two, 4096);
	struct epoll_event one;
	int n = epoll_wait(ep, &one, 1, 0);
	printf("  after the faults: %d events, data %lu\n", n, n == 1 ? (unsigned long)one.data.u64 : 0UL);
	for (int i = 0; i < 3; i++)
		close(e[i]);
	close(ep);
}

// ---- level- and edge-triggered

static void triggers(void) {
	puts("-- level- and edge-triggered: 3 KB written, 1 KB read");
	int p[2];
	pipe2(p, O_NONBLOCK);
	int lt = watch(p[0], EPOLLIN), et = watch(p[0], EPOLLIN | EPOLLET);
	ready("level before any data", lt);
	ready("edge before any data", et);
	memset(buf, 'x', sizeof buf);
	R(write(p[1], buf, 3072));
	ready("level after the write", lt);
	ready("edge after the write", et);
	R(read(p[0], buf, 1024));
	ready("level with 2 KB left", lt);
	ready("edge with 2 KB left", et);
	ready("level again", lt);
	ready("edge again", et);
	R(write(p[1], buf, 1));
	ready("level after new data", lt);
	ready("edge after new data", et);
	ready("edge again", et);
	R(read(p[0], buf, sizeof buf));
	ready("level once drained", lt);
	// The write end: edge-triggered EPOLLOUT comes back when room does.
	int wet = watch(p[1], EPOLLOUT | EPOLLET);
	ready("write end, edge", wet);
	ready("write end, edge again", wet);
	long filled = 0, r;
	while ((r = write(p[1], buf, sizeof buf)) > 0)
		filled += r;
	printf("  filled the pipe: %ld bytes, then %s\n", filled, strerrorname_np(errno));
	ready("write end full, edge", wet);
	R(read(p[0], buf, sizeof buf));
	ready("write end after a page is read, edge", wet);
	close(p[1]);
	ready("level once the writer is gone", lt);
	ready("edge once the writer is gone", et);
	close(lt), close(et), close(wet), close(p[0]);
}

// ---- EPOLLEXCLUSIVE

#define KIDS 4

// woken waits for a first child to say it woke on fd, then a while for
// others, and returns how many did.
static long woken(int fd) {
	long n = read(fd, buf, 1);
	usleep(300 * 1000);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	long r;
	while ((r = read(fd, buf, sizeof buf)) > 0)
		n += r;
	fcntl(fd, F_SETFL, 0);
	return n;
}

// exclusive forks KIDS children, each with an epoll instance of its own
// watching one eventfd (with flags), each asleep in epoll_wait; the
// parent signals the eventfd and counts who woke.
static void exclusive(const char *what, unsigned flags) {
	int efd = eventfd(0, EFD_NONBLOCK);
	int up[2], woke[2];
	pipe(up);
	pipe(woke);
	pid_t kids[KIDS];
	fflush(stdout);
	for (int i = 0; i < KIDS; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			int ep = watch(efd, EPOLLIN | flags);
			write(up[1], "u", 1);
			struct epoll_event ev;
			int n = epoll_wait(ep, &ev, 1, -1);
			write(woke[1], n == 1 && ev.events == EPOLLIN ? "w" : "?", 1);
			_exit(0);
		}
	}
	for (int i = 0; i < KIDS; i++)
		read(up[0], buf, 1);
	// Give them time to go to sleep in epoll_wait.
	usleep(300 * 1000);
	uint64_t one = 1;
	write(efd, &one, sizeof one);
	printf("  %s: one event woke %ld of %d\n", what, woken(woke[0]), KIDS);
	if (flags & EPOLLEXCLUSIVE) {
		// The woken child has exited; the next event wakes another.
		wait(NULL);
		write(efd, &one, sizeof one);
		printf("  %s: a second event woke %ld more\n", what, woken(woke[0]));
	}
	for (int i = 0; i < KIDS; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	close(efd), close(up[0]), close(up[1]), close(woke[0]), close(woke[1]);
}

// ---- select and pselect6

static volatile int hits;
static void on_signal(int sig) {
	(void)sig;
	hits++;
}

static void handle(int sig, int flags) {
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = flags};
	sigaction(sig, &sa, NULL);
}

static void selecting(void) {
	puts("-- select and pselect6");
	int p[2];
	pipe(p);
	write(p[1], "x", 1);
	int nfds = (p[0] > p[1] ? p[0] : p[1]) + 1;
	fd_set r, w, e;
	struct timeval tv = {0, 0};
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(p[0], &r), FD_SET(p[1], &r), FD_SET(p[1], &w), FD_SET(p[0], &e);
	R(syscall(SYS_select, nfds, &r, &w, &e, &tv));
	printf("  readable: read end %d, write end %d; writable: write end %d; exceptional: %d\n", FD_ISSET(p[0], &r),
	       FD_ISSET(p[1], &r), FD_ISSET(p[1], &w), FD_ISSET(p[0], &e));
	// nfds bounds the descriptors looked at.
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	R(syscall(SYS_select, p[0], &r, NULL, NULL, &tv));
	R(syscall(SYS_select, -1, &r, NULL, NULL, &tv));
	// Past FD_SETSIZE: the kernel looks at no more descriptors than the
	// table holds (fdt->max_fds), so the bits past it are never read.
	static fd_set big[8];
	FD_SET(p[0], &big[0]);
	R(syscall(SYS_select, 8 * FD_SETSIZE, big, NULL, NULL, &tv));
	big[4].fds_bits[0] = 1; // descriptor 4 * FD_SETSIZE, past the table
	R(syscall(SYS_select, 8 * FD_SETSIZE, big, NULL, NULL, &tv));
	R(syscall(SYS_select, 1 << 30, big, NULL, NULL, &tv));
	FD_SET(60, &big[0]); // not open, within the table
	R(syscall(SYS_select, 8 * FD_SETSIZE, big, NULL, NULL, &tv));
	// A closed descriptor within the table is EBADF.
	int closed = dup(p[0]);
	close(closed);
	FD_ZERO(&r);
	FD_SET(p[0], &r), FD_SET(closed, &r);
	R(syscall(SYS_select, closed + 1, &r, NULL, NULL, &tv));
	R(syscall(SYS_select, nfds, KERNEL_PTR, NULL, NULL, &tv));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	R(syscall(SYS_select, nfds, &r, NULL, NULL, KERNEL_PTR));
	// Timeouts: microseconds carry into seconds before the check, so
	// only what is negative after it is EINVAL.
	tv = (struct timeval){0, 1500000};
	R(syscall(SYS_select, nfds, &r, NULL, NULL, &tv));
	printf("  {0, 1500000} left as %s\n", tv.tv_sec == 1 && tv.tv_usec <= 500000 && tv.tv_usec > 400000 ? "about 1.5 s" : "something else");
	tv = (struct timeval){1, -1000000};
	R(syscall(SYS_select, nfds, &r, NULL, NULL, &tv));
	tv = (struct timeval){0, -1};
	R(syscall(SYS_select, nfds, &r, NULL, NULL, &tv));
	tv = (struct timeval){-1, 0};
	R(syscall(SYS_select, nfds, &r, NULL, NULL, &tv));
	// The time left is written back: all of it used by a timeout.
	read(p[0], buf, 1);
	tv = (struct timeval){0, 20000};
	FD_SET(p[0], &r);
	R(syscall(SYS_select, nfds, &r, NULL, NULL, &tv));
	printf("  a timeout leaves %ld.%06ld, the set %d\n", (long)tv.tv_sec, (long)tv.tv_usec, FD_ISSET(p[0], &r));
	tv = (struct timeval){0, 20000};
	R(syscall(SYS_select, 0, NULL, NULL, NULL, &tv)); // a plain sleep
	// EINTR when a handler runs, SA_RESTART or not, with the time left.
	handle(SIGALRM, SA_RESTART);
	setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 20000}}, NULL);
	tv = (struct timeval){10, 0};
	FD_SET(p[0], &r);
	hits = 0;
	R(syscall(SYS_select, nfds, &r, NULL, NULL, &tv));
	printf("  the handler ran %d time(s); time left written back: %s\n", hits, tv.tv_sec < 10 && tv.tv_sec >= 8 ? "yes" : "no");
	signal(SIGALRM, SIG_DFL);
	// pselect6: the timeout is a timespec, written back too; the sixth
	// argument points at {mask, its size}.
	struct timespec ts = {0, 1000000000};
	FD_SET(p[0], &r);
	R(syscall(SYS_pselect6, nfds, &r, NULL, NULL, &ts, NULL));
	ts = (struct timespec){0, 20000000};
	R(syscall(SYS_pselect6, nfds, &r, NULL, NULL, &ts, NULL));
	printf("  a timeout leaves %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	sigset_t none;
	sigemptyset(&none);
	struct {
		sigset_t *mask;
		size_t size;
	} sig = {&none, 8};
	// A blocked signal that is pending: the mask lets it in, its
	// handler runs, and the call's old mask comes back.
	handle(SIGUSR1, 0);
	set_mask(SIG_BLOCK, SIGUSR1);
	raise(SIGUSR1);
	hits = 0;
	ts = (struct timespec){10, 0};
	FD_SET(p[0], &r);
	R(syscall(SYS_pselect6, nfds, &r, NULL, NULL, &ts, &sig));
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("  the handler ran %d time(s); SIGUSR1 blocked again: %d\n", hits, sigismember(&now, SIGUSR1));
	sig.size = 4;
	R(syscall(SYS_pselect6, nfds, &r, NULL, NULL, &ts, &sig));
	sig.size = 8, sig.mask = KERNEL_PTR;
	R(syscall(SYS_pselect6, nfds, &r, NULL, NULL, &ts, &sig));
	sig.mask = NULL; // no mask: the size is not looked at
	sig.size = 4;
	ts = (struct timespec){0, 0};
	R(syscall(SYS_pselect6, nfds, &r, NULL, NULL, &ts, &sig));
	R(syscall(SYS_pselect6, nfds, &r, NULL, NULL, &ts, KERNEL_PTR));
	// ppoll's mask the same way.
	puts("-- poll and ppoll");
	struct pollfd pf[3] = {{p[0], POLLIN, 0}, {closed, POLLIN, 0}, {-5, POLLIN, 0}};
	R(poll(pf, 3, 0));
	printf("  revents: the pipe %#x, a closed descriptor %#x, a negative one %#x\n", pf[0].revents, pf[1].revents, pf[2].revents);
	raise(SIGUSR1);
	hits = 0;
	ts = (struct timespec){10, 0};
	R(syscall(SYS_ppoll, pf, 1, &ts, &none, 8));
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("  the handler ran %d time(s); SIGUSR1 blocked again: %d\n", hits, sigismember(&now, SIGUSR1));
	set_mask(SIG_UNBLOCK, SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
	close(p[0]), close(p[1]);
}

// ---- pidfd

static void pidfds(void) {
	puts("-- a pidfd is readable when its process exits");
	int go[2];
	pipe(go);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		read(go[0], buf, 1);
		_exit(3);
	}
	close(go[0]);
	int fd = syscall(SYS_pidfd_open, pid, 0);
	int lt = watch(fd, EPOLLIN), et = watch(fd, EPOLLIN | EPOLLET);
	struct pollfd pf = {fd, POLLIN, 0};
	R(poll(&pf, 1, 0));
	ready("level while it runs", lt);
	close(go[1]); // the child exits
	struct epoll_event ev;
	int n = epoll_wait(et, &ev, 1, 10000);
	printf("  edge, waiting: %d%s\n", n, n > 0 && ev.events & EPOLLIN ? " IN" : "");
	ready("edge again", et);
	ready("level", lt);
	R(poll(&pf, 1, 10000));
	printf("  poll: %#x\n", pf.revents);
	int st;
	waitpid(pid, &st, 0);
	printf("  reaped, exit status %d\n", WEXITSTATUS(st));
	ready("level once reaped", lt);
	pf.events = POLLIN | POLLHUP;
	R(poll(&pf, 1, 0));
	printf("  poll once reaped: %#x\n", pf.revents);
	close(lt), close(et), close(fd);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	triggers();
	keys();
	turns();
	puts("-- EPOLLEXCLUSIVE: processes asleep on one eventfd");
	exclusive("EPOLLEXCLUSIVE", EPOLLEXCLUSIVE);
	exclusive("without it", 0);
	selecting();
	pidfds();
	return 0;
}
