// The writable file system as tmpfs has it: mkdir, rmdir, unlink, rename
// and renameat2, link and linkat, symlink, mknod (FIFOs included),
// truncate, chmod, chown, utimensat and its older forms, fallocate, fsync,
// statfs, O_TMPFILE, with their error cases; link counts, directory sizes
// and which timestamps each call changes. Runs with the rootfs (data/,
// tmp/) as the working directory, which is on tmpfs natively and the
// kernel's rootfs (tmpfs too) in oyako. Times are printed only as
// "changed" or "unchanged" comparisons.
#include "check.h"
#include <dirent.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/statvfs.h>
#include <utime.h>

// ST_VALID: f_flags holds the mount flags (since Linux 2.6.36).
#define ST_VALID 0x20

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif

// info prints what lstat says of path, minus times and IDs.
static void info(const char *path) {
	struct stat st;
	if (lstat(path, &st) != 0) {
		printf("lstat %s: -1 %s\n", path, strerrorname_np(errno));
		return;
	}
	const char *type = S_ISREG(st.st_mode) ? "reg" : S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "lnk" : S_ISFIFO(st.st_mode) ? "fifo" : S_ISCHR(st.st_mode) ? "chr" : S_ISBLK(st.st_mode) ? "blk" : S_ISSOCK(st.st_mode) ? "sock" : "?";
	printf("%s: %s mode %04o nlink %ld size %ld blocks %ld", path, type, st.st_mode & 07777, (long)st.st_nlink, (long)st.st_size, (long)st.st_blocks);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		printf(" rdev %u:%u", major(st.st_rdev), minor(st.st_rdev));
	printf("\n");
}

// owner prints path's owner and group (IDs this program set itself).
static void owner(const char *path) {
	struct stat st;
	if (lstat(path, &st) != 0) {
		printf("lstat %s: -1 %s\n", path, strerrorname_np(errno));
		return;
	}
	printf("%s: uid %u gid %u mode %04o\n", path, st.st_uid, st.st_gid, st.st_mode & 07777);
}

// sameInode reports whether two paths name one inode.
static void sameInode(const char *a, const char *b) {
	struct stat x, y;
	int ok = lstat(a, &x) == 0 && lstat(b, &y) == 0;
	printf("%s and %s: %s\n", a, b, !ok ? "missing" : x.st_ino == y.st_ino && x.st_dev == y.st_dev ? "same inode" : "different inodes");
}

struct times {
	struct timespec a, m, c;
};

static struct times snap(const char *path) {
	struct stat st;
	struct times t = {0};
	if (lstat(path, &st) == 0) {
		t.a = st.st_atim;
		t.m = st.st_mtim;
		t.c = st.st_ctim;
	}
	return t;
}

static const char *cmpts(struct timespec x, struct timespec y) {
	return x.tv_sec == y.tv_sec && x.tv_nsec == y.tv_nsec ? "unchanged" : "changed";
}

// changed prints which of path's times moved since before.
static void changed(const char *what, const char *path, struct times before) {
	struct times now = snap(path);
	printf("%s: %s atime %s mtime %s ctime %s\n", what, path, cmpts(before.a, now.a), cmpts(before.m, now.m), cmpts(before.c, now.c));
}

static void mkdirs(void) {
	R(mkdir("d", 0777));
	info("d");
	info(".");
	R(mkdir("d", 0755));
	R(mkdir("d/", 0755));
	R(mkdir("e/", 0755));
	R(mkdir("e//", 0755));
	R(mkdir(".", 0755));
	R(mkdir("..", 0755));
	R(mkdir("/", 0755));
	R(mkdir("nope/x", 0755));
	R(mkdir("", 0755));
	R(mkdir(KERNEL_PTR, 0755));
	putFile("f", "data");
	R(mkdir("f/x", 0755));
	R(mkdir("f", 0755));
	char longname[300];
	memset(longname, 'n', 256);
	longname[256] = 0;
	R(mkdir(longname, 0755));
	longname[255] = 0;
	R(mkdir(longname, 0755));
	R(rmdir(longname));
	R(mkdir("modes", 07777));
	info("modes");
	R(mkdir("d/sub", 0700));
	info("d");
	info("d/sub");
	info(".");
	sameInode("d/sub/..", "d");
	sameInode("d/sub/../..", ".");

	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	R(mkdirat(dfd, "at", 0755));
	info("d/at");
	R(mkdirat(dfd, "at", 0755));
	int ffd = open("f", O_RDONLY);
	R(mkdirat(ffd, "x", 0755));
	R(mkdirat(999, "x", 0755));
	R(mkdirat(999, "/nonexistent-dir/x", 0755));
	R(unlinkat(dfd, "at", AT_REMOVEDIR));
	close(ffd);
	close(dfd);
	R(rmdir("e"));
	R(rmdir("modes"));
}

