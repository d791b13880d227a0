package uring

import (
	"encoding/binary"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/ktime"
)

// Timeout flags (IORING_TIMEOUT_*).
const (
	TimeoutAbs          = 1 << 0
	TimeoutUpdate       = 1 << 1
	TimeoutBoottime     = 1 << 2
	TimeoutRealtime     = 1 << 3
	TimeoutLinkUpdate   = 1 << 4
	TimeoutEtimeSuccess = 1 << 5
	timeoutClockMask    = TimeoutBoottime | TimeoutRealtime
	timeoutUpdateMask   = TimeoutUpdate | TimeoutLinkUpdate
)

// timeoutData is a TIMEOUT or LINK_TIMEOUT request's state.
type timeoutData struct {
	ns    int64 // relative duration, or absolute time on clock
	abs   bool
	clock int32
	flags uint32
	// count is the number of other completions that end a TIMEOUT
	// early (sqe->off); target the CQ count at which it does.
	count  uint32
	target uint64
}

// readTimespec reads a struct __kernel_timespec (get_timespec64; a
// negative field is EINVAL, as io_timeout_prep checks).
func readTimespec(t Task, addr uint64) (int64, error) {
	var b [16]byte
	if err := t.CopyIn(uintptr(addr), b[:]); err != nil {
		return 0, err
	}
	sec := int64(binary.LittleEndian.Uint64(b[0:]))
	nsec := int64(binary.LittleEndian.Uint64(b[8:]))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, linuxerr.EINVAL
	}
	if sec > maxSec {
		sec = maxSec
	}
	return sec*1e9 + nsec, nil
}

// maxSec bounds the seconds of a timespec so that it fits in int64
// nanoseconds (a longer timeout never fires anyway).
const maxSec = 1<<63/1_000_000_000 - 1

// timeoutClock returns the clock a timeout's flags name (io_timeout_get_clock).
func timeoutClock(flags uint32) int32 {
	switch flags & timeoutClockMask {
	case TimeoutBoottime:
		return ktime.ClockBoottime
	case TimeoutRealtime:
		return ktime.ClockRealtime
	}
	return ktime.ClockMonotonic
}

// prepTimeout is io_timeout_prep for TIMEOUT and LINK_TIMEOUT.
func prepTimeout(r *Req, link bool) error {
	s := &r.SQE
	if s.BufIndex != 0 || s.Len != 1 || s.FileIndex != 0 {
		return linuxerr.EINVAL
	}
	if s.Off != 0 && link {
		return linuxerr.EINVAL
	}
	f := s.OpFlags
	if f&^(TimeoutAbs|timeoutClockMask|TimeoutEtimeSuccess) != 0 {
		return linuxerr.EINVAL
	}
	if f&timeoutClockMask == timeoutClockMask {
		return linuxerr.EINVAL
	}
	ns, err := readTimespec(r.submitter, s.Addr)
	if err != nil {
		return err
	}
	r.Data = &timeoutData{ns: ns, abs: f&TimeoutAbs != 0, clock: timeoutClock(f), flags: f, count: uint32(s.Off)}
	return nil
}

// duration is how long from now a timeout runs.
func (d *timeoutData) duration() time.Duration {
	if !d.abs {
		return time.Duration(d.ns)
	}
	return time.Duration(max(d.ns-fs.ClockNow(d.clock), 0))
}

// issueTimeout arms a TIMEOUT (io_timeout): it completes with -ETIME
// when its time runs out (0 under IORING_TIMEOUT_ETIME_SUCCESS... which
// Linux reports as -ETIME without failing the link), or with 0 once
// count other requests have completed.
func issueTimeout(r *Req) (int32, error) {
	d := r.Data.(*timeoutData)
	ring := r.Ring
	ring.tmu.Lock()
	if d.count > 0 {
		d.target = ring.completions - ring.timeoutPosts + uint64(d.count)
	}
	ring.timeouts = append(ring.timeouts, r)
	ring.tmu.Unlock()
	r.setCancel(func() {
		if ring.removeTimeout(r) {
			r.Complete(-int32(linuxerr.ECANCELED.Errno()), 0)
		}
	})
	r.timer = time.AfterFunc(d.duration(), func() {
		if ring.removeTimeout(r) {
			ring.timedOut(r)
		}
	})
	return 0, ErrQueued
}

// timedOut completes a TIMEOUT whose time ran out (io_timeout_fn).
func (ring *Ring) timedOut(r *Req) {
	ring.tmu.Lock()
	ring.timeoutPosts++
	ring.tmu.Unlock()
	res := -int32(linuxerr.ETIME.Errno())
	if r.Data.(*timeoutData).flags&TimeoutEtimeSuccess != 0 {
		// Reported as -ETIME, but a success for the chain.
		if r.claimed.CompareAndSwap(false, true) {
			r.finish(res, 0, false)
		}
		return
	}
	r.Complete(res, 0)
}

// removeTimeout takes r off the ring's armed timeouts and stops its
// timer; it reports whether r was there.
func (ring *Ring) removeTimeout(r *Req) bool {
	ring.tmu.Lock()
	defer ring.tmu.Unlock()
	for i, x := range ring.timeouts {
		if x == r {
			ring.timeouts = append(ring.timeouts[:i], ring.timeouts[i+1:]...)
			if r.timer != nil {
				r.timer.Stop()
			}
			return true
		}
	}
	return false
}

