// getpriority(2) and setpriority(2): nice values per thread, for a
// thread, a process group and a user, their clamping, inheritance by fork
// and threads, survival of execve, /proc/PID/stat's priority and nice
// fields, and the permission rules of set_one_prio (EPERM for another
// user's process, EACCES for lowering nice beyond RLIMIT_NICE, 0 by
// default; raising that limit needs CAP_SYS_RESOURCE, which the native
// side's container may lack, so it is not tried). Runs as
// init on both sides: PRIO_USER sees every process of the user in the
// PID namespace.
#include "check.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

// prio prints getpriority's nice value or its error.
static void prio(const char *what, int which, int who) {
	errno = 0;
	int n = getpriority(which, who);
	if (n == -1 && errno)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: nice %d\n", what, n);
}

// statNice prints fields 18 and 19 of /proc/self/stat (priority, nice).
static void statNice(const char *what) {
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f || !fgets(buf, sizeof buf, f)) {
		printf("%s: cannot read /proc/self/stat\n", what);
		return;
	}
	fclose(f);
	char *p = strrchr(buf, ')') + 2; // field 3
	long v[20];
	for (int i = 3; i <= 19; i++) {
		if (i > 3)
			v[i] = strtol(p, &p, 10);
		else
			p += 1;
		while (*p == ' ')
			p++;
	}
	printf("%s: /proc/self/stat priority %ld nice %ld\n", what, v[18], v[19]);
}

static void *thread(void *arg) {
	(void)arg;
	prio("thread starts with the creator's", PRIO_PROCESS, 0);
	R(setpriority(PRIO_PROCESS, 0, 12));
	prio("thread after setting its own", PRIO_PROCESS, 0);
	return NULL;
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1) {
		prio("after execve", PRIO_PROCESS, 0);
		return 0;
	}
	prio("start", PRIO_PROCESS, 0);
	statNice("start");
	R(setpriority(PRIO_PROCESS, 0, 5));
	prio("after 5", PRIO_PROCESS, 0);
	statNice("after 5");
	R(setpriority(PRIO_PROCESS, 0, 100));
	prio("after 100 (clamped)", PRIO_PROCESS, 0);
	R(setpriority(PRIO_PROCESS, 0, -100));
	prio("after -100 as root (clamped)", PRIO_PROCESS, 0);
	R(setpriority(PRIO_PROCESS, getpid(), 2));
	prio("by pid", PRIO_PROCESS, getpid());
	R(setpriority(3, 0, 0));
	prio("which 3", 3, 0);
	R(setpriority(PRIO_PROCESS, 99999, 0));
	prio("missing pid", PRIO_PROCESS, 99999);
	prio("missing group", PRIO_PGRP, 99999);
	prio("user without processes", PRIO_USER, 4242);
	R(setpriority(PRIO_USER, 4242, 0));
	// The raw system call's result is 20 - nice.
	printf("raw getpriority: %ld\n", syscall(SYS_getpriority, PRIO_PROCESS, 0));

	pthread_t th;
	pthread_create(&th, NULL, thread, NULL);
	pthread_join(th, NULL);
	prio("main thread after the thread's change", PRIO_PROCESS, 0);

	// A child inherits; a process group and a user select several.
	int go[2];
	pipe(go);
	pid_t c = fork();
	if (c == 0) {
		char x;
		setpgid(0, 0);
		read(go[0], &x, 1);
		prio("child after its group's change", PRIO_PROCESS, 0);
		read(go[0], &x, 1);
		prio("child after the user's change", PRIO_PROCESS, 0);
		_exit(0);
	}
	setpgid(c, c);
	prio("child inherits", PRIO_PROCESS, c);
	R(setpriority(PRIO_PGRP, c, 7));
	prio("the child's group", PRIO_PGRP, c);
	prio("own group unchanged", PRIO_PGRP, 0);
	write(go[1], "x", 1);
	usleep(20000);
	R(setpriority(PRIO_USER, 0, 3));
	prio("user 0", PRIO_USER, 0);
	R(setpriority(PRIO_PROCESS, c, 9));
	prio("highest of the user's", PRIO_USER, 0);
	R(setpriority(PRIO_PROCESS, c, 3));
	write(go[1], "x", 1);
	reap("child", c);

	// execve keeps the value.
	R(setpriority(PRIO_PROCESS, 0, 4));
	c = fork();
	if (c == 0) {
		execl("/proc/self/exe", "priority", "exec", (char *)NULL);
		_exit(127);
	}
	reap("exec child", c);

	// Without CAP_SYS_NICE: raising nice is allowed, lowering it beyond
	// RLIMIT_NICE (0 by default: no lowering at all) is not, nor
	// touching another user's process.
	pid_t parent = getpid();
	c = fork();
	if (c == 0) {
		R(setresuid(65534, 65534, 65534));
		R(setpriority(PRIO_PROCESS, 0, 10));
		R(setpriority(PRIO_PROCESS, 0, 8));
		prio("nobody after 10 then 8", PRIO_PROCESS, 0);
		R(setpriority(PRIO_PROCESS, parent, 10));
		prio("root's process seen by nobody", PRIO_PROCESS, parent);
		R(setpriority(PRIO_PROCESS, 0, 10));
		R(setpriority(PRIO_PROCESS, 0, -10));
		prio("nobody after 10 and -10", PRIO_PROCESS, 0);
		_exit(0);
	}
	reap("nobody child", c);
	return 0;
}
