// The queue of pending signals is bounded by RLIMIT_SIGPENDING, counted
// per user (__sigqueue_alloc): past it, sigqueue and tgkill of a
// real-time signal fail with EAGAIN, kill of one succeeds with its
// information lost, a standard signal from kill is queued anyway and
// one from sigqueue loses its information. Taking signals, and a
// process's exit, give the count back.
//
// The count is the user's, and natively other processes of the same user
// queue signals all the time (the Go runtime's SIGURG): run as root, the
// program first becomes a user nobody else is (UID 100000 plus its PID). It works
// relative to what its user had queued already (/proc/self/status SigQ)
// and prints only results that do not depend on it.
#include "check.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define LIMIT 16

// sigq returns the first number of SigQ: the user's queued signals.
static long sigq(void) { return procField("/proc/self/status", "SigQ:"); }

static const char *codeName(int code) {
	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SI_TKILL:
		return "SI_TKILL";
	}
	return "other";
}

// take waits for sig (blocked) and prints its code and whether it names
// this process as sender.
static void take(const char *what, int sig) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	struct timespec zero = {0, 0};
	siginfo_t si;
	if (sigtimedwait(&s, &si, &zero) != sig) {
		printf("%s: sigtimedwait: -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: %s, sender %s\n", what, codeName(si.si_code), si.si_pid == getpid() ? "self" : si.si_pid == 0 ? "none" : "other");
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	uid_t alone = 100000 + getpid();
	if (geteuid() == 0 && (setresgid(alone, alone, alone) != 0 || setresuid(alone, alone, alone) != 0))
		printf("become a user of its own: -1 %s\n", strerrorname_np(errno));
	struct rlimit rl = {LIMIT, LIMIT};
	R(setrlimit(RLIMIT_SIGPENDING, &rl));
	sigset_t block;
	sigemptyset(&block);
	for (int s = SIGRTMIN; s <= SIGRTMIN + 2; s++)
		sigaddset(&block, s);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);

	long base = sigq();
	ok("SigQ readable", base >= 0);
	long room = LIMIT - base, n = 0;
	union sigval v;
	for (;;) {
		v.sival_int = n;
		if (sigqueue(getpid(), SIGRTMIN, v) != 0)
			break;
		n++;
		if (n > 2 * LIMIT)
			break;
	}
	printf("sigqueue past the limit: -1 %s\n", strerrorname_np(errno));
	ok("queued up to the limit", n == room);
	ok("SigQ at the limit", sigq() == LIMIT);

	R(kill(getpid(), SIGRTMIN + 1)); // its information is lost
	R(syscall(SYS_tgkill, getpid(), gettid(), SIGRTMIN + 2));
	R(kill(getpid(), SIGUSR1));      // standard, from kill: queued anyway
	R(sigqueue(getpid(), SIGUSR2, v)); // standard, from sigqueue: information lost
	ok("SigQ one past the limit", sigq() == LIMIT + 1);

	take("SIGUSR1", SIGUSR1);
	take("SIGUSR2", SIGUSR2);
	take("SIGRTMIN+1", SIGRTMIN + 1);
	int inOrder = 1;
	long got = 0;
	for (;;) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGRTMIN);
		struct timespec zero = {0, 0};
		siginfo_t si;
		if (sigtimedwait(&s, &si, &zero) != SIGRTMIN)
			break;
		if (si.si_code != SI_QUEUE || si.si_value.sival_int != got)
			inOrder = 0;
		got++;
	}
	ok("every queued SIGRTMIN taken in order with its value", inOrder && got == n);
	ok("SigQ back", sigq() == base);
	R(sigqueue(getpid(), SIGRTMIN, v));
	take("SIGRTMIN again", SIGRTMIN);

	// A child fills the queue and exits without taking anything: its
	// exit gives the count back.
	pid_t c = fork();
	if (c == 0) {
		for (int i = 0; i < 2 * LIMIT; i++)
			sigqueue(getpid(), SIGRTMIN, v);
		_exit(sigq() == LIMIT ? 0 : 1);
	}
	int st;
	waitpid(c, &st, 0);
	ok("child filled the queue", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ok("SigQ back after its exit", sigq() == base);
	return 0;
}
