package amd64

// XCR0 state components (Intel SDM vol. 1 §13.1).
const (
	XStateX87 = 1 << 0
	XStateSSE = 1 << 1
	XStateAVX = 1 << 2
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
	cr0 |= CR0_MP | CR0_NE
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
}

func fninit()
