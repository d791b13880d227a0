package uring

import (
	"encoding/binary"
	"math"
	"testing"
)

// putTimespec writes a struct __kernel_timespec at fakeBase+off of the
// test task's memory and returns its address.
func (tr *testRing) putTimespec(off int, sec, nsec int64) uint64 {
	binary.LittleEndian.PutUint64(tr.t.mem[off:], uint64(sec))
	binary.LittleEndian.PutUint64(tr.t.mem[off+8:], uint64(nsec))
	return uint64(fakeBase + off)
}

func TestFailedSQEInChainSubmissionGoesOn(t *testing.T) {
	tr := newTestRing(t, 8, Params{})
	// The bad opcode links on: the chain is assembled and failed, and
	// the submission takes the SQE after it (io_submit_fail_init).
	tr.queue(SQE{Opcode: OpNop, Flags: SQEIOLink, UserData: 1}, SQE{Opcode: 200, Flags: SQEIOLink, UserData: 2},
		SQE{Opcode: OpNop, UserData: 3}, SQE{Opcode: OpNop, UserData: 4})
	if n, err := tr.Submit(tr.t, 4); n != 4 || err != nil {
		t.Fatalf("submitted %d (%v), want 4", n, err)
	}
	res := map[uint64]int32{}
	for _, c := range tr.wait(t, 4) {
		res[c.UserData] = c.Res
	}
	if res[1] != -125 || res[2] != -22 || res[3] != -125 || res[4] != 0 {
		t.Fatalf("results %v, want 1: -ECANCELED, 2: -EINVAL, 3: -ECANCELED, 4: 0", res)
	}
}

func TestRequestsAfterADrainWaitForIt(t *testing.T) {
	tr := newTestRing(t, 8, Params{})
	for round := range 20 {
		ud := uint64(round * 2)
		tr.queue(SQE{Opcode: OpNop, Flags: SQEIODrain, UserData: ud}, SQE{Opcode: OpNop, UserData: ud + 1})
		tr.Submit(tr.t, 2)
		got := tr.wait(t, 2)
		if len(got) != 2 || got[0].UserData != ud || got[1].UserData != ud+1 {
			t.Fatalf("CQEs %v, want the drained NOP %d first", got, ud)
		}
	}
}

func TestTimespecNs(t *testing.T) {
	for _, c := range []struct{ sec, nsec, want int64 }{
		{1, 5, 1e9 + 5},
		{0, 1e9, 1e9},
		{0, 3e9, 3e9},
		{-1, 0, -1e9},
		{math.MaxInt64, 0, math.MaxInt64},
		{maxSec - 1, math.MaxInt64, math.MaxInt64},
		{math.MinInt64, 0, math.MinInt64},
	} {
		if got := TimespecNs(c.sec, c.nsec); got != c.want {
			t.Errorf("TimespecNs(%d, %d) = %d, want %d", c.sec, c.nsec, got, c.want)
		}
	}
}

