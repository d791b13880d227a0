package task

import (
	"fmt"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/signals"
)

// A signalfd is a descriptor from which a thread reads its pending
// signals instead of having them delivered (signalfd(2), fs/signalfd.c).
// The file holds a set of signals; read dequeues the reading thread's
// pending signals in that set, its own before its process's, in the order
// delivery takes them, as struct signalfd_siginfo records.
//
// Linux has no notion of an owner: read, poll and the wait queue a
// poller sleeps on all belong to current (the calling thread and its
// sighand). Read, poll(2) and select(2) follow that exactly (the file
// system passes the calling task as fs.Ctx; fs.CallerPollable), and so
// does the readiness epoll_wait reports (its waiter's). What has no
// caller gets the thread that created the file instead: the wait queue
// an epoll watch registers on at epoll_ctl (Linux: the sighand of the
// thread calling epoll_ctl), and what an epoll instance that watches a
// signalfd reports about itself to poll or to another instance. So a process that inherits a signalfd and adds it
// to an epoll instance of its own is woken by its creator's signals,
// not its own; one that inherited the watch too behaves as on Linux.

// SFD_* are signalfd4(2)'s flags.
const (
	SFD_CLOEXEC  = fs.O_CLOEXEC
	SFD_NONBLOCK = fs.O_NONBLOCK
)

// signalFD is the file operations of a signalfd (struct signalfd_ctx).
type signalFD struct {
	// mask is the set of signals read takes (Linux keeps its complement).
	mask atomic.Uint64
	// The creating thread and its process, for the callers above that
	// the file system cannot name. Only the ID of the thread is kept,
	// so an open signalfd holds no ended thread.
	owner    *Process
	ownerTID int32
}

// signalfdInode is the anonymous inode signalfds share
// (anon_inode:[signalfd]).
var signalfdInode = fs.NewAnonInode()

// Signalfd implements signalfd4(2) after its arguments are read: with fd
// -1 a new signalfd for mask, else fd's mask is replaced (EBADF if it is
// not open, EINVAL if it is not a signalfd). SIGKILL and SIGSTOP are
// never read through a signalfd; they leave the mask silently.
func (t *Task) Signalfd(fd int32, mask uint64, flags uint32) (int32, error) {
	if flags&^(SFD_CLOEXEC|SFD_NONBLOCK) != 0 {
		return 0, linuxerr.EINVAL
	}
	mask &^= signals.Unblockable
	if fd == -1 {
		s := &signalFD{owner: t.Proc, ownerTID: t.TID}
		s.mask.Store(mask)
		f := fs.NewFile(signalfdInode, "anon_inode:[signalfd]", fs.O_RDWR|flags&fs.O_NONBLOCK, s)
		nfd, err := t.Proc.FDs().Install(f, 0, flags&SFD_CLOEXEC != 0)
		if err != nil {
			f.DecRef()
		}
		return nfd, err
	}
	f, err := t.Proc.FDs().Get(fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	s, ok := f.Ops().(*signalFD)
	if !ok {
		return 0, linuxerr.EINVAL
	}
	s.mask.Store(mask)
	// A reader or poller may now want signals that are already pending.
	t.Proc.sig.signalfdQ.Notify(fs.EventIn)
	return fd, nil
}

// Read implements fs.FileOps (signalfd_read): as many whole records as p
// holds (EINVAL if not one), dequeued from the reading thread's pending
// signals. It waits for the first unless the file is non-blocking
// (EAGAIN); a signal that interrupts the wait ends it (ERESTARTSYS, as
// Linux). The wait is woken by any signal queued to the reader's
// process (signalfdNotify).
func (s *signalFD) Read(c fs.Ctx, f *fs.File, p []byte, _ int64) (int, error) {
	if len(p) < signals.SignalfdSiginfoSize {
		return 0, linuxerr.EINVAL
	}
	t, ok := c.(*Task)
	if !ok {
		return 0, linuxerr.EINVAL
	}
	proc := t.Proc
	n := 0
	for len(p)-n >= signals.SignalfdSiginfoSize {
		mask := s.mask.Load()
		proc.mu.Lock()
		sig, info := t.dequeueLocked(^mask)
		proc.mu.Unlock()
		if sig != 0 {
			r := info.Signalfd()
			copy(p[n:], r[:])
			n += len(r)
			continue
		}
		if n > 0 {
			break // only the first record is waited for
		}
		if f.Flags()&fs.O_NONBLOCK != 0 {
			return 0, linuxerr.EAGAIN
		}
		err := fs.WaitReady(c, &proc.sig.signalfdQ, fs.EventIn, func() bool {
			return s.ReadinessFor(t, f, fs.EventIn) != 0
		})
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Write implements fs.FileOps: a signalfd has no write method (EINVAL).
func (s *signalFD) Write(fs.Ctx, *fs.File, []byte, int64) (int, error) {
	return 0, linuxerr.EINVAL
}

// IsStream implements fs.Stream.
func (s *signalFD) IsStream() bool { return true }

// Readiness implements fs.Pollable (signalfd_poll) for callers without a
// task: readable when a signal of the mask is pending for the creating
// thread or its process (the process's alone once that thread ended).
func (s *signalFD) Readiness(_ *fs.File, mask uint32) uint32 {
	p := s.owner
	p.mu.Lock()
	set := p.sig.shared.Set
	if t := p.tasks[s.ownerTID]; t != nil {
		set |= t.pending.Set
	}
	p.mu.Unlock()
	return s.ready(set, mask)
}

// ReadinessFor implements fs.CallerPollable: readable when a signal of
// the mask is pending for the calling thread or its process.
func (s *signalFD) ReadinessFor(c fs.Ctx, f *fs.File, mask uint32) uint32 {
	t, ok := c.(*Task)
	if !ok {
		return s.Readiness(f, mask)
	}
	p := t.Proc
	p.mu.Lock()
	set := t.pending.Set | p.sig.shared.Set
	p.mu.Unlock()
	return s.ready(set, mask)
}

// ready is signalfd_poll's answer for a thread with pending set: only
// EPOLLIN, never writable.
func (s *signalFD) ready(pending uint64, mask uint32) uint32 {
	if pending&s.mask.Load() == 0 {
		return 0
	}
	return fs.EventIn & mask
}

// EventQueue implements fs.Pollable: the creating process's signalfd
// wait queue (sighand's signalfd_wqh), for callers without a task.
func (s *signalFD) EventQueue() *fs.Queue { return &s.owner.sig.signalfdQ }

// EventQueueFor implements fs.CallerPollable: the calling process's
// signalfd wait queue.
func (s *signalFD) EventQueueFor(c fs.Ctx) *fs.Queue {
	if t, ok := c.(*Task); ok {
		return &t.Proc.sig.signalfdQ
	}
	return s.EventQueue()
}

// FDInfo implements fs.FDInfoer (signalfd_show_fdinfo).
func (s *signalFD) FDInfo(*fs.File) string {
	return fmt.Sprintf("sigmask:\t%016x\n", s.mask.Load())
}
