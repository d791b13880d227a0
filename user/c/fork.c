// Processes: fork, exec, exit and wait, and the process tree around them.
// fork with pipes, dup2 and execve; fork while other threads run; exit
// statuses (normal and by signals); the forms of wait4 and waitid;
// orphans, zombies; copy-on-write of every kind of private memory;
// close-on-exec; "#!" scripts and execve's errors; execveat; process
// groups and sessions; kill to groups and to -1; SIGCHLD's siginfo,
// SA_NOCLDWAIT and SIG_IGN; stop and continue; getrusage and times.
//
// The suite runs it as init (process 1 of its own PID namespace natively:
// qemu.Case.Init) with the rootfs as its root, so that orphans come back
// to it and kill(-1) reaches only its own children on both sides. It is
// also its own helper: run with "--args" it prints its arguments, and
// run as a script's interpreter (argv[0] is "/init") it prints its argv.
#include "check.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>

static const char *self = "/init";

static const char *code_name(int code) {
	switch (code) {
	case CLD_EXITED:
		return "CLD_EXITED";
	case CLD_KILLED:
		return "CLD_KILLED";
	case CLD_DUMPED:
		return "CLD_DUMPED";
	case CLD_STOPPED:
		return "CLD_STOPPED";
	case CLD_CONTINUED:
		return "CLD_CONTINUED";
	case 0:
		return "0";
	}
	return "?";
}

// siginfo prints what waitid or a SIGCHLD handler reported about pid.
static void siginfo(const char *what, const siginfo_t *si, pid_t pid) {
	int st = si->si_status;
	char sts[32];
	if (si->si_code == CLD_EXITED || si->si_code == 0)
		snprintf(sts, sizeof sts, "%d", st);
	else
		snprintf(sts, sizeof sts, "%s", sig_name(st));
	printf("%s: si_signo %s si_code %s si_status %s si_pid %s si_uid %d\n", what,
	       si->si_signo ? sig_name(si->si_signo) + 3 : "0", code_name(si->si_code), sts,
	       si->si_pid == pid ? "the child's" : si->si_pid == 0 ? "0" : "other", (int)si->si_uid);
}

// ---- fork, pipe, dup2, execve

static void fork_exec(void) {
	printf("-- fork, pipe, dup2, execve\n");
	int p[2];
	R(pipe(p));
	pid_t parent = getpid();
	pid_t pid = pfork();
	if (pid == 0) {
		ok("child: getppid is the parent", getppid() == parent);
		ok("child: its own pid", getpid() != parent && getpid() > 1);
		ok("child: gettid is its pid", syscall(SYS_gettid) == getpid());
		close(p[0]);
		dup2(p[1], 1);
		close(p[1]);
		char *argv[] = {"fork", "--args", "through", "the pipe", NULL};
		execve(self, argv, (char *[]){"A=1", NULL});
		_exit(127);
	}
	close(p[1]);
	char buf[256];
	ssize_t n, total = 0;
	while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	close(p[0]);
	printf("the parent read %zd bytes: %s", total, buf);
	reap("the child", pid);
}

// ---- fork with threads running

static volatile long counter[2];
static volatile int stop_threads;

static void *spin(void *arg) {
	long i = (long)arg;
	while (!stop_threads) {
		counter[i]++;
		sched_yield();
	}
	return NULL;
}

static void *noop(void *arg) { return arg; }

static void fork_threads(void) {
	printf("-- fork while other threads run\n");
	pthread_t th[2];
	for (long i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, spin, (void *)i);
	while (counter[0] == 0 || counter[1] == 0)
		sched_yield();
	pid_t pid = pfork();
	if (pid == 0) {
		long a = counter[0], b = counter[1];
		pause_ms(30);
		ok("child: the other threads did not come along (counters still)", a == counter[0] && b == counter[1]);
		pthread_t t;
		void *ret = NULL;
		int e = pthread_create(&t, NULL, noop, (void *)42);
		if (e == 0)
			pthread_join(t, &ret);
		ok("child: it can start and join a thread of its own", e == 0 && ret == (void *)42);
		_exit(0);
	}
	long a = counter[0], b = counter[1];
	int moved = 0;
	for (int i = 0; i < 200 && !moved; i++) {
		pause_ms(5);
		moved = counter[0] != a && counter[1] != b;
	}
	reap("the child", pid);
	ok("parent: its threads kept running while the child ran", moved);
	stop_threads = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ok("parent: its threads joined", 1);
}

// ---- exit statuses

// pauser forks a child that pauses until a signal ends it, and puts it
// in process group pgid (0: a group of its own; -1: ours).
static pid_t pauser(pid_t pgid) {
	pid_t pid = pfork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	if (pgid >= 0)
		setpgid(pid, pgid ? pgid : pid);
	return pid;
}


static void no_core(void) {
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0);
}

