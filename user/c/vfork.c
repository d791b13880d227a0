// vfork and its relatives: the child borrows the parent's memory and the
// parent sleeps until the child execs or exits. vfork with _exit and
// with execve, CLONE_VFORK through clone() with and without CLONE_VM,
// the parent's other threads running meanwhile, and posix_spawn (glibc
// builds it on clone(CLONE_VM|CLONE_VFORK)) with file actions and
// attributes. Run as init with the rootfs as root (qemu.Case.Init); run
// with "--args" it prints its arguments, with "--spawned" facts about
// how it was started.
#include "check.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static volatile int shared_before, shared_after;
static volatile pid_t seen_ppid;

static void vfork_exit(void) {
	printf("-- vfork and _exit\n");
	volatile int on_stack = 0;
	shared_before = shared_after = 0;
	fflush(stdout);
	pid_t parent = getpid();
	pid_t pid = vfork();
	if (pid == 0) {
		shared_before = 1;
		on_stack = 1;
		seen_ppid = getppid();
		pause_ms(30); // the parent must not run meanwhile
		shared_after = 1;
		_exit(3);
	}
	ok("the parent ran only after the child exited", shared_after == 1);
	ok("it sees the child's writes to its memory (data and stack)", shared_before == 1 && on_stack == 1);
	ok("the child's getppid was the parent", seen_ppid == parent);
	reap("the child", pid);
}

static void vfork_exec(void) {
	printf("-- vfork and execve\n");
	shared_before = 0;
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0) {
		shared_before = 42;
		execve("/init", (char *[]){"vfork", "--args", "exec'd", "from", "vfork", NULL}, (char *[]){NULL});
		_exit(127);
	}
	int seen = shared_before == 42; // printed after the child's output
	reap("the exec'd child", pid);
	ok("the write before execve was visible to the parent", seen);
	// A failed execve in the child: the parent still waits for its exit.
	shared_before = 0;
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		execve("/nonexistent", (char *[]){"x", NULL}, (char *[]){NULL});
		shared_before = errno;
		_exit(127);
	}
	printf("the child's execve failed with %s\n", strerrorname_np(shared_before));
	reap("the child", pid);
}

// ---- the parent's other threads keep running during a vfork

static volatile long ticks;
static volatile int stop;

static void *ticker(void *arg) {
	while (!stop) {
		ticks++;
		sched_yield();
	}
	return arg;
}

static void vfork_threads(void) {
	printf("-- vfork with other threads\n");
	pthread_t th;
	pthread_create(&th, NULL, ticker, NULL);
	while (ticks == 0)
		sched_yield();
	fflush(stdout);
	volatile int moved = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		long t0 = ticks;
		for (int i = 0; i < 400 && ticks == t0; i++)
			pause_ms(5);
		moved = ticks != t0;
		_exit(0);
	}
	ok("the parent's other thread ran while the vfork child did", moved);
	reap("the child", pid);
	stop = 1;
	pthread_join(th, NULL);
}

// ---- clone(CLONE_VFORK)

static volatile int cloned_value;

static int clone_child(void *arg) {
	cloned_value = (int)(long)arg;
	pause_ms(30);
	shared_after = 1;
	return 5;
}

static void clone_vfork(void) {
	printf("-- clone with CLONE_VFORK\n");
	static char stack[64 * 1024] __attribute__((aligned(16)));
	cloned_value = 0;
	shared_after = 0;
	fflush(stdout);
	pid_t pid = clone(clone_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)7);
	ok("CLONE_VM|CLONE_VFORK: the parent resumed after the child exited", shared_after == 1);
	ok("CLONE_VM|CLONE_VFORK: the child's write is visible", cloned_value == 7);
	reap("the child", pid);
	cloned_value = 0;
	shared_after = 0;
	fflush(stdout);
	pid = clone(clone_child, stack + sizeof stack, CLONE_VFORK | SIGCHLD, (void *)8);
	ok("CLONE_VFORK alone: the parent still waited for the child", 1);
	ok("CLONE_VFORK alone: the child's memory was its own", cloned_value == 0 && shared_after == 0);
	reap("the child", pid);
	// Without SIGCHLD as the exit signal, wait needs __WCLONE or __WALL.
	fflush(stdout);
	pid = clone(clone_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK, (void *)9);
	int st;
	R(waitpid(pid, &st, WNOHANG));
	pid_t r = waitpid(pid, &st, __WCLONE);
	ok("waitpid __WCLONE found the child", r == pid);
	printf("waitpid __WCLONE: %s\n", wait_status(st));
}

