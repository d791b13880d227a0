package kernel

import (
	"sync/atomic"
	"syscall"
	"unsafe"

	"gvisor.dev/gvisor/pkg/abi/linux/errno"

	"oyako/amd64"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/kernel/sched"
)

// User code runs inside a system call of its task's goroutine (DESIGN.md
// §4, gVisor's Switch, biscuit's Userrun): RunUser issues the private
// system call SysRunUser, so that the Go scheduler sees a goroutine
// blocked in a system call, and the runtime service enters ring 3. When the
// user context makes a system call or takes an exception, its registers are
// saved into its UserContext and the service returns, with the reason, to
// ordinary Go code.

// SysRunUser is the private system call number of RunUser, outside
// Linux's range; from ring 3 it is just an unknown number (ENOSYS).
const SysRunUser = 0x10000

// sysArmKick is the private system call number of the runtime service
// that arms the timer for a kick (Kick).
const sysArmKick = 0x10001

// Events RunUser returns besides exception vectors.
const (
	// EventSyscall: the user context made a system call.
	EventSyscall = amd64.VectorSyscall
	// EventKick: the task was asked to come back (to exit, or for a signal).
	EventKick = amd64.VectorSyscall + 1
	// EventBadFrame: the context cannot be entered (non-canonical RIP).
	EventBadFrame = amd64.VectorSyscall + 2
	// eventLongRun: a context entered without releasing the P ran
	// through a timer tick (RunUser turns it into EventKick).
	eventLongRun = amd64.VectorSyscall + 3
)

// UserContext is a task's user-mode state as the entry paths see it:
// entry_SYSCALL_64 pushes the user registers into Frame (percpu UserFrame
// points at it), and the timer interrupt reads kick. It must not move
// while the task runs: tasks are heap objects, which Go does not move.
type UserContext struct {
	Frame amd64.Frame
	kick  atomic.Uint32
	// cpuWatch makes every timer tick that interrupts the context bring
	// it back (EventKick), so that its process's CPU-time timers are
	// checked (kernel/task/cputimer.go).
	cpuWatch atomic.Bool
	// cpuTicks is the CPU time spent running the context, in TSC ticks.
	cpuTicks uint64
	// holdsP is set while the context runs entered by RawSyscall, its
	// goroutine keeping its P (RunUser); longRun makes the next entry
	// release it.
	holdsP  atomic.Bool
	longRun bool
	// sysTicks is the time from each return of the context to the kernel
	// to its next entry to ring 3 (the task's system time, before its
	// sleeps are taken out), in TSC ticks; exitTSC is when it last
	// returned. svcRunUser keeps both, so that a system call costs two
	// TSC reads, not four.
	sysTicks, exitTSC uint64
}

// SysTicks returns the time the context has spent in the kernel between
// its runs in ring 3, in TSC ticks.
func (uc *UserContext) SysTicks() uint64 { return atomic.LoadUint64(&uc.sysTicks) }

// FastOK reports whether a system call of the context may complete on the
// fast path (syscalls/fast.go), without going back to the task's
// goroutine: not when it has been kicked (a signal or exit waits for the
// goroutine) or when its process's CPU-time timers watch every tick.
func (uc *UserContext) FastOK() bool { return uc.kick.Load() == 0 && !uc.cpuWatch.Load() }

// SetCPUWatch sets whether timer ticks bring the context back.
func (uc *UserContext) SetCPUWatch(on bool) {
	if uc.cpuWatch.Load() != on {
		uc.cpuWatch.Store(on)
	}
}

// CPUTicks returns the CPU time spent running the context, in TSC ticks.
func (uc *UserContext) CPUTicks() uint64 { return atomic.LoadUint64(&uc.cpuTicks) }

// kicksPending counts kicked contexts that have not come back yet; while
// it is not zero the timer keeps firing so that a context spinning in user
// mode is interrupted.
var kicksPending atomic.Int32

