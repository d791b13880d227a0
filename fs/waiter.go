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
// Linux's wait_queue_head_t with poll callbacks). Its entries are kept in
// order as __wake_up_common walks them: the non-exclusive entries first,
// then the exclusive ones (add_wait_queue_exclusive), each group in the
// order it registered. Notify calls every non-exclusive entry whose mask
// intersects the events, then the exclusive ones until one of them
// reports that it woke a waiter (wake_up's nr_exclusive of one).
//
// The lists are intrusive, so Register, Unregister and an empty Notify
// cost no allocation: Notify runs on every pipe write.
type Queue struct {
	mu        sync.Mutex
	shared    entryList // non-exclusive entries
	exclusive entryList // exclusive entries, after the shared ones
}

// Entry is a registration on a Queue. An Entry is on at most one Queue
// at a time and must not be copied while registered.
type Entry struct {
	Mask uint32
	// Callback runs, with no Queue lock held, when events in Mask occur
	// (for a non-exclusive entry).
	Callback func(events uint32)
	// Exclusive, if set, makes the entry exclusive and is called instead
	// of Callback; it reports whether it woke a waiter, which ends the
	// notification (ep_poll_callback's ewake). Set it before Register.
	Exclusive func(events uint32) (woke bool)

	q          *Queue
	prev, next *Entry
}

// entryList is a doubly linked list of entries, in registration order.
type entryList struct{ head, tail *Entry }

func (l *entryList) pushBack(e *Entry) {
	e.prev, e.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = e
	} else {
		l.head = e
	}
	l.tail = e
}

func (l *entryList) remove(e *Entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

// Register adds e, after the entries of its kind already there; an entry
// already registered stays where it is.
func (q *Queue) Register(e *Entry) {
	q.mu.Lock()
	if e.q == nil {
		e.q = q
		if e.Exclusive != nil {
			q.exclusive.pushBack(e)
		} else {
			q.shared.pushBack(e)
		}
	}
	q.mu.Unlock()
}

// Unregister removes e if it is registered on q.
func (q *Queue) Unregister(e *Entry) {
	q.mu.Lock()
	if e.q == q {
		if e.Exclusive != nil {
			q.exclusive.remove(e)
		} else {
			q.shared.remove(e)
		}
		e.q = nil
	}
	q.mu.Unlock()
}

// Active reports whether q has entries (waitqueue_active).
func (q *Queue) Active() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shared.head != nil || q.exclusive.head != nil
}

// Notify tells the registered entries that events happened: every
// non-exclusive entry whose Mask intersects events, then exclusive ones
// in order until one wakes a waiter. The callbacks run without q's lock
// (they take their own waiters' locks), so one may run just after its
// entry was unregistered; the callers' callbacks tolerate that.
func (q *Queue) Notify(events uint32) {
	var sbuf [4]func(uint32)
	var xbuf [4]func(uint32) bool
	shared, excl := sbuf[:0], xbuf[:0]
	q.mu.Lock()
	for e := q.shared.head; e != nil; e = e.next {
		if e.Mask&events != 0 {
			shared = append(shared, e.Callback)
		}
	}
	for e := q.exclusive.head; e != nil; e = e.next {
		if e.Mask&events != 0 {
			excl = append(excl, e.Exclusive)
		}
	}
	q.mu.Unlock()
	for _, cb := range shared {
		cb(events)
	}
	for _, cb := range excl {
		if cb(events) {
			break
		}
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
		e := wakeEntry(q, mask, ch)
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

// wakeEntry returns an entry for q that closes ch at the first of mask's
// events (or of EventErr and EventHup) and leaves q then, as Linux's
// autoremove_wake_function: a woken waiter no longer counts as one
// (Queue.Active), so that exclusive wake-ups go on to another.
func wakeEntry(q *Queue, mask uint32, ch chan struct{}) *Entry {
	var once sync.Once
	e := &Entry{Mask: mask | EventErr | EventHup}
	e.Callback = func(uint32) {
		once.Do(func() {
			q.Unregister(e)
			close(ch)
		})
	}
	return e
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
		e := wakeEntry(q, mask, ch)
		q.Register(e)
		if ready() {
			q.Unregister(e)
			return false, nil
		}
		tm := time.AfterFunc(left, func() { e.Callback(0) })
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
