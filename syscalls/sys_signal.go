package syscalls

import (
	"encoding/binary"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/task"
	"oyako/signals"
)

// sigsetSize is sizeof(sigset_t) in the kernel ABI: 64 signals.
const sigsetSize = 8

// sysRtSigaction implements rt_sigaction(2).
func sysRtSigaction(t *task.Task, a *Args) (uintptr, error) {
	sig, act, oact := int(a[0]), a[1], a[2]
	if a[3] != sigsetSize || sig < 1 || sig > signals.SIGRTMAX {
		return 0, linuxerr.EINVAL
	}
	var newAct *signals.Sigaction
	if act != 0 {
		var b [32]byte
		if err := t.CopyIn(act, b[:]); err != nil {
			return 0, err
		}
		if sig == signals.SIGKILL || sig == signals.SIGSTOP {
			return 0, linuxerr.EINVAL
		}
		le := binary.LittleEndian
		newAct = &signals.Sigaction{Handler: le.Uint64(b[0:]), Flags: le.Uint64(b[8:]) & signals.UAPIFlags, Restorer: le.Uint64(b[16:]), Mask: le.Uint64(b[24:]) &^ signals.Unblockable}
	}
	old := t.Sigaction(sig, newAct)
	if oact != 0 {
		var b [32]byte
		putU64(b[:], 0, old.Handler)
		putU64(b[:], 8, old.Flags)
		putU64(b[:], 16, old.Restorer)
		putU64(b[:], 24, old.Mask)
		if err := t.CopyOut(oact, b[:]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// sysRtSigprocmask implements rt_sigprocmask(2).
func sysRtSigprocmask(t *task.Task, a *Args) (uintptr, error) {
	how, set, oset := a[0], a[1], a[2]
	if a[3] != sigsetSize {
		return 0, linuxerr.EINVAL
	}
	old := t.SigMask()
	if set != 0 {
		s, err := copyInU64(t, set)
		if err != nil {
			return 0, err
		}
		mask, ok := signals.ApplyMask(old, uint64(how), s)
		if !ok {
			return 0, linuxerr.EINVAL
		}
		t.SetSigMask(mask)
	}
	if oset != 0 {
		return 0, copyOutU64(t, oset, old)
	}
	return 0, nil
}

// sysRtSigpending implements rt_sigpending(2): the pending signals that
// are blocked.
func sysRtSigpending(t *task.Task, a *Args) (uintptr, error) {
	if a[1] > sigsetSize {
		return 0, linuxerr.EINVAL
	}
	var b [8]byte
	putU64(b[:], 0, t.PendingSignals()&t.SigMask())
	return 0, t.CopyOut(a[0], b[:a[1]])
}

// sysRtSigsuspend implements rt_sigsuspend(2): it returns EINTR once a
// handler has run.
func sysRtSigsuspend(t *task.Task, a *Args) (uintptr, error) {
	if a[1] != sigsetSize {
		return 0, linuxerr.EINVAL
	}
	mask, err := copyInU64(t, a[0])
	if err != nil {
		return 0, err
	}
	return 0, t.SigSuspend(mask)
}

// sysPause implements pause(2).
func sysPause(t *task.Task, a *Args) (uintptr, error) { return 0, t.Pause() }

// sysRtSigreturn implements rt_sigreturn(2): the registers come from the
// signal frame, RAX included.
func sysRtSigreturn(t *task.Task, a *Args) (uintptr, error) {
	t.Sigreturn()
	return uintptr(t.Regs().Rax), nil
}

// sysRtSigtimedwait implements rt_sigtimedwait(2): it takes a signal of
// set that is pending (blocked or not), waiting for one up to the
// timeout; EAGAIN when it expires, EINTR when another signal's handler
// runs.
func sysRtSigtimedwait(t *task.Task, a *Args) (uintptr, error) {
	if a[3] != sigsetSize {
		return 0, linuxerr.EINVAL
	}
	set, err := copyInU64(t, a[0])
	if err != nil {
		return 0, err
	}
	var deadline time.Time
	if a[2] != 0 {
		sec, nsec, err := readTimespec(t, a[2])
		if err != nil {
			return 0, err
		}
		deadline = time.Now().Add(time.Duration(sec)*time.Second + time.Duration(nsec))
	}
	sig, info, err := t.SigTimedWait(set&^signals.Unblockable, deadline, a[2] != 0)
	if err != nil {
		return 0, err
	}
	if a[1] != 0 {
		if err := t.CopyOut(a[1], info[:]); err != nil {
			return 0, err
		}
	}
	return uintptr(sig), nil
}

// sysSigaltstack implements sigaltstack(2).
func sysSigaltstack(t *task.Task, a *Args) (uintptr, error) {
	var n *signals.StackT
	if a[0] != 0 {
		var b [24]byte
		if err := t.CopyIn(a[0], b[:]); err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		n = &signals.StackT{Sp: le.Uint64(b[0:]), Flags: int32(le.Uint32(b[8:])), Size: le.Uint64(b[16:])}
	}
	old, err := t.SigAltStack(n)
	if err != nil {
		return 0, err
	}
	if a[1] != 0 {
		var b [24]byte
		putU64(b[:], 0, old.Sp)
		putU32(b[:], 8, uint32(old.Flags))
		putU64(b[:], 16, old.Size)
		return 0, t.CopyOut(a[1], b[:])
	}
	return 0, nil
}

// sysKill implements kill(2).
func sysKill(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.Kill(int32(a[0]), int(int32(a[1])))
}

// sysTgkill implements tgkill(2).
func sysTgkill(t *task.Task, a *Args) (uintptr, error) {
	if int32(a[0]) <= 0 {
		return 0, linuxerr.EINVAL
	}
	return 0, t.Tgkill(int32(a[0]), int32(a[1]), int(int32(a[2])))
}

// sysTkill implements tkill(2).
func sysTkill(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.Tgkill(0, int32(a[0]), int(int32(a[1])))
}

// kernelSiginfoSize is sizeof(struct kernel_siginfo): what the kernel
// reads of a siginfo a caller passes (copy_siginfo_from_user); the rest
// of the 128 bytes reads as zeros.
const kernelSiginfoSize = 48

func copyInSiginfo(t *task.Task, addr uintptr) (signals.SigInfo, error) {
	var info signals.SigInfo
	return info, t.CopyIn(addr, info[:kernelSiginfoSize])
}

// sysRtSigqueueinfo implements rt_sigqueueinfo(2): a signal with a
// siginfo of the caller's (sigqueue(3) sends SI_QUEUE and a value).
func sysRtSigqueueinfo(t *task.Task, a *Args) (uintptr, error) {
	info, err := copyInSiginfo(t, a[2])
	if err != nil {
		return 0, err
	}
	return 0, t.SigQueue(int32(a[0]), 0, int(int32(a[1])), info)
}

// sysRtTgsigqueueinfo implements rt_tgsigqueueinfo(2): the same to one
// thread.
func sysRtTgsigqueueinfo(t *task.Task, a *Args) (uintptr, error) {
	info, err := copyInSiginfo(t, a[3])
	if err != nil {
		return 0, err
	}
	return 0, t.SigQueue(int32(a[0]), int32(a[1]), int(int32(a[2])), info)
}

// sysPidfdOpen implements pidfd_open(2).
func sysPidfdOpen(t *task.Task, a *Args) (uintptr, error) {
	fd, err := t.PidfdOpen(int32(a[0]), uint32(a[1]))
	return uintptr(fd), err
}

// sysPidfdSendSignal implements pidfd_send_signal(2) (without a siginfo
// argument: EINVAL if one is given).
func sysPidfdSendSignal(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if a[2] != 0 {
		return 0, linuxerr.EINVAL
	}
	return 0, t.PidfdSendSignal(f, int(int32(a[1])), uint32(a[3]))
}

// sysSignalfd4 implements signalfd4(2): the size of the mask is checked,
// then the mask read, then the flags and the descriptor (do_signalfd4).
func sysSignalfd4(t *task.Task, a *Args) (uintptr, error) {
	return signalfd(t, int32(a[0]), a[1], a[2], uint32(a[3]))
}

// sysSignalfd implements signalfd(2): signalfd4 without flags.
func sysSignalfd(t *task.Task, a *Args) (uintptr, error) {
	return signalfd(t, int32(a[0]), a[1], a[2], 0)
}

func signalfd(t *task.Task, fd int32, maskAddr, size uintptr, flags uint32) (uintptr, error) {
	if size != sigsetSize {
		return 0, linuxerr.EINVAL
	}
	mask, err := copyInU64(t, maskAddr)
	if err != nil {
		return 0, err
	}
	nfd, err := t.Signalfd(fd, mask, flags)
	return uintptr(nfd), err
}
