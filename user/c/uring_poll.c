// uring_poll: io_uring's POLL_ADD and POLL_REMOVE as Linux's
// io_uring/poll.c has them: one-shot polls on pipes and an eventfd and
// the mask they complete with, polls of a file already ready, multishot
// polls (IORING_POLL_ADD_MULTI) with IORING_CQE_F_MORE until they are
// removed or cancelled, poll updates of the events and the user_data,
// a poll heading a chain, and the checks of their SQEs.
//
// Completions whose relative order Linux does not define (a removed poll
// and the remove that found it) are printed sorted by user_data; the
// CQEs of one multishot poll in arrival order.
#include "uring_check.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#define BAD_FD 999

// poll_on queues a POLL_ADD of events on fd tagged ud (multishot with
// IORING_POLL_ADD_MULTI in multi).
static struct io_uring_sqe *poll_on(struct io_uring *r, unsigned long long ud, int fd, unsigned events,
				    unsigned multi) {
	struct io_uring_sqe *s = sqe(r, ud);
	io_uring_prep_poll_add(s, fd, events);
	s->len = multi;
	return s;
}

// expect_masks collects n CQEs within 5 s and prints them in the order
// given (sorted by user_data when sorted), results as poll masks.
static void expect_masks(struct io_uring *r, const char *what, int n, int sorted) {
	struct cqe_copy c[16];
	int got = collect(r, c, n < 16 ? n : 16, 5000);
	if (sorted)
		qsort(c, got, sizeof c[0], by_ud);
	for (int k = 0; k < got; k++)
		printf("%s: ud %llu res %s%s\n", what, c[k].ud, c[k].res > 0 ? poll_bits(c[k].res) : errno_str(c[k].res),
		       cqe_flag_names(c[k].flags));
	if (got < n)
		printf("%s: %d of %d CQEs\n", what, got, n);
}

// drain reads what a pipe or eventfd holds, quietly.
static void drain(int fd) {
	char buf[64];
	if (read(fd, buf, sizeof buf) < 0)
		show("drain", -1);
}

