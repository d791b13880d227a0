// io_uring without SQPOLL: io_uring_setup's checks made through the raw
// system call, the ring layout and feature bits, then through liburing
// the plain, vectored, fixed-buffer and fixed-file reads and writes, the
// registered eventfd, the probe, io_uring_enter's checks and waits, and a
// ring shared with a forked child.
#include "check.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/uio.h>

static long setup_raw(unsigned entries, struct io_uring_params *p) {
	return syscall(__NR_io_uring_setup, entries, p);
}

// try_setup calls io_uring_setup(entries, p) and prints its result and,
// when it made a ring, the sizes it chose; the ring is closed again.
static void try_setup(const char *what, unsigned entries, struct io_uring_params *p) {
	long fd = setup_raw(entries, p);
	if (fd < 0) {
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: ok, sq_entries %u, cq_entries %u\n", what, p->sq_entries, p->cq_entries);
	close(fd);
}

// setup_checks follows io_uring_setup (io_uring/io_uring.c): the params
// are copied in (EFAULT), resv must be zero, then io_uring_sanitise_params
// (unknown flags, flag combinations) and io_uring_fill_params (entries
// rounded up to a power of two, IORING_MAX_ENTRIES = 32768 and
// IORING_MAX_CQ_ENTRIES = 65536 unless IORING_SETUP_CLAMP, CQSIZE), and
// io_sq_offload_create (SQ_AFF, ATTACH_WQ).
static void setup_checks(void) {
	// wq_fd: WQ_NONE leaves it 0, WQ_PLAIN and WQ_SQPOLL name a ring
	// made for the purpose, without and with SQPOLL.
	enum { WQ_NONE = -1, WQ_PLAIN = -2, WQ_SQPOLL = -3 };
	static const struct {
		const char *what;
		unsigned entries, flags, cq;
		int wq;     // a descriptor, or WQ_*
		int resv;   // 1 + the index of a reserved word set to 1
		int output; // the output fields set too (ignored)
	} cases[] = {
	    {"setup entries 0", 0, 0, 0, WQ_NONE, 0, 0},
	    {"setup entries 1", 1, 0, 0, WQ_NONE, 0, 0},
	    {"setup entries 3", 3, 0, 0, WQ_NONE, 0, 0},
	    {"setup entries 100", 100, 0, 0, WQ_NONE, 0, 0},
	    {"setup entries 32768", 32768, 0, 0, WQ_NONE, 0, 0},
	    {"setup entries 32769", 32769, 0, 0, WQ_NONE, 0, 0},
	    {"setup entries 32769 CLAMP", 32769, IORING_SETUP_CLAMP, 0, WQ_NONE, 0, 0},
	    {"setup entries 1<<31 CLAMP", 1u << 31, IORING_SETUP_CLAMP, 0, WQ_NONE, 0, 0},
	    {"setup 4 CQSIZE 5", 4, IORING_SETUP_CQSIZE, 5, WQ_NONE, 0, 0},
	    {"setup 4 CQSIZE 4", 4, IORING_SETUP_CQSIZE, 4, WQ_NONE, 0, 0},
	    {"setup 4 CQSIZE 2", 4, IORING_SETUP_CQSIZE, 2, WQ_NONE, 0, 0},
	    {"setup 3 CQSIZE 3", 3, IORING_SETUP_CQSIZE, 3, WQ_NONE, 0, 0},
	    {"setup 4 CQSIZE 0", 4, IORING_SETUP_CQSIZE, 0, WQ_NONE, 0, 0},
	    {"setup 4 CQSIZE 65537", 4, IORING_SETUP_CQSIZE, 65537, WQ_NONE, 0, 0},
	    {"setup 4 CQSIZE 65537 CLAMP", 4, IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, 65537, WQ_NONE, 0, 0},
	    {"setup 4 cq_entries 5 without CQSIZE", 4, 0, 5, WQ_NONE, 0, 0},
	    {"setup flag bit 31", 4, 1u << 31, 0, WQ_NONE, 0, 0},
	    {"setup resv[0] 1", 4, 0, 0, WQ_NONE, 1, 0},
	    {"setup resv[2] 1", 4, 0, 0, WQ_NONE, 3, 0},
	    {"setup features and sq_off set", 4, 0, 0, WQ_NONE, 0, 1},
	    {"setup SQ_AFF without SQPOLL", 4, IORING_SETUP_SQ_AFF, 0, WQ_NONE, 0, 0},
	    {"setup SQPOLL|COOP_TASKRUN", 4, IORING_SETUP_SQPOLL | IORING_SETUP_COOP_TASKRUN, 0, WQ_NONE, 0, 0},
	    {"setup TASKRUN_FLAG alone", 4, IORING_SETUP_TASKRUN_FLAG, 0, WQ_NONE, 0, 0},
	    {"setup TASKRUN_FLAG|COOP_TASKRUN", 4, IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_COOP_TASKRUN, 0, WQ_NONE, 0,
	     0},
	    {"setup DEFER_TASKRUN alone", 4, IORING_SETUP_DEFER_TASKRUN, 0, WQ_NONE, 0, 0},
	    {"setup DEFER_TASKRUN|SINGLE_ISSUER", 4, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER, 0, WQ_NONE,
	     0, 0},
	    {"setup SUBMIT_ALL", 4, IORING_SETUP_SUBMIT_ALL, 0, WQ_NONE, 0, 0},
	    // ATTACH_WQ (io_sq_offload_create): wq_fd must be a ring (ENXIO
	    // for no descriptor, EINVAL for another file); with SQPOLL, a
	    // ring with an SQ thread to share.
	    {"setup ATTACH_WQ wq_fd 9999", 4, IORING_SETUP_ATTACH_WQ, 0, 9999, 0, 0},
	    {"setup ATTACH_WQ wq_fd stdin", 4, IORING_SETUP_ATTACH_WQ, 0, 0, 0, 0},
	    {"setup SQPOLL|ATTACH_WQ wq_fd 9999", 4, IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ, 0, 9999, 0, 0},
	    {"setup SQPOLL|ATTACH_WQ wq_fd stdin", 4, IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ, 0, 0, 0, 0},
	    {"setup SQPOLL|ATTACH_WQ to a ring without SQPOLL", 4, IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ, 0,
	     WQ_PLAIN, 0, 0},
	    {"setup ATTACH_WQ to a ring", 4, IORING_SETUP_ATTACH_WQ, 0, WQ_PLAIN, 0, 0},
	    {"setup SQPOLL|ATTACH_WQ to an SQPOLL ring", 4, IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ, 0, WQ_SQPOLL,
	     0, 0},
	};
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	long plain = setup_raw(4, &p);
	memset(&p, 0, sizeof p);
	p.flags = IORING_SETUP_SQPOLL;
	long sq = setup_raw(4, &p);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&p, 0, sizeof p);
		p.flags = cases[i].flags;
		p.cq_entries = cases[i].cq;
		p.wq_fd = cases[i].wq == WQ_PLAIN ? plain : cases[i].wq == WQ_SQPOLL ? sq : cases[i].wq == WQ_NONE ? 0 : cases[i].wq;
		if (cases[i].resv)
			p.resv[cases[i].resv - 1] = 1;
		if (cases[i].output) {
			p.features = 0xffffffff;
			p.sq_off.head = 12345;
		}
		try_setup(cases[i].what, cases[i].entries, &p);
	}
	close(plain);
	close(sq);

	show("setup params NULL", setup_raw(4, NULL));
	show("setup params kernel", setup_raw(4, KERNEL_PTR));
	// A bad pointer is found before a bad entry count: the params are
	// copied in first.
	show("setup entries 0 params NULL", setup_raw(0, NULL));
	// Params in read-only memory: copied in, then the copy out fails,
	// after the ring was made (and torn down again).
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show("setup params read-only", setup_raw(4, ro));
	munmap(ro, 4096);
}

