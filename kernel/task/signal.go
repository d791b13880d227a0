package task

import (
	"math"
	"sync"
	"sync/atomic"
	"unsafe"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
	"oyako/kernel/ucount"
	"oyako/signals"
)

// Signal sending and the state it changes, after Linux's kernel/signal.c:
// pending sets per thread and per process, the choice of the thread that
// takes a process-directed signal, fatal signals that end the whole
// group at once, group stop and continue, and SIGCHLD to the parent.
// Delivery (handlers, default actions, syscall restart) is in deliver.go.

// sigHand is the table of signal actions (struct sighand_struct), shared
// by processes created with CLONE_SIGHAND.
type sigHand struct {
	mu      sync.Mutex
	actions [signals.SIGRTMAX]signals.Sigaction
	// shared is set once a second process uses the table: exec then
	// resets a copy of its own (de_thread's unshare_sighand), not the
	// table itself, which it changes in place otherwise.
	shared atomic.Bool
}

func (h *sigHand) action(sig int) signals.Sigaction {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.actions[sig-1]
}

// copy returns an unshared copy (fork without CLONE_SIGHAND).
func (h *sigHand) copy() *sigHand {
	h.mu.Lock()
	defer h.mu.Unlock()
	return &sigHand{actions: h.actions}
}

// flushHandlers resets the caught signals to their default action and
// keeps ignored ones ignored (flush_signal_handlers, at exec).
func (h *sigHand) flushHandlers() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.actions {
		if h.actions[i].Handler != signals.SIG_IGN {
			h.actions[i] = signals.Sigaction{}
		} else {
			h.actions[i].Flags, h.actions[i].Mask, h.actions[i].Restorer = 0, 0, 0
		}
	}
}

// sigPending counts, for each user, the signals queued with their
// information for that user's processes (the real UID of the process a
// signal is queued for), which RLIMIT_SIGPENDING bounds: ucounts'
// UCOUNT_RLIMIT_SIGPENDING. Each queued entry holds its user's count, so
// a change of UID does not move the charge.
var sigPending ucount.Table

// roomForOne reports whether the kernel's heap has room for one more
// entry in q: a long queue grows by doubling, so the growth is asked for
// before it is made (mm.AdmitKernel).
func roomForOne(q *signals.Queue) bool {
	if q.Len() < q.Cap() || q.Len() < 256 {
		return true
	}
	grow := uint64(q.Cap()) * uint64(unsafe.Sizeof(signals.Queued{}))
	return mm.AdmitKernel(grow/mm.PageSize + 1)
}

// chargeSigqueueLocked charges one queued signal to p's real UID against
// RLIMIT_SIGPENDING (__sigqueue_alloc's sig_get_ucounts): nil past the
// limit unless override, or if room is false (the kernel's heap cannot
// take the entry).
func (p *Process) chargeSigqueueLocked(override, room bool) *ucount.Count {
	limit := int64(min(p.rlimits[rlimitSigpending][0], math.MaxInt64))
	if !room {
		limit = 0
	}
	return sigPending.Charge(p.creds.RUID, limit, override)
}

// queueLocked queues sig with info on q as __send_signal_locked does,
// charging the entry to the real UID of p. Past RLIMIT_SIGPENDING, or
// when the kernel's heap has no room for the entry (root may raise the
// limit to infinity), a standard signal sent by the kernel or kill(2)
// (si_code >= 0) is queued anyway; otherwise a real-time signal sent
// with its own information (sigqueue, tgkill) fails with EAGAIN, and any
// other is marked pending with its information lost.
func (p *Process) queueLocked(q *signals.Queue, sig int, info signals.SigInfo) error {
	override := sig < signals.SIGRTMIN && info.Code() >= 0
	switch user := p.chargeSigqueueLocked(override, override || roomForOne(q)); {
	case user != nil:
		q.Add(signals.Queued{Sig: sig, Info: info, Held: user})
	case sig >= signals.SIGRTMIN && info.Code() != signals.SI_USER:
		return linuxerr.EAGAIN
	default:
		q.Set |= signals.Bit(sig)
	}
	return nil
}

