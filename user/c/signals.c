// Signal delivery: handlers and their siginfo (kill to itself and to a
// child, raise, sigqueue, tgkill to a thread), SA_RESTART against EINTR
// for a pipe read interrupted by SIGALRM (alarm and setitimer),
// blocked signals left pending and delivered on unblocking (standard
// ones once, real-time ones queued, in Linux's order), rt_sigsuspend,
// sigaltstack with SA_ONSTACK, SA_RESETHAND, SA_NODEFER and sa_mask,
// fault handlers that inspect si_addr and si_code and siglongjmp out,
// sigtimedwait, SIGPIPE, default actions, and what fork and execve keep.
//
// Run as init with the rootfs as root (qemu.Case.Init); run with
// "--after-exec" it reports the signal state execve left it.
#include "check.h"
#include <poll.h>
#include <sys/epoll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ucontext.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static const char *code_name(int code) {
	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_KERNEL:
		return "SI_KERNEL";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SI_TKILL:
		return "SI_TKILL";
	case SI_TIMER:
		return "SI_TIMER";
	}
	static char b[16];
	snprintf(b, sizeof b, "%d", code);
	return b;
}

static void handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
	struct sigaction sa = {0};
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(sig, &sa, NULL);
}

// send_later forks a child that sends sig to this process 30 ms later.
static pid_t send_later(int sig) {
	pid_t parent = getpid();
	pid_t pid = pfork();
	if (pid == 0) {
		pause_ms(30);
		kill(parent, sig);
		_exit(0);
	}
	return pid;
}

// ---- handlers and siginfo

static volatile int hits;
static siginfo_t last;
static volatile pid_t handler_tid;

static void record(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)uc;
	last = *si;
	handler_tid = syscall(SYS_gettid);
	hits++;
}

static void print_info(const char *what, pid_t from) {
	printf("%s: %d run(s), si_signo %s si_code %s si_pid %s si_uid %d\n", what, hits, sig_name(last.si_signo), code_name(last.si_code),
	       last.si_pid == from ? "the sender's" : last.si_pid == 0 ? "0" : "other", (int)last.si_uid);
}

static volatile pid_t thread_tid;
static volatile int thread_stop;

static void *thread_main(void *arg) {
	(void)arg;
	thread_tid = syscall(SYS_gettid);
	while (!thread_stop)
		pause_ms(5);
	return NULL;
}

