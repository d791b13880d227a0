package fs

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Device is a device node, character or block, or a socket node: an
// inode whose opens go to a driver. Nodes for which oyako has no driver
// (block devices, sockets, unknown character devices) open with ENXIO.
type Device struct {
	ramInode
	open func(c Ctx, flags uint32) (FileOps, error)
}

// newDevice makes a node of mode (type bits included) created by c in
// dir, with device number major:minor; a character device oyako has
// opens as that device.
func (fs *RamFS) newDevice(c Ctx, dir *RamDir, mode uint32, major, minor uint32, console *TTY) *Device {
	d := &Device{}
	fs.initInode(&d.ramInode, c, dir, mode)
	if mode&S_IFMT == S_IFCHR || mode&S_IFMT == S_IFBLK {
		d.attr.Rdev = Mkdev(major, minor)
	}
	if mode&S_IFMT == S_IFCHR {
		d.open = DeviceOpener(major, minor, console)
	}
	return d
}

// Open implements Opener.
func (d *Device) Open(c Ctx, flags uint32) (FileOps, error) {
	if d.open == nil {
		return nil, linuxerr.ENXIO
	}
	return d.open(c, flags)
}

// streamOps is the base of device operations: no file position.
type streamOps struct{}

func (streamOps) IsStream() bool { return true }

// nullOps is /dev/null.
type nullOps struct{ streamOps }

func (nullOps) Read(Ctx, *File, []byte, int64) (int, error)          { return 0, nil }
func (nullOps) Write(_ Ctx, _ *File, p []byte, _ int64) (int, error) { return len(p), nil }

// Splice implements Splicer: null_fops has splice_write only.
func (nullOps) Splice() (read, write bool) { return false, true }

// FastRead and FastWrite implement FastIO: reads end the file, writes
// take everything (read_null, write_null).
func (nullOps) FastRead(int) (int, bool)    { return 0, false }
func (nullOps) FastWrite(n int) (int, bool) { return n, true }

// zeroOps is /dev/zero.
type zeroOps struct{ streamOps }

func (zeroOps) Read(_ Ctx, _ *File, p []byte, _ int64) (int, error) {
	clear(p)
	return len(p), nil
}
func (zeroOps) Write(_ Ctx, _ *File, p []byte, _ int64) (int, error) { return len(p), nil }

// FastRead and FastWrite implement FastIO: reads give zeros (read_zero),
// writes take everything.
func (zeroOps) FastRead(n int) (int, bool)  { return n, true }
func (zeroOps) FastWrite(n int) (int, bool) { return n, true }

// IsZeroDevice reports whether f is an open /dev/zero (whose mappings
// are anonymous memory).
func IsZeroDevice(f *File) bool {
	_, ok := f.ops.(zeroOps)
	return ok
}

// Splice implements Splicer (zero_fops: copy_splice_read, splice_write_zero).
func (zeroOps) Splice() (read, write bool) { return true, true }

// fullOps is /dev/full.
type fullOps struct{ zeroOps }

func (fullOps) Write(Ctx, *File, []byte, int64) (int, error) { return 0, linuxerr.ENOSPC }

// FastWrite implements FastIO: a write fails (ENOSPC, on the slow path);
// reads give zeros, as zeroOps.
func (fullOps) FastWrite(int) (int, bool) { return 0, false }

// Splice implements Splicer: full_fops has splice_read only.
func (fullOps) Splice() (read, write bool) { return true, false }

// RandomSource fills p with random bytes (the kernel wires RDRAND in).
var RandomSource func(p []byte)

// randomOps is /dev/random and /dev/urandom.
type randomOps struct{ streamOps }

func (randomOps) Read(_ Ctx, _ *File, p []byte, _ int64) (int, error) {
	if RandomSource == nil {
		return 0, linuxerr.EIO
	}
	RandomSource(p)
	return len(p), nil
}
func (randomOps) Write(_ Ctx, _ *File, p []byte, _ int64) (int, error) { return len(p), nil }

// Splice implements Splicer (random_fops: copy_splice_read,
// iter_file_splice_write).
func (randomOps) Splice() (read, write bool) { return true, true }

func opsOpener(ops FileOps) func(Ctx, uint32) (FileOps, error) {
	return func(Ctx, uint32) (FileOps, error) { return ops, nil }
}

// openCTTY opens /dev/tty: the caller's controlling terminal, or ENXIO
// without one (tty_open_current_tty).
func openCTTY(c Ctx, _ uint32) (FileOps, error) {
	if h, ok := c.(interface{ ControllingTTY() *TTY }); ok {
		if tty := h.ControllingTTY(); tty != nil {
			return tty, nil
		}
	}
	return nil, linuxerr.ENXIO
}

// AddDevices creates the standard device nodes in dir (/dev): null, zero,
// full, random, urandom, and console, ttyS0 and tty for the console TTY, and the
// directory shm (for a tmpfs of POSIX shared memory).
func AddDevices(dir *RamDir, console *TTY) {
	devs := []struct {
		name         string
		mode         uint32
		major, minor uint32
	}{
		{"null", 0o666, 1, 3},
		{"zero", 0o666, 1, 5},
		{"full", 0o666, 1, 7},
		{"random", 0o666, 1, 8},
		{"urandom", 0o666, 1, 9},
		{"tty", 0o666, 5, 0},
		{"console", 0o600, 5, 1},
		// The serial port under its own name (drivers/tty/serial's
		// ttyS0; devtmpfs's default mode): the console's terminal
		// without /dev/console's exceptions to job control.
		{"ttyS0", 0o600, 4, 64},
	}
	for _, d := range devs {
		if _, err := dir.Lookup(nil, d.name); err == nil {
			continue // the initramfs has its own node
		}
		dir.Add(d.name, dir.fs.newDevice(nil, dir, S_IFCHR|d.mode, d.major, d.minor, console))
	}
	if _, err := dir.Lookup(nil, "shm"); err != nil {
		dir.Add("shm", dir.fs.newDir(nil, dir, 0o1777))
	}
}

// DeviceOpener returns how to open a device node with number major:minor
// found in an initramfs, or nil for devices oyako does not have.
func DeviceOpener(major, minor uint32, console *TTY) func(Ctx, uint32) (FileOps, error) {
	switch {
	case major == 1 && minor == 3:
		return opsOpener(nullOps{})
	case major == 1 && minor == 5:
		return opsOpener(zeroOps{})
	case major == 1 && minor == 7:
		return opsOpener(fullOps{})
	case major == 1 && (minor == 8 || minor == 9):
		return opsOpener(randomOps{})
	case major == 5 && minor == 0:
		return openCTTY
	case major == 5 && minor == 1, major == 4 && minor == 64:
		return opsOpener(console)
	}
	return nil
}
