package mm

import (
	"bytes"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
)

// This file is the user half of memory management: a process's address
// space (Linux's struct mm_struct) with its VMAs, mmap semantics, demand
// paging and copy-in/out. Unlike the rest of the package it is ordinary Go:
// it runs in task goroutines, takes a sync.Mutex, allocates, and returns
// linuxerr errors.

// mmap(2) flags the address space understands.
const (
	MapShared         = 0x01
	MapPrivate        = 0x02
	MapFixed          = 0x10
	MapAnonymous      = 0x20
	MapGrowsDown      = 0x100
	MapNoreserve      = 0x4000
	MapStack          = 0x20000
	MapFixedNoreplace = 0x100000
)

// User address space layout, without randomization: what Linux gives a
// program under `setarch -R` (personality ADDR_NO_RANDOMIZE), so that
// transcripts are reproducible.
const (
	// StackTop is the top of the main thread's stack (STACK_TOP).
	StackTop = 0x7ffffffff000
	// MmapBase is where top-down mmap allocation starts.
	MmapBase = 0x7ffff7fff000
	// ETDynBase is where a position-independent program with an
	// interpreter is loaded: ELF_ET_DYN_BASE (two thirds of the
	// address space), page-aligned down as load_elf_binary does.
	ETDynBase = 0x555555554000
	// LoaderBrk is where the heap of an ET_DYN program without an
	// interpreter starts (static-PIE, or ld.so run as a command), whose
	// image goes top-down like an mmap: ELF_ET_DYN_BASE page-aligned up.
	LoaderBrk = 0x555555555000
	// mmapMin is vm.mmap_min_addr.
	mmapMin = 0x10000
)

// VMA is a virtual memory area (struct vm_area_struct).
type VMA struct {
	Start, End uintptr
	Prot       uint32 // ProtRead|ProtWrite|ProtExec
	Flags      uint32 // MapShared or MapPrivate, MapAnonymous, MapGrowsDown
	// Obj holds the pages of a file mapping or a shared anonymous one;
	// nil for private anonymous memory. Off is the object offset of Start.
	Obj Object
	Off int64
	// Name is what /proc/PID/maps shows: a path, [heap], [stack], [vdso].
	Name string
	// Special marks mappings the kernel owns (vDSO): not unmappable.
	Special bool
	// NoWrite marks a shared mapping of a file opened read-only: it can
	// never become writable (Linux's VMA without VM_MAYWRITE).
	NoWrite bool
	// Account marks a private mapping that has been writable (Linux's
	// VM_ACCOUNT, which mmap and mprotect set and nothing clears), and
	// Noreserve one made with MAP_NORESERVE, which is never accounted.
	// Like every VMA flag they keep mappings from merging: a library's
	// RELRO part, made read-only after relocation, stays apart from the
	// read-only data next to it, as /proc/PID/maps shows on Linux.
	Account, Noreserve bool
}

// AddressSpace is a process's memory.
type AddressSpace struct {
	mu       sync.Mutex
	pt       PageTable
	vmas     []*VMA
	brkStart uintptr
	brk      uintptr
	id       uint64
	refs     atomic.Int32
	// Faults counts pages filled on demand; CowCopies the pages a write
	// after fork had to copy.
	Faults    atomic.Uint64
	CowCopies atomic.Uint64

	// Under mu: the pages present in the page table (mm_struct's
	// rss_stat, summed), the most there ever were (hiwater_rss), the
	// most address space ever mapped, in pages (hiwater_vm), and where
	// exec put the program.
	rss, hiwaterRSS, hiwaterVM uint64
	layout                     Layout
}

var asIDs atomic.Uint64

// NewAddressSpace creates an empty address space whose page table shares
// the kernel half and the MMIO window with the kernel's page table.
func NewAddressSpace() (*AddressSpace, error) {
	root, err := AllocUserZeroedFrame() // a process's table: user memory
	if err != OK {
		return nil, linuxerr.ENOMEM
	}
	pt := PageTable{root}
	k := table(Kernel.pt.Root)
	u := table(pt.Root)
	copy(u[256:], k[256:])
	if err := shareMMIO(pt); err != OK {
		FreeFrame(pt.Root)
		return nil, linuxerr.ENOMEM
	}
	as := &AddressSpace{pt: pt, id: asIDs.Add(1)}
	as.refs.Store(1)
	return as, nil
}

// shareMMIO points pt's page directory entries for the MMIO window at the
// kernel's page tables, so interrupt handlers reach the APICs whatever
// address space is loaded.
func shareMMIO(pt PageTable) Err {
	for va := uintptr(MMIOBase); va < MMIOBase+MMIOSize; va += HugeSize {
		ke, err := Kernel.pt.walk(va, levelPD, false)
		if err != OK || !ke.Present() {
			continue
		}
		ue, err := pt.walk(va, levelPD, true)
		if err != OK {
			return err
		}
		*ue = *ke
	}
	return OK
}

// ID identifies the address space (futex keys).
func (as *AddressSpace) ID() uint64 { return as.id }

// Root returns the page table root (for CR3).
func (as *AddressSpace) Root() uint64 { return as.pt.Root }

// IncRef takes a reference (a thread or a CLONE_VM process sharing the
// address space).
func (as *AddressSpace) IncRef() { as.refs.Add(1) }

