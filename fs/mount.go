package fs

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Mount flags as they appear in a mount (include/linux/mount.h MNT_*).
const (
	MNT_NOSUID      = 0x01
	MNT_NODEV       = 0x02
	MNT_NOEXEC      = 0x04
	MNT_NOATIME     = 0x08
	MNT_NODIRATIME  = 0x10
	MNT_RELATIME    = 0x20
	MNT_READONLY    = 0x40
	MNT_NOSYMFOLLOW = 0x80

	mntAtimeMask = MNT_NOATIME | MNT_NODIRATIME | MNT_RELATIME
)

// mount(2) flags (include/uapi/linux/mount.h MS_*).
const (
	MS_RDONLY      = 1
	MS_NOSUID      = 2
	MS_NODEV       = 4
	MS_NOEXEC      = 8
	MS_SYNCHRONOUS = 16
	MS_REMOUNT     = 32
	MS_MANDLOCK    = 64
	MS_DIRSYNC     = 128
	MS_NOSYMFOLLOW = 256
	MS_NOATIME     = 1024
	MS_NODIRATIME  = 2048
	MS_BIND        = 4096
	MS_MOVE        = 8192
	MS_REC         = 16384
	MS_SILENT      = 32768
	MS_POSIXACL    = 1 << 16
	MS_UNBINDABLE  = 1 << 17
	MS_PRIVATE     = 1 << 18
	MS_SLAVE       = 1 << 19
	MS_SHARED      = 1 << 20
	MS_RELATIME    = 1 << 21
	MS_KERNMOUNT   = 1 << 22
	MS_I_VERSION   = 1 << 23
	MS_STRICTATIME = 1 << 24
	MS_LAZYTIME    = 1 << 25
	MS_NOUSER      = 1 << 31

	msMgcMask = 0xffff0000
	msMgcVal  = 0xC0ED0000

	// sbFlagsMask are the flags that belong to the super block.
	sbFlagsMask = MS_RDONLY | MS_SYNCHRONOUS | MS_MANDLOCK | MS_DIRSYNC | MS_SILENT | MS_POSIXACL | MS_LAZYTIME | MS_I_VERSION
)

// umount2(2) flags.
const (
	MNT_FORCE       = 1
	MNT_DETACH      = 2
	MNT_EXPIRE      = 4
	UMOUNT_NOFOLLOW = 8
)

// File system magic numbers (include/uapi/linux/magic.h).
const (
	TMPFS_MAGIC         = 0x01021994
	RAMFS_MAGIC         = 0x858458f6
	PROC_SUPER_MAGIC    = 0x9fa0
	PIPEFS_MAGIC        = 0x50495045
	ANON_INODE_FS_MAGIC = 0x09041934
)

// FileSystem is a file system instance: what a mount shows (a super
// block).
type FileSystem interface {
	// RootDir is the root directory.
	RootDir() Dir
	// Statfs fills in the sizes statfs(2) reports.
	Statfs(s *Statfs)
	// ShowOptions returns the options /proc/mounts lists after the
	// generic ones, each with a leading comma (->show_options).
	ShowOptions() string
	// Reconfigure applies the options of a remount (data of mount(2)).
	Reconfigure(opts []string) error
}

// fsType is a file system type (struct file_system_type).
type fsType struct {
	name  string
	magic uint64
	tmpfs bool // tmpfs semantics (shmem): directory sizes, size limits
	// new makes an instance from mount(2)'s options; nil for types that
	// cannot be mounted from user space.
	new func(r *Root, opts []string) (FileSystem, error)
}

var (
	rootfsType   = fsType{name: "rootfs", magic: TMPFS_MAGIC, tmpfs: true}
	tmpfsType    = fsType{name: "tmpfs", magic: TMPFS_MAGIC, tmpfs: true}
	ramfsType    = fsType{name: "ramfs", magic: RAMFS_MAGIC}
	devtmpfsType = fsType{name: "devtmpfs", magic: TMPFS_MAGIC, tmpfs: true}
	procType     = fsType{name: "proc", magic: PROC_SUPER_MAGIC}
)

