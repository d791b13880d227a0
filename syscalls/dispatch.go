package syscalls

import (
	"errors"
	"sync/atomic"

	gerrors "gvisor.dev/gvisor/pkg/errors"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel"
	"oyako/kernel/klog"
	"oyako/kernel/mm"
	"oyako/kernel/task"
	"oyako/syscalls/sysno"
)

// Args are a system call's six argument registers (RDI, RSI, RDX, R10,
// R8, R9 in the x86-64 syscall ABI).
type Args [6]uintptr

// handler is the one signature of system call handlers (gVisor's
// SyscallFn): the task and its arguments in, the result or an error out.
type handler func(t *task.Task, a *Args) (uintptr, error)

// entry is one slot of sysCallTable (ztable.go, generated).
type entry struct {
	name string
	fn   handler
}

func init() { task.SyscallHandler = Dispatch }

// errNoReturn is returned by handlers after which the task does not go
// back to user mode with a result (exit, exit_group).
var errNoReturn = errors.New("no return")

// Dispatch runs the system call the task just made: the number is in
// orig_rax, the result goes to RAX.
func Dispatch(t *task.Task) {
	r := t.Regs()
	nr := r.OrigRax
	a := (*Args)(&t.SyscallArgs)
	*a = Args{uintptr(r.Rdi), uintptr(r.Rsi), uintptr(r.Rdx), uintptr(r.R10), uintptr(r.R8), uintptr(r.R9)}
	var e *entry
	if nr < sysno.NR {
		e = &sysCallTable[nr]
		kernel.SyscallCounts[nr].Add(1)
	}
	var st *straceCall
	if t.Strace || task.DebugSyscalls {
		st = straceEnter(t, nr, a)
		if task.DebugSyscalls {
			t.SyscallText = st.entryText()
			defer func() { t.SyscallText = "" }()
		}
	}
	// Wait for the kernel's heap to be collected if it is eating the
	// reserve (mm.Throttle) before allocating more for the program.
	mm.Throttle()
	var ret uintptr
	var err error
	if e == nil || e.fn == nil {
		err = linuxerr.ENOSYS
		countENOSYS(nr)
	} else {
		ret, err = e.fn(t, a)
	}
	if err == errNoReturn {
		if st != nil && t.Strace {
			straceNoReturn(t, st)
		}
		return
	}
	if err != nil {
		en := Errno(err)
		recordErrno(nr, en)
		r.Rax = uint64(-int64(en))
	} else {
		r.Rax = uint64(ret)
	}
	if st != nil && t.Strace {
		straceExit(t, st, ret, err)
	}
}

// Errno converts a handler's error to the errno it returns. This is the
// one place where errors become numbers.
func Errno(err error) uint32 {
	if e, ok := err.(*gerrors.Error); ok { // the common case, without reflection
		return uint32(e.Errno())
	}
	var e *gerrors.Error
	if errors.As(err, &e) {
		return uint32(e.Errno())
	}
	klog.Log("oyako: syscall error without an errno: " + err.Error() + " (returning EIO)")
	return uint32(linuxerr.EIO.Errno())
}

// enosysLogged[nr] is set once ENOSYS for nr was logged; the last slot
// stands for every number above the table.
var enosysLogged [sysno.NR + 1]atomic.Bool

// countENOSYS counts an unimplemented system call and logs the first use
// of each number (and of any number above the table).
func countENOSYS(nr uint64) {
	kernel.UserENOSYS.Add(1)
	if enosysLogged[min(nr, sysno.NR)].Swap(true) {
		return
	}
	name := sysno.Name(nr)
	if name == "" {
		name = "(none)"
	}
	klog.Log("oyako: system call " + itoa(int64(nr)) + " " + name + " is not implemented: ENOSYS")
}
