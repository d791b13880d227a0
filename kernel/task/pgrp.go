package task

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/signals"
)

// Process groups, sessions and controlling terminals (kernel/sys.c's
// setpgid and setsid, drivers/tty/tty_jobctrl.c): the shell's job
// control.

// SetPGID implements setpgid(2): pid 0 is the caller, pgid 0 makes pid a
// group leader. The target must be the caller or a child of it that has
// not exec'd, in the caller's session and not a session leader; the
// group must exist in that session unless it is the target's own ID.
func (t *Task) SetPGID(pid, pgid int32) error {
	if pgid < 0 {
		return linuxerr.EINVAL
	}
	me := t.Proc
	procMu.Lock()
	defer procMu.Unlock()
	if pid == 0 {
		pid = me.PID
	}
	if pgid == 0 {
		pgid = pid
	}
	p := procs[pid]
	if p == nil || p.state != procAlive {
		return linuxerr.ESRCH
	}
	if p != me {
		if p.parent != me {
			return linuxerr.ESRCH
		}
		if p.sid != me.sid {
			return linuxerr.EPERM
		}
		if p.didExec {
			return linuxerr.EACCES
		}
	}
	if p.sid == p.PID {
		return linuxerr.EPERM // a session leader keeps its group
	}
	if pgid != p.PID {
		found := false
		for _, q := range procs {
			if q.pgid == pgid && q.sid == me.sid { // zombies count until reaped
				found = true
				break
			}
		}
		if !found {
			return linuxerr.EPERM
		}
	}
	if p.pgid != pgid {
		p.leaveGroupsLocked()
		p.pgid = pgid
		p.joinGroupsLocked()
	}
	return nil
}

// GetPGID implements getpgid(2) (pid 0: the caller).
func (t *Task) GetPGID(pid int32) (int32, error) {
	return t.groupID(pid, func(p *Process) int32 { return p.pgid })
}

// GetSID implements getsid(2) (pid 0: the caller).
func (t *Task) GetSID(pid int32) (int32, error) {
	return t.groupID(pid, func(p *Process) int32 { return p.sid })
}

// groupID reads one of process pid's group IDs under procMu.
func (t *Task) groupID(pid int32, id func(*Process) int32) (int32, error) {
	procMu.Lock()
	defer procMu.Unlock()
	p := t.Proc
	if pid != 0 {
		if p = procs[pid]; p == nil {
			return 0, linuxerr.ESRCH
		}
	}
	return id(p), nil
}

// SetSID implements setsid(2): a new session and process group led by
// the caller, without a controlling terminal. EPERM if a process group
// with the caller's ID exists (it is a group leader).
func (t *Task) SetSID() (int32, error) {
	p := t.Proc
	procMu.Lock()
	defer procMu.Unlock()
	if pgrps[p.PID] > 0 {
		return 0, linuxerr.EPERM
	}
	p.leaveGroupsLocked()
	p.pgid, p.sid = p.PID, p.PID
	p.joinGroupsLocked()
	p.tty = nil
	return p.PID, nil
}

// The job-control requests of a terminal (include/uapi/asm-generic/ioctls.h).
const (
	tiocsctty = 0x540e
	tiocgpgrp = 0x540f
	tiocspgrp = 0x5410
	tiocnotty = 0x5422
	tiocgsid  = 0x5429
)

