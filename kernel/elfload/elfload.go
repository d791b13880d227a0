// Package elfload reads an executable's ELF headers and plans how to load
// it, as Linux's load_elf_binary (fs/binfmt_elf.c) does: ET_EXEC at its
// link addresses, ET_DYN (PIE) at a fixed base (no randomization), and
// the interpreter a dynamically linked program names (PT_INTERP) moved as
// a whole to where the kernel finds room for it (Rebase). It is
// hardware-free; the kernel maps the plan.
//
// Limits: x86-64 ELF64 little-endian only.
package elfload

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// ELF constants (include/uapi/linux/elf.h).
const (
	etExec = 2
	etDyn  = 3
	emX86  = 62

	ptLoad     = 1
	ptInterp   = 3
	ptPhdr     = 6
	ptGNUStack = 0x6474e551

	pfX = 1
	pfW = 2
	pfR = 4

	ehdrSize = 64
	phdrSize = 56
	maxPhnum = 1024
	pageSize = 4096
)

// Protection bits of a segment, as mmap's PROT_ bits.
const (
	ProtRead  = 1
	ProtWrite = 2
	ProtExec  = 4
)

// Segment is one PT_LOAD segment, relocated by the load bias.
type Segment struct {
	Vaddr  uint64 // where the segment's first byte goes
	Filesz uint64
	Memsz  uint64
	Off    int64 // file offset of the first byte
	Prot   uint32
}

// Image is a loading plan.
type Image struct {
	Type     uint16
	Bias     uint64 // added to every address (0 for ET_EXEC)
	Entry    uint64
	Phdr     uint64 // address of the program headers in memory (AT_PHDR)
	Phent    uint64
	Phnum    uint64
	Segments []Segment
	BrkStart uint64 // the page-aligned end of the highest segment
	Interp   string // PT_INTERP, if any
}

// ErrNotELF marks a file that is not an ELF executable oyako can run;
// execve reports it as ENOEXEC.
var ErrNotELF = linuxerr.ENOEXEC

// ErrBadInterp marks an interpreter (PT_INTERP) that is not an x86-64 ELF
// file: load_elf_binary's checks of its header give ELIBBAD.
var ErrBadInterp = linuxerr.ELIBBAD

// ParseInterp plans the loading of a program's interpreter at its link
// addresses (Rebase moves it). As load_elf_binary, a file too short for
// an ELF header is EIO (elf_read) and one without the ELF magic or for
// another machine ErrBadInterp; the rest is checked as Parse checks a
// program.
func ParseInterp(r io.ReaderAt) (*Image, error) {
	var eh [ehdrSize]byte
	if n, _ := r.ReadAt(eh[:], 0); n < len(eh) {
		return nil, linuxerr.EIO
	}
	if string(eh[:4]) != "\x7fELF" || binary.LittleEndian.Uint16(eh[18:]) != emX86 {
		return nil, ErrBadInterp
	}
	return Parse(r)
}

// Relocatable reports whether the image may be loaded anywhere (ET_DYN).
func (img *Image) Relocatable() bool { return img.Type == etDyn }

