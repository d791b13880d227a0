package amd64

// PtRegs mirrors Linux's struct pt_regs (arch/x86/include/asm/ptrace.h):
// the general registers in the order Linux's entry code pushes them, the
// syscall number or error code, and the hardware interrupt frame.
type PtRegs struct {
	R15     uint64
	R14     uint64
	R13     uint64
	R12     uint64
	Rbp     uint64
	Rbx     uint64
	R11     uint64
	R10     uint64
	R9      uint64
	R8      uint64
	Rax     uint64
	Rcx     uint64
	Rdx     uint64
	Rsi     uint64
	Rdi     uint64
	OrigRax uint64 // syscall number, or the exception's error code
	Rip     uint64
	Cs      uint64
	Eflags  uint64
	Rsp     uint64
	Ss      uint64
}

// Frame is everything an entry path saves of the context it interrupted:
// pt_regs plus what pt_regs leaves to other places in Linux. Entry stubs
// build it on the entry stack; a thread switch copies it into the thread.
type Frame struct {
	// FPU is the address of an XSAVE (or FXSAVE) area holding the
	// context's x87/SSE/AVX state, to be restored on resume; 0 when the
	// context does not need it restored (a voluntary switch in kernel
	// code, where Go's ABI treats vector registers as clobbered).
	FPU    uintptr
	FSBase uint64
	// GSBase is the user's GS base for ring-3 contexts (the kernel's GS
	// base is per CPU and never changes).
	GSBase uint64
	// Vector is the interrupt or exception vector, or VectorSyscall.
	Vector uint64
	Regs   PtRegs
}

// VectorSyscall marks a Frame built by the SYSCALL entry.
const VectorSyscall = 0x100

// FromUser reports whether the frame was interrupted in ring 3.
func (f *Frame) FromUser() bool { return f.Regs.Cs&3 == 3 }

// UserRIPMax bounds the return addresses SYSRET may load: below the last
// page of the canonical lower half, so that it never returns to a
// non-canonical address (which faults in ring 0 on Intel).
const UserRIPMax = 0x00007ffffffff000

// CanSysret reports whether returning to this ring-3 frame by SYSRET
// restores it exactly: RCX and R11 must already hold RIP and RFLAGS (SYSRET
// loads RIP from RCX and RFLAGS from R11), the segments must be the ones
// SYSRET sets, RIP must be canonical (on Intel a non-canonical RIP faults
// in ring 0 after SYSRET has switched to the user stack), and TF and RF
// must be clear. The conditions are Linux's (arch/x86/entry/common.c,
// do_syscall_64).
func (f *Frame) CanSysret() bool {
	r := &f.Regs
	return r.Rcx == r.Rip && r.R11 == r.Eflags && r.Cs == UserCS && r.Ss == UserDS &&
		r.Rip < UserRIPMax && r.Eflags&(FlagRF|FlagTF) == 0
}

// UserFlags are the RFLAGS bits a user context may set (Linux's
// FIX_EFLAGS): the arithmetic flags, TF, DF, AC and RF. IF is always set.
const UserFlags = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | FlagTF | FlagDF | 0x800 | FlagAC | FlagRF | FlagID

// SanitizeUser forces a frame about to enter ring 3 to user segments and
// user-settable flags, with interrupts on.
func (f *Frame) SanitizeUser() {
	f.Regs.Cs = UserCS
	f.Regs.Ss = UserDS
	f.Regs.Eflags = f.Regs.Eflags&UserFlags | FlagIF | 0x2
}
