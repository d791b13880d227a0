package task

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/mm"
	"oyako/signals"
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
	CloneNewcgroup     = 0x2000000
	CloneNewuts        = 0x4000000
	CloneNewipc        = 0x8000000
	CloneNewuser       = 0x10000000
	CloneNewpid        = 0x20000000
	CloneNewnet        = 0x40000000
	CloneIO            = 0x80000000
	// clone3 only.
	CloneClearSighand = 0x100000000
	CloneIntoCgroup   = 0x200000000
	CloneNewtime      = 0x80

	// cloneNamespaces are the flags that create namespaces, which oyako
	// does not have.
	cloneNamespaces = CloneNewns | CloneNewcgroup | CloneNewuts | CloneNewipc | CloneNewuser | CloneNewpid | CloneNewnet | CloneNewtime
)

// CloneArgs are clone's arguments (struct clone_args, or clone(2)'s).
type CloneArgs struct {
	Flags      uint64
	Stack      uintptr // the new thread's stack pointer (0: the parent's)
	ParentTID  uintptr
	ChildTID   uintptr
	TLS        uintptr
	Pidfd      uintptr // where CLONE_PIDFD stores the descriptor
	ExitSignal uint64
}

// Clone creates a thread (CLONE_THREAD) or a process (copy_process): the
// child resumes from the same system call with RAX 0, on the given stack
// and TLS. What the child shares with the caller (memory, descriptors,
// working directory, signal actions) follows the flags; what it does not
// share it gets a copy of (memory copy-on-write). With CLONE_VFORK the
// caller sleeps until the child execs or exits. It returns the child's ID.
func (t *Task) Clone(a CloneArgs) (int32, error) {
	f := a.Flags
	switch {
	case f&cloneNamespaces != 0:
		return 0, linuxerr.EINVAL // namespaces are not supported
	case f&CloneIntoCgroup != 0:
		return 0, linuxerr.EINVAL
	case f&CloneThread != 0 && f&CloneSighand == 0, f&CloneSighand != 0 && f&CloneVM == 0:
		return 0, linuxerr.EINVAL
	case f&CloneClearSighand != 0 && f&CloneSighand != 0:
		return 0, linuxerr.EINVAL
	case f&CloneParent != 0 && t.Proc.PID == 1:
		return 0, linuxerr.EINVAL // init has no siblings (SIGNAL_UNKILLABLE)
	case f&ClonePidfd != 0 && f&(CloneThread|CloneDetached) != 0:
		return 0, linuxerr.EINVAL
	case a.ExitSignal > signals.SIGRTMAX:
		return 0, linuxerr.EINVAL
	}
	p := t.Proc
	p.mu.Lock()
	exiting := p.sig.exiting
	creds := p.creds
	nproc := p.rlimits[rlimitNproc][0]
	p.mu.Unlock()
	if exiting {
		return 0, linuxerr.EINTR
	}
	procMu.Lock()
	full := len(tasks) >= maxTasks || creds.EUID != 0 && uint64(countProcsLocked(creds.RUID)) >= nproc
	procMu.Unlock()
	if full {
		return 0, linuxerr.EAGAIN
	}

	var np *Process
	if f&CloneThread == 0 {
		var err error
		if np, err = t.copyProcess(f, a.ExitSignal); err != nil {
			return 0, err
		}
	} else {
		np = p
	}
	nt, err := newTask(np, 0)
	if err != nil {
		if np != p {
			np.discard()
		}
		return 0, err
	}
	// The child starts with the caller's registers and vector state.
	fpu := nt.uc.Frame.FPU
	nt.uc.Frame = t.uc.Frame
	nt.uc.Frame.FPU = fpu
	copy(nt.fpuArea()[:], t.syncedFPUArea()[:])
	r := &nt.uc.Frame.Regs
	r.Rax = 0
	if a.Stack != 0 {
		r.Rsp = uint64(a.Stack)
	}
	if f&CloneSettls != 0 {
		nt.uc.Frame.FSBase = uint64(a.TLS)
	}
	p.mu.Lock()
	nt.sigMask = t.sigMask
	nt.comm = t.comm
	if f&(CloneVM|CloneVfork) != CloneVM {
		nt.altStack = t.altStack // threads start without one (sas_ss_reset)
	}
	p.mu.Unlock()
	nt.Strace = t.Strace
	nt.nice.Store(t.Nice())
	if f&CloneChildCleartid != 0 {
		nt.ClearChildTID = a.ChildTID
	}

	// Give the child its ID and link it in.
	procMu.Lock()
	tid, ok := allocPIDLocked()
	if !ok {
		procMu.Unlock()
		mm.FreeFrame(nt.fpuPA)
		if np != p {
			np.discard()
		}
		return 0, linuxerr.EAGAIN
	}
	nt.TID = tid
	if np != p {
		np.PID = tid
		np.pgid, np.sid = p.pgid, p.sid
		np.tty = p.tty
		np.parent = p
		if f&CloneParent != 0 {
			np.parent = p.parent
			np.exitSignal = p.exitSignal
		}
		if np.parent != nil {
			np.parent.children = append(np.parent.children, np)
		}
		np.joinGroupsLocked()
		procs[tid] = np
	}
	np.mu.Lock()
	if np.sig.exiting {
		// The caller's group is ending: no new thread.
		np.mu.Unlock()
		procMu.Unlock()
		mm.FreeFrame(nt.fpuPA)
		return 0, linuxerr.EINTR
	}
	np.tasks[tid] = nt
	np.mu.Unlock()
	addTaskLocked(nt)
	procMu.Unlock()

	if f&CloneChildSettid != 0 {
		// Written into the child's memory, as schedule_tail does.
		putTID(np.AS(), a.ChildTID, tid)
	}
	if f&CloneParentSettid != 0 {
		putTID(p.AS(), a.ParentTID, tid)
	}
	if f&ClonePidfd != 0 {
		if err := t.installPidfd(np, a.Pidfd); err != nil {
			// The child exists already; Linux would not have created
			// it. Let it go as if killed before it ran.
			np.exitGroup(signals.SIGKILL)
		}
	}
	var vfork chan struct{}
	if f&CloneVfork != 0 {
		vfork = make(chan struct{})
		np.mu.Lock()
		nt.vforkDone = vfork
		np.mu.Unlock()
	}
	totalForks.Add(1)
	go nt.run()
	if vfork != nil {
		t.waitVfork(vfork)
	}
	return tid, nil
}

