package syscalls

import (
	"unsafe"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
	"oyako/kernel"
	"oyako/kernel/ktime"
	"oyako/kernel/task"
	"oyako/syscalls/sysno"
)

// The system call fast path. entry_SYSCALL_64 hands a call whose number
// has a fastTable entry to fastSyscall right away, on the service stack
// with interrupts off, instead of saving the whole user context and
// resuming the task's goroutine; if the fast handler completes the call,
// the stub returns to ring 3 with SYSRET. This is what lets a getpid cost
// what it costs on Linux: no goroutine switch, no runtime system call, no
// XSAVE (the stub saves only XMM0-15, the vector registers Go code uses).
//
// A fast handler runs under the rules of the runtime services (DESIGN.md
// §1): it must not allocate, block, take a lock that can sleep, write a
// pointer into the heap (there is no P for a write barrier) or panic. It
// completes only the common success case and answers ok=false for
// anything else — a file that is not a simple device, a buffer page not
// yet faulted in, an error to report — and the call then goes the slow
// way, through Dispatch and the ordinary handler, which implements every
// case exactly. So a fast handler never decides a result the slow handler
// would not give.
//
// Interrupts stay off while it runs, so on this one CPU nothing changes
// the task's tables underneath it. With SMP, another CPU can: the
// descriptor table is published for lock-free readers (FDTable.Peek),
// and page-table narrowing must then wait for other CPUs to acknowledge a
// TLB shootdown, which a CPU with interrupts off delays, as Linux's
// get_user_pages_fast relies on.

// fastHandler serves a call on the fast path, or returns ok=false.
type fastHandler func(t *task.Task, a Args) (ret uintptr, ok bool)

// fastTable maps a system call number to its fast handler;
// entry_SYSCALL_64 reads it to decide whether to try the fast path.
var fastTable [sysno.NR]fastHandler

func init() {
	for nr := range sysCallTable {
		if sysCallTable[nr].fn == nil {
			fastTable[nr] = fastENOSYS(uint64(nr))
		}
	}
	fastTable[sysno.SYS_getpid] = fastGetpid
	fastTable[sysno.SYS_gettid] = fastGettid
	fastTable[sysno.SYS_clock_gettime] = fastClockGettime
	fastTable[sysno.SYS_read] = fastRead
	fastTable[sysno.SYS_write] = fastWrite
}

// fastSyscall is called by entry_SYSCALL_64 with the user frame of the
// task running on this CPU; it reports whether it completed the call,
// with the result in f.Regs.Rax.
func fastSyscall(f *amd64.Frame) bool {
	uc := (*kernel.UserContext)(unsafe.Pointer(f))
	if !uc.FastOK() {
		return false // a kick (signal, exit) or CPU timers want the goroutine
	}
	t := task.FromContext(uc)
	if t.Strace || task.DebugSyscalls {
		return false
	}
	r := &f.Regs
	nr := r.OrigRax
	if nr >= sysno.NR {
		ret, ok := fastNoSys(nr)
		r.Rax = uint64(ret)
		return ok
	}
	a := Args{uintptr(r.Rdi), uintptr(r.Rsi), uintptr(r.Rdx), uintptr(r.R10), uintptr(r.R8), uintptr(r.R9)}
	ret, ok := fastTable[nr](t, a)
	if !ok {
		return false
	}
	kernel.SyscallCounts[nr].Add(1)
	r.Rax = uint64(ret)
	return true
}

// fastENOSYS answers an unimplemented number in the table (fastNoSys).
func fastENOSYS(nr uint64) fastHandler {
	return func(*task.Task, Args) (uintptr, bool) { return fastNoSys(nr) }
}

// fastNoSys answers ENOSYS for number nr, unimplemented or past the
// table, once the slow path has logged its first call (countENOSYS), and
// counts it as Dispatch does.
func fastNoSys(nr uint64) (uintptr, bool) {
	if !enosysLogged[min(nr, sysno.NR)].Load() {
		return 0, false
	}
	kernel.UserENOSYS.Add(1)
	en := uint32(linuxerr.ENOSYS.Errno())
	recordErrno(nr, en)
	return uintptr(-int64(en)), true
}

// fastGetpid is getpid(2) (sysGetpid).
func fastGetpid(t *task.Task, _ Args) (uintptr, bool) { return uintptr(t.Proc.PID), true }

// fastGettid is gettid(2) (sysGettid).
func fastGettid(t *task.Task, _ Args) (uintptr, bool) { return uintptr(t.TID), true }

// fastClockGettime is clock_gettime(2) of the system clocks (not the CPU
// clocks, which take locks) into an already-mapped writable timespec.
func fastClockGettime(t *task.Task, a Args) (uintptr, bool) {
	clk := int32(a[0])
	if clk < 0 {
		return 0, false
	}
	ns, ok := ktime.Clock(clk)
	if !ok {
		return 0, false
	}
	ts := [2]uint64{uint64(ns / 1e9), uint64(ns % 1e9)}
	if !t.Proc.AS().CopyOutFast(a[1], unsafe.Slice((*byte)(unsafe.Pointer(&ts)), 16)) {
		return 0, false
	}
	return 0, true
}

// fastMaxIO bounds the bytes a fast read may zero with interrupts off.
const fastMaxIO = 64 << 10

// fastRead is read(2) from a file that reads without state (fs.FastIO:
// /dev/zero, /dev/null) into already-mapped writable memory.
func fastRead(t *task.Task, a Args) (uintptr, bool) {
	n := a[2]
	if n > fastMaxIO {
		return 0, false
	}
	f := t.Proc.FDs().Peek(int32(a[0]))
	if f == nil {
		return 0, false
	}
	count, zeros, ok := f.FastRead(int(n))
	if !ok {
		return 0, false
	}
	if zeros && count > 0 && !t.Proc.AS().ZeroOutFast(a[1], count) {
		return 0, false
	}
	return uintptr(count), true
}

// fastWrite is write(2) to a file that discards what it is given
// (/dev/null, /dev/zero) from already-mapped memory (sysWrite reads the
// buffer before the device sees it).
func fastWrite(t *task.Task, a Args) (uintptr, bool) {
	n := a[2]
	if n > fastMaxIO || !t.Proc.AS().ReadableFast(a[1], int(n)) {
		return 0, false
	}
	f := t.Proc.FDs().Peek(int32(a[0]))
	if f == nil {
		return 0, false
	}
	count, ok := f.FastWrite(int(n))
	if !ok {
		return 0, false
	}
	return uintptr(count), true
}
