package uring

import (
	"encoding/binary"
	"math"
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
	TimeoutMultishot    = 1 << 6 // Linux 6.4, after liburing 2.3
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
	// multi marks an IORING_TIMEOUT_MULTISHOT timeout: it posts -ETIME
	// with IORING_CQE_F_MORE each period, repeats times in all (its
	// sqe->off, which then counts no completions), or for ever (0).
	multi   bool
	repeats uint32
}

// readTimespec reads a struct __kernel_timespec as io_uring's timeouts
// take it (get_timespec64, then timespec64_to_ktime): a negative field
// is EINVAL (io_timeout_prep checks), a tv_nsec of a second or more is
// not (it adds whole seconds), and the sum saturates as KTIME_MAX does.
func readTimespec(t Task, addr uint64) (int64, error) {
	sec, nsec, err := ReadTimespec(t, addr)
	if err != nil {
		return 0, err
	}
	if sec < 0 || nsec < 0 {
		return 0, linuxerr.EINVAL
	}
	return TimespecNs(sec, nsec), nil
}

// ReadTimespec reads a struct __kernel_timespec without judging it.
func ReadTimespec(t Task, addr uint64) (sec, nsec int64, err error) {
	var b [16]byte
	if err := t.CopyIn(uintptr(addr), b[:]); err != nil {
		return 0, 0, err
	}
	return int64(binary.LittleEndian.Uint64(b[0:])), int64(binary.LittleEndian.Uint64(b[8:])), nil
}

// TimespecNs is timespec64_to_ktime: sec seconds and nsec nanoseconds in
// nanoseconds, saturated at the largest int64 (KTIME_MAX), and not
// below the smallest.
func TimespecNs(sec, nsec int64) int64 {
	if sec >= maxSec {
		return math.MaxInt64
	}
	if sec <= -maxSec {
		return math.MinInt64
	}
	ns := sec * 1e9
	if nsec > 0 && ns > math.MaxInt64-nsec {
		return math.MaxInt64
	}
	if nsec < 0 && ns < math.MinInt64-nsec {
		return math.MinInt64
	}
	return ns + nsec
}

// maxSec bounds the seconds of a timespec so that it fits in int64
// nanoseconds (KTIME_SEC_MAX; a longer timeout never fires anyway).
const maxSec = math.MaxInt64 / 1_000_000_000

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
	if f&^(TimeoutAbs|timeoutClockMask|TimeoutEtimeSuccess|TimeoutMultishot) != 0 {
		return linuxerr.EINVAL
	}
	if f&timeoutClockMask == timeoutClockMask {
		return linuxerr.EINVAL
	}
	// A multishot timeout repeats a relative period.
	if f&TimeoutMultishot != 0 && f&TimeoutAbs != 0 {
		return linuxerr.EINVAL
	}
	ns, err := readTimespec(r.submitter, s.Addr)
	if err != nil {
		return err
	}
	d := &timeoutData{ns: ns, abs: f&TimeoutAbs != 0, clock: timeoutClock(f), flags: f, count: uint32(s.Off)}
	if f&TimeoutMultishot != 0 {
		d.multi, d.repeats, d.count = true, d.count, 0
	}
	r.Data = d
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
// when its time runs out (a failure for its chain unless
// IORING_TIMEOUT_ETIME_SUCCESS), or with 0 once count other requests
// have completed.
func issueTimeout(r *Req) (int32, error) {
	d := r.Data.(*timeoutData)
	ring := r.Ring
	ring.tmu.Lock()
	// Armed before the count is read: countCompletion either sees the
	// timeout or counted its completion before (see armed).
	ring.timeouts = append(ring.timeouts, r)
	ring.armed.Store(int32(len(ring.timeouts)))
	if d.count > 0 {
		d.target = ring.completions.Load() - ring.timeoutPosts + uint64(d.count)
	}
	// The timer is set under tmu: removeTimeout, which its function
	// calls, reads it there.
	r.timer = time.AfterFunc(d.duration(), func() { ring.timerFired(r) })
	ring.tmu.Unlock()
	r.setCancel(func() {
		if ring.removeTimeout(r) {
			r.Complete(-int32(linuxerr.ECANCELED.Errno()), 0)
		}
	})
	return 0, ErrQueued
}

// timerFired runs when a TIMEOUT's time is up: a multishot timeout with
// periods left posts -ETIME with IORING_CQE_F_MORE and starts its next
// period (io_timeout_complete, io_timeout_finish), any other ends.
func (ring *Ring) timerFired(r *Req) {
	d := r.Data.(*timeoutData)
	ring.tmu.Lock()
	if d.multi && !d.lastPeriod() {
		if ring.armedLocked(r) < 0 {
			ring.tmu.Unlock()
			return // removed or cancelled meanwhile
		}
		ring.timeoutPosts++
		// The next period is relative, as the timeout's mode stays
		// (an update's absolute time is taken as a duration too).
		r.timer = time.AfterFunc(time.Duration(d.ns), func() { ring.timerFired(r) })
		ring.tmu.Unlock()
		if !r.claimed.Load() {
			r.PostMore(-int32(linuxerr.ETIME.Errno()), 0)
		}
		return
	}
	ring.tmu.Unlock()
	if ring.removeTimeout(r) {
		ring.timedOut(r)
	}
}

// lastPeriod counts down a multishot timeout's periods and reports
// whether this one is its last; under tmu.
func (d *timeoutData) lastPeriod() bool {
	if d.repeats == 0 {
		return false // for ever
	}
	d.repeats--
	return d.repeats == 0
}

