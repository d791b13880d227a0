package fs

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// The calls that change names, as fs/namei.c has them: each resolves the
// parent directory, checks the last component in Linux's order, and then
// changes a RamFS directory. Directories of other file systems (procfs)
// answer as Linux's do: their lookups fail with ENOENT, so creating there
// is ENOENT, and removing what exists is EPERM (no ->unlink). Every change
// holds the Root's name lock, so that checks and changes are atomic with
// respect to each other.

// creation is a checked place for a new name (filename_create).
type creation struct {
	parentOf
	rd *RamDir
}

// create checks that path names a place for something new: EEXIST for the
// root, "." and "..", or a name that exists; ENOENT for a trailing slash
// unless a directory is wanted, and for a removed directory; EROFS on a
// read-only mount. The caller holds r.ns.
func (r *Root) create(c Ctx, start Path, path string, wantDir bool) (creation, error) {
	p, err := r.parent(c, start, path)
	if err != nil {
		return creation{}, err
	}
	if p.typ != lastNorm {
		return creation{}, linuxerr.EEXIST
	}
	if _, err := p.Dir().Lookup(c, p.name); err == nil {
		return creation{}, linuxerr.EEXIST
	} else if !linuxerr.Equals(linuxerr.ENOENT, err) {
		return creation{}, err
	}
	if p.trailing && !wantDir {
		return creation{}, linuxerr.ENOENT
	}
	rd, ok := p.Dir().(*RamDir)
	if !ok {
		return creation{}, linuxerr.ENOENT
	}
	if err := wantWrite(p.dir.Mnt); err != nil {
		return creation{}, err
	}
	if rd.isDead() {
		return creation{}, linuxerr.ENOENT
	}
	return creation{p, rd}, nil
}

// Mkdir implements mkdir(2) and mkdirat(2): mode's permission and sticky
// bits, less umask.
func (r *Root) Mkdir(c Ctx, start Path, path string, mode, umask uint32) error {
	r.ns.Lock()
	defer r.ns.Unlock()
	cr, err := r.create(c, start, path, true)
	if err != nil {
		return err
	}
	if err := cr.rd.fs.admitInode(); err != nil {
		return err
	}
	cr.rd.attach(cr.name, cr.rd.fs.newDir(c, cr.rd, mode&(0o777|S_ISVTX)&^umask))
	return nil
}

// Mknod implements mknod(2) and mknodat(2): regular files (type 0 or
// S_IFREG), FIFOs, character and block devices and socket nodes; EPERM for
// a directory, EINVAL for other types. A character device oyako has
// opens as that device; other devices and sockets open with ENXIO.
func (r *Root) Mknod(c Ctx, start Path, path string, mode uint32, dev uint32, umask uint32) error {
	_, err := r.MakeNode(c, start, path, mode, dev, umask)
	return err
}

// MakeNode is Mknod returning the node made (bind(2) of an AF_UNIX
// socket keeps it to be found by).
func (r *Root) MakeNode(c Ctx, start Path, path string, mode uint32, dev uint32, umask uint32) (Inode, error) {
	switch mode & S_IFMT {
	case 0, S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK:
	case S_IFDIR:
		return nil, linuxerr.EPERM
	default:
		return nil, linuxerr.EINVAL
	}
	r.ns.Lock()
	defer r.ns.Unlock()
	cr, err := r.create(c, start, path, false)
	if err != nil {
		return nil, err
	}
	mode &^= umask
	fs := cr.rd.fs
	if err := fs.admitInode(); err != nil {
		return nil, err
	}
	var n Inode
	switch mode & S_IFMT {
	case 0, S_IFREG:
		n = fs.newFile(c, cr.rd, mode)
	case S_IFIFO:
		n = fs.newFIFO(c, cr.rd, mode)
	case S_IFCHR, S_IFBLK:
		// new_decode_dev: the 32-bit encoding of mknod's argument.
		major, minor := dev&0xfff00>>8, dev&0xff|dev>>12&0xfff00
		n = fs.newDevice(c, cr.rd, mode, major, minor, r.console)
	case S_IFSOCK:
		n = fs.newDevice(c, cr.rd, mode, 0, 0, nil)
	}
	cr.rd.attach(cr.name, n)
	n.(linkCounted).IncLink()
	return n, nil
}

// Symlink implements symlink(2) and symlinkat(2).
func (r *Root) Symlink(c Ctx, target string, start Path, path string) error {
	if target == "" {
		return linuxerr.ENOENT
	}
	r.ns.Lock()
	defer r.ns.Unlock()
	cr, err := r.create(c, start, path, false)
	if err != nil {
		return err
	}
	if err := cr.rd.fs.admitInode(); err != nil {
		return err
	}
	s := cr.rd.fs.newSymlink(c, cr.rd, target)
	cr.rd.attach(cr.name, s)
	s.IncLink()
	return nil
}