static void basics(void) {
	printf("-- handlers and siginfo\n");
	handle(SIGUSR1, record, 0);
	hits = 0;
	R(kill(getpid(), SIGUSR1));
	print_info("kill to itself (the handler ran before kill returned)", getpid());
	hits = 0;
	R(raise(SIGUSR1));
	print_info("raise", getpid());
	hits = 0;
	union sigval v = {.sival_int = 42};
	R(sigqueue(getpid(), SIGUSR1, v));
	print_info("sigqueue", getpid());
	printf("sigqueue's value: %d\n", last.si_value.sival_int);
	hits = 0;
	R(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1));
	print_info("tgkill", getpid());

	// A signal to one thread runs the handler on that thread; a signal
	// to the process goes to a thread that does not block it.
	pthread_t th;
	set_mask(SIG_BLOCK, SIGUSR1); // the new thread inherits this mask
	pthread_create(&th, NULL, thread_main, NULL);
	pid_t main_tid = syscall(SYS_gettid);
	hits = 0;
	pthread_kill(th, SIGUSR1); // blocked there too: stays pending, for that thread
	sigset_t p;
	sigpending(&p);
	printf("pthread_kill to another thread that blocks it: pending for this one: %s, handler runs %d\n", sigismember(&p, SIGUSR1) ? "yes" : "no", hits);
	thread_stop = 1;
	pthread_join(th, NULL);
	thread_stop = 0;
	thread_tid = 0;
	hits = 0;
	set_mask(SIG_UNBLOCK, SIGUSR1);
	pthread_create(&th, NULL, thread_main, NULL);
	set_mask(SIG_BLOCK, SIGUSR1);
	pause_ms(20);
	kill(getpid(), SIGUSR1); // only the new thread takes it
	for (int i = 0; i < 200 && !hits; i++)
		pause_ms(5);
	printf("kill while the main thread blocks it: %d run(s), on %s\n", hits, handler_tid == main_tid ? "the main thread" : "the other thread");
	// kill to a thread's ID signals its whole process.
	while (!thread_tid)
		sched_yield();
	hits = 0;
	ok("the thread's ID is not the process's", thread_tid != getpid());
	int r = kill(thread_tid, SIGUSR1);
	for (int i = 0; i < 200 && !hits; i++)
		pause_ms(5);
	printf("kill to the thread's ID: %d, %d run(s), si_code %s\n", r, hits, code_name(last.si_code));
	thread_stop = 1;
	pthread_join(th, NULL);
	set_mask(SIG_UNBLOCK, SIGUSR1);

	// To a child: it reports what its handler saw.
	int ready[2];
	pipe(ready);
	set_mask(SIG_BLOCK, SIGUSR1);
	pid_t pid = pfork();
	if (pid == 0) {
		hits = 0;
		write(ready[1], "r", 1);
		sigset_t none;
		sigemptyset(&none);
		while (!hits)
			sigsuspend(&none);
		print_info("child: kill from its parent", getppid());
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	// Codes that vouch for the sender may be forged only towards oneself.
	siginfo_t forged = {.si_code = SI_USER}, queued = {.si_code = SI_QUEUE};
	R(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &forged));
	R(syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGUSR1, &forged));
	forged.si_code = SI_TKILL;
	R(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &forged));
	R(syscall(SYS_rt_sigqueueinfo, 99999, SIGUSR1, &queued));
	R(syscall(SYS_rt_sigqueueinfo, getpid(), 65, &queued));
	R(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, KERNEL_PTR));
	R(syscall(SYS_rt_tgsigqueueinfo, 0, pid, SIGUSR1, &queued));
	R(syscall(SYS_rt_tgsigqueueinfo, getpid(), 99999, SIGUSR1, &queued));
	R(syscall(SYS_rt_tgsigqueueinfo, getpid(), pid, SIGUSR1, &queued));
	R(syscall(SYS_rt_tgsigqueueinfo, pid, pid, 0, &queued));
	R(syscall(SYS_tgkill, getpid(), 99999, 65));
	R(syscall(SYS_tgkill, pid, pid, 65));
	R(kill(99999, 65));
	R(kill(pid, 65));
	long kr = kill(pid, SIGUSR1);
	reap("the child", pid); // its output comes first
	show("kill(pid, SIGUSR1)", kr);
	set_mask(SIG_UNBLOCK, SIGUSR1);
	close(ready[0]);
	close(ready[1]);

	// Argument errors.
	R(kill(getpid(), 65));
	R(sigaction(SIGKILL, &(struct sigaction){.sa_handler = SIG_IGN}, NULL));
	R(sigaction(SIGSTOP, &(struct sigaction){.sa_handler = SIG_IGN}, NULL));
	R(syscall(SYS_rt_sigaction, 0, NULL, NULL, 8));
	R(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8));
	R(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4));
	R(syscall(SYS_rt_sigprocmask, 3, NULL, NULL, 8));
	R(syscall(SYS_rt_sigprocmask, 3, &(uint64_t){0}, NULL, 8));
	struct sigaction old;
	R(sigaction(SIGKILL, NULL, &old));
}

// ---- SA_RESTART, EINTR, alarm and setitimer

static volatile int alarms;

static void on_alarm(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)uc;
	last = *si;
	alarms++;
}

