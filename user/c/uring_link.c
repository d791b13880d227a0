// uring_link: io_uring's request chains and completion queue as Linux's
// io_uring/ has them: a linked timeout cutting a read short and one that
// loses the race, chains broken by a failing head, a short read or a bad
// SQE, hard links, a link left open at the end of a submit, IOSQE_IO_DRAIN
// ordering, IOSQE_CQE_SKIP_SUCCESS, CQ overflow with the NODROP backlog
// and IORING_SQ_CQ_OVERFLOW, and io_uring_enter waits interrupted by a
// signal, with and without a sigmask (plain and IORING_ENTER_EXT_ARG).
//
// Completions whose relative order Linux does not define (a request and
// the timeout that cut it short, the cancelled rest of a broken chain)
// are printed sorted by user_data; those it orders (the steps of a chain
// that succeeds, a drain, the CQ ring after an overflow) in arrival order.
#include "uring_check.h"
#include <sys/time.h>

#define BAD_FD 999

// link_timeout queues a LINK_TIMEOUT of ts tagged ud.
static struct io_uring_sqe *link_timeout(struct io_uring *r, unsigned long long ud, struct __kernel_timespec *ts) {
	struct io_uring_sqe *s = sqe(r, ud);
	io_uring_prep_link_timeout(s, ts, 0);
	return s;
}

static void linked_timeouts(void) {
	struct io_uring r;
	int p[2];
	char buf[16];
	ring_init(&r, 8, 0);
	pipe_or_die(p);
	struct __kernel_timespec t100 = ts_ms(100), t10s = ts_ms(10000);

	printf("-- a linked timeout cuts a read on an empty pipe short\n");
	struct io_uring_sqe *s = sqe(&r, 1);
	io_uring_prep_read(s, p[0], buf, sizeof buf, 0);
	s->flags |= IOSQE_IO_LINK;
	link_timeout(&r, 2, &t100);
	submit(&r, 2);
	expect_sorted(&r, "read+timeout", 2);

	printf("-- the request completes before its linked timeout\n");
	write(p[1], "xy", 2);
	s = sqe(&r, 3);
	io_uring_prep_read(s, p[0], buf, 2, 0);
	s->flags |= IOSQE_IO_LINK;
	link_timeout(&r, 4, &t10s);
	submit(&r, 2);
	expect_sorted(&r, "ready read+timeout", 2);
	sqe(&r, 5)->flags |= IOSQE_IO_LINK;
	link_timeout(&r, 6, &t10s);
	submit(&r, 2);
	expect_sorted(&r, "nop+timeout", 2);
	s = sqe(&r, 7);
	io_uring_prep_read(s, p[0], buf, 1, 0);
	s->flags |= IOSQE_IO_LINK;
	link_timeout(&r, 8, &t10s);
	submit(&r, 2);
	quiet(&r, "read, before the write", 200);
	write(p[1], "z", 1);
	expect_sorted(&r, "read+timeout after the write", 2);

	printf("-- a linked timeout in a longer chain\n");
	// It guards the request before it; what follows it in the chain
	// runs or is cancelled as that request's outcome says.
	s = sqe(&r, 20);
	io_uring_prep_read(s, p[0], buf, 1, 0);
	s->flags |= IOSQE_IO_LINK;
	link_timeout(&r, 21, &t100)->flags |= IOSQE_IO_LINK;
	sqe(&r, 22);
	submit(&r, 3);
	expect_sorted(&r, "read cut short, then a NOP", 3);
	write(p[1], "w", 1);
	s = sqe(&r, 23);
	io_uring_prep_read(s, p[0], buf, 1, 0);
	s->flags |= IOSQE_IO_LINK;
	link_timeout(&r, 24, &t10s)->flags |= IOSQE_IO_LINK;
	sqe(&r, 25);
	submit(&r, 3);
	expect_sorted(&r, "read in time, then a NOP", 3);
	sqe(&r, 26)->flags |= IOSQE_IO_LINK;
	s = sqe(&r, 27);
	io_uring_prep_read(s, p[0], buf, 1, 0);
	s->flags |= IOSQE_IO_LINK;
	link_timeout(&r, 28, &t100);
	sqe(&r, 29);
	submit(&r, 4);
	expect_sorted(&r, "NOP, read cut short; NOP", 4);

	printf("-- LINK_TIMEOUT misplaced\n");
	link_timeout(&r, 9, &t100);
	submit(&r, 1);
	expect_sorted(&r, "alone", 1);
	// An SQE that cannot be prepared marks its chain failed (Linux's
	// io_submit_fail_init): the head ends -ECANCELED, the bad SQE with
	// its own error, and the chain still ends where its flags say.
	sqe(&r, 10)->flags |= IOSQE_IO_LINK;
	s = sqe(&r, 11);
	io_uring_prep_link_timeout(s, &t100, 0);
	s->flags |= IOSQE_IO_LINK;
	link_timeout(&r, 12, &t100);
	submit(&r, 3);
	expect_sorted(&r, "two in a row", 3);
	sqe(&r, 13)->flags |= IOSQE_IO_LINK;
	link_timeout(&r, 14, (struct __kernel_timespec *)KERNEL_PTR);
	submit(&r, 2);
	expect_sorted(&r, "bad timespec", 2);

	close(p[0]);
	close(p[1]);
	io_uring_queue_exit(&r);
}