// layout prints the ring offsets io_uring_fill_params gives: those of
// the fields of Linux's struct io_rings, which oyako's ring mirrors, and
// sq_off.array, the first cache line (64 bytes) after the CQEs.
static void layout(unsigned entries) {
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	long fd = setup_raw(entries, &p);
	if (fd < 0) {
		show("layout setup", fd);
		return;
	}
	printf("layout %u: sq_off head %u tail %u ring_mask %u ring_entries %u flags %u dropped %u array %u\n", entries,
	       p.sq_off.head, p.sq_off.tail, p.sq_off.ring_mask, p.sq_off.ring_entries, p.sq_off.flags, p.sq_off.dropped,
	       p.sq_off.array);
	printf("layout %u: cq_off head %u tail %u ring_mask %u ring_entries %u overflow %u cqes %u flags %u\n", entries,
	       p.cq_off.head, p.cq_off.tail, p.cq_off.ring_mask, p.cq_off.ring_entries, p.cq_off.overflow,
	       p.cq_off.cqes, p.cq_off.flags);
	printf("layout %u: resv %u %u %u %llu %llu\n", entries, p.sq_off.resv1, p.cq_off.resv1, p.resv[0],
	       (unsigned long long)p.sq_off.resv2, (unsigned long long)p.cq_off.resv2);
	// The rings are one mapping (IORING_FEAT_SINGLE_MMAP): liburing maps
	// the larger of the two sizes at IORING_OFF_SQ_RING.
	size_t sqsz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cqsz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	size_t sz = sqsz > cqsz ? sqsz : cqsz;
	unsigned *rings = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	if (rings == MAP_FAILED) {
		show("layout mmap", -1);
	} else {
		printf("layout %u: sq ring_mask %u ring_entries %u, cq ring_mask %u ring_entries %u\n", entries,
		       rings[p.sq_off.ring_mask / 4], rings[p.sq_off.ring_entries / 4], rings[p.cq_off.ring_mask / 4],
		       rings[p.cq_off.ring_entries / 4]);
		printf("layout %u: sq head %u tail %u flags %u dropped %u, cq head %u tail %u overflow %u flags %u\n",
		       entries, rings[p.sq_off.head / 4], rings[p.sq_off.tail / 4], rings[p.sq_off.flags / 4],
		       rings[p.sq_off.dropped / 4], rings[p.cq_off.head / 4], rings[p.cq_off.tail / 4],
		       rings[p.cq_off.overflow / 4], rings[p.cq_off.flags / 4]);
		munmap(rings, sz);
	}
	// The SQE array is its own mapping.
	void *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	printf("layout %u: mmap IORING_OFF_SQES: %s\n", entries, sqes == MAP_FAILED ? strerrorname_np(errno) : "ok");
	if (sqes != MAP_FAILED)
		munmap(sqes, p.sq_entries * sizeof(struct io_uring_sqe));
	close(fd);
}

static void features(void) {
	static const struct {
		unsigned bit;
		const char *name;
	} feats[] = {
	    {IORING_FEAT_SINGLE_MMAP, "SINGLE_MMAP"},
	    {IORING_FEAT_NODROP, "NODROP"},
	    {IORING_FEAT_SUBMIT_STABLE, "SUBMIT_STABLE"},
	    {IORING_FEAT_RW_CUR_POS, "RW_CUR_POS"},
	    {IORING_FEAT_CUR_PERSONALITY, "CUR_PERSONALITY"},
	    {IORING_FEAT_FAST_POLL, "FAST_POLL"},
	    {IORING_FEAT_POLL_32BITS, "POLL_32BITS"},
	    {IORING_FEAT_SQPOLL_NONFIXED, "SQPOLL_NONFIXED"},
	    {IORING_FEAT_EXT_ARG, "EXT_ARG"},
	    {IORING_FEAT_NATIVE_WORKERS, "NATIVE_WORKERS"},
	    {IORING_FEAT_RSRC_TAGS, "RSRC_TAGS"},
	    {IORING_FEAT_CQE_SKIP, "CQE_SKIP"},
	    {IORING_FEAT_LINKED_FILE, "LINKED_FILE"},
	};
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	long fd = setup_raw(4, &p);
	if (fd < 0) {
		show("features setup", fd);
		return;
	}
	for (size_t i = 0; i < sizeof feats / sizeof feats[0]; i++)
		printf("feature %s: %s\n", feats[i].name, p.features & feats[i].bit ? "yes" : "no");
	close(fd);
}

static struct io_uring ring;

static void init_ring(struct io_uring *r, unsigned entries) {
	int e = io_uring_queue_init(entries, r, 0);
	if (e < 0) {
		printf("io_uring_queue_init: %s\n", errno_str(e));
		exit(1);
	}
}

// nops: NOP round trips user_data; an opcode Linux does not know, an SQE
// flag it does not know and a bad descriptor complete with an error.
static void nops(void) {
	struct io_uring_sqe *sqe = get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 0x1234567890abcdefULL;
	submit_one(&ring, "nop");

	sqe = get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->opcode = 250;
	sqe->user_data = 2;
	submit_one(&ring, "opcode 250");

	sqe = get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->flags = 0x80; // no such IOSQE_ flag
	sqe->user_data = 3;
	submit_one(&ring, "nop flags 0x80");

	char buf[8];
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, 9999, buf, sizeof buf, 0);
	sqe->user_data = 4;
	submit_one(&ring, "read fd 9999");

	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, -1, buf, sizeof buf, 0);
	sqe->user_data = 5;
	submit_one(&ring, "read fd -1");

	// Three NOPs in one submission complete in order.
	for (int i = 0; i < 3; i++) {
		sqe = get_sqe(&ring);
		io_uring_prep_nop(sqe);
		sqe->user_data = 10 + i;
	}
	LU(io_uring_submit(&ring));
	for (int i = 0; i < 3; i++)
		reap_one(&ring, "nop batch");
}