// stopMask are the stop signals; stopMaskTTY those a terminal sends.
const (
	stopMask    = 1<<(signals.SIGSTOP-1) | 1<<(signals.SIGTSTP-1) | 1<<(signals.SIGTTIN-1) | 1<<(signals.SIGTTOU-1)
	stopMaskTTY = 1<<(signals.SIGTSTP-1) | 1<<(signals.SIGTTIN-1) | 1<<(signals.SIGTTOU-1)
)

// procSignals is a process's shared signal state (the signal_struct
// part): the process-wide pending set, group exit and group stop.
type procSignals struct {
	shared signals.Queue
	// exiting is set once the group is ending (exit_group or a fatal
	// signal); code is the wait status it ends with.
	exiting bool
	code    int
	// stopSig is the signal of a group stop in progress or in effect;
	// stopping counts the threads that have not stopped yet, and stopped
	// is set once all have (SIGNAL_STOP_STOPPED).
	stopSig  int
	stopping int
	stopped  bool
	// signalfdQ wakes the readers and pollers of signalfds that wait
	// for the process's signals (sighand's signalfd_wqh).
	signalfdQ fs.Queue
	// signalfdWake records a send made under p.mu by a timer, whose
	// wake-up waits for unlockNotify.
	signalfdWake bool
}

// isStopSignal reports whether sig's default action stops the process.
func isStopSignal(sig int) bool { return stopMask&signals.Bit(sig) != 0 }

// defaultIgnored reports whether sig's default action is to ignore it.
func defaultIgnored(sig int) bool {
	switch sig {
	case signals.SIGCHLD, signals.SIGURG, signals.SIGWINCH, signals.SIGCONT:
		return true
	}
	return false
}

// SendSignal sends sig to the process from the kernel (SI_KERNEL), as a
// terminal's ^C or a pipe's SIGPIPE.
func (p *Process) SendSignal(sig int) {
	p.send(signals.KillInfo(sig, signals.SI_KERNEL, 0, 0), nil, false)
}

// send queues a signal for the process (target nil: process-directed) or
// one of its threads, following __send_signal_locked. A signal that is
// ignored or already pending is dropped without error; one that cannot
// be queued is EAGAIN (queueLocked). force is set for signals the kernel
// raises on a fault, which neither a blocked mask nor init's protection
// can stop.
func (p *Process) send(info signals.SigInfo, target *Task, force bool) error {
	p.mu.Lock()
	continued, queued, err := p.sendLocked(sending{info: info, target: target, force: force})
	p.mu.Unlock()
	if queued {
		// signalfd_notify: a signalfd reader or poller may want it. The
		// wake-up runs outside p.mu, as the callbacks (epoll's ready
		// list, a poller's readiness check) may look at the process's
		// pending signals.
		p.sig.signalfdQ.Notify(fs.EventIn)
	}
	if continued {
		p.notifyParentStop(true)
	}
	return err
}

// unlockNotify unlocks p.mu after sends made under it by the kernel's
// timers, and then wakes the signalfd readers if one queued a signal
// (signalfd_notify runs outside p.mu, as in send).
func (p *Process) unlockNotify() {
	wake := p.sig.signalfdWake
	p.sig.signalfdWake = false
	p.mu.Unlock()
	if wake {
		p.sig.signalfdQ.Notify(fs.EventIn)
	}
}

// sending is one signal being sent (send_signal_locked's arguments).
type sending struct {
	info signals.SigInfo
	// target is a thread-directed signal's thread; nil for a
	// process-directed one, which goes to prefer if that thread wants
	// it (complete_signal tries the task it is given first: the CPU-time
	// interval timers give the thread whose CPU time made them expire,
	// so that SIGPROF samples the running code).
	target, prefer *Task
	// force is set for a fault's signal (force_sig_info_to_task).
	force bool
	// timer is the POSIX timer whose preallocated signal this is.
	timer *posixTimer
}