// Link implements link(2) and linkat(2): old (already resolved) gets the
// new name path. EXDEV across mounts, EPERM for a directory, ENOENT for a
// file with no names left unless it is an O_TMPFILE file opened without
// O_EXCL (vfs_link).
func (r *Root) Link(c Ctx, old Path, start Path, path string) error {
	r.ns.Lock()
	defer r.ns.Unlock()
	cr, err := r.create(c, start, path, false)
	if err != nil {
		return err
	}
	if old.Mnt != cr.dir.Mnt {
		return linuxerr.EXDEV
	}
	n, ok := old.Node.(ramNode)
	if !ok || n.meta().fs != cr.rd.fs {
		return linuxerr.EXDEV
	}
	if _, ok := old.Node.(Dir); ok {
		return linuxerr.EPERM
	}
	if f, ok := old.Node.(*RamFile); ok {
		if !f.canLink() {
			return linuxerr.ENOENT
		}
	} else if n.Attr().Nlink == 0 {
		return linuxerr.ENOENT
	}
	if err := cr.rd.fs.admitInode(); err != nil {
		return err
	}
	cr.rd.attach(cr.name, old.Node)
	old.Node.(linkCounted).IncLink()
	return nil
}

// Unlink implements unlink(2) and unlinkat(2) without AT_REMOVEDIR
// (do_unlinkat): EISDIR for a directory or "."; ENOTDIR when a trailing
// slash follows a non-directory; EBUSY for a mount point.
func (r *Root) Unlink(c Ctx, start Path, path string) error {
	r.ns.Lock()
	defer r.ns.Unlock()
	p, err := r.parent(c, start, path)
	if err != nil {
		return err
	}
	if p.typ != lastNorm {
		return linuxerr.EISDIR
	}
	if err := wantWrite(p.dir.Mnt); err != nil {
		return err
	}
	n, err := p.Dir().Lookup(c, p.name)
	if err != nil {
		return err
	}
	_, isDir := n.(Dir)
	if p.trailing && !isDir {
		return linuxerr.ENOTDIR
	}
	if isDir {
		return linuxerr.EISDIR
	}
	rd, ok := p.Dir().(*RamDir)
	if !ok {
		return linuxerr.EPERM
	}
	if r.isMountpoint(n) {
		return linuxerr.EBUSY
	}
	rd.detach(p.name)
	n.(linkCounted).DecLink()
	return nil
}

// Rmdir implements rmdir(2) and unlinkat(2) with AT_REMOVEDIR (do_rmdir):
// EINVAL for ".", ENOTEMPTY for "..", EBUSY for the root and for mount
// points, ENOTDIR for anything but a directory (a symbolic link to one
// included), ENOTEMPTY unless empty.
func (r *Root) Rmdir(c Ctx, start Path, path string) error {
	r.ns.Lock()
	defer r.ns.Unlock()
	p, err := r.parent(c, start, path)
	if err != nil {
		return err
	}
	switch p.typ {
	case lastDotDot:
		return linuxerr.ENOTEMPTY
	case lastDot:
		return linuxerr.EINVAL
	case lastRoot:
		return linuxerr.EBUSY
	}
	if err := wantWrite(p.dir.Mnt); err != nil {
		return err
	}
	n, err := p.Dir().Lookup(c, p.name)
	if err != nil {
		return err
	}
	if _, ok := n.(Dir); !ok {
		return linuxerr.ENOTDIR
	}
	rd, ok := p.Dir().(*RamDir)
	if !ok {
		return linuxerr.EPERM
	}
	if r.isMountpoint(n) {
		return linuxerr.EBUSY
	}
	sub := n.(*RamDir)
	if !sub.Empty() {
		return linuxerr.ENOTEMPTY
	}
	rd.detach(p.name)
	sub.kill()
	return nil
}

// renameat2(2) flags.
const (
	RENAME_NOREPLACE = 1 << 0
	RENAME_EXCHANGE  = 1 << 1
	RENAME_WHITEOUT  = 1 << 2
)

