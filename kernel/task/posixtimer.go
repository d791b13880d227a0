package task

import (
	"math"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/kernel/ucount"
	"oyako/signals"
)

// POSIX per-process timers (timer_create(2) and friends), after Linux's
// kernel/time/posix-timers.c as of 6.13 and later:
//
//   - A timer belongs to its process; IDs count up from 0 per process
//     and are not reused until they wrap. fork starts without timers;
//     execve and the process's exit delete them.
//   - Each timer owns one preallocated signal (its struct sigqueue),
//     charged at creation to the creator's user against
//     RLIMIT_SIGPENDING (EAGAIN past it). So its signal is pending at
//     most once: an expiry while it is still pending counts as an
//     overrun.
//   - A timer with an interval is not re-armed when it expires, but when
//     its signal is delivered (posixtimer_deliver_signal): the expiries
//     missed meanwhile are the signal's si_overrun and what
//     timer_getoverrun(2) reports.
//   - A signal queued before timer_settime or timer_delete changed the
//     timer is dropped when it would be delivered (it_signal_seq).
//
// Wall-clock timers (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
// CLOCK_TAI and their _ALARM forms) run on the kernel's Go timers;
// CPU-time clocks on cpuTimer (cputimer.go).
//
// Limits: an absolute CLOCK_REALTIME timer is converted to the monotonic
// clock when armed, so a later settimeofday does not move it. A timer
// whose signal is ignored keeps running at its interval rather than
// parking until the signal is no longer ignored as Linux 6.13 does.

// sigevent notification kinds (include/uapi/asm-generic/siginfo.h).
const (
	SigevSignal   = 0
	SigevNone     = 1
	SigevThread   = 2
	SigevThreadID = 4
)

// SigEvent is the part of struct sigevent the kernel reads.
type SigEvent struct {
	Value    uint64 // sigev_value
	Signo    int32
	Notify   int32
	ThreadID int32 // sigev_notify_thread_id
}

type timerStatus uint8

const (
	timerDisarmed       timerStatus = iota
	timerArmed                      // counting down
	timerRequeuePending             // expired, interval timer: re-armed when its signal is delivered
)

// posixTimer is a timer_create(2) timer (struct k_itimer). Its state is
// under the process's mu.
type posixTimer struct {
	proc     *Process
	id       int32
	clock    int32
	cpu      *cpuTimer // a CPU-time clock's timer; nil for wall clocks
	notify   int32
	info     signals.SigInfo // the signal it sends: SI_TIMER, si_tid, si_value
	target   *Task           // SIGEV_THREAD_ID's thread; nil: the process
	user     *ucount.Count   // its preallocated signal's charge
	status   timerStatus
	expires  int64 // on its clock, ns
	interval int64
	// overrun counts the expiries since the last delivery, less one
	// (it_overrun starts at -1); overrunLast is the count of the signal
	// last delivered (timer_getoverrun).
	overrun, overrunLast int64
	seq                  uint64 // it_signal_seq: bumped by expiry, settime and delete
	queued               bool   // its signal is pending
	deleted              bool
	wall                 *time.Timer // a wall clock's Go timer
	wallGen              uint64      // which arming wall belongs to
}

// processTimers is a process's table of POSIX timers.
type processTimers struct {
	byID   map[int32]*posixTimer
	nextID int32
}

// TimerSetting is a timer's setting (struct itimerspec), in ns: Value 0
// means disarmed.
type TimerSetting struct{ Value, Interval int64 }

// wallClockNow reports whether clk is a clock the Go timers can drive,
// and its current time.
func wallClockNow(clk int32) (int64, bool) {
	switch clk {
	case ktime.ClockRealtime, ktime.ClockMonotonic, ktime.ClockBoottime, ktime.ClockTAI,
		ktime.ClockRealtimeAlarm, ktime.ClockBoottimeAlarm:
		return ktime.Clock(clk)
	}
	return 0, false
}

// TimerCreate implements timer_create(2) (do_timer_create): ev nil is
// the default event, SIGALRM to the process with the timer's ID as
// si_value. It returns the new timer's ID; the caller stores it and
// deletes the timer if that fails.
func (t *Task) TimerCreate(clk int32, ev *SigEvent) (int32, error) {
	p := t.Proc
	if _, ok := wallClockNow(clk); !ok && !isCPUClockID(clk) {
		if _, known := ktime.Clock(clk); known {
			return 0, linuxerr.EOPNOTSUPP // MONOTONIC_RAW, the coarse clocks
		}
		return 0, linuxerr.EINVAL
	}
	tm := &posixTimer{proc: p, clock: clk, overrun: -1, notify: SigevSignal}
	p.mu.Lock()
	defer p.mu.Unlock()
	// The timer's signal is allocated first, counted against the user's
	// RLIMIT_SIGPENDING (sigqueue_alloc without override): EAGAIN.
	if tm.user = p.chargeSigqueueLocked(false, mm.AdmitKernel(1)); tm.user == nil {
		return 0, linuxerr.EAGAIN
	}
	// Then its ID (posix_timer_add): the next one not in use, wrapping at
	// INT_MAX. A creation that fails from here on has used the ID up.
	pt := &p.timers
	if pt.byID == nil {
		pt.byID = make(map[int32]*posixTimer)
	}
	for first := pt.nextID; ; {
		id := pt.nextID
		if pt.nextID++; pt.nextID < 0 {
			pt.nextID = 0
		}
		if pt.byID[id] == nil {
			tm.id = id
			break
		}
		if pt.nextID == first {
			sigPending.Uncharge(tm.user)
			return 0, linuxerr.EAGAIN
		}
	}
	if err := p.timerInitLocked(t, tm, ev); err != nil {
		sigPending.Uncharge(tm.user)
		return 0, err
	}
	pt.byID[tm.id] = tm
	return tm.id, nil
}

