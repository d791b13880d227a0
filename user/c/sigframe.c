// sigframe.c: the x86-64 rt_sigframe checked field by field from inside
// handlers, against what Linux builds (arch/x86/kernel/signal.c
// get_sigframe, signal_64.c x64_setup_rt_frame, fpu/signal.c
// copy_fpstate_to_sigframe): the restorer as the handler's return address,
// the ucontext and siginfo where Linux puts them, the handler's stack
// alignment and registers, the red zone left alone, uc_flags, uc_link,
// uc_stack for each sigaltstack mode, every general register, RIP, RFLAGS,
// the segments, err, trapno, oldmask and cr2 of a page fault and of a
// system call, uc_sigmask, the XSAVE fpstate (alignment, place, software
// bytes, magics, header, the interrupted code's XMM, YMM, MXCSR and x87
// control word), the handler's fresh vector state, edits rt_sigreturn
// restores (GPRs, RIP past a faulting instruction, RFLAGS, XMM, YMM,
// MXCSR), and AT_MINSIGSTKSZ against the real frame. Where Linux and
// oyako may enable different XSAVE components (XCR0), it prints whether
// the values are consistent with CPUID leaf 0xD and XGETBV, not the
// values.
#include "check.h"
#include <cpuid.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <ucontext.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

// The values the probes load into the general registers.
#define V_RAX 0x1111aaaa0000a0a0
#define V_RBX 0x2222bbbb0000b0b0
#define V_RCX 0x18 // the probe's faulting store goes there
#define V_RDX 0x4444dddd0000d0d0
#define V_RSI 0x5555eeee0000e0e0
#define V_RDI 0x6666ffff0000f0f0
#define V_RBP 0x7777000011110101
#define V_R8 0x0808080808080808
#define V_R9 0x0909090909090909
#define V_R10 0x1010101010101010
#define V_R11 0x1111111111111111
#define V_R12 0x1212121212121212
#define V_R13 0x1313131313131313
#define V_R14 0x1414141414141414
#define V_R15 0x1515151515151515
#define S(x) #x
#define STR(x) S(x)

// Shared with the assembly below.
uint64_t saved_rsp, entry_rsp, entry_regs[4], entry_flags, my_tid, hits;
uint32_t in_mxcsr = 0x9fc0, entry_mxcsr, out_mxcsr, dflt_mxcsr = 0x1f80;
uint16_t in_fcw = 0x27f, entry_fcw, out_fcw, dflt_fcw = 0x37f;
// out_gpr: rax rbx rcx rdx rsi rdi rbp r8-r15 rsp rflags.
uint64_t out_gpr[17];
unsigned char ymm_in[16][32] __attribute__((aligned(32))), out_ymm[16][32] __attribute__((aligned(32)));
uint64_t redzone[16];

#define LOADX(i) "vmovdqu ymm_in+" #i "*32(%rip), %ymm" #i "\n"
#define SAVEX(i) "vmovdqu %ymm" #i ", out_ymm+" #i "*32(%rip)\n"
#define RZ(i) "mov -128+" #i "*8(%rsp), %rax\nmov %rax, redzone+" #i "*8(%rip)\n"

// PROLOGUE saves the callee-saved registers and the stack pointer, fills
// the red zone below it with a pattern and loads RFLAGS (CF and IF), the
// vector state and the general registers.
#define PROLOGUE                                                                                   \
	"push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"                           \
	"pushq $0x203\npopfq\n"                                                                        \
	"mov %rsp, saved_rsp(%rip)\n"                                                                  \
	"lea -128(%rsp), %rdi\nmovabs $0x7a7a7a7a7a7a7a7a, %rax\nmov $16, %ecx\ncld\nrep stosq\n"       \
	"ldmxcsr in_mxcsr(%rip)\nfldcw in_fcw(%rip)\n" LOADX(0) LOADX(1) LOADX(2) LOADX(3) LOADX(4)    \
	    LOADX(5) LOADX(6) LOADX(7) LOADX(8) LOADX(9) LOADX(10) LOADX(11) LOADX(12) LOADX(13)       \
		LOADX(14) LOADX(15) "movabs $" STR(V_RAX) ", %rax\nmovabs $" STR(V_RBX) ", %rbx\n"         \
	                              "movabs $" STR(V_RCX) ", %rcx\nmovabs $" STR(V_RDX) ", %rdx\n"   \
	                              "movabs $" STR(V_RSI) ", %rsi\nmovabs $" STR(V_RDI) ", %rdi\n"   \
	                              "movabs $" STR(V_RBP) ", %rbp\nmovabs $" STR(V_R8) ", %r8\n"     \
	                              "movabs $" STR(V_R9) ", %r9\nmovabs $" STR(V_R10) ", %r10\n"     \
	                              "movabs $" STR(V_R11) ", %r11\nmovabs $" STR(V_R12) ", %r12\n"   \
	                              "movabs $" STR(V_R13) ", %r13\nmovabs $" STR(V_R14) ", %r14\n"   \
	                              "movabs $" STR(V_R15) ", %r15\n"

