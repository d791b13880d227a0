// Exhaustion: each scenario asks the kernel for more of something than it
// has, in a child of its own, and the kernel must refuse (an errno) or
// kill the greedy process (SIGKILL, as Linux's OOM killer does) and go on.
// After each one a normal workload must still run, and the free memory
// must come back. Run only in oyako, as init: natively it would exhaust
// the host.
//
// usage: exhaust [SCENARIO...]   (default: all; see scenarios[] below;
// gohog needs /hog, user/go/hog, in the initramfs)
//
// It prints one line per fact, "name: ..." with errno names and "ok", and
// the numbers reached after a "#" (they depend on the guest's RAM).
#include "check.h"
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdarg.h>
#include <liburing.h>

// meminfo returns the value of /proc/meminfo's line name (with its colon),
// in KiB.
static long meminfo(const char *name) { return procField("/proc/meminfo", name); }

// memAvailableKiB is /proc/meminfo's MemAvailable: free memory plus what
// the kernel holds and gives back on demand.
static long memAvailableKiB(void) { return meminfo("MemAvailable:"); }

// report is a pipe a scenario's child writes its lines to, so that they
// arrive even when it is killed right after.
static void say(int fd, const char *fmt, ...) {
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (write(fd, line, n) < 0) {
	}
}

// Scenarios. Each runs in a child, writes its facts to out and returns
// (exit 0) or is killed.

// touch maps twice the guest's RAM and writes every page: the kernel
// must kill it (or refuse the memory), not crash.
static void touch(int out) {
	long total = meminfo("MemTotal:") * 1024;
	size_t len = 2 * (size_t)total;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		say(out, "touch: mmap of twice RAM: -1 %s\n", strerrorname_np(errno));
		return;
	}
	say(out, "touch: mmap of twice RAM: ok\n");
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	say(out, "touch: every page written: not refused\n");
}

// forkbomb forks until the kernel says no; the children wait to be
// killed with the whole group.
static void forkbomb(int out) {
	setpgid(0, 0);
	long n = 0;
	for (;;) {
		pid_t pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0)
			break;
		n++;
	}
	int e = errno;
	say(out, "forkbomb: fork: -1 %s # after %ld children\n", strerrorname_np(e), n);
	signal(SIGKILL, SIG_DFL);
	kill(0, SIGKILL);
}

// threads creates threads until the kernel says no.
static void *parkThread(void *arg) {
	(void)arg;
	pause();
	return NULL;
}

static void threads(int out) {
	long n = 0;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (;;) {
		pthread_t t;
		int e = pthread_create(&t, &attr, parkThread, NULL);
		if (e != 0) {
			say(out, "threads: pthread_create: %s # after %ld threads\n", strerrorname_np(e), n);
			break;
		}
		n++;
	}
	_exit(0); // ends every thread
}

// fdleak opens until EMFILE at RLIMIT_NOFILE, then raises the limit as
// far as root may (nr_open) and goes on until the kernel refuses.
static void fdleak(int out) {
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	long n = 0;
	while (open("/", O_RDONLY) >= 0)
		n++;
	say(out, "fdleak: open: -1 %s # after %ld, RLIMIT_NOFILE %ld\n", strerrorname_np(errno), n, (long)rl.rlim_cur);
	rl.rlim_cur = rl.rlim_max = 1 << 20;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		say(out, "fdleak: raise RLIMIT_NOFILE to 1<<20: -1 %s\n", strerrorname_np(errno));
		return;
	}
	while (open("/", O_RDONLY) >= 0)
		n++;
	int e = errno;
	// The report goes through a pipe, which needs the memory the files
	// took: close them first.
	for (int fd = 3; fd < n + 8; fd++)
		if (fd != out)
			close(fd);
	say(out, "fdleak: open with the limit raised: -1 %s # after %ld\n", strerrorname_np(e), n);
}

