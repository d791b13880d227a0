package syscalls

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/epoll"
	"oyako/fs"
	"oyako/kernel/task"
	"oyako/signals"
)

// poll(2), ppoll(2), select(2) and pselect6(2) (fs/select.c), on
// epoll.Poll: every file is asked for its readiness; if none is ready the
// caller waits on all their wait queues at once until one changes, the
// timeout passes or a signal comes.

// pollfdSize is sizeof(struct pollfd): int fd, short events, short revents.
const pollfdSize = 8

// pollStackFDs is how many entries poll and select keep in arrays on
// their stack; more are allocated (Linux's POLL_STACK_ALLOC: 256 bytes,
// 32 struct pollfd).
const pollStackFDs = 32

// lookupPollFDs sets the File of each entry whose descriptor is open, with
// a reference the caller drops with putPollFDs, holding the descriptor
// table's lock once for them all.
func lookupPollFDs(t *task.Task, fds []epoll.PollFD) {
	epoll.LookupFiles(t.Proc.FDs(), fds)
}

// pollBufs keeps the arrays of polls and selects too large for the
// stack between calls: a program polling a thousand descriptors over and
// over would otherwise allocate (and clear) them, and feed the garbage
// collector, every time.
var pollBufs sync.Pool // of *pollBuf

type pollBuf struct {
	fds []epoll.PollFD
	b   []byte
}

// getPollBuf returns a pollBuf with room for nfds entries and nbytes
// bytes; their contents are stale, for the caller to overwrite.
func getPollBuf(nfds, nbytes int) *pollBuf {
	pb, _ := pollBufs.Get().(*pollBuf)
	if pb == nil {
		pb = new(pollBuf)
	}
	if cap(pb.fds) < nfds {
		pb.fds = make([]epoll.PollFD, nfds)
	}
	if cap(pb.b) < nbytes {
		pb.b = make([]byte, nbytes)
	}
	return pb
}

// put returns pb, its first n entries cleared of their files.
func (pb *pollBuf) put(n int) {
	clear(pb.fds[:n])
	pollBufs.Put(pb)
}

func putPollFDs(fds []epoll.PollFD) {
	for i := range fds {
		if f := fds[i].File; f != nil {
			f.DecRef()
		}
	}
}

// doPoll is do_sys_poll: more entries than RLIMIT_NOFILE is EINVAL; the
// array at addr is copied in, polled, and each entry's revents, and only
// that field (__put_user of each), is written back.
func doPoll(t *task.Task, addr uintptr, nfds uint32, deadline time.Time, noWait bool) (int, error) {
	if uint64(nfds) > t.Proc.Rlimit(rlimitNofile)[0] {
		return 0, linuxerr.EINVAL
	}
	var fdbuf [pollStackFDs]epoll.PollFD
	var bbuf [pollStackFDs * pollfdSize]byte
	var fds []epoll.PollFD
	var b []byte
	if nfds <= pollStackFDs {
		fds, b = fdbuf[:nfds], bbuf[:pollfdSize*nfds]
	} else {
		pb := getPollBuf(int(nfds), pollfdSize*int(nfds))
		defer pb.put(int(nfds))
		fds, b = pb.fds[:nfds], pb.b[:pollfdSize*nfds]
	}
	if err := t.CopyIn(addr, b); err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	for i := range fds {
		fds[i].FD, fds[i].Events = int32(le.Uint32(b[pollfdSize*i:])), le.Uint16(b[pollfdSize*i+4:])
	}
	lookupPollFDs(t, fds)
	n, err := epoll.Poll(t, fds, deadline, noWait)
	putPollFDs(fds)
	if nfds == 0 {
		return n, err
	}
	// As Linux, revents is written back even when the wait failed
	// (EINTR: all zero), and a fault doing so is the call's error. The
	// range is from the first revents to the end of the last, so that
	// no page is written to that holds none of them.
	const reventsOff = 6
	werr := t.AccessUser(addr+reventsOff, pollfdSize*int(nfds)-reventsOff, true, func(p []byte, off int) {
		// p is bytes [off, off+len(p)) of the range; entry i's revents
		// is at pollfdSize*i, its second byte one after.
		for i := off / pollfdSize; pollfdSize*i < off+len(p); i++ {
			at := pollfdSize*i - off
			if at >= 0 {
				p[at] = byte(fds[i].Revents)
			}
			if at+1 >= 0 && at+1 < len(p) {
				p[at+1] = byte(fds[i].Revents >> 8)
			}
		}
	})
	if werr != nil {
		return 0, werr
	}
	return n, err
}

