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

// TestBenchRuns runs make bench's program with few iterations on both
// sides: it checks that the benchmark works, not how fast anything is
// (timing belongs to make bench, not to tests on shared machines).
func TestBenchRuns(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserC(root, dir, "bench")
	if err != nil {
		t.Fatal(err)
	}
	linux, oyako, err := BenchSideBySide(context.Background(), kernelImage(t), Case{Program: prog, Args: []string{"100"}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(linux) != len(oyako) {
		t.Fatalf("linux %d results, oyako %d", len(linux), len(oyako))
	}
	var b strings.Builder
	PrintBench(&b, linux, oyako)
	if !strings.Contains(b.String(), "getpid") {
		t.Fatalf("table lacks getpid:\n%s", b.String())
	}
}
