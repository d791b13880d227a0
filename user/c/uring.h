// Helpers of the io_uring conformance programs (uring_net.c,
// uring_fs.c): one ring, SQEs that must be there, CQEs read by value and
// printed as their result (a number or -ERRNO) and the flags a program
// acts on. Include after check.h.
#include <liburing.h>

static struct io_uring ring;

// res_name is a CQE result as a number or as -ERRNO.
static const char *res_name(int res) {
	static char b[4][32];
	static int i;
	char *s = b[i++ % 4];
	if (res < 0)
		snprintf(s, 32, "-%s", strerrorname_np(-res));
	else
		snprintf(s, 32, "%d", res);
	return s;
}

// flag_names names the CQE flags a program acts on: MORE (a multishot
// request goes on), NONEMPTY (a stream socket still holds data after a
// receive) and BUFFER with the id of the provided buffer used.
static const char *flag_names(unsigned f) {
	static char b[2][48];
	static int i;
	char *s = b[i++ % 2];
	s[0] = 0;
	if (f & IORING_CQE_F_MORE)
		strcat(s, " MORE");
	if (f & IORING_CQE_F_SOCK_NONEMPTY)
		strcat(s, " NONEMPTY");
	if (f & IORING_CQE_F_BUFFER)
		snprintf(s + strlen(s), 48 - strlen(s), " BUFFER %u", f >> IORING_CQE_BUFFER_SHIFT);
	return s;
}

// get returns a free SQE, cleared by the prep helper that follows.
static struct io_uring_sqe *get(void) {
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);
	if (s == NULL) {
		printf("no free SQE\n");
		exit(1);
	}
	return s;
}

// submit submits what is queued; it must take all of it.
static void submit(int n) {
	int r = io_uring_submit(&ring);
	if (r != n)
		printf("submit: %s, wanted %d\n", res_name(r), n);
}

// cqe is what a CQE says (liburing's struct has a flexible array
// member, which is not for passing by value).
struct cqe {
	uint64_t user_data;
	int res;
	unsigned flags;
};

// next_cqe waits (at most 20 s: oyako may run under TCG) for the next
// CQE of r and returns it by value, or ends the program.
static struct cqe next_cqe_of(struct io_uring *r) {
	struct io_uring_cqe *c;
	struct __kernel_timespec ts = {20, 0};
	int e = io_uring_wait_cqe_timeout(r, &c, &ts);
	if (e < 0) {
		printf("wait for a CQE: %s\n", res_name(e));
		exit(1);
	}
	struct cqe v = {c->user_data, c->res, c->flags};
	io_uring_cqe_seen(r, c);
	return v;
}

static struct cqe next_cqe(void) { return next_cqe_of(&ring); }

// none_of says whether no CQE of r is waiting now.
static void none_of(struct io_uring *r, const char *what) {
	struct io_uring_cqe *c;
	int e = io_uring_peek_cqe(r, &c);
	if (e == 0) {
		printf("%s: a CQE came: %s%s\n", what, res_name(c->res), flag_names(c->flags));
		io_uring_cqe_seen(r, c);
	} else
		printf("%s: no CQE yet (%s)\n", what, res_name(e));
}

static void none(const char *what) { none_of(&ring, what); }

// run submits the one prepared SQE, waits for its CQE and prints it.
static int run(const char *what) {
	submit(1);
	struct cqe c = next_cqe();
	printf("%s: %s%s\n", what, res_name(c.res), flag_names(c.flags));
	return c.res;
}

// run_fd is run for a request whose result is a new descriptor: it
// prints "a descriptor" instead of the number.
static int run_fd(const char *what) {
	submit(1);
	struct cqe c = next_cqe();
	printf("%s: %s%s\n", what, c.res >= 0 ? "a descriptor" : res_name(c.res), flag_names(c.flags));
	return c.res;
}
