package mm

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
)

// Object is memory that mappings share by reference instead of by copy:
// the pages of a file, or of an anonymous shared region (Linux's struct
// address_space with its page cache). A MAP_SHARED mapping maps the
// object's frames themselves, so that every process mapping it, and
// read(2) and write(2) of the file, see the same bytes; a MAP_PRIVATE
// mapping maps them read-only and copies a page on the first write.
type Object interface {
	// ObjectPage returns the frame holding page pg (byte offset / PageSize)
	// with a reference for the caller (PutFrame drops it), allocating a
	// zeroed page for a hole. A page at or beyond the object's end fails
	// with EFAULT (a SIGBUS on Linux).
	ObjectPage(pg int64) (uint64, error)
	// IncMapRef and DecMapRef count the mappings of the object: while
	// one exists the object and its pages stay alive, even once nothing
	// else (a name, an open file) refers to it.
	IncMapRef()
	DecMapRef()
	// ObjectID identifies the object, for keys that must be the same in
	// every process mapping it (shared futexes).
	ObjectID() uint64
}

// The address spaces that map each object (the reverse map Linux keeps
// in address_space->i_mmap), so that shrinking an object can take its
// pages out of every mapping.
var objectMaps struct {
	mu sync.Mutex
	m  map[Object]map[*AddressSpace]int
}

// trackMapping counts a mapping of obj in as (delta +1 or -1).
func trackMapping(obj Object, as *AddressSpace, delta int) {
	objectMaps.mu.Lock()
	defer objectMaps.mu.Unlock()
	if objectMaps.m == nil {
		objectMaps.m = map[Object]map[*AddressSpace]int{}
	}
	spaces := objectMaps.m[obj]
	if spaces == nil {
		spaces = map[*AddressSpace]int{}
		objectMaps.m[obj] = spaces
	}
	if spaces[as] += delta; spaces[as] <= 0 {
		delete(spaces, as)
		if len(spaces) == 0 {
			delete(objectMaps.m, obj)
		}
	}
}

// UnmapObject takes the pages of obj in [off, end) (whole pages; end 0:
// to the end) out of every mapping, as unmap_mapping_range does when a
// file is truncated (evenCows: private copies too, so that a page past
// the new end faults to SIGBUS) or a hole is punched in it (the shared
// mappings' pages, so that they read the hole's zeros). The caller has
// already changed the object and holds none of its locks: a fault takes
// the address space's lock, then the object's.
func UnmapObject(obj Object, off, end int64, evenCows bool) {
	off = int64(PageAlignUp(uint64(off)))
	if end != 0 {
		end = int64(PageAlignDown(uint64(end)))
		if end <= off {
			return
		}
	}
	objectMaps.mu.Lock()
	var spaces []*AddressSpace
	for as := range objectMaps.m[obj] {
		spaces = append(spaces, as)
	}
	objectMaps.mu.Unlock()
	for _, as := range spaces {
		as.zapObject(obj, off, end, evenCows)
	}
}

var objectIDs atomic.Uint64

// NewObjectID returns a fresh object identity.
func NewObjectID() uint64 { return objectIDs.Add(1) }

// Pages is a sparse array of frames holding an object's contents: a
// ramfs file's data, or a shared anonymous region. A missing page reads
// as zeros. Pages holds one reference to each of its frames.
type Pages struct {
	mu    sync.Mutex
	pages map[int64]uint64
	// shmem marks the pages of shared anonymous memory, which
	// /proc/meminfo counts as Shmem as well as Cached.
	shmem bool
}

// The frames Pages hold, for /proc/meminfo's Cached and Shmem.
var cachePages, shmemPages atomic.Int64

// CacheStats returns how many pages the page cache holds: files' and
// shared memory's, and the shared memory's alone.
func CacheStats() (cache, shmem uint64) {
	return uint64(max(cachePages.Load(), 0)), uint64(max(shmemPages.Load(), 0))
}

// count adds n to the page cache counts.
func (p *Pages) count(n int64) {
	cachePages.Add(n)
	if p.shmem {
		shmemPages.Add(n)
	}
}

// Count returns how many pages are allocated (st_blocks is 8 per page on
// tmpfs).
func (p *Pages) Count() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int64(len(p.pages))
}

// Get returns page pg's frame with a reference for the caller, allocating
// a zeroed frame for a hole.
func (p *Pages) Get(pg int64) (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pa, err := p.lockedPage(pg, true)
	if err != nil {
		return 0, err
	}
	GetFrame(pa)
	return pa, nil
}

// lockedPage returns page pg's frame (0 for a hole unless alloc).
func (p *Pages) lockedPage(pg int64, alloc bool) (uint64, error) {
	if pa, ok := p.pages[pg]; ok || !alloc {
		return pa, nil
	}
	pa, err := AllocUserZeroedFrame()
	if err != OK {
		return 0, linuxerr.ENOMEM
	}
	if p.pages == nil {
		p.pages = map[int64]uint64{}
	}
	p.pages[pg] = pa
	p.count(1)
	return pa, nil
}