// TTYIoctl serves a terminal's job-control requests, which need the
// caller's session: ok is false for other requests. TIOCSCTTY makes the
// terminal the controlling terminal of the caller's session (the caller
// must lead a session without one; a terminal another session holds may
// be stolen by root with arg 1); TIOCGPGRP and TIOCSPGRP get and set the
// foreground group of the caller's controlling terminal (ENOTTY for any
// other terminal; the group must be in the caller's session); TIOCNOTTY
// gives the terminal up (a session leader's foreground group gets SIGHUP
// and SIGCONT); TIOCGSID reports the session.
func (t *Task) TTYIoctl(tty *fs.TTY, cmd uint32, arg uintptr) (ok bool, ret uintptr, err error) {
	switch cmd {
	case tiocsctty, tiocgpgrp, tiocspgrp, tiocnotty, tiocgsid:
	default:
		return false, 0, nil
	}
	p := t.Proc
	procMu.Lock()
	mine := p.tty == tty
	sid := p.sid
	procMu.Unlock()
	switch cmd {
	case tiocsctty:
		return true, 0, t.acquireTTY(tty, arg == 1)
	case tiocgpgrp, tiocgsid:
		if !mine {
			return true, 0, linuxerr.ENOTTY
		}
		v := tty.Foreground()
		if cmd == tiocgsid {
			v = tty.Session()
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(v))
		return true, 0, t.CopyOut(arg, b[:])
	case tiocspgrp:
		// tiocspgrp: job control first (a background caller that
		// neither ignores nor blocks SIGTTOU is stopped; an orphaned
		// one is refused with ENOTTY), then the argument.
		if err := t.TTYCheckChange(tty, signals.SIGTTOU); err != nil {
			if linuxerr.Equals(linuxerr.EIO, err) {
				err = linuxerr.ENOTTY
			}
			return true, 0, err
		}
		var b [4]byte
		if err := t.CopyIn(arg, b[:]); err != nil {
			return true, 0, err
		}
		if !mine || tty.Session() != sid {
			return true, 0, linuxerr.ENOTTY
		}
		pg := int32(binary.LittleEndian.Uint32(b[:]))
		if pg < 0 {
			return true, 0, linuxerr.EINVAL
		}
		procMu.Lock()
		exists := false
		inSession := false
		for _, q := range procs {
			if q.pgid == pg { // zombies count until reaped
				exists = true
				inSession = inSession || q.sid == sid
			}
		}
		procMu.Unlock()
		if !exists {
			return true, 0, linuxerr.ESRCH
		}
		if !inSession {
			return true, 0, linuxerr.EPERM
		}
		tty.SetForeground(pg)
		return true, 0, nil
	case tiocnotty:
		if !mine {
			return true, 0, linuxerr.ENOTTY
		}
		procMu.Lock()
		if p.sid == p.PID {
			p.disassociateTTYLocked()
		} else {
			p.tty = nil
		}
		procMu.Unlock()
		return true, 0, nil
	}
	return false, 0, nil
}

// acquireTTY makes tty the caller's session's controlling terminal
// (tiocsctty): the caller must be a session leader without one, and tty
// must not control another session unless steal (root's arg 1).
func (t *Task) acquireTTY(tty *fs.TTY, steal bool) error {
	p := t.Proc
	procMu.Lock()
	defer procMu.Unlock()
	if p.sid == p.PID && p.tty == tty {
		return nil
	}
	if p.sid != p.PID || p.tty != nil {
		return linuxerr.EPERM
	}
	if s := tty.Session(); s != 0 {
		if !steal || p.Creds().EUID != 0 {
			return linuxerr.EPERM
		}
		for _, q := range procs {
			if q.sid == s {
				q.tty = nil
			}
		}
	}
	p.setTTYLocked(tty)
	return nil
}

// setTTYLocked gives the caller's session the terminal, its group in the
// foreground.
func (p *Process) setTTYLocked(tty *fs.TTY) {
	tty.SetSession(p.sid, p.pgid)
	for _, q := range procs {
		if q.sid == p.sid {
			q.tty = tty
		}
	}
}

// OpenedTTY is called when the task opens a terminal without O_NOCTTY: a
// session leader without a controlling terminal acquires a free one
// (tty_open_proc_set_tty).
func (t *Task) OpenedTTY(tty *fs.TTY) {
	p := t.Proc
	procMu.Lock()
	defer procMu.Unlock()
	if p.sid == p.PID && p.tty == nil && tty.Session() == 0 {
		p.setTTYLocked(tty)
	}
}

// TTYCheckChange implements fs.JobControl (__tty_check_change,
// drivers/tty/tty_jobctrl.c). If tty is the caller's controlling
// terminal and the caller's process group is not its foreground group,
// the caller may not read from it (sig SIGTTIN) or change it (SIGTTOU):
// sig goes to the caller's whole process group, from the kernel, and
// the call fails with ERESTARTSYS, so that it is made again once the
// group is continued (in the foreground, or it stops again). If the
// calling thread blocks or ignores sig, a read fails with EIO and a
// change is allowed; a group that is orphaned, which no shell would
// continue, gets EIO.
func (t *Task) TTYCheckChange(tty *fs.TTY, sig int) error {
	p := t.Proc
	procMu.Lock()
	mine, pgid := p.tty == tty, p.pgid
	procMu.Unlock()
	if !mine {
		return nil
	}
	if fg := tty.Foreground(); fg == 0 || fg == pgid {
		return nil
	}
	p.mu.Lock()
	ignored := t.sigMask&signals.Bit(sig) != 0 || p.sighand.action(sig).Handler == signals.SIG_IGN
	p.mu.Unlock()
	switch {
	case ignored:
		if sig == signals.SIGTTIN {
			return linuxerr.EIO
		}
		return nil
	case p.pgrpOrphaned():
		return linuxerr.EIO
	}
	SignalGroup(pgid, sig) // kill_pgrp(pgrp, sig, 1): SI_KERNEL
	return linuxerr.ERESTARTSYS
}
