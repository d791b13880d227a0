package fs

import (
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/mm"
)

// This file is the advisory file lock manager, after Linux's fs/locks.c:
// POSIX record locks (fcntl F_SETLK, F_SETLKW, F_GETLK), open file
// description locks (F_OFD_SETLK, F_OFD_SETLKW, F_OFD_GETLK) and flock(2)
// locks. Locks are kept per inode; they are advisory (read and write never
// look at them). Leases, mandatory locking and /proc/locks are not
// implemented.
//
// Who owns a lock decides what conflicts and when it goes away:
//   - a POSIX lock is owned by the descriptor table of the process that took
//     it (Linux's fl_owner = current->files): threads share it, and the
//     table loses all its locks on a file when any descriptor for the file is
//     closed (FDTable.closeFile);
//   - an OFD lock is owned by the open file description, and goes when its
//     last reference does (File.DecRef);
//   - a flock lock is owned by the open file description too, but lives in a
//     separate list: flock and fcntl locks never conflict with each other.
//
// Waiting follows Linux: a blocked request hangs below the lock it conflicts
// with (or below an earlier request that it conflicts with, so that a waiter
// queued behind another does not overtake it), and is woken to try again
// when that lock is deleted, shrunk or changes type. Deadlock detection for
// POSIX locks walks the chain "owner waits for a lock whose owner waits for
// ..." as posix_locks_deadlock does.

// Lock types (include/uapi/asm-generic/fcntl.h).
const (
	F_RDLCK = 0
	F_WRLCK = 1
	F_UNLCK = 2
)

// flock(2) operations (include/uapi/asm-generic/fcntl.h).
const (
	LOCK_SH   = 1
	LOCK_EX   = 2
	LOCK_NB   = 4
	LOCK_UN   = 8
	LOCK_MAND = 32
)

// offsetMax is OFFSET_MAX: a lock's end at offsetMax reaches past any end
// of file (l_len 0).
const offsetMax = math.MaxInt64

// maxDeadlockIterations bounds the owner chain posixDeadlock follows
// (MAX_DEADLK_ITERATIONS).
const maxDeadlockIterations = 10

// Flock is struct flock (include/uapi/asm-generic/fcntl.h) as fcntl(2)
// passes it.
type Flock struct {
	Type   int16
	Whence int16
	Start  int64
	Len    int64
	PID    int32
}

type lockKind uint8

const (
	lockPOSIX lockKind = iota // FL_POSIX: owned by a descriptor table
	lockOFD                   // FL_POSIX|FL_OFDLCK: owned by an open file description
	lockFlock                 // FL_FLOCK: owned by an open file description
)

// fileLock is a lock held or a request for one (struct file_lock).
type fileLock struct {
	kind lockKind
	// owner is a *FDTable for POSIX locks and a *File otherwise.
	owner any
	// pid is the thread group that took the lock (fl_pid).
	pid int32
	typ int16
	// start and end bound the locked bytes, end included.
	start, end int64
	// held is true while the lock is in its inode's list.
	held bool

	// blocker is what a waiting request hangs below (fl_blocker), waiters
	// what hangs below this lock or request (fl_blocked_requests).
	blocker *fileLock
	waiters []*fileLock
	// wake is closed when a waiting request is unblocked.
	wake chan struct{}
}

// lockContext is an inode's locks (struct file_lock_context).
type lockContext struct {
	// posix holds the POSIX and OFD locks, each owner's together and in
	// order of start, owners in the order they first took a lock: F_GETLK
	// reports the first conflict in this order (flc_posix).
	posix []*fileLock
	// flock holds the flock locks in the order taken (flc_flock).
	flock []*fileLock
}

// locks is the state of every inode's locks. One mutex guards it all where
// Linux has a lock per inode and a global one for deadlock detection
// (blocked_lock_lock): the detection looks across inodes anyway, and file
// locking is not a hot path.
var locks struct {
	mu sync.Mutex
	// ctx holds the inodes that have locks; an entry goes when its last
	// lock does.
	ctx map[Inode]*lockContext
	// contexts is len(ctx), read without mu so that closing a file when
	// no lock exists anywhere costs nothing (Linux looks for the inode's
	// context without a lock too).
	contexts atomic.Int32
	// blocked indexes the waiting POSIX (not OFD) requests by owner, for
	// deadlock detection (blocked_hash).
	blocked map[any][]*fileLock
}

