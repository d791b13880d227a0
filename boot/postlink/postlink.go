// Package postlink turns the Go linker's output into a kernel image QEMU can
// boot with -kernel. The Go linker writes no custom notes and sets each
// segment's physical address equal to its virtual address; PVH boot needs
// both fixed (DESIGN.md §2). Patch:
//
//   - rewrites p_paddr of every segment to its physical load address
//     (p_vaddr - mm.KernelBase), so QEMU loads the image low in RAM;
//   - turns the PT_GNU_STACK header (meaningless for a kernel) into a
//     PT_NOTE for a Xen ELF note of type XEN_ELFNOTE_PHYS32_ENTRY (18)
//     whose descriptor is the physical address of boot.pvhEntry, appended
//     to the file (QEMU reads notes from the file, not from memory);
//   - fills in the boot.linkInfo record (boot/linkinfo) with the ELF entry
//     point and the PT_LOAD segments;
//   - copies the vDSO image into the kernel/vdso.image slot.
//
// Scope: only ELF files produced by the Go linker for this kernel.
package postlink

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"

	"oyako/boot/linkinfo"
	"oyako/kernel/mm"
)

// Symbol names the post-link step looks up.
const (
	PVHEntrySymbol = "oyako/boot.pvhEntry"
	LinkInfoSymbol = "oyako/boot.linkInfo"
)

// XenElfnotePhys32Entry is the note type QEMU's PVH loader looks for
// (xen/include/public/elfnote.h).
const XenElfnotePhys32Entry = 18

const phdrSize = 56

// Patch reads the linked kernel at in and the vDSO image at vdso, and
// writes the bootable image to out.
func Patch(in, vdso, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	vd, err := os.ReadFile(vdso)
	if err != nil {
		return err
	}
	img, err := PatchBytes(data, vd)
	if err != nil {
		return fmt.Errorf("postlink %s: %w", in, err)
	}
	return os.WriteFile(out, img, 0o755)
}

// PatchBytes applies Patch to an ELF image and a vDSO image in memory and
// returns the new image.
func PatchBytes(data, vdso []byte) ([]byte, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return nil, fmt.Errorf("not an x86-64 ELF64 file")
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("reading symbols: %w", err)
	}
	pvh, ok := findSymbol(syms, PVHEntrySymbol+".abi0") // assembly, ABI0
	if !ok {
		pvh, ok = findSymbol(syms, PVHEntrySymbol)
	}
	if !ok {
		return nil, fmt.Errorf("symbol %s not found", PVHEntrySymbol)
	}
	li, ok := findSymbol(syms, LinkInfoSymbol)
	if !ok {
		return nil, fmt.Errorf("symbol %s not found", LinkInfoSymbol)
	}
	if pvh.Value < mm.KernelBase || pvh.Value-mm.KernelBase >= 1<<32 {
		return nil, fmt.Errorf("%s at %#x is not in the kernel image's 32-bit physical range", PVHEntrySymbol, pvh.Value)
	}

	img := append([]byte(nil), data...)
	phoff := binary.LittleEndian.Uint64(img[32:])
	phnum := int(binary.LittleEndian.Uint16(img[56:]))
	if int(binary.LittleEndian.Uint16(img[54:])) != phdrSize {
		return nil, fmt.Errorf("unexpected program header size")
	}

	rec := linkinfo.Record{Magic: linkinfo.Patched, Entry: f.Entry, PVHEntry: pvh.Value - mm.KernelBase}
	noteDone := false
	for i := 0; i < phnum; i++ {
		ph := img[phoff+uint64(i)*phdrSize:][:phdrSize]
		typ := elf.ProgType(binary.LittleEndian.Uint32(ph[0:]))
		vaddr := binary.LittleEndian.Uint64(ph[16:])
		switch {
		case typ == elf.PT_GNU_STACK && !noteDone:
			off := uint64(len(img))
			note := xenNote(XenElfnotePhys32Entry, rec.PVHEntry)
			img = append(img, note...)
			ph = img[phoff+uint64(i)*phdrSize:][:phdrSize]
			binary.LittleEndian.PutUint32(ph[0:], uint32(elf.PT_NOTE))
			binary.LittleEndian.PutUint32(ph[4:], uint32(elf.PF_R))
			binary.LittleEndian.PutUint64(ph[8:], off)
			binary.LittleEndian.PutUint64(ph[16:], 0)
			binary.LittleEndian.PutUint64(ph[24:], 0)
			binary.LittleEndian.PutUint64(ph[32:], uint64(len(note)))
			binary.LittleEndian.PutUint64(ph[40:], uint64(len(note)))
			binary.LittleEndian.PutUint64(ph[48:], 4)
			noteDone = true
			continue
		case vaddr >= mm.KernelBase:
			binary.LittleEndian.PutUint64(ph[24:], vaddr-mm.KernelBase)
		}
		if typ == elf.PT_LOAD {
			cutLazyTail(ph, syms, &rec)
			if rec.NSegments == linkinfo.MaxSegments {
				return nil, fmt.Errorf("more than %d PT_LOAD segments", linkinfo.MaxSegments)
			}
			rec.Segments[rec.NSegments] = linkinfo.Segment{
				Vaddr: vaddr,
				Memsz: binary.LittleEndian.Uint64(ph[40:]),
				Flags: uint64(binary.LittleEndian.Uint32(ph[4:])),
			}
			rec.NSegments++
		}
	}
	if !noteDone {
		return nil, fmt.Errorf("no PT_GNU_STACK program header to turn into the PVH note")
	}

	off, err := fileOffset(f, li.Value, linkinfo.Size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", LinkInfoSymbol, err)
	}
	if got := binary.LittleEndian.Uint64(img[off:]); got != linkinfo.Magic {
		return nil, fmt.Errorf("%s has magic %#x, want %#x (already patched?)", LinkInfoSymbol, got, uint64(linkinfo.Magic))
	}
	copy(img[off:], rec.Encode())
	if err := patchVDSO(f, syms, img, vdso); err != nil {
		return nil, err
	}
	return img, nil
}

