// unix_stream: AF_UNIX SOCK_STREAM sockets as Linux's net/unix/af_unix.c
// has them: socket's and socketpair's checks, SOCK_NONBLOCK and
// SOCK_CLOEXEC, bind to a path and in the abstract namespace (with the
// address lengths getsockname and getpeername give back), autobind,
// listen, accept4, connect and their errors, the data calls (read,
// write, send, recv, sendto, recvfrom, readv, writev, MSG_PEEK,
// MSG_DONTWAIT, MSG_WAITALL, MSG_NOSIGNAL), shutdown in each direction
// seen from both ends, EPIPE and SIGPIPE, ECONNRESET from a peer closed
// with unread data, socket options, the socket file a bind makes, a
// full backlog with non-blocking connects, and poll and epoll
// readiness of listeners and connected sockets; splice and sendfile.
//
// Paths are relative to the working directory (tmp/ of the rootfs);
// abstract names carry the pid (hidden in the transcript) because native
// runs share the host's abstract namespace. Buffer sizes are printed only
// as relations Linux defines.
#include "check.h"
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>

// listener binds a new stream socket to a and listens, or ends the
// program.
static int listener(const struct sockaddr_un *a, socklen_t len, int backlog) {
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (const struct sockaddr *)a, len) < 0 || listen(fd, backlog) < 0) {
		show("listener", -1);
		exit(1);
	}
	return fd;
}

// dial connects a new stream socket (of the given extra type flags) to
// a and returns it, or -1 with errno set.
static int dial(const struct sockaddr_un *a, socklen_t len, int flags) {
	int fd = socket(AF_UNIX, SOCK_STREAM | flags, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)a, len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

// boundDial makes a stream socket bound to path and connects it to a,
// printing both results.
static int boundDial(const char *path, const struct sockaddr_un *a) {
	struct sockaddr_un me;
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	show("bind the client", bind(c, (struct sockaddr *)&me, sun_path_addr(&me, path)));
	show("connect", connect(c, (const struct sockaddr *)a, sizeof *a));
	return c;
}

// readStr reads once and prints the result and the bytes.
static void readStr(const char *what, int fd, size_t n, int flags) {
	char buf[256];
	if (n > sizeof buf)
		n = sizeof buf;
	long r = recv(fd, buf, n, flags);
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld \"%.*s\"\n", what, r, (int)r, buf);
}

