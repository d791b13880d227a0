// Command profile takes a CPU profile of itself with runtime/pprof, which
// on Linux samples with SIGPROF from a POSIX timer per thread
// (timer_create on CLOCK_THREAD_CPUTIME_ID with SIGEV_THREAD_ID) and the
// process's ITIMER_PROF: it spins for a while and reports whether the
// samples found the spinning function. It also reads the CPU-time clocks
// the way programs measure themselves (syscall.Getrusage, and
// CLOCK_PROCESS_CPUTIME_ID), printing only whether they moved as they
// must.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"syscall"
	"time"
	"unsafe"
)

//go:noinline
func spinForProfile(d time.Duration) int {
	n := 0
	for start := cpuTime(); cpuTime()-start < d; n++ {
	}
	return n
}

// cpuTime reads CLOCK_PROCESS_CPUTIME_ID with the system call (the
// vDSO does not serve CPU-time clocks).
func cpuTime() time.Duration {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 2, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

func main() {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		fmt.Println("StartCPUProfile:", err)
		os.Exit(1)
	}
	spinForProfile(300 * time.Millisecond)
	pprof.StopCPUProfile()
	z, err := gzip.NewReader(&buf)
	if err != nil {
		fmt.Println("profile:", err)
		os.Exit(1)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		fmt.Println("profile:", err)
		os.Exit(1)
	}
	// The function's name is in the profile's string table only if a
	// sample's stack held it.
	fmt.Println("the profile sampled the spinning function:", bytes.Contains(raw, []byte("main.spinForProfile")))
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Println("getrusage counts the spin:", used >= 300*time.Millisecond)
}
