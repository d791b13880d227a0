package task

import (
	"sort"

	"oyako/kernel"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
	"oyako/signals"
)

// What /proc shows of processes and threads (fs.ProcessInfo), gathered
// from the process model as Linux's fs/proc/array.c gathers it from
// task_struct, signal_struct, mm_struct and cred.

// consoleTTYNr is the console's device number in /proc/PID/stat's
// tty_nr: the console is the first serial port, ttyS0 (4:64), as
// Linux's is when booted with console=ttyS0.
var consoleTTYNr = int32(fs.Mkdev(4, 64))

// Resource limits /proc reports (include/uapi/asm-generic/resource.h).
const (
	rlimitRSS        = 5
	rlimitSigpending = 11
)

// WorkingDir implements fs.ProcessInfo: the working directory and its
// path; nil once the process has exited (it has no fs_struct left).
func (p *Process) WorkingDir() (fs.Path, string) {
	if p.exited() {
		return fs.Path{}, ""
	}
	d := p.Cwd()
	s, err := Root.PathOf(d)
	if err != nil {
		// A removed directory: d_path's "/path (deleted)" is not kept
		// here, so say it as getcwd would not.
		s = "(unreachable)"
	}
	return d, s
}

// exited reports whether the process is a zombie (or reaped).
func (p *Process) exited() bool {
	procMu.Lock()
	defer procMu.Unlock()
	return p.state != procAlive
}

// TIDs implements fs.ProcessInfo.
func (p *Process) TIDs() []int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []int32
	for id := range p.tasks {
		ids = append(ids, id)
	}
	if _, ok := p.tasks[p.PID]; !ok {
		// The main thread that exited first stays, a zombie, until the
		// whole process is gone.
		ids = append(ids, p.PID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// Limits implements fs.ProcessInfo.
func (p *Process) Limits() [][2]uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][2]uint64(nil), p.rlimits[:]...)
}

// Owner implements fs.ProcessInfo: the effective IDs.
func (p *Process) Owner() (uid, gid uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.creds.EUID, p.creds.EGID
}

// SetComm implements fs.ProcessInfo.
func (p *Process) SetComm(tid int32, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.tasks[tid]
	if t == nil {
		return linuxerr.ESRCH
	}
	t.setCommLocked(name)
	return nil
}

// stateLocked is the task's state letter (task_state_array): T while it
// takes part in a group stop, S or D while it waits in the kernel, else
// R (running in user mode, in a system call, or runnable). The caller
// holds Proc.mu.
func (t *Task) stateLocked() byte {
	if t.stopped {
		return 'T'
	}
	if s := t.sleeping.Load(); s != 0 {
		return byte(s)
	}
	return 'R'
}

// faults returns the page faults of the process's threads, live and
// exited, and of its waited-for children.
func (p *Process) faults() (own, children uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faultsLocked(), p.cminFlt
}

