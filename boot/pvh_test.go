package boot_test

import (
	"debug/elf"
	"path/filepath"
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"oyako/qemu"
)

// kernelELF builds the kernel into a temporary directory and returns the
// linker's output (before the post-link step).
func kernelELF(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a kernel build")
	}
	img, err := qemu.BuildKernel(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(filepath.Dir(img), "kernel.elf")
}

func symbolBytes(t *testing.T, path, name string) ([]byte, uint64) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name != name {
			continue
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && s.Value >= p.Vaddr && s.Value+s.Size <= p.Vaddr+p.Filesz {
				b := make([]byte, s.Size)
				if _, err := p.ReadAt(b, int64(s.Value-p.Vaddr)); err != nil {
					t.Fatal(err)
				}
				return b, s.Value
			}
		}
	}
	t.Fatalf("symbol %s not found", name)
	return nil, 0
}

// TestPVHEntryIs32BitCode decodes pvhEntry the way the CPU runs it, in
// 32-bit protected mode, and checks the assumptions pvh.s makes about the
// amd64 assembler's encodings: no REX prefixes (they would decode as
// INC/DEC), and every PHYS32 sequence is "call +0; pop eax; lea r32,
// [disp32]" with a 6-byte LEA, so that disp32 + EAX + 7 is the physical
// address of the symbol.
func TestPVHEntryIs32BitCode(t *testing.T) {
	code, addr := symbolBytes(t, kernelELF(t), "oyako/boot.pvhEntry.abi0")
	var insts []x86asm.Inst
	for pc := 0; pc < len(code); {
		inst, err := x86asm.Decode(code[pc:], 32)
		if err != nil {
			t.Fatalf("at %#x: %v", addr+uint64(pc), err)
		}
		if code[pc] >= 0x40 && code[pc] <= 0x4f {
			t.Fatalf("at %#x: byte %#x is a REX prefix in 64-bit mode but %v in 32-bit mode", addr+uint64(pc), code[pc], inst)
		}
		insts = append(insts, inst)
		pc += inst.Len
		if inst.Op == x86asm.LRET {
			break
		}
	}
	if insts[len(insts)-1].Op != x86asm.LRET {
		t.Fatal("pvhEntry does not end with the far return into 64-bit mode")
	}
	phys := 0
	for i := 0; i+2 < len(insts); i++ {
		if insts[i].Op != x86asm.CALL || insts[i].Args[0] != x86asm.Rel(0) {
			continue
		}
		pop, lea := insts[i+1], insts[i+2]
		if pop.Op != x86asm.POP || pop.Args[0] != x86asm.EAX || pop.Len != 1 {
			t.Fatalf("PHYS32 %d: %v after call +0, want pop eax (1 byte)", phys, pop)
		}
		m, ok := lea.Args[1].(x86asm.Mem)
		if lea.Op != x86asm.LEA || lea.Len != 6 || !ok || m.Base != 0 || m.Index != 0 {
			t.Fatalf("PHYS32 %d: %v (%d bytes), want a 6-byte lea of an absolute disp32", phys, lea, lea.Len)
		}
		phys++
	}
	if phys != 6 {
		t.Fatalf("found %d PHYS32 sequences, want 6", phys)
	}
}
