package qemu

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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

// BenchCalls is a write row's "calls NAME SYSCALLS WRITES WAKEUPS
// YIELDS" line: the system calls the benchmark program made for its
// writes, over all rounds, how many writes it did, and among the calls
// those that woke an SQ thread and the sched_yield calls of long waits.
type BenchCalls struct {
	Name                           string
	Calls, Writes, Wakeups, Yields int64
}

// PerWrite is the system calls per write.
func (c BenchCalls) PerWrite() float64 {
	if c.Writes == 0 {
		return 0
	}
	return float64(c.Calls) / float64(c.Writes)
}

// String is the calls per write, with the counts.
func (c BenchCalls) String() string {
	s := fmt.Sprintf("%.4g (%d in %d writes", c.PerWrite(), c.Calls, c.Writes)
	if c.Wakeups+c.Yields > 0 {
		s += fmt.Sprintf(": %d wakeups, %d yields", c.Wakeups, c.Yields)
	}
	return s + ")"
}

// ParseCalls returns the "calls" lines of a benchmark program's output,
// in order.
func ParseCalls(out []byte) []BenchCalls {
	var cs []BenchCalls
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) != 6 || f[0] != "calls" {
			continue
		}
		var n [4]int64
		ok := true
		for i := range n {
			var err error
			n[i], err = strconv.ParseInt(f[2+i], 10, 64)
			ok = ok && err == nil
		}
		if ok {
			cs = append(cs, BenchCalls{Name: f[1], Calls: n[0], Writes: n[1], Wakeups: n[2], Yields: n[3]})
		}
	}
	return cs
}

// Bench is a benchmark program's results on both sides, with their
// whole outputs (for the lines that are not benchmark rows).
type Bench struct {
	Linux, Oyako       []BenchResult
	LinuxOut, OyakoOut []byte
	// OyakoSide is oyako's side channel, with the per-call counters.
	OyakoSide []byte
}

// BenchAdd are the host files the benchmark's image holds besides the
// program: Debian's dynamically linked true (with its interpreter and
// libraries, gathered by Initramfs), for the row vfork-execve-dynamic-wait,
// when the host has it.
func BenchAdd() []string {
	if _, err := os.Stat("/usr/bin/true"); err != nil {
		return nil
	}
	return []string{"/usr/bin/true"}
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
	oy, err := RunOyako(ctx, kernel, c, timeout, "sysstats")
	if err != nil {
		return nil, fmt.Errorf("oyako: %v", err)
	}
	if oy.Status != 0 {
		return nil, fmt.Errorf("oyako: exit status %d:\n%s", oy.Status, oy.Output)
	}
	b.OyakoOut, b.OyakoSide = oy.Output, oy.Side
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
	return ratioBy(rs, func(r BenchResult) (string, float64) { return r.Name, r.Cycles }, a, b)
}

// ratioBy returns the value of row a over that of row b, both by name
// from rs, with key giving a row's name and value (0 if either is
// missing or 0).
func ratioBy[T any](rs []T, key func(T) (string, float64), a, b string) float64 {
	var va, vb float64
	for _, r := range rs {
		switch name, v := key(r); name {
		case a:
			va = v
		case b:
			vb = v
		}
	}
	if va == 0 || vb == 0 {
		return 0
	}
	return va / vb
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
		if o.Name == "boot-to-main" {
			continue // process 1's row, for make bench-linux: natively the program is not init
		}
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
	// Issue 10's acceptance: epoll_wait's cost does not grow with the
	// interest set (at most 1.5x from 10 to 10,000 watched), poll's does.
	const ep10, ep10k, poll10, poll10k = "epoll_wait-10", "epoll_wait-10000", "poll-10", "poll-10000"
	if r := Ratio(oyako, ep10k, ep10); r != 0 {
		fmt.Fprintf(w, "one ready among 10,000 watched over one among 10: epoll_wait %.2fx on oyako (%.2fx on Linux), poll %.0fx (%.0fx)\n",
			r, Ratio(linux, ep10k, ep10), Ratio(oyako, poll10k, poll10), Ratio(linux, poll10k, poll10))
	}
	printCalls(w, ParseCalls(b.LinuxOut), ParseCalls(b.OyakoOut), SyscallStats(b.OyakoSide))
	if o, l := MemforkKiB(b.OyakoOut), MemforkKiB(b.LinuxOut); o >= 0 {
		fmt.Fprintf(w, "fork of a process that touched 64 MiB: %d KiB of free memory used while the child lives on oyako (%d KiB on Linux, where other processes also use memory); pages are shared copy-on-write, not copied\n", o, l)
	}
}

