package elfload

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

const dynBase = 0x555555554000

func buildC(t *testing.T, flags ...string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "p.c")
	os.WriteFile(src, []byte("int x = 1; char buf[100000]; int main(void) { return x + buf[5]; }\n"), 0o644)
	out := filepath.Join(dir, "p")
	args := append(append([]string{}, flags...), "-o", out, src)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Skipf("gcc %v: %v\n%s", flags, err, b)
	}
	return out
}

// parseFile parses the ELF file at path, failing the test on an error.
func parseFile(t *testing.T, path string) *Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if img.Relocatable() {
		img.Rebase(dynBase)
	}
	return img
}

func check(t *testing.T, path string, wantType uint16) *Image {
	t.Helper()
	img := parseFile(t, path)
	ef, _ := elf.Open(path)
	defer ef.Close()
	bias := uint64(0)
	if wantType == etDyn {
		bias = dynBase
	}
	if img.Type != wantType || img.Bias != bias || img.Entry != ef.Entry+bias {
		t.Fatalf("type %d bias %#x entry %#x", img.Type, img.Bias, img.Entry)
	}
	n := 0
	var top uint64
	for _, p := range ef.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		s := img.Segments[n]
		if s.Vaddr != p.Vaddr+bias || s.Filesz != p.Filesz || s.Memsz != p.Memsz || s.Off != int64(p.Off) {
			t.Fatalf("segment %d: %+v vs %+v", n, s, p.ProgHeader)
		}
		if (p.Flags&elf.PF_X != 0) != (s.Prot&ProtExec != 0) || (p.Flags&elf.PF_W != 0) != (s.Prot&ProtWrite != 0) {
			t.Fatalf("segment %d prot %d flags %v", n, s.Prot, p.Flags)
		}
		top = p.Vaddr + bias + p.Memsz
		n++
	}
	if n != len(img.Segments) || img.BrkStart != (top+4095)&^4095 {
		t.Fatalf("%d segments, brk %#x", len(img.Segments), img.BrkStart)
	}
	if img.Phnum != uint64(len(ef.Progs)) || img.Phent != 56 || img.Phdr == 0 {
		t.Fatalf("phdr %#x phnum %d", img.Phdr, img.Phnum)
	}
	return img
}

func TestStatic(t *testing.T) {
	img := check(t, buildC(t, "-static"), etExec)
	if img.Interp != "" {
		t.Fatalf("static program has interpreter %q", img.Interp)
	}
}

func TestStaticPIE(t *testing.T) {
	check(t, buildC(t, "-static-pie"), etDyn)
}

func TestDynamicHasInterp(t *testing.T) {
	if img := parseFile(t, buildC(t)); img.Interp != "/lib64/ld-linux-x86-64.so.2" {
		t.Fatalf("interp %q", img.Interp)
	}
}

func TestGoBinary(t *testing.T) {
	exe, err := os.Executable() // this test binary: a static Go ET_EXEC
	if err != nil {
		t.Fatal(err)
	}
	if img := parseFile(t, exe); img.Entry == 0 || len(img.Segments) < 2 {
		t.Fatalf("%+v", img)
	}
}

func TestNotELF(t *testing.T) {
	for _, data := range [][]byte{
		[]byte("#!/bin/sh\necho hi\n"),
		{},
		append([]byte("\x7fELF\x01\x01\x01"), make([]byte, 60)...),
	} {
		if _, err := Parse(bytes.NewReader(data)); !errors.Is(err, linuxerr.ENOEXEC) {
			t.Errorf("%q: %v", data[:min(len(data), 8)], err)
		}
	}
}
