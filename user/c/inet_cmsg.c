// inet_cmsg: the control messages recvmsg(2) returns on UDP sockets over
// loopback, as Linux writes them: SO_TIMESTAMP and SO_TIMESTAMPNS
// (sock_recv_timestamp), IP_PKTINFO, IP_TTL and IP_TOS (ip_cmsg_recv)
// and IPV6_PKTINFO, IPV6_HOPLIMIT and IPV6_TCLASS (ip6_datagram_recv_ctl),
// in Linux's order; a control buffer too short for them (MSG_CTRUNC,
// cmsg_len cut as put_cmsg cuts it); and the options read back.
//
// Timestamps are printed as "within a second of gettimeofday"; natively
// the program runs in a network namespace of its own, where lo is
// interface 1 as in oyako (Case.NetNS).
#include "check.h"
#include <sys/time.h>
#include <sys/uio.h>

static int on = 1;

// pair makes a bound receiver and a sender of family on loopback.
static void pair(int family, int *rx, int *tx, struct sockaddr_storage *to, socklen_t *tolen) {
	*rx = socket(family, SOCK_DGRAM, 0);
	*tx = socket(family, SOCK_DGRAM, 0);
	memset(to, 0, sizeof *to);
	if (family == AF_INET) {
		struct sockaddr_in *a = (void *)to;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*tolen = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (void *)to;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		*tolen = sizeof *a;
	}
	if (bind(*rx, (void *)to, *tolen) < 0 || getsockname(*rx, (void *)to, tolen) < 0) {
		printf("bind: %s\n", strerrorname_np(errno));
		exit(1);
	}
}

// receive reads one datagram with a control buffer of ctl bytes and
// prints its control messages.
static void receive(const char *what, int fd, size_t ctl) {
	char data[64], cbuf[256];
	struct iovec iov = {data, sizeof data};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl ? cbuf : NULL, .msg_controllen = ctl};
	memset(cbuf, 0xee, sizeof cbuf);
	ssize_t n = recvmsg(fd, &m, 0);
	printf("%s: recvmsg %zd, msg_flags%s, msg_controllen %zu\n", what, n,
	       m.msg_flags & MSG_CTRUNC ? " MSG_CTRUNC" : " 0", (size_t)m.msg_controllen);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		unsigned char *d = CMSG_DATA(c);
		printf("  cmsg level %d type %d len %zu:", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
		if (c->cmsg_len < CMSG_LEN(0)) {
			printf(" (short)\n");
			continue;
		}
		size_t dlen = c->cmsg_len - CMSG_LEN(0);
		if (c->cmsg_level == SOL_SOCKET && (c->cmsg_type == SO_TIMESTAMP || c->cmsg_type == SO_TIMESTAMPNS) && dlen >= 16) {
			struct timeval now;
			gettimeofday(&now, NULL);
			long long sec = *(long long *)d, frac = *(long long *)(d + 8);
			long long max = c->cmsg_type == SO_TIMESTAMP ? 1000000 : 1000000000;
			printf(" %s, fraction in range %d, within a second of now %d\n",
			       c->cmsg_type == SO_TIMESTAMP ? "SCM_TIMESTAMP" : "SCM_TIMESTAMPNS",
			       frac >= 0 && frac < max, sec >= now.tv_sec - 1 && sec <= now.tv_sec + 1);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && dlen >= sizeof(struct in_pktinfo)) {
			struct in_pktinfo *p = (void *)d;
			char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
			printf(" IP_PKTINFO ifindex %d spec_dst %s addr %s\n", p->ipi_ifindex,
			       inet_ntop(AF_INET, &p->ipi_spec_dst, a, sizeof a), inet_ntop(AF_INET, &p->ipi_addr, b, sizeof b));
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL && dlen >= 4) {
			printf(" IP_TTL %d\n", *(int *)d);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS && dlen >= 1) {
			printf(" IP_TOS %#x (%zu byte)\n", d[0], dlen);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO && dlen >= sizeof(struct in6_pktinfo)) {
			struct in6_pktinfo *p = (void *)d;
			char a[INET6_ADDRSTRLEN];
			printf(" IPV6_PKTINFO addr %s ifindex %u\n", inet_ntop(AF_INET6, &p->ipi6_addr, a, sizeof a), p->ipi6_ifindex);
		} else if (c->cmsg_level == IPPROTO_IPV6 && (c->cmsg_type == IPV6_HOPLIMIT || c->cmsg_type == IPV6_TCLASS) && dlen >= 4) {
			printf(" %s %d\n", c->cmsg_type == IPV6_HOPLIMIT ? "IPV6_HOPLIMIT" : "IPV6_TCLASS", *(int *)d);
		} else {
			printf(" %zu bytes\n", dlen);
		}
	}
}