// kickInterval is how soon after a kick the timer checks again.
const kickInterval = 1e6 // ns

// Kick asks the context to return from RunUser (EventKick) as soon as
// possible: immediately if it is in the kernel, at the next timer
// interrupt if it runs in user mode.
//
// The timer is armed by a runtime service, not here with interrupts
// disabled: Kick runs on a goroutine, and the Go scheduler may preempt a
// goroutine at any call to a function with a stack check (when the GC or
// sysmon asked it to yield). Preempted inside a CLI ... POPF section, the
// goroutine would resume later on another thread, and the thread it left
// would go on running other goroutines with interrupts off: the timer
// could never preempt that thread again, and the first goroutine there
// that spins waiting for another thread (the runtime's background
// sweeper waiting for another sweeper) hung the machine at 100% CPU.
// A runtime service runs on the thread's service stack, where nothing
// preempts it, with interrupts off.
func (uc *UserContext) Kick() {
	if uc.kick.Swap(1) == 0 {
		kicksPending.Add(1)
		syscall.RawSyscall(sysArmKick, 0, 0, 0)
	}
}

// svcArmKick is Kick's runtime service: it makes the timer fire within
// kickInterval, so that a kicked context running in user mode comes back.
func svcArmKick() {
	sched.SetKickDeadline(ktime.Now() + kickInterval)
}

// takeKick consumes a pending kick.
func (uc *UserContext) takeKick() bool {
	if uc.kick.Swap(0) == 1 {
		kicksPending.Add(-1)
		return true
	}
	return false
}

// RunUser runs the user context uc with page table root cr3 until it
// traps back, and returns why: EventSyscall, EventKick, EventBadFrame or
// an exception vector; addr is CR2 for a page fault.
//
// Most runs in ring 3 are short: the program makes its next system call
// within microseconds. RunUser enters such a run with RawSyscall, so the
// goroutine keeps its P, sparing the Go runtime's entersyscall and
// exitsyscall on every call (a fifth of a system call's kernel
// instructions); the kernel has GOMAXPROCS Ps for its other goroutines.
// A run still in ring 3 at a timer tick comes back (eventLongRun, so that
// the P is held at most a tick, and a stop-the-world for the garbage
// collector waits no longer), and is entered again with Syscall, as a
// blocking system call whose P the runtime may hand to others; the run
// after its next system call is short again.
func RunUser(uc *UserContext, cr3 uint64) (event uint64, addr uint64) {
	if uc.longRun {
		uc.longRun = false
		r1, r2, _ := syscall.Syscall(SysRunUser, uintptr(unsafe.Pointer(uc)), uintptr(cr3), 0)
		return uint64(r1), uint64(r2)
	}
	uc.holdsP.Store(true)
	event, addr = runUserDirect(uintptr(unsafe.Pointer(uc)), cr3)
	uc.holdsP.Store(false)
	if event == eventLongRun {
		uc.longRun = true
		return EventKick, 0
	}
	return event, addr
}

// runUserDirect calls runUser the way the RunUser service runs it, on the
// thread's service stack with interrupts off (runuser.s), without a
// system call: for runs that keep the P, the Go runtime has nothing to do.
func runUserDirect(uc uintptr, cr3 uint64) (event, addr uint64)

// Per-CPU fields runuser.s uses (go_asm.h).
const (
	percpuKStack      = unsafe.Offsetof(amd64.PerCPU{}.KStack)
	percpuKernelFS    = unsafe.Offsetof(amd64.PerCPU{}.KernelFS)
	percpuUseFSGSBASE = unsafe.Offsetof(amd64.PerCPU{}.UseFSGSBASE)
)

// svcRunUser is RunUser's runtime service: on the thread's service stack,
// interrupts off.
func svcRunUser(f *amd64.Frame, ucAddr uintptr, cr3 uint64) (uint64, errno.Errno) {
	event, addr := runUser(ucAddr, cr3)
	f.Regs.Rdx = addr
	return event, 0
}

