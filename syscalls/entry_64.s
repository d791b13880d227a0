#include "textflag.h"
#include "go_asm.h"
#include "../amd64/sse.h"
#include "../amd64/regs.h"

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
	// Go code runs with the kernel's fake g in FS. With FSGSBASE the FS
	// base moves by RDFSBASE/WRFSBASE, which QEMU's TCG runs inline,
	// where WRMSR ends the translation block.
	CMPB	const_percpuUseFSGSBASE(GS), $0
	JEQ	kmsr
	RDFSBASEQ	AX
	MOVQ	AX, const_frameFSBase(BX)
	MOVQ	const_percpuKernelFS(GS), AX
	WRFSBASEQ	AX
	JMP	kcall
kmsr:
	SAVE_FS_BASE
	MOVQ	const_percpuKernelFS(GS), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
kcall:

	SUBQ	$16, SP
	MOVQ	BX, 0(SP)
	MOVQ	BX, 8(SP)
	CALL	·ring0(SB)
	MOVQ	8(SP), BX

	// Return: restore FS base (a service may have changed it, as
	// arch_prctl(ARCH_SET_FS) does), the registers, RFLAGS, and jump back.
	MOVQ	const_frameFSBase(BX), AX
	CMPB	const_percpuUseFSGSBASE(GS), $0
	JEQ	kmsr2
	WRFSBASEQ	AX
	JMP	kregs
kmsr2:
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_FS_BASE, CX
	WRMSR
kregs:
	LEAQ	const_frameRegs(BX), SP
	POP_GPRS
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
	// into its Frame (percpu UserFrame, in the task) by pushing them there
	// and its FS base.
	SWAPGS
	MOVQ	SP, const_percpuScratch(GS)
	MOVQ	const_percpuUserFrame(GS), SP
	ADDQ	$const_frameSize, SP
	PUSH_PT_REGS(const_userCS, const_userDS)
	CMPB	const_percpuUseFSGSBASE(GS), $0
	JEQ	umsr
	RDFSBASEQ	AX
	MOVQ	AX, const_frameFSBase(BX)
	JMP	usaved
umsr:
	SAVE_FS_BASE
usaved:

	// The fast path (fast.go): a call that fastTable serves completes
	// here, on the service stack with interrupts off, and returns by
	// SYSRET without going back to the task's goroutine or saving the
	// vector state beyond the SSE registers Go code may use. It is taken
	// when SYSRET can return exactly (the return address canonical, TF and
	// RF clear, as Frame.CanSysret) and the user's MXCSR has the default
	// controls, which Go code expects (the fast handlers do no floating
	// point, so MXCSR, sticky flags included, comes back unchanged).
	MOVQ	const_frameFPU(BX), DI
	STMXCSR	SSE_MXCSR(DI)
	MOVL	SSE_MXCSR(DI), AX
	ANDL	$~const_mxcsrFlags, AX	// the sticky exception flags do not matter
	CMPL	AX, $const_mxcsrDefault
	JNE	slow
	MOVQ	(const_frameRegs+const_regsEflags)(BX), AX
	TESTQ	$const_sysretBadFlags, AX
	JNZ	slow
	MOVQ	(const_frameRegs+const_regsRip)(BX), AX
	MOVQ	$const_userRIPMax, DX
	CMPQ	AX, DX
	JAE	slow
	MOVQ	(const_frameRegs+const_regsOrigRax)(BX), AX
	CMPQ	AX, $const_nrSyscalls
	JAE	fast		// no such number: ENOSYS, fastSyscall decides
	LEAQ	·fastTable(SB), DX
	CMPQ	(DX)(AX*8), $0
	JEQ	slow
fast:
	SAVE_XMM(DI)
	// Go code runs with the kernel's fake g in FS.
	MOVQ	const_percpuKernelFS(GS), AX
	CMPB	const_percpuUseFSGSBASE(GS), $0
	JEQ	fmsr
	WRFSBASEQ	AX
	JMP	fcall
fmsr:
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_FS_BASE, CX
	WRMSR
