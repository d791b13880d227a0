// stopcont.c: a child that stops itself again as soon as it is
// continued, many times over, with a second thread running, and a parent
// that answers each stop with SIGCONT. Every stop must reach the parent's
// wait: a SIGCONT's "continued" report that comes after the next stop
// completed must not hide it (Linux's wait reads the child's state,
// signal->flags, not the order of the notifications; in oyako a late
// report hid the stop and both waited forever: the fuzzer's second hang).
#include "check.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#define ROUNDS 2000

static void *spin(void *arg) {
	(void)arg;
	for (;;)
		sched_yield();
	return NULL;
}

int main(void) {
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t th;
		pthread_create(&th, NULL, spin, NULL);
		for (int i = 0; i < ROUNDS; i++)
			raise(SIGSTOP);
		_exit(7);
	}
	int stops = 0, conts = 0, status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WUNTRACED | WCONTINUED);
		if (r != pid) {
			printf("waitpid: %s\n", strerrorname_np(errno));
			return 1;
		}
		if (WIFSTOPPED(status)) {
			stops++;
			kill(pid, SIGCONT);
		} else if (WIFCONTINUED(status))
			conts++;
		else
			break;
	}
	printf("stops %d, exit %d, continued reports at most the stops: %s\n", stops,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1, conts <= stops ? "yes" : "no");
	return 0;
}
