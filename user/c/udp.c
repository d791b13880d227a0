// udp: UDP and ICMP echo ("ping") sockets over loopback as Linux's
// net/ipv4/udp.c, ping.c and their IPv6 twins have them: bind with port
// 0, EADDRINUSE, SO_REUSEADDR and SO_REUSEPORT, sendto and recvfrom with
// the sender's address, message boundaries, empty datagrams, MSG_TRUNC
// (the flag and the msg_flags bit), MSG_PEEK, MSG_DONTWAIT, FIONREAD,
// SO_RCVTIMEO, EMSGSIZE, EDESTADDRREQ, connect and its filter, connect
// with AF_UNSPEC, ECONNREFUSED from an ICMP port unreachable, shutdown,
// readiness, IPv6 and v4-mapped addresses, and unprivileged ICMP echo
// sockets to 127.0.0.1 and ::1 (the kernel's identifier and checksum).
//
// Ports vary between runs and are printed by name; natively the program
// runs in a network namespace of its own whose ping_group_range admits
// every group (Case.NetNS).
#include "check.h"
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/uio.h>

// udp_bound makes a UDP socket of family bound to its loopback address
// on a port the kernel chooses, names the port and returns the socket
// with its address in *a.
static int udp_bound(int family, const char *name, union inet_addr *a) {
	*a = family == AF_INET6 ? in6("::1", 0) : in4("127.0.0.1", 0);
	int fd = socket(family, SOCK_DGRAM, 0);
	socklen_t len = alen(a);
	if (fd < 0 || bind(fd, &a->sa, len) < 0 || getsockname(fd, &a->sa, &len) < 0) {
		show("udp_bound", -1);
		exit(1);
	}
	name_port(aport(a), name);
	return fd;
}

