package kernel

import (
	"strconv"

	"oyako/amd64"
	"oyako/fs"
	"oyako/kernel/ktime"
)

// /proc/cpuinfo's description of the CPU, read from CPUID as Linux's
// arch/x86/kernel/cpu/ (common.c, amd.c, intel.c, cacheinfo.c) reads it,
// with the flag names of its cpufeatures.h.
//
// Limits: the flags Linux synthesizes are derived for the common cases
// only (constant_tsc, nonstop_tsc, rep_good, nopl, xtopology, cpuid,
// tsc_known_freq, aperfmperf, vmmcall); the scattered leaves of its
// words 7, 11, 19 and 20 (mitigation controls, SEV, ...) are left out;
// the bugs line lists what is known from the vendor alone.

// cpuidWord is one 32-bit CPUID register whose bits are feature flags,
// with the name Linux shows for each bit ("" for bits it hides).
type cpuidWord struct {
	leaf, subleaf uint32
	reg           int // 0 EAX, 1 EBX, 2 ECX, 3 EDX
	names         map[int]string
}

// cpuidWords are Linux's capability words in order (the flags line lists
// them word by word). Word 3, the synthesized flags, is added by
// cpuFlags in its place, after word 1.
var cpuidWords = []cpuidWord{
	{1, 0, 3, map[int]string{0: "fpu", 1: "vme", 2: "de", 3: "pse", 4: "tsc", 5: "msr", 6: "pae", 7: "mce", 8: "cx8", 9: "apic",
		11: "sep", 12: "mtrr", 13: "pge", 14: "mca", 15: "cmov", 16: "pat", 17: "pse36", 18: "pn", 19: "clflush", 21: "dts",
		22: "acpi", 23: "mmx", 24: "fxsr", 25: "sse", 26: "sse2", 27: "ss", 28: "ht", 29: "tm", 30: "ia64", 31: "pbe"}},
	{0x80000001, 0, 3, map[int]string{11: "syscall", 19: "mp", 20: "nx", 22: "mmxext", 25: "fxsr_opt", 26: "pdpe1gb",
		27: "rdtscp", 29: "lm", 30: "3dnowext", 31: "3dnow"}},
	{1, 0, 2, map[int]string{0: "pni", 1: "pclmulqdq", 2: "dtes64", 3: "monitor", 4: "ds_cpl", 5: "vmx", 6: "smx", 7: "est",
		8: "tm2", 9: "ssse3", 10: "cid", 11: "sdbg", 12: "fma", 13: "cx16", 14: "xtpr", 15: "pdcm", 17: "pcid", 18: "dca",
		19: "sse4_1", 20: "sse4_2", 21: "x2apic", 22: "movbe", 23: "popcnt", 24: "tsc_deadline_timer", 25: "aes",
		26: "xsave", 28: "avx", 29: "f16c", 30: "rdrand", 31: "hypervisor"}},
	{0x80000001, 0, 2, map[int]string{0: "lahf_lm", 1: "cmp_legacy", 2: "svm", 3: "extapic", 4: "cr8_legacy", 5: "abm",
		6: "sse4a", 7: "misalignsse", 8: "3dnowprefetch", 9: "osvw", 10: "ibs", 11: "xop", 12: "skinit", 13: "wdt",
		15: "lwp", 16: "fma4", 17: "tce", 19: "nodeid_msr", 21: "tbm", 22: "topoext", 23: "perfctr_core",
		24: "perfctr_nb", 26: "bpext", 27: "ptsc", 28: "perfctr_llc", 29: "mwaitx"}},
	{7, 0, 1, map[int]string{0: "fsgsbase", 1: "tsc_adjust", 2: "sgx", 3: "bmi1", 4: "hle", 5: "avx2", 7: "smep", 8: "bmi2",
		9: "erms", 10: "invpcid", 11: "rtm", 12: "cqm", 14: "mpx", 15: "rdt_a", 16: "avx512f", 17: "avx512dq", 18: "rdseed",
		19: "adx", 20: "smap", 21: "avx512ifma", 23: "clflushopt", 24: "clwb", 25: "intel_pt", 26: "avx512pf",
		27: "avx512er", 28: "avx512cd", 29: "sha_ni", 30: "avx512bw", 31: "avx512vl"}},
	{0xd, 1, 0, map[int]string{0: "xsaveopt", 1: "xsavec", 2: "xgetbv1", 3: "xsaves", 4: "xfd"}},
	{7, 1, 0, map[int]string{0: "sha512", 1: "sm3", 2: "sm4", 4: "avx_vnni", 5: "avx512_bf16", 7: "cmpccxadd",
		8: "arch_perfmon_ext", 10: "fzrm", 11: "fsrs", 12: "fsrc", 17: "fred", 18: "lkgs", 19: "wrmsrns", 21: "amx_fp16",
		23: "avx_ifma", 26: "lam"}},
	{0x80000008, 0, 1, map[int]string{0: "clzero", 1: "irperf", 2: "xsaveerptr", 4: "rdpru", 9: "wbnoinvd", 23: "amd_ppin",
		25: "virt_ssbd", 27: "cppc", 29: "btc_no", 31: "brs"}},
	{6, 0, 0, map[int]string{0: "dtherm", 1: "ida", 2: "arat", 4: "pln", 6: "pts", 7: "hwp", 8: "hwp_notify",
		9: "hwp_act_window", 10: "hwp_epp", 11: "hwp_pkg_req", 19: "hfi"}},
	{0x8000000a, 0, 3, map[int]string{0: "npt", 1: "lbrv", 2: "svm_lock", 3: "nrip_save", 4: "tsc_scale", 5: "vmcb_clean",
		6: "flushbyasid", 7: "decodeassists", 10: "pausefilter", 12: "pfthreshold", 13: "avic", 15: "v_vmsave_vmload",
		16: "vgif", 20: "v_spec_ctrl", 25: "vnmi"}},
	{7, 0, 2, map[int]string{1: "avx512vbmi", 2: "umip", 3: "pku", 4: "ospke", 5: "waitpkg", 6: "avx512_vbmi2", 8: "gfni",
		9: "vaes", 10: "vpclmulqdq", 11: "avx512_vnni", 12: "avx512_bitalg", 13: "tme", 14: "avx512_vpopcntdq",
		16: "la57", 22: "rdpid", 24: "bus_lock_detect", 25: "cldemote", 27: "movdiri", 28: "movdir64b", 29: "enqcmd",
		30: "sgx_lc"}},
	{0x80000007, 0, 1, map[int]string{0: "overflow_recov", 1: "succor", 3: "smca"}},
	{7, 0, 3, map[int]string{2: "avx512_4vnniw", 3: "avx512_4fmaps", 4: "fsrm", 8: "avx512_vp2intersect", 10: "md_clear",
		14: "serialize", 16: "tsxldtrk", 18: "pconfig", 19: "arch_lbr", 20: "ibt", 22: "amx_bf16", 23: "avx512_fp16",
		24: "amx_tile", 25: "amx_int8", 28: "flush_l1d", 29: "arch_capabilities"}},
}

