package task

import (
	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Nice values (getpriority(2), setpriority(2), kernel/sys.c): each thread
// has one, from -20 (favoured) to 19, which clone copies and execve
// keeps. They are reported (getpriority, /proc/PID/stat) but oyako's
// scheduler does not weigh them.

// Which of setpriority(2).
const (
	PrioProcess = 0 // a thread, by ID
	PrioPgrp    = 1 // the threads of a process group
	PrioUser    = 2 // the threads of a user's processes
)

const (
	minNice = -20
	maxNice = 19
)

// Nice returns t's nice value.
func (t *Task) Nice() int32 { return t.nice.Load() }

// priorityTargets returns the threads which and who select, as
// getpriority and setpriority walk them: who 0 means the caller's own
// thread, process group or effective user ID; a user's threads are those
// of processes whose real user ID it is.
func (t *Task) priorityTargets(which int, who int32) ([]*Task, error) {
	if which < PrioProcess || which > PrioUser {
		return nil, linuxerr.EINVAL
	}
	var targets []*Task
	if which == PrioProcess {
		if who == 0 {
			return []*Task{t}, nil
		}
		if o := TaskByTID(who); o != nil {
			targets = append(targets, o)
		}
		return targets, nil
	}
	euid := t.Proc.Creds().EUID
	procMu.Lock()
	defer procMu.Unlock()
	pgid, uid := who, uint32(who)
	if who == 0 {
		pgid, uid = t.Proc.pgid, euid
	}
	for _, p := range procs {
		p.mu.Lock()
		if which == PrioPgrp && p.pgid == pgid || which == PrioUser && p.creds.RUID == uid {
			for _, o := range p.tasks {
				targets = append(targets, o)
			}
		}
		p.mu.Unlock()
	}
	return targets, nil
}

// GetPriority implements getpriority(2): the highest priority among the
// selected threads as the system call returns it, 20 - nice (1 to 40;
// glibc turns it back into a nice value), or ESRCH if none.
func (t *Task) GetPriority(which int, who int32) (int32, error) {
	targets, err := t.priorityTargets(which, who)
	if err != nil {
		return 0, err
	}
	if len(targets) == 0 {
		return 0, linuxerr.ESRCH
	}
	best := int32(0)
	for _, o := range targets {
		best = max(best, 20-o.Nice())
	}
	return best, nil
}

// SetPriority implements setpriority(2): nice, clamped to -20..19, for
// each selected thread (set_one_prio). A thread of another user is EPERM
// without CAP_SYS_NICE; lowering a nice value beyond what RLIMIT_NICE
// allows is EACCES without it. The result is ESRCH if no thread was
// selected, else the last error met (once one is met it stays), else 0.
func (t *Task) SetPriority(which int, who int32, nice int32) error {
	targets, err := t.priorityTargets(which, who)
	if err != nil {
		return err
	}
	nice = min(max(nice, minNice), maxNice)
	c := t.Proc.Creds()
	capNice := t.Capable(linux.CAP_SYS_NICE)
	err = linuxerr.ESRCH
	for _, o := range targets {
		oc := o.Proc.Creds()
		switch {
		case oc.RUID != c.EUID && oc.EUID != c.EUID && !capNice:
			err = linuxerr.EPERM
		case nice < o.Nice() && uint64(20-nice) > t.Proc.Rlimit(rlimitNice)[0] && !capNice:
			err = linuxerr.EACCES
		default:
			if err == linuxerr.ESRCH {
				err = nil
			}
			o.nice.Store(nice)
		}
	}
	return err
}