static void opt(const char *what, int fd, int level, int name) {
	int v = -1;
	socklen_t len = sizeof v;
	int r = getsockopt(fd, level, name, &v, &len);
	printf("getsockopt %s: %d %s\n", what, r < 0 ? -1 : v, r < 0 ? strerrorname_np(errno) : "");
}

int main(void) {
	int rx, tx;
	struct sockaddr_storage to;
	socklen_t tolen;

	printf("-- IPv4\n");
	pair(AF_INET, &rx, &tx, &to, &tolen);
	sendto(tx, "plain", 5, 0, (void *)&to, tolen);
	receive("no options", rx, 256);
	setsockopt(rx, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on);
	setsockopt(rx, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
	setsockopt(rx, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
	setsockopt(rx, IPPROTO_IP, IP_RECVTOS, &on, sizeof on);
	int tos = 0x10, ttl = 33;
	setsockopt(tx, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
	setsockopt(tx, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
	opt("SO_TIMESTAMP", rx, SOL_SOCKET, SO_TIMESTAMP);
	opt("SO_TIMESTAMPNS", rx, SOL_SOCKET, SO_TIMESTAMPNS);
	opt("IP_PKTINFO", rx, IPPROTO_IP, IP_PKTINFO);
	opt("IP_RECVTTL", rx, IPPROTO_IP, IP_RECVTTL);
	opt("IP_RECVTOS", rx, IPPROTO_IP, IP_RECVTOS);
	for (int i = 0; i < 4; i++)
		sendto(tx, "data", 4, 0, (void *)&to, tolen);
	receive("all four", rx, 256);
	receive("a control buffer of 40 bytes", rx, 40);
	receive("a control buffer of 8 bytes", rx, 8);
	receive("no control buffer", rx, 0);
	setsockopt(rx, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
	opt("SO_TIMESTAMP after SO_TIMESTAMPNS", rx, SOL_SOCKET, SO_TIMESTAMP);
	int off = 0;
	setsockopt(rx, IPPROTO_IP, IP_PKTINFO, &off, sizeof off);
	setsockopt(rx, IPPROTO_IP, IP_RECVTTL, &off, sizeof off);
	setsockopt(rx, IPPROTO_IP, IP_RECVTOS, &off, sizeof off);
	sendto(tx, "ns", 2, 0, (void *)&to, tolen);
	receive("SO_TIMESTAMPNS", rx, 256);
	close(rx);
	close(tx);

	printf("-- IPv6\n");
	pair(AF_INET6, &rx, &tx, &to, &tolen);
	setsockopt(rx, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
	setsockopt(rx, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on);
	setsockopt(rx, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof on);
	int hops = 7, tclass = 0x20;
	setsockopt(tx, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops);
	setsockopt(tx, IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof tclass);
	opt("IPV6_RECVPKTINFO", rx, IPPROTO_IPV6, IPV6_RECVPKTINFO);
	opt("IPV6_RECVHOPLIMIT", rx, IPPROTO_IPV6, IPV6_RECVHOPLIMIT);
	opt("IPV6_RECVTCLASS", rx, IPPROTO_IPV6, IPV6_RECVTCLASS);
	sendto(tx, "six", 3, 0, (void *)&to, tolen);
	receive("three", rx, 256);
	return 0;
}
