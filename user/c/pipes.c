// Pipes as fs/pipe.c has them (capacity in pages, PIPE_BUF atomicity,
// packet mode, F_GETPIPE_SZ/F_SETPIPE_SZ, EOF, EPIPE, readiness) and the
// calls that move data without a user buffer: splice, tee, sendfile and
// copy_file_range, with and without offsets, and their errors. Runs with
// the rootfs (data/, tmp/) as the working directory.
#include "check.h"
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

static char buf[2 << 20];

// mkpipe makes a pipe with pipe2 flags, or dies.
static void mkpipe(int p[2], int flags) {
	if (pipe2(p, flags) != 0) {
		perror("pipe2");
		exit(1);
	}
}

static void closepipe(int p[2]) {
	close(p[0]);
	close(p[1]);
}

// fill writes size-byte writes to the non-blocking fd until one fails,
// and prints how many bytes went in, in how many calls, how the last
// successful write ended (short or whole) and the error.
static void fill(const char *what, int fd, size_t size) {
	long total = 0, calls = 0, last = 0;
	for (;;) {
		long r = write(fd, buf, size);
		if (r < 0)
			break;
		total += r;
		calls++;
		last = r;
	}
	printf("%s: %ld bytes in %ld writes, last %ld, then %s\n", what, total, calls, last, strerrorname_np(errno));
}

// nread is FIONREAD.
static int nread(int fd) {
	int n = -1;
	ioctl(fd, FIONREAD, &n);
	return n;
}

// drain reads everything a non-blocking fd has and returns the count.
static long drain(int fd) {
	long total = 0, r;
	while ((r = read(fd, buf, sizeof buf)) > 0)
		total += r;
	return total;
}

// events prints which of EPOLLIN, OUT, HUP and ERR fd is ready for.
static void events(const char *what, int fd) {
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	ev.events = 0;
	int n = epoll_wait(ep, &ev, 1, 0);
	printf("%s: %d [%s%s%s%s ]\n", what, n, ev.events & EPOLLIN ? " IN" : "", ev.events & EPOLLOUT ? " OUT" : "",
	       ev.events & EPOLLHUP ? " HUP" : "", ev.events & EPOLLERR ? " ERR" : "");
	close(ep);
}

