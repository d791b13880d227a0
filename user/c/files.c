// Files: open, read, write, seek, stat, directories, links, descriptors,
// pipes, and their errors. Runs with the rootfs (data/, tmp/) as the
// working directory.
#include "check.h"
#include <dirent.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/uio.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(void) {
	char buf[256];
	int fd = open("data/hello.txt", O_RDONLY);
	ok("open data/hello.txt", fd >= 0);
	R(read(fd, buf, 5));
	printf("read: %.5s\n", buf);
	R(lseek(fd, 0, SEEK_CUR));
	R(lseek(fd, -6, SEEK_END));
	R(read(fd, buf, sizeof buf));
	R(read(fd, buf, sizeof buf));
	R(lseek(fd, 0, 42));
	R(lseek(fd, -100, SEEK_SET));
	R(pread(fd, buf, 5, 7));
	printf("pread: %.5s\n", buf);
	R(syscall(SYS_pread64, fd, buf, 5, -1L));
	R(read(fd, (void *)1, 5));
	R(read(fd, KERNEL_PTR, 5));
	R(read(999, buf, 5));
	R(write(fd, "x", 1));

	char a[4], b[8];
	struct iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
	lseek(fd, 0, SEEK_SET);
	R(readv(fd, iov, 2));
	printf("readv: %.4s|%.8s\n", a, b);
	R(readv(fd, iov, -1));
	struct iovec out[3] = {{"one ", 4}, {"two ", 4}, {"three\n", 6}};
	R(writev(1, out, 3));

	struct stat st;
	R(fstat(fd, &st));
	printf("fstat: size %ld reg %d nlink %ld mode %o\n", (long)st.st_size, S_ISREG(st.st_mode), (long)st.st_nlink, st.st_mode & 0777);
	R(fstatat(AT_FDCWD, "data/dir", &st, 0));
	printf("fstatat dir: %d\n", S_ISDIR(st.st_mode));
	R(fstatat(AT_FDCWD, "data/link", &st, AT_SYMLINK_NOFOLLOW));
	printf("fstatat link: lnk %d size %ld\n", S_ISLNK(st.st_mode), (long)st.st_size);
	R(fstatat(AT_FDCWD, "data/link", &st, 0));
	printf("fstatat link followed: reg %d size %ld\n", S_ISREG(st.st_mode), (long)st.st_size);
	R(fstatat(AT_FDCWD, "data/nope", &st, 0));
	R(fstatat(AT_FDCWD, "data/hello.txt", &st, 0x12345));
	R(fstatat(fd, "", &st, AT_EMPTY_PATH));
	R(fstatat(fd, "", &st, 0));
	R(stat("data/hello.txt", KERNEL_PTR));
	R(lstat("data/link", &st));
	R(stat("data/hello.txt/x", &st));
	struct statx sx;
	R(statx(AT_FDCWD, "data/hello.txt", 0, STATX_BASIC_STATS, &sx));
	printf("statx: size %lld mask-has-size %d mode %o\n", (long long)sx.stx_size, !!(sx.stx_mask & STATX_SIZE), sx.stx_mode & 0777);
	R(syscall(SYS_statx, AT_FDCWD, "data/hello.txt", 0, 0x80000000, &sx));
	R(syscall(SYS_statx, AT_FDCWD, "data/hello.txt", 0, STATX_BASIC_STATS, KERNEL_PTR));
	R(syscall(SYS_statx, AT_FDCWD, "data/nope", 0, STATX_BASIC_STATS, &sx));

	int dfd = open("data/dir", O_RDONLY | O_DIRECTORY);
	ok("open dir", dfd >= 0);
	char dents[1024];
	long n = syscall(SYS_getdents64, dfd, dents, sizeof dents);
	ok("getdents64", n > 0);
	char *names[16];
	int count = 0;
	for (long off = 0; off < n;) {
		struct dirent64 *d = (void *)(dents + off);
		names[count++] = strdup(d->d_name);
		off += d->d_reclen;
	}
	qsort(names, count, sizeof names[0], cmp);
	printf("getdents64:");
	for (int i = 0; i < count; i++)
		printf(" %s", names[i]);
	printf("\n");
	R(syscall(SYS_getdents64, dfd, dents, sizeof dents));
	R(syscall(SYS_getdents64, fd, dents, sizeof dents));
	R(syscall(SYS_getdents64, dfd, dents, 1));
	R(read(dfd, buf, 10));
	R(openat(dfd, "a", O_RDONLY) >= 0);
	R(openat(fd, "a", O_RDONLY));

	n = readlink("data/link", buf, sizeof buf);
	R(n);
	printf("readlink: %.*s\n", (int)n, buf);
	R(readlinkat(AT_FDCWD, "data/link", buf, 3));
	R(readlinkat(AT_FDCWD, "data/hello.txt", buf, sizeof buf));
	R(readlinkat(999, "link", buf, sizeof buf));
	R(readlink("data/hello.txt", buf, sizeof buf));
	R(readlink("data/link", buf, 0));
	ok("readlink /proc/self/exe", readlink("/proc/self/exe", buf, sizeof buf) > 0);

	R(open("data/nope", O_RDONLY));
	R(open("data/hello.txt/x", O_RDONLY));
	R(open("data/dir", O_WRONLY));
	R(open("data/hello.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
	R(open("data/hello.txt", O_RDONLY | O_DIRECTORY));
	R(open("data/link", O_RDONLY | O_NOFOLLOW));
	R(open((char *)KERNEL_PTR, O_RDONLY));
	R(open("tmp/newdir", O_CREAT | O_DIRECTORY | O_RDONLY, 0755));
	R(open("tmp", O_TMPFILE | O_RDONLY, 0600));
	R(open("tmp", O_TMPFILE | O_CREAT | O_RDWR, 0600));
	int a3 = open("data/hello.txt", O_ACCMODE);
	ok("open with access mode 3", a3 >= 0);
	R(read(a3, buf, 1));
	R(write(a3, "x", 1));
	R(fstat(a3, &st) == 0 && st.st_size == 13);
	R(open("data/dir", O_ACCMODE));
	close(a3);
	R(close(999));

	mode_t old = umask(027);
	printf("umask: %o\n", old);
	int nfd = open("tmp/new", O_CREAT | O_WRONLY | O_TRUNC, 0666);
	ok("create", nfd >= 0);
	R(write(nfd, "abc", 3));
	R(write(nfd, KERNEL_PTR, 3));
	R(fstat(nfd, &st));
	printf("created: size %ld mode %o\n", (long)st.st_size, st.st_mode & 0777);
	R(read(nfd, buf, 1));
	R(pwrite(nfd, "XY", 2, 1));
	R(pwrite(nfd, "far", 3, 10));
	R(fstat(nfd, &st));
	printf("after pwrite: size %ld\n", (long)st.st_size);
	R(syscall(SYS_pwrite64, nfd, "z", 1, -1L));
	R(pwrite(nfd, KERNEL_PTR, 1, 0));
	R(pwrite(999, "z", 1, 0));
	R(pwrite(fd, "z", 1, 0));
	close(nfd);
	nfd = open("tmp/new", O_RDONLY);
	R(read(nfd, buf, sizeof buf));
	printf("pwritten: %c%c%c%c|%d%d|%.3s\n", buf[0], buf[1], buf[2], buf[3], buf[5], buf[9], buf + 10);
	close(nfd);
	nfd = open("tmp/new", O_WRONLY | O_APPEND);
	R(write(nfd, "de", 2));
	R(fstat(nfd, &st));
	printf("appended: size %ld\n", (long)st.st_size);
	close(nfd);

	R(dup2(fd, 10));
	R(dup2(fd, fd));
	R(dup2(999, 5));
	R(dup2(999, 999));
	R(dup2(fd, -1));
	R(dup3(fd, fd, 0));
	R(dup3(fd, 11, O_CLOEXEC));
	R(fcntl(11, F_GETFD));
	R(fcntl(10, F_GETFD));
	R(dup3(fd, 12, 0x1));
	R(fcntl(fd, F_GETFL) & O_ACCMODE);
	R(fcntl(fd, F_SETFL, O_NONBLOCK));
	R(!!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	R(fcntl(fd, F_DUPFD, 20));
	R(fcntl(fd, F_DUPFD_CLOEXEC, 20));
	R(fcntl(fd, 9999));
	R(fcntl(999, F_GETFD));
	R(dup(999));

	int p[2];
	R(pipe2(p, O_CLOEXEC));
	R(write(p[1], "through a pipe", 14));
	R(read(p[0], buf, sizeof buf));
	printf("pipe: %.14s\n", buf);
	R(lseek(p[0], 0, SEEK_SET));
	R(pread(p[0], buf, 1, 0));
	R(pipe2(p, 0x1234));
	R(fcntl(p[0], F_GETFD));
	R(fcntl(p[0], F_SETFL, O_NONBLOCK));
	R(read(p[0], buf, 1));
	R(pwrite(p[1], "x", 1, 0));
	close(p[1]);
	R(read(p[0], buf, 1));

	R(chdir("data"));
	ok("getcwd ends in /data", getcwd(buf, sizeof buf) && strlen(buf) >= 5 && !strcmp(buf + strlen(buf) - 5, "/data"));
	R(syscall(SYS_getcwd, buf, 1));
	R(chdir("hello.txt"));
	R(chdir("nope"));
	R(fchdir(dfd));
	R(access("a", R_OK));
	R(access("a", X_OK));
	R(access("nope", F_OK));
	R(access("a", 0x100));
	return 0;
}
