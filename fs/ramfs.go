package fs

import (
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/mm"
)

// RamFS is one instance of oyako's in-memory file system: the super block
// that tmpfs (mm/shmem.c), ramfs (fs/ramfs/inode.c), devtmpfs and the boot
// root ("rootfs", itself tmpfs when Linux boots from an initramfs) each
// mount. It numbers its inodes from 1 as tmpfs does, counts the pages its
// files hold for statfs, and, with tmpfs semantics, reports a directory's
// size as 20 bytes per entry plus 40 (BOGO_DIRENT_SIZE) and enforces its
// size= limit with ENOSPC.
type RamFS struct {
	typ     *fsType
	dev     uint64
	root    *RamDir
	nextIno atomic.Uint64
	pages   atomic.Int64 // pages held by its files
	inodes  atomic.Int64 // inodes alive
	// xattrBytes is the inode space its inodes' extended attributes
	// take (xattr.go).
	xattrBytes atomic.Int64

	mu       sync.Mutex // guards the options below
	maxPages int64      // size= in pages; 0 is unlimited (ramfs)
	maxInos  int64      // nr_inodes=; 0 is unlimited
	opts     ramOpts
}

// ramOpts are the mount options tmpfs and ramfs keep (shmem_options,
// ramfs_mount_opts).
type ramOpts struct {
	mode     uint32
	uid, gid uint32
	sizeSet  bool // size= or nr_blocks= differs from the default
	inosSet  bool // nr_inodes= differs from the default
}

// newRamFS makes an empty file system of type t whose root directory has
// mode.
func newRamFS(t *fsType, dev uint64, mode uint32) *RamFS {
	fs := &RamFS{typ: t, dev: dev}
	fs.opts.mode = mode & 0o7777
	if t.tmpfs {
		fs.maxPages = defaultTmpfsPages()
		fs.maxInos = fs.maxPages
	}
	fs.root = fs.newDir(nil, nil, mode)
	fs.root.parent = fs.root
	return fs
}

// NewRamFS makes a stand-alone tmpfs with root directory mode (tests and
// callers that need a tree outside any mount).
func NewRamFS(mode uint32) *RamFS { return newRamFS(&tmpfsType, Mkdev(0, 250), mode) }

// Root returns the root directory.
func (fs *RamFS) Root() *RamDir { return fs.root }

// defaultTmpfsPages is tmpfs's default size: half of RAM
// (shmem_default_max_blocks).
func defaultTmpfsPages() int64 {
	total, _ := memPages()
	return int64(total / 2)
}

// MemStats reports the frame allocator's totals in pages (RAM managed, in
// use). The kernel sets it; host tests run with a fixed 64 MiB.
var MemStats func() (total, used uint64)

func memPages() (total, used uint64) {
	if MemStats != nil {
		return MemStats()
	}
	return 16384, 0
}

// Creds is implemented by a Ctx that knows the caller's file-system user
// and group IDs, which new files get (inode_init_owner). A Ctx without it
// is root.
type Creds interface {
	FSIDs() (uid, gid uint32)
}

func fsIDs(c Ctx) (uid, gid uint32) {
	if cr, ok := c.(Creds); ok {
		return cr.FSIDs()
	}
	return 0, 0
}

// ramInode is what every inode of a RamFS has: its attributes and its file
// system.
type ramInode struct {
	mu     sync.RWMutex
	attr   Attr
	fs     *RamFS
	xattrs Xattrs // its extended attributes, if fs is tmpfs
}

// ramNode is implemented by every RamFS inode.
type ramNode interface {
	Inode
	meta() *ramInode
}

func (n *ramInode) meta() *ramInode { return n }

// Attr implements Inode.
func (n *ramInode) Attr() Attr {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.attr
}

// initInode fills in a new inode of mode (type bits included) created by
// c in dir (nil for a root): owned by the caller's file-system IDs, or by
// dir's group if dir is set-group-ID, in which case a new directory is
// set-group-ID too (inode_init_owner).
func (fs *RamFS) initInode(n *ramInode, c Ctx, dir *RamDir, mode uint32) {
	now := Now()
	uid, gid := fsIDs(c)
	if dir == nil {
		uid, gid = fs.opts.uid, fs.opts.gid
	} else if da := dir.Attr(); da.Mode&S_ISGID != 0 {
		gid = da.GID
		if mode&S_IFMT == S_IFDIR {
			mode |= S_ISGID
		}
	}
	n.fs = fs
	n.attr = Attr{Dev: fs.dev, Ino: fs.nextIno.Add(1), Mode: mode, UID: uid, GID: gid, Blksize: mm.PageSize, Atime: now, Mtime: now, Ctime: now}
	fs.inodes.Add(1)
}

