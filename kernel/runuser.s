#include "textflag.h"
#include "go_asm.h"

#define MSR_FS_BASE 0xc0000100

// func runUserDirect(uc uintptr, cr3 uint64) (event, addr uint64)
// Runs runUser on the thread's service stack with interrupts off and the
// kernel's fake g in FS, as the RunUser runtime service would, but by a
// call instead of a SYSCALL through entry_SYSCALL_64 and the service
// table. RFLAGS (interrupts) and the FS base come back as they were.
TEXT ·runUserDirect(SB),NOSPLIT|NOFRAME,$0-32
	MOVQ	uc+0(FP), DI
	MOVQ	cr3+8(FP), SI
	PUSHFQ
	CLI
	MOVQ	SP, BX
	CMPB	const_percpuUseFSGSBASE(GS), $0
	JEQ	msr
	RDFSBASEQ	AX
	MOVQ	const_percpuKernelFS(GS), CX
	WRFSBASEQ	CX
	JMP	call
msr:
	MOVL	$MSR_FS_BASE, CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, R8
	MOVQ	const_percpuKernelFS(GS), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	MOVQ	R8, AX
call:
	MOVQ	const_percpuKStack(GS), SP
	SUBQ	$48, SP
	MOVQ	BX, 32(SP)	// the goroutine's stack, RFLAGS on top
	MOVQ	AX, 40(SP)	// the thread's FS base
	MOVQ	DI, 0(SP)
	MOVQ	SI, 8(SP)
	CALL	·runUser(SB)
	MOVQ	16(SP), R8
	MOVQ	24(SP), R9
	MOVQ	40(SP), AX
	MOVQ	32(SP), BX
	CMPB	const_percpuUseFSGSBASE(GS), $0
	JEQ	msr2
	WRFSBASEQ	AX
	JMP	back
msr2:
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_FS_BASE, CX
	WRMSR
back:
	MOVQ	BX, SP
	POPFQ
	MOVQ	R8, event+16(FP)
	MOVQ	R9, addr+24(FP)
	RET
