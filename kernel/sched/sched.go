// Package sched runs the kernel's threads: one per Go runtime M (created by
// the runtime's clone) plus an idle thread per CPU. It keeps their saved
// contexts, a round-robin run queue with time slices driven by the LAPIC
// timer in one-shot mode, sleeping with deadlines, and futex wait queues.
//
// Everything here runs with interrupts off: in runtime services, in the
// timer interrupt and in early boot. Nothing allocates. Thread records live
// in a fixed table and hold no Go pointers, so that the code that switches
// threads never needs a write barrier.
//
// Limits: one CPU; no priorities; MaxThreads threads.
package sched

import (
	"unsafe"

	"oyako/amd64"
	"oyako/kernel/klog"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
)

// MaxThreads bounds the threads alive at once.
const MaxThreads = 1024

// KStackSize is the size of each thread's service stack, on which its
// runtime services (and, later, its system calls) run.
const KStackSize = 16 << 10

// stackSlot is the stride of the stack region: a stack and its guard gap.
const stackSlot = 2 * KStackSize

// TimeSlice is how long a thread runs before another runnable one gets
// the CPU.
const TimeSlice = 10e6 // ns

// State is a thread's scheduling state.
type State uint8

const (
	Free     State = iota // slot unused
	Runnable              // on the run queue
	Running               // on a CPU
	Blocked               // waiting for a wake-up or a deadline
	Dead                  // exited; its stack is freed once off the CPU
)

// WakeReason tells a blocked thread why it runs again.
type WakeReason uint8

const (
	Woken    WakeReason = iota // another thread or an interrupt woke it
	TimedOut                   // its deadline passed
)

// Thread is a kernel thread.
type Thread struct {
	// Frame is the saved context while the thread is not running.
	Frame amd64.Frame
	// TID is the thread ID the Go runtime sees (gettid).
	TID int32

	state    State
	idle     bool
	fpuLive  bool    // Frame.FPU holds state to restore (it was preempted)
	fpu      uintptr // its vector-register save area (one frame)
	kstack   uintptr // top of its service stack
	runNext  int32   // run queue link: index+1, 0 = end
	deadline int64   // monotonic ns at which Block gives up; 0 = never
	reason   WakeReason
	sliceEnd int64

	futexKey  uint64
	futexNext int32 // futex bucket link: index+1, 0 = end
	inFutex   bool

	// Value is a word the waker leaves for the woken thread.
	Value int64
	// WaitObj identifies what a blocked thread waits on (for wakers that
	// scan, like epoll); 0 when not waiting on an object.
	WaitObj uintptr

	// Recorded signal state of the kernel's own runtime threads: signals
	// are not delivered to ring 0, but the runtime reads back what it set.
	SigMask  uint64
	AltStack [3]uint64 // ss_sp, ss_flags, ss_size

	// KCont is where the thread's kernel context waits while it runs a
	// user context (RunUser); UserFrame is that user context's Frame (0
	// when none). CR3 is the page table the thread runs with.
	KCont     amd64.Frame
	UserFrame uintptr
	CR3       uint64
	// FaultAddr is CR2 of the last user page fault.
	FaultAddr uint64

	runTicks   uint64 // TSC ticks spent running, up to lastSwitch
	lastSwitch uint64 // TSC when the thread last started running
}

// RunTicksAt returns how long the current thread has run in total, in TSC
// ticks (ktime.TicksToNanos converts), as of tsc, a TSC reading the
// caller made: cheap enough to compute around every entry to user mode.
func RunTicksAt(tsc uint64) uint64 {
	t := Current()
	return t.runTicks + tsc - t.lastSwitch
}

var (
	threads     [MaxThreads]Thread
	hwm         int   // threads[:hwm] holds every slot ever used
	runHead     int32 // index+1 of the first runnable thread; 0 = empty
	runTail     int32
	nextTID     int32 = 1
	nThreads    int   // live threads, idle threads excluded
	peakThreads int
	switches    uint64
)

