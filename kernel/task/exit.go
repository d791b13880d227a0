package task

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
	"oyako/signals"
)

// Thread and process exit, the process tree's bookkeeping and wait
// (Linux's kernel/exit.c): a process whose last thread ends releases its
// memory and descriptors and becomes a zombie until its parent waits for
// it; its children go to init; its parent hears of it by SIGCHLD.

// finish runs when the task's goroutine ends: CLONE_CHILD_CLEARTID, and
// the process's end if it was the last task.
func (t *Task) finish() {
	p := t.Proc
	if t.ClearChildTID != 0 && p.AS() != nil {
		// Linux's mm_release: write 0 and wake a futex waiter, so that
		// pthread_join returns. Errors are ignored, as there.
		var zero [4]byte
		if t.CopyOut(t.ClearChildTID, zero[:]) == nil {
			FutexWake(t, t.ClearChildTID, 1)
		}
	}
	t.releaseVfork()
	t.dropRegisteredRings()
	procMu.Lock()
	removeTaskLocked(t)
	procMu.Unlock()
	p.mu.Lock()
	p.utime += t.CPUNanos()
	p.stime += t.SysNanos()
	exitedUserNanos.Add(t.CPUNanos())
	p.minFlt += t.minFlt.Load()
	delete(p.tasks, t.TID)
	t.pending.Flush()
	p.threadCPUTimersExitLocked(t)
	close(p.tasksChanged)
	p.tasksChanged = make(chan struct{})
	last := len(p.tasks) == 0
	if last && !p.sig.exiting {
		p.sig.exiting = true
		p.sig.code = (t.exitCode & 0xff) << 8
	}
	stopDone := false
	if !last && p.sig.stopSig != 0 && !t.stopped {
		// The stop no longer waits for this thread.
		if p.sig.stopping--; p.sig.stopping == 0 {
			p.sig.stopped, stopDone = true, true
		}
	}
	p.mu.Unlock()
	t.uc.DropFPU()
	mm.FreeFrame(t.fpuPA)
	t.fpuPA = 0
	if stopDone {
		p.notifyParentStop(false)
	}
	if last {
		p.exit()
		if t.Strace && TraceExit != nil {
			TraceExit(t, p.exitCode)
		}
	}
}

// exit ends a process whose last thread is gone (do_exit's process part
// and exit_notify).
func (p *Process) exit() {
	p.SetRealTimer(ITimerVal{})
	p.mu.Lock()
	p.deleteTimersLocked()
	p.disarmCPUTimerLocked(&p.itimerVirt.cpuTimer)
	p.disarmCPUTimerLocked(&p.itimerProf.cpuTimer)
	p.mu.Unlock()
	p.imageEnd()
	if as := p.as.Swap(nil); as != nil {
		as.DecRef(dropAddressSpace)
	}
	p.mu.Lock()
	files := p.files
	code := p.sig.code
	p.sig.shared.Flush()
	p.mu.Unlock()
	files.put()

	var hup []int32 // process groups that became orphaned with stopped members
	type pdeathSend struct {
		c   *Process
		sig int
	}
	var pdeath []pdeathSend
	procMu.Lock()
	if p.sid == p.PID && p.tty != nil {
		p.disassociateTTYLocked()
	}
	// Our group may be orphaned by our leaving it.
	if par := p.parent; par != nil && par.pgid != p.pgid && par.sid == p.sid && p.pgrpOrphanedLocked(p.pgid, p) && stoppedInGroupLocked(p.pgid) {
		hup = append(hup, p.pgid)
	}
	p.state = procZombie
	p.exitCode = code
	// Reparent the children to init (forget_original_parent).
	for _, c := range p.children {
		if c.pdeathSig != 0 && c.state == procAlive {
			pdeath = append(pdeath, pdeathSend{c, c.pdeathSig})
		}
		if initProc == nil || initProc == p {
			c.parent = nil
			continue
		}
		c.parent = initProc
		initProc.children = append(initProc.children, c)
		if c.pgid != p.pgid && c.sid == p.sid && c.pgrpOrphanedLocked(c.pgid, nil) && stoppedInGroupLocked(c.pgid) {
			hup = append(hup, c.pgid)
		}
		if c.state == procZombie {
			initProc.notifyChildEventLocked()
		}
	}
	p.children = nil
	parent := p.parent
	procMu.Unlock()

	// The children that asked for it hear of their parent's death
	// (reparent_leader: SEND_SIG_NOINFO, from the exiting process).
	uid := p.Creds().RUID
	for _, d := range pdeath {
		d.c.send(signals.KillInfo(d.sig, signals.SI_USER, p.PID, uid), nil, false)
	}
	for _, pg := range hup {
		SignalGroup(pg, signals.SIGHUP)
		SignalGroup(pg, signals.SIGCONT)
	}
	if parent != nil {
		p.notifyParentExit(parent)
	}
	close(p.done)
}

