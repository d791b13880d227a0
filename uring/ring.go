package uring

import (
	"math/bits"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
)

// Offsets of the ring fields in the rings region, as Linux 6.x lays out
// struct io_rings: the SQ and CQ head/tail pairs, the masks and sizes,
// sq_dropped, sq_flags, cq_flags, cq_overflow, then the CQE array on the
// next cache line, and the SQ index array after it (rings_size).
const (
	offSQHead             = 0
	offSQTail             = 4
	offCQHead             = 8
	offCQTail             = 12
	offSQRingMask         = 16
	offCQRingMask         = 20
	offSQRingEntry        = 24
	offCQRingEntry        = 28
	offSQDropped          = 32
	offSQFlags            = 36
	offCQFlags            = 40
	offCQOverflow         = 44
	offCQEs               = 64
	cacheLine             = 64
	cqFlagEventfdDisabled = 1 // IORING_CQ_EVENTFD_DISABLED
)

// CQE is a completion: struct io_uring_cqe.
type CQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// Ring is an io_uring instance (struct io_ring_ctx): its shared memory,
// its requests in flight, its registered resources and its SQ thread.
type Ring struct {
	flags     uint32
	sqEntries uint32
	cqEntries uint32
	arrayOff  uint32
	rings     *region
	sqes      *region
	idle      int64 // SQPOLL idle time, ns
	owner     Task  // the task that created it (SINGLE_ISSUER; the SQ thread's process)

	// submitMu serializes submission (io_uring_enter's submitters and
	// the SQ thread), as Linux's uring_lock does. sqHead is the kernel's
	// copy of the SQ head, written back to the ring after each batch.
	submitMu sync.Mutex
	sqHead   uint32

	// cqMu guards posting: the CQ tail, the overflow backlog (NODROP)
	// and cqChanged, which is closed and replaced on every post so that
	// waiters notice.
	cqMu      sync.Mutex
	cqTail    uint32
	overflow  []CQE
	cqChanged chan struct{}
	cqWatched bool // someone holds cqChanged: a post must close it
	// sqChanged is closed and replaced when the SQ thread consumed SQEs
	// (IORING_ENTER_SQ_WAIT).
	sqChanged chan struct{}

	// mu guards the request bookkeeping: what is in flight, the drain
	// queue, and the registered resources (register.go).
	mu       sync.Mutex
	inflight reqList // submitted requests not yet completed
	seq      uint64  // requests submitted
	pending  int     // submitted requests not yet completed (drain)
	async    int     // of which asynchronous (charged)
	draining int     // IO_DRAIN requests issued and not completed
	deferred []*Req  // requests held back by a drain, in submission order
	// free holds requests whose memory serves new ones (newReq): plain
	// requests the submitter completed inline, which nothing but a
	// reqRef can still name, and a reqRef checks the seq.
	free     []*Req
	drainOff bool // CQE_SKIP_SUCCESS was used: IO_DRAIN is refused
	closed   bool // released: nothing new is posted after the last request
	freed    bool
	res      resources

	// tmu guards the armed TIMEOUTs and the CQE counts they compare
	// against: completions counts every CQE posted, timeoutPosts the
	// ones of timeouts that expired, which do not count
	// (io_flush_timeouts, cq_timeouts). armed is len(timeouts), stored
	// under tmu after each change, so that a completion with no timeout
	// armed takes no lock: countCompletion adds to completions before
	// it loads armed, issueTimeout stores armed before it loads
	// completions, so one of them sees the other.
	tmu          sync.Mutex
	timeouts     []*Req
	armed        atomic.Int32
	completions  atomic.Uint64
	timeoutPosts uint64

	sq *sqThread // SQPOLL

	// events tells pollers of the ring's own file that CQEs arrived.
	events fs.Queue

	// hasEventfd is set while an eventfd is registered (res.eventfd,
	// under mu): posting a CQE looks at it without the lock.
	hasEventfd atomic.Bool
	// batched is set (under submitMu) when a request completed inline
	// during a submission posted its CQE without telling the ring's
	// waiters: Submit tells them once at its end, as Linux's
	// io_submit_flush_completions wakes them once per batch.
	batched bool

	// Counters for tests and /proc: SQEs submitted by the SQ thread.
	sqSubmitted atomic.Uint64
}

// Task is the context a request runs in: the submitting thread's, an SQ
// thread's, or an asynchronous worker's. The system-call layer provides
// it (kernel/task's Task).
type Task interface {
	fs.Ctx
	// SetNoWait makes waits fail at once with EAGAIN (on) or sleep
	// again (off); WouldBlock reports whether a wait was refused.
	SetNoWait(on bool)
	WouldBlock() bool
}

