// File locks between two processes (needs fork, so it is not in the
// conformance list until oyako has fork; run it by hand natively):
// conflicts, F_SETLKW waiting for the other process's unlock, EDEADLK
// when two processes would wait for each other, F_GETLK naming the other
// process, locks not inherited by fork, released at exit, and OFD and
// flock locks shared with the child through the open file description.
// Runs with the rootfs (tmp/) as the working directory. The processes
// take turns through two pipes, so the output is in a fixed order.
#include "check.h"
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>

static int to_child[2], to_parent[2];

static void tell(int fd) {
	if (write(fd, "x", 1) != 1)
		exit(3);
}

static void hear(int fd) {
	char c;
	if (read(fd, &c, 1) != 1)
		exit(4);
}

static long setlk(int fd, int cmd, int type, off_t start, off_t len) {
	struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	return fcntl(fd, cmd, &l);
}

#define SETLK(who, fd, cmd, type, start, len) show(who " " #cmd " " #type " " #start " " #len, setlk(fd, cmd, type, start, len))

// getlk prints what would block a write lock from start for len, naming
// the lock's pid relative to the other process's.
static void getlk(const char *what, int fd, int cmd, off_t start, off_t len, pid_t other) {
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	if (fcntl(fd, cmd, &l) == -1) {
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	if (l.l_type == F_UNLCK) {
		printf("%s: F_UNLCK\n", what);
		return;
	}
	printf("%s: %s start %ld len %ld pid is %s\n", what, l.l_type == F_WRLCK ? "F_WRLCK" : "F_RDLCK", (long)l.l_start, (long)l.l_len,
	       l.l_pid == other ? "the other process's" : l.l_pid == getpid() ? "mine" : l.l_pid == -1 ? "-1" : "someone else's");
}

// nothing_yet reports whether the other side has not written to fd.
static const char *nothing_yet(int fd) {
	char c;
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	ssize_t n = read(fd, &c, 1);
	fcntl(fd, F_SETFL, fl);
	return n == -1 && errno == EAGAIN ? "yes" : "no";
}

static void child(int fd, pid_t parent) {
	int own = open("tmp/locks2", O_RDWR); // a description of its own
	hear(to_child[0]);
	printf("-- the parent holds F_WRLCK 0-9 and an OFD lock at 100, flock LOCK_EX\n");
	SETLK("child", fd, F_SETLK, F_WRLCK, 5, 1);
	SETLK("child", fd, F_SETLK, F_RDLCK, 20, 1);
	getlk("child F_GETLK", fd, F_GETLK, 0, 0, parent);
	getlk("child F_GETLK at 100", fd, F_GETLK, 100, 1, parent);
	printf("OFD and flock locks come with the shared description:\n");
	SETLK("child", fd, F_OFD_SETLK, F_WRLCK, 100, 1);
	SETLK("child", own, F_OFD_SETLK, F_WRLCK, 100, 1);
	R(flock(fd, LOCK_EX | LOCK_NB));
	R(flock(own, LOCK_EX | LOCK_NB));
	printf("closing a descriptor drops the child's locks, not the parent's:\n");
	int d = dup(fd);
	R(close(d));
	getlk("child F_GETLK after close", own, F_GETLK, 0, 0, parent);
	tell(to_parent[1]);

	// F_SETLKW waits until the parent unlocks.
	hear(to_child[0]);
	printf("-- F_SETLKW waits for the parent's unlock\n");
	tell(to_parent[1]);
	SETLK("child", fd, F_SETLKW, F_WRLCK, 0, 10);
	tell(to_parent[1]);

	// Deadlock: the child holds 0-9, and waits for 20 that the parent holds.
	hear(to_child[0]);
	tell(to_parent[1]);
	SETLK("child (waits, then gets it)", fd, F_SETLKW, F_WRLCK, 20, 1);
	tell(to_parent[1]);

	// Exit releases the child's locks (0-9 and 20).
	hear(to_child[0]);
	exit(0);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	int fd = open("tmp/locks2", O_RDWR | O_CREAT | O_TRUNC, 0644);
	ok("open tmp/locks2", fd >= 0);
	R(pipe(to_child));
	R(pipe(to_parent));
	SETLK("parent", fd, F_SETLK, F_WRLCK, 0, 10);
	SETLK("parent", fd, F_OFD_SETLK, F_WRLCK, 100, 1);
	R(flock(fd, LOCK_EX));
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		child(fd, parent);
	ok("fork", pid > 0);
	tell(to_child[1]);
	hear(to_parent[0]);

	SETLK("parent", fd, F_OFD_SETLK, F_UNLCK, 0, 0);
	R(flock(fd, LOCK_UN));
	tell(to_child[1]);
	hear(to_parent[0]); // the child is about to wait
	pause_ms(200);
	printf("parent: the child still waits: %s\n", nothing_yet(to_parent[0]));
	long r = setlk(fd, F_SETLK, F_UNLCK, 0, 10);
	hear(to_parent[0]); // the child printed what it got
	show("parent F_SETLK F_UNLCK 0 10 (done before the child's line)", r);
	getlk("parent F_GETLK", fd, F_GETLK, 0, 0, pid);

	printf("-- deadlock detection\n");
	SETLK("parent", fd, F_SETLK, F_WRLCK, 20, 1);
	tell(to_child[1]);
	hear(to_parent[0]); // the child is about to wait for 20
	pause_ms(200);
	SETLK("parent (would close the cycle)", fd, F_SETLKW, F_WRLCK, 0, 1);
	SETLK("parent", fd, F_SETLK, F_WRLCK, 0, 1);
	printf("parent: the child still waits: %s\n", nothing_yet(to_parent[0]));
	r = setlk(fd, F_SETLK, F_UNLCK, 20, 1);
	hear(to_parent[0]);
	show("parent F_SETLK F_UNLCK 20 1 (done before the child's line)", r);
	getlk("parent F_GETLK", fd, F_GETLK, 0, 0, pid);

	printf("-- the child's exit releases its locks\n");
	tell(to_child[1]);
	int status;
	R(waitpid(pid, &status, 0) == pid);
	R(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	getlk("parent F_GETLK", fd, F_GETLK, 0, 0, pid);
	SETLK("parent", fd, F_SETLK, F_WRLCK, 0, 0);
	return 0;
}
