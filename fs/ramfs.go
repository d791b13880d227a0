package fs

import (
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// ramfsDev is st_dev of the in-memory file system.
const ramfsDev = 1

// RamDir is an in-memory directory.
type RamDir struct {
	mu      sync.Mutex
	attr    Attr
	parent  Dir
	names   []string // in creation order (ReadDir's order)
	entries map[string]Inode
}

// NewRamDir creates an empty directory under parent (nil: a root).
func NewRamDir(parent Dir, mode uint32) *RamDir {
	now := Now()
	d := &RamDir{
		attr:    Attr{Dev: ramfsDev, Ino: NewIno(), Mode: S_IFDIR | mode&0o7777, Nlink: 2, Blksize: 4096, Size: 4096, Atime: now, Mtime: now, Ctime: now},
		entries: map[string]Inode{},
	}
	d.parent = parent
	if parent == nil {
		d.parent = d
	}
	return d
}

// Attr implements Inode.
func (d *RamDir) Attr() Attr {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.attr
}

// Parent implements Dir.
func (d *RamDir) Parent() Dir { return d.parent }

// Lookup implements Dir.
func (d *RamDir) Lookup(_ Ctx, name string) (Inode, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n, ok := d.entries[name]; ok {
		return n, nil
	}
	return nil, linuxerr.ENOENT
}

// ReadDir implements Dir.
func (d *RamDir) ReadDir() ([]Dirent, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Dirent, 0, len(d.names))
	for _, name := range d.names {
		a := d.entries[name].Attr()
		out = append(out, Dirent{Name: name, Ino: a.Ino, DType: DTypeOf(a.Mode)})
	}
	return out, nil
}

// Add links node into the directory as name.
func (d *RamDir) Add(name string, node Inode) error {
	if name == "" || name == "." || name == ".." || len(name) > 255 {
		return linuxerr.EINVAL
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			return linuxerr.EINVAL
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.entries[name]; ok {
		return linuxerr.EEXIST
	}
	d.entries[name] = node
	d.names = append(d.names, name)
	if sub, ok := node.(*RamDir); ok {
		d.attr.Nlink++
		sub.parent = d
	}
	d.attr.Mtime, d.attr.Ctime = Now(), Now()
	return nil
}

// Remove unlinks name.
func (d *RamDir) Remove(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.entries[name]
	if !ok {
		return linuxerr.ENOENT
	}
	delete(d.entries, name)
	for i, s := range d.names {
		if s == name {
			d.names = append(d.names[:i], d.names[i+1:]...)
			break
		}
	}
	if _, ok := n.(*RamDir); ok {
		d.attr.Nlink--
	}
	d.attr.Mtime, d.attr.Ctime = Now(), Now()
	return nil
}

// RamFile is an in-memory regular file.
type RamFile struct {
	mu   sync.RWMutex
	attr Attr
	data []byte
}

// NewRamFile creates a regular file holding data (which it keeps).
func NewRamFile(mode uint32, data []byte) *RamFile {
	now := Now()
	return &RamFile{
		attr: Attr{Dev: ramfsDev, Ino: NewIno(), Mode: S_IFREG | mode&0o7777, Nlink: 1, Blksize: 4096, Size: int64(len(data)), Atime: now, Mtime: now, Ctime: now},
		data: data,
	}
}

// Attr implements Inode.
func (f *RamFile) Attr() Attr {
	f.mu.RLock()
	defer f.mu.RUnlock()
	a := f.attr
	a.Size = int64(len(f.data))
	return a
}

// SetMtime sets the modification time (the initramfs keeps its archive's).
func (f *RamFile) SetMtime(sec int64) {
	f.mu.Lock()
	f.attr.Mtime = unixTime(sec)
	f.mu.Unlock()
}

// ReadAt implements Regular.
func (f *RamFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, linuxerr.EINVAL
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if off >= int64(len(f.data)) {
		return 0, nil
	}
	return copy(p, f.data[off:]), nil
}

// WriteAt implements Regular.
func (f *RamFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, linuxerr.EINVAL
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	end := off + int64(len(p))
	if end > int64(len(f.data)) {
		if end > int64(cap(f.data)) {
			n := make([]byte, end, end+end/2)
			copy(n, f.data)
			f.data = n
		} else {
			f.data = f.data[:end]
		}
	}
	copy(f.data[off:], p)
	f.attr.Mtime, f.attr.Ctime = Now(), Now()
	return len(p), nil
}

// Truncate implements Regular.
func (f *RamFile) Truncate(size int64) error {
	if size < 0 {
		return linuxerr.EINVAL
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if size <= int64(len(f.data)) {
		f.data = f.data[:size]
	} else {
		n := make([]byte, size)
		copy(n, f.data)
		f.data = n
	}
	f.attr.Mtime, f.attr.Ctime = Now(), Now()
	return nil
}

// RamSymlink is a symbolic link.
type RamSymlink struct {
	attr   Attr
	target string
}

// NewSymlink creates a symlink to target.
func NewSymlink(target string) *RamSymlink {
	now := Now()
	return &RamSymlink{
		attr:   Attr{Dev: ramfsDev, Ino: NewIno(), Mode: S_IFLNK | 0o777, Nlink: 1, Blksize: 4096, Size: int64(len(target)), Atime: now, Mtime: now, Ctime: now},
		target: target,
	}
}

// Attr implements Inode.
func (s *RamSymlink) Attr() Attr { return s.attr }

// Target implements Symlink.
func (s *RamSymlink) Target() string { return s.target }