// pipes makes pipes of one page (F_SETPIPE_SZ) and fills each, so that
// thousands hold data, until the kernel refuses a pipe or its data; then
// it closes them all (the report itself goes through a pipe, which needs
// memory) and says what stopped it.
static void pipes(int out) {
	struct rlimit rl = {1 << 20, 1 << 20};
	setrlimit(RLIMIT_NOFILE, &rl);
	static char chunk[65536];
	memset(chunk, 'x', sizeof chunk);
	long n = 0, bytes = 0;
	const char *what = NULL;
	int err = 0;
	while (!what) {
		int p[2];
		if (pipe2(p, O_NONBLOCK) != 0) {
			what = "pipe2", err = errno;
			break;
		}
		n++;
		if (fcntl(p[1], F_SETPIPE_SZ, 4096) < 0) {
			what = "F_SETPIPE_SZ", err = errno;
			break;
		}
		for (;;) {
			long w = write(p[1], chunk, sizeof chunk);
			if (w > 0) {
				bytes += w;
				continue;
			}
			if (errno != EAGAIN)
				what = "write", err = errno;
			break;
		}
	}
	for (int fd = 3; fd < 3 + 2 * n + 2; fd++)
		if (fd != out)
			close(fd);
	say(out, "pipes: %s: -1 %s # after %ld pipes, %ld MiB\n", what, strerrorname_np(err), n, bytes >> 20);
	say(out, "pipes: thousands filled: %s\n", n >= 1000 && bytes >= (n - 1) * 4096L ? "ok" : "FAIL");
}

// sockets makes AF_UNIX stream pairs and fills each without blocking
// until the kernel refuses: a socket's send buffer bounds one pair, and
// the kernel's budget for queued data all of them (a write then finds no
// room even in an empty socket: EAGAIN, as a TCP sender under memory
// pressure waits); the pairs end with the files (ENFILE) or memory.
static void sockets(int out) {
	struct rlimit rl = {1 << 20, 1 << 20};
	setrlimit(RLIMIT_NOFILE, &rl);
	static char chunk[65536];
	memset(chunk, 's', sizeof chunk);
	long n = 0, bytes = 0, starved = 0;
	const char *what = NULL;
	int err = 0;
	while (!what) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) {
			what = "socketpair", err = errno;
			break;
		}
		n++;
		for (long mine = 0;;) {
			long w = write(sv[0], chunk, sizeof chunk);
			if (w > 0) {
				bytes += w, mine += w;
				continue;
			}
			if (errno != EAGAIN)
				what = "write", err = errno;
			else if (mine == 0)
				starved++;
			break;
		}
	}
	for (int fd = 3; fd < 3 + 2 * n + 2; fd++)
		if (fd != out)
			close(fd);
	say(out, "sockets: %s: -1 %s # after %ld pairs, %ld MiB, %ld found no memory\n", what, strerrorname_np(err), n, bytes >> 20, starved);
	say(out, "sockets: bounded by the kernel's memory: %s\n", n >= 1000 && starved > 0 ? "ok" : "FAIL");
}

// uring submits reads of an empty pipe to one io_uring instance until
// the kernel refuses more requests that wait (each holds kernel memory:
// a request and a worker), then closes the ring, which cancels them all.
static void uring(int out) {
	struct io_uring r;
	struct io_uring_params p = {.flags = IORING_SETUP_CQSIZE, .cq_entries = 65536};
	if (io_uring_queue_init_params(4096, &r, &p) != 0) {
		say(out, "uring: setup failed\n");
		return;
	}
	int fds[2];
	pipe(fds);
	static char buf[8];
	long waiting = 0;
	const char *what = NULL;
	int err = 0;
	while (!what) {
		for (int i = 0; i < 4096; i++) {
			struct io_uring_sqe *s = io_uring_get_sqe(&r);
			if (!s)
				break;
			io_uring_prep_read(s, fds[0], buf, sizeof buf, 0);
		}
		int n = io_uring_submit(&r);
		if (n < 0) {
			what = "io_uring_enter", err = -n;
			break;
		}
		struct io_uring_cqe *c;
		while (io_uring_peek_cqe(&r, &c) == 0) {
			if (c->res < 0 && !what)
				what = "read", err = -c->res;
			io_uring_cqe_seen(&r, c);
		}
		waiting += n;
		if (waiting > 1000000)
			break;
	}
	// The ring goes first: its requests hold the memory a report needs.
	io_uring_queue_exit(&r);
	close(fds[0]);
	close(fds[1]);
	if (what && !strcmp(what, "read"))
		say(out, "uring: read: -%s # after %ld requests waiting\n", strerrorname_np(err), waiting);
	else
		say(out, "uring: %s: -1 %s # after %ld requests waiting\n", what ? what : "nothing", strerrorname_np(err), waiting);
	say(out, "uring: bounded by the kernel's memory: %s\n", what && waiting >= 1000 ? "ok" : "FAIL");
}

