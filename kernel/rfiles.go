package kernel

import (
	"unsafe"

	"gvisor.dev/gvisor/pkg/abi/linux/errno"

	"oyako/amd64"
	"oyako/kernel/klog"
	"oyako/kernel/ktime"
	"oyako/kernel/sched"
	"oyako/kernel/spin"
)

// The kernel runtime's files. The Go runtime opens few: the console on
// fds 0-2 (os.Stdin/Stdout/Stderr), and for its network poller an epoll
// instance and an eventfd (netpollBreak). These are that much and no more:
// a fixed table, served without allocation. User programs get the real VFS
// (fs/) in later stages.

type rfileKind uint8

const (
	rfNone rfileKind = iota
	rfConsole
	rfEventfd
	rfEpoll
)

const (
	maxRuntimeFDs = 64
	maxEventfds   = 16
	maxEpolls     = 8
	maxEpollItems = 64
)

type rfile struct {
	kind     rfileKind
	cloexec  bool
	nonblock bool
	obj      int // index into eventfds or epolls
}

type eventfd struct {
	refs      int
	count     uint64
	semaphore bool
}

type epollItem struct {
	fd      int32
	events  uint32 // requested events and flags (EPOLLET, EPOLLONESHOT)
	data    uint64
	pending uint32 // edge-triggered: readiness that arrived since last report
}

type epollInstance struct {
	refs  int
	items [maxEpollItems]epollItem
	n     int
}

var (
	rlock    spin.Lock
	rfds     [maxRuntimeFDs]rfile
	eventfds [maxEventfds]eventfd
	epolls   [maxEpolls]epollInstance
)

// Wait objects (sched.Thread.WaitObj) for runtime files.
const (
	waitEpollBase   = 0x1000
	waitEventfdBase = 0x2000
)

// epoll event bits (include/uapi/linux/eventpoll.h).
const (
	epollIN      = 0x001
	epollOUT     = 0x004
	epollERR     = 0x008
	epollHUP     = 0x010
	epollRDHUP   = 0x2000
	epollONESHOT = 1 << 30
	epollET      = 1 << 31

	epollCtlAdd = 1
	epollCtlDel = 2
	epollCtlMod = 3

	oNONBLOCK  = 0x800
	oCLOEXEC   = 0x80000
	oRDWR      = 0x2
	oLARGEFILE = 0x8000

	efdSEMAPHORE = 1
	eventfdMax   = 0xfffffffffffffffe
)

func initRuntimeFiles() {
	for fd := 0; fd < 3; fd++ {
		rfds[fd] = rfile{kind: rfConsole}
	}
}

func getFD(fd uint64) (*rfile, errno.Errno) {
	if fd >= maxRuntimeFDs || rfds[fd].kind == rfNone {
		return nil, errno.EBADF
	}
	return &rfds[fd], 0
}

func allocFD(f rfile) (uint64, errno.Errno) {
	for i := range rfds {
		if rfds[i].kind == rfNone {
			rfds[i] = f
			return uint64(i), 0
		}
	}
	return 0, errno.EMFILE
}

// readiness returns the events file f is ready for.
func readiness(f *rfile) uint32 {
	switch f.kind {
	case rfConsole:
		return epollOUT
	case rfEventfd:
		e := &eventfds[f.obj]
		var r uint32
		if e.count > 0 {
			r |= epollIN
		}
		if e.count < eventfdMax {
			r |= epollOUT
		}
		return r
	case rfEpoll:
		ep := &epolls[f.obj]
		for i := 0; i < ep.n; i++ {
			if epollItemReady(&ep.items[i]) != 0 {
				return epollIN
			}
		}
	}
	return 0
}

func epollItemReady(it *epollItem) uint32 {
	f, err := getFD(uint64(it.fd))
	if err != 0 {
		return 0
	}
	r := readiness(f) & (it.events | epollERR | epollHUP)
	if it.events&epollET != 0 {
		r &= it.pending
	}
	return r
}

// notifyEventfd is called when eventfd obj's state changed: edge-triggered
// registrations get the new readiness and pollers and readers are woken.
func notifyEventfd(obj int) {
	for e := range epolls {
		ep := &epolls[e]
		if ep.refs == 0 {
			continue
		}
		hit := false
		for i := 0; i < ep.n; i++ {
			it := &ep.items[i]
			if f, err := getFD(uint64(it.fd)); err == 0 && f.kind == rfEventfd && f.obj == obj {
				it.pending |= readiness(f)
				hit = true
			}
		}
		if hit {
			sched.WakeObj(waitEpollBase + uintptr(e))
		}
	}
	sched.WakeObj(waitEventfdBase + uintptr(obj))
}

