// uring_net: io_uring's socket opcodes (liburing 2.3) on AF_UNIX sockets,
// as Linux's io_uring/net.c and io_uring/kbuf.c have them: SOCKET,
// CONNECT, ACCEPT (one-shot with SOCK_CLOEXEC and SOCK_NONBLOCK, and
// multishot: a CQE with IORING_CQE_F_MORE per client, ended by a
// cancel), SEND and RECV (MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT, the
// MSG_NOSIGNAL io_uring always adds), SENDMSG and RECVMSG with
// SCM_RIGHTS, SHUTDOWN, provided buffers (PROVIDE_BUFFERS and
// REMOVE_BUFFERS, IOSQE_BUFFER_SELECT, IORING_CQE_F_BUFFER and the
// buffer id, -ENOBUFS), buffer rings (IORING_REGISTER_PBUF_RING),
// multishot RECV through a buffer ring, and the errors of each.
//
// Operations that must wait complete asynchronously: the program
// submits a RECV on an empty socket (or an ACCEPT with no client), sees
// no completion, then itself writes (or connects) from the same thread,
// and only then reaps the CQE; a blocking submitter would never get
// there.
//
// CQEs are printed as their result (a number or -ERRNO) and the flags
// that mean something to a program (MORE, BUFFER and its id); descriptor
// numbers are printed only as "a descriptor". Where two CQEs complete in
// the same instant (a cancel and the request it ends) they are printed
// sorted by user_data.
#include "check.h"
#include "uring.h"
#include <sys/mman.h>
#include <sys/uio.h>

static int cmp_cqe(const void *a, const void *b) {
	const struct cqe *x = a, *y = b;
	return x->user_data < y->user_data ? -1 : x->user_data > y->user_data;
}

// reap_sorted reaps n CQEs and prints them sorted by user_data: for
// CQEs whose order Linux does not define.
static void reap_sorted(int n) {
	struct cqe c[16];
	for (int i = 0; i < n; i++)
		c[i] = next_cqe();
	qsort(c, n, sizeof c[0], cmp_cqe);
	for (int i = 0; i < n; i++)
		printf("  user_data %llu: %s%s\n", (unsigned long long)c[i].user_data, res_name(c[i].res),
		       flag_names(c[i].flags));
}

// fdflags prints a descriptor's close-on-exec and O_NONBLOCK.
static void fdflags(const char *what, int fd) {
	printf("%s: FD_CLOEXEC %d, O_NONBLOCK %d\n", what, fcntl(fd, F_GETFD) & FD_CLOEXEC,
	       (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
}

// listener makes a stream socket bound to a and listening.
static int listener(const struct sockaddr_un *a, socklen_t len) {
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (const struct sockaddr *)a, len) < 0 || listen(fd, 16) < 0) {
		show("listener", -1);
		exit(1);
	}
	return fd;
}

// dial connects a new stream socket to a with connect(2).
static int dial(const struct sockaddr_un *a, socklen_t len) {
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)a, len) < 0) {
		show("dial", -1);
		exit(1);
	}
	return fd;
}

// recv_str receives once (io_uring RECV) into a buffer of n bytes and
// prints the result and the bytes.
static void recv_str(const char *what, int fd, size_t n, int flags) {
	char buf[256];
	io_uring_prep_recv(get(), fd, buf, n, flags);
	submit(1);
	struct cqe c = next_cqe();
	printf("%s: %s%s", what, res_name(c.res), flag_names(c.flags));
	if (c.res >= 0)
		printf(" \"%.*s\"", c.res, buf);
	printf("\n");
}

// send_str sends s with io_uring SEND and prints the result.
static void send_str(const char *what, int fd, const char *s, int flags) {
	io_uring_prep_send(get(), fd, s, strlen(s), flags);
	run(what);
}

static void sockets(void) {
	printf("-- SOCKET\n");
	io_uring_prep_socket(get(), AF_UNIX, SOCK_STREAM, 0, 0);
	int fd = run_fd("SOCKET AF_UNIX SOCK_STREAM");
	fdflags("  its flags", fd);
	int type = -1;
	socklen_t tl = sizeof type;
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
	printf("  SO_TYPE: %d\n", type);
	close(fd);
	io_uring_prep_socket(get(), AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, 0);
	fd = run_fd("SOCKET AF_UNIX SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK");
	fdflags("  its flags", fd);
	close(fd);
	io_uring_prep_socket(get(), 255, SOCK_STREAM, 0, 0);
	run("SOCKET domain 255");
	io_uring_prep_socket(get(), AF_UNIX, 99, 0, 0);
	run("SOCKET type 99");
	io_uring_prep_socket(get(), AF_UNIX, SOCK_STREAM, 2, 0);
	run("SOCKET protocol 2");
	io_uring_prep_socket(get(), AF_UNIX, SOCK_STREAM | 0x100000, 0, 0);
	run("SOCKET type with an unknown flag bit");
	io_uring_prep_socket(get(), AF_UNIX, SOCK_STREAM, 0, 1);
	run("SOCKET with rw_flags 1");
}