// admitInode is shmem_reserve_inode: a new inode, or a new name for one
// (tmpfs counts hard links too), past the file system's nr_inodes is
// ENOSPC. Inodes and
// names live in the kernel's heap, and the tmpfs limits of many mounts
// together exceed it, so the heap must have room as well (ENOMEM, as
// Linux's failed inode allocation): a program creating files without end
// is refused instead of taking the kernel's memory.
func (fs *RamFS) admitInode() error {
	if fs.maxInos != 0 && fs.freeInodeSpace(fs.xattrBytes.Load()) < bogoInodeSize {
		return linuxerr.ENOSPC
	}
	if !mm.AdmitKernel(1) {
		return linuxerr.ENOMEM
	}
	return nil
}

// Set-ID and sticky bits.
const (
	S_ISUID = 0o4000
	S_ISGID = 0o2000
	S_ISVTX = 0o1000
)

// IncLink counts a new name of the inode (link, rename's target).
func (n *ramInode) IncLink() {
	n.mu.Lock()
	n.attr.Nlink++
	n.attr.Ctime = Now()
	n.mu.Unlock()
}

// DecLink drops a name.
func (n *ramInode) DecLink() {
	n.mu.Lock()
	if n.attr.Nlink > 0 {
		n.attr.Nlink--
		if n.attr.Nlink == 0 {
			n.fs.freeInode(n)
		}
	}
	n.attr.Ctime = Now()
	n.mu.Unlock()
}

// touch sets the times named by mask to now (file_update_time,
// inode_set_ctime_current).
func (n *ramInode) touch(mask int) {
	now := Now()
	n.mu.Lock()
	if mask&touchA != 0 {
		n.attr.Atime = now
	}
	if mask&touchM != 0 {
		n.attr.Mtime = now
	}
	if mask&touchC != 0 {
		n.attr.Ctime = now
	}
	n.mu.Unlock()
}

const (
	touchA = 1 << iota
	touchM
	touchC
	touchMC = touchM | touchC
)

// accessed updates the access time the way touch_atime does, given the
// mount's flags: never with noatime (or nodiratime for a directory);
// with relatime only when it is not newer than the modification or change
// time or is a day old; always otherwise.
func (n *ramInode) accessed(mntFlags uint32) {
	if mntFlags&MNT_NOATIME != 0 {
		return
	}
	now := Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if mntFlags&MNT_NODIRATIME != 0 && n.attr.Mode&S_IFMT == S_IFDIR {
		return
	}
	a := n.attr.Atime
	if mntFlags&MNT_RELATIME != 0 && a.After(n.attr.Mtime) && a.After(n.attr.Ctime) && now.Sub(a) < 24*time.Hour {
		return
	}
	n.attr.Atime = now
}

// A dirent is one name in a RamDir, at a position that stays the same for
// as long as the name exists (tmpfs's stable directory offsets), so that a
// directory changing between getdents64 calls is still read once through.
type dirent struct {
	name string
	node Inode // nil once removed
	off  int64
}

// tmpfs directory sizes (mm/shmem.c BOGO_DIRENT_SIZE).
const (
	bogoDirentSize = 20
	bogoDirSize    = 2 * bogoDirentSize
)

// RamDir is an in-memory directory. Its own lock guards its entries;
// changes to the tree are serialized by the Root they happen through.
type RamDir struct {
	ramInode
	parent  *RamDir // itself for the root of its file system
	name    string  // its name in parent
	entries map[string]*dirent
	order   []*dirent // by offset, removed ones included until compacted
	live    int
	subdirs uint32
	nextOff int64
	dead    bool // removed (IS_DEADDIR)
}

// newDir makes a directory of mode (permission bits) created by c in dir
// (nil: a root).
func (fs *RamFS) newDir(c Ctx, dir *RamDir, mode uint32) *RamDir {
	d := &RamDir{entries: map[string]*dirent{}, nextOff: 2}
	fs.initInode(&d.ramInode, c, dir, S_IFDIR|mode&0o7777)
	d.parent = dir
	return d
}

