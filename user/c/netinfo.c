// Netinfo: what a program learns about the network interfaces, checked
// on lo, which Linux and oyako have alike (index 1, 127.0.0.1/8, ::1/128,
// MTU 65536): the interface ioctls (SIOCGIF*) on AF_INET, AF_UNIX and
// netlink sockets with their errors, and NETLINK_ROUTE sockets — bind
// and autobind, RTM_GETLINK and RTM_GETADDR dumps and RTM_GETLINK of one
// link, acknowledgements and errors, MSG_TRUNC, options. Other
// interfaces differ between the host and the guest, so the program
// looks for lo's entries and prints nothing of the others.
#include "check.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

// ifr returns a struct ifreq naming name.
static struct ifreq ifr(const char *name) {
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strncpy(r.ifr_name, name, IFNAMSIZ - 1);
	return r;
}

static const char *ip4(const struct sockaddr *sa) {
	static char buf[32];
	const struct sockaddr_in *sin = (const void *)sa;
	snprintf(buf, sizeof buf, "family %d %s", sin->sin_family, inet_ntoa(sin->sin_addr));
	return buf;
}

// ioctls asks fd (a socket of family what) about lo.
static void ioctls(int fd, const char *what) {
	printf("== ioctls on %s\n", what);
	struct ifreq r = ifr("lo");
	if (ioctl(fd, SIOCGIFINDEX, &r) == 0)
		printf("SIOCGIFINDEX lo: %d\n", r.ifr_ifindex);
	else
		printf("SIOCGIFINDEX lo: %s\n", strerrorname_np(errno));
	r = ifr("lo");
	if (ioctl(fd, SIOCGIFFLAGS, &r) == 0)
		printf("SIOCGIFFLAGS lo: %#x\n", (unsigned short)r.ifr_flags);
	else
		printf("SIOCGIFFLAGS lo: %s\n", strerrorname_np(errno));
	r = ifr("lo");
	if (ioctl(fd, SIOCGIFMTU, &r) == 0)
		printf("SIOCGIFMTU lo: %d\n", r.ifr_mtu);
	r = ifr("lo");
	if (ioctl(fd, SIOCGIFTXQLEN, &r) == 0)
		printf("SIOCGIFTXQLEN lo: %d\n", r.ifr_qlen);
	r = ifr("lo");
	if (ioctl(fd, SIOCGIFMETRIC, &r) == 0)
		printf("SIOCGIFMETRIC lo: %d\n", r.ifr_metric);
	r = ifr("lo");
	if (ioctl(fd, SIOCGIFHWADDR, &r) == 0) {
		int zero = 1;
		for (int i = 0; i < 6; i++)
			zero &= r.ifr_hwaddr.sa_data[i] == 0;
		printf("SIOCGIFHWADDR lo: family %d zero %d\n", r.ifr_hwaddr.sa_family, zero);
	}
	r = ifr("lo");
	r.ifr_ifindex = 1;
	memset(r.ifr_name, 'x', sizeof r.ifr_name);
	if (ioctl(fd, SIOCGIFNAME, &r) == 0)
		printf("SIOCGIFNAME 1: %s\n", r.ifr_name);
	struct {
		const char *what;
		unsigned long req;
	} addrs[] = {{"SIOCGIFADDR", SIOCGIFADDR}, {"SIOCGIFNETMASK", SIOCGIFNETMASK}, {"SIOCGIFBRDADDR", SIOCGIFBRDADDR}, {"SIOCGIFDSTADDR", SIOCGIFDSTADDR}};
	for (unsigned i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		r = ifr("lo");
		if (ioctl(fd, addrs[i].req, &r) == 0)
			printf("%s lo: %s\n", addrs[i].what, ip4(&r.ifr_addr));
		else
			printf("%s lo: %s\n", addrs[i].what, strerrorname_np(errno));
	}
	// Errors.
	r = ifr("nosuch0");
	printf("SIOCGIFFLAGS nosuch0: %s\n", ioctl(fd, SIOCGIFFLAGS, &r) ? strerrorname_np(errno) : "ok");
	r = ifr("lo");
	r.ifr_ifindex = 0;
	printf("SIOCGIFNAME 0: %s\n", ioctl(fd, SIOCGIFNAME, &r) ? strerrorname_np(errno) : "ok");
	r.ifr_ifindex = 1 << 30;
	printf("SIOCGIFNAME 1<<30: %s\n", ioctl(fd, SIOCGIFNAME, &r) ? strerrorname_np(errno) : "ok");
	r = ifr("lo:7");
	if (ioctl(fd, SIOCGIFMTU, &r) == 0)
		printf("SIOCGIFMTU lo:7: %d %s\n", r.ifr_mtu, r.ifr_name);
	r = ifr("lo:7");
	printf("SIOCGIFADDR lo:7: %s\n", ioctl(fd, SIOCGIFADDR, &r) ? strerrorname_np(errno) : "ok");
	printf("SIOCGIFFLAGS bad pointer: %s\n", ioctl(fd, SIOCGIFFLAGS, KERNEL_PTR) ? strerrorname_np(errno) : "ok");
	printf("SIOCGIFADDR bad pointer: %s\n", ioctl(fd, SIOCGIFADDR, KERNEL_PTR) ? strerrorname_np(errno) : "ok");
	r = ifr("lo");
	printf("SIOCGIFPFLAGS lo: %s\n", ioctl(fd, 0x8935, &r) ? strerrorname_np(errno) : "ok");
	printf("SIOCGIFMEM: %s\n", ioctl(fd, 0x891f, &r) ? strerrorname_np(errno) : "ok");
	printf("SIOCDEVPRIVATE+15: %s\n", ioctl(fd, 0x89ff, &r) ? strerrorname_np(errno) : "ok");
	printf("SIOCGHWTSTAMP: %s\n", ioctl(fd, 0x89b1, &r) ? strerrorname_np(errno) : "ok");
	printf("0x89c5: %s\n", ioctl(fd, 0x89c5, &r) ? strerrorname_np(errno) : "ok");
	r = ifr("nosuch0");
	printf("SIOCDEVPRIVATE nosuch0: %s\n", ioctl(fd, 0x89f0, &r) ? strerrorname_np(errno) : "ok");
	printf("FIONREAD: %s\n", ioctl(fd, FIONREAD, &r) ? strerrorname_np(errno) : "ok");
	// lo's flags set to what they are: nothing changes.
	r = ifr("lo");
	ioctl(fd, SIOCGIFFLAGS, &r);
	printf("SIOCSIFFLAGS unchanged: %s\n", ioctl(fd, SIOCSIFFLAGS, &r) ? strerrorname_np(errno) : "ok");

	// SIOCGIFCONF: the length needed, then lo's entry among the others.
	struct ifconf ic = {0};
	if (ioctl(fd, SIOCGIFCONF, &ic) == 0)
		printf("SIOCGIFCONF null: whole ifreqs %d\n", ic.ifc_len > 0 && ic.ifc_len % (int)sizeof(struct ifreq) == 0);
	struct ifreq reqs[64];
	ic.ifc_len = sizeof reqs;
	ic.ifc_req = reqs;
	if (ioctl(fd, SIOCGIFCONF, &ic) == 0) {
		int found = 0;
		for (int i = 0; i < ic.ifc_len / (int)sizeof(struct ifreq); i++)
			if (strcmp(reqs[i].ifr_name, "lo") == 0) {
				printf("SIOCGIFCONF lo: %s\n", ip4(&reqs[i].ifr_addr));
				found = 1;
			}
		printf("SIOCGIFCONF has lo: %d\n", found);
	}
	ic.ifc_len = sizeof(struct ifreq) - 1;
	if (ioctl(fd, SIOCGIFCONF, &ic) == 0)
		printf("SIOCGIFCONF short: len %d\n", ic.ifc_len);
	ic.ifc_len = sizeof reqs;
	ic.ifc_req = KERNEL_PTR;
	printf("SIOCGIFCONF bad buffer: %s\n", ioctl(fd, SIOCGIFCONF, &ic) ? strerrorname_np(errno) : "ok");
	printf("SIOCGIFCONF bad ifconf: %s\n", ioctl(fd, SIOCGIFCONF, KERNEL_PTR) ? strerrorname_np(errno) : "ok");
}

