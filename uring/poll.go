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
	epollURingWake = 1 << 27 // a wake-up from a ring posting a CQE (EPOLL_URING_WAKE)
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
	// IORING_POLL_ADD_LEVEL is parsed (parsePollEvents) but refused
	// here, as io_poll_add_prep takes no flag but ADD_MULTI: polls are
	// edge-triggered.
	flags := s.Len
	if flags&^PollAddMulti != 0 {
		return linuxerr.EINVAL
	}
	if flags&PollAddMulti != 0 && r.flags&reqSkip != 0 {
		return linuxerr.EINVAL
	}
	// The kind follows the events: EPOLLONESHOT in them makes even an
	// IORING_POLL_ADD_MULTI poll one-shot.
	ev := parsePollEvents(s, flags)
	r.Data = &pollData{events: ev, multi: ev&epollOneshot == 0}
	return nil
}

// pollMask is the readiness a poll request asks for: its events plus
// the error and hang-ups a poll always reports (IO_POLL_UNMASK:
// EPOLLERR, EPOLLHUP, EPOLLNVAL and EPOLLRDHUP).
func (d *pollData) pollMask() uint32 {
	return d.events&pollEventMask | fs.EventErr | fs.EventHup | fs.EventRdHup
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
		// A file without a wait queue: what is ready now ends the
		// poll, a multishot one too; nothing ready, it cannot wait
		// (__io_arm_poll_handler without entries: -EINVAL).
		if ev := r.readiness(d); ev != 0 {
			return int32(ev), nil
		}
		return 0, linuxerr.EINVAL
	}
	d.q = fs.EventQueueFor(r.Task, p)
	d.entry.Mask = d.pollMask()
	d.entry.Callback = r.pollWoken
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
	r.pollWoken(0)
	return 0, ErrQueued
}

// pollWoken reports the file's readiness to a poll request, woken with
// the events wake (0 when it looks by itself). A multishot poll woken by
// a ring's posting (another ring's descriptor, polled) ends as a one-shot
// one would, as io_poll_wake turns it one-shot to break the cycle of CQEs
// that post CQEs.
func (r *Req) pollWoken(wake uint32) {
	d := r.Data.(*pollData)
	ev := r.readiness(d)
	if ev == 0 {
		return
	}
	if d.multi && wake&epollURingWake == 0 {
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
	found := r.Ring.issued(r, func(x *Req) bool {
		return x.SQE.Opcode == OpPollAdd && x.SQE.UserData == d.oldUserData
	})
	if len(found) > 0 {
		// A POLL_ADD's memory serves no other request before it is
		// retired (Ring.free): found[0].r stays the one found.
		target = found[0].r
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
