package fs

import (
	"math"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/mm"
)

// FDTable maps a process's file descriptors to open files
// (struct files_struct). It is also the owner of the process's POSIX
// record locks: every way a descriptor goes away ends in closeFile, which
// drops them.
type FDTable struct {
	mu    sync.Mutex
	files []fdEntry
	// view publishes files for Peek: a new slice header is stored each
	// time files gets a new array (growLocked, Fork), so a reader without
	// mu sees a consistent header.
	view atomic.Pointer[[]fdEntry]
	// nextFD is no higher than the lowest free descriptor (files_struct's
	// next_fd), so that opening many descriptors one after another does
	// not scan the table from 0 each time.
	nextFD int32
	// hi is above the highest open descriptor: every entry from hi on is
	// free. Closing does not lower it; Fork does, when it looks for the
	// highest open descriptor (count_open_files), so that a table that
	// once held many descriptors costs a fork what its open ones do.
	hi int32
	// Limit is RLIMIT_NOFILE: descriptors are below it.
	Limit int32
}

type fdEntry struct {
	file    *File
	cloexec bool
}

// NewFDTable returns an empty table with the default limit (1024, Linux's
// INR_OPEN_CUR).
func NewFDTable() *FDTable { return &FDTable{Limit: 1024} }

// Get returns the file at fd with a reference the caller must drop.
// Every system call on a descriptor comes here: no defer.
func (t *FDTable) Get(fd int32) (*File, error) {
	t.mu.Lock()
	if fd < 0 || int(fd) >= len(t.files) || t.files[fd].file == nil {
		t.mu.Unlock()
		return nil, linuxerr.EBADF
	}
	f := t.files[fd].file
	f.IncRef()
	t.mu.Unlock()
	return f, nil
}

// Lock and Unlock hold the table for a run of GetLocked calls: poll and
// select look up their whole set under one hold (do_pollfd's fdget of
// each).
func (t *FDTable) Lock()   { t.mu.Lock() }
func (t *FDTable) Unlock() { t.mu.Unlock() }

// GetLocked returns the file open at fd with a reference the caller must
// drop, or nil if none is open there; the caller holds the table (Lock).
func (t *FDTable) GetLocked(fd int32) *File {
	if fd < 0 || int(fd) >= len(t.files) {
		return nil
	}
	f := t.files[fd].file
	if f != nil {
		f.IncRef()
	}
	return f
}

// Peek returns the file at fd, or nil, without taking the table's lock or
// a reference: for the system call fast path (syscalls/fast.go), which
// runs with interrupts off and never blocks, so the file cannot be
// released while it uses it on this CPU. An entry is one pointer, stored
// whole under mu (Linux's fdtable is read the same way under RCU,
// files_lookup_fd_rcu).
func (t *FDTable) Peek(fd int32) *File {
	v := t.view.Load()
	if v == nil || fd < 0 || int(fd) >= len(*v) {
		return nil
	}
	return (*v)[fd].file
}

// Room reports EMFILE when no descriptor is free under the limit: a call
// that makes its file only after a step it cannot undo (accept takes a
// pending connection) asks first, as Linux reserves the descriptor
// first (get_unused_fd_flags).
func (t *FDTable) Room() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	fd := t.nextFD
	for int(fd) < len(t.files) && t.files[fd].file != nil {
		fd++
	}
	if fd >= t.Limit {
		return linuxerr.EMFILE
	}
	return nil
}

// Install puts f (whose reference the table takes over) at the lowest free
// descriptor at or above min (alloc_fd).
func (t *FDTable) Install(f *File, min int32, cloexec bool) (int32, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if min < 0 || min >= t.Limit {
		return -1, linuxerr.EINVAL
	}
	fd := max(min, t.nextFD)
	for int(fd) < len(t.files) && t.files[fd].file != nil {
		fd++
	}
	if fd >= t.Limit {
		return -1, linuxerr.EMFILE
	}
	if max := FileMax.Load(); max > 0 && openFiles.Load() > max {
		return -1, linuxerr.ENFILE // the file being installed is counted
	}
	if err := t.growLocked(fd); err != nil {
		return -1, err
	}
	t.files[fd] = fdEntry{f, cloexec}
	t.hi = max(t.hi, fd+1)
	if min <= t.nextFD {
		t.nextFD = fd + 1
	}
	return fd, nil
}

