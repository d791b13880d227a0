package task

import (
	"time"

	"gvisor.dev/gvisor/pkg/abi/linux/errno"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
	"oyako/kernel/mm"
	"oyako/signals"
)

// Signal delivery on the way back to user mode (Linux's
// arch_do_signal_or_restart and get_signal): group exit and group stop,
// default actions, handlers with rt_sigframes (signals/frame.go), and the
// restart of system calls a signal interrupted.

// handleSignals runs before every return to user mode. It reports false
// when the task must end instead.
func (t *Task) handleSignals() bool {
	// Nothing happened that concerns signals since the last look (no
	// wake, no exit, no mask of its own changed) and the call needs no
	// restart or saved mask: return to user mode without the lock.
	// Any pending signal, even a blocked one, takes the locked path too
	// (a word read without the lock: a signal queued after it is
	// followed by wakeLocked or waits for its unblocking, which wakes).
	if !t.sigWork.Load() && !t.hasSaved && !(t.inSyscall && isRestartErrno(t.uc.Frame.Regs.Rax)) &&
		t.pending.Set|t.Proc.sig.shared.Set == 0 {
		t.inSyscall = false
		return true
	}
	p := t.Proc
	delivered := false
	for {
		p.mu.Lock()
		t.sigWork.Store(false)
		if t.exiting {
			p.mu.Unlock()
			return false
		}
		if p.sig.stopSig != 0 && !t.stopped {
			t.joinStopLocked() // unlocks
			continue
		}
		sig, info := t.dequeueLocked(t.sigMask)
		if sig == 0 {
			t.finishSyscallLocked(delivered)
			p.mu.Unlock()
			return true
		}
		act := p.sighand.action(sig)
		switch {
		case act.Handler == signals.SIG_IGN:
			p.mu.Unlock()
		case act.Handler == signals.SIG_DFL:
			if !t.defaultActionLocked(sig) { // unlocks
				return false
			}
		default:
			t.setupFrameLocked(sig, info, act) // unlocks
			delivered = true
		}
	}
}

// dequeueLocked takes the next signal not in mask, the thread's own
// before the process's (dequeue_signal).
func (t *Task) dequeueLocked(mask uint64) (int, signals.SigInfo) {
	for {
		q := &t.pending
		sig := signals.Next(q.Set &^ mask)
		if sig == 0 {
			q = &t.Proc.sig.shared
			if sig = signals.Next(q.Set &^ mask); sig == 0 {
				return 0, signals.SigInfo{}
			}
		}
		s := q.Take(sig)
		if tm, ok := s.Held.(*posixTimer); ok {
			if !t.Proc.timerDeliverLocked(tm, &s) {
				continue // a stale timer signal is dropped
			}
		} else if s.Held != nil {
			s.Held.Release()
		}
		return sig, s.Info
	}
}

// defaultActionLocked applies sig's default action (signal(7)): ignore,
// stop, or end the process. It unlocks Proc.mu and reports false when
// the task must end.
func (t *Task) defaultActionLocked(sig int) bool {
	p := t.Proc
	switch {
	case defaultIgnored(sig):
		p.mu.Unlock()
		return true
	case isStopSignal(sig):
		// A terminal's stop signals do nothing to an orphaned process
		// group: nothing could ever continue it.
		if stopMaskTTY&signals.Bit(sig) != 0 {
			p.mu.Unlock()
			orphaned := p.pgrpOrphaned()
			p.mu.Lock()
			if orphaned {
				p.mu.Unlock()
				return true
			}
		}
		if p.sig.stopSig == 0 && !p.sig.exiting {
			p.sig.stopSig = sig
			p.sig.stopping = len(p.tasks)
			for _, o := range p.tasks {
				if o != t {
					o.wakeLocked()
				}
			}
		}
		p.mu.Unlock()
		return true
	}
	// Terminate (or core: without a core file the status has no core
	// bit, as with RLIMIT_CORE 0).
	p.groupExitLocked(sig)
	p.mu.Unlock()
	if sig == t.faultSig {
		t.reportFault()
	}
	return false
}

