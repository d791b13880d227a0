package kernel

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"

	"oyako/amd64"
	"oyako/kernel/klog"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/kernel/sched"
)

// A kernel fault is reported in two parts. The trap handler prints what it
// can without a Go context: the vector, error code, registers, CR2 and the
// bytes at RIP. If the fault hit ordinary Go code (interrupts were on, the
// stack is a goroutine's), the handler then makes the faulting goroutine
// call crashReport, as Go's runtime injects sigpanic for a signal: the
// faulting PC becomes crashReport's caller. crashReport, an ordinary Go
// function, disassembles the instruction with x86asm, names the Go
// function, and panics, so the runtime prints the goroutine's traceback and
// exits with status 2. A watchdog powers off if that does not finish.

// crashWatchdog bounds the Go-context part of a crash report.
const crashWatchdog = 5e9 // ns

type crashRecord struct {
	frame   amd64.Frame
	cr2     uint64
	cr3     uint64
	code    [16]byte
	codeLen int
	active  bool
}

var crashState crashRecord

// crashTrampoline is where an injected crash report starts (crash.s).
func crashTrampoline()

var crashTrampolinePC uintptr

// kernelFault reports an exception the kernel cannot handle.
func kernelFault(f *amd64.Frame, cr2 uint64) {
	if crashState.active {
		var l klog.Line
		l.S("oyako: kernel fault while reporting a kernel fault: vector ").U(f.Vector).S(" at RIP ").X(f.Regs.Rip).S(" CR2 ").X(cr2).Always()
		PowerOff(StatusKernelCrash)
	}
	crashState.active = true
	crashState.frame = *f
	crashState.cr2 = cr2
	crashState.cr3 = amd64.ReadCR3()
	crashState.codeLen = readKernelBytes(uintptr(f.Regs.Rip), crashState.code[:])
	printRawReport(f, cr2)

	if canInject(f) {
		inject(f)
		return
	}
	// A fault in a runtime service: if the thread made the call from
	// ordinary Go code, report from there; the service is abandoned.
	if caller := serviceCaller(f); caller != nil && canInject(caller) {
		var l klog.Line
		l.S("oyako: the fault is in a runtime service (system call ").U(caller.Regs.OrigRax).S("); reporting from the goroutine that called it").Always()
		inject(caller)
		amd64.Resume(caller)
	}
	var l klog.Line
	l.S("oyako: no Go context to finish the report from (interrupt handler, runtime service or early boot); oyako qemu decodes the Code line on the host").Always()
	PowerOff(StatusKernelCrash)
}

// inject makes f call crashReport when resumed: the faulting PC is pushed
// as the return address, so tracebacks show the faulting function.
func inject(f *amd64.Frame) {
	sp := uintptr(f.Regs.Rsp) - 8
	*(*uint64)(amd64.Ptr(sp)) = f.Regs.Rip
	f.Regs.Rsp = uint64(sp)
	f.Regs.Rip = uint64(crashTrampolinePC)
	sched.SetWatchdog(ktime.Now() + crashWatchdog)
}

// serviceCaller returns the frame of the system call the current thread is
// serving, if f was interrupted on the thread's service stack. The SYSCALL
// entry builds that frame at the top of the service stack.
func serviceCaller(f *amd64.Frame) *amd64.Frame {
	t := sched.Current()
	if t == nil || t.IsIdle() || f.FromUser() {
		return nil
	}
	top := t.KStackTop()
	sp := uintptr(f.Regs.Rsp)
	if sp >= top || sp < top-sched.KStackSize {
		return nil
	}
	caller := (*amd64.Frame)(amd64.Ptr(top - unsafe.Sizeof(amd64.Frame{})))
	if caller.Vector != amd64.VectorSyscall {
		return nil
	}
	return caller
}

// canInject reports whether f was running ordinary Go code: ring 0 with
// interrupts on, on a stack that is not a service or interrupt stack.
func canInject(f *amd64.Frame) bool {
	if f.FromUser() || f.Regs.Eflags&amd64.FlagIF == 0 || !runtimeStarted {
		return false
	}
	sp := uintptr(f.Regs.Rsp)
	return sp < mm.StackBase || sp >= mm.StackBase+mm.StackSize
}

// runtimeStarted is set once the Go runtime runs main.
var runtimeStarted bool

// crashWatchdogExpired runs in interrupt context when the Go-context part
// of a crash report did not finish (the faulting goroutine may hold a lock
// the report needs).
func crashWatchdogExpired() {
	var l klog.Line
	l.S("oyako: the crash report did not finish within 5 s; powering off").Always()
	PowerOff(StatusWatchdog)
}

// readKernelBytes copies up to len(dst) bytes at va, stopping at the first
// unmapped page, through the page table rather than by dereferencing va.
func readKernelBytes(va uintptr, dst []byte) int {
	pt := mm.Kernel.PageTable()
	for i := range dst {
		pa, ok := pt.Translate(va + uintptr(i))
		if !ok {
			return i
		}
		dst[i] = *(*byte)(amd64.Ptr(mm.PhysToVirt(pa)))
	}
	return len(dst)
}

