// Shared memory between processes: MAP_SHARED file mappings written by a
// forked child and seen by the parent through the mapping and read(2),
// and write(2) seen through the mapping; MAP_SHARED|MAP_ANONYMOUS and
// /dev/zero across fork; msync and its errors; a process-shared pthread
// mutex and a sem_t in shared memory (futexes on shared pages); private
// file mappings and copy-on-write; access checks of shared mappings.
// Run with the argument "truncate" it checks ftruncate of a mapped file
// instead (SIGBUS past the end, zeros when it grows again).
//
// Run as init with the rootfs as root (qemu.Case.Init); files go to tmp/.
#include "check.h"
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static int to_child[2], to_parent[2];

static void tell(int fd) { write(fd, "x", 1); }

static void hear(int fd) {
	char c;
	read(fd, &c, 1);
}

static int make_file(const char *path, int size) {
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char zero[4096] = {0};
	for (int off = 0; off < size; off += sizeof zero)
		write(fd, zero, sizeof zero);
	return fd;
}

// ---- pages past the end of a mapped file

// touch reads *p, reporting the SIGBUS it may raise.

static sigjmp_buf jb;
static volatile int bus_code;

static void on_bus(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)uc;
	bus_code = si->si_code;
	siglongjmp(jb, 1);
}

static const char *touch(volatile char *p) {
	bus_code = 0;
	if (sigsetjmp(jb, 1))
		return bus_code == BUS_ADRERR ? "SIGBUS BUS_ADRERR" : "SIGBUS";
	static char b[16];
	snprintf(b, sizeof b, "reads %d", *p);
	return b;
}

static void catch_sigbus(void) {
	struct sigaction sa = {0};
	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);
}

static void beyond_eof(void) {
	printf("-- pages past the end of a mapped file\n");
	catch_sigbus();
	int fd = make_file("tmp/short", 4096);
	pwrite(fd, "x", 1, 4095);
	ftruncate(fd, 100); // if there is no ftruncate, the page ends the file
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("shared, the file's last page: %s\n", touch(m));
	printf("shared, the page after: %s\n", touch(m + 4096));
	printf("private, the page after: %s\n", touch(p + 2 * 4096));
	R(write(1, m + 4096, 1)); // a system call's access: EFAULT
	int pfd[2];
	pipe(pfd);
	write(pfd[1], "abc", 3);
	R(read(pfd[0], p + 4096, 3));
	close(pfd[0]);
	close(pfd[1]);
	signal(SIGBUS, SIG_DFL);
	pid_t pid = pfork();
	if (pid == 0) {
		m[4096] = 1;
		_exit(0);
	}
	reap("a child writing there", pid);
	munmap(m, 3 * 4096);
	munmap(p, 3 * 4096);
	close(fd);
}

// ---- MAP_SHARED file mappings

static void shared_file(void) {
	printf("-- MAP_SHARED file mapping across fork\n");
	int fd = make_file("tmp/shared", 8192);
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok("mmap MAP_SHARED", m != MAP_FAILED);
	m[0] = 'P'; // touched before the fork: the child must not get a copy
	pid_t pid = pfork();
	if (pid == 0) {
		memcpy(m, "from the child", 15);
		memcpy(m + 4096 + 10, "second page", 12);
		tell(to_parent[1]);
		hear(to_child[0]);
		ok("child: sees the parent's write(2) in its mapping", memcmp(m + 200, "by write", 9) == 0);
		ok("child: sees the parent's store", memcmp(m + 300, "by store", 9) == 0);
		_exit(0);
	}
	hear(to_parent[0]);
	printf("parent: the mapping says \"%s\" and \"%s\"\n", m, m + 4096 + 10);
	char buf[32] = {0};
	pread(fd, buf, 15, 0);
	printf("parent: read(2) says \"%s\"\n", buf);
	pread(fd, buf, 12, 4096 + 10);
	printf("parent: read(2) of the second page says \"%s\"\n", buf);
	pwrite(fd, "by write", 9, 200);
	memcpy(m + 300, "by store", 9);
	printf("parent: write(2) seen in the mapping: \"%s\"\n", m + 200);
	tell(to_child[1]);
	reap("the child", pid);
	// The mapping outlives the descriptor and the child.
	close(fd);
	printf("after close: \"%s\"\n", m);
	// A second mapping of the same file shows the same pages.
	fd = open("tmp/shared", O_RDWR);
	char *m2 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	m[1] = 'R';
	printf("another mapping of the file: \"%s\"\n", m2);
	munmap(m2, 4096);
	// MAP_SHARED of a read-only descriptor: reading only.
	int ro = open("tmp/shared", O_RDONLY);
	char *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	printf("MAP_SHARED PROT_WRITE of a read-only descriptor: %s\n", r == MAP_FAILED ? strerrorname_np(errno) : "mapped");
	r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
	ok("MAP_SHARED PROT_READ of a read-only descriptor", r != MAP_FAILED);
	R(mprotect(r, 4096, PROT_READ | PROT_WRITE));
	m[2] = 'Z';
	ok("it sees stores through the other mapping", r[2] == 'Z');
	munmap(r, 4096);
	// MAP_PRIVATE of the same read-only descriptor may be written.
	r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	r[0] = 'p';
	ok("MAP_PRIVATE of a read-only descriptor is writable, privately", r[0] == 'p' && m[0] != 'p');
	munmap(r, 4096);
	close(ro);
	close(fd);
	munmap(m, 8192);
}

