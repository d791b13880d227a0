// /proc as Linux shows it: the program's own stat, status, statm, comm,
// cmdline, environ, fd, fdinfo, cwd and task entries checked against what
// it knows of itself (IDs, signal masks, descriptors, threads); a
// child's entries while it sleeps, is stopped and is a zombie; and the
// format of the system-wide files. Values that differ between machines
// (IDs, addresses, sizes, times) are only compared, never printed.
#include "check.h"
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static char buf[1 << 16];

// slurp reads a whole file into buf with small reads (the text must hold
// together across them) and returns its length, or -1.
static long slurp(const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = 0;
	for (;;) {
		long r = read(fd, buf + n, 100 < sizeof buf - 1 - n ? 100 : sizeof buf - 1 - n);
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = 0;
	return n;
}

// line returns the value of status line "name:" in buf (up to the
// newline), or "" if there is none.
static const char *line(const char *name) {
	static char vs[8][512]; // several may be in use in one printf
	static int next;
	char *v = vs[next++ % 8];
	char key[64];
	snprintf(key, sizeof key, "\n%s:\t", name);
	const char *p = strncmp(buf, key + 1, strlen(key) - 1) == 0 ? buf - 1 : strstr(buf, key);
	if (!p)
		return "";
	p += strlen(key);
	size_t n = strcspn(p, "\n");
	if (n > 511)
		n = 511;
	memcpy(v, p, n);
	v[n] = 0;
	return v;
}

// A parsed /proc/PID/stat: the name and fields 3 to 52 (f[3]...).
struct stat_line {
	int n; // fields in all
	char comm[64];
	char state;
	unsigned long long f[60];
};

static int readStat(const char *path, struct stat_line *s) {
	memset(s, 0, sizeof *s);
	if (slurp(path) < 0)
		return -1;
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (!open || !close)
		return -1;
	memcpy(s->comm, open + 1, close - open - 1);
	s->n = 2;
	char *p = close + 2;
	s->state = *p;
	s->n = 3;
	p += 1;
	while (*p == ' ') {
		p++;
		s->f[++s->n] = strtoull(p, &p, 10); // tpgid -1 reads as ~0
	}
	return 0;
}

static unsigned long long sigmaskOf(const sigset_t *set) {
	unsigned long long m = 0;
	for (int s = 1; s <= 64; s++)
		if (sigismember(set, s) == 1)
			m |= 1ULL << (s - 1);
	return m;
}

static void handler(int sig) { (void)sig; }

static void selfStat(int argc, char **argv) {
	char path[64];
	struct stat_line s;
	readStat("/proc/self/stat", &s);
	printf("stat fields: %d\n", s.n);
	printf("stat comm: %s state: %c\n", s.comm, s.state);
	snprintf(path, sizeof path, "/proc/%d/stat", getpid());
	struct stat_line s2;
	readStat(path, &s2);
	ok("/proc/self is /proc/PID", strcmp(s2.comm, s.comm) == 0);
	readStat("/proc/self/stat", &s);
	ok("pid", (pid_t)strtol(buf, NULL, 10) == getpid());
	ok("ppid, pgrp, session", s.f[4] == (unsigned)getppid() && s.f[5] == (unsigned)getpgrp() && s.f[6] == (unsigned)getsid(0));
	ok("tty_nr is the terminal, tpgid its foreground group", s.f[7] != 0 && (pid_t)s.f[8] == tcgetpgrp(0));
	printf("priority %llu nice %llu threads %llu itrealvalue %llu\n", s.f[18], s.f[19], s.f[20], s.f[21]);
	struct rlimit rl;
	getrlimit(RLIMIT_RSS, &rl);
	ok("vsize, rss, rsslim", s.f[23] > 0 && s.f[24] > 0 && s.f[25] == (unsigned long long)rl.rlim_cur);
	int local;
	ok("code range holds main", s.f[26] <= (unsigned long)selfStat && (unsigned long)selfStat < s.f[27]);
	ok("start_stack above the stack in use", s.f[28] > (unsigned long)&local);
	printf("esp %llu eip %llu wchan %llu nswap %llu cnswap %llu exit_signal %llu\n", s.f[29], s.f[30], s.f[35], s.f[36], s.f[37], s.f[38]);
	printf("rt_priority %llu policy %llu\n", s.f[40], s.f[41]);
	ok("data range", s.f[45] <= s.f[46] && s.f[47] >= s.f[46]);
	char *last = argv[argc - 1];
	ok("arg_start, arg_end", s.f[48] == (unsigned long)argv[0] && s.f[49] == (unsigned long)(last + strlen(last) + 1));
	ok("env_start", !environ[0] || s.f[50] == (unsigned long)environ[0]);
	printf("exit_code %llu\n", s.f[52]);
}

static void selfStatus(void) {
	umask(027);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN + 3);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGUSR2, SIG_IGN);
	struct sigaction sa = {.sa_handler = handler};
	sigaction(SIGURG, &sa, NULL);
	raise(SIGUSR1);
	kill(getpid(), SIGUSR1);

	slurp("/proc/self/status");
	printf("Name: %s\nUmask: %s\nState: %s\nTracerPid: %s\nThreads: %s\n", line("Name"), line("Umask"), line("State"), line("TracerPid"), line("Threads"));
	ok("Tgid, Pid, PPid", atoi(line("Tgid")) == getpid() && atoi(line("Pid")) == getpid() && atoi(line("PPid")) == getppid());
	ok("NStgid, NSpid, NSpgid, NSsid", atoi(line("NStgid")) == getpid() && atoi(line("NSpid")) == getpid() &&
	   atoi(line("NSpgid")) == getpgrp() && atoi(line("NSsid")) == getsid(0));
	uid_t r, e, s;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	char want[128];
	snprintf(want, sizeof want, "%u\t%u\t%u\t%u", r, e, s, e);
	ok("Uid", strcmp(line("Uid"), want) == 0);
	snprintf(want, sizeof want, "%u\t%u\t%u\t%u", gr, ge, gs, ge);
	ok("Gid", strcmp(line("Gid"), want) == 0);
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	snprintf(want, sizeof want, "%016llx", sigmaskOf(&cur));
	ok("SigBlk is the blocked mask", strcmp(line("SigBlk"), want) == 0);
	unsigned long long pnd = strtoull(line("SigPnd"), NULL, 16), shd = strtoull(line("ShdPnd"), NULL, 16);
	unsigned long long ign = strtoull(line("SigIgn"), NULL, 16), cgt = strtoull(line("SigCgt"), NULL, 16);
	printf("SIGUSR1 pending for the thread %llu, for the process %llu\n", pnd >> (SIGUSR1 - 1) & 1, shd >> (SIGUSR1 - 1) & 1);
	printf("SIGUSR2 ignored %llu, SIGURG caught %llu, SIGRTMIN+3 blocked %llu\n", ign >> (SIGUSR2 - 1) & 1, cgt >> (SIGURG - 1) & 1,
	       strtoull(line("SigBlk"), NULL, 16) >> (SIGRTMIN + 2) & 1);
	printf("Seccomp: %s NoNewPrivs: %s\n", line("Seccomp"), line("NoNewPrivs"));
	long vm = atol(line("VmSize")), rss = atol(line("VmRSS"));
	long anon = atol(line("RssAnon")), file = atol(line("RssFile")), shm = atol(line("RssShmem"));
	ok("VmRSS is RssAnon + RssFile + RssShmem", rss == anon + file + shm && rss > 0);
	ok("VmPeak >= VmSize, VmHWM >= VmRSS", atol(line("VmPeak")) >= vm && atol(line("VmHWM")) >= rss);
	ok("VmExe, VmStk, VmData, VmPTE", atol(line("VmExe")) > 0 && atol(line("VmStk")) > 0 && atol(line("VmData")) > 0 && atol(line("VmPTE")) > 0);
	ok("memory lines in kB", strstr(line("VmSize"), " kB") != NULL && strlen(line("VmSize")) == 11);
	static const char *keys[] = {"Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid", "Uid", "Gid", "FDSize", "Groups", "NStgid", "NSpid", "NSpgid", "NSsid", 0};
	char *p = buf;
	int inOrder = 1;
	for (int i = 0; keys[i]; i++) {
		size_t n = strlen(keys[i]);
		inOrder &= strncmp(p, keys[i], n) == 0 && p[n] == ':';
		p = strchr(p, '\n') + 1;
	}
	ok("status begins with Name ... NSsid in order", inOrder);

	// statm against status.
	char st[4096];
	memcpy(st, buf, sizeof st);
	slurp("/proc/self/statm");
	unsigned long size, res, shared, text, lib, data, dt;
	int n = sscanf(buf, "%lu %lu %lu %lu %lu %lu %lu", &size, &res, &shared, &text, &lib, &data, &dt);
	printf("statm fields %d lib %lu dt %lu\n", n, lib, dt);
	memcpy(buf, st, sizeof st);
	ok("statm size is VmSize", size * 4 == (unsigned long)vm);
	ok("statm text covers VmExe", text * 4 >= (unsigned long)atol(line("VmExe")));

	// Take the two SIGUSR1s back.
	signal(SIGUSR1, SIG_IGN);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	slurp("/proc/self/status");
	printf("after SIG_IGN: SigPnd %s ShdPnd %s\n", line("SigPnd"), line("ShdPnd"));
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

