package boot

import (
	"oyako/amd64"
	"oyako/kernel"
	"oyako/kernel/mm"
)

// The PVH boot ABI's start info (xen/include/public/arch-x86/hvm/start_info.h).
const (
	startInfoMagic = 0x336ec578

	siMagic         = 0
	siVersion       = 4
	siNrModules     = 12
	siModlistPaddr  = 16
	siCmdlinePaddr  = 24
	siRSDPPaddr     = 32
	siMemmapPaddr   = 40
	siMemmapEntries = 48

	modlistEntrySize = 32 // paddr, size, cmdline_paddr, reserved
	memmapEntrySize  = 24 // addr, size, type, reserved
)

// physReader reads physical memory. During early boot physical addresses
// below 4 GiB are identity mapped; tests substitute host memory.
type physReader func(pa uint64) uintptr

func identity(pa uint64) uintptr { return uintptr(pa) }

func (r physReader) u32(pa uint64) uint32 { return *(*uint32)(amd64.Ptr(r(pa))) }
func (r physReader) u64(pa uint64) uint64 { return *(*uint64)(amd64.Ptr(r(pa))) }
func (r physReader) b(pa uint64) byte     { return *(*byte)(amd64.Ptr(r(pa))) }

// parseStartInfo copies what the kernel needs out of the start info at si
// into bi: the command line, the memory map and the module list. It
// returns a description of what is wrong, or "".
func parseStartInfo(read physReader, si uint64, bi *kernel.BootInfo) string {
	if read.u32(si+siMagic) != startInfoMagic {
		return "bad hvm_start_info magic"
	}
	if cl := read.u64(si + siCmdlinePaddr); cl != 0 {
		n := 0
		for n < len(bi.Cmdline) {
			c := read.b(cl + uint64(n))
			if c == 0 {
				break
			}
			bi.Cmdline[n] = c
			n++
		}
		bi.CmdlineLen = n
	}
	bi.RSDP = read.u64(si + siRSDPPaddr)

	nmods := read.u32(si + siNrModules)
	mods := read.u64(si + siModlistPaddr)
	for i := uint64(0); i < uint64(nmods) && bi.NModules < len(bi.Modules); i++ {
		e := mods + i*modlistEntrySize
		base, size := read.u64(e), read.u64(e+8)
		bi.Modules[bi.NModules] = mm.Range{Base: base, End: base + size}
		bi.NModules++
	}

	if read.u32(si+siVersion) < 1 {
		return "hvm_start_info version 0 has no memory map"
	}
	n := read.u32(si + siMemmapEntries)
	mp := read.u64(si + siMemmapPaddr)
	if n == 0 || mp == 0 {
		return "hvm_start_info has no memory map"
	}
	for i := uint64(0); i < uint64(n) && bi.NMem < len(bi.Mem); i++ {
		e := mp + i*memmapEntrySize
		bi.Mem[bi.NMem] = kernel.MemRegion{Base: read.u64(e), Size: read.u64(e + 8), Type: read.u32(e + 16)}
		bi.NMem++
	}
	return ""
}
