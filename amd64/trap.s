#include "textflag.h"
#include "go_asm.h"
#include "sse.h"
#include "regs.h"

#define MSR_FS_BASE 0xc0000100
#define MSR_KERNEL_GS_BASE 0xc0000102

// SAVE_CALLER_FRAME fills the Frame at DI so that resuming it returns
// from the current NOFRAME function to its caller: the callee-saved
// registers, the return address and stack, RFLAGS, the kernel segments,
// the FS base, RAX = 0 and no vector state (Go's ABI treats vector
// registers as clobbered across a call). Clobbers AX, CX, DX.
#define SAVE_CALLER_FRAME \
	MOVL	$MSR_FS_BASE, CX; \
	RDMSR; \
	SHLQ	$32, DX; \
	ORQ	DX, AX; \
	MOVQ	AX, Frame_FSBase(DI); \
	SAVE_CALLER_REGS

// SAVE_CALLER_REGS is SAVE_CALLER_FRAME without the FS base.
#define SAVE_CALLER_REGS \
	MOVQ	$0, Frame_FPU(DI); \
	MOVQ	$0, Frame_GSBase(DI); \
	MOVQ	$0, Frame_Vector(DI); \
	MOVQ	0(SP), AX; \
	MOVQ	AX, (Frame_Regs+PtRegs_Rip)(DI); \
	LEAQ	8(SP), AX; \
	MOVQ	AX, (Frame_Regs+PtRegs_Rsp)(DI); \
	PUSHFQ; \
	POPQ	AX; \
	MOVQ	AX, (Frame_Regs+PtRegs_Eflags)(DI); \
	MOVQ	$const_KernelCS, (Frame_Regs+PtRegs_Cs)(DI); \
	MOVQ	$const_KernelDS, (Frame_Regs+PtRegs_Ss)(DI); \
	MOVQ	BP, (Frame_Regs+PtRegs_Rbp)(DI); \
	MOVQ	BX, (Frame_Regs+PtRegs_Rbx)(DI); \
	MOVQ	R12, (Frame_Regs+PtRegs_R12)(DI); \
	MOVQ	R13, (Frame_Regs+PtRegs_R13)(DI); \
	MOVQ	R14, (Frame_Regs+PtRegs_R14)(DI); \
	MOVQ	R15, (Frame_Regs+PtRegs_R15)(DI); \
	MOVQ	$0, (Frame_Regs+PtRegs_Rax)(DI)

// trapCommon is where every vector stub (vectors.s) continues, on the IST
// stack of the vector's class. On entry:
//   0(SP) RDI, 8(SP) error code, 16(SP) RIP, CS, RFLAGS, RSP, SS; DI = vector.
// It completes a Frame on the stack, switches to kernel GS (from ring 3)
// and to the kernel's fake-g FS base, saves the vector-register state in an
// area below the frame, and calls trap(frame). If trap returns, the same
// context is resumed.
TEXT ·trapCommon(SB),NOSPLIT|NOFRAME,$0
	PUSHQ	SI
	PUSHQ	DX
	PUSHQ	CX
	PUSHQ	AX
	PUSHQ	R8
	PUSHQ	R9
	PUSHQ	R10
	PUSHQ	R11
	PUSHQ	BX
	PUSHQ	BP
	PUSHQ	R12
	PUSHQ	R13
	PUSHQ	R14
	PUSHQ	R15
	SUBQ	$Frame_Regs, SP
	MOVQ	SP, BX
	MOVQ	DI, Frame_Vector(BX)
	MOVQ	$0, Frame_GSBase(BX)

	TESTB	$3, (Frame_Regs+PtRegs_Cs)(BX)
	JZ	kernelgs
	SWAPGS
	// RFLAGS.AC comes from ring 3 through an interrupt or exception gate
	// (SYSCALL masks it): with SMAP it would let the kernel touch user
	// pages (Linux's ASM_CLAC at entry). POPFQ clears it without SMAP's
	// CLAC instruction.
	PUSHFQ
	ANDQ	$~0x40000, 0(SP)
	POPFQ
	MOVL	$MSR_KERNEL_GS_BASE, CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, Frame_GSBase(BX)
kernelgs:
	MOVL	$MSR_FS_BASE, CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, Frame_FSBase(BX)
	MOVQ	PerCPU_KernelFS(GS), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR

	// Vector-register state goes below the frame, 64-byte aligned: all of
	// it for a user context, the SSE part for a kernel one (the rest of
	// the registers belongs to PerCPU.FPUOwner, which kernel code leaves
	// alone).
	SUBQ	PerCPU_XSaveSize(GS), SP
	ANDQ	$~63, SP
	MOVQ	SP, Frame_FPU(BX)
	MOVQ	SP, DI
	TESTB	$3, (Frame_Regs+PtRegs_Cs)(BX)
	JZ	kernelsse
	CALL	fpuSave<>(SB)
	// Kernel code runs with the default MXCSR, whatever the user set.
	LDMXCSR	·kernelMXCSR(SB)
	JMP	saved