static void comm(void) {
	slurp("/proc/self/comm");
	printf("comm: %s", buf);
	int fd = open("/proc/self/comm", O_WRONLY);
	R(write(fd, "renamed\n", 8));
	char name[16] = {0};
	prctl(PR_GET_NAME, name);
	printf("PR_GET_NAME after writing comm: %s\n", name);
	R(pwrite(fd, "a-name-longer-than-fifteen", 26, 0));
	R(write(fd, "a-name-longer-than-fifteen", 26));
	close(fd);
	slurp("/proc/self/comm");
	printf("comm: %s", buf);
	prctl(PR_SET_NAME, "pfs-main");
}

static void cmdlineEnviron(int argc, char **argv) {
	long n = slurp("/proc/self/cmdline");
	char want[4096];
	long w = 0;
	for (int i = 0; i < argc; i++) {
		strcpy(want + w, argv[i]);
		w += strlen(argv[i]) + 1;
	}
	ok("cmdline is argv", n == w && memcmp(buf, want, n) == 0);
	n = slurp("/proc/self/environ");
	w = 0;
	for (char **e = environ; *e; e++) {
		strcpy(want + w, *e);
		w += strlen(*e) + 1;
	}
	ok("environ is the environment", n == w && memcmp(buf, want, n) == 0);
	struct stat a;
	printf("environ mode %o\n", stat("/proc/self/environ", &a) == 0 ? a.st_mode & 07777 : 0);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage;
static pid_t workerTID;

static void *worker(void *arg) {
	(void)arg;
	prctl(PR_SET_NAME, "pfs-worker");
	pthread_mutex_lock(&mu);
	workerTID = gettid();
	stage = 1;
	pthread_cond_broadcast(&cv);
	while (stage != 2)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

// waitState polls a stat file until the task is in state want (at most
// two seconds) and returns the state last seen.
static char waitState(const char *path, char want) {
	struct stat_line s = {0};
	for (int i = 0; i < 200; i++) {
		if (readStat(path, &s) < 0)
			return '?';
		if (s.state == want)
			break;
		usleep(10000);
	}
	return s.state;
}

static int listHas(const char *dir, long id) {
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;
	while ((e = readdir(d)))
		found |= atol(e->d_name) == id;
	closedir(d);
	return found;
}

static void threads(void) {
	pthread_t th;
	pthread_create(&th, NULL, worker, NULL);
	pthread_mutex_lock(&mu);
	while (stage != 1)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	char path[128];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", workerTID);
	printf("worker state: %c\n", waitState(path, 'S'));
	struct stat_line s;
	readStat(path, &s);
	printf("worker stat: comm %s threads %llu wchan %llu\n", s.comm, s.f[20], s.f[35]);
	ok("worker stat pid is its TID", atol(buf) == workerTID);
	readStat("/proc/self/stat", &s);
	printf("process stat: threads %llu\n", s.f[20]);
	slurp("/proc/self/status");
	printf("process status: Threads %s\n", line("Threads"));
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	printf("task entries: %d\n", n);
	ok("task lists both threads", listHas("/proc/self/task", getpid()) && listHas("/proc/self/task", workerTID));
	ok("/proc lists the process, not the thread", listHas("/proc", getpid()) && !listHas("/proc", workerTID));
	snprintf(path, sizeof path, "/proc/%d/status", workerTID);
	slurp(path);
	ok("/proc/TID of a thread", atol(line("Pid")) == workerTID && atol(line("Tgid")) == getpid());
	snprintf(path, sizeof path, "/proc/self/task/%d/task", workerTID);
	R(access(path, F_OK));
	pthread_setname_np(th, "pfs-renamed");
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", workerTID);
	slurp(path);
	printf("worker comm after pthread_setname_np: %s", buf);
	char link[128], want[128];
	ssize_t l = readlink("/proc/thread-self", link, sizeof link - 1);
	link[l > 0 ? l : 0] = 0;
	snprintf(want, sizeof want, "%d/task/%d", getpid(), gettid());
	ok("thread-self", strcmp(link, want) == 0);
	pthread_mutex_lock(&mu);
	stage = 2;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	// The thread's ID is cleared (and join returns) just before the
	// thread is gone: wait for the count to follow.
	for (int i = 0; i < 200; i++) {
		readStat("/proc/self/stat", &s);
		if (s.f[20] == 1)
			break;
		usleep(10000);
	}
	printf("after join: threads %llu\n", s.f[20]);
}

static void fdinfo(int fd) {
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	slurp(path);
	struct stat st;
	fstat(fd, &st);
	ok("fdinfo mnt_id and ino", line("mnt_id")[0] != 0 && strtoull(line("ino"), NULL, 10) == st.st_ino);
	printf("fdinfo %d: pos %s flags %s\n", fd, line("pos"), line("flags"));
}

static void fds(void) {
	char cwd[1024];
	getcwd(cwd, sizeof cwd);
	close_range(3, ~0U, 0);
	int p[2];
	pipe(p);
	int f = open("data/hello.txt", O_RDONLY);
	int w = open("tmp/procfs.out", O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
	dup3(f, 9, O_CLOEXEC);
	lseek(f, 3, SEEK_SET);
	printf("fds %d %d %d %d\n", p[0], p[1], f, w);

	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int listed[64], n = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) >= 3 && atoi(e->d_name) != dirfd(d) && n < 64)
			listed[n++] = atoi(e->d_name);
	closedir(d);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (listed[j] < listed[i]) {
				int t = listed[i];
				listed[i] = listed[j];
				listed[j] = t;
			}
	printf("fd entries from 3:");
	for (int i = 0; i < n; i++)
		printf(" %d", listed[i]);
	printf("\n");

	char path[64], link[1024], want[64];
	for (int fd = 3; fd <= 9; fd++) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		ssize_t l = readlink(path, link, sizeof link - 1);
		if (l < 0) {
			if (fd == 7)
				printf("readlink fd 7: %s\n", strerrorname_np(errno));
			continue;
		}
		link[l] = 0;
		struct stat st, lst;
		lstat(path, &lst);
		fstat(fd, &st);
		const char *shown = link;
		if (strcmp(cwd, "/") != 0 && strncmp(link, cwd, strlen(cwd)) == 0)
			shown = link + strlen(cwd);
		if (strncmp(link, "pipe:[", 6) == 0) {
			snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)st.st_ino);
			shown = strcmp(link, want) == 0 ? "pipe:[inode]" : link;
		}
		printf("fd %d -> %s (link mode %o size %ld)\n", fd, shown, lst.st_mode & 07777, (long)lst.st_size);
	}
	for (int fd = 3; fd <= 9; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			fdinfo(fd);
	struct stat st;
	stat("/proc/self/fd/3", &st);
	ok("following fd/3 leads to the pipe", S_ISFIFO(st.st_mode));
	int again = open("/proc/self/fd/5", O_RDONLY);
	char b[8] = {0};
	ok("reopening fd/5 opens the file afresh", again >= 0 && read(again, b, 5) == 5 && lseek(f, 0, SEEK_CUR) == 3);
	printf("reopened reads: %s\n", b);
	close(again);
	R(readlink("/proc/self/fd/99", link, sizeof link));
	struct stat fst;
	stat("/proc/self/fd", &fst);
	printf("fd directory mode %o\n", fst.st_mode & 07777);
	close_range(3, ~0U, 0);
	unlink("tmp/procfs.out");
}

