package syscalls

import (
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/ktime"
	"oyako/kernel/task"
)

// futex(2) operations (include/uapi/linux/futex.h).
const (
	futexWait          = 0
	futexWake          = 1
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWakeOp        = 5
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexPrivateFlag   = 128
	futexClockRealtime = 256
	futexBitsetAny     = 0xffffffff
)

// sysFutex implements futex(2): WAIT, WAKE, their _BITSET forms,
// REQUEUE and CMP_REQUEUE, private or not. Priority-inheritance and
// WAKE_OP operations are ENOSYS.
func sysFutex(t *task.Task, a *Args) (uintptr, error) {
	addr, op, val := a[0], uint32(a[1]), uint32(a[2])
	cmd := op &^ (futexPrivateFlag | futexClockRealtime)
	// do_futex: FUTEX_CLOCK_REALTIME is for the absolute-timeout waits
	// only (the manual's claim that FUTEX_WAIT accepts it since 4.5 does
	// not match the code, which answers ENOSYS).
	if op&futexClockRealtime != 0 && cmd != futexWaitBitset {
		return 0, linuxerr.ENOSYS
	}
	switch cmd {
	case futexWait, futexWaitBitset:
		bitset := uint32(futexBitsetAny)
		if cmd == futexWaitBitset {
			bitset = uint32(a[5])
			if bitset == 0 {
				return 0, linuxerr.EINVAL
			}
		}
		var deadline time.Time
		if a[3] != 0 {
			sec, nsec, err := readTimespec(t, a[3])
			if err != nil {
				return 0, err
			}
			d := sec*1e9 + nsec
			if cmd == futexWaitBitset {
				// Absolute, on CLOCK_MONOTONIC or CLOCK_REALTIME.
				now := ktime.Now()
				if op&futexClockRealtime != 0 {
					now = ktime.Realtime()
				}
				d -= now
			}
			deadline = time.Now().Add(time.Duration(d))
		}
		return 0, task.FutexWait(t, addr, val, bitset, deadline)
	case futexWake:
		if addr&3 != 0 {
			return 0, linuxerr.EINVAL
		}
		return uintptr(task.FutexWake(t, addr, int(int32(val)))), nil
	case futexWakeBitset:
		n, err := task.FutexWakeBitset(t, addr, int(int32(val)), uint32(a[5]))
		return uintptr(n), err
	case futexRequeue, futexCmpRequeue:
		n, err := task.FutexRequeue(t, addr, a[4], int(int32(val)), int(int32(a[3])), cmd == futexCmpRequeue, uint32(a[5]))
		return uintptr(n), err
	}
	return 0, linuxerr.ENOSYS
}
