// Package selfcheck exercises the kernel's runtime services through the Go
// runtime itself: goroutines and channels (futex, clone), timers (the
// runtime's epoll idle path and the LAPIC one-shot timer), the garbage
// collector under memory pressure (demand paging and madvise giving frames
// back), and a goroutine spinning on a locked thread while a timer on
// another thread still fires (preemption of threads by the LAPIC timer).
//
// It is ordinary Go and also runs on the host under go test, with the
// kernel-only measurement (frames in use) supplied by the caller.
package selfcheck

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Config sizes the checks.
type Config struct {
	Goroutines int    // goroutines in the channel check
	RAMBytes   uint64 // guest RAM; the GC check allocates GCFactor times this
	GCFactor   uint64
	// FramesInUse reports physical memory in use, in bytes (nil: not
	// measured, as on the host).
	FramesInUse func() uint64
	// PeakFrames reports and resets the high-water mark of physical
	// memory in use, in bytes (nil: not measured).
	PeakFrames func(reset bool) uint64
	// ServiceCalls reports how many times the kernel's runtime made
	// system call nr (nil: not counted, as on the host).
	ServiceCalls func(nr uintptr) uint64
}

// Result holds what the checks measured, for the report.
type Result struct {
	GCAllocated    uint64
	GCCycles       uint32
	GCPeakBytes    uint64 // physical memory in use at the peak of the GC check
	GCAfterFree    uint64 // in use after FreeOSMemory
	GCBeforeBytes  uint64
	SpinIterations uint64
	TimerLatency   time.Duration
	Elapsed        time.Duration
}