// joinStopLocked parks the task in the group stop until SIGCONT or
// SIGKILL (do_signal_stop); the last thread to stop tells the parent. It
// unlocks Proc.mu.
func (t *Task) joinStopLocked() {
	p := t.Proc
	t.stopped = true
	p.sig.stopping--
	last := p.sig.stopping == 0
	if last {
		p.sig.stopped = true
	}
	p.mu.Unlock()
	if last {
		p.notifyParentStop(false)
	}
	for {
		p.mu.Lock()
		// SIGCONT clears t.stopped: a stop that began again before this
		// thread woke is a new one, which it joins afresh.
		if !t.stopped || t.exiting {
			t.stopped = false
			p.mu.Unlock()
			return
		}
		ch := t.wake
		p.mu.Unlock()
		<-ch
	}
}

// Syscall restart (arch/x86/kernel/signal.c): a call a signal interrupted
// returns one of these; they never reach user mode.
var (
	erestartsys          = negErrno(errno.ERESTARTSYS)
	erestartnointr       = negErrno(errno.ERESTARTNOINTR)
	erestartnohand       = negErrno(errno.ERESTARTNOHAND)
	erestartRestartblock = negErrno(errno.ERESTART_RESTARTBLOCK)
	eintr                = negErrno(errno.EINTR)
)

// negErrno is -e as RAX holds it.
func negErrno(e errno.Errno) uint64 { return uint64(-int64(e)) }

// restartSyscallNR is restart_syscall(2)'s number.
const restartSyscallNR = 219

// finishSyscallLocked handles what is left once no handler runs: a call
// interrupted by a signal that did nothing (ignored, or a stop that was
// continued) starts again, and a mask a call replaced comes back.
// isRestartErrno reports whether a system call's result asks for a restart
// (the ERESTART codes finishSyscallLocked turns back into the call).
func isRestartErrno(rax uint64) bool {
	switch rax {
	case erestartsys, erestartnointr, erestartnohand, erestartRestartblock:
		return true
	}
	return false
}

func (t *Task) finishSyscallLocked(delivered bool) {
	if t.inSyscall && !delivered {
		r := &t.uc.Frame.Regs
		switch r.Rax {
		case erestartsys, erestartnointr, erestartnohand:
			r.Rax = r.OrigRax
			r.Rip -= 2
		case erestartRestartblock:
			r.Rax = restartSyscallNR
			r.Rip -= 2
		}
	}
	t.inSyscall = false
	if t.hasSaved && !delivered {
		t.sigMask = t.savedMask
		t.hasSaved = false
		t.sigWork.Store(true) // a pending signal may be unblocked now
	}
}