static void interrupted(void) {
	printf("-- SA_RESTART and EINTR\n");
	int p[2];
	pipe(p);
	char buf[8];
	struct itimerval it = {{0, 0}, {0, 30000}};
	// Without SA_RESTART, the read fails with EINTR.
	handle(SIGALRM, on_alarm, 0);
	alarms = 0;
	R(setitimer(ITIMER_REAL, &it, NULL));
	R(read(p[0], buf, sizeof buf));
	printf("SIGALRM from setitimer: %d run(s), si_code %s\n", alarms, code_name(last.si_code));
	// With SA_RESTART it goes on, and returns the data a child writes
	// later.
	handle(SIGALRM, on_alarm, SA_RESTART);
	alarms = 0;
	pid_t pid = pfork();
	if (pid == 0) {
		pause_ms(500);
		write(p[1], "late", 4);
		_exit(0);
	}
	R(setitimer(ITIMER_REAL, &it, NULL));
	ssize_t n = read(p[0], buf, sizeof buf);
	printf("read with SA_RESTART: %zd \"%.*s\" after %d handler run(s)\n", n, (int)(n > 0 ? n : 0), buf, alarms);
	reap("the writer", pid);
	// alarm(2): the previous alarm's remaining seconds.
	R(alarm(5));
	R(alarm(0));
	R(alarm(0));
	struct itimerval cur;
	R(getitimer(ITIMER_REAL, &cur));
	printf("no timer: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);
	it.it_value.tv_sec = 10;
	setitimer(ITIMER_REAL, &it, NULL);
	getitimer(ITIMER_REAL, &cur);
	ok("getitimer counts down from what was set", cur.it_value.tv_sec <= 10 && cur.it_value.tv_sec >= 9);
	struct itimerval off = {0};
	R(setitimer(ITIMER_REAL, &off, &cur));
	ok("setitimer returns the old value", cur.it_value.tv_sec >= 9);
	R(setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 1000000}}, NULL));
	R(setitimer(5, &off, NULL));
	// A periodic timer fires again and again.
	alarms = 0;
	struct itimerval periodic = {{0, 10000}, {0, 10000}};
	setitimer(ITIMER_REAL, &periodic, NULL);
	while (alarms < 3)
		pause();
	setitimer(ITIMER_REAL, &off, NULL);
	printf("a periodic timer fired at least 3 times: %s\n", alarms >= 3 ? "ok" : "FAIL");
	// nanosleep interrupted: EINTR and the time left.
	handle(SIGALRM, on_alarm, SA_RESTART); // nanosleep is never restarted by SA_RESTART
	setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 20000}}, NULL);
	struct timespec req = {5, 0}, rem = {0, 0};
	R(nanosleep(&req, &rem));
	ok("nanosleep reports the time left", rem.tv_sec > 0 && rem.tv_sec <= 5);
	// epoll_wait and its kin are never restarted (-EINTR, not
	// ERESTARTSYS), nor is pause (ERESTARTNOHAND), SA_RESTART or not.
	int ep = epoll_create1(0);
	struct epoll_event ee = {.events = EPOLLIN};
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ee);
	setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 20000}}, NULL);
	R(epoll_wait(ep, &ee, 1, -1));
	setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 20000}}, NULL);
	R(epoll_pwait(ep, &ee, 1, 5000, NULL));
	close(ep);
	alarms = 0;
	setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 20000}}, NULL);
	R(pause());
	printf("pause returned after %d handler run(s)\n", alarms);
	// The default action of SIGALRM ends a process.
	pid = pfork();
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(1);
		for (;;)
			pause();
	}
	reap("a child with alarm(1)", pid);
	signal(SIGALRM, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

// ---- poll and ppoll

static const char *revents(short r) {
	static const struct {
		short bit;
		const char *name;
	} names[] = {{POLLIN, "POLLIN"}, {POLLOUT, "POLLOUT"}, {POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"},
	             {POLLNVAL, "POLLNVAL"}, {POLLRDNORM, "POLLRDNORM"}, {POLLWRNORM, "POLLWRNORM"}};
	static char b[80];
	b[0] = 0;
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (r & names[i].bit)
			strcat(strcat(b, "|"), names[i].name);
	return b[0] ? b + 1 : "0";
}

static void polling(void) {
	printf("-- poll and ppoll\n");
	int p[2];
	pipe(p);
	int file = open("data/hello.txt", O_RDONLY);
	struct pollfd fds[5] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {-1, POLLIN, 0}, {99, POLLIN, 0}, {file, POLLIN | POLLOUT | POLLPRI, 0}};
	R(poll(fds, 5, 0));
	for (int i = 0; i < 5; i++)
		printf("  fd %d: %s\n", i, revents(fds[i].revents));
	write(p[1], "x", 1);
	fds[0].events = POLLIN | POLLRDNORM;
	R(poll(fds, 1, 0));
	printf("  after a write, the read end: %s\n", revents(fds[0].revents));
	fds[1].events = POLLOUT | POLLWRNORM;
	R(poll(fds + 1, 1, 0));
	printf("  the write end: %s\n", revents(fds[1].revents));
	char c;
	read(p[0], &c, 1);
	R(poll(fds, 1, 20));
	fds[0].events = 0;
	R(poll(fds, 1, 0)); // asks for nothing
	R(poll(NULL, 0, 10)); // a plain sleep
	R(poll(KERNEL_PTR, 1, 0));
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	R(poll(fds, rl.rlim_cur + 1, 0));
	// A handler interrupts poll, SA_RESTART or not.
	handle(SIGALRM, on_alarm, SA_RESTART);
	fds[0].events = POLLIN;
	setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 20000}}, NULL);
	R(poll(fds, 1, -1));
	signal(SIGALRM, SIG_DFL);
	// ppoll: its mask lets SIGUSR1 in while it waits, and the old one
	// comes back after the handler.
	handle(SIGUSR1, record, 0);
	set_mask(SIG_BLOCK, SIGUSR1);
	pid_t pid = send_later(SIGUSR1);
	sigset_t none;
	sigemptyset(&none);
	struct timespec ts = {10, 0};
	hits = 0;
	R(syscall(SYS_ppoll, fds, 1, &ts, &none, 8)); // glibc's ppoll passes a copy of ts
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("  the handler ran %d time(s); SIGUSR1 blocked again: %d; time left written back: %s\n", hits, sigismember(&now, SIGUSR1),
	       ts.tv_sec < 10 && ts.tv_sec >= 8 ? "yes" : "no");
	reap("the sender", pid);
	ts = (struct timespec){0, 10000000};
	R(syscall(SYS_ppoll, fds, 1, &ts, NULL, 8));
	printf("  a timeout leaves %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	R(syscall(SYS_ppoll, fds, 1, NULL, &none, 4));
	ts.tv_nsec = 1000000000;
	R(ppoll(fds, 1, &ts, NULL));
	set_mask(SIG_UNBLOCK, SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
	// Hangups and errors.
	close(p[1]);
	fds[0].events = POLLIN;
	R(poll(fds, 1, 0));
	printf("  the read end once the writer is gone: %s\n", revents(fds[0].revents));
	int q[2];
	pipe(q);
	close(q[0]);
	struct pollfd wr = {q[1], POLLOUT, 0};
	R(poll(&wr, 1, 0));
	printf("  the write end once the reader is gone: %s\n", revents(wr.revents));
	close(q[1]);
	close(p[0]);
	close(file);
}

// ---- blocked signals

static int order[16];
static volatile int norder;

static void record_order(int sig, siginfo_t *si, void *uc) {
	(void)si, (void)uc;
	if (norder < 16)
		order[norder++] = sig;
}

static void blocked(void) {
	printf("-- blocked signals\n");
	handle(SIGUSR1, record_order, 0);
	handle(SIGUSR2, record_order, 0);
	handle(SIGHUP, record_order, 0);
	handle(SIGRTMIN, record_order, 0);
	handle(SIGRTMIN + 1, record_order, 0);
	sigset_t b, p, old;
	sigemptyset(&b);
	sigaddset(&b, SIGUSR1);
	sigaddset(&b, SIGUSR2);
	sigaddset(&b, SIGHUP);
	sigaddset(&b, SIGRTMIN);
	sigaddset(&b, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &b, &old);
	norder = 0;
	kill(getpid(), SIGRTMIN + 1);
	kill(getpid(), SIGRTMIN);
	kill(getpid(), SIGRTMIN);
	kill(getpid(), SIGRTMIN);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGHUP);
	printf("nothing delivered while blocked: %d\n", norder);
	sigpending(&p);
	printf("pending:");
	for (int s = 1; s <= SIGRTMAX; s++)
		if (sigismember(&p, s))
			printf(" %s", sig_name(s));
	printf("\n");
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("delivered on unblocking, in order:");
	for (int i = 0; i < norder; i++)
		printf(" %s", sig_name(order[i]));
	printf("\n");
	sigpending(&p);
	printf("pending afterwards: %s\n", sigisemptyset(&p) ? "none" : "some");
	// Ignoring a pending signal discards it.
	set_mask(SIG_BLOCK, SIGUSR1);
	kill(getpid(), SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	sigpending(&p);
	printf("pending after SIG_IGN: %s\n", sigismember(&p, SIGUSR1) ? "yes" : "no");
	set_mask(SIG_UNBLOCK, SIGUSR1);
	// A blocked signal whose action is SIG_IGN is still queued.
	set_mask(SIG_BLOCK, SIGUSR1);
	kill(getpid(), SIGUSR1);
	sigpending(&p);
	printf("SIG_IGN but blocked: pending %s\n", sigismember(&p, SIGUSR1) ? "yes" : "no");
	signal(SIGUSR1, SIG_DFL);
	handle(SIGUSR1, record_order, 0);
	norder = 0;
	set_mask(SIG_UNBLOCK, SIGUSR1);
	printf("delivered to the handler installed meanwhile: %d\n", norder);
	// SIGKILL and SIGSTOP cannot be blocked.
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	sigprocmask(SIG_SETMASK, NULL, &b);
	printf("after blocking everything: SIGKILL blocked %d, SIGSTOP blocked %d, SIGTERM blocked %d\n", sigismember(&b, SIGKILL),
	       sigismember(&b, SIGSTOP), sigismember(&b, SIGTERM));
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGRTMIN, SIG_DFL);
	signal(SIGRTMIN + 1, SIG_DFL);
}

