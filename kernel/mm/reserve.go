package mm

import "sync/atomic"

// Memory user programs may make the kernel take, and the reserve they may
// not touch.
//
// The kernel's own Go runtime gets its heap by demand-zero faults on the
// kernel address space (kspace.go); a fault there that finds no frame is
// a crash, because a page fault in the runtime cannot fail. So frames are
// split: user-driven allocations — a process's pages and its page tables,
// file data, the vector-state page of a new thread, and memory the
// kernel's heap holds for a program (pipe data, charged with ChargeUser)
// — succeed only while more than the reserve stays free, and what is
// left below that line is the kernel's alone (Linux keeps its watermarks
// and the emergency pools for the same reason). A user allocation that
// finds the line reached first asks the kernel's runtime to give back
// memory it holds but does not use (Reclaim: a garbage collection and a
// scavenge), then fails: the caller returns ENOMEM, or the fault path
// picks a process to kill as Linux's OOM killer does.

// userReserve is the reserve, in frames.
var userReserve atomic.Uint64

// SetUserReserve sets the reserve: frames user-driven allocations leave
// free.
func SetUserReserve(frames uint64) { userReserve.Store(frames) }

// UserReserve returns the reserve, in frames.
func UserReserve() uint64 { return userReserve.Load() }

// Reclaim, when set, makes the kernel's runtime return the memory it
// holds but does not use to the frame allocator. The kernel sets it; it
// must be called from goroutine context, holding no spinlock.
var Reclaim func()

// charged counts the pages of kernel heap memory held on behalf of user
// programs (ChargeUser).
var charged atomic.Int64

// UserRoom reports whether n more frames may go to user programs now.
func UserRoom(n uint64) bool {
	total, used, _ := FrameStats()
	if total == 0 {
		return true // no frame allocator: a host test, nothing to protect
	}
	return used+n+userReserve.Load() <= total
}

// AdmitUser reports whether n frames' worth of memory may go to user
// programs, reclaiming the runtime's unused memory once if they may not
// yet. Callers about to grow a kernel structure a program sizes (a
// descriptor table) ask it first.
func AdmitUser(n uint64) bool { return withReclaim(func() bool { return UserRoom(n) }) }

// withReclaim reports whether room() holds, asking the runtime to give
// back the memory it does not use (Reclaim) once first if it does not.
func withReclaim(room func() bool) bool {
	if room() {
		return true
	}
	if r := Reclaim; r != nil {
		r()
		return room()
	}
	return false
}

// Throttle makes a task that is about to allocate kernel memory for a
// program wait for a collection when the kernel's heap has eaten half of
// the reserve: direct reclaim, as Linux's page allocator does for an
// allocation below the min watermark (__alloc_pages_slowpath, with
// min_free_kbytes sizing the watermark). User allocations stop at the
// reserve line, so only the kernel's heap takes frames below it, and
// nothing in the runtime bounds how fast: its memory limit is soft.
// When the live heap nears the limit, the collector runs back to back,
// its CPU limiter (a 50% cap on the collector's share) switches off the
// assists that would slow the allocating goroutines, and allocation
// during a cycle takes fresh pages, as nothing freed is reused before
// the cycle ends. A loop of system calls that each allocate a 64 KiB
// buffer then grows the heap until a demand-zero fault finds no frame,
// a crash (seen with exhaust.c's sockets on a loaded host).
// The kernel calls Throttle on every system call entry, where it holds
// no lock, so that those goroutines wait for the collection (Reclaim)
// instead of outrunning it; the other half of the reserve is the margin
// for what is already under way.
func Throttle() {
	total, used := frames.totalNow.Load(), frames.usedNow.Load()
	if total == 0 || used+userReserve.Load()/2 < total {
		return
	}
	if r := Reclaim; r != nil {
		r()
	}
}

// AllocUserFrame is AllocFrame for memory a user program asks for: it
// fails with ErrNoMemory rather than take the reserve.
func AllocUserFrame() (uint64, Err) {
	if !AdmitUser(1) {
		return 0, ErrNoMemory
	}
	return AllocFrame()
}

// AllocUserZeroedFrame is AllocUserFrame with the frame cleared.
func AllocUserZeroedFrame() (uint64, Err) {
	pa, err := AllocUserFrame()
	if err == OK {
		ZeroFrame(pa)
	}
	return pa, err
}

// The kernel's heap has a budget too. Memory the kernel allocates because
// a program asked (open files, descriptor tables, pipe data) is admitted
// only while the kernel runtime's memory stays within it, so that the
// runtime's own needs, which grow with its heap (collection, span
// records), always fit in what is left: a heap of user-made objects as
// large as RAM could not even be collected. The kernel also sets the
// runtime's memory limit a little above the budget, so that its collector
// paces itself by it rather than by doubling the heap.

// kernelBudget is the budget, in frames; 0 means none (host tests).
var kernelBudget atomic.Uint64

// SetKernelBudget sets the budget for the kernel runtime's memory.
func SetKernelBudget(frames uint64) { kernelBudget.Store(frames) }

func kernelRoom(n uint64) bool {
	b := kernelBudget.Load()
	return b == 0 || Kernel.Resident()+n <= b
}

// AdmitKernel reports whether the kernel may allocate n pages of its own
// heap for a user program: within the budget and the programs' share of
// the frames, reclaiming once if not yet.
func AdmitKernel(n uint64) bool {
	return withReclaim(func() bool { return kernelRoom(n) && UserRoom(n) })
}

// ChargeUser accounts n pages of kernel heap memory held for a user
// program (a pipe's data), or refuses them: the charges together may use
// half of the kernel budget (the other half is for the kernel's own
// structures and open files), and the frames must be there (AdmitUser).
// Counting explicitly, rather than measuring the heap, makes the answer
// exact: what a program frees by closing a pipe is available at once,
// before the collector has found it.
func ChargeUser(n int) bool {
	if b := kernelBudget.Load(); b != 0 && uint64(charged.Load())+uint64(n) > b/2 {
		return false
	}
	if !AdmitUser(uint64(n)) {
		return false
	}
	charged.Add(int64(n))
	return true
}

// KernelBudget returns the kernel runtime's budget in frames (0: none).
func KernelBudget() uint64 { return kernelBudget.Load() }

// UnchargeUser gives back what ChargeUser accounted.
func UnchargeUser(n int) { charged.Add(-int64(n)) }

// Charged returns the pages charged with ChargeUser and not given back.
func Charged() int64 { return charged.Load() }
