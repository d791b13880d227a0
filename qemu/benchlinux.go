package qemu

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"oyako/amd64"
)

// make bench-linux (issue 12): the same benchmark program booted as /init
// on Debian's Linux cloud kernel and on oyako, under the same QEMU flags
// (Args: microvm, TCG, -cpu max, the same devices) and the same memory,
// one after the other, and one table of both.

// BenchLinuxMemory is the guest RAM of both boots.
const BenchLinuxMemory = "512M"

// BenchStartMarker is the line the benchmark program prints first as
// process 1; the host times each boot from QEMU's start to it.
const BenchStartMarker = "bench-start"

// Units of a Figure.
const (
	UnitCycles = "cycles" // TSC cycles per operation, median of rounds
	UnitMs     = "ms"
	UnitKiB    = "KiB"
)

// A Figure is one row of a benchmark run on one kernel.
type Figure struct {
	Name  string
	Value float64
	Unit  string
}

// BootSide is one boot of the benchmark program as /init.
type BootSide struct {
	Figures []Figure
	Output  []byte // the console, with "\r\n" undone
	// FirstOutput is the host's time from QEMU's start to the program's
	// first line (BenchStartMarker); 0 if it never came.
	FirstOutput time.Duration
	Elapsed     time.Duration // the whole boot
}

// LinuxBench is make bench-linux's result: both boots of one run.
type LinuxBench struct {
	LinuxKernel  string // the image booted on the Linux side
	Linux, Oyako BootSide
}

// ParseFigures returns the rows of a benchmark program's output, in
// order: "bench NAME CYCLES NS" lines as cycles per operation, except
// boot-to-main, whose nanoseconds become milliseconds, and "kib NAME N"
// lines. Other lines (a kernel's log on the console, notes) are skipped.
func ParseFigures(out []byte) ([]Figure, error) {
	var fs []Figure
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 4 && f[0] == "bench":
			c, err1 := strconv.ParseFloat(f[2], 64)
			ns, err2 := strconv.ParseFloat(f[3], 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("bad benchmark line %q", l)
			}
			if f[1] == "boot-to-main" {
				fs = append(fs, Figure{f[1], ns / 1e6, UnitMs})
			} else {
				fs = append(fs, Figure{f[1], c, UnitCycles})
			}
		case len(f) == 3 && f[0] == "kib":
			v, err := strconv.ParseFloat(f[2], 64)
			if err != nil {
				return nil, fmt.Errorf("bad memory line %q", l)
			}
			fs = append(fs, Figure{f[1], v, UnitKiB})
		}
	}
	if len(fs) == 0 {
		return nil, fmt.Errorf("no benchmark lines in output:\n%s", out)
	}
	return fs, nil
}

// HostTSCkHz measures the host's TSC rate in kHz over 50 ms (0 if the
// host has no usable TSC).
func HostTSCkHz() int64 {
	t0, c0 := time.Now(), amd64.Rdtsc()
	time.Sleep(50 * time.Millisecond)
	c1, t1 := amd64.Rdtsc(), time.Now()
	if c1 <= c0 {
		return 0
	}
	return int64(float64(c1-c0) / float64(t1.Sub(t0).Nanoseconds()) * 1e6)
}

// BenchLinux boots the image img (its Program as /init) with args on
// Debian's Linux kernel (LinuxKernel, fetched into build/linux the first
// time) and then on oyako's kernel image, each with timeout, and returns
// both sides.
func BenchLinux(ctx context.Context, kernel string, img Initramfs, args []string, timeout time.Duration) (*LinuxBench, error) {
	linux, err := LinuxKernel("")
	if err != nil {
		return nil, err
	}
	oyako, remove, err := ImageBoot(Config{Kernel: kernel}, img, []string{"quiet"}, args)
	if err != nil {
		return nil, err
	}
	defer remove()
	b := &LinuxBench{LinuxKernel: linux}
	// Linux boots the same initramfs: the console on the serial port, a
	// panic reboots (QEMU exits, -no-reboot), the arguments after "--"
	// go to init.
	//
	// tsc_early_khz: under TCG the guest's TSC runs at the host's rate.
	// Linux calibrates it against the PIT, which fails when the host is
	// loaded ("tsc: Unable to calibrate against PIT", and with no HPET or
	// PM timer on microvm the boot then hangs); given the rate, it skips
	// the calibration.
	opts := []string{"console=ttyS0", "panic=-1", "quiet"}
	if khz := HostTSCkHz(); khz > 0 {
		opts = append(opts, fmt.Sprintf("tsc_early_khz=%d", khz))
	}
	line := strings.Join(append(append(opts, "--"), args...), " ")
	if err := bootBench(ctx, &b.Linux, Config{Kernel: linux, Initrd: oyako.Initrd, Append: line, Foreign: true}, timeout); err != nil {
		return nil, fmt.Errorf("linux: %v", err)
	}
	if err := bootBench(ctx, &b.Oyako, oyako, timeout); err != nil {
		return nil, fmt.Errorf("oyako: %v", err)
	}
	return b, nil
}