static void chains(void) {
	struct io_uring r;
	int p[2];
	char buf[16] = {0};
	ring_init(&r, 8, 0);
	pipe_or_die(p);

	printf("-- a chain that succeeds runs in order\n");
	struct io_uring_sqe *s = sqe(&r, 1);
	io_uring_prep_write(s, p[1], "hi", 2, 0);
	s->flags |= IOSQE_IO_LINK;
	s = sqe(&r, 2);
	io_uring_prep_read(s, p[0], buf, 2, 0);
	s->flags |= IOSQE_IO_LINK;
	sqe(&r, 3);
	submit(&r, 3);
	expect_order(&r, "write, read, nop", 3);
	printf("read back \"%s\"\n", buf);

	printf("-- a failing head cancels the rest\n");
	s = sqe(&r, 4);
	io_uring_prep_read(s, BAD_FD, buf, 2, 0);
	s->flags |= IOSQE_IO_LINK;
	sqe(&r, 5)->flags |= IOSQE_IO_LINK;
	sqe(&r, 6);
	submit(&r, 3);
	expect_sorted(&r, "bad read, nop, nop", 3);
	s = sqe(&r, 7);
	s->flags |= IOSQE_IO_LINK;
	s = sqe(&r, 8);
	io_uring_prep_read(s, BAD_FD, buf, 2, 0);
	s->flags |= IOSQE_IO_LINK;
	sqe(&r, 9);
	submit(&r, 3);
	expect_sorted(&r, "nop, bad read, nop", 3);

	printf("-- a short read breaks the chain\n");
	write(p[1], "abc", 3);
	s = sqe(&r, 10);
	io_uring_prep_read(s, p[0], buf, sizeof buf, 0);
	s->flags |= IOSQE_IO_LINK;
	sqe(&r, 11);
	submit(&r, 2);
	expect_sorted(&r, "short read, nop", 2);
	write(p[1], "abc", 3);
	s = sqe(&r, 12);
	io_uring_prep_read(s, p[0], buf, 3, 0);
	s->flags |= IOSQE_IO_LINK;
	sqe(&r, 13);
	submit(&r, 2);
	expect_order(&r, "full read, nop", 2);

	printf("-- IOSQE_IO_HARDLINK survives a failure\n");
	s = sqe(&r, 14);
	io_uring_prep_read(s, BAD_FD, buf, 2, 0);
	s->flags |= IOSQE_IO_HARDLINK;
	s = sqe(&r, 15);
	io_uring_prep_write(s, BAD_FD, "x", 1, 0);
	s->flags |= IOSQE_IO_HARDLINK;
	sqe(&r, 16);
	submit(&r, 3);
	expect_order(&r, "bad read, bad write, nop", 3);
	write(p[1], "ab", 2);
	s = sqe(&r, 17);
	io_uring_prep_read(s, p[0], buf, sizeof buf, 0);
	s->flags |= IOSQE_IO_HARDLINK;
	sqe(&r, 18);
	submit(&r, 2);
	expect_order(&r, "short read, nop", 2);

	printf("-- a bad SQE inside a chain\n");
	sqe(&r, 19)->flags |= IOSQE_IO_LINK;
	s = sqe(&r, 20);
	s->opcode = 0xfe;
	s->flags |= IOSQE_IO_LINK;
	sqe(&r, 21);
	sqe(&r, 22);
	submit(&r, 4);
	expect_sorted(&r, "nop, bad opcode, nop; nop", 4);
	sqe(&r, 23)->flags |= IOSQE_IO_LINK;
	s = sqe(&r, 24);
	s->opcode = 0xfe;
	sqe(&r, 25);
	// The bad SQE ends its chain, and the submission stops after it:
	// the NOP behind it waits in the SQ for the next submit.
	submit(&r, 2);
	expect_sorted(&r, "nop, bad opcode (last)", 2);
	printf("left in the SQ: %u\n", io_uring_sq_ready(&r));
	submit(&r, 1);
	expect_sorted(&r, "the next submit", 1);

	printf("-- a link left open at the end of a submit\n");
	write(p[1], "q", 1);
	s = sqe(&r, 26);
	io_uring_prep_read(s, p[0], buf, 1, 0);
	s->flags |= IOSQE_IO_LINK;
	submit(&r, 1);
	expect_order(&r, "open link", 1);
	s = sqe(&r, 27);
	io_uring_prep_read(s, BAD_FD, buf, 1, 0);
	s->flags |= IOSQE_IO_LINK;
	submit(&r, 1);
	sqe(&r, 28);
	submit(&r, 1);
	expect_sorted(&r, "failed open link; next submit", 2);

	close(p[0]);
	close(p[1]);
	io_uring_queue_exit(&r);
}

