package qemu

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The system call fuzzer (user/c/fuzz.c, stage 5) runs as init in one
// boot: it forks a child per batch of random raw system calls and prints
// a report, lines "fuzz: FIELD VALUE..."; with the kernel option sysstats
// the kernel adds its per-call counts and errnos on the side channel when
// init ends. RunFuzz boots it and collects both; PrintFuzz prints them.

// FuzzMemory is the guest RAM of a fuzz run.
const FuzzMemory = "256M"

// FuzzOptions configures a fuzz run.
type FuzzOptions struct {
	Calls   int64  // system calls to make (-n)
	Seed    uint64 // -seed, if HasSeed (else the fuzzer picks one and prints it)
	HasSeed bool
	// Args are further flags of the fuzzer (-batch, -batches, -only,
	// -batch-size, -v, ...).
	Args    []string
	Memory  string        // guest RAM (default FuzzMemory)
	Timeout time.Duration // 0: FuzzTimeout(Calls)
	// Progress, if set, receives the fuzzer's progress, hang and failure
	// lines as they arrive.
	Progress io.Writer
}

// FuzzTimeout is the watchdog for a run of calls: two minutes for the
// boot, the pool set-up and the report, plus two milliseconds a call, a
// third of the rate TCG reaches on an otherwise idle machine (about
// 1,500 calls a second: three calls in four are typed, real work).
func FuzzTimeout(calls int64) time.Duration {
	return 2*time.Minute + time.Duration(calls)*2*time.Millisecond
}

// FuzzResult is what a fuzz run printed and how it ended.
type FuzzResult struct {
	Status  int      // the fuzzer's exit status (0: no hang, memory back)
	Lines   []string // every "fuzz:" line, without the prefix
	Report  []string // the report's lines (after "report"), in order
	Stats   map[string]SyscallStat
	Elapsed time.Duration
	Serial  []byte // the whole console, children's writes included
	Side    []byte
}

// fuzzLine returns the text of a fuzzer line found in a console line: a
// child may have written to the console just before it, without a
// newline, so the line is taken from its "fuzz: " on, less control bytes.
func fuzzLine(l string) (string, bool) {
	i := strings.Index(l, "fuzz: ")
	if i < 0 {
		return "", false
	}
	s := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, l[i+len("fuzz: "):])
	return s, true
}

