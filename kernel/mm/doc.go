// Package mm manages memory: physical frames, x86-64 page tables, and the
// kernel's own address space, where the kernel's Go runtime gets its mmap
// reservations with demand-zero paging (DESIGN.md §3).
//
// Everything here may run in early boot, interrupt handlers and runtime
// services: no allocation, no blocking, spinlocks with interrupts off.
// Errors are Err values, not error interfaces, because early boot runs before
// package initialization and an error variable would still be nil there.
//
// Physical memory is reached through PhysToVirt: during early boot that is
// the boot identity map of the first 4 GiB, afterwards the direct map; host
// tests point it at ordinary memory, so the page-table and allocator logic
// runs under go test. Limits: 4 KiB, 2 MiB and 1 GiB pages, one PCID-less
// TLB (flushes by INVLPG or a global flush), kernel VMAs in a fixed array.
package mm

// Err is an mm error. The zero value means success.
type Err uint8

const (
	OK          Err = iota
	ErrNoMemory     // out of physical frames or VMA slots
	ErrExists       // the virtual page is already mapped
	ErrRange        // address or length outside what the call accepts
	ErrNotFound     // nothing mapped there
)

func (e Err) Error() string {
	switch e {
	case OK:
		return "ok"
	case ErrNoMemory:
		return "out of memory"
	case ErrExists:
		return "already mapped"
	case ErrRange:
		return "bad address or length"
	case ErrNotFound:
		return "not mapped"
	}
	return "mm error"
}

// physBase is added to a physical address to reach it: 0 while the boot
// identity map is in use, DirectMapBase once the kernel's page tables are
// live, and a host buffer's base in tests.
var physBase uintptr

// physLimit bounds the physical addresses reachable through physBase: 4 GiB
// under the boot identity map, unlimited afterwards.
var physLimit uint64 = 1 << 32

// PhysToVirt returns the kernel virtual address of physical address pa.
func PhysToVirt(pa uint64) uintptr { return physBase + uintptr(pa) }

// VirtToPhys is the inverse of PhysToVirt for direct-map addresses.
func VirtToPhys(va uintptr) uint64 { return uint64(va - physBase) }

// UseDirectMap switches PhysToVirt to the direct map; called once the
// kernel's page tables (which contain it) are loaded.
func UseDirectMap() {
	physBase = DirectMapBase
	physLimit = DirectMapSize
}

// PageAlignDown rounds a down to a page boundary.
func PageAlignDown(a uint64) uint64 { return a &^ (PageSize - 1) }

// PageAlignUp rounds a up to a page boundary.
func PageAlignUp(a uint64) uint64 { return (a + PageSize - 1) &^ (PageSize - 1) }
