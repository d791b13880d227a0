package fs

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/ktime"
)

// timerfd: a timer whose expirations are read from a file (fs/timerfd.c,
// timerfd_create(2)). The file is readable while expirations are
// counted; a read returns their number as a u64 and sets it back to 0.
// A periodic timer, like Linux's, is not re-armed when it expires but
// when its count is read (or timer_gettime'd): the periods missed
// meanwhile are added to the count (hrtimer_forward).
//
// Limits: TFD_TIMER_CANCEL_ON_SET is accepted, but the realtime clock is
// never set in oyako, so a read never fails with ECANCELED; an absolute
// CLOCK_REALTIME expiry is converted to the monotonic clock when armed.
// TFD_IOC_SET_TICKS is not implemented (ENOTTY).

// timerfd flags (include/uapi/linux/timerfd.h).
const (
	TFD_TIMER_ABSTIME       = 1
	TFD_TIMER_CANCEL_ON_SET = 2
	TFD_CLOEXEC             = O_CLOEXEC
	TFD_NONBLOCK            = O_NONBLOCK
)

// ClockNow reads a system-wide clock in ns (the kernel sets it to
// ktime.Clock); the default serves the host tests.
var ClockNow = func(clk int32) int64 {
	if clk == ktime.ClockRealtime || clk == ktime.ClockRealtimeAlarm {
		return time.Now().UnixNano()
	}
	return int64(time.Since(hostBoot))
}

var hostBoot = time.Now()

// TimerSpec is a timer's setting (struct itimerspec) in ns: Value 0 is
// disarmed.
type TimerSpec struct{ Value, Interval int64 }

type timerFD struct {
	streamOps
	mu       sync.Mutex
	clock    int32
	flags    int   // the settime flags, for fdinfo
	expires  int64 // on the clock, ns; 0 when disarmed
	interval int64
	ticks    uint64 // expirations not read yet
	expired  bool   // it expired and was not re-armed yet
	timer    *time.Timer
	gen      uint64 // which arming timer belongs to
	q        Queue
	attr     Attr
}

// NewTimerFD implements timerfd_create(2): EINVAL for a clock timerfd
// does not run on or for flags other than TFD_NONBLOCK and TFD_CLOEXEC.
// (The alarm clocks need CAP_WAKE_ALARM, which the caller checks.)
func NewTimerFD(clock int32, flags uint32) (*File, error) {
	if flags&^(TFD_NONBLOCK|TFD_CLOEXEC) != 0 {
		return nil, linuxerr.EINVAL
	}
	switch clock {
	case ktime.ClockRealtime, ktime.ClockMonotonic, ktime.ClockBoottime, ktime.ClockRealtimeAlarm, ktime.ClockBoottimeAlarm:
	default:
		return nil, linuxerr.EINVAL
	}
	now := Now()
	t := &timerFD{clock: clock,
		attr: Attr{Dev: 10, Ino: NewIno(), Mode: 0o600, Nlink: 1, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}}
	return NewFile(t, "anon_inode:[timerfd]", O_RDWR|flags&O_NONBLOCK, t), nil
}

func timerFDOf(f *File) (*timerFD, error) {
	if t, ok := f.Ops().(*timerFD); ok {
		return t, nil
	}
	return nil, linuxerr.EINVAL
}

func (t *timerFD) Attr() Attr { return t.attr }

// forwardLocked re-arms a periodic timer that expired (timerfd_read's and
// do_timerfd_gettime's hrtimer_forward_now): the periods missed since its
// expiry join the count.
func (t *timerFD) forwardLocked() {
	if !t.expired || t.interval == 0 {
		return
	}
	now := ClockNow(t.clock)
	var n int64
	t.expires, n = ktime.Forward(t.expires, t.interval, now)
	t.ticks += uint64(n - 1)
	t.expired = false
	t.armLocked(now)
}

func (t *timerFD) armLocked(now int64) {
	t.gen++
	gen := t.gen
	t.timer = time.AfterFunc(time.Duration(t.expires-now), func() { t.fire(gen) })
}

