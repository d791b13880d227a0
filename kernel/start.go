package kernel

import (
	"github.com/usbarmory/tamago/soc/intel/rtc"

	"oyako/kernel/ktime"
)

// mainNanos is the monotonic time at which the Go program's main began.
var mainNanos int64

// Start finishes bring-up from ordinary Go code once the runtime runs
// main: it marks the runtime as started (kernel faults can now be
// reported from the faulting goroutine) and sets the wall clock from the
// RTC, and sets the memory reserve user programs leave to the kernel.
//
// The kernel's runtime runs with GOMAXPROCS=8 (set in its environment at
// boot) although it sees one CPU: a task goroutine running user code sits
// in a system call holding its P until sysmon retakes it, so more Ps than
// CPUs let other runnable tasks start at once; the scheduler time-slices
// the threads.
func Start() {
	mainNanos = ktime.Now()
	runtimeStarted = true
	setupMemoryPressure()
	var r rtc.RTC
	for i := 0; i < 3; i++ {
		if t, err := r.Now(); err == nil {
			ktime.SetRealtime(t.UnixNano())
			break
		}
	}
}

// MainStarted returns the monotonic time (ns since the first boot
// instruction) at which main began.
func MainStarted() int64 { return mainNanos }

// Uptime returns the monotonic time since the first boot instruction, in ns.
func Uptime() int64 { return ktime.Now() }