static void unlinks(void) {
	putFile("u", "linked");
	R(link("u", "u2"));
	info("u");
	sameInode("u", "u2");
	R(link("u", "u2"));
	R(link("nope", "x"));
	R(link("u/", "x"));
	R(link("u", "x/"));
	R(link("u", "nope/x"));
	R(link("d", "dlink"));
	R(link("u", "."));
	R(link("u", "d/.."));
	R(unlink("u"));
	info("u2");
	R(unlink("d"));
	R(unlink("d/"));
	R(unlink("u2/"));
	R(unlink("nope"));
	R(unlink("nope/"));
	R(unlink("."));
	R(unlink(".."));
	R(unlink(""));
	R(unlink("/"));
	R(unlinkat(AT_FDCWD, "u2", 0x1));
	R(unlinkat(AT_FDCWD, "u2", AT_REMOVEDIR));
	R(unlinkat(AT_FDCWD, "d/sub", 0));

	// An open file outlives its last name.
	int fd = open("u2", O_RDWR);
	R(unlink("u2"));
	struct stat st;
	R(fstat(fd, &st));
	printf("unlinked open file: nlink %ld size %ld\n", (long)st.st_nlink, (long)st.st_size);
	char buf[16] = {0};
	R(pread(fd, buf, sizeof buf, 0));
	printf("still reads: %s\n", buf);
	R(write(fd, "+more", 5));
	R(linkat(fd, "", AT_FDCWD, "revived", AT_EMPTY_PATH));
	close(fd);

	// Hard links to symbolic links, with and without following.
	R(symlink("f", "sl"));
	R(link("sl", "sl2"));
	info("sl2");
	R(linkat(AT_FDCWD, "sl", AT_FDCWD, "sl3", AT_SYMLINK_FOLLOW));
	info("sl3");
	info("f");
	sameInode("sl3", "f");
	R(linkat(AT_FDCWD, "sl", AT_FDCWD, "sl4", 0x1));
	R(linkat(AT_FDCWD, "", AT_FDCWD, "sl4", 0));
	int dfd = open("d", O_RDONLY);
	R(linkat(dfd, "", AT_FDCWD, "dl", AT_EMPTY_PATH));
	close(dfd);
	fd = open("f", O_RDONLY);
	R(linkat(fd, "", AT_FDCWD, "f-again", AT_EMPTY_PATH));
	info("f-again");
	close(fd);
	fd = open("f", O_PATH);
	R(linkat(fd, "", AT_FDCWD, "f-path", AT_EMPTY_PATH));
	close(fd);
	info("f");
	R(unlink("sl2"));
	R(unlink("sl3"));
	R(unlink("f-again"));
	R(unlink("f-path"));
	info("f");
	info("sl");
}

static void rmdirs(void) {
	R(mkdir("r", 0755));
	R(mkdir("r/c", 0755));
	putFile("r/c/file", "x");
	R(rmdir("r"));
	R(rmdir("r/c"));
	R(rmdir("."));
	R(rmdir(".."));
	R(rmdir("r/."));
	R(rmdir("r/c/.."));
	R(rmdir("f"));
	R(rmdir("f/"));
	R(symlink("r", "rl"));
	R(rmdir("rl"));
	R(rmdir("rl/"));
	R(rmdir("nope"));
	R(rmdir("/"));
	R(rmdir(""));
	R(unlink("r/c/file"));
	info("r");
	R(rmdir("r/c/"));
	info("r");
	R(unlink("rl"));

	// The working directory removed under the process.
	R(mkdir("r/gone", 0755));
	R(chdir("r/gone"));
	R(rmdir("../gone"));
	char buf[256];
	R(getcwd(buf, sizeof buf) == NULL);
	printf("getcwd errno: %s\n", strerrorname_np(errno));
	struct stat st;
	R(stat(".", &st));
	printf("removed cwd: nlink %ld size %ld\n", (long)st.st_nlink, (long)st.st_size);
	R(open("new", O_CREAT | O_WRONLY, 0644));
	R(mkdir("newdir", 0755));
	R(symlink("x", "newlink"));
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	R(dfd >= 0);
	char dents[512];
	R(syscall(SYS_getdents64, dfd, dents, sizeof dents));
	close(dfd);
	R(chdir(".."));
	info(".");
	R(chdir(".."));
	R(rmdir("r"));
}