// WakePollers makes every thread waiting in the runtime's epoll_pwait
// return (with no events), so that the Go scheduler looks again: the
// "halt until an interrupt" part of the runtime's idle path.
func WakePollers() {
	sched.WakeObjRange(waitEpollBase, waitEpollBase+maxEpolls)
}

func svcClose(fd uint64) errno.Errno {
	f, err := getFD(fd)
	if err != 0 {
		return err
	}
	switch f.kind {
	case rfEventfd:
		eventfds[f.obj].refs--
	case rfEpoll:
		epolls[f.obj].refs--
	}
	*f = rfile{}
	// Drop registrations of this fd from every epoll instance.
	for e := range epolls {
		ep := &epolls[e]
		for i := 0; i < ep.n; {
			if ep.items[i].fd == int32(fd) {
				ep.items[i] = ep.items[ep.n-1]
				ep.n--
				continue
			}
			i++
		}
	}
	return 0
}

func svcRead(fd uint64, buf uintptr, n uint64) (uint64, errno.Errno) {
	f, err := getFD(fd)
	if err != 0 {
		return 0, err
	}
	switch f.kind {
	case rfConsole:
		return 0, 0 // no console input is routed to the kernel itself
	case rfEventfd:
		if n < 8 {
			return 0, errno.EINVAL
		}
		e := &eventfds[f.obj]
		for e.count == 0 {
			if f.nonblock {
				return 0, errno.EAGAIN
			}
			sched.Current().WaitObj = waitEventfdBase + uintptr(f.obj)
			sched.Block(0)
			sched.Current().WaitObj = 0
		}
		v := e.count
		if e.semaphore {
			v = 1
		}
		e.count -= v
		*(*uint64)(amd64.Ptr(buf)) = v
		notifyEventfd(f.obj)
		return 8, 0
	}
	return 0, errno.EINVAL
}

func svcWrite(fd uint64, buf uintptr, n uint64) (uint64, errno.Errno) {
	f, err := getFD(fd)
	if err != 0 {
		return 0, err
	}
	switch f.kind {
	case rfConsole:
		klog.Console(unsafe.Slice((*byte)(amd64.Ptr(buf)), n))
		return n, 0
	case rfEventfd:
		if n < 8 {
			return 0, errno.EINVAL
		}
		v := *(*uint64)(amd64.Ptr(buf))
		if v == ^uint64(0) {
			return 0, errno.EINVAL
		}
		e := &eventfds[f.obj]
		for eventfdMax-e.count < v {
			if f.nonblock {
				return 0, errno.EAGAIN
			}
			sched.Current().WaitObj = waitEventfdBase + uintptr(f.obj)
			sched.Block(0)
			sched.Current().WaitObj = 0
		}
		e.count += v
		notifyEventfd(f.obj)
		return 8, 0
	}
	return 0, errno.EINVAL
}

func svcEventfd2(initval, flags uint64) (uint64, errno.Errno) {
	if flags&^(oCLOEXEC|oNONBLOCK|efdSEMAPHORE) != 0 {
		return 0, errno.EINVAL
	}
	for i := range eventfds {
		if eventfds[i].refs == 0 {
			fd, err := allocFD(rfile{kind: rfEventfd, obj: i, cloexec: flags&oCLOEXEC != 0, nonblock: flags&oNONBLOCK != 0})
			if err != 0 {
				return 0, err
			}
			eventfds[i] = eventfd{refs: 1, count: uint64(uint32(initval)), semaphore: flags&efdSEMAPHORE != 0}
			return fd, 0
		}
	}
	return 0, errno.ENFILE
}

func svcEpollCreate1(flags uint64) (uint64, errno.Errno) {
	if flags&^oCLOEXEC != 0 {
		return 0, errno.EINVAL
	}
	for i := range epolls {
		if epolls[i].refs == 0 {
			fd, err := allocFD(rfile{kind: rfEpoll, obj: i, cloexec: flags&oCLOEXEC != 0})
			if err != 0 {
				return 0, err
			}
			epolls[i] = epollInstance{refs: 1}
			return fd, 0
		}
	}
	return 0, errno.ENFILE
}