// timerInitLocked checks the event (good_sigevent) and the clock of a
// new timer, and sets what it sends.
func (p *Process) timerInitLocked(t *Task, tm *posixTimer, ev *SigEvent) error {
	signo, value := signals.SIGALRM, uint64(tm.id)
	if ev != nil {
		switch ev.Notify {
		case SigevSignal | SigevThreadID:
			target := p.tasks[ev.ThreadID]
			if target == nil {
				return linuxerr.EINVAL
			}
			tm.target = target
			fallthrough
		case SigevSignal, SigevThread:
			if ev.Signo <= 0 || ev.Signo > signals.SIGRTMAX {
				return linuxerr.EINVAL
			}
		case SigevNone:
		default:
			return linuxerr.EINVAL
		}
		tm.notify, signo, value = ev.Notify, int(ev.Signo), ev.Value
	}
	tm.info = signals.TimerInfo(signo, tm.id, value)
	if isCPUClockID(tm.clock) {
		// posix_cpu_timer_create: the clock must be ours.
		p.mu.Unlock()
		c, _, err := t.DecodeCPUClock(tm.clock)
		p.mu.Lock()
		if err != nil {
			return err
		}
		if c.proc != p {
			return linuxerr.EINVAL
		}
		tm.cpu = &cpuTimer{clock: c, fire: func(_, _ int64, _ *Task) { p.timerExpiredLocked(tm) }}
	}
	return nil
}

// timerClockLocked reads the timer's clock.
func (p *Process) timerClockLocked(tm *posixTimer) int64 {
	if tm.cpu != nil {
		return tm.cpu.clock.nowLocked()
	}
	now, _ := wallClockNow(tm.clock)
	return now
}

// forward moves an interval timer's expiry past now and counts the
// intervals it moved (hrtimer_forward).
func (tm *posixTimer) forward(now int64) {
	var n int64
	tm.expires, n = ktime.Forward(tm.expires, tm.interval, now)
	tm.overrun += n
}

// TimerGet implements timer_gettime(2) (common_timer_get).
func (t *Task) TimerGet(id int32) (s TimerSetting, err error) {
	err = t.withTimer(id, func(p *Process, tm *posixTimer) { s = p.timerGetLocked(tm) })
	return s, err
}

// withTimer runs fn with the caller's timer id and its process's mu
// held: EINVAL if there is no such timer.
func (t *Task) withTimer(id int32, fn func(p *Process, tm *posixTimer)) error {
	p := t.Proc
	p.mu.Lock()
	defer p.mu.Unlock()
	tm := p.timers.byID[id]
	if tm == nil {
		return linuxerr.EINVAL
	}
	fn(p, tm)
	return nil
}

func (p *Process) timerGetLocked(tm *posixTimer) TimerSetting {
	s := TimerSetting{Interval: tm.interval}
	sigNone := tm.notify == SigevNone
	if tm.status == timerDisarmed && !sigNone {
		return s
	}
	if tm.status == timerDisarmed && tm.expires == 0 {
		return s
	}
	now := p.timerClockLocked(tm)
	// An interval timer waiting for its signal's delivery, or one that
	// sends none, reports its next expiry as if it had kept running.
	if tm.interval > 0 && (tm.status == timerRequeuePending || sigNone) {
		tm.forward(now)
	}
	left := tm.expires - now
	switch {
	case left > 0:
		s.Value = left
	case !sigNone:
		s.Value = 1 // expired, its signal not delivered yet
	}
	return s
}

// TimerSet implements timer_settime(2): the old setting, then the timer
// disarmed and, if s.Value is not 0, armed to expire s.Value from now
// (absolute: at s.Value on its clock).
func (t *Task) TimerSet(id int32, s TimerSetting, absolute bool) (old TimerSetting, err error) {
	err = t.withTimer(id, func(p *Process, tm *posixTimer) {
		old = p.timerGetLocked(tm)
		p.timerDisarmLocked(tm)
		tm.seq++ // a signal still pending from before is dropped
		tm.overrun, tm.overrunLast = -1, 0
		tm.interval = s.Interval
		if s.Value == 0 {
			return
		}
		now := p.timerClockLocked(tm)
		tm.expires = s.Value
		if !absolute {
			tm.expires += now
		}
		if tm.notify == SigevNone {
			// common_timer_set: nothing to send, so nothing to run;
			// gettime computes what is left.
			tm.status = timerDisarmed
			return
		}
		p.timerArmLocked(tm, now)
	})
	return old, err
}

