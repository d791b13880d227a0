package fs

import (
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// open(2) flags (include/uapi/asm-generic/fcntl.h).
const (
	O_ACCMODE   = 0o3
	O_RDONLY    = 0o0
	O_WRONLY    = 0o1
	O_RDWR      = 0o2
	O_CREAT     = 0o100
	O_EXCL      = 0o200
	O_NOCTTY    = 0o400
	O_TRUNC     = 0o1000
	O_APPEND    = 0o2000
	O_NONBLOCK  = 0o4000
	O_DSYNC     = 0o10000
	O_DIRECT    = 0o40000
	O_LARGEFILE = 0o100000
	O_DIRECTORY = 0o200000
	O_NOFOLLOW  = 0o400000
	O_NOATIME   = 0o1000000
	O_CLOEXEC   = 0o2000000
	O_SYNC      = 0o4010000
	O_PATH      = 0o10000000
	O_TMPFILE   = oTmpfileBit | O_DIRECTORY
	oTmpfileBit = 0o20000000 // __O_TMPFILE

	// statusFlags are the flags F_SETFL may change (fs/fcntl.c SETFL_MASK).
	statusFlags = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME
)

// FileOps are the operations of an open file that are not plain data of a
// regular file: devices, the console, pipes, procfs files.
type FileOps interface {
	// Read reads at off (ignored by streams).
	Read(c Ctx, f *File, p []byte, off int64) (int, error)
	// Write writes at off (ignored by streams).
	Write(c Ctx, f *File, p []byte, off int64) (int, error)
}

// Stream is implemented by FileOps without a file position (lseek and
// pread fail with ESPIPE).
type Stream interface{ IsStream() bool }

// Ioctler is implemented by FileOps that take ioctl(2) requests.
type Ioctler interface {
	Ioctl(c Ctx, f *File, cmd uint32, arg uintptr) (uintptr, error)
}

// Releaser is implemented by FileOps that act when the last reference to
// the open file goes away.
type Releaser interface{ Release(f *File) }

// File is an open file description (struct file): what open(2) creates
// and dup(2) and fork(2) share.
type File struct {
	Inode Inode
	// Mnt is the mount it was opened on (nil for pipes and anonymous
	// files).
	Mnt *Mount
	// Path is the absolute path it was opened by (for /proc/self/fd).
	Path string
	ops  FileOps
	fast FastIO // ops, if they are FastIO
	// poll and callerPoll are ops as a Pollable and a CallerPollable,
	// if they are (PollReady).
	poll       Pollable
	callerPoll CallerPollable
	flags      atomic.Uint32
	mu         sync.Mutex // guards off
	off        int64
	refs       atomic.Int64

	hookMu sync.Mutex
	hooks  map[*func()]struct{}
}

// OnRelease registers fn to run when the open file description is
// released (epoll drops its registrations then, as eventpoll_release
// does) and returns a function that unregisters it.
func (f *File) OnRelease(fn func()) (remove func()) {
	f.hookMu.Lock()
	defer f.hookMu.Unlock()
	if f.hooks == nil {
		f.hooks = map[*func()]struct{}{}
	}
	p := &fn
	f.hooks[p] = struct{}{}
	return func() {
		f.hookMu.Lock()
		delete(f.hooks, p)
		f.hookMu.Unlock()
	}
}

// NewFile makes an open file description with one reference. ops may be
// nil for regular files and directories.
func NewFile(inode Inode, path string, flags uint32, ops FileOps) *File {
	openFiles.Add(1)
	f := &File{Inode: inode, Path: path, ops: ops}
	// The fast path may not assert types (a cache miss locks).
	f.fast, _ = ops.(FastIO)
	f.poll, _ = ops.(Pollable)
	f.callerPoll, _ = ops.(CallerPollable)
	// The open-time flags are not the file's (do_dentry_open).
	f.flags.Store(flags &^ (O_CLOEXEC | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC))
	f.refs.Store(1)
	if r, ok := inode.(refCounted); ok {
		r.IncRef()
	}
	return f
}

// IncRef takes a reference.
func (f *File) IncRef() { f.refs.Add(1) }

// Refs returns how many references the file has (AF_UNIX's garbage
// collector compares it with the references in flight).
func (f *File) Refs() int64 { return f.refs.Load() }

// DecRef drops a reference; the last one releases the file: epoll forgets
// it, its OFD and flock locks go, then its operations' Release runs (the
// order of __fput).
func (f *File) DecRef() {
	if f.refs.Add(-1) == 0 {
		f.hookMu.Lock()
		hooks := f.hooks
		f.hooks = nil
		f.hookMu.Unlock()
		for fn := range hooks {
			(*fn)()
		}
		f.releaseLocks()
		if r, ok := f.ops.(Releaser); ok {
			r.Release(f)
		}
		if r, ok := f.Inode.(refCounted); ok {
			r.DecRef()
		}
		if f.Mnt != nil {
			f.Mnt.files.Add(-1)
		}
		openFiles.Add(-1)
	}
}

// Open files, as /proc/sys/fs/file-nr counts them (nr_files), and their
// limit, file-max: a new descriptor for a file beyond it is refused with
// ENFILE (alloc_empty_file). Linux lets root past the limit; here every
// program is root, and the limit is what keeps open files from taking
// the kernel's heap (the kernel sizes it from its budget, mm/reserve.go),
// so it applies to everyone.
var (
	openFiles atomic.Int64
	FileMax   atomic.Int64 // 0: no limit
)

// OpenFiles returns the number of open files.
func OpenFiles() int64 { return openFiles.Load() }

// setMount records the mount f was opened on, which it keeps busy.
func (f *File) setMount(m *Mount) {
	f.Mnt = m
	if m != nil {
		m.files.Add(1)
	}
}

// Location returns where f is in the mount tree.
func (f *File) Location() Path { return Path{f.Mnt, f.Inode} }

// accessed updates the access time after a read (file_accessed), unless
// the file was opened O_NOATIME.
func (f *File) accessed() {
	if f.Flags()&O_NOATIME == 0 {
		accessed(f.Location())
	}
}

// Flags returns the file status flags and access mode.
func (f *File) Flags() uint32 { return f.flags.Load() }

// SetStatusFlags changes the flags F_SETFL may change.
func (f *File) SetStatusFlags(flags uint32) {
	for {
		old := f.flags.Load()
		if f.flags.CompareAndSwap(old, old&^statusFlags|flags&statusFlags) {
			return
		}
	}
}

// Ops returns the file's operations (nil for regular files and directories).
func (f *File) Ops() FileOps { return f.ops }

// Readable and Writable check the access mode.
func (f *File) Readable() bool {
	m := f.Flags() & O_ACCMODE
	return (m == O_RDONLY || m == O_RDWR) && f.Flags()&O_PATH == 0
}
func (f *File) Writable() bool {
	m := f.Flags() & O_ACCMODE
	return (m == O_WRONLY || m == O_RDWR) && f.Flags()&O_PATH == 0
}

// IsStream reports whether f is a stream (a pipe, a terminal, an event
// file...): a read returns what is there, it has no file position.
func (f *File) IsStream() bool {
	s, ok := f.ops.(Stream)
	return ok && s.IsStream()
}

// PollReady returns which of mask's events f is ready for as c sees it
// (ReadinessFor), and false if f cannot be polled. The interfaces are
// resolved once, when the file is made: poll and select ask each
// descriptor every time.
func (f *File) PollReady(c Ctx, mask uint32) (uint32, bool) {
	if f.callerPoll != nil {
		return f.callerPoll.ReadinessFor(c, f, mask), true
	}
	if f.poll != nil {
		return f.poll.Readiness(f, mask), true
	}
	return 0, false
}

// FastIO is implemented by the operations of devices whose reads and
// writes need nothing but the caller's buffer and complete at once: the
// system call fast path (syscalls/fast.go) serves them with interrupts
// off, so they must not block, allocate or lock.
type FastIO interface {
	// FastRead returns what a read of n bytes gives: count bytes, all
	// zeros if zeros is set (else count is 0, the end of the file).
	FastRead(n int) (count int, zeros bool)
	// FastWrite returns how many of n bytes a write takes, or ok=false
	// if the write fails (the slow path reports why).
	FastWrite(n int) (count int, ok bool)
}

// FastRead is Read for the fast path: ok is false unless f is readable
// and its operations are FastIO.
func (f *File) FastRead(n int) (count int, zeros, ok bool) {
	if f.fast == nil || !f.Readable() {
		return 0, false, false
	}
	count, zeros = f.fast.FastRead(n)
	return count, zeros, true
}

// FastWrite is Write for the fast path: ok is false unless f is writable
// and its operations are FastIO.
func (f *File) FastWrite(n int) (count int, ok bool) {
	if f.fast == nil || !f.Writable() {
		return 0, false
	}
	return f.fast.FastWrite(n)
}

// Read implements read(2) on f.
func (f *File) Read(c Ctx, p []byte) (int, error) {
	if !f.Readable() {
		return 0, linuxerr.EBADF
	}
	if f.IsStream() {
		return f.readAt(c, p, 0)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.readAt(c, p, f.off)
	f.off += int64(n)
	return n, err
}

// Pread implements pread64(2).
func (f *File) Pread(c Ctx, p []byte, off int64) (int, error) {
	if !f.Readable() {
		return 0, linuxerr.EBADF
	}
	if f.IsStream() {
		return 0, linuxerr.ESPIPE
	}
	if off < 0 {
		return 0, linuxerr.EINVAL
	}
	return f.readAt(c, p, off)
}

func (f *File) readAt(c Ctx, p []byte, off int64) (int, error) {
	switch n := f.Inode.(type) {
	case Dir:
		return 0, linuxerr.EISDIR
	case Regular:
		if f.ops == nil {
			k, err := n.ReadAt(p, off)
			if len(p) > 0 {
				f.accessed()
			}
			return k, err
		}
	}
	if f.ops == nil {
		return 0, linuxerr.EINVAL
	}
	return f.ops.Read(c, f, p, off)
}

// Write implements write(2) on f.
func (f *File) Write(c Ctx, p []byte) (int, error) {
	return f.WriteMode(c, p, -1, f.Flags()&O_APPEND != 0)
}

// WriteMode writes p at off, or at the file position if off is -1 (the
// position then advances), or at the end of the file if app: write(2)
// and pwrite64(2) append on an O_APPEND file, pwritev2(2) and io_uring
// with RWF_APPEND on any file, and not with RWF_NOAPPEND
// (generic_write_checks with IOCB_APPEND). A stream ignores offsets.
func (f *File) WriteMode(c Ctx, p []byte, off int64, app bool) (int, error) {
	if !f.Writable() {
		return 0, linuxerr.EBADF
	}
	if f.IsStream() {
		return f.writeAt(c, p, 0)
	}
	if off != -1 {
		if np, ok := f.ops.(NoPwriter); ok && np.NoPwrite() {
			return 0, linuxerr.ESPIPE
		}
		if off < 0 {
			return 0, linuxerr.EINVAL
		}
		if app {
			off = f.Inode.Attr().Size
		}
		return f.writeAt(c, p, off)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	off = f.off
	if app {
		off = f.Inode.Attr().Size
	}
	n, err := f.writeAt(c, p, off)
	f.off = off + int64(n)
	return n, err
}

// NoPwriter is implemented by FileOps that refuse positioned writes
// while taking positioned reads, as a seq_file does (seq_open clears
// FMODE_PWRITE).
type NoPwriter interface{ NoPwrite() bool }

// Pwrite implements pwrite64(2). On an O_APPEND file it appends, as
// Linux does (pwrite(2), BUGS).
func (f *File) Pwrite(c Ctx, p []byte, off int64) (int, error) {
	if !f.Writable() {
		return 0, linuxerr.EBADF
	}
	if np, ok := f.ops.(NoPwriter); f.IsStream() || ok && np.NoPwrite() {
		return 0, linuxerr.ESPIPE
	}
	if off < 0 {
		return 0, linuxerr.EINVAL
	}
	return f.WriteMode(c, p, off, f.Flags()&O_APPEND != 0)
}

func (f *File) writeAt(c Ctx, p []byte, off int64) (int, error) {
	switch n := f.Inode.(type) {
	case Dir:
		return 0, linuxerr.EISDIR
	case Regular:
		if f.ops == nil {
			return n.WriteAt(p, off)
		}
	}
	if f.ops == nil {
		return 0, linuxerr.EINVAL
	}
	return f.ops.Write(c, f, p, off)
}

// lseek whence values.
const (
	SeekSet  = 0
	SeekCur  = 1
	SeekEnd  = 2
	SeekData = 3
	SeekHole = 4
)

// Seek implements lseek(2).
func (f *File) Seek(off int64, whence int) (int64, error) {
	if f.IsStream() {
		return 0, linuxerr.ESPIPE
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var base int64
	switch whence {
	case SeekSet:
	case SeekCur:
		base = f.off
	case SeekEnd:
		a := f.Inode.Attr()
		base = a.Size
	case SeekData, SeekHole:
		a := f.Inode.Attr()
		if off < 0 || off >= a.Size {
			return 0, linuxerr.ENXIO
		}
		if whence == SeekHole {
			off = a.Size
		}
	default:
		return 0, linuxerr.EINVAL
	}
	n := base + off
	if n < 0 || (off > 0 && n < base) {
		return 0, linuxerr.EINVAL
	}
	f.off = n
	return n, nil
}

// ReadDir returns the directory entries from position f.off on, "." and
// ".." first, advancing f.off past what consume accepts: consume returns
// false when its buffer is full. Positions are the entries' own, so that
// entries added or removed between calls do not shift the others.
func (f *File) ReadDir(c Ctx, consume func(d Dirent, next int64) bool) error {
	d, ok := f.Inode.(Dir)
	if !ok {
		return linuxerr.ENOTDIR
	}
	ents, err := d.ReadDir()
	if err != nil {
		return err
	}
	defer f.accessed()
	self, parent := d.Attr(), d.Parent().Attr()
	if f.Mnt != nil && Inode(d) == f.Mnt.root {
		// ".." of a mount's root is the directory it is mounted on's
		// parent, as lookups of ".." see it.
		parent = mountRootParent(f.Mnt).Attr()
	}
	all := append([]Dirent{{".", self.Ino, DT_DIR, 0}, {"..", parent.Ino, DT_DIR, 1}}, ents...)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range all {
		e := all[i]
		if e.Off == 0 && i >= 2 {
			e.Off = int64(i)
		}
		if e.Off < f.off {
			continue
		}
		if !consume(e, e.Off+1) {
			break
		}
		f.off = e.Off + 1
	}
	return nil
}

// Ioctl implements ioctl(2) on f.
func (f *File) Ioctl(c Ctx, cmd uint32, arg uintptr) (uintptr, error) {
	if i, ok := f.ops.(Ioctler); ok {
		return i.Ioctl(c, f, cmd, arg)
	}
	return 0, linuxerr.ENOTTY
}