static void exit_statuses(void) {
	printf("-- exit statuses\n");
	static const int codes[] = {0, 1, 42, 255, 256, 257};
	for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		pid_t pid = pfork();
		if (pid == 0)
			_exit(codes[i]);
		char what[32];
		snprintf(what, sizeof what, "_exit(%d)", codes[i]);
		reap(what, pid);
	}
	pid_t pid = pfork();
	if (pid == 0)
		exit(3); // through atexit and stdio
	reap("exit(3)", pid);
	pid = pfork();
	if (pid == 0) {
		syscall(SYS_exit_group, 4);
		_exit(99);
	}
	reap("exit_group(4)", pid);
	fflush(stdout);
	pid = syscall(SYS_fork); // fork(2) itself: glibc's fork uses clone
	if (pid == 0)
		_exit(5);
	reap("fork(2), then _exit(5)", pid);

	pid = pauser(-1);
	R(kill(pid, SIGTERM));
	reap("kill SIGTERM", pid);
	pid = pauser(-1);
	R(kill(pid, SIGKILL));
	reap("kill SIGKILL", pid);
	pid = pfork();
	if (pid == 0) {
		no_core();
		*(volatile int *)8 = 1;
		_exit(99);
	}
	reap("a NULL write", pid);
	pid = pfork();
	if (pid == 0) {
		no_core();
		volatile int seven = 7, zero = 0;
		volatile int x = seven / zero;
		(void)x;
		_exit(99);
	}
	reap("a division by zero", pid);
	pid = pfork();
	if (pid == 0) {
		no_core();
		abort();
	}
	reap("abort()", pid);
	pid = pfork();
	if (pid == 0) {
		raise(SIGTERM); // the default action, in a process that is not init
		_exit(99);
	}
	reap("raise(SIGTERM)", pid);
	pid = pfork();
	if (pid == 0) {
		signal(SIGTERM, SIG_IGN);
		raise(SIGTERM);
		_exit(5);
	}
	reap("raise(SIGTERM) ignored", pid);
	// As init, this process ignores signals it has no handler for,
	// unless the kernel forces them.
	R(raise(SIGTERM));
	ok("init survives its own SIGTERM", 1);
}

// ---- wait4 and waitid

// waiter forks a child that exits with code once it reads a byte from fd.
static pid_t waiter(int fd, int code) {
	pid_t pid = pfork();
	if (pid == 0) {
		char c;
		read(fd, &c, 1);
		_exit(code);
	}
	return pid;
}

static void waits(void) {
	printf("-- wait4 and waitid\n");
	int st = 0;
	siginfo_t si;
	int go[2];
	pipe(go);
	pid_t pid = waiter(go[0], 5);
	R(waitpid(-1, &st, WNOHANG));
	R(waitpid(pid, &st, WNOHANG));
	memset(&si, 0xff, sizeof si);
	R(waitid(P_PID, pid, &si, WEXITED | WNOHANG));
	printf("waitid WNOHANG, nothing to report: si_pid %d si_signo %d\n", si.si_pid, si.si_signo);
	write(go[1], "x", 1);
	memset(&si, 0, sizeof si);
	R(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	siginfo("waitid WNOWAIT", &si, pid);
	memset(&si, 0, sizeof si);
	R(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | WNOHANG));
	siginfo("waitid WNOWAIT again", &si, pid);
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	pid_t r = wait4(pid, &st, 0, &ru);
	ok("wait4 reaps it", r == pid);
	printf("wait4: %s\n", wait_status(st));
	ok("wait4 rusage: times not negative", ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
	                                           ru.ru_stime.tv_sec >= 0 && ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000);
	R(waitpid(pid, &st, 0));
	R(waitpid(-1, &st, 0));
	R(waitpid(99999, &st, 0));
	R(waitid(P_ALL, 0, &si, WEXITED));
	R(waitid(P_ALL, 0, &si, WEXITED | WNOHANG));
	// Bad arguments.
	R(waitpid(-1, &st, 0x100));
	R(waitid(P_ALL, 0, &si, 0));
	R(waitid(P_ALL, 0, &si, WNOHANG));
	R(waitid(99, 0, &si, WEXITED));
	R(waitid(P_PID, 0, &si, WEXITED));
	R(waitid(P_PGID, -1, &si, WEXITED));
	RAW(SYS_wait4, -2147483647 - 1, 0, 0, 0);

	// P_PGID: two children in a group of their own, one in ours.
	pid_t a = waiter(go[0], 10);
	setpgid(a, a);
	pid_t b = waiter(go[0], 11);
	setpgid(b, a);
	pid_t c = waiter(go[0], 12);
	ok("getpgid of the first child is its pid", getpgid(a) == a);
	ok("getpgid of the second child is the first's", getpgid(b) == a);
	ok("getpgid of the third child is ours", getpgid(c) == getpgrp());
	write(go[1], "xxx", 3);
	int got = 0;
	for (int i = 0; i < 2; i++) {
		memset(&si, 0, sizeof si);
		if (waitid(P_PGID, a, &si, WEXITED) == 0)
			got |= si.si_pid == a ? 1 : si.si_pid == b ? 2 : 4;
		printf("waitid P_PGID: si_code %s si_status %d\n", code_name(si.si_code), si.si_status == 10 || si.si_status == 11 ? 1011 : si.si_status);
	}
	ok("waitid P_PGID found both members of the group", got == 3);
	R(waitid(P_PGID, a, &si, WEXITED));
	// waitpid(0): our own group.
	r = waitpid(0, &st, 0);
	ok("waitpid(0) found the third child", r == c);
	printf("waitpid(0): %s\n", wait_status(st));

	// P_PGID 0 is the caller's group; waitpid(-pgid).
	a = pfork();
	if (a == 0)
		_exit(20);
	memset(&si, 0, sizeof si);
	R(waitid(P_PGID, 0, &si, WEXITED));
	siginfo("waitid P_PGID 0", &si, a);
	a = pfork();
	if (a == 0)
		_exit(21);
	r = waitpid(-getpgrp(), &st, 0);
	ok("waitpid(-pgrp) found the child", r == a);
	printf("waitpid(-pgrp): %s\n", wait_status(st));
	close(go[0]);
	close(go[1]);
}

// ---- orphans and zombies