// rw reads and writes a regular file at offsets and at offset -1, the
// file position (IORING_FEAT_RW_CUR_POS), and through iovecs.
static void rw(void) {
	int fd = open("tmp/uring_basic.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0) {
		show("open", fd);
		return;
	}
	char buf[64];
	struct io_uring_sqe *sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, fd, "hello world", 11, 0);
	sqe->user_data = 20;
	submit_one(&ring, "write at 0");
	printf("position after write at 0: %ld\n", (long)lseek(fd, 0, SEEK_CUR));

	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, fd, "XY", 2, 20);
	sqe->user_data = 21;
	submit_one(&ring, "write at 20");
	struct stat st;
	fstat(fd, &st);
	printf("size after write at 20: %ld\n", (long)st.st_size);

	memset(buf, 0, sizeof buf);
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 5, 6);
	sqe->user_data = 22;
	submit_one(&ring, "read 5 at 6");
	printf("read: \"%s\"\n", buf);

	memset(buf, 0, sizeof buf);
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof buf, 100);
	sqe->user_data = 23;
	submit_one(&ring, "read at 100 (past the end)");

	// Offset -1: the file position, which advances.
	lseek(fd, 0, SEEK_SET);
	memset(buf, 0, sizeof buf);
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 6, -1);
	sqe->user_data = 24;
	submit_one(&ring, "read 6 at -1");
	printf("read: \"%s\", position %ld\n", buf, (long)lseek(fd, 0, SEEK_CUR));
	memset(buf, 0, sizeof buf);
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 5, -1);
	sqe->user_data = 25;
	submit_one(&ring, "read 5 at -1");
	printf("read: \"%s\", position %ld\n", buf, (long)lseek(fd, 0, SEEK_CUR));
	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, fd, "!!", 2, -1);
	sqe->user_data = 26;
	submit_one(&ring, "write 2 at -1");
	printf("position %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	// Offsets below -1 are refused.
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 5, -2);
	sqe->user_data = 27;
	submit_one(&ring, "read at -2");

	// O_APPEND: a write at an offset goes to the end.
	int afd = open("tmp/uring_basic.dat", O_WRONLY | O_APPEND);
	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, afd, "END", 3, 0);
	sqe->user_data = 28;
	submit_one(&ring, "write 3 at 0 with O_APPEND");
	// So does pwrite(2) (pwrite(2), BUGS).
	show("pwrite(2) 3 at 0 with O_APPEND", pwrite(afd, "PWR", 3, 0));
	close(afd);
	fstat(fd, &st);
	printf("size: %ld\n", (long)st.st_size);

	// rw_flags are preadv2's RWF_ flags: RWF_APPEND appends and
	// RWF_NOAPPEND does not, RWF_HIPRI needs an IOPOLL ring, unknown
	// ones are refused, and so are RWF_ATOMIC, RWF_DONTCACHE and
	// RWF_NOWAIT on tmpfs (the native side runs on tmpfs).
	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, fd, "APP", 3, 0);
	sqe->rw_flags = RWF_APPEND;
	sqe->user_data = 29;
	submit_one(&ring, "write 3 at 0 with RWF_APPEND");
	fstat(fd, &st);
	printf("size: %ld\n", (long)st.st_size);
	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, fd, "x", 1, 0);
	sqe->rw_flags = RWF_HIPRI;
	sqe->user_data = 29;
	submit_one(&ring, "write with RWF_HIPRI");
	afd = open("tmp/uring_basic.dat", O_WRONLY | O_APPEND);
	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, afd, "no", 2, 0);
	sqe->rw_flags = RWF_NOAPPEND;
	sqe->user_data = 29;
	submit_one(&ring, "write 2 at 0 with O_APPEND and RWF_NOAPPEND");
	close(afd);
	fstat(fd, &st);
	printf("size: %ld\n", (long)st.st_size);
	pread(fd, buf, 2, 0);
	printf("at 0: \"%.2s\"\n", buf);
	pwrite(fd, "he", 2, 0);
	static const struct {
		int flags;
		const char *name;
	} rwf[] = {{0x40000000, "0x40000000"}, {0x40, "RWF_ATOMIC"}, {0x80, "RWF_DONTCACHE"}, {RWF_NOWAIT, "RWF_NOWAIT"}};
	for (size_t i = 0; i < sizeof rwf / sizeof rwf[0]; i++) {
		char what[64];
		sqe = get_sqe(&ring);
		io_uring_prep_read(sqe, fd, buf, 2, 0);
		sqe->rw_flags = rwf[i].flags;
		sqe->user_data = 29;
		snprintf(what, sizeof what, "read with %s", rwf[i].name);
		submit_one(&ring, what);
		sqe = get_sqe(&ring);
		io_uring_prep_write(sqe, fd, "he", 2, 0);
		sqe->rw_flags = rwf[i].flags;
		sqe->user_data = 29;
		snprintf(what, sizeof what, "write with %s", rwf[i].name);
		submit_one(&ring, what);
	}

	// Vectored.
	char a[4] = {0}, b[8] = {0};
	struct iovec riov[2] = {{a, 3}, {b, 7}};
	sqe = get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, riov, 2, 0);
	sqe->user_data = 30;
	submit_one(&ring, "readv 3+7 at 0");
	printf("readv: \"%s\" \"%s\"\n", a, b);
	struct iovec wiov[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
	sqe = get_sqe(&ring);
	io_uring_prep_writev(sqe, fd, wiov, 3, 2);
	sqe->user_data = 31;
	submit_one(&ring, "writev 2+0+3 at 2");
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 11, 0);
	printf("file: \"%s\"\n", buf);
	sqe = get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, riov, 0, 0);
	sqe->user_data = 32;
	submit_one(&ring, "readv of 0 iovecs");
	sqe = get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, riov, 1025, 0);
	sqe->user_data = 33;
	submit_one(&ring, "readv of 1025 iovecs");
	sqe = get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, KERNEL_PTR, 1, 0);
	sqe->user_data = 34;
	submit_one(&ring, "readv iovecs at a kernel address");
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, fd, KERNEL_PTR, 4, 0);
	sqe->user_data = 35;
	submit_one(&ring, "read into a kernel address");
	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, fd, NULL, 4, 0);
	sqe->user_data = 36;
	submit_one(&ring, "write from NULL");

	// Opened for reading only: writing is EBADF (and the reverse).
	int rfd = open("tmp/uring_basic.dat", O_RDONLY);
	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, rfd, "x", 1, 0);
	sqe->user_data = 37;
	submit_one(&ring, "write on O_RDONLY");
	close(rfd);
	int wfd = open("tmp/uring_basic.dat", O_WRONLY);
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, wfd, buf, 1, 0);
	sqe->user_data = 38;
	submit_one(&ring, "read on O_WRONLY");
	close(wfd);
	// A directory.
	int dfd = open("tmp", O_RDONLY | O_DIRECTORY);
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, dfd, buf, 1, 0);
	sqe->user_data = 39;
	submit_one(&ring, "read on a directory");
	close(dfd);
	close(fd);
	unlink("tmp/uring_basic.dat");
}

// pipes: a write and a read through a pipe, and a read on an empty pipe
// that completes when data comes (asynchronously: the submit returns).
static void pipes(void) {
	int p[2];
	pipe(p);
	char buf[16] = {0};
	struct io_uring_sqe *sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, p[1], "pipe!", 5, 0);
	sqe->user_data = 40;
	submit_one(&ring, "pipe write");
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof buf, 0);
	sqe->user_data = 41;
	submit_one(&ring, "pipe read");
	printf("pipe read: \"%s\"\n", buf);

	memset(buf, 0, sizeof buf);
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof buf, -1);
	sqe->user_data = 42;
	LU(io_uring_submit(&ring));
	struct io_uring_cqe *cqe;
	LU(io_uring_peek_cqe(&ring, &cqe));
	show("write(2) to the pipe", write(p[1], "late", 4));
	reap_one(&ring, "pipe read before the data");
	printf("pipe read: \"%s\"\n", buf);

	// buf_index means something only to the fixed forms.
	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, p[1], "b", 1, 0);
	sqe->buf_index = 3;
	sqe->user_data = 49;
	submit_one(&ring, "pipe write with buf_index 3");
	read(p[0], buf, 1);
	// A pipe has no position: any offset is ignored.
	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, p[1], "x", 1, 5);
	sqe->user_data = 43;
	submit_one(&ring, "pipe write at 5");
	// The reading end is not writable.
	sqe = get_sqe(&ring);
	io_uring_prep_write(sqe, p[0], "x", 1, 0);
	sqe->user_data = 44;
	submit_one(&ring, "write to the reading end");
	// RWF_NOWAIT: an empty pipe is EAGAIN instead of a wait.
	char one;
	read(p[0], &one, 1); // the byte written at "offset 5"
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof buf, 0);
	sqe->rw_flags = RWF_NOWAIT;
	sqe->user_data = 47;
	submit_one(&ring, "pipe read with RWF_NOWAIT, empty");
	write(p[1], "x", 1);
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof buf, 0);
	sqe->rw_flags = RWF_NOWAIT;
	sqe->user_data = 48;
	submit_one(&ring, "pipe read with RWF_NOWAIT, one byte");
	write(p[1], "x", 1);

	// End of file once the writer is gone (after the byte written).
	close(p[1]);
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof buf, 0);
	sqe->user_data = 45;
	submit_one(&ring, "pipe read after the writer closed");
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof buf, 0);
	sqe->user_data = 46;
	submit_one(&ring, "pipe read at EOF");
	close(p[0]);

	// No reader: EPIPE, and SIGPIPE for a write issued by the submitter
	// itself (inline), none with RWF_NOSIGNAL or from an io_uring worker
	// (IOSQE_ASYNC), which is not the process's thread.
	pipe(p);
	close(p[0]);
	catch_sigpipe(1);
	static const struct {
		int flags, rwf;
		const char *what;
	} sp[] = {{0, 0, "write to a pipe without reader"},
		  {0, 0x100 /* RWF_NOSIGNAL */, "write to a pipe without reader, RWF_NOSIGNAL"},
		  {IOSQE_ASYNC, 0, "write to a pipe without reader, IOSQE_ASYNC"}};
	for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
		sqe = get_sqe(&ring);
		io_uring_prep_write(sqe, p[1], "x", 1, 0);
		sqe->flags |= sp[i].flags;
		sqe->rw_flags = sp[i].rwf;
		sqe->user_data = 49;
		sigpipes = 0;
		submit_one(&ring, sp[i].what);
		printf("SIGPIPEs: %d\n", sigpipes);
	}
	catch_sigpipe(0);
	close(p[1]);
}

