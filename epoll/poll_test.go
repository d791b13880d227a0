package epoll

import (
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
