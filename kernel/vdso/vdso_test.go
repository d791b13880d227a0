package vdso

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"oyako/kernel/ktime"
)

// TestVVarLayout compiles a C program against c/vvar.h and requires the
// same offsets and size as the Go struct ktime.VVar, which the kernel
// writes and the vDSO reads.
func TestVVarLayout(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Fatal("gcc is needed (make test installs it)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "layout.c")
	prog := `#include <stddef.h>
#include <stdio.h>
#include "vvar.h"
#define F(f) printf(#f " %zu\n", offsetof(struct oyako_vvar, f))
int main(void) {
	F(seq); F(flags); F(tsc_base); F(mult); F(shift); F(reserved);
	F(realtime_offset); F(coarse_mono); F(coarse_res);
	printf("size %zu\n", sizeof(struct oyako_vvar));
	printf("rdtscp %d\n", OYAKO_VVAR_RDTSCP);
	return 0;
}
`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "layout")
	if out, err := exec.Command("gcc", "-I", "c", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var v ktime.VVar
	want := map[string]uintptr{
		"seq": unsafe.Offsetof(v.Seq), "flags": unsafe.Offsetof(v.Flags), "tsc_base": unsafe.Offsetof(v.TSCBase),
		"mult": unsafe.Offsetof(v.Mult), "shift": unsafe.Offsetof(v.Shift), "reserved": unsafe.Offsetof(v.Reserved),
		"realtime_offset": unsafe.Offsetof(v.RealtimeOffset), "coarse_mono": unsafe.Offsetof(v.CoarseMono),
		"coarse_res": unsafe.Offsetof(v.CoarseRes), "size": unsafe.Sizeof(v), "rdtscp": ktime.VVarRDTSCP,
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var name string
		var got uintptr
		if _, err := fmt.Sscan(line, &name, &got); err != nil {
			t.Fatalf("bad line %q", line)
		}
		if w, ok := want[name]; !ok || w != got {
			t.Errorf("%s: C says %d, Go %d", name, got, w)
		}
		seen++
	}
	if seen != len(want) {
		t.Errorf("compared %d fields of %d", seen, len(want))
	}
}