// ---- msync

static void msync_checks(void) {
	printf("-- msync\n");
	int fd = make_file("tmp/msync", 8192);
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	strcpy(m, "synced");
	R(msync(m, 8192, MS_SYNC));
	R(msync(m, 8192, MS_ASYNC));
	R(msync(m, 8192, MS_INVALIDATE));
	R(msync(m, 8192, MS_SYNC | MS_INVALIDATE));
	R(msync(m, 100, MS_SYNC)); // the length is rounded up
	R(msync(m, 0, MS_SYNC));
	R(msync(m, 8192, 0));
	R(msync(m, 8192, MS_SYNC | MS_ASYNC));
	R(msync(m, 8192, 8));
	R(msync(m + 1, 4096, MS_SYNC));
	char buf[8] = {0};
	pread(fd, buf, 6, 0);
	printf("the file after msync: %s\n", buf);
	// Unmapped pages in the range.
	munmap(m + 4096, 4096);
	R(msync(m, 8192, MS_SYNC));
	R(msync(m, 8192, MS_ASYNC));
	R(msync(m + 4096, 4096, MS_SYNC));
	R(msync(m, 4096, MS_SYNC));
	R(msync((void *)0x1000, 4096, MS_SYNC));
	R(syscall(SYS_msync, m, -1L, MS_SYNC)); // wraps to zero pages: nothing to do
	R(syscall(SYS_msync, KERNEL_PTR, 4096, MS_SYNC));
	// Private and anonymous mappings may be synced too.
	char *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	R(msync(anon, 4096, MS_SYNC));
	munmap(anon, 4096);
	munmap(m, 4096);
	close(fd);
}

// ---- shared anonymous memory

static void shared_anon(void) {
	printf("-- MAP_SHARED|MAP_ANONYMOUS and /dev/zero across fork\n");
	int *a = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int zfd = open("/dev/zero", O_RDWR);
	int *z = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, zfd, 0);
	close(zfd);
	int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a[0] = 1;
	ok("fresh shared memory reads zeros", a[1024] == 0 && a[2048] == 0 && z[0] == 0);
	pid_t pid = pfork();
	if (pid == 0) {
		a[0] = 2, a[1024] = 3, a[2048] = 4, z[0] = 5, priv[0] = 6;
		tell(to_parent[1]);
		hear(to_child[0]);
		ok("child: sees the parent's writes", a[0] == 7 && z[1] == 8);
		munmap(a, 3 * 4096); // the parent keeps its mapping
		_exit(0);
	}
	hear(to_parent[0]);
	ok("parent: sees the child's writes in every page", a[0] == 2 && a[1024] == 3 && a[2048] == 4);
	ok("parent: and in /dev/zero's shared mapping", z[0] == 5);
	ok("parent: not in private memory", priv[0] == 0);
	a[0] = 7, z[1] = 8;
	tell(to_child[1]);
	reap("the child", pid);
	a[1] = 9;
	ok("the memory outlives the child", a[0] == 7 && a[1] == 9 && a[2048] == 4);
	// A grandchild shares it too.
	pid = pfork();
	if (pid == 0) {
		pid_t g = pfork();
		if (g == 0) {
			a[5] = 55;
			_exit(0);
		}
		waitpid(g, NULL, 0);
		_exit(0);
	}
	reap("the child", pid);
	ok("a grandchild's write", a[5] == 55);
	munmap(a, 3 * 4096);
	munmap(z, 4096);
	munmap(priv, 4096);
}

// ---- a process-shared mutex and semaphore

struct shared {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sem_t sem, done;
	int value;
	int ready;
};