// ---- posix_spawn

// SPAWN makes a posix_spawn call and waits for the child before printing
// the call's result, so that the child's output comes first.
#define SPAWN(call)                                                  \
	do {                                                               \
		int e_ = (call);                                           \
		int st_ = 0;                                               \
		pid_t r_ = e_ ? 0 : waitpid(pid, &st_, 0);                 \
		printf("%s: %s: %s\n", #call, e_ ? strerrorname_np(e_) : "0", \
		       e_ ? "" : r_ == pid ? wait_status(st_) : "not waited for"); \
	} while (0)

static void spawn(void) {
	printf("-- posix_spawn\n");
	pid_t pid;
	char *args[] = {"vfork", "--args", "spawned", NULL};
	char *env[] = {NULL};
	SPAWN(posix_spawn(&pid, "/init", NULL, NULL, args, env));
	// Errors of the exec come back as posix_spawn's result.
	int e = posix_spawn(&pid, "/nonexistent", NULL, NULL, args, env);
	printf("posix_spawn of a missing file: %s\n", e ? strerrorname_np(e) : "0");
	e = posix_spawn(&pid, "data/hello.txt", NULL, NULL, args, env);
	printf("posix_spawn of a file without execute permission: %s\n", e ? strerrorname_np(e) : "0");

	// File actions: the child's standard output goes to a file.
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 3, "tmp/spawned.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 3, 1);
	posix_spawn_file_actions_addclose(&fa, 3);
	char *args2[] = {"vfork", "--args", "into", "a", "file", NULL};
	SPAWN(posix_spawn(&pid, "/init", &fa, NULL, args2, env));
	posix_spawn_file_actions_destroy(&fa);
	char buf[64] = {0};
	int fd = open("tmp/spawned.txt", O_RDONLY);
	read(fd, buf, sizeof buf - 1);
	close(fd);
	printf("the file holds: %s", buf);
	// A failing file action is reported too.
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 3, "data/nope/x", O_RDONLY, 0);
	e = posix_spawn(&pid, "/init", &fa, NULL, args, env);
	printf("posix_spawn with a failing open action: %s\n", e ? strerrorname_np(e) : "0");
	posix_spawn_file_actions_destroy(&fa);

	// Attributes: a new process group, a signal mask, default actions.
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	sigset_t mask, def;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	posix_spawnattr_setsigmask(&at, &mask);
	sigemptyset(&def);
	sigaddset(&def, SIGUSR2);
	posix_spawnattr_setsigdefault(&at, &def);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	char *args3[] = {"vfork", "--spawned", NULL};
	SPAWN(posix_spawn(&pid, "/init", NULL, &at, args3, env));
	posix_spawnattr_destroy(&at);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
	SPAWN(posix_spawn(&pid, "/init", NULL, &at, args3, env));
	posix_spawnattr_destroy(&at);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGHUP, SIG_DFL);

	// posix_spawnp searches PATH.
	setenv("PATH", "/data:/", 1);
	char *args4[] = {"init", "--args", "found", "in", "PATH", NULL};
	SPAWN(posix_spawnp(&pid, "init", NULL, NULL, args4, env));
	e = posix_spawnp(&pid, "nope", NULL, NULL, args4, env);
	printf("posix_spawnp of a name not in PATH: %s\n", e ? strerrorname_np(e) : "0");
}

static int spawned(void) {
	sigset_t m;
	sigprocmask(SIG_SETMASK, NULL, &m);
	struct sigaction sa;
	sigaction(SIGUSR2, NULL, &sa);
	struct sigaction hup;
	sigaction(SIGHUP, NULL, &hup);
	printf("  spawned: leads its process group: %s, leads a session: %s, SIGUSR1 blocked: %s, SIGUSR2 %s, SIGHUP %s\n",
	       getpgrp() == getpid() ? "yes" : "no", getsid(0) == getpid() ? "yes" : "no", sigismember(&m, SIGUSR1) ? "yes" : "no",
	       sa.sa_handler == SIG_DFL ? "default" : "ignored", hup.sa_handler == SIG_DFL ? "default" : "ignored");
	return 0;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "--args") == 0) {
		printf("  exec'd program:");
		for (int i = 2; i < argc; i++)
			printf(" %s", argv[i]);
		printf("\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--spawned") == 0)
		return spawned();
	setvbuf(stdout, NULL, _IOLBF, 0);
	vfork_exit();
	vfork_exec();
	vfork_threads();
	clone_vfork();
	spawn();
	return 0;
}