static void creation(void) {
	int p[2];
	R(pipe2(p, O_CLOEXEC | O_NONBLOCK | O_DIRECT));
	R(fcntl(p[0], F_GETFD));
	R(fcntl(p[1], F_GETFD));
	printf("read end flags: %#x\n", fcntl(p[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK | O_DIRECT));
	printf("write end flags: %#x\n", fcntl(p[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK | O_DIRECT));
	closepipe(p);
	R(pipe2(p, O_APPEND));
	R(pipe2(p, O_RDWR));
	R(pipe2(KERNEL_PTR, 0));
	R(syscall(SYS_pipe, NULL));
	struct stat st;
	mkpipe(p, 0);
	fstat(p[0], &st);
	printf("fstat: fifo %d mode %#o size %ld\n", S_ISFIFO(st.st_mode), st.st_mode & 0777, (long)st.st_size);
	R(lseek(p[1], 0, SEEK_CUR));
	closepipe(p);
}

// capacity: how much a non-blocking writer puts in depends on its write
// sizes, as Linux counts pages, not bytes.
static void capacity(void) {
	int p[2];
	size_t sizes[] = {1, 100, 4095, 4096, 4097, 5000, 65536, 70000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char what[64];
		mkpipe(p, O_NONBLOCK);
		snprintf(what, sizeof what, "fill with %zu-byte writes", sizes[i]);
		fill(what, p[1], sizes[i]);
		printf("  FIONREAD %d, drained %ld\n", nread(p[0]), drain(p[0]));
		closepipe(p);
	}
	size_t psizes[] = {1, 4096, 5000};
	for (size_t i = 0; i < sizeof psizes / sizeof psizes[0]; i++) {
		char what[64];
		mkpipe(p, O_NONBLOCK | O_DIRECT);
		snprintf(what, sizeof what, "fill with %zu-byte packets", psizes[i]);
		fill(what, p[1], psizes[i]);
		closepipe(p);
	}

	// PIPE_BUF: a small write goes in whole (merged into the last page or
	// into a free one) or not at all; a larger one may be short.
	mkpipe(p, O_NONBLOCK);
	for (int i = 0; i < 15; i++)
		write(p[1], buf, 4096);
	R(write(p[1], buf, 4000));
	R(write(p[1], buf, 200));
	R(write(p[1], buf, 100));
	R(write(p[1], buf, 4096));
	R(write(p[1], buf, 4097));
	R(write(p[1], buf, 5000));
	R(write(p[1], buf, 10));
	R(nread(p[0]));
	events("full pipe, write end", p[1]);
	events("full pipe, read end", p[0]);
	R(read(p[0], buf, 1));
	events("one byte read, write end", p[1]);
	R(read(p[0], buf, 4095));
	events("one page read, write end", p[1]);
	R(write(p[1], buf, 4096));
	R(write(p[1], buf, 1));
	closepipe(p);
	// A write larger than the kernel's copy buffer merges its tail as one.
	mkpipe(p, O_NONBLOCK);
	R(write(p[1], buf, 10));
	R(write(p[1], buf, (1 << 20) + 100));
	closepipe(p);
}

// packets: with O_DIRECT each write is a packet; a read returns at most
// one, and a read shorter than the packet loses the rest.
static void packets(void) {
	int p[2];
	mkpipe(p, O_NONBLOCK | O_DIRECT);
	R(write(p[1], "abc", 3));
	R(write(p[1], "defgh", 5));
	R(write(p[1], "ij", 2));
	R(nread(p[0]));
	R(read(p[0], buf, 100));
	printf("packet: %.3s\n", buf);
	R(read(p[0], buf, 2));
	printf("short read: %.2s\n", buf);
	R(read(p[0], buf, 100));
	printf("next packet: %.2s\n", buf);
	R(read(p[0], buf, 100));
	R(write(p[1], buf, 5000));
	R(read(p[0], buf, sizeof buf));
	R(read(p[0], buf, sizeof buf));
	R(write(p[1], "", 0));
	R(read(p[0], buf, 1));
	// Packet mode is the writer's O_DIRECT, which F_SETFL switches; a
	// packet's bytes still merge into a stream page before it.
	R(fcntl(p[1], F_SETFL, O_NONBLOCK));
	R(write(p[1], "kl", 2));
	R(write(p[1], "mn", 2));
	R(fcntl(p[1], F_SETFL, O_NONBLOCK | O_DIRECT));
	R(write(p[1], "op", 2));
	R(write(p[1], "qr", 2));
	R(read(p[0], buf, 100));
	printf("stream then packets, merged: %.8s\n", buf);
	R(read(p[0], buf, 100));
	closepipe(p);
	// A stream write after a packet does not merge into it.
	mkpipe(p, O_NONBLOCK);
	R(fcntl(p[0], F_SETPIPE_SZ, 4096 * 2));
	R(fcntl(p[1], F_SETFL, O_NONBLOCK | O_DIRECT));
	R(write(p[1], "x", 1));
	R(fcntl(p[1], F_SETFL, O_NONBLOCK));
	R(write(p[1], "y", 1));
	R(write(p[1], "z", 1));
	R(write(p[1], "w", 1));
	R(read(p[0], buf, 100));
	R(read(p[0], buf, 100));
	printf("after the packet: %.3s\n", buf);
	closepipe(p);
}

static void sizes(void) {
	int p[2];
	mkpipe(p, O_NONBLOCK);
	R(fcntl(p[0], F_GETPIPE_SZ));
	R(fcntl(p[1], F_SETPIPE_SZ, 0));
	R(fcntl(p[0], F_GETPIPE_SZ));
	fill("fill one page with 1-byte writes", p[1], 1);
	R(fcntl(p[1], F_SETPIPE_SZ, 4097));
	R(fcntl(p[1], F_SETPIPE_SZ, 3 * 65536));
	R(fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
	// Above pipe-max-size only with CAP_SYS_RESOURCE: EPERM or grown.
	long r = fcntl(p[1], F_SETPIPE_SZ, (1 << 20) + 1);
	ok("above pipe-max-size: EPERM, or 2 MiB with CAP_SYS_RESOURCE",
	   (r == -1 && errno == EPERM && fcntl(p[1], F_GETPIPE_SZ) == 1 << 20) ||
	       (r == 2 << 20 && fcntl(p[1], F_GETPIPE_SZ) == 2 << 20));
	R(fcntl(p[1], F_SETPIPE_SZ, -1));
	R(fcntl(p[1], F_SETPIPE_SZ, (1U << 31) + 1));
	R(fcntl(p[1], F_SETPIPE_SZ, 0x100000000L + 4096));
	R(fcntl(p[1], F_GETPIPE_SZ));
	// Shrinking below the pages in use is EBUSY: pages, not bytes.
	drain(p[0]);
	R(fcntl(p[1], F_SETPIPE_SZ, 65536));
	write(p[1], buf, 3 * 4096);
	R(fcntl(p[1], F_SETPIPE_SZ, 8192));
	R(fcntl(p[1], F_SETPIPE_SZ, 16384));
	fill("fill four pages", p[1], 4096);
	drain(p[0]);
	R(fcntl(p[1], F_SETFL, O_NONBLOCK | O_DIRECT));
	R(write(p[1], "a", 1));
	R(write(p[1], "b", 1));
	R(nread(p[0]));
	R(fcntl(p[0], F_SETPIPE_SZ, 4096));
	R(fcntl(p[0], F_SETPIPE_SZ, 8192));
	closepipe(p);
	int fd = open("data/hello.txt", O_RDONLY);
	R(fcntl(fd, F_GETPIPE_SZ));
	R(fcntl(fd, F_SETPIPE_SZ, 4096));
	close(fd);
	R(fcntl(999, F_GETPIPE_SZ));
	// A blocking read larger than a full 1 MiB pipe returns the 1 MiB
	// (it must not wait for more).
	int q[2];
	pipe(q);
	R(fcntl(q[1], F_SETPIPE_SZ, 1 << 20));
	R(write(q[1], buf, 1 << 20));
	R(read(q[0], buf, 2 << 20));
	closepipe(q);
}

struct job {
	int fd;
	long n;
};

static void *writer(void *arg) {
	struct job *j = arg;
	long done = 0;
	while (done < j->n) {
		long r = write(j->fd, buf + done % 4096, j->n - done);
		if (r <= 0)
			break;
		done += r;
	}
	return (void *)done;
}

static void ends(void) {
	int p[2];
	// A blocking write larger than the pipe completes while a reader
	// drains it.
	mkpipe(p, 0);
	for (int i = 0; i < 4096; i++)
		buf[i] = i;
	struct job j = {p[1], 300000};
	pthread_t th;
	pthread_create(&th, NULL, writer, &j);
	long got = 0, r;
	unsigned sum = 0;
	static char rb[10000];
	while (got < j.n && (r = read(p[0], rb, sizeof rb)) > 0) {
		for (long i = 0; i < r; i++)
			sum = sum * 31 + (unsigned char)rb[i];
		got += r;
	}
	void *wrote;
	pthread_join(th, &wrote);
	printf("blocking writer wrote %ld, reader got %ld, checksum %u\n", (long)wrote, got, sum);
	// EOF when the last writer closes, after the data.
	R(write(p[1], "end", 3));
	int w2 = dup(p[1]);
	close(p[1]);
	events("writer still open, read end", p[0]);
	close(w2);
	events("no writers, read end", p[0]);
	R(read(p[0], buf, 100));
	R(read(p[0], buf, 100));
	close(p[0]);
	// EPIPE when the last reader closes (SIGPIPE is ignored).
	mkpipe(p, 0);
	close(p[0]);
	events("no readers, write end", p[1]);
	R(write(p[1], "x", 1));
	R(write(p[1], "", 0));
	close(p[1]);
	// Non-blocking empty read.
	mkpipe(p, O_NONBLOCK);
	R(read(p[0], buf, 1));
	events("empty pipe, read end", p[0]);
	events("empty pipe, write end", p[1]);
	R(nread(p[0]));
	R(ioctl(p[0], FIONREAD, KERNEL_PTR));
	closepipe(p);
}

// mkfile creates path with n bytes of a pattern and returns it open
// read-write at position 0.
static int mkfile(const char *path, int n) {
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (int i = 0; i < n; i++)
		buf[i] = 'a' + i % 26;
	write(fd, buf, n);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void show_bytes(const char *what, const char *b, long n) {
	printf("%s: %.*s\n", what, (int)n, b);
}

static void splices(void) {
	int p[2], q[2];
	loff_t off;
	int fd = mkfile("tmp/pipes.src", 10000);
	int out = open("tmp/pipes.dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
	mkpipe(p, O_NONBLOCK);

	// File to pipe, from the position, which advances.
	R(splice(fd, NULL, p[1], NULL, 10, SPLICE_F_MOVE));
	R(lseek(fd, 0, SEEK_CUR));
	// From an offset: the offset advances, the position does not.
	off = 9990;
	R(splice(fd, &off, p[1], NULL, 100, SPLICE_F_MORE));
	printf("off %ld, position %ld\n", (long)off, (long)lseek(fd, 0, SEEK_CUR));
	R(splice(fd, &off, p[1], NULL, 100, 0));
	R(nread(p[0]));
	R(read(p[0], buf, 100));
	show_bytes("spliced", buf, 20);

	// Pipe to file, at the position and at an offset.
	R(write(p[1], "hello, splice", 13));
	R(splice(p[0], NULL, out, NULL, 5, 0));
	R(lseek(out, 0, SEEK_CUR));
	off = 100;
	R(splice(p[0], NULL, out, &off, 100, SPLICE_F_NONBLOCK));
	printf("off %ld, position %ld\n", (long)off, (long)lseek(out, 0, SEEK_CUR));
	R(pread(out, buf, 200, 0));
	show_bytes("at 0", buf, 5);
	show_bytes("at 100", buf + 100, 8);
	// An empty pipe: EAGAIN when non-blocking, 0 without writers.
	R(splice(p[0], NULL, out, NULL, 100, 0));
	int r2 = dup(p[0]);
	close(p[1]);
	R(splice(r2, NULL, out, NULL, 100, 0));
	closepipe(p);
	close(r2);

	// Packets are one stream to splice.
	mkpipe(p, O_NONBLOCK | O_DIRECT);
	R(write(p[1], "ab", 2));
	R(write(p[1], "cd", 2));
	R(splice(p[0], NULL, out, NULL, 3, 0));
	R(read(p[0], buf, 10));
	closepipe(p);

	// A file's pages cut what one splice puts in a small pipe.
	mkpipe(p, O_NONBLOCK);
	R(fcntl(p[1], F_SETPIPE_SZ, 8192));
	off = 100;
	R(splice(fd, &off, p[1], NULL, 100000, 0));
	R(splice(fd, &off, p[1], NULL, 100000, 0));
	R(splice(fd, &off, p[1], NULL, 100000, SPLICE_F_NONBLOCK));
	R(read(p[0], buf, 4096));
	R(splice(fd, &off, p[1], NULL, 100000, 0));
	drain(p[0]);
	off = 10000;
	R(splice(fd, &off, p[1], NULL, 100, 0));
	off = 0;
	R(splice(fd, &off, p[1], NULL, 0, 0xff));
	// Spliced file pages take no merges.
	R(fcntl(p[1], F_SETPIPE_SZ, 4096));
	R(splice(fd, &off, p[1], NULL, 10, 0));
	R(write(p[1], "x", 1));
	drain(p[0]);

	// Errors, in Linux's order.
	R(splice(fd, NULL, p[1], NULL, 10, 0x10));
	R(splice(999, NULL, p[1], NULL, 10, 0));
	R(splice(fd, NULL, 999, NULL, 10, 0));
	R(splice(p[0], &off, out, NULL, 10, 0));
	R(splice(fd, NULL, p[1], &off, 10, 0));
	R(splice(fd, KERNEL_PTR, p[1], NULL, 10, 0));
	R(splice(p[0], NULL, out, KERNEL_PTR, 10, 0));
	R(splice(p[1], NULL, out, NULL, 10, 0));
	R(splice(fd, NULL, p[0], NULL, 10, 0));
	R(splice(p[0], NULL, p[1], NULL, 10, 0));
	R(splice(fd, NULL, out, NULL, 10, 0));
	off = -1;
	R(splice(fd, &off, p[1], NULL, 10, 0));
	R(splice(p[0], NULL, out, &off, 10, 0));
	R(splice(fd, NULL, p[1], NULL, (size_t)-1, 0));
	int app = open("tmp/pipes.dst", O_WRONLY | O_APPEND);
	R(write(p[1], "z", 1));
	R(splice(p[0], NULL, app, NULL, 10, 0));
	close(app);
	int dir = open("data", O_RDONLY | O_DIRECTORY);
	R(splice(dir, NULL, p[1], NULL, 10, 0));
	close(dir);
	int wo = open("tmp/pipes.dst", O_WRONLY);
	R(splice(wo, NULL, p[1], NULL, 10, 0));
	close(wo);

	// Devices: /dev/zero and /dev/full can be read, /dev/null and
	// /dev/zero written.
	int null = open("/dev/null", O_RDWR), zero = open("/dev/zero", O_RDWR), full = open("/dev/full", O_RDWR);
	drain(p[0]);
	R(fcntl(p[1], F_SETPIPE_SZ, 8192));
	R(splice(null, NULL, p[1], NULL, 10, 0));
	R(splice(full, NULL, p[1], NULL, 10, 0));
	R(read(p[0], buf, 100));
	R(splice(zero, NULL, p[1], NULL, 5000, 0));
	R(splice(p[0], NULL, null, NULL, 3000, 0));
	R(splice(p[0], NULL, zero, NULL, 3000, 0));
	R(splice(p[0], NULL, full, NULL, 10, 0));
	R(nread(p[0]));
	close(null);
	close(zero);
	close(full);

	// A full pipe: EAGAIN with SPLICE_F_NONBLOCK or O_NONBLOCK.
	fill("fill", p[1], 4096);
	R(splice(fd, NULL, p[1], NULL, 10, SPLICE_F_NONBLOCK));
	R(splice(fd, NULL, p[1], NULL, 10, 0));
	// No readers: EPIPE (SIGPIPE is ignored).
	close(p[0]);
	R(splice(fd, NULL, p[1], NULL, 10, 0));
	close(p[1]);

	// Pipe to pipe: whole buffers move, with their merging; part of a
	// buffer is shared and takes no merges.
	mkpipe(p, O_NONBLOCK);
	mkpipe(q, O_NONBLOCK);
	R(fcntl(q[1], F_SETPIPE_SZ, 4096));
	R(write(p[1], "0123456789", 10));
	R(splice(p[0], NULL, q[1], NULL, 100, 0));
	R(write(q[1], "a", 1));
	R(read(q[0], buf, 100));
	show_bytes("moved", buf, 11);
	R(write(p[1], "0123456789", 10));
	R(splice(p[0], NULL, q[1], NULL, 4, 0));
	R(write(q[1], "b", 1));
	R(nread(p[0]));
	R(nread(q[0]));
	R(splice(p[0], NULL, q[1], NULL, 100, 0));
	R(read(q[0], buf, 100));
	show_bytes("part", buf, 4);
	R(splice(p[0], NULL, q[1], NULL, 100, 0));
	R(read(p[0], buf, 100));
	R(read(q[0], buf, 100));
	show_bytes("rest", buf, 6);
	R(splice(p[0], NULL, q[1], NULL, 100, 0));
	close(p[1]);
	R(splice(p[0], NULL, q[1], NULL, 100, 0));
	closepipe(p);
	closepipe(q);
	close(fd);
	close(out);
}

static void tees(void) {
	int p[2], q[2];
	mkpipe(p, O_NONBLOCK);
	mkpipe(q, O_NONBLOCK);
	R(write(p[1], "abcdef", 6));
	R(write(p[1], buf, 4096));
	R(tee(p[0], q[1], 4, 0));
	R(nread(p[0]));
	R(nread(q[0]));
	R(read(q[0], buf, 100));
	show_bytes("teed", buf, 4);
	R(tee(p[0], q[1], 100000, SPLICE_F_NONBLOCK));
	R(nread(q[0]));
	drain(q[0]);
	// A teed buffer takes no merges: q has room for one page.
	R(fcntl(q[1], F_SETPIPE_SZ, 4096));
	R(tee(p[0], q[1], 3, 0));
	R(write(q[1], "x", 1));
	R(read(p[0], buf, 6));
	show_bytes("source still has", buf, 6);
	drain(q[0]);
	drain(p[0]);
	R(tee(p[0], q[1], 10, 0));
	R(tee(p[0], q[1], 10, 0x10));
	R(tee(p[0], q[1], 0, 0));
	R(tee(p[0], p[1], 10, 0));
	R(tee(p[1], q[1], 10, 0));
	R(tee(p[0], q[0], 10, 0));
	R(tee(999, q[1], 10, 0));
	int fd = open("data/hello.txt", O_RDONLY);
	R(tee(fd, q[1], 10, 0));
	close(fd);
	// q full: EAGAIN; no writers and empty: 0; no readers: EPIPE.
	R(write(p[1], "abc", 3));
	fill("fill", q[1], 4096);
	R(tee(p[0], q[1], 10, 0));
	drain(q[0]);
	close(q[0]);
	R(tee(p[0], q[1], 10, 0));
	close(q[1]);
	mkpipe(q, O_NONBLOCK);
	drain(p[0]);
	close(p[1]);
	R(tee(p[0], q[1], 10, 0));
	closepipe(q);
	close(p[0]);
}

static void sendfiles(void) {
	int fd = mkfile("tmp/pipes.src", 10000);
	int out = open("tmp/pipes.dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
	off_t off;
	R(sendfile(out, fd, NULL, 3000));
	printf("positions: in %ld out %ld\n", (long)lseek(fd, 0, SEEK_CUR), (long)lseek(out, 0, SEEK_CUR));
	off = 9000;
	R(sendfile(out, fd, &off, 5000));
	printf("off %ld, positions: in %ld out %ld\n", (long)off, (long)lseek(fd, 0, SEEK_CUR),
	       (long)lseek(out, 0, SEEK_CUR));
	R(sendfile(out, fd, &off, 5000));
	R(sendfile(out, fd, NULL, 0));
	R(pread(out, buf, 4000, 0));
	show_bytes("copied", buf, 26);
	show_bytes("at 3000", buf + 3000, 10);
	// More than the kernel's buffer holds, in one call.
	int big = mkfile("tmp/pipes.big", 300000);
	R(sendfile(out, big, NULL, 1 << 20));
	struct stat st;
	fstat(out, &st);
	printf("out size %ld\n", (long)st.st_size);
	close(big);
	// To a pipe.
	int p[2];
	mkpipe(p, O_NONBLOCK);
	off = 26;
	R(sendfile(p[1], fd, &off, 10));
	R(read(p[0], buf, 100));
	show_bytes("to a pipe", buf, 10);
	int zero = open("/dev/zero", O_RDONLY);
	R(sendfile(p[1], zero, NULL, 100));
	close(zero);
	fill("fill", p[1], 4096);
	R(sendfile(p[1], fd, NULL, 10));
	// Errors.
	R(sendfile(out, p[0], NULL, 10));
	R(sendfile(out, p[0], &off, 10));
	R(sendfile(out, 999, NULL, 10));
	R(sendfile(999, fd, NULL, 10));
	R(sendfile(fd, out, NULL, 10));
	int wo = open("tmp/pipes.dst", O_WRONLY);
	R(sendfile(out, wo, NULL, 10));
	close(wo);
	off = -1;
	R(sendfile(out, fd, &off, 10));
	R(sendfile(out, fd, KERNEL_PTR, 10));
	R(sendfile(out, fd, NULL, (size_t)-1));
	int app = open("tmp/pipes.dst", O_WRONLY | O_APPEND);
	R(sendfile(app, fd, NULL, 10));
	close(app);
	int dir = open("data", O_RDONLY | O_DIRECTORY);
	R(sendfile(out, dir, NULL, 10));
	close(dir);
	close(p[0]);
	off = 0;
	R(sendfile(p[1], fd, &off, 10));
	close(p[1]);
	close(fd);
	close(out);
}

static void copies(void) {
	int fd = mkfile("tmp/pipes.src", 10000);
	int out = open("tmp/pipes.dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
	loff_t oi, oo;
	R(copy_file_range(fd, NULL, out, NULL, 30, 0));
	printf("positions: in %ld out %ld\n", (long)lseek(fd, 0, SEEK_CUR), (long)lseek(out, 0, SEEK_CUR));
	oi = 9990, oo = 5000;
	R(copy_file_range(fd, &oi, out, &oo, 100, 0));
	printf("offsets %ld %ld, positions: in %ld out %ld\n", (long)oi, (long)oo, (long)lseek(fd, 0, SEEK_CUR),
	       (long)lseek(out, 0, SEEK_CUR));
	R(copy_file_range(fd, &oi, out, &oo, 100, 0));
	struct stat st;
	fstat(out, &st);
	printf("out size %ld\n", (long)st.st_size);
	R(pread(out, buf, 30, 0));
	show_bytes("copied", buf, 30);
	R(pread(out, buf, 10, 5000));
	show_bytes("at 5000", buf, 10);
	// Within one file: apart is fine, overlapping is EINVAL.
	oi = 0, oo = 20000;
	R(copy_file_range(fd, &oi, fd, &oo, 100, 0));
	oi = 0, oo = 50;
	R(copy_file_range(fd, &oi, fd, &oo, 100, 0));
	oi = 50, oo = 0;
	R(copy_file_range(fd, &oi, fd, &oo, 100, 0));
	oi = 50, oo = 0;
	R(copy_file_range(fd, &oi, fd, &oo, 50, 0));
	// Errors.
	R(copy_file_range(fd, NULL, out, NULL, 10, 1));
	R(copy_file_range(999, NULL, out, NULL, 10, 0));
	R(copy_file_range(fd, NULL, 999, NULL, 10, 0));
	R(copy_file_range(fd, KERNEL_PTR, out, NULL, 10, 0));
	R(copy_file_range(fd, NULL, out, KERNEL_PTR, 10, 0));
	int dir = open("data", O_RDONLY | O_DIRECTORY);
	R(copy_file_range(dir, NULL, out, NULL, 10, 0));
	close(dir);
	int p[2];
	mkpipe(p, O_NONBLOCK);
	R(copy_file_range(p[0], NULL, out, NULL, 10, 0));
	R(copy_file_range(fd, NULL, p[1], NULL, 10, 0));
	closepipe(p);
	int app = open("tmp/pipes.dst", O_WRONLY | O_APPEND);
	R(copy_file_range(fd, NULL, app, NULL, 10, 0));
	close(app);
	int wo = open("tmp/pipes.dst", O_WRONLY);
	R(copy_file_range(wo, NULL, out, NULL, 10, 0));
	R(copy_file_range(fd, NULL, fd, NULL, 0, 0));
	close(wo);
	int proc = open("/proc/self/cmdline", O_RDONLY);
	R(copy_file_range(proc, NULL, out, NULL, 10, 0));
	close(proc);
	int null = open("/dev/null", O_RDWR);
	R(copy_file_range(fd, NULL, null, NULL, 10, 0));
	close(null);
	oi = -1;
	R(copy_file_range(fd, &oi, out, NULL, 10, 0));
	R(copy_file_range(fd, &oi, out, NULL, 0, 0));
	oo = -1;
	R(copy_file_range(fd, NULL, out, &oo, 10, 0));
	oi = 0x7fffffffffffff00L;
	R(copy_file_range(fd, &oi, out, NULL, 0x1000, 0));
	oi = 20000;
	R(copy_file_range(fd, &oi, out, NULL, 10, 0));
	close(fd);
	close(out);
}

int main(void) {
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	creation();
	capacity();
	packets();
	sizes();
	ends();
	splices();
	tees();
	sendfiles();
	copies();
	return 0;
}