func init() {
	tmpfsType.new = func(r *Root, opts []string) (FileSystem, error) {
		fs := newRamFS(&tmpfsType, r.newDev(), 0o1777)
		return fs, fs.configure(opts, true)
	}
	ramfsType.new = func(r *Root, opts []string) (FileSystem, error) {
		fs := newRamFS(&ramfsType, r.newDev(), 0o755)
		return fs, fs.configure(opts, true)
	}
	// There is one devtmpfs: every mount of it shows the same tree.
	devtmpfsType.new = func(r *Root, opts []string) (FileSystem, error) { return r.devfs, nil }
	procType.new = func(r *Root, opts []string) (FileSystem, error) {
		p := &procFS{dir: NewProcDir(nil, r.procs), dev: r.newDev()}
		p.dir.attr.Dev = p.dev
		p.dir.root = r
		return p, p.Reconfigure(opts)
	}
}

// fsTypes are the types /proc/filesystems lists, in its order.
var fsTypes = []*fsType{&tmpfsType, &procType, &devtmpfsType, &ramfsType}

// Filesystems is the text of /proc/filesystems.
func Filesystems() string {
	var b strings.Builder
	for _, t := range fsTypes {
		b.WriteString("nodev\t" + t.name + "\n")
	}
	return b.String()
}

// Mount is a mounted file system (struct mount): the file system, the
// directory of it that appears (its root, or any directory for a bind
// mount), and where.
type Mount struct {
	ns     *Root
	id     int
	fs     FileSystem
	typ    *fsType
	sb     *superBlock
	root   Inode
	parent *Mount // nil for the root mount and detached mounts
	point  Inode  // what it covers in parent
	// pointPath is where a mount over something other than a directory
	// (a bind mount over a file) is, for /proc/mounts.
	pointPath string
	source    string
	flags     atomic.Uint32 // MNT_*
	files     atomic.Int64  // open files in it
	expiry    bool          // marked by umount2(MNT_EXPIRE)
}

// superBlock is the state mounts of one file system instance share.
type superBlock struct {
	flags atomic.Uint32 // MS_RDONLY, MS_SYNCHRONOUS, MS_DIRSYNC, MS_MANDLOCK, MS_LAZYTIME
}

// Flags returns the mount's MNT_* flags.
func (m *Mount) Flags() uint32 { return m.flags.Load() }

// ReadOnly reports whether nothing may be written through m
// (mnt_is_readonly: the mount or its super block is read-only).
func (m *Mount) ReadOnly() bool {
	return m.Flags()&MNT_READONLY != 0 || m.sb.flags.Load()&MS_RDONLY != 0
}

// NoExec reports whether programs on m may not be run (MNT_NOEXEC).
func (m *Mount) NoExec() bool { return m.Flags()&MNT_NOEXEC != 0 }

// wantWrite fails with EROFS on a read-only mount (mnt_want_write).
func wantWrite(m *Mount) error {
	if m != nil && m.ReadOnly() {
		return linuxerr.EROFS
	}
	return nil
}

// Path is a position in the tree of mounts: a mount and a file in it
// (struct path). What a directory's ".." is, and which file system a name
// belongs to, depend on both.
type Path struct {
	Mnt  *Mount
	Node Inode
}

// Dir returns the directory p names, or nil.
func (p Path) Dir() Dir {
	d, _ := p.Node.(Dir)
	return d
}

// Root is the mount tree every process sees (a mount namespace) and the
// start of path resolution.
type Root struct {
	mu     sync.RWMutex // the mount table
	top    *Mount
	mounts []*Mount // attached, in the order they were mounted
	nextID int
	devs   atomic.Uint32

	// ns serializes changes to names (Linux's rename lock and the
	// parents' i_rwsem).
	ns sync.Mutex

	console *TTY
	procs   ProcSource
	devfs   *RamFS

	// CwdIn reports whether some process works in a directory of m (the
	// kernel sets it): such a mount is busy.
	CwdIn func(m *Mount) bool
}

