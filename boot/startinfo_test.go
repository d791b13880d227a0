package boot

import (
	"encoding/binary"
	"testing"

	"oyako/kernel"
)

// fakePhys is physical memory for parseStartInfo: pa indexes mem.
type fakePhys struct{ mem []byte }

func (f *fakePhys) reader() physReader {
	return func(pa uint64) uintptr { return uintptrOf(&f.mem[pa]) }
}

func (f *fakePhys) put32(pa uint64, v uint32) { binary.LittleEndian.PutUint32(f.mem[pa:], v) }
func (f *fakePhys) put64(pa uint64, v uint64) { binary.LittleEndian.PutUint64(f.mem[pa:], v) }

func TestParseStartInfo(t *testing.T) {
	f := &fakePhys{mem: make([]byte, 0x4000)}
	const si, cmdline, memmap, mods = 0x100, 0x400, 0x800, 0xc00
	f.put32(si+siMagic, startInfoMagic)
	f.put32(si+siVersion, 1)
	f.put32(si+siNrModules, 1)
	f.put64(si+siModlistPaddr, mods)
	f.put64(si+siCmdlinePaddr, cmdline)
	f.put64(si+siRSDPPaddr, 0xf0000)
	f.put64(si+siMemmapPaddr, memmap)
	f.put32(si+siMemmapEntries, 3)
	copy(f.mem[cmdline:], "quiet crash=panic\x00")
	regions := []kernel.MemRegion{{Base: 0, Size: 0x9fc00, Type: 1}, {Base: 0x9fc00, Size: 0x400, Type: 2}, {Base: 0x100000, Size: 0x7f00000, Type: 1}}
	for i, r := range regions {
		e := uint64(memmap + i*memmapEntrySize)
		f.put64(e, r.Base)
		f.put64(e+8, r.Size)
		f.put32(e+16, r.Type)
	}
	f.put64(mods, 0x7000000)
	f.put64(mods+8, 0x12345)

	var bi kernel.BootInfo
	if msg := parseStartInfo(f.reader(), si, &bi); msg != "" {
		t.Fatal(msg)
	}
	if bi.CmdlineString() != "quiet crash=panic" {
		t.Errorf("cmdline %q", bi.CmdlineString())
	}
	if bi.NMem != 3 || bi.Mem[2] != regions[2] || bi.Mem[1].Type != 2 {
		t.Errorf("memory map %v", bi.Mem[:bi.NMem])
	}
	if bi.RAMBytes() != 0x9fc00+0x7f00000 {
		t.Errorf("RAM %#x", bi.RAMBytes())
	}
	if bi.NModules != 1 || bi.Modules[0].Base != 0x7000000 || bi.Modules[0].End != 0x7012345 {
		t.Errorf("modules %v", bi.Modules[:bi.NModules])
	}
	if bi.RSDP != 0xf0000 {
		t.Errorf("RSDP %#x", bi.RSDP)
	}

	// Version 0 has no memory map; a bad magic is refused.
	f.put32(si+siVersion, 0)
	if msg := parseStartInfo(f.reader(), si, &kernel.BootInfo{}); msg == "" {
		t.Error("version 0 accepted")
	}
	f.put32(si+siMagic, 0x1234)
	if msg := parseStartInfo(f.reader(), si, &kernel.BootInfo{}); msg == "" {
		t.Error("bad magic accepted")
	}
}
