package task

import (
	"oyako/amd64"
)

// What a debugger needs, kept where gdb can read it without calling into
// the kernel (the helpers in qemu/gdb/oyako.py walk these the way Linux's
// scripts/gdb walks init_task.tasks):
//
//   - allTasks is a list of every live task, linked through debugNext and
//     debugPrev, newest first. The tasks map serves the kernel; a Go map's
//     layout is the runtime's business, a linked list is easy to follow
//     from Python.
//   - Task.g is the g of the task's goroutine, so that a debugger stopped
//     in Go code (R14 holds g there) can name the task it serves.
//   - Task.SyscallText is the system call in progress decoded as -strace
//     prints it, kept when the kernel was booted for a debugger (the
//     command line's "gdb") so that the helpers do not decode system calls
//     a second time.

// allTasks heads the list of live tasks, under procMu.
var allTasks *Task

// DebugSyscalls makes the syscall layer keep each task's call in
// progress as text (Task.SyscallText). Set from the command line.
var DebugSyscalls bool

// addTaskLocked enters t in the task table. The caller holds procMu.
func addTaskLocked(t *Task) {
	tasks[t.TID] = t
	if t.debugPrev != nil || allTasks == t {
		return // already listed (execve moving a thread to the leader's ID)
	}
	t.debugNext = allTasks
	if allTasks != nil {
		allTasks.debugPrev = t
	}
	allTasks = t
}

// removeTaskLocked takes t out of the task table. The caller holds procMu.
func removeTaskLocked(t *Task) {
	delete(tasks, t.TID)
	if t.debugPrev != nil {
		t.debugPrev.debugNext = t.debugNext
	} else if allTasks == t {
		allTasks = t.debugNext
	} else {
		return // not listed
	}
	if t.debugNext != nil {
		t.debugNext.debugPrev = t.debugPrev
	}
	t.debugNext, t.debugPrev = nil, nil
}

// recordG notes the goroutine the task runs on; run calls it first.
func (t *Task) recordG() { t.g = amd64.CurrentG() }