// setupFrameLocked runs sig's handler: it fixes up an interrupted system
// call, builds the rt_sigframe on the user stack and points the registers
// at the handler (handle_signal). It unlocks Proc.mu.
func (t *Task) setupFrameLocked(sig int, info signals.SigInfo, act signals.Sigaction) {
	p := t.Proc
	r := &t.uc.Frame.Regs
	if t.Strace && TraceSignal != nil {
		p.mu.Unlock()
		TraceSignal(t, info)
		p.mu.Lock()
	}
	if t.inSyscall {
		switch r.Rax {
		case erestartRestartblock, erestartnohand:
			r.Rax = eintr
		case erestartsys:
			if act.Flags&signals.SA_RESTART == 0 {
				r.Rax = eintr
				break
			}
			fallthrough
		case erestartnointr:
			r.Rax = r.OrigRax
			r.Rip -= 2
		}
		t.inSyscall = false
	}
	oldMask := t.sigMask
	if t.hasSaved {
		oldMask = t.savedMask
		t.hasSaved = false
	}
	d := signals.Delivery{
		Regs:     userRegs(r),
		Info:     info,
		Action:   act,
		OldMask:  oldMask,
		Alt:      t.altStack,
		Err:      t.trapErr,
		Trapno:   t.trapNo,
		Cr2:      t.trapCR2,
		FPUState: t.syncedFPUArea()[:amd64.ThisCPU().XSaveSize],
	}
	b, ok := signals.BuildFrame(&d, fpuFormat())
	p.mu.Unlock()
	if ok {
		as := p.AS()
		ok = as.CopyOut(uintptr(b.FPState), b.FP) == nil &&
			as.CopyOut(uintptr(b.Frame), b.Bytes) == nil &&
			(b.Info == nil || as.CopyOut(uintptr(b.Frame)+signals.InfoOffset, b.Info) == nil)
	}
	var report string
	if !ok {
		// Described before p.mu is taken: the description names the
		// process, which takes p.mu (the fuzzer's first hang was this
		// thread waiting for the lock it held).
		report = t.describeFault(signals.SIGSEGV, "signal frame not writable", 0)
	}
	p.mu.Lock()
	if !ok {
		// force_sigsegv: the handler cannot run; SIGSEGV's own handler
		// is dropped if it was the one that failed.
		if sig == signals.SIGSEGV {
			h := p.sighand
			h.mu.Lock()
			h.actions[signals.SIGSEGV-1].Handler = signals.SIG_DFL
			h.mu.Unlock()
		}
		t.sigMask &^= signals.Bit(signals.SIGSEGV)
		t.faultReport, t.faultSig = report, signals.SIGSEGV
		p.sendLocked(sending{info: signals.KillInfo(signals.SIGSEGV, signals.SI_KERNEL, 0, 0), target: t, force: true})
		p.mu.Unlock()
		return
	}
	if b.Disarm {
		t.altStack = signals.NoAltStack
	}
	setUserRegs(r, signals.HandlerRegs(&d, b))
	t.resetFPU() // the handler starts with clean vector state (fpu__clear_user_states)
	mask := t.sigMask | act.Mask
	if act.Flags&signals.SA_NODEFER == 0 {
		mask |= signals.Bit(sig)
	}
	if act.Flags&signals.SA_RESETHAND != 0 {
		h := p.sighand
		h.mu.Lock()
		h.actions[sig-1] = signals.Sigaction{}
		h.mu.Unlock()
	}
	t.sigMask = mask &^ signals.Unblockable
	p.mu.Unlock()
}

// TraceSignal and TraceExit let strace mode show a traced task's
// signals as they are delivered to a handler and its process's end (set
// by the syscall layer).
var (
	TraceSignal func(t *Task, info signals.SigInfo)
	TraceExit   func(t *Task, status int)
)

// fpuFormat describes the machine's vector state for signal frames.
func fpuFormat() signals.FPU {
	c := amd64.ThisCPU()
	return signals.FPU{XSave: c.UseXSAVE != 0, Size: int(c.XSaveSize), Features: amd64.XFeatures}
}

// MinSigStackSize is AT_MINSIGSTKSZ: what one signal frame can take.
func MinSigStackSize() uint64 { return fpuFormat().FrameSize() }

func userRegs(r *amd64.PtRegs) signals.Regs {
	return signals.Regs{
		R8: r.R8, R9: r.R9, R10: r.R10, R11: r.R11, R12: r.R12, R13: r.R13, R14: r.R14, R15: r.R15,
		Rdi: r.Rdi, Rsi: r.Rsi, Rbp: r.Rbp, Rbx: r.Rbx, Rdx: r.Rdx, Rax: r.Rax, Rcx: r.Rcx,
		Rsp: r.Rsp, Rip: r.Rip, Eflags: r.Eflags,
	}
}

func setUserRegs(r *amd64.PtRegs, s signals.Regs) {
	r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15 = s.R8, s.R9, s.R10, s.R11, s.R12, s.R13, s.R14, s.R15
	r.Rdi, r.Rsi, r.Rbp, r.Rbx, r.Rdx, r.Rax, r.Rcx = s.Rdi, s.Rsi, s.Rbp, s.Rbx, s.Rdx, s.Rax, s.Rcx
	r.Rsp, r.Rip, r.Eflags = s.Rsp, s.Rip, s.Eflags
	r.Cs, r.Ss = amd64.UserCS, amd64.UserDS
}

