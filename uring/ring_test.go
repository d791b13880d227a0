package uring

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	gerrors "gvisor.dev/gvisor/pkg/errors"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
)

// fakeTask is a Task for host tests: its memory is a Go slice at
// address 0x10000, and it never waits.
type fakeTask struct {
	mem        []byte
	noWait     bool
	wouldBlock bool
	cancelled  chan struct{}
}

const fakeBase = 0x10000

func newFakeTask() *fakeTask {
	return &fakeTask{mem: make([]byte, 1<<16), cancelled: make(chan struct{})}
}

func (t *fakeTask) Block(ready <-chan struct{}) error {
	if t.noWait {
		t.wouldBlock = true
		return linuxerr.EAGAIN
	}
	select {
	case <-ready:
		return nil
	case <-t.cancelled:
		return linuxerr.ECANCELED
	}
}
func (t *fakeTask) CopyIn(addr uintptr, dst []byte) error {
	if addr < fakeBase || addr-fakeBase+uintptr(len(dst)) > uintptr(len(t.mem)) {
		return linuxerr.EFAULT
	}
	copy(dst, t.mem[addr-fakeBase:])
	return nil
}
func (t *fakeTask) CopyOut(addr uintptr, src []byte) error {
	if addr < fakeBase || addr-fakeBase+uintptr(len(src)) > uintptr(len(t.mem)) {
		return linuxerr.EFAULT
	}
	copy(t.mem[addr-fakeBase:], src)
	return nil
}
func (t *fakeTask) PID() int32        { return 1 }
func (t *fakeTask) SetNoWait(on bool) { t.noWait, t.wouldBlock = on, false }
func (t *fakeTask) WouldBlock() bool  { return t.wouldBlock }
func (t *fakeTask) Cancel()           { close(t.cancelled) }

type fakeHost struct{}

func (fakeHost) NewWorker(t Task) Worker {
	return &fakeTask{mem: t.(*fakeTask).mem, cancelled: make(chan struct{})}
}
func (fakeHost) GetFile(t Task, fd int32) (*fs.File, error) { return nil, linuxerr.EBADF }
func (fakeHost) SameThread(a, b Task) bool                  { return a == b }

func init() {
	mm.UseHostMemory(64 << 20)
	Host = fakeHost{}
	Errno = func(err error) uint32 {
		var e *gerrors.Error
		if errors.As(err, &e) {
			return uint32(e.Errno())
		}
		return uint32(linuxerr.EIO.Errno())
	}
}

// testRing is a ring with the process's view of it.
type testRing struct {
	*Ring
	t *fakeTask
}

func newTestRing(tb testing.TB, entries uint32, p Params) *testRing {
	tb.Helper()
	t := newFakeTask()
	r, err := New(t, entries, &p, nil)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(r.Release)
	return &testRing{r, t}
}

// queue writes sqes into the SQ as the process does and publishes them.
func (tr *testRing) queue(sqes ...SQE) {
	tail := tr.rings.load(offSQTail)
	for _, s := range sqes {
		idx := tail & (tr.sqEntries - 1)
		b := tr.sqes.bytes(idx*SQESize, SQESize)
		clear(b)
		b[0], b[1] = s.Opcode, s.Flags
		le := binary.LittleEndian
		le.PutUint32(b[4:], uint32(s.Fd))
		le.PutUint64(b[8:], s.Off)
		le.PutUint64(b[16:], s.Addr)
		le.PutUint32(b[24:], s.Len)
		le.PutUint32(b[28:], s.OpFlags)
		le.PutUint64(b[32:], s.UserData)
		le.PutUint16(b[2:], s.Ioprio)
		le.PutUint16(b[40:], s.BufIndex)
		le.PutUint32(b[44:], uint32(s.FileIndex))
		tr.rings.store(tr.arrayOff+idx*4, idx)
		tail++
	}
	tr.rings.store(offSQTail, tail)
}

// wait waits until n CQEs are in the ring (at most 5 s) and reaps them.
func (tr *testRing) wait(tb testing.TB, n uint32) []CQE {
	tb.Helper()
	if err := tr.waitCQ(tr.t, n, WaitArgs{Timeout: 5 * time.Second, HasTimeout: true}); err != nil {
		tb.Fatalf("waiting for %d CQEs: %v (have %v)", n, err, tr.reap())
	}
	return tr.reap()
}