// newDev returns a fresh anonymous device number for a file system
// (get_anon_bdev: major 0).
func (r *Root) newDev() uint64 { return Mkdev(0, r.devs.Add(1)) }

// Top returns the root directory of the root mount.
func (r *Root) Top() Path {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return Path{r.top, r.top.root}
}

// newMount makes a mount of fs showing root. The caller attaches it.
func (r *Root) newMount(fs FileSystem, typ *fsType, sb *superBlock, root Inode, source string, flags uint32) *Mount {
	r.nextID++
	m := &Mount{ns: r, id: r.nextID, fs: fs, typ: typ, sb: sb, root: root, source: source}
	m.flags.Store(flags)
	return m
}

// attach puts m on point of parent. The caller holds r.mu.
func (r *Root) attachLocked(m, parent *Mount, point Inode) {
	m.parent, m.point = parent, point
	r.mounts = append(r.mounts, m)
}

// mountedOn returns the mount on top of p, or nil. The caller holds
// r.mu.
func (r *Root) mountedOnLocked(p Path) *Mount {
	for i := len(r.mounts) - 1; i >= 0; i-- {
		if m := r.mounts[i]; m.parent == p.Mnt && m.point == p.Node {
			return m
		}
	}
	return nil
}

// down follows the mounts stacked on p to the one on top (follow_mount).
func (r *Root) down(p Path) Path {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for {
		m := r.mountedOnLocked(p)
		if m == nil {
			return p
		}
		p = Path{m, m.root}
	}
}

// up returns the parent directory of directory p (follow_dotdot): at the
// root of a mount it is the parent of the directory the mount covers; at
// the root of the tree, the root itself.
func (r *Root) up(p Path) Path {
	r.mu.RLock()
	for p.Mnt != nil && p.Node == p.Mnt.root {
		if p.Mnt.parent == nil {
			r.mu.RUnlock()
			return p
		}
		p = Path{p.Mnt.parent, p.Mnt.point}
	}
	r.mu.RUnlock()
	d, ok := p.Node.(Dir)
	if !ok {
		return p
	}
	return r.down(Path{p.Mnt, d.Parent()})
}

// mountRootParent returns what ".." of m's root is.
func mountRootParent(m *Mount) Inode { return m.ns.up(Path{m, m.root}).Node }

// isMountpoint reports whether n is covered by a mount (d_mountpoint).
func (r *Root) isMountpoint(n Inode) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, m := range r.mounts {
		if m.point == n {
			return true
		}
	}
	return false
}

// MountArgs are mount(2)'s arguments, copied in.
type MountArgs struct {
	Source string
	Type   string
	Flags  uint32
	Data   string
}

