package syscalls

import (
	"encoding/binary"
	"runtime"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/task"
	"oyako/signals"
)

// sysClone implements clone(2) (x86-64 argument order: flags, stack,
// parent_tid, child_tid, tls; the exit signal is the low byte of flags).
// With CLONE_PIDFD the pidfd is stored at parent_tid, so CLONE_PARENT_SETTID
// cannot go with it.
func sysClone(t *task.Task, a *Args) (uintptr, error) {
	flags := uint64(uint32(a[0]))
	if flags&task.ClonePidfd != 0 && flags&task.CloneParentSettid != 0 {
		return 0, linuxerr.EINVAL
	}
	tid, err := t.Clone(task.CloneArgs{Flags: flags &^ 0xff, Stack: a[1], ParentTID: a[2], ChildTID: a[3], TLS: a[4], Pidfd: a[2], ExitSignal: flags & 0xff})
	return uintptr(tid), err
}

// sysFork implements fork(2).
func sysFork(t *task.Task, a *Args) (uintptr, error) {
	tid, err := t.Clone(task.CloneArgs{ExitSignal: signals.SIGCHLD})
	return uintptr(tid), err
}

// sysVfork implements vfork(2): the child shares the memory and the
// caller sleeps until the child execs or exits.
func sysVfork(t *task.Task, a *Args) (uintptr, error) {
	tid, err := t.Clone(task.CloneArgs{Flags: task.CloneVM | task.CloneVfork, ExitSignal: signals.SIGCHLD})
	return uintptr(tid), err
}

// sysClone3 implements clone3(2).
func sysClone3(t *task.Task, a *Args) (uintptr, error) {
	const (
		cloneArgsSizeVer0 = 64
		maxSize           = 4096
	)
	size := a[1]
	if size < cloneArgsSizeVer0 {
		return 0, linuxerr.EINVAL
	}
	if size > maxSize {
		return 0, linuxerr.E2BIG
	}
	b := make([]byte, size)
	if err := t.CopyIn(a[0], b); err != nil {
		return 0, err
	}
	if size > 88 {
		for _, c := range b[88:] { // fields past those known must be zero
			if c != 0 {
				return 0, linuxerr.E2BIG
			}
		}
	}
	le := binary.LittleEndian
	flags, pidfd, childTID, parentTID := le.Uint64(b[0:]), le.Uint64(b[8:]), le.Uint64(b[16:]), le.Uint64(b[24:])
	exitSignal, stack, stackSize, tls := le.Uint64(b[32:]), le.Uint64(b[40:]), le.Uint64(b[48:]), le.Uint64(b[56:])
	// copy_clone_args_from_user's checks.
	if flags&0xff != 0 || exitSignal&^0xff != 0 || exitSignal > signals.SIGRTMAX {
		return 0, linuxerr.EINVAL
	}
	if size >= 80 && (le.Uint64(b[64:]) != 0 || le.Uint64(b[72:]) != 0) { // set_tid, set_tid_size
		return 0, linuxerr.EINVAL
	}
	if size >= 88 && le.Uint64(b[80:]) != 0 && flags&task.CloneIntoCgroup == 0 {
		return 0, linuxerr.EINVAL
	}
	// clone3_args_valid.
	if flags&task.CloneDetached != 0 || flags&(task.CloneThread|task.CloneParent) != 0 && exitSignal != 0 {
		return 0, linuxerr.EINVAL
	}
	if (stack == 0) != (stackSize == 0) {
		return 0, linuxerr.EINVAL
	}
	sp := uintptr(0)
	if stack != 0 {
		sp = uintptr(stack + stackSize)
	}
	tid, err := t.Clone(task.CloneArgs{Flags: flags, Stack: sp, ParentTID: uintptr(parentTID), ChildTID: uintptr(childTID), TLS: uintptr(tls), Pidfd: uintptr(pidfd), ExitSignal: exitSignal})
	return uintptr(tid), err
}