// Sigreturn implements rt_sigreturn(2) as Linux's does: it restores the
// signal mask, the registers (only FIX_EFLAGS of RFLAGS, CPL 3 forced on
// CS and SS), the vector state and the alternate stack saved in the frame
// at RSP-8. A frame that cannot be read or holds vector state that XRSTOR
// would refuse raises SIGSEGV (badframe) after the mask and registers are
// restored; selectors the CPU would refuse raise SIGSEGV as the #GP of
// Linux's IRET does. Nothing from the frame reaches XRSTOR unchecked
// (signals.CheckFPState).
func (t *Task) Sigreturn() {
	r := &t.uc.Frame.Regs
	p := t.Proc
	as := p.AS()
	buf := make([]byte, signals.RtSigframeSize)
	if as.CopyIn(uintptr(r.Rsp-8), buf) != nil {
		t.badFrame()
		return
	}
	ret := signals.ParseFrame(buf, r.Eflags)
	p.mu.Lock()
	t.setMaskLocked(ret.Mask)
	t.inSyscall = false
	p.mu.Unlock()
	setUserRegs(r, ret.Regs)
	state, ok := t.readFPState(ret.FPState)
	if !ok {
		t.resetFPU() // fpu__clear_user_states
		t.badFrame()
		return
	}
	if state != nil {
		t.uc.DropFPU()
		copy(t.fpuArea()[:], state)
	} else {
		t.resetFPU()
	}
	if bad, code := ret.BadSelector(); bad {
		t.trapErr, t.trapNo = code, amd64.VectorGP
		t.fault(signals.SIGSEGV, signals.SI_KERNEL, 0, "return to a bad segment selector")
		return
	}
	p.mu.Lock()
	// restore_altstack: errors are ignored.
	t.altStack.Set(ret.Stack, r.Rsp, signals.MINSIGSTKSZ)
	p.mu.Unlock()
}

// readFPState reads and checks the vector state a signal frame points
// at (nil for none), reading only what Linux's restore reads.
func (t *Task) readFPState(addr uint64) ([]byte, bool) {
	if addr == 0 {
		return nil, true
	}
	as := t.Proc.AS()
	fpu := fpuFormat()
	img := make([]byte, fpu.FPStateSize())
	if as.CopyIn(uintptr(addr), img[:512]) != nil {
		return nil, false
	}
	if xsave, size := fpu.XStateInFrame(img); xsave {
		if as.CopyIn(uintptr(addr)+512, img[512:size]) != nil {
			return nil, false
		}
	} else {
		img = img[:512]
	}
	return signals.CheckFPState(img, addr, fpu, amd64.MXCSRMask())
}

// badFrame raises SIGSEGV for an unusable rt_sigreturn frame
// (signal_fault).
func (t *Task) badFrame() {
	t.setFaultReport(signals.SIGSEGV, "bad rt_sigreturn frame", 0)
	t.Proc.send(signals.KillInfo(signals.SIGSEGV, signals.SI_KERNEL, 0, 0), t, true)
}

// badReturn raises what the CPU raises when ring 3 cannot be entered at
// the saved RIP (the kernel refuses to enter it at an address past the
// lower half): a RIP in the kernel half is entered, and fetching from
// it page-faults (SEGV_MAPERR at RIP, the error code a protection fault
// as Linux's sanitize_error_code reports user accesses to kernel
// addresses); a non-canonical RIP or RSP makes IRET raise #GP (SIGSEGV,
// SI_KERNEL).
func (t *Task) badReturn() {
	r := &t.uc.Frame.Regs
	if r.Rip >= kernelHalf && r.Rsp < mm.UserTop {
		t.trapErr, t.trapNo, t.trapCR2 = amd64.PFUser|amd64.PFInstr|amd64.PFPresent, amd64.VectorPF, r.Rip
		t.fault(signals.SIGSEGV, signals.SEGV_MAPERR, r.Rip, "instruction fetch from the kernel half")
		return
	}
	t.trapErr, t.trapNo = 0, amd64.VectorGP
	t.fault(signals.SIGSEGV, signals.SI_KERNEL, 0, "cannot return to a non-canonical address")
}

// kernelHalf is the first canonical address of the upper half.
const kernelHalf = 0xffff800000000000

