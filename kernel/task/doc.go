// Package task is oyako's model of Linux processes and threads: a Task is
// a user thread (a goroutine that runs its user context with
// kernel.RunUser and handles what brings it back), a Process is a thread
// group with its place in the process tree, process group and session,
// and what clone(2) shares or copies (address space, descriptor table,
// working directory, signal actions, credentials).
//
// It follows Linux's kernel/fork.c (clone.go), fs/exec.c and
// fs/binfmt_script.c (exec.go), kernel/exit.c (exit.go: exit, zombies,
// reparenting, wait), kernel/signal.c and arch/x86/kernel/signal.c
// (signal.go: sending, pending sets, group stop; deliver.go: handlers on
// rt_sigframes, default actions, system call restart), kernel/sys.c
// (creds.go, pgrp.go), kernel/futex (futex.go), kernel/time/itimer.c
// (itimer.go), fs/signalfd.c (signalfd.go; its readiness is its
// creator's, see there), and the process side of /proc (procfs.go,
// sysinfo.go).
// The system call layer (package syscalls) calls into it with Go values;
// memory is mm's, files are fs's, signal frames signals'.
//
// Ordinary Go: it allocates, blocks on channels and takes mutexes (the
// locking order is in process.go). Limits: one PID and mount namespace;
// permission checks are root's whatever the credentials say; no ptrace;
// the robust futex list is recorded but not walked at exit.
package task