// armedLocked returns r's place among the armed timeouts, or -1; under
// tmu.
func (ring *Ring) armedLocked(r *Req) int {
	for i, x := range ring.timeouts {
		if x == r {
			return i
		}
	}
	return -1
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
			r.finish(res, 0, false, false)
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
	i := ring.armedLocked(r)
	if i < 0 {
		return false
	}
	ring.timeouts = append(ring.timeouts[:i], ring.timeouts[i+1:]...)
	ring.armed.Store(int32(len(ring.timeouts)))
	if r.timer != nil {
		r.timer.Stop()
	}
	return true
}

// countCompletion counts a posted completion for the counting timeouts
// (io_flush_timeouts) and completes the ones it satisfies. A timeout's
// own expiry does not count.
func (ring *Ring) countCompletion() {
	ring.completions.Add(1)
	if ring.armed.Load() == 0 {
		return
	}
	ring.tmu.Lock()
	seq := ring.completions.Load() - ring.timeoutPosts
	var done []*Req
	for i := 0; i < len(ring.timeouts); i++ {
		r := ring.timeouts[i]
		d, ok := r.Data.(*timeoutData)
		if !ok || d.count == 0 || seq < d.target {
			continue
		}
		ring.timeouts = append(ring.timeouts[:i], ring.timeouts[i+1:]...)
		ring.armed.Store(int32(len(ring.timeouts)))
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

// armLinkTimeout starts the timer of lt, the LINK_TIMEOUT guarding r,
// once r has gone to wait (io_queue_linked_timeout). When it fires
// first, the timeout completes with -ETIME and r is cancelled
// (io_link_timeout_fn). The caller read lt from r.lt before r could
// complete (finish clears it); the timer is set under tmu, so that a
// completion that claimed lt meanwhile either finds it to stop or left
// it unarmed.
func (ring *Ring) armLinkTimeout(r, lt *Req) {
	if lt == nil {
		return
	}
	ring.tmu.Lock()
	defer ring.tmu.Unlock()
	if lt.timer != nil || lt.claimed.Load() {
		return
	}
	lt.timer = time.AfterFunc(lt.Data.(*timeoutData).duration(), func() { ring.linkTimedOut(r, lt) })
}

// linkTimedOut completes lt with -ETIME and cancels r, unless r's
// completion claimed lt first.
func (ring *Ring) linkTimedOut(r, lt *Req) {
	if !lt.claimed.CompareAndSwap(false, true) {
		return
	}
	lt.conclude(-int32(linuxerr.ETIME.Errno()), 0, true, false)
	r.requestCancel()
}

// disarm stops a linked timeout's timer.
func (r *Req) disarm() {
	r.Ring.tmu.Lock()
	if r.timer != nil {
		r.timer.Stop()
	}
	r.Ring.tmu.Unlock()
}

// Timeout removal and update: IORING_OP_TIMEOUT_REMOVE (io_timeout_remove).
type timeoutRemoveData struct {
	target uint64
	update bool
	ns     int64
	flags  uint32
}

// prepTimeoutRemove is io_timeout_remove_prep. With
// IORING_TIMEOUT_UPDATE (or IORING_LINK_TIMEOUT_UPDATE) in its flags it
// reads the new time from sqe->addr2 and accepts only those flags and
// IORING_TIMEOUT_ABS: an update keeps the timeout's clock. A
// LINK_TIMEOUT_UPDATE without TIMEOUT_UPDATE reads the time but then
// removes, as Linux's io_timeout_remove tests TIMEOUT_UPDATE alone.
func prepTimeoutRemove(r *Req) error {
	s := &r.SQE
	if r.Fixed || s.BufIndex != 0 || s.Len != 0 || s.FileIndex != 0 {
		return linuxerr.EINVAL
	}
	f := s.OpFlags
	d := &timeoutRemoveData{target: s.Addr, flags: f}
	if f&timeoutUpdateMask != 0 {
		if f&timeoutClockMask == timeoutClockMask {
			return linuxerr.EINVAL
		}
		if f&^(timeoutUpdateMask|TimeoutAbs) != 0 {
			return linuxerr.EINVAL
		}
		ns, err := readTimespec(r.submitter, s.Off)
		if err != nil {
			return err
		}
		d.update, d.ns = f&TimeoutUpdate != 0, ns
	} else if f != 0 {
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
	if d.update && d.flags&TimeoutLinkUpdate != 0 {
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
	// The timeout keeps its clock and loses its completion count: an
	// updated timeout is a pure one, and a multishot one repeats for
	// ever (io_timeout_update sets off to 0).
	td := t.Data.(*timeoutData)
	td.ns, td.abs, td.count, td.repeats = d.ns, d.flags&TimeoutAbs != 0, 0, 0
	t.timer = time.AfterFunc(td.duration(), func() { ring.timerFired(t) })
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
	if lt == nil {
		return 0, linuxerr.ENOENT
	}
	ring.tmu.Lock()
	defer ring.tmu.Unlock()
	// Not armed yet (its request has not gone to wait), or already
	// fired: nothing to update (io_linked_timeout_update: -ENOENT or
	// -EALREADY; oyako reports both as -ENOENT).
	if lt.timer == nil || !lt.timer.Stop() {
		return 0, linuxerr.ENOENT
	}
	td := lt.Data.(*timeoutData)
	td.ns, td.abs = d.ns, d.flags&TimeoutAbs != 0
	guarded := lt.ltFor
	lt.timer = time.AfterFunc(td.duration(), func() { ring.linkTimedOut(guarded, lt) })
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