// SigAltStack returns the alternate stack and, if n is set, changes it
// (sigaltstack(2)).
func (t *Task) SigAltStack(n *signals.StackT) (old signals.StackT, err error) {
	p := t.Proc
	p.mu.Lock()
	defer p.mu.Unlock()
	sp := t.uc.Frame.Regs.Rsp
	a := t.altStack
	old = signals.StackT{Sp: a.Sp, Size: a.Size, Flags: a.ReportFlags(sp)}
	if n != nil {
		switch t.altStack.Set(*n, sp, signals.MINSIGSTKSZ) {
		case "EPERM":
			return old, linuxerr.EPERM
		case "EINVAL":
			return old, linuxerr.EINVAL
		case "ENOMEM":
			return old, linuxerr.ENOMEM
		}
	}
	return old, nil
}

// SigSuspend implements rt_sigsuspend(2): it waits with mask in place
// until a signal is delivered; the handler's frame records the old mask.
func (t *Task) SigSuspend(mask uint64) error {
	p := t.Proc
	p.mu.Lock()
	t.savedMask, t.hasSaved = t.sigMask, true
	t.setMaskLocked(mask)
	p.mu.Unlock()
	t.BeginSleep(true)
	<-t.Interrupted()
	t.EndSleep()
	return linuxerr.ERESTARTNOHAND
}

// SetSavedMask installs mask for the duration of a call (ppoll,
// pselect6, epoll_pwait): the old one comes back when the call returns,
// or after the handler of a signal that interrupted it.
func (t *Task) SetSavedMask(mask uint64) {
	p := t.Proc
	p.mu.Lock()
	t.savedMask, t.hasSaved = t.sigMask, true
	t.setMaskLocked(mask)
	p.mu.Unlock()
}

// RestoreSavedMask puts back at once the mask SetSavedMask replaced, for
// a call that ends without a signal (restore_saved_sigmask): a signal the
// temporary mask let through but the old one blocks stays pending.
func (t *Task) RestoreSavedMask() {
	p := t.Proc
	p.mu.Lock()
	if t.hasSaved {
		t.sigMask, t.hasSaved = t.savedMask, false
		t.sigWork.Store(true) // a pending signal may be unblocked now
	}
	p.mu.Unlock()
}

// Pause implements pause(2).
func (t *Task) Pause() error {
	t.BeginSleep(true)
	defer t.EndSleep()
	<-t.Interrupted()
	return linuxerr.ERESTARTNOHAND
}

// SigTimedWait implements rt_sigtimedwait(2): it dequeues a pending
// signal of set, waiting until the deadline (zero: none; timed with a
// zero deadline in the past: poll) for one to arrive. The signals of set
// are unblocked while it waits, so that their arrival wakes it; any other
// signal's delivery interrupts it (EINTR).
func (t *Task) SigTimedWait(set uint64, deadline time.Time, timed bool) (int, signals.SigInfo, error) {
	p := t.Proc
	var timer <-chan time.Time
	if timed {
		tm := time.NewTimer(max(time.Until(deadline), 0))
		defer tm.Stop()
		timer = tm.C
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// While waiting, the signals of set are unblocked (their arrival
	// wakes the task) but still count as blocked for being ignored
	// (real_blocked).
	t.realBlocked = t.sigMask
	t.sigMask &^= set
	defer func() { t.sigMask, t.realBlocked = t.realBlocked, 0 }()
	for {
		if sig, info := t.dequeueLocked(^set); sig != 0 {
			return sig, info, nil
		}
		if t.signalPendingLocked() {
			return 0, signals.SigInfo{}, linuxerr.EINTR
		}
		wake := t.wake
		p.mu.Unlock()
		var expired bool
		t.BeginSleep(true)
		select {
		case <-wake:
		case <-timer:
			expired = true
		}
		t.EndSleep()
		p.mu.Lock()
		if expired {
			if sig, info := t.dequeueLocked(^set); sig != 0 {
				return sig, info, nil
			}
			return 0, signals.SigInfo{}, linuxerr.EAGAIN
		}
	}
}