// powerFlags are x86_power_flags: CPUID 0x80000007 EDX.
var powerFlags = map[int]string{0: "ts", 1: "fid", 2: "vid", 3: "ttp", 5: "stc", 6: "100mhzsteps", 7: "hwpstate",
	9: "cpb", 10: "eff_freq_ro", 11: "proc_feedback", 12: "acc_power"}

// cpuid returns register reg of leaf:subleaf, 0 for leaves the CPU does
// not have.
func cpuid(leaf, subleaf uint32, reg int) uint32 {
	c := &amd64.CPU
	if leaf < 0x80000000 && leaf > c.MaxLeaf || leaf >= 0x80000000 && leaf > c.MaxExt {
		return 0
	}
	a, b, cx, d := amd64.Cpuid(leaf, subleaf)
	return [4]uint32{a, b, cx, d}[reg]
}

func isAMD() bool   { return amd64.CPU.VendorString() == "AuthenticAMD" }
func isIntel() bool { return amd64.CPU.VendorString() == "GenuineIntel" }

// cpuFlags lists the CPU's flags as /proc/cpuinfo names them.
func cpuFlags() []string {
	var out []string
	add := func(w cpuidWord) {
		if w.leaf == 0x8000000a && cpuid(0x80000001, 0, 2)&(1<<2) == 0 {
			return // SVM's features only with SVM
		}
		r := cpuid(w.leaf, w.subleaf, w.reg)
		if w.leaf == 7 && w.subleaf == 0 && w.reg == 2 {
			// 5-level paging is not in use: Linux then clears la57.
			r &^= 1 << 16
		}
		for bit := 0; bit < 32; bit++ {
			if r&(1<<bit) != 0 && w.names[bit] != "" {
				out = append(out, w.names[bit])
			}
		}
	}
	for i, w := range cpuidWords {
		add(w)
		if i == 1 {
			out = append(out, synthesizedFlags()...)
		}
		if i == 3 && isAMD() {
			out = append(out, "vmmcall") // word 8: AMD prefers VMMCALL
		}
	}
	return out
}