// countCompletion counts a posted completion for the counting timeouts
// (io_flush_timeouts) and completes the ones it satisfies. A timeout's
// own expiry does not count.
func (ring *Ring) countCompletion() {
	ring.tmu.Lock()
	ring.completions++
	seq := ring.completions - ring.timeoutPosts
	var done []*Req
	for i := 0; i < len(ring.timeouts); i++ {
		r := ring.timeouts[i]
		d, ok := r.Data.(*timeoutData)
		if !ok || d.count == 0 || seq < d.target {
			continue
		}
		ring.timeouts = append(ring.timeouts[:i], ring.timeouts[i+1:]...)
		i--
		if r.timer != nil {
			r.timer.Stop()
		}
		done = append(done, r)
	}
	ring.tmu.Unlock()
	for _, r := range done {
		r.Complete(0, 0)
	}
}

// armLinkTimeout starts the timer of the LINK_TIMEOUT guarding r, once r
// has gone to wait (io_queue_linked_timeout). When it fires first, the
// timeout completes with -ETIME and r is cancelled (io_link_timeout_fn).
func (ring *Ring) armLinkTimeout(r *Req) {
	lt := r.lt
	if lt == nil || lt.timer != nil {
		return
	}
	d := lt.Data.(*timeoutData)
	lt.timer = time.AfterFunc(d.duration(), func() {
		if !lt.claimed.CompareAndSwap(false, true) {
			return
		}
		lt.conclude(-int32(linuxerr.ETIME.Errno()), 0, true)
		r.requestCancel()
	})
}

// disarm stops a linked timeout's timer.
func (r *Req) disarm() {
	if r.timer != nil {
		r.timer.Stop()
	}
}

// Timeout removal and update: IORING_OP_TIMEOUT_REMOVE (io_timeout_remove).
type timeoutRemoveData struct {
	target uint64
	update bool
	ns     int64
	flags  uint32
}

func prepTimeoutRemove(r *Req) error {
	s := &r.SQE
	if s.BufIndex != 0 || s.Len != 0 || s.FileIndex != 0 {
		return linuxerr.EINVAL
	}
	d := &timeoutRemoveData{target: s.Addr, flags: s.OpFlags}
	if s.OpFlags&timeoutUpdateMask != 0 {
		if s.OpFlags&timeoutUpdateMask == timeoutUpdateMask {
			return linuxerr.EINVAL
		}
		if s.OpFlags&^(timeoutUpdateMask|TimeoutAbs|timeoutClockMask|TimeoutEtimeSuccess) != 0 {
			return linuxerr.EINVAL
		}
		ns, err := readTimespec(r.submitter, s.Off)
		if err != nil {
			return err
		}
		d.update, d.ns = true, ns
	} else if s.OpFlags != 0 {
		return linuxerr.EINVAL
	}
	r.Data = d
	return nil
}

func issueTimeoutRemove(r *Req) (int32, error) {
	d := r.Data.(*timeoutRemoveData)
	ring := r.Ring
	ring.tmu.Lock()
	var t *Req
	for _, x := range ring.timeouts {
		if x.SQE.UserData == d.target {
			t = x
			break
		}
	}
	ring.tmu.Unlock()
	if d.flags&TimeoutLinkUpdate != 0 {
		return ring.updateLinkTimeout(d)
	}
	if t == nil {
		return 0, linuxerr.ENOENT
	}
	if !d.update {
		if ring.removeTimeout(t) {
			r.after = func() { t.Complete(-int32(linuxerr.ECANCELED.Errno()), 0) }
			return 0, nil
		}
		return 0, linuxerr.ENOENT
	}
	// io_timeout_update: re-arm with the new time.
	ring.tmu.Lock()
	defer ring.tmu.Unlock()
	if t.timer == nil || !t.timer.Stop() {
		return 0, linuxerr.ENOENT
	}
	td := t.Data.(*timeoutData)
	td.ns, td.abs, td.clock = d.ns, d.flags&TimeoutAbs != 0, timeoutClock(d.flags)
	t.timer = time.AfterFunc(td.duration(), func() {
		if ring.removeTimeout(t) {
			ring.timedOut(t)
		}
	})
	return 0, nil
}

// updateLinkTimeout re-arms a linked timeout (IORING_LINK_TIMEOUT_UPDATE).
func (ring *Ring) updateLinkTimeout(d *timeoutRemoveData) (int32, error) {
	ring.mu.Lock()
	var lt *Req
	for r := ring.inflight.head; r != nil; r = r.next {
		if r.SQE.Opcode == OpLinkTimeout && r.SQE.UserData == d.target && !r.claimed.Load() {
			lt = r
			break
		}
	}
	ring.mu.Unlock()
	if lt == nil || lt.timer == nil || !lt.timer.Stop() {
		return 0, linuxerr.ENOENT
	}
	td := lt.Data.(*timeoutData)
	td.ns, td.abs, td.clock = d.ns, d.flags&TimeoutAbs != 0, timeoutClock(d.flags)
	guarded := lt.ltFor
	lt.timer = nil
	guarded.lt = lt
	ring.armLinkTimeout(guarded)
	return 0, nil
}

func init() {
	Register(OpTimeout, &Op{Name: "TIMEOUT", Prep: func(r *Req) error { return prepTimeout(r, false) }, Issue: issueTimeout})
	Register(OpLinkTimeout, &Op{Name: "LINK_TIMEOUT", Prep: func(r *Req) error { return prepTimeout(r, true) },
		// A LINK_TIMEOUT is never issued on its own: it guards the
		// request before it (armLinkTimeout).
		Issue: func(r *Req) (int32, error) { return 0, linuxerr.EINVAL }})
	Register(OpTimeoutRemove, &Op{Name: "TIMEOUT_REMOVE", Prep: prepTimeoutRemove, Issue: issueTimeoutRemove})
}
