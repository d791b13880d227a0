// uring_fs: io_uring's file-system opcodes (liburing 2.3), each the
// operation of a system call, as Linux's io_uring/openclose.c, fs.c,
// statx.c, sync.c, advise.c, splice.c, epoll.c, rsrc.c and msg_ring.c
// have them: OPENAT, OPENAT2 (struct open_how and RESOLVE_ flags),
// CLOSE (of a descriptor and of a fixed-file slot), STATX, MKDIRAT,
// SYMLINKAT, LINKAT, RENAMEAT, UNLINKAT, FSYNC, SYNC_FILE_RANGE,
// FALLOCATE, FADVISE, MADVISE, SPLICE, TEE, EPOLL_CTL, FILES_UPDATE on
// registered files (with OPENAT into a slot and I/O through it) and
// MSG_RING between two rings; each with the errors Linux gives; and the
// system calls openat2, fadvise64 and sync_file_range themselves.
//
// Paths are relative to the working directory (tmp/ of the rootfs).
// Descriptor numbers are printed only as "a descriptor".
#include "check.h"
#include "uring.h"
#include <linux/openat2.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>

// go submits the one prepared SQE and returns its CQE's result.
static int go(void) {
	submit(1);
	return next_cqe().res;
}

// fixed marks the last prepared SQE's descriptor as a fixed-file slot.
static void fixed(struct io_uring_sqe *s) { io_uring_sqe_set_flags(s, IOSQE_FIXED_FILE); }