// Worker is an asynchronous context: the thread Linux's io-wq would run
// a request on. Cancel makes its current and later waits fail with
// ECANCELED.
type Worker interface {
	Task
	Cancel()
}

// Host is how a ring reaches the process it serves; the system-call
// layer sets it.
var Host interface {
	// NewWorker returns a worker acting as t's process.
	NewWorker(t Task) Worker
	// GetFile returns the open file fd names in t's process, with a
	// reference.
	GetFile(t Task, fd int32) (*fs.File, error)
	// SameThread reports whether a and b are the same thread (for
	// SINGLE_ISSUER).
	SameThread(a, b Task) bool
}

// roundPow2 rounds n up to a power of two (roundup_pow_of_two).
func roundPow2(n uint32) uint32 {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len32(n-1)
}

// checkParams applies io_uring_create's rules for the sizes and flags
// to p, in Linux's order, and fills in the sizes.
func checkParams(entries uint32, p *Params) error {
	if p.Resv != [3]uint32{} {
		return linuxerr.EINVAL
	}
	if p.Flags&^setupSupported != 0 {
		return linuxerr.EINVAL
	}
	if entries == 0 {
		return linuxerr.EINVAL
	}
	if entries > maxEntries {
		if p.Flags&SetupClamp == 0 {
			return linuxerr.EINVAL
		}
		entries = maxEntries
	}
	p.SQEntries = roundPow2(entries)
	if p.Flags&SetupCQSize != 0 {
		if p.CQEntries == 0 {
			return linuxerr.EINVAL
		}
		if p.CQEntries > maxCQEntries {
			if p.Flags&SetupClamp == 0 {
				return linuxerr.EINVAL
			}
			p.CQEntries = maxCQEntries
		}
		p.CQEntries = roundPow2(p.CQEntries)
		if p.CQEntries < p.SQEntries {
			return linuxerr.EINVAL
		}
	} else {
		p.CQEntries = 2 * p.SQEntries
	}
	// io_uring_create: the task-run flags.
	f := p.Flags
	if f&SetupSQPoll != 0 && f&(SetupCoopTaskrun|SetupTaskrunFlag|SetupDeferTaskrun) != 0 {
		return linuxerr.EINVAL
	}
	if f&SetupTaskrunFlag != 0 && f&(SetupCoopTaskrun|SetupDeferTaskrun) == 0 {
		return linuxerr.EINVAL
	}
	if f&SetupDeferTaskrun != 0 && f&SetupSingleIssuer == 0 {
		return linuxerr.EINVAL
	}
	return nil
}

// New makes a ring as io_uring_setup(2) does, from the parameters the
// caller passed (checked and completed here: the sizes, the features and
// the ring offsets are written back into p). Under IORING_SETUP_ATTACH_WQ
// it calls wq to find the ring wq_fd names, after the checks of the
// parameters, as io_sq_offload_create looks it up.
func New(t Task, entries uint32, p *Params, wq func() (*Ring, error)) (*Ring, error) {
	if err := checkParams(entries, p); err != nil {
		return nil, err
	}
	// io_sq_offload_create: the ring to attach to, then the SQ thread's
	// CPU, or SQ_AFF without SQPOLL.
	var attach *Ring
	if p.Flags&SetupAttachWQ != 0 {
		var err error
		if attach, err = wq(); err != nil {
			return nil, err
		}
		if p.Flags&SetupSQPoll == 0 {
			attach = nil // only SQPOLL shares anything (the SQ thread)
		} else if attach.sq == nil {
			return nil, linuxerr.EINVAL // io_attach_sq_data: no SQ thread to share
		} else if attach.sq.dead.Load() {
			return nil, linuxerr.ENXIO // io_sq_offload_create: a dead SQ thread
		}
	}
	if p.Flags&SetupSQAff != 0 && (p.Flags&SetupSQPoll == 0 || p.SQThreadCPU >= 1) {
		return nil, linuxerr.EINVAL // SQ_AFF without SQPOLL, or not CPU 0: one CPU
	}
	arrayOff := (offCQEs + p.CQEntries*CQESize + cacheLine - 1) &^ (cacheLine - 1)
	rings, err := newRegion(arrayOff + p.SQEntries*4)
	if err != nil {
		return nil, err
	}
	sqes, err := newRegion(p.SQEntries * SQESize)
	if err != nil {
		rings.release()
		return nil, err
	}
	r := &Ring{flags: p.Flags, sqEntries: p.SQEntries, cqEntries: p.CQEntries, arrayOff: arrayOff,
		rings: rings, sqes: sqes, owner: t, cqChanged: make(chan struct{}), sqChanged: make(chan struct{})}
	trackRing(r, true)
	rings.store(offSQRingMask, p.SQEntries-1)
	rings.store(offCQRingMask, p.CQEntries-1)
	rings.store(offSQRingEntry, p.SQEntries)
	rings.store(offCQRingEntry, p.CQEntries)

	p.Features = Features
	p.SQOff = SQRingOffsets{Head: offSQHead, Tail: offSQTail, RingMask: offSQRingMask, RingEntries: offSQRingEntry,
		Flags: offSQFlags, Dropped: offSQDropped, Array: arrayOff}
	p.CQOff = CQRingOffsets{Head: offCQHead, Tail: offCQTail, RingMask: offCQRingMask, RingEntries: offCQRingEntry,
		Overflow: offCQOverflow, CQEs: offCQEs, Flags: offCQFlags}
	if p.Flags&SetupSQPoll != 0 {
		idle := p.SQThreadIdle
		if idle == 0 {
			idle = defaultSQIdleMilli
		}
		r.idle = int64(idle) * 1e6
		if attach != nil {
			r.sq = attach.sq
			r.sq.attach(r)
		} else {
			r.sq = startSQThread(r)
		}
	}
	return r, nil
}