// reap takes every CQE in the ring.
func (tr *testRing) reap() []CQE {
	head, tail := tr.rings.load(offCQHead), tr.rings.load(offCQTail)
	var out []CQE
	for ; head != tail; head++ {
		b := tr.rings.bytes(offCQEs+(head&(tr.cqEntries-1))*CQESize, CQESize)
		le := binary.LittleEndian
		out = append(out, CQE{le.Uint64(b), int32(le.Uint32(b[8:])), le.Uint32(b[12:])})
	}
	tr.rings.store(offCQHead, head)
	return out
}

func TestSetupChecks(t *testing.T) {
	for _, c := range []struct {
		entries uint32
		p       Params
		sq, cq  uint32
		err     error
	}{
		{entries: 0, err: linuxerr.EINVAL},
		{entries: 3, sq: 4, cq: 8},
		{entries: 40000, err: linuxerr.EINVAL},
		{entries: 40000, p: Params{Flags: SetupClamp}, sq: 32768, cq: 65536},
		{entries: 4, p: Params{Flags: SetupCQSize, CQEntries: 5}, sq: 4, cq: 8},
		{entries: 4, p: Params{Flags: SetupCQSize, CQEntries: 2}, err: linuxerr.EINVAL},
		{entries: 4, p: Params{Flags: SetupCQSize}, err: linuxerr.EINVAL},
		{entries: 4, p: Params{Flags: 1 << 20}, err: linuxerr.EINVAL},
		{entries: 4, p: Params{Resv: [3]uint32{0, 1, 0}}, err: linuxerr.EINVAL},
		{entries: 4, p: Params{Flags: SetupTaskrunFlag}, err: linuxerr.EINVAL},
		{entries: 4, p: Params{Flags: SetupDeferTaskrun}, err: linuxerr.EINVAL},
		{entries: 4, p: Params{Flags: SetupSQPoll | SetupCoopTaskrun}, err: linuxerr.EINVAL},
	} {
		p := c.p
		err := checkParams(c.entries, &p)
		if err != c.err || err == nil && (p.SQEntries != c.sq || p.CQEntries != c.cq) {
			t.Errorf("entries %d %+v: got %v sq %d cq %d, want %v sq %d cq %d", c.entries, c.p, err, p.SQEntries, p.CQEntries, c.err, c.sq, c.cq)
		}
	}
	// io_sq_offload_create's checks, which New makes after those: SQ_AFF
	// needs SQPOLL, and CPU 0 (one CPU); ATTACH_WQ's ring is looked up
	// only then (its error comes after the parameters').
	noRing := func() (*Ring, error) { return nil, linuxerr.ENXIO }
	for _, c := range []struct {
		entries uint32
		p       Params
		err     error
	}{
		{4, Params{Flags: SetupSQAff}, linuxerr.EINVAL},
		{4, Params{Flags: SetupSQAff | SetupSQPoll, SQThreadCPU: 1}, linuxerr.EINVAL},
		{4, Params{Flags: SetupAttachWQ}, linuxerr.ENXIO},
		{0, Params{Flags: SetupAttachWQ}, linuxerr.EINVAL},
		{4, Params{Flags: SetupAttachWQ | SetupSQAff}, linuxerr.ENXIO},
	} {
		p := c.p
		if r, err := New(newFakeTask(), c.entries, &p, noRing); err != c.err {
			t.Errorf("New(%d, %+v): %v, want %v", c.entries, c.p, err, c.err)
			if r != nil {
				r.Release()
			}
		}
	}
}

func TestLayoutIsLinux(t *testing.T) {
	// The offsets Linux 6.x reports for 4 entries (struct io_rings).
	tr := newTestRing(t, 4, Params{})
	var p Params
	p.Flags = 0
	_ = p
	if tr.arrayOff != 192 {
		t.Errorf("sq array at %d, want 192", tr.arrayOff)
	}
	if got := tr.rings.load(offSQRingEntry); got != 4 {
		t.Errorf("sq_ring_entries %d", got)
	}
	if got := tr.rings.load(offCQRingMask); got != 7 {
		t.Errorf("cq_ring_mask %d", got)
	}
}

