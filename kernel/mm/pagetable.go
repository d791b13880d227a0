package mm

import (
	"unsafe"

	"oyako/amd64"
)

// PTE is an x86-64 page-table entry (Intel SDM vol. 3A §4.5; Linux's
// pgtable_types.h names in the comments).
type PTE uint64

const (
	PTEPresent      PTE = 1 << 0  // _PAGE_PRESENT
	PTEWrite        PTE = 1 << 1  // _PAGE_RW
	PTEUser         PTE = 1 << 2  // _PAGE_USER
	PTEWriteThrough PTE = 1 << 3  // _PAGE_PWT
	PTECacheDisable PTE = 1 << 4  // _PAGE_PCD
	PTEAccessed     PTE = 1 << 5  // _PAGE_ACCESSED
	PTEDirty        PTE = 1 << 6  // _PAGE_DIRTY
	PTEHuge         PTE = 1 << 7  // _PAGE_PSE: a 2 MiB or 1 GiB leaf
	PTEGlobal       PTE = 1 << 8  // _PAGE_GLOBAL
	PTENoExec       PTE = 1 << 63 // _PAGE_NX

	pteAddrMask = 0x000ffffffffff000
)

// PTEAnon is a bit the hardware ignores (one of Linux's _PAGE_SOFTW
// bits): set on a user page that is anonymous memory of its own
// (zero-filled, or a private copy), so that /proc can tell RssAnon from
// RssFile and RssShmem, as Linux's PageAnon does.
const PTEAnon PTE = 1 << 9

// Addr returns the physical address the entry points to.
func (p PTE) Addr() uint64 { return uint64(p) & pteAddrMask }

// Present reports whether the entry is valid.
func (p PTE) Present() bool { return p&PTEPresent != 0 }

// Levels: 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT.
const (
	levelPT   = 1
	levelPD   = 2
	levelPDPT = 3
	levelPML4 = 4
)

func shiftOf(level int) uint { return PageShift + 9*uint(level-1) }

func index(va uintptr, level int) int { return int(va>>shiftOf(level)) & 511 }

// PageTable is a 4-level page table, named by its root's physical address.
type PageTable struct{ Root uint64 }

func table(pa uint64) *[512]PTE { return (*[512]PTE)(amd64.Ptr(PhysToVirt(pa))) }

// NewPageTable allocates an empty root.
func NewPageTable() (PageTable, Err) {
	pa, err := AllocZeroedFrame()
	return PageTable{pa}, err
}

// allocTable returns a zeroed frame for a page table that maps va: one of
// a user program's tables is user memory (reserve.go), the kernel half's
// tables are the kernel's.
func allocTable(va uintptr) (uint64, Err) {
	if va < UserTop {
		return AllocUserZeroedFrame()
	}
	return AllocZeroedFrame()
}

// tableFlags are the flags of a non-leaf entry: permissive, so that the leaf
// decides (Linux's _PAGE_TABLE and _KERNPG_TABLE).
func tableFlags(va uintptr) PTE {
	if va < UserTop {
		return PTEPresent | PTEWrite | PTEUser
	}
	return PTEPresent | PTEWrite
}

// walk returns the entry for va at level, allocating missing tables above it
// when create is set. It returns nil if a table is missing (and !create) or a
// larger leaf covers va.
func (pt PageTable) walk(va uintptr, level int, create bool) (*PTE, Err) {
	t := table(pt.Root)
	for l := levelPML4; l > level; l-- {
		e := &t[index(va, l)]
		if !e.Present() {
			if !create {
				return nil, ErrNotFound
			}
			pa, err := allocTable(va)
			if err != OK {
				return nil, err
			}
			*e = PTE(pa) | tableFlags(va)
		} else if *e&PTEHuge != 0 {
			return nil, ErrExists
		}
		t = table(e.Addr())
	}
	return &t[index(va, level)], OK
}

// Map maps the 4 KiB page at va to the frame at pa.
func (pt PageTable) Map(va uintptr, pa uint64, flags PTE) Err {
	e, err := pt.walk(va, levelPT, true)
	if err != OK {
		return err
	}
	if e.Present() {
		return ErrExists
	}
	*e = PTE(pa) | flags | PTEPresent
	return OK
}

// MapLarge maps size bytes (2 MiB or 1 GiB, aligned) at va to pa with one leaf.
func (pt PageTable) MapLarge(va uintptr, pa uint64, size uint64, flags PTE) Err {
	level := levelPD
	if size == GigaSize {
		level = levelPDPT
	} else if size != HugeSize {
		return ErrRange
	}
	if uint64(va)&(size-1) != 0 || pa&(size-1) != 0 {
		return ErrRange
	}
	e, err := pt.walk(va, level, true)
	if err != OK {
		return err
	}
	if e.Present() {
		return ErrExists
	}
	*e = PTE(pa) | flags | PTEPresent | PTEHuge
	return OK
}

