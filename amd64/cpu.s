#include "textflag.h"

// func Cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·Cpuid(SB),NOSPLIT,$0-24
	MOVL	leaf+0(FP), AX
	MOVL	subleaf+4(FP), CX
	CPUID
	MOVL	AX, eax+8(FP)
	MOVL	BX, ebx+12(FP)
	MOVL	CX, ecx+16(FP)
	MOVL	DX, edx+20(FP)
	RET

// func Rdmsr(msr uint32) uint64
TEXT ·Rdmsr(SB),NOSPLIT,$0-16
	MOVL	msr+0(FP), CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+8(FP)
	RET

// func Wrmsr(msr uint32, val uint64)
TEXT ·Wrmsr(SB),NOSPLIT,$0-16
	MOVL	msr+0(FP), CX
	MOVQ	val+8(FP), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	RET

// func ReadCR0() uint64
TEXT ·ReadCR0(SB),NOSPLIT,$0-8
	MOVQ	CR0, AX
	MOVQ	AX, ret+0(FP)
	RET

// func WriteCR0(v uint64)
TEXT ·WriteCR0(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR0
	RET

// func ReadCR2() uint64
TEXT ·ReadCR2(SB),NOSPLIT,$0-8
	MOVQ	CR2, AX
	MOVQ	AX, ret+0(FP)
	RET

// func ReadCR3() uint64
TEXT ·ReadCR3(SB),NOSPLIT,$0-8
	MOVQ	CR3, AX
	MOVQ	AX, ret+0(FP)
	RET

// func WriteCR3(v uint64)
TEXT ·WriteCR3(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR3
	RET

// func ReadCR4() uint64
TEXT ·ReadCR4(SB),NOSPLIT,$0-8
	MOVQ	CR4, AX
	MOVQ	AX, ret+0(FP)
	RET

// func WriteCR4(v uint64)
TEXT ·WriteCR4(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR4
	RET

// func Invlpg(addr uintptr)
TEXT ·Invlpg(SB),NOSPLIT,$0-8
	MOVQ	addr+0(FP), AX
	INVLPG	(AX)
	RET

// func Rdtsc() uint64
// LFENCE first, as Linux's rdtsc_ordered: the read does not move ahead of
// earlier instructions, so clock reads order with the vDSO's.
TEXT ·Rdtsc(SB),NOSPLIT,$0-8
	LFENCE
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func Outb(port uint16, v uint8)
TEXT ·Outb(SB),NOSPLIT,$0-3
	MOVW	port+0(FP), DX
	MOVB	v+2(FP), AX
	OUTB
	RET

// func Inb(port uint16) uint8
TEXT ·Inb(SB),NOSPLIT,$0-9
	MOVW	port+0(FP), DX
	INB
	MOVB	AX, ret+8(FP)
	RET

// func Outl(port uint16, v uint32)
TEXT ·Outl(SB),NOSPLIT,$0-8
	MOVW	port+0(FP), DX
	MOVL	v+4(FP), AX
	OUTL
	RET

// func MMIORead32(addr uintptr) uint32
TEXT ·MMIORead32(SB),NOSPLIT,$0-12
	MOVQ	addr+0(FP), BX
	MOVL	(BX), AX
	MOVL	AX, ret+8(FP)
	RET

// func MMIOWrite32(addr uintptr, v uint32)
TEXT ·MMIOWrite32(SB),NOSPLIT,$0-12
	MOVQ	addr+0(FP), BX
	MOVL	v+8(FP), AX
	MOVL	AX, (BX)
	RET

// func Halt()
TEXT ·Halt(SB),NOSPLIT,$0-0
	HLT
	RET

// func HaltForever()
TEXT ·HaltForever(SB),NOSPLIT,$0-0
	CLI
loop:
	HLT
	JMP	loop

// func SaveFlagsCli() uint64
TEXT ·SaveFlagsCli(SB),NOSPLIT,$0-8
	PUSHFQ
	POPQ	AX
	MOVQ	AX, ret+0(FP)
	MOVW	CS, BX
	TESTB	$3, BX
	JNZ	user
	CLI
user:
	RET

// func RestoreFlags(flags uint64)
TEXT ·RestoreFlags(SB),NOSPLIT,$0-8
	MOVQ	flags+0(FP), AX
	PUSHQ	AX
	POPFQ
	RET

// func ReadFlags() uint64
TEXT ·ReadFlags(SB),NOSPLIT,$0-8
	PUSHFQ
	POPQ	AX
	MOVQ	AX, ret+0(FP)
	RET

// func Sti()
TEXT ·Sti(SB),NOSPLIT,$0-0
	STI
	RET

// func Cli()
TEXT ·Cli(SB),NOSPLIT,$0-0
	CLI
	RET

// func StiHalt()
TEXT ·StiHalt(SB),NOSPLIT,$0-0
	STI
	HLT
	RET

// func Pause()
TEXT ·Pause(SB),NOSPLIT,$0-0
	PAUSE
	RET

// func lgdt(p *DescriptorPointer)
TEXT ·lgdt(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), AX
	LGDT	(AX)
	RET

// func lidt(p *DescriptorPointer)
TEXT ·lidt(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), AX
	LIDT	(AX)
	RET

// func ltr(sel uint16)
TEXT ·ltr(SB),NOSPLIT,$0-2
	MOVW	sel+0(FP), AX
	LTR	AX
	RET

// func reloadSegments(cs, ds uint16)
// Loads DS/ES/SS with ds, FS/GS selectors with 0 (their bases are set
// through MSRs), and CS with cs through a far return.
TEXT ·reloadSegments(SB),NOSPLIT,$0-4
	MOVWQZX	ds+2(FP), AX
	MOVW	AX, DS
	MOVW	AX, ES
	MOVW	AX, SS
	MOVWQZX	cs+0(FP), AX
	// Preserve FS/GS bases: loading a null selector into FS/GS in 64-bit
	// mode may clear the base, so read and rewrite them around it.
	MOVL	$0xc0000100, CX
	RDMSR
	MOVL	AX, R8
	MOVL	DX, R9
	MOVL	$0xc0000101, CX
	RDMSR
	MOVL	AX, R10
	MOVL	DX, R11
	XORL	AX, AX
	MOVW	AX, FS
	MOVW	AX, GS
	MOVL	$0xc0000100, CX
	MOVL	R8, AX
	MOVL	R9, DX
	WRMSR
	MOVL	$0xc0000101, CX
	MOVL	R10, AX
	MOVL	R11, DX
	WRMSR
	MOVWQZX	cs+0(FP), AX
	LEAQ	done<>(SB), BX
	PUSHQ	AX
	PUSHQ	BX
	BYTE	$0x48; BYTE $0xcb	// LRETQ
TEXT done<>(SB),NOSPLIT|NOFRAME,$0
	RET

// func Xgetbv(index uint32) uint64
TEXT ·Xgetbv(SB),NOSPLIT,$0-16
	MOVL	index+0(FP), CX
	XGETBV
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+8(FP)
	RET

// func Xsetbv(index uint32, v uint64)
TEXT ·Xsetbv(SB),NOSPLIT,$0-16
	MOVL	index+0(FP), CX
	MOVQ	v+8(FP), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	BYTE	$0x0f; BYTE $0x01; BYTE $0xd1	// XSETBV
	RET

// func Rdrand() (v uint64, ok bool)
TEXT ·Rdrand(SB),NOSPLIT,$0-9
	RDRANDQ	AX
	SETCS	BX
	MOVQ	AX, v+0(FP)
	MOVB	BX, ok+8(FP)
	RET

// func Rdseed() (v uint64, ok bool)
TEXT ·Rdseed(SB),NOSPLIT,$0-9
	RDSEEDQ	AX
	SETCS	BX
	MOVQ	AX, v+0(FP)
	MOVB	BX, ok+8(FP)
	RET

// func Ud2()
TEXT ·Ud2(SB),NOSPLIT,$0-0
	BYTE	$0x0f; BYTE $0x0b
	RET

// func FlushTLBAll()
// Flushes every TLB entry, global ones included, by toggling CR4.PGE.
TEXT ·FlushTLBAll(SB),NOSPLIT,$0-0
	MOVQ	CR4, AX
	MOVQ	AX, BX
	XORQ	$0x80, BX
	MOVQ	BX, CR4
	MOVQ	AX, CR4
	RET

// func readGS0() uintptr
TEXT ·readGS0(SB),NOSPLIT,$0-8
	MOVQ	0(GS), AX
	MOVQ	AX, ret+0(FP)
	RET

// func fninit()
TEXT ·fninit(SB),NOSPLIT,$8-0
	BYTE	$0xdb; BYTE $0xe3	// FNINIT
	MOVL	$0x1f80, 0(SP)	// MXCSR default: all exceptions masked
	LDMXCSR	0(SP)
	RET

// func CurrentG() uintptr
TEXT ·CurrentG(SB),NOSPLIT,$0-8
	MOVQ	(TLS), AX
	MOVQ	AX, ret+0(FP)
	RET
