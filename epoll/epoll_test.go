package epoll

import (
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
	epf := New(0)
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
	epf := New(0)
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
	outer, inner := New(0), New(0)
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
