package qemu

import (
	"bytes"
	"debug/elf"
	"os/exec"
	"testing"
)

// vdsoSymbols are what the vDSO must export under LINUX_2.6, like
// Linux's (arch/x86/entry/vdso/vdso.lds.S).
var vdsoSymbols = []string{
	"__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu", "__vdso_clock_getres",
	"clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres",
}

// TestVDSOImage checks the built vDSO as a dynamic loader and the Go
// runtime see it: readelf is silent about it, it is one read-execute
// PT_LOAD with a PT_DYNAMIC, has both hash tables, symbol versioning and
// no relocations, and exports every symbol under LINUX_2.6.
func TestVDSOImage(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path, err := BuildVDSO(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("readelf", "-a", "-W", path)
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err != nil || stderr.Len() != 0 {
		t.Fatalf("readelf -a: %v\n%s\n%s", err, stderr.Bytes(), out)
	} else if !bytes.Contains(out, []byte("There are no relocations in this file.")) {
		t.Errorf("the vDSO has relocations:\n%s", out)
	}

	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Type != elf.ET_DYN || f.Machine != elf.EM_X86_64 {
		t.Fatalf("type %v machine %v", f.Type, f.Machine)
	}
	var loads, dyn int
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			loads++
			if p.Flags != elf.PF_R|elf.PF_X || p.Vaddr != 0 || p.Off != 0 {
				t.Errorf("PT_LOAD flags %v vaddr %#x off %#x", p.Flags, p.Vaddr, p.Off)
			}
		case elf.PT_DYNAMIC:
			dyn++
		}
	}
	if loads != 1 || dyn != 1 {
		t.Errorf("%d PT_LOAD, %d PT_DYNAMIC; want 1 and 1", loads, dyn)
	}
	for _, tag := range []elf.DynTag{elf.DT_HASH, elf.DT_GNU_HASH, elf.DT_SYMTAB, elf.DT_STRTAB, elf.DT_VERSYM, elf.DT_VERDEF} {
		if v, err := f.DynValue(tag); err != nil || len(v) != 1 {
			t.Errorf("dynamic tag %v: %v %v", tag, v, err)
		}
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_RELA || s.Type == elf.SHT_REL || s.Flags&elf.SHF_WRITE != 0 && s.Name != ".dynamic" {
			t.Errorf("section %s (%v, %v) in a read-only image", s.Name, s.Type, s.Flags)
		}
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
			found[s.Name] = s.Version
		}
	}
	for _, name := range vdsoSymbols {
		if v, ok := found[name]; !ok || v != "LINUX_2.6" {
			t.Errorf("%s: exported %v, version %q", name, ok, v)
		}
	}
	if soname, _ := f.DynString(elf.DT_SONAME); len(soname) != 1 || soname[0] != "linux-vdso.so.1" {
		t.Errorf("soname %q", soname)
	}
}