// Mount implements mount(2) on the target path (path_mount): a new mount of a file
// system type, a bind mount (MS_BIND, MS_REC), or a remount changing the
// flags of a mount (MS_REMOUNT, with MS_BIND only the mount's). Mount
// propagation (MS_SHARED and friends) is accepted and has no effect: there
// is one mount namespace. MS_MOVE moves a mount elsewhere.
func (r *Root) Mount(c Ctx, start Path, targetPath string, a MountArgs) error {
	target, err := r.Lookup(c, start, targetPath, LookupFollow)
	if err != nil {
		return err
	}
	where := ""
	if !isDirNode(target.Node) {
		if _, where, err = r.Realpath(c, start, targetPath, true); err != nil {
			return err
		}
	}
	flags := a.Flags
	if flags&msMgcMask == msMgcVal {
		flags &^= msMgcMask
	}
	if flags&MS_NOUSER != 0 {
		return linuxerr.EINVAL
	}
	var mntFlags uint32
	if flags&MS_NOATIME == 0 {
		mntFlags |= MNT_RELATIME
	}
	for _, f := range [...]struct{ ms, mnt uint32 }{
		{MS_NOSUID, MNT_NOSUID}, {MS_NODEV, MNT_NODEV}, {MS_NOEXEC, MNT_NOEXEC},
		{MS_NOATIME, MNT_NOATIME}, {MS_NODIRATIME, MNT_NODIRATIME},
		{MS_RDONLY, MNT_READONLY}, {MS_NOSYMFOLLOW, MNT_NOSYMFOLLOW},
	} {
		if flags&f.ms != 0 {
			mntFlags |= f.mnt
		}
	}
	if flags&MS_STRICTATIME != 0 {
		mntFlags &^= MNT_RELATIME | MNT_NOATIME
	}
	// A remount keeps the atime flags unless it names one.
	if flags&MS_REMOUNT != 0 && flags&(MS_NOATIME|MS_NODIRATIME|MS_RELATIME|MS_STRICTATIME) == 0 && target.Mnt != nil {
		mntFlags = mntFlags&^mntAtimeMask | target.Mnt.Flags()&mntAtimeMask
	}
	sbFlags := flags & sbFlagsMask

	r.ns.Lock()
	defer r.ns.Unlock()
	switch {
	case flags&(MS_REMOUNT|MS_BIND) == MS_REMOUNT|MS_BIND:
		// do_reconfigure_mnt: the mount's flags only.
		if target.Node != target.Mnt.root {
			return linuxerr.EINVAL
		}
		target.Mnt.flags.Store(mntFlags)
		return nil
	case flags&MS_REMOUNT != 0:
		// do_remount: the super block's options and flags, then the
		// mount's.
		if target.Node != target.Mnt.root {
			return linuxerr.EINVAL
		}
		sbFlags, more := genericOptions(splitOptions(a.Data), sbFlags)
		if err := target.Mnt.fs.Reconfigure(more); err != nil {
			return err
		}
		target.Mnt.sb.flags.Store(sbFlags)
		target.Mnt.flags.Store(mntFlags)
		return nil
	case flags&MS_BIND != 0:
		return r.bind(c, start, target, where, a.Source, flags&MS_REC != 0)
	case flags&(MS_SHARED|MS_PRIVATE|MS_SLAVE|MS_UNBINDABLE) != 0:
		return nil
	case flags&MS_MOVE != 0:
		return r.move(c, start, target, where, a.Source)
	}
	// do_new_mount.
	if a.Type == "" {
		return linuxerr.EINVAL
	}
	var typ *fsType
	for _, t := range fsTypes {
		if t.name == a.Type {
			typ = t
		}
	}
	if typ == nil {
		return linuxerr.ENODEV
	}
	sbFlags, more := genericOptions(splitOptions(a.Data), sbFlags)
	fs, err := typ.new(r, more)
	if err != nil {
		return err
	}
	if err := r.graft(target, where, fs, typ, fs.RootDir(), a.Source, mntFlags, sbFlags); err != nil {
		return err
	}
	return nil
}

// genericOptions applies the options every file system takes to the super
// block flags (vfs_parse_sb_flag) and returns the others.
func genericOptions(opts []string, sbFlags uint32) (uint32, []string) {
	var more []string
	for _, o := range opts {
		switch o {
		case "ro":
			sbFlags |= MS_RDONLY
		case "rw":
			sbFlags &^= MS_RDONLY
		case "sync":
			sbFlags |= MS_SYNCHRONOUS
		case "async":
			sbFlags &^= MS_SYNCHRONOUS
		case "dirsync":
			sbFlags |= MS_DIRSYNC
		case "lazytime":
			sbFlags |= MS_LAZYTIME
		case "nolazytime":
			sbFlags &^= MS_LAZYTIME
		case "mand", "nomand", "silent", "posixacl", "noposixacl", "":
		default:
			more = append(more, o)
		}
	}
	return sbFlags, more
}

// MountMax is fs.mount-max: the most mounts a namespace may hold
// (sysctl_mount_max); a mount or bind that would pass it is ENOSPC. The
// kernel lowers it on small machines, where the default 100000 would
// not fit in its heap.
var MountMax atomic.Int64

