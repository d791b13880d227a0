package fs

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"oyako/fs/cpio"
)

// Unpack extracts a newc cpio archive (the initramfs) into root, creating
// missing parent directories as Linux's init/initramfs.c does, with the
// owners the archive gives. File contents are copied into the file
// system's pages. Device nodes get oyako's devices when it has them
// (console, null, ...).
func Unpack(root *RamDir, archive []byte, console *TTY) error {
	return unpack(root, archive, console, nil)
}

// unpack is Unpack with the entries under the top-level directories named
// in redirect going into those directories instead (the kernel's own
// mounts, such as /dev).
func unpack(root *RamDir, archive []byte, console *TTY, redirect map[string]*RamDir) error {
	r := cpio.NewReader(archive)
	// Directories get their archive's modification times at the end, as
	// Linux's dir_utime does: adding their entries changes them.
	type dirTime struct {
		dir   *RamDir
		mtime int64
	}
	var dirs []dirTime
	for {
		h, body, err := r.Next()
		if errors.Is(err, io.EOF) {
			for _, d := range dirs {
				d.dir.SetMtime(d.mtime)
			}
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")
		if name == "" || name == "." {
			continue
		}
		dir, base, err := mkdirAll(root, name, redirect)
		if err != nil {
			return fmt.Errorf("initramfs %s: %w", h.Name, err)
		}
		perm := h.Mode & 0o7777
		fs := dir.fs
		var node Inode
		switch h.Mode & cpio.ModeType {
		case cpio.ModeDir:
			if n, err := dir.Lookup(nil, base); err == nil {
				if d, ok := n.(*RamDir); ok {
					dirs = append(dirs, dirTime{d, int64(h.MTime)})
					continue
				}
			}
			d := fs.newDir(nil, dir, perm)
			dirs = append(dirs, dirTime{d, int64(h.MTime)})
			node = d
		case cpio.ModeRegular:
			f := fs.newFile(nil, dir, perm)
			if err := f.setData(body); err != nil {
				// Linux's unpacker says "write error" and goes on with a
				// truncated file; a program cut short would then fail
				// for no visible reason, so the boot stops here.
				return fmt.Errorf("initramfs %s: %w: the image needs more memory than the machine has (give QEMU more with -m)", h.Name, err)
			}
			node = f
		case cpio.ModeSymlink:
			node = fs.newSymlink(nil, dir, string(body))
		case cpio.ModeChar, cpio.ModeBlock, cpio.ModeSocket:
			node = fs.newDevice(nil, dir, h.Mode&cpio.ModeType|perm, h.RdevMajor, h.RdevMinor, console)
		case cpio.ModeFIFO:
			node = fs.newFIFO(nil, dir, perm)
		default:
			continue
		}
		m := node.(ramNode).meta()
		m.attr.UID, m.attr.GID = h.UID, h.GID
		// Every entry keeps its archive's modification time, symlinks
		// and devices too (do_utime in init/initramfs.c).
		m.SetMtime(int64(h.MTime))
		dir.Remove(base)
		if err := dir.Add(base, node); err != nil {
			return fmt.Errorf("initramfs %s: %w", h.Name, err)
		}
	}
}

// mkdirAll makes the directories leading to name and returns the last one
// and the final component. A first component named in redirect continues
// in the directory it maps to.
func mkdirAll(root *RamDir, name string, redirect map[string]*RamDir) (*RamDir, string, error) {
	parts := strings.Split(name, "/")
	d := root
	for i, p := range parts[:len(parts)-1] {
		if r, ok := redirect[p]; ok && i == 0 {
			if _, err := d.Lookup(nil, p); err != nil {
				d.Add(p, d.fs.newDir(nil, d, 0o755))
			}
			d = r
			continue
		}
		n, err := d.Lookup(nil, p)
		if err != nil {
			nd := d.fs.newDir(nil, d, 0o755)
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

// NewRoot builds the root of the mount tree as Linux has it after booting
// from an initramfs and mounting what a system needs: the archive unpacked
// into the boot file system (rootfs, a tmpfs), devtmpfs on /dev with the
// standard devices (and whatever the archive put under dev/), proc on
// /proc, and a /tmp directory when the archive did not provide one.
func NewRoot(archive []byte, console *TTY, procs ProcSource) (*Root, error) {
	r := &Root{console: console, procs: procs}
	rootfs := newRamFS(&rootfsType, r.newDev(), 0o755)
	r.devfs = newRamFS(&devtmpfsType, r.newDev(), 0o755)
	if len(archive) > 0 {
		if err := unpack(rootfs.root, archive, console, map[string]*RamDir{"dev": r.devfs.root}); err != nil {
			return nil, err
		}
	}
	r.top = r.newMount(rootfs, &rootfsType, &superBlock{}, rootfs.root, "rootfs", 0)
	for _, d := range []struct {
		name string
		mode uint32
	}{{"dev", 0o755}, {"proc", 0o555}, {"tmp", 0o1777}} {
		if _, err := rootfs.root.Lookup(nil, d.name); err != nil {
			rootfs.root.Add(d.name, rootfs.newDir(nil, rootfs.root, d.mode))
		}
	}
	AddDevices(r.devfs.root, console)
	r.ns.Lock()
	defer r.ns.Unlock()
	for _, m := range []struct {
		at, source string
		typ        *fsType
	}{{"dev", "devtmpfs", &devtmpfsType}, {"proc", "proc", &procType}} {
		n, err := rootfs.root.Lookup(nil, m.at)
		if err != nil {
			return nil, err
		}
		fs, err := m.typ.new(r, nil)
		if err != nil {
			return nil, err
		}
		if err := r.graft(Path{r.top, n}, "", fs, m.typ, fs.RootDir(), m.source, MNT_RELATIME, 0); err != nil {
			return nil, fmt.Errorf("mounting %s on /%s: %w", m.typ.name, m.at, err)
		}
	}
	return r, nil
}