// sysPoll implements poll(2): a negative timeout waits for ever, 0 does
// not wait. A signal's handler makes it fail with EINTR, whatever
// SA_RESTART says; without one (a stop and continue) restart_syscall
// polls again until the same deadline (do_restart_poll).
func sysPoll(t *task.Task, a *Args) (uintptr, error) {
	timeout := int32(a[2])
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	return pollRestartable(t, a[0], uint32(a[1]), deadline, timeout == 0)
}

func pollRestartable(t *task.Task, addr uintptr, nfds uint32, deadline time.Time, noWait bool) (uintptr, error) {
	n, err := doPoll(t, addr, nfds, deadline, noWait)
	if linuxerr.Equals(linuxerr.EINTR, err) {
		t.SetRestart(func() (uintptr, error) { return pollRestartable(t, addr, nfds, deadline, noWait) })
		return 0, linuxerr.ERESTART_RESTARTBLOCK
	}
	return uintptr(n), err
}

// sysPpoll implements ppoll(2): the timeout is a timespec (NULL: none),
// and the signal mask, if given, replaces the caller's while it waits; a
// signal that interrupts it runs its handler with that mask still in
// place (the old one comes back after the handler), and the call fails
// with EINTR, or restarts if no handler ran. The time left is written
// back to the timespec (poll_select_copy_remaining).
func sysPpoll(t *task.Task, a *Args) (uintptr, error) {
	deadline, noWait, err := timespecTimeout(t, a[2])
	if err != nil {
		return 0, err
	}
	masked, err := setCallMask(t, a[3], a[4])
	if err != nil {
		return 0, err
	}
	n, err := doPoll(t, a[0], uint32(a[1]), deadline, noWait)
	err = endCallMask(t, masked, err)
	return uintptr(n), copyRemaining(t, a[2], deadline, noWait, false, err)
}

// copyRemaining is poll_select_finish: the time left until deadline (none
// if it passed) is written back to the timespec or timeval at addr, unless
// there is none or it was zero. If it cannot be, a call that would restart
// fails with EINTR instead: a restart would wait the whole time again.
func copyRemaining(t *task.Task, addr uintptr, deadline time.Time, noWait, timeval bool, err error) error {
	if addr == 0 || noWait {
		return err
	}
	left := int64(max(time.Until(deadline), 0))
	b := timespecBytes(left)
	if timeval {
		putU64(b, 8, uint64(left%1e9/1e3))
	}
	if t.CopyOut(addr, b) != nil && linuxerr.Equals(linuxerr.ERESTARTNOHAND, err) {
		return linuxerr.EINTR
	}
	return err
}

// relativeDeadline is when a relative timeout of sec and nsec (valid,
// not both zero) ends; one too long for a time.Duration ends in about
// 292 years (Linux's timespec64_add_safe saturates too).
func relativeDeadline(sec, nsec int64) time.Time {
	d := time.Duration(math.MaxInt64)
	if sec < int64(d/time.Second)-1 {
		d = time.Duration(sec)*time.Second + time.Duration(nsec)
	}
	return time.Now().Add(d)
}

// timespecTimeout reads the relative timespec timeout of ppoll and
// pselect6: NULL waits for ever (a zero deadline), zero does not wait.
func timespecTimeout(t *task.Task, addr uintptr) (deadline time.Time, noWait bool, err error) {
	if addr == 0 {
		return time.Time{}, false, nil
	}
	sec, nsec, err := readTimespec(t, addr)
	if err != nil {
		return time.Time{}, false, err
	}
	if sec == 0 && nsec == 0 {
		return time.Time{}, true, nil
	}
	return relativeDeadline(sec, nsec), false, nil
}