static void sync_objects(void) {
	printf("-- process-shared mutex, condition variable and semaphore\n");
	struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->mu, &ma);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_cond_init(&s->cv, &ca);
	R(sem_init(&s->sem, 1, 0));
	R(sem_init(&s->done, 1, 0));
	pthread_mutex_lock(&s->mu);
	pid_t pid = pfork();
	if (pid == 0) {
		int busy = pthread_mutex_trylock(&s->mu);
		pthread_mutex_lock(&s->mu); // waits for the parent's unlock
		int v = s->value;
		pthread_mutex_unlock(&s->mu);
		printf("child: trylock %s; after the lock it reads %d\n", busy ? strerrorname_np(busy) : "0", v);
		// The semaphore: wait for the parent's post.
		sem_wait(&s->sem);
		printf("child: sem_wait returned, value %d\n", s->value);
		// The condition variable.
		pthread_mutex_lock(&s->mu);
		while (!s->ready)
			pthread_cond_wait(&s->cv, &s->mu);
		printf("child: the condition came, value %d\n", s->value);
		pthread_mutex_unlock(&s->mu);
		sem_post(&s->done);
		_exit(0);
	}
	pause_ms(30); // the child blocks in pthread_mutex_lock meanwhile
	s->value = 1;
	pthread_mutex_unlock(&s->mu);
	pause_ms(30);
	s->value = 2;
	sem_post(&s->sem);
	pause_ms(30);
	pthread_mutex_lock(&s->mu);
	s->value = 3;
	s->ready = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	R(sem_wait(&s->done));
	reap("the child", pid);
	int v;
	sem_getvalue(&s->sem, &v);
	printf("semaphore value: %d\n", v);
	R(sem_trywait(&s->sem));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20 * 1000000;
	if (ts.tv_nsec >= 1000000000)
		ts.tv_sec++, ts.tv_nsec -= 1000000000;
	R(sem_timedwait(&s->sem, &ts));
	munmap(s, sizeof *s);
}

// ---- private file mappings

static void private_file(void) {
	printf("-- MAP_PRIVATE file mapping\n");
	int fd = make_file("tmp/private", 8192);
	pwrite(fd, "original", 9, 0);
	pwrite(fd, "original", 9, 4096);
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("the mapping reads \"%s\"\n", m);
	// Not written yet: the page is the file's, so a write(2) shows.
	pwrite(fd, "changed!", 9, 0);
	printf("after write(2) to the file, the unwritten page reads \"%s\"\n", m);
	pid_t pid = pfork();
	if (pid == 0) {
		memcpy(m, "child's!", 9); // copy-on-write: a page of its own
		tell(to_parent[1]);
		hear(to_child[0]);
		printf("child: its written page reads \"%s\" after another write(2)\n", m);
		_exit(0);
	}
	hear(to_parent[0]);
	printf("parent: its page reads \"%s\" after the child wrote its copy\n", m);
	char buf[16] = {0};
	pread(fd, buf, 9, 0);
	printf("parent: the file says \"%s\"\n", buf);
	pwrite(fd, "again!!!", 9, 0);
	tell(to_child[1]);
	reap("the child", pid);
	memcpy(m + 4096, "parent's", 9);
	pwrite(fd, "changed2", 9, 4096);
	printf("a written private page keeps its copy: \"%s\"\n", m + 4096);
	munmap(m, 8192);
	close(fd);
}

// ---- ftruncate of a mapped file (the "truncate" mode)

static int truncate_checks(void) {
	printf("-- ftruncate of a mapped file\n");
	catch_sigbus();
	int fd = make_file("tmp/trunc", 3 * 4096);
	char *m = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	m[0] = 1, m[4096] = 2, m[2 * 4096] = 3;
	printf("beyond the end of the file: %s\n", touch(m + 3 * 4096));
	R(ftruncate(fd, 4096 + 100));
	printf("page 0: %s\n", touch(m));
	printf("page 1 (partly in the file): %s\n", touch(m + 4096));
	printf("page 1 past the end of the file, same page: %s\n", touch(m + 4096 + 200));
	printf("page 2 (cut off): %s\n", touch(m + 2 * 4096));
	struct stat st;
	fstat(fd, &st);
	printf("size %ld\n", (long)st.st_size);
	pid_t pid = pfork();
	if (pid == 0) {
		printf("child: page 2: %s\n", touch(m + 2 * 4096));
		_exit(0);
	}
	reap("the child", pid);
	R(ftruncate(fd, 3 * 4096));
	printf("page 2 after growing again: %s\n", touch(m + 2 * 4096));
	printf("page 1 past the old end: %s\n", touch(m + 4096 + 200));
	R(ftruncate(fd, -1));
	munmap(m, 4 * 4096);
	close(fd);
	return 0;
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "truncate") == 0)
		return truncate_checks();
	pipe(to_child);
	pipe(to_parent);
	shared_file();
	msync_checks();
	shared_anon();
	sync_objects();
	private_file();
	beyond_eof();
	return 0;
}