// Rename implements rename(2), renameat(2) and renameat2(2)
// (do_renameat2, vfs_rename, shmem_rename2): EXDEV across mounts; EBUSY
// for ".", ".." and the root, and for mount points; RENAME_NOREPLACE fails
// with EEXIST if the new name exists, RENAME_EXCHANGE swaps two existing
// names, RENAME_WHITEOUT leaves a whiteout (a character device 0:0) at the
// old name. A directory may replace only an empty directory (ENOTEMPTY,
// ENOTDIR, EISDIR otherwise) and may not move into itself (EINVAL);
// renaming a name onto itself or onto another link of the same file does
// nothing.
func (r *Root) Rename(c Ctx, oldStart Path, oldPath string, newStart Path, newPath string, flags uint32) error {
	if flags&^(RENAME_NOREPLACE|RENAME_EXCHANGE|RENAME_WHITEOUT) != 0 {
		return linuxerr.EINVAL
	}
	if flags&(RENAME_NOREPLACE|RENAME_WHITEOUT) != 0 && flags&RENAME_EXCHANGE != 0 {
		return linuxerr.EINVAL
	}
	r.ns.Lock()
	defer r.ns.Unlock()
	op, err := r.parent(c, oldStart, oldPath)
	if err != nil {
		return err
	}
	np, err := r.parent(c, newStart, newPath)
	if err != nil {
		return err
	}
	if op.dir.Mnt != np.dir.Mnt {
		return linuxerr.EXDEV
	}
	if op.typ != lastNorm {
		return linuxerr.EBUSY
	}
	if np.typ != lastNorm {
		if flags&RENAME_NOREPLACE != 0 {
			return linuxerr.EEXIST
		}
		return linuxerr.EBUSY
	}
	if err := wantWrite(op.dir.Mnt); err != nil {
		return err
	}
	oldDir, ok1 := op.Dir().(*RamDir)
	newDir, ok2 := np.Dir().(*RamDir)
	src, err := op.Dir().Lookup(c, op.name)
	if err != nil {
		return err
	}
	dst, err := np.Dir().Lookup(c, np.name)
	switch {
	case err == nil && flags&RENAME_NOREPLACE != 0:
		return linuxerr.EEXIST
	case err != nil && !linuxerr.Equals(linuxerr.ENOENT, err):
		return err
	case err != nil && flags&RENAME_EXCHANGE != 0:
		return linuxerr.ENOENT
	case err != nil:
		dst = nil
	}
	_, srcDir := src.(Dir)
	_, dstDir := dst.(Dir)
	if flags&RENAME_EXCHANGE != 0 && !dstDir && np.trailing {
		return linuxerr.ENOTDIR
	}
	if !srcDir && (op.trailing || flags&RENAME_EXCHANGE == 0 && np.trailing) {
		return linuxerr.ENOTDIR
	}
	if !ok1 || !ok2 {
		return linuxerr.EPERM
	}
	// lock_rename's trap: the child of one parent on the way to the
	// other. The source may not be an ancestor of the new parent, nor the
	// target an ancestor of the old one.
	for _, t := range [...]*RamDir{trap(oldDir, newDir), trap(newDir, oldDir)} {
		switch {
		case t == nil:
		case Inode(t) == src:
			return linuxerr.EINVAL
		case Inode(t) == dst && flags&RENAME_EXCHANGE != 0:
			return linuxerr.EINVAL
		case Inode(t) == dst:
			return linuxerr.ENOTEMPTY
		}
	}
	if src == dst {
		return nil
	}
	// may_delete and may_create.
	if dst == nil {
		if newDir.isDead() {
			return linuxerr.ENOENT
		}
	} else if flags&RENAME_EXCHANGE == 0 {
		switch {
		case srcDir && !dstDir:
			return linuxerr.ENOTDIR
		case !srcDir && dstDir:
			return linuxerr.EISDIR
		}
	}
	if r.isMountpoint(src) || dst != nil && r.isMountpoint(dst) {
		return linuxerr.EBUSY
	}
	if flags&RENAME_EXCHANGE != 0 {
		exchange(oldDir, op.name, newDir, np.name)
		touchRenamed(oldDir, newDir, src, dst)
		return nil
	}
	if dstDir && !dst.(*RamDir).Empty() {
		return linuxerr.ENOTEMPTY
	}
	if flags&RENAME_WHITEOUT != 0 {
		if err := oldDir.fs.admitInode(); err != nil {
			return err
		}
		wo := oldDir.fs.newDevice(c, oldDir, S_IFCHR, 0, 0, nil)
		oldDir.put(op.name, wo)
		wo.IncLink()
	} else {
		oldDir.detach(op.name)
	}
	if dst == nil {
		newDir.attach(np.name, src)
	} else {
		// The source takes the target's place (simple_offset_rename).
		newDir.put(np.name, src)
		if dstDir {
			dst.(*RamDir).kill()
		} else {
			dst.(linkCounted).DecLink()
		}
	}
	touchRenamed(oldDir, newDir, src, dst)
	return nil
}

// trap returns the child of dir a that is an ancestor of (or is) dir b,
// or nil if a is not an ancestor of b (d_ancestor).
func trap(a, b *RamDir) *RamDir {
	if a == b {
		return nil
	}
	for d := b; ; {
		p := d.Parent().(*RamDir)
		if p == a {
			return d
		}
		if p == d {
			return nil
		}
		d = p
	}
}

// exchange swaps two entries in place: each keeps its position in its
// directory (simple_rename_exchange).
func exchange(d1 *RamDir, n1 string, d2 *RamDir, n2 string) {
	a, _ := d1.Lookup(nil, n1)
	b, _ := d2.Lookup(nil, n2)
	d1.put(n1, b)
	d2.put(n2, a)
}

// touchRenamed updates the times a rename changes (simple_rename_timestamp):
// both directories' modification and change times, and the change time of
// the renamed inode and of the one it replaced or was exchanged with.
func touchRenamed(oldDir, newDir *RamDir, src, dst Inode) {
	oldDir.touch(touchMC)
	newDir.touch(touchMC)
	for _, n := range []Inode{src, dst} {
		if rn, ok := n.(ramNode); ok {
			rn.meta().touch(touchC)
		}
	}
}
