package selfcheck

import (
	"fmt"
	"io"
	"syscall"
	"time"
	"unsafe"
)

// checkSyscalls calls the runtime's system calls directly with the
// arguments Linux rejects and with the edge cases of eventfd and epoll, and
// checks the results Linux gives. In the kernel these go to the runtime
// services; on the host, to Linux, which keeps the expectations honest.
func checkSyscalls(w io.Writer, _ Config, _ *Result) error {
	var buf [64]byte
	p := uintptr(unsafe.Pointer(&buf[0]))
	type call struct {
		name string
		nr   uintptr
		args [6]uintptr
		want syscall.Errno
	}
	calls := []call{
		{"number past the table", 500, [6]uintptr{}, syscall.ENOSYS},
		{"number above the table", 1000, [6]uintptr{}, syscall.ENOSYS},
		{"clock_gettime bad clock", syscall.SYS_CLOCK_GETTIME, [6]uintptr{999, p}, syscall.EINVAL},
		{"getrandom bad flags", 318, [6]uintptr{p, 16, 0xff}, syscall.EINVAL},
		{"futex misaligned", syscall.SYS_FUTEX, [6]uintptr{p + 1, 1 | 128, 1}, syscall.EINVAL},
		{"mmap zero length", syscall.SYS_MMAP, [6]uintptr{0, 0, 3, 0x22, ^uintptr(0), 0}, syscall.EINVAL},
		{"epoll_ctl bad epfd", syscall.SYS_EPOLL_CTL, [6]uintptr{^uintptr(0), 1, 0, p}, syscall.EBADF},
		{"eventfd2 bad flags", syscall.SYS_EVENTFD2, [6]uintptr{0, 0x2}, syscall.EINVAL},
		{"sched_getaffinity short mask", syscall.SYS_SCHED_GETAFFINITY, [6]uintptr{0, 3, p}, syscall.EINVAL},
		{"rt_sigaction SIGKILL", syscall.SYS_RT_SIGACTION, [6]uintptr{9, p, 0, 8}, syscall.EINVAL},
		{"rt_sigaction bad sigsetsize", syscall.SYS_RT_SIGACTION, [6]uintptr{10, 0, p, 4}, syscall.EINVAL},
		{"rt_sigprocmask bad how", syscall.SYS_RT_SIGPROCMASK, [6]uintptr{99, p, 0, 8}, syscall.EINVAL},
		{"close bad fd", syscall.SYS_CLOSE, [6]uintptr{1 << 20}, syscall.EBADF},
		{"epoll_create1 bad flags", syscall.SYS_EPOLL_CREATE1, [6]uintptr{1}, syscall.EINVAL},
	}
	for _, c := range calls {
		_, _, e := syscall.RawSyscall6(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.args[5])
		if e != c.want {
			return fmt.Errorf("%s: got %v (%d), want %v", c.name, e, int(e), c.want)
		}
	}

	// nanosleep with tv_nsec out of range.
	ts := [2]int64{0, 1e9}
	if _, _, e := syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0); e != syscall.EINVAL {
		return fmt.Errorf("nanosleep bad tv_nsec: %v", e)
	}

	if err := checkEventfd(); err != nil {
		return err
	}
	if err := checkEpoll(); err != nil {
		return err
	}
	fmt.Fprintf(w, "self-check: %d system call error cases, eventfd and epoll behave as on Linux\n", len(calls)+1)
	return nil
}

func sys(nr, a0, a1, a2 uintptr) (uintptr, syscall.Errno) {
	r, _, e := syscall.RawSyscall(nr, a0, a1, a2)
	return r, e
}

func efdRead(fd uintptr) (uint64, syscall.Errno) {
	var v uint64
	_, e := sys(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&v)), 8)
	return v, e
}

func efdWrite(fd uintptr, v uint64) syscall.Errno {
	_, e := sys(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&v)), 8)
	return e
}

const (
	efdNonblock  = 0x800
	efdSemaphore = 1
)