// lineWriter calls fn with each complete line written to it.
type lineWriter struct {
	mu  sync.Mutex
	buf []byte
	fn  func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.fn(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 1<<16 { // a child's output without newlines
		w.buf = w.buf[len(w.buf)-1<<10:]
	}
	return len(p), nil
}

// RunFuzz boots program (user/c/fuzz.c built static) as init with the
// kernel options quiet and sysstats and returns its report.
func RunFuzz(ctx context.Context, kernel, program string, o FuzzOptions) (*FuzzResult, error) {
	args := []string{"-n", strconv.FormatInt(o.Calls, 10)}
	if o.HasSeed {
		args = append(args, "-seed", strconv.FormatUint(o.Seed, 10))
	}
	args = append(args, o.Args...)
	timeout := o.Timeout
	if timeout == 0 {
		timeout = FuzzTimeout(o.Calls)
	}
	mem := o.Memory
	if mem == "" {
		mem = FuzzMemory
	}
	c, remove, err := ProgramBoot(Config{Kernel: kernel, Memory: mem, Timeout: timeout}, program, "", []string{"quiet", "sysstats"}, args)
	if err != nil {
		return nil, err
	}
	defer remove()
	c.Stdin = &EOFReader{R: strings.NewReader("")}
	if o.Progress != nil {
		c.Console = &lineWriter{fn: func(l string) {
			if s, ok := fuzzLine(l); ok && (strings.HasPrefix(s, "progress ") || strings.HasPrefix(s, "hang ") || strings.HasPrefix(s, "batch ") ||
				strings.HasPrefix(s, "FAIL ") || strings.HasPrefix(s, "seed ") || strings.HasPrefix(s, "plan ")) {
				fmt.Fprintln(o.Progress, "fuzz: "+s)
			}
		}}
	}
	res, err := Run(ctx, c)
	if res == nil {
		return nil, err
	}
	r := &FuzzResult{Status: res.Status, Stats: SyscallStats(res.Side), Elapsed: res.Elapsed, Serial: res.Serial, Side: res.Side}
	inReport := false
	for _, l := range strings.Split(string(res.Serial), "\n") {
		s, ok := fuzzLine(l)
		if !ok {
			continue
		}
		r.Lines = append(r.Lines, s)
		if s == "report" {
			inReport, r.Report = true, nil
			continue
		}
		if inReport {
			r.Report = append(r.Report, s)
		}
	}
	if err != nil {
		return r, err
	}
	if len(r.Report) == 0 {
		return r, fmt.Errorf("the fuzzer printed no report (exit status %d); last console lines:\n%s", r.Status, Tail(res.Serial, 30))
	}
	return r, nil
}

// Field returns the value of the report's line for name ("" if absent).
func (r *FuzzResult) Field(name string) string {
	for _, l := range r.Report {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	return ""
}

// Int returns the first number of the report's line for name.
func (r *FuzzResult) Int(name string) (int64, bool) {
	f := strings.Fields(r.Field(name))
	if len(f) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	return n, err == nil
}

// ChildrenEnded returns how many batch children the report says ended,
// by exit status or by signal.
func (r *FuzzResult) ChildrenEnded() int64 {
	var n int64
	for _, f := range strings.Fields(r.Field("children-exited")) {
		if _, c, ok := strings.Cut(f, ":"); ok {
			v, _ := strconv.ParseInt(c, 10, 64)
			n += v
		}
	}
	sig := strings.Fields(r.Field("children-signaled"))
	for i := 1; i < len(sig); i += 2 {
		v, _ := strconv.ParseInt(sig[i], 10, 64)
		n += v
	}
	return n
}

// Check returns what is wrong with a run: a hang, a child not accounted
// for, memory not back within the slack, a failed health check, or a
// report that says FAIL.
func (r *FuzzResult) Check() error {
	var bad []string
	if r.Status != 0 {
		bad = append(bad, fmt.Sprintf("exit status %d", r.Status))
	}
	if v := r.Field("result"); v != "ok" {
		bad = append(bad, "result "+v)
	}
	if h, ok := r.Int("hangs"); !ok || h != 0 {
		bad = append(bad, "hangs "+r.Field("hangs"))
	}
	if b, ok := r.Int("batches"); !ok || r.ChildrenEnded() != b {
		bad = append(bad, fmt.Sprintf("%d children ended of %s batches", r.ChildrenEnded(), r.Field("batches")))
	}
	if m := r.Field("memory"); !strings.HasPrefix(m, "ok") {
		bad = append(bad, "memory "+m)
	}
	if len(bad) > 0 {
		return fmt.Errorf("fuzz run failed: %s", strings.Join(bad, "; "))
	}
	return nil
}

// PrintFuzz writes the report, then the kernel's per-call counts and
// errnos: what the fuzzer's calls (and its own set-up) reached.
func PrintFuzz(w io.Writer, r *FuzzResult) {
	for _, l := range r.Report {
		fmt.Fprintln(w, "fuzz: "+l)
	}
	names := make([]string, 0, len(r.Stats))
	var calls uint64
	onlyENOSYS := 0
	for n, s := range r.Stats {
		names = append(names, n)
		calls += s.Calls
		if len(s.Errnos) == 1 && s.Errnos["ENOSYS"] {
			onlyENOSYS++
		}
	}
	sort.Strings(names)
	fmt.Fprintf(w, "kernel: %d system calls made, to %d numbers (%d of them answered every call with ENOSYS)\n",
		calls, len(names), onlyENOSYS)
	fmt.Fprintf(w, "kernel: %-24s %10s  %s\n", "call", "calls", "errnos returned")
	for _, n := range names {
		s := r.Stats[n]
		errs := make([]string, 0, len(s.Errnos))
		for e := range s.Errnos {
			errs = append(errs, e)
		}
		sort.Strings(errs)
		fmt.Fprintf(w, "kernel: %-24s %10d  %s\n", n, s.Calls, strings.Join(errs, ","))
	}
}