// Mapping returns the memory mmap(2) maps at off of the ring's file
// (io_uring_mmap): the rings at IORING_OFF_SQ_RING or IORING_OFF_CQ_RING
// (one region: IORING_FEAT_SINGLE_MMAP), the SQEs at IORING_OFF_SQES.
// A mapping longer than the region is EINVAL.
func (r *Ring) Mapping(off int64, length uint64) (mm.Object, error) {
	var reg *region
	switch off {
	case OffSQRing, OffCQRing:
		reg = r.rings
	case OffSQEs:
		reg = r.sqes
	default:
		return nil, linuxerr.EINVAL
	}
	if length > uint64(len(reg.frames))*mm.PageSize {
		return nil, linuxerr.EINVAL
	}
	return reg, nil
}

// sqFlagSet and sqFlagClear change the SQ ring's flags word, which the
// process reads (IORING_SQ_NEED_WAKEUP, IORING_SQ_CQ_OVERFLOW).
func (r *Ring) sqFlagSet(f uint32)   { atomic.OrUint32(r.rings.u32(offSQFlags), f) }
func (r *Ring) sqFlagClear(f uint32) { atomic.AndUint32(r.rings.u32(offSQFlags), ^f) }

// SQFlags returns the SQ ring's flags word.
func (r *Ring) SQFlags() uint32 { return r.rings.load(offSQFlags) }

// sqReady is how many SQEs the process has queued and the kernel has not
// consumed (io_sqring_entries).
func (r *Ring) sqReady() uint32 { return r.rings.load(offSQTail) - r.sqHead }

// cqReady is how many CQEs the process has not consumed.
func (r *Ring) cqReady() uint32 { return r.rings.load(offCQTail) - r.rings.load(offCQHead) }

// post adds a CQE (io_post_aux_cqe / __io_fill_cqe_req): in the ring if
// it has room and no older CQE waits in the backlog, else at the end of
// the backlog, flagged with IORING_SQ_CQ_OVERFLOW, to be flushed when the
// process has made room (IORING_FEAT_NODROP). A backlog the kernel cannot
// hold more of drops the CQE and counts it in cq_overflow, as Linux does
// when its allocation fails.
func (r *Ring) post(c CQE) { r.postFrom(c, false) }

// postFrom posts c; iowq says it completes a request in what Linux would
// run in an io-wq worker, which an IORING_REGISTER_EVENTFD_ASYNC eventfd
// is signalled for.
func (r *Ring) postFrom(c CQE, iowq bool) {
	r.postCQE(c)
	r.notify(iowq)
	r.countCompletion()
}

// postInline posts c for a request the submitter completed inline
// (under submitMu): Submit notifies the ring's pollers and eventfd once
// for the batch (io_submit_flush_completions).
func (r *Ring) postInline(c CQE) {
	r.postCQE(c)
	r.batched = true
	r.countCompletion()
}

// postCQE puts c in the ring or the backlog and wakes the ring's own
// waiters (io_uring_enter's, under cqMu).
func (r *Ring) postCQE(c CQE) {
	r.cqMu.Lock()
	if len(r.overflow) == 0 && r.cqTail-r.rings.load(offCQHead) < r.cqEntries {
		r.writeCQE(c)
	} else if len(r.overflow) < maxOverflow {
		if len(r.overflow) == 0 {
			r.sqFlagSet(SQCQOverflow)
		}
		r.overflow = append(r.overflow, c)
	} else {
		r.rings.store(offCQOverflow, r.rings.load(offCQOverflow)+1)
	}
	if r.cqWatched {
		r.signalLocked()
	}
	r.cqMu.Unlock()
}