// bootBench boots c with BenchLinuxMemory and fills s from the console.
func bootBench(ctx context.Context, s *BootSide, c Config, timeout time.Duration) error {
	var out bytes.Buffer
	crlf := &CRLFWriter{W: &out}
	m := &markerWriter{W: crlf, marker: []byte(BenchStartMarker + "\n")}
	c.Memory, c.Timeout, c.Console = BenchLinuxMemory, timeout, m
	c.Started = func(*os.Process) { m.setStart(time.Now()) }
	res, err := Run(ctx, c)
	crlf.Flush()
	s.Output = out.Bytes()
	if err != nil {
		return err
	}
	if !c.Foreign && res.Status != 0 {
		return fmt.Errorf("exit status %d:\n%s", res.Status, s.Output)
	}
	// Linux reports no exit status: init exiting (a failed benchmark)
	// panics the kernel, which reboots with panic=-1.
	if c.Foreign && bytes.Contains(s.Output, []byte("Kernel panic")) {
		return fmt.Errorf("the kernel panicked:\n%s", Tail(s.Output, 40))
	}
	s.Elapsed, s.FirstOutput = res.Elapsed, m.elapsed()
	if s.Figures, err = ParseFigures(s.Output); err != nil {
		return err
	}
	if s.FirstOutput > 0 {
		s.Figures = append([]Figure{{"boot-to-first-output", float64(s.FirstOutput) / 1e6, UnitMs}}, s.Figures...)
	}
	return nil
}

// markerWriter passes the console on to W and notes when a marker line
// first went by, relative to a start time.
type markerWriter struct {
	W      io.Writer
	marker []byte

	mu    sync.Mutex
	start time.Time
	seen  time.Duration
	tail  []byte // the end of what went by, for a marker split across writes
}

func (m *markerWriter) setStart(t time.Time) {
	m.mu.Lock()
	m.start = t
	m.mu.Unlock()
}

func (m *markerWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	if m.seen == 0 && !m.start.IsZero() {
		m.tail = append(m.tail, p...)
		// "\r\n" on a console: match the marker's text and either ending.
		text := bytes.ReplaceAll(m.tail, []byte("\r\n"), []byte("\n"))
		if bytes.Contains(text, m.marker) {
			m.seen = time.Since(m.start)
			m.tail = nil
		} else if n := len(m.marker) + 1; len(m.tail) > n {
			m.tail = m.tail[len(m.tail)-n:]
		}
	}
	m.mu.Unlock()
	return m.W.Write(p)
}

func (m *markerWriter) elapsed() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen
}

// LinuxBenchRows are the rows make bench-linux must report on both
// kernels (the test checks them); the readiness rows come in addition.
var LinuxBenchRows = []string{
	"boot-to-first-output", "boot-to-main", "kernel-after-boot",
	"getpid", "enosys", "clock_gettime-vdso", "clock_gettime-syscall",
	"signal-handler-sigreturn", "read-devzero-1B", "write-devnull-1B",
	"open-close", "stat", "mmap-munmap-1page", "page-fault-anon",
	"getpid-10k-files-20k-vmas",
	"poll-10", "select-10", "epoll_wait-10", "poll-10000", "epoll_wait-10000",
	"write-loop-32x64B", "uring-enter-32x64B", "uring-sqpoll-32x64B",
	"fork-exit-wait", "vfork-exit-wait", "vfork-execve-wait", "vfork-execve-dynamic-wait", "pipe-pingpong",
	"fork-64MiB-exit-wait", "sleep-process", "tcp-pingpong-1B", "tcp-bulk-64KiB",
}

// atOrBelowLinux are the rows issue 12 wants at or below Linux (1.0x):
// the null system call, the one-byte read and write, and the boot.
var atOrBelowLinux = map[string]bool{
	"getpid": true, "read-devzero-1B": true, "write-devnull-1B": true,
	"boot-to-first-output": true, "boot-to-main": true,
}