static void creation(void) {
	printf("-- socket and socketpair checks\n");
	R(socket(255, SOCK_STREAM, 0));
	R(socket(-1, SOCK_STREAM, 0));
	R(socket(AF_UNIX, 99, 0));
	R(socket(AF_UNIX, 0, 0));
	R(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0));
	R(socket(AF_UNIX, SOCK_STREAM, 2));
	R(socket(AF_UNIX, SOCK_STREAM, -1));
	// unix_create: protocol PF_UNIX (1) is accepted as well as 0.
	int fd = socket(AF_UNIX, SOCK_STREAM, PF_UNIX);
	ok("protocol PF_UNIX accepted", fd >= 0);
	close(fd);
	// unix_create: SOCK_RAW is turned into SOCK_DGRAM; SOCK_RDM and
	// SOCK_PACKET are refused with ESOCKTNOSUPPORT.
	fd = socket(AF_UNIX, SOCK_RAW, 0);
	ok("SOCK_RAW accepted", fd >= 0);
	SOCKOPT(fd, SO_TYPE);
	close(fd);
	R(socket(AF_UNIX, SOCK_RDM, 0));
	R(socket(AF_UNIX, SOCK_PACKET, 0));
	int sv[2];
	R(socketpair(255, SOCK_STREAM, 0, sv));
	R(socketpair(AF_UNIX, 99, 0, sv));
	R(socketpair(AF_UNIX, SOCK_STREAM, 2, sv));
	R(socketpair(AF_UNIX, SOCK_STREAM, 0, NULL));
	R(socketpair(AF_UNIX, SOCK_STREAM, 0, KERNEL_PTR));

	printf("-- SOCK_NONBLOCK and SOCK_CLOEXEC\n");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	R(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
	R(fcntl(fd, F_GETFD));
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	R(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
	R(fcntl(fd, F_GETFD));
	close(fd);
	R(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
	R(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	R(fcntl(sv[1], F_GETFL) & O_NONBLOCK);
	R(fcntl(sv[0], F_GETFD));
	R(fcntl(sv[1], F_GETFD));
	close(sv[0]);
	close(sv[1]);

	printf("-- ENOTSOCK and EBADF\n");
	int p[2];
	R(pipe(p));
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	R(getsockname(p[0], (struct sockaddr *)&a, &len));
	R(getpeername(p[0], (struct sockaddr *)&a, &len));
	R(bind(p[0], (struct sockaddr *)&a, sun_path_addr(&a, "tmp/never")));
	R(listen(p[0], 1));
	R(accept(p[0], NULL, NULL));
	R(connect(p[0], (struct sockaddr *)&a, len));
	R(shutdown(p[0], SHUT_RDWR));
	R(send(p[1], "x", 1, 0));
	R(recv(p[0], &a, 1, 0));
	int v;
	len = sizeof v;
	R(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &len));
	close(p[0]);
	close(p[1]);
	R(getsockname(999, (struct sockaddr *)&a, &len));
	R(send(999, "x", 1, 0));
}

static void pairs(void) {
	printf("-- socketpair: names, data calls\n");
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	sockname("getsockname of a socketpair end", sv[0]);
	struct stat st;
	R(fstat(sv[0], &st));
	printf("fstat: S_ISSOCK %d mode %o size %ld\n", S_ISSOCK(st.st_mode), st.st_mode & 07777, (long)st.st_size);
	char link[64], proc[32];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", sv[0]);
	long ln = readlink(proc, link, sizeof link - 1);
	link[ln > 0 ? ln : 0] = 0;
	// The inode number differs: only the form is printed.
	printf("/proc/self/fd link: %.8s...%s\n", link, ln > 0 && link[ln - 1] == ']' ? "]" : "?");
	peername("getpeername of a socketpair end", sv[0]);
	struct sockaddr_un a;
	socklen_t len = 1;
	memset(&a, 0x55, sizeof a);
	R(getsockname(sv[0], (struct sockaddr *)&a, &len));
	printf("a 1-byte buffer: len %u, first byte %#x\n", (unsigned)len, ((unsigned char *)&a)[0]);
	len = 0;
	R(getsockname(sv[0], (struct sockaddr *)&a, &len));
	printf("a 0-byte buffer: len %u\n", (unsigned)len);
	len = -1;
	R(getsockname(sv[0], (struct sockaddr *)&a, &len));
	len = sizeof a;
	R(getsockname(sv[0], KERNEL_PTR, &len));
	R(getsockname(sv[0], (struct sockaddr *)&a, KERNEL_PTR));

	R(write(sv[0], "hello", 5));
	R(send(sv[0], " world", 6, 0));
	// Stream sockets join what was written: one read takes both.
	readStr("read", sv[1], 64, 0);
	R(sendto(sv[1], "back", 4, 0, NULL, 0));
	memset(&a, 0x55, sizeof a);
	len = sizeof a;
	char buf[64];
	long r = recvfrom(sv[0], buf, sizeof buf, 0, (struct sockaddr *)&a, &len);
	printf("recvfrom: %ld \"%.*s\", addrlen %u\n", r, (int)(r > 0 ? r : 0), buf, (unsigned)len);
	// unix_stream_sendmsg: an address on a connected stream socket is
	// EISCONN (EOPNOTSUPP when unconnected), whatever the address.
	sun_path_addr(&a, "tmp/nowhere");
	R(sendto(sv[0], "x", 1, 0, (struct sockaddr *)&a, sizeof a));

	struct iovec iov[3] = {{"one,", 4}, {"", 0}, {"two", 3}};
	R(writev(sv[0], iov, 3));
	char b1[2], b2[3], b3[10];
	struct iovec in[3] = {{b1, 2}, {b2, 3}, {b3, 10}};
	r = readv(sv[1], in, 3);
	printf("readv: %ld \"%.2s\" \"%.3s\" \"%.*s\"\n", r, b1, b2, (int)(r > 5 ? r - 5 : 0), b3);

	printf("-- MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL\n");
	R(write(sv[0], "abcdef", 6));
	readStr("recv MSG_PEEK 3", sv[1], 3, MSG_PEEK);
	readStr("recv MSG_PEEK 10", sv[1], 10, MSG_PEEK);
	readStr("recv 2", sv[1], 2, 0);
	readStr("recv 10", sv[1], 10, 0);
	readStr("recv MSG_DONTWAIT on empty", sv[1], 10, MSG_DONTWAIT);
	readStr("recv MSG_PEEK|MSG_DONTWAIT on empty", sv[1], 10, MSG_PEEK | MSG_DONTWAIT);
	R(fcntl(sv[1], F_SETFL, O_NONBLOCK));
	R(read(sv[1], buf, 1));
	R(fcntl(sv[1], F_SETFL, 0));
	pid_t pid = pfork();
	if (pid == 0) {
		for (int i = 0; i < 4; i++) {
			pause_ms(20);
			if (write(sv[0], "wait" + i, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	readStr("recv MSG_WAITALL 4 (written a byte at a time)", sv[1], 4, MSG_WAITALL);
	reap("writer", pid);
	// MSG_WAITALL stops early at EOF.
	R(write(sv[0], "ab", 2));
	R(shutdown(sv[0], SHUT_WR));
	readStr("recv MSG_WAITALL 10 with 2 bytes and EOF", sv[1], 10, MSG_WAITALL);
	close(sv[0]);
	close(sv[1]);

	printf("-- send flags checks\n");
	sockpair(SOCK_STREAM, sv);
	R(send(sv[0], KERNEL_PTR, 1, 0));
	R(send(sv[0], "", 0, 0));
	R(recv(sv[1], KERNEL_PTR, 1, MSG_DONTWAIT));
	R(recv(sv[1], buf, 0, MSG_DONTWAIT));
	R(write(sv[0], "z", 1));
	R(recv(sv[1], KERNEL_PTR, 1, 0));
	readStr("the byte after a failed copy", sv[1], 1, MSG_DONTWAIT);
	close(sv[0]);
	close(sv[1]);

	printf("-- a full socket\n");
	sockpair(SOCK_STREAM, sv);
	R(fcntl(sv[0], F_SETFL, O_NONBLOCK));
	static char big[65536];
	long total = 0;
	for (int i = 0; i < 10000; i++) {
		r = write(sv[0], big, sizeof big);
		if (r < 0)
			break;
		total += r;
	}
	printf("writes until: %s, some written: %s\n", strerrorname_np(errno), total > 0 ? "yes" : "no");
	poll_now("poll of the full writer", sv[0]);
	poll_now("poll of its reader", sv[1]);
	R(send(sv[0], "x", 1, MSG_DONTWAIT));
	close(sv[0]);
	close(sv[1]);
}

static void shutdowns(void) {
	printf("-- shutdown\n");
	catch_sigpipe(1);
	int sv[2];
	char buf[8];
	sockpair(SOCK_STREAM, sv);
	R(shutdown(sv[0], 3));
	R(shutdown(sv[0], -1));
	R(shutdown(sv[0], SHUT_WR));
	poll_now("poll of the end shut for writing", sv[0]);
	poll_now("poll of its peer", sv[1]);
	R(read(sv[1], buf, sizeof buf));
	send_counted("send", sv[0], 0);
	send_counted("send MSG_NOSIGNAL", sv[0], MSG_NOSIGNAL);
	// The other direction still works.
	R(write(sv[1], "up", 2));
	readStr("read the other way", sv[0], 8, 0);
	R(shutdown(sv[0], SHUT_WR));
	close(sv[0]);
	close(sv[1]);

	sockpair(SOCK_STREAM, sv);
	R(write(sv[1], "queued", 6));
	R(shutdown(sv[0], SHUT_RD));
	poll_now("poll of the end shut for reading", sv[0]);
	poll_now("poll of its peer", sv[1]);
	// unix_stream_read_generic: data already queued is still read,
	// then EOF; the peer's writes fail (unix_shutdown passes
	// SEND_SHUTDOWN to it).
	readStr("read what was queued", sv[0], 8, 0);
	R(read(sv[0], buf, sizeof buf));
	send_counted("the peer's send", sv[1], 0);
	close(sv[0]);
	close(sv[1]);

	sockpair(SOCK_STREAM, sv);
	R(shutdown(sv[0], SHUT_RDWR));
	poll_now("poll after SHUT_RDWR", sv[0]);
	poll_now("poll of its peer", sv[1]);
	R(read(sv[0], buf, sizeof buf));
	R(read(sv[1], buf, sizeof buf));
	R(send(sv[0], "x", 1, MSG_NOSIGNAL));
	R(send(sv[1], "x", 1, MSG_NOSIGNAL));
	close(sv[0]);
	close(sv[1]);

	printf("-- a peer closed\n");
	sockpair(SOCK_STREAM, sv);
	R(write(sv[0], "last", 4));
	close(sv[0]);
	poll_now("poll after the peer closed, data unread", sv[1]);
	readStr("read", sv[1], 8, 0);
	R(read(sv[1], buf, sizeof buf));
	send_counted("send", sv[1], 0);
	send_counted("send MSG_NOSIGNAL|MSG_DONTWAIT", sv[1], MSG_NOSIGNAL | MSG_DONTWAIT);
	SOCKOPT(sv[1], SO_ERROR);
	close(sv[1]);
	// unix_release_sock: closing a socket with unread data sets
	// ECONNRESET on its peer; the next read reports it once.
	sockpair(SOCK_STREAM, sv);
	R(write(sv[0], "unread", 6));
	close(sv[1]);
	poll_now("poll of the writer whose peer closed with its data unread", sv[0]);
	R(read(sv[0], buf, sizeof buf));
	R(read(sv[0], buf, sizeof buf));
	close(sv[0]);
	sockpair(SOCK_STREAM, sv);
	R(write(sv[0], "unread", 6));
	close(sv[1]);
	SOCKOPT(sv[0], SO_ERROR);
	SOCKOPT(sv[0], SO_ERROR);
	R(read(sv[0], buf, sizeof buf));
	close(sv[0]);
	// A SIGPIPE left at its default action kills.
	sockpair(SOCK_STREAM, sv);
	close(sv[1]);
	pid_t pid = pfork();
	if (pid == 0) {
		catch_sigpipe(0);
		R(write(sv[0], "x", 1));
		_exit(0);
	}
	reap("writer to a closed peer with SIGPIPE's default action", pid);
	close(sv[0]);
	catch_sigpipe(0);
}

static void paths(void) {
	printf("-- bind to a path\n");
	struct sockaddr_un a, got;
	socklen_t len;
	umask(027);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	sockname("getsockname before bind", s);
	socklen_t l = sun_path_addr(&a, "tmp/srv");
	printf("path address length %u\n", (unsigned)l);
	R(bind(s, (struct sockaddr *)&a, l));
	sockname("getsockname after bind", s);
	struct stat st;
	R(stat("tmp/srv", &st));
	printf("S_ISSOCK %d mode %o size %ld nlink %ld\n", S_ISSOCK(st.st_mode), st.st_mode & 07777, (long)st.st_size,
	       (long)st.st_nlink);
	R(lstat("tmp/srv", &st));
	R(open("tmp/srv", O_RDONLY));
	R(open("tmp/srv", O_WRONLY));
	R(truncate("tmp/srv", 0));
	R(bind(s, (struct sockaddr *)&a, l));
	sun_path_addr(&a, "tmp/srv2");
	R(bind(s, (struct sockaddr *)&a, l));
	// unix_bind: the family alone asks for autobind, which is a no-op
	// (0, not EINVAL) on a socket that already has a name.
	R(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)));
	sockname("getsockname after that", s);
	peername("getpeername of a bound socket", s);
	umask(022);

	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	sun_path_addr(&a, "tmp/srv");
	R(bind(s2, (struct sockaddr *)&a, l));
	R(close(open("tmp/file", O_CREAT | O_WRONLY, 0644)));
	sun_path_addr(&a, "tmp/file");
	R(bind(s2, (struct sockaddr *)&a, sizeof a));
	sun_path_addr(&a, "tmp/missing/sock");
	R(bind(s2, (struct sockaddr *)&a, sizeof a));
	sun_path_addr(&a, "tmp/file/sock");
	R(bind(s2, (struct sockaddr *)&a, sizeof a));
	R(bind(s2, (struct sockaddr *)&a, 1));
	R(bind(s2, (struct sockaddr *)&a, sizeof a + 1));
	R(bind(s2, (struct sockaddr *)&a, -1));
	R(bind(s2, KERNEL_PTR, sizeof a));
	a.sun_family = AF_INET;
	R(bind(s2, (struct sockaddr *)&a, sizeof a));
	sockname("getsockname after failed binds", s2);
	// Data calls on an unconnected stream socket.
	char ch;
	R(send(s2, "x", 1, MSG_NOSIGNAL));
	R(write(s2, "x", 1));
	// unix_stream_sendmsg: an address on a stream socket is EOPNOTSUPP.
	sun_path_addr(&got, "tmp/srv");
	R(sendto(s2, "x", 1, 0, (struct sockaddr *)&got, sizeof got));
	// unix_stream_read_generic: reading a socket that is not connected
	// is EINVAL, not ENOTCONN.
	R(recv(s2, &ch, 1, 0));
	R(read(s2, &ch, 1));
	// unix_poll: a connection-based socket in TCP_CLOSE polls HUP.
	poll_now("poll of an unconnected stream socket", s2);
	// unix_shutdown does not ask for a peer.
	R(shutdown(s2, SHUT_RD));
	poll_now("after SHUT_RD", s2);
	peername("getpeername", s2);
	// unix_mkname_bsd: the length counts to the first NUL, whatever the
	// caller passed, plus one for the NUL it keeps; a path without its
	// NUL (length exactly family + path) gets one.
	memset(&a, 'x', sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, "tmp/nonul", 9);
	R(bind(s2, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 9));
	sockname("getsockname of a path bound without its NUL", s2);
	R(access("tmp/nonul", F_OK));
	close(s2);
	s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, "tmp/short\0ignored", 17);
	R(bind(s2, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 17));
	sockname("getsockname of a path with bytes after its NUL", s2);
	close(s2);
	// A full 108-byte path with no NUL.
	s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	R(mkdir("tmp/d", 0755));
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, "tmp/d/", 6);
	memset(a.sun_path + 6, 'p', sizeof a.sun_path - 6);
	R(bind(s2, (struct sockaddr *)&a, sizeof a));
	memset(&got, 0, sizeof got);
	len = sizeof got;
	R(getsockname(s2, (struct sockaddr *)&got, &len));
	printf("a 108-byte path: getsockname len %u, path length %zu\n", (unsigned)len, strnlen(got.sun_path, sizeof got.sun_path));
	char big[sizeof(struct sockaddr_un) + 8];
	len = sizeof big;
	memset(big, 0, sizeof big);
	R(getsockname(s2, (struct sockaddr *)big, &len));
	printf("into a bigger buffer: len %u, path length %zu\n", (unsigned)len, strlen(big + 2));
	close(s2);

	printf("-- listen, connect, accept4\n");
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	sun_path_addr(&a, "tmp/srv");
	// unix_find_bsd: a socket file with nobody listening refuses.
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	R(accept(s, NULL, NULL));
	SOCKOPT(s, SO_ACCEPTCONN);
	R(listen(s, 5));
	SOCKOPT(s, SO_ACCEPTCONN);
	R(listen(s, 3));
	R(connect(s, (struct sockaddr *)&a, sizeof a));
	int unb = socket(AF_UNIX, SOCK_STREAM, 0);
	// unix_listen: an unbound socket cannot listen.
	R(listen(unb, 1));
	close(unb);
	R(connect(c, (struct sockaddr *)&a, 1));
	R(connect(c, (struct sockaddr *)&a, sizeof a + 1));
	R(connect(c, KERNEL_PTR, sizeof a));
	a.sun_family = AF_INET;
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	a.sun_family = AF_UNIX;
	R(connect(c, (struct sockaddr *)&a, l));
	R(connect(c, (struct sockaddr *)&a, l));
	peername("client getpeername", c);
	sockname("client getsockname", c);
	len = sizeof got;
	memset(&got, 0x55, sizeof got);
	int acc = accept4(s, (struct sockaddr *)&got, &len, SOCK_CLOEXEC);
	show_sun("accept4 (client unbound)", acc, &got, len);
	R(fcntl(acc, F_GETFD));
	sockname("accepted getsockname", acc);
	peername("accepted getpeername", acc);
	R(accept4(s, NULL, NULL, 0x1234));
	R(write(c, "ping", 4));
	readStr("accepted reads", acc, 16, 0);
	close(c);
	close(acc);

	// A bound client: accept returns its name.
	c = boundDial("tmp/cli", &a);
	len = sizeof got;
	memset(&got, 0x55, sizeof got);
	acc = accept(s, (struct sockaddr *)&got, &len);
	show_sun("accept (client bound)", acc, &got, len);
	peername("accepted getpeername", acc);
	len = sizeof got;
	R(recvfrom(acc, big, 1, MSG_DONTWAIT, (struct sockaddr *)&got, &len));
	R(write(c, "from", 4));
	len = sizeof got;
	memset(&got, 0x55, sizeof got);
	long r = recvfrom(acc, big, sizeof big, 0, (struct sockaddr *)&got, &len);
	show_sun("recvfrom a bound client", r, &got, len);
	close(c);
	close(acc);
	// A short buffer: the name is cut, the length says how long it was.
	c = boundDial("tmp/cli3", &a);
	len = 4;
	memset(&got, 0, sizeof got);
	acc = accept(s, (struct sockaddr *)&got, &len);
	printf("accept into 4 bytes: %s, len %u, \"%.2s\"\n", acc >= 0 ? "ok" : strerrorname_np(errno), (unsigned)len, got.sun_path);
	close(c);
	close(acc);

	printf("-- connect errors\n");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	sun_path_addr(&a, "tmp/none");
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	sun_path_addr(&a, "tmp/file");
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	sun_path_addr(&a, "tmp/file/x");
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	sun_path_addr(&a, "tmp");
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	close(c);
	sun_path_addr(&a, "tmp/srv");
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	// unix_find_other: the socket found must be of the same type.
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	close(c);
	int ds = socket(AF_UNIX, SOCK_DGRAM, 0);
	sun_path_addr(&a, "tmp/dgram");
	R(bind(ds, (struct sockaddr *)&a, sizeof a));
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	close(c);
	close(ds);
	// The path of a listener that was unlinked: nothing to find.
	sun_path_addr(&a, "tmp/srv");
	R(unlink("tmp/srv"));
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	sockname("the listener's name after unlink", s);
	// A new socket can take the path while the old one lives.
	int s3 = listener(&a, sizeof a, 1);
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	acc = accept(s3, NULL, NULL);
	ok("the new listener got the connection", acc >= 0);
	R(fcntl(s, F_SETFL, O_NONBLOCK));
	R(accept4(s, NULL, NULL, SOCK_NONBLOCK));
	close(acc);
	close(c);
	close(s3);
	// The listener closed: its file stays and refuses.
	close(s);
	R(access("tmp/srv", F_OK));
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	close(c);
	R(unlink("tmp/srv"));
	R(unlink("tmp/cli"));
	R(unlink("tmp/cli3"));
	R(unlink("tmp/dgram"));
	R(unlink("tmp/file"));
	R(unlink("tmp/nonul"));
	R(unlink("tmp/short"));
	unlink("tmp/srv2");
	len = 6 + sizeof a.sun_path - 6;
	memset(big, 0, sizeof big);
	memcpy(big, "tmp/d/", 6);
	memset(big + 6, 'p', sizeof a.sun_path - 6);
	R(unlink(big));
	R(rmdir("tmp/d"));
}

static void abstract(void) {
	printf("-- the abstract namespace\n");
	struct sockaddr_un a, got;
	socklen_t l = sun_abstract(&a, "stream");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	R(bind(s, (struct sockaddr *)&a, l));
	sockname("getsockname", s);
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	R(bind(s2, (struct sockaddr *)&a, l));
	// Abstract names are counted bytes: one byte less is another name.
	R(bind(s2, (struct sockaddr *)&a, l - 1));
	sockname("getsockname of the shorter name", s2);
	close(s2);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	R(connect(c, (struct sockaddr *)&a, l));
	R(listen(s, 2));
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	R(connect(c, (struct sockaddr *)&a, l + 1));
	R(connect(c, (struct sockaddr *)&a, l));
	peername("client getpeername", c);
	socklen_t len = sizeof got;
	int acc = accept(s, (struct sockaddr *)&got, &len);
	show_sun("accept", acc, &got, len);
	sockname("accepted getsockname", acc);
	close(acc);
	close(c);
	close(s);
	// Closing the last socket frees the name.
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	R(bind(s, (struct sockaddr *)&a, l));
	close(s);

	printf("-- autobind\n");
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	// unix_autobind: a bind with the family alone picks "\0" and five
	// hex digits.
	a.sun_family = AF_UNIX;
	R(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)));
	sockname("getsockname after autobind", s);
	// unix_autobind returns 0 when the socket already has a name.
	R(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)));
	close(s);
	// Listening after autobind is allowed (the socket is bound).
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	R(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)));
	R(listen(s, 1));
	len = sizeof got;
	getsockname(s, (struct sockaddr *)&got, &len);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	R(connect(c, (struct sockaddr *)&got, len));
	acc = accept(s, NULL, NULL);
	ok("accept after autobind", acc >= 0);
	close(acc);
	close(c);
	close(s);
}