static void connect_accept(void) {
	printf("-- CONNECT and ACCEPT\n");
	struct sockaddr_un a, b, peer;
	socklen_t alen = sun_abstract(&a, "unet"), plen;
	int l = listener(&a, alen);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	io_uring_prep_connect(get(), c, (struct sockaddr *)&a, alen);
	run("CONNECT to the abstract listener");
	plen = sizeof peer;
	memset(&peer, 0x55, sizeof peer);
	io_uring_prep_accept(get(), l, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC | SOCK_NONBLOCK);
	int s = run_fd("ACCEPT SOCK_CLOEXEC|SOCK_NONBLOCK");
	printf("  the peer's address: %s\n", sun_string(&peer, plen));
	fdflags("  the accepted socket", s);
	sockname("  its name", s);
	send_str("SEND through the accepted socket", s, "hi", 0);
	recv_str("RECV at the client", c, 16, 0);
	io_uring_prep_connect(get(), c, (struct sockaddr *)&a, alen);
	run("CONNECT again");
	close(s);
	close(c);

	// A path name: the accepted socket's name is the listener's path.
	socklen_t blen = sun_path_addr(&b, "tmp/unet.sock");
	unlink("tmp/unet.sock");
	int lp = listener(&b, blen);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	io_uring_prep_connect(get(), c, (struct sockaddr *)&b, blen);
	run("CONNECT to tmp/unet.sock");
	io_uring_prep_accept(get(), lp, NULL, NULL, 0);
	s = run_fd("ACCEPT with no address");
	fdflags("  the accepted socket", s);
	sockname("  its name", s);
	peername("  the client's peer", c);
	close(s);
	close(c);
	close(lp);
	unlink("tmp/unet.sock");

	printf("-- CONNECT and ACCEPT errors\n");
	struct sockaddr_un none_a;
	socklen_t nlen = sun_abstract(&none_a, "nobody");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	io_uring_prep_connect(get(), c, (struct sockaddr *)&none_a, nlen);
	run("CONNECT to an unbound abstract name");
	struct sockaddr_un missing;
	socklen_t mlen = sun_path_addr(&missing, "tmp/no-such-socket");
	io_uring_prep_connect(get(), c, (struct sockaddr *)&missing, mlen);
	run("CONNECT to a missing path");
	io_uring_prep_connect(get(), c, (struct sockaddr *)&a, 1);
	run("CONNECT with address length 1");
	io_uring_prep_connect(get(), c, KERNEL_PTR, alen);
	run("CONNECT with a kernel address");
	int p[2];
	if (pipe(p) < 0)
		show("pipe", -1);
	io_uring_prep_connect(get(), p[0], (struct sockaddr *)&a, alen);
	run("CONNECT on a pipe");
	io_uring_prep_accept(get(), c, NULL, NULL, 0);
	run("ACCEPT on a socket that does not listen");
	io_uring_prep_accept(get(), p[0], NULL, NULL, 0);
	run("ACCEPT on a pipe");
	io_uring_prep_accept(get(), l, NULL, NULL, O_APPEND);
	run("ACCEPT with flag O_APPEND");
	io_uring_prep_accept(get(), 999, NULL, NULL, 0);
	run("ACCEPT on descriptor 999");
	close(c);

	printf("-- ACCEPT waits for a client without blocking the submitter\n");
	io_uring_prep_accept(get(), l, NULL, NULL, 0);
	submit(1);
	none("after submitting ACCEPT");
	c = dial(&a, alen);
	printf("connected with connect(2) from the same thread\n");
	struct cqe cq = next_cqe();
	printf("ACCEPT: %s%s\n", cq.res >= 0 ? "a descriptor" : res_name(cq.res), flag_names(cq.flags));
	if (cq.res >= 0)
		close(cq.res);
	close(c);
	close(p[0]);
	close(p[1]);
	close(l);
}