// EPILOGUE records every register as the resumed code sees it and the
// red zone (before anything is pushed), then returns to C with its
// vector state.
#define EPILOGUE                                                                                   \
	"mov %rax, out_gpr+0(%rip)\nmov %rbx, out_gpr+8(%rip)\nmov %rcx, out_gpr+16(%rip)\n"           \
	"mov %rdx, out_gpr+24(%rip)\nmov %rsi, out_gpr+32(%rip)\nmov %rdi, out_gpr+40(%rip)\n"         \
	"mov %rbp, out_gpr+48(%rip)\nmov %r8, out_gpr+56(%rip)\nmov %r9, out_gpr+64(%rip)\n"           \
	"mov %r10, out_gpr+72(%rip)\nmov %r11, out_gpr+80(%rip)\nmov %r12, out_gpr+88(%rip)\n"         \
	"mov %r13, out_gpr+96(%rip)\nmov %r14, out_gpr+104(%rip)\nmov %r15, out_gpr+112(%rip)\n"       \
	"mov %rsp, out_gpr+120(%rip)\n" SAVEX(0) SAVEX(1) SAVEX(2) SAVEX(3) SAVEX(4) SAVEX(5) SAVEX(6) \
	    SAVEX(7) SAVEX(8) SAVEX(9) SAVEX(10) SAVEX(11) SAVEX(12) SAVEX(13) SAVEX(14) SAVEX(15)     \
		"stmxcsr out_mxcsr(%rip)\nfnstcw out_fcw(%rip)\n" RZ(0) RZ(1) RZ(2) RZ(3) RZ(4) RZ(5)      \
		    RZ(6) RZ(7) RZ(8) RZ(9) RZ(10) RZ(11) RZ(12) RZ(13) RZ(14) RZ(15)                      \
		"pushfq\npop %rax\nmov %rax, out_gpr+128(%rip)\ncld\nvzeroupper\n"                         \
		"ldmxcsr dflt_mxcsr(%rip)\nfldcw dflt_fcw(%rip)\n"                                         \
		"mov saved_rsp(%rip), %rsp\npop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n"

void probe_fault(void), probe_syscall(void), handler_entry(int, siginfo_t *, void *);
extern char fault_insn[], fault_end[], syscall_end[];

__asm__(".text\n"
        // probe_fault stores to V_RCX (unmapped) with CF set and every
        // register loaded; the handler moves RIP to fault_end.
        ".globl probe_fault\nprobe_fault:\n" PROLOGUE
        ".globl fault_insn\nfault_insn:\nmov %rax, (%rcx)\n"
        ".globl fault_end\nfault_end:\n" EPILOGUE
        // probe_syscall makes tkill(my_tid, SIGUSR1) with every other
        // register loaded: the handler runs on the way out.
        ".globl probe_syscall\nprobe_syscall:\n" PROLOGUE "mov my_tid(%rip), %rdi\nmov $" STR(
	        SIGUSR1) ", %esi\nmov $200, %eax\nsyscall\n"
                     ".globl syscall_end\nsyscall_end:\n" EPILOGUE
        // handler_entry records what the handler starts with and goes on
        // to handler_c with the stack as the kernel left it.
        ".globl handler_entry\nhandler_entry:\n"
        "mov %rsp, entry_rsp(%rip)\nmov %rax, entry_regs+0(%rip)\nmov %rdi, entry_regs+8(%rip)\n"
        "mov %rsi, entry_regs+16(%rip)\nmov %rdx, entry_regs+24(%rip)\n"
        "pushfq\npop %rax\nmov %rax, entry_flags(%rip)\n"
        "stmxcsr entry_mxcsr(%rip)\nfnstcw entry_fcw(%rip)\n"
        "jmp handler_c\n");