// fixed_buffers: READ_FIXED and WRITE_FIXED through registered buffers
// (io_uring/rsrc.c).
static void fixed_buffers(void) {
	static char bufs[2][4096] __attribute__((aligned(4096)));
	struct iovec iov[2] = {{bufs[0], 4096}, {bufs[1], 4096}};
	int fd = open("tmp/uring_fixed.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);

	LU(io_uring_register_buffers(&ring, iov, 0));
	LU(io_uring_unregister_buffers(&ring));
	LU(io_uring_register_buffers(&ring, iov, 2));
	LU(io_uring_register_buffers(&ring, iov, 2));

	strcpy(bufs[0], "fixed buffer data");
	struct io_uring_sqe *sqe = get_sqe(&ring);
	io_uring_prep_write_fixed(sqe, fd, bufs[0], 17, 0, 0);
	sqe->user_data = 50;
	submit_one(&ring, "write_fixed buf 0");
	sqe = get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[1] + 100, 5, 6, 1);
	sqe->user_data = 51;
	submit_one(&ring, "read_fixed buf 1 at +100");
	printf("read_fixed: \"%.5s\"\n", bufs[1] + 100);
	sqe = get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[1], 5, 0, 2);
	sqe->user_data = 52;
	submit_one(&ring, "read_fixed buf index 2");
	sqe = get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[1] + 4090, 100, 0, 1);
	sqe->user_data = 53;
	submit_one(&ring, "read_fixed past the buffer's end");
	sqe = get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0], 5, 0, 1);
	sqe->user_data = 54;
	submit_one(&ring, "read_fixed address of another buffer");
	sqe = get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[1] + 4096, 0, 0, 1);
	sqe->user_data = 55;
	submit_one(&ring, "read_fixed 0 bytes at the buffer's end");

	LU(io_uring_unregister_buffers(&ring));
	LU(io_uring_unregister_buffers(&ring));
	sqe = get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[1], 5, 0, 1);
	sqe->user_data = 56;
	submit_one(&ring, "read_fixed after unregister");

	// What register checks: the iovecs, their lengths and addresses.
	struct iovec big = {bufs[0], (1UL << 30) + 1};
	LU(io_uring_register_buffers(&ring, &big, 1));
	struct iovec unmapped = {(void *)0x10000, 4096};
	LU(io_uring_register_buffers(&ring, &unmapped, 1));
	struct iovec nullbase = {NULL, 4096};
	LU(io_uring_register_buffers(&ring, &nullbase, 1));
	struct iovec empty = {bufs[0], 0};
	LU(io_uring_register_buffers(&ring, &empty, 1));
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_BUFFERS, KERNEL_PTR, 1));
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_BUFFERS, NULL, 1));
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_BUFFERS, iov, 16385));
	// Every page must be mapped and writable (Linux pins them for
	// writing).
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec three = {m, 3 * 4096};
	LU(io_uring_register_buffers(&ring, &three, 1));
	LU(io_uring_unregister_buffers(&ring));
	mprotect(m + 4096, 4096, PROT_READ);
	printf("middle page read-only: ");
	LU(io_uring_register_buffers(&ring, &three, 1));
	mprotect(m + 4096, 4096, PROT_NONE);
	printf("middle page PROT_NONE: ");
	LU(io_uring_register_buffers(&ring, &three, 1));
	munmap(m + 4096, 4096);
	printf("middle page unmapped: ");
	LU(io_uring_register_buffers(&ring, &three, 1));
	struct iovec last = {m + 2 * 4096, 4096};
	LU(io_uring_register_buffers(&ring, &last, 1));
	LU(io_uring_unregister_buffers(&ring));
	munmap(m, 3 * 4096);
	struct iovec wrap = {(void *)-4096L, 4096};
	LU(io_uring_register_buffers(&ring, &wrap, 1));
	close(fd);
	unlink("tmp/uring_fixed.dat");
}

