package epoll

import (
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// poll(2) events (include/uapi/asm-generic/poll.h) beyond those package
// fs names: the same bits as epoll's.
const (
	PollIn     = fs.EventIn
	PollPri    = fs.EventPri
	PollOut    = fs.EventOut
	PollErr    = fs.EventErr
	PollHup    = fs.EventHup
	PollNval   = 0x020
	PollRdNorm = fs.EventRdNorm
	PollWrNorm = fs.EventWrNorm
)

// defaultPollMask is what a file without a poll method is ready for
// (DEFAULT_POLLMASK): a regular file never blocks.
const defaultPollMask = PollIn | PollOut | PollRdNorm | PollWrNorm

// PollFD is one entry of poll(2)'s array (struct pollfd) and the file its
// descriptor named when the call began (nil for a negative descriptor,
// which is skipped, and for one that is not open: POLLNVAL).
type PollFD struct {
	FD      int32
	Events  uint16
	Revents uint16
	File    *fs.File
}

// LookupFiles sets the File of each entry to the file open at its FD in
// tab, with a reference the caller drops, or nil, all under one hold of
// the table's lock.
func LookupFiles(tab *fs.FDTable, fds []PollFD) {
	tab.Lock()
	for i := range fds {
		fds[i].File = tab.GetLocked(fds[i].FD)
	}
	tab.Unlock()
}

// pollOne is do_pollfd: the events of fd that are ready among those it
// asks for, POLLERR and POLLHUP always included.
func pollOne(c fs.Ctx, fd *PollFD) uint32 {
	if fd.FD < 0 {
		return 0
	}
	if fd.File == nil {
		return PollNval
	}
	want := uint32(fd.Events) | PollErr | PollHup
	mask, ok := fd.File.PollReady(c, want)
	if !ok {
		mask = defaultPollMask
	}
	return mask & want
}

// Poll is the core of poll(2) and ppoll(2) (do_poll): it sets Revents of
// every entry and returns how many have events, waiting until one has,
// the deadline passes (zero: no deadline) or the caller is interrupted
// (EINTR); with noWait it looks once.
func Poll(c fs.Ctx, fds []PollFD, deadline time.Time, noWait bool) (int, error) {
	for {
		n := 0
		for i := range fds {
			r := pollOne(c, &fds[i])
			fds[i].Revents = uint16(r)
			if r != 0 {
				n++
			}
		}
		if n > 0 || noWait {
			return n, nil
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return 0, nil
		}
		if err := waitAny(c, fds, deadline); err != nil {
			return 0, err
		}
	}
}

// waitAny sleeps until a file of fds may have become ready for what its
// entry asks, the deadline passes, or the caller is interrupted (EINTR).
// The files are looked at again afterwards, so a spurious wake is fine;
// a change between the caller's look and the registration is caught by
// looking once more after registering.
func waitAny(c fs.Ctx, fds []PollFD, deadline time.Time) error {
	ch := make(chan struct{})
	var once sync.Once
	wake := func() { once.Do(func() { close(ch) }) }
	type reg struct {
		q *fs.Queue
		e *fs.Entry
	}
	var regs []reg
	defer func() {
		for _, r := range regs {
			r.q.Unregister(r.e)
		}
	}()
	for i := range fds {
		fd := &fds[i]
		if fd.File == nil {
			continue
		}
		if p, ok := fd.File.Ops().(fs.Pollable); ok {
			e := &fs.Entry{Mask: uint32(fd.Events) | PollErr | PollHup, Callback: func(uint32) { wake() }}
			q := fs.EventQueueFor(c, p)
			q.Register(e)
			regs = append(regs, reg{q, e})
			if pollOne(c, fd) != 0 {
				wake()
			}
		}
	}
	if !deadline.IsZero() {
		tm := time.AfterFunc(time.Until(deadline), wake)
		defer tm.Stop()
	}
	if err := c.Block(ch); err != nil {
		// A signal ends the wait with EINTR; the system call decides
		// whether it restarts.
		if linuxerr.Equals(linuxerr.ERESTARTSYS, err) {
			err = linuxerr.EINTR
		}
		return err
	}
	return nil
}
