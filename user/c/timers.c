// Timers: POSIX timers (timer_create, timer_settime, timer_gettime,
// timer_getoverrun, timer_delete) on wall and CPU-time clocks with
// SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_NONE and glibc's SIGEV_THREAD;
// the timer signal's siginfo and overrun count; the CPU-time interval
// timers (ITIMER_VIRTUAL, ITIMER_PROF); the CPU-time clocks; what fork
// and execve keep.
//
// Times are printed as comparisons only: "at least", "within".
#include "check.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#define MS 1000000L

// Raw system calls: glibc's timer_t is not the kernel's ID for
// SIGEV_THREAD, and its wrappers check some arguments themselves.
static long tcreate(clockid_t clk, struct sigevent *ev, int *id) { return syscall(SYS_timer_create, clk, ev, id); }
static long tset(int id, int flags, long value_ns, long interval_ns) {
	struct itimerspec its = {{interval_ns / 1000000000, interval_ns % 1000000000},
				 {value_ns / 1000000000, value_ns % 1000000000}};
	return syscall(SYS_timer_settime, id, flags, &its, NULL);
}
static long tget(int id, struct itimerspec *its) { return syscall(SYS_timer_gettime, id, its); }
static long tdel(int id) { return syscall(SYS_timer_delete, id); }
static long ns_of(struct timespec ts) { return ts.tv_sec * 1000000000 + ts.tv_nsec; }

static long now_ns(clockid_t clk) {
	struct timespec ts;
	clock_gettime(clk, &ts);
	return ns_of(ts);
}

static volatile int got_sig, got_code, got_timerid, got_overrun, got_value;
static volatile pid_t got_tid;
static volatile int hits;

static void on_timer(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_timerid = si->si_timerid;
	got_overrun = si->si_overrun;
	got_value = si->si_value.sival_int;
	got_tid = gettid();
	hits++;
}

static void handle(int sig) {
	struct sigaction sa = {.sa_sigaction = on_timer, .sa_flags = SA_SIGINFO};
	sigaction(sig, &sa, NULL);
}

// await waits up to a second for the handler to have run n times.
static int await(int n) {
	for (int i = 0; i < 1000 && hits < n; i++)
		usleep(1000);
	return hits >= n;
}

static void errors(void) {
	printf("-- timer_create's checks\n");
	int id;
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	R(tcreate(99, &ev, &id));
	R(tcreate(CLOCK_MONOTONIC_RAW, &ev, &id));
	R(tcreate(CLOCK_MONOTONIC_COARSE, &ev, &id));
	R(tcreate(CLOCK_REALTIME, (void *)16, &id));
	R(tcreate(CLOCK_REALTIME, KERNEL_PTR, &id));
	R(tcreate(CLOCK_REALTIME, &ev, (void *)16));
	ev.sigev_notify = 99;
	R(tcreate(CLOCK_REALTIME, &ev, &id));
	ev.sigev_notify = SIGEV_SIGNAL, ev.sigev_signo = 0;
	R(tcreate(CLOCK_REALTIME, &ev, &id));
	ev.sigev_signo = 65;
	R(tcreate(CLOCK_REALTIME, &ev, &id));
	ev.sigev_notify = SIGEV_THREAD_ID, ev.sigev_signo = SIGUSR1;
	ev._sigev_un._tid = getppid();
	R(tcreate(CLOCK_REALTIME, &ev, &id));
	ev._sigev_un._tid = 0;
	R(tcreate(CLOCK_REALTIME, &ev, &id));
	ev.sigev_notify = SIGEV_THREAD_ID | SIGEV_NONE;
	R(tcreate(CLOCK_REALTIME, &ev, &id));
	R(tget(12345, &(struct itimerspec){0}));
	R(tset(12345, 0, MS, 0));
	R(tdel(12345));
	R(syscall(SYS_timer_getoverrun, 12345));
	R(syscall(SYS_clock_getres, CLOCK_PROCESS_CPUTIME_ID, NULL));
	R(syscall(SYS_clock_getres, CLOCK_THREAD_CPUTIME_ID, NULL));
}