static void multishot_accept(void) {
	printf("-- multishot ACCEPT\n");
	struct sockaddr_un a;
	socklen_t alen = sun_abstract(&a, "unet-multi");
	int l = listener(&a, alen);
	int cl[5], n = 0;
	// Two clients wait in the backlog before the request is made: it
	// takes both at once.
	cl[n++] = dial(&a, alen);
	cl[n++] = dial(&a, alen);
	struct io_uring_sqe *s = get();
	io_uring_prep_multishot_accept(s, l, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(s, 100);
	submit(1);
	int fds[8], nf = 0;
	for (int i = 0; i < 2; i++) {
		struct cqe c = next_cqe();
		printf("  user_data %llu: %s%s\n", (unsigned long long)c.user_data,
		       c.res >= 0 ? "a descriptor" : res_name(c.res), flag_names(c.flags));
		if (c.res >= 0)
			fds[nf++] = c.res;
	}
	none("the backlog is empty");
	// Three more, one at a time: one CQE each, the request goes on.
	for (int i = 0; i < 3; i++) {
		cl[n++] = dial(&a, alen);
		struct cqe c = next_cqe();
		printf("  client %d: user_data %llu: %s%s\n", n, (unsigned long long)c.user_data,
		       c.res >= 0 ? "a descriptor" : res_name(c.res), flag_names(c.flags));
		if (c.res >= 0)
			fds[nf++] = c.res;
	}
	int cloexec = 0;
	for (int i = 0; i < nf; i++)
		cloexec += (fcntl(fds[i], F_GETFD) & FD_CLOEXEC) != 0;
	printf("accepted %d, close-on-exec %d\n", nf, cloexec);
	// Each accepted socket is connected to its client, in order.
	int paired = 0;
	for (int i = 0; i < nf && i < n; i++) {
		char ch = 'A' + i, got = 0;
		if (write(cl[i], &ch, 1) == 1 && read(fds[i], &got, 1) == 1 && got == ch)
			paired++;
	}
	printf("accepted sockets paired with their clients in order: %d\n", paired);
	s = get();
	io_uring_prep_cancel64(s, 100, 0);
	io_uring_sqe_set_data64(s, 101);
	submit(1);
	printf("ASYNC_CANCEL of the multishot ACCEPT:\n");
	reap_sorted(2);
	none("after the cancel");
	for (int i = 0; i < nf; i++)
		close(fds[i]);
	for (int i = 0; i < n; i++)
		close(cl[i]);

	// A multishot accept that fails ends at once, without MORE.
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	io_uring_prep_multishot_accept(get(), c, NULL, NULL, 0);
	run("multishot ACCEPT on a socket that does not listen");
	close(c);
	close(l);
}

// direct_descriptors accepts and makes sockets straight into the
// ring's registered file table (sqe->file_index), and uses them there.
static void direct_descriptors(void) {
	printf("-- direct descriptors: ACCEPT and SOCKET into registered slots\n");
	int empty[4] = {-1, -1, -1, -1};
	printf("register 4 empty slots: %s\n", res_name(io_uring_register_files(&ring, empty, 4)));
	struct sockaddr_un a;
	socklen_t alen = sun_abstract(&a, "unet-direct");
	int l = listener(&a, alen);
	int c = dial(&a, alen);
	io_uring_prep_accept_direct(get(), l, NULL, NULL, 0, 2);
	run("ACCEPT into slot 2");
	char buf[16] = {0};
	show("write(2) \"direct\" at the client", write(c, "direct", 6));
	struct io_uring_sqe *s = get();
	io_uring_prep_recv(s, 2, buf, sizeof buf, 0);
	io_uring_sqe_set_flags(s, IOSQE_FIXED_FILE);
	int n = run("RECV through slot 2");
	printf("  \"%.*s\"\n", n > 0 ? n : 0, buf);
	io_uring_prep_accept_direct(get(), l, NULL, NULL, SOCK_CLOEXEC, 3);
	run("ACCEPT SOCK_CLOEXEC into a slot");
	io_uring_prep_accept_direct(get(), l, NULL, NULL, 0, 9);
	show("connect another client", (close(dial(&a, alen)), 0));
	run("ACCEPT into slot 8, past the table");
	io_uring_prep_socket_direct(get(), AF_UNIX, SOCK_STREAM, 0, 0, 0);
	run("SOCKET into slot 0");
	io_uring_prep_socket_direct_alloc(get(), AF_UNIX, SOCK_STREAM, 0, 0);
	run("SOCKET into a free slot (IORING_FILE_INDEX_ALLOC)");
	io_uring_prep_socket_direct(get(), AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 1, 0);
	run("SOCKET SOCK_CLOEXEC into a slot");
	s = get();
	io_uring_prep_multishot_accept(s, l, NULL, NULL, 0);
	s->file_index = 3;
	run("multishot ACCEPT into one given slot");
	s = get();
	io_uring_prep_multishot_accept_direct(s, l, NULL, NULL, 0);
	io_uring_sqe_set_data64(s, 300);
	submit(1);
	int d = dial(&a, alen);
	struct cqe cq = next_cqe();
	printf("multishot ACCEPT into free slots: %s%s\n", res_name(cq.res), flag_names(cq.flags));
	// The table is full now: the next client ends the request.
	int d2 = dial(&a, alen);
	cq = next_cqe();
	printf("  the next client, the table full: %s%s\n", res_name(cq.res), flag_names(cq.flags));
	none("after it");
	close(d);
	close(d2);
	printf("unregister the files: %s\n", res_name(io_uring_unregister_files(&ring)));
	io_uring_prep_accept_direct(get(), l, NULL, NULL, 0, 1);
	show("connect another client", (close(dial(&a, alen)), 0));
	run("ACCEPT into a slot with no table");
	close(c);
	close(l);
}

static void send_recv(void) {
	printf("-- SEND and RECV\n");
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	send_str("SEND \"hello\"", sv[0], "hello", 0);
	recv_str("RECV", sv[1], 64, 0);
	send_str("SEND \"peek\"", sv[0], "peek", 0);
	recv_str("RECV MSG_PEEK", sv[1], 64, MSG_PEEK);
	recv_str("RECV 2 bytes", sv[1], 2, 0);
	recv_str("RECV the rest", sv[1], 64, 0);
	recv_str("RECV MSG_DONTWAIT on an empty socket", sv[1], 64, MSG_DONTWAIT);

	printf("-- RECV waits for data without blocking the submitter\n");
	char buf[64];
	io_uring_prep_recv(get(), sv[1], buf, sizeof buf, 0);
	submit(1);
	none("after submitting RECV");
	show("write(2) \"later\" from the same thread", write(sv[0], "later", 5));
	struct cqe c = next_cqe();
	printf("RECV: %s \"%.*s\"\n", res_name(c.res), c.res > 0 ? c.res : 0, buf);

	printf("-- RECV MSG_WAITALL\n");
	io_uring_prep_recv(get(), sv[1], buf, 10, MSG_WAITALL);
	submit(1);
	show("write(2) 4 bytes", write(sv[0], "0123", 4));
	none("after 4 of 10 bytes");
	show("write(2) 6 bytes", write(sv[0], "456789", 6));
	c = next_cqe();
	printf("RECV MSG_WAITALL 10: %s \"%.*s\"\n", res_name(c.res), c.res > 0 ? c.res : 0, buf);

	printf("-- a socket with O_NONBLOCK\n");
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	io_uring_prep_recv(get(), sv[1], buf, sizeof buf, 0);
	submit(1);
	none("after submitting RECV on an empty O_NONBLOCK socket");
	show("write(2) \"nb\"", write(sv[0], "nb", 2));
	c = next_cqe();
	printf("RECV: %s \"%.*s\"\n", res_name(c.res), c.res > 0 ? c.res : 0, buf);
	fcntl(sv[1], F_SETFL, 0);

	printf("-- SEND and RECV errors\n");
	int p[2];
	if (pipe(p) < 0)
		show("pipe", -1);
	recv_str("RECV on a pipe", p[0], 8, 0);
	send_str("SEND on a pipe", p[1], "x", 0);
	recv_str("RECV on descriptor 999", 999, 8, 0);
	io_uring_prep_recv(get(), sv[1], KERNEL_PTR, 8, 0);
	show("write(2) \"k\"", write(sv[0], "k", 1));
	run("RECV into a kernel address");
	recv_str("RECV what stayed", sv[1], 8, 0);
	io_uring_prep_send(get(), sv[0], KERNEL_PTR, 8, 0);
	run("SEND from a kernel address");
	int dg = socket(AF_UNIX, SOCK_STREAM, 0);
	send_str("SEND on an unconnected stream socket", dg, "x", 0);
	recv_str("RECV on an unconnected stream socket", dg, 8, 0);
	close(dg);
	close(p[0]);
	close(p[1]);
	close(sv[1]);
	catch_sigpipe(1);
	sigpipes = 0;
	send_str("SEND to a closed peer", sv[0], "x", 0);
	printf("SIGPIPEs: %d (io_uring adds MSG_NOSIGNAL)\n", sigpipes);
	catch_sigpipe(0);
	close(sv[0]);
}

static void msgs(void) {
	printf("-- SENDMSG and RECVMSG with SCM_RIGHTS\n");
	int sv[2], p[2];
	sockpair(SOCK_STREAM, sv);
	if (pipe(p) < 0)
		show("pipe", -1);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {"fd!", 3};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
	io_uring_prep_sendmsg(get(), sv[0], &m, 0);
	run("SENDMSG with the pipe's write end");
	close(p[1]);

	char data[16];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} r;
	struct iovec riov = {data, sizeof data};
	struct msghdr rm = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = r.buf, .msg_controllen = sizeof r.buf};
	io_uring_prep_recvmsg(get(), sv[1], &rm, MSG_CMSG_CLOEXEC);
	int n = run("RECVMSG MSG_CMSG_CLOEXEC");
	printf("  data \"%.*s\", msg_flags %#x, msg_controllen %zu\n", n > 0 ? n : 0, data, rm.msg_flags,
	       (size_t)rm.msg_controllen);
	struct cmsghdr *rc = CMSG_FIRSTHDR(&rm);
	if (rc == NULL) {
		printf("  no control message\n");
	} else {
		int fd;
		memcpy(&fd, CMSG_DATA(rc), sizeof fd);
		printf("  cmsg level SOL_SOCKET %d, type SCM_RIGHTS %d, len %zu\n", rc->cmsg_level == SOL_SOCKET,
		       rc->cmsg_type == SCM_RIGHTS, (size_t)rc->cmsg_len);
		fdflags("  the descriptor that came", fd);
		// It is the pipe's write end: what is written through it comes
		// out of the read end kept here.
		io_uring_prep_write(get(), fd, "through the passed fd", 21, 0);
		run("WRITE through it");
		close(fd);
		char back[32];
		long got = read(p[0], back, sizeof back);
		printf("  the pipe's read end: %ld \"%.*s\"\n", got, (int)(got > 0 ? got : 0), back);
	}

	// A control buffer too short for the descriptor: MSG_CTRUNC.
	int q[2];
	if (pipe(q) < 0)
		show("pipe", -1);
	m.msg_controllen = sizeof u.buf;
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &q[0], sizeof(int));
	io_uring_prep_sendmsg(get(), sv[0], &m, 0);
	run("SENDMSG with another descriptor");
	rm.msg_controllen = sizeof(struct cmsghdr);
	rm.msg_flags = 0;
	io_uring_prep_recvmsg(get(), sv[1], &rm, 0);
	n = run("RECVMSG with room for the header only");
	printf("  msg_flags MSG_CTRUNC %d, msg_controllen %zu\n", (rm.msg_flags & MSG_CTRUNC) != 0,
	       (size_t)rm.msg_controllen);

	printf("-- SENDMSG and RECVMSG errors\n");
	memcpy(CMSG_DATA(cm), &(int){999}, sizeof(int));
	io_uring_prep_sendmsg(get(), sv[0], &m, 0);
	run("SENDMSG passing descriptor 999");
	cm->cmsg_type = 77;
	memcpy(CMSG_DATA(cm), &q[0], sizeof(int));
	io_uring_prep_sendmsg(get(), sv[0], &m, 0);
	run("SENDMSG with cmsg type 77");
	io_uring_prep_sendmsg(get(), sv[0], KERNEL_PTR, 0);
	run("SENDMSG with a kernel msghdr");
	io_uring_prep_recvmsg(get(), sv[1], KERNEL_PTR, 0);
	run("RECVMSG with a kernel msghdr");
	io_uring_prep_recvmsg(get(), p[0], &rm, 0);
	run("RECVMSG on a pipe");
	close(q[0]);
	close(q[1]);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

