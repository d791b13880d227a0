package syscalls

import (
	"math"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel"
	"oyako/kernel/task"
	"oyako/signals"
)

// sysWait4 implements wait4(2): pid > 0 that child, 0 the caller's process
// group, -1 any child, < -1 the group -pid; the status and the child's
// resource usage are stored if asked for.
func sysWait4(t *task.Task, a *Args) (uintptr, error) {
	pid, options := int32(a[0]), uint32(a[2])
	if options&^(task.WNOHANG|task.WUNTRACED|task.WCONTINUED|task.WNOTHREAD|task.WCLONE|task.WALL) != 0 {
		return 0, linuxerr.EINVAL
	}
	w := task.WaitSpec{Options: options | task.WEXITED}
	switch {
	case pid == math.MinInt32:
		return 0, linuxerr.ESRCH // -INT_MIN names nothing
	case pid < -1:
		w.Which, w.ID = task.PPGID, -pid
	case pid == -1:
		w.Which = task.PAll
	case pid == 0:
		pg, _ := t.GetPGID(0)
		w.Which, w.ID = task.PPGID, pg
	default:
		w.Which, w.ID = task.PPID, pid
	}
	res, err := t.Wait(w)
	if err != nil {
		return 0, err
	}
	if res.PID != 0 && a[1] != 0 {
		if err := copyOutU32(t, a[1], uint32(res.Status)); err != nil {
			return 0, err
		}
	}
	if a[3] != 0 {
		var ru []byte
		if res.PID != 0 {
			ru = rusageBytes(res.Utime, res.Stime)
		} else {
			ru = make([]byte, rusageSize)
		}
		if err := t.CopyOut(a[3], ru); err != nil {
			return 0, err
		}
	}
	return uintptr(res.PID), nil
}

// sysWaitid implements waitid(2): idtype P_ALL, P_PID, P_PGID (id 0: the
// caller's group) or P_PIDFD; options must ask for at least one of
// WEXITED, WSTOPPED and WCONTINUED. The siginfo is zeroed when WNOHANG
// found nothing.
func sysWaitid(t *task.Task, a *Args) (uintptr, error) {
	which, id, options := int(int32(a[0])), int32(a[1]), uint32(a[3])
	if options&^(task.WNOHANG|task.WNOWAIT|task.WEXITED|task.WUNTRACED|task.WCONTINUED|task.WNOTHREAD|task.WCLONE|task.WALL) != 0 ||
		options&(task.WEXITED|task.WUNTRACED|task.WCONTINUED) == 0 {
		return 0, linuxerr.EINVAL
	}
	w := task.WaitSpec{Which: which, ID: id, Options: options}
	switch which {
	case task.PAll:
	case task.PPID:
		if id <= 0 {
			return 0, linuxerr.EINVAL
		}
	case task.PPGID:
		if id < 0 {
			return 0, linuxerr.EINVAL
		}
		if id == 0 {
			w.ID, _ = t.GetPGID(0)
		}
	case task.PPIDFD:
		f, err := getFile(t, uintptr(id))
		if err != nil {
			return 0, err
		}
		p, ok := task.PidfdProcess(f)
		f.DecRef()
		if !ok {
			return 0, linuxerr.EBADF // pidfd_get_pid: not a pidfd
		}
		w.Which, w.ID = task.PPID, p.PID
	default:
		return 0, linuxerr.EINVAL
	}
	res, err := t.Wait(w)
	if err != nil {
		return 0, err
	}
	if a[2] != 0 {
		var info signals.SigInfo
		if res.PID != 0 {
			info = signals.ChldInfo(res.Code, res.PID, res.UID, res.SigSt, 0, 0)
		}
		// waitid fills si_signo, si_errno, si_code, si_pid, si_uid and
		// si_status only (not the times).
		if err := t.CopyOut(a[2], info[:32]); err != nil {
			return 0, err
		}
	}
	if a[4] != 0 {
		if err := t.CopyOut(a[4], rusageBytes(res.Utime, res.Stime)); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// rusageSize is sizeof(struct rusage).
const rusageSize = 144

// rusageBytes encodes struct rusage with the given CPU times (ns); the
// other counters are zero.
func rusageBytes(utime, stime int64) []byte {
	b := make([]byte, rusageSize)
	putU64(b, 0, uint64(utime/1e9))
	putU64(b, 8, uint64(utime%1e9/1e3))
	putU64(b, 16, uint64(stime/1e9))
	putU64(b, 24, uint64(stime%1e9/1e3))
	return b
}

// getrusage(2) who values.
const (
	rusageSelf     = 0
	rusageChildren = -1
	rusageThread   = 1
)

// sysGetrusage implements getrusage(2): CPU times of the process, its
// waited-for children, or the calling thread.
func sysGetrusage(t *task.Task, a *Args) (uintptr, error) {
	var u, s int64
	switch int32(a[0]) {
	case rusageSelf:
		u, s = t.Proc.Times()
	case rusageChildren:
		u, s = t.Proc.ChildTimes()
	case rusageThread:
		u, s = t.CPUNanos(), t.SysNanos()
	default:
		return 0, linuxerr.EINVAL
	}
	return 0, t.CopyOut(a[1], rusageBytes(u, s))
}

// sysTimes implements times(2): the CPU times in clock ticks, and the
// ticks since boot.
func sysTimes(t *task.Task, a *Args) (uintptr, error) {
	if a[0] != 0 {
		u, s := t.Proc.Times()
		cu, cs := t.Proc.ChildTimes()
		b := make([]byte, 32)
		for i, v := range [4]int64{u, s, cu, cs} {
			putU64(b, 8*i, uint64(v/1e7))
		}
		if err := t.CopyOut(a[0], b); err != nil {
			return 0, err
		}
	}
	return uintptr(kernel.Uptime() / 1e7), nil
}
