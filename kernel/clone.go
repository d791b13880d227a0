package kernel

import (
	"unsafe"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
	"oyako/kernel/mm"
)

// clone(2) flags (include/uapi/linux/sched.h).
const (
	CloneVM            = 0x100
	CloneFS            = 0x200
	CloneFiles         = 0x400
	CloneSighand       = 0x800
	ClonePidfd         = 0x1000
	ClonePtrace        = 0x2000
	CloneVfork         = 0x4000
	CloneParent        = 0x8000
	CloneThread        = 0x10000
	CloneNewns         = 0x20000
	CloneSysvsem       = 0x40000
	CloneSettls        = 0x80000
	CloneParentSettid  = 0x100000
	CloneChildCleartid = 0x200000
	CloneDetached      = 0x400000
	CloneUntraced      = 0x800000
	CloneChildSettid   = 0x1000000
	CloneIO            = 0x80000000
)

// CloneArgs are clone's arguments (struct clone_args, or clone(2)'s).
type CloneArgs struct {
	Flags      uint64
	Stack      uintptr // the new thread's stack pointer (0: the parent's)
	ParentTID  uintptr
	ChildTID   uintptr
	TLS        uintptr
	ExitSignal uint64
}

// Clone creates a thread in t's process (CLONE_THREAD): a new task whose
// user context is t's at the system call, returning 0, on the given stack
// and TLS. Creating processes (fork) is roadmap stage 4.
func (t *Task) Clone(a CloneArgs) (int32, error) {
	f := a.Flags
	if f&CloneThread != 0 && f&CloneSighand == 0 || f&CloneSighand != 0 && f&CloneVM == 0 {
		return 0, linuxerr.EINVAL
	}
	if f&CloneThread == 0 {
		return 0, linuxerr.ENOSYS // fork and vfork: stage 4
	}
	if f&(CloneNewns|ClonePidfd|CloneVfork) != 0 {
		return 0, linuxerr.EINVAL
	}
	p := t.Proc
	tid := allocPID()
	nt, err := newTask(p, tid)
	if err != nil {
		return 0, err
	}
	// The child starts with the parent's registers and vector state.
	fpu := nt.uc.Frame.FPU
	nt.uc.Frame = t.uc.Frame
	nt.uc.Frame.FPU = fpu
	src := unsafe.Slice((*byte)(amd64.Ptr(t.uc.Frame.FPU)), mm.PageSize)
	copy(unsafe.Slice((*byte)(amd64.Ptr(fpu)), mm.PageSize), src)
	r := &nt.uc.Frame.Regs
	r.Rax = 0
	if a.Stack != 0 {
		r.Rsp = uint64(a.Stack)
	}
	if f&CloneSettls != 0 {
		nt.uc.Frame.FSBase = uint64(a.TLS)
	}
	nt.SigMask = t.SigMask
	nt.Strace = t.Strace
	if f&CloneChildCleartid != 0 {
		nt.ClearChildTID = a.ChildTID
	}
	if f&CloneChildSettid != 0 {
		if err := putTID(t, a.ChildTID, tid); err != nil {
			mm.FreeFrame(nt.fpuPA)
			return 0, err
		}
	}
	if f&CloneParentSettid != 0 {
		if err := putTID(t, a.ParentTID, tid); err != nil {
			mm.FreeFrame(nt.fpuPA)
			return 0, err
		}
	}
	p.mu.Lock()
	if p.exiting {
		p.mu.Unlock()
		mm.FreeFrame(nt.fpuPA)
		return 0, linuxerr.EINTR
	}
	p.tasks[tid] = nt
	p.mu.Unlock()
	procMu.Lock()
	tasks[tid] = nt
	procMu.Unlock()
	go nt.run()
	return tid, nil
}

func putTID(t *Task, addr uintptr, tid int32) error {
	b := []byte{byte(tid), byte(tid >> 8), byte(tid >> 16), byte(tid >> 24)}
	return t.CopyOut(addr, b)
}

// Threads returns the number of tasks in the process.
func (p *Process) Threads() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.tasks)
}

// TaskByTID returns a live task.
func TaskByTID(tid int32) *Task {
	procMu.Lock()
	defer procMu.Unlock()
	return tasks[tid]
}