// errDeferred says a request is now waiting (FILE_LOCK_DEFERRED).
var errDeferred = errors.New("lock request deferred")

// lockContextOf returns n's lock context, making one if create.
func lockContextOf(n Inode, create bool) *lockContext {
	ctx := locks.ctx[n]
	if ctx == nil && create {
		if locks.ctx == nil {
			locks.ctx = map[Inode]*lockContext{}
		}
		ctx = &lockContext{}
		locks.ctx[n] = ctx
		locks.contexts.Add(1)
	}
	return ctx
}

// tidy forgets n's context once it holds no lock (waiters always hang
// below a held lock or below a request that does).
func tidy(n Inode, ctx *lockContext) {
	if ctx != nil && len(ctx.posix) == 0 && len(ctx.flock) == 0 {
		delete(locks.ctx, n)
		locks.contexts.Add(-1)
	}
}

func (l *fileLock) overlaps(o *fileLock) bool { return l.end >= o.start && o.end >= l.start }

// typesConflict reports whether two overlapping locks of different owners
// conflict: when either is a write lock (locks_conflict).
func typesConflict(a, b *fileLock) bool { return a.typ == F_WRLCK || b.typ == F_WRLCK }

// posixConflict reports whether POSIX or OFD lock sys blocks request
// caller (posix_locks_conflict): an owner's own locks never do.
func posixConflict(caller, sys *fileLock) bool {
	return caller.owner != sys.owner && caller.overlaps(sys) && typesConflict(caller, sys)
}

// flockConflict is flock_locks_conflict: locks taken through the same open
// file description never conflict.
func flockConflict(caller, sys *fileLock) bool {
	return caller.owner != sys.owner && typesConflict(caller, sys)
}

// insertBlock makes request wait below blocker, or below the first of
// blocker's waiters (recursively) that it conflicts with, so that it does
// not overtake a request queued before it (__locks_insert_block).
func insertBlock(blocker, request *fileLock, conflict func(caller, sys *fileLock) bool) {
	for descended := true; descended; {
		descended = false
		for _, w := range blocker.waiters {
			if conflict(w, request) {
				blocker, descended = w, true
				break
			}
		}
	}
	request.blocker = blocker
	request.wake = make(chan struct{})
	blocker.waiters = append(blocker.waiters, request)
	if request.kind == lockPOSIX {
		if locks.blocked == nil {
			locks.blocked = map[any][]*fileLock{}
		}
		locks.blocked[request.owner] = append(locks.blocked[request.owner], request)
	}
}

// unhash removes w from the blocked index.
func unhash(w *fileLock) {
	if w.kind != lockPOSIX {
		return
	}
	ws := slices.DeleteFunc(locks.blocked[w.owner], func(x *fileLock) bool { return x == w })
	if len(ws) == 0 {
		delete(locks.blocked, w.owner)
	} else {
		locks.blocked[w.owner] = ws
	}
}

// wakeWaiters unblocks every request waiting directly below l: each tries
// again (__locks_wake_up_blocks). Requests queued below those stay there.
func wakeWaiters(l *fileLock) {
	for _, w := range l.waiters {
		unhash(w)
		w.blocker = nil
		close(w.wake)
	}
	l.waiters = nil
}

// finishRequest is locks_delete_block, run when a request stops waiting
// (granted, failed or interrupted): it leaves its blocker, and what queued
// below it tries again unless the request became a held lock, which they
// keep waiting for.
func finishRequest(req *fileLock) {
	if !req.held {
		wakeWaiters(req)
	}
	if b := req.blocker; b != nil {
		unhash(req)
		b.waiters = slices.DeleteFunc(b.waiters, func(x *fileLock) bool { return x == req })
		req.blocker = nil
	}
}

// ownerWaitingFor returns the held lock that owner waits for, or nil
// (what_owner_is_waiting_for): the newest of its waiting requests, up the
// chain of blockers to the lock at the top.
func ownerWaitingFor(owner any) *fileLock {
	ws := locks.blocked[owner]
	if len(ws) == 0 {
		return nil
	}
	l := ws[len(ws)-1]
	for l.blocker != nil {
		l = l.blocker
	}
	return l
}

