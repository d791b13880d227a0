// vforkthread.c: CLONE_VFORK with CLONE_THREAD: the maker sleeps until
// the new thread exits, though the process lives on (Linux's vfork_done
// is the task's, completed by mm_release). In oyako the completion was
// the process's, so the maker slept until the whole process ended: the
// fuzzer's third hang. Also a classic vfork from a second thread, and a
// CLONE_VFORK thread that waits a little before it exits.
#define _GNU_SOURCE
#include "check.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static volatile int ran;

static int thread_fn(void *arg) {
	if (arg) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	ran++;
	return 0; // glibc's clone ends the thread with exit(2)
}

static void vfork_thread(const char *what, void *arg) {
	static char stack[3][65536];
	static int n;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_VFORK;
	int before = ran;
	int tid = clone(thread_fn, stack[n++] + sizeof stack[0], flags, arg);
	printf("%s: clone %s, the thread ran before clone returned: %s\n", what, tid > 0 ? "ok" : strerrorname_np(errno),
	       ran == before + 1 ? "yes" : "no");
}

static void *from_thread(void *arg) {
	(void)arg;
	vfork_thread("from a second thread", NULL);
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0)
		_exit(3);
	int status;
	waitpid(pid, &status, 0);
	printf("vfork from a second thread: child exit %d\n", WEXITSTATUS(status));
	return NULL;
}

int main(void) {
	vfork_thread("CLONE_VFORK|CLONE_THREAD", NULL);
	vfork_thread("the thread sleeps first", (void *)1);
	pthread_t th;
	pthread_create(&th, NULL, from_thread, NULL);
	pthread_join(th, NULL);
	return 0;
}
