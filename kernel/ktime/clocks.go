package ktime

// Clock IDs (include/uapi/linux/time.h).
const (
	ClockRealtime         = 0
	ClockMonotonic        = 1
	ClockProcessCputimeID = 2
	ClockThreadCputimeID  = 3
	ClockMonotonicRaw     = 4
	ClockRealtimeCoarse   = 5
	ClockMonotonicCoarse  = 6
	ClockBoottime         = 7
	ClockRealtimeAlarm    = 8
	ClockBoottimeAlarm    = 9
	ClockTAI              = 11
)

// taiOffset is TAI - UTC since 2017-01-01 (37 leap seconds).
const taiOffset = 37e9

// Clock returns the time of a system-wide clock in nanoseconds, as
// clock_gettime(2) reads it, or ok false for the CPU-time clocks (the
// caller knows whose CPU time) and unknown IDs. The coarse clocks and the
// fine ones are the values the vDSO computes from the vvar page.
func Clock(clk int32) (ns int64, ok bool) {
	switch clk {
	case ClockRealtime, ClockRealtimeAlarm:
		return Realtime(), true
	case ClockTAI:
		return Realtime() + taiOffset, true
	case ClockMonotonic, ClockMonotonicRaw, ClockBoottime, ClockBoottimeAlarm:
		return Now(), true
	case ClockMonotonicCoarse:
		mono, _ := coarse()
		return mono, true
	case ClockRealtimeCoarse:
		mono, off := coarse()
		return mono + off, true
	}
	return 0, false
}

// ClockRes returns clock_getres(2)'s answer for a system-wide clock:
// 1 ns for the TSC-based ones, the tick for the coarse ones.
func ClockRes(clk int32) (ns int64, ok bool) {
	switch clk {
	case ClockMonotonicCoarse, ClockRealtimeCoarse:
		return CoarseTick, true
	case ClockRealtime, ClockRealtimeAlarm, ClockTAI, ClockMonotonic, ClockMonotonicRaw, ClockBoottime, ClockBoottimeAlarm,
		ClockProcessCputimeID, ClockThreadCputimeID:
		return 1, true
	}
	return 0, false
}

// Seconds returns time(2): the coarse realtime clock's seconds.
func Seconds() int64 {
	ns, _ := Clock(ClockRealtimeCoarse)
	return ns / 1e9
}
