package task

import "oyako/kernel/mm"

// AccessUser runs fn on [addr, addr+n) of the task's user memory, page
// by page (mm.AddressSpace.Access): for a system call that writes some
// fields of a user array in place, as poll writes revents.
func (t *Task) AccessUser(addr uintptr, n int, write bool, fn func(b []byte, off int)) error {
	if t.io {
		return t.ioCopy(func(as *mm.AddressSpace) error { return as.Access(addr, n, write, fn) })
	}
	return t.Proc.AS().Access(addr, n, write, fn)
}