// copyProcess makes the new process of a fork-style clone: its memory,
// descriptors, file-system context and signal actions, shared or copied
// as the flags say; the rest (credentials, limits, name) copied.
func (t *Task) copyProcess(f, exitSignal uint64) (*Process, error) {
	p := t.Proc
	np := newProcess(0)
	np.exitSignal = int(exitSignal)
	as := p.AS()
	if f&CloneVM != 0 {
		as.IncRef()
	} else {
		var err error
		if as, err = as.Fork(); err != nil {
			return nil, linuxerr.ENOMEM
		}
	}
	np.as.Store(as)
	p.mu.Lock()
	defer p.mu.Unlock()
	if f&CloneFiles != 0 {
		p.files.refs.Add(1)
		np.setFiles(p.files)
	} else {
		np.setFiles(newSharedFiles(p.files.t.Fork()))
	}
	if f&CloneFS != 0 {
		np.fsctx = p.fsctx
	} else {
		np.fsctx = p.fsctx.clone()
	}
	if f&CloneSighand != 0 {
		np.sighand = p.sighand
		np.sighand.shared.Store(true)
	} else {
		np.sighand = p.sighand.copy()
		if f&CloneClearSighand != 0 {
			for i := range np.sighand.actions {
				if np.sighand.actions[i].Handler != signals.SIG_IGN {
					np.sighand.actions[i] = signals.Sigaction{}
				}
			}
		}
	}
	np.creds = p.creds
	np.creds.Groups = append([]uint32(nil), p.creds.Groups...)
	np.rlimits = p.rlimits
	np.exe = p.exe
	np.argStart, np.argEnd, np.envStart, np.envEnd = p.argStart, p.argEnd, p.envStart, p.envEnd
	np.name = t.comm // the child's only thread is named as the caller
	return np, nil
}

// discard undoes copyProcess for a process that never ran.
func (np *Process) discard() {
	if as := np.as.Swap(nil); as != nil {
		as.DecRef(dropAddressSpace)
	}
	np.files.put()
}

// waitVfork sleeps until the vfork child releases the memory (exec or
// exit), or the caller is killed (wait_for_vfork_done is killable only:
// other signals wait until it returns).
func (t *Task) waitVfork(done chan struct{}) {
	p := t.Proc
	for {
		p.mu.Lock()
		if t.exiting {
			p.mu.Unlock()
			return
		}
		wake := t.wake
		p.mu.Unlock()
		t.BeginSleep(false) // TASK_KILLABLE
		select {
		case <-done:
			t.EndSleep()
			return
		case <-wake:
		}
		t.EndSleep()
	}
}

// countProcsLocked counts the live processes of a user (RLIMIT_NPROC).
func countProcsLocked(uid uint32) int {
	n := 0
	for _, q := range procs {
		if q.state != procAlive {
			continue
		}
		q.mu.Lock()
		if q.creds.RUID == uid {
			n++
		}
		q.mu.Unlock()
	}
	return n
}

func putTID(as *mm.AddressSpace, addr uintptr, tid int32) error {
	b := []byte{byte(tid), byte(tid >> 8), byte(tid >> 16), byte(tid >> 24)}
	return as.CopyOut(addr, b)
}