// ---- rt_sigsuspend

static sigset_t mask_in_handler;

static void save_mask(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)si, (void)uc;
	sigprocmask(SIG_SETMASK, NULL, &mask_in_handler);
	hits++;
}

static void suspend(void) {
	printf("-- rt_sigsuspend\n");
	struct sigaction sa = {0};
	sa.sa_sigaction = save_mask;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2); // blocked while the handler runs
	sigaction(SIGUSR1, &sa, NULL);
	set_mask(SIG_BLOCK, SIGUSR1);
	hits = 0;
	pid_t pid = send_later(SIGUSR1);
	sigset_t wait_mask;
	sigemptyset(&wait_mask);
	sigaddset(&wait_mask, SIGHUP);
	R(sigsuspend(&wait_mask));
	printf("handler runs: %d\n", hits);
	printf("mask in the handler: SIGUSR1 %d, SIGUSR2 (sa_mask) %d, SIGHUP (sigsuspend's) %d\n", sigismember(&mask_in_handler, SIGUSR1),
	       sigismember(&mask_in_handler, SIGUSR2), sigismember(&mask_in_handler, SIGHUP));
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("mask after sigsuspend: SIGUSR1 %d, SIGHUP %d\n", sigismember(&now, SIGUSR1), sigismember(&now, SIGHUP));
	reap("the sender", pid);
	// A signal already pending ends sigsuspend at once.
	kill(getpid(), SIGUSR1);
	hits = 0;
	sigemptyset(&wait_mask);
	R(sigsuspend(&wait_mask));
	printf("with a pending signal: %d run(s)\n", hits);
	R(syscall(SYS_rt_sigsuspend, &wait_mask, 4));
	set_mask(SIG_UNBLOCK, SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
}

