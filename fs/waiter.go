package fs

import (
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Readiness events, as epoll's EPOLL* bits (include/uapi/linux/eventpoll.h).
const (
	EventIn    = 0x001
	EventPri   = 0x002
	EventOut   = 0x004
	EventErr   = 0x008
	EventHup   = 0x010
	EventRdHup = 0x2000
	// The "normal data" aliases of EventIn and EventOut that poll(2)
	// users may ask for; the files that report them do so alongside.
	EventRdNorm = 0x040
	EventWrNorm = 0x100
)

// Queue lets waiters hear when a file's readiness changes (the role of
// Linux's wait_queue_head_t with poll callbacks). Notify calls every
// registered entry whose mask intersects the events.
type Queue struct {
	mu      sync.Mutex
	entries map[*Entry]struct{}
}

// Entry is a registration on a Queue.
type Entry struct {
	Mask uint32
	// Callback runs, with no Queue lock held, when events in Mask occur.
	Callback func(events uint32)
}

// Register adds e.
func (q *Queue) Register(e *Entry) {
	q.mu.Lock()
	if q.entries == nil {
		q.entries = map[*Entry]struct{}{}
	}
	q.entries[e] = struct{}{}
	q.mu.Unlock()
}

// Unregister removes e.
func (q *Queue) Unregister(e *Entry) {
	q.mu.Lock()
	delete(q.entries, e)
	q.mu.Unlock()
}

// Notify tells the registered entries that events happened.
func (q *Queue) Notify(events uint32) {
	q.mu.Lock()
	var buf [4]func(uint32)
	cbs := buf[:0]
	for e := range q.entries {
		if e.Mask&events != 0 {
			cbs = append(cbs, e.Callback)
		}
	}
	q.mu.Unlock()
	for _, cb := range cbs {
		cb(events)
	}
}

// Pollable is implemented by FileOps whose readiness can be waited for
// (poll, select, epoll).
type Pollable interface {
	// Readiness returns which of mask's events the file is ready for.
	Readiness(f *File, mask uint32) uint32
	// EventQueue is notified when readiness may have changed.
	EventQueue() *Queue
}

// CallerPollable is implemented by Pollables whose readiness depends on
// the thread that asks, as Linux poll methods that look at current do
// (signalfd_poll: the caller's pending signals and its sighand's wait
// queue). Readiness and EventQueue stay the answers for callers the
// file system cannot name (an epoll instance's registration at
// epoll_ctl, an instance nested in another).
type CallerPollable interface {
	Pollable
	// ReadinessFor is Readiness as c sees it.
	ReadinessFor(c Ctx, f *File, mask uint32) uint32
	// EventQueueFor is the queue notified when readiness as c sees it
	// may have changed.
	EventQueueFor(c Ctx) *Queue
}

// ReadinessFor returns p's readiness for f as c sees it.
func ReadinessFor(c Ctx, p Pollable, f *File, mask uint32) uint32 {
	if cp, ok := p.(CallerPollable); ok {
		return cp.ReadinessFor(c, f, mask)
	}
	return p.Readiness(f, mask)
}

// EventQueueFor returns the queue that tells c of p's changes.
func EventQueueFor(c Ctx, p Pollable) *Queue {
	if cp, ok := p.(CallerPollable); ok {
		return cp.EventQueueFor(c)
	}
	return p.EventQueue()
}

// retryBlocking runs attempt until it succeeds, as a blocking read or
// write of an event file does: after a failed attempt, EAGAIN for an
// O_NONBLOCK file, else a wait on q for mask until ready() (WaitReady).
// attempt and ready take the file's own lock.
func retryBlocking(c Ctx, f *File, q *Queue, mask uint32, attempt, ready func() bool) error {
	for !attempt() {
		if f.Flags()&O_NONBLOCK != 0 {
			return linuxerr.EAGAIN
		}
		if err := WaitReady(c, q, mask, ready); err != nil {
			return err
		}
	}
	return nil
}

// WaitReady blocks until ready() is true, rechecking whenever q reports
// one of mask's events. It returns the caller's interruption error.
func WaitReady(c Ctx, q *Queue, mask uint32, ready func() bool) error {
	for {
		if ready() {
			return nil
		}
		ch := make(chan struct{})
		var once sync.Once
		e := &Entry{Mask: mask | EventErr | EventHup, Callback: func(uint32) { once.Do(func() { close(ch) }) }}
		q.Register(e)
		if ready() {
			q.Unregister(e)
			return nil
		}
		err := c.Block(ch)
		q.Unregister(e)
		if err != nil {
			return err
		}
	}
}

// WaitReadyDeadline is WaitReady with a deadline (zero: none); it reports
// whether the deadline passed first.
func WaitReadyDeadline(c Ctx, q *Queue, mask uint32, ready func() bool, deadline time.Time) (timedOut bool, err error) {
	if deadline.IsZero() {
		return false, WaitReady(c, q, mask, ready)
	}
	for {
		if ready() {
			return false, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return true, nil
		}
		ch := make(chan struct{})
		var once sync.Once
		wake := func() { once.Do(func() { close(ch) }) }
		e := &Entry{Mask: mask | EventErr | EventHup, Callback: func(uint32) { wake() }}
		q.Register(e)
		tm := time.AfterFunc(left, wake)
		if ready() {
			wake()
		}
		err := c.Block(ch)
		tm.Stop()
		q.Unregister(e)
		if err != nil {
			return false, err
		}
	}
}

// Poll events beyond those above (include/uapi/asm-generic/poll.h).
const (
	EventRdBand = 0x080
	EventWrBand = 0x200
)