// sendLocked is send under p.mu. continued reports a stopped process that
// the signal (SIGCONT) resumed, whose parent must hear of it; queued
// that the signal is now pending. A POSIX timer's signal is queued with
// its preallocated entry.
func (p *Process) sendLocked(req sending) (continued, queued bool, err error) {
	info, sig, target, force, tm := req.info, req.info.Signo(), req.target, req.force, req.timer
	s := &p.sig
	if s.exiting {
		return false, false, nil
	}
	// prepare_signal: stop and continue signals cancel each other.
	if isStopSignal(sig) {
		s.shared.Remove(signals.Bit(signals.SIGCONT))
		for _, t := range p.tasks {
			t.pending.Remove(signals.Bit(signals.SIGCONT))
		}
	} else if sig == signals.SIGCONT {
		s.shared.Remove(stopMask)
		for _, t := range p.tasks {
			t.pending.Remove(stopMask)
		}
		if s.stopSig != 0 {
			continued = s.stopped
			s.stopSig, s.stopping, s.stopped = 0, 0, false
			// Every thread is running again from now on, whether or not
			// it has woken yet (wake_up_state of __TASK_STOPPED): a new
			// stop must count it, and it must join that stop.
			for _, t := range p.tasks {
				t.stopped = false
				t.wakeLocked()
			}
		}
	}
	if force && target != nil {
		// force_sig_info_to_task: a fault's signal cannot be blocked or
		// ignored: if it is, the default action applies. This comes
		// before the check for ignored signals, which must see it.
		h := p.sighand
		h.mu.Lock()
		if a := &h.actions[sig-1]; a.Handler == signals.SIG_IGN || target.sigMask&signals.Bit(sig) != 0 {
			a.Handler = signals.SIG_DFL
			target.sigMask &^= signals.Bit(sig)
		}
		h.mu.Unlock()
	}
	if p.ignoredLocked(sig, target, force) {
		if tm != nil {
			p.timerNotQueuedLocked(tm)
		}
		return continued, false, nil
	}
	q := &s.shared
	if target != nil {
		if p.tasks[target.TID] != target {
			return continued, false, nil // it has exited: its queue is flushed
		}
		q = &target.pending
	}
	if sig < signals.SIGRTMIN && q.Set&signals.Bit(sig) != 0 {
		if tm != nil {
			p.timerNotQueuedLocked(tm)
		}
		return continued, false, nil
	}
	if tm != nil {
		tm.queued = true
		q.Add(signals.Queued{Sig: sig, Info: info, Held: tm, Seq: tm.seq})
	} else if err := p.queueLocked(q, sig, info); err != nil {
		return continued, false, err
	}
	p.completeSignalLocked(sig, target, req.prefer)
	return continued, true, nil
}

// ignoredLocked is sig_ignored: a signal that is not blocked and whose
// action is to ignore it is dropped at once; init ignores signals whose
// action is the default unless the kernel forces them. For a
// process-directed signal, "blocked" is the main thread's mask, as Linux
// checks the group leader's.
func (p *Process) ignoredLocked(sig int, target *Task, force bool) bool {
	t := target
	if t == nil {
		t = p.tasks[p.PID]
	}
	if t != nil && (t.sigMask|t.realBlocked)&signals.Bit(sig) != 0 {
		return false
	}
	a := p.sighand.action(sig)
	if a.Handler == signals.SIG_IGN {
		return true
	}
	if a.Handler != signals.SIG_DFL {
		return false
	}
	if p.PID == 1 && !force {
		return true // SIGNAL_UNKILLABLE
	}
	return defaultIgnored(sig)
}

