package mm

import (
	"oyako/amd64"
	"oyako/kernel/spin"
	"sync/atomic"
)

// Protections, as mmap(2)'s PROT_ bits.
const (
	ProtRead  = 0x1
	ProtWrite = 0x2
	ProtExec  = 0x4
	protMask  = ProtRead | ProtWrite | ProtExec
)

// MaxKernelVMAs bounds the kernel address space's mappings. The Go runtime
// makes a few dozen; adjacent mappings with equal protection merge.
const MaxKernelVMAs = 512

type kvma struct {
	start, end uintptr
	prot       uint32
}

// KernelSpace is the kernel's own address space as its Go runtime sees it
// through mmap: a region of the upper half where reservations (PROT_NONE)
// and mappings live as VMAs and pages are filled with zeros on first touch.
type KernelSpace struct {
	lock   spin.Lock
	pt     PageTable
	lo, hi uintptr
	// lazyLo and lazyHi bound the kernel image's lazily backed data
	// (linkinfo.Record.LazyStart): read-write pages made on first touch.
	lazyLo, lazyHi uintptr
	vmas           [MaxKernelVMAs]kvma
	n              int
	faults         uint64 // demand-zero pages filled
	// resident counts the frames mapped in the region: all of the
	// kernel runtime's memory (heap, stacks, metadata).
	resident atomic.Uint64
}

// Kernel is the kernel's address space.
var Kernel KernelSpace

// hostTest disables TLB maintenance (privileged) under go test.
var hostTest bool

// Init sets the page table and the region [lo, hi) that Kernel manages.
func (s *KernelSpace) Init(pt PageTable, lo, hi uintptr) {
	s.pt, s.lo, s.hi = pt, lo, hi
}

// SetLazyImage makes [lo, hi), the tail of the kernel image the loader
// left out, demand-zero: read-write, not executable.
func (s *KernelSpace) SetLazyImage(lo, hi uintptr) { s.lazyLo, s.lazyHi = lo, hi }

// PageTable returns the kernel page table.
func (s *KernelSpace) PageTable() PageTable { return s.pt }

// Faults returns how many demand-zero pages have been filled.
func (s *KernelSpace) Faults() uint64 { return s.faults }

func (s *KernelSpace) inRegion(a, length uintptr) bool {
	return a >= s.lo && length <= s.hi-a
}

// Mmap creates an anonymous private mapping of length bytes. With fixed,
// it goes exactly at addr, replacing what was there (or failing with
// ErrExists if noReplace). Otherwise addr is a hint, used if that range is
// free, and the result is the lowest free range in the region.
func (s *KernelSpace) Mmap(addr, length uintptr, prot uint32, fixed, noReplace bool) (uintptr, Err) {
	if length == 0 || prot&^protMask != 0 {
		return 0, ErrRange
	}
	length = uintptr(PageAlignUp(uint64(length)))
	flags := s.lock.Lock()
	defer s.lock.Unlock(flags)
	if fixed {
		if _, err := s.pageRange(addr, length); err != OK {
			return 0, err
		}
		if noReplace && s.overlaps(addr, addr+length) {
			return 0, ErrExists
		}
	} else {
		addr &^= PageSize - 1
		if !s.inRegion(addr, length) || s.overlaps(addr, addr+length) {
			var ok bool
			if addr, ok = s.findFree(length); !ok {
				return 0, ErrNoMemory
			}
		}
	}
	if s.n+2 > MaxKernelVMAs {
		return 0, ErrNoMemory
	}
	s.release(addr, addr+length)
	s.carve(addr, addr+length)
	s.insert(kvma{addr, addr + length, prot})
	return addr, OK
}

// pageRange checks that addr is page aligned and [addr, addr+length) lies
// in the region, and returns length rounded up to whole pages.
func (s *KernelSpace) pageRange(addr, length uintptr) (uintptr, Err) {
	if addr&(PageSize-1) != 0 {
		return 0, ErrRange
	}
	length = uintptr(PageAlignUp(uint64(length)))
	if !s.inRegion(addr, length) {
		return 0, ErrRange
	}
	return length, OK
}