func init() { MountMax.Store(100000) }

// countMountsLocked refuses pending more mounts past MountMax
// (count_mounts). The caller holds r.mu.
func (r *Root) countMountsLocked(pending int) error {
	if int64(len(r.mounts)+pending) > MountMax.Load() {
		return linuxerr.ENOSPC
	}
	return nil
}

// graft mounts fs's root on target (do_add_mount and graft_tree). The
// caller holds r.ns.
func (r *Root) graft(target Path, where string, fs FileSystem, typ *fsType, root Inode, source string, mntFlags, sbFlags uint32) error {
	if err := r.mountable(target); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// The same file system twice on the same place is EBUSY.
	if target.Mnt.fs == fs && target.Node == target.Mnt.root {
		return linuxerr.EBUSY
	}
	if isDirNode(target.Node) != isDirNode(root) {
		return linuxerr.ENOTDIR
	}
	if err := r.countMountsLocked(1); err != nil {
		return err
	}
	sb := r.superOfLocked(fs)
	if sb == nil {
		sb = &superBlock{}
		sb.flags.Store(sbFlags)
	}
	m := r.newMount(fs, typ, sb, root, source, mntFlags)
	m.pointPath = where
	r.attachLocked(m, target.Mnt, target.Node)
	return nil
}

// mountable checks that something may be mounted on target: a directory
// (or file, for bind mounts) that still exists.
func (r *Root) mountable(target Path) error {
	if d, ok := target.Node.(*RamDir); ok && d.isDead() {
		return linuxerr.ENOENT
	}
	if target.Mnt == nil {
		return linuxerr.EINVAL
	}
	return nil
}

func isDirNode(n Inode) bool { _, ok := n.(Dir); return ok }

// superOfLocked returns the super block state of a file system already
// mounted, or nil.
func (r *Root) superOfLocked(fs FileSystem) *superBlock {
	for _, m := range r.mounts {
		if m.fs == fs {
			return m.sb
		}
	}
	if r.top != nil && r.top.fs == fs {
		return r.top.sb
	}
	return nil
}

// bind mounts what source names on target (do_loopback): the same file
// system and flags as source's mount, showing source's directory (or
// file); with rec, the mounts below source come along.
func (r *Root) bind(c Ctx, start, target Path, where, source string, rec bool) error {
	src, err := r.Lookup(c, start, source, LookupFollow)
	if err != nil {
		return err
	}
	if err := r.mountable(target); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if isDirNode(target.Node) != isDirNode(src.Node) {
		return linuxerr.ENOTDIR
	}
	m := r.newMount(src.Mnt.fs, src.Mnt.typ, src.Mnt.sb, src.Node, src.Mnt.source, src.Mnt.Flags())
	m.pointPath = where
	// The mounts below src, copied before m joins the table (copy_tree).
	var below []*Mount
	if rec {
		below = r.belowLocked(src)
	}
	if err := r.countMountsLocked(1 + len(below)); err != nil {
		return err
	}
	r.attachLocked(m, target.Mnt, target.Node)
	copies := map[*Mount]*Mount{src.Mnt: m}
	for _, b := range below {
		parent, ok := copies[b.parent]
		if !ok {
			continue
		}
		nb := r.newMount(b.fs, b.typ, b.sb, b.root, b.source, b.Flags())
		nb.pointPath = b.pointPath // a file's place is not re-rooted
		copies[b] = nb
		r.attachLocked(nb, parent, b.point)
	}
	return nil
}