// ---- sigaltstack

static char *alt;
static size_t alt_size;
static volatile int on_alt, ss_flags_inside, eperm_inside;

static void check_stack(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)si, (void)uc;
	char here;
	on_alt = &here >= alt && &here < alt + alt_size;
	stack_t cur;
	sigaltstack(NULL, &cur);
	ss_flags_inside = cur.ss_flags;
	stack_t n = {.ss_sp = alt, .ss_size = alt_size};
	eperm_inside = sigaltstack(&n, NULL) == -1 ? errno : 0;
}

static void altstack(void) {
	printf("-- sigaltstack\n");
	alt_size = 64 * 1024;
	alt = mmap(NULL, alt_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = {.ss_sp = alt, .ss_size = alt_size}, old;
	R(sigaltstack(&ss, &old));
	printf("the old stack: flags %s\n", old.ss_flags == SS_DISABLE ? "SS_DISABLE" : "?");
	R(sigaltstack(NULL, &old));
	printf("now: flags %d, size %s\n", old.ss_flags, old.ss_size == alt_size ? "as set" : "?");
	handle(SIGUSR1, check_stack, SA_ONSTACK);
	raise(SIGUSR1);
	printf("SA_ONSTACK: the handler ran on the alternate stack: %s, ss_flags there %s, changing it there: %s\n", on_alt ? "yes" : "no",
	       ss_flags_inside == SS_ONSTACK ? "SS_ONSTACK" : "?", eperm_inside ? strerrorname_np(eperm_inside) : "0");
	handle(SIGUSR1, check_stack, 0);
	raise(SIGUSR1);
	printf("without SA_ONSTACK: on the alternate stack: %s, ss_flags there %d\n", on_alt ? "yes" : "no", ss_flags_inside);
	// Errors.
	stack_t small = {.ss_sp = alt, .ss_size = 1024};
	R(sigaltstack(&small, NULL));
	stack_t bad = {.ss_sp = alt, .ss_size = alt_size, .ss_flags = 7};
	R(sigaltstack(&bad, NULL));
	R(syscall(SYS_sigaltstack, KERNEL_PTR, NULL));
	stack_t dis = {.ss_flags = SS_DISABLE};
	R(sigaltstack(&dis, NULL));
	R(sigaltstack(NULL, &old));
	printf("disabled: flags %s\n", old.ss_flags == SS_DISABLE ? "SS_DISABLE" : "?");
	handle(SIGUSR1, check_stack, SA_ONSTACK);
	raise(SIGUSR1);
	printf("SA_ONSTACK without an alternate stack: on it %s\n", on_alt ? "yes" : "no");
	// A thread starts without an alternate stack; a forked child keeps it.
	sigaltstack(&ss, NULL);
	pid_t pid = pfork();
	if (pid == 0) {
		stack_t c;
		sigaltstack(NULL, &c);
		raise(SIGUSR1);
		printf("child: alternate stack kept: %s, handler on it: %s\n", c.ss_flags == 0 && c.ss_sp == alt ? "yes" : "no", on_alt ? "yes" : "no");
		_exit(0);
	}
	reap("the child", pid);
	signal(SIGUSR1, SIG_DFL);
	sigaltstack(&dis, NULL);
}

// ---- SA_RESETHAND, SA_NODEFER

static volatile int depth, max_depth, blocked_inside;

static void nested(int sig, siginfo_t *si, void *uc) {
	(void)si, (void)uc;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	sigset_t m;
	sigprocmask(SIG_SETMASK, NULL, &m);
	blocked_inside = sigismember(&m, sig);
	hits++;
	if (hits == 1)
		raise(sig);
	depth--;
}

static void flags(void) {
	printf("-- SA_RESETHAND and SA_NODEFER\n");
	handle(SIGUSR2, record, SA_RESETHAND);
	hits = 0;
	raise(SIGUSR2);
	struct sigaction cur;
	sigaction(SIGUSR2, NULL, &cur);
	printf("SA_RESETHAND: %d run(s), then the action is %s\n", hits, cur.sa_handler == SIG_DFL ? "SIG_DFL" : "still the handler");
	pid_t pid = pfork();
	if (pid == 0) {
		handle(SIGUSR2, record, SA_RESETHAND);
		raise(SIGUSR2);
		raise(SIGUSR2);
		_exit(0);
	}
	reap("a child raising it twice", pid);
	handle(SIGUSR2, nested, 0);
	hits = max_depth = 0;
	raise(SIGUSR2);
	printf("without SA_NODEFER: %d runs, nested %d deep, blocked in the handler %d\n", hits, max_depth, blocked_inside);
	handle(SIGUSR2, nested, SA_NODEFER);
	hits = max_depth = 0;
	raise(SIGUSR2);
	printf("with SA_NODEFER: %d runs, nested %d deep, blocked in the handler %d\n", hits, max_depth, blocked_inside);
	signal(SIGUSR2, SIG_DFL);
}

// ---- faults

static sigjmp_buf jb;
static volatile int fault_sig, fault_code;
static void *volatile fault_addr;

static void on_fault(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(jb, 1);
}

static void fault_again(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)si, (void)uc;
	*(volatile int *)24 = 1;
}