// Task implements fs.ProcessInfo: thread tid, or with whole the process
// (do_task_stat's "whole": times and faults summed over the threads).
// The main thread's ID describes the process even after that thread
// has exited, as a zombie.
func (p *Process) Task(tid int32, whole bool) (fs.TaskInfo, bool) {
	info := fs.TaskInfo{Whole: whole, PID: tid, TGID: p.PID, TTYPgrp: -1, Priority: 20, Umask: -1}
	procMu.Lock()
	if p.state == procDead {
		procMu.Unlock()
		return info, false
	}
	zombie := p.state == procZombie
	if p.parent != nil {
		info.PPID = p.parent.PID
	}
	info.PGID, info.SID = p.pgid, p.sid
	if p.tty != nil {
		if p.tty == kernel.Console {
			info.TTYNr = consoleTTYNr
		}
		info.TTYPgrp = p.tty.Foreground()
	}
	if !p.didExec {
		info.Flags |= fs.PF_FORKNOEXEC
	}
	if zombie {
		// What do_exit leaves set on a dead task.
		info.ExitCode = int32(p.exitCode)
		info.Flags |= fs.PF_EXITING | fs.PF_POSTCOREDUMP | fs.PF_NOFREEZE
		if p.exitCode&0x7f != 0 {
			info.Flags |= fs.PF_SIGNALED
		}
	}
	info.ExitSignal = int32(p.exitSignal)
	procMu.Unlock()

	if !zombie {
		info.Umask = int32(p.Umask(0, false))
		info.FDSize = p.FDs().Size()
	}
	if as := p.AS(); as != nil {
		u := as.Usage()
		info.Mem = &u
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.tasks[tid]
	if t == nil && tid != p.PID {
		return info, false
	}
	if t != nil {
		info.Nice = t.Nice()
	}
	info.Priority = 20 + info.Nice
	c := p.creds
	info.UID = [4]uint32{c.RUID, c.EUID, c.SUID, c.FSUID}
	info.GID = [4]uint32{c.RGID, c.EGID, c.SGID, c.FSGID}
	info.Groups = append([]uint32(nil), c.Groups...)
	info.CapInh, info.CapPrm, info.CapEff = c.CapInh, c.CapPrm, c.CapEff
	info.CapBnd = capFullSet // no PR_CAPBSET_DROP: the bounding set is full

	info.Threads = len(p.tasks)
	if _, ok := p.tasks[p.PID]; !ok {
		info.Threads++ // the zombie main thread
	}
	info.StartTime = p.startTime
	info.CUtime, info.CStime, info.CMinFlt = p.cutime, p.cstime, p.cminFlt
	info.RSSLimit = p.rlimits[rlimitRSS][0]
	info.SigQLimit = p.rlimits[rlimitSigpending][0]
	info.ArgStart, info.ArgEnd, info.EnvStart, info.EnvEnd = p.argStart, p.argEnd, p.envStart, p.envEnd
	info.SigShared = p.sig.shared.Set
	info.SigQ = uint64(sigPending.Load(p.creds.RUID)) // the user's, as Linux shows
	h := p.sighand
	h.mu.Lock()
	for i, a := range h.actions {
		switch a.Handler {
		case signals.SIG_IGN:
			info.SigIgnored |= signals.Bit(i + 1)
		case signals.SIG_DFL:
		default:
			info.SigCaught |= signals.Bit(i + 1)
		}
	}
	h.mu.Unlock()

	if t == nil {
		// The main thread has exited: it is a zombie with its name
		// and its final times (folded into the process's).
		info.Comm = commString(p.name)
		info.State = 'Z'
		if whole {
			info.Utime, info.Stime = p.timesLocked()
			info.MinFlt = p.faultsLocked()
		}
		return info, true
	}
	info.Comm = commString(t.comm)
	info.State = t.stateLocked()
	if info.State == 'T' {
		info.ExitCode = int32(p.sig.stopSig) // the stop signal, while stopped
	}
	info.SigPending = t.pending.Set
	info.SigBlocked = t.sigMask
	info.VoluntarySwitches = t.nvcsw.Load()
	if whole {
		info.Utime, info.Stime = p.timesLocked()
		info.MinFlt = p.faultsLocked()
	} else {
		info.Utime, info.Stime = t.CPUNanos(), t.SysNanos()
		info.MinFlt = t.minFlt.Load()
		info.StartTime = t.start
	}
	return info, true
}

// faultsLocked counts the page faults of the process's threads, live
// and exited, with p.mu held.
func (p *Process) faultsLocked() uint64 {
	n := p.minFlt
	for _, t := range p.tasks {
		n += t.minFlt.Load()
	}
	return n
}

// ThreadGroup implements fs.ProcSource.
func (procTable) ThreadGroup(tid int32) (int32, bool) {
	procMu.Lock()
	defer procMu.Unlock()
	if t := tasks[tid]; t != nil {
		return t.Proc.PID, true
	}
	return 0, false
}

// memoryTotals sums what the address spaces of the live processes use
// (each shared address space once): anonymous and mapped file pages,
// page tables, and the committed private writable memory. Pages shared
// copy-on-write after a fork count once per process.
func memoryTotals() (anon, mapped, pageTables, committed uint64) {
	procMu.Lock()
	var spaces []*mm.AddressSpace
	for _, p := range procs {
		if as := p.AS(); as != nil {
			spaces = append(spaces, as)
		}
	}
	procMu.Unlock()
	seen := map[*mm.AddressSpace]bool{}
	for _, as := range spaces {
		if seen[as] {
			continue
		}
		seen[as] = true
		u := as.Usage()
		anon += u.Anon * mm.PageSize
		mapped += (u.File + u.Shmem) * mm.PageSize
		pageTables += u.PageTableBytes
		committed += (u.DataVM + u.StackVM) * mm.PageSize
	}
	return anon, mapped, pageTables, committed
}
