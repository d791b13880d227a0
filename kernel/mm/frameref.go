package mm

import (
	"sync/atomic"
	"unsafe"

	"oyako/amd64"
)

// Frame reference counts (the role of struct page's _refcount): a frame
// shared by several page tables (copy-on-write after fork, a file's page
// mapped by several processes, a page of a shared mapping) is freed when
// its last user puts it.
//
// The counts live in an array indexed by frame number, mapped at boot in
// the upper half at FrameRefBase (Linux's vmemmap). A slot holds the number
// of references beyond the first, so a frame fresh from AllocFrame is
// owned once without touching the array, and a free frame's slot is 0.
// Kernel-internal frames (page tables, runtime memory, stacks) never use
// it: only frames that user mappings and file pages hold.

var (
	refTable *uint32 // slot of frame 0
	refLen   uint64  // frames covered
)

// InitFrameRefs maps the reference-count array for physical memory below
// top at FrameRefBase. Called once in early boot, after Kernel.Init.
func InitFrameRefs(top uint64) Err {
	n := top / PageSize
	pages := int(PageAlignUp(n*4) / PageSize)
	if uintptr(pages)*PageSize > FrameRefSize {
		return ErrRange
	}
	if err := MapKernelPages(FrameRefBase, pages); err != OK {
		return err
	}
	refTable = (*uint32)(amd64.Ptr(FrameRefBase))
	refLen = n
	return OK
}

func refSlot(pa uint64) *uint32 {
	pfn := pa / PageSize
	if pfn >= refLen {
		panic("mm: frame outside the reference table")
	}
	return (*uint32)(unsafe.Add(unsafe.Pointer(refTable), pfn*4))
}

// GetFrame takes another reference to the frame at pa.
func GetFrame(pa uint64) {
	if isPinned(pa) {
		return
	}
	atomic.AddUint32(refSlot(pa), 1)
}

// PutFrame drops a reference to the frame at pa and frees it when that
// was the last one. Frames every process shares (PinFrame) are never
// freed.
func PutFrame(pa uint64) {
	if isPinned(pa) {
		return
	}
	s := refSlot(pa)
	for {
		v := atomic.LoadUint32(s)
		if v == 0 {
			FreeFrame(pa)
			return
		}
		if atomic.CompareAndSwapUint32(s, v, v-1) {
			return
		}
	}
}

// FrameShared reports whether the frame at pa has more than one user, so
// that a write to it must copy it first (copy-on-write). Pinned frames
// count as shared.
func FrameShared(pa uint64) bool {
	return isPinned(pa) || atomic.LoadUint32(refSlot(pa)) != 0
}

// FrameRefs returns the number of references to the frame at pa (for
// tests and reports).
func FrameRefs(pa uint64) uint32 { return atomic.LoadUint32(refSlot(pa)) + 1 }
