package syscalls

import (
	"encoding/binary"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/epoll"
	"oyako/kernel"
	"oyako/signals"
)

// poll(2) and ppoll(2) (fs/select.c). select(2) and pselect6(2) are not
// implemented yet.

// pollfdSize is sizeof(struct pollfd): int fd, short events, short revents.
const pollfdSize = 8

// readPollFDs copies poll's array in and looks its descriptors up
// (do_sys_poll: more entries than RLIMIT_NOFILE is EINVAL). The caller
// drops the files' references with putPollFDs.
func readPollFDs(t *kernel.Task, addr uintptr, nfds uint32) ([]epoll.PollFD, error) {
	if uint64(nfds) > t.Proc.Rlimit(rlimitNofile)[0] {
		return nil, linuxerr.EINVAL
	}
	b := make([]byte, pollfdSize*int(nfds))
	if err := t.CopyIn(addr, b); err != nil {
		return nil, err
	}
	fds := make([]epoll.PollFD, nfds)
	le := binary.LittleEndian
	for i := range fds {
		fd := &fds[i]
		fd.FD, fd.Events = int32(le.Uint32(b[pollfdSize*i:])), le.Uint16(b[pollfdSize*i+4:])
		if fd.FD >= 0 {
			if f, err := getFile(t, uintptr(fd.FD)); err == nil {
				fd.File = f
			}
		}
	}
	return fds, nil
}

func putPollFDs(fds []epoll.PollFD) {
	for _, fd := range fds {
		if fd.File != nil {
			fd.File.DecRef()
		}
	}
}

// doPoll polls the array at addr and writes back each entry's revents.
func doPoll(t *kernel.Task, addr uintptr, nfds uint32, deadline time.Time, noWait bool) (int, error) {
	fds, err := readPollFDs(t, addr, nfds)
	if err != nil {
		return 0, err
	}
	defer putPollFDs(fds)
	n, err := epoll.Poll(t, fds, deadline, noWait)
	if err != nil {
		return 0, err
	}
	for i, fd := range fds {
		var b [2]byte
		binary.LittleEndian.PutUint16(b[:], fd.Revents)
		if err := t.CopyOut(addr+uintptr(pollfdSize*i+6), b[:]); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// sysPoll implements poll(2): a negative timeout waits for ever, 0 does
// not wait. A signal's handler makes it fail with EINTR, whatever
// SA_RESTART says; without one (a stop and continue) restart_syscall
// polls again until the same deadline (do_restart_poll).
func sysPoll(t *kernel.Task, a *Args) (uintptr, error) {
	timeout := int32(a[2])
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	return pollRestartable(t, a[0], uint32(a[1]), deadline, timeout == 0)
}

func pollRestartable(t *kernel.Task, addr uintptr, nfds uint32, deadline time.Time, noWait bool) (uintptr, error) {
	n, err := doPoll(t, addr, nfds, deadline, noWait)
	if linuxerr.Equals(linuxerr.EINTR, err) {
		t.SetRestart(func() (uintptr, error) { return pollRestartable(t, addr, nfds, deadline, noWait) })
		return 0, linuxerr.ERESTART_RESTARTBLOCK
	}
	return uintptr(n), err
}

// sysPpoll implements ppoll(2): the timeout is a timespec (NULL: none),
// and the signal mask, if given, replaces the caller's while it waits; a
// signal that interrupts it runs its handler with that mask still in
// place (the old one comes back after the handler), and the call fails
// with EINTR, or restarts if no handler ran. The time left is written
// back to the timespec (poll_select_copy_remaining).
func sysPpoll(t *kernel.Task, a *Args) (uintptr, error) {
	var deadline time.Time
	noWait := false
	if a[2] != 0 {
		sec, nsec, err := readTimespec(t, a[2])
		if err != nil {
			return 0, err
		}
		noWait = sec == 0 && nsec == 0
		deadline = time.Now().Add(time.Duration(sec)*time.Second + time.Duration(nsec))
	}
	masked := a[3] != 0
	if masked {
		if a[4] != sigsetSize {
			return 0, linuxerr.EINVAL
		}
		mask, err := copyInU64(t, a[3])
		if err != nil {
			return 0, err
		}
		t.SetSavedMask(mask &^ signals.Unblockable)
	}
	if a[2] == 0 || noWait {
		deadline = time.Time{}
	}
	n, err := doPoll(t, a[0], uint32(a[1]), deadline, noWait)
	if linuxerr.Equals(linuxerr.EINTR, err) {
		err = linuxerr.ERESTARTNOHAND // the saved mask stays for the handler
	} else if masked {
		t.RestoreSavedMask()
	}
	if a[2] != 0 && !noWait {
		left := max(time.Until(deadline), 0)
		if t.CopyOut(a[2], timespecBytes(int64(left))) != nil && linuxerr.Equals(linuxerr.ERESTARTNOHAND, err) {
			err = linuxerr.EINTR // the time left could not be stored: no restart
		}
	}
	return uintptr(n), err
}
