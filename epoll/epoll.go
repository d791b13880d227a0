// Package epoll implements eventpoll (fs/eventpoll.c): an interest set of
// (file, descriptor) pairs, a ready list fed by readiness callbacks on the
// files' wait queues, and epoll_wait's level-triggered, edge-triggered and
// one-shot reporting. An epoll instance is itself a pollable file, so
// instances nest.
//
// Files take part if their operations implement fs.Pollable: pipes,
// eventfds, signalfds, pidfds, the console, epoll instances.
// Nesting is bounded as Linux bounds it (ep_loop_check): no instance
// watches itself, no cycle of watches, no path of more than MaxNests
// watches; so readiness checks and wake-ups that walk nested instances
// always end.
// Watches are counted per user and bounded by MaxUserWatches
// (fs.epoll.max_user_watches, ENOSPC), and by the kernel heap's room
// (ENOMEM).
// EPOLLEXCLUSIVE is kept as Linux keeps it: an exclusive watch waits on
// its file's fs.Queue after the other waiters, and an event stops at the
// first exclusive watch whose instance had a thread in epoll_wait to wake
// for it (ep_poll_callback's ewake), so of several instances waiting on
// one file, one is woken per event.
// Limits: EPOLLWAKEUP is accepted and has no effect (there is no
// suspend); threads sleeping in epoll_wait on one instance are all woken
// by an event, where Linux wakes one of them (ep_poll's exclusive wait)
// and the others find nothing; a thread blocked in read(2) on a pipe is
// a non-exclusive waiter, where Linux's pipe_read waits exclusively; no
// bound on how many paths lead to one file (reverse_path_check's EINVAL).
package epoll

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
	"oyako/kernel/ucount"
)

// epoll_ctl operations and event flags.
const (
	CtlAdd = 1
	CtlDel = 2
	CtlMod = 3

	EPOLLEXCLUSIVE = 1 << 28
	EPOLLWAKEUP    = 1 << 29
	EPOLLONESHOT   = 1 << 30
	EPOLLET        = 1 << 31

	// MaxEvents is EP_MAX_EVENTS: INT_MAX over sizeof(struct epoll_event).
	MaxEvents = 0x7fffffff / 12

	// MaxNests is EP_MAX_NESTS: a path of watches between epoll
	// instances is at most this long (five instances in a chain).
	MaxNests = 4

	// exclusiveOK is EPOLLEXCLUSIVE_OK_BITS: the events an exclusive
	// watch may ask for.
	exclusiveOK = fs.EventIn | fs.EventOut | fs.EventErr | fs.EventHup | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE

	// privateBits is EP_PRIVATE_BITS: flags that say how to report, not
	// which events.
	privateBits = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE
)

// Event is a struct epoll_event as epoll_wait reports it.
type Event struct {
	Events uint32
	Data   uint64
}

type key struct {
	file *fs.File
	fd   int32
}

type item struct {
	key      key
	events   uint32
	data     uint64
	entry    fs.Entry
	inReady  bool
	disabled bool // EPOLLONESHOT fired; re-armed by EPOLL_CTL_MOD
	removed  bool // out of the interest set: late callbacks ignore it
	unhook   func()
	user     *ucount.Count // the watch's charge to its instance's user
}

// MaxUserWatches is fs.epoll.max_user_watches: the most watches one
// user's epoll instances may hold together. SetMaxUserWatches sizes it
// from the machine's memory.
var MaxUserWatches atomic.Int64

// itemCost is EP_ITEM_COST for oyako: about what one watch takes of the
// kernel's heap (the item, its wait-queue entry and callbacks, its place
// in the interest set).
const itemCost = 256

// SetMaxUserWatches sets MaxUserWatches as Linux's eventpoll_init does:
// a 25th of the memory, in items.
func SetMaxUserWatches(memBytes uint64) {
	MaxUserWatches.Store(int64(memBytes / 25 / itemCost))
}

func init() { SetMaxUserWatches(64 << 20) }