func TestNopsAndUnknownOpcode(t *testing.T) {
	tr := newTestRing(t, 4, Params{})
	tr.queue(SQE{Opcode: OpNop, UserData: 1}, SQE{Opcode: 200, UserData: 2}, SQE{Opcode: OpNop, UserData: 3})
	n, _ := tr.Submit(tr.t, 3)
	// Submission stops after the SQE that failed its checks.
	if n != 2 {
		t.Fatalf("submitted %d, want 2", n)
	}
	got := tr.reap()
	want := []CQE{{UserData: 1}, {UserData: 2, Res: -22}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("CQEs %v, want %v", got, want)
	}
}

func TestLinkBrokenAndHardlink(t *testing.T) {
	tr := newTestRing(t, 8, Params{})
	tr.queue(SQE{Opcode: OpNop, Flags: SQEIOLink, UserData: 1, Len: 1}, // bad field: fails prep? NOP has none
		SQE{Opcode: OpTimeoutRemove, Flags: SQEIOLink, UserData: 2, Addr: 99}, // -ENOENT breaks the chain
		SQE{Opcode: OpNop, UserData: 3})
	tr.Submit(tr.t, 3)
	got := tr.wait(t, 3)
	if len(got) != 3 || got[0].Res != 0 || got[1].Res != -2 || got[2].Res != -125 {
		t.Fatalf("CQEs %v, want 0, -ENOENT, -ECANCELED", got)
	}
	tr.queue(SQE{Opcode: OpTimeoutRemove, Flags: SQEIOHardlink, UserData: 4, Addr: 99}, SQE{Opcode: OpNop, UserData: 5})
	tr.Submit(tr.t, 2)
	got = tr.wait(t, 2)
	if len(got) != 2 || got[0].Res != -2 || got[1].Res != 0 {
		t.Fatalf("hardlink CQEs %v, want -ENOENT, 0", got)
	}
}

func TestOverflowNoDrop(t *testing.T) {
	tr := newTestRing(t, 2, Params{}) // CQ of 4
	for i := range 6 {
		tr.queue(SQE{Opcode: OpNop, UserData: uint64(i)})
		tr.Submit(tr.t, 1)
	}
	if tr.SQFlags()&SQCQOverflow == 0 {
		t.Fatal("IORING_SQ_CQ_OVERFLOW not set")
	}
	got := tr.reap()
	if !tr.flushOverflow() {
		t.Fatal("backlog not flushed")
	}
	got = append(got, tr.reap()...)
	if len(got) != 6 {
		t.Fatalf("%d CQEs, want 6", len(got))
	}
	for i, c := range got {
		if c.UserData != uint64(i) {
			t.Fatalf("CQE %d has user data %d: order lost", i, c.UserData)
		}
	}
	if tr.SQFlags()&SQCQOverflow != 0 {
		t.Fatal("IORING_SQ_CQ_OVERFLOW still set")
	}
}

func TestDrainWaitsForEarlierRequests(t *testing.T) {
	tr := newTestRing(t, 8, Params{})
	// A 50 ms timeout, then a drained NOP and a NOP after it: both wait
	// for the timeout.
	binary.LittleEndian.PutUint64(tr.t.mem[0x108:], 50e6)
	tr.queue(SQE{Opcode: OpTimeout, Addr: fakeBase + 0x100, Len: 1, UserData: 1},
		SQE{Opcode: OpNop, Flags: SQEIODrain, UserData: 2}, SQE{Opcode: OpNop, UserData: 3})
	tr.Submit(tr.t, 3)
	if got := tr.reap(); len(got) != 0 {
		t.Fatalf("drained request ran early: %v", got)
	}
	got := tr.wait(t, 3)
	if len(got) != 3 || got[0].UserData != 1 || got[0].Res != -62 || got[1].UserData != 2 || got[2].UserData != 3 {
		t.Fatalf("CQEs %v, want timeout -ETIME, then the drained NOP, then the last", got)
	}
}

func BenchmarkNop(b *testing.B) {
	tr := newTestRing(b, 64, Params{})
	for i := 0; i < b.N; i += 32 {
		for j := 0; j < 32; j++ {
			tr.queue(SQE{Opcode: OpNop})
		}
		tr.Submit(tr.t, 32)
		tr.reap()
	}
}
