// Command clock reads the time through the vDSO the way every Go program
// does (time.Now uses __vdso_clock_gettime): a million reads that never go
// backwards, agreement with the clock_gettime system call, and monotonic
// time across goroutines on several threads. It prints how many clock
// system calls it made itself, so that a test can check that the kernel
// saw no others.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

const n = 1000000

var rawCalls int

// sysRealtime reads CLOCK_REALTIME with the system call.
func sysRealtime() int64 {
	var ts syscall.Timespec
	rawCalls++
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 0, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

func main() {
	runtime.GOMAXPROCS(4)
	start := time.Now()
	prev := time.Since(start)
	backwards := 0
	for i := 0; i < n; i++ {
		d := time.Since(start) // the monotonic clock
		if d < prev {
			backwards++
		}
		prev = d
	}
	fmt.Printf("%d monotonic reads, backwards steps: %d\n", n, backwards)

	ordered := true
	for i := 0; i < 100; i++ {
		a := time.Now().UnixNano()
		s := sysRealtime()
		b := time.Now().UnixNano()
		ordered = ordered && a <= s && s <= b
	}
	fmt.Println("time.Now <= clock_gettime(CLOCK_REALTIME) <= time.Now:", ordered)

	// Goroutines on several threads check each other's latest reading.
	var last atomic.Int64
	var bad atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50000; i++ {
				seen := last.Load()
				now := int64(time.Since(start))
				if now < seen {
					bad.Add(1)
				}
				for cur := last.Load(); cur < now && !last.CompareAndSwap(cur, now); cur = last.Load() {
				}
				if i%1000 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	fmt.Println("across goroutines, backwards steps:", bad.Load())
	fmt.Println("raw clock_gettime system calls:", rawCalls)
}