func printRawReport(f *amd64.Frame, cr2 uint64) {
	r := &f.Regs
	var l klog.Line
	l.S("oyako: kernel crash: ").S(amd64.VectorName(f.Vector)).S(" (vector ").U(f.Vector).S("), error code ").X(r.OrigRax)
	if f.Vector == amd64.VectorPF {
		l.S(" [")
		if r.OrigRax&pfPresent != 0 {
			l.S("protection violation")
		} else {
			l.S("page not present")
		}
		if r.OrigRax&pfWrite != 0 {
			l.S(", write")
		} else {
			l.S(", read")
		}
		if r.OrigRax&pfInstr != 0 {
			l.S(", instruction fetch")
		}
		if r.OrigRax&pfUser != 0 {
			l.S(", user mode")
		} else {
			l.S(", kernel mode")
		}
		if r.OrigRax&pfRsvd != 0 {
			l.S(", reserved bit")
		}
		l.S("]")
	}
	l.Always()
	l.S("oyako: RIP: ").Hex(r.Cs, 4).C(':').Hex(r.Rip, 16).S(" RFLAGS: ").Hex(r.Eflags, 16).Always()
	l.S("oyako: RSP: ").Hex(r.Ss, 4).C(':').Hex(r.Rsp, 16).S(" CR2: ").Hex(cr2, 16).S(" CR3: ").Hex(crashState.cr3, 16).Always()
	regs := [...]struct {
		name string
		v    uint64
	}{
		{"RAX", r.Rax}, {"RBX", r.Rbx}, {"RCX", r.Rcx},
		{"RDX", r.Rdx}, {"RSI", r.Rsi}, {"RDI", r.Rdi},
		{"RBP", r.Rbp}, {"R8 ", r.R8}, {"R9 ", r.R9},
		{"R10", r.R10}, {"R11", r.R11}, {"R12", r.R12},
		{"R13", r.R13}, {"R14", r.R14}, {"R15", r.R15},
	}
	for i := 0; i < len(regs); i += 3 {
		l.S("oyako: ")
		for j := i; j < i+3; j++ {
			l.S(regs[j].name).S(": ").Hex(regs[j].v, 16).C(' ')
		}
		l.Always()
	}
	l.S("oyako: FS base: ").Hex(f.FSBase, 16).S(" CR0: ").Hex(amd64.ReadCR0(), 8).S(" CR4: ").Hex(amd64.ReadCR4(), 8).Always()
	l.S("oyako: Code:")
	for _, b := range crashState.code[:crashState.codeLen] {
		l.C(' ').Hex(uint64(b), 2)
	}
	if crashState.codeLen == 0 {
		l.S(" (RIP is not mapped)")
	}
	l.Always()
}

// crashReport runs on the faulting goroutine (see kernelFault).
func crashReport() {
	f := &crashState.frame
	rip := f.Regs.Rip
	name, file, line := "?", "?", 0
	if fn := runtime.FuncForPC(uintptr(rip)); fn != nil {
		name = fmt.Sprintf("%s+%#x", fn.Name(), uintptr(rip)-fn.Entry())
		file, line = fn.FileLine(uintptr(rip))
	}
	text := "(no code bytes)"
	if crashState.codeLen > 0 {
		if inst, err := x86asm.Decode(crashState.code[:crashState.codeLen], 64); err == nil {
			text = fmt.Sprintf("%s    (Go: %s; %d bytes)", x86asm.IntelSyntax(inst, rip, nil), x86asm.GoSyntax(inst, rip, nil), inst.Len)
		} else {
			text = "undecodable: " + err.Error()
		}
	}
	fmt.Fprintf(os.Stderr, "oyako: faulting instruction: %s\n", text)
	fmt.Fprintf(os.Stderr, "oyako: in Go function %s (%s:%d)\n", name, file, line)
	panic(fmt.Sprintf("oyako: kernel fault: %s at %#x (CR2 %#x)", amd64.VectorName(f.Vector), rip, crashState.cr2))
}

// shutdownReport prints the kernel's counters when it powers off.
func shutdownReport() {
	total, used, peak := mm.FrameStats()
	live, peakT, sw := sched.Stats()
	var served uint64
	for _, n := range serviceCounts {
		served += n
	}
	var l klog.Line
	l.S("oyako: shutdown: runtime services: ").U(served).S(" calls, ").U(unserved).S(" unserved (ENOSYS)").Print()
	l.S("oyako: shutdown: frames: ").U(used).S(" used, ").U(peak).S(" peak, ").U(total).S(" total; demand-zero faults: ").U(mm.Kernel.Faults()).Print()
	l.S("oyako: shutdown: threads: ").D(int64(live)).S(" live, ").D(int64(peakT)).S(" peak; context switches: ").U(sw).Print()
	var user uint64
	for i := range SyscallCounts {
		user += SyscallCounts[i].Load()
	}
	if user > 0 {
		l.S("oyako: shutdown: user system calls: ").U(user).S(", ").U(UserENOSYS.Load()).S(" answered ENOSYS").Print()
	}
}
