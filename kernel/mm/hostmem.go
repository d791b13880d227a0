package mm

import "unsafe"

// UseHostMemory points size bytes of "physical memory" at an ordinary Go
// buffer and gives them to the frame allocator, with a reference-count
// table, so that packages built on mm (the file system's page-backed
// files, address spaces) run under go test on the host. It replaces any
// earlier fake memory; it is for tests only and must not be called in the
// kernel.
func UseHostMemory(size int) {
	hostTest = true
	buf := make([]byte, size+PageSize)
	base := (uintptr(unsafe.Pointer(&buf[0])) + PageSize - 1) &^ (PageSize - 1)
	hostRAM = buf
	physBase = base - hostRAMBase
	physLimit = 1 << 62
	frames = frameAllocator{}
	InitFrames([]Range{{hostRAMBase, hostRAMBase + uint64(size)}}, nil)
	refs := make([]uint32, (hostRAMBase+uint64(size))/PageSize)
	refTable, refLen = &refs[0], uint64(len(refs))
	hostRefs = refs
}

// hostRAMBase is the fake physical address of host test memory.
const hostRAMBase = 0x100000

// hostRAM and hostRefs keep the host test memory alive.
var (
	hostRAM  []byte
	hostRefs []uint32
)
