package uring

import (
	"sort"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// ASYNC_CANCEL flags (IORING_ASYNC_CANCEL_*).
const (
	CancelAll     = 1 << 0
	CancelFd      = 1 << 1
	CancelAny     = 1 << 2
	CancelFdFixed = 1 << 3
	cancelFlags   = CancelAll | CancelFd | CancelAny | CancelFdFixed
)

// cancelData is what an ASYNC_CANCEL matches (struct io_cancel_data).
type cancelData struct {
	userData uint64
	fd       int32
	flags    uint32
}

// prepCancel is io_async_cancel_prep.
func prepCancel(r *Req) error {
	s := &r.SQE
	if r.flags&reqBufSelect != 0 || s.Off != 0 || s.FileIndex != 0 {
		return linuxerr.EINVAL
	}
	d := &cancelData{userData: s.Addr, flags: s.OpFlags}
	if d.flags&^cancelFlags != 0 {
		return linuxerr.EINVAL
	}
	if d.flags&CancelFd != 0 {
		if d.flags&CancelAny != 0 {
			return linuxerr.EINVAL
		}
		d.fd = s.Fd
	}
	r.Data = d
	return nil
}

// matches reports whether request x is one the cancellation names
// (io_cancel_req_match).
func (d *cancelData) matches(x *Req) bool {
	switch {
	case d.flags&CancelAny != 0:
		return true
	case d.flags&CancelFd != 0:
		if x.op == nil || !x.op.NeedsFile || x.SQE.Fd != d.fd {
			return false
		}
		return x.Fixed == (d.flags&CancelFdFixed != 0)
	}
	return x.SQE.UserData == d.userData
}

// issued returns the ring's requests that were issued and have not
// completed, but for except, in submission order.
func (ring *Ring) issued(except *Req) []*Req {
	ring.mu.Lock()
	var out []*Req
	for x := ring.inflight.head; x != nil; x = x.next {
		if x != except && x.started && !x.claimed.Load() {
			out = append(out, x)
		}
	}
	ring.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// issueCancel is io_async_cancel: the first matching request, or every
// one under IORING_ASYNC_CANCEL_ALL or ANY, is cancelled. The result is
// 0 (or the number cancelled, for ALL and ANY), or -ENOENT when nothing
// matched.
func issueCancel(r *Req) (int32, error) {
	d := r.Data.(*cancelData)
	all := d.flags&(CancelAll|CancelAny) != 0
	var targets []*Req
	for _, x := range r.Ring.issued(r) {
		if !d.matches(x) {
			continue
		}
		targets = append(targets, x)
		if !all {
			break
		}
	}
	n := int32(len(targets))
	r.after = func() {
		for _, x := range targets {
			x.requestCancel()
		}
	}
	if all {
		return n, nil
	}
	if n == 0 {
		return 0, linuxerr.ENOENT
	}
	return 0, nil
}

func init() {
	Register(OpAsyncCancel, &Op{Name: "ASYNC_CANCEL", Prep: prepCancel, Issue: issueCancel})
}
