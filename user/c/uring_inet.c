// uring_inet: io_uring's socket opcodes (liburing 2.3) on TCP and UDP
// sockets over loopback: SOCKET, CONNECT to a listener and to a closed
// port (-ECONNREFUSED), ACCEPT submitted before the client comes, RECV
// waiting for data, SEND, POLL_ADD on a socket, SHUTDOWN seen by the
// peer's RECV, RECV after a reset (-ECONNRESET), SEND after it (-EPIPE
// without SIGPIPE: io_uring adds MSG_NOSIGNAL), and SENDMSG and RECVMSG
// with addresses on UDP. Requests that must wait are submitted first;
// the program checks that nothing completed, then does what completes
// them from the same thread.
//
// Descriptors are printed only as "a descriptor", ports by name;
// natively the program runs in a network namespace of its own
// (Case.NetNS).
#include "check.h"
#include <liburing.h>
#include <sys/uio.h>

static struct io_uring ring;

// reap_cqe waits for one CQE and prints it: with fd, a result that is a new
// descriptor shows as such. It returns the result.
static int reap_cqe(const char *what, int fd) {
	struct io_uring_cqe *cqe;
	int r = io_uring_wait_cqe(&ring, &cqe);
	if (r < 0) {
		printf("%s: io_uring_wait_cqe %s\n", what, errno_str(r));
		exit(1);
	}
	int res = cqe->res;
	printf("%s: user_data %llu, %s\n", what, (unsigned long long)cqe->user_data,
	       fd && res >= 0 ? "a descriptor" : errno_str(res));
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

// nothing_yet says whether a CQE is waiting (it should not be).
static void nothing_yet(const char *what) {
	struct io_uring_cqe *cqe;
	pause_ms(20);
	printf("%s: %s\n", what, io_uring_peek_cqe(&ring, &cqe) == -EAGAIN ? "nothing yet" : "a CQE came early");
}

static struct io_uring_sqe *prep(unsigned long long ud) {
	struct io_uring_sqe *s = get_sqe(&ring);
	io_uring_sqe_set_data64(s, ud);
	return s;
}

static void submit(void) {
	int n = io_uring_submit(&ring);
	if (n < 1)
		printf("io_uring_submit: %s\n", errno_str(n));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int e = io_uring_queue_init(16, &ring, 0);
	if (e < 0) {
		printf("io_uring_queue_init: %s\n", errno_str(e));
		return 1;
	}
	union inet_addr a;
	int lfd = tcp_listener(AF_INET, SOCK_CLOEXEC, 0, 8, &a);
	name_port(aport(&a), "L");
	// A closed port: bound, not listening.
	int closed = socket(AF_INET, SOCK_STREAM, 0);
	union inet_addr z = in4("127.0.0.1", 0);
	bind(closed, &z.sa, sizeof z.in4);
	z = in4("127.0.0.1", local_port(closed));
	name_port(aport(&z), "Z");

	printf("-- SOCKET and CONNECT\n");
	io_uring_prep_socket(prep(1), AF_INET, SOCK_STREAM, 0, 0);
	submit();
	int c = reap_cqe("SOCKET AF_INET SOCK_STREAM", 1);
	SOCKOPT(c, SO_DOMAIN);
	SOCKOPT(c, SO_PROTOCOL);
	io_uring_prep_connect(prep(2), c, &z.sa, sizeof z.in4);
	submit();
	reap_cqe("CONNECT to a closed port", 0);
	close(c);
	io_uring_prep_socket(prep(3), AF_INET, SOCK_STREAM, 0, 0);
	submit();
	c = reap_cqe("SOCKET", 1);

	printf("-- ACCEPT before the client, CONNECT\n");
	union inet_addr peer;
	socklen_t plen = sizeof peer;
	io_uring_prep_accept(prep(4), lfd, &peer.sa, &plen, SOCK_NONBLOCK);
	submit();
	nothing_yet("ACCEPT with no client");
	io_uring_prep_connect(prep(5), c, &a.sa, sizeof a.in4);
	submit();
	// Both complete, in an order Linux leaves open.
	struct cqe_copy cq[2];
	take_sorted(&ring, 2, cq, 2);
	int s = cq[0].res;
	printf("ACCEPT: %s; CONNECT: %s\n", s >= 0 ? "a descriptor" : errno_str(s), errno_str(cq[1].res));
	name_port(local_port(c), "C");
	printf("the accepted peer: %s\n", inet_string(&peer, plen));
	printf("accepted O_NONBLOCK: %d\n", !!(fcntl(s, F_GETFL) & O_NONBLOCK));
	inet_peername("the client's peer", c);

	printf("-- RECV, SEND, POLL_ADD\n");
	char buf[64] = {0};
	io_uring_prep_recv(prep(6), s, buf, sizeof buf, 0);
	submit();
	nothing_yet("RECV on an empty socket");
	io_uring_prep_send(prep(7), c, "hello", 5, 0);
	submit();
	take_sorted(&ring, 2, cq, 2);
	printf("RECV: %s \"%.*s\"; SEND: %s\n", errno_str(cq[0].res), cq[0].res > 0 ? cq[0].res : 0, buf,
	       errno_str(cq[1].res));
	io_uring_prep_poll_add(prep(8), c, POLLIN);
	submit();
	nothing_yet("POLL_ADD POLLIN on the client");
	R(write(s, "back", 4));
	int m = reap_cqe("POLL_ADD", 0);
	printf("mask: %s\n", poll_bits(m > 0 ? m : 0));
	R(read(c, buf, sizeof buf));

	printf("-- SHUTDOWN\n");
	io_uring_prep_recv(prep(9), s, buf, sizeof buf, 0);
	submit();
	nothing_yet("RECV");
	io_uring_prep_shutdown(prep(10), c, SHUT_WR);
	submit();
	take_sorted(&ring, 2, cq, 2);
	printf("RECV after the peer's SHUT_WR: %s; SHUTDOWN: %s\n", errno_str(cq[0].res), errno_str(cq[1].res));
	close(c);
	close(s);

	printf("-- a reset\n");
	c = tcp_dial(&a, 0);
	s = accept(lfd, NULL, NULL);
	R(write(c, "unread", 6));
	wait_events(s, POLLIN, 2000);
	io_uring_prep_recv(prep(11), c, buf, sizeof buf, 0);
	submit();
	nothing_yet("RECV");
	R(close(s)); // unread data: a reset
	reap_cqe("RECV after the peer's reset", 0);
	catch_sigpipe(1);
	sigpipes = 0;
	io_uring_prep_send(prep(12), c, "x", 1, 0);
	submit();
	reap_cqe("SEND after the reset", 0);
	printf("SIGPIPEs: %d\n", sigpipes);
	close(c);

	printf("-- UDP: SENDMSG and RECVMSG\n");
	int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
	union inet_addr ua = in4("127.0.0.1", 0), ub = in4("127.0.0.1", 0);
	socklen_t ul = sizeof ua.in4;
	bind(u1, &ua.sa, ul);
	getsockname(u1, &ua.sa, &ul);
	bind(u2, &ub.sa, ul);
	getsockname(u2, &ub.sa, &ul);
	name_port(aport(&ua), "A");
	name_port(aport(&ub), "B");
	union inet_addr from;
	memset(buf, 0, sizeof buf);
	struct iovec riov = {buf, 4};
	struct msghdr rm = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &riov, .msg_iovlen = 1};
	io_uring_prep_recvmsg(prep(13), u1, &rm, 0);
	submit();
	nothing_yet("RECVMSG");
	struct iovec siov = {"datagram", 8};
	struct msghdr sm = {.msg_name = &ua, .msg_namelen = sizeof ua.in4, .msg_iov = &siov, .msg_iovlen = 1};
	io_uring_prep_sendmsg(prep(14), u2, &sm, 0);
	submit();
	take_sorted(&ring, 2, cq, 2);
	printf("RECVMSG: %s \"%.4s\", MSG_TRUNC %d, from %s; SENDMSG: %s\n", errno_str(cq[0].res), buf,
	       !!(rm.msg_flags & MSG_TRUNC), inet_string(&from, rm.msg_namelen), errno_str(cq[1].res));
	close(u1);
	close(u2);
	close(closed);
	close(lfd);
	io_uring_queue_exit(&ring);
	return 0;
}