static void dirs(void) {
	char cwd[1024], link[1024];
	getcwd(cwd, sizeof cwd);
	ssize_t l = readlink("/proc/self/cwd", link, sizeof link - 1);
	link[l > 0 ? l : 0] = 0;
	ok("cwd", strcmp(link, cwd) == 0);
	chdir("data");
	l = readlink("/proc/self/cwd", link, sizeof link - 1);
	link[l > 0 ? l : 0] = 0;
	ok("cwd after chdir", strlen(link) >= 5 && strcmp(link + strlen(link) - 5, "/data") == 0);
	struct stat a, b;
	ok("cwd leads to the directory", stat("/proc/self/cwd/hello.txt", &a) == 0 && stat("hello.txt", &b) == 0 && a.st_ino == b.st_ino);
	chdir(cwd);
	l = readlink("/proc/self/root", link, sizeof link - 1);
	link[l > 0 ? l : 0] = 0;
	printf("root -> %s\n", link);
	l = readlink("/proc/self/exe", link, sizeof link - 1);
	link[l > 0 ? l : 0] = 0;
	ok("exe is the program", stat("/proc/self/exe", &a) == 0 && stat(link, &b) == 0 && a.st_ino == b.st_ino);
}

static void child(void) {
	pid_t c = fork();
	if (c == 0) {
		prctl(PR_SET_NAME, "pfs-child");
		for (;;)
			pause();
	}
	char path[64], ppath[64];
	snprintf(path, sizeof path, "/proc/%d/stat", c);
	snprintf(ppath, sizeof ppath, "/proc/%d/status", c);
	struct stat_line s;
	// Wait for the child to be named and asleep in pause.
	for (int i = 0; i < 200; i++) {
		readStat(path, &s);
		if (s.state == 'S' && strcmp(s.comm, "pfs-child") == 0)
			break;
		usleep(10000);
	}
	printf("child: comm %s state %c wchan %llu\n", s.comm, s.state, s.f[35]);
	ok("child's ppid, pgrp and session", s.f[4] == (unsigned)getpid() && s.f[5] == (unsigned)getpgrp() && s.f[6] == (unsigned)getsid(0));
	slurp(ppath);
	printf("child status: %s\n", line("State"));

	kill(c, SIGSTOP);
	int ws;
	waitpid(c, &ws, WUNTRACED);
	readStat(path, &s);
	slurp(ppath);
	printf("stopped child: state %c, %s\n", s.state, line("State"));
	kill(c, SIGCONT);
	waitpid(c, &ws, WCONTINUED);
	printf("continued child: state %c\n", waitState(path, 'S'));

	kill(c, SIGTERM);
	siginfo_t si;
	waitid(P_PID, c, &si, WEXITED | WNOWAIT);
	readStat(path, &s);
	printf("zombie: state %c threads %llu vsize %llu rss %llu startcode %llu exit_code %llu fields %d\n",
	       s.state, s.f[20], s.f[23], s.f[24], s.f[26], s.f[52], s.n);
	slurp(ppath);
	printf("zombie status: %s Threads %s, has VmSize %d, has Umask %d\n", line("State"), line("Threads"), strstr(buf, "VmSize") != NULL,
	       strstr(buf, "Umask") != NULL);
	snprintf(ppath, sizeof ppath, "/proc/%d/statm", c);
	slurp(ppath);
	printf("zombie statm: %s", buf);
	snprintf(ppath, sizeof ppath, "/proc/%d/cmdline", c);
	printf("zombie cmdline length %ld\n", slurp(ppath));
	char link[256];
	snprintf(ppath, sizeof ppath, "/proc/%d/cwd", c);
	R(readlink(ppath, link, sizeof link));
	snprintf(ppath, sizeof ppath, "/proc/%d/exe", c);
	R(readlink(ppath, link, sizeof link));
	snprintf(ppath, sizeof ppath, "/proc/%d/comm", c);
	int fd = open(ppath, O_WRONLY);
	R(write(fd, "x", 1));
	close(fd);
	waitpid(c, &ws, 0);
	R(access(path, F_OK));
}

