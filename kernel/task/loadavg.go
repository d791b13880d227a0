package task

import (
	"sync"
	"sync/atomic"
	"time"

	"oyako/kernel/sched"
)

// The load average (kernel/sched/loadavg.c): every 5 seconds the number
// of runnable threads is folded into exponentially decaying averages over
// 1, 5 and 15 minutes, in fixed point with FSHIFT fractional bits.
const (
	fshift = 11
	fixed1 = 1 << fshift
	exp1   = 1884 // fixed1/exp(5s/1min)
	exp5   = 2014
	exp15  = 2037
)

var (
	avenrun      [3]atomic.Uint64
	loadavgStart sync.Once
)

// startLoadavg starts sampling (once, when user programs start).
func startLoadavg() {
	loadavgStart.Do(func() {
		go func() {
			for range time.Tick(5 * time.Second) {
				// This goroutine's own thread is running: not load.
				active := uint64(max(sched.NrRunning()-1, 0)) * fixed1
				for i, e := range [3]uint64{exp1, exp5, exp15} {
					old := avenrun[i].Load()
					n := old*e + active*(fixed1-e)
					if active >= old {
						n += fixed1 - 1
					}
					avenrun[i].Store(n / fixed1)
				}
			}
		}()
	})
}

// LoadAvg returns the 1, 5 and 15 minute load averages in fixed point
// with 11 fractional bits (/proc/loadavg prints them, sysinfo shifts them
// to 16 bits).
func LoadAvg() [3]uint64 {
	return [3]uint64{avenrun[0].Load(), avenrun[1].Load(), avenrun[2].Load()}
}

// NrThreads returns the number of user threads alive.
func NrThreads() int {
	procMu.Lock()
	defer procMu.Unlock()
	return len(tasks)
}