static void drains(void) {
	struct io_uring r;
	int p[2];
	char buf[4];
	ring_init(&r, 8, 0);
	pipe_or_die(p);

	printf("-- IOSQE_IO_DRAIN waits for what came before\n");
	io_uring_prep_read(sqe(&r, 1), p[0], buf, 1, 0);
	sqe(&r, 2);
	sqe(&r, 3)->flags |= IOSQE_IO_DRAIN;
	sqe(&r, 4);
	submit(&r, 4);
	// Only the NOP before the drain may complete while the read waits.
	quiet(&r, "before the write", 300);
	write(p[1], "d", 1);
	// The drained NOP after the read, and the NOP after the drain last.
	expect_order(&r, "after the write", 3);

	printf("-- a drain with nothing in flight\n");
	sqe(&r, 5)->flags |= IOSQE_IO_DRAIN;
	sqe(&r, 6);
	submit(&r, 2);
	expect_order(&r, "drain, nop", 2);

	printf("-- a drain in a later submit\n");
	io_uring_prep_read(sqe(&r, 7), p[0], buf, 1, 0);
	submit(&r, 1);
	sqe(&r, 8)->flags |= IOSQE_IO_DRAIN;
	submit(&r, 1);
	sqe(&r, 9);
	submit(&r, 1);
	quiet(&r, "before the write", 300);
	write(p[1], "e", 1);
	expect_order(&r, "after the write", 3);

	close(p[0]);
	close(p[1]);
	io_uring_queue_exit(&r);
}