// frameBytes is the kernel's view of the frame at pa.
func frameBytes(pa uint64) []byte {
	return unsafe.Slice((*byte)(amd64.Ptr(PhysToVirt(pa))), PageSize)
}

// ReadAt copies the bytes at off into dst (zeros for holes). The caller
// bounds the range by the object's size.
func (p *Pages) ReadAt(dst []byte, off int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for done := 0; done < len(dst); {
		pos := off + int64(done)
		in := int(pos & (PageSize - 1))
		n := min(PageSize-in, len(dst)-done)
		if pa, _ := p.lockedPage(pos/PageSize, false); pa != 0 {
			copy(dst[done:done+n], frameBytes(pa)[in:])
		} else {
			clear(dst[done : done+n])
		}
		done += n
	}
}

// WriteAt copies src to off, allocating pages as needed. On ENOMEM it
// returns how much it wrote.
func (p *Pages) WriteAt(src []byte, off int64) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for done := 0; done < len(src); {
		pos := off + int64(done)
		in := int(pos & (PageSize - 1))
		n := min(PageSize-in, len(src)-done)
		pa, err := p.lockedPage(pos/PageSize, true)
		if err != nil {
			return done, err
		}
		copy(frameBytes(pa)[in:], src[done:done+n])
		done += n
	}
	return len(src), nil
}

// Allocate makes sure the pages of [off, off+n) exist (fallocate).
func (p *Pages) Allocate(off, n int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pg := off / PageSize; pg*PageSize < off+n; pg++ {
		if _, err := p.lockedPage(pg, true); err != nil {
			return err
		}
	}
	return nil
}

// Truncate drops the pages wholly at or beyond size and zeros the rest of
// the page that size ends in, so that growing the object again reads
// zeros there (truncate_setsize and truncate_inode_pages_range). Frames
// still mapped somewhere stay alive until unmapped.
func (p *Pages) Truncate(size int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	keep := (size + PageSize - 1) / PageSize
	for pg, pa := range p.pages {
		if pg >= keep {
			delete(p.pages, pg)
			PutFrame(pa)
			p.count(-1)
		}
	}
	if in := size & (PageSize - 1); in != 0 {
		if pa, ok := p.pages[size/PageSize]; ok {
			clear(frameBytes(pa)[in:])
		}
	}
}

// Has reports whether page pg is allocated (not a hole).
func (p *Pages) Has(pg int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.pages[pg]
	return ok
}

// Punch makes [off, off+n) read as zeros: the pages wholly inside it are
// dropped and the parts of the pages at its ends cleared
// (shmem_truncate_range for a hole).
func (p *Pages) Punch(off, n int64) {
	if n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	end := off + n
	first, last := (off+PageSize-1)/PageSize, end/PageSize // whole pages [first, last)
	for pg, pa := range p.pages {
		if pg >= first && pg < last {
			delete(p.pages, pg)
			PutFrame(pa)
		}
	}
	part := func(pg, from, to int64) {
		if pa, ok := p.pages[pg]; ok {
			clear(frameBytes(pa)[from:to])
		}
	}
	switch {
	case first > last: // within one page
		part(off/PageSize, off%PageSize, end-off/PageSize*PageSize)
	default:
		if off%PageSize != 0 {
			part(off/PageSize, off%PageSize, PageSize)
		}
		if end%PageSize != 0 {
			part(end/PageSize, 0, end%PageSize)
		}
	}
}

// Release drops every page (the object is gone).
func (p *Pages) Release() { p.Truncate(0) }

// Shmem is an anonymous shared region (MAP_SHARED|MAP_ANONYMOUS, Linux's
// shmem_zero_setup): zero-filled pages shared by every mapping of it,
// across fork, freed with the last mapping.
type Shmem struct {
	pages Pages
	size  int64
	id    uint64
	refs  atomic.Int64
}

// NewShmem returns a region of size bytes with no mappings yet.
func NewShmem(size int64) *Shmem {
	return &Shmem{size: size, id: NewObjectID(), pages: Pages{shmem: true}}
}

// ObjectPage implements Object.
func (s *Shmem) ObjectPage(pg int64) (uint64, error) {
	if pg < 0 || pg*PageSize >= s.size {
		return 0, linuxerr.EFAULT
	}
	return s.pages.Get(pg)
}

// IncMapRef implements Object.
func (s *Shmem) IncMapRef() { s.refs.Add(1) }

// DecMapRef implements Object: the last mapping frees the pages.
func (s *Shmem) DecMapRef() {
	if s.refs.Add(-1) == 0 {
		s.pages.Release()
	}
}

// ObjectID implements Object.
func (s *Shmem) ObjectID() uint64 { return s.id }
