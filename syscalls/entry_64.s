#include "textflag.h"
#include "go_asm.h"

#define MSR_FS_BASE 0xc0000100

// SYSCALL_FRAME builds an amd64.Frame on the (new) stack for a SYSCALL
// made with the given CS and SS: the hardware-frame part (the caller's RSP
// is in percpu Scratch, RIP in RCX, RFLAGS in R11), pt_regs with the
// result slot preset to -ENOSYS, and the header with the caller's FS base.
// It leaves the frame's address in BX and FS pointing at the kernel's fake g.
#define SYSCALL_FRAME(cs, ss) \
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
	MOVQ	$const_vectorSyscall, const_frameVector(BX); \
	MOVQ	$0, const_frameGSBase(BX); \
	MOVQ	$0, const_frameFPU(BX); \
	MOVL	$MSR_FS_BASE, CX; \
	RDMSR; \
	SHLQ	$32, DX; \
	ORQ	DX, AX; \
	MOVQ	AX, const_frameFSBase(BX); \
	MOVQ	const_percpuKernelFS(GS), AX; \
	MOVQ	AX, DX; \
	SHRQ	$32, DX; \
	WRMSR

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
	SYSCALL_FRAME(const_kernelCS, const_kernelDS)

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
	// Ring 3: later stages. Build the same frame on the kernel stack so
	// the report shows where the call came from.
	SWAPGS
	MOVQ	SP, const_percpuScratch(GS)
	MOVQ	const_percpuKStack(GS), SP
	SYSCALL_FRAME(const_userCS, const_userDS)
	SUBQ	$16, SP
	MOVQ	BX, 0(SP)
	CALL	·ring3(SB)
	// ring3 does not return in this stage.
	BYTE	$0x0f; BYTE $0x0b

DATA ·entryAddr+0(SB)/8, $·entry_SYSCALL_64(SB)
GLOBL ·entryAddr(SB), RODATA, $8
