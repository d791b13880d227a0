package signals

// Queue is a set of pending signals with their siginfo (struct
// sigpending): a standard signal is pending at most once, real-time
// signals queue each sending. A signal whose information could not be
// queued (RLIMIT_SIGPENDING) is in Set without an entry.
type Queue struct {
	Set  uint64
	list []Queued
}

// Queued is one queued signal (struct sigqueue).
type Queued struct {
	Sig  int
	Info SigInfo
	// Held is what the entry holds while it is queued: a charge against
	// the sender's RLIMIT_SIGPENDING, or a POSIX timer's preallocated
	// signal; nil for none. Remove releases it; whoever Takes an entry
	// releases it or hands it on.
	Held Holder
	// Seq is, for a timer's signal, the timer's it_signal_seq when it
	// was queued: the timer tells by it whether the signal went stale.
	Seq uint64
}

// Holder is what a queued signal holds (see Queued.Held).
type Holder interface{ Release() }

// Add queues s.
func (q *Queue) Add(s Queued) {
	q.Set |= Bit(s.Sig)
	q.list = append(q.list, s)
}

// Len returns the number of queued entries; Cap the room the queue has
// without growing.
func (q *Queue) Len() int { return len(q.list) }
func (q *Queue) Cap() int { return cap(q.list) }

// Take removes the first queued instance of sig and returns it, not
// released. A signal pending without an entry gives the information
// collect_signal makes up: the number, SI_USER, no sender.
func (q *Queue) Take(sig int) Queued {
	taken := Queued{Sig: sig}
	taken.Info.SetSigno(sig)
	found, more := false, false
	out := q.list[:0]
	for _, s := range q.list {
		switch {
		case s.Sig == sig && !found:
			taken, found = s, true
		default:
			if s.Sig == sig {
				more = true
			}
			out = append(out, s)
		}
	}
	clear(q.list[len(out):])
	q.list = out
	if !more {
		q.Set &^= Bit(sig)
	}
	return taken
}

// Remove drops every pending signal in mask and releases what its
// entries held.
func (q *Queue) Remove(mask uint64) {
	if q.Set&mask == 0 {
		return
	}
	q.Set &^= mask
	out := q.list[:0]
	var dropped []Queued
	for _, s := range q.list {
		if mask&Bit(s.Sig) == 0 {
			out = append(out, s)
		} else if s.Held != nil {
			dropped = append(dropped, s)
		}
	}
	clear(q.list[len(out):])
	q.list = out
	// Released after the queue is consistent: a timer's release may
	// queue its next signal.
	for _, s := range dropped {
		s.Held.Release()
	}
}

// Flush drops everything pending (flush_sigqueue).
func (q *Queue) Flush() { q.Remove(^uint64(0)) }

// Find returns the first entry holding h, or nil.
func (q *Queue) Find(h Holder) *Queued {
	for i := range q.list {
		if q.list[i].Held == h {
			return &q.list[i]
		}
	}
	return nil
}

// Next returns the signal dequeue_signal takes from set: a synchronous
// (fault) signal first, else the lowest-numbered one; 0 for none.
func Next(set uint64) int {
	if set == 0 {
		return 0
	}
	if s := set & SynchronousMask; s != 0 {
		set = s
	}
	for sig := 1; sig <= SIGRTMAX; sig++ {
		if set&Bit(sig) != 0 {
			return sig
		}
	}
	return 0
}

// SynchronousMask are the signals a fault raises (SYNCHRONOUS_MASK).
const SynchronousMask = 1<<(SIGSEGV-1) | 1<<(SIGBUS-1) | 1<<(SIGILL-1) | 1<<(SIGTRAP-1) | 1<<(SIGFPE-1) | 1<<(SIGSYS-1)
