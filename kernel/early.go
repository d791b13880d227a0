// Package kernel is oyako's core: it brings the machine up (EarlyInit),
// handles traps and reports crashes, drives the console, and serves the
// system calls the kernel's own Go runtime makes from ring 0 (the runtime
// services, DESIGN.md §1). It provides RunUser, which runs a user context
// in ring 3 until it traps back; the processes and threads built on it
// are package kernel/task's, memory is kernel/mm's.
//
// The runtime services run while the runtime may hold its own locks: on
// the calling thread's service stack, interrupts off, with a g that has no
// stack limit and no m. They must not allocate, block in Go, or store Go
// pointers; they block only through package sched.
package kernel

import (
	"oyako/amd64"
	"oyako/boot/linkinfo"
	"oyako/kernel/klog"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/kernel/sched"
	"oyako/kernel/vdso"
	"oyako/kernel/virtio"
)

// istStackSize is the size of each interrupt stack.
const istStackSize = 16 << 10

// EarlyInit brings the CPU, memory, interrupts, clocks and threads up, so
// that the Go runtime can start on the boot stack as thread 1. It runs
// before the Go runtime and package initialization (see boot.early).
func EarlyInit() {
	amd64.DetectFeatures()
	parseCmdline(Boot.CmdlineString())
	if Boot.Link.Magic != linkinfo.Patched {
		fatal("kernel image was not post-linked (boot/postlink)")
	}
	if !amd64.CPU.Has(amd64.FeatureNX) || !amd64.CPU.Has(amd64.FeatureSYSCALL) {
		fatal("CPU lacks NX or SYSCALL")
	}
	amd64.Wrmsr(amd64.MSR_EFER, amd64.Rdmsr(amd64.MSR_EFER)|amd64.EFER_NXE)

	initFrames()
	pt := buildKernelPageTable()
	amd64.WriteCR3(pt.Root)
	mm.UseDirectMap()
	enableCR4Features()
	mm.Kernel.Init(pt, mm.RuntimeBase, mm.RuntimeBase+mm.RuntimeSize)
	mm.Kernel.SetLazyImage(uintptr(Boot.Link.LazyStart), uintptr(Boot.Link.LazyEnd))
	check(mm.InitFrameRefs(Boot.RAMTop()), "frame reference counts")

	c := amd64.InitCPU(0, istStacks(0))
	if amd64.ReadCR4()&amd64.CR4_FSGSBASE != 0 {
		c.UseFSGSBASE = 1
	}
	amd64.InitFPU(c)
	amd64.InitIDT()
	amd64.SetTrapHandler(handleTrap)

	ktime.Init(Boot.BootTSC)
	if amd64.CPU.Has(amd64.FeatureRDTSCP) {
		amd64.Wrmsr(amd64.MSR_TSC_AUX, 0) // the CPU number, for the vDSO's getcpu
	}
	if msg := vdso.Setup(pt); msg != "" {
		fatal(string(msg))
	}
	amd64.DisablePIC()
	amd64.InitLAPIC()
	ktime.CalibrateLAPIC()
	amd64.InitIOAPIC()

	initRuntimeFiles()
	sched.SetWatchdogHandler(crashWatchdogExpired)
	sched.InitCPU(c)
	earlyDoneNanos = ktime.Now()
}

// earlyDoneNanos is the monotonic time at which EarlyInit finished.
var earlyDoneNanos int64

// initFrames hands the memory map's RAM to the frame allocator, minus the
// first MiB (firmware data and the PVH start info live there), the kernel
// image and the boot modules.
func initFrames() {
	var ram [len(Boot.Mem)]mm.Range
	n := 0
	for _, r := range Boot.Mem[:Boot.NMem] {
		if r.Type == MemRAM {
			ram[n] = mm.Range{Base: r.Base, End: r.Base + r.Size}
			n++
		}
	}
	var reserved [2 + len(Boot.Modules)]mm.Range
	reserved[0] = mm.Range{Base: 0, End: 1 << 20}
	reserved[1] = Boot.imagePhys()
	m := 2
	for _, r := range Boot.Modules[:Boot.NModules] {
		reserved[m] = r
		m++
	}
	if mm.InitFrames(ram[:n], reserved[:m]) == 0 {
		fatal("no usable RAM in the memory map")
	}
}