fcall:
	MOVQ	const_percpuKCont(GS), AX
	MOVQ	const_kcontRsp(AX), SP
	SUBQ	$64, SP
	MOVQ	BX, 0(SP)
	MOVQ	BX, 16(SP)
	CALL	·fastSyscall(SB)
	MOVQ	16(SP), BX
	MOVQ	const_frameFPU(BX), DI
	RESTORE_XMM(DI)
	CMPB	8(SP), $0
	JEQ	slow

	// Served: back to ring 3 with the result in RAX. RCX and R11 hold
	// the return address and RFLAGS as SYSCALL left them (PUSH_PT_REGS
	// saved them in their own slots too); the user's GS base never left
	// MSR_KERNEL_GS_BASE.
	MOVQ	const_frameFSBase(BX), AX
	CMPB	const_percpuUseFSGSBASE(GS), $0
	JEQ	fmsr2
	WRFSBASEQ	AX
	JMP	fregs
fmsr2:
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_FS_BASE, CX
	WRMSR
fregs:
	LEAQ	const_frameRegs(BX), SP
	POP_GPRS
	MOVQ	(const_regsRsp-const_regsOrigRax)(SP), SP
	SWAPGS
	BYTE	$0x48; BYTE $0x0f; BYTE $0x07	// SYSRETQ

slow:
	// The task's goroutine handles the call: save the user's GS base and
	// vector state and resume the kernel continuation, which returns from
	// the RunUser service to the task's goroutine (DESIGN.md section 4).
	CMPB	const_percpuUseFSGSBASE(GS), $0
	JEQ	gmsr
	// The user's GS base is in MSR_KERNEL_GS_BASE since SWAPGS: swap
	// it in for a moment to read it.
	SWAPGS
	RDGSBASEQ	AX
	SWAPGS
	JMP	gsaved
gmsr:
	MOVL	$MSR_KERNEL_GS_BASE, CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
gsaved:
	MOVQ	AX, const_frameGSBase(BX)
	// Continue on the service stack, below the suspended continuation.
	MOVQ	const_percpuKCont(GS), AX
	MOVQ	const_kcontRsp(AX), SP
	SUBQ	$64, SP
	// Of the vector state, the SSE part, which kernel code changes; the
	// rest stays in the registers, this context being the CPU's
	// FPUOwner (amd64/fpu.go). Without XSAVE, all of it.
	MOVQ	const_frameFPU(BX), DI
	CMPB	const_percpuUseXSAVE(GS), $0
	JEQ	fxsave
	SAVE_SSE(DI)
	LDMXCSR	oyako∕amd64·kernelMXCSR(SB)
	JMP	resume
fxsave:
	MOVQ	DI, 0(SP)
	CALL	oyako∕amd64·SaveFPU(SB)
resume:
	// Resume the continuation, the ring-0 frame EnterUser saved: with
	// interrupts off on both sides and RFLAGS dead across a call (and
	// DF clear: SYSCALL masked it), a return from EnterUser needs its FS
	// base, callee registers, stack and a jump, not IRETQ.
	MOVQ	const_percpuKCont(GS), BX
	MOVQ	const_frameFSBase(BX), AX
	CMPB	const_percpuUseFSGSBASE(GS), $0
	JEQ	rmsr
	WRFSBASEQ	AX
	JMP	rregs
rmsr:
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_FS_BASE, CX
	WRMSR
rregs:
	MOVQ	(const_frameRegs+const_regsRbp)(BX), BP
	MOVQ	(const_frameRegs+const_regsR12)(BX), R12
	MOVQ	(const_frameRegs+const_regsR13)(BX), R13
	MOVQ	(const_frameRegs+const_regsR14)(BX), R14
	MOVQ	(const_frameRegs+const_regsR15)(BX), R15
	MOVQ	(const_frameRegs+const_regsRip)(BX), CX
	MOVQ	(const_frameRegs+const_regsRsp)(BX), SP
	MOVQ	(const_frameRegs+const_regsRbx)(BX), BX
	XORL	AX, AX
	JMP	CX

DATA ·entryAddr+0(SB)/8, $·entry_SYSCALL_64(SB)
GLOBL ·entryAddr(SB), RODATA, $8
