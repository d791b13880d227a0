package mm

import (
	"sync/atomic"

	"oyako/amd64"
	"oyako/kernel/spin"
)

// Range is a half-open physical address range [Base, End).
type Range struct{ Base, End uint64 }

// MaxExtents bounds the free physical ranges the allocator tracks.
const MaxExtents = 64

// The frame allocator hands out 4 KiB frames. Frames never used yet come
// from extents, carved from the front (lowest addresses first, so early
// boot, which can only reach the first 4 GiB, gets low memory); freed frames
// go onto a free list threaded through the frames themselves.
type frameAllocator struct {
	lock     spin.Lock
	ext      [MaxExtents]Range
	next     int    // first extent that may still have frames
	nExt     int    //
	freeList uint64 // physical address of the first free frame; 0 = empty
	total    uint64 // frames managed
	used     uint64 // frames handed out and not freed
	peak     uint64 // high-water mark of used

	// usedNow and totalNow mirror used and total for readers that must
	// not take the lock (Throttle, on every system call).
	usedNow, totalNow atomic.Uint64
}

var frames frameAllocator

// InitFrames gives the allocator the page-aligned parts of ram that no range
// in reserved overlaps. It returns the number of frames now managed.
func InitFrames(ram []Range, reserved []Range) uint64 {
	f := &frames
	flags := f.lock.Lock()
	for _, r := range ram {
		addFree(f, PageAlignUp(r.Base), PageAlignDown(r.End), reserved)
	}
	n := f.total
	f.lock.Unlock(flags)
	return n
}

// addFree adds [base, end) minus the reserved ranges.
func addFree(f *frameAllocator, base, end uint64, reserved []Range) {
	if base == 0 {
		base = PageSize // physical address 0 would read as an empty free list
	}
	for base < end {
		cut := end
		skipTo := uint64(0)
		for _, r := range reserved {
			rb, re := PageAlignDown(r.Base), PageAlignUp(r.End)
			if re <= base || rb >= end {
				continue
			}
			if rb <= base {
				if re > skipTo {
					skipTo = re
				}
			} else if rb < cut {
				cut = rb
			}
		}
		if skipTo != 0 {
			base = skipTo
			continue
		}
		if f.nExt == MaxExtents {
			return
		}
		f.ext[f.nExt] = Range{base, cut}
		f.nExt++
		f.total += (cut - base) / PageSize
		f.totalNow.Store(f.total)
		base = cut
	}
}

// AddFreeRange gives the allocator [base, end), rounded inward to whole
// pages: memory reserved at boot that is no longer needed, such as the
// initramfs once unpacked (Linux's free_initrd_mem). It returns the
// number of frames added.
func AddFreeRange(base, end uint64) uint64 {
	f := &frames
	flags := f.lock.Lock()
	before := f.total
	addFree(f, PageAlignUp(base), PageAlignDown(end), nil)
	n := f.total - before
	f.lock.Unlock(flags)
	return n
}

// AllocFrame returns a frame's physical address. Its contents are undefined.
func AllocFrame() (uint64, Err) {
	f := &frames
	flags := f.lock.Lock()
	pa := f.freeList
	if pa != 0 {
		f.freeList = *(*uint64)(amd64.Ptr(PhysToVirt(pa)))
	} else {
		for f.next < f.nExt && f.ext[f.next].Base >= f.ext[f.next].End {
			f.next++
		}
		if f.next == f.nExt || f.ext[f.next].Base+PageSize > physLimit {
			f.lock.Unlock(flags)
			return 0, ErrNoMemory
		}
		pa = f.ext[f.next].Base
		f.ext[f.next].Base += PageSize
	}
	f.used++
	f.usedNow.Store(f.used)
	if f.used > f.peak {
		f.peak = f.used
	}
	f.lock.Unlock(flags)
	return pa, OK
}

// AllocZeroedFrame returns a frame filled with zeros.
func AllocZeroedFrame() (uint64, Err) {
	pa, err := AllocFrame()
	if err == OK {
		ZeroFrame(pa)
	}
	return pa, err
}

// ZeroFrame clears the frame at pa.
func ZeroFrame(pa uint64) {
	b := (*[PageSize]byte)(amd64.Ptr(PhysToVirt(pa)))
	clear(b[:])
}

// FreeFrame returns the frame at pa to the allocator.
func FreeFrame(pa uint64) {
	f := &frames
	flags := f.lock.Lock()
	*(*uint64)(amd64.Ptr(PhysToVirt(pa))) = f.freeList
	f.freeList = pa
	f.used--
	f.usedNow.Store(f.used)
	f.lock.Unlock(flags)
}

// FrameStats reports frames managed, in use now, and the most ever in use.
func FrameStats() (total, used, peak uint64) {
	f := &frames
	flags := f.lock.Lock()
	total, used, peak = f.total, f.used, f.peak
	f.lock.Unlock(flags)
	return
}

// ResetPeak sets the high-water mark to the current use, so that a later
// FrameStats reports the peak of what happened in between.
func ResetPeak() {
	f := &frames
	flags := f.lock.Lock()
	f.peak = f.used
	f.lock.Unlock(flags)
}
