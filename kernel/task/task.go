package task

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
	"oyako/fs"
	"oyako/kernel"
	"oyako/kernel/klog"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/signals"
)

// Task is a user thread: a goroutine running the loop
//
//	for { handle signals; ev := kernel.RunUser(&t.uc); handle ev }
//
// with its user context, its process, and the per-thread state Linux keeps
// in task_struct.
type Task struct {
	TID  int32
	Proc *Process

	uc    kernel.UserContext
	fpuPA uint64

	// Per-thread state set by system calls.
	nice          atomic.Int32 // setpriority(2) (priority.go)
	ClearChildTID uintptr      // set_tid_address / CLONE_CHILD_CLEARTID
	RobustList    uintptr
	RobustLen     uint64
	Rseq          uintptr
	RseqLen       uint32
	RseqSig       uint32

	// Strace makes the syscall layer print this task's system calls.
	Strace bool

	// SyscallText is the system call in progress as -strace shows it at
	// entry, when DebugSyscalls is set (for the gdb helpers); "" outside
	// calls.
	SyscallText string

	// SyscallArgs holds the current system call's arguments for the
	// syscall layer, so that handing them to a handler by pointer does
	// not allocate on every call.
	SyscallArgs [6]uintptr

	// Signal state, under Proc.mu.
	sigMask uint64
	// realBlocked is the mask rt_sigtimedwait lifted while it waits.
	realBlocked uint64
	pending     signals.Queue
	altStack    signals.AltStack
	// savedMask is the mask to restore after a handler interrupts a call
	// that replaced it (rt_sigsuspend, ppoll, epoll_pwait); hasSaved says
	// whether it is set (TIF_RESTORE_SIGMASK).
	savedMask uint64
	hasSaved  bool
	// wake is closed (and replaced) to make the task look at its signals.
	wake    chan struct{}
	exiting bool // the group is ending, or this thread is
	stopped bool // parked in a group stop

	// inSyscall is set while the task's registers are those of a system
	// call (for restarting it); faultReport describes the last fault, for
	// the report printed if its signal kills the process.
	inSyscall   bool
	faultReport string
	faultSig    int
	// The last exception (thread.error_code, trap_nr, cr2), which a
	// signal frame's sigcontext reports.
	trapErr, trapNo, trapCR2 uint64

	// restart continues a call interrupted with ERESTART_RESTARTBLOCK
	// (restart_syscall(2), the restart block).
	restart func() (uintptr, error)

	exitCode int          // exit(2)'s status for the thread
	stime    atomic.Int64 // sleeps in system calls, ns, negative: SysNanos adds the context's kernel time
	// sigWork says handleSignals has something to look at: set, with
	// Proc.mu held, by whatever gives it work (wakeLocked, Exit, a new
	// task), cleared by handleSignals under Proc.mu before it looks. A
	// mask change that unblocks a pending signal goes through
	// wakeLocked (setMaskLocked).
	sigWork atomic.Bool
	// sleepSince is when the current sleep began (BeginSleep); only the
	// task's own goroutine reads and writes it.
	sleepSince int64

	// For /proc: the thread's name (under Proc.mu), the state it sleeps
	// in while it waits in the kernel ('S' or 'D'; 0 while it runs),
	// its page faults and how often it gave up the CPU to wait.
	comm     [16]byte
	start    int64 // monotonic ns at creation
	sleeping atomic.Uint32
	minFlt   atomic.Uint64
	nvcsw    atomic.Uint64

	// io marks an I/O thread (iothread.go); noWait and wouldBlock are
	// SetNoWait's state, used only by the goroutine running the task.
	io         bool
	noWait     bool
	wouldBlock bool
	ringFds    [RingFdsMax]*fs.File

	// vforkDone is closed when this task, made with CLONE_VFORK, execs
	// or exits: its maker sleeps until then (Linux's vfork_done).
	vforkDone chan struct{}

	// For debuggers (debug.go): the live-task list and the goroutine.
	debugNext, debugPrev *Task
	g                    uintptr
}

// SyscallHandler dispatches a task's system call (set by package syscalls,
// which sits above this package).
var SyscallHandler func(t *Task)