// Target returns the ratio oyako/Linux issue 12 accepts for a row.
func Target(name string) float64 {
	if atOrBelowLinux[name] {
		return 1
	}
	return 2
}

// A Row is one line of make bench-linux's table.
type Row struct {
	Name, Unit   string
	Linux, Oyako float64 // NaN where a side has no figure
}

// Ratio is oyako's figure over Linux's (NaN if either is missing or
// Linux's is 0).
func (r Row) Ratio() float64 {
	if math.IsNaN(r.Linux) || math.IsNaN(r.Oyako) || r.Linux == 0 {
		return math.NaN()
	}
	return r.Oyako / r.Linux
}

// Over reports whether the row misses issue 12's target.
func (r Row) Over() bool {
	q := r.Ratio()
	return !math.IsNaN(q) && q > Target(r.Name)
}

// Rows pairs the two sides' figures by name, in Linux's order, with the
// rows only oyako has at the end.
func (b *LinuxBench) Rows() []Row {
	var rows []Row
	at := map[string]int{}
	for _, f := range b.Linux.Figures {
		at[f.Name] = len(rows)
		rows = append(rows, Row{Name: f.Name, Unit: f.Unit, Linux: f.Value, Oyako: math.NaN()})
	}
	for _, f := range b.Oyako.Figures {
		if i, ok := at[f.Name]; ok {
			rows[i].Oyako = f.Value
			continue
		}
		rows = append(rows, Row{Name: f.Name, Unit: f.Unit, Linux: math.NaN(), Oyako: f.Value})
	}
	return rows
}

// PrintLinuxBench writes the table: each row's figure on Linux and on
// oyako, the ratio oyako/Linux, and a mark where the ratio misses issue
// 12's target (above 2.0x; above 1.0x for getpid, the one-byte read and
// write and the boot); then what either side said instead of a row.
func PrintLinuxBench(w io.Writer, b *LinuxBench) {
	fmt.Fprintf(w, "%-28s %-6s %14s %14s %8s\n", "row", "unit", "linux", "oyako", "ratio")
	num := func(v float64, unit string) string {
		switch {
		case math.IsNaN(v):
			return "-"
		case unit == UnitKiB:
			return strconv.FormatFloat(v, 'f', 0, 64)
		}
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	over := 0
	for _, r := range b.Rows() {
		ratio, mark := "-", ""
		if q := r.Ratio(); !math.IsNaN(q) {
			ratio = fmt.Sprintf("%.2fx", q)
		}
		if r.Over() {
			mark = fmt.Sprintf("  > %gx", Target(r.Name))
			over++
		}
		fmt.Fprintf(w, "%-28s %-6s %14s %14s %8s%s\n", r.Name, r.Unit, num(r.Linux, r.Unit), num(r.Oyako, r.Unit), ratio, mark)
	}
	fmt.Fprintf(w, "%d rows miss issue 12's target (every row within 2.0x of Linux; getpid, the 1-byte read and write and boot at or below 1.0x)\n", over)
	ratio := func(fs []Figure, a, c string) float64 {
		if q := ratioBy(fs, func(f Figure) (string, float64) { return f.Name, f.Value }, a, c); q != 0 {
			return q
		}
		return math.NaN()
	}
	// Issue 12's scaling rows: neither many files and mappings nor a
	// large interest set may slow what does not touch them.
	for _, s := range []struct{ what, a, c string }{
		{"getpid with 10,000 more open files and 20,000 more VMAs over plain getpid", "getpid-10k-files-20k-vmas", "getpid"},
		{"epoll_wait with one ready among 10,000 over one among 10", "epoll_wait-10000", "epoll_wait-10"},
	} {
		l, o := ratio(b.Linux.Figures, s.a, s.c), ratio(b.Oyako.Figures, s.a, s.c)
		if !math.IsNaN(l) || !math.IsNaN(o) {
			fmt.Fprintf(w, "%s: %.2fx on Linux, %.2fx on oyako\n", s.what, l, o)
		}
	}
	for _, s := range []struct {
		name string
		out  []byte
	}{{"linux", b.Linux.Output}, {"oyako", b.Oyako.Output}} {
		for _, l := range strings.Split(string(s.out), "\n") {
			if strings.Contains(l, "no result") || strings.Contains(l, "failed") || strings.HasPrefix(l, "readiness:") {
				fmt.Fprintf(w, "%s: %s\n", s.name, strings.TrimSpace(l))
			}
		}
	}
}

// BenchLinuxIterations is make bench-linux's default iteration count,
// which keeps the two boots within about five minutes under TCG.
const BenchLinuxIterations = 50000
