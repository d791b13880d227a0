// PVH entry: QEMU (or any PVH loader) jumps to pvhEntry in 32-bit protected
// mode with paging off, flat segments, interrupts off and EBX = the physical
// address of struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h).
// The post-link tool (boot/postlink) writes pvhEntry's physical address into
// the XEN_ELFNOTE_PHYS32_ENTRY note.
//
// The code below runs in 32-bit mode but is assembled by the amd64 assembler,
// so it uses only encodings that mean the same in both modes: no REX
// prefixes (32-bit operands, registers AX..DI), no RIP-relative memory
// operands. The one exception is deliberate: LEAL sym(SB), reg assembles to
// "8d /r disp32", which 64-bit mode reads as RIP-relative and 32-bit mode
// reads as an absolute disp32. Executed in 32-bit mode it therefore yields
// sym minus the address of the next instruction; PHYS32 adds that address,
// found with a call/pop, to get sym's physical address. boot_test.go
// disassembles this file's output in 32-bit mode and checks the encodings.

#include "textflag.h"
#include "go_asm.h"

// PHYS32 sets reg (not AX) to the physical address of sym. Clobbers AX.
// Needs a valid stack. "call +0" pushes the address of the pop; the pop
// is 1 byte and the LEAL 6 bytes, so the LEAL's next instruction is at AX+7.
#define PHYS32(sym, reg) \
	BYTE $0xe8; LONG $0; \
	BYTE $0x58; \
	LEAL sym(SB), reg; \
	ADDL AX, reg; \
	ADDL $7, reg

// func pvhEntry()
TEXT ·pvhEntry(SB),NOSPLIT|NOFRAME,$0
	CLI
	CLD
	MOVL	BX, SI		// SI = start_info, kept until the Go code runs

	// No stack yet and no way to learn EIP without one: borrow the 4 bytes
	// of start_info.magic as a one-slot stack for the call/pop, and put the
	// magic back afterwards.
	MOVL	(BX), DX
	LEAL	4(BX), SP
	PHYS32(·bootStack, SP)
	MOVL	DX, (BX)
	ADDL	$const_bootStackSize, SP

	RDTSC
	PHYS32(·bootTSC, DI)
	MOVL	AX, (DI)
	MOVL	DX, 4(DI)

	// Early page tables, 4 KiB aligned inside bootPageTables:
	//   +0x0000 PML4: [0] -> PDPT low, [511] -> PDPT high
	//   +0x1000 PDPT low: [0..3] -> PD0..PD3 (identity map of 0-4 GiB)
	//   +0x2000 PDPT high: [510] -> PD0 (0xffffffff80000000 -> physical 0)
	//   +0x3000 PD0..PD3: 2048 2 MiB pages
	PHYS32(·bootPageTables, DI)
	ADDL	$0xfff, DI
	ANDL	$0xfffff000, DI
	MOVL	DI, BX		// BX = PML4
	XORL	AX, AX
	MOVL	$(7*4096/4), CX
	REP;	STOSL
	MOVL	BX, DI

	LEAL	0x3000(BX), DX	// DX = PD0
	MOVL	$0x83, AX	// present | writable | 2 MiB page
	MOVL	$2048, CX
