// Command oyako-kernel is the oyako kernel image: an ordinary static Go
// program for linux/amd64, booted on bare metal by boot/ (which the
// blank-looking import below links in). Its argv is the kernel command
// line:
//
//	quiet          no kernel log lines on the console
//	rtrace         log every system call the kernel's Go runtime makes
//	crash=KIND     crash deliberately: pagefault, gp, ud, panic (in Go
//	               code), service (in a runtime service), irq (in an
//	               interrupt handler), hang
//
// With no other instruction it prints the banner, runs the self-check and
// powers off with status 0 if every check passed.
package main

import (
	"fmt"
	"os"
	"strings"

	"oyako/boot"
	"oyako/kernel"
	"oyako/kernel/selfcheck"
)

func main() {
	kernel.Start()
	kernel.PrintBanner(os.Stdout)
	fmt.Printf("oyako: entered at physical %#x by the PVH loader\n", boot.BootInfo().PVHEntry)

	for _, arg := range os.Args[1:] {
		if kind, ok := strings.CutPrefix(arg, "crash="); ok {
			fmt.Printf("oyako: crashing on purpose: %s\n", kind)
			if err := kernel.Crash(kind); err != nil {
				fmt.Println("oyako:", err)
				os.Exit(1)
			}
		}
	}

	res, err := selfcheck.Run(os.Stdout, selfcheck.Config{
		Goroutines:  1000,
		RAMBytes:    ramSize(),
		GCFactor:    4,
		FramesInUse: kernel.MemoryInUse,
		PeakFrames:  kernel.PeakMemory,
	})
	if err != nil {
		fmt.Printf("self-check FAILED: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("self-check ok (checks took %v; %.0f ms since the PVH entry; peak memory %d MiB)\n",
		res.Elapsed.Round(1e6), float64(kernel.Uptime())/1e6, kernel.PeakMemory(false)>>20)
}

// ramSize is the guest's RAM size: the memory map's RAM rounded up to 16
// MiB, since firmware holes make it slightly less than QEMU's -m.
func ramSize() uint64 {
	const unit = 16 << 20
	return (kernel.Boot.RAMBytes() + unit - 1) / unit * unit
}