static void skip_success(void) {
	struct io_uring r;
	char buf[4];
	ring_init(&r, 8, 0);

	printf("-- IOSQE_CQE_SKIP_SUCCESS\n");
	sqe(&r, 1)->flags |= IOSQE_CQE_SKIP_SUCCESS;
	struct io_uring_sqe *s = sqe(&r, 2);
	io_uring_prep_read(s, BAD_FD, buf, 1, 0);
	s->flags |= IOSQE_CQE_SKIP_SUCCESS;
	sqe(&r, 3);
	submit(&r, 3);
	expect_sorted(&r, "skip nop, skip bad read, nop", 2);
	quiet(&r, "then", 100);
	sqe(&r, 4)->flags |= IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK;
	sqe(&r, 5);
	submit(&r, 2);
	expect_order(&r, "skip nop linked to nop", 1);
	quiet(&r, "then", 100);
	// A ring that has seen IOSQE_CQE_SKIP_SUCCESS refuses IOSQE_IO_DRAIN.
	sqe(&r, 6)->flags |= IOSQE_IO_DRAIN;
	submit(&r, 1);
	expect_order(&r, "then a drain", 1);

	printf("-- IOSQE_CQE_SKIP_SUCCESS in broken chains\n");
	// A request with the flag posts its failure, but what that failure
	// cancels posts nothing; a cancelled request with the flag posts its
	// -ECANCELED when the failure was another's.
	s = sqe(&r, 10);
	io_uring_prep_read(s, BAD_FD, buf, 1, 0);
	s->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
	sqe(&r, 11);
	sqe(&r, 12);
	submit(&r, 3);
	expect_sorted(&r, "skip bad read, nop; nop", 2);
	quiet(&r, "then", 100);
	s = sqe(&r, 13);
	io_uring_prep_read(s, BAD_FD, buf, 1, 0);
	s->flags |= IOSQE_IO_LINK;
	sqe(&r, 14)->flags |= IOSQE_CQE_SKIP_SUCCESS;
	submit(&r, 2);
	expect_sorted(&r, "bad read, skip nop", 2);
	sqe(&r, 15)->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
	s = sqe(&r, 16);
	s->opcode = 0xfe;
	s->flags |= IOSQE_IO_LINK;
	sqe(&r, 17);
	sqe(&r, 18);
	submit(&r, 4);
	expect_sorted(&r, "skip nop, bad opcode, nop; nop", 2);
	quiet(&r, "then", 100);
	s = sqe(&r, 19);
	io_uring_prep_read(s, BAD_FD, buf, 1, 0);
	s->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
	sqe(&r, 20);
	submit(&r, 2);
	expect_sorted(&r, "skip bad read hard-linked, nop", 2);
	// A linked timeout that its request beat still posts -ECANCELED.
	struct __kernel_timespec t10s = ts_ms(10000);
	sqe(&r, 21)->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
	io_uring_prep_link_timeout(sqe(&r, 22), &t10s, 0);
	submit(&r, 2);
	expect_sorted(&r, "skip nop, linked timeout", 1);
	quiet(&r, "then", 100);
	io_uring_queue_exit(&r);
}

// show_ring prints what the CQ ring and its flags say after an overflow.
static void show_ring(const char *what, struct io_uring *r) {
	printf("%s: ready %u, has_overflow %d, IORING_SQ_CQ_OVERFLOW %d, dropped %u\n", what, io_uring_cq_ready(r),
	       io_uring_cq_has_overflow(r), !!(IO_URING_READ_ONCE(*r->sq.kflags) & IORING_SQ_CQ_OVERFLOW),
	       *r->cq.koverflow);
}

