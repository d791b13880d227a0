package epoll

import (
	"fmt"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

type ctx struct{}

func (ctx) Block(ready <-chan struct{}) error { <-ready; return nil }
func (ctx) CopyIn(uintptr, []byte) error      { return nil }
func (ctx) CopyOut(uintptr, []byte) error     { return nil }
func (ctx) PID() int32                        { return 1 }

func write8(t *testing.T, f *fs.File) {
	t.Helper()
	if _, err := f.Write(ctx{}, []byte{1, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
}

// writeOK writes p to f; a write that fails would leave a waiter blocked
// forever, so it is reported at once.
func writeOK(t *testing.T, f *fs.File, p string) {
	t.Helper()
	if _, err := f.Write(ctx{}, []byte(p)); err != nil {
		t.Errorf("write %q: %v", p, err)
	}
}

func TestLevelEdgeOneshot(t *testing.T) {
	epf := New(0, 0)
	ep, _ := FromFile(epf)
	efd := fs.NewEventFD(0, fs.EFD_NONBLOCK)
	r, w := fs.NewPipe(fs.O_NONBLOCK)
	if err := ep.Ctl(CtlAdd, 3, efd, fs.EventIn, 0x11); err != nil {
		t.Fatal(err)
	}
	if err := ep.Ctl(CtlAdd, 3, efd, fs.EventIn, 0x11); err != linuxerr.EEXIST {
		t.Fatalf("double add: %v", err)
	}
	if err := ep.Ctl(CtlAdd, 4, r, fs.EventIn|EPOLLET, 0x22); err != nil {
		t.Fatal(err)
	}
	if err := ep.Ctl(CtlAdd, 5, epf, fs.EventIn, 0); err != linuxerr.EINVAL {
		t.Fatalf("add itself: %v", err)
	}
	if evs, _ := ep.Wait(ctx{}, 8, 0); len(evs) != 0 {
		t.Fatalf("events before anything happened: %v", evs)
	}
	write8(t, efd)
	writeOK(t, w, "x")
	evs, _ := ep.Wait(ctx{}, 8, 0)
	if len(evs) != 2 {
		t.Fatalf("want 2 events, got %v", evs)
	}
	// Level-triggered eventfd is still ready; the edge-triggered pipe is not.
	evs, _ = ep.Wait(ctx{}, 8, 0)
	if len(evs) != 1 || evs[0].Data != 0x11 {
		t.Fatalf("second wait: %v", evs)
	}
	writeOK(t, w, "y")
	if evs, _ = ep.Wait(ctx{}, 8, 0); len(evs) != 2 {
		t.Fatalf("new edge: %v", evs)
	}
	// One-shot: reported once until re-armed with MOD.
	if err := ep.Ctl(CtlMod, 3, efd, fs.EventIn|EPOLLONESHOT, 0x33); err != nil {
		t.Fatal(err)
	}
	ep.Wait(ctx{}, 8, 0)
	if evs, _ = ep.Wait(ctx{}, 8, 0); len(evs) != 0 {
		t.Fatalf("one-shot fired twice: %v", evs)
	}
	ep.Ctl(CtlMod, 3, efd, fs.EventIn, 0x44)
	if evs, _ = ep.Wait(ctx{}, 8, 0); len(evs) != 1 || evs[0].Data != 0x44 {
		t.Fatalf("re-armed: %v", evs)
	}
	if err := ep.Ctl(CtlDel, 9, efd, 0, 0); err != linuxerr.ENOENT {
		t.Fatalf("del of unknown: %v", err)
	}
	// max limits the batch.
	if evs, _ = ep.Wait(ctx{}, 1, 0); len(evs) != 1 {
		t.Fatalf("max 1: %v", evs)
	}
}

func TestWaitBlocksAndTimesOut(t *testing.T) {
	epf := New(0, 0)
	ep, _ := FromFile(epf)
	r, w := fs.NewPipe(0)
	ep.Ctl(CtlAdd, 3, r, fs.EventIn, 7)
	start := time.Now()
	if evs, err := ep.Wait(ctx{}, 4, 30*time.Millisecond); len(evs) != 0 || err != nil || time.Since(start) < 30*time.Millisecond {
		t.Fatalf("timeout: %v %v after %v", evs, err, time.Since(start))
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		writeOK(t, w, "z")
	}()
	evs, err := ep.Wait(ctx{}, 4, -1)
	if err != nil || len(evs) != 1 || evs[0].Data != 7 {
		t.Fatalf("woken wait: %v %v", evs, err)
	}
	// Closing the last reference to a watched file removes it.
	r.DecRef()
	w.Write(ctx{}, []byte("more")) // EPIPE: the reader is gone
	if evs, _ := ep.Wait(ctx{}, 4, 0); len(evs) != 0 {
		t.Fatalf("released file still reported: %v", evs)
	}
	// Writers gone: a reader sees EPOLLHUP.
	r2, w2 := fs.NewPipe(0)
	ep.Ctl(CtlAdd, 5, r2, fs.EventIn, 9)
	w2.DecRef()
	if evs, _ := ep.Wait(ctx{}, 4, 0); len(evs) != 1 || evs[0].Events&fs.EventHup == 0 {
		t.Fatalf("hangup: %v", evs)
	}
}

func TestNested(t *testing.T) {
	outer, inner := New(0, 0), New(0, 0)
	o, _ := FromFile(outer)
	i, _ := FromFile(inner)
	efd := fs.NewEventFD(0, 0)
	i.Ctl(CtlAdd, 3, efd, fs.EventIn, 1)
	if err := o.Ctl(CtlAdd, 4, inner, fs.EventIn, 2); err != nil {
		t.Fatal(err)
	}
	write8(t, efd)
	if evs, _ := o.Wait(ctx{}, 4, 0); len(evs) != 1 || evs[0].Data != 2 {
		t.Fatalf("nested: %v", evs)
	}
	if err := o.Ctl(CtlAdd, 5, fs.NewFile(nil, "", 0, nil), fs.EventIn, 0); err != linuxerr.EPERM {
		t.Fatalf("non-pollable file: %v", err)
	}
}

// TestNestingLimits checks ep_loop_check's rules: no watch of itself, no
// cycle, no path of more than MaxNests watches from either end; and that
// closing an instance takes its watches out of the count.
func TestNestingLimits(t *testing.T) {
	mk := func(n int) ([]*fs.File, []*Instance) {
		fs_, eps := make([]*fs.File, n), make([]*Instance, n)
		for i := range fs_ {
			fs_[i] = New(0, 0)
			eps[i], _ = FromFile(fs_[i])
		}
		return fs_, eps
	}
	f, e := mk(3)
	if err := e[0].Ctl(CtlAdd, 1, f[1], fs.EventIn, 0); err != nil {
		t.Fatal(err)
	}
	if err := e[1].Ctl(CtlAdd, 0, f[0], fs.EventIn, 0); err != linuxerr.ELOOP {
		t.Fatalf("cycle of two: %v", err)
	}
	e[1].Ctl(CtlAdd, 2, f[2], fs.EventIn, 0)
	if err := e[2].Ctl(CtlAdd, 0, f[0], fs.EventIn, 0); err != linuxerr.ELOOP {
		t.Fatalf("cycle of three: %v", err)
	}
	if err := e[0].Ctl(CtlAdd, 1, f[1], fs.EventIn, 0); err != linuxerr.EEXIST {
		t.Fatalf("again: %v", err)
	}
	if err := e[0].Ctl(CtlAdd, 2, f[2], fs.EventIn, 0); err != nil {
		t.Fatalf("a diamond: %v", err)
	}
	// Chains: four watches pass, a fifth is ELOOP, built either way.
	for _, down := range []bool{true, false} {
		f, e := mk(6)
		for i := 0; i < 5; i++ {
			var err error
			if down {
				err = e[i].Ctl(CtlAdd, int32(i+1), f[i+1], fs.EventIn, 0)
			} else {
				err = e[i+1].Ctl(CtlAdd, int32(i), f[i], fs.EventIn, 0)
			}
			if want := error(nil); i == 4 {
				if err != linuxerr.ELOOP {
					t.Fatalf("down=%v: watch %d: %v, want ELOOP", down, i+1, err)
				}
			} else if err != want {
				t.Fatalf("down=%v: watch %d: %v", down, i+1, err)
			}
		}
		// Closing the middle instance shortens the chain.
		f[2].DecRef()
		var err error
		if down {
			err = e[4].Ctl(CtlAdd, 5, f[5], fs.EventIn, 0)
		} else {
			err = e[5].Ctl(CtlAdd, 4, f[4], fs.EventIn, 0)
		}
		if err != nil {
			t.Fatalf("down=%v: after closing the middle: %v", down, err)
		}
	}
	// EPOLLEXCLUSIVE: not on MOD, not for a nested instance, only
	// EXCLUSIVE_OK bits; an exclusive watch cannot be changed.
	f, e = mk(2)
	r, _ := fs.NewPipe(0)
	if err := e[0].Ctl(CtlMod, 3, r, fs.EventIn|EPOLLEXCLUSIVE, 0); err != linuxerr.EINVAL {
		t.Fatalf("MOD exclusive: %v", err)
	}
	if err := e[0].Ctl(CtlAdd, 1, f[1], fs.EventIn|EPOLLEXCLUSIVE, 0); err != linuxerr.EINVAL {
		t.Fatalf("exclusive nested: %v", err)
	}
	if err := e[0].Ctl(CtlAdd, 3, r, fs.EventIn|fs.EventPri|EPOLLEXCLUSIVE, 0); err != linuxerr.EINVAL {
		t.Fatalf("exclusive with EPOLLPRI: %v", err)
	}
	if err := e[0].Ctl(CtlAdd, 3, r, fs.EventIn|EPOLLEXCLUSIVE, 0); err != nil {
		t.Fatal(err)
	}
	if err := e[0].Ctl(CtlMod, 3, r, fs.EventIn, 0); err != linuxerr.EINVAL {
		t.Fatalf("MOD of an exclusive watch: %v", err)
	}
}

// TestNestedRace races inserts that would close a cycle: one of each
// pair must fail, so readiness checks never loop.
func TestNestedRace(t *testing.T) {
	for i := 0; i < 200; i++ {
		a, b := New(0, 0), New(0, 0)
		ea, _ := FromFile(a)
		eb, _ := FromFile(b)
		errs := make(chan error, 2)
		go func() { errs <- ea.Ctl(CtlAdd, 1, b, fs.EventIn, 0) }()
		go func() { errs <- eb.Ctl(CtlAdd, 0, a, fs.EventIn, 0) }()
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) {
			t.Fatalf("A into B: %v, B into A: %v; want exactly one ELOOP", e1, e2)
		}
		ea.Readiness(a, fs.EventIn) // must return
	}
}

// TestMaxUserWatches: one user's watches across its instances stop at
// max_user_watches with ENOSPC (after EEXIST), and removing a watch or
// closing an instance gives room back; another user has its own count.
func TestMaxUserWatches(t *testing.T) {
	old := MaxUserWatches.Load()
	defer MaxUserWatches.Store(old)
	MaxUserWatches.Store(2)
	a, b := New(0, 1000), New(0, 1000)
	epa, _ := FromFile(a)
	epb, _ := FromFile(b)
	e1, e2, e3 := fs.NewEventFD(0, 0), fs.NewEventFD(0, 0), fs.NewEventFD(0, 0)
	if err := epa.Ctl(CtlAdd, 3, e1, fs.EventIn, 0); err != nil {
		t.Fatal(err)
	}
	if err := epb.Ctl(CtlAdd, 4, e2, fs.EventIn, 0); err != nil {
		t.Fatal(err)
	}
	if err := epa.Ctl(CtlAdd, 3, e1, fs.EventIn, 0); err != linuxerr.EEXIST {
		t.Errorf("existing watch at the limit: %v", err)
	}
	if err := epa.Ctl(CtlAdd, 5, e3, fs.EventIn, 0); err != linuxerr.ENOSPC {
		t.Errorf("watch past the limit: %v", err)
	}
	other, _ := FromFile(New(0, 1001))
	if err := other.Ctl(CtlAdd, 5, e3, fs.EventIn, 0); err != nil {
		t.Errorf("another user's watch: %v", err)
	}
	if err := epa.Ctl(CtlDel, 3, e1, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := epa.Ctl(CtlAdd, 5, e3, fs.EventIn, 0); err != nil {
		t.Errorf("watch after a delete: %v", err)
	}
	b.DecRef() // its watch goes with it
	if err := epa.Ctl(CtlAdd, 3, e1, fs.EventIn, 0); err != nil {
		t.Errorf("watch after closing an instance: %v", err)
	}
	a.DecRef()
	other.self.DecRef()
	if n := watches.Load(1000) + watches.Load(1001); n != 0 {
		t.Errorf("%d watches still charged after every instance closed", n)
	}
}

// TestQueueOrder checks fs.Queue's walk as __wake_up_common makes it:
// every non-exclusive entry, then exclusive ones in the order they came
// until one reports a wake-up.
func TestQueueOrder(t *testing.T) {
	var q fs.Queue
	var got []string
	shared := func(name string) *fs.Entry {
		return &fs.Entry{Mask: fs.EventIn, Callback: func(uint32) { got = append(got, name) }}
	}
	excl := func(name string, woke bool) *fs.Entry {
		return &fs.Entry{Mask: fs.EventIn, Exclusive: func(uint32) bool { got = append(got, name); return woke }}
	}
	x1, x2, x3 := excl("x1", false), excl("x2", true), excl("x3", true)
	s1, s2 := shared("s1"), shared("s2")
	out := &fs.Entry{Mask: fs.EventOut, Callback: func(uint32) { got = append(got, "out") }}
	for _, e := range []*fs.Entry{x1, s1, x2, out, x3, s2} {
		q.Register(e)
	}
	q.Register(s1) // a second Register keeps the first place
	q.Notify(fs.EventIn)
	if want := "[s1 s2 x1 x2]"; fmt.Sprint(got) != want {
		t.Fatalf("Notify called %v, want %s", got, want)
	}
	got = nil
	q.Unregister(x2)
	q.Unregister(x2)
	q.Notify(fs.EventIn)
	if want := "[s1 s2 x1 x3]"; fmt.Sprint(got) != want {
		t.Fatalf("after Unregister, Notify called %v, want %s", got, want)
	}
	for _, e := range []*fs.Entry{x1, s1, x3, out, s2} {
		q.Unregister(e)
	}
	if q.Active() {
		t.Fatal("queue still active with every entry gone")
	}
	if testing.AllocsPerRun(100, func() { q.Notify(fs.EventIn) }) != 0 {
		t.Error("an empty Notify allocates")
	}
}

// blockedWaiters starts a goroutine per instance blocked in Wait with no
// timeout, and returns once each sleeps on its instance; a woken waiter
// sends its instance's index.
func blockedWaiters(t *testing.T, eps []*Instance) <-chan int {
	t.Helper()
	woke := make(chan int, len(eps))
	for i, ep := range eps {
		go func() {
			if evs, err := ep.Wait(ctx{}, 8, -1); err != nil || len(evs) == 0 {
				t.Errorf("waiter %d: %v %v", i, evs, err)
			}
			woke <- i
		}()
	}
	for _, ep := range eps {
		for !ep.wq.Active() {
			time.Sleep(time.Millisecond)
		}
	}
	return woke
}

// countWoken returns how many waiters have sent on woke after a pause.
func countWoken(woke <-chan int) int {
	time.Sleep(50 * time.Millisecond)
	return len(woke)
}

func TestExclusive(t *testing.T) {
	const n = 4
	efd := fs.NewEventFD(0, fs.EFD_NONBLOCK)
	eps := make([]*Instance, n)
	for i := range eps {
		eps[i], _ = FromFile(New(0, 0))
		if err := eps[i].Ctl(CtlAdd, 3, efd, fs.EventIn|EPOLLEXCLUSIVE, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	woke := blockedWaiters(t, eps)
	write8(t, efd)
	if got := countWoken(woke); got != 1 {
		t.Fatalf("one event woke %d exclusive waiters, want 1", got)
	}
	if first := <-woke; first != 0 {
		t.Errorf("the event woke waiter %d, want the first to watch (0)", first)
	}
	// Each new event wakes one more: the woken waiter left the queue.
	for i := 1; i < n; i++ {
		write8(t, efd)
		if got := countWoken(woke); got != 1 {
			t.Fatalf("event %d woke %d waiters, want 1", i+1, got)
		}
		<-woke
	}

	// With no one waiting, no instance counts as woken: every exclusive
	// watch hears the event and has it ready.
	efd2 := fs.NewEventFD(0, fs.EFD_NONBLOCK)
	for i, ep := range eps {
		ep.Ctl(CtlAdd, 4, efd2, fs.EventIn|EPOLLEXCLUSIVE, uint64(10+i))
	}
	write8(t, efd2)
	for i, ep := range eps {
		if evs, _ := ep.Wait(ctx{}, 8, 0); len(evs) == 0 {
			t.Errorf("instance %d without a waiter missed the event", i)
		}
	}
}

func TestExclusiveMixed(t *testing.T) {
	r, w := fs.NewPipe(fs.O_NONBLOCK)
	var eps []*Instance
	add := func(events uint32) *Instance {
		ep, _ := FromFile(New(0, 0))
		if err := ep.Ctl(CtlAdd, 3, r, events, 0); err != nil {
			t.Fatal(err)
		}
		eps = append(eps, ep)
		return ep
	}
	add(fs.EventIn | EPOLLEXCLUSIVE)
	add(fs.EventIn | EPOLLEXCLUSIVE)
	add(fs.EventIn)
	add(fs.EventIn)
	woke := blockedWaiters(t, eps)
	writeOK(t, w, "x")
	// The two non-exclusive watches and the first exclusive one.
	if got := countWoken(woke); got != 3 {
		t.Fatalf("woke %d waiters, want 3", got)
	}
	seen := map[int]bool{}
	for range 3 {
		seen[<-woke] = true
	}
	if !seen[0] || seen[1] {
		t.Fatalf("woke %v, want the first exclusive waiter and not the second", seen)
	}
	// Closing the write end hangs up both directions at once, which no
	// exclusive watch counts as its wake-up: the last waiter wakes too.
	w.DecRef()
	if got := countWoken(woke); got != 1 {
		t.Fatalf("hang-up woke %d waiters, want 1", got)
	}
}

// TestTurnsAndFaults checks ep_send_events' order and its fault: level-
// triggered items not reported (maxevents reached) come before those
// reported, and an event that cannot be copied out stays ready with those
// after it, while the ones copied before it count.
func TestTurnsAndFaults(t *testing.T) {
	epf := New(0, 0)
	ep, _ := FromFile(epf)
	n := 2*len(Batch{}) + 3 // more than one batch
	for i := range n {
		efd := fs.NewEventFD(1, fs.EFD_NONBLOCK)
		events := uint32(fs.EventIn)
		if i == 1 {
			events |= EPOLLONESHOT
		}
		if err := ep.Ctl(CtlAdd, int32(i), efd, events, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
	data := func(evs []Event) (d []uint64) {
		for _, e := range evs {
			d = append(d, e.Data)
		}
		return d
	}
	evs, _ := ep.Wait(ctx{}, 1, 0)
	if fmt.Sprint(data(evs)) != "[0]" {
		t.Fatalf("first wait: %v", data(evs))
	}
	evs, _ = ep.Wait(ctx{}, 2, 0)
	if fmt.Sprint(data(evs)) != "[1 2]" {
		t.Fatalf("second wait: %v, want the next two", data(evs))
	}
	// Now: 3 ... n-1, 0, 2 (1 was one-shot). A put that takes 20 events
	// and then faults: the 21st stays first.
	var got []uint64
	var buf Batch
	k, err := ep.WaitPut(ctx{}, 100, 0, &buf, func(n int) int {
		take := min(n, 20-len(got))
		got = append(got, data(buf[:take])...)
		return take
	})
	if k != 20 || err != nil || got[0] != 3 || got[19] != 22 {
		t.Fatalf("faulting put: %d, %v, %v", k, err, got)
	}
	evs, _ = ep.Wait(ctx{}, 100, 0)
	want := []uint64{}
	for i := 23; i < n; i++ {
		want = append(want, uint64(i))
	}
	want = append(want, 0, 2)
	for i := 3; i < 23; i++ {
		want = append(want, uint64(i))
	}
	if fmt.Sprint(data(evs)) != fmt.Sprint(want) {
		t.Fatalf("after the fault: %v, want %v", data(evs), want)
	}
	// A put that takes nothing: EFAULT, and nothing is consumed.
	if k, err := ep.WaitPut(ctx{}, 100, 0, &buf, func(int) int { return 0 }); k != 0 || err != linuxerr.EFAULT {
		t.Fatalf("put taking nothing: %d, %v", k, err)
	}
	if evs, _ = ep.Wait(ctx{}, 100, 0); len(evs) != n-1 {
		t.Fatalf("after EFAULT: %d events, want %d", len(evs), n-1)
	}
}