// Munmap removes mappings and frees their pages in [addr, addr+length).
func (s *KernelSpace) Munmap(addr, length uintptr) Err {
	if length == 0 {
		return ErrRange
	}
	length, err := s.pageRange(addr, length)
	if err != OK {
		return err
	}
	flags := s.lock.Lock()
	defer s.lock.Unlock(flags)
	if s.n+1 > MaxKernelVMAs {
		return ErrNoMemory
	}
	s.release(addr, addr+length)
	s.carve(addr, addr+length)
	return OK
}

// Discard frees the pages in [addr, addr+length) but keeps the mappings:
// the next touch reads zeros (madvise MADV_DONTNEED on private anonymous
// memory).
func (s *KernelSpace) Discard(addr, length uintptr) Err {
	length, err := s.pageRange(addr, length)
	if err != OK {
		return err
	}
	flags := s.lock.Lock()
	defer s.lock.Unlock(flags)
	s.release(addr, addr+length)
	return OK
}

// Protect changes the protection of [addr, addr+length), which must be mapped.
func (s *KernelSpace) Protect(addr, length uintptr, prot uint32) Err {
	if prot&^protMask != 0 {
		return ErrRange
	}
	length, err := s.pageRange(addr, length)
	if err != OK {
		return err
	}
	flags := s.lock.Lock()
	defer s.lock.Unlock(flags)
	if !s.covered(addr, addr+length) {
		return ErrNotFound
	}
	if s.n+2 > MaxKernelVMAs {
		return ErrNoMemory
	}
	s.carve(addr, addr+length)
	s.insert(kvma{addr, addr + length, prot})
	pte := protPTE(prot)
	for va := addr; va < addr+length; va += PageSize {
		if prot == 0 {
			if pa, ok := s.pt.Unmap(va); ok {
				s.flush(va)
				FreeFrame(pa)
			}
		} else if s.pt.SetFlags(va, pte) {
			s.flush(va)
		}
	}
	return OK
}

// Fault handles a page fault at va in the kernel address space: if va lies
// in a mapping that permits the access, it maps a zeroed frame there and
// returns true. It returns false for an access the mappings do not allow.
func (s *KernelSpace) Fault(va uintptr, write, exec bool) bool {
	lazy := va >= s.lazyLo && va < s.lazyHi
	if !lazy && (va < s.lo || va >= s.hi) {
		return false
	}
	flags := s.lock.Lock()
	defer s.lock.Unlock(flags)
	prot := uint32(ProtRead | ProtWrite)
	if !lazy {
		v := s.find(va)
		if v == nil {
			return false
		}
		prot = v.prot
	}
	if prot == 0 || (write && prot&ProtWrite == 0) || (exec && prot&ProtExec == 0) {
		return false
	}
	page := va &^ (PageSize - 1)
	if e, _, ok := s.pt.Lookup(page); ok {
		// Already mapped with these permissions: a stale TLB entry.
		if (!write || e&PTEWrite != 0) && (!exec || e&PTENoExec == 0) {
			s.flush(page)
			return true
		}
		return false
	}
	pa, err := AllocZeroedFrame()
	if err != OK {
		return false
	}
	if s.pt.Map(page, pa, protPTE(prot)) != OK {
		FreeFrame(pa)
		return false
	}
	s.faults++
	s.resident.Add(1)
	return true
}

// Populate maps zeroed frames for every page of [addr, addr+length) now.
func (s *KernelSpace) Populate(addr, length uintptr) Err {
	for va := addr &^ (PageSize - 1); va < addr+length; va += PageSize {
		if _, _, ok := s.pt.Lookup(va); ok {
			continue
		}
		if !s.Fault(va, false, false) {
			return ErrNoMemory
		}
	}
	return OK
}

// protPTE returns leaf flags for a protection: kernel-only, global, and
// no-execute unless PROT_EXEC.
func protPTE(prot uint32) PTE { return PTEGlobal | accessPTE(prot) }