func (t *Thread) index() int32 {
	return int32((uintptr(unsafe.Pointer(t)) - uintptr(unsafe.Pointer(&threads[0]))) / unsafe.Sizeof(threads[0]))
}

func at(i int32) *Thread { return &threads[i-1] } // from a 1-based link

// Current returns the thread running on this CPU.
func Current() *Thread { return (*Thread)(amd64.Ptr(amd64.ThisCPU().Current)) }

// IsIdle reports whether t is an idle thread.
func (t *Thread) IsIdle() bool { return t.idle }

// KStackTop returns the top of t's service stack.
func (t *Thread) KStackTop() uintptr { return t.kstack }

// NrRunning counts the threads that are running or waiting for a CPU,
// idle threads excluded (Linux's nr_running, for the load average).
func NrRunning() int {
	flags := amd64.SaveFlagsCli()
	n := 0
	for i := 0; i < hwm; i++ {
		t := &threads[i]
		if !t.idle && (t.state == Runnable || t.state == Running) {
			n++
		}
	}
	amd64.RestoreFlags(flags)
	return n
}

// IdleTicks returns how long the CPUs' idle threads have run, in TSC
// ticks: the idle time /proc/uptime and /proc/stat report.
func IdleTicks() uint64 {
	flags := amd64.SaveFlagsCli()
	var n uint64
	for i := 0; i < hwm; i++ {
		if t := &threads[i]; t.idle {
			n += t.runTicks
			if t == Current() {
				n += amd64.Rdtsc() - t.lastSwitch
			}
		}
	}
	amd64.RestoreFlags(flags)
	return n
}

// Stats reports live threads, the most ever live, and context switches.
func Stats() (live, peak int, nswitch uint64) { return nThreads, peakThreads, switches }

func stackTop(slot int) uintptr {
	return mm.StackBase + uintptr(slot+1)*stackSlot
}

// allocSlot finds a free thread slot and gives it a service stack and a
// vector-state area.
func allocSlot() (*Thread, mm.Err) {
	reap()
	for i := 0; i < MaxThreads; i++ {
		t := &threads[i]
		if t.state != Free {
			continue
		}
		top := stackTop(i)
		if err := mm.MapKernelPages(top-KStackSize, KStackSize/mm.PageSize); err != mm.OK {
			return nil, err
		}
		pa, err := mm.AllocZeroedFrame()
		if err != mm.OK {
			mm.UnmapKernelPages(top-KStackSize, KStackSize/mm.PageSize)
			return nil, err
		}
		*t = Thread{kstack: top, fpu: mm.PhysToVirt(pa), state: Blocked, TID: nextTID, CR3: kernelCR3}
		nextTID++
		if i >= hwm {
			hwm = i + 1
		}
		return t, mm.OK
	}
	return nil, mm.ErrNoMemory
}

// reap frees the resources of exited threads that are no longer running.
func reap() {
	cur := Current()
	for i := 0; i < hwm; i++ {
		t := &threads[i]
		if t.state != Dead || t == cur {
			continue
		}
		mm.UnmapKernelPages(t.kstack-KStackSize, KStackSize/mm.PageSize)
		mm.FreeFrame(mm.VirtToPhys(t.fpu))
		*t = Thread{}
	}
}

// kernelCR3 is the kernel's page table; loadedCR3 is the one in CR3.
var kernelCR3, loadedCR3 uint64

// LoadCR3 switches the current thread to page table root (a process's).
func LoadCR3(root uint64) {
	Current().CR3 = root
	if root != loadedCR3 {
		amd64.WriteCR3(root)
		loadedCR3 = root
	}
}

// FlushCR3 drops the non-global TLB entries of page table root if it is
// the one loaded. With one CPU, that is every entry it can have: loading
// another page table flushed them.
func FlushCR3(root uint64) {
	flags := amd64.SaveFlagsCli()
	if loadedCR3 == root {
		amd64.WriteCR3(root)
	}
	amd64.RestoreFlags(flags)
}