// recv_from receives one datagram into a buffer of n bytes with flags
// and prints the result, the bytes and the sender.
static void recv_from(const char *what, int fd, size_t n, int flags) {
	char buf[256];
	union inet_addr from;
	socklen_t flen = sizeof from;
	memset(&from, 0x55, sizeof from);
	if (n > sizeof buf)
		n = sizeof buf;
	long r = recvfrom(fd, buf, n, flags, &from.sa, &flen);
	if (r < 0) {
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	long shown = r < (long)n ? r : (long)n;
	printf("%s: %ld \"%.*s\" from %s\n", what, r, (int)shown, buf, inet_string(&from, flen));
}

// buf_dummy is somewhere for reads whose bytes do not matter.
static char buf_dummy[64];

static void fionread(const char *what, int fd) {
	int n = -1;
	if (ioctl(fd, FIONREAD, &n) < 0)
		printf("%s: FIONREAD -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: FIONREAD %d\n", what, n);
}

static void basics(void) {
	printf("-- socket and bind\n");
	R(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
	R(socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMP));
	R(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMPV6));
	int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	SOCKOPT(fd, SO_TYPE);
	SOCKOPT(fd, SO_PROTOCOL);
	SOCKOPT(fd, SO_DOMAIN);
	SOCKOPT(fd, SO_ACCEPTCONN);
	inet_sockname("getsockname unbound", fd);
	inet_peername("getpeername unconnected", fd);
	union inet_addr a = in4("127.0.0.1", 0);
	R(bind(fd, &a.sa, sizeof a.in4 - 1));
	R(bind(fd, &a.sa, sizeof a.in4));
	unsigned p = local_port(fd);
	ok("port 0 gave a port", p != 0);
	name_port(p, "A");
	inet_sockname("getsockname bound", fd);
	R(bind(fd, &a.sa, sizeof a.in4));
	int fd2 = socket(AF_INET, SOCK_DGRAM, 0);
	a = in4("127.0.0.1", p);
	R(bind(fd2, &a.sa, sizeof a.in4));
	close(fd2);
	close(fd);
	// send without an address fails, but binds the socket first
	// (inet_send_prepare).
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	R(send(fd, "x", 1, 0));
	inet_sockname("getsockname after EDESTADDRREQ", fd);
	close(fd);
	// An unbound socket gets a port from its first sendto.
	union inet_addr b;
	int rcv = udp_bound(AF_INET, "B", &b);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	R(sendto(fd, "auto", 4, 0, &b.sa, sizeof b.in4));
	inet_sockname("getsockname after sendto", fd);
	recv_from("recvfrom", rcv, 64, 0);
	close(fd);
	close(rcv);

	printf("-- SO_REUSEADDR and SO_REUSEPORT\n");
	int r1 = socket(AF_INET, SOCK_DGRAM, 0), r2 = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1;
	R(setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	R(setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	a = in4("127.0.0.1", 0);
	R(bind(r1, &a.sa, sizeof a.in4));
	a = in4("127.0.0.1", local_port(r1));
	name_port(aport(&a), "R");
	R(bind(r2, &a.sa, sizeof a.in4));
	close(r1);
	close(r2);
	r1 = socket(AF_INET, SOCK_DGRAM, 0), r2 = socket(AF_INET, SOCK_DGRAM, 0);
	R(setsockopt(r1, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one));
	R(setsockopt(r2, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one));
	a = in4("127.0.0.1", 0);
	R(bind(r1, &a.sa, sizeof a.in4));
	a = in4("127.0.0.1", local_port(r1));
	name_port(aport(&a), "R");
	R(bind(r2, &a.sa, sizeof a.in4));
	// Each datagram goes to one of the two.
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < 6; i++)
		sendto(s, "rp", 2, 0, &a.sa, sizeof a.in4);
	pause_ms(50);
	int got = 0;
	char buf[8];
	while (recv(r1, buf, sizeof buf, MSG_DONTWAIT) == 2)
		got++;
	while (recv(r2, buf, sizeof buf, MSG_DONTWAIT) == 2)
		got++;
	printf("datagrams received by either: %d\n", got);
	close(s);
	close(r1);
	close(r2);
}

static void datagrams(void) {
	printf("-- datagrams\n");
	union inet_addr a, b;
	int sa = udp_bound(AF_INET, "A", &a), sb = udp_bound(AF_INET, "B", &b);
	poll_now("A, empty", sa);
	fionread("A, empty", sa);
	R(recv(sa, buf_dummy, 1, MSG_DONTWAIT));
	R(sendto(sb, "first", 5, 0, &a.sa, sizeof a.in4));
	R(sendto(sb, "second one", 10, 0, &a.sa, sizeof a.in4));
	R(sendto(sb, "", 0, 0, &a.sa, sizeof a.in4));
	R(sendto(sb, "x", 1, 0, &a.sa, 4));
	R(sendto(sb, "x", 1, 0, KERNEL_PTR, sizeof a.in4));
	R(sendto(sb, KERNEL_PTR, 1, 0, &a.sa, sizeof a.in4));
	pause_ms(20);
	poll_now("A, three queued", sa);
	fionread("A, three queued", sa);
	recv_from("recvfrom MSG_PEEK", sa, 64, MSG_PEEK);
	recv_from("recvfrom 3 MSG_TRUNC", sa, 3, MSG_TRUNC);
	fionread("A, two queued", sa);
	char buf[64];
	struct iovec iov = {buf, 6};
	union inet_addr from;
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
	long r = recvmsg(sa, &m, 0);
	printf("recvmsg into 6: %ld \"%.*s\", msg_flags MSG_TRUNC %d, from %s\n", r, (int)(r > 0 ? r : 0), buf,
	       !!(m.msg_flags & MSG_TRUNC), inet_string(&from, m.msg_namelen));
	fionread("A, an empty datagram queued", sa);
	poll_now("A, an empty datagram queued", sa);
	recv_from("recvfrom the empty datagram", sa, 64, 0);
	recv_from("recvfrom MSG_DONTWAIT", sa, 64, MSG_DONTWAIT);
	R(recv(sa, NULL, 0, MSG_DONTWAIT));

	printf("-- sizes\n");
	static char big[70000];
	R(sendto(sb, big, 65508, 0, &a.sa, sizeof a.in4));
	R(sendto(sb, big, 65507, 0, &a.sa, sizeof a.in4));
	r = recv(sa, big, sizeof big, 0);
	printf("received %ld\n", r);
	struct iovec v[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
	struct msghdr sm = {.msg_name = &a, .msg_namelen = sizeof a.in4, .msg_iov = v, .msg_iovlen = 3};
	R(sendmsg(sb, &sm, 0));
	recv_from("recvfrom after sendmsg", sa, 64, 0);

	printf("-- SO_RCVTIMEO\n");
	struct timeval tv = {0, 40000};
	R(setsockopt(sa, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	recv_from("recvfrom with a timeout", sa, 64, 0);
	tv = (struct timeval){0, 0};
	R(setsockopt(sa, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));

	printf("-- connect\n");
	R(connect(sb, &a.sa, sizeof a.in4));
	inet_peername("getpeername connected", sb);
	R(send(sb, "connected", 9, 0));
	recv_from("A reads", sa, 64, 0);
	R(connect(sa, &b.sa, sizeof b.in4));
	union inet_addr c;
	int sc = udp_bound(AF_INET, "C", &c);
	R(sendto(sc, "from C", 6, 0, &a.sa, sizeof a.in4)); // A takes only B's now
	R(sendto(sb, "from B", 6, 0, &a.sa, sizeof a.in4));
	pause_ms(20);
	recv_from("A reads", sa, 64, MSG_DONTWAIT);
	recv_from("A reads", sa, 64, MSG_DONTWAIT);
	R(sendto(sb, "to C", 4, 0, &c.sa, sizeof c.in4)); // a connected socket may still send elsewhere
	recv_from("C reads", sc, 64, 0);
	union inet_addr unspec;
	memset(&unspec, 0, sizeof unspec);
	unspec.sa.sa_family = AF_UNSPEC;
	R(connect(sa, &unspec.sa, sizeof unspec.sa));
	inet_peername("getpeername after AF_UNSPEC", sa);
	close(sc);

	printf("-- ECONNREFUSED\n");
	// C's port is closed now: the ICMP port unreachable comes back as an
	// error on the connected socket.
	int e = socket(AF_INET, SOCK_DGRAM, 0);
	tv = (struct timeval){2, 0};
	setsockopt(e, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	R(connect(e, &c.sa, sizeof c.in4));
	R(send(e, "anyone?", 7, 0));
	recv_from("recvfrom", e, 64, 0);
	SOCKOPT(e, SO_ERROR);
	R(send(e, "anyone?", 7, 0));
	unsigned ev = wait_events(e, POLLERR, 2000);
	printf("poll after the second send: %s\n", poll_bits(ev));
	SOCKOPT(e, SO_ERROR);
	SOCKOPT(e, SO_ERROR);
	close(e);

	printf("-- shutdown\n");
	int un = socket(AF_INET, SOCK_DGRAM, 0);
	R(shutdown(un, SHUT_RD));
	close(un);
	R(shutdown(sb, SHUT_WR));
	R(send(sb, "x", 1, MSG_NOSIGNAL));
	R(shutdown(sb, SHUT_RD));
	poll_now("B after SHUT_RDWR", sb);
	R(recv(sb, buf, sizeof buf, 0));
	close(sa);
	close(sb);
}

static void ipv6(void) {
	printf("-- IPv6\n");
	union inet_addr a, b;
	int sa = udp_bound(AF_INET6, "A", &a), sb = udp_bound(AF_INET6, "B", &b);
	inet_sockname("A", sa);
	R(sendto(sb, "six", 3, 0, &a.sa, sizeof a.in6));
	recv_from("A reads", sa, 64, 0);
	R(sendto(sb, "x", 1, 0, &a.sa, sizeof a.in6 - 1));
	close(sa);
	close(sb);
	// A dual-stack socket on :: receives IPv4 datagrams as v4-mapped.
	int d = socket(AF_INET6, SOCK_DGRAM, 0);
	union inet_addr any = in6("::", 0);
	R(bind(d, &any.sa, sizeof any.in6));
	name_port(local_port(d), "D");
	union inet_addr t4 = in4("127.0.0.1", local_port(d));
	int v4 = socket(AF_INET, SOCK_DGRAM, 0);
	R(sendto(v4, "four", 4, 0, &t4.sa, sizeof t4.in4));
	name_port(local_port(v4), "F");
	recv_from("D reads", d, 64, 0);
	union inet_addr mapped = in6("::ffff:127.0.0.1", local_port(v4));
	R(sendto(d, "back", 4, 0, &mapped.sa, sizeof mapped.in6));
	recv_from("the IPv4 socket reads", v4, 64, 0);
	close(v4);
	close(d);
}

// The ICMP echo sockets of net/ipv4/ping.c: the kernel sets the
// identifier to the socket's port and computes the checksum.
static void ping(int family) {
	int v6 = family == AF_INET6;
	printf("-- ping sockets (%s)\n", v6 ? "ICMPv6" : "ICMP");
	int fd = socket(family, SOCK_DGRAM, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0) {
		show("socket", -1);
		return;
	}
	SOCKOPT(fd, SO_TYPE);
	SOCKOPT(fd, SO_PROTOCOL);
	union inet_addr to = v6 ? in6("::1", 0) : in4("127.0.0.1", 0);
	unsigned char pkt[64] = {0};
	pkt[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	pkt[6] = 0;
	pkt[7] = 7; // sequence 7
	memcpy(pkt + 8, "ping payload", 12);
	R(sendto(fd, pkt, 4, 0, &to.sa, alen(&to)));
	unsigned char bad = pkt[0];
	pkt[0] = v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;
	R(sendto(fd, pkt, 20, 0, &to.sa, alen(&to)));
	pkt[0] = bad;
	R(sendto(fd, pkt, 20, 0, &to.sa, alen(&to)));
	unsigned id = local_port(fd);
	ok("the socket has an identifier", id != 0);
	name_port(id, "I");
	inet_sockname("getsockname", fd);
	unsigned char in[128];
	union inet_addr from;
	socklen_t flen = sizeof from;
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	long r = recvfrom(fd, in, sizeof in, 0, &from.sa, &flen);
	if (r < 0) {
		show("recvfrom", -1);
		close(fd);
		return;
	}
	printf("reply: %ld bytes, type %d, code %d, id is the socket's: %s, sequence %d, payload \"%.*s\"\n", r, in[0],
	       in[1], ((in[4] << 8) | in[5]) == id ? "yes" : "no", (in[6] << 8) | in[7], (int)(r > 8 ? r - 8 : 0),
	       in + 8);
	if (!v6) {
		// The checksum covers the whole message: summing it with the
		// checksum field gives 0xffff.
		unsigned sum = 0;
		for (long i = 0; i + 1 < r; i += 2)
			sum += (in[i] << 8) | in[i + 1];
		if (r & 1)
			sum += in[r - 1] << 8;
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		printf("reply checksum: %s\n", sum == 0xffff ? "valid" : "invalid");
	}
	printf("from: %s\n", inet_string(&from, flen));
	// Bound to a chosen identifier, and connected.
	close(fd);
	fd = socket(family, SOCK_DGRAM, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	union inet_addr me = v6 ? in6("::1", 4242) : in4("127.0.0.1", 4242);
	name_port(4242, "4242");
	R(bind(fd, &me.sa, alen(&me)));
	inet_sockname("getsockname bound", fd);
	R(connect(fd, &to.sa, alen(&to)));
	pkt[7] = 8;
	R(send(fd, pkt, 20, 0));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	r = recv(fd, in, sizeof in, 0);
	printf("reply: %ld bytes, type %d, id %d, sequence %d\n", r, r > 0 ? in[0] : -1, r > 0 ? (in[4] << 8) | in[5] : -1,
	       r > 0 ? (in[6] << 8) | in[7] : -1);
	close(fd);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	basics();
	datagrams();
	ipv6();
	ping(AF_INET);
	ping(AF_INET6);
	return 0;
}