// tmpfill writes one file on the root file system (ramfs: no size limit)
// until the kernel refuses its data.
static void tmpfill(int out) {
	int fd = open("/fill", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	static char chunk[1 << 20];
	memset(chunk, 'y', sizeof chunk);
	long mib = 0;
	for (;;) {
		long w = write(fd, chunk, sizeof chunk);
		if (w < 0) {
			say(out, "tmpfill: write: -1 %s # after %ld MiB\n", strerrorname_np(errno), mib);
			break;
		}
		if (w < (long)sizeof chunk) {
			say(out, "tmpfill: write: short # after %ld MiB\n", mib);
			break;
		}
		mib++;
	}
	close(fd);
	say(out, "tmpfill: unlink: %s\n", unlink("/fill") == 0 ? "ok" : strerrorname_np(errno));
}

// setSysctl writes value to /proc/sys/path and returns the old value.
static long setSysctl(const char *path, long value) {
	char buf[32];
	long old = -1;
	int fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	long n = read(fd, buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = 0;
		old = strtol(buf, NULL, 10);
	}
	close(fd);
	fd = open(path, O_WRONLY);
	n = snprintf(buf, sizeof buf, "%ld\n", value);
	if (fd < 0 || write(fd, buf, n) != n)
		old = -1;
	if (fd >= 0)
		close(fd);
	return old;
}

// mappings lowers vm.max_map_count to 4096 (the default 65530 takes long
// under emulation) and makes small mappings until the kernel refuses one.
static void mappings(int out) {
	long old = setSysctl("/proc/sys/vm/max_map_count", 4096);
	if (old < 0)
		say(out, "mappings: set max_map_count: -1 %s\n", strerrorname_np(errno));
	long n = 0;
	for (;;) {
		// Alternate protections so that neighbours cannot merge.
		void *p = mmap(NULL, 4096, (n & 1) ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			say(out, "mappings: mmap: -1 %s # after %ld\n", strerrorname_np(errno), n);
			setSysctl("/proc/sys/vm/max_map_count", old);
			return;
		}
		n++;
	}
}

// loops builds the recursive structures Linux bounds: a symlink cycle
// and a chain longer than 40 (ELOOP), a "#!" script that is its own
// interpreter (ELOOP), an epoll cycle (ELOOP) and a chain of epoll
// instances deeper than EP_MAX_NESTS.
static void loops(int out) {
	mkdir("/loops", 0755);
	symlink("/loops/b", "/loops/a");
	symlink("/loops/a", "/loops/b");
	say(out, "loops: open of a symlink cycle: %s\n", open("/loops/a", O_RDONLY) < 0 ? strerrorname_np(errno) : "opened");
	char from[64], to[64];
	for (int i = 1; i <= 41; i++) {
		snprintf(from, sizeof from, "/loops/l%d", i);
		if (i == 1)
			snprintf(to, sizeof to, "/");
		else
			snprintf(to, sizeof to, "/loops/l%d", i - 1);
		symlink(to, from);
	}
	say(out, "loops: 40 links: %s\n", open("/loops/l40", O_RDONLY) < 0 ? strerrorname_np(errno) : "ok");
	say(out, "loops: 41 links: %s\n", open("/loops/l41", O_RDONLY) < 0 ? strerrorname_np(errno) : "opened");
	// A script that names itself as its interpreter: Linux stops after
	// a few levels (BINPRM_MAX_RECURSION) with ELOOP.
	int sfd = open("/loops/self", O_CREAT | O_WRONLY | O_TRUNC, 0755);
	if (sfd >= 0) {
		const char text[] = "#!/loops/self\n";
		if (write(sfd, text, sizeof text - 1) < 0) {
		}
		close(sfd);
	}
	char *argv[] = {"/loops/self", NULL};
	execv("/loops/self", argv);
	say(out, "loops: execve of a script that is its own interpreter: %s\n", strerrorname_np(errno));
	int a = epoll_create1(0), b = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	epoll_ctl(a, EPOLL_CTL_ADD, b, &ev);
	say(out, "loops: epoll cycle: %s\n", epoll_ctl(b, EPOLL_CTL_ADD, a, &ev) < 0 ? strerrorname_np(errno) : "added");
	int chain[8];
	for (int i = 0; i < 8; i++)
		chain[i] = epoll_create1(0);
	int depth = 0;
	for (int i = 1; i < 8; i++) {
		if (epoll_ctl(chain[i], EPOLL_CTL_ADD, chain[i - 1], &ev) < 0) {
			say(out, "loops: epoll chain: %s # at depth %d\n", strerrorname_np(errno), depth + 1);
			return;
		}
		depth++;
	}
	say(out, "loops: epoll chain: 8 deep allowed\n");
}

// mounts lowers fs.mount-max to 300 (mount lookups are linear in the
// mounts, so the machine's default takes minutes under emulation), stacks
// tmpfs mounts on one directory until the kernel refuses one (ENOSPC),
// then takes them all down.
static void mounts(int out) {
	long old = setSysctl("/proc/sys/fs/mount-max", 300);
	if (old < 0)
		say(out, "mounts: set mount-max: -1 %s\n", strerrorname_np(errno));
	mkdir("/stack", 0755);
	long n = 0;
	while (mount("none", "/stack", "tmpfs", 0, NULL) == 0)
		n++;
	int e = errno;
	long down = 0;
	while (umount("/stack") == 0)
		down++;
	say(out, "mounts: mount: -1 %s # after %ld, %ld unmounted\n", strerrorname_np(e), n, down);
	say(out, "mounts: all unmounted: %s\n", down == n ? "ok" : "FAIL");
	setSysctl("/proc/sys/fs/mount-max", old);
}

// sigqueue raises RLIMIT_SIGPENDING to infinity (root may) and queues
// real-time signals to itself, blocked, until the kernel refuses one:
// with no limit left, the kernel's heap bounds the queue (EAGAIN).
static void sigqueueFill(int out) {
	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	if (setrlimit(RLIMIT_SIGPENDING, &rl) != 0)
		say(out, "sigqueue: setrlimit: -1 %s\n", strerrorname_np(errno));
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &s, NULL);
	union sigval v = {0};
	long n = 0;
	while (sigqueue(getpid(), SIGRTMIN, v) == 0)
		n++;
	say(out, "sigqueue: sigqueue: -1 %s # after %ld\n", strerrorname_np(errno), n);
}

