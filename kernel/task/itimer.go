package task

import (
	"sync"
	"time"

	"oyako/kernel/ktime"
	"oyako/signals"
)

// The real-time interval timer of setitimer(2) and alarm(2) (Linux's
// signal_struct real_timer and it_real_incr, kernel/time/itimer.c): one
// per process, counting down in real time; at expiry it sends SIGALRM to
// the process (from the kernel: SI_KERNEL) and starts again if it has an
// interval. A forked child starts without one, execve keeps it, and the
// process's exit cancels it.
// The CPU-time interval timers (ITIMER_VIRTUAL, ITIMER_PROF) are in
// cputimer.go.

// ITimerVal is an interval timer's setting (struct itimerspec64): the
// time to the next expiry (0: disarmed) and the interval it is reloaded
// with, in ns.
type ITimerVal struct{ Value, Interval int64 }

type realTimer struct {
	mu       sync.Mutex
	timer    *time.Timer
	gen      uint64 // which arming a firing timer belongs to
	expires  int64  // monotonic ns of the next expiry; 0 when disarmed
	interval int64
}

// RealTimer returns the setting of the process's real timer
// (getitimer(ITIMER_REAL)).
func (p *Process) RealTimer() ITimerVal {
	rt := &p.realTimer
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.getLocked()
}

// SetRealTimer arms the process's real timer (v.Value > 0) or disarms it,
// and returns the previous setting (do_setitimer's ITIMER_REAL case).
func (p *Process) SetRealTimer(v ITimerVal) ITimerVal {
	rt := &p.realTimer
	rt.mu.Lock()
	defer rt.mu.Unlock()
	old := rt.getLocked()
	if rt.timer != nil {
		rt.timer.Stop()
		rt.timer = nil
	}
	rt.gen++
	rt.expires, rt.interval = 0, 0
	if v.Value > 0 {
		rt.interval = v.Interval
		rt.armLocked(p, ktime.Now()+v.Value)
	}
	return old
}

// getLocked is itimer_get_remtime: an expired timer whose signal is not
// sent yet reports 1 µs left rather than none.
func (rt *realTimer) getLocked() ITimerVal {
	if rt.expires == 0 {
		return ITimerVal{}
	}
	left := rt.expires - ktime.Now()
	if left <= 0 {
		left = 1000
	}
	return ITimerVal{Value: left, Interval: rt.interval}
}

func (rt *realTimer) armLocked(p *Process, at int64) {
	rt.expires = at
	gen := rt.gen
	rt.timer = time.AfterFunc(time.Duration(at-ktime.Now()), func() { p.realTimerFired(gen) })
}

// realTimerFired is it_real_fn: SIGALRM, and the next expiry one
// interval later (hrtimer_forward: expiries missed meanwhile are
// coalesced into this one).
func (p *Process) realTimerFired(gen uint64) {
	rt := &p.realTimer
	rt.mu.Lock()
	if gen != rt.gen || rt.expires == 0 {
		rt.mu.Unlock()
		return
	}
	if rt.interval > 0 {
		next, _ := ktime.Forward(rt.expires, rt.interval, max(ktime.Now(), rt.expires))
		rt.armLocked(p, next)
	} else {
		rt.expires, rt.timer = 0, nil
	}
	rt.mu.Unlock()
	p.SendSignal(signals.SIGALRM)
}
