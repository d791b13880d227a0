// uring_tcp_echo: an io_uring TCP echo server (liburing 2.3) with 1,000
// concurrent loopback connections (issue 13, acceptance 3): one thread,
// one ring, a multishot ACCEPT (io_uring_prep_multishot_accept) on a
// listener on 127.0.0.1, and per connection one RECV and one SEND in
// flight at a time over a ring buffer of BUF bytes, so that a client
// slow to read stops the server receiving from it instead of growing
// memory; a connection ends with IORING_OP_CLOSE after EOF. 10 forked
// client processes connect 100 sockets each and wait until the server
// has accepted all 1,000 (so that all are open at once); then each
// sends messages of several sizes on every connection, checks every
// byte of the echoes and exits with a status that says what went wrong
// (0: nothing). The server raises RLIMIT_NOFILE to the hard limit, as
// servers do, prints only totals, and nothing depends on the order in
// which the kernel completes requests.
#include "check.h"
#include <liburing.h>

#define CLIENTS 10
#define PER_CLIENT 100
#define CONNS (CLIENTS * PER_CLIENT)
#define BUF (16 * 1024)

// The messages each connection carries, by size.
static const size_t sizes[] = {16, 1000, 3, 5000, 1};
#define NMSG (sizeof sizes / sizeof sizes[0])

// A connection's bytes: received counts what RECV put in buf, sent what
// SEND took out; buf holds received - sent bytes, at offsets modulo BUF.
struct conn {
	int fd;
	char *buf;
	unsigned long received, sent;
	int recving, sending, eof, closing;
};

// user_data: the connection's index times 4 plus the operation.
enum { OP_RECV, OP_SEND, OP_CLOSE };
#define ACCEPT_DATA (~0ULL)

static struct io_uring ring;
static struct conn conns[CONNS];
static int go_fd, open_now, open_max;
static int accepted, served, more_accepts, errors;
static unsigned long echoed;

// sqe returns a free SQE, submitting what is queued when the SQ is full.
static struct io_uring_sqe *sqe(void) {
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);
	if (s == NULL) {
		io_uring_submit(&ring);
		s = io_uring_get_sqe(&ring);
	}
	if (s == NULL) {
		printf("no SQE\n");
		exit(1);
	}
	return s;
}