// watches counts each user's watches (user_struct's epoll_watches), by
// the real UID of the process that made the instance.
var watches ucount.Table

// Instance is an epoll instance.
type Instance struct {
	mu    sync.Mutex
	items map[key]*item
	ready []*item
	// wq holds the threads sleeping in epoll_wait (ep->wq), q those
	// polling the instance as a file: poll, select, an instance that
	// watches this one (ep->poll_wait). Only wq's count as waiters for
	// EPOLLEXCLUSIVE.
	wq   fs.Queue
	q    fs.Queue
	self *fs.File

	// watchers counts, per instance, the items by which it watches this
	// one (Linux's ep->refs); guarded by nest.
	watchers map[*Instance]int

	uid uint32 // the user who made it, charged for its watches (ep->user)
}

// nest serializes the changes to which instance watches which with the
// loop checks that precede them (Linux's epnested_mutex): two inserts
// racing (A into B, B into A) cannot both pass. Lock order: nest, then an
// instance's mu.
var nest sync.Mutex

// New returns a new epoll instance as an open file, made by a process of
// real UID uid.
func New(flags uint32, uid uint32) *fs.File {
	ep := &Instance{items: map[key]*item{}, watchers: map[*Instance]int{}, uid: uid}
	now := fs.Now()
	inode := &anonInode{fs.Attr{Dev: 10, Ino: fs.NewIno(), Mode: 0o600, Nlink: 1, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}}
	ep.self = fs.NewFile(inode, "anon_inode:[eventpoll]", fs.O_RDWR|flags&fs.O_NONBLOCK, ep)
	return ep.self
}

type anonInode struct{ attr fs.Attr }

func (a *anonInode) Attr() fs.Attr { return a.attr }

// FromFile returns the instance behind an epoll file.
func FromFile(f *fs.File) (*Instance, bool) {
	ep, ok := f.Ops().(*Instance)
	return ep, ok
}

// markReady is ep_poll_callback: it links it onto the ready list, wakes
// the instance's waiters, and reports whether an exclusive watch woke a
// thread in epoll_wait for these events (ewake), which ends the
// notification of the watched file's exclusive entries.
func (ep *Instance) markReady(it *item, events uint32) (woke bool) {
	ep.mu.Lock()
	if it.removed || it.disabled {
		ep.mu.Unlock()
		return false
	}
	if !it.inReady {
		it.inReady = true
		ep.ready = append(ep.ready, it)
	}
	exclusive := it.events&EPOLLEXCLUSIVE != 0
	ep.mu.Unlock()
	if exclusive && ep.wq.Active() {
		// As Linux, a wake-up for both reading and writing does not
		// count: the events must be the kind the watch asked for.
		switch events & (fs.EventIn | fs.EventOut) {
		case fs.EventIn:
			woke = it.events&fs.EventIn != 0
		case fs.EventOut:
			woke = it.events&fs.EventOut != 0
		case 0:
			woke = true
		}
	}
	ep.wq.Notify(fs.EventIn)
	ep.q.Notify(fs.EventIn)
	return woke
}

// CtlFile implements epoll_ctl(2) on the open files epf (the instance)
// and f (open as fd), with do_epoll_ctl_file's first checks: a target
// that cannot be polled is EPERM, an epf that is not an instance (or is
// the target) EINVAL.
func CtlFile(epf *fs.File, op int, fd int32, f *fs.File, events uint32, data uint64) error {
	if _, ok := f.Ops().(fs.Pollable); !ok {
		return linuxerr.EPERM // e.g. a regular file
	}
	ep, ok := FromFile(epf)
	if !ok || epf == f {
		return linuxerr.EINVAL
	}
	return ep.Ctl(op, fd, f, events, data)
}