// nlrequest sends a request of type with body to the kernel.
static void nlrequest(int fd, int type, int flags, int seq, const void *body, int len) {
	char buf[256];
	struct nlmsghdr *h = (void *)buf;
	memset(buf, 0, sizeof buf);
	h->nlmsg_len = NLMSG_LENGTH(len);
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	memcpy(NLMSG_DATA(h), body, len);
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(fd, buf, h->nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) != (long)h->nlmsg_len)
		printf("sendto: %s\n", strerrorname_np(errno));
}

// port is fd's netlink port.
static unsigned port(int fd) {
	struct sockaddr_nl a;
	socklen_t n = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &n);
	return a.nl_pid;
}

// dump reads a dump's datagrams until NLMSG_DONE and calls each for
// every message; it checks every header's seq, port and flags.
static void dump(int fd, int seq, void (*each)(struct nlmsghdr *)) {
	static char buf[32768];
	int bad = 0, done = 0, msgs = 0;
	while (!done) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof from;
		long n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			printf("recvfrom: %s\n", strerrorname_np(errno));
			return;
		}
		if (fl != sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0)
			bad++;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != (unsigned)seq || h->nlmsg_pid != port(fd) || !(h->nlmsg_flags & NLM_F_MULTI))
				bad++;
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				printf("NLMSG_DONE: error %d\n", *(int *)NLMSG_DATA(h));
				break;
			}
			msgs++;
			each(h);
		}
	}
	printf("dump: messages %d, bad headers %d\n", msgs > 0, bad);
}