// timerArmLocked starts tm counting down to tm.expires; now is its
// clock's time.
func (p *Process) timerArmLocked(tm *posixTimer, now int64) {
	tm.status = timerArmed
	if tm.cpu != nil {
		p.armCPUTimerLocked(tm.cpu, max(tm.expires, 1))
		return
	}
	tm.wallGen++
	gen := tm.wallGen
	tm.wall = time.AfterFunc(time.Duration(tm.expires-now), func() {
		p.mu.Lock()
		defer p.unlockNotify()
		if tm.wallGen == gen && tm.status == timerArmed && !tm.deleted {
			p.timerExpiredLocked(tm)
		}
	})
}

func (p *Process) timerDisarmLocked(tm *posixTimer) {
	tm.status = timerDisarmed
	tm.expires = 0
	if tm.cpu != nil {
		p.disarmCPUTimerLocked(tm.cpu)
	}
	if tm.wall != nil {
		tm.wall.Stop()
		tm.wall = nil
	}
	tm.wallGen++
}

// timerExpiredLocked sends the timer's signal (posix_timer_queue_signal
// and posixtimer_send_sigqueue).
func (p *Process) timerExpiredLocked(tm *posixTimer) {
	tm.status = timerDisarmed
	if tm.interval > 0 {
		tm.status = timerRequeuePending
	}
	tm.seq++
	if tm.queued {
		// Still pending from an expiry before: one more overrun, and the
		// pending signal now stands for this expiry.
		p.timerRequeueLocked(tm)
		return
	}
	target := tm.target
	if target != nil && p.tasks[target.TID] != target {
		return // the thread is gone: nothing is sent
	}
	if _, queued, _ := p.sendLocked(sending{info: tm.info, target: target, timer: tm}); queued {
		p.sig.signalfdWake = true
	}
}

// timerNotQueuedLocked handles an expiry whose signal was not queued
// (ignored, or a standard signal already pending): no delivery will
// re-arm it, so an interval timer keeps its period from now (as
// posix_timer_fn did before Linux 6.13).
func (p *Process) timerNotQueuedLocked(tm *posixTimer) {
	if tm.interval > 0 && !tm.deleted {
		now := p.timerClockLocked(tm)
		tm.forward(now)
		p.timerArmLocked(tm, now)
	}
}

// Release implements signals.Holder: tm's pending signal was discarded
// without delivery (flushed, or ignored by a new action), with the
// process's mu held.
func (tm *posixTimer) Release() {
	tm.queued = false
	if tm.status == timerRequeuePending {
		tm.proc.timerNotQueuedLocked(tm)
	}
}

// timerRequeueLocked updates the pending entry of tm's signal after
// another expiry.
func (p *Process) timerRequeueLocked(tm *posixTimer) {
	q := &p.sig.shared
	if tm.target != nil {
		q = &tm.target.pending
	}
	if s := q.Find(tm); s != nil {
		s.Seq = tm.seq
		s.Info.AddOverrun(1)
	}
}

// timerDeliverLocked is posixtimer_deliver_signal: the timer's signal s
// is being delivered. It reports false if the signal must be dropped
// (the timer was changed or deleted since); otherwise an interval timer
// is re-armed, and the expiries it missed become s.info's si_overrun.
func (p *Process) timerDeliverLocked(tm *posixTimer, s *signals.Queued) bool {
	tm.queued = false
	if tm.deleted || s.Seq != tm.seq {
		return false
	}
	if tm.interval > 0 && tm.status == timerRequeuePending {
		now := p.timerClockLocked(tm)
		tm.forward(now)
		p.timerArmLocked(tm, now)
		tm.overrunLast = tm.overrun
		tm.overrun = -1
		s.Info.AddOverrun(tm.overrunLast)
	}
	return true
}

// TimerGetOverrun implements timer_getoverrun(2): the overrun count of
// the signal last delivered, at most INT_MAX.
func (t *Task) TimerGetOverrun(id int32) (n int32, err error) {
	err = t.withTimer(id, func(_ *Process, tm *posixTimer) { n = int32(min(max(tm.overrunLast, 0), math.MaxInt32)) })
	return n, err
}

// TimerDelete implements timer_delete(2).
func (t *Task) TimerDelete(id int32) error {
	return t.withTimer(id, (*Process).timerDeleteLocked)
}

func (p *Process) timerDeleteLocked(tm *posixTimer) {
	p.timerDisarmLocked(tm)
	tm.deleted = true
	delete(p.timers.byID, tm.id)
	sigPending.Uncharge(tm.user)
}

// deleteTimersLocked deletes every POSIX timer of the process
// (exit_itimers): at execve and exit.
func (p *Process) deleteTimersLocked() {
	for _, tm := range p.timers.byID {
		p.timerDeleteLocked(tm)
	}
}