func checkEventfd() error {
	fd, e := sys(syscall.SYS_EVENTFD2, 0, efdNonblock, 0)
	if e != 0 {
		return fmt.Errorf("eventfd2: %v", e)
	}
	defer sys(syscall.SYS_CLOSE, fd, 0, 0)
	if _, e := efdRead(fd); e != syscall.EAGAIN {
		return fmt.Errorf("read of an empty eventfd: %v, want EAGAIN", e)
	}
	if e := efdWrite(fd, 3); e != 0 {
		return fmt.Errorf("eventfd write: %v", e)
	}
	if e := efdWrite(fd, 4); e != 0 {
		return fmt.Errorf("eventfd write: %v", e)
	}
	if v, e := efdRead(fd); v != 7 || e != 0 {
		return fmt.Errorf("eventfd read: %d %v, want 7", v, e)
	}
	if e := efdWrite(fd, ^uint64(0)); e != syscall.EINVAL {
		return fmt.Errorf("eventfd write of 2^64-1: %v, want EINVAL", e)
	}
	var small [4]byte
	if _, e := sys(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&small)), 4); e != syscall.EINVAL {
		return fmt.Errorf("eventfd short read: %v, want EINVAL", e)
	}

	sem, e := sys(syscall.SYS_EVENTFD2, 2, efdNonblock|efdSemaphore, 0)
	if e != 0 {
		return fmt.Errorf("eventfd2 semaphore: %v", e)
	}
	defer sys(syscall.SYS_CLOSE, sem, 0, 0)
	for i := 0; i < 2; i++ {
		if v, e := efdRead(sem); v != 1 || e != 0 {
			return fmt.Errorf("semaphore read %d: %d %v, want 1", i, v, e)
		}
	}
	if _, e := efdRead(sem); e != syscall.EAGAIN {
		return fmt.Errorf("drained semaphore read: %v, want EAGAIN", e)
	}
	return nil
}

const (
	epollIn   = 0x1
	epollOut  = 0x4
	epollET   = 1 << 31
	ctlAdd    = 1
	ctlDel    = 2
	ctlMod    = 3
	epollSize = 12 // struct epoll_event is packed on x86-64
)

type epollEvent [epollSize]byte

func (e *epollEvent) set(events uint32, data uint64) {
	for i := 0; i < 4; i++ {
		e[i] = byte(events >> (8 * i))
	}
	for i := 0; i < 8; i++ {
		e[4+i] = byte(data >> (8 * i))
	}
}

func (e *epollEvent) get() (uint32, uint64) {
	var ev uint32
	var d uint64
	for i := 0; i < 4; i++ {
		ev |= uint32(e[i]) << (8 * i)
	}
	for i := 0; i < 8; i++ {
		d |= uint64(e[4+i]) << (8 * i)
	}
	return ev, d
}

func epollWait(ep uintptr, out []epollEvent, timeout int) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, ep, uintptr(unsafe.Pointer(&out[0])), uintptr(len(out)), uintptr(timeout), 0, 8)
	return int(n), e
}

