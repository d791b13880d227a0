// Extended attributes (xattr(7)) as tmpfs keeps them: the set, get, list
// and remove calls in their path, l, f and *at forms, with their flags,
// sizes and error cases in Linux's order; the namespaces (user.* only on
// regular files and directories, trusted.* for CAP_SYS_ADMIN, security.*
// written only with it, security.capability's versions, unknown ones
// refused); what procfs, pipes, eventfd and sockets (system.sockprotoname)
// have; and the permission checks for a process that is not root. Runs
// with the rootfs as the working directory: tmpfs natively (/dev/shm)
// and in oyako. Natively that tmpfs has POSIX ACLs and oyako's has not,
// so ACL names are only tried where neither has them (procfs, pipes).
// Name lists are printed sorted: their order differs between kernels.
#include "check.h"
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/netlink.h>

#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#define SYS_getxattrat 464
#define SYS_listxattrat 465
#define SYS_removexattrat 466
#endif

struct xattr_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

// names prints a name list of n bytes sorted, or the error.
static void names(const char *what, ssize_t n, char *list) {
	if (n < 0) {
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	char *v[64];
	int k = 0;
	for (char *p = list; p < list + n && k < 64; p += strlen(p) + 1)
		v[k++] = p;
	qsort(v, k, sizeof v[0], cmp);
	printf("%s: %zd [", what, n);
	for (int i = 0; i < k; i++)
		printf("%s%s", i ? " " : "", v[i]);
	printf("]\n");
}

// value prints a get's result and the value it read.
static void value(const char *what, ssize_t n, const char *buf) {
	if (n < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %zd \"%.*s\"\n", what, n, (int)n, buf);
}

#define GET(expr, buf) value(#expr, (expr), buf)
#define LIST(expr, buf) names(#expr, (expr), buf)

// ctime_of returns path's change time in nanoseconds.
static long long ctime_of(const char *path) {
	struct stat st;
	lstat(path, &st);
	return st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
}

// caps builds a security.capability value: revision magic, one permitted
// capability, and the root ID for version 3.
static int caps(unsigned char *b, uint32_t magic, int v3, uint32_t rootid) {
	memset(b, 0, 24);
	memcpy(b, &magic, 4);
	b[5] = 4; // CAP_NET_BIND_SERVICE (bit 10) permitted
	if (v3)
		memcpy(b + 20, &rootid, 4);
	return v3 ? 24 : 20;
}

static void basics(void) {
	char buf[256];
	putFile("tmp/xf", "data");
	R(setxattr("tmp/xf", "user.a", "hello", 5, 0));
	GET(getxattr("tmp/xf", "user.a", buf, sizeof buf), buf);
	R(getxattr("tmp/xf", "user.a", NULL, 0));
	R(getxattr("tmp/xf", "user.a", buf, 4));
	R(getxattr("tmp/xf", "user.nope", buf, sizeof buf));
	R(setxattr("tmp/xf", "user.a", "x", 1, XATTR_CREATE));
	R(setxattr("tmp/xf", "user.b", "x", 1, XATTR_REPLACE));
	R(setxattr("tmp/xf", "user.a", "x", 1, XATTR_CREATE | XATTR_REPLACE));
	R(setxattr("tmp/xf", "user.b", "x", 1, XATTR_CREATE | XATTR_REPLACE));
	R(setxattr("tmp/xf", "user.a", "x", 1, 4));
	R(setxattr("tmp/xf", "user.a", "world!", 6, XATTR_REPLACE));
	GET(getxattr("tmp/xf", "user.a", buf, sizeof buf), buf);
	R(setxattr("tmp/xf", "user.b", "bee", 3, XATTR_CREATE));
	R(setxattr("tmp/xf", "user.empty", "", 0, 0));
	GET(getxattr("tmp/xf", "user.empty", buf, sizeof buf), buf);
	R(setxattr("tmp/xf", "user.null", NULL, 0, 0));
	LIST(listxattr("tmp/xf", buf, sizeof buf), buf);
	R(listxattr("tmp/xf", NULL, 0));
	R(listxattr("tmp/xf", buf, 5));
	R(removexattr("tmp/xf", "user.null"));
	R(removexattr("tmp/xf", "user.null"));
	LIST(listxattr("tmp/xf", buf, sizeof buf), buf);

	// Names.
	R(setxattr("tmp/xf", "", "x", 1, 0));
	R(getxattr("tmp/xf", "", buf, sizeof buf));
	R(removexattr("tmp/xf", ""));
	char name[300] = "user.";
	memset(name + 5, 'n', 250);
	name[255] = 0;
	R(setxattr("tmp/xf", name, "x", 1, 0));
	R(getxattr("tmp/xf", name, NULL, 0));
	R(removexattr("tmp/xf", name));
	name[255] = 'n';
	name[256] = 0;
	R(setxattr("tmp/xf", name, "x", 1, 0));
	R(getxattr("tmp/xf", name, buf, sizeof buf));
	R(setxattr("tmp/xf", "foo", "x", 1, 0));
	R(getxattr("tmp/xf", "foo", buf, sizeof buf));
	R(setxattr("tmp/xf", "user.", "x", 1, 0));
	R(getxattr("tmp/xf", "user.", buf, sizeof buf));
	R(removexattr("tmp/xf", "user."));
	R(setxattr("tmp/xf", "trusted.", "x", 1, 0));
	R(setxattr("tmp/xf", "security.", "x", 1, 0));
	R(setxattr("tmp/xf", "system.foo", "x", 1, 0));
	R(getxattr("tmp/xf", "system.foo", buf, sizeof buf));
	R(removexattr("tmp/xf", "system.foo"));
	R(setxattr("tmp/xf", "USER.a", "x", 1, 0));

	// Sizes and pointers.
	char *big = calloc(1, 65537);
	R(setxattr("tmp/xf", "user.big", big, 65536, 0));
	R(getxattr("tmp/xf", "user.big", NULL, 0));
	R(getxattr("tmp/xf", "user.big", big, 65535));
	R(getxattr("tmp/xf", "user.big", big, 65536));
	R(getxattr("tmp/xf", "user.b", big, 1 << 30));
	R(setxattr("tmp/xf", "user.big", big, 65537, 0));
	RAW(SYS_setxattr, "tmp/xf", "user.big", NULL, 65537, 0);
	R(setxattr("tmp/xf", "user.big", big, 65537, 8));
	R(removexattr("tmp/xf", "user.big"));
	free(big);
	RAW(SYS_setxattr, "tmp/xf", "user.c", NULL, 1, 0);
	R(setxattr("tmp/xf", "user.c", KERNEL_PTR, 1, 0));
	R(setxattr("tmp/xf", NULL, "x", 1, 0));
	R(setxattr("tmp/xf", KERNEL_PTR, "x", 1, 0));
	R(setxattr(NULL, "user.c", "x", 1, 0));
	R(setxattr("tmp/nope", "user.c", "x", 1, 0));
	R(setxattr("tmp/nope", "", "x", 1, 0));
	R(setxattr("", "user.c", "x", 1, 0));
	R(getxattr("tmp/xf", "user.a", KERNEL_PTR, 100));
	R(getxattr("tmp/xf", "user.nope", KERNEL_PTR, 100));
	R(getxattr("tmp/xf", "user.empty", KERNEL_PTR, 100));
	R(getxattr("tmp/xf", "user.a", KERNEL_PTR, 0));
	R(getxattr("tmp/xf", NULL, buf, 100));
	R(listxattr("tmp/xf", KERNEL_PTR, 100));
	R(listxattr("tmp/xf", KERNEL_PTR, 0));
	R(listxattr(NULL, buf, 100));
	R(removexattr("tmp/xf", KERNEL_PTR));

	// Names and links: the attributes belong to the inode.
	R(link("tmp/xf", "tmp/xf2"));
	GET(getxattr("tmp/xf2", "user.b", buf, sizeof buf), buf);
	R(rename("tmp/xf2", "tmp/xf3"));
	GET(getxattr("tmp/xf3", "user.b", buf, sizeof buf), buf);
	R(unlink("tmp/xf3"));

	// The change time moves with a change, not with a failed one.
	long long c0 = ctime_of("tmp/xf");
	tick();
	R(setxattr("tmp/xf", "user.a", "x", 1, XATTR_CREATE));
	ok("failed set keeps ctime", ctime_of("tmp/xf") == c0);
	R(setxattr("tmp/xf", "user.a", "x", 1, 0));
	ok("set moves ctime", ctime_of("tmp/xf") != c0);
	c0 = ctime_of("tmp/xf");
	tick();
	R(removexattr("tmp/xf", "user.a"));
	ok("remove moves ctime", ctime_of("tmp/xf") != c0);
}

static void namespaces(void) {
	char buf[256];
	unsigned char cap[24];
	R(mkdir("tmp/xd", 0755));
	R(symlink("xf", "tmp/xl"));
	R(mkfifo("tmp/xp", 0644));
	R(setxattr("tmp/xd", "user.d", "dir", 3, 0));
	GET(getxattr("tmp/xd", "user.d", buf, sizeof buf), buf);
	R(chmod("tmp/xd", 01777));
	R(setxattr("tmp/xd", "user.d", "sticky", 6, 0));
	R(setxattr("tmp/xf", "trusted.t", "tt", 2, 0));
	R(setxattr("tmp/xf", "security.oyako", "ss", 2, 0));
	GET(getxattr("tmp/xf", "trusted.t", buf, sizeof buf), buf);
	GET(getxattr("tmp/xf", "security.oyako", buf, sizeof buf), buf);
	LIST(listxattr("tmp/xf", buf, sizeof buf), buf);

	// A symbolic link: the path calls follow it, the l calls do not;
	// user.* is only for regular files and directories.
	GET(getxattr("tmp/xl", "user.b", buf, sizeof buf), buf);
	R(lgetxattr("tmp/xl", "user.b", buf, sizeof buf));
	R(lsetxattr("tmp/xl", "user.b", "x", 1, 0));
	R(lremovexattr("tmp/xl", "user.b"));
	R(lsetxattr("tmp/xl", "trusted.l", "link", 4, 0));
	GET(lgetxattr("tmp/xl", "trusted.l", buf, sizeof buf), buf);
	LIST(llistxattr("tmp/xl", buf, sizeof buf), buf);
	R(getxattr("tmp/xl", "trusted.l", buf, sizeof buf));
	R(lsetxattr("tmp/xl", "user.", "x", 1, 0));
	R(lgetxattr("tmp/xl", "user.", buf, sizeof buf));
	R(setxattr("tmp/xp", "user.f", "x", 1, 0));
	R(getxattr("tmp/xp", "user.f", buf, sizeof buf));
	R(setxattr("tmp/xp", "security.f", "fifo", 4, 0));
	LIST(listxattr("tmp/xp", buf, sizeof buf), buf);
	R(getxattr("/dev/null", "user.f", buf, sizeof buf));
	R(setxattr("/dev/null", "user.f", "x", 1, 0));

	// security.capability: versions 2 and 3, the latter read back as
	// version 2 when its root is user 0.
	int n = caps(cap, 0x02000001, 0, 0);
	R(setxattr("tmp/xf", "security.capability", cap, n, 0));
	R(getxattr("tmp/xf", "security.capability", buf, sizeof buf));
	printf("magic %08x\n", *(uint32_t *)buf);
	n = caps(cap, 0x03000000, 1, 0);
	R(setxattr("tmp/xf", "security.capability", cap, n, 0));
	R(getxattr("tmp/xf", "security.capability", buf, sizeof buf));
	printf("magic %08x\n", *(uint32_t *)buf);
	R(getxattr("tmp/xf", "security.capability", buf, 19));
	R(getxattr("tmp/xf", "security.capability", NULL, 0));
	n = caps(cap, 0x03000001, 1, 1234);
	R(setxattr("tmp/xf", "security.capability", cap, n, 0));
	R(getxattr("tmp/xf", "security.capability", buf, sizeof buf));
	printf("magic %08x rootid %u\n", *(uint32_t *)buf, *(uint32_t *)(buf + 20));
	R(setxattr("tmp/xf", "security.capability", cap, 20, 0));
	R(setxattr("tmp/xf", "security.capability", cap, 23, 0));
	n = caps(cap, 0x02000100, 0, 0);
	R(setxattr("tmp/xf", "security.capability", cap, n, 0));
	R(setxattr("tmp/xf", "security.capability", "", 0, 0));
	R(getxattr("tmp/xf", "security.capability", buf, sizeof buf));
	R(removexattr("tmp/xf", "security.capability"));
	R(getxattr("tmp/xf", "security.capability", buf, sizeof buf));
}

// others: files whose file systems have no extended attributes, or other
// ones.
static void others(void) {
	char buf[256];
	R(getxattr("/proc/self/status", "user.a", buf, sizeof buf));
	R(setxattr("/proc/self/status", "trusted.a", "x", 1, 0));
	R(removexattr("/proc/self/status", "security.a"));
	R(getxattr("/proc/self/status", "user.", buf, sizeof buf));
	R(getxattr("/proc/self/status", "system.posix_acl_access", buf, sizeof buf));
	R(setxattr("/proc/self/status", "system.posix_acl_access", "\2\0\0\0", 4, 0));
	R(setxattr("/proc/self/status", "system.posix_acl_access", "\1\0\0\0", 4, 0));
	R(setxattr("/proc/self/status", "system.posix_acl_access", "\2\0\0\0\1\0", 6, 0));
	R(setxattr("/proc/self/status", "system.posix_acl_default", "\2\0\0\0\3\0\0\0\0\0\0\0", 12, 0));
	R(removexattr("/proc/self/status", "system.posix_acl_access"));
	R(listxattr("/proc/self/status", buf, sizeof buf));
	R(lgetxattr("/proc/self", "user.a", buf, sizeof buf));
	R(lgetxattr("/proc/self", "trusted.a", buf, sizeof buf));
	R(llistxattr("/proc/self", buf, sizeof buf));

	int p[2];
	R(pipe(p));
	R(fgetxattr(p[0], "user.a", buf, sizeof buf));
	R(fgetxattr(p[0], "user.", buf, sizeof buf));
	R(fgetxattr(p[0], "trusted.", buf, sizeof buf));
	R(fgetxattr(p[0], "security.a", buf, sizeof buf));
	R(fgetxattr(p[0], "system.posix_acl_access", buf, sizeof buf));
	R(fsetxattr(p[1], "user.a", "x", 1, 0));
	R(fsetxattr(p[1], "security.a", "x", 1, 0));
	R(fremovexattr(p[1], "user.a"));
	R(flistxattr(p[0], buf, sizeof buf));
	int e = eventfd(0, 0);
	R(fgetxattr(e, "user.a", buf, sizeof buf));
	R(fsetxattr(e, "user.a", "x", 1, 0));
	R(fsetxattr(e, "trusted.a", "x", 1, 0));
	R(flistxattr(e, buf, sizeof buf));

	// Sockets have one attribute: their protocol's name.
	int s[4] = {socket(AF_UNIX, SOCK_STREAM, 0), socket(AF_UNIX, SOCK_DGRAM, 0), socket(AF_UNIX, SOCK_SEQPACKET, 0),
	            socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)};
	for (int i = 0; i < 4; i++)
		GET(fgetxattr(s[i], "system.sockprotoname", buf, sizeof buf), buf);
	R(fgetxattr(s[0], "system.sockprotoname", NULL, 0));
	R(fgetxattr(s[0], "system.sockprotoname", buf, 5));
	LIST(flistxattr(s[0], buf, sizeof buf), buf);
	R(flistxattr(s[0], buf, 10));
	R(fgetxattr(s[0], "user.a", buf, sizeof buf));
	R(fgetxattr(s[0], "trusted.a", buf, sizeof buf));
	R(fgetxattr(s[0], "security.a", buf, sizeof buf));
	R(fgetxattr(s[0], "system.other", buf, sizeof buf));
	R(fsetxattr(s[0], "system.sockprotoname", "x", 1, 0));
	R(fsetxattr(s[0], "security.a", "x", 1, 0));
	R(fsetxattr(s[0], "security.", "x", 1, 0));
	R(fsetxattr(s[0], "user.a", "x", 1, 0));
	R(fremovexattr(s[0], "security.a"));
	R(fremovexattr(s[0], "system.sockprotoname"));
}

