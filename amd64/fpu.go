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