// growLocked makes room for descriptor fd (expand_files): the array at
// least doubles, up to the limit, and a growth that needs memory the
// programs may not take fails with ENOMEM (mm/reserve.go).
func (t *FDTable) growLocked(fd int32) error {
	if int(fd) < len(t.files) {
		return nil
	}
	n := max(int(fd)+1, 2*len(t.files), 64)
	n = min(n, max(int(t.Limit), int(fd)+1))
	const entry = 16 // bytes of an fdEntry
	if bytes := (n - len(t.files)) * entry; bytes > mm.PageSize && !mm.AdmitKernel(uint64(bytes/mm.PageSize)) {
		return linuxerr.ENOMEM
	}
	files := make([]fdEntry, n)
	copy(files, t.files)
	t.files = files
	t.view.Store(&files)
	return nil
}

// InstallAt puts f at fd, closing what was there (dup2 and dup3).
func (t *FDTable) InstallAt(fd int32, f *File, cloexec bool) error {
	t.mu.Lock()
	if fd < 0 || fd >= t.Limit {
		t.mu.Unlock()
		return linuxerr.EBADF
	}
	if err := t.growLocked(fd); err != nil {
		t.mu.Unlock()
		return err
	}
	old := t.files[fd].file
	t.files[fd] = fdEntry{f, cloexec}
	t.hi = max(t.hi, fd+1)
	t.mu.Unlock()
	if old != nil {
		t.closeFile(old)
	}
	return nil
}

// freedLocked notes that fd is free again (__put_unused_fd).
func (t *FDTable) freedLocked(fd int32) {
	if fd < t.nextFD {
		t.nextFD = fd
	}
}

// Close removes fd.
func (t *FDTable) Close(fd int32) error {
	t.mu.Lock()
	if fd < 0 || int(fd) >= len(t.files) || t.files[fd].file == nil {
		t.mu.Unlock()
		return linuxerr.EBADF
	}
	f := t.files[fd].file
	t.files[fd] = fdEntry{}
	t.freedLocked(fd)
	t.mu.Unlock()
	t.closeFile(f)
	return nil
}

// closeFile drops the table's reference to f, whose descriptor was just
// removed (filp_close). Closing any descriptor for a file first drops
// every POSIX lock the table holds on it, however it was taken
// (filp_flush: locks_remove_posix), except for an O_PATH descriptor,
// which never takes part in locking.
func (t *FDTable) closeFile(f *File) {
	if f.Flags()&O_PATH == 0 {
		removePOSIXLocks(f.Inode, t)
	}
	f.DecRef()
}

// holds reports whether fd still refers to f.
func (t *FDTable) holds(fd int32, f *File) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return fd >= 0 && int(fd) < len(t.files) && t.files[fd].file == f
}

// CloseRange closes the open descriptors from first to last, or with
// cloexec marks them close-on-exec (close_range(2): __range_close,
// __range_cloexec).
func (t *FDTable) CloseRange(first, last uint32, cloexec bool) {
	t.sweep(uint64(first), uint64(last), func(e *fdEntry) bool {
		if cloexec {
			e.cloexec = true
			return false
		}
		return true
	})
}

