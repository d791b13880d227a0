package kernel

import (
	"oyako/amd64"
	"oyako/kernel/klog"
)

// Exit statuses the kernel itself chooses. A status the kernel's Go
// program passes to exit_group (0 after main returns, 2 after a panic) is
// passed through.
const (
	// StatusKernelCrash: a fault or fatal error outside any Go context
	// (interrupt handler, runtime service, early boot).
	StatusKernelCrash = 3
	// StatusWatchdog: a crash report did not finish in time.
	StatusWatchdog = 4
)

// PowerOff stops the machine with status. It tells the host harness the
// exact status on the debugcon side channel ("oyako-exit N"), because
// isa-debug-exit can only report odd values, then exits QEMU.
func PowerOff(status int) {
	shutdownReport()
	var l klog.Line
	l.S("oyako-exit ").U(uint64(status & 0xff)).C('\n')
	klog.Side(l.Bytes())
	amd64.QEMUExit(uint32(status & 0xff))
	// No isa-debug-exit device: stop here.
	amd64.HaltForever()
}

// parseCmdline applies the kernel command-line options the kernel itself
// acts on before the Go program runs; main sees the whole line as argv.
// It runs before package initialization, so it does not allocate.
func parseCmdline(s string) {
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != ' ' {
			i++
		}
		switch s[:i] {
		case "quiet":
			klog.Quiet = true
		case "rtrace":
			traceServices = true
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		s = s[i:]
	}
}