// NewRamDir creates an empty directory of a stand-alone tmpfs (tests).
func NewRamDir(parent Dir, mode uint32) *RamDir {
	if p, ok := parent.(*RamDir); ok {
		return p.fs.newDir(nil, p, mode)
	}
	return NewRamFS(mode).root
}

// Attr implements Inode: a directory has two links plus one per
// subdirectory, none once removed, and on tmpfs a size that counts its
// entries.
func (d *RamDir) Attr() Attr {
	d.mu.RLock()
	defer d.mu.RUnlock()
	a := d.attr
	if !d.dead {
		a.Nlink = 2 + d.subdirs
	}
	if d.fs.typ.tmpfs {
		a.Size = bogoDirSize + bogoDirentSize*int64(d.live)
	}
	return a
}

// Parent implements Dir.
func (d *RamDir) Parent() Dir {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.parent
}

// Lookup implements Dir. A removed directory has no entries (ENOENT).
func (d *RamDir) Lookup(_ Ctx, name string) (Inode, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if e, ok := d.entries[name]; ok {
		return e.node, nil
	}
	return nil, linuxerr.ENOENT
}

// ReadDir implements Dir: the entries in creation order with their
// positions. A removed directory cannot be read (ENOENT, as iterate_dir
// answers for IS_DEADDIR).
func (d *RamDir) ReadDir() ([]Dirent, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.dead {
		return nil, linuxerr.ENOENT
	}
	out := make([]Dirent, 0, d.live)
	for _, e := range d.order {
		if e.node == nil {
			continue
		}
		a := e.node.Attr()
		out = append(out, Dirent{Name: e.name, Ino: a.Ino, DType: DTypeOf(a.Mode), Off: e.off})
	}
	return out, nil
}

// Empty reports whether the directory has no entries (simple_empty).
func (d *RamDir) Empty() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.live == 0
}

// nameInParent returns the directory's name and parent (for getcwd).
func (d *RamDir) nameInParent() (string, Dir, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.name, d.parent, !d.dead
}

// attach enters node as name (which must be free) without touching its
// link count: the callers that make a new name count it. A directory
// becomes a subdirectory of d.
func (d *RamDir) attach(name string, node Inode) {
	d.mu.Lock()
	e := &dirent{name: name, node: node, off: d.nextOff}
	d.nextOff++
	d.entries[name] = e
	d.order = append(d.order, e)
	d.live++
	now := Now()
	d.attr.Mtime, d.attr.Ctime = now, now
	sub, isDir := node.(*RamDir)
	if isDir {
		d.subdirs++
	}
	d.mu.Unlock()
	if isDir {
		sub.mu.Lock()
		sub.parent, sub.name = d, name
		sub.mu.Unlock()
	}
}

// put makes the existing entry name refer to node instead, at the same
// position, and returns what it referred to. Link counts are the
// caller's.
func (d *RamDir) put(name string, node Inode) Inode {
	d.mu.Lock()
	e := d.entries[name]
	old := e.node
	e.node = node
	if _, ok := old.(*RamDir); ok {
		d.subdirs--
	}
	sub, isDir := node.(*RamDir)
	if isDir {
		d.subdirs++
	}
	now := Now()
	d.attr.Mtime, d.attr.Ctime = now, now
	d.mu.Unlock()
	if isDir {
		sub.mu.Lock()
		sub.parent, sub.name = d, name
		sub.mu.Unlock()
	}
	return old
}

// detach removes name's entry and returns what it named, leaving the link
// count to the caller.
func (d *RamDir) detach(name string) Inode {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[name]
	if !ok {
		return nil
	}
	n := e.node
	delete(d.entries, name)
	e.node = nil
	d.live--
	if _, ok := n.(*RamDir); ok {
		d.subdirs--
	}
	if len(d.order) > 16 && d.live < len(d.order)/2 {
		k := 0
		for _, e := range d.order {
			if e.node != nil {
				d.order[k] = e
				k++
			}
		}
		clear(d.order[k:])
		d.order = d.order[:k]
	}
	now := Now()
	d.attr.Mtime, d.attr.Ctime = now, now
	return n
}