// notifyParentExit sends the exit signal to the parent and wakes its
// waiters; a parent that ignores SIGCHLD (or set SA_NOCLDWAIT) does not
// get a zombie: the child is reaped at once (do_notify_parent).
func (p *Process) notifyParentExit(parent *Process) {
	code, status := int32(signals.CLD_EXITED), int32(p.exitCode>>8&0xff)
	if sig := p.exitCode & 0x7f; sig != 0 {
		code, status = signals.CLD_KILLED, int32(sig)
		if p.exitCode&0x80 != 0 {
			code = signals.CLD_DUMPED
		}
	}
	sig := p.exitSignal
	autoreap := false
	if sig == signals.SIGCHLD {
		a := parent.sighand.action(signals.SIGCHLD)
		if a.Handler == signals.SIG_IGN || a.Flags&signals.SA_NOCLDWAIT != 0 {
			autoreap = true
			if a.Handler == signals.SIG_IGN {
				sig = 0
			}
		}
	}
	if sig > 0 && sig <= signals.SIGRTMAX {
		u, s := p.Times()
		info := signals.ChldInfo(code, p.PID, p.Creds().RUID, status, clockTicks(u), clockTicks(s))
		le := info[:]
		le[0] = byte(sig) // si_signo is the exit signal
		parent.send(info, nil, false)
	}
	procMu.Lock()
	if autoreap && p.parent == parent {
		p.reapLocked()
	}
	parent.notifyChildEventLocked()
	procMu.Unlock()
}

// reapLocked removes a zombie from the tree and the process table and
// adds its CPU time to its parent's children's (release_task).
func (p *Process) reapLocked() {
	if par := p.parent; par != nil {
		for i, c := range par.children {
			if c == p {
				par.children = append(par.children[:i:i], par.children[i+1:]...)
				break
			}
		}
		u, s := p.Times()
		cu, cs := p.ChildTimes()
		flt, cflt := p.faults()
		par.mu.Lock()
		par.cutime += u + cu
		par.cstime += s + cs
		par.cminFlt += flt + cflt
		par.mu.Unlock()
	}
	p.state = procDead
	p.leaveGroupsLocked()
	delete(procs, p.PID)
}