// The kernel's struct ucontext: siginfo follows it in the frame.
#define UC_SIZE 304
#define RT_SIGFRAME_SIZE 440
#define UC_FP_XSTATE 1
#define UC_SIGCONTEXT_SS 2
#define UC_STRICT_RESTORE_SS 4
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U

static uint32_t xsave_size, ymm_offset; // CPUID.(EAX=0DH,ECX=0).EBX and the AVX component's offset
static uint64_t xcr0;
static int mode; // what the handler checks: 0 fault, 1 syscall, 2 altstack, 4 uc_stack only
static stack_t alt;
static uint64_t frame_bytes; // the stack the page fault's frame took below the red zone

static uint64_t le64(const unsigned char *p) { return *(const uint64_t *)p; }
static uint32_t le32(const unsigned char *p) { return *(const uint32_t *)p; }

static void fpstate_checks(unsigned char *fp, uint64_t frame) {
	printf("fpstate 64-byte aligned: %s\n", ((uintptr_t)fp & 63) == 0 ? "ok" : "FAIL");
	uint32_t magic1 = le32(fp + 464), ext = le32(fp + 468), xsz = le32(fp + 480);
	uint64_t xfeat = le64(fp + 472);
	printf("magic1: %#x\n", magic1);
	printf("extended_size = xstate_size + 4: %s\n", ext == xsz + 4 ? "ok" : "FAIL");
	printf("xstate_size and xfeatures consistent with CPUID 0xD and XGETBV: %s\n",
	       xsz == xsave_size && xfeat == xcr0 ? "ok" : "FAIL");
	printf("magic2 at fpstate+extended_size-4: %#x\n", le32(fp + ext - 4));
	// Linux's layout: fpstate at the top, below the red zone, aligned
	// down to 64; the rt_sigframe below it, aligned as a function entry.
	int onalt = frame > (uint64_t)alt.ss_sp && frame < (uint64_t)alt.ss_sp + alt.ss_size;
	if (mode != 2 || onalt) {
		uint64_t top = mode == 2 ? (uint64_t)alt.ss_sp + alt.ss_size : saved_rsp - 128;
		printf("fpstate where Linux puts it: %s\n", (uint64_t)fp == ((top - ext) & ~63UL) ? "ok" : "FAIL");
		printf("frame where Linux puts it: %s\n",
		       frame == ((((uint64_t)fp - RT_SIGFRAME_SIZE) & ~15UL) - 8) ? "ok" : "FAIL");
	}
	uint64_t bv = le64(fp + 512), comp = le64(fp + 520);
	int rsv = 0;
	for (int i = 16; i < 64; i++)
		rsv |= fp[512 + i];
	printf("xstate_bv has FP and SSE, only enabled features: %s; xcomp_bv %#lx, reserved %s\n",
	       (bv & 3) == 3 && (bv & ~xfeat) == 0 ? "ok" : "FAIL", (unsigned long)comp, rsv ? "set" : "zero");
}

