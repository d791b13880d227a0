package uring

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
	"oyako/kernel/mm"
)

// region is ring memory: frames the kernel allocated and the process maps
// shared (the rings at IORING_OFF_SQ_RING and IORING_OFF_CQ_RING, the
// SQE array at IORING_OFF_SQES). The kernel reads and writes it through
// the direct map; the frames need not be contiguous, and no field the
// rings hold crosses a page (all are naturally aligned and at most 64
// bytes).
type region struct {
	id uint64

	mu     sync.Mutex // guards frames' lifetime, maps and dead
	frames []uint64
	maps   int
	dead   bool // the ring let go of it (release)
}

// newRegion allocates size bytes of zeroed frames, charged as user
// memory (they are mapped into the process).
func newRegion(size uint32) (*region, error) {
	n := (uint64(size) + mm.PageSize - 1) / mm.PageSize
	r := &region{frames: make([]uint64, 0, n), id: mm.NewObjectID()}
	for range n {
		pa, err := mm.AllocUserZeroedFrame()
		if err != mm.OK {
			r.free()
			return nil, linuxerr.ENOMEM
		}
		r.frames = append(r.frames, pa)
	}
	return r, nil
}

// release is the ring letting go of the region: its frames are freed
// once no mapping is left either (a mapping outlives the ring's file, as
// Linux's vma keeps the file).
func (r *region) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead = true
	if r.maps == 0 {
		r.free()
	}
}

// free drops the region's own reference to its frames; the pages mapped
// keep theirs until they are unmapped.
func (r *region) free() {
	for _, pa := range r.frames {
		mm.PutFrame(pa)
	}
	r.frames = nil
}

func (r *region) ptr(off uint32) unsafe.Pointer {
	return amd64.Ptr(mm.PhysToVirt(r.frames[off/mm.PageSize]) + uintptr(off%mm.PageSize))
}

// u32 returns the 32-bit word at off, shared with the process: every
// access goes through sync/atomic, which on amd64 gives the acquire and
// release ordering liburing's smp_load_acquire/smp_store_release pair
// with.
func (r *region) u32(off uint32) *uint32 { return (*uint32)(r.ptr(off)) }

func (r *region) load(off uint32) uint32     { return atomic.LoadUint32(r.u32(off)) }
func (r *region) store(off uint32, v uint32) { atomic.StoreUint32(r.u32(off), v) }

// bytes returns n bytes at off, which lie within one page.
func (r *region) bytes(off, n uint32) []byte { return unsafe.Slice((*byte)(r.ptr(off)), n) }

// ObjectPage implements mm.Object: the mapping gets its own reference.
func (r *region) ObjectPage(pg int64) (uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if pg < 0 || pg >= int64(len(r.frames)) {
		return 0, linuxerr.EFAULT
	}
	pa := r.frames[pg]
	mm.GetFrame(pa)
	return pa, nil
}

// IncMapRef implements mm.Object.
func (r *region) IncMapRef() {
	r.mu.Lock()
	r.maps++
	r.mu.Unlock()
}

// DecMapRef implements mm.Object: the last mapping of a released
// region frees it.
func (r *region) DecMapRef() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.maps--; r.maps == 0 && r.dead {
		r.free()
	}
}

// ObjectID implements mm.Object.
func (r *region) ObjectID() uint64 { return r.id }
