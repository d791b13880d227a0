package syscalls

import (
	"encoding/binary"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/epoll"
	"oyako/fs"
	"oyako/kernel/mm"
	"oyako/kernel/task"
)

// sysEpollCreate1 implements epoll_create1(2).
func sysEpollCreate1(t *task.Task, a *Args) (uintptr, error) {
	if uint32(a[0])&^fs.O_CLOEXEC != 0 {
		return 0, linuxerr.EINVAL
	}
	return installNew(t, epoll.New(0, t.Proc.Creds().RUID), uint32(a[0])&fs.O_CLOEXEC != 0)
}

// sysEpollCreate implements epoll_create(2).
func sysEpollCreate(t *task.Task, a *Args) (uintptr, error) {
	if int32(a[0]) <= 0 {
		return 0, linuxerr.EINVAL
	}
	return installNew(t, epoll.New(0, t.Proc.Creds().RUID), false)
}

// installNew installs f, whose reference the descriptor table takes, at
// the lowest free descriptor; on failure the file is dropped.
func installNew(t *task.Task, f *fs.File, cloexec bool) (uintptr, error) {
	fd, err := t.Proc.FDs().Install(f, 0, cloexec)
	if err != nil {
		f.DecRef()
		return 0, err
	}
	return uintptr(fd), nil
}

// sysEpollCtl implements epoll_ctl(2): the event is read first (every op
// but EPOLL_CTL_DEL, an unknown one included), then the descriptors are
// looked up, then epoll.CtlFile checks the rest, as do_epoll_ctl.
func sysEpollCtl(t *task.Task, a *Args) (uintptr, error) {
	op := int(int32(a[1]))
	var events uint32
	var data uint64
	if op != epoll.CtlDel {
		var b [12]byte // struct epoll_event is packed on x86-64
		if err := t.CopyIn(a[3], b[:]); err != nil {
			return 0, err
		}
		events, data = binary.LittleEndian.Uint32(b[:]), binary.LittleEndian.Uint64(b[4:])
	}
	return 0, epollCtl(t, a[0], op, a[2], events, data)
}

// epollCtl is do_epoll_ctl with the event read.
func epollCtl(t *task.Task, epfd uintptr, op int, fd uintptr, events uint32, data uint64) error {
	epf, f, err := getFiles(t, epfd, fd)
	if err != nil {
		return err
	}
	defer epf.DecRef()
	defer f.DecRef()
	return epoll.CtlFile(epf, op, int32(fd), f, events, data)
}

// epollEventSize is sizeof(struct epoll_event): packed on x86-64.
const epollEventSize = 12

// epollWait is do_epoll_wait: EINVAL for a bad maxevents, EFAULT for an
// array beyond user space (access_ok), EBADF, EINVAL for a descriptor
// that is not an epoll instance, then ep_poll. The events are copied out
// as the instance hands them over, in batches, through a buffer on the
// stack; an event that cannot be copied stays ready, and the call
// returns those copied before it, or EFAULT if there are none
// (ep_send_events).
func epollWait(t *task.Task, epfd, events uintptr, max int32, timeout time.Duration) (uintptr, error) {
	if max <= 0 || max > epoll.MaxEvents {
		return 0, linuxerr.EINVAL
	}
	if events >= mm.UserTop || uintptr(max)*epollEventSize > mm.UserTop-events {
		return 0, linuxerr.EFAULT
	}
	epf, err := getFile(t, epfd)
	if err != nil {
		return 0, err
	}
	ep, ok := epoll.FromFile(epf)
	if !ok {
		epf.DecRef()
		return 0, linuxerr.EINVAL
	}
	var buf epoll.Batch
	at := events
	n, err := ep.WaitPut(t, int(max), timeout, &buf, func(n int) int {
		if copyOutEvents(t, at, buf[:n]) == nil {
			at += uintptr(epollEventSize * n)
			return n
		}
		// Find the first event that cannot be copied: those before
		// it are in place.
		for i := range n {
			if copyOutEvents(t, at, buf[i:i+1]) != nil {
				return i
			}
			at += epollEventSize
		}
		return n
	})
	epf.DecRef()
	return uintptr(n), err
}

// copyOutEvents writes evs, at most a batch, as struct epoll_event to
// addr.
func copyOutEvents(t *task.Task, addr uintptr, evs []epoll.Event) error {
	var b [len(epoll.Batch{}) * epollEventSize]byte
	for i, e := range evs {
		putU32(b[:], epollEventSize*i, e.Events)
		putU64(b[:], epollEventSize*i+4, e.Data)
	}
	return t.CopyOut(addr, b[:epollEventSize*len(evs)])
}

func msTimeout(ms int32) time.Duration {
	if ms < 0 {
		return -1
	}
	return time.Duration(ms) * time.Millisecond
}

// sysEpollWait implements epoll_wait(2).
func sysEpollWait(t *task.Task, a *Args) (uintptr, error) {
	return epollWait(t, a[0], a[1], int32(a[2]), msTimeout(int32(a[3])))
}

// sysEpollPwait implements epoll_pwait(2): epoll_wait with the signal
// mask in place while it waits.
func sysEpollPwait(t *task.Task, a *Args) (uintptr, error) {
	return epollPwait(t, a, msTimeout(int32(a[3])))
}

// epollPwait waits with the mask at a[4] (size a[5]) in place.
func epollPwait(t *task.Task, a *Args, timeout time.Duration) (uintptr, error) {
	masked, err := setCallMask(t, a[4], a[5])
	if err != nil {
		return 0, err
	}
	n, err := epollWait(t, a[0], a[1], int32(a[2]), timeout)
	return n, endCallMaskEINTR(t, masked, err)
}

// sysEpollPwait2 implements epoll_pwait2(2) (a timespec timeout).
func sysEpollPwait2(t *task.Task, a *Args) (uintptr, error) {
	timeout := time.Duration(-1)
	if a[3] != 0 {
		sec, nsec, err := readTimespec(t, a[3])
		if err != nil {
			return 0, err
		}
		timeout = time.Duration(sec*1e9 + nsec)
	}
	return epollPwait(t, a, timeout)
}

// sysEventfd2 implements eventfd2(2).
func sysEventfd2(t *task.Task, a *Args) (uintptr, error) {
	flags := uint32(a[1])
	if flags&^(fs.EFD_SEMAPHORE|fs.EFD_CLOEXEC|fs.EFD_NONBLOCK) != 0 {
		return 0, linuxerr.EINVAL
	}
	return installNew(t, fs.NewEventFD(uint32(a[0]), flags), flags&fs.EFD_CLOEXEC != 0)
}

// sysEventfd implements eventfd(2).
func sysEventfd(t *task.Task, a *Args) (uintptr, error) {
	return installNew(t, fs.NewEventFD(uint32(a[0]), 0), false)
}