// move moves the mount whose root source names onto target
// (do_move_mount): EINVAL unless source is the root of a mount other than
// the root mount and both are directories or both not; ELOOP if target is
// inside the mount moved.
func (r *Root) move(c Ctx, start, target Path, where, source string) error {
	src, err := r.Lookup(c, start, source, LookupFollow)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := src.Mnt
	if src.Node != m.root || m.parent == nil || target.Mnt == nil {
		return linuxerr.EINVAL
	}
	if isDirNode(target.Node) != isDirNode(src.Node) {
		return linuxerr.EINVAL
	}
	for p := target.Mnt; p != nil; p = p.parent {
		if p == m {
			return linuxerr.ELOOP
		}
	}
	// The mount and those below it go to the end of the table, parents
	// first, as a new mount would.
	moved := append([]*Mount{m}, r.belowMountLocked(m)...)
	r.removeLocked(moved)
	r.mounts = append(r.mounts, moved...)
	m.parent, m.point, m.pointPath = target.Mnt, target.Node, where
	return nil
}

// belowLocked returns the mounts under directory p of its mount, parents
// before children.
func (r *Root) belowLocked(p Path) []*Mount {
	var out []*Mount
	in := map[*Mount]bool{}
	for _, m := range r.mounts {
		switch {
		case in[m.parent]:
		case m.parent == p.Mnt && r.underLocked(m.point, p.Node):
		default:
			continue
		}
		in[m] = true
		out = append(out, m)
	}
	return out
}

// underLocked reports whether n is dir or inside it (same file system).
func (r *Root) underLocked(n, dir Inode) bool {
	for i := 0; i < 4096; i++ {
		if n == dir {
			return true
		}
		d, ok := n.(Dir)
		if !ok {
			return false
		}
		p := d.Parent()
		if p == n {
			return false
		}
		n = p
	}
	return false
}

// Umount implements umount2(2) on the mount whose root target is
// (do_umount): EINVAL for anything else and for the root mount; EBUSY when
// mounts are below it or something uses it (an open file, a working
// directory) unless MNT_DETACH, which takes it and what is below it out of
// the tree at once and leaves its users where they are. MNT_FORCE has
// nothing to abort here and behaves as a plain umount.
func (r *Root) Umount(target Path, flags uint32) error {
	if target.Node != target.Mnt.root || target.Mnt.parent == nil {
		return linuxerr.EINVAL
	}
	m := target.Mnt
	if flags&MNT_EXPIRE != 0 && flags&(MNT_FORCE|MNT_DETACH) != 0 {
		return linuxerr.EINVAL
	}
	r.ns.Lock()
	defer r.ns.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	var gone []*Mount
	if flags&MNT_DETACH != 0 {
		gone = append([]*Mount{m}, r.belowMountLocked(m)...)
	} else {
		for _, c := range r.mounts {
			if c.parent == m {
				return linuxerr.EBUSY
			}
		}
		if m.files.Load() > 0 || (r.CwdIn != nil && r.CwdIn(m)) {
			return linuxerr.EBUSY
		}
		if flags&MNT_EXPIRE != 0 && !m.expiry {
			// The first MNT_EXPIRE marks it; a second one, with nothing
			// using it in between, unmounts it.
			m.expiry = true
			return linuxerr.EAGAIN
		}
		gone = []*Mount{m}
	}
	r.removeLocked(gone)
	// A detached mount keeps its children attached to it, as Linux's
	// umount_tree leaves a lazily unmounted subtree to its users.
	m.parent = nil
	return nil
}

// removeLocked takes the mounts gone out of the table.
func (r *Root) removeLocked(gone []*Mount) {
	drop := map[*Mount]bool{}
	for _, g := range gone {
		drop[g] = true
	}
	k := 0
	for _, x := range r.mounts {
		if !drop[x] {
			r.mounts[k] = x
			k++
		}
	}
	clear(r.mounts[k:])
	r.mounts = r.mounts[:k]
}

// belowMountLocked returns every mount below m, in table order.
func (r *Root) belowMountLocked(m *Mount) []*Mount {
	in := map[*Mount]bool{m: true}
	for grew := true; grew; {
		grew = false
		for _, x := range r.mounts {
			if in[x.parent] && !in[x] {
				in[x] = true
				grew = true
			}
		}
	}
	var out []*Mount
	for _, x := range r.mounts {
		if x != m && in[x] {
			out = append(out, x)
		}
	}
	return out
}

