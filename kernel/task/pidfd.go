package task

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/signals"
)

// A pidfd is a descriptor that refers to a process (pidfd_open(2),
// CLONE_PIDFD): waitid(P_PIDFD) waits for it, and it is readable once the
// process has exited.

// pidfd is the file operations of a pidfd.
type pidfd struct {
	p *Process
	q fs.Queue
}

// pidfdInode is the anonymous inode pidfds share (anon_inode:[pidfd]).
var pidfdInode = fs.NewAnonInode()

func (d *pidfd) Read(fs.Ctx, *fs.File, []byte, int64) (int, error) { return 0, linuxerr.EINVAL }
func (d *pidfd) Write(fs.Ctx, *fs.File, []byte, int64) (int, error) {
	return 0, linuxerr.EINVAL
}
func (d *pidfd) IsStream() bool { return true }

// Readiness implements fs.Pollable (pidfd_poll): readable once the
// process has exited, and hung up too once it has been reaped.
func (d *pidfd) Readiness(_ *fs.File, mask uint32) uint32 {
	select {
	case <-d.p.done:
	default:
		return 0
	}
	r := uint32(fs.EventIn | fs.EventRdNorm)
	procMu.Lock()
	if d.p.state == procDead {
		r |= fs.EventHup
	}
	procMu.Unlock()
	return r & mask
}

// EventQueue implements fs.Pollable.
func (d *pidfd) EventQueue() *fs.Queue { return &d.q }

// newPidfd opens a pidfd for p.
func newPidfd(p *Process, flags uint32) *fs.File {
	d := &pidfd{p: p}
	go func() {
		<-p.done
		d.q.Notify(fs.EventIn)
	}()
	return fs.NewFile(pidfdInode, "anon_inode:[pidfd]", fs.O_RDWR|flags&fs.O_NONBLOCK, d)
}

// PidfdProcess returns the process a pidfd refers to.
func PidfdProcess(f *fs.File) (*Process, bool) {
	d, ok := f.Ops().(*pidfd)
	if !ok {
		return nil, false
	}
	return d.p, true
}

// PidfdOpen implements pidfd_open(2): a descriptor (close-on-exec) for
// the live process pid.
func (t *Task) PidfdOpen(pid int32, flags uint32) (int32, error) {
	if flags&^fs.O_NONBLOCK != 0 {
		return 0, linuxerr.EINVAL
	}
	if pid <= 0 {
		return 0, linuxerr.EINVAL
	}
	p := ProcessByPID(pid)
	if p == nil || p.state == procDead {
		return 0, linuxerr.ESRCH
	}
	f := newPidfd(p, flags)
	fd, err := t.Proc.FDs().Install(f, 0, true)
	if err != nil {
		f.DecRef()
	}
	return fd, err
}

// installPidfd gives the caller of clone(CLONE_PIDFD) a pidfd for the
// child, stored at addr.
func (t *Task) installPidfd(child *Process, addr uintptr) error {
	f := newPidfd(child, 0)
	fd, err := t.Proc.FDs().Install(f, 0, true)
	if err != nil {
		f.DecRef()
		return err
	}
	b := []byte{byte(fd), byte(fd >> 8), byte(fd >> 16), byte(fd >> 24)}
	if err := t.CopyOut(addr, b); err != nil {
		t.Proc.FDs().Close(fd)
		return err
	}
	return nil
}

// PidfdSendSignal implements pidfd_send_signal(2) with no siginfo.
func (t *Task) PidfdSendSignal(f *fs.File, sig int, flags uint32) error {
	p, ok := PidfdProcess(f)
	if !ok {
		return linuxerr.EBADF
	}
	if flags != 0 || sig < 0 || sig > signals.SIGRTMAX {
		return linuxerr.EINVAL
	}
	select {
	case <-p.done:
		return linuxerr.ESRCH
	default:
	}
	if sig != 0 {
		p.send(signals.KillInfo(sig, signals.SI_USER, t.Proc.PID, t.Proc.Creds().RUID), nil, false)
	}
	return nil
}
