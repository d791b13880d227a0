// Mounts: mount(2) of tmpfs, ramfs, proc and devtmpfs, bind mounts,
// remounts, moves and umount2(2), with their errors; path resolution
// across mount points; what a mount changes (st_dev, EXDEV, EBUSY, EROFS,
// noexec, nodev, nosymfollow, atime policies, tmpfs's size limit); and
// /proc/self/mounts. Natively it runs in a mount namespace of its own
// (the harness unshares one), under the rootfs copy; it prints only the
// mounts below its working directory, with that directory cut off.
#include "check.h"
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

static char cwd[4096];

// mounts prints the lines of /proc/self/mounts for mount points under
// tmp/, relative to the working directory.
static void mounts(const char *when) {
	char prefix[4200];
	snprintf(prefix, sizeof prefix, "%s/tmp/", strcmp(cwd, "/") ? cwd : "");
	FILE *f = fopen("/proc/self/mounts", "r");
	if (!f) {
		printf("fopen /proc/self/mounts: %s\n", strerrorname_np(errno));
		return;
	}
	printf("mounts %s:\n", when);
	char line[8192], src[4096], dir[4096], type[256], opts[4096];
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%4095s %4095s %255s %4095s", src, dir, type, opts) != 4)
			continue;
		if (strncmp(dir, prefix, strlen(prefix)) == 0)
			printf("  %s tmp/%s %s %s\n", src, dir + strlen(prefix), type, opts);
	}
	fclose(f);
}

// mountedOn says whether path (under tmp/) is a mount point, from
// /proc/self/mounts, without showing the line: its source and options
// depend on the file system the program runs on.
static void mountedOn(const char *path) {
	char want[4200], line[8192], src[4096], dir[4096];
	snprintf(want, sizeof want, "%s/%s", strcmp(cwd, "/") ? cwd : "", path);
	FILE *f = fopen("/proc/self/mounts", "r");
	int found = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "%4095s %4095s", src, dir) == 2 && !strcmp(dir, want))
			found = 1;
	if (f)
		fclose(f);
	printf("%s is %sa mount point\n", path, found ? "" : "not ");
}

static void fsinfo(const char *path) {
	struct statfs s;
	if (statfs(path, &s) != 0) {
		printf("statfs %s: -1 %s\n", path, strerrorname_np(errno));
		return;
	}
	printf("statfs %s: type %#lx flags %#lx", path, (long)s.f_type, (long)s.f_flags);
	if (s.f_type == 0x01021994 && s.f_blocks < 1000)
		printf(" blocks %ld free %ld", (long)s.f_blocks, (long)s.f_bfree);
	printf("\n");
}

static void info(const char *path) {
	struct stat st;
	if (lstat(path, &st) != 0) {
		printf("lstat %s: -1 %s\n", path, strerrorname_np(errno));
		return;
	}
	printf("%s: mode %06o nlink %ld size %ld uid %u\n", path, st.st_mode, (long)st.st_nlink, (long)st.st_size, st.st_uid);
}

static void same(const char *a, const char *b) {
	struct stat x, y;
	if (stat(a, &x) != 0 || stat(b, &y) != 0) {
		printf("%s vs %s: missing\n", a, b);
		return;
	}
	printf("%s vs %s: %s device, %s inode\n", a, b, x.st_dev == y.st_dev ? "same" : "other", x.st_ino == y.st_ino && x.st_dev == y.st_dev ? "same" : "other");
}

static long atimeChanges(const char *path) {
	struct stat a, b;
	char buf[8];
	int fd = open(path, O_RDONLY);
	stat(path, &a);
	tick();
	read(fd, buf, sizeof buf);
	close(fd);
	stat(path, &b);
	return a.st_atim.tv_sec != b.st_atim.tv_sec || a.st_atim.tv_nsec != b.st_atim.tv_nsec;
}

