// io_uring with SQPOLL: a kernel thread polls the SQ ring, so while it
// is awake a program submits with no system call at all; after
// sq_thread_idle without work it sets IORING_SQ_NEED_WAKEUP and sleeps
// until io_uring_enter(IORING_ENTER_SQ_WAKEUP).
//
//	uring_sqpoll          the conformance transcript
//	uring_sqpoll sleep    sleeps a second (what owner_gone execs)
//	uring_sqpoll nops N   N NOPs submitted in batches of 32 while the SQ
//	                      thread is awake, reaped without a system call;
//	                      prints how many CQEs came back and how many
//	                      times it had to wake the thread
//	                      (qemu.TestUringSQPollNoEnter counts the
//	                      io_uring_enter calls the kernel saw)
#include "check.h"

#include <sched.h>

// publish makes the SQEs queued with io_uring_get_sqe visible to the SQ
// thread without a system call: liburing's __io_uring_flush_sq, a
// store-release of the SQ tail (liburing maps SQ slot i to SQE i).
static void publish(struct io_uring *r) {
	r->sq.sqe_head = r->sq.sqe_tail;
	io_uring_smp_store_release(r->sq.ktail, r->sq.sqe_tail);
}

// need_wakeup reads the SQ ring's flags after a full barrier, as
// liburing's sq_ring_needs_enter does after publishing the tail: the
// thread either sees the new tail or has set NEED_WAKEUP by now.
static int need_wakeup(struct io_uring *r) {
	io_uring_smp_mb();
	return IO_URING_READ_ONCE(*r->sq.kflags) & IORING_SQ_NEED_WAKEUP;
}

static long enter_raw(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
	return syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, 0);
}

static void init_sqpoll(struct io_uring *r, unsigned entries, unsigned idle_ms) {
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQPOLL;
	p.sq_thread_idle = idle_ms;
	int e = io_uring_queue_init_params(entries, r, &p);
	if (e < 0) {
		printf("io_uring_queue_init_params SQPOLL: %s\n", errno_str(e));
		exit(1);
	}
}

// cqe_ready waits up to ms milliseconds, without entering the kernel
// for the ring, for a CQE to be there; it says whether one is.
static int cqe_ready(struct io_uring *r, int ms) {
	for (int i = 0; i < ms; i++) {
		if (io_uring_cq_ready(r))
			return 1;
		pause_ms(1);
	}
	return io_uring_cq_ready(r) != 0;
}