// descriptors: the f and *at forms.
static void descriptors(void) {
	char buf[256];
	int fd = open("tmp/xf", O_RDONLY);
	R(fsetxattr(fd, "user.f", "by fd", 5, 0));
	GET(fgetxattr(fd, "user.f", buf, sizeof buf), buf);
	LIST(flistxattr(fd, buf, sizeof buf), buf);
	R(fremovexattr(fd, "user.f"));
	R(fgetxattr(fd, "user.f", buf, sizeof buf));
	R(fsetxattr(-1, "user.f", "x", 1, 0));
	R(fgetxattr(-1, "user.f", buf, sizeof buf));
	R(flistxattr(-1, buf, sizeof buf));
	R(fremovexattr(-1, "user.f"));
	R(fgetxattr(-1, "", buf, sizeof buf));
	R(fsetxattr(-1, "user.f", "x", 1, 4));
	RAW(SYS_fsetxattr, -1, "user.f", NULL, 70000, 0);
	int o = open("tmp/xf", O_PATH);
	R(fgetxattr(o, "user.b", buf, sizeof buf));
	R(fsetxattr(o, "user.b", "x", 1, 0));
	R(flistxattr(o, buf, sizeof buf));
	R(fremovexattr(o, "user.b"));

	// An unlinked file keeps its attributes while open.
	int u = open("tmp/xu", O_CREAT | O_RDWR, 0644);
	R(unlink("tmp/xu"));
	R(fsetxattr(u, "user.u", "gone", 4, 0));
	GET(fgetxattr(u, "user.u", buf, sizeof buf), buf);
	close(u);

	struct xattr_args a = {(uintptr_t)buf, sizeof buf, 0};
	int d = open("tmp", O_RDONLY | O_DIRECTORY);
	RAW(SYS_getxattrat, d, "xf", 0, "user.b", &a, sizeof a);
	RAW(SYS_getxattrat, d, "xl", AT_SYMLINK_NOFOLLOW, "trusted.l", &a, sizeof a);
	RAW(SYS_getxattrat, d, "xl", AT_SYMLINK_NOFOLLOW, "user.b", &a, sizeof a);
	RAW(SYS_getxattrat, fd, "", AT_EMPTY_PATH, "user.b", &a, sizeof a);
	RAW(SYS_getxattrat, fd, NULL, AT_EMPTY_PATH, "user.b", &a, sizeof a);
	RAW(SYS_getxattrat, o, "", AT_EMPTY_PATH, "user.b", &a, sizeof a);
	RAW(SYS_getxattrat, o, ".", 0, "user.b", &a, sizeof a);
	RAW(SYS_getxattrat, d, "xf", 0, "user.b", &a, 8);
	RAW(SYS_getxattrat, d, "xf", 0, "user.b", &a, 5000);
	RAW(SYS_getxattrat, d, "xf", 0x10000, "user.b", &a, sizeof a);
	RAW(SYS_getxattrat, d, "", 0, "user.b", &a, sizeof a);
	RAW(SYS_getxattrat, -1, NULL, AT_EMPTY_PATH, "user.b", &a, sizeof a);
	RAW(SYS_getxattrat, d, "xf", 0, "user.b", KERNEL_PTR, sizeof a);
	char wide[32] = {0};
	memcpy(wide, &a, sizeof a);
	RAW(SYS_getxattrat, d, "xf", 0, "user.b", wide, sizeof wide);
	wide[30] = 1;
	RAW(SYS_getxattrat, d, "xf", 0, "user.b", wide, sizeof wide);
	a.flags = XATTR_CREATE;
	RAW(SYS_getxattrat, d, "xf", 0, "user.b", &a, sizeof a);
	a = (struct xattr_args){(uintptr_t) "at", 2, XATTR_CREATE};
	RAW(SYS_setxattrat, d, "xf", 0, "user.at", &a, sizeof a);
	RAW(SYS_setxattrat, d, "xf", 0, "user.at", &a, sizeof a);
	RAW(SYS_setxattrat, d, "xl", AT_SYMLINK_NOFOLLOW, "user.at", &a, sizeof a);
	RAW(SYS_setxattrat, fd, NULL, AT_EMPTY_PATH, "user.at2", &a, sizeof a);
	a.flags = 8;
	RAW(SYS_setxattrat, d, "xf", 0, "user.at", &a, sizeof a);
	RAW(SYS_listxattrat, d, "xf", 0, NULL, 0);
	RAW(SYS_listxattrat, d, "xl", AT_SYMLINK_NOFOLLOW, NULL, 0);
	RAW(SYS_listxattrat, fd, "", AT_EMPTY_PATH, NULL, 0);
	RAW(SYS_listxattrat, d, "xf", 3, NULL, 0);
	RAW(SYS_removexattrat, d, "xf", 0, "user.at");
	RAW(SYS_removexattrat, fd, NULL, AT_EMPTY_PATH, "user.at2");
	RAW(SYS_removexattrat, d, "xf", 0, "user.at");
	RAW(SYS_removexattrat, d, "xf", 0, "");
	close(d);
	close(o);
	close(fd);
}