static void systemFiles(void) {
	struct utsname u;
	uname(&u);
	slurp("/proc/loadavg");
	int a, b, c, d, e, f, run, total, last;
	int n = sscanf(buf, "%d.%d %d.%d %d.%d %d/%d %d", &a, &b, &c, &d, &e, &f, &run, &total, &last);
	printf("loadavg conversions %d\n", n);
	ok("loadavg running <= total, last pid", run >= 1 && run <= total && last > 0);
	slurp("/proc/uptime");
	double up, idle;
	printf("uptime conversions %d\n", sscanf(buf, "%lf %lf", &up, &idle));
	ok("uptime", up > 0 && idle >= 0);
	slurp("/proc/stat");
	unsigned long long t[10];
	n = sscanf(buf, "cpu  %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7], &t[8], &t[9]);
	printf("stat cpu fields %d\n", n);
	ok("stat has cpu0, intr, ctxt, btime, processes, procs_running, procs_blocked, softirq",
	   strstr(buf, "\ncpu0 ") && strstr(buf, "\nintr ") && strstr(buf, "\nctxt ") && strstr(buf, "\nbtime ") &&
	   strstr(buf, "\nprocesses ") && strstr(buf, "\nprocs_running ") && strstr(buf, "\nprocs_blocked ") && strstr(buf, "\nsoftirq "));
	ok("btime is in the past", strtoll(strstr(buf, "\nbtime ") + 7, NULL, 10) <= time(NULL));
	slurp("/proc/meminfo");
	unsigned long total_kb = 0;
	sscanf(buf, "MemTotal: %lu kB", &total_kb);
	struct sysinfo si;
	sysinfo(&si);
	ok("MemTotal is sysinfo's totalram", total_kb * 1024 == si.totalram * si.mem_unit);
	static const char *keys[] = {"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active", "Inactive", 0};
	char *p = buf;
	int inOrder = 1;
	for (int i = 0; keys[i]; i++) {
		size_t k = strlen(keys[i]);
		inOrder &= strncmp(p, keys[i], k) == 0 && p[k] == ':' && strlen(p) > 28 && strncmp(p + 24, " kB\n", 4) == 0;
		p = strchr(p, '\n') + 1;
	}
	ok("meminfo begins MemTotal ... Inactive, values in kB at column 24", inOrder);
	ok("meminfo has SwapTotal, SwapFree, Shmem, SReclaimable", strstr(buf, "\nSwapTotal:") && strstr(buf, "\nSwapFree:") &&
	   strstr(buf, "\nShmem:") && strstr(buf, "\nSReclaimable:"));
	slurp("/proc/cpuinfo");
	printf("cpuinfo begins: %.13s\n", buf);
	ok("cpuinfo has vendor_id, model name, flags, bogomips, address sizes", strstr(buf, "\nvendor_id\t: ") &&
	   strstr(buf, "\nmodel name\t: ") && strstr(buf, "\nflags\t\t: ") && strstr(buf, "\nbogomips\t: ") && strstr(buf, "\naddress sizes\t: "));
	slurp("/proc/version");
	char want[512];
	snprintf(want, sizeof want, "%s version %s ", u.sysname, u.release);
	ok("version", strncmp(buf, want, strlen(want)) == 0);
	slurp("/proc/sys/kernel/ostype");
	printf("ostype: %s", buf);
	slurp("/proc/sys/kernel/osrelease");
	ok("osrelease", strncmp(buf, u.release, strlen(u.release)) == 0 && buf[strlen(u.release)] == '\n');
	slurp("/proc/sys/kernel/hostname");
	ok("hostname", strncmp(buf, u.nodename, strlen(u.nodename)) == 0 && buf[strlen(u.nodename)] == '\n');
	slurp("/proc/sys/kernel/domainname");
	ok("domainname", strncmp(buf, u.domainname, strlen(u.domainname)) == 0 && buf[strlen(u.domainname)] == '\n');
	slurp("/proc/sys/kernel/version");
	ok("kernel version", strncmp(buf, u.version, strlen(u.version)) == 0);
	slurp("/proc/sys/kernel/pid_max");
	ok("pid_max", atol(buf) >= 32768);
	slurp("/proc/sys/fs/pipe-max-size");
	printf("pipe-max-size: %s", buf);
	R(open("/proc/sys/kernel/ostype", O_WRONLY));
	slurp("/proc/self/limits");
	printf("limits header: %.*s\n", (int)strcspn(buf, "\n"), buf);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	char row[256];
	snprintf(row, sizeof row, "\nMax open files            %-20lu %-20lu files     \n", (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
	ok("limits row for RLIMIT_NOFILE", strstr(buf, row) != NULL);
	ok("/proc lists self, thread-self, meminfo, sys", listHas("/proc", getpid()) && access("/proc/thread-self", F_OK) == 0);
}

// uts checks sethostname's and setdomainname's errors (never a valid
// call: it would rename the machine the native side runs on).
static void uts(void) {
	char name[128] = "oyako";
	R(sethostname(name, -1));
	R(sethostname(name, 65));
	RAW(SYS_sethostname, KERNEL_PTR, 4);
	R(setdomainname(name, 65));
	pid_t c = fork();
	if (c == 0) {
		// Without CAP_SYS_ADMIN: EPERM before anything else.
		if (setuid(65534) == 0) {
			R(sethostname(name, 5));
			R(setdomainname(name, 100));
		}
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

// fdsizeFork: a table that grew for many descriptors keeps its size
// (FDSize) after they are closed, but a fork copies only what the open
// ones need (dup_fd), so the child's is the smallest.
static void fdsizeFork(void) {
	int fds[300];
	for (int i = 0; i < 300; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	for (int i = 0; i < 300; i++)
		close(fds[i]);
	slurp("/proc/self/status");
	printf("FDSize with 300 descriptors opened and closed: %s\n", line("FDSize"));
	pid_t c = fork();
	if (c == 0) {
		slurp("/proc/self/status");
		printf("FDSize of a child forked then: %s\n", line("FDSize"));
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	prctl(PR_SET_NAME, "pfs-main");
	selfStat(argc, argv);
	selfStatus();
	comm();
	cmdlineEnviron(argc, argv);
	threads();
	fds();
	dirs();
	child();
	systemFiles();
	uts();
	fdsizeFork();
	return 0;
}