static void ids(void) {
	printf("-- timer IDs\n");
	int a = -1, b = -1, c = -1;
	// The first IDs of a process count up from 0 and a deleted one is
	// not reused at once.
	R(tcreate(CLOCK_MONOTONIC, NULL, &a));
	R(tcreate(CLOCK_MONOTONIC, NULL, &b));
	printf("IDs: %d %d\n", a, b);
	R(tdel(a));
	R(tdel(a));
	R(tcreate(CLOCK_MONOTONIC, NULL, &c));
	printf("after deleting %d: %d\n", a, c);
	struct itimerspec its;
	R(tget(c, &its));
	printf("a new timer: value %ld, interval %ld\n", ns_of(its.it_value), ns_of(its.it_interval));
	R(syscall(SYS_timer_settime, c, 0, NULL, NULL));
	R(syscall(SYS_timer_settime, c, 0, (void *)16, NULL));
	struct itimerspec bad = {{0, 0}, {0, 1000000000}};
	R(syscall(SYS_timer_settime, c, 0, &bad, NULL));
	bad.it_value.tv_sec = -1, bad.it_value.tv_nsec = 0;
	R(syscall(SYS_timer_settime, c, 0, &bad, NULL));
	R(tget(c, (void *)16));
	tdel(b);
	tdel(c);
}

static void oneshot(void) {
	printf("-- a one-shot timer\n");
	handle(SIGUSR1);
	int id;
	// The default event: SIGALRM with the ID as its value.
	handle(SIGALRM);
	R(tcreate(CLOCK_MONOTONIC, NULL, &id));
	hits = 0;
	R(tset(id, 0, 20 * MS, 0));
	int fired = await(1);
	printf("fired: %d\n", fired);
	printf("signal %s, code %s, timerid is the ID: %d, overrun %d, value is the ID: %d\n", sigabbrev_np(got_sig),
	       got_code == SI_TIMER ? "SI_TIMER" : "?", got_timerid == id, got_overrun, got_value == id);
	struct itimerspec its;
	tget(id, &its);
	printf("after it fired: value %ld, interval %ld\n", ns_of(its.it_value), ns_of(its.it_interval));
	R(syscall(SYS_timer_getoverrun, id));
	tdel(id);
	// An explicit event with a value; an absolute expiry.
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1, .sigev_value.sival_int = 4242};
	R(tcreate(CLOCK_MONOTONIC, &ev, &id));
	hits = 0;
	R(tset(id, TIMER_ABSTIME, now_ns(CLOCK_MONOTONIC) + 20 * MS, 0));
	fired = await(1);
	printf("absolute: fired %d, value %d\n", fired, got_value);
	hits = 0;
	R(tset(id, TIMER_ABSTIME, 1, 0)); // long past: at once
	printf("in the past: fired %d\n", await(1));
	// Disarmed before it fires: no signal; the old setting comes back.
	hits = 0;
	R(tset(id, 0, 30 * MS, 0));
	struct itimerspec old, zero = {0};
	R(syscall(SYS_timer_settime, id, 0, &zero, &old));
	printf("old value within 30 ms: %d\n", ns_of(old.it_value) > 0 && ns_of(old.it_value) <= 30 * MS);
	usleep(50000);
	printf("after disarming: %d signals\n", hits);
	// CLOCK_REALTIME and CLOCK_BOOTTIME timers.
	R(tdel(id));
	R(tcreate(CLOCK_REALTIME, &ev, &id));
	hits = 0;
	R(tset(id, TIMER_ABSTIME, now_ns(CLOCK_REALTIME) + 10 * MS, 0));
	printf("CLOCK_REALTIME absolute: fired %d\n", await(1));
	tdel(id);
	R(tcreate(CLOCK_BOOTTIME, &ev, &id));
	hits = 0;
	R(tset(id, 0, 10 * MS, 0));
	printf("CLOCK_BOOTTIME: fired %d\n", await(1));
	tdel(id);
}

