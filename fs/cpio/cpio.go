// Package cpio reads and writes the "newc" cpio format (SVR4 with no CRC),
// the format of Linux's initramfs (Documentation/driver-api/early-userspace/
// buffer-format.rst). The host packs a program and its root filesystem with
// Writer; the kernel unpacks QEMU's -initrd module with Reader.
package cpio

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

const (
	magic      = "070701"
	headerSize = 110
	trailer    = "TRAILER!!!"
)

// File mode type bits (as in stat(2)).
const (
	ModeType    = 0o170000
	ModeDir     = 0o040000
	ModeRegular = 0o100000
	ModeSymlink = 0o120000
	ModeChar    = 0o020000
	ModeBlock   = 0o060000
	ModeFIFO    = 0o010000
	ModeSocket  = 0o140000
)

// Header describes one archive member.
type Header struct {
	Name     string
	Mode     uint32 // type and permission bits
	UID, GID uint32
	NLink    uint32
	MTime    uint32
	Size     int64
	DevMajor uint32
	DevMinor uint32
	// RdevMajor and RdevMinor identify a device node's device.
	RdevMajor, RdevMinor uint32
	Ino                  uint32
}

// Reader reads a newc archive.
type Reader struct {
	data []byte
	off  int
}

// NewReader reads the archive in data (an initramfs image in memory).
func NewReader(data []byte) *Reader { return &Reader{data: data} }

// ErrFormat reports a malformed archive.
var ErrFormat = errors.New("cpio: malformed newc archive")

// Next returns the next member and its contents (a slice of the archive),
// or io.EOF after the trailer. Leading zero padding between concatenated
// archives is skipped, as Linux does.
func (r *Reader) Next() (*Header, []byte, error) {
	for r.off < len(r.data) && r.data[r.off] == 0 {
		r.off++
	}
	if r.off >= len(r.data) {
		return nil, nil, io.EOF
	}
	if len(r.data)-r.off < headerSize || string(r.data[r.off:r.off+6]) != magic {
		return nil, nil, fmt.Errorf("%w: bad header at offset %d", ErrFormat, r.off)
	}
	var f [13]uint32
	for i := range f {
		s := string(r.data[r.off+6+8*i : r.off+14+8*i])
		v, err := strconv.ParseUint(s, 16, 32)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: field %d %q", ErrFormat, i, s)
		}
		f[i] = uint32(v)
	}
	h := &Header{Ino: f[0], Mode: f[1], UID: f[2], GID: f[3], NLink: f[4], MTime: f[5], Size: int64(f[6]),
		DevMajor: f[7], DevMinor: f[8], RdevMajor: f[9], RdevMinor: f[10]}
	nameSize := int(f[11])
	p := r.off + headerSize
	if nameSize < 1 || p+nameSize > len(r.data) {
		return nil, nil, fmt.Errorf("%w: bad name size %d", ErrFormat, nameSize)
	}
	h.Name = string(r.data[p : p+nameSize-1]) // without the NUL
	p = align4(p + nameSize)
	if h.Size < 0 || p+int(h.Size) > len(r.data) {
		return nil, nil, fmt.Errorf("%w: %s: size %d past the end", ErrFormat, h.Name, h.Size)
	}
	body := r.data[p : p+int(h.Size)]
	r.off = align4(p + int(h.Size))
	if h.Name == trailer {
		r.off = len(r.data)
		return nil, nil, io.EOF
	}
	return h, body, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// Writer writes a newc archive.
type Writer struct {
	w   io.Writer
	ino uint32
	err error
}

// NewWriter writes an archive to w. Close writes the trailer.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, ino: 1} }

// WriteFile adds a member with the given header and contents (for a
// symlink, the contents are the target). Header.Size and Ino are set here.
func (w *Writer) WriteFile(h Header, body []byte) error {
	if w.err != nil {
		return w.err
	}
	h.Size = int64(len(body))
	if h.NLink == 0 {
		h.NLink = 1
		if h.Mode&ModeType == ModeDir {
			h.NLink = 2
		}
	}
	h.Ino = w.ino
	w.ino++
	w.write(h, body)
	return w.err
}

func (w *Writer) write(h Header, body []byte) {
	name := h.Name + "\x00"
	fields := []uint32{h.Ino, h.Mode, h.UID, h.GID, h.NLink, h.MTime, uint32(h.Size),
		h.DevMajor, h.DevMinor, h.RdevMajor, h.RdevMinor, uint32(len(name)), 0}
	buf := []byte(magic)
	for _, v := range fields {
		buf = append(buf, fmt.Sprintf("%08x", v)...)
	}
	buf = append(buf, name...)
	buf = append(buf, make([]byte, align4(len(buf))-len(buf))...)
	buf = append(buf, body...)
	buf = append(buf, make([]byte, align4(len(buf))-len(buf))...)
	_, w.err = w.w.Write(buf)
}

// Close writes the trailer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	w.write(Header{Name: trailer, NLink: 1}, nil)
	return w.err
}