// fixed_files: IOSQE_FIXED_FILE indexes the registered file table;
// updates replace and remove entries; -1 leaves a slot empty.
static void fixed_files(void) {
	int p[2];
	pipe(p);
	int fd = open("tmp/uring_files.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, "file data", 9);
	char buf[16];

	LU(io_uring_unregister_files(&ring));
	int none[1] = {-1};
	LU(io_uring_register_files(&ring, none, 0));
	int bad[2] = {p[0], 9999};
	LU(io_uring_register_files(&ring, bad, 2));
	int badneg[1] = {-2};
	LU(io_uring_register_files(&ring, badneg, 1));
	int files[4] = {p[0], p[1], -1, fd};
	LU(io_uring_register_files(&ring, files, 4));
	LU(io_uring_register_files(&ring, files, 4));

	fixed_io(&ring, 1, 1, (void *)"fixed", 5, 0, 60, "write fixed file 1 (pipe)");
	memset(buf, 0, sizeof buf);
	fixed_io(&ring, 0, 0, buf, sizeof buf, 0, 61, "read fixed file 0 (pipe)");
	printf("read: \"%s\"\n", buf);
	memset(buf, 0, sizeof buf);
	fixed_io(&ring, 0, 3, buf, 4, 5, 62, "read fixed file 3 (file) at 5");
	printf("read: \"%s\"\n", buf);
	fixed_io(&ring, 0, 2, buf, 4, 0, 63, "read fixed file 2 (empty slot)");
	fixed_io(&ring, 0, 4, buf, 4, 0, 64, "read fixed file 4 (past the table)");
	fixed_io(&ring, 0, -1, buf, 4, 0, 65, "read fixed file -1");

	// The table holds its own references: closing the descriptor does
	// not close the file.
	int dupfd = dup(fd);
	int upd[1] = {dupfd};
	LU(io_uring_register_files_update(&ring, 2, upd, 1));
	close(dupfd);
	memset(buf, 0, sizeof buf);
	fixed_io(&ring, 0, 2, buf, 4, 0, 66, "read fixed file 2 after update (descriptor closed)");
	printf("read: \"%s\"\n", buf);
	int rm[1] = {-1};
	LU(io_uring_register_files_update(&ring, 3, rm, 1));
	fixed_io(&ring, 0, 3, buf, 4, 0, 67, "read fixed file 3 after removal");
	int two[2] = {fd, fd};
	LU(io_uring_register_files_update(&ring, 3, two, 2));
	LU(io_uring_register_files_update(&ring, 4, two, 1));
	int badupd[1] = {9999};
	LU(io_uring_register_files_update(&ring, 0, badupd, 1));
	// The ring itself cannot be in its own table.
	int self[1] = {ring.ring_fd};
	LU(io_uring_register_files_update(&ring, 0, self, 1));
	// IORING_REGISTER_FILES_SKIP leaves a slot as it is.
	int keep[1] = {IORING_REGISTER_FILES_SKIP};
	LU(io_uring_register_files_update(&ring, 0, keep, 1));

	LU(io_uring_unregister_files(&ring));
	fixed_io(&ring, 0, 0, buf, 4, 0, 68, "read fixed file 0 after unregister");
	LU(io_uring_register_files_update(&ring, 0, two, 1));

	// Sparse: a table of empty slots, filled by update.
	LU(io_uring_register_files_sparse(&ring, 8));
	int fill[1] = {fd};
	LU(io_uring_register_files_update(&ring, 7, fill, 1));
	memset(buf, 0, sizeof buf);
	fixed_io(&ring, 0, 7, buf, 4, 0, 69, "read sparse fixed file 7");
	printf("read: \"%s\"\n", buf);
	fixed_io(&ring, 0, 6, buf, 4, 0, 70, "read sparse fixed file 6 (empty)");
	LU(io_uring_unregister_files(&ring));

	close(p[0]);
	close(p[1]);
	close(fd);
	unlink("tmp/uring_files.dat");
}

// reap_sorted takes the CQEs that are there without waiting and prints
// them sorted by user_data, after "what".
static void reap_sorted(const char *what) {
	struct cqe_copy c[32];
	unsigned n = take_sorted(&ring, 0, c, 32);
	printf("%s: %u CQEs", what, n);
	for (unsigned i = 0; i < n && i < 32; i++)
		printf(" (%llu: %s)", c[i].ud, errno_str(c[i].res));
	printf("\n");
}

// tags: IORING_FEAT_RSRC_TAGS. A registered file or buffer with a tag
// posts a CQE with the tag as user_data (res 0) once it has left the
// table (update, unregister) and no request still uses it.
static void tags(void) {
	int p[2];
	pipe(p);
	int fd = open("tmp/uring_tags.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
	int files[3] = {p[0], p[1], -1};
	__u64 ftags[3] = {1001, 1002, 0};
	LU(io_uring_register_files_tags(&ring, files, ftags, 3));
	reap_sorted("after registering");
	__u64 badtags[3] = {1001, 1002, 1003};
	LU(io_uring_unregister_files(&ring));
	reap_sorted("after unregistering");
	LU(io_uring_register_files_tags(&ring, files, badtags, 3));
	LU(io_uring_register_files_tags(&ring, files, ftags, 3));

	// A read of slot 0 waits on the empty pipe, holding the file: the
	// slot's tag comes only when the read is done.
	char buf[8];
	struct io_uring_sqe *sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, 0, buf, sizeof buf, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 110;
	LU(io_uring_submit(&ring));
	int none[1] = {-1};
	LU(io_uring_register_files_update(&ring, 0, none, 1));
	reap_sorted("slot 0 emptied while a read uses it");
	write(p[1], "t", 1);
	struct io_uring_cqe *cqe;
	io_uring_wait_cqe(&ring, &cqe);
	pause_ms(50);
	reap_sorted("after the read completed");

	// Replacing a tagged slot, with a tag or without.
	int one[1] = {fd};
	__u64 t3[1] = {1003};
	LU(io_uring_register_files_update_tag(&ring, 1, one, t3, 1));
	reap_sorted("slot 1 replaced");
	LU(io_uring_register_files_update_tag(&ring, 2, none, t3, 1));
	LU(io_uring_register_files_update(&ring, 1, one, 1));
	reap_sorted("slot 1 replaced without a tag");
	LU(io_uring_register_files_update_tag(&ring, 2, one, t3, 1));
	LU(io_uring_unregister_files(&ring));
	reap_sorted("after unregistering");

	// Buffers.
	static char bufs[2][64];
	struct iovec iov[2] = {{bufs[0], 64}, {bufs[1], 64}};
	__u64 btags[2] = {2001, 2002};
	LU(io_uring_register_buffers_tags(&ring, iov, btags, 2));
	__u64 bt3[1] = {2003};
	LU(io_uring_register_buffers_update_tag(&ring, 0, iov, bt3, 1));
	reap_sorted("buffer 0 replaced");
	struct iovec empty = {NULL, 0};
	LU(io_uring_register_buffers_update_tag(&ring, 1, &empty, bt3, 1));
	LU(io_uring_register_buffers_update_tag(&ring, 1, &empty, NULL, 1));
	reap_sorted("buffer 1 emptied");
	LU(io_uring_unregister_buffers(&ring));
	reap_sorted("after unregistering");
	close(p[0]);
	close(p[1]);
	close(fd);
	unlink("tmp/uring_tags.dat");
}

// rsrc2: the structured forms of registration (IORING_REGISTER_FILES2,
// BUFFERS2, FILES_UPDATE2, BUFFERS_UPDATE: io_register_rsrc and
// io_register_rsrc_update check the size, nr, flags and reserved
// fields), sparse buffer tables, the plain update's checks, and
// IORING_REGISTER_IOWQ_MAX_WORKERS.
static void rsrc2(void) {
	int fd = open("tmp/uring_rsrc2.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, "rsrc2 data", 10);
	int fds[2] = {fd, -1};
	struct io_uring_rsrc_register rr = {.nr = 2, .data = (unsigned long)fds};
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES2, &rr, sizeof rr - 1));
	rr.nr = 0;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES2, &rr, sizeof rr));
	rr.nr = 2;
	rr.resv2 = 1;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES2, &rr, sizeof rr));
	rr.resv2 = 0;
	rr.flags = 2;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES2, &rr, sizeof rr));
	rr.flags = IORING_RSRC_REGISTER_SPARSE;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES2, &rr, sizeof rr));
	rr.data = 0;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES2, &rr, sizeof rr));
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES2, KERNEL_PTR, sizeof rr));

	struct io_uring_rsrc_update2 up = {.offset = 1, .data = (unsigned long)fds, .nr = 1};
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES_UPDATE2, &up, sizeof up - 8));
	up.resv = 1;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES_UPDATE2, &up, sizeof up));
	up.resv = 0;
	up.resv2 = 1;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES_UPDATE2, &up, sizeof up));
	up.resv2 = 0;
	up.nr = 0;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES_UPDATE2, &up, sizeof up));
	up.nr = 1;
	up.offset = 0xffffffff;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES_UPDATE2, &up, sizeof up));
	up.offset = 1;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES_UPDATE2, &up, sizeof up));
	char buf[16] = {0};
	fixed_io(&ring, 0, 1, buf, 5, 0, 120, "read fixed file 1 after FILES_UPDATE2");
	printf("read: \"%s\"\n", buf);
	struct io_uring_files_update fu = {.offset = 0, .resv = 1, .fds = (unsigned long)fds};
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES_UPDATE, &fu, 1));
	fu.resv = 0;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES_UPDATE, &fu, 0));
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES_UPDATE, KERNEL_PTR, 1));
	fu.fds = (unsigned long)KERNEL_PTR;
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_FILES_UPDATE, &fu, 1));
	LU(io_uring_unregister_files(&ring));

	// A sparse buffer table: empty slots are EFAULT until updated.
	static char b[64];
	LU(io_uring_register_buffers_sparse(&ring, 4));
	struct io_uring_sqe *sqe = get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, b, 5, 0, 2);
	sqe->user_data = 121;
	submit_one(&ring, "read_fixed from an empty slot");
	struct iovec iov = {b, sizeof b};
	LU(io_uring_register_buffers_update_tag(&ring, 2, &iov, NULL, 1));
	LU(io_uring_register_buffers_update_tag(&ring, 3, &iov, NULL, 2));
	sqe = get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, b, 5, 0, 2);
	sqe->user_data = 122;
	submit_one(&ring, "read_fixed after the update");
	printf("read_fixed: \"%.5s\"\n", b);
	struct io_uring_rsrc_register br = {.nr = 2, .flags = IORING_RSRC_REGISTER_SPARSE};
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_BUFFERS2, &br, sizeof br));
	LU(io_uring_unregister_buffers(&ring));
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_BUFFERS2, &br, sizeof br));
	LU(io_uring_unregister_buffers(&ring));
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_BUFFERS_UPDATE, &up, sizeof up));

	// Worker limits: set, then read back (the first answer, Linux's
	// defaults, depends on the machine's CPUs and is not printed).
	unsigned vals[2] = {3, 5};
	LU(io_uring_register_iowq_max_workers(&ring, vals));
	vals[0] = vals[1] = 0;
	LU(io_uring_register_iowq_max_workers(&ring, vals));
	printf("max workers: %u %u\n", vals[0], vals[1]);
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_IOWQ_MAX_WORKERS, vals, 1));
	unsigned huge[2] = {0x80000000u, 0};
	LU(io_uring_register_iowq_max_workers(&ring, huge));
	close(fd);
	unlink("tmp/uring_rsrc2.dat");
}