// Add links node into the directory as name: the initramfs and the
// kernel's own nodes use it. It fails with EEXIST if name is taken.
func (d *RamDir) Add(name string, node Inode) error {
	if name == "" || name == "." || name == ".." || len(name) > NameMax {
		return linuxerr.EINVAL
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			return linuxerr.EINVAL
		}
	}
	if _, err := d.Lookup(nil, name); err == nil {
		return linuxerr.EEXIST
	}
	d.attach(name, node)
	if l, ok := node.(linkCounted); ok {
		l.IncLink()
	}
	return nil
}

// Remove unlinks name (kernel use: the initramfs replacing an entry).
func (d *RamDir) Remove(name string) error {
	n := d.detach(name)
	if n == nil {
		return linuxerr.ENOENT
	}
	if sub, ok := n.(*RamDir); ok {
		sub.kill()
	}
	if l, ok := n.(linkCounted); ok {
		l.DecLink()
	}
	return nil
}

// kill marks a removed directory dead: it has no links and takes no new
// entries.
func (d *RamDir) kill() {
	d.mu.Lock()
	d.dead = true
	d.attr.Ctime = Now()
	d.mu.Unlock()
	d.fs.freeInode(&d.ramInode)
}

// isDead reports whether the directory was removed.
func (d *RamDir) isDead() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.dead
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
	ramInode
	size     int64
	pages    mm.Pages
	id       uint64
	users    int64 // open file descriptions and mappings (under mu)
	gone     bool  // pages released
	linkable bool  // an O_TMPFILE file that linkat may name (I_LINKABLE)
}

// newFile makes an empty regular file of mode created by c in dir, with
// no name yet.
func (fs *RamFS) newFile(c Ctx, dir *RamDir, mode uint32) *RamFile {
	f := &RamFile{id: mm.NewObjectID()}
	fs.initInode(&f.ramInode, c, dir, S_IFREG|mode&0o7777)
	return f
}

// NewRamFile creates a regular file of a stand-alone tmpfs holding a copy
// of data, with no name yet (tests).
func NewRamFile(mode uint32, data []byte) *RamFile {
	f := NewRamFS(0o755).newFile(nil, nil, mode)
	if err := f.setData(data); err != nil {
		panic("NewRamFile: " + err.Error())
	}
	return f
}

// setData fills a new file (the initramfs); on ENOMEM the file keeps
// what fitted.
func (f *RamFile) setData(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	before := f.pages.Count()
	n, err := f.pages.WriteAt(data, 0)
	f.size = int64(n)
	f.account(before)
	return err
}