func TestTimeoutUpdate(t *testing.T) {
	tr := newTestRing(t, 8, Params{})
	ten := tr.putTimespec(0x100, 10, 0)
	short := tr.putTimespec(0x120, 0, 20e6)
	// A timeout counting one completion, updated, counts no more.
	tr.queue(SQE{Opcode: OpTimeout, Addr: ten, Len: 1, Off: 1, UserData: 1},
		SQE{Opcode: OpTimeoutRemove, Addr: 1, Off: ten, OpFlags: TimeoutUpdate, UserData: 2},
		SQE{Opcode: OpNop, UserData: 3})
	tr.Submit(tr.t, 3)
	got := tr.wait(t, 2)
	if len(got) != 2 || got[0] != (CQE{UserData: 2}) || got[1] != (CQE{UserData: 3}) {
		t.Fatalf("CQEs %v, want the update's and the NOP's only", got)
	}
	// An update names no clock.
	tr.queue(SQE{Opcode: OpTimeoutRemove, Addr: 1, Off: short, OpFlags: TimeoutUpdate | TimeoutRealtime, UserData: 4})
	tr.Submit(tr.t, 1)
	if got := tr.wait(t, 1); got[0].Res != -22 {
		t.Fatalf("update with a clock: %v, want -EINVAL", got)
	}
	// LINK_TIMEOUT_UPDATE without TIMEOUT_UPDATE removes.
	tr.queue(SQE{Opcode: OpTimeoutRemove, Addr: 1, Off: short, OpFlags: TimeoutLinkUpdate, UserData: 5})
	tr.Submit(tr.t, 1)
	got = tr.wait(t, 2)
	if len(got) != 2 || got[0] != (CQE{UserData: 5}) || got[1] != (CQE{UserData: 1, Res: -125}) {
		t.Fatalf("CQEs %v, want the remove's 0, then the timeout's -ECANCELED", got)
	}
	// A tv_nsec of a second or more is no error.
	long := tr.putTimespec(0x140, 0, 1e9+20e6)
	tr.queue(SQE{Opcode: OpTimeout, Addr: long, Len: 1, UserData: 6})
	tr.Submit(tr.t, 1)
	if got := tr.wait(t, 1); got[0] != (CQE{UserData: 6, Res: -62}) {
		t.Fatalf("CQEs %v, want -ETIME", got)
	}
}

func TestMultishotTimeout(t *testing.T) {
	tr := newTestRing(t, 8, Params{})
	period := tr.putTimespec(0x100, 0, 5e6)
	tr.queue(SQE{Opcode: OpTimeout, Addr: period, Len: 1, Off: 3, OpFlags: TimeoutMultishot, UserData: 1})
	tr.Submit(tr.t, 1)
	var got []CQE
	for len(got) < 3 {
		got = append(got, tr.wait(t, 1)...)
	}
	more := CQE{UserData: 1, Res: -62, Flags: CQEFMore}
	if len(got) != 3 || got[0] != more || got[1] != more || got[2] != (CQE{UserData: 1, Res: -62}) {
		t.Fatalf("CQEs %v, want two with IORING_CQE_F_MORE, then a last without", got)
	}
	tr.queue(SQE{Opcode: OpTimeout, Addr: period, Len: 1, OpFlags: TimeoutMultishot | TimeoutAbs, UserData: 2})
	tr.Submit(tr.t, 1)
	if got := tr.wait(t, 1); got[0].Res != -22 {
		t.Fatalf("multishot and absolute: %v, want -EINVAL", got)
	}
}

func TestSkipSuccessFailureCancelsSilently(t *testing.T) {
	tr := newTestRing(t, 8, Params{})
	// The head's failure posts; the chain it cancels does not.
	tr.queue(SQE{Opcode: OpNop, Flags: SQEIOLink | SQECQESkipSuccess, UserData: 1},
		SQE{Opcode: 200, Flags: SQEIOLink, UserData: 2}, SQE{Opcode: OpNop, UserData: 3},
		SQE{Opcode: OpNop, UserData: 4})
	tr.Submit(tr.t, 4)
	got := tr.wait(t, 2)
	if len(got) != 2 || got[0] != (CQE{UserData: 1, Res: -125}) || got[1] != (CQE{UserData: 4}) {
		t.Fatalf("CQEs %v, want the head's -ECANCELED and the last NOP's 0 only", got)
	}
	// Another's failure: a cancelled request with the flag posts.
	tr.queue(SQE{Opcode: OpTimeoutRemove, Flags: SQEIOLink, Addr: 99, UserData: 5},
		SQE{Opcode: OpNop, Flags: SQECQESkipSuccess, UserData: 6})
	tr.Submit(tr.t, 2)
	got = tr.wait(t, 2)
	if len(got) != 2 || got[0] != (CQE{UserData: 5, Res: -2}) || got[1] != (CQE{UserData: 6, Res: -125}) {
		t.Fatalf("CQEs %v, want -ENOENT, then -ECANCELED", got)
	}
}
