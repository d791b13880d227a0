package amd64

// CPUFeatures is what CPUID reports about the boot CPU (Intel SDM vol. 2A,
// CPUID; bit names as in Linux's cpufeatures.h).
type CPUFeatures struct {
	Vendor   [12]byte
	Brand    [48]byte
	Family   uint32
	Model    uint32
	Stepping uint32
	MaxLeaf  uint32
	MaxExt   uint32

	// Raw registers, kept for AT_HWCAP and reporting.
	Leaf1EDX, Leaf1ECX           uint32
	Leaf7EBX, Leaf7ECX, Leaf7EDX uint32
	Ext1EDX, Ext1ECX             uint32
	Ext7EDX                      uint32

	// XSAVE: the components the CPU supports and the area size they need.
	XCR0Supported uint64
}

// CPU holds the boot CPU's features once DetectFeatures has run.
var CPU CPUFeatures

// DetectFeatures fills CPU from CPUID.
func DetectFeatures() {
	c := &CPU
	a, b, cx, d := Cpuid(0, 0)
	c.MaxLeaf = a
	putReg(c.Vendor[0:4], b)
	putReg(c.Vendor[4:8], d)
	putReg(c.Vendor[8:12], cx)
	if c.MaxLeaf >= 1 {
		a, _, cx, d = Cpuid(1, 0)
		c.Leaf1ECX, c.Leaf1EDX = cx, d
		c.Stepping = a & 0xf
		c.Model = (a >> 4) & 0xf
		c.Family = (a >> 8) & 0xf
		if c.Family == 0xf {
			c.Family += (a >> 20) & 0xff
		}
		if c.Family == 0x6 || c.Family >= 0xf {
			c.Model += ((a >> 16) & 0xf) << 4
		}
	}
	if c.MaxLeaf >= 7 {
		_, b, cx, d = Cpuid(7, 0)
		c.Leaf7EBX, c.Leaf7ECX, c.Leaf7EDX = b, cx, d
	}
	if c.MaxLeaf >= 0xd && c.Has(FeatureXSAVE) {
		a, _, _, d = Cpuid(0xd, 0)
		c.XCR0Supported = uint64(a) | uint64(d)<<32
	}
	a, _, _, _ = Cpuid(0x80000000, 0)
	c.MaxExt = a
	if c.MaxExt >= 0x80000001 {
		_, _, cx, d = Cpuid(0x80000001, 0)
		c.Ext1ECX, c.Ext1EDX = cx, d
	}
	if c.MaxExt >= 0x80000004 {
		for i := uint32(0); i < 3; i++ {
			a, b, cx, d = Cpuid(0x80000002+i, 0)
			putReg(c.Brand[16*i:], a)
			putReg(c.Brand[16*i+4:], b)
			putReg(c.Brand[16*i+8:], cx)
			putReg(c.Brand[16*i+12:], d)
		}
	}
	if c.MaxExt >= 0x80000007 {
		_, _, _, d = Cpuid(0x80000007, 0)
		c.Ext7EDX = d
	}
}

func putReg(b []byte, r uint32) {
	b[0], b[1], b[2], b[3] = byte(r), byte(r>>8), byte(r>>16), byte(r>>24)
}

// FeatureID identifies a CPUID feature bit: register<<8 | bit.
type FeatureID uint16

const (
	regLeaf1EDX = iota
	regLeaf1ECX
	regLeaf7EBX
	regLeaf7ECX
	regLeaf7EDX
	regExt1EDX
	regExt1ECX
	regExt7EDX
)