// completeSignalLocked picks the thread that will take the signal (for a
// process-directed one, prefer if it wants it) and wakes it
// (complete_signal). A fatal signal ends the whole group now.
func (p *Process) completeSignalLocked(sig int, target, prefer *Task) {
	t := target
	if t == nil && prefer != nil && p.tasks[prefer.TID] == prefer && prefer.wantsLocked(sig) {
		t = prefer
	} else if t == nil {
		t = p.wantsSignalLocked(sig)
		if t == nil {
			return // every thread blocks it or is stopped: it waits, pending
		}
	} else if !t.wantsLocked(sig) {
		return // the thread takes it once it unblocks it or continues
	}
	// A fatal signal (SIGKILL, or a default action that ends the process)
	// ends every thread now. Init only dies of what the kernel forces on
	// it, at delivery.
	a := p.sighand.action(sig)
	fatal := sig == signals.SIGKILL || a.Handler == signals.SIG_DFL && !defaultIgnored(sig) && !isStopSignal(sig)
	if fatal && p.PID != 1 && t.sigMask&signals.Bit(sig) == 0 {
		p.groupExitLocked(sig)
		return
	}
	t.wakeLocked()
}

// wantsLocked reports whether t can take sig now (wants_signal): it does
// not block it and is not exiting, and, unless sig is SIGKILL, it is not
// stopped. A signal no thread wants stays pending: one that would kill
// the process does not do so while it is stopped, but once continued.
func (t *Task) wantsLocked(sig int) bool {
	if t.sigMask&signals.Bit(sig) != 0 || t.exiting {
		return false
	}
	return sig == signals.SIGKILL || !t.stopped
}

// wantsSignalLocked returns the thread a process-directed signal goes to:
// the main thread if it wants it, else another that does.
func (p *Process) wantsSignalLocked(sig int) *Task {
	if t := p.tasks[p.PID]; t != nil && t.wantsLocked(sig) {
		return t
	}
	for _, t := range p.tasks {
		if t.wantsLocked(sig) {
			return t
		}
	}
	if sig == signals.SIGKILL {
		for _, t := range p.tasks {
			return t
		}
	}
	return nil
}

// groupExitLocked makes every thread of the process end, with wait status
// code (the first caller's stands), as zap_other_threads does.
func (p *Process) groupExitLocked(code int) {
	s := &p.sig
	if s.exiting {
		return
	}
	s.exiting = true
	s.code = code
	s.stopSig, s.stopping, s.stopped = 0, 0, false
	for _, t := range p.tasks {
		t.exiting = true
		t.wakeLocked()
	}
}

// exitGroup ends the process with wait status code.
func (p *Process) exitGroup(code int) {
	p.mu.Lock()
	p.groupExitLocked(code)
	p.mu.Unlock()
}

// signalPending reports whether the task has something to do before it
// may block or return to user mode: a signal it does not block, a group
// exit, or a group stop it has not joined (signal_pending).
func (t *Task) signalPendingLocked() bool {
	s := &t.Proc.sig
	if t.io {
		return t.exiting // cancelled (iothread.go): signals are not its
	}
	return t.exiting || s.stopSig != 0 && !t.stopped ||
		(t.pending.Set|s.shared.Set)&^t.sigMask != 0
}

// wakeLocked makes the task look at its signals: it stops waiting in the
// kernel and comes back from user mode (signal_wake_up).
func (t *Task) wakeLocked() {
	t.sigWork.Store(true)
	close(t.wake)
	t.wake = make(chan struct{})
	if !t.io { // an I/O thread never runs user code
		t.uc.Kick()
	}
}

// sigTarget finds what a kill-style call names: a process, or a task.
type killTarget struct {
	proc *Process
	task *Task
}

