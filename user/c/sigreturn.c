// sigreturn.c: hostile rt_sigreturn frames. A handler edits its own
// ucontext in one way per case and returns; each case runs in a child,
// which either goes on with what Linux makes of the frame (restore_sigcontext
// keeps only the FIX_EFLAGS bits of RFLAGS and forces CPL 3 on CS and SS;
// fpu__restore_sig validates the XSAVE frame or falls back to the legacy
// FXSAVE part) and prints what the resumed code sees, or dies of the
// SIGSEGV (SIGBUS) that Linux raises: a bad frame, an IRET that faults on
// a bad selector or a non-canonical RIP, a fetch from the kernel half, an
// XRSTOR or FXRSTOR that faults on the user's image. Its SIGSEGV handler
// prints si_code before the child dies of it. (An AC flag that survives
// makes Linux raise SIGBUS, BUS_ADRALN, for the next unaligned access;
// QEMU's TCG does not check alignment, so that is not compared here.)
#include "check.h"
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>

uint64_t my_tid, r_flags, r_cs, r_ss;
uint32_t in_mxcsr = 0x5f80, r_mxcsr, dflt_mxcsr = 0x1f80;
unsigned char ymm_pat[32] __attribute__((aligned(32))), r_ymm[32] __attribute__((aligned(32)));
uint64_t saved_rsp;

void probe(void), catch_entry(int, siginfo_t *, void *);

// probe loads ymm1 and MXCSR, sends itself SIGUSR1 and, once the handler
// returned, records RFLAGS, CS, SS, MXCSR and ymm1 before anything else
// runs; then it returns to C with AC clear and C's vector state.
__asm__(".text\n.globl probe\nprobe:\n"
        "push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
        "mov %rsp, saved_rsp(%rip)\n"
        "vmovdqu ymm_pat(%rip), %ymm1\nldmxcsr in_mxcsr(%rip)\n"
        "mov my_tid(%rip), %rdi\nmov $10, %esi\nmov $200, %eax\nsyscall\n"
        "pushfq\npop %rax\nmov %rax, r_flags(%rip)\n"
        "mov %cs, %eax\nmov %rax, r_cs(%rip)\nmov %ss, %eax\nmov %rax, r_ss(%rip)\n"
        "stmxcsr r_mxcsr(%rip)\nvmovdqu %ymm1, r_ymm(%rip)\n"
        "pushfq\nandq $~0x40000, (%rsp)\npopfq\n"
        "pushfq\nandq $~0x40000, (%rsp)\npopfq\n"
        "vzeroupper\nldmxcsr dflt_mxcsr(%rip)\n"
        "mov saved_rsp(%rip), %rsp\n"
        "pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n"
        // catch_entry clears AC (Linux leaves it set for a handler) so
        // that C code may make unaligned accesses.
        ".globl catch_entry\ncatch_entry:\n"
        "pushfq\nandq $~0x40000, (%rsp)\npopfq\njmp catch_c\n");

#define IOPL3 0x3000UL
#define NT 0x4000UL
#define VM 0x20000UL
#define AC 0x40000UL
#define IF 0x200UL
#define UC_STRICT_RESTORE_SS 4

enum {
	C_NOTHING,
	C_EFLAGS,
	C_CS_KERNEL,
	C_CS_DATA,
	C_SS_NULL,
	C_SS_NULL_LAX,
	C_SS_KERNEL,
	C_RIP_NONCANONICAL,
	C_RIP_KERNEL,
	C_MAGIC1,
	C_BV_SUPERVISOR,
	C_XCOMP,
	C_HDR_BYTE16,
	C_HDR_BYTE40,
	C_MXCSR,
	C_MXCSR_FX,
	C_FP_NULL,
	C_FP_UNMAPPED,
	C_FP_MISALIGNED,
	C_FP_MISALIGNED_FX,
	C_XFEATURES_FPSSE,
	C_XSTATE_SIZE_SMALL,
	C_BV_NO_SSE,
	C_XSTATE_SIZE_HUGE,
	C_N,
};

static const char *names[] = {
    "nothing changed",
    "eflags with IOPL 3, NT, VM, AC, IF clear",
    "cs 0x10 (kernel code)",
    "cs 0x2b (user data)",
    "ss 0",
    "ss 0 without UC_STRICT_RESTORE_SS",
    "ss 0x18 (kernel data)",
    "non-canonical rip",
    "rip in the kernel half",
    "fpstate magic1 wrong",
    "xstate_bv with a supervisor component",
    "xcomp_bv 1",
    "xsave header byte 16 set",
    "xsave header byte 40 set",
    "mxcsr reserved bit",
    "mxcsr reserved bit, magic1 wrong",
    "fpstate NULL",
    "fpstate unmapped",
    "fpstate 16 bytes off 64-byte alignment",
    "fpstate 16 bytes off 64-byte alignment, magic1 wrong",
    "xfeatures FP|SSE only",
    "xstate_size 576 with magic2 there",
    "xstate_bv without SSE",
    "xstate_size larger than the kernel's",
};

static int which;
static char *unmapped;
static unsigned char fpcopy[8192] __attribute__((aligned(64)));