// sysExit implements exit(2): the calling thread ends.
func sysExit(t *task.Task, a *Args) (uintptr, error) {
	t.Exit(int(a[0]))
	return 0, errNoReturn
}

// sysExitGroup implements exit_group(2).
func sysExitGroup(t *task.Task, a *Args) (uintptr, error) {
	t.ExitGroup(int(a[0]))
	return 0, errNoReturn
}

// sysSetTidAddress implements set_tid_address(2).
func sysSetTidAddress(t *task.Task, a *Args) (uintptr, error) {
	t.ClearChildTID = a[0]
	return uintptr(t.TID), nil
}

// sysSetRobustList implements set_robust_list(2): the list is recorded
// (walking it at thread exit, for robust mutexes, is not implemented).
func sysSetRobustList(t *task.Task, a *Args) (uintptr, error) {
	const robustListHeadSize = 24
	if a[1] != robustListHeadSize {
		return 0, linuxerr.EINVAL
	}
	t.RobustList, t.RobustLen = a[0], uint64(a[1])
	return 0, nil
}

// sysGetRobustList implements get_robust_list(2) for the calling thread
// or another in the system.
func sysGetRobustList(t *task.Task, a *Args) (uintptr, error) {
	target := t
	if int32(a[0]) != 0 {
		if target = task.TaskByTID(int32(a[0])); target == nil {
			return 0, linuxerr.ESRCH
		}
	}
	if err := copyOutU64(t, a[1], uint64(target.RobustList)); err != nil {
		return 0, err
	}
	return 0, copyOutU64(t, a[2], target.RobustLen)
}

// rseq(2) constants (include/uapi/linux/rseq.h).
const (
	rseqFlagUnregister = 1
	rseqMinLen         = 32
	rseqCPUIDStart     = 0
	rseqCPUID          = 4
)

// sysRseq implements rseq(2) registration: the kernel fills in the CPU
// number fields (always CPU 0 here). Restarting critical sections
// (rseq_cs) on preemption is not implemented: programs that use them
// directly (not glibc) would not see aborts.
func sysRseq(t *task.Task, a *Args) (uintptr, error) {
	addr, length, flags, sig := a[0], uint32(a[1]), uint32(a[2]), uint32(a[3])
	if flags&^rseqFlagUnregister != 0 {
		return 0, linuxerr.EINVAL
	}
	if flags&rseqFlagUnregister != 0 {
		if t.Rseq != addr || t.RseqLen != length {
			return 0, linuxerr.EINVAL
		}
		if t.RseqSig != sig {
			return 0, linuxerr.EPERM
		}
		t.Rseq, t.RseqLen, t.RseqSig = 0, 0, 0
		return 0, nil
	}
	if t.Rseq != 0 {
		if t.Rseq != addr || t.RseqLen != length {
			return 0, linuxerr.EINVAL
		}
		if t.RseqSig != sig {
			return 0, linuxerr.EPERM
		}
		return 0, linuxerr.EBUSY
	}
	if addr&(rseqMinLen-1) != 0 || length < rseqMinLen {
		return 0, linuxerr.EINVAL
	}
	var zero [8]byte // cpu_id_start and cpu_id: CPU 0
	if err := t.CopyOut(addr+rseqCPUIDStart, zero[:]); err != nil {
		return 0, linuxerr.EFAULT
	}
	t.Rseq, t.RseqLen, t.RseqSig = addr, length, sig
	return 0, nil
}

// sysGettid implements gettid(2).
func sysGettid(t *task.Task, a *Args) (uintptr, error) { return uintptr(t.TID), nil }

// sysGetpid implements getpid(2).
func sysGetpid(t *task.Task, a *Args) (uintptr, error) { return uintptr(t.Proc.PID), nil }

// sysGetppid implements getppid(2).
func sysGetppid(t *task.Task, a *Args) (uintptr, error) { return uintptr(t.Proc.PPID()), nil }

// sysSchedYield implements sched_yield(2).
func sysSchedYield(t *task.Task, a *Args) (uintptr, error) {
	runtime.Gosched()
	return 0, nil
}