// show_out prints what a multishot RECVMSG left in buffer b: the header
// (struct io_uring_recvmsg_out), the payload, and a descriptor passed in
// the control data, used to show it works.
static void show_out(char *b, int res, struct msghdr *mh) {
	struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(b, res, mh);
	if (o == NULL) {
		printf("  the buffer holds no header\n");
		return;
	}
	printf("  namelen %u, controllen %u, payloadlen %u, flags %#x, payload \"%.*s\"\n", o->namelen, o->controllen,
	       o->payloadlen, o->flags, (int)io_uring_recvmsg_payload_length(o, res, mh),
	       (char *)io_uring_recvmsg_payload(o, mh));
	struct cmsghdr *cm = io_uring_recvmsg_cmsg_firsthdr(o, mh);
	if (cm != NULL && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		int fd;
		memcpy(&fd, CMSG_DATA(cm), sizeof fd);
		printf("  a descriptor came: write(2) through it: %ld\n", (long)write(fd, "!", 1));
		close(fd);
	}
}

static void recvmsg_buffers(void) {
	printf("-- RECVMSG with provided buffers, multishot RECVMSG\n");
	static char bufs[4][128];
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	io_uring_prep_provide_buffers(get(), bufs, 128, 4, 13, 0);
	run("PROVIDE_BUFFERS 4 of 128 bytes, group 13");
	show("write(2) \"hello world\"", write(sv[0], "hello world", 11));
	struct iovec iov[2] = {{NULL, 5}, {NULL, 5}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 1};
	struct io_uring_sqe *s = get();
	io_uring_prep_recvmsg(s, sv[1], &m, 0);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = 13;
	int n = run("RECVMSG, one iovec of 5 bytes, group 13");
	printf("  \"%.*s\", msg_flags %#x\n", n > 0 ? n : 0, bufs[0], m.msg_flags);
	m.msg_iovlen = 0;
	s = get();
	io_uring_prep_recvmsg(s, sv[1], &m, 0);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = 13;
	n = run("RECVMSG, no iovec, group 13");
	printf("  \"%.*s\"\n", n > 0 ? n : 0, bufs[1]);
	m.msg_iovlen = 2;
	s = get();
	io_uring_prep_recvmsg(s, sv[1], &m, 0);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = 13;
	run("RECVMSG, two iovecs, group 13");
	s = get();
	io_uring_prep_recvmsg_multishot(s, sv[1], &m, 0);
	run("multishot RECVMSG without IOSQE_BUFFER_SELECT");
	io_uring_prep_provide_buffers(get(), bufs, 128, 2, 13, 0);
	run("PROVIDE_BUFFERS ids 0-1 again");

	// Each buffer: the header, 16 bytes for the name, room for one
	// descriptor's control message, then the payload.
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_namelen = 16, .msg_controllen = sizeof u.b};
	s = get();
	io_uring_prep_recvmsg_multishot(s, sv[1], &mh, 0);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = 13;
	submit(1);
	none("multishot RECVMSG, group 13, after submitting");
	int p[2];
	if (pipe(p) < 0)
		show("pipe", -1);
	struct iovec siov = {"fd", 2};
	struct msghdr sm = {.msg_iov = &siov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&sm);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
	show("sendmsg(2) \"fd\" with the pipe's write end", sendmsg(sv[0], &sm, 0));
	struct cqe c = next_cqe();
	printf("  %s%s\n", res_name(c.res), flag_names(c.flags));
	if (c.res > 0 && (c.flags & IORING_CQE_F_BUFFER))
		show_out(bufs[c.flags >> IORING_CQE_BUFFER_SHIFT], c.res, &mh);
	char got[4];
	printf("  the pipe: %ld\n", (long)read(p[0], got, sizeof got));
	show("write(2) \"plain\"", write(sv[0], "plain", 5));
	c = next_cqe();
	printf("  %s%s\n", res_name(c.res), flag_names(c.flags));
	if (c.res > 0 && (c.flags & IORING_CQE_F_BUFFER))
		show_out(bufs[c.flags >> IORING_CQE_BUFFER_SHIFT], c.res, &mh);
	show("shutdown(2) SHUT_WR at the writer", shutdown(sv[0], SHUT_WR));
	c = next_cqe();
	printf("  EOF: %s%s\n", res_name(c.res), flag_names(c.flags));
	if (c.res > 0 && (c.flags & IORING_CQE_F_BUFFER))
		show_out(bufs[c.flags >> IORING_CQE_BUFFER_SHIFT], c.res, &mh);
	none("after EOF");
	mh.msg_namelen = 200;
	io_uring_prep_provide_buffers(get(), bufs, 128, 1, 13, 0);
	run("PROVIDE_BUFFERS id 0");
	s = get();
	io_uring_prep_recvmsg_multishot(s, sv[1], &mh, 0);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = 13;
	run("multishot RECVMSG with room for a name larger than the buffer");
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void shutdowns(void) {
	printf("-- SHUTDOWN\n");
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	io_uring_prep_shutdown(get(), sv[0], SHUT_WR);
	run("SHUTDOWN SHUT_WR");
	recv_str("RECV at the peer", sv[1], 8, 0);
	send_str("SEND on the shut side", sv[0], "x", 0);
	send_str("SEND from the peer", sv[1], "back", 0);
	recv_str("RECV on the shut side", sv[0], 8, 0);
	io_uring_prep_shutdown(get(), sv[0], 3);
	run("SHUTDOWN how 3");
	int p[2];
	if (pipe(p) < 0)
		show("pipe", -1);
	io_uring_prep_shutdown(get(), p[0], SHUT_RD);
	run("SHUTDOWN on a pipe");
	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	io_uring_prep_shutdown(get(), u, SHUT_RDWR);
	run("SHUTDOWN of an unconnected socket");
	close(u);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

// recv_sel receives with IOSQE_BUFFER_SELECT from group bgid (len 0:
// the buffer's length) and prints the CQE and the bytes, found in the
// buffer the CQE names: base + id * size.
static int recv_sel(const char *what, int fd, int bgid, size_t len, char *base, size_t size) {
	struct io_uring_sqe *s = get();
	io_uring_prep_recv(s, fd, NULL, len, 0);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = bgid;
	submit(1);
	struct cqe c = next_cqe();
	printf("%s: %s%s", what, res_name(c.res), flag_names(c.flags));
	if (c.res > 0 && (c.flags & IORING_CQE_F_BUFFER))
		printf(" \"%.*s\"", c.res, base + (c.flags >> IORING_CQE_BUFFER_SHIFT) * size);
	printf("\n");
	return c.res;
}

static void provided(void) {
	printf("-- PROVIDE_BUFFERS and REMOVE_BUFFERS\n");
	static char bufs[4][16];
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	io_uring_prep_provide_buffers(get(), bufs, 16, 4, 7, 0);
	run("PROVIDE_BUFFERS 4 of 16 bytes, group 7, ids 0-3");
	show("write(2) \"one\"", write(sv[0], "one", 3));
	recv_sel("RECV group 7", sv[1], 7, 0, bufs[0], 16);
	show("write(2) \"twotwo\"", write(sv[0], "twotwo", 6));
	recv_sel("RECV group 7 at most 4 bytes", sv[1], 7, 4, bufs[0], 16);
	recv_sel("RECV group 7", sv[1], 7, 0, bufs[0], 16);
	show("write(2) 20 bytes", write(sv[0], "abcdefghijklmnopqrst", 20));
	recv_sel("RECV group 7 (16-byte buffers)", sv[1], 7, 0, bufs[0], 16);
	recv_sel("RECV group 7, the group is empty", sv[1], 7, 0, bufs[0], 16);
	recv_sel("RECV group 8, which was never provided", sv[1], 8, 0, bufs[0], 16);
	io_uring_prep_provide_buffers(get(), bufs[1], 16, 2, 7, 1);
	run("PROVIDE_BUFFERS ids 1-2 again");
	io_uring_prep_remove_buffers(get(), 1, 7);
	run("REMOVE_BUFFERS 1 of group 7");
	recv_sel("RECV group 7", sv[1], 7, 0, bufs[0], 16);
	io_uring_prep_remove_buffers(get(), 5, 7);
	run("REMOVE_BUFFERS 5 of group 7, which is empty");
	io_uring_prep_remove_buffers(get(), 1, 8);
	run("REMOVE_BUFFERS of group 8");

	printf("-- a buffer is taken when the data comes\n");
	io_uring_prep_provide_buffers(get(), bufs[3], 16, 1, 7, 3);
	run("PROVIDE_BUFFERS id 3");
	struct io_uring_sqe *s = get();
	io_uring_prep_recv(s, sv[1], NULL, 0, 0);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = 7;
	submit(1);
	none("after submitting RECV on an empty socket");
	io_uring_prep_remove_buffers(get(), 4, 7);
	run("REMOVE_BUFFERS 4 of group 7 while it waits");
	show("write(2) \"late\"", write(sv[0], "late", 4));
	struct cqe c = next_cqe();
	printf("RECV: %s%s\n", res_name(c.res), flag_names(c.flags));
	io_uring_prep_provide_buffers(get(), bufs[0], 16, 1, 7, 0);
	run("PROVIDE_BUFFERS id 0");
	recv_sel("RECV group 7", sv[1], 7, 0, bufs[0], 16);
	io_uring_prep_remove_buffers(get(), 1, 7);
	run("REMOVE_BUFFERS 1 of group 7, which is empty");

	printf("-- PROVIDE_BUFFERS and REMOVE_BUFFERS errors\n");
	io_uring_prep_provide_buffers(get(), bufs, 16, 0, 7, 0);
	run("PROVIDE_BUFFERS of 0 buffers");
	io_uring_prep_provide_buffers(get(), bufs, 16, 4, 7, 65534);
	run("PROVIDE_BUFFERS ids 65534-65537");
	io_uring_prep_provide_buffers(get(), bufs, 16, 65537, 7, 0);
	run("PROVIDE_BUFFERS 65537 buffers");
	io_uring_prep_provide_buffers(get(), KERNEL_PTR, 16, 4, 7, 0);
	run("PROVIDE_BUFFERS at a kernel address");
	io_uring_prep_provide_buffers(get(), (void *)-64L, 16, 8, 7, 0);
	run("PROVIDE_BUFFERS that wrap the address space");
	io_uring_prep_remove_buffers(get(), 0, 7);
	run("REMOVE_BUFFERS of 0 buffers");
	io_uring_prep_provide_buffers(get(), bufs, 16, 1, 7, 0);
	run("PROVIDE_BUFFERS id 0");
	show("write(2) \"addr\"", write(sv[0], "addr", 4));
	s = get();
	io_uring_prep_recv(s, sv[1], bufs[1], 16, 0);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = 7;
	run("RECV with a buffer address and IOSQE_BUFFER_SELECT");
	recv_str("RECV", sv[1], 16, MSG_DONTWAIT);
	close(sv[0]);
	close(sv[1]);
}

// new_buf_ring maps a buffer ring of entries and registers it as group
// bgid.
static struct io_uring_buf_ring *new_buf_ring(const char *what, unsigned entries, int bgid) {
	struct io_uring_buf_ring *br =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = entries, .bgid = bgid};
	int r = io_uring_register_buf_ring(&ring, &reg, 0);
	printf("%s: %s\n", what, res_name(r));
	io_uring_buf_ring_init(br);
	return br;
}