static void renames(void) {
	putFile("ra", "A");
	putFile("rb", "B");
	struct times before = snap("ra");
	struct times dbefore = snap(".");
	tick();
	R(rename("ra", "rb"));
	showFile("rb");
	info("ra");
	changed("rename", "rb", before);
	changed("rename", ".", dbefore);
	R(rename("rb", "rb"));
	R(link("rb", "rc"));
	R(rename("rb", "rc"));
	info("rb");
	info("rc");
	R(unlink("rc"));
	R(rename("nope", "x"));
	R(rename("rb/", "x"));
	R(rename("rb", "x/"));
	R(rename("rb", "nope/x"));
	R(rename(".", "x"));
	R(rename("rb", "."));
	R(rename("rb", ".."));
	R(rename("d/..", "x"));
	R(rename("", "x"));
	R(rename("rb", ""));

	// Directories.
	R(mkdir("p1", 0755));
	R(mkdir("p1/c", 0755));
	R(mkdir("p2", 0755));
	R(mkdir("full", 0755));
	putFile("full/x", "x");
	R(mkdir("empty", 0755));
	R(rename("p1", "p1/c"));
	R(rename("p1", "p1/c/deeper"));
	R(rename("p1/c", "p1/c"));
	R(rename("p1", "full"));
	R(rename("p1", "rb"));
	R(rename("rb", "empty"));
	R(rename("p1/c/", "p2/c/"));
	info("p1");
	info("p2");
	sameInode("p2/c/..", "p2");
	R(rename("p2/c", "empty"));
	info("p2");
	info("empty");
	R(rename("empty", "p2/c"));
	R(rename("p2/c", "p2/c2"));
	R(rename("d", "/proc/x"));
	R(rename("rb", "/dev/oyako-vfs-test"));

	// renameat2.
	putFile("x1", "one");
	putFile("x2", "two");
	R(syscall(SYS_renameat2, AT_FDCWD, "x1", AT_FDCWD, "x2", RENAME_NOREPLACE));
	R(syscall(SYS_renameat2, AT_FDCWD, "x1", AT_FDCWD, "x3", RENAME_NOREPLACE));
	R(syscall(SYS_renameat2, AT_FDCWD, "x3", AT_FDCWD, "x2", RENAME_EXCHANGE));
	showFile("x2");
	showFile("x3");
	R(syscall(SYS_renameat2, AT_FDCWD, "x3", AT_FDCWD, "x4", RENAME_EXCHANGE));
	R(syscall(SYS_renameat2, AT_FDCWD, "x3", AT_FDCWD, "x2", RENAME_EXCHANGE | RENAME_NOREPLACE));
	R(syscall(SYS_renameat2, AT_FDCWD, "x3", AT_FDCWD, "x2", RENAME_EXCHANGE | RENAME_WHITEOUT));
	R(syscall(SYS_renameat2, AT_FDCWD, "x3", AT_FDCWD, "x2", 0x8));
	R(syscall(SYS_renameat2, AT_FDCWD, "x3", AT_FDCWD, "p2", RENAME_EXCHANGE));
	info("x3");
	info("p2");
	info(".");
	sameInode("x3/c2/..", "x3");
	R(syscall(SYS_renameat2, AT_FDCWD, "x3", AT_FDCWD, "p2", RENAME_EXCHANGE));
	R(syscall(SYS_renameat2, AT_FDCWD, "p2", AT_FDCWD, "p2/c2", RENAME_EXCHANGE));
	R(syscall(SYS_renameat2, AT_FDCWD, "p2/c2", AT_FDCWD, "p2", RENAME_EXCHANGE));
	R(syscall(SYS_renameat2, AT_FDCWD, "x3", AT_FDCWD, "x3", RENAME_EXCHANGE));
	R(syscall(SYS_renameat2, AT_FDCWD, "x2", AT_FDCWD, "x5", RENAME_WHITEOUT));
	info("x2");
	info("x5");
	R(unlink("x2"));
	R(renameat(AT_FDCWD, "x5", 999, "x6"));
	int dfd = open("p2", O_RDONLY);
	R(renameat(AT_FDCWD, "x5", dfd, "x6"));
	info("p2/x6");
	R(renameat(dfd, "x6", AT_FDCWD, "x5"));
	close(dfd);
	R(unlink("x3"));
	R(unlink("x5"));
	R(unlink("full/x"));
	R(rmdir("full"));
	R(rmdir("p1"));
	R(rmdir("p2/c2"));
	R(rmdir("p2"));
}