static void oneshot(void) {
	struct io_uring r;
	int p[2];
	ring_init(&r, 8, 0);
	pipe_or_die(p);

	printf("-- one-shot POLL_ADD\n");
	poll_on(&r, 1, p[0], POLLIN, 0);
	submit(&r, 1);
	quiet(&r, "POLLIN on an empty pipe", 200);
	write(p[1], "a", 1);
	expect_masks(&r, "after a write", 1, 0);
	write(p[1], "b", 1);
	quiet(&r, "a second write finds no poll", 100);
	poll_on(&r, 2, p[0], POLLIN | POLLPRI | POLLRDNORM | POLLOUT, 0);
	submit(&r, 1);
	expect_masks(&r, "data already there", 1, 0);
	drain(p[0]);
	poll_on(&r, 3, p[1], POLLOUT | POLLIN, 0);
	submit(&r, 1);
	expect_masks(&r, "the write end", 1, 0);
	poll_on(&r, 4, p[1], POLLIN, 0);
	submit(&r, 1);
	quiet(&r, "POLLIN on the write end", 100);
	io_uring_prep_poll_remove(sqe(&r, 5), 4);
	submit(&r, 1);
	expect_masks(&r, "POLL_REMOVE", 2, 1);
	io_uring_prep_poll_remove(sqe(&r, 6), 4);
	submit(&r, 1);
	expect_masks(&r, "POLL_REMOVE again", 1, 1);
	sqe(&r, 7);
	submit(&r, 1);
	expect_masks(&r, "a NOP", 1, 1);
	io_uring_prep_poll_remove(sqe(&r, 8), 7);
	submit(&r, 1);
	expect_masks(&r, "POLL_REMOVE of a NOP", 1, 1);

	printf("-- hang-up and errors need not be asked for\n");
	poll_on(&r, 10, p[0], POLLIN, 0);
	poll_on(&r, 11, p[0], POLLOUT, 0);
	submit(&r, 2);
	quiet(&r, "before the close", 100);
	close(p[1]);
	expect_masks(&r, "the writer closed", 2, 1);
	int q[2];
	pipe_or_die(q);
	poll_on(&r, 12, q[1], POLLOUT, 0);
	submit(&r, 1);
	expect_masks(&r, "the write end", 1, 0);
	close(q[0]);
	poll_on(&r, 13, q[1], POLLOUT, 0);
	poll_on(&r, 14, q[1], 0, 0);
	submit(&r, 2);
	expect_masks(&r, "the reader closed", 2, 1);
	close(q[1]);
	close(p[0]);

	printf("-- a socket whose peer shuts down\n");
	// POLLRDHUP comes unasked too (IO_POLL_UNMASK), even to a poll
	// asking only for what the socket does not report.
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		show("socketpair", -1);
	poll_on(&r, 15, sv[0], POLLIN, 0);
	poll_on(&r, 16, sv[0], POLLPRI, 0);
	submit(&r, 2);
	quiet(&r, "before the shutdown", 100);
	shutdown(sv[1], SHUT_WR);
	expect_masks(&r, "SHUT_WR", 2, 1);
	poll_on(&r, 17, sv[0], POLLOUT, 0);
	submit(&r, 1);
	expect_masks(&r, "POLLOUT", 1, 0);
	close(sv[0]);
	close(sv[1]);

	printf("-- an eventfd\n");
	int e = eventfd(0, EFD_NONBLOCK);
	poll_on(&r, 20, e, POLLIN, 0);
	poll_on(&r, 21, e, POLLOUT, 0);
	submit(&r, 2);
	expect_masks(&r, "a zero count", 1, 0);
	eventfd_write(e, 3);
	expect_masks(&r, "after eventfd_write", 1, 0);
	eventfd_write(e, 0xfffffffffffffffeULL - 3);
	poll_on(&r, 22, e, POLLOUT, 0);
	submit(&r, 1);
	quiet(&r, "POLLOUT on a full count", 100);
	drain(e);
	expect_masks(&r, "after a read", 1, 0);
	close(e);

	printf("-- a poll heading a chain\n");
	pipe_or_die(p);
	char buf[8] = {0};
	poll_on(&r, 30, p[0], POLLIN, 0)->flags |= IOSQE_IO_LINK;
	io_uring_prep_read(sqe(&r, 31), p[0], buf, sizeof buf, 0);
	submit(&r, 2);
	quiet(&r, "before the write", 100);
	write(p[1], "ok", 2);
	// The read starts only when the poll completed.
	expect_order(&r, "after the write", 2);
	printf("read \"%s\"\n", buf);

	printf("-- checks\n");
	poll_on(&r, 40, BAD_FD, POLLIN, 0);
	submit(&r, 1);
	expect_masks(&r, "a closed fd", 1, 0);
	poll_on(&r, 41, p[0], POLLIN, 1U << 7);
	submit(&r, 1);
	expect_masks(&r, "len 1<<7", 1, 0);
	// liburing names IORING_POLL_ADD_LEVEL, but POLL_ADD takes no flag
	// but IORING_POLL_ADD_MULTI.
	poll_on(&r, 45, p[0], POLLIN, IORING_POLL_ADD_LEVEL);
	submit(&r, 1);
	expect_masks(&r, "IORING_POLL_ADD_LEVEL", 1, 0);
	poll_on(&r, 46, p[0], POLLIN, IORING_POLL_ADD_MULTI)->flags |= IOSQE_CQE_SKIP_SUCCESS;
	submit(&r, 1);
	expect_masks(&r, "multishot with IOSQE_CQE_SKIP_SUCCESS", 1, 0);
	struct io_uring_sqe *s = poll_on(&r, 42, p[0], POLLIN, 0);
	s->addr = 1;
	submit(&r, 1);
	expect_masks(&r, "addr 1", 1, 0);
	s = sqe(&r, 43);
	io_uring_prep_poll_remove(s, 999);
	s->off = 1;
	submit(&r, 1);
	expect_masks(&r, "POLL_REMOVE, off 1", 1, 0);
	io_uring_prep_poll_update(sqe(&r, 44), 999, 0, POLLIN, 1U << 7);
	submit(&r, 1);
	expect_masks(&r, "POLL_REMOVE, len 1<<7", 1, 0);
	close(p[0]);
	close(p[1]);
	io_uring_queue_exit(&r);
}

static void regular_file(void) {
	struct io_uring r;
	ring_init(&r, 8, 0);
	printf("-- a file without a wait queue\n");
	// A regular file is always ready (DEFAULT_POLLMASK) and has no wait
	// queue: a poll completes at once with what is ready among its
	// events, even a multishot one (no IORING_CQE_F_MORE); one that
	// nothing satisfies cannot wait (-EINVAL).
	int fd = open("uring_poll.tmp", O_CREAT | O_RDWR | O_TRUNC, 0600);
	poll_on(&r, 1, fd, POLLIN, 0);
	poll_on(&r, 2, fd, POLLIN | POLLOUT | POLLPRI, 0);
	poll_on(&r, 3, fd, POLLIN, IORING_POLL_ADD_MULTI);
	poll_on(&r, 4, fd, POLLPRI, 0);
	poll_on(&r, 5, fd, 0, 0);
	submit(&r, 5);
	expect_masks(&r, "a regular file", 5, 1);
	close(fd);
	unlink("uring_poll.tmp");
	io_uring_queue_exit(&r);
}