// account adds the pages gained or lost since the file held before pages
// to its file system's count. The caller holds f.mu.
func (f *RamFile) account(before int64) {
	if d := f.pages.Count() - before; d != 0 {
		f.fs.pages.Add(d)
	}
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
func (n *ramInode) SetMtime(sec int64) {
	n.mu.Lock()
	n.attr.Mtime = unixTime(sec)
	n.mu.Unlock()
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

// WriteAt implements Regular. Running out of memory, or of the file
// system's size limit, is ENOSPC as on a full tmpfs; a write that only
// partly fits writes what fits.
func (f *RamFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, linuxerr.EINVAL
	}
	if int64(len(p)) > maxFileSize-off {
		return 0, linuxerr.EFBIG
	}
	if len(p) == 0 {
		return 0, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	before := f.pages.Count()
	p = p[:f.fitting(off, int64(len(p)))]
	n, err := f.pages.WriteAt(p, off)
	f.account(before)
	if end := off + int64(n); end > f.size {
		f.size = end
	}
	if n > 0 {
		now := Now()
		f.attr.Mtime, f.attr.Ctime = now, now
	}
	if n == 0 || err != nil {
		if n > 0 {
			return n, nil
		}
		return 0, linuxerr.ENOSPC
	}
	return n, nil
}

// fitting returns how many of the n bytes at off the file system's size
// limit lets the file hold: all of them unless the pages it lacks there
// exceed what is left. The caller holds f.mu.
func (f *RamFile) fitting(off, n int64) int64 {
	limit := f.fs.limit()
	if limit == 0 {
		return n
	}
	room := limit - f.fs.pages.Load()
	end := off + n
	for pg := off / mm.PageSize; pg*mm.PageSize < end; pg++ {
		if f.pages.Has(pg) {
			continue
		}
		if room <= 0 {
			return max(pg*mm.PageSize-off, 0)
		}
		room--
	}
	return n
}

// limit returns the size limit in pages (0: none).
func (fs *RamFS) limit() int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.maxPages
}

// Truncate implements Regular: the size becomes size, and the times
// change only if it did (shmem_setattr).
func (f *RamFile) Truncate(size int64) error {
	if size < 0 {
		return linuxerr.EINVAL
	}
	f.mu.Lock()
	if size == f.size {
		f.mu.Unlock()
		return nil
	}
	shrink := size < f.size
	if shrink {
		before := f.pages.Count()
		f.pages.Truncate(size)
		f.account(before)
	}
	f.size = size
	now := Now()
	f.attr.Mtime, f.attr.Ctime = now, now
	f.mu.Unlock()
	if shrink {
		// truncate_pagecache: mappings lose the pages past the end.
		mm.UnmapObject(f, size, 0, true)
	}
	return nil
}

// Allocate makes sure [off, off+n) has pages (fallocate, which checked
// the range): within the file's size afterwards unless keepSize. Running
// out of memory or of the size limit is ENOSPC, as shmem_fallocate
// reports it.
func (f *RamFile) Allocate(off, n int64, keepSize bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fitting(off, n) < n {
		return linuxerr.ENOSPC
	}
	before := f.pages.Count()
	err := f.pages.Allocate(off, n)
	f.account(before)
	if err != nil {
		return linuxerr.ENOSPC
	}
	if !keepSize && off+n > f.size {
		f.size = off + n
	}
	f.attr.Ctime = Now()
	return nil
}

// PunchHole frees the whole pages in [off, off+n) and zeros the rest of
// the range (FALLOC_FL_PUNCH_HOLE with FALLOC_FL_KEEP_SIZE; fallocate
// checked the range).
func (f *RamFile) PunchHole(off, n int64) error {
	f.mu.Lock()
	before := f.pages.Count()
	f.pages.Punch(off, min(n, max(f.size-off, 0)))
	f.account(before)
	now := Now()
	f.attr.Mtime, f.attr.Ctime = now, now
	f.mu.Unlock()
	// shmem_fallocate: shared mappings lose the punched pages (private
	// copies stay).
	mm.UnmapObject(f, off, off+n, false)
	return nil
}

// ObjectPage implements mm.Object: the page's frame, allocated if it is a
// hole; past the end of the file, or beyond the file system's size limit,
// there is no page (SIGBUS on Linux).
func (f *RamFile) ObjectPage(pg int64) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if pg < 0 || pg*mm.PageSize >= f.size || f.fitting(pg*mm.PageSize, 1) == 0 {
		return 0, linuxerr.EFAULT
	}
	before := f.pages.Count()
	pa, err := f.pages.Get(pg)
	f.account(before)
	return pa, err
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

// IncLink counts a new name of the file (link, rename's target); an
// O_TMPFILE file that gets one is an ordinary file from then on.
func (f *RamFile) IncLink() {
	f.mu.Lock()
	f.attr.Nlink++
	f.attr.Ctime = Now()
	f.linkable = false
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

// canLink reports whether linkat may give the file a name: it has one
// already, or it is an O_TMPFILE file opened without O_EXCL (vfs_link).
func (f *RamFile) canLink() bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.attr.Nlink > 0 || f.linkable
}

func (f *RamFile) releaseIfUnused() {
	if f.users == 0 && f.attr.Nlink == 0 && !f.gone {
		f.gone = true
		before := f.pages.Count()
		f.pages.Release()
		f.account(before)
		f.size = 0
		f.fs.freeInode(&f.ramInode)
	}
}

// RamSymlink is a symbolic link.
type RamSymlink struct {
	ramInode
	target string
}

// newSymlink makes a symbolic link to target created by c in dir.
func (fs *RamFS) newSymlink(c Ctx, dir *RamDir, target string) *RamSymlink {
	s := &RamSymlink{target: target}
	fs.initInode(&s.ramInode, c, dir, S_IFLNK|0o777)
	s.attr.Size = int64(len(target))
	return s
}

// NewSymlink creates a symlink to target on a stand-alone tmpfs (tests).
func NewSymlink(target string) *RamSymlink { return NewRamFS(0o755).newSymlink(nil, nil, target) }

// Target implements Symlink.
func (s *RamSymlink) Target() string { return s.target }