// Run runs every check, writing one line per check to w. It returns an
// error describing the first check that failed.
func Run(w io.Writer, c Config) (Result, error) {
	var res Result
	start := time.Now()
	steps := []struct {
		name string
		fn   func(io.Writer, Config, *Result) error
	}{
		{"goroutines", checkGoroutines},
		{"timers", checkTimers},
		{"gc", checkGC},
		{"preemption", checkPreemption},
		{"syscalls", checkSyscalls},
		{"vdso", checkVDSO},
	}
	for _, s := range steps {
		t0 := time.Now()
		if err := s.fn(w, c, &res); err != nil {
			return res, fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(w, "self-check: %s ok (%v)\n", s.name, time.Since(t0).Round(time.Millisecond))
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// checkGoroutines passes numbers through a ring of goroutines connected by
// unbuffered channels and fans results in from all of them.
func checkGoroutines(w io.Writer, c Config, _ *Result) error {
	n := c.Goroutines
	first := make(chan int)
	in := first
	var wg sync.WaitGroup
	results := make(chan int, n)
	for i := 0; i < n; i++ {
		out := make(chan int)
		wg.Add(1)
		go func(i int, in <-chan int, out chan<- int) {
			defer wg.Done()
			sum := 0
			for v := range in {
				sum += v
				out <- v + 1
			}
			close(out)
			results <- sum
		}(i, in, out)
		in = out
	}
	const rounds = 20
	go func() {
		for r := 0; r < rounds; r++ {
			first <- r
		}
		close(first)
	}()
	got := 0
	for v := range in {
		if v < n || v >= n+rounds {
			return fmt.Errorf("value %d came out of the ring", v)
		}
		got++
	}
	wg.Wait()
	close(results)
	total := 0
	for s := range results {
		total += s
	}
	// Goroutine i sees r+i for each round r.
	want := 0
	for i := 0; i < n; i++ {
		for r := 0; r < rounds; r++ {
			want += r + i
		}
	}
	if got != rounds || total != want {
		return fmt.Errorf("got %d values, sum %d; want %d, %d", got, total, rounds, want)
	}
	fmt.Fprintf(w, "self-check: %d goroutines passed %d values around a ring\n", n, rounds)
	return nil
}

// checkTimers starts timers of several kinds with distinct deadlines, out
// of order, and checks that they fire in deadline order and not early.
func checkTimers(w io.Writer, _ Config, res *Result) error {
	// The events are recorded when their goroutines run, not when the
	// timers fire: on a busy machine a goroutine woken on time can run
	// after one woken later. A timer system that really misorders fails
	// every round; one round in order is enough. A timer that fires
	// early fails at once.
	var err error
	for range 3 {
		if err = timersOnce(w, res); !errors.Is(err, errOutOfOrder) {
			return err
		}
	}
	return err
}

var errOutOfOrder = errors.New("timers fired out of order")

func timersOnce(w io.Writer, res *Result) error {
	type event struct {
		name string
		at   time.Duration
	}
	start := time.Now()
	var mu sync.Mutex
	var events []event
	record := func(name string) {
		mu.Lock()
		events = append(events, event{name, time.Since(start)})
		mu.Unlock()
	}
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); time.Sleep(60 * time.Millisecond); record("sleep-60ms") }()
	go func() { defer wg.Done(); <-time.After(20 * time.Millisecond); record("after-20ms") }()
	go func() {
		defer wg.Done()
		t := time.NewTicker(25 * time.Millisecond)
		defer t.Stop()
		for i := 1; i <= 3; i++ {
			<-t.C
			record(fmt.Sprintf("tick-%d", i))
		}
	}()
	go func() { defer wg.Done(); time.Sleep(40 * time.Millisecond); record("sleep-40ms") }()
	wg.Wait()
	want := []struct {
		name string
		min  time.Duration
	}{
		{"after-20ms", 20 * time.Millisecond},
		{"tick-1", 25 * time.Millisecond},
		{"sleep-40ms", 40 * time.Millisecond},
		{"tick-2", 50 * time.Millisecond},
		{"sleep-60ms", 60 * time.Millisecond},
		{"tick-3", 75 * time.Millisecond},
	}
	if len(events) != len(want) {
		return fmt.Errorf("%d timer events, want %d", len(events), len(want))
	}
	var order []string
	for i, e := range events {
		order = append(order, fmt.Sprintf("%s@%v", e.name, e.at.Round(time.Millisecond)))
		if e.name != want[i].name {
			return fmt.Errorf("%w: %v", errOutOfOrder, order)
		}
		if e.at < want[i].min {
			return fmt.Errorf("%s fired early, at %v", e.name, e.at)
		}
	}
	res.TimerLatency = events[len(events)-1].at - want[len(want)-1].min
	fmt.Fprintf(w, "self-check: timers fired in order: %v\n", order)
	return nil
}

// sink keeps allocations alive so the compiler cannot drop them.
var sink [][]byte

// checkGC allocates GCFactor times the RAM in chunks while keeping a
// bounded amount live, under a memory limit below the RAM size, so the
// garbage collector must run many times and the runtime must give memory
// back (madvise) for the total to fit; then FreeOSMemory must return
// most of the rest.
func checkGC(w io.Writer, c Config, res *Result) error {
	const chunk = 1 << 20
	live := int(c.RAMBytes / 8 / chunk) // an eighth of RAM live at a time
	if live < 2 {
		live = 2
	}
	target := c.RAMBytes * c.GCFactor
	old := debug.SetMemoryLimit(int64(c.RAMBytes / 2))
	defer debug.SetMemoryLimit(old)
	runtime.GC()
	debug.FreeOSMemory()
	if c.FramesInUse != nil {
		res.GCBeforeBytes = c.FramesInUse()
	}
	if c.PeakFrames != nil {
		c.PeakFrames(true)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	ring := make([][]byte, live)
	var total uint64
	for i := 0; total < target; i++ {
		// Vary the size so spans of many size classes churn.
		b := make([]byte, chunk-(i%7)*4096)
		b[0], b[len(b)-1] = byte(i), byte(i)
		if old := ring[i%live]; old != nil && (old[0] != byte(i-live) || old[len(old)-1] != byte(i-live)) {
			return fmt.Errorf("chunk %d was corrupted", i-live)
		}
		ring[i%live] = b
		total += uint64(len(b))
	}
	sink = ring
	sink = nil
	ring = nil
	runtime.GC()
	debug.FreeOSMemory()
	runtime.ReadMemStats(&ms1)
	res.GCAllocated = total
	res.GCCycles = ms1.NumGC - ms0.NumGC
	if c.FramesInUse != nil {
		res.GCAfterFree = c.FramesInUse()
	}
	if c.PeakFrames != nil {
		res.GCPeakBytes = c.PeakFrames(false)
	}
	if res.GCCycles < uint32(c.GCFactor) {
		return fmt.Errorf("only %d GC cycles for %d MiB allocated", res.GCCycles, total>>20)
	}
	if c.FramesInUse != nil {
		if res.GCPeakBytes > c.RAMBytes {
			return fmt.Errorf("peak memory %d MiB exceeds RAM", res.GCPeakBytes>>20)
		}
		// Memory the test held at its peak must have come back.
		if res.GCAfterFree > res.GCBeforeBytes+c.RAMBytes/16 {
			return fmt.Errorf("memory did not come back: %d MiB in use before, %d MiB after", res.GCBeforeBytes>>20, res.GCAfterFree>>20)
		}
		fmt.Fprintf(w, "self-check: gc: allocated %d MiB (%dx RAM) in %d GC cycles; memory in use %d MiB before, %d MiB peak, %d MiB after FreeOSMemory\n",
			total>>20, c.GCFactor, res.GCCycles, res.GCBeforeBytes>>20, res.GCPeakBytes>>20, res.GCAfterFree>>20)
	} else {
		fmt.Fprintf(w, "self-check: gc: allocated %d MiB in %d GC cycles\n", total>>20, res.GCCycles)
	}
	return nil
}

// checkPreemption spins on a thread of its own, without function calls
// (so the Go scheduler cannot preempt it: asynchronous preemption is off),
// while a timer goroutine, which can only run on another thread, tells it
// to stop. Unless the kernel preempts threads, the timer never fires.
func checkPreemption(w io.Writer, _ Config, res *Result) error {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	runtime.GC() // no collection (which would wait for the spinner) during the check
	var stop, started uint32
	var iters uint64
	done := make(chan error, 1)
	const limit = 1 << 40
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		atomic.StoreUint32(&started, 1)
		i := uint64(0)
		for atomic.LoadUint32(&stop) == 0 && i < limit {
			i++
		}
		atomic.StoreUint64(&iters, i)
		if i >= limit {
			done <- fmt.Errorf("spun %d times and the timer never stopped it", i)
			return
		}
		done <- nil
	}()
	for atomic.LoadUint32(&started) == 0 {
		runtime.Gosched()
	}
	t0 := time.Now()
	fired := make(chan time.Duration, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		fired <- time.Since(t0)
		atomic.StoreUint32(&stop, 1)
	}()
	if err := <-done; err != nil {
		return err
	}
	lat := <-fired
	res.SpinIterations = atomic.LoadUint64(&iters)
	fmt.Fprintf(w, "self-check: a 50ms timer fired after %v while a locked thread spun %d times\n", lat.Round(time.Millisecond), res.SpinIterations)
	return nil
}

// checkVDSO: the runtime reads the clock through the vDSO, so ten
// thousand time.Now calls make no clock_gettime system call, and the time
// they read never goes backwards.
func checkVDSO(w io.Writer, c Config, _ *Result) error {
	const reads = 10000
	var before uint64
	if c.ServiceCalls != nil {
		before = c.ServiceCalls(syscall.SYS_CLOCK_GETTIME)
	}
	last := time.Now()
	for i := 0; i < reads; i++ {
		t := time.Now()
		if t.Before(last) {
			return fmt.Errorf("time went backwards: %v after %v", t, last)
		}
		last = t
	}
	if c.ServiceCalls == nil {
		return nil
	}
	if n := c.ServiceCalls(syscall.SYS_CLOCK_GETTIME) - before; n != 0 {
		return fmt.Errorf("%d time.Now calls made %d clock_gettime system calls: the runtime does not use the vDSO", reads, n)
	}
	fmt.Fprintf(w, "self-check: %d time.Now calls, no clock_gettime system call: the runtime reads the vDSO\n", reads)
	return nil
}