// sweep visits the open descriptors from lo to hi in order and closes
// those for which visit returns true.
func (t *FDTable) sweep(lo, hi uint64, visit func(e *fdEntry) bool) {
	t.mu.Lock()
	var drop []*File
	for fd := lo; fd <= hi && fd < uint64(t.hi); fd++ {
		if e := &t.files[fd]; e.file != nil && visit(e) {
			drop = append(drop, e.file)
			*e = fdEntry{}
			t.freedLocked(int32(fd))
		}
	}
	t.mu.Unlock()
	for _, f := range drop {
		t.closeFile(f)
	}
}

// Cloexec reports fd's close-on-exec flag.
func (t *FDTable) Cloexec(fd int32) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || int(fd) >= len(t.files) || t.files[fd].file == nil {
		return false, linuxerr.EBADF
	}
	return t.files[fd].cloexec, nil
}

// SetCloexec sets fd's close-on-exec flag.
func (t *FDTable) SetCloexec(fd int32, on bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || int(fd) >= len(t.files) || t.files[fd].file == nil {
		return linuxerr.EBADF
	}
	t.files[fd].cloexec = on
	return nil
}

// Fork returns a copy sharing the open files (fork(2) without CLONE_FILES).
func (t *FDTable) Fork() *FDTable {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.hi > 0 && t.files[t.hi-1].file == nil {
		t.hi--
	}
	// The copy is as large as the open descriptors need, in whole
	// words of the open bitmap, and no smaller than the table a new
	// files_struct embeds (dup_fd: sane_fdtable_size, NR_OPEN_DEFAULT),
	// so /proc's FDSize for the child is Linux's too.
	size := max(64, (int(t.hi)+63)&^63)
	n := &FDTable{Limit: t.Limit, files: make([]fdEntry, size), hi: t.hi, nextFD: min(t.nextFD, t.hi)}
	copy(n.files, t.files[:t.hi])
	n.view.Store(&n.files)
	for _, e := range n.files[:n.hi] {
		if e.file != nil {
			e.file.IncRef()
		}
	}
	return n
}

// CloseOnExec closes the descriptors marked close-on-exec.
func (t *FDTable) CloseOnExec() {
	t.sweep(0, math.MaxUint64, func(e *fdEntry) bool { return e.cloexec })
}

// CloseAll closes every descriptor (process exit).
func (t *FDTable) CloseAll() {
	t.mu.Lock()
	files := t.files[:t.hi]
	t.files, t.nextFD, t.hi = nil, 0, 0
	t.mu.Unlock()
	for _, e := range files {
		if e.file != nil {
			t.closeFile(e.file)
		}
	}
}

// FDEntry is an open descriptor, as /proc/PID/fd and fdinfo show it.
type FDEntry struct {
	FD      int32
	File    *File
	Cloexec bool
}

// List returns the open descriptors in order, each file with a reference
// the caller drops.
func (t *FDTable) List() []FDEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []FDEntry
	for fd, e := range t.files[:t.hi] {
		if e.file != nil {
			e.file.IncRef()
			out = append(out, FDEntry{int32(fd), e.file, e.cloexec})
		}
	}
	return out
}

// Entry returns descriptor fd, its file with a reference the caller
// drops.
func (t *FDTable) Entry(fd int32) (FDEntry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || int(fd) >= len(t.files) || t.files[fd].file == nil {
		return FDEntry{}, false
	}
	e := t.files[fd]
	e.file.IncRef()
	return FDEntry{fd, e.file, e.cloexec}, true
}

// Size is the size of the descriptor array as Linux would have grown it
// to hold the highest descriptor used (fdtable's max_fds, /proc's
// FDSize): 64 (NR_OPEN_DEFAULT) at first, then multiples of 128 rounded
// to a power of two (alloc_fdtable).
func (t *FDTable) Size() int {
	t.mu.Lock()
	n := len(t.files)
	t.mu.Unlock()
	if n <= 64 {
		return 64
	}
	const perKB = 1024 / 8 // file pointers per KiB
	k := (n - 1) / perKB
	p := 1
	for p < k+1 {
		p <<= 1
	}
	return p * perKB
}
