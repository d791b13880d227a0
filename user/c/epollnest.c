// epollnest.c: epoll instances watching epoll instances, as Linux bounds
// them (fs/eventpoll.c, ep_loop_check): no cycles (ELOOP), no path of
// more than EP_MAX_NESTS (4) nested watches whichever end it is built
// from (ELOOP), an instance never watches itself (EINVAL); and the order
// of epoll_ctl's checks (do_epoll_ctl_file): the event is copied in
// first (EFAULT before EBADF), an unpollable target is EPERM before a
// non-epoll epfd is EINVAL, EPOLLEXCLUSIVE's rules come before the
// lookup, ELOOP before EEXIST. Readiness still travels up the longest
// chain Linux allows, and closing an instance takes it out of the chain.
#include "check.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>

static int ctl(int ep, int op, int fd, unsigned events) {
	struct epoll_event ev = {.events = events, .data.u64 = (unsigned)fd};
	return epoll_ctl(ep, op, fd, &ev);
}

#define CTL(ep, op, fd, ev) show("epoll_ctl(" #ep ", " #op ", " #fd ", " #ev ")", ctl(ep, op, fd, ev))

static int mk(void) { return epoll_create1(EPOLL_CLOEXEC); }

int main(void) {
	int a = mk(), b = mk(), c = mk();

	puts("-- itself and cycles");
	CTL(a, EPOLL_CTL_ADD, a, EPOLLIN);
	CTL(a, EPOLL_CTL_ADD, b, EPOLLIN); // a watches b
	CTL(b, EPOLL_CTL_ADD, a, EPOLLIN); // b watches a: a cycle
	CTL(b, EPOLL_CTL_ADD, c, EPOLLIN); // b watches c
	CTL(c, EPOLL_CTL_ADD, a, EPOLLIN); // a -> b -> c -> a
	CTL(a, EPOLL_CTL_ADD, b, EPOLLIN); // exists, and no cycle: EEXIST
	CTL(b, EPOLL_CTL_ADD, a, EPOLLIN); // a cycle, before "exists"
	CTL(a, EPOLL_CTL_ADD, c, EPOLLIN); // a diamond is fine
	close(a);
	close(b);
	close(c);

	puts("-- a chain built downwards: e[i] watches e[i+1]");
	int e[8];
	for (int i = 0; i < 8; i++)
		e[i] = mk();
	for (int i = 0; i < 7; i++) {
		char what[32];
		snprintf(what, sizeof what, "e%d watches e%d", i, i + 1);
		show(what, ctl(e[i], EPOLL_CTL_ADD, e[i + 1], EPOLLIN));
	}
	for (int i = 0; i < 8; i++)
		close(e[i]);

	puts("-- a chain built upwards: e[i+1] watches e[i]");
	for (int i = 0; i < 8; i++)
		e[i] = mk();
	for (int i = 0; i < 7; i++) {
		char what[32];
		snprintf(what, sizeof what, "e%d watches e%d", i + 1, i);
		show(what, ctl(e[i + 1], EPOLL_CTL_ADD, e[i], EPOLLIN));
	}

	puts("-- joining two chains in the middle");
	int f[8];
	for (int i = 0; i < 8; i++)
		f[i] = mk();
	// f0 -> f1 -> f2 and f3 -> f4 -> f5: joining f2 -> f3 makes a path
	// of five watches, one too many.
	for (int i = 0; i < 5; i++)
		if (i != 2)
			ctl(f[i], EPOLL_CTL_ADD, f[i + 1], EPOLLIN);
	show("f2 watches f3", ctl(f[2], EPOLL_CTL_ADD, f[3], EPOLLIN));
	show("f1 watches f4", ctl(f[1], EPOLL_CTL_ADD, f[4], EPOLLIN));
	show("f6 watches f5", ctl(f[6], EPOLL_CTL_ADD, f[5], EPOLLIN));
	show("f7 watches f0", ctl(f[7], EPOLL_CTL_ADD, f[0], EPOLLIN));

	puts("-- readiness up the longest chain (e4 watches ... e0 watches an eventfd)");
	for (int i = 0; i < 8; i++)
		close(e[i]);
	for (int i = 0; i < 5; i++)
		e[i] = mk();
	int efd = eventfd(0, EFD_NONBLOCK);
	R(ctl(e[0], EPOLL_CTL_ADD, efd, EPOLLIN));
	for (int i = 0; i < 4; i++)
		R(ctl(e[i + 1], EPOLL_CTL_ADD, e[i], EPOLLIN));
	struct epoll_event out[4];
	R(epoll_wait(e[4], out, 4, 0));
	uint64_t one = 1;
	R(write(efd, &one, 8));
	R(epoll_wait(e[4], out, 4, 100));
	printf("events %#x, from e3: %s\n", out[0].events, out[0].data.u64 == (unsigned)e[3] ? "yes" : "no");
	for (int i = 0; i < 5; i++) {
		R(epoll_wait(e[i], out, 4, 0));
	}
	puts("-- closing the middle of the chain");
	close(e[2]);
	R(epoll_wait(e[4], out, 4, 0));
	R(epoll_wait(e[3], out, 4, 0));
	R(epoll_wait(e[1], out, 4, 0));
	int g = mk();
	R(ctl(g, EPOLL_CTL_ADD, e[4], EPOLLIN)); // e4 -> e3: short now
	R(ctl(e[0], EPOLL_CTL_ADD, g, EPOLLIN)); // g -> e4 -> e3 ... -> nothing below e3

	puts("-- the order of epoll_ctl's checks");
	int x = mk(), y = mk();
	int file = open("/proc/self/status", O_RDONLY);
	int p[2];
	R(pipe(p));
	R(epoll_ctl(x, EPOLL_CTL_ADD, 999, (struct epoll_event *)KERNEL_PTR)); // EFAULT before EBADF
	R(epoll_ctl(999, EPOLL_CTL_DEL, 998, (struct epoll_event *)KERNEL_PTR)); // DEL reads no event
	R(epoll_ctl(x, 99, p[0], (struct epoll_event *)KERNEL_PTR));	       // a bad op still reads one
	R(ctl(x, 99, p[0], EPOLLIN));
	R(ctl(999, EPOLL_CTL_ADD, p[0], EPOLLIN));
	R(ctl(x, EPOLL_CTL_ADD, 999, EPOLLIN));
	R(ctl(file, EPOLL_CTL_ADD, file, EPOLLIN)); // EPERM: not pollable, before not an epoll
	R(ctl(x, EPOLL_CTL_ADD, file, EPOLLIN));
	R(ctl(p[0], EPOLL_CTL_ADD, p[1], EPOLLIN)); // EINVAL: not an epoll
	R(ctl(p[0], EPOLL_CTL_ADD, file, EPOLLIN)); // EPERM first
	R(ctl(x, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE)); // EINVAL before ENOENT
	R(ctl(x, EPOLL_CTL_MOD, p[0], EPOLLIN));
	R(ctl(x, EPOLL_CTL_DEL, p[0], EPOLLIN | EPOLLEXCLUSIVE));
	R(ctl(x, EPOLL_CTL_ADD, y, EPOLLIN | EPOLLEXCLUSIVE));	     // an epoll target
	R(ctl(x, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLPRI | EPOLLEXCLUSIVE)); // a bit outside the allowed
	R(ctl(x, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET | EPOLLEXCLUSIVE));
	R(ctl(x, EPOLL_CTL_ADD, p[0], EPOLLIN));
	R(ctl(x, EPOLL_CTL_MOD, p[0], EPOLLOUT)); // the item is exclusive
	R(ctl(x, EPOLL_CTL_DEL, p[0], 0));
	R(ctl(x, EPOLL_CTL_MOD, p[0], EPOLLOUT));
	R(ctl(y, EPOLL_CTL_ADD, x, EPOLLIN));
	R(ctl(x, EPOLL_CTL_ADD, y, EPOLLIN | EPOLLEXCLUSIVE)); // EXCLUSIVE's EINVAL before ELOOP
	R(ctl(x, EPOLL_CTL_ADD, y, EPOLLIN));
	return 0;
}
