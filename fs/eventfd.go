package fs

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// eventfd(2) flags.
const (
	EFD_SEMAPHORE = 1
	EFD_CLOEXEC   = O_CLOEXEC
	EFD_NONBLOCK  = O_NONBLOCK

	eventfdMax = 0xfffffffffffffffe
)

// eventFD is an eventfd counter (fs/eventfd.c).
type eventFD struct {
	streamOps
	mu sync.Mutex
	// count changes under mu; Readiness reads it without (eventfd_poll's
	// READ_ONCE), as poll and epoll_wait ask for every watched eventfd.
	count     atomic.Uint64
	semaphore bool
	q         Queue
	attr      Attr
}

// NewEventFD makes an eventfd file with the initial count.
func NewEventFD(initval uint32, flags uint32) *File {
	now := Now()
	e := &eventFD{semaphore: flags&EFD_SEMAPHORE != 0,
		attr: Attr{Dev: 10, Ino: NewIno(), Mode: 0o600, Nlink: 1, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}}
	e.count.Store(uint64(initval))
	return NewFile(e, "anon_inode:[eventfd]", O_RDWR|flags&O_NONBLOCK, e)
}

func (e *eventFD) Attr() Attr { return e.attr }

func (e *eventFD) Read(c Ctx, f *File, p []byte, _ int64) (int, error) {
	if len(p) < 8 {
		return 0, linuxerr.EINVAL
	}
	var v uint64
	take := func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		count := e.count.Load()
		if count == 0 {
			return false
		}
		v = count
		if e.semaphore {
			v = 1
		}
		e.count.Store(count - v)
		return true
	}
	ready := func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.count.Load() > 0
	}
	if err := retryBlocking(c, f, &e.q, EventIn, take, ready); err != nil {
		return 0, err
	}
	binary.LittleEndian.PutUint64(p, v)
	e.q.Notify(EventOut)
	return 8, nil
}

func (e *eventFD) Write(c Ctx, f *File, p []byte, _ int64) (int, error) {
	if len(p) < 8 {
		return 0, linuxerr.EINVAL
	}
	v := binary.LittleEndian.Uint64(p)
	if v == ^uint64(0) {
		return 0, linuxerr.EINVAL
	}
	fits := func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return eventfdMax-e.count.Load() >= v
	}
	add := func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		count := e.count.Load()
		if eventfdMax-count < v {
			return false
		}
		e.count.Store(count + v)
		return true
	}
	if err := retryBlocking(c, f, &e.q, EventOut, add, fits); err != nil {
		return 0, err
	}
	if v > 0 {
		e.q.Notify(EventIn)
	}
	return 8, nil
}

// Readiness implements Pollable (eventfd_poll): one load of the count,
// no lock.
func (e *eventFD) Readiness(_ *File, mask uint32) uint32 {
	count := e.count.Load()
	var r uint32
	if count > 0 {
		r |= EventIn
	}
	if count < eventfdMax {
		r |= EventOut
	}
	return r & mask
}

func (e *eventFD) EventQueue() *Queue { return &e.q }

// IsEventFD reports whether f is an eventfd.
func IsEventFD(f *File) bool {
	_, ok := f.ops.(*eventFD)
	return ok
}

// EventfdSignal adds n to an eventfd's counter from the kernel, as
// eventfd_signal does for io_uring and aio: without waiting, the counter
// stopping at its maximum.
func EventfdSignal(f *File, n uint64) {
	e, ok := f.ops.(*eventFD)
	if !ok || n == 0 {
		return
	}
	e.mu.Lock()
	count := min(e.count.Load()+n, eventfdMax)
	if count < n { // wrapped
		count = eventfdMax
	}
	e.count.Store(count)
	e.mu.Unlock()
	e.q.Notify(EventIn)
}
