package uring

import (
	"errors"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// Requests are kernel memory a process makes: every reqsPerPage of a
// ring's requests in flight are charged a page (chargeReq), and
// every asyncPerPage asynchronous ones another (their worker context and
// wait-queue entry; a request waiting for readiness holds no goroutine).
// A process that runs the budget out gets EAGAIN from io_uring_enter (no
// SQE consumed) and -ENOMEM for requests that would have to wait.
const (
	reqsPerPage  = 16
	asyncPerPage = 4
)

// errNoReq is submitSQE's answer when no request could be allocated.
var errNoReq = errors.New("uring: no memory for a request")

// linkState is the chain being built during one submission
// (io_submit_link).
type linkState struct{ head, last *Req }

// Submit consumes up to n SQEs from the SQ ring and submits them
// (io_submit_sqes), issuing each with t, and returns how many it
// consumed. Submission stops at an SQE that fails its checks (counted)
// unless IORING_SETUP_SUBMIT_ALL, and at an invalid SQ index (counted in
// sq_dropped, not in the result). A chain still open at the end is
// queued as it is.
func (ring *Ring) Submit(t Task, n uint32) (int, error) {
	ring.submitMu.Lock()
	n = min(n, ring.sqReady())
	done := ring.submit(t, n)
	if ring.batched {
		ring.batched = false
		ring.notify(false)
	}
	ring.submitMu.Unlock()
	if done == 0 && n > 0 {
		return 0, linuxerr.EAGAIN
	}
	return done, nil
}

// submit is Submit under submitMu, of n SQEs that are there: it returns
// how many it consumed.
func (ring *Ring) submit(t Task, n uint32) int {
	var ls linkState
	done := 0
	for ; done < int(n); done++ {
		idx := ring.rings.load(ring.arrayOff + (ring.sqHead&(ring.sqEntries-1))*4)
		if idx >= ring.sqEntries {
			ring.sqHead++
			ring.rings.store(offSQHead, ring.sqHead)
			ring.rings.store(offSQDropped, ring.rings.load(offSQDropped)+1)
			break
		}
		r, err := ring.newReq(t, idx)
		if err != nil {
			// No memory for a request: the SQE stays in the ring
			// (io_alloc_req failing ends io_submit_sqes).
			break
		}
		// The SQE is copied: its slot goes back to the process before
		// the request runs, so that the process never sees a CQE of an
		// SQE the SQ head has not passed.
		ring.sqHead++
		ring.rings.store(offSQHead, ring.sqHead)
		if err := ring.submitSQE(r, &ls); err != nil && ring.flags&SetupSubmitAll == 0 {
			done++
			break
		}
	}
	if ls.head != nil {
		ring.queue(ls.head, t)
	}
	return done
}

// newReq makes a request of the SQE at index idx and counts it in
// flight, or fails with errNoReq when the requests' allowance is spent.
func (ring *Ring) newReq(t Task, idx uint32) (*Req, error) {
	ring.mu.Lock()
	if ring.pending%reqsPerPage == 0 && !chargeReq(1) {
		ring.mu.Unlock()
		return nil, errNoReq
	}
	var r *Req
	if n := len(ring.free); n > 0 {
		// Under mu: a reqRef to the request this memory served compares
		// its seq there.
		r = ring.free[n-1]
		ring.free = ring.free[:n-1]
		*r = Req{}
	} else {
		r = new(Req)
	}
	r.Ring, r.submitter = ring, t
	r.SQE = loadSQE(ring.sqes.ptr(idx * SQESize))
	ring.seq++
	r.seq = ring.seq
	ring.pending++
	ring.inflight.add(r)
	ring.mu.Unlock()
	return r, nil
}

// submitSQE adds a new request to the chain being built or queues it
// (io_submit_sqe, io_submit_fail_init). An error is the one its checks
// found; the request then completes with it.
func (ring *Ring) submitSQE(r *Req, ls *linkState) error {
	t := r.submitter
	err := ring.initReq(r, ls)
	if err != nil {
		r.flags |= reqFail
		r.failRes = errnoOf(err)
		if ls.head != nil && ls.head.flags&reqFail == 0 {
			ls.head.flags |= reqFail
			ls.head.failRes = -int32(linuxerr.ECANCELED.Errno())
		}
	}
	// An SQE that failed its checks but links on does not end the
	// submission: the chain is still assembled, marked failed, and
	// submission goes on (io_submit_fail_init returns 0 for it).
	if ls.head != nil {
		ring.append(ls, r)
		if r.flags&reqLink != 0 {
			return nil
		}
		head := ls.head
		*ls = linkState{}
		ring.queue(head, t)
		return err
	}
	if r.flags&reqLink != 0 {
		ls.head, ls.last = r, r
		return nil
	}
	ring.queue(r, t)
	return err
}

// append adds r at the end of the chain; a LINK_TIMEOUT guards the
// request before it.
func (ring *Ring) append(ls *linkState, r *Req) {
	if r.SQE.Opcode == OpLinkTimeout && r.flags&reqFail == 0 {
		ls.last.lt = r
		r.ltFor = ls.last
	}
	ls.last.link = r
	ls.last = r
}

// initReq checks an SQE's flags and opcode and runs the opcode's Prep
// (io_init_req), in Linux's order.
func (ring *Ring) initReq(r *Req, ls *linkState) error {
	sqe := &r.SQE
	// The flags are taken before any check, so that an SQE failing one
	// still links to the next, and hides the CQEs of the requests its
	// failure cancels under CQE_SKIP_SUCCESS (io_init_req copies
	// sqe->flags first).
	f := uint32(sqe.Flags)
	if f&SQEIOLink != 0 {
		r.flags |= reqLink
	}
	if f&SQEIOHardlink != 0 {
		r.flags |= reqLink | reqHardlink
	}
	if f&SQEAsync != 0 {
		r.flags |= reqAsync
	}
	if f&SQECQESkipSuccess != 0 {
		r.flags |= reqSkip
	}
	if sqe.Opcode >= OpLast {
		return linuxerr.EINVAL
	}
	if f&^sqeKnown != 0 {
		return linuxerr.EINVAL
	}
	op := ops[sqe.Opcode]
	if op == nil {
		// An opcode oyako does not implement, as Linux answers one it
		// was built without (io_eopnotsupp_prep).
		return linuxerr.EOPNOTSUPP
	}
	r.op = op
	if f&SQEBufferSelect != 0 {
		if !op.BufferSelect {
			return linuxerr.EOPNOTSUPP
		}
		r.flags |= reqBufSelect
	}
	if f&SQECQESkipSuccess != 0 {
		ring.mu.Lock()
		ring.drainOff = true
		ring.mu.Unlock()
	}
	if f&SQEIODrain != 0 {
		ring.mu.Lock()
		off := ring.drainOff
		ring.mu.Unlock()
		if off {
			return linuxerr.EOPNOTSUPP
		}
		// A drain flag anywhere in a chain drains the chain's head.
		if ls.head != nil {
			ls.head.flags |= reqDrain
		} else {
			r.flags |= reqDrain
		}
	}
	if !op.Ioprio && sqe.Ioprio != 0 {
		return linuxerr.EINVAL
	}
	if sqe.Personality != 0 {
		return linuxerr.EINVAL // no personalities are registered
	}
	if f&SQEFixedFile != 0 {
		r.Fixed = true
	}
	if sqe.Opcode == OpLinkTimeout {
		if ls.head == nil || ls.last.SQE.Opcode == OpLinkTimeout {
			return linuxerr.EINVAL
		}
	}
	if op.Prep != nil {
		return op.Prep(r)
	}
	return nil
}

// queue starts a submitted chain, or holds it back behind a drain
// (io_queue_sqe, io_drain_req). t is the submitting context.
func (ring *Ring) queue(r *Req, t Task) {
	if r.flags&reqFail != 0 {
		// A chain that failed submission is not run: its head completes
		// with its error, the rest -ECANCELED, hard links included
		// (io_queue_sqe_fallback).
		if r.claimed.CompareAndSwap(false, true) {
			r.flags &^= reqHardlink
			r.finish(r.failRes, 0, true, false)
		}
		return
	}
	ring.mu.Lock()
	// While a drained chain runs, what comes after it waits for it too
	// ("new SQEs will not be started before this one completes").
	if r.flags&reqDrain != 0 || len(ring.deferred) > 0 || ring.draining > 0 {
		ring.deferred = append(ring.deferred, r)
		ring.mu.Unlock()
		ring.runDeferred()
		return
	}
	ring.mu.Unlock()
	ring.start(r, t)
}

// chainLen counts a chain's requests.
func chainLen(r *Req) int {
	n := 0
	for ; r != nil; r = r.link {
		n++
	}
	return n
}

// runDeferred starts the held-back chains that may run now: a drained
// one once every request submitted before it has completed, the ones
// after it once it has. (Linux's rule for IOSQE_IO_DRAIN: "the SQE will
// not be started before previously submitted SQEs have completed, and
// new SQEs will not be started before this one completes.")
func (ring *Ring) runDeferred() {
	for {
		ring.mu.Lock()
		if len(ring.deferred) == 0 {
			ring.mu.Unlock()
			return
		}
		waiting := 0
		for _, d := range ring.deferred {
			waiting += chainLen(d)
		}
		h := ring.deferred[0]
		if h.flags&reqDrain != 0 && ring.pending-waiting > 0 || ring.draining > 0 {
			ring.mu.Unlock()
			return
		}
		ring.deferred = ring.deferred[1:]
		if h.flags&reqDrain != 0 {
			for m := h; m != nil; m = m.link {
				m.drainChain = true
				ring.draining++
			}
		}
		ring.mu.Unlock()
		ring.start(h, nil)
	}
}

// maxFree bounds the requests a ring keeps for reuse.
const maxFree = 64

// retire takes a completed request out of the books, drops its file if
// it still holds it, and lets held-back requests go. reuse says r's
// memory may serve a later request (Ring.free).
func (ring *Ring) retire(r *Req, reuse bool) {
	ring.mu.Lock()
	f := r.File
	r.File = nil // under mu: a cancellation by descriptor compares it
	ring.pending--
	if ring.pending%reqsPerPage == 0 {
		unchargeReq(1)
	}
	if r.async != nil {
		if ring.async--; ring.async%asyncPerPage == 0 {
			unchargeReq(1)
		}
	}
	if r.drainChain {
		ring.draining--
	}
	ring.inflight.remove(r)
	if reuse && len(ring.free) < maxFree {
		ring.free = append(ring.free, r)
	}
	more := len(ring.deferred) > 0
	last := ring.closed && ring.pending == 0
	ring.mu.Unlock()
	if f != nil {
		f.DecRef()
	}
	if more {
		ring.runDeferred()
	}
	if last {
		ring.maybeFree()
	}
}

// start issues a request: inline with t without waiting, when t is a
// context that may issue (the submitter, the SQ thread), then on a
// worker if it would have waited; on a worker at once under IOSQE_ASYNC
// or when there is no such context (a chain moving on from a
// completion).
func (ring *Ring) start(r *Req, t Task) {
	if r.flags&reqFail != 0 {
		ring.queue(r, t)
		return
	}
	if t == nil || r.flags&reqAsync != 0 {
		ring.mu.Lock()
		r.started = true
		ring.mu.Unlock()
		ring.goAsync(r, false)
		return
	}
	r.Task = t
	// r.lt is read before the issue: a request that completes while
	// issued (a timer, a poll) clears it (finish).
	lt := r.lt
	// The file is looked up first, so that one hold of mu marks the
	// request issued and records its file.
	var f *fs.File
	var ferr error
	if r.op.NeedsFile && r.File == nil {
		f, ferr = ring.lookupFile(r)
	}
	ring.mu.Lock()
	r.started = true
	if f != nil {
		r.File = f
	}
	ring.mu.Unlock()
	r.reuse = r.op.Plain && lt == nil
	t.SetNoWait(true)
	var res int32
	err := ferr
	if err == nil {
		res, err = ring.issue(r)
	}
	would := t.WouldBlock()
	t.SetNoWait(false)
	switch {
	case err == ErrQueued:
		ring.armLinkTimeout(r, lt)
	case would && !r.NoRetry && linuxerr.Equals(linuxerr.EAGAIN, err):
		ring.goAsync(r, true)
	case err == nil && r.flags&reqMultishot != 0:
		r.PostMore(res, r.CFlags)
		ring.goAsync(r, false)
	default:
		if err != nil {
			res = errnoOf(err)
		}
		r.complete(res, r.CFlags, true)
	}
}

// completeWith completes r with Issue's result.
func (r *Req) completeWith(res int32, err error) {
	if err != nil {
		res = errnoOf(err)
	}
	r.Complete(res, r.CFlags)
}

// issue looks up the request's file if it needs one and not yet, and
// calls its Issue.
func (ring *Ring) issue(r *Req) (int32, error) {
	r.CFlags = 0
	if r.op.NeedsFile && r.File == nil {
		f, err := ring.lookupFile(r)
		if err != nil {
			return 0, err
		}
		// Under mu: a cancellation by descriptor compares it.
		ring.mu.Lock()
		r.File = f
		ring.mu.Unlock()
	}
	return r.op.Issue(r)
}

// lookupFile returns the file sqe->fd names: an index into the
// registered files under IOSQE_FIXED_FILE, else a descriptor of the
// issuing process.
func (ring *Ring) lookupFile(r *Req) (*fs.File, error) {
	if r.Fixed {
		return ring.useFixedFile(r, r.SQE.Fd)
	}
	return Host.GetFile(r.Task, r.SQE.Fd)
}

// pollTarget returns the file's poll interface and the events a request
// that would block waits for, or nil if it cannot wait that way.
func (r *Req) pollTarget() (fs.Pollable, uint32) {
	if r.File == nil || !(r.op.PollIn || r.op.PollOut) {
		return nil, 0
	}
	p, ok := r.File.Ops().(fs.Pollable)
	if !ok {
		return nil, 0
	}
	mask := uint32(fs.EventErr | fs.EventHup)
	if r.op.PollIn {
		mask |= fs.EventIn | fs.EventRdNorm | fs.EventRdHup
	} else {
		mask |= fs.EventOut | fs.EventWrNorm
	}
	return p, mask
}
