// uring_timeout: io_uring's timeouts and cancellation as Linux's
// io_uring/timeout.c and io_uring/cancel.c have them: TIMEOUT relative,
// with a completion count, absolute on CLOCK_MONOTONIC and
// CLOCK_REALTIME, IORING_TIMEOUT_ETIME_SUCCESS in a chain, TIMEOUT_REMOVE
// and timeout updates (of plain and of linked timeouts), the checks of
// their SQEs, and ASYNC_CANCEL by user_data, by descriptor, of any
// request, of all matches, of timeouts, and of requests already done.
//
// Completions whose relative order Linux does not define (a cancelled
// request and the cancel that found it) are printed sorted by user_data;
// those it orders (a counted timeout after the completions it counts) in
// arrival order.
#include "uring_check.h"

#define BAD_FD 999

// TIMEOUT_MULTISHOT is Linux 6.4's IORING_TIMEOUT_MULTISHOT, which
// liburing 2.3 does not name.
#define TIMEOUT_MULTISHOT (1U << 6)

// timeout queues a TIMEOUT of ts (count, flags) tagged ud.
static struct io_uring_sqe *timeout(struct io_uring *r, unsigned long long ud, struct __kernel_timespec *ts,
				    unsigned count, unsigned flags) {
	struct io_uring_sqe *s = sqe(r, ud);
	io_uring_prep_timeout(s, ts, count, flags);
	return s;
}

// one submits the one SQE queued and prints its CQE: an SQE that fails
// its checks ends the submission it is in, so each goes alone.
static void one(struct io_uring *r, const char *what) {
	submit(r, 1);
	expect_sorted(r, what, 1);
}

// mono_in is CLOCK_MONOTONIC (or clock) now plus ms, as an absolute
// timespec.
static struct __kernel_timespec clock_in(clockid_t clock, long ms) {
	struct timespec now;
	clock_gettime(clock, &now);
	long long ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec + ms * 1000000LL;
	struct __kernel_timespec ts = {ns / 1000000000LL, ns % 1000000000LL};
	return ts;
}