// Ctl implements epoll_ctl(2) for file f open as fd, checking in
// do_epoll_ctl_file's order: EPERM for a target that cannot be polled,
// EINVAL for the instance itself, EPOLLEXCLUSIVE's rules, ELOOP for an
// instance whose watch would close a cycle or make too long a path
// (ep_loop_check), then the interest set: EEXIST, ENOENT, EINVAL for an
// unknown op or for changing an exclusive watch; a new watch past the
// user's MaxUserWatches is ENOSPC (ep_insert), one the kernel's heap has
// no room for ENOMEM.
func (ep *Instance) Ctl(op int, fd int32, f *fs.File, events uint32, data uint64) error {
	p, ok := f.Ops().(fs.Pollable)
	if !ok {
		return linuxerr.EPERM // e.g. a regular file
	}
	if f == ep.self {
		return linuxerr.EINVAL
	}
	target, nested := FromFile(f)
	if op != CtlDel && events&EPOLLEXCLUSIVE != 0 {
		// epoll adds to the target's wait queue at EPOLL_CTL_ADD only,
		// so an exclusive watch cannot be changed into, nor nested.
		if op == CtlMod || op == CtlAdd && (nested || events&^exclusiveOK != 0) {
			return linuxerr.EINVAL
		}
	}
	if op == CtlAdd && nested {
		nest.Lock()
		defer nest.Unlock()
		if !ep.loopCheck(target) {
			return linuxerr.ELOOP
		}
	}
	k := key{f, fd}
	ep.mu.Lock()
	it, exists := ep.items[k]
	switch op {
	case CtlAdd:
		if exists {
			ep.mu.Unlock()
			return linuxerr.EEXIST
		}
		user := watches.Charge(ep.uid, MaxUserWatches.Load(), false)
		if user == nil {
			ep.mu.Unlock()
			return linuxerr.ENOSPC
		}
		if !mm.AdmitKernel(1) {
			watches.Uncharge(user)
			ep.mu.Unlock()
			return linuxerr.ENOMEM
		}
		it = &item{key: k, events: events | fs.EventErr | fs.EventHup, data: data, user: user}
		it.entry = fs.Entry{Mask: it.events &^ privateBits}
		if events&EPOLLEXCLUSIVE != 0 {
			// add_wait_queue_exclusive: after the target's other
			// waiters, and only one exclusive watch is woken per event.
			it.entry.Exclusive = func(ev uint32) bool { return ep.markReady(it, ev) }
		} else {
			it.entry.Callback = func(ev uint32) { ep.markReady(it, ev) }
		}
		ep.items[k] = it
		ep.mu.Unlock()
		if nested {
			target.watchers[ep]++ // nest is held
		}
		p.EventQueue().Register(&it.entry)
		it.unhook = f.OnRelease(func() { ep.remove(k) })
	case CtlMod:
		if !exists {
			ep.mu.Unlock()
			return linuxerr.ENOENT
		}
		if it.events&EPOLLEXCLUSIVE != 0 {
			ep.mu.Unlock()
			return linuxerr.EINVAL
		}
		it.events = events | fs.EventErr | fs.EventHup
		it.data = data
		it.disabled = false
		it.entry.Mask = it.events &^ privateBits
		ep.mu.Unlock()
	case CtlDel:
		ep.mu.Unlock()
		if !exists {
			return linuxerr.ENOENT
		}
		ep.remove(k)
		return nil
	default:
		ep.mu.Unlock()
		return linuxerr.EINVAL
	}
	// Report what is ready now (ep_insert and ep_modify poll the file).
	if p.Readiness(f, it.events) != 0 {
		ep.markReady(it, 0)
	}
	return nil
}

func (ep *Instance) remove(k key) {
	ep.mu.Lock()
	it, ok := ep.items[k]
	if ok {
		delete(ep.items, k)
		it.removed = true
		watches.Uncharge(it.user)
		if it.inReady {
			for i, r := range ep.ready {
				if r == it {
					ep.ready = append(ep.ready[:i], ep.ready[i+1:]...)
					break
				}
			}
		}
	}
	ep.mu.Unlock()
	if ok {
		if p, ok := k.file.Ops().(fs.Pollable); ok {
			p.EventQueue().Unregister(&it.entry)
		}
		if it.unhook != nil {
			it.unhook()
		}
		if target, nested := FromFile(k.file); nested {
			nest.Lock()
			if target.watchers[ep]--; target.watchers[ep] == 0 {
				delete(target.watchers, ep)
			}
			nest.Unlock()
		}
	}
}