static void buf_rings(void) {
	printf("-- buffer rings\n");
	static char bufs[8][32];
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	struct io_uring_buf_ring *br = new_buf_ring("register a ring of 8 as group 9", 8, 9);
	int mask = io_uring_buf_ring_mask(8);
	for (int i = 0; i < 3; i++)
		io_uring_buf_ring_add(br, bufs[i], 32, i, mask, i);
	io_uring_buf_ring_advance(br, 3);
	printf("added ids 0-2 of 32 bytes\n");
	const char *msgs[] = {"first", "second", "third", "fourth"};
	for (int i = 0; i < 4; i++) {
		show("write(2)", write(sv[0], msgs[i], strlen(msgs[i])));
		recv_sel("RECV group 9", sv[1], 9, 0, bufs[0], 32);
	}
	// Buffers come back in any order: give id 5 and then id 1.
	io_uring_buf_ring_add(br, bufs[5], 32, 5, mask, 0);
	io_uring_buf_ring_add(br, bufs[1], 32, 1, mask, 1);
	io_uring_buf_ring_advance(br, 2);
	printf("added ids 5 and 1\n");
	recv_sel("RECV group 9", sv[1], 9, 4, bufs[0], 32);
	recv_sel("RECV group 9", sv[1], 9, 0, bufs[0], 32);

	printf("-- buffer ring errors\n");
	struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = 8, .bgid = 9};
	printf("register group 9 again: %s\n", res_name(io_uring_register_buf_ring(&ring, &reg, 0)));
	reg.bgid = 10;
	reg.ring_entries = 3;
	printf("register 3 entries: %s\n", res_name(io_uring_register_buf_ring(&ring, &reg, 0)));
	reg.ring_entries = 65536;
	printf("register 65536 entries: %s\n", res_name(io_uring_register_buf_ring(&ring, &reg, 0)));
	reg.ring_entries = 8;
	reg.ring_addr = (unsigned long)br + 8;
	printf("register an unaligned ring: %s\n", res_name(io_uring_register_buf_ring(&ring, &reg, 0)));
	reg.ring_addr = 0;
	printf("register a NULL ring: %s\n", res_name(io_uring_register_buf_ring(&ring, &reg, 0)));
	reg.ring_addr = (unsigned long)br;
	static char legacy[16];
	io_uring_prep_provide_buffers(get(), legacy, 16, 1, 12, 0);
	run("PROVIDE_BUFFERS to group 12");
	reg.bgid = 12;
	printf("register a ring as group 12, which has provided buffers: %s\n",
	       res_name(io_uring_register_buf_ring(&ring, &reg, 0)));
	io_uring_prep_provide_buffers(get(), legacy, 16, 1, 9, 0);
	run("PROVIDE_BUFFERS to group 9, a ring");
	io_uring_prep_remove_buffers(get(), 1, 9);
	run("REMOVE_BUFFERS of group 9, a ring");
	printf("unregister group 42: %s\n", res_name(io_uring_unregister_buf_ring(&ring, 42)));
	printf("unregister group 12, not a ring: %s\n", res_name(io_uring_unregister_buf_ring(&ring, 12)));
	printf("unregister group 9: %s\n", res_name(io_uring_unregister_buf_ring(&ring, 9)));
	show("write(2) \"gone\"", write(sv[0], "gone", 4));
	recv_sel("RECV group 9 after unregister", sv[1], 9, 0, bufs[0], 32);
	recv_str("RECV", sv[1], 32, 0);
	munmap(br, 4096);
	close(sv[0]);
	close(sv[1]);
}