// reap_ring takes up to max CQEs from the ring without entering the
// kernel and prints their user_data in ring order.
static void reap_ring(const char *what, struct io_uring *r, unsigned max) {
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	printf("%s:", what);
	io_uring_for_each_cqe(r, head, cqe) {
		if (n == max)
			break;
		printf(" %llu%s", (unsigned long long)cqe->user_data, cqe->res ? errno_str(cqe->res) : "");
		n++;
	}
	printf(" (%u)\n", n);
	io_uring_cq_advance(r, n);
}

// nops submits n NOPs, four (the SQ's size) at a time, numbered from *ud.
static void nops(struct io_uring *r, unsigned long long *ud, int n) {
	while (n > 0) {
		int k = n < 4 ? n : 4;
		for (int j = 0; j < k; j++)
			sqe(r, (*ud)++);
		submit(r, k);
		n -= k;
	}
}

// flush_sq publishes the SQEs liburing has handed out, as its
// io_uring_submit does before it enters the kernel, so that a test can
// enter with flags of its own.
static void flush_sq(struct io_uring *r) {
	struct io_uring_sq *sq = &r->sq;
	unsigned mask = *sq->kring_mask, tail = *sq->ktail;
	for (; sq->sqe_head != sq->sqe_tail; sq->sqe_head++, tail++)
		sq->array[tail & mask] = sq->sqe_head & mask;
	io_uring_smp_store_release(sq->ktail, tail);
}

// getevents enters the kernel only to flush completions.
static void getevents(struct io_uring *r) {
	show("io_uring_enter(GETEVENTS)", syscall(__NR_io_uring_enter, r->ring_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0));
}

static void overflow(void) {
	struct io_uring r;
	unsigned long long ud = 1;
	ring_init(&r, 4, 0);
	printf("-- CQ overflow with NODROP\n");
	printf("sq entries %u, cq entries %u, IORING_FEAT_NODROP %d\n", r.sq.ring_entries, r.cq.ring_entries,
	       !!(r.features & IORING_FEAT_NODROP));
	nops(&r, &ud, 12);
	show_ring("12 NOPs", &r);
	reap_ring("reaped", &r, 3);
	show_ring("after reaping 3", &r);
	// Entering the kernel moves as much of the backlog as fits.
	getevents(&r);
	show_ring("after a GETEVENTS enter", &r);
	reap_ring("reaped", &r, 100);
	getevents(&r);
	show_ring("after a GETEVENTS enter", &r);
	reap_ring("reaped", &r, 100);
	show_ring("at the end", &r);

	printf("-- completions after an overflow queue behind the backlog\n");
	nops(&r, &ud, 12);
	reap_ring("reaped", &r, 100);
	show_ring("after reaping", &r);
	// Only a GETEVENTS enter moves the backlog: a submission without
	// it leaves the ring empty and queues the new CQEs behind.
	sqe(&r, ud++);
	sqe(&r, ud++);
	flush_sq(&r);
	show("io_uring_enter(2 to submit)", syscall(__NR_io_uring_enter, r.ring_fd, 2, 0, 0, NULL, 0));
	show_ring("2 more NOPs", &r);
	show("io_uring_enter(0 to submit)", syscall(__NR_io_uring_enter, r.ring_fd, 0, 0, 0, NULL, 0));
	show_ring("then", &r);
	// liburing's submit adds GETEVENTS while IORING_SQ_CQ_OVERFLOW is up.
	nops(&r, &ud, 2);
	show_ring("2 more through io_uring_submit", &r);
	reap_ring("reaped", &r, 100);
	show_ring("at the end", &r);

	printf("-- overflow, then a wait flushes\n");
	nops(&r, &ud, 12);
	show_ring("12 NOPs", &r);
	// io_uring_wait_cqe finds the ring empty after the first 8 and
	// enters the kernel, which moves the backlog into the ring.
	struct io_uring_cqe *cqe;
	printf("waited:");
	for (int k = 0; k < 12; k++) {
		int e = io_uring_wait_cqe(&r, &cqe);
		if (e < 0) {
			printf(" %s", errno_str(e));
			break;
		}
		printf(" %llu", (unsigned long long)cqe->user_data);
		io_uring_cqe_seen(&r, cqe);
	}
	printf("\n");
	show_ring("at the end", &r);
	io_uring_queue_exit(&r);
}