static struct io_uring single;

// not_issuer is what a thread other than the ring's maker tries.
static void *not_issuer(void *arg) {
	const char *who = arg;
	char what[96];
	struct io_uring_sqe *sqe = get_sqe(&single);
	io_uring_prep_nop(sqe);
	sqe->user_data = 130;
	snprintf(what, sizeof what, "%s: io_uring_submit", who);
	printf("%s: %s\n", what, errno_str(io_uring_submit(&single)));
	int zero = 0;
	snprintf(what, sizeof what, "%s: register files", who);
	printf("%s: %s\n", what, errno_str(io_uring_register_files(&single, &zero, 1)));
	snprintf(what, sizeof what, "%s: register probe NULL", who);
	printf("%s: %s\n", what, errno_str(io_uring_register(single.ring_fd, IORING_REGISTER_PROBE, NULL, 0)));
	snprintf(what, sizeof what, "%s: enter GETEVENTS min 0", who);
	show(what, syscall(__NR_io_uring_enter, single.ring_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0));
	return NULL;
}

// single_issuer: IORING_SETUP_SINGLE_ISSUER lets only the thread that
// made the ring submit or register (EEXIST for another thread or a
// forked child); with DEFER_TASKRUN, only it may wait for completions.
static void single_issuer(void) {
	for (int defer = 0; defer < 2; defer++) {
		struct io_uring_params p = {.flags = IORING_SETUP_SINGLE_ISSUER | (defer ? IORING_SETUP_DEFER_TASKRUN : 0)};
		printf("%s\n", defer ? "SINGLE_ISSUER|DEFER_TASKRUN" : "SINGLE_ISSUER");
		int e = io_uring_queue_init_params(4, &single, &p);
		if (e < 0) {
			printf("io_uring_queue_init_params: %s\n", errno_str(e));
			continue;
		}
		pthread_t th;
		pthread_create(&th, NULL, not_issuer, "thread");
		pthread_join(th, NULL);
		// The thread's SQE stayed queued: the maker submits it.
		LU(io_uring_submit(&single));
		struct io_uring_cqe *cqe;
		io_uring_wait_cqe(&single, &cqe);
		printf("the thread's nop: res %d, user_data %llu\n", cqe->res, (unsigned long long)cqe->user_data);
		io_uring_cqe_seen(&single, cqe);
		pid_t pid = pfork();
		if (pid == 0) {
			not_issuer("child");
			_exit(0);
		}
		reap("child", pid);
		io_uring_queue_exit(&single);
	}
}

// select_rw submits a READ (kind 0), a READV of one iovec (1) or of two
// (2), or a WRITE (3) of up to len bytes on fd with IOSQE_BUFFER_SELECT
// from group 7, and prints its CQE (the flags carry the buffer ID).
static void select_rw(const char *what, int fd, unsigned len, int kind) {
	static char wbuf[8];
	struct iovec one = {NULL, len}, two[2] = {{NULL, 4}, {NULL, 4}};
	struct io_uring_sqe *sqe = get_sqe(&ring);
	switch (kind) {
	case 1:
		io_uring_prep_readv(sqe, fd, &one, 1, -1);
		break;
	case 2:
		io_uring_prep_readv(sqe, fd, two, 2, -1);
		break;
	case 3:
		io_uring_prep_write(sqe, fd, wbuf, len, -1);
		break;
	default:
		io_uring_prep_read(sqe, fd, NULL, len, -1);
	}
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 7;
	sqe->user_data = 140 + kind;
	submit_one(&ring, what);
}

// provided: READ and READV with IOSQE_BUFFER_SELECT take a buffer of
// the group when data comes (IORING_CQE_F_BUFFER and the buffer ID in
// the CQE's flags): a length of 0 means the whole buffer, an empty group
// is -ENOBUFS, a read at end of file uses a buffer up too, READV takes
// exactly one iovec, whose length is the most it reads, and WRITE cannot
// select (-EOPNOTSUPP).
static void provided(void) {
	static char bufs[5][8];
	struct io_uring_sqe *sqe = get_sqe(&ring);
	io_uring_prep_provide_buffers(sqe, bufs, 8, 4, 7, 0);
	sqe->user_data = 139;
	submit_one(&ring, "provide 4 buffers of 8 bytes, group 7");
	int p[2];
	pipe(p);
	write(p[1], "abcdefghij", 10);
	select_rw("read len 0", p[0], 0, 0);
	printf("buffer 0: \"%.8s\"\n", bufs[0]);
	select_rw("read len 5", p[0], 5, 0);
	printf("buffer 1: \"%.2s\"\n", bufs[1]);
	write(p[1], "klmnopqrstuvwxyz", 16);
	select_rw("readv of one iovec of 6", p[0], 6, 1);
	printf("buffer 2: \"%.6s\"\n", bufs[2]);
	select_rw("readv of two iovecs", p[0], 8, 2);
	select_rw("write", p[1], 8, 3);
	select_rw("read len 8", p[0], 8, 0);
	printf("buffer 3: \"%.8s\"\n", bufs[3]);
	select_rw("read with the group empty", p[0], 8, 0);
	// A read that waits gives its buffer back meanwhile and takes one
	// when the data comes; with none to take it ends at once.
	int q[2];
	pipe(q);
	select_rw("read of an empty pipe with the group empty", q[0], 8, 0);
	sqe = get_sqe(&ring);
	io_uring_prep_provide_buffers(sqe, bufs[4], 8, 1, 7, 9);
	sqe->user_data = 145;
	submit_one(&ring, "provide buffer 9");
	sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, q[0], NULL, 8, -1);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 7;
	sqe->user_data = 144;
	LU(io_uring_submit(&ring));
	write(q[1], "late", 4);
	reap_one(&ring, "the waiting read");
	printf("buffer 9: \"%.4s\"\n", bufs[4]);
	sqe = get_sqe(&ring);
	io_uring_prep_provide_buffers(sqe, bufs[0], 8, 1, 7, 3);
	sqe->user_data = 146;
	submit_one(&ring, "provide buffer 3 again");
	char rest[8];
	read(p[0], rest, sizeof rest); // the 2 bytes left
	close(p[1]);
	select_rw("read at end of file", p[0], 8, 0);
	select_rw("read at end of file, group empty", p[0], 8, 0);
	close(p[0]);
	close(q[0]);
	close(q[1]);
}

static long efd_value(int efd) {
	uint64_t v = 0;
	if (read(efd, &v, 8) != 8)
		return -errno;
	return (long)v;
}

