// Package sysno names the Linux x86-64 system calls by number. It is
// generated from syscalls/syscall_64.tbl and has no dependencies, so that
// every part of the kernel (runtime services included) can use it.
package sysno

// Name returns the name of system call nr, or "" if there is none.
func Name(nr uint64) string {
	if nr < NR {
		return names[nr]
	}
	return ""
}
