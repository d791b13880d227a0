// Package ktime keeps the kernel's time: the TSC, calibrated at boot, is the
// clock source; CLOCK_MONOTONIC counts nanoseconds since the first
// instruction of the boot, CLOCK_REALTIME adds the wall-clock offset read
// from the RTC. It also calibrates the LAPIC timer, which the scheduler
// programs in one-shot mode, against the TSC.
//
// Limits: one TSC shared by all CPUs (invariant TSC assumed); no NTP-style
// slewing; the wall clock has the RTC's one-second resolution at boot.
package ktime

import (
	"math/bits"
	"sync/atomic"

	"oyako/amd64"
)

// Method says how the TSC frequency was found.
type Method uint8

const (
	MethodNone    Method = iota
	MethodCPUID15        // CPUID leaf 0x15: crystal clock and TSC ratio
	MethodPIT            // measured against the 8254 PIT
	MethodCPUID16        // CPUID leaf 0x16 base frequency (least precise)
)

func (m Method) String() string {
	switch m {
	case MethodCPUID15:
		return "CPUID leaf 0x15"
	case MethodPIT:
		return "PIT (8254) over 20 ms"
	case MethodCPUID16:
		return "CPUID leaf 0x16"
	}
	return "none"
}

var (
	tscHz    uint64 // TSC ticks per second
	method   Method
	tscBase  uint64 // TSC value at monotonic time 0
	mult     uint64 // ns = (tsc-tscBase) * mult >> shift
	shift    uint
	lapicHz  uint64 // LAPIC timer ticks per second (divided)
	lastMono int64  // monotonic time never goes backwards (see Now)

	// realtimeOffset is CLOCK_REALTIME minus CLOCK_MONOTONIC, in ns.
	realtimeOffset atomic.Int64
)

// TSCHz returns the calibrated TSC frequency.
func TSCHz() uint64 { return tscHz }

// CalibrationMethod returns how the TSC frequency was found.
func CalibrationMethod() Method { return method }

// LAPICHz returns the LAPIC timer frequency.
func LAPICHz() uint64 { return lapicHz }

// Init calibrates the TSC and makes monotonic time count from tscAtBoot.
func Init(tscAtBoot uint64) {
	tscBase = tscAtBoot
	tscHz, method = calibrateTSC()
	setScale(tscHz)
}

// setScale picks mult and shift so that ns = ticks*mult>>shift stays exact
// to within a part per billion and ticks*mult does not overflow 128 bits.
func setScale(hz uint64) {
	shift = 32
	mult = (uint64(1e9) << shift) / hz
}

func calibrateTSC() (uint64, Method) {
	if amd64.CPU.MaxLeaf >= 0x15 {
		den, num, crystal, _ := amd64.Cpuid(0x15, 0)
		if den != 0 && num != 0 && crystal != 0 {
			return uint64(crystal) * uint64(num) / uint64(den), MethodCPUID15
		}
	}
	if hz := pitCalibrate(); hz != 0 {
		return hz, MethodPIT
	}
	if amd64.CPU.MaxLeaf >= 0x16 {
		mhz, _, _, _ := amd64.Cpuid(0x16, 0)
		if mhz != 0 {
			return uint64(mhz) * 1e6, MethodCPUID16
		}
	}
	// No way to tell: assume 1 GHz rather than stop the boot; the banner
	// shows the method as "none".
	return 1e9, MethodNone
}

// pitCalibrate counts TSC ticks over 20 ms of the PIT's 1.193182 MHz
// clock. It starts and ends on PIT count changes so that the I/O latency
// of one read does not skew the interval. It returns 0 if the PIT does not
// count.
func pitCalibrate() uint64 {
	const pitTicks = amd64.PITHz / 50 // 20 ms
	amd64.PITStart()
	start := amd64.PITCount()
	// Wait for the count to move (edge), giving up if it never does.
	t0 := amd64.Rdtsc()
	for i := 0; ; i++ {
		c := amd64.PITCount()
		if c != start {
			start = c
			t0 = amd64.Rdtsc()
			break
		}
		if i > 1e6 {
			return 0
		}
	}
	var t1 uint64
	for {
		c := amd64.PITCount()
		if start-c >= pitTicks { // uint16 arithmetic handles the wrap
			t1 = amd64.Rdtsc()
			elapsed := uint64(start - c)
			return (t1 - t0) * amd64.PITHz / elapsed
		}
	}
}

// CalibrateLAPIC measures the LAPIC timer's frequency against the TSC.
func CalibrateLAPIC() {
	const start = 0xffffffff
	amd64.LAPICTimerStartMasked(start)
	t0 := amd64.Rdtsc()
	for amd64.Rdtsc()-t0 < tscHz/500 { // 2 ms: the timer only needs to fire about on time
	}
	c := amd64.LAPICTimerCount()
	t1 := amd64.Rdtsc()
	amd64.LAPICTimerStartMasked(0)
	lapicHz = uint64(start-c) * tscHz / (t1 - t0)
}

// TSCToNanos converts a TSC reading to monotonic nanoseconds.
func TSCToNanos(tsc uint64) int64 {
	hi, lo := bits.Mul64(tsc-tscBase, mult)
	return int64(hi<<(64-shift) | lo>>shift)
}

// TicksToNanos converts a TSC interval to nanoseconds.
func TicksToNanos(ticks uint64) int64 {
	hi, lo := bits.Mul64(ticks, mult)
	return int64(hi<<(64-shift) | lo>>shift)
}

// Now returns CLOCK_MONOTONIC in nanoseconds. It never goes backwards,
// even across CPUs whose TSCs disagree slightly.
func Now() int64 {
	t := TSCToNanos(amd64.Rdtsc())
	for {
		last := atomic.LoadInt64(&lastMono)
		if t <= last {
			return last
		}
		if atomic.CompareAndSwapInt64(&lastMono, last, t) {
			return t
		}
	}
}

// Realtime returns CLOCK_REALTIME in nanoseconds since the Unix epoch.
func Realtime() int64 { return Now() + realtimeOffset.Load() }

// SetRealtime sets CLOCK_REALTIME to ns (and publishes the new offset to
// the vvar page).
func SetRealtime(ns int64) {
	off := ns - Now()
	realtimeOffset.Store(off)
	setRealtimeOffset(off)
}

// LAPICTicks converts a duration to LAPIC timer ticks, clamped to the
// timer's 32-bit range and at least 1.
func LAPICTicks(ns int64) uint32 {
	if ns <= 0 {
		return 1
	}
	hi, lo := bits.Mul64(uint64(ns), lapicHz)
	if hi >= 1e9 {
		return 0xffffffff
	}
	q, _ := bits.Div64(hi, lo, 1e9)
	if q == 0 {
		return 1
	}
	if q > 0xffffffff {
		return 0xffffffff
	}
	return uint32(q)
}