static void timeouts(void) {
	struct io_uring r;
	ring_init(&r, 8, 0);
	struct __kernel_timespec t100 = ts_ms(100), t10s = ts_ms(10000), t10 = ts_ms(10);

	struct io_uring_sqe *s;

	printf("-- TIMEOUT\n");
	timeout(&r, 1, &t100, 0, 0);
	submit(&r, 1);
	quiet(&r, "at once", 0);
	expect_order(&r, "relative 100 ms", 1);
	timeout(&r, 2, &t100, 5, 0);
	submit(&r, 1);
	expect_order(&r, "count 5, nothing else completes", 1);
	// A counted timeout ends (with 0) once that many other CQEs were
	// posted after it was queued: it comes after them.
	timeout(&r, 3, &t10s, 2, 0);
	sqe(&r, 4);
	sqe(&r, 5);
	submit(&r, 3);
	expect_order(&r, "count 2, two NOPs", 3);
	timeout(&r, 6, &t10s, 1, 0);
	submit(&r, 1);
	quiet(&r, "count 1, alone", 100);
	sqe(&r, 7);
	submit(&r, 1);
	expect_order(&r, "count 1, a NOP later", 2);
	// The CQE of a timeout that expired is not among those counted
	// (io_timeout's sequence leaves out cq_timeouts).
	timeout(&r, 60, &t10s, 1, 0);
	timeout(&r, 61, &t10, 0, 0);
	submit(&r, 2);
	expect_order(&r, "count 1 and a timeout expiring", 1);
	quiet(&r, "then", 200);
	sqe(&r, 62);
	submit(&r, 1);
	expect_order(&r, "a NOP", 2);
	// Count 0 means the timer alone ends it.
	timeout(&r, 8, &t100, 0, 0);
	sqe(&r, 9);
	submit(&r, 2);
	expect_order(&r, "count 0, a NOP", 2);

	printf("-- IORING_TIMEOUT_ABS\n");
	struct __kernel_timespec abs = clock_in(CLOCK_MONOTONIC, 100);
	timeout(&r, 10, &abs, 0, IORING_TIMEOUT_ABS);
	submit(&r, 1);
	expect_order(&r, "CLOCK_MONOTONIC +100 ms", 1);
	struct __kernel_timespec past = {0, 1};
	timeout(&r, 11, &past, 0, IORING_TIMEOUT_ABS);
	submit(&r, 1);
	expect_order(&r, "CLOCK_MONOTONIC in the past", 1);
	abs = clock_in(CLOCK_REALTIME, 100);
	timeout(&r, 12, &abs, 0, IORING_TIMEOUT_ABS | IORING_TIMEOUT_REALTIME);
	submit(&r, 1);
	expect_order(&r, "CLOCK_REALTIME +100 ms", 1);
	abs = clock_in(CLOCK_BOOTTIME, 100);
	timeout(&r, 13, &abs, 0, IORING_TIMEOUT_ABS | IORING_TIMEOUT_BOOTTIME);
	submit(&r, 1);
	expect_order(&r, "CLOCK_BOOTTIME +100 ms", 1);

	printf("-- a TIMEOUT in a chain\n");
	timeout(&r, 14, &t10, 0, 0)->flags |= IOSQE_IO_LINK;
	sqe(&r, 15);
	submit(&r, 2);
	expect_sorted(&r, "-ETIME breaks the chain", 2);
	timeout(&r, 16, &t10, 0, IORING_TIMEOUT_ETIME_SUCCESS)->flags |= IOSQE_IO_LINK;
	sqe(&r, 17);
	submit(&r, 2);
	expect_order(&r, "IORING_TIMEOUT_ETIME_SUCCESS", 2);

	printf("-- IORING_TIMEOUT_MULTISHOT\n");
	// Linux 6.4's repeating timeout: -ETIME with IORING_CQE_F_MORE each
	// period, sqe->off periods in all (the last without MORE), or for
	// ever with 0. The CQEs of one request come in order.
	struct __kernel_timespec t50 = ts_ms(50);
	timeout(&r, 80, &t50, 3, TIMEOUT_MULTISHOT);
	submit(&r, 1);
	expect_order(&r, "3 periods", 3);
	quiet(&r, "then", 200);
	timeout(&r, 81, &t50, 0, TIMEOUT_MULTISHOT);
	submit(&r, 1);
	expect_order(&r, "for ever", 3);
	io_uring_prep_timeout_remove(sqe(&r, 82), 81, 0);
	submit(&r, 1);
	struct cqe_copy c[8];
	int n = collect(&r, c, 8, 300);
	// More periods may have ended before the remove: only what follows
	// is defined.
	int k = 0;
	while (k < n && c[k].ud == 81 && c[k].res == -ETIME && c[k].flags == IORING_CQE_F_MORE)
		k++;
	qsort(c + k, n - k, sizeof c[0], by_ud);
	show_cqes("removed", c + k, n - k);
	timeout(&r, 83, &t10, 2, TIMEOUT_MULTISHOT)->flags |= IOSQE_IO_LINK;
	sqe(&r, 84);
	submit(&r, 2);
	expect_order(&r, "2 periods, then a NOP", 3);
	timeout(&r, 85, &t10, 2, TIMEOUT_MULTISHOT | IORING_TIMEOUT_ETIME_SUCCESS)->flags |= IOSQE_IO_LINK;
	sqe(&r, 86);
	submit(&r, 2);
	expect_order(&r, "2 periods, IORING_TIMEOUT_ETIME_SUCCESS, then a NOP", 3);
	timeout(&r, 87, &t50, 0, TIMEOUT_MULTISHOT | IORING_TIMEOUT_ABS);
	one(&r, "IORING_TIMEOUT_ABS");

	printf("-- TIMEOUT_REMOVE\n");
	timeout(&r, 20, &t10s, 0, 0);
	submit(&r, 1);
	io_uring_prep_timeout_remove(sqe(&r, 21), 20, 0);
	submit(&r, 1);
	expect_sorted(&r, "remove", 2);
	io_uring_prep_timeout_remove(sqe(&r, 22), 20, 0);
	submit(&r, 1);
	expect_sorted(&r, "remove it again", 1);
	sqe(&r, 23);
	submit(&r, 1);
	expect_sorted(&r, "a NOP", 1);
	io_uring_prep_timeout_remove(sqe(&r, 24), 23, 0);
	submit(&r, 1);
	expect_sorted(&r, "remove a NOP", 1);
	timeout(&r, 25, &t10s, 0, 0);
	io_uring_prep_timeout_remove(sqe(&r, 26), 25, 0);
	submit(&r, 2);
	expect_sorted(&r, "remove in the same submit", 2);

	printf("-- timeout update\n");
	timeout(&r, 30, &t10s, 0, 0);
	submit(&r, 1);
	io_uring_prep_timeout_update(sqe(&r, 31), &t100, 30, 0);
	submit(&r, 1);
	expect_sorted(&r, "10 s to 100 ms", 2);
	timeout(&r, 32, &t10s, 0, 0);
	submit(&r, 1);
	abs = clock_in(CLOCK_MONOTONIC, 100);
	io_uring_prep_timeout_update(sqe(&r, 33), &abs, 32, IORING_TIMEOUT_ABS);
	submit(&r, 1);
	expect_sorted(&r, "10 s to an absolute time", 2);
	io_uring_prep_timeout_update(sqe(&r, 34), &t100, 32, 0);
	submit(&r, 1);
	expect_sorted(&r, "update a finished one", 1);
	// An updated timeout counts no completions any more.
	timeout(&r, 70, &t10s, 1, 0);
	submit(&r, 1);
	io_uring_prep_timeout_update(sqe(&r, 71), &t10s, 70, 0);
	submit(&r, 1);
	expect_sorted(&r, "a counted timeout updated", 1);
	sqe(&r, 72);
	submit(&r, 1);
	expect_sorted(&r, "a NOP", 1);
	quiet(&r, "then", 200);
	// An update keeps the timeout's clock: it names none.
	io_uring_prep_timeout_update(sqe(&r, 73), &t100, 70, IORING_TIMEOUT_REALTIME);
	one(&r, "update with a clock");
	io_uring_prep_timeout_update(sqe(&r, 74), &t100, 70, IORING_TIMEOUT_ETIME_SUCCESS);
	one(&r, "update with IORING_TIMEOUT_ETIME_SUCCESS");
	// IORING_LINK_TIMEOUT_UPDATE without IORING_TIMEOUT_UPDATE reads the
	// time, then removes.
	s = sqe(&r, 75);
	io_uring_prep_timeout_remove(s, 70, IORING_LINK_TIMEOUT_UPDATE);
	s->addr2 = (uintptr_t)&t100;
	submit(&r, 1);
	expect_sorted(&r, "IORING_LINK_TIMEOUT_UPDATE alone", 2);
	s = sqe(&r, 76);
	io_uring_prep_timeout_remove(s, 70, IORING_LINK_TIMEOUT_UPDATE);
	one(&r, "IORING_LINK_TIMEOUT_UPDATE alone, no timespec");
	// A linked timeout is updated with IORING_LINK_TIMEOUT_UPDATE.
	int p[2];
	char buf[8];
	pipe_or_die(p);
	s = sqe(&r, 35);
	io_uring_prep_read(s, p[0], buf, 1, 0);
	s->flags |= IOSQE_IO_LINK;
	io_uring_prep_link_timeout(sqe(&r, 36), &t10s, 0);
	submit(&r, 2);
	io_uring_prep_timeout_update(sqe(&r, 37), &t100, 36, 0);
	submit(&r, 1);
	expect_sorted(&r, "a linked timeout as a plain one", 1);
	io_uring_prep_timeout_update(sqe(&r, 38), &t100, 36, IORING_LINK_TIMEOUT_UPDATE);
	submit(&r, 1);
	expect_sorted(&r, "IORING_LINK_TIMEOUT_UPDATE", 3);
	close(p[0]);
	close(p[1]);

	printf("-- checks\n");
	struct __kernel_timespec neg = {-1, 0}, negns = {0, -1}, bigns = {0, 1000000000};
	timeout(&r, 40, (struct __kernel_timespec *)KERNEL_PTR, 0, 0);
	one(&r, "TIMEOUT, a kernel timespec pointer");
	timeout(&r, 41, NULL, 0, 0);
	one(&r, "TIMEOUT, NULL");
	timeout(&r, 42, &t100, 0, 1U << 7);
	one(&r, "TIMEOUT, flag 1<<7");
	timeout(&r, 43, &t100, 0, IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME);
	one(&r, "TIMEOUT, two clocks");
	timeout(&r, 44, &t100, 0, IORING_TIMEOUT_UPDATE);
	one(&r, "TIMEOUT, IORING_TIMEOUT_UPDATE");
	timeout(&r, 45, &neg, 0, 0);
	one(&r, "TIMEOUT, tv_sec -1");
	timeout(&r, 46, &negns, 0, 0);
	one(&r, "TIMEOUT, tv_nsec -1");
	timeout(&r, 47, &bigns, 0, 0);
	one(&r, "TIMEOUT, tv_nsec 1e9");
	timeout(&r, 48, &t10, 0, 0)->len = 0;
	one(&r, "TIMEOUT, len 0");
	timeout(&r, 49, &t10, 0, 0)->len = 2;
	one(&r, "TIMEOUT, len 2");
	timeout(&r, 50, &t10, 0, 0)->buf_index = 1;
	one(&r, "TIMEOUT, buf_index 1");
	io_uring_prep_timeout_remove(sqe(&r, 51), 999, 1U << 7);
	one(&r, "TIMEOUT_REMOVE, flag 1<<7");
	io_uring_prep_timeout_remove(sqe(&r, 52), 999, IORING_TIMEOUT_ABS);
	one(&r, "TIMEOUT_REMOVE, IORING_TIMEOUT_ABS");
	s = sqe(&r, 53);
	io_uring_prep_timeout_remove(s, 999, 0);
	s->len = 1;
	one(&r, "TIMEOUT_REMOVE, len 1");
	s = sqe(&r, 57);
	io_uring_prep_timeout_remove(s, 999, 0);
	s->flags |= IOSQE_FIXED_FILE;
	one(&r, "TIMEOUT_REMOVE, IOSQE_FIXED_FILE");
	io_uring_prep_timeout_update(sqe(&r, 54), (struct __kernel_timespec *)KERNEL_PTR, 999, 0);
	one(&r, "update, a kernel timespec pointer");
	io_uring_prep_timeout_update(sqe(&r, 55), &t100, 999, IORING_LINK_TIMEOUT_UPDATE);
	one(&r, "IORING_LINK_TIMEOUT_UPDATE of nothing");
	io_uring_prep_timeout_update(sqe(&r, 56), &neg, 999, 0);
	one(&r, "update, tv_sec -1");
	io_uring_queue_exit(&r);
}