static void atimes(const char *opts, unsigned long flags) {
	R(mount("t3", "tmp/m2", "tmpfs", flags, NULL));
	putFile("tmp/m2/f", "data");
	tick();
	long first = atimeChanges("tmp/m2/f");
	long second = atimeChanges("tmp/m2/f");
	printf("atime with %s: first read %s, second read %s\n", opts, first ? "changes it" : "leaves it", second ? "changes it" : "leaves it");
	R(umount("tmp/m2"));
}

int main(void) {
	if (!getcwd(cwd, sizeof cwd))
		return 1;
	R(mkdir("tmp/m1", 0755));
	R(mkdir("tmp/m2", 0755));
	R(mkdir("tmp/m3", 0755));
	putFile("tmp/under", "under");
	putFile("tmp/m1/hidden", "hidden");

	// A new tmpfs, its options, and crossing into and out of it.
	R(mount("t1", "tmp/m1", "tmpfs", 0, "size=64k,mode=0750"));
	info("tmp/m1");
	fsinfo("tmp/m1");
	same("tmp/m1", "tmp");
	same("tmp/m1/..", "tmp");
	same("tmp/m1/../m1", "tmp/m1");
	info("tmp/m1/hidden");
	mounts("after mounting t1");
	R(mkdir("tmp/m1/d", 0755));
	R(chdir("tmp/m1/d"));
	char buf[4096];
	ok("getcwd inside the mount ends in /tmp/m1/d", getcwd(buf, sizeof buf) && strlen(buf) >= 9 && !strcmp(buf + strlen(buf) - 9, "/tmp/m1/d"));
	R(chdir("../.."));
	same(".", "../tmp");
	R(chdir(".."));

	// What a mount point and a mount boundary forbid.
	putFile("tmp/m1/file", "in t1");
	R(rename("tmp/m1/file", "tmp/file"));
	R(link("tmp/m1/file", "tmp/file"));
	R(rename("tmp/under", "tmp/m1/under"));
	R(rmdir("tmp/m1"));
	R(unlink("tmp/m1"));
	R(rename("tmp/m1", "tmp/m9"));
	R(rename("tmp/m3", "tmp/m1"));
	R(rmdir("tmp/m1/."));

	// tmpfs's size limit: 64k is 16 pages.
	int fd = open("tmp/m1/big", O_CREAT | O_WRONLY, 0644);
	static char big[100000];
	R(write(fd, big, sizeof big));
	R(write(fd, big, 10));
	fsinfo("tmp/m1");
	R(ftruncate(fd, 4096));
	fsinfo("tmp/m1");
	R(fallocate(fd, 0, 0, 1 << 20));
	close(fd);
	R(unlink("tmp/m1/big"));
	fsinfo("tmp/m1");

	// Mounts stack; the one on top is seen.
	R(mount("t2", "tmp/m1", "tmpfs", 0, NULL));
	info("tmp/m1");
	info("tmp/m1/file");
	mounts("stacked");
	R(umount("tmp/m1"));
	showFile("tmp/m1/file");

	// proc, ramfs and devtmpfs.
	R(mount("p1", "tmp/m2", "proc", 0, NULL));
	fsinfo("tmp/m2");
	R(access("tmp/m2/self", F_OK));
	R(access("tmp/m2/filesystems", R_OK));
	R(umount("tmp/m2"));
	R(mount("r1", "tmp/m2", "ramfs", 0, "mode=700,size=1k"));
	info("tmp/m2");
	R(mkdir("tmp/m2/sub", 0755));
	info("tmp/m2");
	fsinfo("tmp/m2");
	mounts("with ramfs");
	R(rmdir("tmp/m2/sub"));
	R(umount("tmp/m2"));
	R(mount("dev", "tmp/m2", "devtmpfs", 0, NULL));
	info("tmp/m2/null");
	fsinfo("tmp/m2");
	R(umount("tmp/m2"));

	// Busy mounts: an open file, a working directory, a mount below.
	fd = open("tmp/m1/file", O_RDONLY);
	R(umount("tmp/m1"));
	close(fd);
	R(chdir("tmp/m1"));
	R(umount("."));
	R(chdir("../.."));
	R(mount("t4", "tmp/m1/d", "tmpfs", 0, NULL));
	R(umount("tmp/m1"));
	R(umount("tmp/m1/d"));
	R(umount("tmp"));
	R(umount("tmp/nope"));
	R(umount2("tmp/m1", 0x100));
	R(umount2("tmp/m1", MNT_EXPIRE | MNT_DETACH));

	// Remounting read-only, then read-write.
	R(mount(NULL, "tmp/m1", NULL, MS_REMOUNT | MS_RDONLY, NULL));
	fsinfo("tmp/m1");
	mounts("read-only");
	R(open("tmp/m1/new", O_CREAT | O_WRONLY, 0644));
	R(open("tmp/m1/file", O_WRONLY));
	R(open("tmp/m1/file", O_RDONLY | O_TRUNC));
	fd = open("tmp/m1/file", O_RDONLY);
	R(fd >= 0);
	close(fd);
	R(mkdir("tmp/m1/x", 0755));
	R(unlink("tmp/m1/file"));
	R(rmdir("tmp/m1/d"));
	R(rename("tmp/m1/file", "tmp/m1/file2"));
	R(symlink("x", "tmp/m1/sl"));
	R(mknod("tmp/m1/fifo", S_IFIFO | 0644, 0));
	R(link("tmp/m1/file", "tmp/m1/file2"));
	R(chmod("tmp/m1/file", 0600));
	R(chown("tmp/m1/file", 1, 1));
	R(utimensat(AT_FDCWD, "tmp/m1/file", NULL, 0));
	R(truncate("tmp/m1/file", 0));
	R(open("tmp/m1", O_TMPFILE | O_RDWR, 0600));
	R(access("tmp/m1/file", W_OK));
	R(mount(NULL, "tmp/m1", NULL, MS_REMOUNT, "size=1m"));
	fsinfo("tmp/m1");
	mounts("read-write again");
	R(mount(NULL, "tmp/m1/d", NULL, MS_REMOUNT, NULL));
	R(mount(NULL, "tmp", NULL, MS_REMOUNT, NULL));

	// Bind mounts: the same files, another mount.
	R(mount("tmp/m1", "tmp/m3", NULL, MS_BIND, NULL));
	same("tmp/m3", "tmp/m1");
	same("tmp/m3/file", "tmp/m1/file");
	R(rename("tmp/m1/file", "tmp/m3/file2"));
	R(link("tmp/m1/file", "tmp/m3/file2"));
	R(mount(NULL, "tmp/m3", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	R(mkdir("tmp/m3/x", 0755));
	R(mkdir("tmp/m1/x", 0755));
	info("tmp/m3/x");
	mounts("bound");
	R(umount("tmp/m3"));
	R(mount("tmp/m1/x", "tmp/m3", NULL, MS_BIND, NULL));
	same("tmp/m3", "tmp/m1/x");
	same("tmp/m3/..", "tmp");
	R(umount("tmp/m3"));
	putFile("tmp/f1", "first");
	putFile("tmp/f2", "second");
	R(mount("tmp/f1", "tmp/f2", NULL, MS_BIND, NULL));
	showFile("tmp/f2");
	R(unlink("tmp/f2"));
	mountedOn("tmp/f2");
	R(mount("tmp/f1", "tmp/m3", NULL, MS_BIND, NULL));
	R(mount("tmp/m1", "tmp/f2", NULL, MS_BIND, NULL));
	R(umount("tmp/f2"));
	R(mount("tmp/nope", "tmp/m3", NULL, MS_BIND, NULL));
	// A recursive bind brings the mounts below along.
	R(mount("t5", "tmp/m1/d", "tmpfs", 0, NULL));
	putFile("tmp/m1/d/deep", "deep");
	R(mount("tmp/m1", "tmp/m3", NULL, MS_BIND | MS_REC, NULL));
	showFile("tmp/m3/d/deep");
	mounts("recursively bound");
	R(umount("tmp/m3/d"));
	R(umount("tmp/m3"));
	R(umount("tmp/m1/d"));

	// Moving a mount.
	R(mount("tmp/m1", "tmp/m2", NULL, MS_MOVE, NULL));
	showFile("tmp/m2/file");
	info("tmp/m1/hidden");
	R(mount("tmp/m2", "tmp/m2/d", NULL, MS_MOVE, NULL));
	R(mount("tmp", "tmp/m3", NULL, MS_MOVE, NULL));
	R(mount("tmp/m2", "tmp/m1", NULL, MS_MOVE, NULL));
	mounts("moved back");

	// A lazy unmount leaves open files and directories working.
	fd = open("tmp/m1/file", O_RDONLY);
	int dfd = open("tmp/m1/d", O_RDONLY | O_DIRECTORY);
	R(umount2("tmp/m1", MNT_DETACH));
	info("tmp/m1/hidden");
	R(read(fd, buf, 5));
	printf("read after detach: %.5s\n", buf);
	R(openat(dfd, "../file", O_RDONLY) >= 0);
	R(fchdir(dfd));
	R(getcwd(buf, sizeof buf) != NULL);
	printf("getcwd errno: %s\n", strerrorname_np(errno));
	R(chdir(cwd));
	close(fd);
	close(dfd);
	mounts("detached");

	// Errors of mount(2).
	R(mount("x", "tmp/m1", "nosuchfs", 0, NULL));
	R(mount("x", "tmp/nope", "tmpfs", 0, NULL));
	R(mount("x", "tmp/under", "tmpfs", 0, NULL));
	R(mount("x", "tmp/m1", "tmpfs", 0, "bogus"));
	R(mount("x", "tmp/m1", "tmpfs", 0, "size=lots"));
	R(mount("x", "tmp/m1", NULL, 0, NULL));
	R(mount("x", "tmp/m1", "tmpfs", MS_NOUSER, NULL));
	R(mount("x", KERNEL_PTR, "tmpfs", 0, NULL));
	R(mount("x", "tmp/m1", KERNEL_PTR, 0, NULL));

	// Mount flags: read-only, noexec, nodev, nosymfollow, atime.
	R(mount("t6", "tmp/m1", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
	mounts("with flags");
	fsinfo("tmp/m1");
	R(mkdir("tmp/m1/x", 0755));
	R(umount("tmp/m1"));
	R(mount("t7", "tmp/m1", "tmpfs", MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW, NULL));
	putFile("tmp/m1/script", "#!/bin/sh\n");
	R(chmod("tmp/m1/script", 0755));
	char *argv[] = {"script", NULL};
	R(execve("tmp/m1/script", argv, argv + 1));
	R(mknod("tmp/m1/null", S_IFCHR | 0666, makedev(1, 3)));
	R(open("tmp/m1/null", O_WRONLY));
	R(symlink("script", "tmp/m1/link"));
	R(open("tmp/m1/link", O_RDONLY));
	R(readlink("tmp/m1/link", buf, sizeof buf));
	R(umount("tmp/m1"));
	atimes("relatime (the default)", 0);
	atimes("strictatime", MS_STRICTATIME);
	atimes("noatime", MS_NOATIME);

	mounts("at the end");
	R(unlink("tmp/under"));
	R(unlink("tmp/f1"));
	R(unlink("tmp/f2"));
	R(unlink("tmp/m1/hidden"));
	R(rmdir("tmp/m1"));
	R(rmdir("tmp/m2"));
	R(rmdir("tmp/m3"));
	return 0;
}
