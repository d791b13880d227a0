package uring

import (
	"encoding/binary"
	"sort"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// ASYNC_CANCEL flags (IORING_ASYNC_CANCEL_*). USERDATA and OP came in
// Linux 6.6 (after liburing 2.3): a cancellation by descriptor or by
// opcode also matches the user data with USERDATA, and by opcode
// matches sqe->len's opcode with OP.
const (
	CancelAll      = 1 << 0
	CancelFd       = 1 << 1
	CancelAny      = 1 << 2
	CancelFdFixed  = 1 << 3
	CancelUserData = 1 << 4
	CancelOp       = 1 << 5
	cancelFlags    = CancelAll | CancelFd | CancelAny | CancelFdFixed | CancelUserData | CancelOp
)

// cancelData is what an ASYNC_CANCEL matches (struct io_cancel_data).
type cancelData struct {
	userData uint64
	fd       int32
	opcode   uint8
	flags    uint32
	// file is the file fd names, looked up when the cancel is issued:
	// requests match by file, not by descriptor number.
	file *fs.File
}

// prepCancel is io_async_cancel_prep.
func prepCancel(r *Req) error {
	s := &r.SQE
	if s.Off != 0 || s.FileIndex != 0 {
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
	if d.flags&CancelOp != 0 {
		if d.flags&CancelAny != 0 {
			return linuxerr.EINVAL
		}
		d.opcode = uint8(s.Len)
	}
	r.Data = d
	return nil
}

// matches reports whether request x is one the cancellation names
// (io_cancel_req_match): any request under ANY; else the one on its
// file under FD, of its opcode under OP, and with its user data unless
// FD or OP came without USERDATA. x.File is read under Ring.mu.
func (d *cancelData) matches(x *Req) bool {
	if d.flags&CancelAny != 0 {
		return true
	}
	if d.flags&CancelFd != 0 && (x.File == nil || x.File != d.file) {
		return false
	}
	if d.flags&CancelOp != 0 && x.SQE.Opcode != d.opcode {
		return false
	}
	byData := d.flags&(CancelFd|CancelOp) == 0 || d.flags&CancelUserData != 0
	return !byData || x.SQE.UserData == d.userData
}

// reqRef names a request as it was when found: a completed request's
// memory may serve a later one (Ring.free), which has another seq.
type reqRef struct {
	r   *Req
	seq uint64
}

// cancel cancels the request if it is still the one found.
func (x reqRef) cancel() { x.r.requestCancelSeq(x.seq) }

// issued returns the ring's requests that were issued and have not
// completed, but for except, for which match (called under mu) reports
// true, in submission order.
func (ring *Ring) issued(except *Req, match func(*Req) bool) []reqRef {
	ring.mu.Lock()
	var out []reqRef
	for x := ring.inflight.head; x != nil; x = x.next {
		if x != except && x.started && !x.claimed.Load() && match(x) {
			out = append(out, reqRef{x, x.seq})
		}
	}
	ring.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// issueCancel is io_async_cancel: the first matching request, or every
// one under IORING_ASYNC_CANCEL_ALL or ANY, is cancelled, after the
// cancel's own CQE. The result is 0 (or the number cancelled, for ALL
// and ANY), -ENOENT when nothing matched, or -EBADF when the descriptor
// to match by is not open.
func issueCancel(r *Req) (int32, error) {
	targets, n, err := r.Ring.matchCancel(r.Task, r, r.Data.(*cancelData), r.Fixed)
	r.after = func() {
		for _, x := range targets {
			x.cancel()
		}
	}
	return n, err
}

// matchCancel finds what d names among the ring's requests under way
// but except (__io_async_cancel): the first match, or all of them under
// ALL or ANY, looking up the file to match by as t sees it (a
// registered one under FD_FIXED or fixed). It returns them and the
// cancellation's result.
func (ring *Ring) matchCancel(t Task, except *Req, d *cancelData, fixed bool) ([]reqRef, int32, error) {
	if d.flags&CancelFd != 0 {
		var f *fs.File
		var err error
		if fixed || d.flags&CancelFdFixed != 0 {
			f, err = ring.fixedFile(d.fd)
		} else {
			f, err = Host.GetFile(t, d.fd)
		}
		if err != nil {
			return nil, 0, linuxerr.EBADF
		}
		// Only the identity is compared: the reference can go now.
		f.DecRef()
		d.file = f
	}
	all := d.flags&(CancelAll|CancelAny) != 0
	targets := ring.issued(except, d.matches)
	if !all && len(targets) > 1 {
		targets = targets[:1]
	}
	n := int32(len(targets))
	switch {
	case all:
		return targets, n, nil
	case n == 0:
		return nil, 0, linuxerr.ENOENT
	}
	return targets, 0, nil
}

// syncCancelSize is sizeof(struct io_uring_sync_cancel_reg): addr, fd,
// flags, a timeout, opcode, 7 bytes and 3 words of padding.
const syncCancelSize = 64

// syncCancel is IORING_REGISTER_SYNC_CANCEL (io_sync_cancel): the
// cancellation ASYNC_CANCEL would make, done by io_uring_register(2)
// itself, with the same result. Its timeout bounds Linux's wait for a
// request an io-wq worker is running (-EALREADY); oyako's workers always
// give up theirs, so it is never used.
func (ring *Ring) syncCancel(t Task, arg uint64, nr uint32) (int32, error) {
	if arg == 0 || nr != 1 {
		return 0, linuxerr.EINVAL
	}
	var b [syncCancelSize]byte
	if err := t.CopyIn(uintptr(arg), b[:]); err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	d := &cancelData{userData: le.Uint64(b[0:]), fd: int32(le.Uint32(b[8:])), flags: le.Uint32(b[12:]), opcode: b[32]}
	if d.flags&^cancelFlags != 0 {
		return 0, linuxerr.EINVAL
	}
	for _, c := range b[33:] {
		if c != 0 {
			return 0, linuxerr.EINVAL
		}
	}
	targets, n, err := ring.matchCancel(t, nil, d, false)
	for _, x := range targets {
		x.cancel()
	}
	return n, err
}

func init() {
	Register(OpAsyncCancel, &Op{Name: "ASYNC_CANCEL", Prep: prepCancel, Issue: issueCancel})
}