static void periodic(void) {
	printf("-- a periodic timer and its overruns\n");
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	int id;
	tcreate(CLOCK_MONOTONIC, &ev, &id);
	hits = 0;
	tset(id, 0, 10 * MS, 10 * MS);
	printf("ticks: %d\n", await(3));
	struct itimerspec its;
	tget(id, &its);
	printf("gettime: value within the interval %d, interval %ld ms\n",
	       ns_of(its.it_value) > 0 && ns_of(its.it_value) <= 10 * MS, ns_of(its.it_interval) / MS);
	// Blocked for 75 ms: one signal pending, the other expiries are its
	// overruns.
	set_mask(SIG_BLOCK, SIGUSR1);
	usleep(75000);
	sigset_t pend;
	sigpending(&pend);
	printf("pending while blocked: %d\n", sigismember(&pend, SIGUSR1));
	tget(id, &its);
	printf("gettime while pending: value within the interval %d\n",
	       ns_of(its.it_value) > 0 && ns_of(its.it_value) <= 10 * MS);
	hits = 0;
	set_mask(SIG_UNBLOCK, SIGUSR1);
	printf("delivered once: %d, si_overrun at least 5: %d, timer_getoverrun agrees: %d\n", hits == 1,
	       got_overrun >= 5, syscall(SYS_timer_getoverrun, id) == got_overrun);
	// The next signals come one interval apart again.
	hits = 0;
	printf("ticks again: %d\n", await(2));
	R(tdel(id));
	// A process-directed timer's signal, blocked, goes nowhere once the
	// timer is deleted.
	hits = 0;
	usleep(30000);
	printf("after delete: %d signals\n", hits);
}

static void sigev_none(void) {
	printf("-- SIGEV_NONE\n");
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	int id;
	R(tcreate(CLOCK_MONOTONIC, &ev, &id));
	R(tset(id, 0, 30 * MS, 0));
	struct itimerspec its;
	tget(id, &its);
	printf("counting down: %d\n", ns_of(its.it_value) > 0 && ns_of(its.it_value) <= 30 * MS);
	usleep(40000);
	tget(id, &its);
	printf("expired: value %ld\n", ns_of(its.it_value));
	R(tset(id, 0, 5 * MS, 10 * MS));
	usleep(32000);
	tget(id, &its);
	printf("periodic: value within the interval %d, interval %ld ms\n",
	       ns_of(its.it_value) > 0 && ns_of(its.it_value) <= 10 * MS, ns_of(its.it_interval) / MS);
	R(syscall(SYS_timer_getoverrun, id));
	tdel(id);
}

static sem_t ready, done;
static volatile pid_t worker_tid;

static void *worker(void *arg) {
	(void)arg;
	worker_tid = gettid();
	sem_post(&ready);
	sem_wait(&done);
	return NULL;
}

static void thread_id(void) {
	printf("-- SIGEV_THREAD_ID\n");
	sem_init(&ready, 0, 0);
	sem_init(&done, 0, 0);
	pthread_t th;
	pthread_create(&th, NULL, worker, NULL);
	sem_wait(&ready);
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1};
	ev._sigev_un._tid = worker_tid;
	int id;
	R(tcreate(CLOCK_MONOTONIC, &ev, &id));
	hits = 0;
	R(tset(id, 0, 10 * MS, 0));
	int fired = await(1);
	printf("fired: %d, in the named thread: %d\n", fired, got_tid == worker_tid);
	sem_post(&done);
	pthread_join(th, NULL);
	// Its thread is gone: the timer sends nothing.
	hits = 0;
	R(tset(id, 0, 10 * MS, 0));
	usleep(30000);
	printf("after the thread ended: %d signals\n", hits);
	R(tdel(id));
}

static sem_t notified;
static volatile int notify_value;

static void notify(union sigval v) {
	notify_value = v.sival_int;
	sem_post(&notified);
}

