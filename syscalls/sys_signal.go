package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel"
	"oyako/signals"
)

// Signals are recorded here; delivering them to handlers with rt_sigframes
// is roadmap stage 7 (see kernel/signal.go for what sending does now).

// sigsetSize is sizeof(sigset_t) in the kernel ABI: 64 signals.
const sigsetSize = 8

// sysRtSigaction implements rt_sigaction(2).
func sysRtSigaction(t *kernel.Task, a *Args) (uintptr, error) {
	sig, act, oact := int(a[0]), a[1], a[2]
	if a[3] != sigsetSize || sig < 1 || sig > 64 {
		return 0, linuxerr.EINVAL
	}
	var newAct *kernel.Sigaction
	if act != 0 {
		if sig == signals.SIGKILL || sig == signals.SIGSTOP {
			return 0, linuxerr.EINVAL
		}
		var b [32]byte
		if err := t.CopyIn(act, b[:]); err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		newAct = &kernel.Sigaction{Handler: le.Uint64(b[0:]), Flags: le.Uint64(b[8:]) & signals.UAPIFlags, Restorer: le.Uint64(b[16:]), Mask: le.Uint64(b[24:]) &^ signals.Unblockable}
	}
	old := t.Proc.Sigaction(sig, newAct)
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
func sysRtSigprocmask(t *kernel.Task, a *Args) (uintptr, error) {
	how, set, oset := a[0], a[1], a[2]
	if a[3] != sigsetSize {
		return 0, linuxerr.EINVAL
	}
	old := t.SigMask
	if set != 0 {
		s, err := copyInU64(t, set)
		if err != nil {
			return 0, err
		}
		mask, ok := signals.ApplyMask(old, uint64(how), s)
		if !ok {
			return 0, linuxerr.EINVAL
		}
		t.SigMask = mask
	}
	if oset != 0 {
		return 0, copyOutU64(t, oset, old)
	}
	return 0, nil
}

// sysSigaltstack implements sigaltstack(2).
func sysSigaltstack(t *kernel.Task, a *Args) (uintptr, error) {
	const (
		ssOnstack    = 1
		ssDisable    = 2
		ssAutodisarm = 1 << 31
		minSigStksz  = 2048
	)
	old := t.AltStack
	if a[0] != 0 {
		var b [24]byte
		if err := t.CopyIn(a[0], b[:]); err != nil {
			return 0, err
		}
		sp, flags, size := binary.LittleEndian.Uint64(b[0:]), binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint64(b[16:])
		mode := flags &^ ssAutodisarm
		if mode != 0 && mode != ssDisable && mode != ssOnstack {
			return 0, linuxerr.EINVAL
		}
		if mode == ssDisable {
			t.AltStack = [3]uint64{0, ssDisable, 0}
		} else {
			if size < minSigStksz {
				return 0, linuxerr.ENOMEM
			}
			t.AltStack = [3]uint64{sp, uint64(flags), size}
		}
	}
	if a[1] != 0 {
		var b [24]byte
		if old == [3]uint64{} {
			old[1] = ssDisable
		}
		putU64(b[:], 0, old[0])
		putU32(b[:], 8, uint32(old[1]))
		putU64(b[:], 16, old[2])
		return 0, t.CopyOut(a[1], b[:])
	}
	return 0, nil
}

// sendSignal delivers what stage 2 can of sig to process pid.
func signalProcess(t *kernel.Task, pid int32, sig int) error {
	if sig < 0 || sig > 64 {
		return linuxerr.EINVAL
	}
	p := kernel.ProcessByPID(pid)
	if p == nil {
		return linuxerr.ESRCH
	}
	if sig != 0 {
		p.SendSignal(sig)
	}
	return nil
}

// sysKill implements kill(2) for a single process (pid > 0) and the
// caller's own process group or everyone (one process exists per group
// until stage 4).
func sysKill(t *kernel.Task, a *Args) (uintptr, error) {
	pid, sig := int32(a[0]), int(int32(a[1]))
	switch {
	case pid > 0:
		return 0, signalProcess(t, pid, sig)
	case pid == 0 || pid == -1:
		return 0, signalProcess(t, t.Proc.PID, sig)
	default:
		return 0, signalProcess(t, -pid, sig)
	}
}

// sysTgkill implements tgkill(2).
func sysTgkill(t *kernel.Task, a *Args) (uintptr, error) {
	tgid, tid, sig := int32(a[0]), int32(a[1]), int(int32(a[2]))
	if tgid <= 0 || tid <= 0 {
		return 0, linuxerr.EINVAL
	}
	target := kernel.TaskByTID(tid)
	if target == nil || target.Proc.PID != tgid {
		return 0, linuxerr.ESRCH
	}
	return 0, signalProcess(t, tgid, sig)
}

// sysTkill implements tkill(2).
func sysTkill(t *kernel.Task, a *Args) (uintptr, error) {
	tid, sig := int32(a[0]), int(int32(a[1]))
	if tid <= 0 {
		return 0, linuxerr.EINVAL
	}
	target := kernel.TaskByTID(tid)
	if target == nil {
		return 0, linuxerr.ESRCH
	}
	return 0, signalProcess(t, target.Proc.PID, sig)
}
