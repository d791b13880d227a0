// Helpers for the io_uring conformance programs built on liburing
// (uring_link.c, uring_timeout.c, uring_poll.c), beyond check.h's: rings,
// SQEs, and CQEs collected within a time limit and printed as facts
// (user_data, the result as a number or -ERRNO, the flags that matter),
// never addresses or times.
#include "check.h"
#include <liburing.h>
#include <poll.h>

// ring_init sets up r with entries and flags, or ends the program.
__attribute__((unused)) static void ring_init(struct io_uring *r, unsigned entries, unsigned flags) {
	int e = io_uring_queue_init(entries, r, flags);
	if (e < 0) {
		printf("io_uring_queue_init: %s\n", strerrorname_np(-e));
		exit(1);
	}
}

// sqe gets a free SQE, prepared as a NOP tagged with ud, or ends the
// program.
__attribute__((unused)) static struct io_uring_sqe *sqe(struct io_uring *r, unsigned long long ud) {
	struct io_uring_sqe *s = get_sqe(r);
	io_uring_prep_nop(s);
	io_uring_sqe_set_data64(s, ud);
	return s;
}

// submit submits what is queued and prints how many SQEs the kernel took
// when that is not want (the usual case stays silent).
__attribute__((unused)) static void submit(struct io_uring *r, int want) {
	int n = io_uring_submit(r);
	if (n != want)
		printf("io_uring_submit: %s (want %d)\n", errno_str(n), want);
}

// collect waits up to ms milliseconds in all for n CQEs and copies them,
// in arrival order, into c; it returns how many came.
__attribute__((unused)) static int collect(struct io_uring *r, struct cqe_copy *c, int n, int ms) {
	struct timespec end, now;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += ms % 1000 * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	int got = 0;
	while (got < n) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = (end.tv_sec - now.tv_sec) * 1000000000L + end.tv_nsec - now.tv_nsec;
		if (left <= 0)
			break;
		struct __kernel_timespec ts = {left / 1000000000L, left % 1000000000L};
		struct io_uring_cqe *cqe;
		int e = io_uring_wait_cqe_timeout(r, &cqe, &ts);
		if (e == -EINTR)
			continue;
		if (e < 0)
			break;
		c[got].ud = cqe->user_data;
		c[got].res = cqe->res;
		c[got].flags = cqe->flags;
		got++;
		io_uring_cqe_seen(r, cqe);
	}
	return got;
}

// cqe_flag_names names the CQE flags a transcript may show.
__attribute__((unused)) static const char *cqe_flag_names(unsigned f) {
	static char b[2][64];
	static int i;
	char *s = b[i++ % 2];
	s[0] = 0;
	if (f & IORING_CQE_F_MORE)
		strcat(s, " MORE");
	if (f & IORING_CQE_F_BUFFER)
		strcat(s, " BUFFER");
	f &= ~(IORING_CQE_F_MORE | IORING_CQE_F_BUFFER);
	if (f)
		snprintf(s + strlen(s), 64 - strlen(s), " %#x", f);
	return s;
}

// show_cqes prints c[0..n) with what as a prefix.
__attribute__((unused)) static void show_cqes(const char *what, const struct cqe_copy *c, int n) {
	for (int k = 0; k < n; k++)
		printf("%s: ud %llu res %s%s\n", what, c[k].ud, errno_str(c[k].res), cqe_flag_names(c[k].flags));
}

static int by_ud(const void *a, const void *b) {
	const struct cqe_copy *x = a, *y = b;
	return x->ud < y->ud ? -1 : x->ud > y->ud;
}

// expect collects n CQEs within ms and prints them, sorted by user_data
// when sorted (Linux gives their order no meaning) or in arrival order,
// and a line if some are missing.
__attribute__((unused)) static void expect(struct io_uring *r, const char *what, int n, int ms, int sorted) {
	struct cqe_copy c[64];
	if (n > 64)
		n = 64;
	int got = collect(r, c, n, ms);
	if (sorted)
		qsort(c, got, sizeof c[0], by_ud);
	show_cqes(what, c, got);
	if (got < n)
		printf("%s: %d of %d CQEs\n", what, got, n);
}

#define expect_sorted(r, what, n) expect(r, what, n, 5000, 1)
#define expect_order(r, what, n) expect(r, what, n, 5000, 0)

// quiet waits ms milliseconds and prints the CQEs that came meanwhile,
// or that none did.
__attribute__((unused)) static void quiet(struct io_uring *r, const char *what, int ms) {
	struct cqe_copy c[16];
	int got = collect(r, c, 16, ms);
	if (!got)
		printf("%s: no CQE\n", what);
	show_cqes(what, c, got);
}

// pipe_or_die makes a pipe or ends the program.
__attribute__((unused)) static void pipe_or_die(int p[2]) {
	if (pipe(p) < 0) {
		show("pipe", -1);
		exit(1);
	}
}

// ts_ms is a relative __kernel_timespec of ms milliseconds.
__attribute__((unused)) static struct __kernel_timespec ts_ms(long ms) {
	struct __kernel_timespec ts = {ms / 1000, ms % 1000 * 1000000L};
	return ts;
}
