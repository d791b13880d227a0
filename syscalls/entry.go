// Package syscalls is oyako's system call layer: the SYSCALL entry point
// (entry_SYSCALL_64, entry_64.s), the table generated from syscall_64.tbl
// (see sysno), and the handlers.
//
// A SYSCALL instruction has two kinds of callers (DESIGN.md §1). The
// kernel's own Go runtime issues Linux system calls from ring 0; those go to
// the runtime services (kernel.Service). A user program's system call
// (ring 3) is saved into its task and handed back to the task's goroutine,
// which dispatches it through sys_call_table (Dispatch).
package syscalls

import (
	"unsafe"

	"oyako/amd64"
	"oyako/kernel"
	"oyako/syscalls/sysno"
)

// Offsets of the per-CPU fields entry_64.s uses, exported to it through
// go_asm.h.
const (
	percpuScratch     = unsafe.Offsetof(amd64.PerCPU{}.Scratch)
	percpuUserFrame   = unsafe.Offsetof(amd64.PerCPU{}.UserFrame)
	percpuKCont       = unsafe.Offsetof(amd64.PerCPU{}.KCont)
	frameSize         = unsafe.Sizeof(amd64.Frame{})
	kcontRsp          = unsafe.Offsetof(amd64.Frame{}.Regs) + unsafe.Offsetof(amd64.PtRegs{}.Rsp)
	percpuKStack      = unsafe.Offsetof(amd64.PerCPU{}.KStack)
	percpuKernelFS    = unsafe.Offsetof(amd64.PerCPU{}.KernelFS)
	percpuUseXSAVE    = unsafe.Offsetof(amd64.PerCPU{}.UseXSAVE)
	percpuUseFSGSBASE = unsafe.Offsetof(amd64.PerCPU{}.UseFSGSBASE)

	frameRegs   = unsafe.Offsetof(amd64.Frame{}.Regs)
	frameFSBase = unsafe.Offsetof(amd64.Frame{}.FSBase)
	frameFPU    = unsafe.Offsetof(amd64.Frame{}.FPU)
	frameGSBase = unsafe.Offsetof(amd64.Frame{}.GSBase)
	frameVector = unsafe.Offsetof(amd64.Frame{}.Vector)

	regsOrigRax = unsafe.Offsetof(amd64.PtRegs{}.OrigRax)
	regsRip     = unsafe.Offsetof(amd64.PtRegs{}.Rip)
	regsEflags  = unsafe.Offsetof(amd64.PtRegs{}.Eflags)
	regsRsp     = unsafe.Offsetof(amd64.PtRegs{}.Rsp)
	regsRbp     = unsafe.Offsetof(amd64.PtRegs{}.Rbp)
	regsRbx     = unsafe.Offsetof(amd64.PtRegs{}.Rbx)
	regsR12     = unsafe.Offsetof(amd64.PtRegs{}.R12)
	regsR13     = unsafe.Offsetof(amd64.PtRegs{}.R13)
	regsR14     = unsafe.Offsetof(amd64.PtRegs{}.R14)
	regsR15     = unsafe.Offsetof(amd64.PtRegs{}.R15)

	// The fast path's checks (fast.go).
	nrSyscalls     = sysno.NR
	userRIPMax     = amd64.UserRIPMax
	sysretBadFlags = amd64.FlagTF | amd64.FlagRF
	mxcsrDefault   = amd64.MXCSRDefault
	mxcsrFlags     = 0x3f // MXCSR's exception flags, set by floating-point work

	kernelCS      = amd64.KernelCS
	kernelDS      = amd64.KernelDS
	userCS        = amd64.UserCS
	userDS        = amd64.UserDS
	vectorSyscall = amd64.VectorSyscall
	negENOSYS     = -38
)

// entry_SYSCALL_64 is the SYSCALL entry point (MSR_LSTAR).
func entry_SYSCALL_64()

// entryAddr holds entry_SYSCALL_64's address (entry_64.s).
var entryAddr uintptr

// EntryAddr returns the address to load into MSR_LSTAR.
func EntryAddr() uintptr { return entryAddr }

// ring0 is called by entry_SYSCALL_64 for a SYSCALL from ring 0, on the
// calling thread's service stack, interrupts off, with the kernel's fake-g
// FS base; f.FSBase holds the caller's.
func ring0(f *amd64.Frame) {
	kernel.Service(f)
}