// fire is timerfd_tmrproc: one more expiration, and readers woken.
func (t *timerFD) fire(gen uint64) {
	t.mu.Lock()
	if gen != t.gen || t.expires == 0 {
		t.mu.Unlock()
		return
	}
	t.ticks++
	t.expired = true
	if t.interval == 0 {
		t.expires = 0
	}
	t.mu.Unlock()
	t.q.Notify(EventIn)
}

// getLocked is do_timerfd_gettime: a periodic timer that expired is
// re-armed first.
func (t *timerFD) getLocked() TimerSpec {
	t.forwardLocked()
	return t.settingLocked()
}

// settingLocked is the time left and the interval, 0 left once expired
// (timerfd_get_remaining). A periodic timer whose expiry has passed
// before its timer goroutine ran (a busy machine) has the time left to
// its next period, as Linux's, whose hrtimer fires on time, would show.
func (t *timerFD) settingLocked() TimerSpec {
	s := TimerSpec{Interval: t.interval}
	if t.expires != 0 {
		left := t.expires - ClockNow(t.clock)
		if left <= 0 && t.interval > 0 {
			left = t.interval - -left%t.interval
		}
		s.Value = max(left, 0)
	}
	return s
}

// TimerFDGet implements timerfd_gettime(2) on f.
func TimerFDGet(f *File) (TimerSpec, error) {
	t, err := timerFDOf(f)
	if err != nil {
		return TimerSpec{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.getLocked(), nil
}

// TimerFDSet implements timerfd_settime(2) on f: the old setting, then
// the count cleared and the timer armed with s (absolute with
// TFD_TIMER_ABSTIME), or disarmed if s.Value is 0. The caller has
// checked flags and s.
func TimerFDSet(f *File, flags int, s TimerSpec) (TimerSpec, error) {
	t, err := timerFDOf(f)
	if err != nil {
		return TimerSpec{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.getLocked()
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	t.gen++
	t.expired, t.ticks = false, 0
	t.flags = flags
	t.interval = s.Interval
	t.expires = 0
	if s.Value != 0 {
		now := ClockNow(t.clock)
		t.expires = s.Value
		if flags&TFD_TIMER_ABSTIME == 0 {
			t.expires += now
		}
		t.armLocked(now)
	}
	return old, nil
}

// CheckTimerFDFlags is do_timerfd_settime's check of its flags.
func CheckTimerFDFlags(flags uint64) error {
	if flags&^(TFD_TIMER_ABSTIME|TFD_TIMER_CANCEL_ON_SET) != 0 {
		return linuxerr.EINVAL
	}
	return nil
}

func (t *timerFD) Read(c Ctx, f *File, p []byte, _ int64) (int, error) {
	if len(p) < 8 {
		return 0, linuxerr.EINVAL
	}
	var n uint64
	take := func() bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.ticks == 0 {
			return false
		}
		t.forwardLocked()
		n = t.ticks
		t.ticks, t.expired = 0, false
		return true
	}
	if err := retryBlocking(c, f, &t.q, EventIn, take, t.expiredSince); err != nil {
		return 0, err
	}
	binary.LittleEndian.PutUint64(p, n)
	return 8, nil
}

// expiredSince reports whether expirations wait to be read.
func (t *timerFD) expiredSince() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ticks > 0
}

func (t *timerFD) Write(Ctx, *File, []byte, int64) (int, error) { return 0, linuxerr.EINVAL }

func (t *timerFD) Readiness(_ *File, mask uint32) uint32 {
	if t.expiredSince() {
		return EventIn & mask
	}
	return 0
}

func (t *timerFD) EventQueue() *Queue { return &t.q }

// Release stops the timer when the last reference goes.
func (t *timerFD) Release(*File) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	t.gen++
}

// FDInfo implements FDInfoer (timerfd_show).
func (t *timerFD) FDInfo(*File) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.settingLocked()
	return fmt.Sprintf("clockid: %d\nticks: %d\nsettime flags: 0%o\nit_value: (%d, %d)\nit_interval: (%d, %d)\n",
		t.clock, t.ticks, t.flags, s.Value/1e9, s.Value%1e9, s.Interval/1e9, s.Interval%1e9)
}
