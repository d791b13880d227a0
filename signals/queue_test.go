package signals

import "testing"

type holder struct{ released int }

func (h *holder) Release() { h.released++ }

func TestQueue(t *testing.T) {
	var q Queue
	h1, h2, h3 := &holder{}, &holder{}, &holder{}
	q.Add(Queued{Sig: SIGRTMIN, Info: KillInfo(SIGRTMIN, SI_QUEUE, 1, 0), Held: h1})
	q.Add(Queued{Sig: SIGRTMIN, Info: KillInfo(SIGRTMIN, SI_QUEUE, 2, 0), Held: h2})
	q.Add(Queued{Sig: SIGUSR1, Held: h3})
	q.Set |= Bit(SIGUSR2) // pending without an entry
	// Real-time signals come out in the order they were queued, and stay
	// pending while one is left.
	if s := q.Take(SIGRTMIN); s.Info.PID() != 1 || s.Held != h1 || q.Set&Bit(SIGRTMIN) == 0 {
		t.Fatalf("first take: pid %d, set %#x", s.Info.PID(), q.Set)
	}
	if s := q.Take(SIGRTMIN); s.Info.PID() != 2 || q.Set&Bit(SIGRTMIN) != 0 {
		t.Fatalf("second take: pid %d, set %#x", s.Info.PID(), q.Set)
	}
	// Taking does not release; the taker does.
	if h1.released+h2.released != 0 {
		t.Errorf("Take released")
	}
	// A signal pending without an entry gets SI_USER information.
	if s := q.Take(SIGUSR2); s.Held != nil || s.Info.Signo() != SIGUSR2 || s.Info.Code() != SI_USER {
		t.Errorf("made-up entry: %+v", s)
	}
	if q.Find(h3) == nil {
		t.Errorf("Find missed an entry")
	}
	q.Flush()
	if h3.released != 1 || q.Set != 0 || q.Len() != 0 {
		t.Errorf("Flush: released %d, set %#x, len %d", h3.released, q.Set, q.Len())
	}
}

func TestNext(t *testing.T) {
	if got := Next(Bit(SIGUSR1) | Bit(SIGHUP) | Bit(SIGSEGV)); got != SIGSEGV {
		t.Errorf("Next took %d before the fault's signal", got)
	}
	if got := Next(Bit(SIGRTMIN) | Bit(SIGTERM)); got != SIGTERM {
		t.Errorf("Next = %d, want SIGTERM", got)
	}
	if Next(0) != 0 {
		t.Errorf("Next(0) != 0")
	}
}
