package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

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

// readItimerspec reads a struct itimerspec: EINVAL for a negative time
// or nanoseconds out of range (timespec64_valid).
func readItimerspec(t *task.Task, addr uintptr) (task.TimerSetting, error) {
	interval, err := readTimespecNs(t, addr)
	if err != nil {
		return task.TimerSetting{}, err
	}
	value, err := readTimespecNs(t, addr+16)
	if err != nil {
		return task.TimerSetting{}, err
	}
	return task.TimerSetting{Interval: interval, Value: value}, nil
}

func readTimespecNs(t *task.Task, addr uintptr) (int64, error) {
	sec, nsec, err := readTimespec(t, addr)
	const maxSec = (1<<63 - 1) / 1_000_000_000
	if sec >= maxSec {
		sec = maxSec - 1 // ktime_set saturates at KTIME_MAX
	}
	return sec*1e9 + nsec, err
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