// Parse reads the ELF headers of r and plans its loading at its link
// addresses; Rebase moves an ET_DYN image where the kernel puts it.
func Parse(r io.ReaderAt) (*Image, error) {
	var eh [ehdrSize]byte
	if _, err := r.ReadAt(eh[:], 0); err != nil {
		return nil, ErrNotELF
	}
	if string(eh[:4]) != "\x7fELF" {
		return nil, ErrNotELF
	}
	if eh[4] != 2 || eh[5] != 1 {
		return nil, fmt.Errorf("%w: not 64-bit little-endian", ErrNotELF)
	}
	le := binary.LittleEndian
	typ, machine := le.Uint16(eh[16:]), le.Uint16(eh[18:])
	if machine != emX86 {
		return nil, fmt.Errorf("%w: machine %d is not x86-64", ErrNotELF, machine)
	}
	if typ != etExec && typ != etDyn {
		return nil, fmt.Errorf("%w: type %d is not an executable", ErrNotELF, typ)
	}
	img := &Image{Type: typ, Entry: le.Uint64(eh[24:])}
	phoff := le.Uint64(eh[32:])
	phent, phnum := le.Uint16(eh[54:]), le.Uint16(eh[56:])
	if phent != phdrSize || phnum == 0 || phnum > maxPhnum {
		return nil, fmt.Errorf("%w: bad program header table", ErrNotELF)
	}
	img.Phent, img.Phnum = phdrSize, uint64(phnum)
	ph := make([]byte, int(phnum)*phdrSize)
	if _, err := r.ReadAt(ph, int64(phoff)); err != nil {
		return nil, fmt.Errorf("%w: program headers past the end", ErrNotELF)
	}
	var phdrVaddr uint64
	havePhdr := false
	var loads []Segment
	for i := 0; i < int(phnum); i++ {
		p := ph[i*phdrSize:]
		ptype, flags := le.Uint32(p[0:]), le.Uint32(p[4:])
		off, vaddr := le.Uint64(p[8:]), le.Uint64(p[16:])
		filesz, memsz, align := le.Uint64(p[32:]), le.Uint64(p[40:]), le.Uint64(p[48:])
		switch ptype {
		case ptInterp:
			// load_elf_binary takes the first PT_INTERP: a NUL-terminated
			// path of at most PATH_MAX bytes, read as a C string.
			if img.Interp != "" {
				continue
			}
			if filesz < 2 || filesz > 4096 {
				return nil, fmt.Errorf("%w: bad PT_INTERP", ErrNotELF)
			}
			b := make([]byte, filesz)
			if _, err := r.ReadAt(b, int64(off)); err != nil {
				return nil, linuxerr.EIO
			}
			if b[len(b)-1] != 0 {
				return nil, fmt.Errorf("%w: PT_INTERP without its NUL", ErrNotELF)
			}
			img.Interp = string(b[:bytes.IndexByte(b, 0)])
			if img.Interp == "" {
				return nil, linuxerr.ENOENT // an empty path, as open_exec finds it
			}
		case ptPhdr:
			phdrVaddr, havePhdr = vaddr, true
		case ptLoad:
			if filesz > memsz || vaddr%pageSize != off%pageSize || align > 1 && vaddr%align != off%align {
				return nil, fmt.Errorf("%w: misaligned PT_LOAD", ErrNotELF)
			}
			prot := uint32(0)
			if flags&pfR != 0 {
				prot |= ProtRead
			}
			if flags&pfW != 0 {
				prot |= ProtWrite
			}
			if flags&pfX != 0 {
				prot |= ProtExec
			}
			loads = append(loads, Segment{Vaddr: vaddr, Filesz: filesz, Memsz: memsz, Off: int64(off), Prot: prot})
			// AT_PHDR without PT_PHDR: the segment holding the table.
			if !havePhdr && phoff >= off && phoff+uint64(phnum)*phdrSize <= off+filesz {
				phdrVaddr = vaddr + (phoff - off)
			}
		}
	}
	if len(loads) == 0 {
		return nil, fmt.Errorf("%w: no PT_LOAD segment", ErrNotELF)
	}
	for i := range loads {
		s := &loads[i]
		s.Vaddr += img.Bias
		if s.Vaddr+s.Memsz < s.Vaddr || s.Vaddr+s.Memsz > 0x0000800000000000 {
			return nil, fmt.Errorf("%w: segment outside user space", ErrNotELF)
		}
		if i > 0 && s.Vaddr < loads[i-1].Vaddr {
			return nil, fmt.Errorf("%w: PT_LOAD segments out of order", ErrNotELF)
		}
		if end := (s.Vaddr + s.Memsz + pageSize - 1) &^ (pageSize - 1); end > img.BrkStart {
			img.BrkStart = end
		}
	}
	img.Segments = loads
	img.Entry += img.Bias
	if phdrVaddr != 0 {
		img.Phdr = phdrVaddr + img.Bias
	}
	return img, nil
}

// Span is the page-aligned range of addresses the image's segments cover,
// from the first segment's page to the end of the last one's.
func (img *Image) Span() (lo, hi uint64) {
	lo = img.Segments[0].Vaddr &^ (pageSize - 1)
	return lo, img.BrkStart
}

// Rebase moves the image by delta bytes (a multiple of the page size),
// as load_elf_interp's load_bias moves an interpreter to the address its
// first mapping got.
func (img *Image) Rebase(delta uint64) {
	img.Bias += delta
	img.Entry += delta
	if img.Phdr != 0 {
		img.Phdr += delta
	}
	img.BrkStart += delta
	for i := range img.Segments {
		img.Segments[i].Vaddr += delta
	}
}