// printCalls writes the write rows' system calls per write (issue 11:
// a write(2) loop makes one per write, io_uring with one
// io_uring_enter per batch of 32 makes 1/32, and SQPOLL none while its
// thread is awake, plus the wakeups and, where the SQ thread shares the
// program's CPU, the sched_yield calls that let it run).
//
// oyako's per-call counters check the program's count: the write rows
// make all of the benchmark's io_uring_enter and sched_yield calls.
func printCalls(w io.Writer, linux, oyako []BenchCalls, stats map[string]SyscallStat) {
	if len(oyako) == 0 {
		return
	}
	var enters, yields int64
	for _, o := range oyako {
		yields += o.Yields
		if strings.HasPrefix(o.Name, "uring-") {
			enters += o.Calls - o.Yields
		}
	}
	byName := map[string]BenchCalls{}
	for _, c := range linux {
		byName[c.Name] = c
	}
	fmt.Fprintf(w, "system calls per write, counted by the program (32 writes of 64 bytes to /dev/null per operation):\n")
	for _, o := range oyako {
		l, ok := byName[o.Name]
		lin := "-"
		if ok {
			lin = l.String()
		}
		fmt.Fprintf(w, "  %-20s linux %-36s oyako %s\n", o.Name, lin, o.String())
	}
	if stats != nil {
		ke, ky := stats["io_uring_enter"].Calls, stats["sched_yield"].Calls
		verdict := "agree"
		if ke != uint64(enters) || ky != uint64(yields) {
			verdict = "DISAGREE"
		}
		fmt.Fprintf(w, "  oyako's per-call counters %s: io_uring_enter %d (the program counted %d), sched_yield %d (%d)\n",
			verdict, ke, enters, ky, yields)
	}
}

// StreamBench is the throughput of `oyako run`'s piped standard streams
// in one direction: Bytes moved by a run that took Elapsed, of which Boot
// is the same run with nothing to move (booting, unpacking the
// initramfs, powering off).
type StreamBench struct {
	Name          string
	Bytes         int64
	Elapsed, Boot time.Duration
}

// MBps is the rate in megabytes (10^6 bytes) per second, boot excluded.
func (s StreamBench) MBps() float64 {
	return float64(s.Bytes) / (s.Elapsed - s.Boot).Seconds() / 1e6
}

// BenchStdio moves size bytes through busybox cat in oyako, the way
// `head -c SIZE /dev/zero | oyako run busybox cat` would: host to guest
// (stdin to cat, which writes to the guest's /dev/null), guest to host
// (cat of a file in the initramfs to stdout), and both at once (stdin
// through cat to stdout). Each figure is the median of rounds runs.
func BenchStdio(ctx context.Context, kernel string, size int64, rounds int) ([]StreamBench, error) {
	bb, err := FindBusybox()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "oyako-bench-stdio-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "big"), make([]byte, size), 0o644); err != nil {
		return nil, err
	}
	mem := fmt.Sprintf("%dM", 256+3*size>>20) // the archive, the file unpacked, and room
	type run struct {
		rootfs  string
		args    []string
		in, out bool
	}
	// timeRun boots once and returns how long it took and how many bytes
	// came out.
	timeRun := func(r run, n int64) (time.Duration, int64, error) {
		initrd, err := BuildInitramfs(bb, r.rootfs)
		if err != nil {
			return 0, 0, err
		}
		path, err := TempInitramfs(initrd)
		if err != nil {
			return 0, 0, err
		}
		defer os.Remove(path)
		line, err := InitCmdline([]string{"quiet"}, bb, r.args)
		if err != nil {
			return 0, 0, err
		}
		var out countWriter
		st := &Stdio{Stdout: &out, Stderr: io.Discard, Stdin: strings.NewReader("")}
		if r.in {
			st.Stdin = io.LimitReader(zeros{}, n)
		}
		start := time.Now()
		res, err := Run(ctx, Config{Kernel: kernel, Initrd: path, Append: line, Memory: mem, Stdio: st, Timeout: 5 * time.Minute})
		elapsed := time.Since(start)
		if err == nil && res.Status != 0 {
			err = fmt.Errorf("%v: exit status %d", r.args, res.Status)
		}
		return elapsed, out.n, err
	}
	median := func(r run, n int64) (time.Duration, error) {
		var ds []time.Duration
		for i := 0; i < rounds; i++ {
			d, got, err := timeRun(r, n)
			if err != nil {
				return 0, err
			}
			want := int64(0)
			if r.out {
				want = n
			}
			if got != want {
				return 0, fmt.Errorf("%v: %d bytes came out, want %d", r.args, got, want)
			}
			ds = append(ds, d)
		}
		slices.Sort(ds)
		return ds[len(ds)/2], nil
	}
	var res []StreamBench
	for _, b := range []struct {
		name string
		run  run
		boot run
	}{
		{"stdin -> cat -> /dev/null", run{"", []string{"sh", "-c", "cat >/dev/null"}, true, false}, run{"", []string{"sh", "-c", "cat >/dev/null"}, true, false}},
		{"file -> cat -> stdout", run{dir, []string{"cat", "/big"}, false, true}, run{dir, []string{"true"}, false, false}},
		{"stdin -> cat -> stdout", run{"", []string{"cat"}, true, true}, run{"", []string{"cat"}, true, true}},
	} {
		d, err := median(b.run, size)
		if err != nil {
			return nil, err
		}
		boot, err := median(b.boot, 0)
		if err != nil {
			return nil, err
		}
		res = append(res, StreamBench{Name: b.name, Bytes: size, Elapsed: d, Boot: boot})
	}
	return res, nil
}

// PrintStdioBench writes BenchStdio's results.
func PrintStdioBench(w io.Writer, rs []StreamBench) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "oyako run's piped streams, %d MiB through busybox cat (boot time subtracted):\n", rs[0].Bytes>>20)
	for _, r := range rs {
		fmt.Fprintf(w, "  %-26s %8.1f MB/s  (%v, boot %v)\n", r.Name, r.MBps(), r.Elapsed.Round(time.Millisecond), r.Boot.Round(time.Millisecond))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