pdloop:
	MOVL	AX, (DX)
	ADDL	$0x200000, AX
	ADDL	$8, DX
	DECL	CX
	JNZ	pdloop

	LEAL	0x3003(BX), AX	// PD0 | present | writable
	MOVL	AX, 0x1000(BX)	// PDPT low [0]
	MOVL	AX, 0x2ff0(BX)	// PDPT high [510]
	ADDL	$0x1000, AX
	MOVL	AX, 0x1008(BX)	// PDPT low [1] = PD1
	ADDL	$0x1000, AX
	MOVL	AX, 0x1010(BX)	// PDPT low [2] = PD2
	ADDL	$0x1000, AX
	MOVL	AX, 0x1018(BX)	// PDPT low [3] = PD3
	LEAL	0x1003(BX), AX
	MOVL	AX, (BX)	// PML4 [0] = PDPT low
	LEAL	0x2003(BX), AX
	MOVL	AX, 0xff8(BX)	// PML4 [511] = PDPT high

	// Long mode: CR4.PAE|OSFXSR|OSXMMEXCPT, CR3, EFER.LME, CR0.PG|WP|NE|MP.
	MOVL	CR4, AX
	ORL	$0x620, AX
	MOVL	AX, CR4
	MOVL	BX, AX
	MOVL	AX, CR3
	MOVL	$0xc0000080, CX	// MSR_EFER
	RDMSR
	ORL	$0x100, AX	// EFER.LME
	WRMSR
	MOVL	CR0, AX
	ORL	$0x80010023, AX
	ANDL	$0x9ffffffb, AX	// clear CD, NW, EM
	MOVL	AX, CR0

	// GDT with a 64-bit code segment; its base is physical for now.
	PHYS32(·bootGDT, DX)
	PHYS32(·bootGDTR, DI)
	MOVL	DX, 2(DI)
	LGDT	(DI)

	// Far return into 64-bit code: push CS, push EIP, lret.
	PHYS32(·entry64, DI)
	PUSHQ	$const_kernelCS
	PUSHQ	DI
	BYTE	$0xcb	// LRET (32-bit: pops EIP, then CS)

// entry64 runs in 64-bit mode at its physical (identity-mapped) address.
TEXT ·entry64(SB),NOSPLIT|NOFRAME,$0
	MOVL	$const_kernelDS, AX
	MOVW	AX, DS
	MOVW	AX, ES
	MOVW	AX, SS
	XORL	AX, AX
	MOVW	AX, FS
	MOVW	AX, GS
	MOVL	SI, SI		// upper halves are undefined after the mode switch
	MOVQ	·entryHighAddr(SB), AX
	JMP	AX

// entryHigh runs at the kernel's link address. It calls early (Go) on the
// boot stack with a fake TLS so that Go's stack checks pass, then enters the
// Go runtime at its ELF entry point with the synthetic initial stack.
TEXT ·entryHigh(SB),NOSPLIT|NOFRAME,$0
	LEAQ	·bootStack+const_bootStackSize(SB), SP
	// FS base = &earlyTLS+8: Go reads g from FS:-8.
	LEAQ	·earlyTLS+8(SB), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$0xc0000100, CX	// MSR_FS_BASE
	WRMSR
	SUBQ	$32, SP
	MOVQ	SI, 0(SP)
	CALL	·early(SB)
	MOVQ	8(SP), BX	// initial stack pointer
	MOVQ	16(SP), AX	// ELF entry
	MOVQ	BX, SP
	XORL	DX, DX		// rtld_fini for the ELF ABI: none
	STI			// the runtime runs with interrupts on
	JMP	AX

DATA ·entryHighAddr+0(SB)/8, $·entryHigh(SB)
GLOBL ·entryHighAddr(SB), RODATA, $8

// Boot GDT: null, unused, 64-bit kernel code (0x10), kernel data (0x18).
DATA ·bootGDT+0(SB)/8, $0
DATA ·bootGDT+8(SB)/8, $0
DATA ·bootGDT+16(SB)/8, $0x00af9a000000ffff
DATA ·bootGDT+24(SB)/8, $0x00cf92000000ffff
GLOBL ·bootGDT(SB), NOPTR, $32

DATA ·bootGDTR+0(SB)/2, $31
GLOBL ·bootGDTR(SB), NOPTR, $16

// The fake TLS block early Go code runs with: FS:-8 points at an all-zero
// g, whose zero stack guard makes every stack check pass.
DATA ·earlyTLS+0(SB)/8, $·earlyG(SB)
GLOBL ·earlyTLS(SB), NOPTR, $16
GLOBL ·earlyG(SB), NOPTR, $512

// pvhEntryAddr holds pvhEntry's link address; early checks it against the
// physical address the post-link tool put in the PVH note.
DATA ·pvhEntryAddr+0(SB)/8, $·pvhEntry(SB)
GLOBL ·pvhEntryAddr(SB), RODATA, $8