// eventfd: a registered eventfd is signalled when CQEs are posted.
static void eventfds(void) {
	int efd = eventfd(0, EFD_NONBLOCK);
	LU(io_uring_unregister_eventfd(&ring));
	LU(io_uring_register_eventfd(&ring, 9999));
	LU(io_uring_register_eventfd(&ring, efd));
	LU(io_uring_register_eventfd(&ring, efd));
	for (int i = 0; i < 3; i++) {
		struct io_uring_sqe *sqe = get_sqe(&ring);
		io_uring_prep_nop(sqe);
		sqe->user_data = 80 + i;
		submit_one(&ring, "nop with eventfd");
	}
	printf("eventfd after three single NOPs: %s\n", errno_str(efd_value(efd)));
	// A batch may be signalled once or per CQE: Linux signals once per
	// flush of the CQ ring, so only "signalled" is printed.
	for (int i = 0; i < 4; i++) {
		struct io_uring_sqe *sqe = get_sqe(&ring);
		io_uring_prep_nop(sqe);
		sqe->user_data = 90 + i;
	}
	LU(io_uring_submit_and_wait(&ring, 4));
	io_uring_cq_advance(&ring, 4);
	printf("eventfd after a batch of four: %s\n", efd_value(efd) > 0 ? "signalled" : "not signalled");
	// IORING_CQ_EVENTFD_DISABLED in the CQ ring's flags mutes it.
	LU(io_uring_cq_eventfd_toggle(&ring, false));
	struct io_uring_sqe *q = get_sqe(&ring);
	io_uring_prep_nop(q);
	q->user_data = 94;
	submit_one(&ring, "nop with the eventfd disabled");
	printf("eventfd: %s\n", errno_str(efd_value(efd)));
	LU(io_uring_cq_eventfd_toggle(&ring, true));
	q = get_sqe(&ring);
	io_uring_prep_nop(q);
	q->user_data = 94;
	submit_one(&ring, "nop with the eventfd enabled again");
	printf("eventfd: %s\n", errno_str(efd_value(efd)));
	LU(io_uring_unregister_eventfd(&ring));
	LU(io_uring_unregister_eventfd(&ring));
	struct io_uring_sqe *sqe = get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 95;
	submit_one(&ring, "nop after unregister");
	printf("eventfd: %s\n", errno_str(efd_value(efd)));

	// With EVENTFD_ASYNC only completions from io_uring's workers
	// signal; a NOP completes inline.
	LU(io_uring_register_eventfd_async(&ring, efd));
	sqe = get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 96;
	submit_one(&ring, "inline nop with async eventfd");
	printf("eventfd: %s\n", errno_str(efd_value(efd)));
	sqe = get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->flags |= IOSQE_ASYNC;
	sqe->user_data = 97;
	submit_one(&ring, "IOSQE_ASYNC nop with async eventfd");
	printf("eventfd: %s\n", errno_str(efd_value(efd)));
	LU(io_uring_unregister_eventfd(&ring));

	// IORING_REGISTER_EVENTFD takes one descriptor.
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_EVENTFD, &efd, 2));
	int notev = 0; // standard input is not an eventfd
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_EVENTFD, &notev, 1));
	LU(io_uring_register(ring.ring_fd, IORING_REGISTER_EVENTFD, NULL, 1));
	LU(io_uring_register(ring.ring_fd, IORING_UNREGISTER_EVENTFD, &efd, 1));
	close(efd);
}

// probe: the opcodes of issue 11, each reported supported, and
// IORING_REGISTER_PROBE's checks (__io_uring_register: arg not NULL and
// at most 256 ops; io_probe: the whole probe must come in zeroed, at
// most IORING_OP_LAST ops are filled in).
static void probe(void) {
	static const struct {
		int op;
		const char *name;
	} ops[] = {
	    {IORING_OP_NOP, "NOP"},
	    {IORING_OP_READV, "READV"},
	    {IORING_OP_WRITEV, "WRITEV"},
	    {IORING_OP_READ, "READ"},
	    {IORING_OP_WRITE, "WRITE"},
	    {IORING_OP_READ_FIXED, "READ_FIXED"},
	    {IORING_OP_WRITE_FIXED, "WRITE_FIXED"},
	    {IORING_OP_FSYNC, "FSYNC"},
	    {IORING_OP_SYNC_FILE_RANGE, "SYNC_FILE_RANGE"},
	    {IORING_OP_FALLOCATE, "FALLOCATE"},
	    {IORING_OP_FADVISE, "FADVISE"},
	    {IORING_OP_MADVISE, "MADVISE"},
	    {IORING_OP_POLL_ADD, "POLL_ADD"},
	    {IORING_OP_POLL_REMOVE, "POLL_REMOVE"},
	    {IORING_OP_TIMEOUT, "TIMEOUT"},
	    {IORING_OP_TIMEOUT_REMOVE, "TIMEOUT_REMOVE"},
	    {IORING_OP_LINK_TIMEOUT, "LINK_TIMEOUT"},
	    {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
	    {IORING_OP_ACCEPT, "ACCEPT"},
	    {IORING_OP_CONNECT, "CONNECT"},
	    {IORING_OP_SEND, "SEND"},
	    {IORING_OP_RECV, "RECV"},
	    {IORING_OP_SENDMSG, "SENDMSG"},
	    {IORING_OP_RECVMSG, "RECVMSG"},
	    {IORING_OP_SHUTDOWN, "SHUTDOWN"},
	    {IORING_OP_SOCKET, "SOCKET"},
	    {IORING_OP_OPENAT, "OPENAT"},
	    {IORING_OP_OPENAT2, "OPENAT2"},
	    {IORING_OP_CLOSE, "CLOSE"},
	    {IORING_OP_STATX, "STATX"},
	    {IORING_OP_RENAMEAT, "RENAMEAT"},
	    {IORING_OP_UNLINKAT, "UNLINKAT"},
	    {IORING_OP_MKDIRAT, "MKDIRAT"},
	    {IORING_OP_SYMLINKAT, "SYMLINKAT"},
	    {IORING_OP_LINKAT, "LINKAT"},
	    {IORING_OP_EPOLL_CTL, "EPOLL_CTL"},
	    {IORING_OP_SPLICE, "SPLICE"},
	    {IORING_OP_TEE, "TEE"},
	    {IORING_OP_PROVIDE_BUFFERS, "PROVIDE_BUFFERS"},
	    {IORING_OP_REMOVE_BUFFERS, "REMOVE_BUFFERS"},
	    {IORING_OP_FILES_UPDATE, "FILES_UPDATE"},
	    {IORING_OP_MSG_RING, "MSG_RING"},
	};
	struct io_uring_probe *pr = io_uring_get_probe_ring(&ring);
	if (!pr) {
		printf("io_uring_get_probe_ring: NULL\n");
		return;
	}
	ok("probe ops_len is last_op + 1", pr->ops_len == pr->last_op + 1);
	int numbered = 1;
	for (int i = 0; i < pr->ops_len; i++)
		numbered &= pr->ops[i].op == i;
	ok("probe ops numbered in order", numbered);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		printf("probe %s: %s\n", ops[i].name,
		       io_uring_opcode_supported(pr, ops[i].op) ? "supported" : "not supported");
	io_uring_free_probe(pr);

	// Raw REGISTER_PROBE: at most 256 ops may be asked for.
	size_t sz = sizeof(struct io_uring_probe) + 300 * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *p = calloc(1, sz);
	LU(io_uring_register_probe(&ring, p, 257));
	memset(p, 0, sz);
	LU(io_uring_register_probe(&ring, p, 256));
	ok("probe of 256 ops: ops_len is last_op + 1", p->ops_len == p->last_op + 1);
	memset(p, 0, sz);
	LU(io_uring_register_probe(&ring, p, 2));
	printf("probe of 2: ops_len %u, ops %u %#x %u %#x, op 2 %u %#x\n", p->ops_len, p->ops[0].op, p->ops[0].flags,
	       p->ops[1].op, p->ops[1].flags, p->ops[2].op, p->ops[2].flags);
	memset(p, 0, sz);
	LU(io_uring_register_probe(&ring, p, 0));
	printf("probe of 0: ops_len %u, last_op %s\n", p->ops_len, p->last_op ? "set" : "0");
	memset(p, 0, sz);
	p->resv = 1;
	LU(io_uring_register_probe(&ring, p, 4));
	memset(p, 0, sz);
	p->resv2[2] = 1;
	LU(io_uring_register_probe(&ring, p, 4));
	memset(p, 0, sz);
	p->ops[3].flags = 1;
	LU(io_uring_register_probe(&ring, p, 4));
	// Garbage past the ops asked for is not looked at.
	memset(p, 0, sz);
	p->ops[4].flags = 1;
	LU(io_uring_register_probe(&ring, p, 4));
	LU(io_uring_register_probe(&ring, KERNEL_PTR, 4));
	LU(io_uring_register_probe(&ring, NULL, 4));
	// An opcode io_uring_register does not know...
	LU(io_uring_register(ring.ring_fd, 999, NULL, 0));
	// ... refused before the descriptor is looked at, as is descriptor
	// -1 (the "blind" operations that need no ring).
	LU(io_uring_register(9999, 999, NULL, 0));
	LU(io_uring_register(-1, IORING_REGISTER_PROBE, p, 4));
	// Not a ring.
	LU(io_uring_register(0, IORING_REGISTER_PROBE, NULL, 0));
	LU(io_uring_register(9999, IORING_REGISTER_PROBE, NULL, 0));
	free(p);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) {
	(void)sig;
	alarms++;
}

static long enter_raw(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, void *arg, size_t argsz) {
	return syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz);
}