static void regs_checks(ucontext_t *uc, int syscall) {
	greg_t *g = uc->uc_mcontext.gregs;
	struct {
		const char *name;
		int reg;
		uint64_t want;
	} w[] = {
	    {"r8", REG_R8, V_R8},    {"r9", REG_R9, V_R9},    {"r10", REG_R10, V_R10}, {"r11", REG_R11, V_R11},
	    {"r12", REG_R12, V_R12}, {"r13", REG_R13, V_R13}, {"r14", REG_R14, V_R14}, {"r15", REG_R15, V_R15},
	    {"rdi", REG_RDI, V_RDI}, {"rsi", REG_RSI, V_RSI}, {"rbp", REG_RBP, V_RBP}, {"rbx", REG_RBX, V_RBX},
	    {"rdx", REG_RDX, V_RDX}, {"rax", REG_RAX, V_RAX}, {"rcx", REG_RCX, V_RCX},
	};
	char bad[256] = "";
	for (unsigned i = 0; i < sizeof w / sizeof w[0]; i++) {
		uint64_t want = w[i].want;
		if (syscall && w[i].reg == REG_RDI)
			want = my_tid;
		if (syscall && w[i].reg == REG_RSI)
			want = SIGUSR1;
		if (syscall && w[i].reg == REG_RAX)
			want = 0; // tkill's result
		if (syscall && (w[i].reg == REG_RCX || w[i].reg == REG_R11))
			continue; // SYSCALL's own
		if ((uint64_t)g[w[i].reg] != want)
			snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " %s", w[i].name);
	}
	printf("general registers as loaded:%s\n", bad[0] ? bad : " ok");
	printf("rsp: %s\n", (uint64_t)g[REG_RSP] == saved_rsp ? "ok" : "FAIL");
	if (syscall) {
		printf("rip after the syscall: %s\n", g[REG_RIP] == (greg_t)syscall_end ? "ok" : "FAIL");
		printf("rcx = rip, r11 = eflags (SYSCALL's): %s\n",
		       g[REG_RCX] == g[REG_RIP] && g[REG_R11] == g[REG_EFL] ? "ok" : "FAIL");
	} else {
		printf("rip at the faulting store: %s\n", g[REG_RIP] == (greg_t)fault_insn ? "ok" : "FAIL");
	}
	// RF in the image of a fault is the CPU's (or the hypervisor's) to
	// set: not the kernel's.
	printf("eflags: %#lx\n", (unsigned long)(g[REG_EFL] & ~0x10000L));
	uint16_t *seg = (uint16_t *)&g[REG_CSGSFS];
	printf("cs %#x gs %#x fs %#x ss %#x\n", seg[0], seg[1], seg[2], seg[3]);
	printf("err %ld trapno %ld oldmask %#lx cr2 %#lx\n", (long)g[REG_ERR], (long)g[REG_TRAPNO],
	       (unsigned long)g[REG_OLDMASK], (unsigned long)g[REG_CR2]);
}

static void vector_checks(unsigned char *fp) {
	int bad = 0;
	for (int i = 0; i < 16; i++)
		bad |= memcmp(fp + 160 + 16 * i, ymm_in[i], 16) != 0;
	printf("xmm0-15 of the interrupted code in the fpstate: %s\n", bad ? "FAIL" : "ok");
	if (ymm_offset) {
		bad = !(le64(fp + 512) & 4);
		for (int i = 0; i < 16; i++)
			bad |= memcmp(fp + ymm_offset + 16 * i, ymm_in[i] + 16, 16) != 0;
		printf("ymm upper halves in the AVX component: %s\n", bad ? "FAIL" : "ok");
	}
	printf("fpstate mxcsr %#x fcw %#x\n", le32(fp + 24), *(uint16_t *)fp);
	printf("the handler's own mxcsr %#x fcw %#x\n", entry_mxcsr, entry_fcw);
}

