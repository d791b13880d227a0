// unix_echo: an echo server written against epoll as servers are: one
// process, a non-blocking AF_UNIX listener and connections, all watched
// edge-triggered, each connection with a bounded buffer so that a
// client that is slow to read stops the server reading from it (EAGAIN
// on write, EPOLLOUT later) instead of growing memory. 100 clients,
// forked processes, connect at once; each sends messages of several
// sizes (one larger than a socket's buffer), checks every byte of the
// echo and exits 0. The server counts what it saw and the parent reaps
// every client; the summary is the same on every run.
#include "check.h"
#include <sys/epoll.h>

#define CLIENTS 100
#define BUF (256 * 1024)

// The messages each client sends, by size.
static const size_t sizes[] = {16, 1000, 3, 200000, 1};
#define NMSG (sizeof sizes / sizeof sizes[0])

struct conn {
	int fd;
	char *buf;
	size_t start, end; // bytes read and not yet echoed
	int eof;
	pid_t peer;
};

static long echoed;
static int served, accepted;

// finish closes a served connection (which takes it out of the epoll
// set) and counts it.
static void finish(struct conn *c) {
	close(c->fd);
	c->fd = -1;
	free(c->buf);
	served++;
}

// serve moves bytes until the connection can do no more without
// waiting: with edge-triggered events every readiness must be used up.
// It returns 1 when the connection is done.
static int serve(struct conn *c) {
	for (;;) {
		int progress = 0;
		while (c->start < c->end) {
			long w = write(c->fd, c->buf + c->start, c->end - c->start);
			if (w < 0)
				break; // EAGAIN: EPOLLOUT will come
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
	struct sockaddr_un a;
	socklen_t len = sun_path_addr(&a, "tmp/echo");
	unlink("tmp/echo");
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, len) < 0 || listen(lfd, SOMAXCONN) < 0) {
		show("listener", -1);
		return 1;
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		show("epoll_ctl", -1);
		return 1;
	}
	pid_t kids[CLIENTS];
	for (int i = 0; i < CLIENTS; i++) {
		kids[i] = pfork();
		if (kids[i] == 0) {
			close(lfd);
			close(ep);
			_exit(echo_client(&a, len, i, sizes, NMSG));
		}
	}
	static struct conn conns[CLIENTS];
	int peersOk = 0, waits = 0;
	while (served < CLIENTS) {
		struct epoll_event evs[32];
		int n = epoll_wait(ep, evs, 32, 10000);
		if (n <= 0) {
			printf("epoll_wait: %d %s after %d served\n", n, n < 0 ? strerrorname_np(errno) : "(timeout)", served);
			break;
		}
		waits++;
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c == NULL) {
				// Accept until EAGAIN: the edge came once for all
				// pending connections.
				for (;;) {
					int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (fd < 0) {
						if (errno != EAGAIN)
							printf("accept4: %s\n", strerrorname_np(errno));
						break;
					}
					if (accepted == CLIENTS) {
						printf("more connections than clients\n");
						close(fd);
						continue;
					}
					c = &conns[accepted++];
					c->fd = fd;
					c->buf = malloc(BUF);
					struct ucred cr;
					socklen_t cl = sizeof cr;
					if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0)
						for (int k = 0; k < CLIENTS; k++)
							if (kids[k] == cr.pid)
								peersOk++;
					struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0)
						show("epoll_ctl", -1);
					// Data may have come before the registration:
					// serve now rather than wait for an edge.
					if (serve(c))
						finish(c);
				}
				continue;
			}
			if (c->fd < 0)
				continue;
			if (serve(c))
				finish(c);
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
	printf("clients: %d\n", CLIENTS);
	printf("accepted: %d, peer pids of our children: %d\n", accepted, peersOk);
	printf("served to EOF: %d\n", served);
	printf("bytes echoed: %ld (%ld per client)\n", echoed, per);
	printf("clients that checked every byte and exited 0: %d\n", clean);
	printf("epoll_wait calls: %s\n", waits > 0 && waits <= CLIENTS * 1000 ? "some" : "none or too many");
	R(unlink("tmp/echo"));
	return clean == CLIENTS && echoed == per * CLIENTS ? 0 : 1;
}