static void showLink(struct nlmsghdr *h) {
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	if (h->nlmsg_type != RTM_NEWLINK || ifi->ifi_index != 1)
		return;
	printf("link 1: type %d flags %#x family %d\n", ifi->ifi_type, ifi->ifi_flags, ifi->ifi_family);
	int len = IFLA_PAYLOAD(h);
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case IFLA_IFNAME:
			printf("  IFLA_IFNAME %s\n", (char *)RTA_DATA(a));
			break;
		case IFLA_MTU:
			printf("  IFLA_MTU %u\n", *(unsigned *)RTA_DATA(a));
			break;
		case IFLA_TXQLEN:
			printf("  IFLA_TXQLEN %u\n", *(unsigned *)RTA_DATA(a));
			break;
		case IFLA_OPERSTATE:
			printf("  IFLA_OPERSTATE %u\n", *(unsigned char *)RTA_DATA(a));
			break;
		case IFLA_CARRIER:
			printf("  IFLA_CARRIER %u\n", *(unsigned char *)RTA_DATA(a));
			break;
		case IFLA_QDISC:
			printf("  IFLA_QDISC %s\n", (char *)RTA_DATA(a));
			break;
		case IFLA_ADDRESS:
		case IFLA_BROADCAST: {
			int zero = 1;
			for (unsigned i = 0; i < RTA_PAYLOAD(a); i++)
				zero &= ((unsigned char *)RTA_DATA(a))[i] == 0;
			printf("  %s length %lu zero %d\n", a->rta_type == IFLA_ADDRESS ? "IFLA_ADDRESS" : "IFLA_BROADCAST", (unsigned long)RTA_PAYLOAD(a), zero);
			break;
		}
		}
	}
}

