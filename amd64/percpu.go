package amd64

import "unsafe"

// MaxCPUs bounds the CPUs the kernel can run on.
const MaxCPUs = 1

// PerCPU is the data of one CPU, reached in assembly through GS (the kernel
// never changes GS base; SWAPGS exchanges it with the user's around ring 3).
// Entry assembly uses its fields through go_asm.h offsets.
type PerCPU struct {
	// Self is the struct's own address, so Go code can find it from GS:0.
	Self uintptr
	// Scratch holds the caller's RSP while entry_SYSCALL_64 switches stacks.
	Scratch uintptr
	// KStack is the top of the running thread's service stack, where
	// SYSCALL from the thread enters the kernel.
	KStack uintptr
	// KernelFS is the FS base that entry paths give Go code: FS:-8 there
	// holds the address of an all-zero g, whose zero stack guard lets
	// ordinary Go code run on entry stacks (see TLSg).
	KernelFS uintptr
	// TLSg is the TLS slot KernelFS points just past.
	TLSg uintptr
	// XSaveSize is the space entry stubs reserve for saving vector state.
	XSaveSize uint64
	// UseXSAVE selects XSAVE/XRSTOR over FXSAVE/FXRSTOR.
	UseXSAVE uint8
	// UseFSGSBASE selects RDFSBASE/WRFSBASE (and the GS forms) over the
	// MSRs in the system call paths: CR4.FSGSBASE is on.
	UseFSGSBASE uint8
	_           [6]byte
	// ID is the CPU's index.
	ID uint64
	// UserFrame is the address of the Frame where a SYSCALL from ring 3
	// saves the user registers: the running thread's user context, or 0
	// when it has none.
	UserFrame uintptr
	// KCont is the address of the running thread's kernel continuation:
	// the Frame EnterUser saved, resumed when the user context traps.
	KCont uintptr
	// FPUOwner is the user Frame (a task's user context) whose vector
	// state beyond XMM0-15 and MXCSR is live in this CPU's registers, or
	// 0. Entry paths save only the SSE part of a user context (all the
	// kernel's Go code changes); the rest stays in the registers until
	// another context needs them (ClaimFPU), as Linux's
	// fpregs_owner_ctx defers the restore to the return to user mode.
	FPUOwner uintptr
	// Kernel-owned per-CPU words (current thread and such); amd64 does not
	// interpret them.
	Current uintptr
	Idle    uintptr

	gdt        [gdtEntries]uint64
	tss        TSS
	gdtPointer DescriptorPointer
}

var cpus [MaxCPUs]PerCPU

// fakeG is the all-zero g that FS:-8 points at in kernel entry paths. Go's
// stack-overflow check compares SP with g.stackguard0 (at offset 16), which
// is zero here, so the check always passes: entry stacks are sized for
// their work instead. Code that needs a real g (the allocator, the
// scheduler, write barriers) dereferences g.m, a nil pointer here, and
// faults loudly instead of corrupting anything.
var fakeG [64]uint64

// CPUData returns CPU i's per-CPU data.
func CPUData(i int) *PerCPU { return &cpus[i] }

// ThisCPU returns the calling CPU's data (read through GS).
func ThisCPU() *PerCPU { return (*PerCPU)(Ptr(readGS0())) }

func readGS0() uintptr

// InitCPU sets up CPU id's GDT, TSS (with the given IST stack tops, index
// 1..NumIST), GS base and per-CPU data, and loads them. Interrupts must be
// off.
func InitCPU(id int, ist [NumIST + 1]uintptr) *PerCPU {
	c := &cpus[id]
	c.Self = uintptr(unsafe.Pointer(c))
	c.ID = uint64(id)
	c.TLSg = uintptr(unsafe.Pointer(&fakeG))
	c.KernelFS = uintptr(unsafe.Pointer(&c.TLSg)) + 8
	c.gdt = [gdtEntries]uint64{
		0,
		descKernel32CS,
		descKernelCS,
		descKernelDS,
		descUser32CS,
		descUserDS,
		descUserCS,
		0,
	}
	for i := 1; i <= NumIST; i++ {
		c.tss.SetIST(i, ist[i])
	}
	c.tss[tssIOMapBase] = byte(len(c.tss))
	c.tss[tssIOMapBase+1] = 0
	tssBase := uint64(uintptr(unsafe.Pointer(&c.tss)))
	limit := uint64(len(c.tss) - 1)
	// 64-bit available TSS descriptor (type 9), present.
	c.gdt[GDTEntryTSS] = limit&0xffff | (tssBase&0xffffff)<<16 | 0x89<<40 | (limit>>16&0xf)<<48 | (tssBase>>24&0xff)<<56
	c.gdt[GDTEntryTSS+1] = tssBase >> 32
	c.gdtPointer = makeDescriptorPointer(uintptr(unsafe.Pointer(&c.gdt)), uint16(unsafe.Sizeof(c.gdt)-1))
	lgdt(&c.gdtPointer)
	reloadSegments(KernelCS, KernelDS)
	ltr(TSSSel)
	Wrmsr(MSR_GS_BASE, uint64(c.Self))
	Wrmsr(MSR_KERNEL_GS_BASE, 0)
	return c
}

// TSS returns the CPU's task-state segment.
func (c *PerCPU) TSS() *TSS { return &c.tss }

// EnableSyscall points SYSCALL at entry (entry_SYSCALL_64) with Linux's
// STAR layout and flag mask (arch/x86/kernel/cpu/common.c, syscall_init).
func EnableSyscall(entry uintptr) {
	Wrmsr(MSR_STAR, uint64(User32CS&^3)<<48|uint64(KernelCS)<<32)
	Wrmsr(MSR_LSTAR, uint64(entry))
	Wrmsr(MSR_CSTAR, 0)
	// Cleared on entry: CF PF AF ZF SF TF IF DF OF IOPL NT RF AC ID.
	Wrmsr(MSR_SYSCALL_MASK, 0x1|0x4|0x10|0x40|0x80|FlagTF|FlagIF|FlagDF|0x800|FlagIOPL|FlagNT|FlagRF|FlagAC|FlagID)
	Wrmsr(MSR_EFER, Rdmsr(MSR_EFER)|EFER_SCE)
}