// Features used by the kernel. They are constants so that early boot,
// which runs before Go package initialization, can use them.
const (
	FeatureFPU          = FeatureID(regLeaf1EDX<<8 | 0)
	FeatureTSC          = FeatureID(regLeaf1EDX<<8 | 4)
	FeatureAPIC         = FeatureID(regLeaf1EDX<<8 | 9)
	FeaturePGE          = FeatureID(regLeaf1EDX<<8 | 13)
	FeatureFXSR         = FeatureID(regLeaf1EDX<<8 | 24)
	FeatureSSE2         = FeatureID(regLeaf1EDX<<8 | 26)
	FeatureSSE3         = FeatureID(regLeaf1ECX<<8 | 0)
	FeatureSSSE3        = FeatureID(regLeaf1ECX<<8 | 9)
	FeatureSSE41        = FeatureID(regLeaf1ECX<<8 | 19)
	FeatureSSE42        = FeatureID(regLeaf1ECX<<8 | 20)
	FeatureX2APIC       = FeatureID(regLeaf1ECX<<8 | 21)
	FeaturePOPCNT       = FeatureID(regLeaf1ECX<<8 | 23)
	FeatureTSCDeadline  = FeatureID(regLeaf1ECX<<8 | 24)
	FeatureAES          = FeatureID(regLeaf1ECX<<8 | 25)
	FeatureXSAVE        = FeatureID(regLeaf1ECX<<8 | 26)
	FeatureAVX          = FeatureID(regLeaf1ECX<<8 | 28)
	FeatureRDRAND       = FeatureID(regLeaf1ECX<<8 | 30)
	FeatureHypervisor   = FeatureID(regLeaf1ECX<<8 | 31)
	FeatureFSGSBASE     = FeatureID(regLeaf7EBX<<8 | 0)
	FeatureBMI1         = FeatureID(regLeaf7EBX<<8 | 3)
	FeatureAVX2         = FeatureID(regLeaf7EBX<<8 | 5)
	FeatureSMEP         = FeatureID(regLeaf7EBX<<8 | 7)
	FeatureBMI2         = FeatureID(regLeaf7EBX<<8 | 8)
	FeatureERMS         = FeatureID(regLeaf7EBX<<8 | 9)
	FeatureRDSEED       = FeatureID(regLeaf7EBX<<8 | 18)
	FeatureSMAP         = FeatureID(regLeaf7EBX<<8 | 20)
	FeatureAVX512F      = FeatureID(regLeaf7EBX<<8 | 16)
	FeatureUMIP         = FeatureID(regLeaf7ECX<<8 | 2)
	FeatureFSRM         = FeatureID(regLeaf7EDX<<8 | 4)
	FeatureSYSCALL      = FeatureID(regExt1EDX<<8 | 11)
	FeatureNX           = FeatureID(regExt1EDX<<8 | 20)
	FeaturePDPE1GB      = FeatureID(regExt1EDX<<8 | 26)
	FeatureRDTSCP       = FeatureID(regExt1EDX<<8 | 27)
	FeatureLM           = FeatureID(regExt1EDX<<8 | 29)
	FeatureLAHF         = FeatureID(regExt1ECX<<8 | 0)
	FeatureInvariantTSC = FeatureID(regExt7EDX<<8 | 8)
)

func (c *CPUFeatures) reg(r int) uint32 {
	switch r {
	case regLeaf1EDX:
		return c.Leaf1EDX
	case regLeaf1ECX:
		return c.Leaf1ECX
	case regLeaf7EBX:
		return c.Leaf7EBX
	case regLeaf7ECX:
		return c.Leaf7ECX
	case regLeaf7EDX:
		return c.Leaf7EDX
	case regExt1EDX:
		return c.Ext1EDX
	case regExt1ECX:
		return c.Ext1ECX
	case regExt7EDX:
		return c.Ext7EDX
	}
	return 0
}

// Has reports whether the CPU has feature f.
func (c *CPUFeatures) Has(f FeatureID) bool { return c.reg(int(f>>8))>>(f&0xff)&1 != 0 }

// FeatureNames lists, for reports, the features the kernel cares about
// that this CPU has. It allocates; call it from ordinary Go code.
func (c *CPUFeatures) FeatureNames() []string {
	all := []struct {
		name string
		f    FeatureID
	}{
		{"sse2", FeatureSSE2}, {"sse3", FeatureSSE3}, {"ssse3", FeatureSSSE3},
		{"sse4_1", FeatureSSE41}, {"sse4_2", FeatureSSE42}, {"popcnt", FeaturePOPCNT},
		{"aes", FeatureAES}, {"avx", FeatureAVX}, {"avx2", FeatureAVX2},
		{"avx512f", FeatureAVX512F}, {"bmi1", FeatureBMI1}, {"bmi2", FeatureBMI2},
		{"erms", FeatureERMS}, {"fsrm", FeatureFSRM}, {"xsave", FeatureXSAVE},
		{"fsgsbase", FeatureFSGSBASE}, {"rdrand", FeatureRDRAND}, {"rdseed", FeatureRDSEED},
		{"nx", FeatureNX}, {"pdpe1gb", FeaturePDPE1GB}, {"rdtscp", FeatureRDTSCP},
		{"smep", FeatureSMEP}, {"smap", FeatureSMAP}, {"umip", FeatureUMIP},
		{"x2apic", FeatureX2APIC}, {"tsc_deadline", FeatureTSCDeadline},
		{"constant_tsc", FeatureInvariantTSC}, {"hypervisor", FeatureHypervisor},
	}
	var names []string
	for _, e := range all {
		if c.Has(e.f) {
			names = append(names, e.name)
		}
	}
	return names
}

// VendorString returns the CPUID vendor string, e.g. "GenuineIntel".
func (c *CPUFeatures) VendorString() string { return string(c.Vendor[:]) }

// BrandString returns the processor brand string, trimmed.
func (c *CPUFeatures) BrandString() string {
	b := c.Brand[:]
	for len(b) > 0 && (b[len(b)-1] == 0 || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return string(b)
}