static void showAddr(struct nlmsghdr *h) {
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_index != 1)
		return;
	printf("addr on 1: family %d prefix %d scope %d\n", ifa->ifa_family, ifa->ifa_prefixlen, ifa->ifa_scope);
	int len = IFA_PAYLOAD(h);
	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		char s[64];
		switch (a->rta_type) {
		case IFA_ADDRESS:
		case IFA_LOCAL:
			inet_ntop(ifa->ifa_family, RTA_DATA(a), s, sizeof s);
			printf("  %s %s\n", a->rta_type == IFA_ADDRESS ? "IFA_ADDRESS" : "IFA_LOCAL", s);
			break;
		case IFA_LABEL:
			printf("  IFA_LABEL %s\n", (char *)RTA_DATA(a));
			break;
		case IFA_CACHEINFO: {
			struct ifa_cacheinfo *ci = RTA_DATA(a);
			printf("  IFA_CACHEINFO valid %#x preferred %#x\n", ci->ifa_valid, ci->ifa_prefered);
			break;
		}
		}
	}
}

// nlerror reads one datagram and prints the NLMSG_ERROR in it.
static void nlerror(int fd, const char *what) {
	char buf[4096];
	long n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: recv %s\n", what, strerrorname_np(errno));
		return;
	}
	struct nlmsghdr *h = (void *)buf;
	if (h->nlmsg_type != NLMSG_ERROR) {
		printf("%s: type %d flags %#x\n", what, h->nlmsg_type, h->nlmsg_flags);
		return;
	}
	struct nlmsgerr *e = NLMSG_DATA(h);
	printf("%s: error %s, length %d, flags %#x, echo type %d seq %d\n", what, e->error ? strerrorname_np(-e->error) : "0", h->nlmsg_len,
	       h->nlmsg_flags, e->msg.nlmsg_type, e->msg.nlmsg_seq);
}