static const char *segv_code(int c) {
	switch (c) {
	case SEGV_MAPERR:
		return "SEGV_MAPERR";
	case SEGV_ACCERR:
		return "SEGV_ACCERR";
	case SI_KERNEL:
		return "SI_KERNEL";
	}
	return "?";
}

static void faults(void) {
	printf("-- fault handlers\n");
	handle(SIGSEGV, on_fault, 0);
	handle(SIGFPE, on_fault, 0);
	handle(SIGILL, on_fault, 0);
	handle(SIGTRAP, on_fault, 0);
	handle(SIGBUS, on_fault, 0);
	volatile char *unmapped = (char *)0x10000;
	if (!sigsetjmp(jb, 1))
		(void)*unmapped;
	printf("read of an unmapped address: %s %s, si_addr %s\n", sig_name(fault_sig), segv_code(fault_code),
	       fault_addr == (void *)unmapped ? "the address" : "other");
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!sigsetjmp(jb, 1))
		ro[8] = 1;
	printf("write to a read-only page: %s %s, si_addr %s\n", sig_name(fault_sig), segv_code(fault_code),
	       fault_addr == ro + 8 ? "the address" : "other");
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!sigsetjmp(jb, 1))
		(void)*(volatile char *)(none + 100);
	printf("read of a PROT_NONE page: %s %s, si_addr %s\n", sig_name(fault_sig), segv_code(fault_code),
	       fault_addr == none + 100 ? "the address" : "other");
	if (!sigsetjmp(jb, 1))
		(void)*(volatile char *)KERNEL_PTR;
	printf("read of a kernel address: %s %s, si_addr %s\n", sig_name(fault_sig), segv_code(fault_code),
	       fault_addr == 0 ? "0" : fault_addr == KERNEL_PTR ? "the address" : "other");
	volatile int seven = 7, zero = 0;
	if (!sigsetjmp(jb, 1))
		seven = seven / zero;
	printf("division by zero: %s %s\n", sig_name(fault_sig), fault_code == FPE_INTDIV ? "FPE_INTDIV" : "?");
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("ud2");
	printf("ud2: %s %s\n", sig_name(fault_sig), fault_code == ILL_ILLOPN ? "ILL_ILLOPN" : "?");
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("int3");
	printf("int3: %s %s\n", sig_name(fault_sig), fault_code == SI_KERNEL ? "SI_KERNEL" : fault_code == TRAP_BRKPT ? "TRAP_BRKPT" : "?");
	// A fault in the SIGSEGV handler, where SIGSEGV is blocked, kills
	// the process.
	pid_t pid = pfork();
	if (pid == 0) {
		handle(SIGSEGV, fault_again, 0);
		*(volatile int *)16 = 1;
		_exit(0);
	}
	reap("a child faulting in its SIGSEGV handler", pid);
	pid = pfork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_IGN); // a fault's signal cannot be ignored
		*(volatile int *)16 = 1;
		_exit(0);
	}
	reap("a child ignoring SIGSEGV", pid);
	pid = pfork();
	if (pid == 0) {
		handle(SIGSEGV, record, 0);
		set_mask(SIG_BLOCK, SIGSEGV); // nor blocked
		*(volatile int *)16 = 1;
		_exit(0);
	}
	reap("a child blocking SIGSEGV", pid);
	munmap(ro, 4096);
	munmap(none, 4096);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGFPE, SIG_DFL);
	signal(SIGILL, SIG_DFL);
	signal(SIGTRAP, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
}