// cq_settles waits (5 s at most) until r's CQ holds n CQEs and, with
// backlog, IORING_SQ_CQ_OVERFLOW is up: the SQ thread posts them.
static void cq_settles(struct io_uring *r, unsigned n, int backlog) {
	for (int k = 0; k < 500; k++) {
		if (io_uring_cq_ready(r) == n && io_uring_cq_has_overflow(r) == backlog)
			return;
		pause_ms(10);
	}
}

static void overflow_sqpoll(void) {
	struct io_uring r;
	struct io_uring_params p = {0};
	p.flags = IORING_SETUP_SQPOLL;
	p.sq_thread_idle = 1000;
	int e = io_uring_queue_init_params(4, &r, &p);
	printf("-- CQ overflow under SQPOLL\n");
	if (e < 0) {
		printf("io_uring_queue_init_params: %s\n", errno_str(e));
		return;
	}
	// One SQE at a time, each once the SQ thread left room for it (it
	// may be slow to take them on a loaded machine).
	for (unsigned long long ud = 1; ud <= 12; ud++) {
		struct io_uring_sqe *s;
		for (int k = 0; !(s = io_uring_get_sqe(&r)) && k < 5000; k++) {
			io_uring_sqring_wait(&r);
			pause_ms(1);
		}
		if (!s) {
			printf("no room in the SQ\n");
			exit(1);
		}
		io_uring_prep_nop(s);
		io_uring_sqe_set_data64(s, ud);
		io_uring_submit(&r);
	}
	cq_settles(&r, 8, 1);
	show_ring("12 NOPs", &r);
	reap_ring("reaped", &r, 100);
	// Neither the SQ thread nor an enter without GETEVENTS moves the
	// backlog.
	pause_ms(100);
	show_ring("after reaping", &r);
	show("io_uring_enter(SQ_WAKEUP)", syscall(__NR_io_uring_enter, r.ring_fd, 0, 0, IORING_ENTER_SQ_WAKEUP, NULL, 0));
	show_ring("then", &r);
	getevents(&r);
	show_ring("after a GETEVENTS enter", &r);
	reap_ring("reaped", &r, 100);
	io_uring_queue_exit(&r);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) {
	(void)sig;
	alarms++;
}