// posixDeadlock reports whether caller waiting for block would close a
// cycle of owners each waiting for the next (posix_locks_deadlock). OFD
// locks are not owned by processes, so they are never considered.
func posixDeadlock(caller, block *fileLock) bool {
	if caller.kind != lockPOSIX {
		return false
	}
	for i := 0; ; i++ {
		block = ownerWaitingFor(block.owner)
		if block == nil || i > maxDeadlockIterations {
			return false
		}
		if block.owner == caller.owner {
			return true
		}
	}
}

// unlink takes l out of the lists it is in as a held lock and wakes its
// waiters (locks_delete_lock_ctx).
func unlink(l *fileLock) {
	l.held = false
	wakeWaiters(l)
}

// posixLock applies a POSIX or OFD request to n (posix_lock_inode):
// EAGAIN or, with wait, errDeferred (or EDEADLK) on a conflict; otherwise
// the owner's locks are replaced over the request's range, split where an
// unlock or a lock of another type lands inside one, and merged with
// overlapping or adjacent locks of the same type.
func posixLock(n Inode, req *fileLock, wait bool) error {
	ctx := lockContextOf(n, req.typ != F_UNLCK)
	if ctx == nil {
		return nil
	}
	defer tidy(n, ctx)
	if req.typ != F_UNLCK {
		for _, fl := range ctx.posix {
			if !posixConflict(req, fl) {
				continue
			}
			if !wait {
				return linuxerr.EAGAIN
			}
			// Requests waiting below req must not look like a cycle.
			wakeWaiters(req)
			if posixDeadlock(req, fl) {
				return linuxerr.EDEADLK
			}
			insertBlock(fl, req, posixConflict)
			return errDeferred
		}
	}
	// Locks live in the kernel's heap: a request that may add records
	// needs room there, or is ENOLCK (locks_alloc_lock failing).
	if (req.typ != F_UNLCK || req.start != 0 || req.end != offsetMax) && !mm.AdmitKernel(1) {
		return linuxerr.ENOLCK
	}

	// The owner's locks are together in the list; keep them at their place
	// (or put a new owner's at the end).
	at := -1
	var mine, others []*fileLock
	for _, fl := range ctx.posix {
		if fl.owner == req.owner {
			if at < 0 {
				at = len(others)
			}
			mine = append(mine, fl)
		} else {
			others = append(others, fl)
		}
	}
	if at < 0 {
		at = len(others)
	}
	start, end := req.start, req.end
	var merged *fileLock // the lock that grows to cover the request
	var result []*fileLock
	for _, fl := range mine {
		// Same type and overlapping or adjacent: one lock covers both.
		// (start-1 and fl.start-1 cannot overflow: both are >= 0.)
		if req.typ != F_UNLCK && fl.typ == req.typ && fl.end >= start-1 && fl.start-1 <= end {
			start, end = min(start, fl.start), max(end, fl.end)
			if merged == nil {
				merged = fl
				result = append(result, fl)
			} else {
				unlink(fl)
			}
			continue
		}
		if !fl.overlaps(req) {
			result = append(result, fl)
			continue
		}
		// Another type, or an unlock: what lies outside the request stays.
		// Waiters try again whatever remains.
		wakeWaiters(fl)
		left, right := fl.start < req.start, fl.end > req.end
		switch {
		case left && right:
			r := &fileLock{kind: fl.kind, owner: fl.owner, pid: fl.pid, typ: fl.typ, start: req.end + 1, end: fl.end, held: true}
			fl.end = req.start - 1
			result = append(result, fl, r)
		case left:
			fl.end = req.start - 1
			result = append(result, fl)
		case right:
			fl.start = req.end + 1
			result = append(result, fl)
		default:
			unlink(fl)
		}
	}
	if merged != nil {
		merged.start, merged.end = start, end
	} else if req.typ != F_UNLCK {
		req.held = true
		result = append(result, req)
	}
	slices.SortFunc(result, func(a, b *fileLock) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	ctx.posix = slices.Concat(others[:at], result, others[at:])
	return nil
}

// posixTest returns the first lock in n's list that blocks req, or nil
// (posix_test_lock). An F_UNLCK request (F_OFD_GETLK only) finds the
// caller's own lock over the range instead.
func posixTest(n Inode, req *fileLock) *fileLock {
	ctx := lockContextOf(n, false)
	if ctx == nil {
		return nil
	}
	for _, fl := range ctx.posix {
		if req.typ == F_UNLCK {
			if fl.owner == req.owner && fl.overlaps(req) {
				return fl
			}
		} else if posixConflict(req, fl) {
			return fl
		}
	}
	return nil
}

// flockLock applies a flock request to n (flock_lock_inode). Converting a
// lock is not atomic: the file's old lock goes first (waking its waiters),
// then the new one is tried, so a failed LOCK_NB conversion leaves no lock.
func flockLock(n Inode, req *fileLock, wait bool) error {
	ctx := lockContextOf(n, req.typ != F_UNLCK)
	if ctx == nil {
		return nil
	}
	defer tidy(n, ctx)
	for i, fl := range ctx.flock {
		if fl.owner != req.owner {
			continue
		}
		if fl.typ == req.typ {
			return nil
		}
		ctx.flock = slices.Delete(ctx.flock, i, i+1)
		unlink(fl)
		break
	}
	if req.typ == F_UNLCK {
		return nil
	}
	for _, fl := range ctx.flock {
		if !flockConflict(req, fl) {
			continue
		}
		if !wait {
			return linuxerr.EWOULDBLOCK
		}
		insertBlock(fl, req, flockConflict)
		return errDeferred
	}
	req.held = true
	ctx.flock = append(ctx.flock, req)
	return nil
}

// lockWait runs attempt until it stops deferring, waiting interruptibly in
// between (do_lock_file_wait, flock_lock_inode_wait).
func lockWait(c Ctx, n Inode, req *fileLock, wait bool, attempt func(Inode, *fileLock, bool) error) error {
	for {
		locks.mu.Lock()
		err := attempt(n, req, wait)
		if err != errDeferred {
			finishRequest(req)
			locks.mu.Unlock()
			return err
		}
		ready := req.wake
		locks.mu.Unlock()
		if err := c.Block(ready); err != nil {
			locks.mu.Lock()
			finishRequest(req)
			locks.mu.Unlock()
			return err
		}
	}
}

// removePOSIXLocks drops every POSIX or OFD lock owner holds on n
// (locks_remove_posix).
func removePOSIXLocks(n Inode, owner any) {
	if locks.contexts.Load() == 0 {
		return
	}
	locks.mu.Lock()
	defer locks.mu.Unlock()
	posixLock(n, &fileLock{owner: owner, typ: F_UNLCK, end: offsetMax}, false)
}

// releaseLocks drops the OFD and flock locks of an open file description
// whose last reference went (locks_remove_file).
func (f *File) releaseLocks() {
	if locks.contexts.Load() == 0 {
		return
	}
	locks.mu.Lock()
	defer locks.mu.Unlock()
	posixLock(f.Inode, &fileLock{owner: f, typ: F_UNLCK, end: offsetMax}, false)
	flockLock(f.Inode, &fileLock{kind: lockFlock, owner: f, typ: F_UNLCK}, false)
}

// lockRange turns struct flock's whence, start and len into the bytes it
// names, and checks its type (flock64_to_posix_lock): EINVAL for a bad
// whence or type or a range reaching below 0, EOVERFLOW for one past
// OFFSET_MAX.
func (f *File) lockRange(l *Flock) (start, end int64, err error) {
	switch l.Whence {
	case SeekSet:
	case SeekCur:
		f.mu.Lock()
		start = f.off
		f.mu.Unlock()
	case SeekEnd:
		start = f.Inode.Attr().Size
	default:
		return 0, 0, linuxerr.EINVAL
	}
	if l.Start > offsetMax-start {
		return 0, 0, linuxerr.EOVERFLOW
	}
	start += l.Start
	if start < 0 {
		return 0, 0, linuxerr.EINVAL
	}
	switch {
	case l.Len > 0:
		if l.Len-1 > offsetMax-start {
			return 0, 0, linuxerr.EOVERFLOW
		}
		end = start + l.Len - 1
	case l.Len < 0:
		// POSIX.1-2001: the range ends before start.
		if start+l.Len < 0 {
			return 0, 0, linuxerr.EINVAL
		}
		end = start - 1
		start += l.Len
	default:
		end = offsetMax
	}
	if l.Type != F_RDLCK && l.Type != F_WRLCK && l.Type != F_UNLCK {
		return 0, 0, linuxerr.EINVAL
	}
	return start, end, nil
}

// posixRequest makes the POSIX request a struct flock describes, owned
// by the table.
func (t *FDTable) posixRequest(f *File, l *Flock, pid int32) (*fileLock, error) {
	start, end, err := f.lockRange(l)
	if err != nil {
		return nil, err
	}
	return &fileLock{kind: lockPOSIX, owner: t, pid: pid, typ: l.Type, start: start, end: end}, nil
}

// ofd makes req an OFD request owned by f; struct flock's l_pid must be 0.
func (req *fileLock) ofd(f *File, l *Flock) error {
	if l.PID != 0 {
		return linuxerr.EINVAL
	}
	req.kind, req.owner = lockOFD, f
	return nil
}

// GetLock implements fcntl F_GETLK and, with ofd, F_OFD_GETLK on f for
// the table's process (fcntl_getlk): l becomes the first lock that would
// block it (type, SEEK_SET, start, length with 0 for "to the end", and the
// pid of the process that took it, -1 for an OFD lock), or just has its
// type set to F_UNLCK when nothing would. F_OFD_GETLK also accepts
// F_UNLCK, which finds f's own OFD lock over the range.
func (t *FDTable) GetLock(f *File, ofd bool, l *Flock) error {
	if !ofd && l.Type != F_RDLCK && l.Type != F_WRLCK {
		return linuxerr.EINVAL
	}
	req, err := t.posixRequest(f, l, 0)
	if err != nil {
		return err
	}
	if ofd {
		if err := req.ofd(f, l); err != nil {
			return err
		}
	}
	locks.mu.Lock()
	defer locks.mu.Unlock()
	fl := posixTest(f.Inode, req)
	if fl == nil {
		l.Type = F_UNLCK
		return nil
	}
	l.Type, l.Whence, l.Start, l.PID = fl.typ, SeekSet, fl.start, fl.pid
	l.Len = 0
	if fl.end != offsetMax {
		l.Len = fl.end - fl.start + 1
	}
	if fl.kind == lockOFD {
		l.PID = -1
	}
	return nil
}

// SetLock implements fcntl F_SETLK, and with wait F_SETLKW, on descriptor
// fd of the table, which referred to f; with ofd the F_OFD_ variants
// (fcntl_setlk). A conflict is EAGAIN, or with wait a wait that c can
// interrupt, or EDEADLK when waiting would close a cycle of owners. A
// read lock needs f open for reading and a write lock for writing (EBADF).
func (t *FDTable) SetLock(c Ctx, fd int32, f *File, ofd, wait bool, l *Flock) error {
	req, err := t.posixRequest(f, l, c.PID())
	if err != nil {
		return err
	}
	if l.Type == F_RDLCK && !f.Readable() || l.Type == F_WRLCK && !f.Writable() {
		return linuxerr.EBADF
	}
	if ofd {
		if err := req.ofd(f, l); err != nil {
			return err
		}
	}
	if err := lockWait(c, f.Inode, req, wait, posixLock); err != nil {
		return err
	}
	// A close of fd while the lock was being taken may have come too
	// early to drop it: drop it now (the close/fcntl race fcntl_setlk
	// recovers from).
	if req.typ != F_UNLCK && !ofd && !t.holds(fd, f) {
		removePOSIXLocks(f.Inode, t)
		return linuxerr.EBADF
	}
	return nil
}

// Flock implements flock(2) on f for a lock of type typ (F_RDLCK for
// LOCK_SH, F_WRLCK for LOCK_EX, F_UNLCK for LOCK_UN), waiting unless
// nonblock (LOCK_NB: EWOULDBLOCK). The lock belongs to the open file
// description; taking one needs f open for reading or writing (EBADF).
func (f *File) Flock(c Ctx, typ int16, nonblock bool) error {
	if typ != F_UNLCK && !f.Readable() && !f.Writable() {
		return linuxerr.EBADF
	}
	req := &fileLock{kind: lockFlock, owner: f, pid: c.PID(), typ: typ, end: offsetMax}
	return lockWait(c, f.Inode, req, !nonblock, flockLock)
}
