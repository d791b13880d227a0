// File locks in one process: fcntl record locks (POSIX and open file
// description), flock, and close_range. Facts that hold with a single
// process: its own POSIX locks never conflict and are seen only through
// another owner (an OFD probe), two open file descriptions conflict for
// OFD and flock locks, closing any descriptor for a file drops the
// process's POSIX locks, a thread waits for a lock another description
// holds. Runs with the rootfs (tmp/) as the working directory; with the
// argument "exec-probe FD" it is the image after an execve, probing the
// file open at FD.
#include "check.h"
#include <limits.h>
#include <pthread.h>
#include <sys/file.h>
#include <time.h>

static const char *typename(int t) {
	switch (t) {
	case F_RDLCK:
		return "F_RDLCK";
	case F_WRLCK:
		return "F_WRLCK";
	case F_UNLCK:
		return "F_UNLCK";
	}
	return "?";
}

static const char *pidname(pid_t p) {
	if (p == getpid())
		return "self";
	if (p == -1)
		return "-1";
	if (p == 0)
		return "0";
	return "other";
}

// getlk runs F_GETLK or F_OFD_GETLK for a lock of type from start for len
// and prints what it reports.
static void getlk(const char *what, int fd, int cmd, int type, off_t start, off_t len) {
	struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	if (fcntl(fd, cmd, &l) == -1) {
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	if (l.l_type == F_UNLCK) {
		printf("%s: F_UNLCK (start %ld len %ld kept)\n", what, (long)l.l_start, (long)l.l_len);
		return;
	}
	printf("%s: %s whence %d start %ld len %ld pid %s\n", what, typename(l.l_type), l.l_whence, (long)l.l_start, (long)l.l_len,
	       pidname(l.l_pid));
}

// probe asks, as another owner (an OFD lock request through fd), what
// would block a write lock from start for len.
#define PROBE(fd, start, len) getlk("probe " #start " " #len, fd, F_OFD_GETLK, F_WRLCK, start, len)

static long setlk(int fd, int cmd, int type, int whence, off_t start, off_t len) {
	struct flock l = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
	return fcntl(fd, cmd, &l);
}

#define SETLK(fd, cmd, type, whence, start, len) show(#cmd " " #type " " #whence " " #start " " #len, setlk(fd, cmd, type, whence, start, len))

static volatile int done;

static void *thread_setlkw(void *arg) {
	long r = setlk(*(int *)arg, F_SETLKW, F_WRLCK, SEEK_SET, 300, 10);
	done = 1;
	return (void *)r;
}

static void *thread_ofd_setlkw(void *arg) {
	long r = setlk(*(int *)arg, F_OFD_SETLKW, F_RDLCK, SEEK_SET, 300, 1);
	done = 1;
	return (void *)r;
}

static void *thread_flock(void *arg) {
	long r = flock(*(int *)arg, LOCK_EX);
	done = 1;
	return (void *)r;
}

static void *thread_same_owner(void *arg) {
	return (void *)setlk(*(int *)arg, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
}

// waits runs fn in a thread that must block until release() runs: it
// prints whether the thread was still waiting and what it returned.
static void waits(const char *what, void *(*fn)(void *), int *fd, void (*release)(void)) {
	pthread_t th;
	done = 0;
	pthread_create(&th, NULL, fn, fd);
	struct timespec ts = {0, 100 * 1000 * 1000};
	nanosleep(&ts, NULL);
	printf("%s: waiting %s\n", what, done ? "no" : "yes");
	release();
	void *r;
	pthread_join(th, &r);
	printf("%s: then %ld\n", what, (long)r);
}

static int ofd_holder, flock_holder;
static void release_ofd(void) { setlk(ofd_holder, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0); }
static void release_flock(void) { flock(flock_holder, LOCK_UN); }

// reexec runs this program again with the arguments stage and fd. It
// executes the file /proc/self/exe names, not the link itself.
static void reexec(const char *stage, int fd) {
	char fdarg[16], self[4096];
	snprintf(fdarg, sizeof fdarg, "%d", fd);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n < 0 ? 0 : n] = 0;
	fflush(stdout);
	char *argv[] = {"locks", (char *)stage, fdarg, NULL};
	execve(self, argv, NULL);
	printf("execve: %s\n", strerrorname_np(errno));
	exit(1);
}

int main(int argc, char **argv) {
	if (argc == 3) {
		// After execve: the POSIX lock taken before is still there; a
		// close-on-exec descriptor for the file drops it at the next one.
		int fd = atoi(argv[2]);
		if (!strcmp(argv[1], "exec1")) {
			getlk("after execve", fd, F_OFD_GETLK, F_WRLCK, 0, 0);
			int ce = open("tmp/locks", O_RDONLY | O_CLOEXEC);
			ok("open O_CLOEXEC", ce >= 0);
			reexec("exec2", fd);
		}
		getlk("after execve with a close-on-exec descriptor", fd, F_OFD_GETLK, F_WRLCK, 0, 0);
		return 0;
	}
	int fd = open("tmp/locks", O_RDWR | O_CREAT | O_TRUNC, 0644);
	ok("open tmp/locks", fd >= 0);
	char buf[100] = {0};
	R(write(fd, buf, sizeof buf));
	int pfd = open("tmp/locks", O_RDWR); // the probe's own description

	printf("-- own POSIX locks never conflict; others see them split and merged\n");
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	SETLK(fd, F_SETLK, F_RDLCK, SEEK_SET, 5, 10);
	getlk("own F_GETLK", fd, F_GETLK, F_WRLCK, 0, 0);
	PROBE(pfd, 0, 0);
	PROBE(pfd, 5, 1);
	getlk("read probe 5 0", pfd, F_OFD_GETLK, F_RDLCK, 5, 0);
	SETLK(fd, F_SETLK, F_UNLCK, SEEK_SET, 7, 2);
	PROBE(pfd, 5, 0);
	PROBE(pfd, 7, 0);
	SETLK(fd, F_SETLK, F_RDLCK, SEEK_SET, 7, 2);
	PROBE(pfd, 7, 0);
	SETLK(fd, F_SETLK, F_RDLCK, SEEK_SET, 15, 5);
	PROBE(pfd, 7, 0);
	SETLK(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 20);
	PROBE(pfd, 0, 0);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 8, 4);
	PROBE(pfd, 0, 0);
	PROBE(pfd, 8, 0);
	PROBE(pfd, 12, 0);
	SETLK(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	PROBE(pfd, 0, 0);

	printf("-- whence, negative and zero lengths\n");
	lseek(fd, 20, SEEK_SET);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_CUR, 5, 5);
	PROBE(pfd, 0, 0);
	SETLK(fd, F_SETLK, F_UNLCK, SEEK_CUR, 0, 0);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_END, -10, 0);
	PROBE(pfd, 0, 0);
	SETLK(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 50, -10);
	PROBE(pfd, 0, 0);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_END, 0, -100);
	PROBE(pfd, 0, 0);
	SETLK(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, LLONG_MAX, 1);
	PROBE(pfd, 1000, 0);
	SETLK(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);

	printf("-- errors\n");
	SETLK(fd, F_SETLK, F_WRLCK, 3, 0, 1);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_CUR, -21, 1);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, -6);
	SETLK(fd, F_SETLK, 9, SEEK_SET, 0, 1);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_END, LLONG_MAX, 1);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, LLONG_MAX, 2);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 2, LLONG_MAX);
	SETLK(fd, F_SETLK, 9, SEEK_SET, LLONG_MAX, 2);
	getlk("F_GETLK F_UNLCK", fd, F_GETLK, F_UNLCK, 0, 1);
	getlk("F_GETLK bad type", fd, F_GETLK, 7, 0, 1);
	getlk("F_GETLK negative start", fd, F_GETLK, F_RDLCK, -5, 1);
	int rd = open("tmp/locks", O_RDONLY), wr = open("tmp/locks", O_WRONLY);
	SETLK(rd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
	SETLK(wr, F_SETLK, F_RDLCK, SEEK_SET, 0, 1);
	SETLK(rd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
	SETLK(rd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1);
	getlk("F_GETLK on write-only", wr, F_GETLK, F_RDLCK, 0, 1);
	SETLK(999, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
	SETLK(-1, F_GETLK, F_WRLCK, SEEK_SET, 0, 1);
	int path = open("tmp/locks", O_PATH);
	SETLK(path, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
	getlk("F_GETLK on O_PATH", path, F_GETLK, F_RDLCK, 0, 1);
	R(fcntl(path, F_GETFL) & O_PATH ? 1 : 0);
	R(fcntl(fd, F_SETLK, NULL));
	R(fcntl(fd, F_GETLK, KERNEL_PTR));
	R(fcntl(fd, F_OFD_SETLKW, (void *)1));
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1};
	R(fcntl(fd, F_OFD_SETLK, &l));
	R(fcntl(fd, F_OFD_GETLK, &l));
	l.l_pid = 1;
	R(fcntl(rd, F_OFD_SETLK, &l)); // EBADF before the l_pid check
	close(rd);
	close(wr);

	printf("-- OFD locks: per open file description\n");
	int fd3 = open("tmp/locks", O_RDWR);
	SETLK(pfd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 200, 10);
	SETLK(pfd, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 10);
	SETLK(fd3, F_OFD_SETLK, F_RDLCK, SEEK_SET, 205, 1);
	SETLK(fd3, F_OFD_SETLK, F_RDLCK, SEEK_SET, 5, 1);
	getlk("OFD probe", fd3, F_OFD_GETLK, F_RDLCK, 0, 0);
	getlk("OFD F_UNLCK finds pfd's own", pfd, F_OFD_GETLK, F_UNLCK, 0, 0);
	getlk("OFD F_UNLCK finds fd3's own", fd3, F_OFD_GETLK, F_UNLCK, 0, 0);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 205, 1);
	getlk("F_GETLK of an OFD lock", fd, F_GETLK, F_WRLCK, 100, 0);
	SETLK(pfd, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 100);
	int d = dup(pfd);
	R(close(d));
	getlk("after closing a dup", fd3, F_OFD_GETLK, F_WRLCK, 0, 0);
	SETLK(pfd, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	SETLK(fd3, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	getlk("all unlocked", fd3, F_OFD_GETLK, F_WRLCK, 0, 0);

	printf("-- closing any descriptor drops the POSIX locks\n");
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	d = dup(fd);
	R(close(d));
	getlk("after close(dup)", fd3, F_OFD_GETLK, F_WRLCK, 0, 100);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	int other = open("tmp/locks", O_RDONLY);
	R(close(other));
	getlk("after close(another open)", fd3, F_OFD_GETLK, F_WRLCK, 0, 100);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	other = open("tmp/locks", O_PATH);
	R(close(other));
	getlk("after close(O_PATH)", fd3, F_OFD_GETLK, F_WRLCK, 0, 100);
	other = open("data/hello.txt", O_RDONLY);
	d = dup(fd);
	R(dup2(other, d) == d);
	getlk("after dup2 over a dup", fd3, F_OFD_GETLK, F_WRLCK, 0, 100);
	R(close(d));
	R(close(other));
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	d = dup(fd);
	R(syscall(SYS_close_range, d, d, 0));
	getlk("after close_range", fd3, F_OFD_GETLK, F_WRLCK, 0, 100);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	d = dup(fd);
	R(syscall(SYS_close_range, d, d, CLOSE_RANGE_CLOEXEC));
	getlk("after close_range CLOEXEC", fd3, F_OFD_GETLK, F_WRLCK, 0, 100);
	R(fcntl(d, F_GETFD));
	R(close(d));

	printf("-- threads share the POSIX owner; waiting for another description\n");
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	{
		pthread_t th;
		void *r;
		pthread_create(&th, NULL, thread_same_owner, &fd);
		pthread_join(th, &r);
		printf("thread F_SETLK over the main thread's lock: %ld\n", (long)r);
	}
	SETLK(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	ofd_holder = pfd;
	SETLK(pfd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 300, 1);
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 300, 10);
	waits("F_SETLKW behind an OFD lock", thread_setlkw, &fd, release_ofd);
	getlk("the thread's lock", fd3, F_OFD_GETLK, F_WRLCK, 0, 0);
	SETLK(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	SETLK(pfd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 300, 1);
	waits("F_OFD_SETLKW behind an OFD lock", thread_ofd_setlkw, &fd3, release_ofd);
	SETLK(fd3, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0);

	printf("-- flock\n");
	int fa = open("tmp/locks", O_RDONLY), fb = open("tmp/locks", O_WRONLY);
	R(flock(fa, LOCK_SH));
	R(flock(fb, LOCK_SH | LOCK_NB));
	R(flock(fb, LOCK_EX | LOCK_NB));
	R(flock(fa, LOCK_EX | LOCK_NB)); // fb's failed upgrade dropped its lock
	R(flock(fb, LOCK_SH | LOCK_NB));
	R(flock(fa, LOCK_EX | LOCK_NB));
	d = dup(fa);
	R(flock(d, LOCK_EX | LOCK_NB));
	R(flock(d, LOCK_SH));
	R(flock(fb, LOCK_SH | LOCK_NB));
	R(flock(fb, LOCK_UN));
	R(flock(fb, LOCK_UN));
	R(flock(fa, LOCK_EX | LOCK_NB));
	printf("flock and fcntl locks do not meet:\n");
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0);
	SETLK(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	SETLK(fb, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 0);
	SETLK(fb, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	flock_holder = fa;
	waits("flock LOCK_EX behind another description", thread_flock, &fb, release_flock);
	R(flock(fa, LOCK_SH | LOCK_NB));
	R(close(fb)); // the last reference: fb's lock goes
	R(flock(fa, LOCK_EX | LOCK_NB));
	R(close(fa)); // fa's description lives on through d, with its lock
	R(flock(fd, LOCK_EX | LOCK_NB));
	R(close(d));
	R(flock(fd, LOCK_EX | LOCK_NB));
	R(flock(fd, 0));
	R(flock(fd, LOCK_SH | LOCK_EX));
	R(flock(fd, LOCK_NB));
	R(flock(fd, 16));
	R(flock(999, LOCK_SH));
	R(flock(999, 0));
	R(flock(999, LOCK_MAND));
	R(flock(fd, LOCK_MAND | LOCK_READ));
	R(flock(path, LOCK_SH));
	R(flock(path, LOCK_UN));
	int dir = open("data/dir", O_RDONLY | O_DIRECTORY);
	R(flock(dir, LOCK_EX | LOCK_NB));
	R(close(dir));
	int p[2];
	R(pipe(p));
	R(flock(p[0], LOCK_EX | LOCK_NB));
	SETLK(p[0], F_SETLK, F_RDLCK, SEEK_SET, 0, 0);
	SETLK(p[1], F_SETLK, F_RDLCK, SEEK_SET, 0, 0);
	R(close(p[0]));
	R(close(p[1]));
	R(flock(fd, LOCK_UN));

	printf("-- close_range\n");
	int a = dup2(fd3, 100), b = dup2(fd3, 101), c = dup2(fd3, 102);
	R(syscall(SYS_close_range, b, a, 0));
	R(syscall(SYS_close_range, a, c, 1));
	R(syscall(SYS_close_range, a, c, 8));
	R(syscall(SYS_close_range, a, c, CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE));
	R(fcntl(a, F_GETFD));
	R(fcntl(c, F_GETFD));
	R(syscall(SYS_close_range, b, b, 0));
	R(fcntl(b, F_GETFD));
	R(fcntl(a, F_GETFD));
	R(syscall(SYS_close_range, b, b, 0));
	R(syscall(SYS_close_range, 5000, 6000, 0));
	R(syscall(SYS_close_range, a, ~0U, CLOSE_RANGE_UNSHARE));
	R(fcntl(a, F_GETFD));
	R(fcntl(c, F_GETFD));
	R(fcntl(fd, F_GETFD));
	a = dup2(fd3, 100);
	R(syscall(SYS_close_range, 0x100000000UL | 100, 0x100000000UL | 100, 0));
	R(fcntl(a, F_GETFD));
	R(syscall(SYS_close_range, 0, 0, ~0U));

	printf("-- execve keeps POSIX locks; close-on-exec drops them\n");
	SETLK(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
	reexec("exec1", fd3);
}
