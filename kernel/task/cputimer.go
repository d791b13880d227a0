package task

import (
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/ktime"
	"oyako/signals"
)

// CPU-time clocks and the timers that run on them, after Linux's
// kernel/time/posix-cpu-timers.c: the clocks of clock_gettime(2) for
// CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID and the IDs
// clock_getcpuclockid(3) and pthread_getcpuclockid(3) make; the CPU-time
// interval timers of setitimer(2) (ITIMER_VIRTUAL, ITIMER_PROF); and
// timer_create(2) timers on CPU-time clocks.
//
// A CPU-time timer expires when its clock passes its expiry. The clock
// advances only while the process runs, so the check runs on the
// process's own threads: whenever one returns to user mode (after a
// system call, a fault or an interrupt that brought it back), and, while
// any CPU-time timer of the process is armed, at every timer tick that
// finds one of its threads in user mode (the tick brings the thread back
// to its goroutine, UserContext.SetCPUWatch). The resolution is therefore
// the tick (4 ms), as Linux's run_posix_cpu_timers at HZ=250.
//
// Limits: any process's CPU-time clock may be read, as on Linux, but a
// timer may run only on the caller's own process and threads (EINVAL for
// another process's clock, which Linux allows). System time is counted
// when a system call or fault ends, so a thread's clock does not advance
// during one long call.

// CPU clock kinds (CPUCLOCK_WHICH), and the bit that makes a clock
// per-thread (CPUCLOCK_PERTHREAD_MASK), in the clock IDs that
// include/linux/posix-timers.h encodes: ~pid << 3 | perthread | which.
const (
	cpuclockProf  = 0 // user + system time
	cpuclockVirt  = 1 // user time
	cpuclockSched = 2 // time on the CPU (for oyako: user + system)
	cpuclockMax   = 3

	cpuclockPerThread = 4
	cpuclockMask      = 3
)

// CPUClock is a decoded CPU-time clock: whose, and which time it counts.
type CPUClock struct {
	proc  *Process // a process's clock (task nil)
	task  *Task    // a thread's clock
	which int
}

// DecodeCPUClock decodes a CPU-time clock ID as seen by t
// (posix_cpu_clock_get's pid_for_clock): ok is false if clk is not a
// CPU-time clock ID at all (a system-wide clock); err is EINVAL for a
// CPU-time clock of no process, or of a thread of another process.
func (t *Task) DecodeCPUClock(clk int32) (c CPUClock, ok bool, err error) {
	switch {
	case !isCPUClockID(clk):
		return CPUClock{}, false, nil
	case clk == ktime.ClockProcessCputimeID:
		return CPUClock{proc: t.Proc, which: cpuclockSched}, true, nil
	case clk == ktime.ClockThreadCputimeID:
		return CPUClock{proc: t.Proc, task: t, which: cpuclockSched}, true, nil
	}
	which := int(clk & cpuclockMask)
	if which >= cpuclockMax {
		return CPUClock{}, true, linuxerr.EINVAL
	}
	id := ^(clk >> 3) // the pid or tid, 0 for the caller's
	c.which = which
	if clk&cpuclockPerThread != 0 {
		// A thread clock: the caller's own threads only.
		c.proc, c.task = t.Proc, t
		if id != 0 {
			t.Proc.mu.Lock()
			c.task = t.Proc.tasks[id]
			t.Proc.mu.Unlock()
		}
		if c.task == nil {
			return CPUClock{}, true, linuxerr.EINVAL
		}
		return c, true, nil
	}
	// A process clock: pid must name a process (its thread group leader).
	if id == 0 {
		c.proc = t.Proc
		return c, true, nil
	}
	procMu.Lock()
	defer procMu.Unlock()
	p := processByIDLocked(id)
	if p == nil || p.PID != id {
		return CPUClock{}, true, linuxerr.EINVAL
	}
	c.proc = p
	return c, true, nil
}

// isCPUClockID reports whether clk names a CPU-time clock: the caller's
// (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID) or one encoded
// with a pid or tid (negative IDs).
func isCPUClockID(clk int32) bool {
	return clk < 0 || clk == ktime.ClockProcessCputimeID || clk == ktime.ClockThreadCputimeID
}

// Now reads the clock, in ns.
func (c CPUClock) Now() int64 {
	c.proc.mu.Lock()
	defer c.proc.mu.Unlock()
	return c.nowLocked()
}

// nowLocked is Now with the clock's process's mu held.
func (c CPUClock) nowLocked() int64 {
	if c.task != nil {
		return cpuClockValue(c.which, c.task.CPUNanos(), c.task.SysNanos())
	}
	user, sys := c.proc.timesLocked()
	return cpuClockValue(c.which, user, sys)
}

// cpuClockValue is the time a CPU clock of kind which shows for the given
// user and system times: VIRT counts user time, PROF and SCHED both.
func cpuClockValue(which int, user, sys int64) int64 {
	if which == cpuclockVirt {
		return user
	}
	return user + max(sys, 0)
}

// cpuTimer is a timer on a CPU-time clock. Its state is under its
// process's mu.
type cpuTimer struct {
	clock   CPUClock
	expires int64 // on the clock, ns; 0 when disarmed
	// fire runs when the clock (now) passes the expiry at, as running
	// found, with p.mu held; the timer is disarmed first, and fire may
	// arm it again.
	fire func(at, now int64, running *Task)
}

// cpuTimers is a process's set of armed CPU-time timers.
type cpuTimers struct {
	armed map[*cpuTimer]struct{}
	// watching mirrors len(armed) != 0 for the tick's check, which runs
	// without p.mu.
	watching atomic.Bool
}

