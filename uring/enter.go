package uring

import (
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// EnterArgs are io_uring_enter's arguments.
type EnterArgs struct {
	ToSubmit, MinComplete, Flags uint32
	// Wait decodes what the last two arguments point to, for the wait
	// for CQEs (IORING_ENTER_GETEVENTS): Linux reads them only after
	// submission (io_get_ext_arg), so that their errors are returned
	// only if nothing was submitted. Nil: no timeout, no mask.
	Wait func() (WaitArgs, error)
}

// WaitArgs are the wait's timeout and signal mask.
type WaitArgs struct {
	// Timeout bounds the wait (IORING_ENTER_EXT_ARG's ts); HasTimeout
	// says it was given.
	Timeout    time.Duration
	HasTimeout bool
	// Mask, if set, installs the call's signal mask when the call has to
	// block (io_cqring_wait's set_user_sigmask, after it found too few
	// CQEs): it fails with the mask's error (EINVAL, EFAULT), or returns
	// the function that ends the mask with the wait's result and returns
	// the result to report.
	Mask func() (unmask func(error) error, err error)
}

// Enter implements io_uring_enter(2) on the ring for thread t
// (SYSCALL_DEFINE6(io_uring_enter)): submission, or waking the SQ
// thread; then the wait for min_complete CQEs. It returns the number of
// SQEs submitted; a wait's error (EINTR, ETIME) is returned only if
// nothing was submitted, and not at all if CQEs are there to reap.
func (ring *Ring) Enter(t Task, a EnterArgs) (int32, error) {
	var ret int32
	// The overflow backlog moves into the ring only in a GETEVENTS wait
	// (io_cqring_wait): Linux 6.18 flushes it neither on submission nor
	// for the SQ thread's enters, so new CQEs queue behind it.
	if ring.sq != nil {
		if ring.sq.dead.Load() {
			return 0, linuxerr.EOWNERDEAD // the SQ thread died with its process
		}
		if a.Flags&EnterSQWakeup != 0 {
			ring.sq.wakeUp()
		}
		if a.Flags&EnterSQWait != 0 {
			if err := ring.waitSQSpace(t); err != nil {
				return 0, err
			}
		}
		ret = int32(a.ToSubmit)
	} else if a.ToSubmit > 0 {
		if err := ring.CheckIssuer(t); err != nil {
			return 0, err
		}
		n, err := ring.Submit(t, a.ToSubmit)
		if err != nil {
			return 0, err
		}
		ret = int32(n)
		if uint32(n) != a.ToSubmit {
			return ret, nil
		}
	}
	if a.Flags&EnterGetEvents != 0 {
		var w WaitArgs
		var err error
		if a.Wait != nil {
			w, err = a.Wait()
		}
		if err == nil && ring.flags&SetupDeferTaskrun != 0 {
			// Only the submitter may run a DEFER_TASKRUN ring's
			// completions (io_allowed_run_tw).
			err = ring.CheckIssuer(t)
		}
		if err == nil {
			err = ring.waitCQ(t, min(a.MinComplete, ring.cqEntries), w)
		}
		if err != nil && ret == 0 {
			return 0, err
		}
	}
	return ret, nil
}

// CheckIssuer applies IORING_SETUP_SINGLE_ISSUER: only the thread that
// made the ring may submit on it or register with it (EEXIST, as
// io_uring_add_tctx_node and __io_uring_register check submitter_task).
func (ring *Ring) CheckIssuer(t Task) error {
	if ring.flags&SetupSingleIssuer != 0 && !Host.SameThread(ring.owner, t) {
		return linuxerr.EEXIST
	}
	return nil
}

// waitCQ waits until at least n CQEs are in the ring
// (io_cqring_wait), flushing the overflow backlog as room appears: at
// once if they are there (n = 0 never waits, whatever the timeout), else
// with the call's signal mask in place. It fails with the wait's
// interruption (ERESTARTSYS for a signal) or ETIME when the timeout
// passes, unless CQEs are there by then.
func (ring *Ring) waitCQ(t Task, n uint32, w WaitArgs) (err error) {
	ring.flushOverflow()
	if ring.cqReady() >= n {
		return nil
	}
	if w.Mask != nil {
		// merr, not err: the deferred unmask must see the wait's result
		// (the named return), or an interrupted wait would put the old
		// mask back before the handler could run.
		unmask, merr := w.Mask()
		if merr != nil {
			return merr
		}
		defer func() { err = unmask(err) }()
	}
	timeout, hasTimeout := w.Timeout, w.HasTimeout
	var deadline time.Time
	if hasTimeout {
		deadline = time.Now().Add(timeout)
		tm := time.AfterFunc(timeout, func() {
			ring.cqMu.Lock()
			ring.signalLocked()
			ring.cqMu.Unlock()
		})
		defer tm.Stop()
	}
	for {
		ring.flushOverflow()
		ch, _ := ring.cqWait()
		if ring.cqReady() >= n {
			return nil
		}
		if hasTimeout && !time.Now().Before(deadline) {
			if ring.cqReady() > 0 {
				return nil
			}
			return linuxerr.ETIME
		}
		if err := t.Block(ch); err != nil {
			if ring.cqReady() > 0 {
				return nil
			}
			return err
		}
	}
}

// sqConsumed tells IORING_ENTER_SQ_WAIT waiters that the SQ thread made
// room.
func (ring *Ring) sqConsumed() {
	ring.cqMu.Lock()
	close(ring.sqChanged)
	ring.sqChanged = make(chan struct{})
	ring.cqMu.Unlock()
}

// waitSQSpace waits until the SQ ring has room (io_sqpoll_wait_sq).
func (ring *Ring) waitSQSpace(t Task) error {
	for {
		ring.cqMu.Lock()
		ch := ring.sqChanged
		ring.cqMu.Unlock()
		if ring.rings.load(offSQTail)-ring.rings.load(offSQHead) < ring.sqEntries {
			return nil
		}
		ring.sq.wakeUp()
		if err := t.Block(ch); err != nil {
			return err
		}
	}
}

// Release tears the ring down when its file's last reference goes
// (io_ring_ctx_wait_and_kill): the SQ thread stops, requests in flight
// are cancelled, requests held back are failed, and the registered
// resources are dropped. The ring memory is freed once the last request
// has completed and the last mapping is gone.
func (ring *Ring) Release() {
	if ring.sq != nil {
		ring.sq.detach(ring)
	}
	ring.mu.Lock()
	ring.closed = true
	deferred := ring.deferred
	ring.deferred = nil
	var live []reqRef
	for r := ring.inflight.head; r != nil; r = r.next {
		live = append(live, reqRef{r, r.seq})
	}
	files, bufs, ev := ring.res.files, ring.res.bufs, ring.res.eventfd
	pbufs := ring.res.pbufs
	ring.res = resources{}
	ring.hasEventfd.Store(false)
	ring.mu.Unlock()
	pbufs.release() // provided buffers (buffers.go): their charge back
	_ = bufs
	for _, d := range deferred {
		failChain(d, false)
	}
	for _, x := range live {
		x.cancel()
	}
	for _, f := range files {
		if f != nil {
			f.DecRef()
		}
	}
	if ev != nil {
		ev.DecRef()
	}
	ring.maybeFree()
}

// maybeFree frees the ring memory of a released ring with nothing in
// flight (the regions themselves wait for their mappings).
func (ring *Ring) maybeFree() {
	ring.mu.Lock()
	free := ring.closed && ring.pending == 0 && !ring.freed
	if free {
		ring.freed = true
	}
	ring.mu.Unlock()
	if free {
		trackRing(ring, false)
		ring.rings.release()
		ring.sqes.release()
	}
}