// Kill implements kill(2)'s targets: pid > 0 a process (or the process
// of thread pid), 0 the caller's process group, -1 every process but
// init and the caller, < -1 the process group -pid. sig 0 only checks
// that a target exists. As kill_something_info, a missing target is
// ESRCH before a bad signal number is EINVAL.
func (t *Task) Kill(pid int32, sig int) error {
	info := signals.KillInfo(sig, signals.SI_USER, t.Proc.PID, t.Proc.Creds().RUID)
	var targets []*Process
	procMu.Lock()
	switch {
	case pid > 0:
		if p := processByIDLocked(pid); p != nil {
			targets = append(targets, p)
		}
	case pid == -1:
		for _, p := range procs {
			if p.PID != 1 && p != t.Proc {
				targets = append(targets, p)
			}
		}
	default:
		pg := -pid
		if pid == 0 {
			pg = t.Proc.pgid
		}
		for _, p := range procs {
			if p.pgid == pg {
				targets = append(targets, p)
			}
		}
	}
	procMu.Unlock()
	if len(targets) == 0 {
		return linuxerr.ESRCH
	}
	if sig < 0 || sig > signals.SIGRTMAX {
		return linuxerr.EINVAL
	}
	if sig != 0 {
		for _, p := range targets {
			p.send(info, nil, false)
		}
	}
	return nil
}

// processByIDLocked returns the process with ID id, or the process of
// the thread with that ID (find_vpid and the thread's group).
func processByIDLocked(id int32) *Process {
	if p := procs[id]; p != nil {
		return p
	}
	if t := tasks[id]; t != nil {
		return t.Proc
	}
	return nil
}

// Tgkill implements tgkill(2) (tgid > 0) and tkill(2) (tgid 0): a signal
// to one thread.
func (t *Task) Tgkill(tgid, tid int32, sig int) error {
	if tid <= 0 || tgid < 0 {
		return linuxerr.EINVAL
	}
	return sendSpecific(tgid, tid, sig, signals.KillInfo(sig, signals.SI_TKILL, t.Proc.PID, t.Proc.Creds().RUID))
}

// sendSpecific sends sig with info to thread tid, which must belong to
// process tgid unless tgid is 0 (do_send_specific): ESRCH without such a
// thread, then EINVAL for a bad signal number.
func sendSpecific(tgid, tid int32, sig int, info signals.SigInfo) error {
	target := TaskByTID(tid)
	if target == nil || tgid != 0 && target.Proc.PID != tgid {
		return linuxerr.ESRCH
	}
	if sig < 0 || sig > signals.SIGRTMAX {
		return linuxerr.EINVAL
	}
	if sig != 0 {
		return target.Proc.send(info, target, false)
	}
	return nil
}

// SigQueue implements rt_sigqueueinfo(2) (tid 0: to process pid) and
// rt_tgsigqueueinfo(2) (to thread tid of process pid): sig with the
// siginfo the caller wrote, whose si_signo becomes sig. Only the kernel
// and kill(2) use the codes that vouch for the sender (si_code >= 0,
// SI_TKILL): a caller may use them only towards its own thread ID
// (do_rt_sigqueueinfo, do_rt_tgsigqueueinfo; EPERM).
func (t *Task) SigQueue(pid, tid int32, sig int, info signals.SigInfo) error {
	info.SetSigno(sig)
	target := pid
	if tid != 0 {
		if pid <= 0 || tid <= 0 {
			return linuxerr.EINVAL
		}
		target = tid
	}
	if code := info.Code(); (code >= 0 || code == signals.SI_TKILL) && t.TID != target {
		return linuxerr.EPERM
	}
	if tid != 0 {
		return sendSpecific(pid, tid, sig, info)
	}
	var p *Process
	if pid > 0 {
		procMu.Lock()
		p = processByIDLocked(pid)
		procMu.Unlock()
	}
	if p == nil {
		return linuxerr.ESRCH
	}
	if sig < 0 || sig > signals.SIGRTMAX {
		return linuxerr.EINVAL
	}
	if sig != 0 {
		return p.send(info, nil, false)
	}
	return nil
}

// SignalGroup sends sig from the kernel to every process in process group
// pgrp (a terminal's ^C, ^\ and ^Z).
func SignalGroup(pgrp int32, sig int) {
	var targets []*Process
	procMu.Lock()
	for _, p := range procs {
		if p.pgid == pgrp && p.state == procAlive {
			targets = append(targets, p)
		}
	}
	procMu.Unlock()
	for _, p := range targets {
		p.SendSignal(sig)
	}
}

