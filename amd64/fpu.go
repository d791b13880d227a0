package amd64

import "unsafe"

// XCR0 state components (Intel SDM vol. 1 §13.1).
const (
	XStateX87 = 1 << 0
	XStateSSE = 1 << 1
	XStateAVX = 1 << 2
)

// Offsets in the FXSAVE area, which is also the legacy region of the
// XSAVE area (Intel SDM vol. 1 §10.5.1), and MXCSR's value at reset and in
// Linux's initial FPU state.
const (
	FXSaveMXCSR  = 24
	FXSaveXMM    = 160
	MXCSRDefault = 0x1f80
)

// MaxXSaveSize bounds the vector-state area: one page per thread.
const MaxXSaveSize = 4096

// XFeatures is XCR0: the state components XSAVE saves (0 without XSAVE).
var XFeatures uint64

// InitFPU enables the x87/SSE unit and, when the CPU has XSAVE, the
// AVX state, so that the Go runtime (and user programs) may use AVX. It
// records on c how entry stubs save vector state and how much room it
// takes. AVX-512 state is not enabled: the save area stays one page and
// the Go runtime, seeing no ZMM state in XCR0, does not use it.
func InitFPU(c *PerCPU) {
	cr0 := ReadCR0()
	cr0 &^= CR0_EM | CR0_TS
	// AM: a ring-3 program that sets RFLAGS.AC gets alignment checks
	// (#AC, SIGBUS), as Linux enables them; ring 0 is never checked.
	cr0 |= CR0_MP | CR0_NE | CR0_AM
	WriteCR0(cr0)
	cr4 := ReadCR4() | CR4_OSFXSR | CR4_OSXMMEXCPT
	c.UseXSAVE = 0
	c.XSaveSize = 512
	if CPU.Has(FeatureXSAVE) {
		cr4 |= CR4_OSXSAVE
		WriteCR4(cr4)
		xcr0 := uint64(XStateX87 | XStateSSE)
		if CPU.Has(FeatureAVX) && CPU.XCR0Supported&XStateAVX != 0 {
			xcr0 |= XStateAVX
		}
		Xsetbv(0, xcr0)
		_, ebx, _, _ := Cpuid(0xd, 0) // size for the components now enabled
		if ebx >= 576 && ebx <= MaxXSaveSize {
			c.UseXSAVE = 1
			c.XSaveSize = uint64(ebx)
			XFeatures = xcr0
		}
	} else {
		WriteCR4(cr4)
	}
	fninit()
	probeMXCSRMask()
}

func fninit()

// mxcsrMask is the MXCSR bits the CPU implements (FXSAVE's MXCSR_MASK, or
// 0xffbf when it reports 0), read once at boot.
var mxcsrMask uint32

// fpuProbe is a save area for reading MXCSR_MASK.
var fpuProbe [MaxXSaveSize + 64]byte

// MXCSRMask returns the MXCSR bits that may be set without a fault.
func MXCSRMask() uint32 { return mxcsrMask }

// probeMXCSRMask saves the vector state once to read MXCSR_MASK.
func probeMXCSRMask() {
	base := uintptr(unsafe.Pointer(&fpuProbe[0]))
	aligned := (base + 63) &^ 63
	SaveFPU(aligned)
	off := aligned - base
	m := uint32(fpuProbe[off+28]) | uint32(fpuProbe[off+29])<<8 | uint32(fpuProbe[off+30])<<16 | uint32(fpuProbe[off+31])<<24
	if m == 0 {
		m = 0xffbf
	}
	mxcsrMask = m
}

// kernelMXCSR is the MXCSR kernel code runs with (MXCSRDefault): entry
// paths load it after saving a user context's, so that a program's
// rounding mode or unmasked exceptions never reach the kernel's Go code.
var kernelMXCSR uint32

// fpuSwitch saves the whole vector state of the context whose save area
// is old (its SSE part comes from the area, the rest from the registers)
// into old, then loads the whole state in new; either may be 0. It ends
// with the kernel's MXCSR. Needs XSAVE.
func fpuSwitch(old, new uintptr)

// The lazy vector state of user contexts. A user Frame's FPU area always
// holds the context's SSE part (XMM0-15, MXCSR) while the kernel runs,
// and the rest of its state unless the context is the CPU's FPUOwner, in
// which case the rest is in the registers. These functions keep that
// true; they run with interrupts off so that no thread switch comes in
// between. With one CPU a context can be the owner of no other; SMP will
// need the owner's CPU to save it (an IPI) before the context runs
// elsewhere.

// ClaimFPU makes the user context whose Frame is at owner the CPU's
// FPUOwner before it enters ring 3: the previous owner's state is saved
// into its area, and the new one's loaded from its area if load is set
// (a context resumed from a full saved image loads it itself). Without
// XSAVE every entry saves and every return loads the whole state, and
// there is no owner.
//
//go:nosplit
func ClaimFPU(c *PerCPU, owner uintptr, load bool) {
	if c.UseXSAVE == 0 || c.FPUOwner == owner {
		return
	}
	var old, next uintptr
	if c.FPUOwner != 0 {
		old = (*Frame)(Ptr(c.FPUOwner)).FPU
	}
	if load {
		next = (*Frame)(Ptr(owner)).FPU
	}
	fpuSwitch(old, next)
	c.FPUOwner = owner
}

// SyncFPU makes the area of the user context whose Frame is at owner
// hold its whole vector state, for code that reads it (a signal frame, a
// fork). The registers keep it too.
//
//go:nosplit
func SyncFPU(owner uintptr) {
	flags := SaveFlagsCli()
	if c := ThisCPU(); c.FPUOwner == owner && c.UseXSAVE != 0 {
		fpuSwitch((*Frame)(Ptr(owner)).FPU, 0)
	}
	RestoreFlags(flags)
}

// DropFPU forgets that the registers hold the state of the user context
// whose Frame is at owner: its area was rewritten (a signal handler's
// clean state, rt_sigreturn, execve) or is about to be freed, and the
// next entry to ring 3 loads it whole.
//
//go:nosplit
func DropFPU(owner uintptr) {
	flags := SaveFlagsCli()
	if c := ThisCPU(); c.FPUOwner == owner {
		c.FPUOwner = 0
	}
	RestoreFlags(flags)
}
