#include "textflag.h"
#include "go_asm.h"

#define MSR_FS_BASE 0xc0000100
#define MSR_KERNEL_GS_BASE 0xc0000102

// PUSH_PT_REGS pushes the pt_regs of a SYSCALL made with the given CS and
// SS: the hardware-frame part (the caller's RSP is in percpu Scratch, RIP
// in RCX, RFLAGS in R11), the syscall number as orig_rax, and the general
// registers with the result slot preset to -ENOSYS.
#define PUSH_PT_REGS(cs, ss) \
	PUSHQ	$ss; \
	PUSHQ	const_percpuScratch(GS); \
	PUSHQ	R11; \
	PUSHQ	$cs; \
	PUSHQ	CX; \
	PUSHQ	AX; \
	PUSHQ	DI; \
	PUSHQ	SI; \
	PUSHQ	DX; \
	PUSHQ	CX; \
	PUSHQ	$const_negENOSYS; \
	PUSHQ	R8; \
	PUSHQ	R9; \
	PUSHQ	R10; \
	PUSHQ	R11; \
	PUSHQ	BX; \
	PUSHQ	BP; \
	PUSHQ	R12; \
	PUSHQ	R13; \
	PUSHQ	R14; \
	PUSHQ	R15; \
	SUBQ	$const_frameRegs, SP; \
	MOVQ	SP, BX; \
	MOVQ	$const_vectorSyscall, const_frameVector(BX)

// SAVE_FS_BASE stores the current FS base into the frame at BX.
#define SAVE_FS_BASE \
	MOVL	$MSR_FS_BASE, CX; \
	RDMSR; \
	SHLQ	$32, DX; \
	ORQ	DX, AX; \
	MOVQ	AX, const_frameFSBase(BX)

// entry_SYSCALL_64 is where SYSCALL lands (MSR_LSTAR), as in Linux's
// arch/x86/entry/entry_64.S. SYSCALL has saved RIP in RCX and RFLAGS in R11,
// masked RFLAGS (interrupts are off) and switched CS/SS, but not the stack.
//
// A caller whose return address is in the upper half is the kernel's own
// Go runtime (ring 0): GS is already the kernel's. Its call is served on the
// calling thread's service stack and returns with a plain jump.
TEXT ·entry_SYSCALL_64(SB),NOSPLIT|NOFRAME,$0
	BTQ	$63, CX
	JCC	user

	MOVQ	SP, const_percpuScratch(GS)
	MOVQ	const_percpuKStack(GS), SP
	PUSH_PT_REGS(const_kernelCS, const_kernelDS)
	MOVQ	$0, const_frameGSBase(BX)
	MOVQ	$0, const_frameFPU(BX)
	SAVE_FS_BASE
	// Go code runs with the kernel's fake g in FS.
	MOVQ	const_percpuKernelFS(GS), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR

	SUBQ	$16, SP
	MOVQ	BX, 0(SP)
	MOVQ	BX, 8(SP)
	CALL	·ring0(SB)
	MOVQ	8(SP), BX

	// Return: restore FS base (a service may have changed it, as
	// arch_prctl(ARCH_SET_FS) does), the registers, RFLAGS, and jump back.
	MOVQ	const_frameFSBase(BX), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_FS_BASE, CX
	WRMSR
	LEAQ	const_frameRegs(BX), SP
	POPQ	R15
	POPQ	R14
	POPQ	R13
	POPQ	R12
	POPQ	BP
	POPQ	BX
	POPQ	R11
	POPQ	R10
	POPQ	R9
	POPQ	R8
	POPQ	AX
	POPQ	CX
	POPQ	DX
	POPQ	SI
	POPQ	DI
	ADDQ	$8, SP		// orig_rax
	POPQ	CX		// rip
	ADDQ	$8, SP		// cs
	POPQ	R11		// rflags
	POPQ	SP		// the caller's stack
	// RFLAGS last: it may enable interrupts, and nothing may happen on
	// the service stack after that. An interrupt between POPFQ and JMP
	// lands on an IST stack and leaves the caller's stack alone.
	PUSHQ	R11
	POPFQ
	JMP	CX

user:
	// Ring 3: a user program's system call. Save its registers straight
	// into its Frame (percpu UserFrame, in the task) by pushing them there,
	// save its FS and GS bases and vector state, and resume the kernel
	// continuation, which returns from the RunUser service to the task's
	// goroutine (DESIGN.md section 4).
	SWAPGS
	MOVQ	SP, const_percpuScratch(GS)
	MOVQ	const_percpuUserFrame(GS), SP
	ADDQ	$const_frameSize, SP
	PUSH_PT_REGS(const_userCS, const_userDS)
	SAVE_FS_BASE
	MOVL	$MSR_KERNEL_GS_BASE, CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, const_frameGSBase(BX)
	// Continue on the service stack, below the suspended continuation.
	MOVQ	const_percpuKCont(GS), AX
	MOVQ	const_kcontRsp(AX), SP
	SUBQ	$64, SP
	MOVQ	const_frameFPU(BX), DI
	MOVQ	DI, 0(SP)
	CALL	oyako∕amd64·SaveFPU(SB)
	MOVQ	const_percpuKCont(GS), BX
	JMP	oyako∕amd64·RestoreFrameBX(SB)

DATA ·entryAddr+0(SB)/8, $·entry_SYSCALL_64(SB)
GLOBL ·entryAddr(SB), RODATA, $8