// alarm_in sets ITIMER_REAL to fire once in ms milliseconds.
static void alarm_in(int ms) {
	struct itimerval it = {{0, 0}, {ms / 1000, ms % 1000 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void catch_alarm(int flags) {
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sa.sa_flags = flags;
	sigaction(SIGALRM, &sa, NULL);
	alarms = 0;
}

// ENTER calls io_uring_enter directly and prints its result.
#define ENTER(...) show("io_uring_enter(" #__VA_ARGS__ ")", syscall(__NR_io_uring_enter, __VA_ARGS__))

static void interrupted(void) {
	struct io_uring r;
	ring_init(&r, 4, 0);
	int fd = r.ring_fd;
	enum { GETEVENTS = IORING_ENTER_GETEVENTS, EXT_ARG = IORING_ENTER_EXT_ARG };
	printf("-- a signal interrupts a GETEVENTS wait\n");
	catch_alarm(0);
	alarm_in(100);
	ENTER(fd, 0, 1, GETEVENTS, NULL, 0);
	printf("alarms %d\n", alarms);
	catch_alarm(SA_RESTART);
	alarm_in(100);
	ENTER(fd, 0, 1, GETEVENTS, NULL, 0);
	printf("alarms (SA_RESTART) %d\n", alarms);

	printf("-- the sigmask argument\n");
	sigset_t none, alrm;
	sigemptyset(&none);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	catch_alarm(0);
	set_mask(SIG_BLOCK, SIGALRM);
	alarm_in(100);
	// SIGALRM blocked, but not while io_uring_enter waits.
	ENTER(fd, 0, 1, GETEVENTS, &none, 8);
	printf("alarms %d\n", alarms);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("SIGALRM blocked again after the wait: %d\n", sigismember(&now, SIGALRM));
	ENTER(fd, 0, 1, GETEVENTS, &none, 4);
	ENTER(fd, 0, 1, GETEVENTS, KERNEL_PTR, 8);
	set_mask(SIG_UNBLOCK, SIGALRM);

	printf("-- IORING_ENTER_EXT_ARG\n");
	struct io_uring_cqe *cqe;
	struct __kernel_timespec t300 = ts_ms(300), t5s = ts_ms(5000);
	alarms = 0;
	alarm_in(100);
	// The wait blocks SIGALRM: the timeout ends it, and the handler runs
	// once the old mask is back.
	printf("wait with SIGALRM blocked: %s\n", errno_str(io_uring_wait_cqes(&r, &cqe, 1, &t300, &alrm)));
	printf("alarms %d\n", alarms);
	alarms = 0;
	set_mask(SIG_BLOCK, SIGALRM);
	alarm_in(100);
	printf("wait with SIGALRM let through: %s\n", errno_str(io_uring_wait_cqes(&r, &cqe, 1, &t5s, &none)));
	printf("alarms %d\n", alarms);
	set_mask(SIG_UNBLOCK, SIGALRM);
	struct io_uring_getevents_arg arg = {0};
	arg.sigmask = (uintptr_t)&none;
	arg.sigmask_sz = 8;
	arg.ts = (uintptr_t)&t300;
	ENTER(fd, 0, 1, GETEVENTS | EXT_ARG, &arg, sizeof arg);
	ENTER(fd, 0, 1, GETEVENTS | EXT_ARG, &arg, sizeof arg - 1);
	ENTER(fd, 0, 1, GETEVENTS | EXT_ARG, KERNEL_PTR, sizeof arg);
	printf("sigmask_sz 4:\n");
	arg.sigmask_sz = 4;
	ENTER(fd, 0, 1, GETEVENTS | EXT_ARG, &arg, sizeof arg);
	printf("a bad sigmask pointer:\n");
	arg.sigmask_sz = 8;
	arg.sigmask = (uintptr_t)KERNEL_PTR;
	ENTER(fd, 0, 1, GETEVENTS | EXT_ARG, &arg, sizeof arg);
	printf("a bad timespec pointer:\n");
	arg.sigmask = (uintptr_t)&none;
	arg.ts = (uintptr_t)KERNEL_PTR;
	ENTER(fd, 0, 1, GETEVENTS | EXT_ARG, &arg, sizeof arg);
	// The timespec is taken as it is: a negative or overlong one is a
	// timeout, not an error.
	struct __kernel_timespec odd[] = {{0, 1000000000}, {-1, 0}, {0, -1}};
	for (int k = 0; k < 3; k++) {
		printf("timespec {%lld, %lld}:\n", (long long)odd[k].tv_sec, (long long)odd[k].tv_nsec);
		arg.ts = (uintptr_t)&odd[k];
		ENTER(fd, 0, 1, GETEVENTS | EXT_ARG, &arg, sizeof arg);
	}
	printf("no timespec, no sigmask, a completion ready:\n");
	sqe(&r, 1);
	io_uring_submit(&r);
	arg.ts = 0;
	arg.sigmask = 0;
	ENTER(fd, 0, 1, GETEVENTS | EXT_ARG, &arg, sizeof arg);
	expect_order(&r, "ready", 1);
	io_uring_queue_exit(&r);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	linked_timeouts();
	chains();
	drains();
	skip_success();
	overflow();
	overflow_sqpoll();
	interrupted();
	return 0;
}