static void sigev_thread(void) {
	printf("-- glibc's SIGEV_THREAD\n");
	sem_init(&notified, 0, 0);
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = notify, .sigev_value.sival_int = 77};
	timer_t tid;
	R(timer_create(CLOCK_MONOTONIC, &ev, &tid));
	struct itimerspec its = {{0, 0}, {0, 10 * MS}};
	R(timer_settime(tid, 0, &its, NULL));
	struct timespec limit;
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 2;
	R(sem_timedwait(&notified, &limit));
	printf("the function ran with %d\n", notify_value);
	R(timer_delete(tid));
}

// spin uses CPU until cond is set or a second of CPU time passed.
static void spin(volatile int *cond, int n) {
	long start = now_ns(CLOCK_THREAD_CPUTIME_ID);
	while (*cond < n && now_ns(CLOCK_THREAD_CPUTIME_ID) - start < 2000 * MS)
		;
}

static void *cpu_worker(void *arg) {
	(void)arg;
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR2};
	ev._sigev_un._tid = gettid();
	int id;
	tcreate(CLOCK_THREAD_CPUTIME_ID, &ev, &id);
	long start = now_ns(CLOCK_THREAD_CPUTIME_ID);
	tset(id, 0, 30 * MS, 0);
	spin(&hits, 1);
	printf("thread CPU-time timer: fired %d, after at least 30 ms of the thread's CPU time: %d, here: %d\n", hits,
	       now_ns(CLOCK_THREAD_CPUTIME_ID) - start >= 30 * MS, got_tid == gettid());
	tdel(id);
	return NULL;
}

static void cpu_timers(void) {
	printf("-- CPU-time clocks and timers\n");
	clockid_t c;
	R(clock_getcpuclockid(getpid(), &c));
	struct timespec ts;
	R(clock_gettime(c, &ts));
	R(pthread_getcpuclockid(pthread_self(), &c));
	R(clock_gettime(c, &ts));
	printf("clock_getcpuclockid(no such process): %s\n", strerrorname_np(clock_getcpuclockid(999999, &c)));
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
	handle(SIGUSR2);
	int id;
	R(tcreate(CLOCK_PROCESS_CPUTIME_ID, &ev, &id));
	long start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	hits = 0;
	R(tset(id, 0, 30 * MS, 0));
	spin(&hits, 1);
	printf("process CPU-time timer: fired %d, after at least 30 ms of CPU time: %d\n", hits,
	       now_ns(CLOCK_PROCESS_CPUTIME_ID) - start >= 30 * MS);
	// Periodic, with the process's CPU clock of clock_getcpuclockid.
	clock_getcpuclockid(0, &c);
	hits = 0;
	R(tset(id, 0, 10 * MS, 10 * MS));
	spin(&hits, 3);
	printf("periodic: 3 signals: %d\n", hits >= 3);
	R(tdel(id));
	hits = 0;
	pthread_t th;
	pthread_create(&th, NULL, cpu_worker, NULL);
	pthread_join(th, NULL);
}

static volatile pid_t spinner_tid;

static void *prof_spinner(void *arg) {
	(void)arg;
	spinner_tid = gettid();
	spin(&hits, 3);
	return NULL;
}