// flags_of prints the access mode, O_APPEND, O_NONBLOCK and
// close-on-exec of a descriptor.
static void flags_of(const char *what, int fd) {
	int fl = fcntl(fd, F_GETFL);
	printf("%s: %s%s%s, FD_CLOEXEC %d\n", what,
	       (fl & O_ACCMODE) == O_RDONLY	? "O_RDONLY"
	       : (fl & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
					      : "O_RDWR",
	       fl & O_APPEND ? "|O_APPEND" : "", fl & O_NONBLOCK ? "|O_NONBLOCK" : "", fcntl(fd, F_GETFD));
}

// lstat_of prints a path's type, permissions, links and size.
static void lstat_of(const char *path) {
	struct stat st;
	if (lstat(path, &st) < 0) {
		printf("  lstat %s: %s\n", path, strerrorname_np(errno));
		return;
	}
	const char *type = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "symlink" : "other";
	printf("  %s: %s %04o, links %lu", path, type, st.st_mode & 07777, (unsigned long)st.st_nlink);
	if (!S_ISDIR(st.st_mode))
		printf(", size %ld", (long)st.st_size);
	printf("\n");
}

// read_at prints n bytes of fd at off (pread).
static void read_at(const char *what, int fd, off_t off, size_t n) {
	char buf[128];
	long r = pread(fd, buf, n < sizeof buf ? n : sizeof buf, off);
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else {
		printf("%s: %ld \"", what, r);
		for (long i = 0; i < r; i++)
			putchar(buf[i] ? buf[i] : '.');
		printf("\"\n");
	}
}

// D is the directory the program works in.
#define D "tmp/uring_fs"

// cleanup removes what an earlier run may have left.
static void cleanup(void) {
	const char *files[] = {D "/a", D "/b", D "/c", D "/h", D "/h2", D "/s", D "/s2", D "/hs", D "/x", D "/d/f", D "/new"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		unlink(files[i]);
	rmdir(D "/d/e");
	rmdir(D "/d");
	rmdir(D "/d2");
	rmdir(D);
}

static void opens(void) {
	printf("-- OPENAT\n");
	io_uring_prep_openat(get(), AT_FDCWD, D "/a", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640);
	int fd = run_fd("OPENAT O_CREAT|O_EXCL|O_RDWR|O_CLOEXEC 0640");
	flags_of("  its flags", fd);
	lstat_of(D "/a");
	show("  write(2) \"hello\"", write(fd, "hello", 5));
	io_uring_prep_openat(get(), AT_FDCWD, D "/a", O_CREAT | O_EXCL | O_RDWR, 0640);
	run("OPENAT O_EXCL of an existing file");
	io_uring_prep_openat(get(), AT_FDCWD, D "/a", O_WRONLY | O_APPEND | O_NONBLOCK, 0);
	int fd2 = run_fd("OPENAT O_WRONLY|O_APPEND|O_NONBLOCK");
	flags_of("  its flags", fd2);
	close(fd2);
	int dir = open(D, O_RDONLY | O_DIRECTORY);
	io_uring_prep_openat(get(), dir, "a", O_RDONLY, 0);
	fd2 = run_fd("OPENAT \"a\" relative to a directory descriptor");
	read_at("  pread", fd2, 0, 16);
	close(fd2);
	io_uring_prep_openat(get(), AT_FDCWD, D "/missing/a", O_CREAT | O_RDWR, 0640);
	run("OPENAT in a missing directory");
	io_uring_prep_openat(get(), AT_FDCWD, D "/a", O_RDONLY | O_DIRECTORY, 0);
	run("OPENAT O_DIRECTORY of a file");
	io_uring_prep_openat(get(), AT_FDCWD, D "/a/b", O_RDONLY, 0);
	run("OPENAT through a file");
	io_uring_prep_openat(get(), AT_FDCWD, D, O_WRONLY, 0);
	run("OPENAT O_WRONLY of a directory");
	io_uring_prep_openat(get(), AT_FDCWD, D, O_TMPFILE | O_RDONLY, 0600);
	run("OPENAT O_TMPFILE|O_RDONLY");
	io_uring_prep_openat(get(), AT_FDCWD, KERNEL_PTR, O_RDONLY, 0);
	run("OPENAT of a kernel address");
	io_uring_prep_openat(get(), AT_FDCWD, "", O_RDONLY, 0);
	run("OPENAT of \"\"");
	io_uring_prep_openat(get(), 999, "a", O_RDONLY, 0);
	run("OPENAT relative to descriptor 999");
	io_uring_prep_openat(get(), fd, "a", O_RDONLY, 0);
	run("OPENAT relative to a file");
	struct io_uring_sqe *s = get();
	io_uring_prep_openat(s, AT_FDCWD, D "/a", O_RDONLY, 0);
	fixed(s);
	run("OPENAT with IOSQE_FIXED_FILE");

	printf("-- OPENAT2\n");
	symlink("a", D "/s");
	struct open_how how = {.flags = O_RDONLY, .resolve = 0};
	io_uring_prep_openat2(get(), dir, "s", &how);
	fd2 = run_fd("OPENAT2 through a symlink");
	close(fd2);
	how.resolve = RESOLVE_NO_SYMLINKS;
	io_uring_prep_openat2(get(), dir, "s", &how);
	run("OPENAT2 RESOLVE_NO_SYMLINKS through a symlink");
	io_uring_prep_openat2(get(), dir, "a", &how);
	fd2 = run_fd("OPENAT2 RESOLVE_NO_SYMLINKS of the file");
	close(fd2);
	how.flags = O_RDONLY | O_NOFOLLOW | O_PATH;
	io_uring_prep_openat2(get(), dir, "s", &how);
	fd2 = run_fd("OPENAT2 RESOLVE_NO_SYMLINKS O_PATH|O_NOFOLLOW of the symlink");
	if (fd2 >= 0)
		close(fd2);
	how.flags = O_RDONLY;
	how.resolve = RESOLVE_BENEATH;
	io_uring_prep_openat2(get(), dir, "a", &how);
	fd2 = run_fd("OPENAT2 RESOLVE_BENEATH \"a\"");
	close(fd2);
	io_uring_prep_openat2(get(), dir, "../uring_fs/a", &how);
	run("OPENAT2 RESOLVE_BENEATH \"../uring_fs/a\"");
	io_uring_prep_openat2(get(), dir, "/tmp", &how);
	run("OPENAT2 RESOLVE_BENEATH \"/tmp\"");
	symlink("../uring_fs/a", D "/s2");
	io_uring_prep_openat2(get(), dir, "s2", &how);
	run("OPENAT2 RESOLVE_BENEATH through a symlink that leaves");
	how.resolve = RESOLVE_IN_ROOT;
	io_uring_prep_openat2(get(), dir, "/a", &how);
	fd2 = run_fd("OPENAT2 RESOLVE_IN_ROOT \"/a\"");
	read_at("  pread", fd2, 0, 16);
	close(fd2);
	io_uring_prep_openat2(get(), dir, "../../../a", &how);
	fd2 = run_fd("OPENAT2 RESOLVE_IN_ROOT \"../../../a\"");
	close(fd2);
	how.flags = O_CREAT | O_WRONLY;
	how.mode = 0600;
	how.resolve = RESOLVE_BENEATH;
	io_uring_prep_openat2(get(), dir, "b", &how);
	fd2 = run_fd("OPENAT2 O_CREAT 0600 RESOLVE_BENEATH \"b\"");
	close(fd2);
	lstat_of(D "/b");

	printf("-- OPENAT2 errors\n");
	how = (struct open_how){.flags = O_RDONLY, .resolve = 0x80};
	io_uring_prep_openat2(get(), dir, "a", &how);
	run("OPENAT2 resolve 0x80");
	how = (struct open_how){.flags = 1ULL << 40};
	io_uring_prep_openat2(get(), dir, "a", &how);
	run("OPENAT2 flags bit 40");
	how = (struct open_how){.flags = O_RDONLY, .mode = 0644};
	io_uring_prep_openat2(get(), dir, "a", &how);
	run("OPENAT2 mode without O_CREAT");
	how = (struct open_how){.flags = O_CREAT | O_RDWR, .mode = 010000};
	io_uring_prep_openat2(get(), dir, "c", &how);
	run("OPENAT2 mode 010000");
	how = (struct open_how){.flags = O_RDONLY, .resolve = RESOLVE_BENEATH | RESOLVE_IN_ROOT};
	io_uring_prep_openat2(get(), dir, "a", &how);
	run("OPENAT2 RESOLVE_BENEATH|RESOLVE_IN_ROOT");
	how = (struct open_how){.flags = O_RDONLY};
	s = get();
	io_uring_prep_openat2(s, dir, "a", &how);
	s->len = 16;
	run("OPENAT2 with size 16");
	struct {
		struct open_how how;
		uint64_t extra;
	} big = {{.flags = O_RDONLY}, 0};
	s = get();
	io_uring_prep_openat2(s, dir, "a", &big.how);
	s->len = sizeof big;
	fd2 = run_fd("OPENAT2 with size 32, zero tail");
	close(fd2);
	big.extra = 1;
	s = get();
	io_uring_prep_openat2(s, dir, "a", &big.how);
	s->len = sizeof big;
	run("OPENAT2 with size 32, non-zero tail");
	io_uring_prep_openat2(get(), dir, "a", KERNEL_PTR);
	run("OPENAT2 with a kernel open_how");
	close(dir);
	close(fd);
}

// The system calls behind OPENAT2, FADVISE and SYNC_FILE_RANGE, and
// where they differ from the opcodes: openat2(2) refuses a struct larger
// than a page, which IORING_OP_OPENAT2 reads whatever its size.
static void system_calls(void) {
	printf("-- openat2, fadvise64 and sync_file_range as system calls\n");
	int dir = open(D, O_RDONLY | O_DIRECTORY);
	struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_NO_SYMLINKS};
	long fd = syscall(SYS_openat2, dir, "a", &how, sizeof how);
	printf("openat2 RESOLVE_NO_SYMLINKS \"a\": %s\n", fd >= 0 ? "a descriptor" : strerrorname_np(errno));
	if (fd >= 0)
		close(fd);
	RAW(SYS_openat2, dir, "s", &how, sizeof how);
	how.resolve = RESOLVE_BENEATH;
	RAW(SYS_openat2, dir, "../uring_fs/a", &how, sizeof how);
	RAW(SYS_openat2, dir, "a", &how, 8);
	static char page[8192];
	memcpy(page, &how, sizeof how);
	fd = syscall(SYS_openat2, dir, "a", page, 4096);
	printf("openat2 with size 4096: %s\n", fd >= 0 ? "a descriptor" : strerrorname_np(errno));
	if (fd >= 0)
		close(fd);
	RAW(SYS_openat2, dir, "a", page, 4097);
	struct io_uring_sqe *s = get();
	io_uring_prep_openat2(s, dir, "a", (struct open_how *)page);
	s->len = 4097;
	fd = go();
	printf("OPENAT2 with size 4097: %s\n", fd >= 0 ? "a descriptor" : res_name(fd));
	if (fd >= 0)
		close(fd);
	how = (struct open_how){.flags = O_PATH | O_RDWR};
	RAW(SYS_openat2, dir, "a", &how, sizeof how);
	fd = openat(dir, "a", O_PATH | O_RDWR);
	printf("openat O_PATH|O_RDWR (the extra flag is dropped): %s\n", fd >= 0 ? "a descriptor" : strerrorname_np(errno));
	if (fd >= 0)
		close(fd);
	how = (struct open_how){.flags = O_RDONLY | O_CREAT, .resolve = RESOLVE_CACHED};
	RAW(SYS_openat2, dir, "a", &how, sizeof how);
	how = (struct open_how){.flags = O_RDONLY, .resolve = RESOLVE_CACHED};
	fd = syscall(SYS_openat2, dir, "a", &how, sizeof how);
	printf("openat2 RESOLVE_CACHED: %s\n", fd >= 0 ? "a descriptor" : strerrorname_np(errno));
	int p[2];
	if (pipe(p) < 0)
		show("pipe", -1);
	RAW(SYS_fadvise64, fd, 0, 100, POSIX_FADV_WILLNEED);
	RAW(SYS_fadvise64, fd, 0, -1L, POSIX_FADV_WILLNEED);
	RAW(SYS_fadvise64, fd, 0, 100, 6);
	RAW(SYS_fadvise64, p[0], 0, 100, POSIX_FADV_WILLNEED);
	RAW(SYS_fadvise64, 999, 0, 100, POSIX_FADV_WILLNEED);
	RAW(SYS_sync_file_range, fd, 0, 100, SYNC_FILE_RANGE_WRITE);
	RAW(SYS_sync_file_range, fd, 0, 100, 8);
	RAW(SYS_sync_file_range, fd, -1L, 100, 0);
	RAW(SYS_sync_file_range, fd, 0x7fffffffffffff00L, 0x1000, 0);
	RAW(SYS_sync_file_range, p[1], 0, 100, 0);
	RAW(SYS_sync_file_range, 999, 0, 100, 0);
	close(p[0]);
	close(p[1]);
	if (fd >= 0)
		close(fd);
	close(dir);
}

static void statxs(void) {
	printf("-- STATX\n");
	struct statx stx;
	memset(&stx, 0, sizeof stx);
	io_uring_prep_statx(get(), AT_FDCWD, D "/a", 0, STATX_BASIC_STATS, &stx);
	run("STATX of the file");
	printf("  type file %d, mode %04o, nlink %u, size %llu, mask has BASIC_STATS %d\n", S_ISREG(stx.stx_mode),
	       stx.stx_mode & 07777, stx.stx_nlink, (unsigned long long)stx.stx_size,
	       (stx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
	memset(&stx, 0, sizeof stx);
	io_uring_prep_statx(get(), AT_FDCWD, D "/s", AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, &stx);
	run("STATX AT_SYMLINK_NOFOLLOW of the symlink");
	printf("  type symlink %d, size %llu\n", S_ISLNK(stx.stx_mode), (unsigned long long)stx.stx_size);
	io_uring_prep_statx(get(), AT_FDCWD, D "/s", 0, STATX_TYPE | STATX_SIZE, &stx);
	run("STATX through the symlink");
	printf("  type file %d, size %llu\n", S_ISREG(stx.stx_mode), (unsigned long long)stx.stx_size);
	int fd = open(D "/a", O_RDONLY);
	memset(&stx, 0, sizeof stx);
	io_uring_prep_statx(get(), fd, "", AT_EMPTY_PATH, STATX_SIZE, &stx);
	run("STATX AT_EMPTY_PATH of a descriptor");
	printf("  size %llu\n", (unsigned long long)stx.stx_size);
	io_uring_prep_statx(get(), AT_FDCWD, D "/missing", 0, STATX_SIZE, &stx);
	run("STATX of a missing file");
	io_uring_prep_statx(get(), AT_FDCWD, D "/a", 0x80000000, STATX_SIZE, &stx);
	run("STATX flags 0x80000000");
	io_uring_prep_statx(get(), AT_FDCWD, D "/a", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_SIZE, &stx);
	run("STATX FORCE_SYNC|DONT_SYNC");
	io_uring_prep_statx(get(), AT_FDCWD, D "/a", 0, STATX__RESERVED, &stx);
	run("STATX mask STATX__RESERVED");
	io_uring_prep_statx(get(), AT_FDCWD, D "/a", 0, STATX_SIZE, KERNEL_PTR);
	run("STATX into a kernel address");
	io_uring_prep_statx(get(), fd, "", 0, STATX_SIZE, &stx);
	run("STATX of \"\" without AT_EMPTY_PATH");
	close(fd);
}

static void names(void) {
	printf("-- MKDIRAT\n");
	io_uring_prep_mkdirat(get(), AT_FDCWD, D "/d", 0750);
	run("MKDIRAT d 0750");
	lstat_of(D "/d");
	io_uring_prep_mkdirat(get(), AT_FDCWD, D "/d", 0750);
	run("MKDIRAT d again");
	io_uring_prep_mkdirat(get(), AT_FDCWD, D "/missing/d", 0750);
	run("MKDIRAT in a missing directory");
	io_uring_prep_mkdirat(get(), AT_FDCWD, D "/a/d", 0750);
	run("MKDIRAT under a file");
	io_uring_prep_mkdirat(get(), AT_FDCWD, KERNEL_PTR, 0750);
	run("MKDIRAT of a kernel address");

	printf("-- SYMLINKAT\n");
	io_uring_prep_symlinkat(get(), "d/f", AT_FDCWD, D "/x");
	run("SYMLINKAT x -> d/f");
	lstat_of(D "/x");
	char t[64];
	long n = readlink(D "/x", t, sizeof t);
	printf("  readlink: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), t);
	io_uring_prep_symlinkat(get(), "a", AT_FDCWD, D "/x");
	run("SYMLINKAT x again");
	io_uring_prep_symlinkat(get(), "", AT_FDCWD, D "/s3");
	run("SYMLINKAT to \"\"");
	io_uring_prep_symlinkat(get(), KERNEL_PTR, AT_FDCWD, D "/s3");
	run("SYMLINKAT to a kernel address");

	printf("-- LINKAT\n");
	io_uring_prep_linkat(get(), AT_FDCWD, D "/a", AT_FDCWD, D "/h", 0);
	run("LINKAT a h");
	lstat_of(D "/a");
	io_uring_prep_linkat(get(), AT_FDCWD, D "/s", AT_FDCWD, D "/hs", 0);
	run("LINKAT of the symlink s");
	lstat_of(D "/hs");
	unlink(D "/hs");
	io_uring_prep_linkat(get(), AT_FDCWD, D "/s", AT_FDCWD, D "/hs", AT_SYMLINK_FOLLOW);
	run("LINKAT AT_SYMLINK_FOLLOW of s");
	lstat_of(D "/hs");
	unlink(D "/hs");
	io_uring_prep_linkat(get(), AT_FDCWD, D "/a", AT_FDCWD, D "/h", 0);
	run("LINKAT a h again");
	io_uring_prep_linkat(get(), AT_FDCWD, D "/missing", AT_FDCWD, D "/h3", 0);
	run("LINKAT of a missing file");
	io_uring_prep_linkat(get(), AT_FDCWD, D "/d", AT_FDCWD, D "/h3", 0);
	run("LINKAT of a directory");
	io_uring_prep_linkat(get(), AT_FDCWD, D "/a", AT_FDCWD, D "/h3", 0x1);
	run("LINKAT flags 0x1");

	printf("-- RENAMEAT\n");
	io_uring_prep_renameat(get(), AT_FDCWD, D "/h", AT_FDCWD, D "/h2", 0);
	run("RENAMEAT h h2");
	lstat_of(D "/h");
	lstat_of(D "/h2");
	putFile(D "/c", "cc");
	io_uring_prep_renameat(get(), AT_FDCWD, D "/c", AT_FDCWD, D "/h2", RENAME_NOREPLACE);
	run("RENAMEAT RENAME_NOREPLACE c h2");
	io_uring_prep_renameat(get(), AT_FDCWD, D "/c", AT_FDCWD, D "/b", RENAME_EXCHANGE);
	run("RENAMEAT RENAME_EXCHANGE c b");
	lstat_of(D "/b");
	lstat_of(D "/c");
	io_uring_prep_renameat(get(), AT_FDCWD, D "/missing", AT_FDCWD, D "/h3", 0);
	run("RENAMEAT of a missing file");
	io_uring_prep_renameat(get(), AT_FDCWD, D "/a", AT_FDCWD, D "/d", 0);
	run("RENAMEAT of a file onto a directory");
	io_uring_prep_renameat(get(), AT_FDCWD, D "/d", AT_FDCWD, D "/d/e", 0);
	run("RENAMEAT of a directory into itself");
	io_uring_prep_renameat(get(), AT_FDCWD, D "/c", AT_FDCWD, D "/b", 0x80);
	run("RENAMEAT flags 0x80");
	io_uring_prep_renameat(get(), AT_FDCWD, D "/c", AT_FDCWD, D "/b", RENAME_NOREPLACE | RENAME_EXCHANGE);
	run("RENAMEAT NOREPLACE|EXCHANGE");

	printf("-- UNLINKAT\n");
	io_uring_prep_mkdirat(get(), AT_FDCWD, D "/d/e", 0755);
	run("MKDIRAT d/e");
	io_uring_prep_unlinkat(get(), AT_FDCWD, D "/h2", 0);
	run("UNLINKAT h2");
	lstat_of(D "/a");
	io_uring_prep_unlinkat(get(), AT_FDCWD, D "/h2", 0);
	run("UNLINKAT h2 again");
	io_uring_prep_unlinkat(get(), AT_FDCWD, D "/d", 0);
	run("UNLINKAT of a directory");
	io_uring_prep_unlinkat(get(), AT_FDCWD, D "/d", AT_REMOVEDIR);
	run("UNLINKAT AT_REMOVEDIR of a non-empty directory");
	io_uring_prep_unlinkat(get(), AT_FDCWD, D "/a", AT_REMOVEDIR);
	run("UNLINKAT AT_REMOVEDIR of a file");
	io_uring_prep_unlinkat(get(), AT_FDCWD, D "/d/e", AT_REMOVEDIR);
	run("UNLINKAT AT_REMOVEDIR d/e");
	io_uring_prep_unlinkat(get(), AT_FDCWD, D "/d/.", AT_REMOVEDIR);
	run("UNLINKAT AT_REMOVEDIR d/.");
	io_uring_prep_unlinkat(get(), AT_FDCWD, D "/c", 0x1);
	run("UNLINKAT flags 0x1");
	io_uring_prep_unlinkat(get(), AT_FDCWD, D "/c", 0);
	run("UNLINKAT c");
	io_uring_prep_unlinkat(get(), AT_FDCWD, D "/x", 0);
	run("UNLINKAT the symlink x");
}

static void syncs(void) {
	printf("-- FSYNC and SYNC_FILE_RANGE\n");
	int fd = open(D "/a", O_RDWR);
	int p[2];
	if (pipe(p) < 0)
		show("pipe", -1);
	io_uring_prep_fsync(get(), fd, 0);
	run("FSYNC");
	io_uring_prep_fsync(get(), fd, IORING_FSYNC_DATASYNC);
	run("FSYNC IORING_FSYNC_DATASYNC");
	io_uring_prep_fsync(get(), fd, 2);
	run("FSYNC flags 2");
	io_uring_prep_fsync(get(), 999, 0);
	run("FSYNC of descriptor 999");
	io_uring_prep_fsync(get(), p[0], 0);
	run("FSYNC of a pipe");
	int opath = open(D "/a", O_PATH);
	io_uring_prep_fsync(get(), opath, 0);
	run("FSYNC of an O_PATH descriptor");
	io_uring_prep_fadvise(get(), opath, 0, 10, POSIX_FADV_NORMAL);
	run("FADVISE of an O_PATH descriptor");
	close(opath);
	io_uring_prep_sync_file_range(get(), fd, 4096, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE);
	run("SYNC_FILE_RANGE WAIT_BEFORE|WRITE");
	io_uring_prep_sync_file_range(get(), fd, 0, 0, 0);
	run("SYNC_FILE_RANGE of the whole file, no flags");
	io_uring_prep_sync_file_range(get(), fd, 4096, 0, 8);
	run("SYNC_FILE_RANGE flags 8");
	io_uring_prep_sync_file_range(get(), fd, 4096, -4096ULL, 0);
	run("SYNC_FILE_RANGE at a negative offset");
	io_uring_prep_sync_file_range(get(), p[0], 4096, 0, 0);
	run("SYNC_FILE_RANGE of a pipe");
	io_uring_prep_sync_file_range(get(), 999, 4096, 0, 0);
	run("SYNC_FILE_RANGE of descriptor 999");

	printf("-- FALLOCATE\n");
	io_uring_prep_fallocate(get(), fd, 0, 0, 8192);
	run("FALLOCATE 0-8192");
	lstat_of(D "/a");
	io_uring_prep_fallocate(get(), fd, FALLOC_FL_KEEP_SIZE, 8192, 8192);
	run("FALLOCATE KEEP_SIZE 8192-16384");
	lstat_of(D "/a");
	io_uring_prep_fallocate(get(), fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 2);
	run("FALLOCATE PUNCH_HOLE|KEEP_SIZE 0-2");
	read_at("  pread", fd, 0, 6);
	io_uring_prep_fallocate(get(), fd, 0, 0, 0);
	run("FALLOCATE of length 0");
	io_uring_prep_fallocate(get(), fd, 0, -1, 10);
	run("FALLOCATE at offset -1");
	io_uring_prep_fallocate(get(), fd, FALLOC_FL_PUNCH_HOLE, 0, 10);
	run("FALLOCATE PUNCH_HOLE without KEEP_SIZE");
	io_uring_prep_fallocate(get(), fd, 0x1000, 0, 10);
	run("FALLOCATE mode 0x1000");
	int ro = open(D "/a", O_RDONLY);
	io_uring_prep_fallocate(get(), ro, 0, 0, 10);
	run("FALLOCATE of a read-only descriptor");
	io_uring_prep_fallocate(get(), p[1], 0, 0, 10);
	run("FALLOCATE of a pipe");

	printf("-- FADVISE\n");
	io_uring_prep_fadvise(get(), fd, 0, 4096, POSIX_FADV_SEQUENTIAL);
	run("FADVISE SEQUENTIAL");
	io_uring_prep_fadvise(get(), ro, 0, 0, POSIX_FADV_DONTNEED);
	run("FADVISE DONTNEED");
	io_uring_prep_fadvise(get(), fd, 0, 4096, 99);
	run("FADVISE advice 99");
	io_uring_prep_fadvise(get(), p[0], 0, 4096, POSIX_FADV_NORMAL);
	run("FADVISE of a pipe");
	io_uring_prep_fadvise(get(), 999, 0, 4096, POSIX_FADV_NORMAL);
	run("FADVISE of descriptor 999");
	close(ro);

	printf("-- MADVISE\n");
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 'x', 3 * 4096);
	io_uring_prep_madvise(get(), m, 2 * 4096, MADV_DONTNEED);
	run("MADVISE DONTNEED of two pages");
	printf("  bytes: %d %d %d\n", m[0], m[4096], m[2 * 4096]);
	io_uring_prep_madvise(get(), m, 4096, MADV_WILLNEED);
	run("MADVISE WILLNEED");
	io_uring_prep_madvise(get(), m, 4096, 9999);
	run("MADVISE advice 9999");
	io_uring_prep_madvise(get(), m + 1, 4096, MADV_DONTNEED);
	run("MADVISE at an unaligned address");
	munmap(m + 2 * 4096, 4096);
	io_uring_prep_madvise(get(), m, 3 * 4096, MADV_WILLNEED);
	run("MADVISE WILLNEED over an unmapped page");
	munmap(m, 2 * 4096);
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void splices(void) {
	printf("-- SPLICE\n");
	int fd = open(D "/b", O_RDWR | O_TRUNC);
	int p[2], q[2];
	if (pipe(p) < 0 || pipe(q) < 0)
		show("pipe", -1);
	show("write(2) to the pipe", write(p[1], "spliced data", 12));
	io_uring_prep_splice(get(), p[0], -1, fd, 100, 64, 0);
	run("SPLICE pipe -> file at offset 100");
	read_at("  pread at 100", fd, 100, 64);
	lstat_of(D "/b");
	printf("  file position: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	io_uring_prep_splice(get(), fd, 104, p[1], -1, 4, 0);
	run("SPLICE file at offset 104 -> pipe, 4 bytes");
	char buf[64];
	long n = read(p[0], buf, sizeof buf);
	printf("  read(2) the pipe: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
	lseek(fd, 100, SEEK_SET);
	io_uring_prep_splice(get(), fd, -1, p[1], -1, 7, 0);
	run("SPLICE file at its position -> pipe, 7 bytes");
	printf("  file position: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	n = read(p[0], buf, sizeof buf);
	printf("  read(2) the pipe: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);

	printf("-- SPLICE waits for the pipe without blocking the submitter\n");
	io_uring_prep_splice(get(), p[0], -1, fd, 0, 64, 0);
	io_uring_submit(&ring);
	none("after submitting SPLICE from an empty pipe");
	show("write(2) \"later\" to the pipe", write(p[1], "later", 5));
	printf("SPLICE: %s\n", res_name(next_cqe().res));
	read_at("  pread at 0", fd, 0, 5);

	printf("-- SPLICE errors\n");
	show("write(2) to the pipe", write(p[1], "abc", 3));
	io_uring_prep_splice(get(), p[0], 0, fd, 0, 3, 0);
	run("SPLICE with an offset for the pipe");
	io_uring_prep_splice(get(), p[0], -1, fd, 0, 3, 0x100);
	run("SPLICE flags 0x100");
	io_uring_prep_splice(get(), fd, 0, fd, 10, 3, 0);
	run("SPLICE file -> file");
	io_uring_prep_splice(get(), p[0], -1, p[1], -1, 3, 0);
	run("SPLICE a pipe to itself");
	io_uring_prep_splice(get(), p[0], -1, q[0], -1, 3, 0);
	run("SPLICE into a pipe's read end");
	io_uring_prep_splice(get(), 999, -1, p[1], -1, 3, 0);
	run("SPLICE from descriptor 999");
	int ro = open(D "/b", O_RDONLY);
	io_uring_prep_splice(get(), p[0], -1, ro, 0, 3, 0);
	run("SPLICE into a read-only descriptor");
	close(ro);
	io_uring_prep_splice(get(), p[0], -1, fd, 0, 0, 0);
	run("SPLICE of 0 bytes");
	close(p[1]);
	n = read(p[0], buf, sizeof buf);
	io_uring_prep_splice(get(), p[0], -1, fd, 0, 3, 0);
	run("SPLICE from an empty pipe without writers");

	printf("-- TEE\n");
	if (pipe(p) < 0)
		show("pipe", -1);
	show("write(2) \"tee data\"", write(p[1], "tee data", 8));
	io_uring_prep_tee(get(), p[0], q[1], 64, 0);
	run("TEE pipe -> pipe");
	n = read(q[0], buf, sizeof buf);
	printf("  read(2) the second pipe: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
	n = read(p[0], buf, sizeof buf);
	printf("  read(2) the first pipe: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
	io_uring_prep_tee(get(), fd, q[1], 64, 0);
	run("TEE from a file");
	io_uring_prep_tee(get(), p[0], p[1], 64, 0);
	run("TEE a pipe to itself");
	io_uring_prep_tee(get(), p[0], q[1], 64, 0x100);
	run("TEE flags 0x100");
	io_uring_prep_tee(get(), p[0], q[1], 64, SPLICE_F_NONBLOCK);
	run("TEE SPLICE_F_NONBLOCK from an empty pipe");
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	close(fd);
}

static void epolls(void) {
	printf("-- EPOLL_CTL\n");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int p[2];
	if (pipe(p) < 0)
		show("pipe", -1);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
	io_uring_prep_epoll_ctl(get(), ep, p[0], EPOLL_CTL_ADD, &ev);
	run("EPOLL_CTL ADD the pipe's read end, EPOLLIN, data 42");
	struct epoll_event out[4];
	R(epoll_wait(ep, out, 4, 0));
	show("write(2) to the pipe", write(p[1], "x", 1));
	int n = epoll_wait(ep, out, 4, 0);
	show("epoll_wait", n);
	for (int i = 0; i < n; i++)
		printf("  events %s, data %llu\n", poll_bits(out[i].events), (unsigned long long)out[i].data.u64);
	io_uring_prep_epoll_ctl(get(), ep, p[0], EPOLL_CTL_ADD, &ev);
	run("EPOLL_CTL ADD again");
	ev.events = EPOLLOUT;
	io_uring_prep_epoll_ctl(get(), ep, p[0], EPOLL_CTL_MOD, &ev);
	run("EPOLL_CTL MOD to EPOLLOUT");
	R(epoll_wait(ep, out, 4, 0));
	io_uring_prep_epoll_ctl(get(), ep, p[0], EPOLL_CTL_DEL, NULL);
	run("EPOLL_CTL DEL");
	io_uring_prep_epoll_ctl(get(), ep, p[0], EPOLL_CTL_DEL, NULL);
	run("EPOLL_CTL DEL again");
	io_uring_prep_epoll_ctl(get(), ep, ep, EPOLL_CTL_ADD, &ev);
	run("EPOLL_CTL ADD the epoll instance to itself");
	int fd = open(D "/a", O_RDONLY);
	io_uring_prep_epoll_ctl(get(), ep, fd, EPOLL_CTL_ADD, &ev);
	run("EPOLL_CTL ADD a regular file");
	io_uring_prep_epoll_ctl(get(), fd, p[0], EPOLL_CTL_ADD, &ev);
	run("EPOLL_CTL on a file that is not epoll");
	io_uring_prep_epoll_ctl(get(), ep, p[0], 7, &ev);
	run("EPOLL_CTL op 7");
	io_uring_prep_epoll_ctl(get(), ep, 999, EPOLL_CTL_ADD, &ev);
	run("EPOLL_CTL ADD descriptor 999");
	io_uring_prep_epoll_ctl(get(), ep, p[0], EPOLL_CTL_ADD, KERNEL_PTR);
	run("EPOLL_CTL ADD with a kernel event address");
	close(fd);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void closes_and_files(void) {
	printf("-- CLOSE\n");
	int fd = open(D "/a", O_RDONLY);
	io_uring_prep_close(get(), fd);
	run("CLOSE");
	R(fcntl(fd, F_GETFD));
	io_uring_prep_close(get(), fd);
	run("CLOSE again");
	io_uring_prep_close(get(), ring.ring_fd);
	run("CLOSE of the ring's own descriptor");
	fd = open(D "/a", O_RDONLY);
	struct io_uring_sqe *s = get();
	io_uring_prep_close(s, fd);
	fixed(s);
	run("CLOSE with IOSQE_FIXED_FILE");
	s = get();
	io_uring_prep_close(s, fd);
	s->file_index = 1;
	run("CLOSE with a descriptor and a slot");
	R(fcntl(fd, F_GETFD));

	printf("-- registered files, FILES_UPDATE and fixed slots\n");
	io_uring_prep_close_direct(get(), 0);
	run("CLOSE of slot 0 with no files registered");
	int fds[4] = {-1, -1, -1, -1};
	io_uring_prep_files_update(get(), fds, 1, 0);
	run("FILES_UPDATE with no files registered");
	int opath = open(D "/a", O_PATH);
	printf("register an O_PATH descriptor: %s\n", res_name(io_uring_register_files(&ring, &opath, 1)));
	close(opath);
	printf("register 4 empty slots: %s\n", res_name(io_uring_register_files(&ring, fds, 4)));
	int w = open(D "/b", O_RDWR | O_TRUNC);
	int up[2] = {w, fd};
	io_uring_prep_files_update(get(), up, 2, 1);
	run("FILES_UPDATE slots 1-2");
	s = get();
	io_uring_prep_write(s, 1, "fixed!", 6, 0);
	fixed(s);
	run("WRITE through slot 1");
	read_at("  pread", w, 0, 16);
	close(w);
	s = get();
	io_uring_prep_write(s, 1, "again", 5, 6);
	fixed(s);
	run("WRITE through slot 1 after close(2) of its descriptor");
	s = get();
	io_uring_prep_write(s, 0, "x", 1, 0);
	fixed(s);
	run("WRITE through the empty slot 0");
	s = get();
	io_uring_prep_write(s, 4, "x", 1, 0);
	fixed(s);
	run("WRITE through slot 4, past the table");
	io_uring_prep_openat_direct(get(), AT_FDCWD, D "/b", O_RDONLY, 0, 3);
	run("OPENAT into slot 3");
	char buf[32] = {0};
	s = get();
	io_uring_prep_read(s, 3, buf, sizeof buf, 0);
	fixed(s);
	int n = go();
	printf("READ through slot 3: %s \"%.*s\"\n", res_name(n), n > 0 ? n : 0, buf);
	io_uring_prep_openat_direct(get(), AT_FDCWD, D "/b", O_RDONLY | O_CLOEXEC, 0, 3);
	run("OPENAT O_CLOEXEC into a slot");
	io_uring_prep_openat_direct(get(), AT_FDCWD, D "/b", O_RDONLY, 0, 9);
	run("OPENAT into slot 9, past the table");
	int minus[1] = {-1};
	io_uring_prep_files_update(get(), minus, 1, 1);
	run("FILES_UPDATE slot 1 to -1");
	s = get();
	io_uring_prep_write(s, 1, "x", 1, 0);
	fixed(s);
	run("WRITE through slot 1 now");
	io_uring_prep_close_direct(get(), 3);
	run("CLOSE of slot 3");
	io_uring_prep_close_direct(get(), 3);
	run("CLOSE of slot 3 again");
	io_uring_prep_close_direct(get(), 7);
	run("CLOSE of slot 7, past the table");
	io_uring_prep_files_update(get(), up, 2, 3);
	run("FILES_UPDATE slots 3-4 of 4");
	int bad[1] = {999};
	io_uring_prep_files_update(get(), bad, 1, 0);
	run("FILES_UPDATE with descriptor 999");
	int self[1] = {ring.ring_fd};
	io_uring_prep_files_update(get(), self, 1, 0);
	run("FILES_UPDATE with the ring's descriptor");
	io_uring_prep_files_update(get(), up, 0, 0);
	run("FILES_UPDATE of 0 slots");
	io_uring_prep_files_update(get(), KERNEL_PTR, 1, 0);
	run("FILES_UPDATE from a kernel address");
	int two[2] = {fd, fd};
	io_uring_prep_files_update(get(), two, 2, IORING_FILE_INDEX_ALLOC);
	run("FILES_UPDATE IORING_FILE_INDEX_ALLOC of 2");
	printf("  slots allocated: %d %d\n", two[0], two[1]);
	printf("unregister the files: %s\n", res_name(io_uring_unregister_files(&ring)));
	close(fd);
}

static void msg_rings(void) {
	printf("-- MSG_RING\n");
	struct io_uring r2;
	int e = io_uring_queue_init(8, &r2, 0);
	if (e < 0) {
		printf("second ring: %s\n", res_name(e));
		return;
	}
	struct io_uring_sqe *s = get();
	io_uring_prep_msg_ring(s, r2.ring_fd, 42, 0xcafe, 0);
	io_uring_sqe_set_data64(s, 7);
	run("MSG_RING len 42 data 0xcafe to a second ring");
	struct cqe c = next_cqe_of(&r2);
	printf("  the second ring's CQE: res %d, user_data %#llx, flags %#x\n", c.res, (unsigned long long)c.user_data,
	       c.flags);
	none_of(&r2, "  the second ring");
	s = get();
	io_uring_prep_msg_ring(s, ring.ring_fd, 5, 99, 0);
	io_uring_sqe_set_data64(s, 8);
	io_uring_submit(&ring);
	struct cqe two[2] = {next_cqe(), next_cqe()};
	if (two[0].user_data > two[1].user_data) {
		struct cqe t = two[0];
		two[0] = two[1];
		two[1] = t;
	}
	printf("MSG_RING len 5 data 99 to its own ring:\n");
	for (int i = 0; i < 2; i++)
		printf("  user_data %llu: %s\n", (unsigned long long)two[i].user_data, res_name(two[i].res));
	int p[2];
	if (pipe(p) < 0)
		show("pipe", -1);
	io_uring_prep_msg_ring(get(), p[0], 1, 1, 0);
	run("MSG_RING to a pipe");
	io_uring_prep_msg_ring(get(), 999, 1, 1, 0);
	run("MSG_RING to descriptor 999");
	io_uring_prep_msg_ring(get(), r2.ring_fd, 1, 1, 0x80);
	run("MSG_RING flags 0x80");
	s = get();
	io_uring_prep_msg_ring(s, r2.ring_fd, 1, 1, 0);
	s->addr = 9;
	run("MSG_RING command 9");
	none_of(&r2, "  the second ring");

	// IORING_MSG_SEND_FD (liburing 2.3 has no helper for it): slot 0 of
	// this ring's table goes to a slot of the second ring's.
	int src = open(D "/b", O_RDONLY);
	printf("register the file as slot 0: %s\n", res_name(io_uring_register_files(&ring, &src, 1)));
	close(src);
	int empty[2] = {-1, -1};
	printf("the second ring registers 2 empty slots: %s\n", res_name(io_uring_register_files(&r2, empty, 2)));
	s = get();
	io_uring_prep_msg_ring(s, r2.ring_fd, 0, 0x77, 0);
	s->addr = IORING_MSG_SEND_FD;
	s->addr3 = 0;
	s->file_index = 2;
	run("MSG_RING IORING_MSG_SEND_FD slot 0 to the second ring's slot 1");
	c = next_cqe_of(&r2);
	printf("  the second ring's CQE: res %d, user_data %#llx\n", c.res, (unsigned long long)c.user_data);
	char buf[16] = {0};
	s = io_uring_get_sqe(&r2);
	io_uring_prep_read(s, 1, buf, 5, 0);
	io_uring_sqe_set_flags(s, IOSQE_FIXED_FILE);
	io_uring_submit(&r2);
	c = next_cqe_of(&r2);
	printf("  READ through the second ring's slot 1: %s \"%.*s\"\n", res_name(c.res), c.res > 0 ? c.res : 0, buf);
	s = get();
	io_uring_prep_msg_ring(s, r2.ring_fd, 0, 0x78, IORING_MSG_RING_CQE_SKIP);
	s->addr = IORING_MSG_SEND_FD;
	s->file_index = IORING_FILE_INDEX_ALLOC;
	run("MSG_RING IORING_MSG_SEND_FD to a free slot, IORING_MSG_RING_CQE_SKIP");
	none_of(&r2, "  the second ring");
	s = get();
	io_uring_prep_msg_ring(s, r2.ring_fd, 0, 0x79, 0);
	s->addr = IORING_MSG_SEND_FD;
	s->file_index = IORING_FILE_INDEX_ALLOC;
	run("MSG_RING IORING_MSG_SEND_FD to a free slot, the table full");
	s = get();
	io_uring_prep_msg_ring(s, r2.ring_fd, 3, 0, 0);
	s->addr = IORING_MSG_SEND_FD;
	s->file_index = 1;
	run("MSG_RING IORING_MSG_SEND_FD with len 3");
	s = get();
	io_uring_prep_msg_ring(s, ring.ring_fd, 0, 0, 0);
	s->addr = IORING_MSG_SEND_FD;
	s->file_index = 1;
	run("MSG_RING IORING_MSG_SEND_FD to its own ring");
	s = get();
	io_uring_prep_msg_ring(s, r2.ring_fd, 0, 0, 0);
	s->addr = IORING_MSG_SEND_FD;
	s->addr3 = 5;
	s->file_index = 1;
	run("MSG_RING IORING_MSG_SEND_FD of slot 5, past the table");
	io_uring_unregister_files(&ring);
	close(p[0]);
	close(p[1]);
	io_uring_queue_exit(&r2);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	cleanup();
	if (mkdir(D, 0755) < 0) {
		show("mkdir " D, -1);
		return 1;
	}
	int e = io_uring_queue_init(16, &ring, 0);
	if (e < 0) {
		printf("io_uring_queue_init: %s\n", res_name(e));
		return 1;
	}
	opens();
	system_calls();
	statxs();
	names();
	syncs();
	splices();
	epolls();
	closes_and_files();
	msg_rings();
	io_uring_queue_exit(&ring);
	cleanup();
	return 0;
}