static void hostile(int sig, siginfo_t *si, void *ucp) {
	(void)sig, (void)si;
	ucontext_t *uc = ucp;
	greg_t *g = uc->uc_mcontext.gregs;
	uint16_t *seg = (uint16_t *)&g[REG_CSGSFS];
	unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
	uint32_t ext = *(uint32_t *)(fp + 468), xsz = *(uint32_t *)(fp + 480);
	memset(fp + 160 + 16, 0x11, 16); // xmm1 as the frame says
	switch (which) {
	case C_EFLAGS:
		g[REG_EFL] = (g[REG_EFL] | IOPL3 | NT | VM | AC) & ~IF;
		break;
	case C_CS_KERNEL:
		seg[0] = 0x10;
		break;
	case C_CS_DATA:
		seg[0] = 0x2b;
		break;
	case C_SS_NULL:
		seg[3] = 0;
		break;
	case C_SS_NULL_LAX:
		seg[3] = 0;
		uc->uc_flags &= ~UC_STRICT_RESTORE_SS;
		break;
	case C_SS_KERNEL:
		seg[3] = 0x18;
		break;
	case C_RIP_NONCANONICAL:
		g[REG_RIP] = 0x0000800000000000;
		break;
	case C_RIP_KERNEL:
		g[REG_RIP] = 0xffffffff80001000;
		break;
	case C_MAGIC1:
		*(uint32_t *)(fp + 464) = 0;
		break;
	case C_BV_SUPERVISOR:
		*(uint64_t *)(fp + 512) |= 1UL << 8;
		break;
	case C_XCOMP:
		*(uint64_t *)(fp + 520) = 1;
		break;
	case C_HDR_BYTE16:
		fp[512 + 16] = 1;
		break;
	case C_HDR_BYTE40:
		fp[512 + 40] = 1;
		break;
	case C_MXCSR:
		*(uint32_t *)(fp + 24) |= 1 << 16;
		break;
	case C_MXCSR_FX:
		*(uint32_t *)(fp + 24) |= 1 << 16;
		*(uint32_t *)(fp + 464) = 0;
		break;
	case C_FP_NULL:
		uc->uc_mcontext.fpregs = NULL;
		break;
	case C_FP_UNMAPPED:
		uc->uc_mcontext.fpregs = (void *)unmapped;
		break;
	case C_FP_MISALIGNED:
	case C_FP_MISALIGNED_FX:
		memcpy(fpcopy + 16, fp, ext);
		if (which == C_FP_MISALIGNED_FX)
			*(uint32_t *)(fpcopy + 16 + 464) = 0;
		uc->uc_mcontext.fpregs = (void *)(fpcopy + 16);
		break;
	case C_XFEATURES_FPSSE:
		*(uint64_t *)(fp + 472) = 3;
		break;
	case C_XSTATE_SIZE_SMALL:
		*(uint32_t *)(fp + 480) = 576;
		*(uint32_t *)(fp + 576) = 0x46505845;
		break;
	case C_BV_NO_SSE:
		*(uint64_t *)(fp + 512) &= ~2UL;
		break;
	case C_XSTATE_SIZE_HUGE:
		*(uint32_t *)(fp + 480) = xsz + 64;
		*(uint32_t *)(fp + 468) = xsz + 68;
		memcpy(fpcopy, fp, ext);
		*(uint32_t *)(fpcopy + xsz + 64) = 0x46505845;
		uc->uc_mcontext.fpregs = (void *)fpcopy;
		break;
	}
}

void catch_c(int sig, siginfo_t *si, void *ucp) {
	ucontext_t *uc = ucp;
	const char *addr = si->si_addr == NULL                                 ? "0"
	                   : si->si_addr == (void *)uc->uc_mcontext.gregs[REG_RIP] ? "rip"
	                                                                         : "other";
	printf("  %s si_code %d si_addr %s\n", sig_name(sig), si->si_code, addr);
	fflush(stdout);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const char *ymm_hi(void) {
	int frame = 1, zero = 1;
	for (int i = 16; i < 32; i++) {
		frame &= r_ymm[i] == ymm_pat[i];
		zero &= r_ymm[i] == 0;
	}
	return frame ? "as interrupted" : zero ? "zero" : "other";
}

static const char *xmm_lo(void) {
	int frame = 1, zero = 1, orig = 1;
	for (int i = 0; i < 16; i++) {
		frame &= r_ymm[i] == 0x11;
		zero &= r_ymm[i] == 0;
		orig &= r_ymm[i] == ymm_pat[i];
	}
	return frame ? "the frame's" : zero ? "zero" : orig ? "as interrupted" : "other";
}

static void run(int c) {
	pid_t pid = pfork();
	if (pid == 0) {
		which = c;
		struct sigaction sa = {.sa_sigaction = hostile, .sa_flags = SA_SIGINFO};
		sigaction(SIGUSR1, &sa, NULL);
		struct sigaction ca = {.sa_sigaction = catch_entry, .sa_flags = SA_SIGINFO | SA_NODEFER};
		sigaction(SIGSEGV, &ca, NULL);
		sigaction(SIGBUS, &ca, NULL);
		my_tid = gettid();
		probe();
		printf("  continued: eflags IOPL %lu NT %d VM %d AC %d IF %d, cs %#lx ss %#lx\n", (r_flags & IOPL3) >> 12,
		       !!(r_flags & NT), !!(r_flags & VM), !!(r_flags & AC), !!(r_flags & IF), (unsigned long)r_cs,
		       (unsigned long)r_ss);
		printf("  mxcsr %#x, xmm1 %s, ymm1's upper half %s\n", r_mxcsr, xmm_lo(), ymm_hi());
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("  %s\n", wait_status(st));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < 32; i++)
		ymm_pat[i] = (unsigned char)(0xa0 + i);
	unmapped = mmap(NULL, 65536, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped, 65536);
	for (int c = 0; c < C_N; c++) {
		printf("%s:\n", names[c]);
		run(c);
	}
	return 0;
}
