package fs

import (
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/mm"
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
	if l, ok := node.(linkCounted); ok {
		l.IncLink()
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
	if l, ok := n.(linkCounted); ok {
		l.DecLink()
	}
	d.attr.Mtime, d.attr.Ctime = Now(), Now()
	return nil
}

// linkCounted is an inode whose link count its directories maintain.
type linkCounted interface {
	IncLink()
	DecLink()
}

// RamFile is an in-memory regular file, like a tmpfs file: its bytes live
// in page frames (mm.Pages), which a MAP_SHARED mapping maps directly, so
// that mappings and read(2)/write(2) see the same memory. It implements
// mm.Object for mmap.
//
// Its pages are freed when nothing refers to the file any more: no name
// (link count 0), no open file description and no mapping (Linux's
// iput_final on an unlinked inode).
type RamFile struct {
	mu    sync.RWMutex
	attr  Attr
	size  int64
	pages mm.Pages
	id    uint64
	users int64 // open file descriptions and mappings (under mu)
	gone  bool  // pages released
}

// NewRamFile creates a regular file holding a copy of data, with no name
// yet (a directory's Add links it).
func NewRamFile(mode uint32, data []byte) *RamFile {
	now := Now()
	f := &RamFile{
		attr: Attr{Dev: ramfsDev, Ino: NewIno(), Mode: S_IFREG | mode&0o7777, Blksize: 4096, Atime: now, Mtime: now, Ctime: now},
		id:   mm.NewObjectID(),
	}
	if len(data) > 0 {
		f.pages.WriteAt(data, 0)
		f.size = int64(len(data))
	}
	return f
}

// Attr implements Inode.
func (f *RamFile) Attr() Attr {
	f.mu.RLock()
	defer f.mu.RUnlock()
	a := f.attr
	a.Size = f.size
	a.Blocks = f.pages.Count() * (mm.PageSize / 512)
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
	if off >= f.size {
		return 0, nil
	}
	n := int(min(int64(len(p)), f.size-off))
	f.pages.ReadAt(p[:n], off)
	return n, nil
}

// maxFileSize is MAX_LFS_FILESIZE on 64-bit Linux.
const maxFileSize = 1<<63 - 1

// WriteAt implements Regular. Running out of memory is ENOSPC, as on a
// full tmpfs.
func (f *RamFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, linuxerr.EINVAL
	}
	if int64(len(p)) > maxFileSize-off {
		return 0, linuxerr.EFBIG
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.pages.WriteAt(p, off)
	if end := off + int64(n); end > f.size {
		f.size = end
	}
	if n > 0 {
		f.attr.Mtime, f.attr.Ctime = Now(), Now()
	}
	if err != nil {
		if n > 0 {
			return n, nil
		}
		return 0, linuxerr.ENOSPC
	}
	return n, nil
}

// Truncate implements Regular.
func (f *RamFile) Truncate(size int64) error {
	if size < 0 {
		return linuxerr.EINVAL
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if size < f.size {
		f.pages.Truncate(size)
	}
	f.size = size
	f.attr.Mtime, f.attr.Ctime = Now(), Now()
	return nil
}

// Allocate makes sure [off, off+n) has pages and is within the file's
// size (fallocate mode 0). Running out of memory is ENOSPC.
func (f *RamFile) Allocate(off, n int64) error {
	if off < 0 || n <= 0 {
		return linuxerr.EINVAL
	}
	if n > maxFileSize-off {
		return linuxerr.EFBIG
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.pages.Allocate(off, n); err != nil {
		return linuxerr.ENOSPC
	}
	if off+n > f.size {
		f.size = off + n
		f.attr.Ctime = Now()
	}
	return nil
}

// ObjectPage implements mm.Object: the page's frame, allocated if it is a
// hole; past the end of the file there is no page (SIGBUS on Linux).
func (f *RamFile) ObjectPage(pg int64) (uint64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if pg < 0 || pg*mm.PageSize >= f.size {
		return 0, linuxerr.EFAULT
	}
	return f.pages.Get(pg)
}

// ObjectID implements mm.Object.
func (f *RamFile) ObjectID() uint64 { return f.id }

// IncMapRef implements mm.Object: a mapping keeps the file alive.
func (f *RamFile) IncMapRef() { f.IncRef() }

// DecMapRef implements mm.Object.
func (f *RamFile) DecMapRef() { f.DecRef() }

// IncRef counts an open file description or a mapping of the file.
func (f *RamFile) IncRef() {
	f.mu.Lock()
	f.users++
	f.mu.Unlock()
}

// DecRef drops what IncRef counted.
func (f *RamFile) DecRef() {
	f.mu.Lock()
	f.users--
	f.releaseIfUnused()
	f.mu.Unlock()
}

// IncLink counts a new name of the file (link, rename's target).
func (f *RamFile) IncLink() {
	f.mu.Lock()
	f.attr.Nlink++
	f.attr.Ctime = Now()
	f.mu.Unlock()
}

// DecLink drops a name (unlink); the last one frees the data once no open
// file or mapping uses it.
func (f *RamFile) DecLink() {
	f.mu.Lock()
	if f.attr.Nlink > 0 {
		f.attr.Nlink--
	}
	f.attr.Ctime = Now()
	f.releaseIfUnused()
	f.mu.Unlock()
}

func (f *RamFile) releaseIfUnused() {
	if f.users == 0 && f.attr.Nlink == 0 && !f.gone {
		f.gone = true
		f.pages.Release()
		f.size = 0
	}
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
