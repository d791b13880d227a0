// unix_dgram: AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET sockets as Linux's
// net/unix/af_unix.c has them: message boundaries, MSG_TRUNC on the
// call and in msg_flags, MSG_PEEK, zero-length messages, sendto with an
// address on unconnected sockets and the sender's address recvfrom
// reports (bound, abstract, unbound), connect and the filtering it
// brings (EPERM from strangers), AF_UNSPEC to disconnect, the errors of
// sends to missing, closed and wrong-type sockets, EMSGSIZE against the
// send buffer, shutdown, poll readiness; and for SOCK_SEQPACKET,
// listen/accept/connect, boundaries, truncation, EOF and EPIPE after the
// peer closes.
//
// Sizes printed are ones Linux defines from the values set (SO_SNDBUF),
// never the sysctl defaults.
#include "check.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

// sock makes a socket of type bound to a (when a is not NULL), or ends
// the program.
static int sock(int type, const struct sockaddr_un *a, socklen_t len) {
	int fd = socket(AF_UNIX, type, 0);
	if (fd < 0 || (a && bind(fd, (const struct sockaddr *)a, len) < 0)) {
		show("sock", -1);
		exit(1);
	}
	return fd;
}

// recvStr receives once with flags into a buffer of n bytes and prints
// the result, the bytes and, when asked, the sender's address.
static void recvStr(const char *what, int fd, size_t n, int flags, int from) {
	char buf[256];
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	memset(&a, 0x55, sizeof a);
	long r = recvfrom(fd, buf, n < sizeof buf ? n : sizeof buf, flags, from ? (struct sockaddr *)&a : NULL,
			  from ? &len : NULL);
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else if (from)
		printf("%s: %ld \"%.*s\" from %s\n", what, r, (int)(r < (long)n ? r : (long)n), buf, sun_string(&a, len));
	else
		printf("%s: %ld \"%.*s\"\n", what, r, (int)(r < (long)n ? r : (long)n), buf);
}

// recvMsg receives with recvmsg into a buffer of n bytes and prints the
// result and msg_flags.
static void recvMsg(const char *what, int fd, size_t n, int flags) {
	char buf[256];
	struct iovec iov = {buf, n < sizeof buf ? n : sizeof buf};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = -1};
	long r = recvmsg(fd, &m, flags);
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld \"%.*s\" msg_flags %s\n", what, r, (int)(r < (long)n ? r : (long)n), buf,
		       m.msg_flags == 0 ? "0" : m.msg_flags == MSG_TRUNC ? "MSG_TRUNC" : "other");
}

