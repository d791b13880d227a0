// preadv.c: preadv, pwritev, preadv2 and pwritev2 (offsets, the file
// position, the RWF_ flags as tmpfs answers them, pipes).
#include "check.h"
#include <sys/uio.h>

int main(void) {
	int fd = open("pvf", O_CREAT | O_RDWR | O_TRUNC, 0644);
	char a[4] = "abcd", b[4] = "efgh", x[9] = {0};
	struct iovec iov[2] = {{a, 4}, {b, 4}}, r = {x, 8};
	R(pwritev(fd, iov, 2, 10));
	R(lseek(fd, 0, SEEK_CUR));
	R(preadv(fd, &r, 1, 10));
	printf("read back: %s\n", x);
	R(preadv(fd, &r, 1, -1));
	R(pwritev(fd, iov, 2, -5));
	R(preadv2(fd, &r, 1, -1, 0));
	R(lseek(fd, 0, SEEK_CUR));
	R(preadv2(fd, &r, 1, -2, 0));
	R(preadv2(fd, &r, 1, 0, 0x10000));
	R(preadv2(fd, &r, 1, 0, RWF_NOWAIT));
	R(preadv2(fd, &r, 1, 0, RWF_HIPRI));
	R(preadv2(fd, &r, 1, 0, RWF_DSYNC | RWF_SYNC));
	R(pwritev2(fd, iov, 1, 0, RWF_APPEND));
	R(lseek(fd, 0, SEEK_END));
	R(pwritev2(fd, iov, 1, 0, RWF_NOAPPEND));
	int ro = open("pvf", O_RDONLY);
	R(pwritev(ro, iov, 1, 0));
	R(preadv(-1, &r, 1, 0));
	R(syscall(SYS_preadv, fd, (void *)8, 1, 0, 0));
	R(syscall(SYS_preadv, fd, &r, -1, 0, 0));
	int p[2];
	if (pipe(p) != 0)
		return 1;
	R(preadv(p[0], &r, 1, 0));
	R(preadv2(p[0], &r, 1, -1, RWF_NOWAIT));
	R(pwritev2(p[1], iov, 2, -1, 0));
	R(preadv2(p[0], &r, 1, -1, RWF_NOWAIT));
	printf("read back: %s\n", x);
	unlink("pvf");
	return 0;
}
