package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"oyako/qemu"
)

// cmdFuzz builds user/c/fuzz.c and runs it as init in one boot (make
// fuzz): the fuzzer's progress lines as they come, then its report and
// the kernel's per-call counts and errnos. It exits with the fuzzer's
// status (0: no hang, every child accounted for, memory back).
func cmdFuzz(argv []string) (int, error) {
	fs := flag.NewFlagSet("fuzz", flag.ExitOnError)
	n := fs.Int64("n", 1000000, "system calls to make")
	seed := fs.String("seed", "", "the run's seed (default: the fuzzer picks one and prints it)")
	mem := fs.String("m", qemu.FuzzMemory, "guest RAM")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: oyako fuzz [-n CALLS] [-seed N] [-m SIZE] [-- fuzzer flags: -batch K -batches M -only NR,... -progress CALLS -v ...]\n")
		fs.PrintDefaults()
	}
	fs.Parse(argv)
	o := qemu.FuzzOptions{Calls: *n, Args: fs.Args(), Memory: *mem, Progress: os.Stdout}
	if *seed != "" {
		if _, err := fmt.Sscan(*seed, &o.Seed); err != nil {
			return 0, fmt.Errorf("bad -seed %q", *seed)
		}
		o.HasSeed = true
	}
	kernel, err := qemu.BuildKernel("")
	if err != nil {
		return 0, err
	}
	root, err := qemu.RepoRoot()
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "oyako-fuzz-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	prog, err := qemu.BuildUserC(root, dir, "fuzz")
	if err != nil {
		return 0, err
	}
	// About 1,500 calls a second under TCG on an idle machine.
	fmt.Printf("oyako fuzz: %d calls in one boot (%s guest, TCG): about %v on an idle machine, time limit %v\n",
		o.Calls, o.Memory, time.Duration(o.Calls/1500+10)*time.Second, qemu.FuzzTimeout(o.Calls))
	res, err := qemu.RunFuzz(context.Background(), kernel, prog, o)
	if res != nil {
		qemu.PrintFuzz(os.Stdout, res)
		printKernelReports(res.Side, res.Serial, kernel)
	}
	if err != nil {
		return 0, err
	}
	if err := res.Check(); err != nil {
		fmt.Fprintln(os.Stderr, "oyako:", err)
		if res.Status == 0 {
			return 1, nil
		}
	}
	return res.Status, nil
}