kernelsse:
	SAVE_SSE(DI)
saved:

	SUBQ	$16, SP
	MOVQ	BX, 0(SP)
	MOVQ	BX, 8(SP)
	CALL	·trap(SB)
	MOVQ	8(SP), BX
	JMP	restoreFrame<>(SB)

// fpuSave saves the vector-register state into the area at DI.
// Clobbers AX, DX.
TEXT fpuSave<>(SB),NOSPLIT|NOFRAME,$0
	CMPB	PerCPU_UseXSAVE(GS), $0
	JEQ	fx
	// XSAVE leaves the XSAVE header's reserved bytes alone and XRSTOR
	// faults if they are not zero: clear the 64-byte header first.
	XORL	AX, AX
	MOVQ	AX, 512(DI)
	MOVQ	AX, 520(DI)
	MOVQ	AX, 528(DI)
	MOVQ	AX, 536(DI)
	MOVQ	AX, 544(DI)
	MOVQ	AX, 552(DI)
	MOVQ	AX, 560(DI)
	MOVQ	AX, 568(DI)
	MOVL	$-1, AX
	MOVL	$-1, DX
	XSAVE64	(DI)
	RET
fx:
	FXSAVE64	(DI)
	RET

// restoreFrame resumes the context saved in the Frame at BX: vector
// registers (if saved), FS base, GS (SWAPGS and the user's GS base when
// returning to ring 3), general registers, and IRETQ. In 64-bit mode IRETQ
// pops SS:RSP whatever the privilege level, so it also switches stacks when
// resuming a kernel context saved elsewhere.
TEXT restoreFrame<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ	Frame_FPU(BX), DI
	TESTQ	DI, DI
	JZ	nofpu
	TESTB	$3, (Frame_Regs+PtRegs_Cs)(BX)
	JZ	kernelsse
	CMPB	PerCPU_UseXSAVE(GS), $0
	JEQ	fxr
	MOVL	$-1, AX
	MOVL	$-1, DX
	XRSTOR64	(DI)
	JMP	nofpu
fxr:
	FXRSTOR64	(DI)
	JMP	nofpu
kernelsse:
	RESTORE_SSE(DI)
nofpu:
	JMP	restoreRegs<>(SB)

// restoreRegs is restoreFrame after the vector state.
TEXT restoreRegs<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ	Frame_FSBase(BX), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_FS_BASE, CX
	WRMSR
	TESTB	$3, (Frame_Regs+PtRegs_Cs)(BX)
	JZ	regs
	// Back to ring 3: the user's GS base goes where SWAPGS will fetch it.
	MOVQ	Frame_GSBase(BX), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_KERNEL_GS_BASE, CX
	WRMSR
regs:
	LEAQ	Frame_Regs(BX), SP
	POP_GPRS
	ADDQ	$8, SP		// orig_rax; now the hardware frame: RIP, CS, ...
	TESTB	$3, 8(SP)
	JZ	iret
	SWAPGS
iret:
	IRETQ

// func RestoreFrameBX()
TEXT ·RestoreFrameBX(SB),NOSPLIT|NOFRAME,$0-0
	JMP	restoreFrame<>(SB)

// func EnterUser(kcont, user *Frame, sysret bool)
// Saves the caller's context into kcont (as SwitchTo does) and enters the
// ring-3 context user: by SYSRET when sysret is set (the caller checked
// that the frame allows it), otherwise by IRETQ.
TEXT ·EnterUser(SB),NOSPLIT|NOFRAME,$0-17
	MOVQ	kcont+0(FP), DI
	// The caller is a runtime service: its FS base is the kernel's.
	MOVQ	PerCPU_KernelFS(GS), AX
	MOVQ	AX, Frame_FSBase(DI)
	SAVE_CALLER_REGS
	MOVQ	user+8(FP), BX
	// The user's vector state: with XSAVE, only its SSE part, which the
	// entry saved (ClaimFPU put the rest in the registers); without,
	// the whole FXSAVE image.
	MOVQ	Frame_FPU(BX), DI
	TESTQ	DI, DI
	JZ	fpudone
	CMPB	PerCPU_UseXSAVE(GS), $0
	JEQ	fxrstor
	RESTORE_SSE(DI)
	JMP	fpudone
fxrstor:
	FXRSTOR64	(DI)
fpudone:
	CMPB	sysret+16(FP), $0
	JNE	sysret
	JMP	restoreRegs<>(SB)