// Regs returns the task's user registers.
func (t *Task) Regs() *amd64.PtRegs { return &t.uc.Frame.Regs }

// Frame returns the task's saved user context.
func (t *Task) Frame() *amd64.Frame { return &t.uc.Frame }

// newTask makes a task with a fresh vector-state area in its initial
// state (x87 control word 0x37f, MXCSR 0x1f80: what execve gives).
func newTask(p *Process, tid int32) (*Task, error) {
	pa, err := mm.AllocUserZeroedFrame()
	if err != mm.OK {
		return nil, linuxerr.ENOMEM
	}
	t := &Task{TID: tid, Proc: p, fpuPA: pa, wake: make(chan struct{}), altStack: signals.NoAltStack, start: ktime.Now()}
	t.resetFPU()
	t.uc.Frame.FPU = mm.PhysToVirt(pa)
	t.sigWork.Store(true) // the first return to user mode looks
	return t, nil
}

func (t *Task) fpuArea() *[mm.PageSize]byte {
	return (*[mm.PageSize]byte)(amd64.Ptr(mm.PhysToVirt(t.fpuPA)))
}

// syncedFPUArea returns the vector state save area holding the task's
// whole state (some of it may have been live in the registers only).
func (t *Task) syncedFPUArea() *[mm.PageSize]byte {
	t.uc.SyncFPU()
	return t.fpuArea()
}

func (t *Task) resetFPU() {
	t.uc.DropFPU()
	area := t.fpuArea()
	clear(area[:])
	area[0], area[1] = 0x7f, 0x03                // FCW
	area[24], area[25] = 0x80, 0x1f              // MXCSR
	area[28], area[29], area[30] = 0xff, 0xff, 0 // MXCSR_MASK (ignored on restore)
}

// PID implements fs.Ctx.
func (t *Task) PID() int32 { return t.Proc.PID }

// CopyIn implements fs.Ctx: from the task's address space.
func (t *Task) CopyIn(addr uintptr, dst []byte) error {
	if t.io {
		return t.ioCopy(func(as *mm.AddressSpace) error { return as.CopyIn(addr, dst) })
	}
	return t.Proc.AS().CopyIn(addr, dst)
}

// CopyOut implements fs.Ctx.
func (t *Task) CopyOut(addr uintptr, src []byte) error {
	if t.io {
		return t.ioCopy(func(as *mm.AddressSpace) error { return as.CopyOut(addr, src) })
	}
	return t.Proc.AS().CopyOut(addr, src)
}

// CopyInString reads a NUL-terminated string from user memory.
func (t *Task) CopyInString(addr uintptr, max int) (string, error) {
	if t.io {
		var str string
		err := t.ioCopy(func(as *mm.AddressSpace) (err error) { str, err = as.CopyInString(addr, max); return err })
		return str, err
	}
	return t.Proc.AS().CopyInString(addr, max)
}

// closedChan is always ready.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Interrupted returns a channel that is closed when the task must stop
// waiting: at once if a signal, exit or stop is already pending.
func (t *Task) Interrupted() <-chan struct{} {
	p := t.Proc
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.signalPendingLocked() {
		return closedChan
	}
	return t.wake
}

// Block implements fs.Ctx: it waits for ready, or returns ERESTARTSYS when
// a signal (or an exit or stop) interrupts the wait; the return to user
// mode then turns that into EINTR or a restart of the call, as Linux does.
func (t *Task) Block(ready <-chan struct{}) error {
	select {
	case <-ready:
		return nil
	default:
	}
	if t.noWait {
		return t.refuseWait()
	}
	intr := t.Interrupted()
	t.BeginSleep(true)
	defer t.EndSleep()
	select {
	case <-ready:
		return nil
	case <-intr:
		// What the caller waited for wins over a signal that came at
		// the same time.
		select {
		case <-ready:
			return nil
		default:
		}
		if t.io {
			return linuxerr.ECANCELED
		}
		return linuxerr.ERESTARTSYS
	}
}