// patchVDSO copies the vDSO image into its slot in img.
func patchVDSO(f *elf.File, syms []elf.Symbol, img, vdso []byte) error {
	sym, ok := findSymbol(syms, linkinfo.VDSOSymbol)
	if !ok {
		return fmt.Errorf("symbol %s not found", linkinfo.VDSOSymbol)
	}
	if sym.Size != linkinfo.VDSOSlotSize {
		return fmt.Errorf("%s is %d bytes, want %d", linkinfo.VDSOSymbol, sym.Size, linkinfo.VDSOSlotSize)
	}
	if len(vdso) > linkinfo.VDSOMax {
		return fmt.Errorf("the vDSO image is %d bytes; the slot holds %d", len(vdso), linkinfo.VDSOMax)
	}
	if v, err := elf.NewFile(bytes.NewReader(vdso)); err != nil || v.Type != elf.ET_DYN || v.Machine != elf.EM_X86_64 {
		return fmt.Errorf("the vDSO image is not an x86-64 ELF shared object (%v)", err)
	}
	off, err := fileOffset(f, sym.Value, linkinfo.VDSOSlotSize)
	if err != nil {
		return fmt.Errorf("%s: %w", linkinfo.VDSOSymbol, err)
	}
	if got := binary.LittleEndian.Uint64(img[off:]); got != linkinfo.VDSOMagic {
		return fmt.Errorf("%s has magic %#x, want %#x (already patched?)", linkinfo.VDSOSymbol, got, uint64(linkinfo.VDSOMagic))
	}
	binary.LittleEndian.PutUint64(img[off:], linkinfo.VDSOPatched)
	binary.LittleEndian.PutUint64(img[off+8:], uint64(len(vdso)))
	copy(img[off+16:], vdso)
	return nil
}

// cutLazyTail shortens a PT_LOAD segment whose zero-initialized tail
// is one or more of linkinfo.LazyBSSSymbols (the linker places the
// largest data last), from the first of them on, and records the cut
// range, page-aligned, in rec.
func cutLazyTail(ph []byte, syms []elf.Symbol, rec *linkinfo.Record) {
	vaddr := binary.LittleEndian.Uint64(ph[16:])
	filesz := binary.LittleEndian.Uint64(ph[32:])
	memsz := binary.LittleEndian.Uint64(ph[40:])
	end := vaddr + memsz
	cut := end
	for found := true; found; {
		found = false
		for _, name := range linkinfo.LazyBSSSymbols {
			if sym, ok := findSymbol(syms, name); ok && sym.Size > 0 && sym.Value+sym.Size == cut && sym.Value >= vaddr+filesz {
				cut, found = sym.Value, true
			}
		}
	}
	start := (cut + mm.PageSize - 1) &^ (mm.PageSize - 1)
	if start >= end {
		return
	}
	binary.LittleEndian.PutUint64(ph[40:], start-vaddr)
	rec.LazyStart, rec.LazyEnd = start, (end+mm.PageSize-1)&^(mm.PageSize-1)
}

func findSymbol(syms []elf.Symbol, name string) (elf.Symbol, bool) {
	for _, s := range syms {
		if s.Name == name {
			return s, true
		}
	}
	return elf.Symbol{}, false
}

// fileOffset returns where in the file the n bytes at virtual address addr are stored.
func fileOffset(f *elf.File, addr, n uint64) (uint64, error) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr+n <= p.Vaddr+p.Filesz {
			return p.Off + addr - p.Vaddr, nil
		}
	}
	return 0, fmt.Errorf("address %#x is not in any PT_LOAD segment's file data", addr)
}

// xenNote encodes an ELF note named "Xen" with an 8-byte descriptor, laid
// out as Linux's ELFNOTE(Xen, XEN_ELFNOTE_PHYS32_ENTRY, ...) does on x86-64.
func xenNote(typ uint32, desc uint64) []byte {
	b := make([]byte, 12+4+8)
	binary.LittleEndian.PutUint32(b[0:], 4) // namesz, "Xen\0"
	binary.LittleEndian.PutUint32(b[4:], 8) // descsz
	binary.LittleEndian.PutUint32(b[8:], typ)
	copy(b[12:], "Xen\x00")
	binary.LittleEndian.PutUint64(b[16:], desc)
	return b
}

// ReadPVHEntry returns the physical entry address from an image's Xen
// PHYS32_ENTRY note, as QEMU's loader would find it.
func ReadPVHEntry(img []byte) (uint64, error) {
	f, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		return 0, err
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return 0, err
		}
		for len(b) >= 12 {
			namesz := binary.LittleEndian.Uint32(b[0:])
			descsz := binary.LittleEndian.Uint32(b[4:])
			typ := binary.LittleEndian.Uint32(b[8:])
			nameEnd := 12 + (namesz+3)&^3
			descEnd := nameEnd + (descsz+3)&^3
			if uint64(descEnd) > uint64(len(b)) {
				break
			}
			if typ == XenElfnotePhys32Entry && string(b[12:12+namesz]) == "Xen\x00" && descsz >= 4 {
				d := b[nameEnd:]
				if descsz >= 8 {
					return binary.LittleEndian.Uint64(d), nil
				}
				return uint64(binary.LittleEndian.Uint32(d)), nil
			}
			b = b[descEnd:]
		}
	}
	return 0, fmt.Errorf("no Xen PHYS32_ENTRY note")
}