static void netlink(void) {
	printf("== netlink sockets\n");
	R(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE));
	R(socket(AF_NETLINK, SOCK_SEQPACKET, NETLINK_ROUTE));
	R(socket(AF_NETLINK, SOCK_DGRAM, 32));
	R(socket(AF_NETLINK, SOCK_DGRAM, -1));
	R(socketpair(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, (int[2]){0}));
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl a;
	socklen_t n = sizeof a;
	memset(&a, 0xff, sizeof a);
	R(getsockname(fd, (struct sockaddr *)&a, &n));
	printf("unbound: len %d family %d pid %u groups %u\n", n, a.nl_family, a.nl_pid, a.nl_groups);
	n = sizeof a;
	R(getpeername(fd, (struct sockaddr *)&a, &n));
	printf("peer: len %d family %d pid %u\n", n, a.nl_family, a.nl_pid);
	struct sockaddr_nl b = {.nl_family = AF_NETLINK};
	R(bind(fd, (struct sockaddr *)&b, sizeof b - 1));
	b.nl_family = AF_INET;
	R(bind(fd, (struct sockaddr *)&b, sizeof b));
	b.nl_family = AF_NETLINK;
	R(bind(fd, (struct sockaddr *)&b, sizeof b));
	printf("bound to the process's ID: %d\n", port(fd) == (unsigned)getpid());
	b.nl_pid = port(fd) + 1;
	R(bind(fd, (struct sockaddr *)&b, sizeof b));
	int fd2 = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
	b.nl_pid = port(fd);
	R(bind(fd2, (struct sockaddr *)&b, sizeof b));
	b.nl_pid = 0;
	R(bind(fd2, (struct sockaddr *)&b, sizeof b));
	printf("second socket's port negative: %d\n", (int)port(fd2) < 0);
	close(fd2);

	int v = 0;
	socklen_t vl = sizeof v;
	R(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl));
	printf("SO_TYPE %d\n", v);
	R(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vl));
	printf("SO_DOMAIN %d\n", v);
	R(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &vl));
	printf("SO_PROTOCOL %d\n", v);
	v = 1;
	R(setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &v, sizeof v));
	v = 0;
	R(getsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &v, &vl));
	printf("NETLINK_CAP_ACK %d\n", v);
	v = 0;
	R(setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &v, sizeof v));
	R(getsockopt(fd, SOL_IP, IP_TTL, &v, &vl));
	R(setsockopt(fd, SOL_NETLINK, 99, &v, sizeof v));
	v = 0;
	R(setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &v, sizeof v));
	R(listen(fd, 1));
	R(shutdown(fd, SHUT_RDWR));
	R(recv(fd, &v, sizeof v, MSG_DONTWAIT));

	printf("== netlink dumps\n");
	struct rtgenmsg g = {.rtgen_family = AF_UNSPEC};
	nlrequest(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, &g, sizeof g);
	dump(fd, 1, showLink);
	g.rtgen_family = AF_INET;
	nlrequest(fd, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 2, &g, sizeof g);
	dump(fd, 2, showAddr);
	g.rtgen_family = AF_INET6;
	nlrequest(fd, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 3, &g, sizeof g);
	dump(fd, 3, showAddr);

	printf("== netlink requests\n");
	struct ifinfomsg ifi = {.ifi_index = 1};
	nlrequest(fd, RTM_GETLINK, NLM_F_REQUEST, 4, &ifi, sizeof ifi);
	char buf[4096];
	long got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	struct nlmsghdr *h = (void *)buf;
	if (got > 0)
		printf("RTM_GETLINK 1: type %d flags %#x seq %d index %d\n", h->nlmsg_type, h->nlmsg_flags, h->nlmsg_seq,
		       ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index);
	ifi.ifi_index = 1 << 30;
	nlrequest(fd, RTM_GETLINK, NLM_F_REQUEST, 5, &ifi, sizeof ifi);
	nlerror(fd, "RTM_GETLINK 1<<30");
	ifi.ifi_index = 0;
	nlrequest(fd, RTM_GETLINK, NLM_F_REQUEST, 6, &ifi, sizeof ifi);
	nlerror(fd, "RTM_GETLINK without index or name");
	nlrequest(fd, 200, NLM_F_REQUEST, 7, &g, sizeof g);
	nlerror(fd, "type 200");
	nlrequest(fd, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 8, &g, sizeof g);
	nlerror(fd, "NLMSG_NOOP with NLM_F_ACK");
	v = 1;
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &v, sizeof v);
	nlrequest(fd, 200, NLM_F_REQUEST, 9, &g, sizeof g);
	nlerror(fd, "type 200 with NETLINK_CAP_ACK");
	nlrequest(fd, RTM_GETLINK, NLM_F_DUMP, 10, &g, sizeof g);
	nlerror(fd, "RTM_GETLINK without NLM_F_REQUEST");

	// A datagram cut to a small buffer: MSG_TRUNC, and with MSG_TRUNC
	// asked for, its whole length.
	nlrequest(fd, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 11, &g, sizeof g);
	struct iovec iov = {buf, 8};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	long r = recvmsg(fd, &m, MSG_PEEK | MSG_TRUNC);
	printf("recvmsg MSG_PEEK|MSG_TRUNC into 8: %ld flags %#x\n", r, m.msg_flags);
	m.msg_flags = 0;
	r = recvmsg(fd, &m, 0);
	printf("recvmsg into 8: %ld flags %#x\n", r, m.msg_flags);
	R(recv(fd, buf, sizeof buf, MSG_DONTWAIT));

	// read and write work on netlink sockets too.
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	R(connect(fd, (struct sockaddr *)&k, sizeof k));
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} w = {{NLMSG_LENGTH(sizeof(struct rtgenmsg)), NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 12, 0}, {0}};
	R(write(fd, &w, w.h.nlmsg_len));
	R(read(fd, buf, sizeof buf));
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	R(connect(fd, &un, sizeof un));
	ioctls(fd, "netlink");
	close(fd);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	int in = socket(AF_INET, SOCK_DGRAM, 0);
	ioctls(in, "AF_INET");
	close(in);
	int in6 = socket(AF_INET6, SOCK_DGRAM, 0);
	ioctls(in6, "AF_INET6");
	close(in6);
	int un = socket(AF_UNIX, SOCK_STREAM, 0);
	ioctls(un, "AF_UNIX");
	close(un);
	netlink();
	return 0;
}
