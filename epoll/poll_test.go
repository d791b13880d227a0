package epoll

import (
	"sync"
	"testing"
	"time"

	"oyako/fs"
)

func TestPoll(t *testing.T) {
	r, w := fs.NewPipe(fs.O_NONBLOCK)
	efd := fs.NewEventFD(0, fs.EFD_NONBLOCK)
	fds := []PollFD{
		{FD: 3, Events: PollIn, File: r},
		{FD: 4, Events: PollOut, File: w},
		{FD: -1, Events: PollIn},      // skipped
		{FD: 9, Events: PollIn},       // not open
		{FD: 5, Events: 0, File: efd}, // asks for nothing: only errors and hangups count
	}
	n, err := Poll(ctx{}, fds, time.Time{}, true)
	if err != nil || n != 2 {
		t.Fatalf("Poll: %d %v, want 2", n, err)
	}
	want := []uint16{0, PollOut, 0, PollNval, 0}
	for i, fd := range fds {
		if fd.Revents != want[i] {
			t.Errorf("entry %d: revents %#x, want %#x", i, fd.Revents, want[i])
		}
	}
	// Nothing ready: the deadline ends the wait.
	start := time.Now()
	n, err = Poll(ctx{}, fds[:1], start.Add(20*time.Millisecond), false)
	if n != 0 || err != nil || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("timed poll: %d %v after %v", n, err, time.Since(start))
	}
	// A write wakes a waiter.
	go func() {
		time.Sleep(10 * time.Millisecond)
		w.Write(ctx{}, []byte("x"))
	}()
	n, err = Poll(ctx{}, fds[:1], time.Time{}, false)
	if n != 1 || err != nil || fds[0].Revents != PollIn {
		t.Fatalf("woken poll: %d %v revents %#x", n, err, fds[0].Revents)
	}
	// The writer's close is a hangup, even when not asked for.
	w.DecRef()
	fds[0].Events = 0
	if n, _ = Poll(ctx{}, fds[:1], time.Time{}, true); n != 1 || fds[0].Revents != PollHup {
		t.Fatalf("after close: %d revents %#x", n, fds[0].Revents)
	}
	// A regular file (no poll method) is always ready.
	f := fs.NewFile(fs.NewAnonInode(), "x", fs.O_RDWR, nil)
	pf := []PollFD{{FD: 6, Events: PollIn | PollOut | PollPri, File: f}}
	if n, _ = Poll(ctx{}, pf, time.Time{}, true); n != 1 || pf[0].Revents != PollIn|PollOut {
		t.Fatalf("file without poll: %d revents %#x", n, pf[0].Revents)
	}
}

// caller is a Ctx that names a process.
type caller int32

func (caller) Block(ready <-chan struct{}) error { <-ready; return nil }
func (caller) CopyIn(uintptr, []byte) error      { return nil }
func (caller) CopyOut(uintptr, []byte) error     { return nil }
func (c caller) PID() int32                      { return int32(c) }

// perCaller is readable for the processes in ready, as a signalfd is for
// those with signals pending: each has a queue of its own, and callers
// the file cannot name get process 1's answer.
type perCaller struct {
	mu    sync.Mutex
	ready map[int32]bool
	qs    map[int32]*fs.Queue
}

func (p *perCaller) Read(fs.Ctx, *fs.File, []byte, int64) (int, error)  { return 0, nil }
func (p *perCaller) Write(fs.Ctx, *fs.File, []byte, int64) (int, error) { return 0, nil }
func (p *perCaller) Readiness(f *fs.File, mask uint32) uint32 {
	return p.ReadinessFor(caller(1), f, mask)
}
func (p *perCaller) ReadinessFor(c fs.Ctx, _ *fs.File, mask uint32) uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ready[c.PID()] {
		return fs.EventIn & mask
	}
	return 0
}
func (p *perCaller) EventQueue() *fs.Queue { return p.EventQueueFor(caller(1)) }
func (p *perCaller) EventQueueFor(c fs.Ctx) *fs.Queue {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.qs[c.PID()] == nil {
		p.qs[c.PID()] = &fs.Queue{}
	}
	return p.qs[c.PID()]
}

func (p *perCaller) set(pid int32) {
	p.mu.Lock()
	p.ready[pid] = true
	p.mu.Unlock()
	p.EventQueueFor(caller(pid)).Notify(fs.EventIn)
}

// TestCallerPollable checks that poll asks a fs.CallerPollable as the
// caller and waits on the caller's queue, and that epoll_wait reports
// readiness as its waiter sees it.
func TestCallerPollable(t *testing.T) {
	p := &perCaller{ready: map[int32]bool{}, qs: map[int32]*fs.Queue{}}
	f := fs.NewFile(fs.NewAnonInode(), "x", fs.O_RDWR, p)
	fds := []PollFD{{FD: 3, Events: PollIn, File: f}}
	go func() {
		time.Sleep(10 * time.Millisecond)
		p.set(2)
	}()
	if n, err := Poll(caller(2), fds, time.Time{}, false); n != 1 || err != nil {
		t.Fatalf("poll as 2, woken by its queue: %d %v", n, err)
	}
	if n, _ := Poll(caller(3), fds, time.Time{}, true); n != 0 {
		t.Fatalf("poll as 3: %d, want 0", n)
	}

	epf := New(0, 0)
	ep, _ := FromFile(epf)
	if err := ep.Ctl(CtlAdd, 3, f, fs.EventIn, 7); err != nil {
		t.Fatal(err)
	}
	p.set(1) // the watch's queue is the caller-less one
	if evs, _ := ep.Wait(caller(3), 4, 0); len(evs) != 0 {
		t.Fatalf("epoll_wait as 3: %v, want none", evs)
	}
	// The watch hears only its own queue's news, as a Linux watch hears
	// only the sighand of the thread that called epoll_ctl.
	p.set(3)
	if evs, _ := ep.Wait(caller(3), 4, 0); len(evs) != 0 {
		t.Fatalf("epoll_wait as 3 with no news on the watch's queue: %v", evs)
	}
	p.EventQueue().Notify(fs.EventIn)
	if evs, _ := ep.Wait(caller(3), 4, 0); len(evs) != 1 || evs[0].Data != 7 {
		t.Fatalf("epoll_wait as 3 once ready for it: %v", evs)
	}
}
