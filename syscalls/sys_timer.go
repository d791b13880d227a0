package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/ktime"
	"oyako/kernel/task"
)

// POSIX per-process timers: timer_create(2), timer_settime(2),
// timer_gettime(2), timer_getoverrun(2), timer_delete(2). The timers
// themselves are in kernel/task/posixtimer.go.

// sigeventSize is sizeof(struct sigevent): sigev_value, sigev_signo,
// sigev_notify, then a union padding it to 64 bytes whose first int is
// sigev_notify_thread_id.
const sigeventSize = 64

// sysTimerCreate implements timer_create(2).
func sysTimerCreate(t *task.Task, a *Args) (uintptr, error) {
	var ev *task.SigEvent
	if a[1] != 0 {
		var b [sigeventSize]byte
		if err := t.CopyIn(a[1], b[:]); err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		ev = &task.SigEvent{
			Value:    le.Uint64(b[0:]),
			Signo:    int32(le.Uint32(b[8:])),
			Notify:   int32(le.Uint32(b[12:])),
			ThreadID: int32(le.Uint32(b[16:])),
		}
	}
	id, err := t.TimerCreate(int32(a[0]), ev)
	if err != nil {
		return 0, err
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(id))
	if err := t.CopyOut(a[2], b[:]); err != nil {
		t.TimerDelete(id) // do_timer_create releases the timer on EFAULT
		return 0, err
	}
	return 0, nil
}

// itimerspecBytes encodes a struct itimerspec: interval, then value.
func itimerspecBytes(s task.TimerSetting) []byte {
	return append(timespecBytes(s.Interval), timespecBytes(s.Value)...)
}

// readItimerspec reads a struct itimerspec: EFAULT if it cannot be read,
// else EINVAL for a negative time or nanoseconds out of range
// (itimerspec64_valid).
func readItimerspec(t *task.Task, addr uintptr) (task.TimerSetting, error) {
	var b [32]byte
	if err := t.CopyIn(addr, b[:]); err != nil {
		return task.TimerSetting{}, err
	}
	var ns [2]int64
	for i := range ns {
		sec, nsec := int64(binary.LittleEndian.Uint64(b[16*i:])), int64(binary.LittleEndian.Uint64(b[16*i+8:]))
		if sec < 0 || nsec < 0 || nsec >= 1e9 {
			return task.TimerSetting{}, linuxerr.EINVAL
		}
		const maxSec = (1<<63 - 1) / 1_000_000_000
		ns[i] = min(sec, maxSec-1)*1e9 + nsec // ktime_set saturates at KTIME_MAX
	}
	return task.TimerSetting{Interval: ns[0], Value: ns[1]}, nil
}

// sysTimerSettime implements timer_settime(2): flags TIMER_ABSTIME makes
// the value an absolute time of the timer's clock.
func sysTimerSettime(t *task.Task, a *Args) (uintptr, error) {
	if a[2] == 0 {
		return 0, linuxerr.EINVAL
	}
	s, err := readItimerspec(t, a[2])
	if err != nil {
		return 0, err
	}
	old, err := t.TimerSet(int32(a[0]), s, a[1]&timerAbstime != 0)
	if err != nil {
		return 0, err
	}
	if a[3] != 0 {
		return 0, t.CopyOut(a[3], itimerspecBytes(old))
	}
	return 0, nil
}

// sysTimerGettime implements timer_gettime(2).
func sysTimerGettime(t *task.Task, a *Args) (uintptr, error) {
	s, err := t.TimerGet(int32(a[0]))
	if err != nil {
		return 0, err
	}
	return 0, t.CopyOut(a[1], itimerspecBytes(s))
}

// sysTimerGetoverrun implements timer_getoverrun(2).
func sysTimerGetoverrun(t *task.Task, a *Args) (uintptr, error) {
	n, err := t.TimerGetOverrun(int32(a[0]))
	return uintptr(n), err
}

// sysTimerDelete implements timer_delete(2).
func sysTimerDelete(t *task.Task, a *Args) (uintptr, error) {
	return 0, t.TimerDelete(int32(a[0]))
}

// capWakeAlarm is CAP_WAKE_ALARM, which the alarm clocks need.
const capWakeAlarm = 35

// sysTimerfdCreate implements timerfd_create(2).
func sysTimerfdCreate(t *task.Task, a *Args) (uintptr, error) {
	clk, flags := int32(a[0]), uint32(a[1])
	f, err := fs.NewTimerFD(clk, flags)
	if err != nil {
		return 0, err
	}
	if (clk == ktime.ClockRealtimeAlarm || clk == ktime.ClockBoottimeAlarm) && t.Proc.Creds().CapEff&(1<<capWakeAlarm) == 0 {
		f.DecRef()
		return 0, linuxerr.EPERM
	}
	return installNew(t, f, flags&fs.TFD_CLOEXEC != 0)
}

// sysTimerfdSettime implements timerfd_settime(2): the new setting is
// read, then the flags and the times checked, then the descriptor.
func sysTimerfdSettime(t *task.Task, a *Args) (uintptr, error) {
	s, err := readItimerspec(t, a[2])
	if err != nil && !linuxerr.Equals(linuxerr.EINVAL, err) {
		return 0, err // EFAULT first: get_itimerspec64
	}
	if ferr := fs.CheckTimerFDFlags(uint64(uint32(a[1]))); ferr != nil {
		return 0, ferr
	}
	if err != nil {
		return 0, err
	}
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	old, err := fs.TimerFDSet(f, int(int32(a[1])), fs.TimerSpec(s))
	if err != nil {
		return 0, err
	}
	if a[3] != 0 {
		return 0, t.CopyOut(a[3], itimerspecBytes(task.TimerSetting(old)))
	}
	return 0, nil
}

// sysTimerfdGettime implements timerfd_gettime(2).
func sysTimerfdGettime(t *task.Task, a *Args) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	s, err := fs.TimerFDGet(f)
	if err != nil {
		return 0, err
	}
	return 0, t.CopyOut(a[1], itimerspecBytes(task.TimerSetting(s)))
}
