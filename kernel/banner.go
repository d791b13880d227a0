package kernel

import (
	"fmt"
	"io"
	"strings"

	"oyako/amd64"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
)

// PrintBanner writes the boot banner: boot time, RAM, CPU, clocks.
func PrintBanner(w io.Writer) {
	tsc := ktime.TSCHz()
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	fmt.Fprintf(w, "oyako: a Go kernel for the Linux system call interface\n")
	fmt.Fprintf(w, "oyako: boot: %.1f ms from the PVH entry to Go main (%.1f ms of it in early init); firmware took %.1f ms before the entry\n",
		ms(MainStarted()), ms(EarlyDone()), float64(Boot.BootTSC)*1e3/float64(tsc))
	total, used, _ := mm.FrameStats()
	img := Boot.imagePhys()
	fmt.Fprintf(w, "oyako: RAM: %d MiB in the memory map, %d MiB free for frames; kernel image %.1f MiB at %#x; %d MiB in use\n",
		Boot.RAMBytes()>>20, total*mm.PageSize>>20, float64(img.End-img.Base)/(1<<20), img.Base, used*mm.PageSize>>20)
	c := &amd64.CPU
	fmt.Fprintf(w, "oyako: CPU: %s %q family %d model %d stepping %d\n", c.VendorString(), c.BrandString(), c.Family, c.Model, c.Stepping)
	fmt.Fprintf(w, "oyako: CPU features: %s\n", strings.Join(c.FeatureNames(), " "))
	fmt.Fprintf(w, "oyako: TSC: %.3f MHz, calibrated by %s; LAPIC timer %.3f MHz\n",
		float64(tsc)/1e6, ktime.CalibrationMethod(), float64(ktime.LAPICHz())/1e6)
	fmt.Fprintf(w, "oyako: command line: %q\n", Boot.CmdlineString())
}

// MemoryInUse returns the physical memory in use, in bytes.
func MemoryInUse() uint64 {
	_, used, _ := mm.FrameStats()
	return used * mm.PageSize
}

// PeakMemory returns the high-water mark of physical memory in use since
// the last reset, in bytes, and resets it if reset is set.
func PeakMemory(reset bool) uint64 {
	if reset {
		mm.ResetPeak()
	}
	_, _, peak := mm.FrameStats()
	return peak * mm.PageSize
}

// MemTotals returns the RAM the frame allocator manages and how much of
// it is free, in bytes (MemTotal and MemFree).
func MemTotals() (total, free uint64) {
	t, used, _ := mm.FrameStats()
	return t * mm.PageSize, (t - used) * mm.PageSize
}