// boundaries checks what a connected pair of type keeps of messages.
static void boundaries(int type) {
	int sv[2];
	sockpair(type, sv);
	R(write(sv[0], "a", 1));
	R(send(sv[0], "bc", 2, 0));
	R(write(sv[0], "def", 3));
	// Each read takes one message, however large the buffer.
	recvStr("recv 64", sv[1], 64, 0, 0);
	recvStr("recv 64", sv[1], 64, 0, 0);
	recvStr("recv 64", sv[1], 64, 0, 0);
	R(write(sv[0], "hello", 5));
	R(write(sv[0], "next", 4));
	// unix_inq_len: FIONREAD is the next datagram's length for
	// SOCK_DGRAM but every queued byte for SOCK_SEQPACKET.
	int q = -1;
	R(ioctl(sv[1], FIONREAD, &q));
	printf("FIONREAD: %d\n", q);
	recvStr("recv MSG_PEEK 2", sv[1], 2, MSG_PEEK, 0);
	recvStr("recv MSG_PEEK|MSG_TRUNC 2", sv[1], 2, MSG_PEEK | MSG_TRUNC, 0);
	recvMsg("recvmsg MSG_PEEK 3", sv[1], 3, MSG_PEEK);
	// unix_dgram_recvmsg: a short buffer cuts the message and drops the
	// rest; MSG_TRUNC makes the call return the message's real length.
	recvMsg("recvmsg 3", sv[1], 3, 0);
	recvStr("the next message", sv[1], 64, 0, 0);
	R(write(sv[0], "truncated", 9));
	recvStr("recv MSG_TRUNC 4", sv[1], 4, MSG_TRUNC, 0);
	R(write(sv[0], "whole", 5));
	recvMsg("recvmsg MSG_TRUNC 64", sv[1], 64, MSG_TRUNC);
	// Zero-length messages are messages.
	R(send(sv[0], "", 0, 0));
	R(write(sv[0], "", 0));
	poll_now("poll with two empty messages queued", sv[1]);
	recvMsg("recvmsg of an empty message", sv[1], 64, 0);
	recvStr("recv of an empty message into 0 bytes", sv[1], 0, 0, 0);
	recvStr("recv MSG_DONTWAIT, nothing queued", sv[1], 64, MSG_DONTWAIT, 0);
	poll_now("poll, nothing queued", sv[1]);
	struct iovec iov[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
	R(writev(sv[0], iov, 3));
	char b1[2], b2[2];
	struct iovec in[2] = {{b1, 2}, {b2, 2}};
	long r = readv(sv[1], in, 2);
	printf("readv into 2+2: %ld \"%.2s\" \"%.2s\"\n", r, b1, b2);
	R(recv(sv[1], b1, 1, MSG_DONTWAIT));
	close(sv[0]);
	close(sv[1]);
}

static void dgram(void) {
	printf("-- SOCK_DGRAM: message boundaries\n");
	boundaries(SOCK_DGRAM);

	printf("-- SOCK_DGRAM: addresses\n");
	struct sockaddr_un sa, ca, xa;
	socklen_t sl = sun_path_addr(&sa, "tmp/dsrv");
	int srv = sock(SOCK_DGRAM, &sa, sl);
	int cli = sock(SOCK_DGRAM, NULL, 0);
	// An unbound sender has no address to report.
	R(sendto(cli, "anon", 4, 0, (struct sockaddr *)&sa, sl));
	recvStr("recvfrom an unbound sender", srv, 64, 0, 1);
	sockname("the unbound sender after sendto", cli);
	close(cli);
	socklen_t cl = sun_path_addr(&ca, "tmp/dcli");
	cli = sock(SOCK_DGRAM, &ca, cl);
	R(sendto(cli, "named", 5, 0, (struct sockaddr *)&sa, sizeof sa));
	recvStr("recvfrom a bound sender", srv, 64, 0, 1);
	R(sendto(srv, "reply", 5, 0, (struct sockaddr *)&ca, cl));
	recvStr("the reply", cli, 64, 0, 1);
	close(cli);
	socklen_t xl = sun_abstract(&xa, "dgram");
	cli = sock(SOCK_DGRAM, &xa, xl);
	R(sendto(cli, "abstract", 8, 0, (struct sockaddr *)&sa, sl));
	recvStr("recvfrom an abstract sender", srv, 64, 0, 1);
	// A short address buffer: the length says how long it was.
	R(sendto(cli, "x", 1, 0, (struct sockaddr *)&sa, sl));
	char c;
	socklen_t len = 4;
	memset(&ca, 0, sizeof ca);
	R(recvfrom(srv, &c, 1, 0, (struct sockaddr *)&ca, &len));
	printf("into 4 bytes: len %u\n", (unsigned)len);
	close(cli);

	printf("-- SOCK_DGRAM: send errors\n");
	cli = sock(SOCK_DGRAM, NULL, 0);
	// unix_dgram_sendmsg: no address and no peer.
	R(send(cli, "x", 1, 0));
	R(write(cli, "x", 1));
	sun_path_addr(&xa, "tmp/none");
	R(sendto(cli, "x", 1, 0, (struct sockaddr *)&xa, sizeof xa));
	xl = sun_abstract(&xa, "none");
	R(sendto(cli, "x", 1, 0, (struct sockaddr *)&xa, xl));
	R(close(open("tmp/dfile", O_CREAT | O_WRONLY, 0644)));
	sun_path_addr(&xa, "tmp/dfile");
	R(sendto(cli, "x", 1, 0, (struct sockaddr *)&xa, sizeof xa));
	int st = sock(SOCK_STREAM, NULL, 0);
	socklen_t stl = sun_path_addr(&xa, "tmp/dstream");
	R(bind(st, (struct sockaddr *)&xa, stl));
	R(listen(st, 1));
	R(sendto(cli, "x", 1, 0, (struct sockaddr *)&xa, stl));
	R(sendto(cli, "x", 1, 0, (struct sockaddr *)&sa, 1));
	xa.sun_family = AF_INET;
	R(sendto(cli, "x", 1, 0, (struct sockaddr *)&xa, sizeof xa));
	R(sendto(cli, "x", 1, 0, KERNEL_PTR, sizeof xa));
	R(sendto(cli, KERNEL_PTR, 1, 0, (struct sockaddr *)&sa, sl));
	R(sendto(cli, "x", 1, MSG_OOB, (struct sockaddr *)&sa, sl));
	R(listen(cli, 1));
	R(accept(cli, NULL, NULL));
	R(recv(cli, &c, 1, MSG_DONTWAIT));
	peername("getpeername of an unconnected datagram socket", cli);
	poll_now("poll of an unconnected datagram socket", cli);
	close(st);
	// unix_find_abstract: abstract names are looked up per socket type,
	// so a stream and a datagram socket can hold the same name, and a
	// stream connect to a datagram-only name is ECONNREFUSED (a path
	// gives EPROTOTYPE).
	xl = sun_abstract(&xa, "types");
	int ad = sock(SOCK_DGRAM, &xa, xl);
	int as = socket(AF_UNIX, SOCK_STREAM, 0);
	R(connect(as, (struct sockaddr *)&xa, xl));
	R(bind(as, (struct sockaddr *)&xa, xl));
	close(as);
	close(ad);
	// The message sent with a NULL buffer never arrived.
	recvStr("what the server has", srv, 64, MSG_DONTWAIT, 0);

	printf("-- SOCK_DGRAM: EMSGSIZE\n");
	// unix_dgram_sendmsg: a datagram longer than the send buffer less 32
	// bytes is EMSGSIZE; SO_SNDBUF keeps twice the value set.
	int want = 10000;
	R(setsockopt(cli, SOL_SOCKET, SO_SNDBUF, &want, sizeof want));
	static char big[1 << 16];
	R(sendto(cli, big, 2 * want - 32, 0, (struct sockaddr *)&sa, sl));
	R(sendto(cli, big, 2 * want - 31, 0, (struct sockaddr *)&sa, sl));
	long r = recv(srv, big, sizeof big, 0);
	printf("received %ld\n", r);
	R(sendto(cli, big, 16 << 20, 0, (struct sockaddr *)&sa, sl));

	printf("-- SOCK_DGRAM: a full receiver\n");
	R(fcntl(cli, F_SETFL, O_NONBLOCK));
	int sent = 0;
	for (; sent < 100000; sent++)
		if (sendto(cli, "q", 1, 0, (struct sockaddr *)&sa, sl) < 0)
			break;
	printf("sends until %s, some sent: %s\n", strerrorname_np(errno), sent > 0 ? "yes" : "no");
	int got = 0;
	while (recv(srv, &c, 1, MSG_DONTWAIT) == 1)
		got++;
	printf("all received: %s\n", got == sent ? "yes" : "no");
	close(cli);

	printf("-- SOCK_DGRAM: connect\n");
	cl = sun_path_addr(&ca, "tmp/dcli");
	R(unlink("tmp/dcli"));
	cli = sock(SOCK_DGRAM, &ca, cl);
	sun_path_addr(&xa, "tmp/none");
	R(connect(cli, (struct sockaddr *)&xa, sizeof xa));
	sun_path_addr(&xa, "tmp/dstream");
	R(connect(cli, (struct sockaddr *)&xa, sizeof xa));
	R(connect(cli, (struct sockaddr *)&sa, sl));
	peername("getpeername", cli);
	R(send(cli, "via connect", 11, 0));
	recvStr("the server", srv, 64, 0, 1);
	// A connected datagram socket may still name another destination.
	int other = sock(SOCK_DGRAM, NULL, 0);
	R(bind(other, (struct sockaddr *)&sa, sizeof(sa_family_t)));
	len = sizeof xa;
	getsockname(other, (struct sockaddr *)&xa, &len);
	R(sendto(cli, "elsewhere", 9, 0, (struct sockaddr *)&xa, len));
	recvStr("the other", other, 64, MSG_DONTWAIT, 1);
	// unix_dgram_sendmsg (unix_may_send): a socket connected elsewhere
	// takes nothing from strangers; its peer may send.
	R(sendto(other, "stranger", 8, 0, (struct sockaddr *)&ca, cl));
	// unix_dgram_connect: connecting to it is refused the same way.
	R(connect(other, (struct sockaddr *)&ca, cl));
	R(sendto(srv, "from the peer", 13, 0, (struct sockaddr *)&ca, cl));
	recvStr("the client", cli, 64, MSG_DONTWAIT, 1);
	// Reconnecting to another socket; AF_UNSPEC disconnects.
	R(connect(cli, (struct sockaddr *)&xa, len));
	peername("getpeername after connecting elsewhere", cli);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	R(connect(cli, &unspec, sizeof unspec));
	peername("getpeername after AF_UNSPEC", cli);
	R(send(cli, "x", 1, 0));
	R(sendto(other, "now", 3, 0, (struct sockaddr *)&ca, cl));
	recvStr("the client", cli, 64, MSG_DONTWAIT, 1);
	close(other);

	printf("-- SOCK_DGRAM: the peer closes\n");
	catch_sigpipe(1);
	int tmp = sock(SOCK_DGRAM, NULL, 0);
	R(bind(tmp, (struct sockaddr *)&sa, sizeof(sa_family_t)));
	len = sizeof xa;
	getsockname(tmp, (struct sockaddr *)&xa, &len);
	R(connect(cli, (struct sockaddr *)&xa, len));
	R(send(cli, "lost", 4, 0));
	close(tmp);
	// unix_dgram_sendmsg: the peer is dead: ECONNREFUSED, and the
	// socket is disconnected, so the next send finds no peer.
	send_counted("send", cli, 0);
	peername("getpeername", cli);
	send_counted("send", cli, 0);
	// A socketpair's survivor.
	int sv[2];
	sockpair(SOCK_DGRAM, sv);
	R(write(sv[1], "left", 4));
	close(sv[1]);
	poll_now("poll of the survivor of a datagram pair", sv[0]);
	recvStr("read what was left", sv[0], 64, 0, 0);
	recvStr("then", sv[0], 64, MSG_DONTWAIT, 0);
	send_counted("send", sv[0], 0);
	send_counted("send", sv[0], 0);
	close(sv[0]);

	// unix_dgram_disconnected: a datagram socket that disconnects (or
	// connects elsewhere) drops what its old peer had queued for it,
	// and that peer, if connected back, gets ECONNRESET.
	sockpair(SOCK_DGRAM, sv);
	R(write(sv[1], "dropped", 7));
	R(connect(sv[0], &unspec, sizeof unspec));
	recvStr("what was queued before AF_UNSPEC", sv[0], 64, MSG_DONTWAIT, 0);
	SOCKOPT(sv[1], SO_ERROR);
	R(write(sv[1], "x", 1));
	close(sv[0]);
	close(sv[1]);

	printf("-- SOCK_DGRAM: shutdown\n");
	sockpair(SOCK_DGRAM, sv);
	R(shutdown(sv[0], SHUT_WR));
	// unix_dgram_sendmsg: EPIPE without SIGPIPE for datagrams.
	send_counted("send", sv[0], 0);
	poll_now("poll of the end shut for writing", sv[0]);
	poll_now("poll of its peer", sv[1]);
	R(shutdown(sv[1], SHUT_RD));
	R(read(sv[1], &c, 1));
	R(write(sv[1], "y", 1));
	recvStr("the other way", sv[0], 4, 0, 0);
	R(shutdown(sv[0], SHUT_RDWR));
	poll_now("poll after SHUT_RDWR", sv[0]);
	close(sv[0]);
	close(sv[1]);
	catch_sigpipe(0);

	close(cli);
	close(srv);
	R(unlink("tmp/dsrv"));
	R(unlink("tmp/dcli"));
	R(unlink("tmp/dfile"));
	R(unlink("tmp/dstream"));
}

static void seqpacket(void) {
	printf("-- SOCK_SEQPACKET: message boundaries\n");
	boundaries(SOCK_SEQPACKET);

	printf("-- SOCK_SEQPACKET: connections\n");
	struct sockaddr_un a;
	socklen_t l = sun_path_addr(&a, "tmp/seq");
	int s = sock(SOCK_SEQPACKET, &a, l);
	int c = sock(SOCK_SEQPACKET, NULL, 0), c2;
	R(send(c, "x", 1, 0));
	R(recv(c, &a, 1, MSG_DONTWAIT));
	R(connect(c, (struct sockaddr *)&a, l));
	R(listen(s, 2));
	SOCKOPT(s, SO_TYPE);
	SOCKOPT(s, SO_ACCEPTCONN);
	R(connect(c, (struct sockaddr *)&a, l));
	int acc = accept(s, NULL, NULL);
	ok("accept", acc >= 0);
	peername("client getpeername", c);
	sockname("accepted getsockname", acc);
	// unix_seqpacket_sendmsg: the address of a sendto is ignored.
	struct sockaddr_un bogus;
	sun_path_addr(&bogus, "tmp/none");
	R(sendto(c, "one", 3, 0, (struct sockaddr *)&bogus, sizeof bogus));
	R(write(c, "two!", 4));
	recvStr("recvfrom", acc, 64, 0, 1);
	recvMsg("recvmsg 2", acc, 2, 0);
	R(send(acc, "", 0, 0));
	// A zero-length message reads as 0, like EOF.
	recvStr("an empty message", c, 64, 0, 0);
	recvStr("then", c, 64, MSG_DONTWAIT, 0);

	printf("-- SOCK_SEQPACKET: EMSGSIZE\n");
	int want = 10000;
	R(setsockopt(c, SOL_SOCKET, SO_SNDBUF, &want, sizeof want));
	static char big[1 << 16];
	R(send(c, big, 2 * want - 32, 0));
	R(send(c, big, 2 * want - 31, 0));
	long r = recv(acc, big, sizeof big, 0);
	printf("received %ld\n", r);

	printf("-- SOCK_SEQPACKET: the peer closes\n");
	catch_sigpipe(1);
	R(write(acc, "bye", 3));
	close(acc);
	poll_now("poll of the client", c);
	recvStr("read what was left", c, 64, 0, 0);
	recvStr("then EOF", c, 64, 0, 0);
	// __unix_dgram_recvmsg: a seqpacket socket whose peer is gone reads
	// EOF even with MSG_DONTWAIT, not EAGAIN.
	recvStr("EOF with MSG_DONTWAIT", c, 64, MSG_DONTWAIT, 0);
	// unix_dgram_sendmsg (which unix_seqpacket_sendmsg calls): EPIPE,
	// but unlike a stream socket no SIGPIPE.
	send_counted("send", c, 0);
	send_counted("send MSG_NOSIGNAL", c, MSG_NOSIGNAL);
	close(c);
	// Closed with unread data: the peer sees ECONNRESET once.
	c = sock(SOCK_SEQPACKET, NULL, 0);
	R(connect(c, (struct sockaddr *)&a, l));
	acc = accept(s, NULL, NULL);
	R(write(c, "unread", 6));
	close(acc);
	// unix_seqpacket_sendmsg reports the pending error first.
	R(send(c, "x", 1, MSG_NOSIGNAL));
	R(send(c, "x", 1, MSG_NOSIGNAL));
	recvStr("read", c, 64, 0, 0);
	c2 = sock(SOCK_SEQPACKET, NULL, 0);
	R(connect(c2, (struct sockaddr *)&a, l));
	acc = accept(s, NULL, NULL);
	R(write(c2, "unread", 6));
	close(acc);
	recvStr("read", c2, 64, 0, 0);
	recvStr("read", c2, 64, 0, 0);
	close(c2);
	close(c);
	catch_sigpipe(0);
	close(s);
	R(unlink("tmp/seq"));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	dgram();
	seqpacket();
	return 0;
}
