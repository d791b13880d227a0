package kernel

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/arch/x86/x86asm"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
	"oyako/kernel/klog"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/signals"
)

// Task is a user thread: a goroutine running the loop
//
//	for { ev := RunUser(&t.uc); handle ev }
//
// with its user context, its process, and the per-thread state Linux keeps
// in task_struct.
type Task struct {
	TID  int32
	Proc *Process

	uc    UserContext
	fpuPA uint64

	// Per-thread state set by system calls.
	ClearChildTID uintptr // set_tid_address / CLONE_CHILD_CLEARTID
	RobustList    uintptr
	RobustLen     uint64
	Rseq          uintptr
	RseqLen       uint32
	RseqSig       uint32
	SigMask       uint64
	AltStack      [3]uint64

	// Strace makes the syscall layer print this task's system calls.
	Strace bool

	// SyscallArgs holds the current system call's arguments for the
	// syscall layer, so that handing them to a handler by pointer does
	// not allocate on every call.
	SyscallArgs [6]uintptr

	// interrupted is closed to wake the task from any blocking wait
	// (exit_group, and signals in stage 7).
	intrMu      sync.Mutex
	interrupted chan struct{}
	exiting     atomic.Bool
	exitCode    int
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
	pa, err := mm.AllocZeroedFrame()
	if err != mm.OK {
		return nil, linuxerr.ENOMEM
	}
	t := &Task{TID: tid, Proc: p, fpuPA: pa, interrupted: make(chan struct{})}
	t.resetFPU()
	t.uc.Frame.FPU = mm.PhysToVirt(pa)
	return t, nil
}

func (t *Task) resetFPU() {
	area := (*[mm.PageSize]byte)(amd64.Ptr(mm.PhysToVirt(t.fpuPA)))
	clear(area[:])
	area[0], area[1] = 0x7f, 0x03                // FCW
	area[24], area[25] = 0x80, 0x1f              // MXCSR
	area[28], area[29], area[30] = 0xff, 0xff, 0 // MXCSR_MASK (ignored on restore)
}

// PID implements fs.Ctx.
func (t *Task) PID() int32 { return t.Proc.PID }

// CopyIn implements fs.Ctx: from the task's address space.
func (t *Task) CopyIn(addr uintptr, dst []byte) error { return t.Proc.AS().CopyIn(addr, dst) }

// CopyOut implements fs.Ctx.
func (t *Task) CopyOut(addr uintptr, src []byte) error { return t.Proc.AS().CopyOut(addr, src) }

// CopyInString reads a NUL-terminated string from user memory.
func (t *Task) CopyInString(addr uintptr, max int) (string, error) {
	return t.Proc.AS().CopyInString(addr, max)
}

// Block implements fs.Ctx: it waits for ready, or returns EINTR when the
// task is interrupted.
func (t *Task) Block(ready <-chan struct{}) error {
	t.intrMu.Lock()
	intr := t.interrupted
	t.intrMu.Unlock()
	select {
	case <-ready:
		return nil
	case <-intr:
		return linuxerr.EINTR
	}
}

// Interrupted returns a channel closed when the task must stop waiting.
func (t *Task) Interrupted() <-chan struct{} {
	t.intrMu.Lock()
	defer t.intrMu.Unlock()
	return t.interrupted
}

// interrupt wakes the task from blocking waits and brings it back from
// user mode.
func (t *Task) interrupt() {
	t.intrMu.Lock()
	select {
	case <-t.interrupted:
	default:
		close(t.interrupted)
	}
	t.intrMu.Unlock()
	t.uc.Kick()
}

// CPUNanos is the CPU time the task has spent in user mode (and in the
// interrupts taken there).
func (t *Task) CPUNanos() int64 { return ktime.TicksToNanos(atomic.LoadUint64(&t.uc.cpuTicks)) }

// CPUNanos is the CPU time of the process's tasks, live and exited.
func (p *Process) CPUNanos() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.exitedCPU
	for _, t := range p.tasks {
		n += t.CPUNanos()
	}
	return n
}

// Exiting reports whether the task has been told to exit.
func (t *Task) Exiting() bool { return t.exiting.Load() }

