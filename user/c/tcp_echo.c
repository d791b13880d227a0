// tcp_echo: an edge-triggered epoll TCP echo server with 1,000
// concurrent loopback connections (issue 13, acceptance 3). One
// process: a non-blocking listener on 127.0.0.1 and non-blocking
// connections, all watched with EPOLLET, each connection with a bounded
// buffer so that a client slow to read stops the server reading from it
// (EAGAIN on write, EPOLLOUT later) instead of growing memory. 10 forked
// client processes connect 100 sockets each and wait until the server
// has accepted all 1,000 (so that all are open at once); then each
// sends messages of several sizes on every connection, checks every
// byte of the echoes, shuts its sending sides and waits for the
// server's EOFs. The server needs more than the default 1,024
// descriptors' worth of room only with slack: it raises RLIMIT_NOFILE
// to the hard limit as servers do. The transcript holds totals only.
#include "check.h"
#include <sys/epoll.h>

#define CLIENTS 10
#define PER_CLIENT 100
#define CONNS (CLIENTS * PER_CLIENT)
#define BUF (16 * 1024)

// The messages each connection carries, by size.
static const size_t sizes[] = {16, 1000, 3, 5000, 1};
#define NMSG (sizeof sizes / sizeof sizes[0])

struct conn {
	int fd;
	char *buf;
	size_t start, end; // bytes read and not yet echoed
	int eof;
};

static long echoed;
static int served, accepted, open_now, open_max;

static void finish(struct conn *c) {
	close(c->fd);
	c->fd = -1;
	free(c->buf);
	served++;
	open_now--;
}

// serve moves bytes until the connection can do no more without
// waiting: with edge-triggered events every readiness must be used up.
// It returns 1 when the connection is done.
static int serve(struct conn *c) {
	for (;;) {
		int progress = 0;
		while (c->start < c->end) {
			long w = write(c->fd, c->buf + c->start, c->end - c->start);
			if (w < 0) {
				if (errno != EAGAIN) {
					printf("write: %s\n", strerrorname_np(errno));
					return 1;
				}
				break; // EPOLLOUT will come
			}
			c->start += w;
			echoed += w;
			progress = 1;
		}
		if (c->start == c->end)
			c->start = c->end = 0;
		if (!c->eof && c->end < BUF) {
			long r = read(c->fd, c->buf + c->end, BUF - c->end);
			if (r > 0) {
				c->end += r;
				progress = 1;
			} else if (r == 0) {
				c->eof = 1;
				progress = 1;
			} else if (errno != EAGAIN) {
				printf("read: %s\n", strerrorname_np(errno));
				return 1;
			}
		}
		if (c->eof && c->start == c->end)
			return 1;
		if (!progress)
			return 0;
	}
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_nofile(CONNS + 16);
	union inet_addr a;
	int lfd = tcp_listener(AF_INET, SOCK_NONBLOCK | SOCK_CLOEXEC, 0, 4096, &a);
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0) {
		show("pipe2", -1);
		return 1;
	}
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
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		show("epoll_ctl", -1);
		return 1;
	}
	static struct conn conns[CONNS];
	int waits = 0;
	while (served < CONNS) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 20000);
		if (n <= 0) {
			printf("epoll_wait: %d %s after %d accepted, %d served\n", n, n < 0 ? strerrorname_np(errno) : "(timeout)",
			       accepted, served);
			break;
		}
		waits++;
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c != NULL) {
				if (c->fd >= 0 && serve(c))
					finish(c);
				continue;
			}
			// Accept until EAGAIN: the edge came once for all
			// pending connections.
			for (;;) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0) {
					if (errno != EAGAIN)
						printf("accept4: %s\n", strerrorname_np(errno));
					break;
				}
				if (accepted == CONNS) {
					printf("more connections than clients made\n");
					close(fd);
					continue;
				}
				c = &conns[accepted++];
				c->fd = fd;
				c->buf = malloc(BUF);
				if (++open_now > open_max)
					open_max = open_now;
				struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0)
					show("epoll_ctl", -1);
				if (accepted == CONNS) {
					// Every connection is open: let the clients talk.
					char gobytes[CLIENTS];
					memset(gobytes, 'g', sizeof gobytes);
					if (write(go[1], gobytes, sizeof gobytes) != CLIENTS)
						show("write go", -1);
				}
			}
		}
	}
	int clean = 0;
	for (int i = 0; i < CLIENTS; i++) {
		int st;
		if (waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			clean++;
		else
			printf("client %d: %s\n", i, wait_status(st));
	}
	long per = 0;
	for (size_t m = 0; m < NMSG; m++)
		per += sizes[m];
	printf("client processes: %d, connections each: %d\n", CLIENTS, PER_CLIENT);
	printf("accepted: %d, open at once at most: %d\n", accepted, open_max);
	printf("served to EOF: %d\n", served);
	printf("bytes echoed: %ld (%ld per connection)\n", echoed, per);
	printf("clients that checked every byte and exited 0: %d\n", clean);
	printf("epoll_wait calls: %s\n", waits > 0 && waits <= CONNS * 100 ? "some" : "none or too many");
	return clean == CLIENTS && echoed == per * CONNS ? 0 : 1;
}
