package task

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/signals"
)

// NewIOThread returns a task that does kernel work on behalf of p:
// io_uring's SQ thread and its asynchronous workers, Linux's
// PF_IO_WORKER threads (create_io_thread). It shares p's memory, files,
// working directory and credentials, so that system-call code run with it
// acts as p. It is not one of p's threads (/proc and signals do not see
// it), never runs user code, and takes no signals: a wait of its ends only
// when what it waits for happens or when Cancel is called.
func NewIOThread(p *Process) *Task {
	return &Task{TID: p.PID, Proc: p, wake: make(chan struct{}), altStack: signals.NoAltStack,
		start: ktime.Now(), io: true, sigMask: ^uint64(0)}
}

// IsIOThread reports whether t is an I/O thread (NewIOThread).
func (t *Task) IsIOThread() bool { return t.io }

// Cancel interrupts the I/O thread's current wait and every later one:
// they fail with ECANCELED, as io-wq's cancellation (io_wq_cancel_cb) and
// the teardown of its ring end a request that waits.
func (t *Task) Cancel() {
	p := t.Proc
	p.mu.Lock()
	defer p.mu.Unlock()
	if !t.exiting {
		t.exiting = true
		t.wakeLocked()
	}
}

// SetNoWait makes the task's waits fail at once with EAGAIN instead of
// sleeping (on) or sleep again (off): how io_uring first issues a request
// inline, as Linux issues it with IOCB_NOWAIT / MSG_DONTWAIT, and goes
// asynchronous only when it would have waited. WouldBlock reports whether
// a wait was refused since the last SetNoWait(true).
func (t *Task) SetNoWait(on bool) {
	t.noWait = on
	if on {
		t.wouldBlock = false
	}
}

// WouldBlock reports whether a wait was refused under SetNoWait.
func (t *Task) WouldBlock() bool { return t.wouldBlock }

// refuseWait is Block's answer under SetNoWait.
func (t *Task) refuseWait() error {
	t.wouldBlock = true
	return linuxerr.EAGAIN
}

// ReadableFast reports whether n bytes at addr are mapped readable now
// (mm.AddressSpace.ReadableFast), for a caller that only needs to know
// that CopyIn would succeed: false is no answer (the page may just need
// faulting in) and the caller then copies. The page tables of an address
// space are freed only with it, and a thread of the process in a system
// call holds it, so the walk is safe without its lock; an I/O thread,
// which may outlive the process, holds it for the walk (as ioCopy does).
func (t *Task) ReadableFast(addr uintptr, n int) bool {
	as := t.Proc.AS()
	if as == nil {
		return false
	}
	if !t.io {
		return as.ReadableFast(addr, n)
	}
	if !as.TryIncRef() {
		return false
	}
	ok := as.ReadableFast(addr, n)
	as.DecRef(dropAddressSpace)
	return ok
}

// ioCopy runs copy on the process's address space for an I/O thread,
// which, unlike the process's own threads, can outlive it or see it
// exec: EFAULT once the process has no memory (it exited).
func (t *Task) ioCopy(copy func(as *mm.AddressSpace) error) error {
	as := t.Proc.AS()
	if as == nil || !as.TryIncRef() {
		return linuxerr.EFAULT
	}
	defer as.DecRef(dropAddressSpace)
	return copy(as)
}

// ImageEnd runs when a process's program image ends: at execve's point
// of no return and when its last thread exits. io_uring cancels there the
// requests the process submitted (io_uring_task_cancel,
// io_uring_files_cancel), so that none acts on the next image or on a
// process that is gone. Set at initialization.
var ImageEnd []func(p *Process)

func (p *Process) imageEnd() {
	for _, fn := range ImageEnd {
		fn(p)
	}
}

// RingFdsMax is the number of io_uring descriptors a thread may register
// (IO_RINGFD_REG_MAX).
const RingFdsMax = 16

// RegisteredRings are the thread's registered io_uring files
// (IORING_REGISTER_RING_FDS, tctx->registered_rings): only its own
// goroutine touches them. They are dropped when the thread exits or
// execs.
func (t *Task) RegisteredRings() *[RingFdsMax]*fs.File { return &t.ringFds }

func (t *Task) dropRegisteredRings() {
	for i, f := range t.ringFds {
		if f != nil {
			f.DecRef()
			t.ringFds[i] = nil
		}
	}
}