// SigPipe is what a write to a pipe without readers does besides EPIPE:
// SIGPIPE to the writing thread.
func (t *Task) SigPipe() {
	t.Proc.send(signals.KillInfo(signals.SIGPIPE, signals.SI_USER, t.Proc.PID, t.Proc.Creds().RUID), t, false)
}

// Sigaction returns signal sig's action and sets it to act if act is not
// nil (rt_sigaction's kernel side, do_sigaction): setting SIG_IGN, or
// SIG_DFL for a signal ignored by default, discards it where pending.
func (t *Task) Sigaction(sig int, act *signals.Sigaction) signals.Sigaction {
	p := t.Proc
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.sighand
	h.mu.Lock()
	old := h.actions[sig-1]
	if act != nil {
		h.actions[sig-1] = *act
	}
	h.mu.Unlock()
	if act != nil && (act.Handler == signals.SIG_IGN || act.Handler == signals.SIG_DFL && defaultIgnored(sig)) {
		bit := signals.Bit(sig)
		p.sig.shared.Remove(bit)
		for _, o := range p.tasks {
			o.pending.Remove(bit)
		}
	}
	return old
}

// SigMask returns the task's blocked signals.
func (t *Task) SigMask() uint64 {
	t.Proc.mu.Lock()
	defer t.Proc.mu.Unlock()
	return t.sigMask
}

// SetSigMask sets the blocked signals (never SIGKILL or SIGSTOP), as
// set_current_blocked.
func (t *Task) SetSigMask(mask uint64) {
	p := t.Proc
	p.mu.Lock()
	t.setMaskLocked(mask)
	p.mu.Unlock()
}

func (t *Task) setMaskLocked(mask uint64) {
	t.sigMask = mask &^ signals.Unblockable
	if t.signalPendingLocked() {
		t.wakeLocked()
	}
}

// PendingSignals returns the signals pending for the task and its process
// (rt_sigpending reports those that are also blocked).
func (t *Task) PendingSignals() uint64 {
	p := t.Proc
	p.mu.Lock()
	defer p.mu.Unlock()
	return t.pending.Set | p.sig.shared.Set
}

// notifyParentStop tells the parent that the process stopped (or, with
// continued, resumed): a wait report, and SIGCHLD unless the parent asked
// for none with SA_NOCLDSTOP (do_notify_parent_cldstop).
//
// The notification runs after the change it reports, outside p.mu, so
// it can come late: a SIGCONT's after the process already stopped again,
// a stop's after a SIGCONT undid it. A late one changes nothing: the wait
// report follows the process's state (as Linux's wait reads
// signal->flags), or the late "continued" would hide the stop that
// followed it and leave the process stopped with nobody told.
func (p *Process) notifyParentStop(continued bool) {
	procMu.Lock()
	parent := p.parent
	code := int32(signals.CLD_STOPPED)
	status := int32(0)
	p.mu.Lock()
	current := p.sig.stopped != continued
	stopSig := p.sig.stopSig
	p.mu.Unlock()
	if !current {
		procMu.Unlock()
		return
	}
	if continued {
		p.contReport, p.stopReport = true, 0
		code, status = signals.CLD_CONTINUED, signals.SIGCONT
	} else {
		p.stopReport, p.contReport = stopSig, false
		status = int32(stopSig)
	}
	if parent != nil {
		parent.notifyChildEventLocked()
	}
	procMu.Unlock()
	if parent == nil {
		return
	}
	if parent.sighand.action(signals.SIGCHLD).Flags&signals.SA_NOCLDSTOP != 0 {
		return
	}
	u, s := p.Times()
	parent.send(signals.ChldInfo(code, p.PID, p.Creds().RUID, status, clockTicks(u), clockTicks(s)), nil, false)
}

// clockTicks converts ns to clock ticks (USER_HZ = 100).
func clockTicks(ns int64) int64 { return ns / 1e7 }