static void arm_accept(int lfd) {
	struct io_uring_sqe *s = sqe();
	io_uring_prep_multishot_accept(s, lfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(s, ACCEPT_DATA);
}

// pump starts what a connection can do now: a RECV into the free part
// of its buffer, a SEND of what it holds, or the CLOSE when all is done.
static void pump(int i) {
	struct conn *c = &conns[i];
	unsigned long held = c->received - c->sent;
	if (!c->eof && !c->recving && held < BUF) {
		unsigned long off = c->received % BUF, n = BUF - off;
		if (n > BUF - held)
			n = BUF - held;
		struct io_uring_sqe *s = sqe();
		io_uring_prep_recv(s, c->fd, c->buf + off, n, 0);
		io_uring_sqe_set_data64(s, (unsigned long)i * 4 + OP_RECV);
		c->recving = 1;
	}
	if (!c->sending && held > 0) {
		unsigned long off = c->sent % BUF, n = BUF - off;
		if (n > held)
			n = held;
		struct io_uring_sqe *s = sqe();
		io_uring_prep_send(s, c->fd, c->buf + off, n, 0);
		io_uring_sqe_set_data64(s, (unsigned long)i * 4 + OP_SEND);
		c->sending = 1;
	}
	if (c->eof && held == 0 && !c->recving && !c->sending && !c->closing) {
		struct io_uring_sqe *s = sqe();
		io_uring_prep_close(s, c->fd);
		io_uring_sqe_set_data64(s, (unsigned long)i * 4 + OP_CLOSE);
		c->closing = 1;
	}
}

// complete handles one CQE.
static void complete(int lfd, const struct io_uring_cqe *cqe) {
	if (cqe->user_data == ACCEPT_DATA) {
		if (cqe->res < 0) {
			printf("ACCEPT: %s\n", strerrorname_np(-cqe->res));
			errors++;
		} else if (accepted == CONNS) {
			printf("more connections than clients made\n");
			close(cqe->res);
		} else {
			conns[accepted].fd = cqe->res;
			conns[accepted].buf = malloc(BUF);
			if (++open_now > open_max)
				open_max = open_now;
			pump(accepted++);
			if (accepted == CONNS) {
				// Every connection is open: let the clients talk.
				char gobytes[CLIENTS];
				memset(gobytes, 'g', sizeof gobytes);
				if (write(go_fd, gobytes, sizeof gobytes) != CLIENTS)
					show("write go", -1);
			}
		}
		if (cqe->flags & IORING_CQE_F_MORE)
			more_accepts++;
		else if (accepted < CONNS)
			arm_accept(lfd);
		return;
	}
	int i = cqe->user_data / 4;
	struct conn *c = &conns[i];
	switch (cqe->user_data % 4) {
	case OP_RECV:
		c->recving = 0;
		if (cqe->res > 0)
			c->received += cqe->res;
		else if (cqe->res == 0)
			c->eof = 1;
		else {
			printf("RECV: %s\n", strerrorname_np(-cqe->res));
			errors++;
			c->eof = 1;
		}
		break;
	case OP_SEND:
		c->sending = 0;
		if (cqe->res >= 0) {
			c->sent += cqe->res;
			echoed += cqe->res;
		} else {
			printf("SEND: %s\n", strerrorname_np(-cqe->res));
			errors++;
			c->sent = c->received;
		}
		break;
	case OP_CLOSE:
		if (cqe->res < 0) {
			printf("CLOSE: %s\n", strerrorname_np(-cqe->res));
			errors++;
		}
		free(c->buf);
		served++;
		open_now--;
		return;
	}
	pump(i);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_nofile(CONNS + 16);
	union inet_addr a;
	int lfd = tcp_listener(AF_INET, SOCK_CLOEXEC, 0, 4096, &a);
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0) {
		show("pipe2", -1);
		return 1;
	}
	go_fd = go[1];
	// The clients are forked before the ring exists: they share nothing
	// with it. Those that connect before the ACCEPT is armed wait in the
	// listener's backlog.
	pid_t kids[CLIENTS];
	for (int i = 0; i < CLIENTS; i++) {
		kids[i] = pfork();
		if (kids[i] == 0) {
			close(lfd);
			close(go[1]);
			_exit(echo_conns(&a, i, PER_CLIENT, sizes, NMSG, go[0]));
		}
	}
	close(go[0]);
	// A CQ with room for a completion of every connection at once.
	struct io_uring_params p = {.flags = IORING_SETUP_CQSIZE, .cq_entries = 4096};
	int r = io_uring_queue_init_params(512, &ring, &p);
	if (r < 0) {
		printf("io_uring_queue_init_params: %s\n", strerrorname_np(-r));
		return 1;
	}
	arm_accept(lfd);
	while (served < CONNS) {
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = {30, 0};
		r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
		if (r < 0) {
			printf("wait: %s after %d accepted, %d served\n", strerrorname_np(-r), accepted, served);
			break;
		}
		unsigned head, n = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			complete(lfd, cqe);
			n++;
		}
		io_uring_cq_advance(&ring, n);
	}
	io_uring_queue_exit(&ring);
	int clean = 0, sum = 0;
	for (int i = 0; i < CLIENTS; i++) {
		int st;
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st)) {
			printf("client %d: %s\n", i, wait_status(st));
			sum += 1000;
			continue;
		}
		sum += WEXITSTATUS(st);
		if (WEXITSTATUS(st) == 0)
			clean++;
	}
	unsigned long per = 0;
	for (size_t m = 0; m < NMSG; m++)
		per += sizes[m];
	printf("client processes: %d, connections each: %d\n", CLIENTS, PER_CLIENT);
	printf("accepted: %d, by a multishot ACCEPT that went on: %s, open at once at most: %d\n", accepted,
	       more_accepts == accepted ? "all" : "not all", open_max);
	printf("served to EOF and closed: %d\n", served);
	printf("bytes echoed: %lu (%lu per connection)\n", echoed, per);
	printf("errors: %d\n", errors);
	printf("clients that checked every byte and exited 0: %d\n", clean);
	printf("sum of the clients' exit statuses: %d\n", sum);
	return clean == CLIENTS && echoed == per * CONNS ? 0 : 1;
}
