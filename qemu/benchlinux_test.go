package qemu

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseFigures(t *testing.T) {
	out := "[    1.2] PCI: Fatal: No config space access function found\nbench-start\n" +
		"bench boot-to-main 2400000000.0 2000000000.0\nkib kernel-after-boot 27000\n" +
		"bench getpid 1100.5 400.2\nnote: no result\nkib sleep-process 120\n"
	fs, err := ParseFigures([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []Figure{{"boot-to-main", 2000, UnitMs}, {"kernel-after-boot", 27000, UnitKiB}, {"getpid", 1100.5, UnitCycles}, {"sleep-process", 120, UnitKiB}}
	if len(fs) != len(want) {
		t.Fatalf("got %+v, want %+v", fs, want)
	}
	for i := range want {
		if fs[i] != want[i] {
			t.Errorf("figure %d: got %+v, want %+v", i, fs[i], want[i])
		}
	}
	for _, bad := range []string{"nothing", "bench x y z", "kib x y"} {
		if _, err := ParseFigures([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestParseDepends(t *testing.T) {
	out := "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-57-cloud-amd64\n"
	if got := parseDepends([]byte(out)); got != "linux-image-6.1.0-57-cloud-amd64" {
		t.Errorf("got %q", got)
	}
	if got := parseDepends([]byte("linux-image-cloud-amd64\n  Depends: <linux-image-x>\n")); got != "" {
		t.Errorf("a virtual package: got %q, want none", got)
	}
}

func TestMarkerWriter(t *testing.T) {
	var out bytes.Buffer
	m := &markerWriter{W: &out, marker: []byte(BenchStartMarker + "\n")}
	m.Write([]byte("before start\r\n"))
	if m.elapsed() != 0 {
		t.Fatal("marker seen before the start was set")
	}
	m.setStart(time.Now().Add(-time.Second))
	// Split across writes, with the console's "\r\n".
	m.Write([]byte("[ 0.1] log\r\nbench-st"))
	if m.elapsed() != 0 {
		t.Fatal("marker seen before its end")
	}
	m.Write([]byte("art\r\nbench getpid 1 2\r\n"))
	if d := m.elapsed(); d < time.Second {
		t.Errorf("elapsed %v, want about 1s", d)
	}
	if !strings.Contains(out.String(), "bench-start\r\nbench getpid") {
		t.Errorf("not passed on: %q", out.String())
	}
}

func TestPrintLinuxBench(t *testing.T) {
	b := &LinuxBench{
		Linux: BootSide{Figures: []Figure{{"boot-to-main", 2000, UnitMs}, {"getpid", 1000, UnitCycles}, {"stat", 1000, UnitCycles}, {"getpid-10k-files-20k-vmas", 1000, UnitCycles}, {"sleep-process", 100, UnitKiB}}},
		Oyako: BootSide{Figures: []Figure{{"boot-to-main", 100, UnitMs}, {"getpid", 1500, UnitCycles}, {"stat", 1900, UnitCycles}, {"getpid-10k-files-20k-vmas", 1600, UnitCycles}, {"sleep-process", 250, UnitKiB}, {"extra", 5, UnitCycles}},
			Output: []byte("crowded: no result: mprotect #1 ENOMEM\n")},
	}
	var w strings.Builder
	PrintLinuxBench(&w, b)
	out := w.String()
	for _, want := range []string{
		"boot-to-main                 ms             2000.0          100.0    0.05x\n",
		"getpid                       cycles         1000.0         1500.0    1.50x  > 1x\n", // at or below Linux
		"stat                         cycles         1000.0         1900.0    1.90x\n",       // within 2x
		"sleep-process                KiB               100            250    2.50x  > 2x\n",
		"extra                        cycles              -            5.0        -\n",
		"2 rows miss",
		"1.00x on Linux, 1.07x on oyako",
		"oyako: crowded: no result: mprotect #1 ENOMEM",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestBenchLinuxRuns runs make bench-linux's two boots with few
// iterations: every row must come out on both kernels with a sane value
// and a finite ratio. It fetches Debian's cloud kernel into build/linux
// the first time (apt-get download; root, as make test has). Timing
// belongs to make bench-linux, not to tests on shared machines.
func TestBenchLinuxRuns(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserC(root, dir, "bench")
	if err != nil {
		t.Fatal(err)
	}
	// A boot takes seconds; the limits leave room for a machine loaded
	// by other tests (Linux under TCG once took over 40 s to print
	// anything with the load at 7 on 2 cores).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, err := BenchLinux(ctx, kernelImage(t), Initramfs{Program: prog, Add: BenchAdd()}, []string{"100"}, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var w strings.Builder
	PrintLinuxBench(&w, b)
	rows := map[string]Row{}
	for _, r := range b.Rows() {
		rows[r.Name] = r
	}
	for _, name := range LinuxBenchRows {
		r, ok := rows[name]
		switch {
		case !ok:
			t.Errorf("no row %s", name)
		case !(r.Linux > 0) || !(r.Oyako > 0) || math.IsInf(r.Linux, 0) || math.IsInf(r.Oyako, 0):
			t.Errorf("row %s: linux %v, oyako %v; want positive figures", name, r.Linux, r.Oyako)
		case math.IsNaN(r.Ratio()) || math.IsInf(r.Ratio(), 0):
			t.Errorf("row %s: ratio %v", name, r.Ratio())
		}
	}
	if t.Failed() {
		t.Logf("table:\n%s\nlinux console:\n%s\noyako console:\n%s", w.String(), b.Linux.Output, b.Oyako.Output)
	}
}
