package kernel

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"

	"oyako/epoll"
	"oyako/fs"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
)

// Reserve sizing: a sixteenth of the frames, between 4 and 32 MiB. The
// kernel's heap needs room to finish what it is doing when user programs
// have taken the rest: a garbage collection, the exit of a killed
// process, the report. 8 MiB with the default 128 MiB of RAM. The kernel
// runtime's own budget (mm.AdmitKernel) is a quarter of the frames.
const (
	reserveMin = 4 << 20 / mm.PageSize
	reserveMax = 32 << 20 / mm.PageSize
)

// reclaimEvery bounds how often a user allocation that hit the reserve
// makes the runtime collect and scavenge: each costs a full collection,
// and callers failing in a loop must not turn into back-to-back ones.
const reclaimEvery = 20e6 // ns

var reclaimState struct {
	sync.Mutex
	last int64
}

// The kernel does not profile its own allocations: the runtime's default
// (a sample every 512 KiB) keeps over a megabyte of buckets that nothing
// reads. Set in an init, before most of the kernel allocates.
func init() { runtime.MemProfileRate = 0 }

// setupMemoryPressure sets the frames user programs must leave to the
// kernel (mm/reserve.go) and how the kernel gives back what its heap
// holds and does not use when they run short.
func setupMemoryPressure() {
	total, _, _ := mm.FrameStats()
	mm.SetUserReserve(min(max(total/16, reserveMin), reserveMax))
	budget := total / 4
	mm.SetKernelBudget(budget)
	// Half the budget for open files at a generous 512 bytes each (a
	// file, its descriptor and what it pins take about 150).
	fs.FileMax.Store(int64(budget * mm.PageSize / 2 / 512))
	// Mounts: at most a sixteenth of the budget at 512 bytes each, and
	// never more than Linux's default.
	fs.MountMax.Store(min(100000, int64(budget*mm.PageSize/16/512)))
	// Epoll watches per user: Linux's share of memory (eventpoll_init).
	epoll.SetMaxUserWatches(total * mm.PageSize)
	debug.SetMemoryLimit(int64(budget*mm.PageSize) + limitSlack)
	mm.Reclaim = reclaim
}

// limitSlack is how far above the kernel budget the runtime's memory
// limit is: room for its collector to work while admissions already fail.
const limitSlack = 4 << 20

// reclaim runs a garbage collection and returns the freed heap pages to
// the frame allocator (the scavenger's madvise lands in mm.Kernel.Discard),
// at most once per reclaimEvery.
func reclaim() { giveBack(false) }

// DropCaches gives the kernel runtime's free memory back at once (a
// write of 2 to /proc/sys/vm/drop_caches), whatever the rate limit.
func DropCaches() { giveBack(true) }

func giveBack(now bool) {
	reclaimState.Lock()
	defer reclaimState.Unlock()
	if !now && reclaimState.last != 0 && ktime.Now()-reclaimState.last < reclaimEvery {
		return
	}
	debug.FreeOSMemory()
	reclaimState.last = ktime.Now()
}

// heapSamples are the runtime metrics HeapMemory reads.
var heapSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
}

var heapMu sync.Mutex

// HeapMemory reports the kernel runtime's heap in bytes backed by frames:
// all of it (objects, fragmentation and free spans not yet returned), and
// the part that is free and would go back to the frame allocator at the
// next scavenge (what Reclaim gives back). /proc/meminfo shows them as
// Slab and SReclaimable, Linux's names for the kernel's object caches.
func HeapMemory() (mapped, reclaimable uint64) {
	heapMu.Lock()
	defer heapMu.Unlock()
	metrics.Read(heapSamples)
	objects, unused, free := heapSamples[0].Value.Uint64(), heapSamples[1].Value.Uint64(), heapSamples[2].Value.Uint64()
	return objects + unused + free, free
}