void handler_c(int sig, siginfo_t *si, void *ucp) {
	ucontext_t *uc = ucp;
	struct sigaction cur;
	sigaction(sig, NULL, &cur);
	printf("-- handler for %s\n", sig_name(sig));
	if (mode == 4) {
		printf("uc_stack: sp %p flags %#x size %zu\n", uc->uc_stack.ss_sp, uc->uc_stack.ss_flags, uc->uc_stack.ss_size);
		return;
	}
	printf("return address is sa_restorer: %s\n", *(uint64_t *)entry_rsp == (uint64_t)cur.sa_restorer ? "ok" : "FAIL");
	printf("(rsp+8) %% 16 at entry: %lu\n", (unsigned long)((entry_rsp + 8) % 16));
	printf("ucontext at rsp+8: %s, siginfo after it: %s\n", (uint64_t)uc == entry_rsp + 8 ? "ok" : "FAIL",
	       (uint64_t)si == entry_rsp + 8 + UC_SIZE ? "ok" : "FAIL");
	printf("rdi = sig, rsi = siginfo, rdx = ucontext, rax = 0: %s\n",
	       entry_regs[1] == (uint64_t)sig && entry_regs[2] == (uint64_t)si && entry_regs[3] == (uint64_t)uc &&
	               entry_regs[0] == 0
	           ? "ok"
	           : "FAIL");
	printf("DF and TF clear at entry: %s\n", (entry_flags & 0x500) == 0 ? "ok" : "FAIL");
	printf("uc_flags %#lx uc_link %p\n", uc->uc_flags, (void *)uc->uc_link);
	if (alt.ss_sp && uc->uc_stack.ss_sp == alt.ss_sp)
		printf("uc_stack: the alternate stack, flags %#x, size %zu\n", uc->uc_stack.ss_flags, uc->uc_stack.ss_size);
	else
		printf("uc_stack: sp %p flags %#x size %zu\n", uc->uc_stack.ss_sp, uc->uc_stack.ss_flags, uc->uc_stack.ss_size);
	printf("uc_sigmask is oldmask: %s\n",
	       (uint64_t)uc->uc_mcontext.gregs[REG_OLDMASK] == *(uint64_t *)&uc->uc_sigmask ? "ok" : "FAIL");
	printf("si_signo %s si_code %d\n", sig_name(si->si_signo), si->si_code);
	unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
	fpstate_checks(fp, entry_rsp);
	switch (mode) {
	case 0: { // the page fault in probe_fault
		frame_bytes = saved_rsp - 128 - entry_rsp;
		printf("si_addr is cr2: %s\n", si->si_addr == (void *)uc->uc_mcontext.gregs[REG_CR2] ? "ok" : "FAIL");
		regs_checks(uc, 0);
		vector_checks(fp);
		// Edits rt_sigreturn must restore: skip the store, change two
		// registers, clear CF, change xmm3, ymm5's upper half and MXCSR.
		greg_t *g = uc->uc_mcontext.gregs;
		g[REG_RIP] = (greg_t)fault_end;
		g[REG_R12] = 0x1234;
		g[REG_RAX] = 0x5678;
		g[REG_EFL] &= ~1L;
		memset(fp + 160 + 3 * 16, 0x33, 16);
		if (ymm_offset)
			memset(fp + ymm_offset + 5 * 16, 0x55, 16);
		*(uint32_t *)(fp + 24) = 0x1f00; // all exceptions masked but precision, round to nearest
		break;
	}
	case 1:
		regs_checks(uc, 1);
		vector_checks(fp);
		break;
	case 2: {
		stack_t now;
		sigaltstack(NULL, &now);
		printf("on the alternate stack: %s; sigaltstack says flags %#x size %zu\n",
		       entry_rsp > (uint64_t)alt.ss_sp && entry_rsp < (uint64_t)alt.ss_sp + alt.ss_size ? "yes" : "no",
		       now.ss_flags, now.ss_size);
		break;
	}
	}
	hits++;
}

static void on(int sig, int flags) {
	struct sigaction sa = {.sa_sigaction = handler_entry, .sa_flags = SA_SIGINFO | flags};
	sigaction(sig, &sa, NULL);
}

static void fill_ymm(void) {
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 32; j++)
			ymm_in[i][j] = (unsigned char)(i * 16 + j + 1);
}

