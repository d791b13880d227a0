package uring

import (
	"runtime"

	"oyako/kernel/mm"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// sqNap is how long the SQ thread naps after a poll that found nothing.
// Measured under TCG with a process that submits batches of 32 NOPs and
// spins on the CQ: naps of 20-300 µs make every batch slower (each wake
// preempts the process, and a switch costs more than the process needs
// to refill the SQ), 1 ms gives about 1.6 ms a batch.
const sqNap = time.Millisecond

// sqThread is an SQPOLL thread (struct io_sq_data): it polls the SQ
// rings attached to it and submits what it finds, so that a process
// submits with no system call while it is awake. After the longest idle
// time of its rings without work it sets IORING_SQ_NEED_WAKEUP and sleeps
// until io_uring_enter(IORING_ENTER_SQ_WAKEUP) or a new ring.
type sqThread struct {
	mu    sync.Mutex // held for a whole pass over the rings
	rings []*Ring
	task  Worker
	wake  chan struct{} // buffered: a wake-up is never lost
	stop  chan struct{}
	done  chan struct{}
	// halting closes stop once; dead says the thread died with the
	// process that made it (ownerGone).
	halting sync.Once
	dead    atomic.Bool
}

// startSQThread starts the SQ thread of a new SQPOLL ring. It acts as the
// process that created the ring (its descriptors, memory and
// credentials: IORING_FEAT_SQPOLL_NONFIXED).
func startSQThread(r *Ring) *sqThread {
	s := &sqThread{rings: []*Ring{r}, task: Host.NewWorker(r.owner),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

// attach adds a ring that shares the thread (IORING_SETUP_ATTACH_WQ).
func (s *sqThread) attach(r *Ring) {
	s.mu.Lock()
	s.rings = append(s.rings, r)
	s.mu.Unlock()
	s.wakeUp()
}

// detach removes a ring being released; the last one stops the thread.
// When it returns the thread no longer touches the ring.
func (s *sqThread) detach(r *Ring) {
	s.mu.Lock()
	for i, x := range s.rings {
		if x == r {
			s.rings = append(s.rings[:i], s.rings[i+1:]...)
			break
		}
	}
	last := len(s.rings) == 0
	s.mu.Unlock()
	if last {
		s.halt()
	}
}

// halt stops the thread and waits until it no longer runs.
func (s *sqThread) halt() {
	s.halting.Do(func() { close(s.stop) })
	<-s.done
}

// ownerGone ends the thread because the process that made it ended its
// image (exit, execve): Linux's SQ thread is a thread of that process and
// dies with it (io_sq_thread's way out). Its rings keep
// IORING_SQ_NEED_WAKEUP set, and io_uring_enter on them answers
// EOWNERDEAD; nothing submits their SQEs any more.
func (s *sqThread) ownerGone() {
	s.dead.Store(true)
	s.halt()
	s.setNeedWakeup(true)
}

// StopSQThreadsOf ends the SQ threads that act as a process for which
// mine reports true, when its image ends (see ownerGone).
func StopSQThreadsOf(mine func(Task) bool) {
	liveRings.mu.Lock()
	var threads []*sqThread
	for r := range liveRings.set {
		if s := r.sq; s != nil && !s.dead.Load() && mine(s.task) {
			threads = append(threads, s)
		}
	}
	liveRings.mu.Unlock()
	for _, s := range threads {
		if !s.dead.Load() {
			s.ownerGone()
		}
	}
}

// wakeUp ends the thread's sleep (IORING_ENTER_SQ_WAKEUP).
func (s *sqThread) wakeUp() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pass submits what every ring has queued; it reports whether there was
// any work.
func (s *sqThread) pass() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	did := false
	for _, r := range s.rings {
		if n := r.sqReady(); n > 0 {
			got, _ := r.Submit(s.task, n)
			r.sqSubmitted.Add(uint64(got))
			r.sqConsumed()
			did = true
		}
	}
	return did
}

// idle returns the longest sq_thread_idle of the rings.
func (s *sqThread) idle() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d int64
	for _, r := range s.rings {
		d = max(d, r.idle)
	}
	return time.Duration(d)
}

// setNeedWakeup sets or clears IORING_SQ_NEED_WAKEUP on every ring and,
// when setting it, reports whether SQEs arrived meanwhile (the check
// io_sqd_handle_event's caller makes after setting the flag, so that a
// submission racing with the sleep is not missed).
func (s *sqThread) setNeedWakeup(on bool) (pending bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rings {
		if on {
			r.sqFlagSet(SQNeedWakeup)
		} else {
			r.sqFlagClear(SQNeedWakeup)
		}
	}
	if on {
		for _, r := range s.rings {
			if r.sqReady() > 0 {
				pending = true
			}
		}
	}
	return pending
}

func (s *sqThread) loop() {
	defer close(s.done)
	last := time.Now()
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		mm.Throttle() // as a system call's entry does (async.go's work)
		if s.pass() {
			last = time.Now()
			runtime.Gosched()
			continue
		}
		if time.Since(last) < s.idle() {
			// Nothing queued. Linux's SQ thread spins on a CPU of its
			// own; with one CPU shared with the process, spinning would
			// hold the CPU for a whole time slice, so the thread naps
			// instead, and the timer's wakeup preemption brings it back
			// on time.
			ts := syscall.NsecToTimespec(int64(sqNap))
			syscall.Nanosleep(&ts, nil)
			continue
		}
		if s.setNeedWakeup(true) {
			s.setNeedWakeup(false)
			continue
		}
		select {
		case <-s.wake:
		case <-s.stop:
			s.setNeedWakeup(false)
			return
		}
		s.setNeedWakeup(false)
		last = time.Now()
	}
}