// setCallMask puts the signal mask at addr (if any) in place for the
// call (ppoll, pselect6): a handler of a signal that interrupts the call
// runs with it, and the old one comes back afterwards.
func setCallMask(t *task.Task, addr, size uintptr) (bool, error) {
	if addr == 0 {
		return false, nil
	}
	if size != sigsetSize {
		return false, linuxerr.EINVAL
	}
	mask, err := copyInU64(t, addr)
	if err != nil {
		return false, err
	}
	t.SetSavedMask(mask &^ signals.Unblockable)
	return true, nil
}

// endCallMask ends a call that set a mask with setCallMask: interrupted
// (EINTR), it restarts unless a handler runs, which gets the saved mask;
// otherwise the old mask comes back now.
func endCallMask(t *task.Task, masked bool, err error) error {
	if linuxerr.Equals(linuxerr.EINTR, err) {
		return linuxerr.ERESTARTNOHAND // the saved mask stays for the handler
	}
	if masked {
		t.RestoreSavedMask()
	}
	return err
}

// endCallMaskEINTR ends a call that set a mask with setCallMask and that
// Linux never restarts (epoll_pwait, io_uring_enter: -EINTR whatever the
// handler's SA_RESTART): interrupted, the saved mask stays for the
// handler, or comes back on the way out if none runs; otherwise it comes
// back now.
func endCallMaskEINTR(t *task.Task, masked bool, err error) error {
	if masked && !linuxerr.Equals(linuxerr.EINTR, err) {
		t.RestoreSavedMask()
	}
	return err
}

// The fd_set event classes (fs/select.c POLLIN_SET and friends).
const (
	pollInSet  = fs.EventRdNorm | fs.EventRdBand | fs.EventIn | fs.EventHup | fs.EventErr
	pollOutSet = fs.EventWrBand | fs.EventWrNorm | fs.EventOut | fs.EventErr
	pollExSet  = fs.EventPri
)

// selectStackWords is how many 64-bit words of each fd_set select keeps
// on its stack: FD_SETSIZE (1024) descriptors.
const selectStackWords = 16

// selectCommon is select and pselect6 after the timeout and mask are read
// (core_sys_select): the descriptors of the three sets become poll
// entries; a descriptor that is not open is EBADF if it is within the
// descriptor table's size, and not looked at past it. Sets of up to
// FD_SETSIZE descriptors and up to pollStackFDs entries live on the
// stack.
func selectCommon(t *task.Task, n int32, addrs [3]uintptr, deadline time.Time, noWait bool) (uintptr, error) {
	if n < 0 {
		return 0, linuxerr.EINVAL
	}
	// Descriptors past the table's size are not looked at, open or not
	// (fdt->max_fds).
	if max := int32(t.Proc.FDs().Size()); n > max {
		n = max
	}
	words := (int(n) + 63) / 64
	var stack [3][selectStackWords]uint64
	var bstack [8 * selectStackWords]byte
	var sets [3][]uint64
	var b []byte
	if words <= selectStackWords {
		b = bstack[:8*words]
	} else {
		b = make([]byte, 8*words)
	}
	for i, addr := range addrs {
		if addr == 0 {
			continue
		}
		if err := t.CopyIn(addr, b); err != nil {
			return 0, err
		}
		if words <= selectStackWords {
			sets[i] = stack[i][:words]
		} else {
			sets[i] = make([]uint64, words)
		}
		for w := range sets[i] {
			sets[i][w] = binary.LittleEndian.Uint64(b[8*w:])
		}
	}
	// word is the descriptors of word w of the sets, each set's bits and
	// those of any set; bits past n are not looked at.
	word := func(w int) (in, out, ex, any uint64) {
		if sets[0] != nil {
			in = sets[0][w]
		}
		if sets[1] != nil {
			out = sets[1][w]
		}
		if sets[2] != nil {
			ex = sets[2][w]
		}
		any = in | out | ex
		if w == words-1 && n%64 != 0 {
			any &= 1<<(n%64) - 1
		}
		return
	}
	all := 0
	for w := 0; w < words; w++ {
		_, _, _, any := word(w)
		all += bits.OnesCount64(any)
	}
	var fdstack [pollStackFDs]epoll.PollFD
	fds := fdstack[:0]
	if all > pollStackFDs {
		pb := getPollBuf(all, 0)
		defer pb.put(all)
		fds = pb.fds[:0]
	}
	for w := 0; w < words; w++ {
		in, out, ex, any := word(w)
		for any != 0 {
			bit := uint(bits.TrailingZeros64(any))
			any &= any - 1
			var ev uint32
			if in>>bit&1 != 0 {
				ev |= pollInSet
			}
			if out>>bit&1 != 0 {
				ev |= pollOutSet
			}
			if ex>>bit&1 != 0 {
				ev |= pollExSet
			}
			fds = append(fds, epoll.PollFD{FD: int32(64*w) + int32(bit), Events: uint16(ev)})
		}
	}
	lookupPollFDs(t, fds)
	for i := range fds {
		if fds[i].File == nil {
			putPollFDs(fds)
			return 0, linuxerr.EBADF
		}
	}
	_, err := epoll.Poll(t, fds, deadline, noWait)
	putPollFDs(fds)
	if err != nil {
		return 0, err
	}
	// The results replace the sets: which sets a descriptor was in is
	// in its events, each class having a bit of its own (POLLIN,
	// POLLOUT, POLLPRI).
	for i := range sets {
		clear(sets[i])
	}
	count := 0
	for _, p := range fds {
		ev, rev := uint32(p.Events), uint32(p.Revents)
		w, bit := p.FD/64, uint64(1)<<(p.FD%64)
		if ev&fs.EventIn != 0 && rev&pollInSet != 0 {
			sets[0][w] |= bit
			count++
		}
		if ev&fs.EventOut != 0 && rev&pollOutSet != 0 {
			sets[1][w] |= bit
			count++
		}
		if ev&fs.EventPri != 0 && rev&pollExSet != 0 {
			sets[2][w] |= bit
			count++
		}
	}
	for i, addr := range addrs {
		if addr == 0 {
			continue
		}
		for w, v := range sets[i] {
			binary.LittleEndian.PutUint64(b[8*w:], v)
		}
		if err := t.CopyOut(addr, b); err != nil {
			return 0, err
		}
	}
	return uintptr(count), nil
}