static void itimers(void) {
	printf("-- ITIMER_VIRTUAL and ITIMER_PROF\n");
	handle(SIGVTALRM);
	handle(SIGPROF);
	struct itimerval v = {{0, 0}, {0, 30000}}, old;
	hits = 0;
	long start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	R(setitimer(ITIMER_VIRTUAL, &v, NULL));
	R(getitimer(ITIMER_VIRTUAL, &old));
	printf("armed: %d\n", old.it_value.tv_sec == 0 && old.it_value.tv_usec > 0);
	spin(&hits, 1);
	printf("SIGVTALRM: %d, %s, after at least 30 ms of CPU time: %d\n", got_sig == SIGVTALRM,
	       got_code == SI_KERNEL ? "SI_KERNEL" : "?", now_ns(CLOCK_PROCESS_CPUTIME_ID) - start >= 30 * MS);
	R(getitimer(ITIMER_VIRTUAL, &old));
	printf("after it fired: %ld.%06ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_usec);
	struct itimerval p = {{0, 10000}, {0, 10000}};
	hits = 0;
	R(setitimer(ITIMER_PROF, &p, NULL));
	spin(&hits, 3);
	printf("SIGPROF every 10 ms: 3 signals: %d\n", hits >= 3);
	R(getitimer(ITIMER_PROF, &old));
	printf("interval %ld.%06ld\n", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
	// A thread spins while the main one waits in pthread_join: SIGPROF
	// goes to the thread whose CPU time made the timer expire.
	hits = 0;
	pthread_t th;
	pthread_create(&th, NULL, prof_spinner, NULL);
	pthread_join(th, NULL);
	printf("SIGPROF taken by the spinning thread: %d\n", hits >= 3 && got_tid == spinner_tid);
	struct itimerval zero = {0};
	R(setitimer(ITIMER_PROF, &zero, &old));
	// Sleeping is not CPU time: no SIGPROF, and no system time in
	// getrusage.
	struct rusage before, after;
	getrusage(RUSAGE_SELF, &before);
	R(setitimer(ITIMER_PROF, &p, NULL));
	hits = 0;
	usleep(100000);
	struct timespec nap = {0, 100 * MS};
	nanosleep(&nap, NULL);
	setitimer(ITIMER_PROF, &zero, NULL);
	getrusage(RUSAGE_SELF, &after);
	long sys_us = (after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1000000 + after.ru_stime.tv_usec - before.ru_stime.tv_usec;
	printf("200 ms asleep: at most 2 SIGPROF %d, under 50 ms of system time %d\n", hits <= 2, sys_us < 50000);
	printf("old interval %ld.%06ld\n", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
	R(setitimer(3, &zero, NULL));
	R(getitimer(-1, &old));
	R(syscall(SYS_getitimer, ITIMER_PROF, (void *)16));
}

static void inheritance(const char *self) {
	printf("-- fork and execve\n");
	int id;
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	tcreate(CLOCK_MONOTONIC, &ev, &id);
	tset(id, 0, 100000 * MS, 0);
	struct itimerval v = {{0, 0}, {100, 0}};
	setitimer(ITIMER_VIRTUAL, &v, NULL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct itimerspec its;
		struct itimerval old;
		R(tget(id, &its));
		getitimer(ITIMER_VIRTUAL, &old);
		printf("the child's ITIMER_VIRTUAL: %ld\n", (long)old.it_value.tv_sec);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	pid = fork();
	if (pid == 0) {
		// The child arms its own: execve deletes the POSIX timer and
		// keeps the interval timer.
		int cid;
		tcreate(CLOCK_MONOTONIC, &ev, &cid);
		setitimer(ITIMER_VIRTUAL, &v, NULL);
		char idbuf[16];
		snprintf(idbuf, sizeof idbuf, "%d", cid);
		execl(self, "timers", "--after-exec", idbuf, NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	tdel(id);
	struct itimerval zero = {0};
	setitimer(ITIMER_VIRTUAL, &zero, NULL);
}

static void after_exec(int id) {
	struct itimerspec its;
	R(tget(id, &its));
	struct itimerval old;
	getitimer(ITIMER_VIRTUAL, &old);
	printf("ITIMER_VIRTUAL after execve: armed %d\n", old.it_value.tv_sec > 90);
	struct itimerval zero = {0};
	setitimer(ITIMER_VIRTUAL, &zero, NULL);
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && strcmp(argv[1], "--after-exec") == 0) {
		after_exec(atoi(argv[2]));
		return 0;
	}
	char self[256];
	long n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	errors();
	ids();
	oneshot();
	periodic();
	sigev_none();
	thread_id();
	sigev_thread();
	cpu_timers();
	itimers();
	inheritance(self);
	return 0;
}
