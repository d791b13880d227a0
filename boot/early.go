package boot

import (
	"unsafe"

	"oyako/amd64"
	"oyako/boot/cmdline"
	"oyako/boot/linkinfo"
	"oyako/kernel"
	"oyako/kernel/initstack"
	"oyako/kernel/klog"
	"oyako/kernel/mm"
	"oyako/kernel/vdso"
	"oyako/syscalls"
)

// linkInfo is filled in by boot/postlink after linking. It must be
// initialized (not zero) so that it lives in the file's data, not in BSS.
var linkInfo = linkinfo.Record{Magic: linkinfo.Magic}

// initStack is the stack the Go runtime starts on; it becomes the first
// M's g0 stack, which the runtime assumes is at least 64 KiB.
var initStack [256 << 10]byte

// The argv and envp the kernel's Go program gets (pointing into
// kernel.Boot.Cmdline or static strings).
var (
	argvBuf [64]string
	envpBuf [8]string
	auxvBuf [8]initstack.Aux
	// addrBuf is initstack's room for the argv and envp addresses.
	addrBuf [len(argvBuf) + len(envpBuf)]uint64
)

// early runs once, on the boot stack, at the kernel's link address, before
// the Go runtime has run a single instruction. FS points at a fake TLS
// block whose g has a zero stack guard, so ordinary Go code runs here as
// long as it neither allocates nor relies on package initialization (which
// has not happened yet: only statically initialized data is valid).
//
// It returns the stack pointer and entry point to start the Go runtime with.
func early(startInfo uintptr) (sp, entry uintptr) {
	amd64.InitSerial()
	bi := &kernel.Boot
	bi.BootTSC = bootTSC
	bi.Link = linkInfo
	if msg := parseStartInfo(identity, uint64(startInfo), bi); msg != "" {
		die(msg)
	}
	if linkInfo.Magic == linkinfo.Patched && uint64(pvhEntryAddr-mm.KernelBase) != linkInfo.PVHEntry {
		die("PVH entry in the link record does not match pvhEntry")
	}
	kernel.EarlyInit()
	amd64.EnableSyscall(syscalls.EntryAddr())
	return initialStack(), uintptr(linkInfo.Entry)
}

// initialStack builds the Linux initial stack the Go runtime's ELF entry
// (_rt0_amd64_linux) expects: argv is "oyako" and the words of the kernel
// command line (split as Linux splits them, quotes included), the environment turns off asynchronous preemption (it
// needs signal delivery to ring 0, which does not exist yet) and asks for
// full tracebacks (a kernel panic should show every goroutine), and auxv
// has what the runtime reads.
func initialStack() uintptr {
	// Fixed arrays indexed by hand: append could (the compiler cannot tell
	// it will not) call the allocator, which does not exist yet.
	argv := argvBuf[:]
	n := 0
	argv[n] = "oyako"
	n++
	cl := kernel.Boot.Cmdline[:kernel.Boot.CmdlineLen]
	for i := 0; n < len(argv); {
		start, end, next, ok := cmdline.Next(cl, i)
		if !ok {
			break
		}
		argv[n] = ""
		if end > start {
			argv[n] = unsafe.String(&cl[start], end-start)
		}
		n++
		i = next
	}
	argv = argv[:n]
	envp := envpBuf[:5]
	// cpu.avx=off,cpu.avx2=off: the kernel's Go code uses no AVX (memmove
	// and memclr stay on SSE), so the vector registers it can change are
	// XMM0-15, which the system call fast path saves (syscalls/fast.go).
	envp[0], envp[1], envp[2], envp[3], envp[4] = "GODEBUG=asyncpreemptoff=1,cpu.avx=off,cpu.avx2=off", "GOTRACEBACK=system", "GOMAXPROCS=8", "HOME=/", "TERM=linux"
	auxv := auxvBuf[:5]
	auxv[0] = initstack.Aux{Type: initstack.AT_HWCAP, Value: uint64(amd64.CPU.Leaf1EDX)}
	auxv[1] = initstack.Aux{Type: initstack.AT_PAGESZ, Value: mm.PageSize}
	auxv[2] = initstack.Aux{Type: initstack.AT_CLKTCK, Value: 100}
	auxv[3] = initstack.Aux{Type: initstack.AT_SECURE, Value: 0}
	// The vDSO, so that the runtime's clock reads are not system calls.
	auxv[4] = initstack.Aux{Type: initstack.AT_SYSINFO_EHDR, Value: vdso.KernelEHDR()}
	p := initstack.Params{Argv: argv, Envp: envp, Auxv: auxv, ExecFn: "/oyako", Platform: "x86_64", Addrs: addrBuf[:]}
	for i := 0; i < 16; i += 8 {
		v := kernel.RandomUint64()
		for j := 0; j < 8; j++ {
			p.Random[i+j] = byte(v >> (8 * j))
		}
	}
	top := uintptr(unsafe.Pointer(&initStack[0])) + uintptr(len(initStack))
	sp, ok := initstack.Build(initStack[:], uint64(top), &p)
	if !ok {
		die("kernel command line too long for the initial stack")
	}
	return uintptr(sp)
}

func die(msg string) {
	var l klog.Line
	l.S("oyako: boot: ").S(msg).Always()
	kernel.PowerOff(kernel.StatusKernelCrash)
}

// Info reports facts about this boot for the banner.
type Info struct {
	PVHEntry uint64 // physical entry address
	BootTSC  uint64 // TSC at the first instruction
}

// BootInfo returns facts about this boot.
func BootInfo() Info {
	return Info{PVHEntry: uint64(pvhEntryAddr - kernelBase), BootTSC: bootTSC}
}