// loopCheck is ep_loop_check: whether ep may watch the instance to. It
// may not if to reaches ep through the instances it watches (a cycle),
// or if the longest path of watches through the new one would be longer
// than MaxNests: the deepest path down from to, plus the new watch, plus
// the longest path up from ep through the instances that watch it. The
// walk down gives up past MaxNests, so it ends even on a graph it has
// never seen; memos keep a diamond from being walked twice. The caller
// holds nest.
func (ep *Instance) loopCheck(to *Instance) bool {
	down := map[*Instance]int{}
	var walkDown func(x *Instance, depth int) int
	walkDown = func(x *Instance, depth int) int { // ep_loop_check_proc
		if d, ok := down[x]; ok {
			return d
		}
		result := 0
		for _, c := range x.nestedInstances() {
			if c == ep || depth > MaxNests {
				result = MaxNests + 1
			} else {
				result = max(result, walkDown(c, depth+1)+1)
			}
			if result > MaxNests {
				break
			}
		}
		down[x] = result
		return result
	}
	depth := walkDown(to, 0)
	if depth > MaxNests {
		return false
	}
	up := map[*Instance]int{}
	var walkUp func(x *Instance) int
	walkUp = func(x *Instance) int { // ep_get_upwards_depth_proc
		if d, ok := up[x]; ok {
			return d
		}
		result := 0
		for w := range x.watchers {
			result = max(result, walkUp(w)+1)
		}
		up[x] = result
		return result
	}
	return depth+1+walkUp(ep) <= MaxNests
}

// nestedInstances returns the epoll instances ep watches.
func (ep *Instance) nestedInstances() []*Instance {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	var out []*Instance
	for k := range ep.items {
		if x, ok := FromFile(k.file); ok {
			out = append(out, x)
		}
	}
	return out
}

// Batch is how many events collect hands to its caller at a time: the
// caller's array of them can stay on its stack.
type Batch [16]Event

// collect is ep_send_events: it hands over up to max events taken off
// the ready list, with each file's readiness as c, the waiter, sees it
// (ep_item_poll runs as current), in batches: it fills buf[:n] and calls
// put(n), which copies them out and returns how many it could. It
// returns how many put took. If put takes fewer than it was given (a
// fault), the first event it could not copy and those after it stay
// ready, as if never looked at, and collect stops there
// (epoll_put_uevent failing). put runs with ep.mu held.
//
// The ready list is filtered in place and left in ep_send_events'
// order: the items not reported (max reached, or a fault) first, then
// the level-triggered ones reported, so that callers asking for fewer
// events than are ready see each in turn.
func (ep *Instance) collect(c fs.Ctx, max int, buf *Batch, put func(n int) int) (n int, fault bool) {
	var items [len(Batch{})]*item
	ep.mu.Lock()
	ready := ep.ready
	// ready[:kept] are the reported level-triggered items; ready[i:] the
	// ones not looked at yet; items[:nb] those looked at and not yet
	// handed to put. kept+nb <= i.
	kept, i, nb := 0, 0, 0
	for {
		if nb == len(buf) || nb > 0 && (i == len(ready) || n+nb == max) {
			got := put(nb)
			for _, it := range items[:got] {
				switch {
				case it.events&EPOLLONESHOT != 0:
					it.disabled = true
					it.inReady = false
				case it.events&EPOLLET != 0:
					it.inReady = false
				default:
					ready[kept] = it // level-triggered: look again next time
					kept++
				}
			}
			n += got
			if got < nb {
				// Put the ones not copied back before the rest.
				i -= copy(ready[i-(nb-got):], items[got:nb])
				fault = true
				break
			}
			nb = 0
		}
		if i == len(ready) || n+nb == max {
			break
		}
		it := ready[i]
		i++
		if it.disabled {
			it.inReady = false
			continue
		}
		r, _ := it.key.file.PollReady(c, it.events)
		r &= it.events | fs.EventErr | fs.EventHup
		if r == 0 {
			it.inReady = false
			continue
		}
		buf[nb], items[nb] = Event{Events: r, Data: it.data}, it
		nb++
	}
	if i < len(ready) {
		// Move the rest down after the kept items and put them first:
		// ready[:kept] ++ rest becomes rest ++ ready[:kept].
		rest := copy(ready[kept:], ready[i:])
		slices.Reverse(ready[:kept])
		slices.Reverse(ready[kept : kept+rest])
		slices.Reverse(ready[:kept+rest])
		kept += rest
	}
	clear(ready[kept:]) // let removed items go
	ep.ready = ready[:kept]
	ep.mu.Unlock()
	return n, fault
}