static void multishot_recv(void) {
	printf("-- multishot RECV with a buffer ring\n");
	static char bufs[4][8];
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	struct io_uring_buf_ring *br = new_buf_ring("register a ring of 4 as group 11", 4, 11);
	int mask = io_uring_buf_ring_mask(4);
	for (int i = 0; i < 4; i++)
		io_uring_buf_ring_add(br, bufs[i], 8, i, mask, i);
	io_uring_buf_ring_advance(br, 4);
	struct io_uring_sqe *s = get();
	io_uring_prep_recv_multishot(s, sv[1], NULL, 0, 0);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = 11;
	io_uring_sqe_set_data64(s, 200);
	submit(1);
	none("after submitting");
	const char *msgs[] = {"abc", "defgh", "0123456789AB"};
	int cqes[] = {1, 1, 2};
	for (int i = 0; i < 3; i++) {
		show("write(2)", write(sv[0], msgs[i], strlen(msgs[i])));
		for (int k = 0; k < cqes[i]; k++) {
			struct cqe c = next_cqe();
			printf("  %s%s", res_name(c.res), flag_names(c.flags));
			if (c.res > 0 && (c.flags & IORING_CQE_F_BUFFER))
				printf(" \"%.*s\"", c.res, bufs[c.flags >> IORING_CQE_BUFFER_SHIFT]);
			printf("\n");
		}
	}
	none("the ring is used up");
	show("write(2) \"more\"", write(sv[0], "more", 4));
	struct cqe c = next_cqe();
	printf("  %s%s\n", res_name(c.res), flag_names(c.flags));
	none("after the request ended");

	// Buffers back, a new request: the data left is received, then EOF
	// ends it.
	for (int i = 0; i < 4; i++)
		io_uring_buf_ring_add(br, bufs[i], 8, i, mask, i);
	io_uring_buf_ring_advance(br, 4);
	s = get();
	io_uring_prep_recv_multishot(s, sv[1], NULL, 0, 0);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = 11;
	submit(1);
	c = next_cqe();
	printf("  %s%s", res_name(c.res), flag_names(c.flags));
	if (c.res > 0 && (c.flags & IORING_CQE_F_BUFFER))
		printf(" \"%.*s\"", c.res, bufs[c.flags >> IORING_CQE_BUFFER_SHIFT]);
	printf("\n");
	show("shutdown(2) SHUT_WR at the writer", shutdown(sv[0], SHUT_WR));
	c = next_cqe();
	// EOF ends the request without MORE, and a buffer taken for no data
	// goes back to the ring (no BUFFER).
	printf("  EOF: %s%s\n", res_name(c.res), flag_names(c.flags));
	none("after EOF");

	printf("-- multishot RECV errors\n");
	s = get();
	io_uring_prep_recv_multishot(s, sv[1], NULL, 0, 0);
	run("multishot RECV without IOSQE_BUFFER_SELECT");
	s = get();
	io_uring_prep_recv_multishot(s, sv[1], NULL, 0, MSG_WAITALL);
	io_uring_sqe_set_flags(s, IOSQE_BUFFER_SELECT);
	s->buf_group = 11;
	run("multishot RECV MSG_WAITALL");
	io_uring_unregister_buf_ring(&ring, 11);
	munmap(br, 4096);
	close(sv[0]);
	close(sv[1]);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int r = io_uring_queue_init(64, &ring, 0);
	if (r < 0) {
		printf("io_uring_queue_init: %s\n", res_name(r));
		return 1;
	}
	sockets();
	connect_accept();
	multishot_accept();
	direct_descriptors();
	send_recv();
	msgs();
	shutdowns();
	provided();
	buf_rings();
	multishot_recv();
	recvmsg_buffers();
	io_uring_queue_exit(&ring);
	return 0;
}