sysret:

	// SYSRET: RCX = RIP, R11 = RFLAGS; CS and SS come from MSR_STAR.
	// The user's FS base, and its GS base where SWAPGS will fetch it:
	// with FSGSBASE by instructions TCG runs inline, else by WRMSR.
	CMPB	PerCPU_UseFSGSBASE(GS), $0
	JEQ	sysretmsr
	MOVQ	Frame_FSBase(BX), AX
	WRFSBASEQ	AX
	MOVQ	Frame_GSBase(BX), AX
	SWAPGS
	WRGSBASEQ	AX
	SWAPGS
	JMP	sysretregs
sysretmsr:
	MOVQ	Frame_FSBase(BX), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_FS_BASE, CX
	WRMSR
	MOVQ	Frame_GSBase(BX), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_KERNEL_GS_BASE, CX
	WRMSR
sysretregs:
	MOVQ	(Frame_Regs+PtRegs_R15)(BX), R15
	MOVQ	(Frame_Regs+PtRegs_R14)(BX), R14
	MOVQ	(Frame_Regs+PtRegs_R13)(BX), R13
	MOVQ	(Frame_Regs+PtRegs_R12)(BX), R12
	MOVQ	(Frame_Regs+PtRegs_Rbp)(BX), BP
	MOVQ	(Frame_Regs+PtRegs_R10)(BX), R10
	MOVQ	(Frame_Regs+PtRegs_R9)(BX), R9
	MOVQ	(Frame_Regs+PtRegs_R8)(BX), R8
	MOVQ	(Frame_Regs+PtRegs_Rax)(BX), AX
	MOVQ	(Frame_Regs+PtRegs_Rdx)(BX), DX
	MOVQ	(Frame_Regs+PtRegs_Rsi)(BX), SI
	MOVQ	(Frame_Regs+PtRegs_Rdi)(BX), DI
	MOVQ	(Frame_Regs+PtRegs_Rip)(BX), CX
	MOVQ	(Frame_Regs+PtRegs_Eflags)(BX), R11
	MOVQ	(Frame_Regs+PtRegs_Rsp)(BX), SP
	MOVQ	(Frame_Regs+PtRegs_Rbx)(BX), BX
	SWAPGS
	BYTE	$0x48; BYTE $0x0f; BYTE $0x07	// SYSRETQ

// func Resume(f *Frame)
TEXT ·Resume(SB),NOSPLIT|NOFRAME,$0-8
	MOVQ	f+0(FP), BX
	JMP	restoreFrame<>(SB)

// func SwitchTo(save, next *Frame)
// Saves into *save a frame that resumes by returning from SwitchTo (with
// interrupts as they are now and no vector state to restore: Go's ABI
// treats vector registers as clobbered across the call), then resumes next.
TEXT ·SwitchTo(SB),NOSPLIT|NOFRAME,$0-16
	MOVQ	save+0(FP), DI
	SAVE_CALLER_FRAME
	MOVQ	next+8(FP), BX
	JMP	restoreFrame<>(SB)

// func fpuSwitch(old, new uintptr)
// Saves the whole vector state of the context whose area is old (its SSE
// part from the area, the rest from the registers) into old, then loads
// the whole state in new; either may be 0. Ends with the kernel's MXCSR.
TEXT ·fpuSwitch(SB),NOSPLIT,$0-16
	MOVQ	old+0(FP), DI
	TESTQ	DI, DI
	JZ	load
	RESTORE_SSE(DI)
	CALL	fpuSave<>(SB)
load:
	MOVQ	new+8(FP), DI
	TESTQ	DI, DI
	JZ	done
	MOVL	$-1, AX
	MOVL	$-1, DX
	XRSTOR64	(DI)
	// XRSTOR puts a component that XSTATE_BV marks as in its initial
	// state (a signal frame's choice) in that state, not what the area's
	// bytes say: write the SSE part back, which the return to ring 3
	// loads from the area with plain moves.
	SAVE_SSE(DI)
done:
	LDMXCSR	·kernelMXCSR(SB)
	RET

DATA ·kernelMXCSR+0(SB)/4, $0x1f80
GLOBL ·kernelMXCSR(SB), RODATA, $4

// func SaveFPU(area uintptr)
TEXT ·SaveFPU(SB),NOSPLIT,$0-8
	MOVQ	area+0(FP), DI
	CALL	fpuSave<>(SB)
	RET

// func idleLoop()
// The body of each CPU's idle thread: wait for interrupts forever.
TEXT ·idleLoop(SB),NOSPLIT|NOFRAME,$0
again:
	STI
	HLT
	JMP	again

DATA ·idleLoopPC+0(SB)/8, $·idleLoop(SB)
GLOBL ·idleLoopPC(SB), RODATA, $8