// ---- the context a handler sees and changes

// skip_ud2 moves the interrupted context past the ud2 (2 bytes) that
// raised SIGILL and marks RAX, so that rt_sigreturn resumes there.
static void skip_ud2(int sig, siginfo_t *si, void *ucp) {
	(void)sig, (void)si;
	ucontext_t *uc = ucp;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
	uc->uc_mcontext.gregs[REG_RAX] = 0x1234;
}

static volatile double handler_float;

static void clobber_fpu(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)si, (void)uc;
	volatile double x = 1e300;
	handler_float = x * x; // inf, and FPU/SSE state of the handler's own
	__asm__ volatile("pxor %%xmm0, %%xmm0; pxor %%xmm1, %%xmm1" ::: "xmm0", "xmm1");
}

static volatile int conts;

static void on_cont(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)si, (void)uc;
	conts++;
}

static void context(void) {
	printf("-- the handler's context\n");
	handle(SIGILL, skip_ud2, 0);
	long rax;
	__asm__ volatile("mov $1, %%rax; ud2; mov %%rax, %0" : "=r"(rax)::"rax");
	printf("after a handler moved RIP past ud2: RAX %#lx\n", rax);
	signal(SIGILL, SIG_DFL);
	// The interrupted code's vector registers come back after sigreturn.
	handle(SIGUSR1, clobber_fpu, 0);
	double in = 2.5, out;
	__asm__ volatile("movsd %1, %%xmm1\n\t"
	                 "mov %2, %%edi\n\t"
	                 "mov $62, %%eax\n\t" // kill(getpid(), SIGUSR1): the handler runs on the way out
	                 "mov %3, %%esi\n\t"
	                 "syscall\n\t"
	                 "movsd %%xmm1, %0"
	                 : "=x"(out)
	                 : "x"(in), "r"(getpid()), "r"(SIGUSR1)
	                 : "rax", "rdi", "rsi", "rcx", "r11", "xmm1", "memory");
	printf("xmm1 across a handler that cleared it: %g (the handler computed %g)\n", out, handler_float);
	signal(SIGUSR1, SIG_DFL);
	// A handler for SIGCONT runs when a stopped process continues.
	int ready[2];
	pipe(ready);
	pid_t pid = pfork();
	if (pid == 0) {
		handle(SIGCONT, on_cont, 0);
		write(ready[1], "r", 1);
		while (!conts)
			pause();
		_exit(conts);
	}
	char c;
	read(ready[0], &c, 1);
	close(ready[0]);
	close(ready[1]);
	kill(pid, SIGSTOP);
	int st;
	waitpid(pid, &st, WUNTRACED);
	printf("the child: %s\n", wait_status(st));
	kill(pid, SIGCONT);
	reap("after SIGCONT, its handler ran and it", pid);
}

// ---- sigtimedwait

