// biglen.c: lengths far beyond the buffers they describe. The kernel
// must not allocate what a length claims (the fuzzer's getrandom of
// 0x7ffff000 bytes took the kernel's memory): Linux copies block by
// block, up to MAX_RW_COUNT, and stops at the first fault with the count
// copied so far (EFAULT only if nothing was).
#include "check.h"
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/uio.h>

int main(void) {
	// One page, the next unmapped; low, so that every length below fits
	// in the user half whatever the kernel's layout (access_ok).
	char *buf = mmap((void *)0x40000000, 8192, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (buf == MAP_FAILED) {
		printf("mmap: %s\n", strerrorname_np(errno));
		return 1;
	}
	munmap(buf + 4096, 4096);
	char *gap = buf + 4096;

	R(getrandom(buf, 0x7ffff000, 0));
	R(getrandom(buf + 4000, ~0UL, GRND_NONBLOCK));
	R(getrandom(gap, 1 << 30, 0));
	R(getrandom(buf, 0, 0));

	int p[2];
	R(pipe(p));
	R(write(p[1], "hello", 5));
	struct iovec big = {buf, 0x7ffff000};
	R(readv(p[0], &big, 1));
	printf("read back: %.5s\n", buf);
	struct iovec two[2] = {{buf, 100}, {buf + 100, 0x7fffef00}};
	R(write(p[1], "again", 5));
	R(readv(p[0], two, 2));
	// Together past MAX_RW_COUNT: cut short, not refused.
	struct iovec over[2] = {{buf, 0x7ffff000}, {buf, 0x7ffff000}};
	R(write(p[1], "three", 5));
	R(readv(p[0], over, 2));
	struct iovec neg[2] = {{gap, 10}, {buf, -1UL}}; // EINVAL before EFAULT
	R(readv(p[0], neg, 2));
	struct iovec kern[1] = {{KERNEL_PTR, 10}};
	R(readv(p[0], kern, 1));

	int fd = open("tmp/biglen", O_CREAT | O_RDWR | O_TRUNC, 0600);
	memcpy(buf, "data", 4);
	struct iovec w[2] = {{buf, 4}, {gap, 0x7fff0000}};
	R(writev(fd, w, 2));
	struct iovec w0[1] = {{gap, 0x7fff0000}};
	R(writev(fd, w0, 1));
	struct stat st;
	fstat(fd, &st);
	printf("file size %lld\n", (long long)st.st_size);
	R(unlink("tmp/biglen"));
	return 0;
}