static int try_setup(const char *what, struct io_uring_params *p) {
	long fd = syscall(__NR_io_uring_setup, 4, p);
	show(what, fd < 0 ? fd : 0);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

// setup_checks: SQPOLL's parameters (io_sq_offload_create).
static void setup_checks(void) {
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQPOLL;
	try_setup("setup SQPOLL idle 0 (the default, one second)", &p);
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF;
	p.sq_thread_cpu = 0;
	try_setup("setup SQPOLL SQ_AFF cpu 0", &p);
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF;
	p.sq_thread_cpu = 4096;
	try_setup("setup SQPOLL SQ_AFF cpu 4096", &p);
	// sq_thread_cpu means nothing without SQ_AFF.
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQPOLL;
	p.sq_thread_cpu = 4096;
	try_setup("setup SQPOLL cpu 4096 without SQ_AFF", &p);
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_COOP_TASKRUN;
	try_setup("setup SQPOLL|TASKRUN_FLAG|COOP_TASKRUN", &p);
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER;
	try_setup("setup SQPOLL|DEFER_TASKRUN|SINGLE_ISSUER", &p);
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_SINGLE_ISSUER;
	try_setup("setup SQPOLL|SINGLE_ISSUER", &p);
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQPOLL;
	p.sq_thread_idle = 50;
	long fd = syscall(__NR_io_uring_setup, 4, &p);
	printf("setup SQPOLL idle 50: %s, sq_thread_idle %u, feature SQPOLL_NONFIXED %s\n", fd < 0 ? "failed" : "ok",
	       p.sq_thread_idle, p.features & IORING_FEAT_SQPOLL_NONFIXED ? "yes" : "no");
	if (fd >= 0)
		close(fd);
}

// sort_show reaps n CQEs and prints them sorted by user_data (the order
// in which requests that complete together post is not promised).
static void sort_show(struct io_uring *r, int n, const char *what) {
	struct cqe_copy c[16];
	unsigned got = take_sorted(r, n, c, 16);
	for (unsigned i = 0; i < got && i < 16; i++)
		printf("%s: res %s, user_data %llu\n", what, errno_str(c[i].res), c[i].ud);
}

static void walkthrough(void) {
	struct io_uring r;
	init_sqpoll(&r, 4, 50);
	printf("ring flags SQPOLL: %s\n", r.flags & IORING_SETUP_SQPOLL ? "yes" : "no");

	// A write then a read through a pipe. io_uring_submit enters only
	// to wake the thread if it already went to sleep.
	int p[2];
	pipe(p);
	struct io_uring_sqe *sqe = get_sqe(&r);
	io_uring_prep_write(sqe, p[1], "hello", 5, 0);
	sqe->user_data = 1;
	submit_one(&r, "sqpoll pipe write");
	char buf[16] = {0};
	sqe = get_sqe(&r);
	io_uring_prep_read(sqe, p[0], buf, sizeof buf, 0);
	sqe->user_data = 2;
	submit_one(&r, "sqpoll pipe read");
	printf("read: \"%s\"\n", buf);

	// Idle for ten times sq_thread_idle: the thread has gone to sleep.
	pause_ms(500);
	printf("NEED_WAKEUP after 500 ms idle: %s\n", need_wakeup(&r) ? "set" : "clear");
	// Published while it sleeps, an SQE waits...
	sqe = get_sqe(&r);
	io_uring_prep_nop(sqe);
	sqe->user_data = 3;
	publish(&r);
	printf("SQEs waiting after publishing one: %u\n", io_uring_sq_ready(&r));
	printf("CQE within 300 ms without a wakeup: %s\n", cqe_ready(&r, 300) ? "yes" : "no");
	printf("SQ head moved: %s\n", IO_URING_READ_ONCE(*r.sq.khead) != r.sq.sqe_tail ? "no" : "yes");
	// ... until io_uring_enter wakes the thread. With SQPOLL enter
	// submits nothing itself and returns to_submit.
	show("enter SQ_WAKEUP, to_submit 0", enter_raw(r.ring_fd, 0, 0, IORING_ENTER_SQ_WAKEUP));
	printf("CQE within 10 s after the wakeup: %s\n", cqe_ready(&r, 10000) ? "yes" : "no");
	reap_one(&r, "nop submitted while asleep");
	show("enter to_submit 3 (nothing queued)", enter_raw(r.ring_fd, 3, 0, 0));

	// io_uring_submit wakes it (IORING_ENTER_SQ_WAKEUP) when it sleeps.
	pause_ms(500);
	printf("NEED_WAKEUP after 500 ms idle: %s\n", need_wakeup(&r) ? "set" : "clear");
	sqe = get_sqe(&r);
	io_uring_prep_write(sqe, p[1], "again", 5, 0);
	sqe->user_data = 4;
	submit_one(&r, "write submitted by io_uring_submit");
	memset(buf, 0, sizeof buf);
	read(p[0], buf, sizeof buf);
	printf("read(2): \"%s\"\n", buf);

	// IORING_ENTER_SQ_WAIT returns once the SQ ring has room: all four
	// slots are filled while the thread sleeps, then one enter wakes
	// it and waits.
	pause_ms(500);
	printf("NEED_WAKEUP after 500 ms idle: %s\n", need_wakeup(&r) ? "set" : "clear");
	for (int i = 0; i < 4; i++) {
		sqe = get_sqe(&r);
		io_uring_prep_nop(sqe);
		sqe->user_data = 10 + i;
	}
	publish(&r);
	printf("SQ space left: %u\n", io_uring_sq_space_left(&r));
	show("enter SQ_WAKEUP|SQ_WAIT", enter_raw(r.ring_fd, 0, 0, IORING_ENTER_SQ_WAKEUP | IORING_ENTER_SQ_WAIT));
	printf("SQ space after SQ_WAIT: %s\n", io_uring_sq_space_left(&r) > 0 ? "some" : "none");
	sort_show(&r, 4, "nop after SQ_WAIT");
	// SQ_WAIT with room returns at once.
	show("enter SQ_WAIT, ring empty", enter_raw(r.ring_fd, 0, 0, IORING_ENTER_SQ_WAIT));

	// GETEVENTS waits for CQEs the thread posts: a read that completes
	// when a child writes, 200 ms later.
	memset(buf, 0, sizeof buf);
	sqe = get_sqe(&r);
	io_uring_prep_read(sqe, p[0], buf, sizeof buf, 0);
	sqe->user_data = 20;
	pid_t pid = pfork();
	if (pid == 0) {
		pause_ms(200);
		write(p[1], "child", 5);
		_exit(0);
	}
	show("io_uring_submit_and_wait(1)", io_uring_submit_and_wait(&r, 1));
	reap_one(&r, "read the child's write");
	printf("read: \"%s\"\n", buf);
	reap("writer", pid);

	// Registered files work with SQPOLL too.
	int files[2] = {p[0], p[1]};
	LU(io_uring_register_files(&r, files, 2));
	fixed_io(&r, 1, 1, (void *)"fixed", 5, 0, 30, "write fixed file 1");
	memset(buf, 0, sizeof buf);
	fixed_io(&r, 0, 0, buf, sizeof buf, 0, 31, "read fixed file 0");
	printf("read: \"%s\"\n", buf);
	close(p[0]);
	close(p[1]);

	// Closing the ring stops its thread; a new one works.
	io_uring_queue_exit(&r);
	init_sqpoll(&r, 4, 50);
	sqe = get_sqe(&r);
	io_uring_prep_nop(sqe);
	sqe->user_data = 40;
	submit_one(&r, "nop on a second ring");
	io_uring_queue_exit(&r);
}

// kick publishes the queued SQEs and wakes the SQ thread if it sleeps,
// counting the wakeups: what io_uring_submit does on an SQPOLL ring.
static void kick(struct io_uring *r, long *wakeups) {
	publish(r);
	if (need_wakeup(r)) {
		(*wakeups)++;
		enter_raw(r->ring_fd, 0, 0, IORING_ENTER_SQ_WAKEUP);
	}
}

// owner_gone: the SQ thread is a thread of the process that made the
// ring and dies with it, when it exits or execs (io_sq_thread's way
// out): a ring passed on by fork keeps IORING_SQ_NEED_WAKEUP set, and
// io_uring_enter on it answers EOWNERDEAD. The maker forks a child that
// looks 300 ms after the maker exited or exec'd itself (argument
// "sleep": one second, then exit).
static void owner_gone(void) {
	static const char *how[] = {"exit", "execve"};
	for (int i = 0; i < 2; i++) {
		int sync[2];
		pipe(sync);
		pid_t maker = pfork();
		if (maker == 0) {
			close(sync[0]);
			struct io_uring r;
			init_sqpoll(&r, 4, 50);
			pid_t g = pfork();
			if (g == 0) {
				pause_ms(300);
				printf("after the maker's %s:\n", how[i]);
				show("  enter SQ_WAKEUP", enter_raw(r.ring_fd, 0, 0, IORING_ENTER_SQ_WAKEUP));
				printf("  NEED_WAKEUP: %s\n", need_wakeup(&r) ? "set" : "clear");
				io_uring_prep_nop(get_sqe(&r));
				printf("  io_uring_submit: %s\n", errno_str(io_uring_submit(&r)));
				fflush(stdout);
				_exit(0); // the last writer of sync goes
			}
			close(sync[1]);
			if (i == 1)
				execl("/proc/self/exe", "uring_sqpoll", "sleep", (char *)NULL);
			_exit(0);
		}
		close(sync[1]);
		char c;
		read(sync[0], &c, 1); // end of file: the child is done
		close(sync[0]);
		reap("maker", maker);
	}
}

// submit_spin submits the queued SQEs (kick) and waits for n CQEs
// without entering the kernel; it returns how many of them failed.
static long submit_spin(struct io_uring *r, unsigned n, long *wakeups) {
	kick(r, wakeups);
	while (io_uring_cq_ready(r) < n)
		sched_yield();
	long bad = 0;
	struct io_uring_cqe *cqe;
	unsigned head;
	io_uring_for_each_cqe(r, head, cqe) bad += cqe->res != 0;
	io_uring_cq_advance(r, n);
	return bad;
}

// nops submits n NOPs in batches of 32 on a ring whose thread stays
// awake for 2 s without work, and reaps them from the CQ ring without
// io_uring_wait_cqe (which may enter the kernel). The program enters
// only to wake the thread, and counts those wakeups: once perhaps for
// a first NOP (Linux's SQ thread sleeps as soon as it starts if there
// is no work, io_sq_thread's timeout starting at 0), then never while
// the NOPs keep it busy.
static int nops(long n) {
	enum { batch = 32, entries = 256 };
	struct io_uring r;
	init_sqpoll(&r, entries, 2000);
	unsigned char *seen = calloc(n, 1);
	long submitted = 0, reaped = 0, wakeups = 0, bad = 0, spins = 0, warmup = 0;
	io_uring_prep_nop(get_sqe(&r));
	bad += submit_spin(&r, 1, &warmup);
	while (reaped < n) {
		// At most entries requests in flight: the CQ ring (2 x entries)
		// never overflows.
		if (submitted < n && submitted - reaped <= entries - batch && io_uring_sq_space_left(&r) >= batch) {
			for (int i = 0; i < batch && submitted < n; i++, submitted++) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&r);
				io_uring_prep_nop(sqe);
				sqe->user_data = submitted;
			}
			kick(&r, &wakeups);
		}
		struct io_uring_cqe *cqe;
		unsigned head, got = 0;
		io_uring_for_each_cqe(&r, head, cqe) {
			if (cqe->res != 0 || cqe->user_data >= (unsigned long long)n || seen[cqe->user_data]++)
				bad++;
			got++;
		}
		if (got) {
			io_uring_cq_advance(&r, got);
			reaped += got;
			spins = 0;
		} else if (++spins % 1024 == 0) {
			// Let the SQ thread run if it shares this CPU.
			sched_yield();
		}
	}
	printf("nops: submitted %ld, reaped %ld, bad %ld\n", submitted, reaped, bad);
	printf("nops warm-up wakeups: %ld\n", warmup);
	printf("nops wakeups: %ld\n", wakeups);
	printf("nops CQ overflow: %u\n", *r.cq.koverflow);
	io_uring_queue_exit(&r);
	free(seen);
	return bad != 0 || reaped != n;
}

int main(int argc, char **argv) {
	setbuf(stdout, NULL);
	if (argc > 2 && strcmp(argv[1], "nops") == 0)
		return nops(atol(argv[2]));
	if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
		pause_ms(1000);
		return 0;
	}
	setup_checks();
	walkthrough();
	owner_gone();
	return 0;
}