// Linux 6.6's cancellation keys, which liburing 2.3 does not name.
#define CANCEL_USERDATA (1U << 4)
#define CANCEL_OP (1U << 5)

// poll_add queues a one-shot POLL_ADD for POLLIN on fd tagged ud.
static void poll_add(struct io_uring *r, unsigned long long ud, int fd) {
	io_uring_prep_poll_add(sqe(r, ud), fd, POLLIN);
}

// liburing prints what a liburing call returned: a count, or -errno.
static void liburing(const char *what, int ret) { printf("%s: %s\n", what, errno_str(ret)); }

// read_on queues a READ of one byte from fd tagged ud.
static void read_on(struct io_uring *r, unsigned long long ud, int fd) {
	static char buf[8];
	io_uring_prep_read(sqe(r, ud), fd, buf, 1, 0);
}

// expect_either collects n CQEs and prints them sorted by user_data,
// the two user_data values x and y alike as "x|y" (for requests of
// which Linux does not define which one an operation picks).
static void expect_either(struct io_uring *r, const char *what, int n, unsigned long long x, unsigned long long y) {
	struct cqe_copy c[8];
	int got = collect(r, c, n < 8 ? n : 8, 5000);
	for (int k = 0; k < got; k++)
		if (c[k].ud == y)
			c[k].ud = x;
	qsort(c, got, sizeof c[0], by_ud);
	for (int k = 0; k < got; k++)
		if (c[k].ud == x)
			printf("%s: ud %llu|%llu res %s\n", what, x, y, errno_str(c[k].res));
		else
			printf("%s: ud %llu res %s\n", what, c[k].ud, errno_str(c[k].res));
	if (got < n)
		printf("%s: %d of %d CQEs\n", what, got, n);
}

