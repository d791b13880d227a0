// Package fs is oyako's virtual file system: inodes and directories, a
// mount tree and path resolution across it (path.go, mount.go), the calls
// that change names and attributes as fs/namei.c and fs/attr.c have them
// (namei.go, attr.go), extended attributes (xattr.go), open file
// descriptions, per-process descriptor tables, an in-memory file system
// with tmpfs's semantics (ramfs.go: the boot root, tmpfs, ramfs and
// devtmpfs) filled from the initramfs, device nodes (/dev/null,
// /dev/zero, /dev/urandom, the console), named pipes, a /proc (proc*.go:
// the files Linux's procfs has for processes and the system, formatted
// from what the kernel reports through ProcSource), pipes, eventfd, and
// the transfers of splice, tee, sendfile and copy_file_range.
//
// It is ordinary Go: callers may block, allocate and take mutexes. Errors
// are gVisor's linuxerr values, which the system call layer turns into
// -errno. Limits: one mount namespace and no chroot; permission checks are
// root's (every caller is treated as root, whatever its IDs, which are
// stored and reported), except for extended attributes (xattr.go); file
// locks (lock.go) are advisory, without leases or mandatory locking;
// timestamps have nanosecond resolution from CLOCK_REALTIME.
package fs

import (
	"sync/atomic"
	"time"
)

// File type bits of st_mode (include/uapi/linux/stat.h).
const (
	S_IFMT   = 0o170000
	S_IFSOCK = 0o140000
	S_IFLNK  = 0o120000
	S_IFREG  = 0o100000
	S_IFBLK  = 0o060000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFIFO  = 0o010000
)

// Directory entry types (d_type in getdents64).
const (
	DT_UNKNOWN = 0
	DT_FIFO    = 1
	DT_CHR     = 2
	DT_DIR     = 4
	DT_BLK     = 6
	DT_REG     = 8
	DT_LNK     = 10
	DT_SOCK    = 12
)

// DTypeOf returns the d_type for a mode.
func DTypeOf(mode uint32) uint8 {
	switch mode & S_IFMT {
	case S_IFDIR:
		return DT_DIR
	case S_IFREG:
		return DT_REG
	case S_IFLNK:
		return DT_LNK
	case S_IFCHR:
		return DT_CHR
	case S_IFBLK:
		return DT_BLK
	case S_IFIFO:
		return DT_FIFO
	case S_IFSOCK:
		return DT_SOCK
	}
	return DT_UNKNOWN
}

// Attr is what stat(2) reports about an inode.
type Attr struct {
	Dev     uint64
	Ino     uint64
	Mode    uint32
	Nlink   uint32
	UID     uint32
	GID     uint32
	Rdev    uint64
	Size    int64
	Blksize int64
	Blocks  int64 // 512-byte units allocated
	Atime   time.Time
	Mtime   time.Time
	Ctime   time.Time
}

// Inode is a file system object.
type Inode interface {
	Attr() Attr
}

// refCounted is an inode that an open file description keeps alive (a
// ramfs file's data outlives its last name while it is open).
type refCounted interface {
	IncRef()
	DecRef()
}

// Dirent is a directory entry.
type Dirent struct {
	Name  string
	Ino   uint64
	DType uint8
	// Off is the entry's position in the directory (2 and up; "." and
	// ".." are 0 and 1), stable while the entry exists; 0 lets the
	// reader number the entries in order.
	Off int64
}

// Dir is a directory.
type Dir interface {
	Inode
	// Lookup finds name (never "." or "..") in the directory. c is the
	// caller, for directories whose contents depend on who looks (/proc).
	Lookup(c Ctx, name string) (Inode, error)
	// Parent returns the directory's parent (itself for a root).
	Parent() Dir
	// ReadDir lists the entries, "." and ".." excluded.
	ReadDir() ([]Dirent, error)
}

// Regular is a regular file's data.
type Regular interface {
	Inode
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	Truncate(size int64) error
}

// Symlink is a symbolic link.
type Symlink interface {
	Inode
	Target() string
}

// Opener is an inode whose open files have their own operations (devices,
// the console, procfs files).
type Opener interface {
	Inode
	Open(c Ctx, flags uint32) (FileOps, error)
}

// Ctx is the calling task, as the file system needs it: to wait
// (interruptibly, once signals exist), to reach user memory for ioctl
// arguments, and to know who is asking (for /proc/self).
type Ctx interface {
	// Block waits until ready is closed, or returns an error (EINTR) if
	// the wait is interrupted.
	Block(ready <-chan struct{}) error
	CopyIn(addr uintptr, dst []byte) error
	CopyOut(addr uintptr, src []byte) error
	// PID is the calling process's ID.
	PID() int32
}

// Device numbers.
func Mkdev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 | uint64(minor&^0xff)<<12 | uint64(major&^0xfff)<<32
}

var inoCounter atomic.Uint64

// NewIno returns a fresh inode number.
func NewIno() uint64 { return inoCounter.Add(1) }

// Now returns the file system's notion of the current time.
var Now = time.Now

func unixTime(sec int64) time.Time { return time.Unix(sec, 0) }

// anonInode is an inode without a file system: what anonymous files
// (pidfds and the like) stand on, like Linux's anon_inode.
type anonInode struct{ attr Attr }

// NewAnonInode returns a fresh anonymous inode (mode 0600, no type bits,
// as Linux's anon_inodefs reports).
func NewAnonInode() Inode {
	now := Now()
	return &anonInode{attr: Attr{Dev: 10, Ino: NewIno(), Mode: 0o600, Nlink: 1, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}}
}

func (a *anonInode) Attr() Attr { return a.attr }