static void symlinks(void) {
	R(symlink("some/target", "s1"));
	info("s1");
	char buf[64];
	long n = readlink("s1", buf, sizeof buf);
	printf("readlink: %.*s\n", (int)n, buf);
	R(symlink("x", "s1"));
	R(symlink("", "s2"));
	R(symlink("x", "s2/"));
	R(symlink("x", "nope/s2"));
	R(symlink("x", "."));
	R(symlink(KERNEL_PTR, "s2"));
	int dfd = open("d", O_RDONLY);
	R(symlinkat("../f", dfd, "up"));
	showFile("d/up");
	R(unlinkat(dfd, "up", 0));
	close(dfd);
	// Creating through a dangling link creates its target.
	R(symlink("made-by-link", "dangling"));
	int fd = open("dangling", O_CREAT | O_WRONLY, 0600);
	R(fd >= 0);
	close(fd);
	info("made-by-link");
	R(unlink("made-by-link"));
	R(open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0600));
	R(open("dangling", O_CREAT | O_WRONLY | O_NOFOLLOW, 0600));
	info("made-by-link");
	R(unlink("dangling"));
	R(unlink("s1"));
	// An open file is named by where it is, not by the links on the way
	// (d_path): /proc/self/fd shows the directory the link leads to.
	R(symlink("d", "dlink"));
	putFile("d/named", "x");
	char cwd[4096], link[4096], want[4200];
	fd = open("dlink/named", O_RDONLY);
	snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
	n = readlink(buf, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof want, "%s/d/named", getcwd(cwd, sizeof cwd));
	ok("file opened through a linked directory is named by its directory", strcmp(link, want) == 0);
	close(fd);
	R(unlink("d/named"));
	R(unlink("dlink"));
}

static int fifoReader = -1;

static void *openFIFOReader(void *arg) {
	(void)arg;
	fifoReader = open("fifo", O_RDONLY);
	return NULL;
}

static void mknods(void) {
	R(mknod("fifo", S_IFIFO | 0644, 0));
	info("fifo");
	R(mknod("reg", S_IFREG | 0600, 0));
	info("reg");
	R(mknod("reg0", 0640, 0));
	info("reg0");
	R(mknod("dir", S_IFDIR | 0755, 0));
	R(mknod("bad", 0170000 | 0644, 0));
	R(mknod("null2", S_IFCHR | 0666, makedev(1, 3)));
	info("null2");
	R(mknod("blk", S_IFBLK | 0600, makedev(7, 0)));
	info("blk");
	R(mknod("sock", S_IFSOCK | 0600, 0));
	info("sock");
	R(mknod("fifo", S_IFIFO | 0644, 0));
	R(mknod("x/", S_IFIFO | 0644, 0));
	R(mknodat(AT_FDCWD, "fifo2", S_IFIFO | 0600, 0));
	int fd = open("null2", O_WRONLY);
	R(write(fd, "gone", 4));
	close(fd);
	R(open("sock", O_RDONLY));
	R(unlink("reg"));
	R(unlink("reg0"));
	R(unlink("null2"));
	R(unlink("blk"));
	R(unlink("sock"));
	R(unlink("fifo2"));

	// fifo(7): opens wait for the other end unless non-blocking.
	R(open("fifo", O_WRONLY | O_NONBLOCK));
	int r = open("fifo", O_RDONLY | O_NONBLOCK);
	R(r >= 0);
	char buf[16];
	R(read(r, buf, sizeof buf));
	int w = open("fifo", O_WRONLY | O_NONBLOCK);
	R(w >= 0);
	R(read(r, buf, sizeof buf));
	R(write(w, "fifo data", 9));
	R(read(r, buf, sizeof buf));
	struct stat st;
	R(fstat(w, &st));
	printf("fifo fstat: fifo %d size %ld\n", S_ISFIFO(st.st_mode), (long)st.st_size);
	R(lseek(r, 0, SEEK_SET));
	close(w);
	R(read(r, buf, sizeof buf));
	close(r);
	int rw = open("fifo", O_RDWR);
	R(rw >= 0);
	R(write(rw, "self", 4));
	R(read(rw, buf, sizeof buf));
	close(rw);
	// Data does not outlive the last open end.
	rw = open("fifo", O_RDWR);
	R(write(rw, "lost", 4));
	close(rw);
	rw = open("fifo", O_RDWR | O_NONBLOCK);
	R(read(rw, buf, sizeof buf));
	close(rw);
	pthread_t th;
	pthread_create(&th, NULL, openFIFOReader, NULL);
	w = open("fifo", O_WRONLY);
	R(w >= 0);
	pthread_join(th, NULL);
	R(fifoReader >= 0);
	R(write(w, "met", 3));
	R(read(fifoReader, buf, sizeof buf));
	close(w);
	close(fifoReader);
	R(truncate("fifo", 0));
	R(unlink("fifo"));
}