static void ring_fd(void) {
	struct io_uring r, other;
	ring_init(&r, 8, 0);
	ring_init(&other, 4, 0);
	printf("-- a ring polled by another ring\n");
	// An io_uring descriptor is readable while its CQ holds CQEs and
	// writable while its SQ has room (io_uring_poll).
	poll_on(&r, 1, other.ring_fd, POLLIN, 0);
	poll_on(&r, 2, other.ring_fd, POLLOUT, 0);
	submit(&r, 2);
	expect_masks(&r, "an idle ring", 1, 0);
	quiet(&r, "POLLIN, nothing to reap", 100);
	sqe(&other, 3);
	submit(&other, 1);
	expect_masks(&r, "a NOP completed there", 1, 0);
	expect_masks(&other, "the other ring", 1, 0);
	poll_on(&r, 4, other.ring_fd, POLLIN, IORING_POLL_ADD_MULTI);
	submit(&r, 1);
	quiet(&r, "multishot POLLIN, nothing to reap", 100);
	for (int k = 0; k < 2; k++) {
		sqe(&other, 5 + k);
		submit(&other, 1);
		expect_masks(&r, "a NOP completed there", 1, 0);
		expect_masks(&other, "the other ring", 1, 0);
	}
	io_uring_prep_poll_remove(sqe(&r, 7), 4);
	submit(&r, 1);
	expect_masks(&r, "POLL_REMOVE", 2, 1);
	io_uring_queue_exit(&other);
	io_uring_queue_exit(&r);
}

static void multishot(void) {
	struct io_uring r;
	int p[2];
	ring_init(&r, 8, 0);
	pipe_or_die(p);

	printf("-- multishot POLL_ADD\n");
	poll_on(&r, 1, p[0], POLLIN, IORING_POLL_ADD_MULTI);
	submit(&r, 1);
	quiet(&r, "an empty pipe", 100);
	for (int k = 0; k < 3; k++) {
		write(p[1], "m", 1);
		expect_masks(&r, "a write", 1, 0);
		drain(p[0]);
	}
	io_uring_prep_poll_remove(sqe(&r, 2), 1);
	submit(&r, 1);
	expect_masks(&r, "POLL_REMOVE", 2, 1);
	write(p[1], "m", 1);
	quiet(&r, "a write after the remove", 100);
	drain(p[0]);

	// EPOLLONESHOT among the events makes it one-shot all the same.
	poll_on(&r, 9, p[0], POLLIN | EPOLLONESHOT, IORING_POLL_ADD_MULTI);
	submit(&r, 1);
	write(p[1], "o", 1);
	expect_masks(&r, "with EPOLLONESHOT, a write", 1, 0);
	drain(p[0]);
	write(p[1], "o", 1);
	quiet(&r, "a second write", 100);
	drain(p[0]);

	printf("-- a multishot poll on a ready file\n");
	poll_on(&r, 3, p[1], POLLOUT, IORING_POLL_ADD_MULTI);
	submit(&r, 1);
	expect_masks(&r, "POLLOUT on the write end", 1, 0);
	io_uring_prep_cancel64(sqe(&r, 4), 3, 0);
	submit(&r, 1);
	expect_masks(&r, "ASYNC_CANCEL", 2, 1);

	printf("-- a multishot poll sees its file closed\n");
	int e = eventfd(0, EFD_NONBLOCK);
	poll_on(&r, 5, e, POLLIN, IORING_POLL_ADD_MULTI);
	submit(&r, 1);
	eventfd_write(e, 1);
	expect_masks(&r, "eventfd_write", 1, 0);
	drain(e);
	eventfd_write(e, 2);
	expect_masks(&r, "eventfd_write", 1, 0);
	drain(e);
	// Closing the descriptor does not end the poll: the ring's request
	// holds the file.
	close(e);
	quiet(&r, "close", 100);
	io_uring_prep_cancel64(sqe(&r, 6), 5, 0);
	submit(&r, 1);
	expect_masks(&r, "ASYNC_CANCEL", 2, 1);

	printf("-- the writer closes under a multishot poll\n");
	poll_on(&r, 7, p[0], POLLIN, IORING_POLL_ADD_MULTI);
	submit(&r, 1);
	close(p[1]);
	expect_masks(&r, "close", 1, 0);
	io_uring_prep_poll_remove(sqe(&r, 8), 7);
	submit(&r, 1);
	expect_masks(&r, "POLL_REMOVE", 2, 1);
	close(p[0]);
	io_uring_queue_exit(&r);
}

