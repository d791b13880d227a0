package qemu

import (
	"context"
	"strings"
	"testing"
)

func TestFuzzLine(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"fuzz: calls 12\r", "calls 12", true},
		{"\x1b[2Jgarbage\x07fuzz: hangs 0", "hangs 0", true},
		{"no report here", "", false},
	} {
		got, ok := fuzzLine(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("fuzzLine(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	r := &FuzzResult{Report: []string{"batches 5 (threaded 1, completed 0)", "children-exited 0:2 165:1", "children-signaled SIGSEGV 1 SIGKILL 1"}}
	if n := r.ChildrenEnded(); n != 5 {
		t.Errorf("ChildrenEnded = %d, want 5", n)
	}
	if b, ok := r.Int("batches"); !ok || b != 5 {
		t.Errorf("Int(batches) = %d, %v", b, ok)
	}
}

// fuzzSeed is TestFuzz's seed: a run that reached the crashes and hangs
// the fuzzer found while it was written (see README, "The system call
// fuzzer"), replayed whole in every make test.
const fuzzSeed = 20261130

// TestFuzz is make test's short fuzz run: 50,000 random system calls with
// a fixed seed in one boot. The kernel must stay up, every batch's child
// must end (an exit status or a signal) within the deadline, the kernel
// must pass the fuzzer's health checks after each batch, and MemFree must
// come back within the fuzzer's slack once every child is reaped.
func TestFuzz(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserC(root, dir, "fuzz")
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	res, err := RunFuzz(context.Background(), kernelImage(t), prog, FuzzOptions{
		Calls: 50000, Seed: fuzzSeed, HasSeed: true, Progress: &progress,
	})
	if err != nil {
		if res != nil {
			t.Logf("fuzz lines:\n%s", strings.Join(res.Lines, "\n"))
		}
		t.Fatal(err)
	}
	var report strings.Builder
	PrintFuzz(&report, res)
	if err := res.Check(); err != nil {
		t.Fatalf("%v\n%s", err, report.String())
	}
	if n, _ := res.Int("calls"); n < 50000 {
		t.Errorf("calls %d, want at least 50000", n)
	}
	// The fuzzer's own counts and the kernel's agree that it reached
	// most of the table.
	if n, _ := res.Int("numbers-reached"); n < 400 {
		t.Errorf("numbers-reached %d, want most of 0-511", n)
	}
	if len(res.Stats) < 300 {
		t.Errorf("the kernel counted calls to %d numbers; want most of its table:\n%s", len(res.Stats), report.String())
	}
	t.Logf("%s in %v\n%s", res.Field("calls-per-second")+" calls/s", res.Elapsed, strings.Join(res.Report, "\n"))
}
