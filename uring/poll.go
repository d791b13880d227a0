package uring

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// Poll flags (IORING_POLL_*, in sqe->len).
const (
	PollAddMulti       = 1 << 0
	PollUpdateEvents   = 1 << 1
	PollUpdateUserData = 1 << 2
	PollAddLevel       = 1 << 3
)

// epoll flag bits a poll request's events may carry (io_poll_parse_events).
const (
	epollExclusive = 1 << 28
	epollOneshot   = 1 << 30
	epollET        = 1 << 31
	pollEventMask  = 0xffff
)

// pollData is a POLL_ADD request's state: its events and its
// registration on the file's wait queue.
type pollData struct {
	events uint32
	entry  fs.Entry
	q      *fs.Queue
	multi  bool
	armed  bool // registered; under Ring.mu
}

// parsePollEvents is io_poll_parse_events: the 32-bit mask, one-shot
// unless multishot, edge-triggered unless IORING_POLL_ADD_LEVEL.
func parsePollEvents(sqe *SQE, flags uint32) uint32 {
	ev := sqe.OpFlags
	if flags&PollAddMulti == 0 {
		ev |= epollOneshot
	}
	if flags&PollAddLevel == 0 {
		ev |= epollET
	}
	return ev&pollEventMask | ev&(epollExclusive|epollOneshot|epollET)
}

// prepPollAdd is io_poll_add_prep.
func prepPollAdd(r *Req) error {
	s := &r.SQE
	if s.BufIndex != 0 || s.Off != 0 || s.Addr != 0 {
		return linuxerr.EINVAL
	}
	flags := s.Len
	if flags&^(PollAddMulti|PollAddLevel) != 0 {
		return linuxerr.EINVAL
	}
	if flags&PollAddMulti != 0 && r.flags&reqSkip != 0 {
		return linuxerr.EINVAL
	}
	r.Data = &pollData{events: parsePollEvents(s, flags), multi: flags&PollAddMulti != 0}
	return nil
}

// pollMask is the readiness a poll request asks for: its events plus
// the error and hang-up a poll always reports.
func (d *pollData) pollMask() uint32 {
	return d.events&pollEventMask | fs.EventErr | fs.EventHup
}

// readiness returns the file's current readiness for d; a file that
// cannot be polled is always readable and writable (DEFAULT_POLLMASK).
func (r *Req) readiness(d *pollData) uint32 {
	mask := d.pollMask()
	p, ok := r.File.Ops().(fs.Pollable)
	if !ok {
		return (fs.EventIn | fs.EventOut | fs.EventRdNorm | fs.EventWrNorm) & mask
	}
	return fs.ReadinessFor(r.Task, p, r.File, mask)
}

// issuePollAdd arms the poll (io_poll_add, __io_arm_poll_handler): ready
// now, a one-shot poll completes with the mask at once; otherwise it
// completes, or a multishot one posts a CQE with IORING_CQE_F_MORE, each
// time the file reports one of its events.
func issuePollAdd(r *Req) (int32, error) {
	d := r.Data.(*pollData)
	if ev := r.readiness(d); ev != 0 && !d.multi {
		return int32(ev), nil
	}
	p, ok := r.File.Ops().(fs.Pollable)
	if !ok {
		return int32(r.readiness(d)), nil // multishot on a file that cannot wait: ready now
	}
	d.q = fs.EventQueueFor(r.Task, p)
	d.entry.Mask = d.pollMask()
	d.entry.Callback = func(uint32) { r.pollWoken() }
	r.Ring.mu.Lock()
	d.armed = true
	r.Ring.mu.Unlock()
	d.q.Register(&d.entry)
	r.setCancel(func() {
		if r.disarmPoll() {
			r.Complete(-int32(linuxerr.ECANCELED.Errno()), 0)
		}
	})
	// What became ready before the registration, or was ready for a
	// multishot poll, is reported now.
	r.pollWoken()
	return 0, ErrQueued
}

// pollWoken reports the file's readiness to a poll request.
func (r *Req) pollWoken() {
	d := r.Data.(*pollData)
	ev := r.readiness(d)
	if ev == 0 {
		return
	}
	if d.multi {
		r.Ring.mu.Lock()
		armed := d.armed
		r.Ring.mu.Unlock()
		if armed && !r.claimed.Load() {
			r.PostMore(int32(ev), 0)
		}
		return
	}
	if r.disarmPoll() {
		r.Complete(int32(ev), 0)
	}
}

// disarmPoll unregisters a poll request; it reports whether it was armed.
func (r *Req) disarmPoll() bool {
	d := r.Data.(*pollData)
	r.Ring.mu.Lock()
	armed := d.armed
	d.armed = false
	r.Ring.mu.Unlock()
	if armed {
		d.q.Unregister(&d.entry)
	}
	return armed
}

// pollRemoveData is a POLL_REMOVE request's arguments (struct io_poll_update).
type pollRemoveData struct {
	oldUserData, newUserData uint64
	events                   uint32
	updateEvents, updateData bool
}

// prepPollRemove is io_poll_remove_prep.
func prepPollRemove(r *Req) error {
	s := &r.SQE
	if s.BufIndex != 0 || s.FileIndex != 0 {
		return linuxerr.EINVAL
	}
	flags := s.Len
	if flags&^(PollUpdateEvents|PollUpdateUserData|PollAddMulti) != 0 || flags == PollAddMulti {
		return linuxerr.EINVAL
	}
	d := &pollRemoveData{oldUserData: s.Addr, newUserData: s.Off,
		updateEvents: flags&PollUpdateEvents != 0, updateData: flags&PollUpdateUserData != 0}
	if !d.updateData && d.newUserData != 0 {
		return linuxerr.EINVAL
	}
	if d.updateEvents {
		d.events = parsePollEvents(s, flags)
	} else if s.OpFlags != 0 {
		return linuxerr.EINVAL
	}
	r.Data = d
	return nil
}

// issuePollRemove is io_poll_remove: the poll request with the user data
// is disarmed; without an update it ends with -ECANCELED, with one it is
// armed again with its new events or user data.
func issuePollRemove(r *Req) (int32, error) {
	d := r.Data.(*pollRemoveData)
	var target *Req
	for _, x := range r.Ring.issued(r) {
		if x.SQE.Opcode == OpPollAdd && x.SQE.UserData == d.oldUserData {
			target = x
			break
		}
	}
	if target == nil || !target.disarmPoll() {
		return 0, linuxerr.ENOENT
	}
	if d.updateEvents || d.updateData {
		pd := target.Data.(*pollData)
		if d.updateEvents {
			pd.events = pd.events&^pollEventMask | d.events&pollEventMask
		}
		if d.updateData {
			target.SQE.UserData = d.newUserData
		}
		res, err := issuePollAdd(target)
		if err != ErrQueued {
			target.completeWith(res, err)
		}
		return 0, nil
	}
	r.after = func() { target.Complete(-int32(linuxerr.ECANCELED.Errno()), 0) }
	return 0, nil
}

func init() {
	Register(OpPollAdd, &Op{Name: "POLL_ADD", NeedsFile: true, Prep: prepPollAdd, Issue: issuePollAdd})
	Register(OpPollRemove, &Op{Name: "POLL_REMOVE", Prep: prepPollRemove, Issue: issuePollRemove})
}
