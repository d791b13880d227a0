// unix_scm: ancillary data on AF_UNIX sockets as Linux's net/core/scm.c
// and net/unix/af_unix.c handle it: SCM_RIGHTS passing a pipe end and an
// open file to a forked child and back (the same open file description
// on both sides: a shared offset), several descriptors in one message,
// MSG_CTRUNC when the control buffer is short (and which descriptors
// are then installed), MSG_CMSG_CLOEXEC, sendmsg's checks of control
// messages, a socket passed over itself, descriptors in flight when the
// receiving socket closes (and a cycle only the garbage collector
// frees), SCM_CREDENTIALS with SO_PASSCRED (and the autobind it
// implies), and sendmmsg/recvmmsg counts and msg_len.
#include "check.h"
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>

// msgFlags names the bits of a msghdr's msg_flags.
static const char *msgFlags(int f) {
	static char b[96];
	b[0] = 0;
	static const struct {
		int bit;
		const char *name;
	} names[] = {{MSG_OOB, "MSG_OOB"},     {MSG_EOR, "MSG_EOR"},	       {MSG_TRUNC, "MSG_TRUNC"},
		     {MSG_CTRUNC, "MSG_CTRUNC"}, {MSG_ERRQUEUE, "MSG_ERRQUEUE"}, {MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"}};
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
		if (f & names[k].bit) {
			strcat(b, b[0] ? "|" : "");
			strcat(b, names[k].name);
			f &= ~names[k].bit;
		}
	if (f)
		snprintf(b + strlen(b), sizeof b - strlen(b), "%s%#x", b[0] ? "|" : "", f);
	return b[0] ? b : "0";
}

// sendFds sends one byte of data with the descriptors fds[0..n) as
// SCM_RIGHTS.
static long sendFds(int sock, const int *fds, int n, int flags) {
	char ctl[CMSG_SPACE(sizeof(int) * 300)];
	memset(ctl, 0, sizeof ctl);
	struct iovec iov = {"F", 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return sendmsg(sock, &m, flags);
}

// recvFds receives one message with a control buffer of ctlLen bytes
// and stores up to max descriptors from SCM_RIGHTS in fds. It prints
// what came when what is not NULL, and returns the number of
// descriptors received, or -1.
static int recvFds(const char *what, int sock, int *fds, int max, size_t ctlLen, int flags) {
	char data[16];
	union {
		char b[CMSG_SPACE(sizeof(int) * 300)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {data, sizeof data};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctlLen ? ctl.b : NULL, .msg_controllen = ctlLen};
	long r = recvmsg(sock, &m, flags);
	if (r < 0) {
		if (what)
			printf("%s: -1 %s\n", what, strerrorname_np(errno));
		return -1;
	}
	int n = 0, cmsgs = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		cmsgs++;
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (int i = 0; i < k && n < max; i++)
				memcpy(&fds[n++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
	}
	if (what)
		printf("%s: %ld bytes, %d cmsg, %d fds, msg_controllen %zu, msg_flags %s\n", what, r, cmsgs, n,
		       (size_t)m.msg_controllen, msgFlags(m.msg_flags));
	return n;
}

// openFds counts the open descriptors below 256.
static int openFds(void) {
	int n = 0;
	for (int fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

// fdKind says what a descriptor is.
static const char *fdKind(int fd) {
	struct stat st;
	if (fstat(fd, &st) < 0)
		return strerrorname_np(errno);
	return S_ISFIFO(st.st_mode) ? "pipe" : S_ISSOCK(st.st_mode) ? "socket" : S_ISREG(st.st_mode) ? "file" : "other";
}

static void rights(void) {
	printf("-- SCM_RIGHTS between processes\n");
	int sv[2], p[2];
	sockpair(SOCK_DGRAM, sv);
	R(pipe(p));
	int f = open("tmp/scm", O_CREAT | O_RDWR | O_TRUNC, 0644);
	R(write(f, "0123456789", 10));
	R(lseek(f, 2, SEEK_SET));
	pid_t pid = pfork();
	if (pid == 0) {
		close(sv[0]);
		close(p[1]);
		close(f);
		int got[2];
		int n = recvFds("child recvmsg", sv[1], got, 2, CMSG_SPACE(2 * sizeof(int)), 0);
		if (n != 2)
			_exit(1);
		printf("child got a %s and a %s\n", fdKind(got[0]), fdKind(got[1]));
		R(write(got[0], "through the passed pipe", 23));
		char b[4];
		// The file's offset is the sender's: 2.
		long r = read(got[1], b, 3);
		printf("child reads the file: %ld \"%.3s\"\n", r, b);
		close(got[0]);
		close(got[1]);
		// And back: the child passes its end of the pipe's write side
		// again after dup.
		int again = dup(sv[1]);
		R(sendFds(sv[1], &again, 1, 0));
		_exit(0);
	}
	close(sv[1]);
	int pass[2] = {p[1], f};
	// Printed after the child is reaped, which prints as it receives.
	long sent = sendFds(sv[0], pass, 2, 0);
	close(p[1]);
	reap("child", pid);
	show("parent's sendFds", sent);
	char b[64];
	long r = read(p[0], b, sizeof b);
	printf("parent reads the pipe: %ld \"%.*s\"\n", r, (int)(r > 0 ? r : 0), b);
	R(read(p[0], b, sizeof b));
	R(lseek(f, 0, SEEK_CUR));
	int back;
	int n = recvFds("parent recvmsg", sv[0], &back, 1, CMSG_SPACE(sizeof(int)), 0);
	if (n == 1) {
		printf("parent got back a %s\n", fdKind(back));
		// The child's socket end, dup'd: its peer is ours.
		R(write(back, "loop", 4));
		R(recv(sv[0], b, sizeof b, MSG_DONTWAIT));
		close(back);
	}
	close(p[0]);
	close(f);
	close(sv[0]);
}

static void several(void) {
	printf("-- several descriptors, short control buffers\n");
	int sv[2];
	sockpair(SOCK_STREAM, sv);
	int fds[3] = {0, 1, 2};
	int got[8];
	int base = openFds();
	R(sendFds(sv[0], fds, 3, 0));
	int n = recvFds("recvmsg with room for 3", sv[1], got, 8, CMSG_SPACE(3 * sizeof(int)), 0);
	for (int i = 0; i < n; i++)
		close(got[i]);
	// scm_detach_fds: as many descriptors are installed as the control
	// buffer holds after the header (CMSG_SPACE(sizeof(int)) is 24
	// bytes: room for two); the others are closed, and MSG_CTRUNC says
	// so.
	R(sendFds(sv[0], fds, 3, 0));
	n = recvFds("recvmsg into CMSG_SPACE(sizeof(int))", sv[1], got, 8, CMSG_SPACE(sizeof(int)), 0);
	printf("open descriptors gained: %d\n", openFds() - base);
	for (int i = 0; i < n; i++)
		close(got[i]);
	R(sendFds(sv[0], fds, 3, 0));
	n = recvFds("recvmsg with room for a header only", sv[1], got, 8, CMSG_SPACE(0), 0);
	printf("open descriptors gained: %d\n", openFds() - base);
	R(sendFds(sv[0], fds, 3, 0));
	n = recvFds("recvmsg with no control buffer", sv[1], got, 8, 0, 0);
	printf("open descriptors gained: %d\n", openFds() - base);
	R(sendFds(sv[0], fds, 3, 0));
	n = recvFds("recvmsg with 4 bytes of control buffer", sv[1], got, 8, 4, 0);
	printf("open descriptors gained: %d\n", openFds() - base);

	printf("-- MSG_CMSG_CLOEXEC\n");
	R(sendFds(sv[0], fds, 1, 0));
	n = recvFds("recvmsg", sv[1], got, 8, CMSG_SPACE(sizeof(int)), 0);
	if (n == 1) {
		R(fcntl(got[0], F_GETFD));
		close(got[0]);
	}
	R(sendFds(sv[0], fds, 1, 0));
	// ___sys_recvmsg keeps MSG_CMSG_CLOEXEC in msg_flags.
	n = recvFds("recvmsg MSG_CMSG_CLOEXEC", sv[1], got, 8, CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC);
	if (n == 1) {
		R(fcntl(got[0], F_GETFD));
		close(got[0]);
	}
	// MSG_PEEK leaves the descriptors with the message.
	R(sendFds(sv[0], fds, 1, 0));
	n = recvFds("recvmsg MSG_PEEK", sv[1], got, 8, CMSG_SPACE(sizeof(int)), MSG_PEEK);
	if (n == 1)
		close(got[0]);
	n = recvFds("recvmsg", sv[1], got, 8, CMSG_SPACE(sizeof(int)), 0);
	if (n == 1)
		close(got[0]);
	printf("open descriptors gained: %d\n", openFds() - base);

	printf("-- sendmsg's checks of control messages\n");
	int bad = 999;
	R(sendFds(sv[0], &bad, 1, 0));
	int many[254];
	for (int i = 0; i < 254; i++)
		many[i] = 0;
	// SCM_MAX_FD is 253.
	R(sendFds(sv[0], many, 253, 0));
	n = recvFds("recvmsg of 253", sv[1], got, 0, CMSG_SPACE(sizeof(int) * 253), 0);
	for (int fd = 3; fd < 256; fd++)
		if (fd != sv[0] && fd != sv[1])
			close(fd);
	R(sendFds(sv[0], many, 254, 0));
	R(sendFds(sv[0], many, 0, 0));
	recvFds("recvmsg of a message with an empty SCM_RIGHTS", sv[1], got, 8, CMSG_SPACE(sizeof(int)), 0);
	char ctl[CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof ctl);
	struct iovec iov = {"x", 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct cmsghdr *c = (struct cmsghdr *)ctl;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = 99;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	R(sendmsg(sv[0], &m, 0));
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = 4;
	R(sendmsg(sv[0], &m, 0));
	c->cmsg_len = sizeof ctl + 8;
	R(sendmsg(sv[0], &m, 0));
	// Other levels are not the socket layer's: ignored on AF_UNIX.
	c->cmsg_level = 99;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	R(sendmsg(sv[0], &m, 0));
	m.msg_control = KERNEL_PTR;
	R(sendmsg(sv[0], &m, 0));
	R(recv(sv[1], ctl, sizeof ctl, MSG_DONTWAIT));
	close(sv[0]);
	close(sv[1]);
}

static void inflight(void) {
	printf("-- descriptors in flight\n");
	int sv[2], p[2];
	char b[8];
	// The receiving socket closes with a pipe's write end queued: the
	// pipe's reader sees EOF.
	sockpair(SOCK_DGRAM, sv);
	R(pipe(p));
	R(sendFds(sv[0], &p[1], 1, 0));
	close(p[1]);
	struct pollfd pf = {p[0], POLLIN, 0};
	R(poll(&pf, 1, 0));
	close(sv[1]);
	R(poll(&pf, 1, 0));
	printf("the pipe's reader: %s\n", poll_bits(pf.revents));
	R(read(p[0], b, sizeof b));
	close(p[0]);
	close(sv[0]);

	// A socket sent over itself, received back, used.
	sockpair(SOCK_STREAM, sv);
	R(sendFds(sv[0], &sv[0], 1, 0));
	int got;
	int n = recvFds("the socket received", sv[1], &got, 1, CMSG_SPACE(sizeof(int)), 0);
	if (n == 1) {
		close(sv[0]);
		R(write(got, "self", 4));
		R(read(sv[1], b, sizeof b));
		close(got);
	}
	close(sv[1]);

	// The sender closes (its socket and its copy of the pipe's end)
	// with the descriptor in flight: the receiver still gets it.
	sockpair(SOCK_DGRAM, sv);
	R(pipe(p));
	R(sendFds(sv[0], &p[1], 1, 0));
	close(p[1]);
	close(sv[0]);
	n = recvFds("received after the sender closed", sv[1], &got, 1, CMSG_SPACE(sizeof(int)), 0);
	if (n == 1) {
		R(write(got, "late", 4));
		close(got);
	}
	R(read(p[0], b, sizeof b));
	R(read(p[0], b, sizeof b));
	close(p[0]);
	close(sv[1]);
	// (A cycle of sockets holding each other in flight is freed by
	// unix_gc when the kernel chooses to run it: not tested, the time
	// is not Linux's to promise.)
}

// credsOf receives one message and prints its SCM_CREDENTIALS, if any,
// against the expected pid.
static void credsOf(const char *what, int sock, pid_t pid, int flags) {
	char data[16];
	union {
		char b[CMSG_SPACE(sizeof(struct ucred)) + 64];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {data, sizeof data};
	struct sockaddr_un from;
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
	long r = recvmsg(sock, &m, flags);
	if (r < 0) {
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: %ld bytes from %s\n", what, r, sun_string(&from, m.msg_namelen));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(c), sizeof u);
			printf("  SCM_CREDENTIALS len %zu: pid matches %d, uid matches %d, gid matches %d\n",
			       (size_t)c->cmsg_len, u.pid == pid, u.uid == getuid(), u.gid == getgid());
		} else
			printf("  cmsg level %d type %d\n", c->cmsg_level, c->cmsg_type);
	}
}

static void credentials(void) {
	printf("-- SCM_CREDENTIALS\n");
	int sv[2];
	sockpair(SOCK_DGRAM, sv);
	R(send(sv[0], "plain", 5, 0));
	credsOf("without SO_PASSCRED", sv[1], getpid(), 0);
	int one = 1;
	R(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
	SOCKOPT(sv[1], SO_PASSCRED);
	pid_t pid = pfork();
	if (pid == 0) {
		R(send(sv[0], "child", 5, 0));
		_exit(0);
	}
	reap("sender", pid);
	credsOf("with SO_PASSCRED, from a child", sv[1], pid, 0);
	// Explicit credentials: the sender's own are always allowed.
	struct ucred u = {getpid(), getuid(), getgid()};
	char ctl[CMSG_SPACE(sizeof u)];
	memset(ctl, 0, sizeof ctl);
	struct iovec iov = {"mine", 4};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof u);
	memcpy(CMSG_DATA(c), &u, sizeof u);
	R(sendmsg(sv[0], &m, 0));
	credsOf("explicit credentials", sv[1], getpid(), 0);
	c->cmsg_len = CMSG_LEN(sizeof u - 1);
	R(sendmsg(sv[0], &m, 0));
	close(sv[0]);
	close(sv[1]);

	// unix_dgram_sendmsg: a sender with SO_PASSCRED and no name is
	// autobound, so the receiver sees an abstract address.
	struct sockaddr_un a;
	socklen_t l = sun_path_addr(&a, "tmp/cred");
	int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	R(bind(srv, (struct sockaddr *)&a, l));
	int cli = socket(AF_UNIX, SOCK_DGRAM, 0);
	R(sendto(cli, "anon", 4, 0, (struct sockaddr *)&a, l));
	credsOf("an unbound sender", srv, getpid(), 0);
	R(setsockopt(cli, SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
	R(sendto(cli, "cred", 4, 0, (struct sockaddr *)&a, l));
	credsOf("an unbound sender with SO_PASSCRED", srv, getpid(), 0);
	sockname("the sender's name now", cli);
	close(cli);
	close(srv);
	R(unlink("tmp/cred"));

	// On a stream, SO_PASSCRED on the receiver.
	sockpair(SOCK_STREAM, sv);
	R(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
	R(send(sv[0], "stream", 6, 0));
	credsOf("a stream with SO_PASSCRED", sv[1], getpid(), 0);
	close(sv[0]);
	close(sv[1]);
}

static void mmsg(void) {
	printf("-- sendmmsg and recvmmsg\n");
	int sv[2];
	sockpair(SOCK_DGRAM, sv);
	struct iovec out[4] = {{"one", 3}, {"three", 5}, {"", 0}, {"four", 4}};
	struct mmsghdr msgs[4];
	memset(msgs, 0, sizeof msgs);
	for (int i = 0; i < 4; i++) {
		msgs[i].msg_hdr.msg_iov = &out[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_len = 12345;
	}
	R(sendmmsg(sv[0], msgs, 4, 0));
	for (int i = 0; i < 4; i++)
		printf("msg_len[%d] %u\n", i, msgs[i].msg_len);
	char bufs[5][8];
	struct iovec in[5];
	struct mmsghdr rm[5];
	memset(rm, 0, sizeof rm);
	for (int i = 0; i < 5; i++) {
		in[i].iov_base = bufs[i];
		in[i].iov_len = 4;
		rm[i].msg_hdr.msg_iov = &in[i];
		rm[i].msg_hdr.msg_iovlen = 1;
		rm[i].msg_len = 12345;
	}
	R(recvmmsg(sv[1], rm, 2, 0, NULL));
	for (int i = 0; i < 2; i++)
		printf("msg_len[%d] %u \"%.*s\" flags %s\n", i, rm[i].msg_len, (int)rm[i].msg_len, bufs[i],
		       msgFlags(rm[i].msg_hdr.msg_flags));
	for (int i = 0; i < 5; i++)
		rm[i].msg_len = 12345;
	R(recvmmsg(sv[1], rm, 5, MSG_DONTWAIT, NULL));
	for (int i = 0; i < 2; i++)
		printf("msg_len[%d] %u \"%.*s\"\n", i, rm[i].msg_len, (int)rm[i].msg_len, bufs[i]);
	printf("msg_len[2] untouched: %s\n", rm[2].msg_len == 12345 ? "yes" : "no");
	R(recvmmsg(sv[1], rm, 5, MSG_DONTWAIT, NULL));
	// A failure after the first message: the count so far.
	static char big[1 << 16];
	int want = 10000;
	R(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &want, sizeof want));
	out[1].iov_base = big;
	out[1].iov_len = sizeof big;
	R(sendmmsg(sv[0], msgs, 3, 0));
	R(sendmmsg(sv[0], msgs + 1, 2, 0));
	// MSG_WAITFORONE: block for the first, then take what is there.
	R(sendmmsg(sv[0], msgs + 2, 2, 0));
	R(recvmmsg(sv[1], rm, 5, MSG_WAITFORONE, NULL));
	R(recvmmsg(sv[1], rm, 5, MSG_WAITFORONE | MSG_DONTWAIT, NULL));
	R(sendmmsg(sv[0], msgs, 0, 0));
	R(recvmmsg(sv[1], rm, 0, MSG_DONTWAIT, NULL));
	R(sendmmsg(sv[0], KERNEL_PTR, 1, 0));
	R(recvmmsg(sv[1], KERNEL_PTR, 1, MSG_DONTWAIT, NULL));
	close(sv[0]);
	close(sv[1]);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	rights();
	several();
	inflight();
	credentials();
	mmsg();
	R(unlink("tmp/scm"));
	return 0;
}
