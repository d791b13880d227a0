package kernel

import (
	"unsafe"

	"oyako/amd64"
	"oyako/boot/linkinfo"
	"oyako/kernel/mm"
)

// E820 memory types used by the PVH memory map.
const (
	MemRAM      = 1
	MemReserved = 2
	MemACPI     = 3
	MemNVS      = 4
)

// MemRegion is one memory-map entry.
type MemRegion struct {
	Base, Size uint64
	Type       uint32
}

// BootInfo is what the boot path learned before the kernel started:
// copied out of hvm_start_info (whose memory is then free), plus the link
// facts from the post-link step. boot fills Boot before EarlyInit.
type BootInfo struct {
	Cmdline    [4096]byte
	CmdlineLen int
	Mem        [128]MemRegion
	NMem       int
	Modules    [8]mm.Range // physical ranges, e.g. the initramfs
	NModules   int
	RSDP       uint64
	BootTSC    uint64 // TSC at the first boot instruction
	Link       linkinfo.Record
}

// Boot is this boot's information.
var Boot BootInfo

// CmdlineString returns the kernel command line. It aliases the buffer
// (which does not change after boot) instead of copying it, so early boot
// can use it: a conversion of more than 32 bytes would allocate.
func (b *BootInfo) CmdlineString() string {
	if b.CmdlineLen == 0 {
		return ""
	}
	return unsafe.String(&b.Cmdline[0], b.CmdlineLen)
}

// RAMBytes returns the total size of usable RAM in the memory map.
func (b *BootInfo) RAMBytes() uint64 {
	var n uint64
	for _, r := range b.Mem[:b.NMem] {
		if r.Type == MemRAM {
			n += r.Size
		}
	}
	return n
}

// imagePhys returns the physical range the kernel image occupies.
func (b *BootInfo) imagePhys() mm.Range {
	r := mm.Range{Base: ^uint64(0)}
	for _, s := range b.Link.Segments[:b.Link.NSegments] {
		base := s.Vaddr - mm.KernelBase
		if base < r.Base {
			r.Base = base
		}
		if base+s.Memsz > r.End {
			r.End = base + s.Memsz
		}
	}
	return r
}

// RAMTop returns the end of the highest RAM range.
func (b *BootInfo) RAMTop() uint64 {
	var top uint64
	for _, r := range b.Mem[:b.NMem] {
		if r.Type == MemRAM && r.Base+r.Size > top {
			top = r.Base + r.Size
		}
	}
	return top
}

// Initramfs returns the boot module QEMU passed with -initrd (the first
// module), in place in memory, or nil.
func Initramfs() []byte {
	if Boot.NModules == 0 {
		return nil
	}
	r := Boot.Modules[0]
	if r.End <= r.Base {
		return nil
	}
	return unsafe.Slice((*byte)(amd64.Ptr(mm.PhysToVirt(r.Base))), r.End-r.Base)
}