func svcEpollCtl(epfd, op, fd uint64, event uintptr) (uint64, errno.Errno) {
	ef, err := getFD(epfd)
	if err != 0 {
		return 0, err
	}
	tf, err := getFD(fd)
	if err != 0 {
		return 0, err
	}
	if ef.kind != rfEpoll || epfd == fd {
		return 0, errno.EINVAL
	}
	ep := &epolls[ef.obj]
	var idx = -1
	for i := 0; i < ep.n; i++ {
		if ep.items[i].fd == int32(fd) {
			idx = i
		}
	}
	var events uint32
	var data uint64
	if op != epollCtlDel {
		// struct epoll_event is packed on x86-64: u32 events, u64 data.
		events = *(*uint32)(amd64.Ptr(event))
		data = *(*uint64)(amd64.Ptr(event + 4))
	}
	switch op {
	case epollCtlAdd:
		if idx >= 0 {
			return 0, errno.EEXIST
		}
		if ep.n == maxEpollItems {
			return 0, errno.ENOSPC
		}
		ep.items[ep.n] = epollItem{fd: int32(fd), events: events | epollERR | epollHUP, data: data, pending: readiness(tf)}
		ep.n++
	case epollCtlMod:
		if idx < 0 {
			return 0, errno.ENOENT
		}
		ep.items[idx].events = events | epollERR | epollHUP
		ep.items[idx].data = data
		ep.items[idx].pending = readiness(tf)
	case epollCtlDel:
		if idx < 0 {
			return 0, errno.ENOENT
		}
		ep.items[idx] = ep.items[ep.n-1]
		ep.n--
	default:
		return 0, errno.EINVAL
	}
	return 0, 0
}

// svcEpollWait implements epoll_wait/epoll_pwait for the kernel runtime:
// the runtime's idle path. With nothing ready it blocks until an eventfd
// it watches is written, an interrupt wakes pollers, or timeout ms pass.
func svcEpollWait(epfd uint64, events uintptr, maxevents int64, timeout int64) (uint64, errno.Errno) {
	ef, err := getFD(epfd)
	if err != 0 {
		return 0, err
	}
	if ef.kind != rfEpoll || maxevents <= 0 {
		return 0, errno.EINVAL
	}
	ep := &epolls[ef.obj]
	var deadline int64
	if timeout > 0 {
		deadline = ktime.Now() + timeout*1e6
	}
	for {
		n := 0
		for i := 0; i < ep.n && int64(n) < maxevents; i++ {
			it := &ep.items[i]
			r := epollItemReady(it)
			if r == 0 {
				continue
			}
			out := events + uintptr(n)*12
			*(*uint32)(amd64.Ptr(out)) = r
			*(*uint64)(amd64.Ptr(out + 4)) = it.data
			it.pending &^= r
			if it.events&epollONESHOT != 0 {
				it.events &= epollET | epollONESHOT
			}
			n++
		}
		if n > 0 || timeout == 0 {
			return uint64(n), 0
		}
		cur := sched.Current()
		cur.WaitObj = waitEpollBase + uintptr(ef.obj)
		reason := sched.Block(deadline)
		cur.WaitObj = 0
		if reason == sched.TimedOut {
			return 0, 0
		}
		if timeout > 0 && ktime.Now() >= deadline {
			return 0, 0
		}
		// Woken by an interrupt with nothing ready: report no events so
		// that the Go scheduler re-examines its state.
		if !anyReady(ep) {
			return 0, 0
		}
	}
}

func anyReady(ep *epollInstance) bool {
	for i := 0; i < ep.n; i++ {
		if epollItemReady(&ep.items[i]) != 0 {
			return true
		}
	}
	return false
}

func svcFcntl(fd, cmd, arg uint64) (uint64, errno.Errno) {
	f, err := getFD(fd)
	if err != 0 {
		return 0, err
	}
	const (
		fDUPFD        = 0
		fGETFD        = 1
		fSETFD        = 2
		fGETFL        = 3
		fSETFL        = 4
		fDUPFDCLOEXEC = 1030
		fdCLOEXEC     = 1
	)
	switch cmd {
	case fGETFD:
		if f.cloexec {
			return fdCLOEXEC, 0
		}
		return 0, 0
	case fSETFD:
		f.cloexec = arg&fdCLOEXEC != 0
		return 0, 0
	case fGETFL:
		fl := uint64(oRDWR | oLARGEFILE)
		if f.nonblock {
			fl |= oNONBLOCK
		}
		return fl, 0
	case fSETFL:
		f.nonblock = arg&oNONBLOCK != 0
		return 0, 0
	case fDUPFD, fDUPFDCLOEXEC:
		for i := arg; i < maxRuntimeFDs; i++ {
			if rfds[i].kind == rfNone {
				rfds[i] = *f
				rfds[i].cloexec = cmd == fDUPFDCLOEXEC
				switch f.kind {
				case rfEventfd:
					eventfds[f.obj].refs++
				case rfEpoll:
					epolls[f.obj].refs++
				}
				return i, 0
			}
		}
		return 0, errno.EMFILE
	}
	return 0, errno.EINVAL
}
