package task

import (
	"errors"

	"oyako/kernel"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/signals"
)

// SetupRoot builds the root file system from the initramfs (which may be
// nil) and the console. The files' contents are copied into the ramfs, so
// the archive's memory goes back to the frame allocator afterwards, as
// Linux frees the initrd once unpacked.
func SetupRoot(initramfs []byte) error {
	fs.RandomSource = kernel.RandomBytes
	fs.ClockNow = func(clk int32) int64 { ns, _ := ktime.Clock(clk); return ns }
	fs.MemStats = func() (total, used uint64) {
		t, u, _ := mm.FrameStats()
		return t, u
	}
	// ^C, ^\ and ^Z signal the console's foreground group.
	kernel.Console.Signal = func(pgrp int32, sig int) {
		if pgrp > 0 {
			SignalGroup(pgrp, sig)
		}
	}
	r, err := fs.NewRoot(initramfs, kernel.Console, Procs)
	if err != nil {
		return err
	}
	r.CwdIn = cwdIn
	Root = r
	if initramfs != nil && kernel.Boot.NModules > 0 {
		m := kernel.Boot.Modules[0]
		mm.AddFreeRange(m.Base, m.End)
	}
	return nil
}

// StartInit starts the program at path as process 1: a session leader
// with the console as its controlling terminal, running as root. Its
// standard input, output and error are stdio's files, or the console
// where they are nil; StartInit takes the files' references.
func StartInit(path string, argv, envp []string, strace bool, stdio [3]*fs.File) (*Process, error) {
	p := newProcess(1)
	p.setFiles(newSharedFiles(fs.NewFDTable()))
	p.fsctx = &fsContext{cwd: Root.Top(), umask: 0o022}
	p.sighand = &sigHand{}
	p.creds = rootCreds()
	t, err := newTask(p, 1)
	if err != nil {
		return nil, err
	}
	t.Strace = strace
	// Linux's init inherits init_task's alternate stack: none, with
	// flags 0 (a thread's sas_ss_reset gives SS_DISABLE); signal frames
	// show the flags as they are (__save_altstack).
	t.altStack = signals.AltStack{}
	for fd := 0; fd < 3; fd++ {
		f := stdio[fd]
		if f == nil {
			var err error
			if f, err = Root.Open(t, Root.Top(), "/dev/console", fs.O_RDWR|fs.O_LARGEFILE, 0, 0); err != nil {
				return nil, err
			}
		}
		if _, err := p.files.t.Install(f, int32(fd), false); err != nil {
			return nil, err
		}
	}
	p.tty = kernel.Console
	kernel.Console.SetSession(1, 1)
	p.tasks[1] = t
	procMu.Lock()
	procs[1] = p
	addTaskLocked(t)
	initProc = p
	nextPID, lastPID = 2, 1
	totalForks.Add(1)
	p.joinGroupsLocked()
	procMu.Unlock()
	f, err := OpenExec(t, Root.Top(), path, true)
	if err == nil {
		err = t.Exec(ExecArgs{File: f, Filename: path, Argv: argv, Envp: envp})
	}
	if err != nil {
		procMu.Lock()
		delete(procs, 1)
		removeTaskLocked(t)
		p.leaveGroupsLocked()
		initProc = nil
		procMu.Unlock()
		p.files.put()
		mm.FreeFrame(t.fpuPA)
		return nil, err
	}
	startLoadavg()
	go t.run()
	return p, nil
}

// ExecStatus maps a failure to start a program to a shell's exit status:
// 127 when it does not exist, 126 when it cannot be run.
func ExecStatus(err error) int {
	if errors.Is(err, linuxerr.ENOENT) {
		return 127
	}
	return 126
}

// ShellStatus turns a wait status into a shell's exit status: the exit
// code, or 128 plus the signal that killed the process.
func ShellStatus(ws int) int {
	if sig := ws & 0x7f; sig != 0 {
		return 128 + sig
	}
	return ws >> 8 & 0xff
}

// cwdIn reports whether a live process works in a directory of mount m
// (what makes a mount busy besides open files).
func cwdIn(m *fs.Mount) bool {
	procMu.Lock()
	defer procMu.Unlock()
	for _, p := range procs {
		if p.state == procAlive && p.Cwd().Mnt == m {
			return true
		}
	}
	return false
}