// Wait implements epoll_wait(2) for callers that take the events as a
// slice (tests): WaitPut with a put that appends.
func (ep *Instance) Wait(c fs.Ctx, max int, timeout time.Duration) ([]Event, error) {
	var out []Event
	var buf Batch
	_, err := ep.WaitPut(c, max, timeout, &buf, func(n int) int {
		out = append(out, buf[:n]...)
		return n
	})
	return out, err
}

// WaitPut implements epoll_wait(2): up to max events, handed over in
// buf to put as collect does, waiting until one is ready, the timeout passes
// (negative: forever; 0: do not wait), or the caller is interrupted. It
// returns how many events put took; EFAULT if put could take none of
// those there were.
func (ep *Instance) WaitPut(c fs.Ctx, max int, timeout time.Duration, buf *Batch, put func(n int) int) (int, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		n, fault := ep.collect(c, max, buf, put)
		if fault && n == 0 {
			return 0, linuxerr.EFAULT
		}
		if n > 0 || timeout == 0 {
			return n, nil
		}
		timedOut, err := fs.WaitReadyDeadline(c, &ep.wq, fs.EventIn, ep.hasReady, deadline)
		if err != nil {
			// ep_poll: a signal ends the wait with EINTR, never a
			// restart.
			if linuxerr.Equals(linuxerr.ERESTARTSYS, err) {
				err = linuxerr.EINTR
			}
			return 0, err
		}
		if timedOut {
			return 0, nil
		}
	}
}

func (ep *Instance) hasReady() bool {
	ep.mu.Lock()
	n := len(ep.ready)
	ep.mu.Unlock()
	return n > 0
}

// Read and Write make an epoll file refuse data I/O.
func (ep *Instance) Read(fs.Ctx, *fs.File, []byte, int64) (int, error) {
	return 0, linuxerr.EINVAL
}
func (ep *Instance) Write(fs.Ctx, *fs.File, []byte, int64) (int, error) {
	return 0, linuxerr.EINVAL
}

// IsStream implements fs.Stream.
func (ep *Instance) IsStream() bool { return true }

// Readiness implements fs.Pollable: readable when an event is ready.
func (ep *Instance) Readiness(_ *fs.File, mask uint32) uint32 {
	for _, e := range ep.peek() {
		if e.Events != 0 {
			return fs.EventIn & mask
		}
	}
	return 0
}

// peek reports ready events without consuming them.
func (ep *Instance) peek() []Event {
	ep.mu.Lock()
	items := append([]*item(nil), ep.ready...)
	ep.mu.Unlock()
	var out []Event
	for _, it := range items {
		p := it.key.file.Ops().(fs.Pollable)
		if r := p.Readiness(it.key.file, it.events); r != 0 {
			out = append(out, Event{Events: r, Data: it.data})
		}
	}
	return out
}

// EventQueue implements fs.Pollable.
func (ep *Instance) EventQueue() *fs.Queue { return &ep.q }

// Release implements fs.Releaser: drop every registration.
func (ep *Instance) Release(*fs.File) {
	ep.mu.Lock()
	var keys []key
	for k := range ep.items {
		keys = append(keys, k)
	}
	ep.mu.Unlock()
	for _, k := range keys {
		ep.remove(k)
	}
}
