package kernel

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"oyako/amd64"
)

// CrashKinds lists the deliberate crashes the kernel can be asked for on
// its command line (crash=KIND), to test the crash report.
var CrashKinds = []string{"pagefault", "gp", "ud", "panic", "service", "irq", "hang"}

// faultInIRQ makes the next timer interrupt fault (crash=irq).
var faultInIRQ bool

// Crash deliberately crashes the kernel in the way kind names.
func Crash(kind string) error {
	switch kind {
	case "pagefault":
		crashPageFault(0xdead0000)
	case "gp":
		crashGP()
	case "ud":
		amd64.Ud2()
	case "panic":
		crashPanic()
	case "service":
		// A runtime service dereferences a bad pointer it was given: a
		// kernel fault with no Go context to report from.
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, 10, 0xdead0000, 0, 8, 0, 0)
	case "irq":
		faultInIRQ = true
		for {
			time.Sleep(time.Second)
		}
	case "hang":
		// Spin with interrupts on: only the host's watchdog ends this.
		for {
		}
	default:
		return fmt.Errorf("unknown crash kind %q (want one of %v)", kind, CrashKinds)
	}
	return fmt.Errorf("crash=%s did not crash", kind)
}

//go:noinline
func crashPageFault(addr uintptr) {
	*(*uint64)(amd64.Ptr(addr)) = 0x1234
}

//go:noinline
func crashGP() {
	// A non-canonical address: the CPU raises #GP, not #PF.
	p := (*uint64)(unsafe.Add(amd64.Ptr(0x8000_0000_0000_0000), 0))
	*p = 1
}

//go:noinline
func crashPanic() {
	var m map[string]int
	m["oyako"] = 1 // assignment to entry in nil map
}