// BeginSleep marks the task as waiting in the kernel until EndSleep:
// /proc shows it sleeping, interruptibly (S, TASK_INTERRUPTIBLE) or not
// (D: TASK_UNINTERRUPTIBLE, or killable only), as Linux does while a
// task is off the run queue.
func (t *Task) BeginSleep(interruptible bool) {
	s := uint32('S')
	if !interruptible {
		s = 'D'
	}
	t.sleeping.Store(s)
	t.nvcsw.Add(1)
	t.sleepSince = ktime.Now()
}

// EndSleep marks the task as running again. The time asleep is not
// system CPU time (getrusage, ITIMER_PROF, the CPU-time clocks): the
// whole of a sleeping nanosleep, futex wait or poll counted as such.
func (t *Task) EndSleep() {
	t.sleeping.Store(0)
	t.blocked(t.sleepSince)
}

// ThreadID is the task's thread ID (for /proc/thread-self).
func (t *Task) ThreadID() int32 { return t.TID }

// blocked takes the time spent waiting out of the system time being
// measured for the current call.
func (t *Task) blocked(since int64) { t.stime.Add(-(ktime.Now() - since)) }

// CPUNanos is the CPU time the task has spent in user mode (and in the
// interrupts taken there).
func (t *Task) CPUNanos() int64 { return ktime.TicksToNanos(t.uc.CPUTicks()) }

// SetRestart records how restart_syscall(2) continues an interrupted call.
func (t *Task) SetRestart(fn func() (uintptr, error)) { t.restart = fn }

// Restart implements restart_syscall(2): EINTR if nothing is to continue.
func (t *Task) Restart() (uintptr, error) {
	fn := t.restart
	t.restart = nil
	if fn == nil {
		return 0, linuxerr.EINTR
	}
	return fn()
}

// SysNanos is the CPU time the task has spent in the kernel on its
// behalf (system calls and faults, not counting waits).
func (t *Task) SysNanos() int64 {
	return ktime.TicksToNanos(t.uc.SysTicks()) + t.stime.Load()
}

// Exiting reports whether the task has been told to exit.
func (t *Task) Exiting() bool {
	t.Proc.mu.Lock()
	defer t.Proc.mu.Unlock()
	return t.exiting
}

// FromContext returns the task whose user context uc is (container_of):
// the system call fast path is handed the frame of the context running on
// its CPU.
func FromContext(uc *kernel.UserContext) *Task {
	return (*Task)(unsafe.Add(unsafe.Pointer(uc), -int(unsafe.Offsetof(Task{}.uc))))
}

// run is the task's goroutine.
func (t *Task) run() {
	t.recordG()
	defer t.finish()
	for t.handleSignals() {
		t.uc.SetCPUWatch(t.Proc.cpuTimers.watching.Load())
		ev, addr := kernel.RunUser(&t.uc, t.Proc.AS().Root())
		switch ev {
		case kernel.EventSyscall:
			t.inSyscall = true
			SyscallHandler(t)
		case kernel.EventKick:
		case kernel.EventBadFrame:
			t.badReturn()
		case amd64.VectorPF:
			ec := t.uc.Frame.Regs.OrigRax
			t.minFlt.Add(1)
			if err := t.Proc.AS().Fault(uintptr(addr), ec&amd64.PFWrite != 0, ec&amd64.PFInstr != 0); err != nil {
				// Only a fault that raises a signal is recorded for
				// the frames of later signals (set_signal_archinfo).
				t.trapErr, t.trapNo, t.trapCR2 = ec, ev, addr
				code := int32(signals.SEGV_MAPERR)
				if linuxerr.Equals(linuxerr.EACCES, err) { // a mapping that forbids the access
					code = signals.SEGV_ACCERR
				}
				switch {
				case linuxerr.Equals(linuxerr.ENOMEM, err):
					t.outOfMemory(addr) // oom.go
				case err == mm.ErrBeyondObject:
					t.fault(signals.SIGBUS, signals.BUS_ADRERR, addr, "page fault beyond the end of a mapped file")
				default:
					t.fault(signals.SIGSEGV, code, addr, "page fault")
				}
			}
		case amd64.VectorDE:
			t.trap(ev, signals.SIGFPE, signals.FPE_INTDIV, t.uc.Frame.Regs.Rip)
		case amd64.VectorMF, amd64.VectorXM:
			t.trap(ev, signals.SIGFPE, 0, t.uc.Frame.Regs.Rip)
		case amd64.VectorUD:
			t.trap(ev, signals.SIGILL, signals.ILL_ILLOPN, t.uc.Frame.Regs.Rip)
		case amd64.VectorBP:
			// do_int3_user raises a plain SIGTRAP (force_sig: SI_KERNEL).
			t.trap(ev, signals.SIGTRAP, signals.SI_KERNEL, 0)
		case amd64.VectorDB:
			t.trap(ev, signals.SIGTRAP, signals.TRAP_BRKPT, 0)
		case amd64.VectorAC:
			// exc_alignment_check: BUS_ADRALN without an address.
			t.trap(ev, signals.SIGBUS, signals.BUS_ADRALN, 0)
		case amd64.VectorGP:
			t.trap(ev, signals.SIGSEGV, signals.SI_KERNEL, 0)
		default:
			t.trap(ev, signals.SIGSEGV, signals.SI_KERNEL, addr)
		}
		t.Proc.runCPUTimers(t)
	}
}