// Lookup returns the leaf entry mapping va and the size of its page.
// Every copy to or from user memory walks through it, so the four levels
// are written out (a third of the instructions of the loop over levels).
func (pt PageTable) Lookup(va uintptr) (PTE, uint64, bool) {
	e := table(pt.Root)[va>>39&511]
	if !e.Present() {
		return 0, 0, false
	}
	e = table(e.Addr())[va>>30&511]
	if !e.Present() {
		return 0, 0, false
	}
	if e&PTEHuge != 0 {
		return e, GigaSize, true
	}
	e = table(e.Addr())[va>>21&511]
	if !e.Present() {
		return 0, 0, false
	}
	if e&PTEHuge != 0 {
		return e, HugeSize, true
	}
	e = table(e.Addr())[va>>12&511]
	if !e.Present() {
		return 0, 0, false
	}
	return e, PageSize, true
}

// Translate returns the physical address va maps to.
func (pt PageTable) Translate(va uintptr) (uint64, bool) {
	e, size, ok := pt.Lookup(va)
	if !ok {
		return 0, false
	}
	return e.Addr()&^(size-1) | uint64(va)&(size-1), true
}

// Unmap removes the 4 KiB mapping at va and returns the frame it mapped.
// The caller flushes the TLB and frees the frame.
func (pt PageTable) Unmap(va uintptr) (uint64, bool) {
	e, err := pt.walk(va, levelPT, false)
	if err != OK || !e.Present() {
		return 0, false
	}
	pa := e.Addr()
	*e = 0
	return pa, true
}

// UnmapRange removes every 4 KiB mapping in [start, end), skipping absent
// tables quickly, and calls release with each page it unmapped and the frame
// that backed it. It returns the number of pages unmapped.
func (pt PageTable) UnmapRange(start, end uintptr, release func(va uintptr, pa uint64)) int {
	n := 0
	va := start
	for va < end {
		// Find the lowest level table that exists for va.
		t := table(pt.Root)
		l := levelPML4
		for ; l > levelPT; l-- {
			e := t[index(va, l)]
			if !e.Present() || e&PTEHuge != 0 {
				break
			}
			t = table(e.Addr())
		}
		if l > levelPT {
			// Nothing mapped (or a large leaf, which this does not split)
			// in the rest of this level-l region: skip to its end.
			next := (va | (1<<shiftOf(l) - 1)) + 1
			if next <= va { // wrapped at the top of the address space
				break
			}
			va = next
			continue
		}
		for i := index(va, levelPT); i < 512 && va < end; i++ {
			if e := t[i]; e.Present() {
				t[i] = 0
				n++
				if release != nil {
					release(va, e.Addr())
				}
			}
			va += PageSize
			if va == 0 {
				return n
			}
		}
	}
	return n
}

// SetFlags changes the flags (not the frame) of the 4 KiB mapping at va.
func (pt PageTable) SetFlags(va uintptr, flags PTE) bool {
	e, err := pt.walk(va, levelPT, false)
	if err != OK || !e.Present() {
		return false
	}
	*e = PTE(e.Addr()) | flags | PTEPresent
	return true
}

// Precreate makes sure the PML4 entry covering va points to a PDPT, so that
// mappings made later under it appear in every page table that copies the
// entry.
func (pt PageTable) Precreate(va uintptr) Err {
	e := &table(pt.Root)[index(va, levelPML4)]
	if e.Present() {
		return OK
	}
	pa, err := AllocZeroedFrame()
	if err != OK {
		return err
	}
	*e = PTE(pa) | tableFlags(va)
	return OK
}

// leafTables calls fn with each existing last-level table (512 4 KiB
// entries) that covers part of [start, end) of the lower half, and the
// address its first entry maps. Absent tables are skipped whole, so
// sparse ranges cost little.
func (pt PageTable) leafTables(start, end uintptr, fn func(base uintptr, t *[512]PTE)) {
	leafWalk(table(pt.Root), levelPML4, 0, start, end, fn)
}

func leafWalk(t *[512]PTE, level int, base, start, end uintptr, fn func(uintptr, *[512]PTE)) {
	size := uintptr(1) << shiftOf(level)
	i := 0
	if start > base {
		i = int((start - base) / size)
	}
	for ; i < 512; i++ {
		lo := base + uintptr(i)*size
		if lo >= end || level == levelPML4 && i >= 256 {
			return
		}
		e := t[i]
		if !e.Present() || e&PTEHuge != 0 {
			continue
		}
		if level == levelPD {
			fn(lo, table(e.Addr()))
		} else {
			leafWalk(table(e.Addr()), level-1, lo, start, end, fn)
		}
	}
}

// leafTable returns the last-level table covering va, creating the
// tables above it when create is set.
func (pt PageTable) leafTable(va uintptr, create bool) (*[512]PTE, Err) {
	e, err := pt.walk(va, levelPT, create)
	if err != OK {
		return nil, err
	}
	return (*[512]PTE)(unsafe.Add(unsafe.Pointer(e), -8*index(va, levelPT))), OK
}
