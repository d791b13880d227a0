package qemu

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A BenchResult is one line of a benchmark program's output:
// "bench NAME CYCLES_PER_OP NS_PER_OP".
type BenchResult struct {
	Name   string
	Cycles float64 // TSC cycles per operation (median of rounds)
	Nanos  float64 // nanoseconds per operation
}

// ParseBench returns the benchmark lines of a program's output, in order.
func ParseBench(out []byte) ([]BenchResult, error) {
	var rs []BenchResult
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) != 4 || f[0] != "bench" {
			continue
		}
		c, err1 := strconv.ParseFloat(f[2], 64)
		n, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad benchmark line %q", l)
		}
		rs = append(rs, BenchResult{Name: f[1], Cycles: c, Nanos: n})
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("no benchmark lines in output:\n%s", out)
	}
	return rs, nil
}

// Bench is a benchmark program's results on both sides, with their
// whole outputs (for the lines that are not benchmark rows).
type Bench struct {
	Linux, Oyako       []BenchResult
	LinuxOut, OyakoOut []byte
}

// BenchSideBySide runs the benchmark program c natively and in oyako, one
// after the other, and returns both sides' results.
func BenchSideBySide(ctx context.Context, kernel string, c Case, timeout time.Duration) (*Bench, error) {
	host, err := RunHost(ctx, c, timeout)
	if err != nil {
		return nil, fmt.Errorf("native: %v", err)
	}
	if host.Status != 0 {
		return nil, fmt.Errorf("native: exit status %d:\n%s", host.Status, host.Output)
	}
	b := &Bench{LinuxOut: host.Output}
	if b.Linux, err = ParseBench(host.Output); err != nil {
		return nil, fmt.Errorf("native: %v", err)
	}
	oy, err := RunOyako(ctx, kernel, c, timeout)
	if err != nil {
		return nil, fmt.Errorf("oyako: %v", err)
	}
	if oy.Status != 0 {
		return nil, fmt.Errorf("oyako: exit status %d:\n%s", oy.Status, oy.Output)
	}
	b.OyakoOut = oy.Output
	if b.Oyako, err = ParseBench(oy.Output); err != nil {
		return nil, fmt.Errorf("oyako: %v", err)
	}
	return b, nil
}

// MemforkKiB returns the memory a fork of a process that touched 64 MiB
// took, from the benchmark program's "memfork" line (-1 if absent).
func MemforkKiB(out []byte) int {
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(l, "memfork ") {
			continue
		}
		f := strings.Fields(l)
		if n, err := strconv.Atoi(f[len(f)-2]); err == nil && f[len(f)-1] == "KiB" {
			return n
		}
	}
	return -1
}

// Ratio returns a's cycles over b's, both by name from rs (0 if either is
// missing).
func Ratio(rs []BenchResult, a, b string) float64 {
	var ca, cb float64
	for _, r := range rs {
		switch r.Name {
		case a:
			ca = r.Cycles
		case b:
			cb = r.Cycles
		}
	}
	if ca == 0 || cb == 0 {
		return 0
	}
	return ca / cb
}

// PrintBench writes the two sides as a table with oyako/Linux ratios.
func PrintBench(w io.Writer, b *Bench) {
	linux, oyako := b.Linux, b.Oyako
	byName := map[string]BenchResult{}
	for _, r := range linux {
		byName[r.Name] = r
	}
	fmt.Fprintf(w, "%-24s %14s %14s %8s %12s %12s\n", "benchmark", "linux cycles", "oyako cycles", "ratio", "linux ns", "oyako ns")
	for _, o := range oyako {
		l, ok := byName[o.Name]
		if !ok {
			fmt.Fprintf(w, "%-24s %14s %14.1f %8s %12s %12.1f\n", o.Name, "-", o.Cycles, "-", "-", o.Nanos)
			continue
		}
		ratio := "-"
		if l.Cycles > 0 {
			ratio = fmt.Sprintf("%.1fx", o.Cycles/l.Cycles)
		}
		fmt.Fprintf(w, "%-24s %14.1f %14.1f %8s %12.1f %12.1f\n", o.Name, l.Cycles, o.Cycles, ratio, l.Nanos, o.Nanos)
	}
	const vdso, sys = "clock_gettime-vdso", "clock_gettime-syscall"
	if r := Ratio(oyako, sys, vdso); r != 0 {
		fmt.Fprintf(w, "clock_gettime through the vDSO is %.1fx faster than the system call on oyako (%.1fx on Linux)\n", r, Ratio(linux, sys, vdso))
	}
	if o, l := MemforkKiB(b.OyakoOut), MemforkKiB(b.LinuxOut); o >= 0 {
		fmt.Fprintf(w, "fork of a process that touched 64 MiB: %d KiB of free memory used while the child lives on oyako (%d KiB on Linux, where other processes also use memory); pages are shared copy-on-write, not copied\n", o, l)
	}
}