static void orphans(void) {
	printf("-- orphans\n");
	int p[2];
	pipe(p);
	pid_t a = pfork();
	if (a == 0) {
		pid_t middle = getpid();
		pid_t b = pfork();
		if (b == 0) {
			int changed = 0;
			for (int i = 0; i < 400 && !changed; i++) {
				changed = getppid() != middle;
				if (!changed)
					pause_ms(5);
			}
			char r = !changed ? 'n' : getppid() == 1 ? '1' : 'o';
			write(p[1], &r, 1);
			_exit(7);
		}
		write(p[1], &b, sizeof b);
		_exit(6);
	}
	close(p[1]);
	pid_t b = 0;
	read(p[0], &b, sizeof b);
	reap("the middle process", a);
	char r = 0;
	read(p[0], &r, 1);
	close(p[0]);
	printf("the orphan's getppid after its parent exited: %s\n", r == '1' ? "1 (init: us)" : r == 'n' ? "unchanged" : "another process");
	reap("the orphan, reaped by init", b);
	// PR_SET_PDEATHSIG: a signal when the parent goes (not inherited).
	R(prctl(PR_SET_PDEATHSIG, 65));
	int ready[2], msgs[2], pids[2];
	pipe(ready);
	pipe(msgs);
	pipe(pids);
	a = pfork();
	if (a == 0) {
		b = pfork();
		if (b == 0) {
			prctl(PR_SET_PDEATHSIG, SIGUSR1);
			int got = -1;
			prctl(PR_GET_PDEATHSIG, &got);
			pid_t c = pfork();
			if (c == 0) { // the grandchild does not inherit it
				int g = -1;
				prctl(PR_GET_PDEATHSIG, &g);
				_exit(g);
			}
			int st;
			waitpid(c, &st, 0);
			char msg[80];
			snprintf(msg, sizeof msg, "PR_GET_PDEATHSIG %d, in its own child %d\n", got, WEXITSTATUS(st));
			write(msgs[1], msg, strlen(msg));
			write(ready[1], "r", 1);
			for (;;)
				pause(); // until its parent's death kills it
		}
		char c;
		read(ready[0], &c, 1);
		write(pids[1], &b, sizeof b);
		_exit(0);
	}
	char msg[80] = {0};
	read(msgs[0], msg, sizeof msg - 1);
	printf("the child: %s", msg);
	read(pids[0], &b, sizeof b);
	reap("its parent", a);
	reap("the child with a parent-death signal", b);
	for (int i = 0; i < 2; i++) {
		close(ready[i]);
		close(msgs[i]);
		close(pids[i]);
	}
}

static void zombies(void) {
	printf("-- zombies\n");
	pid_t pid = pfork();
	if (pid == 0)
		_exit(9);
	siginfo_t si;
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	R(kill(pid, 0));
	R(kill(pid, SIGKILL));
	char path[64];
	struct stat s;
	snprintf(path, sizeof path, "/proc/%d", pid);
	R(stat(path, &s));
	reap("the zombie", pid);
	R(kill(pid, 0));
	R(stat(path, &s));
}

// ---- copy-on-write

