package syscalls

import (
	"encoding/binary"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/ktime"
	"oyako/kernel/task"
)

const timerAbstime = 1

// clockNow returns clock clk's time in nanoseconds: the system-wide
// clocks from ktime (the same values the vDSO computes), the CPU-time
// clocks (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID and the IDs
// clock_getcpuclockid(3) makes) from the tasks' accounting.
func clockNow(t *task.Task, clk int32) (int64, error) {
	if c, isCPU, err := t.DecodeCPUClock(clk); isCPU {
		if err != nil {
			return 0, err
		}
		return c.Now(), nil
	}
	if ns, ok := ktime.Clock(clk); ok {
		return ns, nil
	}
	return 0, linuxerr.EINVAL
}

func timespecBytes(ns int64) []byte {
	b := make([]byte, 16)
	putU64(b, 0, uint64(ns/1e9))
	putU64(b, 8, uint64(ns%1e9))
	return b
}

// readTimespec reads a struct timespec (EINVAL if tv_nsec is out of range).
func readTimespec(t *task.Task, addr uintptr) (sec, nsec int64, err error) {
	var b [16]byte
	if err := t.CopyIn(addr, b[:]); err != nil {
		return 0, 0, err
	}
	sec, nsec = int64(binary.LittleEndian.Uint64(b[:])), int64(binary.LittleEndian.Uint64(b[8:]))
	if nsec < 0 || nsec >= 1e9 || sec < 0 {
		return 0, 0, linuxerr.EINVAL
	}
	return sec, nsec, nil
}

