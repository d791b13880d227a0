package boot

import "oyako/kernel/mm"

// Constants shared with pvh.s through go_asm.h.
const (
	bootStackSize = 64 << 10 // the stack early runs on
	kernelCS      = 0x10     // boot GDT selectors, equal to the final GDT's
	kernelDS      = 0x18
	kernelBase    = mm.KernelBase
)

// pvhEntry is the 32-bit PVH entry point. Its physical address goes into
// the kernel's XEN_ELFNOTE_PHYS32_ENTRY note; see pvh.s.
func pvhEntry()

// pvhEntryAddr is pvhEntry's link (virtual) address, defined in pvh.s.
var pvhEntryAddr uintptr

// entry64 and entryHigh continue the boot in 64-bit mode; see pvh.s.
func entry64()
func entryHigh()

// Written by pvh.s before paging is on.
var (
	bootTSC        uint64         // TSC at the first instruction of pvhEntry
	bootPageTables [8 * 4096]byte // early page tables, aligned within
	bootStack      [bootStackSize]byte
)