// Statfs is struct statfs (include/uapi/asm-generic/statfs.h).
type Statfs struct {
	Type, Bsize                 int64
	Blocks, Bfree, Bavail       uint64
	Files, Ffree                uint64
	Fsid                        [2]int32
	Namelen, Frsize, FlagsValue int64
}

// statfs f_flags (include/linux/statfs.h ST_*).
const (
	ST_RDONLY      = 0x0001
	ST_NOSUID      = 0x0002
	ST_NODEV       = 0x0004
	ST_NOEXEC      = 0x0008
	ST_SYNCHRONOUS = 0x0010
	ST_VALID       = 0x0020
	ST_MANDLOCK    = 0x0040
	ST_NOATIME     = 0x0400
	ST_NODIRATIME  = 0x0800
	ST_RELATIME    = 0x1000
	ST_NOSYMFOLLOW = 0x2000
)

// StatfsOf implements statfs(2) and fstatfs(2) for p (vfs_statfs): the
// file system's sizes and the mount's flags. Pipes and anonymous inodes,
// which are on no mount, report pipefs and anon_inodefs.
func StatfsOf(p Path) Statfs {
	var s Statfs
	s.Bsize, s.Frsize, s.Namelen = PageSize, PageSize, NameMax
	s.FlagsValue = ST_VALID
	if p.Mnt == nil {
		s.Type = ANON_INODE_FS_MAGIC
		if _, ok := p.Node.(*Pipe); ok {
			s.Type = PIPEFS_MAGIC
		}
		return s
	}
	s.Type = int64(p.Mnt.typ.magic)
	p.Mnt.fs.Statfs(&s)
	fl := p.Mnt.Flags()
	for _, f := range [...]struct{ mnt, st uint32 }{
		{MNT_NOSUID, ST_NOSUID}, {MNT_NODEV, ST_NODEV}, {MNT_NOEXEC, ST_NOEXEC},
		{MNT_NOATIME, ST_NOATIME}, {MNT_NODIRATIME, ST_NODIRATIME},
		{MNT_RELATIME, ST_RELATIME}, {MNT_NOSYMFOLLOW, ST_NOSYMFOLLOW},
	} {
		if fl&f.mnt != 0 {
			s.FlagsValue |= int64(f.st)
		}
	}
	if p.Mnt.ReadOnly() {
		s.FlagsValue |= ST_RDONLY
	}
	if p.Mnt.sb.flags.Load()&MS_SYNCHRONOUS != 0 {
		s.FlagsValue |= ST_SYNCHRONOUS
	}
	if p.Mnt.sb.flags.Load()&MS_MANDLOCK != 0 {
		s.FlagsValue |= ST_MANDLOCK
	}
	return s
}

// Mounts is the text of /proc/mounts (show_vfsmnt): one line per mount
// visible from the root, "source mountpoint type options 0 0".
func (r *Root) Mounts() string {
	var b strings.Builder
	for _, m := range r.visible() {
		b.WriteString(mangle(m.source))
		b.WriteByte(' ')
		b.WriteString(mangle(r.mountpoint(m)))
		b.WriteByte(' ')
		b.WriteString(m.typ.name)
		b.WriteByte(' ')
		b.WriteString(r.options(m))
		b.WriteString(" 0 0\n")
	}
	return b.String()
}

