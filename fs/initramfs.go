package fs

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"oyako/fs/cpio"
)

// Unpack extracts a newc cpio archive (the initramfs) into root, creating
// missing parent directories as Linux's init/initramfs.c does. File
// contents alias archive memory rather than being copied. Device nodes get
// oyako's devices when it has them (console, null, ...).
func Unpack(root *RamDir, archive []byte, console *TTY) error {
	r := cpio.NewReader(archive)
	for {
		h, body, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")
		if name == "" || name == "." {
			continue
		}
		dir, base, err := mkdirAll(root, name)
		if err != nil {
			return fmt.Errorf("initramfs %s: %w", h.Name, err)
		}
		perm := h.Mode & 0o7777
		var node Inode
		switch h.Mode & cpio.ModeType {
		case cpio.ModeDir:
			if n, err := dir.Lookup(nil, base); err == nil {
				if _, ok := n.(*RamDir); ok {
					continue
				}
			}
			node = NewRamDir(dir, perm)
		case cpio.ModeRegular:
			f := NewRamFile(perm, body[:len(body):len(body)])
			f.SetMtime(int64(h.MTime))
			node = f
		case cpio.ModeSymlink:
			node = NewSymlink(string(body))
		case cpio.ModeChar:
			node = NewDevice(perm, h.RdevMajor, h.RdevMinor, DeviceOpener(h.RdevMajor, h.RdevMinor, console))
		default:
			continue // block devices, FIFOs and sockets: not supported yet
		}
		dir.Remove(base)
		if err := dir.Add(base, node); err != nil {
			return fmt.Errorf("initramfs %s: %w", h.Name, err)
		}
	}
}

// mkdirAll makes the directories leading to name and returns the last one
// and the final component.
func mkdirAll(root *RamDir, name string) (*RamDir, string, error) {
	parts := strings.Split(name, "/")
	d := root
	for _, p := range parts[:len(parts)-1] {
		n, err := d.Lookup(nil, p)
		if err != nil {
			nd := NewRamDir(d, 0o755)
			if err := d.Add(p, nd); err != nil {
				return nil, "", err
			}
			d = nd
			continue
		}
		sub, ok := n.(*RamDir)
		if !ok {
			return nil, "", fmt.Errorf("%s is not a directory", p)
		}
		d = sub
	}
	return d, parts[len(parts)-1], nil
}

// NewRoot builds the root file system: the initramfs (if any), then /dev
// with the standard devices and /proc, and /tmp, when the archive did not
// provide them.
func NewRoot(archive []byte, console *TTY, procs ProcSource) (*Root, error) {
	root := NewRamDir(nil, 0o755)
	if len(archive) > 0 {
		if err := Unpack(root, archive, console); err != nil {
			return nil, err
		}
	}
	dev, _, _ := mkdirAll(root, "dev/x")
	AddDevices(dev, console)
	if _, err := root.Lookup(nil, "tmp"); err != nil {
		root.Add("tmp", NewRamDir(root, 0o1777))
	}
	if n, err := root.Lookup(nil, "proc"); err == nil {
		if d, ok := n.(*RamDir); ok && len(d.names) == 0 {
			root.Remove("proc")
		}
	}
	if _, err := root.Lookup(nil, "proc"); err != nil {
		root.Add("proc", NewProcDir(root, procs))
	}
	return &Root{Dir: root}, nil
}
