// tcp: TCP sockets over loopback as Linux's net/ipv4 (tcp.c, af_inet.c,
// inet_connection_sock.c) and net/ipv6 have them: socket's checks, bind
// with port 0 and its errors, EADDRINUSE, SO_REUSEADDR over a TIME_WAIT
// and a listening port, SO_REUSEPORT listeners, listen, accept4 and its
// flags, blocking and non-blocking connect (EINPROGRESS, POLLOUT and
// SO_ERROR; ECONNREFUSED from a closed port), the data calls with
// MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_TRUNC and MSG_NOSIGNAL,
// FIONREAD, SO_RCVTIMEO, shutdown seen by read and by epoll
// (EPOLLRDHUP), EPIPE and SIGPIPE, ECONNRESET from a peer closed with
// unread data or with SO_LINGER {1, 0}, getsockname and getpeername,
// the socket options (SO_KEEPALIVE, SO_LINGER, the buffer sizes as
// relations, TCP_NODELAY, TCP_CORK, TCP_INFO's state, IP_TTL,
// IPV6_V6ONLY, SO_TYPE, SO_PROTOCOL, SO_DOMAIN, SO_ACCEPTCONN), ::1 and
// v4-mapped addresses, sendfile and splice into a socket, a full send
// buffer (EAGAIN, POLLOUT lost and regained, SO_SNDTIMEO), MSG_MORE, and
// a listener's readiness for poll and select.
//
// Ports vary between runs and are printed by name (L for the listener
// of the moment, "ephemeral" for a port the kernel chose); natively the
// program runs in a network namespace of its own (Case.NetNS).
#include "check.h"
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/time.h>
#include <sys/wait.h>

// setint sets an integer option and prints the result.
static void setint(const char *what, int fd, int level, int opt, int v) {
	if (setsockopt(fd, level, opt, &v, sizeof v) < 0)
		printf("setsockopt %s %d: -1 %s\n", what, v, strerrorname_np(errno));
	else
		printf("setsockopt %s %d: 0\n", what, v);
}

static int getint(int fd, int level, int opt) {
	int v = -1;
	socklen_t len = sizeof v;
	getsockopt(fd, level, opt, &v, &len);
	return v;
}

// tcp_state is TCP_INFO's tcpi_state by name.
static void tcp_state(const char *what, int fd) {
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) {
		printf("%s: TCP_INFO -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	static const char *names[] = {"?",	   "ESTABLISHED", "SYN_SENT",  "SYN_RECV",   "FIN_WAIT1", "FIN_WAIT2",
				      "TIME_WAIT", "CLOSE",	  "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING"};
	printf("%s: TCP_INFO state %s, len %s\n", what, ti.tcpi_state < 12 ? names[ti.tcpi_state] : "?",
	       len == sizeof ti ? "full" : "short");
}

// fdflags prints O_NONBLOCK and FD_CLOEXEC of fd.
static void fdflags(const char *what, int fd) {
	printf("%s: O_NONBLOCK %d, FD_CLOEXEC %d\n", what, !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
	       !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
}

// recv_str receives once and prints the result and the bytes.
static void recv_str(const char *what, int fd, size_t n, int flags) {
	char buf[256];
	if (n > sizeof buf)
		n = sizeof buf;
	long r = recv(fd, buf, n, flags);
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld \"%.*s\"\n", what, r, (int)r, buf);
}

// pair connects a client to the listener lfd at a and accepts it.
static void pair(int lfd, const union inet_addr *a, int *client, int *server) {
	*client = tcp_dial(a, 0);
	*server = accept(lfd, NULL, NULL);
	if (*client < 0 || *server < 0) {
		show("pair", -1);
		exit(1);
	}
}

// fionread prints ioctl(FIONREAD).
static void fionread(const char *what, int fd) {
	int n = -1;
	if (ioctl(fd, FIONREAD, &n) < 0)
		printf("%s: FIONREAD -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: FIONREAD %d\n", what, n);
}

// settle waits until fd's poll shows one of events (or a second passes)
// and prints the bits.
static void settle(const char *what, int fd, unsigned events) {
	unsigned got = wait_events(fd, events, 2000);
	struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
	poll(&p, 1, 0);
	printf("%s: %s%s\n", what, poll_bits(p.revents), got ? "" : " (timed out)");
}