static void truncates(void) {
	putFile("t", "0123456789");
	R(truncate("t", 4));
	showFile("t");
	R(truncate("t", 8));
	int fd = open("t", O_RDONLY);
	char buf[16];
	R(read(fd, buf, sizeof buf));
	printf("grown: %.4s %d %d %d %d\n", buf, buf[4], buf[5], buf[6], buf[7]);
	R(ftruncate(fd, 2));
	close(fd);
	R(truncate("t", -1));
	R(truncate("d", 0));
	R(truncate("d/", 0));
	R(truncate("nope", 0));
	R(truncate("t/", 0));
	R(truncate(KERNEL_PTR, 0));
	fd = open("t", O_RDWR);
	R(ftruncate(fd, -1));
	R(ftruncate(fd, 0));
	info("t");
	R(ftruncate(fd, 100000));
	info("t");
	R(pwrite(fd, "x", 1, 5000));
	info("t");
	R(ftruncate(fd, 1));
	info("t");
	close(fd);
	R(ftruncate(999, 0));
	int dfd = open("d", O_RDONLY);
	R(ftruncate(dfd, 0));
	close(dfd);
	fd = open("t", O_PATH);
	R(ftruncate(fd, 0));
	close(fd);
	int p[2];
	R(pipe(p));
	R(ftruncate(p[1], 0));
	close(p[0]);
	close(p[1]);

	// Times: ftruncate sets them even when the size stays; truncate(2)
	// only when it changes; O_TRUNC always.
	struct times before = snap("t");
	tick();
	fd = open("t", O_WRONLY);
	R(ftruncate(fd, 1));
	close(fd);
	changed("ftruncate to the same size", "t", before);
	before = snap("t");
	tick();
	R(truncate("t", 1));
	changed("truncate to the same size", "t", before);
	tick();
	R(truncate("t", 3));
	changed("truncate to a new size", "t", before);
	before = snap("t");
	tick();
	fd = open("t", O_WRONLY | O_TRUNC);
	close(fd);
	changed("O_TRUNC", "t", before);
	before = snap("t");
	tick();
	fd = open("t", O_WRONLY | O_TRUNC);
	close(fd);
	changed("O_TRUNC of an empty file", "t", before);
	before = snap("t");
	tick();
	fd = open("t", O_RDONLY | O_TRUNC);
	close(fd);
	changed("O_TRUNC read-only", "t", before);
	R(unlink("t"));
}

