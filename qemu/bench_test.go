package qemu

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestParseBench(t *testing.T) {
	rs, err := ParseBench([]byte("noise\nbench getpid 300.5 150.2\nbench enosys 250 125\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0] != (BenchResult{"getpid", 300.5, 150.2}) || rs[1].Name != "enosys" {
		t.Fatalf("got %+v", rs)
	}
	if _, err := ParseBench([]byte("nothing")); err == nil {
		t.Fatal("no lines: want an error")
	}
	if _, err := ParseBench([]byte("bench x y z")); err == nil {
		t.Fatal("bad numbers: want an error")
	}
}

func TestParseCalls(t *testing.T) {
	cs := ParseCalls([]byte("bench x 1 2\ncalls write-loop 64 64 0 0\ncalls bad x 1 0 0\ncalls uring 2 64 1 1\n"))
	if len(cs) != 2 || cs[0] != (BenchCalls{"write-loop", 64, 64, 0, 0}) || cs[1].PerWrite() != 1.0/32 || cs[1].Yields != 1 {
		t.Fatalf("got %+v", cs)
	}
}

// TestBenchRuns runs make bench's program with few iterations on both
// sides: it checks that the benchmark works, not how fast anything is
// (timing belongs to make bench, not to tests on shared machines).
func TestBenchRuns(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserC(root, dir, "bench")
	if err != nil {
		t.Fatal(err)
	}
	res, err := BenchSideBySide(context.Background(), kernelImage(t), Case{Program: prog, Args: []string{"100"}, Add: BenchAdd()}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The same rows on both sides, but for the boot row, which the
	// program prints only as process 1 (oyako's init; natively it is not).
	if len(res.Linux)+1 != len(res.Oyako) || Ratio(res.Oyako, "boot-to-main", "getpid") == 0 {
		t.Fatalf("linux %d results, oyako %d (boot-to-main among them)", len(res.Linux), len(res.Oyako))
	}
	var b strings.Builder
	PrintBench(&b, res)
	for _, row := range []string{"getpid", "signal-handler-sigreturn", "fork-exit-wait", "vfork-exit-wait", "vfork-execve-wait", "vfork-execve-dynamic-wait", "pipe-pingpong", "fork-64MiB-exit-wait", "poll-10000", "select-1000", "epoll_wait-10000",
		"write-loop-32x64B", "uring-enter-32x64B", "uring-sqpoll-32x64B", "tcp-pingpong-1B", "tcp-bulk-64KiB"} {
		if !strings.Contains(b.String(), row) {
			t.Errorf("table lacks %s:\n%s", row, b.String())
		}
	}
	// The write rows count their own system calls; oyako's counters
	// must say the same.
	if !strings.Contains(b.String(), "oyako's per-call counters agree") {
		t.Errorf("the write rows' system calls disagree with oyako's counters:\n%s", b.String())
	}
	// Copy-on-write: forking a process that touched 64 MiB takes page
	// tables (128 KiB for 64 MiB) and the child's own small structures,
	// not copies of the pages.
	if kib := MemforkKiB(res.OyakoOut); kib < 0 || kib > 1024 {
		t.Errorf("fork of a 64 MiB process used %d KiB in oyako; want page tables only (under 1 MiB):\n%s", kib, res.OyakoOut)
	}
}

// TestBenchStdioRuns moves a few MiB through each of make bench's stream
// rows (again: that it works, not how fast).
func TestBenchStdioRuns(t *testing.T) {
	rs, err := BenchStdio(context.Background(), kernelImage(t), 4<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	PrintStdioBench(&b, rs)
	if len(rs) != 3 || !strings.Contains(b.String(), "MB/s") {
		t.Errorf("rows:\n%s", b.String())
	}
	t.Logf("\n%s", b.String())
}
