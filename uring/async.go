package uring

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
)

// asyncReq is the state of a request that went asynchronous: the worker
// context it runs with (Linux's io-wq worker, here an I/O thread of the
// process, run by a goroutine only while the request has work to do),
// and while it waits for its file's readiness, its entry on the file's
// wait queue (io_arm_poll_handler's apoll).
type asyncReq struct {
	w     Worker
	entry fs.Entry
	q     *fs.Queue
	armed bool // registered and waiting (under Ring.mu)
}

// goAsync makes r asynchronous (io_queue_async): tried says the
// submitter already issued it and it would have waited, in which case it
// waits for its file's readiness at once; otherwise a worker issues it.
// Neither the submitter nor the SQ thread waits for it.
func (ring *Ring) goAsync(r *Req, tried bool) {
	ring.mu.Lock()
	if ring.async%asyncPerPage == 0 && !chargeReq(1) {
		ring.mu.Unlock()
		r.completeWith(0, linuxerr.ENOMEM)
		return
	}
	ring.async++
	a := &asyncReq{w: Host.NewWorker(r.submitter)}
	r.async = a
	ring.mu.Unlock()
	r.Task = a.w
	r.iowq.Store(!tried && r.flags&reqAsync != 0)
	ring.armLinkTimeout(r, r.lt) // nothing else can complete r yet: r.lt is stable
	r.setCancel(func() { ring.cancelAsync(r) })
	if tried && ring.armPoll(r) {
		return
	}
	go ring.work(r)
}

// work issues r on its worker without waiting; if the operation would
// have waited, r waits for the readiness it needs with no goroutine
// (armPoll) and is issued again when it comes (IORING_FEAT_FAST_POLL),
// or, on a file that cannot be polled, issued blocking. A multishot
// request posts its results until it ends.
func (ring *Ring) work(r *Req) {
	w := r.async.w
	// Workers run operations without passing through the system-call
	// entry, which waits for reclaim when the kernel's heap nears the
	// reserve (mm.Throttle): they wait here.
	mm.Throttle()
	for {
		if r.Cancelled() {
			r.completeWith(0, linuxerr.ECANCELED)
			return
		}
		w.SetNoWait(true)
		res, err := ring.issue(r)
		would := w.WouldBlock()
		w.SetNoWait(false)
		if err == ErrQueued {
			return
		}
		if would && !r.NoRetry && linuxerr.Equals(linuxerr.EAGAIN, err) {
			if ring.armPoll(r) {
				return
			}
			r.iowq.Store(true)
			res, err = ring.issue(r) // blocking, on this goroutine
		}
		if err == nil && r.flags&reqMultishot != 0 && !r.Cancelled() {
			r.PostMore(res, r.CFlags)
			continue
		}
		r.completeWith(res, err)
		return
	}
}

// armPoll makes r wait for its file's readiness: it reports false if the
// file cannot be polled for what r needs.
func (ring *Ring) armPoll(r *Req) bool {
	p, mask := r.pollTarget()
	if p == nil {
		return false
	}
	r.iowq.Store(false) // Linux completes it from task work
	a := r.async
	a.q = fs.EventQueueFor(a.w, p)
	a.entry.Mask = mask
	if a.entry.Callback == nil {
		a.entry.Callback = func(uint32) { ring.pollReady(r) }
	}
	ring.mu.Lock()
	if r.cancelled.Load() {
		ring.mu.Unlock()
		r.completeWith(0, linuxerr.ECANCELED)
		return true
	}
	a.armed = true
	ring.mu.Unlock()
	a.q.Register(&a.entry)
	// Readiness that came before the registration is not missed.
	if fs.ReadinessFor(a.w, p, r.File, mask) != 0 {
		ring.pollReady(r)
	}
	return true
}

// pollReady runs when the file of a waiting request may be ready: the
// request is issued again on a goroutine.
func (ring *Ring) pollReady(r *Req) {
	a := r.async
	ring.mu.Lock()
	armed := a.armed
	a.armed = false
	ring.mu.Unlock()
	if !armed {
		return
	}
	a.q.Unregister(&a.entry)
	go ring.work(r)
}

// cancelAsync cancels an asynchronous request: one waiting for readiness
// ends at once with -ECANCELED; one being issued has its worker's wait
// interrupted.
func (ring *Ring) cancelAsync(r *Req) {
	a := r.async
	ring.mu.Lock()
	armed := a.armed
	a.armed = false
	ring.mu.Unlock()
	if armed {
		a.q.Unregister(&a.entry)
		r.completeWith(0, linuxerr.ECANCELED)
		return
	}
	a.w.Cancel()
}
