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

// BenchSideBySide runs the benchmark program c natively and in oyako, one
// after the other, and returns both sides' results.
func BenchSideBySide(ctx context.Context, kernel string, c Case, timeout time.Duration) (linux, oyako []BenchResult, err error) {
	host, err := RunHost(ctx, c, timeout)
	if err != nil {
		return nil, nil, fmt.Errorf("native: %v", err)
	}
	if host.Status != 0 {
		return nil, nil, fmt.Errorf("native: exit status %d:\n%s", host.Status, host.Output)
	}
	if linux, err = ParseBench(host.Output); err != nil {
		return nil, nil, fmt.Errorf("native: %v", err)
	}
	oy, err := RunOyako(ctx, kernel, c, timeout)
	if err != nil {
		return nil, nil, fmt.Errorf("oyako: %v", err)
	}
	if oy.Status != 0 {
		return nil, nil, fmt.Errorf("oyako: exit status %d:\n%s", oy.Status, oy.Output)
	}
	if oyako, err = ParseBench(oy.Output); err != nil {
		return nil, nil, fmt.Errorf("oyako: %v", err)
	}
	return linux, oyako, nil
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
func PrintBench(w io.Writer, linux, oyako []BenchResult) {
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
}