// runUser enters the user context at ucAddr with page table root cr3 and
// returns why it came back, and CR2 for a page fault. It runs on the
// thread's service stack with interrupts off (svcRunUser, runUserDirect).
func runUser(ucAddr uintptr, cr3 uint64) (event, addr uint64) {
	uc := (*UserContext)(amd64.Ptr(ucAddr))
	now := amd64.Rdtsc()
	if uc.exitTSC != 0 {
		atomic.AddUint64(&uc.sysTicks, now-uc.exitTSC)
	}
	uc.exitTSC = now
	if uc.takeKick() {
		return EventKick, 0
	}
	user := &uc.Frame
	if user.Regs.Rip >= mm.UserTop || user.Regs.Rsp >= mm.UserTop {
		return EventBadFrame, 0
	}
	user.SanitizeUser()
	t := sched.Current()
	c := amd64.ThisCPU()
	t.UserFrame = ucAddr
	c.UserFrame = ucAddr
	sched.LoadCR3(cr3)
	amd64.ClaimFPU(c, ucAddr, true)
	ran := sched.RunTicksAt(now)
	amd64.EnterUser(&t.KCont, user, user.CanSysret())
	now = amd64.Rdtsc()
	uc.exitTSC = now
	atomic.AddUint64(&uc.cpuTicks, sched.RunTicksAt(now)-ran)
	// The user context trapped back: entry_SYSCALL_64 or userTrap saved
	// it and resumed the continuation saved above.
	t.UserFrame = 0
	c.UserFrame = 0
	return user.Vector, t.FaultAddr
}

// userTrap handles an exception from ring 3 (in interrupt context): it
// saves the interrupted user context and its vector state into the task's
// UserContext and resumes the thread's kernel continuation, so that the
// task's goroutine handles the event. It does not return.
func userTrap(f *amd64.Frame, cr2 uint64, event uint64) {
	c := amd64.ThisCPU()
	if c.UserFrame == 0 {
		kernelFault(f, cr2)
		return
	}
	uc := (*UserContext)(amd64.Ptr(c.UserFrame))
	fpu := uc.Frame.FPU
	uc.Frame = *f
	uc.Frame.FPU = fpu
	uc.Frame.Vector = event
	copy(unsafe.Slice((*byte)(amd64.Ptr(fpu)), c.XSaveSize), unsafe.Slice((*byte)(amd64.Ptr(f.FPU)), c.XSaveSize))
	sched.Current().FaultAddr = cr2
	amd64.Resume((*amd64.Frame)(amd64.Ptr(c.KCont)))
}

// SyncFPU makes the context's save area hold its whole vector state, for
// code that reads it (signal frames, fork).
func (uc *UserContext) SyncFPU() { amd64.SyncFPU(uintptr(unsafe.Pointer(uc))) }

// DropFPU notes that the context's save area was rewritten (or is about
// to be freed): the next entry to ring 3 loads the state from it whole.
func (uc *UserContext) DropFPU() { amd64.DropFPU(uintptr(unsafe.Pointer(uc))) }

// longRunEvent returns the event that brings back the user context
// running on this CPU at a timer tick, or 0: eventLongRun if it holds its
// goroutine's P (RunUser), EventKick if its process watches CPU time.
func longRunEvent() uint64 {
	c := amd64.ThisCPU()
	if c.UserFrame == 0 {
		return 0
	}
	uc := (*UserContext)(amd64.Ptr(c.UserFrame))
	switch {
	case uc.holdsP.Load():
		return eventLongRun
	case uc.cpuWatch.Load():
		return EventKick
	}
	return 0
}

// kickRequested reports whether the user context running on this CPU has
// been kicked.
func kickRequested() bool {
	c := amd64.ThisCPU()
	return c.UserFrame != 0 && (*UserContext)(amd64.Ptr(c.UserFrame)).kick.Load() != 0
}