static void after(void) {
	const char *names[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",  "r9",
	                       "r10", "r11", "r12", "r13", "r14", "r15"};
	uint64_t want[] = {0x5678, V_RBX, V_RCX, V_RDX, V_RSI, V_RDI, V_RBP, V_R8, V_R9, V_R10, V_R11, 0x1234, V_R13, V_R14, V_R15};
	char bad[128] = "";
	for (int i = 0; i < 15; i++)
		if (out_gpr[i] != want[i])
			snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " %s", names[i]);
	printf("after rt_sigreturn: registers as edited:%s\n", bad[0] ? bad : " ok");
	printf("after rt_sigreturn: rsp %s, CF %lu, eflags %#lx\n", out_gpr[15] == saved_rsp ? "ok" : "FAIL",
	       (unsigned long)(out_gpr[16] & 1), (unsigned long)out_gpr[16]);
	int bad3 = 0, other = 0;
	for (int i = 0; i < 16; i++) {
		unsigned char want_lo[16];
		memcpy(want_lo, ymm_in[i], 16);
		if (i == 3)
			memset(want_lo, 0x33, 16);
		if (memcmp(out_ymm[i], want_lo, 16))
			*(i == 3 ? &bad3 : &other) += 1;
	}
	printf("after rt_sigreturn: xmm3 as edited %s, other xmm %s\n", bad3 ? "FAIL" : "ok", other ? "FAIL" : "ok");
	if (ymm_offset) {
		int bad5 = 0, oth = 0;
		for (int i = 0; i < 16; i++) {
			unsigned char want_hi[16];
			memcpy(want_hi, ymm_in[i] + 16, 16);
			if (i == 5)
				memset(want_hi, 0x55, 16);
			if (memcmp(out_ymm[i] + 16, want_hi, 16))
				*(i == 5 ? &bad5 : &oth) += 1;
		}
		printf("after rt_sigreturn: ymm5's upper half as edited %s, others %s\n", bad5 ? "FAIL" : "ok",
		       oth ? "FAIL" : "ok");
	}
	printf("after rt_sigreturn: mxcsr %#x fcw %#x\n", out_mxcsr, out_fcw);
	int rz = 0;
	for (int i = 0; i < 16; i++)
		rz |= redzone[i] != 0x7a7a7a7a7a7a7a7aUL;
	printf("red zone untouched: %s\n", rz ? "FAIL" : "ok");
}

// fault checks the frame of a page fault and the edits the handler makes.
static void fault(void) {
	printf("-- a page fault with every register loaded\n");
	on(SIGSEGV, 0);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigaddset(&m, SIGRTMIN + 2);
	sigprocmask(SIG_SETMASK, &m, NULL);
	fflush(stdout);
	probe_fault();
	fflush(stdout);
	after();
	signal(SIGSEGV, SIG_DFL);
}

// syscall checks the frame of a signal delivered on the way out of a
// system call; trapno, err and cr2 still describe the last fault that
// raised a signal, which a page fault that was resolved does not change.
static void syscall_frame(void) {
	printf("-- a signal at the end of a system call\n");
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1; // a page fault the kernel resolves
	munmap(p, 4096);
	mode = 1;
	on(SIGUSR1, 0);
	my_tid = gettid();
	fflush(stdout);
	probe_syscall();
	fflush(stdout);
	printf("after rt_sigreturn: rax %ld, vector state back: %s, mxcsr %#x fcw %#x\n", (long)out_gpr[0],
	       !memcmp(out_ymm, ymm_in, sizeof ymm_in) ? "ok" : "FAIL", out_mxcsr, out_fcw);
	int rz = 0;
	for (int i = 0; i < 16; i++)
		rz |= redzone[i] != 0x7a7a7a7a7a7a7a7aUL;
	printf("red zone untouched: %s\n", rz ? "FAIL" : "ok");
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGUSR1, SIG_DFL);
}

// altstacks delivers on an alternate stack set up in each mode.
static void altstacks(void) {
	printf("-- sigaltstack modes\n");
	mode = 2;
	static char stack[65536] __attribute__((aligned(64)));
	struct {
		const char *what;
		int flags, sa_onstack;
	} cases[] = {
	    {"flags 0, SA_ONSTACK", 0, SA_ONSTACK},
	    {"SS_ONSTACK, SA_ONSTACK", SS_ONSTACK, SA_ONSTACK},
	    {"SS_AUTODISARM, SA_ONSTACK", SS_AUTODISARM, SA_ONSTACK},
	    {"flags 0, handler without SA_ONSTACK", 0, 0},
	    {"SS_DISABLE, SA_ONSTACK", SS_DISABLE, SA_ONSTACK},
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		printf("- %s\n", cases[i].what);
		alt = (stack_t){.ss_sp = stack + 8 * i, .ss_size = sizeof stack - 64 - 8 * i, .ss_flags = cases[i].flags};
		R(sigaltstack(&alt, NULL));
		if (cases[i].flags == SS_DISABLE)
			alt.ss_sp = NULL, alt.ss_size = 0;
		on(SIGUSR2, cases[i].sa_onstack);
		raise(SIGUSR2);
		stack_t now;
		sigaltstack(NULL, &now);
		printf("after: sigaltstack says flags %#x size %s\n", now.ss_flags,
		       now.ss_size == alt.ss_size ? "as set" : "other");
	}
	stack_t off = {.ss_flags = SS_DISABLE};
	sigaltstack(&off, NULL);
	alt = (stack_t){0};
	signal(SIGUSR2, SIG_DFL);
}