// accessPTE returns the write and no-execute bits for a protection.
func accessPTE(prot uint32) PTE {
	var f PTE
	if prot&ProtWrite != 0 {
		f |= PTEWrite
	}
	if prot&ProtExec == 0 {
		f |= PTENoExec
	}
	return f
}

// release unmaps and frees the pages in [start, end).
func (s *KernelSpace) release(start, end uintptr) {
	n := s.pt.UnmapRange(start, end, func(va uintptr, pa uint64) {
		s.flush(va)
		FreeFrame(pa)
	})
	s.resident.Add(^uint64(n - 1))
}

// Resident returns the frames mapped in the kernel runtime's region.
func (s *KernelSpace) Resident() uint64 { return s.resident.Load() }

func (s *KernelSpace) flush(va uintptr) {
	if !hostTest {
		amd64.Invlpg(va)
	}
}

// find returns the VMA containing va.
func (s *KernelSpace) find(va uintptr) *kvma {
	lo, hi := 0, s.n
	for lo < hi {
		m := (lo + hi) / 2
		v := &s.vmas[m]
		switch {
		case va < v.start:
			hi = m
		case va >= v.end:
			lo = m + 1
		default:
			return v
		}
	}
	return nil
}

func (s *KernelSpace) overlaps(start, end uintptr) bool {
	for i := 0; i < s.n; i++ {
		if s.vmas[i].start < end && s.vmas[i].end > start {
			return true
		}
	}
	return false
}

// covered reports whether VMAs cover all of [start, end).
func (s *KernelSpace) covered(start, end uintptr) bool {
	for a := start; a < end; {
		v := s.find(a)
		if v == nil {
			return false
		}
		a = v.end
	}
	return true
}

// findFree returns the lowest address of a free range of length bytes.
func (s *KernelSpace) findFree(length uintptr) (uintptr, bool) {
	cur := s.lo
	for i := 0; i < s.n; i++ {
		v := s.vmas[i]
		if v.start >= cur && v.start-cur >= length {
			return cur, true
		}
		if v.end > cur {
			cur = v.end
		}
	}
	if s.hi-cur >= length {
		return cur, true
	}
	return 0, false
}

// carve removes [start, end) from the VMAs, splitting those it cuts. The
// caller ensures room for one more VMA.
func (s *KernelSpace) carve(start, end uintptr) {
	for i := 0; i < s.n; {
		v := s.vmas[i]
		switch {
		case v.end <= start || v.start >= end:
			i++
		case v.start < start && v.end > end:
			s.vmas[i].end = start
			s.insertAt(i+1, kvma{end, v.end, v.prot})
			i += 2
		case v.start < start:
			s.vmas[i].end = start
			i++
		case v.end > end:
			s.vmas[i].start = end
			i++
		default:
			s.removeAt(i)
		}
	}
}

// insert adds v (which overlaps nothing) in order, merging with equal
// neighbours.
func (s *KernelSpace) insert(v kvma) {
	i := 0
	for i < s.n && s.vmas[i].start < v.start {
		i++
	}
	if i > 0 && s.vmas[i-1].end == v.start && s.vmas[i-1].prot == v.prot {
		s.vmas[i-1].end = v.end
		if i < s.n && s.vmas[i].start == v.end && s.vmas[i].prot == v.prot {
			s.vmas[i-1].end = s.vmas[i].end
			s.removeAt(i)
		}
		return
	}
	if i < s.n && s.vmas[i].start == v.end && s.vmas[i].prot == v.prot {
		s.vmas[i].start = v.start
		return
	}
	s.insertAt(i, v)
}

func (s *KernelSpace) insertAt(i int, v kvma) {
	copy(s.vmas[i+1:s.n+1], s.vmas[i:s.n])
	s.vmas[i] = v
	s.n++
}

func (s *KernelSpace) removeAt(i int) {
	copy(s.vmas[i:s.n-1], s.vmas[i+1:s.n])
	s.n--
}

// VMACount returns the number of mappings, for reports and tests.
func (s *KernelSpace) VMACount() int { return s.n }
