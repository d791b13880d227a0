// badframe.c: a signal whose frame cannot be written (force_sigsegv). The
// handler cannot run, so the process dies of SIGSEGV, with SIGSEGV's own
// handler reset if that was the one that failed; the other threads die
// with it. (In oyako the thread that failed to write the frame waited
// forever for a lock it held: the fuzzer's first hang.)
#include "check.h"
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static void handler(int sig) { (void)sig; }

static void *spin(void *arg) {
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

// child sets up one case and raises sig: it must not return.
static void child(const char *how, int sig, int threads) {
	for (int i = 0; i < threads; i++) {
		pthread_t th;
		pthread_create(&th, NULL, spin, NULL);
	}
	struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_ONSTACK};
	sigaction(sig, &sa, NULL);
	stack_t ss = {.ss_size = 65536};
	ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!strcmp(how, "readonly"))
		mprotect(ss.ss_sp, ss.ss_size, PROT_READ);
	else
		munmap(ss.ss_sp, ss.ss_size);
	if (sigaltstack(&ss, NULL) < 0)
		printf("sigaltstack: %s\n", strerrorname_np(errno));
	fflush(stdout);
	raise(sig);
	printf("%s: raise returned\n", how);
	fflush(stdout);
	_exit(0);
}

static void run(const char *how, int sig, int threads) {
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		child(how, sig, threads);
	int status;
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		printf("%s stack, %s, %d threads: killed by %s\n", how, sigabbrev_np(sig), threads + 1,
		       sigabbrev_np(WTERMSIG(status)));
	else
		printf("%s stack, %s, %d threads: exit %d\n", how, sigabbrev_np(sig), threads + 1, WEXITSTATUS(status));
}

int main(void) {
	run("readonly", SIGUSR1, 0);
	run("unmapped", SIGUSR1, 0);
	run("readonly", SIGSEGV, 0);
	run("unmapped", SIGCHLD, 3);
	run("readonly", SIGUSR2, 2);
	return 0;
}