static void cow(void) {
	printf("-- copy-on-write\n");
	volatile int on_stack = 1;
	int *heap = malloc(64 * sizeof(int));
	heap[0] = 1;
	int *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	anon[0] = 1;
	int fd = open("tmp/cow", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char page[4096] = "file";
	write(fd, page, sizeof page);
	char *file = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	int untouched = 7; // not written before fork: the child's first write copies it
	static int in_data = 1;
	int to_child[2], to_parent[2];
	pipe(to_child);
	pipe(to_parent);
	pid_t pid = pfork();
	char c;
	if (pid == 0) {
		on_stack = 2, heap[0] = 2, anon[0] = 2, in_data = 2, untouched = 2;
		memcpy(file, "CHLD", 4);
		write(to_parent[1], "x", 1);
		read(to_child[0], &c, 1); // the parent has written its own values
		ok("child: stack, heap, data, anonymous and file pages keep the child's values",
		   on_stack == 2 && heap[0] == 2 && anon[0] == 2 && in_data == 2 && untouched == 2 && memcmp(file, "CHLD", 4) == 0);
		char b[5] = {0};
		pread(fd, b, 4, 0);
		printf("child: the file under the private mapping still says %s\n", b);
		_exit(0);
	}
	read(to_parent[0], &c, 1);
	ok("parent: the child's writes are invisible to it",
	   on_stack == 1 && heap[0] == 1 && anon[0] == 1 && in_data == 1 && untouched == 7 && memcmp(file, "file", 4) == 0);
	on_stack = 3, heap[0] = 3, anon[0] = 3, in_data = 3;
	memcpy(file, "PRNT", 4);
	write(to_child[1], "x", 1);
	reap("the child", pid);
	ok("parent: its own writes stayed", on_stack == 3 && heap[0] == 3 && anon[0] == 3 && in_data == 3 && memcmp(file, "PRNT", 4) == 0);
	munmap(file, 4096);
	munmap(anon, 4096);
	free(heap);
	close(fd);
	for (int i = 0; i < 2; i++) {
		close(to_child[i]);
		close(to_parent[i]);
	}
	unlink("tmp/cow");
}

// ---- close-on-exec

static void cloexec(void) {
	printf("-- close-on-exec\n");
	int keep = open("data/hello.txt", O_RDONLY);
	int gone = open("data/hello.txt", O_RDONLY | O_CLOEXEC);
	int later = open("data/hello.txt", O_RDONLY);
	fcntl(later, F_SETFD, FD_CLOEXEC);
	int dupped = dup(gone); // dup does not copy the flag
	int dup3d = dup3(keep, 20, O_CLOEXEC);
	char fds[5][16];
	int all[5] = {keep, gone, later, dupped, dup3d};
	for (int i = 0; i < 5; i++)
		snprintf(fds[i], sizeof fds[i], "%d", all[i]);
	pid_t pid = pfork();
	if (pid == 0) {
		char *argv[] = {"fork", "--fds", fds[0], fds[1], fds[2], fds[3], fds[4], NULL};
		execve(self, argv, (char *[]){NULL});
		_exit(127);
	}
	reap("the exec'd child", pid);
	for (int i = 0; i < 5; i++)
		close(all[i]);
}

static int show_fds(int argc, char **argv) {
	static const char *names[] = {"plain", "O_CLOEXEC", "FD_CLOEXEC by fcntl", "dup of O_CLOEXEC", "dup3 O_CLOEXEC"};
	for (int i = 2; i < argc && i - 2 < 5; i++) {
		int fd = atoi(argv[i]);
		int fl = fcntl(fd, F_GETFD);
		printf("after exec, the %s descriptor: %s\n", names[i - 2], fl < 0 ? strerrorname_np(errno) : "open");
	}
	return 0;
}

// ---- "#!" scripts, execve errors, execveat

static void write_file(const char *path, const char *text, mode_t mode) {
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	write(fd, text, strlen(text));
	close(fd);
	chmod(path, mode);
}

// run forks, execs path with argv and waits; an execve error is printed.
static void run(const char *what, const char *path, char **argv) {
	printf("%s:\n", what);
	pid_t pid = pfork();
	if (pid == 0) {
		execve(path, argv, (char *[]){NULL});
		printf("  execve: %s\n", strerrorname_np(errno));
		_exit(126);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("  %s\n", wait_status(st));
}

static void scripts(void) {
	printf("-- #! scripts\n");
	char *argv[] = {"ignored", "a", "b c", NULL};
	write_file("tmp/s1", "#!/init\necho not a shell\n", 0755);
	run("#!/init", "tmp/s1", argv);
	write_file("tmp/s2", "#!/init  one  two \t\n", 0755);
	run("#!/init with an argument", "tmp/s2", argv);
	write_file("tmp/s3", "#! \t/init\t-x\n", 0755);
	run("#! and blanks before the interpreter", "tmp/s3", argv);
	write_file("tmp/s4", "#!/tmp/s1 nested\n", 0755);
	run("a script as interpreter", "/tmp/s4", argv);
	write_file("tmp/s5", "#!/init", 0755);
	run("no newline", "tmp/s5", argv);
	char line[400] = "#!/init ";
	memset(line + 8, 'a', 300);
	line[308] = '\n';
	write_file("tmp/s6", line, 0755);
	run("an argument longer than the buffer", "tmp/s6", (char *[]){"x", NULL});
	memset(line, 0, sizeof line);
	memcpy(line, "#!/", 3);
	memset(line + 3, 'i', 300);
	write_file("tmp/s7", line, 0755);
	run("an interpreter longer than the buffer", "tmp/s7", argv);
	write_file("tmp/s8", "#!\n", 0755);
	run("#! alone", "tmp/s8", argv);
	write_file("tmp/s9", "#!/nonexistent\n", 0755);
	run("a missing interpreter", "tmp/s9", argv);
	write_file("tmp/s10", "#!/data/hello.txt\n", 0755);
	run("an interpreter without execute permission", "tmp/s10", argv);
	write_file("tmp/s11", "#!/init\n", 0644);
	run("a script without execute permission", "tmp/s11", argv);
	write_file("tmp/loop", "#!/tmp/loop\n", 0755);
	run("a script that is its own interpreter", "tmp/loop", argv);
	// A chain of scripts: five are allowed before the ELF, six are not.
	write_file("tmp/c1", "#!/init\n", 0755);
	write_file("tmp/c2", "#!/tmp/c1\n", 0755);
	write_file("tmp/c3", "#!/tmp/c2\n", 0755);
	write_file("tmp/c4", "#!/tmp/c3\n", 0755);
	write_file("tmp/c5", "#!/tmp/c4\n", 0755);
	write_file("tmp/c6", "#!/tmp/c5\n", 0755);
	run("five scripts deep", "tmp/c5", (char *[]){"x", NULL});
	run("six scripts deep", "tmp/c6", (char *[]){"x", NULL});
}

static int interpreter(int argc, char **argv) {
	printf("  interpreter: argc %d", argc);
	for (int i = 0; i < argc; i++) {
		if (strlen(argv[i]) > 40)
			printf(" [%zu bytes of %c]", strlen(argv[i]), argv[i][0]);
		else
			printf(" [%s]", argv[i]);
	}
	printf("\n");
	return 0;
}

// try_exec makes the execveat call in a child, so that a call that
// should fail but runs the program does not replace this one; it prints
// the error, or how the program it ran ended.
static void try_exec(const char *what, int dirfd, const char *path, char **argv, char **envp, int flags) {
	pid_t pid = pfork();
	if (pid == 0) {
		long r = syscall(SYS_execveat, dirfd, path, argv, envp, flags);
		printf("%s: %ld %s\n", what, r, strerrorname_np(errno));
		_exit(126);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 126)
		printf("%s: the program ran: %s\n", what, wait_status(st));
}

#define EXEC(path, argv, envp) try_exec("execve(" #path ", " #argv ", " #envp ")", AT_FDCWD, path, argv, envp, 0)
#define EXECAT(dirfd, path, argv, envp, flags) \
	try_exec("execveat(" #dirfd ", " #path ", " #argv ", " #envp ", " #flags ")", dirfd, path, argv, envp, flags)

static void exec_errors(void) {
	printf("-- execve errors\n");
	char *argv[] = {"x", NULL};
	char *envp[] = {NULL};
	EXEC("/nonexistent", argv, envp);
	EXEC("data/hello.txt", argv, envp); // no execute permission
	EXEC("data/dir", argv, envp);
	EXEC("data/hello.txt/x", argv, envp);
	write_file("tmp/garbage", "this is not a program\n", 0755);
	EXEC("tmp/garbage", argv, envp);
	write_file("tmp/empty", "", 0755);
	EXEC("tmp/empty", argv, envp);
	write_file("tmp/elfish", "\177ELF garbage garbage garbage garbage garbage garbage garbage garbage garbage\n", 0755);
	EXEC("tmp/elfish", argv, envp);
	EXEC("data/loop1", argv, envp); // data/loop1 -> loop2 -> loop1
	EXECAT(AT_FDCWD, "data/init-link", argv, envp, AT_SYMLINK_NOFOLLOW);
	EXECAT(AT_FDCWD, "data/init-link", argv, envp, 0x4);
	EXECAT(AT_FDCWD, "", argv, envp, 0);
	static char longname[5000];
	memset(longname, 'n', sizeof longname - 1);
	EXEC(longname, argv, envp);
	EXEC(KERNEL_PTR, argv, envp);
	EXEC("/init", KERNEL_PTR, envp);
	EXEC("/init", ((char *[]){"x", KERNEL_PTR, NULL}), envp);
	EXEC("/init", argv, KERNEL_PTR);
	// E2BIG: one string longer than MAX_ARG_STRLEN (32 pages), and more
	// than a quarter of the stack limit (8 MiB, as oyako's) in all.
	struct rlimit rl;
	getrlimit(RLIMIT_STACK, &rl);
	rl.rlim_cur = 8 << 20;
	setrlimit(RLIMIT_STACK, &rl);
	static char big[32 * 4096 + 10];
	memset(big, 'b', sizeof big - 1);
	EXEC("/init", ((char *[]){"x", big, NULL}), envp);
	static char part[100000];
	memset(part, 'p', sizeof part - 1);
	static char *many[100];
	for (int i = 0; i < 99; i++)
		many[i] = part;
	EXEC("/init", many, envp);
}

static void execveat_tests(void) {
	printf("-- execveat\n");
	int fd = open("/init", O_RDONLY);
	pid_t pid = pfork();
	if (pid == 0) {
		syscall(SYS_execveat, fd, "", (char *[]){"fork", "--args", "by", "AT_EMPTY_PATH", NULL}, (char *[]){NULL}, AT_EMPTY_PATH);
		printf("execveat: %s\n", strerrorname_np(errno));
		_exit(126);
	}
	reap("execveat AT_EMPTY_PATH", pid);
	int opath = open("/init", O_PATH);
	pid = pfork();
	if (pid == 0) {
		syscall(SYS_execveat, opath, "", (char *[]){"fork", "--args", "O_PATH", NULL}, (char *[]){NULL}, AT_EMPTY_PATH);
		printf("execveat: %s\n", strerrorname_np(errno));
		_exit(126);
	}
	reap("execveat of an O_PATH descriptor", pid);
	int root = open("/", O_RDONLY | O_DIRECTORY);
	pid = pfork();
	if (pid == 0) {
		syscall(SYS_execveat, root, "init", (char *[]){"fork", "--args", "relative", NULL}, (char *[]){NULL}, 0);
		printf("execveat: %s\n", strerrorname_np(errno));
		_exit(126);
	}
	reap("execveat relative to a directory", pid);
	// A script by descriptor: its interpreter gets /dev/fd/N, unless the
	// descriptor is close-on-exec (then the script could not be read).
	write_file("tmp/s1", "#!/init\n", 0755);
	int s = open("tmp/s1", O_RDONLY);
	dup2(s, 30);
	pid = pfork();
	if (pid == 0) {
		syscall(SYS_execveat, 30, "", (char *[]){"x", "y", NULL}, (char *[]){NULL}, AT_EMPTY_PATH);
		printf("  execveat: %s\n", strerrorname_np(errno));
		_exit(126);
	}
	reap("execveat of a script by descriptor", pid);
	fcntl(30, F_SETFD, FD_CLOEXEC);
	char *x[] = {"x", NULL}, *none[] = {NULL};
	EXECAT(30, "", x, none, AT_EMPTY_PATH);
	EXECAT(99, "", x, none, AT_EMPTY_PATH);
	EXECAT(root, "", x, none, AT_EMPTY_PATH);
	EXECAT(fd, "x", x, none, 0);
	close(30);
	close(s);
	close(fd);
	close(opath);
	close(root);
}

// ---- process groups and sessions

static void groups(void) {
	printf("-- process groups and sessions\n");
	ok("we lead our session", getsid(0) == getpid());
	ok("and our process group", getpgrp() == getpid() && getpgid(0) == getpid());
	R(setsid());
	R(setpgid(0, 0)); // a session leader stays where it is
	R(setpgid(0, -1));
	R(setpgid(99999, 0));
	R(getpgid(99999));
	R(getsid(99999));
	int go[2];
	pipe(go);
	pid_t a = pfork();
	if (a == 0) {
		char c;
		read(go[0], &c, 1);
		_exit(0);
	}
	ok("getsid of a child is ours", getsid(a) == getsid(0));
	R(setpgid(a, 99999)); // no such group in the session
	R(setpgid(a, a));
	ok("the child leads a new group", getpgid(a) == a);
	R(setpgid(a, getpgrp())); // and comes back
	ok("the child is back in ours", getpgid(a) == getpgrp());
	write(go[1], "x", 1);
	reap("the child", a);
	R(setpgid(a, a)); // reaped

	// A child that exec'd may not be moved.
	int hold[2];
	pipe(hold);
	a = pfork();
	if (a == 0) {
		close(hold[1]);
		dup2(hold[0], 0);
		execve(self, (char *[]){"fork", "--wait", NULL}, (char *[]){NULL});
		_exit(127);
	}
	close(hold[0]);
	// Nothing tells when the child's execve is done: retry setpgid until
	// it refuses (moving the child back each time it does not).
	int r = 0, e = 0;
	for (int i = 0; i < 1000; i++) {
		r = setpgid(a, a);
		e = errno;
		if (r == -1 && e == EACCES)
			break;
		setpgid(a, getpgrp());
		pause_ms(5);
	}
	printf("setpgid of a child after its execve: %d %s\n", r, r ? strerrorname_np(e) : "");
	close(hold[1]);
	reap("the exec'd child", a);

	// A child in a new session.
	int ready[2];
	pipe(ready);
	a = pfork();
	if (a == 0) {
		pid_t s = setsid();
		int ok1 = s == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
		int r1 = setpgid(0, 0);
		int e1 = errno;
		int r2 = setsid();
		int e2 = errno;
		char msg[160];
		snprintf(msg, sizeof msg, "child: setsid made it leader of a session and group: %s; setpgid(0, 0) %d %s; setsid again %d %s\n",
		         ok1 ? "ok" : "FAIL", r1, r1 ? strerrorname_np(e1) : "", r2, r2 ? strerrorname_np(e2) : "");
		write(ready[1], msg, strlen(msg));
		char c;
		read(go[0], &c, 1);
		_exit(0);
	}
	char msg[160] = {0};
	read(ready[0], msg, sizeof msg - 1);
	printf("%s", msg);
	ok("getsid of that child is its pid", getsid(a) == a);
	R(setpgid(a, a));
	R(setpgid(a, getpgrp()));
	write(go[1], "x", 1);
	reap("the session leader", a);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

// ---- kill to groups and to everyone

static void kills(void) {
	printf("-- kill\n");
	R(kill(0, 0));
	R(kill(-99999, 0));
	R(kill(99999, 0));
	R(kill(getpid(), 65));
	R(kill(getpid(), -1));
	R(kill(99999, 65)); // no target: ESRCH comes first
	R(kill(-99999, 65));
	R(kill(0, 65));
	R(kill(-1, 0)); // nothing but us (init) in our namespace
	pid_t a = pauser(0);
	pid_t b = pauser(a);
	pid_t c = pauser(-1); // stays in our group
	R(kill(-a, 0));
	R(kill(-a, SIGUSR1));
	reap("the group's first member", a);
	reap("the group's second member", b);
	R(kill(-a, 0));
	R(kill(c, SIGKILL));
	reap("the child in our group", c);
	// kill(-1): every process but init and the caller.
	a = pauser(0);
	b = pauser(-1);
	pid_t d = pfork();
	if (d == 0) {
		// A child sending to everyone reaches its siblings, not itself.
		signal(SIGUSR2, SIG_IGN);
		int r = kill(-1, SIGUSR2);
		_exit(r == 0 ? 0 : 1);
	}
	reap("the child that sent kill(-1, SIGUSR2)", d);
	reap("a sibling in its own group", a);
	reap("a sibling in our group", b);
	a = pauser(0);
	b = pauser(-1);
	R(kill(-1, SIGTERM));
	reap("killed by init's kill(-1)", a);
	reap("killed by init's kill(-1) too", b);
	R(kill(-1, 0));
}

// ---- SIGCHLD

static volatile sig_atomic_t chld_count;
static siginfo_t chld_info;

static void on_chld(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)uc;
	chld_info = *si;
	chld_count++;
}

// await_chld waits (with SIGCHLD blocked outside) for the handler to run.
static void await_chld(const sigset_t *orig) {
	while (!chld_count)
		sigsuspend(orig);
	chld_count = 0;
}

static void sigchld(void) {
	printf("-- SIGCHLD\n");
	struct sigaction sa = {0};
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t block, orig;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);

	pid_t pid = pfork();
	if (pid == 0)
		_exit(9);
	await_chld(&orig);
	siginfo("SIGCHLD for an exit", &chld_info, pid);
	reap("the child", pid);

	pid = pauser(-1);
	kill(pid, SIGTERM);
	await_chld(&orig);
	siginfo("SIGCHLD for a kill", &chld_info, pid);
	reap("the child", pid);

	// Stop and continue are reported too (no SA_NOCLDSTOP).
	pid = pauser(-1);
	kill(pid, SIGSTOP);
	await_chld(&orig);
	siginfo("SIGCHLD for a stop", &chld_info, pid);
	kill(pid, SIGCONT);
	await_chld(&orig);
	siginfo("SIGCHLD for a continue", &chld_info, pid);
	kill(pid, SIGKILL);
	await_chld(&orig);
	siginfo("SIGCHLD for SIGKILL", &chld_info, pid);
	reap("the child", pid);

	// SA_NOCLDSTOP: only the exit is reported.
	sa.sa_flags |= SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	pid = pauser(-1);
	kill(pid, SIGSTOP);
	int st;
	waitpid(pid, &st, WUNTRACED);
	printf("SA_NOCLDSTOP: waitpid WUNTRACED: %s\n", wait_status(st));
	sigset_t pend;
	sigpending(&pend);
	printf("SA_NOCLDSTOP: SIGCHLD pending after the stop: %s\n", sigismember(&pend, SIGCHLD) ? "yes" : "no");
	kill(pid, SIGKILL);
	await_chld(&orig);
	siginfo("SA_NOCLDSTOP: SIGCHLD for SIGKILL", &chld_info, pid);
	reap("the child", pid);

	// SA_NOCLDWAIT: the signal comes, the child does not stay a zombie.
	sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	pid = pfork();
	if (pid == 0)
		_exit(8);
	await_chld(&orig);
	siginfo("SA_NOCLDWAIT: SIGCHLD", &chld_info, pid);
	R(waitpid(pid, &st, 0));
	R(waitpid(-1, &st, WNOHANG));
	sigprocmask(SIG_SETMASK, &orig, NULL);

	// SIG_IGN: no signal, no zombie; wait waits for the child to go, then
	// fails.
	signal(SIGCHLD, SIG_IGN);
	pid = pfork();
	if (pid == 0) {
		pause_ms(20);
		_exit(1);
	}
	R(waitpid(-1, &st, 0));
	R(kill(pid, 0));
	signal(SIGCHLD, SIG_DFL);
	// With SIG_DFL (ignored by default) children become zombies again.
	pid = pfork();
	if (pid == 0)
		_exit(2);
	reap("with SIG_DFL again", pid);
}

// ---- stop and continue

static void stop_continue(void) {
	printf("-- stop and continue\n");
	int st;
	pid_t pid = pauser(-1);
	R(kill(pid, SIGSTOP));
	pid_t r = waitpid(pid, &st, WUNTRACED);
	printf("waitpid WUNTRACED: %s (%s)\n", wait_status(st), r == pid ? "the child" : "?");
	R(waitpid(pid, &st, WUNTRACED | WNOHANG)); // reported once
	R(kill(pid, SIGCONT));
	r = waitpid(pid, &st, WCONTINUED);
	printf("waitpid WCONTINUED: %s (%s)\n", wait_status(st), r == pid ? "the child" : "?");
	R(waitpid(pid, &st, WCONTINUED | WNOHANG));
	// waitid reports stops and continues too, and WNOWAIT keeps them.
	R(kill(pid, SIGSTOP));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	R(waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT));
	siginfo("waitid WSTOPPED|WNOWAIT", &si, pid);
	memset(&si, 0, sizeof si);
	R(waitid(P_PID, pid, &si, WSTOPPED));
	siginfo("waitid WSTOPPED", &si, pid);
	R(kill(pid, SIGCONT));
	memset(&si, 0, sizeof si);
	R(waitid(P_PID, pid, &si, WCONTINUED));
	siginfo("waitid WCONTINUED", &si, pid);
	// A stopped process is not killed by SIGTERM until it continues.
	R(kill(pid, SIGSTOP));
	waitpid(pid, &st, WUNTRACED);
	R(kill(pid, SIGTERM));
	pause_ms(20);
	R(waitpid(pid, &st, WNOHANG));
	R(kill(pid, SIGCONT));
	reap("SIGTERM delivered after SIGCONT", pid);
	// A stopped process dies of SIGKILL.
	pid = pauser(-1);
	kill(pid, SIGSTOP);
	waitpid(pid, &st, WUNTRACED);
	R(kill(pid, SIGKILL));
	reap("SIGKILL while stopped", pid);
	// SIGTSTP stops a process whose group is not orphaned (a member has
	// its parent in another group of the session), and does nothing in
	// an orphaned group. Children of init that are not in init's group
	// count as orphaned on Linux only if init is the global init (it is
	// in oyako, not natively), so the first case runs in a child.
	pid = pfork();
	if (pid == 0) {
		pid_t c = pauser(0);
		kill(c, SIGTSTP);
		waitpid(c, &st, WUNTRACED);
		printf("SIGTSTP in a group of its own: %s\n", wait_status(st));
		kill(c, SIGKILL);
		reap("the grandchild", c);
		_exit(0);
	}
	reap("the child", pid);
	// Init's group is orphaned: its children's parent is in it.
	pid = pauser(-1);
	kill(pid, SIGTSTP);
	kill(pid, SIGTERM);
	waitpid(pid, &st, WUNTRACED);
	printf("SIGTSTP in an orphaned group, then SIGTERM: %s\n", wait_status(st));
}

// ---- threads and the process tree

static void *exec_thread(void *arg) {
	char pid[16];
	snprintf(pid, sizeof pid, "%d", getpid());
	(void)arg;
	execve(self, (char *[]){"fork", "--exec-from-thread", pid, NULL}, (char *[]){NULL});
	return NULL;
}

// after_thread_exec reports on the program a thread of process pid ran.
static int after_thread_exec(char **argv) {
	printf("  after execve from a thread: the process's ID %s, the thread's ID %s\n",
	       getpid() == atoi(argv[2]) ? "kept" : "changed", syscall(SYS_gettid) == getpid() ? "is the process's" : "differs");
	return 0;
}

static void *exit_group_thread(void *arg) {
	(void)arg;
	pause_ms(20);
	syscall(SYS_exit_group, 9);
	return NULL;
}

static void *last_thread(void *arg) {
	(void)arg;
	pause_ms(300);
	exit(7);
}

static void *wait_thread(void *arg) {
	pid_t pid = *(pid_t *)arg;
	int st;
	static char result[64];
	pid_t r = waitpid(pid, &st, 0);
	snprintf(result, sizeof result, "%s", r == pid ? wait_status(st) : strerrorname_np(errno));
	return result;
}

static int clone_child(void *arg) { return (int)(long)arg; }

static void threads_and_tree(void) {
	printf("-- threads and the process tree\n");
	// execve from a thread other than the main one: the other threads
	// end, and the caller goes on as the process, with its ID.
	pid_t pid = pfork();
	if (pid == 0) {
		pthread_t th;
		pthread_create(&th, NULL, exec_thread, NULL);
		for (;;)
			pause();
	}
	reap("a child that execs from a second thread", pid);
	// exit_group from a thread ends the process while its main thread
	// waits in read.
	int p[2];
	pipe(p);
	pid = pfork();
	if (pid == 0) {
		pthread_t th;
		pthread_create(&th, NULL, exit_group_thread, NULL);
		char c;
		read(p[0], &c, 1);
		_exit(1);
	}
	reap("exit_group(9) from a thread while the main one reads", pid);
	// The main thread may end first: the process lives on with the other
	// thread, and wait reports it only when that one ends.
	pid = pfork();
	if (pid == 0) {
		pthread_t th;
		pthread_create(&th, NULL, last_thread, NULL);
		pthread_exit(NULL);
	}
	pause_ms(20);
	int st;
	R(waitpid(pid, &st, WNOHANG));
	R(kill(pid, 0));
	reap("the process whose main thread ended first", pid);
	// Any thread of a process may wait for its children.
	pid = pfork();
	if (pid == 0) {
		pause_ms(20);
		_exit(3);
	}
	pthread_t th;
	void *res;
	pthread_create(&th, NULL, wait_thread, &pid);
	pthread_join(th, &res);
	printf("waited for by another thread: %s\n", (char *)res);
	// CLONE_PARENT: the new process is a sibling; init may not have one.
	static char stack[64 * 1024] __attribute__((aligned(16)));
	pid = pfork();
	if (pid == 0) {
		pid_t g = clone(clone_child, stack + sizeof stack, CLONE_PARENT | SIGCHLD, (void *)6);
		write(p[1], &g, sizeof g);
		_exit(0);
	}
	reap("the child that made a sibling", pid);
	pid_t g = 0;
	read(p[0], &g, sizeof g);
	reap("the sibling made with CLONE_PARENT, waited for by its parent's parent", g);
	R(clone(clone_child, stack + sizeof stack, CLONE_PARENT | SIGCHLD, (void *)6));
	// A process group that the exit of its members' parent orphans, with
	// a stopped member, gets SIGHUP and SIGCONT (kill_orphaned_pgrp).
	pid = pfork();
	if (pid == 0) {
		setsid();
		pid_t c = pauser(0);
		kill(c, SIGSTOP);
		int st;
		waitpid(c, &st, WUNTRACED);
		write(p[1], &c, sizeof c);
		_exit(0);
	}
	reap("a session leader leaving a stopped child in a group of its own", pid);
	pid_t c = 0;
	read(p[0], &c, sizeof c);
	reap("the stopped child, its group orphaned", c);
	close(p[0]);
	close(p[1]);
}

// ---- pidfd

static void pidfds(void) {
	printf("-- pidfd\n");
	pid_t pid = pauser(-1);
	int fd = syscall(SYS_pidfd_open, pid, 0);
	ok("pidfd_open", fd >= 0);
	struct pollfd pf = {fd, POLLIN | POLLRDNORM, 0};
	R(poll(&pf, 1, 0));
	R(syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
	R(poll(&pf, 1, 5000));
	printf("  revents of a dead child's pidfd: %#x\n", pf.revents);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	R(waitid(P_PIDFD, fd, &si, WEXITED));
	siginfo("waitid P_PIDFD", &si, pid);
	pf.events |= POLLHUP;
	R(poll(&pf, 1, 0));
	printf("  and once reaped: %#x\n", pf.revents);
	R(syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
	R(waitid(P_PIDFD, fd, &si, WEXITED));
	close(fd);
	R(syscall(SYS_pidfd_open, 99999, 0));
	R(syscall(SYS_pidfd_open, getpid(), 1));
	R(syscall(SYS_pidfd_open, 0, 0));
	R(waitid(P_PIDFD, 99, &si, WEXITED));
	int file = open("data/hello.txt", O_RDONLY);
	R(waitid(P_PIDFD, file, &si, WEXITED));
	R(syscall(SYS_pidfd_send_signal, file, SIGTERM, NULL, 0));
	close(file);
	// CLONE_PIDFD through clone3.
	int cfd = -1;
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args = {.flags = CLONE_PIDFD, .pidfd = (uintptr_t)&cfd, .exit_signal = SIGCHLD};
	fflush(stdout);
	pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid == 0)
		_exit(4);
	ok("clone3 CLONE_PIDFD gave a descriptor", cfd >= 0);
	memset(&si, 0, sizeof si);
	R(waitid(P_PIDFD, cfd, &si, WEXITED));
	siginfo("waitid P_PIDFD of a clone3 child", &si, pid);
	close(cfd);
}

// ---- getrusage and times

static int tv_ok(struct timeval tv) { return tv.tv_sec >= 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000; }

static void usage(void) {
	printf("-- getrusage and times\n");
	struct rusage ru;
	R(getrusage(RUSAGE_SELF, &ru));
	ok("RUSAGE_SELF times well formed", tv_ok(ru.ru_utime) && tv_ok(ru.ru_stime));
	R(getrusage(RUSAGE_CHILDREN, &ru));
	ok("RUSAGE_CHILDREN times well formed", tv_ok(ru.ru_utime) && tv_ok(ru.ru_stime));
	R(getrusage(RUSAGE_THREAD, &ru));
	ok("RUSAGE_THREAD times well formed", tv_ok(ru.ru_utime) && tv_ok(ru.ru_stime));
	R(getrusage(5, &ru));
	R(getrusage(RUSAGE_SELF, KERNEL_PTR));
	struct tms t;
	clock_t c = times(&t);
	ok("times returns a tick count", c != (clock_t)-1);
	ok("times fields not negative", t.tms_utime >= 0 && t.tms_stime >= 0 && t.tms_cutime >= 0 && t.tms_cstime >= 0);
	ok("times(NULL)", times(NULL) != (clock_t)-1);
	ok("times with a bad pointer", syscall(SYS_times, KERNEL_PTR) == -1 && errno == EFAULT);
}

static int wait_stdin(void) {
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

int main(int argc, char **argv) {
	if (argv[0][0] == '/')
		return interpreter(argc, argv);
	if (argc > 1 && strcmp(argv[1], "--args") == 0) {
		for (int i = 2; i < argc; i++)
			printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--fds") == 0)
		return show_fds(argc, argv);
	if (argc > 1 && strcmp(argv[1], "--wait") == 0)
		return wait_stdin();
	if (argc > 2 && strcmp(argv[1], "--exec-from-thread") == 0)
		return after_thread_exec(argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ok("we are init", getpid() == 1);
	fork_exec();
	fork_threads();
	exit_statuses();
	waits();
	orphans();
	zombies();
	cow();
	cloexec();
	scripts();
	exec_errors();
	execveat_tests();
	groups();
	kills();
	sigchld();
	stop_continue();
	threads_and_tree();
	pidfds();
	usage();
	return 0;
}