// timers creates POSIX timers until the kernel refuses one: each holds a
// preallocated signal charged to RLIMIT_SIGPENDING (EAGAIN at the
// limit); with the limit lifted, the kernel's heap bounds them (EAGAIN).
static void timers(int out) {
	struct rlimit rl;
	getrlimit(RLIMIT_SIGPENDING, &rl);
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	int id;
	long n = 0;
	while (syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id) == 0)
		n++;
	say(out, "timers: timer_create: -1 %s # after %ld, RLIMIT_SIGPENDING %ld\n", strerrorname_np(errno), n,
	    (long)rl.rlim_cur);
	say(out, "timers: at the limit: %s\n", n > 0 && n <= (long)rl.rlim_cur ? "ok" : "FAIL");
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	if (setrlimit(RLIMIT_SIGPENDING, &rl) != 0)
		say(out, "timers: setrlimit: -1 %s\n", strerrorname_np(errno));
	while (syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id) == 0)
		n++;
	say(out, "timers: timer_create without a limit: -1 %s # after %ld\n", strerrorname_np(errno), n);
}

// inodes fills a tmpfs with empty files until its nr_inodes (ENOSPC),
// then mounts more tmpfs, each with Linux's default limit, and fills
// them until the kernel's heap, where inodes live, has no more room.
static void inodes(int out) {
	char path[64];
	long total = 0, mounts = 0;
	int err = 0;
	mkdir("/inodes", 0755);
	for (;;) {
		snprintf(path, sizeof path, "/inodes/%ld", mounts);
		mkdir(path, 0755);
		if (mount("none", path, "tmpfs", 0, NULL) != 0) {
			err = errno;
			say(out, "inodes: mount: -1 %s\n", strerrorname_np(err));
			break;
		}
		mounts++;
		long n = 0;
		for (;;) {
			snprintf(path, sizeof path, "/inodes/%ld/%ld", mounts - 1, n);
			int fd = open(path, O_CREAT | O_WRONLY, 0644);
			if (fd < 0)
				break;
			close(fd);
			n++;
		}
		err = errno;
		total += n;
		if (mounts == 1) {
			struct statfs sf;
			snprintf(path, sizeof path, "/inodes/0");
			statfs(path, &sf);
			say(out, "inodes: create in one tmpfs: -1 %s # after %ld\n", strerrorname_np(err), n);
			say(out, "inodes: at nr_inodes: %s\n", err == ENOSPC && (long)sf.f_files == n + 1 && sf.f_ffree == 0 ? "ok" : "FAIL");
		}
		if (err != ENOSPC)
			break;
	}
	say(out, "inodes: create: -1 %s # after %ld files in %ld file systems\n", strerrorname_np(err), total, mounts);
	long down = 0;
	for (long i = 0; i < mounts; i++) {
		snprintf(path, sizeof path, "/inodes/%ld", i);
		if (umount(path) == 0)
			down++;
		rmdir(path);
	}
	say(out, "inodes: all unmounted: %s\n", down == mounts ? "ok" : "FAIL");
}