// unprivileged: a process without capabilities sees trusted.* no more,
// writes security.* no more, and meets the files' permission bits.
static void unprivileged(void) {
	char buf[256];
	unsigned char cap[24];
	putFile("tmp/xw", "");
	R(chmod("tmp/xw", 0666));
	int ro = open("tmp/xf", O_RDONLY), rw = open("tmp/xw", O_RDONLY);
	pid_t pid = pfork();
	if (pid == 0) {
		R(setresgid(1000, 1000, 1000));
		R(setresuid(1000, 1000, 1000));
		GET(fgetxattr(ro, "user.b", buf, sizeof buf), buf);
		R(fgetxattr(ro, "trusted.t", buf, sizeof buf));
		GET(fgetxattr(ro, "security.oyako", buf, sizeof buf), buf);
		LIST(flistxattr(ro, buf, sizeof buf), buf);
		R(fsetxattr(ro, "user.b", "x", 1, 0));
		R(fremovexattr(ro, "user.b"));
		R(fsetxattr(ro, "trusted.t", "x", 1, 0));
		R(fremovexattr(ro, "trusted.t"));
		R(fsetxattr(ro, "security.oyako", "x", 1, 0));
		R(fremovexattr(ro, "security.oyako"));
		R(fsetxattr(ro, "trusted.", "x", 1, 0));
		R(fsetxattr(rw, "user.w", "mine", 4, 0));
		GET(fgetxattr(rw, "user.w", buf, sizeof buf), buf);
		R(fsetxattr(rw, "security.capability", cap, caps(cap, 0x02000000, 0, 0), 0));
		R(fsetxattr(rw, "security.capability", "", 0, 0));
		R(fremovexattr(rw, "security.capability"));
		fflush(stdout);
		_exit(0);
	}
	reap("unprivileged child", pid);
	LIST(flistxattr(rw, buf, sizeof buf), buf);
	close(ro);
	close(rw);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	basics();
	namespaces();
	others();
	descriptors();
	unprivileged();
	return 0;
}