// trap raises sig for an exception other than a page fault.
func (t *Task) trap(vector uint64, sig int, code int32, addr uint64) {
	t.trapErr, t.trapNo = t.uc.Frame.Regs.OrigRax, vector
	t.fault(sig, code, addr, amd64.VectorName(vector))
}

// fault forces sig on the task for a fault (force_sig_fault): a handler
// may catch it; if the signal kills the process, the report describing
// the faulting instruction is printed.
func (t *Task) fault(sig int, code int32, addr uint64, what string) {
	t.setFaultReport(sig, what, addr)
	t.Proc.send(signals.FaultInfo(sig, code, addr), t, true)
}

// setFaultReport records the report to print if sig, raised by a fault,
// kills the process.
func (t *Task) setFaultReport(sig int, what string, addr uint64) {
	t.faultReport, t.faultSig = t.describeFault(sig, what, addr), sig
}

func (t *Task) describeFault(sig int, what string, addr uint64) string {
	r := &t.uc.Frame.Regs
	inst := "(code not readable)"
	code := make([]byte, 16)
	n := len(code)
	for n > 0 && t.CopyIn(uintptr(r.Rip), code[:n]) != nil {
		n--
	}
	if n > 0 {
		if in, err := x86asm.Decode(code[:n], 64); err == nil {
			inst = x86asm.IntelSyntax(in, r.Rip, nil)
		} else {
			inst = fmt.Sprintf("undecodable (% x)", code[:min(n, 8)])
		}
	}
	if t.uc.Frame.Vector == amd64.VectorPF {
		return fmt.Sprintf("pid %d (%s) killed by signal %d (%s): %s at RIP %#x, CR2 %#x, error code %#x: %s",
			t.Proc.PID, t.Proc.Name(), sig, signals.Name(sig), what, r.Rip, addr, r.OrigRax, inst)
	}
	return fmt.Sprintf("pid %d (%s) killed by signal %d (%s): %s at RIP %#x, error code %#x: %s",
		t.Proc.PID, t.Proc.Name(), sig, signals.Name(sig), what, r.Rip, r.OrigRax, inst)
}

// reportFault prints the report of the fault whose signal killed the
// process.
func (t *Task) reportFault() {
	if t.faultReport == "" {
		return
	}
	klog.Log("oyako: " + t.faultReport)
	klog.SideLine("oyako-fault " + t.faultReport)
	t.faultReport, t.faultSig = "", 0
}

// Exit ends the task with exit(2) semantics: status is the low byte of code.
func (t *Task) Exit(code int) {
	p := t.Proc
	p.mu.Lock()
	t.exitCode = code
	t.exiting = true
	t.sigWork.Store(true)
	p.mu.Unlock()
}

// ExitGroup ends every task of the process (exit_group(2)).
func (t *Task) ExitGroup(code int) {
	t.Proc.exitGroup((code & 0xff) << 8)
}