// enter: io_uring_enter's checks (unknown flags, descriptors that are
// not rings), waits for min_complete CQEs, and EXT_ARG's timeout.
static void enter(void) {
	show("enter flags bit 31", enter_raw(ring.ring_fd, 0, 0, 1u << 31, NULL, 0));
	show("enter fd 9999", enter_raw(9999, 0, 0, 0, NULL, 0));
	show("enter stdin (not a ring)", enter_raw(0, 0, 0, 0, NULL, 0));
	show("enter nothing", enter_raw(ring.ring_fd, 0, 0, 0, NULL, 0));
	show("enter to_submit 4 with nothing queued", enter_raw(ring.ring_fd, 4, 0, 0, NULL, 0));
	// SQ_WAKEUP and SQ_WAIT mean nothing without SQPOLL.
	show("enter SQ_WAKEUP|SQ_WAIT", enter_raw(ring.ring_fd, 0, 0, IORING_ENTER_SQ_WAKEUP | IORING_ENTER_SQ_WAIT,
						  NULL, 0));
	// GETEVENTS with min_complete 0 returns at once.
	show("enter GETEVENTS min 0", enter_raw(ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0));

	// EXT_ARG: a timeout when nothing completes.
	struct __kernel_timespec ts = {0, 100 * 1000 * 1000};
	struct io_uring_getevents_arg arg = {.ts = (unsigned long)&ts};
	show("enter EXT_ARG timeout 100ms, min 1",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg));
	show("enter EXT_ARG argsz 8",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, 8));
	show("enter EXT_ARG arg NULL",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, NULL, sizeof arg));
	struct io_uring_getevents_arg badts = {.ts = (unsigned long)KERNEL_PTR};
	show("enter EXT_ARG ts at a kernel address",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &badts, sizeof badts));
	struct __kernel_timespec badns = {0, 1000000000};
	struct io_uring_getevents_arg badnsarg = {.ts = (unsigned long)&badns};
	show("enter EXT_ARG tv_nsec 1e9",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &badnsarg, sizeof badnsarg));
	// Linux 6.12 to 6.15's flags: IORING_ENTER_ABS_TIMER makes the
	// timeout a CLOCK_MONOTONIC time; IORING_ENTER_EXT_ARG_REG points
	// into a registered wait region (none is: EFAULT, after the size
	// check); IORING_ENTER_NO_IOWAIT changes nothing seen here.
	for (int bit = 5; bit <= 8; bit++) {
		char what[48];
		snprintf(what, sizeof what, "enter flag 1<<%d", bit);
		show(what, enter_raw(ring.ring_fd, 0, 0, 1u << bit, NULL, 0));
	}
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	struct __kernel_timespec abs = {mono.tv_sec, mono.tv_nsec + 100 * 1000 * 1000};
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	struct io_uring_getevents_arg absarg = {.ts = (unsigned long)&abs};
	show("enter EXT_ARG|ABS_TIMER, now + 100 ms",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG | (1u << 5), &absarg,
		       sizeof absarg));
	struct __kernel_timespec zero = {0, 0};
	struct io_uring_getevents_arg zeroarg = {.ts = (unsigned long)&zero};
	show("enter EXT_ARG|ABS_TIMER, time 0",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG | (1u << 5), &zeroarg,
		       sizeof zeroarg));
	char region[64] = {0};
	show("enter EXT_ARG|EXT_ARG_REG, argsz 24",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG | (1u << 6), &arg, sizeof arg));
	show("enter EXT_ARG|EXT_ARG_REG, argsz 64",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG | (1u << 6), region, 64));
	show("enter EXT_ARG_REG without EXT_ARG", enter_raw(ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS | (1u << 6), NULL, 0));
	// Without GETEVENTS the argument is not looked at.
	show("enter EXT_ARG without GETEVENTS",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_EXT_ARG, NULL, 3));
	// The sigmask is looked at only when the call has to wait; its size
	// must be the kernel's sigset_t's, 8 (glibc's is 128).
	sigset_t none;
	sigemptyset(&none);
	show("enter sigmask size 8, min 0", enter_raw(ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS, &none, 8));
	show("enter sigmask size 128, min 0", enter_raw(ring.ring_fd, 0, 0, IORING_ENTER_GETEVENTS, &none, 128));
	show("enter sigmask size 128, min 1", enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS, &none, 128));
	show("enter sigmask at a kernel address, min 1",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS, KERNEL_PTR, 8));
	struct io_uring_cqe *cqe;
	LU(io_uring_wait_cqe_timeout(&ring, &cqe, &ts));

	// A handled signal ends a wait with EINTR (a timer 100 ms later);
	// the sigmask argument blocks it for the wait's duration, and it is
	// handled once the call returns.
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	alarms = 0;
	struct itimerval it = {.it_value = {0, 100 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	show("enter GETEVENTS min 1, SIGALRM after 100 ms", enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0));
	printf("SIGALRM handled: %d\n", alarms);
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	struct __kernel_timespec ts300 = {0, 300 * 1000 * 1000};
	struct io_uring_getevents_arg masked = {.sigmask = (unsigned long)&alrm, .sigmask_sz = 8,
						.ts = (unsigned long)&ts300};
	alarms = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	show("enter EXT_ARG timeout 300 ms, sigmask SIGALRM, SIGALRM after 100 ms",
	     enter_raw(ring.ring_fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &masked, sizeof masked));
	printf("SIGALRM handled: %d\n", alarms);
	signal(SIGALRM, SIG_DFL);

	// min_complete: the wait ends when the CQEs are there, not before.
	// A child writes to the pipe after 200 ms; the read completes then.
	int p[2];
	pipe(p);
	char buf[8] = {0};
	struct io_uring_sqe *sqe = get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof buf, 0);
	sqe->user_data = 100;
	sqe = get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 101;
	pid_t pid = pfork();
	if (pid == 0) {
		pause_ms(200);
		write(p[1], "wake", 4);
		_exit(0);
	}
	show("io_uring_submit_and_wait(2)", io_uring_submit_and_wait(&ring, 2));
	printf("CQEs ready: %u\n", io_uring_cq_ready(&ring));
	// The NOP completed first, the read when the child wrote.
	reap_one(&ring, "first");
	reap_one(&ring, "second");
	printf("read: \"%s\"\n", buf);
	reap("writer", pid);
	close(p[0]);
	close(p[1]);
}

// forked: the ring's memory is MAP_SHARED, so a child that submits on
// its copy of the ring is seen by the parent (a ring of its own, so
// that the parent's liburing state is not reused after the child moved
// the SQ tail).
static void forked(void) {
	struct io_uring r;
	init_ring(&r, 4);
	pid_t pid = pfork();
	if (pid == 0) {
		struct io_uring_sqe *sqe = get_sqe(&r);
		io_uring_prep_nop(sqe);
		sqe->user_data = 777;
		int n = io_uring_submit(&r);
		_exit(n == 1 ? 0 : 1);
	}
	reap("child that submitted", pid);
	reap_one(&r, "the child's nop, reaped by the parent");
	io_uring_queue_exit(&r);
}

int main(void) {
	setbuf(stdout, NULL);
	setup_checks();
	layout(1);
	layout(4);
	layout(64);
	features();
	init_ring(&ring, 8);
	nops();
	rw();
	pipes();
	fixed_buffers();
	fixed_files();
	tags();
	rsrc2();
	provided();
	eventfds();
	probe();
	enter();
	forked();
	single_issuer();
	io_uring_queue_exit(&ring);
	return 0;
}