// DropCR3 moves every thread that uses page table root back to the
// kernel's, before root is freed.
func DropCR3(root uint64) {
	flags := amd64.SaveFlagsCli()
	for i := 0; i < hwm; i++ {
		if threads[i].CR3 == root {
			threads[i].CR3 = kernelCR3
		}
	}
	if loadedCR3 == root {
		amd64.WriteCR3(kernelCR3)
		loadedCR3 = kernelCR3
	}
	amd64.RestoreFlags(flags)
}

// InitCPU makes the calling context thread 1 (the boot thread, which
// becomes the Go runtime's first M) and creates the CPU's idle thread.
func InitCPU(c *amd64.PerCPU) *Thread {
	kernelCR3 = amd64.ReadCR3()
	loadedCR3 = kernelCR3
	boot, err := allocSlot()
	if err != mm.OK {
		panicf("no memory for the boot thread")
	}
	idle, err := allocSlot()
	if err != mm.OK {
		panicf("no memory for the idle thread")
	}
	idle.idle = true
	idle.TID = 0
	nextTID--
	idle.Frame.FSBase = uint64(c.KernelFS)
	idle.Frame.Regs = amd64.PtRegs{
		Rip:    uint64(amd64.IdleLoopPC()),
		Cs:     amd64.KernelCS,
		Eflags: amd64.FlagIF | 0x2,
		Rsp:    uint64(idle.kstack),
		Ss:     amd64.KernelDS,
	}
	c.Idle = uintptr(unsafe.Pointer(idle))
	nThreads = 1
	peakThreads = 1
	setCurrent(c, boot, ktime.Now())
	return boot
}

// Spawn creates a runnable thread that starts from frame (a copy is kept).
func Spawn(frame *amd64.Frame) (*Thread, mm.Err) {
	t, err := allocSlot()
	if err != mm.OK {
		return nil, err
	}
	t.Frame = *frame
	t.Frame.FPU = 0
	nThreads++
	if nThreads > peakThreads {
		peakThreads = nThreads
	}
	enqueue(t)
	Rearm()
	return t, mm.OK
}

func enqueue(t *Thread) {
	t.state = Runnable
	t.runNext = 0
	i := t.index() + 1
	if runTail == 0 {
		runHead = i
	} else {
		at(runTail).runNext = i
	}
	runTail = i
}

func dequeue() *Thread {
	if runHead == 0 {
		return nil
	}
	t := at(runHead)
	runHead = t.runNext
	if runHead == 0 {
		runTail = 0
	}
	t.runNext = 0
	return t
}

// pickNext returns the next thread to run: the head of the run queue, or
// the CPU's idle thread.
func pickNext(c *amd64.PerCPU) *Thread {
	if t := dequeue(); t != nil {
		return t
	}
	return (*Thread)(amd64.Ptr(c.Idle))
}

func setCurrent(c *amd64.PerCPU, t *Thread, now int64) {
	ktime.Tick(now)
	tsc := amd64.Rdtsc()
	if prev := Current(); prev != nil {
		prev.runTicks += tsc - prev.lastSwitch
	}
	t.lastSwitch = tsc
	c.Current = uintptr(unsafe.Pointer(t))
	c.KStack = t.kstack
	c.UserFrame = t.UserFrame
	c.KCont = uintptr(unsafe.Pointer(&t.KCont))
	if t.CR3 != loadedCR3 {
		amd64.WriteCR3(t.CR3)
		loadedCR3 = t.CR3
	}
	t.state = Running
	t.sliceEnd = now + TimeSlice
	switches++
	rearm(now)
}