// buildKernelPageTable creates the kernel's page table: the upper-half
// PML4 entries every address space shares, the direct map of all RAM, the
// kernel image with per-segment permissions, and the MMIO window.
func buildKernelPageTable() mm.PageTable {
	pt, err := mm.NewPageTable()
	check(err, "page table root")
	for _, base := range [...]uintptr{mm.DirectMapBase, mm.RuntimeBase, mm.StackBase, mm.FrameRefBase, mm.KernelBase} {
		check(pt.Precreate(base), "kernel PML4 entry")
	}

	top := Boot.RAMTop()
	size := uint64(mm.HugeSize)
	if amd64.CPU.Has(amd64.FeaturePDPE1GB) {
		size = mm.GigaSize
	}
	for pa := uint64(0); pa < top; pa += size {
		check(pt.MapLarge(mm.DirectMapBase+uintptr(pa), pa, size, mm.PTEWrite|mm.PTENoExec|mm.PTEGlobal), "direct map")
	}

	for _, s := range Boot.Link.Segments[:Boot.Link.NSegments] {
		flags := mm.PTEGlobal
		if s.Flags&linkinfo.FlagW != 0 {
			flags |= mm.PTEWrite
		}
		if s.Flags&linkinfo.FlagX == 0 {
			flags |= mm.PTENoExec
		}
		start := uintptr(s.Vaddr) &^ (mm.PageSize - 1)
		for va := start; va < uintptr(s.Vaddr+s.Memsz); va += mm.PageSize {
			check(pt.Map(va, uint64(va-mm.KernelBase), flags), "kernel image")
		}
	}

	mmio := [...]uint64{uint64(amd64.IOAPIC.Base), uint64(amd64.IOAPIC2.Base), uint64(amd64.LAPIC.Base)}
	for _, pa := range mmio {
		mapMMIO(pt, pa)
	}
	for pa := uint64(virtioMMIOBase); pa < virtioMMIOBase+virtioTransports*virtio.MMIOSize; pa += mm.PageSize {
		mapMMIO(pt, pa)
	}
	return pt
}

// mapMMIO maps the page of device registers at pa, uncached.
func mapMMIO(pt mm.PageTable, pa uint64) {
	check(pt.Map(uintptr(pa), pa, mm.PTEWrite|mm.PTENoExec|mm.PTECacheDisable|mm.PTEWriteThrough|mm.PTEGlobal), "MMIO window")
}

// enableCR4Features turns on global pages and the protections the CPU
// offers: SMEP and SMAP (the kernel never touches user pages directly;
// copy-in/out goes through the direct map) and UMIP, plus FSGSBASE.
func enableCR4Features() {
	cr4 := amd64.ReadCR4() | amd64.CR4_PGE
	for _, f := range [...]struct {
		feature amd64.FeatureID
		bit     uint64
	}{
		{amd64.FeatureSMEP, amd64.CR4_SMEP},
		{amd64.FeatureSMAP, amd64.CR4_SMAP},
		{amd64.FeatureUMIP, amd64.CR4_UMIP},
		{amd64.FeatureFSGSBASE, amd64.CR4_FSGSBASE},
	} {
		if amd64.CPU.Has(f.feature) {
			cr4 |= f.bit
		}
	}
	amd64.WriteCR4(cr4)
}

// istStacks maps CPU cpu's interrupt stacks, each under a guard page, in
// the stack region after the thread stacks.
func istStacks(cpu int) [amd64.NumIST + 1]uintptr {
	var tops [amd64.NumIST + 1]uintptr
	for i := 1; i <= amd64.NumIST; i++ {
		slot := sched.MaxThreads + cpu*8 + i
		top := mm.StackBase + uintptr(slot+1)*2*istStackSize
		check(mm.MapKernelPages(top-istStackSize, istStackSize/mm.PageSize), "interrupt stack")
		tops[i] = top
	}
	return tops
}

func check(err mm.Err, what string) {
	if err != mm.OK {
		var l klog.Line
		l.S("oyako: early boot: ").S(what).S(": ").S(err.Error()).Always()
		PowerOff(StatusKernelCrash)
	}
}

// fatal reports an unrecoverable condition outside Go context and powers off.
func fatal(msg string) {
	var l klog.Line
	l.S("oyako: fatal: ").S(msg).Always()
	PowerOff(StatusKernelCrash)
}

// EarlyDone returns the monotonic time (ns) at which EarlyInit finished.
func EarlyDone() int64 { return earlyDoneNanos }