// synthesizedFlags are the flags of Linux's word 3 that follow from
// CPUID and the vendor (early_init_amd, early_init_intel, init_amd,
// init_intel, tsc.c).
func synthesizedFlags() []string {
	c := &amd64.CPU
	var out []string
	invariant := c.Has(amd64.FeatureInvariantTSC)
	constant := invariant || isIntel() && (c.Family == 6 && c.Model >= 0xe || c.Family == 0xf && c.Model >= 3)
	if constant {
		out = append(out, "constant_tsc")
	}
	repGood := false
	switch {
	case isIntel():
		repGood = c.Family == 6
	case isAMD():
		level := cpuid(1, 0, 0)
		repGood = c.Family >= 0x10 || c.Family == 0xf && (level >= 0x0f48 && level < 0x0f50 || level >= 0x0f58)
	}
	if repGood {
		out = append(out, "rep_good")
	}
	out = append(out, "nopl") // every x86-64 CPU
	if c.MaxLeaf >= 0xb && cpuid(0xb, 0, 1) != 0 {
		out = append(out, "xtopology")
	}
	if invariant {
		out = append(out, "nonstop_tsc")
	}
	out = append(out, "cpuid")
	if cpuid(6, 0, 2)&1 != 0 {
		out = append(out, "aperfmperf")
	}
	if ktime.CalibrationMethod() == ktime.MethodCPUID15 {
		out = append(out, "tsc_known_freq")
	}
	return out
}

// cpuBugs is the bugs line as far as the vendor tells: AMD's SYSRET and
// null-selector quirks, and the speculation bugs of every CPU that does
// not say it is immune.
func cpuBugs() []string {
	var out []string
	if isAMD() {
		out = append(out, "sysret_ss_attrs")
		if cpuid(0x80000021, 0, 0)&(1<<6) == 0 {
			out = append(out, "null_seg")
		}
	}
	out = append(out, "spectre_v1", "spectre_v2")
	if !(isAMD() && cpuid(0x80000008, 0, 1)&(1<<26) != 0) {
		out = append(out, "spec_store_bypass")
	}
	return out
}

// cacheKB is "cache size": AMD's L2 (cpu_detect_cache_sizes), Intel's
// last-level cache from leaf 4 (init_intel_cacheinfo).
func cacheKB() int {
	switch {
	case isAMD():
		if l2 := cpuid(0x80000006, 0, 2) >> 16; l2 != 0 {
			return int(l2)
		}
		return int(cpuid(0x80000005, 0, 2)>>24 + cpuid(0x80000005, 0, 3)>>24)
	case isIntel() && amd64.CPU.MaxLeaf >= 4:
		best, bestLevel := 0, uint32(0)
		for i := uint32(0); i < 16; i++ {
			a, b, cx, _ := amd64.Cpuid(4, i)
			typ := a & 0x1f
			if typ == 0 {
				break
			}
			level := a >> 5 & 7
			size := int((b>>22&0x3ff+1)*(b>>12&0x3ff+1)*(b&0xfff+1)*(cx+1)) >> 10
			if level > bestLevel && typ != 1 { // not a data-only L1
				best, bestLevel = size, level
			}
		}
		return best
	}
	return 0
}

// microcode reads the microcode revision: the patch level MSR (0x8b),
// whose low half AMD fills and whose high half Intel does.
func microcode() uint32 {
	const msrUcodeRev = 0x8b
	switch {
	case isAMD():
		return uint32(amd64.Rdmsr(msrUcodeRev))
	case isIntel():
		return uint32(amd64.Rdmsr(msrUcodeRev) >> 32)
	}
	return 0
}

// CPUInfo describes the boot CPU (/proc/cpuinfo).
func CPUInfo() fs.CPUInfo {
	c := &amd64.CPU
	clflush := int(cpuid(1, 0, 1)>>8&0xff) * 8
	info := fs.CPUInfo{
		VendorID: c.VendorString(), ModelName: c.BrandString(),
		Family: c.Family, Model: c.Model, Stepping: c.Stepping,
		Microcode: microcode(), KHz: ktime.TSCHz() / 1000, CacheKB: cacheKB(),
		Siblings: 1, Cores: 1, CPUIDLevel: c.MaxLeaf,
		Flags: cpuFlags(), Bugs: cpuBugs(),
		ClflushSize: clflush, CacheAlign: clflush,
		PhysBits: 36, VirtBits: 48,
	}
	if isIntel() && c.Family == 15 {
		info.CacheAlign = 2 * clflush
	}
	if a := cpuid(0x80000008, 0, 0); a != 0 {
		info.PhysBits, info.VirtBits = int(a&0xff), int(a>>8&0xff)
	}
	if isAMD() {
		b := cpuid(0x80000006, 0, 1)
		info.TLBSize = int(b>>16&0xfff + b&0xfff)
	}
	power := cpuid(0x80000007, 0, 3)
	for bit := 0; bit < 32; bit++ {
		if power&(1<<bit) == 0 {
			continue
		}
		if n, ok := powerFlags[bit]; ok {
			info.PowerManagement = append(info.PowerManagement, n)
		} else if bit != 4 && bit != 8 { // tm and the invariant TSC are not shown
			info.PowerManagement = append(info.PowerManagement, "["+strconv.Itoa(bit)+"]")
		}
	}
	return info
}
