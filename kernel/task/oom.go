package task

import (
	"fmt"
	"sync/atomic"
	"time"

	"oyako/kernel"
	"oyako/kernel/klog"
	"oyako/kernel/mm"
	"oyako/signals"
)

// The out-of-memory killer (Linux's mm/oom_kill.c, much simplified): when
// a page fault finds no frame for a user page even after the kernel's
// runtime gave back what it could (mm/reserve.go), the process with the
// most resident pages is killed with SIGKILL and reported, and the
// faulting thread waits for its memory and tries again. As in Linux, init
// is not chosen while another process can be (oom_unkillable_task), and a
// victim already dying is waited for rather than joined by a second one.

// oomKilledAt is when the killer last sent SIGKILL (Unix nanoseconds).
var oomKilledAt atomic.Int64

func lastOOMKill() time.Time { return time.Unix(0, oomKilledAt.Load()) }

// oomWait bounds how long a thread waits for a victim's memory before it
// faults again (and, if memory is still short, picks again).
const oomWait = time.Second

// signalPending is signalPendingLocked taking the lock.
func (t *Task) signalPending() bool {
	t.Proc.mu.Lock()
	defer t.Proc.mu.Unlock()
	return t.signalPendingLocked()
}

// oomVictim returns the process to kill for memory: the live process with
// the largest resident set, init only if it is the only one; dying is set
// when some process is already on its way out, in which case nothing new
// is chosen.
func oomVictim() (victim *Process, dying bool) {
	procMu.Lock()
	defer procMu.Unlock()
	var best uint64
	for _, p := range procs {
		if p.state != procAlive {
			continue
		}
		p.mu.Lock()
		exiting := p.sig.exiting
		p.mu.Unlock()
		as := p.AS()
		if as == nil {
			continue
		}
		if exiting {
			return nil, true
		}
		rss := as.RSS()
		if p == initProc {
			rss = 0 // only if nothing else is left
		}
		if victim == nil || rss > best {
			victim, best = p, rss
		}
	}
	return victim, false
}

// outOfMemory handles a page fault of t at addr that found no memory:
// it kills the chosen process (t's own, when that is the one) and, if
// another, waits for memory to come back so that the fault can be
// retried.
func (t *Task) outOfMemory(addr uint64) {
	// Linux calls the killer only once reclaim has failed: the runtime
	// gives back the memory it holds but does not use first, whatever
	// the rate limit of the reclaim an allocation makes.
	kernel.DropCaches()
	if mm.UserRoom(1) {
		return
	}
	victim, dying := oomVictim()
	if !dying && victim == initProc && time.Since(lastOOMKill()) < 2*oomWait {
		// The victim just killed may be a zombie whose memory is still
		// on its way back: init waits for it rather than die.
		dying = true
	}
	if !dying && (victim == nil || victim == t.Proc) {
		t.fault(signals.SIGKILL, 0, addr, "out of memory")
		return
	}
	if !dying {
		rss := victim.AS().RSS() * mm.PageSize >> 10
		report := fmt.Sprintf("out of memory: killed process %d (%s), anon+file rss %d KiB, for a page fault of process %d (%s)",
			victim.PID, victim.Name(), rss, t.Proc.PID, t.Proc.Name())
		klog.Log("oyako: " + report)
		klog.SideLine("oyako-fault " + report)
		victim.send(signals.KillInfo(signals.SIGKILL, signals.SI_KERNEL, 0, 0), nil, true)
		oomKilledAt.Store(time.Now().UnixNano())
	}
	// Wait for the victim's memory (or for a signal to this thread, as
	// Linux's allocator gives up for a fatal one).
	deadline := time.Now().Add(oomWait)
	for time.Now().Before(deadline) {
		if mm.UserRoom(1) || t.signalPending() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