// maxOverflow bounds the backlog of one ring (each entry is kernel
// memory the process controls).
const maxOverflow = 1 << 16

// writeCQE stores c at the CQ tail and publishes it with a release store
// of the tail, which liburing reads with an acquire load.
func (r *Ring) writeCQE(c CQE) {
	off := offCQEs + (r.cqTail&(r.cqEntries-1))*CQESize
	b := r.rings.bytes(off, CQESize)
	putCQE(b, c)
	r.cqTail++
	r.rings.store(offCQTail, r.cqTail)
}

// flushOverflow moves backlogged CQEs into the ring as room allows
// (io_cqring_overflow_flush) and reports whether the backlog is empty.
func (r *Ring) flushOverflow() bool {
	r.cqMu.Lock()
	defer r.cqMu.Unlock()
	if len(r.overflow) == 0 {
		return true
	}
	n := 0
	for n < len(r.overflow) && r.cqTail-r.rings.load(offCQHead) < r.cqEntries {
		r.writeCQE(r.overflow[n])
		n++
	}
	r.overflow = append(r.overflow[:0], r.overflow[n:]...)
	if len(r.overflow) == 0 {
		r.overflow = nil
		r.sqFlagClear(SQCQOverflow)
	}
	if n > 0 {
		r.signalLocked()
	}
	return len(r.overflow) == 0
}

// signalLocked wakes the waiters of cqChanged.
func (r *Ring) signalLocked() {
	close(r.cqChanged)
	r.cqChanged = make(chan struct{})
	r.cqWatched = false
}

// notify tells pollers of the ring's file and a registered eventfd that
// a CQE was posted (iowq: from an io-wq worker, see postFrom).
func (r *Ring) notify(iowq bool) {
	// EPOLL_URING_WAKE tells a poll request on this ring's descriptor
	// that a ring woke it (pollWoken).
	r.events.Notify(fs.EventIn | fs.EventRdNorm | epollURingWake)
	r.signalEventfd(iowq)
}

// cqWait returns the channel closed at the next post, and how many CQEs
// the process could reap now (its backlog included).
func (r *Ring) cqWait() (<-chan struct{}, uint32) {
	r.cqMu.Lock()
	defer r.cqMu.Unlock()
	r.cqWatched = true
	return r.cqChanged, r.cqTail - r.rings.load(offCQHead) + uint32(len(r.overflow))
}

// Readiness implements the ring file's poll (io_uring_poll): writable
// while the SQ has room, readable while CQEs wait.
func (r *Ring) Readiness(mask uint32) uint32 {
	var ev uint32
	if r.rings.load(offSQTail)-r.rings.load(offSQHead) < r.sqEntries {
		ev |= fs.EventOut | fs.EventWrNorm
	}
	if _, n := r.cqWait(); n > 0 {
		ev |= fs.EventIn | fs.EventRdNorm
	}
	return ev & mask
}

// EventQueue is notified when CQEs are posted.
func (r *Ring) EventQueue() *fs.Queue { return &r.events }

// reqList is an intrusive list of requests (no allocation per request).
type reqList struct{ head *Req }

func (l *reqList) add(r *Req) {
	r.prev, r.next = nil, l.head
	if l.head != nil {
		l.head.prev = r
	}
	l.head = r
}

func (l *reqList) remove(r *Req) {
	if r.prev != nil {
		r.prev.next = r.next
	} else if l.head == r {
		l.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	}
	r.prev, r.next = nil, nil
}

// liveRings are the live rings, for CancelSubmittedBy.
var liveRings struct {
	mu  sync.Mutex
	set map[*Ring]struct{}
}

func trackRing(r *Ring, live bool) {
	liveRings.mu.Lock()
	defer liveRings.mu.Unlock()
	if liveRings.set == nil {
		liveRings.set = map[*Ring]struct{}{}
	}
	if live {
		liveRings.set[r] = struct{}{}
	} else {
		delete(liveRings.set, r)
	}
}

// CancelSubmittedBy cancels, in every ring, the requests in flight that
// a context for which mine reports true submitted: a process whose image
// ends (execve, exit) takes its requests with it, as Linux's
// io_uring_task_cancel does.
func CancelSubmittedBy(mine func(Task) bool) {
	liveRings.mu.Lock()
	var all []*Ring
	for r := range liveRings.set {
		all = append(all, r)
	}
	liveRings.mu.Unlock()
	for _, r := range all {
		for _, x := range r.issued(nil, func(x *Req) bool { return x.submitter != nil && mine(x.submitter) }) {
			x.cancel()
		}
	}
}