// sysSelect implements select(2): the time left is written back to the
// timeval, as Linux does; a signal's handler makes it fail with EINTR,
// and without one it starts again (ERESTARTNOHAND). As Linux's
// kern_select, tv_usec may hold whole seconds: {0, 1500000} is 1.5 s;
// only a negative second or microsecond part after carrying them is
// EINVAL.
func sysSelect(t *task.Task, a *Args) (uintptr, error) {
	var deadline time.Time
	noWait := false
	if a[4] != 0 {
		var b [16]byte
		if err := t.CopyIn(a[4], b[:]); err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		sec, usec := int64(le.Uint64(b[:])), int64(le.Uint64(b[8:]))
		sec, nsec := sec+usec/1e6, usec%1e6*1e3 // poll_select_set_timeout's arguments
		if sec < 0 || nsec < 0 {
			return 0, linuxerr.EINVAL
		}
		if noWait = sec == 0 && nsec == 0; !noWait {
			deadline = relativeDeadline(sec, nsec)
		}
	}
	n, err := selectCommon(t, int32(a[0]), [3]uintptr{a[1], a[2], a[3]}, deadline, noWait)
	if linuxerr.Equals(linuxerr.EINTR, err) {
		err = linuxerr.ERESTARTNOHAND
	}
	return n, copyRemaining(t, a[4], deadline, noWait, true, err)
}

// sysPselect6 implements pselect6(2): a timespec timeout, whose time left
// is written back as select's is, and a signal mask given as
// {sigset_t *, size_t}, in place while it waits and, if a signal
// interrupts it, while that signal's handler runs.
func sysPselect6(t *task.Task, a *Args) (uintptr, error) {
	deadline, noWait, err := timespecTimeout(t, a[4])
	if err != nil {
		return 0, err
	}
	masked := false
	if a[5] != 0 {
		var b [16]byte
		if err := t.CopyIn(a[5], b[:]); err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		if masked, err = setCallMask(t, uintptr(le.Uint64(b[:])), uintptr(le.Uint64(b[8:]))); err != nil {
			return 0, err
		}
	}
	n, err := selectCommon(t, int32(a[0]), [3]uintptr{a[1], a[2], a[3]}, deadline, noWait)
	return n, copyRemaining(t, a[4], deadline, noWait, false, endCallMask(t, masked, err))
}
