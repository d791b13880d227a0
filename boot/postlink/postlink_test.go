package postlink_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"oyako/boot/linkinfo"
	"oyako/boot/postlink"
	"oyako/kernel/mm"
	"oyako/qemu"
)

func TestPatchedImage(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a kernel build")
	}
	img, err := qemu.BuildKernel(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	linked, err := os.ReadFile(filepath.Join(filepath.Dir(img), "kernel.elf"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	syms, _ := f.Symbols()
	var pvh, li elf.Symbol
	for _, s := range syms {
		switch s.Name {
		case postlink.PVHEntrySymbol + ".abi0":
			pvh = s
		case postlink.LinkInfoSymbol:
			li = s
		}
	}
	if pvh.Value == 0 || li.Value == 0 {
		t.Fatal("symbols missing")
	}

	// The PVH note names pvhEntry's physical address, inside the image.
	entry, err := postlink.ReadPVHEntry(data)
	if err != nil {
		t.Fatal(err)
	}
	if entry != pvh.Value-mm.KernelBase {
		t.Fatalf("PVH entry %#x, want %#x", entry, pvh.Value-mm.KernelBase)
	}
	if _, err := postlink.ReadPVHEntry(linked); err == nil {
		t.Fatal("the linker's output already has a PVH note?")
	}

	// Every loaded segment is loaded at its physical address, which is
	// low, below 4 GiB, and entry lies in an executable one.
	var rec linkinfo.Record
	inExec := false
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		if p.Paddr != p.Vaddr-mm.KernelBase || p.Paddr >= 1<<32 {
			t.Errorf("segment at %#x has paddr %#x", p.Vaddr, p.Paddr)
		}
		if p.Flags&elf.PF_X != 0 && entry >= p.Paddr && entry < p.Paddr+p.Memsz {
			inExec = true
		}
		rec.Segments[rec.NSegments] = linkinfo.Segment{Vaddr: p.Vaddr, Memsz: p.Memsz, Flags: uint64(p.Flags)}
		rec.NSegments++
	}
	if !inExec {
		t.Error("PVH entry is not in an executable segment")
	}

	// The 32 MiB FIPS entropy scratch buffer that ends the data is cut
	// off the loaded image and recorded as the lazy range.
	syms, err = f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, sym := range syms {
		if sym.Name != linkinfo.LazyBSSSymbols[0] {
			continue
		}
		rec.LazyStart = (sym.Value + mm.PageSize - 1) &^ (mm.PageSize - 1)
		rec.LazyEnd = (sym.Value + sym.Size + mm.PageSize - 1) &^ (mm.PageSize - 1)
		last := rec.Segments[rec.NSegments-1]
		if last.Vaddr+last.Memsz != rec.LazyStart {
			t.Errorf("the last segment ends at %#x, not at the lazy range's start %#x", last.Vaddr+last.Memsz, rec.LazyStart)
		}
	}

	// The link record carries the ELF entry and the segments.
	rec.Magic, rec.Entry, rec.PVHEntry = linkinfo.Patched, f.Entry, entry
	var off uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && li.Value >= p.Vaddr && li.Value < p.Vaddr+p.Filesz {
			off = p.Off + li.Value - p.Vaddr
		}
	}
	if got := data[off : off+linkinfo.Size]; !bytes.Equal(got, rec.Encode()) {
		t.Errorf("link record\n got %x\nwant %x", got, rec.Encode())
	}
	if binary.LittleEndian.Uint64(linked[off:]) != linkinfo.Magic {
		t.Error("unpatched record lacks the magic")
	}

	// The vDSO slot holds the vDSO image built beside the kernel.
	vdso, err := os.ReadFile(filepath.Join(filepath.Dir(img), "vdso.so"))
	if err != nil {
		t.Fatal(err)
	}
	var slot elf.Symbol
	for _, s := range syms {
		if s.Name == linkinfo.VDSOSymbol {
			slot = s
		}
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && slot.Value >= p.Vaddr && slot.Value < p.Vaddr+p.Filesz {
			off = p.Off + slot.Value - p.Vaddr
		}
	}
	if binary.LittleEndian.Uint64(data[off:]) != linkinfo.VDSOPatched || binary.LittleEndian.Uint64(data[off+8:]) != uint64(len(vdso)) ||
		!bytes.Equal(data[off+16:off+16+uint64(len(vdso))], vdso) {
		t.Error("the vDSO slot does not hold the vDSO image")
	}
	if binary.LittleEndian.Uint64(linked[off:]) != linkinfo.VDSOMagic {
		t.Error("unpatched vDSO slot lacks the magic")
	}

	// A patched image is refused, and so is something that is not ELF,
	// or a vDSO that is not a shared object or does not fit.
	if _, err := postlink.PatchBytes(data, vdso); err == nil {
		t.Error("patching twice succeeded")
	}
	if _, err := postlink.PatchBytes([]byte("not an ELF file"), vdso); err == nil {
		t.Error("patched garbage")
	}
	if _, err := postlink.PatchBytes(linked, []byte("not an ELF file")); err == nil {
		t.Error("accepted a vDSO that is not ELF")
	}
	if _, err := postlink.PatchBytes(linked, append(vdso, make([]byte, linkinfo.VDSOMax)...)); err == nil {
		t.Error("accepted a vDSO larger than the slot")
	}
}