// resumeFrame returns the frame to resume t from, arranging for its vector
// state to be restored if it was preempted.
func resumeFrame(t *Thread) *amd64.Frame {
	if t.fpuLive {
		t.Frame.FPU = t.fpu
		t.fpuLive = false
		if t.Frame.FromUser() {
			// Preempted in ring 3: its whole vector state comes back
			// from t.fpu, so its context owns the registers again.
			amd64.ClaimFPU(amd64.ThisCPU(), t.UserFrame, false)
		}
	} else {
		t.Frame.FPU = 0
	}
	return &t.Frame
}

// schedule gives the CPU to the next thread; the current one must already
// be queued, blocked or dead. It returns when the current thread runs again.
func schedule() {
	c := amd64.ThisCPU()
	cur := Current()
	next := pickNext(c)
	if next == cur {
		cur.state = Running
		rearm(ktime.Now())
		return
	}
	setCurrent(c, next, ktime.Now())
	amd64.SwitchTo(&cur.Frame, resumeFrame(next))
}

// Yield puts the current thread at the back of the run queue.
func Yield() {
	cur := Current()
	if runHead == 0 {
		cur.sliceEnd = ktime.Now() + TimeSlice
		return
	}
	enqueue(cur)
	schedule()
}

// Block stops the current thread until Wake or, if deadline is not 0,
// until monotonic time deadline.
func Block(deadline int64) WakeReason {
	cur := Current()
	cur.state = Blocked
	cur.deadline = deadline
	cur.reason = Woken
	schedule()
	return cur.reason
}

// Wake makes a blocked thread runnable. It does nothing to a thread that
// is not blocked.
func Wake(t *Thread) {
	if t.state != Blocked {
		return
	}
	if t.inFutex {
		futexRemove(t)
	}
	t.reason = Woken
	t.deadline = 0
	enqueue(t)
	Rearm()
}

// Exit ends the current thread.
func Exit() {
	cur := Current()
	if cur.inFutex {
		futexRemove(cur)
	}
	cur.state = Dead
	nThreads--
	schedule()
	panicf("exited thread resumed")
}

// expire wakes the blocked threads whose deadlines have passed and
// returns how many it woke.
func expire(now int64) int {
	n := 0
	for i := 0; i < hwm; i++ {
		t := &threads[i]
		if t.state == Blocked && t.deadline != 0 && t.deadline <= now {
			if t.inFutex {
				futexRemove(t)
			}
			t.deadline = 0
			t.reason = TimedOut
			enqueue(t)
			n++
		}
	}
	return n
}

// Rearm programs the CPU's timer for the next event.
func Rearm() { rearm(ktime.Now()) }

// rearm programs the LAPIC timer for the earliest of: a blocked thread's
// deadline, and the end of the current time slice if others are waiting.
func rearm(now int64) {
	next := int64(0)
	for i := 0; i < hwm; i++ {
		t := &threads[i]
		if t.state == Blocked && t.deadline != 0 && (next == 0 || t.deadline < next) {
			next = t.deadline
		}
	}
	// While a thread runs, the coarse clocks advance every tick.
	if cur := Current(); cur != nil && !cur.idle {
		if t := ktime.NextTick(); next == 0 || t < next {
			next = t
		}
	}
	if runHead != 0 {
		if cur := Current(); cur != nil && !cur.idle && (next == 0 || cur.sliceEnd < next) {
			next = cur.sliceEnd
		}
		if cur := Current(); cur != nil && cur.idle {
			next = now // switch away from idle as soon as possible
		}
	}
	if watchdog != 0 && (next == 0 || watchdog < next) {
		next = watchdog
	}
	if kickDeadline != 0 && (next == 0 || kickDeadline < next) {
		next = kickDeadline
	}
	if next == 0 {
		amd64.LAPICTimerStart(0)
		return
	}
	amd64.LAPICTimerStart(ktime.LAPICTicks(next - now))
}

// kickDeadline, if not 0, makes the timer fire then, so that the trap
// handler can bring back a kicked user context.
var kickDeadline int64