static void *thread_raise(void *arg) {
	(void)arg;
	raise(SIGUSR2);
	return NULL;
}

// inherited shows uc_stack in a new thread (which starts without an
// alternate stack, flags SS_DISABLE: sas_ss_reset) and after execve
// (which forgets the stack but keeps its flags: setup_new_exec).
static void inherited(char *self) {
	printf("-- uc_stack in a new thread and after execve\n");
	mode = 4;
	static char stack[16384];
	stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack, .ss_flags = SS_AUTODISARM};
	sigaltstack(&ss, NULL);
	on(SIGUSR2, 0);
	pthread_t th;
	pthread_create(&th, NULL, thread_raise, NULL);
	pthread_join(th, NULL);
	signal(SIGUSR2, SIG_DFL);
	fflush(stdout);
	pid_t pid = pfork();
	if (pid == 0) {
		char *argv[] = {self, "--after-exec", NULL};
		execv(self, argv);
		_exit(127);
	}
	reap("after execve", pid);
	stack_t off = {.ss_flags = SS_DISABLE};
	sigaltstack(&off, NULL);
}

static void on_tiny(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)si, (void)uc;
	hits++;
}

// minsigstksz checks AT_MINSIGSTKSZ: aligned, and a frame (whatever the
// alignment of the stack's top) fits on an alternate stack of that size.
static void minsigstksz(void) {
	printf("-- AT_MINSIGSTKSZ\n");
	unsigned long min = getauxval(AT_MINSIGSTKSZ);
	printf("a multiple of 16: %s; covers the frame just seen: %s\n", min % 16 == 0 ? "ok" : "FAIL",
	       frame_bytes && frame_bytes <= min ? "ok" : "FAIL");
	// Linux's formula (arch/x86/kernel/signal.c init_sigframe_size):
	// the ia32 sigframe and the FP state with its magic and an fsave
	// header, both padded for alignment, rounded up to 16.
	unsigned long linux_min = (732 + 15 + xsave_size + 4 + 112 + 63 + 15) & ~15UL;
	printf("at least Linux's formula for this XSAVE size: %s\n", min >= linux_min ? "ok" : "FAIL");
	char *mem = mmap(NULL, 3 * 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa = {.sa_sigaction = on_tiny, .sa_flags = SA_SIGINFO | SA_ONSTACK};
	sigaction(SIGUSR2, &sa, NULL);
	int fits = 0;
	for (int off = 0; off < 64; off++) {
		stack_t ss = {.ss_sp = mem + 65536 + off, .ss_size = min < 2048 ? 2048 : min};
		sigaltstack(&ss, NULL);
		hits = 0;
		raise(SIGUSR2);
		fits += hits == 1;
	}
	printf("a signal frame fits on a stack of AT_MINSIGSTKSZ bytes at 64 alignments: %d\n", fits);
	stack_t off = {.ss_flags = SS_DISABLE};
	sigaltstack(&off, NULL);
	signal(SIGUSR2, SIG_DFL);
	munmap(mem, 3 * 65536);
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--after-exec")) {
		mode = 4;
		stack_t now;
		sigaltstack(NULL, &now);
		printf("sigaltstack says flags %#x size %zu\n", now.ss_flags, now.ss_size);
		on(SIGUSR2, 0);
		raise(SIGUSR2);
		return 0;
	}
	unsigned a, b, c, d;
	__cpuid_count(0xd, 0, a, b, c, d);
	xsave_size = b;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xcr0 = (uint64_t)hi << 32 | lo;
	if (xcr0 & 4) {
		__cpuid_count(0xd, 2, a, b, c, d);
		ymm_offset = b;
	}
	printf("AVX enabled: %s\n", xcr0 & 4 ? "yes" : "no");
	fill_ymm();
	fault();
	syscall_frame();
	altstacks();
	minsigstksz();
	inherited(argv[0]);
	return 0;
}
