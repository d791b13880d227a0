// Memory: mmap (anonymous and file-backed), munmap, mprotect, mremap,
// madvise, brk, and their errors.
#include "check.h"
#include <sys/mman.h>

#define PAGE 4096

// countMaps counts the lines of /proc/self/maps within [lo, hi).
static int countMaps(char *lo, char *hi) {
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long a, b;
	int n = 0;
	char line[512];
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a >= (unsigned long)lo && b <= (unsigned long)hi)
			n++;
	if (f)
		fclose(f);
	return n;
}

int main(void) {
	char *p = mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok("mmap anonymous", p != MAP_FAILED);
	ok("zero filled", p[0] == 0 && p[4 * PAGE - 1] == 0);
	memset(p, 'x', 4 * PAGE);
	R(mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	R(mmap(0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));
	R(mmap(p + 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	R(mmap(0, PAGE, PROT_READ, MAP_PRIVATE, 999, 0));
	R(mmap(p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	char *q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ok("MAP_FIXED replaces", q == p + PAGE && q[0] == 0 && p[0] == 'x');
	R(mprotect(p, PAGE, PROT_READ));
	R(mprotect(p + 1, PAGE, PROT_READ));
	R(mprotect((void *)0x10000000000, PAGE, PROT_READ));
	R(mprotect(p, PAGE, PROT_READ | PROT_WRITE));
	// PROT_NONE hides the page; its contents come back with PROT_READ.
	R(mprotect(p, PAGE, PROT_NONE));
	R(write(1, p, 1));
	R(mprotect(p, PAGE, PROT_READ));
	ok("contents survive PROT_NONE", p[0] == 'x');
	R(mprotect(p, PAGE, PROT_READ | PROT_WRITE));
	R(munmap(p + 2 * PAGE, PAGE));
	R(munmap(p + 1, PAGE));
	R(munmap(p, 0));
	R(mprotect(p, 4 * PAGE, PROT_READ));
	char *pop = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ok("MAP_POPULATE", pop != MAP_FAILED && pop[PAGE] == 0);

	int fd = open("data/hello.txt", O_RDONLY);
	char *f = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ok("file mapping", f != MAP_FAILED);
	printf("file mapping: %.12s| tail zero %d\n", f, f[13] == 0 && f[PAGE - 1] == 0);
	f[0] = 'J';
	char buf[16] = {0};
	pread(fd, buf, 5, 0);
	printf("private write stays private: %.5s %c\n", buf, f[0]);
	R(mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, 1));
	R(mmap(0, PAGE, PROT_READ, MAP_PRIVATE, 1, 0));
	int wfd = open("tmp/w", O_CREAT | O_WRONLY, 0644);
	R(mmap(0, PAGE, PROT_READ, MAP_PRIVATE, wfd, 0));

	char *r = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(r, "remap me");
	mmap(r + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	R(mremap(r, 2 * PAGE, 4 * PAGE, 0));
	char *r2 = mremap(r, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
	ok("mremap moves", r2 != MAP_FAILED && r2 != r && !strcmp(r2, "remap me"));
	char *r3 = mremap(r2, 4 * PAGE, PAGE, 0);
	ok("mremap shrinks in place", r3 == r2 && !strcmp(r3, "remap me"));
	R(mremap(r2 + 1, PAGE, PAGE, 0));
	R(mremap(r2, PAGE, 2 * PAGE, MREMAP_FIXED));

	char *m = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m[0] = 7;
	R(madvise(m, PAGE, MADV_DONTNEED));
	printf("after MADV_DONTNEED: %d\n", m[0]);
	R(madvise(m, PAGE, 12345));
	R(madvise(m + 1, PAGE, MADV_NORMAL));
	R(madvise(m, PAGE, MADV_WILLNEED));

	long cur = syscall(SYS_brk, 0);
	long grown = syscall(SYS_brk, cur + 65536);
	printf("brk grows by %ld\n", grown - cur);
	memset((char *)cur, 1, 65536);
	printf("brk shrinks back %d\n", syscall(SYS_brk, cur) == cur);
	printf("brk below the start %d\n", syscall(SYS_brk, 4096) == cur);

	// How ld.so maps a library: a read-only part and, next to it, a part
	// that was writable for relocation and is then made read-only
	// (RELRO). Having been writable (VM_ACCOUNT) keeps the second apart:
	// /proc/self/maps shows two mappings of the file, while two parts
	// never writable merge into one.
	char relro[] = "/tmp/relroXXXXXX";
	fd = mkstemp(relro);
	R(ftruncate(fd, 3 * PAGE));
	unlink(relro);
	char *lib = mmap(0, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	mmap(lib + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, PAGE);
	lib[PAGE] = 1;
	R(mprotect(lib + PAGE, PAGE, PROT_READ));
	printf("mappings of a file with a RELRO page: %d\n", countMaps(lib, lib + 3 * PAGE));
	char *ro = mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	mmap(ro + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, PAGE);
	printf("mappings of a file mapped read-only twice: %d\n", countMaps(ro, ro + 2 * PAGE));
	return 0;
}