static void modes(void) {
	putFile("m", "mode");
	struct times before = snap("m");
	tick();
	R(chmod("m", 0604));
	owner("m");
	changed("chmod", "m", before);
	R(chmod("m", S_IFDIR | 0640));
	owner("m");
	R(chmod("nope", 0644));
	R(chmod("sl", 0600));
	owner("f");
	info("sl");
	int fd = open("m", O_RDONLY);
	R(fchmod(fd, 0755));
	owner("m");
	close(fd);
	fd = open("m", O_PATH);
	R(fchmod(fd, 0700));
	close(fd);
	R(fchmod(999, 0700));
	R(syscall(SYS_fchmodat, AT_FDCWD, "m", 04711));
	owner("m");
	R(fchmodat(AT_FDCWD, "sl", 0700, AT_SYMLINK_NOFOLLOW));
	R(syscall(452, AT_FDCWD, "sl", 0700, AT_SYMLINK_NOFOLLOW));
	R(syscall(452, AT_FDCWD, "m", 0700, AT_SYMLINK_NOFOLLOW));
	R(syscall(452, AT_FDCWD, "m", 0700, 0x4));
	owner("m");
	fd = open("m", O_RDONLY);
	R(syscall(452, fd, "", 0750, AT_EMPTY_PATH));
	close(fd);
	owner("m");

	// chown: -1 leaves a field alone; it drops set-user-ID, and
	// set-group-ID when the group may execute, from non-directories.
	before = snap("m");
	tick();
	R(chown("m", 1000, 2000));
	owner("m");
	changed("chown", "m", before);
	R(chown("m", -1, 3000));
	owner("m");
	R(chown("m", 4000, -1));
	owner("m");
	R(chmod("m", 06755));
	R(chown("m", -1, -1));
	owner("m");
	R(chmod("m", 06745));
	R(chown("m", 0, 0));
	owner("m");
	R(chmod("d", 06755));
	R(chown("d", 0, 0));
	owner("d");
	R(chmod("d", 0755));
	R(lchown("sl", 5, 6));
	owner("sl");
	owner("f");
	R(chown("sl", 7, 8));
	owner("sl");
	owner("f");
	fd = open("m", O_RDONLY);
	R(fchown(fd, 9, 10));
	R(fchownat(fd, "", 11, 12, AT_EMPTY_PATH));
	R(fchownat(fd, "", 11, 12, 0));
	R(fchownat(AT_FDCWD, "m", 11, 12, 0x1));
	close(fd);
	owner("m");
	R(fchown(999, 0, 0));
	R(chown("nope", 0, 0));

	// New files belong to the creator's file-system IDs, or to a
	// set-group-ID directory's group.
	R(mkdir("open", 0777));
	R(chmod("open", 0777));
	R(setfsuid(1234));
	R(setfsgid(5678));
	putFile("open/mine", "x");
	R(mkdir("open/mydir", 0777));
	R(setfsuid(0));
	R(setfsgid(0));
	owner("open/mine");
	owner("open/mydir");
	R(chown("open", 0, 99));
	R(chmod("open", 02777));
	putFile("open/inherit", "x");
	R(mkdir("open/subdir", 0755));
	owner("open/inherit");
	owner("open/subdir");
	R(unlink("open/mine"));
	R(unlink("open/inherit"));
	R(rmdir("open/mydir"));
	R(rmdir("open/subdir"));
	R(rmdir("open"));
	R(chown("m", 0, 0));
	R(unlink("m"));
}