static void cancels(void) {
	struct io_uring r;
	int a[2], b[2];
	struct __kernel_timespec t10s = ts_ms(10000);
	ring_init(&r, 8, 0);
	pipe_or_die(a);
	pipe_or_die(b);

	printf("-- ASYNC_CANCEL by user_data\n");
	read_on(&r, 1, a[0]);
	submit(&r, 1);
	quiet(&r, "a read on an empty pipe", 100);
	io_uring_prep_cancel64(sqe(&r, 2), 1, 0);
	submit(&r, 1);
	expect_sorted(&r, "cancel it", 2);
	io_uring_prep_cancel64(sqe(&r, 3), 1, 0);
	one(&r, "cancel it again");
	sqe(&r, 4);
	one(&r, "a NOP");
	io_uring_prep_cancel64(sqe(&r, 5), 4, 0);
	one(&r, "cancel the finished NOP");
	timeout(&r, 6, &t10s, 0, 0);
	io_uring_prep_cancel64(sqe(&r, 7), 6, 0);
	submit(&r, 2);
	expect_sorted(&r, "cancel a timeout", 2);
	struct io_uring_sqe *s = sqe(&r, 8);
	io_uring_prep_read(s, a[0], &t10s, 1, 0);
	s->flags |= IOSQE_IO_LINK;
	sqe(&r, 9);
	submit(&r, 2);
	io_uring_prep_cancel64(sqe(&r, 10), 8, 0);
	submit(&r, 1);
	expect_sorted(&r, "cancel a chain's head", 3);
	// Only requests under way can be found: not one waiting behind
	// another in a chain, nor a linked timeout (its timer is not a
	// request a cancel looks for).
	s = sqe(&r, 50);
	io_uring_prep_read(s, a[0], &t10s, 1, 0);
	s->flags |= IOSQE_IO_LINK;
	s = sqe(&r, 51);
	io_uring_prep_link_timeout(s, &t10s, 0);
	s->flags |= IOSQE_IO_LINK;
	sqe(&r, 52);
	submit(&r, 3);
	io_uring_prep_cancel64(sqe(&r, 53), 52, 0);
	one(&r, "cancel a request waiting in a chain");
	io_uring_prep_cancel64(sqe(&r, 54), 51, 0);
	one(&r, "cancel a linked timeout");
	io_uring_prep_timeout_remove(sqe(&r, 55), 51, 0);
	one(&r, "TIMEOUT_REMOVE of a linked timeout");
	io_uring_prep_cancel64(sqe(&r, 56), 50, 0);
	submit(&r, 1);
	expect_sorted(&r, "cancel the head", 4);
	// Two reads with one user_data: without IORING_ASYNC_CANCEL_ALL a
	// cancel takes the first it finds.
	read_on(&r, 11, a[0]);
	read_on(&r, 11, a[0]);
	submit(&r, 2);
	io_uring_prep_cancel64(sqe(&r, 12), 11, 0);
	submit(&r, 1);
	expect_sorted(&r, "cancel one of two", 2);
	io_uring_prep_cancel64(sqe(&r, 13), 11, 0);
	submit(&r, 1);
	expect_sorted(&r, "cancel the other", 2);
	read_on(&r, 14, a[0]);
	read_on(&r, 14, a[0]);
	read_on(&r, 14, b[0]);
	submit(&r, 3);
	io_uring_prep_cancel64(sqe(&r, 15), 14, IORING_ASYNC_CANCEL_ALL);
	submit(&r, 1);
	expect_sorted(&r, "IORING_ASYNC_CANCEL_ALL", 4);
	io_uring_prep_cancel64(sqe(&r, 16), 14, IORING_ASYNC_CANCEL_ALL);
	one(&r, "IORING_ASYNC_CANCEL_ALL, no match");

	printf("-- IORING_ASYNC_CANCEL_FD\n");
	read_on(&r, 20, a[0]);
	read_on(&r, 21, a[0]);
	read_on(&r, 22, b[0]);
	submit(&r, 3);
	io_uring_prep_cancel_fd(sqe(&r, 23), a[0], 0);
	submit(&r, 1);
	// Which of the two reads on a[0] a cancel finds first is not
	// defined: the transcript names neither.
	expect_either(&r, "cancel by fd", 2, 20, 21);
	io_uring_prep_cancel_fd(sqe(&r, 24), a[0], IORING_ASYNC_CANCEL_ALL);
	submit(&r, 1);
	expect_either(&r, "cancel by fd, all", 2, 20, 21);
	io_uring_prep_cancel_fd(sqe(&r, 25), a[0], IORING_ASYNC_CANCEL_ALL);
	one(&r, "cancel by fd, all, none left");
	io_uring_prep_cancel_fd(sqe(&r, 26), a[0], 0);
	one(&r, "cancel by fd, none left");
	io_uring_prep_cancel_fd(sqe(&r, 27), BAD_FD, 0);
	one(&r, "cancel by a closed fd");
	// Requests match by file, not by descriptor number.
	int dupfd = dup(a[0]);
	read_on(&r, 28, a[0]);
	submit(&r, 1);
	io_uring_prep_cancel_fd(sqe(&r, 29), dupfd, 0);
	submit(&r, 1);
	expect_sorted(&r, "cancel by a dup of the fd", 2);
	close(dupfd);

	printf("-- IORING_ASYNC_CANCEL_ANY\n");
	io_uring_prep_cancel64(sqe(&r, 30), 0, IORING_ASYNC_CANCEL_ANY);
	submit(&r, 1);
	expect_sorted(&r, "any", 2);
	read_on(&r, 31, a[0]);
	read_on(&r, 32, a[0]);
	timeout(&r, 33, &t10s, 0, 0);
	submit(&r, 3);
	io_uring_prep_cancel64(sqe(&r, 34), 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
	submit(&r, 1);
	expect_sorted(&r, "any, all", 4);
	io_uring_prep_cancel64(sqe(&r, 35), 0, IORING_ASYNC_CANCEL_ANY);
	one(&r, "any, nothing in flight");

	printf("-- IORING_ASYNC_CANCEL_USERDATA and IORING_ASYNC_CANCEL_OP\n");
	read_on(&r, 36, a[0]);
	read_on(&r, 37, a[0]);
	poll_add(&r, 38, a[0]);
	timeout(&r, 39, &t10s, 0, 0);
	submit(&r, 4);
	s = sqe(&r, 60);
	io_uring_prep_cancel_fd(s, a[0], CANCEL_USERDATA | IORING_ASYNC_CANCEL_ALL);
	s->addr = 37;
	submit(&r, 1);
	expect_sorted(&r, "by fd and user_data", 2);
	s = sqe(&r, 61);
	io_uring_prep_cancel64(s, 0, CANCEL_OP | IORING_ASYNC_CANCEL_ALL);
	s->len = IORING_OP_POLL_ADD;
	submit(&r, 1);
	expect_sorted(&r, "by opcode", 2);
	s = sqe(&r, 62);
	io_uring_prep_cancel64(s, 36, CANCEL_OP | CANCEL_USERDATA);
	s->len = IORING_OP_TIMEOUT;
	one(&r, "by opcode and another's user_data");
	s = sqe(&r, 63);
	io_uring_prep_cancel64(s, 36, CANCEL_OP | CANCEL_USERDATA);
	s->len = IORING_OP_READ;
	submit(&r, 1);
	expect_sorted(&r, "by opcode and user_data", 2);
	io_uring_prep_cancel64(sqe(&r, 64), 39, 0);
	submit(&r, 1);
	expect_sorted(&r, "the timeout", 2);
	s = sqe(&r, 65);
	io_uring_prep_cancel64(s, 0, CANCEL_OP | IORING_ASYNC_CANCEL_ANY);
	one(&r, "IORING_ASYNC_CANCEL_OP with ANY");

	printf("-- checks\n");
	io_uring_prep_cancel64(sqe(&r, 40), 0, 1U << 7);
	one(&r, "flag 1<<7");
	io_uring_prep_cancel_fd(sqe(&r, 41), a[0], IORING_ASYNC_CANCEL_ANY);
	one(&r, "IORING_ASYNC_CANCEL_FD with ANY");
	s = sqe(&r, 43);
	io_uring_prep_cancel64(s, 0, 0);
	s->off = 1;
	one(&r, "off 1");

	printf("-- IORING_REGISTER_SYNC_CANCEL\n");
	// The same cancellations made by io_uring_register(2) itself.
	struct io_uring_sync_cancel_reg reg;
	memset(&reg, 0, sizeof reg);
	reg.timeout.tv_sec = reg.timeout.tv_nsec = -1;
	read_on(&r, 70, a[0]);
	read_on(&r, 71, a[0]);
	timeout(&r, 72, &t10s, 0, 0);
	submit(&r, 3);
	reg.addr = 71;
	liburing("by user_data", io_uring_register_sync_cancel(&r, &reg));
	expect_sorted(&r, "by user_data", 1);
	liburing("again", io_uring_register_sync_cancel(&r, &reg));
	reg.addr = 72;
	liburing("a timeout", io_uring_register_sync_cancel(&r, &reg));
	expect_sorted(&r, "a timeout", 1);
	reg.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
	reg.fd = a[0];
	liburing("by fd, all", io_uring_register_sync_cancel(&r, &reg));
	expect_sorted(&r, "by fd, all", 1);
	reg.flags = IORING_ASYNC_CANCEL_ANY;
	liburing("any, nothing in flight", io_uring_register_sync_cancel(&r, &reg));
	reg.flags = IORING_ASYNC_CANCEL_FD;
	reg.fd = BAD_FD;
	liburing("a closed fd", io_uring_register_sync_cancel(&r, &reg));
	reg.flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED;
	reg.fd = 0;
	liburing("no registered files", io_uring_register_sync_cancel(&r, &reg));
	reg.flags = 1U << 7;
	liburing("flag 1<<7", io_uring_register_sync_cancel(&r, &reg));
	reg.flags = 0;
	((unsigned char *)&reg)[33] = 1; // Linux 6.18's pad, after opcode
	liburing("padding", io_uring_register_sync_cancel(&r, &reg));
	((unsigned char *)&reg)[33] = 0;
	liburing("nr_args 2", io_uring_register(r.ring_fd, IORING_REGISTER_SYNC_CANCEL, &reg, 2));
	liburing("NULL", io_uring_register(r.ring_fd, IORING_REGISTER_SYNC_CANCEL, NULL, 1));
	liburing("a kernel pointer", io_uring_register(r.ring_fd, IORING_REGISTER_SYNC_CANCEL, KERNEL_PTR, 1));

	printf("-- what the writer finds afterwards\n");
	// Every read was cancelled: what is written stays in the pipe.
	write(a[1], "k", 1);
	write(b[1], "l", 1);
	char buf[4];
	show("read a", read(a[0], buf, sizeof buf));
	show("read b", read(b[0], buf, sizeof buf));
	quiet(&r, "then", 100);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	io_uring_queue_exit(&r);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	timeouts();
	cancels();
	return 0;
}
