package uring

import (
	"encoding/binary"
	"errors"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// Req is one request: an SQE being carried out (struct io_kiocb).
type Req struct {
	Ring *Ring
	SQE  SQE
	op   *Op
	// Task is the context the request runs in when it is issued.
	Task Task
	// submitter is the task that submitted it: asynchronous workers act
	// as its process.
	submitter Task
	// File is the file sqe->fd names (fixed or not) for opcodes that
	// need one, looked up when the request is issued; Fixed says it came
	// from the registered table.
	File  *fs.File
	Fixed bool
	// Data is the opcode's own state, set by its Prep.
	Data any

	flags uint32 // req* bits below
	// link is the next request of the chain; lt the LINK_TIMEOUT that
	// guards this one, ltFor the request a LINK_TIMEOUT guards.
	link  *Req
	lt    *Req
	ltFor *Req

	// claimed is set by whoever completes the request (complete),
	// cancelled once a cancellation reached it; cancel interrupts it
	// while it waits (under Ring.mu).
	claimed   atomic.Bool
	cancelled atomic.Bool
	cancel    func()
	// tags are those of the registered file and buffer it uses (their
	// tag CQEs wait for it: postTags).
	tags []uint64
	// iowq is set while the request runs as Linux would run it in an
	// io-wq worker (IORING_REGISTER_EVENTFD_ASYNC signals its CQE): sent
	// there by IOSQE_ASYNC and not waiting for readiness (Linux completes
	// those from task work), or issued blocking.
	iowq atomic.Bool

	// failRes is the error a request failed submission with (reqFail).
	failRes int32
	// after runs once r's own CQE is posted: what an opcode did to other
	// requests that Linux completes through task work, after the
	// opcode's own completion (a cancelled request's -ECANCELED).
	after func()
	// async is the state of a request gone asynchronous (async.go).
	async *asyncReq
	// NoRetry makes an EAGAIN from a refused wait final (RWF_NOWAIT):
	// the request completes with it instead of waiting.
	NoRetry bool
	// CFlags are the CQE flags an Issue adds to its result
	// (IORING_CQE_F_BUFFER and the buffer ID).
	CFlags uint32
	// prev and next link the ring's requests in flight (Ring.inflight).
	prev, next *Req
	// seq is the submission order; started is set once the request was
	// issued (under Ring.mu), which makes it one a cancellation finds.
	seq     uint64
	started bool
	// drainChain marks the members of a chain issued under IO_DRAIN.
	drainChain bool
	// reuse marks a request whose memory may serve a later one once it
	// completed inline (Ring.free): its Op is Plain and no
	// LINK_TIMEOUT guards it.
	reuse bool
	// timer is a timeout's or linked timeout's timer (timeout.go).
	timer stopper
}

// stopper is a timer that can be stopped (*time.Timer).
type stopper interface{ Stop() bool }

// Request flags.
const (
	reqLink      = 1 << iota // IOSQE_IO_LINK or HARDLINK: the next SQE depends on it
	reqHardlink              // a failure does not break the chain
	reqDrain                 // IOSQE_IO_DRAIN
	reqSkip                  // IOSQE_CQE_SKIP_SUCCESS
	reqFail                  // failed at submission: complete with its error when queued
	reqAsync                 // IOSQE_ASYNC
	reqBufSelect             // IOSQE_BUFFER_SELECT
	reqMultishot             // posts CQEs with IORING_CQE_F_MORE until it ends
)

// ErrQueued is what an Issue returns when it arranged for the request to
// complete later (a poll waiting for its event, a timeout's timer).
var ErrQueued = errors.New("uring: request queued")

// errnoOf turns an error into the negative errno a CQE carries; the
// system-call layer's Errno is the one conversion.
var Errno func(error) uint32

func errnoOf(err error) int32 {
	switch {
	case linuxerr.Equals(linuxerr.ERESTARTSYS, err), linuxerr.Equals(linuxerr.ERESTARTNOINTR, err),
		linuxerr.Equals(linuxerr.ERESTARTNOHAND, err), linuxerr.Equals(linuxerr.ERESTART_RESTARTBLOCK, err):
		return -int32(linuxerr.EINTR.Errno())
	}
	return -int32(Errno(err))
}

// Submitter returns the context that submitted r (the SQ thread's under
// SQPOLL): what Prep reads user memory with.
func (r *Req) Submitter() Task { return r.submitter }

// Multishot marks r as a multishot request (its op decided so in Prep).
func (r *Req) Multishot() { r.flags |= reqMultishot }

// EndMultishot makes a multishot request's next result its last (its
// CQE without IORING_CQE_F_MORE): a receive that reached EOF, as
// io_recv_finish ends one.
func (r *Req) EndMultishot() { r.flags &^= reqMultishot }

// IsMultishot reports whether r still posts CQEs with IORING_CQE_F_MORE.
func (r *Req) IsMultishot() bool { return r.flags&reqMultishot != 0 }

// BufferSelect reports whether IOSQE_BUFFER_SELECT is set.
func (r *Req) BufferSelect() bool { return r.flags&reqBufSelect != 0 }

// Cancelled reports whether a cancellation reached r.
func (r *Req) Cancelled() bool { return r.cancelled.Load() }

// setCancel records how to interrupt r while it waits; nil clears it. If
// a cancellation already came, fn runs at once.
func (r *Req) setCancel(fn func()) {
	r.Ring.mu.Lock()
	r.cancel = fn
	run := fn != nil && r.cancelled.Load()
	r.Ring.mu.Unlock()
	if run {
		fn()
	}
}

// requestCancel cancels r (io_try_cancel): it ends with -ECANCELED unless
// it completes first.
func (r *Req) requestCancel() { r.requestCancelSeq(0) }

// requestCancelSeq is requestCancel of r if it is still request seq (0:
// whichever it is), not a later one its memory serves.
func (r *Req) requestCancelSeq(seq uint64) {
	r.Ring.mu.Lock()
	if seq != 0 && r.seq != seq {
		r.Ring.mu.Unlock()
		return
	}
	r.cancelled.Store(true)
	fn := r.cancel
	r.Ring.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// PostMore posts a CQE of a multishot request that goes on
// (IORING_CQE_F_MORE).
func (r *Req) PostMore(res int32, cflags uint32) {
	r.Ring.post(CQE{UserData: r.SQE.UserData, Res: res, Flags: cflags | CQEFMore})
}

// Complete ends r with res and cflags if nothing else completed it
// (a cancellation, its linked timeout): posts its CQE unless
// CQE_SKIP_SUCCESS hides it, drops its file, then starts or fails the
// rest of its chain (io_req_complete_post, io_queue_next,
// io_fail_links). It reports whether it was the one to complete r.
func (r *Req) Complete(res int32, cflags uint32) bool { return r.complete(res, cflags, false) }

// complete is Complete; inline says that the submitter completes r as it
// issues it, in Submit, which tells the ring's waiters of its CQE once at
// its end.
func (r *Req) complete(res int32, cflags uint32, inline bool) bool {
	if !r.claimed.CompareAndSwap(false, true) {
		return false
	}
	if r.cancelled.Load() && res < 0 {
		res = -int32(linuxerr.ECANCELED.Errno())
	}
	failed := res < 0 || r.flags&reqFail != 0
	if r.op != nil && r.op.Failed != nil && res >= 0 {
		failed = r.op.Failed(r, res)
	}
	r.finish(res, cflags, failed, inline)
	return true
}

// conclude posts r's CQE (unless CQE_SKIP_SUCCESS hides a success),
// drops its file and retires it. inline: see complete.
func (r *Req) conclude(res int32, cflags uint32, failed, inline bool) {
	if r.flags&reqSkip == 0 || failed {
		c := CQE{UserData: r.SQE.UserData, Res: res, Flags: cflags}
		if inline {
			r.Ring.postInline(c)
		} else {
			r.Ring.postFrom(c, r.iowq.Load())
		}
	}
	if r.after != nil || len(r.tags) > 0 {
		// The file goes before the tags and what r did to other
		// requests; otherwise retire drops it, under the same hold of
		// mu.
		if f := r.File; f != nil {
			r.Ring.mu.Lock()
			r.File = nil
			r.Ring.mu.Unlock()
			f.DecRef()
		}
		r.Ring.releaseTags(r)
		if fn := r.after; fn != nil {
			r.after = nil
			fn()
		}
	}
	// Only the submitter, which completed r inline, may lend its memory:
	// newReq, which reuses it, runs on the same goroutine, after this
	// completion has stopped reading r (finish).
	r.Ring.retire(r, inline && r.reuse)
}

// finish concludes r and moves its chain on. inline: see complete.
func (r *Req) finish(res int32, cflags uint32, failed, inline bool) {
	ring := r.Ring
	next, lt := r.link, r.lt
	r.link, r.lt = nil, nil
	if lt != nil {
		next = lt.link
		lt.link = nil
	}
	r.conclude(res, cflags, failed, inline)
	if lt != nil && lt.claimed.CompareAndSwap(false, true) {
		// The request ended before its linked timeout fired: the
		// timeout is cancelled after it (io_disarm_next), and the chain
		// goes on after the timeout.
		lt.disarm()
		lt.conclude(-int32(linuxerr.ECANCELED.Errno()), 0, false, inline)
	}
	if next == nil {
		return
	}
	if failed && r.flags&reqHardlink == 0 {
		// A request with IOSQE_CQE_SKIP_SUCCESS posts its failure, but
		// the requests that failure cancels post nothing (req_set_fail's
		// REQ_F_SKIP_LINK_CQES, io_fail_links).
		failChain(next, r.flags&reqSkip != 0)
		return
	}
	ring.start(next, nil)
}

// failChain completes every request of a chain with -ECANCELED, or with
// the error it failed submission with (io_fail_links): each posts its
// CQE, IOSQE_CQE_SKIP_SUCCESS or not, unless silent, when none does.
func failChain(r *Req, silent bool) {
	for r != nil {
		next := r.link
		r.link = nil
		if lt := r.lt; lt != nil {
			r.lt = nil
			lt.link = next
			next = lt
		}
		res := -int32(linuxerr.ECANCELED.Errno())
		if r.flags&reqFail != 0 {
			res = r.failRes
		}
		if r.claimed.CompareAndSwap(false, true) {
			if silent {
				r.flags |= reqSkip // conclude then posts nothing
			}
			r.conclude(res, 0, !silent, false)
		}
		r = next
	}
}

// putCQE encodes c into b.
func putCQE(b []byte, c CQE) {
	le := binary.LittleEndian
	le.PutUint64(b[0:], c.UserData)
	le.PutUint32(b[8:], uint32(c.Res))
	le.PutUint32(b[12:], c.Flags)
}