static void printTimes(const char *path) {
	struct stat st;
	if (lstat(path, &st) != 0) {
		printf("lstat %s: -1 %s\n", path, strerrorname_np(errno));
		return;
	}
	printf("%s: atime %ld.%09ld mtime %ld.%09ld\n", path, (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void utimes_(void) {
	putFile("ut", "times");
	struct timespec ts[2] = {{1000, 5}, {2000, 7}};
	struct times before = snap("ut");
	tick();
	R(utimensat(AT_FDCWD, "ut", ts, 0));
	printTimes("ut");
	changed("utimensat", "ut", before);
	struct timespec omit[2] = {{3000, UTIME_OMIT}, {4000, 0}};
	R(utimensat(AT_FDCWD, "ut", omit, 0));
	printTimes("ut");
	struct timespec bothOmit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	before = snap("ut");
	tick();
	R(utimensat(AT_FDCWD, "ut", bothOmit, 0));
	changed("both UTIME_OMIT", "ut", before);
	struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
	before = snap("ut");
	tick();
	R(utimensat(AT_FDCWD, "ut", now, 0));
	changed("UTIME_NOW atime", "ut", before);
	before = snap("ut");
	tick();
	R(utimensat(AT_FDCWD, "ut", NULL, 0));
	changed("NULL times", "ut", before);
	struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
	R(utimensat(AT_FDCWD, "ut", bad, 0));
	bad[0].tv_nsec = -1;
	R(utimensat(AT_FDCWD, "ut", bad, 0));
	R(utimensat(AT_FDCWD, "ut", ts, 0x1));
	R(utimensat(AT_FDCWD, "nope", ts, 0));
	R(utimensat(AT_FDCWD, "ut", KERNEL_PTR, 0));
	R(utimensat(AT_FDCWD, "sl", ts, AT_SYMLINK_NOFOLLOW));
	printTimes("sl");
	int fd = open("ut", O_RDONLY);
	R(syscall(SYS_utimensat, fd, NULL, ts, 0));
	printTimes("ut");
	R(syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW));
	R(syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0));
	R(syscall(SYS_utimensat, 999, NULL, ts, 0));
	R(utimensat(fd, "", ts, AT_EMPTY_PATH));
	R(futimens(fd, omit));
	printTimes("ut");
	close(fd);
	struct timeval tv[2] = {{10, 20}, {30, 40}};
	R(utimes("ut", tv));
	printTimes("ut");
	tv[0].tv_usec = 1000000;
	R(utimes("ut", tv));
	tv[0].tv_usec = -1;
	R(utimes("ut", tv));
	struct utimbuf ub = {50, 60};
	R(utime("ut", &ub));
	printTimes("ut");
	before = snap("ut");
	tick();
	R(utime("ut", NULL));
	changed("utime NULL", "ut", before);
	int dfd = open(".", O_RDONLY);
	struct timeval tv2[2] = {{70, 80}, {90, 100}};
	R(syscall(SYS_futimesat, dfd, "ut", tv2));
	printTimes("ut");
	close(dfd);
	R(unlink("ut"));
}

static void timestamps(void) {
	struct times dir = snap("d");
	tick();
	putFile("d/tf", "");
	changed("create", "d", dir);
	struct times f = snap("d/tf");
	dir = snap("d");
	tick();
	int fd = open("d/tf", O_RDWR);
	R(write(fd, "abc", 3));
	changed("write", "d/tf", f);
	changed("write", "d", dir);
	f = snap("d/tf");
	tick();
	char buf[8];
	R(pread(fd, buf, sizeof buf, 0));
	changed("read after write", "d/tf", f);
	f = snap("d/tf");
	tick();
	R(write(fd, "", 0));
	changed("empty write", "d/tf", f);
	close(fd);
	f = snap("d/tf");
	dir = snap("d");
	tick();
	R(link("d/tf", "d/tf2"));
	changed("link", "d/tf", f);
	changed("link", "d", dir);
	f = snap("d/tf");
	dir = snap("d");
	tick();
	R(unlink("d/tf2"));
	changed("unlink", "d/tf", f);
	changed("unlink", "d", dir);
	dir = snap("d");
	tick();
	R(mkdir("d/tsub", 0755));
	changed("mkdir", "d", dir);
	dir = snap("d");
	tick();
	R(rmdir("d/tsub"));
	changed("rmdir", "d", dir);
	dir = snap("d");
	tick();
	int dfd = open("d", O_RDONLY);
	char dents[1024];
	R(syscall(SYS_getdents64, dfd, dents, sizeof dents) > 0);
	close(dfd);
	changed("getdents64", "d", dir);
	R(unlink("d/tf"));
	f = snap("sl");
	tick();
	char lbuf[16];
	R(readlink("sl", lbuf, sizeof lbuf));
	changed("readlink", "sl", f);
}

static void allocs(void) {
	int fd = open("fa", O_CREAT | O_RDWR, 0644);
	R(fallocate(fd, 0, 0, 8192));
	info("fa");
	R(fallocate(fd, 0, 4096, 8192));
	info("fa");
	R(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 20000));
	info("fa");
	R(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
	info("fa");
	R(pwrite(fd, "abc", 3, 100));
	R(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 101, 1));
	char buf[4];
	R(pread(fd, buf, 3, 100));
	printf("punched: %c %d %c\n", buf[0], buf[1], buf[2]);
	R(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
	R(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 4096));
	R(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
	R(fallocate(fd, 0x100, 0, 4096));
	R(fallocate(fd, 0, -1, 4096));
	R(fallocate(fd, 0, 0, 0));
	R(fallocate(fd, 0, 0, -1));
	R(fallocate(fd, 0, 0x7fffffffffffffffL, 2));
	R(fsync(fd));
	R(fdatasync(fd));
	R(syncfs(fd));
	close(fd);
	fd = open("fa", O_RDONLY);
	R(fallocate(fd, 0, 0, 4096));
	close(fd);
	int dfd = open("d", O_RDONLY);
	R(fallocate(dfd, 0, 0, 4096));
	R(fsync(dfd));
	close(dfd);
	int p[2];
	R(pipe(p));
	R(fallocate(p[1], 0, 0, 4096));
	R(fsync(p[0]));
	R(fdatasync(p[1]));
	R(syncfs(p[0]));
	close(p[0]);
	close(p[1]);
	fd = open("fa", O_PATH);
	R(fsync(fd));
	R(fallocate(fd, 0, 0, 1));
	close(fd);
	R(fsync(999));
	sync();
	R(unlink("fa"));
}

static void fsinfo(const char *what, long r, struct statfs *s) {
	if (r != 0) {
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: type %#lx bsize %ld frsize %ld namelen %ld valid %d rdonly %d", what, (long)s->f_type, (long)s->f_bsize, (long)s->f_frsize, (long)s->f_namelen, !!(s->f_flags & ST_VALID), !!(s->f_flags & ST_RDONLY));
	printf(" blocks %s files %s\n", s->f_blocks > 0 && s->f_bfree <= s->f_blocks && s->f_bavail <= s->f_bfree ? "sane" : s->f_blocks == 0 ? "zero" : "insane", s->f_files > 0 && s->f_ffree <= s->f_files ? "sane" : s->f_files == 0 ? "zero" : "insane");
}

static void statfses(void) {
	struct statfs s;
	fsinfo("statfs .", statfs(".", &s), &s);
	fsinfo("statfs /proc", statfs("/proc", &s), &s);
	fsinfo("statfs /proc/self", statfs("/proc/self", &s), &s);
	fsinfo("statfs /dev", statfs("/dev", &s), &s);
	fsinfo("statfs /dev/null", statfs("/dev/null", &s), &s);
	fsinfo("statfs nope", statfs("nope", &s), &s);
	R(statfs(".", KERNEL_PTR));
	R(statfs(KERNEL_PTR, &s));
	int p[2];
	pipe(p);
	fsinfo("fstatfs pipe", fstatfs(p[0], &s), &s);
	close(p[0]);
	close(p[1]);
	int e = eventfd(0, 0);
	fsinfo("fstatfs eventfd", fstatfs(e, &s), &s);
	close(e);
	int fd = open("f", O_PATH);
	fsinfo("fstatfs O_PATH", fstatfs(fd, &s), &s);
	close(fd);
	R(fstatfs(999, &s));
}

static void tmpfiles(void) {
	struct times dir = snap(".");
	tick();
	int fd = open(".", O_TMPFILE | O_RDWR, 0640);
	R(fd >= 0);
	changed("O_TMPFILE", ".", dir);
	struct stat st;
	R(fstat(fd, &st));
	printf("tmpfile: reg %d mode %04o nlink %ld\n", S_ISREG(st.st_mode), st.st_mode & 07777, (long)st.st_nlink);
	R(write(fd, "unnamed", 7));
	R(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
	info("named");
	showFile("named");
	R(fstat(fd, &st));
	printf("after linkat: nlink %ld\n", (long)st.st_nlink);
	R(linkat(fd, "", AT_FDCWD, "named2", AT_EMPTY_PATH));
	info("named");
	close(fd);
	R(unlink("named"));
	R(unlink("named2"));
	fd = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600);
	R(fd >= 0);
	R(linkat(fd, "", AT_FDCWD, "never", AT_EMPTY_PATH));
	close(fd);
	fd = open("d", O_TMPFILE | O_WRONLY, 0600);
	R(fd >= 0);
	close(fd);
	R(open("f", O_TMPFILE | O_RDWR, 0600));
	R(open("nope", O_TMPFILE | O_RDWR, 0600));
	R(open(".", O_TMPFILE | O_RDONLY, 0600));
	R(open("/proc", O_TMPFILE | O_RDWR, 0600));
	R(open("sl", O_TMPFILE | O_RDWR, 0600));
}

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

// listing prints a directory's names, sorted.
static void listing(const char *path) {
	DIR *d = opendir(path);
	if (!d) {
		printf("opendir %s: %s\n", path, strerrorname_np(errno));
		return;
	}
	char *names[64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof names[0], cmp);
	printf("%s:", path);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

// removeWhileListing removes every entry of a directory while reading it
// with small getdents64 buffers: each entry is seen once.
static void removeWhileListing(void) {
	R(mkdir("many", 0755));
	char name[32];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "many/entry%02d", i);
		putFile(name, "x");
	}
	int dfd = open("many", O_RDONLY | O_DIRECTORY);
	char dents[128];
	int seen = 0, removed = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, dents, sizeof dents);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *e = (void *)(dents + off);
			off += e->d_reclen;
			seen++;
			if (e->d_name[0] == '.')
				continue;
			if (unlinkat(dfd, e->d_name, 0) == 0)
				removed++;
		}
	}
	close(dfd);
	printf("remove while listing: seen %d removed %d\n", seen, removed);
	info("many");
	R(rmdir("many"));
}

int main(void) {
	umask(022);
	R(mkdir("tmp/vfs", 0755));
	R(chdir("tmp/vfs"));
	mkdirs();
	unlinks();
	rmdirs();
	renames();
	symlinks();
	mknods();
	truncates();
	modes();
	utimes_();
	timestamps();
	allocs();
	statfses();
	tmpfiles();
	removeWhileListing();
	listing(".");
	info(".");
	return 0;
}