static void options(void) {
	printf("-- socket options\n");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	SOCKOPT(s, SO_TYPE);
	SOCKOPT(s, SO_DOMAIN);
	SOCKOPT(s, SO_PROTOCOL);
	SOCKOPT(s, SO_ERROR);
	SOCKOPT(s, SO_ACCEPTCONN);
	SOCKOPT(s, SO_REUSEADDR);
	SOCKOPT(s, SO_PASSCRED);
	SOCKOPT(s, SO_KEEPALIVE);
	SOCKOPT(s, SO_LINGER);
	SOCKOPT(s, 9999);
	int one = 1;
	R(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	SOCKOPT(s, SO_REUSEADDR);
	int big = 1000;
	R(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &big, sizeof big));
	SOCKOPT(s, SO_REUSEADDR);
	R(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, 2));
	R(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, KERNEL_PTR, sizeof one));
	R(setsockopt(s, SOL_SOCKET, SO_TYPE, &one, sizeof one));
	R(setsockopt(s, SOL_SOCKET, 9999, &one, sizeof one));
	R(setsockopt(s, 9999, 1, &one, sizeof one));
	int v;
	socklen_t len = sizeof v;
	R(getsockopt(s, 9999, 1, &v, &len));
	len = -1;
	R(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
	len = sizeof v;
	R(getsockopt(s, SOL_SOCKET, SO_TYPE, KERNEL_PTR, &len));
	R(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, KERNEL_PTR));
	// sk_getsockopt: a short buffer gets the first bytes.
	long lv = -1;
	len = 8;
	R(getsockopt(s, SOL_SOCKET, SO_TYPE, &lv, &len));
	printf("an 8-byte buffer: len %u\n", (unsigned)len);
	// SO_RCVBUF and SO_SNDBUF: sock_setsockopt doubles the value asked
	// for (within the limits), which getsockopt then returns.
	int want = 10000;
	R(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &want, sizeof want));
	len = sizeof v;
	getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len);
	printf("SO_RCVBUF set %d, get is twice that: %s\n", want, v == 2 * want ? "yes" : "no");
	want = 20000;
	R(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &want, sizeof want));
	getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len);
	printf("SO_SNDBUF set %d, get is twice that: %s\n", want, v == 2 * want ? "yes" : "no");
	close(s);

	printf("-- SO_PEERCRED\n");
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct ucred cr;
	len = sizeof cr;
	// cred_to_ucred: no peer is pid 0 and uid and gid -1.
	R(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len));
	printf("unconnected: pid %d uid %d gid %d len %u\n", cr.pid, (int)cr.uid, (int)cr.gid, (unsigned)len);
	len = 4;
	R(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len));
	printf("into 4 bytes: len %u\n", (unsigned)len);
	close(s);
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	len = sizeof cr;
	R(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len));
	printf("socketpair: pid is mine %d, uid is mine %d, gid is mine %d\n", cr.pid == getpid(), cr.uid == getuid(),
	       cr.gid == getgid());
	close(sv[0]);
	close(sv[1]);
	struct sockaddr_un a;
	socklen_t l = sun_abstract(&a, "cred");
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);
	R(bind(srv, (struct sockaddr *)&a, l));
	R(listen(srv, 1));
	R(setsockopt(srv, SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
	int done[2];
	R(pipe(done));
	pid_t pid = pfork();
	if (pid == 0) {
		int c = dial(&a, l, 0);
		struct ucred pc;
		socklen_t pl = sizeof pc;
		getsockopt(c, SOL_SOCKET, SO_PEERCRED, &pc, &pl);
		// The listener's credentials, taken at listen.
		printf("client sees the server: pid is its parent %d, uid %d\n", pc.pid == getppid(), pc.uid == getuid());
		fflush(stdout);
		char b;
		if (write(c, "k", 1) != 1 || read(done[0], &b, 1) != 1)
			_exit(1);
		_exit(0);
	}
	int acc = accept(srv, NULL, NULL);
	char b;
	// The child has printed once its byte arrives.
	R(read(acc, &b, 1));
	// unix_accept: the accepted socket inherits SO_PASSCRED.
	SOCKOPT(acc, SO_PASSCRED);
	len = sizeof cr;
	R(getsockopt(acc, SOL_SOCKET, SO_PEERCRED, &cr, &len));
	printf("server sees the client: pid is the child %d, uid %d, gid %d\n", cr.pid == pid, cr.uid == getuid(),
	       cr.gid == getgid());
	R(write(done[1], "x", 1));
	reap("client", pid);
	SOCKOPT(acc, SO_ACCEPTCONN);
	close(done[0]);
	close(done[1]);
	close(acc);
	close(srv);
}

static void nonblocking(void) {
	printf("-- a full backlog, non-blocking\n");
	struct sockaddr_un a;
	socklen_t l = sun_abstract(&a, "backlog");
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	R(bind(s, (struct sockaddr *)&a, l));
	R(listen(s, 1));
	poll_now("poll of a listener with nothing pending", s);
	R(accept(s, NULL, NULL));
	// unix_stream_connect: the backlog is full when more than backlog
	// connections wait (unix_recvq_full); a non-blocking connect then
	// fails with EAGAIN, not EINPROGRESS.
	int c[4];
	for (int i = 0; i < 4; i++) {
		c[i] = dial(&a, l, SOCK_NONBLOCK);
		printf("non-blocking connect %d: %s\n", i, c[i] >= 0 ? "0" : strerrorname_np(errno));
	}
	poll_now("poll of the listener with connections pending", s);
	struct pollfd p = {c[0], POLLIN | POLLOUT, 0};
	poll(&p, 1, 0);
	printf("poll of a connected, not yet accepted client: %s\n", poll_bits(p.revents));
	// A client may write before it is accepted.
	R(write(c[0], "early", 5));
	int acc = accept4(s, NULL, NULL, SOCK_NONBLOCK);
	ok("accept4", acc >= 0);
	R(fcntl(acc, F_GETFL) & O_NONBLOCK);
	readStr("what the client wrote before accept", acc, 16, 0);
	readStr("then", acc, 16, 0);
	int c2 = dial(&a, l, SOCK_NONBLOCK);
	printf("connect after one accept: %s\n", c2 >= 0 ? "0" : strerrorname_np(errno));
	int n = 0;
	for (int fd; (fd = accept(s, NULL, NULL)) >= 0; n++)
		close(fd);
	printf("accepted then: %d, then %s\n", n, strerrorname_np(errno));
	poll_now("poll of an emptied listener", s);
	// A blocking connect to a full backlog waits (unix_wait_for_peer)
	// until an accept makes room.
	int q0 = dial(&a, l, SOCK_NONBLOCK), q1 = dial(&a, l, SOCK_NONBLOCK);
	ok("the backlog filled again", q0 >= 0 && q1 >= 0);
	pid_t pid = pfork();
	if (pid == 0)
		_exit(dial(&a, l, 0) >= 0 ? 0 : 1);
	pause_ms(100);
	int st;
	pid_t w = waitpid(pid, &st, WNOHANG);
	int first = accept(s, NULL, NULL);
	reap("a blocking connect to a full backlog, after one accept", pid);
	printf("it was still waiting before the accept: %s\n", w == 0 ? "yes" : "no");
	n = 0;
	for (int fd; (fd = accept(s, NULL, NULL)) >= 0; n++)
		close(fd);
	printf("accepted then: %d\n", n + (first >= 0));
	close(first);
	close(q0);
	close(q1);
	// A connection whose client closed before accept is still accepted,
	// and reads EOF.
	int c3 = dial(&a, l, 0);
	close(c3);
	acc = accept(s, NULL, NULL);
	ok("accept of a closed client", acc >= 0);
	char buf[4];
	R(read(acc, buf, sizeof buf));
	poll_now("poll of it", acc);
	close(acc);
	// unix_stream_connect: a listener shut down for reading refuses,
	// and unix_accept on it is EINVAL.
	int sl = socket(AF_UNIX, SOCK_STREAM, 0);
	socklen_t sll = sun_abstract(&a, "shut");
	R(bind(sl, (struct sockaddr *)&a, sll));
	R(listen(sl, 4));
	R(shutdown(sl, SHUT_RD));
	R(dial(&a, sll, 0));
	R(accept(sl, NULL, NULL));
	poll_now("poll of a listener shut for reading", sl);
	close(sl);
	l = sun_abstract(&a, "backlog");
	// Clients of a listener that closes: their connection is reset.
	c3 = dial(&a, l, 0);
	close(s);
	poll_now("poll of a client whose listener closed before accept", c3);
	R(read(c3, buf, sizeof buf));
	R(read(c3, buf, sizeof buf));
	R(send(c3, "x", 1, MSG_NOSIGNAL));
	close(c3);
	for (int i = 0; i < 4; i++)
		if (c[i] >= 0)
			close(c[i]);
	if (c2 >= 0)
		close(c2);
	// Connect through a listener that is gone: ECONNREFUSED.
	int d = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	R(connect(d, (struct sockaddr *)&a, l));
	close(d);
}

static void readiness(void) {
	printf("-- poll, select and epoll readiness\n");
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	poll_now("a new pair", sv[0]);
	R(write(sv[1], "x", 1));
	poll_now("with data", sv[0]);
	fd_set rd, wr;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(sv[0], &rd);
	FD_SET(sv[1], &rd);
	FD_SET(sv[0], &wr);
	struct timeval tv = {0, 0};
	R(select(sv[1] + 1, &rd, &wr, NULL, &tv));
	printf("select: readable %d %d, writable %d\n", FD_ISSET(sv[0], &rd), FD_ISSET(sv[1], &rd), FD_ISSET(sv[0], &wr));
	// FIONREAD (SIOCINQ): the bytes queued on a stream socket.
	int q = -1;
	R(write(sv[1], "yz", 2));
	R(ioctl(sv[0], FIONREAD, &q));
	printf("FIONREAD: %d\n", q);
	char drain[8];
	R(read(sv[0], drain, sizeof drain));
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = 7};
	R(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	struct epoll_event out[2];
	int n = epoll_wait(ep, out, 2, 0);
	printf("epoll_wait: %d %s\n", n, n > 0 ? poll_bits(out[0].events) : "");
	n = epoll_wait(ep, out, 2, 0);
	printf("again (edge-triggered): %d\n", n);
	R(shutdown(sv[1], SHUT_WR));
	n = epoll_wait(ep, out, 2, 0);
	printf("after the peer's SHUT_WR: %d %s\n", n, n > 0 ? poll_bits(out[0].events) : "");
	poll_now("poll", sv[0]);
	close(sv[1]);
	n = epoll_wait(ep, out, 2, 0);
	printf("after the peer's close: %d %s\n", n, n > 0 ? poll_bits(out[0].events) : "");
	poll_now("poll", sv[0]);
	close(sv[0]);
	close(ep);

	// unix_writable: a full socket is writable again only once at most
	// a quarter of its send buffer is in use; an edge comes then.
	sockpair(SOCK_STREAM, sv);
	R(fcntl(sv[0], F_SETFL, O_NONBLOCK));
	static char big[65536];
	while (write(sv[0], big, sizeof big) > 0)
		;
	ep = epoll_create1(0);
	ev.events = EPOLLOUT | EPOLLET;
	R(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	n = epoll_wait(ep, out, 2, 0);
	printf("epoll_wait on a full socket: %d\n", n);
	R(fcntl(sv[1], F_SETFL, O_NONBLOCK));
	R(read(sv[1], big, 1) == 1);
	n = epoll_wait(ep, out, 2, 0);
	printf("after reading one byte: %d\n", n);
	while (read(sv[1], big, sizeof big) > 0)
		;
	n = epoll_wait(ep, out, 2, 0);
	printf("after reading everything: %d %s\n", n, n > 0 ? poll_bits(out[0].events) : "");
	close(ep);
	close(sv[0]);
	close(sv[1]);

	// A blocked reader woken by the peer's shutdown.
	sockpair(SOCK_STREAM, sv);
	pid_t pid = pfork();
	if (pid == 0) {
		pause_ms(30);
		shutdown(sv[1], SHUT_WR);
		_exit(0);
	}
	struct pollfd p = {sv[0], POLLIN | POLLRDHUP, 0};
	R(poll(&p, 1, 5000));
	printf("poll woken by the peer's shutdown: %s\n", poll_bits(p.revents));
	reap("child", pid);
	close(sv[0]);
	close(sv[1]);

	// A blocked accept woken by a connection.
	struct sockaddr_un a;
	socklen_t l = sun_abstract(&a, "wake");
	int s = listener(&a, l, 4);
	pid = pfork();
	if (pid == 0) {
		pause_ms(30);
		int c = dial(&a, l, 0);
		if (c < 0 || write(c, "hi", 2) != 2)
			_exit(1);
		_exit(0);
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	R(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
	n = epoll_wait(ep, out, 2, 5000);
	printf("epoll_wait on the listener: %d %s\n", n, n > 0 ? poll_bits(out[0].events) : "");
	int acc = accept(s, NULL, NULL);
	readStr("accepted reads", acc, 8, MSG_WAITALL);
	reap("client", pid);
	R(read(acc, &a, 1));
	close(acc);
	close(ep);
	close(s);
}

static void on_alarm(int sig) { (void)sig; }

// alarmIn arms a one-shot ITIMER_REAL ms from now.
static void alarmIn(int ms) {
	struct itimerval it = {{0, 0}, {0, ms * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void timeouts(void) {
	printf("-- SO_RCVTIMEO and signals\n");
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	// 200 ms is a whole number of ticks at any usual HZ, so it reads
	// back as set.
	struct timeval tv = {0, 200000}, got;
	R(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	socklen_t len = sizeof got;
	R(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &len));
	printf("SO_RCVTIMEO: %ld.%06ld (len %u)\n", (long)got.tv_sec, (long)got.tv_usec, (unsigned)len);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char b[8];
	// sock_rcvtimeo: the time runs out with EAGAIN, not ETIMEDOUT.
	R(read(sv[0], b, sizeof b));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("waited at least 190 ms: %s\n", ms >= 190 ? "yes" : "no");
	tv.tv_usec = 1;
	tv.tv_sec = -1;
	// sock_set_timeout: a negative time is taken as no wait at all
	// (0), a tv_usec out of range is EDOM.
	R(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	tv.tv_sec = 0;
	tv.tv_usec = 2000000;
	R(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	R(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 4));

	// A handler with SA_RESTART: a blocking read restarts after it, but
	// not when the socket has a receive timeout (signal(7)).
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	pid_t pid = pfork();
	if (pid == 0) {
		pause_ms(150);
		if (write(sv[1], "late", 4) != 4)
			_exit(1);
		_exit(0);
	}
	struct timeval none = {0, 0};
	R(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none));
	alarmIn(30);
	R(read(sv[0], b, sizeof b));
	reap("writer", pid);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	R(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	alarmIn(30);
	R(read(sv[0], b, sizeof b));
	signal(SIGALRM, SIG_DFL);
	close(sv[0]);
	close(sv[1]);
}

// acceptFull: accept with no descriptor free is EMFILE and leaves the
// connection pending (do_accept reserves the descriptor before
// unix_accept takes the connection off the queue).
static void acceptFull(void) {
	printf("-- accept at RLIMIT_NOFILE\n");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, "tmp/full");
	unlink(a.sun_path);
	int l = listener(&a, sizeof a, 4);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	R(connect(c, (struct sockaddr *)&a, sizeof a));
	struct rlimit old, rl;
	getrlimit(RLIMIT_NOFILE, &old);
	rl = old;
	rl.rlim_cur = c + 1; // every descriptor below is taken...
	for (int fd = 0; fd <= c; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			rl.rlim_cur = fd; // ...or, at the first hole, the ones below it
			break;
		}
	R(setrlimit(RLIMIT_NOFILE, &rl));
	R(accept(l, NULL, NULL));
	R(setrlimit(RLIMIT_NOFILE, &old));
	int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	printf("accept after raising the limit: %s\n", s >= 0 ? "the connection" : strerrorname_np(errno));
	if (s >= 0)
		close(s);
	close(c);
	close(l);
	unlink(a.sun_path);
}

// splicing: splice(2) between a socket and a pipe both ways
// (unix_stream_splice_read, splice_to_socket), SPLICE_F_NONBLOCK on an
// empty socket, sendfile(2) into a socket, and a datagram socket's
// splice_write (one message per pipe read).
static void splicing(void) {
	printf("-- splice and sendfile\n");
	int sv[2], p[2], dv[2];
	char buf[64];
	sockpair(SOCK_STREAM, sv);
	R(pipe(p));
	R(splice(sv[1], NULL, p[1], NULL, 64, SPLICE_F_NONBLOCK));
	R(write(sv[0], "spliced", 7));
	R(splice(sv[1], NULL, p[1], NULL, 64, SPLICE_F_NONBLOCK));
	R(read(p[0], buf, sizeof buf));
	R(write(p[1], "back", 4));
	R(splice(p[0], NULL, sv[0], NULL, 64, 0));
	R(read(sv[1], buf, sizeof buf));
	int fd = open("tmp/sendfile", O_CREAT | O_RDWR | O_TRUNC, 0600);
	R(write(fd, "filedata", 8));
	off_t off = 0;
	R(sendfile(sv[0], fd, &off, 8));
	R(read(sv[1], buf, sizeof buf));
	close(fd);
	unlink("tmp/sendfile");
	sockpair(SOCK_DGRAM, dv);
	R(write(p[1], "dg", 2));
	R(splice(p[0], NULL, dv[0], NULL, 64, 0));
	R(recv(dv[1], buf, sizeof buf, MSG_DONTWAIT));
	R(lseek(sv[0], 0, SEEK_CUR));
	close(sv[0]), close(sv[1]), close(dv[0]), close(dv[1]), close(p[0]), close(p[1]);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	creation();
	pairs();
	shutdowns();
	paths();
	abstract();
	options();
	nonblocking();
	readiness();
	timeouts();
	acceptFull();
	splicing();
	return 0;
}
