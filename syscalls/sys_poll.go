package syscalls

import (
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel"
	"oyako/kernel/ktime"
)

// poll, ppoll, select and pselect6 (fs/select.c): every file is asked
// for its readiness; if none is ready the caller waits on all their wait
// queues at once until one changes, the timeout passes or a signal comes.
// An interrupted call returns EINTR if a handler runs and is restarted
// otherwise (ERESTARTNOHAND).

// pollFD is one watched descriptor.
type pollFD struct {
	fd     int32
	events uint32
	file   *fs.File
}

// doPoll waits until one of fds is ready or the deadline (0: none; a
// deadline in the past: do not wait) and returns the events of each.
func doPoll(t *kernel.Task, fds []pollFD, deadline int64, timed bool) ([]uint32, int, error) {
	revents := make([]uint32, len(fds))
	var timer <-chan time.Time
	if timed {
		tm := time.NewTimer(time.Duration(max(deadline-ktime.Now(), 0)))
		defer tm.Stop()
		timer = tm.C
	}
	for {
		n := 0
		for i, p := range fds {
			switch {
			case p.fd < 0:
				revents[i] = 0
			case p.file == nil:
				revents[i] = fs.EventNval
			default:
				revents[i] = fs.PollFile(p.file, p.events)
			}
			if revents[i] != 0 {
				n++
			}
		}
		if n > 0 || timed && ktime.Now() >= deadline {
			return revents, n, nil
		}
		w := fs.NewMultiWaiter()
		for _, p := range fds {
			if p.file != nil {
				w.Watch(p.file, p.events)
			}
		}
		// Anything that became ready while registering?
		ready := false
		for _, p := range fds {
			if p.file != nil && fs.PollFile(p.file, p.events) != 0 {
				ready = true
			}
		}
		if !ready {
			if err := blockOr(t, w.Ready(), timer); err != nil {
				w.Close()
				return revents, 0, err
			}
		}
		w.Close()
	}
}

// blockOr waits for ready or the timer (which may be nil), interruptibly.
func blockOr(t *kernel.Task, ready <-chan struct{}, timer <-chan time.Time) error {
	if timer == nil {
		if err := t.Block(ready); err != nil {
			return linuxerr.ERESTARTNOHAND
		}
		return nil
	}
	t.BeginSleep(true)
	defer t.EndSleep()
	select {
	case <-ready:
		return nil
	case <-timer:
		return nil
	case <-t.Interrupted():
		return linuxerr.ERESTARTNOHAND
	}
}

// getPollFiles looks up the descriptors; the caller drops the references.
func getPollFiles(t *kernel.Task, fds []pollFD) {
	for i := range fds {
		if fds[i].fd >= 0 {
			fds[i].file, _ = getFile(t, uintptr(fds[i].fd))
		}
	}
}

func putPollFiles(fds []pollFD) {
	for _, p := range fds {
		if p.file != nil {
			p.file.DecRef()
		}
	}
}

// pollCommon is poll and ppoll after the timeout and mask are read.
func pollCommon(t *kernel.Task, addr uintptr, nfds uintptr, deadline int64, timed bool) (uintptr, error) {
	if uint64(nfds) > t.Proc.Rlimit(rlimitNofile)[0] {
		return 0, linuxerr.EINVAL
	}
	b := make([]byte, 8*nfds)
	if err := t.CopyIn(addr, b); err != nil {
		return 0, err
	}
	fds := make([]pollFD, nfds)
	for i := range fds {
		fds[i] = pollFD{fd: int32(le32(b[8*i:])), events: uint32(le16(b[8*i+4:]))}
	}
	getPollFiles(t, fds)
	defer putPollFiles(fds)
	revents, n, err := doPoll(t, fds, deadline, timed)
	if err != nil {
		return 0, err
	}
	for i := range fds {
		putU16(b, 8*i+6, uint16(revents[i]))
	}
	return uintptr(n), t.CopyOut(addr, b)
}

// sysPoll implements poll(2): timeout in milliseconds, negative for none.
func sysPoll(t *kernel.Task, a *Args) (uintptr, error) {
	ms := int32(a[2])
	return pollCommon(t, a[0], a[1], ktime.Now()+int64(ms)*1e6, ms >= 0)
}

// sysPpoll implements ppoll(2): a timespec timeout (NULL: none) and a
// signal mask in place while it waits.
func sysPpoll(t *kernel.Task, a *Args) (uintptr, error) {
	deadline, timed, err := timespecDeadline(t, a[2])
	if err != nil {
		return 0, err
	}
	if err := setCallMask(t, a[3], a[4]); err != nil {
		return 0, err
	}
	return pollCommon(t, a[0], a[1], deadline, timed)
}

// timespecDeadline reads an optional relative timespec timeout.
func timespecDeadline(t *kernel.Task, addr uintptr) (int64, bool, error) {
	if addr == 0 {
		return 0, false, nil
	}
	sec, nsec, err := readTimespec(t, addr)
	if err != nil {
		return 0, false, err
	}
	return ktime.Now() + sec*1e9 + nsec, true, nil
}