// TryIncRef takes a reference unless the last one is already gone (for
// kernel threads that act on a process's memory without pinning it: an
// io_uring worker of a process that exited).
func (as *AddressSpace) TryIncRef() bool {
	for {
		n := as.refs.Load()
		if n <= 0 {
			return false
		}
		if as.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// DecRef drops a reference; the last one frees every page and page table.
// beforeFree runs first, to make sure no CPU still uses the page table.
func (as *AddressSpace) DecRef(beforeFree func(root uint64)) {
	if as.refs.Add(-1) != 0 {
		return
	}
	if beforeFree != nil {
		beforeFree(as.pt.Root)
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	as.unmapUser(0, UserTop, func(_ uintptr, pa uint64) { PutFrame(pa) })
	freeTables(as.pt.Root, levelPML4, 0)
	for _, v := range as.vmas {
		v.drop(as)
	}
	as.vmas = nil
}

// Fork returns a copy of the address space for a child process (fork(2),
// Linux's dup_mmap and copy_page_range): the child gets the same
// mappings; pages of shared mappings are shared, and private pages are
// shared too but made read-only in both, so that the first write on
// either side copies the page (copy-on-write). Nothing but page tables
// is copied now.
func (as *AddressSpace) Fork() (*AddressSpace, error) {
	child, err := NewAddressSpace()
	if err != nil {
		return nil, err
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	child.brkStart, child.brk = as.brkStart, as.brk
	// dup_mm copies the whole mm_struct: the high-water marks and the
	// layout come along; the resident count is what is copied below.
	child.hiwaterRSS, child.hiwaterVM, child.layout = as.hiwaterRSS, as.hiwaterVM, as.layout
	var failed bool
	for _, v := range as.vmas {
		child.vmas = append(child.vmas, v.clone(child))
		private := v.Flags&MapShared == 0
		as.pt.leafTables(v.Start, v.End, func(base uintptr, t *[512]PTE) {
			var ct *[512]PTE
			for i := range t {
				va := base + uintptr(i)*PageSize
				if failed || va < v.Start || va >= v.End || !t[i].Present() {
					continue
				}
				if ct == nil {
					var err Err
					if ct, err = child.pt.leafTable(va, true); err != OK {
						failed = true
						return
					}
				}
				e := t[i]
				GetFrame(e.Addr())
				if private && e&PTEWrite != 0 {
					e &^= PTEWrite
					t[i] = e
				}
				ct[i] = e
				child.rss++
			}
		})
	}
	// The parent's pages lost write access: forget cached translations.
	as.flushTLB()
	if failed {
		child.DecRef(nil)
		return nil, linuxerr.ENOMEM
	}
	return child, nil
}

// freeTables frees the page-table pages of the lower half under the table
// at pa (which covers va at level), except the kernel's shared MMIO tables.
func freeTables(pa uint64, level int, va uintptr) {
	userTables(pa, level, va, freeTables)
	FreeFrame(pa)
}

// userTables calls fn with each page-table page directly under the
// table at pa (which covers va at level) in the lower half, except the
// kernel's shared MMIO tables, with the level and address it covers.
func userTables(pa uint64, level int, va uintptr, fn func(pa uint64, level int, va uintptr)) {
	if level == levelPT {
		return
	}
	t := table(pa)
	n := 512
	if level == levelPML4 {
		n = 256
	}
	for i := 0; i < n; i++ {
		e := t[i]
		if !e.Present() || e&PTEHuge != 0 {
			continue
		}
		sub := va + uintptr(i)<<shiftOf(level)
		if level == levelPD && sub >= MMIOBase && sub < MMIOBase+MMIOSize {
			continue // shared with the kernel page table
		}
		fn(e.Addr(), level-1, sub)
	}
}

// VMAs returns a copy of the mappings, in address order.
func (as *AddressSpace) VMAs() []VMA {
	as.mu.Lock()
	defer as.mu.Unlock()
	out := make([]VMA, len(as.vmas))
	for i, v := range as.vmas {
		out[i] = *v
	}
	return out
}

func (as *AddressSpace) find(va uintptr) *VMA {
	i := sort.Search(len(as.vmas), func(i int) bool { return as.vmas[i].End > va })
	if i < len(as.vmas) && as.vmas[i].Start <= va {
		return as.vmas[i]
	}
	return nil
}

func (as *AddressSpace) overlaps(start, end uintptr) bool {
	if start < MMIOBase+MMIOSize && end > MMIOBase {
		return true
	}
	i := sort.Search(len(as.vmas), func(i int) bool { return as.vmas[i].End > start })
	return i < len(as.vmas) && as.vmas[i].Start < end
}

// covered reports whether mappings cover all of [start, end).
func (as *AddressSpace) covered(start, end uintptr) bool {
	for a := start; a < end; {
		v := as.find(a)
		if v == nil {
			return false
		}
		a = v.End
	}
	return true
}

// Covered reports whether mappings cover all of [addr, addr+length), the
// length rounded up to whole pages.
func (as *AddressSpace) Covered(addr, length uintptr) bool {
	end := addr + uintptr(PageAlignUp(uint64(length)))
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.covered(addr, end)
}

// special reports whether a kernel-owned (Special) mapping overlaps
// [start, end).
func (as *AddressSpace) special(start, end uintptr) bool {
	for _, v := range as.vmas {
		if v.Special && v.Start < end && v.End > start {
			return true
		}
	}
	return false
}

// findFree returns the highest free range of length below top (Linux's
// top-down unmapped-area search).
func (as *AddressSpace) findFree(length, top uintptr) (uintptr, bool) {
	end := top
	for i := len(as.vmas) - 1; i >= -1; i-- {
		lo := uintptr(mmapMin)
		if i >= 0 {
			lo = as.vmas[i].End
		}
		if lo >= end {
			if i >= 0 && as.vmas[i].Start < end {
				end = as.vmas[i].Start
			}
			continue
		}
		if end-lo >= length {
			a := end - length
			if !as.overlaps(a, end) {
				return a, true
			}
			// The MMIO window is in the way: continue below it.
			if MMIOBase >= lo+length && MMIOBase < end {
				return MMIOBase - length, true
			}
		}
		if i >= 0 {
			end = as.vmas[i].Start
		}
	}
	return 0, false
}

// clone returns a copy of v, for address space as, that holds its own
// reference to v's object.
func (v *VMA) clone(as *AddressSpace) *VMA {
	c := *v
	c.hold(as)
	return &c
}

// hold takes v's reference to its object for address space as.
func (v *VMA) hold(as *AddressSpace) {
	if v.Obj != nil {
		v.Obj.IncMapRef()
		trackMapping(v.Obj, as, 1)
	}
}

// drop releases v's reference to its object, in address space as.
func (v *VMA) drop(as *AddressSpace) {
	if v.Obj != nil {
		trackMapping(v.Obj, as, -1)
		v.Obj.DecMapRef()
	}
}

// carve removes [start, end) from the VMAs, splitting partial overlaps.
// It touches only the VMAs in the range (found by binary search), so its
// cost does not grow with the mappings elsewhere.
func (as *AddressSpace) carve(start, end uintptr) {
	lo := sort.Search(len(as.vmas), func(i int) bool { return as.vmas[i].End > start })
	hi := lo
	for hi < len(as.vmas) && as.vmas[hi].Start < end {
		hi++
	}
	if lo == hi {
		return
	}
	var keep [2]*VMA // the pieces outside [start, end): at most two
	n := 0
	for _, v := range as.vmas[lo:hi] {
		if v.Start < start {
			l := v.clone(as)
			l.End = start
			keep[n] = l
			n++
		}
		if v.End > end {
			r := v.clone(as)
			r.Off += int64(end - v.Start)
			r.Start = end
			keep[n] = r
			n++
		}
		v.drop(as)
	}
	tail := len(as.vmas) - hi
	if grow := n - (hi - lo); grow > 0 {
		as.vmas = append(as.vmas, make([]*VMA, grow)...)
	}
	copy(as.vmas[lo+n:], as.vmas[hi:hi+tail])
	copy(as.vmas[lo:], keep[:n])
	newLen := lo + n + tail
	clear(as.vmas[newLen:])
	as.vmas = as.vmas[:newLen]
}

// splits reports whether removing or changing [start, end) would split a
// mapping (a VMA crossing either end), which adds one.
func (as *AddressSpace) splits(start, end uintptr) bool {
	if v := as.find(start); v != nil && v.Start < start {
		return true
	}
	v := as.find(end - 1)
	return v != nil && v.End > end
}

// MaxMapCount is vm.max_map_count: the most mappings a process may have
// (DEFAULT_MAX_MAP_COUNT). mmap refuses a new one beyond it, and munmap
// and mprotect a split, with ENOMEM (do_mmap, __split_vma).
var MaxMapCount atomic.Int32

func init() { MaxMapCount.Store(65530) }

// mapCountFull reports whether the address space may not add a mapping.
func (as *AddressSpace) mapCountFull() bool {
	return len(as.vmas) >= int(MaxMapCount.Load())
}

// insert adds v, which overlaps nothing and whose object reference the
// address space takes over.
func (as *AddressSpace) insert(v *VMA) {
	i := sort.Search(len(as.vmas), func(i int) bool { return as.vmas[i].Start >= v.Start })
	as.vmas = append(as.vmas, nil)
	copy(as.vmas[i+1:], as.vmas[i:])
	as.vmas[i] = v
	as.merge(i)
}

// account sets Account for a private writable mapping made without
// MAP_NORESERVE (accountable_mapping).
func (v *VMA) account() {
	if v.Flags&MapShared == 0 && v.Prot&ProtWrite != 0 && !v.Noreserve {
		v.Account = true
	}
}

// merge joins the VMA at i with equal, contiguous neighbours.
func (as *AddressSpace) merge(i int) {
	mergeable := func(a, b *VMA) bool {
		return a.End == b.Start && a.Prot == b.Prot && a.Flags == b.Flags && a.Name == b.Name && !a.Special && !b.Special && a.NoWrite == b.NoWrite &&
			a.Account == b.Account && a.Noreserve == b.Noreserve &&
			a.Obj == b.Obj && (a.Obj == nil || a.Off+int64(a.End-a.Start) == b.Off)
	}
	if i+1 < len(as.vmas) && mergeable(as.vmas[i], as.vmas[i+1]) {
		as.vmas[i].End = as.vmas[i+1].End
		as.vmas[i+1].drop(as)
		as.vmas = append(as.vmas[:i+1], as.vmas[i+2:]...)
	}
	if i > 0 && mergeable(as.vmas[i-1], as.vmas[i]) {
		as.vmas[i-1].End = as.vmas[i].End
		as.vmas[i].drop(as)
		as.vmas = append(as.vmas[:i], as.vmas[i+1:]...)
	}
}

// release unmaps [start, end) and puts the frames that backed it.
func (as *AddressSpace) release(start, end uintptr) {
	n := as.unmapUser(start, end, func(va uintptr, pa uint64) {
		invlpg(va)
		PutFrame(pa)
	})
	as.rss -= uint64(n)
}

// unmapUser unmaps the pages of [start, end) with the page table's
// UnmapRange, except those of the MMIO window, whose page tables are the
// kernel's (shareMMIO): a munmap(2) across the window must leave the
// kernel's device registers mapped and never free their frames.
func (as *AddressSpace) unmapUser(start, end uintptr, release func(va uintptr, pa uint64)) int {
	const lo, hi = MMIOBase, MMIOBase + MMIOSize
	if start >= hi || end <= lo {
		return as.pt.UnmapRange(start, end, release)
	}
	n := 0
	if start < lo {
		n += as.pt.UnmapRange(start, lo, release)
	}
	if end > hi {
		n += as.pt.UnmapRange(hi, end, release)
	}
	return n
}

// flushTLB makes every CPU forget the address space's translations after
// a change that narrowed access to many pages (fork's write protection).
// It is the one place a TLB shootdown will hook into once there are
// several CPUs; with one CPU, only a loaded page table can have entries
// (a CR3 switch flushes the rest).
func (as *AddressSpace) flushTLB() {
	if FlushTLB != nil {
		FlushTLB(as.pt.Root)
	}
}

// FlushTLB flushes the TLB entries of page table root wherever it is
// loaded (set by the kernel, which knows the CPUs; nil in host tests).
var FlushTLB func(root uint64)

// pinned are frames the kernel maps into every process (the vDSO and its
// vvar page): unmapping them from one process must not free them.
var (
	pinned  [16]uint64
	nPinned int
)

// PinFrame marks pa as shared by every process. Called at boot only.
func PinFrame(pa uint64) {
	if nPinned == len(pinned) {
		panic("mm: too many pinned frames")
	}
	pinned[nPinned] = pa
	nPinned++
}

func isPinned(pa uint64) bool {
	for _, p := range pinned[:nPinned] {
		if p == pa {
			return true
		}
	}
	return false
}

// SpecialMapping is one part of a kernel-provided mapping, such as the
// vDSO's [vvar] and [vdso]: pinned frames shared by every process.
type SpecialMapping struct {
	Name   string
	Prot   uint32
	Frames []uint64
}

// MapSpecial maps parts back to back at the highest free address below
// MmapBase (where Linux's top-down search would put them) and returns the
// address of the first. The pages are mapped at once; the VMAs are Special
// (not movable, not writable, not merged with others).
func (as *AddressSpace) MapSpecial(parts []SpecialMapping) (uintptr, error) {
	var length uintptr
	for _, p := range parts {
		length += uintptr(len(p.Frames)) * PageSize
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	addr, ok := as.findFree(length, MmapBase)
	if !ok {
		return 0, linuxerr.ENOMEM
	}
	va := addr
	for _, p := range parts {
		start := va
		for _, pa := range p.Frames {
			if err := as.pt.Map(va, pa, userPTE(p.Prot)); err != OK {
				as.release(addr, va)
				as.carve(addr, start)
				return 0, linuxerr.ENOMEM
			}
			as.addRSS(1)
			va += PageSize
		}
		as.insert(&VMA{Start: start, End: va, Prot: p.Prot, Flags: MapPrivate, Name: p.Name, Special: true})
	}
	as.noteVM()
	return addr, nil
}

func invlpg(va uintptr) {
	if !hostTest {
		amd64.Invlpg(va)
	}
}

// MapParams describes an mmap request.
type MapParams struct {
	Addr, Length uintptr
	Prot         uint32
	Flags        uint32
	// Obj is the mapped object (a file's pages), nil for anonymous
	// memory; Off is the offset in it. A shared anonymous mapping gets a
	// new Shmem object.
	Obj     Object
	Off     int64
	Name    string
	Special bool
	NoWrite bool
}

// Map implements mmap(2)'s address-space part: it validates, picks the
// address (MAP_FIXED, a free hint, or top-down below MmapBase), replaces
// what MAP_FIXED overlaps, and records the VMA. Pages come on first touch.
// The mapping takes its own reference to p.Obj.
func (as *AddressSpace) Map(p MapParams) (uintptr, error) {
	if p.Length == 0 || p.Prot&^protMask != 0 {
		return 0, linuxerr.EINVAL
	}
	length := uintptr(PageAlignUp(uint64(p.Length)))
	if length == 0 || length > UserTop {
		return 0, linuxerr.ENOMEM
	}
	if p.Flags&(MapShared|MapPrivate) == 0 || p.Flags&(MapShared|MapPrivate) == MapShared|MapPrivate {
		return 0, linuxerr.EINVAL
	}
	if p.Off&(PageSize-1) != 0 {
		return 0, linuxerr.EINVAL
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	addr := p.Addr
	fixed := p.Flags&(MapFixed|MapFixedNoreplace) != 0
	if fixed {
		if addr&(PageSize-1) != 0 {
			return 0, linuxerr.EINVAL
		}
		if addr < mmapMin || addr > UserTop-length {
			return 0, linuxerr.ENOMEM
		}
		if addr < MMIOBase+MMIOSize && addr+length > MMIOBase {
			return 0, linuxerr.ENOMEM // reserved for the kernel (see mm.MMIOBase)
		}
		if p.Flags&MapFixedNoreplace != 0 && as.overlaps(addr, addr+length) {
			return 0, linuxerr.EEXIST
		}
		if as.special(addr, addr+length) {
			return 0, linuxerr.ENOMEM
		}
	} else {
		addr &^= PageSize - 1
		if addr < mmapMin || addr > UserTop-length || as.overlaps(addr, addr+length) {
			var ok bool
			if addr, ok = as.findFree(length, MmapBase); !ok {
				return 0, linuxerr.ENOMEM
			}
		}
	}
	if len(as.vmas) > int(MaxMapCount.Load()) {
		return 0, linuxerr.ENOMEM // do_mmap: map_count > sysctl_max_map_count
	}
	as.release(addr, addr+length)
	as.carve(addr, addr+length)
	flags := p.Flags & (MapShared | MapPrivate | MapAnonymous | MapGrowsDown)
	obj, name := p.Obj, p.Name
	if obj == nil && flags&MapShared != 0 {
		// shmem_zero_setup: a shared anonymous mapping is a mapping of an
		// unnamed shmem file, which /proc/PID/maps shows as such.
		obj, name = NewShmem(int64(length)), "/dev/zero (deleted)"
	}
	v := &VMA{Start: addr, End: addr + length, Prot: p.Prot, Flags: flags, Obj: obj, Off: p.Off, Name: name, Special: p.Special, NoWrite: p.NoWrite, Noreserve: p.Flags&MapNoreserve != 0}
	v.account()
	v.hold(as)
	as.insert(v)
	as.noteVM()
	return addr, nil
}

// Unmap implements munmap(2).
func (as *AddressSpace) Unmap(addr, length uintptr) error {
	if addr&(PageSize-1) != 0 || length == 0 {
		return linuxerr.EINVAL
	}
	length = uintptr(PageAlignUp(uint64(length)))
	if addr >= UserTop || length > UserTop-addr {
		return linuxerr.EINVAL
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.special(addr, addr+length) {
		return linuxerr.EINVAL
	}
	if as.mapCountFull() && as.splits(addr, addr+length) {
		return linuxerr.ENOMEM // __split_vma at the limit
	}
	as.release(addr, addr+length)
	as.carve(addr, addr+length)
	return nil
}

// Protect implements mprotect(2).
func (as *AddressSpace) Protect(addr, length uintptr, prot uint32) error {
	if addr&(PageSize-1) != 0 || prot&^protMask != 0 {
		return linuxerr.EINVAL
	}
	length = uintptr(PageAlignUp(uint64(length)))
	if addr+length < addr || addr+length > UserTop {
		return linuxerr.ENOMEM
	}
	if length == 0 {
		return nil
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	// In address order, as do_mprotect_pkey: a hole is ENOMEM, a
	// kernel-owned mapping asked to be writable EACCES.
	for a := addr; a < addr+length; {
		v := as.find(a)
		if v == nil {
			return linuxerr.ENOMEM
		}
		if (v.Special || v.NoWrite) && prot&ProtWrite != 0 {
			// The kernel's pages are never writable, nor is a shared
			// mapping of a file opened without write access.
			return linuxerr.EACCES
		}
		a = v.End
	}
	if as.mapCountFull() && as.splits(addr, addr+length) {
		return linuxerr.ENOMEM // __split_vma at the limit
	}
	var pieces []*VMA
	for _, v := range as.vmas {
		if v.Start < addr+length && v.End > addr {
			n := v.clone(as)
			if n.Start < addr {
				n.Off += int64(addr - n.Start)
				n.Start = addr
			}
			if n.End > addr+length {
				n.End = addr + length
			}
			n.Prot = prot
			n.account()
			pieces = append(pieces, n)
		}
	}
	as.carve(addr, addr+length)
	for _, n := range pieces {
		as.insert(n)
	}
	// Pages keep their frames whatever the protection: PROT_NONE pages
	// stay mapped, supervisor-only, so that their contents survive until
	// the program makes them accessible again (Linux's PAGE_NONE). A
	// private page that another process or a file still shares stays
	// read-only: the first write copies it.
	for _, n := range pieces {
		private := n.Flags&MapShared == 0
		as.pt.leafTables(n.Start, n.End, func(base uintptr, t *[512]PTE) {
			for i := range t {
				va := base + uintptr(i)*PageSize
				if va < n.Start || va >= n.End || !t[i].Present() {
					continue
				}
				e := PTE(t[i].Addr()) | userPTE(prot) | PTEPresent | t[i]&PTEAnon
				if private && e&PTEWrite != 0 && FrameShared(t[i].Addr()) {
					e &^= PTEWrite
				}
				if e != t[i] {
					t[i] = e
					invlpg(va)
				}
			}
		})
	}
	return nil
}

// userPTE returns leaf flags for a user page with protection prot. A
// PROT_NONE page is present but supervisor-only, so user accesses fault.
func userPTE(prot uint32) PTE {
	if prot == 0 {
		return PTENoExec
	}
	return PTEUser | accessPTE(prot)
}

// SetBrk sets where the heap starts (after the program's bss).
func (as *AddressSpace) SetBrk(start uintptr) {
	as.mu.Lock()
	as.brkStart, as.brk = start, start
	as.mu.Unlock()
}

// Brk implements brk(2): it moves the program break to addr if it can and
// returns the break (unchanged on failure, as Linux does).
func (as *AddressSpace) Brk(addr uintptr) uintptr {
	as.mu.Lock()
	defer as.mu.Unlock()
	if addr < as.brkStart || addr >= UserTop {
		return as.brk
	}
	oldEnd := uintptr(PageAlignUp(uint64(as.brk)))
	newEnd := uintptr(PageAlignUp(uint64(addr)))
	switch {
	case newEnd > oldEnd:
		if as.overlaps(oldEnd, newEnd) {
			return as.brk
		}
		as.insert(&VMA{Start: oldEnd, End: newEnd, Prot: ProtRead | ProtWrite, Flags: MapPrivate | MapAnonymous, Name: "[heap]", Account: true})
		as.noteVM()
	case newEnd < oldEnd:
		as.release(newEnd, oldEnd)
		as.carve(newEnd, oldEnd)
	}
	as.brk = addr
	return as.brk
}

// mremap(2) flags.
const (
	MremapMaymove = 1
	MremapFixed   = 2
)

// Remap implements mremap(2) for private mappings: shrinking unmaps the
// tail, growing extends in place when the space is free, or moves the
// pages (their frames, not copies) with MREMAP_MAYMOVE.
func (as *AddressSpace) Remap(old, oldLen, newLen uintptr, flags uint32, newAddr uintptr) (uintptr, error) {
	if old&(PageSize-1) != 0 || flags&^(MremapMaymove|MremapFixed) != 0 || flags == MremapFixed {
		return 0, linuxerr.EINVAL
	}
	oldLen = uintptr(PageAlignUp(uint64(oldLen)))
	newLen = uintptr(PageAlignUp(uint64(newLen)))
	if newLen == 0 {
		return 0, linuxerr.EINVAL
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	v := as.find(old)
	if v == nil || old+oldLen > v.End || oldLen == 0 && v.Flags&MapShared == 0 {
		return 0, linuxerr.EFAULT
	}
	if v.Special {
		return 0, linuxerr.EINVAL
	}
	if flags&MremapFixed == 0 {
		if newLen <= oldLen {
			as.release(old+newLen, old+oldLen)
			as.carve(old+newLen, old+oldLen)
			return old, nil
		}
		if old+oldLen == v.End && !as.overlaps(v.End, old+newLen) && old+newLen <= UserTop {
			v.End = old + newLen
			as.noteVM()
			return old, nil
		}
		if flags&MremapMaymove == 0 {
			return 0, linuxerr.ENOMEM
		}
	}
	dst := newAddr
	if flags&MremapFixed != 0 {
		if dst&(PageSize-1) != 0 || dst < mmapMin || dst > UserTop-newLen || dst < old+oldLen && dst+newLen > old {
			return 0, linuxerr.EINVAL
		}
		if dst < MMIOBase+MMIOSize && dst+newLen > MMIOBase {
			// Reserved for the kernel, as for mmap(MAP_FIXED): the
			// get_unmapped_area of mremap_to fails.
			return 0, linuxerr.ENOMEM
		}
		as.release(dst, dst+newLen)
		as.carve(dst, dst+newLen)
	} else {
		var ok bool
		if dst, ok = as.findFree(newLen, MmapBase); !ok {
			return 0, linuxerr.ENOMEM
		}
	}
	moved := v.clone(as)
	moved.Off += int64(old - v.Start)
	moved.Start, moved.End = dst, dst+newLen
	// Move the frames of the pages that exist.
	n := oldLen
	if newLen < n {
		n = newLen
	}
	for off := uintptr(0); off < n; off += PageSize {
		e, _, ok := as.pt.Lookup(old + off)
		if !ok {
			continue
		}
		as.pt.Unmap(old + off)
		invlpg(old + off)
		if err := as.pt.Map(dst+off, e.Addr(), e&^PTE(pteAddrMask)&^PTEPresent); err != OK {
			PutFrame(e.Addr())
			as.rss--
		}
	}
	as.release(old, old+oldLen)
	as.carve(old, old+oldLen)
	as.insert(moved)
	as.noteVM()
	return dst, nil
}

// ErrBeyondObject is Fault's error for an access to a page of a file (or
// shared memory) mapping that lies past the end of the object: Linux
// raises SIGBUS (BUS_ADRERR) for it rather than SIGSEGV (filemap_fault's
// VM_FAULT_SIGBUS).
var ErrBeyondObject = errors.New("access beyond the end of the mapped object")

// Fault handles a page fault at va: it maps a page if the VMA allows the
// access. It returns EFAULT where nothing is mapped, EACCES for an access
// the mapping's protection forbids (SEGV_MAPERR and SEGV_ACCERR, as
// do_user_addr_fault tells bad_area from bad_area_access_error), and
// ErrBeyondObject for a page past the end of a mapped file.
func (as *AddressSpace) Fault(va uintptr, write, exec bool) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.faultLocked(va, write, exec)
}

func (as *AddressSpace) faultLocked(va uintptr, write, exec bool) error {
	v := as.find(va)
	if v == nil {
		return linuxerr.EFAULT
	}
	if v.Prot == 0 || write && v.Prot&ProtWrite == 0 || exec && v.Prot&ProtExec == 0 || !write && !exec && v.Prot&ProtRead == 0 {
		return linuxerr.EACCES
	}
	page := va &^ (PageSize - 1)
	t, err := as.pt.leafTable(page, true)
	if err != OK {
		return linuxerr.ENOMEM
	}
	e := &t[index(page, levelPT)]
	private := v.Flags&MapShared == 0
	if e.Present() {
		if !write || *e&PTEWrite != 0 || !private {
			// A stale TLB entry (or a shared page mprotect made
			// writable, which has its frame already).
			if write && !private {
				*e |= PTEWrite
			}
			invlpg(page)
			return nil
		}
		// Copy-on-write (do_wp_page): a page no one else holds any more
		// becomes writable in place; a shared one is copied.
		pa := e.Addr()
		if FrameShared(pa) {
			npa, err := AllocUserFrame()
			if err != OK {
				return linuxerr.ENOMEM
			}
			copy(frameBytes(npa), frameBytes(pa))
			PutFrame(pa)
			pa = npa
			as.CowCopies.Add(1)
		}
		// Either way the page is now the process's own (do_wp_page
		// leaves an anonymous page behind).
		*e = PTE(pa) | userPTE(v.Prot) | PTEPresent | PTEAnon
		invlpg(page)
		return nil
	}
	var pa uint64
	pte := userPTE(v.Prot)
	if v.Obj != nil {
		opa, err := v.Obj.ObjectPage((v.Off + int64(page-v.Start)) / PageSize)
		if err != nil {
			if linuxerr.Equals(linuxerr.EFAULT, err) {
				return ErrBeyondObject
			}
			return err
		}
		pa = opa
		if private {
			if write {
				// Write to a private file page: copy it at once.
				npa, err := AllocUserFrame()
				if err != OK {
					PutFrame(opa)
					return linuxerr.ENOMEM
				}
				copy(frameBytes(npa), frameBytes(opa))
				PutFrame(opa)
				pa = npa
				pte |= PTEAnon
			} else {
				pte &^= PTEWrite // the file's page, read-only until written
			}
		}
	} else {
		npa, err := AllocUserZeroedFrame()
		if err != OK {
			return linuxerr.ENOMEM
		}
		pa = npa
		pte |= PTEAnon
	}
	*e = PTE(pa) | pte | PTEPresent
	as.addRSS(1)
	as.Faults.Add(1)
	return nil
}

// Populate faults in every page of [addr, addr+length) (MAP_POPULATE):
// for writing where the mapping is private and writable, so that the
// pages are the process's own (populate_vma_page_range's FOLL_WRITE).
func (as *AddressSpace) Populate(addr, length uintptr) {
	as.mu.Lock()
	defer as.mu.Unlock()
	for va := addr &^ (PageSize - 1); va < addr+length; va += PageSize {
		v := as.find(va)
		if v == nil {
			continue
		}
		as.faultLocked(va, v.Flags&MapShared == 0 && v.Prot&ProtWrite != 0, false)
	}
}

// Discard implements madvise(MADV_DONTNEED): the pages are freed, the
// mapping stays, and private anonymous memory reads zeros afterwards.
func (as *AddressSpace) Discard(addr, length uintptr) error {
	if addr&(PageSize-1) != 0 {
		return linuxerr.EINVAL
	}
	length = uintptr(PageAlignUp(uint64(length)))
	as.mu.Lock()
	defer as.mu.Unlock()
	if !as.covered(addr, addr+length) {
		return linuxerr.ENOMEM
	}
	as.release(addr, addr+length)
	return nil
}

// translate returns the physical address of va for an access, faulting
// the page in if the mapping allows. The caller holds as.mu.
func (as *AddressSpace) translate(va uintptr, write bool) (uint64, error) {
	if va >= UserTop {
		return 0, linuxerr.EFAULT
	}
	for try := 0; try < 2; try++ {
		if e, size, ok := as.pt.Lookup(va); ok && e&PTEUser != 0 && (!write || e&PTEWrite != 0) {
			return e.Addr()&^(size-1) | uint64(va)&(size-1), nil
		}
		if err := as.faultLocked(va, write, false); err != nil {
			if err == ErrBeyondObject || linuxerr.Equals(linuxerr.EACCES, err) {
				err = linuxerr.EFAULT // a system call's access: EFAULT, not a signal
			}
			return 0, err
		}
	}
	return 0, linuxerr.EFAULT
}

// copyPages runs fn on each piece of [addr, addr+n) that lies within one
// page, with the kernel address of that piece.
func (as *AddressSpace) copyPages(addr uintptr, n int, write bool, fn func(k uintptr, off, len int)) error {
	if n == 0 {
		return nil
	}
	if addr >= UserTop || uintptr(n) > UserTop-addr {
		return linuxerr.EFAULT
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	for off := 0; off < n; {
		va := addr + uintptr(off)
		chunk := int(PageSize - va&(PageSize-1))
		if chunk > n-off {
			chunk = n - off
		}
		pa, err := as.translate(va, write)
		if err != nil {
			return err
		}
		fn(PhysToVirt(pa), off, chunk)
		off += chunk
	}
	return nil
}

// CopyIn copies len(dst) bytes from user address addr (copy_from_user):
// through the page table and the direct map, never by dereferencing a user
// pointer, faulting pages in as a user access would, EFAULT otherwise.
func (as *AddressSpace) CopyIn(addr uintptr, dst []byte) error {
	return as.copyPages(addr, len(dst), false, func(k uintptr, off, n int) {
		copy(dst[off:off+n], unsafe.Slice((*byte)(amd64.Ptr(k)), n))
	})
}

// CopyOut copies src to user address addr (copy_to_user).
func (as *AddressSpace) CopyOut(addr uintptr, src []byte) error {
	return as.copyPages(addr, len(src), true, func(k uintptr, off, n int) {
		copy(unsafe.Slice((*byte)(amd64.Ptr(k)), n), src[off:off+n])
	})
}

// Access runs fn on [addr, addr+n) of user memory, page by page, as the
// kernel's direct map sees it (writable if write, faulting pages in as a
// user access would): b is the piece in one page, off its offset in the
// range. For a caller that touches only some bytes of a range (poll's
// revents: __put_user of each field); EFAULT as CopyOut, after fn ran
// on the pieces before the bad one.
func (as *AddressSpace) Access(addr uintptr, n int, write bool, fn func(b []byte, off int)) error {
	return as.copyPages(addr, n, write, func(k uintptr, off, n int) {
		fn(unsafe.Slice((*byte)(amd64.Ptr(k)), n), off)
	})
}

// ZeroOut writes n zero bytes at addr (clear_user).
func (as *AddressSpace) ZeroOut(addr uintptr, n int) error {
	return as.copyPages(addr, n, true, func(k uintptr, _, n int) {
		clear(unsafe.Slice((*byte)(amd64.Ptr(k)), n))
	})
}

// CopyInString reads a NUL-terminated string of at most max bytes
// (strncpy_from_user); ENAMETOOLONG if there is no NUL within max. It
// looks for the NUL in place, a page at a time, so that the only memory
// it allocates is the string's.
func (as *AddressSpace) CopyInString(addr uintptr, max int) (string, error) {
	var out []byte // the part of a string that crosses pages
	as.mu.Lock()
	defer as.mu.Unlock()
	for len(out) < max {
		n := min(int(PageSize-addr&(PageSize-1)), max-len(out))
		pa, err := as.translate(addr, false)
		if err != nil {
			return "", err
		}
		b := unsafe.Slice((*byte)(amd64.Ptr(PhysToVirt(pa))), n)
		if i := bytes.IndexByte(b, 0); i >= 0 {
			if out == nil {
				return string(b[:i]), nil
			}
			return string(append(out, b[:i]...)), nil
		}
		out = append(out, b...)
		addr += uintptr(n)
	}
	return "", linuxerr.ENAMETOOLONG
}

// FutexKey identifies the futex word at addr across processes
// (get_futex_key): a word in a shared mapping of an object is named by
// the object and the offset in it, so that every process mapping it
// finds the same waiters; any other word by the address space and the
// address. shared reports which.
func (as *AddressSpace) FutexKey(addr uintptr) (id uint64, off uint64, shared bool) {
	as.mu.Lock()
	defer as.mu.Unlock()
	if v := as.find(addr); v != nil && v.Flags&MapShared != 0 && v.Obj != nil {
		return v.Obj.ObjectID(), uint64(v.Off) + uint64(addr-v.Start), true
	}
	return as.id, uint64(addr), false
}

// zapObject removes the pages the mappings of obj in the address space
// have for object offsets [off, end) (page aligned; end 0: to the end),
// those of private mappings only with evenCows, so that touching them
// again finds what the object now holds there (UnmapObject).
func (as *AddressSpace) zapObject(obj Object, off, end int64, evenCows bool) {
	as.mu.Lock()
	defer as.mu.Unlock()
	for _, v := range as.vmas {
		vend := v.Off + int64(v.End-v.Start)
		if v.Obj != obj || vend <= off || end != 0 && v.Off >= end || v.Flags&MapShared == 0 && !evenCows {
			continue
		}
		start, stop := v.Start, v.End
		if off > v.Off {
			start += uintptr(off - v.Off)
		}
		if end != 0 && end < vend {
			stop -= uintptr(vend - end)
		}
		as.release(start, stop)
	}
}

// The fast accessors serve the system call fast path (syscalls/fast.go),
// which runs with interrupts off and must not block: they walk the page
// table as it is, never take as.mu or fault a page in, and report false
// for anything but present user pages that allow the access, so that the
// caller goes the slow way (CopyOut and friends), which faults pages in
// or answers EFAULT.

// accessFast runs fn on each piece of [addr, addr+n) within one page, with
// its kernel address, if every page allows the access.
func (as *AddressSpace) accessFast(addr uintptr, n int, write bool, fn func(k uintptr, off, n int)) bool {
	if n < 0 || addr >= UserTop || uintptr(n) > UserTop-addr {
		return false
	}
	for off := 0; off < n; {
		va := addr + uintptr(off)
		chunk := min(int(PageSize-va&(PageSize-1)), n-off)
		e, size, ok := as.pt.Lookup(va)
		if !ok || e&PTEUser == 0 || (write && e&PTEWrite == 0) {
			return false
		}
		if fn != nil {
			fn(PhysToVirt(e.Addr()&^(size-1)|uint64(va)&(size-1)), off, chunk)
		}
		off += chunk
	}
	return true
}

// CopyOutFast is CopyOut for the fast path.
func (as *AddressSpace) CopyOutFast(addr uintptr, src []byte) bool {
	return as.accessFast(addr, len(src), true, func(k uintptr, off, n int) {
		copy(unsafe.Slice((*byte)(amd64.Ptr(k)), n), src[off:off+n])
	})
}

// ZeroOutFast is ZeroOut for the fast path.
func (as *AddressSpace) ZeroOutFast(addr uintptr, n int) bool {
	return as.accessFast(addr, n, true, func(k uintptr, _, n int) {
		clear(unsafe.Slice((*byte)(amd64.Ptr(k)), n))
	})
}

// ReadableFast reports whether n bytes at addr are mapped and readable
// now, as CopyIn would find them without faulting.
func (as *AddressSpace) ReadableFast(addr uintptr, n int) bool {
	return as.accessFast(addr, n, false, nil)
}