static void timedwait(void) {
	printf("-- sigtimedwait\n");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	siginfo_t si;
	struct timespec zero = {0, 0}, short_wait = {0, 20000000}, bad = {0, 1000000000};
	R(sigtimedwait(&set, &si, &zero));
	R(sigtimedwait(&set, &si, &short_wait));
	R(sigtimedwait(&set, &si, &bad));
	kill(getpid(), SIGUSR1);
	int s = sigtimedwait(&set, &si, &zero);
	printf("a pending signal: %s, si_code %s, si_pid %s\n", s > 0 ? sig_name(s) : strerrorname_np(errno), code_name(si.si_code),
	       si.si_pid == getpid() ? "ours" : "other");
	sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 7});
	sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 8});
	s = sigwaitinfo(&set, &si);
	printf("sigwaitinfo: %s value %d\n", sig_name(s), si.si_value.sival_int);
	s = sigwaitinfo(&set, &si);
	printf("sigwaitinfo: %s value %d\n", sig_name(s), si.si_value.sival_int);
	pid_t pid = send_later(SIGUSR1);
	struct timespec long_wait = {10, 0};
	s = sigtimedwait(&set, &si, &long_wait);
	printf("a signal that arrives while waiting: %s from %s\n", s > 0 ? sig_name(s) : strerrorname_np(errno), si.si_pid == pid ? "the child" : "other");
	reap("the sender", pid);
	// Another signal's handler interrupts the wait.
	handle(SIGUSR2, record, 0);
	pid = send_later(SIGUSR2);
	hits = 0;
	R(sigtimedwait(&set, &si, &long_wait));
	printf("the handler ran: %d\n", hits);
	reap("the sender", pid);
	int sig;
	kill(getpid(), SIGUSR1);
	R(sigwait(&set, &sig));
	printf("sigwait: %s\n", sig_name(sig));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGUSR2, SIG_DFL);
}

// ---- SIGPIPE and default actions

static void defaults(void) {
	printf("-- SIGPIPE and default actions\n");
	int p[2];
	pipe(p);
	close(p[0]);
	pid_t pid = pfork();
	if (pid == 0) {
		write(p[1], "x", 1);
		_exit(0);
	}
	reap("a writer to a pipe without readers", pid);
	signal(SIGPIPE, SIG_IGN);
	R(write(p[1], "x", 1));
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	// The default actions: terminate, or (the last four) ignore.
	const int sigs[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGALRM, SIGKILL, SIGRTMIN, SIGCHLD, SIGURG, SIGWINCH, SIGCONT, 0};
	for (int i = 0; sigs[i]; i++) {
		pid = pfork();
		if (pid == 0) {
			raise(sigs[i]);
			_exit(0);
		}
		char what[48];
		snprintf(what, sizeof what, "raise(%s)", sig_name(sigs[i]));
		reap(what, pid);
	}
}

// ---- fork and exec

static int after_exec(void) {
	struct sigaction a;
	sigset_t m, p;
	sigprocmask(SIG_SETMASK, NULL, &m);
	sigpending(&p);
	sigaction(SIGUSR1, NULL, &a);
	printf("  after exec: SIGUSR1 %s", a.sa_handler == SIG_DFL ? "default" : a.sa_handler == SIG_IGN ? "ignored" : "handled");
	sigaction(SIGUSR2, NULL, &a);
	printf(", SIGUSR2 %s", a.sa_handler == SIG_DFL ? "default" : a.sa_handler == SIG_IGN ? "ignored" : "handled");
	printf(", SIGHUP blocked %d pending %d\n", sigismember(&m, SIGHUP), sigismember(&p, SIGHUP));
	stack_t ss;
	sigaltstack(NULL, &ss);
	printf("  after exec: alternate stack %s\n", ss.ss_flags == SS_DISABLE ? "SS_DISABLE" : "kept");
	return 0;
}

static void inherit(void) {
	printf("-- fork and execve\n");
	handle(SIGUSR1, record, 0);
	signal(SIGUSR2, SIG_IGN);
	set_mask(SIG_BLOCK, SIGHUP);
	kill(getpid(), SIGHUP);
	stack_t ss = {.ss_sp = alt, .ss_size = alt_size};
	sigaltstack(&ss, NULL);
	pid_t pid = pfork();
	if (pid == 0) {
		sigset_t m, p;
		sigprocmask(SIG_SETMASK, NULL, &m);
		sigpending(&p);
		printf("child: SIGHUP blocked %d, pending %d (fork clears the pending set)\n", sigismember(&m, SIGHUP), sigismember(&p, SIGHUP));
		kill(getpid(), SIGHUP);
		execve("/init", (char *[]){"signals", "--after-exec", NULL}, (char *[]){NULL});
		_exit(127);
	}
	reap("the child", pid);
	signal(SIGHUP, SIG_IGN); // discards the pending one
	set_mask(SIG_UNBLOCK, SIGHUP);
	signal(SIGHUP, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	stack_t dis = {.ss_flags = SS_DISABLE};
	sigaltstack(&dis, NULL);
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "--after-exec") == 0)
		return after_exec();
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct rlimit no_core = {0, 0}; // SIGQUIT's default action dumps core
	setrlimit(RLIMIT_CORE, &no_core);
	basics();
	interrupted();
	polling();
	blocked();
	suspend();
	altstack();
	flags();
	faults();
	context();
	timedwait();
	defaults();
	inherit();
	return 0;
}