// watches adds one eventfd, under ever more descriptors (dup), to an
// epoll instance until fs.epoll.max_user_watches (ENOSPC).
static void watches(int out) {
	struct rlimit rl = {1 << 20, 1 << 20};
	setrlimit(RLIMIT_NOFILE, &rl);
	long max = -1;
	char buf[32];
	int fd = open("/proc/sys/fs/epoll/max_user_watches", O_RDONLY);
	long r = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (r > 0) {
		buf[r] = 0;
		max = strtol(buf, NULL, 10);
	}
	if (fd >= 0)
		close(fd);
	int ep = epoll_create1(0), efd = eventfd(0, 0);
	struct epoll_event ev = {.events = EPOLLIN};
	long n = 0;
	for (;;) {
		int d = dup(efd);
		if (d < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev) != 0)
			break;
		n++;
	}
	int err = errno;
	say(out, "watches: epoll_ctl: -1 %s # after %ld\n", strerrorname_np(err), n);
	say(out, "watches: at max_user_watches: %s\n", n == max ? "ok" : "FAIL");
}

// gohog runs /hog (user/go/hog, when the initramfs has it): a Go program
// that allocates until stopped.
static void gohog(int out) {
	char *argv[] = {"hog", NULL};
	execv("/hog", argv);
	say(out, "gohog: execve /hog: %s\n", strerrorname_np(errno));
}

static const struct {
	const char *name;
	void (*fn)(int out);
} scenarios[] = {
	{"touch", touch}, {"forkbomb", forkbomb}, {"threads", threads}, {"fdleak", fdleak},
	{"pipes", pipes}, {"sockets", sockets}, {"uring", uring}, {"tmpfill", tmpfill}, {"mappings", mappings}, {"loops", loops},
	{"mounts", mounts}, {"sigqueue", sigqueueFill}, {"timers", timers}, {"inodes", inodes}, {"watches", watches},
	{"gohog", gohog},
};

// workload is the normal program that must run after each scenario:
// memory, a pipe, a child.
static int workload(void) {
	size_t len = 8 << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	memset(p, 7, len);
	int fds[2];
	if (pipe(fds) != 0)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		_exit(write(fds[1], p + len - 5, 5) == 5 ? 0 : 1);
	}
	char got[5];
	int st;
	int good = read(fds[0], got, 5) == 5 && got[4] == 7 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	close(fds[0]);
	close(fds[1]);
	munmap(p, len);
	return good;
}

// dropCaches asks the kernel to give back what it holds and does not use
// (its heap's free memory), so that memory measurements compare what is
// in use.
static void dropCaches(void) {
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "3", 1) != 1) {
		}
		close(fd);
	}
}

static void run(int i) {
	dropCaches();
	long before = memAvailableKiB();
	int fds[2];
	pipe(fds);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		scenarios[i].fn(fds[1]);
		_exit(0);
	}
	close(fds[1]);
	char buf[4096];
	long n;
	while ((n = read(fds[0], buf, sizeof buf)) > 0)
		fwrite(buf, 1, n, stdout);
	close(fds[0]);
	int st;
	// Reap the scenario's child and anything it left (orphans come to
	// init, which this program is).
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		printf("%s: child killed by %s\n", scenarios[i].name, sigabbrev_np(WTERMSIG(st)));
	else
		printf("%s: child exited %d\n", scenarios[i].name, WEXITSTATUS(st));
	while (waitpid(-1, NULL, 0) > 0) {
	}
	printf("%s: then a normal workload: %s\n", scenarios[i].name, workload() ? "ok" : "FAIL");
	dropCaches();
	long after = memAvailableKiB();
	// Memory comes back, within 4 MiB: the first time the kernel's heap
	// grows large (pipes, open files), its Go runtime keeps the span and
	// arena records of that heap (about 3% of it) for reuse; later peaks
	// add nothing.
	printf("%s: free memory back: %s # MemAvailable %ld KiB before, %ld after (MemFree %ld, Slab %ld, SReclaimable %ld)\n", scenarios[i].name,
	       after >= before - 4096 ? "ok" : "FAIL", before, after, meminfo("MemFree:"), meminfo("Slab:"), meminfo("SReclaimable:"));
	fflush(stdout);
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int n = sizeof scenarios / sizeof scenarios[0];
	if (argc == 1) {
		for (int i = 0; i < n; i++)
			run(i);
		return 0;
	}
	for (int a = 1; a < argc; a++) {
		int found = 0;
		for (int i = 0; i < n; i++) {
			if (strcmp(argv[a], scenarios[i].name) == 0) {
				run(i);
				found = 1;
			}
		}
		if (!found) {
			fprintf(stderr, "exhaust: no scenario %s\n", argv[a]);
			return 2;
		}
	}
	return 0;
}