// releaseVfork wakes the task that made t with CLONE_VFORK: t no longer
// uses its memory (mm_release's complete_vfork_done, when t exits or
// execs). It is t's, not its process's: a thread made with CLONE_VFORK
// releases its maker when it exits, though its process lives on.
func (t *Task) releaseVfork() {
	p := t.Proc
	p.mu.Lock()
	ch := t.vforkDone
	t.vforkDone = nil
	p.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// pgrpOrphanedLocked reports whether process group pgid is (or, once
// ignore has gone, will be) orphaned: no member has a parent in another
// group of the same session (will_become_orphaned_pgrp).
func (p *Process) pgrpOrphanedLocked(pgid int32, ignore *Process) bool {
	for _, q := range procs {
		if q.pgid != pgid || q == ignore || q.state != procAlive {
			continue
		}
		par := q.parent
		if par == nil || par.PID == 1 {
			continue
		}
		if par.pgid != pgid && par.sid == q.sid {
			return false
		}
	}
	return true
}

// pgrpOrphaned reports whether the process's group is orphaned
// (is_current_pgrp_orphaned).
func (p *Process) pgrpOrphaned() bool {
	procMu.Lock()
	defer procMu.Unlock()
	return p.pgrpOrphanedLocked(p.pgid, nil)
}

// stoppedInGroupLocked reports whether a member of pgid is stopped
// (has_stopped_jobs).
func stoppedInGroupLocked(pgid int32) bool {
	for _, q := range procs {
		if q.pgid == pgid && q.state == procAlive {
			q.mu.Lock()
			s := q.sig.stopSig != 0
			q.mu.Unlock()
			if s {
				return true
			}
		}
	}
	return false
}

// disassociateTTYLocked is what a session leader's exit does to its
// controlling terminal (disassociate_ctty): the foreground group gets
// SIGHUP and SIGCONT, and the session loses the terminal.
func (p *Process) disassociateTTYLocked() {
	tty := p.tty
	fg := tty.Foreground()
	tty.SetSession(0, 0)
	for _, q := range procs {
		if q.sid == p.sid {
			q.tty = nil
		}
	}
	if fg > 0 {
		go func() {
			SignalGroup(fg, signals.SIGHUP)
			SignalGroup(fg, signals.SIGCONT)
		}()
	}
}

// wait options (include/uapi/linux/wait.h).
const (
	WNOHANG    = 0x1
	WUNTRACED  = 0x2 // WSTOPPED for waitid
	WEXITED    = 0x4
	WCONTINUED = 0x8
	WNOWAIT    = 0x1000000
	WNOTHREAD  = 0x20000000
	WALL       = 0x40000000
	WCLONE     = 0x80000000
)

// idtype_t values of waitid(2).
const (
	PAll   = 0
	PPID   = 1
	PPGID  = 2
	PPIDFD = 3
)

// WaitSpec says which children a wait is for and what it reports.
type WaitSpec struct {
	Which   int   // PAll, PPID, PPGID (a pidfd is resolved to PPID)
	ID      int32 // pid or process group
	Options uint32
}

// WaitResult describes the child a wait found.
type WaitResult struct {
	PID    int32
	Status int   // wait4's status word
	Code   int32 // waitid's si_code (CLD_*)
	SigSt  int32 // waitid's si_status
	UID    uint32
	// Utime and Stime are the child's CPU time, with its own waited-for
	// children's (for wait4's rusage), in ns.
	Utime, Stime int64
}

// Wait implements the core of wait4(2) and waitid(2) (do_wait): it
// reports a child that exited (reaping it unless WNOWAIT), stopped
// (WUNTRACED) or continued (WCONTINUED), waiting for one unless WNOHANG
// (then PID is 0). ECHILD if no child matches.
func (t *Task) Wait(w WaitSpec) (WaitResult, error) {
	p := t.Proc
	var interrupted error
	for {
		procMu.Lock()
		res, found, matched := p.waitOnceLocked(w)
		ev := p.childEvent
		procMu.Unlock()
		switch {
		case found:
			return res, nil
		case !matched:
			return WaitResult{}, linuxerr.ECHILD
		case w.Options&WNOHANG != 0:
			return WaitResult{}, nil
		case interrupted != nil:
			// do_wait looks at the children before at its signals: a
			// child that exited as the SIGCHLD came is reported.
			return WaitResult{}, interrupted
		}
		interrupted = t.Block(ev)
	}
}

func (p *Process) waitOnceLocked(w WaitSpec) (res WaitResult, found, matched bool) {
	for _, c := range p.children {
		if !eligible(c, w) {
			continue
		}
		matched = true
		switch {
		case c.state == procZombie && w.Options&WEXITED != 0:
			res = c.waitResult(signals.CLD_EXITED)
			if w.Options&WNOWAIT == 0 {
				c.reapLocked()
			}
			return res, true, true
		case c.state == procAlive && c.stopReport != 0 && w.Options&WUNTRACED != 0:
			res = c.waitResult(signals.CLD_STOPPED)
			res.Status = c.stopReport<<8 | 0x7f
			res.SigSt = int32(c.stopReport)
			if w.Options&WNOWAIT == 0 {
				c.stopReport = 0
			}
			return res, true, true
		case c.state == procAlive && c.contReport && w.Options&WCONTINUED != 0:
			res = c.waitResult(signals.CLD_CONTINUED)
			res.Status = 0xffff
			res.SigSt = signals.SIGCONT
			if w.Options&WNOWAIT == 0 {
				c.contReport = false
			}
			return res, true, true
		}
	}
	return res, false, matched
}

// eligible is eligible_child: the child is named by the wait and is of
// the kind it waits for (__WCLONE: children whose exit signal is not
// SIGCHLD; __WALL: any).
func eligible(c *Process, w WaitSpec) bool {
	switch w.Which {
	case PPID:
		if c.PID != w.ID {
			return false
		}
	case PPGID:
		if c.pgid != w.ID {
			return false
		}
	}
	if w.Options&WALL != 0 {
		return true
	}
	return (c.exitSignal != signals.SIGCHLD) == (w.Options&WCLONE != 0)
}

// waitResult describes c for a wait that found it in state code (for an
// exit, the code and status come from how it ended).
func (c *Process) waitResult(code int32) WaitResult {
	u, s := c.Times()
	cu, cs := c.ChildTimes()
	r := WaitResult{PID: c.PID, Code: code, UID: c.Creds().RUID, Utime: u + cu, Stime: s + cs}
	if code == signals.CLD_EXITED {
		r.Status = c.exitCode
		r.SigSt = int32(c.exitCode >> 8 & 0xff)
		if sig := c.exitCode & 0x7f; sig != 0 {
			r.Code, r.SigSt = signals.CLD_KILLED, int32(sig)
			if c.exitCode&0x80 != 0 {
				r.Code = signals.CLD_DUMPED
			}
		}
	}
	return r
}

// ControllingTTY returns the process's controlling terminal (for
// /dev/tty), or nil.
func (t *Task) ControllingTTY() *fs.TTY {
	procMu.Lock()
	defer procMu.Unlock()
	return t.Proc.tty
}