// SetKickDeadline arms the timer to fire by deadline (interrupts off).
func SetKickDeadline(deadline int64) {
	if kickDeadline == 0 || deadline < kickDeadline || kickDeadline <= ktime.Now() {
		kickDeadline = deadline
		Rearm()
	}
}

// watchdog, if not 0, is a monotonic deadline at which Tick calls
// watchdogFunc (the crash reporter's last resort).
var (
	watchdog     int64
	watchdogFunc func()
)

// SetWatchdogHandler sets the function the watchdog calls. It is set once
// at boot: storing a func value is a pointer write, which interrupt
// context must not do while the garbage collector may be marking.
func SetWatchdogHandler(fn func()) { watchdogFunc = fn }

// SetWatchdog arms the watchdog to fire at deadline, in interrupt context.
func SetWatchdog(deadline int64) {
	watchdog = deadline
	Rearm()
}

// Tick handles the timer interrupt for the frame it interrupted: it wakes
// threads whose deadlines passed and then preempts the current thread if
// it woke any (a thread whose timer fired should run on time: wakeup
// preemption), if the current thread's slice is over and another is
// runnable, or if the current thread is the idle thread. It returns only
// if the interrupted context continues.
func Tick(f *amd64.Frame) {
	now := ktime.Now()
	ktime.Tick(now)
	if watchdog != 0 && now >= watchdog {
		watchdog = 0
		if watchdogFunc != nil {
			watchdogFunc()
		}
	}
	if kickDeadline != 0 && now >= kickDeadline {
		kickDeadline = 0
	}
	woke := expire(now)
	preempt(f, now, woke > 0)
}

// MaybePreempt switches away from the interrupted context f if the current
// thread is idle and work is waiting, or its slice is over. Called at the
// end of interrupt handling.
func MaybePreempt(f *amd64.Frame, now int64) { preempt(f, now, false) }

func preempt(f *amd64.Frame, now int64, force bool) {
	c := amd64.ThisCPU()
	cur := Current()
	if runHead == 0 || (!cur.idle && !force && now < cur.sliceEnd) {
		rearm(now)
		return
	}
	// Save the interrupted context into the thread, with the vector state
	// the entry stub saved below the frame.
	cur.Frame = *f
	copy(unsafe.Slice((*byte)(amd64.Ptr(cur.fpu)), c.XSaveSize), unsafe.Slice((*byte)(amd64.Ptr(f.FPU)), c.XSaveSize))
	cur.fpuLive = true
	if !cur.idle {
		enqueue(cur)
	}
	next := pickNext(c)
	setCurrent(c, next, now)
	amd64.Resume(resumeFrame(next))
}

// RunnableCount returns how many threads wait for the CPU.
func RunnableCount() int {
	n := 0
	for i := runHead; i != 0; i = at(i).runNext {
		n++
	}
	return n
}

func panicf(msg string) {
	var l klog.Line
	l.S("oyako: sched: ").S(msg).Always()
	amd64.QEMUExit(0x7f)
	amd64.HaltForever()
}

// WakeObj wakes every thread blocked with WaitObj == obj and returns how
// many it woke.
func WakeObj(obj uintptr) int {
	n := 0
	for i := 0; i < hwm; i++ {
		t := &threads[i]
		if t.state == Blocked && t.WaitObj == obj {
			Wake(t)
			n++
		}
	}
	return n
}

// WakeObjRange wakes every thread blocked on an object in [lo, hi).
func WakeObjRange(lo, hi uintptr) int {
	n := 0
	for i := 0; i < hwm; i++ {
		t := &threads[i]
		if t.state == Blocked && t.WaitObj >= lo && t.WaitObj < hi {
			Wake(t)
			n++
		}
	}
	return n
}

// ByTID returns the live thread with the given TID, or nil.
func ByTID(tid int32) *Thread {
	for i := 0; i < hwm; i++ {
		t := &threads[i]
		if t.TID == tid && t.state != Free && t.state != Dead && !t.idle {
			return t
		}
	}
	return nil
}