// setCallMask installs the signal mask a call (ppoll, pselect6) waits
// with; it is restored when the call returns.
func setCallMask(t *kernel.Task, addr, size uintptr) error {
	if addr == 0 {
		return nil
	}
	if size != sigsetSize {
		return linuxerr.EINVAL
	}
	mask, err := copyInU64(t, addr)
	if err != nil {
		return err
	}
	t.SetSavedMask(mask)
	return nil
}

// The fd_set event classes (fs/select.c POLLIN_SET and friends).
const (
	pollInSet  = fs.EventRdNorm | fs.EventRdBand | fs.EventIn | fs.EventHup | fs.EventErr
	pollOutSet = fs.EventWrBand | fs.EventWrNorm | fs.EventOut | fs.EventErr
	pollExSet  = fs.EventPri
)

// selectCommon is select and pselect6 after the timeout and mask are read.
func selectCommon(t *kernel.Task, n int32, inp, outp, exp uintptr, deadline int64, timed bool) (uintptr, error) {
	if n < 0 {
		return 0, linuxerr.EINVAL
	}
	max := int32(t.Proc.Rlimit(rlimitNofile)[0])
	if n > max {
		n = max
	}
	words := (int(n) + 63) / 64
	sets := [3][]uint64{}
	for i, addr := range [3]uintptr{inp, outp, exp} {
		if addr == 0 {
			continue
		}
		b := make([]byte, 8*words)
		if err := t.CopyIn(addr, b); err != nil {
			return 0, err
		}
		sets[i] = make([]uint64, words)
		for w := range sets[i] {
			sets[i][w] = le64(b[8*w:])
		}
	}
	var fds []pollFD
	for fd := int32(0); fd < n; fd++ {
		var ev uint32
		bit := uint64(1) << (fd % 64)
		for i, class := range [3]uint32{pollInSet, pollOutSet, pollExSet} {
			if sets[i] != nil && sets[i][fd/64]&bit != 0 {
				ev |= class
			}
		}
		if ev != 0 {
			fds = append(fds, pollFD{fd: fd, events: ev})
		}
	}
	getPollFiles(t, fds)
	defer putPollFiles(fds)
	for _, p := range fds {
		if p.file == nil {
			return 0, linuxerr.EBADF
		}
	}
	revents, _, err := doPoll(t, fds, deadline, timed)
	if err != nil {
		return 0, err
	}
	out := [3][]uint64{}
	count := 0
	for i := range sets {
		if sets[i] != nil {
			out[i] = make([]uint64, words)
		}
	}
	for k, p := range fds {
		for i, class := range [3]uint32{pollInSet, pollOutSet, pollExSet} {
			if sets[i] != nil && sets[i][p.fd/64]&(1<<(p.fd%64)) != 0 && revents[k]&class != 0 {
				out[i][p.fd/64] |= 1 << (p.fd % 64)
				count++
			}
		}
	}
	for i, addr := range [3]uintptr{inp, outp, exp} {
		if addr == 0 {
			continue
		}
		b := make([]byte, 8*words)
		for w, v := range out[i] {
			putU64(b, 8*w, v)
		}
		if err := t.CopyOut(addr, b); err != nil {
			return 0, err
		}
	}
	return uintptr(count), nil
}

// sysSelect implements select(2): the remaining time is written back to
// the timeval, as Linux does.
func sysSelect(t *kernel.Task, a *Args) (uintptr, error) {
	var deadline int64
	timed := a[4] != 0
	if timed {
		var b [16]byte
		if err := t.CopyIn(a[4], b[:]); err != nil {
			return 0, err
		}
		sec, usec := int64(le64(b[:])), int64(le64(b[8:]))
		if sec < 0 || usec < 0 || usec >= 1e6 {
			return 0, linuxerr.EINVAL
		}
		deadline = ktime.Now() + sec*1e9 + usec*1e3
	}
	n, err := selectCommon(t, int32(a[0]), a[1], a[2], a[3], deadline, timed)
	if timed && (err == nil || linuxerr.Equals(linuxerr.ERESTARTNOHAND, err)) {
		left := max(deadline-ktime.Now(), 0)
		var b [16]byte
		putU64(b[:], 0, uint64(left/1e9))
		putU64(b[:], 8, uint64(left%1e9/1e3))
		t.CopyOut(a[4], b[:])
	}
	return n, err
}

// sysPselect6 implements pselect6(2): a timespec timeout and a signal
// mask given as {sigset_t *, size_t}.
func sysPselect6(t *kernel.Task, a *Args) (uintptr, error) {
	deadline, timed, err := timespecDeadline(t, a[4])
	if err != nil {
		return 0, err
	}
	if a[5] != 0 {
		var b [16]byte
		if err := t.CopyIn(a[5], b[:]); err != nil {
			return 0, err
		}
		if err := setCallMask(t, uintptr(le64(b[:])), uintptr(le64(b[8:]))); err != nil {
			return 0, err
		}
	}
	return selectCommon(t, int32(a[0]), a[1], a[2], a[3], deadline, timed)
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le32(b []byte) uint32 { return uint32(le16(b)) | uint32(le16(b[2:]))<<16 }
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }
