package fs

import (
	"encoding/binary"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/ktime"
)

// TestTimerFD runs a periodic timerfd on a fake clock: the expirations
// missed before a read are counted in it, and the timer is re-armed one
// interval past the read.
func TestTimerFD(t *testing.T) {
	now := int64(1000)
	saved := ClockNow
	ClockNow = func(int32) int64 { return now }
	defer func() { ClockNow = saved }()
	f, err := NewTimerFD(ktime.ClockMonotonic, TFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	c := &testCtx{}
	buf := make([]byte, 8)
	if _, err := f.Read(c, buf); !linuxerr.Equals(linuxerr.EAGAIN, err) {
		t.Fatalf("read of an unarmed timerfd: %v, want EAGAIN", err)
	}
	// Armed for a long time on the real clock, so that only fire (below)
	// expires it.
	if _, err := TimerFDSet(f, 0, TimerSpec{Value: int64(time.Hour), Interval: 10}); err != nil {
		t.Fatal(err)
	}
	tf := f.Ops().(*timerFD)
	now = tf.expires + 35 // three periods and a half past the first expiry
	tf.fire(tf.gen)
	if r := tf.Readiness(f, EventIn|EventOut); r != EventIn {
		t.Errorf("readiness %#x after an expiry, want EventIn", r)
	}
	if n, err := f.Read(c, buf); n != 8 || err != nil || binary.LittleEndian.Uint64(buf) != 4 {
		t.Errorf("read = %d, %v, count %d; want 8, nil, 4", n, err, binary.LittleEndian.Uint64(buf))
	}
	if s, _ := TimerFDGet(f); s.Value != 5 || s.Interval != 10 {
		t.Errorf("after the read: %+v, want 5 ns left of 10", s)
	}
	if r := tf.Readiness(f, EventIn); r != 0 {
		t.Errorf("readiness %#x after the read, want none", r)
	}
	// Disarming gives the old setting back and clears the count.
	tf.fire(tf.gen)
	old, _ := TimerFDSet(f, 0, TimerSpec{})
	if old.Interval != 10 {
		t.Errorf("old setting %+v", old)
	}
	if _, err := f.Read(c, buf); !linuxerr.Equals(linuxerr.EAGAIN, err) {
		t.Errorf("read after disarming: %v, want EAGAIN", err)
	}
	if _, err := NewTimerFD(4, 0); !linuxerr.Equals(linuxerr.EINVAL, err) {
		t.Errorf("CLOCK_MONOTONIC_RAW: %v, want EINVAL", err)
	}
}