// run is the task's goroutine.
func (t *Task) run() {
	defer t.finish()
	for !t.exiting.Load() {
		ev, addr := RunUser(&t.uc, t.Proc.AS().Root())
		switch ev {
		case EventSyscall:
			SyscallHandler(t)
		case EventKick, EventBadFrame:
			if ev == EventBadFrame {
				t.fault(signals.SIGSEGV, "cannot return to a non-canonical address", 0)
			}
		case amd64.VectorPF:
			ec := t.uc.Frame.Regs.OrigRax
			if err := t.Proc.AS().Fault(uintptr(addr), ec&pfWrite != 0, ec&pfInstr != 0); err != nil {
				t.fault(signals.SIGSEGV, "page fault", addr)
			}
		case amd64.VectorDE, amd64.VectorMF, amd64.VectorXM:
			t.fault(signals.SIGFPE, amd64.VectorName(ev), 0)
		case amd64.VectorUD:
			t.fault(signals.SIGILL, amd64.VectorName(ev), 0)
		case amd64.VectorBP, amd64.VectorDB:
			t.fault(signals.SIGTRAP, amd64.VectorName(ev), 0)
		case amd64.VectorAC:
			t.fault(signals.SIGBUS, amd64.VectorName(ev), 0)
		default:
			t.fault(signals.SIGSEGV, amd64.VectorName(ev), addr)
		}
	}
}

// fault kills the task's process with signal sig after a fault, reporting
// the faulting instruction (signal delivery to handlers is stage 7).
func (t *Task) fault(sig int, what string, addr uint64) {
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
	report := fmt.Sprintf("pid %d (%s) killed by signal %d (%s): %s at RIP %#x, CR2 %#x, error code %#x: %s",
		t.Proc.PID, t.Proc.Name(), sig, signals.Name(sig), what, r.Rip, addr, r.OrigRax, inst)
	if t.uc.Frame.Vector != amd64.VectorPF {
		report = fmt.Sprintf("pid %d (%s) killed by signal %d (%s): %s at RIP %#x, error code %#x: %s",
			t.Proc.PID, t.Proc.Name(), sig, signals.Name(sig), what, r.Rip, r.OrigRax, inst)
	}
	klog.Log("oyako: " + report)
	klog.SideLine("oyako-fault " + report)
	t.Proc.exitGroup(sig) // killed by sig: the wait status is the signal number
}

// Exit ends the task with exit(2) semantics: status is the low byte of code.
func (t *Task) Exit(code int) {
	t.exitCode = code
	t.exiting.Store(true)
}

// ExitGroup ends every task of the process (exit_group(2)).
func (t *Task) ExitGroup(code int) {
	t.Proc.exitGroup((code & 0xff) << 8)
}

// finish runs when the task's goroutine ends: CLONE_CHILD_CLEARTID, and
// the process's end if it was the last task.
func (t *Task) finish() {
	p := t.Proc
	if t.ClearChildTID != 0 {
		// Linux's mm_release: write 0 and wake a futex waiter, so that
		// pthread_join returns. Errors are ignored, as there.
		var zero [4]byte
		if t.CopyOut(t.ClearChildTID, zero[:]) == nil {
			FutexWake(t, t.ClearChildTID, 1)
		}
	}
	procMu.Lock()
	delete(tasks, t.TID)
	procMu.Unlock()
	p.mu.Lock()
	p.exitedCPU += t.CPUNanos()
	delete(p.tasks, t.TID)
	last := len(p.tasks) == 0
	if last && !p.exiting {
		p.exiting = true
		p.exitStatus = (t.exitCode & 0xff) << 8
	}
	p.mu.Unlock()
	mm.FreeFrame(t.fpuPA)
	t.fpuPA = 0
	if last {
		p.release()
	}
}

// exitGroup makes every task of p exit with wait status status (first
// caller wins).
func (p *Process) exitGroup(status int) {
	p.mu.Lock()
	if !p.exiting {
		p.exiting = true
		p.exitStatus = status
	}
	var ts []*Task
	for _, t := range p.tasks {
		ts = append(ts, t)
	}
	p.mu.Unlock()
	for _, t := range ts {
		t.exiting.Store(true)
		t.interrupt()
	}
}

// release frees what the process holds once its last task ended.
func (p *Process) release() {
	p.fds.CloseAll()
	if as := p.as.Swap(nil); as != nil {
		as.DecRef(dropAddressSpace)
	}
	procMu.Lock()
	delete(procs, p.PID)
	procMu.Unlock()
	close(p.done)
}