// armCPUTimerLocked arms ct to expire when its clock reaches expires
// (> 0), and makes the process's threads watch their CPU time.
func (p *Process) armCPUTimerLocked(ct *cpuTimer, expires int64) {
	ct.expires = expires
	if p.cpuTimers.armed == nil {
		p.cpuTimers.armed = make(map[*cpuTimer]struct{})
	}
	p.cpuTimers.armed[ct] = struct{}{}
	if !p.cpuTimers.watching.Swap(true) {
		// Threads running in user mode come back once and then watch
		// at every tick (Task.run reads watching on each entry).
		for _, t := range p.tasks {
			t.uc.Kick()
		}
	}
}

// disarmCPUTimerLocked disarms ct.
func (p *Process) disarmCPUTimerLocked(ct *cpuTimer) {
	ct.expires = 0
	delete(p.cpuTimers.armed, ct)
	if len(p.cpuTimers.armed) == 0 {
		p.cpuTimers.watching.Store(false)
	}
}

// runCPUTimers fires the process's CPU-time timers whose clocks have
// passed their expiry (run_posix_cpu_timers), as seen by running, the
// task returning to user mode: Task.run calls it every time while a timer
// is armed.
func (p *Process) runCPUTimers(running *Task) {
	if !p.cpuTimers.watching.Load() {
		return
	}
	p.mu.Lock()
	defer p.unlockNotify()
	var user, sys int64 // the process's times, read once
	read := false
	type expiry struct {
		ct  *cpuTimer
		now int64
	}
	var expired []expiry
	for ct := range p.cpuTimers.armed {
		var now int64
		if ct.clock.task != nil {
			now = ct.clock.nowLocked()
		} else {
			if !read {
				user, sys = p.timesLocked()
				read = true
			}
			now = cpuClockValue(ct.clock.which, user, sys)
		}
		if now >= ct.expires {
			expired = append(expired, expiry{ct, now})
		}
	}
	// Fired after the walk: a timer with an interval arms itself again.
	for _, e := range expired {
		at := e.ct.expires
		p.disarmCPUTimerLocked(e.ct)
		e.ct.fire(at, e.now, running)
	}
}

// The CPU-time interval timers of setitimer(2) (signal_struct's
// it[CPUCLOCK_PROF] and it[CPUCLOCK_VIRT]): process-wide, on the
// process's PROF and VIRT clocks, sending SIGPROF and SIGVTALRM from the
// kernel (SEND_SIG_PRIV: SI_KERNEL). execve keeps them; a forked child
// starts without them.
type cpuITimer struct {
	cpuTimer
	interval int64
}

// ITimer kinds of setitimer(2).
const (
	ITimerReal    = 0
	ITimerVirtual = 1
	ITimerProf    = 2
)

func (p *Process) cpuITimer(which int) *cpuITimer {
	if which == ITimerVirtual {
		return &p.itimerVirt
	}
	return &p.itimerProf
}

// CPUITimer returns the setting of ITIMER_VIRTUAL or ITIMER_PROF
// (get_cpu_itimer): an expired timer whose signal is not sent yet
// reports a tick left.
func (p *Process) CPUITimer(which int) ITimerVal {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cpuITimerLocked(which)
}

func (p *Process) cpuITimerLocked(which int) ITimerVal {
	it := p.cpuITimer(which)
	if it.expires == 0 {
		return ITimerVal{Interval: it.interval}
	}
	left := it.expires - it.clock.nowLocked()
	if left <= 0 {
		left = ktime.CoarseTick
	}
	return ITimerVal{Value: left, Interval: it.interval}
}

// SetCPUITimer sets ITIMER_VIRTUAL or ITIMER_PROF and returns the old
// setting (set_cpu_itimer). As Linux does, a tick is added to a new
// value, so that the timer never fires before the full time was used.
func (p *Process) SetCPUITimer(which int, v ITimerVal) ITimerVal {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.cpuITimerLocked(which)
	it := p.cpuITimer(which)
	if it.fire == nil {
		sig := signals.SIGPROF
		it.clock = CPUClock{proc: p, which: cpuclockProf}
		if which == ITimerVirtual {
			sig = signals.SIGVTALRM
			it.clock.which = cpuclockVirt
		}
		it.fire = func(at, _ int64, running *Task) {
			// check_cpu_itimer: the next expiry one interval after this
			// one, not after now.
			if it.interval > 0 {
				p.armCPUTimerLocked(&it.cpuTimer, at+it.interval)
			}
			// __group_send_sig_info to the running thread: the process's
			// signal, taken by that thread if it can.
			info := signals.KillInfo(sig, signals.SI_KERNEL, 0, 0)
			if _, queued, _ := p.sendLocked(sending{info: info, prefer: running}); queued {
				p.sig.signalfdWake = true
			}
		}
	}
	p.disarmCPUTimerLocked(&it.cpuTimer)
	it.interval = v.Interval
	if v.Value > 0 {
		p.armCPUTimerLocked(&it.cpuTimer, it.clock.nowLocked()+v.Value+ktime.CoarseTick)
	}
	return old
}

// threadCPUTimersExitLocked disarms the timers on the CPU-time clock of
// a thread that ends (posix_cpu_timers_exit): its clock stops for good.
func (p *Process) threadCPUTimersExitLocked(t *Task) {
	for ct := range p.cpuTimers.armed {
		if ct.clock.task == t {
			p.disarmCPUTimerLocked(ct)
		}
	}
}