static void updates(void) {
	struct io_uring r;
	int p[2];
	ring_init(&r, 8, 0);
	pipe_or_die(p);

	printf("-- poll updates\n");
	// POLLIN on the write end never fires: the update makes it POLLOUT,
	// which is ready, under a new user_data.
	poll_on(&r, 1, p[1], POLLIN, 0);
	submit(&r, 1);
	io_uring_prep_poll_update(sqe(&r, 2), 1, 3, POLLOUT, IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA);
	submit(&r, 1);
	expect_masks(&r, "events and user_data", 2, 1);
	poll_on(&r, 4, p[0], POLLIN, 0);
	submit(&r, 1);
	io_uring_prep_poll_update(sqe(&r, 5), 4, 6, 0, IORING_POLL_UPDATE_USER_DATA);
	submit(&r, 1);
	expect_masks(&r, "user_data only", 1, 1);
	write(p[1], "u", 1);
	expect_masks(&r, "then a write", 1, 1);
	drain(p[0]);
	poll_on(&r, 7, p[1], POLLIN, 0);
	submit(&r, 1);
	io_uring_prep_poll_update(sqe(&r, 8), 7, 0, POLLOUT, IORING_POLL_UPDATE_EVENTS);
	submit(&r, 1);
	expect_masks(&r, "events only", 2, 1);
	io_uring_prep_poll_update(sqe(&r, 9), 7, 0, POLLOUT, IORING_POLL_UPDATE_EVENTS);
	submit(&r, 1);
	expect_masks(&r, "a finished poll", 1, 1);
	// An update changes the events, not the kind: with
	// IORING_POLL_ADD_MULTI in its flags a one-shot poll stays one-shot.
	poll_on(&r, 10, p[0], POLLIN, 0);
	submit(&r, 1);
	io_uring_prep_poll_update(sqe(&r, 11), 10, 0, POLLIN,
				  IORING_POLL_UPDATE_EVENTS | IORING_POLL_ADD_MULTI);
	submit(&r, 1);
	expect_masks(&r, "IORING_POLL_ADD_MULTI", 1, 1);
	write(p[1], "v", 1);
	expect_masks(&r, "a write", 1, 0);
	drain(p[0]);
	write(p[1], "v", 1);
	quiet(&r, "a second write", 100);
	drain(p[0]);
	// A multishot poll updated stays multishot.
	poll_on(&r, 12, p[0], POLLIN, IORING_POLL_ADD_MULTI);
	submit(&r, 1);
	io_uring_prep_poll_update(sqe(&r, 13), 12, 14, 0, IORING_POLL_UPDATE_USER_DATA);
	submit(&r, 1);
	expect_masks(&r, "a multishot poll's user_data", 1, 1);
	for (int k = 0; k < 2; k++) {
		write(p[1], "w", 1);
		expect_masks(&r, "a write", 1, 0);
		drain(p[0]);
	}
	io_uring_prep_poll_remove(sqe(&r, 15), 14);
	submit(&r, 1);
	expect_masks(&r, "POLL_REMOVE by the new user_data", 2, 1);

	printf("-- update checks\n");
	poll_on(&r, 20, p[0], POLLIN, 0);
	submit(&r, 1);
	io_uring_prep_poll_update(sqe(&r, 21), 20, 0, POLLOUT, 0);
	submit(&r, 1);
	expect_masks(&r, "events without IORING_POLL_UPDATE_EVENTS", 1, 1);
	io_uring_prep_poll_update(sqe(&r, 22), 20, 23, 0, 0);
	submit(&r, 1);
	expect_masks(&r, "user_data without IORING_POLL_UPDATE_USER_DATA", 1, 1);
	io_uring_prep_poll_update(sqe(&r, 24), 20, 0, 0, IORING_POLL_ADD_MULTI);
	submit(&r, 1);
	expect_masks(&r, "IORING_POLL_ADD_MULTI alone", 1, 1);
	io_uring_prep_poll_update(sqe(&r, 25), 999, 0, POLLIN, IORING_POLL_UPDATE_EVENTS);
	submit(&r, 1);
	expect_masks(&r, "no such poll", 1, 1);
	io_uring_prep_poll_remove(sqe(&r, 26), 20);
	submit(&r, 1);
	expect_masks(&r, "POLL_REMOVE", 2, 1);
	close(p[0]);
	close(p[1]);
	io_uring_queue_exit(&r);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	oneshot();
	regular_file();
	ring_fd();
	multishot();
	updates();
	return 0;
}
