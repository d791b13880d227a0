package uring

import (
	"encoding/binary"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// run1 submits one SQE and returns its CQE.
func (tr *testRing) run1(tb testing.TB, s SQE) CQE {
	tb.Helper()
	tr.queue(s)
	if n, err := tr.Submit(tr.t, 1); n != 1 || err != nil {
		tb.Fatalf("submit: %d %v", n, err)
	}
	return tr.wait(tb, 1)[0]
}

func errno(err error) int32 { return errnoOf(err) }

// TestProvidedBuffers checks a listed group: PROVIDE_BUFFERS' checks,
// buffers taken in the order given, one given back unused taken first
// again, REMOVE_BUFFERS' count, ENOBUFS and ENOENT.
func TestProvidedBuffers(t *testing.T) {
	tr := newTestRing(t, 8, Params{})
	for _, c := range []struct {
		s    SQE
		want int32
	}{
		{SQE{Opcode: OpProvideBuffers, Fd: 0, Addr: fakeBase, Len: 16, BufIndex: 1}, errno(linuxerr.E2BIG)},
		{SQE{Opcode: OpProvideBuffers, Fd: 1 << 17, Addr: fakeBase, Len: 16, BufIndex: 1}, errno(linuxerr.E2BIG)},
		{SQE{Opcode: OpProvideBuffers, Fd: 2, Addr: fakeBase, Len: 0, BufIndex: 1}, errno(linuxerr.EINVAL)},
		{SQE{Opcode: OpProvideBuffers, Fd: 2, Addr: ^uint64(0) - 8, Len: 16, BufIndex: 1}, errno(linuxerr.EOVERFLOW)},
		{SQE{Opcode: OpProvideBuffers, Fd: 2, Addr: 1 << 50, Len: 16, BufIndex: 1}, errno(linuxerr.EFAULT)},
		{SQE{Opcode: OpProvideBuffers, Fd: 4, Addr: fakeBase, Len: 16, Off: 65533, BufIndex: 1}, errno(linuxerr.EINVAL)},
		{SQE{Opcode: OpRemoveBuffers, Fd: 1, BufIndex: 1}, errno(linuxerr.ENOENT)},
		{SQE{Opcode: OpRemoveBuffers, Fd: 0, BufIndex: 1}, errno(linuxerr.EINVAL)},
		{SQE{Opcode: OpProvideBuffers, Fd: 3, Addr: fakeBase, Len: 16, Off: 10, BufIndex: 1}, 0},
	} {
		if got := tr.run1(t, c.s); got.Res != c.want {
			t.Errorf("%+v: %d, want %d", c.s, got.Res, c.want)
		}
	}
	sel := func() (uint16, error) {
		s, err := tr.SelectBuffer(tr.t, 1, 0)
		if err != nil {
			return 0, err
		}
		if s.Len != 16 || s.Addr != fakeBase+uint64(s.ID-10)*16 {
			t.Errorf("buffer %d at %#x len %d", s.ID, s.Addr, s.Len)
		}
		s.Recycle()
		s2, _ := tr.SelectBuffer(tr.t, 1, 4)
		if s2.ID != s.ID || s2.Len != 4 {
			t.Errorf("recycled %d taken as %d len %d", s.ID, s2.ID, s2.Len)
		}
		if f := s2.Commit(); f != CQEFBuffer|uint32(s.ID)<<CQEBufferShift {
			t.Errorf("flags %#x", f)
		}
		return s.ID, nil
	}
	if id, _ := sel(); id != 10 {
		t.Errorf("first buffer %d, want 10", id)
	}
	if c := tr.run1(t, SQE{Opcode: OpRemoveBuffers, Fd: 5, BufIndex: 1}); c.Res != 2 {
		t.Errorf("REMOVE_BUFFERS: %d, want 2", c.Res)
	}
	if _, err := sel(); err != linuxerr.ENOBUFS {
		t.Errorf("empty group: %v", err)
	}
	if c := tr.run1(t, SQE{Opcode: OpRemoveBuffers, Fd: 5, BufIndex: 1}); c.Res != 0 {
		t.Errorf("REMOVE_BUFFERS of an empty group: %d, want 0", c.Res)
	}
	if _, err := tr.SelectBuffer(tr.t, 2, 0); err != linuxerr.ENOBUFS {
		t.Errorf("no group: %v", err)
	}
}

// TestBufferRing checks a registered ring: its checks, entries taken
// at the head as the process advances the tail, and the exclusions
// between rings and listed groups.
func TestBufferRing(t *testing.T) {
	tr := newTestRing(t, 8, Params{})
	le := binary.LittleEndian
	reg := func(addr uint64, entries uint32, gid uint16) error {
		b := tr.t.mem[0x8000:]
		clear(b[:bufRegSize])
		le.PutUint64(b, addr)
		le.PutUint32(b[8:], entries)
		le.PutUint16(b[12:], gid)
		_, err := tr.Register(tr.t, RegisterPbufRing, fakeBase+0x8000, 1)
		return err
	}
	for _, c := range []struct {
		addr    uint64
		entries uint32
		want    error
	}{
		{fakeBase, 3, linuxerr.EINVAL},
		{fakeBase, 1 << 16, linuxerr.EINVAL},
		{fakeBase + 8, 4, linuxerr.EINVAL},
		{1 << 40, 4, linuxerr.EFAULT},
		{fakeBase, 4, nil},
		{fakeBase + 0x1000, 4, linuxerr.EEXIST},
	} {
		if err := reg(c.addr, c.entries, 3); err != c.want {
			t.Errorf("register %#x %d: %v, want %v", c.addr, c.entries, err, c.want)
		}
	}
	if _, err := tr.SelectBuffer(tr.t, 3, 0); err != linuxerr.ENOBUFS {
		t.Errorf("empty ring: %v", err)
	}
	// Two entries: ids 7 and 9, the tail in the first entry's resv.
	for i, id := range []uint16{7, 9} {
		e := tr.t.mem[i*16:]
		le.PutUint64(e, fakeBase+0x2000+uint64(i)*64)
		le.PutUint32(e[8:], 64)
		le.PutUint16(e[12:], id)
	}
	le.PutUint16(tr.t.mem[14:], 2)
	for i, want := range []uint16{7, 7, 9} {
		s, err := tr.SelectBuffer(tr.t, 3, 100)
		if err != nil {
			t.Fatalf("select: %v, want id %d", err, want)
		}
		if s.ID != want || s.Len != 64 {
			t.Errorf("select: %+v, want id %d", s, want)
		}
		if i == 0 {
			s.Recycle() // unused, it stays at the head
		} else {
			s.Commit()
		}
	}
	if _, err := tr.SelectBuffer(tr.t, 3, 0); err != linuxerr.ENOBUFS {
		t.Errorf("used-up ring: %v", err)
	}
	if c := tr.run1(t, SQE{Opcode: OpProvideBuffers, Fd: 1, Addr: fakeBase, Len: 16, BufIndex: 3}); c.Res != errno(linuxerr.EINVAL) {
		t.Errorf("PROVIDE_BUFFERS to a ring: %d", c.Res)
	}
	if c := tr.run1(t, SQE{Opcode: OpProvideBuffers, Fd: 1, Addr: fakeBase, Len: 16, BufIndex: 4}); c.Res != 0 {
		t.Errorf("PROVIDE_BUFFERS: %d", c.Res)
	}
	if err := reg(fakeBase+0x1000, 4, 4); err != linuxerr.EEXIST {
		t.Errorf("register over listed buffers: %v", err)
	}
	unreg := func(gid uint16) error {
		b := tr.t.mem[0x8000:]
		clear(b[:bufRegSize])
		le.PutUint16(b[12:], gid)
		_, err := tr.Register(tr.t, UnregisterPbufRing, fakeBase+0x8000, 1)
		return err
	}
	if err := unreg(4); err != linuxerr.EINVAL {
		t.Errorf("unregister a listed group: %v", err)
	}
	if err := unreg(5); err != linuxerr.ENOENT {
		t.Errorf("unregister no group: %v", err)
	}
	if err := unreg(3); err != nil {
		t.Errorf("unregister: %v", err)
	}
}

// TestProvidedBuffersCharge checks that listed buffers are charged and
// that the charge goes back with the ring.
func TestProvidedBuffersCharge(t *testing.T) {
	before := reqCharged.Load()
	tr := newTestRing(t, 8, Params{})
	if c := tr.run1(t, SQE{Opcode: OpProvideBuffers, Fd: 1000, Addr: fakeBase, Len: 1, BufIndex: 1}); c.Res != 0 {
		t.Fatalf("PROVIDE_BUFFERS: %d", c.Res)
	}
	// 1000 buffers and a group: 4 pages, with the ring's request page
	// already given back.
	if got := reqCharged.Load() - before; got != 4 {
		t.Errorf("charged %d pages, want 4", got)
	}
	tr.Release()
	if got := reqCharged.Load() - before; got != 0 {
		t.Errorf("after release: %d pages still charged", got)
	}
}
