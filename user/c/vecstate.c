// vecstate: the vector registers (XMM/YMM, MXCSR, x87) of a program are
// exactly as it left them after every kind of system call: those the
// kernel's fast path serves (getpid, read of /dev/zero, write to
// /dev/null, clock_gettime, an unknown number), those that go to a
// handler (getppid, a 64 KiB read of a file, which copies with the
// kernel's memmove), one that blocks while another process runs its own
// vector code (the register state changes owner twice), one that
// interrupts the call with a signal whose handler clobbers every vector
// register, and each again with a non-default MXCSR (rounding toward
// zero), which the fast path declines. Linux and oyako must agree.
#include "check.h"
#include <cpuid.h>
#include <sys/wait.h>

#define NREG 16
static int avx;                                // YMM registers usable
static uint8_t want[NREG * 32], got[NREG * 32]; // register images

// vcall loads the 16 vector registers from in, makes system call nr
// with three arguments, and stores the registers to out, all in one asm
// block so that the compiler has no chance to use them in between.
static long vcall(long nr, long a0, long a1, long a2, const uint8_t *in, uint8_t *out) {
	long ret = nr;
	if (avx) {
		__asm__ volatile(
		    "vmovdqu 0(%[in]), %%ymm0\n\tvmovdqu 32(%[in]), %%ymm1\n\t"
		    "vmovdqu 64(%[in]), %%ymm2\n\tvmovdqu 96(%[in]), %%ymm3\n\t"
		    "vmovdqu 128(%[in]), %%ymm4\n\tvmovdqu 160(%[in]), %%ymm5\n\t"
		    "vmovdqu 192(%[in]), %%ymm6\n\tvmovdqu 224(%[in]), %%ymm7\n\t"
		    "vmovdqu 256(%[in]), %%ymm8\n\tvmovdqu 288(%[in]), %%ymm9\n\t"
		    "vmovdqu 320(%[in]), %%ymm10\n\tvmovdqu 352(%[in]), %%ymm11\n\t"
		    "vmovdqu 384(%[in]), %%ymm12\n\tvmovdqu 416(%[in]), %%ymm13\n\t"
		    "vmovdqu 448(%[in]), %%ymm14\n\tvmovdqu 480(%[in]), %%ymm15\n\t"
		    "syscall\n\t"
		    "vmovdqu %%ymm0, 0(%[out])\n\tvmovdqu %%ymm1, 32(%[out])\n\t"
		    "vmovdqu %%ymm2, 64(%[out])\n\tvmovdqu %%ymm3, 96(%[out])\n\t"
		    "vmovdqu %%ymm4, 128(%[out])\n\tvmovdqu %%ymm5, 160(%[out])\n\t"
		    "vmovdqu %%ymm6, 192(%[out])\n\tvmovdqu %%ymm7, 224(%[out])\n\t"
		    "vmovdqu %%ymm8, 256(%[out])\n\tvmovdqu %%ymm9, 288(%[out])\n\t"
		    "vmovdqu %%ymm10, 320(%[out])\n\tvmovdqu %%ymm11, 352(%[out])\n\t"
		    "vmovdqu %%ymm12, 384(%[out])\n\tvmovdqu %%ymm13, 416(%[out])\n\t"
		    "vmovdqu %%ymm14, 448(%[out])\n\tvmovdqu %%ymm15, 480(%[out])\n\t"
		    "vzeroupper"
		    : "+a"(ret)
		    : "D"(a0), "S"(a1), "d"(a2), [in] "r"(in), [out] "r"(out)
		    : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		      "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	} else {
		// Without AVX only the XMM halves exist; the images keep the
		// YMM layout with the upper halves unused.
		__asm__ volatile(
		    "movdqu 0(%[in]), %%xmm0\n\tmovdqu 32(%[in]), %%xmm1\n\t"
		    "movdqu 64(%[in]), %%xmm2\n\tmovdqu 96(%[in]), %%xmm3\n\t"
		    "movdqu 128(%[in]), %%xmm4\n\tmovdqu 160(%[in]), %%xmm5\n\t"
		    "movdqu 192(%[in]), %%xmm6\n\tmovdqu 224(%[in]), %%xmm7\n\t"
		    "movdqu 256(%[in]), %%xmm8\n\tmovdqu 288(%[in]), %%xmm9\n\t"
		    "movdqu 320(%[in]), %%xmm10\n\tmovdqu 352(%[in]), %%xmm11\n\t"
		    "movdqu 384(%[in]), %%xmm12\n\tmovdqu 416(%[in]), %%xmm13\n\t"
		    "movdqu 448(%[in]), %%xmm14\n\tmovdqu 480(%[in]), %%xmm15\n\t"
		    "syscall\n\t"
		    "movdqu %%xmm0, 0(%[out])\n\tmovdqu %%xmm1, 32(%[out])\n\t"
		    "movdqu %%xmm2, 64(%[out])\n\tmovdqu %%xmm3, 96(%[out])\n\t"
		    "movdqu %%xmm4, 128(%[out])\n\tmovdqu %%xmm5, 160(%[out])\n\t"
		    "movdqu %%xmm6, 192(%[out])\n\tmovdqu %%xmm7, 224(%[out])\n\t"
		    "movdqu %%xmm8, 256(%[out])\n\tmovdqu %%xmm9, 288(%[out])\n\t"
		    "movdqu %%xmm10, 320(%[out])\n\tmovdqu %%xmm11, 352(%[out])\n\t"
		    "movdqu %%xmm12, 384(%[out])\n\tmovdqu %%xmm13, 416(%[out])\n\t"
		    "movdqu %%xmm14, 448(%[out])\n\tmovdqu %%xmm15, 480(%[out])"
		    : "+a"(ret)
		    : "D"(a0), "S"(a1), "d"(a2), [in] "r"(in), [out] "r"(out)
		    : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		      "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	}
	return ret;
}

static void fill(uint8_t *img, unsigned seed) {
	for (int i = 0; i < NREG * 32; i++) {
		seed = seed * 1103515245 + 12345;
		img[i] = seed >> 16;
	}
}

// compare reports the first register that differs, YMM upper halves
// included when they exist.
static void compare(const char *what, long ret) {
	int width = avx ? 32 : 16;
	for (int r = 0; r < NREG; r++) {
		if (memcmp(want + r * 32, got + r * 32, width) != 0) {
			printf("%s: returned %s, %s%d CHANGED\n", what, ret < 0 ? "error" : "ok", avx ? "ymm" : "xmm", r);
			return;
		}
	}
	printf("%s: returned %s, vector registers preserved\n", what, ret < 0 && ret > -4096 ? "error" : "ok");
}

static unsigned mxcsr(void) {
	unsigned v;
	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static void set_mxcsr(unsigned v) { __asm__ volatile("ldmxcsr %0" ::"m"(v)); }

static unsigned short fpu_cw(void) {
	unsigned short v;
	__asm__ volatile("fnstcw %0" : "=m"(v));
	return v;
}

static void set_fpu_cw(unsigned short v) { __asm__ volatile("fldcw %0" ::"m"(v)); }

static volatile int handled;

// clobber is a signal handler that changes every vector register, MXCSR
// and the x87 control word; rt_sigreturn must put them all back.
static void clobber(int sig) {
	(void)sig;
	static uint8_t junk[NREG * 32], sink[NREG * 32];
	fill(junk, 99);
	set_mxcsr(0x1f80 | 0x4000);
	set_fpu_cw(0x0c7f);
	vcall(SYS_getpid, 0, 0, 0, junk, sink);
	handled++;
}

// spin runs in a child: its own vector registers, MXCSR and x87 control
// word, kept busy with system calls until the parent is done sleeping.
static void spin(void) {
	static uint8_t in[NREG * 32], out[NREG * 32];
	fill(in, 7);
	set_mxcsr(0x1f80 | 0x2000);
	set_fpu_cw(0x037e);
	for (int i = 0; i < 2000; i++) {
		vcall(SYS_sched_yield, 0, 0, 0, in, out);
		if (memcmp(in, out, avx ? sizeof in : 16) != 0) {
			printf("child: vector registers CHANGED\n");
			_exit(1);
		}
	}
	_exit(0);
}

static void run_cases(const char *mode) {
	static char buf[65536];
	char what[96];
	int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
	int big = open("/tmp/vecstate.big", O_RDWR | O_CREAT | O_TRUNC, 0600);
	memset(buf, 'x', sizeof buf);
	write(big, buf, sizeof buf);
	struct timespec ts, nap = {0, 20 * 1000 * 1000};
	struct {
		const char *name;
		long nr, a0, a1, a2;
	} cs[] = {
	    {"getpid", SYS_getpid, 0, 0, 0},
	    {"read /dev/zero", SYS_read, zero, (long)buf, 1},
	    {"read 16 KiB of /dev/zero", SYS_read, zero, (long)buf, 16384},
	    {"write /dev/null", SYS_write, null, (long)buf, 1},
	    {"clock_gettime", SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0},
	    {"unknown number", 1000, 0, 0, 0},
	    {"getppid", SYS_getppid, 0, 0, 0},
	    {"pread 64 KiB", SYS_pread64, big, (long)buf, sizeof buf},
	};
	for (unsigned i = 0; i < sizeof cs / sizeof cs[0]; i++) {
		fill(want, i + 1);
		for (int k = 0; k < 3; k++) { // the unknown number is logged once, then fast
			long r = vcall(cs[i].nr, cs[i].a0, cs[i].a1, cs[i].a2, want, got);
			if (k == 2) {
				snprintf(what, sizeof what, "%s%s", cs[i].name, mode);
				compare(what, r);
			}
		}
	}
	// A nap while a child runs vector code of its own.
	pid_t pid = fork();
	if (pid == 0)
		spin();
	fill(want, 50);
	set_fpu_cw(0x0b7f);
	long r = vcall(SYS_nanosleep, (long)&nap, 0, 0, want, got);
	snprintf(what, sizeof what, "nanosleep while another process runs%s", mode);
	compare(what, r);
	printf("x87 control word after the nap: %#x\n", fpu_cw());
	set_fpu_cw(0x037f);
	int st;
	waitpid(pid, &st, 0);
	printf("child: exit status %d\n", WEXITSTATUS(st));
	// A signal whose handler clobbers everything, delivered as kill
	// returns.
	fill(want, 60);
	r = vcall(SYS_kill, getpid(), SIGUSR1, 0, want, got);
	snprintf(what, sizeof what, "kill with a clobbering handler%s", mode);
	compare(what, r);
	printf("handler ran: %d\n", handled);
	close(zero);
	close(null);
	close(big);
	unlink("/tmp/vecstate.big");
}

int main(void) {
	unsigned a = 0, b = 0, c = 0, d = 0;
	__get_cpuid(1, &a, &b, &c, &d);
	if ((c & bit_AVX) && (c & bit_OSXSAVE)) {
		unsigned lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		avx = (lo & 6) == 6;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa = {.sa_handler = clobber};
	sigaction(SIGUSR1, &sa, NULL);
	run_cases("");
	unsigned def = mxcsr();
	set_mxcsr((def & ~0x6000) | 0x6000); // round toward zero
	run_cases(", MXCSR rounding toward zero");
	printf("MXCSR kept: %s\n", (mxcsr() & 0x6000) == 0x6000 ? "yes" : "no");
	set_mxcsr(def);
	return 0;
}