static void creation(void) {
	printf("-- socket's checks\n");
	R(socket(AF_INET, 99, 0));
	R(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	R(socket(AF_INET, SOCK_STREAM, 255));
	R(socket(AF_INET, SOCK_STREAM | 0x40000000, 0));
	R(socket(AF_INET6, SOCK_SEQPACKET, 0));
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ok("socket(AF_INET, SOCK_STREAM, 0)", fd >= 0);
	fdflags("plain", fd);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	fdflags("SOCK_NONBLOCK|SOCK_CLOEXEC", fd);
	SOCKOPT(fd, SO_TYPE);
	SOCKOPT(fd, SO_PROTOCOL);
	SOCKOPT(fd, SO_DOMAIN);
	SOCKOPT(fd, SO_ACCEPTCONN);
	SOCKOPT(fd, SO_ERROR);
	close(fd);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	SOCKOPT(fd, SO_DOMAIN);
	SOCKOPT(fd, SO_PROTOCOL);
	close(fd);
}

static void options(void) {
	printf("-- options of a new socket\n");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	SOCKOPT(fd, SO_KEEPALIVE);
	setint("SO_KEEPALIVE", fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	SOCKOPT(fd, SO_KEEPALIVE);
	setint("SO_KEEPALIVE", fd, SOL_SOCKET, SO_KEEPALIVE, 7);
	SOCKOPT(fd, SO_KEEPALIVE);
	SOCKOPT(fd, SO_REUSEADDR);
	SOCKOPT(fd, SO_REUSEPORT);
	struct linger lg = {-1, -1};
	socklen_t len = sizeof lg;
	R(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	printf("SO_LINGER: {%d, %d} len %u\n", lg.l_onoff, lg.l_linger, (unsigned)len);
	lg = (struct linger){1, 5};
	R(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	lg = (struct linger){-1, -1};
	R(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
	printf("SO_LINGER: {%d, %d}\n", lg.l_onoff, lg.l_linger);
	R(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg - 1));

	int rcv = getint(fd, SOL_SOCKET, SO_RCVBUF), snd = getint(fd, SOL_SOCKET, SO_SNDBUF);
	ok("default SO_RCVBUF is at least 64 KiB", rcv >= 65536);
	ok("default SO_SNDBUF is at least 4 KiB", snd >= 4096);
	setint("SO_RCVBUF", fd, SOL_SOCKET, SO_RCVBUF, 100000);
	printf("SO_RCVBUF after 100000: %s\n", getint(fd, SOL_SOCKET, SO_RCVBUF) == 200000 ? "doubled" : "not doubled");
	setint("SO_SNDBUF", fd, SOL_SOCKET, SO_SNDBUF, 100000);
	printf("SO_SNDBUF after 100000: %s\n", getint(fd, SOL_SOCKET, SO_SNDBUF) == 200000 ? "doubled" : "not doubled");
	setint("SO_RCVBUF", fd, SOL_SOCKET, SO_RCVBUF, 1);
	rcv = getint(fd, SOL_SOCKET, SO_RCVBUF);
	ok("SO_RCVBUF after 1 is a small minimum", rcv > 1 && rcv <= 8192);
	setint("SO_RCVBUF", fd, SOL_SOCKET, SO_RCVBUF, -1);
	rcv = getint(fd, SOL_SOCKET, SO_RCVBUF);
	ok("SO_RCVBUF after -1 is the maximum (at least 64 KiB)", rcv >= 65536);
	setint("SO_SNDBUF", fd, SOL_SOCKET, SO_SNDBUF, 1 << 30);
	ok("SO_SNDBUF after 1 GiB is capped", getint(fd, SOL_SOCKET, SO_SNDBUF) < (1 << 30));

	intopt("TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY);
	setint("TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY, 1);
	intopt("TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY);
	intopt("TCP_CORK", fd, IPPROTO_TCP, TCP_CORK);
	setint("TCP_CORK", fd, IPPROTO_TCP, TCP_CORK, 1);
	intopt("TCP_CORK", fd, IPPROTO_TCP, TCP_CORK);
	setint("TCP_CORK", fd, IPPROTO_TCP, TCP_CORK, 0);
	intopt("TCP_CORK", fd, IPPROTO_TCP, TCP_CORK);
	intopt("IP_TTL", fd, IPPROTO_IP, IP_TTL);
	setint("IP_TTL", fd, IPPROTO_IP, IP_TTL, 5);
	intopt("IP_TTL", fd, IPPROTO_IP, IP_TTL);
	setint("IP_TTL", fd, IPPROTO_IP, IP_TTL, 0);
	setint("IP_TTL", fd, IPPROTO_IP, IP_TTL, 256);
	setint("IP_TTL", fd, IPPROTO_IP, IP_TTL, -1);
	intopt("IP_TTL", fd, IPPROTO_IP, IP_TTL);
	tcp_state("new socket", fd);

	printf("-- getsockopt and setsockopt checks\n");
	int v;
	len = sizeof v;
	R(getsockopt(fd, SOL_SOCKET, 9999, &v, &len));
	R(getsockopt(fd, 9999, 1, &v, &len));
	R(setsockopt(fd, IPPROTO_TCP, 9999, &v, sizeof v));
	len = (socklen_t)-1;
	R(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	len = sizeof v;
	R(getsockopt(fd, SOL_SOCKET, SO_TYPE, KERNEL_PTR, &len));
	R(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, KERNEL_PTR));
	R(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, KERNEL_PTR, sizeof v));
	R(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, 2));
	R(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, 2));
	R(getsockopt(-1, SOL_SOCKET, SO_TYPE, &v, &len));
	R(getsockopt(0, SOL_SOCKET, SO_TYPE, &v, &len));
	len = 2;
	R(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	printf("short SO_TYPE len: %u\n", (unsigned)len);
	close(fd);
}

static void binding(void) {
	printf("-- bind\n");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_sockname("getsockname unbound", fd);
	inet_peername("getpeername unconnected", fd);
	union inet_addr a = in4("127.0.0.1", 0);
	R(bind(fd, &a.sa, sizeof a.in4 - 1));
	R(bind(fd, KERNEL_PTR, sizeof a.in4));
	union inet_addr six = in6("::1", 0);
	R(bind(fd, &six.sa, sizeof six.in6));
	R(bind(-1, &a.sa, sizeof a.in4));
	R(bind(0, &a.sa, sizeof a.in4));
	R(bind(fd, &a.sa, sizeof a.in4));
	unsigned p = local_port(fd);
	ok("port 0 gave a port", p != 0);
	name_port(p, "P");
	inet_sockname("getsockname bound", fd);
	R(bind(fd, &a.sa, sizeof a.in4));
	// A second socket on the same port, bound but not listening.
	int fd2 = socket(AF_INET, SOCK_STREAM, 0);
	a = in4("127.0.0.1", p);
	R(bind(fd2, &a.sa, sizeof a.in4));
	union inet_addr any = in4("0.0.0.0", p);
	R(bind(fd2, &any.sa, sizeof any.in4));
	// A larger length is fine; the family's part is read.
	union inet_addr big = in4("127.0.0.1", 0);
	R(bind(fd2, &big.sa, sizeof big));
	ok("bind with a long length gave a port", local_port(fd2) != 0 && local_port(fd2) != p);
	close(fd2);
	// Both with SO_REUSEADDR and neither listening: both bind.
	int r1 = socket(AF_INET, SOCK_STREAM, 0), r2 = socket(AF_INET, SOCK_STREAM, 0);
	setint("SO_REUSEADDR", r1, SOL_SOCKET, SO_REUSEADDR, 1);
	setint("SO_REUSEADDR", r2, SOL_SOCKET, SO_REUSEADDR, 1);
	a = in4("127.0.0.1", 0);
	R(bind(r1, &a.sa, sizeof a.in4));
	a = in4("127.0.0.1", local_port(r1));
	name_port(local_port(r1), "R");
	R(bind(r2, &a.sa, sizeof a.in4));
	R(listen(r1, 1));
	R(listen(r2, 1));
	// A third with SO_REUSEADDR while r1 listens.
	int r3 = socket(AF_INET, SOCK_STREAM, 0);
	setint("SO_REUSEADDR", r3, SOL_SOCKET, SO_REUSEADDR, 1);
	R(bind(r3, &a.sa, sizeof a.in4));
	close(r1);
	close(r2);
	close(r3);
	close(fd);
	// An IPv4 address on an IPv6 socket.
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	a = in4("127.0.0.1", 0);
	R(bind(fd, &a.sa, sizeof a.in4));
	R(bind(fd, &six.sa, sizeof six.in6 - 1));
	R(bind(fd, &six.sa, sizeof six.in6));
	inet_sockname("getsockname [::1]", fd);
	close(fd);
}

static void reuse(void) {
	printf("-- SO_REUSEADDR over TIME_WAIT, SO_REUSEPORT\n");
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	setint("SO_REUSEADDR", lfd, SOL_SOCKET, SO_REUSEADDR, 1);
	union inet_addr a = in4("127.0.0.1", 0);
	socklen_t len = sizeof a.in4;
	R(bind(lfd, &a.sa, len));
	R(listen(lfd, 4));
	getsockname(lfd, &a.sa, &len);
	name_port(aport(&a), "L");
	int c, s;
	pair(lfd, &a, &c, &s);
	// The server closes first: its end goes through FIN_WAIT to TIME_WAIT
	// once the client closes too.
	R(close(s));
	char ch;
	R(read(c, &ch, 1));
	R(close(c));
	R(close(lfd));
	usleep(50000);
	int n = socket(AF_INET, SOCK_STREAM, 0);
	R(bind(n, &a.sa, len));
	setint("SO_REUSEADDR", n, SOL_SOCKET, SO_REUSEADDR, 1);
	R(bind(n, &a.sa, len));
	R(listen(n, 4));
	close(n);

	int p1 = socket(AF_INET, SOCK_STREAM, 0), p2 = socket(AF_INET, SOCK_STREAM, 0), p3 = socket(AF_INET, SOCK_STREAM, 0);
	setint("SO_REUSEPORT", p1, SOL_SOCKET, SO_REUSEPORT, 1);
	setint("SO_REUSEPORT", p2, SOL_SOCKET, SO_REUSEPORT, 1);
	SOCKOPT(p1, SO_REUSEPORT);
	a = in4("127.0.0.1", 0);
	R(bind(p1, &a.sa, len));
	a = in4("127.0.0.1", local_port(p1));
	name_port(aport(&a), "Q");
	R(listen(p1, 4));
	R(bind(p2, &a.sa, len));
	R(listen(p2, 4));
	R(bind(p3, &a.sa, len));
	// Connections go to one listener or the other.
	int got = 0;
	for (int i = 0; i < 8; i++) {
		int cc = tcp_dial(&a, 0);
		if (cc < 0)
			show("connect to a SO_REUSEPORT port", -1);
		struct pollfd pf[2] = {{p1, POLLIN, 0}, {p2, POLLIN, 0}};
		if (poll(pf, 2, 2000) > 0) {
			int from = (pf[0].revents & POLLIN) ? p1 : p2;
			int ac = accept(from, NULL, NULL);
			if (ac >= 0)
				got++;
			close(ac);
		}
		close(cc);
	}
	printf("connections accepted by either listener: %d\n", got);
	close(p1);
	close(p2);
	close(p3);
}

static void listening(void) {
	printf("-- listen and accept4\n");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	R(listen(fd, 4)); // autobinds
	ok("listen without bind chose a port", local_port(fd) != 0);
	close(fd);
	union inet_addr a;
	int lfd = tcp_listener(AF_INET, 0, 0, 8, &a);
	name_port(aport(&a), "L");
	inet_sockname("listener", lfd);
	SOCKOPT(lfd, SO_ACCEPTCONN);
	tcp_state("listener", lfd);
	fionread("listener", lfd);
	R(listen(lfd, 16)); // a second listen changes the backlog
	R(accept4(lfd, NULL, NULL, 0x12345));
	R(fcntl(lfd, F_SETFL, O_NONBLOCK));
	R(accept(lfd, NULL, NULL));
	R(fcntl(lfd, F_SETFL, 0));
	R(accept(-1, NULL, NULL));
	R(accept(0, NULL, NULL));
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	R(listen(u, 1));
	R(accept(u, NULL, NULL));
	close(u);
	int nl = socket(AF_INET, SOCK_STREAM, 0);
	R(accept(nl, NULL, NULL));
	close(nl);

	poll_now("listener, nothing pending", lfd);
	int c = tcp_dial(&a, 0);
	ok("connect", c >= 0);
	wait_events(lfd, POLLIN, 2000);
	poll_now("listener, a connection pending", lfd);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(lfd, &rs);
	struct timeval tv0 = {0, 0};
	printf("select on the listener: %d, readable %d\n", select(lfd + 1, &rs, NULL, NULL, &tv0), FD_ISSET(lfd, &rs));
	union inet_addr pa;
	socklen_t plen = sizeof pa;
	memset(&pa, 0x55, sizeof pa);
	int s = accept4(lfd, &pa.sa, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ok("accept4", s >= 0);
	name_port(local_port(c), "C");
	printf("accept4's peer: %s\n", inet_string(&pa, plen));
	fdflags("accept4 NONBLOCK|CLOEXEC", s);
	fdflags("listener", lfd);
	inet_sockname("accepted getsockname", s);
	inet_peername("accepted getpeername", s);
	inet_sockname("client getsockname", c);
	inet_peername("client getpeername", c);
	SOCKOPT(s, SO_ACCEPTCONN);
	tcp_state("accepted", s);
	tcp_state("client", c);
	R(recv(s, &pa, 1, 0));
	close(s);
	close(c);
	// A short address buffer: the length says how much there was.
	c = tcp_dial(&a, 0);
	plen = 4;
	memset(&pa, 0x55, sizeof pa);
	s = accept4(lfd, &pa.sa, &plen, 0);
	printf("accept4 with 4 bytes of room: %s, len %u, family %d\n", s >= 0 ? "ok" : strerrorname_np(errno),
	       (unsigned)plen, pa.sa.sa_family);
	fdflags("accept4 no flags", s);
	close(s);
	close(c);
	c = tcp_dial(&a, 0);
	plen = sizeof pa;
	R(accept4(lfd, KERNEL_PTR, &plen, 0));
	// The connection that failed to be returned was still taken off the
	// queue on Linux: the listener has nothing left.
	R(fcntl(lfd, F_SETFL, O_NONBLOCK));
	s = accept(lfd, NULL, NULL);
	show("accept after EFAULT", s < 0 ? -1 : 0);
	close(s);
	close(c);
	close(lfd);
}

static void connecting(void) {
	printf("-- connect\n");
	union inet_addr a;
	int lfd = tcp_listener(AF_INET, 0, 0, 8, &a);
	name_port(aport(&a), "L");
	// A closed port: bound, never listening.
	int closed = socket(AF_INET, SOCK_STREAM, 0);
	union inet_addr z = in4("127.0.0.1", 0);
	bind(closed, &z.sa, sizeof z.in4);
	z = in4("127.0.0.1", local_port(closed));
	name_port(aport(&z), "Z");

	int c = socket(AF_INET, SOCK_STREAM, 0);
	R(connect(c, KERNEL_PTR, sizeof a.in4));
	R(connect(c, &a.sa, 4));
	R(connect(-1, &a.sa, sizeof a.in4));
	R(connect(0, &a.sa, sizeof a.in4));
	union inet_addr six = in6("::1", aport(&a));
	R(connect(c, &six.sa, sizeof six.in6));
	R(connect(c, &z.sa, sizeof z.in4));
	SOCKOPT(c, SO_ERROR);
	close(c);
	c = socket(AF_INET, SOCK_STREAM, 0);
	R(connect(c, &a.sa, sizeof a.in4));
	R(connect(c, &a.sa, sizeof a.in4));
	inet_peername("connected getpeername", c);
	int s = accept(lfd, NULL, NULL);
	close(s);
	close(c);

	printf("-- non-blocking connect\n");
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	R(connect(c, &a.sa, sizeof a.in4));
	unsigned ev = wait_events(c, POLLOUT, 2000);
	printf("poll after EINPROGRESS: %s\n", poll_bits(ev));
	SOCKOPT(c, SO_ERROR);
	R(connect(c, &a.sa, sizeof a.in4));
	tcp_state("connected", c);
	s = accept(lfd, NULL, NULL);
	fdflags("accepted from a non-blocking client", s);
	close(s);
	close(c);

	// A blocking connect while the handshake runs waits for its result.
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	R(connect(c, &a.sa, sizeof a.in4));
	R(fcntl(c, F_SETFL, 0));
	R(connect(c, &a.sa, sizeof a.in4));
	R(connect(c, &a.sa, sizeof a.in4));
	s = accept(lfd, NULL, NULL);
	close(s);
	close(c);

	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	R(connect(c, &z.sa, sizeof z.in4));
	settle("poll after EINPROGRESS to a closed port", c, POLLOUT);
	SOCKOPT(c, SO_ERROR);
	SOCKOPT(c, SO_ERROR);
	inet_peername("getpeername after ECONNREFUSED", c);
	close(c);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	R(connect(c, &z.sa, sizeof z.in4));
	wait_events(c, POLLOUT, 2000);
	R(connect(c, &z.sa, sizeof z.in4));
	close(c);
	close(closed);
	close(lfd);
}

static void data(void) {
	printf("-- send and recv\n");
	union inet_addr a;
	int lfd = tcp_listener(AF_INET, 0, 0, 8, &a);
	name_port(aport(&a), "L");
	int c, s;
	pair(lfd, &a, &c, &s);
	R(send(c, "hello world", 11, 0));
	wait_events(s, POLLIN, 2000);
	fionread("server", s);
	recv_str("recv MSG_PEEK", s, 5, MSG_PEEK);
	recv_str("recv MSG_PEEK again", s, 64, MSG_PEEK);
	recv_str("recv 5", s, 5, 0);
	// MSG_TRUNC on a stream discards what it reads (tcp_recvmsg).
	char keep[8] = "#######";
	R(recv(s, keep, 3, MSG_TRUNC));
	printf("the buffer after MSG_TRUNC: \"%s\"\n", keep);
	recv_str("recv the rest", s, 64, 0);
	recv_str("recv MSG_DONTWAIT", s, 64, MSG_DONTWAIT);
	fionread("server, empty", s);
	R(send(c, KERNEL_PTR, 1, 0));
	R(recv(s, KERNEL_PTR, 1, MSG_DONTWAIT));
	R(send(c, "", 0, 0));
	R(sendto(c, "y", 1, 0, &a.sa, sizeof a.in4)); // a stream ignores the address
	recv_str("recv after sendto", s, 64, 0);
	union inet_addr from;
	socklen_t flen = sizeof from;
	R(send(c, "z", 1, 0));
	long r = recvfrom(s, &from, 1, 0, &from.sa, &flen);
	printf("recvfrom on a stream: %ld, address len %u\n", r, (unsigned)flen);

	printf("-- MSG_WAITALL\n");
	pid_t kid = pfork();
	if (kid == 0) {
		send(c, "abc", 3, 0);
		pause_ms(50);
		send(c, "defg", 4, 0);
		pause_ms(50);
		send(c, "hij", 3, 0);
		_exit(0);
	}
	recv_str("recv 10 MSG_WAITALL", s, 10, MSG_WAITALL);
	reap("sender", kid);

	printf("-- SO_RCVTIMEO\n");
	struct timeval tv = {0, 40000};
	R(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	tv = (struct timeval){-1, -1};
	socklen_t tl = sizeof tv;
	R(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, &tl));
	printf("SO_RCVTIMEO: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
	recv_str("recv with a timeout", s, 64, 0);
	tv = (struct timeval){0, 2000000};
	R(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	tv = (struct timeval){0, 0};
	R(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));

	printf("-- readiness\n");
	poll_now("client, idle", c);
	R(send(c, "q", 1, 0));
	wait_events(s, POLLIN, 2000);
	poll_now("server, a byte queued", s);
	R(recv(s, &from, 1, 0));
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = 7};
	R(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
	R(epoll_wait(ep, &ev, 1, 0));

	printf("-- shutdown\n");
	R(shutdown(c, 99));
	R(shutdown(c, SHUT_WR));
	struct epoll_event got = {0};
	int n = epoll_wait(ep, &got, 1, 2000);
	printf("epoll_wait after the peer's SHUT_WR: %d, %s\n", n, poll_bits(got.events));
	R(read(s, &from, 1));
	R(read(s, &from, 1));
	poll_now("server after EOF", s);
	poll_now("client after SHUT_WR", c);
	catch_sigpipe(1);
	send_counted("send after SHUT_WR", c, 0);
	send_counted("send MSG_NOSIGNAL after SHUT_WR", c, MSG_NOSIGNAL);
	R(write(s, "back", 4));
	recv_str("the half-closed client still reads", c, 64, 0);
	R(shutdown(c, SHUT_RD));
	poll_now("client after SHUT_RD too", c);
	R(shutdown(s, SHUT_RDWR));
	R(read(c, &from, 1));
	pause_ms(50);
	tcp_state("client after both shut", c);
	close(ep);
	close(c);
	close(s);
	int un = socket(AF_INET, SOCK_STREAM, 0);
	R(shutdown(un, SHUT_RD));
	R(send(un, "x", 1, MSG_NOSIGNAL));
	R(recv(un, &from, 1, 0));
	close(un);

	printf("-- EPIPE after the peer closed\n");
	pair(lfd, &a, &c, &s);
	R(close(s));
	R(read(c, &from, 1));
	// The first send reaches a closed socket, which answers with a reset.
	send_counted("send to a closed peer", c, 0);
	settle("client after the reset", c, POLLERR);
	send_counted("send after the reset", c, 0);
	send_counted("send MSG_NOSIGNAL after the reset", c, MSG_NOSIGNAL);
	close(c);
	pair(lfd, &a, &c, &s);
	close(s);
	read(c, &from, 1);
	send(c, "x", 1, MSG_NOSIGNAL);
	wait_events(c, POLLERR, 2000);
	catch_sigpipe(0);
	kid = pfork();
	if (kid == 0) {
		send(c, "x", 1, 0);
		_exit(0);
	}
	reap("a child sending without MSG_NOSIGNAL", kid);
	close(c);

	printf("-- ECONNRESET\n");
	pair(lfd, &a, &c, &s);
	R(send(c, "unread", 6, 0));
	wait_events(s, POLLIN, 2000);
	R(close(s)); // unread data: a reset, not a FIN
	settle("client after the reset", c, POLLERR);
	SOCKOPT(c, SO_ERROR);
	R(recv(c, &from, 1, 0));
	close(c);
	pair(lfd, &a, &c, &s);
	R(send(c, "unread", 6, 0));
	wait_events(s, POLLIN, 2000);
	R(close(s));
	wait_events(c, POLLERR, 2000);
	R(recv(c, &from, 1, 0));
	R(recv(c, &from, 1, 0));
	tcp_state("client after the reset", c);
	close(c);
	pair(lfd, &a, &c, &s);
	struct linger lg = {1, 0};
	R(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	R(close(s));
	settle("client after SO_LINGER {1, 0}", c, POLLERR);
	R(recv(c, &from, 1, 0));
	close(c);
	close(lfd);
}

// full fills a connection whose reader does not read: a non-blocking
// send ends with EAGAIN, poll loses POLLOUT, a blocking send with
// SO_SNDTIMEO times out, and everything arrives once the reader reads.
static void full(void) {
	printf("-- full buffers, SO_SNDTIMEO, MSG_MORE\n");
	union inet_addr a;
	int lfd = tcp_listener(AF_INET, 0, 0, 8, &a);
	name_port(aport(&a), "L");
	int c, s;
	pair(lfd, &a, &c, &s);
	int small = 4096;
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	static char chunk[4096];
	long sent = 0, r;
	int rounds = 0;
	// The receiver's window opens as it acknowledges: send until EAGAIN
	// persists.
	for (int idle = 0; idle < 5 && rounds < 100000; rounds++) {
		r = send(c, chunk, sizeof chunk, MSG_DONTWAIT);
		if (r > 0) {
			sent += r;
			idle = 0;
		} else if (errno == EAGAIN) {
			idle++;
			pause_ms(20);
		} else {
			show("send", r);
			break;
		}
	}
	ok("a non-blocking send ended with EAGAIN after some bytes", sent > 0 && rounds < 100000);
	struct pollfd p = {c, POLLOUT, 0};
	printf("poll for POLLOUT while full: %d\n", poll(&p, 1, 0));
	struct timeval tv = {0, 40000};
	R(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
	R(send(c, chunk, sizeof chunk, 0));
	R(send(c, chunk, sizeof chunk, MSG_DONTWAIT));
	static char in[65536];
	long got = 0;
	while (got < sent) {
		r = recv(s, in, sizeof in, 0);
		if (r <= 0) {
			show("recv", r);
			break;
		}
		got += r;
	}
	printf("the reader got everything sent: %s\n", got == sent ? "yes" : "no");
	printf("poll for POLLOUT after the reader read: %s\n", poll_bits(wait_events(c, POLLOUT, 2000)));
	R(send(c, "ab", 2, MSG_MORE));
	R(send(c, "cd", 2, 0));
	recv_str("recv 4 MSG_WAITALL after MSG_MORE", s, 4, MSG_WAITALL);
	close(c);
	close(s);
	close(lfd);
}

static void ipv6(void) {
	printf("-- IPv6: ::1, v4-mapped, IPV6_V6ONLY\n");
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	intopt("IPV6_V6ONLY", fd, IPPROTO_IPV6, IPV6_V6ONLY);
	close(fd);
	union inet_addr a;
	int lfd = tcp_listener(AF_INET6, 0, 1, 8, &a);
	name_port(aport(&a), "L");
	inet_sockname("[::] listener", lfd);
	union inet_addr peer;
	socklen_t plen;
	const char *targets[] = {"::1", "::ffff:127.0.0.1"};
	for (int i = 0; i < 2; i++) {
		union inet_addr t = in6(targets[i], aport(&a));
		int c = tcp_dial(&t, 0);
		printf("connect to %s: %s\n", targets[i], c >= 0 ? "ok" : strerrorname_np(errno));
		plen = sizeof peer;
		int s = accept(lfd, &peer.sa, &plen);
		name_port(local_port(c), "C");
		printf("accepted from %s\n", inet_string(&peer, plen));
		inet_sockname("client getsockname", c);
		inet_peername("client getpeername", c);
		inet_sockname("accepted getsockname", s);
		R(write(c, "v6", 2));
		recv_str("accepted reads", s, 8, 0);
		close(s);
		close(c);
	}
	union inet_addr t4 = in4("127.0.0.1", aport(&a));
	int c = tcp_dial(&t4, 0);
	printf("IPv4 connect to the [::] listener: %s\n", c >= 0 ? "ok" : strerrorname_np(errno));
	plen = sizeof peer;
	int s = accept(lfd, &peer.sa, &plen);
	name_port(local_port(c), "C");
	printf("accepted from %s\n", inet_string(&peer, plen));
	inet_sockname("accepted getsockname", s);
	inet_sockname("IPv4 client getsockname", c);
	close(s);
	close(c);
	close(lfd);

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	setint("IPV6_V6ONLY", fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	intopt("IPV6_V6ONLY", fd, IPPROTO_IPV6, IPV6_V6ONLY);
	union inet_addr any = in6("::", 0);
	R(bind(fd, &any.sa, sizeof any.in6));
	setint("IPV6_V6ONLY after bind", fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	R(listen(fd, 4));
	unsigned p = local_port(fd);
	name_port(p, "V");
	t4 = in4("127.0.0.1", p);
	c = tcp_dial(&t4, 0);
	show("IPv4 connect to a V6ONLY listener", c);
	union inet_addr t6 = in6("::1", p);
	c = tcp_dial(&t6, 0);
	show("IPv6 connect to a V6ONLY listener", c < 0 ? -1 : 0);
	close(c);
	t6 = in6("::ffff:127.0.0.1", p);
	int v6only = socket(AF_INET6, SOCK_STREAM, 0);
	setint("IPV6_V6ONLY", v6only, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	R(connect(v6only, &t6.sa, sizeof t6.in6));
	close(v6only);
	close(fd);
}

static void transfer(void) {
	printf("-- sendfile and splice into a socket\n");
	union inet_addr a;
	int lfd = tcp_listener(AF_INET, 0, 0, 8, &a);
	name_port(aport(&a), "L");
	int c, s;
	pair(lfd, &a, &c, &s);
	static char buf[20000], in[20000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)(i * 7 + 3);
	int f = open("tmp/tcp-sendfile", O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (write(f, buf, sizeof buf) != (long)sizeof buf)
		printf("write tmp/tcp-sendfile failed\n");
	off_t off = 1000;
	R(sendfile(c, f, &off, 5000));
	printf("offset after: %ld\n", (long)off);
	long got = recv(s, in, 5000, MSG_WAITALL);
	printf("received %ld, same bytes: %s\n", got, got == 5000 && memcmp(in, buf + 1000, 5000) == 0 ? "yes" : "no");
	lseek(f, 0, SEEK_SET);
	R(sendfile(c, f, NULL, sizeof buf));
	got = recv(s, in, sizeof buf, MSG_WAITALL);
	printf("received %ld, same bytes: %s\n", got, got == (long)sizeof buf && memcmp(in, buf, sizeof buf) == 0 ? "yes" : "no");
	R(sendfile(f, s, NULL, 10)); // a socket is no sendfile source
	int p[2];
	pipe(p);
	R(write(p[1], "through a pipe", 14));
	R(splice(p[0], NULL, c, NULL, 14, 0));
	recv_str("received", s, 64, 0);
	R(write(c, "and back", 8));
	wait_events(s, POLLIN, 2000);
	R(splice(s, NULL, p[1], NULL, 64, 0));
	got = read(p[0], in, sizeof in);
	printf("the pipe holds %ld: %.*s\n", got, (int)(got > 0 ? got : 0), in);
	close(p[0]);
	close(p[1]);
	close(f);
	unlink("tmp/tcp-sendfile");
	close(c);
	close(s);
	close(lfd);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	creation();
	options();
	binding();
	listening();
	connecting();
	data();
	reuse();
	full();
	ipv6();
	transfer();
	return 0;
}