func checkEpoll() error {
	ep, e := sys(syscall.SYS_EPOLL_CREATE1, 0x80000, 0, 0)
	if e != 0 {
		return fmt.Errorf("epoll_create1: %v", e)
	}
	defer sys(syscall.SYS_CLOSE, ep, 0, 0)
	fd, e := sys(syscall.SYS_EVENTFD2, 0, efdNonblock, 0)
	if e != 0 {
		return fmt.Errorf("eventfd2: %v", e)
	}
	defer sys(syscall.SYS_CLOSE, fd, 0, 0)

	var ev epollEvent
	ev.set(epollIn|epollET, 0x1122334455667788)
	if _, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, ep, ctlAdd, fd, uintptr(unsafe.Pointer(&ev)), 0, 0); e != 0 {
		return fmt.Errorf("epoll_ctl add: %v", e)
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, ep, ctlAdd, fd, uintptr(unsafe.Pointer(&ev)), 0, 0); e != syscall.EEXIST {
		return fmt.Errorf("second epoll_ctl add: %v, want EEXIST", e)
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, ep, ctlAdd, ep, uintptr(unsafe.Pointer(&ev)), 0, 0); e != syscall.EINVAL {
		return fmt.Errorf("epoll_ctl adding itself: %v, want EINVAL", e)
	}
	out := make([]epollEvent, 4)
	if n, e := epollWait(ep, out, 0); n != 0 || e != 0 {
		return fmt.Errorf("epoll_wait on nothing ready: %d %v", n, e)
	}
	if n, _ := epollWait(ep, out, 0); n != 0 {
		return fmt.Errorf("epoll_wait: %d events before any write", n)
	}
	efdWrite(fd, 1)
	n, e := epollWait(ep, out, 0)
	if n != 1 || e != 0 {
		return fmt.Errorf("epoll_wait after a write: %d %v, want 1 event", n, e)
	}
	if evs, data := out[0].get(); evs&epollIn == 0 || data != 0x1122334455667788 {
		return fmt.Errorf("epoll event %#x data %#x", evs, data)
	}
	// Edge-triggered: no new event until the next write.
	if n, _ := epollWait(ep, out, 0); n != 0 {
		return fmt.Errorf("edge-triggered epoll reported the same edge twice")
	}
	efdWrite(fd, 1)
	if n, _ := epollWait(ep, out, 0); n != 1 {
		return fmt.Errorf("edge-triggered epoll missed the second write")
	}
	// Level-triggered after MOD: reported while readable.
	ev.set(epollIn, 7)
	if _, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, ep, ctlMod, fd, uintptr(unsafe.Pointer(&ev)), 0, 0); e != 0 {
		return fmt.Errorf("epoll_ctl mod: %v", e)
	}
	for i := 0; i < 2; i++ {
		if n, _ := epollWait(ep, out, 0); n != 1 {
			return fmt.Errorf("level-triggered epoll: %d events on poll %d, want 1", n, i)
		}
	}
	efdRead(fd)
	if n, _ := epollWait(ep, out, 0); n != 0 {
		return fmt.Errorf("level-triggered epoll after draining: %d events", n)
	}
	if err := checkEpollBlocking(ep, fd); err != nil {
		return err
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, ep, ctlDel, fd, 0, 0, 0); e != 0 {
		return fmt.Errorf("epoll_ctl del: %v", e)
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, ep, ctlDel, fd, 0, 0, 0); e != syscall.ENOENT {
		return fmt.Errorf("second epoll_ctl del: %v, want ENOENT", e)
	}
	return nil
}

// checkEpollBlocking checks the blocking paths the Go runtime's idle loop
// uses: epoll_pwait with a timeout returns 0 after the timeout, and a
// blocked epoll_pwait returns as soon as another thread writes the eventfd.
func checkEpollBlocking(ep, fd uintptr) error {
	out := make([]epollEvent, 4)
	wait := func(timeout time.Duration) (int, time.Duration) {
		start := time.Now()
		for {
			left := timeout - time.Since(start)
			if left < 0 {
				left = 0
			}
			// Syscall, not RawSyscall: the Go scheduler must be able to
			// run the writer while this thread is blocked.
			n, _, e := syscall.Syscall6(syscall.SYS_EPOLL_PWAIT, ep, uintptr(unsafe.Pointer(&out[0])), uintptr(len(out)), uintptr((left+time.Millisecond-1)/time.Millisecond), 0, 8)
			if e == syscall.EINTR {
				continue
			}
			return int(n), time.Since(start)
		}
	}
	if n, d := wait(30 * time.Millisecond); n != 0 || d < 30*time.Millisecond {
		return fmt.Errorf("epoll_pwait with a 30ms timeout: %d events after %v", n, d)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		efdWrite(fd, 1)
	}()
	n, d := wait(5 * time.Second)
	if n != 1 || d >= 5*time.Second {
		return fmt.Errorf("epoll_pwait woken by a write from another thread: %d events after %v", n, d)
	}
	efdRead(fd)
	return nil
}