// MountInfo is the text of /proc/PID/mountinfo (show_mountinfo).
func (r *Root) MountInfo() string {
	var b strings.Builder
	for _, m := range r.visible() {
		parent := m.id
		if m.parent != nil {
			parent = m.parent.id
		}
		dev := m.sb.dev(m)
		b.WriteString(strconv.Itoa(m.id) + " " + strconv.Itoa(parent) + " " +
			strconv.FormatUint(dev>>8&0xfff|dev>>32&^0xfff, 10) + ":" + strconv.FormatUint(dev&0xff|dev>>12&^0xff, 10) + " ")
		b.WriteString(mangle(r.rootOf(m)) + " " + mangle(r.mountpoint(m)) + " ")
		opts := r.options(m)
		mnt, _, _ := strings.Cut(opts, ",")
		b.WriteString(mnt + r.mntOptions(m) + " - " + m.typ.name + " " + mangle(m.source) + " ")
		sbo := "rw"
		if m.sb.flags.Load()&MS_RDONLY != 0 {
			sbo = "ro"
		}
		b.WriteString(sbo + r.sbOptions(m) + m.fs.ShowOptions() + "\n")
	}
	return b.String()
}

// dev returns the device number of the file system m shows.
func (*superBlock) dev(m *Mount) uint64 { return m.fs.RootDir().Attr().Dev }

// visible lists the root mount and the attached mounts.
func (r *Root) visible() []*Mount {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]*Mount{r.top}, r.mounts...)
}

// options is the option field of /proc/mounts.
func (r *Root) options(m *Mount) string {
	o := "rw"
	if m.ReadOnly() {
		o = "ro"
	}
	return o + r.sbOptions(m) + r.mntOptions(m) + m.fs.ShowOptions()
}

// sbOptions are the super block flags /proc/mounts shows (show_sb_opts).
func (r *Root) sbOptions(m *Mount) string {
	var b strings.Builder
	for _, f := range [...]struct {
		flag uint32
		name string
	}{{MS_SYNCHRONOUS, ",sync"}, {MS_DIRSYNC, ",dirsync"}, {MS_MANDLOCK, ",mand"}, {MS_LAZYTIME, ",lazytime"}} {
		if m.sb.flags.Load()&f.flag != 0 {
			b.WriteString(f.name)
		}
	}
	return b.String()
}

// mntOptions are the mount flags /proc/mounts shows (show_mnt_opts).
func (r *Root) mntOptions(m *Mount) string {
	var b strings.Builder
	fl := m.Flags()
	for _, f := range [...]struct {
		flag uint32
		name string
	}{{MNT_NOSUID, ",nosuid"}, {MNT_NODEV, ",nodev"}, {MNT_NOEXEC, ",noexec"}, {MNT_NOATIME, ",noatime"},
		{MNT_NODIRATIME, ",nodiratime"}, {MNT_RELATIME, ",relatime"}, {MNT_NOSYMFOLLOW, ",nosymfollow"}} {
		if fl&f.flag != 0 {
			b.WriteString(f.name)
		}
	}
	return b.String()
}

// mountpoint returns the absolute path where m is mounted.
func (r *Root) mountpoint(m *Mount) string {
	if m.parent == nil {
		return "/"
	}
	if m.pointPath != "" {
		return m.pointPath
	}
	p, err := r.PathOf(Path{m.parent, m.point})
	if err != nil {
		return "/"
	}
	return p
}

// rootOf returns the directory of its file system a mount shows, as a
// path within that file system (mountinfo's root field).
func (r *Root) rootOf(m *Mount) string {
	var parts []string
	n := m.root
	for i := 0; i < 4096; i++ {
		d, ok := n.(Dir)
		if !ok {
			break
		}
		name, parent, ok := dirName(d)
		if !ok || parent == d {
			break
		}
		parts = append(parts, name)
		n = parent
	}
	return joinReversed(parts)
}

// mangle escapes what would break a /proc/mounts line: space, tab,
// newline and backslash become octal escapes (mangle in fs/proc_namespace.c).
func mangle(s string) string {
	if s == "" {
		return "none"
	}
	if !strings.ContainsAny(s, " \t\n\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\\':
			b.WriteByte('\\')
			b.WriteByte('0' + c>>6)
			b.WriteByte('0' + c>>3&7)
			b.WriteByte('0' + c&7)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// splitOptions splits mount(2)'s data into its comma-separated options.
func splitOptions(data string) []string {
	if data == "" {
		return nil
	}
	return strings.Split(data, ",")
}