// sysClockGettime implements clock_gettime(2).
func sysClockGettime(t *task.Task, a *Args) (uintptr, error) {
	ns, err := clockNow(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	return 0, t.CopyOut(a[1], timespecBytes(ns))
}

// sysClockGetres implements clock_getres(2): 1 ns for the TSC-based
// clocks, the tick for the coarse ones.
func sysClockGetres(t *task.Task, a *Args) (uintptr, error) {
	res, ok := ktime.ClockRes(int32(a[0]))
	if _, isCPU, err := t.DecodeCPUClock(int32(a[0])); isCPU {
		if err != nil {
			return 0, err
		}
		res, ok = 1, true
	}
	if !ok {
		return 0, linuxerr.EINVAL
	}
	if a[1] == 0 {
		return 0, nil
	}
	return 0, t.CopyOut(a[1], timespecBytes(res))
}

// sysGettimeofday implements gettimeofday(2).
func sysGettimeofday(t *task.Task, a *Args) (uintptr, error) {
	if a[0] != 0 {
		ns := ktime.Realtime()
		b := make([]byte, 16)
		putU64(b, 0, uint64(ns/1e9))
		putU64(b, 8, uint64(ns%1e9/1e3))
		if err := t.CopyOut(a[0], b); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		if err := t.CopyOut(a[1], make([]byte, 8)); err != nil { // struct timezone: UTC
			return 0, err
		}
	}
	return 0, nil
}

// sysTime implements time(2): the coarse realtime clock's seconds, as
// Linux (and the vDSO's time) read it.
func sysTime(t *task.Task, a *Args) (uintptr, error) {
	sec := ktime.Seconds()
	if a[0] != 0 {
		if err := copyOutU64(t, a[0], uint64(sec)); err != nil {
			return 0, err
		}
	}
	return uintptr(sec), nil
}

// sleepFor sleeps until the monotonic deadline (ns) or a signal. An
// interrupted sleep writes the time left to rem (if set) and returns
// ERESTART_RESTARTBLOCK: a handler turns that into EINTR; without one
// (a stop and continue), restart_syscall sleeps the rest
// (hrtimer_nanosleep and its restart block).
func sleepFor(t *task.Task, deadline int64, rem uintptr) error {
	left := deadline - ktime.Now()
	if left <= 0 {
		return nil
	}
	tm := time.NewTimer(time.Duration(left))
	defer tm.Stop()
	t.BeginSleep(true)
	defer t.EndSleep()
	select {
	case <-tm.C:
		return nil
	case <-t.Interrupted():
		if rem != 0 {
			left := max(deadline-ktime.Now(), 0)
			if err := t.CopyOut(rem, timespecBytes(left)); err != nil {
				return err
			}
		}
		t.SetRestart(func() (uintptr, error) { return 0, sleepFor(t, deadline, rem) })
		return linuxerr.ERESTART_RESTARTBLOCK
	}
}

// sysRestartSyscall implements restart_syscall(2): it continues the call
// a signal interrupted, from where it stopped.
func sysRestartSyscall(t *task.Task, a *Args) (uintptr, error) {
	return t.Restart()
}

// sysNanosleep implements nanosleep(2).
func sysNanosleep(t *task.Task, a *Args) (uintptr, error) {
	sec, nsec, err := readTimespec(t, a[0])
	if err != nil {
		return 0, err
	}
	return 0, sleepFor(t, ktime.Now()+sec*1e9+nsec, a[1])
}

// sysClockNanosleep implements clock_nanosleep(2).
func sysClockNanosleep(t *task.Task, a *Args) (uintptr, error) {
	clk, flags := int32(a[0]), a[1]
	switch clk {
	case ktime.ClockRealtime, ktime.ClockMonotonic, ktime.ClockBoottime, ktime.ClockTAI:
	case ktime.ClockThreadCputimeID:
		return 0, linuxerr.EINVAL
	case ktime.ClockProcessCputimeID:
		return 0, linuxerr.EOPNOTSUPP
	default:
		return 0, linuxerr.EINVAL
	}
	sec, nsec, err := readTimespec(t, a[2])
	if err != nil {
		return 0, err
	}
	d := sec*1e9 + nsec
	if flags&timerAbstime != 0 {
		now, _ := clockNow(t, clk)
		d -= now
		return 0, sleepFor(t, ktime.Now()+d, 0)
	}
	return 0, sleepFor(t, ktime.Now()+d, a[3])
}

// itimervalSize is sizeof(struct itimerval): two struct timevals, the
// interval first.
const itimervalSize = 32

// itimerval encodes an interval timer's setting (put_itimerval: the
// nanoseconds truncated to microseconds).
func itimerval(v task.ITimerVal) []byte {
	b := make([]byte, itimervalSize)
	for i, ns := range [2]int64{v.Interval, v.Value} {
		putU64(b, 16*i, uint64(ns/1e9))
		putU64(b, 16*i+8, uint64(ns%1e9/1e3))
	}
	return b
}

// readItimerval decodes a struct itimerval (get_itimerval): EINVAL for a
// negative time or microseconds out of range.
func readItimerval(t *task.Task, addr uintptr) (task.ITimerVal, error) {
	b := make([]byte, itimervalSize)
	if err := t.CopyIn(addr, b); err != nil {
		return task.ITimerVal{}, err
	}
	var ns [2]int64
	for i := range ns {
		sec, usec := int64(binary.LittleEndian.Uint64(b[16*i:])), int64(binary.LittleEndian.Uint64(b[16*i+8:]))
		if sec < 0 || usec < 0 || usec >= 1e6 {
			return task.ITimerVal{}, linuxerr.EINVAL
		}
		ns[i] = sec*1e9 + usec*1e3
	}
	return task.ITimerVal{Interval: ns[0], Value: ns[1]}, nil
}

// sysSetitimer implements setitimer(2): ITIMER_REAL counts real time,
// ITIMER_VIRTUAL the process's user time, ITIMER_PROF its user and
// system time; a zero value disarms the timer; the old setting is
// stored if asked for. A NULL new value disarms it, as Linux still
// allows.
func sysSetitimer(t *task.Task, a *Args) (uintptr, error) {
	var v task.ITimerVal
	if a[1] != 0 {
		var err error
		if v, err = readItimerval(t, a[1]); err != nil {
			return 0, err
		}
	}
	var old task.ITimerVal
	switch which := int(int32(a[0])); which {
	case task.ITimerReal:
		old = t.Proc.SetRealTimer(v)
	case task.ITimerVirtual, task.ITimerProf:
		old = t.Proc.SetCPUITimer(which, v)
	default:
		return 0, linuxerr.EINVAL
	}
	if a[2] != 0 {
		return 0, t.CopyOut(a[2], itimerval(old))
	}
	return 0, nil
}

// sysGetitimer implements getitimer(2).
func sysGetitimer(t *task.Task, a *Args) (uintptr, error) {
	var v task.ITimerVal
	switch which := int(int32(a[0])); which {
	case task.ITimerReal:
		v = t.Proc.RealTimer()
	case task.ITimerVirtual, task.ITimerProf:
		v = t.Proc.CPUITimer(which)
	default:
		return 0, linuxerr.EINVAL
	}
	return 0, t.CopyOut(a[1], itimerval(v))
}

// sysAlarm implements alarm(2) (alarm_setitimer): the real timer set to
// go off once in seconds (0: cancelled); it returns the seconds the old
// one had left, rounded to the nearest and never 0 for an armed timer.
func sysAlarm(t *task.Task, a *Args) (uintptr, error) {
	old := t.Proc.SetRealTimer(task.ITimerVal{Value: int64(uint32(a[0])) * 1e9})
	sec, ns := old.Value/1e9, old.Value%1e9
	if sec == 0 && ns != 0 || ns >= 5e8 {
		sec++
	}
	return uintptr(sec), nil
}
