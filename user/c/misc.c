// Identity, time, randomness, limits, signals (recorded), arch_prctl,
// prctl, terminal ioctls, unknown system calls.
#include "check.h"
#include <linux/random.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <asm/prctl.h>
#include <elf.h>
#include <sys/auxv.h>

static void handler(int sig) { (void)sig; }

extern char _start[];

// aux returns getauxval(type) and whether the entry was there at all.
static unsigned long aux(unsigned long type, int *present) {
	errno = 0;
	unsigned long v = getauxval(type);
	*present = errno != ENOENT;
	return v;
}

// auxvFacts checks the initial auxiliary vector: every entry a static
// program reads, with the values that do not depend on the machine.
static void auxvFacts(void) {
	int p;
	const Elf64_Phdr *phdr = (const Elf64_Phdr *)aux(AT_PHDR, &p);
	unsigned long phnum = getauxval(AT_PHNUM);
	int hasLoad = 0;
	for (unsigned long i = 0; phdr && i < phnum; i++)
		hasLoad |= phdr[i].p_type == PT_LOAD;
	ok("AT_PHDR points at the program headers", p && phdr && hasLoad);
	printf("AT_PHENT %lu\n", getauxval(AT_PHENT));
	ok("AT_PHNUM", phnum > 0);
	printf("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
	ok("AT_ENTRY is _start", getauxval(AT_ENTRY) == (unsigned long)_start);
	unsigned long base = aux(AT_BASE, &p);
	printf("AT_BASE present %d value %lu\n", p, base);
	ok("AT_UID/EUID/GID/EGID", getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid() &&
	   getauxval(AT_GID) == getgid() && getauxval(AT_EGID) == getegid());
	unsigned long secure = aux(AT_SECURE, &p);
	printf("AT_SECURE present %d value %lu\n", p, secure);
	const unsigned char *rnd = (const unsigned char *)aux(AT_RANDOM, &p);
	ok("AT_RANDOM", p && rnd != NULL);
	aux(AT_HWCAP, &p);
	ok("AT_HWCAP present", p);
	aux(AT_HWCAP2, &p);
	ok("AT_HWCAP2 present", p);
	const char *execfn = (const char *)aux(AT_EXECFN, &p);
	ok("AT_EXECFN is a path", p && execfn && execfn[0] == '/');
	const char *platform = (const char *)aux(AT_PLATFORM, &p);
	printf("AT_PLATFORM %s\n", p && platform ? platform : "(none)");
	printf("AT_CLKTCK %lu\n", getauxval(AT_CLKTCK));
	unsigned long minsig = aux(AT_MINSIGSTKSZ, &p);
	ok("AT_MINSIGSTKSZ present and sane", p && minsig >= 1024 && minsig <= 65536);
	printf("sysconf(_SC_CLK_TCK) %ld sysconf(_SC_PAGESIZE) %ld\n", sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
}

int main(void) {
	auxvFacts();
	struct utsname u;
	R(uname(&u));
	printf("uname: %s %s\n", u.sysname, u.machine);
	R(uname(KERNEL_PTR));
	ok("getpid", getpid() > 0);
	ok("getppid", getppid() >= 0);
	ok("ids agree", getuid() == geteuid() && getgid() == getegid());

	char rnd[16];
	RAW(SYS_getrandom, rnd, sizeof rnd, 0);
	RAW(SYS_getrandom, rnd, sizeof rnd, GRND_NONBLOCK);
	RAW(SYS_getrandom, rnd, sizeof rnd, 0xff);
	RAW(SYS_getrandom, KERNEL_PTR, 16, 0);

	struct timespec a, b;
	R(clock_gettime(CLOCK_MONOTONIC, &a));
	R(clock_gettime(CLOCK_MONOTONIC, &b));
	ok("monotonic", b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
	R(clock_gettime(CLOCK_REALTIME, &a));
	ok("realtime after 2020", a.tv_sec > 1577836800);
	RAW(SYS_clock_gettime, 999, &a);
	RAW(SYS_clock_gettime, CLOCK_MONOTONIC, KERNEL_PTR);
	R(clock_getres(CLOCK_MONOTONIC, &a));
	printf("res: %ld %ld\n", (long)a.tv_sec, a.tv_nsec);
	RAW(SYS_clock_getres, 999, &a);
	R(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
	R(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a));
	struct timespec d = {0, 10 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &a);
	R(nanosleep(&d, NULL));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ok("slept 10ms", (b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec >= 10000000);
	struct timespec bad = {0, 2000000000};
	RAW(SYS_nanosleep, &bad, NULL);
	RAW(SYS_nanosleep, KERNEL_PTR, NULL);
	struct timespec past = {1, 0};
	RAW(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL);
	RAW(SYS_clock_nanosleep, 999, 0, &d, NULL);
	time_t now = 0;
	ok("time", syscall(SYS_time, &now) == now && now > 1577836800);

	int fd = open("data/hello.txt", O_RDONLY);
	struct rlimit rl;
	R(getrlimit(RLIMIT_STACK, &rl));
	RAW(SYS_getrlimit, RLIMIT_NOFILE, &rl);
	RAW(SYS_getrlimit, 999, &rl);
	RAW(SYS_getrlimit, RLIMIT_NOFILE, KERNEL_PTR);
	struct rlimit bigger = {2, 1};
	R(setrlimit(RLIMIT_NOFILE, &bigger));
	RAW(SYS_prlimit64, 0, 999, NULL, &rl);
	RAW(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, KERNEL_PTR);
	R(getrlimit(RLIMIT_NOFILE, &rl));
	struct rlimit lower = {64, rl.rlim_max};
	R(setrlimit(RLIMIT_NOFILE, &lower));
	R(getrlimit(RLIMIT_NOFILE, &rl));
	printf("nofile soft %ld\n", (long)rl.rlim_cur);
	int fds = 0;
	while (dup(0) >= 0)
		fds++;
	printf("dup until EMFILE: %s, below 64: %d\n", strerrorname_np(errno), fds < 64);

	unsigned long fsbase = 0;
	RAW(SYS_arch_prctl, ARCH_GET_FS, &fsbase);
	ok("fs base set", fsbase != 0);
	RAW(SYS_arch_prctl, ARCH_SET_FS, 0xffffffff80000000UL);
	RAW(SYS_arch_prctl, 0x9999, 0);
	RAW(SYS_arch_prctl, ARCH_GET_FS, KERNEL_PTR);

	struct sigaction sa = {0}, old;
	sa.sa_handler = handler;
	R(sigaction(SIGUSR1, &sa, NULL));
	R(sigaction(SIGUSR1, NULL, &old));
	ok("sigaction reads back", old.sa_handler == handler);
	R(sigaction(SIGKILL, &sa, NULL));
	RAW(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4);
	RAW(SYS_rt_sigaction, 65, NULL, &old, 8);
	// The kernel keeps only the sa_flags bits it knows (since Linux 5.11)
	// and never lets a mask block SIGKILL or SIGSTOP.
	struct { unsigned long handler, flags, restorer, mask; } ka = {1, ~0UL, 0x1000, ~0UL}, kold;
	RAW(SYS_rt_sigaction, SIGUSR2, &ka, NULL, 8);
	RAW(SYS_rt_sigaction, SIGUSR2, NULL, &kold, 8);
	printf("kernel sigaction: handler %lx flags %#lx mask %#lx\n", kold.handler, kold.flags, kold.mask);
	sigset_t set, oset;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	R(sigprocmask(SIG_BLOCK, &set, NULL));
	R(sigprocmask(SIG_SETMASK, NULL, &oset));
	ok("mask reads back", sigismember(&oset, SIGUSR2));
	RAW(SYS_rt_sigprocmask, 99, &set, NULL, 8);
	static char altstack[16384];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack}, oss;
	R(sigaltstack(&ss, NULL));
	R(sigaltstack(NULL, &oss));
	ok("altstack reads back", oss.ss_sp == altstack && oss.ss_size == sizeof altstack);
	stack_t tiny = {.ss_sp = altstack, .ss_size = 100};
	R(sigaltstack(&tiny, NULL));
	R(kill(getpid(), 0));
	R(kill(999999, 0));

	char name[16] = {0};
	R(prctl(PR_SET_NAME, "renamed"));
	R(prctl(PR_GET_NAME, name));
	printf("name: %s\n", name);
	R(prctl(0x12345678, 0, 0, 0, 0));

	struct termios t;
	R(ioctl(0, TCGETS, &t));
	printf("tty: icanon %d echo %d isig %d vmin %d veof %d\n", !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO), !!(t.c_lflag & ISIG), t.c_cc[VMIN], t.c_cc[VEOF]);
	struct winsize ws;
	R(ioctl(1, TIOCGWINSZ, &ws));
	R(ioctl(0, TCGETS, KERNEL_PTR));
	R(ioctl(fd, TCGETS, &t));
	R(ioctl(999, TCGETS, &t));
	R(syscall(500));
	R(syscall(1000));
	R(syscall(-1L));
	return 0;
}
